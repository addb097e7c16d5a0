// PagerDutySink against a local Events API v2 receiver that checks every event as documented:
// trigger -> acknowledge -> resolve on one dedup_key, the trigger's fields, 400 invalid event
// parked with PagerDuty's message, 429 / 500 / hang / garbage retried with a clear reason, a
// redirect never followed, the client-side rate limit.
#include "alerting/pagerduty_sink.h"

#include <gtest/gtest.h>

#include "tests/support/pagerduty_receiver.h"
#include "tests/support/sink_fixture.h"

using namespace lookout;
using namespace lookout::alerting;
using namespace std::chrono_literals;

namespace {

const std::string kKey = "0123456789abcdef0123456789abcdef";

struct PagerDutySinkTest : lookout::testing::SinkFixture {
  lookout::testing::PagerDutyReceiver pd{kKey};
  config::SinkConfig cfg() {
    config::SinkConfig c;
    c.id = "pd";
    c.type = "pagerduty";
    c.url = pd.enqueue_url();
    c.credential = kKey;
    c.credential_source = "routing_key_env";
    c.ticket_url = "https://lookout.example.net/tickets/{ref}";
    c.rate_limit = 120;
    c.timeout = 500ms;
    return c;
  }
};

TEST_F(PagerDutySinkTest, TriggerAcknowledgeResolveOneAlert) {
  PagerDutySink sink(cfg(), resolver, tls, clock);
  Incident i = incident();
  EXPECT_EQ(deliver(sink, note("pd", i, "incident.opened", 1)).kind, Delivery::delivered);
  EXPECT_EQ(deliver(sink, note("pd", i, "incident.updated", 2)).kind, Delivery::delivered);
  // The same trigger again (an outbox retry after a crash) stays the same alert.
  EXPECT_EQ(deliver(sink, note("pd", i, "incident.updated", 2)).kind, Delivery::delivered);
  EXPECT_EQ(deliver(sink, note("pd", i, "incident.acknowledged", 3)).kind, Delivery::delivered);
  auto open = pd.open_alert("acme/shop/https");
  ASSERT_TRUE(open);
  EXPECT_EQ(open->state, "acknowledged");
  EXPECT_EQ(open->triggers, 3);
  EXPECT_EQ(deliver(sink, note("pd", i, "incident.resolved", 4)).kind, Delivery::delivered);
  EXPECT_TRUE(pd.errors().empty()) << pd.errors().front();
  auto alerts = pd.alerts();
  ASSERT_EQ(alerts.size(), 1u);
  EXPECT_EQ(alerts[0].state, "resolved");
  EXPECT_FALSE(pd.open_alert("acme/shop/https"));

  // The trigger as sent.
  const auto& e = alerts[0].last_trigger;
  EXPECT_EQ(e["dedup_key"], "acme/shop/https");
  EXPECT_EQ(e["payload"]["severity"], "critical");
  EXPECT_EQ(e["payload"]["source"], "shop.example");
  EXPECT_EQ(e["payload"]["component"], "http");
  EXPECT_EQ(e["payload"]["group"], "client:acme");
  EXPECT_EQ(e["payload"]["class"], "timeout");
  EXPECT_EQ(e["payload"]["timestamp"], "2026-03-02T03:14:07.000Z");
  EXPECT_EQ(e["payload"]["summary"], "[P1] shop https: connect timeout");
  EXPECT_EQ(e["payload"]["custom_details"]["evidence"]["error"], "connect timeout");
  EXPECT_EQ(e["payload"]["custom_details"]["ticket"], "LK-1042");
  EXPECT_EQ(e["payload"]["custom_details"]["ticket_url"], "https://lookout.example.net/tickets/LK-1042");
  EXPECT_EQ(e["links"][0]["href"], "https://lookout.example.net/tickets/LK-1042");
  // No auth header: the routing key travels in the body only.
  for (const auto& r : pd.http().requests()) EXPECT_FALSE(r.has_header("authorization"));

  // A new incident of the same check after the resolve opens a new alert.
  Incident again = incident("acme", "shop", "https", 2);
  EXPECT_EQ(deliver(sink, note("pd", again, "incident.opened", 1)).kind, Delivery::delivered);
  EXPECT_EQ(pd.alerts().size(), 2u);
}

TEST_F(PagerDutySinkTest, SeverityFromPriority) {
  EXPECT_EQ(pagerduty_severity("P1"), "critical");
  EXPECT_EQ(pagerduty_severity("P2"), "error");
  EXPECT_EQ(pagerduty_severity("P3"), "warning");
  PagerDutySink sink(cfg(), resolver, tls, clock);
  Incident i = incident();
  i.priority = Priority::P3;
  ASSERT_EQ(deliver(sink, note("pd", i, "incident.opened", 1)).kind, Delivery::delivered);
  EXPECT_EQ(pd.alerts().at(0).last_trigger["payload"]["severity"], "warning");
}

TEST_F(PagerDutySinkTest, InvalidEventIsParkedWithPagerDutysMessage) {
  auto c = cfg();
  c.credential = "short-key";  // not an integration key: PagerDuty answers 400
  PagerDutySink sink(c, resolver, tls, clock);
  Delivery d = deliver(sink, note("pd", incident(), "incident.opened", 1));
  EXPECT_EQ(d.kind, Delivery::rejected);
  EXPECT_NE(d.reason.find("Event object is invalid"), std::string::npos) << d.reason;
  EXPECT_NE(d.reason.find("routing_key"), std::string::npos) << d.reason;
}

TEST_F(PagerDutySinkTest, LongSummaryIsCutAt1024Characters) {
  PagerDutySink sink(cfg(), resolver, tls, clock);
  Incident i = incident();
  i.summary = std::string(3000, 'x');
  ASSERT_EQ(deliver(sink, note("pd", i, "incident.opened", 1)).kind, Delivery::delivered);
  EXPECT_EQ(pd.alerts().at(0).last_trigger["payload"]["summary"].get<std::string>().size(), 1024u);
  // An event over 512 KB loses its custom_details, not the page.
  i.facts = {{"body", std::string(600 * 1024, 'y')}};
  ASSERT_EQ(deliver(sink, note("pd", i, "incident.updated", 2)).kind, Delivery::delivered);
  auto details = pd.alerts().at(0).last_trigger["payload"]["custom_details"];
  EXPECT_FALSE(details.contains("evidence"));
  EXPECT_NE(details["error"].get<std::string>().find("512 KB"), std::string::npos);
}

TEST_F(PagerDutySinkTest, FaultsAreRetriedWithAClearReason) {
  PagerDutySink sink(cfg(), resolver, tls, clock);
  Incident i = incident();

  pd.set_fault(lookout::testing::Fault::throttle429, 45);
  Delivery d = deliver(sink, note("pd", i, "incident.opened", 1));
  EXPECT_EQ(d.kind, Delivery::retry);
  ASSERT_TRUE(d.retry_after);
  EXPECT_EQ(*d.retry_after, 45s);

  pd.set_fault(lookout::testing::Fault::error500);
  d = deliver(sink, note("pd", i, "incident.opened", 1));
  EXPECT_EQ(d.kind, Delivery::retry);
  EXPECT_NE(d.reason.find("HTTP 500"), std::string::npos) << d.reason;

  pd.set_fault(lookout::testing::Fault::garbage);
  d = deliver(sink, note("pd", i, "incident.opened", 1));
  EXPECT_EQ(d.kind, Delivery::retry);
  EXPECT_NE(d.reason.find("not the documented JSON"), std::string::npos) << d.reason;

  pd.set_fault(lookout::testing::Fault::hang, 0, 1500ms);
  auto started = std::chrono::steady_clock::now();
  d = deliver(sink, note("pd", i, "incident.opened", 1));
  EXPECT_EQ(d.kind, Delivery::retry);
  EXPECT_LT(std::chrono::steady_clock::now() - started, 1400ms);  // the sink's 500 ms timeout ended it
  EXPECT_NE(d.reason.find("timeout"), std::string::npos) << d.reason;
  // Let the receiver finish the hung answer before the next request.
  ASSERT_TRUE(pd.http().wait_for([](const auto& rs) { return rs.size() >= 4; }, 5s));

  pd.set_fault(lookout::testing::Fault::redirect);
  d = deliver(sink, note("pd", i, "incident.opened", 1));
  EXPECT_EQ(d.kind, Delivery::rejected);
  EXPECT_NE(d.reason.find("not followed"), std::string::npos) << d.reason;

  pd.set_fault(lookout::testing::Fault::none);
  EXPECT_EQ(deliver(sink, note("pd", i, "incident.opened", 1)).kind, Delivery::delivered);
  EXPECT_EQ(pd.alerts().size(), 1u);
}

TEST_F(PagerDutySinkTest, RateLimitWaitsInsteadOfBeingThrottled) {
  auto c = cfg();
  c.rate_limit = 3;
  PagerDutySink sink(c, resolver, tls, clock);
  Incident i = incident();
  for (int k = 1; k <= 3; ++k) ASSERT_EQ(deliver(sink, note("pd", i, "incident.updated", k)).kind, Delivery::delivered);
  Delivery d = deliver(sink, note("pd", i, "incident.updated", 4));
  EXPECT_EQ(d.kind, Delivery::retry);
  ASSERT_TRUE(d.retry_after);
  EXPECT_EQ(*d.retry_after, 60s);
  EXPECT_EQ(pd.count(), 3u);  // the fourth never went out
  clock.advance(61s);
  EXPECT_EQ(deliver(sink, note("pd", i, "incident.updated", 4)).kind, Delivery::delivered);
}

}  // namespace
