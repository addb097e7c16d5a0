// reports::Month: a calendar month ("2026-11") as it runs in one IANA time zone, and its local
// dates. Pure logic: the zone's rules come from tzdata, "now" is always an argument.
#pragma once

#include <chrono>
#include <optional>
#include <string>
#include <string_view>
#include <vector>

#include <date/tz.h>

namespace lookout::reports {

using TimePoint = std::chrono::system_clock::time_point;

struct Month {
  int year = 0;
  unsigned month = 0;  // 1..12
  std::string text() const;  // "2026-11"
};

/// "YYYY-MM" exactly (years 2000..2199); nullopt otherwise.
std::optional<Month> parse_month(std::string_view s);

/// One local date of the span: its text ("2026-11-03") and its UTC [start, end).
struct LocalDay {
  std::string date;
  TimePoint start, end;
};

/// The month in `zone`: [start, end) in UTC, from local midnight of the 1st to local midnight of
/// the 1st of the next month (a DST change makes a day 23 or 25 hours long; Asia/Kolkata starts
/// at 18:30 UTC the day before).
struct MonthSpan {
  Month month;
  const date::time_zone* zone = nullptr;
  TimePoint start, end;
  std::vector<LocalDay> days;
  /// The local date of t ("2026-11-03").
  std::string local_date(TimePoint t) const;
  /// Local wall time of t, "2026-11-03 14:05" (minutes) or with seconds.
  std::string local_time(TimePoint t, bool seconds = false) const;
};

/// Throws std::runtime_error for an unknown zone.
MonthSpan month_span(const Month& m, const std::string& zone);

}  // namespace lookout::reports
