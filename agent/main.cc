// lookout: the agent's command line.
//   lookout run -c FILE          the daemon
//   lookout validate -c FILE     print every config problem, exit 0 / 2
//   lookout check [--type T] TARGET [flags]   one check, Nagios exit codes, --json
//   lookout catalog update [...]             refresh the CMS release catalogue
//   lookout incidents | tickets | ack | maintenance | oncall   operator commands (agent/cli_ops.h)
//   lookout report -c FILE --client ID --month YYYY-MM [--format html|pdf|md|json] [-o FILE]
//   lookout report -c FILE --all --month YYYY-MM --out-dir DIR   the monthly report
#include <cstring>
#include <iostream>
#include <map>
#include <set>

#include <CLI/CLI.hpp>

#include "agent/cli_catalog.h"
#include "agent/cli_ops.h"
#include "agent/cli_report.h"
#include "agent/daemon.h"
#include "agent/logging.h"
#include "agent/oneshot.h"
#include "agent/version.h"
#include "config/duration.h"
#include "config/loader.h"
#include "probes/probe_registry.h"

using namespace lookout;

namespace {

int cmd_validate(const std::string& file) {
  auto loaded = config::load_config_file(file, lookout::probes::check_types());
  if (!loaded.errors.empty()) {
    std::cerr << loaded.errors.to_string();
    std::cerr << loaded.errors.size() << " problem" << (loaded.errors.size() == 1 ? "" : "s")
              << " in " << file << "\n";
    return 2;
  }
  std::cout << file << ": OK (" << loaded.config->clients.size() << " clients, "
            << loaded.config->checks.size() << " checks)\n";
  return 0;
}

}  // namespace

int main(int argc, char** argv) {
  CLI::App app{"Lookout: proactive site monitoring"};
  app.set_version_flag("--version", "lookout " + std::string(kVersion) + " (" +
                                        std::string(kRevision) + ")");
  app.require_subcommand(1);

  std::string config_file;
  auto* run = app.add_subcommand("run", "run the monitoring daemon");
  run->add_option("-c,--config", config_file, "config file (YAML or JSON)")->required();
  std::string log_level = "info", log_format = "text";
  run->add_option("--log-level", log_level, "trace, debug, info, warn, error, critical or off")
      ->envname("LOOKOUT_LOG_LEVEL")->capture_default_str();
  run->add_option("--log-format", log_format, "text, or json (one object per line)")
      ->envname("LOOKOUT_LOG_FORMAT")->capture_default_str();

  auto* validate = app.add_subcommand("validate", "check a config file and list every problem");
  validate->add_option("-c,--config", config_file, "config file (YAML or JSON)")->required();

  // One-shot check: the flags of every probe kind, each mapped to an option key.
  auto* check = app.add_subcommand("check", "run one check now (Nagios plugin exit codes)");
  std::string type = "http", target, timeout_text = "10s", resolver;
  bool json = false;
  check->add_option("--type", type, "check type")->capture_default_str();
  check->add_option("target", target, "what to check (URL, host[:port], name, path)")->required();
  check->add_option("--timeout", timeout_text, "overall timeout (e.g. 10s; a bare number is seconds)")->capture_default_str();
  check->add_option("--resolver", resolver, "DNS server IP[:PORT] instead of the system's");
  check->add_flag("--json", json, "print the whole result as one JSON object");
  std::map<std::string, std::vector<std::string>> flag_values;
  std::map<std::string, bool> switch_values;
  std::set<std::string> added;
  for (const auto& kind : probes::probe_kinds()) {
    for (const auto& f : kind.cli_flags) {
      if (!added.insert(f.flag).second) continue;
      if (f.is_switch) {
        check->add_flag(f.flag, switch_values[f.flag], f.help);
      } else {
        auto* opt = check->add_option(f.flag, flag_values[f.flag], f.help)->expected(1);
        if (f.multi) opt->multi_option_policy(CLI::MultiOptionPolicy::TakeAll);
        else opt->multi_option_policy(CLI::MultiOptionPolicy::TakeLast);
      }
    }
  }
  agent::add_catalog_command(app);  // `lookout catalog update`
  auto ops = agent::add_ops_commands(app);  // incidents, tickets, ack, maintenance, oncall
  agent::add_report_command(app);   // `lookout report`

  // `check --json` reports usage errors as a JSON object on stdout too (exit 3, UNKNOWN), so a
  // caller parsing the output always gets JSON. Scanned from argv: a parse error may come
  // before CLI11 has set the flag.
  bool json_usage = false;
  for (int i = 1; i < argc; ++i)
    if (std::strcmp(argv[i], "--json") == 0) json_usage = true;
  auto usage_error = [&](const std::string& message) {
    if (json_usage)
      std::cout << agent::usage_error_json(message).dump(-1, ' ', false,
                                                          nlohmann::json::error_handler_t::replace)
                << "\n";
    else
      std::cerr << message << "\n";
    return 3;
  };

  try {
    app.parse(argc, argv);
  } catch (const CLI::ParseError& e) {
    if (json_usage && e.get_exit_code() != 0 && app.got_subcommand(check) &&
        !app.got_subcommand("catalog"))
      return usage_error(e.what());
    int rc = app.exit(e);
    if (rc == 0) return 0;
    if (app.got_subcommand("catalog")) return rc;  // its callback chose the code
    // report: its callback chose the code; its usage errors (a missing flag) are 2.
    if (app.got_subcommand("report")) return e.get_name() == "RuntimeError" ? rc : 2;
    // Usage errors of `check` are UNKNOWN for Nagios; of validate/run, exit 2.
    return app.got_subcommand(check) ? 3 : 2;
  }

  if (*validate) return cmd_validate(config_file);
  if (auto rc = ops->run()) return *rc;
  if (*run) {
    if (auto err = agent::setup_logging(log_level, log_format)) {
      std::cerr << "lookout run: " << *err << "\n";
      return 2;
    }
    return agent::run_daemon(config_file);
  }
  if (*check) {
    agent::OneShotRequest req;
    req.type = type;
    req.target = target;
    auto to = config::parse_cli_duration(timeout_text);
    if (!to || to->count() <= 0) return usage_error("--timeout: bad duration '" + timeout_text + "'");
    req.timeout = *to;
    if (!resolver.empty()) req.resolver_servers.push_back(resolver);
    const probes::ProbeKind* kind = probes::find_probe_kind(type);
    if (!kind) return usage_error("--type: unknown check type '" + type + "'");
    std::map<std::string, const probes::CliFlag*> own;
    for (const auto& f : kind->cli_flags) own[f.flag] = &f;
    for (const auto& [flag, values] : flag_values) {
      if (values.empty()) continue;
      if (!own.count(flag)) return usage_error(flag + " does not apply to --type " + type);
      std::vector<std::string> option_values = values;
      if (own[flag]->duration)
        for (auto& v : option_values)  // "2" or "0.5" on the command line are seconds
          if (auto d = config::parse_cli_duration(v)) v = config::format_duration(*d);
      req.options[own[flag]->key] = option_values;
    }
    for (const auto& [flag, on] : switch_values) {
      if (!on) continue;
      if (!own.count(flag)) return usage_error(flag + " does not apply to --type " + type);
      req.options[own[flag]->key] = {"true"};
    }
    auto outcome = agent::run_one_check(req);
    if (!outcome.valid) {
      std::string message = outcome.errors.to_string();
      while (!message.empty() && message.back() == '\n') message.pop_back();
      return usage_error(message);
    }
    if (json)
      std::cout << agent::oneshot_json(outcome.result, type, target)
                         .dump(-1, ' ', false, nlohmann::json::error_handler_t::replace) << "\n";
    else
      std::cout << agent::nagios_line(outcome.result, type, agent::perf_thresholds(req)) << "\n";
    return static_cast<int>(outcome.result.status);
  }
  return 2;
}
