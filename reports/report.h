// reports::build_report: the monthly maintenance report of one client as a JSON model that
// carries every number the HTML and Markdown renderers show (docs/reports.md documents each
// field and rule). Reads the state store only (a read-only SqliteStore beside a running agent
// does); "now" is an argument.
#pragma once

#include <map>
#include <stdexcept>
#include <string>
#include <vector>

#include <nlohmann/json.hpp>

#include "alerting/incident.h"
#include "alerting/ticket_store.h"
#include "config/config.h"
#include "reports/maintenance.h"
#include "reports/month.h"
#include "store/store.h"

namespace lookout::reports {

/// A request the report cannot serve: unknown client, malformed or future month. The CLI
/// exits 2 on it, the API answers 404 (client) or 400 (month).
class ReportError : public std::runtime_error {
 public:
  enum class Kind { unknown_client, bad_month };
  ReportError(Kind k, const std::string& what) : std::runtime_error(what), kind(k) {}
  Kind kind;
};

/// What every report reads from the store once (`--all` shares it between clients): every
/// incident and every ticket. Check states, rollups, transitions, series and ticket timelines
/// are read per check of the report's client (never every check's state: the daemon may hold
/// 100,000).
struct ReportSource {
  explicit ReportSource(store::Store& store);
  store::Store& store;
  std::vector<alerting::Incident> incidents;  // open (latest per check) and resolved
  std::vector<alerting::Ticket> tickets;
};

struct ReportRequest {
  std::string client;
  std::string month;  // "YYYY-MM"
  TimePoint now{};    // the report date: expiries count from it, a running month ends at it
  std::vector<MaintenanceWindow> maintenance;  // every client's; the report picks its own
};

/// The days to look ahead for expiring certificates and domains.
inline constexpr int kExpiryHorizonDays = 60;

/// Throws ReportError for an unknown client, a malformed month or one that starts after `now`
/// in the client's time zone.
nlohmann::json build_report(const config::Config& config, ReportSource& source,
                            const ReportRequest& request);

/// Renderers over the JSON model (render_html.cc, render_markdown.cc). `logo` is the logo
/// file's bytes and `logo_type` its media type (image/png ...); empty = no logo.
std::string render_html(const nlohmann::json& report, const std::string& logo = "",
                        const std::string& logo_type = "");
std::string render_markdown(const nlohmann::json& report);

/// The media type of a logo file by its extension ("image/png"), "" when not an image.
std::string logo_media_type(const std::string& path);

}  // namespace lookout::reports
