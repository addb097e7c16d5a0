// alerting::ApiClient and friends: what the desk and pager sinks (pagerduty, zendesk, freshdesk,
// alertmanager) share. Not a sink itself.
//
//  - NotificationBody: the JSON document AlertingService puts in every notification, read back.
//  - ApiClient::call: one JSON request to the sink's base URL on a fresh connection, ended by the
//    sink's timeout, and the answer classified once for every sink:
//      network failure, 408, 429, 5xx        -> retry (Retry-After honoured; 429 without one waits
//                                                the sink's default 429 back-off)
//      3xx                                     -> rejected: a redirect is never followed, so the
//                                                credentials never reach another host
//      401 / 403                               -> rejected: "credentials refused (token_env)"
//      other 4xx                               -> rejected with the answer's text
//      2xx whose body is not JSON when JSON is documented -> retry with a clear reason
//  - RateWindow: at most N requests per sliding minute (PagerDuty 120/min per routing key,
//    Zendesk and Freshdesk per account), so the sink waits instead of being throttled.
#pragma once

#include <chrono>
#include <deque>
#include <mutex>
#include <optional>
#include <string>
#include <string_view>
#include <utility>
#include <vector>

#include <boost/asio/awaitable.hpp>
#include <nlohmann/json.hpp>

#include "alerting/sink.h"
#include "config/clock.h"
#include "config/config.h"
#include "net/http_client.h"
#include "net/resolver.h"
#include "net/tls_context.h"
#include "store/store.h"

namespace lookout::alerting {

/// The notification document (alerting_service.cc) as the sinks read it.
struct NotificationBody {
  std::string event;     // incident.opened | .updated | .reminder | .acknowledged | .resolved
  std::string audience;  // "tickets" or "page"
  std::string reason;    // why it was sent
  TimePoint at{};
  nlohmann::json incident = nlohmann::json::object();
  nlohmann::json ticket;  // the built-in ticket (null when none)

  static std::optional<NotificationBody> parse(const std::string& body);
  /// A string field of the incident ("" when absent or not a string).
  std::string field(const char* key) const;
  /// A string field of the built-in ticket ("" when none).
  std::string ticket_field(const char* key) const;
};

/// "Basic " + base64(user ":" password).
std::string basic_auth(const std::string& user, const std::string& password);
std::string base64(std::string_view data);
/// Percent-encodes everything but unreserved characters (RFC 3986).
std::string url_encode(std::string_view s);
/// The first `max` bytes of an answer, control characters as spaces: for reasons.
std::string excerpt(std::string_view body, size_t max = 200);

/// The lines a desk ticket's first comment carries: what failed, since when, priority, the
/// built-in ticket, the SLA due times, the evidence.
std::vector<std::string> incident_lines(const NotificationBody& body);
/// "[P1] www http: HTTP 503 ..." : the one-line title a ticket or alert carries.
std::string incident_title(const NotificationBody& body);
/// The line of a later event: "[P2] still failing: <summary> (<reason>)", "recovered at ..." etc.
std::string event_line(const NotificationBody& body);
/// Lines as HTML paragraphs, escaped (Freshdesk bodies are HTML).
std::string html_paragraphs(const std::vector<std::string>& lines);
/// Lower-case letters, digits, '_' and '-' only (a desk tag).
std::string tag_text(std::string_view s);

/// A desk's own ticket id per incident, kept durably in the store (values scope "sink_ticket",
/// key "<sink>/<incident id>") so a restart goes on commenting on the same ticket. It is kept
/// after the incident's resolve (marked `resolved`): a resolve re-sent after a crash must find
/// the same ticket, not search for it (Freshdesk's search index lags minutes, so forgetting the
/// id there made a second ticket). Entries resolved more than 25 hours ago (the outbox gives up
/// after 24) are dropped when the sink is constructed.
///
/// Before a create whose answer might be lost, a sink records "creating since T" under the same
/// key (`creating`): a retry that finds the mark knows an earlier attempt may have made a ticket
/// it cannot see yet. Marks older than 25 hours are dropped like resolved entries.
class RemoteTicketIds {
 public:
  RemoteTicketIds(store::Store& store, std::string sink, TimePoint now);
  std::optional<int64_t> get(const std::string& incident);
  /// Durable before it returns true.
  boost::asio::awaitable<bool> put(const std::string& incident, int64_t id);
  /// Keeps the id, marked resolved at `at` (pruned a day later).
  boost::asio::awaitable<bool> resolved(const std::string& incident, int64_t id, TimePoint at);
  /// Durable before it returns true: a create for the incident is about to be sent at `at`.
  boost::asio::awaitable<bool> creating(const std::string& incident, TimePoint at);
  /// When the last unconfirmed create was sent (nullopt: none, or the id is known).
  std::optional<TimePoint> creating_since(const std::string& incident);
  /// Drops the mark: the desk answered that create with a refusal, so nothing was made.
  boost::asio::awaitable<bool> forget(const std::string& incident);

 private:
  boost::asio::awaitable<bool> write(const std::string& incident, std::optional<std::string> value);
  store::Store& store_;
  std::string sink_;
};

class RateWindow {
 public:
  explicit RateWindow(int per_minute) : limit_(per_minute) {}
  /// nullopt: go now (counted); otherwise wait that long first.
  std::optional<std::chrono::milliseconds> take(TimePoint now);

 private:
  int limit_;
  std::mutex mutex_;
  std::deque<TimePoint> sent_;
};

struct ApiAnswer {
  std::optional<Delivery> failed;  // set when the answer is not a usable 2xx
  unsigned status = 0;
  nlohmann::json json;             // the parsed body (discarded when not JSON)
  net::HttpResponse response;
};

class ApiClient {
 public:
  ApiClient(const config::SinkConfig& config, net::Resolver& resolver, net::TlsContexts& tls,
            const Clock& clock);

  /// `path` is appended to the sink's URL (without its trailing '/'); `body` is sent as JSON
  /// when not null. `default_429_wait` applies when a 429 comes without Retry-After.
  boost::asio::awaitable<ApiAnswer> call(const std::string& method, const std::string& path,
                                         const nlohmann::json& body,
                                         std::vector<std::pair<std::string, std::string>> headers,
                                         bool expect_json = true,
                                         std::chrono::milliseconds default_429_wait = std::chrono::seconds(60));

 private:
  const config::SinkConfig& config_;
  net::Resolver& resolver_;
  net::TlsContexts& tls_;
  const Clock& clock_;
};

}  // namespace lookout::alerting
