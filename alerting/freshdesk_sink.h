// alerting::FreshdeskSink (`type: freshdesk`): one Freshdesk ticket per incident through the API
// v2 at `url` (https://<domain>.freshdesk.com), HTTP Basic "<api key>:X".
//
//   incident.opened   -> POST /api/v2/tickets {email (the requester), subject, description
//                        (HTML), priority 4/3/2 (P1 urgent, P2 high, P3 medium), status 2 (open),
//                        source 2, tags [lookout, client_<id>, check_<type>, <unique tag>]}
//                        -> 201 {"id"}: the id is stored (values "sink_ticket") before done
//   later events      -> POST /api/v2/tickets/{id}/notes {body, private}
//   incident.resolved -> PUT /api/v2/tickets/{id} {"status": 4}, then the recovery note
//
// Freshdesk has no external_id: each ticket carries a tag unique to the incident
// (freshdesk_tag()), and before creating the sink looks it up with
// GET /api/v2/search/tickets?query="tag:'<tag>'". Freshdesk's search index lags by a few
// minutes, so the stored id is what normally finds the ticket. A create is marked in the store
// before it is sent (RemoteTicketIds::creating); when a retry finds that mark (the answer was
// lost: a timeout, a cut connection, a kill -9 before the id was stored) and the tag search
// finds nothing, it waits until `search_lag` (default 5m) after the lost create and searches again
// before creating another, so a ticket made then is found, not duplicated. A refusal (3xx, 4xx,
// 500, 503) clears the mark: nothing was made. 429 waits its Retry-After; at most `rate_limit`
// requests a minute (default 80, the Growth plan's ticket-create limit).
#pragma once

#include <string>

#include "alerting/api_client.h"
#include "alerting/sink.h"

namespace lookout::alerting {

class FreshdeskSink final : public Sink {
 public:
  FreshdeskSink(config::SinkConfig config, net::Resolver& resolver, net::TlsContexts& tls, const Clock& clock,
                store::Store& store);
  const std::string& id() const override { return config_.id; }
  boost::asio::awaitable<Delivery> deliver(const Notification& notification) override;

 private:
  struct Found {
    std::optional<Delivery> failed;
    int64_t id = 0;
  };
  boost::asio::awaitable<Found> ticket_for(const Notification& n, const NotificationBody& b);
  boost::asio::awaitable<std::optional<Delivery>> add_note(int64_t id, const std::string& text);
  std::vector<std::pair<std::string, std::string>> auth() const;

  config::SinkConfig config_;
  const Clock& clock_;
  ApiClient api_;
  RateWindow rate_;
  RemoteTicketIds ids_;
};

/// P1 4 (urgent), P2 3 (high), P3 2 (medium).
int freshdesk_priority(const std::string& priority);
/// The tag unique to an incident: "lookout-" + its id as tag text + a short hash of the id.
std::string freshdesk_tag(const std::string& incident_id);

}  // namespace lookout::alerting
