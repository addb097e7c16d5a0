#include "agent/daemon.h"

#include <malloc.h>

#include <csignal>
#include <iostream>
#include <mutex>
#include <thread>

#include <spdlog/spdlog.h>

#include "agent/admin_server.h"
#include "agent/alerting_runtime.h"
#include "agent/api.h"
#include "agent/catalog_refresher.h"
#include "agent/engine.h"
#include "agent/metrics.h"
#include "agent/process_stats.h"
#include "agent/check_listeners.h"
#include "agent/config_diff.h"
#include "config/loader.h"
#include "store/sqlite_store.h"
#include "probes/catalog.h"
#include "probes/probe_registry.h"
#include "probes/result.h"

namespace lookout::agent {
namespace {

EngineOptions engine_options(const config::AgentSettings& a) {
  EngineOptions o;
  o.workers = a.workers;
  o.max_in_flight = a.max_in_flight;
  o.per_host_limit = a.per_host_limit;
  o.resolver = a.resolver;
  return o;
}

double now_seconds() {
  return std::chrono::duration<double>(std::chrono::system_clock::now().time_since_epoch()).count();
}

}  // namespace

int run_daemon(const std::string& config_file) {
  auto loaded = config::load_config_file(config_file, lookout::probes::check_types());
  if (!loaded.config) {
    std::cerr << loaded.errors.to_string();
    std::cerr << "not started: " << loaded.errors.size() << " problem(s) in " << config_file << "\n";
    return 2;
  }
  // The one copy of the config: the engine and alerting read it at start and on reload, and
  // the API's reports share it (a second copy cost ~10 MB at 100,000 checks).
  std::shared_ptr<const config::Config> cfg =
      std::make_shared<const config::Config>(std::move(*loaded.config));
  loaded.config.reset();
  malloc_trim(0);  // the YAML tree of a large config is gone: give its pages back

  // Signals are taken synchronously by this thread; workers never see them.
  sigset_t set;
  sigemptyset(&set);
  sigaddset(&set, SIGHUP);
  sigaddset(&set, SIGTERM);
  sigaddset(&set, SIGINT);
  pthread_sigmask(SIG_BLOCK, &set, nullptr);

  std::unique_ptr<store::Store> store;
  try {
    store::StoreOptions so;
    so.path = cfg->agent.state_file;
    so.retention_days = cfg->agent.retention_days;
    store = std::make_unique<store::SqliteStore>(so);
  } catch (const std::exception& e) {
    std::cerr << "cannot open the state store: " << e.what() << "\n";
    return 1;
  }

  AgentMetrics metrics;
  metrics.set_reload(true, now_seconds());
  Engine engine(engine_options(cfg->agent), metrics, store.get());
  StoreRecorder recorder(*store);
  TransitionLog transition_log;
  engine.add_listener(&metrics);
  engine.add_listener(&recorder);
  engine.add_listener(&transition_log);
  AlertingRuntime alerting(*cfg, *store);
  alerting.start(*cfg);
  engine.add_listener(&alerting);
  // Results inside a maintenance window are marked (facts.maintenance = the window's id), so
  // the stored result, the API and reports can tell them apart.
  engine.set_result_annotator([&alerting](const config::Check& check, probes::Result& r) {
    const auto& s = check.spec;
    auto w = alerting.service().maintenance_now(s.client_id, s.site_id, s.check_id);
    if (!w) return false;
    if (!r.facts.is_object()) r.facts = nlohmann::json::object();
    r.facts["maintenance"] = w->window;
    return true;
  });
  // The release catalogue refreshes itself (catalog.refresh) on a thread of its own.
  probes::set_catalog_max_age(
      std::chrono::duration_cast<std::chrono::seconds>(cfg->catalog.max_age));
  CatalogRefresher refresher(
      CatalogRefresher::options_for(cfg->catalog), engine.clock(), [&engine] {
        // The sites' last detected versions, to say how many a new release affects.
        std::vector<InstalledVersion> out;
        engine.for_each_check([&](const std::string&, const CheckHealth& h) {
          if (!h.check || h.check->spec.type != "patch" || h.last_json.empty()) return;
          auto r = probes::Result::from_json_text(h.last_json);
          if (!r) return;
          const auto& f = r->facts;
          if (!f.contains("product") || !f["product"].is_string() || !f.contains("version") ||
              !f["version"].is_string())
            return;
          out.push_back({f["product"].get<std::string>(), f["version"].get<std::string>(),
                         f.value("precision", std::string()) == "exact"});
        });
        return out;
      });
  // Release data older than catalog.max_age raises one agency incident per stale product in
  // use (resolved by the refresh that brings it fresh); checked at start, a minute after,
  // hourly, after every refresh and on reload.
  refresher.set_staleness_listener([&alerting](const std::vector<CatalogStaleness>& s) {
    sync_catalog_incidents(alerting.service(), s);
  });
  refresher.start(cfg->catalog.refresh);
  AdminHandlers handlers;
  handlers.metrics_stream = [&metrics, &alerting, &refresher] {
    return [&metrics, &alerting, &refresher, cursor = AgentMetrics::Cursor{},
            done = false](std::string& out) mutable {
      if (done) return false;
      if (metrics.write_next(cursor, out)) return true;
      done = true;
      out += alerting.metrics_text();  // the alerting families come last, as one more part
      out += refresher.metrics_text();
      out += process_metrics_text(read_process_stats());
      return true;
    };
  };
  handlers.before_metrics = [&] {
    auto rs = engine.resolver_stats();
    metrics.set_resolver_cache(static_cast<double>(rs.cache_hits),
                               static_cast<double>(rs.cache_misses));
  };
  // The clients as of the last good (re)load, for /api/v1/clients; swapped on SIGHUP.
  std::mutex clients_mutex;
  // The API's view (reports need the sites, checks and settings); the clients list aliases
  // into it.
  auto report_config = cfg;
  std::shared_ptr<const std::vector<config::Client>> clients(report_config, &report_config->clients);
  // Read again on SIGHUP, so a rotated token file takes effect without a restart.
  std::string token = api::api_token(cfg->agent);
  if (token.empty())
    spdlog::info("API mutations disabled: set agent.api_token_file or LOOKOUT_API_TOKEN to enable them");
  handlers.api_request = [&](std::string_view method, std::string_view target,
                                    std::string_view authorization, std::string_view body) {
    std::shared_ptr<const std::vector<config::Client>> current;
    std::shared_ptr<const config::Config> current_config;
    std::string current_token;
    {
      std::lock_guard lock(clients_mutex);
      current = clients;
      current_config = report_config;
      current_token = token;
    }
    return api::handle(api::Sources{engine, store.get(), std::move(current), engine.clock(),
                                    &alerting.service(), std::move(current_token), std::move(current_config)},
                       api::Request{method, target, authorization, body});
  };
  AdminServer admin(cfg->agent.listen, handlers);
  try {
    admin.start();
  } catch (const std::exception& e) {
    std::cerr << e.what() << "\n";
    return 1;
  }
  engine.start(*cfg, store->load_states());
  refresher.check_staleness();  // the sites' restored results say which products are in use
  std::string base = "http://" + admin.address();
  spdlog::info("lookout running: {} checks for {} clients from {}", cfg->checks.size(),
               cfg->clients.size(), config_file);
  std::cout << "metrics: " << base << "/metrics\n"
            << "api:     " << base << "/api/v1/checks, " << base << "/api/v1/clients\n"
            << "health:  " << base << "/healthz" << std::endl;

  for (;;) {
    int sig = 0;
    sigwait(&set, &sig);
    if (sig == SIGHUP) {
      auto next = config::load_config_file(config_file, lookout::probes::check_types());
      if (!next.config) {
        metrics.set_reload(false, 0);
        spdlog::error("reload failed, keeping the running config:\n{}", next.errors.to_string());
        continue;
      }
      if (next.config->agent.listen != cfg->agent.listen ||
          next.config->agent.state_file != cfg->agent.state_file ||
          next.config->agent.workers != cfg->agent.workers)
        spdlog::warn("reload: listen, state_file and workers changes need a restart; ignored");
      auto diff = diff_checks(*cfg, *next.config);
      cfg = std::make_shared<const config::Config>(std::move(*next.config));
      next.config.reset();
      engine.apply(*cfg);
      std::string reloaded_token = api::api_token(cfg->agent);
      {
        auto reloaded = cfg;
        std::shared_ptr<const std::vector<config::Client>> reloaded_clients(reloaded, &reloaded->clients);
        std::lock_guard lock(clients_mutex);
        report_config = std::move(reloaded);
        clients = std::move(reloaded_clients);
        token = std::move(reloaded_token);
      }
      alerting.apply(*cfg);
      probes::set_catalog_max_age(
          std::chrono::duration_cast<std::chrono::seconds>(cfg->catalog.max_age));
      refresher.check_staleness();
      malloc_trim(0);
      metrics.set_reload(true, now_seconds());
      spdlog::info("reloaded {}: {} checks; {}", config_file, cfg->checks.size(),
                   diff.empty() ? std::string("no check changed") : diff.to_string());
      continue;
    }
    spdlog::info("signal {}: draining {} running checks", sig, engine.in_flight());
    break;
  }
  refresher.stop();
  engine.stop(cfg->agent.shutdown_grace);
  alerting.stop();
  admin.stop();
  store->flush();
  spdlog::info("stopped");
  return 0;
}

}  // namespace lookout::agent
