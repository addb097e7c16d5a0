#include "reports/report.h"

#include <algorithm>
#include <cmath>
#include <set>

#include "alerting/policy.h"
#include "config/time_text.h"
#include "probes/disk_probe.h"
#include "reports/availability.h"
#include "reports/sla.h"

namespace lookout::reports {
namespace {

using std::chrono::milliseconds;
using nlohmann::json;

// Check types whose status is the site's availability and whose latency is its response time.
bool is_availability(const std::string& type) { return type == "http"; }

double secs(int64_t ms) { return static_cast<double>(ms) / 1000.0; }
double secs(milliseconds d) { return secs(d.count()); }
json round_to(std::optional<double> v, int digits) {
  if (!v || !std::isfinite(*v)) return nullptr;
  double f = std::pow(10.0, digits);
  return std::round(*v * f) / f;
}
std::string utc(TimePoint t) { return config::rfc3339(t); }
json opt_utc(const std::optional<TimePoint>& t) { return t ? json(utc(*t)) : json(nullptr); }

json totals_json(const StateTotals& t) {
  return {{"uptime_pct", round_to(t.uptime_pct(), 4)},
          {"up_seconds", secs(t.up_ms)},
          {"down_seconds", secs(t.down_ms)},
          {"unknown_seconds", secs(t.unknown_ms)},
          {"maintenance_seconds", secs(t.maintenance_ms)},
          {"no_data_seconds", secs(t.no_data_ms)}};
}

// Nearest-rank percentile of sorted values.
double percentile(const std::vector<double>& sorted, double p) {
  size_t rank = static_cast<size_t>(std::ceil(p / 100.0 * static_cast<double>(sorted.size())));
  return sorted[std::clamp<size_t>(rank, 1, sorted.size()) - 1];
}

json facts_of(store::Store& store, const std::string& key) {
  auto state = store.load_state(key);
  if (!state || state->last_result.empty()) return json::object();
  auto j = json::parse(state->last_result, nullptr, false);
  if (!j.is_object() || !j.contains("facts") || !j["facts"].is_object()) return json::object();
  return j["facts"];
}

json str_or_null(const json& facts, const char* key) {
  auto it = facts.find(key);
  if (it == facts.end() || it->is_null()) return nullptr;
  if (it->is_string()) return *it;
  return it->dump();
}

std::optional<TimePoint> time_fact(const json& facts, const char* key) {
  auto it = facts.find(key);
  if (it == facts.end() || !it->is_string()) return std::nullopt;
  return config::parse_rfc3339(it->get<std::string>());
}

bool overlaps(TimePoint a0, TimePoint a1, TimePoint b0, TimePoint b1) { return a0 < b1 && b0 < a1; }

}  // namespace

ReportSource::ReportSource(store::Store& s) : store(s) {
  std::set<std::string> seen;
  auto take = [&](const std::string& text) {
    auto j = json::parse(text, nullptr, false);
    if (auto i = alerting::Incident::from_json(j))
      if (seen.insert(i->id).second) incidents.push_back(std::move(*i));
  };
  for (const auto& [key, text] : store.values("incident")) take(text);
  for (const auto& [key, text] : store.values("incident_history")) take(text);
  std::sort(incidents.begin(), incidents.end(), [](const auto& a, const auto& b) {
    return a.first_failure != b.first_failure ? a.first_failure < b.first_failure : a.id < b.id;
  });
  for (const auto& [ref, text] : store.values("ticket")) {
    auto j = json::parse(text, nullptr, false);
    if (auto t = alerting::Ticket::from_json(j)) tickets.push_back(std::move(*t));
  }
  std::sort(tickets.begin(), tickets.end(),
            [](const auto& a, const auto& b) { return a.number < b.number; });
}

json build_report(const config::Config& config, ReportSource& source, const ReportRequest& req) {
  const config::Client* client = nullptr;
  for (const auto& c : config.clients)
    if (c.id == req.client) client = &c;
  if (!client) {
    std::string known;
    for (const auto& c : config.clients) known += (known.empty() ? "" : ", ") + c.id;
    throw ReportError(ReportError::Kind::unknown_client,
                      "unknown client '" + req.client + "' (clients in " + config.file + ": " +
                          (known.empty() ? "none" : known) + ")");
  }
  auto month = parse_month(req.month);
  if (!month)
    throw ReportError(ReportError::Kind::bad_month,
                      "bad month '" + req.month + "' (expected YYYY-MM, e.g. 2026-11)");
  MonthSpan span = month_span(*month, client->hours.timezone);
  if (span.start > req.now)
    throw ReportError(ReportError::Kind::bad_month,
                      "month " + req.month + " has not started yet in " + client->hours.timezone +
                          " (it starts " + span.local_time(span.start) + ")");
  const TimePoint now = req.now;
  const TimePoint to = std::min(span.end, now);  // measured up to here
  std::vector<TimePoint> day_starts;
  for (const auto& d : span.days) day_starts.push_back(d.start);

  alerting::ClientPolicy policy = alerting::ClientPolicy::from_config(*client, config.alerting);
  std::optional<double> target = client->contract.uptime_target;

  json report;
  report["version"] = 1;
  report["client"] = {{"id", client->id},
                      {"name", client->name},
                      {"timezone", client->hours.timezone},
                      {"tier", client->contract.tier},
                      {"uptime_target_pct", target ? json(*target) : json(nullptr)},
                      {"sla_basis", policy.sla_basis == alerting::TimeBasis::calendar_24x7
                                        ? "24x7" : "business_hours"}};
  report["agency"] = {{"name", config.report.agency_name}};
  report["month"] = month->text();
  report["generated_at"] = utc(now);
  report["period"] = {{"from", utc(span.start)},
                      {"to", utc(span.end)},
                      {"measured_to", utc(to)},
                      {"complete", now >= span.end},
                      {"days", span.days.size()}};

  // Checks per site, from the config.
  std::map<std::string, std::vector<const config::CheckSpec*>> checks_of;
  for (const auto& c : config.checks)
    if (c->spec.client_id == client->id) checks_of[c->spec.site_id].push_back(&c->spec);

  std::vector<MaintenanceWindow> windows;
  for (const auto& w : req.maintenance)
    if (w.client == client->id && w.to > w.from && overlaps(w.from, w.to, span.start, span.end))
      windows.push_back(w);
  std::sort(windows.begin(), windows.end(),
            [](const auto& a, const auto& b) { return a.from < b.from; });

  json sites = json::array();
  json patch = json::array(), expiring = json::array(), dnsbl = json::array(),
       disks = json::array();
  StateTotals overall;
  json at_risk = json::array();

  for (const auto& site : client->sites) {
    const auto& checks = checks_of[site.id];
    std::vector<std::string> risks;
    json s;
    s["id"] = site.id;
    s["name"] = site.name.empty() ? site.id : site.name;
    s["url"] = site.url;

    // Maintenance of this site within the month.
    std::vector<Interval> site_maint;
    std::map<std::string, std::vector<Interval>> check_maint;
    json maint = json::array();
    for (const auto& w : windows) {
      if (w.site != site.id) continue;
      TimePoint a = std::max(w.from, span.start), b = std::min(w.to, span.end);
      (w.check.empty() ? site_maint : check_maint[w.check]).push_back({w.from, w.to});
      maint.push_back({{"from", utc(w.from)},
                       {"to", utc(w.to)},
                       {"check", w.check.empty() ? json(nullptr) : json(w.check)},
                       {"reason", w.reason},
                       {"seconds_in_month", secs(std::chrono::duration_cast<milliseconds>(b - a))}});
    }
    s["maintenance"] = maint;

    // Availability from the http checks' transitions.
    std::vector<CheckTimeline> timelines;
    std::map<std::string, std::vector<store::Rollup>> rollups_of;  // read once per check
    json avail_checks = json::array();
    std::vector<const config::CheckSpec*> avail_specs;
    for (const auto* spec : checks)
      if (is_availability(spec->type)) avail_specs.push_back(spec);
    for (const auto* spec : avail_specs) {
      CheckTimeline tl;
      tl.check = spec->check_id;
      tl.interval = spec->interval;
      tl.transitions = source.store.transitions(spec->key(), TimePoint{});
      int64_t span_hours = std::max<int64_t>(1, (spec->interval.count() + 3'599'999) / 3'600'000);
      int64_t h0 = std::chrono::floor<std::chrono::hours>(span.start.time_since_epoch()).count() - span_hours;
      int64_t h1 = std::chrono::floor<std::chrono::hours>(to.time_since_epoch()).count();
      auto& rollups = rollups_of[spec->check_id] = source.store.rollups(spec->key(), h0, h1);
      for (const auto& r : rollups)
        if (r.runs > 0) tl.run_hours.push_back(r.hour);
      if (auto it = check_maint.find(spec->check_id); it != check_maint.end())
        tl.maintenance = it->second;
      avail_checks.push_back(spec->check_id);
      timelines.push_back(std::move(tl));
    }
    json av;
    av["checks"] = avail_checks;
    av["target_pct"] = target ? json(*target) : json(nullptr);
    if (timelines.empty()) {
      av["note"] = "no http check: availability is not measured for this site";
      av["uptime_pct"] = nullptr;
      av["met_target"] = nullptr;
      av["days"] = json::array();
      av["missing_days"] = json::array();
      av["partial_days"] = json::array();
      av["downtime"] = json::array();
    } else {
      Availability a = site_availability(timelines, site_maint, span.start, to, day_starts);
      json t = totals_json(a.total);
      for (auto& [k, v] : t.items()) av[k] = v;
      auto pct = a.total.uptime_pct();
      av["met_target"] = pct && target ? json(*pct >= *target) : json(nullptr);
      if (pct && target && *pct < *target) risks.push_back("uptime below the contract target");
      overall.up_ms += a.total.up_ms;
      overall.down_ms += a.total.down_ms;
      overall.unknown_ms += a.total.unknown_ms;
      overall.maintenance_ms += a.total.maintenance_ms;
      overall.no_data_ms += a.total.no_data_ms;
      json days = json::array(), missing = json::array(), partial = json::array();
      for (size_t i = 0; i < span.days.size(); ++i) {
        if (span.days[i].start >= to) break;  // not yet
        const auto& d = a.days[i];
        json dj = totals_json(d);
        dj["date"] = span.days[i].date;
        days.push_back(dj);
        bool any = d.up_ms + d.down_ms + d.unknown_ms + d.maintenance_ms > 0;
        if (!any) missing.push_back(span.days[i].date);
        else if (d.no_data_ms > 0) partial.push_back(span.days[i].date);
      }
      av["days"] = days;
      av["missing_days"] = missing;
      av["partial_days"] = partial;
      json down = json::array();
      for (const auto& i : a.down)
        down.push_back({{"from", utc(i.from)}, {"to", utc(i.to)},
                        {"seconds", secs(std::chrono::duration_cast<milliseconds>(i.to - i.from))}});
      av["downtime"] = down;
      if (a.total.up_ms + a.total.down_ms + a.total.unknown_ms + a.total.maintenance_ms == 0)
        av["note"] = "no data for this site in the month";
    }
    s["availability"] = av;

    // Response time from the hourly rollups of the http checks: the store keeps per hour the
    // runs and the sum of their durations, so the median and p95 are over hourly means.
    {
      std::map<int64_t, std::pair<double, int64_t>> by_hour;  // hour -> (latency_sum, runs)
      // The rollups read for the availability above (from at least an hour before the month).
      for (const auto* spec : avail_specs)
        for (const auto& r : rollups_of[spec->check_id]) {
          if (r.runs <= 0) continue;
          TimePoint mid = TimePoint(std::chrono::hours(r.hour)) + std::chrono::minutes(30);
          if (mid < span.start || mid >= to) continue;  // an hour belongs where its middle is
          auto& [sum, runs] = by_hour[r.hour];
          sum += r.latency_sum;
          runs += r.runs;
        }
      json rt;
      rt["basis"] = "hourly means of the http checks' run durations";
      std::vector<double> means;
      std::vector<std::pair<double, int64_t>> daily(span.days.size(), {0.0, 0});
      int64_t runs_total = 0;
      for (const auto& [h, v] : by_hour) {
        means.push_back(v.first / static_cast<double>(v.second) * 1000.0);
        runs_total += v.second;
        TimePoint mid = TimePoint(std::chrono::hours(h)) + std::chrono::minutes(30);
        auto it = std::upper_bound(day_starts.begin(), day_starts.end(), mid);
        if (it != day_starts.begin()) {
          auto& d = daily[static_cast<size_t>(it - day_starts.begin() - 1)];
          d.first += v.first;
          d.second += v.second;
        }
      }
      rt["hours"] = means.size();
      rt["runs"] = runs_total;
      std::sort(means.begin(), means.end());
      rt["median_ms"] = means.empty() ? json(nullptr) : round_to(percentile(means, 50), 1);
      rt["p95_ms"] = means.empty() ? json(nullptr) : round_to(percentile(means, 95), 1);
      json dj = json::array();
      for (size_t i = 0; i < span.days.size(); ++i) {
        if (span.days[i].start >= to) break;
        dj.push_back({{"date", span.days[i].date},
                      {"mean_ms", daily[i].second ? round_to(daily[i].first / static_cast<double>(daily[i].second) * 1000.0, 1)
                                                  : json(nullptr)},
                      {"runs", daily[i].second}});
      }
      rt["daily"] = dj;
      s["response_time"] = rt;
    }

    // The other check types: patch, expiries, DNSBL, disks.
    for (const auto* spec : checks) {
      const std::string key = spec->key();
      if (spec->type == "patch") {
        auto tr = source.store.transitions(key, TimePoint{});
        auto exposed = time_in_status(tr, span.start, to, day_starts, [](probes::Status st) {
          return st == probes::Status::warning || st == probes::Status::critical;
        });
        auto insecure = time_in_status(tr, span.start, to, day_starts,
                                       [](probes::Status st) { return st == probes::Status::critical; });
        int64_t exposed_ms = 0, insecure_ms = 0;
        int days_exposed = 0, days_insecure = 0;
        for (size_t i = 0; i < exposed.size(); ++i) {
          exposed_ms += exposed[i];
          insecure_ms += insecure[i];
          days_exposed += exposed[i] > 0;
          days_insecure += insecure[i] > 0;
        }
        json f = facts_of(source.store, key);
        json status = f.contains("status") && f["status"].is_string() ? f["status"] : json(nullptr);
        if (status == "insecure") risks.push_back("CMS has an unpatched security release");
        patch.push_back({{"site", site.id},
                         {"check", spec->check_id},
                         {"product", str_or_null(f, "product")},
                         {"version", str_or_null(f, "version")},
                         {"latest", str_or_null(f, "latest")},
                         {"latest_security", str_or_null(f, "latest_security")},
                         {"status", status},
                         {"exposed_seconds", secs(exposed_ms)},
                         {"days_exposed", days_exposed},
                         {"insecure_seconds", secs(insecure_ms)},
                         {"days_insecure", days_insecure},
                         {"known", !tr.empty()}});
      } else if (spec->type == "tls" || spec->type == "domain") {
        json f = facts_of(source.store, key);
        bool tls = spec->type == "tls";
        auto expires = time_fact(f, tls ? "not_after" : "expires");
        if (!expires) continue;  // never read (or no expiry): nothing to say
        double days = std::chrono::duration<double>(*expires - now).count() / 86400.0;
        if (days > kExpiryHorizonDays) continue;
        risks.push_back(std::string(tls ? "certificate" : "domain") +
                        (days <= 0 ? " expired" : " expires within " +
                                                      std::to_string(kExpiryHorizonDays) + " days"));
        expiring.push_back({{"site", site.id},
                            {"check", spec->check_id},
                            {"kind", tls ? "certificate" : "domain"},
                            {"name", tls ? str_or_null(f, "host") : str_or_null(f, "domain")},
                            {"expires", utc(*expires)},
                            {"days_left", round_to(days, 1)}});
      } else if (spec->type == "dnsbl") {
        auto tr = source.store.transitions(key, TimePoint{});
        auto listed = [](probes::Status st) {
          return st == probes::Status::warning || st == probes::Status::critical;
        };
        bool listed_at_start = false;
        for (const auto& t : tr) {
          if (t.at < span.start) {
            listed_at_start = listed(t.to);
            continue;
          }
          if (t.at >= to) break;
          if (listed(t.to) && !listed(t.from))
            dnsbl.push_back({{"site", site.id}, {"check", spec->check_id}, {"at", utc(t.at)},
                             {"event", "listed"}, {"reason", t.reason}});
          else if (!listed(t.to) && listed(t.from) && t.to == probes::Status::ok)
            dnsbl.push_back({{"site", site.id}, {"check", spec->check_id}, {"at", utc(t.at)},
                             {"event", "delisted"}, {"reason", t.reason}});
        }
        if (listed_at_start)
          dnsbl.push_back({{"site", site.id}, {"check", spec->check_id}, {"at", utc(span.start)},
                           {"event", "listed_at_month_start"}, {"reason", ""}});
        auto st = source.store.load_state(key);
        if (st && listed(st->status))
          risks.push_back("listed on a DNS blacklist");
      } else if (spec->type == "disk") {
        json f = facts_of(source.store, key);
        if (!f.contains("mounts") || !f["mounts"].is_array()) continue;
        for (const auto& m : f["mounts"]) {
          if (!m.is_object() || !m.contains("mount") || !m["mount"].is_string()) continue;
          std::string mount = m["mount"].get<std::string>();
          // Free space at month end: the last stored point of the series within the month.
          auto points = source.store.series(key, "disk_free:" + mount, span.start);
          std::vector<probes::SeriesPoint> upto;
          for (const auto& p : points)
            if (p.at < to) upto.push_back(p);
          json d = {{"site", site.id}, {"check", spec->check_id}, {"mount", mount}};
          double size = m.value("size_bytes", 0.0);
          if (upto.empty()) {
            d["at"] = nullptr;
            d["free_bytes"] = nullptr;
            d["used_pct"] = nullptr;
            d["days_to_full"] = nullptr;
            d["note"] = "no free-space reading in the month";
          } else {
            const auto& last = upto.back();
            d["at"] = utc(last.at);
            d["free_bytes"] = last.value;
            d["size_bytes"] = size > 0 ? json(size) : json(nullptr);
            d["used_pct"] = size > 0 ? round_to(100.0 * (1.0 - last.value / size), 2) : json(nullptr);
            // The probe's projection (7 days of history) at the last reading of the month.
            std::vector<probes::SeriesPoint> window;
            for (const auto& p : upto)
              if (p.at >= last.at - std::chrono::hours(24 * 7)) window.push_back(p);
            auto days = probes::project_days_to_zero(window, last.at);
            d["days_to_full"] = round_to(days, 1);
            if (days && *days < 30) risks.push_back("disk " + mount + " full within 30 days");
          }
          disks.push_back(d);
        }
      }
    }

    s["risks"] = risks;
    if (!risks.empty()) at_risk.push_back({{"site", site.id}, {"reasons", risks}});
    sites.push_back(std::move(s));
  }
  report["sites"] = sites;

  // Incidents of the client that overlap the month.
  json incidents = json::array();
  int p1 = 0;
  for (const auto& i : source.incidents) {
    if (i.client != client->id) continue;
    TimePoint start = i.first_failure != TimePoint{} ? i.first_failure : i.opened;
    TimePoint end = i.resolved ? *i.resolved : now;
    if (!overlaps(start, std::max(end, start + milliseconds(1)), span.start, to)) continue;
    bool in_maint = false;
    for (const auto& w : windows)
      if (w.site == i.site && (w.check.empty() || w.check == i.check) && start >= w.from && start < w.to)
        in_maint = true;
    if (i.priority == alerting::Priority::P1) ++p1;
    incidents.push_back({{"id", i.id},
                         {"site", i.site},
                         {"check", i.check},
                         {"type", i.type},
                         {"start", utc(start)},
                         {"opened", utc(i.opened)},
                         {"resolved", opt_utc(i.resolved)},
                         {"ongoing", !i.resolved.has_value()},
                         {"duration_seconds", secs(std::chrono::duration_cast<milliseconds>(end - start))},
                         {"priority", alerting::to_string(i.priority)},
                         {"cause", i.summary},
                         {"failure", i.failure},
                         {"during_maintenance", in_maint},
                         {"ticket", i.ticket.empty() ? json(nullptr) : json(i.ticket)}});
  }
  report["incidents"] = incidents;

  // Tickets: each SLA cycle that started in the month, outcomes recomputed in business time.
  json items = json::array();
  std::map<std::string, std::map<std::string, std::map<std::string, int>>> by_prio;
  int met = 0, breached = 0;
  auto sla_json = [&](const SlaResult& r) {
    return json{{"state", r.state},
                {"target_seconds", r.target ? json(secs(*r.target)) : json(nullptr)},
                {"elapsed_seconds", r.elapsed ? json(secs(*r.elapsed)) : json(nullptr)},
                {"by_seconds", r.by ? json(secs(*r.by)) : json(nullptr)},
                {"due", opt_utc(r.due)},
                {"fulfilled", opt_utc(r.fulfilled)}};
  };
  for (const auto& t : source.tickets) {
    if (t.client != client->id) continue;
    auto timeline = source.store.events("ticket", t.ref);
    auto cycles = ticket_cycles(t.ref, timeline, alerting::to_string(t.priority),
                                client->contract.sla, policy.sla_basis, policy.calendar, now);
    for (const auto& c : cycles) {
      if (c.start < span.start || c.start >= to) continue;
      for (const auto* r : {&c.response, &c.resolution}) {
        met += r->state == "met";
        breached += r->state == "breached";
      }
      auto& bp = by_prio[c.priority];
      bp["count"]["tickets"] += 1;
      bp["response"][c.response.state] += 1;
      bp["resolution"][c.resolution.state] += 1;
      items.push_back({{"ref", t.ref},
                       {"cycle", c.cycle},
                       {"site", t.site},
                       {"check", t.check},
                       {"priority", c.priority},
                       {"created", utc(c.start)},
                       {"solved", opt_utc(c.solved)},
                       {"response", sla_json(c.response)},
                       {"resolution", sla_json(c.resolution)}});
    }
  }
  json by_priority = json::object();
  for (const char* p : {"P1", "P2", "P3"}) {
    auto it = by_prio.find(p);
    json e = {{"tickets", 0}, {"response", json::object()}, {"resolution", json::object()}};
    for (const char* st : {"met", "breached", "pending", "not_recorded", "no_target"}) {
      e["response"][st] = 0;
      e["resolution"][st] = 0;
    }
    if (it != by_prio.end()) {
      e["tickets"] = it->second["count"]["tickets"];
      for (auto& [st, n] : it->second["response"]) e["response"][st] = n;
      for (auto& [st, n] : it->second["resolution"]) e["resolution"][st] = n;
    }
    by_priority[p] = e;
  }
  report["tickets"] = {{"by_priority", by_priority}, {"items", items}};
  report["patch"] = patch;
  report["expiring"] = expiring;
  report["dnsbl"] = dnsbl;
  report["disks"] = disks;
  report["maintenance_source"] =
      req.maintenance.empty() ? "none recorded" : "maintenance windows given to the report";

  auto overall_pct = overall.uptime_pct();
  report["summary"] = {
      {"sites_watched", client->sites.size()},
      {"uptime_pct", round_to(overall_pct, 4)},
      {"uptime_target_pct", target ? json(*target) : json(nullptr)},
      {"uptime_met_target", overall_pct && target ? json(*overall_pct >= *target) : json(nullptr)},
      {"downtime_seconds", secs(overall.down_ms)},
      {"maintenance_seconds", secs(overall.maintenance_ms)},
      {"incidents", incidents.size()},
      {"p1_incidents", p1},
      {"sla_met", met},
      {"sla_breached", breached},
      {"sla_met_pct", met + breached ? round_to(100.0 * met / (met + breached), 2) : json(nullptr)},
      {"sites_at_risk", at_risk}};
  return report;
}

std::string logo_media_type(const std::string& path) {
  auto dot = path.rfind('.');
  if (dot == std::string::npos) return "";
  std::string ext = path.substr(dot + 1);
  for (auto& c : ext) c = static_cast<char>(std::tolower(static_cast<unsigned char>(c)));
  if (ext == "png") return "image/png";
  if (ext == "jpg" || ext == "jpeg") return "image/jpeg";
  if (ext == "gif") return "image/gif";
  if (ext == "svg") return "image/svg+xml";
  return "";
}

}  // namespace lookout::reports
