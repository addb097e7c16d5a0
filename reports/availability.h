// reports::availability: how long a site was up in a span, exact to the millisecond, from its
// availability checks' stored state transitions. Pure logic over the data given.
//
// Per check, at each instant:
//   - no data: before its first transition, or in an hour without runs (an hourly rollup with
//     runs, widened by the check's interval when that is longer than an hour: a run every 6 h
//     covers 6 h). Nothing is interpolated across a gap.
//   - maintenance: inside a planned window of the check or of its site.
//   - up: the last status is ok or warning (a warning is not downtime).
//   - down: the last status is critical.
//   - unknown: the last status is unknown (the probe could not tell): not measured, so it
//     counts neither as up nor as down and is reported on its own.
// The site, at each instant: maintenance if a site-wide window covers it; else down if any
// check is down; else up if any is up; else unknown if any is; else maintenance if any check
// is in its own window; else no data.
// Uptime % = up / (up + down); the other states are out of the measured time.
#pragma once

#include <chrono>
#include <cstdint>
#include <optional>
#include <string>
#include <vector>

#include "reports/maintenance.h"
#include "store/store.h"

namespace lookout::reports {

struct CheckTimeline {
  std::string check;  // check id
  std::vector<store::Transition> transitions;  // in time order, may start before the span
  std::vector<int64_t> run_hours;              // hours (Unix time / 3600) with runs, sorted
  std::chrono::milliseconds interval{60'000};
  std::vector<Interval> maintenance;           // the check's own windows
};

struct StateTotals {
  int64_t up_ms = 0, down_ms = 0, unknown_ms = 0, maintenance_ms = 0, no_data_ms = 0;
  /// 100 * up / (up + down); nullopt when nothing was measured.
  std::optional<double> uptime_pct() const;
};

struct Availability {
  StateTotals total;
  std::vector<StateTotals> days;  // one per day boundary pair given
  std::vector<Interval> down;     // merged down stretches, in order
};

/// The site's availability over [from, to). `day_starts` (sorted, the first == from, each day
/// ending at the next start or at `to`) splits the totals per day; days wholly at or after `to`
/// stay zero.
Availability site_availability(const std::vector<CheckTimeline>& checks,
                               const std::vector<Interval>& site_maintenance, TimePoint from,
                               TimePoint to, const std::vector<TimePoint>& day_starts);

/// Time in [from, to) during which `pred(status)` held, from transitions alone (a check's
/// state between runs, as the patch probe's exposure counts it), split per day like
/// site_availability. Before the first transition nothing counts.
template <class Pred>
std::vector<int64_t> time_in_status(const std::vector<store::Transition>& transitions,
                                    TimePoint from, TimePoint to,
                                    const std::vector<TimePoint>& day_starts, Pred pred);

}  // namespace lookout::reports

#include "reports/availability_impl.h"
