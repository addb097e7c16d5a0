#include "probes/dns_probe.h"

#include <algorithm>
#include <chrono>
#include <set>

#include "net/dns_message.h"
#include "net/url.h"

namespace lookout::probes {
namespace {

namespace asio = boost::asio;
namespace type = net::dns_type;

constexpr size_t kSummaryAnswers = 5;
constexpr size_t kSummaryValueChars = 80;

std::string shorten(const std::string& s) {
  if (s.size() <= kSummaryValueChars) return s;
  return s.substr(0, kSummaryValueChars) + "... (" + std::to_string(s.size()) + " chars)";
}

std::string list_for_summary(const std::vector<std::string>& values) {
  std::string out;
  for (size_t i = 0; i < values.size() && i < kSummaryAnswers; ++i)
    out += (i ? ", " : "") + shorten(values[i]);
  if (values.size() > kSummaryAnswers)
    out += " and " + std::to_string(values.size() - kSummaryAnswers) + " more";
  return out.empty() ? "(none)" : out;
}

std::string quoted_list(const std::vector<std::string>& values) {
  std::string out;
  for (const auto& v : values) out += (out.empty() ? "" : ", ") + v;
  return out;
}

// Splits an MX value "10 mail.example.com" into preference and host.
bool split_mx(const std::string& v, std::optional<unsigned>& pref, std::string& host) {
  auto space = v.find(' ');
  if (space == std::string::npos) {
    pref.reset();
    host = net::canonical_dns_name(v);
    return !v.empty();
  }
  unsigned p = 0;
  for (size_t i = 0; i < space; ++i) {
    if (v[i] < '0' || v[i] > '9' || p > 65535) return false;
    p = p * 10 + static_cast<unsigned>(v[i] - '0');
  }
  if (space == 0 || p > 65535) return false;
  pref = p;
  size_t start = v.find_first_not_of(' ', space);
  if (start == std::string::npos) return false;
  host = net::canonical_dns_name(v.substr(start));  // "." (null MX, RFC 7505) becomes ""
  return true;
}

class DnsProbe final : public Probe {
 public:
  explicit DnsProbe(DnsCheck check) : check_(std::move(check)) {}

  asio::awaitable<Result> run(ProbeContext& ctx) override {
    auto t0 = std::chrono::steady_clock::now();
    auto answer = co_await ctx.resolver.query(check_.name, check_.type, ctx.deadline,
                                              check_.servers);
    double seconds = std::chrono::duration<double>(std::chrono::steady_clock::now() - t0).count();
    Result r = evaluate_dns_answer(check_, answer, seconds);
    r.duration_seconds = seconds;
    co_return r;
  }

 private:
  DnsCheck check_;
};

bool valid_expectation(uint16_t t, const std::string& v) {
  switch (t) {
    case type::kA: return net::parse_ip(v) && net::parse_ip(v)->is_v4();
    case type::kAaaa: return net::parse_ip(v) && net::parse_ip(v)->is_v6();
    case type::kMx: {
      std::optional<unsigned> pref;
      std::string host;
      return split_mx(v, pref, host);
    }
    case type::kCname:
    case type::kNs:
    case type::kPtr: return !net::canonical_dns_name(v).empty();
    default: return true;
  }
}

}  // namespace

std::string normalise_dns_server(const std::string& text, std::string& error) {
  std::string host;
  uint16_t port = 53;
  if (!net::split_host_port(text, host, port, 53) || port == 0) {
    error = "expected IP[:PORT], got '" + text + "'";
    return {};
  }
  auto ip = net::parse_ip(host);
  if (!ip) {
    error = "a DNS server must be an IP address, got '" + text + "'";
    return {};
  }
  // appended piece by piece: "[" + std::string trips GCC 12's -Wrestrict false positive at -O3
  std::string out;
  if (ip->is_v6()) out += '[';
  out += ip->to_string();
  if (ip->is_v6()) out += ']';
  out += ':';
  out += std::to_string(port);
  return out;
}

std::string host_of_target(const std::string& target) {
  if (target.find("://") == std::string::npos) return target;
  auto url = net::parse_url(target);
  return url ? url->host : target;
}

std::vector<std::string> read_dns_servers(config::OptionMap& opts, const std::string& key,
                                          config::Errors& errors) {
  std::vector<std::string> out;
  if (auto s = opts.get_string_list(key, errors)) {
    for (const auto& item : *s) {
      std::string err;
      auto norm = normalise_dns_server(item, err);
      if (norm.empty())
        opts.error(key, err, errors);
      else
        out.push_back(norm);
    }
  }
  return out;
}

namespace {

ProbePtr build_dns(CheckSpec& spec, config::OptionMap& opts, config::Errors& errors) {
  size_t before = errors.size();
  DnsCheck c;
  if (auto t = opts.get_string("target", errors)) spec.target = *t;
  if (auto n = opts.get_string("name", errors)) spec.target = *n;
  if (spec.target.empty() && !spec.site_url.empty()) {
    if (auto url = net::parse_url(spec.site_url)) spec.target = url->host;
  }
  if (spec.target.empty()) {
    opts.error("name", "a dns check needs a name (the site URL's host by default)", errors);
    return nullptr;
  }
  c.name = net::canonical_dns_name(host_of_target(spec.target));
  {
    net::DnsWriter w({});
    w.question(c.name, type::kA);
    if (!w.ok() || c.name.empty()) opts.error("name", "'" + spec.target + "' is not a DNS name", errors);
  }
  bool record_given = false;
  if (auto rec = opts.get_string("record", errors)) {
    auto t = net::dns_type_from_name(*rec);
    if (!t || *t == type::kOpt)
      opts.error("record", "unknown record type '" + *rec + "' (A, AAAA, CNAME, MX, NS, TXT, SOA)",
                 errors);
    else
      c.type = *t;
    record_given = true;
  }
  if (auto v = opts.get_bool("mx_present", errors)) c.mx_present = *v;
  if (auto v = opts.get_string_list("txt_contains", errors)) c.txt_contains = *v;
  // The record type follows from the assertion when not given.
  if (!record_given && c.mx_present) c.type = type::kMx;
  if (!record_given && !c.txt_contains.empty()) c.type = type::kTxt;
  if (c.mx_present && c.type != type::kMx)
    opts.error("mx_present", "mx_present needs record: MX", errors);
  if (!c.txt_contains.empty() && c.type != type::kTxt)
    opts.error("txt_contains", "txt_contains needs record: TXT", errors);
  c.servers = read_dns_servers(opts, "servers", errors);
  if (auto rc = opts.get_string("expect_rcode", errors)) {
    auto code = net::dns_rcode_from_name(*rc);
    if (!code)
      opts.error("expect_rcode", "unknown rcode '" + *rc + "' (NOERROR, NXDOMAIN, SERVFAIL, ...)",
                 errors);
    else
      c.expect_rcode = *code;
  }
  auto check_values = [&](const std::string& key, const std::vector<std::string>& values) {
    for (const auto& v : values)
      if (!valid_expectation(c.type, v))
        opts.error(key, "'" + v + "' is not a valid " + net::dns_type_name(c.type) + " value",
                   errors);
  };
  if (auto v = opts.get_string_list("expect", errors)) {
    c.expect = *v;
    check_values("expect", c.expect);
  }
  if (auto v = opts.get_string_list("expect_exact", errors)) {
    c.expect_exact = *v;
    check_values("expect_exact", *c.expect_exact);
  }
  if (auto v = opts.get_bool("allow_empty", errors)) c.allow_empty = *v;
  if (errors.size() != before) return nullptr;
  spec.target = c.name;
  return std::make_shared<DnsProbe>(std::move(c));
}

}  // namespace

bool dns_value_matches(uint16_t t, const std::string& want, const std::string& got) {
  switch (t) {
    case type::kA:
    case type::kAaaa: {
      auto a = net::parse_ip(want), b = net::parse_ip(got);
      return a && b && *a == *b;
    }
    case type::kCname:
    case type::kNs:
    case type::kPtr: return net::canonical_dns_name(want) == net::canonical_dns_name(got);
    case type::kMx: {
      std::optional<unsigned> wp, gp;
      std::string wh, gh;
      if (!split_mx(want, wp, wh) || !split_mx(got, gp, gh)) return false;
      return wh == gh && (!wp || wp == gp);
    }
    case type::kSoa: {
      // "ns1.example.com" matches the primary name server; a full SOA compares canonically.
      if (want.find(' ') == std::string::npos)
        return net::canonical_dns_name(want) == net::canonical_dns_name(got.substr(0, got.find(' ')));
      return net::canonical_dns_name(want) == net::canonical_dns_name(got);
    }
    default: return want == got;
  }
}

Result evaluate_dns_answer(const DnsCheck& c, const net::DnsAnswer& answer, double seconds) {
  Result r;
  std::string what = c.name + " " + net::dns_type_name(c.type);
  auto outcome = net::read_dns_answer(answer);
  r.set_phase("resolve", seconds);
  r.facts["name"] = c.name;
  r.facts["record"] = net::dns_type_name(c.type);
  r.facts["latency_seconds"] = seconds;
  r.facts["answers"] = nlohmann::json::array();
  if (!c.servers.empty()) r.facts["servers"] = c.servers;
  r.add_sample("probe_dns_lookup_time_seconds", seconds);

  auto fail = [&](FailureKind kind, std::string summary) {
    r.status = Status::critical;
    r.failure = kind;
    r.summary = std::move(summary);
    return r;
  };
  if (outcome.rcode >= 0) r.facts["rcode"] = net::dns_rcode_name(outcome.rcode);
  else r.facts["rcode"] = nullptr;

  if (outcome.kind == net::DnsOutcome::timeout)
    return fail(FailureKind::timeout, "no DNS answer for " + what + " within " +
                                          human_duration(seconds));
  if (outcome.kind == net::DnsOutcome::malformed)
    return fail(FailureKind::protocol, outcome.error + " for " + what);
  if (outcome.kind == net::DnsOutcome::failed && outcome.rcode < 0)
    return fail(FailureKind::dns, "DNS query for " + what + " failed: " + outcome.error);

  if (outcome.rcode != c.expect_rcode)
    return fail(FailureKind::dns, net::dns_rcode_name(outcome.rcode) + " for " + what +
                                      " (expected " + net::dns_rcode_name(c.expect_rcode) +
                                      ") after " + human_duration(seconds));

  std::vector<std::string> values;
  if (outcome.message) {
    const auto& m = *outcome.message;
    nlohmann::json records = nlohmann::json::array();
    uint32_t min_ttl = 0;
    bool first = true;
    for (const auto& rec : m.answers) {
      records.push_back({{"name", rec.name},
                         {"type", net::dns_type_name(rec.type)},
                         {"ttl", rec.ttl},
                         {"value", net::dns_printable(rec.value())}});
      if (rec.type != c.type) continue;
      values.push_back(rec.value());
      if (first || rec.ttl < min_ttl) min_ttl = rec.ttl;
      first = false;
    }
    r.facts["records"] = std::move(records);
    if (!first) r.facts["ttl"] = min_ttl;
    r.facts["authoritative"] = m.aa;
    r.add_sample("probe_dns_answer_rrs", static_cast<double>(m.answers.size()));
    r.add_sample("probe_dns_authority_rrs", static_cast<double>(m.authority.size()));
    r.add_sample("probe_dns_additional_rrs", static_cast<double>(m.additional.size()));
  }
  // Raw values for matching; printable ones (valid JSON text) for facts and the summary.
  std::vector<std::string> shown;
  for (const auto& v : values) shown.push_back(net::dns_printable(v));
  r.facts["answers"] = shown;
  std::string got = what + ": " + list_for_summary(shown);

  if (c.expect_rcode == net::dns_rcode::kNoError) {
    if (values.empty() && (c.mx_present || !c.allow_empty))
      return fail(c.mx_present ? FailureKind::assertion : FailureKind::dns,
                  "no " + net::dns_type_name(c.type) + " records for " + c.name + " (NOERROR)");
    std::vector<std::string> missing;
    for (const auto& want : c.expect)
      if (std::none_of(values.begin(), values.end(),
                       [&](const auto& v) { return dns_value_matches(c.type, want, v); }))
        missing.push_back(want);
    if (!missing.empty())
      return fail(FailureKind::assertion, got + "; expected " + quoted_list(missing) + " missing");
    if (c.expect_exact) {
      bool equal = true;
      for (const auto& want : *c.expect_exact)
        equal = equal && std::any_of(values.begin(), values.end(), [&](const auto& v) {
                  return dns_value_matches(c.type, want, v);
                });
      for (const auto& v : values)
        equal = equal && std::any_of(c.expect_exact->begin(), c.expect_exact->end(),
                                     [&](const auto& want) { return dns_value_matches(c.type, want, v); });
      if (!equal)
        return fail(FailureKind::assertion,
                    got + "; expected exactly " + quoted_list(*c.expect_exact));
    }
    for (const auto& needle : c.txt_contains)
      if (std::none_of(values.begin(), values.end(),
                       [&](const auto& v) { return v.find(needle) != std::string::npos; }))
        return fail(FailureKind::assertion, "no TXT record of " + c.name + " contains \"" +
                                                shorten(needle) + "\" (" +
                                                std::to_string(values.size()) + " TXT records)");
  }
  r.status = Status::ok;
  r.summary = (outcome.rcode == net::dns_rcode::kNoError ? got : net::dns_rcode_name(outcome.rcode) + " for " + what + " as expected") +
              " in " + human_duration(seconds);
  return r;
}

ProbeKind dns_probe_kind() {
  return ProbeKind{
      "dns",
      "DNS records: rcode, answers contain / equal a set, MX present, TXT contains",
      &build_dns,
      {
          {"--record", "record", "record type: A, AAAA, CNAME, MX, NS, TXT, SOA (default A)"},
          {"--expect", "expect", "a value that must be among the answers (repeatable)", true},
          {"--expect-exact", "expect_exact", "the answers must be exactly these (repeatable)",
           true},
          {"--expect-rcode", "expect_rcode", "expected rcode (default NOERROR)"},
          {"--server", "servers", "DNS server IP[:PORT] to ask (repeatable)", true},
          {"--mx-present", "mx_present", "at least one MX record must exist", false, true},
          {"--txt-contains", "txt_contains", "text some TXT record must contain (repeatable)",
           true},
          {"--allow-empty", "allow_empty", "NOERROR without records is ok", false, true},
      },
  };
}

}  // namespace lookout::probes
