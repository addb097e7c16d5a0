// lookout::testing::HttpReceiver: a tiny HTTP/1.1 server on 127.0.0.1 for tests (Beast, its own
// thread). It records every request (method, target, headers, raw body) and answers each one
// with the status and body chosen by a responder the test can change at any time (default: 200
// with an empty body). One request per connection (it answers `Connection: close`), so a client
// that keeps a connection open never holds up the others for long.
#pragma once

#include <atomic>
#include <chrono>
#include <condition_variable>
#include <functional>
#include <map>
#include <mutex>
#include <string>
#include <thread>
#include <vector>

#include <boost/asio/io_context.hpp>
#include <boost/asio/ip/tcp.hpp>
#include <boost/beast/core.hpp>
#include <boost/beast/http.hpp>

namespace lookout::testing {

struct ReceivedRequest {
  std::string method;
  std::string target;
  std::map<std::string, std::string> headers;  // names lower-cased; a repeated name: the last one
  std::vector<std::pair<std::string, std::string>> header_list;  // as received
  std::string body;
  int answered = 0;  // the status the receiver answered with
  std::chrono::steady_clock::time_point at;

  std::string header(const std::string& lower_name) const {
    auto it = headers.find(lower_name);
    return it == headers.end() ? std::string() : it->second;
  }
  bool has_header(const std::string& lower_name) const { return headers.count(lower_name) > 0; }
};

struct Answer {
  int status = 200;
  std::string body;
  std::string content_type = "text/plain";
  std::vector<std::pair<std::string, std::string>> headers;  // extra ones (Retry-After, Location)

  Answer() = default;
  Answer(int status_, std::string body_ = {}, std::string content_type_ = "text/plain",
         std::vector<std::pair<std::string, std::string>> headers_ = {})
      : status(status_), body(std::move(body_)), content_type(std::move(content_type_)),
        headers(std::move(headers_)) {}
};

class HttpReceiver {
 public:
  /// Decides the answer to a request; `index` counts requests from 0. Called on the server thread.
  using Responder = std::function<Answer(const ReceivedRequest&, size_t index)>;

  HttpReceiver() : acceptor_(io_, {boost::asio::ip::make_address("127.0.0.1"), 0}) {
    port_ = acceptor_.local_endpoint().port();
    thread_ = std::thread([this] { serve(); });
  }
  ~HttpReceiver() { stop(); }
  HttpReceiver(const HttpReceiver&) = delete;
  HttpReceiver& operator=(const HttpReceiver&) = delete;

  unsigned short port() const { return port_; }
  std::string url(const std::string& path = "/") const {
    return "http://127.0.0.1:" + std::to_string(port_) + path;
  }

  void set_responder(Responder r) {
    std::lock_guard<std::mutex> lock(mutex_);
    responder_ = std::move(r);
  }
  /// Every request from now on gets `status` with `body`.
  void answer(int status, std::string body = {}) {
    set_responder([status, body](const ReceivedRequest&, size_t) { return Answer{status, body}; });
  }

  std::vector<ReceivedRequest> requests() const {
    std::lock_guard<std::mutex> lock(mutex_);
    return requests_;
  }
  size_t count() const {
    std::lock_guard<std::mutex> lock(mutex_);
    return requests_.size();
  }

  /// Waits until `pred(requests)` holds or `timeout` passes; returns whether it held.
  template <typename Pred>
  bool wait_for(Pred pred, std::chrono::milliseconds timeout) const {
    std::unique_lock<std::mutex> lock(mutex_);
    return cv_.wait_for(lock, timeout, [&] { return pred(requests_); });
  }

  void stop() {
    if (stopped_.exchange(true)) return;
    // Wake the blocking accept with a connection of our own.
    try {
      boost::asio::io_context io;
      boost::asio::ip::tcp::socket s(io);
      s.connect({boost::asio::ip::make_address("127.0.0.1"), port_});
    } catch (const std::exception&) {
    }
    if (thread_.joinable()) thread_.join();
  }

 private:
  void serve() {
    namespace beast = boost::beast;
    namespace http = beast::http;
    while (!stopped_) {
      boost::asio::ip::tcp::socket socket(io_);
      boost::system::error_code ec;
      acceptor_.accept(socket, ec);
      if (stopped_) break;
      if (ec) continue;
      try {
        beast::tcp_stream stream(std::move(socket));
        stream.expires_after(std::chrono::seconds(5));
        beast::flat_buffer buf;
        http::request<http::string_body> req;
        http::read(stream, buf, req);
        ReceivedRequest r;
        r.method = std::string(req.method_string());
        r.target = std::string(req.target());
        for (const auto& f : req) {
          std::string name(f.name_string());
          for (auto& ch : name) ch = static_cast<char>(std::tolower(static_cast<unsigned char>(ch)));
          r.headers[name] = std::string(f.value());
          r.header_list.emplace_back(name, std::string(f.value()));
        }
        r.body = req.body();
        r.at = std::chrono::steady_clock::now();
        Answer a;
        {
          std::lock_guard<std::mutex> lock(mutex_);
          if (responder_) a = responder_(r, requests_.size());
        }
        r.answered = a.status;
        http::response<http::string_body> res{static_cast<http::status>(a.status), req.version()};
        res.set(http::field::content_type, a.content_type);
        res.set(http::field::connection, "close");
        for (const auto& [name, value] : a.headers) res.set(name, value);
        res.body() = a.body;
        res.prepare_payload();
        {
          // Record before answering: whoever sees the answer may look at the record at once.
          std::lock_guard<std::mutex> lock(mutex_);
          requests_.push_back(r);
        }
        cv_.notify_all();
        http::write(stream, res);
        stream.socket().shutdown(boost::asio::ip::tcp::socket::shutdown_send, ec);
      } catch (const std::exception&) {
      }
    }
  }

  boost::asio::io_context io_;
  boost::asio::ip::tcp::acceptor acceptor_;
  unsigned short port_ = 0;
  std::thread thread_;
  std::atomic<bool> stopped_{false};
  mutable std::mutex mutex_;
  mutable std::condition_variable cv_;
  std::vector<ReceivedRequest> requests_;
  Responder responder_;
};

}  // namespace lookout::testing
