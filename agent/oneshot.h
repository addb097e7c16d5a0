// One-shot checks for `lookout check`: build a probe from command-line options through the same
// option parser as the config file, run it once, return the result.
#pragma once

#include <chrono>
#include <map>
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

/// Nagios plugin output line: "HTTP OK - summary | perfdata".
std::string nagios_line(const probes::Result& result, const std::string& type);

}  // namespace lookout::agent
