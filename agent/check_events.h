// agent::CheckEvent: what the engine publishes once per result. The engine is the one owner of
// each check's health (status, since, consecutive failures); metrics, the store, the log and
// (next) the incident engine listen instead of keeping their own copies.
#pragma once

#include <chrono>
#include <memory>
#include <string>

#include "config/config.h"
#include "probes/result.h"

namespace lookout::agent {

struct CheckEvent {
  const config::Check& check;
  const probes::Result& result;
  probes::Status previous = probes::Status::unknown;  // status before this result
  bool first = false;       // the check's first result ever (no stored state)
  bool transition = false;  // status changed with this result (a first result counts too)
  std::chrono::system_clock::time_point since{};  // when the check entered its current status
  int consecutive_failures = 0;                   // non-ok results in a row, this one included
};

/// Listeners are called on the worker thread that ran the check, one result at a time per
/// check; they must not block (queue any I/O).
class CheckListener {
 public:
  virtual ~CheckListener() = default;
  virtual void on_check_result(const CheckEvent& event) = 0;
  /// At start, for a check restored from the store with its last result (so a restart exports
  /// known failures at once instead of looking like a recovery).
  virtual void on_check_restored(const config::Check& /*check*/, const probes::Result& /*last*/) {}
  /// The check left the config.
  virtual void on_check_removed(const std::string& /*key*/) {}
};

}  // namespace lookout::agent
