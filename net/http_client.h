// net::http_fetch: one HTTP/1.1 request on a fresh connection, over Beast, with a deadline,
// phase timings, a capped body and a capped header. Used by every probe that speaks HTTP
// (uptime, patch version, RDAP, node_exporter scrape). Failures come back in the response.
#pragma once

#include <chrono>
#include <cstdint>
#include <functional>
#include <optional>
#include <string>
#include <string_view>
#include <utility>
#include <vector>

#include <boost/asio/awaitable.hpp>
#include <boost/asio/ip/address.hpp>

#include "net/resolver.h"
#include "net/url.h"
#include "net/context.h"
#include "net/failure_kind.h"

namespace lookout::net {

struct HttpRequest {
  std::string method = "GET";
  Url url;
  std::vector<std::pair<std::string, std::string>> headers;
  std::string body;
  size_t body_limit = 1 << 20;     // bytes kept; the rest is not read
  size_t header_limit = 64 << 10;  // a longer header is a protocol failure
  /// Connect to this address instead of resolving url.host (multi-address checks).
  std::optional<boost::asio::ip::address> address;
  AddressFamily family = AddressFamily::any;
  std::string ca_file;   // empty = system store
  bool verify_tls = true;
  std::string sni;       // empty = url.host (never sent for IP literals)
  std::string user_agent = "Lookout/0.1";
  /// Streaming body consumer: called per chunk (also when body_limit is 0); return false to
  /// stop reading. The body is still kept up to body_limit.
  std::function<bool(std::string_view)> on_body;
};

struct HttpResponse {
  FailureKind failure = FailureKind::none;  // none when a response was read; internal: our
                                            // side (an unusable ca_file), not the site
  std::string error;  // why it failed, human readable, without the address
  unsigned status = 0;
  std::vector<std::pair<std::string, std::string>> headers;  // as received
  std::string body;
  bool body_truncated = false;  // stopped at body_limit or by on_body
  std::optional<boost::asio::ip::address> peer;
  std::string peer_text;  // "203.0.113.7" or "[2001:db8::1]:443"-style for messages
  // Phase durations in seconds (blackbox names: resolve, connect, tls, processing, transfer).
  double resolve = 0, connect = 0, tls = 0, processing = 0, transfer = 0;
  bool used_tls = false;
  std::string tls_version;  // "TLS 1.3"
  std::string tls_cipher;   // IANA name

  /// First header with this name, case-insensitive.
  std::optional<std::string> header(std::string_view name) const;
  double total() const { return resolve + connect + tls + processing + transfer; }
};

/// Why `path` can't serve as a CA bundle ("" when it can): missing, unreadable, or without a
/// PEM certificate. A failed verification with such a file is reported as this problem
/// (FailureKind::internal) rather than "certificate verify failed" against a healthy site.
std::string ca_file_problem(const std::string& path);

/// Runs one request. `ctx` supplies the resolver, TLS contexts and deadline.
boost::asio::awaitable<HttpResponse> http_fetch(Context& ctx, HttpRequest request);

/// Follows redirects (3xx with Location) up to max_redirects, detecting loops; returns the
/// final response and the chain of URLs visited. Phases are summed over hops.
struct FetchChain {
  HttpResponse response;
  std::vector<std::string> urls;  // every URL requested, in order
  bool redirect_loop = false;
  bool too_many_redirects = false;
};
boost::asio::awaitable<FetchChain> http_fetch_follow(Context& ctx, HttpRequest request,
                                                     int max_redirects);

}  // namespace lookout::net
