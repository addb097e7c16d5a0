// The estate's HTTP(S) sites seen from a raw client: each path behaves as documented in
// tests/estate/README.md, HTTPS verifies against the estate CA, and stop() closes hostile
// connections instead of leaving clients hanging.
#include <chrono>
#include <optional>
#include <string>

#include <boost/asio/as_tuple.hpp>
#include <boost/asio/co_spawn.hpp>
#include <boost/asio/connect.hpp>
#include <boost/asio/detached.hpp>
#include <boost/asio/io_context.hpp>
#include <boost/asio/ip/tcp.hpp>
#include <boost/asio/read.hpp>
#include <boost/asio/ssl.hpp>
#include <boost/asio/use_awaitable.hpp>
#include <boost/asio/write.hpp>
#include <gtest/gtest.h>

#include "tests/estate/estate.h"

namespace lookout::estate {
namespace {

namespace asio = boost::asio;
using tcp = asio::ip::tcp;
using namespace std::chrono_literals;
constexpr auto kUseTuple = asio::as_tuple(asio::use_awaitable);

struct Exchange {
  std::string data;
  boost::system::error_code ec;  // how reading ended (eof = server closed)
  bool finished = false;         // false: still open when the wait ended
  bool handshake_ok = true;
};

struct HostPort {
  std::string host;
  uint16_t port;
};

HostPort split(std::string endpoint) {
  if (auto p = endpoint.find("://"); p != std::string::npos) endpoint = endpoint.substr(p + 3);
  auto colon = endpoint.rfind(':');
  return {endpoint.substr(0, colon), static_cast<uint16_t>(std::stoi(endpoint.substr(colon + 1)))};
}

/// Sends `request` and reads until the server closes, `max_bytes` arrived, or `wait` passed.
/// With `tls`, verifies the server against `ca_file` (or nothing: default store) for `sni`.
template <class Stream>
asio::awaitable<void> talk(Stream& stream, std::string request, size_t max_bytes, Exchange& out) {
  if (!request.empty()) {
    auto [ec, n] = co_await asio::async_write(stream, asio::buffer(request), kUseTuple);
    if (ec) {
      out.ec = ec;
      out.finished = true;
      co_return;
    }
  }
  char buf[65536];
  while (out.data.size() < max_bytes) {
    auto [ec, n] = co_await stream.async_read_some(asio::buffer(buf), kUseTuple);
    out.data.append(buf, n);
    if (ec) {
      out.ec = ec;
      out.finished = true;
      co_return;
    }
  }
  out.finished = true;
}

Exchange exchange(const std::string& endpoint, const std::string& request,
                  std::chrono::milliseconds wait, size_t max_bytes = 8 << 20,
                  std::optional<std::string> ca_file = std::nullopt, std::string sni = "") {
  asio::io_context io;
  Exchange out;
  HostPort hp = split(endpoint);
  tcp::socket socket(io);
  boost::system::error_code ec;
  socket.connect(tcp::endpoint(asio::ip::make_address(hp.host), hp.port), ec);
  if (ec) {
    out.ec = ec;
    out.finished = true;
    return out;
  }
  asio::ssl::context ctx(asio::ssl::context::tls_client);
  std::optional<asio::ssl::stream<tcp::socket&>> tls;
  if (ca_file) {
    if (!ca_file->empty()) ctx.load_verify_file(*ca_file);
    ctx.set_verify_mode(asio::ssl::verify_peer);
    tls.emplace(socket, ctx);
    std::string name = sni.empty() ? hp.host : sni;
    tls->set_verify_callback(asio::ssl::host_name_verification(name));
    if (sni != "") SSL_set_tlsext_host_name(tls->native_handle(), sni.c_str());
  }
  asio::co_spawn(
      io,
      [&]() -> asio::awaitable<void> {
        if (tls) {
          auto [hec] = co_await tls->async_handshake(asio::ssl::stream_base::client, kUseTuple);
          if (hec) {
            out.handshake_ok = false;
            out.ec = hec;
            out.finished = true;
            co_return;
          }
          co_await talk(*tls, request, max_bytes, out);
        } else {
          co_await talk(socket, request, max_bytes, out);
        }
      },
      asio::detached);
  io.run_for(wait);
  return out;
}

std::string get(const std::string& path, const std::string& extra = "") {
  return "GET " + path + " HTTP/1.1\r\nHost: localhost\r\n" + extra + "\r\n";
}

class EstateHttpTest : public ::testing::Test {
 protected:
  static void SetUpTestSuite() {
    estate_ = new Estate(EstateOptions{});
    estate_->start();
  }
  static void TearDownTestSuite() {
    delete estate_;
    estate_ = nullptr;
  }
  static std::string http() { return estate_->endpoint("http"); }
  static Estate* estate_;
};
Estate* EstateHttpTest::estate_ = nullptr;

TEST_F(EstateHttpTest, HealthyPagesCarryTheKeyword) {
  for (const char* path : {"/", "/ok"}) {
    Exchange e = exchange(http(), get(path), 5s);
    ASSERT_TRUE(e.finished) << path;
    EXPECT_TRUE(e.data.starts_with("HTTP/1.1 200 OK\r\n")) << e.data;
    EXPECT_NE(e.data.find("Welcome to the estate"), std::string::npos);
    EXPECT_NE(e.data.find("Connection: close"), std::string::npos);
  }
  Exchange none = exchange(http(), get("/nokeyword"), 5s);
  EXPECT_TRUE(none.data.starts_with("HTTP/1.1 200 OK\r\n"));
  EXPECT_EQ(none.data.find("Welcome"), std::string::npos);
}

TEST_F(EstateHttpTest, StatusCodesAsAsked) {
  for (int code : {404, 500, 503, 299}) {
    Exchange e = exchange(http(), get("/status/" + std::to_string(code)), 5s);
    EXPECT_TRUE(e.data.starts_with("HTTP/1.1 " + std::to_string(code) + " ")) << e.data;
  }
  EXPECT_TRUE(exchange(http(), get("/status/abc"), 5s).data.starts_with("HTTP/1.1 400 "));
  EXPECT_TRUE(exchange(http(), get("/no/such/page"), 5s).data.starts_with("HTTP/1.1 404 "));
}

TEST_F(EstateHttpTest, SwitchableSitesGoDownAndUpByNameAndPrefix) {
  auto status_of = [&](const std::string& name) {
    Exchange e = exchange(http(), get("/switch/" + name), 5s);
    return e.data.substr(0, 12);
  };
  auto post = [&](const std::string& query) {
    return exchange(http(), "POST /switch?" + query + " HTTP/1.1\r\nHost: x\r\nContent-Length: 0\r\n\r\n", 5s).data;
  };
  EXPECT_EQ(status_of("shop-1"), "HTTP/1.1 200");
  EXPECT_NE(exchange(http(), get("/switch/shop-1"), 5s).data.find("Welcome to the estate"), std::string::npos);
  EXPECT_TRUE(post("down=shop-1").starts_with("HTTP/1.1 200 "));
  EXPECT_EQ(status_of("shop-1"), "HTTP/1.1 503");
  EXPECT_EQ(status_of("shop-10"), "HTTP/1.1 200");  // a name, not a prefix
  EXPECT_TRUE(post("down=blog-*").starts_with("HTTP/1.1 200 "));
  EXPECT_EQ(status_of("blog-a"), "HTTP/1.1 503");
  EXPECT_EQ(status_of("blog-b/x"), "HTTP/1.1 503");
  EXPECT_EQ(status_of("blo"), "HTTP/1.1 200");
  EXPECT_TRUE(post("up=blog-*").starts_with("HTTP/1.1 200 "));
  EXPECT_EQ(status_of("blog-a"), "HTTP/1.1 200");
  EXPECT_EQ(status_of("shop-1"), "HTTP/1.1 503");
  EXPECT_TRUE(post("up=*").starts_with("HTTP/1.1 200 "));
  EXPECT_EQ(status_of("shop-1"), "HTTP/1.1 200");
  EXPECT_TRUE(exchange(http(), get("/switch?down=x"), 5s).data.starts_with("HTTP/1.1 405 "));
  EXPECT_EQ(status_of("x"), "HTTP/1.1 200");  // a GET switches nothing
}

TEST_F(EstateHttpTest, HeadHasNoBody) {
  Exchange e = exchange(http(), "HEAD /ok HTTP/1.1\r\nHost: x\r\n\r\n", 5s);
  ASSERT_TRUE(e.finished);
  EXPECT_TRUE(e.data.starts_with("HTTP/1.1 200 OK\r\n"));
  EXPECT_TRUE(e.data.ends_with("\r\n\r\n")) << e.data;
  EXPECT_EQ(e.data.find("Welcome"), std::string::npos);
}

TEST_F(EstateHttpTest, RedirectChainsAndLoops) {
  Exchange e = exchange(http(), get("/redirect/3"), 5s);
  EXPECT_TRUE(e.data.starts_with("HTTP/1.1 302 "));
  EXPECT_NE(e.data.find("Location: /redirect/2\r\n"), std::string::npos) << e.data;
  EXPECT_NE(exchange(http(), get("/redirect/1"), 5s).data.find("Location: /ok\r\n"),
            std::string::npos);
  EXPECT_NE(exchange(http(), get("/loop/a"), 5s).data.find("Location: /loop/b\r\n"),
            std::string::npos);
  EXPECT_NE(exchange(http(), get("/loop/b"), 5s).data.find("Location: /loop/a\r\n"),
            std::string::npos);
  EXPECT_NE(exchange(http(), get("/redirect/2?absolute=1"), 5s)
                .data.find("Location: http://localhost/redirect/1\r\n"),
            std::string::npos);
}

TEST_F(EstateHttpTest, EchoReturnsMethodAndHeaders) {
  Exchange e = exchange(http(), "POST /echo HTTP/1.1\r\nHost: x\r\nX-Test: yes\r\n"
                                "Content-Length: 2\r\n\r\nhi", 5s);
  EXPECT_NE(e.data.find("method: POST\n"), std::string::npos) << e.data;
  EXPECT_NE(e.data.find("X-Test: yes\n"), std::string::npos);
}

TEST_F(EstateHttpTest, SlowAnswersAfterTheDelay) {
  auto start = std::chrono::steady_clock::now();
  Exchange e = exchange(http(), get("/slow?ms=300"), 10s);
  EXPECT_TRUE(e.data.starts_with("HTTP/1.1 200 OK\r\n"));
  // The delay is the behaviour under test: it must not answer early.
  EXPECT_GE(std::chrono::steady_clock::now() - start, 300ms);
}

TEST_F(EstateHttpTest, HangAndBlackholeNeverAnswer) {
  Exchange hang = exchange(http(), get("/hang"), 300ms);
  EXPECT_FALSE(hang.finished);
  EXPECT_TRUE(hang.data.empty());
  Exchange hole = exchange(estate_->endpoint("blackhole"), get("/"), 300ms);
  EXPECT_FALSE(hole.finished);
  EXPECT_TRUE(hole.data.empty());
  Exchange closed = exchange(http(), get("/close"), 5s);
  EXPECT_TRUE(closed.finished);
  EXPECT_TRUE(closed.data.empty());
}

TEST_F(EstateHttpTest, DripSendsHeadersThenBytesSlowly) {
  Exchange e = exchange(http(), get("/drip"), 1300ms);
  EXPECT_FALSE(e.finished);
  auto head_end = e.data.find("\r\n\r\n");
  ASSERT_NE(head_end, std::string::npos) << e.data;
  EXPECT_TRUE(e.data.starts_with("HTTP/1.1 200 OK\r\n"));
  size_t body = e.data.size() - head_end - 4;
  EXPECT_GE(body, 1u);
  EXPECT_LE(body, 3u);
}

TEST_F(EstateHttpTest, EndlessBodyKeepsComing) {
  Exchange e = exchange(http(), get("/endless"), 10s, 4 << 20);
  EXPECT_TRUE(e.finished);
  EXPECT_FALSE(e.ec) << e.ec.message();  // stopped by us at 4 MiB, not by the server
  EXPECT_GE(e.data.size(), 4u << 20);
  EXPECT_NE(e.data.find("Transfer-Encoding: chunked"), std::string::npos);
  Exchange l = exchange(http(), get("/endless?mode=length"), 10s, 4 << 20);
  EXPECT_GE(l.data.size(), 4u << 20);
  EXPECT_NE(l.data.find("Content-Length: 1000000000000"), std::string::npos);
}

TEST_F(EstateHttpTest, BigHeaderAndGarbage) {
  Exchange big = exchange(http(), get("/bigheader"), 10s);
  EXPECT_TRUE(big.data.starts_with("HTTP/1.1 200 OK\r\n"));
  auto line = big.data.find("X-Big: ");
  ASSERT_NE(line, std::string::npos);
  EXPECT_GE(big.data.find("\r\n", line) - line, 1u << 20);
  Exchange junk = exchange(http(), get("/garbage"), 5s);
  EXPECT_TRUE(junk.finished);
  EXPECT_EQ(junk.data.size(), 4096u);
  EXPECT_FALSE(junk.data.starts_with("HTTP/"));
}

TEST_F(EstateHttpTest, HttpsVerifiesWithTheEstateCaOnly) {
  std::string https = estate_->endpoint("https");
  std::string ca = estate_->endpoint("ca_file");
  Exchange ok = exchange(https, get("/ok"), 5s, 1 << 20, ca);
  EXPECT_TRUE(ok.handshake_ok) << ok.ec.message();
  EXPECT_NE(ok.data.find("Welcome to the estate"), std::string::npos);
  Exchange by_name = exchange(https, get("/ok"), 5s, 1 << 20, ca, "localhost");
  EXPECT_TRUE(by_name.handshake_ok) << by_name.ec.message();
  Exchange wrong_name = exchange(https, get("/ok"), 5s, 1 << 20, ca, "example.com");
  EXPECT_FALSE(wrong_name.handshake_ok);
  Exchange no_ca = exchange(https, get("/ok"), 5s, 1 << 20, std::string());
  EXPECT_FALSE(no_ca.handshake_ok);
  Exchange redirect = exchange(https, get("/redirect/2?absolute=1"), 5s, 1 << 20, ca);
  EXPECT_NE(redirect.data.find("Location: https://localhost/redirect/1"), std::string::npos);
}

TEST(EstateHttpStopTest, StopClosesHostileConnections) {
  Estate estate(EstateOptions{});
  estate.start();
  std::string http = estate.endpoint("http");
  asio::io_context io;
  HostPort hp = split(http);
  tcp::endpoint ep(asio::ip::make_address(hp.host), hp.port);
  tcp::socket hang(io), drip(io);
  hang.connect(ep);
  drip.connect(ep);
  asio::write(hang, asio::buffer(get("/hang")));
  asio::write(drip, asio::buffer(get("/drip")));
  // Wait until the drip headers arrive so both requests are being served.
  std::string head(17, '\0');
  asio::read(drip, asio::buffer(head));
  EXPECT_EQ(head, "HTTP/1.1 200 OK\r\n");
  estate.stop();
  int ended = 0;
  auto wait_end = [&](tcp::socket& s) -> asio::awaitable<void> {
    char buf[4096];
    for (;;) {
      auto [ec, n] = co_await s.async_read_some(asio::buffer(buf), kUseTuple);
      if (ec) break;
    }
    ++ended;
  };
  asio::co_spawn(io, wait_end(hang), asio::detached);
  asio::co_spawn(io, wait_end(drip), asio::detached);
  io.run_for(5s);
  EXPECT_EQ(ended, 2);
}

}  // namespace
}  // namespace lookout::estate
