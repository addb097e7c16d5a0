// DNSBL probe: a site's resolved IPv4/IPv6 addresses plus extra IPs (its mail server, ...)
// against IP blocklists, and its registered domain against domain lists (RHSBL), all queries
// in parallel with a per-list timeout through a configurable resolver. Each answer code is
// decoded per list (dnsbl_lists.h): listed -> critical by default (per-list severity), the
// list's refusal/error codes, timeouts and SERVFAIL -> unknown for that list, never "listed".
#pragma once

#include <chrono>
#include <optional>
#include <string>
#include <vector>

#include <boost/asio/ip/address.hpp>

#include "probes/dnsbl_lists.h"
#include "net/resolver.h"
#include "probes/probe_registry.h"

namespace lookout::probes {

ProbeKind dnsbl_probe_kind();

/// A DNSBL check after option parsing.
struct DnsblCheck {
  std::string target;  // host name or IP literal
  std::vector<boost::asio::ip::address> extra_ips;
  std::optional<std::vector<std::string>> domains;  // explicit; default: the target host
  std::vector<DnsblList> ip_lists, domain_lists;
  std::vector<std::string> servers;  // "ip:port"; empty = the resolver's
  std::chrono::milliseconds list_timeout{3000};
  bool fetch_txt = true;
  bool check_ipv6 = true;
  size_t max_parallel = 64;  // queries in flight per run
  /// Answers are reused for their TTL (negative: the SOA's), at most this long; 0 = never.
  std::chrono::seconds cache_ttl{300};
};

/// One (address or domain, list) verdict: the `entries` facts.
struct DnsblEntry {
  std::string target;
  std::string list;
  DnsblMeaning result = DnsblMeaning::error;
  std::vector<std::string> codes;
  std::string reason;
  std::string txt;  // the list's TXT text when listed
  Status severity = Status::critical;
  nlohmann::json to_json() const;
};

/// Classifies the A answer for `target` on `list` (pure; fuzzed).
DnsblEntry classify_dnsbl_answer(const DnsblList& list, const std::string& target,
                                 const net::DnsAnswer& answer);

/// The TXT text of a reply ("" when none), capped to a few hundred characters.
std::string dnsbl_txt_reason(const net::DnsAnswer& answer);

/// The whole check's verdict from its entries; `resolve_error` is set when the target host
/// could not be resolved.
Result dnsbl_verdict(const std::vector<DnsblEntry>& entries, const DnsblCheck& check,
                     const std::vector<boost::asio::ip::address>& addresses,
                     const std::vector<std::string>& domains, const std::string& resolve_error);

/// The names domain lists are asked about by default, before each list's policy adds the
/// registered domain: the target host name (none when the target is an IP or a single label).
std::vector<std::string> default_dnsbl_domains(const std::string& target);

}  // namespace lookout::probes
