#include "probes/cms_detector.h"

#include <gumbo.h>

#include <algorithm>
#include <cctype>
#include <cstdlib>
#include <cstring>
#include <map>
#include <memory>
#include <optional>

#include <nlohmann/json.hpp>
#include <pugixml.hpp>

#include "net/url.h"
#include "probes/version.h"

namespace lookout::probes {
namespace {

// ---------------------------------------------------------------- small text helpers

std::string lower(std::string_view s) {
  std::string out(s);
  for (auto& c : out) c = static_cast<char>(std::tolower(static_cast<unsigned char>(c)));
  return out;
}

bool iequals(std::string_view a, std::string_view b) {
  return a.size() == b.size() && lower(a) == lower(b);
}

bool istarts_with(std::string_view s, std::string_view prefix) {
  return s.size() >= prefix.size() && iequals(s.substr(0, prefix.size()), prefix);
}

bool ends_with(std::string_view s, std::string_view suffix) {
  return s.size() >= suffix.size() && s.substr(s.size() - suffix.size()) == suffix;
}

bool contains(std::string_view s, std::string_view needle) {
  return s.find(needle) != std::string_view::npos;
}

std::string_view trim(std::string_view s) {
  while (!s.empty() && std::isspace(static_cast<unsigned char>(s.front()))) s.remove_prefix(1);
  while (!s.empty() && std::isspace(static_cast<unsigned char>(s.back()))) s.remove_suffix(1);
  return s;
}

// The first whitespace-separated word of `s`.
std::string_view first_word(std::string_view s) {
  s = trim(s);
  size_t end = 0;
  while (end < s.size() && !std::isspace(static_cast<unsigned char>(s[end]))) ++end;
  return s.substr(0, end);
}

// Version text -> normalised text and its component count, or nullopt when it isn't one.
std::optional<Version> version_of(std::string_view text) {
  auto v = Version::parse(text);
  if (!v) return std::nullopt;
  return v;
}

Precision precision_of_components(const Version& v) {
  size_t n = v.components().size();
  return n >= 3 ? Precision::exact : n == 2 ? Precision::minor : Precision::major;
}

// The value of `key` in a URL's query ("a.css?ver=6.7.1&x=1" -> "6.7.1").
std::optional<std::string> query_param(std::string_view url, std::string_view key) {
  size_t q = url.find('?');
  if (q == std::string_view::npos) return std::nullopt;
  std::string_view rest = url.substr(q + 1);
  if (size_t hash = rest.find('#'); hash != std::string_view::npos) rest = rest.substr(0, hash);
  while (!rest.empty()) {
    size_t amp = rest.find('&');
    std::string_view pair = rest.substr(0, amp);
    size_t eq = pair.find('=');
    if (eq != std::string_view::npos && pair.substr(0, eq) == key)
      return std::string(pair.substr(eq + 1));
    if (amp == std::string_view::npos) break;
    rest.remove_prefix(amp + 1);
  }
  return std::nullopt;
}

std::string_view url_path(std::string_view url) {
  if (size_t q = url.find_first_of("?#"); q != std::string_view::npos) url = url.substr(0, q);
  return url;
}

std::string_view header_of(const Document& d, std::string_view name) {
  for (const auto& [k, v] : d.headers)
    if (iequals(k, name)) return v;
  return {};
}

Marker make(std::string marker, std::string product, std::string version, Precision p,
            std::string url, int weight) {
  return Marker{std::move(marker), std::move(product), std::move(version), p, std::move(url),
                weight};
}

// ---------------------------------------------------------------- headers

void header_markers(const Document& d, std::vector<Marker>& out) {
  for (const auto& [name, value] : d.headers) {
    std::string n = lower(name);
    if (n == "x-generator" && istarts_with(trim(value), "drupal")) {
      // "Drupal 10 (https://www.drupal.org)": major version only.
      std::string_view rest = trim(value).substr(6);
      auto v = version_of(first_word(rest));
      if (v) out.push_back(make("x_generator", "drupal", v->prefix(1), Precision::major, d.url, 70));
      else out.push_back(make("x_generator", "drupal", "", Precision::none, d.url, 60));
    } else if (n == "x-drupal-cache" || n == "x-drupal-dynamic-cache") {
      out.push_back(make("drupal_cache_header", "drupal", "", Precision::none, d.url, 30));
    } else if (n == "set-cookie") {
      std::string_view cookie = trim(value);
      std::string_view cname = cookie.substr(0, cookie.find('='));
      // (Drupal's SESS... session names are too common a prefix to count on their own.)
      if (istarts_with(cname, "exp_"))
        out.push_back(make("exp_cookie", "expressionengine", "", Precision::none, d.url, 60));
    } else if (n.rfind("x-magento-", 0) == 0) {
      out.push_back(make("magento_header", "magento", "", Precision::none, d.url, 40));
    } else if (n == "link" && contains(value, "api.w.org")) {
      out.push_back(make("rest_api_link", "wordpress", "", Precision::none, d.url, 30));
    }
  }
}

// ---------------------------------------------------------------- plain-text endpoints

void magento_version_markers(const Document& d, std::vector<Marker>& out) {
  // "Magento/2.4 (Community)"
  std::string_view body = trim(std::string_view(d.body).substr(0, 256));
  if (!istarts_with(body, "Magento/")) return;
  auto v = version_of(first_word(body.substr(8)));
  if (!v) {
    out.push_back(make("magento_version", "magento", "", Precision::none, d.url, 80));
    return;
  }
  out.push_back(make("magento_version", "magento", v->text(), precision_of_components(*v), d.url,
                     90));
}

void changelog_markers(const Document& d, std::vector<Marker>& out) {
  // First non-empty line: "Drupal 7.103, 2024-12-04". Core 8+ keeps a stale core/CHANGELOG.txt.
  std::string_view body = std::string_view(d.body).substr(0, 4096);
  size_t pos = 0;
  while (pos < body.size()) {
    size_t nl = body.find('\n', pos);
    std::string_view line = trim(body.substr(pos, nl == std::string_view::npos ? nl : nl - pos));
    if (!line.empty()) {
      if (!istarts_with(line, "Drupal ")) return;
      std::string_view word = first_word(line.substr(7));
      if (!word.empty() && word.back() == ',') word.remove_suffix(1);
      auto v = version_of(word);
      if (!v) return;
      // core/CHANGELOG.txt (8+) is only updated for minor releases: trust major.minor.
      bool core = contains(d.path, "core/");
      if (core)
        out.push_back(make("core_changelog", "drupal", v->prefix(2),
                           v->components().size() >= 2 ? Precision::minor : Precision::major,
                           d.url, 30));
      else
        out.push_back(make("changelog", "drupal", v->text(),
                           v->components().size() >= 2 ? Precision::exact : Precision::major,
                           d.url, 60));
      return;
    }
    if (nl == std::string_view::npos) break;
    pos = nl + 1;
  }
}

void ckan_status_markers(const Document& d, std::vector<Marker>& out) {
  auto j = nlohmann::json::parse(d.body, nullptr, false);
  if (j.is_discarded() || !j.is_object()) return;
  auto success = j.find("success");
  auto result = j.find("result");
  if (success == j.end() || !success->is_boolean() || !success->get<bool>() ||
      result == j.end() || !result->is_object())
    return;
  auto cv = result->find("ckan_version");
  if (cv == result->end() || !cv->is_string()) return;
  auto v = version_of(cv->get<std::string>());
  if (!v) {
    out.push_back(make("ckan_status_show", "ckan", "", Precision::none, d.url, 80));
    return;
  }
  out.push_back(
      make("ckan_status_show", "ckan", v->text(), precision_of_components(*v), d.url, 95));
}

// ---------------------------------------------------------------- XML: feeds, Joomla manifest

std::string_view local_name(const char* name) {
  std::string_view n(name);
  if (size_t c = n.find(':'); c != std::string_view::npos) n.remove_prefix(c + 1);
  return n;
}

pugi::xml_node child_local(pugi::xml_node parent, std::string_view name) {
  for (auto c : parent.children())
    if (c.type() == pugi::node_element && local_name(c.name()) == name) return c;
  return {};
}

void wordpress_generator_url(std::string_view text, const char* marker, const Document& d,
                             std::vector<Marker>& out) {
  // "https://wordpress.org/?v=6.7.1"
  text = trim(text);
  if (!contains(lower(text), "wordpress.org")) return;
  auto ver = query_param(text, "v");
  auto v = ver ? version_of(*ver) : std::nullopt;
  if (v) out.push_back(make(marker, "wordpress", v->text(), Precision::exact, d.url, 80));
  else out.push_back(make(marker, "wordpress", "", Precision::none, d.url, 50));
}

void xml_markers(const Document& d, std::vector<Marker>& out) {
  pugi::xml_document doc;
  // No DTD processing beyond the default (pugixml never fetches or expands external entities).
  auto res = doc.load_buffer(d.body.data(), std::min(d.body.size(), kMaxHtmlBytes),
                             pugi::parse_default, pugi::encoding_auto);
  if (!res) return;
  pugi::xml_node root = doc.document_element();
  std::string_view rname = local_name(root.name());
  if (rname == "rss") {
    pugi::xml_node gen = child_local(child_local(root, "channel"), "generator");
    if (gen) wordpress_generator_url(gen.text().as_string(), "rss_generator", d, out);
  } else if (rname == "feed") {
    pugi::xml_node gen = child_local(root, "generator");
    if (gen && (contains(lower(gen.attribute("uri").as_string()), "wordpress.org") ||
                iequals(trim(gen.text().as_string()), "WordPress"))) {
      auto v = version_of(gen.attribute("version").as_string());
      if (v) out.push_back(make("atom_generator", "wordpress", v->text(), Precision::exact, d.url, 80));
      else out.push_back(make("atom_generator", "wordpress", "", Precision::none, d.url, 50));
    }
  } else if (rname == "RDF") {
    pugi::xml_node gen = child_local(child_local(root, "channel"), "generatorAgent");
    if (gen) {
      for (auto a : gen.attributes())
        if (local_name(a.name()) == "resource")
          wordpress_generator_url(a.as_string(), "rdf_generator", d, out);
    }
  } else if (rname == "extension") {
    std::string name = lower(trim(child_local(root, "name").text().as_string()));
    if (name == "files_joomla" || name == "joomla! cms" || name == "joomla") {
      auto v = version_of(child_local(root, "version").text().as_string());
      if (v) out.push_back(make("joomla_manifest", "joomla", v->text(), precision_of_components(*v),
                                d.url, 90));
      else out.push_back(make("joomla_manifest", "joomla", "", Precision::none, d.url, 80));
    }
  }
}

// ---------------------------------------------------------------- HTML

// Gumbo 0.10 frees its tree recursively, which a deeply nested page turns into a stack
// overflow. Its nodes come from this arena instead and are released in one go, never walked.
class Arena {
 public:
  static void* allocate(void* self, size_t size) {
    return static_cast<Arena*>(self)->take(size);
  }
  static void release(void*, void*) {}

 private:
  void* take(size_t size) {
    size = (size + 15) & ~size_t{15};
    if (size > kBlock / 4) {
      blocks_.emplace_back(new (std::align_val_t{16}) char[size]);
      return blocks_.back().get();
    }
    if (blocks_.empty() || used_ + size > kBlock) {
      blocks_.emplace_back(new (std::align_val_t{16}) char[kBlock]);
      current_ = blocks_.back().get();
      used_ = 0;
    }
    void* p = current_ + used_;
    used_ += size;
    return p;
  }
  struct Free {
    void operator()(char* p) const { ::operator delete[](p, std::align_val_t{16}); }
  };
  static constexpr size_t kBlock = 256 << 10;
  std::vector<std::unique_ptr<char[], Free>> blocks_;
  char* current_ = nullptr;
  size_t used_ = 0;
};

const char* attr(const GumboElement& e, const char* name) {
  const GumboAttribute* a = gumbo_get_attribute(&e.attributes, name);
  return a ? a->value : nullptr;
}

// Text of an element's descendants (bounded), iteratively.
std::string text_of(const GumboNode* node, size_t limit = 4096) {
  std::string out;
  std::vector<const GumboNode*> stack{node};
  while (!stack.empty() && out.size() < limit) {
    const GumboNode* n = stack.back();
    stack.pop_back();
    if (n->type == GUMBO_NODE_TEXT || n->type == GUMBO_NODE_WHITESPACE) {
      out += n->v.text.text;
      out += ' ';
    } else if (n->type == GUMBO_NODE_ELEMENT || n->type == GUMBO_NODE_TEMPLATE) {
      const GumboVector& kids = n->v.element.children;
      for (size_t i = kids.length; i-- > 0;) stack.push_back(static_cast<GumboNode*>(kids.data[i]));
    }
  }
  return out;
}

// Core asset paths whose ?ver= is a bundled library's version, not WordPress's.
bool third_party_core_asset(std::string_view path) {
  static constexpr std::string_view kDirs[] = {"/jquery/",   "/vendor/",    "/mediaelement/",
                                               "/tinymce/",  "/codemirror/", "/thickbox/",
                                               "/plupload/", "/crop/",      "/imgareaselect/",
                                               "/jcrop/",    "/swfupload/", "/twemoji/"};
  for (auto d : kDirs)
    if (contains(path, d)) return true;
  std::string_view file = path.substr(path.rfind('/') + 1);
  static constexpr std::string_view kFiles[] = {"imagesloaded", "masonry",   "underscore",
                                                "backbone",     "hoverIntent", "clipboard",
                                                "swfobject",    "json2",     "zxcvbn",
                                                "colorpicker",  "jquery",    "wp-polyfill"};
  for (auto f : kFiles)
    if (file.substr(0, f.size()) == f) return true;
  return false;
}

bool plain_slug(std::string_view s) {
  if (s.empty() || s.size() > 100) return false;
  if (!(std::islower(static_cast<unsigned char>(s[0])) || std::isdigit(static_cast<unsigned char>(s[0]))))
    return false;
  for (char c : s)
    if (!(std::islower(static_cast<unsigned char>(c)) || std::isdigit(static_cast<unsigned char>(c)) ||
          c == '-' || c == '_' || c == '.'))
      return false;
  return s.find("..") == std::string_view::npos;
}

// A component version: what the version parser accepts, at most 32 characters.
std::string component_version(std::string_view text) {
  text = trim(text);
  if (text.empty() || text.size() > 32) return {};
  for (char c : text)
    if (!(std::isalnum(static_cast<unsigned char>(c)) || c == '.' || c == '-' || c == '_' || c == '+'))
      return {};
  auto v = Version::parse(text);
  return v ? v->text() : std::string();
}

struct HtmlScan {
  const Document& doc;
  std::vector<Marker>& out;
  std::vector<Component>* components = nullptr;
  std::map<std::string, std::pair<int, std::string>> ver_votes;  // version -> count, first url
  std::map<std::string, std::pair<int, std::string>> drupal_js_votes;  // same, Drupal core JS ?v=
  bool wp_paths = false, drupal_paths = false, joomla_paths = false, magento_paths = false;
  bool magento1_paths = false;  // /skin/frontend/: Magento 1 only (2 serves /static/)
  bool readme = false;

  void asset_url(std::string_view url) {
    if (url.empty() || url.size() > 2048) return;
    std::string_view path = url_path(url);
    if (contains(path, "/wp-content/") || contains(path, "/wp-includes/")) wp_paths = true;
    if (contains(path, "/sites/default/files/") || contains(path, "/core/misc/drupal.js") ||
        contains(path, "/misc/drupal.js") || contains(path, "/core/themes/"))
      drupal_paths = true;
    if (contains(path, "/media/system/js/") || contains(path, "/media/jui/") ||
        contains(path, "/media/templates/site/"))
      joomla_paths = true;
    if (contains(path, "/static/version") || contains(path, "/skin/frontend/") ||
        contains(path, "/mage/"))
      magento_paths = true;
    if (contains(path, "/skin/frontend/")) magento1_paths = true;
    drupal_core_js(url, path);
    if (components && components->size() < kMaxComponents) {
      Component c;
      if (wp_component_of_path(url, c.kind, c.slug)) {
        auto ver = query_param(url, "ver");
        c.version = ver ? component_version(*ver) : std::string();
        c.marker = c.version.empty() ? "asset_path" : "asset_ver";
        c.certainty = c.version.empty() ? "" : "probable";
        c.url = absolute(url);
        components->push_back(std::move(c));
      }
    }
    // Only core assets default ?ver= to the WordPress version; plugins and themes set their own.
    if ((contains(path, "/wp-includes/") || contains(path, "/wp-admin/")) &&
        !third_party_core_asset(path)) {
      auto ver = query_param(url, "ver");
      if (!ver) return;
      auto v = version_of(*ver);
      if (!v || v->components().size() < 2) return;
      auto& slot = ver_votes[v->text()];
      if (slot.first++ == 0) slot.second = absolute(url);
    }
  }

  // Drupal 8+ appends ?v=<library version> to every JS file it does not aggregate, and core's
  // own libraries declare `version: VERSION`: /core/misc/drupal.js?v=10.5.1 is the exact core
  // version. Bundled vendor libraries (/core/assets/vendor/jquery/...?v=3.7.1) carry their own.
  void drupal_core_js(std::string_view url, std::string_view path) {
    size_t core = path.find("/core/");
    if (core == std::string_view::npos || !ends_with(path, ".js")) return;
    std::string_view below = path.substr(core + 6);
    if (!(below.substr(0, 5) == "misc/" || below.substr(0, 8) == "modules/")) return;
    auto ver = query_param(url, "v");
    if (!ver) return;
    auto v = version_of(*ver);
    if (!v || v->components().size() < 3 || v->components()[0] < 8) return;
    auto& slot = drupal_js_votes[v->text()];
    if (slot.first++ == 0) slot.second = absolute(url);
  }

  // Asset and feed links as absolute URLs for reports (relative when the page URL is unknown).
  std::string absolute(std::string_view link) const {
    auto base = net::parse_url(doc.url);
    if (!base) return std::string(link);
    auto u = net::resolve_location(*base, link);
    return u ? u->to_string() : std::string(link);
  }

  void generator(std::string_view content) {
    content = trim(content);
    if (istarts_with(content, "WordPress")) {
      std::string_view rest = content.substr(9);
      if (!rest.empty() && rest.front() == '.') {  // "WordPress.com"
        out.push_back(make("meta_generator", "wordpress", "", Precision::none, doc.url, 50));
        return;
      }
      auto v = version_of(first_word(rest));
      if (v) out.push_back(make("meta_generator", "wordpress", v->text(), Precision::exact, doc.url, 60));
      else out.push_back(make("meta_generator", "wordpress", "", Precision::none, doc.url, 50));
    } else if (istarts_with(content, "Drupal")) {
      auto v = version_of(first_word(content.substr(6)));
      if (v) out.push_back(make("meta_generator", "drupal", v->prefix(1), Precision::major, doc.url, 60));
      else out.push_back(make("meta_generator", "drupal", "", Precision::none, doc.url, 50));
    } else if (istarts_with(content, "Joomla")) {
      // "Joomla! - Open Source Content Management - Version 4.0.6" (version only with MetaVersion)
      std::string l = lower(content);
      size_t at = l.rfind("version ");
      std::optional<Version> v;
      if (at != std::string::npos) v = version_of(first_word(content.substr(at + 8)));
      if (v) out.push_back(make("meta_generator", "joomla", v->text(), precision_of_components(*v),
                                doc.url, 60));
      else out.push_back(make("meta_generator", "joomla", "", Precision::none, doc.url, 50));
    } else if (istarts_with(content, "ckan")) {
      auto v = version_of(first_word(content.substr(4)));
      if (v) out.push_back(make("meta_generator", "ckan", v->text(), precision_of_components(*v),
                                doc.url, 70));
      else out.push_back(make("meta_generator", "ckan", "", Precision::none, doc.url, 50));
    } else if (istarts_with(content, "ExpressionEngine")) {
      out.push_back(make("meta_generator", "expressionengine", "", Precision::none, doc.url, 50));
    }
  }

  void inline_script(const GumboElement& e, std::string_view text) {
    const char* type = attr(e, "type");
    if (type && iequals(type, "text/x-magento-init")) {
      out.push_back(make("magento_init", "magento", "", Precision::none, doc.url, 40));
      return;
    }
    if (const char* sel = attr(e, "data-drupal-selector");
        sel && std::string_view(sel) == "drupal-settings-json") {
      out.push_back(make("drupal_settings", "drupal", "", Precision::none, doc.url, 30));
      return;
    }
    if (const char* cls = attr(e, "class"); cls && contains(cls, "joomla-script-options")) {
      out.push_back(make("joomla_script_options", "joomla", "", Precision::none, doc.url, 30));
      return;
    }
    // window._wpemojiSettings = {...,"source":{"concatemoji":"...wp-emoji-release.min.js?ver=6.7.1"}}
    if (!contains(text, "wpemoji") && !contains(text, "concatemoji")) return;
    size_t open = text.find('{');
    if (open == std::string_view::npos) return;
    // The object literal ends at its matching brace (strings skipped); JSON parses the rest.
    size_t close = std::string_view::npos;
    int depth = 0;
    bool in_string = false;
    for (size_t i = open; i < text.size() && close == std::string_view::npos; ++i) {
      char c = text[i];
      if (in_string) {
        if (c == '\\') ++i;
        else if (c == '"') in_string = false;
      } else if (c == '"') {
        in_string = true;
      } else if (c == '{') {
        ++depth;
      } else if (c == '}' && --depth == 0) {
        close = i;
      }
    }
    if (close == std::string_view::npos) return;
    auto j = nlohmann::json::parse(text.substr(open, close - open + 1), nullptr, false);
    if (j.is_discarded() || !j.is_object()) return;
    auto src = j.find("source");
    if (src == j.end() || !src->is_object()) return;
    for (const char* k : {"concatemoji", "wpemoji"})
      if (auto it = src->find(k); it != src->end() && it->is_string()) asset_url(it->get<std::string>());
  }

  void element(const GumboNode* node) {
    const GumboElement& e = node->v.element;
    switch (e.tag) {
      case GUMBO_TAG_META: {
        const char* name = attr(e, "name");
        const char* content = attr(e, "content");
        if (name && content && iequals(name, "generator")) generator(content);
        break;
      }
      case GUMBO_TAG_LINK: {
        const char* rel = attr(e, "rel");
        const char* href = attr(e, "href");
        if (!href) break;
        if (rel && std::string_view(rel) == "https://api.w.org/") {
          out.push_back(make("rest_api_link", "wordpress", "", Precision::none, doc.url, 30));
        } else if (rel && iequals(rel, "alternate")) {
          const char* type = attr(e, "type");
          if (type && (iequals(type, "application/rss+xml") || iequals(type, "application/atom+xml")))
            out.push_back(make("feed_link", "", "", Precision::none, absolute(href), 0));
        } else {
          asset_url(href);
        }
        break;
      }
      case GUMBO_TAG_SCRIPT: {
        if (const char* src = attr(e, "src")) {
          asset_url(src);
        } else if (e.children.length > 0) {
          const GumboNode* t = static_cast<const GumboNode*>(e.children.data[0]);
          if (t->type == GUMBO_NODE_TEXT || t->type == GUMBO_NODE_CDATA)
            inline_script(e, std::string_view(t->v.text.text).substr(0, 64 << 10));
          else inline_script(e, {});
        } else {
          inline_script(e, {});
        }
        break;
      }
      case GUMBO_TAG_IMG:
        if (const char* src = attr(e, "src")) asset_url(src);
        break;
      case GUMBO_TAG_H1:
        if (readme) {
          const char* id = attr(e, "id");
          if (!id || std::string_view(id) != "logo") break;
          // readme.html: <h1 id="logo"> ... <br /> Version 6.7 </h1> (major.minor since 4.7)
          std::string t = text_of(node);
          size_t at = t.find("Version ");
          if (at == std::string::npos) break;
          auto v = version_of(first_word(std::string_view(t).substr(at + 8)));
          if (v)
            out.push_back(make("readme", "wordpress", v->prefix(2), Precision::minor, doc.url, 30));
        }
        break;
      default:
        break;
    }
  }

  void text(std::string_view t) {
    if (contains(t, "ExpressionEngine") && contains(lower(t), "powered by"))
      out.push_back(make("powered_by", "expressionengine", "", Precision::none, doc.url, 40));
    else if (contains(t, "Powered by WordPress") || contains(t, "Proudly powered by WordPress"))
      out.push_back(make("powered_by", "wordpress", "", Precision::none, doc.url, 10));
  }

  void finish() {
    if (wp_paths) out.push_back(make("wp_paths", "wordpress", "", Precision::none, doc.url, 20));
    if (drupal_paths)
      out.push_back(make("drupal_paths", "drupal", "", Precision::none, doc.url, 20));
    if (joomla_paths)
      out.push_back(make("joomla_paths", "joomla", "", Precision::none, doc.url, 20));
    if (magento_paths)
      out.push_back(make("magento_paths", "magento", "", Precision::none, doc.url, 20));
    if (magento1_paths)  // the layout is the version line: Magento 1, past end of life
      out.push_back(make("magento1_skin", "magento", "1", Precision::major, doc.url, 30));
    // The version most core assets carry. One vote is weak; several agreeing are better.
    const std::pair<const std::string, std::pair<int, std::string>>* best = nullptr;
    for (const auto& kv : ver_votes)
      if (!best || kv.second.first > best->second.first) best = &kv;
    if (best)
      out.push_back(make("asset_ver", "wordpress", best->first, Precision::exact,
                         best->second.second, std::min(50, 10 + 10 * best->second.first)));
    const std::pair<const std::string, std::pair<int, std::string>>* core_js = nullptr;
    for (const auto& kv : drupal_js_votes)
      if (!core_js || kv.second.first > core_js->second.first) core_js = &kv;
    if (core_js)
      out.push_back(make("core_js_ver", "drupal", core_js->first, Precision::exact,
                         core_js->second.second, std::min(60, 30 + 10 * core_js->second.first)));
  }
};

// Gumbo's tree building checks the stack of open elements for every start tag, so a page of
// 200,000 nested <div>s costs quadratic time. Real pages nest a few dozen levels: the input is
// cut where a rough tag count says the nesting passed kMaxNesting (markers live in <head> and
// near the top of <body> anyway). This only finds a cut point; markers come from gumbo's tree.
constexpr int kMaxNesting = 512;

size_t nesting_cut(std::string_view html) {
  static constexpr std::string_view kVoid[] = {"area", "base", "br",    "col",  "embed",
                                               "hr",   "img",  "input", "link", "meta",
                                               "param", "source", "track", "wbr", "!"};
  int depth = 0;
  size_t i = 0;
  while ((i = html.find('<', i)) != std::string_view::npos && i + 1 < html.size()) {
    char c = html[i + 1];
    if (c == '/') {
      if (depth > 0) --depth;
      i += 2;
      continue;
    }
    if (!std::isalpha(static_cast<unsigned char>(c))) {
      ++i;
      continue;
    }
    size_t end = i + 1;
    while (end < html.size() && std::isalnum(static_cast<unsigned char>(html[end]))) ++end;
    std::string name = lower(html.substr(i + 1, end - i - 1));
    if (name == "script" || name == "style") {  // raw text: skip to its end tag
      size_t close = html.find("</" + name, end);
      if (close == std::string_view::npos) return html.size();
      i = close + 2;
      continue;
    }
    if (std::find(std::begin(kVoid), std::end(kVoid), name) == std::end(kVoid) && ++depth > kMaxNesting)
      return i;
    i = end;
  }
  return html.size();
}

void html_markers(const Document& d, std::vector<Marker>& out,
                  std::vector<Component>* components = nullptr) {
  std::string_view body(d.body);
  if (body.size() > kMaxHtmlBytes) body = body.substr(0, kMaxHtmlBytes);
  body = body.substr(0, nesting_cut(body));
  Arena arena;
  GumboOptions options = kGumboDefaultOptions;
  options.allocator = &Arena::allocate;
  options.deallocator = &Arena::release;
  options.userdata = &arena;
  options.max_errors = 100;  // the error list is not needed; keep it from growing
  GumboOutput* output = gumbo_parse_with_options(&options, body.data(), body.size());
  if (!output) return;  // the arena frees everything; gumbo_destroy_output is never called

  HtmlScan scan{d, out, components, {}, {}};
  scan.readme = ends_with(url_path(d.path), "readme.html");
  // Depth-first, with an explicit stack: nesting depth costs heap, not call stack.
  std::vector<const GumboNode*> stack{output->root};
  size_t text_budget = 2 << 20;
  int ee_text = 0;
  while (!stack.empty()) {
    const GumboNode* n = stack.back();
    stack.pop_back();
    if (n->type == GUMBO_NODE_ELEMENT || n->type == GUMBO_NODE_TEMPLATE) {
      scan.element(n);
      if (n->v.element.tag == GUMBO_TAG_SCRIPT || n->v.element.tag == GUMBO_TAG_STYLE) continue;
      const GumboVector& kids = n->v.element.children;
      for (size_t i = kids.length; i-- > 0;) stack.push_back(static_cast<GumboNode*>(kids.data[i]));
    } else if (n->type == GUMBO_NODE_TEXT && text_budget > 0 && ee_text < 2) {
      std::string_view t(n->v.text.text);
      text_budget -= std::min(text_budget, t.size());
      size_t before = out.size();
      scan.text(t);
      ee_text += static_cast<int>(out.size() - before);
    }
  }
  scan.finish();
}

// ---------------------------------------------------------------- dispatch

enum class Kind { html, xml, json, text };

Kind sniff(const Document& d) {
  std::string_view b(d.body);
  if (b.substr(0, 3) == "\xEF\xBB\xBF") b.remove_prefix(3);
  b = trim(b.substr(0, 512));
  if (b.substr(0, 5) == "<?xml" || b.substr(0, 4) == "<rss" || b.substr(0, 5) == "<feed" ||
      b.substr(0, 8) == "<rdf:RDF" || b.substr(0, 10) == "<extension")
    return Kind::xml;
  if (!b.empty() && b.front() == '{') return Kind::json;
  std::string ct = lower(header_of(d, "content-type"));
  if (contains(ct, "html") || (!b.empty() && b.front() == '<')) return Kind::html;
  return Kind::text;
}

const std::map<std::string, std::string>& display_names() {
  static const std::map<std::string, std::string> names = {
      {"wordpress", "WordPress"}, {"drupal", "Drupal"}, {"joomla", "Joomla"},
      {"magento", "Magento"},     {"ckan", "CKAN"},     {"expressionengine", "ExpressionEngine"}};
  return names;
}

// Two version markers agree when the less precise one is a prefix of the other.
bool compatible(const Marker& a, const Marker& b) {
  auto va = Version::parse(a.version), vb = Version::parse(b.version);
  if (!va || !vb) return a.version == b.version;
  bool ea = a.precision == Precision::exact, eb = b.precision == Precision::exact;
  if (ea && eb) return *va == *vb;
  const Version& shorter = (!ea && (eb || va->components().size() <= vb->components().size())) ? *va : *vb;
  const Version& longer = &shorter == &*va ? *vb : *va;
  return longer.in_branch(shorter);
}

bool same_marker(const Marker& a, const Marker& b) {
  return a.marker == b.marker && a.product == b.product && a.version == b.version;
}

}  // namespace

constexpr size_t kMaxMarkersPerDocument = 32;
constexpr size_t kMaxMarkersCombined = 256;
static std::vector<Marker> find_markers_uncapped(const Document& doc,
                                                 std::vector<Component>* components);

std::string_view to_string(Precision p) {
  switch (p) {
    case Precision::none: return "none";
    case Precision::major: return "major";
    case Precision::minor: return "minor";
    case Precision::exact: return "exact";
  }
  return "none";
}

const std::vector<std::string>& known_products() {
  static const std::vector<std::string> products = {"wordpress", "drupal", "joomla",
                                                    "magento",   "ckan",   "expressionengine"};
  return products;
}

std::string product_display_name(std::string_view product) {
  auto it = display_names().find(std::string(product));
  return it == display_names().end() ? std::string(product) : it->second;
}

std::vector<Marker> find_markers(const Document& doc) { return find_markers(doc, nullptr); }

bool wp_component_of_path(std::string_view url, std::string& kind, std::string& slug) {
  std::string_view path = url_path(url);
  for (std::string_view k : {"plugins", "themes"}) {
    std::string needle = "/wp-content/" + std::string(k) + "/";
    size_t at = path.find(needle);
    if (at == std::string_view::npos) continue;
    std::string_view rest = path.substr(at + needle.size());
    size_t slash = rest.find('/');
    if (slash == std::string_view::npos) return false;
    if (!plain_slug(rest.substr(0, slash))) return false;
    kind = k == "plugins" ? "plugin" : "theme";
    slug = std::string(rest.substr(0, slash));
    return true;
  }
  return false;
}

// WordPress reads file headers (get_file_data) from the first 8 KiB: "Version: 1.2" on a line
// of its own, after any comment decoration.
static std::optional<std::string> file_header(std::string_view text, std::string_view name) {
  text = text.substr(0, 8192);
  size_t start = 0;
  while (start < text.size()) {
    size_t end = text.find_first_of("\r\n", start);
    if (end == std::string_view::npos) end = text.size();
    std::string_view line = text.substr(start, end - start);
    start = end + 1;
    size_t i = 0;
    while (i < line.size() && (line[i] == ' ' || line[i] == '\t' || line[i] == '/' ||
                               line[i] == '*' || line[i] == '#' || line[i] == '@'))
      ++i;
    line.remove_prefix(i);
    if (line.size() > name.size() && istarts_with(line, name) && line[name.size()] == ':')
      return std::string(trim(line.substr(name.size() + 1)));
  }
  return std::nullopt;
}

std::vector<Component> find_components(const Document& doc) {
  std::vector<Component> out;
  const bool ok = doc.status >= 200 && doc.status < 300;
  std::string kind, slug;
  std::string_view path = url_path(doc.path);
  if (ok && ends_with(path, "/style.css") && wp_component_of_path(doc.path, kind, slug) &&
      kind == "theme") {
    Component c{"theme", slug, "", "style_css", "", doc.url};
    if (auto v = file_header(doc.body, "Version")) c.version = component_version(*v);
    if (!c.version.empty()) c.certainty = "installed";
    out.push_back(std::move(c));
    return out;
  }
  if (ok && ends_with(path, "/readme.txt") && wp_component_of_path(doc.path, kind, slug) &&
      kind == "plugin") {
    Component c{"plugin", slug, "", "readme_stable_tag", "", doc.url};
    if (auto v = file_header(doc.body, "Stable tag")) c.version = component_version(*v);
    if (!c.version.empty()) c.certainty = "author_latest";
    out.push_back(std::move(c));
    return out;
  }
  if (sniff(doc) == Kind::html) {
    std::vector<Marker> markers;
    html_markers(doc, markers, &out);
  }
  return out;
}

std::vector<Marker> find_markers(const Document& doc, std::vector<Component>* components) {
  std::vector<Marker> out = find_markers_uncapped(doc, components);
  // A page of 20,000 generator tags is an attack on combine_markers (quadratic), not evidence.
  if (out.size() > kMaxMarkersPerDocument) out.resize(kMaxMarkersPerDocument);
  return out;
}

static std::vector<Marker> find_markers_uncapped(const Document& doc,
                                                 std::vector<Component>* components) {
  std::vector<Marker> out;
  header_markers(doc, out);
  bool ok = doc.status >= 200 && doc.status < 300;
  std::string_view path = url_path(doc.path);
  if (ok && ends_with(path, "/magento_version")) {
    magento_version_markers(doc, out);
    return out;
  }
  if (ok && ends_with(path, "CHANGELOG.txt")) {
    changelog_markers(doc, out);
    return out;
  }
  switch (sniff(doc)) {
    case Kind::xml:
      if (ok) xml_markers(doc, out);
      break;
    case Kind::json:
      if (ok) ckan_status_markers(doc, out);
      break;
    case Kind::html:
      // Error pages of a CMS still carry its generator; they are parsed too.
      html_markers(doc, out, components);
      break;
    case Kind::text:
      break;
  }
  return out;
}

Detection combine_markers(const std::vector<Marker>& input, std::string_view only_product) {
  Detection det;
  std::vector<Marker> markers;
  for (const auto& m : input) {
    if (markers.size() >= kMaxMarkersCombined) break;
    if (!only_product.empty() && !m.product.empty() && m.product != only_product) continue;
    if (std::any_of(markers.begin(), markers.end(), [&](const Marker& x) { return same_marker(x, m); }))
      continue;
    markers.push_back(m);
  }
  // Product: the one with the most evidence.
  std::map<std::string, int> score;
  for (const auto& m : markers)
    if (!m.product.empty()) score[m.product] += m.weight;
  std::string best;
  for (const auto& p : known_products())
    if (score.count(p) && (best.empty() || score[p] > score[best])) best = p;
  for (const auto& [p, s] : score)
    if (best.empty() || s > score[best]) best = p;
  for (const auto& m : markers)
    if (m.product.empty() || m.product == best) det.markers.push_back(m);
    else det.other_products.push_back(m);
  if (best.empty()) return det;
  det.product = best;
  int product_confidence = std::min(100, score[best]);

  // Version: the marker with the most agreeing weight; ties go to the more precise one.
  std::vector<const Marker*> versioned;
  for (const auto& m : det.markers)
    if (!m.version.empty()) versioned.push_back(&m);
  if (versioned.empty()) {
    det.confidence = product_confidence;
    return det;
  }
  const Marker* anchor = nullptr;
  int anchor_support = -1;
  for (const Marker* m : versioned) {
    int support = 0;
    for (const Marker* n : versioned)
      if (compatible(*m, *n)) support += n->weight;
    if (support > anchor_support ||
        (support == anchor_support && m->precision > anchor->precision)) {
      anchor = m;
      anchor_support = support;
    }
  }
  // Refine to the most precise compatible marker when those finer markers agree among themselves.
  std::vector<const Marker*> finer;
  for (const Marker* n : versioned)
    if (compatible(*anchor, *n) && n->precision > anchor->precision) finer.push_back(n);
  const Marker* chosen = anchor;
  bool finer_agree = std::all_of(finer.begin(), finer.end(), [&](const Marker* a) {
    return std::all_of(finer.begin(), finer.end(),
                       [&](const Marker* b) { return compatible(*a, *b); });
  });
  for (const Marker* n : finer)
    if (finer_agree && n->precision > chosen->precision) chosen = n;
  int against = 0;
  for (const Marker* n : versioned)
    if (!compatible(*chosen, *n) || (!finer_agree && n->precision > anchor->precision &&
                                     compatible(*anchor, *n))) {
      det.disagreeing.push_back(*n);
      against += n->weight;
    }
  det.version = chosen->version;
  det.precision = chosen->precision;
  int support = 0;
  for (const Marker* n : versioned)
    if (compatible(*chosen, *n)) support += n->weight;
  // Presence markers add a little: they make a faked version string less likely.
  int presence = 0;
  for (const auto& m : det.markers)
    if (m.version.empty() && !m.product.empty()) presence += m.weight;
  int evidence = std::min(100, support + presence / 4);
  det.confidence = support + against > 0 ? evidence * support / (support + against) : evidence;
  return det;
}

Detection detect(const std::vector<Document>& docs, std::string_view only_product) {
  std::vector<Marker> all;
  for (const auto& d : docs) {
    auto m = find_markers(d);
    all.insert(all.end(), m.begin(), m.end());
  }
  return combine_markers(all, only_product);
}

std::string next_path(const std::vector<Marker>& so_far, const std::vector<std::string>& fetched,
                      std::string_view only_product) {
  auto done = [&](std::string_view p) {
    return std::find(fetched.begin(), fetched.end(), p) != fetched.end();
  };
  std::map<std::string, int> score;
  bool exact_version = false;
  std::string feed;
  int drupal_major = 0;
  for (const auto& m : so_far) {
    if (!only_product.empty() && !m.product.empty() && m.product != only_product) continue;
    if (!m.product.empty()) score[m.product] += m.weight;
    if (m.marker == "feed_link" && feed.empty()) {
      // Only a same-site feed path: "https://example.org/feed/" -> "/feed/".
      std::string_view u(m.url);
      size_t scheme = u.find("://");
      if (scheme != std::string_view::npos) {
        size_t slash = u.find('/', scheme + 3);
        u = slash == std::string_view::npos ? std::string_view("/") : u.substr(slash);
      }
      if (!u.empty() && u.front() == '/' && u.size() < 256 && (u.size() < 2 || u[1] != '/'))
        feed = std::string(u);
    }
    if (m.precision == Precision::exact && !m.version.empty()) exact_version = true;
    if (m.product == "drupal" && !m.version.empty())
      if (auto v = Version::parse(m.version)) drupal_major = static_cast<int>(v->components()[0]);
  }
  auto pick = [&](std::initializer_list<std::string_view> paths) -> std::string {
    for (auto p : paths)
      if (!p.empty() && !done(p)) return std::string(p);
    return {};
  };
  std::string best;
  for (const auto& [p, s] : score)
    if (best.empty() || s > score[best]) best = p;
  if (!only_product.empty() && best.empty()) best = std::string(only_product);

  if (best == "wordpress") {
    // The feed is the most reliable passive signal; readme.html only when nothing else told.
    if (!done("/feed/") && (feed.empty() || !done(feed))) return feed.empty() ? "/feed/" : feed;
    if (!exact_version) return pick({"/readme.html"});
    return {};
  }
  if (best == "drupal") {
    if (exact_version) return {};
    if (drupal_major >= 8) return pick({"/core/CHANGELOG.txt"});
    if (drupal_major > 0) return pick({"/CHANGELOG.txt"});
    return pick({"/CHANGELOG.txt", "/core/CHANGELOG.txt"});
  }
  if (best == "joomla")
    return exact_version ? std::string() : pick({"/administrator/manifests/files/joomla.xml"});
  if (best == "magento") return exact_version ? std::string() : pick({"/magento_version"});
  if (best == "ckan") return exact_version ? std::string() : pick({"/api/3/action/status_show"});
  if (best == "expressionengine") return {};  // no public version source
  // Nothing recognised from the home page: the cheap product endpoints, one each.
  return pick({"/magento_version", "/api/3/action/status_show",
               "/administrator/manifests/files/joomla.xml"});
}

}  // namespace lookout::probes
