// agent::AdminServer: the agent's own HTTP server (Beast), bound to 127.0.0.1 by default.
//   GET /metrics        Prometheus text format 0.0.4
//   GET /healthz        "ok"
//   anything else       handed to the API handler (agent/api.h: /api/v1/..., JSON errors)
// Runs on its own thread and io_context; handlers are std::functions set before start().
// See docs/api.md.
#pragma once

#include <functional>
#include <memory>
#include <string>
#include <string_view>
#include <thread>
#include <utility>
#include <vector>

namespace lookout::agent {

/// One HTTP answer from a handler (the server adds Server, Content-Length and keep-alive).
struct HttpAnswer {
  int status = 200;
  std::string content_type = "application/json";
  std::vector<std::pair<std::string, std::string>> headers;  // extra: Link, Allow, ...
  std::string body;
};

struct AdminHandlers {
  /// Starts one scrape: returns a function that appends the next part of the exposition to its
  /// argument and returns false when there is no more. Parts are written as HTTP chunks.
  std::function<std::function<bool(std::string&)>()> metrics_stream;
  std::function<void()> before_metrics;      // refresh gauges that are read on scrape
  /// Every request that is not /metrics or /healthz: (method, target) -> answer.
  std::function<HttpAnswer(std::string_view method, std::string_view target)> api;
  /// When set, used instead of `api`, with the Authorization header and the body (mutations).
  std::function<HttpAnswer(std::string_view method, std::string_view target,
                           std::string_view authorization, std::string_view body)>
      api_request;
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
