// Paging through the built-in on-call rota (docs/alerting.md "On-call rota and escalation"):
// a real AlertingService on a real store with a ManualClock. Escalation steps fall due as the
// clock moves and tick() runs; they follow the rota across a hand-over (and a DST change), stop
// at acknowledgement, survive a restart without paging anyone twice, fall through an empty
// level, and keep the policy as it was when paging began. A PagerDuty sink in `pages` keeps
// getting the incident itself. The pages reach the member's own address (webhook URL, e-mail).
#include <gtest/gtest.h>

#include <cstdlib>
#include <set>

#include <boost/asio/co_spawn.hpp>
#include <boost/asio/io_context.hpp>

#include "alerting/email_sink.h"
#include "alerting/webhook_sink.h"
#include "net/resolver.h"
#include "net/tls_context.h"
#include "tests/alerting/service_harness.h"
#include "tests/support/http_receiver.h"

using namespace lookout;
using namespace std::chrono_literals;
using lookout::testing::ServiceHarness;
using lookout::testing::utc;

namespace {

const char* kKey = "acme/www/http";

std::string config_yaml(const std::string& pages = "[oncall]", const std::string& escalation = R"(
    escalation:
      steps:
        - {after: 0m, target: "rota:primary"}
        - {after: 15m, target: "rota:secondary"}
        - {after: 30m, target: "member:carol"}
      repeat: 1
      repeat_after: 45m
)", const std::string& extra_rota = "") {
  return R"(
alerting:
  sinks:
    - {id: desk-mail, type: email, url: "smtp://127.0.0.1:2525", from: lookout@agency.example, to: desk@agency.example}
    - {id: hook, type: webhook, url: "http://127.0.0.1:9/hook"}
    - {id: pd, type: pagerduty, routing_key_env: LOOKOUT_TEST_PD_KEY, url: "http://127.0.0.1:9/v2/enqueue"}
  oncall:
    ticket_url: "https://lookout.example.net/tickets/{ref}"
    members:
      - {id: alice, name: Alice, contacts: [{sink: desk-mail, address: alice@agency.example}]}
      - {id: bob, name: Bob, contacts: [{sink: hook, address: "http://127.0.0.1:9/bob"}]}
      - id: carol
        name: Carol
        contacts:
          - {sink: desk-mail, address: carol@agency.example}
          - {sink: hook, address: "http://127.0.0.1:9/carol"}
    rotas:
      - {id: primary, time_zone: Europe/London, handover: {weekday: mon, time: "09:00"}, start: 2026-01-05, members: [alice, bob]}
      - {id: secondary, time_zone: Europe/London, handover: {weekday: mon, time: "09:00"}, start: 2026-01-05, members: [bob, alice]}
)" + extra_rota + escalation + R"(
clients:
  - id: acme
    contract: {coverage: 24x7}
    alerting: {tickets: [builtin], pages: )" + pages + R"(}
    sites:
      - id: www
        url: http://www.example.com/
        checks: [{type: http}]
)";
}

struct Page {
  std::string sink, member, address, key, event;
  int loop = 0, step = 0;
};

// The pages through the rota (notifications with an `oncall` object), in order.
std::vector<Page> rota_pages(ServiceHarness& h, const std::string& event = "incident.opened") {
  std::vector<Page> out;
  for (const auto& n : h.notifications()) {
    auto b = nlohmann::json::parse(n.body);
    if (!b.contains("oncall") || n.event != event) continue;
    EXPECT_EQ(b["audience"], "page");
    out.push_back({n.sink, b["oncall"]["member"], b["oncall"]["address"], n.idempotency_key, n.event,
                   b["oncall"].value("loop", 0), b["oncall"].value("step", 0)});
  }
  return out;
}

std::vector<std::string> members_of(const std::vector<Page>& pages) {
  std::vector<std::string> out;
  for (const auto& p : pages) out.push_back(p.member + "@" + p.sink);
  return out;
}

struct Escalation : ::testing::Test {
  void SetUp() override { setenv("LOOKOUT_TEST_PD_KEY", "0123456789abcdef0123456789abcdef", 1); }
  // Opens the incident at `at` (two failed runs) and returns when it paged.
  alerting::TimePoint open(ServiceHarness& h) {
    h.fail(kKey);
    auto i = h.incident(kKey);
    EXPECT_EQ(i["state"], "open");
    return alerting::parse_time(i["paged"].get<std::string>()).value();
  }
  void tick_at(ServiceHarness& h, alerting::TimePoint t) {
    h.clock.set(t);
    h.svc->tick();
    h.svc->wait_idle();
  }
};

TEST_F(Escalation, StepsFallDueAndLoopThenStop) {
  ServiceHarness h{utc(2026, 3, 4, 2, 0)};  // Wednesday: turn 8 (alice primary, bob secondary)
  h.load(config_yaml());
  h.start();
  const auto t0 = open(h);
  EXPECT_EQ(members_of(rota_pages(h)), (std::vector<std::string>{"alice@desk-mail"}));
  EXPECT_EQ(h.svc->next_wakeup(), t0 + 15min);
  tick_at(h, t0 + 15min - 1s);
  EXPECT_EQ(rota_pages(h).size(), 1u);
  tick_at(h, t0 + 15min);
  tick_at(h, t0 + 30min);
  EXPECT_EQ(members_of(rota_pages(h)),
            (std::vector<std::string>{"alice@desk-mail", "bob@hook", "carol@desk-mail", "carol@hook"}));
  // Loop 2 (repeat: 1) from 45m; then nothing more.
  tick_at(h, t0 + 45min);
  tick_at(h, t0 + 60min);
  tick_at(h, t0 + 75min);
  tick_at(h, t0 + 5h);
  auto pages = rota_pages(h);
  EXPECT_EQ(members_of(pages),
            (std::vector<std::string>{"alice@desk-mail", "bob@hook", "carol@desk-mail", "carol@hook",
                                      "alice@desk-mail", "bob@hook", "carol@desk-mail", "carol@hook"}));
  EXPECT_EQ(pages[1].address, "http://127.0.0.1:9/bob");
  EXPECT_EQ(pages[4].loop, 2);
  EXPECT_EQ(pages[4].step, 1);
  std::set<std::string> keys;
  for (const auto& p : pages) keys.insert(p.key);
  EXPECT_EQ(keys.size(), pages.size());  // one idempotency key per incident, step, loop, contact
  EXPECT_EQ(pages[0].key, "lookout:acme/www/http#1:page:1.1:alice:1");
  EXPECT_FALSE(h.svc->next_wakeup());

  // The page carries the ticket; the ticket records who was paged, when, through which sink.
  auto first = nlohmann::json::parse(h.notifications()[0].body);
  const std::string ref = h.incident(kKey)["ticket"];
  ASSERT_FALSE(ref.empty());
  EXPECT_EQ(first["ticket"]["ref"], ref);
  EXPECT_EQ(first["oncall"]["ticket_url"], "https://lookout.example.net/tickets/" + ref);
  auto ticket = h.svc->ticket_json(ref).value();
  int paged = 0;
  for (const auto& e : ticket["timeline"]) {
    if (e.value("kind", "") != "paged") continue;
    const auto& d = e["detail"];
    if (paged == 1) {
      EXPECT_EQ(d.value("member", ""), "bob") << e.dump();
      EXPECT_EQ(d.value("sink", ""), "hook") << e.dump();
      EXPECT_EQ(e.value("at", ""), alerting::format_time(t0 + 15min)) << e.dump();
    }
    ++paged;
  }
  EXPECT_EQ(paged, 8) << ticket["timeline"].dump();
}

TEST_F(Escalation, AcknowledgementStopsItAndTellsThoseItPaged) {
  ServiceHarness h{utc(2026, 3, 4, 2, 0)};
  h.load(config_yaml());
  h.start();
  const auto t0 = open(h);
  tick_at(h, t0 + 15min);
  h.clock.set(t0 + 20min);
  auto m = h.svc->acknowledge("acme/www/http#1", "bob", "on it");
  ASSERT_TRUE(m.ok()) << m.message;
  tick_at(h, t0 + 30min);
  tick_at(h, t0 + 3h);
  EXPECT_EQ(members_of(rota_pages(h)), (std::vector<std::string>{"alice@desk-mail", "bob@hook"}));
  EXPECT_EQ(members_of(rota_pages(h, "incident.acknowledged")),
            (std::vector<std::string>{"alice@desk-mail", "bob@hook"}));
  auto esc = h.incident(kKey)["escalation"];
  EXPECT_TRUE(esc["due"].is_null());
  EXPECT_NE(esc["stopped"].get<std::string>().find("acknowledged by bob"), std::string::npos);
  EXPECT_FALSE(h.svc->next_wakeup());
  // Recovery: the people paged hear of the resolve too.
  h.recover(kKey);
  EXPECT_EQ(members_of(rota_pages(h, "incident.resolved")), (std::vector<std::string>{"alice@desk-mail", "bob@hook"}));
}

TEST_F(Escalation, RestartMidEscalationResumesWithoutPagingTwice) {
  ServiceHarness h{utc(2026, 3, 4, 2, 0)};
  h.load(config_yaml());
  h.start();
  const auto t0 = open(h);
  tick_at(h, t0 + 15min);
  ASSERT_EQ(rota_pages(h).size(), 2u);
  h.restart();
  tick_at(h, t0 + 16min);  // nothing due: step 2 went before the restart
  EXPECT_EQ(rota_pages(h).size(), 2u);
  EXPECT_EQ(h.svc->next_wakeup(), t0 + 30min);
  h.stop();  // down across step 3's due time
  h.clock.set(t0 + 40min);
  h.restart();
  tick_at(h, t0 + 40min);
  tick_at(h, t0 + 41min);
  EXPECT_EQ(members_of(rota_pages(h)),
            (std::vector<std::string>{"alice@desk-mail", "bob@hook", "carol@desk-mail", "carol@hook"}));
  // The outbox rows are in the store: a restarted outbox would send exactly these.
  EXPECT_EQ(h.db->values("outbox").size(), 4u) << "pending outbox rows";
}

TEST_F(Escalation, FollowsTheRotaAcrossAHandOverOnTheDstWeek) {
  // Monday 30 March 2026, the day after the spring change: the hand-over is 09:00 BST = 08:00Z.
  // Opened 07:50Z (08:50 BST), turn 11: primary bob, secondary alice. Step 2 at 08:05Z is after
  // the hand-over: turn 12, secondary bob. (Seven days of 24 h from a winter 09:00Z hand-over
  // would put it at 09:00Z and page alice.)
  ServiceHarness h{utc(2026, 3, 30, 7, 49)};
  h.load(config_yaml());
  h.start();
  const auto t0 = open(h);
  ASSERT_EQ(t0, utc(2026, 3, 30, 7, 49) + 30s);
  tick_at(h, t0 + 15min);
  EXPECT_EQ(members_of(rota_pages(h)), (std::vector<std::string>{"bob@hook", "bob@hook"}));
}

TEST_F(Escalation, OverrideTakesTheRotasPlace) {
  ServiceHarness h{utc(2026, 3, 4, 2, 0)};
  h.load(config_yaml("[oncall]", R"(
    escalation:
      steps: [{after: 0m, target: "rota:cover"}]
)", R"(      - id: cover
        time_zone: Europe/London
        handover: {weekday: mon, time: "09:00"}
        start: 2026-01-05
        members: [alice, bob]
        overrides: [{member: carol, from: "2026-03-03 18:00", to: "2026-03-04 08:00"}]
)"));
  h.start();
  open(h);
  EXPECT_EQ(members_of(rota_pages(h)), (std::vector<std::string>{"carol@desk-mail", "carol@hook"}));
}

TEST_F(Escalation, EmptyLevelFallsThroughToTheNextAtOnce) {
  ServiceHarness h{utc(2026, 3, 4, 2, 0)};
  h.load(config_yaml("[oncall]", R"(
    escalation:
      steps:
        - {after: 0m, target: "rota:later"}
        - {after: 15m, target: "rota:secondary"}
        - {after: 30m, target: "member:carol"}
)", R"(      - {id: later, time_zone: UTC, handover: {weekday: mon, time: "09:00"}, start: 2027-01-04, members: [alice]}
)"));
  h.start();
  const auto t0 = open(h);
  EXPECT_EQ(members_of(rota_pages(h)), (std::vector<std::string>{"bob@hook"}));  // level 2, now
  tick_at(h, t0 + 15min);
  EXPECT_EQ(rota_pages(h).size(), 1u);  // level 2 is done
  tick_at(h, t0 + 30min);
  EXPECT_EQ(members_of(rota_pages(h)), (std::vector<std::string>{"bob@hook", "carol@desk-mail", "carol@hook"}));
}

TEST_F(Escalation, IncidentKeepsThePolicyItStartedWith) {
  ServiceHarness h{utc(2026, 3, 4, 2, 0)};
  h.load(config_yaml());
  h.start();
  const auto t0 = open(h);
  // A reload that drops the later steps: the open incident follows the policy of its start.
  auto r = config::load_config_text("agent:\n  state_file: " + h.dir.file("cfg.db") + "\n" + config_yaml("[oncall]", R"(
    escalation:
      steps: [{after: 0m, target: "member:alice"}]
)"), "test.yaml", probes::check_types());
  ASSERT_TRUE(r.config) << r.errors.to_string();
  h.svc->apply(*r.config);
  tick_at(h, t0 + 15min);
  EXPECT_EQ(members_of(rota_pages(h)), (std::vector<std::string>{"alice@desk-mail", "bob@hook"}));
}

TEST_F(Escalation, PagerDutyInPagesGetsTheIncidentItself) {
  ServiceHarness h{utc(2026, 3, 4, 2, 0)};
  h.load(config_yaml("[pd, oncall]"));
  h.start();
  open(h);
  EXPECT_EQ(h.sent_for(kKey, "incident.opened", "pd").size(), 1u);
  EXPECT_EQ(rota_pages(h).size(), 1u);
  auto m = h.svc->acknowledge("acme/www/http#1", "alice", "");
  ASSERT_TRUE(m.ok()) << m.message;
  // Sent on to PagerDuty as `acknowledge` (the PagerDuty sink maps incident.acknowledged).
  EXPECT_EQ(h.sent_for(kKey, "incident.acknowledged", "pd").size(), 1u);
}

TEST_F(Escalation, PagesReachTheMembersOwnAddress) {
  ServiceHarness h{utc(2026, 3, 4, 2, 0)};
  h.load(config_yaml());
  h.start();
  open(h);
  alerting::Notification mail = h.notifications()[0];
  ASSERT_EQ(mail.sink, "desk-mail");
  // E-mail: To is the member's address, not the sink's `to`; the ticket link is in the text.
  config::SinkConfig mc;
  for (const auto& s : h.cfg.alerting.sinks)
    if (s.id == "desk-mail") mc = s;
  alerting::EmailSink email(mc, h.clock);
  const std::string text = email.message(mail, *alerting::NotificationBody::parse(mail.body));
  EXPECT_NE(text.find("\r\nTo: alice@agency.example\r\n"), std::string::npos) << text;
  EXPECT_EQ(text.find("desk@agency.example"), std::string::npos) << text;
  EXPECT_NE(text.find("https://lookout.example.net/tickets/LK-1"), std::string::npos) << text;
  EXPECT_NE(text.find("On call: Alice, escalation step 1 (rota:primary)"), std::string::npos) << text;

  // Webhook: posted to the member's URL with the page's idempotency key.
  lookout::testing::HttpReceiver receiver;
  receiver.answer(200);
  alerting::Notification hook = mail;
  auto body = nlohmann::json::parse(mail.body);
  body["oncall"]["address"] = receiver.url("/bob");
  hook.body = body.dump();
  hook.sink = "hook";
  config::SinkConfig hc;
  hc.id = "hook";
  hc.url = receiver.url("/hook");
  boost::asio::io_context io;
  net::Resolver resolver(io.get_executor(), {});
  net::TlsContexts tls;
  alerting::WebhookSink sink(hc, resolver, tls, h.clock);
  alerting::Delivery d;
  boost::asio::co_spawn(io, sink.deliver(hook), [&](std::exception_ptr, alerting::Delivery r) { d = r; });
  io.run();
  EXPECT_EQ(d.kind, alerting::Delivery::delivered) << d.reason;
  auto reqs = receiver.requests();
  ASSERT_EQ(reqs.size(), 1u);
  EXPECT_EQ(reqs[0].target, "/bob");
  EXPECT_EQ(reqs[0].header("idempotency-key"), "lookout:acme/www/http#1:page:1.1:alice:1");
}

}  // namespace
