// `lookout catalog update`: refreshes the release catalogue (config/catalog/*.json) from the
// real feeds - WordPress version-check 1.7 and stable-check 1.0 JSON, Drupal release-history
// XML, endoflife.date JSON - fetched from URLs (net::http_fetch) or read from local files.
#pragma once

#include <CLI/CLI.hpp>

namespace lookout::agent {

/// Adds the `catalog` subcommand (with `update`) to the lookout CLI. Its callback does the
/// work and ends the parse with CLI::Success (exit 0) or CLI::RuntimeError (a feed failed).
void add_catalog_command(CLI::App& app);

}  // namespace lookout::agent
