// One SLA clock: one metric (response or resolution) of one ticket, as Zendesk keeps a separate
// clock per metric. Pure logic: every query takes `now`.
//
// The clock runs from `start`, stops while paused (on hold) and stops for good when fulfilled.
// Time counts in the client's business hours (TimeBasis::business_hours, through a
// BusinessCalendar) or around the clock (TimeBasis::calendar_24x7, holidays included).
//
// Breach: the due instant is where the running time reaches the target. The clock is breached
// once it has run past that instant, so a fulfilment exactly at the due instant is met, and one
// after it is breached even when only closed hours have passed since (as a help-desk "overdue"
// badge). A pause at or before the due instant holds it off.
//
// Re-target (priority change): the new target counts from the ticket's start, including the
// time already spent (SMAX: "the time already spent is included in the new target"). A breach
// is never back-dated: if the new target is already passed at the update, the breach is recorded
// at the time of the update (Zendesk).
//
// Events must come in time order, at or after `start`; an event that does not apply (resume
// while running, pause while paused, anything after fulfil, a time before the last event) is
// ignored and the call returns false. Queries assume `now` is not before the last event.
#pragma once

#include <chrono>
#include <memory>
#include <optional>
#include <vector>

#include "alerting/calendar.h"

namespace lookout::alerting {

struct SlaOutcome {
  bool met = false;
  /// Business time (calendar time for 24x7) left when met, or over the target when breached.
  /// Breached "by 0" means the clock ran past the due instant only through closed hours.
  std::chrono::milliseconds by{0};
  TimePoint fulfilled_at{};
  /// When the breach is recorded (see breached_at()); nullopt when met.
  std::optional<TimePoint> breached_at;
};

class SlaClock {
 public:
  /// `calendar` may be null for TimeBasis::calendar_24x7; for business hours a null calendar
  /// throws std::invalid_argument. A negative target counts as 0.
  SlaClock(TimePoint start, std::chrono::milliseconds target, TimeBasis basis,
           std::shared_ptr<const BusinessCalendar> calendar);

  bool pause(TimePoint t);   // on hold: the clock stops
  bool resume(TimePoint t);  // back to open: the clock runs again
  bool fulfil(TimePoint t);  // the metric is done (replied / solved); final
  bool retarget(TimePoint t, std::chrono::milliseconds new_target);  // priority change

  TimePoint start() const { return start_; }
  std::chrono::milliseconds target() const { return target_; }
  TimeBasis basis() const { return basis_; }
  bool paused() const { return !fulfilled_at_ && running_.back().end.has_value(); }
  bool fulfilled() const { return fulfilled_at_.has_value(); }

  /// The instant the target is reached if the clock keeps running; in the past once breached.
  /// nullopt while paused, once fulfilled (see outcome()), or if the calendar never opens.
  std::optional<TimePoint> due() const;

  /// Running time counted from start up to now (business time for business hours).
  std::chrono::milliseconds elapsed(TimePoint now) const;

  /// Has the clock run past its due instant by `now`?
  bool breached(TimePoint now) const;

  /// When the breach is recorded, if breached by `now`: the due instant, or the time of the last
  /// retarget if the due instant had already passed then (never back-dated).
  std::optional<TimePoint> breached_at(TimePoint now) const;

  /// Met or breached, and by how much; nullopt until fulfilled.
  std::optional<SlaOutcome> outcome() const;

 private:
  struct Segment {  // a stretch in which the clock runs: [begin, end), end unset while running
    TimePoint begin;
    std::optional<TimePoint> end;
  };

  std::chrono::milliseconds count(TimePoint a, TimePoint b) const;
  TimePoint advance(TimePoint a, std::chrono::milliseconds d) const;
  /// Walks the running segments cut at `limit`: the due instant if the clock ran past it before
  /// `limit`; otherwise nullopt, with *left = target minus the running time up to `limit`.
  std::optional<TimePoint> run_past_target(TimePoint limit, std::chrono::milliseconds* left) const;
  bool accepts(TimePoint t) const { return !fulfilled_at_ && t >= last_event_; }

  TimePoint start_;
  std::chrono::milliseconds target_;
  TimeBasis basis_;
  std::shared_ptr<const BusinessCalendar> calendar_;
  std::vector<Segment> running_;  // never empty
  TimePoint last_event_;
  std::optional<TimePoint> fulfilled_at_;
  std::optional<TimePoint> retargeted_at_;
};

}  // namespace lookout::alerting
