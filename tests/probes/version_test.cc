#include "probes/version.h"

#include <gtest/gtest.h>

namespace lookout::probes {
namespace {

Version v(const char* s) {
  auto p = Version::parse(s);
  EXPECT_TRUE(p) << s;
  return p ? *p : *Version::parse("0");
}

TEST(VersionTest, ParsesRealVersionStrings) {
  EXPECT_EQ(v("6.1.9").components(), (std::vector<uint32_t>{6, 1, 9}));
  EXPECT_EQ(v("4.9").components(), (std::vector<uint32_t>{4, 9}));
  auto rc = v("10.2.0-rc1");
  EXPECT_EQ(rc.stage(), Version::Stage::rc);
  EXPECT_EQ(rc.stage_number(), 1u);
  EXPECT_EQ(rc.to_string(), "10.2.0-rc1");
  auto p3 = v("2.4.7-p3");
  EXPECT_EQ(p3.stage(), Version::Stage::patch);
  EXPECT_EQ(p3.to_string(), "2.4.7-p3");
  auto dev = v("7.x-dev");
  EXPECT_TRUE(dev.is_branch_snapshot());
  EXPECT_EQ(dev.components(), (std::vector<uint32_t>{7}));
  EXPECT_EQ(dev.to_string(), "7.x-dev");
  EXPECT_EQ(v("10.3.x-dev").to_string(), "10.3.x-dev");
  EXPECT_EQ(v("6.7-RC1").stage(), Version::Stage::rc);
  EXPECT_EQ(v("6.8-beta2").stage_number(), 2u);
  EXPECT_EQ(v("6.8-alpha-59438-src").stage(), Version::Stage::alpha);
  EXPECT_EQ(v("2.11.0a").stage(), Version::Stage::alpha);
  EXPECT_EQ(v("2.11.0b1").stage(), Version::Stage::beta);
  EXPECT_EQ(v("v2.10.4").text(), "2.10.4");
  EXPECT_EQ(v(" 6.7.1\n").text(), "6.7.1");
}

TEST(VersionTest, RejectsNonsense) {
  std::string why;
  for (const char* bad : {"", "   ", "latest", "999999999999.1", "6..1", "6.", "-1", "x.1",
                          "1.2.3.4.5.6", "6.7-gold", "6.7.1 beta", "1.0-rc1-x",
                          "0.71-gold", "\xff\xfe", "7.x-p1", "7.x-dev1"}) {
    EXPECT_FALSE(Version::parse(bad, &why)) << bad;
    EXPECT_FALSE(why.empty()) << bad;
  }
  EXPECT_FALSE(Version::parse(std::string(200, '1')));
  EXPECT_FALSE(Version::parse(std::string("1.") + std::string(100, '1')));
}

TEST(VersionTest, WordPressShortFormEqualsDotZero) {
  EXPECT_EQ(v("6.7"), v("6.7.0"));
  EXPECT_EQ(v("6"), v("6.0.0"));
  EXPECT_LT(v("6.7"), v("6.7.1"));
}

TEST(VersionTest, OrdersReleasesPreReleasesAndPatches) {
  EXPECT_LT(v("6.1.9"), v("6.1.10"));
  EXPECT_LT(v("6.9.1"), v("10.0"));
  EXPECT_LT(v("10.2.0-dev"), v("10.2.0-alpha1"));
  EXPECT_LT(v("10.2.0-alpha1"), v("10.2.0-beta1"));
  EXPECT_LT(v("10.2.0-beta2"), v("10.2.0-rc1"));
  EXPECT_LT(v("10.2.0-rc1"), v("10.2.0-rc2"));
  EXPECT_LT(v("10.2.0-rc2"), v("10.2.0"));
  EXPECT_LT(v("2.4.7"), v("2.4.7-p1"));
  EXPECT_LT(v("2.4.7-p3"), v("2.4.7-p10"));
  EXPECT_LT(v("2.4.7-p10"), v("2.4.8"));
  EXPECT_LT(v("6.8-alpha-59438"), v("6.8-alpha-59500"));
  EXPECT_LT(v("7.x-dev"), v("7.0"));
  EXPECT_LT(v("7.103"), v("8.0.0"));
  EXPECT_GT(v("2.4.7-p3"), v("2.4.7"));
}

TEST(VersionTest, BranchesAndPrefixes) {
  EXPECT_TRUE(v("10.2.3").in_branch(v("10.2")));
  EXPECT_TRUE(v("10.2.3").in_branch(v("10")));
  EXPECT_FALSE(v("10.2.3").in_branch(v("10.3")));
  EXPECT_FALSE(v("10").in_branch(v("10.2")));
  EXPECT_TRUE(v("2.4.7-p3").in_branch(v("2.4.7")));
  EXPECT_EQ(v("6.7.1").prefix(2), "6.7");
  EXPECT_EQ(v("7.103").prefix(5), "7.103");
}

}  // namespace
}  // namespace lookout::probes
