// alerting::ZendeskSink (`type: zendesk`): one Zendesk Support ticket per incident, through the
// Ticketing API v2 at `url` (https://<subdomain>.zendesk.com), authenticated with an API token
// (HTTP Basic "<email>/token:<token>").
//
//   incident.opened   -> POST /api/v2/tickets.json {"ticket": {subject, comment {body, public},
//                        priority, type "incident", tags [lookout, client_<id>, check_<type>],
//                        external_id}} with Idempotency-Key; 201 {"ticket": {"id"}} -> the id is
//                        stored (values "sink_ticket") before the delivery counts as done
//   later events      -> PUT /api/v2/tickets/{id}.json {"ticket": {"comment": {...}, "priority"}}
//   incident.resolved -> the same PUT with "status": "solved" and the recovery note
//
// external_id = the incident id ("client/site/check#N"). Before any create the sink lists
// GET /api/v2/tickets.json?external_id=... (the list endpoint: search lags by minutes), so a crash
// between "created" and "recorded" never makes a second ticket. Priority P1 urgent, P2 high,
// P3 normal; comments are internal notes unless `comments: public`. 429 waits its Retry-After;
// at most `rate_limit` requests a minute (default 100, the Update Ticket endpoint limit).
#pragma once

#include <string>

#include "alerting/api_client.h"
#include "alerting/sink.h"

namespace lookout::alerting {

class ZendeskSink final : public Sink {
 public:
  ZendeskSink(config::SinkConfig config, net::Resolver& resolver, net::TlsContexts& tls, const Clock& clock,
              store::Store& store);
  const std::string& id() const override { return config_.id; }
  boost::asio::awaitable<Delivery> deliver(const Notification& notification) override;

 private:
  /// The ticket of an incident: stored, else listed by external_id, else created.
  struct Found {
    std::optional<Delivery> failed;
    int64_t id = 0;
    bool created = false;
  };
  boost::asio::awaitable<Found> ticket_for(const Notification& n, const NotificationBody& b);
  std::vector<std::pair<std::string, std::string>> auth() const;

  config::SinkConfig config_;
  const Clock& clock_;
  ApiClient api_;
  RateWindow rate_;
  RemoteTicketIds ids_;
};

/// P1 urgent, P2 high, P3 normal.
std::string zendesk_priority(const std::string& priority);

}  // namespace lookout::alerting
