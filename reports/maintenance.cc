#include "reports/maintenance.h"

#include "alerting/maintenance.h"
#include "reports/month.h"

namespace lookout::reports {

std::vector<MaintenanceWindow> planned_maintenance(const config::Config& config, store::Store& store,
                                                   const std::string& client, TimePoint from,
                                                   TimePoint to) {
  std::map<std::string, std::string> zones;
  for (const auto& c : config.clients) zones[c.id] = c.hours.timezone;
  std::vector<config::MaintenanceWindow> windows = config.maintenance;
  for (auto& [id, w] : alerting::stored_windows(store, zones)) windows.push_back(std::move(w));
  std::vector<MaintenanceWindow> out;
  if (windows.empty()) return out;
  alerting::MaintenanceSchedule schedule;
  schedule.set(std::move(windows), zones);
  for (const auto& check : config.checks) {
    const auto& s = check->spec;
    if (s.client_id != client) continue;
    for (const auto& iv : schedule.intervals(s.client_id, s.site_id, s.check_id, from, to))
      out.push_back(MaintenanceWindow{s.client_id, s.site_id, s.check_id, iv.from, iv.to,
                                      "maintenance window " + iv.window});
  }
  return out;
}

std::vector<MaintenanceWindow> planned_maintenance(const config::Config& config, store::Store& store,
                                                   const std::string& client, const std::string& month) {
  auto m = parse_month(month);
  if (!m) return {};
  for (const auto& c : config.clients) {
    if (c.id != client) continue;
    try {
      auto span = month_span(*m, c.hours.timezone.empty() ? "UTC" : c.hours.timezone);
      return planned_maintenance(config, store, client, span.start, span.end);
    } catch (const std::exception&) {
      return {};  // an unknown zone: build_report says so
    }
  }
  return {};
}

}  // namespace lookout::reports
