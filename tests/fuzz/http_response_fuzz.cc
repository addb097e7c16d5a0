// libFuzzer target: HTTP response handling as net::http_fetch does it (net/http_client.cc):
// a Beast response_parser<buffer_body> with the request's header limit, no Beast body limit,
// the body read through a 16 KiB window and kept up to the request's body limit, HEAD skipping
// the body; then, for a redirect, the Location resolved as http_fetch_follow does. The input
// arrives over a beast test stream in pieces (first byte: piece size; second byte: method), so
// a message split anywhere must still parse. The limits are HttpRequest's defaults (64 KiB
// header, 1 MiB body); http_response.options raises -max_len so the header limit is reachable.
#include <algorithm>
#include <cstddef>
#include <cstdint>
#include <cstdlib>
#include <string>

#include <boost/asio/io_context.hpp>
#include <boost/beast/_experimental/test/stream.hpp>
#include <boost/beast/core.hpp>
#include <boost/beast/http.hpp>

#include "net/http_client.h"
#include "net/url.h"

namespace beast = boost::beast;
namespace http = beast::http;
using lookout::net::HttpRequest;

extern "C" int LLVMFuzzerTestOneInput(const uint8_t* data, size_t size) {
  if (size < 2) return 0;
  const size_t piece = 1 + data[0] % 64 * 17;  // 1..1072 bytes per read
  const bool head = data[1] & 1;
  data += 2;
  size -= 2;

  const HttpRequest defaults;
  const size_t header_limit = defaults.header_limit;
  const size_t body_limit = defaults.body_limit;

  boost::asio::io_context io;
  beast::test::stream stream(io);
  beast::test::stream peer(io);
  stream.connect(peer);
  stream.read_size(piece);
  peer.write_some(boost::asio::buffer(data, size));
  peer.close();  // the server closes after the response, as with Connection: close

  beast::flat_buffer buffer;
  http::response_parser<http::buffer_body> parser;
  parser.header_limit(static_cast<uint32_t>(std::min<size_t>(header_limit, UINT32_MAX)));
  parser.body_limit(boost::none);
  if (head) parser.skip(true);

  beast::error_code ec;
  http::read_header(stream, buffer, parser, ec);
  if (ec) return 0;
  const auto& header = parser.get();
  unsigned status = header.result_int();
  std::string location;
  for (const auto& f : header.base()) {
    if (beast::iequals(f.name_string(), "location")) location = std::string(f.value());
  }

  std::string body;
  bool truncated = false;
  char chunk[16 * 1024];
  while (!parser.is_done()) {
    parser.get().body().data = chunk;
    parser.get().body().size = sizeof chunk;
    http::read(stream, buffer, parser, ec);
    if (ec == http::error::need_buffer) ec = {};
    size_t got = sizeof chunk - parser.get().body().size;
    if (got) {
      size_t room = body_limit > body.size() ? body_limit - body.size() : 0;
      body.append(chunk, std::min(room, got));
      if (body.size() >= body_limit && !parser.is_done()) {
        truncated = true;
        break;
      }
    }
    if (ec) break;
  }
  if (body.size() > body_limit) std::abort();
  (void)truncated;

  if (status >= 300 && status < 400 && !location.empty()) {
    auto base = lookout::net::parse_url("http://example.com:8080/a/b?c=d");
    if (!base) std::abort();
    std::string err;
    if (auto next = lookout::net::resolve_location(*base, location, &err)) {
      if (next->scheme != "http" && next->scheme != "https") std::abort();
      if (next->target.empty() || next->target[0] != '/') std::abort();
      (void)next->to_string();
      (void)next->host_header();
    } else if (err.empty()) {
      std::abort();
    }
  }
  return 0;
}
