// The operator side end to end (issue 10): the real `lookout run` with an API token file, a
// site the test switches down. Acknowledging through the API with the token opens the ticket
// and records the response SLA as met; a wrong token gets 401 and changes nothing. A maintenance
// window created through the API holds back the ticket of a site that fails during it (results
// marked `maintenance`), and the moment the window ends the incident is raised (ticket at once,
// not one interval later). The CLI (`lookout incidents`, `lookout ack`, `lookout maintenance`)
// is run against the same agent.
#include <fcntl.h>
#include <gtest/gtest.h>
#include <signal.h>
#include <stdlib.h>
#include <sys/wait.h>
#include <unistd.h>

#include <atomic>
#include <chrono>
#include <cstdio>
#include <fstream>
#include <iostream>
#include <set>
#include <thread>

#include <boost/asio/io_context.hpp>
#include <boost/asio/ip/tcp.hpp>
#include <boost/beast/core.hpp>
#include <boost/beast/http.hpp>
#include <nlohmann/json.hpp>

#include "config/time_text.h"
#include "tests/support/agent_process.h"
#include "tests/support/free_port.h"
#include "tests/support/http_get.h"
#include "tests/support/http_receiver.h"
#include "tests/support/temp_dir.h"

namespace {

using namespace std::chrono_literals;
using lookout::testing::Answer;
using lookout::testing::HttpReceiver;
using lookout::testing::ReceivedRequest;
using lookout::testing::eventually;
using nlohmann::json;

constexpr const char* kToken = "e2e-operator-token";

struct Reply {
  int status = 0;
  json body;
};

Reply request(unsigned short port, const std::string& method, const std::string& target,
              const std::string& body = "", const std::string& token = "") {
  namespace beast = boost::beast;
  namespace http = beast::http;
  Reply out;
  try {
    boost::asio::io_context io;
    beast::tcp_stream stream(io);
    stream.expires_after(std::chrono::seconds(10));
    stream.connect({boost::asio::ip::make_address("127.0.0.1"), port});
    http::request<http::string_body> req{http::string_to_verb(method), target, 11};
    req.set(http::field::host, "127.0.0.1");
    if (!token.empty()) req.set(http::field::authorization, "Bearer " + token);
    if (!body.empty()) req.set(http::field::content_type, "application/json");
    req.body() = body;
    req.prepare_payload();
    http::write(stream, req);
    beast::flat_buffer buf;
    http::response<http::string_body> res;
    http::read(stream, buf, res);
    out.status = res.result_int();
    out.body = json::parse(res.body(), nullptr, false);
  } catch (const std::exception&) {
  }
  return out;
}

// Runs the lookout CLI; its exit code and stdout.
std::pair<int, std::string> cli(const std::string& args) {
  std::string cmd = std::string(LOOKOUT_BINARY) + " " + args + " 2>&1";
  FILE* p = popen(cmd.c_str(), "r");
  std::string out;
  char buf[4096];
  while (size_t n = fread(buf, 1, sizeof buf, p)) out.append(buf, n);
  int status = pclose(p);
  return {WIFEXITED(status) ? WEXITSTATUS(status) : -1, out};
}

class OpsE2E : public ::testing::Test {
 protected:
  void SetUp() override {
    site_.set_responder([this](const ReceivedRequest& r, size_t) {
      bool up = r.target == "/www" ? www_up_.load() : shop_up_.load();
      return up ? Answer{200, "Welcome", "text/html"} : Answer{503, "down", "text/plain"};
    });
    port_ = lookout::testing::free_port();
    std::ofstream(dir_.file("token")) << kToken << "\n";
    std::ofstream out(dir_.file("lookout.yaml"));
    out << "agent:\n  listen: 127.0.0.1:" << port_ << "\n  state_file: " << dir_.file("state.db")
        << "\n  api_token_file: " << dir_.file("token") << "\n  workers: 1\n"
        << "catalog: {refresh: off}\n"  // loopback only: no feed from the internet
        << "defaults:\n  interval: 1s\n  retry_interval: 1s\n  timeout: 900ms\n"
        << "clients:\n  - id: acme\n    timezone: Europe/London\n"
        << "    contract:\n      coverage: 24x7\n      sla:\n        P1: {response: 1h, resolution: 4h}\n"
        << "    sites:\n"
        << "      - id: www\n        url: " << site_.url("/www") << "\n        checks: [{type: http, keyword: Welcome}]\n"
        << "      - id: shop\n        url: " << site_.url("/shop") << "\n        checks: [{type: http, keyword: Welcome}]\n";
  }
  void TearDown() override { agent_.dump_log_if(HasFailure()); }
  void start_agent() { ASSERT_TRUE(agent_.start()); }
  json incident(const std::string& key) {
    auto r = request(port_, "GET", "/api/v1/incidents?state=open");
    if (r.status == 200)
      for (const auto& i : r.body)
        if (i.value("key", "") == key) return i;
    return nullptr;
  }
  json tickets() { return request(port_, "GET", "/api/v1/tickets").body; }

  lookout::testing::TempDir dir_{"lookout-ops-e2e"};
  HttpReceiver site_;
  std::atomic<bool> www_up_{false}, shop_up_{true};
  unsigned short port_ = 0;
  lookout::testing::AgentProcess agent_{dir_.file("lookout.yaml"), dir_.file("agent.log"),
                                        {{"LOOKOUT_API_TOKEN", ""}}};
};

TEST_F(OpsE2E, AckWithTokenMaintenanceHoldsThenRaisesAtTheWindowEnd) {
  start_agent();
  ASSERT_TRUE(eventually([&] { return incident("acme/www/http").is_object(); }, 20s))
      << "no incident for the failing site";
  json i = incident("acme/www/http");
  const std::string id = i["id"];
  ASSERT_TRUE(i["ticket"].is_string());
  const std::string ref = i["ticket"];
  const std::string ack = "/api/v1/incidents/acme%2Fwww%2Fhttp%23" + id.substr(id.find('#') + 1) + "/ack";

  // Wrong token and no token: 401, nothing changes.
  EXPECT_EQ(request(port_, "POST", ack, R"({"by":"mallory"})", "not-the-token").status, 401);
  EXPECT_EQ(request(port_, "POST", ack, R"({"by":"mallory"})").status, 401);
  EXPECT_TRUE(incident("acme/www/http")["acknowledged"].is_null());
  EXPECT_EQ(request(port_, "GET", "/api/v1/tickets/" + ref).body["status"], "new");
  // The CLI with a wrong token fails with the agent's message; with the config's token it acks.
  auto [bad_rc, bad_out] = cli("ack '" + id + "' --url http://127.0.0.1:" + std::to_string(port_) + " --by x");
  EXPECT_EQ(bad_rc, 1) << bad_out;
  EXPECT_NE(bad_out.find("401"), std::string::npos) << bad_out;
  auto [rc, out] = cli("ack '" + id + "' -c " + dir_.file("lookout.yaml") + " --by alice");
  ASSERT_EQ(rc, 0) << out;
  EXPECT_NE(out.find("acknowledged by alice"), std::string::npos) << out;
  json t = request(port_, "GET", "/api/v1/tickets/" + ref).body;
  EXPECT_EQ(t["status"], "open");
  EXPECT_EQ(t["acknowledged_by"], "alice");
  EXPECT_EQ(t["sla_outcomes"]["response"]["result"], "met");
  EXPECT_EQ(incident("acme/www/http")["acknowledged_by"], "alice");
  auto [list_rc, list_out] = cli("incidents --state open -c " + dir_.file("lookout.yaml"));
  EXPECT_EQ(list_rc, 0);
  EXPECT_NE(list_out.find(id), std::string::npos) << list_out;
  EXPECT_NE(list_out.find("alice"), std::string::npos) << list_out;

  // A window over the shop for the next 6 s, through the API with the token.
  auto now = std::chrono::system_clock::now();
  auto window_end = now + 6s;
  json body = {{"client", "acme"}, {"site", "shop"}, {"from", lookout::config::rfc3339(now - 1min)},
               {"to", lookout::config::rfc3339(window_end)}, {"reason", "e2e deploy"}, {"by", "ops"}};
  EXPECT_EQ(request(port_, "POST", "/api/v1/maintenance", body.dump(), "wrong").status, 401);
  Reply created = request(port_, "POST", "/api/v1/maintenance", body.dump(), kToken);
  ASSERT_EQ(created.status, 201);
  window_end = *lookout::config::parse_rfc3339(created.body["window"]["to"].get<std::string>());
  shop_up_ = false;
  ASSERT_TRUE(eventually([&] { return incident("acme/shop/http").is_object(); }, 5s));
  json held = incident("acme/shop/http");
  EXPECT_EQ(held["maintenance"], true);
  EXPECT_TRUE(held["ticket"].is_null());
  EXPECT_EQ(tickets().size(), 1u);  // only the www ticket
  // The shop's results are marked with the window.
  json check = request(port_, "GET", "/api/v1/checks/acme/shop/http").body;
  EXPECT_EQ(check["last_result"]["facts"]["maintenance"], created.body["window"]["id"]);
  ASSERT_FALSE(check["transitions"].empty());
  EXPECT_NE(check["transitions"].back()["reason"].get<std::string>().find("[maintenance mw-"), std::string::npos)
      << check["transitions"].dump();
  auto [m_rc, m_out] = cli("maintenance list -c " + dir_.file("lookout.yaml"));
  EXPECT_EQ(m_rc, 0);
  EXPECT_NE(m_out.find("e2e deploy"), std::string::npos) << m_out;
  ASSERT_LT(std::chrono::system_clock::now(), window_end) << "the test machine is too slow";
  EXPECT_EQ(tickets().size(), 1u);

  // The window ends with the shop still failing: the incident is raised at once.
  ASSERT_TRUE(eventually([&] { return tickets().size() == 2; }, 8s)) << "no ticket after the window";
  json raised = incident("acme/shop/http");
  EXPECT_EQ(raised["maintenance"], false);
  auto opened = *lookout::config::parse_rfc3339(raised["opened"].get<std::string>());
  std::cout << "raised " << std::chrono::duration_cast<std::chrono::milliseconds>(opened - window_end).count()
            << " ms after the window end\n";
  EXPECT_GE(opened, window_end);
  EXPECT_LT(opened - window_end, 900ms) << "raised " << lookout::config::rfc3339(opened)
                                          << ", window ended " << lookout::config::rfc3339(window_end);
  // www was acknowledged before: still one ticket for it, not re-opened.
  EXPECT_EQ(request(port_, "GET", "/api/v1/tickets/" + ref).body["status"], "open");

  // A rotated token file takes effect on SIGHUP: the old token is refused, the new one works.
  const std::string comment = "/api/v1/tickets/" + ref + "/comment";
  const std::string note = R"({"by":"ops","note":"rotating"})";
  std::ofstream(dir_.file("token")) << "rotated-token\n";
  ASSERT_TRUE(agent_.signal(SIGHUP));
  ASSERT_TRUE(eventually([&] { return request(port_, "POST", comment, note, kToken).status == 401; }, 10s))
      << "the old token still works after the reload";
  EXPECT_EQ(request(port_, "POST", comment, note, "rotated-token").status, 200);
}

// The canary loop (docs/alerting.md "Self-connectivity guard"), with real TCP: a canary whose port
// refuses makes the agent suspect its own network and raise the agency incident with a built-in
// ticket; once something listens on that port, the next probe answers and the incident resolves.
TEST_F(OpsE2E, CanaryDownRaisesTheAgencyIncidentAndItsAnswerResolvesIt) {
  www_up_ = true;
  const unsigned short canary_port = lookout::testing::free_port();
  std::ofstream(dir_.file("lookout.yaml"), std::ios::app)
      << "alerting:\n  agency: [builtin]\n  canary: [\"tcp://127.0.0.1:" << canary_port
      << "\"]\n  canary_interval: 1s\n";
  auto suspect = [&] {
    auto m = lookout::testing::http_request("127.0.0.1", port_, boost::beast::http::verb::get, "/metrics");
    auto at = m.body.find("\nlookout_connectivity_suspect ");
    return at == std::string::npos ? -1 : std::atoi(m.body.c_str() + at + 30);
  };
  const std::string key = "_lookout/agent/connectivity";
  start_agent();
  ASSERT_TRUE(eventually([&] { return incident(key).is_object(); }, 15s)) << "no agency incident";
  json i = incident(key);
  EXPECT_NE(i["summary"].get<std::string>().find("all 1 canaries failing"), std::string::npos) << i.dump();
  EXPECT_TRUE(i["ticket"].is_string()) << i.dump();
  EXPECT_EQ(suspect(), 1);
  EXPECT_TRUE(incident("acme/www/http").is_null());  // the sites themselves are fine

  boost::asio::io_context io;  // the canary's port now accepts connections (the kernel's backlog)
  boost::asio::ip::tcp::acceptor listener(
      io, {boost::asio::ip::make_address("127.0.0.1"), canary_port});
  ASSERT_TRUE(eventually([&] { return incident(key).is_null(); }, 15s)) << "still suspect";
  EXPECT_EQ(suspect(), 0);
  auto resolved = request(port_, "GET", "/api/v1/incidents?state=resolved").body;
  bool found = false;
  for (const auto& r : resolved)
    if (r.value("key", "") == key) found = true;
  EXPECT_TRUE(found) << resolved.dump();
}

// The built-in rota end to end (docs/alerting.md "On-call rota and escalation"): the real daemon
// pages alice (on call in the rota) through her own webhook address at once, bob (the next step)
// 3 s later, and after an acknowledgement through the API nobody else: both get
// `incident.acknowledged`, and the step due at 8 s never comes.
TEST_F(OpsE2E, EscalationPagesTheOnCallThenTheNextStepUntilAcknowledged) {
  HttpReceiver hook;  // every contact's address is a path of this receiver
  std::ofstream(dir_.file("lookout.yaml"), std::ios::app)
      << "alerting:\n  sinks:\n    - {id: chat, type: webhook, url: \"" << hook.url("/desk") << "\"}\n"
      << "  defaults: {pages: [oncall]}\n"
      << "  oncall:\n    members:\n"
      << "      - {id: alice, contacts: [{sink: chat, address: \"" << hook.url("/alice") << "\"}]}\n"
      << "      - {id: bob, contacts: [{sink: chat, address: \"" << hook.url("/bob") << "\"}]}\n"
      << "    rotas:\n      - {id: primary, time_zone: Europe/London, handover: {weekday: mon, time: \"09:00\"},"
      << " start: 2025-01-06, members: [alice]}\n"
      << "    escalation:\n      steps:\n"
      << "        - {after: 0s, target: \"rota:primary\"}\n"
      << "        - {after: 3s, target: \"member:bob\"}\n"
      << "        - {after: 8s, target: \"member:bob\"}\n";
  auto events = [&](const std::string& path, const std::string& event) {
    std::vector<json> out;
    for (const auto& r : hook.requests()) {
      if (r.target != path) continue;
      json b = json::parse(r.body, nullptr, false);
      if (b.is_object() && b.value("event", "") == event) out.push_back(b);
    }
    return out;
  };
  start_agent();
  ASSERT_TRUE(eventually([&] { return !events("/alice", "incident.opened").empty(); }, 20s))
      << "alice was never paged";
  json page = events("/alice", "incident.opened")[0];
  EXPECT_EQ(page["audience"], "page");
  EXPECT_EQ(page["oncall"]["member"], "alice") << page.dump();
  EXPECT_EQ(page["oncall"]["target"], "rota:primary") << page.dump();
  EXPECT_TRUE(page["oncall"]["ticket"].is_string()) << page.dump();
  const auto paged_at = std::chrono::steady_clock::now();
  EXPECT_TRUE(events("/bob", "incident.opened").empty());  // not before 3 s
  ASSERT_TRUE(eventually([&] { return !events("/bob", "incident.opened").empty(); }, 10s))
      << "the second step never paged bob";
  EXPECT_EQ(events("/bob", "incident.opened")[0]["oncall"]["step"], 2) << events("/bob", "incident.opened")[0].dump();

  const std::string id = incident("acme/www/http")["id"];
  const std::string ack = "/api/v1/incidents/acme%2Fwww%2Fhttp%23" + id.substr(id.find('#') + 1) + "/ack";
  ASSERT_EQ(request(port_, "POST", ack, R"({"by":"alice"})", kToken).status, 200);
  ASSERT_TRUE(eventually([&] {
    return !events("/alice", "incident.acknowledged").empty() && !events("/bob", "incident.acknowledged").empty();
  }, 10s)) << "the people paged were not told of the acknowledgement";
  // Past the third step's due time (8 s after the first page): bob was paged once only.
  std::this_thread::sleep_until(paged_at + 10s);
  EXPECT_EQ(events("/bob", "incident.opened").size(), 1u);
  EXPECT_EQ(events("/alice", "incident.opened").size(), 1u);
  // The ticket records who was paged.
  json ticket = request(port_, "GET", "/api/v1/tickets/" + incident("acme/www/http")["ticket"].get<std::string>()).body;
  std::set<std::string> paged;
  for (const auto& e : ticket["timeline"])
    if (e.value("kind", "") == "paged" && e.contains("detail") && e["detail"].contains("member"))
      paged.insert(e["detail"]["member"].get<std::string>());
  EXPECT_EQ(paged, (std::set<std::string>{"alice", "bob"})) << ticket["timeline"].dump();
}

}  // namespace
