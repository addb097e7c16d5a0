// RFC 3339 times as the API, tickets and the outbox write and read them. Plain functions of the
// bottom layer, so every layer writes times the same way.
#pragma once

#include <chrono>
#include <optional>
#include <string>
#include <string_view>

namespace lookout::config {

/// "2026-12-04T05:40:46.123Z" (UTC, milliseconds).
std::string rfc3339(std::chrono::system_clock::time_point t);
/// Parses RFC 3339 ("2026-12-04T05:40:46Z", "...46.123+01:00", 't'/'z' accepted, a space for
/// the offset's '+' too, as a '+' in a query often arrives as one); nullopt when invalid.
std::optional<std::chrono::system_clock::time_point> parse_rfc3339(std::string_view s);

}  // namespace lookout::config
