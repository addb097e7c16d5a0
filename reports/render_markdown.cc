// The report as Markdown (GitHub flavour tables), for pasting into a ticket.
#include <sstream>

#include "reports/render_util.h"
#include "reports/report.h"

namespace lookout::reports {
namespace {

using nlohmann::json;
using namespace render;

// A table cell: pipes and newlines would break the row.
std::string cell(const std::string& s) {
  std::string out;
  for (char c : s) {
    if (c == '|') out += "\\|";
    else if (c == '\n' || c == '\r') out += ' ';
    else out += c;
  }
  return out;
}
std::string cell(const json& v) { return cell(text(v)); }

}  // namespace

std::string render_markdown(const json& r) {
  const date::time_zone* zone = date::locate_zone(r["client"].value("timezone", "UTC"));
  auto lt = [&](const json& v) { return local_time(v, zone); };
  const json& sum = r["summary"];
  const json& target = r["client"]["uptime_target_pct"];
  std::ostringstream o;
  std::string agency = r["agency"].value("name", "");
  o << "# " << text(r["client"]["name"]) << " — maintenance report " << text(r["month"]) << "\n\n";
  if (!agency.empty()) o << "_" << agency << "_\n\n";
  o << lt(r["period"]["from"]) << " to " << lt(r["period"]["to"]) << " (" << text(r["client"]["timezone"]) << ")";
  if (!r["period"]["complete"].get<bool>()) o << ", month in progress, measured to " << lt(r["period"]["measured_to"]);
  o << ".\n\n## Summary\n\n";
  o << "- Sites watched: " << sum["sites_watched"].get<int>() << "\n";
  o << "- Overall uptime: " << pct(sum["uptime_pct"]) << " (target " << pct(target, 2) << ")\n";
  o << "- Incidents: " << sum["incidents"].get<int>() << " (P1: " << sum["p1_incidents"].get<int>() << ")\n";
  o << "- SLA met: " << pct(sum["sla_met_pct"], 1) << " (" << sum["sla_met"].get<int>() << " met, "
    << sum["sla_breached"].get<int>() << " breached)\n";
  o << "- Sites at risk: " << sum["sites_at_risk"].size() << "\n";
  for (const auto& s : sum["sites_at_risk"]) {
    std::string why;
    for (const auto& x : s["reasons"]) why += (why.empty() ? "" : "; ") + x.get<std::string>();
    o << "  - " << text(s["site"]) << ": " << why << "\n";
  }

  o << "\n## Availability\n\n| site | uptime | downtime | maintenance | no data | missing days |\n|---|---:|---:|---:|---:|---|\n";
  for (const auto& s : r["sites"]) {
    const auto& a = s["availability"];
    std::string missing;
    for (const auto& d : a["missing_days"]) missing += (missing.empty() ? "" : ", ") + d.get<std::string>();
    o << "| " << cell(s["name"]) << " | " << pct(a["uptime_pct"]) << " | " << duration(a.value("down_seconds", json()))
      << " | " << duration(a.value("maintenance_seconds", json())) << " | " << duration(a.value("no_data_seconds", json()))
      << " | " << cell(missing.empty() ? "—" : missing) << " |\n";
  }
  bool any_maint = false;
  for (const auto& s : r["sites"])
    for (const auto& m : s["maintenance"]) {
      if (!any_maint) o << "\n### Planned maintenance (excluded)\n\n| site | from | to | check | reason |\n|---|---|---|---|---|\n";
      any_maint = true;
      o << "| " << cell(s["id"]) << " | " << lt(m["from"]) << " | " << lt(m["to"]) << " | "
        << (m["check"].is_null() ? "whole site" : cell(m["check"])) << " | " << cell(m["reason"]) << " |\n";
    }
  o << "\n## Response time\n\n| site | median | p95 |\n|---|---:|---:|\n";
  for (const auto& s : r["sites"])
    o << "| " << cell(s["name"]) << " | " << num(s["response_time"]["median_ms"], 1) << " ms | "
      << num(s["response_time"]["p95_ms"], 1) << " ms |\n";

  o << "\n## Incidents\n\n";
  if (r["incidents"].empty()) o << "None.\n";
  else {
    o << "| start | site | check | priority | duration | cause |\n|---|---|---|---|---:|---|\n";
    for (const auto& i : r["incidents"])
      o << "| " << lt(i["start"]) << " | " << cell(i["site"]) << " | " << cell(i["check"]) << " | "
        << cell(i["priority"]) << " | " << duration(i["duration_seconds"]) << (i["ongoing"].get<bool>() ? " (ongoing)" : "")
        << " | " << cell(i["cause"]) << " |\n";
  }
  o << "\n## Tickets and SLA\n\n";
  if (r["tickets"]["items"].empty()) o << "No tickets opened in the month.\n";
  else {
    o << "| ticket | site | priority | created | response | resolution |\n|---|---|---|---|---|---|\n";
    for (const auto& t : r["tickets"]["items"])
      o << "| " << cell(t["ref"]) << " | " << cell(t["site"]) << " | " << cell(t["priority"]) << " | " << lt(t["created"])
        << " | " << sla_text(t["response"]) << " | " << sla_text(t["resolution"]) << " |\n";
  }
  o << "\n## Patch status\n\n";
  if (r["patch"].empty()) o << "No patch checks.\n";
  else {
    o << "| site | CMS | version | latest security | status | days exposed |\n|---|---|---|---|---|---:|\n";
    for (const auto& p : r["patch"])
      o << "| " << cell(p["site"]) << " | " << cell(p["product"]) << " | " << cell(p["version"]) << " | "
        << cell(p["latest_security"]) << " | " << cell(p["status"]) << " | " << p["days_exposed"].get<int>() << " |\n";
  }
  o << "\n## Expiring within " << kExpiryHorizonDays << " days\n\n";
  if (r["expiring"].empty()) o << "None.\n";
  else {
    o << "| site | what | name | expires | days left |\n|---|---|---|---|---:|\n";
    for (const auto& e : r["expiring"])
      o << "| " << cell(e["site"]) << " | " << cell(e["kind"]) << " | " << cell(e["name"]) << " | " << lt(e["expires"])
        << " | " << num(e["days_left"], 1) << " |\n";
  }
  o << "\n## DNS blacklists\n\n";
  if (r["dnsbl"].empty()) o << "No listings or delistings.\n";
  else
    for (const auto& e : r["dnsbl"])
      o << "- " << lt(e["at"]) << " " << text(e["site"]) << ": " << text(e["event"])
        << (e["reason"].get<std::string>().empty() ? "" : " (" + e["reason"].get<std::string>() + ")") << "\n";
  o << "\n## Disks at month end\n\n";
  if (r["disks"].empty()) o << "No disk checks.\n";
  else {
    o << "| site | mount | used | days to full |\n|---|---|---:|---:|\n";
    for (const auto& d : r["disks"])
      o << "| " << cell(d["site"]) << " | " << cell(d["mount"]) << " | " << pct(d["used_pct"], 1) << " | "
        << (d["days_to_full"].is_null() ? std::string("not filling") : num(d["days_to_full"], 1)) << " |\n";
  }
  return o.str();
}

}  // namespace lookout::reports
