// agent::CheckHealth: one check's health as the engine owns it (status, since, consecutive
// failures, the last result), and the one rule that moves it on with each result. Pure, so the
// rule is tested directly; the engine applies it under its lock and publishes the step as a
// CheckEvent, and the store records what it is given instead of keeping its own copy.
#pragma once

#include <chrono>
#include <memory>
#include <string>

#include "config/config.h"
#include "probes/result.h"
#include "store/store.h"

namespace lookout::agent {

struct CheckHealth {
  std::shared_ptr<const config::Check> check;
  probes::Status status = probes::Status::unknown;
  std::chrono::system_clock::time_point since{};
  std::chrono::system_clock::time_point last_run{};
  /// When its worker runs it next (recorded by the worker whenever it schedules the check, so
  /// reading it costs nothing; epoch = not scheduled yet; in the past while a run is going).
  std::chrono::system_clock::time_point next_run{};
  int consecutive_failures = 0;
  std::string last_json;  // Result::to_json() text of the last run ("" = none yet); text
                          // because 100,000 JSON trees would cost far more memory
};

/// What one result did to a check's health.
struct HealthStep {
  probes::Status previous = probes::Status::unknown;  // status before the result
  bool first = false;       // the check had no result before (none run, none restored)
  bool transition = false;  // the status changed (a first result counts too)
};

/// Moves `h` on by one result: status and since on a change, last run, failures in a row, the
/// last result's text.
HealthStep advance(CheckHealth& h, const probes::Result& r);

/// A check's health as the store kept it across a restart.
CheckHealth restore_health(store::StoredState stored);

}  // namespace lookout::agent
