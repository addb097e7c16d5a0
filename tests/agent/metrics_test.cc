#include "agent/metrics.h"

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
  EXPECT_EQ(all, m.serialize());
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
