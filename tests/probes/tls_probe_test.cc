// The TLS probe against the estate's TLS fault endpoints (tests/estate/tls_endpoints.cc): one
// endpoint per certificate fault, hostile peers, SMTP STARTTLS, and the option parsing.
#include "probes/tls_probe.h"

#include <cstdio>
#include <sys/wait.h>
#include <thread>

#include <boost/asio/co_spawn.hpp>
#include <boost/asio/io_context.hpp>
#include <boost/asio/ip/tcp.hpp>
#include <gtest/gtest.h>

#include "probes/history.h"
#include "net/resolver.h"
#include "net/tls_context.h"
#include "tests/estate/estate.h"

namespace lookout::probes {
namespace {

using namespace std::chrono_literals;
using nlohmann::json;

// Only the estate's TLS endpoints, on their own thread.
class TlsEstate {
 public:
  TlsEstate() : estate_(estate::EstateOptions{}) {
    estate::start_tls_endpoints(estate_);
    thread_ = std::thread([this] { estate_.io().run(); });
  }
  ~TlsEstate() {
    estate_.io().stop();
    thread_.join();
  }
  std::string endpoint(const std::string& name) const { return estate_.endpoint(name); }

 private:
  estate::Estate estate_;
  std::thread thread_;
};

TlsEstate& tls_estate() {
  static TlsEstate e;
  return e;
}

struct Run {
  bool built = false;
  std::string errors;
  std::string target;  // spec.target after build()
  Result result;
};

Run run_tls(const std::string& target, const std::string& options_yaml,
            std::chrono::milliseconds timeout = 5s, const std::string& site_url = "",
            const Clock& clock = SystemClock::instance()) {
  Run out;
  CheckSpec spec;
  spec.type = "tls";
  spec.target = target;
  spec.site_url = site_url;
  spec.timeout = timeout;
  config::OptionMap options;
  options.add_layer(YAML::Load(options_yaml.empty() ? "{}" : options_yaml), "checks[0]");
  config::Errors errors("test.yaml");
  auto probe = tls_probe_kind().build(spec, options, errors);
  options.report_unknown(errors);
  out.errors = errors.to_string();
  out.target = spec.target;
  if (!probe || !errors.empty()) return out;
  out.built = true;

  boost::asio::io_context io;
  net::ResolverOptions ropts;
  ropts.servers = {"127.0.0.1:9"};  // never needed: targets are IP literals
  net::Resolver resolver(io.get_executor(), ropts);
  net::TlsContexts tls;
  MemoryHistory history;
  ProbeContext ctx{io.get_executor(), resolver, tls, spec,
                   std::chrono::steady_clock::now() + timeout, &history, clock};
  boost::asio::co_spawn(io, probe->run(ctx), [&](std::exception_ptr e, Result r) {
    if (e) std::rethrow_exception(e);
    out.result = std::move(r);
    io.stop();  // the resolver may keep idle c-ares sockets watched
  });
  io.run();
  return out;
}

// Runs the probe against an estate endpoint, trusting the estate CA.
Run probe(const std::string& endpoint, const std::string& extra = "",
          std::chrono::milliseconds timeout = 5s) {
  std::string opts = "{ca_file: '" + tls_estate().endpoint("ca_file") + "'" +
                     (extra.empty() ? "" : ", " + extra) + "}";
  return run_tls(tls_estate().endpoint(endpoint), opts, timeout);
}

json findings(const Result& r) { return r.facts.value("findings", json::array()); }

double days_left(const Result& r) {
  const auto& d = r.facts.at("days_left");
  return d.is_number() ? d.get<double>() : -1e9;
}

const Sample* sample(const Result& r, const std::string& name,
                     const std::pair<std::string, std::string>& label = {}) {
  for (const auto& s : r.samples)
    if (s.name == name &&
        (label.first.empty() ||
         std::find(s.labels.begin(), s.labels.end(), label) != s.labels.end()))
      return &s;
  return nullptr;
}

TEST(TlsProbe, ValidCertificateIsOkWithAllFacts) {
  auto run = probe("tls_valid");
  ASSERT_TRUE(run.built) << run.errors;
  const auto& r = run.result;
  EXPECT_EQ(r.status, Status::ok) << r.summary;
  EXPECT_EQ(r.failure, FailureKind::none);
  EXPECT_EQ(findings(r), json::array());
  EXPECT_NEAR(days_left(r), 80, 0.1);
  EXPECT_EQ(r.facts["tls_version"], "TLS 1.3");
  EXPECT_EQ(r.facts["tls_cipher"].get<std::string>().rfind("TLS_", 0), 0u) << r.facts["tls_cipher"];
  EXPECT_EQ(r.facts["ocsp_stapled"], false);
  EXPECT_EQ(r.facts["trusted"], true);
  const auto& leaf = r.facts["leaf"];
  EXPECT_EQ(leaf["subject"], "CN=localhost,O=Lookout Estate");
  EXPECT_EQ(leaf["issuer"], "CN=Lookout Estate Intermediate CA,O=Lookout Estate");
  EXPECT_EQ(leaf["sans"], json::parse(R"(["localhost","127.0.0.1","::1"])"));
  EXPECT_EQ(leaf["key_type"], "EC");
  EXPECT_EQ(leaf["key_bits"], 256);
  EXPECT_EQ(leaf["signature_algorithm"], "ecdsa-with-SHA256");
  EXPECT_EQ(leaf["serial"].get<std::string>().size() % 2, 0u);
  for (const char* key : {"subject", "issuer", "sans", "serial", "signature_algorithm",
                          "key_type", "key_bits", "not_before", "not_after"})
    EXPECT_EQ(r.facts[key], leaf[key]) << key;
  ASSERT_EQ(r.facts["chain"].size(), 1u);
  EXPECT_EQ(r.facts["chain"][0]["subject"], "CN=Lookout Estate Intermediate CA,O=Lookout Estate");
  EXPECT_NE(r.summary.find("valid for 80"), std::string::npos) << r.summary;
  EXPECT_NE(r.summary.find("TLS 1.3"), std::string::npos) << r.summary;

  // Metrics: blackbox names, plus leaf and intermediate expiry.
  auto now = std::chrono::duration<double>(std::chrono::system_clock::now().time_since_epoch()).count();
  const Sample* earliest = sample(r, "probe_ssl_earliest_cert_expiry");
  ASSERT_TRUE(earliest);
  EXPECT_NEAR((earliest->value - now) / 86400, 80, 0.1);
  const Sample* last = sample(r, "probe_ssl_last_chain_expiry_timestamp_seconds");
  ASSERT_TRUE(last);
  EXPECT_EQ(last->value, earliest->value);
  EXPECT_TRUE(sample(r, "probe_tls_version_info", {"version", "TLS 1.3"}));
  EXPECT_TRUE(sample(r, "probe_tls_cipher_info"));
  const Sample* leaf_after = sample(r, "lookout_tls_cert_not_after_seconds", {"cert", "leaf"});
  const Sample* inter_after =
      sample(r, "lookout_tls_cert_not_after_seconds", {"cert", "intermediate"});
  ASSERT_TRUE(leaf_after && inter_after);
  EXPECT_EQ(leaf_after->value, earliest->value);
  EXPECT_GT(inter_after->value, leaf_after->value);
  EXPECT_GT(r.phase("tls"), 0);
  EXPECT_NO_THROW(r.to_json().dump());
}

// Time is an input: the same valid certificate judged by a clock two years ahead has expired.
TEST(TlsProbe, TheVerdictUsesTheInjectedClock) {
  ManualClock later(std::chrono::system_clock::now() + std::chrono::days(730));
  std::string opts = "{ca_file: '" + tls_estate().endpoint("ca_file") + "'}";
  auto r = run_tls(tls_estate().endpoint("tls_valid"), opts, 5s, "", later);
  ASSERT_TRUE(r.built) << r.errors;
  EXPECT_EQ(r.result.status, Status::critical) << r.result.summary;
  EXPECT_LT(days_left(r.result), -300) << r.result.summary;
}

TEST(TlsProbe, SystemStoreDoesNotTrustTheEstateCa) {
  auto run = run_tls(tls_estate().endpoint("tls_valid"), "");
  const auto& r = run.result;
  EXPECT_EQ(r.status, Status::critical);
  EXPECT_EQ(r.failure, FailureKind::tls);
  EXPECT_EQ(findings(r), json::array({"untrusted"})) << r.summary;
  EXPECT_NEAR(days_left(r), 80, 0.1);  // still reported
  EXPECT_FALSE(sample(r, "probe_ssl_last_chain_expiry_timestamp_seconds"));
  EXPECT_TRUE(sample(r, "probe_ssl_earliest_cert_expiry"));
}

TEST(TlsProbe, CaFileMayHoldAnIntermediate) {
  // A trust anchor the user names is trusted even when it is not self-signed (partial chain),
  // as Go and so blackbox_exporter do with ca_file.
  auto run = run_tls(tls_estate().endpoint("tls_valid"),
                     "{ca_file: '" + tls_estate().endpoint("intermediate_ca_file") + "'}");
  EXPECT_EQ(run.result.status, Status::ok) << run.result.summary;
  EXPECT_EQ(run.result.facts["trusted"], true);
  // It still does not vouch for a leaf it did not issue.
  auto self = run_tls(tls_estate().endpoint("tls_self_signed"),
                      "{ca_file: '" + tls_estate().endpoint("intermediate_ca_file") + "'}");
  EXPECT_EQ(findings(self.result), json::array({"self_signed"})) << self.result.summary;
}

TEST(TlsProbe, ExpiringIn20DaysOfA90DayCertificateWarns) {
  const auto& r = probe("tls_expiring_20d").result;
  EXPECT_EQ(r.status, Status::warning) << r.summary;
  EXPECT_EQ(r.failure, FailureKind::none);
  EXPECT_EQ(findings(r), json::array({"expiring"}));
  EXPECT_NEAR(days_left(r), 20, 0.1);
  EXPECT_NE(r.summary.find("expires in 20.0 days"), std::string::npos) << r.summary;
}

TEST(TlsProbe, WarnDaysOverride) {
  const auto& r = probe("tls_expiring_20d", "warn_days: 15").result;
  EXPECT_EQ(r.status, Status::ok) << r.summary;
  const auto& r2 = probe("tls_valid", "warn_days: 100, crit_days: 81").result;
  EXPECT_EQ(r2.status, Status::critical) << r2.summary;
  EXPECT_EQ(findings(r2), json::array({"expiring"}));
  EXPECT_EQ(r2.failure, FailureKind::none);  // an expiry verdict, not a TLS failure
}

TEST(TlsProbe, ExpiringIn5DaysIsCritical) {
  const auto& r = probe("tls_expiring_5d").result;
  EXPECT_EQ(r.status, Status::critical) << r.summary;
  EXPECT_EQ(findings(r), json::array({"expiring"}));
  EXPECT_NEAR(days_left(r), 5, 0.1);
}

TEST(TlsProbe, ExpiredStillReportsItsExpiry) {
  const auto& r = probe("tls_expired").result;
  EXPECT_EQ(r.status, Status::critical);
  EXPECT_EQ(r.failure, FailureKind::tls);
  EXPECT_EQ(findings(r), json::array({"expired"})) << r.summary;
  EXPECT_NEAR(days_left(r), -10, 0.1);
  EXPECT_NE(r.summary.find("expired 10.0 days ago"), std::string::npos) << r.summary;
  const Sample* earliest = sample(r, "probe_ssl_earliest_cert_expiry");
  ASSERT_TRUE(earliest);
  EXPECT_LT(earliest->value, std::chrono::duration<double>(
                                 std::chrono::system_clock::now().time_since_epoch()).count());
  EXPECT_TRUE(sample(r, "lookout_tls_cert_not_after_seconds", {"cert", "leaf"}));
}

TEST(TlsProbe, NotYetValid) {
  const auto& r = probe("tls_not_yet_valid").result;
  EXPECT_EQ(r.status, Status::critical);
  EXPECT_EQ(findings(r), json::array({"not_yet_valid"})) << r.summary;
  EXPECT_NEAR(days_left(r), 100, 0.1);
}

TEST(TlsProbe, WrongHost) {
  const auto& r = probe("tls_wrong_host").result;
  EXPECT_EQ(r.status, Status::critical);
  EXPECT_EQ(findings(r), json::array({"hostname_mismatch"})) << r.summary;
  EXPECT_NE(r.summary.find("wrong.example"), std::string::npos) << r.summary;
  // With SNI set to the name it does carry, the certificate matches.
  const auto& ok = probe("tls_wrong_host", "sni: wrong.example").result;
  EXPECT_EQ(ok.status, Status::ok) << ok.summary;
  EXPECT_EQ(ok.facts["sni"], "wrong.example");
  // A fully qualified name with its root dot is the same name.
  const auto& fqdn = probe("tls_wrong_host", "sni: wrong.example.").result;
  EXPECT_EQ(fqdn.status, Status::ok) << fqdn.summary;
}

TEST(TlsProbe, SelfSigned) {
  const auto& r = probe("tls_self_signed").result;
  EXPECT_EQ(r.status, Status::critical);
  EXPECT_EQ(findings(r), json::array({"self_signed"})) << r.summary;
  EXPECT_NEAR(days_left(r), 80, 0.1);
}

TEST(TlsProbe, MissingIntermediate) {
  const auto& r = probe("tls_missing_intermediate").result;
  EXPECT_EQ(r.status, Status::critical);
  EXPECT_EQ(findings(r), json::array({"chain_incomplete"})) << r.summary;
  EXPECT_EQ(r.facts["chain"].size(), 0u);
}

TEST(TlsProbe, WeakKey) {
  const auto& r = probe("tls_rsa1024").result;
  EXPECT_EQ(r.status, Status::critical);
  EXPECT_EQ(findings(r), json::array({"weak_key"})) << r.summary;
  EXPECT_EQ(r.facts["leaf"]["key_type"], "RSA");
  EXPECT_EQ(r.facts["leaf"]["key_bits"], 1024);
}

TEST(TlsProbe, Sha1Signature) {
  const auto& r = probe("tls_sha1").result;
  EXPECT_EQ(r.status, Status::critical);
  EXPECT_EQ(findings(r), json::array({"weak_signature"})) << r.summary;
  EXPECT_EQ(r.facts["leaf"]["signature_algorithm"], "ecdsa-with-SHA1");
}

TEST(TlsProbe, LegacyProtocolOnlyWhenAsked) {
  const auto& plain = probe("tls_legacy_tls10").result;
  EXPECT_EQ(plain.status, Status::ok) << plain.summary;
  const auto& r = probe("tls_legacy_tls10", "legacy_protocols: true").result;
  EXPECT_EQ(r.status, Status::critical);
  EXPECT_EQ(findings(r), json::array({"legacy_protocol"})) << r.summary;
  EXPECT_EQ(r.facts["legacy_check"], "accepted");
  EXPECT_EQ(r.facts["tls_version"], "TLS 1.3");  // the main handshake is still the best one
  const auto& modern = probe("tls_valid", "legacy_protocols: true").result;
  EXPECT_EQ(modern.status, Status::ok) << modern.summary;
  EXPECT_EQ(modern.facts["legacy_check"], "refused");
}

TEST(TlsProbe, IntermediateExpiringFirst) {
  const auto& r = probe("tls_intermediate_expiring").result;
  EXPECT_EQ(r.status, Status::warning) << r.summary;
  EXPECT_EQ(findings(r), json::array({"expiring"}));
  EXPECT_NEAR(days_left(r), 10, 0.1);
  EXPECT_NEAR(r.facts["leaf_days_left"].get<double>(), 80, 0.1);
  EXPECT_NEAR(r.facts["intermediate_days_left"].get<double>(), 10, 0.1);
  EXPECT_NE(r.summary.find("intermediate"), std::string::npos) << r.summary;
}

TEST(TlsProbe, ServerSpeakingOnlyTls10) {
  // The main handshake (TLS >= 1.2) is refused; the probe still reads the certificate over
  // TLS 1.0 and says why the server is a problem.
  const auto& r = probe("tls_legacy_only").result;
  EXPECT_EQ(r.status, Status::critical);
  EXPECT_EQ(r.failure, FailureKind::tls);
  EXPECT_EQ(findings(r), json::array({"legacy_protocol"})) << r.summary;
  EXPECT_EQ(r.facts["tls_version"], "TLS 1.0");
  EXPECT_NEAR(days_left(r), 80, 0.1);
  EXPECT_EQ(r.summary, "server speaks only TLS 1.0, no TLS 1.2 or 1.3");
}

TEST(TlsProbe, OcspStapling) {
  const auto& r = probe("tls_ocsp_stapled").result;
  EXPECT_EQ(r.status, Status::ok) << r.summary;
  EXPECT_EQ(r.facts["ocsp_stapled"], true);
  EXPECT_EQ(r.facts["ocsp_status"], "good");
  EXPECT_FALSE(probe("tls_valid").result.facts.contains("ocsp_status"));
}

TEST(TlsProbe, AbsurdCertificateFields) {
  const auto& r = probe("tls_absurd").result;
  EXPECT_EQ(r.status, Status::ok) << r.summary;
  EXPECT_EQ(findings(r), json::array());
  EXPECT_NEAR(days_left(r), 1825, 0.1);  // the earliest is now the intermediate's
  EXPECT_GT(r.facts["leaf_days_left"].get<double>(), 2'800'000);
  const auto& leaf = r.facts["leaf"];
  EXPECT_EQ(leaf["subject"], "O=Absurd Fields Ltd");
  EXPECT_EQ(leaf["common_name"], "");
  EXPECT_EQ(leaf["san_count"], 501);
  EXPECT_EQ(leaf["sans"].size(), 100u);
  EXPECT_EQ(leaf["serial"], "-1f");
  EXPECT_EQ(leaf["not_before"], "1950-01-01T00:00:00Z");
  EXPECT_EQ(leaf["not_after"], "9999-12-31T23:59:59Z");
  EXPECT_NE(r.summary.find("O=Absurd Fields Ltd"), std::string::npos) << r.summary;
  EXPECT_NO_THROW(r.to_json().dump());
}

TEST(TlsProbe, GarbagePeer) {
  const auto& r = probe("tls_garbage").result;
  EXPECT_EQ(r.status, Status::critical);
  EXPECT_EQ(r.failure, FailureKind::tls);
  EXPECT_EQ(findings(r), json::array({"unreachable"})) << r.summary;
  EXPECT_TRUE(r.facts["days_left"].is_null());
  EXPECT_NE(r.summary.find("TLS handshake failed: the peer does not speak TLS"), std::string::npos)
      << r.summary;
}

TEST(TlsProbe, StallingPeerTimesOut) {
  auto t0 = std::chrono::steady_clock::now();
  const auto& r = probe("tls_stall", "", 700ms).result;
  EXPECT_EQ(r.status, Status::critical);
  EXPECT_EQ(r.failure, FailureKind::timeout);
  EXPECT_EQ(findings(r), json::array({"unreachable"})) << r.summary;
  EXPECT_LT(std::chrono::steady_clock::now() - t0, 5s);  // bounded by the deadline, not hung
}

TEST(TlsProbe, ConnectionRefused) {
  // The estate's stall port is open; a port nobody listens on is found by binding and closing.
  boost::asio::io_context io;
  boost::asio::ip::tcp::acceptor a(io, {boost::asio::ip::make_address("127.0.0.1"), 0});
  auto port = a.local_endpoint().port();
  a.close();
  const auto& r = run_tls("127.0.0.1:" + std::to_string(port), "").result;
  EXPECT_EQ(r.status, Status::critical);
  EXPECT_EQ(r.failure, FailureKind::connect);
  EXPECT_EQ(findings(r), json::array({"unreachable"}));
}

TEST(TlsProbe, SmtpStartTls) {
  const auto& r = probe("smtp_starttls", "starttls: smtp").result;
  EXPECT_EQ(r.status, Status::ok) << r.summary;
  EXPECT_EQ(findings(r), json::array());
  EXPECT_NEAR(days_left(r), 80, 0.1);
  EXPECT_GT(r.phase("starttls"), 0);
  // Without STARTTLS the SMTP greeting is not TLS.
  const auto& raw = probe("smtp_starttls").result;
  EXPECT_EQ(raw.status, Status::critical);
  EXPECT_EQ(raw.failure, FailureKind::tls);
  // And a TLS endpoint does not speak SMTP.
  const auto& wrong = probe("tls_garbage", "starttls: smtp").result;
  EXPECT_EQ(wrong.status, Status::critical);
  EXPECT_EQ(wrong.failure, FailureKind::protocol) << wrong.summary;
}

TEST(TlsProbe, TargetsAndOptions) {
  auto from_url = run_tls("", "", 1s, "https://shop.example.net:8443/path");
  EXPECT_EQ(from_url.target, "shop.example.net:8443");
  auto plain_url = run_tls("", "", 1s, "http://shop.example.net/");
  EXPECT_EQ(plain_url.target, "shop.example.net:443");
  auto smtp = run_tls("", "{starttls: smtp}", 1s, "http://mail.example.net/");
  EXPECT_EQ(smtp.target, "mail.example.net:25");
  EXPECT_TRUE(run_tls("[::1]:443", "").built);

  auto bad = run_tls("a b:99999", "{warn_days: -1, crit_fraction: 2, starttls: imap}");
  EXPECT_FALSE(bad.built);
  EXPECT_NE(bad.errors.find("HOST[:PORT]"), std::string::npos) << bad.errors;
  auto bad_opts = run_tls("x.example", "{warn_days: -1, crit_fraction: 2, starttls: imap, nope: 1}");
  EXPECT_FALSE(bad_opts.built);
  EXPECT_NE(bad_opts.errors.find("warn_days"), std::string::npos) << bad_opts.errors;
  EXPECT_NE(bad_opts.errors.find("crit_fraction"), std::string::npos) << bad_opts.errors;
  EXPECT_NE(bad_opts.errors.find("starttls"), std::string::npos) << bad_opts.errors;
  EXPECT_NE(bad_opts.errors.find("nope"), std::string::npos) << bad_opts.errors;
  auto inverted = run_tls("x.example", "{warn_days: 5, crit_days: 10}");
  EXPECT_FALSE(inverted.built);
  EXPECT_TRUE(run_tls("", "", 1s, "").errors.find("target") != std::string::npos);
}

// `lookout check --type tls` end to end: flags, Nagios exit code, --json with facts on top.
struct Cli {
  int exit_code = -1;
  std::string out;
};
Cli lookout_check(const std::string& args) {
  Cli c;
  std::string cmd = std::string(LOOKOUT_BINARY) + " check --type tls " + args + " 2>/dev/null";
  FILE* p = popen(cmd.c_str(), "r");
  if (!p) return c;
  char buf[4096];
  size_t n;
  while ((n = fread(buf, 1, sizeof buf, p)) > 0) c.out.append(buf, n);
  int st = pclose(p);
  c.exit_code = WIFEXITED(st) ? WEXITSTATUS(st) : -1;
  return c;
}

TEST(TlsProbe, OneShotCli) {
  const std::string ca = " --ca-file " + tls_estate().endpoint("ca_file");
  auto ok = lookout_check(tls_estate().endpoint("tls_valid") + ca);
  EXPECT_EQ(ok.exit_code, 0) << ok.out;
  EXPECT_NE(ok.out.find("valid for 80"), std::string::npos) << ok.out;

  auto warn = lookout_check(tls_estate().endpoint("tls_valid") + ca + " --warn-days 90 --crit-days 10");
  EXPECT_EQ(warn.exit_code, 1) << warn.out;

  auto expired = lookout_check(tls_estate().endpoint("tls_expired") + ca + " --json");
  EXPECT_EQ(expired.exit_code, 2) << expired.out;
  auto j = json::parse(expired.out, nullptr, false);
  ASSERT_FALSE(j.is_discarded()) << expired.out;
  EXPECT_EQ(j["check_status"], "critical");
  EXPECT_EQ(j["findings"], json::array({"expired"}));
  EXPECT_NEAR(j["days_left"].get<double>(), -10, 0.1);

  auto sni = lookout_check(tls_estate().endpoint("tls_wrong_host") + ca + " --sni wrong.example");
  EXPECT_EQ(sni.exit_code, 0) << sni.out;
  auto smtp = lookout_check(tls_estate().endpoint("smtp_starttls") + ca + " --starttls smtp");
  EXPECT_EQ(smtp.exit_code, 0) << smtp.out;
  auto legacy = lookout_check(tls_estate().endpoint("tls_legacy_tls10") + ca +
                              " --legacy-protocols --json");
  EXPECT_EQ(legacy.exit_code, 2) << legacy.out;
  EXPECT_EQ(json::parse(legacy.out, nullptr, false).value("findings", json()),
            json::array({"legacy_protocol"}));
  auto stall = lookout_check(tls_estate().endpoint("tls_stall") + ca + " --timeout 500ms");
  EXPECT_EQ(stall.exit_code, 2) << stall.out;
  EXPECT_NE(stall.out.find("timeout"), std::string::npos) << stall.out;
}

TEST(TlsProbe, CliFlagsMapToOptions) {
  const auto& flags = tls_probe_kind().cli_flags;
  auto has = [&](const std::string& flag, const std::string& key) {
    return std::any_of(flags.begin(), flags.end(),
                       [&](const CliFlag& f) { return f.flag == flag && f.key == key; });
  };
  EXPECT_TRUE(has("--sni", "sni"));
  EXPECT_TRUE(has("--ca-file", "ca_file"));
  EXPECT_TRUE(has("--warn-days", "warn_days"));
  EXPECT_TRUE(has("--crit-days", "crit_days"));
  EXPECT_TRUE(has("--starttls", "starttls"));
  EXPECT_TRUE(has("--legacy-protocols", "legacy_protocols"));
}

}  // namespace
}  // namespace lookout::probes
