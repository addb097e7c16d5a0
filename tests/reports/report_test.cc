// The monthly report over a seeded state store: a month of runs (transitions and rollups made
// by the real SqliteStore from results), incidents, tickets with acks, holds and solves,
// maintenance, patch exposure, expiries, DNSBL, disks. Every expected number below is worked
// out by hand in the comments; the JSON must equal them.
#include <gtest/gtest.h>
#include <sys/wait.h>

#include <date/date.h>

#include <cstdio>
#include <filesystem>
#include <fstream>
#include <sstream>

#include "agent/check_health.h"
#include "alerting/incident.h"
#include "alerting/ticket_store.h"
#include "config/clock.h"
#include "config/loader.h"
#include "config/time_text.h"
#include "probes/probe_registry.h"
#include "reports/month.h"
#include "reports/output.h"
#include "reports/report.h"
#include "store/sqlite_store.h"
#include "tests/support/temp_dir.h"

#include <SQLiteCpp/SQLiteCpp.h>

namespace lookout::reports {
namespace {

using std::chrono::hours;
using std::chrono::minutes;
using std::chrono::seconds;
using nlohmann::json;
using probes::Status;

TimePoint utc(int y, unsigned mo, unsigned d, int h = 0, int mi = 0, int s = 0) {
  return date::sys_days(date::year(y) / date::month(mo) / date::day(d)) + hours(h) + minutes(mi) +
         seconds(s);
}

const TimePoint kNow = utc(2026, 11, 3, 10);  // the report date

std::string config_text(const std::string& dir) {
  return R"(agent:
  state_file: )" + dir + R"(/state.db
report:
  agency_name: Northwind Web Care
clients:
  - id: acme
    name: Acme Widgets Ltd
    timezone: Europe/London
    business_hours:
      mon-fri: "09:00-17:00"
    contract:
      tier: gold
      uptime_target: 99.9
      sla:
        P1: {response: 1h, resolution: 4h}
        P2: {response: 4h, resolution: 16h}
    sites:
      - id: www
        name: Acme shop
        url: https://www.acme.test/
        checks:
          - {type: http, id: http, interval: 10m}
          - {type: patch, id: patch, interval: 6h}
          - {type: tls, id: tls}
          - {type: domain, id: domain, rdap_url: "https://rdap.example.test/"}
          - {type: dnsbl, id: dnsbl, target: 192.0.2.10}
          - {type: disk, id: disk, target: /}
  - id: ind
    name: Bharat Traders
    timezone: Asia/Kolkata
    contract:
      uptime_target: 99.5
    sites:
      - id: shop
        url: https://shop.bharat.test/
        checks:
          - {type: http, id: http, interval: 10m}
)";
}

// Records results as the agent does: the engine's health rule (agent::advance) gives the store
// the check's health with each result.
class HealthRecorder {
 public:
  explicit HealthRecorder(store::Store& s) : store_(s) {}
  void operator()(const std::string& key, const probes::Result& r) {
    auto& h = health_[key];
    auto step = agent::advance(h, r);
    store_.record_result(key, r, store::HealthRecord{step.previous, h.since, h.consecutive_failures});
  }

 private:
  store::Store& store_;
  std::map<std::string, agent::CheckHealth> health_;
};

struct Change {
  TimePoint at;
  Status status;
};

// Runs every `step` over [from, to) plus one at each change instant; each run has the status
// of the last change at or before it; no run inside a gap. Latency per run from `latency`.
template <class Latency>
void seed_runs(HealthRecorder& s, const std::string& key, TimePoint from, TimePoint to,
               std::chrono::minutes step, const std::vector<Change>& changes,
               const std::vector<Interval>& gaps, Latency latency, json facts = json::object()) {
  std::vector<TimePoint> times;
  for (TimePoint t = from; t < to; t += step) times.push_back(t);
  for (const auto& c : changes) times.push_back(c.at);
  std::sort(times.begin(), times.end());
  times.erase(std::unique(times.begin(), times.end()), times.end());
  for (TimePoint t : times) {
    bool skip = false;
    for (const auto& g : gaps) skip |= t >= g.from && t < g.to;
    if (skip) continue;
    Status st = Status::ok;
    for (const auto& c : changes)
      if (c.at <= t) st = c.status;
    probes::Result r;
    r.status = st;
    r.started = t;
    r.summary = st == Status::critical ? "HTTP 503" : std::string(probes::to_string(st));
    r.duration_seconds = latency(t);
    r.facts = facts;
    s(key, r);
  }
}

class ReportTest : public ::testing::Test {
 protected:
  void SetUp() override {
    clock_.set(kNow);
    auto loaded = config::load_config_text(config_text(dir_.path()), dir_.file("lookout.yaml"),
                                           probes::check_types());
    ASSERT_TRUE(loaded.config) << loaded.errors.to_string();
    config_ = std::move(*loaded.config);
    store::StoreOptions so;
    so.path = dir_.file("state.db");
    so.clock = &clock_;
    store_ = std::make_unique<store::SqliteStore>(so);
    seed();
    store_->flush();
  }

  void seed() {
    store::Store& st = *store_;
    HealthRecorder s(st);
    const TimePoint from = utc(2026, 9, 25), to = kNow;
    // acme/www/http, every 10 minutes. Latency 0.2 s, but 0.5 s on the local dates 2026-10-02
    // and 2026-10-03 (BST: 2026-10-01T23:00Z to 2026-10-03T23:00Z).
    auto latency = [](TimePoint t) {
      return t >= utc(2026, 10, 1, 23) && t < utc(2026, 10, 3, 23) ? 0.5 : 0.2;
    };
    seed_runs(s, "acme/www/http", from, to, minutes(10),
              {
                  {utc(2026, 10, 6, 10, 0, 0), Status::critical},   // D1: 2850 s down
                  {utc(2026, 10, 6, 10, 47, 30), Status::ok},
                  {utc(2026, 10, 12, 8), Status::warning},          // a warning: not down
                  {utc(2026, 10, 12, 9), Status::ok},
                  {utc(2026, 10, 14, 0), Status::unknown},          // 1800 s unknown
                  {utc(2026, 10, 14, 0, 30), Status::ok},
                  {utc(2026, 10, 20, 22, 10), Status::critical},    // inside maintenance
                  {utc(2026, 10, 20, 23), Status::ok},
                  {utc(2026, 10, 25, 0, 30), Status::critical},     // D2: 3600 s, over the DST change
                  {utc(2026, 10, 25, 1, 30), Status::ok},
              },
              {{utc(2026, 10, 28), utc(2026, 10, 29)}},  // no runs on the local date 2026-10-28 (GMT)
              latency);
    // Patch: outdated from 2026-10-09T12:00Z, insecure from 2026-10-15T06:00Z, current again
    // from 2026-10-18T18:00Z. Runs every 6 hours from midnight UTC.
    json patch_facts = {{"product", "wordpress"}, {"version", "6.6.2"}, {"latest", "6.6.2"},
                        {"latest_security", "6.6.2"}, {"status", "current"}};
    seed_runs(s, "acme/www/patch", from, to, minutes(360),
              {{utc(2026, 10, 9, 12), Status::warning},
               {utc(2026, 10, 15, 6), Status::critical},
               {utc(2026, 10, 18, 18), Status::ok}},
              {}, [](TimePoint) { return 1.0; }, patch_facts);
    // TLS: the certificate expires 20 days after the report date; domain: 200 days.
    probes::Result tls;
    tls.status = Status::ok;
    tls.started = kNow - hours(1);
    tls.facts = {{"host", "www.acme.test"}, {"not_after", config::rfc3339(kNow + hours(24 * 20))}};
    s("acme/www/tls", tls);
    probes::Result dom;
    dom.status = Status::ok;
    dom.started = kNow - hours(1);
    dom.facts = {{"domain", "acme.test"}, {"expires", config::rfc3339(kNow + hours(24 * 200))}};
    s("acme/www/domain", dom);
    // DNSBL: listed 2026-10-10T05:00Z, delisted 2026-10-12T05:00Z; listed before the month too
    // (2026-09-26 to 09-27), which the October report must not show.
    seed_runs(s, "acme/www/dnsbl", from, to, minutes(60),
              {{utc(2026, 9, 26), Status::critical}, {utc(2026, 9, 27), Status::ok},
               {utc(2026, 10, 10, 5), Status::critical}, {utc(2026, 10, 12, 5), Status::ok}},
              {}, [](TimePoint) { return 0.1; });
    // Disk: free space at 12:00Z daily, 100 GB on Oct 1 falling 1 GB a day; 200 GB disk.
    for (int d = 0; d < 33; ++d)
      st.record("acme/www/disk", "disk_free:/", utc(2026, 10, 1, 12) + hours(24 * d),
               (100.0 - d) * 1e9);
    probes::Result disk;
    disk.status = Status::ok;
    disk.started = kNow - hours(1);
    disk.facts = {{"mounts", json::array({{{"mount", "/"}, {"size_bytes", 200e9}}})}};
    s("acme/www/disk", disk);

    // ind/shop/http: down 2026-10-31T18:00Z to 19:00Z, across the Kolkata month boundary
    // (18:30Z): 1800 s in October, 1800 s in November.
    seed_runs(s, "ind/shop/http", from, to, minutes(10),
              {{utc(2026, 10, 31, 18), Status::critical}, {utc(2026, 10, 31, 19), Status::ok}}, {},
              [](TimePoint) { return 0.3; });

    // Incidents: D1 (P1, in October) and one resolved in September (not in October's report).
    store::Transaction tx;
    auto incident = [&](const std::string& id, int n, TimePoint first, TimePoint opened,
                        TimePoint resolved, alerting::Priority p, const std::string& summary) {
      alerting::Incident i;
      i.id = id;
      i.key = "acme/www/http";
      i.number = n;
      i.client = "acme";
      i.site = "www";
      i.check = "http";
      i.type = "http";
      i.open = false;
      i.priority = p;
      i.first_failure = first;
      i.opened = opened;
      i.updated = resolved;
      i.resolved = resolved;
      i.summary = summary;
      tx.values.push_back({"incident_history", id, i.to_json().dump()});
    };
    incident("acme/www/http#1", 1, utc(2026, 9, 20, 3), utc(2026, 9, 20, 3, 10), utc(2026, 9, 20, 4),
             alerting::Priority::P2, "timeout");
    incident("acme/www/http#2", 2, utc(2026, 10, 6, 10), utc(2026, 10, 6, 10, 10),
             utc(2026, 10, 6, 10, 47, 30), alerting::Priority::P1, "HTTP 503");
    ASSERT_TRUE(st.commit_and_wait(std::move(tx)).ok);

    // Tickets (Europe/London business hours Mon-Fri 09:00-17:00).
    ticket(1, "P1", {{utc(2026, 10, 23, 15, 30), "created", {{"priority", "P1"}}},   // Fri 16:30 BST
                     {utc(2026, 10, 26, 9, 20), "acknowledged", {}},                // Mon 09:20 GMT
                     {utc(2026, 10, 26, 10), "on_hold", {}},
                     {utc(2026, 10, 26, 13), "resumed", {}},
                     {utc(2026, 10, 26, 16), "solved", {}}});
    ticket(2, "P2", {{utc(2026, 10, 7, 10), "created", {{"priority", "P2"}}},        // Wed 11:00 BST
                     {utc(2026, 10, 7, 13, 30), "acknowledged", {}},                // 14:30 BST
                     {utc(2026, 10, 8, 11), "solved", {}}});                         // Thu 12:00 BST
    ticket(3, "P1", {{utc(2026, 10, 13, 8), "created", {{"priority", "P2"}}},        // Tue 09:00 BST
                     {utc(2026, 10, 13, 8, 30), "updated", {{"priority", {{"from", "P2"}, {"to", "P1"}}}}},
                     {utc(2026, 10, 13, 13), "solved", {}}});                        // 14:00 BST
    ticket(4, "P2", {{utc(2026, 9, 15, 10), "created", {{"priority", "P2"}}},
                     {utc(2026, 9, 15, 11), "acknowledged", {}},
                     {utc(2026, 9, 15, 12), "solved", {}}});
  }

  struct Ev {
    TimePoint at;
    std::string kind;
    json payload;
  };
  void ticket(int n, const std::string& priority, const std::vector<Ev>& events) {
    alerting::Ticket t;
    t.number = n;
    t.ref = "LK-" + std::to_string(n);
    t.client = "acme";
    t.site = "www";
    t.check = "http";
    t.check_key = "acme/www/http";
    t.priority = *alerting::priority_from_string(priority);
    t.created = events.front().at;
    t.sla_start = t.created;
    t.status = alerting::TicketStatus::solved;
    t.solved = events.back().at;
    store::Transaction tx;
    int seq = 0;
    for (const auto& e : events)
      tx.events.push_back({"ticket", t.ref, ++seq, e.at, e.kind, e.payload.dump()});
    t.events = seq;
    tx.values.push_back({"ticket", t.ref, t.to_json().dump()});
    ASSERT_TRUE(store_->commit_and_wait(std::move(tx)).ok);
  }

  json report(const std::string& client, const std::string& month) {
    ReportSource source(*store_);
    std::vector<MaintenanceWindow> maint = {
        {"acme", "www", "", utc(2026, 10, 20, 22), utc(2026, 10, 20, 23, 30), "server upgrade"}};
    return build_report(config_, source, {client, month, kNow, maint});
  }

  testing::TempDir dir_{"lookout-report"};
  ManualClock clock_;
  config::Config config_;
  std::unique_ptr<store::SqliteStore> store_;
};

const json& site(const json& r, const std::string& id) {
  for (const auto& s : r["sites"])
    if (s["id"] == id) return s;
  throw std::runtime_error("no site " + id);
}

TEST_F(ReportTest, UptimeExactToTheSecondWithMaintenanceExcluded) {
  json r = report("acme", "2026-10");
  // October in Europe/London: 2026-09-30T23:00Z (BST) to 2026-11-01T00:00Z (GMT): 31 days and
  // the extra hour of the DST change = 745 h = 2,682,000 s.
  EXPECT_EQ(r["period"]["from"], "2026-09-30T23:00:00.000Z");
  EXPECT_EQ(r["period"]["to"], "2026-11-01T00:00:00.000Z");
  EXPECT_TRUE(r["period"]["complete"].get<bool>());
  const json& a = site(r, "www")["availability"];
  // Down: D1 2850 s + D2 3600 s; the critical stretch inside the maintenance is excluded.
  EXPECT_EQ(a["down_seconds"].get<double>(), 6450.0);
  EXPECT_EQ(a["maintenance_seconds"].get<double>(), 5400.0);  // 22:00-23:30
  EXPECT_EQ(a["unknown_seconds"].get<double>(), 1800.0);
  EXPECT_EQ(a["no_data_seconds"].get<double>(), 86400.0);     // the local date 2026-10-28
  // Up = everything else, the warning hour included.
  const double up = 2'682'000.0 - 6450 - 5400 - 1800 - 86400;
  EXPECT_EQ(a["up_seconds"].get<double>(), up);
  EXPECT_NEAR(a["uptime_pct"].get<double>(), 100.0 * up / (up + 6450), 1e-4);  // 99.7508 %
  EXPECT_FALSE(a["met_target"].get<bool>());
  EXPECT_EQ(a["missing_days"], json::array({"2026-10-28"}));
  EXPECT_EQ(a["partial_days"], json::array());
  ASSERT_EQ(a["days"].size(), 31u);
  // 2026-10-25 is 25 hours long; D2 (1 h) is on it.
  const json& d25 = a["days"][24];
  EXPECT_EQ(d25["date"], "2026-10-25");
  EXPECT_EQ(d25["down_seconds"].get<double>(), 3600.0);
  EXPECT_EQ(d25["up_seconds"].get<double>(), 25 * 3600.0 - 3600);
  ASSERT_EQ(a["downtime"].size(), 2u);
  EXPECT_EQ(a["downtime"][0]["from"], "2026-10-06T10:00:00.000Z");
  EXPECT_EQ(a["downtime"][0]["seconds"].get<double>(), 2850.0);
  const json& m = site(r, "www")["maintenance"];
  ASSERT_EQ(m.size(), 1u);
  EXPECT_EQ(m[0]["reason"], "server upgrade");
  EXPECT_EQ(m[0]["seconds_in_month"].get<double>(), 5400.0);
  EXPECT_EQ(r["summary"]["uptime_pct"], a["uptime_pct"]);
  EXPECT_EQ(r["summary"]["sites_watched"], 1);
  EXPECT_EQ(r["summary"]["uptime_met_target"], false);
}

TEST_F(ReportTest, MonthRunsInTheClientsZone) {
  // Asia/Kolkata: October is 2026-09-30T18:30Z to 2026-10-31T18:30Z; the outage from 18:00Z to
  // 19:00Z on Oct 31 is half in October, half in November.
  json oct = report("ind", "2026-10");
  EXPECT_EQ(oct["period"]["from"], "2026-09-30T18:30:00.000Z");
  const json& a = site(oct, "shop")["availability"];
  EXPECT_EQ(a["down_seconds"].get<double>(), 1800.0);
  EXPECT_EQ(a["up_seconds"].get<double>(), 31 * 86400.0 - 1800);
  EXPECT_NEAR(a["uptime_pct"].get<double>(), 100.0 * (31 * 86400.0 - 1800) / (31 * 86400.0), 1e-4);
  EXPECT_TRUE(a["met_target"].get<bool>());  // 99.93 % >= 99.5 %
  json nov = report("ind", "2026-11");       // in progress: measured to the report date
  EXPECT_FALSE(nov["period"]["complete"].get<bool>());
  EXPECT_EQ(nov["period"]["measured_to"], "2026-11-03T10:00:00.000Z");
  const json& b = site(nov, "shop")["availability"];
  EXPECT_EQ(b["down_seconds"].get<double>(), 1800.0);
  // 2026-10-31T18:30Z to 2026-11-03T10:00Z = 2 d 15 h 30 min.
  EXPECT_EQ(b["up_seconds"].get<double>(), (2 * 86400.0 + 15.5 * 3600) - 1800);
  EXPECT_EQ(b["days"].size(), 3u);  // Nov 1-3 so far; no day is reported missing
  EXPECT_EQ(b["missing_days"], json::array());
}

TEST_F(ReportTest, ResponseTimeFromHourlyRollups) {
  json r = report("acme", "2026-10");
  const json& rt = site(r, "www")["response_time"];
  // 745 hours less the 24 of 2026-10-28 = 721 hourly means: 673 of 200 ms, 48 of 500 ms
  // (Oct 2 and 3). Median 200 ms; p95 = the 685th (ceil(0.95 * 721)) = 500 ms.
  EXPECT_EQ(rt["hours"], 721);
  EXPECT_EQ(rt["median_ms"].get<double>(), 200.0);
  EXPECT_EQ(rt["p95_ms"].get<double>(), 500.0);
  EXPECT_EQ(rt["daily"][1]["date"], "2026-10-02");
  EXPECT_EQ(rt["daily"][1]["mean_ms"].get<double>(), 500.0);
  EXPECT_EQ(rt["daily"][3]["mean_ms"].get<double>(), 200.0);
  EXPECT_TRUE(rt["daily"][27]["mean_ms"].is_null());  // Oct 28: no runs, nothing invented
  EXPECT_EQ(rt["daily"][27]["runs"], 0);
}

TEST_F(ReportTest, SlaInBusinessTimeAcrossAWeekendAndTheDstChange) {
  json r = report("acme", "2026-10");
  const json& items = r["tickets"]["items"];
  ASSERT_EQ(items.size(), 3u);  // LK-4 started in September
  auto find = [&](const std::string& ref) -> const json& {
    for (const auto& t : items)
      if (t["ref"] == ref) return t;
    throw std::runtime_error("no " + ref);
  };
  // LK-1 (P1, 1 h / 4 h): created Fri 16:30 BST. Response: 30 min on Friday, the weekend and
  // the DST change closed, 20 min Monday (09:00-09:20 GMT) = 50 min: met with 10 min to spare;
  // due Mon 09:30 GMT.
  const json& t1 = find("LK-1");
  EXPECT_EQ(t1["response"]["state"], "met");
  EXPECT_EQ(t1["response"]["elapsed_seconds"].get<double>(), 50 * 60.0);
  EXPECT_EQ(t1["response"]["by_seconds"].get<double>(), 10 * 60.0);
  EXPECT_EQ(t1["response"]["due"], "2026-10-26T09:30:00.000Z");
  // Resolution: 30 min Fri + 60 min Mon (09:00-10:00) + on hold 10:00-13:00 + 180 min
  // (13:00-16:00) = 270 min against 240: breached by 30 min.
  EXPECT_EQ(t1["resolution"]["state"], "breached");
  EXPECT_EQ(t1["resolution"]["elapsed_seconds"].get<double>(), 270 * 60.0);
  EXPECT_EQ(t1["resolution"]["by_seconds"].get<double>(), 30 * 60.0);
  // LK-2 (P2, 4 h / 16 h): Wed 11:00 -> ack 14:30 BST = 3.5 h: met by 30 min. Solved Thu 12:00:
  // 6 h Wed + 3 h Thu = 9 h: met by 7 h.
  const json& t2 = find("LK-2");
  EXPECT_EQ(t2["response"]["state"], "met");
  EXPECT_EQ(t2["response"]["by_seconds"].get<double>(), 30 * 60.0);
  EXPECT_EQ(t2["resolution"]["state"], "met");
  EXPECT_EQ(t2["resolution"]["by_seconds"].get<double>(), 7 * 3600.0);
  // LK-3: P2 at 09:00 BST, raised to P1 at 09:30 (targets re-counted from 09:00): solved 14:00
  // without an acknowledgement (response not recorded); resolution 5 h against 4 h: breached
  // by 1 h.
  const json& t3 = find("LK-3");
  EXPECT_EQ(t3["priority"], "P1");
  EXPECT_EQ(t3["response"]["state"], "not_recorded");
  EXPECT_EQ(t3["resolution"]["state"], "breached");
  EXPECT_EQ(t3["resolution"]["by_seconds"].get<double>(), 3600.0);
  EXPECT_EQ(t3["resolution"]["due"], "2026-10-13T12:00:00.000Z");
  // 3 met (LK-1 response, LK-2 both), 2 breached: 60 %.
  EXPECT_EQ(r["summary"]["sla_met"], 3);
  EXPECT_EQ(r["summary"]["sla_breached"], 2);
  EXPECT_EQ(r["summary"]["sla_met_pct"].get<double>(), 60.0);
  const json& p1 = r["tickets"]["by_priority"]["P1"];
  EXPECT_EQ(p1["tickets"], 2);
  EXPECT_EQ(p1["resolution"]["breached"], 2);
  EXPECT_EQ(p1["response"]["met"], 1);
  EXPECT_EQ(p1["response"]["not_recorded"], 1);
}

TEST_F(ReportTest, IncidentsPatchExpiriesDnsblDisks) {
  json r = report("acme", "2026-10");
  ASSERT_EQ(r["incidents"].size(), 1u);
  const json& i = r["incidents"][0];
  EXPECT_EQ(i["id"], "acme/www/http#2");
  EXPECT_EQ(i["priority"], "P1");
  EXPECT_EQ(i["duration_seconds"].get<double>(), 2850.0);
  EXPECT_EQ(i["cause"], "HTTP 503");
  EXPECT_EQ(r["summary"]["incidents"], 1);
  EXPECT_EQ(r["summary"]["p1_incidents"], 1);

  // Patch: exposed 2026-10-09T12:00Z to 10-18T18:00Z = 9 d 6 h = 799,200 s, on the local
  // dates Oct 9..18 = 10 days; insecure from 10-15T06:00Z = 3 d 12 h = 302,400 s, Oct 15..18.
  ASSERT_EQ(r["patch"].size(), 1u);
  const json& p = r["patch"][0];
  EXPECT_EQ(p["exposed_seconds"].get<double>(), 799'200.0);
  EXPECT_EQ(p["days_exposed"], 10);
  EXPECT_EQ(p["insecure_seconds"].get<double>(), 302'400.0);
  EXPECT_EQ(p["days_insecure"], 4);
  EXPECT_EQ(p["product"], "wordpress");
  EXPECT_EQ(p["status"], "current");

  // Expiring within 60 days of the report date: the certificate (20 days), not the domain.
  ASSERT_EQ(r["expiring"].size(), 1u);
  EXPECT_EQ(r["expiring"][0]["kind"], "certificate");
  EXPECT_EQ(r["expiring"][0]["days_left"].get<double>(), 20.0);

  // DNSBL: listed and delisted in October; September's listing is not in it.
  ASSERT_EQ(r["dnsbl"].size(), 2u);
  EXPECT_EQ(r["dnsbl"][0]["event"], "listed");
  EXPECT_EQ(r["dnsbl"][0]["at"], "2026-10-10T05:00:00.000Z");
  EXPECT_EQ(r["dnsbl"][1]["event"], "delisted");

  // Disk at month end: the last reading before 2026-11-01T00:00Z is Oct 31 12:00Z, 70 GB free
  // of 200 GB = 65 % used; falling 1 GB a day: 70 days to full.
  ASSERT_EQ(r["disks"].size(), 1u);
  EXPECT_EQ(r["disks"][0]["at"], "2026-10-31T12:00:00.000Z");
  EXPECT_EQ(r["disks"][0]["used_pct"].get<double>(), 65.0);
  EXPECT_NEAR(r["disks"][0]["days_to_full"].get<double>(), 70.0, 0.05);

  // At risk: uptime below target and the certificate.
  ASSERT_EQ(r["summary"]["sites_at_risk"].size(), 1u);
  EXPECT_EQ(r["summary"]["sites_at_risk"][0]["reasons"].size(), 2u);
}

TEST_F(ReportTest, BadRequestsAreClearErrors) {
  ReportSource source(*store_);
  try {
    build_report(config_, source, {"nobody", "2026-10", kNow, {}});
    FAIL() << "no error";
  } catch (const ReportError& e) {
    EXPECT_EQ(e.kind, ReportError::Kind::unknown_client);
    EXPECT_NE(std::string(e.what()).find("unknown client 'nobody'"), std::string::npos);
    EXPECT_NE(std::string(e.what()).find("acme, ind"), std::string::npos);
  }
  for (const char* m : {"2026-13", "2026-1", "26-10", "2026-10-01", ""}) {
    try {
      build_report(config_, source, {"acme", m, kNow, {}});
      FAIL() << m;
    } catch (const ReportError& e) {
      EXPECT_EQ(e.kind, ReportError::Kind::bad_month) << m;
      EXPECT_NE(std::string(e.what()).find("expected YYYY-MM"), std::string::npos) << e.what();
    }
  }
  try {
    build_report(config_, source, {"acme", "2026-12", kNow, {}});
    FAIL() << "future month";
  } catch (const ReportError& e) {
    EXPECT_NE(std::string(e.what()).find("has not started yet"), std::string::npos) << e.what();
  }
}

TEST_F(ReportTest, ReadOnlyStoreBesideTheWriter) {
  // The writer (the agent) keeps the file open and locked; a reader opens it anyway, sees the
  // same data and cannot write.
  store::StoreOptions so;
  so.path = dir_.file("state.db");
  so.read_only = true;
  store::SqliteStore reader(so);
  ReportSource source(reader);
  json r = build_report(config_, source, {"acme", "2026-10", kNow, {}});
  EXPECT_EQ(site(r, "www")["availability"]["down_seconds"].get<double>(), 6450.0 + 3000);  // no maintenance given
  EXPECT_EQ(r["maintenance_source"], "none recorded");
  auto tls = reader.load_state("acme/www/tls");  // one check's state, not every check's
  ASSERT_TRUE(tls);
  EXPECT_EQ(tls->status, Status::ok);
  EXPECT_NE(tls->last_result.find("not_after"), std::string::npos);
  EXPECT_FALSE(reader.load_state("acme/www/none"));
  EXPECT_THROW(reader.record_result("acme/www/http", probes::Result{}, {}), std::logic_error);
  EXPECT_THROW(reader.commit_and_wait({}), std::logic_error);
  // A second writer is still refused: the reader took no lock, the writer still holds it.
  store::StoreOptions w;
  w.path = dir_.file("state.db");
  EXPECT_THROW(store::SqliteStore{w}, std::runtime_error);
}

TEST(ReportStoreTest, ReaderRefusesAMissingFileAndAnOlderSchema) {
  testing::TempDir dir("lookout-report-schema");
  store::StoreOptions so;
  so.path = dir.file("none.db");
  so.read_only = true;
  EXPECT_THROW(store::SqliteStore{so}, std::runtime_error);
  {
    SQLite::Database db(dir.file("old.db"), SQLite::OPEN_READWRITE | SQLite::OPEN_CREATE);
    db.exec("CREATE TABLE schema_version (version INTEGER NOT NULL); INSERT INTO schema_version VALUES (1)");
  }
  so.path = dir.file("old.db");
  try {
    store::SqliteStore s(so);
    FAIL() << "an older schema was read";
  } catch (const std::runtime_error& e) {
    EXPECT_NE(std::string(e.what()).find("older than this lookout"), std::string::npos) << e.what();
  }
}

TEST_F(ReportTest, MarkdownAndHtmlCarryTheNumbers) {
  json r = report("acme", "2026-10");
  std::string md = render_markdown(r);
  EXPECT_NE(md.find("# Acme Widgets Ltd — maintenance report 2026-10"), std::string::npos);
  EXPECT_NE(md.find("99.751 %"), std::string::npos) << md;
  EXPECT_NE(md.find("2026-10-28"), std::string::npos);
  EXPECT_NE(md.find("breached by 30 min 00 s"), std::string::npos) << md;
  EXPECT_NE(md.find("| 2026-10-20 23:00 | 2026-10-21 00:30 | whole site | server upgrade |"), std::string::npos) << md;
  std::string html = render_format(r, "html", config_.report);
  EXPECT_NE(html.find("Northwind Web Care"), std::string::npos);
  EXPECT_NE(html.find("<svg"), std::string::npos);
  EXPECT_EQ(html.find("<script"), std::string::npos);
  EXPECT_EQ(html.find("http://"), std::string::npos);  // nothing fetched from outside
  EXPECT_NE(html.find("break-before: page"), std::string::npos);
  EXPECT_THROW(render_format(r, "docx", config_.report), std::invalid_argument);
}

}  // namespace
}  // namespace lookout::reports

namespace lookout::reports {
namespace {

std::string run_capture(const std::string& cmd) {
  std::string out;
  FILE* p = ::popen(cmd.c_str(), "r");
  if (!p) return out;
  char buf[4096];
  size_t n;
  while ((n = std::fread(buf, 1, sizeof buf, p)) > 0) out.append(buf, n);
  ::pclose(p);
  return out;
}

// Share of non-white pixels of a binary PGM (P5, 8-bit), as pdftoppm -gray writes it.
double ink_share(const std::string& pgm) {
  std::istringstream in(pgm);
  std::string magic;
  int w = 0, h = 0, max = 0;
  in >> magic >> w >> h >> max;
  in.get();
  if (magic != "P5" || w <= 0 || h <= 0) return -1;
  std::string pixels(static_cast<size_t>(w) * h, '\0');
  in.read(pixels.data(), static_cast<std::streamsize>(pixels.size()));
  size_t ink = 0;
  for (unsigned char c : pixels) ink += c < 200;
  return static_cast<double>(ink) / static_cast<double>(pixels.size());
}

TEST_F(ReportTest, ChromiumPrintsTheHtmlToPdfAndPng) {
  if (find_chromium().empty() || run_capture("command -v pdftotext").empty())
    GTEST_SKIP() << "headless Chromium or poppler-utils is not installed (scripts/setup installs "
                    "chromium and poppler-utils)";
  // A logo file, inlined into the HTML as a data: URI.
  std::string logo = dir_.file("logo.svg");
  std::ofstream(logo) << "<svg xmlns='http://www.w3.org/2000/svg' width='120' height='40'>"
                         "<rect width='120' height='40' rx='6' fill='#24466b'/>"
                         "<text x='60' y='27' font-size='18' text-anchor='middle' fill='white'>NWC</text></svg>";
  config_.report.logo_file = logo;
  json r = report("acme", "2026-10");
  std::string html_file = dir_.file("acme-2026-10.html");
  std::ofstream(html_file) << render_format(r, "html", config_.report);
  // Keep a copy for a person to look at (the PNG too), when asked to.
  const char* keep = std::getenv("LOOKOUT_REPORT_KEEP");

  std::string pdf = dir_.file("acme-2026-10.pdf");
  ASSERT_EQ(html_to_pdf(html_file, pdf), "");
  std::string info = run_capture("pdfinfo '" + pdf + "'");
  auto pages_at = info.find("Pages:");
  ASSERT_NE(pages_at, std::string::npos) << info;
  int pages = std::atoi(info.c_str() + pages_at + 6);
  // Four sections, each starting a page: at least 4 pages, on A4.
  EXPECT_GE(pages, 4) << info;
  EXPECT_LE(pages, 8) << info;
  EXPECT_NE(info.find("(A4)"), std::string::npos) << info;
  std::string text = run_capture("pdftotext -layout '" + pdf + "' -");
  for (const char* expect : {"Northwind Web Care", "Acme Widgets Ltd", "maintenance report 2026-10",
                             "99.751 %", "Incidents", "HTTP 503", "Tickets and SLA",
                             "breached by 30 min 00 s", "Patch status", "wordpress",
                             "Disks at month end", "server upgrade", "2026-10-28"})
    EXPECT_NE(text.find(expect), std::string::npos) << "missing in the PDF: " << expect;
  // Page 1 holds the summary; the incidents start on a later page (a page break).
  std::string page1 = run_capture("pdftotext -f 1 -l 1 '" + pdf + "' -");
  EXPECT_NE(page1.find("sites watched"), std::string::npos);
  EXPECT_EQ(page1.find("HTTP 503"), std::string::npos);
  // The first page rendered has ink (not blank).
  double ink = ink_share(run_capture("pdftoppm -gray -r 40 -f 1 -l 1 '" + pdf + "'"));
  EXPECT_GT(ink, 0.01) << "the first PDF page looks blank";

  // PNG: a screenshot of the same HTML at A4 width; a blank page of the same size compresses to
  // a few KB, the report to far more.
  std::string png = dir_.file("acme-2026-10.png");
  ASSERT_EQ(run_chromium(html_file, {"--window-size=1240,1754", "--screenshot=" + png}), "");
  std::string blank_html = dir_.file("blank.html"), blank_png = dir_.file("blank.png");
  std::ofstream(blank_html) << "<!DOCTYPE html><html><body></body></html>";
  ASSERT_EQ(run_chromium(blank_html, {"--window-size=1240,1754", "--screenshot=" + blank_png}), "");
  std::ifstream pin(png, std::ios::binary);
  std::string bytes((std::istreambuf_iterator<char>(pin)), {});
  ASSERT_GT(bytes.size(), 24u);
  EXPECT_EQ(bytes.substr(1, 3), "PNG");
  auto be32 = [&](size_t at) {
    return (static_cast<uint32_t>(static_cast<unsigned char>(bytes[at])) << 24) |
           (static_cast<uint32_t>(static_cast<unsigned char>(bytes[at + 1])) << 16) |
           (static_cast<uint32_t>(static_cast<unsigned char>(bytes[at + 2])) << 8) |
           static_cast<uint32_t>(static_cast<unsigned char>(bytes[at + 3]));
  };
  EXPECT_EQ(be32(16), 1240u);  // IHDR width
  EXPECT_EQ(be32(20), 1754u);  // IHDR height
  auto blank_size = std::filesystem::file_size(blank_png);
  EXPECT_GT(bytes.size(), blank_size * 5) << "the PNG looks blank (" << bytes.size() << " bytes vs "
                                          << blank_size << " for an empty page)";
  if (keep && *keep) {
    std::filesystem::create_directories(keep);
    for (const auto& f : {html_file, pdf, png})
      std::filesystem::copy_file(f, std::filesystem::path(keep) / std::filesystem::path(f).filename(),
                                 std::filesystem::copy_options::overwrite_existing);
  }
}

}  // namespace
}  // namespace lookout::reports

namespace lookout::reports {
namespace {

struct CliRun {
  int code = -1;
  std::string out, err;
};

CliRun run_lookout(const std::string& args, const std::string& dir) {
  std::string out = dir + "/cli.out", err = dir + "/cli.err";
  std::string cmd = std::string(LOOKOUT_BINARY) + " " + args + " >" + out + " 2>" + err;
  int status = std::system(cmd.c_str());
  CliRun r;
  r.code = WIFEXITED(status) ? WEXITSTATUS(status) : -1;
  std::ifstream o(out), e(err);
  r.out.assign(std::istreambuf_iterator<char>(o), {});
  r.err.assign(std::istreambuf_iterator<char>(e), {});
  return r;
}

TEST_F(ReportTest, CommandLineBesideARunningWriter) {
  // store_ is open for writing (the agent's lock is held) while `lookout report` reads.
  std::string cfg = dir_.file("lookout.yaml");
  std::ofstream(cfg) << config_text(dir_.path());
  CliRun r = run_lookout("report -c " + cfg + " --client acme --month 2026-10 --format json", dir_.path());
  ASSERT_EQ(r.code, 0) << r.err;
  json j = json::parse(r.out);
  EXPECT_EQ(j["client"]["id"], "acme");
  // No maintenance is recorded by this version: the critical stretch of Oct 20 counts.
  EXPECT_EQ(j["sites"][0]["availability"]["down_seconds"].get<double>(), 6450.0 + 3000);
  EXPECT_EQ(j["tickets"]["items"].size(), 3u);

  r = run_lookout("report -c " + cfg + " --client nobody --month 2026-10", dir_.path());
  EXPECT_EQ(r.code, 2);
  EXPECT_NE(r.err.find("unknown client 'nobody'"), std::string::npos) << r.err;
  r = run_lookout("report -c " + cfg + " --client acme --month 2026-1", dir_.path());
  EXPECT_EQ(r.code, 2);
  EXPECT_NE(r.err.find("expected YYYY-MM"), std::string::npos) << r.err;
  r = run_lookout("report -c " + cfg + " --client acme --month 2199-01", dir_.path());
  EXPECT_EQ(r.code, 2);
  EXPECT_NE(r.err.find("has not started yet"), std::string::npos) << r.err;
  r = run_lookout("report -c " + cfg + " --all --month 2199-01 --out-dir " + dir_.file("x"), dir_.path());
  EXPECT_EQ(r.code, 2);
  r = run_lookout("report -c " + cfg + " --client acme", dir_.path());  // --month missing
  EXPECT_EQ(r.code, 2);

  r = run_lookout("report -c " + cfg + " --all --month 2026-10 --format md --out-dir " + dir_.file("out"),
                  dir_.path());
  ASSERT_EQ(r.code, 0) << r.err;
  EXPECT_TRUE(std::filesystem::exists(dir_.file("out/acme-2026-10.md")));
  EXPECT_TRUE(std::filesystem::exists(dir_.file("out/ind-2026-10.md")));
  EXPECT_NE(r.err.find("[1/2] acme: "), std::string::npos) << r.err;
  EXPECT_NE(r.err.find("[2/2] ind: "), std::string::npos) << r.err;
  EXPECT_NE(r.err.find("reports for 2026-10: 2 written, 0 failed"), std::string::npos) << r.err;
}

}  // namespace
}  // namespace lookout::reports
