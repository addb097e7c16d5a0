// alerting::ConnectivityGuard: does the agent suspect its own network? (docs/alerting.md
// "Self-connectivity guard"). Pure logic fed with canary and check results; no I/O, no clock.
//
// Suspect when either
//  - every canary (alerting.canary: URLs or hosts expected to be up, probed by the agent for
//    itself) failed its latest probe, each having been probed at least once; or
//  - more than `storm_ratio` of all configured checks are failing (their latest run critical
//    or unknown), once at least `storm_min_checks` checks are configured. Every check runs at
//    least once per interval, so "the latest run" covers the failures within one interval.
// Not suspect again as soon as neither holds (a canary answers and the share drops to the
// ratio or below) and the guard is informed: every canary probed and more than half of the
// checks reported since the agent started (so a restart during an outage does not clear the
// suspicion, and release everything held, on the first few results).
#pragma once

#include <cstdint>
#include <map>
#include <memory>
#include <string>
#include <vector>

#include "alerting/check_index.h"
#include "probes/result.h"

namespace lookout::alerting {

struct GuardSettings {
  double storm_ratio = 0.5;  // (0, 1]; 1 turns the storm rule off
  int storm_min_checks = 10;
};

class ConnectivityGuard {
 public:
  /// The canaries and the configured checks (a reload keeps what is still configured).
  void configure(GuardSettings settings, const std::vector<std::string>& canaries,
                 std::shared_ptr<const CheckIndex> checks);

  /// One canary probe: up (any answer) or down, with why.
  void on_canary(const std::string& canary, bool up, const std::string& why = "");
  /// One check result: failing is critical or unknown.
  void on_result(const std::string& key, probes::Status status);

  bool suspect() const { return canaries_down() || storm(); }
  bool canaries_down() const;
  bool informed() const;
  bool storm() const;
  /// Why suspect (or the current figures): "all 2 canaries failing (...)", "7 of 10 checks failing".
  std::string why() const;
  int failing() const { return failing_; }
  int checks() const { return static_cast<int>(state_.size()); }

 private:
  GuardSettings settings_;
  enum : uint8_t { kSeen = 1, kFailing = 2 };  // reported since start; its latest run failed
  std::shared_ptr<const CheckIndex> index_ = std::make_shared<CheckIndex>();
  std::vector<uint8_t> state_;  // per position in index_
  int failing_ = 0;
  int seen_ = 0;
  struct Canary {
    bool probed = false, up = false;
    std::string why;
  };
  std::map<std::string, Canary> canaries_;
};

}  // namespace lookout::alerting
