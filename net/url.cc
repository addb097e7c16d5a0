#include "net/url.h"

#include <algorithm>
#include <cctype>

#include <boost/url/parse.hpp>
#include <boost/url/url.hpp>

namespace lookout::net {
namespace {

std::string lower(std::string s) {
  std::transform(s.begin(), s.end(), s.begin(),
                 [](unsigned char c) { return static_cast<char>(std::tolower(c)); });
  return s;
}

std::optional<Url> from_view(boost::urls::url_view u, std::string* error) {
  auto fail = [&](const char* why) -> std::optional<Url> {
    if (error) *error = why;
    return std::nullopt;
  };
  Url out;
  out.scheme = lower(std::string(u.scheme()));
  if (out.scheme != "http" && out.scheme != "https") return fail("scheme must be http or https");
  if (!u.has_authority() || u.host().empty()) return fail("URL has no host");
  if (u.has_userinfo()) return fail("credentials in URLs are not supported (use an Authorization header)");
  switch (u.host_type()) {
    case boost::urls::host_type::ipv4:
      out.host = u.host_ipv4_address().to_string();
      out.host_is_ip = true;
      break;
    case boost::urls::host_type::ipv6:
      out.host = u.host_ipv6_address().to_string();
      out.host_is_ip = true;
      break;
    case boost::urls::host_type::name:
      out.host = lower(std::string(u.host_name()));
      if (out.host.size() > 253) return fail("host name too long");
      // DNS names only (IDNs come as punycode): a space or UTF-8 here is junk, not a host
      if (!std::all_of(out.host.begin(), out.host.end(), [](unsigned char c) {
            return std::isalnum(c) || c == '-' || c == '.' || c == '_';
          }))
        return fail("bad host name");
      break;
    default:
      return fail("unsupported host");
  }
  if (u.has_port()) {
    std::string_view port = u.port();
    if (port.empty() || port.size() > 5 ||
        !std::all_of(port.begin(), port.end(), [](char c) { return c >= '0' && c <= '9'; }))
      return fail("bad port");
    unsigned long p = std::stoul(std::string(port));
    if (p == 0 || p > 65535) return fail("bad port");
    out.port = static_cast<uint16_t>(p);
  } else {
    out.port = out.is_https() ? 443 : 80;
  }
  std::string target(u.encoded_path());
  if (target.empty()) target.push_back('/');
  if (target.front() != '/') return fail("bad path");  // e.g. junk between host and path
  // RFC 3986 5.2.4: ".." above the root goes away ("/../g" -> "/g"); Boost.URL 1.81 keeps it
  // after resolve(), and servers answer "/../g" with 400.
  for (;;) {
    if (target.starts_with("/../")) target.erase(0, 3);
    else if (target == "/..") target = "/";
    else break;
  }
  if (u.has_query()) target += "?" + std::string(u.encoded_query());
  out.target = target;
  return out;
}

}  // namespace

std::string Url::host_header() const {
  // appended piece by piece: "[" + std::string trips GCC 12's -Wrestrict false positive at -O3
  bool v6 = host.find(':') != std::string::npos;
  std::string h;
  if (v6) h += '[';
  h += host;
  if (v6) h += ']';
  bool default_port = (is_https() && port == 443) || (!is_https() && port == 80);
  if (!default_port) h += ":" + std::to_string(port);
  return h;
}

std::string Url::to_string() const { return scheme + "://" + host_header() + target; }

std::optional<Url> parse_url(std::string_view text, std::string* error) {
  if (text.size() > 8192) {
    if (error) *error = "URL longer than 8192 bytes";
    return std::nullopt;
  }
  auto r = boost::urls::parse_uri(text);  // a #fragment is allowed and dropped
  if (!r) {
    if (error) *error = "not a valid absolute URL";
    return std::nullopt;
  }
  return from_view(*r, error);
}

std::optional<Url> resolve_location(const Url& base, std::string_view location,
                                    std::string* error) {
  const std::string base_text = base.to_string();  // the view below points into it
  auto base_url = boost::urls::parse_absolute_uri(base_text);
  // Servers send raw spaces and UTF-8 in Location; encode them as browsers and curl do.
  while (!location.empty() && (location.front() == ' ' || location.front() == '\t'))
    location.remove_prefix(1);
  while (!location.empty() && (location.back() == ' ' || location.back() == '\t'))
    location.remove_suffix(1);
  std::string encoded;
  for (unsigned char c : location) {
    if (c <= 0x20 || c >= 0x7f || c == '"' || c == '<' || c == '>' || c == '\\' || c == '^' ||
        c == '`' || c == '{' || c == '|' || c == '}') {
      static constexpr char kHex[] = "0123456789ABCDEF";
      encoded += '%';
      encoded += kHex[c >> 4];
      encoded += kHex[c & 15];
    } else {
      encoded += static_cast<char>(c);
    }
  }
  auto ref = boost::urls::parse_uri_reference(encoded);
  if (!base_url || !ref) {
    if (error) *error = "bad Location header";
    return std::nullopt;
  }
  boost::urls::url dest;
  auto rr = boost::urls::resolve(*base_url, *ref, dest);
  if (!rr) {
    if (error) *error = "bad Location header";
    return std::nullopt;
  }
  dest.remove_fragment();
  return from_view(dest, error);
}

bool split_host_port(std::string_view text, std::string& host, uint16_t& port,
                     uint16_t default_port, bool allow_port_zero) {
  port = default_port;
  if (text.empty()) return false;
  auto parse_port = [&](std::string_view p) {
    if (p.empty() || p.size() > 5) return false;
    unsigned v = 0;
    for (char c : p) {
      if (!std::isdigit(static_cast<unsigned char>(c))) return false;
      v = v * 10 + static_cast<unsigned>(c - '0');
    }
    if ((v == 0 && !allow_port_zero) || v > 65535) return false;
    port = static_cast<uint16_t>(v);
    return true;
  };
  if (text.front() == '[') {
    auto close = text.find(']');
    if (close == std::string_view::npos) return false;
    host = std::string(text.substr(1, close - 1));
    auto rest = text.substr(close + 1);
    if (rest.empty()) return !host.empty();
    if (rest.front() != ':') return false;
    return parse_port(rest.substr(1)) && !host.empty();
  }
  auto colon = text.rfind(':');
  if (colon != std::string_view::npos && text.find(':') == colon) {
    host = std::string(text.substr(0, colon));
    return parse_port(text.substr(colon + 1)) && !host.empty();
  }
  host = std::string(text);  // bare host or bare IPv6 literal
  return true;
}

}  // namespace lookout::net
