// `lookout oncall`: the real binary reads a config and prints who is on call in each rota, who
// is next and when the hand-over is (table and --json); a bad config or --at is exit 2.
#include <gtest/gtest.h>

#include <sys/wait.h>

#include <cstdio>
#include <fstream>
#include <string>

#include <nlohmann/json.hpp>

#include "tests/support/temp_dir.h"

namespace {

struct CliRun {
  int code = -1;
  std::string out;
};

CliRun lookout(const std::string& args) {
  CliRun r;
  const std::string cmd = std::string(LOOKOUT_BINARY) + " " + args + " 2>&1";
  FILE* p = popen(cmd.c_str(), "r");
  if (!p) return r;
  char buf[4096];
  size_t n;
  while ((n = fread(buf, 1, sizeof buf, p)) > 0) r.out.append(buf, n);
  int status = pclose(p);
  r.code = WIFEXITED(status) ? WEXITSTATUS(status) : -1;
  return r;
}

const char* kConfig = R"(alerting:
  sinks:
    - {id: desk-mail, type: email, url: "smtp://127.0.0.1:2525", from: lookout@agency.example, to: desk@agency.example}
  oncall:
    members:
      - {id: alice, name: Alice, contacts: [{sink: desk-mail, address: alice@agency.example}]}
      - {id: bob, name: Bob, contacts: [{sink: desk-mail, address: bob@agency.example}]}
      - {id: carol, name: Carol, contacts: [{sink: desk-mail, address: carol@agency.example}]}
    rotas:
      - id: primary
        time_zone: Europe/London
        handover: {weekday: mon, time: "09:00"}
        start: 2026-01-05
        members: [alice, bob]
        overrides: [{member: carol, from: "2026-03-03 18:00", to: "2026-03-04 08:00"}]
clients:
  - id: acme
)";

TEST(CliOncall, TableAndJsonAcrossAnOverrideAndTheDstChange) {
  lookout::testing::TempDir dir;
  const std::string file = dir.file("lookout.yaml");
  std::ofstream(file) << kConfig;

  // Tuesday 3 March, noon: alice (turn 8) until carol's override at 18:00.
  CliRun t = lookout("oncall -c " + file + " --at '2026-03-03 12:00'");
  ASSERT_EQ(t.code, 0) << t.out;
  EXPECT_NE(t.out.find("ROTA"), std::string::npos) << t.out;
  EXPECT_NE(t.out.find("primary  Alice        2026-03-03 18:00 Tue  Carol (override)  2026-03-09 09:00 Mon  Europe/London"),
            std::string::npos) << t.out;

  // The Sunday of the spring change: bob until Monday 09:00 BST (08:00Z), then alice.
  CliRun j = lookout("oncall -c " + file + " --at 2026-03-29T01:30:00Z --json");
  ASSERT_EQ(j.code, 0) << j.out;
  auto v = nlohmann::json::parse(j.out);
  ASSERT_EQ(v.size(), 1u);
  EXPECT_EQ(v[0]["now"]["member"], "bob");
  EXPECT_EQ(v[0]["now"]["until"], "2026-03-30T08:00:00.000Z");
  EXPECT_EQ(v[0]["next"]["member"], "alice");
  EXPECT_EQ(v[0]["handover_local"], "2026-03-30 09:00 Mon");

  CliRun bad_at = lookout("oncall -c " + file + " --at soon");
  EXPECT_EQ(bad_at.code, 2);
  EXPECT_NE(bad_at.out.find("--at: bad time 'soon'"), std::string::npos) << bad_at.out;

  // A config error names the place.
  std::string broken = kConfig;
  broken.replace(broken.find("members: [alice, bob]"), 21, "members: [alice, dave]");
  std::ofstream(file) << broken;
  CliRun e = lookout("oncall -c " + file);
  EXPECT_EQ(e.code, 2);
  EXPECT_NE(e.out.find("alerting.oncall.rotas[0].members[1]: unknown member 'dave'"), std::string::npos) << e.out;
}

}  // namespace
