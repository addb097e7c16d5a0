// lookout::Clock: the one source of "now" for everything that depends on time (scheduler, store
// timestamps, and later SLA clocks, rotas, escalation and retries). Injected, so tests move a
// ManualClock instead of sleeping. It sits in config/, the bottom layer, so any layer may take one.
#pragma once

#include <atomic>
#include <chrono>

namespace lookout {

class Clock {
 public:
  using time_point = std::chrono::system_clock::time_point;
  virtual ~Clock() = default;
  virtual time_point now() const = 0;
};

/// The real wall clock.
class SystemClock final : public Clock {
 public:
  time_point now() const override { return std::chrono::system_clock::now(); }
  /// A process-wide instance for callers that are not given one.
  static const SystemClock& instance() {
    static const SystemClock clock;
    return clock;
  }
};

/// A clock that only moves when told to. Thread-safe.
class ManualClock final : public Clock {
 public:
  explicit ManualClock(time_point start = time_point(std::chrono::seconds(1'700'000'000)))
      : now_(start.time_since_epoch().count()) {}
  time_point now() const override { return time_point(time_point::duration(now_.load())); }
  void set(time_point t) { now_.store(t.time_since_epoch().count()); }
  void advance(std::chrono::system_clock::duration d) { now_.fetch_add(d.count()); }

 private:
  std::atomic<time_point::duration::rep> now_;
};

}  // namespace lookout
