#include "config/time_text.h"

#include <cstdio>

namespace lookout::config {
using TimePoint = std::chrono::system_clock::time_point;

std::string rfc3339(TimePoint t) {
  using namespace std::chrono;
  auto ms = floor<milliseconds>(t);
  auto day = floor<days>(ms);
  year_month_day ymd{sys_days(day)};
  auto in_day = (ms - day).count();
  char buf[40];
  std::snprintf(buf, sizeof buf, "%04d-%02u-%02uT%02d:%02d:%02d.%03dZ", static_cast<int>(ymd.year()),
                static_cast<unsigned>(ymd.month()), static_cast<unsigned>(ymd.day()),
                static_cast<int>(in_day / 3'600'000), static_cast<int>(in_day / 60'000 % 60),
                static_cast<int>(in_day / 1000 % 60), static_cast<int>(in_day % 1000));
  return buf;
}

std::optional<TimePoint> parse_rfc3339(std::string_view s) {
  using namespace std::chrono;
  size_t i = 0;
  auto digits = [&](size_t n) -> std::optional<int> {
    if (i + n > s.size()) return std::nullopt;
    int v = 0;
    for (size_t k = 0; k < n; ++k) {
      char c = s[i + k];
      if (c < '0' || c > '9') return std::nullopt;
      v = v * 10 + (c - '0');
    }
    i += n;
    return v;
  };
  auto expect = [&](std::string_view chars) {
    if (i < s.size() && chars.find(s[i]) != std::string_view::npos) {
      ++i;
      return true;
    }
    return false;
  };
  auto y = digits(4);
  if (!y || !expect("-")) return std::nullopt;
  auto mo = digits(2);
  if (!mo || !expect("-")) return std::nullopt;
  auto d = digits(2);
  if (!d || !expect("Tt ")) return std::nullopt;
  auto h = digits(2);
  if (!h || !expect(":")) return std::nullopt;
  auto mi = digits(2);
  if (!mi || !expect(":")) return std::nullopt;
  auto sec = digits(2);
  if (!sec) return std::nullopt;
  int ms = 0;
  if (expect(".")) {
    size_t start = i;
    int scale = 100;
    while (i < s.size() && s[i] >= '0' && s[i] <= '9') {
      ms += (s[i] - '0') * scale;
      scale /= 10;
      ++i;
    }
    if (i == start) return std::nullopt;
  }
  int offset_minutes = 0;
  if (!expect("Zz")) {
    if (i >= s.size()) return std::nullopt;
    int sign = s[i] == '-' ? -1 : (s[i] == '+' || s[i] == ' ') ? 1 : 0;
    if (!sign) return std::nullopt;
    ++i;
    auto oh = digits(2);
    if (!oh || !expect(":")) return std::nullopt;
    auto om = digits(2);
    if (!om || *oh > 23 || *om > 59) return std::nullopt;
    offset_minutes = sign * (*oh * 60 + *om);
  }
  if (i != s.size()) return std::nullopt;
  year_month_day ymd{year(*y), month(static_cast<unsigned>(*mo)), day(static_cast<unsigned>(*d))};
  if (!ymd.ok() || *h > 23 || *mi > 59 || *sec > 60) return std::nullopt;
  if (!year_fits_clock(*y)) return std::nullopt;
  return TimePoint(sys_days(ymd) + hours(*h) + minutes(*mi) + seconds(*sec) + milliseconds(ms) -
                   minutes(offset_minutes));
}

namespace {

// A cursor over an HTTP-date: each step consumes exactly what the grammar allows.
struct DateCursor {
  std::string_view s;
  size_t i = 0;
  bool lit(std::string_view t) {
    if (s.substr(i, t.size()) != t) return false;
    i += t.size();
    return true;
  }
  std::optional<int> digits(size_t n) {
    if (i + n > s.size()) return std::nullopt;
    int v = 0;
    for (size_t k = 0; k < n; ++k) {
      char c = s[i + k];
      if (c < '0' || c > '9') return std::nullopt;
      v = v * 10 + (c - '0');
    }
    i += n;
    return v;
  }
  std::optional<int> month() {
    static constexpr std::string_view names[] = {"Jan", "Feb", "Mar", "Apr", "May", "Jun",
                                                 "Jul", "Aug", "Sep", "Oct", "Nov", "Dec"};
    for (int m = 0; m < 12; ++m)
      if (lit(names[m])) return m + 1;
    return std::nullopt;
  }
  // "HH:MM:SS" -> seconds of the day
  std::optional<int> time_of_day() {
    auto h = digits(2);
    if (!h || !lit(":")) return std::nullopt;
    auto m = digits(2);
    if (!m || !lit(":")) return std::nullopt;
    auto sec = digits(2);
    if (!sec || *h > 23 || *m > 59 || *sec > 60) return std::nullopt;
    return *h * 3600 + *m * 60 + *sec;
  }
};

std::optional<TimePoint> make_time(int y, int mo, int d, int secs) {
  using namespace std::chrono;
  year_month_day ymd{year(y), month(static_cast<unsigned>(mo)), day(static_cast<unsigned>(d))};
  if (!ymd.ok()) return std::nullopt;
  if (!year_fits_clock(y)) return std::nullopt;
  return TimePoint(sys_days(ymd) + seconds(secs));
}

}  // namespace

std::optional<TimePoint> parse_http_date(std::string_view s, TimePoint now) {
  static constexpr std::string_view short_days[] = {"Mon", "Tue", "Wed", "Thu", "Fri", "Sat", "Sun"};
  static constexpr std::string_view long_days[] = {"Monday", "Tuesday", "Wednesday", "Thursday",
                                                   "Friday", "Saturday", "Sunday"};
  // IMF-fixdate: day-name "," SP 2DIGIT SP month SP 4DIGIT SP time SP "GMT"
  for (auto name : short_days) {
    DateCursor c{s};
    if (!c.lit(name) || !c.lit(", ")) continue;
    auto d = c.digits(2);
    if (!d || !c.lit(" ")) return std::nullopt;
    auto mo = c.month();
    if (!mo || !c.lit(" ")) return std::nullopt;
    auto y = c.digits(4);
    if (!y || !c.lit(" ")) return std::nullopt;
    auto t = c.time_of_day();
    if (!t || !c.lit(" GMT") || c.i != s.size()) return std::nullopt;
    return make_time(*y, *mo, *d, *t);
  }
  // rfc850-date: day-name-l "," SP 2DIGIT "-" month "-" 2DIGIT SP time SP "GMT"
  for (auto name : long_days) {
    DateCursor c{s};
    if (!c.lit(name) || !c.lit(", ")) continue;
    auto d = c.digits(2);
    if (!d || !c.lit("-")) return std::nullopt;
    auto mo = c.month();
    if (!mo || !c.lit("-")) return std::nullopt;
    auto yy = c.digits(2);
    if (!yy || !c.lit(" ")) return std::nullopt;
    auto t = c.time_of_day();
    if (!t || !c.lit(" GMT") || c.i != s.size()) return std::nullopt;
    // RFC 9110: a two-digit year that appears to be more than 50 years in the future is the
    // most recent past year with the same last two digits.
    using namespace std::chrono;
    const int this_year = static_cast<int>(year_month_day{floor<days>(now)}.year());
    int y = this_year - this_year % 100 + *yy;
    if (y > this_year + 50) y -= 100;
    return make_time(y, *mo, *d, *t);
  }
  // asctime-date: day-name SP month SP ( 2DIGIT / ( SP 1DIGIT )) SP time SP 4DIGIT
  for (auto name : short_days) {
    DateCursor c{s};
    if (!c.lit(name) || !c.lit(" ")) continue;
    auto mo = c.month();
    if (!mo || !c.lit(" ")) return std::nullopt;
    std::optional<int> d = c.lit(" ") ? c.digits(1) : c.digits(2);
    if (!d || !c.lit(" ")) return std::nullopt;
    auto t = c.time_of_day();
    if (!t || !c.lit(" ")) return std::nullopt;
    auto y = c.digits(4);
    if (!y || c.i != s.size()) return std::nullopt;
    return make_time(*y, *mo, *d, *t);
  }
  return std::nullopt;
}

}  // namespace lookout::config
