#include "net/tcp_connect.h"

#include <boost/asio/as_tuple.hpp>
#include <boost/asio/ip/tcp.hpp>
#include <boost/asio/use_awaitable.hpp>
#include <boost/beast/core/error.hpp>

#include "net/human_duration.h"

namespace lookout::net {
namespace asio = boost::asio;
using Clock = std::chrono::steady_clock;

std::string endpoint_text(const asio::ip::address& a, uint16_t port) {
  return a.is_v6() ? "[" + a.to_string() + "]:" + std::to_string(port)
                   : a.to_string() + ":" + std::to_string(port);
}

bool is_timeout_error(const boost::system::error_code& ec) {
  return ec == boost::beast::error::timeout || ec == asio::error::timed_out;
}

asio::awaitable<TcpConnectResult> tcp_connect(Context& ctx, boost::beast::tcp_stream& stream,
                                              const std::string& host, uint16_t port,
                                              AddressFamily family,
                                              std::optional<asio::ip::address> address) {
  TcpConnectResult out;
  auto since = [](Clock::time_point t) {
    return std::chrono::duration<double>(Clock::now() - t).count();
  };
  std::vector<asio::ip::address> addresses;
  auto t = Clock::now();
  if (address) {
    addresses.push_back(*address);
  } else {
    auto rr = co_await ctx.resolver.resolve(host, family, ctx.deadline);
    out.resolve = since(t);
    if (!rr.ok || rr.addresses.empty()) {
      out.failure = rr.timed_out ? FailureKind::timeout : FailureKind::dns;
      out.error = rr.timed_out ? "DNS lookup of " + host + " timed out"
                               : "DNS lookup of " + host + " failed: " +
                                     (rr.error.empty() ? "no address" : rr.error);
      co_return out;
    }
    addresses = std::move(rr.addresses);
  }

  t = Clock::now();
  boost::system::error_code cec;
  for (const auto& a : addresses) {
    if (stream.socket().is_open()) stream.close();
    stream.expires_at(ctx.deadline);
    auto [ec] = co_await stream.async_connect(asio::ip::tcp::endpoint(a, port),
                                              asio::as_tuple(asio::use_awaitable));
    out.peer = a;
    out.peer_text = endpoint_text(a, port);
    cec = ec;
    if (!ec || is_timeout_error(ec)) break;
  }
  out.connect = since(t);
  if (cec) {
    const double timeout_s = std::chrono::duration<double>(ctx.timeout).count();
    out.failure = is_timeout_error(cec) ? FailureKind::timeout : FailureKind::connect;
    out.error = is_timeout_error(cec)
                    ? "connect timeout after " + human_duration(timeout_s) + " to " + out.peer_text
                    : "connect to " + out.peer_text + " failed: " + cec.message();
  }
  co_return out;
}

}  // namespace lookout::net
