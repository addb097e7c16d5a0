#include "config/duration.h"

#include <gtest/gtest.h>

using lookout::config::format_duration;
using lookout::config::parse_cli_duration;
using lookout::config::parse_duration;
using namespace std::chrono_literals;

TEST(DurationTest, ParsesUnitsAndCompounds) {
  EXPECT_EQ(parse_duration("250ms"), 250ms);
  EXPECT_EQ(parse_duration("10s"), 10s);
  EXPECT_EQ(parse_duration("1m30s"), 90s);
  EXPECT_EQ(parse_duration("2h"), 2h);
  EXPECT_EQ(parse_duration("7d"), std::chrono::milliseconds(7 * 86400000LL));
  EXPECT_EQ(parse_duration("0"), 0ms);
}

TEST(DurationTest, RejectsAmbiguousOrBroken) {
  EXPECT_FALSE(parse_duration(""));
  EXPECT_FALSE(parse_duration("10"));
  EXPECT_FALSE(parse_duration("10x"));
  EXPECT_FALSE(parse_duration("-5s"));
  EXPECT_FALSE(parse_duration("s"));
  EXPECT_FALSE(parse_duration("99999999999999h"));
}

TEST(DurationTest, FormatsBack) {
  EXPECT_EQ(format_duration(90s), "1m30s");
  EXPECT_EQ(format_duration(1500ms), "1s500ms");
  EXPECT_EQ(format_duration(0ms), "0s");
}

TEST(DurationTest, CommandLineTakesBareSecondsLikeNagiosPlugins) {
  EXPECT_EQ(parse_cli_duration("10"), 10s);
  EXPECT_EQ(parse_cli_duration("0.5"), 500ms);
  EXPECT_EQ(parse_cli_duration("2.25"), 2250ms);
  EXPECT_EQ(parse_cli_duration("1m30s"), 90s);  // units still work
  EXPECT_FALSE(parse_cli_duration("1.2.3"));
  EXPECT_FALSE(parse_cli_duration("."));
  EXPECT_FALSE(parse_cli_duration("0.0001"));  // finer than a millisecond
  EXPECT_FALSE(parse_cli_duration("-5"));
  EXPECT_FALSE(parse_cli_duration("99999999999999"));
  EXPECT_FALSE(parse_duration("10"));  // config files stay strict
}
