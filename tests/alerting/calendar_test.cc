// BusinessCalendar: fixed edge cases with hand-computed UTC answers, and a randomized comparison
// against a brute-force oracle that walks the calendar one UTC minute at a time.
#include "alerting/calendar.h"

#include <gtest/gtest.h>

#include <algorithm>
#include <chrono>
#include <cstdint>
#include <cstdio>
#include <limits>
#include <optional>
#include <random>
#include <sstream>
#include <string>
#include <unordered_set>
#include <vector>

namespace lookout::alerting {
namespace {

using std::chrono::hours;
using std::chrono::milliseconds;
using std::chrono::minutes;
using std::chrono::seconds;

constexpr int kOpen = 540;    // 09:00
constexpr int kClose = 1020;  // 17:00

TimePoint utc(int y, unsigned mo, unsigned d, int h, int mi = 0, int s = 0) {
  return date::sys_days{date::year{y} / mo / d} + hours{h} + minutes{mi} + seconds{s};
}

std::string show(TimePoint t) { return date::format("%F %T UTC", date::floor<seconds>(t)); }

// Monday-based weekday index 0..6 -> ranges.
config::BusinessHours hours_in(const std::string& zone,
                               std::initializer_list<std::pair<int, config::DayHours>> ranges,
                               std::vector<std::string> holidays = {}) {
  config::BusinessHours h;
  h.timezone = zone;
  for (const auto& [day, range] : ranges) h.week[day].push_back(range);
  h.holidays = std::move(holidays);
  return h;
}

config::BusinessHours office(const std::string& zone, std::vector<std::string> holidays = {}) {
  config::BusinessHours h;
  h.timezone = zone;
  for (int d = 0; d < 5; ++d) h.week[d].push_back({kOpen, kClose});
  h.holidays = std::move(holidays);
  return h;
}

// ---------------------------------------------------------------------------------------------
// Fixed cases. Europe/London is UTC+0 in winter (GMT) and UTC+1 in summer (BST); in 2026 BST
// runs from Sunday 29 March 01:00 UTC to Sunday 25 October 01:00 UTC.

TEST(CalendarTest, DeadlineOnWeekendRollsToMonday) {
  const BusinessCalendar cal(office("Europe/London"));
  // Friday 12 June 2026 15:00 BST (14:00 UTC) + 4 business hours: 2 h on Friday, 2 h on Monday.
  EXPECT_EQ(show(cal.add(utc(2026, 6, 12, 14), hours{4})), show(utc(2026, 6, 15, 10)));
  EXPECT_EQ(cal.between(utc(2026, 6, 12, 14), utc(2026, 6, 15, 10)), hours{4});
}

TEST(CalendarTest, DeadlineOnHolidayMondayRollsToTuesday) {
  const BusinessCalendar cal(office("Europe/London", {"2026-08-31"}));  // summer bank holiday
  // Friday 28 August 15:00 BST + 4 h: 2 h on Friday, Monday is a holiday, 2 h on Tuesday.
  EXPECT_EQ(show(cal.add(utc(2026, 8, 28, 14), hours{4})), show(utc(2026, 9, 1, 10)));
  EXPECT_FALSE(cal.is_open(utc(2026, 8, 31, 10)));
  EXPECT_TRUE(cal.is_open(utc(2026, 9, 1, 8)));  // Tuesday 09:00 BST
  EXPECT_EQ(cal.between(utc(2026, 8, 28, 0), utc(2026, 9, 2, 0)), hours{16});
}

TEST(CalendarTest, TicketOpenedOnClosedDayStartsCountingAtNextOpening) {
  const BusinessCalendar cal(office("Europe/London"));
  const TimePoint saturday = utc(2026, 6, 13, 9);  // 10:00 BST
  EXPECT_FALSE(cal.is_open(saturday));
  EXPECT_EQ(show(cal.add(saturday, hours{1})), show(utc(2026, 6, 15, 9)));  // Monday 10:00 BST
  EXPECT_EQ(cal.between(saturday, utc(2026, 6, 15, 9)), hours{1});
  EXPECT_EQ(show(*cal.next_open(saturday)), show(utc(2026, 6, 15, 8)));
  EXPECT_EQ(show(*cal.next_close(saturday)), show(utc(2026, 6, 15, 16)));
}

TEST(CalendarTest, AddZeroIsIdentityEvenWhenClosed) {
  const BusinessCalendar cal(office("Europe/London"));
  const TimePoint sunday = utc(2026, 6, 14, 3, 17, 29) + milliseconds{123};
  EXPECT_EQ(cal.add(sunday, milliseconds{0}), sunday);
  EXPECT_EQ(cal.add(sunday, milliseconds{-5}), sunday);
  EXPECT_EQ(show(cal.add(sunday, milliseconds{1})), show(utc(2026, 6, 15, 8)));
}

TEST(CalendarTest, AmountEndingAtClosingTimeGivesClosingTime) {
  const BusinessCalendar cal(office("Europe/London"));
  // Monday 09:00 BST + 8 h is Monday 17:00 BST, not Tuesday 09:00.
  EXPECT_EQ(show(cal.add(utc(2026, 6, 15, 8), hours{8})), show(utc(2026, 6, 15, 16)));
  EXPECT_EQ(show(cal.add(utc(2026, 6, 15, 8), hours{8} + milliseconds{1})),
            show(utc(2026, 6, 16, 8)));
  EXPECT_TRUE(cal.is_open(utc(2026, 6, 15, 8)));    // start inclusive
  EXPECT_FALSE(cal.is_open(utc(2026, 6, 15, 16)));  // end exclusive
  EXPECT_TRUE(cal.is_open(utc(2026, 6, 15, 16) - milliseconds{1}));
}

TEST(CalendarTest, TwoHundredBusinessHoursAreFast) {
  const BusinessCalendar cal(office("Europe/London"));
  // Monday 1 June 2026 09:00 BST + 200 h = 25 business days = Friday 3 July 17:00 BST.
  EXPECT_EQ(show(cal.add(utc(2026, 6, 1, 8), hours{200})), show(utc(2026, 7, 3, 16)));
  const auto started = std::chrono::steady_clock::now();
  TimePoint t = utc(2026, 1, 5, 8);
  for (int i = 0; i < 500; ++i) t = cal.add(t, hours{200});  // ~48 years of business days
  const auto took = std::chrono::steady_clock::now() - started;
  EXPECT_EQ(cal.between(utc(2026, 1, 5, 8), t), hours{200 * 500});
  // Stepping minute by minute would take tens of seconds here; per interval it is milliseconds.
  EXPECT_LT(took, std::chrono::seconds{5});
}

TEST(CalendarTest, TwentyFourSevenIsCalendarTimeAndIgnoresHolidays) {
  const config::BusinessHours xmas = office("Europe/London", {"2026-12-25", "2026-12-26"});
  const BusinessCalendar cal(xmas, TimeBasis::calendar_24x7);
  EXPECT_TRUE(cal.always_open());
  const TimePoint christmas_eve = utc(2026, 12, 24, 20);
  EXPECT_TRUE(cal.is_open(utc(2026, 12, 25, 3)));
  EXPECT_TRUE(cal.is_open(utc(2026, 12, 27, 3)));  // Sunday
  EXPECT_EQ(show(cal.add(christmas_eve, hours{30})), show(utc(2026, 12, 26, 2)));
  EXPECT_EQ(cal.between(christmas_eve, utc(2026, 12, 28, 20)), hours{96});
  EXPECT_FALSE(cal.next_open(christmas_eve));
  EXPECT_FALSE(cal.next_close(christmas_eve));
  // Across a DST change calendar time is elapsed time, not wall time.
  EXPECT_EQ(cal.between(utc(2026, 3, 28, 12), utc(2026, 3, 29, 12)), hours{24});
  const BusinessCalendar plain = BusinessCalendar::around_the_clock();
  EXPECT_EQ(plain.add(christmas_eve, hours{30}), christmas_eve + hours{30});
  // The same hours as a business calendar: closed on the holidays.
  const BusinessCalendar business(xmas);
  EXPECT_FALSE(business.is_open(utc(2026, 12, 25, 10)));
}

TEST(CalendarTest, TwentyThreeAndTwentyFiveHourSundaysInLondon) {
  const BusinessCalendar sundays(hours_in("Europe/London", {{6, {0, 1440}}}));
  // 29 March 2026: local midnight is 00:00 UTC, the next local midnight 23:00 UTC.
  EXPECT_EQ(sundays.between(utc(2026, 3, 28, 0), utc(2026, 3, 31, 0)), hours{23});
  EXPECT_EQ(show(*sundays.next_open(utc(2026, 3, 28, 12))), show(utc(2026, 3, 29, 0)));
  EXPECT_EQ(show(*sundays.next_close(utc(2026, 3, 28, 12))), show(utc(2026, 3, 29, 23)));
  // 24 business hours from that Sunday: 23 h on it, the last hour on 5 April (BST).
  EXPECT_EQ(show(sundays.add(utc(2026, 3, 29, 0), hours{24})), show(utc(2026, 4, 5, 0)));
  // 25 October 2026: local midnight is 23:00 UTC on Saturday, the next one 00:00 UTC Monday.
  EXPECT_EQ(sundays.between(utc(2026, 10, 24, 0), utc(2026, 10, 27, 0)), hours{25});
  EXPECT_EQ(show(*sundays.next_open(utc(2026, 10, 24, 12))), show(utc(2026, 10, 24, 23)));
  EXPECT_EQ(show(*sundays.next_close(utc(2026, 10, 24, 12))), show(utc(2026, 10, 26, 0)));

  // Office hours keep their wall-clock times on both sides of the change.
  const BusinessCalendar daily(hours_in("Europe/London", {{5, {kOpen, kClose}}, {6, {kOpen, kClose}}}));
  EXPECT_EQ(show(*daily.next_open(utc(2026, 3, 28, 12))), show(utc(2026, 3, 29, 8)));
  EXPECT_EQ(daily.between(utc(2026, 3, 28, 0), utc(2026, 3, 30, 0)), hours{16});
}

TEST(CalendarTest, LocalTimesInTheGapAndTheRepeatedHour) {
  // 01:30-03:00 every Sunday. On 29 March 01:00-02:00 local does not exist: the period opens at
  // the first valid instant, 02:00 BST (01:00 UTC), and closes at 03:00 BST (02:00 UTC).
  const BusinessCalendar cal(hours_in("Europe/London", {{6, {90, 180}}}));
  EXPECT_EQ(cal.between(utc(2026, 3, 28, 0), utc(2026, 3, 30, 0)), hours{1});
  EXPECT_EQ(show(*cal.next_open(utc(2026, 3, 28, 0))), show(utc(2026, 3, 29, 1)));
  // On 25 October 01:00-02:00 local happens twice: 01:30 is its first occurrence (BST, 00:30
  // UTC); 03:00 GMT is 03:00 UTC: 2.5 h.
  EXPECT_EQ(cal.between(utc(2026, 10, 24, 0), utc(2026, 10, 26, 0)), minutes{150});
  EXPECT_EQ(show(*cal.next_open(utc(2026, 10, 24, 0))), show(utc(2026, 10, 25, 0, 30)));
  EXPECT_TRUE(cal.is_open(utc(2026, 10, 25, 1, 10)));  // 01:10 GMT, the second 01:10
  // A period wholly inside the gap is empty that day.
  const BusinessCalendar gap(hours_in("Europe/London", {{6, {60, 120}}}));
  EXPECT_EQ(gap.between(utc(2026, 3, 28, 0), utc(2026, 3, 30, 0)), hours{0});
  EXPECT_EQ(gap.between(utc(2026, 4, 4, 0), utc(2026, 4, 6, 0)), hours{1});
}

TEST(CalendarTest, OvernightShiftAcrossDstChange) {
  // Saturday 22:00 - Sunday 06:00.
  const BusinessCalendar cal(hours_in("Europe/London", {{5, {1320, 360}}}));
  // 28/29 March: 22:00 GMT = 22:00 UTC to 06:00 BST = 05:00 UTC: 7 h.
  EXPECT_EQ(cal.between(utc(2026, 3, 28, 0), utc(2026, 3, 30, 0)), hours{7});
  EXPECT_EQ(show(cal.add(utc(2026, 3, 28, 12), hours{7})), show(utc(2026, 3, 29, 5)));
  EXPECT_EQ(show(*cal.next_close(utc(2026, 3, 28, 23))), show(utc(2026, 3, 29, 5)));
  // 24/25 October: 22:00 BST = 21:00 UTC to 06:00 GMT = 06:00 UTC: 9 h.
  EXPECT_EQ(cal.between(utc(2026, 10, 24, 0), utc(2026, 10, 26, 0)), hours{9});
  EXPECT_TRUE(cal.is_open(utc(2026, 10, 25, 5, 59)));
  EXPECT_FALSE(cal.is_open(utc(2026, 10, 25, 6)));
}

TEST(CalendarTest, HolidayClosesPeriodsStartingOnIt) {
  // Saturday 22:00 - Sunday 06:00 with Sunday 29 March a holiday: the shift started on Saturday
  // still runs into Sunday morning.
  const BusinessCalendar sunday_off(hours_in("Europe/London", {{5, {1320, 360}}}, {"2026-03-29"}));
  EXPECT_EQ(sunday_off.between(utc(2026, 3, 28, 0), utc(2026, 3, 30, 0)), hours{7});
  EXPECT_TRUE(sunday_off.is_open(utc(2026, 3, 29, 3)));
  // With Saturday 24 October a holiday that night's shift does not happen at all.
  const BusinessCalendar saturday_off(
      hours_in("Europe/London", {{5, {1320, 360}}}, {"2026-10-24"}));
  EXPECT_EQ(saturday_off.between(utc(2026, 10, 24, 0), utc(2026, 10, 26, 0)), hours{0});
  EXPECT_FALSE(saturday_off.is_open(utc(2026, 10, 25, 3)));
  EXPECT_EQ(saturday_off.between(utc(2026, 10, 31, 0), utc(2026, 11, 2, 0)), hours{8});
}

TEST(CalendarTest, NextOpenAndCloseAreTransitions) {
  const BusinessCalendar cal(office("Europe/London"));
  const TimePoint opening = utc(2026, 6, 15, 8);  // Monday 09:00 BST
  EXPECT_EQ(cal.next_open(opening), opening);
  EXPECT_EQ(show(*cal.next_open(opening + minutes{1})), show(utc(2026, 6, 16, 8)));
  EXPECT_EQ(show(*cal.next_close(opening)), show(utc(2026, 6, 15, 16)));
  EXPECT_EQ(cal.next_close(utc(2026, 6, 15, 16)), utc(2026, 6, 15, 16));
  // Touching periods merge: 09:00-12:00 + 12:00-17:00 closes at 17:00 only.
  const BusinessCalendar split(hours_in("Europe/London", {{0, {kOpen, 720}}, {0, {720, kClose}}}));
  EXPECT_EQ(show(*split.next_close(opening)), show(utc(2026, 6, 15, 16)));
  EXPECT_EQ(show(*split.next_open(opening + hours{1})), show(utc(2026, 6, 22, 8)));
}

TEST(CalendarTest, EmptyCalendarDoesNotHang) {
  const BusinessCalendar none(hours_in("Europe/London", {}));
  const TimePoint t = utc(2026, 6, 15, 8);
  EXPECT_FALSE(none.is_open(t));
  EXPECT_EQ(none.add(t, hours{1}), TimePoint::max());
  EXPECT_EQ(none.between(t, t + hours{24 * 365}), hours{0});
  EXPECT_FALSE(none.next_open(t));
  EXPECT_FALSE(none.next_close(t));
  // Hours on paper, but every date for 500 days a holiday: add gives up after kMaxClosedDays
  // closed dates in a row; between still counts exactly.
  config::BusinessHours blocked = office("Europe/London");
  for (date::sys_days d = date::sys_days{date::year{2026} / 6 / 15}, end = d + date::days{500};
       d < end; d += date::days{1}) {
    blocked.holidays.push_back(date::format("%F", d));
  }
  const BusinessCalendar cal(blocked);
  EXPECT_EQ(cal.add(t, hours{1}), TimePoint::max());
  EXPECT_FALSE(cal.next_open(t));
  // The last holiday is Wednesday 27 October 2027; Thursday and Friday are open.
  EXPECT_EQ(cal.between(t, utc(2027, 10, 28, 0)), hours{0});
  EXPECT_EQ(cal.between(t, utc(2027, 11, 1, 0)), hours{16});
  // A calendar that never closes has no next closing.
  config::BusinessHours all_week;
  all_week.timezone = "Europe/London";
  for (auto& day : all_week.week) day.push_back({0, 1440});
  const BusinessCalendar always(all_week);
  EXPECT_TRUE(always.is_open(t));
  EXPECT_FALSE(always.next_close(t));
  EXPECT_EQ(always.between(utc(2026, 3, 28, 0), utc(2026, 3, 30, 0)), hours{48});
}

TEST(CalendarTest, RejectsBadConfig) {
  config::BusinessHours bad_zone = office("Mars/Olympus_Mons");
  EXPECT_THROW(BusinessCalendar{bad_zone}, std::runtime_error);
  EXPECT_THROW(BusinessCalendar(office("UTC", {"2026-02-30"})), std::invalid_argument);
  EXPECT_THROW(BusinessCalendar(office("UTC", {"26-02-01"})), std::invalid_argument);
  EXPECT_THROW(BusinessCalendar(hours_in("UTC", {{0, {0, 1441}}})), std::invalid_argument);
  EXPECT_THROW(BusinessCalendar(hours_in("UTC", {{0, {1440, 60}}})), std::invalid_argument);
}

TEST(CalendarTest, ChathamQuarterHourOffsets) {
  // Pacific/Chatham: +12:45 standard, +13:45 daylight from Sunday 27 September 2026 02:45 local.
  // Sunday 02:00-04:00 that day: 02:00 +12:45 = 13:15 UTC (26th); 04:00 +13:45 = 14:15 UTC.
  const BusinessCalendar cal(hours_in("Pacific/Chatham", {{6, {120, 240}}}));
  EXPECT_EQ(cal.between(utc(2026, 9, 26, 0), utc(2026, 9, 28, 0)), hours{1});
  EXPECT_EQ(show(*cal.next_open(utc(2026, 9, 26, 0))), show(utc(2026, 9, 26, 13, 15)));
  EXPECT_EQ(show(*cal.next_close(utc(2026, 9, 26, 0))), show(utc(2026, 9, 26, 14, 15)));
}

// ---------------------------------------------------------------------------------------------
// The oracle: a dumb minute-by-minute walk. For each UTC minute it asks date/tz for the local
// wall time (UTC -> local is unambiguous) and applies the rules directly to that wall time.
// The one subtlety is that after a fall back the wall clock goes back; the rules say a period
// starts and ends at the FIRST instant the wall clock shows its time, so the oracle tests the
// latest wall time shown so far (the "high-water mark") instead of the current one. Across a
// spring-forward gap that also makes a skipped start time count as reached at the jump.
// Every boundary is a whole UTC minute in these zones, so openness is constant per UTC minute.

const TimePoint kWindowStart = utc(2026, 1, 1, 0);
const TimePoint kWindowEnd = utc(2028, 3, 1, 0);

int64_t floor_div(int64_t a, int64_t b) { return a / b - ((a % b != 0) && ((a < 0) != (b < 0))); }

struct Oracle {
  std::vector<uint8_t> open;  // per UTC minute from kWindowStart

  Oracle(const config::BusinessHours& h, const std::vector<int64_t>& wall_minute) {
    // Holidays by local day number (days since 1970-01-01), formatted with snprintf.
    std::unordered_set<std::string> holiday_names(h.holidays.begin(), h.holidays.end());
    const int64_t first_day = floor_div(wall_minute.front(), 1440) - 1;
    const int64_t last_day = floor_div(wall_minute.back(), 1440) + 1;
    std::vector<uint8_t> holiday(last_day - first_day + 1);
    for (int64_t d = first_day; d <= last_day; ++d) {
      const date::year_month_day ymd{date::sys_days{date::days{d}}};
      char name[16];
      std::snprintf(name, sizeof name, "%04d-%02u-%02u", int(ymd.year()), unsigned(ymd.month()),
                    unsigned(ymd.day()));
      holiday[d - first_day] = holiday_names.count(name) ? 1 : 0;
    }
    open.resize(wall_minute.size());
    const size_t n = wall_minute.size();
    for (size_t i = 0; i < n; ++i) {
      const int64_t day = wall_minute[i] / 1440;  // 2026..2028: positive
      const int64_t m = wall_minute[i] - day * 1440;
      const int weekday = int((day % 7 + 7 + 3) % 7);  // 1970-01-01 was a Thursday; 0 = Monday
      const int yesterday = (weekday + 6) % 7;
      bool is_open = false;
      if (!holiday[day - first_day]) {
        for (const config::DayHours& r : h.week[weekday]) {
          if (r.end_minute > r.start_minute && m >= r.start_minute && m < r.end_minute) is_open = true;
          if (r.end_minute < r.start_minute && m >= r.start_minute) is_open = true;
        }
      }
      if (!holiday[day - 1 - first_day]) {
        for (const config::DayHours& r : h.week[yesterday]) {
          if (r.end_minute < r.start_minute && m < r.end_minute) is_open = true;
        }
      }
      open[i] = is_open;
    }
  }

  // Queries work in whole milliseconds since kWindowStart, on plain integers (fast in Debug).
  static constexpr int64_t kMinute = 60'000;
  static int64_t ms(TimePoint t) { return date::floor<milliseconds>(t - kWindowStart).count(); }
  static TimePoint at(int64_t ms) { return kWindowStart + milliseconds{ms}; }

  bool is_open(TimePoint t) const { return open[size_t(ms(t) / kMinute)]; }

  milliseconds between(TimePoint a, TimePoint b) const {
    const uint8_t* o = open.data();
    int64_t total = 0;
    for (int64_t t = ms(a), end = ms(b); t < end;) {
      const int64_t next = std::min((t / kMinute + 1) * kMinute, end);
      if (o[t / kMinute]) total += next - t;
      t = next;
    }
    return milliseconds{total};
  }

  // nullopt if the answer lies beyond the window.
  std::optional<TimePoint> add(TimePoint t, milliseconds amount) const {
    if (amount <= milliseconds{0}) return t;
    const uint8_t* o = open.data();
    int64_t left = amount.count();
    const int64_t start = ms(t);
    for (int64_t i = start / kMinute; i < int64_t(open.size()); ++i) {
      if (!o[i]) continue;
      const int64_t from = std::max(start, i * kMinute);
      const int64_t here = (i + 1) * kMinute - from;
      if (left <= here) return at(from + left);
      left -= here;
    }
    return std::nullopt;
  }

  // The first minute boundary x >= t where openness flips to `to_open`; nullopt beyond window.
  std::optional<TimePoint> next_transition(TimePoint t, bool to_open) const {
    const uint8_t* o = open.data();
    int64_t i = (ms(t) + kMinute - 1) / kMinute;  // first boundary at or after t
    for (; i < int64_t(open.size()); ++i) {
      if (i > 0 && bool(o[i]) == to_open && bool(o[i - 1]) != to_open) return at(i * kMinute);
    }
    return std::nullopt;
  }
};

std::vector<int64_t> wall_minutes(const date::time_zone* zone) {
  std::vector<int64_t> out;
  int64_t high_water = std::numeric_limits<int64_t>::min();
  for (TimePoint t = kWindowStart; t < kWindowEnd; t += minutes{1}) {
    const auto local = date::floor<minutes>(zone->to_local(t));
    high_water = std::max<int64_t>(high_water, local.time_since_epoch().count());
    out.push_back(high_water);
  }
  return out;
}

// UTC instants where the zone's offset changes inside the window.
std::vector<TimePoint> dst_changes(const date::time_zone* zone) {
  std::vector<TimePoint> out;
  for (TimePoint t = kWindowStart; t < kWindowEnd;) {
    const date::sys_info info = zone->get_info(date::floor<seconds>(t));
    // Compare in seconds: a zone without changes ends its last period at sys_seconds::max(),
    // which overflows as nanoseconds.
    if (info.end >= date::floor<seconds>(kWindowEnd) || info.end <= t) break;
    out.push_back(info.end);
    t = info.end;
  }
  return out;
}

std::string describe(const config::BusinessHours& h) {
  std::ostringstream s;
  s << h.timezone << " {";
  static const char* names[] = {"mon", "tue", "wed", "thu", "fri", "sat", "sun"};
  for (int d = 0; d < 7; ++d) {
    s << names[d] << ':';
    for (const auto& r : h.week[d]) s << '[' << r.start_minute << ',' << r.end_minute << ')';
    s << ' ';
  }
  s << "holidays:";
  for (const auto& x : h.holidays) s << ' ' << x;
  return s.str() + "}";
}

// Period boundaries worth testing in a zone: the local wall times on both sides of each of its
// DST changes and half an hour around them, midnight, and a few others.
std::vector<int> risky_minutes(const date::time_zone* zone, const std::vector<TimePoint>& changes) {
  std::vector<int> out = {0, 30, 60, 90, 120, 180, 1380, 1410, 1435};
  for (TimePoint c : changes) {
    for (TimePoint side : {c - minutes{1}, c}) {
      const auto local = date::floor<minutes>(zone->to_local(side));
      int m = int((local - date::floor<date::days>(local)).count());
      if (side < c) m += 1;  // the end of the last minute before the change
      for (int delta : {-30, 0, 30}) out.push_back(((m + delta) % 1440 + 1440) % 1440);
    }
  }
  std::sort(out.begin(), out.end());
  out.erase(std::unique(out.begin(), out.end()), out.end());
  return out;
}

int pick_minute(std::mt19937& rng, const std::vector<int>& risky) {
  if (rng() % 5 < 3) return risky[rng() % risky.size()];
  return int(rng() % 288) * 5;
}

config::BusinessHours random_hours(std::mt19937& rng, const std::string& zone,
                                   const std::vector<TimePoint>& changes,
                                   const std::vector<int>& risky) {
  config::BusinessHours h;
  h.timezone = zone;
  for (auto& day : h.week) {
    const int n = int(rng() % 4);  // 0..3 ranges
    for (int k = 0; k < n; ++k) {
      const int kind = int(rng() % 8);
      int s = pick_minute(rng, risky), e = pick_minute(rng, risky);
      if (kind == 0) {
        day.push_back({0, 1440});
      } else if (kind <= 2) {  // overnight
        if (s != e) day.push_back({std::max(s, e), std::min(s, e)});
      } else {
        if (rng() % 4 == 0) e = 1440;
        if (s != e) day.push_back({std::min(s, e), std::max(s, e)});
      }
    }
  }
  // Holidays on and next to the DST change dates, and a few anywhere in the window.
  auto add_holiday = [&](TimePoint t) {
    h.holidays.push_back(date::format("%F", date::floor<date::days>(t)));
  };
  for (TimePoint c : changes) {
    if (rng() % 3 == 0) add_holiday(c + date::days{int(rng() % 3) - 1});
  }
  for (int k = 0; k < 8; ++k) add_holiday(kWindowStart + minutes{rng() % 1'100'000});
  return h;
}

// Random instant: mostly within hours or days of a DST change, sometimes anywhere in 2026/27.
TimePoint random_instant(std::mt19937& rng, const std::vector<TimePoint>& changes) {
  TimePoint t;
  const unsigned kind = rng() % 10;
  if (!changes.empty() && kind < 4) {
    t = changes[rng() % changes.size()] + minutes{int(rng() % (2 * 360)) - 360};
  } else if (!changes.empty() && kind < 7) {
    t = changes[rng() % changes.size()] + minutes{int(rng() % (6 * 1440)) - 3 * 1440};
  } else {
    t = utc(2026, 1, 10, 0) + minutes{rng() % (720 * 1440)};
  }
  if (rng() % 3 == 0) t += milliseconds{rng() % 60'000};  // not on a minute boundary
  return t;
}

milliseconds random_amount(std::mt19937& rng) {
  switch (rng() % 5) {
    case 0: return milliseconds{rng() % 3'600'000};                // under an hour
    case 1: return minutes{rng() % 600};                           // up to 10 h
    case 2: return minutes{rng() % (200 * 60)};                    // up to 200 h
    case 3: return hours{rng() % 48};
    default: return minutes{rng() % 3000} + milliseconds{rng() % 1000};
  }
}

void compare_with_oracle(const std::string& zone_name, uint32_t seed) {
  const date::time_zone* zone = date::locate_zone(zone_name);
  const std::vector<int64_t> wall = wall_minutes(zone);
  const std::vector<TimePoint> changes = dst_changes(zone);
  const std::vector<int> risky = risky_minutes(zone, changes);
  std::mt19937 rng(seed);

  int checks = 0, skipped = 0;
  std::vector<config::BusinessHours> calendars;
  calendars.push_back(office(zone_name, {"2026-12-25", "2027-01-01"}));
  // Night desk: 22:00-06:00 Monday to Friday, plus Saturday morning.
  calendars.push_back(hours_in(zone_name, {{0, {1320, 360}}, {1, {1320, 360}}, {2, {1320, 360}},
                                           {3, {1320, 360}}, {4, {1320, 360}}, {5, {480, 720}}}));
  if (!changes.empty()) {
    // Periods with boundaries inside the skipped / repeated local hour (lo..hi) of the zone's
    // changes, which all happen early on a Sunday: they start, end or run overnight into it.
    const auto before = date::floor<minutes>(zone->to_local(changes.front() - minutes{1}));
    const auto after = date::floor<minutes>(zone->to_local(changes.front()));
    const int m1 = int((before - date::floor<date::days>(before)).count()) + 1;
    const int m2 = int((after - date::floor<date::days>(after)).count());
    const int lo = std::min(m1, m2), hi = std::max(m1, m2);
    calendars.push_back(hours_in(zone_name, {{6, {lo + 15, hi + 15}}, {0, {lo + 15, hi + 15}}}));
    calendars.push_back(hours_in(zone_name, {{5, {1380, lo + 30}}, {6, {hi + 30, hi + 90}}}));
    calendars.push_back(hours_in(zone_name, {{6, {0, lo + 30}}, {6, {1320, hi - 15}}}));
  }
  for (int k = 0; k < 6; ++k) calendars.push_back(random_hours(rng, zone_name, changes, risky));

  for (const config::BusinessHours& spec : calendars) {
    const BusinessCalendar cal(spec);
    const Oracle oracle(spec, wall);
    const std::string what = describe(spec);
    for (int i = 0; i < 300; ++i) {
      const TimePoint t = random_instant(rng, changes);
      ASSERT_EQ(cal.is_open(t), oracle.is_open(t)) << what << " at " << show(t);
      ++checks;
    }
    for (int i = 0; i < 250; ++i) {
      const TimePoint t = random_instant(rng, changes);
      const milliseconds amount = random_amount(rng);
      const std::optional<TimePoint> expected = oracle.add(t, amount);
      if (!expected) {
        ++skipped;
        continue;
      }
      ASSERT_EQ(show(cal.add(t, amount)), show(*expected))
          << what << " add " << amount.count() << " ms to " << show(t);
      ASSERT_EQ(cal.add(t, amount), *expected);  // to the millisecond
      ++checks;
    }
    for (int i = 0; i < 250; ++i) {
      const TimePoint a = random_instant(rng, changes);
      const TimePoint b = a + milliseconds{rng() % (15LL * 24 * 3600 * 1000)};
      ASSERT_EQ(cal.between(a, b).count(), oracle.between(a, b).count())
          << what << " between " << show(a) << " and " << show(b);
      ASSERT_EQ(cal.between(b, a).count(), 0);
      ++checks;
    }
    for (int i = 0; i < 100; ++i) {
      const TimePoint t = random_instant(rng, changes);
      const std::optional<TimePoint> open_at = oracle.next_transition(t, true);
      const std::optional<TimePoint> close_at = oracle.next_transition(t, false);
      if (open_at) {
        ASSERT_TRUE(cal.next_open(t).has_value()) << what << " next_open " << show(t);
        ASSERT_EQ(show(*cal.next_open(t)), show(*open_at)) << what << " next_open " << show(t);
        ++checks;
      } else {
        ++skipped;
      }
      if (close_at) {
        ASSERT_TRUE(cal.next_close(t).has_value()) << what << " next_close " << show(t);
        ASSERT_EQ(show(*cal.next_close(t)), show(*close_at)) << what << " next_close " << show(t);
        ++checks;
      } else {
        ++skipped;
      }
    }
  }
  std::printf("%s: %d comparisons with the oracle, %d skipped (answer beyond the window)\n",
              zone_name.c_str(), checks, skipped);
  // The comparisons must actually have happened.
  EXPECT_GT(checks, 7000) << "skipped " << skipped;
  EXPECT_LT(skipped, checks / 20);
}

TEST(CalendarOracleTest, EuropeLondon) { compare_with_oracle("Europe/London", 1); }
TEST(CalendarOracleTest, AmericaNewYork) { compare_with_oracle("America/New_York", 2); }
TEST(CalendarOracleTest, AustraliaSydney) { compare_with_oracle("Australia/Sydney", 3); }
TEST(CalendarOracleTest, AsiaKolkata) { compare_with_oracle("Asia/Kolkata", 4); }
TEST(CalendarOracleTest, PacificChatham) { compare_with_oracle("Pacific/Chatham", 5); }

// The oracle itself must see what the fixed cases say, or it could agree with a wrong answer.
TEST(CalendarOracleTest, OracleAgreesWithHandComputedCases) {
  const date::time_zone* london = date::locate_zone("Europe/London");
  const std::vector<int64_t> wall = wall_minutes(london);
  const Oracle sundays(hours_in("Europe/London", {{6, {0, 1440}}}), wall);
  EXPECT_EQ(sundays.between(utc(2026, 3, 28, 0), utc(2026, 3, 31, 0)), hours{23});
  EXPECT_EQ(sundays.between(utc(2026, 10, 24, 0), utc(2026, 10, 27, 0)), hours{25});
  const Oracle gap(hours_in("Europe/London", {{6, {90, 180}}}), wall);
  EXPECT_EQ(gap.between(utc(2026, 3, 28, 0), utc(2026, 3, 30, 0)), hours{1});
  EXPECT_EQ(gap.between(utc(2026, 10, 24, 0), utc(2026, 10, 26, 0)), minutes{150});
  const Oracle overnight(hours_in("Europe/London", {{5, {1320, 360}}}, {"2026-03-29"}), wall);
  EXPECT_EQ(overnight.between(utc(2026, 3, 28, 0), utc(2026, 3, 30, 0)), hours{7});
  const Oracle office_hours(office("Europe/London", {"2026-08-31"}), wall);
  EXPECT_EQ(*office_hours.add(utc(2026, 8, 28, 14), hours{4}), utc(2026, 9, 1, 10));
  EXPECT_EQ(*office_hours.next_transition(utc(2026, 8, 28, 14), false), utc(2026, 8, 28, 16));
}

}  // namespace
}  // namespace lookout::alerting
