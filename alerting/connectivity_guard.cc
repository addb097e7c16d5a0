#include "alerting/connectivity_guard.h"

#include <cstdio>

namespace lookout::alerting {

void ConnectivityGuard::configure(GuardSettings settings, const std::vector<std::string>& canaries,
                                  std::shared_ptr<const CheckIndex> checks) {
  settings_ = settings;
  if (!checks) checks = std::make_shared<CheckIndex>();
  std::vector<uint8_t> state(checks->size(), 0);
  failing_ = seen_ = 0;
  for (size_t i = 0; i < checks->size(); ++i) {
    if (auto old = index_->find(checks->key(i))) state[i] = state_[*old];
    failing_ += (state[i] & kFailing) ? 1 : 0;
    seen_ += (state[i] & kSeen) ? 1 : 0;
  }
  index_ = std::move(checks);
  state_ = std::move(state);
  std::map<std::string, Canary> kept;
  for (const auto& c : canaries) {
    auto it = canaries_.find(c);
    kept[c] = it == canaries_.end() ? Canary{} : it->second;
  }
  canaries_ = std::move(kept);
}

void ConnectivityGuard::on_canary(const std::string& canary, bool up, const std::string& why) {
  auto it = canaries_.find(canary);
  if (it == canaries_.end()) return;
  it->second = Canary{true, up, why};
}

void ConnectivityGuard::on_result(const std::string& key, probes::Status status) {
  auto i = index_->find(key);
  if (!i) return;
  uint8_t& s = state_[*i];
  const bool failing = status == probes::Status::critical || status == probes::Status::unknown;
  if (failing != bool(s & kFailing)) failing_ += failing ? 1 : -1;
  if (!(s & kSeen)) ++seen_;
  s = static_cast<uint8_t>(kSeen | (failing ? kFailing : 0));
}

bool ConnectivityGuard::canaries_down() const {
  if (canaries_.empty()) return false;
  for (const auto& [name, c] : canaries_)
    if (!c.probed || c.up) return false;
  return true;
}

bool ConnectivityGuard::informed() const {
  for (const auto& [name, c] : canaries_)
    if (!c.probed) return false;
  return checks() == 0 || seen_ * 2 > checks();
}

bool ConnectivityGuard::storm() const {
  const int n = checks();
  if (n == 0 || n < settings_.storm_min_checks) return false;
  return static_cast<double>(failing_) > settings_.storm_ratio * n;
}

std::string ConnectivityGuard::why() const {
  std::string out;
  if (canaries_down()) {
    out = "all " + std::to_string(canaries_.size()) + " canaries failing";
    std::string first;
    for (const auto& [name, c] : canaries_) {
      out += (first.empty() ? " (" : "; ") + name + (c.why.empty() ? "" : ": " + c.why);
      first = name;
    }
    out += ")";
  }
  const int n = checks();
  char ratio[64];
  std::snprintf(ratio, sizeof ratio, "%.0f%%", settings_.storm_ratio * 100);
  std::string share = std::to_string(failing_) + " of " + std::to_string(n) + " checks failing";
  if (storm()) {
    out += (out.empty() ? "" : "; ") + share + " (more than " + ratio + ")";
  } else if (out.empty()) {
    out = share + " (storm at more than " + ratio + ")";
  }
  return out;
}

}  // namespace lookout::alerting
