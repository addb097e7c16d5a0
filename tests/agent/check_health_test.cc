#include "agent/check_health.h"

#include <gtest/gtest.h>

namespace lookout::agent {
namespace {

using namespace std::chrono_literals;
using probes::Status;
using TimePoint = std::chrono::system_clock::time_point;

const TimePoint t0 = TimePoint{} + 1'700'000'000s;

probes::Result result(Status s, TimePoint at, std::string summary = "") {
  auto r = probes::make_result(s, probes::FailureKind::none, std::move(summary));
  r.started = at;
  return r;
}

TEST(CheckHealthTest, TransitionsOnlyOnStatusChange) {
  CheckHealth h;
  auto s = advance(h, result(Status::ok, t0, "up"));
  EXPECT_TRUE(s.first);
  EXPECT_TRUE(s.transition);
  EXPECT_EQ(s.previous, Status::unknown);
  EXPECT_EQ(h.since, t0);

  s = advance(h, result(Status::ok, t0 + 1min, "up"));
  EXPECT_FALSE(s.first);
  EXPECT_FALSE(s.transition);
  EXPECT_EQ(h.since, t0);
  EXPECT_EQ(h.last_run, t0 + 1min);

  s = advance(h, result(Status::critical, t0 + 2min, "HTTP 503"));
  EXPECT_TRUE(s.transition);
  EXPECT_EQ(s.previous, Status::ok);
  EXPECT_EQ(h.since, t0 + 2min);
  EXPECT_EQ(h.consecutive_failures, 1);

  s = advance(h, result(Status::warning, t0 + 3min, "slow"));
  EXPECT_TRUE(s.transition);
  EXPECT_EQ(h.consecutive_failures, 2);  // warning is not ok: the streak goes on

  s = advance(h, result(Status::ok, t0 + 4min, "HTTP 200"));
  EXPECT_EQ(s.previous, Status::warning);
  EXPECT_EQ(h.consecutive_failures, 0);
  EXPECT_EQ(h.since, t0 + 4min);
  EXPECT_EQ(nlohmann::json::parse(h.last_json)["summary"], "HTTP 200");
}

TEST(CheckHealthTest, RestoredStatusCarriesAcrossARestart) {
  store::StoredState stored;
  stored.check_key = "k";
  stored.status = Status::critical;
  stored.since = t0;
  stored.last_run = t0 + 1min;
  stored.consecutive_failures = 2;
  stored.last_result = result(Status::critical, t0 + 1min, "HTTP 503").to_json().dump();

  CheckHealth h = restore_health(stored);
  auto s = advance(h, result(Status::critical, t0 + 2min, "HTTP 503"));
  EXPECT_FALSE(s.first);
  EXPECT_FALSE(s.transition);  // still critical: only unknown -> critical was ever a change
  EXPECT_EQ(h.consecutive_failures, 3);
  EXPECT_EQ(h.since, t0);
}

TEST(CheckHealthTest, AnUnreadableStoredResultStillKeepsTheStatusItLeaves) {
  store::StoredState stored;
  stored.status = Status::critical;
  stored.since = t0;
  stored.consecutive_failures = 4;
  CheckHealth h = restore_health(stored);  // last_result "" (unreadable)
  auto s = advance(h, result(Status::ok, t0 + 5min));
  EXPECT_TRUE(s.first);
  EXPECT_EQ(s.previous, Status::critical);  // the store records critical -> ok, not unknown -> ok
  EXPECT_EQ(h.consecutive_failures, 0);
}

}  // namespace
}  // namespace lookout::agent
