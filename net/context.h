// net::Context: what one network operation needs, for probes and sinks alike: the worker's
// executor, its resolver, the shared TLS contexts and a hard deadline. Knows nothing of checks.
#pragma once

#include <chrono>

#include <boost/asio/any_io_executor.hpp>

namespace lookout::net {

class Resolver;
class TlsContexts;

struct Context {
  boost::asio::any_io_executor executor;
  Resolver& resolver;
  TlsContexts& tls;
  /// Hard deadline for the whole operation. Every network call must end by then.
  std::chrono::steady_clock::time_point deadline;
  /// The configured timeout the deadline came from, for messages ("timeout after 10 s").
  std::chrono::milliseconds timeout{0};

  std::chrono::steady_clock::duration remaining() const {
    auto r = deadline - std::chrono::steady_clock::now();
    return r.count() > 0 ? r : std::chrono::steady_clock::duration::zero();
  }
};

}  // namespace lookout::net
