// reports::MaintenanceWindow: planned maintenance as the report takes it: [from, to) per site
// or per check. The report excludes it from uptime and lists it. Plain data so that any source
// plugs in: the config or the store's maintenance records (once they exist), or a test.
#pragma once

#include <chrono>
#include <string>
#include <vector>

namespace lookout::reports {

using TimePoint = std::chrono::system_clock::time_point;

struct Interval {
  TimePoint from, to;  // [from, to)
};

struct MaintenanceWindow {
  std::string client;
  std::string site;
  std::string check;   // empty: the whole site
  TimePoint from, to;  // [from, to)
  std::string reason;
};

}  // namespace lookout::reports
