// contract.notify_client (issue 11): when an incident of a client whose contract asks for it is
// raised (its ticket made), one `incident.client_notice` (audience "client", the client's
// addresses in "to", the ticket reference) goes to the named email sink, in the same durable
// commit as the incident, with its own idempotency key; once per incident: not for updates,
// reminders or the resolve, not again after a restart, again for the check's next incident.
// A client without it gets none. Real service and store on a ManualClock.
#include <gtest/gtest.h>

#include "tests/alerting/service_harness.h"

using namespace lookout;
using namespace std::chrono_literals;
using lookout::probes::Status;
using lookout::testing::ServiceHarness;
using lookout::testing::utc;

namespace {

const char* kConfig = R"(
alerting:
  sinks:
    - {id: mail, type: email, url: "smtp://127.0.0.1:9", from: desk@agency.example, to: oncall@agency.example}
    - {id: hook, type: webhook, url: "http://127.0.0.1:9/hook"}
  defaults: {tickets: [builtin, hook]}
clients:
  - id: acme
    contract:
      coverage: 24x7
      sla: {P1: {response: 1h, resolution: 4h}}
      notify_client: {sink: mail, to: [it@acme.example, boss@acme.example]}
    sites:
      - id: www
        url: http://www.example.com/
        checks: [{type: http}]
  - id: quiet
    contract: {coverage: 24x7}
    sites:
      - id: www
        url: http://www.example.com/
        checks: [{type: http}]
)";

struct ClientNotice : ::testing::Test {
  ServiceHarness h{utc(2026, 12, 4, 10, 0)};
  void SetUp() override {
    h.load(kConfig);
    h.start();
  }
  std::vector<alerting::Notification> to_mail() {
    std::vector<alerting::Notification> out;
    for (auto& n : h.notifications())
      if (n.sink == "mail") out.push_back(n);
    return out;
  }
};

TEST_F(ClientNotice, OncePerIncidentToTheClientsAddressesWithTheTicketReference) {
  h.fail("acme/www/http");
  auto mail = to_mail();
  ASSERT_EQ(mail.size(), 1u);
  EXPECT_EQ(mail[0].event, "incident.client_notice");
  EXPECT_EQ(mail[0].incident, "acme/www/http#1");
  auto body = nlohmann::json::parse(mail[0].body);
  EXPECT_EQ(body["audience"], "client");
  EXPECT_EQ(body["to"], nlohmann::json({"it@acme.example", "boss@acme.example"}));
  EXPECT_EQ(body["ticket"]["ref"], "LK-1");
  EXPECT_EQ(body["idempotency_key"], mail[0].idempotency_key);
  // Its own key, next to the hook's incident.opened of the same incident.
  auto opened = h.sent_for("acme/www/http", "incident.opened", "hook");
  ASSERT_EQ(opened.size(), 1u);
  EXPECT_NE(opened[0]["idempotency_key"], mail[0].idempotency_key);
  // Durable with the incident: in the store's outbox.
  EXPECT_TRUE(h.db->value("outbox", mail[0].store_key()).has_value());

  // A severity change, a restart, the resolve: no second notice.
  h.run("acme/www/http", Status::warning);
  h.run("acme/www/http", Status::critical);
  h.restart();
  h.fail("acme/www/http");
  h.recover("acme/www/http");
  EXPECT_EQ(h.incident("acme/www/http")["state"], "resolved");
  EXPECT_EQ(to_mail().size(), 1u);

  // The check's next incident: a notice of its own.
  h.clock.advance(1h);
  h.fail("acme/www/http");
  mail = to_mail();
  ASSERT_EQ(mail.size(), 2u);
  EXPECT_EQ(mail[1].incident, "acme/www/http#2");

  // A client whose contract does not ask: none.
  h.fail("quiet/www/http");
  EXPECT_EQ(h.incident("quiet/www/http")["state"], "open");
  EXPECT_EQ(to_mail().size(), 2u);
}

}  // namespace
