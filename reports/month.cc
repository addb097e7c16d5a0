#include "reports/month.h"

#include <cstdio>

namespace lookout::reports {

std::string Month::text() const {
  char buf[16];
  std::snprintf(buf, sizeof buf, "%04d-%02u", year, month);
  return buf;
}

std::optional<Month> parse_month(std::string_view s) {
  if (s.size() != 7 || s[4] != '-') return std::nullopt;
  for (size_t i = 0; i < s.size(); ++i)
    if (i != 4 && (s[i] < '0' || s[i] > '9')) return std::nullopt;
  int y = std::stoi(std::string(s.substr(0, 4)));
  unsigned m = static_cast<unsigned>(std::stoi(std::string(s.substr(5, 2))));
  if (y < 2000 || y > 2199 || m < 1 || m > 12) return std::nullopt;
  return Month{y, m};
}

namespace {
TimePoint midnight(const date::time_zone* z, date::local_days d) {
  // Midnight may not exist (a zone that springs forward at 00:00): the first instant after.
  auto info = z->get_info(date::local_seconds(d.time_since_epoch()));
  if (info.result == date::local_info::nonexistent)
    return std::chrono::time_point_cast<TimePoint::duration>(info.first.end);
  return std::chrono::time_point_cast<TimePoint::duration>(
      z->to_sys(date::local_seconds(d.time_since_epoch()), date::choose::earliest));
}
}  // namespace

MonthSpan month_span(const Month& m, const std::string& zone) {
  MonthSpan s;
  s.month = m;
  s.zone = date::locate_zone(zone);
  date::year_month ym{date::year(m.year), date::month(m.month)};
  date::local_days first{ym / 1};
  date::local_days next{(ym + date::months(1)) / 1};
  s.start = midnight(s.zone, first);
  s.end = midnight(s.zone, next);
  for (auto d = first; d < next; d += date::days(1)) {
    LocalDay day;
    day.date = date::format("%F", d);
    day.start = midnight(s.zone, d);
    day.end = midnight(s.zone, d + date::days(1));
    s.days.push_back(std::move(day));
  }
  return s;
}

std::string MonthSpan::local_date(TimePoint t) const {
  auto local = zone->to_local(std::chrono::floor<std::chrono::seconds>(t));
  return date::format("%F", std::chrono::floor<date::days>(local));
}

std::string MonthSpan::local_time(TimePoint t, bool seconds) const {
  auto local = zone->to_local(std::chrono::floor<std::chrono::seconds>(t));
  return seconds ? date::format("%F %T", local)
                 : date::format("%F %H:%M", std::chrono::floor<std::chrono::minutes>(local));
}

}  // namespace lookout::reports
