// agent::AgentMetrics: the Prometheus registry behind /metrics.
// Probe results map onto long-lived families (blackbox_exporter names where they exist,
// labelled client/site/check); the agent's own metrics are prefixed lookout_.
// Thread-safe: record_result is called from every worker thread.
#pragma once

#include <map>
#include <memory>
#include <mutex>
#include <string>
#include <vector>

#include <prometheus/counter.h>
#include <prometheus/family.h>
#include <prometheus/gauge.h>
#include <prometheus/histogram.h>
#include <prometheus/registry.h>

#include "probes/probe.h"
#include "probes/result.h"

namespace lookout::agent {

class AgentMetrics {
 public:
  AgentMetrics();

  /// Exports one check's result: probe_success, probe_duration_seconds, lookout_check_status,
  /// failures by kind, and the probe's own samples. Series the check no longer reports go.
  void record_result(const probes::CheckSpec& spec, const probes::Result& result);
  /// Removes every series of a check that left the config.
  void forget_check(const std::string& check_key);

  void set_checks_configured(double n) { checks_configured_->Set(n); }
  void set_in_flight(double n) { in_flight_->Set(n); }
  void observe_lag(double seconds) { lag_->Observe(seconds); }
  void count_missed_run() { missed_runs_->Increment(); }
  void count_deferred_run() { deferred_runs_->Increment(); }
  void set_resolver_cache(double hits, double misses);
  void set_reload(bool ok, double timestamp);
  void set_store_queue(double n) { store_queue_->Set(n); }

  /// Text exposition format 0.0.4.
  std::string serialize() const;
  prometheus::Registry& registry() { return *registry_; }

 private:
  struct Series {
    prometheus::Family<prometheus::Gauge>* family;
    prometheus::Gauge* gauge;
    std::string id;  // name + labels, to diff against the next result
  };
  prometheus::Family<prometheus::Gauge>& gauge_family(const std::string& name);

  std::shared_ptr<prometheus::Registry> registry_;
  std::mutex mutex_;
  std::map<std::string, prometheus::Family<prometheus::Gauge>*> gauge_families_;
  std::map<std::string, std::vector<Series>> series_by_check_;
  prometheus::Family<prometheus::Counter>* runs_family_;
  prometheus::Family<prometheus::Counter>* failures_family_;
  prometheus::Gauge* checks_configured_;
  prometheus::Gauge* in_flight_;
  prometheus::Histogram* lag_;
  prometheus::Counter* missed_runs_;
  prometheus::Counter* deferred_runs_;
  prometheus::Gauge* resolver_hits_;
  prometheus::Gauge* resolver_misses_;
  prometheus::Gauge* reload_ok_;
  prometheus::Gauge* reload_time_;
  prometheus::Gauge* store_queue_;
};

}  // namespace lookout::agent
