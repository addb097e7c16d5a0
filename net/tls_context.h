// net::TlsContexts: shared OpenSSL client contexts, one per (CA file, verify mode).
// Thread-safe; an SSL_CTX may be used from several threads to create connections.
#pragma once

#include <map>
#include <memory>
#include <mutex>
#include <string>

#include <boost/asio/ssl/context.hpp>

namespace lookout::net {

class TlsContexts {
 public:
  /// Client context verifying against `ca_file` (empty = system store). With `verify`
  /// false, peer verification is off (for probes that classify errors themselves).
  std::shared_ptr<boost::asio::ssl::context> client(const std::string& ca_file, bool verify);

 private:
  std::mutex mutex_;
  std::map<std::pair<std::string, bool>, std::shared_ptr<boost::asio::ssl::context>> contexts_;
};

}  // namespace lookout::net
