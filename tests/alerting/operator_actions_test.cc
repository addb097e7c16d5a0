// The operator side of incidents and tickets (AlertingService with a real SqliteStore and a
// ManualClock): acknowledgement, hold/resume/solve/comment with SLA clocks paused and outcomes
// recorded durably, and maintenance windows holding incidents back and raising them at the end.
#include "alerting/alerting_service.h"

#include <gtest/gtest.h>

#include <date/date.h>

#include "store/sqlite_store.h"
#include "tests/support/temp_dir.h"

using namespace lookout;
using namespace lookout::alerting;
using namespace std::chrono_literals;

namespace {

// March 2026: the 4th is a Wednesday; London is on GMT (local = UTC).
TimePoint at(int day, int h, int m) {
  return TimePoint(date::sys_days(date::year(2026) / 3 / day)) + std::chrono::hours(h) +
         std::chrono::minutes(m);
}

config::Config make_config(bool around_the_clock) {
  config::Config cfg;
  config::SinkConfig hook;
  hook.id = "hook";
  hook.type = "webhook";
  hook.url = "http://127.0.0.1:1/hook";
  cfg.alerting.sinks.push_back(hook);
  config::Client c;
  c.id = "acme";
  c.hours.timezone = "Europe/London";
  for (int d = 0; d < 5; ++d) c.hours.week[d].push_back({9 * 60, 17 * 60});
  c.contract.coverage_24x7 = around_the_clock;
  c.contract.sla["P1"] = {1h, 4h};
  c.alerting.tickets = std::vector<std::string>{"builtin", "hook"};
  c.alerting.pages = std::vector<std::string>{"hook"};
  config::Site www;
  www.id = "www";
  www.name = "www";
  www.url = "http://127.0.0.1/";
  c.sites.push_back(www);
  cfg.clients.push_back(c);
  auto check = std::make_shared<config::Check>();
  check->spec.client_id = "acme";
  check->spec.site_id = "www";
  check->spec.check_id = "http";
  check->spec.type = "http";
  cfg.checks.push_back(check);
  return cfg;
}

struct OperatorTest : ::testing::Test {
  lookout::testing::TempDir dir;
  ManualClock clock{at(4, 10, 0)};
  std::unique_ptr<store::SqliteStore> db = open_store();
  std::unique_ptr<AlertingService> service;
  std::vector<Notification> sent;
  std::mutex sent_mutex;
  config::Config cfg;

  std::unique_ptr<store::SqliteStore> open_store() {
    store::StoreOptions o;
    o.path = dir.path() + "/ops.db";
    o.clock = &clock;
    return std::make_unique<store::SqliteStore>(o);
  }
  void start(config::Config c) {
    cfg = std::move(c);
    service = std::make_unique<AlertingService>(*db, clock);
    service->set_on_committed([this](std::vector<Notification> n) {
      std::lock_guard lock(sent_mutex);
      for (auto& x : n) sent.push_back(std::move(x));
    });
    service->start(cfg);
  }
  void restart() {
    service->wait_idle();
    service.reset();
    db.reset();
    db = open_store();
    start(cfg);
  }
  void result(probes::Status s, const std::string& summary = "HTTP 503 from 127.0.0.1") {
    auto r = probes::make_result(s, s == probes::Status::ok ? net::FailureKind::none : net::FailureKind::http_status, summary);
    r.started = clock.now();
    service->on_result(cfg.checks[0]->spec, {}, r);
    service->wait_idle();
  }
  std::vector<std::string> events(const std::string& audience = "") {
    service->wait_idle();
    std::lock_guard lock(sent_mutex);
    std::vector<std::string> out;
    for (const auto& n : sent) {
      auto body = nlohmann::json::parse(n.body);
      if (audience.empty() || body["audience"] == audience) out.push_back(n.event);
    }
    return out;
  }
  nlohmann::json ticket(const std::string& ref = "LK-1") { return service->ticket_json(ref).value_or(nullptr); }
  nlohmann::json outcome(const std::string& key) {
    auto v = db->value("sla_outcome", key);
    return v ? nlohmann::json::parse(*v) : nlohmann::json(nullptr);
  }
};

TEST_F(OperatorTest, AcknowledgeOpensTheTicketRecordsResponseMetAndTellsThePager) {
  start(make_config(true));  // 24x7: the P1 pages at once, SLA in calendar time
  result(probes::Status::critical);
  clock.advance(1min);
  result(probes::Status::critical);
  ASSERT_EQ(ticket()["status"], "new");
  EXPECT_EQ(events("page"), (std::vector<std::string>{"incident.opened"}));

  clock.set(at(4, 10, 11));
  Mutation m = service->acknowledge("acme/www/http#1", "alice", "looking");
  ASSERT_TRUE(m.ok()) << m.message;
  EXPECT_EQ(m.body["acknowledged_by"], "alice");
  EXPECT_EQ(m.body["acknowledged"], "2026-03-04T10:11:00.000Z");
  auto t = ticket();
  EXPECT_EQ(t["status"], "open");
  EXPECT_EQ(t["acknowledged_by"], "alice");
  EXPECT_EQ(t["timeline"].back()["kind"], "acknowledged");
  EXPECT_EQ(t["timeline"].back()["detail"]["by"], "alice");
  // Response: opened 10:01, due 11:01, acknowledged 10:11: met with 50 minutes to spare.
  auto response = outcome("LK-1:acme/www/http#1:response");
  ASSERT_TRUE(response.is_object());
  EXPECT_EQ(response["result"], "met");
  EXPECT_EQ(response["by_ms"], 50 * 60 * 1000);
  EXPECT_EQ(response["due"], "2026-03-04T11:01:00.000Z");
  EXPECT_EQ(response["client"], "acme");
  EXPECT_EQ(response["priority"], "P1");
  EXPECT_EQ(events("page"), (std::vector<std::string>{"incident.opened", "incident.acknowledged"}));
  EXPECT_EQ(events("tickets"), (std::vector<std::string>{"incident.opened"}));  // tickets sinks: not an ack

  // Again: nothing changes, nothing is sent; unknown: not found.
  EXPECT_TRUE(service->acknowledge("acme/www/http#1", "bob", "").ok());
  EXPECT_EQ(ticket()["acknowledged_by"], "alice");
  EXPECT_EQ(events("page").size(), 2u);
  EXPECT_EQ(service->acknowledge("acme/www/http#9", "bob", "").failure, ActionFailure::not_found);

  // Survives a restart; the incident shows its acknowledgement.
  restart();
  auto open = service->incidents_json("open");
  ASSERT_EQ(open.size(), 1u);
  EXPECT_EQ(open[0]["acknowledged_by"], "alice");
  EXPECT_TRUE(outcome("LK-1:acme/www/http#1:response").is_object());

  // Recovery at 15:01: resolution (4 h) breached by one hour; the resolved incident can't be acked.
  clock.set(at(4, 15, 1));
  result(probes::Status::ok, "HTTP 200");
  result(probes::Status::ok, "HTTP 200");
  auto resolution = outcome("LK-1:acme/www/http#1:resolution");
  ASSERT_TRUE(resolution.is_object());
  EXPECT_EQ(resolution["result"], "breached");
  EXPECT_EQ(resolution["by_ms"], 60 * 60 * 1000);
  EXPECT_EQ(resolution["breached_at"], "2026-03-04T14:01:00.000Z");
  EXPECT_EQ(service->acknowledge("acme/www/http#1", "bob", "").failure, ActionFailure::conflict);
}

TEST_F(OperatorTest, HoldPausesTheClocksResumeMovesTheDueTimesSolveRecordsBoth) {
  start(make_config(false));  // business hours 09-17 Mon-Fri
  result(probes::Status::critical);
  result(probes::Status::critical);  // opened 10:00: response due 11:00, resolution 14:00
  EXPECT_EQ(ticket()["response_due"], "2026-03-04T11:00:00.000Z");

  clock.set(at(4, 10, 15));
  Mutation m = service->ticket_action("LK-1", "hold", "bob", "waiting for the host");
  ASSERT_TRUE(m.ok()) << m.message;
  EXPECT_EQ(m.body["status"], "on_hold");
  EXPECT_EQ(service->ticket_action("LK-1", "hold", "bob", "").ok(), true);  // already: no change
  clock.set(at(4, 10, 45));
  m = service->ticket_action("LK-1", "resume", "bob", "");
  ASSERT_TRUE(m.ok()) << m.message;
  EXPECT_EQ(m.body["status"], "open");
  EXPECT_EQ(m.body["response_due"], "2026-03-04T11:30:00.000Z");    // 30 min on hold
  EXPECT_EQ(m.body["resolution_due"], "2026-03-04T14:30:00.000Z");
  EXPECT_EQ(service->ticket_action("LK-1", "resume", "bob", "").failure, ActionFailure::conflict);

  clock.set(at(4, 11, 0));
  m = service->ticket_action("LK-1", "comment", "carol", "called the host");
  ASSERT_TRUE(m.ok());
  EXPECT_EQ(m.body["timeline"].back()["detail"]["text"], "called the host");

  // Solved by hand at 11:40, never acknowledged: 70 min of running time -> response breached by
  // 10 min, resolution met with 170 min left.
  clock.set(at(4, 11, 40));
  m = service->ticket_action("LK-1", "solve", "carol", "host rebooted");
  ASSERT_TRUE(m.ok()) << m.message;
  EXPECT_EQ(m.body["status"], "solved");
  auto response = outcome("LK-1:acme/www/http#1:response");
  EXPECT_EQ(response["result"], "breached");
  EXPECT_EQ(response["by_ms"], 10 * 60 * 1000);
  auto resolution = outcome("LK-1:acme/www/http#1:resolution");
  EXPECT_EQ(resolution["result"], "met");
  EXPECT_EQ(resolution["by_ms"], 170 * 60 * 1000);
  std::vector<std::string> kinds;
  for (const auto& e : m.body["timeline"]) kinds.push_back(e["kind"]);
  EXPECT_EQ(kinds, (std::vector<std::string>{"created", "on_hold", "resumed", "comment", "sla.response_breached",
                                             "sla.resolution_met", "solved"}));
  EXPECT_EQ(service->ticket_action("LK-1", "hold", "bob", "").failure, ActionFailure::conflict);
  EXPECT_EQ(service->ticket_action("LK-7", "comment", "bob", "x").failure, ActionFailure::not_found);

  // The incident resolving later adds a note, records nothing twice.
  result(probes::Status::ok, "HTTP 200");
  result(probes::Status::ok, "HTTP 200");
  EXPECT_EQ(ticket()["timeline"].back()["kind"], "note");
  EXPECT_EQ(db->values("sla_outcome").size(), 2u);
}

TEST_F(OperatorTest, MaintenanceHoldsTheIncidentAndRaisesItTheMomentTheWindowEnds) {
  auto c = make_config(true);
  config::MaintenanceWindow w;
  w.id = "config:acme:1";
  w.source = "config";
  w.client = "acme";
  w.site = "www";
  w.from = at(4, 10, 0);
  w.to = at(4, 11, 0);
  c.maintenance.push_back(w);
  start(c);
  clock.set(at(4, 10, 10));
  result(probes::Status::critical);
  result(probes::Status::critical);
  auto open = service->incidents_json("open");
  ASSERT_EQ(open.size(), 1u);
  EXPECT_EQ(open[0]["maintenance"], true);
  EXPECT_TRUE(open[0]["ticket"].is_null());
  EXPECT_TRUE(events().empty());
  EXPECT_FALSE(ticket().is_object());
  EXPECT_EQ(service->next_wakeup(), at(4, 11, 0));
  clock.set(at(4, 10, 59));
  service->tick();
  EXPECT_TRUE(events().empty());

  clock.set(at(4, 11, 0));
  service->tick();
  service->wait_idle();
  open = service->incidents_json("open");
  EXPECT_EQ(open[0]["maintenance"], false);
  EXPECT_EQ(open[0]["opened"], "2026-03-04T11:00:00.000Z");
  EXPECT_EQ(ticket()["status"], "new");
  EXPECT_EQ(events("tickets"), (std::vector<std::string>{"incident.opened"}));
  EXPECT_EQ(events("page"), (std::vector<std::string>{"incident.opened"}));
  service->tick();
  EXPECT_EQ(events().size(), 2u);  // raised once
}

TEST_F(OperatorTest, AnIncidentNotifiedBeforeAWindowIsNotNotifiedAgainAndApiWindowsAreDurable) {
  start(make_config(true));
  result(probes::Status::critical);
  result(probes::Status::critical);
  ASSERT_EQ(events().size(), 2u);  // opened: tickets + page

  config::MaintenanceWindow w;
  w.client = "acme";
  w.site = "www";
  ASSERT_FALSE(config::parse_maintenance(config::MaintenanceFields{"2026-03-04 10:00", "2026-03-04 12:00",
                                                                  std::nullopt, std::nullopt, std::nullopt}, w));
  Mutation m = service->add_maintenance(w);
  ASSERT_TRUE(m.ok()) << m.message;
  EXPECT_EQ(m.body["id"], "mw-1");
  clock.set(at(4, 10, 30));
  result(probes::Status::warning, "slow");  // severity change during the window: recorded only
  EXPECT_EQ(events().size(), 2u);
  clock.set(at(4, 12, 0));
  service->tick();
  result(probes::Status::critical);
  EXPECT_EQ(events(), (std::vector<std::string>{"incident.opened", "incident.opened", "incident.updated"}));

  // Bad scope, bad times; an API window survives a restart and can be deleted; a config one not.
  config::MaintenanceWindow bad = w;
  bad.site = "nope";
  m = service->add_maintenance(bad);
  EXPECT_TRUE(m.invalid);
  EXPECT_NE(m.message.find("unknown scope"), std::string::npos);
  restart();
  auto windows = service->maintenance_json();
  ASSERT_EQ(windows.size(), 1u);
  EXPECT_EQ(windows[0]["id"], "mw-1");
  EXPECT_EQ(windows[0]["from"], "2026-03-04T10:00:00.000Z");
  auto iv = service->maintenance_intervals("acme", "www", "http", at(4, 0, 0), at(5, 0, 0));
  ASSERT_EQ(iv.size(), 1u);
  EXPECT_EQ(iv[0].to, at(4, 12, 0));
  EXPECT_EQ(service->delete_maintenance("mw-2").failure, ActionFailure::not_found);
  EXPECT_TRUE(service->delete_maintenance("mw-1").ok());
  restart();
  EXPECT_TRUE(service->maintenance_json().empty());
  // Ids keep counting after a delete and a restart.
  m = service->add_maintenance(w);
  EXPECT_EQ(m.body["id"], "mw-2");
}

TEST_F(OperatorTest, AnIncidentOpenedAndGoneWithinAWindowIsNeverNotified) {
  auto c = make_config(true);
  config::MaintenanceWindow w;
  w.id = "config:acme:1";
  w.client = "acme";
  w.kind = config::MaintenanceWindow::Kind::weekly;
  w.days[2] = true;  // Wednesdays 10:00-11:00 London
  w.start_minute = 600;
  w.end_minute = 660;
  c.maintenance.push_back(w);
  start(c);
  clock.set(at(4, 10, 5));
  result(probes::Status::critical);
  result(probes::Status::critical);
  clock.set(at(4, 10, 20));
  result(probes::Status::ok, "HTTP 200");
  result(probes::Status::ok, "HTTP 200");
  clock.set(at(4, 11, 5));
  service->tick();
  EXPECT_TRUE(events().empty());
  auto resolved = service->incidents_json("resolved");
  ASSERT_EQ(resolved.size(), 1u);
  EXPECT_EQ(resolved[0]["maintenance"], true);
  EXPECT_TRUE(resolved[0]["ticket"].is_null());
}

}  // namespace
