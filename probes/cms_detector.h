// CMS detection from fetched documents: which product a site runs and which version it reveals.
// Pure functions over documents already fetched (so they can be tested and fuzzed without a
// network); the patch probe does the polite GETs and feeds the documents in. HTML is parsed
// with gumbo, XML with pugixml, JSON with nlohmann: never regular expressions over the page.
// Where each product shows its version: ../shared/reference/cms-versions.md (WordPress meta
// generator, RSS/Atom/RDF feed generator, readme.html, ?ver= on wp-includes/wp-admin assets;
// Drupal X-Generator, meta generator, CHANGELOG.txt; Joomla manifest XML and meta generator;
// Magento /magento_version; CKAN status_show; ExpressionEngine exp_ cookies and footer).
// Thread-safe: no shared state.
#pragma once

#include <string>
#include <string_view>
#include <utility>
#include <vector>

namespace lookout::probes {

/// How much of the version a marker reveals. WordPress writes x.y.0 as "x.y", so a WordPress
/// generator saying "6.7" is exact; Drupal's X-Generator "10" is major only.
enum class Precision { none = 0, major = 1, minor = 2, exact = 3 };
std::string_view to_string(Precision p);

/// One fetched response.
struct Document {
  std::string url;   // absolute URL, for reports
  std::string path;  // request target ("/feed/"), used to pick the parser
  unsigned status = 0;
  std::vector<std::pair<std::string, std::string>> headers;
  std::string body;
};

/// One piece of evidence. Presence markers have an empty version.
struct Marker {
  std::string marker;   // "meta_generator", "rss_generator", "x_generator", ...
  std::string product;  // "wordpress", ...; empty for neutral hints (feed_link)
  std::string version;  // as written by the site, normalised ("6.7.1", "10", "2.4")
  Precision precision = Precision::none;
  std::string url;      // where it was seen (or the link it points to, for feed_link)
  int weight = 0;       // strength of the evidence, 0-100
};

struct Detection {
  std::string product;  // empty: no CMS recognised
  std::string version;  // empty: not revealed; else as precise as the best agreeing marker
  Precision precision = Precision::none;
  int confidence = 0;   // 0-100
  std::vector<Marker> markers;      // every marker of the detected product (and neutral ones)
  std::vector<Marker> disagreeing;  // version markers contradicting `version`
  std::vector<Marker> other_products;  // markers of products that lost
};

/// A WordPress plugin or theme a page reveals, with one marker of its version.
/// `certainty` says what the version means: "installed" (a theme's style.css `Version:`
/// header), "probable" (an asset's `?ver=`: plugins usually pass their own version, but may
/// pass anything), "author_latest" (a readme.txt `Stable tag:`: the author's latest release,
/// not necessarily the one installed), "" (no version seen).
struct Component {
  std::string kind;       // "plugin" or "theme"
  std::string slug;       // [a-z0-9][a-z0-9._-]*, at most 100 characters
  std::string version;    // normalised, "" when none
  std::string marker;     // "asset_path", "asset_ver", "style_css", "readme_stable_tag"
  std::string certainty;  // see above
  std::string url;        // where it was seen
};

/// The plugin or theme slug of a `/wp-content/plugins|themes/<slug>/` asset path; false for any
/// other path or a slug that is not plain (path traversal, encoded bytes, over 100 characters).
bool wp_component_of_path(std::string_view url, std::string& kind, std::string& slug);

/// Components a document reveals: HTML asset paths (`?ver=`), a theme's `style.css` header
/// (`/wp-content/themes/<slug>/style.css`), a plugin's `readme.txt`. Bounded (at most
/// kMaxComponents); any bytes in, never throws.
std::vector<Component> find_components(const Document& doc);
constexpr size_t kMaxComponents = 100;

/// find_markers and find_components over one HTML parse.
std::vector<Marker> find_markers(const Document& doc, std::vector<Component>* components);

/// The products the detector knows, in detection order.
const std::vector<std::string>& known_products();
/// "WordPress" for "wordpress".
std::string product_display_name(std::string_view product);

/// Every marker in one document. Any bytes in; never throws; bounded time and memory
/// (HTML beyond kMaxHtmlBytes is not parsed, nesting depth does not matter).
std::vector<Marker> find_markers(const Document& doc);
constexpr size_t kMaxHtmlBytes = 1 << 20;

/// Combines markers into a verdict. `only_product` (non-empty) ignores other products.
Detection combine_markers(const std::vector<Marker>& markers, std::string_view only_product = {});
/// find_markers over every document, then combine_markers.
Detection detect(const std::vector<Document>& docs, std::string_view only_product = {});

/// The next well-known path worth one polite GET, given what was seen so far and the paths
/// already fetched; empty when nothing more is worth asking. Never more than a handful in all.
std::string next_path(const std::vector<Marker>& so_far, const std::vector<std::string>& fetched,
                      std::string_view only_product = {});

}  // namespace lookout::probes
