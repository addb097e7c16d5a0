#include "alerting/webhook_sink.h"

#include <openssl/evp.h>
#include <openssl/hmac.h>

#include <boost/asio/this_coro.hpp>

#include "net/context.h"
#include "net/http_client.h"
#include "net/url.h"

namespace lookout::alerting {

std::string hmac_sha256_hex(const std::string& key, const std::string& body) {
  unsigned char mac[EVP_MAX_MD_SIZE];
  unsigned int len = 0;
  HMAC(EVP_sha256(), key.data(), static_cast<int>(key.size()),
       reinterpret_cast<const unsigned char*>(body.data()), body.size(), mac, &len);
  static const char* hex = "0123456789abcdef";
  std::string out;
  out.reserve(len * 2);
  for (unsigned int i = 0; i < len; ++i) {
    out.push_back(hex[mac[i] >> 4]);
    out.push_back(hex[mac[i] & 0xf]);
  }
  return out;
}

WebhookSink::WebhookSink(config::SinkConfig config, net::Resolver& resolver,
                         net::TlsContexts& tls, const Clock& clock)
    : config_(std::move(config)), resolver_(resolver), tls_(tls), clock_(clock) {}

boost::asio::awaitable<Delivery> WebhookSink::deliver(const Notification& n) {
  // A page through the on-call rota goes to the member's own URL (checked at config load).
  const std::string address = page_address(n);
  const std::string& target = address.empty() ? config_.url : address;
  auto url = net::parse_url(target);
  if (!url) co_return Delivery::reject("bad sink URL '" + target + "'");
  net::HttpRequest req;
  req.method = "POST";
  req.url = *url;
  req.body = n.body;
  req.body_limit = 4096;  // the answer is only for the log
  req.user_agent = "Lookout/0.1 (alerting)";
  req.headers.emplace_back("Content-Type", "application/json");
  req.headers.emplace_back("Idempotency-Key", n.idempotency_key);
  req.headers.emplace_back("X-Lookout-Event", n.event);
  if (!config_.secret.empty())
    req.headers.emplace_back("X-Lookout-Signature", "sha256=" + hmac_sha256_hex(config_.secret, n.body));
  for (const auto& h : config_.headers) req.headers.push_back(h);

  net::Context ctx{co_await boost::asio::this_coro::executor, resolver_, tls_,
                   std::chrono::steady_clock::now() + config_.timeout, config_.timeout};
  net::HttpResponse resp = co_await net::http_fetch(ctx, std::move(req));
  if (resp.failure != net::FailureKind::none)
    co_return Delivery::again(std::string(net::to_string(resp.failure)) + ": " + resp.error);
  co_return classify_http(resp.status, resp.header("Retry-After"), clock_.now());
}

}  // namespace lookout::alerting
