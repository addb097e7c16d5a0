// One-shot checks for `lookout check`: build a probe from command-line options through the same
// option parser as the config file, run it once, return the result.
#pragma once

#include <chrono>
#include <map>
#include <optional>
#include <string>
#include <vector>

#include <nlohmann/json.hpp>

#include "config/errors.h"
#include "probes/result.h"

namespace lookout::agent {

struct OneShotRequest {
  std::string type = "http";
  std::string target;
  /// option key -> values (one value for plain options, several for repeatable ones)
  std::map<std::string, std::vector<std::string>> options;
  std::chrono::milliseconds timeout{10'000};
  std::vector<std::string> resolver_servers;  // "ip[:port]"; empty = system resolver
};

struct OneShotOutcome {
  bool valid = false;          // false: the options were invalid (see errors)
  config::Errors errors{"<command line>"};
  probes::Result result;
};

OneShotOutcome run_one_check(const OneShotRequest& request);

/// The JSON printed by `lookout check --json`: Result::to_json() with the probe's facts also
/// merged at the top level, and `check_status` always the Nagios verdict.
nlohmann::json oneshot_json(const probes::Result& result, const std::string& type,
                            const std::string& target);

/// `lookout check --json` on a usage error (bad flag, missing argument, invalid option):
/// {"status":"unknown","check_status":"unknown","exit_code":3,"error":message}.
nlohmann::json usage_error_json(const std::string& message);

/// The thresholds a one-shot check is judged against, for its perfdata: the options given,
/// else the probe's defaults.
struct PerfThresholds {
  std::optional<double> warn_time, crit_time;  // http: seconds
  // tls (lifetime-aware: see net::ExpiryPolicy) and domain (days; default 30 / 7)
  std::optional<double> warn_days, crit_days, warn_fraction, crit_fraction;
  double warn_pct = 90, crit_pct = 95;                   // disk: used %
  std::optional<double> warn_free_bytes, crit_free_bytes;  // disk
};

/// From the request's options, with each probe's defaults and rules (disk: one of a warn/crit
/// pair set alone moves the other). Values that do not parse are left out (the probe rejects them).
PerfThresholds perf_thresholds(const OneShotRequest& request);

/// Performance data per the Nagios plugin guidelines, space separated:
/// 'label'=value[UOM];[warn];[crit];[min];[max]. Always `time` (and the phases); per type the
/// figures the verdict is judged on: tls/domain `days_left`, disk `'<mount> used'` (%) and
/// `'<mount> free'` (B) per mount, dnsbl `listed` and `errors`, patch `days_exposed`.
/// Thresholds where a lower value is worse are written as ranges `N:` (alert below N).
std::string perfdata(const probes::Result& result, const std::string& type,
                     const PerfThresholds& thresholds);

/// Nagios plugin output line: "HTTP OK - summary | perfdata".
std::string nagios_line(const probes::Result& result, const std::string& type,
                        const PerfThresholds& thresholds = {});

}  // namespace lookout::agent
