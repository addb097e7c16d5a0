// probes::Catalog: the release catalogue the patch probe judges versions against.
// Data lives in config/catalog/<product>.json (format: config/catalog/README.md): per product and
// branch the latest release, the latest security release and the end-of-life date, plus
// optional per-version statuses (WordPress stable-check). `lookout catalog update` rewrites those
// files from the real feeds with the converters below (WordPress version-check 1.7 and
// stable-check 1.0 JSON, Drupal release-history XML, endoflife.date JSON).
// A loaded Catalog is immutable and shared between threads.
#pragma once

#include <chrono>
#include <map>
#include <memory>
#include <optional>
#include <string>
#include <string_view>
#include <vector>

#include <nlohmann/json.hpp>

#include "config/errors.h"
#include "probes/version.h"

namespace lookout::probes {

enum class PatchStatus { current = 0, outdated = 1, insecure = 2, unknown = 3 };
std::string_view to_string(PatchStatus s);
std::optional<PatchStatus> patch_status_from_string(std::string_view s);

/// End of life: unknown, "not yet" (false), "already, date unknown" (true) or a date.
struct EndOfLife {
  bool flag = false;         // true: past end of life (no date known)
  std::string date;          // "YYYY-MM-DD"; empty = none announced
  bool past(std::string_view today) const { return flag || (!date.empty() && date <= today); }
  bool known() const { return flag || !date.empty(); }
};

struct CatalogBranch {
  std::string name;  // "6.8", "7", "2.4.7"
  Version branch;    // name parsed
  std::optional<Version> latest;
  std::optional<Version> latest_security;  // running anything older in the branch is insecure
  EndOfLife eol;     // end of security support
  std::string released;  // "YYYY-MM-DD" or empty
};

struct ProductCatalog {
  std::string product;  // "wordpress"
  std::string name;     // "WordPress"
  std::string as_of;    // "YYYY-MM-DD": when the data was true
  std::vector<std::string> sources;
  std::string notes;
  std::optional<Version> latest;          // explicit, or the highest branch latest
  std::vector<CatalogBranch> branches;    // highest first
  /// Per-version statuses from a vendor feed (WordPress stable-check), keyed by canonical text.
  std::map<Version, PatchStatus> versions;
  std::string file;  // where it was loaded from

  /// The most specific branch `v` belongs to, or nullptr.
  const CatalogBranch* branch_of(const Version& v) const;
  std::optional<Version> latest_release() const;
  std::optional<PatchStatus> version_status(const Version& v) const;
  nlohmann::json to_json() const;
};

class Catalog {
 public:
  /// Loads one file or every *.json in a directory. Each problem is appended to `errors` as
  /// "FILE:LINE:COL: key.path: message"; a product file with errors is left out.
  static Catalog load(const std::string& path, std::vector<std::string>& errors);
  /// Like load(), shared between checks: reloaded when a file's modification time changes.
  static std::shared_ptr<const Catalog> load_shared(const std::string& path,
                                                    std::vector<std::string>& errors);
  /// The bundled catalogue directory (LOOKOUT_CATALOG_DIR env, the source tree, install paths).
  static std::string default_path();

  /// Parses one product document (already read) from `file`.
  static std::optional<ProductCatalog> parse_product(const std::string& text,
                                                     const std::string& file,
                                                     config::Errors& errors);

  /// Bumped whenever catalogue files are replaced in this process (the agent's refresh):
  /// probes holding a loaded catalogue load it again.
  static uint64_t generation();
  static void bump_generation();

  const ProductCatalog* find(std::string_view product) const;
  const std::map<std::string, ProductCatalog>& products() const { return products_; }
  void put(ProductCatalog p) { products_[p.product] = std::move(p); }

 private:
  std::map<std::string, ProductCatalog> products_;
};

/// `catalog.max_age`: a patch verdict made on product data older than this says so (process-
/// wide; the agent sets it from its config, default 7 days).
void set_catalog_max_age(std::chrono::seconds age);
std::chrono::seconds catalog_max_age();
/// Whole days between a product's `as_of` date and `now`; nullopt when as_of is not a date.
std::optional<int> catalog_age_days(const ProductCatalog& pc, std::chrono::system_clock::time_point now);

/// What the catalogue says about one detected version.
struct Assessment {
  PatchStatus status = PatchStatus::unknown;
  std::string reason;  // one line: "6.7.4 is older than the security release 6.8.3"
  std::optional<std::string> latest;           // newest release of the product
  std::optional<std::string> latest_security;  // newest security release of the version's branch
  std::optional<std::string> branch;
  std::optional<std::string> eol;  // the branch's end-of-life date, "true" when past without date
};

/// Judges `version` of `product`. `exact` false means only the components given are known
/// ("10" from Drupal's X-Generator, "2.4" from /magento_version). `today` is "YYYY-MM-DD".
Assessment assess(const ProductCatalog* catalog, const Version& version, bool exact,
                  std::string_view today);

/// "YYYY-MM-DD" (UTC) for a time point.
std::string iso_date(std::chrono::system_clock::time_point t);

// ---- updater: real feeds -> catalogue ----

/// WordPress core version-check 1.7 JSON: sets the product's latest release (first offer).
bool apply_wordpress_version_check(ProductCatalog& pc, std::string_view json, std::string& error);
/// WordPress stable-check 1.0 JSON: per-version statuses, branches (major.minor) with their
/// latest and latest security release; a branch whose newest release is insecure is marked EOL.
bool apply_wordpress_stable_check(ProductCatalog& pc, std::string_view json, std::string& error);
/// Drupal release-history XML (updates.drupal.org/release-history/drupal/current).
bool apply_drupal_release_history(ProductCatalog& pc, std::string_view xml, std::string& error);
/// endoflife.date product JSON (legacy /api/<p>.json array or v1 /api/v1/products/<p>).
/// `use_eol` false keeps existing EOL data (WordPress: back-ports make its EOL dates misleading).
bool apply_endoflife(ProductCatalog& pc, std::string_view json, bool use_eol, std::string& error);

/// Serialises a product catalogue in the documented format (stable key order, pretty).
std::string catalog_file_text(const ProductCatalog& pc);

}  // namespace lookout::probes
