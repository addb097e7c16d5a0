#include "alerting/check_index.h"

#include <algorithm>

namespace lookout::alerting {

CheckIndex::CheckIndex(std::vector<Entry> checks, std::vector<std::string> sites) {
  std::sort(checks.begin(), checks.end(), [](const Entry& a, const Entry& b) { return a.key < b.key; });
  checks.erase(std::unique(checks.begin(), checks.end(),
                           [](const Entry& a, const Entry& b) { return a.key == b.key; }),
               checks.end());
  keys_.reserve(checks.size());
  http_.reserve(checks.size());
  for (auto& e : checks) {
    keys_.push_back(std::move(e.key));
    http_.push_back(e.http);
  }
  for (auto& s : sites) {  // only the sites without checks: the others are found through them
    auto [first, last] = site_checks(s);
    if (first == last) empty_sites_.push_back(std::move(s));
  }
  std::sort(empty_sites_.begin(), empty_sites_.end());
  empty_sites_.erase(std::unique(empty_sites_.begin(), empty_sites_.end()), empty_sites_.end());
  empty_sites_.shrink_to_fit();
}

CheckIndex CheckIndex::from_config(const config::Config& config) {
  std::vector<Entry> checks;
  checks.reserve(config.checks.size());
  for (const auto& c : config.checks) checks.push_back({c->spec.key(), c->spec.type == "http"});
  std::vector<std::string> sites;
  for (const auto& client : config.clients)
    for (const auto& site : client.sites) sites.push_back(client.id + "/" + site.id);
  return CheckIndex(std::move(checks), std::move(sites));
}

std::optional<size_t> CheckIndex::find(std::string_view key) const {
  auto it = std::lower_bound(keys_.begin(), keys_.end(), key,
                             [](const std::string& a, std::string_view b) { return a < b; });
  if (it == keys_.end() || *it != key) return std::nullopt;
  return static_cast<size_t>(it - keys_.begin());
}

std::pair<size_t, size_t> CheckIndex::site_checks(std::string_view site) const {
  // Ids hold no '/', so "client/site/" prefixes exactly that site's keys, and they sort together.
  std::string prefix(site);
  prefix += '/';
  auto first = std::lower_bound(keys_.begin(), keys_.end(), prefix);
  auto last = first;
  while (last != keys_.end() && last->compare(0, prefix.size(), prefix) == 0 &&
         last->find('/', prefix.size()) == std::string::npos)  // "client/" alone is no site
    ++last;
  return {static_cast<size_t>(first - keys_.begin()), static_cast<size_t>(last - keys_.begin())};
}

bool CheckIndex::has_site(std::string_view site) const {
  auto [first, last] = site_checks(site);
  if (first != last) return true;
  return std::binary_search(empty_sites_.begin(), empty_sites_.end(), site,
                            [](std::string_view a, std::string_view b) { return a < b; });
}

}  // namespace lookout::alerting
