// IncidentEngine: thresholds, severity change, flapping, unknown, ids across restarts.
#include "alerting/incident_engine.h"

#include <gtest/gtest.h>

#include "config/clock.h"

using namespace lookout;
using namespace lookout::alerting;
using namespace std::chrono_literals;
using probes::Status;

namespace {

config::CheckSpec spec(int fail = 2, int ok = 2) {
  config::CheckSpec s;
  s.client_id = "acme";
  s.site_id = "www";
  s.check_id = "http";
  s.type = "http";
  s.failure_threshold = fail;
  s.success_threshold = ok;
  return s;
}

probes::Result run(Status s, std::string summary = "HTTP 503") {
  return probes::make_result(s, s == Status::ok ? probes::FailureKind::none : probes::FailureKind::http_status,
                             std::move(summary));
}

struct Fixture : ::testing::Test {
  ManualClock clock;
  IncidentEngine engine{EngineSettings{6, 1h}};
  config::CheckSpec s = spec();
  std::optional<IncidentChange> feed(Status st, std::chrono::seconds step = 60s) {
    clock.advance(step);
    return engine.on_result(s, {"shop"}, run(st), clock.now());
  }
};

TEST_F(Fixture, OpensOnlyAfterFailureThresholdAndResolvesAfterSuccessThreshold) {
  auto first = clock.now() + 60s;
  EXPECT_FALSE(feed(Status::critical));
  auto c = feed(Status::critical);
  ASSERT_TRUE(c);
  EXPECT_EQ(c->kind, ChangeKind::opened);
  EXPECT_EQ(c->incident.id, "acme/www/http#1");
  EXPECT_EQ(c->incident.first_failure, first);
  EXPECT_EQ(c->incident.tags, std::vector<std::string>{"shop"});
  EXPECT_FALSE(feed(Status::critical));  // still the same problem: no change
  EXPECT_FALSE(feed(Status::ok));
  auto r = feed(Status::ok);
  ASSERT_TRUE(r);
  EXPECT_EQ(r->kind, ChangeKind::resolved);
  EXPECT_FALSE(r->incident.open);
  EXPECT_EQ(engine.open_incident("acme/www/http"), nullptr);
  // The next one is #2.
  feed(Status::critical);
  auto again = feed(Status::critical);
  ASSERT_TRUE(again);
  EXPECT_EQ(again->incident.id, "acme/www/http#2");
}

TEST_F(Fixture, ASingleFailureBetweenOksOpensNothing) {
  // 3 cycles = 5 changes: below the flap limit (more than 6).
  for (int i = 0; i < 3; ++i) {
    EXPECT_FALSE(feed(Status::critical));
    EXPECT_FALSE(feed(Status::ok));
  }
}

TEST_F(Fixture, ThresholdsComeFromTheSpec) {
  s = spec(3, 1);
  EXPECT_FALSE(feed(Status::warning));
  EXPECT_FALSE(feed(Status::warning));
  ASSERT_TRUE(feed(Status::warning));
  auto r = feed(Status::ok);
  ASSERT_TRUE(r);
  EXPECT_EQ(r->kind, ChangeKind::resolved);
}

TEST_F(Fixture, SeverityChangeUpdatesTheSameIncident) {
  feed(Status::warning);
  auto o = feed(Status::warning);
  ASSERT_TRUE(o);
  EXPECT_EQ(o->incident.severity, Status::warning);
  auto u = feed(Status::critical);
  ASSERT_TRUE(u);
  EXPECT_EQ(u->kind, ChangeKind::updated);
  EXPECT_EQ(u->incident.id, o->incident.id);
  EXPECT_EQ(u->incident.severity, Status::critical);
  EXPECT_EQ(u->previous_severity, Status::warning);
  EXPECT_NE(u->reason.find("warning -> critical"), std::string::npos);
}

TEST_F(Fixture, UnknownNeitherOpensNorResolves) {
  for (int i = 0; i < 5; ++i) EXPECT_FALSE(feed(Status::unknown));
  feed(Status::critical);
  ASSERT_TRUE(feed(Status::critical));
  EXPECT_FALSE(feed(Status::unknown));
  EXPECT_FALSE(feed(Status::ok));
  EXPECT_FALSE(feed(Status::unknown));  // does not break the ok streak either
  auto r = feed(Status::ok);
  ASSERT_TRUE(r);
  EXPECT_EQ(r->kind, ChangeKind::resolved);
}

TEST_F(Fixture, FlappingKeepsOneIncidentOpenUntilStableForTheWindow) {
  // bad/ok alternating: never 2 bad in a row, but 7 changes within the hour is flapping.
  std::optional<IncidentChange> opened;
  int changes = 0;
  for (int i = 0; i < 12 && !opened; ++i) {
    auto c = feed(i % 2 == 0 ? Status::critical : Status::ok);
    if (c) {
      opened = c;
      changes = i;
    }
  }
  ASSERT_TRUE(opened);
  EXPECT_EQ(opened->kind, ChangeKind::opened);
  EXPECT_TRUE(opened->incident.flapping);
  EXPECT_EQ(changes, 8);  // the first bad run after the 7th change
  // Keeps flapping for a while: no second incident, no resolve.
  for (int i = 0; i < 10; ++i) {
    auto c = feed(i % 2 == 0 ? Status::ok : Status::critical);
    EXPECT_TRUE(!c || c->kind == ChangeKind::updated) << to_string(c->kind);
  }
  // ok from now on: stays open (flapping) until an hour without change has passed.
  feed(Status::ok);
  feed(Status::ok);
  EXPECT_NE(engine.open_incident("acme/www/http"), nullptr);
  std::optional<IncidentChange> resolved;
  int minutes = 0;
  while (!resolved && minutes < 120) {
    resolved = feed(Status::ok);
    ++minutes;
  }
  ASSERT_TRUE(resolved);
  EXPECT_EQ(resolved->kind, ChangeKind::resolved);
  EXPECT_EQ(resolved->incident.id, opened->incident.id);
  EXPECT_GE(minutes, 55);  // about the window, not at once
}

TEST_F(Fixture, RestoreKeepsNumberingAndTheOpenIncident) {
  feed(Status::critical);
  auto o = feed(Status::critical);
  ASSERT_TRUE(o);
  IncidentEngine restarted{EngineSettings{}};
  restarted.restore(o->incident);
  ASSERT_NE(restarted.open_incident("acme/www/http"), nullptr);
  clock.advance(60s);
  EXPECT_FALSE(restarted.on_result(s, {}, run(Status::critical), clock.now()));
  clock.advance(60s);
  EXPECT_FALSE(restarted.on_result(s, {}, run(Status::ok), clock.now()));
  clock.advance(60s);
  auto r = restarted.on_result(s, {}, run(Status::ok), clock.now());
  ASSERT_TRUE(r);
  EXPECT_EQ(r->incident.id, "acme/www/http#1");
  auto gone = restarted.resolve("acme/www/http", clock.now(), "x");
  EXPECT_FALSE(gone);
}

}  // namespace
