// Listeners of check events that the daemon wires to the engine: the store (results, batched)
// and the log (one line per state transition). Metrics listen through AgentMetrics itself.
#pragma once

#include "agent/check_events.h"
#include "store/store.h"

namespace lookout::agent {

/// Records every result in the store (batched write-behind: never blocks the worker).
class StoreRecorder final : public CheckListener {
 public:
  explicit StoreRecorder(store::Store& store) : store_(store) {}
  void on_check_result(const CheckEvent& e) override;

 private:
  store::Store& store_;
};

/// One log line per state transition: "acme/www/http: ok -> critical: HTTP 503 ...".
class TransitionLog final : public CheckListener {
 public:
  void on_check_result(const CheckEvent& e) override;
};

}  // namespace lookout::agent
