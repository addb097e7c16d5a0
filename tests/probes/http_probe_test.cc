// The HTTP probe against the estate's healthy and hostile sites, run through the same path as
// `lookout check` (agent::run_one_check): each gives the right verdict, failure kind and a
// summary naming the cause, within its timeout.
#include <chrono>
#include <map>
#include <string>
#include <vector>

#include <gmock/gmock.h>
#include <gtest/gtest.h>

#include "agent/oneshot.h"
#include "tests/estate/estate.h"
#include "tests/support/estate_fixture.h"

namespace lookout::probes {
namespace {

using agent::OneShotRequest;
using namespace std::chrono_literals;
using ::testing::HasSubstr;

struct CheckRun {
  Result result;
  std::chrono::milliseconds elapsed;
  std::chrono::milliseconds timeout;
};

class HttpProbeTest : public lookout::testing::EstateSuite {
 protected:
  static std::string url(const std::string& path) { return estate_->endpoint("http") + path; }
  static std::string https(const std::string& path) {
    return estate_->endpoint("https") + path;
  }

  /// Runs one check the way the CLI does; every run must end within its timeout (+2 s slack
  /// for a loaded machine: this is about not hanging, not about speed).
  static CheckRun check(const std::string& target,
                   std::map<std::string, std::vector<std::string>> options = {},
                   std::chrono::milliseconds timeout = 5s) {
    OneShotRequest req;
    req.type = "http";
    req.target = target;
    req.options = std::move(options);
    req.timeout = timeout;
    auto start = std::chrono::steady_clock::now();
    auto outcome = agent::run_one_check(req);
    auto elapsed = std::chrono::duration_cast<std::chrono::milliseconds>(
        std::chrono::steady_clock::now() - start);
    EXPECT_TRUE(outcome.valid) << target;
    EXPECT_TRUE(outcome.errors.empty()) << outcome.errors.to_string();
    EXPECT_LT(elapsed, timeout + 2s) << target << " took " << elapsed.count() << " ms";
    return {outcome.result, elapsed, timeout};
  }

};

TEST_F(HttpProbeTest, HealthySiteIsOkWithKeyword) {
  CheckRun r = check(url("/ok"), {{"keyword", {"Welcome to the estate"}}});
  EXPECT_EQ(r.result.status, Status::ok) << r.result.summary;
  EXPECT_EQ(r.result.failure, FailureKind::none);
  EXPECT_THAT(r.result.summary, HasSubstr("HTTP 200 from 127.0.0.1"));
  EXPECT_EQ(r.result.facts["status_code"], 200);
  EXPECT_EQ(r.result.facts["keyword_found"], true);
}

TEST_F(HttpProbeTest, ErrorStatusesAreCritical) {
  for (int code : {404, 500, 503}) {
    CheckRun r = check(url("/status/" + std::to_string(code)));
    EXPECT_EQ(r.result.status, Status::critical) << code;
    EXPECT_EQ(r.result.failure, FailureKind::http_status) << code;
    EXPECT_THAT(r.result.summary, HasSubstr("HTTP " + std::to_string(code) + " from 127.0.0.1"));
    EXPECT_EQ(r.result.facts["status_code"], code);
  }
  // ... unless that status is the expected one.
  CheckRun expected = check(url("/status/503"), {{"expect_status", {"500-503"}}});
  EXPECT_EQ(expected.result.status, Status::ok) << expected.result.summary;
}

TEST_F(HttpProbeTest, KeywordMissingOrForbidden) {
  CheckRun missing = check(url("/nokeyword"), {{"keyword", {"Welcome to the estate"}}});
  EXPECT_EQ(missing.result.status, Status::critical);
  EXPECT_EQ(missing.result.failure, FailureKind::assertion);
  EXPECT_THAT(missing.result.summary, HasSubstr("keyword \"Welcome to the estate\" not found"));
  EXPECT_EQ(missing.result.facts["keyword_found"], false);

  CheckRun forbidden = check(url("/ok"), {{"keyword_absent", {"Welcome"}}});
  EXPECT_EQ(forbidden.result.status, Status::critical);
  EXPECT_EQ(forbidden.result.failure, FailureKind::assertion);
  EXPECT_THAT(forbidden.result.summary, HasSubstr("\"Welcome\" found"));

  CheckRun absent_ok = check(url("/nokeyword"), {{"keyword_absent", {"Welcome"}}});
  EXPECT_EQ(absent_ok.result.status, Status::ok) << absent_ok.result.summary;
}

TEST_F(HttpProbeTest, SentHeadersReachTheServer) {
  CheckRun r = check(url("/echo"), {{"headers", {"X-Lookout-Test: 42"}},
                               {"keyword", {"X-Lookout-Test: 42"}}});
  EXPECT_EQ(r.result.status, Status::ok) << r.result.summary;
  CheckRun head = check(url("/echo"), {{"method", {"HEAD"}}});
  EXPECT_EQ(head.result.status, Status::ok) << head.result.summary;
}

TEST_F(HttpProbeTest, SlowResponseCrossesThresholdsOrTimesOut) {
  CheckRun warn = check(url("/slow?ms=300"), {{"warn_time", {"100ms"}}, {"crit_time", {"10s"}}});
  EXPECT_EQ(warn.result.status, Status::warning) << warn.result.summary;
  EXPECT_THAT(warn.result.summary, HasSubstr("slower than warning threshold"));

  CheckRun crit = check(url("/slow?ms=300"), {{"warn_time", {"50ms"}}, {"crit_time", {"100ms"}}});
  EXPECT_EQ(crit.result.status, Status::critical) << crit.result.summary;
  EXPECT_THAT(crit.result.summary, HasSubstr("slower than critical threshold"));

  CheckRun timeout = check(url("/slow?ms=20000"), {}, 700ms);
  EXPECT_EQ(timeout.result.status, Status::critical);
  EXPECT_EQ(timeout.result.failure, FailureKind::timeout) << timeout.result.summary;
  EXPECT_THAT(timeout.result.summary, HasSubstr("no response within"));
}

TEST_F(HttpProbeTest, HangingServerTimesOut) {
  CheckRun r = check(url("/hang"), {}, 700ms);
  EXPECT_EQ(r.result.status, Status::critical);
  EXPECT_EQ(r.result.failure, FailureKind::timeout) << r.result.summary;
  EXPECT_THAT(r.result.summary, HasSubstr("no response within"));
}

TEST_F(HttpProbeTest, BlackholeTimesOut) {
  CheckRun r = check("http://" + estate_->endpoint("blackhole") + "/", {}, 700ms);
  EXPECT_EQ(r.result.status, Status::critical);
  EXPECT_EQ(r.result.failure, FailureKind::timeout) << r.result.summary;
}

TEST_F(HttpProbeTest, DrippingBodyTimesOutWithBytesCounted) {
  CheckRun r = check(url("/drip"), {}, 1200ms);
  EXPECT_EQ(r.result.status, Status::critical);
  EXPECT_EQ(r.result.failure, FailureKind::timeout) << r.result.summary;
  EXPECT_THAT(r.result.summary, HasSubstr("body not complete within"));
  EXPECT_THAT(r.result.summary, HasSubstr(" received)"));
}

TEST_F(HttpProbeTest, EndlessBodyStopsAtTheCap) {
  for (const char* path : {"/endless", "/endless?mode=length"}) {
    CheckRun r = check(url(path), {{"body_limit", {"65536"}}, {"keyword", {"Welcome"}}});
    EXPECT_EQ(r.result.status, Status::critical) << path;
    EXPECT_EQ(r.result.failure, FailureKind::assertion) << r.result.summary;
    EXPECT_THAT(r.result.summary, HasSubstr("not found in the first 65536 bytes"));
    EXPECT_EQ(r.result.facts["body_bytes"], 65536) << path;
    EXPECT_EQ(r.result.facts["body_truncated"], true) << path;
  }
  // Without a keyword the truncated page is still a healthy 200 (default cap: 1 MiB).
  CheckRun plain = check(url("/endless"));
  EXPECT_EQ(plain.result.status, Status::ok) << plain.result.summary;
  EXPECT_EQ(plain.result.facts["body_bytes"], 1 << 20);
}

double sample(const Result& r, const std::string& name) {
  for (const auto& s : r.samples)
    if (s.name == name) return s.value;
  ADD_FAILURE() << "no sample " << name;
  return -99;
}

// blackbox_exporter: probe_http_content_length is the header (-1 without one), the bytes read
// are probe_http_uncompressed_body_length.
TEST_F(HttpProbeTest, ContentLengthIsTheHeaderAndBodyLengthIsWhatWasRead) {
  CheckRun chunked = check(url("/endless"), {{"body_limit", {"65536"}}});
  EXPECT_EQ(sample(chunked.result, "probe_http_content_length"), -1);
  EXPECT_EQ(sample(chunked.result, "probe_http_uncompressed_body_length"), 65536);
  CheckRun declared = check(url("/endless?mode=length"), {{"body_limit", {"65536"}}});
  EXPECT_EQ(sample(declared.result, "probe_http_content_length"), 1e12);
  EXPECT_EQ(sample(declared.result, "probe_http_uncompressed_body_length"), 65536);
  CheckRun ok = check(url("/ok"));
  const double body = ok.result.facts["body_bytes"].get<double>();
  EXPECT_GT(body, 0);
  EXPECT_EQ(sample(ok.result, "probe_http_content_length"), body);
  EXPECT_EQ(sample(ok.result, "probe_http_uncompressed_body_length"), body);
}

TEST_F(HttpProbeTest, HugeHeaderIsAProtocolFailure) {
  CheckRun r = check(url("/bigheader"));
  EXPECT_EQ(r.result.status, Status::critical);
  EXPECT_EQ(r.result.failure, FailureKind::protocol) << r.result.summary;
  EXPECT_THAT(r.result.summary, HasSubstr("header larger than"));
}

TEST_F(HttpProbeTest, GarbageAndClosedConnectionAreProtocolFailures) {
  CheckRun garbage = check(url("/garbage"));
  EXPECT_EQ(garbage.result.status, Status::critical);
  EXPECT_EQ(garbage.result.failure, FailureKind::protocol) << garbage.result.summary;
  EXPECT_THAT(garbage.result.summary, HasSubstr("not an HTTP response"));

  CheckRun closed = check(url("/close"));
  EXPECT_EQ(closed.result.status, Status::critical);
  EXPECT_EQ(closed.result.failure, FailureKind::protocol) << closed.result.summary;
  EXPECT_THAT(closed.result.summary, HasSubstr("connection closed"));
}

TEST_F(HttpProbeTest, RedirectsFollowedLimitedAndLoopsDetected) {
  CheckRun chain = check(url("/redirect/3"), {{"keyword", {"Welcome to the estate"}}});
  EXPECT_EQ(chain.result.status, Status::ok) << chain.result.summary;
  ASSERT_TRUE(chain.result.facts.contains("redirects"));
  EXPECT_EQ(chain.result.facts["redirects"].size(), 4u);
  EXPECT_EQ(chain.result.facts["url"], url("/ok"));

  CheckRun absolute = check(url("/redirect/2?absolute=1"));
  EXPECT_EQ(absolute.result.status, Status::ok) << absolute.result.summary;

  CheckRun too_many = check(url("/redirect/10"), {{"max_redirects", {"5"}}});
  EXPECT_EQ(too_many.result.status, Status::critical);
  EXPECT_EQ(too_many.result.failure, FailureKind::protocol) << too_many.result.summary;
  EXPECT_THAT(too_many.result.summary, HasSubstr("more than 5 redirects"));

  CheckRun loop = check(url("/loop/a"), {{"max_redirects", {"10"}}});
  EXPECT_EQ(loop.result.status, Status::critical);
  EXPECT_EQ(loop.result.failure, FailureKind::protocol) << loop.result.summary;
  EXPECT_THAT(loop.result.summary, HasSubstr("redirect loop"));
  EXPECT_THAT(loop.result.summary, HasSubstr("/loop/b"));
}

// --max-redirects is documented as "0 = none": the 3xx itself is then the response, so a check
// that a URL redirects (expect 301/302) can be written.
TEST_F(HttpProbeTest, ZeroMaxRedirectsReturnsTheRedirectItself) {
  CheckRun none =
      check(url("/redirect/1"), {{"max_redirects", {"0"}}, {"expect_status", {"302"}}});
  EXPECT_EQ(none.result.status, Status::ok) << none.result.summary;
  EXPECT_EQ(none.result.facts["status_code"], 302);
  CheckRun unexpected = check(url("/redirect/1"), {{"max_redirects", {"0"}}});
  EXPECT_EQ(unexpected.result.failure, FailureKind::http_status);
  EXPECT_THAT(unexpected.result.summary, HasSubstr("redirecting to " + url("/ok")));
}

TEST_F(HttpProbeTest, HttpsVerifiesWithTheEstateCa) {
  std::string ca = estate_->endpoint("ca_file");
  CheckRun ok = check(https("/ok"), {{"ca_file", {ca}}, {"keyword", {"Welcome to the estate"}}});
  EXPECT_EQ(ok.result.status, Status::ok) << ok.result.summary;
  EXPECT_GT(ok.result.phase("tls"), 0);
  EXPECT_THAT(ok.result.facts["tls_version"].get<std::string>(), HasSubstr("TLS"));

  CheckRun untrusted = check(https("/ok"));
  EXPECT_EQ(untrusted.result.status, Status::critical);
  EXPECT_EQ(untrusted.result.failure, FailureKind::tls) << untrusted.result.summary;
  EXPECT_THAT(untrusted.result.summary, HasSubstr("certificate verify failed"));

  CheckRun insecure = check(https("/ok"), {{"insecure", {"true"}}});
  EXPECT_EQ(insecure.result.status, Status::ok) << insecure.result.summary;

  // Hostile paths behave the same over TLS.
  CheckRun hang = check(https("/hang"), {{"ca_file", {ca}}}, 700ms);
  EXPECT_EQ(hang.result.failure, FailureKind::timeout) << hang.result.summary;
  // https:// to the plain-HTTP port: say so, not just "wrong version number".
  CheckRun plain = check("https://" + url("/ok").substr(std::string("http://").size()));
  EXPECT_EQ(plain.result.failure, FailureKind::tls) << plain.result.summary;
  EXPECT_THAT(plain.result.summary, HasSubstr("plain HTTP on this port?"));
  CheckRun garbage = check(https("/garbage"), {{"ca_file", {ca}}});
  EXPECT_EQ(garbage.result.failure, FailureKind::protocol) << garbage.result.summary;
}

TEST_F(HttpProbeTest, HttpsByHostNameMatchesTheCertificate) {
  std::string ca = estate_->endpoint("ca_file");
  std::string port = https("").substr(https("").rfind(':') + 1);
  CheckRun by_name = check("https://localhost:" + port + "/ok", {{"ca_file", {ca}}});
  // localhost may resolve to ::1 first where the estate does not listen; the probe reports
  // that as connect trouble, which is not what this test is about.
  if (by_name.result.failure == FailureKind::connect || by_name.result.failure == FailureKind::dns)
    GTEST_SKIP() << by_name.result.summary;
  EXPECT_EQ(by_name.result.status, Status::ok) << by_name.result.summary;

  // A fully qualified name with its root dot is the same name (browsers accept it).
  CheckRun dotted = check(https("/ok"), {{"ca_file", {ca}}, {"sni", {"localhost."}}});
  EXPECT_EQ(dotted.result.status, Status::ok) << dotted.result.summary;

  CheckRun wrong_sni = check(https("/ok"), {{"ca_file", {ca}}, {"sni", {"www.example.com"}}});
  EXPECT_EQ(wrong_sni.result.failure, FailureKind::tls) << wrong_sni.result.summary;
}

// Real servers: a CDN's 103 Early Hints before the answer, a body that ends at the close (over
// TLS without close_notify, as many servers do), Locations with "../" and raw spaces.
TEST_F(HttpProbeTest, InterimResponsesAreSkipped) {
  std::string ca = estate_->endpoint("ca_file");
  for (const std::string& u : {url("/early-hints"), https("/early-hints")}) {
    CheckRun r = check(u, {{"ca_file", {ca}}, {"keyword", {"Welcome to the estate"}}});
    EXPECT_EQ(r.result.status, Status::ok) << u << ": " << r.result.summary;
    EXPECT_EQ(r.result.facts["status_code"], 200) << u;
  }
}

TEST_F(HttpProbeTest, BodyEndingAtTheCloseIsComplete) {
  std::string ca = estate_->endpoint("ca_file");
  for (const std::string& u : {url("/eof-body"), https("/eof-body")}) {
    CheckRun r = check(u, {{"ca_file", {ca}}, {"keyword", {"Welcome to the estate"}}});
    EXPECT_EQ(r.result.status, Status::ok) << u << ": " << r.result.summary;
    EXPECT_EQ(r.result.facts["keyword_found"], true) << u;
  }
}

TEST_F(HttpProbeTest, LocationsAreResolvedLikeABrowser) {
  CheckRun dots = check(url("/redirect-to?location=../ok"), {{"keyword", {"Welcome"}}});
  EXPECT_EQ(dots.result.status, Status::ok) << dots.result.summary;
  EXPECT_EQ(dots.result.facts["url"], url("/ok"));
  CheckRun spaced = check(url("/redirect-to?location=%2Fok%3Fq%3Da%20b"), {{"keyword", {"Welcome"}}});
  EXPECT_EQ(spaced.result.status, Status::ok) << spaced.result.summary;
  EXPECT_EQ(spaced.result.facts["url"], url("/ok?q=a%20b"));
}

// "no response within 1 s" alone does not say which of a site's addresses hung.
TEST_F(HttpProbeTest, TimeoutSummariesNameTheAddress) {
  std::string host_port = url("").substr(std::string("http://").size());
  CheckRun hang = check(url("/hang"), {}, 700ms);
  EXPECT_EQ(hang.result.failure, FailureKind::timeout);
  EXPECT_THAT(hang.result.summary, HasSubstr(host_port));
  CheckRun drip = check(url("/drip"), {}, 1200ms);
  EXPECT_THAT(drip.result.summary, HasSubstr(host_port));
  CheckRun garbage = check(url("/garbage"));
  EXPECT_THAT(garbage.result.summary, HasSubstr(host_port));
}

// A CA file that is missing or holds no certificate is the check's own problem, not the site's:
// unknown naming the file, not "certificate verify failed" (critical) against a healthy site.
// It is found at run time (a config may name a file that a deployment writes later).
TEST_F(HttpProbeTest, UnreadableCaFileIsUnknownNotTheSite) {
  for (const std::string& file : {std::string("/nonexistent/ca.pem"), std::string("/etc/hostname")}) {
    CheckRun r = check(https("/ok"), {{"ca_file", {file}}});
    EXPECT_EQ(r.result.status, Status::unknown) << file << ": " << r.result.summary;
    EXPECT_EQ(r.result.failure, FailureKind::internal) << file;
    EXPECT_THAT(r.result.summary, HasSubstr("CA file '" + file + "'"));
  }
}

TEST_F(HttpProbeTest, AllAddressesKeepsTheResolvePhase) {
  std::string port = url("").substr(url("").rfind(':') + 1);
  CheckRun r = check("http://localhost:" + port + "/ok", {{"all_addresses", {"true"}}, {"ip_version", {"4"}}});
  EXPECT_EQ(r.result.status, Status::ok) << r.result.summary;
  ASSERT_TRUE(r.result.facts.contains("addresses"));
  EXPECT_GT(r.result.phase("resolve"), 0.0);
}

// "certificate has expired" must say which certificate: the leaf, or an intermediate the
// site's admin did not look at.
TEST_F(HttpProbeTest, CertificateFailuresNameTheCertificate) {
  std::string ca = estate_->endpoint("ca_file");
  CheckRun expired = check("https://" + estate_->endpoint("tls_expired") + "/", {{"ca_file", {ca}}});
  EXPECT_EQ(expired.result.failure, FailureKind::tls);
  EXPECT_THAT(expired.result.summary, HasSubstr("certificate verify failed for leaf"));
  EXPECT_THAT(expired.result.summary, HasSubstr("expired"));
  CheckRun wrong = check("https://" + estate_->endpoint("tls_wrong_host") + "/", {{"ca_file", {ca}}});
  EXPECT_EQ(wrong.result.failure, FailureKind::tls);
  EXPECT_THAT(wrong.result.summary, HasSubstr("mismatch"));  // IP address mismatch for 127.0.0.1
}

// Credentials and a custom Host header are for the host they were configured for: a redirect
// to another host must not carry them there (as curl and browsers do); other headers stay.
TEST_F(HttpProbeTest, RedirectToAnotherHostDropsCredentials) {
  std::string port = url("").substr(url("").rfind(':') + 1);
  std::string other = "http://localhost:" + port + "/echo";
  CheckRun r = check(url("/redirect-to?location=" + other),
                     {{"headers", {"Authorization: Bearer secret", "Cookie: s=1", "X-Trace: 7"}},
                      {"keyword", {"X-Trace: 7"}},
                      {"keyword_absent", {"secret"}}});
  if (r.result.failure == FailureKind::connect || r.result.failure == FailureKind::dns)
    GTEST_SKIP() << r.result.summary;
  EXPECT_EQ(r.result.status, Status::ok) << r.result.summary;
  CheckRun same = check(url("/redirect-to?location=/echo"),
                        {{"headers", {"Authorization: Bearer secret"}}, {"keyword", {"secret"}}});
  EXPECT_EQ(same.result.status, Status::ok) << same.result.summary;
}

// A form POST answered with 302 continues as a GET (browsers, curl); HEAD stays HEAD.
TEST_F(HttpProbeTest, PostRedirectedByA302ContinuesAsGet) {
  CheckRun post = check(url("/redirect-to?location=/echo"),
                        {{"method", {"POST"}}, {"body", {"a=1"}}, {"keyword", {"method: GET"}}});
  EXPECT_EQ(post.result.status, Status::ok) << post.result.summary;
  CheckRun head = check(url("/redirect/1"), {{"method", {"HEAD"}}});
  EXPECT_EQ(head.result.status, Status::ok) << head.result.summary;
  EXPECT_EQ(head.result.facts["body_bytes"], 0);
}

// Nagios reads everything after the first '|' as performance data: a keyword from a page title
// ("Home | Acme") must not split the status text.
TEST_F(HttpProbeTest, NagiosLineKeepsPipesOutOfTheStatusText) {
  CheckRun r = check(url("/ok"), {{"keyword", {"Home | Acme"}}});
  EXPECT_EQ(r.result.status, Status::critical);
  std::string line = agent::nagios_line(r.result, "http");
  EXPECT_EQ(line.find('|'), line.find(" | time=") + 1);
  EXPECT_THAT(line, HasSubstr("Home \u00a6 Acme"));
  EXPECT_EQ(line.find('\n'), std::string::npos);
}

// A failure at a redirect target names that URL: the user typed another one.
TEST_F(HttpProbeTest, FailureAfterARedirectNamesTheTarget) {
  CheckRun status = check(url("/redirect-to?location=/status/503"));
  EXPECT_EQ(status.result.failure, FailureKind::http_status);
  EXPECT_THAT(status.result.summary, ::testing::StartsWith("HTTP 503 from 127.0.0.1 after "));
  EXPECT_THAT(status.result.summary, HasSubstr(" at " + url("/status/503")));
  CheckRun refused = check(url("/redirect-to?location=http://127.0.0.1:1/"));
  EXPECT_EQ(refused.result.failure, FailureKind::connect);
  EXPECT_THAT(refused.result.summary, HasSubstr("after redirect to http://127.0.0.1:1/"));
  CheckRun direct = check(url("/status/503"));
  EXPECT_THAT(direct.result.summary, ::testing::Not(HasSubstr(" at ")));
}

// HEAD has no body: a keyword would always fail (or, absent, always pass) — a config error.
TEST_F(HttpProbeTest, KeywordWithHeadIsAConfigError) {
  OneShotRequest req;
  req.type = "http";
  req.target = url("/ok");
  req.options = {{"method", {"HEAD"}}, {"keyword", {"Welcome"}}};
  auto outcome = agent::run_one_check(req);
  EXPECT_FALSE(outcome.valid);
  EXPECT_THAT(outcome.errors.to_string(), HasSubstr("keyword"));
  EXPECT_THAT(outcome.errors.to_string(), HasSubstr("HEAD"));
}

}  // namespace
}  // namespace lookout::probes
