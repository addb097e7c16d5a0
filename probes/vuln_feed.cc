#include "probes/vuln_feed.h"

#include <algorithm>

#include <nlohmann/json.hpp>

#include "probes/catalog.h"

namespace lookout::probes {

namespace {

constexpr size_t kMaxText = 300;      // titles are short; a longer one is cut
constexpr size_t kMaxRanges = 50;     // per software entry
constexpr size_t kMaxPatched = 50;
constexpr size_t kMaxMatches = 20;

std::string clean(const std::string& s, size_t max = kMaxText) {
  std::string out = s.size() > max ? s.substr(0, max) + "..." : s;
  for (auto& c : out)
    if (static_cast<unsigned char>(c) < 0x20 || c == 0x7f) c = ' ';
  return out;
}

bool plain_slug(const std::string& s) {
  if (s.empty() || s.size() > 100) return false;
  return std::all_of(s.begin(), s.end(), [](char c) {
    return (c >= 'a' && c <= 'z') || (c >= 'A' && c <= 'Z') || (c >= '0' && c <= '9') ||
           c == '-' || c == '_' || c == '.';
  }) && s.find("..") == std::string::npos;
}

std::optional<std::string> str(const nlohmann::json& o, const char* key) {
  auto it = o.find(key);
  if (it == o.end() || !it->is_string()) return std::nullopt;
  return it->get<std::string>();
}

// A SAX filter in front of the DOM builder that drops the keys a verdict does not need.
struct KeepSax {
  using json = nlohmann::json;
  explicit KeepSax(json& root) : dom(root, false) {}
  nlohmann::detail::json_sax_dom_parser<json> dom;
  int depth = 0;     // open containers
  bool skip = false;
  int nest = 0;      // containers opened inside the skipped value

  static bool keep(int depth, const std::string& k) {
    if (depth == 2) return k == "id" || k == "title" || k == "software" || k == "cvss" || k == "cve";
    if (depth == 4)
      return k == "type" || k == "slug" || k == "affected_versions" || k == "patched" ||
             k == "patched_versions";
    return true;
  }
  bool scalar_done() {
    if (nest == 0) skip = false;
    return true;
  }
  bool null() { return skip ? scalar_done() : dom.null(); }
  bool boolean(bool v) { return skip ? scalar_done() : dom.boolean(v); }
  bool number_integer(json::number_integer_t v) { return skip ? scalar_done() : dom.number_integer(v); }
  bool number_unsigned(json::number_unsigned_t v) { return skip ? scalar_done() : dom.number_unsigned(v); }
  bool number_float(json::number_float_t v, const json::string_t& s) {
    return skip ? scalar_done() : dom.number_float(v, s);
  }
  bool string(json::string_t& v) { return skip ? scalar_done() : dom.string(v); }
  bool binary(json::binary_t& v) { return skip ? scalar_done() : dom.binary(v); }
  bool start_object(std::size_t n) {
    if (skip) return ++nest, true;
    ++depth;
    return dom.start_object(n);
  }
  bool end_object() {
    if (skip) return --nest, scalar_done();
    --depth;
    return dom.end_object();
  }
  bool start_array(std::size_t n) {
    if (skip) return ++nest, true;
    ++depth;
    return dom.start_array(n);
  }
  bool end_array() {
    if (skip) return --nest, scalar_done();
    --depth;
    return dom.end_array();
  }
  bool key(json::string_t& k) {
    if (skip) return true;  // a key inside a skipped object
    if (!keep(depth, k)) {
      skip = true;
      nest = 0;
      return true;
    }
    return dom.key(k);
  }
  bool parse_error(std::size_t pos, const std::string& tok, const nlohmann::detail::exception& e) {
    return dom.parse_error(pos, tok, e);
  }
};

}  // namespace

bool version_in_range(const Version& v, const VersionRange& r, bool* ok) {
  if (ok) *ok = true;
  if (r.from != "*") {
    auto from = Version::parse(r.from);
    if (!from) {
      if (ok) *ok = false;
      return false;
    }
    if (r.from_inclusive ? v < *from : v <= *from) return false;
  }
  if (r.to != "*") {
    auto to = Version::parse(r.to);
    if (!to) {
      if (ok) *ok = false;
      return false;
    }
    if (r.to_inclusive ? v > *to : v >= *to) return false;
  }
  return true;
}

FeedParse parse_wordfence_feed(std::string_view json, size_t max_bytes) {
  FeedParse out;
  if (json.size() > max_bytes) {
    out.error = "feed larger than " + std::to_string(max_bytes >> 20) + " MiB";
    return out;
  }
  // Memory: the feed is ~160 MB of JSON; only the parts a verdict needs are built, the prose
  // is skipped while parsing (depth 2 = a record's keys, depth 4 = a software entry's keys).
  // (nlohmann's parser callback would do the same, but it scans the parent after every
  // object: quadratic on a 40,000-record feed.)
  nlohmann::json j;
  KeepSax sax(j);
  const bool parsed = nlohmann::json::sax_parse(json, &sax, nlohmann::json::input_format_t::json, true);
  if (!parsed || sax.dom.is_errored() || !j.is_object()) {
    out.error = "feed is not a JSON object of vulnerability records";
    return out;
  }
  auto feed = std::make_shared<VulnFeed>();
  size_t bad = 0;
  for (auto& [key, rec] : j.items()) {
    if (!rec.is_object()) {
      ++bad;
      continue;
    }
    auto sw = rec.find("software");
    if (sw == rec.end() || !sw->is_array()) {
      ++bad;
      continue;
    }
    FeedVulnerability base;
    base.id = clean(str(rec, "id").value_or(key), 64);
    base.title = clean(str(rec, "title").value_or(""));
    base.cve = clean(str(rec, "cve").value_or(""), 32);
    if (auto c = rec.find("cvss"); c != rec.end() && c->is_object())
      if (auto s = c->find("score"); s != c->end() && s->is_number()) {
        double score = s->get<double>();
        if (score >= 0 && score <= 10) base.cvss = score;
      }
    for (const auto& s : *sw) {
      if (!s.is_object()) continue;
      auto type = str(s, "type"), slug = str(s, "slug");
      if (!type || !slug || (*type != "plugin" && *type != "theme") || !plain_slug(*slug)) continue;
      auto av = s.find("affected_versions");
      if (av == s.end() || !av->is_object()) continue;
      FeedVulnerability v = base;
      for (const auto& [label, r] : av->items()) {
        if (v.ranges.size() >= kMaxRanges) break;
        if (!r.is_object()) continue;
        auto from = str(r, "from_version"), to = str(r, "to_version");
        auto fi = r.find("from_inclusive"), ti = r.find("to_inclusive");
        if (!from || !to || fi == r.end() || !fi->is_boolean() || ti == r.end() ||
            !ti->is_boolean() || from->size() > 64 || to->size() > 64)
          continue;
        v.ranges.push_back(VersionRange{*from, *to, fi->get<bool>(), ti->get<bool>()});
      }
      if (v.ranges.empty()) continue;
      if (auto pv = s.find("patched_versions"); pv != s.end() && pv->is_array())
        for (const auto& p : *pv)
          if (p.is_string() && v.patched_versions.size() < kMaxPatched && p.get_ref<const std::string&>().size() <= 64)
            v.patched_versions.push_back(p.get<std::string>());
      feed->by_component[*type + "|" + *slug].push_back(std::move(v));
    }
    ++feed->records;
  }
  if (feed->records == 0 && bad > 0) {
    out.error = "feed has no readable vulnerability record (" + std::to_string(bad) +
                " of another shape: has the format changed?)";
    return out;
  }
  out.feed = std::move(feed);
  return out;
}

std::vector<FeedMatch> match_component(const VulnFeed& feed, std::string_view kind,
                                       std::string_view slug, const Version& version) {
  std::vector<FeedMatch> out;
  auto it = feed.by_component.find(std::string(kind) + "|" + std::string(slug));
  if (it == feed.by_component.end()) return out;
  for (const auto& v : it->second) {
    if (out.size() >= kMaxMatches) break;
    if (!std::any_of(v.ranges.begin(), v.ranges.end(),
                     [&](const VersionRange& r) { return version_in_range(version, r); }))
      continue;
    FeedMatch m{v.id, v.title, v.cve, v.cvss, std::nullopt};
    std::optional<Version> best;
    for (const auto& p : v.patched_versions) {
      auto pv = Version::parse(p);
      if (pv && *pv > version && (!best || *pv < *best)) {
        best = pv;
        m.fixed_in = pv->text();
      }
    }
    out.push_back(std::move(m));
  }
  return out;
}

VulnFeedCache& VulnFeedCache::instance() {
  static VulnFeedCache cache;
  return cache;
}

VulnFeedCache::State VulnFeedCache::get(const std::string& url) {
  std::lock_guard lock(mutex_);
  auto it = states_.find(url);
  return it == states_.end() ? State{} : it->second;
}

bool VulnFeedCache::claim_refresh(const std::string& url, std::chrono::system_clock::time_point now) {
  std::lock_guard lock(mutex_);
  auto& s = states_[url];
  if (s.in_flight && now < s.in_flight_until) return false;
  bool due = now >= s.next_try;  // never tried: next_try is the epoch
  // A catalogue refresh refreshes the feed too, but never faster than kMinSpacing.
  if (!due && s.generation != Catalog::generation() && now >= s.last_attempt + kMinSpacing)
    due = true;
  if (!due) return false;
  s.in_flight = true;
  s.in_flight_until = now + std::chrono::minutes(10);
  s.generation = Catalog::generation();
  s.last_attempt = now;
  return true;
}

void VulnFeedCache::succeed(const std::string& url, std::shared_ptr<const VulnFeed> feed,
                            std::chrono::system_clock::time_point now,
                            std::chrono::seconds refresh) {
  std::lock_guard lock(mutex_);
  auto& s = states_[url];
  s.feed = std::move(feed);
  s.fetched = now;
  s.next_try = now + refresh;
  s.last_error.clear();
  s.in_flight = false;
}

void VulnFeedCache::fail(const std::string& url, std::string error,
                         std::chrono::system_clock::time_point now, std::chrono::seconds retry) {
  std::lock_guard lock(mutex_);
  auto& s = states_[url];
  s.last_error = std::move(error);
  s.next_try = now + retry;
  s.in_flight = false;
}

void VulnFeedCache::clear() {
  std::lock_guard lock(mutex_);
  states_.clear();
}

}  // namespace lookout::probes
