#include "agent/process_stats.h"

#include <filesystem>
#include <fstream>
#include <sstream>

#include <sys/resource.h>
#include <unistd.h>

#include "agent/metric_families.h"
#include "agent/metrics.h"

namespace lookout::agent {

namespace {
// The boot time, from /proc/stat's "btime" line: a process's start is counted from it.
std::optional<double> boot_time() {
  std::ifstream in("/proc/stat");
  std::string key;
  double value = 0;
  while (in >> key) {
    if (key == "btime" && in >> value) return value;
    in.ignore(1 << 20, '\n');
  }
  return std::nullopt;
}
}  // namespace

std::optional<ProcessStats> read_process_stats() {
  std::ifstream in("/proc/self/stat");
  std::string line;
  if (!std::getline(in, line)) return std::nullopt;
  // The command name (field 2) is in parentheses and may hold spaces: fields after it are
  // counted from the last ')'. utime is field 14, stime 15, starttime 22, vsize 23, rss 24.
  auto close = line.rfind(')');
  if (close == std::string::npos) return std::nullopt;
  std::istringstream rest(line.substr(close + 2));
  std::string field;
  double f[22] = {};  // fields 3..24
  for (int i = 0; i < 22 && rest >> field; ++i) {
    try {
      f[i] = std::stod(field);
    } catch (...) {
      f[i] = 0;  // the state letter (field 3)
    }
  }
  const double ticks = static_cast<double>(sysconf(_SC_CLK_TCK));
  const double page = static_cast<double>(sysconf(_SC_PAGESIZE));
  ProcessStats s;
  s.cpu_seconds = (f[14 - 3] + f[15 - 3]) / ticks;
  s.virtual_bytes = f[23 - 3];
  s.resident_bytes = f[24 - 3] * page;
  if (auto boot = boot_time()) s.start_time_seconds = *boot + f[22 - 3] / ticks;
  std::error_code ec;
  for (auto it = std::filesystem::directory_iterator("/proc/self/fd", ec);
       !ec && it != std::filesystem::directory_iterator(); it.increment(ec))
    ++s.open_fds;
  rlimit lim{};
  if (getrlimit(RLIMIT_NOFILE, &lim) == 0) s.max_fds = static_cast<double>(lim.rlim_cur);
  return s;
}

std::string process_metrics_text(const std::optional<ProcessStats>& stats) {
  if (!stats) return "";
  std::string out;
  auto add = [&](std::string_view name, double v) {
    out += family_header(name);
    out += std::string(name) + " " + format_sample_value(v) + "\n";
  };
  add("process_cpu_seconds_total", stats->cpu_seconds);
  add("process_resident_memory_bytes", stats->resident_bytes);
  add("process_virtual_memory_bytes", stats->virtual_bytes);
  add("process_start_time_seconds", stats->start_time_seconds);
  add("process_open_fds", stats->open_fds);
  add("process_max_fds", stats->max_fds);
  return out;
}

}  // namespace lookout::agent
