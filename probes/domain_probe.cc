#include "probes/domain_probe.h"

#include <sys/stat.h>

#include <cctype>
#include <fstream>
#include <map>
#include <mutex>
#include <sstream>


#include "probes/catalog.h"
#include "probes/dns_probe.h"
#include "probes/dnsbl_lists.h"
#include "net/http_client.h"
#include "net/x509_facts.h"
#include "probes/fact_names.h"
#include "probes/rdap.h"

namespace lookout::probes {
namespace asio = boost::asio;

namespace {

// RDAP domain replies are a few KiB; anything past this is a broken or hostile server.
constexpr size_t kBodyLimit = 2 << 20;
// rdap.org and some registries redirect to the authoritative server.
constexpr int kMaxRedirects = 3;
// Bootstrap files are read at config load; a path like /dev/zero must not eat the memory.
constexpr int64_t kMaxBootstrapBytes = 16 << 20;
// EPP statuses (RFC 8056 names) that mean the domain is not usable now, whatever its date.
constexpr std::string_view kBadStatuses[] = {"client hold", "server hold", "redemption period",
                                             "pending delete", "pending restore"};

struct DomainOptions {
  std::string domain;
  net::Url url;  // the RDAP query URL
  /// Neither rdap_url nor bootstrap_file: the bootstrap shipped with (and refreshed beside) the
  /// catalogue, looked up again at every run so a refreshed file is used without a reload.
  std::string bundled_bootstrap;
  std::string ca_file;
  int warn_days = 30;
  int crit_days = 7;
};

int64_t unix_seconds(rdap::TimePoint t) {
  return std::chrono::duration_cast<std::chrono::seconds>(t.time_since_epoch()).count();
}

std::string date_only(rdap::TimePoint t) { return net::iso8601_utc(unix_seconds(t)).substr(0, 10); }

class DomainProbe : public Probe {
 public:
  explicit DomainProbe(DomainOptions o) : o_(std::move(o)) {}

  struct Lookup {
    std::optional<net::Url> url;
    Result result;  // why not, when url is empty
  };
  /// The registry for the domain's TLD from the bundled bootstrap, or an unknown saying why.
  Lookup bundled_lookup() const;

  std::string host_key() const override { return o_.url.host; }  // be polite to registries

  asio::awaitable<Result> run(ProbeContext& ctx) override {
    net::Url url = o_.url;
    if (!o_.bundled_bootstrap.empty()) {
      auto found = bundled_lookup();
      if (!found.url) co_return std::move(found.result);
      url = *found.url;
    }
    net::HttpRequest req;
    req.url = url;
    req.headers = {{"Accept", "application/rdap+json, application/json;q=0.9"}};
    req.body_limit = kBodyLimit;
    req.ca_file = o_.ca_file;
    auto chain = co_await net::http_fetch_follow(ctx, std::move(req), kMaxRedirects);
    co_return judge(chain, ctx.now());
  }

 private:
  Result judge(const net::FetchChain& chain, std::chrono::system_clock::time_point now) const {
    const net::HttpResponse& resp = chain.response;
    Result r;
    r.set_phase("resolve", resp.resolve);
    r.set_phase("connect", resp.connect);
    if (resp.used_tls) r.set_phase("tls", resp.tls);
    r.set_phase("processing", resp.processing);
    r.set_phase("transfer", resp.transfer);
    r.facts["domain"] = o_.domain;
    r.facts["rdap_url"] = chain.urls.back();
    const std::string server = resp.peer_text.empty() ? o_.url.host : resp.peer_text;

    // Whatever stops us from reading the registry's answer leaves the expiry unknown: the
    // domain itself may be fine.
    auto unknown = [&](FailureKind kind, std::string why) {
      r.status = Status::unknown;
      r.failure = kind;
      r.summary = "RDAP query for " + o_.domain + " failed: " + why;
      return r;
    };
    if (resp.failure != FailureKind::none) return unknown(resp.failure, resp.error);
    r.facts[fact::kStatusCode] = resp.status;
    if (chain.redirect_loop || chain.too_many_redirects)
      return unknown(FailureKind::protocol, "redirect loop or too many redirects at " + server);
    if (resp.status == 404) {
      // The registry does not know the name: lapsed and deleted, or never registered.
      r.status = Status::critical;
      r.failure = FailureKind::http_status;
      r.summary = o_.domain + " is not registered according to " + server +
                  " (RDAP 404); if it should be, check the rdap_url";
      return r;
    }
    if (resp.status != 200) {
      std::string why = "HTTP " + std::to_string(resp.status) + " from " + server;
      if (auto text = rdap::error_text(resp.body); !text.empty()) why += " (" + text + ")";
      return unknown(FailureKind::http_status, why);
    }
    if (resp.body_truncated)
      return unknown(FailureKind::protocol, "reply from " + server + " is larger than " +
                                                std::to_string(kBodyLimit >> 20) + " MiB");
    auto parsed = rdap::parse_domain(resp.body);
    if (!parsed.domain) {
      std::string type = resp.header("Content-Type").value_or("no Content-Type");
      return unknown(FailureKind::protocol, parsed.error + " (from " + server + ", " + type + ")");
    }
    return verdict(*parsed.domain, std::move(r), now);
  }

  Result verdict(const rdap::DomainInfo& d, Result r,
                 std::chrono::system_clock::time_point now) const {
    nlohmann::json status = nlohmann::json::array();
    for (const auto& s : d.status) status.push_back(s);
    r.facts["status"] = status;
    r.facts["registrar"] = d.registrar.empty() ? nlohmann::json(nullptr) : nlohmann::json(d.registrar);
    if (!d.registrar_iana_id.empty()) r.facts["registrar_iana_id"] = d.registrar_iana_id;
    if (d.registered) r.facts["registered"] = net::iso8601_utc(unix_seconds(*d.registered));
    const std::string by = d.registrar.empty() ? "" : ", registrar " + d.registrar;

    // RFC 8056 spells them "server hold"; some servers send the EPP form "serverHold".
    auto squeezed = [](std::string_view s) {
      std::string out;
      for (char c : s)
        if (c != ' ' && c != '_' && c != '-')
          out += static_cast<char>(std::tolower(static_cast<unsigned char>(c)));
      return out;
    };
    std::string bad_status;
    for (const auto& s : d.status)
      for (auto b : kBadStatuses)
        if (squeezed(s) == squeezed(b)) bad_status = s;

    if (!d.expires) {
      r.facts[fact::kDaysLeft] = nullptr;
      r.facts["expires"] = nullptr;
      r.status = bad_status.empty() ? Status::unknown : Status::critical;
      r.failure = bad_status.empty() ? FailureKind::protocol : FailureKind::assertion;
      r.summary = bad_status.empty()
                      ? "the registry publishes no expiration date for " + o_.domain + by
                      : o_.domain + " has status \"" + bad_status + "\"" + by;
      return r;
    }
    auto left = *d.expires - now;
    auto days = std::chrono::floor<std::chrono::days>(left).count();
    r.facts[fact::kDaysLeft] = days;
    r.facts["expires"] = net::iso8601_utc(unix_seconds(*d.expires));
    r.add_sample("lookout_domain_expiry_timestamp_seconds",
                 static_cast<double>(unix_seconds(*d.expires)));
    const std::string on = date_only(*d.expires);

    r.failure = FailureKind::assertion;
    if (left.count() <= 0) {
      r.status = Status::critical;
      r.summary = o_.domain + " expired " + std::to_string(-days) + " day" +
                  (-days == 1 ? "" : "s") + " ago on " + on + by;
    } else if (!bad_status.empty()) {
      r.status = Status::critical;
      r.summary = o_.domain + " has status \"" + bad_status + "\" (expires " + on + by + ")";
    } else {
      r.status = days <= o_.crit_days   ? Status::critical
                 : days <= o_.warn_days ? Status::warning
                                        : Status::ok;
      r.summary = o_.domain + " expires in " + std::to_string(days) + " day" +
                  (days == 1 ? "" : "s") + " on " + on + by;
      if (r.status == Status::ok) r.failure = FailureKind::none;
      if (r.status == Status::critical)
        r.summary += " (critical at " + std::to_string(o_.crit_days) + " days)";
      else if (r.status == Status::warning)
        r.summary += " (warning at " + std::to_string(o_.warn_days) + " days)";
    }
    return r;
  }

  DomainOptions o_;
};

/// Bootstrap files are shared by every domain check: parse each file once per change.
std::shared_ptr<const rdap::Bootstrap> load_bootstrap(const std::string& path, std::string& error) {
  static std::mutex mutex;
  static std::map<std::string, std::pair<int64_t, std::shared_ptr<const rdap::Bootstrap>>> cache;
  struct stat st {};
  if (::stat(path.c_str(), &st) != 0 || !S_ISREG(st.st_mode)) {
    error = "cannot read bootstrap file '" + path + "' (not a regular file)";
    return nullptr;
  }
  if (st.st_size > kMaxBootstrapBytes) {  // IANA's dns.json is ~100 KiB
    error = "bootstrap file '" + path + "' is larger than " +
            std::to_string(kMaxBootstrapBytes >> 20) + " MiB";
    return nullptr;
  }
  int64_t stamp = static_cast<int64_t>(st.st_mtim.tv_sec) * 1'000'000'000 + st.st_mtim.tv_nsec +
                  static_cast<int64_t>(st.st_size);
  std::lock_guard lock(mutex);
  if (auto it = cache.find(path); it != cache.end() && it->second.first == stamp)
    return it->second.second;
  std::ifstream in(path, std::ios::binary);
  std::stringstream text;
  text << in.rdbuf();
  if (!in) {
    error = "cannot read bootstrap file '" + path + "'";
    return nullptr;
  }
  auto b = rdap::parse_bootstrap(text.str(), error);
  if (!b) {
    error = "bootstrap file '" + path + "': " + error;
    return nullptr;
  }
  auto shared = std::make_shared<const rdap::Bootstrap>(std::move(*b));
  cache[path] = {stamp, shared};
  return shared;
}

DomainProbe::Lookup DomainProbe::bundled_lookup() const {
  Lookup out;
  auto unknown = [&](FailureKind kind, std::string why) {
    out.result = make_result(Status::unknown, kind, std::move(why));
    out.result.facts["domain"] = o_.domain;
    out.result.facts["bootstrap_file"] = o_.bundled_bootstrap;
    return out;
  };
  std::string err;
  auto b = load_bootstrap(o_.bundled_bootstrap, err);
  if (!b) return unknown(FailureKind::internal, err + " (set rdap_url or bootstrap_file)");
  auto found = rdap::base_url_for(*b, o_.domain);
  if (!found) {
    std::string tld = o_.domain.substr(o_.domain.rfind('.') + 1);
    Result r = make_result(
        Status::unknown, FailureKind::none,
        "." + tld + " has no RDAP service in IANA's bootstrap registry (publication " +
            b->publication + "): its registry publishes no RDAP, so expiry cannot be read; set "
            "rdap_url if it has a server of its own");
    r.facts["domain"] = o_.domain;
    r.facts["bootstrap_publication"] = b->publication;
    r.facts["rdap"] = false;
    out.result = std::move(r);
    return out;
  }
  std::string url_err;
  auto url = net::parse_url(rdap::domain_query_url(*found, o_.domain), &url_err);
  if (!url) return unknown(FailureKind::internal, "bad RDAP URL '" + *found + "' in " +
                                                      o_.bundled_bootstrap + ": " + url_err);
  out.url = *url;
  return out;
}

/// "https://www.example.com/x" -> "www.example.com" (made the registered domain later).
std::string domain_from_site_url(const std::string& site_url) {
  auto url = net::parse_url(site_url);
  if (!url || url->host_is_ip) return {};
  return url->host;
}

ProbePtr build_domain(CheckSpec& spec, config::OptionMap& opts, config::Errors& errors) {
  DomainOptions o;
  size_t before = errors.size();
  if (auto t = opts.get_string("target", errors)) spec.target = *t;
  if (spec.target.empty()) spec.target = domain_from_site_url(spec.site_url);
  if (auto n = opts.get_int("warn_days", errors, 0, 3650)) o.warn_days = static_cast<int>(*n);
  if (auto n = opts.get_int("crit_days", errors, 0, 3650)) o.crit_days = static_cast<int>(*n);
  if (o.crit_days > o.warn_days)
    opts.error("crit_days", "crit_days must not exceed warn_days", errors);
  if (auto f = opts.get_string("ca_file", errors)) o.ca_file = *f;
  auto rdap_url = opts.get_string("rdap_url", errors);
  auto bootstrap_file = opts.get_string("bootstrap_file", errors);

  // Registries hold registrations, not host names: "shop.client.co.uk" is asked as
  // "client.co.uk" (Public Suffix List), or the registry's 404 would read "not registered".
  o.domain = rdap::normalize_domain(host_of_target(spec.target));
  if (!o.domain.empty()) o.domain = registered_domain(o.domain);
  if (o.domain.empty()) {
    opts.error("target",
               spec.target.empty() ? "a domain check needs a domain (target or site url)"
                                   : "'" + spec.target + "' is not a domain name",
               errors);
    return nullptr;
  }
  spec.target = o.domain;

  std::string base;
  if (rdap_url) {
    base = *rdap_url;
  } else if (bootstrap_file) {
    std::string err;
    auto b = load_bootstrap(*bootstrap_file, err);
    if (!b) {
      opts.error("bootstrap_file", err, errors);
      return nullptr;
    }
    auto found = rdap::base_url_for(*b, o.domain);
    if (!found) {
      opts.error("bootstrap_file",
                 "no RDAP service for " + o.domain + " in '" + *bootstrap_file + "'", errors);
      return nullptr;
    }
    base = *found;
  } else {
    // Out of the box: IANA's bootstrap shipped in the catalogue directory (refreshed with it).
    // The registry is looked up at each run; a TLD without RDAP is an `unknown` saying so.
    o.bundled_bootstrap = Catalog::default_path() + "/rdap/dns.json";
    std::string err;
    std::optional<std::string> found;
    if (auto b = load_bootstrap(o.bundled_bootstrap, err)) found = rdap::base_url_for(*b, o.domain);
    // Until then, host_key is the TLD's registry when known.
    base = found ? *found : "https://rdap.invalid/";
  }
  std::string err;
  auto url = net::parse_url(rdap::domain_query_url(base, o.domain), &err);
  if (!url) {
    opts.error(rdap_url ? "rdap_url" : "bootstrap_file", "bad RDAP URL '" + base + "': " + err,
               errors);
    return nullptr;
  }
  o.url = *url;
  if (errors.size() != before) return nullptr;
  return std::make_shared<DomainProbe>(std::move(o));
}

}  // namespace

ProbeKind domain_probe_kind() {
  return ProbeKind{
      "domain",
      "Domain registration expiry via RDAP: days left, registrar, status",
      &build_domain,
      {
          {"--rdap-url", "rdap_url", "the registry's RDAP base URL (e.g. https://rdap.example/)"},
          {"--bootstrap-file", "bootstrap_file",
           "IANA RDAP bootstrap file (dns.json) to pick the registry by TLD"},
          {"--warn-days", "warn_days", "warning when the registration expires within N days (default 30)"},
          {"--crit-days", "crit_days", "critical when it expires within N days (default 7)"},
          {"--ca-file", "ca_file", "CA bundle to verify the RDAP server's certificate"},
      },
  };
}

}  // namespace lookout::probes
