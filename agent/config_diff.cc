#include "agent/config_diff.h"

#include <algorithm>
#include <map>
#include <tuple>

namespace lookout::agent {
namespace {

bool same_check(const config::Check& a, const config::Check& b) {
  const auto& x = a.spec;
  const auto& y = b.spec;
  return std::tie(x.type, x.target, x.site_url, x.interval, x.timeout, x.retry_interval) ==
             std::tie(y.type, y.target, y.site_url, y.interval, y.timeout, y.retry_interval) &&
         a.options_fingerprint == b.options_fingerprint && a.tags == b.tags;
}

std::string list(const std::vector<std::string>& keys, size_t max_keys) {
  std::string out;
  for (size_t i = 0; i < keys.size() && i < max_keys; ++i) out += (i ? ", " : "") + keys[i];
  if (keys.size() > max_keys) out += ", ...";
  return out;
}

}  // namespace

std::string ChecksDiff::to_string(size_t max_keys) const {
  std::string out;
  auto part = [&](size_t n, const char* what, const std::vector<std::string>& keys) {
    if (!out.empty()) out += ", ";
    out += std::to_string(n) + " " + what;
    if (n) out += " (" + list(keys, max_keys) + ")";
  };
  part(added.size(), "added", added);
  part(removed.size(), "removed", removed);
  part(changed.size(), "changed", changed);
  return out;
}

ChecksDiff diff_checks(const config::Config& before, const config::Config& after) {
  std::map<std::string, const config::Check*> old_checks;
  for (const auto& c : before.checks) old_checks[c->spec.key()] = c.get();
  ChecksDiff d;
  for (const auto& c : after.checks) {
    std::string key = c->spec.key();
    auto it = old_checks.find(key);
    if (it == old_checks.end()) {
      d.added.push_back(key);
      continue;
    }
    if (!same_check(*it->second, *c)) d.changed.push_back(key);
    old_checks.erase(it);
  }
  for (const auto& [key, c] : old_checks) d.removed.push_back(key);
  std::sort(d.added.begin(), d.added.end());
  std::sort(d.changed.begin(), d.changed.end());
  return d;
}

}  // namespace lookout::agent
