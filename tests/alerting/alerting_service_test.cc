// AlertingService across a restart (kill -9 between two changes of one incident): the restored
// incident numbers its next notification after the ones already made, so `resolved` never
// reuses the Idempotency-Key of `opened` (a receiver deduplicating by key would drop it).
#include "alerting/alerting_service.h"

#include <gtest/gtest.h>

#include <mutex>

#include "config/loader.h"
#include "probes/probe_registry.h"
#include "store/sqlite_store.h"
#include "tests/support/temp_dir.h"

using namespace lookout;
using namespace std::chrono_literals;

namespace {

config::Config load() {
  auto r = config::load_config_text(
      "alerting:\n  sinks:\n    - {id: hook, type: webhook, url: 'http://127.0.0.1:9/hook'}\n"
      "  defaults:\n    tickets: [builtin, hook]\n"
      "clients:\n  - id: acme\n    sites:\n      - id: www\n        url: http://127.0.0.1:9/\n"
      "        checks: [{type: http, failure_threshold: 2, success_threshold: 2}]\n",
      "t.yaml", probes::check_types());
  EXPECT_TRUE(r.config) << r.errors.to_string();
  return r.config ? std::move(*r.config) : config::Config{};
}

probes::Result result(probes::Status s) {
  probes::Result r;
  r.status = s;
  r.summary = s == probes::Status::ok ? "HTTP 200" : "HTTP 503";
  return r;
}

struct Agent {
  std::unique_ptr<store::SqliteStore> db;
  std::unique_ptr<alerting::AlertingService> service;
  std::mutex mutex;
  std::vector<alerting::Notification> made;

  Agent(const std::string& path, const Clock& clock, const config::Config& cfg) {
    store::StoreOptions o;
    o.path = path;
    db = std::make_unique<store::SqliteStore>(o);
    service = std::make_unique<alerting::AlertingService>(*db, clock);
    service->set_on_committed([this](std::vector<alerting::Notification> n) {
      std::lock_guard lock(mutex);
      made.insert(made.end(), n.begin(), n.end());
    });
    service->start(cfg);
  }
};

TEST(AlertingServiceRestart, ResolvedAfterARestartGetsItsOwnIdempotencyKey) {
  lookout::testing::TempDir dir("alerting-service");
  ManualClock clock;
  const config::Config cfg = load();
  ASSERT_EQ(cfg.checks.size(), 1u);
  const auto& check = *cfg.checks[0];
  std::string opened_key;
  {
    Agent a(dir.path() + "/s.db", clock, cfg);
    a.service->on_result(check.spec, check.tags, result(probes::Status::critical));
    clock.advance(1s);
    a.service->on_result(check.spec, check.tags, result(probes::Status::critical));
    a.service->wait_idle();
    ASSERT_EQ(a.made.size(), 1u);
    EXPECT_EQ(a.made[0].event, "incident.opened");
    opened_key = a.made[0].idempotency_key;
  }  // the process ends here: what survives is what was committed
  Agent b(dir.path() + "/s.db", clock, cfg);
  for (int k = 0; k < 2; ++k) {
    clock.advance(1s);
    b.service->on_result(check.spec, check.tags, result(probes::Status::ok));
  }
  b.service->wait_idle();
  ASSERT_EQ(b.made.size(), 1u);
  EXPECT_EQ(b.made[0].event, "incident.resolved");
  EXPECT_EQ(b.made[0].incident, "acme/www/http#1");
  EXPECT_NE(b.made[0].idempotency_key, opened_key);
  EXPECT_EQ(b.made[0].seq, 2);
}

}  // namespace
