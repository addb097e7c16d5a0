// probes::Probe: one check type behind one asynchronous entry point.
// A probe never throws for target-caused failures: network trouble is a Result.
#pragma once

#include <chrono>
#include <memory>
#include <string>
#include <vector>

#include <boost/asio/any_io_executor.hpp>
#include <boost/asio/awaitable.hpp>

#include "config/check_spec.h"
#include "config/clock.h"
#include "net/context.h"
#include "probes/result.h"

namespace lookout::probes {

class History;

/// Everything the config says about one check (plain data, defined by config/).
using CheckSpec = config::CheckSpec;

/// Per-run context handed to a probe by the engine (or by the one-shot CLI): the network
/// context (executor, resolver, TLS contexts, deadline) plus the check and its stored history.
/// Lives at least as long as the run; the resolver and TLS contexts belong to the worker.
struct ProbeContext : net::Context {
  const CheckSpec& spec;
  /// Stored history; never null in the agent, a MemoryHistory for one-shot runs.
  History* history = nullptr;
  /// Wall-clock time for verdicts that depend on it (days left, days exposed); injected.
  const Clock* clock = &SystemClock::instance();

  ProbeContext(boost::asio::any_io_executor executor, net::Resolver& resolver,
               net::TlsContexts& tls, const CheckSpec& spec,
               std::chrono::steady_clock::time_point deadline, History* history = nullptr,
               const Clock& clock = SystemClock::instance())
      : net::Context{std::move(executor), resolver, tls, deadline, spec.timeout},
        spec(spec),
        history(history),
        clock(&clock) {}

  Clock::time_point now() const { return clock->now(); }
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
