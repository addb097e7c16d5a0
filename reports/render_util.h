// Helpers shared by the HTML and Markdown renderers: numbers and times as the report shows
// them (local wall time of the client's zone), from the JSON model.
#pragma once

#include <cmath>
#include <cstdio>
#include <string>

#include <date/tz.h>
#include <nlohmann/json.hpp>

#include "config/time_text.h"

namespace lookout::reports::render {

using nlohmann::json;

/// Local time of an RFC 3339 string in `zone`, "2026-11-03 14:05"; "—" for null.
inline std::string local_time(const json& v, const date::time_zone* zone, bool with_zone = false) {
  if (!v.is_string()) return "—";
  auto t = config::parse_rfc3339(v.get<std::string>());
  if (!t) return v.get<std::string>();
  auto zt = date::make_zoned(zone, std::chrono::floor<std::chrono::minutes>(*t));
  return date::format(with_zone ? "%F %H:%M %Z" : "%F %H:%M", zt);
}

inline std::string fixed(double v, int digits) {
  char buf[64];
  std::snprintf(buf, sizeof buf, "%.*f", digits, v);
  return buf;
}

inline std::string pct(const json& v, int digits = 3) {
  return v.is_number() ? fixed(v.get<double>(), digits) + " %" : "—";
}

inline std::string num(const json& v, int digits = 0) {
  return v.is_number() ? fixed(v.get<double>(), digits) : "—";
}

/// Seconds as "2 h 05 min", "3 min 20 s", "45 s"; "—" for null.
inline std::string duration(const json& v) {
  if (!v.is_number()) return "—";
  double s = std::fabs(v.get<double>());
  auto total = static_cast<long long>(std::llround(s));
  long long d = total / 86400, h = total % 86400 / 3600, m = total % 3600 / 60, sec = total % 60;
  char buf[64];
  if (d > 0) std::snprintf(buf, sizeof buf, "%lld d %lld h %02lld min", d, h, m);
  else if (h > 0) std::snprintf(buf, sizeof buf, "%lld h %02lld min", h, m);
  else if (m > 0) std::snprintf(buf, sizeof buf, "%lld min %02lld s", m, sec);
  else std::snprintf(buf, sizeof buf, "%lld s", sec);
  return buf;
}

inline std::string text(const json& v) {
  if (v.is_null()) return "—";
  if (v.is_string()) return v.get<std::string>().empty() ? "—" : v.get<std::string>();
  return v.dump();
}

/// "met 1 h 20 min early" / "breached by 35 min" / "pending" / ...
inline std::string sla_text(const json& r) {
  std::string st = r.value("state", "");
  if (st == "met") return "met (" + duration(r["by_seconds"]) + " to spare)";
  if (st == "breached") return "breached by " + duration(r["by_seconds"]);
  if (st == "pending") return "pending (" + duration(r["by_seconds"]) + " left)";
  if (st == "not_recorded") return "not recorded";
  return "no target";
}

}  // namespace lookout::reports::render
