// AlertmanagerSink against Debian's real prometheus-alertmanager, started by the test on
// 127.0.0.1 with a webhook receiver in the test: an incident posted firing shows as an active
// alert with our labels and annotations and reaches the webhook; a priority change replaces the
// label set (the old one ends); refresh() re-posts (Alertmanager's endsAt moves on); a resolve
// reaches the webhook as "resolved" and leaves nothing active; resolved alerts stop being
// re-posted after 5 minutes of injected time. Skipped when Alertmanager is not installed.
#include "alerting/alertmanager_sink.h"

#include <fcntl.h>
#include <signal.h>
#include <spawn.h>
#include <sys/wait.h>
#include <unistd.h>

#include <fstream>
#include <thread>

#include <gtest/gtest.h>

#include "net/http_client.h"
#include "tests/support/free_port.h"
#include "tests/support/http_receiver.h"
#include "tests/support/sink_fixture.h"

extern char** environ;

using namespace lookout;
using namespace lookout::alerting;
using namespace std::chrono_literals;

namespace {

constexpr const char* kAlertmanager = "/usr/bin/prometheus-alertmanager";

struct AlertmanagerSinkTest : lookout::testing::SinkFixture {
  lookout::testing::HttpReceiver hook;
  unsigned short port = 0;
  pid_t pid = 0;

  void SetUp() override {
    if (access(kAlertmanager, X_OK) != 0) GTEST_SKIP() << kAlertmanager << " is not installed";
    port = lookout::testing::free_port();
    const std::string cfg = dir.file("alertmanager.yml");
    std::ofstream(cfg) << "global:\n  resolve_timeout: 5m\n"
                          "route:\n  receiver: test\n  group_by: [alertname, client, site, check, priority]\n"
                          "  group_wait: 1s\n  group_interval: 1s\n  repeat_interval: 1h\n"
                          "receivers:\n  - name: test\n    webhook_configs:\n      - url: "
                       << hook.url("/hook") << "\n        send_resolved: true\n";
    std::string a1 = "--config.file=" + cfg, a2 = "--storage.path=" + dir.file("am"),
                a3 = "--web.listen-address=127.0.0.1:" + std::to_string(port);
    const char* argv[] = {kAlertmanager, a1.c_str(), a2.c_str(), a3.c_str(), "--cluster.listen-address=",
                          "--log.level=error", nullptr};
    posix_spawn_file_actions_t actions;
    posix_spawn_file_actions_init(&actions);
    posix_spawn_file_actions_addopen(&actions, STDERR_FILENO, dir.file("am.log").c_str(), O_WRONLY | O_CREAT, 0644);
    int rc = posix_spawn(&pid, kAlertmanager, &actions, nullptr, const_cast<char**>(argv), environ);
    posix_spawn_file_actions_destroy(&actions);
    ASSERT_EQ(rc, 0);
    for (int i = 0; i < 200; ++i) {  // ready within 10 s
      if (get("/-/ready").first == 200) break;
      std::this_thread::sleep_for(50ms);
    }
    ASSERT_EQ(get("/-/ready").first, 200) << "alertmanager did not start; see " << dir.file("am.log");
    clock.set(std::chrono::system_clock::now());  // Alertmanager works on the wall clock
  }
  void TearDown() override {
    if (pid > 0) {
      kill(pid, SIGTERM);
      int status = 0;
      waitpid(pid, &status, 0);
    }
  }
  std::pair<unsigned, std::string> get(const std::string& path) {
    net::HttpRequest req;
    req.url = *net::parse_url("http://127.0.0.1:" + std::to_string(port) + path);
    auto f = boost::asio::co_spawn(
        io,
        [&]() -> boost::asio::awaitable<net::HttpResponse> {
          net::Context ctx{co_await boost::asio::this_coro::executor, resolver, tls,
                           std::chrono::steady_clock::now() + 2s, 2s};
          co_return co_await net::http_fetch(ctx, req);
        },
        boost::asio::use_future);
    io.restart();
    io.run();
    auto r = f.get();
    return {r.status, r.body};
  }
  nlohmann::json active() {
    auto j = nlohmann::json::parse(get("/api/v2/alerts?active=true&silenced=false&inhibited=false").second, nullptr, false);
    nlohmann::json out = nlohmann::json::array();
    if (j.is_array())
      for (const auto& a : j)
        if (a["status"]["state"] == "active") out.push_back(a);
    return out;
  }
  config::SinkConfig cfg() {
    config::SinkConfig c;
    c.id = "am";
    c.type = "alertmanager";
    c.url = "http://127.0.0.1:" + std::to_string(port);
    c.resend = 60s;
    c.timeout = 2s;
    return c;
  }
  Incident live_incident() {
    Incident i = incident();
    i.first_failure = i.opened = i.updated = clock.now() - 1min;
    return i;
  }
  /// Waits (wall clock, for Alertmanager's own group_wait) for a webhook with this status.
  bool hook_saw(const std::string& status, const std::string& priority) {
    return hook.wait_for(
        [&](const std::vector<lookout::testing::ReceivedRequest>& rs) {
          for (const auto& r : rs) {
            auto j = nlohmann::json::parse(r.body, nullptr, false);
            if (!j.is_object() || j.value("version", "") != "4") continue;
            for (const auto& a : j["alerts"])
              if (a["status"] == status && a["labels"].value("priority", "") == priority &&
                  a["labels"].value("site", "") == "shop")
                return true;
          }
          return false;
        },
        20s);
  }
};

TEST_F(AlertmanagerSinkTest, FiringRefreshedRelabelledAndResolved) {
  AlertmanagerSink sink(cfg(), resolver, tls, clock, *db);
  EXPECT_EQ(sink.refresh_period(), std::optional<std::chrono::milliseconds>(60s));
  Incident i = live_incident();
  ASSERT_EQ(deliver(sink, note("am", i, "incident.opened", 1)).kind, Delivery::delivered);
  auto alerts = active();
  ASSERT_EQ(alerts.size(), 1u) << alerts.dump();
  const auto& a = alerts[0];
  EXPECT_EQ(a["labels"]["alertname"], "LookoutIncident");
  EXPECT_EQ(a["labels"]["client"], "acme");
  EXPECT_EQ(a["labels"]["site"], "shop");
  EXPECT_EQ(a["labels"]["check"], "https");
  EXPECT_EQ(a["labels"]["priority"], "P1");
  EXPECT_EQ(a["labels"]["severity"], "critical");
  EXPECT_EQ(a["annotations"]["ticket"], "LK-1042");
  EXPECT_EQ(a["annotations"]["summary"], "shop https: connect timeout");
  ASSERT_TRUE(hook_saw("firing", "P1"));

  // Refresh re-posts: Alertmanager's endsAt (now + resolve_timeout) moves on.
  const std::string ends_before = a["endsAt"];
  std::this_thread::sleep_for(1100ms);
  ASSERT_EQ(co_spawn_refresh(sink).kind, Delivery::delivered);
  alerts = active();
  ASSERT_EQ(alerts.size(), 1u);
  EXPECT_GT(alerts[0]["endsAt"].get<std::string>(), ends_before);

  // A priority change is another label set: one active alert, with the new priority.
  i.priority = Priority::P2;
  ASSERT_EQ(deliver(sink, note("am", i, "incident.updated", 2)).kind, Delivery::delivered);
  alerts = active();
  ASSERT_EQ(alerts.size(), 1u) << alerts.dump();
  EXPECT_EQ(alerts[0]["labels"]["priority"], "P2");
  ASSERT_TRUE(hook_saw("resolved", "P1"));  // the old label set ended

  // Resolve: nothing active, the webhook hears "resolved".
  clock.set(std::chrono::system_clock::now());
  i.open = false;
  i.resolved = clock.now();
  ASSERT_EQ(deliver(sink, note("am", i, "incident.resolved", 3)).kind, Delivery::delivered);
  EXPECT_TRUE(active().empty()) << active().dump();
  ASSERT_TRUE(hook_saw("resolved", "P2"));

  // The resolved alert and the ended P1 label set are re-posted for 5 minutes, then forgotten
  // (also in the store).
  EXPECT_EQ(sink.tracked(), 2u);
  EXPECT_EQ(db->values("sink_alert").size(), 2u);
  clock.advance(6min);
  ASSERT_EQ(co_spawn_refresh(sink).kind, Delivery::delivered);
  EXPECT_EQ(sink.tracked(), 0u);
  EXPECT_TRUE(db->values("sink_alert").empty());
}

// The check's next incident has the same label set: one alert in Alertmanager. The previous
// incident's resolved alert (re-posted for 5 minutes) must not end it: numbers 9 and 10 sort
// "#10" before "#9", so a refresh posting both would leave the resolved one last.
TEST_F(AlertmanagerSinkTest, ANewIncidentOfTheCheckSupersedesThePreviousResolvedAlert) {
  AlertmanagerSink sink(cfg(), resolver, tls, clock, *db);
  Incident nine = incident("acme", "shop", "https", 9);
  nine.first_failure = nine.opened = nine.updated = clock.now() - 2min;
  ASSERT_EQ(deliver(sink, note("am", nine, "incident.opened", 1)).kind, Delivery::delivered);
  nine.open = false;
  nine.resolved = clock.now() - 1min;
  ASSERT_EQ(deliver(sink, note("am", nine, "incident.resolved", 2)).kind, Delivery::delivered);
  Incident ten = incident("acme", "shop", "https", 10);
  ten.first_failure = ten.opened = ten.updated = clock.now() - 30s;
  ASSERT_EQ(deliver(sink, note("am", ten, "incident.opened", 1)).kind, Delivery::delivered);
  EXPECT_EQ(sink.tracked(), 1u);
  EXPECT_EQ(db->values("sink_alert").size(), 1u);
  ASSERT_EQ(co_spawn_refresh(sink).kind, Delivery::delivered);
  auto alerts = active();
  ASSERT_EQ(alerts.size(), 1u) << alerts.dump();
  EXPECT_EQ(alerts[0]["annotations"]["incident"], "acme/shop/https#10");
}

// A refresh whose (firing) batch is on its way while the resolve is delivered may land after
// it; the refresh then posts the current state again, so nothing stays firing.
TEST_F(AlertmanagerSinkTest, ARefreshOverlappingTheResolveNeverLeavesItFiring) {
  AlertmanagerSink sink(cfg(), resolver, tls, clock, *db);
  for (int round = 0; round < 5; ++round) {
    Incident i = incident("acme", "shop", "https", round + 1);
    i.first_failure = i.opened = i.updated = clock.now() - 1min;
    ASSERT_EQ(deliver(sink, note("am", i, "incident.opened", 1)).kind, Delivery::delivered);
    i.open = false;
    i.resolved = clock.now();
    auto refreshing = boost::asio::co_spawn(io, sink.refresh(), boost::asio::use_future);
    const Notification resolve = note("am", i, "incident.resolved", 2);
    auto resolving = boost::asio::co_spawn(io, sink.deliver(resolve), boost::asio::use_future);
    io.restart();
    io.run();
    ASSERT_EQ(refreshing.get().kind, Delivery::delivered);
    Delivery resolved = resolving.get();
    ASSERT_EQ(resolved.kind, Delivery::delivered) << resolved.reason;
    EXPECT_TRUE(active().empty()) << "round " << round << ": " << active().dump();
  }
}

TEST_F(AlertmanagerSinkTest, RestartGoesOnReposting) {
  Incident i = live_incident();
  {
    AlertmanagerSink sink(cfg(), resolver, tls, clock, *db);
    ASSERT_EQ(deliver(sink, note("am", i, "incident.opened", 1)).kind, Delivery::delivered);
  }
  restart_store();
  AlertmanagerSink sink(cfg(), resolver, tls, clock, *db);
  EXPECT_EQ(sink.tracked(), 1u);
  ASSERT_EQ(co_spawn_refresh(sink).kind, Delivery::delivered);
  EXPECT_EQ(active().size(), 1u);
}

TEST_F(AlertmanagerSinkTest, ADownAlertmanagerIsRetried) {
  auto c = cfg();
  c.url = "http://127.0.0.1:" + std::to_string(lookout::testing::free_port());
  c.timeout = 500ms;
  AlertmanagerSink sink(c, resolver, tls, clock, *db);
  Delivery d = deliver(sink, note("am", live_incident(), "incident.opened", 1));
  EXPECT_EQ(d.kind, Delivery::retry);
  EXPECT_NE(d.reason.find("POST /api/v2/alerts"), std::string::npos) << d.reason;
}

}  // namespace
