#include "config/maintenance.h"

#include <algorithm>
#include <cctype>
#include <regex>
#include <sstream>

#include <date/date.h>
#include <date/tz.h>

#include "config/hours.h"
#include "config/time_text.h"

namespace lookout::config {
namespace {

using TimePoint = std::chrono::system_clock::time_point;

std::string lower(std::string s) {
  for (auto& c : s) c = static_cast<char>(std::tolower(static_cast<unsigned char>(c)));
  return s;
}

std::vector<std::string> words(const std::string& s) {
  std::vector<std::string> out;
  std::istringstream in(s);
  for (std::string w; in >> w;) out.push_back(w);
  return out;
}

std::string hhmm(int minute) {
  char buf[16];
  std::snprintf(buf, sizeof buf, "%02d:%02d", minute / 60 % 100, minute % 60);
  return buf;
}

// "wednesday" / "wed" -> 2; -1 otherwise.
int weekday_of(const std::string& word) {
  static const char* const full[7] = {"monday", "tuesday", "wednesday", "thursday",
                                      "friday", "saturday", "sunday"};
  std::string w = lower(word);
  for (int i = 0; i < 7; ++i)
    if (w == full[i] || w == kDayNames[i]) return i;
  return -1;
}

bool looks_like_time_range(const std::string& w) {
  static const std::regex re("^[0-9]{1,2}:[0-9]{2}-[0-9]{1,2}:[0-9]{2}$");
  return std::regex_match(w, re);
}

// Splits a trailing "HH:MM-HH:MM" off a recurrence text into `time`.
std::optional<MaintenanceProblem> split_time(const std::string& key, std::string& text,
                                             std::optional<std::string>& time) {
  auto ws = words(text);
  if (!ws.empty() && looks_like_time_range(ws.back())) {
    if (time) return MaintenanceProblem{key, "the time is given twice (here and in 'time')"};
    time = ws.back();
    ws.pop_back();
  }
  text.clear();
  for (const auto& w : ws) text += (text.empty() ? "" : " ") + w;
  return std::nullopt;
}

std::optional<MaintenanceProblem> parse_time_range(const std::optional<std::string>& time,
                                                   MaintenanceWindow& w) {
  if (!time) return MaintenanceProblem{"time", "missing: a recurring window needs a time range like 22:00-23:00"};
  std::string why;
  auto h = parse_hours(*time, why);
  if (!h) {
    auto pos = why.find(", or closed");
    if (pos != std::string::npos) why.erase(pos);
    return MaintenanceProblem{"time", "bad time range '" + *time + "': " + why};
  }
  w.start_minute = h->start_minute;
  w.end_minute = h->end_minute;
  return std::nullopt;
}

}  // namespace

bool MaintenanceWindow::covers(const std::string& client_id, const std::string& site_id,
                               const std::string& check_id) const {
  if (client != client_id) return false;
  if (!site.empty() && site != site_id) return false;
  if (!check.empty() && check != check_id) return false;
  return true;
}

std::string MaintenanceWindow::scope() const {
  std::string s = client;
  if (!site.empty()) s += "/" + site;
  if (!check.empty()) s += "/" + check;
  return s;
}

nlohmann::json MaintenanceWindow::to_json() const {
  auto opt = [](const std::string& s) { return s.empty() ? nlohmann::json(nullptr) : nlohmann::json(s); };
  nlohmann::json j = {{"id", id},
                      {"source", source},
                      {"client", client},
                      {"site", opt(site)},
                      {"check", opt(check)},
                      {"scope", scope()},
                      {"reason", reason}};
  if (!created_by.empty()) j["by"] = created_by;
  if (created) j["created"] = rfc3339(*created);
  switch (kind) {
    case Kind::once:
      j["kind"] = "once";
      j["from"] = rfc3339(from);
      j["to"] = rfc3339(to);
      break;
    case Kind::weekly:
    case Kind::monthly: {
      j["kind"] = kind == Kind::weekly ? "weekly" : "monthly";
      j[kind == Kind::weekly ? "weekly" : "monthly"] = recurrence_text;
      j["time"] = hhmm(start_minute) + "-" + hhmm(end_minute);
      break;
    }
  }
  return j;
}

std::optional<MaintenanceProblem> parse_maintenance(const MaintenanceFields& f_in,
                                                    MaintenanceWindow& w) {
  MaintenanceFields f = f_in;
  int kinds = (f.from || f.to ? 1 : 0) + (f.weekly ? 1 : 0) + (f.monthly ? 1 : 0);
  if (kinds == 0)
    return MaintenanceProblem{"", "a window needs from and to (one-off), weekly or monthly"};
  if (kinds > 1)
    return MaintenanceProblem{"", "give one of from/to (one-off), weekly or monthly, not several"};
  if (f.from || f.to) {
    if (!f.from) return MaintenanceProblem{"from", "missing: a one-off window needs from and to"};
    if (!f.to) return MaintenanceProblem{"to", "missing: a one-off window needs from and to"};
    if (f.time) return MaintenanceProblem{"time", "only for weekly or monthly windows"};
    w.kind = MaintenanceWindow::Kind::once;
    w.from_text = *f.from;
    w.to_text = *f.to;
    // Syntax now (the zone is checked later): an instant or a local time.
    for (auto [key, text] : {std::pair{"from", *f.from}, std::pair{"to", *f.to}})
      if (!parse_window_time(text, "UTC"))
        return MaintenanceProblem{key, "bad time '" + text +
                                           "' (expected a local time like 2026-12-05 22:00, or "
                                           "RFC 3339 like 2026-12-05T22:00:00+01:00)"};
    return std::nullopt;
  }
  if (f.weekly) {
    std::string text = *f.weekly;
    if (auto p = split_time("weekly", text, f.time)) return p;
    w.kind = MaintenanceWindow::Kind::weekly;
    w.days = {};
    std::string list = lower(text);
    std::replace(list.begin(), list.end(), ',', ' ');
    auto tokens = words(list);
    if (tokens.empty())
      return MaintenanceProblem{"weekly", "bad recurrence '" + *f.weekly +
                                              "': expected days like mon, sat-sun or mon,thu"};
    for (const auto& t : tokens) {
      int from = -1, to = -1;
      if (auto dash = t.find('-'); dash != std::string::npos) {
        from = weekday_of(t.substr(0, dash));
        to = weekday_of(t.substr(dash + 1));
      } else {
        from = to = weekday_of(t);
      }
      if (from < 0 || to < 0 || from > to)
        return MaintenanceProblem{"weekly", "bad recurrence '" + *f.weekly + "': '" + t +
                                                "' is not a day (mon..sun) or a day range like sat-sun"};
      for (int d = from; d <= to; ++d) w.days[d] = true;
    }
    w.recurrence_text = text;
    return parse_time_range(f.time, w);
  }
  std::string text = *f.monthly;
  if (auto p = split_time("monthly", text, f.time)) return p;
  auto tokens = words(lower(text));
  static const char* const ordinals[] = {"first", "second", "third", "fourth"};
  int ordinal = 0;
  if (tokens.size() == 2) {
    for (int i = 0; i < 4; ++i)
      if (tokens[0] == ordinals[i]) ordinal = i + 1;
    if (tokens[0] == "last") ordinal = -1;
  }
  int weekday = tokens.size() == 2 ? weekday_of(tokens[1]) : -1;
  if (ordinal == 0 || weekday < 0)
    return MaintenanceProblem{"monthly",
                              "bad recurrence '" + *f.monthly +
                                  "': expected first, second, third, fourth or last and a weekday, "
                                  "e.g. 'first wednesday 22:00-23:00'"};
  w.kind = MaintenanceWindow::Kind::monthly;
  w.ordinal = ordinal;
  w.weekday = weekday;
  w.recurrence_text = text;
  return parse_time_range(f.time, w);
}

std::optional<MaintenanceProblem> maintenance_from_json(const nlohmann::json& j,
                                                        MaintenanceWindow& w) {
  if (!j.is_object()) return MaintenanceProblem{"", "expected a JSON object"};
  static const std::vector<std::string> output_only = {"id", "source", "scope", "kind", "created",
                                                       "active", "next"};
  MaintenanceFields f;
  for (const auto& item : j.items()) {
    // Named variables, not a structured binding: clang 14 (the fuzz build) cannot capture those.
    const std::string key = item.key();
    const nlohmann::json& v = item.value();
    if (std::find(output_only.begin(), output_only.end(), key) != output_only.end()) continue;
    auto text = [&](std::string& out) -> std::optional<MaintenanceProblem> {
      if (v.is_null() && (key == "site" || key == "check")) return std::nullopt;
      if (!v.is_string()) return MaintenanceProblem{key, "expected a string"};
      out = v.get<std::string>();
      return std::nullopt;
    };
    auto field = [&](std::optional<std::string>& out) -> std::optional<MaintenanceProblem> {
      std::string s;
      if (auto p = text(s)) return p;
      out = s;
      return std::nullopt;
    };
    std::optional<MaintenanceProblem> p;
    if (key == "client") p = text(w.client);
    else if (key == "site") p = text(w.site);
    else if (key == "check") p = text(w.check);
    else if (key == "reason") p = text(w.reason);
    else if (key == "by") p = text(w.created_by);
    else if (key == "from") p = field(f.from);
    else if (key == "to") p = field(f.to);
    else if (key == "monthly") p = field(f.monthly);
    else if (key == "time") p = field(f.time);
    else if (key == "weekly") {
      if (v.is_array()) {
        std::string joined;
        for (const auto& d : v) {
          if (!d.is_string()) return MaintenanceProblem{key, "expected a string or a list of strings"};
          joined += (joined.empty() ? "" : ",") + d.get<std::string>();
        }
        f.weekly = joined;
      } else {
        p = field(f.weekly);
      }
    } else {
      return MaintenanceProblem{key, "unknown field (known: client, site, check, from, to, weekly, "
                                     "monthly, time, reason, by)"};
    }
    if (p) return p;
  }
  if (w.client.empty()) return MaintenanceProblem{"client", "missing: the client the window is for"};
  if (!w.check.empty() && w.site.empty())
    return MaintenanceProblem{"check", "a check is named within a site: give site too"};
  return parse_maintenance(f, w);
}

std::optional<TimePoint> parse_window_time(const std::string& text, const std::string& zone_name) {
  if (auto t = parse_rfc3339(text)) return t;
  static const std::regex re(
      "^([0-9]{4})-([0-9]{2})-([0-9]{2})[T ]([0-9]{2}):([0-9]{2})(?::([0-9]{2}))?$");
  std::smatch m;
  if (!std::regex_match(text, m, re)) return std::nullopt;
  int y = std::stoi(m[1]);
  unsigned mo = static_cast<unsigned>(std::stoi(m[2])), d = static_cast<unsigned>(std::stoi(m[3]));
  int h = std::stoi(m[4]), mi = std::stoi(m[5]), s = m[6].matched ? std::stoi(m[6]) : 0;
  date::year_month_day ymd{date::year(y), date::month(mo), date::day(d)};
  if (!year_fits_clock(y)) return std::nullopt;  // year 9481 overflowed (found by fuzzing)
  if (!ymd.ok() || h > 23 || mi > 59 || s > 59) return std::nullopt;
  const date::time_zone* zone = nullptr;
  try {
    zone = date::locate_zone(zone_name);
  } catch (const std::exception&) {
    return std::nullopt;
  }
  auto local = date::local_days(ymd) + std::chrono::hours(h) + std::chrono::minutes(mi) +
               std::chrono::seconds(s);
  auto info = zone->get_info(local);
  if (info.result == date::local_info::nonexistent)
    return std::chrono::time_point_cast<TimePoint::duration>(info.first.end);
  return std::chrono::time_point_cast<TimePoint::duration>(
      zone->to_sys(local, date::choose::earliest));
}

std::optional<MaintenanceProblem> resolve_once(MaintenanceWindow& w, const std::string& timezone) {
  if (w.kind != MaintenanceWindow::Kind::once) return std::nullopt;
  auto from = parse_window_time(w.from_text, timezone);
  if (!from) return MaintenanceProblem{"from", "bad time '" + w.from_text + "' in zone " + timezone};
  auto to = parse_window_time(w.to_text, timezone);
  if (!to) return MaintenanceProblem{"to", "bad time '" + w.to_text + "' in zone " + timezone};
  if (*to <= *from)
    return MaintenanceProblem{"to", "the window ends (" + w.to_text + ") at or before it starts (" +
                                        w.from_text + ")"};
  w.from = *from;
  w.to = *to;
  return std::nullopt;
}

}  // namespace lookout::config
