// Shared by the DNS and DNSBL probe tests: the estate's DNS server alone on its own thread, and
// one probe run (build from YAML options, run on a fresh io_context and c-ares resolver that
// asks that server).
#pragma once

#include <chrono>
#include <exception>
#include <string>
#include <thread>

#include <boost/asio/co_spawn.hpp>
#include <boost/asio/io_context.hpp>

#include "probes/history.h"
#include "net/resolver.h"
#include "net/tls_context.h"
#include "probes/probe_registry.h"
#include "tests/estate/estate.h"

namespace lookout::probes::testing {

class DnsEstate {
 public:
  DnsEstate() : estate_(estate::EstateOptions{}) {
    estate::start_dns_server(estate_);
    thread_ = std::thread([this] { estate_.io().run(); });
  }
  ~DnsEstate() {
    estate_.io().stop();
    thread_.join();
  }
  std::string server() const { return estate_.endpoint("dns"); }

 private:
  estate::Estate estate_;
  std::thread thread_;
};

inline DnsEstate& dns_estate() {
  static DnsEstate e;
  return e;
}

struct ProbeRun {
  bool built = false;
  std::string errors;
  Result result;
  double seconds = 0;
};

inline ProbeRun run_probe(const ProbeKind& kind, const std::string& target,
                          const std::string& options_yaml, std::chrono::milliseconds timeout,
                          std::chrono::milliseconds query_timeout) {
  ProbeRun out;
  CheckSpec spec;
  spec.type = kind.name;
  spec.target = target;
  spec.timeout = timeout;
  config::OptionMap options;
  options.add_layer(YAML::Load(options_yaml.empty() ? "{}" : options_yaml), "checks[0]");
  config::Errors errors("test.yaml");
  auto probe = kind.build(spec, options, errors);
  options.report_unknown(errors);
  out.errors = errors.to_string();
  if (!probe || !errors.empty()) return out;
  out.built = true;

  boost::asio::io_context io;
  net::ResolverOptions ropts;
  ropts.servers = {dns_estate().server()};
  ropts.query_timeout = query_timeout;
  net::Resolver resolver(io.get_executor(), ropts);
  net::TlsContexts tls;
  MemoryHistory history;
  auto t0 = std::chrono::steady_clock::now();
  ProbeContext ctx{io.get_executor(), resolver, tls, spec, t0 + timeout, &history};
  boost::asio::co_spawn(io, probe->run(ctx), [&](std::exception_ptr e, Result r) {
    if (e) std::rethrow_exception(e);
    out.result = std::move(r);
    io.stop();  // the resolver keeps watching its sockets: stop once the probe is done
  });
  io.run();
  out.seconds = std::chrono::duration<double>(std::chrono::steady_clock::now() - t0).count();
  return out;
}

}  // namespace lookout::probes::testing
