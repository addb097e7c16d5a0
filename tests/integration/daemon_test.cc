// End to end: `lookout run` against the in-process estate — API, metrics, SIGHUP reload (good
// and bad), kill -9 and restart with state restored from the store, SIGTERM drain.
#include <gmock/gmock.h>
#include <gtest/gtest.h>
#include <signal.h>
#include <sys/wait.h>
#include <unistd.h>

#include <fcntl.h>

#include <filesystem>
#include <fstream>
#include <regex>
#include <thread>

#include <boost/asio/ip/tcp.hpp>
#include <nlohmann/json.hpp>

#include "tests/support/free_port.h"

#include "tests/estate/estate.h"
#include "tests/support/http_get.h"

namespace fs = std::filesystem;
using lookout::testing::http_get;
using namespace std::chrono_literals;

using lookout::testing::free_port;

namespace {

class DaemonTest : public ::testing::Test {
 protected:
  void SetUp() override {
    estate_ = std::make_unique<lookout::estate::Estate>(lookout::estate::EstateOptions{});
    estate_->start();
    dir_ = fs::temp_directory_path() / ("lookout-daemon-" + std::to_string(getpid()));
    fs::create_directories(dir_);
    port_ = free_port();
  }
  void TearDown() override {
    if (pid_ > 0) {
      kill(pid_, SIGKILL);
      waitpid(pid_, nullptr, 0);
    }
    estate_->stop();
    fs::remove_all(dir_);
  }

  void write_config(const std::string& interval, bool extra_check, bool broken = false) {
    std::string http = estate_->endpoint("http");
    std::ofstream out(dir_ / "lookout.yaml");
    out << "agent:\n  listen: 127.0.0.1:" << port_ << "\n  state_file: " << (dir_ / "state.db").string()
        << "\n  workers: 2\n";
    if (broken) out << "  nonsense: 1\n";
    out << "catalog: {refresh: off}\n";  // loopback only: no feed from the internet
    out << "defaults:\n  interval: " << interval << "\n  timeout: 900ms\n"
        << "clients:\n  - id: acme\n    sites:\n"
        << "      - id: www\n        url: " << http << "/ok\n        checks:\n          - {type: http, keyword: Welcome}\n"
        << "      - id: shop\n        url: " << http << "/status/503\n        checks:\n          - {type: http}\n";
    if (extra_check)
      out << "      - id: blog\n        url: " << http << "/nokeyword\n        checks:\n          - {type: http, keyword: Welcome}\n";
  }

  void start_agent() {
    pid_ = fork();
    ASSERT_GE(pid_, 0);
    if (pid_ == 0) {
      std::string cfg = (dir_ / "lookout.yaml").string();
      int fd = ::open((dir_ / "agent.log").c_str(), O_WRONLY | O_CREAT | O_APPEND, 0644);
      dup2(fd, 1);
      dup2(fd, 2);
      execl(LOOKOUT_BINARY, LOOKOUT_BINARY, "run", "-c", cfg.c_str(), (char*)nullptr);
      _exit(127);
    }
  }

  nlohmann::json checks() {
    auto r = http_get("127.0.0.1", port_, "/api/v1/checks");
    if (r.status != 200) return nlohmann::json::array();
    return nlohmann::json::parse(r.body, nullptr, false);
  }

  // Waits until `pred(checks)` holds or 15 s pass.
  template <typename Pred>
  nlohmann::json wait_for(Pred pred) {
    nlohmann::json j;
    for (int i = 0; i < 150; ++i) {
      j = checks();
      if (j.is_array() && pred(j)) return j;
      std::this_thread::sleep_for(100ms);
    }
    ADD_FAILURE() << "condition not reached; last API answer: " << j.dump();
    return j;
  }

  static const nlohmann::json* find(const nlohmann::json& j, const std::string& key) {
    for (const auto& c : j)
      if (c["key"] == key) return &c;
    return nullptr;
  }

  std::string metrics_text() { return http_get("127.0.0.1", port_, "/metrics").body; }

  std::unique_ptr<lookout::estate::Estate> estate_;
  fs::path dir_;
  unsigned short port_ = 0;
  pid_t pid_ = -1;
};

bool all_ran(const nlohmann::json& j, size_t n) {
  if (j.size() != n) return false;
  for (const auto& c : j)
    if (c["last_result"].is_null()) return false;
  return true;
}

TEST_F(DaemonTest, RunsReloadsSurvivesKillAndDrains) {
  write_config("1s", false);
  start_agent();
  auto j = wait_for([](const nlohmann::json& j) { return all_ran(j, 2); });
  ASSERT_TRUE(find(j, "acme/www/http"));
  EXPECT_EQ((*find(j, "acme/www/http"))["status"], "ok");
  EXPECT_EQ((*find(j, "acme/shop/http"))["status"], "critical");
  EXPECT_EQ((*find(j, "acme/shop/http"))["last_result"]["failure_kind"], "http_status");

  auto m = http_get("127.0.0.1", port_, "/metrics");
  EXPECT_EQ(m.content_type, "text/plain; version=0.0.4; charset=utf-8");
  EXPECT_THAT(m.body, ::testing::HasSubstr(
                          "probe_success{check=\"http\",client=\"acme\",site=\"www\",type=\"http\"} 1"));
  EXPECT_THAT(m.body, ::testing::HasSubstr(
                          "probe_http_status_code{check=\"http\",client=\"acme\",site=\"shop\",type=\"http\"} 503"));
  EXPECT_THAT(m.body, ::testing::HasSubstr("lookout_checks_configured 2"));
  EXPECT_EQ(http_get("127.0.0.1", port_, "/healthz").status, 200);

  // SIGHUP with a new check: it appears, the others keep their state.
  write_config("1s", true);
  kill(pid_, SIGHUP);
  j = wait_for([](const nlohmann::json& j) { return all_ran(j, 3); });
  ASSERT_TRUE(find(j, "acme/blog/http"));
  EXPECT_EQ((*find(j, "acme/blog/http"))["status"], "critical");
  EXPECT_THAT(metrics_text(), ::testing::HasSubstr("lookout_config_last_reload_successful 1"));

  // A broken config on SIGHUP keeps the running one and says so.
  write_config("1s", false, /*broken=*/true);
  kill(pid_, SIGHUP);
  for (int i = 0; i < 50 && metrics_text().find("lookout_config_last_reload_successful 0") == std::string::npos; ++i)
    std::this_thread::sleep_for(100ms);
  EXPECT_THAT(metrics_text(), ::testing::HasSubstr("lookout_config_last_reload_successful 0"));
  EXPECT_EQ(checks().size(), 3u);

  // kill -9, restart with a long interval: states come back from the store before any run.
  std::this_thread::sleep_for(1500ms);  // one store flush interval
  kill(pid_, SIGKILL);
  waitpid(pid_, nullptr, 0);
  pid_ = -1;
  write_config("1h", true);
  start_agent();
  j = wait_for([](const nlohmann::json& j) { return j.size() == 3; });
  ASSERT_TRUE(find(j, "acme/shop/http"));
  EXPECT_EQ((*find(j, "acme/shop/http"))["status"], "critical");
  EXPECT_EQ((*find(j, "acme/www/http"))["status"], "ok");
  EXPECT_FALSE((*find(j, "acme/shop/http"))["last_result"].is_null());
  // ... and so do their metrics: a restart must not look like a recovery in Prometheus.
  std::string restarted = metrics_text();
  EXPECT_THAT(restarted, ::testing::HasSubstr(
                             "lookout_check_status{check=\"http\",client=\"acme\",site=\"shop\",type=\"http\"} 2"));
  EXPECT_THAT(restarted, ::testing::HasSubstr(
                             "probe_http_status_code{check=\"http\",client=\"acme\",site=\"shop\",type=\"http\"} 503"));
  EXPECT_THAT(restarted, ::testing::HasSubstr(
                             "lookout_check_status{check=\"http\",client=\"acme\",site=\"www\",type=\"http\"} 0"));

  // SIGTERM: clean exit.
  kill(pid_, SIGTERM);
  int status = 0;
  for (int i = 0; i < 100; ++i) {
    if (waitpid(pid_, &status, WNOHANG) == pid_) {
      pid_ = -1;
      break;
    }
    std::this_thread::sleep_for(100ms);
  }
  ASSERT_EQ(pid_, -1) << "agent did not exit on SIGTERM";
  EXPECT_TRUE(WIFEXITED(status));
  EXPECT_EQ(WEXITSTATUS(status), 0);
}

TEST_F(DaemonTest, LogsTransitionsAndRefusesASecondAgentOnTheSameStateFile) {
  write_config("1s", false);
  start_agent();
  wait_for([](const nlohmann::json& j) { return all_ran(j, 2); });
  pid_t first = pid_;
  // A second agent on the same state file (same config) stops at once, naming the first.
  pid_ = -1;
  std::string cfg = (dir_ / "lookout.yaml").string();
  pid_t second = fork();
  ASSERT_GE(second, 0);
  if (second == 0) {
    int fd = ::open((dir_ / "second.log").c_str(), O_WRONLY | O_CREAT | O_APPEND, 0644);
    dup2(fd, 1);
    dup2(fd, 2);
    execl(LOOKOUT_BINARY, LOOKOUT_BINARY, "run", "-c", cfg.c_str(), (char*)nullptr);
    _exit(127);
  }
  pid_ = first;
  int status = 0;
  waitpid(second, &status, 0);
  EXPECT_TRUE(WIFEXITED(status));
  EXPECT_EQ(WEXITSTATUS(status), 1);
  std::ifstream second_log(dir_ / "second.log");
  std::string text((std::istreambuf_iterator<char>(second_log)), std::istreambuf_iterator<char>());
  EXPECT_THAT(text, ::testing::HasSubstr("in use by another lookout process (pid " +
                                         std::to_string(first) + ")"));
  EXPECT_THAT(text, ::testing::HasSubstr((dir_ / "state.db").string()));
  // The first agent logged its failing check's transition, once.
  std::ifstream log(dir_ / "agent.log");
  std::string agent_log((std::istreambuf_iterator<char>(log)), std::istreambuf_iterator<char>());
  EXPECT_THAT(agent_log, ::testing::HasSubstr("acme/shop/http: new -> critical: HTTP 503"));
  EXPECT_THAT(agent_log, ::testing::Not(::testing::HasSubstr("acme/www/http: new")));
  // The first agent is unaffected.
  EXPECT_EQ(checks().size(), 2u);
}

// The JSON API against the real daemon: a filter, one check with its transition from the store,
// the clients with business hours (and a SIGHUP reload the clients endpoint follows), errors.
TEST_F(DaemonTest, ApiFiltersOneCheckAndClients) {
  auto write = [&](bool with_beta) {
    std::string http = estate_->endpoint("http");
    std::ofstream out(dir_ / "lookout.yaml");
    out << "agent:\n  listen: 127.0.0.1:" << port_ << "\n  state_file: "
        << (dir_ / "state.db").string() << "\n  workers: 2\n"
        << "catalog: {refresh: off}\n"
        << "defaults:\n  interval: 1s\n  timeout: 900ms\n"
        << "clients:\n  - id: acme\n    name: Acme Ltd\n    timezone: Europe/London\n"
        << "    business_hours:\n      mon-sun: \"00:00-24:00\"\n"
        << "    holidays: [\"2031-12-25\"]\n    sites:\n"
        << "      - id: www\n        url: " << http << "/ok\n        tags: [prod]\n"
        << "        checks:\n          - {type: http, keyword: Welcome}\n"
        << "      - id: shop\n        url: " << http << "/status/503\n        tags: [prod, shop]\n"
        << "        checks:\n          - {type: http}\n";
    if (with_beta)
      out << "  - id: beta\n    sites:\n      - id: blog\n        url: " << http
          << "/ok\n        checks:\n          - {type: http}\n";
  };
  auto get_json = [&](const std::string& target, int expect_status) {
    auto r = http_get("127.0.0.1", port_, target);
    EXPECT_EQ(r.status, expect_status) << target << ": " << r.body;
    EXPECT_EQ(r.content_type, "application/json") << target;
    return nlohmann::json::parse(r.body, nullptr, false);
  };
  const std::regex rfc3339(R"(\d{4}-\d\d-\d\dT\d\d:\d\d:\d\d\.\d{3}Z)");
  auto is_time = [&](const nlohmann::json& v) {
    return v.is_string() && std::regex_match(v.get<std::string>(), rfc3339);
  };

  write(true);
  start_agent();
  auto all = wait_for([](const nlohmann::json& j) { return all_ran(j, 3); });
  for (const auto& c : all) {
    EXPECT_TRUE(is_time(c["since"])) << c.dump();
    EXPECT_TRUE(is_time(c["last_run"])) << c.dump();
    EXPECT_TRUE(is_time(c["next_run"])) << c.dump();
    EXPECT_TRUE(is_time(c["last_result"]["started"])) << c.dump();
    EXPECT_EQ(c["interval_seconds"], 1);
  }

  auto j = get_json("/api/v1/checks?status=critical&tag=prod", 200);
  ASSERT_EQ(j.size(), 1u) << j.dump();
  EXPECT_EQ(j[0]["key"], "acme/shop/http");
  EXPECT_EQ(j[0]["tags"], (nlohmann::json{"prod", "shop"}));
  j = get_json("/api/v1/checks?tag=prod&limit=1", 200);
  ASSERT_EQ(j.size(), 1u);
  EXPECT_EQ(j[0]["key"], "acme/shop/http");
  j = get_json("/api/v1/checks?client=beta&status=ok", 200);
  ASSERT_EQ(j.size(), 1u);
  EXPECT_EQ(j[0]["key"], "beta/blog/http");

  // The store hears of a result just after the engine shows it: give it a moment.
  for (int i = 0; i < 50; ++i) {
    j = get_json("/api/v1/checks/acme/shop/http", 200);
    if (!j["transitions"].empty()) break;
    std::this_thread::sleep_for(100ms);
  }
  EXPECT_EQ(j["status"], "critical");
  EXPECT_TRUE(is_time(j["next_run"]));
  EXPECT_EQ(j["last_result"]["failure_kind"], "http_status");
  ASSERT_FALSE(j["transitions"].empty()) << j.dump();
  EXPECT_EQ(j["transitions"][0]["from"], "unknown");
  EXPECT_EQ(j["transitions"][0]["to"], "critical");
  EXPECT_TRUE(is_time(j["transitions"][0]["at"]));
  EXPECT_THAT(j["transitions"][0]["reason"].get<std::string>(), ::testing::HasSubstr("503"));
  // A window after the transition leaves it out.
  j = get_json("/api/v1/checks/acme/shop/http?since=2099-01-01T00:00:00Z", 200);
  EXPECT_EQ(j["transitions"], nlohmann::json::array());

  j = get_json("/api/v1/clients", 200);
  ASSERT_EQ(j.size(), 2u) << j.dump();
  EXPECT_EQ(j[0]["id"], "acme");
  EXPECT_EQ(j[0]["name"], "Acme Ltd");
  EXPECT_EQ(j[0]["timezone"], "Europe/London");
  EXPECT_EQ(j[0]["business_hours"]["wed"], (nlohmann::json{"00:00-24:00"}));
  EXPECT_EQ(j[0]["holidays"], (nlohmann::json{"2031-12-25"}));
  EXPECT_EQ(j[0]["open_now"], true);  // open around the clock
  EXPECT_EQ(j[0]["checks"], 2);
  EXPECT_EQ(j[0]["failing"], 1);
  EXPECT_EQ(j[1]["id"], "beta");
  EXPECT_EQ(j[1]["open_now"], false);  // no business hours at all
  EXPECT_EQ(j[1]["checks"], 1);
  EXPECT_EQ(j[1]["failing"], 0);

  EXPECT_THAT(get_json("/api/v1/checks?status=down", 400)["error"].get<std::string>(),
              ::testing::HasSubstr("'down'"));
  EXPECT_TRUE(get_json("/api/v1/checks/acme/shop/ftp", 404)["error"].is_string());
  EXPECT_TRUE(get_json("/api/v1/nothing", 404)["error"].is_string());

  // SIGHUP without beta: /api/v1/clients follows the reloaded config.
  write(false);
  kill(pid_, SIGHUP);
  for (int i = 0; i < 100 && get_json("/api/v1/clients", 200).size() != 1; ++i)
    std::this_thread::sleep_for(100ms);
  j = get_json("/api/v1/clients", 200);
  ASSERT_EQ(j.size(), 1u);
  EXPECT_EQ(j[0]["id"], "acme");
  EXPECT_EQ(get_json("/api/v1/checks", 200).size(), 2u);
}

// catalog.max_age in the daemon: a patch check on a WordPress site judged with release data
// older than max_age (the fixed test catalogue, as of 2026-02-03) raises the agency incident
// _lookout/catalog/wordpress, once; a kill -9 and restart finds it open in the store and does
// not raise a second one.
TEST_F(DaemonTest, StaleReleaseCatalogueRaisesOneAgencyIncidentAcrossRestarts) {
  fs::copy(LOOKOUT_TESTDATA "/catalog/fixed", dir_ / "catalog");
  ::setenv("LOOKOUT_CATALOG_DIR", (dir_ / "catalog").c_str(), 1);
  {
    std::ofstream out(dir_ / "lookout.yaml");
    out << "agent:\n  listen: 127.0.0.1:" << port_ << "\n  state_file: " << (dir_ / "state.db").string()
        << "\n  workers: 2\n"
        << "catalog: {refresh: off, max_age: 7d}\n"  // loopback only: no feed from the internet
        << "alerting:\n  agency: [builtin]\n"
        << "defaults:\n  interval: 2s\n  timeout: 1500ms\n"
        << "clients:\n  - id: acme\n    sites:\n"
        << "      - id: blog\n        url: " << estate_->endpoint("cms_wordpress_current") << "/\n"
        << "        checks:\n          - {type: patch, components: false}\n";
  }
  start_agent();
  auto j = wait_for([](const nlohmann::json& j) { return all_ran(j, 1); });
  ASSERT_TRUE(find(j, "acme/blog/patch"));
  EXPECT_THAT((*find(j, "acme/blog/patch"))["last_result"]["summary"].get<std::string>(),
              ::testing::HasSubstr("older than catalog.max_age 7d"));
  auto catalog_incidents = [&] {
    std::vector<nlohmann::json> out;
    auto r = http_get("127.0.0.1", port_, "/api/v1/incidents");
    auto all = nlohmann::json::parse(r.body, nullptr, false);
    if (all.is_array())
      for (const auto& i : all)
        if (i.value("key", "") == "_lookout/catalog/wordpress") out.push_back(i);
    return out;
  };
  auto wait_incident = [&] {
    for (int i = 0; i < 150 && catalog_incidents().empty(); ++i) std::this_thread::sleep_for(100ms);
    return catalog_incidents();
  };
  // A reload checks staleness at once (otherwise the first check is a minute after start).
  kill(pid_, SIGHUP);
  auto incidents = wait_incident();
  ASSERT_EQ(incidents.size(), 1u) << http_get("127.0.0.1", port_, "/api/v1/incidents").body;
  EXPECT_EQ(incidents[0]["id"], "_lookout/catalog/wordpress#1");
  EXPECT_EQ(incidents[0]["state"], "open");
  EXPECT_EQ(incidents[0]["priority"], "P3");
  EXPECT_THAT(incidents[0]["summary"].get<std::string>(),
              ::testing::HasSubstr("WordPress release data is stale: as of 2026-02-03"));
  EXPECT_TRUE(incidents[0]["ticket"].is_string());  // builtin is in alerting.agency

  // kill -9 and restart: the start-up check (with the restored results) and a reload find the
  // incident open; no second one.
  std::this_thread::sleep_for(1500ms);  // one store flush interval for the results
  kill(pid_, SIGKILL);
  waitpid(pid_, nullptr, 0);
  pid_ = -1;
  start_agent();
  wait_for([](const nlohmann::json& j) { return all_ran(j, 1); });
  kill(pid_, SIGHUP);
  std::this_thread::sleep_for(1s);
  incidents = wait_incident();
  ::unsetenv("LOOKOUT_CATALOG_DIR");
  ASSERT_EQ(incidents.size(), 1u) << http_get("127.0.0.1", port_, "/api/v1/incidents").body;
  EXPECT_EQ(incidents[0]["id"], "_lookout/catalog/wordpress#1");
  EXPECT_EQ(incidents[0]["state"], "open");
}

TEST_F(DaemonTest, RefusesToStartOnABadConfig) {
  write_config("1s", false, /*broken=*/true);
  start_agent();
  int status = 0;
  waitpid(pid_, &status, 0);
  pid_ = -1;
  EXPECT_TRUE(WIFEXITED(status));
  EXPECT_EQ(WEXITSTATUS(status), 2);
  std::ifstream log(dir_ / "agent.log");
  std::string text((std::istreambuf_iterator<char>(log)), std::istreambuf_iterator<char>());
  EXPECT_THAT(text, ::testing::HasSubstr("agent.nonsense: unknown key"));
}

}  // namespace
