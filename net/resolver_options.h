// net::ResolverOptions: how names are resolved (c-ares). Plain data: the config carries it.
#pragma once

#include <chrono>
#include <cstddef>
#include <string>
#include <vector>

namespace lookout::net {

struct ResolverOptions {
  /// "ip[:port]" servers; empty = the system's (/etc/resolv.conf).
  std::vector<std::string> servers;
  std::chrono::milliseconds query_timeout{2000};  // per try
  int tries = 2;
  size_t cache_max_entries = 100'000;
  std::chrono::seconds negative_ttl{30};
  std::chrono::seconds max_ttl{3600};
};

}  // namespace lookout::net
