// Business time for one client: is the desk open, add N business hours, count business time
// between two instants, and when does the desk next open or close. Pure logic: every function
// takes the time as an argument (no clock reads).
//
// Rules (see docs/alerting.md, "Business time"):
//   - A DayHours {start, end} on weekday W is an open period [start, end) in local wall time on
//     every local date that falls on W. end < start is an OVERNIGHT period that ends at `end` on
//     the next local date; {0, 1440} is the whole day; start == end is empty.
//   - A holiday (local date) removes the periods that START on that date (Zendesk biz: "the
//     period's start decides"): an overnight shift that starts the evening before a holiday still
//     runs into the holiday morning.
//   - Local wall times are converted to UTC per local date through the IANA zone, never by adding
//     24 h. A local time that does not exist (spring forward) becomes the first valid instant
//     after the gap (the transition instant); an ambiguous one (fall back) takes its first
//     occurrence (date::choose::earliest).
//   - Overlapping or touching periods count once (their union).
//   - always_open (a 24x7 contract): open at every instant, holidays ignored; business time is
//     calendar time.
//   - Searches are bounded: after kMaxClosedDays consecutive local dates without any open time
//     add() gives up and returns time_point::max(); next_open()/next_close() look at most
//     kMaxClosedDays local dates ahead and return nullopt when they find nothing.
//   - Supported instants: years 1900..2199 UTC. Outside it is_open() is false (true for 24x7),
//     add() returns time_point::max(), and between()/next_*() clamp their arguments into it.
#pragma once

#include <array>
#include <chrono>
#include <optional>
#include <vector>

#include <date/tz.h>

#include "config/config.h"

namespace lookout::alerting {

using TimePoint = std::chrono::system_clock::time_point;

/// The 24x7 flag a contract needs (config::Contract has none): an SLA target counts either in
/// the client's business hours or around the clock, holidays included (Zendesk
/// `business_hours: false`, Freshdesk "calendar hours").
enum class TimeBasis { business_hours, calendar_24x7 };

class BusinessCalendar {
 public:
  /// How many local dates in a row without open time a search scans before giving up.
  static constexpr int kMaxClosedDays = 400;

  /// Throws std::invalid_argument for a minute outside 0..1440 (start < 1440) or a holiday that
  /// is not a valid YYYY-MM-DD date, and std::runtime_error for an unknown zone (from
  /// date::locate_zone). With always_open the hours and holidays are ignored (the zone is still
  /// validated).
  explicit BusinessCalendar(const config::BusinessHours& hours, bool always_open = false);
  BusinessCalendar(const config::BusinessHours& hours, TimeBasis basis)
      : BusinessCalendar(hours, basis == TimeBasis::calendar_24x7) {}

  /// A 24x7 calendar (UTC, no hours needed).
  static BusinessCalendar around_the_clock();

  bool always_open() const { return always_open_; }

  /// Is t inside an open period (start inclusive, end exclusive)?
  bool is_open(TimePoint t) const;

  /// The earliest instant at which `business` of open time has elapsed after t. If t is closed,
  /// counting starts at the next opening. add(t, 0) == t; a negative amount counts as 0. When
  /// the amount runs out exactly at a closing instant, that closing instant is returned (not the
  /// next opening). Returns TimePoint::max() if the calendar never opens again (see
  /// kMaxClosedDays).
  TimePoint add(TimePoint t, std::chrono::milliseconds business) const;

  /// Open time in [a, b); 0 if b <= a. Sub-millisecond parts are truncated.
  std::chrono::milliseconds between(TimePoint a, TimePoint b) const;

  /// The first opening transition at or after t: an instant x >= t that is open while the
  /// moment just before x is closed. If t is in the middle of an open period this is the NEXT
  /// opening, not t. nullopt for a 24x7 calendar, a calendar without hours, or when nothing is
  /// found within kMaxClosedDays local dates.
  std::optional<TimePoint> next_open(TimePoint t) const;

  /// The first closing transition at or after t: an instant x >= t that is closed while the
  /// moment just before x is open (the end of the open period containing t, or of the next one
  /// if t is closed). nullopt as for next_open.
  std::optional<TimePoint> next_close(TimePoint t) const;

 private:
  struct Interval {
    TimePoint begin;
    TimePoint end;
  };

  date::local_days local_date(TimePoint t) const;
  TimePoint to_utc(date::local_days day, int minute) const;
  bool is_holiday(date::local_days day) const;
  /// Appends the non-empty open intervals of the periods that start on `day`, sorted by begin.
  void periods_starting_on(date::local_days day, std::vector<Interval>& out) const;
  /// Calls fn(interval) for the open intervals of the periods starting on the local dates
  /// first..last, in order of begin (intervals may overlap), until fn returns false (then
  /// returns true). With give_up_when_closed it also stops after kMaxClosedDays dates in a row
  /// without an interval. Never goes past the supported range.
  template <class Fn>
  bool walk(date::local_days first, date::local_days last, bool give_up_when_closed,
            Fn&& fn) const;
  std::optional<TimePoint> next_transition(TimePoint t, bool opening) const;

  const date::time_zone* zone_ = nullptr;
  std::array<std::vector<config::DayHours>, 7> week_;  // index 0 = Monday; empty ranges dropped
  std::vector<date::local_days> holidays_;             // sorted, unique
  bool always_open_ = false;
  bool has_hours_ = false;
};

}  // namespace lookout::alerting
