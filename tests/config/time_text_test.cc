// config/time_text: RFC 3339 round trip and the three HTTP-date forms of RFC 9110 section 5.6.7.
#include "config/time_text.h"

#include <gtest/gtest.h>

using namespace lookout::config;
using namespace std::chrono_literals;

namespace {

std::chrono::system_clock::time_point utc(const char* text) { return parse_rfc3339(text).value(); }

TEST(TimeText, Rfc3339RoundTrip) {
  auto t = utc("2026-12-04T05:40:46.123Z");
  EXPECT_EQ(rfc3339(t), "2026-12-04T05:40:46.123Z");
  EXPECT_EQ(utc("2026-12-04T06:40:46.123+01:00"), t);
}

// A year a nanosecond clock cannot hold (years 1678-2262) is unreadable, not an overflow: servers
// do send "Expires: Fri, 31 Dec 9999 23:59:59 GMT".
TEST(TimeText, YearsBeyondTheClockAreRejected) {
  EXPECT_FALSE(parse_rfc3339("9999-12-31T23:59:59Z"));
  EXPECT_FALSE(parse_rfc3339("1600-01-01T00:00:00Z"));
  EXPECT_TRUE(parse_rfc3339("2200-12-31T23:59:59Z"));
  EXPECT_FALSE(parse_http_date("Fri, 31 Dec 9999 23:59:59 GMT"));
  EXPECT_TRUE(parse_http_date("Fri, 31 Dec 2100 23:59:59 GMT"));
}

TEST(TimeText, HttpDateAllThreeForms) {
  // The examples of RFC 9110 section 5.6.7.
  const auto expected = utc("1994-11-06T08:49:37Z");
  const auto now = utc("2026-12-04T00:00:00Z");
  EXPECT_EQ(parse_http_date("Sun, 06 Nov 1994 08:49:37 GMT", now), expected);
  EXPECT_EQ(parse_http_date("Sunday, 06-Nov-94 08:49:37 GMT", now), expected);
  EXPECT_EQ(parse_http_date("Sun Nov  6 08:49:37 1994", now), expected);
  EXPECT_EQ(parse_http_date("Sun Nov 16 08:49:37 1994", now), expected + 24h * 10);
}

TEST(TimeText, HttpDateTwoDigitYearWithinFiftyYears) {
  const auto now = utc("2026-12-04T00:00:00Z");
  EXPECT_EQ(parse_http_date("Friday, 04-Dec-26 08:01:30 GMT", now), utc("2026-12-04T08:01:30Z"));
  EXPECT_EQ(parse_http_date("Monday, 01-Jan-76 00:00:00 GMT", now), utc("2076-01-01T00:00:00Z"));
  EXPECT_EQ(parse_http_date("Sunday, 01-Jan-77 00:00:00 GMT", now), utc("1977-01-01T00:00:00Z"));
}

TEST(TimeText, HttpDateRejectsWhatTheGrammarDoesNot) {
  for (const char* bad : {"", "30", "2026-12-04T08:00:00Z", "Sun, 06 Nov 1994 08:49:37 UTC",
                          "sun, 06 Nov 1994 08:49:37 GMT", "Sun, 6 Nov 1994 08:49:37 GMT",
                          "Sun, 06 Nov 1994 08:49:37 GMT ", "Sun, 06 Nov 1994 24:00:00 GMT",
                          "Sun, 31 Feb 1994 08:49:37 GMT", "Sun, 06 Foo 1994 08:49:37 GMT",
                          "Sunday, 06-Nov-1994 08:49:37 GMT", "Sun Nov 6 08:49:37 1994",
                          "Sun, 06 Nov 1994 08:49:3", "Sun,"}) {
    EXPECT_FALSE(parse_http_date(bad).has_value()) << '"' << bad << '"';
  }
}

}  // namespace
