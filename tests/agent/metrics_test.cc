#include "agent/metrics.h"

#include <filesystem>
#include <fstream>
#include <regex>
#include <set>

#include "agent/metric_families.h"
#include "probes/exposition_parser.h"

#include <gmock/gmock.h>
#include <gtest/gtest.h>

using lookout::agent::AgentMetrics;
using lookout::probes::FailureKind;
using lookout::probes::Result;
using lookout::probes::Status;
using ::testing::HasSubstr;
using ::testing::Not;

namespace {

lookout::probes::CheckSpec spec(const std::string& site) {
  lookout::probes::CheckSpec s;
  s.client_id = "acme";
  s.site_id = site;
  s.check_id = "tls";
  s.type = "tls";
  return s;
}

TEST(AgentMetricsTest, ExportsBlackboxNamesWithCheckLabels) {
  AgentMetrics m;
  Result r;
  r.status = Status::ok;
  r.duration_seconds = 0.25;
  r.add_sample("probe_tls_version_info", 1, {{"version", "TLS 1.3"}});
  r.add_sample("probe_ssl_earliest_cert_expiry", 1.7811e9);
  m.record_result(spec("www"), r);
  std::string text = m.serialize();
  const std::string labels = "check=\"tls\",client=\"acme\",site=\"www\",type=\"tls\"";
  EXPECT_THAT(text, HasSubstr("# TYPE probe_success gauge\nprobe_success{" + labels + "} 1\n"));
  EXPECT_THAT(text, HasSubstr("probe_duration_seconds{" + labels + "} 0.25\n"));
  EXPECT_THAT(text, HasSubstr("probe_tls_version_info{" + labels + ",version=\"TLS 1.3\"} 1\n"));
  EXPECT_THAT(text, HasSubstr("probe_ssl_earliest_cert_expiry{" + labels + "} 1781100000\n"));
  EXPECT_THAT(text, HasSubstr("lookout_check_runs_total{status=\"ok\"} 1"));
}

TEST(AgentMetricsTest, SeriesNoLongerReportedDisappear) {
  AgentMetrics m;
  Result r;
  r.status = Status::ok;
  r.add_sample("probe_tls_version_info", 1, {{"version", "TLS 1.2"}});
  m.record_result(spec("www"), r);
  r.samples.clear();
  r.add_sample("probe_tls_version_info", 1, {{"version", "TLS 1.3"}});
  m.record_result(spec("www"), r);
  std::string text = m.serialize();
  EXPECT_THAT(text, Not(HasSubstr("TLS 1.2")));
  EXPECT_THAT(text, HasSubstr("TLS 1.3"));
  m.forget_check("acme/www/tls");
  EXPECT_THAT(m.serialize(), Not(HasSubstr("site=\"www\"")));
}

TEST(AgentMetricsTest, CountsFailuresByKindAndEscapesLabels) {
  AgentMetrics m;
  Result r = lookout::probes::make_result(Status::critical, FailureKind::timeout, "slow");
  r.add_sample("lookout_disk_free_bytes", 5, {{"mount", "/mnt/we\"ird\\path\n"}});
  m.record_result(spec("www"), r);
  m.record_result(spec("www"), r);
  std::string text = m.serialize();
  EXPECT_THAT(text, HasSubstr("lookout_check_failures_total{check=\"tls\",client=\"acme\",site=\"www\",type=\"tls\",kind=\"timeout\"} 2\n"));
  EXPECT_THAT(text, HasSubstr("mount=\"/mnt/we\\\"ird\\\\path\\n\""));
  EXPECT_THAT(text, HasSubstr("probe_success{check=\"tls\",client=\"acme\",site=\"www\",type=\"tls\"} 0\n"));
}

TEST(AgentMetricsTest, AWarningIsAProbeSuccessAndNotAFailure) {
  AgentMetrics m;
  Result r = lookout::probes::make_result(Status::warning, FailureKind::none, "expires in 20 days");
  m.record_result(spec("www"), r);
  std::string text = m.serialize();
  const std::string labels = "check=\"tls\",client=\"acme\",site=\"www\",type=\"tls\"";
  EXPECT_THAT(text, HasSubstr("probe_success{" + labels + "} 1\n"));
  EXPECT_THAT(text, HasSubstr("lookout_check_status{" + labels + "} 1\n"));
  EXPECT_THAT(text, Not(HasSubstr("lookout_check_failures_total{")));
}

TEST(AgentMetricsTest, EveryCriticalOrUnknownRunCountsAsAFailureWithAKind) {
  AgentMetrics m;
  // A patch check judged insecure, or an expired certificate: critical without a network failure.
  m.record_result(spec("www"), lookout::probes::make_result(Status::critical, FailureKind::none, "insecure"));
  m.record_result(spec("shop"), lookout::probes::make_result(Status::unknown, FailureKind::none, "no data"));
  m.record_result(spec("blog"), lookout::probes::make_result(Status::unknown, FailureKind::dns, "SERVFAIL"));
  std::string text = m.serialize();
  EXPECT_THAT(text, HasSubstr("site=\"www\",type=\"tls\",kind=\"assertion\"} 1\n"));
  EXPECT_THAT(text, HasSubstr("site=\"shop\",type=\"tls\",kind=\"internal\"} 1\n"));
  EXPECT_THAT(text, HasSubstr("site=\"blog\",type=\"tls\",kind=\"dns\"} 1\n"));
  EXPECT_THAT(text, HasSubstr("probe_success{check=\"tls\",client=\"acme\",site=\"shop\",type=\"tls\"} 0\n"));
}

TEST(AgentMetricsTest, ARestoredResultIsExportedWithoutCountingARun) {
  AgentMetrics m;
  lookout::config::Check check;
  check.spec = spec("www");
  Result last = lookout::probes::make_result(Status::critical, FailureKind::connect, "refused");
  last.add_sample("probe_http_status_code", 0);
  m.on_check_restored(check, last);
  std::string text = m.serialize();
  EXPECT_THAT(text, HasSubstr("lookout_check_status{check=\"tls\",client=\"acme\",site=\"www\",type=\"tls\"} 2\n"));
  EXPECT_THAT(text, HasSubstr("probe_http_status_code{check=\"tls\",client=\"acme\",site=\"www\",type=\"tls\"} 0\n"));
  EXPECT_THAT(text, Not(HasSubstr("lookout_check_failures_total{")));
  EXPECT_THAT(text, HasSubstr("lookout_check_runs_total{status=\"critical\"} 0"));
}

TEST(AgentMetricsTest, BuildInfoCarriesVersionAndRevision) {
  AgentMetrics m;
  EXPECT_THAT(m.serialize(), ::testing::ContainsRegex(
                                 "lookout_build_info\\{revision=\"([0-9a-f]+|unknown)\",version=\"[0-9.]+\"\\} 1"));
}

// Every family a probe emits has HELP and TYPE in the one list: scan the probes' sources for
// add_sample("name", ...) so that adding a metric without documenting it fails here.
TEST(AgentMetricsTest, EveryFamilyAProbeEmitsIsInTheOneList) {
  std::regex call(R"re(add_sample\(\s*"([a-z_:]+)")re");
  std::set<std::string> names;
  for (const auto& entry : std::filesystem::directory_iterator(LOOKOUT_SOURCE_DIR "/probes")) {
    if (entry.path().extension() != ".cc") continue;
    std::ifstream in(entry.path());
    std::string text((std::istreambuf_iterator<char>(in)), std::istreambuf_iterator<char>());
    for (std::sregex_iterator it(text.begin(), text.end(), call), end; it != end; ++it)
      names.insert((*it)[1]);
  }
  ASSERT_GT(names.size(), 20u);  // the scan found the probes' metrics
  for (const auto& n : names)
    EXPECT_NE(lookout::agent::find_metric_family(n), nullptr) << n << " has no entry in metric_families.h";
}

TEST(AgentMetricsTest, SpecialValuesUsePrometheusSpelling) {
  EXPECT_EQ(lookout::agent::format_sample_value(std::nan("")), "NaN");
  EXPECT_EQ(lookout::agent::format_sample_value(1.0 / 0.0), "+Inf");
  EXPECT_EQ(lookout::agent::format_sample_value(-1.0 / 0.0), "-Inf");
  EXPECT_EQ(lookout::agent::format_sample_value(0.1), "0.1");
}

}  // namespace

// A scrape of many checks comes in bounded parts (never a whole family at once), and the parts
// add up to every series exactly once, with one HELP/TYPE per family.
TEST(AgentMetricsTest, LargeExpositionIsStreamedInBoundedParts) {
  AgentMetrics m;
  const int kChecks = 4500;
  for (int i = 0; i < kChecks; ++i) {
    Result r = lookout::probes::make_result(i % 3 ? Status::ok : Status::critical,
                                            i % 3 ? FailureKind::none : FailureKind::timeout, "x");
    r.add_sample("probe_http_status_code", 200);
    m.record_result(spec("site" + std::to_string(i)), r);
  }
  AgentMetrics::Cursor cursor;
  std::string all, part;
  size_t parts = 0, largest = 0;
  while (m.write_next(cursor, part)) {
    ++parts;
    largest = std::max(largest, part.size());
    all += part;
    part.clear();
  }
  // The parts, joined, are one valid exposition (parsed by the project's text-format parser).
  size_t samples = 0;
  lookout::probes::ExpositionParser parser([&](const lookout::probes::ExpositionSample&) {
    ++samples;
    return true;
  });
  parser.feed(all);
  EXPECT_TRUE(parser.finish()) << parser.first_error();
  EXPECT_GT(samples, static_cast<size_t>(4 * kChecks));
  auto count = [&](const std::string& needle) {
    size_t n = 0;
    for (size_t pos = all.find(needle); pos != std::string::npos; pos = all.find(needle, pos + 1)) ++n;
    return n;
  };
  EXPECT_EQ(count("\nprobe_success{"), static_cast<size_t>(kChecks));
  EXPECT_EQ(count("\nprobe_http_status_code{"), static_cast<size_t>(kChecks));
  EXPECT_EQ(count("\nlookout_check_failures_total{"), static_cast<size_t>(kChecks / 3));
  EXPECT_EQ(count("# TYPE probe_success gauge"), 1u);
  EXPECT_EQ(count("# TYPE probe_http_status_code gauge"), 1u);
  EXPECT_GT(parts, 6u);                // each per-check family took several parts
  EXPECT_LT(largest, 2001u * 120u);    // no part holds more than ~2000 checks' lines
}
