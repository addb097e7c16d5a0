// The Wordfence Intelligence feed parser against a saved sample in the documented shape, and
// the version-range rules (inclusive/exclusive bounds, "*" open bounds, no known fix).
#include "probes/vuln_feed.h"

#include <fstream>
#include <sstream>

#include <gtest/gtest.h>

namespace lookout::probes {
namespace {

std::string sample() {
  std::ifstream in(LOOKOUT_TESTDATA "/vulnfeed/wordfence-v3-production.json");
  std::stringstream ss;
  ss << in.rdbuf();
  return ss.str();
}

Version V(const char* s) { return *Version::parse(s); }

TEST(VulnFeedTest, ParsesTheSample) {
  auto p = parse_wordfence_feed(sample());
  ASSERT_TRUE(p.feed) << p.error;
  EXPECT_EQ(p.feed->records, 3u);
  // Core records are left to the catalogue; the plugin has two records, the theme one.
  EXPECT_EQ(p.feed->by_component.count("core|wordpress"), 0u);
  ASSERT_EQ(p.feed->by_component.at("plugin|contact-form-7").size(), 2u);
  const auto& first = p.feed->by_component.at("plugin|contact-form-7")[0];
  EXPECT_EQ(first.id, "7a0c1b6e-3f2d-4c1a-9a51-0c8f2e6b1d01");
  EXPECT_EQ(first.cve, "CVE-2099-0001");
  ASSERT_TRUE(first.cvss);
  EXPECT_DOUBLE_EQ(*first.cvss, 9.8);
  ASSERT_EQ(first.ranges.size(), 1u);
  EXPECT_EQ(first.ranges[0].from, "*");
  EXPECT_EQ(first.ranges[0].to, "6.0.6");
  EXPECT_EQ(first.patched_versions, std::vector<std::string>{"6.0.7"});

  auto m = match_component(*p.feed, "plugin", "contact-form-7", V("5.3.1"));
  ASSERT_EQ(m.size(), 2u);  // both the "* - 6.0.6" and the "5.0 - <5.3.2" records
  EXPECT_EQ(m[1].fixed_in, "5.3.2");
  EXPECT_EQ(m[1].cve, "");
  EXPECT_EQ(m[0].fixed_in, "6.0.7");  // the lowest patched version above the installed one
  EXPECT_EQ(match_component(*p.feed, "plugin", "contact-form-7", V("6.0.7")).size(), 0u);
  EXPECT_EQ(match_component(*p.feed, "plugin", "contact-form-7", V("5.3.2")).size(), 1u);
  EXPECT_EQ(match_component(*p.feed, "theme", "contact-form-7", V("5.3.1")).size(), 0u);
  auto theme = match_component(*p.feed, "theme", "twentytwentyfive", V("1.3"));
  ASSERT_EQ(theme.size(), 1u);
  EXPECT_FALSE(theme[0].fixed_in);  // patched: false, no patched_versions
  EXPECT_FALSE(theme[0].cvss);      // cvss: null
  EXPECT_EQ(match_component(*p.feed, "theme", "twentytwentyfive", V("1.0")).size(), 0u);
}

TEST(VulnFeedTest, RangeBounds) {
  VersionRange r{"1.0", "2.0", true, false};
  EXPECT_TRUE(version_in_range(V("1.0"), r));
  EXPECT_TRUE(version_in_range(V("1.0.0"), r));  // missing components count as 0
  EXPECT_TRUE(version_in_range(V("1.9.9"), r));
  EXPECT_FALSE(version_in_range(V("2.0"), r));
  EXPECT_FALSE(version_in_range(V("0.9"), r));
  r = {"1.0", "2.0", false, true};
  EXPECT_FALSE(version_in_range(V("1.0"), r));
  EXPECT_TRUE(version_in_range(V("2.0"), r));
  EXPECT_FALSE(version_in_range(V("2.0.1"), r));
  r = {"*", "3.1", true, true};
  EXPECT_TRUE(version_in_range(V("0.1"), r));
  EXPECT_FALSE(version_in_range(V("3.2"), r));
  r = {"4.0", "*", true, true};
  EXPECT_TRUE(version_in_range(V("99.0"), r));
  EXPECT_FALSE(version_in_range(V("3.9"), r));
  // A pre-release of the first affected version sorts before it.
  r = {"2.0", "2.5", true, true};
  EXPECT_FALSE(version_in_range(V("2.0-beta1"), r));
  // A bound that is not a version is never guessed at.
  bool ok = true;
  r = {"latest", "2.0", true, true};
  EXPECT_FALSE(version_in_range(V("1.0"), r, &ok));
  EXPECT_FALSE(ok);
}

TEST(VulnFeedTest, GarbageAndSchemaChangeAreErrorsNotCrashes) {
  EXPECT_FALSE(parse_wordfence_feed("").feed);
  EXPECT_FALSE(parse_wordfence_feed("<html>rate limited</html>").feed);
  EXPECT_FALSE(parse_wordfence_feed("[1,2,3]").feed);
  auto changed = parse_wordfence_feed(R"({"a":{"title":"x","products":[]},"b":[1]})");
  EXPECT_FALSE(changed.feed);
  EXPECT_NE(changed.error.find("format changed"), std::string::npos) << changed.error;
  // Too big: refused before parsing.
  auto big = parse_wordfence_feed(sample(), 1024);
  EXPECT_FALSE(big.feed);
  EXPECT_NE(big.error.find("larger than"), std::string::npos);
  // One odd record inside a good feed is skipped, the rest stands; odd ranges are skipped.
  auto mixed = parse_wordfence_feed(
      R"({"x":{"id":"x","title":"t","software":[{"type":"plugin","slug":"p","affected_versions":)"
      R"({"a":{"from_version":"1.0","from_inclusive":"yes","to_version":"2","to_inclusive":true},)"
      R"("b":{"from_version":"1.0","from_inclusive":true,"to_version":"2","to_inclusive":true}},)"
      R"("patched_versions":[7,"2.1"]},{"type":"plugin","slug":"../etc","affected_versions":{}}]},"y":"z"})");
  ASSERT_TRUE(mixed.feed) << mixed.error;
  ASSERT_EQ(mixed.feed->by_component.size(), 1u);
  const auto& v = mixed.feed->by_component.at("plugin|p")[0];
  EXPECT_EQ(v.ranges.size(), 1u);
  EXPECT_EQ(v.patched_versions, std::vector<std::string>{"2.1"});
  // Skipped prose may hold anything, nested: it never leaks into what is kept.
  auto nested = parse_wordfence_feed(
      R"({"r":{"description":{"software":[{"type":"plugin","slug":"evil"}]},"references":[[{"a":[]}],"x",null,1.5,true],)"
      R"("id":"r","software":[{"name":{"n":[1,{"slug":"no"}]},"type":"theme","slug":"t","remediation":"u",)"
      R"("affected_versions":{"l":{"from_version":"1","from_inclusive":true,"to_version":"2","to_inclusive":true}}}],)"
      R"("copyrights":{"message":"m"},"title":"T"}})");
  ASSERT_TRUE(nested.feed) << nested.error;
  ASSERT_EQ(nested.feed->by_component.size(), 1u);
  EXPECT_EQ(nested.feed->by_component.at("theme|t")[0].title, "T");
  EXPECT_EQ(nested.feed->by_component.at("theme|t")[0].id, "r");
  // An empty feed is valid (nothing known).
  auto empty = parse_wordfence_feed("{}");
  ASSERT_TRUE(empty.feed);
  EXPECT_EQ(empty.feed->records, 0u);
}

}  // namespace
}  // namespace lookout::probes
