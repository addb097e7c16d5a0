// agent::Engine: the worker pool and scheduler.
// One io_context per worker thread; each check belongs to one worker (by hash of its key).
// Each check gets a stable offset inside its interval (hash of the key), so N checks on the
// same interval spread evenly and runs stay on a fixed wall-clock grid (no drift). While a check
// is failing it is re-run every retry_interval instead. A global in-flight limit and a per-host
// limit defer runs (counted); a run still going when the next is due counts as missed.
// Thread-safety: public methods may be called from any thread.
#pragma once

#include <atomic>
#include <chrono>
#include <map>
#include <memory>
#include <mutex>
#include <string>
#include <vector>

#include <nlohmann/json.hpp>

#include "config/config.h"
#include "probes/net/resolver.h"
#include "probes/net/tls_context.h"
#include "probes/result.h"

namespace lookout::agent {

class AgentMetrics;
class StateStore;
struct StoredState;

struct EngineOptions {
  int workers = 0;  // 0 = one per core
  int max_in_flight = 2000;
  int per_host_limit = 8;
  probes::net::ResolverOptions resolver;
};

/// Offset of a check inside its interval, from its key (stable across restarts and reloads).
std::chrono::milliseconds schedule_offset(const std::string& key, std::chrono::milliseconds interval);
/// The first grid point strictly after `after`: k * interval + offset.
std::chrono::system_clock::time_point next_on_grid(std::chrono::system_clock::time_point after,
                                                   std::chrono::milliseconds interval,
                                                   std::chrono::milliseconds offset);

class Engine {
 public:
  Engine(EngineOptions options, AgentMetrics& metrics, StateStore* store);
  ~Engine();

  /// Restores last known states (from the store) and starts the workers on `config`.
  void start(const config::Config& config, std::map<std::string, StoredState> restored);
  /// Swaps in a new config: checks with the same key keep their state and schedule.
  void apply(const config::Config& config);
  /// Stops scheduling, waits up to `grace` for running checks, then stops the workers.
  void stop(std::chrono::milliseconds grace);

  /// Current state of every check with its last result (for /api/v1/checks).
  nlohmann::json checks_json() const;
  /// The same, written as text directly (the admin API path: no tree for 100k checks).
  std::string checks_json_text() const;
  int in_flight() const { return in_flight_.load(); }
  /// DNS cache hits and misses summed over the workers.
  probes::net::ResolverStats resolver_stats() const;

 private:
  class Worker;
  friend class Worker;
  struct CheckState {
    std::shared_ptr<const config::Check> check;
    probes::Status status = probes::Status::unknown;
    std::chrono::system_clock::time_point since{};
    int consecutive_failures = 0;
    std::string last_json;  // Result::to_json() text of the last run ("" = none yet); text
                            // because 100,000 JSON trees would cost far more memory
  };

  bool try_acquire(const std::string& host);
  void release(const std::string& host);
  void on_result(const std::shared_ptr<const config::Check>& check, const probes::Result& r);
  Worker& worker_for(const std::string& key);

  EngineOptions options_;
  AgentMetrics& metrics_;
  StateStore* store_;
  probes::net::TlsContexts tls_;
  std::vector<std::unique_ptr<Worker>> workers_;
  std::atomic<int> in_flight_{0};
  std::mutex hosts_mutex_;
  std::map<std::string, int> per_host_;
  mutable std::mutex state_mutex_;
  std::map<std::string, CheckState> states_;
};

}  // namespace lookout::agent
