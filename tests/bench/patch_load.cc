// patch_load: drives the real patch probe (probe + run_check + resolver + Beast client, fresh
// connections, the polite multi-GET plan) against CMS sites at a fixed concurrency for a fixed
// time, then times the pure detector on the sites' home pages. Prints one JSON object:
// probes, failures, probes_per_s, requests_per_s, cpu_us_per_probe (this process's user+sys
// CPU from getrusage / probes), detect_docs_per_s, detect_MB_per_s.
// Used by scripts/bench.d/50-patch.sh, which serves the sites from a separate lookout-estate.
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
#include "probes/cms_detector.h"
#include "probes/history.h"
#include "net/http_client.h"
#include "net/resolver.h"
#include "net/tls_context.h"
#include "probes/probe_registry.h"

using namespace lookout;
namespace asio = boost::asio;

namespace {

double cpu_us_now() {
  rusage ru{};
  getrusage(RUSAGE_SELF, &ru);
  auto us = [](const timeval& tv) { return tv.tv_sec * 1e6 + tv.tv_usec; };
  return us(ru.ru_utime) + us(ru.ru_stime);
}

}  // namespace

int main(int argc, char** argv) {
  CLI::App app{"patch probe load harness"};
  std::vector<std::string> sites;
  std::string catalog;
  int concurrency = 16;
  double seconds = 10, detect_seconds = 3;
  app.add_option("--site", sites, "CMS site URL (repeatable; probes cycle through them)")->required();
  app.add_option("--catalog", catalog, "release catalogue (default: bundled)");
  std::string directory_api;
  bool components = true;
  app.add_option("--directory-api", directory_api,
                 "WordPress.org plugin/theme API base (a local server: benchmarks stay offline)");
  app.add_option("--components", components, "plugin and theme pass on (default) or off");
  app.add_option("--concurrency", concurrency);
  app.add_option("--seconds", seconds);
  app.add_option("--detect-seconds", detect_seconds);
  CLI11_PARSE(app, argc, argv);

  std::vector<probes::CheckSpec> specs(sites.size());
  std::vector<probes::ProbePtr> probes_;
  for (size_t i = 0; i < sites.size(); ++i) {
    specs[i].client_id = "bench";
    specs[i].site_id = "site" + std::to_string(i);
    specs[i].check_id = "patch";
    specs[i].type = "patch";
    specs[i].site_url = sites[i];
    specs[i].timeout = std::chrono::seconds(10);
    YAML::Node opts(YAML::NodeType::Map);
    if (!catalog.empty()) opts["catalog"] = catalog;
    if (!directory_api.empty()) opts["directory_api"] = directory_api;
    opts["components"] = components;
    config::OptionMap options;
    options.add_layer(opts, "");
    config::Errors errors("<bench>");
    auto p = probes::find_probe_kind("patch")->build(specs[i], options, errors);
    if (!p) {
      std::cerr << errors.to_string();
      return 2;
    }
    probes_.push_back(p);
  }

  // 1. End to end, one worker thread (the agent's unit of scale).
  std::atomic<uint64_t> done{0}, failed{0}, requests{0};
  std::vector<probes::Document> homes;
  {
    asio::io_context io;
    net::Resolver resolver(io.get_executor(), {});
    net::TlsContexts tls;
    probes::MemoryHistory history;
    double cpu0 = cpu_us_now();
    auto start = std::chrono::steady_clock::now();
    auto end = start + std::chrono::duration<double>(seconds);
    for (int i = 0; i < concurrency; ++i) {
      asio::co_spawn(io, [&, i]() -> asio::awaitable<void> {
        size_t next = static_cast<size_t>(i);
        while (std::chrono::steady_clock::now() < end) {
          size_t k = next++ % probes_.size();
          auto ctx = std::make_shared<probes::ProbeContext>(probes::ProbeContext{
              io.get_executor(), resolver, tls, specs[k],
              std::chrono::steady_clock::now() + specs[k].timeout, &history});
          auto r = co_await agent::run_check(probes_[k], ctx);
          done++;
          if (r.failure != probes::FailureKind::none) failed++;
          if (r.facts.contains("requests") && r.facts["requests"].is_number())
            requests += r.facts["requests"].get<uint64_t>();
        }
      }, asio::detached);
    }
    io.run();
    double wall = std::chrono::duration<double>(std::chrono::steady_clock::now() - start).count();
    double cpu = cpu_us_now() - cpu0;

    // Fetch each home page once for the detector-only figure.
    asio::io_context io2;
    net::Resolver resolver2(io2.get_executor(), {});
    asio::co_spawn(io2, [&]() -> asio::awaitable<void> {
      for (size_t k = 0; k < sites.size(); ++k) {
        probes::ProbeContext ctx{io2.get_executor(), resolver2, tls, specs[k],
                                 std::chrono::steady_clock::now() + std::chrono::seconds(10),
                                 &history};
        net::HttpRequest req;
        req.url = *net::parse_url(sites[k]);
        auto resp = co_await net::http_fetch(ctx, req);
        probes::Document d;
        d.url = sites[k];
        d.path = "/";
        d.status = resp.status;
        d.headers = resp.headers;
        d.body = resp.body;
        homes.push_back(std::move(d));
      }
    }, asio::detached);
    io2.run();

    // 2. Detector only: markers + verdict on the home pages, one core.
    uint64_t docs = 0, bytes = 0;
    auto d0 = std::chrono::steady_clock::now();
    auto d_end = d0 + std::chrono::duration<double>(detect_seconds);
    while (std::chrono::steady_clock::now() < d_end)
      for (const auto& d : homes) {
        auto det = probes::combine_markers(probes::find_markers(d));
        docs++;
        bytes += d.body.size() + (det.product.empty() ? 0 : 0);
      }
    double dwall = std::chrono::duration<double>(std::chrono::steady_clock::now() - d0).count();

    nlohmann::json j{{"probes", done.load()},
                     {"failures", failed.load()},
                     {"seconds", wall},
                     {"concurrency", concurrency},
                     {"sites", sites.size()},
                     {"probes_per_s", done.load() / wall},
                     {"requests_per_s", requests.load() / wall},
                     {"requests_per_probe", done.load() ? double(requests.load()) / done.load() : 0.0},
                     {"cpu_us_per_probe", done.load() ? cpu / done.load() : 0.0},
                     {"detect_docs_per_s", docs / dwall},
                     {"detect_MB_per_s", bytes / dwall / 1e6}};
    std::cout << j.dump() << std::endl;
  }
  return 0;
}
