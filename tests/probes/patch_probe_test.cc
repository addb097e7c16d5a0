// The patch probe against the estate's CMS sites, through the same path as
// `lookout check --type patch` (agent::run_one_check), with the pinned test catalogue; and its
// exposure history with a History that outlives one run.
#include "probes/patch_probe.h"

#include <chrono>
#include <fstream>
#include <map>
#include <mutex>
#include <set>
#include <sstream>
#include <string>
#include <vector>

#include <boost/asio/co_spawn.hpp>
#include <boost/asio/io_context.hpp>
#include <gmock/gmock.h>
#include <gtest/gtest.h>

#include "agent/check_runner.h"
#include "agent/oneshot.h"
#include "probes/catalog.h"
#include "probes/history.h"
#include "net/resolver.h"
#include "net/tls_context.h"
#include "net/x509_facts.h"
#include "tests/alerting/service_harness.h"
#include "tests/estate/estate.h"
#include "tests/support/endless_http.h"
#include "tests/support/estate_fixture.h"
#include "tests/support/http_receiver.h"
#include "probes/vuln_feed.h"
#include "probes/wp_directory.h"
#include "config/clock.h"

namespace lookout::probes {
namespace {

using namespace std::chrono_literals;
using ::testing::HasSubstr;

const std::string kCatalog = LOOKOUT_TESTDATA "/catalog/fixed";

// The WordPress.org plugins/themes info API (1.2) as a local receiver: the real reply's shape
// (trimmed), the latest version per slug from `latest_`, and the real error object otherwise.
class DirectoryApi {
 public:
  DirectoryApi() {
    api_.set_responder([this](const lookout::testing::ReceivedRequest& req, size_t) {
      const bool theme = req.target.starts_with("/themes/info/1.2/?action=theme_information&");
      const bool plugin = req.target.starts_with("/plugins/info/1.2/?action=plugin_information&");
      const std::string key = "request%5Bslug%5D=";
      size_t at = req.target.find(key);
      if ((!theme && !plugin) || at == std::string::npos)
        return lookout::testing::Answer{400, "{\"error\":\"Action not implemented\"}", "application/json"};
      std::string slug = req.target.substr(at + key.size());
      slug = slug.substr(0, slug.find('&'));
      std::lock_guard lock(mutex_);
      auto it = latest_.find(slug);
      if (it == latest_.end())
        return lookout::testing::Answer{
            404, theme ? "{\"error\":\"Theme not found\"}" : "{\"error\":\"Plugin not found.\"}",
            "application/json"};
      nlohmann::json j = {{"name", slug},
                          {"slug", slug},
                          {"version", it->second},
                          {"requires", "6.6"},
                          {"tested", "6.8.1"},
                          {"requires_php", "7.4"},
                          {"last_updated", "2025-04-14 3:26am GMT"},
                          {"download_link", "https://downloads.wordpress.org/" +
                                                std::string(theme ? "theme/" : "plugin/") + slug +
                                                "." + it->second + ".zip"}};
      return lookout::testing::Answer{200, j.dump(), "application/json"};
    });
  }
  std::string url() const { return api_.url(""); }
  void set_latest(std::map<std::string, std::string> latest) {
    std::lock_guard lock(mutex_);
    latest_ = std::move(latest);
  }
  size_t requests() const { return api_.count(); }

 private:
  lookout::testing::HttpReceiver api_;
  std::mutex mutex_;
  std::map<std::string, std::string> latest_ = {{"contact-form-7", "6.0.6"}, {"twentytwentyfive", "1.3"}};
};

DirectoryApi& directory_api() {
  static DirectoryApi api;
  return api;
}

class PatchProbeTest : public lookout::testing::EstateSuite {
 protected:
  static std::string site(const std::string& name) { return estate_->endpoint(name) + "/"; }

  static Result check(const std::string& target,
                      std::map<std::string, std::vector<std::string>> options = {}) {
    agent::OneShotRequest req;
    req.type = "patch";
    req.target = target;
    if (!options.count("catalog")) options["catalog"] = {kCatalog};
    if (!options.count("directory_api")) options["directory_api"] = {directory_api().url()};
    req.options = std::move(options);
    req.timeout = 10s;
    auto outcome = agent::run_one_check(req);
    EXPECT_TRUE(outcome.valid) << outcome.errors.to_string();
    return outcome.result;
  }

  /// Runs the probe with a History that survives between runs (the agent's store in real life).
  static Result run_with_history(const std::string& target, History& history,
                                 const std::string& check_id = "patch") {
    const ProbeKind* kind = find_probe_kind("patch");
    CheckSpec spec;
    spec.client_id = "acme";
    spec.site_id = "blog";
    spec.check_id = check_id;
    spec.type = "patch";
    spec.site_url = target;
    YAML::Node layer(YAML::NodeType::Map);
    layer["catalog"] = kCatalog;
    layer["directory_api"] = directory_api().url();
    config::OptionMap options;
    options.add_layer(layer, "checks[0]");
    config::Errors errors;
    auto probe = kind->build(spec, options, errors);
    EXPECT_TRUE(errors.empty()) << errors.to_string();
    boost::asio::io_context io;
    net::Resolver resolver(io.get_executor(), {});
    net::TlsContexts tls;
    auto ctx = std::make_shared<ProbeContext>(
        ProbeContext{io.get_executor(), resolver, tls, spec, std::chrono::steady_clock::now() + 10s,
                     &history});
    Result out;
    boost::asio::co_spawn(io, agent::run_check(probe, ctx),
                          [&](std::exception_ptr, Result r) { out = std::move(r); });
    io.run();
    return out;
  }

};

struct Expect {
  const char* site;
  const char* product;  // nullptr: none
  const char* version;
  const char* status;
  Status nagios;
};

TEST_F(PatchProbeTest, EstateSitesGetTheRightVerdict) {
  const Expect cases[] = {
      {"cms_wordpress_current", "wordpress", "6.9.1", "current", Status::ok},
      {"cms_wordpress_outdated", "wordpress", "6.9", "outdated", Status::warning},
      {"cms_wordpress_insecure", "wordpress", "6.8.1", "insecure", Status::critical},
      {"cms_wordpress_hidden", "wordpress", "6.8.3", "outdated", Status::warning},
      {"cms_drupal7", "drupal", "7.103", "insecure", Status::critical},
      // Non-aggregated core JS gives the exact version (10.3 is past its support).
      {"cms_drupal10", "drupal", "10.3.6", "insecure", Status::critical},
      {"cms_drupal10_aggregated", "drupal", "10", "unknown", Status::unknown},
      {"cms_joomla", "joomla", "5.4.0", "outdated", Status::warning},
      {"cms_magento", "magento", "2.4", "unknown", Status::unknown},
      {"cms_ckan", "ckan", "2.10.8", "outdated", Status::warning},
      {"cms_expressionengine", "expressionengine", nullptr, "unknown", Status::unknown},
      {"cms_plain", nullptr, nullptr, "unknown", Status::unknown},
      {"cms_disagree", "wordpress", "6.8.1", "insecure", Status::critical},
      {"cms_broken_html", "wordpress", "6.9.1", "current", Status::ok},
      {"cms_deep_html", "wordpress", "6.9.1", "current", Status::ok},
      {"cms_enormous_html", nullptr, nullptr, "unknown", Status::unknown},
  };
  for (const auto& c : cases) {
    Result r = check(site(c.site));
    SCOPED_TRACE(std::string(c.site) + ": " + r.summary);
    EXPECT_EQ(r.status, c.nagios);
    EXPECT_EQ(r.failure, FailureKind::none);
    if (c.product) {
      EXPECT_EQ(r.facts["product"], c.product);
    } else {
      EXPECT_TRUE(r.facts["product"].is_null());
    }
    if (c.version) {
      EXPECT_EQ(r.facts["version"], c.version);
    } else {
      EXPECT_TRUE(r.facts["version"].is_null());
    }
    EXPECT_EQ(r.facts["status"], c.status);
    EXPECT_LE(r.facts["requests"].get<int>(), 6);  // polite: a handful of GETs
  }
}

// Plugins and themes: each with the marker that gave its version and the directory's latest;
// an outdated one makes a current core outdated and is named in the summary.
TEST_F(PatchProbeTest, PluginsAndThemesAgainstTheDirectory) {
  DirectoryCache::instance().clear();
  directory_api().set_latest({{"contact-form-7", "6.1.2"}, {"twentytwentyfive", "1.3"}});
  Result r = check(site("cms_wordpress_current"));
  EXPECT_EQ(r.status, Status::warning) << r.summary;
  EXPECT_EQ(r.facts["status"], "outdated");
  EXPECT_THAT(r.summary, HasSubstr("WordPress 6.9.1: current"));
  EXPECT_THAT(r.summary, HasSubstr("; 1 plugin outdated: contact-form-7 6.0.6 (latest 6.1.2)"));
  ASSERT_EQ(r.facts["components"].size(), 2u) << r.facts["components"].dump();
  const auto& cf7 = r.facts["components"][0];
  EXPECT_EQ(cf7["kind"], "plugin");
  EXPECT_EQ(cf7["slug"], "contact-form-7");
  EXPECT_EQ(cf7["version"], "6.0.6");
  EXPECT_EQ(cf7["version_from"], "asset_ver");
  EXPECT_EQ(cf7["certainty"], "probable");
  EXPECT_EQ(cf7["latest"], "6.1.2");
  EXPECT_EQ(cf7["status"], "outdated");
  const auto& theme = r.facts["components"][1];
  EXPECT_EQ(theme["kind"], "theme");
  EXPECT_EQ(theme["version_from"], "style_css");  // the header read from style.css
  EXPECT_EQ(theme["certainty"], "installed");
  EXPECT_EQ(theme["status"], "current");
  std::map<std::string, double> counts;
  for (const auto& s : r.samples)
    if (s.name == "lookout_patch_components") counts[s.labels.at(0).second] = s.value;
  EXPECT_EQ(counts["outdated"], 1);
  EXPECT_EQ(counts["current"], 1);
  EXPECT_EQ(counts["unknown"], 0);

  // Cached: the second run asks the directory nothing.
  size_t asked = directory_api().requests();
  check(site("cms_wordpress_current"));
  EXPECT_EQ(directory_api().requests(), asked);
  // A catalogue refresh drops the cache.
  Catalog::bump_generation();
  check(site("cms_wordpress_current"));
  EXPECT_EQ(directory_api().requests(), asked + 2);

  // An insecure core stays insecure; an unknown slug is unknown with the directory's word.
  DirectoryCache::instance().clear();
  directory_api().set_latest({{"twentytwentyfive", "1.3"}});
  Result insecure = check(site("cms_wordpress_insecure"));
  EXPECT_EQ(insecure.status, Status::critical) << insecure.summary;
  EXPECT_EQ(insecure.facts["components"][0]["status"], "unknown");
  EXPECT_THAT(insecure.facts["components"][0]["reason"].get<std::string>(),
              HasSubstr("not in the WordPress.org directory (Plugin not found.)"));

  // components: false turns the pass off.
  Result off = check(site("cms_wordpress_current"), {{"components", {"false"}}});
  EXPECT_FALSE(off.facts.contains("components"));
  directory_api().set_latest({{"contact-form-7", "6.0.6"}, {"twentytwentyfive", "1.3"}});
  DirectoryCache::instance().clear();
}

TEST(DirectoryInfoTest, ParsesTheRealShapeAndRefusesTheRest) {
  auto ok = parse_directory_info(R"({"name":"Contact Form 7","slug":"contact-form-7","version":"6.0.6","requires":"6.6","tags":{"contact":"contact"}})");
  EXPECT_EQ(ok.latest, "6.0.6");
  EXPECT_EQ(parse_directory_info(R"({"error":"Plugin not found."})").error,
            "not in the WordPress.org directory (Plugin not found.)");
  EXPECT_FALSE(parse_directory_info("<html>").latest);
  EXPECT_FALSE(parse_directory_info(R"({"version":7})").latest);
  EXPECT_FALSE(parse_directory_info(R"({"version":")" + std::string(10240, '1') + R"("})").latest);
  EXPECT_FALSE(parse_directory_info(R"({"version":"ÿþ"})").latest);
  EXPECT_EQ(directory_info_url("https://api.wordpress.org/", "plugin", "akismet"),
            "https://api.wordpress.org/plugins/info/1.2/?action=plugin_information"
            "&request%5Bslug%5D=akismet&request%5Bfields%5D%5Bsections%5D=0");
}

// catalog.max_age: a verdict on release data older than that says so (the fixed catalogue's
// WordPress data is of 2026-02-03, long before any day these tests run).
TEST_F(PatchProbeTest, VerdictOnStaleReleaseDataSaysSo) {
  set_catalog_max_age(std::chrono::days(7));
  Result r = check(site("cms_wordpress_current"));
  EXPECT_EQ(r.status, Status::ok) << r.summary;
  EXPECT_THAT(r.summary, ::testing::MatchesRegex(
                             "WordPress 6.9.1: current - .* \\(release data of 2026-02-03 is "
                             "[0-9]+ days old, older than catalog.max_age 7d\\)"));
  EXPECT_EQ(r.facts["catalog_stale"], true);
  set_catalog_max_age(std::chrono::days(36500));
  Result fresh = check(site("cms_wordpress_current"));
  EXPECT_THAT(fresh.summary, ::testing::Not(HasSubstr("release data of")));
  EXPECT_FALSE(fresh.facts.contains("catalog_stale"));
  set_catalog_max_age(std::chrono::days(7));
}

TEST_F(PatchProbeTest, JsonContractAndMetrics) {
  Result r = check(site("cms_wordpress_insecure"));
  const auto& f = r.facts;
  for (const char* key : {"product", "version", "markers", "status", "confidence", "latest",
                          "latest_security"})
    EXPECT_TRUE(f.contains(key)) << key;
  EXPECT_EQ(f["latest"], "6.9.1");
  EXPECT_EQ(f["latest_security"], "6.8.3");
  EXPECT_EQ(f["confidence"], 100);
  ASSERT_TRUE(f["markers"].is_array());
  std::set<std::string> kinds;
  for (const auto& m : f["markers"]) {
    for (const char* key : {"marker", "product", "version", "url"}) EXPECT_TRUE(m.contains(key));
    kinds.insert(m["marker"].get<std::string>());
    if (!m["version"].is_null()) {
      EXPECT_EQ(m["version"], "6.8.1");
    }
  }
  for (const char* k : {"meta_generator", "rss_generator", "asset_ver", "wp_paths"})
    EXPECT_TRUE(kinds.count(k)) << k;
  EXPECT_THAT(r.summary, HasSubstr("6.8.3"));

  auto j = agent::oneshot_json(r, "patch", site("cms_wordpress_insecure"));
  EXPECT_EQ(j["status"], "insecure");
  EXPECT_EQ(j["check_status"], "critical");
  EXPECT_EQ(j["product"], "wordpress");

  bool status_sample = false;
  for (const auto& s : r.samples)
    if (s.name == "lookout_patch_status") {
      status_sample = true;
      EXPECT_EQ(s.value, 2);
      EXPECT_EQ(s.labels, (std::vector<std::pair<std::string, std::string>>{
                              {"product", "wordpress"}, {"version", "6.8.1"}}));
    }
  EXPECT_TRUE(status_sample);

  Result d = check(site("cms_disagree"));
  ASSERT_EQ(d.facts["disagreeing_markers"].size(), 1u);
  EXPECT_EQ(d.facts["disagreeing_markers"][0]["version"], "6.9.1");
  EXPECT_THAT(d.summary, HasSubstr("markers disagree"));
}

TEST_F(PatchProbeTest, OptionsLimitTheRequests) {
  // Explicit paths replace the automatic plan.
  Result r = check(site("cms_wordpress_hidden"), {{"paths", {"/feed/"}}});
  EXPECT_EQ(r.facts["requests"], 2);
  EXPECT_EQ(r.facts["version"], "6.8.3");
  // One request: the home page only, which hides the version.
  r = check(site("cms_wordpress_hidden"), {{"max_requests", {"1"}}});
  EXPECT_EQ(r.facts["requests"], 1);
  EXPECT_EQ(r.facts["status"], "unknown");
  EXPECT_THAT(r.summary, HasSubstr("not revealed"));
  // A product hint: WordPress markers are ignored when only Drupal is looked for.
  r = check(site("cms_wordpress_current"), {{"product", {"drupal"}}});
  EXPECT_TRUE(r.facts["product"].is_null());
}

TEST_F(PatchProbeTest, UnreachableSiteIsUnknownWithTheCause) {
  Result r = check("http://127.0.0.1:1/");
  EXPECT_EQ(r.status, Status::unknown);
  EXPECT_EQ(r.failure, FailureKind::connect);
  EXPECT_EQ(r.facts["status"], "unknown");
  EXPECT_THAT(r.summary, HasSubstr("cannot read"));
}

// WordPress below /blog/ links its feed as /blog/feed/; that path is the site's, not one to put
// below /blog/ again (it became /blog/blog/feed/, a 404, and the only version marker was lost).
TEST_F(PatchProbeTest, FeedOfACmsInASubdirectory) {
  Result r = check(site("cms_wordpress_subdir") + "blog/");
  EXPECT_EQ(r.facts["product"], "wordpress") << r.summary;
  EXPECT_EQ(r.facts["version"], "6.8.1") << r.summary;
  bool feed_seen = false;
  for (const auto& m : r.facts["markers"])
    if (m["marker"] == "rss_generator") {
      feed_seen = true;
      EXPECT_EQ(m["url"], site("cms_wordpress_subdir") + "blog/feed/");
    }
  EXPECT_TRUE(feed_seen) << r.facts["markers"].dump();
}

// A home page that answers 503 or 403 (maintenance, a WAF) explains why nothing was found.
TEST_F(PatchProbeTest, ErrorHomePageIsNamedInTheSummary) {
  Result r = check(estate_->endpoint("http") + "/status/503");
  EXPECT_EQ(r.status, Status::unknown);
  EXPECT_THAT(r.summary, HasSubstr("no CMS recognised"));
  EXPECT_THAT(r.summary, HasSubstr("HTTP 503"));
  Result ok = check(estate_->endpoint("http") + "/ok");
  EXPECT_THAT(ok.summary, ::testing::Not(HasSubstr("HTTP 200")));
}

TEST_F(PatchProbeTest, BadOptionsAreConfigErrors) {
  auto errors_for = [](std::map<std::string, std::vector<std::string>> options,
                       std::string target = "http://127.0.0.1:9/") {
    agent::OneShotRequest req;
    req.type = "patch";
    req.target = std::move(target);
    req.options = std::move(options);
    auto outcome = agent::run_one_check(req);
    EXPECT_FALSE(outcome.valid);
    return outcome.errors.to_string();
  };
  EXPECT_THAT(errors_for({{"product", {"typo3"}}}), HasSubstr("unknown product 'typo3'"));
  EXPECT_THAT(errors_for({{"paths", {"feed"}}}), HasSubstr("not a path on the site"));
  EXPECT_THAT(errors_for({{"max_requests", {"50"}}}), HasSubstr("max_requests"));
  std::string bad = errors_for({{"catalog", {LOOKOUT_TESTDATA "/catalog/invalid/bad-values.json"}}});
  EXPECT_THAT(bad, HasSubstr("bad-values.json:4:"));
  EXPECT_THAT(bad, HasSubstr("as_of: expected a date"));
  EXPECT_THAT(errors_for({{"catalog", {"/nonexistent/catalog"}}}), HasSubstr("no such file"));
  EXPECT_THAT(errors_for({}, "not a url"), HasSubstr("bad URL"));
}

TEST_F(PatchProbeTest, HistoryRecordsExposureAndRecovery) {
  MemoryHistory history;
  const std::string key = "acme/blog/patch";
  // Outdated for three days already (as the store would have it).
  auto three_days_ago = std::chrono::system_clock::now() - 72h;
  std::string then = net::iso8601_utc(
      std::chrono::duration_cast<std::chrono::seconds>(three_days_ago.time_since_epoch()).count());
  history.set_fact(key, kPatchOutdatedSince, then);

  Result r = run_with_history(site("cms_wordpress_insecure"), history);
  EXPECT_EQ(r.facts["status"], "insecure");
  EXPECT_EQ(history.get_fact(key, kPatchOutdatedSince), then);  // first exposure kept
  ASSERT_TRUE(history.get_fact(key, kPatchInsecureSince));
  EXPECT_NEAR(r.facts["days_exposed"].get<double>(), 3.0, 0.05);
  bool days_sample = false;
  for (const auto& s : r.samples)
    if (s.name == "lookout_patch_days_exposed") {
      days_sample = true;
      EXPECT_NEAR(s.value, 3.0, 0.05);
    }
  EXPECT_TRUE(days_sample);

  // The security fix goes in but the site is still behind: insecure ends, exposure goes on.
  r = run_with_history(site("cms_wordpress_hidden"), history);
  EXPECT_EQ(r.facts["status"], "outdated");
  EXPECT_FALSE(history.get_fact(key, kPatchInsecureSince));
  EXPECT_EQ(history.get_fact(key, kPatchOutdatedSince), then);

  // Unknown (site hides everything) changes nothing.
  r = run_with_history(site("cms_plain"), history);
  EXPECT_EQ(history.get_fact(key, kPatchOutdatedSince), then);

  // Current again: the exposure closes and its length is kept for reports.
  r = run_with_history(site("cms_wordpress_current"), history);
  EXPECT_EQ(r.facts["status"], "current");
  EXPECT_FALSE(history.get_fact(key, kPatchOutdatedSince));
  ASSERT_TRUE(history.get_fact(key, kPatchCurrentSince));
  auto last = history.get_fact(key, kPatchLastExposureDays);
  ASSERT_TRUE(last);
  EXPECT_NEAR(std::stod(*last), 3.0, 0.05);
  EXPECT_EQ(r.facts["days_exposed"], 0.0);

  // Another check's facts are its own.
  EXPECT_FALSE(history.get_fact("acme/blog/other", kPatchCurrentSince));
  EXPECT_TRUE(parse_iso_timestamp("2026-11-22T15:04:05Z"));
  EXPECT_FALSE(parse_iso_timestamp("yesterday"));
  EXPECT_FALSE(parse_iso_timestamp("9999-12-31T23:59:59Z"));  // beyond the clock: unreadable, no overflow
}


// The vulnerability feed (Wordfence Intelligence format) from a local receiver that answers only
// with the key sent as documented ("Authorization: Bearer <key>"), like the real v3 API.
class FeedServer {
 public:
  FeedServer() {
    std::ifstream in(LOOKOUT_TESTDATA "/vulnfeed/wordfence-v3-production.json");
    std::stringstream ss;
    ss << in.rdbuf();
    body_ = ss.str();
    rx_.set_responder([this](const lookout::testing::ReceivedRequest& req, size_t) {
      if (req.method != "GET" || req.target != "/api/intelligence/v3/vulnerabilities/production")
        return lookout::testing::Answer{404, "{}", "application/json"};
      if (req.header("authorization") != "Bearer wf-test-key")
        return lookout::testing::Answer{401, "{\"message\":\"Unauthorized\"}", "application/json"};
      std::lock_guard lock(mutex_);
      return lookout::testing::Answer{status_, body_, "application/json"};
    });
  }
  std::string url() const { return rx_.url("/api/intelligence/v3/vulnerabilities/production"); }
  void serve(int status, std::string body) {
    std::lock_guard lock(mutex_);
    status_ = status;
    body_ = std::move(body);
  }
  lookout::testing::HttpReceiver rx_;

 private:
  std::mutex mutex_;
  int status_ = 200;
  std::string body_;
};

class VulnFeedProbeTest : public PatchProbeTest {
 protected:
  /// One run of the patch probe with `feed` as its vulnerability_feed and the clock given.
  static Result run_feed(const std::string& target, YAML::Node feed, const Clock& clock,
                         config::Errors* errors_out = nullptr,
                         std::chrono::milliseconds timeout = 10s) {
    const ProbeKind* kind = find_probe_kind("patch");
    CheckSpec spec;
    spec.client_id = "acme";
    spec.site_id = "blog";
    spec.check_id = "patch";
    spec.type = "patch";
    spec.site_url = target;
    YAML::Node layer(YAML::NodeType::Map);
    layer["catalog"] = kCatalog;
    layer["directory_api"] = directory_api().url();
    layer["vulnerability_feed"] = feed;
    config::OptionMap options;
    options.add_layer(layer, "checks[0]");
    config::Errors errors;
    auto probe = kind->build(spec, options, errors);
    if (errors_out) {
      *errors_out = errors;
      return {};
    }
    EXPECT_TRUE(errors.empty()) << errors.to_string();
    if (!probe) return {};
    boost::asio::io_context io;
    net::Resolver resolver(io.get_executor(), {});
    net::TlsContexts tls;
    History* no_history = nullptr;
    auto ctx = std::make_shared<ProbeContext>(io.get_executor(), resolver, tls, spec,
                                              std::chrono::steady_clock::now() + timeout, no_history,
                                              clock);
    Result out;
    boost::asio::co_spawn(io, agent::run_check(probe, ctx),
                          [&](std::exception_ptr, Result r) { out = std::move(r); });
    io.run();
    return out;
  }
  static YAML::Node feed_node(const std::string& url) {
    YAML::Node n(YAML::NodeType::Map);
    n["url"] = url;
    n["format"] = "wordfence";
    n["token_env"] = "LOOKOUT_TEST_WF_KEY";
    return n;
  }
  void SetUp() override {
    ::setenv("LOOKOUT_TEST_WF_KEY", "wf-test-key", 1);
    VulnFeedCache::instance().clear();
    DirectoryCache::instance().clear();
  }
  void TearDown() override { VulnFeedCache::instance().clear(); }
};

TEST_F(VulnFeedProbeTest, KnownVulnerablePluginIsInsecure) {
  FeedServer feed;
  ManualClock clock;
  Result r = run_feed(site("cms_wordpress_current"), feed_node(feed.url()), clock);
  ASSERT_EQ(feed.rx_.count(), 1u);
  const auto req = feed.rx_.requests()[0];
  EXPECT_EQ(req.method, "GET");
  EXPECT_EQ(req.header("authorization"), "Bearer wf-test-key");  // exactly as documented
  EXPECT_EQ(r.status, Status::critical) << r.summary;
  EXPECT_EQ(r.facts["status"], "insecure");
  EXPECT_THAT(r.summary, HasSubstr("contact-form-7 6.0.6 has a known vulnerability fixed in 6.0.7 "
                                   "(CVE-2099-0001)"));
  EXPECT_THAT(r.summary, HasSubstr("twentytwentyfive 1.3 has a known vulnerability with no fix yet "
                                   "(Twenty Twenty-Five 1.0 - 1.2 - Sample Theme Issue (no known fix))"));
  const auto& cf7 = r.facts["components"][0];
  EXPECT_EQ(cf7["status"], "insecure");
  ASSERT_EQ(cf7["vulnerabilities"].size(), 1u) << cf7.dump();
  EXPECT_EQ(cf7["vulnerabilities"][0]["id"], "7a0c1b6e-3f2d-4c1a-9a51-0c8f2e6b1d01");
  EXPECT_EQ(cf7["vulnerabilities"][0]["fixed_in"], "6.0.7");
  EXPECT_EQ(cf7["vulnerabilities"][0]["cvss"], 9.8);
  EXPECT_EQ(cf7["vulnerabilities"][0]["cve"], "CVE-2099-0001");
  const auto& theme = r.facts["components"][1];
  EXPECT_TRUE(theme["vulnerabilities"][0]["fixed_in"].is_null());
  EXPECT_FALSE(theme["vulnerabilities"][0].contains("cvss"));
  EXPECT_EQ(r.facts["vulnerability_feed"]["status"], "ok");
  EXPECT_EQ(r.facts["vulnerability_feed"]["records"], 3);
  std::map<std::string, double> counts;
  for (const auto& s : r.samples)
    if (s.name == "lookout_patch_components") counts[s.labels.at(0).second] = s.value;
  EXPECT_EQ(counts["insecure"], 2);

  // Cached: the next run within the refresh period downloads nothing.
  clock.advance(1h);
  run_feed(site("cms_wordpress_current"), feed_node(feed.url()), clock);
  EXPECT_EQ(feed.rx_.count(), 1u);

  // A feed that no longer lists the plugin version: after the refresh period, it is current again
  // as far as the feed knows (the directory still says outdated or current).
  feed.serve(200, "{}");
  clock.advance(12h);
  Result after = run_feed(site("cms_wordpress_current"), feed_node(feed.url()), clock);
  EXPECT_EQ(feed.rx_.count(), 2u);
  EXPECT_EQ(after.facts["components"][0]["status"], "current") << after.summary;
  EXPECT_EQ(after.facts["components"][0]["vulnerabilities"].size(), 0u);
  EXPECT_EQ(after.status, Status::ok) << after.summary;
}

// The issue's rule "a known-vulnerable plugin version -> insecure (P2), an outdated one ->
// outdated": the probe's real results, confirmed by the real AlertingService with the default
// priorities (docs/alerting.md "Priorities"), open at P2 (a vulnerable plugin on a current core,
// as an insecure core) and P3 (an outdated plugin).
TEST_F(VulnFeedProbeTest, VulnerablePluginOpensAtP2AndOutdatedPluginAtP3) {
  FeedServer feed;
  ManualClock clock;
  Result vulnerable = run_feed(site("cms_wordpress_current"), feed_node(feed.url()), clock);
  ASSERT_EQ(vulnerable.facts["status"], "insecure") << vulnerable.summary;
  EXPECT_THAT(vulnerable.summary, HasSubstr("WordPress 6.9.1: current"));  // the core is fine
  feed.serve(200, "{}");  // the feed lists nothing; the directory knows a newer contact-form-7
  clock.advance(13h);
  directory_api().set_latest({{"contact-form-7", "6.1.2"}, {"twentytwentyfive", "1.3"}});
  DirectoryCache::instance().clear();
  Result outdated = run_feed(site("cms_wordpress_current"), feed_node(feed.url()), clock);
  ASSERT_EQ(outdated.facts["status"], "outdated") << outdated.summary;
  directory_api().set_latest({{"contact-form-7", "6.0.6"}, {"twentytwentyfive", "1.3"}});
  DirectoryCache::instance().clear();
  Result core = check(site("cms_wordpress_insecure"));
  ASSERT_EQ(core.facts["status"], "insecure") << core.summary;

  lookout::testing::ServiceHarness h(lookout::testing::utc(2026, 12, 7, 10, 0));
  h.load(R"(
clients:
  - id: acme
    contract: {coverage: 24x7}
    sites:
      - {id: vuln, url: "http://www.example.com/", checks: [{type: patch}]}
      - {id: old, url: "http://www.example.com/", checks: [{type: patch}]}
      - {id: core, url: "http://www.example.com/", checks: [{type: patch}]}
)");
  h.start();
  auto confirm = [&](const std::string& key, const Result& r) {
    const auto& c = h.check(key);
    for (int i = 0; i < 2; ++i) {  // failure_threshold 2
      h.svc->on_result(c.spec, c.tags, r);
      h.clock.advance(30s);
    }
    return h.incident(key);
  };
  auto vuln = confirm("acme/vuln/patch", vulnerable);
  EXPECT_EQ(vuln["state"], "open");
  EXPECT_EQ(vuln["severity"], "critical");
  EXPECT_EQ(vuln["priority"], "P2");
  EXPECT_THAT(vuln["summary"].get<std::string>(),
              HasSubstr("contact-form-7 6.0.6 has a known vulnerability fixed in 6.0.7"));
  auto old = confirm("acme/old/patch", outdated);
  EXPECT_EQ(old["severity"], "warning");
  EXPECT_EQ(old["priority"], "P3");
  EXPECT_THAT(old["summary"].get<std::string>(), HasSubstr("contact-form-7 6.0.6 (latest 6.1.2)"));
  auto insecure_core = confirm("acme/core/patch", core);
  EXPECT_EQ(insecure_core["priority"], "P2");  // unchanged: an insecure core is P2 as well
}

TEST_F(VulnFeedProbeTest, FeedDownOrGarbageKeepsTheLastGoodData) {
  FeedServer feed;
  ManualClock clock;
  Result first = run_feed(site("cms_wordpress_current"), feed_node(feed.url()), clock);
  ASSERT_EQ(first.facts["components"][0]["status"], "insecure") << first.summary;

  // Garbage after the refresh period: the last good data is kept, and the failure is told.
  feed.serve(200, "<html>maintenance</html>");
  clock.advance(13h);
  Result garbage = run_feed(site("cms_wordpress_current"), feed_node(feed.url()), clock);
  EXPECT_EQ(feed.rx_.count(), 2u);
  EXPECT_EQ(garbage.facts["components"][0]["status"], "insecure") << garbage.summary;
  EXPECT_EQ(garbage.facts["vulnerability_feed"]["status"], "ok");
  EXPECT_THAT(garbage.facts["vulnerability_feed"]["reason"].get<std::string>(),
              HasSubstr("last good data kept: feed is not a JSON object"));
  // The failure is not retried before 30 minutes (Wordfence's rate limit).
  clock.advance(10min);
  run_feed(site("cms_wordpress_current"), feed_node(feed.url()), clock);
  EXPECT_EQ(feed.rx_.count(), 2u);
  // Feed down (HTTP 500) later: still the last good data.
  feed.serve(500, "oops");
  clock.advance(31min);
  Result down = run_feed(site("cms_wordpress_current"), feed_node(feed.url()), clock);
  EXPECT_EQ(feed.rx_.count(), 3u);
  EXPECT_EQ(down.facts["components"][0]["status"], "insecure");
  EXPECT_THAT(down.facts["vulnerability_feed"]["reason"].get<std::string>(), HasSubstr("HTTP 500"));
}

TEST_F(VulnFeedProbeTest, NoGoodDataIsUnknownWithReasonAndTheRestStands) {
  FeedServer feed;
  ManualClock clock;
  // A wrong key: the feed refuses; nothing known yet, so the vulnerability part is unknown.
  ::setenv("LOOKOUT_TEST_WF_KEY", "wrong", 1);
  Result r = run_feed(site("cms_wordpress_current"), feed_node(feed.url()), clock);
  EXPECT_EQ(feed.rx_.requests()[0].header("authorization"), "Bearer wrong");
  EXPECT_EQ(r.facts["vulnerability_feed"]["status"], "unknown");
  EXPECT_THAT(r.summary, HasSubstr("(vulnerability feed unavailable: the feed refused the API key (HTTP 401))"));
  EXPECT_TRUE(r.facts["components"][0]["vulnerabilities"].is_null());
  // The core and directory verdicts still stand: WordPress current, plugin current.
  EXPECT_EQ(r.facts["status"], "current");
  EXPECT_EQ(r.status, Status::ok) << r.summary;

  // A changed schema: unknown with the parser's reason.
  VulnFeedCache::instance().clear();
  ::setenv("LOOKOUT_TEST_WF_KEY", "wf-test-key", 1);
  feed.serve(200, R"({"a":{"name":"x","products":[]}})");
  Result changed = run_feed(site("cms_wordpress_current"), feed_node(feed.url()), clock);
  EXPECT_THAT(changed.facts["vulnerability_feed"]["reason"].get<std::string>(),
              HasSubstr("has the format changed?"));
  EXPECT_EQ(changed.facts["status"], "current");
}

// The issue's "Bad input": a feed bigger than max_bytes (a 1 GB feed is cut the same way, at
// the default 256 MiB) and one that never ends. The download stops at the limit or at the
// check's deadline; the vulnerability part is unknown with the reason; the rest stands.
TEST_F(VulnFeedProbeTest, HugeOrEndlessFeedIsCutAndTheRestStands) {
  FeedServer feed;
  feed.serve(200, "{\"x\":" + std::string(2u << 20, ' ') + "{}}");
  ManualClock clock;
  auto node = feed_node(feed.url());
  node["max_bytes"] = "1048576";
  Result big = run_feed(site("cms_wordpress_current"), node, clock);
  EXPECT_EQ(big.facts["vulnerability_feed"]["status"], "unknown");
  EXPECT_THAT(big.facts["vulnerability_feed"]["reason"].get<std::string>(),
              HasSubstr("feed larger than max_bytes (1048576)"));
  EXPECT_EQ(big.facts["status"], "current") << big.summary;
  EXPECT_EQ(big.status, Status::ok) << big.summary;

  VulnFeedCache::instance().clear();
  lookout::testing::EndlessHttp endless;
  const auto t0 = std::chrono::steady_clock::now();
  Result never = run_feed(site("cms_wordpress_current"),
                          feed_node(endless.url("/api/intelligence/v3/vulnerabilities/production")),
                          clock, nullptr, 3s);
  EXPECT_LT(std::chrono::steady_clock::now() - t0, 15s);
  EXPECT_EQ(endless.accepted(), 1);
  EXPECT_EQ(never.facts["vulnerability_feed"]["status"], "unknown") << never.summary;
  EXPECT_EQ(never.facts["status"], "current") << never.summary;  // the core verdict stands
  EXPECT_THAT(never.facts["vulnerability_feed"]["reason"].get<std::string>(),
              HasSubstr("download failed"));
}

TEST_F(VulnFeedProbeTest, ConfigErrors) {
  ManualClock clock;
  auto errors_for = [&](YAML::Node n) {
    config::Errors e;
    run_feed(site("cms_wordpress_current"), n, clock, &e);
    return e.to_string();
  };
  YAML::Node n = feed_node("http://127.0.0.1:1/feed");
  n["token_env"] = "LOOKOUT_TEST_UNSET_VARIABLE";
  ::unsetenv("LOOKOUT_TEST_UNSET_VARIABLE");
  EXPECT_THAT(errors_for(n), HasSubstr("environment variable LOOKOUT_TEST_UNSET_VARIABLE is not set"));
  EXPECT_THAT(errors_for(n), HasSubstr("vulnerability_feed"));
  n = feed_node("http://127.0.0.1:1/feed");
  n["format"] = "wpscan";
  EXPECT_THAT(errors_for(n), HasSubstr("unknown format 'wpscan'"));
  n = feed_node("http://127.0.0.1:1/feed");
  n["token"] = "secret";
  EXPECT_THAT(errors_for(n), HasSubstr("put the API key in token_env or token_file"));
  n = feed_node("http://127.0.0.1:1/feed");
  n["token_file"] = "/nonexistent/key";
  EXPECT_THAT(errors_for(n), HasSubstr("exactly one of token_env and token_file"));
  n = feed_node("http://127.0.0.1:1/feed");
  n.remove("token_env");
  n["token_file"] = "/nonexistent/key";
  EXPECT_THAT(errors_for(n), HasSubstr("cannot read an API key from /nonexistent/key"));
  n = feed_node("http://127.0.0.1:1/feed");
  n["refresh"] = "5m";
  EXPECT_THAT(errors_for(n), HasSubstr("at least 30m"));
  EXPECT_EQ(errors_for(feed_node("http://127.0.0.1:1/feed")), "");
}

}  // namespace
}  // namespace lookout::probes
