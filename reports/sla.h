// reports::sla: a ticket's SLA outcomes recomputed from its stored timeline with alerting's
// SlaClock and the client's BusinessCalendar, so they count in business time exactly as the
// live clocks did. Pure logic over the events given.
//
// Timeline kinds read (stream "ticket"): `created` / `reopened` start a cycle (the clocks
// restart, docs/alerting.md); `updated` with a priority change re-targets both clocks from the
// cycle's start; `acknowledged` fulfils the response clock; `on_hold` pauses both clocks and
// `resumed` (or `open`) restarts them; `solved` fulfils the resolution clock. Kinds not listed
// are ignored. A cycle solved without an acknowledgement has no recorded response (reported
// as `not_recorded`, never guessed from the solve).
#pragma once

#include <chrono>
#include <memory>
#include <optional>
#include <string>
#include <vector>

#include "alerting/calendar.h"
#include "config/config.h"
#include "store/store.h"

namespace lookout::reports {

using TimePoint = std::chrono::system_clock::time_point;

struct SlaResult {
  /// met | breached | pending (open, not yet due) | not_recorded (no such event) | no_target
  std::string state = "no_target";
  std::optional<std::chrono::milliseconds> target;
  std::optional<TimePoint> due;        // where the target was reached (nullopt while paused)
  std::optional<TimePoint> fulfilled;  // acknowledged / solved
  /// Business time used up to the fulfilment (or to `now` while open).
  std::optional<std::chrono::milliseconds> elapsed;
  /// Met: business time left; breached: business time over the target.
  std::optional<std::chrono::milliseconds> by;
};

struct TicketCycle {
  std::string ref;
  int cycle = 1;  // 1 for the ticket's opening, 2.. for reopens
  std::string priority;  // at the end of the cycle (or now)
  TimePoint start{};
  std::optional<TimePoint> solved;
  SlaResult response, resolution;
};

/// The cycles of one ticket. `sla` is the contract's targets; `calendar` the client's business
/// hours (may be null when `basis` is calendar_24x7). `now` closes clocks still running.
std::vector<TicketCycle> ticket_cycles(const std::string& ref,
                                       const std::vector<store::Event>& timeline,
                                       const std::string& initial_priority,
                                       const std::map<std::string, config::SlaTarget>& sla,
                                       alerting::TimeBasis basis,
                                       std::shared_ptr<const alerting::BusinessCalendar> calendar,
                                       TimePoint now);

}  // namespace lookout::reports
