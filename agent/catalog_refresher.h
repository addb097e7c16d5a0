// agent::CatalogRefresher: the agent keeps its release catalogue fresh by itself
// (`catalog.refresh`, default 24h; `off` disables). Every refresh reads the official feeds that
// `lookout catalog update --official` reads (or `catalog.mirror`, a directory or URL holding the
// same files) on a thread of its own, never on a worker; writes are atomic per file
// (agent/catalog_update.h), so a failed or partial download keeps the last good data. What
// changed is logged in the desk's terms ("WordPress 6.9.2 is a security release: 14 sites now
// insecure"), counted against the sites' last detected versions. Metrics:
// lookout_catalog_age_seconds{product}, lookout_catalog_refresh_failures_total.
//
// Staleness (docs/alerting.md "Stale release catalogue"): check_staleness() compares each
// product's `as_of` with `catalog.max_age` on the injected clock, after every refresh, on the
// refresher's thread one minute after start and every hour (also with `refresh: off`), and when
// the daemon starts or reloads, and hands the figures to a listener: the daemon's keeps one agency incident per
// stale product that sites use open (sync_catalog_incidents()).
#pragma once

#include <atomic>
#include <chrono>
#include <condition_variable>
#include <functional>
#include <map>
#include <optional>
#include <mutex>
#include <string>
#include <thread>
#include <vector>

#include "agent/catalog_update.h"
#include "alerting/alerting_service.h"
#include "config/clock.h"
#include "config/config.h"

namespace lookout::agent {

/// A site's last detected CMS version (from its patch check's last result).
struct InstalledVersion {
  std::string product;
  std::string version;
  bool exact = true;
};

/// One product's release data against `catalog.max_age`, now.
struct CatalogStaleness {
  std::string product;  // "wordpress"
  std::string name;     // "WordPress"
  std::string as_of;    // "YYYY-MM-DD"
  std::optional<int> age_days;
  std::chrono::seconds max_age{0};
  bool stale = false;  // age_days > max_age (as the patch probe judges it)
  size_t sites = 0;    // sites whose last patch result detected a version of it
  std::vector<std::string> refresh_errors;  // the last refresh's failures naming the product
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

  /// Refreshes every `interval` (none: never) on its own thread, the first time `first_delay`
  /// after start, and checks staleness `first_delay` after start and every `check_every`.
  void start(std::optional<std::chrono::milliseconds> interval,
             std::chrono::milliseconds first_delay = std::chrono::minutes(1),
             std::chrono::milliseconds check_every = std::chrono::hours(1));
  void stop();

  /// Every product of the catalogue against catalog.max_age at the clock's now.
  std::vector<CatalogStaleness> staleness() const;
  /// Called with staleness() by check_staleness() (set before start()).
  void set_staleness_listener(std::function<void(const std::vector<CatalogStaleness>&)> fn);
  /// staleness() to the listener, now; returns what it handed over.
  std::vector<CatalogStaleness> check_staleness();

  /// lookout_catalog_age_seconds{product} (now - the product's as_of date) and
  /// lookout_catalog_refresh_failures_total, in the text format with HELP and TYPE.
  std::string metrics_text() const;
  uint64_t failures() const { return failures_.load(); }

 private:
  Options options_;
  const Clock& clock_;
  InstalledFn installed_;
  std::atomic<uint64_t> failures_{0};
  mutable std::mutex mutex_;  // products_, last_errors_, listener_ and the thread state
  struct Product {
    std::string name, as_of;
  };
  std::map<std::string, Product> products_;
  std::vector<std::string> last_errors_;  // of the latest refresh
  std::function<void(const std::vector<CatalogStaleness>&)> listener_;
  std::condition_variable wake_;
  bool stopping_ = false;
  std::thread thread_;
};

/// Keeps the agency incidents `_lookout/catalog/<product>` (P3, type `catalog`) in step with
/// `stale`: one is raised for each stale product that at least one site uses (a verdict is made
/// on it), none twice (an open one, restored after a restart, stays as it is); one resolves
/// when its product's data is within max_age again, or the product left the catalogue.
void sync_catalog_incidents(alerting::AlertingService& service,
                            const std::vector<CatalogStaleness>& stale);

/// The lines a refresh logs for one product that changed, with the number of installed
/// versions whose verdict got worse ("WordPress 6.9.2 is a security release: 14 sites now
/// insecure", "Drupal 11.2.8 released: 3 sites now outdated"). Pure; tested.
std::vector<std::string> describe_catalog_change(const probes::ProductCatalog* before,
                                                 const probes::ProductCatalog& after,
                                                 const std::vector<InstalledVersion>& installed,
                                                 const std::string& today);

}  // namespace lookout::agent
