#include "alerting/maintenance.h"

#include <algorithm>

#include <date/date.h>
#include <nlohmann/json.hpp>
#include <spdlog/spdlog.h>

#include "alerting/incident.h"
#include "config/hours.h"

namespace lookout::alerting {
namespace {

using Kind = config::MaintenanceWindow::Kind;
using std::chrono::minutes;

// A local date and minute (may be >= 1440: the next day) as an instant in `zone`.
TimePoint to_utc(const date::time_zone& zone, date::local_days day, int minute) {
  auto local = date::local_seconds(day) + minutes(minute);
  auto info = zone.get_info(local);
  if (info.result == date::local_info::nonexistent)
    return std::chrono::time_point_cast<TimePoint::duration>(info.first.end);
  return std::chrono::time_point_cast<TimePoint::duration>(zone.to_sys(local, date::choose::earliest));
}

date::local_days local_date(const date::time_zone& zone, TimePoint t) {
  return date::floor<date::days>(zone.to_local(t));
}

// Monday = 0.
int weekday_index(date::local_days d) {
  return static_cast<int>((date::weekday(d).c_encoding() + 6) % 7);
}

// The occurrence of a recurring window starting on local date d.
WindowInterval on_day(const config::MaintenanceWindow& w, const date::time_zone& zone,
                      date::local_days d) {
  const int end = w.end_minute <= w.start_minute ? w.end_minute + config::kMinutesPerDay : w.end_minute;
  return WindowInterval{to_utc(zone, d, w.start_minute), to_utc(zone, d, end), w.id};
}

// The local date of the window's monthly day in month ym, Monday = 0 weekday.
date::local_days monthly_day(const config::MaintenanceWindow& w, date::year_month ym) {
  date::weekday wd{static_cast<unsigned>((w.weekday + 1) % 7)};  // date: Sunday = 0
  if (w.ordinal < 0) return date::local_days(date::year_month_weekday_last(ym.year(), ym.month(), date::weekday_last(wd)));
  return date::local_days(date::year_month_weekday(ym.year(), ym.month(), wd[static_cast<unsigned>(w.ordinal)]));
}

}  // namespace

std::vector<WindowInterval> occurrences(const config::MaintenanceWindow& w,
                                        const date::time_zone& zone, TimePoint from, TimePoint to) {
  std::vector<WindowInterval> out;
  if (to <= from) return out;
  if (w.kind == Kind::once) {
    if (w.to > from && w.from < to) out.push_back({w.from, w.to, w.id});
    return out;
  }
  // A recurring occurrence lasts at most a day (plus a DST hour): start two local days early.
  const date::local_days first = local_date(zone, from) - date::days(2);
  const date::local_days last = local_date(zone, to) + date::days(1);
  auto keep = [&](WindowInterval i) {
    if (i.to > from && i.from < to && i.to > i.from) out.push_back(std::move(i));
  };
  if (w.kind == Kind::weekly) {
    for (date::local_days d = first; d <= last; d += date::days(1))
      if (w.days[static_cast<size_t>(weekday_index(d))]) keep(on_day(w, zone, d));
    return out;
  }
  date::year_month ym = date::year_month_day(first).year() / date::year_month_day(first).month();
  const date::year_month end = date::year_month_day(last).year() / date::year_month_day(last).month();
  for (; ym <= end; ym += date::months(1)) {
    date::local_days d = monthly_day(w, ym);
    if (d >= first && d <= last) keep(on_day(w, zone, d));
  }
  return out;
}

void MaintenanceSchedule::set(std::vector<config::MaintenanceWindow> windows,
                              const std::map<std::string, std::string>& client_zones) {
  windows_ = std::move(windows);
  zones_.clear();
  for (const auto& [client, name] : client_zones) {
    try {
      zones_[client] = date::locate_zone(name);
    } catch (const std::exception&) {
    }
  }
}

const date::time_zone& MaintenanceSchedule::zone(const std::string& client) const {
  auto it = zones_.find(client);
  if (it != zones_.end() && it->second) return *it->second;
  static const date::time_zone* utc = date::locate_zone("UTC");
  return *utc;
}

std::optional<WindowInterval> MaintenanceSchedule::active(const std::string& client,
                                                          const std::string& site,
                                                          const std::string& check,
                                                          TimePoint t) const {
  std::optional<WindowInterval> found;
  for (const auto& w : windows_) {
    if (!w.covers(client, site, check)) continue;
    for (auto& i : occurrences(w, zone(client), t, t + std::chrono::milliseconds(1)))
      if (!found || i.to > found->to) found = i;
  }
  if (!found) return std::nullopt;
  // Extend over windows that continue it without a gap (bounded: a year of chaining).
  for (int guard = 0; guard < 400; ++guard) {
    TimePoint end = found->to;
    for (const auto& w : windows_) {
      if (!w.covers(client, site, check)) continue;
      for (auto& i : occurrences(w, zone(client), found->to, found->to + std::chrono::milliseconds(1)))
        end = std::max(end, i.to);
    }
    if (end == found->to) break;
    found->to = end;
  }
  return found;
}

std::vector<WindowInterval> MaintenanceSchedule::intervals(const std::string& client,
                                                           const std::string& site,
                                                           const std::string& check,
                                                           TimePoint from, TimePoint to) const {
  std::vector<WindowInterval> all;
  for (const auto& w : windows_) {
    if (w.client != client) continue;
    if (!w.site.empty() && w.site != site) continue;
    if (!w.check.empty() && (check.empty() || w.check != check)) continue;
    for (auto& i : occurrences(w, zone(client), from, to)) all.push_back(std::move(i));
  }
  std::sort(all.begin(), all.end(), [](const WindowInterval& a, const WindowInterval& b) {
    return a.from < b.from;
  });
  std::vector<WindowInterval> merged;
  for (auto& i : all) {
    i.from = std::max(i.from, from);
    i.to = std::min(i.to, to);
    if (i.to <= i.from) continue;
    if (!merged.empty() && i.from <= merged.back().to)
      merged.back().to = std::max(merged.back().to, i.to);
    else
      merged.push_back(std::move(i));
  }
  return merged;
}

std::optional<WindowInterval> MaintenanceSchedule::next(const config::MaintenanceWindow& w,
                                                        TimePoint t) const {
  const auto& z = zone(w.client);
  for (TimePoint a = t; a < t + std::chrono::hours(24 * 400); a += std::chrono::hours(24 * 40)) {
    for (auto& i : occurrences(w, z, a, a + std::chrono::hours(24 * 40)))
      if (i.from >= t || i.to > t) return i;
  }
  return std::nullopt;
}

std::map<std::string, config::MaintenanceWindow> stored_windows(
    store::Store& store, const std::map<std::string, std::string>& client_zones) {
  std::map<std::string, config::MaintenanceWindow> out;
  for (const auto& [id, text] : store.values("maintenance")) {
    auto j = nlohmann::json::parse(text, nullptr, false);
    config::MaintenanceWindow w;
    if (config::maintenance_from_json(j, w)) {
      spdlog::error("maintenance window {} in the store is unreadable; ignored", id);
      continue;
    }
    auto zone = client_zones.find(w.client);
    if (config::resolve_once(w, zone == client_zones.end() ? "UTC" : zone->second)) continue;
    w.id = id;
    w.source = "api";
    w.created = read_opt_time(j, "created");
    out[id] = std::move(w);
  }
  return out;
}

}  // namespace lookout::alerting
