#include <gtest/gtest.h>

#include <algorithm>
#include <vector>

#include "agent/schedule.h"

using lookout::agent::next_on_grid;
using lookout::agent::schedule_offset;
using namespace std::chrono;

TEST(SchedulerTest, OffsetIsStableAndInsideTheInterval) {
  auto a = schedule_offset("acme/www/http", 60s);
  EXPECT_EQ(a, schedule_offset("acme/www/http", 60s));
  EXPECT_GE(a.count(), 0);
  EXPECT_LT(a, milliseconds(60s));
  EXPECT_NE(a, schedule_offset("acme/www/tls", 60s));
}

TEST(SchedulerTest, TenThousandChecksSpreadEvenlyOverTheInterval) {
  // 10,000 checks on 60 s: every second should carry about 167 starts.
  std::vector<int> per_second(60, 0);
  for (int i = 0; i < 10000; ++i) {
    auto off = schedule_offset("client" + std::to_string(i % 97) + "/site" + std::to_string(i) + "/http", 60s);
    per_second[duration_cast<seconds>(off).count()]++;
  }
  auto [mn, mx] = std::minmax_element(per_second.begin(), per_second.end());
  // A uniform spread gives about 167 +- 13; a clumped one (all at :00) gives 10,000 in one.
  EXPECT_GT(*mn, 110);
  EXPECT_LT(*mx, 230);
}

TEST(SchedulerTest, GridPointsAreFixedSoRunsNeverDrift) {
  const auto interval = milliseconds(60s);
  const auto offset = milliseconds(12'345);
  system_clock::time_point t0(milliseconds(1'700'000'000'000));
  auto first = next_on_grid(t0, interval, offset);
  EXPECT_GT(first, t0);
  EXPECT_LE(first - t0, interval);
  EXPECT_EQ(duration_cast<milliseconds>(first.time_since_epoch()).count() % 60000, 12345);
  // Whatever time a run ends, the next due time stays on the same grid.
  auto late = first + milliseconds(4321);
  auto second = next_on_grid(late, interval, offset);
  EXPECT_EQ(second - first, interval);
  // After an hour of runs the schedule is still exactly on the grid.
  auto t = first;
  for (int i = 0; i < 60; ++i) t = next_on_grid(t + milliseconds(50), interval, offset);
  EXPECT_EQ(t - first, 60 * interval);
}
