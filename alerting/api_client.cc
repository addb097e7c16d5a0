#include "alerting/api_client.h"

#include <openssl/evp.h>

#include <boost/asio/this_coro.hpp>

#include "net/context.h"
#include "net/url.h"

namespace lookout::alerting {

std::optional<NotificationBody> NotificationBody::parse(const std::string& text) {
  auto j = nlohmann::json::parse(text, nullptr, false);
  if (!j.is_object() || !j.contains("incident") || !j["incident"].is_object()) return std::nullopt;
  NotificationBody b;
  b.event = j.value("event", "");
  b.audience = j.value("audience", "");
  b.reason = j.value("sent_for", "");
  if (j.contains("at") && j["at"].is_string()) b.at = parse_time(j["at"].get<std::string>()).value_or(TimePoint{});
  b.incident = j["incident"];
  if (j.contains("ticket")) b.ticket = j["ticket"];
  if (b.event.empty()) return std::nullopt;
  return b;
}

std::string NotificationBody::field(const char* key) const {
  auto it = incident.find(key);
  return it != incident.end() && it->is_string() ? it->get<std::string>() : std::string();
}

std::string NotificationBody::ticket_field(const char* key) const {
  if (!ticket.is_object()) return {};
  auto it = ticket.find(key);
  return it != ticket.end() && it->is_string() ? it->get<std::string>() : std::string();
}

std::string base64(std::string_view data) {
  std::string out(4 * ((data.size() + 2) / 3) + 1, '\0');
  int n = EVP_EncodeBlock(reinterpret_cast<unsigned char*>(out.data()),
                          reinterpret_cast<const unsigned char*>(data.data()), static_cast<int>(data.size()));
  out.resize(static_cast<size_t>(n));
  return out;
}

std::string basic_auth(const std::string& user, const std::string& password) {
  return "Basic " + base64(user + ":" + password);
}

std::string url_encode(std::string_view s) {
  static const char* hex = "0123456789ABCDEF";
  std::string out;
  for (unsigned char c : s) {
    if (std::isalnum(c) || c == '-' || c == '.' || c == '_' || c == '~') {
      out.push_back(static_cast<char>(c));
    } else {
      out.push_back('%');
      out.push_back(hex[c >> 4]);
      out.push_back(hex[c & 0xf]);
    }
  }
  return out;
}

std::string excerpt(std::string_view body, size_t max) {
  std::string out(body.substr(0, max));
  for (auto& c : out)
    if (static_cast<unsigned char>(c) < 0x20) c = ' ';
  if (body.size() > max) out += "...";
  return out;
}

std::vector<std::string> incident_lines(const NotificationBody& b) {
  std::vector<std::string> out;
  out.push_back("Lookout detected a problem with " + b.field("site") + " (" + b.field("host") + "), check " +
                b.field("check") + " (" + b.field("type") + "): " + b.field("summary"));
  out.push_back("Priority " + b.field("priority") + ", status " + b.field("severity") +
                (b.field("failure").empty() ? "" : ", failure " + b.field("failure")) + ".");
  out.push_back("Failing since " + b.field("first_failure") + "; incident opened " + b.field("opened") + " (" +
                b.reason + ").");
  if (!b.ticket_field("ref").empty()) out.push_back("Lookout ticket: " + b.ticket_field("ref"));
  const std::string response = b.ticket_field("response_due"), resolution = b.ticket_field("resolution_due");
  if (!response.empty()) out.push_back("SLA response due: " + response);
  if (!resolution.empty()) out.push_back("SLA resolution due: " + resolution);
  if (b.incident.contains("facts") && !b.incident["facts"].empty())
    out.push_back("Evidence: " + b.incident["facts"].dump());
  out.push_back("Incident: " + b.field("id"));
  return out;
}

std::string incident_title(const NotificationBody& b) {
  return "[" + b.field("priority") + "] " + b.field("site") + " " + b.field("check") + ": " +
         b.field("summary");
}

std::string event_line(const NotificationBody& b) {
  const std::string at = format_time(b.at);
  if (b.event == "incident.resolved")
    return "Recovered at " + at + " (" + b.reason + "). Opened " + b.field("opened") + ".";
  if (b.event == "incident.acknowledged")
    return "Acknowledged at " + at + (b.field("acknowledged_by").empty() ? "" : " by " + b.field("acknowledged_by")) + ".";
  if (b.event == "incident.reminder") return "Still open at " + at + " [" + b.field("priority") + "]: " + b.field("summary");
  if (b.event == "incident.opened") return "Opened at " + at + " [" + b.field("priority") + "]: " + b.field("summary");
  return "Update at " + at + " [" + b.field("priority") + "]: " + b.field("summary") + " (" + b.reason + ")";
}

std::string html_paragraphs(const std::vector<std::string>& lines) {
  std::string out;
  for (const auto& line : lines) {
    out += "<p>";
    for (char c : line) {
      switch (c) {
        case '<': out += "&lt;"; break;
        case '>': out += "&gt;"; break;
        case '&': out += "&amp;"; break;
        case '"': out += "&quot;"; break;
        default: out.push_back(c);
      }
    }
    out += "</p>";
  }
  return out;
}

std::string tag_text(std::string_view s) {
  std::string out;
  for (unsigned char c : s) {
    if (std::isalnum(c)) out.push_back(static_cast<char>(std::tolower(c)));
    else if (c == '-' || c == '_') out.push_back(static_cast<char>(c));
    else out.push_back('_');
  }
  return out;
}

std::optional<int64_t> RemoteTicketIds::get(const std::string& incident) {
  auto v = store_.value("sink_ticket", sink_ + "/" + incident);
  if (!v) return std::nullopt;
  auto j = nlohmann::json::parse(*v, nullptr, false);
  if (!j.is_object() || !j.contains("id") || !j["id"].is_number_integer()) return std::nullopt;
  return j["id"].get<int64_t>();
}

boost::asio::awaitable<bool> RemoteTicketIds::write(const std::string& incident, std::optional<std::string> value) {
  store::Transaction tx;
  tx.values.push_back(store::Value{"sink_ticket", sink_ + "/" + incident, std::move(value)});
  auto r = co_await store::async_commit(store_, std::move(tx));
  co_return r.ok;
}

// Named values only around the co_await (GCC 12 mishandles temporaries in co_await expressions).
boost::asio::awaitable<bool> RemoteTicketIds::put(const std::string& incident, int64_t id) {
  std::optional<std::string> value = nlohmann::json{{"id", id}}.dump();
  const bool ok = co_await write(incident, std::move(value));
  co_return ok;
}

boost::asio::awaitable<bool> RemoteTicketIds::resolved(const std::string& incident, int64_t id, TimePoint at) {
  std::optional<std::string> value = nlohmann::json{{"id", id}, {"resolved", format_time(at)}}.dump();
  const bool ok = co_await write(incident, std::move(value));
  co_return ok;
}

boost::asio::awaitable<bool> RemoteTicketIds::creating(const std::string& incident, TimePoint at) {
  std::optional<std::string> value = nlohmann::json{{"creating", format_time(at)}}.dump();
  const bool ok = co_await write(incident, std::move(value));
  co_return ok;
}

boost::asio::awaitable<bool> RemoteTicketIds::forget(const std::string& incident) {
  std::optional<std::string> none;
  const bool ok = co_await write(incident, std::move(none));
  co_return ok;
}

std::optional<TimePoint> RemoteTicketIds::creating_since(const std::string& incident) {
  auto v = store_.value("sink_ticket", sink_ + "/" + incident);
  if (!v) return std::nullopt;
  auto j = nlohmann::json::parse(*v, nullptr, false);
  if (!j.is_object() || j.contains("id")) return std::nullopt;
  return read_opt_time(j, "creating");
}

RemoteTicketIds::RemoteTicketIds(store::Store& store, std::string sink, TimePoint now)
    : store_(store), sink_(std::move(sink)) {
  const std::string prefix = sink_ + "/";
  store::Transaction tx;
  for (const auto& [key, text] : store_.values("sink_ticket")) {
    if (key.rfind(prefix, 0) != 0) continue;
    auto j = nlohmann::json::parse(text, nullptr, false);
    if (!j.is_object()) continue;
    auto at = read_opt_time(j, "resolved");
    if (!at) at = read_opt_time(j, "creating");
    if (at && now - *at > std::chrono::hours(25))
      tx.values.push_back(store::Value{"sink_ticket", key, std::nullopt});
  }
  if (!tx.values.empty()) store_.commit(std::move(tx), [](store::CommitResult) {});
}

std::optional<std::chrono::milliseconds> RateWindow::take(TimePoint now) {
  if (limit_ <= 0) return std::nullopt;
  std::lock_guard lock(mutex_);
  while (!sent_.empty() && sent_.front() <= now - std::chrono::minutes(1)) sent_.pop_front();
  if (static_cast<int>(sent_.size()) < limit_) {
    sent_.push_back(now);
    return std::nullopt;
  }
  auto wait = std::chrono::duration_cast<std::chrono::milliseconds>(sent_.front() + std::chrono::minutes(1) - now);
  return std::max(wait, std::chrono::milliseconds(1));
}

ApiClient::ApiClient(const config::SinkConfig& config, net::Resolver& resolver, net::TlsContexts& tls,
                     const Clock& clock)
    : config_(config), resolver_(resolver), tls_(tls), clock_(clock) {}

boost::asio::awaitable<ApiAnswer> ApiClient::call(const std::string& method, const std::string& path,
                                                  const nlohmann::json& body,
                                                  std::vector<std::pair<std::string, std::string>> headers,
                                                  bool expect_json, std::chrono::milliseconds default_429_wait) {
  ApiAnswer a;
  std::string base = config_.url;
  while (!base.empty() && base.back() == '/' && !path.empty()) base.pop_back();
  auto url = net::parse_url(base + path);
  if (!url) {
    a.failed = Delivery::reject("bad sink URL '" + base + path + "'");
    co_return a;
  }
  net::HttpRequest req;
  req.method = method;
  req.url = *url;
  if (!body.is_null()) {
    req.body = body.dump();
    req.headers.emplace_back("Content-Type", "application/json");
  }
  req.headers.emplace_back("Accept", "application/json");
  req.body_limit = 256 << 10;  // a desk's answer is a ticket or a page of them
  req.user_agent = "Lookout/0.1 (alerting)";
  for (auto& h : headers) req.headers.push_back(std::move(h));
  for (const auto& h : config_.headers) req.headers.push_back(h);

  net::Context ctx{co_await boost::asio::this_coro::executor, resolver_, tls_,
                   std::chrono::steady_clock::now() + config_.timeout, config_.timeout};
  a.response = co_await net::http_fetch(ctx, std::move(req));
  const net::HttpResponse& r = a.response;
  const std::string what = method + " " + url->target;
  if (r.failure != net::FailureKind::none) {
    a.failed = Delivery::again(what + ": " + std::string(net::to_string(r.failure)) + ": " + r.error);
    co_return a;
  }
  a.status = r.status;
  const std::string status = "HTTP " + std::to_string(r.status);
  if (r.status >= 300 && r.status < 400) {
    a.failed = Delivery::reject(what + ": " + status + ": redirect to '" + r.header("Location").value_or("") +
                                "' not followed (credentials are never sent on); set the sink url to the final address");
    co_return a;
  }
  if (r.status == 401 || r.status == 403) {
    a.failed = Delivery::refused(what + ": " + status + ": credentials refused" +
                                (config_.credential_source.empty() ? "" : " (check " + config_.credential_source + ")") +
                                ": " + excerpt(r.body));
    co_return a;
  }
  if (r.status < 200 || r.status >= 300) {
    Delivery d = classify_http(r.status, r.header("Retry-After"), clock_.now());
    if (r.status == 429 && !d.retry_after) d.retry_after = default_429_wait;
    d.reason = what + ": " + d.reason + (r.body.empty() ? "" : ": " + excerpt(r.body));
    a.failed = d;
    co_return a;
  }
  if (expect_json) {
    a.json = nlohmann::json::parse(r.body, nullptr, false);
    if (a.json.is_discarded() || !(a.json.is_object() || a.json.is_array())) {
      a.failed = Delivery::again(what + ": " + status + " but the answer is not the documented JSON: '" +
                                 excerpt(r.body) + "'");
      a.json = nullptr;
    }
  }
  co_return a;
}

}  // namespace lookout::alerting
