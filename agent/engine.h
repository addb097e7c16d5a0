// agent::Engine: the worker pool, the one owner of each check's health, and the publisher of
// check events. One io_context per worker thread; each check belongs to one worker (by hash of
// its key) and is scheduled there by an agent::Schedule (fixed grid, warm-up for new checks,
// retry_interval while failing). A global in-flight limit and a per-host limit defer runs
// (counted); a run still going when the next is due counts as missed.
// Thread-safety: public methods may be called from any thread.
#pragma once

#include <atomic>
#include <chrono>
#include <map>
#include <memory>
#include <mutex>
#include <optional>
#include <string>
#include <vector>

#include <nlohmann/json.hpp>

#include "agent/check_events.h"
#include "agent/check_health.h"
#include "agent/schedule.h"
#include "config/clock.h"
#include "config/config.h"
#include "net/resolver.h"
#include "net/tls_context.h"
#include "probes/history.h"
#include "probes/result.h"
#include "store/store.h"

namespace lookout::agent {

class AgentMetrics;

struct EngineOptions {
  int workers = 0;  // 0 = one per core
  int max_in_flight = 2000;
  int per_host_limit = 8;
  net::ResolverOptions resolver;
  std::chrono::milliseconds warmup{60'000};  // first runs of new checks spread over this
};

class Engine {
 public:
  /// `history` is what probes read and write (the store in the agent); may be null in tests.
  Engine(EngineOptions options, AgentMetrics& metrics, probes::History* history,
         const Clock& clock = SystemClock::instance());
  ~Engine();

  /// Adds a listener for check events; call before start().
  void add_listener(CheckListener* listener) { listeners_.push_back(listener); }
  /// Called with each result before it is published (on the worker thread; must be quick):
  /// may add to it (the daemon marks results inside a maintenance window) and returns whether
  /// it did. Call before start().
  void set_result_annotator(std::function<bool(const config::Check&, probes::Result&)> fn) {
    annotator_ = std::move(fn);
  }

  /// Restores last known states (from the store) and starts the workers on `config`.
  void start(const config::Config& config, std::map<std::string, store::StoredState> restored);
  /// Swaps in a new config: checks with the same key keep their state and schedule.
  void apply(const config::Config& config);
  /// Stops scheduling, waits up to `grace` for running checks, then stops the workers.
  void stop(std::chrono::milliseconds grace);

  /// Calls `fn` for every check's health under the engine's lock (keep it short).
  void for_each_check(const std::function<void(const std::string&, const CheckHealth&)>& fn) const;
  std::optional<CheckHealth> check(const std::string& key) const;
  /// When a check runs next, as its worker last recorded it (nullopt: unknown or unscheduled).
  std::optional<std::chrono::system_clock::time_point> next_run(const std::string& key) const;

  int in_flight() const { return in_flight_.load(); }
  /// DNS cache hits and misses summed over the workers.
  net::ResolverStats resolver_stats() const;
  const Clock& clock() const { return clock_; }

 private:
  class Worker;
  friend class Worker;

  bool try_acquire(const std::string& host);
  void release(const std::string& host);
  /// Updates the check's health and publishes the event; returns whether it is now failing
  /// (nullopt when the check was removed or replaced meanwhile).
  std::optional<bool> on_result(const std::shared_ptr<const config::Check>& check,
                                const probes::Result& r);
  /// Records next due times from a worker's schedule (under the state lock; skips checks that
  /// were removed or replaced meanwhile).
  void record_next_runs(const std::vector<std::shared_ptr<const config::Check>>& checks,
                        const Schedule& schedule);
  Worker& worker_for(const std::string& key);
  std::map<std::string, RestoredRun> known_runs(const config::Config& config) const;

  EngineOptions options_;
  AgentMetrics& metrics_;
  probes::History* history_;
  const Clock& clock_;
  std::vector<CheckListener*> listeners_;
  std::function<bool(const config::Check&, probes::Result&)> annotator_;
  net::TlsContexts tls_;
  std::vector<std::unique_ptr<Worker>> workers_;
  std::atomic<int> in_flight_{0};
  std::mutex hosts_mutex_;
  std::map<std::string, int> per_host_;
  mutable std::mutex state_mutex_;
  std::map<std::string, CheckHealth> states_;
};

}  // namespace lookout::agent
