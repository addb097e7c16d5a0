// probes::Result: what one run of one check found. A value, never an exception.
#pragma once

#include <chrono>
#include <optional>
#include <string>
#include <string_view>
#include <utility>
#include <vector>

#include <nlohmann/json.hpp>

#include "net/human_duration.h"
#include "net/failure_kind.h"

namespace lookout::probes {

/// Nagios order: the numeric value is the plugin exit code.
enum class Status { ok = 0, warning = 1, critical = 2, unknown = 3 };

/// Why a check failed: the one list lives in net/failure_kind.h.
using net::FailureKind;
using net::failure_kind_from_string;
using net::kFailureKindCount;

std::string_view to_string(Status s);
using net::to_string;
std::optional<Status> status_from_string(std::string_view s);

/// The worse of two statuses (critical > warning > unknown > ok).
Status worst(Status a, Status b);

/// One metric sample a probe wants exported, beside the generic probe_* ones.
/// `labels` are extra labels on top of client/site/check; values must come from a bounded set.
struct Sample {
  std::string name;
  std::vector<std::pair<std::string, std::string>> labels;
  double value = 0;
};

struct Result {
  Status status = Status::unknown;
  FailureKind failure = FailureKind::none;
  /// One line a person can act on: "HTTP 503 from 203.0.113.7 after 84 ms".
  std::string summary;
  /// Phase durations in seconds, in the order they happened (resolve, connect, tls, ...).
  std::vector<std::pair<std::string, double>> phases;
  double duration_seconds = 0;
  std::chrono::system_clock::time_point started{};
  /// Typed facts (cert expiry, detected version, http status, ...), free-form JSON object.
  nlohmann::json facts = nlohmann::json::object();
  /// Probe-specific metric samples (blackbox names where they exist).
  std::vector<Sample> samples;

  void set_phase(std::string_view phase, double seconds);
  double phase(std::string_view phase) const;  // 0 when absent
  void add_sample(std::string name, double value,
                  std::vector<std::pair<std::string, std::string>> labels = {});
  nlohmann::json to_json() const;
  /// to_json() plus the metric samples: what the store keeps, so that a restart can export a
  /// check's last metrics at once.
  nlohmann::json to_stored_json() const;
  /// The inverse of to_stored_json() (and to_json(), without samples); nullopt when unreadable.
  static std::optional<Result> from_json_text(const std::string& text);
};

/// Convenience constructors.
Result make_result(Status s, FailureKind k, std::string summary);

using net::human_duration;

}  // namespace lookout::probes
