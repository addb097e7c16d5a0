// agent::AdminServer: the agent's own HTTP server (Beast), bound to 127.0.0.1 by default.
//   GET /metrics        Prometheus text format 0.0.4
//   GET /healthz        "ok"
//   GET /api/v1/checks  JSON: every check's current state and last result
// Runs on its own thread and io_context; handlers are std::functions set before start().
#pragma once

#include <functional>
#include <memory>
#include <string>
#include <thread>

namespace lookout::agent {

struct AdminHandlers {
  /// Starts one scrape: returns a function that appends the next part of the exposition to its
  /// argument and returns false when there is no more. Parts are written as HTTP chunks.
  std::function<std::function<bool(std::string&)>()> metrics_stream;
  std::function<void()> before_metrics;      // refresh gauges that are read on scrape
  std::function<std::string()> checks_json;  // JSON text
};

class AdminServer {
 public:
  AdminServer(std::string listen, AdminHandlers handlers);
  ~AdminServer();
  /// Binds and starts serving. Throws std::runtime_error when the address cannot be bound.
  void start();
  void stop();
  /// The bound address as host:port (useful with port 0).
  std::string address() const;

 private:
  struct Impl;
  std::unique_ptr<Impl> impl_;
};

}  // namespace lookout::agent
