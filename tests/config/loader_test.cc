#include "config/loader.h"
#include "config/time_text.h"
#include "probes/probe_registry.h"

#include <gmock/gmock.h>
#include <gtest/gtest.h>

#include <filesystem>
#include <fstream>
#include <sstream>

#include "config/yaml_stream.h"
#include "tests/support/temp_dir.h"

using lookout::config::DayHours;
using lookout::config::load_config_file;
using lookout::config::load_config_text;
using ::testing::HasSubstr;

namespace lookout::config {
bool operator==(const DayHours& a, const DayHours& b) {
  return a.start_minute == b.start_minute && a.end_minute == b.end_minute;
}
}  // namespace lookout::config

namespace {

std::vector<std::string> messages(const lookout::config::LoadResult& r) {
  std::vector<std::string> out;
  for (const auto& e : r.errors.list()) out.push_back(e.to_string());
  return out;
}

TEST(ConfigLoaderTest, DemoConfigIsValid) {
  auto r = load_config_file(std::string(LOOKOUT_SOURCE_DIR) + "/config/examples/demo.yaml", lookout::probes::check_types());
  ASSERT_TRUE(r.config) << r.errors.to_string();
  EXPECT_GE(r.config->checks.size(), 8u);
  EXPECT_EQ(r.config->clients.front().hours.timezone, "Europe/London");
}

TEST(ConfigLoaderTest, ReportsEveryProblemWithFileLineColumnAndPath) {
  auto r = load_config_file(std::string(LOOKOUT_TESTDATA) + "/config/invalid-many.yaml", lookout::probes::check_types());
  ASSERT_FALSE(r.config);
  auto m = messages(r);
  const std::string f = std::string(LOOKOUT_TESTDATA) + "/config/invalid-many.yaml";
  EXPECT_THAT(m, ::testing::Contains(f + ":3:3: agent.colour: unknown key"));
  EXPECT_THAT(m, ::testing::Contains(
                     f + ":5:13: defaults.interval: bad duration '60x' (use e.g. 500ms, 10s, 5m, 1h)"));
  EXPECT_THAT(m, ::testing::Contains(HasSubstr(":8:15: clients[0].timezone: unknown time zone 'Mars/Olympus'")));
  EXPECT_THAT(m, ::testing::Contains(HasSubstr(":10:16: clients[0].business_hours.mon-fri: bad hours '9am-5pm'")));
  EXPECT_THAT(m, ::testing::Contains(HasSubstr(":13:14: clients[0].sites[0].url: bad URL 'ftp://example.test/'")));
  EXPECT_THAT(m, ::testing::Contains(HasSubstr(":17:28: clients[0].sites[0].checks[0].max_redirects: must be between 0 and 30")));
  EXPECT_THAT(m, ::testing::Contains(HasSubstr(":18:13: clients[0].sites[0].checks[0].bogus: unknown key")));
  EXPECT_THAT(m, ::testing::Contains(HasSubstr("clients[0].sites[0].checks[1].id: duplicate check id 'http'")));
  EXPECT_THAT(m, ::testing::Contains(HasSubstr(":20:19: clients[0].sites[0].checks[2].type: unknown check type 'nosuch'")));
  EXPECT_THAT(m, ::testing::Contains(HasSubstr(":21:13: clients[0].sites[1].id: duplicate site id 'www'")));
  EXPECT_THAT(m, ::testing::Contains(HasSubstr("clients[0].sites[1].checks[0].timeout: timeout 1m30s is longer than the interval 30s")));
  EXPECT_THAT(m, ::testing::Contains(HasSubstr("clients[1]: missing field 'id'")));
  // A bad site URL is reported once, at the site, not again by each check.
  int url_errors = 0;
  for (const auto& s : m) url_errors += s.find("ftp://example.test/") != std::string::npos;
  EXPECT_EQ(url_errors, 1);
}

TEST(ConfigLoaderTest, SettingsInheritAgentClientSiteCheck) {
  auto r = load_config_text(R"(
defaults:
  interval: 5m
  timeout: 20s
  http: {keyword: Shop, max_redirects: 2}
clients:
  - id: c1
    defaults: {interval: 2m, http: {keyword: Client}}
    sites:
      - id: s1
        url: http://127.0.0.1:1/
        defaults: {retry_interval: 30s}
        checks:
          - {type: http}
          - {type: http, id: fast, interval: 1m, keyword: Own}
)", "inline.yaml", lookout::probes::check_types());
  ASSERT_TRUE(r.config) << r.errors.to_string();
  ASSERT_EQ(r.config->checks.size(), 2u);
  const auto& a = r.config->checks[0]->spec;
  EXPECT_EQ(a.key(), "c1/s1/http");
  EXPECT_EQ(a.interval, std::chrono::minutes(2));
  EXPECT_EQ(a.timeout, std::chrono::seconds(20));
  EXPECT_EQ(a.retry_interval, std::chrono::seconds(30));
  EXPECT_EQ(a.target, "http://127.0.0.1:1/");
  const auto& b = r.config->checks[1]->spec;
  EXPECT_EQ(b.key(), "c1/s1/fast");
  EXPECT_EQ(b.interval, std::chrono::minutes(1));
}

TEST(ConfigLoaderTest, MaintenanceWindowsAtClientSiteAndCheckLevel) {
  auto r = load_config_text(R"(
clients:
  - id: c1
    timezone: America/New_York
    maintenance:
      - {weekly: sat-sun 02:00-04:00, reason: backups}
      - {site: s1, check: fast, monthly: last friday, time: "22:00-23:00"}
    sites:
      - id: s1
        url: http://127.0.0.1:1/
        maintenance:
          - {from: "2026-07-04 09:00", to: "2026-07-04T15:00:00Z"}
        checks:
          - type: http
            id: fast
            maintenance: [{weekly: [mon, thu], time: "22:00-01:00"}]
)", "inline.yaml", lookout::probes::check_types());
  ASSERT_TRUE(r.config) << r.errors.to_string();
  const auto& m = r.config->maintenance;
  ASSERT_EQ(m.size(), 4u);
  EXPECT_EQ(m[0].id, "config:c1:1");
  EXPECT_EQ(m[0].scope(), "c1");
  EXPECT_EQ(m[0].reason, "backups");
  EXPECT_EQ(m[1].scope(), "c1/s1/fast");
  EXPECT_EQ(m[1].ordinal, -1);
  // Listed in the order they are read: the check's own, then the site's.
  EXPECT_EQ(m[2].scope(), "c1/s1/fast");
  EXPECT_TRUE(m[2].days[0] && m[2].days[3]);
  EXPECT_EQ(m[2].end_minute, 60);
  EXPECT_EQ(m[3].scope(), "c1/s1");
  // Local 09:00 in New York (EDT) is 13:00Z; the instant with its offset stays as written.
  EXPECT_EQ(lookout::config::rfc3339(m[3].from), "2026-07-04T13:00:00.000Z");
  EXPECT_EQ(lookout::config::rfc3339(m[3].to), "2026-07-04T15:00:00.000Z");
  EXPECT_EQ(r.config->checks.size(), 1u);  // `maintenance` is not a probe option
}

TEST(ConfigLoaderTest, JsonIsAccepted) {
  auto r = load_config_text(
      R"({"clients":[{"id":"c","sites":[{"id":"s","url":"https://example.test/","checks":[{"type":"http","expect_status":["200-299","301"]}]}]}]})",
      "inline.json", lookout::probes::check_types());
  ASSERT_TRUE(r.config) << r.errors.to_string();
  EXPECT_EQ(r.config->checks.size(), 1u);
}

TEST(ConfigLoaderTest, SyntaxErrorNamesThePlace) {
  auto r = load_config_text("clients:\n  - id: [unclosed\n", "broken.yaml", lookout::probes::check_types());
  ASSERT_FALSE(r.config);
  ASSERT_EQ(r.errors.size(), 1u);
  EXPECT_THAT(r.errors.list()[0].to_string(), HasSubstr("broken.yaml:"));
  EXPECT_THAT(r.errors.list()[0].to_string(), HasSubstr("YAML syntax error"));
}

TEST(ConfigLoaderTest, BadOptionValuesAreErrors) {
  auto r = load_config_text(R"(
clients:
  - id: c
    sites:
      - id: s
        url: http://127.0.0.1/
        checks:
          - {type: http, expect_status: "abc", warn_time: 5s, crit_time: 1s, ip_version: 5}
)", "x.yaml", lookout::probes::check_types());
  auto m = messages(r);
  EXPECT_THAT(m, ::testing::Contains(HasSubstr("expect_status: expected status codes")));
  EXPECT_THAT(m, ::testing::Contains(HasSubstr("warn_time: warn_time must not exceed crit_time")));
  EXPECT_THAT(m, ::testing::Contains(HasSubstr("ip_version: expected 4, 6 or any")));
}

TEST(ConfigLoaderTest, MissingClientsIsAnError) {
  auto r = load_config_text("agent: {workers: 1}\n", "x.yaml", lookout::probes::check_types());
  ASSERT_FALSE(r.config);
  EXPECT_THAT(r.errors.to_string(), HasSubstr("missing field 'clients'"));
}

std::string with_hours(const std::string& hours) {
  return "clients:\n  - id: c\n    business_hours:\n" + hours;
}

TEST(ConfigLoaderTest, OvernightAndWholeDayHoursAreAccepted) {
  auto r = load_config_text(with_hours(R"(      mon-fri: ["09:00-12:00", "13:00-17:30"]
      thu: "22:00-06:00"
      sat: "00:00-24:00"
      sun: ["17:00-08:30", "12:00-13:00"]
)"), "hours.yaml", lookout::probes::check_types());
  ASSERT_TRUE(r.config) << r.errors.to_string();
  const auto& week = r.config->clients[0].hours.week;
  using V = std::vector<DayHours>;
  EXPECT_EQ(week[0], (V{{540, 720}, {780, 1050}}));
  // a range ending the next day: end < start, stored on the day it starts
  EXPECT_EQ(week[3], (V{{540, 720}, {780, 1050}, {1320, 360}}));
  EXPECT_EQ(week[4], (V{{540, 720}, {780, 1050}}));
  EXPECT_EQ(week[5], (V{{0, 1440}}));
  // sorted by start; Sunday's overnight range spills into Monday 00:00-08:30 without overlap
  EXPECT_EQ(week[6], (V{{720, 780}, {1020, 510}}));
}

TEST(ConfigLoaderTest, RangeEndingAtMidnightIsNotOvernight) {
  auto r = load_config_text(with_hours("      mon: \"22:00-00:00\"\n      tue: \"00:00-06:00\"\n"),
                            "hours.yaml", lookout::probes::check_types());
  ASSERT_TRUE(r.config) << r.errors.to_string();
  EXPECT_EQ(r.config->clients[0].hours.week[0], (std::vector<DayHours>{{1320, 1440}}));
}

TEST(ConfigLoaderTest, OvernightSpillOverlapsTheNextDay) {
  auto r = load_config_text(with_hours("      fri: \"22:00-06:00\"\n      sat: \"05:59-07:00\"\n"),
                            "hours.yaml", lookout::probes::check_types());
  ASSERT_FALSE(r.config);
  EXPECT_EQ(r.errors.to_string(),
            "hours.yaml:5:12: clients[0].business_hours.sat: 'sat: 05:59-07:00' overlaps "
            "'fri: 22:00-06:00' (line 4) on sat (the fri range runs past midnight)\n");
  // touching ranges do not overlap
  auto ok = load_config_text(with_hours("      fri: \"22:00-06:00\"\n      sat: \"06:00-07:00\"\n"),
                             "hours.yaml", lookout::probes::check_types());
  EXPECT_TRUE(ok.config) << ok.errors.to_string();
}

TEST(ConfigLoaderTest, HoursStartingAt24AreRejected) {
  auto r = load_config_text(with_hours("      mon: \"24:00-06:00\"\n"), "hours.yaml", lookout::probes::check_types());
  ASSERT_FALSE(r.config);
  EXPECT_THAT(r.errors.to_string(),
              HasSubstr("bad hours '24:00-06:00': a range cannot start at 24:00"));
}

TEST(ConfigLoaderTest, DuplicateKeysAreFoundWhenTheDocumentIsReadWhole) {
  // A root `defaults` after the clients makes the loader read the document a second time, whole.
  auto r = load_config_text(R"(clients:
  - id: c
    sites:
      - {id: s, url: "http://127.0.0.1/", url: "http://127.0.0.2/"}
defaults:
  interval: 5m
  interval: 6m
)", "whole.yaml", lookout::probes::check_types());
  ASSERT_FALSE(r.config);
  EXPECT_EQ(messages(r), (std::vector<std::string>{
                             "whole.yaml:4:43: clients[0].sites[0].url: duplicate key 'url' "
                             "(first at line 4, column 17)",
                             "whole.yaml:7:3: defaults.interval: duplicate key 'interval' "
                             "(first at line 6)"}));
}

TEST(ConfigLoaderTest, SameKeyInDifferentMapsIsNoDuplicate) {
  auto r = load_config_text(R"(clients:
  - id: a
    sites: [{id: s, url: "http://127.0.0.1/"}]
  - id: b
    sites: [{id: s, url: "http://127.0.0.1/"}]
)", "x.yaml", lookout::probes::check_types());
  EXPECT_TRUE(r.config) << r.errors.to_string();
}

TEST(ConfigLoaderTest, StateFileInAWritableDirectoryIsAccepted) {
  std::string dir = ::testing::TempDir();
  auto r = load_config_text("agent: {state_file: " + dir + "/state.db}\nclients: [{id: c}]\n",
                            "x.yaml", lookout::probes::check_types());
  EXPECT_TRUE(r.config) << r.errors.to_string();
}

TEST(ConfigLoaderTest, RelativeStateFileIsRelativeToTheWorkingDirectory) {
  auto r = load_config_text("agent: {state_file: no-such-dir-here/state.db}\nclients: [{id: c}]\n",
                            "x.yaml", lookout::probes::check_types());
  ASSERT_FALSE(r.config);
  EXPECT_EQ(r.errors.to_string(),
            "x.yaml:1:21: agent.state_file: directory 'no-such-dir-here' does not exist (relative "
            "to the working directory " +
                std::filesystem::current_path().string() + ")\n");
}

TEST(ConfigLoaderTest, StateFileUnderAFileIsRejected) {
  std::string file = ::testing::TempDir() + "/lookout-not-a-dir";
  std::ofstream(file) << "x";
  auto r = load_config_text("agent: {state_file: " + file + "/state.db}\nclients: [{id: c}]\n",
                            "x.yaml", lookout::probes::check_types());
  ASSERT_FALSE(r.config);
  EXPECT_THAT(r.errors.to_string(), HasSubstr("agent.state_file: '" + file + "' is not a directory"));
}

TEST(ConfigLoaderTest, SuggestsNearMissesOnly) {
  using lookout::config::suggest_key;
  const std::set<std::string> keys = {"keyword", "keyword_absent", "method", "timeout", "id"};
  EXPECT_EQ(suggest_key("kewyord", keys), "keyword");    // swapped neighbours
  EXPECT_EQ(suggest_key("keywrd", keys), "keyword");     // one deletion
  EXPECT_EQ(suggest_key("KEYWORD", keys), "keyword");    // case
  EXPECT_EQ(suggest_key("methdo_", keys), "method");     // two edits
  EXPECT_EQ(suggest_key("mthdo_", keys), "");            // three
  EXPECT_EQ(suggest_key("xy", keys), "");                // short: everything is two edits away
  EXPECT_EQ(suggest_key("colour", keys), "");
}

TEST(ConfigLoaderTest, UnknownOptionSuggestsACheckLevelKey) {
  auto r = load_config_text(R"(clients:
  - id: c
    sites:
      - id: s
        url: http://127.0.0.1/
        checks:
          - {type: http, intervall: 5m}
)", "x.yaml", lookout::probes::check_types());
  EXPECT_EQ(messages(r), (std::vector<std::string>{
                             "x.yaml:7:26: clients[0].sites[0].checks[0].intervall: unknown key "
                             "(did you mean 'interval'?)"}));
}

}  // namespace

TEST(ConfigLoaderTest, DeskAndPagerSinksTakeCredentialsFromEnvAndFile) {
  lookout::testing::TempDir dir;
  std::ofstream(dir.file("token")) << "zd-token\n";
  setenv("LOOKOUT_TEST_PD_KEY", "0123456789abcdef0123456789abcdef", 1);
  setenv("LOOKOUT_TEST_FD_KEY", "fd-key", 1);
  auto r = load_config_text(R"(
clients:
  - id: c1
    sites: []
alerting:
  sinks:
    - {id: pd, type: pagerduty, routing_key_env: LOOKOUT_TEST_PD_KEY, ticket_url: "https://l.example/t/{ref}"}
    - {id: zd, type: zendesk, url: https://acme.zendesk.com, email: agent@example.net, token_file: )" +
                                dir.file("token") + R"(, comments: public}
    - {id: fd, type: freshdesk, url: https://acme.freshdesk.com, email: desk@example.net, api_key_env: LOOKOUT_TEST_FD_KEY, rate_limit: 10,
       search_lag: 10m}
    - {id: am, type: alertmanager, url: http://127.0.0.1:9093, resend: 2m}
    - {id: mail, type: email, url: "smtp://127.0.0.1:2525", from: l@example.net, to: [a@example.net, b@example.net],
       username: l, password_env: LOOKOUT_TEST_FD_KEY, ca_file: /etc/ssl/certs/ca-certificates.crt}
  defaults: {tickets: [zd, fd], pages: [pd, am, mail]}
)", "inline.yaml", lookout::probes::check_types());
  ASSERT_TRUE(r.config) << r.errors.to_string();
  const auto& s = r.config->alerting.sinks;
  ASSERT_EQ(s.size(), 5u);
  EXPECT_EQ(s[0].url, "https://events.pagerduty.com/v2/enqueue");
  EXPECT_EQ(s[0].credential, "0123456789abcdef0123456789abcdef");
  EXPECT_EQ(s[0].credential_source, "routing_key_env");
  EXPECT_EQ(s[0].rate_limit, 120);
  EXPECT_EQ(s[1].credential, "zd-token");
  EXPECT_EQ(s[1].email, "agent@example.net");
  EXPECT_TRUE(s[1].public_comments);
  EXPECT_EQ(s[1].rate_limit, 100);
  EXPECT_EQ(s[2].credential, "fd-key");
  EXPECT_EQ(s[2].rate_limit, 10);
  EXPECT_FALSE(s[2].public_comments);
  EXPECT_EQ(s[2].search_lag, std::chrono::minutes(10));
  EXPECT_EQ(s[1].search_lag, std::chrono::minutes(5));  // the default
  EXPECT_EQ(s[3].resend, std::chrono::minutes(2));
  EXPECT_EQ(s[3].rate_limit, 0);
  EXPECT_EQ(s[4].to, (std::vector<std::string>{"a@example.net", "b@example.net"}));
  EXPECT_EQ(s[4].from, "l@example.net");
  EXPECT_EQ(s[4].username, "l");
  EXPECT_EQ(s[4].credential, "fd-key");
  EXPECT_EQ(s[4].credential_source, "password_env");
}

TEST(ConfigLoaderTest, ListenOnPortZeroLetsTheSystemPick) {
  auto r = load_config_text("agent: {listen: '127.0.0.1:0'}\nclients: [{id: c}]\n", "x.yaml",
                            lookout::probes::check_types());
  ASSERT_TRUE(r.config) << r.errors.to_string();
  EXPECT_EQ(r.config->agent.listen, "127.0.0.1:0");
  // A host without a port is still an error: port 0 has to be asked for.
  r = load_config_text("agent: {listen: '127.0.0.1'}\nclients: [{id: c}]\n", "x.yaml",
                       lookout::probes::check_types());
  EXPECT_FALSE(r.config);
}
