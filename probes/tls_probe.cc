#include "probes/tls_probe.h"

#include <openssl/err.h>
#include <openssl/ssl.h>
#include <openssl/x509v3.h>

#include <algorithm>
#include <cctype>
#include <set>

#include <boost/asio/as_tuple.hpp>
#include <boost/asio/read_until.hpp>
#include <boost/asio/ssl.hpp>
#include <boost/asio/use_awaitable.hpp>
#include <boost/asio/write.hpp>
#include <boost/beast/core.hpp>
#include <boost/beast/ssl.hpp>

#include "net/resolver.h"
#include "net/tcp_connect.h"
#include "net/tls_context.h"
#include "net/url.h"
#include "net/x509_facts.h"
#include "probes/fact_names.h"
#include "probes/tls_verdict.h"

namespace lookout::probes {
namespace asio = boost::asio;
namespace beast = boost::beast;
using boost::system::error_code;
using Clock = std::chrono::steady_clock;


namespace {

constexpr auto kTuple = asio::as_tuple(asio::use_awaitable);
constexpr size_t kSmtpReplyLimit = 64 * 1024;  // a longer SMTP reply is hostile
constexpr size_t kMaxVerifyErrors = 32;

enum class StartTls { none, smtp };

struct TlsOptions {
  std::string host;
  uint16_t port = 443;
  std::string sni;  // "" = host (not sent for IP literals)
  std::string ca_file;
  ExpiryPolicy policy;
  StartTls starttls = StartTls::none;
  bool legacy_protocols = false;
};

double since(Clock::time_point t) {
  return std::chrono::duration<double>(Clock::now() - t).count();
}

bool is_timeout(const error_code& ec) { return net::is_timeout_error(ec); }

// What went wrong before a certificate could be read; becomes an "unreachable" result.
struct Failure {
  FailureKind kind = FailureKind::none;
  std::string message;
  bool protocol_version = false;  // the server refused our protocol range (maybe TLS < 1.2 only)
  explicit operator bool() const { return kind != FailureKind::none; }
};

// One SMTP reply (possibly multi-line); returns the code and the lines, or a failure.
asio::awaitable<Failure> smtp_reply(beast::tcp_stream& tcp, std::string& buffer, int& code,
                                    std::vector<std::string>& lines) {
  lines.clear();
  code = 0;
  for (;;) {
    auto [ec, n] = co_await asio::async_read_until(
        tcp, asio::dynamic_buffer(buffer, kSmtpReplyLimit), "\r\n", kTuple);
    if (ec) {
      if (is_timeout(ec)) co_return Failure{FailureKind::timeout, "SMTP server did not answer in time"};
      if (ec == asio::error::not_found)
        co_return Failure{FailureKind::protocol, "SMTP reply longer than 64 KiB"};
      co_return Failure{FailureKind::protocol, "SMTP dialogue failed: " + ec.message()};
    }
    std::string line = buffer.substr(0, n - 2);
    buffer.erase(0, n);
    if (line.size() < 3 || !std::isdigit(static_cast<unsigned char>(line[0])) ||
        !std::isdigit(static_cast<unsigned char>(line[1])) ||
        !std::isdigit(static_cast<unsigned char>(line[2])) ||
        (line.size() > 3 && line[3] != ' ' && line[3] != '-')) {
      if (line.size() > 60) line = line.substr(0, 60) + "...";
      co_return Failure{FailureKind::protocol, "not an SMTP reply: '" + line + "'"};
    }
    int this_code = std::stoi(line.substr(0, 3));
    if (code && this_code != code)
      co_return Failure{FailureKind::protocol, "SMTP reply with mixed codes"};
    code = this_code;
    lines.push_back(line.size() > 4 ? line.substr(4) : std::string());
    if (line.size() == 3 || line[3] == ' ') co_return Failure{};
    if (lines.size() > 1000) co_return Failure{FailureKind::protocol, "SMTP reply too long"};
  }
}

// Sends one SMTP command and reads its reply, which must carry `expect`.
asio::awaitable<Failure> smtp_command(beast::tcp_stream& tcp, const std::string& verb,
                                      std::string& buffer, int expect,
                                      std::vector<std::string>& lines) {
  std::string line = verb + "\r\n";
  if (auto [ec, n] = co_await asio::async_write(tcp, asio::buffer(line), kTuple); ec)
    co_return Failure{is_timeout(ec) ? FailureKind::timeout : FailureKind::connect,
                      "SMTP " + verb.substr(0, verb.find(' ')) + " failed: " + ec.message()};
  int code = 0;
  if (auto f = co_await smtp_reply(tcp, buffer, code, lines)) co_return f;
  if (code != expect)
    co_return Failure{FailureKind::protocol, "SMTP " + verb.substr(0, verb.find(' ')) +
                                                 " answered " + std::to_string(code)};
  co_return Failure{};
}

// RFC 3207: greeting 220, EHLO -> 250 with STARTTLS, STARTTLS -> 220, then TLS.
asio::awaitable<Failure> smtp_starttls(beast::tcp_stream& tcp) {
  std::string buffer;
  int code = 0;
  std::vector<std::string> lines;
  if (auto f = co_await smtp_reply(tcp, buffer, code, lines)) co_return f;
  if (code != 220)
    co_return Failure{FailureKind::protocol, "SMTP greeting " + std::to_string(code) + ", not 220"};
  if (auto f = co_await smtp_command(tcp, "EHLO lookout.invalid", buffer, 250, lines)) co_return f;
  bool offered = false;
  for (auto l : lines) {
    std::transform(l.begin(), l.end(), l.begin(), [](unsigned char c) { return std::toupper(c); });
    offered = offered || l == "STARTTLS" || l.rfind("STARTTLS ", 0) == 0;
  }
  if (!offered) co_return Failure{FailureKind::protocol, "SMTP server does not offer STARTTLS"};
  co_return co_await smtp_command(tcp, "STARTTLS", buffer, 220, lines);
}

// The outcome of one handshake.
struct Handshake {
  Failure failure;
  std::string peer_text;
  std::optional<asio::ip::address> peer;
  double resolve = 0, connect = 0, starttls = 0, tls = 0;
  // On success:
  std::vector<net::CertFacts> served;
  std::vector<VerifyError> verify_errors;
  std::vector<int64_t> verified_not_after;  // the chain the verifier built, leaf first
  std::optional<bool> host_matches;
  std::string version;
  std::string cipher;
  bool ocsp_stapled = false;
  std::string ocsp_status;  // ocsp_staple_status() when stapled
};

class TlsProbe : public Probe {
 public:
  explicit TlsProbe(TlsOptions o) : o_(std::move(o)) {}
  std::string host_key() const override { return o_.host; }

  asio::awaitable<Result> run(ProbeContext& ctx) override {
    Result r;
    const std::string name = server_name();
    Handshake hs = co_await handshake(ctx, /*legacy=*/false, std::nullopt);
    r.set_phase("resolve", hs.resolve);
    r.set_phase("connect", hs.connect);
    if (o_.starttls != StartTls::none) r.set_phase("starttls", hs.starttls);
    r.set_phase("tls", hs.tls);
    r.facts["host"] = o_.host;
    r.facts["port"] = o_.port;
    if (!o_.sni.empty()) r.facts["sni"] = o_.sni;
    if (hs.peer) r.facts[fact::kAddress] = hs.peer->to_string();

    // A server that only speaks TLS < 1.2: read its certificate over the old protocol so the
    // report says that, and still covers the certificate.
    bool legacy_only = false;
    if (hs.failure && hs.failure.protocol_version && ctx.remaining().count() > 0) {
      Handshake old = co_await handshake(ctx, /*legacy=*/true, hs.peer);
      if (!old.failure) {
        legacy_only = true;
        hs = std::move(old);
      }
    }
    if (hs.failure) {
      r.status = Status::critical;
      r.failure = hs.failure.kind;
      r.summary = hs.failure.message;
      if (!hs.peer_text.empty() && r.summary.find(hs.peer_text) == std::string::npos)
        r.summary += " (" + hs.peer_text + ")";
      r.facts["findings"] = nlohmann::json::array({std::string(to_string(TlsFinding::unreachable))});
      r.facts[fact::kDaysLeft] = nullptr;
      co_return r;
    }

    TlsObservation obs;
    obs.served = hs.served;
    obs.verify_errors = hs.verify_errors;
    obs.host = name;
    obs.host_matches = hs.host_matches;
    obs.ocsp_revoked = hs.ocsp_status == "revoked";
    if (legacy_only) {
      obs.legacy_accepted = true;
      obs.legacy_only = true;
      obs.legacy_version = hs.version;
    } else if (o_.legacy_protocols && ctx.remaining().count() > 0) {
      Handshake old = co_await handshake(ctx, /*legacy=*/true, hs.peer);
      r.facts["legacy_check"] = old.failure ? "refused" : "accepted";
      if (!old.failure) {
        obs.legacy_accepted = true;
        obs.legacy_version = old.version;
      } else if (old.failure.kind == FailureKind::timeout) {
        r.facts["legacy_check"] = "timeout";
      }
    }
    const auto now = ctx.now();
    TlsVerdict v = classify_tls(obs, o_.policy, now);

    r.status = v.status;
    r.failure = v.status == Status::critical &&
                        (v.findings.size() > 1 || !v.has(TlsFinding::expiring))
                    ? FailureKind::tls
                    : FailureKind::none;
    r.summary = v.summary;
    if (v.findings.empty() || (v.findings.size() == 1 && v.has(TlsFinding::expiring)))
      r.summary += ", " + hs.version;
    r.facts["findings"] = v.findings_json();
    r.facts[fact::kDaysLeft] = v.days_left ? nlohmann::json(*v.days_left) : nlohmann::json(nullptr);
    if (v.leaf_days_left) r.facts["leaf_days_left"] = *v.leaf_days_left;
    if (v.intermediate_days_left) r.facts["intermediate_days_left"] = *v.intermediate_days_left;
    if (!hs.served.empty()) {
      nlohmann::json leaf = net::cert_facts_json(hs.served.front(), now);
      // The leaf's identity also at the top level, under the names the issue uses.
      for (const char* key : {"subject", "issuer", "sans", "serial", "signature_algorithm",
                              "key_type", "key_bits", "not_before", "not_after"})
        r.facts[key] = leaf[key];
      r.facts["leaf"] = std::move(leaf);
    }
    nlohmann::json chain = nlohmann::json::array();
    for (size_t i = 1; i < hs.served.size(); ++i)
      chain.push_back(net::cert_facts_json(hs.served[i], now));
    r.facts["chain"] = chain;
    r.facts[fact::kTlsVersion] = hs.version;
    r.facts[fact::kTlsCipher] = hs.cipher;
    r.facts["ocsp_stapled"] = hs.ocsp_stapled;
    if (hs.ocsp_stapled) r.facts["ocsp_status"] = hs.ocsp_status;
    nlohmann::json verify = nlohmann::json::array();
    for (const auto& e : hs.verify_errors)
      verify.push_back({{"depth", e.depth}, {"error", X509_verify_cert_error_string(e.code)}});
    r.facts["verify_errors"] = verify;
    const bool trusted = !v.has(TlsFinding::untrusted) && !v.has(TlsFinding::self_signed) &&
                         !v.has(TlsFinding::chain_incomplete) && !hs.verified_not_after.empty();
    r.facts["trusted"] = trusted;

    // Metrics. Expiry series stay present for expired or untrusted certificates: a metric that
    // vanishes when the certificate expires would hide exactly the case that matters.
    std::optional<int64_t> earliest, leaf_after, intermediate_after;
    for (size_t i = 0; i < hs.served.size(); ++i) {
      const auto& na = hs.served[i].not_after;
      if (!na) continue;
      if (!earliest || *na < *earliest) earliest = na;
      if (i == 0) leaf_after = na;
      else if (!intermediate_after || *na < *intermediate_after) intermediate_after = na;
    }
    if (earliest) r.add_sample("probe_ssl_earliest_cert_expiry", static_cast<double>(*earliest));
    if (trusted) {
      int64_t last = *std::min_element(hs.verified_not_after.begin(), hs.verified_not_after.end());
      r.add_sample("probe_ssl_last_chain_expiry_timestamp_seconds", static_cast<double>(last));
    }
    r.add_sample("probe_tls_version_info", 1, {{"version", hs.version}});
    if (!hs.cipher.empty()) r.add_sample("probe_tls_cipher_info", 1, {{"cipher", hs.cipher}});
    if (leaf_after)
      r.add_sample("lookout_tls_cert_not_after_seconds", static_cast<double>(*leaf_after),
                   {{"cert", "leaf"}});
    if (intermediate_after)
      r.add_sample("lookout_tls_cert_not_after_seconds", static_cast<double>(*intermediate_after),
                   {{"cert", "intermediate"}});
    co_return r;
  }

 private:
  // The name to send as SNI and to verify: without a trailing root dot (RFC 6066 3).
  std::string server_name() const {
    std::string name = o_.sni.empty() ? o_.host : o_.sni;
    if (name.size() > 1 && name.back() == '.') name.pop_back();
    return name;
  }

  // Resolve (unless `address` is given), connect, STARTTLS if asked, handshake, read facts.
  // `legacy`: only TLS 1.0/1.1 at security level 0, to see whether the server still takes them.
  asio::awaitable<Handshake> handshake(ProbeContext& ctx, bool legacy,
                                       std::optional<asio::ip::address> address) {
    Handshake hs;
    const double timeout_s = std::chrono::duration<double>(ctx.spec.timeout).count();
    beast::tcp_stream tcp(ctx.executor);
    net::TcpConnectResult conn =
        co_await net::tcp_connect(ctx, tcp, o_.host, o_.port, net::AddressFamily::any, address);
    hs.resolve = conn.resolve;
    hs.connect = conn.connect;
    hs.peer = conn.peer;
    hs.peer_text = conn.peer_text;
    if (!conn) {
      hs.failure = Failure{conn.failure, conn.error};
      co_return hs;
    }

    auto t = Clock::now();
    if (o_.starttls == StartTls::smtp) {
      t = Clock::now();
      tcp.expires_at(ctx.deadline);
      hs.failure = co_await smtp_starttls(tcp);
      hs.starttls = since(t);
      if (hs.failure) co_return hs;
    }

    // Verification never aborts the handshake: the callback records every error so the
    // report can say why (expired, untrusted, incomplete chain...), as check_ssl_cert does.
    std::vector<VerifyError> errors;
    auto ssl_ctx = ctx.tls.client(o_.ca_file, false);
    beast::ssl_stream<beast::tcp_stream> tls(std::move(tcp), *ssl_ctx);
    SSL* ssl = tls.native_handle();
    const std::string name = server_name();
    if (!net::parse_ip(name)) SSL_set_tlsext_host_name(ssl, name.c_str());  // RFC 6066: no IPs
    // Level 0 so weak keys and SHA-1 still complete the handshake; they are findings of
    // their own, judged from the certificate facts.
    SSL_set_security_level(ssl, 0);
    if (legacy) {
      SSL_set_min_proto_version(ssl, TLS1_VERSION);
      SSL_set_max_proto_version(ssl, TLS1_1_VERSION);
      SSL_set_cipher_list(ssl, "DEFAULT:@SECLEVEL=0");
      SSL_set_verify(ssl, SSL_VERIFY_NONE, nullptr);
    } else {
      SSL_set_min_proto_version(ssl, TLS1_2_VERSION);
      SSL_set_tlsext_status_type(ssl, TLSEXT_STATUSTYPE_ocsp);
      // A CA file the user names may hold an intermediate they pin: any certificate in it is
      // a trust anchor, as with Go's (so blackbox_exporter's) ca_file.
      if (!o_.ca_file.empty())
        X509_VERIFY_PARAM_set_flags(SSL_get0_param(ssl), X509_V_FLAG_PARTIAL_CHAIN);
      tls.set_verify_mode(asio::ssl::verify_peer);
      tls.set_verify_callback([&errors](bool preverified, asio::ssl::verify_context& vc) {
        if (!preverified && errors.size() < kMaxVerifyErrors) {
          X509_STORE_CTX* sc = vc.native_handle();
          VerifyError e{X509_STORE_CTX_get_error(sc), X509_STORE_CTX_get_error_depth(sc)};
          bool seen = std::any_of(errors.begin(), errors.end(), [&](const VerifyError& o) {
            return o.code == e.code && o.depth == e.depth;
          });
          if (!seen) errors.push_back(e);
        }
        return true;
      });
    }
    t = Clock::now();
    beast::get_lowest_layer(tls).expires_at(ctx.deadline);
    auto [hec] = co_await tls.async_handshake(asio::ssl::stream_base::client, kTuple);
    hs.tls = since(t);
    if (hec) {
      if (is_timeout(hec)) {
        hs.failure = Failure{FailureKind::timeout,
                             "TLS handshake timeout after " + human_duration(timeout_s)};
      } else {
        int reason = hec.category() == asio::error::get_ssl_category()
                         ? ERR_GET_REASON(static_cast<unsigned long>(hec.value()))
                         : 0;
        std::string why = hec.message();
        if (hec == asio::ssl::error::stream_truncated || hec == asio::error::eof ||
            hec == asio::error::connection_reset)
          why = "the server closed the connection";
        else if (reason == SSL_R_WRONG_VERSION_NUMBER || reason == SSL_R_PACKET_LENGTH_TOO_LONG ||
                 reason == SSL_R_UNKNOWN_PROTOCOL)
          why = "the peer does not speak TLS (" + why + ")";
        hs.failure = Failure{FailureKind::tls, "TLS handshake failed: " + why};
        hs.failure.protocol_version = reason == SSL_R_TLSV1_ALERT_PROTOCOL_VERSION ||
                                      reason == SSL_R_UNSUPPORTED_PROTOCOL;
      }
      ERR_clear_error();
      co_return hs;
    }

    hs.version = net::tls_version_label(SSL_version(ssl));
    if (const SSL_CIPHER* c = SSL_get_current_cipher(ssl))
      if (const char* n = SSL_CIPHER_standard_name(c)) hs.cipher = n;
    const unsigned char* ocsp = nullptr;
    long ocsp_len = SSL_get_tlsext_status_ocsp_resp(ssl, &ocsp);
    hs.ocsp_stapled = ocsp_len > 0 && ocsp;
    if (hs.ocsp_stapled) {
      // The issuer: from the verified chain, else the next certificate the server sent.
      X509* issuer = nullptr;
      for (auto* chain : {SSL_get0_verified_chain(ssl), SSL_get_peer_cert_chain(ssl)})
        if (!issuer && chain && sk_X509_num(chain) > 1) issuer = sk_X509_value(chain, 1);
      hs.ocsp_status = net::ocsp_staple_status(
          std::string_view(reinterpret_cast<const char*>(ocsp), static_cast<size_t>(ocsp_len)),
          SSL_get0_peer_certificate(ssl), issuer);
    }
    if (STACK_OF(X509)* served = SSL_get_peer_cert_chain(ssl)) {  // client side: leaf first
      for (int i = 0; i < sk_X509_num(served); ++i)
        hs.served.push_back(net::extract_cert_facts(sk_X509_value(served, i)));
    }
    if (STACK_OF(X509)* verified = SSL_get0_verified_chain(ssl)) {
      for (int i = 0; i < sk_X509_num(verified); ++i)
        if (auto na = net::asn1_time_to_unix(X509_get0_notAfter(sk_X509_value(verified, i))))
          hs.verified_not_after.push_back(*na);
    }
    if (X509* leaf = SSL_get0_peer_certificate(ssl)) hs.host_matches = net::cert_matches_host(leaf, name);
    hs.verify_errors = std::move(errors);
    // The hostname is judged by cert_matches_host; the verifier did not check it.
    ERR_clear_error();
    beast::get_lowest_layer(tls).close();
    co_return hs;
  }

  TlsOptions o_;
};

ProbePtr build_tls(CheckSpec& spec, config::OptionMap& opts, config::Errors& errors) {
  TlsOptions o;
  size_t before = errors.size();
  if (auto s = opts.get_string("starttls", errors)) {
    if (*s == "smtp") o.starttls = StartTls::smtp;
    else if (*s != "none" && !s->empty()) opts.error("starttls", "expected smtp or none", errors);
  }
  const uint16_t default_port = o.starttls == StartTls::smtp ? 25 : 443;
  if (auto t = opts.get_string("target", errors)) spec.target = *t;
  const std::string where = opts.has("target") ? "target" : "url";
  if (spec.target.empty() && !spec.site_url.empty()) {
    // The site URL's host, and its port when it is an https URL.
    std::string err;
    auto url = net::parse_url(spec.site_url, &err);
    if (!url) {
      opts.error(where, "bad URL '" + spec.site_url + "': " + err, errors);
      return nullptr;
    }
    uint16_t port = url->is_https() ? url->port : default_port;
    spec.target = (url->host.find(':') != std::string::npos ? "[" + url->host + "]" : url->host) +
                  ":" + std::to_string(port);
  }
  if (spec.target.empty()) {
    opts.error("target", "a tls check needs HOST[:PORT] (target or site url)", errors);
    return nullptr;
  }
  if (spec.target.find("://") != std::string::npos) {
    std::string err;
    auto url = net::parse_url(spec.target, &err);
    if (!url) {
      opts.error(where, "bad URL '" + spec.target + "': " + err, errors);
      return nullptr;
    }
    o.host = url->host;
    o.port = url->is_https() ? url->port : default_port;
  } else if (!net::split_host_port(spec.target, o.host, o.port, default_port) ||
             o.host.find_first_of(" /?#@") != std::string::npos) {
    opts.error(where, "expected HOST[:PORT], got '" + spec.target + "'", errors);
    return nullptr;
  }
  if (auto s = opts.get_string("sni", errors)) o.sni = *s;
  if (auto f = opts.get_string("ca_file", errors)) o.ca_file = *f;
  o.policy.warn_days = opts.get_double("warn_days", errors, 0, 100000);
  o.policy.crit_days = opts.get_double("crit_days", errors, 0, 100000);
  o.policy.warn_fraction = opts.get_double("warn_fraction", errors, 0, 1);
  o.policy.crit_fraction = opts.get_double("crit_fraction", errors, 0, 1);
  if (o.policy.warn_days && o.policy.crit_days && *o.policy.crit_days > *o.policy.warn_days)
    opts.error("crit_days", "crit_days must not exceed warn_days", errors);
  if (o.policy.warn_fraction && o.policy.crit_fraction &&
      *o.policy.crit_fraction > *o.policy.warn_fraction)
    opts.error("crit_fraction", "crit_fraction must not exceed warn_fraction", errors);
  if (auto b = opts.get_bool("legacy_protocols", errors)) o.legacy_protocols = *b;
  if (errors.size() != before) return nullptr;
  return std::make_shared<TlsProbe>(std::move(o));
}

}  // namespace

ProbeKind tls_probe_kind() {
  return ProbeKind{
      "tls",
      "TLS certificate: chain, hostname, expiry (lifetime-aware), key, signature, protocol",
      &build_tls,
      {
          {"--sni", "sni", "TLS server name to send and to verify (default: the host)"},
          {"--ca-file", "ca_file", "CA bundle to verify against (default: system store)"},
          {"--warn-days", "warn_days", "warn when fewer days remain (default: 1/4 of lifetime, at most 30)"},
          {"--crit-days", "crit_days", "critical when this many days or fewer remain (default 7)"},
          {"--warn-fraction", "warn_fraction", "warn when less than this fraction of lifetime remains"},
          {"--crit-fraction", "crit_fraction", "critical at this fraction of lifetime or less"},
          {"--starttls", "starttls", "protocol to upgrade before TLS: smtp"},
          {"--legacy-protocols", "legacy_protocols",
           "also test whether TLS 1.0/1.1 is still accepted (critical if so)", false, true},
      },
  };
}

}  // namespace lookout::probes
