// agent::api: the agent's JSON API (/api/v1/...), as pure functions over the engine, the store
// and the config; agent/admin_server.cc only moves bytes. Documented in docs/api.md.
//
//   GET /api/v1/checks                       every check (filters, optional pagination)
//   GET /api/v1/checks/{client}/{site}/{id}  one check with its recent transitions
//   GET /api/v1/clients                      clients, business hours, open now, check counts
//   GET /api/v1/incidents, /tickets, /tickets/{ref}, /maintenance     alerting (read-only)
//   POST /api/v1/incidents/{id}/ack, /tickets/{ref}/{hold|resume|solve|comment},
//   POST /api/v1/maintenance, DELETE /api/v1/maintenance/{id}        mutations (bearer token)
//
// Errors are {"error": "..."} with 400 (bad query or body), 401 (no or wrong token), 403
// (mutations disabled), 404 (unknown path, check, incident, ticket or window), 405 (method),
// 409 (not possible in the current state), 500 (the change could not be stored).
// Times are RFC 3339 in UTC with milliseconds ("2026-12-04T05:40:46.123Z").
#pragma once

#include <chrono>
#include <memory>
#include <optional>
#include <string>
#include <string_view>
#include <vector>

#include "agent/admin_server.h"
#include "alerting/alerting_service.h"
#include "config/clock.h"
#include "config/config.h"
#include "config/time_text.h"

namespace lookout::store {
class Store;
}

namespace lookout::agent {

class Engine;

namespace api {

using TimePoint = std::chrono::system_clock::time_point;

/// What the API reads. The engine and the clock are required; the store may be null (then a
/// check has no transitions) and so may the clients (then /api/v1/clients is empty).
struct Sources {
  const Engine& engine;
  store::Store* store = nullptr;
  std::shared_ptr<const std::vector<config::Client>> clients;
  const Clock& clock = SystemClock::instance();
  alerting::AlertingService* alerting = nullptr;  // incidents, tickets, maintenance
  /// The bearer token mutations need; empty = mutations disabled (403).
  std::string api_token{};
};

/// One request as the API sees it.
struct Request {
  std::string_view method;
  std::string_view target;         // path and query
  std::string_view authorization;  // the Authorization header ("" when absent)
  std::string_view body;
};

/// Answers one request to an API path (or any path the admin server does not serve itself:
/// those get a 404). `method` is the HTTP method name ("GET", "HEAD", ...); `target` the
/// request target with its query string.
HttpAnswer handle(const Sources& sources, std::string_view method, std::string_view target);
HttpAnswer handle(const Sources& sources, const Request& request);
/// The token mutations need: LOOKOUT_API_TOKEN when set, else agent.api_token_file's content.
std::string api_token(const config::AgentSettings& agent);
/// A JSON error answer: {"error": message}.
HttpAnswer error(int status, const std::string& message);

using config::parse_rfc3339;
using config::rfc3339;
/// Copies a Result::to_json() text to `out`, turning its top-level "started" number (Unix
/// seconds) into an RFC 3339 string; anything else is copied as is.
void append_result_json(std::string& out, std::string_view result_json);
/// Percent-decodes one query component ('+' stays '+'); nullopt for a malformed escape.
std::optional<std::string> percent_decode(std::string_view s);

}  // namespace api
}  // namespace lookout::agent
