// store::Store: the single owner of durable state, as an interface in domain types. The SQLite
// implementation (store/sqlite_store.h) is the embedded default; a PostgreSQL one can sit behind
// the same interface (every time is 64-bit Unix milliseconds, queries avoid SQLite-only SQL).
//
// Two write paths:
//  - batched write-behind for results (record_result, series, facts): queued, coalesced (the
//    last state of a check wins), flushed about once a second by the writer; never blocks a
//    worker. A row the database refuses is dropped and counted; it never holds up the others.
//  - durable commits (commit): a Transaction of domain records that is on disk, whole or not at
//    all, when its completion runs. Transactions never coalesce, and one that fails (a
//    constraint, a bad row) fails alone: the others in the same group commit. Incidents and the
//    outbox use this path: a notification is durable before its first send.
// Thread-safe.
#pragma once

#include <chrono>
#include <cstdint>
#include <functional>
#include <future>
#include <map>
#include <optional>
#include <string>
#include <vector>

#include <boost/asio/any_io_executor.hpp>
#include <boost/asio/async_result.hpp>
#include <boost/asio/post.hpp>
#include <boost/asio/use_awaitable.hpp>

#include "probes/history.h"
#include "probes/result.h"

namespace lookout::store {

using TimePoint = std::chrono::system_clock::time_point;

struct StoredState {
  std::string check_key;
  probes::Status status = probes::Status::unknown;
  TimePoint since{};     // when it entered this status
  TimePoint last_run{};  // when the last result was recorded
  int consecutive_failures = 0;
  // Result::to_json() of the last run as JSON text (empty when unreadable): kept as text, since
  // a parsed tree per check costs several KB and the engine keeps the text anyway.
  std::string last_result;
};

/// A check's health after one result, as its one owner (the agent's engine) computed it. The
/// store records it; it does not work health out again.
struct HealthRecord {
  probes::Status previous = probes::Status::unknown;  // status before the result (unknown: new)
  TimePoint since{};             // when the check entered its current status
  int consecutive_failures = 0;  // non-ok results in a row, this one included
};

struct Transition {
  std::string check_key;
  TimePoint at{};
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

/// One entry of an append-only log: (stream, key, seq) is unique, so writing the same entry
/// twice is refused instead of duplicated. An incident's timeline, a ticket's events and the
/// outbox's notifications are streams.
struct Event {
  std::string stream;  // "incident", "ticket", "outbox", ...
  std::string key;     // what it belongs to: "acme/www/http", "LK-1042", ...
  int64_t seq = 0;     // order within (stream, key), from 1
  TimePoint at{};
  std::string kind;     // "opened", "acknowledged", ...
  std::string payload;  // JSON text
};

/// A durable named value: the current state of something (an incident, a ticket, a sequence
/// counter). nullopt deletes.
struct Value {
  std::string scope;
  std::string key;
  std::optional<std::string> value;
};

/// What one durable commit writes, all or nothing.
struct Transaction {
  std::vector<Event> events;
  std::vector<Value> values;
  bool empty() const { return events.empty() && values.empty(); }
};

struct CommitResult {
  bool ok = false;
  std::string error;  // why it was refused; the transaction left no trace
};

struct StoreStats {
  uint64_t commits = 0;          // durable transactions committed
  uint64_t commit_failures = 0;  // durable transactions refused
  uint64_t dropped_rows = 0;     // batched rows the database refused
};

class Store : public probes::History {
 public:
  /// Every check's last known state, as of the last flush (for restart after kill -9).
  virtual std::map<std::string, StoredState> load_states() = 0;
  /// One check's last known state (as of the last flush); nullopt when it has none.
  virtual std::optional<StoredState> load_state(const std::string& check_key) = 0;
  /// Records one result (batched): the check's current state as `health` gives it, a transition
  /// when the status differs from `health.previous`, and the hour's rollup. Never blocks on disk.
  virtual void record_result(const std::string& check_key, const probes::Result& result,
                             const HealthRecord& health) = 0;
  /// Writes everything batched so far (blocking; for shutdown and tests).
  virtual void flush() = 0;

  virtual std::vector<Transition> transitions(const std::string& check_key, TimePoint since) = 0;
  virtual std::vector<Rollup> rollups(const std::string& check_key, int64_t from_hour,
                                      int64_t to_hour) = 0;
  /// Deletes rows older than the retention period (also done once a day by the writer).
  virtual void apply_retention(TimePoint now) = 0;

  /// Queues a durable commit; `done` runs on the writer thread once it is on disk (ok) or was
  /// refused. Transactions queued together are group-committed: one disk sync for all.
  virtual void commit(Transaction tx, std::function<void(CommitResult)> done) = 0;
  /// The events of (stream, key) with seq > after_seq, in order.
  virtual std::vector<Event> events(const std::string& stream, const std::string& key,
                                    int64_t after_seq = 0) = 0;
  /// Every key of a scope with its value.
  virtual std::map<std::string, std::string> values(const std::string& scope) = 0;
  virtual std::optional<std::string> value(const std::string& scope, const std::string& key) = 0;

  virtual StoreStats stats() const = 0;

  /// Blocking durable commit (CLI, tests, shutdown). Never call it on a worker thread.
  CommitResult commit_and_wait(Transaction tx) {
    std::promise<CommitResult> p;
    auto f = p.get_future();
    commit(std::move(tx), [&p](CommitResult r) { p.set_value(std::move(r)); });
    return f.get();
  }
};

/// Durable commit from a coroutine: suspends the caller (never blocks its thread) and resumes
/// it on its own executor once the transaction is on disk or refused.
inline boost::asio::awaitable<CommitResult> async_commit(Store& store, Transaction tx) {
  auto executor = co_await boost::asio::this_coro::executor;
  co_return co_await boost::asio::async_initiate<decltype(boost::asio::use_awaitable),
                                                 void(CommitResult)>(
      [&store, executor](auto handler, Transaction tx) {
        auto h = std::make_shared<decltype(handler)>(std::move(handler));
        store.commit(std::move(tx), [h, executor](CommitResult r) {
          boost::asio::post(executor, [h, r = std::move(r)]() mutable { (*h)(std::move(r)); });
        });
      },
      boost::asio::use_awaitable, std::move(tx));
}

}  // namespace lookout::store
