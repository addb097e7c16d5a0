// config::CheckSpec: everything the config says about one check, after inheritance. Plain data,
// immutable once built; probes read it, the scheduler and the store key on it.
#pragma once

#include <chrono>
#include <string>

namespace lookout::config {

struct CheckSpec {
  std::string client_id;
  std::string site_id;
  std::string check_id;
  std::string type;
  std::string site_url;  // the site's URL; may be empty for one-shot checks
  std::string target;    // what to probe (URL, host[:port], name, path...), defaulted per type
  std::chrono::milliseconds interval{60'000};
  std::chrono::milliseconds timeout{10'000};
  std::chrono::milliseconds retry_interval{60'000};
  /// Incident confirmation (alerting): consecutive non-ok runs before an incident opens, and
  /// consecutive ok runs before it resolves. Inherited like `interval`.
  int failure_threshold = 2;
  int success_threshold = 2;
  /// "client/site/check": the stable key used by the store and the scheduler.
  std::string key() const { return client_id + "/" + site_id + "/" + check_id; }
};

}  // namespace lookout::config
