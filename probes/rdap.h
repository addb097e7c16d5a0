// RDAP (RFC 9083 JSON responses, RFC 9224 bootstrap files): pure parsing, no I/O, so the
// domain probe stays small and this part can be fuzzed. Nothing here throws: malformed input
// comes back as an error string.
#pragma once

#include <chrono>
#include <optional>
#include <string>
#include <string_view>
#include <utility>
#include <vector>

namespace lookout::probes::rdap {

using TimePoint = std::chrono::system_clock::time_point;

/// What a registry says about one domain (the fields a desk acts on).
struct DomainInfo {
  std::string ldh_name;                  // "example.com" as the registry spells it
  std::optional<TimePoint> expires;      // events[eventAction = "expiration"]
  std::optional<TimePoint> registered;   // events[eventAction = "registration"]
  std::optional<TimePoint> last_changed; // events[eventAction = "last changed"]
  std::string registrar;                 // the registrar entity's vCard "fn", else its handle
  std::string registrar_iana_id;         // publicIds[type = "IANA Registrar ID"]
  std::vector<std::string> status;       // "client transfer prohibited", ...
};

struct DomainParse {
  std::optional<DomainInfo> domain;  // set on success
  std::string error;                 // why not, when domain is empty
};

/// Parses an RDAP domain object. Extra members are ignored; members of the wrong type are
/// skipped (registries vary), but the reply must be a JSON object with objectClassName
/// "domain" (or, leniently, without objectClassName but with ldhName or events).
DomainParse parse_domain(std::string_view body);

/// The title/description of an RDAP error object (RFC 9083 section 6), or "" when the body is
/// not one. Used to say why a registry refused a query.
std::string error_text(std::string_view body);

/// RFC 3339 date-time ("2026-08-13T04:00:00Z", "...T04:00:00.123+02:00"); nullopt when invalid.
std::optional<TimePoint> parse_rfc3339(std::string_view text);

/// An RFC 9224 bootstrap registry (IANA's dns.json): entries of (labels, base URLs).
struct Bootstrap {
  std::string publication;
  std::vector<std::pair<std::vector<std::string>, std::vector<std::string>>> services;
};

/// Parses a bootstrap file's text; nullopt with `error` set when it is not one.
std::optional<Bootstrap> parse_bootstrap(std::string_view text, std::string& error);

/// The base URL serving `domain`: the longest matching label suffix wins (RFC 9224 section 4),
/// and an https URL is preferred over http. nullopt when no entry matches.
std::optional<std::string> base_url_for(const Bootstrap& bootstrap, std::string_view domain);

/// base + "domain/" + name, with exactly one '/' between them.
std::string domain_query_url(std::string_view base_url, std::string_view domain);

/// Lower-cases and strips one trailing dot; "" when `name` is not a plausible LDH domain name
/// (letters, digits, hyphens, dots; at least two labels; labels 1..63, total <= 253).
std::string normalize_domain(std::string_view name);

}  // namespace lookout::probes::rdap
