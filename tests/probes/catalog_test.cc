#include "probes/catalog.h"

#include <fstream>
#include <sstream>

#include <gmock/gmock.h>
#include <gtest/gtest.h>

namespace lookout::probes {
namespace {

using ::testing::HasSubstr;

const std::string kData = LOOKOUT_TESTDATA "/catalog";
constexpr std::string_view kToday = "2026-01-15";

std::string slurp(const std::string& path) {
  std::ifstream in(path);
  std::stringstream ss;
  ss << in.rdbuf();
  return ss.str();
}

Version v(const char* s) { return *Version::parse(s); }

class CatalogTest : public ::testing::Test {
 protected:
  void SetUp() override {
    std::vector<std::string> errors;
    catalog_ = Catalog::load(kData + "/fixed", errors);
    ASSERT_TRUE(errors.empty()) << errors.front();
  }
  PatchStatus status(const char* product, const char* version, bool exact = true) {
    return assess(catalog_.find(product), v(version), exact, kToday).status;
  }
  Catalog catalog_;
};

TEST(CatalogLoadTest, BundledCatalogueLoadsCleanly) {
  std::vector<std::string> errors;
  Catalog c = Catalog::load(Catalog::default_path(), errors);
  EXPECT_TRUE(errors.empty()) << (errors.empty() ? "" : errors.front());
  for (const char* p : {"wordpress", "drupal", "joomla", "magento", "ckan"}) {
    const ProductCatalog* pc = c.find(p);
    ASSERT_NE(pc, nullptr) << p;
    EXPECT_FALSE(pc->as_of.empty()) << p;
    EXPECT_TRUE(pc->latest_release()) << p;
  }
}

TEST_F(CatalogTest, WordPressVerdicts) {
  EXPECT_EQ(status("wordpress", "6.9.1"), PatchStatus::current);
  EXPECT_EQ(status("wordpress", "6.9"), PatchStatus::outdated);
  EXPECT_EQ(status("wordpress", "6.9.0"), PatchStatus::outdated);
  EXPECT_EQ(status("wordpress", "6.8.3"), PatchStatus::outdated);  // a newer branch exists
  EXPECT_EQ(status("wordpress", "6.8.2"), PatchStatus::insecure);  // 6.8.3 was a security fix
  EXPECT_EQ(status("wordpress", "6.1.9"), PatchStatus::outdated);
  EXPECT_EQ(status("wordpress", "4.6.30"), PatchStatus::insecure);  // branch gets no fixes
  EXPECT_EQ(status("wordpress", "2.0.1"), PatchStatus::insecure);   // older than any branch
  EXPECT_EQ(status("wordpress", "6.9.2"), PatchStatus::current);    // newer than the data
  EXPECT_EQ(status("wordpress", "7.0"), PatchStatus::unknown);      // not in the catalogue
  EXPECT_EQ(status("wordpress", "6.8", false), PatchStatus::unknown);  // readme: major.minor
  auto a = assess(catalog_.find("wordpress"), v("6.8.2"), true, kToday);
  EXPECT_EQ(a.latest, "6.9.1");
  EXPECT_EQ(a.latest_security, "6.8.3");
  EXPECT_EQ(a.branch, "6.8");
  EXPECT_THAT(a.reason, HasSubstr("6.8.3"));
}

TEST_F(CatalogTest, DrupalMajorOnlyDecidesOnlyWhenTheWholeMajorIsDead) {
  EXPECT_EQ(status("drupal", "7", false), PatchStatus::insecure);  // X-Generator "Drupal 7"
  EXPECT_EQ(status("drupal", "8", false), PatchStatus::insecure);
  EXPECT_EQ(status("drupal", "10", false), PatchStatus::unknown);
  EXPECT_EQ(status("drupal", "7.103"), PatchStatus::insecure);  // past 2025-01-05
  EXPECT_EQ(status("drupal", "11.3.0"), PatchStatus::current);
  EXPECT_EQ(status("drupal", "11.2.7"), PatchStatus::insecure);
  EXPECT_EQ(status("drupal", "10.5.6"), PatchStatus::outdated);
  EXPECT_EQ(status("drupal", "10.2.0-rc1"), PatchStatus::insecure);  // 10.2 is past EOL
  EXPECT_EQ(status("drupal", "11.x-dev"), PatchStatus::unknown);
  auto a = assess(catalog_.find("drupal"), v("7.98"), true, kToday);
  EXPECT_EQ(a.eol, "2025-01-05");
  EXPECT_THAT(a.reason, HasSubstr("end of life"));
  // Before the end-of-life date, Drupal 7.103 was the newest 7.x.
  EXPECT_EQ(assess(catalog_.find("drupal"), v("7.103"), true, "2024-12-31").status,
            PatchStatus::outdated);
}

TEST_F(CatalogTest, MagentoPatchReleasesAndMinorOnlyMarker) {
  EXPECT_EQ(status("magento", "2.4", false), PatchStatus::unknown);  // /magento_version
  EXPECT_EQ(status("magento", "2.4.8-p3"), PatchStatus::current);
  EXPECT_EQ(status("magento", "2.4.7-p3"), PatchStatus::insecure);
  EXPECT_EQ(status("magento", "2.4.7-p8"), PatchStatus::outdated);
  EXPECT_EQ(status("magento", "2.4.5-p14"), PatchStatus::insecure);
  EXPECT_EQ(status("magento", "2.3", false), PatchStatus::insecure);
}

TEST_F(CatalogTest, UnknownProductIsUnknown) {
  auto a = assess(catalog_.find("expressionengine"), v("7.4.1"), true, kToday);
  EXPECT_EQ(a.status, PatchStatus::unknown);
  EXPECT_THAT(a.reason, HasSubstr("no release catalogue"));
}

TEST(CatalogLoadTest, SyntaxErrorNamesFileLineAndColumn) {
  std::vector<std::string> errors;
  Catalog c = Catalog::load(kData + "/invalid/syntax-error.json", errors);
  ASSERT_EQ(errors.size(), 1u);
  EXPECT_THAT(errors[0], HasSubstr("syntax-error.json:5:41: invalid JSON"));
  EXPECT_EQ(c.find("wordpress"), nullptr);
}

TEST(CatalogLoadTest, EveryBadValueIsReportedWithItsPlace) {
  std::vector<std::string> errors;
  Catalog::load(kData + "/invalid/bad-values.json", errors);
  std::string all;
  for (const auto& e : errors) all += e + "\n";
  EXPECT_THAT(all, HasSubstr("bad-values.json:4:"));
  EXPECT_THAT(all, HasSubstr("as_of: expected a date"));
  EXPECT_THAT(all, HasSubstr("colour: unknown key"));
  EXPECT_THAT(all, HasSubstr("branches[0].latest: invalid version"));
  EXPECT_THAT(all, HasSubstr("branches[1].latest: 6.9.1 is not in branch 6.8"));
  EXPECT_THAT(all, HasSubstr("branches[1].eol: expected true, false or a date"));
  EXPECT_THAT(all, HasSubstr("versions.6.8.3: expected latest, outdated or insecure"));
  EXPECT_EQ(errors.size(), 6u) << all;
}

TEST(CatalogLoadTest, MissingPathAndGarbage) {
  std::vector<std::string> errors;
  Catalog::load(kData + "/does-not-exist", errors);
  ASSERT_EQ(errors.size(), 1u);
  EXPECT_THAT(errors[0], HasSubstr("no such file"));
  for (std::string garbage : std::vector<std::string>{"", "[]", "null", "{\"product\": 7}", "{{{{", "\x01\x02",
                              std::string(5000, '['), "{\"product\":\"x\",\"branches\":[1]}"}) {
    config::Errors e("g.json");
    EXPECT_FALSE(Catalog::parse_product(garbage, "g.json", e)) << garbage.substr(0, 20);
    EXPECT_FALSE(e.empty());
  }
}

TEST(CatalogUpdaterTest, WordPressFeedsBecomeBranches) {
  ProductCatalog pc;
  pc.product = "wordpress";
  pc.name = "WordPress";
  std::string err;
  ASSERT_TRUE(apply_wordpress_version_check(pc, slurp(kData + "/wordpress-version-check.json"), err))
      << err;
  EXPECT_EQ(pc.latest_release()->text(), "6.9.1");
  ASSERT_TRUE(apply_wordpress_stable_check(pc, slurp(kData + "/wordpress-stable-check.json"), err))
      << err;
  auto find = [&](const char* name) -> const CatalogBranch* {
    for (const auto& b : pc.branches)
      if (b.name == name) return &b;
    return nullptr;
  };
  ASSERT_NE(find("6.8"), nullptr);
  EXPECT_EQ(find("6.8")->latest_security->text(), "6.8.3");
  EXPECT_EQ(find("4.7")->latest_security->text(), "4.7.31");
  EXPECT_TRUE(find("4.6")->eol.flag);  // newest 4.6 release still insecure
  EXPECT_FALSE(find("6.9")->latest_security);
  EXPECT_EQ(find("1.5")->latest->text(), "1.5.1.3");
  EXPECT_EQ(pc.branches.front().name, "6.9");

  // Round trip through the documented file format.
  std::string text = catalog_file_text(pc);
  config::Errors e("wp.json");
  auto back = Catalog::parse_product(text, "wp.json", e);
  ASSERT_TRUE(back) << e.to_string();
  for (const char* ver : {"6.9.1", "6.9", "6.8.2", "6.8.3", "4.6.30", "4.7.31"})
    EXPECT_EQ(assess(&*back, v(ver), true, kToday).status, assess(&pc, v(ver), true, kToday).status)
        << ver;
  EXPECT_EQ(assess(&*back, v("6.8.1"), true, kToday).status, PatchStatus::insecure);
  EXPECT_EQ(assess(&*back, v("6.9.1"), true, kToday).status, PatchStatus::current);
}

TEST(CatalogUpdaterTest, DrupalReleaseHistory) {
  ProductCatalog pc;
  pc.product = "drupal";
  pc.name = "Drupal";
  std::string err;
  ASSERT_TRUE(apply_drupal_release_history(pc, slurp(kData + "/drupal-release-history.xml"), err))
      << err;
  std::map<std::string, const CatalogBranch*> by;
  for (const auto& b : pc.branches) by[b.name] = &b;
  ASSERT_TRUE(by.count("11.3") && by.count("11.2") && by.count("11.1") && by.count("10.5"));
  EXPECT_EQ(by["11.3"]->latest->text(), "11.3.0");  // rc and dev ignored
  EXPECT_EQ(by["11.2"]->latest_security->text(), "11.2.8");
  EXPECT_EQ(by["10.5"]->latest->text(), "10.5.6");  // unpublished 10.5.4 ignored
  EXPECT_TRUE(by["11.1"]->eol.flag);                // not in supported_branches
  EXPECT_FALSE(by["11.2"]->eol.flag);
  EXPECT_EQ(by["11.3"]->released, "2025-12-10");
  EXPECT_EQ(pc.version_status(v("10.5.5")), PatchStatus::insecure);
  EXPECT_EQ(assess(&pc, v("11.2.7"), true, kToday).status, PatchStatus::insecure);
  EXPECT_EQ(assess(&pc, v("11.1.9"), true, kToday).status, PatchStatus::insecure);
  // "11.x-dev" is no release line: a phantom branch "11" (no release, not in
  // supported_branches, so end of life) made any 11.x newer than the feed "insecure".
  EXPECT_EQ(by.count("11"), 0u);
  EXPECT_NE(assess(&pc, v("11.4.0"), true, kToday).status, PatchStatus::insecure);

  // endoflife.date adds dates on top.
  ASSERT_TRUE(apply_endoflife(pc, slurp(kData + "/endoflife-drupal.json"), true, err)) << err;
  for (const auto& b : pc.branches) by[b.name] = &b;
  EXPECT_EQ(by["11.2"]->eol.date, "2026-06-17");
  EXPECT_EQ(by["7"]->eol.date, "2025-01-05");
  EXPECT_EQ(by["7"]->latest->text(), "7.103");

  ProductCatalog none;
  EXPECT_FALSE(
      apply_drupal_release_history(none, slurp(kData + "/drupal-release-history-unknown.xml"), err));
  EXPECT_THAT(err, HasSubstr("No release history was found"));
  EXPECT_FALSE(apply_drupal_release_history(none, "<project><releases>", err));
}

TEST(CatalogUpdaterTest, EndOfLifeDateFormats) {
  ProductCatalog pc;
  pc.product = "joomla";
  std::string err;
  ASSERT_TRUE(apply_endoflife(pc, slurp(kData + "/endoflife-joomla-v1.json"), true, err)) << err;
  ASSERT_EQ(pc.branches.size(), 3u);
  EXPECT_EQ(pc.branches[0].name, "6");
  EXPECT_EQ(pc.branches[0].eol.date, "2029-10-14");
  EXPECT_EQ(pc.branches[2].latest->text(), "3.10.12");
  EXPECT_EQ(assess(&pc, v("3.10.12"), true, kToday).status, PatchStatus::insecure);
  EXPECT_EQ(assess(&pc, v("5.4.0"), true, kToday).status, PatchStatus::outdated);

  // A cycle written as a JSON number keeps its text: 3.10 is not 3.1.
  ProductCatalog num;
  ASSERT_TRUE(apply_endoflife(
      num, R"([{"cycle": 3.10, "eol": false, "latest": "3.10.2"}, {"cycle": 3.9, "eol": true}])",
      true, err))
      << err;
  EXPECT_EQ(num.branches[0].name, "3.10");
  EXPECT_EQ(num.branches[0].latest->text(), "3.10.2");
  EXPECT_TRUE(num.branches[1].eol.flag);

  // WordPress: EOL dates ignored on request (back-ports make them misleading).
  ProductCatalog wp;
  ASSERT_TRUE(apply_endoflife(wp, R"([{"cycle":"6.8","eol":"2025-12-02","latest":"6.8.3"}])",
                              false, err));
  EXPECT_FALSE(wp.branches[0].eol.known());

  for (const char* bad : {"", "{}", "[1,2]", "{\"result\": 3}", "[[[[", "\"x\""}) {
    ProductCatalog g;
    EXPECT_FALSE(apply_endoflife(g, bad, true, err)) << bad;
    EXPECT_FALSE(apply_wordpress_stable_check(g, bad, err)) << bad;
    EXPECT_FALSE(apply_wordpress_version_check(g, bad, err)) << bad;
    EXPECT_FALSE(apply_drupal_release_history(g, bad, err)) << bad;
  }
}

}  // namespace
}  // namespace lookout::probes
