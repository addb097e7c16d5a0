#include "probes/http_probe.h"

#include <cctype>
#include <chrono>

#include "net/http_client.h"
#include "net/resolver.h"
#include "probes/fact_names.h"

namespace lookout::probes {
namespace asio = boost::asio;
using net::AddressFamily;

namespace {

struct StatusRange {
  unsigned lo, hi;
};

struct HttpOptions {
  net::Url url;
  std::string method = "GET";
  std::vector<StatusRange> expect_status{{200, 299}};
  std::string expect_status_text = "200-299";
  std::optional<std::string> keyword;
  std::optional<std::string> keyword_absent;
  std::optional<double> warn_time, crit_time;  // seconds
  std::vector<std::pair<std::string, std::string>> headers;
  std::string body;
  int max_redirects = 5;
  size_t body_limit = 1 << 20;
  std::string ca_file;
  bool verify_tls = true;
  std::string sni;
  AddressFamily family = AddressFamily::any;
  bool all_addresses = false;
};

bool parse_status_list(const std::vector<std::string>& items, std::vector<StatusRange>& out) {
  out.clear();
  for (const auto& raw : items) {
    // accept "200", "200-299", "2xx" and comma-separated lists of those
    size_t start = 0;
    while (start <= raw.size()) {
      size_t comma = raw.find(',', start);
      std::string item = raw.substr(start, comma == std::string::npos ? std::string::npos : comma - start);
      start = comma == std::string::npos ? raw.size() + 1 : comma + 1;
      item.erase(0, item.find_first_not_of(' '));
      item.erase(item.find_last_not_of(' ') + 1);
      if (item.empty()) continue;
      auto num = [](const std::string& s, unsigned& v) {
        if (s.empty() || s.size() > 3) return false;
        v = 0;
        for (char c : s) {
          if (!std::isdigit(static_cast<unsigned char>(c))) return false;
          v = v * 10 + static_cast<unsigned>(c - '0');
        }
        return v >= 100 && v <= 599;
      };
      StatusRange r{};
      if (item.size() == 3 && (item[1] == 'x' || item[1] == 'X') && (item[2] == 'x' || item[2] == 'X') &&
          item[0] >= '1' && item[0] <= '5') {
        r.lo = static_cast<unsigned>(item[0] - '0') * 100;
        r.hi = r.lo + 99;
      } else if (auto dash = item.find('-'); dash != std::string::npos) {
        if (!num(item.substr(0, dash), r.lo) || !num(item.substr(dash + 1), r.hi) || r.lo > r.hi)
          return false;
      } else {
        if (!num(item, r.lo)) return false;
        r.hi = r.lo;
      }
      out.push_back(r);
    }
  }
  return !out.empty();
}

bool status_expected(const std::vector<StatusRange>& ranges, unsigned status) {
  for (const auto& r : ranges)
    if (status >= r.lo && status <= r.hi) return true;
  return false;
}

class HttpProbe : public Probe {
 public:
  explicit HttpProbe(HttpOptions o) : o_(std::move(o)) {}

  std::string host_key() const override { return o_.url.host; }

  asio::awaitable<Result> run(ProbeContext& ctx) override {
    if (!o_.all_addresses) co_return co_await run_once(ctx, std::nullopt);

    const auto t0 = std::chrono::steady_clock::now();
    auto rr = co_await ctx.resolver.resolve(o_.url.host, o_.family, ctx.deadline);
    if (!rr.ok) co_return co_await run_once(ctx, std::nullopt);  // reports the DNS failure
    // Each run connects to a pinned address; the lookup done here is their resolve phase.
    const double resolve = std::chrono::duration<double>(std::chrono::steady_clock::now() - t0).count();
    Result worst_result;
    nlohmann::json per_address = nlohmann::json::array();
    int failing = 0;
    bool first = true;
    for (const auto& a : rr.addresses) {
      Result r = co_await run_once(ctx, a, resolve);
      per_address.push_back({{"address", a.to_string()},
                             {"status", to_string(r.status)},
                             {"summary", r.summary}});
      if (r.status != Status::ok) ++failing;
      if (first || worst(worst_result.status, r.status) != worst_result.status ||
          (r.status != Status::ok && worst_result.status == Status::ok)) {
        worst_result = std::move(r);
        first = false;
      }
    }
    if (failing > 0 && rr.addresses.size() > 1)
      worst_result.summary = "down on " + std::to_string(failing) + " of " +
                             std::to_string(rr.addresses.size()) + " addresses: " +
                             worst_result.summary;
    worst_result.facts["addresses"] = per_address;
    co_return worst_result;
  }

 private:
  asio::awaitable<Result> run_once(ProbeContext& ctx, std::optional<asio::ip::address> address,
                                   double resolve_seconds = 0) {
    net::HttpRequest req;
    req.method = o_.method;
    req.url = o_.url;
    req.headers = o_.headers;
    req.body = o_.body;
    req.body_limit = o_.body_limit;
    req.address = address;
    req.family = o_.family;
    req.ca_file = o_.ca_file;
    req.verify_tls = o_.verify_tls;
    req.sni = o_.sni;
    auto chain = co_await net::http_fetch_follow(ctx, req, o_.max_redirects);
    const net::HttpResponse& resp = chain.response;

    Result r;
    r.set_phase("resolve", resp.resolve + resolve_seconds);
    r.set_phase("connect", resp.connect);
    if (resp.used_tls || o_.url.is_https()) r.set_phase("tls", resp.tls);
    r.set_phase("processing", resp.processing);
    r.set_phase("transfer", resp.transfer);
    for (const auto& [phase, v] : r.phases)
      r.add_sample("probe_http_duration_seconds", v, {{"phase", phase}});
    r.facts[fact::kUrl] = chain.urls.back();
    if (chain.urls.size() > 1) r.facts["redirects"] = chain.urls;
    if (resp.peer) r.facts[fact::kAddress] = resp.peer->to_string();
    r.add_sample("probe_http_redirects", static_cast<double>(chain.urls.size() - 1));
    r.add_sample("probe_http_ssl", resp.used_tls ? 1 : 0);
    const std::string where = resp.peer ? resp.peer->to_string() : o_.url.host;
    const double elapsed = resp.total() + resolve_seconds;

    if (resp.failure != FailureKind::none) {
      // internal = our side (an unusable ca_file): unknown, the site is not to blame
      r.status = resp.failure == FailureKind::internal ? Status::unknown : Status::critical;
      r.failure = resp.failure;
      r.summary = resp.error;
      // Say which address failed (a site has several); connect errors already name it.
      if (!resp.peer_text.empty() && resp.failure != FailureKind::internal &&
          resp.error.find(resp.peer_text) == std::string::npos)
        r.summary += (resp.failure == FailureKind::tls ? " (" + resp.peer_text + ")"
                                                       : " from " + resp.peer_text);
      // The failing hop may be a redirect target the user never typed (http -> https://www.).
      if (chain.urls.size() > 1) r.summary += " after redirect to " + chain.urls.back();
      if (resp.status) r.facts[fact::kStatusCode] = resp.status;
      co_return r;
    }
    r.facts[fact::kStatusCode] = resp.status;
    r.facts["body_bytes"] = resp.body.size();
    if (resp.body_truncated) r.facts["body_truncated"] = true;
    if (resp.used_tls) {
      r.facts[fact::kTlsVersion] = resp.tls_version;
      r.facts[fact::kTlsCipher] = resp.tls_cipher;
    }
    r.add_sample("probe_http_status_code", resp.status);
    // blackbox_exporter's meanings: the Content-Length header as sent (-1 when absent, e.g. a
    // chunked body), and the body bytes actually read.
    r.add_sample("probe_http_content_length", content_length_header(resp));
    r.add_sample("probe_http_uncompressed_body_length", static_cast<double>(resp.body.size()));

    if (chain.redirect_loop) {
      r.status = Status::critical;
      r.failure = FailureKind::protocol;
      r.summary = "redirect loop: " + join(chain.urls);
      co_return r;
    }
    if (chain.too_many_redirects) {
      r.status = Status::critical;
      r.failure = FailureKind::protocol;
      r.summary = "more than " + std::to_string(o_.max_redirects) + " redirects, last " +
                  chain.urls.back();
      co_return r;
    }
    if (!status_expected(o_.expect_status, resp.status)) {
      r.status = Status::critical;
      r.failure = FailureKind::http_status;
      r.summary = "HTTP " + std::to_string(resp.status) + " from " + where + " after " +
                  human_duration(elapsed) + " (expected " + o_.expect_status_text + ")";
      if (chain.urls.size() > 1) r.summary += " at " + chain.urls.back();
      // An unfollowed redirect (max_redirects 0): where it points is what a person checks next.
      if (resp.status >= 300 && resp.status < 400)
        if (auto loc = resp.header("Location"))
          if (auto here = net::parse_url(chain.urls.back()))
            if (auto next = net::resolve_location(*here, *loc))
              r.summary += ", redirecting to " + next->to_string();
      co_return r;
    }
    if (o_.keyword) {
      bool found = resp.body.find(*o_.keyword) != std::string::npos;
      r.facts["keyword_found"] = found;
      r.add_sample("probe_failed_due_to_regex", found ? 0 : 1);
      if (!found) {
        r.status = Status::critical;
        r.failure = FailureKind::assertion;
        r.summary = "keyword \"" + *o_.keyword + "\" not found" +
                    (resp.body_truncated ? " in the first " + std::to_string(o_.body_limit) + " bytes" : "") +
                    " (HTTP " + std::to_string(resp.status) + " from " + where + ")";
        co_return r;
      }
    }
    if (o_.keyword_absent && resp.body.find(*o_.keyword_absent) != std::string::npos) {
      r.status = Status::critical;
      r.failure = FailureKind::assertion;
      r.summary = "forbidden keyword \"" + *o_.keyword_absent + "\" found (HTTP " +
                  std::to_string(resp.status) + " from " + where + ")";
      co_return r;
    }
    r.status = Status::ok;
    r.summary = "HTTP " + std::to_string(resp.status) + " from " + where + " in " +
                human_duration(elapsed);
    if (o_.crit_time && elapsed >= *o_.crit_time) {
      r.status = Status::critical;
      r.failure = FailureKind::assertion;
      r.summary += " (slower than critical threshold " + human_duration(*o_.crit_time) + ")";
    } else if (o_.warn_time && elapsed >= *o_.warn_time) {
      r.status = Status::warning;
      r.failure = FailureKind::assertion;
      r.summary += " (slower than warning threshold " + human_duration(*o_.warn_time) + ")";
    }
    co_return r;
  }

  /// The Content-Length header's value; -1 when absent or not a plain decimal number.
  static double content_length_header(const net::HttpResponse& resp) {
    auto v = resp.header("Content-Length");
    if (!v) return -1;
    std::string_view t = *v;
    while (!t.empty() && (t.front() == ' ' || t.front() == '\t')) t.remove_prefix(1);
    while (!t.empty() && (t.back() == ' ' || t.back() == '\t')) t.remove_suffix(1);
    if (t.empty() || t.size() > 19) return -1;
    double n = 0;
    for (char c : t) {
      if (c < '0' || c > '9') return -1;
      n = n * 10 + (c - '0');
    }
    return n;
  }

  static std::string join(const std::vector<std::string>& urls) {
    std::string s;
    for (const auto& u : urls) s += (s.empty() ? "" : " -> ") + u;
    return s;
  }

  HttpOptions o_;
};

ProbePtr build_http(CheckSpec& spec, config::OptionMap& opts, config::Errors& errors) {
  HttpOptions o;
  size_t before = errors.size();
  if (auto t = opts.get_string("target", errors)) spec.target = *t;
  if (auto m = opts.get_string("method", errors)) {
    static const char* kMethods[] = {"GET", "HEAD", "POST", "PUT", "OPTIONS", "DELETE", "PATCH"};
    bool ok = false;
    for (auto* k : kMethods) ok = ok || *m == k;
    if (!ok) opts.error("method", "unsupported method '" + *m + "'", errors);
    o.method = *m;
  }
  if (auto s = opts.get_string_list("expect_status", errors)) {
    if (!parse_status_list(*s, o.expect_status))
      opts.error("expect_status", "expected status codes like 200, 200-299 or 2xx", errors);
    o.expect_status_text.clear();
    for (const auto& i : *s) o.expect_status_text += (o.expect_status_text.empty() ? "" : ",") + i;
  }
  o.keyword = opts.get_string("keyword", errors);
  o.keyword_absent = opts.get_string("keyword_absent", errors);
  if (o.method == "HEAD" && (o.keyword || o.keyword_absent))  // would always fail / always pass
    opts.error(o.keyword ? "keyword" : "keyword_absent",
               "a keyword check needs a body; a HEAD response has none", errors);
  if (auto d = opts.get_duration("warn_time", errors)) o.warn_time = d->count() / 1000.0;
  if (auto d = opts.get_duration("crit_time", errors)) o.crit_time = d->count() / 1000.0;
  if (o.warn_time && o.crit_time && *o.warn_time > *o.crit_time)
    opts.error("warn_time", "warn_time must not exceed crit_time", errors);
  if (opts.has("headers")) {
    YAML::Node h = opts.node("headers");
    if (h.IsMap()) {
      for (const auto& kv : h) {
        if (!kv.second.IsScalar())
          opts.error("headers", "header values must be strings", errors);
        else
          o.headers.emplace_back(kv.first.Scalar(), kv.second.Scalar());
      }
    } else if (h.IsSequence() || h.IsScalar()) {
      // "Name: value" strings (the CLI's --header)
      std::vector<std::string> items;
      if (h.IsScalar()) items.push_back(h.Scalar());
      else
        for (const auto& i : h) items.push_back(i.IsScalar() ? i.Scalar() : "");
      for (const auto& item : items) {
        auto colon = item.find(':');
        if (colon == std::string::npos || colon == 0) {
          opts.error("headers", "header '" + item + "' is not 'Name: value'", errors);
          continue;
        }
        std::string v = item.substr(colon + 1);
        v.erase(0, v.find_first_not_of(' '));
        o.headers.emplace_back(item.substr(0, colon), v);
      }
    } else {
      opts.error("headers", "expected a map of header names to values", errors);
    }
  }
  if (auto b = opts.get_string("body", errors)) o.body = *b;
  if (auto n = opts.get_int("max_redirects", errors, 0, 30)) o.max_redirects = static_cast<int>(*n);
  if (auto n = opts.get_int("body_limit", errors, 0, 64 << 20)) o.body_limit = static_cast<size_t>(*n);
  if (auto f = opts.get_string("ca_file", errors)) o.ca_file = *f;
  if (auto v = opts.get_bool("verify_tls", errors)) o.verify_tls = *v;
  if (auto v = opts.get_bool("insecure", errors)) o.verify_tls = o.verify_tls && !*v;
  if (auto s = opts.get_string("sni", errors)) o.sni = *s;
  if (auto v = opts.get_string("ip_version", errors)) {
    if (*v == "4" || *v == "ipv4") o.family = AddressFamily::v4;
    else if (*v == "6" || *v == "ipv6") o.family = AddressFamily::v6;
    else if (*v == "any") o.family = AddressFamily::any;
    else opts.error("ip_version", "expected 4, 6 or any", errors);
  }
  if (auto v = opts.get_bool("all_addresses", errors)) o.all_addresses = *v;
  auto url = url_target(spec, opts, errors, "http");
  if (!url) return nullptr;
  o.url = *url;
  if (errors.size() != before) return nullptr;
  return std::make_shared<HttpProbe>(std::move(o));
}

}  // namespace

ProbeKind http_probe_kind() {
  return ProbeKind{
      "http",
      "HTTP(S) uptime: status codes, keyword, response time, redirects, TLS verification",
      &build_http,
      {
          {"--expect-status", "expect_status", "expected status codes: 200, 200-299, 2xx (repeatable)", true},
          {"--keyword", "keyword", "text that must appear in the body"},
          {"--keyword-absent", "keyword_absent", "text that must not appear in the body"},
          {"--warn-time", "warn_time", "response time warning threshold (e.g. 2s or 2)", false, false, true},
          {"--crit-time", "crit_time", "response time critical threshold (e.g. 5s or 5)", false, false, true},
          {"--max-redirects", "max_redirects", "redirects to follow (default 5, 0 = none)"},
          {"--ca-file", "ca_file", "CA bundle to verify the server certificate"},
          {"--method", "method", "HTTP method (default GET)"},
          {"--header", "headers", "request header 'Name: value' (repeatable)", true},
          {"--body-limit", "body_limit", "bytes of body kept for keyword checks (default 1 MiB)"},
          {"--sni", "sni", "TLS server name (default: URL host)"},
          {"--ip-version", "ip_version", "4, 6 or any"},
          {"--all-addresses", "all_addresses", "check every resolved address", false, true},
          {"--insecure", "insecure", "do not verify the TLS certificate", false, true},
      },
  };
}

}  // namespace lookout::probes
