// agent::diff_checks: what a reload changes, for the one log line that says so.
#pragma once

#include <string>
#include <vector>

#include "config/config.h"

namespace lookout::agent {

struct ChecksDiff {
  std::vector<std::string> added, removed, changed;  // check keys, sorted
  bool empty() const { return added.empty() && removed.empty() && changed.empty(); }
  /// "2 added (acme/www/tls, ...), 1 removed (...), 0 changed" (at most `max_keys` keys each).
  std::string to_string(size_t max_keys = 5) const;
};

/// A check is changed when its spec (type, target, interval, timeout, retry_interval,
/// thresholds) or its options differ; checks are matched by key.
ChecksDiff diff_checks(const config::Config& before, const config::Config& after);

}  // namespace lookout::agent
