#include "alerting/sink_factory.h"

#include "alerting/alertmanager_sink.h"
#include "alerting/email_sink.h"
#include "alerting/freshdesk_sink.h"
#include "alerting/pagerduty_sink.h"
#include "alerting/webhook_sink.h"
#include "alerting/zendesk_sink.h"

namespace lookout::alerting {

std::shared_ptr<Sink> make_sink(const config::SinkConfig& c, net::Resolver& resolver, net::TlsContexts& tls,
                                const Clock& clock, store::Store& store) {
  if (c.type == "webhook") return std::make_shared<WebhookSink>(c, resolver, tls, clock);
  if (c.type == "pagerduty") return std::make_shared<PagerDutySink>(c, resolver, tls, clock);
  if (c.type == "zendesk") return std::make_shared<ZendeskSink>(c, resolver, tls, clock, store);
  if (c.type == "freshdesk") return std::make_shared<FreshdeskSink>(c, resolver, tls, clock, store);
  if (c.type == "email") return std::make_shared<EmailSink>(c, clock);
  if (c.type == "alertmanager") return std::make_shared<AlertmanagerSink>(c, resolver, tls, clock, store);
  return nullptr;
}

}  // namespace lookout::alerting
