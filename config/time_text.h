// RFC 3339 times as the API, tickets and the outbox write and read them. Plain functions of the
// bottom layer, so every layer writes times the same way.
#pragma once

#include <chrono>
#include <optional>
#include <string>
#include <string_view>

namespace lookout::config {

/// Whether a calendar year fits the clock: system_clock counts nanoseconds (years 1678-2262),
/// so the parsers take years 1900-2200 only, well inside; beyond is unreadable, not an overflow
/// (servers do send "31 Dec 9999").
constexpr bool year_fits_clock(int year) { return year >= 1900 && year <= 2200; }

/// "2026-12-04T05:40:46.123Z" (UTC, milliseconds).
std::string rfc3339(std::chrono::system_clock::time_point t);
/// Parses RFC 3339 ("2026-12-04T05:40:46Z", "...46.123+01:00", 't'/'z' accepted, a space for
/// the offset's '+' too, as a '+' in a query often arrives as one); nullopt when invalid.
std::optional<std::chrono::system_clock::time_point> parse_rfc3339(std::string_view s);
/// Parses an HTTP-date (RFC 9110 section 5.6.7) in any of the three forms a recipient must
/// accept: IMF-fixdate "Sun, 06 Nov 1994 08:49:37 GMT", the obsolete RFC 850 form
/// "Sunday, 06-Nov-94 08:49:37 GMT" (a two-digit year more than 50 years ahead of `now` is
/// taken as the past century) and asctime "Sun Nov  6 08:49:37 1994". Names are
/// case-sensitive as the grammar says; nullopt when it is none of them.
std::optional<std::chrono::system_clock::time_point> parse_http_date(
    std::string_view s, std::chrono::system_clock::time_point now = std::chrono::system_clock::now());

}  // namespace lookout::config
