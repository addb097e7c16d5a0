#include "agent/check_runner.h"

#include <optional>

#include <boost/asio/as_tuple.hpp>
#include <boost/asio/co_spawn.hpp>
#include <boost/asio/steady_timer.hpp>
#include <boost/asio/use_awaitable.hpp>

namespace lookout::agent {
namespace asio = boost::asio;
using probes::FailureKind;
using probes::Result;
using probes::Status;

namespace {
// Probes own per-operation timeouts ending at the deadline; this margin only catches a probe
// that ignores its deadline.
constexpr auto kGrace = std::chrono::milliseconds(500);

struct Race {
  explicit Race(asio::any_io_executor ex) : timer(ex) {}
  asio::steady_timer timer;
  std::optional<Result> result;
};
}  // namespace

asio::awaitable<Result> run_check(probes::ProbePtr probe, std::shared_ptr<probes::ProbeContext> ctx,
                                  std::shared_ptr<const void> keep_alive, const Clock& clock) {
  auto started_wall = clock.now();
  auto started = std::chrono::steady_clock::now();
  auto race = std::make_shared<Race>(ctx->executor);
  race->timer.expires_at(ctx->deadline + kGrace);
  asio::co_spawn(
      ctx->executor,
      [probe, ctx, keep_alive]() -> asio::awaitable<Result> { co_return co_await probe->run(*ctx); },
      [race](std::exception_ptr e, Result r) {
        if (e) {
          std::string what = "unexpected error";
          try {
            std::rethrow_exception(e);
          } catch (const std::exception& ex) {
            what = ex.what();
          } catch (...) {
          }
          r = probes::make_result(Status::unknown, FailureKind::internal,
                                  "internal error in the probe: " + what);
        }
        race->result = std::move(r);
        race->timer.cancel();
      });
  co_await race->timer.async_wait(asio::as_tuple(asio::use_awaitable));
  Result r;
  if (race->result) {
    r = std::move(*race->result);
  } else {
    r = probes::make_result(
        Status::critical, FailureKind::timeout,
        "check did not finish within its timeout of " +
            probes::human_duration(std::chrono::duration<double>(ctx->spec.timeout).count()));
  }
  r.started = started_wall;
  r.duration_seconds =
      std::chrono::duration<double>(std::chrono::steady_clock::now() - started).count();
  co_return r;
}

}  // namespace lookout::agent
