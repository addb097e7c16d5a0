#include "agent/oneshot.h"

#include <algorithm>
#include <cstdio>

#include <boost/asio/co_spawn.hpp>
#include <boost/asio/io_context.hpp>

#include "agent/check_runner.h"
#include "config/options.h"
#include "probes/history.h"
#include "net/resolver.h"
#include "net/tls_context.h"
#include "probes/probe_registry.h"

namespace lookout::agent {
namespace asio = boost::asio;

OneShotOutcome run_one_check(const OneShotRequest& request) {
  OneShotOutcome out;
  const probes::ProbeKind* kind = probes::find_probe_kind(request.type);
  if (!kind) {
    out.errors.add(YAML::Node(YAML::NodeType::Undefined), "--type",
                   "unknown check type '" + request.type + "'");
    return out;
  }
  probes::CheckSpec spec;
  spec.client_id = "cli";
  spec.site_id = "cli";
  spec.check_id = request.type;
  spec.type = request.type;
  spec.target = request.target;
  spec.timeout = request.timeout;
  spec.interval = std::max<std::chrono::milliseconds>(request.timeout, std::chrono::seconds(60));

  YAML::Node layer(YAML::NodeType::Map);
  for (const auto& [key, values] : request.options) {
    if (values.size() == 1) {
      layer[key] = values.front();
    } else {
      YAML::Node seq(YAML::NodeType::Sequence);
      for (const auto& v : values) seq.push_back(v);
      layer[key] = seq;
    }
  }
  config::OptionMap options;
  options.add_layer(layer, "");
  auto probe = kind->build(spec, options, out.errors);
  options.report_unknown(out.errors);
  if (!probe || !out.errors.empty()) return out;
  out.valid = true;

  asio::io_context io;
  net::ResolverOptions ropts;
  ropts.servers = request.resolver_servers;
  std::unique_ptr<net::Resolver> resolver;
  try {
    resolver = std::make_unique<net::Resolver>(io.get_executor(), ropts);
  } catch (const std::exception& e) {
    out.valid = false;
    out.errors.add(YAML::Node(YAML::NodeType::Undefined), "--resolver", e.what());
    return out;
  }
  net::TlsContexts tls;
  probes::MemoryHistory history;
  auto ctx = std::make_shared<probes::ProbeContext>(probes::ProbeContext{
      io.get_executor(), *resolver, tls, spec,
      std::chrono::steady_clock::now() + request.timeout, &history});
  asio::co_spawn(io, run_check(probe, ctx), [&](std::exception_ptr e, probes::Result r) {
    if (e)
      out.result = probes::make_result(probes::Status::unknown, probes::FailureKind::internal,
                                       "internal error");
    else
      out.result = std::move(r);
    io.stop();  // c-ares may keep idle sockets watched; the run is over
  });
  io.run();
  return out;
}

nlohmann::json oneshot_json(const probes::Result& result, const std::string& type,
                            const std::string& target) {
  nlohmann::json j = result.to_json();
  j["type"] = type;
  j["target"] = target;
  for (auto it = result.facts.begin(); it != result.facts.end(); ++it) j[it.key()] = it.value();
  j["check_status"] = to_string(result.status);
  j["exit_code"] = static_cast<int>(result.status);
  return j;
}

std::string nagios_line(const probes::Result& result, const std::string& type) {
  std::string status(to_string(result.status));
  std::transform(status.begin(), status.end(), status.begin(), ::toupper);
  std::string name = type;
  std::transform(name.begin(), name.end(), name.begin(), ::toupper);
  // '|' starts the performance data in the plugin protocol, and a summary can hold one (a page
  // title "Home | Acme" as keyword): show it as a broken bar. One line: no newlines either.
  std::string text;
  for (char c : result.summary) {
    if (c == '|') text += "\u00a6";
    else if (c == '\n' || c == '\r') text += ' ';
    else text += c;
  }
  std::string line = name + " " + status + " - " + text;
  char buf[64];
  std::snprintf(buf, sizeof buf, " | time=%.6fs", result.duration_seconds);
  line += buf;
  for (const auto& [phase, v] : result.phases) {
    std::snprintf(buf, sizeof buf, " %s=%.6fs", phase.c_str(), v);
    line += buf;
  }
  return line;
}

}  // namespace lookout::agent
