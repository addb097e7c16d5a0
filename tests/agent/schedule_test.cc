// agent::Schedule driven by a ManualClock: exact run times, never by sleeping.
#include "agent/schedule.h"

#include <gtest/gtest.h>

#include "config/clock.h"

namespace lookout::agent {
namespace {

using namespace std::chrono_literals;
using std::chrono::milliseconds;

std::shared_ptr<const config::Check> make_check(const std::string& id, milliseconds interval,
                                                milliseconds retry = 60s) {
  auto c = std::make_shared<config::Check>();
  c->spec.client_id = "acme";
  c->spec.site_id = "www";
  c->spec.check_id = id;
  c->spec.type = "http";
  c->spec.interval = interval;
  c->spec.retry_interval = retry;
  return c;
}

// Runs every due check at its due time (finishing it at once) while moving the clock in 100 ms
// steps up to `until`; returns the run times of `key`.
std::vector<TimePoint> drive(Schedule& s, ManualClock& clock, TimePoint until,
                             const std::string& key, bool failing = false) {
  std::vector<TimePoint> runs;
  while (clock.now() < until) {
    for (const auto& run : s.take_due(clock.now())) {
      if (run.check->spec.key() == key) runs.push_back(clock.now());
      s.finished(run.check->spec.key(), run.generation, failing, clock.now());
    }
    clock.advance(100ms);
  }
  return runs;
}

TEST(ScheduleTest, ACheckWithAResultRunsOnItsGridAtExactTimes) {
  ManualClock clock(TimePoint(std::chrono::seconds(1'800'000'000)));  // a whole minute
  Schedule s;
  auto c = make_check("http", 60s);
  std::string key = c->spec.key();
  s.assign({c}, clock.now(), {{key, RestoredRun{false, clock.now() - 30s}}});
  auto offset = schedule_offset(key, 60s);
  auto runs = drive(s, clock, clock.now() + 181s, key);
  ASSERT_EQ(runs.size(), 3u);
  // On the grid k * 60 s + offset, to the 100 ms step the test moves in.
  for (size_t i = 0; i < runs.size(); ++i) {
    auto expected = TimePoint(std::chrono::seconds(1'800'000'000)) + offset + 60s * static_cast<int>(i);
    EXPECT_GE(runs[i], expected);
    EXPECT_LT(runs[i], expected + 100ms) << "run " << i;
  }
  EXPECT_EQ(runs[1] - runs[0], 60s);
  EXPECT_EQ(runs[2] - runs[1], 60s);
}

TEST(ScheduleTest, ANewCheckRunsWithinTheWarmUpThenJoinsItsGrid) {
  TimePoint start(std::chrono::seconds(1'800'000'000));
  ManualClock clock(start);
  Schedule s(60s);
  auto c = make_check("patch", 12h);  // a long interval: its grid slot may be hours away
  std::string key = c->spec.key();
  s.assign({c}, clock.now());
  auto first = s.due_of(key);
  ASSERT_TRUE(first);
  EXPECT_GE(*first, start);
  EXPECT_LT(*first, start + 60s);
  auto runs = drive(s, clock, start + 61s, key);
  ASSERT_EQ(runs.size(), 1u);
  // then the grid: exactly offset(key) inside the 12 h interval
  auto next = s.due_of(key);
  ASSERT_TRUE(next);
  auto ms = std::chrono::duration_cast<milliseconds>(next->time_since_epoch()).count();
  EXPECT_EQ(ms % milliseconds(12h).count(), schedule_offset(key, 12h).count());
  EXPECT_LE(*next - runs[0], 12h);
}

TEST(ScheduleTest, WarmUpIsNeverLongerThanTheInterval) {
  ManualClock clock;
  Schedule s(60s);
  auto c = make_check("fast", 10s);
  s.assign({c}, clock.now());
  EXPECT_LT(*s.due_of(c->spec.key()), clock.now() + 10s);
}

TEST(ScheduleTest, TenThousandNewChecksSpreadOverTheWarmUp) {
  ManualClock clock;
  Schedule s(60s);
  std::vector<Schedule::CheckPtr> checks;
  for (int i = 0; i < 10000; ++i) checks.push_back(make_check("c" + std::to_string(i), 5min));
  s.assign(checks, clock.now());
  std::vector<int> per_second(60, 0);
  for (const auto& c : checks) {
    auto d = *s.due_of(c->spec.key()) - clock.now();
    ASSERT_LT(d, 60s);
    per_second[std::chrono::duration_cast<std::chrono::seconds>(d).count()]++;
  }
  EXPECT_LT(*std::max_element(per_second.begin(), per_second.end()), 260);  // ~167 each
  EXPECT_GT(*std::min_element(per_second.begin(), per_second.end()), 90);
}

TEST(ScheduleTest, ACheckRestoredAsFailingResumesAtItsRetryInterval) {
  TimePoint start(std::chrono::seconds(1'800'000'000));
  ManualClock clock(start);
  Schedule s;
  auto c = make_check("disk", 5min, 1min);
  std::string key = c->spec.key();
  // Its last run was 20 s before the restart: the next is 40 s after it, not at its 5 min slot.
  s.assign({c}, clock.now(), {{key, RestoredRun{true, start - 20s}}});
  EXPECT_EQ(*s.due_of(key), start + 40s);
  auto runs = drive(s, clock, start + 161s, key, /*failing=*/true);
  ASSERT_EQ(runs.size(), 3u);
  EXPECT_LT(runs[0] - (start + 40s), 100ms);
  EXPECT_EQ(runs[1] - runs[0], 60s);
  EXPECT_EQ(runs[2] - runs[1], 60s);
}

TEST(ScheduleTest, ARestoredFailureLongOverdueRunsWithinTheWarmUp) {
  TimePoint start(std::chrono::seconds(1'800'000'000));
  ManualClock clock(start);
  Schedule s(60s);
  auto c = make_check("disk", 5min, 1min);
  std::string key = c->spec.key();
  s.assign({c}, clock.now(), {{key, RestoredRun{true, start - 2h}}});
  EXPECT_GE(*s.due_of(key), start);
  EXPECT_LT(*s.due_of(key), start + 60s);
}

TEST(ScheduleTest, AFailingCheckRetriesThenReturnsToItsGridWhenOk) {
  TimePoint start(std::chrono::seconds(1'800'000'000));
  ManualClock clock(start);
  Schedule s;
  auto c = make_check("http", 5min, 30s);
  std::string key = c->spec.key();
  s.assign({c}, clock.now(), {{key, RestoredRun{false, start}}});
  auto first = *s.due_of(key);
  clock.set(first);
  auto runs = s.take_due(clock.now());
  ASSERT_EQ(runs.size(), 1u);
  s.finished(key, runs[0].generation, /*failing=*/true, clock.now());
  EXPECT_EQ(*s.due_of(key), first + 30s);
  clock.set(first + 30s);
  runs = s.take_due(clock.now());
  ASSERT_EQ(runs.size(), 1u);
  s.finished(key, runs[0].generation, /*failing=*/false, clock.now());
  EXPECT_EQ(*s.due_of(key), first + 5min);  // back on the grid
}

TEST(ScheduleTest, ARunStillGoingWhenDueCountsAMissedRun) {
  ManualClock clock;
  Schedule s;
  auto c = make_check("slow", 10s);
  std::string key = c->spec.key();
  s.assign({c}, clock.now(), {{key, RestoredRun{false, clock.now()}}});
  clock.set(*s.due_of(key));
  auto runs = s.take_due(clock.now());
  ASSERT_EQ(runs.size(), 1u);
  EXPECT_TRUE(s.is_running(key));
  clock.advance(10s);  // the next slot comes while the first run is still going
  EXPECT_TRUE(s.take_due(clock.now()).empty());
  clock.advance(500ms);
  EXPECT_EQ(s.finished(key, runs[0].generation, false, clock.now()), 1);
  EXPECT_FALSE(s.is_running(key));
  // and the next run is the next slot, not the one it missed
  EXPECT_GT(*s.due_of(key), clock.now());
  EXPECT_LE(*s.due_of(key) - clock.now(), 10s);
}

TEST(ScheduleTest, AReloadKeepsTheSlotOfAnUnchangedCheckAndPlacesANewOne) {
  ManualClock clock;
  Schedule s(60s);
  auto a = make_check("a", 60s);
  s.assign({a}, clock.now(), {{a->spec.key(), RestoredRun{false, clock.now()}}});
  auto due_a = *s.due_of(a->spec.key());
  clock.advance(5s);
  auto a2 = make_check("a", 60s);  // same key and interval after a reload
  auto b = make_check("b", 60s);   // added by the reload, never ran
  s.assign({a2, b}, clock.now());
  EXPECT_EQ(*s.due_of(a->spec.key()), due_a);
  EXPECT_LT(*s.due_of(b->spec.key()), clock.now() + 60s);
  EXPECT_EQ(s.size(), 2u);
}

}  // namespace
}  // namespace lookout::agent
