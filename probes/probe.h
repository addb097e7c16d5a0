// probes::Probe: one check type behind one asynchronous entry point.
// A probe never throws for target-caused failures: network trouble is a Result.
#pragma once

#include <chrono>
#include <memory>
#include <string>
#include <vector>

#include <boost/asio/any_io_executor.hpp>
#include <boost/asio/awaitable.hpp>

#include "probes/result.h"

namespace lookout::probes {

namespace net {
class Resolver;
class TlsContexts;
}  // namespace net
class History;

/// Everything the config says about one check, after inheritance. Immutable once built.
struct CheckSpec {
  std::string client_id;
  std::string site_id;
  std::string check_id;
  std::string type;
  std::string site_url;  // the site's URL; may be empty for one-shot checks
  std::string target;    // what to probe (URL, host[:port], name, path...), defaulted per type
  std::chrono::milliseconds interval{60'000};
  std::chrono::milliseconds timeout{10'000};
  std::chrono::milliseconds retry_interval{60'000};
  /// "client/site/check": the stable key used by the store and the scheduler.
  std::string key() const { return client_id + "/" + site_id + "/" + check_id; }
};

/// Per-run context handed to a probe by the engine (or by the one-shot CLI).
/// Lives at least as long as the run; the resolver and TLS contexts belong to the worker.
struct ProbeContext {
  boost::asio::any_io_executor executor;
  net::Resolver& resolver;
  net::TlsContexts& tls;
  const CheckSpec& spec;
  /// Hard deadline for the whole run. Every network operation must end by then.
  std::chrono::steady_clock::time_point deadline;
  /// Stored history; never null in the agent, a MemoryHistory for one-shot runs.
  History* history = nullptr;

  std::chrono::steady_clock::duration remaining() const {
    auto r = deadline - std::chrono::steady_clock::now();
    return r.count() > 0 ? r : std::chrono::steady_clock::duration::zero();
  }
};

class Probe {
 public:
  virtual ~Probe() = default;
  /// Runs the check once. Must finish by ctx.deadline (the engine also enforces it).
  virtual boost::asio::awaitable<Result> run(ProbeContext& ctx) = 0;
  /// Host name used for the per-host concurrency limit ("" = no limit applies).
  virtual std::string host_key() const { return {}; }
};

using ProbePtr = std::shared_ptr<Probe>;

}  // namespace lookout::probes
