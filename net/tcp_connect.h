// net::tcp_connect: resolve a host (c-ares, cached) and connect to its addresses in order until
// one accepts or the deadline passes, with phase timings and a failure a person can read.
// Shared by the probes that open their own connections (tls; http_client could use it too).
#pragma once

#include <cstdint>
#include <optional>
#include <string>

#include <boost/asio/awaitable.hpp>
#include <boost/asio/ip/address.hpp>
#include <boost/beast/core/tcp_stream.hpp>

#include "net/resolver.h"
#include "net/context.h"
#include "net/failure_kind.h"

namespace lookout::net {

struct TcpConnectResult {
  FailureKind failure = FailureKind::none;  // none, dns, connect or timeout
  std::string error;  // "connect to 127.0.0.1:443 failed: Connection refused"
  std::optional<boost::asio::ip::address> peer;  // the last address tried
  std::string peer_text;                         // "203.0.113.7:443", "[2001:db8::1]:443"
  double resolve = 0, connect = 0;               // seconds
  explicit operator bool() const { return failure == FailureKind::none; }
};

/// Connects `stream` to host:port (or to `address` without resolving), by ctx.deadline.
boost::asio::awaitable<TcpConnectResult> tcp_connect(
    Context& ctx, boost::beast::tcp_stream& stream, const std::string& host, uint16_t port,
    AddressFamily family = AddressFamily::any,
    std::optional<boost::asio::ip::address> address = std::nullopt);

/// "203.0.113.7:443" or "[2001:db8::1]:443".
std::string endpoint_text(const boost::asio::ip::address& a, uint16_t port);

/// Beast's or the socket's timeout error.
bool is_timeout_error(const boost::system::error_code& ec);

}  // namespace lookout::net
