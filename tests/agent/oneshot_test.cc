// `lookout check` output: performance data per the Nagios plugin guidelines, usage errors under
// --json, and `lookout --version`.
#include "agent/oneshot.h"

#include <gmock/gmock.h>
#include <gtest/gtest.h>
#include <sys/wait.h>

#include <cstdio>
#include <regex>
#include <string>
#include <vector>

#include "agent/version.h"

using lookout::agent::nagios_line;
using lookout::agent::OneShotRequest;
using lookout::agent::perf_thresholds;
using lookout::agent::perfdata;
using lookout::agent::PerfThresholds;
using lookout::probes::Result;
using lookout::probes::Status;
using ::testing::HasSubstr;

namespace {

// One item of the guidelines' grammar: 'label'=value[UOM];[warn];[crit];[min];[max]
// A label is quoted when it holds a space, '=' or a quote (a quote inside is doubled); value is
// a number or U; UOM one of s, us, ms, %, B, KB, MB, TB, c; warn and crit are ranges
// ([@][start:][end], start may be ~); trailing empty fields may be left out.
const std::regex kPerfItem(
    R"(^(?:'(?:[^']|'')+'|[^ ='|]+)=(?:-?[0-9]+(?:\.[0-9]+)?(?:s|us|ms|%|B|KB|MB|TB|c)?|U))"
    R"((?:;(?:@?(?:(?:-?[0-9]+(?:\.[0-9]+)?|~):)?(?:-?[0-9]+(?:\.[0-9]+)?)?))"
    R"((?:;(?:@?(?:(?:-?[0-9]+(?:\.[0-9]+)?|~):)?(?:-?[0-9]+(?:\.[0-9]+)?)?))"
    R"((?:;(?:-?[0-9]+(?:\.[0-9]+)?)?(?:;(?:-?[0-9]+(?:\.[0-9]+)?)?)?)?)?)?$)");

// Splits perfdata at the spaces outside quoted labels.
std::vector<std::string> items(const std::string& perf) {
  std::vector<std::string> out(1);
  bool quoted = false;
  for (char c : perf) {
    if (c == '\'') quoted = !quoted;
    if (c == ' ' && !quoted) out.emplace_back();
    else out.back() += c;
  }
  return out;
}

void expect_grammar(const std::string& perf) {
  ASSERT_FALSE(perf.empty());
  for (const auto& item : items(perf))
    EXPECT_TRUE(std::regex_match(item, kPerfItem)) << "'" << item << "' in: " << perf;
}

Result result(double seconds, nlohmann::json facts = nlohmann::json::object()) {
  Result r;
  r.status = Status::ok;
  r.summary = "fine";
  r.duration_seconds = seconds;
  r.facts = std::move(facts);
  return r;
}

OneShotRequest request(const std::string& type,
                       std::map<std::string, std::vector<std::string>> options) {
  OneShotRequest r;
  r.type = type;
  r.options = std::move(options);
  return r;
}

TEST(PerfdataGrammarTest, RejectsWhatTheGuidelinesForbid) {
  // the regex itself must be able to fail
  for (const char* bad : {"days exposed=1", "time=1.5sec", "used=71%;80;90;0;100;7", "x=",
                          "'a'b'=1", "days_exposed=12d", "x=1;;;a"})
    EXPECT_FALSE(std::regex_match(std::string(bad), kPerfItem)) << bad;
  for (const char* good : {"time=1.502048s;1;3;0", "'/ used'=71.2%;80;90;0;100", "'it''s'=1c",
                           "days_left=U;30:;7:", "x=1;@10:20;~:5", "listed=1;;0;0"})
    EXPECT_TRUE(std::regex_match(std::string(good), kPerfItem)) << good;
}

TEST(PerfdataTest, HttpTimeWithThresholdsAndPhases) {
  Result r = result(1.502048);
  r.set_phase("resolve", 0.001);
  r.set_phase("connect", 0.0025);
  PerfThresholds t = perf_thresholds(request("http", {{"warn_time", {"1s"}}, {"crit_time", {"2500ms"}}}));
  std::string perf = perfdata(r, "http", t);
  expect_grammar(perf);
  EXPECT_EQ(perf, "time=1.502048s;1;2.5;0 resolve=0.001s;;;0 connect=0.0025s;;;0");
  // without thresholds the fields stay empty
  EXPECT_EQ(perfdata(result(0.25), "http", perf_thresholds(request("http", {}))), "time=0.25s;;;0");
}

TEST(PerfdataTest, NagiosLineEndsWithThePerfdata) {
  Result r = result(0.5);
  r.status = Status::warning;
  r.summary = "slow | very";
  EXPECT_EQ(nagios_line(r, "http", perf_thresholds(request("http", {{"warn_time", {"400ms"}}}))),
            "HTTP WARNING - slow \u00a6 very | time=0.5s;0.4;;0");
}

TEST(PerfdataTest, TlsDaysLeftWithLifetimeAwareThresholds) {
  // a 90-day certificate: warning at a quarter of its lifetime (22.5 days), critical at 7
  nlohmann::json leaf = {{"days_left", 45.5},
                         {"not_before", "2025-01-01T00:00:00Z"},
                         {"not_after", "2025-04-01T00:00:00Z"}};
  nlohmann::json chain = nlohmann::json::array(
      {{{"days_left", 400.0}, {"not_before", "2020-01-01T00:00:00Z"}, {"not_after", "2027-01-01T00:00:00Z"}}});
  Result r = result(0.2, {{"days_left", 45.5}, {"leaf", leaf}, {"chain", chain}});
  std::string perf = perfdata(r, "tls", perf_thresholds(request("tls", {})));
  expect_grammar(perf);
  EXPECT_EQ(perf, "time=0.2s;;;0 days_left=45.5;22.5:;7:");
  // set in days: used as given
  EXPECT_EQ(perfdata(r, "tls", perf_thresholds(request("tls", {{"warn_days", {"30"}}, {"crit_days", {"10"}}}))),
            "time=0.2s;;;0 days_left=45.5;30:;10:");
  // unreachable: no value, the default thresholds
  std::string none = perfdata(result(3, {{"days_left", nullptr}}), "tls", perf_thresholds(request("tls", {})));
  expect_grammar(none);
  EXPECT_EQ(none, "time=3s;;;0 days_left=U;30:;7:");
}

TEST(PerfdataTest, DomainDaysLeft) {
  Result r = result(0.1, {{"days_left", 12}});
  std::string perf = perfdata(r, "domain", perf_thresholds(request("domain", {})));
  expect_grammar(perf);
  EXPECT_EQ(perf, "time=0.1s;;;0 days_left=12;30:;7:");
  EXPECT_EQ(perfdata(r, "domain", perf_thresholds(request("domain", {{"warn_days", {"60"}}, {"crit_days", {"14"}}}))),
            "time=0.1s;;;0 days_left=12;60:;14:");
}

TEST(PerfdataTest, DiskUsedAndFreePerMount) {
  nlohmann::json mounts = nlohmann::json::array(
      {{{"mount", "/"}, {"used_pct", 71.2}, {"free_bytes", 12345.0}, {"size_bytes", 50000.0}},
       {{"mount", "/srv/it's"}, {"used_pct", 5}, {"free_bytes", 1e12}, {"size_bytes", nullptr}},
       {{"mount", "/stuck"}, {"used_pct", nullptr}, {"free_bytes", nullptr}}});
  Result r = result(0.05, {{"mounts", mounts}});
  std::string perf = perfdata(r, "disk", perf_thresholds(request("disk", {})));
  expect_grammar(perf);
  EXPECT_EQ(perf,
            "time=0.05s;;;0 '/ used'=71.2%;90;95;0;100 '/ free'=12345B;;;0;50000 "
            "'/srv/it''s used'=5%;90;95;0;100 '/srv/it''s free'=1000000000000B;;;0");
  // one of a pair alone moves the other, as in the probe; free-space thresholds alert below
  PerfThresholds t = perf_thresholds(
      request("disk", {{"crit_pct", {"50"}}, {"warn_free_bytes", {"10GiB"}}, {"crit_free_bytes", {"1000"}}}));
  EXPECT_EQ(t.warn_pct, 50);
  EXPECT_EQ(t.crit_pct, 50);
  std::string low = perfdata(result(0.05, {{"mounts", {mounts[0]}}}), "disk", t);
  expect_grammar(low);
  EXPECT_EQ(low, "time=0.05s;;;0 '/ used'=71.2%;50;50;0;100 '/ free'=12345B;10737418240:;1000:;0;50000");
}

TEST(PerfdataTest, DnsblListedCount) {
  Result r = result(0.3, {{"listed_count", 1}, {"error_count", 2}});
  std::string perf = perfdata(r, "dnsbl", perf_thresholds(request("dnsbl", {})));
  expect_grammar(perf);
  EXPECT_EQ(perf, "time=0.3s;;;0 listed=1;;0;0 errors=2;;;0");
}

TEST(PerfdataTest, PatchDaysExposedIsUnitless) {
  Result r = result(1.25, {{"days_exposed", 12.25}});
  std::string perf = perfdata(r, "patch", perf_thresholds(request("patch", {})));
  expect_grammar(perf);
  EXPECT_EQ(perf, "time=1.25s;;;0 days_exposed=12.25;;;0");
}

TEST(PerfdataTest, DnsHasTheTimeOnly) {
  Result r = result(0.004, {{"answers", {"192.0.2.1"}}});
  r.set_phase("resolve", 0.004);
  std::string perf = perfdata(r, "dns", perf_thresholds(request("dns", {})));
  expect_grammar(perf);
  EXPECT_EQ(perf, "time=0.004s;;;0 resolve=0.004s;;;0");
}

struct CliRun {
  int code = -1;
  std::string out;
};

CliRun run(const std::string& args) {
  CliRun r;
  FILE* p = ::popen((std::string(LOOKOUT_BINARY) + " " + args + " 2>/dev/null").c_str(), "r");
  if (!p) return r;
  char buf[4096];
  size_t n;
  while ((n = std::fread(buf, 1, sizeof buf, p)) > 0) r.out.append(buf, n);
  int status = ::pclose(p);
  r.code = WIFEXITED(status) ? WEXITSTATUS(status) : -1;
  return r;
}

TEST(OneShotCliTest, UsageErrorsUnderJsonAreJson) {
  for (const char* args : {"check --json --no-such-flag x http://127.0.0.1:1/",  // bad flag
                           "check --json",                                       // no target
                           "check --json --type nosuch x",                       // bad type
                           "check --json --type tls --keyword x 127.0.0.1"}) {   // wrong flag
    CliRun r = run(args);
    EXPECT_EQ(r.code, 3) << args;
    nlohmann::json j = nlohmann::json::parse(r.out, nullptr, false);
    ASSERT_TRUE(j.is_object()) << args << ": " << r.out;
    EXPECT_EQ(j.value("status", ""), "unknown") << args;
    EXPECT_EQ(j.value("exit_code", 0), 3) << args;
    EXPECT_FALSE(j.value("error", "").empty()) << args;
  }
  EXPECT_EQ(nlohmann::json::parse(run("check --json --type nosuch x").out)["error"],
            "--type: unknown check type 'nosuch'");
  // without --json: a plain message on stderr, nothing on stdout
  CliRun plain = run("check --no-such-flag x http://127.0.0.1:1/");
  EXPECT_EQ(plain.code, 3);
  EXPECT_EQ(plain.out, "");
}

TEST(OneShotCliTest, VersionNamesTheVersionAndRevision) {
  EXPECT_TRUE(std::regex_match(std::string(lookout::kVersion), std::regex(R"(\d+\.\d+\.\d+)")))
      << lookout::kVersion;
  EXPECT_TRUE(std::regex_match(std::string(lookout::kRevision), std::regex("[0-9a-f]{4,40}|unknown")))
      << lookout::kRevision;
  CliRun r = run("--version");
  EXPECT_EQ(r.code, 0);
  EXPECT_EQ(r.out, "lookout " + std::string(lookout::kVersion) + " (" +
                       std::string(lookout::kRevision) + ")\n");
}

}  // namespace
