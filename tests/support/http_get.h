// A tiny blocking HTTP GET (or any body-less method) for tests (Beast, loopback only).
#pragma once

#include <string>

#include <boost/asio/connect.hpp>
#include <boost/asio/io_context.hpp>
#include <boost/asio/ip/tcp.hpp>
#include <boost/beast/core.hpp>
#include <boost/beast/http.hpp>

namespace lookout::testing {

struct HttpGetResult {
  int status = 0;  // 0 = connection failed
  std::string content_type;
  std::string body;
};

inline HttpGetResult http_request(const std::string& host, unsigned short port,
                                  boost::beast::http::verb method, const std::string& target) {
  namespace beast = boost::beast;
  namespace http = beast::http;
  HttpGetResult out;
  try {
    boost::asio::io_context io;
    beast::tcp_stream stream(io);
    stream.expires_after(std::chrono::seconds(10));
    stream.connect(boost::asio::ip::tcp::endpoint(boost::asio::ip::make_address(host), port));
    http::request<http::empty_body> req{method, target, 11};
    req.set(http::field::host, host);
    http::write(stream, req);
    beast::flat_buffer buf;
    http::response<http::string_body> res;
    http::read(stream, buf, res);
    out.status = res.result_int();
    out.content_type = std::string(res[http::field::content_type]);
    out.body = res.body();
  } catch (const std::exception&) {
  }
  return out;
}

inline HttpGetResult http_get(const std::string& host, unsigned short port,
                              const std::string& target) {
  return http_request(host, port, boost::beast::http::verb::get, target);
}

}  // namespace lookout::testing
