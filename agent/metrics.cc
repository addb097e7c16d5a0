#include "agent/metrics.h"

#include <algorithm>
#include <charconv>
#include <cmath>
#include <sstream>

#include <prometheus/text_serializer.h>

#include "agent/metric_families.h"
#include "agent/version.h"

namespace lookout::agent {
using prometheus::BuildCounter;
using prometheus::BuildGauge;
using prometheus::BuildHistogram;

namespace {
std::string help_for(const std::string& name) {
  if (const auto* f = find_metric_family(name)) return std::string(f->help);
  return "Lookout probe metric " + name;  // a family missing from metric_families.h (a test fails)
}
constexpr const char* kFailures = "lookout_check_failures_total";
// HELP of an agent metric from the one list (metric_families.h).
std::string help(std::string_view name) {
  const auto* f = find_metric_family(name);
  return f ? std::string(f->help) : std::string(name);
}
}  // namespace

std::string escape_label_value(std::string_view v) {
  std::string out;
  out.reserve(v.size());
  for (char c : v) {
    if (c == '\\') out += "\\\\";
    else if (c == '"') out += "\\\"";
    else if (c == '\n') out += "\\n";
    else out += c;
  }
  return out;
}

std::string format_sample_value(double v) {
  if (std::isnan(v)) return "NaN";
  if (std::isinf(v)) return v > 0 ? "+Inf" : "-Inf";
  char buf[64];
  auto r = std::to_chars(buf, buf + sizeof buf, v);
  return std::string(buf, r.ptr);
}

AgentMetrics::AgentMetrics() : registry_(std::make_shared<prometheus::Registry>()) {
  auto& r = *registry_;
  runs_family_ = &BuildCounter().Name("lookout_check_runs_total")
                      .Help(help("lookout_check_runs_total")).Register(r);
  checks_configured_ = &BuildGauge().Name("lookout_checks_configured")
                            .Help(help("lookout_checks_configured")).Register(r).Add({});
  in_flight_ = &BuildGauge().Name("lookout_checks_in_flight")
                    .Help(help("lookout_checks_in_flight")).Register(r).Add({});
  lag_ = &BuildHistogram().Name("lookout_scheduling_lag_seconds")
              .Help(help("lookout_scheduling_lag_seconds")).Register(r)
              .Add({}, prometheus::Histogram::BucketBoundaries{0.001, 0.005, 0.01, 0.025, 0.05, 0.1,
                                                               0.25, 0.5, 1, 2.5, 5, 10});
  missed_runs_ = &BuildCounter().Name("lookout_check_missed_runs_total")
                      .Help(help("lookout_check_missed_runs_total"))
                      .Register(r).Add({});
  deferred_runs_ = &BuildCounter().Name("lookout_check_deferred_runs_total")
                        .Help(help("lookout_check_deferred_runs_total"))
                        .Register(r).Add({});
  auto& cache = BuildGauge().Name("lookout_resolver_cache_lookups")
                    .Help(help("lookout_resolver_cache_lookups")).Register(r);
  resolver_hits_ = &cache.Add({{"result", "hit"}});
  resolver_misses_ = &cache.Add({{"result", "miss"}});
  reload_ok_ = &BuildGauge().Name("lookout_config_last_reload_successful")
                    .Help(help("lookout_config_last_reload_successful"))
                    .Register(r).Add({});
  reload_time_ = &BuildGauge().Name("lookout_config_last_reload_success_timestamp_seconds")
                      .Help(help("lookout_config_last_reload_success_timestamp_seconds"))
                      .Register(r).Add({});
  for (const char* s : {"ok", "warning", "critical", "unknown"}) runs_family_->Add({{"status", s}});
  BuildGauge().Name("lookout_build_info")
      .Help(help("lookout_build_info"))
      .Register(r).Add({{"version", std::string(kVersion)}, {"revision", std::string(kRevision)}})
      .Set(1);
  std::lock_guard lock(mutex_);
  for (const char* n : {"probe_success", "probe_duration_seconds", "lookout_check_status"}) name_id(n);
}

uint16_t AgentMetrics::name_id(const std::string& name) {
  auto it = name_ids_.find(name);
  if (it != name_ids_.end()) return it->second;
  if (names_.size() >= 0xffff) return 0;  // bounded: names come from code, not from targets
  auto id = static_cast<uint16_t>(names_.size());
  names_.push_back(name);
  name_ids_.emplace(name, id);
  return id;
}

uint32_t AgentMetrics::def_id(uint16_t name, std::string extra_labels) {
  std::string key = std::to_string(name) + extra_labels;
  auto it = def_ids_.find(key);
  if (it != def_ids_.end()) return it->second;
  auto id = static_cast<uint32_t>(defs_.size());
  defs_.push_back(SeriesDef{name, std::move(extra_labels)});
  def_ids_.emplace(std::move(key), id);
  return id;
}

void AgentMetrics::record_result(const probes::CheckSpec& spec, const probes::Result& result) {
  runs_family_->Add({{"status", std::string(to_string(result.status))}}).Increment();
  export_result(spec, result, true);
}

void AgentMetrics::export_result(const probes::CheckSpec& spec, const probes::Result& result,
                                 bool count) {
  std::lock_guard lock(mutex_);
  auto& cs = checks_[spec.key()];
  if (cs.labels.empty())
    cs.labels = "check=\"" + escape_label_value(spec.check_id) + "\",client=\"" +
                escape_label_value(spec.client_id) + "\",site=\"" +
                escape_label_value(spec.site_id) + "\",type=\"" + escape_label_value(spec.type) + "\"";
  // One rule: a run counts as a failure when probe_success is 0 (critical or unknown). A verdict
  // reached by judging what was found (an expired certificate, an insecure version, a listing)
  // without a network failure counts as `assertion`; an unknown without one as `internal`.
  bool failed = result.status == probes::Status::critical || result.status == probes::Status::unknown;
  if (count && failed) {
    auto kind = result.failure != probes::FailureKind::none ? result.failure
                : result.status == probes::Status::critical ? probes::FailureKind::assertion
                                                             : probes::FailureKind::internal;
    cs.failures[static_cast<size_t>(kind)]++;
  }
  cs.samples.clear();
  cs.samples.reserve(3 + result.samples.size());
  // blackbox_exporter's meaning: the probe itself succeeded; a warning (slow, expiring soon) is
  // still a success. The verdict is lookout_check_status.
  cs.samples.push_back({def_id(0, {}), failed ? 0.0 : 1.0});
  cs.samples.push_back({def_id(1, {}), result.duration_seconds});
  cs.samples.push_back({def_id(2, {}), static_cast<double>(result.status)});
  for (const auto& s : result.samples) {
    std::string extra;
    for (const auto& [k, v] : s.labels) extra += "," + k + "=\"" + escape_label_value(v) + "\"";
    cs.samples.push_back({def_id(name_id(s.name), std::move(extra)), s.value});
  }
  cs.samples.shrink_to_fit();
}

void AgentMetrics::forget_check(const std::string& check_key) {
  std::lock_guard lock(mutex_);
  checks_.erase(check_key);
}

void AgentMetrics::set_resolver_cache(double hits, double misses) {
  resolver_hits_->Set(hits);
  resolver_misses_->Set(misses);
}

void AgentMetrics::set_reload(bool ok, double timestamp) {
  reload_ok_->Set(ok ? 1 : 0);
  if (ok) reload_time_->Set(timestamp);
}

bool AgentMetrics::write_next(Cursor& cursor, std::string& out) const {
  constexpr size_t kChecksPerPart = 2000;  // ~250 KB of text per part
  if (cursor.piece == 0) {
    std::ostringstream s;
    prometheus::TextSerializer().Serialize(s, registry_->Collect());
    out += s.str();
    cursor = Cursor{};
    cursor.piece = 1;
    return true;
  }
  std::lock_guard lock(mutex_);
  if (cursor.piece >= 2 + names_.size()) return false;
  auto it = cursor.started ? checks_.upper_bound(cursor.after_key) : checks_.begin();
  size_t written = 0;
  if (cursor.piece == 1) {
    if (!cursor.header_written) {
      out += std::string("# HELP ") + kFailures + " " + help_for(kFailures) + "\n# TYPE " +
             kFailures + " counter\n";
      cursor.header_written = true;
    }
    for (; it != checks_.end() && written < kChecksPerPart; ++it, ++written) {
      const CheckSeries& cs = it->second;
      for (size_t k = 1; k < cs.failures.size(); ++k)
        if (cs.failures[k])
          out += std::string(kFailures) + "{" + cs.labels + ",kind=\"" +
                 std::string(to_string(static_cast<probes::FailureKind>(k))) + "\"} " +
                 std::to_string(cs.failures[k]) + "\n";
    }
  } else {
    size_t id = cursor.piece - 2;
    const std::string& name = names_[id];
    for (; it != checks_.end() && written < kChecksPerPart; ++it, ++written) {
      const CheckSeries& cs = it->second;
      for (const auto& s : cs.samples) {
        const SeriesDef& def = defs_[s.def];
        if (def.name != id) continue;
        if (!cursor.header_written) {  // only families with samples get HELP/TYPE
          const auto* family = find_metric_family(name);
          out += "# HELP " + name + " " + help_for(name) + "\n# TYPE " + name + " " +
                 std::string(family ? type_name(family->type) : "gauge") + "\n";
          cursor.header_written = true;
        }
        out += name;
        out += '{';
        out += cs.labels;
        out += def.extra_labels;
        out += "} ";
        out += format_sample_value(s.value);
        out += '\n';
      }
    }
  }
  if (it == checks_.end()) {
    size_t next_piece = cursor.piece + 1;
    cursor = Cursor{};
    cursor.piece = next_piece;
  } else {
    cursor.started = true;
    cursor.after_key = std::prev(it)->first;
  }
  return true;
}

std::string AgentMetrics::serialize() const {
  std::string all;
  Cursor cursor;
  while (write_next(cursor, all)) {
  }
  return all;
}

}  // namespace lookout::agent
