#include "alerting/oncall.h"

#include <algorithm>

#include <date/tz.h>

#include "config/time_text.h"

namespace lookout::alerting {
namespace {

const date::time_zone* zone_of(const config::Rota& r) {
  try {
    return date::locate_zone(r.time_zone);
  } catch (const std::exception&) {
    return date::locate_zone("UTC");
  }
}

int64_t floor_div(int64_t a, int64_t b) { return a / b - ((a % b != 0) && ((a < 0) != (b < 0))); }

// The local date of the first hand-over: the hand-over weekday on or after `start`.
date::local_days anchor_day(const config::Rota& r) {
  const date::local_days start{date::days(r.start_day)};
  const unsigned iso = date::weekday(start).iso_encoding();  // Mon 1 .. Sun 7
  const int offset = (r.handover_weekday + 1 - static_cast<int>(iso) + 7) % 7;
  return start + date::days(offset);
}

// A local wall time to an instant: a time in a gap moves to the end of the gap; an ambiguous
// one is its first occurrence.
OncallTime to_instant(const date::time_zone& zone, date::local_time<std::chrono::minutes> local) {
  auto info = zone.get_info(local);
  if (info.result == date::local_info::nonexistent)
    return std::chrono::time_point_cast<OncallTime::duration>(info.first.end);
  return std::chrono::time_point_cast<OncallTime::duration>(zone.to_sys(local, date::choose::earliest));
}

// The override in force at t (the later listed wins), or null.
const config::OncallOverride* override_at(const config::Rota& r, OncallTime t) {
  for (auto it = r.overrides.rbegin(); it != r.overrides.rend(); ++it)
    if (it->from <= t && t < it->to) return &*it;
  return nullptr;
}

// The first instant after t at which the rotation or an override may change hands.
OncallTime boundary_after(const config::Rota& r, OncallTime t) {
  OncallTime b = next_handover(r, t);
  for (const auto& o : r.overrides) {
    if (o.from > t) b = std::min(b, o.from);
    if (o.to > t) b = std::min(b, o.to);
  }
  return b;
}

// The last instant at or before t at which hands may have changed (nullopt: none).
std::optional<OncallTime> boundary_at_or_before(const config::Rota& r, OncallTime t) {
  std::optional<OncallTime> b;
  if (auto k = turn_at(r, t)) b = handover_at(r, *k);
  for (const auto& o : r.overrides)
    for (OncallTime e : {o.from, o.to})
      if (e <= t && (!b || e > *b)) b = e;
  return b;
}

constexpr int kSearchLimit = 200;  // boundaries walked to find a change (about 4 years of weeks)

std::optional<OncallTime> change_after(const config::Rota& r, OncallTime t) {
  const auto who = on_call(r, t);
  OncallTime cur = t;
  for (int i = 0; i < kSearchLimit; ++i) {
    cur = boundary_after(r, cur);
    if (on_call(r, cur) != who) return cur;
  }
  return std::nullopt;
}

OncallTime change_at_or_before(const config::Rota& r, OncallTime t) {
  const auto who = on_call(r, t);
  OncallTime cur = t;
  for (int i = 0; i < kSearchLimit; ++i) {
    auto b = boundary_at_or_before(r, cur);
    if (!b) return OncallTime{};
    const OncallTime before = *b - std::chrono::milliseconds(1);
    if (on_call(r, before) != who) return *b;
    cur = before;
  }
  return cur;
}

std::string local_text(const config::Rota& r, OncallTime t) {
  auto local = zone_of(r)->to_local(std::chrono::time_point_cast<std::chrono::minutes>(t));
  return date::format("%Y-%m-%d %H:%M %a", local);
}

nlohmann::json shift_json(const config::OncallSettings& o, const config::Rota& r, const Shift& s) {
  // No earlier change (before the rota's first hand-over): the shift has no known start.
  const bool from_known = s.from != OncallTime{};
  nlohmann::json j = {{"member", nullptr}, {"name", nullptr},
                      {"from", from_known ? nlohmann::json(config::rfc3339(s.from)) : nlohmann::json(nullptr)},
                      {"from_local", from_known ? nlohmann::json(local_text(r, s.from)) : nlohmann::json(nullptr)},
                      {"until", s.to ? nlohmann::json(config::rfc3339(*s.to)) : nlohmann::json(nullptr)},
                      {"until_local", s.to ? nlohmann::json(local_text(r, *s.to)) : nlohmann::json(nullptr)},
                      {"override", s.override_}};
  if (s.member) {
    j["member"] = *s.member;
    const auto* m = find_member(o, *s.member);
    j["name"] = m ? m->name : *s.member;
  }
  return j;
}

}  // namespace

OncallTime handover_at(const config::Rota& r, int64_t k) {
  const date::local_days day = anchor_day(r) + date::days(7 * k);
  return to_instant(*zone_of(r), day + std::chrono::minutes(r.handover_minute));
}

std::optional<int64_t> turn_at(const config::Rota& r, OncallTime t) {
  const auto local = zone_of(r)->to_local(t);
  const int64_t diff = (date::floor<date::days>(local) - anchor_day(r)).count();
  for (int64_t k = floor_div(diff, 7) + 1; k >= floor_div(diff, 7) - 1; --k)
    if (handover_at(r, k) <= t) return k < 0 ? std::nullopt : std::optional<int64_t>(k);
  return std::nullopt;
}

OncallTime next_handover(const config::Rota& r, OncallTime t) {
  auto k = turn_at(r, t);
  if (!k) return handover_at(r, 0) > t ? handover_at(r, 0) : handover_at(r, 1);
  return handover_at(r, *k + 1);
}

std::optional<std::string> on_call(const config::Rota& r, OncallTime t) {
  if (const auto* o = override_at(r, t)) return o->member;
  if (r.members.empty()) return std::nullopt;
  auto k = turn_at(r, t);
  if (!k) return std::nullopt;
  return r.members[static_cast<size_t>(*k % static_cast<int64_t>(r.members.size()))];
}

RotaView rota_view(const config::Rota& r, OncallTime t) {
  RotaView v;
  v.now.member = on_call(r, t);
  v.now.override_ = override_at(r, t) != nullptr;
  v.now.from = change_at_or_before(r, t);
  v.now.to = change_after(r, t);
  v.next_handover = next_handover(r, t);
  if (v.now.to) {
    Shift n;
    n.member = on_call(r, *v.now.to);
    n.override_ = override_at(r, *v.now.to) != nullptr;
    n.from = *v.now.to;
    n.to = change_after(r, *v.now.to);
    v.next = n;
  }
  return v;
}

const config::Rota* find_rota(const config::OncallSettings& o, const std::string& id) {
  for (const auto& r : o.rotas)
    if (r.id == id) return &r;
  return nullptr;
}

const config::OncallMember* find_member(const config::OncallSettings& o, const std::string& id) {
  for (const auto& m : o.members)
    if (m.id == id) return &m;
  return nullptr;
}

std::vector<std::string> step_members(const config::OncallSettings& o, const std::string& target,
                                      OncallTime t) {
  if (target.rfind("member:", 0) == 0) {
    const std::string id = target.substr(7);
    if (find_member(o, id)) return {id};
    return {};
  }
  if (target.rfind("rota:", 0) == 0)
    if (const auto* r = find_rota(o, target.substr(5)))
      if (auto m = on_call(*r, t)) return {*m};
  return {};
}

nlohmann::json oncall_json(const config::OncallSettings& o, OncallTime t) {
  nlohmann::json out = nlohmann::json::array();
  for (const auto& r : o.rotas) {
    RotaView v = rota_view(r, t);
    out.push_back({{"rota", r.id},
                   {"time_zone", r.time_zone},
                   {"at", config::rfc3339(t)},
                   {"now", shift_json(o, r, v.now)},
                   {"next", v.next ? shift_json(o, r, *v.next) : nlohmann::json(nullptr)},
                   {"handover", config::rfc3339(v.next_handover)},
                   {"handover_local", local_text(r, v.next_handover)}});
  }
  return out;
}

OncallTime EscalationState::due_of(int l, int s) const {
  return started + l * policy.repeat_after + policy.steps[static_cast<size_t>(s)].after;
}

void EscalationState::advance() {
  if (++step >= static_cast<int>(policy.steps.size())) {
    step = 0;
    ++loop;
  }
  if (policy.steps.empty() || loop > policy.repeat) due.reset();
  else due = due_of(loop, step);
}

EscalationState EscalationState::begin(const config::Escalation& policy, OncallTime now) {
  EscalationState s;
  s.policy = policy;
  s.started = now;
  if (!policy.steps.empty()) s.due = s.due_of(0, 0);
  return s;
}

nlohmann::json EscalationState::to_json() const {
  nlohmann::json steps = nlohmann::json::array();
  for (const auto& st : policy.steps) steps.push_back({{"after_ms", st.after.count()}, {"target", st.target}});
  return {{"policy", {{"steps", steps}, {"repeat", policy.repeat}, {"repeat_after_ms", policy.repeat_after.count()}}},
          {"started", config::rfc3339(started)},
          {"loop", loop},
          {"step", step},
          {"due", due ? nlohmann::json(config::rfc3339(*due)) : nlohmann::json(nullptr)},
          {"stopped", stopped.empty() ? nlohmann::json(nullptr) : nlohmann::json(stopped)},
          {"paged", paged}};
}

std::optional<EscalationState> EscalationState::from_json(const nlohmann::json& j) {
  if (!j.is_object()) return std::nullopt;
  try {
    EscalationState s;
    const auto& p = j.at("policy");
    for (const auto& st : p.at("steps"))
      s.policy.steps.push_back({std::chrono::milliseconds(st.at("after_ms").get<int64_t>()),
                                st.at("target").get<std::string>()});
    s.policy.repeat = p.value("repeat", 0);
    s.policy.repeat_after = std::chrono::milliseconds(p.value("repeat_after_ms", int64_t{0}));
    auto started = config::parse_rfc3339(j.at("started").get<std::string>());
    if (!started) return std::nullopt;
    s.started = *started;
    s.loop = j.value("loop", 0);
    s.step = j.value("step", 0);
    if (j.contains("due") && j["due"].is_string()) s.due = config::parse_rfc3339(j["due"].get<std::string>());
    if (j.contains("stopped") && j["stopped"].is_string()) s.stopped = j["stopped"].get<std::string>();
    if (j.contains("paged") && j["paged"].is_array()) s.paged = j["paged"];
    return s;
  } catch (const std::exception&) {
    return std::nullopt;
  }
}

}  // namespace lookout::alerting
