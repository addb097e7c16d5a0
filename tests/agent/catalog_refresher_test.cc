// The agent's catalogue refresh against feeds served locally in their real formats (saved
// copies in tests/testdata/catalog): what changed is logged in the desk's terms, a feed that is
// down, garbage or truncated keeps the last good data and is counted, and no partial file is
// ever left where a reader would load it.
#include "agent/catalog_refresher.h"

#include <sys/resource.h>

#include <filesystem>
#include <fstream>
#include <regex>
#include <sstream>

#include <gmock/gmock.h>
#include <gtest/gtest.h>

#include "probes/catalog.h"
#include "tests/alerting/service_harness.h"
#include "tests/support/endless_http.h"
#include "tests/support/http_receiver.h"
#include "tests/support/temp_dir.h"

namespace lookout::agent {
namespace {

namespace fs = std::filesystem;
using ::testing::HasSubstr;
using namespace std::chrono_literals;

std::string testdata(const std::string& name) {
  std::ifstream in(std::string(LOOKOUT_SOURCE_DIR) + "/tests/testdata/catalog/" + name,
                   std::ios::binary);
  std::stringstream ss;
  ss << in.rdbuf();
  return ss.str();
}
std::string slurp(const std::string& path) {
  std::ifstream in(path, std::ios::binary);
  std::stringstream ss;
  ss << in.rdbuf();
  return ss.str();
}
std::string replace_all(std::string s, const std::string& from, const std::string& to) {
  for (size_t at = 0; (at = s.find(from, at)) != std::string::npos; at += to.size())
    s.replace(at, from.size(), to);
  return s;
}

// WordPress 6.9.2 as its real feeds would announce a security release on the 6.9 branch: the
// saved version-check offers 6.9.2, stable-check marks 6.9 and 6.9.1 insecure.
std::string wp_version_check_692() {
  return replace_all(testdata("wordpress-version-check.json"), "6.9.1", "6.9.2");
}
std::string wp_stable_check_692() {
  std::string s = testdata("wordpress-stable-check.json");
  s = replace_all(s, R"("6.9":"outdated","6.9.1":"latest")",
                  R"("6.9":"insecure","6.9.1":"insecure","6.9.2":"latest")");
  return s;
}

class CatalogRefresherTest : public ::testing::Test {
 protected:
  void SetUp() override {
    for (const auto& e : fs::directory_iterator(std::string(LOOKOUT_SOURCE_DIR) +
                                                "/tests/testdata/catalog/fixed"))
      fs::copy_file(e.path(), fs::path(dir_.path()) / e.path().filename());
    serve_good();
  }
  void serve_good() {
    feeds_.set_responder([this](const testing::ReceivedRequest& req, size_t) {
      std::lock_guard lock(mutex_);
      auto it = overrides_.find(req.target);
      if (it != overrides_.end()) return it->second;
      if (req.target == "/mirror/wordpress-version-check.json")
        return testing::Answer{200, wp_version_check_692(), "application/json"};
      if (req.target == "/mirror/wordpress-stable-check.json")
        return testing::Answer{200, wp_stable_check_692(), "application/json"};
      if (req.target == "/mirror/drupal-release-history.xml")
        return testing::Answer{200, testdata("drupal-release-history.xml"), "application/xml"};
      if (req.target == "/mirror/endoflife-drupal.json")
        return testing::Answer{200, testdata("endoflife-drupal.json"), "application/json"};
      if (req.target == "/mirror/rdap-dns.json")
        return testing::Answer{200, rdap_, "application/json"};
      return testing::Answer{404, "not found"};
    });
  }
  void override_answer(const std::string& target, testing::Answer a) {
    std::lock_guard lock(mutex_);
    overrides_[target] = std::move(a);
  }
  CatalogRefresher::Options options() const {
    CatalogRefresher::Options o;
    o.dir = dir_.path();
    o.feeds.mirror_url = feeds_.url("/mirror/");
    o.timeout = 3s;
    return o;
  }
  std::string file(const std::string& name) const { return dir_.path() + "/" + name; }

  testing::TempDir dir_{"lookout-refresh"};
  testing::HttpReceiver feeds_;
  std::mutex mutex_;
  std::map<std::string, testing::Answer> overrides_;
  std::string rdap_ =
      R"({"description":"RDAP bootstrap file for Domain Name System registrations",)"
      R"("publication":"2026-12-01T18:00:01Z","services":[[["com","net"],)"
      R"(["https://rdap.verisign.com/com/v1/"]]],"version":"1.0"})";
  ManualClock clock_{std::chrono::sys_days(std::chrono::year(2026) / 12 / 4) + 9h};
};

TEST_F(CatalogRefresherTest, SecurityReleaseIsLoggedWithTheSitesItMakesInsecure) {
  std::vector<InstalledVersion> sites = {{"wordpress", "6.9.1", true},
                                         {"wordpress", "6.9.1", true},
                                         {"wordpress", "6.9", true},
                                         {"wordpress", "6.8.3", true},
                                         {"drupal", "10", false}};
  CatalogRefresher r(options(), clock_, [&] { return sites; });
  const uint64_t gen = probes::Catalog::generation();
  auto lines = r.refresh_once();
  EXPECT_THAT(lines, ::testing::Contains(
                         "WordPress 6.9.2 is a security release: 3 sites now insecure"));
  EXPECT_GT(probes::Catalog::generation(), gen);  // probes holding the catalogue reload it
  EXPECT_EQ(r.failures(), 0u) << ::testing::PrintToString(lines);

  std::vector<std::string> errors;
  auto catalog = probes::Catalog::load(dir_.path(), errors);
  EXPECT_TRUE(errors.empty()) << errors.front();
  const auto* wp = catalog.find("wordpress");
  ASSERT_TRUE(wp);
  EXPECT_EQ(wp->as_of, "2026-12-04");  // the injected clock's date
  EXPECT_EQ(wp->latest_release()->text(), "6.9.2");
  EXPECT_EQ(catalog.find("ckan")->as_of, "2025-06-30");  // no feed: untouched
  // The RDAP bootstrap came with it.
  EXPECT_EQ(slurp(file("rdap/dns.json")), rdap_);
  EXPECT_THAT(lines, ::testing::Contains("RDAP bootstrap refreshed (publication 2026-12-01T18:00:01Z)"));

  std::string m = r.metrics_text();
  EXPECT_THAT(m, HasSubstr("lookout_catalog_age_seconds{product=\"wordpress\"} 32400\n"));  // 9 h
  EXPECT_THAT(m, HasSubstr("lookout_catalog_age_seconds{product=\"ckan\"} "));
  EXPECT_THAT(m, HasSubstr("# TYPE lookout_catalog_refresh_failures_total counter\n"
                           "lookout_catalog_refresh_failures_total 0\n"));
}

// A feed that is down, one that returns garbage and one that is truncated: each failure is
// counted and its product's file stays byte for byte what it was; nothing half-written remains.
TEST_F(CatalogRefresherTest, FailedFeedsKeepTheLastGoodData) {
  const std::string wp_before = slurp(file("wordpress.json"));
  const std::string drupal_before = slurp(file("drupal.json"));
  std::string stable = wp_stable_check_692();
  std::string drupal = testdata("drupal-release-history.xml");
  override_answer("/mirror/wordpress-version-check.json", {503, "Service Unavailable"});
  override_answer("/mirror/wordpress-stable-check.json",
                  {200, stable.substr(0, stable.size() / 2), "application/json"});  // truncated
  override_answer("/mirror/drupal-release-history.xml",
                  {200, "<html><body>Cloudflare: checking your browser</body></html>", "text/html"});
  override_answer("/mirror/endoflife-drupal.json", {200, "\x89PNG\r\n\x1a\n garbage", "image/png"});
  override_answer("/mirror/rdap-dns.json", {200, rdap_.substr(0, 60), "application/json"});
  CatalogRefresher r(options(), clock_);
  auto lines = r.refresh_once();
  EXPECT_EQ(r.failures(), 5u) << ::testing::PrintToString(lines);
  EXPECT_EQ(slurp(file("wordpress.json")), wp_before);
  EXPECT_EQ(slurp(file("drupal.json")), drupal_before);
  EXPECT_FALSE(fs::exists(file("rdap/dns.json")));
  for (const auto& e : fs::recursive_directory_iterator(dir_.path()))
    EXPECT_NE(e.path().extension(), ".tmp") << e.path();
  EXPECT_THAT(r.metrics_text(), HasSubstr("lookout_catalog_refresh_failures_total 5\n"));
  for (const auto& l : lines) EXPECT_THAT(l, HasSubstr("last good data kept"));

  // A feed that never answers in time: bounded by the per-feed timeout, counted too.
  auto o = options();
  o.feeds = CatalogFeeds{};
  o.feeds.wordpress_url = "http://127.0.0.1:9/never";  // nothing listens: refused at once
  o.timeout = 500ms;
  CatalogRefresher down(o, clock_);
  down.refresh_once();
  EXPECT_EQ(down.failures(), 1u);
  EXPECT_EQ(slurp(file("wordpress.json")), wp_before);

  // The next good refresh replaces the data.
  {
    std::lock_guard lock(mutex_);
    overrides_.clear();
  }
  r.refresh_once();
  EXPECT_NE(slurp(file("wordpress.json")), wp_before);
  EXPECT_EQ(r.failures(), 5u);
}

// The issue's "Bad input": a feed of 1 GB or one that never ends, over HTTP and in a mirror
// directory, is cut at 32 MiB or at the per-feed timeout, counted, and the last good data stays.
TEST_F(CatalogRefresherTest, HugeOrEndlessFeedsAreCutAndKeepTheLastGoodData) {
  const std::string wp_before = slurp(file("wordpress.json"));
  // Over HTTP: 33 MiB (more than the cap) and a body that never ends.
  testing::EndlessHttp endless;
  override_answer("/mirror/wordpress-stable-check.json",
                  {200, std::string(33u << 20, ' '), "application/json"});
  override_answer("/mirror/wordpress-version-check.json", {503, "Service Unavailable"});
  auto o = options();
  o.feeds.products = {"wordpress"};
  o.timeout = 5s;
  CatalogRefresher r(o, clock_);
  auto lines = r.refresh_once();
  EXPECT_EQ(r.failures(), 2u) << ::testing::PrintToString(lines);
  EXPECT_THAT(::testing::PrintToString(lines), HasSubstr("body larger than 32 MiB"));
  EXPECT_EQ(slurp(file("wordpress.json")), wp_before);

  auto never = options();
  never.feeds = CatalogFeeds{};
  never.feeds.wordpress_url = endless.url("/core/version-check/1.7/");
  never.timeout = 1s;
  CatalogRefresher n(never, clock_);
  const auto t0 = std::chrono::steady_clock::now();
  auto never_lines = n.refresh_once();
  const auto took = std::chrono::steady_clock::now() - t0;
  EXPECT_EQ(endless.accepted(), 1);
  EXPECT_EQ(n.failures(), 1u) << ::testing::PrintToString(never_lines);
  EXPECT_LT(took, 10s);  // the 1 s per-feed timeout, with room for a loaded machine
  EXPECT_THAT(::testing::PrintToString(never_lines), HasSubstr("not complete within 1 s"));
  EXPECT_EQ(slurp(file("wordpress.json")), wp_before);

  // In a mirror directory: a 1 GB file (sparse: no disk used) and one that never ends
  // (/dev/zero), each read no further than the cap.
  testing::TempDir mirror("lookout-mirror-hostile");
  {
    std::ofstream(mirror.file("wordpress-stable-check.json"));
    fs::resize_file(mirror.file("wordpress-stable-check.json"), uintmax_t{1} << 30);
  }
  fs::create_symlink("/dev/zero", mirror.file("wordpress-version-check.json"));
  auto dir = options();
  dir.feeds = CatalogFeeds{};
  dir.feeds.from_dir = mirror.path();
  CatalogRefresher d(dir, clock_);
  const auto t1 = std::chrono::steady_clock::now();
  auto dir_lines = d.refresh_once();
  EXPECT_LT(std::chrono::steady_clock::now() - t1, 20s);
  rusage ru{};
  ::getrusage(RUSAGE_SELF, &ru);
#if defined(__SANITIZE_ADDRESS__)
  const long limit_kib = 900 * 1024;  // ASan's shadow memory and quarantine; still < the 1 GB file
#else
  const long limit_kib = 512 * 1024;
#endif
  EXPECT_LT(ru.ru_maxrss, limit_kib) << "peak RSS in KiB: the 1 GB file was read whole";
  EXPECT_EQ(d.failures(), 2u) << ::testing::PrintToString(dir_lines);
  for (const auto& l : dir_lines) EXPECT_THAT(l, HasSubstr("larger than 32 MiB"));
  EXPECT_EQ(slurp(file("wordpress.json")), wp_before);
}

TEST_F(CatalogRefresherTest, MirrorDirectoryAndThreadAndOffWorkers) {
  testing::TempDir mirror("lookout-mirror");
  std::ofstream(mirror.file("wordpress-version-check.json")) << wp_version_check_692();
  std::ofstream(mirror.file("wordpress-stable-check.json")) << wp_stable_check_692();
  config::CatalogSettings s;
  s.mirror = mirror.path();
  auto o = CatalogRefresher::options_for(s);
  EXPECT_EQ(o.feeds.from_dir, mirror.path());
  EXPECT_FALSE(o.feeds.official);
  o.dir = dir_.path();
  CatalogRefresher r(o, clock_);
  r.start(1h, 0ms);  // first refresh at once, on the refresher's own thread
  for (int i = 0; i < 200 && slurp(file("wordpress.json")).find("6.9.2") == std::string::npos; ++i)
    std::this_thread::sleep_for(20ms);  // waiting for the thread, not for logic
  r.stop();
  EXPECT_NE(slurp(file("wordpress.json")).find("6.9.2"), std::string::npos);

  config::CatalogSettings official;
  EXPECT_TRUE(CatalogRefresher::options_for(official).feeds.official);
  config::CatalogSettings url;
  url.mirror = "https://mirror.example/lookout/";
  EXPECT_EQ(CatalogRefresher::options_for(url).feeds.mirror_url, url.mirror);
}

// catalog.max_age (docs/alerting.md "Stale release catalogue"): release data older than that
// raises one agency incident per product sites use, on a real AlertingService and store with
// the refresher on the same ManualClock; never twice, not after a restart either; the refresh
// that brings the data fresh resolves it.
const char* kAgency = R"(
alerting:
  sinks:
    - {id: agencyhook, type: webhook, url: "http://127.0.0.1:9/agency"}
  agency: [builtin, agencyhook]
clients:
  - id: acme
    sites:
      - {id: www, url: "http://www.example.com/", checks: [{type: patch}]}
)";

TEST_F(CatalogRefresherTest, StaleDataRaisesOneAgencyIncidentPerProductInUseUntilFresh) {
  probes::set_catalog_max_age(std::chrono::days(7));
  // The fixed catalogue: WordPress as of 2026-02-03, Drupal 2025-12-10, CKAN 2025-06-30 (stale).
  testing::ServiceHarness h(testing::utc(2026, 12, 4, 9, 0));
  h.load(kAgency);
  h.start();
  std::vector<InstalledVersion> sites = {{"wordpress", "6.9.1", true},
                                         {"wordpress", "6.8.3", true},
                                         {"drupal", "10", false}};
  auto make = [&] {
    auto r = std::make_unique<CatalogRefresher>(options(), h.clock, [&] { return sites; });
    r->set_staleness_listener(
        [&](const std::vector<CatalogStaleness>& s) { sync_catalog_incidents(*h.svc, s); });
    return r;
  };
  const std::string wp_key = "_lookout/catalog/wordpress", drupal_key = "_lookout/catalog/drupal";
  auto opened = [&](const std::string& key) { return h.sent_for(key, "incident.opened", "agencyhook"); };
  auto resolved = [&](const std::string& key) { return h.sent_for(key, "incident.resolved", "agencyhook"); };

  // The WordPress feeds are down: the refresh brings Drupal fresh, WordPress stays stale.
  override_answer("/mirror/wordpress-version-check.json", {503, "Service Unavailable"});
  override_answer("/mirror/wordpress-stable-check.json", {503, "Service Unavailable"});
  auto r = make();
  r->refresh_once();
  auto wp = h.incident(wp_key);
  ASSERT_FALSE(wp.is_null());
  EXPECT_EQ(wp["id"], wp_key + "#1");
  EXPECT_EQ(wp["state"], "open");
  EXPECT_EQ(wp["client"], "_lookout");
  EXPECT_EQ(wp["type"], "catalog");
  EXPECT_EQ(wp["priority"], "P3");
  EXPECT_THAT(wp["summary"].get<std::string>(),
              HasSubstr("WordPress release data is stale: as of 2026-02-03, 304 days old, older "
                        "than catalog.max_age 7d; patch verdicts on 2 sites may miss a security "
                        "release; last refresh: "));
  EXPECT_THAT(wp["summary"].get<std::string>(), HasSubstr("HTTP 503"));
  EXPECT_EQ(wp["facts"]["sites"], 2);
  EXPECT_EQ(wp["facts"]["as_of"], "2026-02-03");
  EXPECT_TRUE(wp["ticket"].is_string());  // `builtin` is among alerting.agency
  ASSERT_EQ(opened(wp_key).size(), 1u);
  EXPECT_EQ(opened(wp_key)[0]["audience"], "agency");
  EXPECT_TRUE(h.incident(drupal_key).is_null());            // refreshed: as of today
  EXPECT_TRUE(h.incident("_lookout/catalog/ckan").is_null());  // stale, but no site uses it

  // Checked again (the hourly check, a reload): nothing new.
  h.clock.advance(1h);
  r->check_staleness();
  EXPECT_EQ(opened(wp_key).size(), 1u);

  // A restart: the open incident comes back from the store and is not raised again.
  r.reset();
  h.restart();
  r = make();
  r->check_staleness();
  wp = h.incident(wp_key);
  EXPECT_EQ(wp["id"], wp_key + "#1");
  EXPECT_EQ(wp["state"], "open");
  EXPECT_EQ(opened(wp_key).size(), 1u);

  // The feeds are back: the refresh brings WordPress fresh and resolves its incident.
  {
    std::lock_guard lock(mutex_);
    overrides_.clear();
  }
  r->refresh_once();
  wp = h.incident(wp_key);
  EXPECT_EQ(wp["state"], "resolved");
  ASSERT_EQ(resolved(wp_key).size(), 1u);
  EXPECT_THAT(resolved(wp_key)[0]["sent_for"].get<std::string>(),
              HasSubstr("WordPress release data is fresh again: as of 2026-12-04"));
  r->check_staleness();
  EXPECT_EQ(resolved(wp_key).size(), 1u);

  // Eight days without a refresh: stale again, a new incident; Drupal's too (one per product).
  h.clock.advance(std::chrono::days(7));  // 2026-12-11 10:00: 7 whole days, not older than 7d
  r->check_staleness();
  EXPECT_EQ(h.incident(wp_key)["state"], "resolved");
  h.clock.advance(14h);  // 2026-12-12 00:00: 8 days
  r->check_staleness();
  EXPECT_EQ(h.incident(wp_key)["id"], wp_key + "#2");
  EXPECT_EQ(h.incident(wp_key)["state"], "open");
  EXPECT_EQ(h.incident(drupal_key)["id"], drupal_key + "#1");
  EXPECT_THAT(h.incident(drupal_key)["summary"].get<std::string>(),
              HasSubstr("patch verdicts on 1 site may miss"));
  EXPECT_EQ(opened(wp_key).size(), 2u);

  // A longer max_age (a reload) makes the data fresh again: both resolve.
  probes::set_catalog_max_age(std::chrono::days(30));
  r->check_staleness();
  EXPECT_EQ(h.incident(wp_key)["state"], "resolved");
  EXPECT_EQ(h.incident(drupal_key)["state"], "resolved");
  probes::set_catalog_max_age(std::chrono::days(7));
}

TEST(CatalogChangeTest, NewLatestOutdatesCurrentSites) {
  probes::ProductCatalog before, after;
  before.product = after.product = "drupal";
  before.name = after.name = "Drupal";
  before.as_of = "2026-11-01";
  after.as_of = "2026-12-04";
  probes::CatalogBranch b;
  b.name = "11.2";
  b.branch = *probes::Version::parse("11.2");
  b.latest = probes::Version::parse("11.2.7");
  before.branches = {b};
  b.latest = probes::Version::parse("11.2.8");
  after.branches = {b};
  std::vector<InstalledVersion> sites = {{"drupal", "11.2.7", true}, {"drupal", "11.2.8", true},
                                         {"wordpress", "6.9.1", true}};
  auto lines = describe_catalog_change(&before, after, sites, "2026-12-04");
  ASSERT_EQ(lines.size(), 1u);
  EXPECT_EQ(lines[0], "Drupal 11.2.8 released: 1 site now outdated");
  EXPECT_TRUE(describe_catalog_change(&after, after, sites, "2026-12-04").empty());
}

}  // namespace
}  // namespace lookout::agent
