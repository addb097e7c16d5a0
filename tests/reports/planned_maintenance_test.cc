// reports::planned_maintenance: the agent's own windows (config and API-stored) reach the report
// as intervals per check, in the client's zone, within the report month.
#include "reports/maintenance.h"

#include <gtest/gtest.h>

#include "config/loader.h"
#include "config/time_text.h"
#include "probes/probe_registry.h"
#include "store/sqlite_store.h"

namespace lookout::reports {
namespace {

TimePoint at(const std::string& rfc3339) { return *config::parse_rfc3339(rfc3339); }

TEST(PlannedMaintenanceTest, ConfigAndApiWindowsBecomeIntervalsPerCheckInTheMonth) {
  const std::string text = R"(
clients:
  - id: acme
    timezone: Europe/London
    sites:
      - id: www
        url: http://127.0.0.1:1/
        maintenance:
          - {from: "2026-11-10 22:00", to: "2026-11-11 02:00", reason: server move}
          - {from: "2026-12-01 01:00", to: "2026-12-01 02:00", reason: next month}
        checks:
          - {type: http}
  - id: beta
    sites:
      - id: blog
        url: http://127.0.0.1:2/
        checks:
          - {type: http}
)";
  auto loaded = config::load_config_text(text, "x.yaml", probes::check_types());
  ASSERT_TRUE(loaded.config) << loaded.errors.to_string();

  store::StoreOptions so;
  so.path = ":memory:";
  store::SqliteStore store(so);
  // A window added through the API, as the agent stores it: Sundays 03:00-04:00 London time.
  nlohmann::json api = {{"id", "mw-1"}, {"source", "api"}, {"client", "acme"}, {"site", nullptr},
                        {"check", nullptr}, {"reason", "patching"}, {"kind", "weekly"},
                        {"weekly", "sun"}, {"time", "03:00-04:00"}};
  store.commit_and_wait(store::Transaction{{}, {store::Value{"maintenance", "mw-1", api.dump()}}});

  auto windows = planned_maintenance(*loaded.config, store, "acme", "2026-11");
  // November 2026 in London (GMT all month): 5 Sundays, plus the one-off; December's is out.
  ASSERT_EQ(windows.size(), 6u);
  int sundays = 0;
  bool one_off = false;
  for (const auto& w : windows) {
    EXPECT_EQ(w.client, "acme");
    EXPECT_EQ(w.site, "www");
    EXPECT_EQ(w.check, "http");
    if (w.from == at("2026-11-10T22:00:00Z")) {
      one_off = true;
      EXPECT_EQ(w.to, at("2026-11-11T02:00:00Z"));
    } else {
      EXPECT_EQ(w.to - w.from, std::chrono::hours(1));
      ++sundays;
    }
  }
  EXPECT_TRUE(one_off);
  EXPECT_EQ(sundays, 5);
  EXPECT_TRUE(planned_maintenance(*loaded.config, store, "beta", "2026-11").empty());
  EXPECT_TRUE(planned_maintenance(*loaded.config, store, "acme", "2026-13").empty());
}

}  // namespace
}  // namespace lookout::reports
