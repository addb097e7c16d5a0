// The estate's TLS fault endpoints: one port per certificate or protocol fault, each with a
// certificate made at start by the estate's CertFactory (so work_dir/ca.pem, endpoint
// "ca_file", verifies those meant to verify), plus hostile peers (garbage, stall) and a tiny
// SMTP server with STARTTLS.
//
//   endpoint                   what a TLS probe (trusting ca_file) should find
//   tls_valid                  ok, 80 days left of 90
//   tls_expiring_20d           warning "expiring" (20 of 90 days left: below a quarter)
//   tls_expiring_5d            critical "expiring"
//   tls_expired                critical "expired" (10 days ago)
//   tls_not_yet_valid          critical "not_yet_valid" (from 10 days ahead)
//   tls_wrong_host             critical "hostname_mismatch" (only wrong.example)
//   tls_self_signed            critical "self_signed"
//   tls_missing_intermediate   critical "chain_incomplete" (leaf sent without intermediate)
//   tls_rsa1024                critical "weak_key"
//   tls_sha1                   critical "weak_signature"
//   tls_legacy_tls10           ok, or critical "legacy_protocol" with legacy_protocols: true
//   tls_intermediate_expiring  warning "expiring": the intermediate has 10 days left
//   tls_legacy_only            speaks TLS 1.0 only: critical "legacy_protocol"
//   tls_ocsp_stapled           ok, staples a "good" OCSP response signed by the intermediate
//   tls_absurd                 no CN, 500 SANs, negative serial, valid 1950-9999: ok, no crash
//   tls_garbage                sends non-TLS bytes: critical, failure tls
//   tls_stall                  accepts and never answers: timeout
//   smtp_starttls              SMTP (220, EHLO -> 250-STARTTLS, STARTTLS -> 220), then TLS
// Certificates name localhost, 127.0.0.1 and ::1 (and the bind address) unless the fault says
// otherwise. Everything runs on one strand; stop() closes the listeners and connections.
#include <chrono>
#include <cstdint>
#include <functional>
#include <future>
#include <memory>
#include <stdexcept>
#include <string>
#include <unordered_map>
#include <vector>

#include <openssl/ocsp.h>
#include <openssl/ssl.h>

#include <boost/asio/as_tuple.hpp>
#include <boost/asio/co_spawn.hpp>
#include <boost/asio/ip/tcp.hpp>
#include <boost/asio/post.hpp>
#include <boost/asio/read_until.hpp>
#include <boost/asio/ssl.hpp>
#include <boost/asio/steady_timer.hpp>
#include <boost/asio/strand.hpp>
#include <boost/asio/use_awaitable.hpp>
#include <boost/asio/write.hpp>
#include <boost/beast/core.hpp>
#include <boost/beast/ssl.hpp>

#include "tests/estate/cert_factory.h"
#include "tests/estate/estate.h"

namespace lookout::estate {
namespace {

namespace asio = boost::asio;
namespace beast = boost::beast;
namespace ssl = asio::ssl;
using tcp = asio::ip::tcp;
using namespace std::chrono_literals;

constexpr auto kUseTuple = asio::as_tuple(asio::use_awaitable);
constexpr size_t kMaxConnections = 1024;
constexpr auto kSessionTimeout = 10s;  // handshake, request, SMTP command
constexpr auto kStallTimeout = 120s;   // how long a stalled connection is held at most
constexpr uint16_t kPortOffset = 20;   // estate.cc: tls 20-59

enum class Kind { tls, garbage, stall, smtp };

struct Endpoint {
  std::string name;
  Kind kind = Kind::tls;
  std::shared_ptr<ssl::context> ctx;  // tls and smtp
  tcp::acceptor acceptor;
  std::shared_ptr<void> keep;  // state the context points to (a stapled OCSP response)
};

enum class Protocols { modern, legacy_too, legacy_only };

std::shared_ptr<ssl::context> server_context(const Certificate& cert, bool send_chain = true,
                                             Protocols protocols = Protocols::modern) {
  auto ctx = std::make_shared<ssl::context>(ssl::context::tls_server);
  ctx->set_options(ssl::context::default_workarounds | ssl::context::no_sslv2 |
                   ssl::context::no_sslv3);
  SSL_CTX* c = ctx->native_handle();
  // Level 0 so the server can load a 1024-bit key or a SHA-1 chain at all.
  SSL_CTX_set_security_level(c, 0);
  if (protocols != Protocols::modern) {
    SSL_CTX_set_min_proto_version(c, TLS1_VERSION);
    SSL_CTX_set_cipher_list(c, "DEFAULT:@SECLEVEL=0");
    if (protocols == Protocols::legacy_only) SSL_CTX_set_max_proto_version(c, TLS1_VERSION);
  } else {
    SSL_CTX_set_min_proto_version(c, TLS1_2_VERSION);
  }
  configure_server_context(*ctx, cert, send_chain);
  return ctx;
}

// A DER OCSP response saying "good" for `leaf`, signed by its issuer, valid for a week.
std::shared_ptr<std::string> ocsp_good_response(const Certificate& leaf, const Certificate& issuer) {
  auto out = std::make_shared<std::string>();
  OCSP_CERTID* id = OCSP_cert_to_id(EVP_sha1(), leaf.cert.get(), issuer.cert.get());
  OCSP_BASICRESP* basic = OCSP_BASICRESP_new();
  ASN1_TIME* this_update = X509_gmtime_adj(nullptr, -3600);
  ASN1_TIME* next_update = X509_gmtime_adj(nullptr, 7 * 86400);
  OCSP_RESPONSE* resp = nullptr;
  if (id && basic && this_update && next_update &&
      OCSP_basic_add1_status(basic, id, V_OCSP_CERTSTATUS_GOOD, 0, nullptr, this_update,
                             next_update) &&
      OCSP_basic_sign(basic, issuer.cert.get(), issuer.key.get(), EVP_sha256(), nullptr, 0) == 1)
    resp = OCSP_response_create(OCSP_RESPONSE_STATUS_SUCCESSFUL, basic);
  unsigned char* der = nullptr;
  int n = resp ? i2d_OCSP_RESPONSE(resp, &der) : -1;
  if (n > 0) out->assign(reinterpret_cast<char*>(der), static_cast<size_t>(n));
  OPENSSL_free(der);
  OCSP_RESPONSE_free(resp);
  ASN1_TIME_free(next_update);
  ASN1_TIME_free(this_update);
  OCSP_BASICRESP_free(basic);
  OCSP_CERTID_free(id);
  if (out->empty()) throw std::runtime_error("estate: cannot make an OCSP response");
  return out;
}

// Staples `response` on every handshake of `ctx`; the caller keeps the response alive as
// long as the context.
void staple(ssl::context& ctx, const std::string* response) {
  SSL_CTX* c = ctx.native_handle();
  SSL_CTX_set_tlsext_status_cb(c, +[](SSL* ssl, void* arg) -> int {
    const auto* der = static_cast<const std::string*>(arg);
    auto* copy = static_cast<unsigned char*>(OPENSSL_memdup(der->data(), der->size()));
    if (!copy) return SSL_TLSEXT_ERR_NOACK;
    SSL_set_tlsext_status_ocsp_resp(ssl, copy, static_cast<long>(der->size()));
    return SSL_TLSEXT_ERR_OK;
  });
  SSL_CTX_set_tlsext_status_arg(c, const_cast<std::string*>(response));
}

std::string host_port(const std::string& address, uint16_t port) {
  std::string a = address == "0.0.0.0" ? "127.0.0.1" : address == "::" ? "::1" : address;
  return (a.find(':') != std::string::npos ? "[" + a + "]" : a) + ":" + std::to_string(port);
}

// Bytes that are not TLS: an SSH banner and then noise (deterministic, so runs repeat).
std::string garbage_bytes() {
  std::string out = "SSH-2.0-estate_not_tls\r\n";
  uint32_t x = 2463534242u;
  for (int i = 0; i < 4096; ++i) {
    x ^= x << 13;
    x ^= x >> 17;
    x ^= x << 5;
    out += static_cast<char>(x & 0xff);
  }
  return out;
}

class TlsEndpoints : public std::enable_shared_from_this<TlsEndpoints> {
 public:
  explicit TlsEndpoints(Estate& estate) : strand_(asio::make_strand(estate.io())) {}

  void add(Estate& estate, const std::string& name, Kind kind,
           std::shared_ptr<ssl::context> ctx = nullptr, std::shared_ptr<void> keep = nullptr) {
    auto ep = std::make_unique<Endpoint>(
        Endpoint{name, kind, std::move(ctx), tcp::acceptor(strand_), std::move(keep)});
    auto address = asio::ip::make_address(estate.options().address);
    tcp::endpoint where(address, estate.port(static_cast<uint16_t>(kPortOffset + endpoints_.size())));
    ep->acceptor.open(where.protocol());
    ep->acceptor.set_option(asio::socket_base::reuse_address(true));
    ep->acceptor.bind(where);
    ep->acceptor.listen(asio::socket_base::max_listen_connections);
    estate.add_endpoint(name, host_port(estate.options().address, ep->acceptor.local_endpoint().port()));
    endpoints_.push_back(std::move(ep));
  }

  void start() {
    for (auto& ep : endpoints_) spawn(accept_loop(*ep));
  }

  /// Closes listeners and open connections; runs on the strand.
  void close_all() {
    stopping_ = true;
    boost::system::error_code ec;
    for (auto& ep : endpoints_) ep->acceptor.close(ec);
    auto closers = std::move(closers_);
    closers_.clear();
    for (auto& [id, close] : closers) close();
  }

  asio::strand<asio::io_context::executor_type>& strand() { return strand_; }

 private:
  void spawn(asio::awaitable<void> task) {
    asio::co_spawn(strand_, std::move(task), [](std::exception_ptr) {});
  }

  asio::awaitable<void> accept_loop(Endpoint& ep) {
    auto self = shared_from_this();
    while (!stopping_) {
      auto [ec, sock] = co_await ep.acceptor.async_accept(kUseTuple);
      if (stopping_ || !ep.acceptor.is_open()) co_return;
      if (ec) {  // EMFILE and the like: do not spin
        asio::steady_timer t(strand_, 50ms);
        co_await t.async_wait(kUseTuple);
        continue;
      }
      if (closers_.size() >= kMaxConnections) {
        sock.close(ec);
        continue;
      }
      spawn(session(ep, beast::tcp_stream(std::move(sock))));
    }
  }

  // Registers a connection's close function for stop(); unregisters at scope exit.
  struct Registration {
    Registration(TlsEndpoints& o, std::function<void()> close) : owner(o), id(++o.next_id_) {
      owner.closers_.emplace(id, std::move(close));
    }
    ~Registration() { owner.closers_.erase(id); }
    Registration(const Registration&) = delete;
    Registration& operator=(const Registration&) = delete;
    TlsEndpoints& owner;
    uint64_t id;
  };

  asio::awaitable<void> session(Endpoint& ep, beast::tcp_stream tcp) {
    auto self = shared_from_this();
    Registration reg(*this, [&tcp] { tcp.close(); });
    switch (ep.kind) {
      case Kind::garbage: {
        static const std::string junk = garbage_bytes();
        tcp.expires_after(kSessionTimeout);
        co_await asio::async_write(tcp, asio::buffer(junk), kUseTuple);
        break;
      }
      case Kind::stall: {
        // Read (and drop) whatever comes, never answer, until the client gives up.
        char buf[4096];
        tcp.expires_after(kStallTimeout);
        for (;;) {
          auto [ec, n] = co_await tcp.async_read_some(asio::buffer(buf), kUseTuple);
          if (ec) break;
        }
        break;
      }
      case Kind::smtp:
        if (!co_await smtp_dialogue(tcp)) break;
        [[fallthrough]];
      case Kind::tls:
        co_await serve_tls(ep, std::move(tcp), reg);
        co_return;
    }
    tcp.close();
  }

  // Handshake, then answer one request with a tiny HTTP response (so an HTTP client gets a
  // page), then close.
  asio::awaitable<void> serve_tls(Endpoint& ep, beast::tcp_stream tcp, Registration& reg) {
    beast::ssl_stream<beast::tcp_stream> stream(std::move(tcp), *ep.ctx);
    reg.owner.closers_[reg.id] = [&stream] { beast::get_lowest_layer(stream).close(); };
    beast::get_lowest_layer(stream).expires_after(kSessionTimeout);
    auto [hec] = co_await stream.async_handshake(ssl::stream_base::server, kUseTuple);
    if (hec) {
      beast::get_lowest_layer(stream).close();
      co_return;
    }
    char buf[4096];
    auto [rec, n] = co_await stream.async_read_some(asio::buffer(buf), kUseTuple);
    if (!rec && n > 0) {
      static const std::string kResponse =
          "HTTP/1.1 200 OK\r\nContent-Type: text/plain\r\nContent-Length: 25\r\n"
          "Connection: close\r\n\r\nestate tls endpoint: ok\r\n";
      co_await asio::async_write(stream, asio::buffer(kResponse), kUseTuple);
      co_await stream.async_shutdown(kUseTuple);
    }
    beast::get_lowest_layer(stream).close();
  }

  // RFC 3207 server side, just enough for a STARTTLS client. True when TLS should start.
  asio::awaitable<bool> smtp_dialogue(beast::tcp_stream& tcp) {
    auto say = [&](std::string_view text) -> asio::awaitable<bool> {
      tcp.expires_after(kSessionTimeout);
      auto [ec, n] = co_await asio::async_write(tcp, asio::buffer(text), kUseTuple);
      co_return !ec;
    };
    if (!co_await say("220 estate.test ESMTP lookout estate\r\n")) co_return false;
    std::string buffer;
    for (int commands = 0; commands < 50; ++commands) {
      tcp.expires_after(kSessionTimeout);
      auto [ec, n] = co_await asio::async_read_until(tcp, asio::dynamic_buffer(buffer, 4096),
                                                     "\r\n", kUseTuple);
      if (ec) co_return false;
      std::string line = buffer.substr(0, n - 2);
      buffer.erase(0, n);
      std::string verb = line.substr(0, line.find(' '));
      for (auto& c : verb) c = static_cast<char>(std::toupper(static_cast<unsigned char>(c)));
      if (verb == "EHLO") {
        if (!co_await say("250-estate.test\r\n250-PIPELINING\r\n250-SIZE 10240000\r\n250 STARTTLS\r\n"))
          co_return false;
      } else if (verb == "HELO") {
        if (!co_await say("250 estate.test\r\n")) co_return false;
      } else if (verb == "STARTTLS") {
        co_return co_await say("220 2.0.0 Ready to start TLS\r\n");
      } else if (verb == "QUIT") {
        co_await say("221 2.0.0 Bye\r\n");
        co_return false;
      } else if (verb == "NOOP") {
        if (!co_await say("250 2.0.0 OK\r\n")) co_return false;
      } else {
        if (!co_await say("502 5.5.2 Command not recognised\r\n")) co_return false;
      }
    }
    co_return false;
  }

  asio::strand<asio::io_context::executor_type> strand_;
  std::vector<std::unique_ptr<Endpoint>> endpoints_;
  std::unordered_map<uint64_t, std::function<void()>> closers_;
  uint64_t next_id_ = 0;
  bool stopping_ = false;
};

}  // namespace

void start_tls_endpoints(Estate& estate) {
  CertFactory& certs = estate.certs();
  estate.add_endpoint("ca_file", certs.ca_file());
  // The intermediate alone, for clients that pin it as their trust anchor.
  estate.add_endpoint("intermediate_ca_file",
                      certs.write(certs.intermediate_ca(), "intermediate-ca").cert);
  const auto now = std::chrono::system_clock::now();
  const auto day = std::chrono::days(1);

  // A 90-day certificate for the loopback names with `left` days to go.
  auto spec_for = [&](double left_days, double lifetime_days = 90) {
    CertSpec spec = leaf_spec("localhost");
    spec.ip_addresses = {"127.0.0.1", "::1"};
    const std::string& a = estate.options().address;
    if (a != "127.0.0.1" && a != "::1" && a != "0.0.0.0" && a != "::") spec.ip_addresses.push_back(a);
    auto left = std::chrono::duration_cast<std::chrono::system_clock::duration>(left_days * day);
    auto life = std::chrono::duration_cast<std::chrono::system_clock::duration>(lifetime_days * day);
    spec.not_after = now + left;
    spec.not_before = now + left - life;
    return spec;
  };

  auto eps = std::make_shared<TlsEndpoints>(estate);
  auto valid = certs.issue(spec_for(80));
  eps->add(estate, "tls_valid", Kind::tls, server_context(valid));
  eps->add(estate, "tls_expiring_20d", Kind::tls, server_context(certs.issue(spec_for(20))));
  eps->add(estate, "tls_expiring_5d", Kind::tls, server_context(certs.issue(spec_for(5))));
  eps->add(estate, "tls_expired", Kind::tls, server_context(certs.issue(spec_for(-10))));
  {
    CertSpec s = spec_for(100);
    s.not_before = now + 10 * day;
    eps->add(estate, "tls_not_yet_valid", Kind::tls, server_context(certs.issue(s)));
  }
  {
    CertSpec s = spec_for(80);
    s.common_name = "wrong.example";
    s.dns_names = {"wrong.example"};
    s.ip_addresses.clear();
    eps->add(estate, "tls_wrong_host", Kind::tls, server_context(certs.issue(s)));
  }
  eps->add(estate, "tls_self_signed", Kind::tls,
           server_context(certs.issue(spec_for(80), Signer::self)));
  eps->add(estate, "tls_missing_intermediate", Kind::tls,
           server_context(certs.issue(spec_for(80)), /*send_chain=*/false));
  {
    CertSpec s = spec_for(80);
    s.key_type = KeyType::rsa;
    s.rsa_bits = 1024;
    eps->add(estate, "tls_rsa1024", Kind::tls, server_context(certs.issue(s)));
  }
  {
    CertSpec s = spec_for(80);
    s.digest = Digest::sha1;
    eps->add(estate, "tls_sha1", Kind::tls, server_context(certs.issue(s)));
  }
  eps->add(estate, "tls_legacy_tls10", Kind::tls,
           server_context(valid, /*send_chain=*/true, Protocols::legacy_too));
  {
    // An intermediate of its own that runs out in 10 days, under a leaf with 80 to go.
    CertSpec ca;
    ca.common_name = "Lookout Estate Short-lived Intermediate CA";
    ca.is_ca = true;
    ca.path_len = 0;
    ca.not_before = now - 355 * day;
    ca.not_after = now + 10 * day;
    Certificate intermediate = make_certificate(ca, &certs.root_ca());
    Certificate leaf = make_certificate(spec_for(80), &intermediate);
    eps->add(estate, "tls_intermediate_expiring", Kind::tls, server_context(leaf));
  }
  eps->add(estate, "tls_legacy_only", Kind::tls,
           server_context(valid, /*send_chain=*/true, Protocols::legacy_only));
  {
    auto ctx = server_context(valid);
    auto response = ocsp_good_response(valid, certs.intermediate_ca());
    staple(*ctx, response.get());
    eps->add(estate, "tls_ocsp_stapled", Kind::tls, std::move(ctx), response);
  }
  {
    CertSpec s = spec_for(80);
    s.common_name.reset();
    s.organization = "Absurd Fields Ltd";
    for (int i = 0; i < 498; ++i) s.dns_names.push_back("san" + std::to_string(i) + ".example");
    s.serial_hex = "-1F";
    Certificate absurd = certs.issue(s);
    // Dates system_clock cannot hold: set them directly and sign again.
    X509* x = absurd.cert.get();
    ASN1_TIME* t = ASN1_TIME_new();
    if (!t || !ASN1_TIME_set_string_X509(t, "500101000000Z") || !X509_set1_notBefore(x, t) ||
        !ASN1_TIME_set_string_X509(t, "99991231235959Z") || !X509_set1_notAfter(x, t) ||
        !X509_sign(x, certs.intermediate_ca().key.get(), EVP_sha256()))
      throw std::runtime_error("estate: cannot make the absurd certificate");
    ASN1_TIME_free(t);
    eps->add(estate, "tls_absurd", Kind::tls, server_context(absurd));
  }
  eps->add(estate, "tls_garbage", Kind::garbage);
  eps->add(estate, "tls_stall", Kind::stall);
  eps->add(estate, "smtp_starttls", Kind::smtp, server_context(valid));

  eps->start();
  estate.keep(eps);
  estate.close_on_stop(eps->strand(), [eps] { eps->close_all(); });
}

}  // namespace lookout::estate
