#include "probes/patch_probe.h"

#include <algorithm>
#include <cmath>
#include <cstdio>
#include <cstdlib>
#include <fstream>
#include <set>
#include <sstream>
#include <ctime>
#include <memory>
#include <mutex>

#include "config/duration.h"
#include "config/time_text.h"
#include "probes/catalog.h"
#include "probes/cms_detector.h"
#include "probes/fact_names.h"
#include "probes/history.h"
#include "probes/vuln_feed.h"
#include "probes/wp_directory.h"
#include "net/http_client.h"
#include "net/x509_facts.h"

namespace lookout::probes {
namespace asio = boost::asio;

namespace {

constexpr int kDefaultMaxRequests = 6;
constexpr int kMaxMaxRequests = 10;
constexpr size_t kMaxPaths = 8;
constexpr size_t kBodyLimit = 1 << 20;  // the detector parses at most this much HTML anyway

struct PatchOptions {
  net::Url url;
  std::string catalog_path;
  std::shared_ptr<const Catalog> catalog;
  std::vector<std::string> paths;  // explicit plan; empty = automatic
  std::string product;             // hint: only this product is detected
  int max_requests = kDefaultMaxRequests;
  std::string ca_file;
  bool verify_tls = true;
  bool components = true;  // WordPress plugins and themes
  std::string directory_api = "https://api.wordpress.org";
  // A vulnerability feed (Wordfence Intelligence format), only when configured.
  struct Feed {
    std::string url;
    std::string token;  // from token_env / token_file, never from the config itself
    std::chrono::seconds refresh{std::chrono::hours(12)};
    size_t max_bytes = kDefaultFeedMaxBytes;
  };
  std::optional<Feed> feed;
};

constexpr const char* kWordfenceProduction =
    "https://www.wordfence.com/api/intelligence/v3/vulnerabilities/production";

// The plugin and theme pass: a few more GETs (a theme's style.css, a readme.txt) and at most
// this many directory lookups per run (answers are cached for a day across checks).
constexpr int kMaxComponentRequests = 3;
constexpr size_t kMaxDirectoryLookups = 20;
constexpr size_t kSummaryComponents = 3;

// One plugin or theme after merging its markers.
struct ComponentVerdict {
  Component best;                 // the marker whose version counts
  std::vector<Component> seen;    // every marker (for the facts), at most a few
  std::optional<std::string> author_latest;  // readme.txt Stable tag
  std::optional<std::string> latest;         // the directory's
  std::string directory_error;
  PatchStatus status = PatchStatus::unknown;
  std::string reason;
  // From the vulnerability feed: matches, or why the feed could not say (feed configured only).
  std::optional<std::vector<FeedMatch>> vulnerabilities;
};

int marker_rank(const Component& c) {
  if (c.version.empty()) return 0;
  if (c.marker == "style_css") return 3;
  if (c.marker == "asset_ver") return 2;
  return 1;  // readme Stable tag: the author's latest, not what is installed
}

std::vector<ComponentVerdict> merge_components(const std::vector<Component>& all) {
  std::vector<ComponentVerdict> out;
  for (const auto& c : all) {
    auto it = std::find_if(out.begin(), out.end(), [&](const ComponentVerdict& v) {
      return v.best.kind == c.kind && v.best.slug == c.slug;
    });
    if (it == out.end()) {
      if (out.size() >= kMaxComponents) continue;
      out.push_back(ComponentVerdict{c, {}, {}, {}, {}, PatchStatus::unknown, {}, {}});
      it = out.end() - 1;
    } else if (marker_rank(c) > marker_rank(it->best) && c.marker != "readme_stable_tag") {
      it->best = c;
    }
    if (c.marker == "readme_stable_tag" && !c.version.empty()) it->author_latest = c.version;
    if (it->seen.size() < 4 &&
        std::none_of(it->seen.begin(), it->seen.end(), [&](const Component& s) {
          return s.marker == c.marker && s.version == c.version;
        }))
      it->seen.push_back(c);
  }
  for (auto& v : out)
    if (v.best.marker == "readme_stable_tag") {  // only a readme: no installed version
      v.best.version.clear();
      v.best.certainty.clear();
    }
  return out;
}

void judge_component(ComponentVerdict& v) {
  const std::string& slug = v.best.slug;
  if (v.best.version.empty()) {
    v.status = PatchStatus::unknown;
    v.reason = slug + ": version not revealed" +
               (v.author_latest ? " (readme.txt Stable tag " + *v.author_latest +
                                      " is the author's latest, not necessarily installed)"
                                : std::string());
    return;
  }
  if (!v.latest) {
    v.status = PatchStatus::unknown;
    v.reason = slug + " " + v.best.version + ": " +
               (v.directory_error.empty() ? "no directory data" : v.directory_error);
    return;
  }
  auto have = Version::parse(v.best.version), latest = Version::parse(*v.latest);
  if (!have || !latest) {
    v.status = PatchStatus::unknown;
    v.reason = slug + ": unreadable version";
    return;
  }
  if (*have < *latest) {
    v.status = PatchStatus::outdated;
    v.reason = slug + " " + v.best.version + " is older than " + *v.latest;
  } else {
    v.status = PatchStatus::current;
    v.reason = slug + " " + v.best.version + " is the latest";
  }
}

nlohmann::json component_json(const ComponentVerdict& v) {
  nlohmann::json markers = nlohmann::json::array();
  for (const auto& c : v.seen)
    markers.push_back({{"marker", c.marker},
                       {"version", c.version.empty() ? nlohmann::json(nullptr) : nlohmann::json(c.version)},
                       {"certainty", c.certainty.empty() ? nlohmann::json(nullptr) : nlohmann::json(c.certainty)},
                       {"url", c.url}});
  nlohmann::json j = {{"kind", v.best.kind},
          {"slug", v.best.slug},
          {"version", v.best.version.empty() ? nlohmann::json(nullptr) : nlohmann::json(v.best.version)},
          {"version_from", v.best.version.empty() ? nlohmann::json(nullptr) : nlohmann::json(v.best.marker)},
          {"certainty", v.best.certainty.empty() ? nlohmann::json(nullptr) : nlohmann::json(v.best.certainty)},
          {"readme_stable_tag", v.author_latest ? nlohmann::json(*v.author_latest) : nlohmann::json(nullptr)},
          {"latest", v.latest ? nlohmann::json(*v.latest) : nlohmann::json(nullptr)},
          {"status", to_string(v.status)},
          {"reason", v.reason},
          {"markers", std::move(markers)}};
  return j;
}

nlohmann::json vulnerabilities_json(const std::vector<FeedMatch>& ms) {
  nlohmann::json list = nlohmann::json::array();
  for (const auto& m : ms) {
    nlohmann::json j = {{"id", m.id},
                        {"title", m.title},
                        {"fixed_in", m.fixed_in ? nlohmann::json(*m.fixed_in) : nlohmann::json(nullptr)}};
    if (!m.cve.empty()) j["cve"] = m.cve;
    if (m.cvss) j["cvss"] = *m.cvss;
    list.push_back(std::move(j));
  }
  return list;
}

// The worst match first (highest CVSS, then one without a fix); "fixed in" is the version that
// fixes every match, or "no fix yet".
std::string vulnerability_phrase(const ComponentVerdict& v) {
  const auto& ms = *v.vulnerabilities;
  const FeedMatch* worst = &ms.front();
  std::optional<Version> fix_all;
  bool unfixed = false;
  for (const auto& m : ms) {
    if (m.cvss.value_or(-1) > worst->cvss.value_or(-1)) worst = &m;
    if (!m.fixed_in) unfixed = true;
    else if (auto f = Version::parse(*m.fixed_in); f && (!fix_all || *fix_all < *f)) fix_all = f;
  }
  std::string out = v.best.slug + " " + v.best.version + " has " +
                    (ms.size() == 1 ? std::string("a known vulnerability")
                                    : std::to_string(ms.size()) + " known vulnerabilities");
  out += unfixed || !fix_all ? std::string(" with no fix yet") : " fixed in " + fix_all->text();
  out += " (" + (worst->cve.empty() ? worst->title : worst->cve) + ")";
  return out;
}

Status nagios_status(PatchStatus s) {
  switch (s) {
    case PatchStatus::current: return Status::ok;
    case PatchStatus::outdated: return Status::warning;
    case PatchStatus::insecure: return Status::critical;
    case PatchStatus::unknown: return Status::unknown;
  }
  return Status::unknown;
}

nlohmann::json marker_json(const Marker& m, bool agrees) {
  return {{"marker", m.marker},
          {"agrees", agrees},
          {"product", m.product.empty() ? nlohmann::json(nullptr) : nlohmann::json(m.product)},
          {"version", m.version.empty() ? nlohmann::json(nullptr) : nlohmann::json(m.version)},
          {"precision", to_string(m.precision)},
          {"url", m.url}};
}

nlohmann::json opt_json(const std::optional<std::string>& s) {
  return s ? nlohmann::json(*s) : nlohmann::json(nullptr);
}

// "/blog/" + "/feed/" -> "/blog/feed/": the CMS may live below the site root. A path already
// below that directory (the feed the page linked: "/blog/feed/") is the site's own path.
std::string join_path(const std::string& base_target, const std::string& path) {
  std::string dir = base_target.substr(0, base_target.find_first_of("?#"));
  if (dir.empty() || dir.back() != '/') dir = dir.substr(0, dir.rfind('/') + 1);
  if (dir.empty()) dir = "/";
  if (dir != "/" && path.starts_with(dir)) return path;
  return dir + (path.empty() || path.front() != '/' ? path : path.substr(1));
}

double days_between(std::chrono::system_clock::time_point from,
                    std::chrono::system_clock::time_point to) {
  return std::max(0.0, std::chrono::duration<double>(to - from).count() / 86400.0);
}

class PatchProbe : public Probe {
 public:
  explicit PatchProbe(PatchOptions o) : o_(std::move(o)) {}

  std::string host_key() const override { return o_.url.host; }

  asio::awaitable<Result> run(ProbeContext& ctx) override {
    Result r;
    r.started = ctx.now();
    auto t0 = std::chrono::steady_clock::now();

    std::vector<Document> docs;
    std::vector<std::string> fetched;  // well-known paths asked for
    net::Url base = o_.url;

    // 1. The page the site URL names (usually the home page), redirects followed.
    net::HttpRequest home = request(base);
    auto chain = co_await net::http_fetch_follow(ctx, home, 3);
    int requests = static_cast<int>(chain.urls.size());
    if (chain.response.failure != FailureKind::none || chain.redirect_loop ||
        chain.too_many_redirects) {
      FailureKind kind = chain.response.failure != FailureKind::none ? chain.response.failure
                                                                     : FailureKind::protocol;
      std::string why = chain.response.failure != FailureKind::none
                            ? chain.response.error
                            : (chain.redirect_loop ? "redirect loop" : "too many redirects");
      r = make_result(Status::unknown, kind, "cannot read " + o_.url.to_string() + ": " + why);
      r.started = ctx.now();
      finish(r, nullptr, PatchStatus::unknown, {}, {}, requests, t0);
      co_return r;
    }
    if (!chain.urls.empty())
      if (auto final_url = net::parse_url(chain.urls.back())) base = *final_url;
    docs.push_back(document(base, base.target, chain.response));

    // 2. A few well-known paths chosen from what the home page showed.
    std::vector<Component> components;
    std::vector<Marker> so_far = find_markers(docs.back(), o_.components ? &components : nullptr);
    size_t explicit_next = 0;
    while (requests < o_.max_requests && ctx.remaining() > std::chrono::milliseconds(1)) {
      std::string path;
      if (!o_.paths.empty()) {
        if (explicit_next >= o_.paths.size()) break;
        path = o_.paths[explicit_next++];
      } else {
        path = next_path(so_far, fetched, o_.product);
        if (path.empty()) break;
      }
      fetched.push_back(path);
      net::Url u = base;
      u.target = join_path(base.target, path);
      auto resp = co_await net::http_fetch(ctx, request(u));
      ++requests;
      if (resp.failure != FailureKind::none) continue;  // one missing page is not a verdict
      // A redirect (e.g. /feed -> /feed/) is followed once, on the same site.
      if (resp.status >= 300 && resp.status < 400 && requests < o_.max_requests)
        if (auto loc = resp.header("location"))
          if (auto next = net::resolve_location(u, *loc);
              next && next->host == u.host && next->port == u.port) {
            resp = co_await net::http_fetch(ctx, request(*next));
            ++requests;
            if (resp.failure != FailureKind::none) continue;
            u = *next;
          }
      docs.push_back(document(u, u.target, resp));
      auto more = find_markers(docs.back());
      so_far.insert(so_far.end(), more.begin(), more.end());
    }

    // 3. Detection and verdict.
    Detection det = combine_markers(so_far, o_.product);
    Assessment a;
    PatchStatus status = PatchStatus::unknown;
    auto catalog = current_catalog();
    const ProductCatalog* pc = det.product.empty() ? nullptr : catalog->find(det.product);
    std::string name = product_display_name(det.product);
    if (det.product.empty()) {
      // A home page that is an error (maintenance, a WAF's 403) is why nothing showed: say so.
      const unsigned home_status = docs.front().status;
      r.summary = "no CMS recognised at " + o_.url.to_string() + " (" +
                  (home_status >= 200 && home_status < 300
                       ? std::string()
                       : "it answered HTTP " + std::to_string(home_status) + "; ") +
                  std::to_string(requests) + " requests)";
    } else if (det.version.empty()) {
      r.summary = name + " detected; its version is not revealed";
      a.reason = r.summary;
    } else if (auto v = Version::parse(det.version)) {
      a = assess(pc, *v, det.precision == Precision::exact, iso_date(r.started));
      status = a.status;
      r.summary = name + " " + det.version + ": " + std::string(to_string(status)) + " - " +
                  a.reason;
    } else {
      r.summary = name + " detected; version \"" + det.version + "\" is not a version";
    }
    // A verdict on old release data may miss the latest security release: say so.
    if (pc && !det.version.empty()) {
      auto age = catalog_age_days(*pc, r.started);
      const auto max_age = catalog_max_age();
      if (age && std::chrono::days(*age) > max_age) {
        r.summary += " (release data of " + pc->as_of + " is " + std::to_string(*age) +
                     " days old, older than catalog.max_age " +
                     std::to_string(std::chrono::duration_cast<std::chrono::days>(max_age).count()) + "d)";
        r.facts["catalog_stale"] = true;
      }
    }
    if (!det.disagreeing.empty()) {
      r.summary += " (markers disagree:";
      for (size_t i = 0; i < det.disagreeing.size() && i < 3; ++i)
        r.summary += std::string(i ? "," : "") + " " + det.disagreeing[i].marker + " says " +
                     det.disagreeing[i].version;
      r.summary += ")";
    }
    // 4. WordPress plugins and themes.
    if (o_.components && det.product == "wordpress") {
      auto verdicts = co_await component_pass(ctx, base, merge_components(components), requests);
      std::string feed_note;
      if (o_.feed) feed_note = co_await vulnerability_pass(ctx, verdicts, r);
      status = component_summary(r, verdicts, status, feed_note);
    }
    r.status = nagios_status(status);
    r.facts[fact::kReason] = a.reason.empty() ? r.summary : a.reason;
    finish(r, &det, status, a, pc ? pc->as_of : std::string(), requests, t0);
    record_history(ctx, r, status);
    co_return r;
  }

 private:
  /// Reads each theme's style.css and, for plugins without a version, their readme.txt (a few
  /// GETs), then asks the directory for each one's latest version (cached).
  asio::awaitable<std::vector<ComponentVerdict>> component_pass(ProbeContext& ctx,
                                                                const net::Url& base,
                                                                std::vector<ComponentVerdict> vs,
                                                                int& requests) const {
    int extra = 0;
    for (auto& v : vs) {
      // Site GETs stay within max_requests (directory lookups go to the directory, not the site).
      // Explicit `paths` are the whole plan: no component GETs then.
      if (!o_.paths.empty() || extra >= kMaxComponentRequests || requests >= o_.max_requests ||
          ctx.remaining() <= std::chrono::milliseconds(1))
        break;
      const bool theme = v.best.kind == "theme";
      if (!theme && !v.best.version.empty()) continue;  // a plugin's readme only when needed
      // The component's directory, from where its asset was seen (the site may sit below /blog/).
      auto at = net::parse_url(v.best.url);
      if (!at || at->host != base.host) continue;
      std::string path = at->target.substr(0, at->target.find('?'));
      std::string dir = std::string("/wp-content/") + (theme ? "themes/" : "plugins/") + v.best.slug + "/";
      size_t pos = path.find(dir);
      if (pos == std::string::npos) continue;
      net::Url u = *at;
      u.target = path.substr(0, pos) + dir + (theme ? "style.css" : "readme.txt");
      auto resp = co_await net::http_fetch(ctx, request(u));
      ++extra;
      ++requests;
      if (resp.failure != FailureKind::none) continue;
      for (const auto& c : find_components(document(u, u.target, resp))) {
        if (c.slug != v.best.slug || c.version.empty()) continue;
        if (c.marker == "readme_stable_tag") v.author_latest = c.version;
        else v.best = c;  // style.css: the installed theme's own header
        if (v.seen.size() < 4) v.seen.push_back(c);
      }
    }
    size_t lookups = 0;
    for (auto& v : vs) {
      if (v.best.version.empty()) {
        judge_component(v);
        continue;
      }
      const std::string key = o_.directory_api + "|" + v.best.kind + "|" + v.best.slug;
      auto& cache = DirectoryCache::instance();
      auto cached = cache.get(key, std::chrono::steady_clock::now());
      if (!cached && lookups < kMaxDirectoryLookups && ctx.remaining() > std::chrono::milliseconds(1)) {
        ++lookups;
        DirectoryAnswer answer;
        auto url = net::parse_url(directory_info_url(o_.directory_api, v.best.kind, v.best.slug));
        if (!url) {
          answer.error = "bad directory URL";
        } else {
          net::HttpRequest req;
          req.url = *url;
          req.body_limit = 2 << 20;
          req.headers = {{"Accept", "application/json"}};
          auto resp = co_await net::http_fetch(ctx, req);
          if (resp.failure != FailureKind::none)
            answer.error = "directory lookup failed: " + resp.error;
          else if (resp.status == 404)
            answer = parse_directory_info(resp.body.empty() ? "{\"error\":\"Not found\"}" : resp.body);
          else if (resp.status != 200)
            answer.error = "directory answered HTTP " + std::to_string(resp.status);
          else if (resp.body_truncated)
            answer.error = "directory answer larger than 2 MiB";
          else
            answer = parse_directory_info(resp.body);
          // Failures of ours (network) are not cached: the next run asks again.
          if (resp.failure == FailureKind::none) cache.put(key, answer, std::chrono::steady_clock::now());
        }
        cached = answer;
      }
      if (cached) {
        v.latest = cached->latest;
        v.directory_error = cached->error;
      } else {
        v.directory_error = "directory not asked (lookup budget of this run spent)";
      }
      judge_component(v);
    }
    co_return vs;
  }

  /// Brings the configured vulnerability feed up to date when due (one bounded download shared
  /// by every patch check; the last good data is kept when a refresh fails) and marks each
  /// component whose installed version an affected range contains as insecure. Returns "" or
  /// why the feed could not judge (then the vulnerability part is unknown, the rest stands).
  asio::awaitable<std::string> vulnerability_pass(ProbeContext& ctx,
                                                  std::vector<ComponentVerdict>& vs,
                                                  Result& r) const {
    const auto& f = *o_.feed;
    auto& cache = VulnFeedCache::instance();
    const auto now = ctx.now();
    if (cache.claim_refresh(f.url, now)) {
      std::string error;
      auto url = net::parse_url(f.url);
      if (!url) {
        error = "bad feed URL";
      } else {
        net::HttpRequest req;
        req.url = *url;
        req.body_limit = f.max_bytes;
        // As Wordfence documents for v3: the account's API key as a bearer token.
        req.headers = {{"Authorization", "Bearer " + f.token}, {"Accept", "application/json"}};
        auto resp = co_await net::http_fetch(ctx, req);
        if (resp.failure != FailureKind::none) error = "download failed: " + resp.error;
        else if (resp.status == 401 || resp.status == 403)
          error = "the feed refused the API key (HTTP " + std::to_string(resp.status) + ")";
        else if (resp.status == 429) error = "the feed is rate limiting us (HTTP 429)";
        else if (resp.status != 200) error = "the feed answered HTTP " + std::to_string(resp.status);
        else if (resp.body_truncated)
          error = "feed larger than max_bytes (" + std::to_string(f.max_bytes) + ")";
        else {
          auto parsed = parse_wordfence_feed(resp.body, f.max_bytes);
          if (parsed.feed) cache.succeed(f.url, parsed.feed, ctx.now(), f.refresh);
          else error = parsed.error;
        }
      }
      if (!error.empty()) cache.fail(f.url, error, ctx.now(), VulnFeedCache::kMinSpacing);
    }
    auto state = cache.get(f.url);
    nlohmann::json fact = {{"url", f.url},
                           {"format", "wordfence"},
                           {"records", state.feed ? nlohmann::json(state.feed->records) : nlohmann::json(nullptr)},
                           {"fetched", state.feed ? nlohmann::json(net::iso8601_utc(std::chrono::duration_cast<std::chrono::seconds>(state.fetched.time_since_epoch()).count())) : nlohmann::json(nullptr)},
                           {"error", state.last_error.empty() ? nlohmann::json(nullptr) : nlohmann::json(state.last_error)}};
    std::string note;
    if (!state.feed) {
      note = "vulnerability feed unavailable: " +
             (state.last_error.empty() ? std::string("not downloaded yet") : state.last_error);
      fact["status"] = "unknown";
      fact["reason"] = note;
      r.facts["vulnerability_feed"] = std::move(fact);
      co_return note;
    }
    fact["status"] = "ok";
    fact["reason"] = state.last_error.empty() ? nlohmann::json(nullptr)
                                              : nlohmann::json("refresh failed, last good data kept: " + state.last_error);
    r.facts["vulnerability_feed"] = std::move(fact);
    for (auto& v : vs) {
      if (v.best.version.empty()) continue;  // nothing to match: the component stays as judged
      auto have = Version::parse(v.best.version);
      if (!have) continue;
      v.vulnerabilities = match_component(*state.feed, v.best.kind, v.best.slug, *have);
      if (!v.vulnerabilities->empty()) {
        v.status = PatchStatus::insecure;
        v.reason = vulnerability_phrase(v);
      }
    }
    co_return std::string();
  }

  /// Adds the components to the summary, facts and metrics; returns the overall status.
  static PatchStatus component_summary(Result& r, const std::vector<ComponentVerdict>& vs,
                                       PatchStatus core, const std::string& feed_note) {
    nlohmann::json list = nlohmann::json::array();
    std::map<std::string, int> counts = {{"current", 0}, {"outdated", 0}, {"insecure", 0}, {"unknown", 0}};
    std::vector<const ComponentVerdict*> outdated, insecure;
    for (const auto& v : vs) {
      auto j = component_json(v);
      // With a feed configured: the matches, or null when they are not known (no feed data,
      // no installed version to match).
      if (v.vulnerabilities) j["vulnerabilities"] = vulnerabilities_json(*v.vulnerabilities);
      else if (r.facts.contains("vulnerability_feed")) j["vulnerabilities"] = nullptr;
      list.push_back(std::move(j));
      ++counts[std::string(to_string(v.status))];
      if (v.status == PatchStatus::outdated) outdated.push_back(&v);
      if (v.status == PatchStatus::insecure) insecure.push_back(&v);
    }
    r.facts["components"] = std::move(list);
    for (const auto& [status, n] : counts)
      r.add_sample("lookout_patch_components", n, {{"status", status}});
    for (size_t i = 0; i < insecure.size() && i < kSummaryComponents; ++i)
      r.summary += "; " + insecure[i]->reason;
    if (insecure.size() > kSummaryComponents)
      r.summary += "; " + std::to_string(insecure.size() - kSummaryComponents) +
                   " more components with known vulnerabilities";
    if (!feed_note.empty()) r.summary += " (" + feed_note + ")";
    if (!insecure.empty()) core = PatchStatus::insecure;  // a known hole is the worst verdict
    if (outdated.empty()) return core;
    size_t plugins = 0, themes = 0;
    for (const auto* v : outdated) (v->best.kind == "theme" ? themes : plugins)++;
    std::string what;
    if (plugins) what = std::to_string(plugins) + (plugins == 1 ? " plugin" : " plugins");
    if (themes) what += (what.empty() ? "" : " and ") + std::to_string(themes) + (themes == 1 ? " theme" : " themes");
    std::string names;
    for (size_t i = 0; i < outdated.size() && i < kSummaryComponents; ++i)
      names += std::string(i ? ", " : "") + outdated[i]->best.slug + " " + outdated[i]->best.version +
               " (latest " + *outdated[i]->latest + ")";
    if (outdated.size() > kSummaryComponents)
      names += " and " + std::to_string(outdated.size() - kSummaryComponents) + " more";
    r.summary += "; " + what + " outdated: " + names;
    // An outdated plugin makes a current site outdated; it never hides a worse core verdict.
    if (core == PatchStatus::current || core == PatchStatus::unknown) return PatchStatus::outdated;
    return core;
  }

  /// The catalogue, loaded again when the agent's refresh replaced its files.
  std::shared_ptr<const Catalog> current_catalog() const {
    const uint64_t gen = Catalog::generation();
    std::lock_guard lock(catalog_mutex_);
    if (gen != catalog_generation_) {
      catalog_generation_ = gen;
      std::vector<std::string> errors;
      auto fresh = Catalog::load_shared(o_.catalog_path, errors);
      if (fresh && !fresh->products().empty()) catalog_ = fresh;
    }
    return catalog_ ? catalog_ : o_.catalog;
  }

  net::HttpRequest request(const net::Url& u) const {
    net::HttpRequest req;
    req.url = u;
    req.body_limit = kBodyLimit;
    req.ca_file = o_.ca_file;
    req.verify_tls = o_.verify_tls;
    req.headers = {{"Accept", "text/html,application/xhtml+xml,application/xml;q=0.9,*/*;q=0.8"}};
    return req;
  }

  static Document document(const net::Url& u, const std::string& path,
                           const net::HttpResponse& resp) {
    Document d;
    d.url = u.to_string();
    d.path = path;
    d.status = resp.status;
    d.headers = resp.headers;
    d.body = resp.body;
    return d;
  }

  void finish(Result& r, const Detection* det, PatchStatus status, const Assessment& a,
              const std::string& as_of, int requests,
              std::chrono::steady_clock::time_point t0) const {
    r.duration_seconds = std::chrono::duration<double>(std::chrono::steady_clock::now() - t0).count();
    auto& f = r.facts;
    bool has_product = det && !det->product.empty();
    f["product"] = has_product ? nlohmann::json(det->product) : nlohmann::json(nullptr);
    f["version"] = det && !det->version.empty() ? nlohmann::json(det->version) : nlohmann::json(nullptr);
    f["precision"] = to_string(det ? det->precision : Precision::none);
    nlohmann::json markers = nlohmann::json::array(), against = nlohmann::json::array();
    if (det) {
      auto disagrees = [&](const Marker& m) {
        return std::any_of(det->disagreeing.begin(), det->disagreeing.end(), [&](const Marker& x) {
          return x.marker == m.marker && x.version == m.version && x.url == m.url;
        });
      };
      for (const auto& m : det->markers)
        if (!m.product.empty()) markers.push_back(marker_json(m, !disagrees(m)));
      for (const auto& m : det->disagreeing) against.push_back(marker_json(m, false));
    }
    f["markers"] = std::move(markers);
    f["disagreeing_markers"] = std::move(against);
    f["status"] = to_string(status);
    f["confidence"] = det ? det->confidence : 0;
    f["latest"] = opt_json(a.latest);
    f["latest_security"] = opt_json(a.latest_security);
    f["branch"] = opt_json(a.branch);
    f["eol"] = opt_json(a.eol);
    f["catalog_as_of"] = as_of.empty() ? nlohmann::json(nullptr) : nlohmann::json(as_of);
    f["requests"] = requests;
    if (!f.contains("reason")) f[fact::kReason] = r.summary;

    // Bounded labels: product from the detector's fixed list, version normalised by the parser.
    std::string product_label = has_product ? det->product : "none";
    std::string version_label;
    if (det && !det->version.empty())
      if (auto v = Version::parse(det->version)) version_label = v->to_string();
    r.add_sample("lookout_patch_status", static_cast<double>(status),
                 {{"product", product_label}, {"version", version_label}});
  }

  void record_history(ProbeContext& ctx, Result& r, PatchStatus status) const {
    double exposed = 0;
    auto now = r.started;
    if (ctx.history && status != PatchStatus::unknown) {
      History& h = *ctx.history;
      const std::string key = ctx.spec.key();
      const std::string stamp = net::iso8601_utc(
          std::chrono::duration_cast<std::chrono::seconds>(now.time_since_epoch()).count());
      auto outdated_since = h.get_fact(key, kPatchOutdatedSince);
      auto insecure_since = h.get_fact(key, kPatchInsecureSince);
      if (status == PatchStatus::current) {
        if (outdated_since) {
          if (auto since = parse_iso_timestamp(*outdated_since)) {
            char buf[32];
            std::snprintf(buf, sizeof buf, "%.2f", days_between(*since, now));
            h.set_fact(key, kPatchLastExposureDays, std::string(buf));
          }
          h.set_fact(key, kPatchCurrentSince, stamp);
        }
        h.set_fact(key, kPatchOutdatedSince, std::nullopt);
        h.set_fact(key, kPatchInsecureSince, std::nullopt);
        outdated_since.reset();
        insecure_since.reset();
      } else {
        // Exposure starts when the site first fell behind, outdated or insecure.
        if (!outdated_since) h.set_fact(key, kPatchOutdatedSince, (outdated_since = stamp).value());
        if (status == PatchStatus::insecure && !insecure_since)
          h.set_fact(key, kPatchInsecureSince, (insecure_since = stamp).value());
        if (status == PatchStatus::outdated && insecure_since) {
          h.set_fact(key, kPatchInsecureSince, std::nullopt);  // the security fix went in
          insecure_since.reset();
        }
        h.set_fact(key, kPatchCurrentSince, std::nullopt);
        if (auto since = parse_iso_timestamp(*outdated_since)) exposed = days_between(*since, now);
      }
      r.facts["outdated_since"] = opt_json(outdated_since);
      r.facts["insecure_since"] = opt_json(insecure_since);
      if (auto last = h.get_fact(key, kPatchLastExposureDays))
        r.facts["last_exposure_days"] = std::atof(last->c_str());
    }
    r.facts["days_exposed"] = std::round(exposed * 100) / 100;
    r.add_sample("lookout_patch_days_exposed", exposed,
                 {{"product", r.facts["product"].is_string() ? r.facts["product"].get<std::string>()
                                                             : std::string("none")}});
  }

  PatchOptions o_;
  mutable std::mutex catalog_mutex_;
  mutable uint64_t catalog_generation_ = Catalog::generation();
  mutable std::shared_ptr<const Catalog> catalog_;
};

// vulnerability_feed: {url, format: wordfence, token_env | token_file, refresh, max_bytes}.
// The key comes only from the environment or a file, and must be there when the config loads.
void parse_feed(config::OptionMap& opts, PatchOptions& o, config::Errors& errors) {
  const std::string key = "vulnerability_feed";
  YAML::Node n = opts.node(key);
  if (!n.IsMap()) {
    opts.error(key, "expected a map with url, format, and token_env or token_file", errors);
    return;
  }
  PatchOptions::Feed f;
  f.url = kWordfenceProduction;
  std::string token_env, token_file, format = "wordfence";
  static const std::set<std::string> kKeys = {"url", "format", "token_env", "token_file",
                                              "refresh", "max_bytes"};
  for (const auto& kv : n) {
    const std::string k = kv.first.Scalar();
    if (!kKeys.count(k)) {
      opts.error(key, k == "token" || k == "key" || k == "api_key"
                          ? key + "." + k + ": put the API key in token_env or token_file, not in the config"
                          : "unknown key " + key + "." + k +
                                " (url, format, token_env, token_file, refresh, max_bytes)",
                 errors);
      continue;
    }
    if (!kv.second.IsScalar() || kv.second.Scalar().empty()) {
      opts.error(key, key + "." + k + " must be a non-empty string", errors);
      continue;
    }
    const std::string val = kv.second.Scalar();
    if (k == "url") {
      std::string err;
      if (!net::parse_url(val, &err)) opts.error(key, key + ".url: bad URL '" + val + "': " + err, errors);
      f.url = val;
    } else if (k == "format") {
      format = val;
    } else if (k == "token_env") {
      token_env = val;
    } else if (k == "token_file") {
      token_file = val;
    } else if (k == "refresh") {
      auto d = config::parse_duration(val);
      if (!d || *d < VulnFeedCache::kMinSpacing)
        opts.error(key, key + ".refresh: '" + val + "' is not a duration of at least 30m " +
                   "(Wordfence allows one download per 30 minutes)", errors);
      else f.refresh = std::chrono::duration_cast<std::chrono::seconds>(*d);
    } else {  // max_bytes
      char* end = nullptr;
      unsigned long long b = std::strtoull(val.c_str(), &end, 10);
      if (!end || *end || b < 1024 || b > (size_t{1} << 30))
        opts.error(key, key + ".max_bytes: '" + val + "' is not a byte count from 1024 to 1 GiB", errors);
      else f.max_bytes = static_cast<size_t>(b);
    }
  }
  if (format != "wordfence")
    opts.error(key, key + ".format: unknown format '" + format +
               "' (wordfence: the Wordfence Intelligence Vulnerability Data Feed)", errors);
  if (token_env.empty() == token_file.empty()) {
    opts.error(key, key + " needs exactly one of token_env and token_file (the feed's API key)", errors);
    return;
  }
  if (!token_env.empty()) {
    const char* v = std::getenv(token_env.c_str());
    if (!v || !*v) {
      opts.error(key, key + ".token_env: environment variable " + token_env + " is not set", errors);
      return;
    }
    f.token = v;
  } else {
    std::ifstream in(token_file);
    std::stringstream ss;
    if (in) ss << in.rdbuf();
    f.token = ss.str();
    while (!f.token.empty() && (f.token.back() == '\n' || f.token.back() == '\r' || f.token.back() == ' '))
      f.token.pop_back();
    if (!in || f.token.empty()) {
      opts.error(key, key + ".token_file: cannot read an API key from " + token_file, errors);
      return;
    }
  }
  if (f.token.size() > 4096 || f.token.find_first_of("\r\n") != std::string::npos) {
    opts.error(key, key + ": the API key has a line break or is over 4 KiB", errors);
    return;
  }
  o.feed = std::move(f);
}

ProbePtr build_patch(CheckSpec& spec, config::OptionMap& opts, config::Errors& errors) {
  PatchOptions o;
  size_t before = errors.size();
  if (auto t = opts.get_string("target", errors)) spec.target = *t;
  o.catalog_path = opts.get_string("catalog", errors).value_or(Catalog::default_path());
  if (auto p = opts.get_string("product", errors)) {
    const auto& known = known_products();
    if (std::find(known.begin(), known.end(), *p) == known.end()) {
      std::string list;
      for (const auto& k : known) list += (list.empty() ? "" : ", ") + k;
      opts.error("product", "unknown product '" + *p + "' (known: " + list + ")", errors);
    }
    o.product = *p;
  }
  if (auto paths = opts.get_string_list("paths", errors)) {
    if (paths->size() > kMaxPaths)
      opts.error("paths", "at most " + std::to_string(kMaxPaths) + " paths (requests are polite)",
                 errors);
    for (const auto& p : *paths)
      if (p.empty() || p.front() != '/' || p.size() > 256 || p.find("//") == 0)
        opts.error("paths", "'" + p + "' is not a path on the site (like /feed/)", errors);
    o.paths = *paths;
  }
  if (auto n = opts.get_int("max_requests", errors, 1, kMaxMaxRequests))
    o.max_requests = static_cast<int>(*n);
  if (auto f = opts.get_string("ca_file", errors)) o.ca_file = *f;
  if (auto v = opts.get_bool("verify_tls", errors)) o.verify_tls = *v;
  if (auto v = opts.get_bool("insecure", errors)) o.verify_tls = o.verify_tls && !*v;
  if (auto v = opts.get_bool("components", errors)) o.components = *v;
  if (auto a = opts.get_string("directory_api", errors)) {
    std::string err;
    auto u = net::parse_url(*a, &err);
    if (!u) opts.error("directory_api", "bad URL '" + *a + "': " + err, errors);
    o.directory_api = *a;
  }
  if (opts.has("vulnerability_feed")) parse_feed(opts, o, errors);

  auto url = url_target(spec, opts, errors, "patch");
  if (!url) return nullptr;
  o.url = *url;

  std::vector<std::string> load_errors;
  o.catalog = Catalog::load_shared(o.catalog_path, load_errors);
  for (const auto& e : load_errors) opts.error("catalog", "release catalogue: " + e, errors);
  if (errors.size() != before) return nullptr;
  return std::make_shared<PatchProbe>(std::move(o));
}

}  // namespace

std::optional<std::chrono::system_clock::time_point> parse_iso_timestamp(const std::string& s) {
  std::tm tm{};
  char z = 0;
  if (std::sscanf(s.c_str(), "%4d-%2d-%2dT%2d:%2d:%2d%c", &tm.tm_year, &tm.tm_mon, &tm.tm_mday,
                  &tm.tm_hour, &tm.tm_min, &tm.tm_sec, &z) != 7 ||
      z != 'Z' || !config::year_fits_clock(tm.tm_year))
    return std::nullopt;
  tm.tm_year -= 1900;
  tm.tm_mon -= 1;
  time_t t = timegm(&tm);
  if (t == static_cast<time_t>(-1)) return std::nullopt;
  return std::chrono::system_clock::from_time_t(t);
}

ProbeKind patch_probe_kind() {
  return ProbeKind{
      "patch",
      "CMS patch level: detect WordPress/Drupal/Joomla/Magento/CKAN/ExpressionEngine and its "
      "version, judge it against the release catalogue",
      &build_patch,
      {
          {"--catalog", "catalog", "release catalogue file or directory (default: bundled)"},
          {"--directory-api", "directory_api",
           "WordPress.org API base for plugin and theme versions (default https://api.wordpress.org)"},
          {"--product", "product", "only detect this product (wordpress, drupal, ...)"},
          {"--path", "paths", "site path to fetch instead of the automatic plan (repeatable)", true},
          {"--max-requests", "max_requests", "GETs per run, home page included (default 6)"},
          {"--ca-file", "ca_file", "CA bundle to verify the server certificate"},
          {"--insecure", "insecure", "do not verify the TLS certificate", false, true},
      },
  };
}

}  // namespace lookout::probes
