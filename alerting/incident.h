// alerting::Incident: one confirmed problem of one check, from opened to resolved, and the
// priority scale. Plain data with a JSON form (stored as a durable value, sent in payloads).
#pragma once

#include <chrono>
#include <optional>
#include <string>
#include <string_view>
#include <vector>

#include <nlohmann/json.hpp>

#include "probes/result.h"

namespace lookout::alerting {

using TimePoint = std::chrono::system_clock::time_point;

enum class Priority { P1 = 1, P2 = 2, P3 = 3 };
std::string to_string(Priority p);
std::optional<Priority> priority_from_string(std::string_view s);

/// RFC 3339 UTC with milliseconds, and back (nullopt when unreadable).
std::string format_time(TimePoint t);
std::optional<TimePoint> parse_time(const std::string& s);
/// An optional time as JSON (RFC 3339 or null), and back from a key of `j`.
nlohmann::json opt_time(const std::optional<TimePoint>& t);
std::optional<TimePoint> read_opt_time(const nlohmann::json& j, const char* key);

struct Incident {
  std::string id;   // "client/site/check#N": stable across restarts
  std::string key;  // "client/site/check"
  int number = 0;   // N: per check, from 1
  std::string client, site, check, type;
  std::string host;  // the site's host name (from its URL, else the check target): a page's source
  std::vector<std::string> tags;
  bool open = true;
  probes::Status severity = probes::Status::critical;  // of the latest failing run
  Priority priority = Priority::P3;
  bool flapping = false;
  TimePoint first_failure{};  // the first failing run of the confirming streak
  TimePoint opened{};
  TimePoint updated{};
  std::optional<TimePoint> resolved;
  std::string summary;        // the latest failing run's summary
  std::string failure;        // its FailureKind
  nlohmann::json facts = nlohmann::json::object();  // its facts (evidence)
  std::string ticket;         // built-in ticket reference ("LK-12"), empty when none
  int events = 0;             // timeline entries written (stream "incident", key id)
  int notifications = 0;      // notifications created (per-incident order)
  // Paging (policy.h): when the page is due if the incident is still open, and when it went.
  std::optional<TimePoint> page_due;
  std::optional<TimePoint> paged;
  // Acknowledgement (API / CLI): when and by whom.
  std::optional<TimePoint> acknowledged;
  std::string acknowledged_by;
  // Held back (recorded, not notified): the id of the incident that inhibits it (its site's
  // http incident, or the one of a site it depends on) or of the agency's "monitoring
  // connectivity lost" incident. Empty when notified as usual.
  std::string held_by;
  // Status updates (incident.reminder): the last one sent, and when the next one is due.
  std::optional<TimePoint> reminded;
  std::optional<TimePoint> reminder_due;
  // Opened during a maintenance window and not notified (yet): no ticket, no page. Released
  // (ticket, notifications) when the window ends if still open. Stays true on an incident that
  // resolved before any notification.
  bool maintenance = false;
  // Paging through the built-in on-call rota (pages: [oncall]): the escalation's state
  // (alerting/oncall.h EscalationState::to_json: the policy snapshot, the next step and when
  // it is due, who was paged). null when the incident never paged through it.
  nlohmann::json escalation = nullptr;

  nlohmann::json to_json() const;
  static std::optional<Incident> from_json(const nlohmann::json& j);
};

}  // namespace lookout::alerting
