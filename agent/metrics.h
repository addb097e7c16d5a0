// agent::AgentMetrics: everything behind /metrics.
// The agent's own metrics live in a prometheus-cpp registry. Per-check probe series (blackbox
// names where they exist, labelled client/site/check/type) are kept compactly per check and
// written by hand in the text format: prometheus-cpp spends ~600 bytes per series, which for
// 100,000 checks x ~10 series would be most of a gigabyte. A scrape is written family by
// family so a million series never sit in memory as one string.
// Thread-safe: record_result is called from every worker thread.
#pragma once

#include <array>
#include <cstdint>
#include <map>
#include <memory>
#include <mutex>
#include <string>
#include <unordered_map>
#include <vector>

#include <prometheus/counter.h>
#include <prometheus/family.h>
#include <prometheus/gauge.h>
#include <prometheus/histogram.h>
#include <prometheus/registry.h>

#include "agent/check_events.h"
#include "probes/probe.h"
#include "probes/result.h"

namespace lookout::agent {

class AgentMetrics final : public CheckListener {
 public:
  AgentMetrics();

  // CheckListener: results, restored last results and removed checks.
  void on_check_result(const CheckEvent& e) override { record_result(e.check.spec, e.result); }
  void on_check_restored(const config::Check& check, const probes::Result& last) override {
    export_result(check.spec, last, false);
  }
  void on_check_removed(const std::string& key) override { forget_check(key); }

  /// Exports one check's result: probe_success, probe_duration_seconds, lookout_check_status,
  /// failures by kind, and the probe's own samples. Series the check no longer reports go.
  void record_result(const probes::CheckSpec& spec, const probes::Result& result);
  /// Exports a result's series without counting it as a run (a restored last result).
  void export_result(const probes::CheckSpec& spec, const probes::Result& result, bool count);
  /// Removes every series of a check that left the config.
  void forget_check(const std::string& check_key);

  void set_checks_configured(double n) { checks_configured_->Set(n); }
  void set_in_flight(double n) { in_flight_->Set(n); }
  void observe_lag(double seconds) { lag_->Observe(seconds); }
  void count_missed_run() { missed_runs_->Increment(); }
  void count_deferred_run() { deferred_runs_->Increment(); }
  void set_resolver_cache(double hits, double misses);
  void set_reload(bool ok, double timestamp);

  /// Where a streamed exposition has got to. Piece 0 is the agent's own metrics, piece 1 the
  /// failures counter, then one piece per probe metric family; a per-check piece is written a
  /// bounded number of checks at a time, so a scrape of 100k checks never builds a whole family
  /// (tens of MB) in memory, nor holds the lock the probes record under for long.
  struct Cursor {
    size_t piece = 0;
    bool started = false;         // inside a per-check piece: after_key is valid
    bool header_written = false;  // HELP/TYPE of the current piece
    std::string after_key;        // last check written
  };
  /// Appends the next part of the exposition (text format 0.0.4) to `out`; false when done.
  /// Checks added or removed meanwhile are simply included or skipped.
  bool write_next(Cursor& cursor, std::string& out) const;
  /// The whole exposition as one string (tests, small setups).
  std::string serialize() const;

 private:
  /// A series shape: metric name and its extra labels, interned (bounded by config).
  struct SeriesDef {
    uint16_t name;
    std::string extra_labels;  // ',key="value"' pairs, escaped
  };
  struct Sample {
    uint32_t def;  // index into defs_
    double value;
  };
  struct CheckSeries {
    std::string labels;  // 'check="..",client="..",site="..",type=".."'
    std::vector<Sample> samples;
    std::array<uint64_t, probes::kFailureKindCount> failures{};  // by FailureKind
  };
  uint16_t name_id(const std::string& name);  // caller holds mutex_
  uint32_t def_id(uint16_t name, std::string extra_labels);  // caller holds mutex_

  std::shared_ptr<prometheus::Registry> registry_;
  mutable std::mutex mutex_;
  std::vector<std::string> names_;  // by id
  std::unordered_map<std::string, uint16_t> name_ids_;
  std::vector<SeriesDef> defs_;
  std::unordered_map<std::string, uint32_t> def_ids_;  // name id + labels -> def
  std::map<std::string, CheckSeries> checks_;  // ordered: stable output
  prometheus::Family<prometheus::Counter>* runs_family_;
  prometheus::Gauge* checks_configured_;
  prometheus::Gauge* in_flight_;
  prometheus::Histogram* lag_;
  prometheus::Counter* missed_runs_;
  prometheus::Counter* deferred_runs_;
  prometheus::Gauge* resolver_hits_;
  prometheus::Gauge* resolver_misses_;
  prometheus::Gauge* reload_ok_;
  prometheus::Gauge* reload_time_;
};

/// Escapes a label value for the text format (backslash, double quote, newline).
std::string escape_label_value(std::string_view v);
/// Formats a sample value as Prometheus does: shortest round-trip, NaN, +Inf, -Inf.
std::string format_sample_value(double v);

}  // namespace lookout::agent
