// Times of day and weekdays as the config writes them: "09:00-17:30" ranges and mon..sun names.
// Shared by business hours (config/loader.cc) and maintenance windows (config/maintenance.h).
#pragma once

#include <optional>
#include <string>

#include "config/config.h"

namespace lookout::config {

constexpr int kMinutesPerDay = 24 * 60;
extern const char* const kDayNames[7];  // "mon" .. "sun"

/// "09:00-17:30" -> {540, 1050}; "22:00-06:00" (overnight: ends the next day) -> {1320, 360};
/// "00:00-24:00" -> {0, 1440}; "22:00-00:00" -> {1320, 1440}. On a bad range, `why` says what
/// is expected.
std::optional<DayHours> parse_hours(const std::string& text, std::string& why);

/// "mon".."sun" -> 0..6; -1 otherwise.
int day_index(const std::string& d);

}  // namespace lookout::config
