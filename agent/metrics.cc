#include "agent/metrics.h"

#include <algorithm>
#include <sstream>

#include <prometheus/text_serializer.h>

#include "agent/metric_names.h"

namespace lookout::agent {
using prometheus::BuildCounter;
using prometheus::BuildGauge;
using prometheus::BuildHistogram;

namespace {
std::string help_for(const std::string& name) {
  for (const auto& m : kMetricHelp)
    if (m.name == name) return std::string(m.help);
  return "Lookout probe metric " + name;
}
}  // namespace

AgentMetrics::AgentMetrics() : registry_(std::make_shared<prometheus::Registry>()) {
  auto& r = *registry_;
  runs_family_ = &BuildCounter().Name("lookout_check_runs_total")
                      .Help("Checks completed, by resulting status").Register(r);
  failures_family_ = &BuildCounter().Name("lookout_check_failures_total")
                          .Help("Failed check runs by client, site, check and failure kind")
                          .Register(r);
  checks_configured_ = &BuildGauge().Name("lookout_checks_configured")
                            .Help("Checks in the loaded config").Register(r).Add({});
  in_flight_ = &BuildGauge().Name("lookout_checks_in_flight")
                    .Help("Checks running right now").Register(r).Add({});
  lag_ = &BuildHistogram().Name("lookout_scheduling_lag_seconds")
              .Help("Delay between a check's due time and its start").Register(r)
              .Add({}, prometheus::Histogram::BucketBoundaries{0.001, 0.005, 0.01, 0.025, 0.05, 0.1,
                                                               0.25, 0.5, 1, 2.5, 5, 10});
  missed_runs_ = &BuildCounter().Name("lookout_check_missed_runs_total")
                      .Help("Runs skipped because the previous run of the check was still going")
                      .Register(r).Add({});
  deferred_runs_ = &BuildCounter().Name("lookout_check_deferred_runs_total")
                        .Help("Runs that waited for the global or per-host in-flight limit")
                        .Register(r).Add({});
  auto& cache = BuildGauge().Name("lookout_resolver_cache_lookups")
                    .Help("DNS cache lookups since start, by result (hit, miss)").Register(r);
  resolver_hits_ = &cache.Add({{"result", "hit"}});
  resolver_misses_ = &cache.Add({{"result", "miss"}});
  reload_ok_ = &BuildGauge().Name("lookout_config_last_reload_successful")
                    .Help("Whether the last configuration reload attempt was successful")
                    .Register(r).Add({});
  reload_time_ = &BuildGauge().Name("lookout_config_last_reload_success_timestamp_seconds")
                      .Help("Timestamp of the last successful configuration reload")
                      .Register(r).Add({});
  store_queue_ = &BuildGauge().Name("lookout_store_queue_length")
                      .Help("Results waiting to be written to the state store").Register(r).Add({});
  for (const char* s : {"ok", "warning", "critical", "unknown"}) runs_family_->Add({{"status", s}});
}

prometheus::Family<prometheus::Gauge>& AgentMetrics::gauge_family(const std::string& name) {
  auto it = gauge_families_.find(name);
  if (it != gauge_families_.end()) return *it->second;
  auto& f = BuildGauge().Name(name).Help(help_for(name)).Register(*registry_);
  gauge_families_[name] = &f;
  return f;
}

void AgentMetrics::record_result(const probes::CheckSpec& spec, const probes::Result& result) {
  runs_family_->Add({{"status", std::string(to_string(result.status))}}).Increment();
  prometheus::Labels base{{"client", spec.client_id}, {"site", spec.site_id},
                          {"check", spec.check_id}, {"type", spec.type}};
  if (result.failure != probes::FailureKind::none) {
    auto labels = base;
    labels["kind"] = std::string(to_string(result.failure));
    failures_family_->Add(labels).Increment();
  }
  struct Want {
    std::string name;
    prometheus::Labels labels;
    double value;
  };
  std::vector<Want> wants;
  wants.push_back({"probe_success", base, result.status == probes::Status::ok ? 1.0 : 0.0});
  wants.push_back({"probe_duration_seconds", base, result.duration_seconds});
  wants.push_back({"lookout_check_status", base, static_cast<double>(result.status)});
  for (const auto& s : result.samples) {
    auto labels = base;
    for (const auto& [k, v] : s.labels) labels[k] = v;
    wants.push_back({s.name, std::move(labels), s.value});
  }

  std::lock_guard lock(mutex_);
  auto& current = series_by_check_[spec.key()];
  std::vector<Series> next;
  next.reserve(wants.size());
  for (auto& w : wants) {
    std::string id = w.name;
    for (const auto& [k, v] : w.labels) id += "\x1f" + k + "=" + v;
    auto found = std::find_if(current.begin(), current.end(),
                              [&](const Series& s) { return s.id == id; });
    Series s;
    if (found != current.end()) {
      s = *found;
      found->gauge = nullptr;  // kept
    } else {
      auto& family = gauge_family(w.name);
      s = Series{&family, &family.Add(w.labels), id};
    }
    s.gauge->Set(w.value);
    next.push_back(s);
  }
  for (const auto& old : current)
    if (old.gauge) old.family->Remove(old.gauge);
  current = std::move(next);
}

void AgentMetrics::forget_check(const std::string& check_key) {
  std::lock_guard lock(mutex_);
  auto it = series_by_check_.find(check_key);
  if (it == series_by_check_.end()) return;
  for (const auto& s : it->second) s.family->Remove(s.gauge);
  series_by_check_.erase(it);
}

void AgentMetrics::set_resolver_cache(double hits, double misses) {
  resolver_hits_->Set(hits);
  resolver_misses_->Set(misses);
}

void AgentMetrics::set_reload(bool ok, double timestamp) {
  reload_ok_->Set(ok ? 1 : 0);
  if (ok) reload_time_->Set(timestamp);
}

std::string AgentMetrics::serialize() const {
  std::ostringstream out;
  prometheus::TextSerializer().Serialize(out, registry_->Collect());
  return out.str();
}

}  // namespace lookout::agent
