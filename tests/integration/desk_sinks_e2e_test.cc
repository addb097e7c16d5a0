// The real `lookout run` with PagerDuty, Zendesk and Freshdesk sinks pointed at the test's local
// receivers (tests/support/*_receiver.h, which check every request as the services document
// them). A 24x7 client's site goes down then up: Zendesk holds one solved ticket with comments,
// Freshdesk one resolved ticket, PagerDuty one alert triggered and then resolved on the
// incident key; no receiver saw a malformed request. Credentials come from the environment.
#include <fcntl.h>
#include <gtest/gtest.h>
#include <signal.h>
#include <stdlib.h>
#include <sys/wait.h>
#include <unistd.h>

#include <atomic>
#include <chrono>
#include <fstream>
#include <optional>
#include <iostream>
#include <thread>

#include <nlohmann/json.hpp>

#include "tests/support/agent_process.h"
#include "tests/support/free_port.h"
#include "tests/support/freshdesk_receiver.h"
#include "tests/support/http_get.h"
#include "tests/support/http_receiver.h"
#include "tests/support/pagerduty_receiver.h"
#include "tests/support/temp_dir.h"
#include "tests/support/zendesk_receiver.h"

namespace {

using lookout::testing::eventually;
using namespace std::chrono_literals;
using lookout::testing::Answer;
using lookout::testing::ReceivedRequest;

const std::string kPdKey = "0123456789abcdef0123456789abcdef";

class DeskSinksE2E : public ::testing::Test {
 protected:
  void SetUp() override {
    site_.set_responder([this](const ReceivedRequest&, size_t) {
      return site_up_ ? Answer{200, "<html><body>Welcome</body></html>", "text/html"}
                      : Answer{503, "down for maintenance", "text/plain"};
    });
    port_ = lookout::testing::free_port();
    std::ofstream(dir_.file("zendesk.token")) << "zd-token\n";
    std::ofstream out(dir_.file("lookout.yaml"));
    out << "agent:\n  listen: 127.0.0.1:" << port_ << "\n  state_file: " << dir_.file("state.db")
        << "\n  workers: 2\n"
        << "catalog: {refresh: off}\n"  // loopback only: no feed from the internet
        << "defaults:\n  interval: 1s\n  retry_interval: 1s\n  timeout: 900ms\n"
        << "  failure_threshold: 2\n  success_threshold: 2\n"
        << "alerting:\n  sinks:\n"
        << "    - {id: pd, type: pagerduty, url: \"" << pd_.enqueue_url() << "\", routing_key_env: LOOKOUT_E2E_PD_KEY, timeout: 5s}\n"
        << "    - {id: zd, type: zendesk, url: \"" << zd_.url("") << "\", email: agent@example.net, token_file: "
        << dir_.file("zendesk.token") << ", timeout: 5s}\n"
        << "    - {id: fd, type: freshdesk, url: \"" << fd_.url("") << "\", email: desk@example.net, api_key_env: LOOKOUT_E2E_FD_KEY, timeout: 5s}\n"
        << "  defaults:\n    tickets: [builtin, zd, fd]\n    pages: [pd]\n    page_priorities: [P1]\n"
        << "clients:\n  - id: acme\n    timezone: UTC\n    contract:\n      coverage: 24x7\n"
        << "      sla:\n        P1: {response: 1h, resolution: 4h}\n"
        << "    sites:\n      - id: www\n        url: " << site_.url("/")
        << "\n        checks:\n          - {type: http, keyword: Welcome}\n";
  }
  void TearDown() override { agent_.dump_log_if(HasFailure()); }
  void start_agent() { ASSERT_TRUE(agent_.start()); }
  /// The open incident `id` as the API lists it, null when it is not open; nullopt when the
  /// API gave no list.
  std::optional<nlohmann::json> open_incident(const std::string& id) const {
    auto r = lookout::testing::http_get("127.0.0.1", port_, "/api/v1/incidents?state=open");
    auto j = nlohmann::json::parse(r.body, nullptr, false);
    if (!j.is_array()) return std::nullopt;
    for (const auto& i : j)
      if (i.value("id", "") == id) return i;
    return nlohmann::json();
  }

  lookout::testing::TempDir dir_{"lookout-desk-e2e"};
  lookout::testing::HttpReceiver site_;
  lookout::testing::PagerDutyReceiver pd_{kPdKey};
  lookout::testing::ZendeskReceiver zd_{"agent@example.net", "zd-token"};
  lookout::testing::FreshdeskReceiver fd_{"fd-key"};
  std::atomic<bool> site_up_{true};
  unsigned short port_ = 0;
  lookout::testing::AgentProcess agent_{dir_.file("lookout.yaml"), dir_.file("agent.log"),
                                        {{"LOOKOUT_E2E_PD_KEY", kPdKey}, {"LOOKOUT_E2E_FD_KEY", "fd-key"}}};
};

TEST_F(DeskSinksE2E, OutageMakesOneTicketPerDeskAndOnePageAllClosedOnRecovery) {
  start_agent();
  ASSERT_TRUE(eventually([&] { return site_.count() >= 2; }, 10s)) << "the site was never probed";
  site_up_ = false;
  ASSERT_TRUE(eventually([&] { return zd_.tickets().size() == 1 && fd_.tickets().size() == 1 && pd_.alerts().size() == 1; }, 20s))
      << "zendesk " << zd_.tickets().size() << ", freshdesk " << fd_.tickets().size() << ", pagerduty "
      << pd_.alerts().size();
  site_up_ = true;
  ASSERT_TRUE(eventually(
      [&] {
        auto z = zd_.tickets();
        auto f = fd_.tickets();
        auto p = pd_.alerts();
        return z.size() == 1 && z[0].status == "solved" && f.size() == 1 && f[0].status == 4 && p.size() == 1 &&
               p[0].state == "resolved";
      },
      20s))
      << "not everything closed after the recovery";
  const auto z = zd_.tickets()[0];
  EXPECT_EQ(z.external_id, "acme/www/http#1");
  EXPECT_EQ(z.priority, "urgent");
  EXPECT_GE(z.comments.size(), 2u);
  EXPECT_NE(z.comments.back().body.find("Recovered at"), std::string::npos) << z.comments.back().body;
  const auto f = fd_.tickets()[0];
  EXPECT_EQ(f.priority, 4);
  EXPECT_GE(f.notes.size(), 1u);
  const auto p = pd_.alerts()[0];
  EXPECT_EQ(p.dedup_key, "acme/www/http");
  EXPECT_EQ(p.last_trigger["payload"]["source"], "127.0.0.1");
  EXPECT_EQ(p.last_trigger["payload"]["custom_details"]["ticket"], "LK-1");
  EXPECT_TRUE(zd_.errors().empty()) << zd_.errors().front();
  EXPECT_TRUE(fd_.errors().empty()) << fd_.errors().front();
  EXPECT_TRUE(pd_.errors().empty()) << pd_.errors().front();
}

// Bad credentials (issue 11): Zendesk refuses the token (401). Its notification is parked with
// a clear reason and one agency incident `_lookout/sinks/zd#1` says so in the API, while
// PagerDuty and Freshdesk carry on as if nothing happened.
TEST_F(DeskSinksE2E, RefusedCredentialsAreParkedAndRaiseAnAgencyIncidentNothingElseStalls) {
  std::ofstream(dir_.file("zendesk.token")) << "not-the-token\n";
  start_agent();
  ASSERT_TRUE(eventually([&] { return site_.count() >= 2; }, 10s)) << "the site was never probed";
  site_up_ = false;
  ASSERT_TRUE(eventually([&] { return fd_.tickets().size() == 1 && pd_.alerts().size() == 1; }, 20s))
      << "freshdesk " << fd_.tickets().size() << ", pagerduty " << pd_.alerts().size();
  nlohmann::json agency;
  ASSERT_TRUE(eventually(
      [&] {
        agency = open_incident("_lookout/sinks/zd#1").value_or(nullptr);
        return !agency.is_null();
      },
      20s));
  const std::string summary = agency.value("summary", "");
  EXPECT_NE(summary.find("sink zd: credentials refused"), std::string::npos) << summary;
  EXPECT_NE(summary.find("HTTP 401"), std::string::npos) << summary;
  EXPECT_NE(summary.find("check token_file"), std::string::npos) << summary;
  EXPECT_TRUE(zd_.tickets().empty());
  site_up_ = true;
  ASSERT_TRUE(eventually(
      [&] { return fd_.tickets()[0].status == 4 && pd_.alerts()[0].state == "resolved"; }, 20s))
      << "freshdesk and pagerduty did not close while zendesk refused us";
  // Both zendesk notifications (opened, resolved) are parked and counted, not retried forever.
  std::string metrics;
  EXPECT_TRUE(eventually(
      [&] {
        metrics = lookout::testing::http_get("127.0.0.1", port_, "/metrics").body;
        return metrics.find("lookout_notifications_total{result=\"failed\",sink=\"zd\"} 2") != std::string::npos;
      },
      10s))
      << metrics.substr(0, 3000);
  const size_t zd_requests = zd_.count();
  std::this_thread::sleep_for(3s);
  EXPECT_EQ(zd_.count(), zd_requests);

  // The operator fixes the token file and reloads (SIGHUP, no restart): the rebuilt sink makes
  // the next incident's ticket, and its first delivery resolves the agency incident.
  const size_t refusals = zd_.errors().size();
  std::ofstream(dir_.file("zendesk.token")) << "zd-token\n";
  ASSERT_TRUE(agent_.signal(SIGHUP));
  ASSERT_TRUE(eventually([&] { return agent_.log().find("reload: sink zd rebuilt") != std::string::npos; }, 10s))
      << "the reload did not rebuild sink zd";
  site_up_ = false;
  ASSERT_TRUE(eventually([&] { return zd_.tickets().size() == 1; }, 20s)) << "no zendesk ticket after the fix";
  EXPECT_EQ(zd_.tickets()[0].external_id, "acme/www/http#2");
  ASSERT_TRUE(eventually(
      [&] {
        auto agency_now = open_incident("_lookout/sinks/zd#1");
        return agency_now && agency_now->is_null();
      },
      10s))
      << "the agency incident stayed open after sink zd delivered again";
  EXPECT_EQ(zd_.errors().size(), refusals) << zd_.errors().back();
}

}  // namespace
