#include "alerting/incident_engine.h"

#include <algorithm>

namespace lookout::alerting {

std::string to_string(ChangeKind k) {
  switch (k) {
    case ChangeKind::opened: return "opened";
    case ChangeKind::updated: return "updated";
    case ChangeKind::resolved: return "resolved";
  }
  return "?";
}

std::optional<IncidentChange> IncidentEngine::on_result(const config::CheckSpec& spec,
                                                        const std::vector<std::string>& tags,
                                                        const probes::Result& result,
                                                        TimePoint now) {
  const std::string key = spec.key();
  if (result.status == probes::Status::unknown) return std::nullopt;
  const bool bad = result.status != probes::Status::ok;
  // A check gets a track at its first bad run: at 100k checks most never fail, and a track
  // each would cost ~15 MB. Flap counting starts there too, as it does after a restart.
  auto found = tracks_.find(key);
  if (found == tracks_.end() && !bad) return std::nullopt;
  Track& t = found != tracks_.end() ? found->second : tracks_[key];

  // Flap bookkeeping: changes of good/bad within the window.
  if (t.last_bad && *t.last_bad != bad) t.changes.push_back(now);
  t.last_bad = bad;
  auto stale = std::find_if(t.changes.begin(), t.changes.end(),
                           [&](TimePoint c) { return c > now - settings_.flap_window; });
  t.changes.erase(t.changes.begin(), stale);
  const bool flapping_now = static_cast<int>(t.changes.size()) > settings_.flap_changes;

  if (bad) {
    t.good = 0;
    if (t.bad++ == 0) t.first_bad = now;
  } else {
    t.bad = 0;
    ++t.good;
  }

  auto evidence = [&](Incident& i) {
    i.severity = result.status;
    i.summary = result.summary;
    i.failure = std::string(probes::to_string(result.failure));
    i.facts = result.facts;
  };

  if (!t.open) {
    if (!bad) return std::nullopt;
    if (t.bad < spec.failure_threshold && !flapping_now) return std::nullopt;
    Incident i;
    i.number = ++t.last_number;
    i.key = key;
    i.id = key + "#" + std::to_string(i.number);
    i.client = spec.client_id;
    i.site = spec.site_id;
    i.check = spec.check_id;
    i.type = spec.type;
    i.tags = tags;
    i.open = true;
    i.flapping = flapping_now;
    i.first_failure = t.first_bad.value_or(now);
    i.opened = i.updated = now;
    evidence(i);
    t.open = std::make_unique<Incident>(i);
    IncidentChange c{ChangeKind::opened, i,
                     flapping_now ? "flapping: " + std::to_string(t.changes.size()) +
                                        " state changes within the flap window"
                                  : std::to_string(t.bad) + " failed runs in a row",
                     result.status};
    return c;
  }

  Incident& i = *t.open;
  if (bad) {
    std::string reason;
    const probes::Status before = i.severity;
    if (result.status != i.severity)
      reason = "severity " + std::string(probes::to_string(i.severity)) + " -> " +
               std::string(probes::to_string(result.status));
    if (flapping_now && !i.flapping) {
      i.flapping = true;
      reason += std::string(reason.empty() ? "" : "; ") + "flapping";
    }
    evidence(i);
    if (reason.empty()) return std::nullopt;  // the same problem, still there
    i.updated = now;
    return IncidentChange{ChangeKind::updated, i, reason, before};
  }

  // A good run while open.
  if (i.flapping) {
    const bool settled = t.changes.empty() || t.changes.back() <= now - settings_.flap_window;
    if (!settled) return std::nullopt;
    if (t.good < spec.success_threshold) {
      i.flapping = false;
      i.updated = now;
      return IncidentChange{ChangeKind::updated, i, "no longer flapping", i.severity};
    }
  } else if (t.good < spec.success_threshold) {
    return std::nullopt;
  }
  i.open = false;
  i.flapping = false;
  i.resolved = now;
  i.updated = now;
  IncidentChange c{ChangeKind::resolved, i,
                   "recovered: " + std::to_string(t.good) + " ok runs in a row (" + result.summary + ")",
                   i.severity};
  t.open.reset();
  return c;
}

std::optional<IncidentChange> IncidentEngine::resolve(const std::string& key, TimePoint now,
                                                      std::string reason) {
  auto it = tracks_.find(key);
  if (it == tracks_.end() || !it->second.open) return std::nullopt;
  Incident i = *it->second.open;
  i.open = false;
  i.flapping = false;
  i.resolved = now;
  i.updated = now;
  it->second.open.reset();
  return IncidentChange{ChangeKind::resolved, i, std::move(reason), i.severity};
}

Incident& IncidentEngine::raise(Incident proto, TimePoint now) {
  Track& t = tracks_[proto.key];
  if (t.open) return *t.open;
  proto.number = ++t.last_number;
  proto.id = proto.key + "#" + std::to_string(proto.number);
  proto.open = true;
  proto.resolved.reset();
  proto.first_failure = proto.first_failure == TimePoint{} ? now : proto.first_failure;
  proto.opened = proto.updated = now;
  t.open = std::make_unique<Incident>(std::move(proto));
  return *t.open;
}

void IncidentEngine::restore(const Incident& incident) {
  Track& t = tracks_[incident.key];
  t.last_number = std::max(t.last_number, incident.number);
  if (incident.open) {
    t.open = std::make_unique<Incident>(incident);
    // Still failing as far as we know: a recovery needs success_threshold ok runs again.
    t.last_bad = true;
    t.bad = 0;
  }
}

Incident* IncidentEngine::open_incident(const std::string& key) {
  auto it = tracks_.find(key);
  if (it == tracks_.end() || !it->second.open) return nullptr;
  return &*it->second.open;
}

std::vector<Incident*> IncidentEngine::open_incidents() {
  std::vector<Incident*> out;
  for (auto& [key, t] : tracks_)
    if (t.open) out.push_back(&*t.open);
  return out;
}

}  // namespace lookout::alerting
