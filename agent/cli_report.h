// `lookout report`: the monthly maintenance report (reports/), read from the state store while
// the agent may be running (a read-only store: no lock taken, nothing written).
//   lookout report -c FILE --client ID --month YYYY-MM [--format html|pdf|md|json] [-o FILE]
//   lookout report -c FILE --all --month YYYY-MM --out-dir DIR [--format ...]
// Exit 0 when every report was written; 2 for a usage error (unknown client, malformed or
// future month, bad flags, unreadable config or store); 1 when a report failed to write.
#pragma once

#include <CLI/CLI.hpp>

namespace lookout::agent {

/// Adds the `report` subcommand; its callback ends the parse with CLI::Success or an error
/// carrying the exit code.
void add_report_command(CLI::App& app);

}  // namespace lookout::agent
