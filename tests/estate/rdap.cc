// The estate's RDAP responder: a registry answering RFC 9083 domain queries at
// <base>/domain/<name> over HTTP (endpoint "rdap") and HTTPS with the estate CA ("rdap_https"),
// plus an RFC 9224 bootstrap file mapping the .test TLD to it ("rdap_bootstrap").
//
// Domains (dates are relative to the moment of the query, 12 h past a whole day so the whole
// number of days left is stable while a test runs):
//   valid.test      expires in 400 days                  -> ok
//   expiring.test   expires in 10 days                   -> warning with the default thresholds
//   critical.test   expires in 5 days                    -> critical
//   expired.test    expired 3 days ago, in redemption    -> critical
//   hold.test       expires in 200 days, "server hold"   -> critical (not in the DNS)
//   eppstatus.test  the same with the EPP spelling "clientHold"
//   noexpiry.test   no expiration event                  -> unknown
//   moved.test      302 to valid.test (as rdap.org redirects to the registry)
//   garbage.test    200 with an HTML page instead of JSON
//   huge.test       200 with a 100 MB body, sent as fast as the client reads
//   slow.test       answers after 20 s
//   anything else   404 with an RDAP error object
//
// Every coroutine runs on one strand; stop() closes the acceptors and open connections there.
#include <chrono>
#include <cstdint>
#include <fstream>
#include <functional>
#include <future>
#include <memory>
#include <string>
#include <string_view>
#include <unordered_map>

#include <boost/asio/as_tuple.hpp>
#include <boost/asio/co_spawn.hpp>
#include <boost/asio/ip/tcp.hpp>
#include <boost/asio/post.hpp>
#include <boost/asio/ssl.hpp>
#include <boost/asio/steady_timer.hpp>
#include <boost/asio/strand.hpp>
#include <boost/asio/use_awaitable.hpp>
#include <boost/asio/write.hpp>
#include <boost/beast/core.hpp>
#include <boost/beast/http.hpp>
#include <nlohmann/json.hpp>

#include "tests/estate/cert_factory.h"
#include "tests/estate/estate.h"

namespace lookout::estate {
namespace {

namespace asio = boost::asio;
namespace beast = boost::beast;
namespace http = beast::http;
namespace ssl = asio::ssl;
using tcp = asio::ip::tcp;
using nlohmann::json;
using namespace std::chrono_literals;

constexpr auto kTuple = asio::as_tuple(asio::use_awaitable);
constexpr std::string_view kBasePath = "/rdap/";
constexpr size_t kMaxConnections = 1024;
constexpr uint64_t kHugeBytes = 100ull << 20;
constexpr auto kSlowDelay = 20s;

std::string rfc3339(std::chrono::system_clock::time_point t) {
  auto secs = std::chrono::floor<std::chrono::seconds>(t);
  auto day = std::chrono::floor<std::chrono::days>(secs);
  std::chrono::year_month_day ymd{day};
  std::chrono::hh_mm_ss hms{secs - day};
  char buf[32];
  std::snprintf(buf, sizeof buf, "%04d-%02u-%02uT%02d:%02d:%02dZ", static_cast<int>(ymd.year()),
                static_cast<unsigned>(ymd.month()), static_cast<unsigned>(ymd.day()),
                static_cast<int>(hms.hours().count()), static_cast<int>(hms.minutes().count()),
                static_cast<int>(hms.seconds().count()));
  return buf;
}

/// A domain object shaped like a gTLD registry's (RFC 9083 section 5.3 + ICANN profile).
json domain_object(const std::string& name, std::optional<std::chrono::hours> expires_in,
                   std::vector<std::string> status, const std::string& base_url) {
  auto now = std::chrono::system_clock::now();
  json events = json::array({
      {{"eventAction", "registration"}, {"eventDate", rfc3339(now - std::chrono::days(3000))}},
      {{"eventAction", "last changed"}, {"eventDate", rfc3339(now - std::chrono::days(30))}},
      {{"eventAction", "last update of RDAP database"}, {"eventDate", rfc3339(now)}},
  });
  if (expires_in)
    events.push_back({{"eventAction", "expiration"}, {"eventDate", rfc3339(now + *expires_in)}});
  json registrar = {
      {"objectClassName", "entity"},
      {"handle", "9999"},
      {"roles", {"registrar"}},
      {"publicIds", {{{"type", "IANA Registrar ID"}, {"identifier", "9999"}}}},
      {"vcardArray",
       {"vcard", {{"version", json::object(), "text", "4.0"},
                  {"fn", json::object(), "text", "Estate Registrar, Inc."}}}},
      {"entities",
       {{{"objectClassName", "entity"},
         {"roles", {"abuse"}},
         {"vcardArray",
          {"vcard", {{"version", json::object(), "text", "4.0"},
                     {"fn", json::object(), "text", "Abuse Desk"},
                     {"email", json::object(), "text", "abuse@registrar.test"}}}}}}},
  };
  return {
      {"objectClassName", "domain"},
      {"handle", "D" + std::to_string(name.size()) + "-TEST"},
      {"ldhName", name},
      {"links",
       {{{"value", base_url + "domain/" + name},
         {"rel", "self"},
         {"href", base_url + "domain/" + name},
         {"type", "application/rdap+json"}}}},
      {"status", std::move(status)},
      {"entities", {registrar}},
      {"events", std::move(events)},
      {"secureDNS", {{"delegationSigned", false}}},
      {"nameservers",
       {{{"objectClassName", "nameserver"}, {"ldhName", "ns1.registrar.test"}},
        {{"objectClassName", "nameserver"}, {"ldhName", "ns2.registrar.test"}}}},
      {"rdapConformance", {"rdap_level_0", "icann_rdap_response_profile_0"}},
      {"notices",
       {{{"title", "Terms of Use"}, {"description", {"A fake registry for tests."}}}}},
  };
}

json not_found(const std::string& name) {
  return {{"errorCode", 404},
          {"title", "Not Found"},
          {"description", {"The domain " + name + " is not registered here."}},
          {"rdapConformance", {"rdap_level_0"}}};
}

/// What to answer; decided before any co_await (GCC 12 and temporaries in co_await operands).
struct Reply {
  enum Kind { respond, slow, huge } kind = respond;
  http::response<http::string_body> response{http::status::ok, 11};
};

Reply route(std::string_view target, const std::string& base_url) {
  Reply r;
  auto json_reply = [&](unsigned status, const json& body) {
    r.response.result(status);
    r.response.set(http::field::content_type, "application/rdap+json");
    r.response.body() = body.dump(2);
  };
  std::string_view path = target.substr(0, target.find('?'));
  std::string prefix = std::string(kBasePath) + "domain/";
  if (!path.starts_with(prefix)) {
    json_reply(400, {{"errorCode", 400}, {"title", "Bad Request"},
                     {"description", {"only domain queries are served"}}});
    return r;
  }
  std::string name(path.substr(prefix.size()));
  for (auto& c : name) c = static_cast<char>(std::tolower(static_cast<unsigned char>(c)));
  using std::chrono::hours;
  const std::vector<std::string> normal = {"client transfer prohibited",
                                           "client update prohibited"};
  if (name == "valid.test") {
    json_reply(200, domain_object(name, hours(24 * 400 + 12), normal, base_url));
  } else if (name == "expiring.test") {
    json_reply(200, domain_object(name, hours(24 * 10 + 12), normal, base_url));
  } else if (name == "critical.test") {
    json_reply(200, domain_object(name, hours(24 * 5 + 12), normal, base_url));
  } else if (name == "expired.test") {
    json_reply(200, domain_object(name, -hours(24 * 3 - 12), {"redemption period"}, base_url));
  } else if (name == "hold.test") {
    json_reply(200, domain_object(name, hours(24 * 200 + 12), {"server hold"}, base_url));
  } else if (name == "eppstatus.test") {
    json_reply(200, domain_object(name, hours(24 * 200 + 12), {"clientHold"}, base_url));
  } else if (name == "noexpiry.test") {
    json_reply(200, domain_object(name, std::nullopt, {"active"}, base_url));
  } else if (name == "moved.test") {
    r.response.result(302);
    r.response.set(http::field::location, std::string(kBasePath) + "domain/valid.test");
    r.response.set(http::field::content_type, "text/plain");
    r.response.body() = "see valid.test\n";
  } else if (name == "garbage.test") {
    r.response.set(http::field::content_type, "text/html");
    r.response.body() = "<html><body><h1>Service temporarily unavailable</h1></body></html>\n";
  } else if (name == "huge.test") {
    r.kind = Reply::huge;
  } else if (name == "slow.test") {
    r.kind = Reply::slow;
    json_reply(200, domain_object(name, hours(24 * 400 + 12), normal, base_url));
  } else {
    json_reply(404, not_found(name));
  }
  return r;
}

class RdapServer : public std::enable_shared_from_this<RdapServer> {
 public:
  RdapServer(Estate& estate, std::shared_ptr<ssl::context> tls)
      : strand_(asio::make_strand(estate.io())), http_(strand_), https_(strand_),
        tls_(std::move(tls)) {}

  void start(Estate& estate) {
    auto address = asio::ip::make_address(estate.options().address);
    open(http_, tcp::endpoint(address, estate.port(120)));
    open(https_, tcp::endpoint(address, estate.port(121)));
    http_base_ = "http://" + estate.host_port(http_.local_endpoint().port()) +
                 std::string(kBasePath);
    https_base_ = "https://" + estate.host_port(https_.local_endpoint().port()) +
                  std::string(kBasePath);
    estate.add_endpoint("rdap", http_base_);
    estate.add_endpoint("rdap_https", https_base_);

    // RFC 9224 bootstrap file: .test (and .example) served here, .invalid by nobody reachable.
    json bootstrap = {
        {"version", "1.0"},
        {"publication", "2026-01-01T00:00:00Z"},
        {"description", "RDAP bootstrap file for the Lookout estate"},
        {"services",
         {{{"test", "example"}, {http_base_}},
          {{"invalid"}, {"https://rdap.invalid/"}}}},
    };
    std::string file = estate.work_dir() + "/rdap-bootstrap.json";
    std::ofstream(file) << bootstrap.dump(2) << "\n";
    estate.add_endpoint("rdap_bootstrap", file);

    spawn(accept_loop(http_, false));
    spawn(accept_loop(https_, true));
  }

  void close_all() {
    stopping_ = true;
    beast::error_code ec;
    http_.close(ec);
    https_.close(ec);
    auto open = std::move(open_);
    open_.clear();
    for (auto& [id, close] : open) close();
  }

  asio::strand<asio::io_context::executor_type>& strand() { return strand_; }

 private:
  static void open(tcp::acceptor& acc, const tcp::endpoint& ep) {
    acc.open(ep.protocol());
    acc.set_option(asio::socket_base::reuse_address(true));
    acc.bind(ep);
    acc.listen();
  }

  void spawn(asio::awaitable<void> task) {
    asio::co_spawn(strand_, std::move(task), [](std::exception_ptr) {});
  }

  asio::awaitable<void> accept_loop(tcp::acceptor& acc, bool tls) {
    auto self = shared_from_this();
    while (!stopping_) {
      auto [ec, sock] = co_await acc.async_accept(kTuple);
      if (stopping_ || !acc.is_open()) co_return;
      if (ec) {
        asio::steady_timer pause(strand_, 50ms);  // e.g. EMFILE: do not spin
        co_await pause.async_wait(kTuple);
        continue;
      }
      if (open_.size() >= kMaxConnections) continue;  // sock closes here
      spawn(connection(std::move(sock), tls));
    }
  }

  asio::awaitable<void> connection(tcp::socket sock, bool tls) {
    auto self = shared_from_this();
    asio::steady_timer timer(strand_);
    uint64_t id = ++next_id_;
    if (!tls) {
      beast::tcp_stream stream(std::move(sock));
      open_[id] = [&] { shut(stream.socket(), timer); };
      co_await serve(stream, timer, http_base_);
    } else {
      ssl::stream<beast::tcp_stream> stream(beast::tcp_stream(std::move(sock)), *tls_);
      open_[id] = [&] { shut(beast::get_lowest_layer(stream).socket(), timer); };
      beast::get_lowest_layer(stream).expires_after(10s);
      auto [ec] = co_await stream.async_handshake(ssl::stream_base::server, kTuple);
      if (!ec) co_await serve(stream, timer, https_base_);
    }
    open_.erase(id);
  }

  static void shut(tcp::socket& s, asio::steady_timer& timer) {
    beast::error_code ec;
    timer.cancel();
    s.shutdown(tcp::socket::shutdown_both, ec);
    s.close(ec);
  }

  template <class Stream>
  asio::awaitable<void> serve(Stream& stream, asio::steady_timer& timer, std::string base) {
    auto& tcp_layer = beast::get_lowest_layer(stream);
    beast::flat_buffer buffer;
    http::request_parser<http::empty_body> parser;
    parser.header_limit(16 << 10);
    tcp_layer.expires_after(10s);
    auto [ec, n] = co_await http::async_read(stream, buffer, parser, kTuple);
    if (ec) co_return;
    Reply reply = route(parser.get().target(), base);
    reply.response.set(http::field::server, "lookout-estate-rdap");
    reply.response.keep_alive(false);
    if (reply.kind == Reply::slow) {
      timer.expires_after(kSlowDelay);
      auto [tec] = co_await timer.async_wait(kTuple);
      if (tec || stopping_) co_return;
    }
    tcp_layer.expires_after(60s);
    if (reply.kind == Reply::huge) {
      co_await huge(stream);
      co_return;
    }
    reply.response.prepare_payload();
    co_await http::async_write(stream, reply.response, kTuple);
    beast::error_code sec;
    tcp_layer.socket().shutdown(tcp::socket::shutdown_send, sec);
  }

  /// A 100 MB "JSON" body (an object with one enormous string) written while the client reads.
  template <class Stream>
  asio::awaitable<void> huge(Stream& stream) {
    static const std::string block(64 << 10, 'a');
    std::string head = "HTTP/1.1 200 OK\r\nContent-Type: application/rdap+json\r\n"
                       "Content-Length: " + std::to_string(kHugeBytes) +
                       "\r\nConnection: close\r\n\r\n{\"ldhName\":\"";
    auto [hec, hn] = co_await asio::async_write(stream, asio::buffer(head), kTuple);
    if (hec) co_return;
    uint64_t left = kHugeBytes - 12;  // 12 = the bytes of {"ldhName":"
    while (left > 0 && !stopping_) {
      size_t n = static_cast<size_t>(std::min<uint64_t>(left, block.size()));
      auto [ec, wn] = co_await asio::async_write(stream, asio::buffer(block.data(), n), kTuple);
      if (ec) co_return;
      left -= n;
    }
  }

  asio::strand<asio::io_context::executor_type> strand_;
  tcp::acceptor http_, https_;
  std::shared_ptr<ssl::context> tls_;
  std::string http_base_, https_base_;
  std::unordered_map<uint64_t, std::function<void()>> open_;
  uint64_t next_id_ = 0;
  bool stopping_ = false;
};

}  // namespace

void start_rdap(Estate& estate) {
  CertFactory& certs = estate.certs();
  CertSpec spec = leaf_spec("localhost");
  spec.ip_addresses = {"127.0.0.1", "::1"};
  if (estate.options().address != "127.0.0.1" && estate.options().address != "::1")
    spec.ip_addresses.push_back(estate.options().address);
  Certificate leaf = certs.issue(spec, Signer::intermediate);
  auto tls = std::make_shared<ssl::context>(ssl::context::tls_server);
  configure_server_context(*tls, leaf);

  auto server = std::make_shared<RdapServer>(estate, std::move(tls));
  server->start(estate);
  estate.keep(server);
  estate.close_on_stop(server->strand(), [server] { server->close_all(); });
}

}  // namespace lookout::estate
