// The report as one self-contained HTML file: inline CSS, inline SVG charts, the logo as a
// data: URI. Prints on A4 with a page break before each section.
#include <algorithm>
#include <sstream>

#include "reports/render_util.h"
#include "reports/report.h"

namespace lookout::reports {
namespace {

using nlohmann::json;
using namespace render;

std::string esc(const std::string& s) {
  std::string out;
  out.reserve(s.size());
  for (char c : s) {
    switch (c) {
      case '&': out += "&amp;"; break;
      case '<': out += "&lt;"; break;
      case '>': out += "&gt;"; break;
      case '"': out += "&quot;"; break;
      case '\'': out += "&#39;"; break;
      default: out += c;
    }
  }
  return out;
}
std::string esc(const json& v) { return esc(text(v)); }

std::string base64(const std::string& in) {
  static const char* t = "ABCDEFGHIJKLMNOPQRSTUVWXYZabcdefghijklmnopqrstuvwxyz0123456789+/";
  std::string out;
  out.reserve((in.size() + 2) / 3 * 4);
  size_t i = 0;
  for (; i + 2 < in.size(); i += 3) {
    unsigned v = (static_cast<unsigned char>(in[i]) << 16) | (static_cast<unsigned char>(in[i + 1]) << 8) |
                 static_cast<unsigned char>(in[i + 2]);
    out += t[v >> 18 & 63];
    out += t[v >> 12 & 63];
    out += t[v >> 6 & 63];
    out += t[v & 63];
  }
  if (i < in.size()) {
    unsigned v = static_cast<unsigned char>(in[i]) << 16;
    if (i + 1 < in.size()) v |= static_cast<unsigned char>(in[i + 1]) << 8;
    out += t[v >> 18 & 63];
    out += t[v >> 12 & 63];
    out += i + 1 < in.size() ? t[v >> 6 & 63] : '=';
    out += '=';
  }
  return out;
}

constexpr const char* kCss = R"css(
@page { size: A4; margin: 14mm 12mm; }
* { box-sizing: border-box; }
body { font-family: "DejaVu Sans", Arial, Helvetica, sans-serif; font-size: 10pt; color: #1d2330; margin: 0; }
main { max-width: 186mm; margin: 0 auto; padding: 8mm 0; }
header.cover { display: flex; align-items: center; gap: 8mm; border-bottom: 2px solid #24466b; padding-bottom: 4mm; }
header.cover img { max-height: 18mm; max-width: 50mm; }
header.cover .agency { font-size: 14pt; font-weight: bold; color: #24466b; }
h1 { font-size: 18pt; margin: 6mm 0 1mm; color: #24466b; }
h2 { font-size: 13pt; color: #24466b; border-bottom: 1px solid #c8d3e0; padding-bottom: 1mm; margin-top: 0; }
h3 { font-size: 11pt; margin: 5mm 0 1mm; }
.sub { color: #5b6576; }
section { padding-top: 4mm; }
section.page { break-before: page; page-break-before: always; }
.box { display: grid; grid-template-columns: repeat(3, 1fr); gap: 3mm; margin: 5mm 0; }
.tile { border: 1px solid #c8d3e0; border-radius: 2mm; padding: 3mm; background: #f4f7fb; break-inside: avoid; }
.tile .v { font-size: 16pt; font-weight: bold; }
.tile .l { color: #5b6576; font-size: 8.5pt; }
.ok { color: #1c7c3a; } .bad { color: #b3261e; } .warn { color: #9a6700; }
table { width: 100%; border-collapse: collapse; margin: 2mm 0 4mm; font-size: 8.5pt; }
th, td { text-align: left; padding: 1.2mm 1.5mm; border-bottom: 1px solid #dde3ea; vertical-align: top; }
th { background: #eef2f7; }
thead { display: table-header-group; }
td.n, th.n { text-align: right; white-space: nowrap; }
tr { break-inside: avoid; }
.site { break-inside: avoid; margin-bottom: 4mm; }
.note { color: #5b6576; font-style: italic; }
svg { display: block; }
footer { color: #5b6576; font-size: 8pt; margin-top: 6mm; }
)css";

// Daily uptime bars: one bar per day, height = uptime % on a 90..100 scale (below 90 is the
// floor); a day without data is a grey stub, a day with maintenance only is blue.
std::string uptime_chart(const json& days, const json& target) {
  const double w = 680, h = 120, left = 34, bottom = 18, top = 6;
  size_t n = std::max<size_t>(days.size(), 1);
  double bw = (w - left - 4) / static_cast<double>(n);
  auto y = [&](double pct) {
    double v = std::clamp(pct, 90.0, 100.0);
    return top + (100.0 - v) / 10.0 * (h - top - bottom);
  };
  std::ostringstream s;
  s << "<svg viewBox='0 0 " << w << " " << h << "' width='100%' role='img' aria-label='daily uptime'>";
  for (double g : {90.0, 95.0, 100.0})
    s << "<line x1='" << left << "' x2='" << w << "' y1='" << y(g) << "' y2='" << y(g)
      << "' stroke='#dde3ea'/><text x='" << left - 3 << "' y='" << y(g) + 3
      << "' font-size='8' text-anchor='end' fill='#5b6576'>" << g << "%</text>";
  if (target.is_number())
    s << "<line x1='" << left << "' x2='" << w << "' y1='" << y(target.get<double>()) << "' y2='"
      << y(target.get<double>()) << "' stroke='#b3261e' stroke-dasharray='4 3'/>";
  for (size_t i = 0; i < days.size(); ++i) {
    const auto& d = days[i];
    double x = left + 2 + static_cast<double>(i) * bw;
    if (d["uptime_pct"].is_number()) {
      double p = d["uptime_pct"].get<double>();
      std::string color = target.is_number() && p < target.get<double>() ? "#b3261e" : "#2e8b57";
      s << "<rect x='" << x << "' y='" << y(p) << "' width='" << bw * 0.8 << "' height='"
        << (h - bottom) - y(p) + 0.5 << "' fill='" << color << "'><title>" << esc(d["date"]) << ": "
        << fixed(p, 3) << "%</title></rect>";
    } else {
      std::string color = d.value("maintenance_seconds", 0.0) > 0 ? "#5b8def" : "#b8c0cc";
      s << "<rect x='" << x << "' y='" << h - bottom - 4 << "' width='" << bw * 0.8
        << "' height='4' fill='" << color << "'><title>" << esc(d["date"]) << ": no data</title></rect>";
    }
    if (i % 5 == 0 || i + 1 == days.size())
      s << "<text x='" << x + bw * 0.4 << "' y='" << h - 5 << "' font-size='8' text-anchor='middle' fill='#5b6576'>"
        << esc(d["date"].get<std::string>().substr(8)) << "</text>";
  }
  s << "</svg>";
  return s.str();
}

// Daily mean response time as a line (ms); gaps where a day has no runs.
std::string response_chart(const json& daily) {
  const double w = 680, h = 110, left = 44, bottom = 18, top = 8;
  double maxv = 0;
  for (const auto& d : daily)
    if (d["mean_ms"].is_number()) maxv = std::max(maxv, d["mean_ms"].get<double>());
  if (maxv <= 0) return "<p class='note'>No response times recorded in the month.</p>";
  double scale = maxv * 1.15;
  size_t n = std::max<size_t>(daily.size(), 1);
  double step = (w - left - 8) / static_cast<double>(std::max<size_t>(n - 1, 1));
  auto y = [&](double v) { return top + (1.0 - v / scale) * (h - top - bottom); };
  std::ostringstream s;
  s << "<svg viewBox='0 0 " << w << " " << h << "' width='100%' role='img' aria-label='response time'>";
  for (double g : {0.0, scale / 2, scale})
    s << "<line x1='" << left << "' x2='" << w << "' y1='" << y(g) << "' y2='" << y(g)
      << "' stroke='#dde3ea'/><text x='" << left - 3 << "' y='" << y(g) + 3
      << "' font-size='8' text-anchor='end' fill='#5b6576'>" << fixed(g, 0) << " ms</text>";
  std::string path;
  bool pen = false;
  for (size_t i = 0; i < daily.size(); ++i) {
    double x = left + 4 + static_cast<double>(i) * step;
    if (!daily[i]["mean_ms"].is_number()) {
      pen = false;
      continue;
    }
    double v = daily[i]["mean_ms"].get<double>();
    path += (pen ? " L" : " M") + fixed(x, 1) + " " + fixed(y(v), 1);
    pen = true;
    s << "<circle cx='" << fixed(x, 1) << "' cy='" << fixed(y(v), 1) << "' r='1.8' fill='#24466b'><title>"
      << esc(daily[i]["date"]) << ": " << fixed(v, 1) << " ms</title></circle>";
    if (i % 5 == 0 || i + 1 == daily.size())
      s << "<text x='" << x << "' y='" << h - 5 << "' font-size='8' text-anchor='middle' fill='#5b6576'>"
        << esc(daily[i]["date"].get<std::string>().substr(8)) << "</text>";
  }
  s << "<path d='" << path << "' fill='none' stroke='#24466b' stroke-width='1.5'/></svg>";
  return s.str();
}

std::string cls_pct(const json& v, const json& target) {
  if (!v.is_number() || !target.is_number()) return "";
  return v.get<double>() >= target.get<double>() ? "ok" : "bad";
}

}  // namespace

std::string render_html(const json& r, const std::string& logo, const std::string& logo_type) {
  const date::time_zone* zone = date::locate_zone(r["client"].value("timezone", "UTC"));
  auto lt = [&](const json& v) { return esc(local_time(v, zone)); };
  const json& sum = r["summary"];
  const json& target = r["client"]["uptime_target_pct"];
  std::ostringstream o;
  o << "<!DOCTYPE html><html lang='en'><head><meta charset='utf-8'>"
    << "<meta name='viewport' content='width=device-width, initial-scale=1'>"
    << "<title>" << esc(r["client"]["name"]) << " — monthly report " << esc(r["month"]) << "</title>"
    << "<style>" << kCss << "</style></head><body><main>";

  // Cover and summary.
  o << "<section><header class='cover'>";
  if (!logo.empty() && !logo_type.empty())
    o << "<img alt='logo' src='data:" << logo_type << ";base64," << base64(logo) << "'>";
  o << "<div class='agency'>" << esc(r["agency"].value("name", "")) << "</div></header>";
  o << "<h1>" << esc(r["client"]["name"]) << " — maintenance report " << esc(r["month"]) << "</h1>";
  o << "<div class='sub'>" << lt(r["period"]["from"]) << " to " << lt(r["period"]["to"]) << " ("
    << esc(r["client"]["timezone"]) << ")";
  if (!r["period"]["complete"].get<bool>())
    o << " — month in progress, measured to " << lt(r["period"]["measured_to"]);
  o << ". Generated " << esc(local_time(r["generated_at"], zone, true)) << ".</div>";
  o << "<div class='box'>";
  auto tile = [&](const std::string& v, const std::string& label, const std::string& cls = "") {
    o << "<div class='tile'><div class='v " << cls << "'>" << v << "</div><div class='l'>" << label
      << "</div></div>";
  };
  tile(std::to_string(sum["sites_watched"].get<int>()), "sites watched");
  tile(esc(pct(sum["uptime_pct"])), "overall uptime" + (target.is_number() ? " (target " + esc(pct(target, 2)) + ")" : std::string(" (no contract target)")),
       cls_pct(sum["uptime_pct"], target));
  tile(std::to_string(sum["incidents"].get<int>()), "incidents");
  tile(std::to_string(sum["p1_incidents"].get<int>()), "P1 incidents", sum["p1_incidents"].get<int>() ? "bad" : "ok");
  tile(esc(pct(sum["sla_met_pct"], 1)), "SLA met (" + std::to_string(sum["sla_met"].get<int>()) + " met, " +
                                    std::to_string(sum["sla_breached"].get<int>()) + " breached)",
       sum["sla_breached"].get<int>() ? "warn" : "ok");
  tile(std::to_string(sum["sites_at_risk"].size()), "sites at risk", sum["sites_at_risk"].empty() ? "ok" : "warn");
  o << "</div>";
  if (!sum["sites_at_risk"].empty()) {
    o << "<h3>Sites at risk</h3><table><thead><tr><th>site</th><th>why</th></tr></thead>";
    for (const auto& s : sum["sites_at_risk"]) {
      std::string why;
      for (const auto& x : s["reasons"]) why += (why.empty() ? "" : "; ") + x.get<std::string>();
      o << "<tr><td>" << esc(s["site"]) << "</td><td>" << esc(why) << "</td></tr>";
    }
    o << "</table>";
  }
  o << "<h3>Availability per site</h3><table><thead><tr><th>site</th><th class='n'>uptime</th><th class='n'>target</th>"
    << "<th class='n'>downtime</th><th class='n'>maintenance</th><th class='n'>no data</th></tr></thead>";
  for (const auto& s : r["sites"]) {
    const auto& a = s["availability"];
    o << "<tr><td>" << esc(s["name"]) << "</td><td class='n " << cls_pct(a["uptime_pct"], target) << "'>"
      << esc(pct(a["uptime_pct"])) << "</td><td class='n'>" << esc(pct(target, 2)) << "</td><td class='n'>"
      << esc(duration(a.value("down_seconds", json()))) << "</td><td class='n'>"
      << esc(duration(a.value("maintenance_seconds", json()))) << "</td><td class='n'>"
      << esc(duration(a.value("no_data_seconds", json()))) << "</td></tr>";
  }
  o << "</table><p class='note'>Uptime is measured from the http checks' state changes, to the "
       "second: critical is down, a warning is not downtime, unknown and planned maintenance are "
       "left out of the measured time, and hours without any check run are shown as no data, "
       "never filled in.</p></section>";

  // Per site: charts, maintenance, missing days.
  o << "<section class='page'><h2>Uptime and response time per site</h2>";
  for (const auto& s : r["sites"]) {
    const auto& a = s["availability"];
    const auto& rt = s["response_time"];
    o << "<div class='site'><h3>" << esc(s["name"]) << " <span class='sub'>" << esc(s["url"]) << "</span></h3>";
    if (a.contains("note")) o << "<p class='note'>" << esc(a["note"]) << "</p>";
    o << "<div>Uptime " << esc(pct(a["uptime_pct"])) << "; response time median " << esc(num(rt["median_ms"], 1))
      << " ms, p95 " << esc(num(rt["p95_ms"], 1)) << " ms (" << esc(rt["basis"]) << ").</div>";
    if (!a["days"].empty()) o << uptime_chart(a["days"], target);
    o << response_chart(rt["daily"]);
    if (!a["missing_days"].empty()) {
      std::string days;
      for (const auto& d : a["missing_days"]) days += (days.empty() ? "" : ", ") + d.get<std::string>();
      o << "<p class='note'>No data on " << esc(days) << ".</p>";
    }
    if (!a["partial_days"].empty()) {
      std::string days;
      for (const auto& d : a["partial_days"]) days += (days.empty() ? "" : ", ") + d.get<std::string>();
      o << "<p class='note'>Partial data on " << esc(days) << ".</p>";
    }
    if (!s["maintenance"].empty()) {
      o << "<table><thead><tr><th>planned maintenance</th><th>to</th><th>check</th><th>reason</th><th class='n'>excluded</th></tr></thead>";
      for (const auto& m : s["maintenance"])
        o << "<tr><td>" << lt(m["from"]) << "</td><td>" << lt(m["to"]) << "</td><td>"
          << (m["check"].is_null() ? "whole site" : esc(m["check"])) << "</td><td>" << esc(m["reason"])
          << "</td><td class='n'>" << esc(duration(m["seconds_in_month"])) << "</td></tr>";
      o << "</table>";
    }
    o << "</div>";
  }
  o << "</section>";

  // Incidents.
  o << "<section class='page'><h2>Incidents</h2>";
  if (r["incidents"].empty()) o << "<p>No incidents in the month.</p>";
  else {
    o << "<table><thead><tr><th>start</th><th>site</th><th>check</th><th>priority</th><th class='n'>duration</th><th>cause</th></tr></thead>";
    for (const auto& i : r["incidents"])
      o << "<tr><td>" << lt(i["start"]) << "</td><td>" << esc(i["site"]) << "</td><td>" << esc(i["check"])
        << "</td><td>" << esc(i["priority"]) << "</td><td class='n'>" << esc(duration(i["duration_seconds"]))
        << (i["ongoing"].get<bool>() ? " (ongoing)" : "") << "</td><td>" << esc(i["cause"])
        << (i["during_maintenance"].get<bool>() ? " <em>(during planned maintenance)</em>" : "") << "</td></tr>";
    o << "</table>";
  }

  // Tickets and SLA.
  o << "<h2>Tickets and SLA</h2><p class='sub'>Response and resolution against the contract, counted in "
    << (r["client"]["sla_basis"] == "24x7" ? "calendar time (24x7)" : "business hours") << " as the SLA clocks run.</p>";
  o << "<table><thead><tr><th>priority</th><th class='n'>tickets</th><th class='n'>response met</th><th class='n'>response breached</th>"
    << "<th class='n'>resolution met</th><th class='n'>resolution breached</th></tr></thead>";
  for (const auto& [p, e] : r["tickets"]["by_priority"].items())
    o << "<tr><td>" << esc(p) << "</td><td class='n'>" << e["tickets"].get<int>() << "</td><td class='n'>"
      << e["response"]["met"].get<int>() << "</td><td class='n'>" << e["response"]["breached"].get<int>()
      << "</td><td class='n'>" << e["resolution"]["met"].get<int>() << "</td><td class='n'>"
      << e["resolution"]["breached"].get<int>() << "</td></tr>";
  o << "</table>";
  if (!r["tickets"]["items"].empty()) {
    o << "<table><thead><tr><th>ticket</th><th>site</th><th>priority</th><th>created</th><th>response</th><th>resolution</th></tr></thead>";
    for (const auto& t : r["tickets"]["items"])
      o << "<tr><td>" << esc(t["ref"]) << (t["cycle"].get<int>() > 1 ? " (reopened)" : "") << "</td><td>"
        << esc(t["site"]) << "</td><td>" << esc(t["priority"]) << "</td><td>" << lt(t["created"]) << "</td><td class='"
        << (t["response"]["state"] == "breached" ? "bad" : "") << "'>" << esc(sla_text(t["response"]))
        << "</td><td class='" << (t["resolution"]["state"] == "breached" ? "bad" : "") << "'>"
        << esc(sla_text(t["resolution"])) << "</td></tr>";
    o << "</table>";
  }
  o << "</section>";

  // Security and risk.
  o << "<section class='page'><h2>Patch status</h2>";
  if (r["patch"].empty()) o << "<p>No patch checks.</p>";
  else {
    o << "<table><thead><tr><th>site</th><th>CMS</th><th>version</th><th>latest</th><th>latest security</th><th>status</th>"
      << "<th class='n'>days exposed</th></tr></thead>";
    for (const auto& p : r["patch"])
      o << "<tr><td>" << esc(p["site"]) << "</td><td>" << esc(p["product"]) << "</td><td>" << esc(p["version"])
        << "</td><td>" << esc(p["latest"]) << "</td><td>" << esc(p["latest_security"]) << "</td><td class='"
        << (p["status"] == "insecure" ? "bad" : p["status"] == "outdated" ? "warn" : "ok") << "'>" << esc(p["status"])
        << "</td><td class='n'>" << p["days_exposed"].get<int>() << "</td></tr>";
    o << "</table>";
  }
  o << "<h2>Certificates and domains expiring within " << kExpiryHorizonDays << " days</h2>";
  if (r["expiring"].empty()) o << "<p>None.</p>";
  else {
    o << "<table><thead><tr><th>site</th><th>what</th><th>name</th><th>expires</th><th class='n'>days left</th></tr></thead>";
    for (const auto& e : r["expiring"])
      o << "<tr><td>" << esc(e["site"]) << "</td><td>" << esc(e["kind"]) << "</td><td>" << esc(e["name"])
        << "</td><td>" << lt(e["expires"]) << "</td><td class='n'>" << esc(num(e["days_left"], 1)) << "</td></tr>";
    o << "</table>";
  }
  o << "<h2>DNS blacklists</h2>";
  if (r["dnsbl"].empty()) o << "<p>No listings or delistings in the month.</p>";
  else {
    o << "<table><thead><tr><th>when</th><th>site</th><th>event</th><th>detail</th></tr></thead>";
    for (const auto& e : r["dnsbl"])
      o << "<tr><td>" << lt(e["at"]) << "</td><td>" << esc(e["site"]) << "</td><td>" << esc(e["event"])
        << "</td><td>" << esc(e["reason"]) << "</td></tr>";
    o << "</table>";
  }
  o << "<h2>Disks at month end</h2>";
  if (r["disks"].empty()) o << "<p>No disk checks.</p>";
  else {
    o << "<table><thead><tr><th>site</th><th>mount</th><th>reading</th><th class='n'>used</th><th class='n'>days to full</th></tr></thead>";
    for (const auto& d : r["disks"])
      o << "<tr><td>" << esc(d["site"]) << "</td><td>" << esc(d["mount"]) << "</td><td>" << lt(d["at"])
        << "</td><td class='n'>" << esc(pct(d["used_pct"], 1)) << "</td><td class='n'>"
        << (d["days_to_full"].is_null() ? std::string("not filling") : esc(num(d["days_to_full"], 1))) << "</td></tr>";
    o << "</table>";
  }
  o << "<footer>Lookout monthly report " << esc(r["month"]) << " for " << esc(r["client"]["name"])
    << ". Times are local to " << esc(r["client"]["timezone"]) << ".</footer></section>";
  o << "</main></body></html>\n";
  return o.str();
}

}  // namespace lookout::reports
