// agent::run_daemon: `lookout run`: load config, open the store, start workers and the admin
// server, reload on SIGHUP, drain on SIGTERM/SIGINT. Returns the process exit code.
#pragma once

#include <string>

namespace lookout::agent {

int run_daemon(const std::string& config_file);

}  // namespace lookout::agent
