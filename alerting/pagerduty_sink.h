// alerting::PagerDutySink (`type: pagerduty`): PagerDuty Events API v2. Each notification is one
// event POSTed to `url` (default https://events.pagerduty.com/v2/enqueue; EU accounts use
// https://events.eu.pagerduty.com/v2/enqueue), the routing key in the body (no auth header):
//
//   incident.opened / .updated / .reminder -> `trigger` (later triggers update the open alert)
//   incident.acknowledged                  -> `acknowledge`
//   incident.resolved                      -> `resolve`
//
// dedup_key = the incident key ("client/site/check"), so every retry and every follow-up applies
// to the same alert, and a new incident of the same check after a resolve opens a new one.
// severity from priority (P1 critical, P2 error, P3 warning); summary (<= 1024 characters),
// source = the site's host, component = check type, group = client:<id>, class = failure kind,
// custom_details = evidence, priority, the ticket reference (and its URL when `ticket_url` is
// set), links = the ticket URL. An event over 512 KB drops its custom_details (with a note).
//
// 202 {"status":"success",...} delivered; 400 (invalid event) rejected with PagerDuty's message;
// 429 retried after Retry-After or 2 minutes; 5xx and network errors retried. At most
// `rate_limit` events per minute (default 120, PagerDuty's per-key limit).
#pragma once

#include <string>

#include "alerting/api_client.h"
#include "alerting/sink.h"

namespace lookout::alerting {

class PagerDutySink final : public Sink {
 public:
  PagerDutySink(config::SinkConfig config, net::Resolver& resolver, net::TlsContexts& tls, const Clock& clock);
  const std::string& id() const override { return config_.id; }
  boost::asio::awaitable<Delivery> deliver(const Notification& notification) override;

  /// The event document for a notification (nullopt: nothing to send for this event).
  std::optional<nlohmann::json> event_for(const NotificationBody& body) const;

 private:
  config::SinkConfig config_;
  const Clock& clock_;
  ApiClient api_;
  RateWindow rate_;
};

/// P1 critical, P2 error, P3 warning.
std::string pagerduty_severity(const std::string& priority);

}  // namespace lookout::alerting
