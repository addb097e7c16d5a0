#include "alerting/policy.h"

#include <algorithm>

namespace lookout::alerting {
namespace {

bool any_of_list(const std::vector<std::string>& want, const std::vector<std::string>& have) {
  for (const auto& w : want)
    if (std::find(have.begin(), have.end(), w) != have.end()) return true;
  return false;
}

bool contains(const std::vector<std::string>& list, const std::string& s) {
  return std::find(list.begin(), list.end(), s) != list.end();
}

bool matches(const config::PriorityRule& r, const Incident& i) {
  if (!r.types.empty() && !contains(r.types, i.type)) return false;
  if (!r.checks.empty() && !contains(r.checks, i.check)) return false;
  if (!r.tags.empty() && !any_of_list(r.tags, i.tags)) return false;
  if (!r.statuses.empty() && !contains(r.statuses, std::string(probes::to_string(i.severity))))
    return false;
  return true;
}

}  // namespace

bool ClientPolicy::builtin_tickets() const { return contains(tickets, "builtin"); }

ClientPolicy ClientPolicy::from_config(const config::Client& c, const config::AlertingSettings& a) {
  ClientPolicy p;
  p.id = c.id;
  p.name = c.name;
  p.coverage_24x7 = c.contract.coverage_24x7;
  p.contract = c.contract;
  bool has_hours = false;
  for (const auto& day : c.hours.week) has_hours = has_hours || !day.empty();
  // Without business hours the SLA clocks count calendar time; paging treats it as always
  // outside business hours (nobody is known to be at a desk).
  p.calendar = std::make_shared<BusinessCalendar>(c.hours, p.coverage_24x7);
  p.sla_basis = p.coverage_24x7 || !has_hours ? TimeBasis::calendar_24x7 : TimeBasis::business_hours;
  const config::ClientAlerting& own = c.alerting;
  const config::ClientAlerting& def = a.defaults;
  if (own.tickets) p.tickets = *own.tickets;
  else if (def.tickets) p.tickets = *def.tickets;
  if (own.pages) p.pages = *own.pages;
  else if (def.pages) p.pages = *def.pages;
  if (own.priorities) p.rules = *own.priorities;
  else if (def.priorities) p.rules = *def.priorities;
  const auto* pp = own.page_priorities ? &*own.page_priorities
                                       : def.page_priorities ? &*def.page_priorities : nullptr;
  if (pp) {
    p.page_priorities.clear();
    for (const auto& s : *pp)
      if (auto prio = priority_from_string(s)) p.page_priorities.insert(*prio);
  }
  return p;
}

Priority default_priority(const std::string& type, probes::Status status, const nlohmann::json& facts) {
  if (status != probes::Status::critical) return Priority::P3;
  if (type == "http") return Priority::P1;
  if (type == "tls") {
    auto it = facts.find("findings");
    if (it != facts.end() && it->is_array())
      for (const auto& f : *it)
        if (f == "expired" || f == "untrusted") return Priority::P1;
    return Priority::P2;
  }
  if (type == "domain") {
    auto it = facts.find("days_left");
    if (it != facts.end() && it->is_number() && it->get<double>() <= 0) return Priority::P1;
    return Priority::P2;
  }
  return Priority::P2;
}

Priority priority_for(const ClientPolicy& client, const Incident& incident) {
  for (const auto& rule : client.rules)
    if (matches(rule, incident))
      if (auto p = priority_from_string(rule.priority)) return *p;
  return default_priority(incident.type, incident.severity, incident.facts);
}

PageDecision page_decision(const ClientPolicy& client, Priority priority, TimePoint now) {
  PageDecision d;
  if (!client.page_priorities.count(priority)) return d;
  if (client.coverage_24x7 || !client.calendar || !client.calendar->is_open(now)) {
    d.now = true;
    return d;
  }
  d.at = client.calendar->next_close(now);
  return d;
}

std::optional<std::chrono::milliseconds> update_interval(const ClientPolicy& client, Priority priority) {
  auto it = client.contract.updates.find(to_string(priority));
  if (it != client.contract.updates.end()) return it->second;
  if (priority == Priority::P1) return std::chrono::hours(1);
  if (priority == Priority::P2) return std::chrono::hours(2);
  return std::nullopt;
}

std::optional<TimePoint> next_reminder(const ClientPolicy& client, const Incident& i) {
  if (!i.open || !i.held_by.empty() || client.tickets.empty()) return std::nullopt;
  if (client.contract.updates_until_ack && i.acknowledged) return std::nullopt;
  auto every = update_interval(client, i.priority);
  if (!every) return std::nullopt;
  const TimePoint base = i.reminded.value_or(i.opened);
  if (client.sla_basis == TimeBasis::calendar_24x7 || !client.calendar) return base + *every;
  const TimePoint due = client.calendar->add(base, *every);
  if (due == TimePoint::max()) return std::nullopt;  // the calendar never opens again
  return due;
}

}  // namespace lookout::alerting
