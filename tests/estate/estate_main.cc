// lookout-estate: serves the fake client estate on loopback until SIGINT/SIGTERM.
//   lookout-estate [--base-port 18000] [--work-dir DIR] [--address 127.0.0.1] [--print-endpoints]
// With --print-endpoints the endpoints are printed as one JSON object on one stdout line (then
// flushed) once every listener is up, so scripts can read the line and start probing.
#include <sys/resource.h>

#include <csignal>
#include <cstdio>
#include <exception>
#include <iostream>

#include <CLI/CLI.hpp>
#include <nlohmann/json.hpp>

#include "tests/estate/estate.h"

namespace {

/// Hostile endpoints hold many sockets; use the hard fd limit rather than the default 1024.
void raise_fd_limit() {
  rlimit rl{};
  if (getrlimit(RLIMIT_NOFILE, &rl) == 0 && rl.rlim_cur < rl.rlim_max) {
    rl.rlim_cur = rl.rlim_max;
    setrlimit(RLIMIT_NOFILE, &rl);
  }
}

}  // namespace

int main(int argc, char** argv) {
  CLI::App app{"lookout-estate: a fake client estate (HTTP(S) sites, hostile endpoints) on loopback"};
  lookout::estate::EstateOptions options;
  options.base_port = 18000;
  bool print_endpoints = false;
  app.add_option("--base-port", options.base_port,
                 "first port; components use fixed offsets from it (0 = ephemeral ports)")
      ->capture_default_str();
  app.add_option("--work-dir", options.work_dir,
                 "directory for generated files (CA, certificates); default: a new temp dir");
  app.add_option("--address", options.address, "address to listen on")->capture_default_str();
  app.add_option("--threads", options.threads, "io threads")->capture_default_str()
      ->check(CLI::Range(1, 64));
  app.add_flag("--print-endpoints", print_endpoints,
               "print the endpoints as one JSON object on stdout once serving");
  CLI11_PARSE(app, argc, argv);

  // Block the signals before any thread starts so only sigwait below sees them.
  sigset_t signals;
  sigemptyset(&signals);
  sigaddset(&signals, SIGINT);
  sigaddset(&signals, SIGTERM);
  pthread_sigmask(SIG_BLOCK, &signals, nullptr);
  raise_fd_limit();

  try {
    lookout::estate::Estate estate(options);
    estate.start();
    nlohmann::json endpoints = estate.endpoints();
    endpoints["work_dir"] = estate.work_dir();
    if (print_endpoints) {
      std::cout << endpoints.dump() << std::endl;
    } else {
      std::cerr << "lookout-estate serving (Ctrl-C stops):\n";
      for (const auto& [name, value] : estate.endpoints())
        std::cerr << "  " << name << ": " << value << "\n";
    }
    int sig = 0;
    sigwait(&signals, &sig);
    estate.stop();
  } catch (const std::exception& e) {
    std::cerr << "lookout-estate: " << e.what() << "\n";
    return 1;
  }
  return 0;
}
