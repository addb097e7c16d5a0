// estate::HttpListeners: plain-HTTP listeners for estate components that answer one request per
// connection (CMS sites, node_exporter hosts). Everything runs on one strand; open connections
// are tracked (and capped) so Estate::stop closes them; accept errors back off instead of
// spinning. Components supply only what to answer for a path.
#pragma once

#include <cstdint>
#include <functional>
#include <memory>
#include <string_view>
#include <unordered_map>
#include <vector>

#include <boost/asio/awaitable.hpp>
#include <boost/asio/ip/tcp.hpp>
#include <boost/asio/strand.hpp>
#include <boost/beast/core/tcp_stream.hpp>

#include "tests/estate/estate.h"

namespace lookout::estate {

class HttpListeners : public std::enable_shared_from_this<HttpListeners> {
 public:
  /// Writes the whole response for `path` (the request target without its query).
  using Handler = std::function<boost::asio::awaitable<void>(boost::beast::tcp_stream& stream,
                                                             std::string_view path)>;

  /// Makes the listeners and registers their closing with the estate's stop().
  static std::shared_ptr<HttpListeners> create(Estate& estate, size_t max_connections);

  /// Listens on estate.port(offset); returns "http://ADDRESS:PORT".
  std::string listen(uint16_t offset, Handler handler);

  /// Writes with the I/O timeout; false when the client is gone or the estate is stopping.
  boost::asio::awaitable<bool> write(boost::beast::tcp_stream& stream, std::string_view bytes);

  explicit HttpListeners(Estate& estate, size_t max_connections);

 private:
  boost::asio::awaitable<void> accept_loop(boost::asio::ip::tcp::acceptor& acc,
                                           std::shared_ptr<Handler> handler);
  boost::asio::awaitable<void> session(boost::asio::ip::tcp::socket sock,
                                       std::shared_ptr<Handler> handler);
  void close_all();

  Estate& estate_;
  size_t max_connections_;
  boost::asio::strand<boost::asio::io_context::executor_type> strand_;
  std::vector<std::unique_ptr<boost::asio::ip::tcp::acceptor>> acceptors_;
  std::unordered_map<uint64_t, boost::asio::ip::tcp::socket*> open_;
  uint64_t next_id_ = 0;
  bool stopping_ = false;
};

}  // namespace lookout::estate
