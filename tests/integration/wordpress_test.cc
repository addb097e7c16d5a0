// The patch probe against a real WordPress: Debian's wordpress package served by php-fpm and
// nginx with a private MariaDB, installed through its web installer by
// tests/integration/wordpress_fixture.sh. Skipped when those packages are not installed.
#include <array>
#include <cstdio>
#include <cstdlib>
#include <filesystem>
#include <fstream>
#include <regex>
#include <sstream>

#include <boost/asio/io_context.hpp>
#include <boost/asio/ip/tcp.hpp>
#include <gmock/gmock.h>
#include <gtest/gtest.h>
#include "tests/support/http_receiver.h"

#include "agent/oneshot.h"
#include "probes/catalog.h"

namespace lookout::probes {
namespace {

using namespace std::chrono_literals;

const std::string kFixture = LOOKOUT_SOURCE_DIR "/tests/integration/wordpress_fixture.sh";

uint16_t free_port() {
  boost::asio::io_context io;
  boost::asio::ip::tcp::acceptor a(io, {boost::asio::ip::make_address("127.0.0.1"), 0});
  return a.local_endpoint().port();
}

/// The version Debian installed, from wp-includes/version.php (`$wp_version = '6.1.9';`).
std::string installed_version() {
  std::ifstream in("/usr/share/wordpress/wp-includes/version.php");
  std::string line;
  while (std::getline(in, line)) {
    auto at = line.find("$wp_version = '");
    if (at != std::string::npos) {
      auto start = at + 15;
      return line.substr(start, line.find('\'', start) - start);
    }
  }
  return {};
}

class WordPressTest : public ::testing::Test {
 protected:
  static void SetUpTestSuite() {
    dir_ = (std::filesystem::temp_directory_path() /
            ("lookout-wp-" + std::to_string(::getpid())))
               .string();
    std::string cmd = kFixture + " start " + dir_ + " " + std::to_string(free_port()) + " 2>&1";
    FILE* p = ::popen(cmd.c_str(), "r");
    std::string out;
    std::array<char, 512> buf{};
    while (p && std::fgets(buf.data(), buf.size(), p)) out += buf.data();
    int status = p ? ::pclose(p) : -1;
    int rc = WIFEXITED(status) ? WEXITSTATUS(status) : -1;
    if (rc == 77) {
      skip_ = "WordPress packages not installed: " + out;
      return;
    }
    ASSERT_EQ(rc, 0) << out;
    std::istringstream lines(out);
    for (std::string l; std::getline(lines, l);)
      if (l.rfind("http://", 0) == 0) url_ = l;
  }
  static void TearDownTestSuite() {
    if (!dir_.empty() && skip_.empty())
      std::system((kFixture + " stop " + dir_ + " >/dev/null 2>&1").c_str());
  }
  void SetUp() override {
    if (!skip_.empty()) GTEST_SKIP() << skip_;
    ASSERT_FALSE(url_.empty());
  }

  static Result check(std::map<std::string, std::vector<std::string>> options = {}) {
    agent::OneShotRequest req;
    req.type = "patch";
    req.target = url_;
    // The plugin/theme directory: a local receiver with the real info API's reply shape.
    if (!options.count("directory_api")) options["directory_api"] = {directory().url("")};
    req.options = std::move(options);
    req.timeout = 30s;
    auto outcome = agent::run_one_check(req);
    EXPECT_TRUE(outcome.valid) << outcome.errors.to_string();
    return outcome.result;
  }

  /// WordPress.org plugins/themes info API 1.2 for the installed plugin (latest 5.3.2) and
  /// theme (latest 2.0.1); anything else gets the real "not found" error object.
  static lookout::testing::HttpReceiver& directory() {
    static lookout::testing::HttpReceiver api;
    static bool set = [] {
      api.set_responder([](const lookout::testing::ReceivedRequest& req, size_t) {
        auto slug_at = req.target.find("request%5Bslug%5D=");
        std::string slug = slug_at == std::string::npos ? "" : req.target.substr(slug_at + 18);
        slug = slug.substr(0, slug.find('&'));
        const bool theme = req.target.starts_with("/themes/info/1.2/");
        std::string version = slug == "lookout-contact-form" && !theme ? "5.3.2"
                              : slug == "lookout-classic" && theme    ? "2.0.1"
                                                                      : "";
        if (version.empty())
          return lookout::testing::Answer{404, theme ? R"({"error":"Theme not found"})"
                                                     : R"({"error":"Plugin not found."})",
                                          "application/json"};
        return lookout::testing::Answer{
            200,
            R"({"name":")" + slug + R"(","slug":")" + slug + R"(","version":")" + version +
                R"(","requires":"5.0","tested":"6.1","requires_php":false,"last_updated":)"
                R"("2025-04-14 3:26am GMT","download_link":"https://downloads.wordpress.org/)" +
                (theme ? "theme/" : "plugin/") + slug + "." + version + R"(.zip"})",
            "application/json"};
      });
      return true;
    }();
    (void)set;
    return api;
  }

  static std::string dir_, url_, skip_;
};
std::string WordPressTest::dir_, WordPressTest::url_, WordPressTest::skip_;

TEST_F(WordPressTest, DetectsTheInstalledVersionFromGeneratorFeedAndAssets) {
  std::string version = installed_version();
  ASSERT_FALSE(version.empty());
  Result r = check();
  SCOPED_TRACE(r.summary);
  EXPECT_EQ(r.failure, FailureKind::none);
  EXPECT_EQ(r.facts["product"], "wordpress");
  EXPECT_EQ(r.facts["version"], version);
  EXPECT_EQ(r.facts["precision"], "exact");
  EXPECT_EQ(r.facts["confidence"], 100);
  EXPECT_TRUE(r.facts["disagreeing_markers"].empty());
  std::set<std::string> seen;
  for (const auto& m : r.facts["markers"]) seen.insert(m["marker"].get<std::string>());
  for (const char* k : {"meta_generator", "rss_generator", "asset_ver"}) EXPECT_TRUE(seen.count(k)) << k;

  // The verdict is the bundled catalogue's verdict for that version.
  std::vector<std::string> errors;
  Catalog c = Catalog::load(Catalog::default_path(), errors);
  auto expected = assess(c.find("wordpress"), *Version::parse(version), true,
                         iso_date(std::chrono::system_clock::now()));
  // The core verdict is the bundled catalogue's; the outdated plugin can only make it worse.
  auto overall = expected.status == PatchStatus::current ? PatchStatus::outdated : expected.status;
  EXPECT_EQ(r.facts["status"], std::string(to_string(overall)));
  EXPECT_NE(r.facts["status"], "unknown");
}

// The plugin and theme installed into the real WordPress by the fixture (files as the directory
// ships them, activated in the options table): the markers are the ones WordPress itself prints.
TEST_F(WordPressTest, PluginAndThemeFromWhatWordPressPrints) {
  Result r = check();
  SCOPED_TRACE(r.summary);
  ASSERT_TRUE(r.facts.contains("components")) << r.facts.dump();
  const nlohmann::json* plugin = nullptr;
  const nlohmann::json* theme = nullptr;
  for (const auto& c : r.facts["components"]) {
    if (c["slug"] == "lookout-contact-form") plugin = &c;
    if (c["slug"] == "lookout-classic") theme = &c;
  }
  ASSERT_TRUE(plugin) << r.facts["components"].dump();
  ASSERT_TRUE(theme) << r.facts["components"].dump();
  // wp_enqueue_style(..., '5.3.1') -> ?ver=5.3.1 on the plugin's asset.
  EXPECT_EQ((*plugin)["version"], "5.3.1");
  EXPECT_EQ((*plugin)["version_from"], "asset_ver");
  EXPECT_EQ((*plugin)["latest"], "5.3.2");
  EXPECT_EQ((*plugin)["status"], "outdated");
  // The theme's version from its style.css header, read from the site.
  EXPECT_EQ((*theme)["version"], "2.0.1");
  EXPECT_EQ((*theme)["version_from"], "style_css");
  EXPECT_EQ((*theme)["certainty"], "installed");
  EXPECT_EQ((*theme)["status"], "current");
  EXPECT_THAT(r.summary, ::testing::HasSubstr(
                             "1 plugin outdated: lookout-contact-form 5.3.1 (latest 5.3.2)"));
  EXPECT_NE(r.status, Status::ok);  // an outdated plugin is never "current"
}

TEST_F(WordPressTest, ExplicitPathsReplaceThePlan) {
  // Debian's 6.1 readme.html has no "Version X.Y" under its logo any more (upstream dropped it):
  // fetching it adds no version marker, and at most major.minor if one ever appears.
  Result r = check({{"paths", {"/readme.html"}}});
  EXPECT_EQ(r.facts["requests"], 2);
  EXPECT_EQ(r.facts["version"], installed_version());
  for (const auto& m : r.facts["markers"]) {
    EXPECT_NE(m["marker"], "rss_generator");  // the feed was not in the plan
    if (m["marker"] == "readme") {
      EXPECT_EQ(m["precision"], "minor");
    }
  }
}

}  // namespace
}  // namespace lookout::probes
