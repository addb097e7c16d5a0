// The domain probe against the estate's RDAP responder (tests/estate/rdap.cc).
#include "probes/domain_probe.h"

#include <filesystem>
#include <fstream>

#include <boost/asio/co_spawn.hpp>
#include <boost/asio/io_context.hpp>
#include <gtest/gtest.h>

#include "probes/history.h"
#include "net/resolver.h"
#include "net/tls_context.h"
#include "tests/estate/estate.h"
#include "tests/support/estate_fixture.h"
#include "tests/support/temp_dir.h"
#include "probes/rdap.h"
#include <cstdlib>
#include <nlohmann/json.hpp>

namespace lookout::probes {
namespace {

namespace asio = boost::asio;
using namespace std::chrono_literals;

class DomainProbeTest : public lookout::testing::EstateSuite {
 protected:
  struct Built {
    ProbePtr probe;
    config::Errors errors;
    CheckSpec spec;
  };

  static Built build(const std::string& target, std::map<std::string, std::string> options,
                     std::string site_url = "") {
    Built b;
    b.spec.client_id = "c";
    b.spec.site_id = "s";
    b.spec.check_id = "domain";
    b.spec.type = "domain";
    b.spec.target = target;
    b.spec.site_url = std::move(site_url);
    YAML::Node layer(YAML::NodeType::Map);
    for (const auto& [k, v] : options) layer[k] = v;
    config::OptionMap opts;
    opts.add_layer(layer, "checks[0]");
    b.probe = domain_probe_kind().build(b.spec, opts, b.errors);
    opts.report_unknown(b.errors);
    return b;
  }

  static Result run(const std::string& domain, std::map<std::string, std::string> options = {},
                    std::chrono::milliseconds timeout = 5s) {
    // "bundled" (not an option of the check) marks a run on the bundled bootstrap.
    if (options.erase("bundled") == 0 && !options.count("rdap_url") &&
        !options.count("bootstrap_file"))
      options["rdap_url"] = estate_->endpoint("rdap");
    Built b = build(domain, std::move(options));
    EXPECT_TRUE(b.probe) << b.errors.to_string();
    if (!b.probe) return {};
    b.spec.timeout = timeout;
    asio::io_context io;
    net::Resolver resolver(io.get_executor(), net::ResolverOptions{});
    net::TlsContexts tls;
    MemoryHistory history;
    ProbeContext ctx{io.get_executor(), resolver, tls, b.spec,
                     std::chrono::steady_clock::now() + timeout, &history};
    Result result;
    asio::co_spawn(io, b.probe->run(ctx), [&](std::exception_ptr e, Result r) {
      if (e) ADD_FAILURE() << "probe threw";
      result = std::move(r);
    });
    io.run();
    return result;
  }

};


double sample(const Result& r, const std::string& name) {
  for (const auto& s : r.samples)
    if (s.name == name) return s.value;
  return -1;
}

TEST_F(DomainProbeTest, ValidDomainIsOkWithFacts) {
  Result r = run("valid.test");
  EXPECT_EQ(r.status, Status::ok) << r.summary;
  EXPECT_EQ(r.failure, FailureKind::none);
  EXPECT_EQ(r.facts["days_left"], 400);
  EXPECT_EQ(r.facts["registrar"], "Estate Registrar, Inc.");
  EXPECT_EQ(r.facts["status"], nlohmann::json({"client transfer prohibited",
                                                "client update prohibited"}));
  ASSERT_TRUE(r.facts["expires"].is_string());
  EXPECT_EQ(r.facts["expires"].get<std::string>().size(), 20u);  // 2027-12-27T15:00:00Z
  double expires = sample(r, "lookout_domain_expiry_timestamp_seconds");
  double expected = std::chrono::duration<double>(
                        (std::chrono::system_clock::now() + 400 * 24h).time_since_epoch())
                        .count();
  EXPECT_NEAR(expires, expected, 24 * 3600);
  EXPECT_NE(r.summary.find("valid.test expires in 400 days"), std::string::npos) << r.summary;
}

TEST_F(DomainProbeTest, ExpiringInTenDaysWarnsByDefault) {
  Result r = run("expiring.test");
  EXPECT_EQ(r.status, Status::warning) << r.summary;
  EXPECT_EQ(r.facts["days_left"], 10);
  EXPECT_NE(r.summary.find("expires in 10 days"), std::string::npos) << r.summary;
}

TEST_F(DomainProbeTest, ThresholdsAreConfigurable) {
  EXPECT_EQ(run("expiring.test", {{"warn_days", "9"}, {"crit_days", "3"}}).status, Status::ok);
  EXPECT_EQ(run("expiring.test", {{"warn_days", "60"}, {"crit_days", "10"}}).status,
            Status::critical);
  EXPECT_EQ(run("critical.test").status, Status::critical);
  EXPECT_EQ(run("critical.test", {{"crit_days", "4"}}).status, Status::warning);
}

TEST_F(DomainProbeTest, ExpiredIsCriticalAndStillReportsTheDate) {
  Result r = run("expired.test");
  EXPECT_EQ(r.status, Status::critical) << r.summary;
  EXPECT_EQ(r.facts["days_left"], -3);
  EXPECT_GT(sample(r, "lookout_domain_expiry_timestamp_seconds"), 0);
  EXPECT_NE(r.summary.find("expired 3 days ago"), std::string::npos) << r.summary;
}

TEST_F(DomainProbeTest, HoldStatusIsCritical) {
  Result r = run("hold.test");
  EXPECT_EQ(r.status, Status::critical) << r.summary;
  EXPECT_NE(r.summary.find("server hold"), std::string::npos) << r.summary;
  Result epp = run("eppstatus.test");
  EXPECT_EQ(epp.status, Status::critical) << epp.summary;
  EXPECT_NE(epp.summary.find("clientHold"), std::string::npos) << epp.summary;
}

TEST_F(DomainProbeTest, NoExpirationDateIsUnknown) {
  Result r = run("noexpiry.test");
  EXPECT_EQ(r.status, Status::unknown) << r.summary;
  EXPECT_TRUE(r.facts["days_left"].is_null());
  EXPECT_EQ(r.facts["registrar"], "Estate Registrar, Inc.");
}

TEST_F(DomainProbeTest, NotFoundIsCritical) {
  Result r = run("unregistered.test");
  EXPECT_EQ(r.status, Status::critical) << r.summary;
  EXPECT_EQ(r.failure, FailureKind::http_status);
  EXPECT_NE(r.summary.find("not registered"), std::string::npos) << r.summary;
}

TEST_F(DomainProbeTest, FollowsRegistryRedirect) {
  Result r = run("moved.test");
  EXPECT_EQ(r.status, Status::ok) << r.summary;
  EXPECT_NE(r.facts["rdap_url"].get<std::string>().find("/domain/valid.test"), std::string::npos);
}

TEST_F(DomainProbeTest, NonJsonReplyIsUnknown) {
  Result r = run("garbage.test");
  EXPECT_EQ(r.status, Status::unknown) << r.summary;
  EXPECT_EQ(r.failure, FailureKind::protocol);
  EXPECT_NE(r.summary.find("not JSON"), std::string::npos) << r.summary;
  EXPECT_NE(r.summary.find("text/html"), std::string::npos) << r.summary;
}

TEST_F(DomainProbeTest, HugeReplyIsCutAndUnknown) {
  Result r = run("huge.test");
  EXPECT_EQ(r.status, Status::unknown) << r.summary;
  EXPECT_EQ(r.failure, FailureKind::protocol);
  EXPECT_NE(r.summary.find("larger than 2 MiB"), std::string::npos) << r.summary;
}

TEST_F(DomainProbeTest, SlowRegistryTimesOut) {
  auto t0 = std::chrono::steady_clock::now();
  Result r = run("slow.test", {}, 300ms);
  EXPECT_EQ(r.status, Status::unknown) << r.summary;
  EXPECT_EQ(r.failure, FailureKind::timeout);
  EXPECT_LT(std::chrono::steady_clock::now() - t0, 10s);  // bounded by the deadline, not 20 s
}

TEST_F(DomainProbeTest, HttpsWithTheEstateCa) {
  Result r = run("valid.test", {{"rdap_url", estate_->endpoint("rdap_https")},
                                {"ca_file", estate_->endpoint("ca_file")}});
  EXPECT_EQ(r.status, Status::ok) << r.summary;
  Result untrusted = run("valid.test", {{"rdap_url", estate_->endpoint("rdap_https")}});
  EXPECT_EQ(untrusted.status, Status::unknown) << untrusted.summary;
  EXPECT_EQ(untrusted.failure, FailureKind::tls);
}

TEST_F(DomainProbeTest, BootstrapFilePicksTheRegistry) {
  Result r = run("expiring.test", {{"bootstrap_file", estate_->endpoint("rdap_bootstrap")}});
  EXPECT_EQ(r.status, Status::warning) << r.summary;
  EXPECT_EQ(r.facts["rdap_url"], estate_->endpoint("rdap") + "domain/expiring.test");

  auto b = build("example.com", {{"bootstrap_file", estate_->endpoint("rdap_bootstrap")}});
  EXPECT_FALSE(b.probe);
  EXPECT_NE(b.errors.to_string().find("no RDAP service for example.com"), std::string::npos)
      << b.errors.to_string();
}

// Out of the box: no rdap_url, no bootstrap_file -> the bootstrap in the catalogue directory
// (LOOKOUT_CATALOG_DIR here), looked up at each run; a TLD it does not list says so.
TEST_F(DomainProbeTest, BundledBootstrapNeedsNoConfiguration) {
  lookout::testing::TempDir dir("lookout-domain-bundled");
  std::filesystem::create_directories(dir.path() + "/rdap");
  std::ofstream(dir.path() + "/rdap/dns.json")
      << R"({"description":"RDAP bootstrap file for Domain Name System registrations",)"
      << R"("publication":"2026-11-30T18:00:01Z","version":"1.0","services":[[["test"],[")"
      << estate_->endpoint("rdap") << R"("]]]})";
  setenv("LOOKOUT_CATALOG_DIR", dir.path().c_str(), 1);
  auto b = build("expiring.test", {});
  ASSERT_TRUE(b.probe) << b.errors.to_string();
  Result r = run("expiring.test", {{"bundled", ""}});
  EXPECT_EQ(r.status, Status::warning) << r.summary;
  EXPECT_EQ(r.facts["rdap_url"], estate_->endpoint("rdap") + "domain/expiring.test");

  Result none = run("client.example", {{"bundled", ""}});
  EXPECT_EQ(none.status, Status::unknown);
  EXPECT_EQ(none.summary,
            ".example has no RDAP service in IANA's bootstrap registry (publication "
            "2026-11-30T18:00:01Z): its registry publishes no RDAP, so expiry cannot be read; set "
            "rdap_url if it has a server of its own");
  EXPECT_EQ(none.facts["rdap"], false);

  // A broken bundled file: unknown on our side, naming it.
  std::ofstream(dir.path() + "/rdap/dns.json") << "{not json";
  Result broken = run("expiring.test", {{"bundled", ""}});
  EXPECT_EQ(broken.status, Status::unknown);
  EXPECT_EQ(broken.failure, FailureKind::internal);
  EXPECT_NE(broken.summary.find("/rdap/dns.json"), std::string::npos) << broken.summary;
  unsetenv("LOOKOUT_CATALOG_DIR");
}

// The shipped file is IANA's registry (its publication date and provenance kept) and parses.
TEST(DomainBootstrapFile, ShippedCopyParsesWithItsPublication) {
  std::ifstream in(std::string(LOOKOUT_SOURCE_DIR) + "/config/catalog/rdap/dns.json");
  ASSERT_TRUE(in);
  std::string text((std::istreambuf_iterator<char>(in)), {});
  std::string error;
  auto b = rdap::parse_bootstrap(text, error);
  ASSERT_TRUE(b) << error;
  EXPECT_EQ(b->publication, "2024-04-24T18:00:02Z");
  EXPECT_GT(b->services.size(), 500u);
  EXPECT_EQ(rdap::base_url_for(*b, "client.com"), "https://rdap.verisign.com/com/v1/");
  EXPECT_EQ(rdap::base_url_for(*b, "client.co.uk"), "https://rdap.nominet.uk/uk/");
  EXPECT_FALSE(rdap::base_url_for(*b, "client.example"));
  auto j = nlohmann::json::parse(text);
  EXPECT_NE(j["provenance"].get<std::string>().find("verbatim copy"), std::string::npos);
}

TEST_F(DomainProbeTest, ConfigErrors) {
  auto bad_name = build("not a domain", {{"rdap_url", "https://rdap.test/"}});
  EXPECT_FALSE(bad_name.probe);
  EXPECT_NE(bad_name.errors.to_string().find("is not a domain name"), std::string::npos);

  auto bad_url = build("a.test", {{"rdap_url", "ftp://rdap.test/"}});
  EXPECT_FALSE(bad_url.probe);

  auto bad_days = build("a.test", {{"rdap_url", "https://rdap.test/"}, {"warn_days", "5"},
                                   {"crit_days", "10"}});
  EXPECT_FALSE(bad_days.probe);

  auto missing = build("a.test", {{"bootstrap_file", "/nonexistent/dns.json"}});
  EXPECT_FALSE(missing.probe);
  EXPECT_NE(missing.errors.to_string().find("/nonexistent/dns.json"), std::string::npos);

  auto device = build("a.test", {{"bootstrap_file", "/dev/zero"}});  // never read endlessly
  EXPECT_FALSE(device.probe);
  EXPECT_NE(device.errors.to_string().find("not a regular file"), std::string::npos);

  auto unknown_key = build("a.test", {{"rdap_url", "https://rdap.test/"}, {"warn_dayz", "5"}});
  EXPECT_FALSE(unknown_key.errors.empty());
}

TEST_F(DomainProbeTest, TargetDefaultsToTheSiteDomain) {
  auto b = build("", {{"rdap_url", "https://rdap.test/v1/"}}, "https://www.shop.test/cart");
  ASSERT_TRUE(b.probe) << b.errors.to_string();
  EXPECT_EQ(b.spec.target, "shop.test");
  EXPECT_EQ(b.probe->host_key(), "rdap.test");
  // Registries hold registered domains: any subdomain is asked as its registered domain
  // (Public Suffix List), or the registry answers 404 and a live domain reads "not registered".
  auto shop = build("", {{"rdap_url", "https://rdap.test/v1/"}}, "https://shop.client.co.uk/");
  ASSERT_TRUE(shop.probe) << shop.errors.to_string();
  EXPECT_EQ(shop.spec.target, "client.co.uk");
  auto sub = build("Mail.Shop.Test.", {{"rdap_url", "https://rdap.test/v1/"}});
  ASSERT_TRUE(sub.probe) << sub.errors.to_string();
  EXPECT_EQ(sub.spec.target, "shop.test");
  auto url = build("https://www.shop.test/cart", {{"rdap_url", "https://rdap.test/v1/"}});
  ASSERT_TRUE(url.probe) << url.errors.to_string();
  EXPECT_EQ(url.spec.target, "shop.test");
}

TEST_F(DomainProbeTest, SubdomainTargetIsCheckedAsItsDomain) {
  Result r = run("www.valid.test");
  EXPECT_EQ(r.status, Status::ok) << r.summary;
  EXPECT_EQ(r.facts["domain"], "valid.test");
}

}  // namespace
}  // namespace lookout::probes
