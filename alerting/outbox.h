// alerting::Outbox: at-least-once delivery of durable notifications, one sender per sink.
//
// A notification reaches the outbox only after the transaction that created it (with the
// incident change it reports) is on disk: enqueue() takes notifications already committed by the
// caller. load() picks up the ones still pending after a restart.
//
// Per sink: at most `max_in_flight` deliveries at once; per check (incident key), one at a time
// in creation order (an `opened` is never overtaken by its `resolved`, nor a check's previous
// incident's `resolved` by the next incident's `opened`). A retry waits an exponential
// backoff (base * 2^(attempt-1), capped, times a random jitter factor in [1-jitter, 1]) or the
// receiver's Retry-After (capped at max_retry_after). A permanent rejection, or retrying for
// longer than max_age, parks the notification as failed with its reason (values
// "outbox_failed") and lets the incident's next notification go -- once that outcome is on
// disk, so that after a crash the earlier one is never sent again behind the later one. Delivered
// ones are deleted from "outbox" and logged in events "notification"/<sink>/<id>. Each failed
// attempt rewrites the stored notification with its attempt count, next attempt time and last
// error, so a restart resumes the backoff where it was instead of starting it over.
//
// Time comes from the injected Clock; pump() starts whatever is due, so tests move a
// ManualClock and pump instead of sleeping. run() is the production loop. Thread-safe.
#pragma once

#include <chrono>
#include <condition_variable>
#include <functional>
#include <map>
#include <memory>
#include <mutex>
#include <optional>
#include <random>
#include <set>
#include <string>
#include <vector>

#include <boost/asio/any_io_executor.hpp>
#include <boost/asio/awaitable.hpp>

#include "alerting/sink.h"
#include "config/clock.h"
#include "store/store.h"

namespace lookout::alerting {

struct OutboxOptions {
  std::chrono::milliseconds base_backoff{std::chrono::seconds(2)};
  std::chrono::milliseconds max_backoff{std::chrono::minutes(10)};
  std::chrono::milliseconds max_retry_after{std::chrono::hours(1)};
  std::chrono::milliseconds max_age{std::chrono::hours(24)};
  double jitter = 0.5;
  uint64_t seed = 0;  // 0 = random
};

struct SinkStats {
  size_t pending = 0;
  std::optional<TimePoint> oldest;  // created time of the oldest pending notification
  uint64_t delivered = 0, retried = 0, failed = 0;
};

class Outbox {
 public:
  Outbox(store::Store& store, const Clock& clock, OutboxOptions options = {});
  /// Waits (at most 5 s) for the store writes it started, whose completions refer to it.
  ~Outbox();

  void add_sink(std::shared_ptr<Sink> sink, int max_in_flight);
  bool has_sink(const std::string& id) const;

  /// Pending notifications from the store (after a restart). Those of unknown sinks stay
  /// stored and wait for their sink to come back.
  void load();
  /// Notifications already durable in the store.
  void enqueue(const std::vector<Notification>& notifications);

  /// Starts every delivery that is due now; completions run on `executor`.
  void pump(boost::asio::any_io_executor executor);
  /// The earliest instant a not-yet-started delivery becomes due (nullopt: nothing waiting).
  std::optional<TimePoint> next_due() const;
  size_t in_flight() const;
  std::map<std::string, SinkStats> stats() const;

  /// Called (on the sender's executor, outside the outbox's lock) with the final outcome of each
  /// delivery: delivered or rejected for good (the runtime tells the alerting service about a
  /// sink whose credentials are refused, and when it delivers again).
  void set_on_outcome(std::function<void(const std::string& sink, const Delivery& d)> fn);
  /// Called (from any thread) whenever new work may be due; run() sets it to wake itself.
  void set_wake(std::function<void()> wake);
  /// The production loop: pump, sleep until the next due time (at most 1 s), repeat.
  boost::asio::awaitable<void> run();
  void stop();

 private:
  struct Entry {
    Notification n;
    int attempts = 0;
    TimePoint next_attempt{};
    bool in_flight = false;
    bool done = false;  // delivered or parked; kept (blocking its incident) until that is on disk
    std::string last_error;
  };
  struct SinkState {
    std::shared_ptr<Sink> sink;
    int max_in_flight = 4;
    std::map<int64_t, Entry> pending;  // by notification id: the send order
    int in_flight = 0;
    uint64_t delivered = 0, retried = 0, failed = 0;
  };

  void finish(const std::string& sink, int64_t id, Delivery d);
  void finished_on_disk(const std::string& sink, int64_t id);
  void add_pending(SinkState& s, const Notification& n, int attempts, TimePoint next_attempt);
  std::chrono::milliseconds backoff(int attempts);
  void wake();

  store::Store& store_;
  const Clock& clock_;
  OutboxOptions options_;
  mutable std::mutex mutex_;
  std::map<std::string, SinkState> sinks_;
  struct Orphan {  // pending for a sink not configured (yet)
    Notification n;
    int attempts = 0;
    TimePoint next_attempt{};
  };
  std::vector<Orphan> orphans_;
  std::mutex writes_mutex_;
  std::condition_variable writes_cv_;
  int writes_in_flight_ = 0;
  std::mt19937_64 rng_;
  std::function<void()> wake_;
  std::function<void(const std::string&, const Delivery&)> on_outcome_;
  bool stopped_ = false;
};

}  // namespace lookout::alerting
