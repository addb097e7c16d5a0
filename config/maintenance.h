// config::MaintenanceWindow: a planned period during which a client, a site or one check raises
// no ticket and no page (results are still recorded, marked `maintenance`). One-off (from, to)
// or recurring (weekly days and a time range, monthly "first wednesday" and a time range), in
// the client's time zone. Written in the config (`maintenance:` lists at client, site and check
// level) or created through the API; both parse the same fields here. The expansion into
// instants lives in alerting/maintenance.h. Rules: docs/alerting.md, "Maintenance windows".
#pragma once

#include <array>
#include <chrono>
#include <optional>
#include <string>
#include <vector>

#include <nlohmann/json.hpp>

namespace lookout::config {

struct MaintenanceWindow {
  enum class Kind { once, weekly, monthly };

  std::string id;      // "config:<client>:<n>" for config windows, "mw-<n>" for API ones
  std::string source;  // "config" or "api"
  // Scope: the client; a site of it (empty = every site); a check of that site (empty = all).
  std::string client, site, check;
  std::string reason;
  std::string created_by;                       // API windows: who created it
  std::optional<std::chrono::system_clock::time_point> created;  // API windows

  Kind kind = Kind::once;
  // once: as written ("2026-12-05 22:00" local, or RFC 3339 with an offset) and resolved to
  // instants in the client's zone (resolve_once()).
  std::string from_text, to_text;
  std::chrono::system_clock::time_point from{}, to{};
  // weekly: the local weekdays it starts on (Monday = 0); monthly: ordinal (1..4, -1 = last)
  // and weekday. Both: local start and end minute; end <= start ends the next day (overnight),
  // end 1440 is midnight.
  std::array<bool, 7> days{};
  int ordinal = 0;
  int weekday = 0;
  int start_minute = 0, end_minute = 0;
  std::string recurrence_text;  // as written: "sat-sun 02:00-04:00", "first wednesday ..."

  /// Does the window apply to this check?
  bool covers(const std::string& client_id, const std::string& site_id,
              const std::string& check_id) const;
  /// The scope as text: "acme", "acme/www", "acme/www/http".
  std::string scope() const;

  /// The JSON form (API and the stored API windows); maintenance_from_json() reads it back.
  nlohmann::json to_json() const;
};

/// The fields of one window as written (YAML or JSON), before the zone is known.
struct MaintenanceFields {
  std::optional<std::string> from, to, weekly, monthly, time;
};

/// A problem with one field: `key` is the field's name ("from", "weekly", ...), or "" for the
/// window as a whole.
struct MaintenanceProblem {
  std::string key;
  std::string message;
};

/// Parses the timing of a window into `w` (kind, texts, days/ordinal, minutes). One-off instants
/// are resolved later, once the client's zone is known (resolve_once()).
std::optional<MaintenanceProblem> parse_maintenance(const MaintenanceFields& f,
                                                    MaintenanceWindow& w);

/// A window from JSON (an API request body, or a stored API window): client, site, check,
/// reason, by, and the timing fields (weekly may be a string or a list of strings). Output-only
/// keys of to_json() are ignored; any other key is a problem. One-off times are resolved later.
std::optional<MaintenanceProblem> maintenance_from_json(const nlohmann::json& j,
                                                        MaintenanceWindow& w);

/// A one-off window's from/to in `timezone` (IANA name): RFC 3339 texts are instants, local
/// texts ("YYYY-MM-DD HH:MM", 'T' allowed, optional ":SS") are wall times there (a time in a
/// spring-forward gap becomes the end of the gap; an ambiguous one its first occurrence).
/// A problem when the zone is unknown or the window ends at or before its start.
std::optional<MaintenanceProblem> resolve_once(MaintenanceWindow& w, const std::string& timezone);

/// A one-off time as written: an instant (RFC 3339 with offset) or a local wall time in
/// `zone_name`; nullopt when it is neither.
std::optional<std::chrono::system_clock::time_point> parse_window_time(const std::string& text,
                                                                       const std::string& zone_name);

}  // namespace lookout::config
