#include "agent/api.h"

#include <algorithm>
#include <cctype>
#include <charconv>
#include <cmath>
#include <cstdio>
#include <map>
#include <set>

#include <cstdlib>
#include <fstream>

#include <nlohmann/json.hpp>
#include <openssl/crypto.h>

#include "agent/engine.h"
#include "alerting/calendar.h"
#include "alerting/oncall.h"
#include "config/time_text.h"
#include "reports/output.h"
#include "reports/report.h"
#include "store/store.h"

namespace lookout::agent::api {
HttpAnswer error(int status, const std::string& message) {
  HttpAnswer a;
  a.status = status;
  a.body = nlohmann::json{{"error", message}}.dump(-1, ' ', false,
                                                   nlohmann::json::error_handler_t::replace) +
           "\n";
  return a;
}

namespace {
using std::chrono::milliseconds;

constexpr const char* kEndpoints =
    "/api/v1/checks, /api/v1/checks/{client}/{site}/{check}, /api/v1/clients, /api/v1/incidents, "
    "/api/v1/tickets, /api/v1/tickets/{ref}, /api/v1/maintenance, /api/v1/oncall, /api/v1/reports/{client}/{month}, POST "
    "/api/v1/incidents/{id}/ack, POST /api/v1/tickets/{ref}/{hold|resume|solve|comment}, "
    "POST /api/v1/maintenance, DELETE /api/v1/maintenance/{id}, /metrics, /healthz";
constexpr const char* kDayNames[7] = {"mon", "tue", "wed", "thu", "fri", "sat", "sun"};
constexpr auto kDefaultTransitionWindow = std::chrono::hours(24 * 7);

using Params = std::vector<std::pair<std::string, std::string>>;


HttpAnswer method_not_allowed(std::string_view method, std::string_view path) {
  auto a = error(405, "method " + std::string(method) + " not allowed on " + std::string(path) +
                          "; use GET or HEAD");
  a.headers.emplace_back("Allow", "GET, HEAD");
  return a;
}

// A JSON string literal. Bytes >= 0x80 are copied as they are (config text is UTF-8).
void append_string(std::string& out, std::string_view s) {
  out += '"';
  for (char ch : s) {
    auto c = static_cast<unsigned char>(ch);
    switch (c) {
      case '"': out += "\\\""; break;
      case '\\': out += "\\\\"; break;
      case '\n': out += "\\n"; break;
      case '\r': out += "\\r"; break;
      case '\t': out += "\\t"; break;
      default:
        if (c < 0x20) {
          char buf[8];
          std::snprintf(buf, sizeof buf, "\\u%04x", c);
          out += buf;
        } else {
          out += ch;
        }
    }
  }
  out += '"';
}

// An RFC 3339 string, or null for the zero time (never happened / not scheduled).
void append_time(std::string& out, TimePoint t) {
  if (t == TimePoint{}) {
    out += "null";
    return;
  }
  out += '"';
  out += rfc3339(t);
  out += '"';
}

std::string percent_encode(std::string_view s) {
  static const char* hex = "0123456789ABCDEF";
  std::string out;
  for (char ch : s) {
    auto c = static_cast<unsigned char>(ch);
    if (std::isalnum(c) || c == '-' || c == '.' || c == '_' || c == '~') {
      out += ch;
    } else {
      out += '%';
      out += hex[c >> 4];
      out += hex[c & 15];
    }
  }
  return out;
}

// Splits "a=1&b=2" into decoded pairs; nullopt for a malformed escape.
std::optional<Params> parse_query(std::string_view query) {
  Params out;
  while (!query.empty()) {
    auto amp = query.find('&');
    auto piece = query.substr(0, amp);
    query = amp == std::string_view::npos ? std::string_view{} : query.substr(amp + 1);
    if (piece.empty()) continue;
    auto eq = piece.find('=');
    auto name = percent_decode(piece.substr(0, eq));
    auto value = percent_decode(eq == std::string_view::npos ? std::string_view{}
                                                             : piece.substr(eq + 1));
    if (!name || !value) return std::nullopt;
    out.emplace_back(std::move(*name), std::move(*value));
  }
  return out;
}

std::string join(const std::set<std::string>& names) {
  std::string out;
  for (const auto& n : names) out += (out.empty() ? "" : ", ") + n;
  return out;
}

// The first parameter not in `known`, as a 400; and 400 for a single-valued one given twice.
std::optional<HttpAnswer> check_params(const Params& params, const std::set<std::string>& known,
                                       const std::set<std::string>& single) {
  std::set<std::string> seen;
  for (const auto& [name, value] : params) {
    if (!known.count(name))
      return error(400, "unknown query parameter '" + name + "'" +
                            (known.empty() ? "; this endpoint takes none"
                                           : "; known: " + join(known)));
    if (single.count(name) && !seen.insert(name).second)
      return error(400, "query parameter '" + name + "' given more than once");
  }
  return std::nullopt;
}

// The filters of /api/v1/checks: AND across parameters, OR within a repeated one.
struct Filter {
  std::set<std::string> clients, sites, types, tags;
  std::set<probes::Status> statuses;

  bool match(const CheckHealth& h) const {
    const auto& spec = h.check->spec;
    if (!clients.empty() && !clients.count(spec.client_id)) return false;
    if (!sites.empty() && !sites.count(spec.site_id)) return false;
    if (!types.empty() && !types.count(spec.type)) return false;
    if (!statuses.empty() && !statuses.count(h.status)) return false;
    if (!tags.empty() &&
        std::none_of(h.check->tags.begin(), h.check->tags.end(),
                     [&](const std::string& t) { return tags.count(t) > 0; }))
      return false;
    return true;
  }
};

// One check as an API object, left open: the caller adds fields or the closing '}'.
void append_check(std::string& out, const std::string& key, const CheckHealth& h) {
  const auto& spec = h.check->spec;
  out += "{\"key\":";
  append_string(out, key);
  out += ",\"client\":";
  append_string(out, spec.client_id);
  out += ",\"site\":";
  append_string(out, spec.site_id);
  out += ",\"check\":";
  append_string(out, spec.check_id);
  out += ",\"type\":";
  append_string(out, spec.type);
  out += ",\"target\":";
  append_string(out, spec.target);
  out += ",\"tags\":[";
  for (size_t i = 0; i < h.check->tags.size(); ++i) {
    if (i) out += ',';
    append_string(out, h.check->tags[i]);
  }
  out += "],\"interval_seconds\":";
  out += nlohmann::json(static_cast<double>(spec.interval.count()) / 1000.0).dump();
  out += ",\"status\":";
  append_string(out, probes::to_string(h.status));
  out += ",\"consecutive_failures\":";
  out += std::to_string(h.consecutive_failures);
  out += ",\"since\":";
  append_time(out, h.since);
  out += ",\"last_run\":";
  append_time(out, h.last_run);
  out += ",\"next_run\":";
  append_time(out, h.next_run);
  out += ",\"last_result\":";
  if (h.last_json.empty())
    out += "null";
  else
    append_result_json(out, h.last_json);
}

HttpAnswer json(std::string body) {
  HttpAnswer a;
  a.body = std::move(body);
  a.body += '\n';
  return a;
}

HttpAnswer list_checks(const Sources& src, const Params& params) {
  if (auto bad = check_params(params, {"client", "site", "type", "status", "tag", "limit", "after"},
                              {"limit", "after"}))
    return *bad;
  Filter filter;
  std::optional<size_t> limit;
  std::optional<std::string> after;
  for (const auto& [name, value] : params) {
    if (value.empty() && name != "after")
      return error(400, "query parameter '" + name + "' has an empty value");
    if (name == "client") {
      filter.clients.insert(value);
    } else if (name == "site") {
      filter.sites.insert(value);
    } else if (name == "type") {
      filter.types.insert(value);
    } else if (name == "tag") {
      filter.tags.insert(value);
    } else if (name == "status") {
      auto st = probes::status_from_string(value);
      if (!st)
        return error(400, "unknown status '" + value +
                              "'; expected one of ok, warning, critical, unknown");
      filter.statuses.insert(*st);
    } else if (name == "limit") {
      size_t n = 0;
      auto [p, ec] = std::from_chars(value.data(), value.data() + value.size(), n);
      if (ec != std::errc() || p != value.data() + value.size() || n == 0)
        return error(400, "limit must be a positive integer, not '" + value + "'");
      limit = n;
    } else if (name == "after") {
      after = value;
    }
  }

  std::string body = "[";
  size_t total = 0, written = 0;
  bool more = false;
  std::string last_key;
  src.engine.for_each_check([&](const std::string& key, const CheckHealth& h) {
    if (!filter.match(h)) return;
    ++total;
    if (after && key <= *after) return;
    if (limit && written == *limit) {
      more = true;
      return;
    }
    if (written++) body += ',';
    append_check(body, key, h);
    body += '}';
    if (limit) last_key = key;
  });
  body += ']';
  auto answer = json(std::move(body));
  if (limit) {
    answer.headers.emplace_back("X-Total-Count", std::to_string(total));
    if (more) {
      std::string next = "/api/v1/checks?";
      for (const auto& [name, value] : params)
        if (name != "after") next += percent_encode(name) + "=" + percent_encode(value) + "&";
      next += "after=" + percent_encode(last_key);
      answer.headers.emplace_back("Link", "<" + next + ">; rel=\"next\"");
    }
  }
  return answer;
}

HttpAnswer one_check(const Sources& src, const std::string& key, const Params& params) {
  if (auto bad = check_params(params, {"since"}, {"since"})) return *bad;
  TimePoint since = src.clock.now() - kDefaultTransitionWindow;
  for (const auto& [name, value] : params) {
    auto t = parse_rfc3339(value);
    if (!t)
      return error(400, "since must be an RFC 3339 time such as 2026-12-01T00:00:00Z, not '" +
                            value + "'");
    since = *t;
  }
  auto h = src.engine.check(key);
  if (!h) return error(404, "no check '" + key + "'");
  std::vector<store::Transition> transitions;
  if (src.store) transitions = src.store->transitions(key, since);
  std::string body;
  append_check(body, key, *h);
  body += ",\"transitions_since\":";
  append_time(body, since);
  body += ",\"transitions\":[";
  for (size_t i = 0; i < transitions.size(); ++i) {
    const auto& t = transitions[i];
    if (i) body += ',';
    body += "{\"at\":";
    append_time(body, t.at);
    body += ",\"from\":";
    append_string(body, probes::to_string(t.from));
    body += ",\"to\":";
    append_string(body, probes::to_string(t.to));
    body += ",\"reason\":";
    append_string(body, t.reason);
    body += '}';
  }
  body += "]}";
  return json(std::move(body));
}

std::string hhmm(int minute) {
  char buf[16];
  std::snprintf(buf, sizeof buf, "%02d:%02d", minute / 60 % 100, minute % 60);
  return buf;
}

HttpAnswer list_clients(const Sources& src, const Params& params) {
  if (auto bad = check_params(params, {}, {})) return *bad;
  struct Counts {
    size_t checks = 0, failing = 0;
  };
  std::map<std::string, Counts> counts;
  src.engine.for_each_check([&](const std::string&, const CheckHealth& h) {
    auto& c = counts[h.check->spec.client_id];
    ++c.checks;
    if (!h.last_json.empty() && h.status != probes::Status::ok) ++c.failing;
  });
  auto now = src.clock.now();
  nlohmann::json out = nlohmann::json::array();
  if (src.clients)
    for (const auto& client : *src.clients) {
      nlohmann::json hours = nlohmann::json::object();
      for (int d = 0; d < 7; ++d) {
        nlohmann::json day = nlohmann::json::array();
        for (const auto& r : client.hours.week[d])
          day.push_back(hhmm(r.start_minute) + "-" + hhmm(r.end_minute));
        hours[kDayNames[d]] = std::move(day);
      }
      nlohmann::json open_now = nullptr;  // null: the calendar could not be built
      try {
        open_now = alerting::BusinessCalendar(client.hours).is_open(now);
      } catch (const std::exception&) {
      }
      auto it = counts.find(client.id);
      Counts c = it == counts.end() ? Counts{} : it->second;
      out.push_back({{"id", client.id},
                     {"name", client.name.empty() ? client.id : client.name},
                     {"timezone", client.hours.timezone},
                     {"business_hours", std::move(hours)},
                     {"holidays", client.hours.holidays},
                     {"open_now", std::move(open_now)},
                     {"checks", c.checks},
                     {"failing", c.failing}});
    }
  return json(out.dump(-1, ' ', false, nlohmann::json::error_handler_t::replace));
}

// The alerting side's incidents and tickets (the daemon's AlertingService; 503 without one).
HttpAnswer list_incidents(const Sources& src, const Params& params) {
  if (auto bad = check_params(params, {"state"}, {"state"})) return *bad;
  std::string state;
  for (const auto& [name, value] : params) state = value;
  if (!state.empty() && state != "open" && state != "resolved")
    return error(400, "unknown state '" + state + "' (open or resolved)");
  if (!src.alerting) return error(503, "alerting is not running");
  return json(src.alerting->incidents_json(state).dump(-1, ' ', false,
                                                       nlohmann::json::error_handler_t::replace));
}

HttpAnswer list_tickets(const Sources& src, const Params& params) {
  if (auto bad = check_params(params, {"client"}, {"client"})) return *bad;
  std::string client;
  for (const auto& [name, value] : params) client = value;
  if (!src.alerting) return error(503, "alerting is not running");
  return json(src.alerting->tickets_json(client).dump(-1, ' ', false,
                                                      nlohmann::json::error_handler_t::replace));
}

HttpAnswer one_ticket(const Sources& src, const std::string& ref, const Params& params) {
  if (auto bad = check_params(params, {}, {})) return *bad;
  if (!src.alerting) return error(503, "alerting is not running");
  auto t = src.alerting->ticket_json(ref);
  if (!t) return error(404, "no ticket " + ref);
  return json(t->dump(-1, ' ', false, nlohmann::json::error_handler_t::replace));
}


// ---- mutations ---------------------------------------------------------------------------

constexpr size_t kMaxNoteBytes = 8192;
constexpr size_t kMaxByBytes = 200;

// 403 without a token configured; 401 without the right one (constant-time comparison).
std::optional<HttpAnswer> authorize(const Sources& src, std::string_view authorization) {
  if (src.api_token.empty())
    return error(403, "API mutations are disabled: no token is configured. Set agent.api_token_file "
                      "in the config (a file holding the token) or the environment variable "
                      "LOOKOUT_API_TOKEN, restart the agent, and send Authorization: Bearer <token>");
  constexpr std::string_view kBearer = "Bearer ";
  std::string_view given;
  if (authorization.size() > kBearer.size() &&
      std::equal(kBearer.begin(), kBearer.end(), authorization.begin(),
                 [](char a, char b) { return std::tolower(static_cast<unsigned char>(a)) ==
                                             std::tolower(static_cast<unsigned char>(b)); }))
    given = authorization.substr(kBearer.size());
  const std::string& token = src.api_token;
  bool ok = false;
  if (given.size() == token.size()) {
    ok = CRYPTO_memcmp(given.data(), token.data(), token.size()) == 0;
  } else {
    (void)CRYPTO_memcmp(token.data(), token.data(), token.size());  // same work either way
  }
  if (ok) return std::nullopt;
  auto a = error(401, given.empty() ? "missing Authorization: Bearer <token> header"
                                    : "wrong API token");
  a.headers.emplace_back("WWW-Authenticate", "Bearer realm=\"lookout\"");
  return a;
}

// A JSON object body (an empty body is {}); 400 naming the problem.
std::optional<HttpAnswer> parse_body(std::string_view body, nlohmann::json& out) {
  if (body.find_first_not_of(" \t\r\n") == std::string_view::npos) {
    out = nlohmann::json::object();
    return std::nullopt;
  }
  try {
    out = nlohmann::json::parse(body);
  } catch (const nlohmann::json::parse_error& e) {
    std::string what = e.what();
    auto pos = what.find("parse error");
    return error(400, "malformed JSON body: " + (pos == std::string::npos ? what : what.substr(pos)));
  }
  if (!out.is_object()) return error(400, "the body must be a JSON object");
  return std::nullopt;
}

// The operator fields of an action body: by, and note or text.
std::optional<HttpAnswer> read_action(const nlohmann::json& body, bool text_required,
                                      std::string& by, std::string& text) {
  for (const auto& [key, v] : body.items()) {
    if (key != "by" && key != "note" && key != "text")
      return error(400, "unknown field '" + key + "' (expected by, note or text)");
    if (!v.is_string()) return error(400, "field '" + key + "' must be a string");
    const std::string value = v.get<std::string>();
    if (key == "by") {
      if (value.size() > kMaxByBytes) return error(400, "field 'by' is longer than 200 bytes");
      by = value;
    } else {
      if (value.size() > kMaxNoteBytes) return error(400, "field '" + key + "' is longer than 8192 bytes");
      if (!text.empty() && !value.empty()) return error(400, "give note or text, not both");
      if (!value.empty()) text = value;
    }
  }
  if (text_required && text.empty()) return error(400, "a comment needs a non-empty 'text'");
  return std::nullopt;
}

HttpAnswer mutation_answer(const alerting::Mutation& m, const char* what, int ok_status = 200) {
  if (m.invalid) return error(400, m.message);
  if (m.failure == alerting::ActionFailure::not_found) return error(404, m.message);
  if (m.failure == alerting::ActionFailure::conflict) return error(409, m.message);
  if (m.store_failed) return error(500, m.message);
  HttpAnswer a;
  a.status = ok_status;
  a.body = nlohmann::json{{"message", m.message}, {what, m.body}}.dump(
               -1, ' ', false, nlohmann::json::error_handler_t::replace) + "\n";
  return a;
}

HttpAnswer ack_incident(const Sources& src, const std::string& id, const nlohmann::json& body) {
  std::string by, note;
  if (auto bad = read_action(body, false, by, note)) return *bad;
  return mutation_answer(src.alerting->acknowledge(id, by, note), "incident");
}

HttpAnswer ticket_action(const Sources& src, const std::string& ref, const std::string& action,
                         const nlohmann::json& body) {
  std::string by, text;
  if (auto bad = read_action(body, action == "comment", by, text)) return *bad;
  return mutation_answer(src.alerting->ticket_action(ref, action, by, text), "ticket");
}

HttpAnswer create_window(const Sources& src, const nlohmann::json& body) {
  config::MaintenanceWindow w;
  if (auto problem = config::maintenance_from_json(body, w))
    return error(400, (problem->key.empty() ? "" : "field '" + problem->key + "': ") + problem->message);
  auto a = mutation_answer(src.alerting->add_maintenance(std::move(w)), "window", 201);
  if (a.status == 201) {
    auto j = nlohmann::json::parse(a.body, nullptr, false);
    if (j.is_object() && j["window"].is_object())
      a.headers.emplace_back("Location", "/api/v1/maintenance/" + j["window"].value("id", ""));
  }
  return a;
}

HttpAnswer list_windows(const Sources& src, const Params& params) {
  if (auto bad = check_params(params, {"client"}, {"client"})) return *bad;
  std::string client;
  for (const auto& [name, value] : params) client = value;
  nlohmann::json all = src.alerting->maintenance_json(), out = nlohmann::json::array();
  for (auto& w : all)
    if (client.empty() || w.value("client", "") == client) out.push_back(std::move(w));
  return json(out.dump(-1, ' ', false, nlohmann::json::error_handler_t::replace));
}

// The built-in on-call rota: for each rota who is on call at `at` (default now), who is next,
// and the next hand-over.
HttpAnswer oncall(const Sources& src, const Params& params) {
  if (auto bad = check_params(params, {"at"}, {"at"})) return *bad;
  if (!src.config) return error(503, "the config is not available");
  auto at = src.clock.now();
  for (const auto& [name, value] : params) {
    auto t = config::parse_rfc3339(value);
    if (!t) return error(400, "bad 'at': '" + value + "' (RFC 3339, e.g. 2026-03-29T01:30:00Z)");
    at = *t;
  }
  return json(alerting::oncall_json(src.config->alerting.oncall, at)
                  .dump(-1, ' ', false, nlohmann::json::error_handler_t::replace));
}

HttpAnswer not_allowed(std::string_view method, std::string_view path, const char* allow) {
  auto a = error(405, "method " + std::string(method) + " not allowed on " + std::string(path) +
                          "; use " + allow);
  a.headers.emplace_back("Allow", allow);
  return a;
}

// The monthly report of a client, built from the store the daemon writes (reads only).
HttpAnswer one_report(const Sources& src, const std::string& client, const std::string& month,
                      const Params& params) {
  if (auto bad = check_params(params, {"format"}, {"format"})) return *bad;
  std::string format = "json";
  for (const auto& [name, value] : params) format = value;
  if (format != "json" && format != "html" && format != "md")
    return error(400, "unknown format '" + format + "' (json, html or md)");
  if (!src.store || !src.config) return error(503, "the state store is not open");
  try {
    reports::ReportSource source(*src.store);
    auto report = reports::build_report(
        *src.config, source,
        {client, month, src.clock.now(), reports::planned_maintenance(*src.config, *src.store, client, month)});
    HttpAnswer a;
    a.body = reports::render_format(report, format, src.config->report);
    a.content_type = format == "json" ? "application/json"
                     : format == "html" ? "text/html; charset=utf-8"
                                        : "text/markdown; charset=utf-8";
    return a;
  } catch (const reports::ReportError& e) {
    return error(e.kind == reports::ReportError::Kind::unknown_client ? 404 : 400, e.what());
  } catch (const std::exception& e) {
    return error(500, std::string("report failed: ") + e.what());
  }
}

}  // namespace

std::string api_token(const config::AgentSettings& agent) {
  if (const char* env = std::getenv("LOOKOUT_API_TOKEN"); env && *env) return env;
  return agent.api_token;
}

HttpAnswer handle(const Sources& src, std::string_view method, std::string_view target) {
  return handle(src, Request{method, target, {}, {}});
}



void append_result_json(std::string& out, std::string_view j) {
  // A scan that tracks strings and nesting depth, so only the result's own "started" key
  // (depth 1) is touched, never one inside "facts".
  static constexpr std::string_view kKey = "\"started\"";
  size_t copied = 0;
  int depth = 0;
  for (size_t i = 0; i < j.size(); ++i) {
    char c = j[i];
    if (c == '{' || c == '[') {
      ++depth;
    } else if (c == '}' || c == ']') {
      --depth;
    } else if (c == '"') {
      if (depth == 1 && j.substr(i, kKey.size()) == kKey) {
        size_t v = i + kKey.size();
        while (v < j.size() && j[v] == ' ') ++v;
        if (v < j.size() && j[v] == ':') {
          ++v;
          while (v < j.size() && j[v] == ' ') ++v;
          size_t e = v;
          while (e < j.size() && std::string_view("0123456789+-.eE").find(j[e]) !=
                                     std::string_view::npos)
            ++e;
          double secs = 0;
          auto [p, ec] = std::from_chars(j.data() + v, j.data() + e, secs);
          if (e > v && ec == std::errc() && p == j.data() + e && std::isfinite(secs)) {
            out.append(j.substr(copied, v - copied));
            append_time(out, TimePoint(milliseconds(std::llround(secs * 1000))));
            copied = e;
            i = e - 1;
            continue;
          }
        }
      }
      // Skip the string (a key or a value).
      for (++i; i < j.size() && j[i] != '"'; ++i)
        if (j[i] == '\\') ++i;
    }
  }
  out.append(j.substr(copied));
}

std::optional<std::string> percent_decode(std::string_view s) {
  std::string out;
  out.reserve(s.size());
  auto hex = [](char c) -> int {
    if (c >= '0' && c <= '9') return c - '0';
    if (c >= 'a' && c <= 'f') return c - 'a' + 10;
    if (c >= 'A' && c <= 'F') return c - 'A' + 10;
    return -1;
  };
  for (size_t i = 0; i < s.size(); ++i) {
    if (s[i] != '%') {
      out += s[i];
      continue;
    }
    if (i + 2 >= s.size()) return std::nullopt;
    int hi = hex(s[i + 1]), lo = hex(s[i + 2]);
    if (hi < 0 || lo < 0) return std::nullopt;
    out += static_cast<char>(hi * 16 + lo);
    i += 2;
  }
  return out;
}


HttpAnswer handle(const Sources& src, const Request& req) {
  const std::string_view method = req.method, target = req.target;
  auto q = target.find('?');
  std::string_view path = target.substr(0, q);
  std::string_view query = q == std::string_view::npos ? std::string_view{} : target.substr(q + 1);
  bool get = method == "GET" || method == "HEAD";

  enum class Route { none, checks, check, clients, incidents, tickets, ticket, ack, ticket_action,
                     maintenance, window, report, oncall } route = Route::none;
  std::string key, action, month;
  constexpr std::string_view kReportPrefix = "/api/v1/reports/";
  constexpr std::string_view kCheckPrefix = "/api/v1/checks/";
  constexpr std::string_view kTicketPrefix = "/api/v1/tickets/";
  constexpr std::string_view kIncidentPrefix = "/api/v1/incidents/";
  constexpr std::string_view kAckSuffix = "/ack";
  constexpr std::string_view kWindowPrefix = "/api/v1/maintenance/";
  if (path == "/api/v1/checks") {
    route = Route::checks;
  } else if (path == "/api/v1/clients") {
    route = Route::clients;
  } else if (path == "/api/v1/incidents") {
    route = Route::incidents;
  } else if (path == "/api/v1/tickets") {
    route = Route::tickets;
  } else if (path == "/api/v1/maintenance") {
    route = Route::maintenance;
  } else if (path == "/api/v1/oncall") {
    route = Route::oncall;
  } else if (path.substr(0, kWindowPrefix.size()) == kWindowPrefix) {
    auto id = percent_decode(path.substr(kWindowPrefix.size()));
    if (!id || id->empty() || id->find('/') != std::string::npos)
      return error(404, "not found: " + std::string(path));
    route = Route::window;
    key = *id;
  } else if (path.substr(0, kIncidentPrefix.size()) == kIncidentPrefix &&
             path.size() > kIncidentPrefix.size() + kAckSuffix.size() &&
             path.substr(path.size() - kAckSuffix.size()) == kAckSuffix) {
    // The id "client/site/check#N" arrives percent-encoded (%2F, %23); raw slashes work too.
    auto id = percent_decode(path.substr(kIncidentPrefix.size(),
                                         path.size() - kIncidentPrefix.size() - kAckSuffix.size()));
    if (!id) return error(400, "malformed percent-encoding in the path");
    route = Route::ack;
    key = *id;
  } else if (path.substr(0, kTicketPrefix.size()) == kTicketPrefix) {
    auto rest = path.substr(kTicketPrefix.size());
    auto slash = rest.find('/');
    auto ref = percent_decode(rest.substr(0, slash));
    if (!ref || ref->empty()) return error(404, "not found: " + std::string(path));
    key = *ref;
    if (slash == std::string_view::npos) {
      route = Route::ticket;
    } else {
      action = std::string(rest.substr(slash + 1));
      if (action != "hold" && action != "resume" && action != "solve" && action != "comment")
        return error(404, "not found: " + std::string(path) +
                              "; ticket actions: hold, resume, solve, comment");
      route = Route::ticket_action;
    }
  } else if (path.substr(0, kReportPrefix.size()) == kReportPrefix) {
    auto rest = path.substr(kReportPrefix.size());
    auto slash = rest.find('/');
    if (slash == std::string_view::npos || rest.find('/', slash + 1) != std::string_view::npos)
      return error(404, "not found: " + std::string(path) +
                            "; a report is /api/v1/reports/{client}/{YYYY-MM}");
    auto c = percent_decode(rest.substr(0, slash));
    auto m = percent_decode(rest.substr(slash + 1));
    if (!c || !m) return error(400, "malformed percent-encoding in the path");
    if (c->empty() || m->empty())
      return error(404, "not found: " + std::string(path) +
                            "; a report is /api/v1/reports/{client}/{YYYY-MM}");
    route = Route::report;
    key = *c;
    month = *m;
  } else if (path.substr(0, kCheckPrefix.size()) == kCheckPrefix) {
    auto rest = path.substr(kCheckPrefix.size());
    std::vector<std::string> parts;
    while (true) {
      auto slash = rest.find('/');
      auto part = percent_decode(rest.substr(0, slash));
      if (!part) return error(400, "malformed percent-encoding in the path");
      parts.push_back(std::move(*part));
      if (slash == std::string_view::npos) break;
      rest = rest.substr(slash + 1);
    }
    if (parts.size() != 3 || std::any_of(parts.begin(), parts.end(),
                                         [](const std::string& p) { return p.empty(); }))
      return error(404, "not found: " + std::string(path) +
                            "; a check is /api/v1/checks/{client}/{site}/{check}");
    route = Route::check;
    key = parts[0] + "/" + parts[1] + "/" + parts[2];
  }
  if (route == Route::none)
    return error(404, "not found: " + std::string(path) + "; endpoints: " + kEndpoints);

  // Mutations: POST (DELETE for a window), the token, then the body.
  const bool mutation = route == Route::ack || route == Route::ticket_action ||
                        route == Route::window || (route == Route::maintenance && !get);
  if (mutation) {
    if (route == Route::window && method != "DELETE") return not_allowed(method, path, "DELETE");
    if (route == Route::maintenance && method != "POST") return not_allowed(method, path, "GET, HEAD, POST");
    if ((route == Route::ack || route == Route::ticket_action) && method != "POST")
      return not_allowed(method, path, "POST");
    if (auto denied = authorize(src, req.authorization)) return *denied;
    if (!src.alerting) return error(503, "alerting is not running");
    nlohmann::json body;
    if (route != Route::window)
      if (auto bad = parse_body(req.body, body)) return *bad;
    switch (route) {
      case Route::ack: return ack_incident(src, key, body);
      case Route::ticket_action: return ticket_action(src, key, action, body);
      case Route::maintenance: return create_window(src, body);
      case Route::window: return mutation_answer(src.alerting->delete_maintenance(key), "window");
      default: break;
    }
    return error(404, "not found");
  }
  if (!get) return method_not_allowed(method, path);
  auto params = parse_query(query);
  if (!params) return error(400, "malformed percent-encoding in the query string");
  switch (route) {
    case Route::checks: return list_checks(src, *params);
    case Route::check: return one_check(src, key, *params);
    case Route::clients: return list_clients(src, *params);
    case Route::incidents: return list_incidents(src, *params);
    case Route::tickets: return list_tickets(src, *params);
    case Route::ticket: return one_ticket(src, key, *params);
    case Route::maintenance:
      if (!src.alerting) return error(503, "alerting is not running");
      return list_windows(src, *params);
    case Route::report: return one_report(src, key, month, *params);
    case Route::oncall: return oncall(src, *params);
    default: break;
  }
  return error(404, "not found");
}

}  // namespace lookout::agent::api
