#include "agent/check_listeners.h"

#include <spdlog/spdlog.h>

namespace lookout::agent {

void StoreRecorder::on_check_result(const CheckEvent& e) {
  store_.record_result(e.check.spec.key(), e.result,
                       store::HealthRecord{e.previous, e.since, e.consecutive_failures});
}

void TransitionLog::on_check_result(const CheckEvent& e) {
  if (!e.transition) return;
  // A first result that is ok is not news; a first failure is.
  if (e.first && e.result.status == probes::Status::ok) return;
  auto level = e.result.status == probes::Status::ok ? spdlog::level::info : spdlog::level::warn;
  spdlog::log(level, "{}: {} -> {}: {}", e.check.spec.key(),
              e.first ? "new" : to_string(e.previous), to_string(e.result.status),
              e.result.summary);
}

}  // namespace lookout::agent
