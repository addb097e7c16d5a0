// Monthly report generation (scripts/bench.d/85-reports.sh): seeds a state store with last
// month's hourly runs (one run per hour per http check, so one rollup row per hour, plus a short
// outage every few days), then times build_report + rendering for one client with many sites,
// in process. Writes the configs the shell part runs `lookout report` on. One JSON line per
// figure on stdout.
//   report_load --dir DIR [--sites 200] [--clients 50] [--sites-per-client 20]
#include <chrono>
#include <cstdio>
#include <filesystem>
#include <fstream>
#include <string>

#include <date/date.h>

#include "agent/check_health.h"
#include "config/clock.h"
#include "config/loader.h"
#include "probes/probe_registry.h"
#include "reports/output.h"
#include "reports/report.h"
#include "store/sqlite_store.h"

using namespace lookout;
using Steady = std::chrono::steady_clock;

namespace {

std::string site_yaml(int i) {
  return "      - id: site" + std::to_string(i) + "\n        url: https://site" + std::to_string(i) +
         ".example.test/\n        checks:\n          - {type: http, id: http, interval: 1h, timeout: 10s}\n";
}

std::string client_yaml(const std::string& id, int sites) {
  std::string y = "  - id: " + id + "\n    timezone: Europe/London\n    business_hours:\n      mon-fri: \"09:00-17:00\"\n"
                  "    contract:\n      uptime_target: 99.9\n      sla:\n        P1: {response: 1h, resolution: 4h}\n    sites:\n";
  for (int i = 0; i < sites; ++i) y += site_yaml(i);
  return y;
}

void seed(store::Store& store, const std::string& client, int sites, std::chrono::system_clock::time_point from,
          std::chrono::system_clock::time_point to) {
  for (int i = 0; i < sites; ++i) {
    std::string key = client + "/site" + std::to_string(i) + "/http";
    agent::CheckHealth h;
    auto record = [&](const probes::Result& r) {  // the engine's health rule, as the agent does
      auto step = agent::advance(h, r);
      store.record_result(key, r, store::HealthRecord{step.previous, h.since, h.consecutive_failures});
    };
    int n = 0;
    for (auto t = from; t < to; t += std::chrono::hours(1), ++n) {
      probes::Result r;
      // A 10-minute outage every 97 hours, shifted per site.
      bool down = (n + i) % 97 == 0;
      r.status = down ? probes::Status::critical : probes::Status::ok;
      r.started = t;
      r.duration_seconds = 0.15 + 0.01 * ((n + i) % 17);
      record(r);
      if (down) {
        probes::Result up = r;
        up.status = probes::Status::ok;
        up.started = t + std::chrono::minutes(10);
        record(up);
      }
    }
  }
}

}  // namespace

int main(int argc, char** argv) {
  std::string dir = "/tmp/lookout-report-bench";
  int sites = 200, clients = 50, per_client = 20;
  for (int i = 1; i + 1 < argc; i += 2) {
    std::string a = argv[i];
    if (a == "--dir") dir = argv[i + 1];
    else if (a == "--sites") sites = std::stoi(argv[i + 1]);
    else if (a == "--clients") clients = std::stoi(argv[i + 1]);
    else if (a == "--sites-per-client") per_client = std::stoi(argv[i + 1]);
  }
  std::filesystem::remove_all(dir);
  std::filesystem::create_directories(dir);
  // Last month (UTC), seeded from a week before it to now.
  auto now = std::chrono::system_clock::now();
  auto today = date::year_month_day(date::floor<date::days>(now));
  auto last = date::year_month(today.year(), today.month()) - date::months(1);
  char month[16];
  std::snprintf(month, sizeof month, "%04d-%02u", static_cast<int>(last.year()),
                static_cast<unsigned>(last.month()));
  auto from = date::sys_days(last / 1) - date::days(7);
  auto seed_to = std::chrono::floor<std::chrono::hours>(now);
  std::string state = dir + "/state.db";

  std::string head = "agent:\n  state_file: " + state + "\nreport:\n  agency_name: Bench Agency\nclients:\n";
  std::ofstream(dir + "/one.yaml") << head << client_yaml("big", sites);
  std::string all = head;
  for (int c = 0; c < clients; ++c) all += client_yaml("c" + std::to_string(c), per_client);
  std::ofstream(dir + "/all.yaml") << all;

  auto t0 = Steady::now();
  {
    store::StoreOptions so;
    so.path = state;
    store::SqliteStore s(so);
    seed(s, "big", sites, from, seed_to);
    for (int c = 0; c < clients; ++c) seed(s, "c" + std::to_string(c), per_client, from, seed_to);
    s.flush();
  }
  double seed_s = std::chrono::duration<double>(Steady::now() - t0).count();
  std::printf("{\"benchmark\":\"report_seed\",\"metric\":\"seconds\",\"value\":%.2f,\"sites\":%d,\"month\":\"%s\"}\n",
              seed_s, sites + clients * per_client, month);

  auto loaded = config::load_config_file(dir + "/one.yaml", probes::check_types());
  if (!loaded.config) {
    std::fprintf(stderr, "%s", loaded.errors.to_string().c_str());
    return 1;
  }
  store::StoreOptions ro;
  ro.path = state;
  ro.read_only = true;
  store::SqliteStore reader(ro);
  for (const char* format : {"json", "html"}) {
    double best = 1e9;
    size_t bytes = 0;
    for (int run = 0; run < 3; ++run) {
      auto a = Steady::now();
      reports::ReportSource source(reader);
      auto report = reports::build_report(*loaded.config, source, {"big", month, now, {}});
      std::string out = reports::render_format(report, format, loaded.config->report);
      best = std::min(best, std::chrono::duration<double>(Steady::now() - a).count());
      bytes = out.size();
    }
    std::printf("{\"benchmark\":\"report_one_client\",\"format\":\"%s\",\"metric\":\"seconds\",\"value\":%.3f,"
                "\"sites\":%d,\"bytes\":%zu}\n",
                format, best, sites, bytes);
  }
  std::printf("{\"benchmark\":\"report_config\",\"month\":\"%s\",\"one\":\"%s/one.yaml\",\"all\":\"%s/all.yaml\"}\n",
              month, dir.c_str(), dir.c_str());
  return 0;
}
