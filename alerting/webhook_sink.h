// alerting::WebhookSink (`type: webhook`): POSTs each notification's JSON document to `url`,
// with an Idempotency-Key header identical on every retry, the event in X-Lookout-Event, an
// optional HMAC-SHA256 signature of the body (hex) in `X-Lookout-Signature: sha256=<hex>`, and
// the configured extra headers. One request per attempt on a fresh connection, ended by the
// sink's timeout; redirects are not followed. The answer is classified by classify_http().
#pragma once

#include <string>

#include <boost/asio/awaitable.hpp>

#include "alerting/sink.h"
#include "config/clock.h"
#include "config/config.h"
#include "net/resolver.h"
#include "net/tls_context.h"

namespace lookout::alerting {

/// HMAC-SHA256 of `body` with `key`, lower-case hex (OpenSSL).
std::string hmac_sha256_hex(const std::string& key, const std::string& body);

class WebhookSink final : public Sink {
 public:
  /// `resolver` and `tls` must outlive the sink and belong to the executor it delivers on.
  WebhookSink(config::SinkConfig config, net::Resolver& resolver, net::TlsContexts& tls,
              const Clock& clock);
  const std::string& id() const override { return config_.id; }
  boost::asio::awaitable<Delivery> deliver(const Notification& notification) override;

 private:
  config::SinkConfig config_;
  net::Resolver& resolver_;
  net::TlsContexts& tls_;
  const Clock& clock_;
};

}  // namespace lookout::alerting
