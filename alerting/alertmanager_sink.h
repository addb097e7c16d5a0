// alerting::AlertmanagerSink (`type: alertmanager`): pushes incidents to a Prometheus
// Alertmanager through its API v2, `POST <url>/api/v2/alerts` with a JSON array of alerts
// (no auth; add `headers` for a proxy). One alert per incident:
//
//   labels       alertname "LookoutIncident", client, site, check, priority, severity
//   annotations  summary, ticket (the built-in ticket reference), incident
//   startsAt     when the incident opened; generatorURL not sent
//
// opened / updated / reminder / acknowledged post it firing (no endsAt: Alertmanager gives it
// now + resolve_timeout); resolved posts the same labels with endsAt = the recovery time. The
// label set is the alert's identity: when priority or severity changes, the old label set is
// posted resolved in the same request. While an incident is open the sink re-posts every alert
// every `resend` (default 1m, shorter than Alertmanager's default 5m resolve_timeout), and
// keeps re-posting a resolved one for 5 minutes so a restarted Alertmanager still learns of it.
// What is being posted lives in the store (values "sink_alert"), written before the post, so a
// restart goes on with the state being delivered. A new incident of a check supersedes the
// previous one's resolved alert when their label sets are equal (one alert in Alertmanager), and
// a refresh that overlapped a delivery posts again, so a resolve is never undone by a re-post.
// 200 delivered; 400 (a validation error, e.g. no label) rejected; 5xx retried.
#pragma once

#include <map>
#include <mutex>
#include <string>

#include "alerting/api_client.h"
#include "alerting/sink.h"

namespace lookout::alerting {

class AlertmanagerSink final : public Sink {
 public:
  AlertmanagerSink(config::SinkConfig config, net::Resolver& resolver, net::TlsContexts& tls, const Clock& clock,
                   store::Store& store);
  const std::string& id() const override { return config_.id; }
  boost::asio::awaitable<Delivery> deliver(const Notification& notification) override;
  std::optional<std::chrono::milliseconds> refresh_period() const override { return config_.resend; }
  /// Re-posts every open alert and every alert resolved less than 5 minutes ago.
  boost::asio::awaitable<Delivery> refresh() override;

  /// The alert (postableAlert) for a notification.
  static nlohmann::json alert_for(const NotificationBody& body);
  /// Alerts being re-posted now (tests, status).
  size_t tracked() const;

 private:
  struct Tracked {
    nlohmann::json alert;                // as last posted
    std::optional<TimePoint> resolved;   // when it was posted resolved
  };
  boost::asio::awaitable<std::optional<Delivery>> post(const nlohmann::json& alerts);
  /// Writes (or, for nullopt, deletes) tracked alerts in one transaction.
  boost::asio::awaitable<bool> save(const std::map<std::string, std::optional<Tracked>>& changes);

  config::SinkConfig config_;
  const Clock& clock_;
  ApiClient api_;
  store::Store& store_;
  mutable std::mutex mutex_;
  std::map<std::string, Tracked> tracked_;  // by incident id ("<id>~<ms>": an ended label set)
  uint64_t generation_ = 0;                 // counts deliveries: a refresh re-posts if one slipped in
};

}  // namespace lookout::alerting
