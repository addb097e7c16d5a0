// Crash proof of the incidents feature (issue 10, docs/alerting.md "Delivery guarantees"): the
// real `lookout run` watches 80 switchable sites of the estate (`/switch/NAME`, two clients, one
// of them paged at once because its desk is closed now), while the test switches random groups of
// sites down and up (an incident storm) and `kill -9`s the agent at random moments, at least 20
// times, restarting it each time on the same state file. The webhook receiver verifies every
// request (POST, path, content type, HMAC-SHA256 signature, Idempotency-Key = the body's key)
// and refuses about one in eight with a 500, so retries happen across crashes too. A short flap
// window (4 changes in 6 s) puts flapping incidents and their updates in the storm as well.
//
// At the end (every site up, the last agent left to drain):
//  - every incident the agent knows (open and resolved, from /api/v1/incidents) is resolved and
//    has exactly one built-in ticket: its `ticket` names a ticket whose `incidents` list holds
//    it, no other ticket holds it, and one check never got two tickets;
//  - every notification the agent made (for incident I: seq 1..I.notifications, key
//    lookout:I:seq) reached the receiver with a 2xx at least once; the receiver saw no key the
//    agent does not know;
//  - all copies of one notification carried the same Idempotency-Key and the same body, and one
//    (incident, event, audience) never got two keys (a restart did not make it again);
//  - for each incident and audience, no `resolved` arrived before its `opened` was delivered,
//    and no `opened` arrived after its `resolved` (no zombie);
//  - nothing is pending: lookout_outbox_pending is 0, and after a clean stop the state store's
//    outbox is empty and nothing was parked as failed.
#include <fcntl.h>
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
#include <fstream>
#include <map>
#include <random>
#include <set>
#include <thread>

#include <nlohmann/json.hpp>

#include "store/sqlite_store.h"
#include "tests/estate/estate.h"
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
using Clock = std::chrono::steady_clock;

constexpr const char* kSecret = "crash-test-secret";
constexpr const char* kSecretEnv = "LOOKOUT_CRASH_HOOK_SECRET";
constexpr int kSitesPerClient = 40;
constexpr int kKills = 22;

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

class AlertingCrash : public ::testing::Test {
 protected:
  void SetUp() override {
    estate_.start();
    http_ = estate_.endpoint("http");
    estate_port_ = static_cast<unsigned short>(std::stoi(http_.substr(http_.rfind(':') + 1)));
    port_ = lookout::testing::free_port();
    std::mt19937 rng(std::random_device{}());
    hook_.set_responder([rng](const ReceivedRequest&, size_t) mutable {
      return std::uniform_int_distribution<int>(0, 7)(rng) == 0 ? Answer{500, "try again"}
                                                                 : Answer{200, "thanks"};
    });
  }

  void TearDown() override { agent_.dump_log_if(HasFailure()); }

  static std::string site_name(int client, int site) {
    return "c" + std::to_string(client) + "-s" + std::to_string(site);
  }

  void write_config() {
    // Client 1's desk is closed now (a half hour twelve hours away), so its P1s page at once.
    std::time_t t = std::time(nullptr);
    std::tm tm{};
    gmtime_r(&t, &tm);
    char range[32];
    snprintf(range, sizeof range, "%02d:00-%02d:30", (tm.tm_hour + 12) % 24, (tm.tm_hour + 12) % 24);
    std::ofstream out(dir_.file("lookout.yaml"));
    out << "agent:\n  listen: 127.0.0.1:" << port_ << "\n  state_file: " << dir_.file("state.db")
        << "\n  workers: 2\n"
        << "catalog: {refresh: off}\n"  // loopback only: no feed from the internet
        << "defaults:\n  interval: 1s\n  retry_interval: 1s\n  timeout: 900ms\n"
        << "  failure_threshold: 2\n  success_threshold: 2\n"
        // Most sites fail at once here on purpose: the connectivity guard (holding_test) is off.
        << "alerting:\n  storm_ratio: 1\n  flap_changes: 4\n  flap_window: 6s\n  sinks:\n    - id: hook\n      type: webhook\n      url: " << hook_.url("/hook")
        << "\n      secret_env: " << kSecretEnv << "\n      timeout: 5s\n      max_in_flight: 8\n"
        << "  defaults:\n    tickets: [builtin, hook]\n    pages: []\n    page_priorities: [P1]\n"
        << "clients:\n";
    for (int c = 0; c < 2; ++c) {
      out << "  - id: c" << c << "\n    timezone: UTC\n    business_hours:\n      mon-sun: \""
          << (c == 0 ? std::string("00:00-24:00") : std::string(range)) << "\"\n"
          << "    contract:\n      sla:\n        P1: {response: 1h, resolution: 4h}\n"
          << "    alerting:\n      pages: [hook]\n    sites:\n";
      for (int s = 0; s < kSitesPerClient; ++s)
        out << "      - id: s" << s << "\n        url: " << http_ << "/switch/" << site_name(c, s)
            << "\n        checks:\n          - {type: http, keyword: Welcome}\n";
    }
  }

  void start_agent() { ASSERT_TRUE(agent_.start()); }

  void switch_sites(const std::string& query) {
    auto r = lookout::testing::http_request("127.0.0.1", estate_port_, boost::beast::http::verb::post,
                                            "/switch?" + query);
    ASSERT_EQ(r.status, 200) << query << ": " << r.body;
  }

  json api(const std::string& target) {
    auto r = lookout::testing::http_get("127.0.0.1", port_, target);
    if (r.status != 200) return json();
    return json::parse(r.body, nullptr, false);
  }
  std::string metrics() { return lookout::testing::http_get("127.0.0.1", port_, "/metrics").body; }

  lookout::testing::TempDir dir_{"lookout-alerting-crash"};
  lookout::estate::Estate estate_{lookout::estate::EstateOptions{}};
  std::string http_;
  unsigned short estate_port_ = 0;
  HttpReceiver hook_;
  unsigned short port_ = 0;
  lookout::testing::AgentProcess agent_{dir_.file("lookout.yaml"), dir_.file("agent.log"),
                                        {{kSecretEnv, kSecret}}};
};

struct Hook {
  ReceivedRequest req;
  json body;
  std::string event, audience, incident, key;
};

TEST_F(AlertingCrash, KillNineDuringAStormLosesNothingDuplicatesNothingKeepsOrder) {
  const auto test_start = Clock::now();
  write_config();
  std::mt19937 rng(std::random_device{}());
  auto uniform = [&](int lo, int hi) { return std::uniform_int_distribution<int>(lo, hi)(rng); };

  // The storm: every ~1.5 s a random group of sites (or a whole client) goes down or up; the
  // agent is killed with SIGKILL after a random 0.3..3 s of life, and restarted at once.
  std::atomic<bool> storming{true};
  std::thread storm([&] {
    std::mt19937 r(std::random_device{}());
    auto pick = [&](int lo, int hi) { return std::uniform_int_distribution<int>(lo, hi)(r); };
    while (storming) {
      switch (pick(0, 5)) {
        case 0:  // a whole client down
          switch_sites("down=c" + std::to_string(pick(0, 1)) + "-*");
          break;
        case 1:  // everything up
          switch_sites("up=*");
          break;
        default:  // a random handful down, another handful up
          for (int k = 0; k < 8; ++k)
            switch_sites("down=" + site_name(pick(0, 1), pick(0, kSitesPerClient - 1)));
          for (int k = 0; k < 8; ++k)
            switch_sites("up=" + site_name(pick(0, 1), pick(0, kSitesPerClient - 1)));
      }
      std::this_thread::sleep_for(std::chrono::milliseconds(pick(800, 2200)));
    }
  });

  int kills = 0;
  start_agent();
  ASSERT_TRUE(eventually([&] { return lookout::testing::http_get("127.0.0.1", port_, "/healthz").status == 200; }, 15s))
      << "the agent did not start";
  while (kills < kKills) {
    std::this_thread::sleep_for(std::chrono::milliseconds(uniform(300, 3000)));
    agent_.kill9();
    ++kills;
    start_agent();
  }
  storming = false;
  storm.join();
  const auto storm_took = Clock::now() - test_start;
  switch_sites("up=*");
  std::cerr << "storm: " << kills << " kill -9 in "
            << std::chrono::duration_cast<std::chrono::seconds>(storm_took).count() << " s, "
            << hook_.count() << " webhook requests so far\n";

  // Drain: every site up, the agent left alone until nothing is open and nothing pending.
  bool drained = eventually(
      [&] {
        json open = api("/api/v1/incidents?state=open");
        if (!open.is_array() || !open.empty()) return false;
        return metric_sample(metrics(), "lookout_outbox_pending{sink=\"hook\"}") == 0;
      },
      60s);
  ASSERT_TRUE(drained) << "not drained within 60 s: open incidents "
                       << api("/api/v1/incidents?state=open").dump().substr(0, 2000) << "\n"
                       << metrics();

  json incidents = api("/api/v1/incidents");
  json tickets = api("/api/v1/tickets");
  ASSERT_TRUE(incidents.is_array());
  ASSERT_TRUE(tickets.is_array());
  std::cerr << incidents.size() << " incidents, " << tickets.size() << " tickets, " << hook_.count()
            << " webhook requests\n";
  ASSERT_GE(incidents.size(), 10u) << "the storm opened too few incidents to prove anything";

  // 1. Every incident: resolved, exactly one built-in ticket; one ticket per check.
  std::map<std::string, json> by_id;
  for (const auto& i : incidents) {
    const std::string id = i.value("id", "");
    EXPECT_TRUE(by_id.emplace(id, i).second) << "incident listed twice: " << id;
    EXPECT_EQ(i.value("state", ""), "resolved") << i.dump();
    EXPECT_TRUE(i["ticket"].is_string()) << "incident without a ticket: " << i.dump();
  }
  std::map<std::string, std::vector<std::string>> tickets_of_incident;
  std::map<std::string, int> tickets_of_check;
  for (const auto& t : tickets) {
    ++tickets_of_check[t.value("check_key", "")];
    for (const auto& inc : t["incidents"]) tickets_of_incident[inc.get<std::string>()].push_back(t["ref"]);
  }
  for (const auto& [key, n] : tickets_of_check) EXPECT_EQ(n, 1) << key << " has " << n << " tickets";
  for (const auto& [id, i] : by_id) {
    auto& refs = tickets_of_incident[id];
    ASSERT_EQ(refs.size(), 1u) << id << " is in " << refs.size() << " tickets";
    EXPECT_EQ(i["ticket"], refs[0]) << id;
  }
  for (const auto& [id, refs] : tickets_of_incident)
    EXPECT_TRUE(by_id.count(id)) << "a ticket names an unknown incident " << id;

  // 2. Every request verified; the keys the agent made.
  std::set<std::string> expected_keys;
  for (const auto& [id, i] : by_id)
    for (int seq = 1; seq <= i.value("notifications", 0); ++seq)
      expected_keys.insert("lookout:" + id + ":" + std::to_string(seq));
  ASSERT_FALSE(expected_keys.empty());

  std::vector<Hook> hooks;
  for (const auto& r : hook_.requests()) {
    SCOPED_TRACE(r.method + " " + r.target + " " + r.body.substr(0, 300));
    EXPECT_EQ(r.method, "POST");
    EXPECT_EQ(r.target, "/hook");
    EXPECT_EQ(r.header("content-type"), "application/json");
    EXPECT_EQ(r.header("x-lookout-signature"), "sha256=" + hmac_hex(kSecret, r.body));
    Hook h{r, json::parse(r.body, nullptr, false), "", "", "", r.header("idempotency-key")};
    ASSERT_TRUE(h.body.is_object());
    h.event = h.body.value("event", "");
    h.audience = h.body.value("audience", "");
    h.incident = h.body["incident"].value("id", "");
    EXPECT_EQ(r.header("x-lookout-event"), h.event);
    EXPECT_EQ(h.body.value("idempotency_key", ""), h.key);
    EXPECT_TRUE(expected_keys.count(h.key)) << "a key the agent does not know: " << h.key;
    hooks.push_back(std::move(h));
  }

  // 3. Every notification delivered at least once; copies identical; one key per notification.
  std::set<std::string> delivered;
  std::map<std::string, std::string> body_of_key;
  std::map<std::string, std::set<std::string>> keys_of;  // incident/event/audience -> keys
  for (const auto& h : hooks) {
    if (h.req.answered / 100 == 2) delivered.insert(h.key);
    auto [it, fresh] = body_of_key.emplace(h.key, h.req.body);
    if (!fresh) {
      EXPECT_EQ(it->second, h.req.body) << "two copies of " << h.key << " differ";
    }
    if (h.event != "incident.updated") keys_of[h.incident + " " + h.event + " " + h.audience].insert(h.key);
  }
  size_t missing = 0;
  for (const auto& k : expected_keys)
    if (!delivered.count(k) && ++missing <= 10) ADD_FAILURE() << "never delivered: " << k;
  EXPECT_EQ(missing, 0u) << "of " << expected_keys.size() << " notifications";
  for (const auto& [what, keys] : keys_of)
    EXPECT_EQ(keys.size(), 1u) << what << " was made " << keys.size() << " times";

  // 4. Order per incident and audience.
  std::map<std::string, std::vector<const Hook*>> stream;  // incident/audience -> arrivals
  for (const auto& h : hooks) stream[h.incident + " " + h.audience].push_back(&h);
  size_t pairs = 0;
  for (const auto& [what, arrivals] : stream) {
    bool opened_delivered = false, resolved_delivered = false;
    for (const Hook* h : arrivals) {
      if (h->event == "incident.opened") {
        EXPECT_FALSE(resolved_delivered) << what << ": an opened arrived after its resolved";
        if (h->req.answered / 100 == 2) opened_delivered = true;
      } else if (h->event == "incident.resolved") {
        EXPECT_TRUE(opened_delivered) << what << ": resolved arrived before its opened was delivered";
        if (h->req.answered / 100 == 2) resolved_delivered = true;
      }
    }
    if (resolved_delivered) ++pairs;
  }
  EXPECT_GE(pairs, 10u);

  // 5. Nothing pending or parked: the last agent stops cleanly; the store says so too.
  agent_.stop();
  {
    lookout::store::StoreOptions o;
    o.path = dir_.file("state.db");
    lookout::store::SqliteStore db(o);
    EXPECT_TRUE(db.values("outbox").empty()) << db.values("outbox").size() << " still pending";
    EXPECT_TRUE(db.values("outbox_failed").empty()) << db.values("outbox_failed").size() << " parked";
  }
  EXPECT_LT(Clock::now() - test_start, 120s);
}

}  // namespace
