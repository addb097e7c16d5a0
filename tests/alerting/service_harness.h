// A real AlertingService on a real SqliteStore (temp dir) with a ManualClock and a config from
// the real loader: feed check results, move the clock, read what was committed for sending.
// Shared by the alerting service tests (holding, guard, reminders, restart).
#pragma once

#include <gtest/gtest.h>

#include <memory>
#include <mutex>
#include <string>
#include <vector>

#include <date/date.h>
#include <nlohmann/json.hpp>

#include "alerting/alerting_service.h"
#include "config/loader.h"
#include "probes/probe_registry.h"
#include "store/sqlite_store.h"
#include "tests/support/temp_dir.h"

namespace lookout::testing {

inline alerting::TimePoint utc(int y, unsigned mo, unsigned d, int h, int mi) {
  return alerting::TimePoint(date::sys_days(date::year(y) / mo / d)) + std::chrono::hours(h) +
         std::chrono::minutes(mi);
}

class ServiceHarness {
 public:
  explicit ServiceHarness(alerting::TimePoint start) : clock(start) { open_store(); }
  ~ServiceHarness() { stop(); }

  /// Loads `yaml` (the agent's state file is set to the temp dir) with the real loader.
  void load(const std::string& yaml) {
    const std::string text = "agent:\n  state_file: " + dir.file("cfg.db") + "\n" + yaml;
    auto r = config::load_config_text(text, "test.yaml", probes::check_types());
    ASSERT_TRUE(r.config.has_value()) << r.errors.to_string();
    cfg = *r.config;
  }

  void start() {
    svc = std::make_unique<alerting::AlertingService>(*db, clock);
    svc->set_on_committed([this](std::vector<alerting::Notification> n) {
      std::lock_guard lock(mutex);
      for (auto& x : n) sent.push_back(std::move(x));
    });
    svc->start(cfg);
  }
  /// A restart: the service goes, the store is closed and opened again, a new service starts.
  void restart() {
    stop();
    db.reset();
    open_store();
    start();
  }
  void stop() {
    if (svc) svc->wait_idle();
    svc.reset();
  }

  const config::Check& check(const std::string& key) const {
    for (const auto& c : cfg.checks)
      if (c->spec.key() == key) return *c;
    throw std::runtime_error("no check " + key);
  }
  /// One run of `key` with `status`, seen now; then the clock moves by `step`.
  void run(const std::string& key, probes::Status status, const std::string& summary = "",
           std::chrono::seconds step = std::chrono::seconds(30)) {
    const config::Check& c = check(key);
    probes::Result r;
    r.status = status;
    r.summary = summary.empty() ? std::string(probes::to_string(status)) + " " + key : summary;
    if (status != probes::Status::ok) r.failure = net::FailureKind::connect;
    svc->on_result(c.spec, c.tags, r);
    clock.advance(step);
  }
  void fail(const std::string& key, int runs = 2) {
    for (int i = 0; i < runs; ++i) run(key, probes::Status::critical);
  }
  void recover(const std::string& key, int runs = 2) {
    for (int i = 0; i < runs; ++i) run(key, probes::Status::ok);
  }

  /// Notifications committed for sending so far (after every commit completed).
  std::vector<alerting::Notification> notifications() {
    svc->wait_idle();
    std::lock_guard lock(mutex);
    return sent;
  }
  /// Those of one incident key (any number) and event, to one sink ("" = any).
  std::vector<nlohmann::json> sent_for(const std::string& key, const std::string& event,
                                       const std::string& sink = "") {
    std::vector<nlohmann::json> out;
    for (const auto& n : notifications()) {
      if (n.incident.rfind(key + "#", 0) != 0 || n.event != event) continue;
      if (!sink.empty() && n.sink != sink) continue;
      out.push_back(nlohmann::json::parse(n.body));
    }
    return out;
  }
  /// The latest incident (open, or else the newest resolved) of a check key, as the API shows it.
  nlohmann::json incident(const std::string& key) {
    svc->wait_idle();
    nlohmann::json best;
    for (const auto& i : svc->incidents_json("")) {
      if (i.value("key", "") != key) continue;
      if (best.is_null() || i.value("number", 0) > best.value("number", 0)) best = i;
    }
    return best;
  }

  lookout::testing::TempDir dir;
  ManualClock clock;
  std::unique_ptr<store::SqliteStore> db;
  config::Config cfg;
  std::unique_ptr<alerting::AlertingService> svc;
  std::mutex mutex;
  std::vector<alerting::Notification> sent;

 private:
  void open_store() {
    store::StoreOptions o;
    o.path = dir.file("state.db");
    o.clock = &clock;
    db = std::make_unique<store::SqliteStore>(o);
  }
};

}  // namespace lookout::testing
