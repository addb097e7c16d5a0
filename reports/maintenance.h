// reports::MaintenanceWindow: planned maintenance as the report takes it: [from, to) per site
// or per check. The report excludes it from uptime and lists it. Plain data so that any source
// plugs in; planned_maintenance() gives the agent's own: the config's windows and those added
// through the API (kept in the store), expanded in the client's zone.
#pragma once

#include <chrono>
#include <string>
#include <vector>

#include "config/config.h"
#include "store/store.h"

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

/// The planned maintenance of `client`'s checks within [from, to): the config's windows and the
/// API's (store values "maintenance"), one entry per check and merged interval.
std::vector<MaintenanceWindow> planned_maintenance(const config::Config& config, store::Store& store,
                                                   const std::string& client, TimePoint from,
                                                   TimePoint to);

/// The same for a report month ("YYYY-MM", in the client's zone); empty for an unknown client or
/// a malformed month (build_report reports those).
std::vector<MaintenanceWindow> planned_maintenance(const config::Config& config, store::Store& store,
                                                   const std::string& client, const std::string& month);

}  // namespace lookout::reports
