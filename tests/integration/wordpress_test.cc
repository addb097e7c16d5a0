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
    req.options = std::move(options);
    req.timeout = 30s;
    auto outcome = agent::run_one_check(req);
    EXPECT_TRUE(outcome.valid) << outcome.errors.to_string();
    return outcome.result;
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
  EXPECT_EQ(r.facts["status"], std::string(to_string(expected.status)));
  EXPECT_NE(r.facts["status"], "unknown");
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
