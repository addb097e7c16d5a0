#include "probes/dnsbl_lists.h"

#include <algorithm>
#include <charconv>
#include <fstream>
#include <unordered_set>

#include "config/duration.h"
#include "net/dns_message.h"

namespace lookout::probes {
namespace {

using boost::asio::ip::address_v4;
using Meaning = DnsblMeaning;

constexpr uint32_t ip4(uint8_t a, uint8_t b, uint8_t c, uint8_t d) {
  return uint32_t{a} << 24 | uint32_t{b} << 16 | uint32_t{c} << 8 | d;
}

DnsblCode code(uint32_t first, uint32_t last, Meaning m, std::string reason) {
  return DnsblCode{first, last, m, std::move(reason)};
}
DnsblCode code(uint32_t one, Meaning m, std::string reason) {
  return code(one, one, m, std::move(reason));
}

// Simple lists: RFC 5782's convention (127.0.0.2 upwards = listed, 127.0.0.1 never).
std::vector<DnsblCode> generic_codes() {
  return {code(ip4(127, 0, 0, 1), Meaning::error,
               "answered 127.0.0.1, which is never a listing (RFC 5782): the list is blocking "
               "this resolver or misbehaving"),
          code(ip4(127, 0, 0, 2), ip4(127, 0, 0, 254), Meaning::listed,
               std::string(kDnsblGenericListed))};
}

// Simple domain lists: the same, plus the DBL-style 127.0.1.x codes many domain lists use.
std::vector<DnsblCode> generic_domain_codes() {
  auto codes = generic_codes();
  codes.push_back(code(ip4(127, 0, 1, 255), Meaning::error,
                       "an IP address was queried against a domain list (127.0.1.255)"));
  codes.push_back(code(ip4(127, 0, 1, 2), ip4(127, 0, 1, 254), Meaning::listed,
                       std::string(kDnsblGenericListed)));
  return codes;
}

// Sources: ../shared/reference/dnsbl.md sections 2 and 3.
std::vector<DnsblCode> spamhaus_zen_codes() {
  return {code(ip4(127, 0, 0, 2), Meaning::listed, "Spamhaus SBL: known spam source"),
          code(ip4(127, 0, 0, 3), Meaning::listed, "Spamhaus CSS: low-reputation spam source"),
          code(ip4(127, 0, 0, 4), ip4(127, 0, 0, 7), Meaning::listed,
               "Spamhaus XBL: exploited or infected host"),
          code(ip4(127, 0, 0, 9), Meaning::listed, "Spamhaus DROP: hijacked netblock"),
          code(ip4(127, 0, 0, 10), Meaning::listed,
               "Spamhaus PBL (ISP): end-user range that should not send mail directly"),
          code(ip4(127, 0, 0, 11), Meaning::listed,
               "Spamhaus PBL: end-user range that should not send mail directly"),
          code(ip4(127, 0, 0, 30), Meaning::listed, "Spamhaus BCL: botnet controller"),
          code(ip4(127, 0, 0, 2), ip4(127, 0, 0, 254), Meaning::listed, "Spamhaus listing"),
          code(ip4(127, 0, 0, 1), Meaning::error, "answered 127.0.0.1: not a Spamhaus code")};
}

std::vector<DnsblCode> spamhaus_dbl_codes() {
  return {code(ip4(127, 0, 1, 2), Meaning::listed, "Spamhaus DBL: low-reputation domain"),
          code(ip4(127, 0, 1, 4), Meaning::listed, "Spamhaus DBL: phishing domain"),
          code(ip4(127, 0, 1, 5), Meaning::listed, "Spamhaus DBL: malware domain"),
          code(ip4(127, 0, 1, 6), Meaning::listed, "Spamhaus DBL: botnet C&C domain"),
          code(ip4(127, 0, 1, 102), Meaning::listed, "Spamhaus DBL: abused legitimate domain"),
          code(ip4(127, 0, 1, 103), Meaning::listed, "Spamhaus DBL: abused redirector domain"),
          code(ip4(127, 0, 1, 104), Meaning::listed,
               "Spamhaus DBL: abused legitimate domain used for phishing"),
          code(ip4(127, 0, 1, 105), Meaning::listed,
               "Spamhaus DBL: abused legitimate domain used for malware"),
          code(ip4(127, 0, 1, 106), Meaning::listed,
               "Spamhaus DBL: abused legitimate domain used for botnet C&C"),
          code(ip4(127, 0, 1, 255), Meaning::error,
               "Spamhaus DBL: an IP address was queried against a domain list"),
          code(ip4(127, 0, 1, 0), ip4(127, 0, 1, 254), Meaning::listed, "Spamhaus DBL listing")};
}

std::vector<DnsblCode> single_code(std::string reason) {
  auto codes = generic_codes();
  codes.insert(codes.begin(), code(ip4(127, 0, 0, 2), Meaning::listed, std::move(reason)));
  return codes;
}

std::vector<DnsblCode> mailspike_codes() {
  return {code(ip4(127, 0, 0, 2), Meaning::listed, "Mailspike: zero-hour spam wave"),
          code(ip4(127, 0, 0, 10), Meaning::listed, "Mailspike L5: worst reputation"),
          code(ip4(127, 0, 0, 11), Meaning::listed, "Mailspike L4: very bad reputation"),
          code(ip4(127, 0, 0, 12), Meaning::listed, "Mailspike L3: bad reputation"),
          // Reputation levels that are not listings (rep.mailspike.net semantics).
          code(ip4(127, 0, 0, 13), ip4(127, 0, 0, 20), Meaning::not_listed,
               "Mailspike reputation level, not a listing"),
          code(ip4(127, 0, 0, 1), Meaning::error, "answered 127.0.0.1: not a Mailspike code")};
}

// Spamhaus ZRD: newly observed domains, 127.0.2.2 (0-2 h old) ... 127.0.2.24 (23-24 h).
std::vector<DnsblCode> spamhaus_zrd_codes() {
  return {code(ip4(127, 0, 2, 2), ip4(127, 0, 2, 24), Meaning::listed,
               "Spamhaus ZRD: domain first seen less than 24 hours ago"),
          code(ip4(127, 0, 1, 255), Meaning::error,
               "Spamhaus ZRD: an IP address was queried against a domain list")};
}

// Allow-lists (DNSWL, Mailspike's wl): an answer is a good sign, never a listing.
std::vector<DnsblCode> allow_list_codes() {
  return {code(ip4(127, 0, 0, 255), Meaning::error,
               "the allow-list refused the query (127.0.0.255: too many queries)"),
          code(ip4(127, 0, 0, 0), ip4(127, 255, 255, 255), Meaning::not_listed,
               "on an allow-list (a good reputation, not a listing)")};
}

// SURBL multi: the last octet is a bitmask of lists (dnsbl.md section 3): 8 PH phishing,
// 16 MW malware, 64 ABUSE, 128 CR cracked sites; 127.0.0.1 means access blocked. Other bits are
// reserved: an answer with only reserved bits is not a listing we can name, so an error.
std::vector<DnsblCode> surbl_codes() {
  std::vector<DnsblCode> out;
  out.push_back(code(ip4(127, 0, 0, 1), Meaning::error,
                     "SURBL: access blocked (127.0.0.1): this resolver is refused"));
  static constexpr std::pair<uint8_t, std::string_view> kBits[] = {
      {8, "phishing"}, {16, "malware"}, {64, "abuse"}, {128, "cracked site"}};
  for (unsigned v = 2; v <= 255; ++v) {
    std::string reason;
    for (auto [bit, name] : kBits)
      if (v & bit) reason += (reason.empty() ? "" : ", ") + std::string(name);
    if (reason.empty()) continue;
    out.push_back(code(ip4(127, 0, 0, static_cast<uint8_t>(v)), Meaning::listed, "SURBL: " + reason));
  }
  return out;
}

struct Builtin {
  std::string_view zone;
  bool domain_list;
  bool ipv6;
  std::vector<DnsblCode> (*codes)();
};

const std::vector<Builtin>& builtins() {
  static const std::vector<Builtin> table = {
      {"zen.spamhaus.org", false, true, spamhaus_zen_codes},
      {"b.barracudacentral.org", false, false,
       [] { return single_code("Barracuda BRBL: poor-reputation sender"); }},
      {"bl.spamcop.net", false, false,
       [] { return single_code("SpamCop: reported as a spam source"); }},
      {"psbl.surriel.com", false, false,
       [] { return single_code("PSBL: sent mail to spam traps"); }},
      {"bl.mailspike.net", false, false, mailspike_codes},
      {"dbl.spamhaus.org", true, false, spamhaus_dbl_codes},
      // The rest of the family: same codes as the zone above.
      {"sbl.spamhaus.org", false, true, spamhaus_zen_codes},
      {"xbl.spamhaus.org", false, true, spamhaus_zen_codes},
      {"pbl.spamhaus.org", false, true, spamhaus_zen_codes},
      {"sbl-xbl.spamhaus.org", false, true, spamhaus_zen_codes},
      {"zrd.spamhaus.org", true, false, spamhaus_zrd_codes},
      {"multi.surbl.org", true, false, surbl_codes},
      {"rep.mailspike.net", false, false, mailspike_codes},
      {"z.mailspike.net", false, false, mailspike_codes},
      {"wl.mailspike.net", false, false, allow_list_codes},
      {"list.dnswl.org", false, true, allow_list_codes},
  };
  return table;
}

// Spamhaus DQS zones carry the customer's key as a first label: KEY.zen.dq.spamhaus.net.
std::string builtin_zone_name(std::string_view zone) {
  constexpr std::string_view kDqs = ".dq.spamhaus.net";
  if (!zone.ends_with(kDqs)) return std::string(zone);
  std::string_view rest = zone.substr(0, zone.size() - kDqs.size());  // KEY.zen
  auto dot = rest.rfind('.');
  std::string_view list = dot == std::string_view::npos ? rest : rest.substr(dot + 1);
  for (std::string_view known : {"zen", "sbl", "xbl", "pbl", "dbl", "zrd"})
    if (list == known) return std::string(list) + ".spamhaus.org";
  return std::string(zone);
}

// Spamhaus reserves the whole /24 for errors; the known ones get their documented reason.
std::string error_range_reason(uint8_t last_octet) {
  switch (last_octet) {
    case 252: return "typo or unknown zone name (127.255.255.252)";
    case 254:
      return "query refused: it came through a public or unattributable resolver "
             "(127.255.255.254); use a dedicated resolver";
    case 255: return "query refused: excessive number of queries (127.255.255.255)";
    case 250: return "query refused: the DQS key is disabled (127.255.255.250)";
    case 251: return "query refused: the DQS key is used illegally (127.255.255.251)";
    default: return "error code 127.255.255." + std::to_string(last_octet) + " from the list";
  }
}

std::optional<uint32_t> parse_ip4(std::string_view text) {
  boost::system::error_code ec;
  auto a = boost::asio::ip::make_address_v4(std::string(text), ec);
  if (ec) return std::nullopt;
  return a.to_uint();
}

// ---- Public Suffix List ----

struct SuffixRules {
  bool loaded = false;
  std::unordered_set<std::string> rules;       // "co.uk", "*.ck"
  std::unordered_set<std::string> exceptions;  // "www.ck" (from "!www.ck")
};

const SuffixRules& suffix_rules() {
  static const SuffixRules rules = [] {
    SuffixRules r;
    for (const char* path : {"/usr/share/publicsuffix/public_suffix_list.dat",
                             "/usr/share/publicsuffix/effective_tld_names.dat"}) {
      std::ifstream in(path);
      if (!in) continue;
      std::string line;
      while (std::getline(in, line)) {
        auto end = line.find_first_of(" \t\r");
        if (end != std::string::npos) line.resize(end);
        if (line.empty() || line.starts_with("//")) continue;
        if (line[0] == '!')
          r.exceptions.insert(net::canonical_dns_name(line.substr(1)));
        else
          r.rules.insert(net::canonical_dns_name(line));
      }
      r.loaded = !r.rules.empty();
      if (r.loaded) break;
    }
    return r;
  }();
  return rules;
}

std::string join_from(const std::vector<std::string_view>& labels, size_t from) {
  std::string out;
  for (size_t i = from; i < labels.size(); ++i) {
    if (!out.empty()) out.push_back('.');
    out.append(labels[i]);
  }
  return out;
}

}  // namespace

std::string_view to_string(DnsblMeaning m) {
  switch (m) {
    case Meaning::listed: return "listed";
    case Meaning::not_listed: return "not_listed";
    case Meaning::error: return "error";
  }
  return "error";
}

std::string_view to_string(DnsblNames n) {
  switch (n) {
    case DnsblNames::host_and_domain: return "host_and_domain";
    case DnsblNames::registered_domain: return "registered_domain";
    case DnsblNames::host: return "host";
  }
  return "host_and_domain";
}

namespace {
bool zone_in(std::string_view zone, std::string_view domain) {
  return zone == domain || (zone.size() > domain.size() && zone.ends_with(domain) &&
                            zone[zone.size() - domain.size() - 1] == '.');
}
}  // namespace

DnsblList dnsbl_list_for_zone(std::string_view zone, bool domain_list) {
  DnsblList list;
  list.zone = net::canonical_dns_name(zone);
  list.domain_list = domain_list;
  // SURBL and URIBL look up registered domains only (their zones, mirrors and DQS-style keys
  // all sit below surbl.org / uribl.com); Spamhaus DBL/ZRD and unknown lists get both names.
  if (zone_in(list.zone, "surbl.org") || zone_in(list.zone, "uribl.com"))
    list.names = DnsblNames::registered_domain;
  const std::string known = builtin_zone_name(list.zone);
  for (const auto& b : builtins()) {
    if (b.zone == known && b.domain_list == domain_list) {
      list.ipv6 = b.ipv6;
      list.codes = b.codes();
      return list;
    }
  }
  list.codes = domain_list ? generic_domain_codes() : generic_codes();
  return list;
}

const std::vector<DnsblList>& default_ip_lists() {
  static const std::vector<DnsblList> lists = [] {
    std::vector<DnsblList> out;
    for (auto zone : {"zen.spamhaus.org", "b.barracudacentral.org", "bl.spamcop.net",
                      "psbl.surriel.com", "bl.mailspike.net"})
      out.push_back(dnsbl_list_for_zone(zone, false));
    return out;
  }();
  return lists;
}

const std::vector<DnsblList>& default_domain_lists() {
  static const std::vector<DnsblList> lists = {dnsbl_list_for_zone("dbl.spamhaus.org", true)};
  return lists;
}

DnsblCodeVerdict classify_dnsbl_code(const DnsblList& list, const boost::asio::ip::address& code) {
  if (!code.is_v4())
    return {Meaning::error, "answer " + code.to_string() + " is not an IPv4 code: list failed"};
  uint32_t v = code.to_v4().to_uint();
  if ((v >> 24) != 127)
    return {Meaning::error, "answer " + code.to_string() +
                                " is outside 127.0.0.0/8: the list refused or failed"};
  if ((v & 0xFFFFFF00u) == ip4(127, 255, 255, 0))
    return {Meaning::error, error_range_reason(static_cast<uint8_t>(v & 0xFF))};
  for (const auto& row : list.codes)
    if (v >= row.first && v <= row.last) return {row.meaning, row.reason};
  return {Meaning::error, "unexpected answer code " + code.to_string() + " from " + list.zone};
}

std::string dnsbl_query_name(const boost::asio::ip::address& ip, std::string_view zone) {
  std::string out;
  if (ip.is_v4() || (ip.is_v6() && ip.to_v6().is_v4_mapped())) {
    auto b = ip.is_v4() ? ip.to_v4().to_bytes()
                        : boost::asio::ip::make_address_v4(boost::asio::ip::v4_mapped,
                                                           ip.to_v6())
                              .to_bytes();
    for (int i = 3; i >= 0; --i) out += std::to_string(b[static_cast<size_t>(i)]) + ".";
  } else {
    // Full nibble expansion, reversed: never reverse the compressed text form.
    static constexpr char kHex[] = "0123456789abcdef";
    auto b = ip.to_v6().to_bytes();
    for (int i = 15; i >= 0; --i) {
      uint8_t byte = b[static_cast<size_t>(i)];
      out.push_back(kHex[byte & 0xF]);
      out.push_back('.');
      out.push_back(kHex[byte >> 4]);
      out.push_back('.');
    }
  }
  out += net::canonical_dns_name(zone);
  return out;
}

std::string rhsbl_query_name(std::string_view domain, std::string_view zone) {
  return net::canonical_dns_name(domain) + "." + net::canonical_dns_name(zone);
}

std::string registered_domain(std::string_view host) {
  std::string h = net::canonical_dns_name(host);
  std::vector<std::string_view> labels;
  for (size_t start = 0; start <= h.size();) {
    size_t dot = h.find('.', start);
    if (dot == std::string::npos) dot = h.size();
    labels.push_back(std::string_view(h).substr(start, dot - start));
    start = dot + 1;
  }
  if (labels.size() <= 2) return h;
  const auto& psl = suffix_rules();
  size_t suffix_start = labels.size() - 1;  // the implicit "*" rule: the TLD
  if (!psl.loaded) {
    suffix_start = labels.size() - 1;
  } else {
    for (size_t i = 0; i < labels.size(); ++i) {  // longest suffix first
      std::string suffix = join_from(labels, i);
      if (psl.exceptions.count(suffix)) {
        suffix_start = i + 1;
        break;
      }
      if (psl.rules.count(suffix) ||
          (i + 1 < labels.size() && psl.rules.count("*." + join_from(labels, i + 1)))) {
        suffix_start = i;
        break;
      }
    }
  }
  if (suffix_start == 0) return h;
  return join_from(labels, suffix_start - 1);
}

std::vector<std::string> dnsbl_names_for(const DnsblList& list, std::string_view name) {
  std::vector<std::string> out;
  std::string host = net::canonical_dns_name(name);
  if (host.empty()) return out;
  auto add = [&](std::string n) {
    if (n.find('.') == std::string::npos) return;  // "localhost", a bare TLD
    if (std::find(out.begin(), out.end(), n) == out.end()) out.push_back(std::move(n));
  };
  if (list.names != DnsblNames::registered_domain) add(host);
  if (list.names != DnsblNames::host) add(registered_domain(host));
  return out;
}

bool parse_dnsbl_code_range(std::string_view text, uint32_t& first, uint32_t& last) {
  if (auto slash = text.find('/'); slash != std::string_view::npos) {
    auto base = parse_ip4(text.substr(0, slash));
    unsigned bits = 0;
    auto digits = text.substr(slash + 1);
    auto [p, ec] = std::from_chars(digits.data(), digits.data() + digits.size(), bits);
    if (!base || ec != std::errc() || p != digits.data() + digits.size() || bits > 32 ||
        digits.empty())
      return false;
    uint32_t mask = bits == 0 ? 0 : ~uint32_t{0} << (32 - bits);
    first = *base & mask;
    last = first | ~mask;
    return true;
  }
  if (auto dash = text.find('-'); dash != std::string_view::npos) {
    auto a = parse_ip4(text.substr(0, dash));
    auto b = parse_ip4(text.substr(dash + 1));
    if (!a || !b || *a > *b) return false;
    first = *a;
    last = *b;
    return true;
  }
  auto a = parse_ip4(text);
  if (!a) return false;
  first = last = *a;
  return true;
}

namespace {

std::optional<Status> parse_severity(std::string_view s) {
  if (s == "critical") return Status::critical;
  if (s == "warning") return Status::warning;
  if (s == "info" || s == "ok") return Status::ok;
  return std::nullopt;
}

std::optional<Meaning> parse_meaning(std::string_view s) {
  if (s == "listed") return Meaning::listed;
  if (s == "not_listed") return Meaning::not_listed;
  if (s == "error") return Meaning::error;
  return std::nullopt;
}

// codes: {"127.0.0.2": "reason", "127.0.1.255": {result: error, reason: "..."}}
bool read_codes(const YAML::Node& node, const std::string& path, std::vector<DnsblCode>& out,
                config::Errors& errors) {
  if (!node.IsMap()) {
    errors.add(node, path, "expected a map of answer code (or range) to reason");
    return false;
  }
  bool ok = true;
  for (const auto& kv : node) {
    std::string key = kv.first.Scalar();
    std::string at = path + "." + key;
    DnsblCode row;
    if (!parse_dnsbl_code_range(key, row.first, row.last)) {
      errors.add(kv.first, at, "expected an IPv4 code, a range a-b or a CIDR block");
      ok = false;
      continue;
    }
    if (kv.second.IsScalar()) {
      row.reason = kv.second.Scalar();
    } else if (kv.second.IsMap()) {
      for (const auto& f : kv.second) {
        std::string field = f.first.Scalar();
        if (field == "reason" && f.second.IsScalar()) {
          row.reason = f.second.Scalar();
        } else if (field == "result" && f.second.IsScalar()) {
          auto m = parse_meaning(f.second.Scalar());
          if (!m) {
            errors.add(f.second, at + ".result", "expected listed, not_listed or error");
            ok = false;
          } else {
            row.meaning = *m;
          }
        } else {
          errors.add(f.first, at + "." + field, "unknown key");
          ok = false;
        }
      }
    } else {
      errors.add(kv.second, at, "expected a reason or a map {result, reason}");
      ok = false;
      continue;
    }
    if (row.reason.empty())
      row.reason = row.meaning == Meaning::listed ? std::string(kDnsblGenericListed) : key;
    out.push_back(std::move(row));
  }
  return ok;
}

std::optional<DnsblList> read_list_item(const YAML::Node& item, const std::string& path,
                                        bool domain_lists, config::Errors& errors) {
  auto valid_zone = [&](const YAML::Node& n, const std::string& at) -> std::optional<std::string> {
    std::string zone = n.IsScalar() ? net::canonical_dns_name(n.Scalar()) : std::string();
    net::DnsWriter probe({});
    probe.question(zone, net::dns_type::kA);
    if (zone.empty() || !probe.ok() || zone.find('.') == std::string::npos) {
      errors.add(n, at, "expected a DNS zone name such as zen.spamhaus.org");
      return std::nullopt;
    }
    return zone;
  };
  if (item.IsScalar()) {
    auto zone = valid_zone(item, path);
    if (!zone) return std::nullopt;
    return dnsbl_list_for_zone(*zone, domain_lists);
  }
  if (!item.IsMap()) {
    errors.add(item, path, "expected a zone name or a map with a zone");
    return std::nullopt;
  }
  if (!item["zone"]) {
    errors.add(item, path + ".zone", "missing field");
    return std::nullopt;
  }
  auto zone = valid_zone(item["zone"], path + ".zone");
  if (!zone) return std::nullopt;
  DnsblList list = dnsbl_list_for_zone(*zone, domain_lists);
  bool ok = true;
  for (const auto& kv : item) {
    std::string key = kv.first.Scalar();
    std::string at = path + "." + key;
    const YAML::Node& v = kv.second;
    if (key == "zone") continue;
    if (key == "severity") {
      auto s = v.IsScalar() ? parse_severity(v.Scalar()) : std::nullopt;
      if (!s) {
        errors.add(v, at, "expected critical, warning or info");
        ok = false;
      } else {
        list.severity = *s;
      }
    } else if (key == "codes") {
      std::vector<DnsblCode> codes;
      if (!read_codes(v, at, codes, errors)) ok = false;
      list.codes = std::move(codes);
    } else if (key == "timeout") {
      auto d = v.IsScalar() ? config::parse_duration(v.Scalar()) : std::nullopt;
      if (!d || d->count() <= 0) {
        errors.add(v, at, "expected a positive duration such as 2s");
        ok = false;
      } else {
        list.timeout = *d;
      }
    } else if (key == "query" && domain_lists) {
      std::string q = v.IsScalar() ? v.Scalar() : std::string();
      if (q == "host_and_domain") list.names = DnsblNames::host_and_domain;
      else if (q == "registered_domain") list.names = DnsblNames::registered_domain;
      else if (q == "host") list.names = DnsblNames::host;
      else {
        errors.add(v, at, "expected host_and_domain, registered_domain or host");
        ok = false;
      }
    } else if (key == "ipv6" && !domain_lists) {
      bool b = false;
      if (!v.IsScalar() || !YAML::convert<bool>::decode(v, b)) {
        errors.add(v, at, "expected true or false");
        ok = false;
      } else {
        list.ipv6 = b;
      }
    } else {
      errors.add(kv.first, at, "unknown key");
      ok = false;
    }
  }
  if (!ok) return std::nullopt;
  return list;
}

}  // namespace

std::optional<std::vector<DnsblList>> read_dnsbl_lists(config::OptionMap& options,
                                                       const std::string& key, bool domain_lists,
                                                       config::Errors& errors) {
  YAML::Node node = options.node(key);
  if (!node.IsDefined() || node.IsNull()) return std::nullopt;
  std::string path = options.path_of(key);
  std::vector<DnsblList> out;
  auto add = [&](const YAML::Node& item, const std::string& at) {
    auto list = read_list_item(item, at, domain_lists, errors);
    if (!list) return;
    for (const auto& existing : out)
      if (existing.zone == list->zone) {
        errors.add(item, at, "zone " + list->zone + " is listed twice");
        return;
      }
    out.push_back(std::move(*list));
  };
  if (node.IsScalar()) {
    add(node, path);
  } else if (node.IsSequence()) {
    for (size_t i = 0; i < node.size(); ++i)
      add(node[i], path + "[" + std::to_string(i) + "]");
  } else {
    options.error(key, "expected a list of zones", errors);
  }
  return out;
}

}  // namespace lookout::probes
