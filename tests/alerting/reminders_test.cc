// Status updates (docs/alerting.md "Status updates"): incident.reminder every
// contract.sla.<P>.updates of business time (calendar time on 24x7) while a P1/P2 incident is
// open and notified; across a closed weekend and a DST change; stopping at resolve, or at
// acknowledgement under `updates_until: ack`. Driven by tick() and a ManualClock, never sleeping.
#include <gtest/gtest.h>

#include "alerting/policy.h"
#include "tests/alerting/service_harness.h"

using namespace lookout;
using namespace std::chrono_literals;
using lookout::probes::Status;
using lookout::testing::ServiceHarness;
using lookout::testing::utc;

namespace {

std::string clients(const std::string& contract) {
  return R"(
alerting:
  sinks:
    - {id: hook, type: webhook, url: "http://127.0.0.1:9/hook"}
  defaults: {tickets: [builtin, hook]}
clients:
  - id: acme
    timezone: Europe/London
    business_hours: {mon-fri: "09:00-17:00"}
    contract: )" + contract + R"(
    sites:
      - id: www
        url: http://www.example.com/
        checks: [{type: http}, {type: tls}]
)";
}

struct Reminders : ::testing::Test {
  ServiceHarness h{utc(2026, 3, 27, 16, 29) + 30s};  // Friday, London on GMT until Sunday
  std::vector<nlohmann::json> reminders(const std::string& key = "acme/www/http") {
    return h.sent_for(key, "incident.reminder", "hook");
  }
  void tick_at(alerting::TimePoint t) {
    h.clock.set(t);
    h.svc->tick();
  }
};

TEST_F(Reminders, P1CountsBusinessHoursAcrossAClosedWeekendAndTheDstChange) {
  h.load(clients("{sla: {P1: {response: 1h, resolution: 4h}}}"));
  h.start();
  h.fail("acme/www/http");  // 16:29:30 and 16:30:00: opened Friday 16:30 GMT, P1
  ASSERT_EQ(h.incident("acme/www/http")["priority"], "P1");
  ASSERT_EQ(h.incident("acme/www/http")["opened"], "2026-03-27T16:30:00.000Z");
  // 30 business minutes left on Friday, then closed until Monday 09:00 - now BST (UTC+1).
  tick_at(utc(2026, 3, 27, 16, 59));
  tick_at(utc(2026, 3, 27, 17, 30));
  tick_at(utc(2026, 3, 28, 12, 0));
  tick_at(utc(2026, 3, 29, 12, 0));
  tick_at(utc(2026, 3, 30, 8, 29));  // Monday 09:29 BST
  EXPECT_TRUE(reminders().empty());
  EXPECT_TRUE(h.svc->due_reminders(h.clock.now()).empty());
  h.clock.set(utc(2026, 3, 30, 8, 30));
  EXPECT_EQ(h.svc->due_reminders(h.clock.now()), std::vector<std::string>{"acme/www/http"});
  tick_at(utc(2026, 3, 30, 8, 30));  // Monday 09:30 BST: one business hour after opening
  auto r = reminders();
  ASSERT_EQ(r.size(), 1u);
  EXPECT_EQ(r[0]["event"], "incident.reminder");
  EXPECT_EQ(r[0]["audience"], "tickets");
  EXPECT_EQ(r[0]["at"], "2026-03-30T08:30:00.000Z");
  const std::string why = r[0]["sent_for"];
  EXPECT_NE(why.find("still failing since 2026-03-27T16:29:30.000Z"), std::string::npos) << why;
  EXPECT_NE(why.find("critical acme/www/http"), std::string::npos) << why;  // the last reason
  EXPECT_NE(why.find("response due 2026-03-30T08:30:00.000Z"), std::string::npos) << why;
  EXPECT_NE(why.find("resolution due 2026-03-30T11:30:00.000Z"), std::string::npos) << why;
  EXPECT_TRUE(r[0]["ticket"].is_object());
  // Same tick again: nothing more. The next one an hour of business time later.
  h.svc->tick();
  tick_at(utc(2026, 3, 30, 9, 29));
  EXPECT_EQ(reminders().size(), 1u);
  tick_at(utc(2026, 3, 30, 9, 30));
  ASSERT_EQ(reminders().size(), 2u);
  // Each has its own idempotency key; the ticket's timeline has them.
  EXPECT_NE(reminders()[0]["idempotency_key"], reminders()[1]["idempotency_key"]);
  auto ticket = h.svc->ticket_json(h.incident("acme/www/http")["ticket"].get<std::string>());
  ASSERT_TRUE(ticket.has_value());
  int noted = 0;
  for (const auto& e : (*ticket)["timeline"]) noted += e["kind"] == "reminder" ? 1 : 0;
  EXPECT_EQ(noted, 2);
  // Resolved: no more.
  h.clock.set(utc(2026, 3, 30, 9, 40));
  h.recover("acme/www/http");
  tick_at(utc(2026, 3, 30, 15, 0));
  EXPECT_EQ(reminders().size(), 2u);
}

TEST_F(Reminders, TwentyFourSevenCountsCalendarTimeThroughTheDstNight) {
  h.clock.set(utc(2026, 3, 28, 23, 59) + 30s);  // Saturday night GMT; clocks go forward at 01:00Z
  h.load(clients("{coverage: 24x7, sla: {P2: {response: 4h, resolution: 1d}}}"));
  h.start();
  h.fail("acme/www/tls");  // opened Sunday 00:00Z, P2: every 2h of calendar time
  ASSERT_EQ(h.incident("acme/www/tls")["priority"], "P2");
  tick_at(utc(2026, 3, 29, 1, 59));
  EXPECT_TRUE(reminders("acme/www/tls").empty());
  tick_at(utc(2026, 3, 29, 2, 0));   // 03:00 BST: two real hours, one wall-clock hour skipped
  tick_at(utc(2026, 3, 29, 3, 59));
  tick_at(utc(2026, 3, 29, 4, 0));
  auto r = reminders("acme/www/tls");
  ASSERT_EQ(r.size(), 2u);
  EXPECT_EQ(r[0]["at"], "2026-03-29T02:00:00.000Z");
  EXPECT_EQ(r[1]["at"], "2026-03-29T04:00:00.000Z");
}

TEST_F(Reminders, ConfiguredIntervalAndNoneForP3) {
  h.load(clients("{coverage: 24x7, sla: {P1: {response: 1h, resolution: 4h, updates: 30m}}}"));
  h.start();
  h.run("acme/www/tls", Status::warning);
  h.run("acme/www/tls", Status::warning);  // P3 (opened first, so not held): no status updates
  h.fail("acme/www/http");                 // P1 every 30 min
  ASSERT_TRUE(h.incident("acme/www/tls")["held_by"].is_null());
  ASSERT_EQ(h.incident("acme/www/tls")["priority"], "P3");
  const auto opened = *alerting::parse_time(h.incident("acme/www/http")["opened"]);
  tick_at(opened + 30min);
  tick_at(opened + 60min);
  tick_at(opened + 10h);  // away for hours: one update, not a burst of twenty
  EXPECT_EQ(reminders().size(), 3u);
  EXPECT_TRUE(reminders("acme/www/tls").empty());
  tick_at(opened + 10h + 29min);
  EXPECT_EQ(reminders().size(), 3u);
  tick_at(opened + 10h + 30min);  // counted from the last one
  EXPECT_EQ(reminders().size(), 4u);
}

TEST_F(Reminders, ARestartNeitherRepeatsNorForgetsTheSchedule) {
  h.load(clients("{coverage: 24x7}"));
  h.start();
  h.fail("acme/www/http");
  const auto opened = *alerting::parse_time(h.incident("acme/www/http")["opened"]);
  tick_at(opened + 1h);
  ASSERT_EQ(reminders().size(), 1u);
  h.clock.set(opened + 1h + 15min);
  h.restart();
  h.svc->tick();
  EXPECT_EQ(reminders().size(), 1u);
  tick_at(opened + 2h);
  EXPECT_EQ(reminders().size(), 2u);
}

TEST_F(Reminders, HeldIncidentsGetNone) {
  h.load(clients("{coverage: 24x7}"));
  h.start();
  h.fail("acme/www/http");
  h.fail("acme/www/tls");  // held by the site's http incident
  ASSERT_FALSE(h.incident("acme/www/tls")["held_by"].is_null());
  tick_at(h.clock.now() + 5h);
  EXPECT_TRUE(reminders("acme/www/tls").empty());
  EXPECT_EQ(reminders().size(), 1u);  // the http one: 1 per hour, one after an absence
}

// Acknowledgement comes from the API (another part of the agent): here it is written into the
// stored incident as the API does, and the service restarted over it.
void acknowledge(ServiceHarness& h, const std::string& key, alerting::TimePoint at) {
  h.stop();
  auto text = h.db->value("incident", key);
  ASSERT_TRUE(text.has_value());
  auto j = nlohmann::json::parse(*text);
  j["acknowledged"] = alerting::format_time(at);
  j["acknowledged_by"] = "ana";
  store::Transaction tx;
  tx.values.push_back(store::Value{"incident", key, j.dump()});
  ASSERT_TRUE(h.db->commit_and_wait(std::move(tx)).ok);
  h.start();
}

TEST_F(Reminders, AcknowledgementStopsThemOnlyUnderUpdatesUntilAck) {
  for (const char* until : {"ack", "resolved"}) {
    SCOPED_TRACE(until);
    ServiceHarness s{utc(2026, 3, 4, 10, 0)};
    s.load(clients(std::string("{coverage: 24x7, updates_until: ") + until + "}"));
    s.start();
    s.fail("acme/www/http");
    const auto opened = *alerting::parse_time(s.incident("acme/www/http")["opened"]);
    acknowledge(s, "acme/www/http", opened + 10min);
    EXPECT_EQ(s.incident("acme/www/http")["acknowledged_by"], "ana");
    s.clock.set(opened + 1h);
    s.svc->tick();
    s.clock.set(opened + 2h);
    s.svc->tick();
    EXPECT_EQ(s.sent_for("acme/www/http", "incident.reminder").size(),
              std::string(until) == "ack" ? 0u : 2u);
  }
}

TEST(ReminderPolicy, NextReminderRules) {
  config::Client c;
  c.id = "acme";
  c.contract.coverage_24x7 = true;
  c.contract.updates["P2"] = 45min;
  auto policy = alerting::ClientPolicy::from_config(c, {});
  EXPECT_EQ(alerting::update_interval(policy, alerting::Priority::P1), std::chrono::milliseconds(1h));
  EXPECT_EQ(alerting::update_interval(policy, alerting::Priority::P2), std::chrono::milliseconds(45min));
  EXPECT_FALSE(alerting::update_interval(policy, alerting::Priority::P3));
  alerting::Incident i;
  i.open = true;
  i.priority = alerting::Priority::P1;
  i.opened = utc(2026, 3, 4, 10, 0);
  EXPECT_EQ(alerting::next_reminder(policy, i), utc(2026, 3, 4, 11, 0));
  i.reminded = utc(2026, 3, 4, 11, 0);
  EXPECT_EQ(alerting::next_reminder(policy, i), utc(2026, 3, 4, 12, 0));
  i.acknowledged = utc(2026, 3, 4, 10, 5);
  EXPECT_TRUE(alerting::next_reminder(policy, i));  // default: until resolved
  policy.contract.updates_until_ack = true;
  EXPECT_FALSE(alerting::next_reminder(policy, i));
  i.acknowledged.reset();
  i.held_by = "acme/www/http#1";
  EXPECT_FALSE(alerting::next_reminder(policy, i));
  i.held_by.clear();
  i.open = false;
  EXPECT_FALSE(alerting::next_reminder(policy, i));
  i.open = true;
  policy.tickets.clear();  // no ticket sink: nobody to update
  EXPECT_FALSE(alerting::next_reminder(policy, i));
}

}  // namespace
