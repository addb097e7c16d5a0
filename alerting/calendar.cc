#include "alerting/calendar.h"

#include <algorithm>
#include <cctype>
#include <limits>
#include <stdexcept>
#include <string>

namespace lookout::alerting {
namespace {

using std::chrono::milliseconds;
using Duration = TimePoint::duration;

constexpr int kMinutesPerDay = 24 * 60;

// The supported range: inside it date/tz conversions cannot overflow a nanosecond time_point.
const TimePoint kEarliest = date::sys_days{date::year{1900} / 1 / 1};
const TimePoint kLatest = date::sys_days{date::year{2200} / 1 / 1};
const date::local_days kLastDay{date::year{2199} / 12 / 31};

TimePoint clamp_range(TimePoint t) { return std::clamp(t, kEarliest, kLatest); }

std::optional<date::local_days> parse_local_date(const std::string& s) {
  if (s.size() != 10 || s[4] != '-' || s[7] != '-') return std::nullopt;
  for (size_t i : {0, 1, 2, 3, 5, 6, 8, 9}) {
    if (!std::isdigit(static_cast<unsigned char>(s[i]))) return std::nullopt;
  }
  date::year_month_day ymd{date::year{std::stoi(s.substr(0, 4))},
                           date::month{static_cast<unsigned>(std::stoi(s.substr(5, 2)))},
                           date::day{static_cast<unsigned>(std::stoi(s.substr(8, 2)))}};
  if (!ymd.ok()) return std::nullopt;
  return date::local_days{ymd};
}

}  // namespace

BusinessCalendar::BusinessCalendar(const config::BusinessHours& hours, bool always_open)
    : zone_(date::locate_zone(hours.timezone)), always_open_(always_open) {
  if (always_open_) return;
  for (int wd = 0; wd < 7; ++wd) {
    for (const config::DayHours& h : hours.week[wd]) {
      if (h.start_minute < 0 || h.start_minute >= kMinutesPerDay || h.end_minute < 0 ||
          h.end_minute > kMinutesPerDay) {
        throw std::invalid_argument("business hours: minute out of range: " +
                                    std::to_string(h.start_minute) + "-" +
                                    std::to_string(h.end_minute));
      }
      if (h.start_minute == h.end_minute) continue;  // empty
      week_[wd].push_back(h);
      has_hours_ = true;
    }
  }
  for (const std::string& s : hours.holidays) {
    std::optional<date::local_days> day = parse_local_date(s);
    if (!day) throw std::invalid_argument("business hours: bad holiday date: " + s);
    holidays_.push_back(*day);
  }
  std::sort(holidays_.begin(), holidays_.end());
  holidays_.erase(std::unique(holidays_.begin(), holidays_.end()), holidays_.end());
}

BusinessCalendar BusinessCalendar::around_the_clock() {
  return BusinessCalendar(config::BusinessHours{}, true);
}

date::local_days BusinessCalendar::local_date(TimePoint t) const {
  return date::floor<date::days>(zone_->to_local(clamp_range(t)));
}

TimePoint BusinessCalendar::to_utc(date::local_days day, int minute) const {
  // Spring forward: a missing local time maps to the transition instant (the first valid one);
  // fall back: an ambiguous local time maps to its first occurrence.
  return zone_->to_sys(day + std::chrono::minutes{minute}, date::choose::earliest);
}

bool BusinessCalendar::is_holiday(date::local_days day) const {
  return std::binary_search(holidays_.begin(), holidays_.end(), day);
}

void BusinessCalendar::periods_starting_on(date::local_days day, std::vector<Interval>& out) const {
  if (is_holiday(day)) return;
  const unsigned monday_based = date::weekday{day}.iso_encoding() - 1;
  const size_t first = out.size();
  for (const config::DayHours& h : week_[monday_based]) {
    const TimePoint begin = to_utc(day, h.start_minute);
    const TimePoint end = h.end_minute > h.start_minute
                              ? to_utc(day, h.end_minute)
                              : to_utc(day + date::days{1}, h.end_minute);  // overnight
    if (begin < end) out.push_back({begin, end});  // a period inside a DST gap is empty
  }
  std::sort(out.begin() + static_cast<std::ptrdiff_t>(first), out.end(),
            [](const Interval& a, const Interval& b) { return a.begin < b.begin; });
}

// Periods starting on a later local date begin no earlier than those of an earlier date (local
// to UTC conversion is monotonic), so visiting dates in order yields intervals in order of begin.
template <class Fn>
bool BusinessCalendar::walk(date::local_days first, date::local_days last, bool give_up_when_closed,
                            Fn&& fn) const {
  std::vector<Interval> day_intervals;
  int closed_run = 0;
  for (date::local_days day = first; day <= last && day <= kLastDay; day += date::days{1}) {
    day_intervals.clear();
    periods_starting_on(day, day_intervals);
    if (day_intervals.empty()) {
      if (give_up_when_closed && ++closed_run >= kMaxClosedDays) return false;
      continue;
    }
    closed_run = 0;
    for (const Interval& iv : day_intervals) {
      if (!fn(iv)) return true;
    }
  }
  return false;
}

bool BusinessCalendar::is_open(TimePoint t) const {
  if (always_open_) return true;
  if (!has_hours_ || t < kEarliest || t >= kLatest) return false;
  // Periods from the previous date (overnight) and, defensively around DST, the next date.
  std::vector<Interval> candidates;
  const date::local_days day = local_date(t);
  for (int offset = -1; offset <= 1; ++offset) {
    periods_starting_on(day + date::days{offset}, candidates);
  }
  return std::any_of(candidates.begin(), candidates.end(),
                     [t](const Interval& iv) { return iv.begin <= t && t < iv.end; });
}

TimePoint BusinessCalendar::add(TimePoint t, milliseconds business) const {
  if (business <= milliseconds::zero()) return t;
  const Duration amount = business;
  if (always_open_) {
    return t > TimePoint::max() - amount ? TimePoint::max() : t + amount;
  }
  if (!has_hours_ || t >= kLatest) return TimePoint::max();
  const TimePoint start = clamp_range(t);

  Duration remaining = amount;
  TimePoint cursor = start;  // open time before cursor is already counted (or before t)
  TimePoint result = TimePoint::max();
  walk(local_date(start) - date::days{1}, kLastDay, /*give_up_when_closed=*/true,
       [&](const Interval& iv) {
         const TimePoint from = std::max(iv.begin, cursor);
         if (iv.end <= from) return true;
         const Duration available = iv.end - from;
         if (remaining <= available) {
           result = from + remaining;
           return false;
         }
         remaining -= available;
         cursor = iv.end;
         return true;
       });
  return result;
}

milliseconds BusinessCalendar::between(TimePoint a, TimePoint b) const {
  a = clamp_range(a);
  b = clamp_range(b);
  if (b <= a) return milliseconds::zero();
  if (always_open_) return std::chrono::duration_cast<milliseconds>(b - a);
  if (!has_hours_) return milliseconds::zero();

  Duration total{0};
  TimePoint cursor = a;  // open time before cursor is already counted (or before a)
  walk(local_date(a) - date::days{1}, local_date(b) + date::days{1},
       /*give_up_when_closed=*/false, [&](const Interval& iv) {
         if (iv.begin >= b) return false;
         const TimePoint from = std::max(iv.begin, cursor);
         const TimePoint to = std::min(iv.end, b);
         if (to > from) total += to - from;
         cursor = std::max(cursor, iv.end);
         return true;
       });
  return std::chrono::duration_cast<milliseconds>(total);
}

std::optional<TimePoint> BusinessCalendar::next_transition(TimePoint t, bool opening) const {
  if (always_open_ || !has_hours_ || t >= kLatest) return std::nullopt;
  t = clamp_range(t);
  // Merge overlapping or touching intervals into runs; a run's begin is an opening, its end a
  // closing. Start two dates back so that the first run seen is not the tail of an earlier one.
  std::optional<TimePoint> result;
  bool have_run = false;
  TimePoint run_end{};
  const date::local_days day = local_date(t);
  walk(day - date::days{2}, day + date::days{kMaxClosedDays}, /*give_up_when_closed=*/true,
       [&](const Interval& iv) {
         if (have_run && iv.begin <= run_end) {
           run_end = std::max(run_end, iv.end);
           return true;
         }
         // iv starts a new run, so the previous run [.., run_end) is complete.
         if (!opening && have_run && run_end >= t) {
           result = run_end;
           return false;
         }
         if (opening && iv.begin >= t) {
           result = iv.begin;
           return false;
         }
         have_run = true;
         run_end = iv.end;
         return true;
       });
  return result;
}

std::optional<TimePoint> BusinessCalendar::next_open(TimePoint t) const {
  return next_transition(t, /*opening=*/true);
}

std::optional<TimePoint> BusinessCalendar::next_close(TimePoint t) const {
  return next_transition(t, /*opening=*/false);
}

}  // namespace lookout::alerting
