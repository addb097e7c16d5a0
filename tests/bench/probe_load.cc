// probe_load: drives one real probe (the agent's code path: probe + run_check + resolver + the
// shared network layer; a fresh connection per run) at a fixed concurrency for a fixed time and
// prints one JSON object: probes, failures, probes_per_s, cpu_us_per_probe (this process's
// user+sys CPU from getrusage divided by probes). Options use the config's keys:
//   probe_load --type tls --target 127.0.0.1:8443 --option ca_file=/x/ca.pem
// Used by scripts/bench.d/10-http.sh and 35-tls.sh.
#include <sys/resource.h>

#include <atomic>
#include <iostream>
#include <thread>

#include <CLI/CLI.hpp>
#include <boost/asio/co_spawn.hpp>
#include <boost/asio/detached.hpp>
#include <boost/asio/io_context.hpp>
#include <nlohmann/json.hpp>

#include "agent/check_runner.h"
#include "config/options.h"
#include "probes/history.h"
#include "net/resolver.h"
#include "net/tls_context.h"
#include "probes/probe_registry.h"

using namespace lookout;
namespace asio = boost::asio;

int main(int argc, char** argv) {
  CLI::App app{"probe load harness"};
  std::string type = "http", target;
  std::vector<std::string> option_args;
  int concurrency = 32, threads = 1;
  double seconds = 10;
  app.add_option("--type", type);
  app.add_option("--target", target)->required();
  app.add_option("--option", option_args, "key=value, as in the config (repeatable)");
  app.add_option("--concurrency", concurrency);
  app.add_option("--threads", threads);
  app.add_option("--seconds", seconds);
  CLI11_PARSE(app, argc, argv);

  probes::CheckSpec spec;
  spec.client_id = "bench";
  spec.site_id = "bench";
  spec.check_id = type;
  spec.type = type;
  spec.target = target;
  spec.timeout = std::chrono::seconds(10);
  YAML::Node opts(YAML::NodeType::Map);
  for (const auto& kv : option_args) {
    auto eq = kv.find('=');
    if (eq == std::string::npos) {
      std::cerr << "--option wants key=value, got '" << kv << "'\n";
      return 2;
    }
    opts[kv.substr(0, eq)] = kv.substr(eq + 1);
  }
  config::OptionMap options;
  options.add_layer(opts, "");
  config::Errors errors("<bench>");
  const probes::ProbeKind* kind = probes::find_probe_kind(type);
  if (!kind) {
    std::cerr << "unknown type " << type << "\n";
    return 2;
  }
  auto probe = kind->build(spec, options, errors);
  options.report_unknown(errors);
  if (!probe || !errors.empty()) {
    std::cerr << errors.to_string();
    return 2;
  }

  net::TlsContexts tls;
  std::atomic<uint64_t> done{0}, failed{0};
  rusage ru0{};
  getrusage(RUSAGE_SELF, &ru0);
  auto start = std::chrono::steady_clock::now();
  auto end = start + std::chrono::duration<double>(seconds);
  std::vector<std::thread> pool;
  for (int t = 0; t < threads; ++t) {
    pool.emplace_back([&, t] {
      asio::io_context io;
      net::Resolver resolver(io.get_executor(), {});
      probes::MemoryHistory history;
      int mine = concurrency / threads + (t < concurrency % threads ? 1 : 0);
      for (int i = 0; i < mine; ++i) {
        asio::co_spawn(io, [&]() -> asio::awaitable<void> {
          while (std::chrono::steady_clock::now() < end) {
            auto ctx = std::make_shared<probes::ProbeContext>(probes::ProbeContext{
                io.get_executor(), resolver, tls, spec,
                std::chrono::steady_clock::now() + spec.timeout, &history});
            auto r = co_await agent::run_check(probe, ctx);
            done++;
            if (r.status != probes::Status::ok) failed++;
          }
        }, asio::detached);
      }
      io.run();
    });
  }
  for (auto& t : pool) t.join();
  double wall = std::chrono::duration<double>(std::chrono::steady_clock::now() - start).count();
  rusage ru1{};
  getrusage(RUSAGE_SELF, &ru1);
  auto us = [](const timeval& tv) { return tv.tv_sec * 1e6 + tv.tv_usec; };
  double cpu_us = us(ru1.ru_utime) - us(ru0.ru_utime) + us(ru1.ru_stime) - us(ru0.ru_stime);
  nlohmann::json j{{"probes", done.load()},
                   {"failures", failed.load()},
                   {"seconds", wall},
                   {"probes_per_s", done.load() / wall},
                   {"cpu_us_per_probe", done.load() ? cpu_us / done.load() : 0.0}};
  std::cout << j.dump() << std::endl;
  return 0;
}
