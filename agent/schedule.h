// agent::Schedule: when each check of one worker runs next. Pure logic over an injected "now"
// (no timers, no threads), so it is tested by moving a ManualClock; the worker drives it.
//
// Rules:
//  - A check runs on a fixed wall-clock grid: k * interval + offset(key), so N checks on one
//    interval spread evenly and runs never drift.
//  - A check with no stored result runs within a warm-up after start or after a reload added
//    it (min(warmup, interval), spread by key, so 100k new checks do not stampede), then joins
//    its grid.
//  - While a check is failing (including one restored as failing after a restart) it re-runs
//    every retry_interval instead.
//  - A check still running when its next run is due counts a missed run and moves on.
#pragma once

#include <chrono>
#include <cstdint>
#include <map>
#include <memory>
#include <optional>
#include <queue>
#include <string>
#include <vector>

#include "config/config.h"

namespace lookout::agent {

using TimePoint = std::chrono::system_clock::time_point;

/// Offset of a check inside its interval, from its key (stable across restarts and reloads).
std::chrono::milliseconds schedule_offset(const std::string& key, std::chrono::milliseconds interval);
/// The first grid point strictly after `after`: k * interval + offset.
TimePoint next_on_grid(TimePoint after, std::chrono::milliseconds interval,
                       std::chrono::milliseconds offset);
/// Stable hash used for offsets and worker assignment.
uint64_t stable_hash(const std::string& s);

/// What the store remembers of a check, for placing its first run after a restart.
struct RestoredRun {
  bool failing = false;
  TimePoint last_run{};
};

class Schedule {
 public:
  using CheckPtr = std::shared_ptr<const config::Check>;
  struct Run {
    CheckPtr check;
    TimePoint due;
    uint64_t generation = 0;
  };

  explicit Schedule(std::chrono::milliseconds warmup = std::chrono::minutes(1)) : warmup_(warmup) {}

  /// Replaces the set of checks at `now`. A check whose key and interval are unchanged keeps its
  /// next run; a new one is placed by the rules above, using `restored` when it has an entry.
  void assign(const std::vector<CheckPtr>& checks, TimePoint now,
              const std::map<std::string, RestoredRun>& restored = {});

  /// Every run due at or before `now`, oldest first; each is marked running. A check already
  /// running when due is skipped to its next slot and counted in `missed`.
  std::vector<Run> take_due(TimePoint now, int* missed = nullptr);
  /// A run ended with `failing` at `now`; schedules the next. Returns the runs missed because
  /// this one was still going when they were due (slots of its interval that passed).
  int finished(const std::string& key, uint64_t generation, bool failing, TimePoint now);

  /// Earliest pending due time, if any.
  std::optional<TimePoint> next_due() const;
  /// Next due time of one check (API), if scheduled.
  std::optional<TimePoint> due_of(const std::string& key) const;
  bool is_running(const std::string& key) const;
  size_t size() const { return slots_.size(); }

 private:
  struct Slot {
    CheckPtr check;
    TimePoint due{};
    bool running = false;
    bool failing = false;
    uint64_t generation = 0;
  };
  struct Due {
    TimePoint at;
    std::string key;
    uint64_t generation;
    bool operator>(const Due& o) const { return at > o.at; }
  };
  TimePoint first_due(const std::string& key, const config::Check& c, TimePoint now,
                      const RestoredRun* restored) const;
  void schedule_next(const std::string& key, Slot& s, TimePoint now);
  void drop_stale();

  std::chrono::milliseconds warmup_;
  std::map<std::string, Slot> slots_;
  std::priority_queue<Due, std::vector<Due>, std::greater<Due>> heap_;
  uint64_t generation_ = 0;
};

}  // namespace lookout::agent
