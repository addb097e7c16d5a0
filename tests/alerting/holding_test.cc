// Holding back (docs/alerting.md "Dependencies" and "Self-connectivity guard"), on a real
// AlertingService and store with a ManualClock: a site's http incident holds its other checks,
// depends_on holds another site, the connectivity guard holds everything new and raises one
// agency incident; releases notify what is still open ("opened now") and drop what resolved
// meanwhile. Restarts neither re-notify nor forget an owed resolve or a hold.
#include <gtest/gtest.h>

#include "alerting/connectivity_guard.h"
#include "tests/alerting/service_harness.h"

using namespace lookout;
using namespace std::chrono_literals;
using lookout::probes::Status;
using lookout::testing::ServiceHarness;
using lookout::testing::utc;

namespace {

const alerting::TimePoint kStart = utc(2026, 3, 4, 10, 0);

// acme (24x7): shop (http, tls, domain), lb (http), shop2 (http, depends on lb and on
// hosting/db); hosting: db (http). Webhook sinks are never contacted here: notifications are
// read as committed for sending.
const char* kDeps = R"(
alerting:
  sinks:
    - {id: hook, type: webhook, url: "http://127.0.0.1:9/hook"}
    - {id: pager, type: webhook, url: "http://127.0.0.1:9/pager"}
  defaults: {tickets: [builtin, hook], pages: [pager]}
clients:
  - id: acme
    contract: {coverage: 24x7, sla: {P1: {response: 1h, resolution: 4h}}}
    sites:
      - id: shop
        url: http://www.example.com/
        checks: [{type: http}, {type: tls}, {type: domain, rdap_url: "http://127.0.0.1:9/rdap/"}]
      - id: lb
        url: http://www.example.com/
        checks: [{type: http}]
      - id: shop2
        url: http://www.example.com/
        depends_on: [lb, hosting/db]
        checks: [{type: http}, {type: tls}]
  - id: hosting
    contract: {coverage: 24x7}
    sites:
      - id: db
        url: http://www.example.com/
        checks: [{type: http}]
)";

struct Deps : ::testing::Test {
  ServiceHarness h{kStart};
  void SetUp() override {
    h.load(kDeps);
    h.start();
  }
};

TEST_F(Deps, SiteDownHoldsItsOtherChecksAndReleasesThemWhenItRecovers) {
  h.fail("acme/shop/http");
  ASSERT_EQ(h.sent_for("acme/shop/http", "incident.opened", "hook").size(), 1u);
  EXPECT_EQ(h.sent_for("acme/shop/http", "incident.opened", "pager").size(), 1u);  // 24x7 P1

  h.fail("acme/shop/tls");
  auto tls = h.incident("acme/shop/tls");
  ASSERT_FALSE(tls.is_null());
  EXPECT_EQ(tls["state"], "open");                    // recorded ...
  EXPECT_EQ(tls["held_by"], "acme/shop/http#1");      // ... held by the site's http incident
  EXPECT_TRUE(tls["ticket"].is_null());               // no ticket
  EXPECT_TRUE(tls["paged"].is_null());
  EXPECT_TRUE(h.sent_for("acme/shop/tls", "incident.opened").empty());  // not notified

  // Still failing while held: updates are recorded only.
  h.run("acme/shop/tls", Status::warning);
  EXPECT_TRUE(h.sent_for("acme/shop/tls", "incident.updated").empty());

  const auto before_release = h.clock.now();
  h.recover("acme/shop/http");
  ASSERT_EQ(h.sent_for("acme/shop/http", "incident.resolved", "hook").size(), 1u);
  // Released: notified now, with a ticket, as an incident opened now.
  auto opened = h.sent_for("acme/shop/tls", "incident.opened", "hook");
  ASSERT_EQ(opened.size(), 1u);
  EXPECT_NE(opened[0]["sent_for"].get<std::string>().find("released"), std::string::npos);
  EXPECT_TRUE(opened[0]["incident"]["held_by"].is_null());
  EXPECT_EQ(opened[0]["incident"]["severity"], "warning");  // as it is now
  EXPECT_GE(*alerting::parse_time(opened[0]["incident"]["opened"]), before_release);
  EXPECT_TRUE(opened[0]["ticket"].is_object());
  tls = h.incident("acme/shop/tls");
  EXPECT_TRUE(tls["held_by"].is_null());
  EXPECT_TRUE(tls["ticket"].is_string());
  // The http incident's resolve came before the release: order within the commits.
  auto all = h.notifications();
  size_t resolved_at = 0, released_at = 0;
  for (size_t k = 0; k < all.size(); ++k) {
    if (all[k].incident == "acme/shop/http#1" && all[k].event == "incident.resolved") resolved_at = k;
    if (all[k].incident == "acme/shop/tls#1" && all[k].event == "incident.opened") released_at = k;
  }
  EXPECT_LT(resolved_at, released_at);
  // From now on it is an ordinary incident: its recovery is notified.
  h.recover("acme/shop/tls");
  EXPECT_EQ(h.sent_for("acme/shop/tls", "incident.resolved", "hook").size(), 1u);
}

TEST_F(Deps, HeldIncidentThatResolvesMeanwhileIsNeverNotified) {
  h.fail("acme/shop/http");
  h.fail("acme/shop/domain");
  h.recover("acme/shop/domain");
  auto d = h.incident("acme/shop/domain");
  EXPECT_EQ(d["state"], "resolved");
  EXPECT_EQ(d["held_by"], "acme/shop/http#1");  // the history says why nobody heard of it
  h.recover("acme/shop/http");
  for (const auto& n : h.notifications()) EXPECT_NE(n.incident, "acme/shop/domain#1") << n.event;
  EXPECT_TRUE(h.svc->tickets_json("acme").size() == 1u);  // only the http incident's ticket
}

TEST_F(Deps, OnlyACriticalHttpIncidentHolds) {
  h.run("acme/shop/http", Status::warning);
  h.run("acme/shop/http", Status::warning);  // open, warning: no hold
  h.fail("acme/shop/tls");
  EXPECT_TRUE(h.incident("acme/shop/tls")["held_by"].is_null());
  EXPECT_EQ(h.sent_for("acme/shop/tls", "incident.opened", "hook").size(), 1u);
}

TEST_F(Deps, HttpFallingBackToWarningReleasesWhatItHeld) {
  h.fail("acme/shop/http");
  h.fail("acme/shop/tls");
  ASSERT_EQ(h.incident("acme/shop/tls")["held_by"], "acme/shop/http#1");
  h.run("acme/shop/http", Status::warning);  // still open, no longer critical
  EXPECT_TRUE(h.incident("acme/shop/tls")["held_by"].is_null());
  EXPECT_EQ(h.sent_for("acme/shop/tls", "incident.opened", "hook").size(), 1u);
}

TEST_F(Deps, DependsOnHoldsEveryCheckOfTheDependentSiteAcrossClients) {
  h.fail("hosting/db/http");
  h.fail("acme/shop2/http");  // http of the dependent site is held too
  h.fail("acme/shop2/tls");
  EXPECT_EQ(h.incident("acme/shop2/http")["held_by"], "hosting/db/http#1");
  // tls: its own site's http incident (itself held) or the db's: held either way
  EXPECT_FALSE(h.incident("acme/shop2/tls")["held_by"].is_null());
  EXPECT_TRUE(h.sent_for("acme/shop2/http", "incident.opened").empty());
  EXPECT_TRUE(h.sent_for("acme/shop2/tls", "incident.opened").empty());
  // The other site of the same client is not affected.
  h.fail("acme/shop/http");
  EXPECT_EQ(h.sent_for("acme/shop/http", "incident.opened", "hook").size(), 1u);

  h.recover("hosting/db/http");
  // shop2's http is released (paged: 24x7 P1); its tls stays held by shop2's http, now open.
  EXPECT_EQ(h.sent_for("acme/shop2/http", "incident.opened", "hook").size(), 1u);
  EXPECT_EQ(h.sent_for("acme/shop2/http", "incident.opened", "pager").size(), 1u);
  EXPECT_EQ(h.incident("acme/shop2/tls")["held_by"], "acme/shop2/http#1");
  EXPECT_TRUE(h.sent_for("acme/shop2/tls", "incident.opened").empty());
  h.recover("acme/shop2/http");
  EXPECT_EQ(h.sent_for("acme/shop2/tls", "incident.opened", "hook").size(), 1u);
}

TEST_F(Deps, AHoldSurvivesARestartAndIsReleasedAfterIt) {
  h.fail("acme/shop/http");
  h.fail("acme/shop/tls");
  const size_t before = h.notifications().size();
  h.restart();
  EXPECT_EQ(h.notifications().size(), before);  // nothing re-sent by the restart
  EXPECT_EQ(h.incident("acme/shop/tls")["held_by"], "acme/shop/http#1");
  h.fail("acme/shop/tls");   // still failing: nothing new
  h.fail("acme/shop/http");  // still down: not re-notified
  EXPECT_EQ(h.notifications().size(), before);
  h.recover("acme/shop/http");
  EXPECT_EQ(h.sent_for("acme/shop/http", "incident.resolved", "hook").size(), 1u);
  EXPECT_EQ(h.sent_for("acme/shop/tls", "incident.opened", "hook").size(), 1u);
}

TEST_F(Deps, RestartNeverReNotifiesAndNeverForgetsAnOwedResolve) {
  h.fail("acme/lb/http");
  const auto opened = h.sent_for("acme/lb/http", "incident.opened");
  ASSERT_EQ(opened.size(), 2u);  // hook and pager
  h.restart();
  h.fail("acme/lb/http", 3);  // still down after the restart
  h.restart();
  EXPECT_EQ(h.sent_for("acme/lb/http", "incident.opened").size(), 2u);
  h.recover("acme/lb/http");
  // The resolve owed from before the restarts goes to both (it paged).
  EXPECT_EQ(h.sent_for("acme/lb/http", "incident.resolved", "hook").size(), 1u);
  EXPECT_EQ(h.sent_for("acme/lb/http", "incident.resolved", "pager").size(), 1u);
  // Same incident, not a second one.
  EXPECT_EQ(h.sent_for("acme/lb/http", "incident.resolved", "hook")[0]["incident"]["id"], "acme/lb/http#1");
}

TEST_F(Deps, ARemovedDependencyReleasesAtReload) {
  h.fail("acme/lb/http");
  h.fail("acme/shop2/http");
  ASSERT_EQ(h.incident("acme/shop2/http")["held_by"], "acme/lb/http#1");
  std::string yaml = kDeps;
  yaml.replace(yaml.find("depends_on: [lb, hosting/db]"), 28, "depends_on: [hosting/db]");
  h.load(yaml);
  h.svc->apply(h.cfg);
  EXPECT_TRUE(h.incident("acme/shop2/http")["held_by"].is_null());
  EXPECT_EQ(h.sent_for("acme/shop2/http", "incident.opened", "hook").size(), 1u);
}

// ---- the self-connectivity guard ---------------------------------------------------------

// Six checks on three sites (no http among the storm's checks, so no inhibition interferes),
// storm at more than half once 4 checks are configured; one canary.
const char* kGuard = R"(
alerting:
  sinks:
    - {id: hook, type: webhook, url: "http://127.0.0.1:9/hook"}
    - {id: agencyhook, type: webhook, url: "http://127.0.0.1:9/agency"}
  agency: [builtin, agencyhook]
  storm_min_checks: 4
  canary: ["127.0.0.1:1", "http://127.0.0.1:2/"]
  defaults: {tickets: [builtin, hook]}
clients:
  - id: acme
    contract: {coverage: 24x7}
    sites:
      - {id: a, url: "http://www.example.com/", checks: [{type: tls}, {type: domain, rdap_url: "http://127.0.0.1:9/rdap/"}]}
      - {id: b, url: "http://www.example.com/", checks: [{type: tls}, {type: domain, rdap_url: "http://127.0.0.1:9/rdap/"}]}
      - {id: c, url: "http://www.example.com/", checks: [{type: tls}, {type: domain, rdap_url: "http://127.0.0.1:9/rdap/"}]}
)";

struct Guard : ::testing::Test {
  ServiceHarness h{kStart};
  void SetUp() override {
    h.load(kGuard);
    h.start();
    // Canaries up, every check reported ok once: the guard is informed and calm.
    h.svc->on_canary("tcp://127.0.0.1:1", true, "");
    h.svc->on_canary("http://127.0.0.1:2/", true, "");
    for (const char* k : {"acme/a/tls", "acme/a/domain", "acme/b/tls", "acme/b/domain", "acme/c/tls", "acme/c/domain"})
      h.run(k, Status::ok);
  }
  std::vector<nlohmann::json> agency(const std::string& event) {
    return h.sent_for(alerting::AlertingService::kConnectivityKey, event, "agencyhook");
  }
};

TEST_F(Guard, StormHoldsNewIncidentsRaisesOneAgencyIncidentAndReleasesWhatIsStillFailing) {
  // Five of six checks fail once: the fourth makes it a storm (4/6 > 50%), before any incident
  // is confirmed (failure_threshold 2).
  const char* down[] = {"acme/a/tls", "acme/a/domain", "acme/b/tls", "acme/b/domain", "acme/c/tls"};
  for (const char* k : down) h.run(k, Status::critical);
  EXPECT_TRUE(h.svc->connectivity_suspect());
  auto raised = agency("incident.opened");
  ASSERT_EQ(raised.size(), 1u);
  EXPECT_EQ(raised[0]["audience"], "agency");
  EXPECT_NE(raised[0]["incident"]["summary"].get<std::string>().find("monitoring connectivity lost"), std::string::npos);
  EXPECT_NE(raised[0]["incident"]["summary"].get<std::string>().find("checks failing"), std::string::npos);
  EXPECT_TRUE(raised[0]["ticket"].is_object());  // builtin is among alerting.agency
  EXPECT_TRUE(h.sent_for(alerting::AlertingService::kConnectivityKey, "incident.opened", "hook").empty());

  for (const char* k : down) h.run(k, Status::critical);  // confirmed now: all held
  const std::string conn = h.incident(alerting::AlertingService::kConnectivityKey)["id"];
  for (const char* k : down) {
    EXPECT_EQ(h.incident(k)["held_by"], conn) << k;
    EXPECT_TRUE(h.sent_for(k, "incident.opened").empty()) << k;
  }
  // Only one agency incident however long it lasts.
  for (const char* k : down) h.run(k, Status::critical);
  EXPECT_EQ(agency("incident.opened").size(), 1u);

  // a/tls recovers while still suspect (4 of 6 failing): dropped, never notified.
  h.recover("acme/a/tls");
  EXPECT_TRUE(h.svc->connectivity_suspect());
  EXPECT_EQ(h.incident("acme/a/tls")["state"], "resolved");
  // a/domain's first ok run: 3 of 6, the storm is over: the agency incident resolves and the
  // still-open ones are released, a/domain included (one ok run does not resolve it).
  h.run("acme/a/domain", Status::ok);
  EXPECT_FALSE(h.svc->connectivity_suspect());
  EXPECT_EQ(agency("incident.resolved").size(), 1u);
  for (const char* k : {"acme/a/domain", "acme/b/tls", "acme/b/domain", "acme/c/tls"}) {
    auto o = h.sent_for(k, "incident.opened", "hook");
    ASSERT_EQ(o.size(), 1u) << k;
    EXPECT_NE(o[0]["sent_for"].get<std::string>().find("connectivity is back"), std::string::npos);
    EXPECT_TRUE(h.incident(k)["held_by"].is_null()) << k;
  }
  for (const auto& n : h.notifications()) EXPECT_NE(n.incident, "acme/a/tls#1") << n.event;
}

TEST_F(Guard, AllCanariesDownIsSuspectOneUpIsNot) {
  h.svc->on_canary("tcp://127.0.0.1:1", false, "connect refused");
  EXPECT_FALSE(h.svc->connectivity_suspect());  // the other canary still answers
  h.svc->on_canary("http://127.0.0.1:2/", false, "timeout");
  EXPECT_TRUE(h.svc->connectivity_suspect());
  auto raised = agency("incident.opened");
  ASSERT_EQ(raised.size(), 1u);
  EXPECT_NE(raised[0]["incident"]["summary"].get<std::string>().find("all 2 canaries failing"), std::string::npos);
  h.fail("acme/b/tls");  // one check failing: not a storm, but held while suspect
  EXPECT_FALSE(h.incident("acme/b/tls")["held_by"].is_null());
  EXPECT_TRUE(h.sent_for("acme/b/tls", "incident.opened").empty());
  h.svc->on_canary("http://127.0.0.1:2/", true, "");
  EXPECT_FALSE(h.svc->connectivity_suspect());
  EXPECT_EQ(agency("incident.resolved").size(), 1u);
  EXPECT_EQ(h.sent_for("acme/b/tls", "incident.opened", "hook").size(), 1u);
}

TEST_F(Guard, ARestartDuringTheOutageKeepsHoldingUntilTheGuardKnowsBetter) {
  h.svc->on_canary("tcp://127.0.0.1:1", false, "refused");
  h.svc->on_canary("http://127.0.0.1:2/", false, "refused");
  h.fail("acme/b/tls");
  ASSERT_TRUE(h.svc->connectivity_suspect());
  h.restart();
  EXPECT_TRUE(h.svc->connectivity_suspect());  // the agency incident came back open
  EXPECT_EQ(agency("incident.opened").size(), 1u);
  // A first result after the restart proves nothing: canaries not probed yet.
  h.run("acme/a/tls", Status::ok);
  EXPECT_TRUE(h.svc->connectivity_suspect());
  EXPECT_TRUE(h.sent_for("acme/b/tls", "incident.opened").empty());
  h.svc->on_canary("tcp://127.0.0.1:1", true, "");
  h.svc->on_canary("http://127.0.0.1:2/", true, "");
  EXPECT_TRUE(h.svc->connectivity_suspect());  // only 1 of 6 checks reported since start
  for (const char* k : {"acme/a/domain", "acme/b/domain", "acme/c/tls"}) h.run(k, Status::ok);
  EXPECT_FALSE(h.svc->connectivity_suspect());
  EXPECT_EQ(h.sent_for("acme/b/tls", "incident.opened", "hook").size(), 1u);
  EXPECT_EQ(agency("incident.resolved").size(), 1u);
}

// ---- ConnectivityGuard, pure ----------------------------------------------------------------

TEST(ConnectivityGuard, StormIsMoreThanTheRatioOnceThereAreEnoughChecks) {
  alerting::ConnectivityGuard g;
  std::vector<alerting::CheckIndex::Entry> entries;
  for (int i = 0; i < 10; ++i) entries.push_back({"c/s/" + std::to_string(i)});
  auto keys = std::make_shared<const alerting::CheckIndex>(entries);
  g.configure({0.5, 10}, {}, keys);
  for (int i = 0; i < 5; ++i) g.on_result("c/s/" + std::to_string(i), Status::critical);
  EXPECT_FALSE(g.suspect());  // 5 of 10 is not more than half
  g.on_result("c/s/5", Status::unknown);  // unknown counts as failing
  EXPECT_TRUE(g.storm());
  g.on_result("c/s/5", Status::warning);  // a warning is not a network failure
  EXPECT_FALSE(g.storm());
  g.on_result("not/configured/x", Status::critical);
  EXPECT_FALSE(g.storm());
  // Fewer checks than storm_min_checks: never a storm.
  g.configure({0.5, 11}, {}, keys);
  for (int i = 0; i < 10; ++i) g.on_result("c/s/" + std::to_string(i), Status::critical);
  EXPECT_FALSE(g.storm());
  // storm_ratio 1 turns the rule off.
  g.configure({1.0, 1}, {}, keys);
  EXPECT_FALSE(g.storm());
  EXPECT_EQ(g.failing(), 10);  // a reload keeps the figures of checks still configured
  // A reload that drops checks drops their figures; new ones start unseen.
  entries.resize(4);
  entries.push_back({"c/t/new"});
  g.configure({0.5, 1}, {}, std::make_shared<const alerting::CheckIndex>(entries));
  EXPECT_EQ(g.checks(), 5);
  EXPECT_EQ(g.failing(), 4);
  EXPECT_TRUE(g.storm());
  g.on_result("c/t/new", Status::ok);
  g.on_result("c/s/0", Status::ok);
  EXPECT_EQ(g.failing(), 3);
  EXPECT_TRUE(g.storm());
  g.on_result("c/s/1", Status::ok);
  EXPECT_FALSE(g.storm());  // 2 of 5
}

TEST(CheckIndex, FindsChecksAndSitesByKey) {
  alerting::CheckIndex index({{"b/s/http", true}, {"a/s/tls"}, {"a/s/http", true}, {"a/s2/http", true},
                              {"a/s/tls"}},
                             {"a/s", "a/empty", "b/s"});
  EXPECT_EQ(index.size(), 4u);  // the duplicate key once
  ASSERT_TRUE(index.find("a/s/tls"));
  EXPECT_FALSE(index.http(*index.find("a/s/tls")));
  EXPECT_TRUE(index.http(*index.find("b/s/http")));
  EXPECT_FALSE(index.find("a/s/dns"));
  EXPECT_FALSE(index.find("a/s"));
  auto [first, last] = index.site_checks("a/s");
  ASSERT_EQ(last - first, 2u);  // not a/s2's check, whose key shares the prefix "a/s"
  EXPECT_EQ(index.key(first), "a/s/http");
  EXPECT_EQ(index.key(first + 1), "a/s/tls");
  EXPECT_TRUE(index.has_site("a/empty"));  // configured without checks
  EXPECT_TRUE(index.has_site("a/s2"));
  EXPECT_FALSE(index.has_site("a/nope"));
  EXPECT_FALSE(index.has_site("a"));
}

TEST(ConnectivityGuard, CanariesAllMustFailAndBeProbed) {
  alerting::ConnectivityGuard g;
  g.configure({0.5, 10}, {"tcp://a:1", "tcp://b:1"}, nullptr);
  g.on_canary("tcp://a:1", false, "refused");
  EXPECT_FALSE(g.suspect());  // b never probed
  EXPECT_FALSE(g.informed());
  g.on_canary("tcp://b:1", false, "timeout");
  EXPECT_TRUE(g.suspect());
  EXPECT_NE(g.why().find("tcp://b:1: timeout"), std::string::npos);
  g.on_canary("tcp://a:1", true);
  EXPECT_FALSE(g.suspect());
  EXPECT_TRUE(g.informed());
}

}  // namespace
