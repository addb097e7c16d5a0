// Durations in config and on the command line: "250ms", "10s", "1m30s", "2h", "7d".
#pragma once

#include <chrono>
#include <optional>
#include <string>
#include <string_view>

namespace lookout::config {

/// Parses a Go/Prometheus-style duration. A bare "0" is accepted; any other bare number is
/// rejected (ambiguous unit). Returns nullopt on a malformed or overflowing value.
std::optional<std::chrono::milliseconds> parse_duration(std::string_view text);

/// For command-line flags: like parse_duration, but a bare number ("10", "0.5") means seconds,
/// as it does for Nagios plugins' -t/-w/-c.
std::optional<std::chrono::milliseconds> parse_cli_duration(std::string_view text);

/// Inverse of parse_duration for messages and docs: 90000ms -> "1m30s".
std::string format_duration(std::chrono::milliseconds d);

}  // namespace lookout::config
