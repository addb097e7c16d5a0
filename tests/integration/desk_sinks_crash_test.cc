// Crash proof across every desk and pager sink at once (issue 11): the real `lookout run` watches
// 30 switchable sites of the estate (`/switch/NAME`, two 24x7 clients, so every P1 pages at
// once) with tickets to Zendesk, Freshdesk and a real Prometheus Alertmanager and pages to
// PagerDuty, while the test switches random groups of sites down and up (an incident storm),
// makes one receiver or another answer 500 or 503 for a moment, and `kill -9`s the agent at
// random moments, at least 20 times, restarting it each time on the same state file. The
// receivers (tests/support/*_receiver.h, checking every request as the services document them)
// live in the test, so they outlive every agent.
//
// At the end (every site up, the last agent left to drain):
//  - every incident is resolved;
//  - Zendesk: exactly one ticket per incident (external_id), each solved;
//  - Freshdesk: exactly one ticket per incident (its unique tag), each resolved (status 4), with
//    its search showing a new ticket only a second later, as the real one lags (the sink's
//    `search_lag` is 3 s here);
//  - PagerDuty: per dedup_key (the check), each incident's alert was opened by its own trigger
//    once, never re-triggered after it was resolved, never updated by another incident's
//    trigger, and every alert is resolved;
//  - Alertmanager shows nothing still firing;
//  - no receiver saw a malformed request, and nothing is pending or parked in the state store.
#include <fcntl.h>
#include <gtest/gtest.h>
#include <signal.h>
#include <spawn.h>
#include <stdlib.h>
#include <sys/wait.h>
#include <unistd.h>

#include <atomic>
#include <chrono>
#include <fstream>
#include <map>
#include <random>
#include <set>
#include <thread>

#include <nlohmann/json.hpp>

#include "alerting/freshdesk_sink.h"
#include "store/sqlite_store.h"
#include "tests/estate/estate.h"
#include "tests/support/agent_process.h"
#include "tests/support/free_port.h"
#include "tests/support/freshdesk_receiver.h"
#include "tests/support/http_get.h"
#include "tests/support/pagerduty_receiver.h"
#include "tests/support/temp_dir.h"
#include "tests/support/zendesk_receiver.h"

extern char** environ;

namespace {

using lookout::testing::eventually;
using lookout::testing::metric_sample;
using namespace std::chrono_literals;
using lookout::testing::Fault;
using nlohmann::json;
using Clock = std::chrono::steady_clock;

constexpr const char* kAlertmanager = "/usr/bin/prometheus-alertmanager";
const std::string kPdKey = "0123456789abcdef0123456789abcdef";
constexpr int kSitesPerClient = 15;
constexpr int kKills = 21;

class DeskSinksCrash : public ::testing::Test {
 protected:
  void SetUp() override {
    if (access(kAlertmanager, X_OK) != 0) GTEST_SKIP() << kAlertmanager << " is not installed (scripts/setup)";
    estate_.start();
    http_ = estate_.endpoint("http");
    estate_port_ = static_cast<unsigned short>(std::stoi(http_.substr(http_.rfind(':') + 1)));
    port_ = lookout::testing::free_port();
    start_alertmanager();
  }

  void TearDown() override {
    agent_.kill9();
    if (am_pid_ > 0) {
      kill(am_pid_, SIGTERM);
      waitpid(am_pid_, nullptr, 0);
    }
    agent_.dump_log_if(HasFailure());
  }

  void start_alertmanager() {
    am_port_ = lookout::testing::free_port();
    const std::string cfg = dir_.file("alertmanager.yml");
    std::ofstream(cfg) << "global:\n  resolve_timeout: 5m\n"
                          "route:\n  receiver: none\n  group_by: [alertname, client, site, check]\n"
                          "receivers:\n  - name: none\n";
    std::string a1 = "--config.file=" + cfg, a2 = "--storage.path=" + dir_.file("am"),
                a3 = "--web.listen-address=127.0.0.1:" + std::to_string(am_port_);
    const char* argv[] = {kAlertmanager, a1.c_str(), a2.c_str(), a3.c_str(), "--cluster.listen-address=",
                          "--log.level=error", nullptr};
    posix_spawn_file_actions_t actions;
    posix_spawn_file_actions_init(&actions);
    posix_spawn_file_actions_addopen(&actions, STDERR_FILENO, dir_.file("am.log").c_str(), O_WRONLY | O_CREAT, 0644);
    int rc = posix_spawn(&am_pid_, kAlertmanager, &actions, nullptr, const_cast<char**>(argv), environ);
    posix_spawn_file_actions_destroy(&actions);
    ASSERT_EQ(rc, 0);
    ASSERT_TRUE(eventually([&] { return lookout::testing::http_get("127.0.0.1", am_port_, "/-/ready").status == 200; }, 15s))
        << "alertmanager did not start; see " << dir_.file("am.log");
  }

  static std::string site_name(int client, int site) {
    return "c" + std::to_string(client) + "-s" + std::to_string(site);
  }

  void write_config() {
    std::ofstream out(dir_.file("lookout.yaml"));
    out << "agent:\n  listen: 127.0.0.1:" << port_ << "\n  state_file: " << dir_.file("state.db")
        << "\n  workers: 2\n"
        << "catalog: {refresh: off}\n"  // loopback only: no feed from the internet
        << "defaults:\n  interval: 1s\n  retry_interval: 1s\n  timeout: 900ms\n"
        << "  failure_threshold: 2\n  success_threshold: 2\n"
        // Most sites fail at once here on purpose: the connectivity guard (holding_test) is off.
        // Rate limits off: the receivers here have none, and the drain must fit in the test.
        << "alerting:\n  storm_ratio: 1\n  flap_changes: 4\n  flap_window: 6s\n  sinks:\n"
        << "    - {id: pd, type: pagerduty, url: \"" << pd_.enqueue_url()
        << "\", routing_key_env: LOOKOUT_CRASH_PD_KEY, timeout: 5s, rate_limit: 0, max_in_flight: 8}\n"
        << "    - {id: zd, type: zendesk, url: \"" << zd_.url("") << "\", email: agent@example.net, token_env: "
        << "LOOKOUT_CRASH_ZD_TOKEN, timeout: 5s, rate_limit: 0, max_in_flight: 8}\n"
        << "    - {id: fd, type: freshdesk, url: \"" << fd_.url("")
        << "\", email: desk@example.net, api_key_env: LOOKOUT_CRASH_FD_KEY, timeout: 5s, rate_limit: 0, max_in_flight: 8, "
        << "search_lag: 3s}\n"
        << "    - {id: am, type: alertmanager, url: \"http://127.0.0.1:" << am_port_
        << "\", resend: 2s, timeout: 5s, max_in_flight: 8}\n"
        << "  defaults:\n    tickets: [builtin, zd, fd, am]\n    pages: [pd]\n    page_priorities: [P1]\n"
        << "clients:\n";
    for (int c = 0; c < 2; ++c) {
      out << "  - id: c" << c << "\n    timezone: UTC\n    contract:\n      coverage: 24x7\n"
          << "      sla:\n        P1: {response: 1h, resolution: 4h}\n    sites:\n";
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
  /// Alerts Alertmanager holds active (firing, not resolved).
  json am_firing() {
    auto r = lookout::testing::http_get("127.0.0.1", am_port_, "/api/v2/alerts?active=true&silenced=true&inhibited=true");
    auto j = json::parse(r.body, nullptr, false);
    json out = json::array();
    if (j.is_array())
      for (const auto& a : j)
        if (a["labels"].value("alertname", "") == "LookoutIncident") out.push_back(a);
    return out;
  }

  lookout::testing::TempDir dir_{"lookout-desk-crash"};
  lookout::estate::Estate estate_{lookout::estate::EstateOptions{}};
  std::string http_;
  unsigned short estate_port_ = 0;
  lookout::testing::PagerDutyReceiver pd_{kPdKey};
  lookout::testing::ZendeskReceiver zd_{"agent@example.net", "zd-token"};
  lookout::testing::FreshdeskReceiver fd_{"fd-key"};
  unsigned short port_ = 0, am_port_ = 0;
  pid_t am_pid_ = -1;
  lookout::testing::AgentProcess agent_{dir_.file("lookout.yaml"), dir_.file("agent.log"),
                                        {{"LOOKOUT_CRASH_PD_KEY", kPdKey},
                                         {"LOOKOUT_CRASH_ZD_TOKEN", "zd-token"},
                                         {"LOOKOUT_CRASH_FD_KEY", "fd-key"}}};
};

TEST_F(DeskSinksCrash, KillNineDuringAStormOneTicketPerDeskOnePagePerIncidentNothingFiring) {
  const auto test_start = Clock::now();
  fd_.set_search_lag(1s);
  write_config();
  std::mt19937 rng(std::random_device{}());
  auto uniform = [&](int lo, int hi) { return std::uniform_int_distribution<int>(lo, hi)(rng); };

  // The storm: every ~1.5 s a random group of sites (or a whole client) goes down or up, and now
  // and then a receiver answers 500 or 503 for a while.
  std::atomic<bool> storming{true};
  std::thread storm([&] {
    std::mt19937 r(std::random_device{}());
    auto pick = [&](int lo, int hi) { return std::uniform_int_distribution<int>(lo, hi)(r); };
    lookout::testing::DeskReceiver* desks[] = {&pd_, &zd_, &fd_};
    while (storming) {
      switch (pick(0, 5)) {
        case 0: switch_sites("down=c" + std::to_string(pick(0, 1)) + "-*"); break;
        case 1: switch_sites("up=*"); break;
        default:
          for (int k = 0; k < 5; ++k) switch_sites("down=" + site_name(pick(0, 1), pick(0, kSitesPerClient - 1)));
          for (int k = 0; k < 5; ++k) switch_sites("up=" + site_name(pick(0, 1), pick(0, kSitesPerClient - 1)));
      }
      for (auto* d : desks) d->set_fault(Fault::none);
      if (pick(0, 2) == 0) desks[pick(0, 2)]->set_fault(pick(0, 1) ? Fault::error500 : Fault::unavailable503);
      std::this_thread::sleep_for(std::chrono::milliseconds(pick(800, 2200)));
    }
    for (auto* d : desks) d->set_fault(Fault::none);
  });

  int kills = 0;
  start_agent();
  ASSERT_TRUE(eventually([&] { return lookout::testing::http_get("127.0.0.1", port_, "/healthz").status == 200; }, 15s))
      << "the agent did not start";
  while (kills < kKills) {
    std::this_thread::sleep_for(std::chrono::milliseconds(uniform(300, 2500)));
    agent_.kill9();
    ++kills;
    start_agent();
  }
  storming = false;
  storm.join();
  switch_sites("up=*");
  std::cerr << "storm: " << kills << " kill -9 in "
            << std::chrono::duration_cast<std::chrono::seconds>(Clock::now() - test_start).count() << " s; requests: pd "
            << pd_.count() << ", zd " << zd_.count() << ", fd " << fd_.count() << "\n";

  // Drain: every site up, the agent left alone until nothing is open and nothing pending.
  bool drained = eventually(
      [&] {
        json open = api("/api/v1/incidents?state=open");
        if (!open.is_array() || !open.empty()) return false;
        const std::string m = metrics();
        for (const char* s : {"pd", "zd", "fd", "am"})
          if (metric_sample(m, std::string("lookout_outbox_pending{sink=\"") + s + "\"}") != 0) return false;
        return true;
      },
      60s);
  ASSERT_TRUE(drained) << "not drained within 60 s: open incidents "
                       << api("/api/v1/incidents?state=open").dump().substr(0, 2000) << "\n"
                       << metrics();

  json incidents = api("/api/v1/incidents");
  ASSERT_TRUE(incidents.is_array());
  std::set<std::string> ids;
  for (const auto& i : incidents) {
    ids.insert(i.value("id", ""));
    EXPECT_EQ(i.value("state", ""), "resolved") << i.dump();
    EXPECT_TRUE(i["held_by"].is_null()) << i.dump();
  }
  std::cerr << ids.size() << " incidents; zendesk " << zd_.tickets().size() << " tickets, freshdesk "
            << fd_.tickets().size() << ", pagerduty " << pd_.alerts().size() << " alerts\n";
  ASSERT_GE(ids.size(), 10u) << "the storm opened too few incidents to prove anything";

  // Zendesk: one ticket per incident, solved.
  std::map<std::string, int> zd_per;
  for (const auto& t : zd_.tickets()) {
    ++zd_per[t.external_id];
    EXPECT_EQ(t.status, "solved") << t.external_id;
  }
  for (const auto& id : ids) EXPECT_EQ(zd_per[id], 1) << "zendesk tickets of " << id;
  EXPECT_EQ(zd_per.size(), ids.size());

  // Freshdesk: one ticket per incident (its unique tag), resolved.
  std::map<std::string, int> fd_per;
  for (const auto& t : fd_.tickets()) {
    ASSERT_FALSE(t.tags.empty());
    ++fd_per[t.tags.back()];
    EXPECT_EQ(t.status, 4) << t.tags.back();
  }
  for (const auto& id : ids) EXPECT_EQ(fd_per[lookout::alerting::freshdesk_tag(id)], 1) << "freshdesk tickets of " << id;
  EXPECT_EQ(fd_per.size(), ids.size());

  // PagerDuty: per dedup_key, in arrival order of the accepted events: a trigger opens its
  // incident's alert once; later triggers while it is open are that incident's; a resolve
  // closes it; an incident is never triggered again after its resolve.
  std::map<std::string, std::string> open_incident;  // dedup_key -> incident whose alert is open
  std::set<std::string> opened, closed;
  for (const auto& r : pd_.http().requests()) {
    if (r.answered != 202) continue;
    auto e = json::parse(r.body, nullptr, false);
    const std::string key = e.value("dedup_key", ""), action = e.value("event_action", "");
    if (action == "trigger") {
      const std::string inc = e["payload"]["custom_details"].value("incident", "");
      auto it = open_incident.find(key);
      if (it == open_incident.end()) {
        EXPECT_FALSE(closed.count(inc)) << inc << " triggered again after its resolve";
        EXPECT_TRUE(opened.insert(inc).second) << inc << " opened a second alert";
        open_incident[key] = inc;
      } else {
        EXPECT_EQ(it->second, inc) << "a trigger of " << inc << " landed on the open alert of " << it->second;
      }
    } else if (action == "resolve") {
      auto it = open_incident.find(key);
      if (it != open_incident.end()) {
        closed.insert(it->second);
        open_incident.erase(it);
      }
    }
  }
  for (const auto& [key, inc] : open_incident) ADD_FAILURE() << "pagerduty alert " << key << " (" << inc << ") still open";
  for (const auto& id : ids) EXPECT_TRUE(closed.count(id)) << id << " never paged and resolved";
  for (const auto& a : pd_.alerts()) EXPECT_EQ(a.state, "resolved") << a.dedup_key;
  EXPECT_EQ(pd_.alerts().size(), ids.size());

  // Alertmanager: nothing still firing.
  json firing = am_firing();
  EXPECT_TRUE(firing.empty()) << firing.dump().substr(0, 2000);

  // No malformed request anywhere.
  for (const auto& e : zd_.errors()) ADD_FAILURE() << "zendesk: " << e;
  for (const auto& e : fd_.errors()) ADD_FAILURE() << "freshdesk: " << e;
  for (const auto& e : pd_.errors()) ADD_FAILURE() << "pagerduty: " << e;

  // Nothing pending or parked: the last agent stops cleanly; the store says so too.
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
