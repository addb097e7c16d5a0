// alerting::CheckIndex: the configured checks as one sorted list of keys ("client/site/check"),
// each with the one fact about its type the alerting side needs (http or not), plus the sites
// that have no check. Built once per (re)load and shared, immutable, by the connectivity guard,
// the inhibition and the maintenance scope checks: about 40 B per check in all, where a map
// entry per check in each of them cost ~30 MB at 100,000 checks (docs/benchmarks.md).
#pragma once

#include <optional>
#include <string>
#include <string_view>
#include <utility>
#include <vector>

#include "config/config.h"

namespace lookout::alerting {

class CheckIndex {
 public:
  struct Entry {
    std::string key;  // client/site/check
    bool http = false;
  };
  CheckIndex() = default;
  /// `sites`: "client/site" of every configured site (those with checks may be left out).
  explicit CheckIndex(std::vector<Entry> checks, std::vector<std::string> sites = {});
  static CheckIndex from_config(const config::Config& config);

  size_t size() const { return keys_.size(); }
  const std::string& key(size_t i) const { return keys_[i]; }
  bool http(size_t i) const { return http_[i]; }
  /// The position of a configured check key, nullopt when not configured.
  std::optional<size_t> find(std::string_view key) const;
  /// Positions [first, last) of the checks of one site ("client/site").
  std::pair<size_t, size_t> site_checks(std::string_view site) const;
  bool has_site(std::string_view site) const;

 private:
  std::vector<std::string> keys_;  // sorted: a site's checks are contiguous
  std::vector<bool> http_;
  std::vector<std::string> empty_sites_;  // sorted "client/site" of sites without checks
};

}  // namespace lookout::alerting
