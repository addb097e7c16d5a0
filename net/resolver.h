// net::Resolver: c-ares on Asio, one per worker io_context. Never blocks the thread.
// Lifetime: created and used only on its io_context's thread; outlives all queries.
#pragma once

#include <chrono>
#include <cstdint>
#include <memory>
#include <optional>
#include <string_view>
#include <string>
#include <vector>

#include <boost/asio/any_io_executor.hpp>
#include <boost/asio/awaitable.hpp>
#include <boost/asio/ip/address.hpp>

#include "net/resolver_options.h"

namespace lookout::net {

enum class AddressFamily { any, v4, v6 };

struct ResolveResult {
  bool ok = false;
  bool timed_out = false;
  std::string error;  // "NXDOMAIN", "timeout", ... when !ok
  std::vector<boost::asio::ip::address> addresses;
  bool from_cache = false;
  int ttl_seconds = 0;  // smallest TTL in the answer (0 for IP literals)
};

/// A raw DNS answer for probes that read records themselves (dns, dnsbl).
struct DnsAnswer {
  int ares_status = 0;  // ARES_SUCCESS, ARES_ENOTFOUND (NXDOMAIN), ARES_ETIMEOUT, ...
  bool timed_out = false;
  int rcode = -1;      // from the reply header when a reply arrived, else -1
  std::vector<unsigned char> raw;  // the full reply message (empty without a reply)
  std::string error;   // readable reason when ares_status != success
};

struct ResolverStats {
  uint64_t cache_hits = 0;
  uint64_t cache_misses = 0;
};

class Resolver {
 public:
  Resolver(boost::asio::any_io_executor executor, ResolverOptions options);
  ~Resolver();
  Resolver(const Resolver&) = delete;
  Resolver& operator=(const Resolver&) = delete;

  /// Host name -> addresses (A and/or AAAA), cached for the answer's TTL.
  /// IP literals return at once. Completes by `deadline` at the latest (timed_out).
  boost::asio::awaitable<ResolveResult> resolve(std::string host, AddressFamily family,
                                                std::chrono::steady_clock::time_point deadline);

  /// One query of `type` (ns_t_a, ns_t_txt, ...) class IN, not cached, not searched.
  /// `servers` overrides the resolver's servers for this query ("ip[:port]" list).
  boost::asio::awaitable<DnsAnswer> query(std::string name, int type,
                                          std::chrono::steady_clock::time_point deadline,
                                          std::vector<std::string> servers = {});

  ResolverStats stats() const;
  const ResolverOptions& options() const;

 private:
  struct Impl;
  std::shared_ptr<Impl> impl_;
};

/// Parses an IP literal ("127.0.0.1", "::1", "[::1]"); nullopt when not an IP.
std::optional<boost::asio::ip::address> parse_ip(std::string_view text);

}  // namespace lookout::net
