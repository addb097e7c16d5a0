// The API's mutations in process (agent/api.h over a real AlertingService, SqliteStore and
// ManualClock): the bearer token (disabled without one, 401 without the right one and nothing
// changes), malformed bodies, unknown ids, URL-encoded incident ids, ticket actions and
// maintenance windows.
#include "agent/api.h"

#include <gtest/gtest.h>

#include <date/date.h>
#include <nlohmann/json.hpp>

#include "agent/engine.h"
#include "agent/metrics.h"
#include "store/sqlite_store.h"
#include "tests/support/temp_dir.h"

using namespace lookout;
using namespace lookout::agent;
using namespace std::chrono_literals;
using nlohmann::json;

namespace {

constexpr const char* kToken = "t0ken-\x01-secret";

TimePoint at(int h, int m) {  // Wednesday 4 March 2026, London on GMT
  return TimePoint(date::sys_days(date::year(2026) / 3 / 4)) + std::chrono::hours(h) + std::chrono::minutes(m);
}

class ApiMutations : public ::testing::Test {
 protected:
  void SetUp() override {
    config::Client c;
    c.id = "acme";
    c.hours.timezone = "Europe/London";
    for (int d = 0; d < 5; ++d) c.hours.week[d].push_back({9 * 60, 17 * 60});
    c.contract.sla["P1"] = {1h, 4h};
    config::Site www;
    www.id = "www";
    www.name = "www";
    www.url = "http://127.0.0.1/";
    c.sites.push_back(www);
    cfg_.clients.push_back(c);
    auto check = std::make_shared<config::Check>();
    check->spec.client_id = "acme";
    check->spec.site_id = "www";
    check->spec.check_id = "http";
    check->spec.type = "http";
    cfg_.checks.push_back(check);
    store::StoreOptions o;
    o.path = dir_.path() + "/api.db";
    o.clock = &clock_;
    db_ = std::make_unique<store::SqliteStore>(o);
    service_ = std::make_unique<alerting::AlertingService>(*db_, clock_);
    service_->start(cfg_);
    EngineOptions eo;
    eo.workers = 1;
    engine_ = std::make_unique<Engine>(eo, metrics_, nullptr, clock_);
    for (int i = 0; i < 2; ++i) {  // confirm an incident: acme/www/http#1 with ticket LK-1
      auto r = probes::make_result(probes::Status::critical, net::FailureKind::http_status, "HTTP 503");
      service_->on_result(check->spec, {}, r);
    }
    service_->wait_idle();
  }

  HttpAnswer call(const std::string& method, const std::string& target, const std::string& body = "",
                  const std::string& auth = std::string("Bearer ") + kToken, const std::string& token = kToken) {
    api::Sources src{*engine_, db_.get(), nullptr, clock_, service_.get(), token};
    return api::handle(src, api::Request{method, target, auth, body});
  }
  static std::string message(const HttpAnswer& a) { return json::parse(a.body).value("error", ""); }
  bool acknowledged() {
    auto open = service_->incidents_json("open");
    return !open.empty() && open[0]["acknowledged"].is_string();
  }

  lookout::testing::TempDir dir_;
  ManualClock clock_{at(10, 0)};
  config::Config cfg_;
  std::unique_ptr<store::SqliteStore> db_;
  std::unique_ptr<alerting::AlertingService> service_;
  AgentMetrics metrics_;
  std::unique_ptr<Engine> engine_;
};

const std::string kAck = "/api/v1/incidents/acme%2Fwww%2Fhttp%231/ack";

TEST_F(ApiMutations, TokenRequiredConstantTimeAndNothingChangesWithoutIt) {
  auto a = call("POST", kAck, R"({"by":"eve"})", std::string("Bearer ") + kToken, "");
  EXPECT_EQ(a.status, 403);
  EXPECT_NE(message(a).find("agent.api_token_file"), std::string::npos);
  EXPECT_NE(message(a).find("LOOKOUT_API_TOKEN"), std::string::npos);
  a = call("POST", kAck, R"({"by":"eve"})", "");
  EXPECT_EQ(a.status, 401);
  ASSERT_FALSE(a.headers.empty());
  EXPECT_EQ(a.headers[0].first, "WWW-Authenticate");
  for (std::string wrong : {std::string("Bearer wrong"), std::string("Bearer ") + kToken + "x",
                            std::string("Basic ") + kToken, std::string(kToken)}) {
    a = call("POST", kAck, R"({"by":"eve"})", wrong);
    EXPECT_EQ(a.status, 401) << wrong;
  }
  // A wrong token with a malformed body: still 401 (the token is checked first).
  EXPECT_EQ(call("POST", kAck, "{nope", "Bearer wrong").status, 401);
  EXPECT_EQ(call("POST", "/api/v1/maintenance", R"({"client":"acme","weekly":"sat 01:00-02:00"})", "Bearer x").status, 401);
  EXPECT_EQ(call("DELETE", "/api/v1/maintenance/mw-1", "", "Bearer x").status, 401);
  EXPECT_FALSE(acknowledged());
  EXPECT_EQ(service_->ticket_json("LK-1").value()["status"], "new");
  EXPECT_TRUE(service_->maintenance_json().empty());
  // "bearer" in any case is accepted.
  a = call("POST", kAck, R"({"by":"eve"})", std::string("bearer ") + kToken);
  EXPECT_EQ(a.status, 200) << a.body;
}

TEST_F(ApiMutations, AcknowledgeByEncodedIdDurablyWithBodyChecks) {
  auto a = call("POST", kAck, "{\"by\": \"alice\",");
  EXPECT_EQ(a.status, 400);
  EXPECT_NE(message(a).find("malformed JSON"), std::string::npos);
  a = call("POST", kAck, "[1]");
  EXPECT_EQ(a.status, 400);
  a = call("POST", kAck, R"({"who":"alice"})");
  EXPECT_EQ(a.status, 400);
  EXPECT_NE(message(a).find("'who'"), std::string::npos);
  a = call("POST", kAck, R"({"by":7})");
  EXPECT_EQ(a.status, 400);
  EXPECT_NE(message(a).find("'by' must be a string"), std::string::npos);
  EXPECT_FALSE(acknowledged());
  EXPECT_EQ(call("POST", "/api/v1/incidents/acme%2Fwww%2Fhttp%232/ack").status, 404);
  EXPECT_EQ(call("POST", "/api/v1/incidents/acme%2Fwww%2Fhttp%2/ack").status, 400);
  EXPECT_EQ(call("GET", kAck).status, 405);

  clock_.set(at(10, 20));
  a = call("POST", kAck, R"({"by":"alice","note":"on it"})");
  ASSERT_EQ(a.status, 200) << a.body;
  auto j = json::parse(a.body);
  EXPECT_EQ(j["incident"]["acknowledged_by"], "alice");
  EXPECT_EQ(j["incident"]["acknowledged"], "2026-03-04T10:20:00.000Z");
  // Durable before the answer: the stored incident and the SLA outcome are there now.
  auto stored = json::parse(db_->value("incident", "acme/www/http").value());
  EXPECT_EQ(stored["acknowledged_by"], "alice");
  auto outcome = json::parse(db_->value("sla_outcome", "LK-1:acme/www/http#1:response").value());
  EXPECT_EQ(outcome["result"], "met");
  EXPECT_EQ(outcome["by_ms"], 40 * 60 * 1000);
  // Raw slashes (only '#' must be encoded) reach the same incident.
  a = call("POST", "/api/v1/incidents/acme/www/http%231/ack", "");
  EXPECT_EQ(a.status, 200);
  EXPECT_EQ(json::parse(a.body)["incident"]["acknowledged_by"], "alice");  // unchanged
}

TEST_F(ApiMutations, TicketActions) {
  auto a = call("POST", "/api/v1/tickets/LK-1/hold", R"({"by":"bob","note":"vendor"})");
  ASSERT_EQ(a.status, 200) << a.body;
  EXPECT_EQ(json::parse(a.body)["ticket"]["status"], "on_hold");
  EXPECT_EQ(call("POST", "/api/v1/tickets/LK-1/comment", R"({"by":"bob"})").status, 400);
  a = call("POST", "/api/v1/tickets/LK-1/comment", R"({"by":"bob","text":"called"})");
  ASSERT_EQ(a.status, 200);
  EXPECT_EQ(json::parse(a.body)["ticket"]["timeline"].back()["detail"]["text"], "called");
  EXPECT_EQ(call("POST", "/api/v1/tickets/LK-1/resume", "").status, 200);
  EXPECT_EQ(call("POST", "/api/v1/tickets/LK-1/resume", "").status, 409);
  EXPECT_EQ(call("POST", "/api/v1/tickets/LK-1/solve", R"({"note":"fixed"})").status, 200);
  EXPECT_EQ(call("POST", "/api/v1/tickets/LK-1/hold", "").status, 409);
  EXPECT_EQ(call("POST", "/api/v1/tickets/LK-9/hold", "").status, 404);
  EXPECT_EQ(call("POST", "/api/v1/tickets/LK-1/close", "").status, 404);
  EXPECT_EQ(call("PUT", "/api/v1/tickets/LK-1/hold", "").status, 405);
  EXPECT_EQ(service_->ticket_json("LK-1").value()["status"], "solved");
}

TEST_F(ApiMutations, MaintenanceWindows) {
  auto a = call("POST", "/api/v1/maintenance",
                R"({"client":"acme","site":"www","from":"2026-03-04 11:00","to":"2026-03-04 12:00","reason":"deploy","by":"ops"})");
  ASSERT_EQ(a.status, 201) << a.body;
  auto j = json::parse(a.body);
  EXPECT_EQ(j["window"]["id"], "mw-1");
  EXPECT_EQ(j["window"]["from"], "2026-03-04T11:00:00.000Z");
  ASSERT_FALSE(a.headers.empty());
  EXPECT_EQ(a.headers[0], (std::pair<std::string, std::string>{"Location", "/api/v1/maintenance/mw-1"}));
  a = call("GET", "/api/v1/maintenance", "", "");  // reading needs no token
  ASSERT_EQ(a.status, 200);
  j = json::parse(a.body);
  ASSERT_EQ(j.size(), 1u);
  EXPECT_EQ(j[0]["active"], false);
  EXPECT_EQ(j[0]["next"]["from"], "2026-03-04T11:00:00.000Z");
  EXPECT_EQ(call("GET", "/api/v1/maintenance?client=beta").body, "[]\n");

  a = call("POST", "/api/v1/maintenance", R"({"client":"acme","site":"nope","weekly":"sat 01:00-02:00"})");
  EXPECT_EQ(a.status, 400);
  EXPECT_NE(message(a).find("unknown scope"), std::string::npos);
  a = call("POST", "/api/v1/maintenance", R"({"client":"acme","from":"2026-03-04 11:00","to":"2026-03-04 10:00"})");
  EXPECT_EQ(a.status, 400);
  EXPECT_NE(message(a).find("at or before it starts"), std::string::npos);
  a = call("POST", "/api/v1/maintenance", R"({"client":"acme","monthly":"every blue moon 01:00-02:00"})");
  EXPECT_EQ(a.status, 400);
  EXPECT_NE(message(a).find("field 'monthly'"), std::string::npos);
  EXPECT_EQ(call("POST", "/api/v1/maintenance", "{").status, 400);

  EXPECT_EQ(call("DELETE", "/api/v1/maintenance/mw-1").status, 200);
  EXPECT_EQ(call("DELETE", "/api/v1/maintenance/mw-1").status, 404);
  EXPECT_EQ(call("POST", "/api/v1/maintenance/mw-1").status, 405);
  EXPECT_TRUE(service_->maintenance_json().empty());
}

}  // namespace
