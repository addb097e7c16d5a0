// alerting::Inhibition: which open incident holds back another one (Alertmanager's inhibition,
// docs/alerting.md "Dependencies"). Pure logic over the config's sites and a lookup of open
// incidents; no I/O, no clock.
//
//  - While a site's `http` check (any check of type http) has an open critical incident, the
//    incidents of the same site's other checks (tls, patch, dnsbl, domain, disk, dns, ...) are
//    held: recorded, not notified.
//  - A site that declares `depends_on: [other]` is held the same way, every check of it (http
//    included), while the other site's http check has an open critical incident.
//  - Transitive through the chain: a held http incident is still an open critical one, so it
//    holds its own site's checks and the sites that depend on it.
#pragma once

#include <functional>
#include <map>
#include <memory>
#include <optional>
#include <string>
#include <vector>

#include "alerting/check_index.h"
#include "alerting/incident.h"
#include "config/config.h"

namespace lookout::alerting {

class Inhibition {
 public:
  /// The sites' dependencies from the config; their http checks from `checks`.
  void configure(const config::Config& config, std::shared_ptr<const CheckIndex> checks);

  /// The id of the open critical http incident that holds `incident` back, or nullopt.
  /// `open_incident(key)` gives the open incident of a check key (nullptr when none).
  std::optional<std::string> held_by(
      const Incident& incident,
      const std::function<const Incident*(const std::string& key)>& open_incident) const;

  /// Whether `incident` is one that holds others back (an open critical http incident).
  static bool inhibits(const Incident& incident);

 private:
  std::shared_ptr<const CheckIndex> checks_ = std::make_shared<CheckIndex>();
  std::map<std::string, std::vector<std::string>> depends_on_;   // "client/site" -> sites
};

}  // namespace lookout::alerting
