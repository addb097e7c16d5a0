// net::human_duration: "84 ms", "1.2 s", "10 s": durations in messages and summaries.
#pragma once

#include <cmath>
#include <cstdio>
#include <string>

namespace lookout::net {

inline std::string human_duration(double seconds) {
  char buf[64];
  if (seconds < 1.0)
    std::snprintf(buf, sizeof buf, "%.0f ms", seconds * 1000);
  else if (std::fabs(seconds - std::round(seconds)) < 0.05)
    std::snprintf(buf, sizeof buf, "%.0f s", std::round(seconds));
  else
    std::snprintf(buf, sizeof buf, "%.1f s", seconds);
  return buf;
}

}  // namespace lookout::net
