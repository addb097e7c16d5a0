// A parsed http(s) URL, on Boost.URL.
#pragma once

#include <cstdint>
#include <optional>
#include <string>
#include <string_view>

namespace lookout::net {

struct Url {
  std::string scheme;  // "http" or "https"
  std::string host;    // without brackets for IPv6 literals; lower-case
  uint16_t port = 0;   // explicit or the scheme default
  std::string target;  // path + query, at least "/"
  bool host_is_ip = false;

  bool is_https() const { return scheme == "https"; }
  /// Host header value: host, or host:port when the port is not the default; IPv6 in brackets.
  std::string host_header() const;
  /// Back to text: scheme://host[:port]/target
  std::string to_string() const;
};

/// Parses an absolute http/https URL. On failure returns nullopt and sets `error`.
std::optional<Url> parse_url(std::string_view text, std::string* error = nullptr);

/// Resolves a redirect Location (absolute or relative) against `base`.
std::optional<Url> resolve_location(const Url& base, std::string_view location,
                                    std::string* error = nullptr);

/// "host:port" / "[v6]:port" / "host" -> host and port (default_port when absent). Port 0 is
/// refused unless `allow_port_zero` (a listen address: the system picks a free port).
bool split_host_port(std::string_view text, std::string& host, uint16_t& port,
                     uint16_t default_port, bool allow_port_zero = false);

}  // namespace lookout::net
