// alerting::Policy: a client's priorities and paging, from config::Client (alerting section,
// inherited from alerting.defaults) and the built-in defaults. Pure logic.
//
// Priority: the client's `priorities` rules first (first match wins on type, check id, tags,
// status); otherwise the defaults:
//   P1  http critical (site down); tls critical with an expired or untrusted certificate
//       (facts.findings); domain critical with the domain expired (facts.days_left <= 0)
//   P2  every other critical (tls, patch insecure, dnsbl listed, disk, domain expiring, ...)
//   P3  every warning (and unknown, should one be alerted on)
// Paging (PagerDuty's support-hours model): a priority listed in `page_priorities` (default
// [P1]) pages at once when the incident is open outside the client's business hours or the
// contract is 24x7; opened inside business hours it pages when the desk closes
// (BusinessCalendar::next_close) if it is still open then. Still open when the desk opens
// again: no page is owed.
#pragma once

#include <memory>
#include <optional>
#include <set>
#include <string>
#include <vector>

#include "alerting/calendar.h"
#include "alerting/incident.h"
#include "config/config.h"

namespace lookout::alerting {

/// One client's alerting, resolved (client -> alerting.defaults -> built-in defaults).
struct ClientPolicy {
  std::string id;
  std::string name;
  bool coverage_24x7 = false;
  config::Contract contract;
  std::shared_ptr<const BusinessCalendar> calendar;  // business hours (24x7 when coverage says so)
  TimeBasis sla_basis = TimeBasis::business_hours;   // calendar time for 24x7 or without hours
  std::vector<std::string> tickets{"builtin"};
  std::vector<std::string> pages;
  std::vector<config::PriorityRule> rules;
  std::set<Priority> page_priorities{Priority::P1};

  bool builtin_tickets() const;
  static ClientPolicy from_config(const config::Client& client, const config::AlertingSettings& a);
};

/// The built-in default priority for a failing run.
Priority default_priority(const std::string& type, probes::Status status, const nlohmann::json& facts);

/// The client's rules, then the defaults.
Priority priority_for(const ClientPolicy& client, const Incident& incident);

struct PageDecision {
  bool now = false;                 // page at once
  std::optional<TimePoint> at;      // or at this instant if still open (the desk closes)
};

/// Whether and when an incident of `priority`, open at `now`, pages.
PageDecision page_decision(const ClientPolicy& client, Priority priority, TimePoint now);

/// Status updates (incident.reminder): the interval for a priority, from
/// `contract.sla.<P>.updates`; defaults P1 1h, P2 2h, P3 none.
std::optional<std::chrono::milliseconds> update_interval(const ClientPolicy& client, Priority priority);

/// When the next status update of an open, notified incident is due: its interval of the
/// client's business time (calendar time under 24x7 or without hours) after the last update,
/// or after the incident was opened (notified). nullopt when none is owed: resolved, held,
/// no interval for its priority, the client routes no tickets, or acknowledged under
/// `updates_until: ack`.
std::optional<TimePoint> next_reminder(const ClientPolicy& client, const Incident& incident);

}  // namespace lookout::alerting
