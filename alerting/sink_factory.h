// alerting::make_sink: the one place a SinkConfig becomes a Sink of its type (webhook,
// pagerduty, zendesk, freshdesk, alertmanager). nullptr for an unknown type (the loader has
// already refused it).
#pragma once

#include <memory>

#include "alerting/sink.h"
#include "config/clock.h"
#include "config/config.h"
#include "net/resolver.h"
#include "net/tls_context.h"
#include "store/store.h"

namespace lookout::alerting {

/// `resolver`, `tls` and `store` must outlive the sink; it delivers on the resolver's executor.
std::shared_ptr<Sink> make_sink(const config::SinkConfig& config, net::Resolver& resolver, net::TlsContexts& tls,
                                const Clock& clock, store::Store& store);

}  // namespace lookout::alerting
