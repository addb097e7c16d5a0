// DNS blocklists: query names, the table of what each list's answer codes mean, and the
// `lists:` / `domain_lists:` config. An answer is classified code by code, never "any answer =
// listed": 127.255.255.0/24 and anything outside 127.0.0.0/8 are errors (the list refused or
// failed) before any per-list table is consulted, so no table can turn them into listings.
#pragma once

#include <chrono>
#include <cstdint>
#include <optional>
#include <string>
#include <string_view>
#include <vector>

#include <boost/asio/ip/address.hpp>

#include "config/errors.h"
#include "config/options.h"
#include "probes/result.h"

namespace lookout::probes {

enum class DnsblMeaning { listed, not_listed, error };
/// The reason of a listing code that has no meaning of its own (the generic table, a config
/// code without a reason); the probe replaces it with the list's TXT text when there is one.
inline constexpr std::string_view kDnsblGenericListed = "listed";
std::string_view to_string(DnsblMeaning m);  // "listed", "not_listed", "error"

/// One row of a list's code table: the answer codes first..last (IPv4, host order) mean this.
struct DnsblCode {
  uint32_t first = 0;
  uint32_t last = 0;
  DnsblMeaning meaning = DnsblMeaning::listed;
  std::string reason;
};

/// Which names a domain list is asked about, for a site host name such as www.client.example:
/// - host_and_domain: the host name and, when different, its registered domain
///   (client.example). Spamhaus DBL and ZRD are wildcarded zones that list single host names of
///   abused legitimate domains; also the default for a list of unknown policy.
/// - registered_domain: only the registered domain (SURBL, URIBL).
/// - host: only the name as given.
enum class DnsblNames { host_and_domain, registered_domain, host };
std::string_view to_string(DnsblNames n);

struct DnsblList {
  std::string zone;          // "zen.spamhaus.org", lower-case, no trailing dot
  bool domain_list = false;  // RHSBL: queried with domain names, never with IPs
  DnsblNames names = DnsblNames::host_and_domain;  // domain lists only
  bool ipv6 = true;          // the list carries IPv6 data (IP lists only)
  /// Verdict when this list lists a target (the list's weight): critical, warning, or ok
  /// ("info": reported in the facts and the metric, but not alerting).
  Status severity = Status::critical;
  std::vector<DnsblCode> codes;  // first match wins
  std::optional<std::chrono::milliseconds> timeout;  // overrides the check's list_timeout
};

/// The built-in lists used when a check names none.
const std::vector<DnsblList>& default_ip_lists();
const std::vector<DnsblList>& default_domain_lists();

/// The built-in table for a zone (Spamhaus, Barracuda, SpamCop, PSBL, Mailspike, DBL), or the
/// generic table ("127.0.0.2-127.0.0.254 listed, 127.0.0.1 error"; domain lists also
/// "127.0.1.2-127.0.1.254 listed, 127.0.1.255 error") for any other zone.
DnsblList dnsbl_list_for_zone(std::string_view zone, bool domain_list);

struct DnsblCodeVerdict {
  DnsblMeaning meaning = DnsblMeaning::error;
  std::string reason;
};

/// What one A answer `code` from `list` means.
DnsblCodeVerdict classify_dnsbl_code(const DnsblList& list, const boost::asio::ip::address& code);

/// `<reversed IPv4 octets | 32 reversed IPv6 nibbles>.<zone>`; IPv4-mapped IPv6 is queried
/// as IPv4.
std::string dnsbl_query_name(const boost::asio::ip::address& ip, std::string_view zone);
/// `<domain>.<zone>` (no reversal).
std::string rhsbl_query_name(std::string_view domain, std::string_view zone);

/// The registered domain of a host name per the Public Suffix List (Debian's `publicsuffix`
/// file), e.g. "shop.client.co.uk" -> "client.co.uk"; without the file, the last two labels.
/// The host itself when it is already a registered domain or a public suffix.
std::string registered_domain(std::string_view host);

/// The names `list` is asked about for `name` (a host name or a domain), per its policy, in
/// order (host first), without duplicates; a registered domain that is a bare TLD is skipped.
std::vector<std::string> dnsbl_names_for(const DnsblList& list, std::string_view name);

/// "127.0.0.2", "127.0.0.2-127.0.0.254" or "127.0.0.0/24" -> first/last; false when malformed.
bool parse_dnsbl_code_range(std::string_view text, uint32_t& first, uint32_t& last);

/// Reads a `lists`/`domain_lists` option: a sequence whose items are a zone name or a map
/// {zone, severity, codes, timeout, ipv6 (IP lists), query (domain lists: host_and_domain,
/// registered_domain or host)}. Absent -> nullopt (the caller uses the defaults).
std::optional<std::vector<DnsblList>> read_dnsbl_lists(config::OptionMap& options,
                                                       const std::string& key, bool domain_lists,
                                                       config::Errors& errors);

}  // namespace lookout::probes
