#include "agent/process_stats.h"

#include <chrono>
#include <fcntl.h>
#include <unistd.h>
#include <vector>

#include <gmock/gmock.h>
#include <gtest/gtest.h>

namespace lookout::agent {
namespace {

using ::testing::HasSubstr;

TEST(ProcessStatsTest, ReadsThisProcess) {
  auto s = read_process_stats();
  ASSERT_TRUE(s);
  // A test binary touches several MB; a page count mistaken for bytes would read far lower.
  EXPECT_GT(s->resident_bytes, 1e6);
  EXPECT_GE(s->virtual_bytes, s->resident_bytes);
  const double now = std::chrono::duration<double>(
                         std::chrono::system_clock::now().time_since_epoch()).count();
  EXPECT_LE(s->start_time_seconds, now + 1);
  EXPECT_GT(s->start_time_seconds, now - 3600);  // this test started within the hour
  EXPECT_GE(s->open_fds, 3);
  EXPECT_GE(s->max_fds, s->open_fds);

  // Opening files shows in open_fds; burning CPU shows in cpu_seconds.
  std::vector<int> fds;
  for (int i = 0; i < 10; ++i) fds.push_back(open("/dev/null", O_RDONLY));
  volatile double x = 0;
  auto until = std::chrono::steady_clock::now() + std::chrono::milliseconds(200);
  while (std::chrono::steady_clock::now() < until) x = x + 1;
  auto later = read_process_stats();
  ASSERT_TRUE(later);
  EXPECT_GE(later->open_fds, s->open_fds + 10);
  EXPECT_GT(later->cpu_seconds, s->cpu_seconds);
  for (int fd : fds) close(fd);
}

TEST(ProcessStatsTest, TextHasEveryFamilyWithHelpAndType) {
  ProcessStats s;
  s.cpu_seconds = 1.5;
  s.resident_bytes = 1024;
  auto text = process_metrics_text(s);
  EXPECT_THAT(text, HasSubstr("# TYPE process_cpu_seconds_total counter\nprocess_cpu_seconds_total 1.5\n"));
  EXPECT_THAT(text, HasSubstr("# HELP process_resident_memory_bytes Resident memory size in bytes.\n"));
  EXPECT_THAT(text, HasSubstr("process_resident_memory_bytes 1024\n"));
  for (const char* n : {"process_virtual_memory_bytes", "process_start_time_seconds",
                        "process_open_fds", "process_max_fds"})
    EXPECT_THAT(text, HasSubstr(std::string("# TYPE ") + n + " gauge\n"));
  EXPECT_EQ(process_metrics_text(std::nullopt), "");
}

}  // namespace
}  // namespace lookout::agent
