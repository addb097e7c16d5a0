// `lookout catalog update` from local feed copies and from the estate's feed server.
#include "agent/cli_catalog.h"

#include <filesystem>

#include <gmock/gmock.h>
#include <gtest/gtest.h>

#include "probes/catalog.h"
#include "tests/estate/estate.h"

namespace lookout::agent {
namespace {

using ::testing::HasSubstr;

std::string temp_dir() {
  std::string templ =
      (std::filesystem::temp_directory_path() / "lookout-catalog-XXXXXX").string();
  EXPECT_TRUE(mkdtemp(templ.data()));
  return templ;
}

/// Runs `lookout catalog update ARGS`; the exit code app.exit() would give.
int run(std::vector<std::string> args) {
  CLI::App app{"test"};
  add_catalog_command(app);
  args.insert(args.begin(), {"lookout", "catalog", "update"});
  std::vector<char*> argv;
  for (auto& a : args) argv.push_back(a.data());
  try {
    app.parse(static_cast<int>(argv.size()), argv.data());
  } catch (const CLI::ParseError& e) {
    return e.get_exit_code();
  }
  return -1;  // the callback always ends the parse
}

TEST(CliCatalogTest, UpdatesFromLocalFeedCopies) {
  std::string out = temp_dir();
  EXPECT_EQ(run({"--from-dir", LOOKOUT_TESTDATA "/catalog", "--output", out}), 0);
  std::vector<std::string> errors;
  probes::Catalog c = probes::Catalog::load(out, errors);
  EXPECT_TRUE(errors.empty()) << errors.front();
  const probes::ProductCatalog* wp = c.find("wordpress");
  ASSERT_NE(wp, nullptr);
  EXPECT_EQ(wp->latest_release()->text(), "6.9.1");
  EXPECT_FALSE(wp->as_of.empty());
  EXPECT_EQ(probes::assess(wp, *probes::Version::parse("6.8.2"), true, "2026-01-01").status,
            probes::PatchStatus::insecure);
  const probes::ProductCatalog* dr = c.find("drupal");
  ASSERT_NE(dr, nullptr);
  EXPECT_EQ(dr->branch_of(*probes::Version::parse("7.100"))->eol.date, "2025-01-05");
  EXPECT_NE(c.find("joomla"), nullptr);  // from endoflife-joomla-v1.json
  std::filesystem::remove_all(out);
}

TEST(CliCatalogTest, KeepsHandKeptFieldsOfExistingFiles) {
  std::string out = temp_dir();
  std::filesystem::copy_file(LOOKOUT_TESTDATA "/catalog/fixed/drupal.json", out + "/drupal.json");
  EXPECT_EQ(run({"--from-dir", LOOKOUT_TESTDATA "/catalog", "--output", out, "--product", "drupal"}),
            0);
  std::vector<std::string> errors;
  probes::Catalog c = probes::Catalog::load(out, errors);
  ASSERT_NE(c.find("drupal"), nullptr);
  EXPECT_THAT(c.find("drupal")->notes, HasSubstr("SA-CORE-2025"));
  EXPECT_EQ(c.find("wordpress"), nullptr);  // --product drupal only
  // Branches only the old file knew are still there.
  EXPECT_NE(c.find("drupal")->branch_of(*probes::Version::parse("9.5.11")), nullptr);
  std::filesystem::remove_all(out);
}

TEST(CliCatalogTest, UpdatesFromUrlsAndReportsFailures) {
  estate::Estate estate(estate::EstateOptions{});
  estate.start();
  std::string feeds = estate.endpoint("cms_feeds");
  std::string out = temp_dir();
  EXPECT_EQ(run({"--wordpress-url", feeds + "/core/version-check/1.7/", "--wordpress-stable-url",
                 feeds + "/core/stable-check/1.0/", "--drupal-url",
                 feeds + "/release-history/drupal/current", "--output", out}),
            0);
  std::vector<std::string> errors;
  probes::Catalog c = probes::Catalog::load(out, errors);
  EXPECT_TRUE(errors.empty());
  ASSERT_NE(c.find("wordpress"), nullptr);
  EXPECT_EQ(c.find("wordpress")->sources.front(), feeds + "/core/version-check/1.7/");
  ASSERT_NE(c.find("drupal"), nullptr);

  // A feed that is not there: exit 1, the other feeds still applied.
  std::string out2 = temp_dir();
  EXPECT_EQ(run({"--wordpress-url", feeds + "/missing", "--drupal-url",
                 feeds + "/release-history/drupal/current", "--output", out2, "--timeout", "5s"}),
            1);
  EXPECT_TRUE(std::filesystem::exists(out2 + "/drupal.json"));
  EXPECT_FALSE(std::filesystem::exists(out2 + "/wordpress.json"));
  EXPECT_EQ(run({"--output", out2}), 2);  // no feeds at all
  std::filesystem::remove_all(out);
  std::filesystem::remove_all(out2);
}

}  // namespace
}  // namespace lookout::agent
