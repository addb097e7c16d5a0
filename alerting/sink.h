// alerting::Sink: one place notifications go (a webhook, later PagerDuty, Zendesk...). One
// asynchronous call per notification; the answer says delivered, retry (when), or rejected for
// good (why). A sink never throws for a network failure and ends every call by its own
// timeout, so a hanging receiver costs one in-flight slot of its own sink, nothing else.
#pragma once

#include <chrono>
#include <optional>
#include <string>

#include <boost/asio/awaitable.hpp>
#include <nlohmann/json.hpp>

#include "alerting/incident.h"

namespace lookout::alerting {

/// One notification to one sink, durable in the outbox before its first send.
struct Notification {
  int64_t id = 0;              // global, increasing: the outbox order
  std::string sink;            // sink id
  std::string incident;        // incident id: per-incident order is kept
  int seq = 0;                 // order within the incident
  std::string event;           // incident.opened | .updated | .reminder | .acknowledged | .resolved
  std::string idempotency_key; // identical on every retry
  std::string body;            // the JSON document sent
  TimePoint created{};

  nlohmann::json to_json() const;
  static std::optional<Notification> from_json(const nlohmann::json& j);
  /// The outbox value key: sink/zero-padded id, so the store's order is the send order.
  std::string store_key() const;
};

/// The JSON document of a notification (its `body`): version, event, audience, idempotency_key,
/// sent_for, at, incident (Incident::to_json without events/notifications), ticket (the built-in
/// ticket or null). Every sink reads this one shape.
nlohmann::json notification_body(const Incident& incident, const nlohmann::json& ticket,
                                 const std::string& event, const std::string& audience,
                                 const std::string& idempotency_key, const std::string& reason,
                                 TimePoint now);

/// A page through the built-in on-call rota names one person's contact (body `oncall.address`:
/// an e-mail address for an email sink, a URL for a webhook sink); "" for every other
/// notification, which goes to the sink's own `to` / `url`.
std::string page_address(const Notification& notification);

struct Delivery {
  enum Kind { delivered, retry, rejected } kind = retry;
  /// For retry: the receiver's Retry-After, when it sent one.
  std::optional<std::chrono::milliseconds> retry_after;
  std::string reason;  // why not delivered (status, error)
  /// Rejected because the receiver refused the sink's credentials (HTTP 401/403, SMTP AUTH):
  /// every later notification of the sink will be too, so the agency is told (AlertingService::
  /// on_sink_refused).
  bool credentials_refused = false;

  static Delivery ok() { return {delivered, std::nullopt, "", false}; }
  static Delivery again(std::string why, std::optional<std::chrono::milliseconds> after = std::nullopt) {
    return {retry, after, std::move(why), false};
  }
  static Delivery reject(std::string why) { return {rejected, std::nullopt, std::move(why), false}; }
  static Delivery refused(std::string why) { return {rejected, std::nullopt, std::move(why), true}; }
};

class Sink {
 public:
  virtual ~Sink() = default;
  virtual const std::string& id() const = 0;
  virtual boost::asio::awaitable<Delivery> deliver(const Notification& notification) = 0;
  /// A sink whose receiver forgets what is not re-sent (Alertmanager's resolve_timeout) asks to
  /// be refreshed this often; the runtime then calls refresh() on the same executor.
  virtual std::optional<std::chrono::milliseconds> refresh_period() const { return std::nullopt; }
  virtual boost::asio::awaitable<Delivery> refresh() { co_return Delivery::ok(); }
};

/// HTTP status -> delivery (the retry matrix): 2xx delivered; 408, 429, 5xx retry (honouring
/// Retry-After on 429/503); 3xx retry (a redirect is not followed for a POST: fix the URL);
/// any other 4xx rejected for good.
Delivery classify_http(unsigned status, const std::optional<std::string>& retry_after_header,
                       TimePoint now);

}  // namespace lookout::alerting
