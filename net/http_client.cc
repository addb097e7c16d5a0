#include "net/http_client.h"

#include <openssl/err.h>
#include <openssl/ssl.h>
#include <openssl/x509v3.h>

#include <algorithm>
#include <filesystem>
#include <memory>
#include <optional>
#include <set>

#include <boost/asio/as_tuple.hpp>
#include <boost/asio/ssl.hpp>
#include <boost/asio/use_awaitable.hpp>
#include <boost/beast/core.hpp>
#include <boost/beast/http.hpp>
#include <boost/beast/ssl.hpp>

#include "net/human_duration.h"
#include "net/tcp_connect.h"
#include "net/tls_context.h"
#include "net/x509_facts.h"

namespace lookout::net {
namespace asio = boost::asio;
namespace beast = boost::beast;
namespace http = beast::http;
using Clock = std::chrono::steady_clock;
using boost::system::error_code;

namespace {

constexpr auto kTuple = asio::as_tuple(asio::use_awaitable);
constexpr int kMaxInterimResponses = 8;

double since(Clock::time_point t) {
  return std::chrono::duration<double>(Clock::now() - t).count();
}


// Sends the request and reads the response on a connected (and handshaken) stream.
template <typename Stream>
asio::awaitable<void> exchange(Stream& stream, const HttpRequest& req, HttpResponse& resp,
                               const Context& ctx) {
  http::request<http::string_body> request;
  request.method_string(req.method);
  request.target(req.url.target);
  request.version(11);
  request.set(http::field::host, req.url.host_header());
  request.set(http::field::user_agent, req.user_agent);
  request.set(http::field::accept, "*/*");
  request.set(http::field::connection, "close");
  for (const auto& [k, v] : req.headers) request.set(k, v);
  if (!req.body.empty()) request.body() = req.body;
  request.prepare_payload();

  auto& lowest = beast::get_lowest_layer(stream);
  auto t = Clock::now();
  lowest.expires_at(ctx.deadline);
  auto [wec, wn] = co_await http::async_write(stream, request, kTuple);
  (void)wn;
  if (wec) {
    resp.failure = is_timeout_error(wec) ? FailureKind::timeout : FailureKind::connect;
    resp.error = is_timeout_error(wec) ? "timeout sending the request after " +
                                       human_duration(std::chrono::duration<double>(ctx.timeout).count())
                                 : "sending the request failed: " + wec.message();
    co_return;
  }

  beast::flat_buffer buffer;
  // Interim 1xx responses (100 Continue, 103 Early Hints from CDNs) come before the real one:
  // each needs a fresh parser; a bounded number of them is skipped.
  std::optional<http::response_parser<http::buffer_body>> parser_slot;
  error_code hec;
  for (int interim = 0;; ++interim) {
    auto& p = parser_slot.emplace();
    p.header_limit(static_cast<uint32_t>(std::min<size_t>(req.header_limit, UINT32_MAX)));
    p.body_limit(boost::none);  // we stop reading ourselves at req.body_limit
    if (req.method == "HEAD") p.skip(true);
    auto [ec, hn] = co_await http::async_read_header(stream, buffer, p, kTuple);
    (void)hn;
    hec = ec;
    const unsigned code = ec ? 0 : p.get().result_int();
    if (ec || code < 100 || code > 199 || code == 101 || interim >= kMaxInterimResponses) break;
  }
  auto& parser = *parser_slot;
  resp.processing = since(t);
  if (hec) {
    if (is_timeout_error(hec)) {
      resp.failure = FailureKind::timeout;
      resp.error = "no response within " +
                   human_duration(std::chrono::duration<double>(ctx.timeout).count());
    } else if (hec == http::error::header_limit) {
      resp.failure = FailureKind::protocol;
      resp.error = "response header larger than " + std::to_string(req.header_limit / 1024) + " KiB";
    } else if (hec == http::error::end_of_stream || hec == asio::error::eof ||
               hec == asio::error::connection_reset || hec == http::error::partial_message) {
      resp.failure = FailureKind::protocol;
      resp.error = "connection closed before a complete response header";
    } else if (hec == http::error::bad_version) {
      resp.failure = FailureKind::protocol;
      resp.error = "not an HTTP response (" + hec.message() + ")";
    } else if (hec.category() == beast::http::make_error_code(http::error::bad_version).category()) {
      // An HTTP answer with broken framing, e.g. both Transfer-Encoding and Content-Length.
      resp.failure = FailureKind::protocol;
      resp.error = "malformed HTTP response header (" + hec.message() + ")";
    } else {
      resp.failure = FailureKind::protocol;
      resp.error = "reading the response failed: " + hec.message();
    }
    co_return;
  }
  const auto& header = parser.get();
  resp.status = header.result_int();
  for (const auto& f : header.base()) resp.headers.emplace_back(std::string(f.name_string()),
                                                                std::string(f.value()));

  t = Clock::now();
  char chunk[16 * 1024];
  while (!parser.is_done()) {
    parser.get().body().data = chunk;
    parser.get().body().size = sizeof chunk;
    auto [bec, bn] = co_await http::async_read(stream, buffer, parser, kTuple);
    (void)bn;
    if (bec == http::error::need_buffer) bec = {};
    // A body delimited by the close may end without TLS close_notify (many servers skip it;
    // curl and browsers accept that): it is the end of the body, not an error.
    if (bec == asio::ssl::error::stream_truncated && !parser.chunked() &&
        !parser.content_length()) {
      error_code eof_ec;
      parser.put_eof(eof_ec);
      bec = eof_ec;
    }
    size_t got = sizeof chunk - parser.get().body().size;
    if (got) {
      std::string_view piece(chunk, got);
      size_t room = req.body_limit > resp.body.size() ? req.body_limit - resp.body.size() : 0;
      resp.body.append(piece.substr(0, std::min(room, piece.size())));
      bool more = true;
      if (req.on_body) more = req.on_body(piece);
      if (!more || (!req.on_body && resp.body.size() >= req.body_limit && !parser.is_done())) {
        resp.body_truncated = true;  // the rest is not read: close instead
        break;
      }
    }
    if (bec) {
      if (is_timeout_error(bec)) {
        resp.failure = FailureKind::timeout;
        resp.error = "body not complete within " +
                     human_duration(std::chrono::duration<double>(ctx.timeout).count()) +
                     " (" + std::to_string(resp.body.size()) +
                     (resp.body.size() == 1 ? " byte received)" : " bytes received)");
      } else if (bec == http::error::partial_message || bec == http::error::end_of_stream ||
                 bec == asio::error::eof) {
        resp.failure = FailureKind::protocol;
        resp.error = "connection closed mid-body after " + std::to_string(resp.body.size()) +
                     " bytes";
      } else {
        resp.failure = FailureKind::protocol;
        resp.error = "reading the body failed: " + bec.message();
      }
      break;
    }
  }
  resp.transfer = since(t);
}

}  // namespace

std::string ca_file_problem(const std::string& path) {
  std::error_code ec;
  if (!std::filesystem::exists(path, ec)) return "CA file '" + path + "' does not exist";
  if (std::filesystem::is_directory(path, ec)) return "CA file '" + path + "' is a directory";
  std::unique_ptr<X509_STORE, decltype(&X509_STORE_free)> store(X509_STORE_new(), &X509_STORE_free);
  bool loaded = store && X509_STORE_load_file(store.get(), path.c_str()) == 1;
  ERR_clear_error();
  if (!loaded) return "CA file '" + path + "' is unreadable or holds no PEM certificate";
  return {};
}

std::optional<std::string> HttpResponse::header(std::string_view name) const {
  for (const auto& [k, v] : headers)
    if (beast::iequals(k, name)) return v;
  return std::nullopt;
}

asio::awaitable<HttpResponse> http_fetch(Context& ctx, HttpRequest req) {
  HttpResponse resp;
  const double timeout_s = std::chrono::duration<double>(ctx.timeout).count();

  // 1-2. resolve and connect (addresses in order until one accepts)
  beast::tcp_stream tcp(ctx.executor);
  auto conn = co_await tcp_connect(ctx, tcp, req.url.host, req.url.port, req.family, req.address);
  resp.resolve = conn.resolve;
  resp.connect = conn.connect;
  resp.peer = conn.peer;
  resp.peer_text = conn.peer_text;
  if (!conn) {
    resp.failure = conn.failure;
    resp.error = conn.error;
    co_return resp;
  }

  if (!req.url.is_https()) {
    co_await exchange(tcp, req, resp, ctx);
    co_return resp;
  }

  // 3. TLS
  auto ssl_ctx = ctx.tls.client(req.ca_file, req.verify_tls);
  beast::ssl_stream<beast::tcp_stream> tls(std::move(tcp), *ssl_ctx);
  SSL* ssl = tls.native_handle();
  std::string sni = req.sni.empty() ? req.url.host : req.sni;
  // "www.example.com." is the same name: SNI and certificate names carry no root dot.
  if (sni.size() > 1 && sni.back() == '.') sni.pop_back();
  if (!parse_ip(sni)) SSL_set_tlsext_host_name(ssl, sni.c_str());
  if (req.verify_tls) {
    if (auto ip = parse_ip(sni))
      X509_VERIFY_PARAM_set1_ip_asc(SSL_get0_param(ssl), ip->to_string().c_str());
    else
      SSL_set1_host(ssl, sni.c_str());
  }
  // Remember which certificate failed first: "certificate has expired" alone sends a person to
  // the leaf when it is the intermediate that expired.
  struct FirstFailure {
    int depth = -1;
    std::string name;
  };
  auto failed = std::make_shared<FirstFailure>();
  if (req.verify_tls)
    tls.set_verify_callback([failed](bool preverified, asio::ssl::verify_context& vctx) {
      if (!preverified && failed->depth < 0) {
        X509_STORE_CTX* sctx = vctx.native_handle();
        failed->depth = X509_STORE_CTX_get_error_depth(sctx);
        if (X509* cert = X509_STORE_CTX_get_current_cert(sctx)) {
          CertFacts f = extract_cert_facts(cert);
          failed->name = !f.common_name.empty() ? f.common_name : f.subject;
        }
      }
      return preverified;
    });
  auto t = Clock::now();
  beast::get_lowest_layer(tls).expires_at(ctx.deadline);
  auto [hec] = co_await tls.async_handshake(asio::ssl::stream_base::client, kTuple);
  resp.tls = since(t);
  resp.used_tls = true;
  if (hec) {
    if (is_timeout_error(hec)) {
      resp.failure = FailureKind::timeout;
      resp.error = "TLS handshake timeout after " + human_duration(timeout_s) + " with " +
                   resp.peer_text;
    } else if (std::string why; req.verify_tls && !req.ca_file.empty() &&
               SSL_get_verify_result(ssl) != X509_V_OK &&
               !(why = ca_file_problem(req.ca_file)).empty()) {
      // Nothing could verify: the configured CA file is the problem, not the site. Checked
      // only after a failure, so a healthy run never re-reads the file.
      resp.failure = FailureKind::internal;
      resp.error = why;
    } else {
      resp.failure = FailureKind::tls;
      long vr = SSL_get_verify_result(ssl);
      if (vr != X509_V_OK) {
        // Name the certificate, except for a name mismatch (that is about the leaf anyway).
        std::string which;
        if (failed->depth >= 0 && vr != X509_V_ERR_HOSTNAME_MISMATCH &&
            vr != X509_V_ERR_IP_ADDRESS_MISMATCH)
          which = std::string(" for ") + (failed->depth == 0 ? "leaf" : "intermediate") +
                  (failed->name.empty() ? "" : " '" + failed->name + "'");
        resp.error = "certificate verify failed" + which + ": " + X509_verify_cert_error_string(vr);
      }
      else
        resp.error = "TLS handshake failed: " + hec.message();
      // A plain-HTTP answer to our ClientHello reads as a bogus record version.
      if (hec.category() == asio::error::get_ssl_category() &&
          (ERR_GET_REASON(static_cast<unsigned long>(hec.value())) == SSL_R_WRONG_VERSION_NUMBER ||
           ERR_GET_REASON(static_cast<unsigned long>(hec.value())) == SSL_R_HTTP_REQUEST))
        resp.error += " - the server did not answer in TLS (plain HTTP on this port?)";
    }
    co_return resp;
  }
  resp.tls_version = tls_version_label(SSL_version(ssl));
  if (const SSL_CIPHER* c = SSL_get_current_cipher(ssl))
    if (const char* n = SSL_CIPHER_standard_name(c)) resp.tls_cipher = n;
  co_await exchange(tls, req, resp, ctx);
  co_return resp;
}

asio::awaitable<FetchChain> http_fetch_follow(Context& ctx, HttpRequest request,
                                              int max_redirects) {
  FetchChain chain;
  std::set<std::string> seen;
  HttpResponse total;  // phase sums over hops
  for (int hop = 0;; ++hop) {
    std::string url = request.url.to_string();
    chain.urls.push_back(url);
    seen.insert(url);
    HttpResponse r = co_await http_fetch(ctx, request);
    total.resolve += r.resolve;
    total.connect += r.connect;
    total.tls += r.tls;
    total.processing += r.processing;
    total.transfer += r.transfer;
    bool redirect = r.failure == FailureKind::none &&
                    (r.status == 301 || r.status == 302 || r.status == 303 || r.status == 307 ||
                     r.status == 308) &&
                    r.header("Location");
    if (!redirect || max_redirects == 0) {  // 0: not following; the 3xx is the answer
      chain.response = std::move(r);
      break;
    }
    std::string err;
    auto next = resolve_location(request.url, *r.header("Location"), &err);
    if (!next) {
      r.failure = FailureKind::protocol;
      r.error = "redirect to an invalid Location: " + err;
      chain.response = std::move(r);
      break;
    }
    if (seen.count(next->to_string())) {
      chain.redirect_loop = true;
      chain.urls.push_back(next->to_string());
      chain.response = std::move(r);
      break;
    }
    if (hop >= max_redirects) {
      chain.too_many_redirects = true;
      chain.response = std::move(r);
      break;
    }
    // 303 means GET; after 301/302 browsers and curl turn a POST into a GET too.
    if ((r.status == 303 && request.method != "HEAD") ||
        ((r.status == 301 || r.status == 302) && request.method == "POST")) {
      request.method = "GET";
      request.body.clear();
    }
    if (next->host != request.url.host) {
      request.address.reset();  // a redirect to another host leaves the pinned address
      request.sni.clear();
      // Credentials and a Host override belong to the configured host (curl drops them too).
      std::erase_if(request.headers, [](const auto& h) {
        return beast::iequals(h.first, "Authorization") || beast::iequals(h.first, "Cookie") ||
               beast::iequals(h.first, "Proxy-Authorization") || beast::iequals(h.first, "Host");
      });
    }
    request.url = *next;
  }
  chain.response.resolve = total.resolve;
  chain.response.connect = total.connect;
  chain.response.tls = total.tls;
  chain.response.processing = total.processing;
  chain.response.transfer = total.transfer;
  co_return chain;
}

}  // namespace lookout::net
