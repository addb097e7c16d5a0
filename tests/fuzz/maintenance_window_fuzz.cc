// libFuzzer target: a maintenance window from an API body (config/maintenance.h, the JSON that
// POST /api/v1/maintenance accepts and the store keeps) and its expansion (alerting/
// maintenance.h). Whatever the bytes: no crash, no exception out of the parser, a problem or a
// window; a window resolves in a zone or says why, and its occurrences over a month lie in
// order, each non-empty and at most a day and an hour long when recurring.
#include <chrono>
#include <cstddef>
#include <cstdint>
#include <cstdlib>
#include <string_view>

#include <nlohmann/json.hpp>

#include "alerting/maintenance.h"
#include "config/maintenance.h"

using namespace lookout;

extern "C" int LLVMFuzzerTestOneInput(const uint8_t* data, size_t size) {
  std::string_view text(reinterpret_cast<const char*>(data), size);
  auto j = nlohmann::json::parse(text, nullptr, false);
  if (j.is_discarded()) return 0;
  config::MaintenanceWindow w;
  if (config::maintenance_from_json(j, w)) return 0;
  for (const char* zone : {"UTC", "Europe/London", "Pacific/Chatham", "No/Such_Zone"}) {
    config::MaintenanceWindow z = w;
    if (config::resolve_once(z, zone)) continue;
    (void)z.to_json();
    const auto from = std::chrono::system_clock::time_point(std::chrono::seconds(1'790'000'000));
    auto occ = alerting::occurrences(z, *date::locate_zone("Europe/London"), from, from + std::chrono::hours(24 * 31));
    for (size_t i = 0; i < occ.size(); ++i) {
      if (occ[i].to <= occ[i].from) std::abort();
      if (z.kind != config::MaintenanceWindow::Kind::once && occ[i].to - occ[i].from > std::chrono::hours(25))
        std::abort();
      if (i && occ[i].from < occ[i - 1].from) std::abort();
    }
  }
  return 0;
}
