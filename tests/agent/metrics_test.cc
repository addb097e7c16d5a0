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
