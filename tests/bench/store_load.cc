// Durable commit latency and throughput of the state store (scripts/bench.d/60-store.sh):
// N committer threads each commit one transaction (an event and a value, as an incident change
// with its notification) and wait until it is on disk, for D seconds. Group commit lets
// concurrent committers share one WAL sync. Prints one JSON line per figure.
//   store_load [--seconds 5] [--dir /tmp] [--committers 1,8,64]
#include <algorithm>
#include <atomic>
#include <chrono>
#include <cstdio>
#include <filesystem>
#include <sstream>
#include <string>
#include <thread>
#include <vector>

#include "store/sqlite_store.h"

using namespace lookout;
using Steady = std::chrono::steady_clock;

int main(int argc, char** argv) {
  double seconds = 5;
  std::string dir = "/tmp";
  std::vector<int> committers = {1, 8, 64};
  for (int i = 1; i + 1 < argc; i += 2) {
    std::string a = argv[i];
    if (a == "--seconds") seconds = std::stod(argv[i + 1]);
    else if (a == "--dir") dir = argv[i + 1];
    else if (a == "--committers") {
      committers.clear();
      std::stringstream ss(argv[i + 1]);
      for (std::string t; std::getline(ss, t, ',');) committers.push_back(std::stoi(t));
    }
  }
  for (int n : committers) {
    auto work = std::filesystem::path(dir) / ("lookout-store-load-" + std::to_string(getpid()));
    std::filesystem::create_directories(work);
    std::vector<std::vector<double>> lat(n);
    std::atomic<bool> stop{false};
    std::atomic<int64_t> failures{0};
    {
      store::StoreOptions o;
      o.path = (work / "state.db").string();
      store::SqliteStore s(o);
      std::vector<std::thread> threads;
      auto until = Steady::now() + std::chrono::duration<double>(seconds);
      for (int t = 0; t < n; ++t)
        threads.emplace_back([&, t] {
          for (int64_t i = 1; Steady::now() < until; ++i) {
            store::Transaction tx;
            std::string key = "client/site" + std::to_string(t) + "/http";
            tx.events.push_back({"outbox", key, i, std::chrono::system_clock::now(), "opened",
                                 R"({"event":"incident.opened","priority":"P1"})"});
            tx.values.push_back({"incident", key, std::string(R"({"state":"open","seq":)") +
                                                       std::to_string(i) + "}"});
            auto t0 = Steady::now();
            auto r = s.commit_and_wait(std::move(tx));
            lat[t].push_back(std::chrono::duration<double, std::micro>(Steady::now() - t0).count());
            if (!r.ok) failures++;
          }
        });
      for (auto& th : threads) th.join();
    }
    std::filesystem::remove_all(work);
    std::vector<double> all;
    for (auto& v : lat) all.insert(all.end(), v.begin(), v.end());
    std::sort(all.begin(), all.end());
    auto pct = [&](double p) { return all.empty() ? 0.0 : all[static_cast<size_t>(p * (all.size() - 1))]; };
    auto print = [&](const char* metric, double v) {
      std::printf("{\"benchmark\":\"store_durable_commit\",\"committers\":%d,\"metric\":\"%s\",\"value\":%.1f}\n",
                  n, metric, v);
    };
    print("commits_per_second", all.size() / seconds);
    print("latency_p50_us", pct(0.50));
    print("latency_p99_us", pct(0.99));
    print("failures", static_cast<double>(failures.load()));
    std::fflush(stdout);
  }
  return 0;
}
