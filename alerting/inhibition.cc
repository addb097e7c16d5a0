#include "alerting/inhibition.h"

namespace lookout::alerting {

void Inhibition::configure(const config::Config& config, std::shared_ptr<const CheckIndex> checks) {
  checks_ = checks ? std::move(checks) : std::make_shared<CheckIndex>();
  depends_on_.clear();
  for (const auto& client : config.clients)
    for (const auto& site : client.sites)
      if (!site.depends_on.empty()) depends_on_[client.id + "/" + site.id] = site.depends_on;
}

bool Inhibition::inhibits(const Incident& i) {
  return i.open && i.type == "http" && i.severity == probes::Status::critical;
}

std::optional<std::string> Inhibition::held_by(
    const Incident& incident,
    const std::function<const Incident*(const std::string& key)>& open_incident) const {
  const std::string site = incident.client + "/" + incident.site;
  auto critical_http_of = [&](const std::string& s) -> std::optional<std::string> {
    auto [first, last] = checks_->site_checks(s);
    for (size_t i = first; i < last; ++i) {
      if (!checks_->http(i)) continue;
      const std::string& key = checks_->key(i);
      if (key == incident.key) continue;
      if (const Incident* h = open_incident(key); h && inhibits(*h)) return h->id;
    }
    return std::nullopt;
  };
  if (incident.type != "http")
    if (auto id = critical_http_of(site)) return id;
  if (auto it = depends_on_.find(site); it != depends_on_.end())
    for (const auto& other : it->second)
      if (auto id = critical_http_of(other)) return id;
  return std::nullopt;
}

}  // namespace lookout::alerting
