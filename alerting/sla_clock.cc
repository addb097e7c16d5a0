#include "alerting/sla_clock.h"

#include <algorithm>
#include <stdexcept>
#include <utility>

namespace lookout::alerting {

using std::chrono::milliseconds;

SlaClock::SlaClock(TimePoint start, milliseconds target, TimeBasis basis,
                   std::shared_ptr<const BusinessCalendar> calendar)
    : start_(start),
      target_(std::max(target, milliseconds::zero())),
      basis_(basis),
      calendar_(std::move(calendar)),
      running_{Segment{start, std::nullopt}},
      last_event_(start) {
  if (basis_ == TimeBasis::business_hours && !calendar_) {
    throw std::invalid_argument("SlaClock: business-hours clock without a calendar");
  }
}

bool SlaClock::pause(TimePoint t) {
  if (!accepts(t) || paused()) return false;
  running_.back().end = t;
  last_event_ = t;
  return true;
}

bool SlaClock::resume(TimePoint t) {
  if (!accepts(t) || !paused()) return false;
  running_.push_back(Segment{t, std::nullopt});
  last_event_ = t;
  return true;
}

bool SlaClock::fulfil(TimePoint t) {
  if (!accepts(t)) return false;
  if (!paused()) running_.back().end = t;
  fulfilled_at_ = t;
  last_event_ = t;
  return true;
}

bool SlaClock::retarget(TimePoint t, milliseconds new_target) {
  if (!accepts(t)) return false;
  target_ = std::max(new_target, milliseconds::zero());
  retargeted_at_ = t;
  last_event_ = t;
  return true;
}

milliseconds SlaClock::count(TimePoint a, TimePoint b) const {
  if (basis_ == TimeBasis::calendar_24x7) {
    return b > a ? std::chrono::duration_cast<milliseconds>(b - a) : milliseconds::zero();
  }
  return calendar_->between(a, b);
}

TimePoint SlaClock::advance(TimePoint a, milliseconds d) const {
  if (basis_ == TimeBasis::calendar_24x7) return a + d;
  return calendar_->add(a, d);
}

std::optional<TimePoint> SlaClock::run_past_target(TimePoint limit, milliseconds* left) const {
  milliseconds remaining = target_;
  for (const Segment& s : running_) {
    const TimePoint end = std::min(s.end.value_or(limit), limit);
    if (end <= s.begin) continue;
    const milliseconds available = count(s.begin, end);
    if (remaining <= available) {
      const TimePoint reached = advance(s.begin, remaining);
      if (reached < end) return reached;  // the clock kept running after the target
    }
    remaining -= std::min(remaining, available);
  }
  if (left) *left = remaining;
  return std::nullopt;
}

std::optional<TimePoint> SlaClock::due() const {
  if (fulfilled_at_ || paused()) return std::nullopt;
  const TimePoint running_since = running_.back().begin;
  milliseconds left{0};
  if (std::optional<TimePoint> passed = run_past_target(running_since, &left)) return passed;
  const TimePoint at = advance(running_since, left);
  if (at == TimePoint::max()) return std::nullopt;  // the calendar never opens
  return at;
}

milliseconds SlaClock::elapsed(TimePoint now) const {
  milliseconds total{0};
  for (const Segment& s : running_) {
    total += count(s.begin, std::min(s.end.value_or(now), now));
  }
  return total;
}

bool SlaClock::breached(TimePoint now) const { return breached_at(now).has_value(); }

std::optional<TimePoint> SlaClock::breached_at(TimePoint now) const {
  const TimePoint limit = fulfilled_at_ ? std::min(now, *fulfilled_at_) : now;
  std::optional<TimePoint> due_passed = run_past_target(limit, nullptr);
  if (!due_passed) return std::nullopt;
  if (retargeted_at_ && *due_passed < *retargeted_at_) return retargeted_at_;
  return due_passed;
}

std::optional<SlaOutcome> SlaClock::outcome() const {
  if (!fulfilled_at_) return std::nullopt;
  SlaOutcome out;
  out.fulfilled_at = *fulfilled_at_;
  out.breached_at = breached_at(*fulfilled_at_);
  out.met = !out.breached_at;
  const milliseconds spent = elapsed(*fulfilled_at_);
  out.by = out.met ? target_ - spent : std::max(spent - target_, milliseconds::zero());
  return out;
}

}  // namespace lookout::alerting
