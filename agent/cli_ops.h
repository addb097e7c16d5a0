// The operator commands of the lookout CLI, talking to a running agent's API:
//   lookout incidents [--state open|resolved] [--json]
//   lookout tickets [--client ID] [--json]
//   lookout ack <incident-id> [--by NAME] [--note TEXT]
//   lookout maintenance list|add|delete ...
//   lookout oncall -c FILE [--at TIME] [--json]   (reads the config, not the agent)
// The agent's address comes from --url, else the config's agent.listen (-c FILE), else
// 127.0.0.1:9464; the token from LOOKOUT_API_TOKEN, else the config's agent.api_token_file.
// A readable table by default, the API's JSON with --json. Exit 0 on success, 1 when the agent
// answers an error, 3 when it cannot be reached. Documented in docs/api.md.
#pragma once

#include <memory>
#include <optional>

#include <CLI/CLI.hpp>

namespace lookout::agent {

class OpsCommands {
 public:
  virtual ~OpsCommands() = default;
  /// After parsing: runs the operator command given, if any, and returns its exit code.
  virtual std::optional<int> run() = 0;
};

/// Adds incidents, tickets, ack, maintenance and oncall to the CLI.
std::unique_ptr<OpsCommands> add_ops_commands(CLI::App& app);

}  // namespace lookout::agent
