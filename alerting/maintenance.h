// alerting::MaintenanceSchedule: when maintenance windows (config/maintenance.h) are in force,
// as instants. Pure logic over fixed instants: occurrences of one window in a range, whether a
// check is in maintenance at t (and until when), and the merged intervals of a scope in a range
// (what a report excludes).
//
// Local times are converted per local date through the client's IANA zone (never by adding
// 24 h): a start or end in a spring-forward gap becomes the end of the gap; an ambiguous one
// (fall back) takes its first occurrence. A recurring window starts on each matching local date
// at its start time and ends at its end time that day, or the next day when end <= start
// (overnight). Monthly: the first..fourth or last given weekday of each month.
#pragma once

#include <chrono>
#include <map>
#include <optional>
#include <string>
#include <vector>

#include <date/tz.h>

#include "config/maintenance.h"
#include "store/store.h"

namespace lookout::alerting {

using TimePoint = std::chrono::system_clock::time_point;

struct WindowInterval {
  TimePoint from{}, to{};
  std::string window;  // the window's id (of the first when merged)
};

/// The occurrences of `w` in `zone` that overlap [from, to), in order of start, unclipped.
std::vector<WindowInterval> occurrences(const config::MaintenanceWindow& w,
                                        const date::time_zone& zone, TimePoint from, TimePoint to);

class MaintenanceSchedule {
 public:
  /// The windows and each client's zone (IANA name; unknown or missing = UTC).
  void set(std::vector<config::MaintenanceWindow> windows,
           const std::map<std::string, std::string>& client_zones);
  const std::vector<config::MaintenanceWindow>& windows() const { return windows_; }

  /// The window in force for this check at t, with `to` extended over windows that follow
  /// without a gap (back-to-back or overlapping); nullopt when none.
  std::optional<WindowInterval> active(const std::string& client, const std::string& site,
                                       const std::string& check, TimePoint t) const;

  /// For a report: the maintenance intervals of a scope within [from, to), merged and clipped.
  /// The scope is a check (client, site and check given: windows of the client, the site and
  /// the check), a site (check empty: windows of the client and the site) or a client (site
  /// empty: client-wide windows).
  std::vector<WindowInterval> intervals(const std::string& client, const std::string& site,
                                        const std::string& check, TimePoint from,
                                        TimePoint to) const;

  /// The next start of a window of `w` at or after t (for the API); nullopt when none within a
  /// year.
  std::optional<WindowInterval> next(const config::MaintenanceWindow& w, TimePoint t) const;
  /// The zone of a client (UTC when unknown).
  const date::time_zone& zone(const std::string& client) const;

 private:
  std::vector<config::MaintenanceWindow> windows_;
  std::map<std::string, const date::time_zone*> zones_;
};

/// The windows added through the API, as the store keeps them (values "maintenance"/<id>), each
/// resolved in its client's zone; unreadable ones are logged and skipped. The agent loads them at
/// start; the monthly report reads them beside the running agent.
std::map<std::string, config::MaintenanceWindow> stored_windows(
    store::Store& store, const std::map<std::string, std::string>& client_zones);

}  // namespace lookout::alerting
