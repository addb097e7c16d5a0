// agent::StateStore: the single owner of durable state, on SQLite (WAL).
// Not one row per probe: current state per check, state transitions, hourly rollups per check,
// small numeric series (hourly) and per-check facts. Writes are queued and flushed in batches by
// one writer thread, so callers on worker threads never block on disk. Reads of series and facts
// are served from memory (loaded at open). Thread-safe.
#pragma once

#include <chrono>
#include <map>
#include <memory>
#include <optional>
#include <string>
#include <vector>

#include "probes/history.h"
#include "probes/result.h"

namespace lookout::agent {

struct StoredState {
  std::string check_key;
  probes::Status status = probes::Status::unknown;
  std::chrono::system_clock::time_point since{};     // when it entered this status
  std::chrono::system_clock::time_point last_run{};  // when the last result was recorded
  int consecutive_failures = 0;
  // Result::to_json() of the last run as JSON text (empty when unreadable): kept as text, since
  // a parsed tree per check costs several KB and the engine keeps the text anyway.
  std::string last_result;
};

struct Transition {
  std::string check_key;
  std::chrono::system_clock::time_point at{};
  probes::Status from = probes::Status::unknown;
  probes::Status to = probes::Status::unknown;
  std::string reason;  // the summary of the result that caused it
};

struct Rollup {
  std::string check_key;
  int64_t hour = 0;  // Unix time / 3600
  int64_t runs = 0;
  int64_t failures = 0;  // runs whose status was not ok
  double latency_sum = 0;
  double latency_max = 0;
};

struct StoreOptions {
  std::string path;                      // SQLite file; ":memory:" for tests
  std::chrono::milliseconds flush_interval{1000};
  int retention_days = 400;              // rollups, transitions, series older than this go
};

class StateStore : public probes::History {
 public:
  /// Opens (creating and migrating as needed). Throws std::runtime_error naming the file on
  /// failure (unwritable path, not a database, newer schema).
  explicit StateStore(StoreOptions options);
  ~StateStore() override;  // flushes

  /// Every check's last known state, as of the last flush (for restart after kill -9).
  std::map<std::string, StoredState> load_states();

  /// Records one result: updates the current state, adds a transition when the status changed
  /// from the previous recorded one, and adds to the hour's rollup. Queued, not blocking.
  void record_result(const std::string& check_key, const probes::Result& result);

  /// Writes everything queued now (blocking; for shutdown and tests).
  void flush();

  std::vector<Transition> transitions(const std::string& check_key,
                                      std::chrono::system_clock::time_point since);
  std::vector<Rollup> rollups(const std::string& check_key, int64_t from_hour, int64_t to_hour);

  /// Deletes rows older than the retention period (also done once a day by the writer).
  void apply_retention(std::chrono::system_clock::time_point now);

  // probes::History
  std::vector<probes::SeriesPoint> series(const std::string& check_key, const std::string& series,
                                          std::chrono::system_clock::time_point since) override;
  void record(const std::string& check_key, const std::string& series,
              std::chrono::system_clock::time_point at, double value) override;
  std::optional<std::string> get_fact(const std::string& check_key,
                                      const std::string& key) override;
  void set_fact(const std::string& check_key, const std::string& key,
                const std::optional<std::string>& value) override;

 private:
  struct Impl;
  std::unique_ptr<Impl> impl_;
};

}  // namespace lookout::agent
