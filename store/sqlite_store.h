// store::SqliteStore: the embedded Store on one SQLite file (WAL, synchronous=FULL).
// Current state per check, state transitions, hourly rollups, small numeric series and facts
// (batched), and the durable event log and values (group-committed). One writer thread owns
// all writes, so callers on worker threads never block on disk. Series and facts are served
// from memory (loaded at open). The file is locked for this process: a second agent on the same
// file is refused with the other's pid. Thread-safe.
#pragma once

#include <chrono>
#include <memory>
#include <string>

#include "config/clock.h"
#include "store/store.h"

namespace lookout::store {

struct StoreOptions {
  std::string path;  // SQLite file; ":memory:" for tests
  std::chrono::milliseconds flush_interval{1000};
  int retention_days = 400;  // rollups, transitions, series older than this go
  const Clock* clock = nullptr;  // nullptr = the system clock
  /// A reader beside a running agent (`lookout report`): opens an existing file read-only
  /// (a WAL reader), never takes the lock file, never migrates, never writes, runs no writer
  /// thread and no retention. A schema older or newer than this lookout's is refused with a
  /// message (an older one is migrated by the agent, which owns the file). Write calls throw
  /// std::logic_error.
  bool read_only = false;
};

class SqliteStore final : public Store {
 public:
  /// Opens (creating and migrating as needed). Throws std::runtime_error naming the file on
  /// failure (unwritable path, not a database, newer schema, in use by another process; read
  /// only: missing file, schema not the current one).
  explicit SqliteStore(StoreOptions options);
  ~SqliteStore() override;  // writes everything queued

  std::map<std::string, StoredState> load_states() override;
  std::optional<StoredState> load_state(const std::string& check_key) override;
  void record_result(const std::string& check_key, const probes::Result& result,
                     const HealthRecord& health) override;
  void flush() override;
  std::vector<Transition> transitions(const std::string& check_key, TimePoint since) override;
  std::vector<Rollup> rollups(const std::string& check_key, int64_t from_hour,
                              int64_t to_hour) override;
  void apply_retention(TimePoint now) override;

  void commit(Transaction tx, std::function<void(CommitResult)> done) override;
  std::vector<Event> events(const std::string& stream, const std::string& key,
                            int64_t after_seq = 0) override;
  std::map<std::string, std::string> values(const std::string& scope) override;
  std::optional<std::string> value(const std::string& scope, const std::string& key) override;
  StoreStats stats() const override;

  // probes::History
  std::vector<probes::SeriesPoint> series(const std::string& check_key, const std::string& series,
                                          TimePoint since) override;
  void record(const std::string& check_key, const std::string& series, TimePoint at,
              double value) override;
  std::optional<std::string> get_fact(const std::string& check_key,
                                      const std::string& key) override;
  void set_fact(const std::string& check_key, const std::string& key,
                const std::optional<std::string>& value) override;

 private:
  struct Impl;
  std::unique_ptr<Impl> impl_;
};

}  // namespace lookout::store
