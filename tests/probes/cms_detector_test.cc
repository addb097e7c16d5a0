// The CMS detector over documents shaped like the real products' pages, feeds and endpoints
// (../shared/reference/cms-versions.md), plus hostile input.
#include "probes/cms_detector.h"


#include <gmock/gmock.h>
#include <gtest/gtest.h>

namespace lookout::probes {
namespace {

using ::testing::HasSubstr;

Document doc(std::string path, std::string body, unsigned status = 200,
             std::vector<std::pair<std::string, std::string>> headers = {}) {
  Document d;
  d.url = "https://client.example" + path;
  d.path = std::move(path);
  d.status = status;
  d.body = std::move(body);
  d.headers = std::move(headers);
  return d;
}

const Marker* find(const std::vector<Marker>& ms, std::string_view marker) {
  for (const auto& m : ms)
    if (m.marker == marker) return &m;
  return nullptr;
}

std::string html(const std::string& head, const std::string& body = "") {
  return "<!DOCTYPE html><html><head>" + head + "</head><body>" + body + "</body></html>";
}

TEST(CmsDetectorTest, WordPressMetaGenerator) {
  auto ms = find_markers(doc("/", html("<meta name=\"generator\" content=\"WordPress 6.7\" />")));
  const Marker* m = find(ms, "meta_generator");
  ASSERT_NE(m, nullptr);
  EXPECT_EQ(m->product, "wordpress");
  EXPECT_EQ(m->version, "6.7");
  EXPECT_EQ(m->precision, Precision::exact);  // WordPress writes 6.7.0 as 6.7

  ms = find_markers(doc("/", html("<META NAME='Generator' CONTENT='WordPress.com'>")));
  ASSERT_NE(find(ms, "meta_generator"), nullptr);
  EXPECT_EQ(find(ms, "meta_generator")->version, "");

  ms = find_markers(doc("/", html("<meta name=\"generator\" content=\"WordPress 999999999999.1\">")));
  ASSERT_NE(find(ms, "meta_generator"), nullptr);
  EXPECT_EQ(find(ms, "meta_generator")->version, "");  // nonsense is not a version
}

// /skin/frontend/ exists only in Magento 1 (Magento 2 serves /static/): that is the version
// line, and it has been past end of life since 2020.
TEST(CmsDetectorTest, MagentoOneSkinPathsGiveMajorOne) {
  auto d = detect({doc("/", html(
      "<link rel=\"stylesheet\" type=\"text/css\" href=\"https://client.example/skin/frontend/"
      "rwd/default/css/styles.css\" media=\"all\" />"
      "<script type=\"text/javascript\" src=\"https://client.example/js/mage/cookies.js\"></script>"))});
  EXPECT_EQ(d.product, "magento");
  EXPECT_EQ(d.version, "1");
  EXPECT_EQ(d.precision, Precision::major);
  auto m2 = detect({doc("/", html(
      "<script type=\"text/x-magento-init\">{}</script>"
      "<link href=\"https://client.example/static/version1700000000/frontend/Magento/luma/en_US/css/styles-m.css\" rel=\"stylesheet\">"))});
  EXPECT_EQ(m2.product, "magento");
  EXPECT_EQ(m2.version, "");
}

TEST(CmsDetectorTest, WordPressFeedsRssAtomRdf) {
  auto rss = find_markers(doc("/feed/",
      "<?xml version=\"1.0\" encoding=\"UTF-8\"?><rss version=\"2.0\"><channel><title>x</title>"
      "<generator>https://wordpress.org/?v=6.7.1</generator></channel></rss>"));
  ASSERT_NE(find(rss, "rss_generator"), nullptr);
  EXPECT_EQ(find(rss, "rss_generator")->version, "6.7.1");

  auto atom = find_markers(doc("/feed/atom/",
      "<?xml version=\"1.0\"?><feed xmlns=\"http://www.w3.org/2005/Atom\"><title>x</title>"
      "<generator uri=\"https://wordpress.org/\" version=\"6.7.1\">WordPress</generator></feed>"));
  ASSERT_NE(find(atom, "atom_generator"), nullptr);
  EXPECT_EQ(find(atom, "atom_generator")->version, "6.7.1");

  auto rdf = find_markers(doc("/feed/rdf/",
      "<?xml version=\"1.0\"?><rdf:RDF xmlns:rdf=\"http://www.w3.org/1999/02/22-rdf-syntax-ns#\" "
      "xmlns:admin=\"http://webns.net/mvcb/\" xmlns=\"http://purl.org/rss/1.0/\"><channel>"
      "<admin:generatorAgent rdf:resource=\"https://wordpress.org/?v=6.7.1\" /></channel></rdf:RDF>"));
  ASSERT_NE(find(rdf, "rdf_generator"), nullptr);
  EXPECT_EQ(find(rdf, "rdf_generator")->version, "6.7.1");

  // Another product's feed generator is not WordPress.
  auto other = find_markers(doc("/rss.xml",
      "<?xml version=\"1.0\"?><rss version=\"2.0\"><channel><generator>Hugo</generator></channel></rss>"));
  EXPECT_TRUE(other.empty());
}

TEST(CmsDetectorTest, ReadmeGivesMajorMinorOnlyAndOnlyOnReadme) {
  std::string page = html("<title>WordPress &#8250; ReadMe</title>",
                          "<h1 id=\"logo\"><a href=\"https://wordpress.org/\"><img alt=\"WordPress\" "
                          "src=\"wp-admin/images/wordpress-logo.png\" /></a><br /> Version 6.7.1</h1>");
  auto ms = find_markers(doc("/readme.html", page));
  ASSERT_NE(find(ms, "readme"), nullptr);
  EXPECT_EQ(find(ms, "readme")->version, "6.7");
  EXPECT_EQ(find(ms, "readme")->precision, Precision::minor);
  EXPECT_EQ(find(find_markers(doc("/about/", page)), "readme"), nullptr);
}

TEST(CmsDetectorTest, CoreAssetVersionsIgnoreBundledLibrariesPluginsAndHashes) {
  std::string head =
      "<link rel='stylesheet' href='/wp-includes/css/dist/block-library/style.min.css?ver=6.6.2' />"
      "<script src='/wp-includes/js/jquery/jquery.min.js?ver=3.7.1'></script>"
      "<script src='/wp-includes/js/jquery/jquery-migrate.min.js?ver=3.4.1'></script>"
      "<script src='/wp-includes/js/dist/vendor/react.min.js?ver=18.3.1'></script>"
      "<script src='/wp-includes/js/imagesloaded.min.js?ver=5.0.0'></script>"
      "<script src='/wp-includes/js/dist/hooks.min.js?ver=2810c76e705dd1a53b18'></script>"
      "<script src='/wp-content/plugins/woocommerce/assets/js/x.js?ver=9.4.2'></script>"
      "<script src='/wp-content/plugins/woocommerce/assets/js/y.js?ver=9.4.2'></script>"
      "<script src='https://client.example/wp-includes/js/comment-reply.min.js?ver=6.6.2'></script>";
  auto ms = find_markers(doc("/", html(head)));
  const Marker* m = find(ms, "asset_ver");
  ASSERT_NE(m, nullptr);
  EXPECT_EQ(m->version, "6.6.2");
  EXPECT_EQ(m->url, "https://client.example/wp-includes/css/dist/block-library/style.min.css?ver=6.6.2");
  EXPECT_NE(find(ms, "wp_paths"), nullptr);
}

TEST(CmsDetectorTest, EmojiSettingsScriptCarriesTheVersion) {
  std::string head =
      "<script>window._wpemojiSettings = {\"baseUrl\":\"https:\\/\\/s.w.org\\/images\\/core\\/emoji"
      "\\/15.0.3\\/72x72\\/\",\"ext\":\".png\",\"source\":{\"concatemoji\":\"https:\\/\\/client."
      "example\\/wp-includes\\/js\\/wp-emoji-release.min.js?ver=6.5.5\"}};\n!function(){}();</script>";
  auto ms = find_markers(doc("/", html(head)));
  ASSERT_NE(find(ms, "asset_ver"), nullptr);
  EXPECT_EQ(find(ms, "asset_ver")->version, "6.5.5");
}

// Drupal 8+ non-aggregated core JS carries ?v=<core version>; vendor libraries and contrib
// carry their own versions and are ignored.
TEST(CmsDetectorTest, DrupalCoreJsGivesTheExactVersion) {
  std::string head =
      "<script src=\"/core/assets/vendor/jquery/jquery.min.js?v=3.7.1\"></script>\n"
      "<script src=\"/core/assets/vendor/once/once.min.js?v=1.0.1\"></script>\n"
      "<script src=\"/core/misc/drupalSettingsLoader.js?v=10.5.1\"></script>\n"
      "<script src=\"/core/misc/drupal.js?v=10.5.1\"></script>\n"
      "<script src=\"/core/modules/big_pipe/js/big_pipe.js?v=10.5.1\"></script>\n"
      "<script src=\"/modules/contrib/admin_toolbar/js/admin_toolbar.js?v=3.5.3\"></script>\n"
      "<script src=\"/themes/contrib/gin/dist/js/init.js?v=10.5.1.9\"></script>\n";
  auto ms = find_markers(doc("/", html(head), 200,
                             {{"X-Generator", "Drupal 10 (https://www.drupal.org)"}}));
  const Marker* js = find(ms, "core_js_ver");
  ASSERT_NE(js, nullptr);
  EXPECT_EQ(js->product, "drupal");
  EXPECT_EQ(js->version, "10.5.1");
  EXPECT_EQ(js->precision, Precision::exact);
  EXPECT_EQ(js->url, "https://client.example/core/misc/drupalSettingsLoader.js?v=10.5.1");
  Detection d = combine_markers(ms);
  EXPECT_EQ(d.product, "drupal");
  EXPECT_EQ(d.version, "10.5.1");
  EXPECT_EQ(d.precision, Precision::exact);
  EXPECT_TRUE(d.disagreeing.empty());

  // Only the vendor library's own version, or an aggregated page: no core version.
  auto vendor = find_markers(doc("/", html(
      "<script src=\"/core/assets/vendor/jquery/jquery.min.js?v=3.7.1\"></script>"
      "<script src=\"/sites/default/files/js/js_Xx9.js?scope=footer&delta=0\"></script>")));
  EXPECT_EQ(find(vendor, "core_js_ver"), nullptr);
  // Not a Drupal 8+ version, or not exact: ignored.
  auto odd = find_markers(doc("/", html("<script src=\"/core/misc/drupal.js?v=7.1.0\"></script>"
                                        "<script src=\"/core/misc/once.js?v=10.5\"></script>")));
  EXPECT_EQ(find(odd, "core_js_ver"), nullptr);

  // A header saying 11 contradicts core JS saying 10.5.1: reported, not hidden.
  auto clash = find_markers(doc("/", html("<script src=\"/core/misc/drupal.js?v=10.5.1\"></script>"),
                                200, {{"X-Generator", "Drupal 11 (https://www.drupal.org)"}}));
  Detection c = combine_markers(clash);
  EXPECT_EQ(c.product, "drupal");
  ASSERT_EQ(c.disagreeing.size(), 1u);
  EXPECT_EQ(c.version, "11");
  EXPECT_EQ(c.disagreeing[0].marker, "core_js_ver");
  EXPECT_LT(c.confidence, 70);
}

// WordPress plugins and themes from asset paths, a theme's style.css and a plugin's readme.txt,
// each saying which marker gave the version and what it means.
TEST(CmsDetectorTest, WordPressComponentsAndTheirMarkers) {
  std::string head =
      "<link rel='stylesheet' id='contact-form-7-css' href='https://client.example/wp-content/"
      "plugins/contact-form-7/includes/css/styles.css?ver=5.3.1' media='all' />\n"
      "<link rel='stylesheet' href='/wp-content/themes/astra/assets/css/minified/main.min.css"
      "?ver=4.6.4' />\n"
      "<script src='/wp-content/plugins/woocommerce/assets/js/frontend/cart.min.js?ver=8.2.1'>"
      "</script>\n<script src='/wp-content/plugins/elementor/assets/js/frontend.min.js'></script>\n"
      "<script src='/wp-includes/js/jquery/jquery.min.js?ver=3.7.1'></script>\n";
  std::vector<Component> cs;
  auto markers = find_markers(doc("/", html(head)), &cs);
  EXPECT_NE(find(markers, "wp_paths"), nullptr);  // core detection is unchanged
  ASSERT_EQ(cs.size(), 4u);
  EXPECT_EQ(cs[0].kind, "plugin");
  EXPECT_EQ(cs[0].slug, "contact-form-7");
  EXPECT_EQ(cs[0].version, "5.3.1");
  EXPECT_EQ(cs[0].marker, "asset_ver");
  EXPECT_EQ(cs[0].certainty, "probable");
  EXPECT_EQ(cs[1].kind, "theme");
  EXPECT_EQ(cs[1].slug, "astra");
  EXPECT_EQ(cs[1].url, "https://client.example/wp-content/themes/astra/assets/css/minified/main.min.css?ver=4.6.4");
  EXPECT_EQ(cs[3].slug, "elementor");
  EXPECT_EQ(cs[3].version, "");
  EXPECT_EQ(cs[3].marker, "asset_path");
  EXPECT_EQ(find_components(doc("/", html(head))).size(), 4u);

  // style.css: the Version header is the installed theme's version.
  auto style = find_components(doc("/wp-content/themes/astra/style.css",
                                   "/**\nTheme Name: Astra\nAuthor: Brainstorm Force\n"
                                   "Version: 4.6.4\nRequires at least: 5.3\n*/\nbody{}"));
  ASSERT_EQ(style.size(), 1u);
  EXPECT_EQ(style[0].version, "4.6.4");
  EXPECT_EQ(style[0].marker, "style_css");
  EXPECT_EQ(style[0].certainty, "installed");
  // readme.txt: Stable tag is the author's latest, not necessarily the installed one.
  auto readme = find_components(doc("/wp-content/plugins/contact-form-7/readme.txt",
                                    "=== Contact Form 7 ===\nContributors: takayukister\n"
                                    "Tags: contact form\nRequires at least: 6.3\n"
                                    "Stable tag: 5.9.3\nLicense: GPLv2 or later\n"));
  ASSERT_EQ(readme.size(), 1u);
  EXPECT_EQ(readme[0].version, "5.9.3");
  EXPECT_EQ(readme[0].certainty, "author_latest");
  // A 404 page at those paths says nothing.
  EXPECT_TRUE(find_components(doc("/wp-content/themes/astra/style.css", "Not Found", 404)).empty());
}

// Hostile slugs and versions: traversal, encoded bytes, 10 KB, non-UTF-8 -> not components;
// a page of 50,000 plugin assets -> bounded.
TEST(CmsDetectorTest, HostileComponentsAreBounded) {
  std::string kind, slug;
  EXPECT_FALSE(wp_component_of_path("/wp-content/plugins/../../wp-config.php/x.js", kind, slug));
  EXPECT_FALSE(wp_component_of_path("/wp-content/plugins/%2e%2e/x.js", kind, slug));
  EXPECT_FALSE(wp_component_of_path("/wp-content/plugins/" + std::string(10240, 'a') + "/x.js", kind, slug));
  EXPECT_FALSE(wp_component_of_path("/wp-content/plugins/caf\xc3\xa9\xff/x.js", kind, slug));
  EXPECT_FALSE(wp_component_of_path("/wp-content/plugins/UPPER/x.js", kind, slug));
  EXPECT_FALSE(wp_component_of_path("/wp-content/plugins/no-slash", kind, slug));
  EXPECT_TRUE(wp_component_of_path("/blog/wp-content/plugins/akismet/_inc/a.js?ver=5.3", kind, slug));
  EXPECT_EQ(slug, "akismet");

  std::string page;
  page += "<script src='/wp-content/plugins/ok/a.js?ver=" + std::string(10240, '9') + "'></script>";
  page += "<script src='/wp-content/plugins/ok2/a.js?ver=1.0\xff\xfe'></script>";
  for (int i = 0; i < 50000; ++i)
    page += "<script src='/wp-content/plugins/p" + std::to_string(i) + "/a.js?ver=1.0'></script>";
  auto cs = find_components(doc("/", html(page)));
  ASSERT_EQ(cs.size(), kMaxComponents);
  EXPECT_EQ(cs[0].slug, "ok2");  // a 10 KB asset URL is not looked at at all
  EXPECT_EQ(cs[0].version, "");  // bytes that are not a version are none
  auto huge = find_components(doc("/wp-content/themes/t/style.css",
                                  "Version: " + std::string(10240, '1') + "\n"));
  ASSERT_EQ(huge.size(), 1u);
  EXPECT_EQ(huge[0].version, "");
}

TEST(CmsDetectorTest, DrupalHeaderMetaAndChangelogs) {
  auto ms = find_markers(doc("/", html("<meta name=\"Generator\" content=\"Drupal 10 (https://www.drupal.org)\" />"),
                             200, {{"X-Generator", "Drupal 10 (https://www.drupal.org)"},
                                   {"X-Drupal-Cache", "HIT"}}));
  ASSERT_NE(find(ms, "x_generator"), nullptr);
  EXPECT_EQ(find(ms, "x_generator")->version, "10");
  EXPECT_EQ(find(ms, "x_generator")->precision, Precision::major);
  EXPECT_EQ(find(ms, "meta_generator")->version, "10");
  EXPECT_NE(find(ms, "drupal_cache_header"), nullptr);

  auto d7 = find_markers(doc("/CHANGELOG.txt", "\nDrupal 7.103, 2024-12-04\n-----------\n- Fixed\n"));
  ASSERT_NE(find(d7, "changelog"), nullptr);
  EXPECT_EQ(find(d7, "changelog")->version, "7.103");
  EXPECT_EQ(find(d7, "changelog")->precision, Precision::exact);

  auto core = find_markers(doc("/core/CHANGELOG.txt", "Drupal 8.9.0, 2020-06-03\n----\n"));
  ASSERT_NE(find(core, "core_changelog"), nullptr);
  EXPECT_EQ(find(core, "core_changelog")->version, "8.9");
  EXPECT_EQ(find(core, "core_changelog")->precision, Precision::minor);

  // A soft 404 (HTML) where the changelog should be says nothing.
  EXPECT_TRUE(find_markers(doc("/CHANGELOG.txt", html("<title>Not found</title>"))).empty());
  EXPECT_TRUE(find_markers(doc("/CHANGELOG.txt", "Drupal 7.103", 404)).empty());
}

TEST(CmsDetectorTest, JoomlaManifestAndGenerator) {
  auto ms = find_markers(doc("/administrator/manifests/files/joomla.xml",
      "<?xml version=\"1.0\" encoding=\"UTF-8\"?>\n<extension type=\"file\" method=\"upgrade\">"
      "<name>files_joomla</name><version>4.0.6</version><creationDate>2022-01</creationDate>"
      "</extension>"));
  ASSERT_NE(find(ms, "joomla_manifest"), nullptr);
  EXPECT_EQ(find(ms, "joomla_manifest")->version, "4.0.6");
  EXPECT_EQ(find(ms, "joomla_manifest")->precision, Precision::exact);

  auto gen = find_markers(doc("/", html("<meta name=\"generator\" content=\"Joomla! - Open Source "
                                        "Content Management - Version 5.2.3\" />")));
  EXPECT_EQ(find(gen, "meta_generator")->version, "5.2.3");
  auto plain = find_markers(doc("/", html("<meta name=\"generator\" content=\"Joomla! - Open "
                                          "Source Content Management\" />")));
  EXPECT_EQ(find(plain, "meta_generator")->product, "joomla");
  EXPECT_EQ(find(plain, "meta_generator")->version, "");
}

TEST(CmsDetectorTest, MagentoAndCkanEndpoints) {
  auto mg = find_markers(doc("/magento_version", "Magento/2.4 (Community)"));
  ASSERT_NE(find(mg, "magento_version"), nullptr);
  EXPECT_EQ(find(mg, "magento_version")->version, "2.4");
  EXPECT_EQ(find(mg, "magento_version")->precision, Precision::minor);
  EXPECT_TRUE(find_markers(doc("/magento_version", "")).empty());
  EXPECT_TRUE(find_markers(doc("/magento_version", "Magento/2.4 (Community)", 404)).empty());

  auto ck = find_markers(doc("/api/3/action/status_show",
      R"({"help": "h", "success": true, "result": {"ckan_version": "2.10.4", "site_title": "x"}})"));
  ASSERT_NE(find(ck, "ckan_status_show"), nullptr);
  EXPECT_EQ(find(ck, "ckan_status_show")->version, "2.10.4");
  EXPECT_TRUE(find_markers(doc("/api/3/action/status_show",
                               R"({"success": false, "error": {"message": "Not found"}})"))
                  .empty());
}

TEST(CmsDetectorTest, ExpressionEngineCookiesAndFooter) {
  auto ms = find_markers(doc("/", html("", "<footer>Powered by <a href=\"https://expressionengine.com/\">"
                                           "ExpressionEngine</a></footer>"),
                             200, {{"Set-Cookie", "exp_last_visit=1; path=/"},
                                   {"Set-Cookie", "exp_csrf_token=a; path=/"}}));
  ASSERT_NE(find(ms, "exp_cookie"), nullptr);
  Detection d = combine_markers(ms);
  EXPECT_EQ(d.product, "expressionengine");
  EXPECT_EQ(d.version, "");
}

TEST(CmsDetectorTest, CombineReportsAgreementAndDisagreement) {
  std::vector<Document> docs = {
      doc("/", html("<meta name=\"generator\" content=\"WordPress 6.9.1\" />"
                    "<script src='/wp-includes/js/comment-reply.min.js?ver=6.8.1'></script>"
                    "<link rel='stylesheet' href='/wp-includes/css/x.css?ver=6.8.1' />")),
      doc("/feed/", "<rss version=\"2.0\"><channel><generator>https://wordpress.org/?v=6.8.1"
                    "</generator></channel></rss>")};
  Detection d = detect(docs);
  EXPECT_EQ(d.product, "wordpress");
  EXPECT_EQ(d.version, "6.8.1");
  ASSERT_EQ(d.disagreeing.size(), 1u);
  EXPECT_EQ(d.disagreeing[0].marker, "meta_generator");
  EXPECT_EQ(d.disagreeing[0].version, "6.9.1");
  EXPECT_LT(d.confidence, 100);
  EXPECT_GT(d.confidence, 0);

  // All agreeing: full confidence, nothing disagreeing.
  docs[0] = doc("/", html("<meta name=\"generator\" content=\"WordPress 6.8.1\" />"));
  d = detect(docs);
  EXPECT_EQ(d.version, "6.8.1");
  EXPECT_TRUE(d.disagreeing.empty());
  EXPECT_EQ(d.confidence, 100);
}

TEST(CmsDetectorTest, LessPreciseMarkersRefineToTheMostPreciseAgreeingOne) {
  std::vector<Marker> ms = {
      {"x_generator", "drupal", "7", Precision::major, "u", 70},
      {"changelog", "drupal", "7.103", Precision::exact, "u", 60},
      {"readme", "wordpress", "6.7", Precision::minor, "u", 30},
  };
  Detection d = combine_markers(ms);
  EXPECT_EQ(d.product, "drupal");
  EXPECT_EQ(d.version, "7.103");
  EXPECT_EQ(d.precision, Precision::exact);
  EXPECT_TRUE(d.disagreeing.empty());
  ASSERT_EQ(d.other_products.size(), 1u);

  // A product hint ignores every other product.
  Detection only_wp = combine_markers(ms, "wordpress");
  EXPECT_EQ(only_wp.product, "wordpress");
  EXPECT_EQ(only_wp.version, "6.7");
  EXPECT_EQ(only_wp.precision, Precision::minor);

  // Major-only stays major-only.
  Detection major = combine_markers({{"x_generator", "drupal", "10", Precision::major, "u", 70}});
  EXPECT_EQ(major.version, "10");
  EXPECT_EQ(major.precision, Precision::major);

  EXPECT_EQ(combine_markers({}).product, "");
}

TEST(CmsDetectorTest, PolitePlan) {
  // WordPress: the feed, then readme.html only while no exact version is known.
  std::vector<Marker> wp = {{"wp_paths", "wordpress", "", Precision::none, "u", 20}};
  EXPECT_EQ(next_path(wp, {}), "/feed/");
  EXPECT_EQ(next_path(wp, {"/feed/"}), "/readme.html");
  EXPECT_EQ(next_path(wp, {"/feed/", "/readme.html"}), "");
  wp.push_back({"rss_generator", "wordpress", "6.9.1", Precision::exact, "u", 80});
  EXPECT_EQ(next_path(wp, {"/feed/"}), "");
  // A feed link on the page is used instead of guessing.
  std::vector<Marker> linked = {{"meta_generator", "wordpress", "", Precision::none, "u", 50},
                                {"feed_link", "", "", Precision::none, "https://client.example/?feed=rss2", 0}};
  EXPECT_EQ(next_path(linked, {}), "/?feed=rss2");
  // Drupal 7 vs 8+.
  EXPECT_EQ(next_path({{"x_generator", "drupal", "7", Precision::major, "u", 70}}, {}), "/CHANGELOG.txt");
  EXPECT_EQ(next_path({{"x_generator", "drupal", "10", Precision::major, "u", 70}}, {}),
            "/core/CHANGELOG.txt");
  // Nothing recognised: the three cheap product endpoints, then stop.
  std::vector<std::string> fetched;
  for (int i = 0; i < 5; ++i) {
    std::string p = next_path({}, fetched);
    if (p.empty()) break;
    fetched.push_back(p);
  }
  EXPECT_EQ(fetched, (std::vector<std::string>{"/magento_version", "/api/3/action/status_show",
                                               "/administrator/manifests/files/joomla.xml"}));
  // A hint limits the plan to that product.
  EXPECT_EQ(next_path({}, {}, "ckan"), "/api/3/action/status_show");
  EXPECT_EQ(next_path({}, {}, "expressionengine"), "");
}

TEST(CmsDetectorTest, HostileHtmlIsBoundedAndNeverCrashes) {
  // 300,000 nested elements after the generator: found without deep recursion (and without
  // gumbo's quadratic tree building, which would take minutes and hit the ctest timeout).
  std::string deep = "<html><head><meta name=\"generator\" content=\"WordPress 6.9.1\"></head><body>";
  for (int i = 0; i < 300000; ++i) deep += "<div>";
  auto ms = find_markers(doc("/", deep));
  ASSERT_NE(find(ms, "meta_generator"), nullptr);
  EXPECT_EQ(find(ms, "meta_generator")->version, "6.9.1");

  // Thousands of contradictory generator tags: bounded work, a bounded marker list.
  std::string many = "<html><head>";
  for (int i = 0; i < 20000; ++i)
    many += "<meta name=\"generator\" content=\"WordPress 1.0." + std::to_string(i) + "\">";
  auto lots = find_markers(doc("/", many));
  EXPECT_LE(lots.size(), 32u);
  Detection many_det = combine_markers(lots);
  EXPECT_EQ(many_det.product, "wordpress");

  // Beyond the HTML cap nothing is parsed.
  std::string enormous = "<html><body>" + std::string(2 << 20, 'x') +
                         "<meta name=\"generator\" content=\"WordPress 6.9.1\"></body></html>";
  EXPECT_EQ(find(find_markers(doc("/", enormous)), "meta_generator"), nullptr);

  for (std::string junk : {std::string(""), std::string("\0\0\0", 3), std::string("<<<<>>>>"),
                           std::string("<?xml"), std::string("{"), std::string("<rss><channel><generator>"),
                           std::string("\xEF\xBB\xBF<extension><name>files_joomla</name><version>latest"),
                           std::string("<meta name=generator content=\"WordPress"),
                           std::string("<script>window._wpemojiSettings = {\"source\":{\"concatemoji\":7}}</script>"),
                           std::string("<!DOCTYPE x [<!ENTITY a \"aaaa\"><!ENTITY b \"&a;&a;&a;\">]><rss>&b;</rss>")}) {
    for (const char* path : {"/", "/feed/", "/CHANGELOG.txt", "/magento_version",
                             "/api/3/action/status_show", "/readme.html"}) {
      auto found = find_markers(doc(path, junk));
      Detection d = combine_markers(found);
      EXPECT_TRUE(d.version.empty()) << path << " " << junk;
    }
  }
}

}  // namespace
}  // namespace lookout::probes
