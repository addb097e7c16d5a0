// agent::api without sockets (plus one AdminServer round trip): filters, pagination, RFC 3339
// times, next_run recorded by the workers, per-check transitions, clients and business hours,
// and the JSON errors.
#include "agent/api.h"

#include <gmock/gmock.h>
#include <gtest/gtest.h>

#include <regex>
#include <thread>

#include <boost/asio/connect.hpp>
#include <boost/asio/io_context.hpp>
#include <boost/asio/ip/tcp.hpp>
#include <boost/beast/core.hpp>
#include <boost/beast/http.hpp>
#include <nlohmann/json.hpp>

#include "agent/admin_server.h"
#include "agent/check_health.h"
#include "agent/engine.h"
#include "agent/metrics.h"
#include "probes/probe.h"
#include "store/sqlite_store.h"
#include "tests/support/free_port.h"

namespace {

using namespace std::chrono;
using lookout::ManualClock;
using lookout::agent::AgentMetrics;
using lookout::agent::Engine;
using lookout::agent::EngineOptions;
using lookout::agent::HttpAnswer;
namespace api = lookout::agent::api;
namespace config = lookout::config;
namespace probes = lookout::probes;
namespace store = lookout::store;
using probes::Status;
using ::testing::HasSubstr;
using TimePoint = system_clock::time_point;

TimePoint at(const char* rfc3339) {
  auto t = api::parse_rfc3339(rfc3339);
  EXPECT_TRUE(t) << rfc3339;
  return t.value_or(TimePoint{});
}

const std::regex kRfc3339(R"(\d{4}-\d\d-\d\dT\d\d:\d\d:\d\d\.\d{3}Z)");

class FakeProbe final : public probes::Probe {
 public:
  explicit FakeProbe(Status s) : status_(s) {}
  boost::asio::awaitable<probes::Result> run(probes::ProbeContext&) override {
    co_return probes::make_result(
        status_, status_ == Status::ok ? probes::FailureKind::none : probes::FailureKind::internal,
        "fake says " + std::string(probes::to_string(status_)));
  }

 private:
  Status status_;
};

std::string result_text(Status s, TimePoint started, const std::string& summary) {
  auto r = probes::make_result(s, probes::FailureKind::none, summary);
  r.started = started;
  r.duration_seconds = 0.25;
  r.facts = {{"started", 12.5}, {"http_status", 200}};  // a nested "started" stays a number
  return r.to_json().dump();
}

// Five checks of two clients, restored from "the store" so no probe ever runs (the clock does
// not move, and restored checks wait for their grid slot).
class ApiTest : public ::testing::Test {
 protected:
  void SetUp() override {
    add("acme", "shop", "http", "http", {"prod", "web"}, Status::critical);
    add("acme", "shop", "tls", "tls", {"prod", "web"}, Status::warning);
    add("acme", "www", "http", "http", {"web"}, Status::ok);
    add("beta", "blog", "http", "http", {"staging"}, Status::unknown);
    add("beta", "blog", "dns", "dns", {}, Status::ok);

    config::Client acme;
    acme.id = "acme";
    acme.name = "Acme Ltd";
    acme.hours.timezone = "Europe/London";
    for (int d = 0; d < 5; ++d) acme.hours.week[d] = {{9 * 60, 17 * 60}};
    acme.hours.week[5] = {{0, 1440}};
    acme.hours.holidays = {"2026-12-25"};
    config::Client beta;
    beta.id = "beta";  // no name: the id is shown
    beta.hours.timezone = "UTC";
    beta.hours.week[5] = {{22 * 60, 6 * 60}};  // Saturday night into Sunday
    beta.hours.week[6] = {{10 * 60, 12 * 60}, {14 * 60, 15 * 60 + 30}};
    clients_ = std::make_shared<const std::vector<config::Client>>(
        std::vector<config::Client>{acme, beta});

    EngineOptions o;
    o.workers = 2;
    engine_ = std::make_unique<Engine>(o, metrics_, nullptr, clock_);
    engine_->start(config_, restored_);
    wait_scheduled();
  }

  void add(const std::string& client, const std::string& site, const std::string& id,
           const std::string& type, std::vector<std::string> tags, Status status) {
    auto c = std::make_shared<config::Check>();
    c->spec.client_id = client;
    c->spec.site_id = site;
    c->spec.check_id = id;
    c->spec.type = type;
    c->spec.target = "https://" + site + "." + client + ".example/";
    c->spec.interval = seconds(300);
    c->spec.retry_interval = seconds(60);
    c->probe = std::make_shared<FakeProbe>(status);
    c->tags = std::move(tags);
    config_.checks.push_back(c);
    store::StoredState st;
    st.check_key = c->spec.key();
    st.status = status;
    st.since = clock_.now() - hours(2);
    st.last_run = clock_.now() - seconds(90);
    st.consecutive_failures = status == Status::ok ? 0 : 3;
    st.last_result = result_text(status, st.last_run, "restored " + st.check_key);
    restored_[st.check_key] = st;
  }

  void wait_scheduled() {
    for (int i = 0; i < 200; ++i) {
      bool all = true;
      for (const auto& c : config_.checks) all = all && engine_->next_run(c->spec.key());
      if (all) return;
      std::this_thread::sleep_for(10ms);
    }
    FAIL() << "the workers never recorded next_run";
  }

  HttpAnswer get(const std::string& target, const std::string& method = "GET") {
    return api::handle(api::Sources{*engine_, store_.get(), clients_, clock_, nullptr, "", nullptr}, method, target);
  }

  static nlohmann::json body(const HttpAnswer& a) {
    auto j = nlohmann::json::parse(a.body, nullptr, false);
    EXPECT_FALSE(j.is_discarded()) << a.body;
    return j;
  }

  static std::vector<std::string> keys(const HttpAnswer& a) {
    std::vector<std::string> out;
    for (const auto& c : body(a)) out.push_back(c["key"]);
    return out;
  }

  static std::string header(const HttpAnswer& a, const std::string& name) {
    for (const auto& [n, v] : a.headers)
      if (n == name) return v;
    return "";
  }

  ManualClock clock_{at("2026-12-04T05:40:46.123Z")};
  config::Config config_;
  std::map<std::string, store::StoredState> restored_;
  std::shared_ptr<const std::vector<config::Client>> clients_;
  AgentMetrics metrics_;
  std::unique_ptr<store::Store> store_;
  std::unique_ptr<Engine> engine_;
};

using Keys = std::vector<std::string>;

TEST_F(ApiTest, MonthlyReportInThreeFormatsAndClearErrors) {
  store::StoreOptions so;
  so.path = ":memory:";
  so.clock = &clock_;
  store_ = std::make_unique<store::SqliteStore>(so);
  // acme/shop/http: ok from Nov 1 00:00 GMT, down 2026-11-10T10:00Z-10:30Z.
  lookout::agent::CheckHealth h;
  auto record = [&](Status s, TimePoint t) {
    auto r = probes::make_result(s, probes::FailureKind::none, s == Status::ok ? "ok" : "HTTP 503");
    r.started = t;
    r.duration_seconds = 0.25;
    auto step = lookout::agent::advance(h, r);
    store_->record_result("acme/shop/http", r,
                          store::HealthRecord{step.previous, h.since, h.consecutive_failures});
  };
  for (TimePoint t = at("2026-10-31T23:00:00Z"); t < at("2026-12-01T01:00:00Z"); t += minutes(10))
    record(t >= at("2026-11-10T10:00:00Z") && t < at("2026-11-10T10:30:00Z") ? Status::critical
                                                                            : Status::ok, t);
  store_->flush();
  auto cfg = std::make_shared<config::Config>(config_);
  cfg->clients = *clients_;
  config::Site shop;
  shop.id = "shop";
  shop.name = "Shop";
  shop.url = "https://shop.acme.example/";
  cfg->clients[0].sites = {shop};
  cfg->clients[0].contract.uptime_target = 99.9;
  auto get_report = [&](const std::string& target) {
    return api::handle(api::Sources{*engine_, store_.get(), clients_, clock_, nullptr, "", cfg}, "GET", target);
  };
  auto a = get_report("/api/v1/reports/acme/2026-11");
  ASSERT_EQ(a.status, 200) << a.body;
  EXPECT_EQ(a.content_type, "application/json");
  auto j = body(a);
  ASSERT_EQ(j["sites"].size(), 1u);
  const auto& av = j["sites"][0]["availability"];
  EXPECT_EQ(av["down_seconds"].get<double>(), 1800.0);
  EXPECT_EQ(av["up_seconds"].get<double>(), 30 * 86400.0 - 1800);
  a = get_report("/api/v1/reports/acme/2026-11?format=html");
  ASSERT_EQ(a.status, 200);
  EXPECT_EQ(a.content_type, "text/html; charset=utf-8");
  EXPECT_THAT(a.body, HasSubstr("<svg"));
  a = get_report("/api/v1/reports/acme/2026-11?format=md");
  EXPECT_EQ(a.content_type, "text/markdown; charset=utf-8");
  EXPECT_THAT(a.body, HasSubstr("| Shop | 99.931 %"));
  a = get_report("/api/v1/reports/nobody/2026-11");
  EXPECT_EQ(a.status, 404);
  EXPECT_THAT(body(a)["error"].get<std::string>(), HasSubstr("unknown client 'nobody'"));
  a = get_report("/api/v1/reports/acme/2026-13");
  EXPECT_EQ(a.status, 400);
  a = get_report("/api/v1/reports/acme/2027-01");  // after the clock's now
  EXPECT_EQ(a.status, 400);
  EXPECT_THAT(body(a)["error"].get<std::string>(), HasSubstr("has not started yet"));
  a = get_report("/api/v1/reports/acme/2026-11?format=pdf");
  EXPECT_EQ(a.status, 400);
  a = get_report("/api/v1/reports/acme");
  EXPECT_EQ(a.status, 404);
  // Without the config (a caller that did not give it): 503, never a crash.
  a = get("/api/v1/reports/acme/2026-11");
  EXPECT_EQ(a.status, 503);
}

TEST(ApiTimeTest, Rfc3339FormatsUtcWithMilliseconds) {
  TimePoint t{milliseconds(1'796'362'846'123)};
  EXPECT_EQ(api::rfc3339(t), "2026-12-04T05:40:46.123Z");
  EXPECT_EQ(api::rfc3339(TimePoint{seconds(951'782'400)}), "2000-02-29T00:00:00.000Z");
  EXPECT_EQ(api::rfc3339(t + microseconds(999)), "2026-12-04T05:40:46.123Z");  // truncated
}

TEST(ApiTimeTest, Rfc3339ParsesOffsetsAndRejectsNonsense) {
  TimePoint t{milliseconds(1'796'362'846'123)};
  EXPECT_EQ(api::parse_rfc3339("2026-12-04T05:40:46.123Z"), t);
  EXPECT_EQ(api::parse_rfc3339("2026-12-04t06:40:46.123456+01:00"), t);
  EXPECT_EQ(api::parse_rfc3339("2026-12-04T06:40:46.123 01:00"), t);  // '+' decoded as ' '
  EXPECT_EQ(api::parse_rfc3339("2026-12-03T23:10:46.123-06:30"), t);
  EXPECT_EQ(api::parse_rfc3339("2026-12-04T05:40:46Z"), t - milliseconds(123));
  for (const char* bad : {"", "2026-12-04", "2026-12-04T05:40:46", "2026-13-04T05:40:46Z",
                          "2026-02-30T00:00:00Z", "2026-12-04T24:00:00Z", "2026-12-04T05:40:46.Z",
                          "2026-12-04T05:40:46Zjunk", "1796362846", "yesterday"})
    EXPECT_FALSE(api::parse_rfc3339(bad)) << bad;
}

TEST(ApiTimeTest, ResultStartedBecomesRfc3339AndNestedKeysStay) {
  std::string out;
  api::append_result_json(
      out, R"({"facts":{"started":12.5,"s":"\"started\":1"},"started":1796362846.123,"x":1})");
  EXPECT_EQ(out,
            R"({"facts":{"started":12.5,"s":"\"started\":1"},"started":"2026-12-04T05:40:46.123Z","x":1})");
  out.clear();
  api::append_result_json(out, R"({"started":"2026-12-04T05:40:46.123Z"})");  // already text
  EXPECT_EQ(out, R"({"started":"2026-12-04T05:40:46.123Z"})");
}

TEST(ApiTimeTest, PercentDecode) {
  EXPECT_EQ(api::percent_decode("acme%2Fwww%2fhttp+x"), "acme/www/http+x");
  EXPECT_FALSE(api::percent_decode("bad%2"));
  EXPECT_FALSE(api::percent_decode("bad%zz"));
}

TEST_F(ApiTest, ListsEveryCheckAsAnArrayWithRfc3339Times) {
  auto a = get("/api/v1/checks");
  ASSERT_EQ(a.status, 200);
  EXPECT_EQ(a.content_type, "application/json");
  EXPECT_TRUE(a.headers.empty());  // no pagination headers without limit
  auto j = body(a);
  ASSERT_TRUE(j.is_array());
  EXPECT_EQ(keys(a), (Keys{"acme/shop/http", "acme/shop/tls", "acme/www/http", "beta/blog/dns",
                           "beta/blog/http"}));
  const auto& c = j[0];
  EXPECT_EQ(c["client"], "acme");
  EXPECT_EQ(c["site"], "shop");
  EXPECT_EQ(c["check"], "http");
  EXPECT_EQ(c["type"], "http");
  EXPECT_EQ(c["tags"], (nlohmann::json{"prod", "web"}));
  EXPECT_EQ(c["status"], "critical");
  EXPECT_EQ(c["consecutive_failures"], 3);
  EXPECT_EQ(c["interval_seconds"], 300);
  EXPECT_EQ(c["since"], "2026-12-04T03:40:46.123Z");
  EXPECT_EQ(c["last_run"], "2026-12-04T05:39:16.123Z");
  EXPECT_EQ(c["last_result"]["started"], "2026-12-04T05:39:16.123Z");
  EXPECT_EQ(c["last_result"]["facts"]["started"], 12.5);
  EXPECT_EQ(c["last_result"]["summary"], "restored acme/shop/http");
  for (const auto& x : j) {
    for (const char* f : {"since", "last_run", "next_run"}) {
      ASSERT_TRUE(x[f].is_string()) << x.dump();
      EXPECT_TRUE(std::regex_match(x[f].get<std::string>(), kRfc3339)) << x[f];
    }
    // next_run is the worker's own schedule: an ok check waits for its slot on the grid; a
    // failing one (its retry already overdue after the "restart") runs within the warm-up.
    auto next = api::parse_rfc3339(x["next_run"].get<std::string>());
    ASSERT_TRUE(next);
    EXPECT_GE(*next, clock_.now());
    if (x["status"] == "ok")
      EXPECT_EQ(*next, lookout::agent::next_on_grid(
                           clock_.now(), seconds(300),
                           lookout::agent::schedule_offset(x["key"], seconds(300))))
          << x["key"];
    else
      EXPECT_LE(*next, clock_.now() + seconds(60)) << x["key"];
  }
}

TEST_F(ApiTest, FiltersByClientSiteTypeStatusAndTag) {
  EXPECT_EQ(keys(get("/api/v1/checks?client=beta")), (Keys{"beta/blog/dns", "beta/blog/http"}));
  EXPECT_EQ(keys(get("/api/v1/checks?site=www")), (Keys{"acme/www/http"}));
  EXPECT_EQ(keys(get("/api/v1/checks?type=tls")), (Keys{"acme/shop/tls"}));
  EXPECT_EQ(keys(get("/api/v1/checks?status=critical")), (Keys{"acme/shop/http"}));
  EXPECT_EQ(keys(get("/api/v1/checks?status=unknown")), (Keys{"beta/blog/http"}));
  EXPECT_EQ(keys(get("/api/v1/checks?tag=prod")), (Keys{"acme/shop/http", "acme/shop/tls"}));
  EXPECT_EQ(keys(get("/api/v1/checks?tag=nope")), Keys{});
  EXPECT_EQ(get("/api/v1/checks?tag=nope").body, "[]\n");
}

TEST_F(ApiTest, FiltersCombineWithAndAndRepeatsWithOr) {
  EXPECT_EQ(keys(get("/api/v1/checks?type=http&tag=web")),
            (Keys{"acme/shop/http", "acme/www/http"}));
  EXPECT_EQ(keys(get("/api/v1/checks?type=http&tag=web&status=ok")), (Keys{"acme/www/http"}));
  EXPECT_EQ(keys(get("/api/v1/checks?status=critical&status=warning")),
            (Keys{"acme/shop/http", "acme/shop/tls"}));
  EXPECT_EQ(keys(get("/api/v1/checks?tag=staging&tag=prod&client=beta")), (Keys{"beta/blog/http"}));
  EXPECT_EQ(keys(get("/api/v1/checks?client=acme&client=beta&type=dns&type=tls")),
            (Keys{"acme/shop/tls", "beta/blog/dns"}));
  EXPECT_EQ(keys(get("/api/v1/checks?client=%61cme&site=w%77w")), (Keys{"acme/www/http"}));
}

TEST_F(ApiTest, BadQueriesAre400WithAJsonErrorNamingTheCulprit) {
  auto a = get("/api/v1/checks?status=broken");
  EXPECT_EQ(a.status, 400);
  EXPECT_EQ(a.content_type, "application/json");
  EXPECT_THAT(body(a)["error"].get<std::string>(), HasSubstr("'broken'"));
  a = get("/api/v1/checks?status=ok&status=CRITICAL");
  EXPECT_EQ(a.status, 400);
  EXPECT_THAT(body(a)["error"].get<std::string>(), HasSubstr("'CRITICAL'"));
  a = get("/api/v1/checks?client=acme&colour=red");
  EXPECT_EQ(a.status, 400);
  EXPECT_THAT(body(a)["error"].get<std::string>(), HasSubstr("'colour'"));
  for (const char* bad : {"/api/v1/checks?limit=0", "/api/v1/checks?limit=ten",
                          "/api/v1/checks?limit=-1", "/api/v1/checks?limit=2&limit=3",
                          "/api/v1/checks?client=", "/api/v1/checks?site=%zz",
                          "/api/v1/clients?verbose=1"}) {
    a = get(bad);
    EXPECT_EQ(a.status, 400) << bad;
    EXPECT_TRUE(body(a)["error"].is_string()) << bad;
  }
}

TEST_F(ApiTest, PaginatesWithLinkAndTotalCountKeepingTheArray) {
  auto a = get("/api/v1/checks?limit=2");
  ASSERT_EQ(a.status, 200);
  EXPECT_EQ(keys(a), (Keys{"acme/shop/http", "acme/shop/tls"}));
  EXPECT_EQ(header(a, "X-Total-Count"), "5");
  EXPECT_EQ(header(a, "Link"), "</api/v1/checks?limit=2&after=acme%2Fshop%2Ftls>; rel=\"next\"");

  // Follow the links to the end: every check once, in order, the last page without a Link.
  Keys seen;
  std::string next = "/api/v1/checks?limit=2";
  int pages = 0;
  while (!next.empty() && pages < 10) {
    a = get(next);
    ASSERT_EQ(a.status, 200) << next;
    ++pages;
    for (auto& k : keys(a)) seen.push_back(k);
    std::string link = header(a, "Link");
    next = link.empty() ? "" : link.substr(1, link.find('>') - 1);
  }
  EXPECT_EQ(pages, 3);
  EXPECT_EQ(seen, keys(get("/api/v1/checks")));

  // Filters ride along in the next link; the total counts the filtered set.
  a = get("/api/v1/checks?tag=web&limit=1&after=acme%2Fshop%2Fhttp");
  EXPECT_EQ(keys(a), (Keys{"acme/shop/tls"}));
  EXPECT_EQ(header(a, "X-Total-Count"), "3");
  EXPECT_EQ(header(a, "Link"),
            "</api/v1/checks?tag=web&limit=1&after=acme%2Fshop%2Ftls>; rel=\"next\"");
  a = get("/api/v1/checks?tag=web&limit=5");
  EXPECT_EQ(keys(a).size(), 3u);
  EXPECT_EQ(header(a, "Link"), "");  // nothing more
  EXPECT_EQ(header(a, "X-Total-Count"), "3");
  // after without limit: the rest, no headers.
  a = get("/api/v1/checks?after=beta%2Fblog%2Fdns");
  EXPECT_EQ(keys(a), (Keys{"beta/blog/http"}));
  EXPECT_TRUE(a.headers.empty());
}

TEST_F(ApiTest, OneCheckWithItsTransitions) {
  store::StoreOptions so;
  so.path = ":memory:";
  so.clock = &clock_;
  store_ = std::make_unique<store::SqliteStore>(so);
  Status previous = Status::unknown;
  auto record = [&](Status s, TimePoint t, std::string summary) {
    auto r = probes::make_result(s, probes::FailureKind::none, std::move(summary));
    r.started = t;
    store_->record_result("acme/shop/http", r, store::HealthRecord{previous, t, s == Status::ok ? 0 : 1});
    previous = s;
  };
  record(Status::ok, clock_.now() - hours(24 * 10), "fine ten days ago");
  record(Status::critical, clock_.now() - hours(24 * 9), "HTTP 503 nine days ago");
  record(Status::ok, clock_.now() - hours(3), "recovered");
  record(Status::critical, clock_.now() - hours(2), "HTTP 503 from 203.0.113.7");
  store_->flush();

  auto a = get("/api/v1/checks/acme/shop/http");
  ASSERT_EQ(a.status, 200) << a.body;
  auto j = body(a);
  EXPECT_EQ(j["key"], "acme/shop/http");
  EXPECT_EQ(j["status"], "critical");
  EXPECT_TRUE(j["next_run"].is_string());
  EXPECT_EQ(j["last_result"]["started"], "2026-12-04T05:39:16.123Z");
  EXPECT_EQ(j["transitions_since"], "2026-11-27T05:40:46.123Z");  // 7 days back
  ASSERT_EQ(j["transitions"].size(), 2u) << j.dump();
  EXPECT_EQ(j["transitions"][0],
            (nlohmann::json{{"at", "2026-12-04T02:40:46.123Z"},
                            {"from", "critical"},
                            {"to", "ok"},
                            {"reason", "recovered"}}));
  EXPECT_EQ(j["transitions"][1]["to"], "critical");
  EXPECT_EQ(j["transitions"][1]["reason"], "HTTP 503 from 203.0.113.7");

  a = get("/api/v1/checks/acme/shop/http?since=2026-11-20T00:00:00%2B01:00");
  ASSERT_EQ(a.status, 200);
  j = body(a);
  EXPECT_EQ(j["transitions_since"], "2026-11-19T23:00:00.000Z");
  ASSERT_EQ(j["transitions"].size(), 4u);
  EXPECT_EQ(j["transitions"][0]["from"], "unknown");
  EXPECT_EQ(j["transitions"][0]["to"], "ok");

  a = get("/api/v1/checks/acme/shop/http?since=last-week");
  EXPECT_EQ(a.status, 400);
  EXPECT_THAT(body(a)["error"].get<std::string>(), HasSubstr("RFC 3339"));
  a = get("/api/v1/checks/acme/shop/http?limit=3");
  EXPECT_EQ(a.status, 400);
  EXPECT_THAT(body(a)["error"].get<std::string>(), HasSubstr("'limit'"));
}

TEST_F(ApiTest, OneCheckWithoutAStoreHasNoTransitions) {
  auto a = get("/api/v1/checks/beta/blog/dns");
  ASSERT_EQ(a.status, 200);
  EXPECT_EQ(body(a)["transitions"], nlohmann::json::array());
  EXPECT_EQ(body(a)["status"], "ok");
}

TEST_F(ApiTest, UnknownCheckAndUnknownPathAre404Json) {
  for (const char* path : {"/api/v1/checks/acme/shop/ftp", "/api/v1/checks/acme/shop",
                           "/api/v1/checks/acme/shop/http/x", "/api/v1/checks/", "/api/v1/nope",
                           "/api/v2/checks", "/"}) {
    auto a = get(path);
    EXPECT_EQ(a.status, 404) << path;
    EXPECT_EQ(a.content_type, "application/json");
    EXPECT_TRUE(body(a)["error"].is_string()) << path;
  }
  EXPECT_THAT(body(get("/api/v1/checks/acme/shop/ftp"))["error"].get<std::string>(),
              HasSubstr("acme/shop/ftp"));
}

TEST_F(ApiTest, WrongMethodOnAKnownPathIs405WithAllow) {
  for (const char* path : {"/api/v1/checks", "/api/v1/checks/acme/shop/http", "/api/v1/clients"})
    for (const char* method : {"POST", "DELETE", "PUT"}) {
      auto a = get(path, method);
      EXPECT_EQ(a.status, 405) << method << " " << path;
      EXPECT_EQ(header(a, "Allow"), "GET, HEAD");
      EXPECT_THAT(body(a)["error"].get<std::string>(), HasSubstr(method));
    }
  EXPECT_EQ(get("/api/v1/checks", "HEAD").status, 200);
  EXPECT_EQ(get("/api/v1/elsewhere", "POST").status, 404);
}

TEST_F(ApiTest, OncallShowsWhoIsOnCallNowNextAndTheHandOver) {
  auto cfg = std::make_shared<config::Config>(config_);
  cfg->alerting.oncall.members = {{"alice", "Alice", {}}, {"bob", "Bob", {}}};
  config::Rota r;
  r.id = "primary";
  r.time_zone = "Europe/London";
  r.handover_weekday = 0;
  r.handover_minute = 9 * 60;
  r.start_day = 20458;  // 2026-01-05, a Monday
  r.members = {"alice", "bob"};
  cfg->alerting.oncall.rotas = {r};
  auto call = [&](const std::string& target) {
    return api::handle(api::Sources{*engine_, store_.get(), clients_, clock_, nullptr, "", cfg}, "GET", target);
  };
  // Now (Fri 4 Dec 2026, turn 47): bob until Monday 7 Dec 09:00 GMT.
  auto now = body(call("/api/v1/oncall"));
  ASSERT_EQ(now.size(), 1u);
  EXPECT_EQ(now[0]["now"]["member"], "bob");
  EXPECT_EQ(now[0]["next"]["member"], "alice");
  EXPECT_EQ(now[0]["handover"], "2026-12-07T09:00:00.000Z");
  // ?at= in summer: the hand-over is 09:00 BST = 08:00Z.
  auto summer = body(call("/api/v1/oncall?at=2026-07-01T12:00:00Z"));
  EXPECT_EQ(summer[0]["handover"], "2026-07-06T08:00:00.000Z");
  EXPECT_EQ(summer[0]["handover_local"], "2026-07-06 09:00 Mon");
  EXPECT_EQ(call("/api/v1/oncall?at=tomorrow").status, 400);
  EXPECT_EQ(call("/api/v1/oncall?who=x").status, 400);
  EXPECT_EQ(get("/api/v1/oncall").status, 503);  // no config in these sources
}

TEST_F(ApiTest, ClientsWithHoursHolidaysCountsAndOpenNow) {
  clock_.set(at("2026-12-07T10:00:00Z"));  // Monday 10:00 in London (GMT)
  auto a = get("/api/v1/clients");
  ASSERT_EQ(a.status, 200);
  auto j = body(a);
  ASSERT_EQ(j.size(), 2u);
  const auto& acme = j[0];
  EXPECT_EQ(acme["id"], "acme");
  EXPECT_EQ(acme["name"], "Acme Ltd");
  EXPECT_EQ(acme["timezone"], "Europe/London");
  EXPECT_EQ(acme["business_hours"]["mon"], (nlohmann::json{"09:00-17:00"}));
  EXPECT_EQ(acme["business_hours"]["sat"], (nlohmann::json{"00:00-24:00"}));
  EXPECT_EQ(acme["business_hours"]["sun"], nlohmann::json::array());
  EXPECT_EQ(acme["holidays"], (nlohmann::json{"2026-12-25"}));
  EXPECT_EQ(acme["open_now"], true);
  EXPECT_EQ(acme["checks"], 3);
  EXPECT_EQ(acme["failing"], 2);  // critical + warning
  const auto& beta = j[1];
  EXPECT_EQ(beta["name"], "beta");
  EXPECT_EQ(beta["business_hours"]["sat"], (nlohmann::json{"22:00-06:00"}));
  EXPECT_EQ(beta["business_hours"]["sun"], (nlohmann::json{"10:00-12:00", "14:00-15:30"}));
  EXPECT_EQ(beta["open_now"], false);
  EXPECT_EQ(beta["checks"], 2);
  EXPECT_EQ(beta["failing"], 1);  // unknown counts as failing, like the engine's retry rule

  auto open = [&](const char* when) {
    clock_.set(at(when));
    auto all = body(get("/api/v1/clients"));
    return std::make_pair(all[0]["open_now"].get<bool>(), all[1]["open_now"].get<bool>());
  };
  EXPECT_EQ(open("2026-12-07T17:00:00Z"), std::make_pair(false, false));  // acme just closed
  EXPECT_EQ(open("2026-12-07T16:59:59Z"), std::make_pair(true, false));
  EXPECT_EQ(open("2026-12-06T03:00:00Z"), std::make_pair(false, true));  // beta's night shift
  EXPECT_EQ(open("2026-12-25T10:00:00Z"), std::make_pair(false, false));  // acme's holiday
  EXPECT_EQ(open("2026-07-06T08:30:00Z"), std::make_pair(true, false));  // 09:30 BST
}

TEST_F(ApiTest, ClientsFollowTheSourcesGiven) {
  auto one = std::make_shared<std::vector<config::Client>>(*clients_);
  one->resize(1);
  clients_ = one;
  EXPECT_EQ(body(get("/api/v1/clients")).size(), 1u);
  clients_ = nullptr;
  EXPECT_EQ(get("/api/v1/clients").body, "[]\n");
}

// The worker records next_run itself after a run: a failing check retries after retry_interval.
TEST(ApiEngineTest, WorkerRecordsNextRunAfterARun) {
  ManualClock clock{at("2026-12-04T05:40:46.123Z")};
  AgentMetrics metrics;
  EngineOptions o;
  o.workers = 1;
  o.warmup = milliseconds(0);  // a new check runs at once
  Engine engine(o, metrics, nullptr, clock);
  config::Config cfg;
  auto c = std::make_shared<config::Check>();
  c->spec = {"acme", "www", "http", "http", "", "https://www.acme.example/", seconds(300),
             seconds(5), seconds(60)};
  c->probe = std::make_shared<FakeProbe>(Status::critical);
  cfg.checks.push_back(c);
  engine.start(cfg, {});
  std::optional<lookout::agent::CheckHealth> h;
  for (int i = 0; i < 300; ++i) {
    h = engine.check("acme/www/http");
    if (h && !h->last_json.empty() && h->next_run > clock.now()) break;
    std::this_thread::sleep_for(10ms);
  }
  ASSERT_TRUE(h);
  EXPECT_EQ(h->status, Status::critical);
  EXPECT_EQ(h->next_run, clock.now() + seconds(60));
  EXPECT_EQ(engine.next_run("acme/www/http"), clock.now() + seconds(60));
  EXPECT_FALSE(engine.next_run("acme/www/nope"));
  auto a = api::handle(api::Sources{engine, nullptr, nullptr, clock, nullptr, "", nullptr}, "GET",
                       "/api/v1/checks?status=critical");
  auto j = nlohmann::json::parse(a.body);
  ASSERT_EQ(j.size(), 1u);
  EXPECT_EQ(j[0]["next_run"], "2026-12-04T05:41:46.123Z");
  EXPECT_EQ(j[0]["last_result"]["started"], "2026-12-04T05:40:46.123Z");
  EXPECT_EQ(j[0]["last_result"]["summary"], "fake says critical");
}

// Through the real server: JSON errors, 405 on the server's own paths, headers passed through.
struct Raw {
  int status = 0;
  std::string content_type, allow, link, total, body;
};

Raw request(const std::string& address, boost::beast::http::verb verb, const std::string& target) {
  namespace http = boost::beast::http;
  Raw out;
  boost::asio::io_context io;
  boost::beast::tcp_stream stream(io);
  auto colon = address.rfind(':');
  stream.connect(boost::asio::ip::tcp::endpoint(
      boost::asio::ip::make_address(address.substr(0, colon)),
      static_cast<unsigned short>(std::stoi(address.substr(colon + 1)))));
  http::request<http::empty_body> req{verb, target, 11};
  req.set(http::field::host, "localhost");
  http::write(stream, req);
  boost::beast::flat_buffer buf;
  http::response_parser<http::string_body> parser;
  parser.skip(verb == http::verb::head);  // a HEAD answer has a Content-Length but no body
  http::read(stream, buf, parser);
  const auto& res = parser.get();
  out.status = res.result_int();
  out.content_type = std::string(res[http::field::content_type]);
  out.allow = std::string(res[http::field::allow]);
  out.link = std::string(res[http::field::link]);
  out.total = std::string(res["X-Total-Count"]);
  out.body = res.body();
  return out;
}

TEST_F(ApiTest, AdminServerServesTheApi) {
  using boost::beast::http::verb;
  lookout::agent::AdminHandlers handlers;
  handlers.metrics_stream = [] { return [](std::string&) { return false; }; };
  handlers.api = [this](std::string_view method, std::string_view target) {
    return api::handle(api::Sources{*engine_, nullptr, clients_, clock_, nullptr, "", nullptr}, method, target);
  };
  lookout::agent::AdminServer server(
      "127.0.0.1:" + std::to_string(lookout::testing::free_port()), handlers);
  server.start();
  auto addr = server.address();
  EXPECT_EQ(addr.substr(0, 10), "127.0.0.1:");

  auto r = request(addr, verb::get, "/api/v1/checks?client=acme&limit=1");
  EXPECT_EQ(r.status, 200);
  EXPECT_EQ(r.content_type, "application/json");
  EXPECT_EQ(r.total, "3");
  EXPECT_EQ(r.link, "</api/v1/checks?client=acme&limit=1&after=acme%2Fshop%2Fhttp>; rel=\"next\"");
  EXPECT_EQ(nlohmann::json::parse(r.body).size(), 1u);

  r = request(addr, verb::get, "/nowhere");
  EXPECT_EQ(r.status, 404);
  EXPECT_EQ(r.content_type, "application/json");
  EXPECT_TRUE(nlohmann::json::parse(r.body)["error"].is_string());

  for (const char* path : {"/metrics", "/healthz", "/api/v1/clients"}) {
    r = request(addr, verb::post, path);
    EXPECT_EQ(r.status, 405) << path;
    EXPECT_EQ(r.allow, "GET, HEAD") << path;
    EXPECT_EQ(r.content_type, "application/json") << path;
    EXPECT_TRUE(nlohmann::json::parse(r.body)["error"].is_string()) << path;
  }
  r = request(addr, verb::get, "/api/v1/checks?status=bad");
  EXPECT_EQ(r.status, 400);
  EXPECT_THAT(r.body, HasSubstr("'bad'"));
  r = request(addr, verb::head, "/api/v1/clients");
  EXPECT_EQ(r.status, 200);
  EXPECT_EQ(r.body, "");
  EXPECT_EQ(request(addr, verb::get, "/healthz").body, "ok\n");
  server.stop();
}

}  // namespace
