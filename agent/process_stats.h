// agent::process_metrics_text: the standard process_* families that Prometheus client libraries
// export (process_cpu_seconds_total, process_resident_memory_bytes, ...), read from /proc on
// each scrape, so the agent-health dashboard shows the agent's own CPU and memory.
#pragma once

#include <optional>
#include <string>

namespace lookout::agent {

struct ProcessStats {
  double cpu_seconds = 0;         // user + system
  double resident_bytes = 0;
  double virtual_bytes = 0;
  double start_time_seconds = 0;  // Unix time
  double open_fds = 0;
  double max_fds = 0;
};

/// This process's figures; nullopt where /proc cannot be read.
std::optional<ProcessStats> read_process_stats();

/// The process_* families in the text format (empty when the stats are unavailable).
std::string process_metrics_text(const std::optional<ProcessStats>& stats);

}  // namespace lookout::agent
