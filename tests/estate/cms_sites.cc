// The estate's CMS sites: each on its own port (offsets 80-119), exposing version markers the
// way the real products do (../shared/reference/cms-versions.md), for the patch probe:
//   cms_wordpress_current   WordPress 6.9.1: meta generator, RSS feed, ?ver= core assets,
//                           emoji settings, readme.html (major.minor), REST API Link header
//   cms_wordpress_outdated  WordPress 6.9 (a newer 6.9.1 exists)
//   cms_wordpress_insecure  WordPress 6.8.1 (6.8.3 was a security release)
//   cms_wordpress_hidden    generator and ?ver= removed by a "security" plugin; the feed still
//                           says 6.8.3
//   cms_drupal7             Drupal 7: X-Generator, meta generator, CHANGELOG.txt 7.103
//   cms_drupal10            Drupal 10: X-Generator major only, CHANGELOG.txt blocked,
//                           non-aggregated core JS /core/misc/drupal.js?v=10.3.6 (exact)
//   cms_drupal10_aggregated the same with JS aggregation on (js_<hash>.js): major only
//   cms_joomla              Joomla 5.4.0: generator without version, manifest XML
//   cms_magento             Magento 2: x-magento-init, /magento_version "Magento/2.4 (Community)"
//   cms_ckan                CKAN 2.10.8: meta generator and /api/3/action/status_show
//   cms_expressionengine    exp_ cookies and "Powered by ExpressionEngine", no version
//   cms_plain               not a CMS at all
//   cms_disagree            generator says WordPress 6.9.1, feed and core assets say 6.8.1
//   cms_broken_html         truncated, unbalanced, NUL-laden HTML around a WordPress generator
//   cms_enormous_html       an 8 MiB page (a patch probe reads the first 1 MiB)
//   cms_deep_html           200,000 nested <div>s after a WordPress generator
//   cms_feeds               the release feeds in their real formats (testdata/catalog), for
//                           `lookout catalog update --wordpress-url ...` against loopback
//   cms_wordpress_subdir    WordPress below /blog/ (generator and ?ver= stripped): only the feed
//                           /blog/feed/ says 6.8.1
//
// All coroutines run on one strand; stop() closes acceptors and sockets there. Responses are
// built once at start and shared read-only.
#include <chrono>
#include <exception>
#include <fstream>
#include <future>
#include <map>
#include <memory>
#include <sstream>
#include <string>
#include <string_view>
#include <unordered_map>
#include <vector>

#include <boost/asio/as_tuple.hpp>
#include <boost/asio/co_spawn.hpp>
#include <boost/asio/ip/tcp.hpp>
#include <boost/asio/post.hpp>
#include <boost/asio/steady_timer.hpp>
#include <boost/asio/strand.hpp>
#include <boost/asio/use_awaitable.hpp>
#include <boost/asio/write.hpp>
#include <boost/beast/core.hpp>
#include <boost/beast/http.hpp>

#include "tests/estate/estate.h"
#include "tests/estate/http_listeners.h"

namespace lookout::estate {
namespace {

namespace asio = boost::asio;
namespace beast = boost::beast;
namespace http = beast::http;
using tcp = asio::ip::tcp;
using namespace std::chrono_literals;

constexpr size_t kMaxConnections = 2048;
constexpr uint16_t kFirstOffset = 80;

struct Reply {
  int status = 200;
  std::string type = "text/html; charset=UTF-8";
  std::vector<std::pair<std::string, std::string>> headers;
  std::string body;
};

/// A site: path -> reply; headers every reply carries; everything else is a 404.
struct Site {
  std::string name;
  std::map<std::string, Reply> pages;
  std::vector<std::pair<std::string, std::string>> common_headers;
};

std::string reason(int status) {
  switch (status) {
    case 200: return "OK";
    case 403: return "Forbidden";
    case 404: return "Not Found";
    default: return "Status";
  }
}

std::string render(const Reply& r, const Site& site) {
  std::string out = "HTTP/1.1 " + std::to_string(r.status) + " " + reason(r.status) + "\r\n";
  out += "Content-Type: " + r.type + "\r\n";
  for (const auto& [k, v] : site.common_headers) out += k + ": " + v + "\r\n";
  for (const auto& [k, v] : r.headers) out += k + ": " + v + "\r\n";
  out += "Content-Length: " + std::to_string(r.body.size()) + "\r\nConnection: close\r\n\r\n";
  out += r.body;
  return out;
}

// ---------------------------------------------------------------- WordPress

struct WpOptions {
  std::string generator;  // meta generator version; empty = removed
  std::string feed;       // feed generator version
  std::string assets;     // ?ver= on core assets; empty = stripped
  std::string readme;     // readme.html "Version X.Y"; empty = deleted
};

std::string wp_home(const WpOptions& o, const std::string& title) {
  auto ver = [&](const char* path) {
    return std::string(path) + (o.assets.empty() ? "" : "?ver=" + o.assets);
  };
  std::string h = "<!DOCTYPE html>\n<html lang=\"en-US\">\n<head>\n<meta charset=\"UTF-8\" />\n"
                  "<meta name=\"viewport\" content=\"width=device-width, initial-scale=1\" />\n"
                  "<title>" + title + "</title>\n"
                  "<link rel=\"alternate\" type=\"application/rss+xml\" title=\"" + title +
                  " &raquo; Feed\" href=\"/feed/\" />\n"
                  "<link rel=\"alternate\" type=\"application/rss+xml\" title=\"" + title +
                  " &raquo; Comments Feed\" href=\"/comments/feed/\" />\n";
  if (!o.assets.empty())
    h += "<script>\nwindow._wpemojiSettings = {\"baseUrl\":\"https:\\/\\/s.w.org\\/images\\/core\\/"
         "emoji\\/15.0.3\\/72x72\\/\",\"ext\":\".png\",\"svgUrl\":\"https:\\/\\/s.w.org\\/images\\/"
         "core\\/emoji\\/15.0.3\\/svg\\/\",\"svgExt\":\".svg\",\"source\":{\"concatemoji\":\"\\/"
         "wp-includes\\/js\\/wp-emoji-release.min.js?ver=" + o.assets +
         "\"}};\n/*! This file is auto-generated */\n!function(i,n){var o,s,e;}(window,document);\n"
         "</script>\n";
  h += "<link rel='stylesheet' id='wp-block-library-css' href='" +
       ver("/wp-includes/css/dist/block-library/style.min.css") + "' media='all' />\n"
       "<link rel='stylesheet' id='contact-form-7-css' href='/wp-content/plugins/contact-form-7/"
       "includes/css/styles.css?ver=6.0.6' media='all' />\n"
       "<link rel='stylesheet' id='twentytwentyfive-style-css' href='/wp-content/themes/"
       "twentytwentyfive/style.css?ver=1.3' media='all' />\n"
       "<script src=\"/wp-includes/js/jquery/jquery.min.js?ver=3.7.1\" id=\"jquery-core-js\">"
       "</script>\n"
       "<script src=\"/wp-includes/js/jquery/jquery-migrate.min.js?ver=3.4.1\" "
       "id=\"jquery-migrate-js\"></script>\n"
       "<link rel=\"https://api.w.org/\" href=\"/wp-json/\" />"
       "<link rel=\"EditURI\" type=\"application/rsd+xml\" title=\"RSD\" href=\"/xmlrpc.php?rsd\" />\n";
  if (!o.generator.empty())
    h += "<meta name=\"generator\" content=\"WordPress " + o.generator + "\" />\n";
  h += "</head>\n<body class=\"home blog wp-embed-responsive\">\n"
       "<div class=\"wp-site-blocks\"><header class=\"wp-block-template-part\"><h1>" + title +
       "</h1></header>\n<main><article><h2>Hello world!</h2><p>Welcome to WordPress. This is "
       "your first post. Edit or delete it, then start writing!</p></article></main>\n"
       "<footer><p>Proudly powered by WordPress</p></footer></div>\n"
       "<script src=\"" + ver("/wp-includes/js/comment-reply.min.js") +
       "\" id=\"comment-reply-js\" async data-wp-strategy=\"async\"></script>\n"
       "<script src=\"/wp-includes/js/dist/hooks.min.js?ver=4d63a3d491d11ffd8ac6\" "
       "id=\"wp-hooks-js\"></script>\n"
       "<script src=\"/wp-content/plugins/contact-form-7/includes/js/index.js?ver=6.0.6\" "
       "id=\"contact-form-7-js\"></script>\n</body>\n</html>\n";
  return h;
}

std::string wp_feed(const WpOptions& o, const std::string& title) {
  return "<?xml version=\"1.0\" encoding=\"UTF-8\"?><rss version=\"2.0\"\n"
         "\txmlns:content=\"http://purl.org/rss/1.0/modules/content/\"\n"
         "\txmlns:wfw=\"http://wellformedweb.org/CommentAPI/\"\n"
         "\txmlns:dc=\"http://purl.org/dc/elements/1.1/\"\n"
         "\txmlns:atom=\"http://www.w3.org/2005/Atom\"\n"
         "\txmlns:sy=\"http://purl.org/rss/1.0/modules/syndication/\"\n"
         "\txmlns:slash=\"http://purl.org/rss/1.0/modules/slash/\"\n\t>\n\n<channel>\n"
         "\t<title>" + title + "</title>\n"
         "\t<atom:link href=\"/feed/\" rel=\"self\" type=\"application/rss+xml\" />\n"
         "\t<link>/</link>\n\t<description>Just another WordPress site</description>\n"
         "\t<lastBuildDate>Mon, 02 Nov 2026 10:00:00 +0000</lastBuildDate>\n"
         "\t<language>en-US</language>\n\t<sy:updatePeriod>\n\thourly\t</sy:updatePeriod>\n"
         "\t<sy:updateFrequency>\n\t1\t</sy:updateFrequency>\n"
         "\t<generator>https://wordpress.org/?v=" + o.feed + "</generator>\n"
         "\t<item>\n\t\t<title>Hello world!</title>\n\t\t<link>/?p=1</link>\n"
         "\t\t<dc:creator><![CDATA[admin]]></dc:creator>\n"
         "\t\t<pubDate>Mon, 02 Nov 2026 10:00:00 +0000</pubDate>\n"
         "\t\t<description><![CDATA[Welcome to WordPress.]]></description>\n\t</item>\n"
         "\t</channel>\n</rss>\n";
}

std::string wp_readme(const std::string& version) {
  return "<!DOCTYPE html>\n<html lang=\"en\">\n<head>\n\t<meta name=\"viewport\" "
         "content=\"width=device-width\" />\n\t<meta http-equiv=\"Content-Type\" "
         "content=\"text/html; charset=utf-8\" />\n\t<title>WordPress &#8250; ReadMe</title>\n"
         "\t<link rel=\"stylesheet\" href=\"wp-admin/css/install.css?ver=20100228\" "
         "type=\"text/css\" />\n</head>\n<body>\n<h1 id=\"logo\">\n\t<a "
         "href=\"https://wordpress.org/\"><img alt=\"WordPress\" "
         "src=\"wp-admin/images/wordpress-logo.png\" /></a>\n\t<br /> Version " + version +
         "\n</h1>\n<p style=\"text-align: center\">Semantic Personal Publishing Platform</p>\n"
         "<h2>First Things First</h2>\n<p>Welcome. WordPress is a very special project to "
         "me.</p>\n</body>\n</html>\n";
}

Site wordpress(const std::string& name, const WpOptions& o) {
  Site s;
  s.name = name;
  std::string title = "Client Blog (" + name + ")";
  s.common_headers = {{"Link", "</wp-json/>; rel=\"https://api.w.org/\""}};
  s.pages["/"] = Reply{200, "text/html; charset=UTF-8", {}, wp_home(o, title)};
  s.pages["/feed/"] = Reply{200, "application/rss+xml; charset=UTF-8", {}, wp_feed(o, title)};
  if (!o.readme.empty()) s.pages["/readme.html"] = Reply{200, "text/html", {}, wp_readme(o.readme)};
  // The active theme's stylesheet header, as Twenty Twenty-Five ships it.
  s.pages["/wp-content/themes/twentytwentyfive/style.css"] = Reply{
      200, "text/css", {},
      "/*\nTheme Name: Twenty Twenty-Five\nTheme URI: https://wordpress.org/themes/"
      "twentytwentyfive/\nAuthor: the WordPress team\nAuthor URI: https://wordpress.org\n"
      "Description: Twenty Twenty-Five emphasizes simplicity and adaptability.\n"
      "Requires at least: 6.7\nTested up to: 6.8\nRequires PHP: 7.2\nVersion: 1.3\n"
      "License: GNU General Public License v2 or later\nText Domain: twentytwentyfive\n*/\n"};
  return s;
}

/// WordPress installed below /blog/ with generator and ?ver= stripped: only the feed, linked as
/// /blog/feed/, tells the version (6.8.1).
Site wordpress_subdir() {
  WpOptions o{"", "6.8.1", "", ""};
  std::string title = "Shop Blog (cms_wordpress_subdir)";
  std::string home = wp_home(o, title);
  for (const char* attr : {"href=\"/", "href='/", "src=\"/"})
    for (size_t at = home.find(attr); at != std::string::npos; at = home.find(attr, at + 1))
      home.insert(at + std::string_view(attr).size(), "blog/");
  Site s;
  s.name = "cms_wordpress_subdir";
  s.common_headers = {{"Link", "</blog/wp-json/>; rel=\"https://api.w.org/\""}};
  s.pages["/blog/"] = Reply{200, "text/html; charset=UTF-8", {}, home};
  s.pages["/blog/feed/"] = Reply{200, "application/rss+xml; charset=UTF-8", {}, wp_feed(o, title)};
  return s;
}

// ---------------------------------------------------------------- other products

std::string simple_page(const std::string& title, const std::string& head_extra,
                        const std::string& body) {
  return "<!DOCTYPE html>\n<html>\n<head>\n<meta charset=\"utf-8\" />\n" + head_extra +
         "<title>" + title + "</title>\n</head>\n<body>\n" + body + "\n</body>\n</html>\n";
}

Site drupal7() {
  Site s;
  s.name = "cms_drupal7";
  s.common_headers = {{"X-Generator", "Drupal 7 (http://drupal.org)"},
                      {"X-Drupal-Cache", "MISS"},
                      {"Expires", "Sun, 19 Nov 1978 05:00:00 GMT"}};
  s.pages["/"] = Reply{
      200, "text/html; charset=utf-8", {},
      simple_page("Welcome to Council Site | Council Site",
                  "<meta name=\"Generator\" content=\"Drupal 7 (http://drupal.org)\" />\n"
                  "<link type=\"text/css\" rel=\"stylesheet\" href=\"/sites/default/files/css/"
                  "css_xE-rWrJf-fncB6ztZfd2huxqgxu4WO-qwma6Xer30m4.css\" media=\"all\" />\n"
                  "<script type=\"text/javascript\" src=\"/misc/drupal.js?q1w2e3\"></script>\n",
                  "<div id=\"page\"><h1>Welcome to Council Site</h1><p>No front page content has "
                  "been created yet.</p></div>")};
  s.pages["/CHANGELOG.txt"] =
      Reply{200, "text/plain", {},
            "\nDrupal 7.103, 2024-12-04\n------------------------\n- Fixed security issues:\n"
            "   * SA-CORE-2024-00x\n\nDrupal 7.102, 2024-12-04\n-----------------------\n"
            "- Fixed PHP 8.4 compatibility issues.\n"};
  return s;
}

Site drupal10() {
  Site s;
  s.name = "cms_drupal10";
  s.common_headers = {{"X-Generator", "Drupal 10 (https://www.drupal.org)"},
                      {"X-Drupal-Dynamic-Cache", "MISS"},
                      {"X-Drupal-Cache", "HIT"}};
  s.pages["/"] = Reply{
      200, "text/html; charset=UTF-8", {},
      simple_page("Home | University Department",
                  "<script type=\"application/json\" data-drupal-selector=\"drupal-settings-json\">"
                  "{\"path\":{\"baseUrl\":\"\\/\",\"currentPath\":\"node\"}}</script>\n"
                  "<script src=\"/core/misc/drupal.js?v=10.3.6\"></script>\n",
                  "<div class=\"dialog-off-canvas-main-canvas\"><h1>Home</h1></div>")};
  s.pages["/core/CHANGELOG.txt"] = Reply{403, "text/html; charset=iso-8859-1", {},
                                         "<html><body><h1>Forbidden</h1></body></html>\n"};
  s.pages["/CHANGELOG.txt"] = s.pages["/core/CHANGELOG.txt"];
  return s;
}

// JS aggregation on (the default on production sites): core JS is served from
// /sites/default/files/js/js_<hash>.js and no ?v= is left: major version only.
Site drupal10_aggregated() {
  Site s = drupal10();
  s.name = "cms_drupal10_aggregated";
  s.pages["/"].body = simple_page(
      "Home | University Department",
      "<script type=\"application/json\" data-drupal-selector=\"drupal-settings-json\">"
      "{\"path\":{\"baseUrl\":\"\\/\",\"currentPath\":\"node\"}}</script>\n"
      "<script src=\"/sites/default/files/js/js_mJ3kR0Ad4r4BnQyV8hXGvP9zLkU.js?scope=footer"
      "&amp;delta=0&amp;language=en&amp;theme=olivero&amp;include=eJxLzs\"></script>\n",
      "<div class=\"dialog-off-canvas-main-canvas\"><h1>Home</h1></div>");
  return s;
}

Site joomla() {
  Site s;
  s.name = "cms_joomla";
  s.pages["/"] = Reply{
      200, "text/html; charset=utf-8", {},
      simple_page("Home - Tennis Club",
                  "<meta name=\"generator\" content=\"Joomla! - Open Source Content Management\" />\n"
                  "<script type=\"application/json\" class=\"joomla-script-options new\">"
                  "{\"system.paths\":{\"root\":\"\",\"base\":\"\"}}</script>\n"
                  "<script src=\"/media/system/js/core.min.js?a3d8f8\"></script>\n",
                  "<main><h1>Tennis Club</h1></main>")};
  s.pages["/administrator/manifests/files/joomla.xml"] = Reply{
      200, "application/xml", {},
      "<?xml version=\"1.0\" encoding=\"UTF-8\"?>\n<extension type=\"file\" method=\"upgrade\">\n"
      "\t<name>files_joomla</name>\n\t<author>Joomla! Project</author>\n"
      "\t<authorEmail>admin@joomla.org</authorEmail>\n\t<authorUrl>www.joomla.org</authorUrl>\n"
      "\t<copyright>(C) 2019 Open Source Matters, Inc.</copyright>\n"
      "\t<license>GNU General Public License version 2 or later; see LICENSE.txt</license>\n"
      "\t<version>5.4.0</version>\n\t<creationDate>2025-09</creationDate>\n"
      "\t<description>FILES_JOOMLA_XML_DESCRIPTION</description>\n"
      "\t<scriptfile>administrator/components/com_admin/script.php</scriptfile>\n"
      "\t<updateservers>\n\t\t<server name=\"Joomla! Core\" type=\"collection\">"
      "https://update.joomla.org/core/list.xml</server>\n\t</updateservers>\n</extension>\n"};
  return s;
}

Site magento() {
  Site s;
  s.name = "cms_magento";
  s.common_headers = {{"X-Magento-Tags", "store,cms_b"}};
  s.pages["/"] = Reply{
      200, "text/html; charset=UTF-8", {},
      simple_page("Home page",
                  "<script type=\"text/javascript\" src=\"/static/version1730000000/frontend/"
                  "Magento/luma/en_US/requirejs/require.js\"></script>\n",
                  "<script type=\"text/x-magento-init\">{\"*\":{\"Magento_Ui/js/core/app\":{}}}"
                  "</script><div class=\"page-wrapper\"><h1>Shop</h1></div>")};
  s.pages["/magento_version"] = Reply{200, "text/html; charset=UTF-8", {}, "Magento/2.4 (Community)"};
  return s;
}

Site ckan() {
  Site s;
  s.name = "cms_ckan";
  s.pages["/"] = Reply{
      200, "text/html; charset=utf-8", {},
      simple_page("Welcome - Open Data Portal",
                  "<meta name=\"generator\" content=\"ckan 2.10.8\" />\n"
                  "<link rel=\"stylesheet\" href=\"/webassets/base/main.css\" />\n",
                  "<div class=\"homepage\"><h1>Open Data Portal</h1></div>")};
  s.pages["/api/3/action/status_show"] = Reply{
      200, "application/json;charset=utf-8", {},
      "{\"help\": \"http://127.0.0.1/api/3/action/help_show?name=status_show\", \"success\": "
      "true, \"result\": {\"site_title\": \"Open Data Portal\", \"site_description\": \"\", "
      "\"site_url\": \"http://127.0.0.1\", \"ckan_version\": \"2.10.8\", \"error_emails_to\": "
      "null, \"locale_default\": \"en\", \"extensions\": [\"activity\", \"datastore\", "
      "\"datapusher\", \"image_view\", \"text_view\", \"datatables_view\"]}}"};
  return s;
}

Site expressionengine() {
  Site s;
  s.name = "cms_expressionengine";
  s.common_headers = {{"Set-Cookie", "exp_last_visit=1762000000; expires=Tue, 02-Nov-2027 "
                                     "10:00:00 GMT; Max-Age=31536000; path=/"},
                      {"Set-Cookie", "exp_csrf_token=3f2a1b; path=/; HttpOnly"}};
  s.pages["/"] = Reply{200, "text/html; charset=UTF-8", {},
                       simple_page("Architects Ltd", "",
                                   "<h1>Architects Ltd</h1><footer><p>Powered by <a "
                                   "href=\"https://expressionengine.com/\">ExpressionEngine</a>"
                                   "</p></footer>")};
  return s;
}

Site plain() {
  Site s;
  s.name = "cms_plain";
  s.common_headers = {{"Server", "nginx"}};
  s.pages["/"] = Reply{200, "text/html", {},
                       simple_page("Hand-written site",
                                   "<link rel=\"stylesheet\" href=\"/style.css?ver=2.1\" />\n",
                                   "<h1>Our company</h1><p>Static pages, no CMS.</p>")};
  return s;
}

Site broken_html() {
  Site s;
  s.name = "cms_broken_html";
  std::string body =
      "<html><head><meta name=generator content='WordPress 6.9.1'><title>broken<</head>"
      "<body><div><p><b><i>unclosed<table><tr><td><form><select><option>x"
      "<script>var a = '</scr' + 'ipt>';</script><!-- unterminated comment <a href=\"/wp-content/";
  body += std::string("\0\xff\xfe<\x01>", 6);
  body += "</i></b></p></div></table><svg><math><foreignObject><p></svg><<<>>>&#xFFFFFFFF;&bogus";
  s.pages["/"] = Reply{200, "text/html", {}, body};
  return s;
}

Site enormous_html() {
  Site s;
  s.name = "cms_enormous_html";
  std::string body = "<!DOCTYPE html><html><head><title>Enormous</title></head><body>\n";
  std::string row = "<p class=\"row\">Lorem ipsum dolor sit amet, <a href=\"/x\">link</a></p>\n";
  while (body.size() < (8u << 20)) body += row;
  body += "<meta name=\"generator\" content=\"WordPress 6.9.1\"></body></html>\n";
  s.pages["/"] = Reply{200, "text/html", {}, std::move(body)};
  return s;
}

Site deep_html() {
  Site s;
  s.name = "cms_deep_html";
  std::string body =
      "<!DOCTYPE html><html><head><meta name=\"generator\" content=\"WordPress 6.9.1\" />"
      "<title>Deep</title></head><body>";
  constexpr int kDepth = 200'000;
  body.reserve(body.size() + kDepth * 11 + 64);
  for (int i = 0; i < kDepth; ++i) body += "<div>";
  body += "bottom";
  for (int i = 0; i < kDepth; ++i) body += "</div>";
  body += "</body></html>";
  s.pages["/"] = Reply{200, "text/html", {}, std::move(body)};
  return s;
}

std::string read_testdata(const std::string& name) {
  std::ifstream in(std::string(LOOKOUT_SOURCE_DIR) + "/tests/testdata/catalog/" + name);
  std::stringstream ss;
  ss << in.rdbuf();
  return ss.str();
}

Site feeds() {
  Site s;
  s.name = "cms_feeds";
  s.pages["/core/version-check/1.7/"] =
      Reply{200, "application/json", {{"X-Update-Channel", "stable"}},
            read_testdata("wordpress-version-check.json")};
  s.pages["/core/stable-check/1.0/"] =
      Reply{200, "application/json", {}, read_testdata("wordpress-stable-check.json")};
  s.pages["/release-history/drupal/current"] =
      Reply{200, "application/xml; charset=utf-8", {}, read_testdata("drupal-release-history.xml")};
  s.pages["/api/drupal.json"] =
      Reply{200, "application/json", {}, read_testdata("endoflife-drupal.json")};
  s.pages["/api/v1/products/joomla"] =
      Reply{200, "application/json", {}, read_testdata("endoflife-joomla-v1.json")};
  return s;
}

std::vector<Site> all_sites() {
  std::vector<Site> sites;
  sites.push_back(wordpress("cms_wordpress_current", {"6.9.1", "6.9.1", "6.9.1", "6.9"}));
  sites.push_back(wordpress("cms_wordpress_outdated", {"6.9", "6.9", "6.9", "6.9"}));
  sites.push_back(wordpress("cms_wordpress_insecure", {"6.8.1", "6.8.1", "6.8.1", ""}));
  sites.push_back(wordpress("cms_wordpress_hidden", {"", "6.8.3", "", ""}));
  sites.push_back(drupal7());
  sites.push_back(drupal10());
  sites.push_back(joomla());
  sites.push_back(magento());
  sites.push_back(ckan());
  sites.push_back(expressionengine());
  sites.push_back(plain());
  Site disagree = wordpress("cms_disagree", {"6.8.1", "6.8.1", "6.8.1", ""});
  // A theme that writes its own generator tag with the current version.
  WpOptions spoof{"6.9.1", "6.8.1", "6.8.1", ""};
  disagree.pages["/"].body = wp_home(spoof, "Spoofed generator");
  sites.push_back(std::move(disagree));
  sites.push_back(broken_html());
  sites.push_back(enormous_html());
  sites.push_back(deep_html());
  sites.push_back(feeds());
  sites.push_back(wordpress_subdir());
  sites.push_back(drupal10_aggregated());  // last: the offsets of the others stay as they were
  return sites;
}

}  // namespace

void start_cms_sites(Estate& estate) {
  auto listeners = HttpListeners::create(estate, kMaxConnections);
  uint16_t offset = kFirstOffset;
  for (auto& site : all_sites()) {
    // Every response is rendered once up front; a request only picks one.
    auto pages = std::make_shared<std::map<std::string, std::string, std::less<>>>();
    for (const auto& [path, reply] : site.pages) (*pages)[path] = render(reply, site);
    auto not_found = std::make_shared<std::string>(
        render(Reply{404, "text/html; charset=UTF-8", {},
                     simple_page("Page not found", "", "<h1>Not Found</h1>")},
               site));
    std::weak_ptr<HttpListeners> weak = listeners;
    std::string url = listeners->listen(
        offset++, [weak, pages, not_found](beast::tcp_stream& stream,
                                           std::string_view path) -> asio::awaitable<void> {
          auto it = pages->find(path);
          if (auto l = weak.lock()) co_await l->write(stream, it == pages->end() ? *not_found : it->second);
        });
    estate.add_endpoint(site.name, url);
  }
}

}  // namespace lookout::estate
