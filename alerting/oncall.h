// alerting::oncall: who is on call in a built-in rota at an instant, and who gets paged at each
// step of the escalation policy. Pure functions of the config and a time argument.
//
// Rota (PagerDuty schedule semantics, docs/alerting.md "On-call rota and escalation"): a
// weekly rotation in the rota's own zone. Turn k (k = 0, 1, ...) begins at the k-th hand-over:
// the local date of the first hand-over weekday on or after `start`, plus 7k local days, at the
// hand-over time, converted through the zone's rules (a time skipped by a spring-forward change
// moves to the end of the gap; a time that happens twice is its first occurrence). So a Monday
// 09:00 hand-over is at 09:00 local on every Monday, summer or winter. Turn k is members[k mod
// n]. Before the first hand-over nobody is on call. An override (someone covers [from, to))
// takes precedence over the rotation; of overlapping overrides the later listed wins.
//
// Escalation (PagerDuty escalation policy semantics): step s of loop l is due at
// start + l * repeat_after + steps[s].after; loops 0..repeat. A step whose target has nobody on
// call falls through to the next step at once. The incident keeps the policy as it was when
// its paging began (a snapshot stored with it). Acknowledgement or resolution stops it.
#pragma once

#include <chrono>
#include <optional>
#include <string>
#include <vector>

#include <nlohmann/json.hpp>

#include "config/config.h"

namespace lookout::alerting {

using OncallTime = std::chrono::system_clock::time_point;

/// The k-th hand-over instant of a rota (k may be negative: before the first one).
OncallTime handover_at(const config::Rota& rota, int64_t k);
/// The index of the turn in force at t (the last hand-over at or before t); nullopt before the first.
std::optional<int64_t> turn_at(const config::Rota& rota, OncallTime t);
/// The first regular hand-over strictly after t.
OncallTime next_handover(const config::Rota& rota, OncallTime t);
/// Who is on call at t (overrides first, then the rotation); nullopt: nobody.
std::optional<std::string> on_call(const config::Rota& rota, OncallTime t);

/// A stretch of one member's (or nobody's) being on call.
struct Shift {
  std::optional<std::string> member;  // nullopt: nobody
  OncallTime from{};                  // when this stretch began (the last change at or before t)
  std::optional<OncallTime> to;       // when the next member takes over (nullopt: never)
  bool override_ = false;             // covered by an override
};
/// Who is on call at t and until when; and who comes next, from when.
struct RotaView {
  Shift now;
  std::optional<Shift> next;
  OncallTime next_handover{};  // the rotation's next regular hand-over after t
};
RotaView rota_view(const config::Rota& rota, OncallTime t);

const config::Rota* find_rota(const config::OncallSettings& oncall, const std::string& id);
const config::OncallMember* find_member(const config::OncallSettings& oncall, const std::string& id);
/// The members a step's target ("rota:<id>" or "member:<id>") pages at t (empty: nobody).
std::vector<std::string> step_members(const config::OncallSettings& oncall, const std::string& target,
                                      OncallTime t);

/// `lookout oncall` / GET /api/v1/oncall: each rota's now, next and hand-over at t.
nlohmann::json oncall_json(const config::OncallSettings& oncall, OncallTime t);

/// The escalation of one incident, stored with it (Incident::escalation).
struct EscalationState {
  config::Escalation policy;  // the snapshot taken when paging began
  OncallTime started{};
  int loop = 0;                    // the next step to page: loop and step
  int step = 0;
  std::optional<OncallTime> due;   // when it is due; nullopt: finished or stopped
  std::string stopped;             // why it stopped early ("acknowledged by ...", "resolved")
  nlohmann::json paged = nlohmann::json::array();  // [{member, name, sink, address, at, loop, step, target}]

  /// When (loop, step) is due.
  OncallTime due_of(int loop, int step) const;
  /// Moves to the next step (and loop); due becomes nullopt after the last step of the last loop.
  void advance();
  nlohmann::json to_json() const;
  static std::optional<EscalationState> from_json(const nlohmann::json& j);
  static EscalationState begin(const config::Escalation& policy, OncallTime now);
};

}  // namespace lookout::alerting
