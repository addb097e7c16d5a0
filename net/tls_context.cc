#include "net/tls_context.h"

#include <openssl/ssl.h>

namespace lookout::net {

std::shared_ptr<boost::asio::ssl::context> TlsContexts::client(const std::string& ca_file,
                                                               bool verify) {
  std::lock_guard lock(mutex_);
  auto key = std::make_pair(ca_file, verify);
  auto it = contexts_.find(key);
  if (it != contexts_.end()) return it->second;
  auto ctx = std::make_shared<boost::asio::ssl::context>(boost::asio::ssl::context::tls_client);
  ctx->set_options(boost::asio::ssl::context::default_workarounds |
                   boost::asio::ssl::context::no_sslv2 | boost::asio::ssl::context::no_sslv3);
  boost::system::error_code ec;
  if (ca_file.empty())
    ctx->set_default_verify_paths(ec);
  else
    ctx->load_verify_file(ca_file, ec);  // a bad file makes every verification fail, visibly
  ctx->set_verify_mode(verify ? boost::asio::ssl::verify_peer : boost::asio::ssl::verify_none);
  // Probes open a fresh connection each time; session caching would hide handshake costs.
  SSL_CTX_set_session_cache_mode(ctx->native_handle(), SSL_SESS_CACHE_OFF);
  contexts_.emplace(key, ctx);
  return ctx;
}

}  // namespace lookout::net
