#include "agent/check_health.h"

#include <nlohmann/json.hpp>

namespace lookout::agent {

HealthStep advance(CheckHealth& h, const probes::Result& r) {
  HealthStep step;
  step.previous = h.status;
  step.first = h.last_json.empty();
  step.transition = step.first || h.status != r.status;
  if (step.transition) {
    h.status = r.status;
    h.since = r.started;
  }
  h.last_run = r.started;
  h.consecutive_failures = r.status == probes::Status::ok ? 0 : h.consecutive_failures + 1;
  h.last_json = r.to_json().dump(-1, ' ', false, nlohmann::json::error_handler_t::replace);
  h.last_json.shrink_to_fit();
  return step;
}

CheckHealth restore_health(store::StoredState stored) {
  CheckHealth h;
  h.status = stored.status;
  h.since = stored.since;
  h.last_run = stored.last_run;
  h.consecutive_failures = stored.consecutive_failures;
  h.last_json = std::move(stored.last_result);
  return h;
}

}  // namespace lookout::agent
