#include "config/hours.h"

#include <regex>

namespace lookout::config {

const char* const kDayNames[7] = {"mon", "tue", "wed", "thu", "fri", "sat", "sun"};

// "09:00-17:30" -> {540, 1050}; "22:00-06:00" (overnight: ends the next day) -> {1320, 360};
// "00:00-24:00" -> {0, 1440}. On a bad range, `why` says what is expected.
std::optional<DayHours> parse_hours(const std::string& text, std::string& why) {
  static const std::regex re("^([0-9]{1,2}):([0-9]{2})-([0-9]{1,2}):([0-9]{2})$");
  std::smatch m;
  if (!std::regex_match(text, m, re)) {
    why = "expected HH:MM-HH:MM on the 24-hour clock, e.g. 09:00-17:30, or closed";
    return std::nullopt;
  }
  auto minute = [&](int h_group, int m_group, bool end) -> std::optional<int> {
    int h = std::stoi(m[h_group]), mi = std::stoi(m[m_group]);
    if (h > 24 || mi > 59 || (h == 24 && mi != 0)) {
      why = m[h_group].str() + ":" + m[m_group].str() +
            " is not a time of day (hours 00-23, minutes 00-59; 24:00 only as an end)";
      return std::nullopt;
    }
    if (h == 24 && !end) {
      why = "a range cannot start at 24:00 (a range starting at midnight starts at 00:00)";
      return std::nullopt;
    }
    return h * 60 + mi;
  };
  auto start = minute(1, 2, false);
  if (!start) return std::nullopt;
  auto end = minute(3, 4, true);
  if (!end) return std::nullopt;
  if (*start == *end) {
    why = "empty range: start equals end (for the whole day use 00:00-24:00)";
    return std::nullopt;
  }
  if (*end == kMinutesPerDay && *start == 0) return DayHours{0, kMinutesPerDay};
  if (*end < *start && *end == 0) {  // "22:00-00:00" is 22:00-24:00
    return DayHours{*start, kMinutesPerDay};
  }
  return DayHours{*start, *end};
}

int day_index(const std::string& d) {
  for (int i = 0; i < 7; ++i)
    if (d == kDayNames[i]) return i;
  return -1;
}

}  // namespace lookout::config
