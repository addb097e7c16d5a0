#include "alerting/incident.h"

#include "config/time_text.h"

#include <date/date.h>

#include <sstream>

namespace lookout::alerting {

std::string to_string(Priority p) { return "P" + std::to_string(static_cast<int>(p)); }

std::optional<Priority> priority_from_string(std::string_view s) {
  if (s == "P1") return Priority::P1;
  if (s == "P2") return Priority::P2;
  if (s == "P3") return Priority::P3;
  return std::nullopt;
}

std::string format_time(TimePoint t) { return config::rfc3339(t); }

std::optional<TimePoint> parse_time(const std::string& s) { return config::parse_rfc3339(s); }

nlohmann::json opt_time(const std::optional<TimePoint>& t) {
  return t ? nlohmann::json(format_time(*t)) : nlohmann::json(nullptr);
}

std::optional<TimePoint> read_opt_time(const nlohmann::json& j, const char* key) {
  auto it = j.find(key);
  if (it == j.end() || !it->is_string()) return std::nullopt;
  return parse_time(it->get<std::string>());
}

nlohmann::json Incident::to_json() const {
  return {{"id", id},
          {"key", key},
          {"number", number},
          {"client", client},
          {"site", site},
          {"check", check},
          {"type", type},
          {"host", host},
          {"tags", tags},
          {"state", open ? "open" : "resolved"},
          {"severity", std::string(probes::to_string(severity))},
          {"priority", to_string(priority)},
          {"flapping", flapping},
          {"first_failure", format_time(first_failure)},
          {"opened", format_time(opened)},
          {"updated", format_time(updated)},
          {"resolved", opt_time(resolved)},
          {"summary", summary},
          {"failure", failure},
          {"facts", facts},
          {"ticket", ticket.empty() ? nlohmann::json(nullptr) : nlohmann::json(ticket)},
          {"events", events},
          {"notifications", notifications},
          {"page_due", opt_time(page_due)},
          {"paged", opt_time(paged)},
          {"acknowledged", opt_time(acknowledged)},
          {"acknowledged_by", acknowledged ? nlohmann::json(acknowledged_by) : nlohmann::json(nullptr)},
          {"held_by", held_by.empty() ? nlohmann::json(nullptr) : nlohmann::json(held_by)},
          {"reminded", opt_time(reminded)},
          {"reminder_due", opt_time(reminder_due)},
          {"maintenance", maintenance},
          {"escalation", escalation}};
}

std::optional<Incident> Incident::from_json(const nlohmann::json& j) {
  try {
    Incident i;
    i.id = j.at("id").get<std::string>();
    i.key = j.at("key").get<std::string>();
    i.number = j.at("number").get<int>();
    i.client = j.value("client", "");
    i.site = j.value("site", "");
    i.check = j.value("check", "");
    i.type = j.value("type", "");
    i.host = j.value("host", "");
    i.tags = j.value("tags", std::vector<std::string>{});
    i.open = j.value("state", "open") == "open";
    i.severity = probes::status_from_string(j.value("severity", "critical")).value_or(probes::Status::critical);
    i.priority = priority_from_string(j.value("priority", "P3")).value_or(Priority::P3);
    i.flapping = j.value("flapping", false);
    i.first_failure = read_opt_time(j, "first_failure").value_or(TimePoint{});
    i.opened = read_opt_time(j, "opened").value_or(TimePoint{});
    i.updated = read_opt_time(j, "updated").value_or(TimePoint{});
    i.resolved = read_opt_time(j, "resolved");
    i.summary = j.value("summary", "");
    i.failure = j.value("failure", "");
    if (j.contains("facts")) i.facts = j["facts"];
    if (j.contains("ticket") && j["ticket"].is_string()) i.ticket = j["ticket"].get<std::string>();
    i.events = j.value("events", 0);
    i.notifications = j.value("notifications", 0);
    i.page_due = read_opt_time(j, "page_due");
    i.paged = read_opt_time(j, "paged");
    i.acknowledged = read_opt_time(j, "acknowledged");
    if (j.contains("acknowledged_by") && j["acknowledged_by"].is_string())
      i.acknowledged_by = j["acknowledged_by"].get<std::string>();
    if (j.contains("held_by") && j["held_by"].is_string()) i.held_by = j["held_by"].get<std::string>();
    i.reminded = read_opt_time(j, "reminded");
    i.reminder_due = read_opt_time(j, "reminder_due");
    i.maintenance = j.value("maintenance", false);
    if (j.contains("escalation") && j["escalation"].is_object()) i.escalation = j["escalation"];
    return i;
  } catch (const std::exception&) {
    return std::nullopt;
  }
}

}  // namespace lookout::alerting
