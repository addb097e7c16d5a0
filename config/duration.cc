#include "config/duration.h"

#include <cctype>
#include <cstdint>

namespace lookout::config {

std::optional<std::chrono::milliseconds> parse_duration(std::string_view text) {
  if (text == "0") return std::chrono::milliseconds(0);
  if (text.empty()) return std::nullopt;
  int64_t total_ms = 0;
  size_t i = 0;
  while (i < text.size()) {
    if (!std::isdigit(static_cast<unsigned char>(text[i]))) return std::nullopt;
    int64_t value = 0;
    while (i < text.size() && std::isdigit(static_cast<unsigned char>(text[i]))) {
      value = value * 10 + (text[i] - '0');
      if (value > 1'000'000'000) return std::nullopt;
      ++i;
    }
    size_t unit_start = i;
    while (i < text.size() && std::isalpha(static_cast<unsigned char>(text[i]))) ++i;
    std::string_view unit = text.substr(unit_start, i - unit_start);
    int64_t factor = 0;
    if (unit == "ms") factor = 1;
    else if (unit == "s") factor = 1000;
    else if (unit == "m") factor = 60'000;
    else if (unit == "h") factor = 3'600'000;
    else if (unit == "d") factor = 86'400'000;
    else if (unit == "w") factor = 7 * 86'400'000LL;
    else return std::nullopt;
    total_ms += value * factor;
    if (total_ms > 10LL * 365 * 86'400'000) return std::nullopt;  // ten years is plenty
  }
  return std::chrono::milliseconds(total_ms);
}

std::optional<std::chrono::milliseconds> parse_cli_duration(std::string_view text) {
  size_t digits = 0, dots = 0;
  for (char c : text) {
    if (std::isdigit(static_cast<unsigned char>(c))) ++digits;
    else if (c == '.') ++dots;
    else return parse_duration(text);
  }
  if (digits == 0 || dots > 1 || text.size() > 12) return std::nullopt;
  // whole seconds and up to three decimals, in integer arithmetic
  size_t dot = text.find('.');
  std::string_view whole = text.substr(0, dot);
  std::string fraction = dot == std::string_view::npos ? "" : std::string(text.substr(dot + 1));
  if (fraction.size() > 3) return std::nullopt;
  fraction.resize(3, '0');
  int64_t ms = 0;
  for (char c : whole) ms = ms * 10 + (c - '0');
  ms = ms * 1000 + std::stoll(fraction);
  return std::chrono::milliseconds(ms);
}

std::string format_duration(std::chrono::milliseconds d) {
  int64_t ms = d.count();
  if (ms == 0) return "0s";
  std::string out;
  auto take = [&](int64_t unit, const char* name) {
    if (ms >= unit) {
      out += std::to_string(ms / unit) + name;
      ms %= unit;
    }
  };
  take(86'400'000, "d");
  take(3'600'000, "h");
  take(60'000, "m");
  take(1000, "s");
  take(1, "ms");
  return out;
}

}  // namespace lookout::config
