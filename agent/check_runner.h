// agent::run_check: runs one probe under a hard deadline, whatever the probe does.
// Shared by the scheduler and the one-shot CLI so both judge a check the same way.
#pragma once

#include <memory>

#include <boost/asio/awaitable.hpp>

#include "config/clock.h"
#include "probes/probe.h"

namespace lookout::agent {

/// Runs `probe` with `ctx`. Returns the probe's result, or a `timeout` result if it has not
/// finished shortly after ctx->deadline (the probe is then abandoned; it keeps `probe` and
/// `ctx` alive until its own I/O timeouts end it). Exceptions become `internal` results.
/// Fills started (from `clock`) and duration_seconds.
boost::asio::awaitable<probes::Result> run_check(probes::ProbePtr probe,
                                                 std::shared_ptr<probes::ProbeContext> ctx,
                                                 std::shared_ptr<const void> keep_alive = {},
                                                 const Clock& clock = SystemClock::instance());

}  // namespace lookout::agent
