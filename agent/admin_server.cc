#include "agent/admin_server.h"

#include "agent/api.h"

#include <boost/asio/as_tuple.hpp>
#include <boost/asio/co_spawn.hpp>
#include <boost/asio/detached.hpp>
#include <boost/asio/io_context.hpp>
#include <boost/asio/ip/tcp.hpp>
#include <boost/asio/use_awaitable.hpp>
#include <boost/asio/write.hpp>
#include <boost/beast/core.hpp>
#include <boost/beast/http.hpp>
#include <nlohmann/json.hpp>

#include "net/resolver.h"
#include "net/url.h"

namespace lookout::agent {
namespace asio = boost::asio;
namespace beast = boost::beast;
namespace http = beast::http;
using tcp = asio::ip::tcp;

constexpr const char* kMetricsType = "text/plain; version=0.0.4; charset=utf-8";

struct AdminServer::Impl {
  std::string listen;
  AdminHandlers handlers;
  asio::io_context io;
  tcp::acceptor acceptor{io};
  std::thread thread;

  static void set_answer(http::response<http::string_body>& res, HttpAnswer answer) {
    res.result(static_cast<http::status>(answer.status));
    res.set(http::field::content_type, answer.content_type);
    for (auto& [name, value] : answer.headers) res.set(name, value);
    res.body() = std::move(answer.body);
  }

  http::response<http::string_body> route(const http::request<http::string_body>& req) {
    http::response<http::string_body> res;
    res.version(req.version());
    res.set(http::field::server, "lookout");
    std::string_view target(req.target().data(), req.target().size());
    std::string_view path = target.substr(0, target.find('?'));
    bool get = req.method() == http::verb::get || req.method() == http::verb::head;
    bool own = path == "/metrics" || path == "/healthz" || path == "/-/healthy";
    if (own && !get) {
      auto a = api::error(405, "method " + std::string(req.method_string()) + " not allowed on " +
                                   std::string(path) + "; use GET or HEAD");
      a.headers.emplace_back("Allow", "GET, HEAD");
      set_answer(res, std::move(a));
    } else if (path == "/metrics") {  // HTTP/1.0 only; 1.1 is streamed in write_metrics
      res.result(http::status::ok);
      res.set(http::field::content_type, kMetricsType);
      if (handlers.before_metrics) handlers.before_metrics();
      auto next = handlers.metrics_stream();
      while (next(res.body())) {
      }
    } else if (own) {
      res.result(http::status::ok);
      res.set(http::field::content_type, "text/plain; charset=utf-8");
      res.body() = "ok\n";
    } else if (handlers.api_request) {
      std::string_view method(req.method_string().data(), req.method_string().size());
      auto auth = req.find(http::field::authorization);
      std::string_view authorization;
      if (auth != req.end()) authorization = std::string_view(auth->value().data(), auth->value().size());
      set_answer(res, handlers.api_request(method, target, authorization, req.body()));
    } else if (handlers.api) {
      std::string_view method(req.method_string().data(), req.method_string().size());
      set_answer(res, handlers.api(method, target));
    } else {
      set_answer(res, api::error(404, "not found: " + std::string(path)));
    }
    res.keep_alive(req.keep_alive());
    res.prepare_payload();
    if (req.method() == http::verb::head) res.body().clear();
    return res;
  }

  asio::awaitable<void> session(tcp::socket socket) {
    beast::tcp_stream stream(std::move(socket));
    beast::flat_buffer buffer;
    for (;;) {
      stream.expires_after(std::chrono::seconds(30));
      http::request_parser<http::string_body> parser;
      parser.header_limit(16 * 1024);
      parser.body_limit(64 * 1024);
      auto [ec, n] = co_await http::async_read(stream, buffer, parser,
                                               asio::as_tuple(asio::use_awaitable));
      (void)n;
      if (ec == http::error::body_limit) {
        http::response<http::string_body> res;
        res.version(11);
        set_answer(res, api::error(413, "request body larger than 64 KiB"));
        res.keep_alive(false);
        res.prepare_payload();
        co_await http::async_write(stream, res, asio::as_tuple(asio::use_awaitable));
        break;
      }
      if (ec) break;
      const auto& req = parser.get();
      std::string_view target(req.target().data(), req.target().size());
      if (req.method() == http::verb::get && req.version() >= 11 &&
          target.substr(0, target.find('?')) == "/metrics") {
        if (!co_await write_metrics(stream, req)) break;
        if (!req.keep_alive()) break;
        continue;
      }
      auto res = route(req);
      bool keep = res.keep_alive();
      auto [wec, wn] = co_await http::async_write(stream, res, asio::as_tuple(asio::use_awaitable));
      (void)wn;
      if (wec || !keep) break;
    }
    beast::error_code ignored;
    stream.socket().shutdown(tcp::socket::shutdown_both, ignored);
  }

  // Streams the exposition as chunks, one metric family at a time, so memory stays flat
  // however many series there are.
  asio::awaitable<bool> write_metrics(beast::tcp_stream& stream,
                                      const http::request<http::string_body>& req) {
    constexpr auto tuple = asio::as_tuple(asio::use_awaitable);
    if (handlers.before_metrics) handlers.before_metrics();
    http::response<http::empty_body> res{http::status::ok, req.version()};
    res.set(http::field::server, "lookout");
    res.set(http::field::content_type, kMetricsType);
    res.keep_alive(req.keep_alive());
    res.chunked(true);
    http::response_serializer<http::empty_body> sr{res};
    stream.expires_after(std::chrono::seconds(60));
    auto [hec, hn] = co_await http::async_write_header(stream, sr, tuple);
    (void)hn;
    if (hec) co_return false;
    std::string piece;
    auto next = handlers.metrics_stream();
    for (;;) {
      piece.clear();
      if (!next(piece)) break;
      if (piece.empty()) continue;
      stream.expires_after(std::chrono::seconds(60));
      auto [ec, n] = co_await asio::async_write(stream, http::make_chunk(asio::buffer(piece)), tuple);
      (void)n;
      if (ec) co_return false;
    }
    auto [lec, ln] = co_await asio::async_write(stream, http::make_chunk_last(), tuple);
    (void)ln;
    co_return !lec;
  }

  asio::awaitable<void> accept_loop() {
    for (;;) {
      auto [ec, socket] = co_await acceptor.async_accept(asio::as_tuple(asio::use_awaitable));
      if (ec) {
        if (ec == asio::error::operation_aborted || !acceptor.is_open()) co_return;
        continue;
      }
      asio::co_spawn(io, session(std::move(socket)), asio::detached);
    }
  }
};

AdminServer::AdminServer(std::string listen, AdminHandlers handlers)
    : impl_(std::make_unique<Impl>()) {
  impl_->listen = std::move(listen);
  impl_->handlers = std::move(handlers);
}

AdminServer::~AdminServer() { stop(); }

void AdminServer::start() {
  std::string host;
  uint16_t port = 0;
  if (!net::split_host_port(impl_->listen, host, port, 9464, /*allow_port_zero=*/true))
    throw std::runtime_error("bad listen address '" + impl_->listen + "'");
  auto ip = net::parse_ip(host == "localhost" ? "127.0.0.1" : host);
  if (!ip) throw std::runtime_error("listen address must be an IP: '" + impl_->listen + "'");
  tcp::endpoint ep(*ip, port);
  boost::system::error_code ec;
  impl_->acceptor.open(ep.protocol(), ec);
  if (!ec) impl_->acceptor.set_option(asio::socket_base::reuse_address(true), ec);
  if (!ec) impl_->acceptor.bind(ep, ec);
  if (!ec) impl_->acceptor.listen(asio::socket_base::max_listen_connections, ec);
  if (ec) throw std::runtime_error("cannot listen on " + impl_->listen + ": " + ec.message());
  asio::co_spawn(impl_->io, impl_->accept_loop(), asio::detached);
  impl_->thread = std::thread([this] { impl_->io.run(); });
}

void AdminServer::stop() {
  if (!impl_ || !impl_->thread.joinable()) return;
  asio::post(impl_->io, [this] {
    boost::system::error_code ec;
    impl_->acceptor.close(ec);
  });
  impl_->io.stop();
  impl_->thread.join();
}

std::string AdminServer::address() const {
  boost::system::error_code ec;
  auto ep = impl_->acceptor.local_endpoint(ec);
  if (ec) return impl_->listen;
  auto a = ep.address();
  return (a.is_v6() ? "[" + a.to_string() + "]" : a.to_string()) + ":" + std::to_string(ep.port());
}

}  // namespace lookout::agent
