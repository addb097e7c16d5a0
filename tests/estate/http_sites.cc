// The estate's HTTP(S) sites: a healthy page, error codes, and the hostile behaviours an uptime
// probe must survive (slow, hanging, dripping, endless, huge header, garbage, redirect chains
// and loops), on plain HTTP and on HTTPS with a certificate from the estate CA, plus a TCP
// blackhole. Paths are listed in tests/estate/README.md.
//
// Every coroutine runs on one strand, so the connection registry needs no lock; stop() posts
// a close of every acceptor and socket to that strand. Memory per connection is bounded
// (request limits, static response buffers, one write in flight) and so is the number of
// connections (kMaxConnections; the blackhole keeps at most kMaxBlackhole sockets).
#include <chrono>
#include <cstdint>
#include <deque>
#include <exception>
#include <functional>
#include <memory>
#include <set>
#include <string>
#include <string_view>
#include <unordered_map>

#include <boost/asio/as_tuple.hpp>
#include <boost/asio/co_spawn.hpp>
#include <boost/asio/ip/tcp.hpp>
#include <boost/asio/ssl.hpp>
#include <boost/asio/steady_timer.hpp>
#include <boost/asio/strand.hpp>
#include <boost/asio/use_awaitable.hpp>
#include <boost/asio/write.hpp>
#include <boost/beast/core.hpp>
#include <boost/beast/http.hpp>
#include <boost/url/parse.hpp>

#include "tests/estate/cert_factory.h"
#include "tests/estate/estate.h"

namespace lookout::estate {
namespace {

namespace asio = boost::asio;
namespace beast = boost::beast;
namespace http = beast::http;
namespace ssl = asio::ssl;
using tcp = asio::ip::tcp;
using namespace std::chrono_literals;

constexpr auto kUseTuple = asio::as_tuple(asio::use_awaitable);
constexpr size_t kMaxConnections = 4096;
constexpr size_t kMaxBlackhole = 1024;
constexpr auto kRequestTimeout = 30s;
constexpr auto kWriteTimeout = 60s;
constexpr int kMaxSlowMs = 600'000;
constexpr int kMaxRedirects = 1000;
constexpr std::string_view kKeyword = "Welcome to the estate";

std::string page(std::string_view title, std::string_view text) {
  return "<!DOCTYPE html>\n<html><head><title>" + std::string(title) +
         "</title></head>\n<body><h1>" + std::string(title) + "</h1>\n<p>" + std::string(text) +
         "</p></body></html>\n";
}

const std::string& healthy_page() {
  static const std::string p =
      page(kKeyword, "This is a healthy site of the Lookout fake client estate.");
  return p;
}

/// "HTTP/1.1 200 OK" then a 1 MiB header line, then a tiny body.
const std::string& big_header_response() {
  static const std::string r = "HTTP/1.1 200 OK\r\nContent-Type: text/plain\r\nX-Big: " +
                               std::string(1 << 20, 'a') +
                               "\r\nContent-Length: 3\r\nConnection: close\r\n\r\nok\n";
  return r;
}

/// Bytes that are not HTTP: a fixed pseudo-random block (deterministic, no "HTTP/" prefix).
const std::string& garbage() {
  static const std::string g = [] {
    std::string s(4096, '\0');
    s.replace(0, 10, "\x7f\xff\x13garbage", 10);
    uint32_t x = 0x12345678;
    for (size_t i = 10; i < s.size(); ++i) {
      x ^= x << 13, x ^= x >> 17, x ^= x << 5;
      s[i] = static_cast<char>(x & 0xff);
    }
    return s;
  }();
  return g;
}

/// A 103 Early Hints interim response (as CDNs send), then the healthy page.
const std::string& early_hints_response() {
  static const std::string r =
      "HTTP/1.1 103 Early Hints\r\nLink: </style.css>; rel=preload; as=style\r\n\r\n"
      "HTTP/1.1 200 OK\r\nContent-Type: text/html\r\nContent-Length: " +
      std::to_string(healthy_page().size()) + "\r\nConnection: close\r\n\r\n" + healthy_page();
  return r;
}

/// The healthy page with neither Content-Length nor chunking: the body ends at the close
/// (HTTP/1.0 style). Over TLS the close comes without close_notify, as many servers do it.
const std::string& eof_body_response() {
  static const std::string r =
      "HTTP/1.1 200 OK\r\nContent-Type: text/html\r\nConnection: close\r\n\r\n" + healthy_page();
  return r;
}

/// One 64 KiB chunk of an endless chunked body.
const std::string& endless_chunk() {
  static const std::string c = "10000\r\n" + std::string(0x10000, 'x') + "\r\n";
  return c;
}
const std::string& endless_block() {
  static const std::string b(0x10000, 'x');
  return b;
}

/// Value of `key` in a query string, or "" when absent.
std::string query_param(std::string_view target, std::string_view key) {
  auto u = boost::urls::parse_origin_form(target);
  if (!u) return {};
  auto params = u->params();
  auto it = params.find(key);
  if (it == params.end()) return {};
  return (*it).has_value ? std::string((*it).value) : std::string("1");
}

// The WordPress.org plugin/theme information API (api.wordpress.org/{plugins,themes}/info/1.2/)
// for the components the estate's WordPress sites show, so the daemon, the demo and the tests
// judge them without leaving the machine: a `directory_api: <http>/wp-directory` points here.
// The answers have the real API's shape (a 200 object with "version", or 404 with "error").
std::pair<unsigned, std::string> wp_directory(std::string_view path, std::string_view target) {
  const bool theme = path == "/wp-directory/themes/info/1.2/";
  const bool plugin = path == "/wp-directory/plugins/info/1.2/";
  const std::string action = query_param(target, "action");
  if ((!theme || action != "theme_information") && (!plugin || action != "plugin_information"))
    return {400, "{\"error\":\"Action not implemented\"}"};
  const std::string slug = query_param(target, "request[slug]");
  // Latest releases as of the estate's catalogue; the sites run older ones (6.0.6, 1.2).
  const std::string version = plugin && slug == "contact-form-7"   ? "6.1.2"
                              : theme && slug == "twentytwentyfive" ? "1.3"
                                                                    : "";
  if (version.empty())
    return {404, theme ? "{\"error\":\"Theme not found\"}" : "{\"error\":\"Plugin not found.\"}"};
  return {200, "{\"name\":\"" + slug + "\",\"slug\":\"" + slug + "\",\"version\":\"" + version +
                   "\",\"requires\":\"6.6\",\"requires_php\":\"7.4\",\"download_link\":"
                   "\"https://downloads.wordpress.org/" + (theme ? "theme/" : "plugin/") + slug + "." +
                   version + ".zip\"}"};
}

int to_int(std::string_view s, int fallback) {
  if (s.empty() || s.size() > 9) return fallback;
  int v = 0;
  for (char c : s) {
    if (c < '0' || c > '9') return fallback;
    v = v * 10 + (c - '0');
  }
  return v;
}

template <class Stream>
beast::tcp_stream& lowest(Stream& s) {
  return beast::get_lowest_layer(s);
}

class HttpSites : public std::enable_shared_from_this<HttpSites> {
 public:
  HttpSites(Estate& estate, std::shared_ptr<ssl::context> tls)
      : strand_(asio::make_strand(estate.io())),
        http_(strand_),
        https_(strand_),
        blackhole_(strand_),
        tls_(std::move(tls)) {}

  /// Binds the three listeners (throws on failure) and starts accepting.
  void start(Estate& estate) {
    auto address = asio::ip::make_address(estate.options().address);
    listen(http_, tcp::endpoint(address, estate.port(0)));
    listen(https_, tcp::endpoint(address, estate.port(1)));
    listen(blackhole_, tcp::endpoint(address, estate.port(2)));
    estate.add_endpoint("http", "http://" + estate.host_port(http_.local_endpoint().port()));
    estate.add_endpoint("https", "https://" + estate.host_port(https_.local_endpoint().port()));
    estate.add_endpoint("blackhole", estate.host_port(blackhole_.local_endpoint().port()));
    spawn(accept_loop(http_, false));
    spawn(accept_loop(https_, true));
    spawn(blackhole_loop());
  }

  /// Closes listeners and every open connection; runs on the strand.
  void close_all() {
    stopping_ = true;
    beast::error_code ec;
    http_.close(ec);
    https_.close(ec);
    blackhole_.close(ec);
    auto closers = std::move(closers_);
    closers_.clear();
    for (auto& [id, close] : closers) close();
    for (auto& s : held_) s.close(ec);
    held_.clear();
  }

  asio::strand<asio::io_context::executor_type>& strand() { return strand_; }

 private:
  void listen(tcp::acceptor& acc, const tcp::endpoint& ep) {
    acc.open(ep.protocol());
    acc.set_option(asio::socket_base::reuse_address(true));
    acc.bind(ep);
    acc.listen(asio::socket_base::max_listen_connections);
  }

  void spawn(asio::awaitable<void> task) {
    asio::co_spawn(strand_, std::move(task), [](std::exception_ptr) {});
  }

  /// Waits after an accept error such as EMFILE, so a full fd table does not spin the CPU.
  asio::awaitable<void> backoff() {
    asio::steady_timer t(strand_, 50ms);
    co_await t.async_wait(kUseTuple);
  }

  asio::awaitable<void> accept_loop(tcp::acceptor& acc, bool tls) {
    auto self = shared_from_this();
    while (!stopping_) {
      auto [ec, sock] = co_await acc.async_accept(kUseTuple);
      if (stopping_ || !acc.is_open()) co_return;
      if (ec) {
        co_await backoff();
        continue;
      }
      if (closers_.size() >= kMaxConnections) {
        sock.close(ec);
        continue;
      }
      spawn(session(std::move(sock), tls));
    }
  }

  asio::awaitable<void> blackhole_loop() {
    auto self = shared_from_this();
    while (!stopping_) {
      auto [ec, sock] = co_await blackhole_.async_accept(kUseTuple);
      if (stopping_ || !blackhole_.is_open()) co_return;
      if (ec) {
        co_await backoff();
        continue;
      }
      // Never read, never answer; drop the oldest when too many are held.
      held_.push_back(std::move(sock));
      if (held_.size() > kMaxBlackhole) {
        held_.front().close(ec);
        held_.pop_front();
      }
    }
  }

  /// Registers a connection's close function for stop(); unregisters on scope exit.
  class Registration {
   public:
    Registration(HttpSites& sites, std::function<void()> close) : sites_(sites), id_(++sites.next_id_) {
      sites_.closers_.emplace(id_, std::move(close));
    }
    ~Registration() { sites_.closers_.erase(id_); }
    Registration(const Registration&) = delete;
    Registration& operator=(const Registration&) = delete;

   private:
    HttpSites& sites_;
    uint64_t id_;
  };

  asio::awaitable<void> session(tcp::socket sock, bool tls) {
    auto self = shared_from_this();
    asio::steady_timer timer(strand_);
    if (!tls) {
      beast::tcp_stream stream(std::move(sock));
      Registration reg(*this, [&] { close(stream, timer); });
      co_await serve(stream, timer, "http");
      co_return;
    }
    ssl::stream<beast::tcp_stream> stream(beast::tcp_stream(std::move(sock)), *tls_);
    Registration reg(*this, [&] { close(stream, timer); });
    lowest(stream).expires_after(kRequestTimeout);
    auto [ec] = co_await stream.async_handshake(ssl::stream_base::server, kUseTuple);
    if (ec) co_return;
    co_await serve(stream, timer, "https");
  }

  template <class Stream>
  static void close(Stream& stream, asio::steady_timer& timer) {
    beast::error_code ec;
    timer.cancel();
    lowest(stream).socket().shutdown(tcp::socket::shutdown_both, ec);
    lowest(stream).socket().close(ec);
  }

  /// Reads one request and answers it according to its path; the connection then closes.
  template <class Stream>
  asio::awaitable<void> serve(Stream& stream, asio::steady_timer& timer, std::string_view scheme) {
    beast::flat_buffer buffer(8192);
    http::request_parser<http::string_body> parser;
    parser.header_limit(64 << 10);
    parser.body_limit(1 << 20);
    lowest(stream).expires_after(kRequestTimeout);
    auto [ec, n] = co_await http::async_read(stream, buffer, parser, kUseTuple);
    if (ec) {
      if (ec != http::error::end_of_stream && ec != asio::error::operation_aborted &&
          ec != beast::error::timeout && ec != asio::error::eof && !stopping_) {
        http::response<http::string_body> bad{http::status::bad_request, 11};
        bad.body() = "bad request: " + ec.message() + "\n";
        bool head = false;
        co_await send(stream, std::move(bad), head);
      }
      co_return;
    }
    lowest(stream).expires_never();
    // Decide first, outside any co_await expression: GCC 12 mishandles temporaries inside
    // co_await operands (double destruction of a ternary's std::string).
    Action action = route(parser.get(), scheme);
    switch (action.kind) {
      case Action::respond:
        co_await send(stream, std::move(action.response), action.head);
        break;
      case Action::slow: {
        timer.expires_after(action.delay);
        auto [tec] = co_await timer.async_wait(kUseTuple);
        if (!tec && !stopping_) co_await send(stream, std::move(action.response), action.head);
        break;
      }
      case Action::hang:
        co_await drain(stream);
        break;
      case Action::drip:
        co_await drip(stream, timer);
        break;
      case Action::endless:
        co_await endless(stream, action.with_length);
        break;
      case Action::raw:
        if (co_await write_raw(stream, action.bytes) && !action.abrupt) co_await finish(stream);
        break;
      case Action::close:
        break;  // no response at all: the client sees the connection closed
    }
  }

  /// What to do with a request, decided synchronously from its target.
  struct Action {
    enum Kind { respond, slow, hang, drip, endless, raw, close } kind = respond;
    http::response<http::string_body> response;
    bool head = false;
    std::chrono::milliseconds delay{0};
    bool with_length = false;
    std::string_view bytes;  // for raw: points at a static buffer
    bool abrupt = false;     // for raw: close without TLS close_notify
  };

  /// Whether the switchable site NAME is switched down (on the strand).
  bool switched_down(std::string_view name) const {
    if (down_names_.count(std::string(name))) return true;
    for (const auto& p : down_prefixes_)
      if (name.starts_with(p)) return true;
    return false;
  }

  /// POST /switch?down=NAME|PREFIX*  or  ?up=NAME|PREFIX*  (or ?up=* : everything up).
  std::string switch_sites(std::string_view target) {
    auto set = [&](std::string v, bool down) {
      if (v.empty()) return;
      const bool prefix = v.back() == '*';
      if (prefix) v.pop_back();
      auto& names = prefix ? down_prefixes_ : down_names_;
      if (!down) {
        if (prefix && v.empty()) {  // "*": everything up
          down_names_.clear();
          down_prefixes_.clear();
        } else if (prefix) {
          down_prefixes_.erase(v);
          std::erase_if(down_names_, [&](const std::string& n) { return n.starts_with(v); });
        } else {
          down_names_.erase(v);
        }
      } else if (names.size() < kMaxSwitched) {
        names.insert(v);
      }
    };
    set(query_param(target, "down"), true);
    set(query_param(target, "up"), false);
    return std::to_string(down_names_.size()) + " name(s) and " + std::to_string(down_prefixes_.size()) +
           " prefix(es) down\n";
  }

  Action route(const http::request<http::string_body>& req, std::string_view scheme) {
    std::string_view target = req.target();
    std::string_view path = target.substr(0, target.find('?'));
    Action a;
    a.head = req.method() == http::verb::head;
    auto reply = [&](unsigned status, std::string body,
                     std::string_view type = "text/html; charset=utf-8") {
      a.response.version(11);
      a.response.result(status);
      a.response.set(http::field::content_type, type);
      a.response.body() = std::move(body);
    };
    auto redirect = [&](std::string location) {
      if (!query_param(target, "absolute").empty())
        location = std::string(scheme) + "://" + std::string(req[http::field::host]) + location;
      reply(302, "redirecting to " + location + "\n", "text/plain");
      a.response.set(http::field::location, location);
    };

    if (path == "/" || path == "/ok") {
      reply(200, healthy_page());
    } else if (path.starts_with("/switch/")) {
      if (switched_down(path.substr(8)))
        reply(503, page("Service Unavailable", "this site is switched down"));
      else
        reply(200, healthy_page());
    } else if (path == "/switch") {
      if (req.method() != http::verb::post)
        reply(405, "POST /switch?down=NAME or ?up=NAME (NAME* for a prefix)\n", "text/plain");
      else
        reply(200, switch_sites(target), "text/plain");
    } else if (path.starts_with("/status/")) {
      int code = to_int(path.substr(8), 0);
      if (code < 200 || code > 599)
        reply(400, page("Bad status", "use /status/200..599"));
      else
        reply(static_cast<unsigned>(code), page("Status " + std::to_string(code), "as requested"));
    } else if (path == "/slow") {
      a.kind = Action::slow;
      a.delay = std::chrono::milliseconds(std::min(to_int(query_param(target, "ms"), 1000), kMaxSlowMs));
      reply(200, healthy_page());
    } else if (path == "/hang") {
      a.kind = Action::hang;
    } else if (path == "/drip") {
      a.kind = Action::drip;
    } else if (path == "/endless") {
      a.kind = Action::endless;
      a.with_length = query_param(target, "mode") == "length";
    } else if (path == "/bigheader") {
      a.kind = Action::raw;
      a.bytes = big_header_response();
    } else if (path == "/garbage") {
      a.kind = Action::raw;
      a.bytes = garbage();
    } else if (path.starts_with("/redirect/")) {
      int left = to_int(path.substr(10), -1);
      if (left < 0 || left > kMaxRedirects)
        reply(400, page("Bad redirect", "use /redirect/N"));
      else if (left == 0)
        reply(200, healthy_page());
      else
        redirect(left == 1 ? "/ok" : "/redirect/" + std::to_string(left - 1));
    } else if (path == "/loop/a") {
      redirect("/loop/b");
    } else if (path == "/loop/b") {
      redirect("/loop/a");
    } else if (path.starts_with("/wp-directory/")) {
      auto [status, body] = wp_directory(path, target);
      reply(status, std::move(body), "application/json; charset=utf-8");
    } else if (path == "/nokeyword") {
      reply(200, page("Maintenance", "Nothing to see here."));
    } else if (path == "/echo") {
      std::string text = "method: " + std::string(req.method_string()) + "\n";
      text += "target: " + std::string(target) + "\n";
      for (const auto& field : req)
        text += std::string(field.name_string()) + ": " + std::string(field.value()) + "\n";
      reply(200, std::move(text), "text/plain; charset=utf-8");
    } else if (path == "/close") {
      a.kind = Action::close;
    } else if (path == "/early-hints") {
      a.kind = Action::raw;
      a.bytes = early_hints_response();
    } else if (path == "/eof-body") {
      a.kind = Action::raw;
      a.bytes = eof_body_response();
      a.abrupt = true;
    } else if (path == "/redirect-to") {
      // Location exactly as given (decoded), raw spaces and dot segments included
      reply(302, "redirecting\n", "text/plain");
      a.response.set(http::field::location, query_param(target, "location"));
    } else {
      reply(404, page("Not found", "no such page on the estate"));
    }
    return a;
  }

  template <class Stream>
  asio::awaitable<void> send(Stream& stream, http::response<http::string_body> res, bool head) {
    res.set(http::field::server, "lookout-estate");
    res.keep_alive(false);
    lowest(stream).expires_after(kWriteTimeout);
    if (head) {
      http::response<http::empty_body> h{res.result(), 11};
      for (const auto& f : res) h.set(f.name_string(), f.value());
      h.content_length(res.body().size());
      co_await http::async_write(stream, h, kUseTuple);
    } else {
      res.prepare_payload();
      co_await http::async_write(stream, res, kUseTuple);
    }
    co_await finish(stream);
  }

  template <class Stream>
  asio::awaitable<bool> write_raw(Stream& stream, std::string_view bytes) {
    lowest(stream).expires_after(kWriteTimeout);
    auto [ec, n] = co_await asio::async_write(stream, asio::buffer(bytes), kUseTuple);
    co_return !ec;
  }

  /// Closes our side: TLS close_notify when encrypted, then a TCP shutdown.
  asio::awaitable<void> finish(beast::tcp_stream& stream) {
    beast::error_code ec;
    stream.socket().shutdown(tcp::socket::shutdown_send, ec);
    co_return;
  }
  asio::awaitable<void> finish(ssl::stream<beast::tcp_stream>& stream) {
    lowest(stream).expires_after(2s);
    co_await stream.async_shutdown(kUseTuple);
    beast::error_code ec;
    lowest(stream).socket().shutdown(tcp::socket::shutdown_send, ec);
  }

  /// Reads and discards until the client goes away (the /hang behaviour).
  template <class Stream>
  asio::awaitable<void> drain(Stream& stream) {
    char sink[512];
    for (;;) {
      auto [ec, n] = co_await stream.async_read_some(asio::buffer(sink), kUseTuple);
      if (ec || stopping_) co_return;
    }
  }

  /// Headers, then one body byte every 500 ms until the client leaves.
  template <class Stream>
  asio::awaitable<void> drip(Stream& stream, asio::steady_timer& timer) {
    static constexpr std::string_view kHead =
        "HTTP/1.1 200 OK\r\nContent-Type: text/plain\r\nContent-Length: 1000000000000\r\n"
        "Connection: close\r\n\r\n";
    if (!co_await write_raw(stream, kHead)) co_return;
    while (!stopping_) {
      timer.expires_after(500ms);
      auto [ec] = co_await timer.async_wait(kUseTuple);
      if (ec || stopping_) co_return;
      if (!co_await write_raw(stream, ".")) co_return;
    }
  }

  /// 200 with a body that never ends, written as fast as the client reads: chunked, or with
  /// a 1 TB Content-Length (mode=length).
  template <class Stream>
  asio::awaitable<void> endless(Stream& stream, bool with_length) {
    std::string_view head =
        with_length ? "HTTP/1.1 200 OK\r\nContent-Type: text/plain\r\n"
                      "Content-Length: 1000000000000\r\nConnection: close\r\n\r\n"
                    : "HTTP/1.1 200 OK\r\nContent-Type: text/plain\r\n"
                      "Transfer-Encoding: chunked\r\nConnection: close\r\n\r\n";
    if (!co_await write_raw(stream, head)) co_return;
    const std::string& block = with_length ? endless_block() : endless_chunk();
    while (!stopping_)
      if (!co_await write_raw(stream, block)) co_return;
  }

  asio::strand<asio::io_context::executor_type> strand_;
  tcp::acceptor http_, https_, blackhole_;
  std::shared_ptr<ssl::context> tls_;
  std::unordered_map<uint64_t, std::function<void()>> closers_;
  uint64_t next_id_ = 0;
  std::deque<tcp::socket> held_;
  bool stopping_ = false;
  static constexpr size_t kMaxSwitched = 100000;
  std::set<std::string> down_names_, down_prefixes_;  // switchable sites switched down
};

}  // namespace

void start_http_sites(Estate& estate) {
  // A leaf for localhost / 127.0.0.1 (and the bind address) from the estate intermediate CA;
  // the server sends leaf + intermediate, clients trust work_dir/ca.pem.
  CertFactory& certs = estate.certs();
  CertSpec spec = loopback_leaf_spec(estate.options().address);
  Certificate leaf = certs.issue(spec, Signer::intermediate);
  certs.write(leaf, "https-localhost");
  estate.add_endpoint("ca_file", certs.ca_file());

  auto tls = std::make_shared<ssl::context>(ssl::context::tls_server);
  tls->set_options(ssl::context::default_workarounds | ssl::context::no_sslv2 |
                   ssl::context::no_sslv3 | ssl::context::single_dh_use);
  configure_server_context(*tls, leaf);

  auto sites = std::make_shared<HttpSites>(estate, std::move(tls));
  sites->start(estate);
  estate.keep(sites);
  estate.close_on_stop(sites->strand(), [sites] { sites->close_all(); });
}

}  // namespace lookout::estate
