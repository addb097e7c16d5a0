// Refreshing the release catalogue (config/catalog/*.json) and the RDAP bootstrap beside it
// (rdap/dns.json) from the real feeds: WordPress version-check 1.7 and stable-check 1.0 JSON,
// Drupal release-history XML, endoflife.date JSON and IANA's RFC 9224 dns.json, fetched from
// URLs (net::http_fetch, bounded size and time) or read from a mirror directory.
// Shared by `lookout catalog update` and the agent's periodic refresh (agent/catalog_refresher.h).
//
// Atomic per file: a feed that is down, garbage or truncated fails to parse and leaves its
// product (or the bootstrap) as it was; a result is written to a temporary file, checked by
// loading it back, and renamed over the old one, so a reader never sees a partial file.
#pragma once

#include <chrono>
#include <map>
#include <string>
#include <vector>

#include "probes/catalog.h"

namespace lookout::agent {

struct CatalogFeeds {
  std::string from_dir;              // saved feeds (a mirror directory)
  std::string mirror_url;            // the same files served over HTTP(S): <url>/<file name>
  std::string wordpress_url;         // version-check 1.7
  std::string wordpress_stable_url;  // stable-check 1.0
  std::string drupal_url;            // release-history
  std::string endoflife_url;         // base, e.g. https://endoflife.date/api
  std::string rdap_bootstrap_url;    // IANA's dns.json
  bool official = false;             // fill every URL not given with the official one
  std::vector<std::string> products;  // limit to these; empty = every product with a feed
};

/// File names in a mirror (directory or URL), as saved for `--from-dir`.
inline constexpr const char* kRdapBootstrapFile = "rdap-dns.json";

struct CatalogUpdate {
  int failures = 0;
  std::vector<std::string> errors;   // one line per failed feed or file
  std::vector<std::string> written;  // files replaced
  std::map<std::string, probes::ProductCatalog> before;  // products as they were (when loadable)
  std::map<std::string, probes::ProductCatalog> after;   // products as written
  bool rdap_written = false;
  std::string rdap_publication;
};

/// Reads every planned feed and rewrites the catalogue files in `out_dir` (and
/// `out_dir/rdap/dns.json`). `today` ("YYYY-MM-DD") becomes the `as_of` of updated products.
/// Blocking: runs its own io_context; call it off the worker threads.
CatalogUpdate update_catalog(const CatalogFeeds& feeds, const std::string& out_dir,
                             std::chrono::milliseconds timeout, const std::string& ca_file,
                             const std::string& today);

/// Whether `feeds` names at least one feed.
bool has_feeds(const CatalogFeeds& feeds);

}  // namespace lookout::agent
