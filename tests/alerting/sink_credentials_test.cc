// A sink whose credentials are refused (issue 11, docs/alerting.md "Sinks"): the notification is
// parked with a clear reason (api_client / webhook / email classify 401/403 and refused AUTH as
// Delivery::credentials_refused), and AlertingService::on_sink_refused raises one agency incident
// `_lookout/sinks/<sink>#N` to `alerting.agency` (with a built-in ticket), however many
// notifications are parked; the sink's next delivery resolves it. The agency incident survives a
// restart and a reload, and the clients' own incidents are not held by it. Real service and
// store on a ManualClock; the outbox's outcome callback is proven with a real Outbox.
#include <gtest/gtest.h>
#include <stdlib.h>

#include <boost/asio/io_context.hpp>

#include "alerting/outbox.h"
#include "tests/alerting/service_harness.h"

using namespace lookout;
using namespace std::chrono_literals;
using lookout::testing::ServiceHarness;
using lookout::testing::utc;

namespace {

const char* kConfig = R"(
alerting:
  agency: [builtin, agencyhook]
  sinks:
    - {id: agencyhook, type: webhook, url: "http://127.0.0.1:9/agency"}
    - {id: zd, type: zendesk, url: "http://127.0.0.1:9", email: agent@example.net, token_env: LOOKOUT_CRED_TEST_TOKEN}
  defaults: {tickets: [builtin, zd]}
clients:
  - id: acme
    contract: {coverage: 24x7}
    sites:
      - id: shop
        url: http://www.example.com/
        checks: [{type: http}]
)";

const std::string kKey = std::string(alerting::AlertingService::kSinkKeyPrefix) + "zd";
const std::string kReason =
    "POST /api/v2/tickets.json: HTTP 401: credentials refused (check token_env): {\"error\":\"Couldn't authenticate you\"}";

struct SinkCredentials : ::testing::Test {
  ServiceHarness h{utc(2026, 12, 4, 10, 0)};
  void SetUp() override {
    setenv("LOOKOUT_CRED_TEST_TOKEN", "wrong", 1);
    h.load(kConfig);
    h.start();
  }
};

TEST_F(SinkCredentials, RefusedCredentialsRaiseOneAgencyIncidentUntilTheSinkDeliversAgain) {
  h.fail("acme/shop/http");  // the client's incident: its zd notification is what gets refused
  ASSERT_EQ(h.sent_for("acme/shop/http", "incident.opened", "zd").size(), 1u);

  h.svc->on_sink_refused("zd", kReason);
  h.svc->on_sink_refused("zd", kReason);  // the next parked one: still one incident
  auto raised = h.sent_for(kKey, "incident.opened", "agencyhook");
  ASSERT_EQ(raised.size(), 1u);
  EXPECT_EQ(raised[0]["audience"], "agency");
  EXPECT_EQ(raised[0]["incident"]["id"], kKey + "#1");
  EXPECT_EQ(raised[0]["incident"]["client"], "_lookout");
  EXPECT_EQ(raised[0]["incident"]["priority"], "P2");
  const std::string summary = raised[0]["incident"]["summary"];
  EXPECT_NE(summary.find("sink zd: credentials refused"), std::string::npos) << summary;
  EXPECT_NE(summary.find("HTTP 401"), std::string::npos) << summary;
  EXPECT_TRUE(raised[0]["ticket"].is_object());  // builtin is among alerting.agency
  EXPECT_TRUE(h.sent_for(kKey, "incident.opened", "zd").empty());  // not to the sinks of clients
  EXPECT_EQ(h.incident(kKey)["state"], "open");
  EXPECT_EQ(h.incident(kKey)["facts"]["reason"], kReason);

  // Not a connectivity problem: the clients' incidents are not held by it.
  EXPECT_FALSE(h.svc->connectivity_suspect());
  h.fail("acme/shop/http", 0);
  EXPECT_TRUE(h.incident("acme/shop/http")["held_by"].is_null());

  // Durable: a restart and a reload keep it open (the sink is still configured).
  h.restart();
  h.svc->apply(h.cfg);
  EXPECT_EQ(h.incident(kKey)["state"], "open");
  h.svc->on_sink_refused("zd", kReason);
  EXPECT_EQ(h.sent_for(kKey, "incident.opened", "agencyhook").size(), 1u);

  // Another sink delivering changes nothing; zd delivering resolves it.
  h.svc->on_sink_delivered("agencyhook");
  EXPECT_EQ(h.incident(kKey)["state"], "open");
  h.svc->on_sink_delivered("zd");
  EXPECT_EQ(h.incident(kKey)["state"], "resolved");
  auto resolved = h.sent_for(kKey, "incident.resolved", "agencyhook");
  ASSERT_EQ(resolved.size(), 1u);
  EXPECT_NE(resolved[0]["sent_for"].get<std::string>().find("sink zd delivers again"), std::string::npos)
      << resolved[0].dump();

  // Refused again later: a new incident (#2).
  h.svc->on_sink_refused("zd", kReason);
  EXPECT_EQ(h.incident(kKey)["id"], kKey + "#2");
}

// The outbox reports each final outcome (delivered, or parked with credentials_refused) to the
// runtime, which passes it to the service as above.
TEST(OutboxOutcome, DeliveredAndRefusedAreReported) {
  class Scripted final : public alerting::Sink {
   public:
    explicit Scripted(std::string id) : id_(std::move(id)) {}
    const std::string& id() const override { return id_; }
    boost::asio::awaitable<alerting::Delivery> deliver(const alerting::Notification& n) override {
      if (n.seq == 1) co_return alerting::Delivery::refused("HTTP 403: credentials refused");
      if (n.seq == 2) co_return alerting::Delivery::reject("HTTP 422: closed ticket");
      co_return alerting::Delivery::ok();
    }

   private:
    std::string id_;
  };
  lookout::testing::TempDir dir;
  ManualClock clock;
  store::StoreOptions so;
  so.path = dir.file("o.db");
  store::SqliteStore db(so);
  alerting::Outbox o(db, clock);
  o.add_sink(std::make_shared<Scripted>("zd"), 4);
  std::vector<std::tuple<std::string, int, bool>> seen;  // sink, kind, credentials_refused
  o.set_on_outcome([&](const std::string& sink, const alerting::Delivery& d) {
    seen.emplace_back(sink, d.kind, d.credentials_refused);
  });
  std::vector<alerting::Notification> made;
  store::Transaction tx;
  for (int seq = 1; seq <= 3; ++seq) {
    alerting::Notification n;
    n.id = seq;
    n.sink = "zd";
    n.incident = "acme/shop/http#" + std::to_string(seq);
    n.seq = seq;
    n.event = "incident.opened";
    n.idempotency_key = "k" + std::to_string(seq);
    n.body = "{}";
    n.created = clock.now();
    tx.values.push_back({"outbox", n.store_key(), n.to_json().dump()});
    made.push_back(n);
  }
  ASSERT_TRUE(db.commit_and_wait(std::move(tx)).ok);
  o.enqueue(made);
  boost::asio::io_context io;
  for (int round = 0; round < 5 && seen.size() < 3; ++round) {
    o.pump(io.get_executor());
    io.restart();
    io.poll();
    store::Transaction barrier;
    barrier.values.push_back({"test", "barrier", std::to_string(round)});
    ASSERT_TRUE(db.commit_and_wait(std::move(barrier)).ok);
  }
  ASSERT_EQ(seen.size(), 3u);
  std::sort(seen.begin(), seen.end(), [](const auto& a, const auto& b) { return std::get<1>(a) < std::get<1>(b); });
  EXPECT_EQ(seen[0], std::make_tuple(std::string("zd"), int(alerting::Delivery::delivered), false));
  EXPECT_EQ(std::get<1>(seen[1]), int(alerting::Delivery::rejected));
  EXPECT_EQ(std::get<1>(seen[2]), int(alerting::Delivery::rejected));
  EXPECT_NE(std::get<2>(seen[1]), std::get<2>(seen[2]));  // one refused credentials, one not
  EXPECT_EQ(db.values("outbox_failed").size(), 2u);
}

}  // namespace
