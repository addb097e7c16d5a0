// End to end proof of the incidents feature (issue 10, docs/alerting.md): the real `lookout run`
// probes a site the test switches between 200 "Welcome" and 503; a webhook receiver of the
// test's own checks every notification as documented (POST, JSON, event, HMAC-SHA256 signature
// computed here with OpenSSL, Idempotency-Key), refuses the first `incident.opened` with a 500
// and checks its retry repeats key and body; `incident.resolved` must follow `opened` for the
// same incident. Two clients on the same site, both with `pages: [hook]`: `inhours` (open around
// the clock, so no page) and `offhours` (its only hours exclude now, so the P1 pages at once).
//
// The daemon exposes no incidents/tickets endpoint in its HTTP API (docs/api.md), so the
// incident and its ticket are asserted on the webhook payloads, and the incident count on the
// only alerting data the daemon serves: `lookout_incidents_open` and
// `lookout_notifications_total` in /metrics.
#include <fcntl.h>
#include <gmock/gmock.h>
#include <gtest/gtest.h>
#include <openssl/evp.h>
#include <openssl/hmac.h>
#include <signal.h>
#include <stdlib.h>
#include <sys/wait.h>
#include <unistd.h>

#include <atomic>
#include <chrono>
#include <ctime>
#include <filesystem>
#include <fstream>
#include <map>
#include <regex>
#include <set>
#include <thread>

#include <nlohmann/json.hpp>

#include "tests/support/agent_process.h"
#include "tests/support/free_port.h"
#include "tests/support/http_get.h"
#include "tests/support/http_receiver.h"
#include "tests/support/temp_dir.h"

namespace {

using lookout::testing::eventually;
using lookout::testing::metric_sample;
using namespace std::chrono_literals;
using lookout::testing::Answer;
using lookout::testing::HttpReceiver;
using lookout::testing::ReceivedRequest;
using nlohmann::json;

constexpr const char* kSecret = "e2e-s3cret-\xc3\xa9-key";  // non-ASCII on purpose
constexpr const char* kSecretEnv = "LOOKOUT_E2E_HOOK_SECRET";

std::string hmac_hex(const std::string& key, const std::string& body) {
  unsigned char mac[EVP_MAX_MD_SIZE];
  unsigned int len = 0;
  HMAC(EVP_sha256(), key.data(), static_cast<int>(key.size()),
       reinterpret_cast<const unsigned char*>(body.data()), body.size(), mac, &len);
  std::string out;
  char buf[3];
  for (unsigned i = 0; i < len; ++i) {
    snprintf(buf, sizeof buf, "%02x", mac[i]);
    out += buf;
  }
  return out;
}

// One webhook request, checked against docs/alerting.md "Webhook payload".
struct Hook {
  ReceivedRequest req;
  json body;
  std::string event, audience, incident, client, key;
};

// Verifies everything the docs promise of one request; returns the parsed view.
Hook verify(const ReceivedRequest& r) {
  Hook h{r, json(), "", "", "", "", ""};
  SCOPED_TRACE("webhook request: " + r.method + " " + r.target + " " + r.body);
  EXPECT_EQ(r.method, "POST");
  EXPECT_EQ(r.target, "/hook");
  EXPECT_EQ(r.header("content-type"), "application/json");
  h.body = json::parse(r.body, nullptr, false);
  EXPECT_FALSE(h.body.is_discarded()) << "body is not JSON";
  if (h.body.is_discarded() || !h.body.is_object()) return h;
  h.event = h.body.value("event", "");
  EXPECT_THAT(h.event, ::testing::AnyOf("incident.opened", "incident.updated", "incident.resolved"));
  EXPECT_EQ(h.body.value("version", 0), 1);
  EXPECT_EQ(r.header("x-lookout-event"), h.event);
  // Signature: HMAC-SHA256 of the raw body with the configured secret, computed here.
  EXPECT_TRUE(r.has_header("x-lookout-signature"));
  EXPECT_EQ(r.header("x-lookout-signature"), "sha256=" + hmac_hex(kSecret, r.body));
  EXPECT_NE(r.header("x-lookout-signature"), "sha256=" + hmac_hex("wrong", r.body));
  h.key = r.header("idempotency-key");
  EXPECT_FALSE(h.key.empty()) << "no Idempotency-Key";
  EXPECT_EQ(h.body.value("idempotency_key", ""), h.key);
  EXPECT_EQ(r.header("x-team"), "e2e");  // the sink's configured extra header
  h.audience = h.body.value("audience", "");
  EXPECT_THAT(h.audience, ::testing::AnyOf("tickets", "page"));
  if (h.body.contains("incident") && h.body["incident"].is_object()) {
    h.incident = h.body["incident"].value("id", "");
    h.client = h.body["incident"].value("client", "");
  }
  EXPECT_FALSE(h.incident.empty());
  return h;
}

std::vector<Hook> parse_all(const std::vector<ReceivedRequest>& rs) {
  std::vector<Hook> out;
  for (const auto& r : rs) {
    json b = json::parse(r.body, nullptr, false);
    Hook h{r, b, "", "", "", "", r.header("idempotency-key")};
    if (b.is_object()) {
      h.event = b.value("event", "");
      h.audience = b.value("audience", "");
      if (b.contains("incident") && b["incident"].is_object()) {
        h.incident = b["incident"].value("id", "");
        h.client = b["incident"].value("client", "");
      }
    }
    out.push_back(std::move(h));
  }
  return out;
}

// Delivered (2xx) notifications matching client/event/audience.
std::vector<Hook> delivered(const std::vector<Hook>& hs, const std::string& client,
                            const std::string& event, const std::string& audience) {
  std::vector<Hook> out;
  for (const auto& h : hs)
    if (h.client == client && h.event == event && h.audience == audience && h.req.answered / 100 == 2)
      out.push_back(h);
  return out;
}

class AlertingE2E : public ::testing::Test {
 protected:
  void SetUp() override {
    site_.set_responder([this](const ReceivedRequest&, size_t) {
      return site_up_ ? Answer{200, "<html><body>Welcome to the e2e site</body></html>", "text/html"}
                      : Answer{503, "down for maintenance", "text/plain"};
    });
    // The first incident.opened is refused with a 500: it must be retried, same key, same body.
    hook_.set_responder([this](const ReceivedRequest& r, size_t) {
      if (r.header("x-lookout-event") == "incident.opened" && !refused_first_opened_) {
        refused_first_opened_ = true;
        refused_key_ = r.header("idempotency-key");
        return Answer{500, "try again"};
      }
      return Answer{200, "thanks"};
    });
    port_ = lookout::testing::free_port();
  }

  void TearDown() override { agent_.dump_log_if(HasFailure()); }

  void write_config() {
    // offhours: a half-hour window twelve hours away from now (UTC): closed now, for sure.
    std::time_t t = std::time(nullptr);
    std::tm tm{};
    gmtime_r(&t, &tm);
    char range[32];
    snprintf(range, sizeof range, "%02d:00-%02d:30", (tm.tm_hour + 12) % 24, (tm.tm_hour + 12) % 24);
    std::string site = site_.url("/");
    std::ofstream out(dir_.file("lookout.yaml"));
    out << "agent:\n  listen: 127.0.0.1:" << port_ << "\n  state_file: " << dir_.file("state.db")
        << "\n  workers: 2\n"
        << "catalog: {refresh: off}\n"  // loopback only: no feed from the internet
        << "defaults:\n  interval: 1s\n  retry_interval: 1s\n  timeout: 900ms\n"
        << "  failure_threshold: 2\n  success_threshold: 2\n"
        << "alerting:\n  sinks:\n    - id: hook\n      type: webhook\n      url: " << hook_.url("/hook")
        << "\n      secret_env: " << kSecretEnv << "\n      headers: {X-Team: e2e}\n      timeout: 5s\n"
        << "  defaults:\n    tickets: [builtin, hook]\n    pages: []\n    page_priorities: [P1]\n"
        << "clients:\n"
        << "  - id: inhours\n    timezone: UTC\n    business_hours:\n      mon-sun: \"00:00-24:00\"\n"
        << "    contract:\n      sla:\n        P1: {response: 1h, resolution: 4h}\n"
        << "    alerting:\n      pages: [hook]\n"
        << "    sites:\n      - id: www\n        url: " << site
        << "\n        checks:\n          - {type: http, keyword: Welcome}\n"
        << "  - id: offhours\n    timezone: UTC\n    business_hours:\n      mon-sun: \"" << range << "\"\n"
        << "    contract:\n      sla:\n        P1: {response: 1h, resolution: 4h}\n"
        << "    alerting:\n      pages: [hook]\n"
        << "    sites:\n      - id: www\n        url: " << site
        << "\n        checks:\n          - {type: http, keyword: Welcome}\n";
  }

  void start_agent() { ASSERT_TRUE(agent_.start()); }

  json checks() {
    auto r = lookout::testing::http_get("127.0.0.1", port_, "/api/v1/checks");
    if (r.status != 200) return json::array();
    return json::parse(r.body, nullptr, false);
  }
  std::string metrics() { return lookout::testing::http_get("127.0.0.1", port_, "/metrics").body; }



  lookout::testing::TempDir dir_{"lookout-alerting-e2e"};
  HttpReceiver site_, hook_;
  std::atomic<bool> site_up_{true};
  bool refused_first_opened_ = false;  // on the hook's thread only (under its lock)
  std::string refused_key_;
  unsigned short port_ = 0;
  lookout::testing::AgentProcess agent_{dir_.file("lookout.yaml"), dir_.file("agent.log"),
                                        {{kSecretEnv, kSecret}}};
};

TEST_F(AlertingE2E, OutageOpensTicketsPagesOffHoursRetriesAndResolvesInOrder) {
  const auto test_start = std::chrono::steady_clock::now();
  write_config();
  start_agent();

  // 1. Site up: both checks run ok, several times; nothing is sent.
  int ok_runs_seen = 0;
  std::string last_run;
  ASSERT_TRUE(eventually(
      [&] {
        json j = checks();
        if (!j.is_array() || j.size() != 2) return false;
        for (const auto& c : j)
          if (c["status"] != "ok") return false;
        std::string lr = j[0]["last_run"].is_string() ? j[0]["last_run"].get<std::string>() : "";
        if (lr != last_run) ++ok_runs_seen, last_run = lr;
        return ok_runs_seen >= 3;
      },
      10s))
      << "the site never showed ok three runs in a row: " << checks().dump();
  EXPECT_GE(site_.count(), 3u);
  EXPECT_EQ(hook_.count(), 0u) << "a notification while the site was up: " << hook_.requests()[0].body;
  EXPECT_EQ(metric_sample(metrics(), "lookout_incidents_open{client=\"inhours\",priority=\"P1\"}") > 0, false);

  // 2. Site down: each client gets exactly one incident.opened (tickets); offhours also pages.
  site_up_ = false;
  const auto down_at = std::chrono::steady_clock::now();
  bool opened = hook_.wait_for(
      [](const std::vector<ReceivedRequest>& rs) {
        auto hs = parse_all(rs);
        return !delivered(hs, "inhours", "incident.opened", "tickets").empty() &&
               !delivered(hs, "offhours", "incident.opened", "tickets").empty() &&
               !delivered(hs, "offhours", "incident.opened", "page").empty();
      },
      15s);
  ASSERT_TRUE(opened) << "incident.opened not delivered within 15 s of the outage; got "
                      << hook_.count() << " request(s)";
  std::cerr << "opened delivered "
            << std::chrono::duration_cast<std::chrono::milliseconds>(std::chrono::steady_clock::now() - down_at).count()
            << " ms after the switch\n";

  // The incident is visible in what the daemon exposes: /metrics.
  EXPECT_TRUE(eventually(
      [&] {
        std::string m = metrics();
        return metric_sample(m, "lookout_incidents_open{client=\"inhours\",priority=\"P1\"}") == 1 &&
               metric_sample(m, "lookout_incidents_open{client=\"offhours\",priority=\"P1\"}") == 1;
      },
      5s))
      << metrics();
  // ... and in the JSON API: both incidents open, each with its built-in ticket.
  {
    auto api = [&](const std::string& target) {
      auto r = lookout::testing::http_get("127.0.0.1", port_, target);
      EXPECT_EQ(r.status, 200) << target << ": " << r.body;
      return json::parse(r.body, nullptr, false);
    };
    json open = api("/api/v1/incidents?state=open");
    ASSERT_TRUE(open.is_array()) << open.dump();
    std::set<std::string> open_clients;
    for (const auto& inc : open) {
      open_clients.insert(inc.value("client", ""));
      ASSERT_TRUE(inc["ticket"].is_string()) << inc.dump();
      json ticket = api("/api/v1/tickets/" + inc["ticket"].get<std::string>());
      EXPECT_EQ(ticket["ref"], inc["ticket"]) << ticket.dump();
      EXPECT_EQ(ticket["priority"], "P1") << ticket.dump();
    }
    EXPECT_EQ(open_clients, (std::set<std::string>{"inhours", "offhours"})) << open.dump();
    json tickets = api("/api/v1/tickets?client=offhours");
    ASSERT_TRUE(tickets.is_array());
    EXPECT_EQ(tickets.size(), 1u) << tickets.dump();
    EXPECT_EQ(lookout::testing::http_get("127.0.0.1", port_, "/api/v1/tickets/LK-999999").status, 404);
    EXPECT_EQ(lookout::testing::http_get("127.0.0.1", port_, "/api/v1/incidents?state=bogus").status, 400);
  }

  // 3. Site up again: resolved for each ticket notification and for the page.
  site_up_ = true;
  bool resolved = hook_.wait_for(
      [](const std::vector<ReceivedRequest>& rs) {
        auto hs = parse_all(rs);
        return !delivered(hs, "inhours", "incident.resolved", "tickets").empty() &&
               !delivered(hs, "offhours", "incident.resolved", "tickets").empty() &&
               !delivered(hs, "offhours", "incident.resolved", "page").empty();
      },
      15s);
  ASSERT_TRUE(resolved) << "incident.resolved not delivered within 15 s of the recovery; got "
                        << hook_.count() << " request(s)";
  EXPECT_TRUE(eventually(
      [&] {
        std::string m = metrics();
        return metric_sample(m, "lookout_incidents_open{client=\"inhours\",priority=\"P1\"}") <= 0 &&
               metric_sample(m, "lookout_incidents_open{client=\"offhours\",priority=\"P1\"}") <= 0;
      },
      5s))
      << metrics();
  // Let the agent's outbox settle (nothing pending), then look at everything received.
  EXPECT_TRUE(eventually([&] { return metric_sample(metrics(), "lookout_outbox_pending{sink=\"hook\"}") == 0; }, 5s))
      << metrics();

  auto all = hook_.requests();
  std::vector<Hook> hs;
  for (const auto& r : all) hs.push_back(verify(r));
  for (const auto& h : hs) std::cerr << "hook: " << h.req.answered << " " << h.event << " " << h.audience
                                      << " " << h.incident << " key=" << h.key << "\n";

  // 4a. Exactly one notification (by key) per client / event / audience; never for inhours' page.
  auto distinct_keys = [&](const std::string& client, const std::string& event, const std::string& aud) {
    std::set<std::string> keys;
    for (const auto& h : hs)
      if (h.client == client && h.event == event && h.audience == aud) keys.insert(h.key);
    return keys;
  };
  EXPECT_EQ(distinct_keys("inhours", "incident.opened", "tickets").size(), 1u);
  EXPECT_EQ(distinct_keys("inhours", "incident.resolved", "tickets").size(), 1u);
  EXPECT_EQ(distinct_keys("inhours", "incident.opened", "page").size(), 0u) << "paged inside business hours";
  EXPECT_EQ(distinct_keys("inhours", "incident.resolved", "page").size(), 0u);
  EXPECT_EQ(distinct_keys("offhours", "incident.opened", "tickets").size(), 1u);
  EXPECT_EQ(distinct_keys("offhours", "incident.opened", "page").size(), 1u);
  EXPECT_EQ(distinct_keys("offhours", "incident.resolved", "tickets").size(), 1u);
  EXPECT_EQ(distinct_keys("offhours", "incident.resolved", "page").size(), 1u);
  for (const auto& h : hs) EXPECT_NE(h.event, "incident.updated") << "no severity change happened: " << h.req.body;

  // 4b. Every distinct notification has its own key; a key always carries the same body.
  std::map<std::string, std::string> body_of_key;
  for (const auto& h : hs) {
    auto [it, fresh] = body_of_key.emplace(h.key, h.req.body);
    if (!fresh) {
      EXPECT_EQ(it->second, h.req.body) << "a retry of " << h.key << " changed its body";
    }
  }
  std::set<std::pair<std::string, std::string>> kinds;  // (key, event/audience) must be 1:1
  for (const auto& h : hs) kinds.emplace(h.key, h.event + "/" + h.audience + "/" + h.incident);
  EXPECT_EQ(kinds.size(), body_of_key.size()) << "one Idempotency-Key used for different notifications";
  EXPECT_EQ(body_of_key.size(), 6u);

  // 4c. The refused first opened was retried with the same key and body, and then delivered.
  ASSERT_FALSE(refused_key_.empty());
  std::vector<Hook> tries;
  for (const auto& h : hs)
    if (h.key == refused_key_) tries.push_back(h);
  ASSERT_GE(tries.size(), 2u) << "the 500 on " << refused_key_ << " was never retried";
  EXPECT_EQ(tries[0].req.answered, 500);
  EXPECT_EQ(tries[0].event, "incident.opened");
  EXPECT_EQ(tries[1].req.body, tries[0].req.body);
  EXPECT_EQ(tries.back().req.answered, 200);
  const auto retry_gap = std::chrono::duration_cast<std::chrono::milliseconds>(tries[1].req.at - tries[0].req.at);
  EXPECT_GE(retry_gap.count(), 900) << "retried before the documented 2 s x [0.5, 1] backoff";
  EXPECT_GE(metric_sample(metrics(), "lookout_notifications_total{result=\"retried\",sink=\"hook\"}"), 1) << metrics();

  // 4d. Per client and audience: resolved after opened was delivered, same incident id.
  for (const auto& [client, aud] : std::vector<std::pair<std::string, std::string>>{
           {"inhours", "tickets"}, {"offhours", "tickets"}, {"offhours", "page"}}) {
    SCOPED_TRACE(client + " / " + aud);
    auto o = delivered(hs, client, "incident.opened", aud);
    auto r = delivered(hs, client, "incident.resolved", aud);
    ASSERT_FALSE(o.empty());
    ASSERT_FALSE(r.empty());
    EXPECT_EQ(o[0].incident, r[0].incident);
    EXPECT_EQ(o[0].incident, client + "/www/http#1");
    EXPECT_NE(o[0].key, r[0].key);
    // No attempt of resolved before the successful delivery of opened.
    for (const auto& h : hs)
      if (h.client == client && h.audience == aud && h.event == "incident.resolved") {
        EXPECT_GT(h.req.at, o[0].req.at) << "resolved attempted before opened was delivered";
      }
    EXPECT_EQ(r[0].body["incident"]["state"], "resolved");
    EXPECT_FALSE(r[0].body["incident"]["resolved"].is_null());
  }

  // 4e. The opened payload: the incident and its built-in ticket with SLA due times.
  const std::regex ref_re(R"(LK-\d+)");
  const std::regex time_re(R"(\d{4}-\d\d-\d\dT\d\d:\d\d:\d\d\.\d{3}Z)");
  auto is_time = [&](const json& v) { return v.is_string() && std::regex_match(v.get<std::string>(), time_re); };
  std::set<std::string> refs;
  for (const std::string client : {"inhours", "offhours"}) {
    SCOPED_TRACE(client);
    auto o = delivered(hs, client, "incident.opened", "tickets");
    ASSERT_FALSE(o.empty());
    const json& b = o[0].body;
    const json& inc = b["incident"];
    EXPECT_EQ(inc["key"], client + "/www/http");
    EXPECT_EQ(inc["site"], "www");
    EXPECT_EQ(inc["check"], "http");
    EXPECT_EQ(inc["type"], "http");
    EXPECT_EQ(inc["state"], "open");
    EXPECT_EQ(inc["severity"], "critical");
    EXPECT_EQ(inc["priority"], "P1");
    EXPECT_EQ(inc["failure"], "http_status");
    EXPECT_THAT(inc.value("summary", ""), ::testing::HasSubstr("503"));
    EXPECT_TRUE(is_time(b["at"])) << b["at"];
    EXPECT_TRUE(is_time(inc["opened"])) << inc.dump();
    ASSERT_TRUE(b["ticket"].is_object()) << "no built-in ticket in the payload: " << b.dump();
    const json& t = b["ticket"];
    ASSERT_TRUE(t["ref"].is_string());
    EXPECT_TRUE(std::regex_match(t["ref"].get<std::string>(), ref_re)) << t["ref"];
    EXPECT_EQ(inc["ticket"], t["ref"]);
    refs.insert(t["ref"].get<std::string>());
    EXPECT_EQ(t["priority"], "P1");
    EXPECT_EQ(t["status"], "new");
    EXPECT_TRUE(is_time(t["response_due"])) << t.dump();
    EXPECT_TRUE(is_time(t["resolution_due"])) << t.dump();
    EXPECT_LT(t.value("response_due", ""), t.value("resolution_due", ""));
    EXPECT_EQ(t["sla_basis"], "business_hours") << t.dump();
    // The resolved one solves the same ticket.
    auto r = delivered(hs, client, "incident.resolved", "tickets");
    ASSERT_FALSE(r.empty());
    ASSERT_TRUE(r[0].body["ticket"].is_object()) << r[0].body.dump();
    EXPECT_EQ(r[0].body["ticket"]["ref"], t["ref"]);
    EXPECT_EQ(r[0].body["ticket"]["status"], "solved");
  }
  EXPECT_EQ(refs.size(), 2u) << "two incidents share a ticket";

  // 4f. Paged vs not paged.
  {
    auto in = delivered(hs, "inhours", "incident.opened", "tickets");
    auto off = delivered(hs, "offhours", "incident.opened", "tickets");
    auto page = delivered(hs, "offhours", "incident.opened", "page");
    ASSERT_FALSE(in.empty());
    ASSERT_FALSE(off.empty());
    ASSERT_FALSE(page.empty());
    EXPECT_TRUE(in[0].body["incident"]["paged"].is_null()) << in[0].body.dump();
    // inhours has `pages: [hook]` too, but its desk is open around the clock: no page now, and
    // none due (the desk never closes).
    EXPECT_TRUE(in[0].body["incident"]["page_due"].is_null()) << in[0].body.dump();
    EXPECT_TRUE(is_time(off[0].body["incident"]["paged"])) << off[0].body.dump();
    EXPECT_TRUE(is_time(page[0].body["incident"]["paged"])) << page[0].body.dump();
    EXPECT_EQ(page[0].incident, off[0].incident);
  }

  const auto took = std::chrono::steady_clock::now() - test_start;
  EXPECT_LT(took, 40s);
}

// Dependencies (docs/alerting.md "Dependencies") on the real daemon: site `shop` declares
// `depends_on: [lb]`; both are served by the test's site. When it goes down, lb's http incident
// opens and is notified; shop's, confirmed later (failure_threshold 4), is held: visible in the
// API with held_by naming lb's incident, nothing sent for it. Back up: lb resolves first
// (success_threshold 2 vs shop's 4), so shop's incident, still open, is released: notified then.
TEST_F(AlertingE2E, DependentSiteIsHeldWhileItsDependencyIsDownAndReleasedAfter) {
  const auto test_start = std::chrono::steady_clock::now();
  {
    std::string site = site_.url("/");
    std::ofstream out(dir_.file("lookout.yaml"));
    out << "agent:\n  listen: 127.0.0.1:" << port_ << "\n  state_file: " << dir_.file("state.db")
        << "\n  workers: 2\n"
        << "defaults:\n  interval: 1s\n  retry_interval: 1s\n  timeout: 900ms\n"
        << "alerting:\n  sinks:\n    - id: hook\n      type: webhook\n      url: " << hook_.url("/hook")
        << "\n      secret_env: " << kSecretEnv << "\n      headers: {X-Team: e2e}\n      timeout: 5s\n"
        << "  defaults:\n    tickets: [builtin, hook]\n"
        << "clients:\n"
        << "  - id: acme\n    contract:\n      coverage: 24x7\n"
        << "    sites:\n"
        << "      - id: lb\n        url: " << site
        << "\n        checks:\n          - {type: http, keyword: Welcome}\n"
        << "      - id: shop\n        url: " << site << "\n        depends_on: [lb]\n"
        << "        checks:\n          - {type: http, keyword: Welcome, failure_threshold: 4, success_threshold: 4}\n";
  }
  start_agent();
  ASSERT_TRUE(eventually(
      [&] {
        json j = checks();
        if (!j.is_array() || j.size() != 2) return false;
        for (const auto& c : j)
          if (c["status"] != "ok") return false;
        return true;
      },
      10s))
      << checks().dump();

  auto open_incidents = [&] {
    auto r = lookout::testing::http_get("127.0.0.1", port_, "/api/v1/incidents?state=open");
    json j = json::parse(r.body, nullptr, false);
    std::map<std::string, json> by_key;
    if (j.is_array())
      for (const auto& i : j) by_key[i.value("key", "")] = i;
    return by_key;
  };
  // (inside wait_for the receiver's requests come as the argument: it holds its lock)
  auto sent_in = [](const std::vector<ReceivedRequest>& rs, const std::string& incident_prefix,
                    const std::string& event) {
    int n = 0;
    for (const auto& h : parse_all(rs))
      if (h.incident.rfind(incident_prefix, 0) == 0 && h.event == event && h.req.answered / 100 == 2) ++n;
    return n;
  };
  auto sent_for = [&](const std::string& incident_prefix, const std::string& event) {
    return sent_in(hook_.requests(), incident_prefix, event);
  };

  site_up_ = false;
  std::map<std::string, json> open;
  ASSERT_TRUE(eventually(
      [&] {
        open = open_incidents();
        return open.count("acme/lb/http") && open.count("acme/shop/http");
      },
      15s))
      << "both incidents did not open";
  EXPECT_TRUE(open["acme/lb/http"]["held_by"].is_null()) << open["acme/lb/http"].dump();
  EXPECT_EQ(open["acme/shop/http"]["held_by"], open["acme/lb/http"]["id"]) << open["acme/shop/http"].dump();
  EXPECT_TRUE(open["acme/shop/http"]["ticket"].is_null()) << "a held incident got a ticket";
  ASSERT_TRUE(hook_.wait_for([&](const std::vector<ReceivedRequest>& rs) { return sent_in(rs, "acme/lb/http#", "incident.opened") > 0; }, 10s))
      << "lb's incident.opened never delivered";
  // Still down for a few more runs: nothing is ever sent for the held incident.
  std::this_thread::sleep_for(2s);
  EXPECT_EQ(sent_for("acme/shop/http#", "incident.opened"), 0);
  for (const auto& h : parse_all(hook_.requests()))
    EXPECT_NE(h.incident.rfind("acme/shop/http#", 0), 0u) << "sent for the held incident: " << h.req.body;

  site_up_ = true;
  ASSERT_TRUE(hook_.wait_for(
      [&](const std::vector<ReceivedRequest>& rs) {
        return sent_in(rs, "acme/lb/http#", "incident.resolved") > 0 &&
               sent_in(rs, "acme/shop/http#", "incident.opened") > 0 &&
               sent_in(rs, "acme/shop/http#", "incident.resolved") > 0;
      },
      20s))
      << "release not delivered; got " << hook_.count() << " request(s)";
  for (const auto& h : parse_all(hook_.requests())) {
    if (h.incident.rfind("acme/shop/http#", 0) != 0 || h.event != "incident.opened") continue;
    Hook v = verify(h.req);
    EXPECT_THAT(v.body.value("sent_for", ""), ::testing::HasSubstr("released"));
    EXPECT_TRUE(v.body["incident"]["held_by"].is_null());
    EXPECT_TRUE(v.body["ticket"].is_object()) << "released without its built-in ticket";
  }
  EXPECT_LT(std::chrono::steady_clock::now() - test_start, 60s);
}

}  // namespace
