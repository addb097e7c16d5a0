// agent::setup_logging: the daemon's log level and format (text for a console, JSON lines for
// a log shipper). spdlog writes to stderr.
#pragma once

#include <optional>
#include <string>

namespace lookout::agent {

/// `level`: trace, debug, info, warn, error, critical, off. `format`: text or json.
/// Returns an error message for a bad value (nothing changed then).
std::optional<std::string> setup_logging(const std::string& level, const std::string& format);

/// One JSON object per line: {"time":"2026-12-04T05:40:46.123Z","level":"warn","msg":"..."}.
std::string format_json_log_line(const std::string& time_rfc3339, const std::string& level,
                                 const std::string& message);

}  // namespace lookout::agent
