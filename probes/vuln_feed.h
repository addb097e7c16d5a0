// A WordPress vulnerability feed in the Wordfence Intelligence Vulnerability Data Feed format
// (v3; the record format is the one v1/v2 documented and v3 kept). Checked against Wordfence's
// published documentation ("V2: Accessing and Consuming the Vulnerability Data Feed",
// wordfence.com/help/wordfence-intelligence/) and the v3 notice (API key required):
//   GET https://www.wordfence.com/api/intelligence/v3/vulnerabilities/production  (or /scanner)
//   Authorization: Bearer <API key>
// The reply is one JSON object keyed by vulnerability id (a UUID); each record has `id`,
// `title`, `software` (array of {type: plugin|theme|core, name, slug, affected_versions: {label:
// {from_version, from_inclusive, to_version, to_inclusive}}, patched, patched_versions[],
// remediation}), `cvss` ({vector, score, rating} or null), `cve` (or null) and more we skip
// (description, references, cwe, researchers, published, updated, copyrights).
// A from_version or to_version of "*" is an open bound (every version before / after).
//
// Parsing is pure and bounded (it can be fuzzed); fetching and caching live in the patch probe
// through VulnFeedCache (process-wide, last good data kept when a refresh fails).
#pragma once

#include <chrono>
#include <map>
#include <memory>
#include <mutex>
#include <optional>
#include <string>
#include <string_view>
#include <vector>

#include "probes/version.h"

namespace lookout::probes {

struct VersionRange {
  std::string from = "*", to = "*";  // "*" = open
  bool from_inclusive = true, to_inclusive = true;
};

/// Whether `v` lies in `r`. A bound that is not "*" and not a version makes the answer false
/// (never guessed), and `ok` is set false so the caller can say so.
bool version_in_range(const Version& v, const VersionRange& r, bool* ok = nullptr);

struct FeedVulnerability {
  std::string id;
  std::string title;
  std::string cve;                  // "" when none
  std::optional<double> cvss;       // cvss.score
  std::vector<VersionRange> ranges;
  std::vector<std::string> patched_versions;  // empty: no fix known
};

struct VulnFeed {
  /// Keyed "plugin|<slug>" / "theme|<slug>" (core records are skipped: the catalogue judges core).
  std::map<std::string, std::vector<FeedVulnerability>> by_component;
  size_t records = 0;
};

struct FeedParse {
  std::shared_ptr<const VulnFeed> feed;  // null on error
  std::string error;
};

constexpr size_t kDefaultFeedMaxBytes = size_t{256} << 20;

/// Parses a Wordfence feed. Garbage, a wrong shape (not an object of records; a record without
/// `software` array) or more than `max_bytes` is an error, never an exception. Records of
/// another shape inside a good feed are skipped and counted in the error-free result only when
/// at least one record was readable.
FeedParse parse_wordfence_feed(std::string_view json, size_t max_bytes = kDefaultFeedMaxBytes);

struct FeedMatch {
  std::string id;
  std::string title;
  std::string cve;
  std::optional<double> cvss;
  std::optional<std::string> fixed_in;  // the lowest patched version above `v`, if any
};

/// The vulnerabilities whose affected ranges contain `version` (at most 20).
std::vector<FeedMatch> match_component(const VulnFeed& feed, std::string_view kind,
                                       std::string_view slug, const Version& version);

/// Process-wide state of each configured feed (by URL): the last good data, when it was
/// fetched, the last failure and when to try again. Time is passed in (the probe's clock).
class VulnFeedCache {
 public:
  struct State {
    std::shared_ptr<const VulnFeed> feed;  // last good; null before the first success
    std::chrono::system_clock::time_point fetched{};       // of the last good data
    std::chrono::system_clock::time_point next_try{};      // epoch: never tried
    std::chrono::system_clock::time_point last_attempt{};
    std::chrono::system_clock::time_point in_flight_until{};
    uint64_t generation = 0;   // catalogue generation at the last attempt
    std::string last_error;    // "" when the last attempt succeeded
    bool in_flight = false;
  };
  /// Wordfence's documented default rate limit is one request per 30 minutes.
  static constexpr std::chrono::minutes kMinSpacing{30};
  static VulnFeedCache& instance();
  State get(const std::string& url);
  /// Claims the download when due (never tried, `next_try` reached, or the catalogue was
  /// refreshed and kMinSpacing passed); false when not due or another check is fetching.
  bool claim_refresh(const std::string& url, std::chrono::system_clock::time_point now);
  /// New good data; the next download after `refresh`.
  void succeed(const std::string& url, std::shared_ptr<const VulnFeed> feed,
               std::chrono::system_clock::time_point now, std::chrono::seconds refresh);
  /// Keeps the last good data; the next try waits `retry`.
  void fail(const std::string& url, std::string error, std::chrono::system_clock::time_point now,
            std::chrono::seconds retry);
  void clear();

 private:
  std::mutex mutex_;
  std::map<std::string, State> states_;
};

}  // namespace lookout::probes
