// agent::CatalogRefresher: the agent keeps its release catalogue fresh by itself
// (`catalog.refresh`, default 24h; `off` disables). Every refresh reads the official feeds that
// `lookout catalog update --official` reads (or `catalog.mirror`, a directory or URL holding the
// same files) on a thread of its own, never on a worker; writes are atomic per file
// (agent/catalog_update.h), so a failed or partial download keeps the last good data. What
// changed is logged in the desk's terms ("WordPress 6.9.2 is a security release: 14 sites now
// insecure"), counted against the sites' last detected versions. Metrics:
// lookout_catalog_age_seconds{product}, lookout_catalog_refresh_failures_total.
#pragma once

#include <atomic>
#include <chrono>
#include <condition_variable>
#include <functional>
#include <map>
#include <mutex>
#include <string>
#include <thread>
#include <vector>

#include "agent/catalog_update.h"
#include "config/clock.h"
#include "config/config.h"

namespace lookout::agent {

/// A site's last detected CMS version (from its patch check's last result).
struct InstalledVersion {
  std::string product;
  std::string version;
  bool exact = true;
};

class CatalogRefresher {
 public:
  struct Options {
    std::string dir;     // the catalogue directory that is read and rewritten
    CatalogFeeds feeds;  // where from
    std::chrono::milliseconds timeout{30'000};  // per feed
    std::string ca_file;
  };
  using InstalledFn = std::function<std::vector<InstalledVersion>()>;

  CatalogRefresher(Options options, const Clock& clock, InstalledFn installed = {});
  ~CatalogRefresher();

  /// The feeds and directory a config asks for: `catalog.mirror` (directory or URL) or the
  /// official feeds, into the bundled catalogue directory.
  static Options options_for(const config::CatalogSettings& settings);

  /// One refresh, now (blocking). Returns the lines it logged: one per change and per failure.
  std::vector<std::string> refresh_once();

  /// Refreshes every `interval` on its own thread, the first time `first_delay` after start.
  void start(std::chrono::milliseconds interval,
             std::chrono::milliseconds first_delay = std::chrono::minutes(1));
  void stop();

  /// lookout_catalog_age_seconds{product} (now - the product's as_of date) and
  /// lookout_catalog_refresh_failures_total, in the text format with HELP and TYPE.
  std::string metrics_text() const;
  uint64_t failures() const { return failures_.load(); }

 private:
  Options options_;
  const Clock& clock_;
  InstalledFn installed_;
  std::atomic<uint64_t> failures_{0};
  mutable std::mutex mutex_;  // as_of_ and the thread state
  std::map<std::string, std::string> as_of_;  // product -> as_of date
  std::condition_variable wake_;
  bool stopping_ = false;
  std::thread thread_;
};

/// The lines a refresh logs for one product that changed, with the number of installed
/// versions whose verdict got worse ("WordPress 6.9.2 is a security release: 14 sites now
/// insecure", "Drupal 11.2.8 released: 3 sites now outdated"). Pure; tested.
std::vector<std::string> describe_catalog_change(const probes::ProductCatalog* before,
                                                 const probes::ProductCatalog& after,
                                                 const std::vector<InstalledVersion>& installed,
                                                 const std::string& today);

}  // namespace lookout::agent
