#include "tests/estate/http_listeners.h"

#include <boost/asio/as_tuple.hpp>
#include <boost/asio/co_spawn.hpp>
#include <boost/asio/steady_timer.hpp>
#include <boost/asio/use_awaitable.hpp>
#include <boost/asio/write.hpp>
#include <boost/beast/core/flat_buffer.hpp>
#include <boost/beast/http.hpp>

namespace lookout::estate {
namespace asio = boost::asio;
namespace beast = boost::beast;
namespace http = beast::http;
using tcp = asio::ip::tcp;
using namespace std::chrono_literals;

namespace {
constexpr auto kUseTuple = asio::as_tuple(asio::use_awaitable);
constexpr auto kIoTimeout = 30s;
}  // namespace

HttpListeners::HttpListeners(Estate& estate, size_t max_connections)
    : estate_(estate), max_connections_(max_connections), strand_(asio::make_strand(estate.io())) {}

std::shared_ptr<HttpListeners> HttpListeners::create(Estate& estate, size_t max_connections) {
  auto listeners = std::make_shared<HttpListeners>(estate, max_connections);
  estate.keep(listeners);
  estate.close_on_stop(listeners->strand_, [listeners] { listeners->close_all(); });
  return listeners;
}

std::string HttpListeners::listen(uint16_t offset, Handler handler) {
  auto acc = std::make_unique<tcp::acceptor>(strand_);
  tcp::endpoint ep(asio::ip::make_address(estate_.options().address), estate_.port(offset));
  acc->open(ep.protocol());
  acc->set_option(asio::socket_base::reuse_address(true));
  acc->bind(ep);
  acc->listen(asio::socket_base::max_listen_connections);
  std::string url = "http://" + estate_.host_port(acc->local_endpoint().port());
  acceptors_.push_back(std::move(acc));
  asio::co_spawn(strand_,
                 accept_loop(*acceptors_.back(), std::make_shared<Handler>(std::move(handler))),
                 [](std::exception_ptr) {});
  return url;
}

void HttpListeners::close_all() {
  stopping_ = true;
  beast::error_code ec;
  for (auto& a : acceptors_) a->close(ec);
  auto open = std::move(open_);
  open_.clear();
  for (auto& [id, sock] : open) {
    sock->shutdown(tcp::socket::shutdown_both, ec);
    sock->close(ec);
  }
}

asio::awaitable<void> HttpListeners::accept_loop(tcp::acceptor& acc,
                                                 std::shared_ptr<Handler> handler) {
  auto self = shared_from_this();
  while (!stopping_) {
    auto [ec, sock] = co_await acc.async_accept(kUseTuple);
    if (stopping_ || !acc.is_open()) co_return;
    if (ec) {
      asio::steady_timer t(strand_, 50ms);  // e.g. EMFILE: do not spin
      co_await t.async_wait(kUseTuple);
      continue;
    }
    if (open_.size() >= max_connections_) {
      sock.close(ec);
      continue;
    }
    asio::co_spawn(strand_, session(std::move(sock), handler), [](std::exception_ptr) {});
  }
}

asio::awaitable<void> HttpListeners::session(tcp::socket sock, std::shared_ptr<Handler> handler) {
  auto self = shared_from_this();
  beast::tcp_stream stream(std::move(sock));
  uint64_t id = ++next_id_;
  open_.emplace(id, &stream.socket());
  struct Unregister {
    HttpListeners& l;
    uint64_t id;
    ~Unregister() { l.open_.erase(id); }
  } unregister{*this, id};

  beast::flat_buffer buffer(4096);
  http::request_parser<http::empty_body> parser;
  parser.header_limit(16 << 10);
  stream.expires_after(kIoTimeout);
  auto [ec, n] = co_await http::async_read(stream, buffer, parser, kUseTuple);
  (void)n;
  if (ec || stopping_) co_return;
  std::string_view target = parser.get().target();
  co_await (*handler)(stream, target.substr(0, target.find('?')));
  beast::error_code ignored;
  stream.socket().shutdown(tcp::socket::shutdown_send, ignored);
}

asio::awaitable<bool> HttpListeners::write(beast::tcp_stream& stream, std::string_view bytes) {
  stream.expires_after(kIoTimeout);
  auto [ec, n] = co_await asio::async_write(stream, asio::buffer(bytes), kUseTuple);
  (void)n;
  co_return !ec && !stopping_;
}

}  // namespace lookout::estate
