// DNS probe: one query (A/AAAA/CNAME/MX/NS/TXT/SOA, ...) against the system resolver or named
// servers, with assertions on the rcode and the answers (contains / equals a set, MX present,
// TXT contains). Catches a domain whose A record was changed or whose NS moved.
#pragma once

#include <optional>
#include <string>
#include <vector>

#include "net/resolver.h"
#include "probes/probe_registry.h"

namespace lookout::probes {

ProbeKind dns_probe_kind();

/// A DNS check after option parsing (exposed for tests and the fuzz target).
struct DnsCheck {
  std::string name;
  uint16_t type = 1;                 // net::dns_type::kA
  std::vector<std::string> servers;  // "ip:port"; empty = the resolver's
  int expect_rcode = 0;              // NOERROR
  std::vector<std::string> expect;   // each must be among the answers
  std::optional<std::vector<std::string>> expect_exact;  // the answers must be exactly these
  bool mx_present = false;
  std::vector<std::string> txt_contains;  // each must be a substring of some TXT answer
  bool allow_empty = false;               // NOERROR without answers of the type is ok
};

/// Judges one reply (pure: no I/O). `seconds` is the query latency.
Result evaluate_dns_answer(const DnsCheck& check, const net::DnsAnswer& answer, double seconds);

/// Whether answer value `got` (presentation form) matches the expected `want` for `type`:
/// addresses compare as addresses, names case-insensitively without the trailing dot, an MX
/// expectation without a preference matches the exchange only.
bool dns_value_matches(uint16_t type, const std::string& want, const std::string& got);

/// "ip[:port]" / "[v6]:port" -> the resolver's "ip:port" / "[v6]:port" form (port 53 by
/// default); "" with `error` set when it is not an IP address with a valid port.
std::string normalise_dns_server(const std::string& text, std::string& error);

/// A name-based check's target as a user may type it: a URL ("https://www.example.com/x")
/// means its host; anything else is returned as it is.
std::string host_of_target(const std::string& target);

/// Reads option `key` (one server or a list) through normalise_dns_server; errors at the key.
std::vector<std::string> read_dns_servers(config::OptionMap& opts, const std::string& key,
                                          config::Errors& errors);

}  // namespace lookout::probes
