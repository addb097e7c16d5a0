// Webhook sink pieces: the HMAC signature (RFC 4231 test case 2) and the retry matrix.
#include "alerting/webhook_sink.h"

#include <gtest/gtest.h>

#include "config/time_text.h"

using namespace lookout::alerting;
using namespace std::chrono_literals;

TEST(WebhookSink, HmacSha256Hex) {
  EXPECT_EQ(hmac_sha256_hex("Jefe", "what do ya want for nothing?"),
            "5bdcc146bf60754e6a042426089575c75a003f089d2739839dec58b964ec3843");
}

TEST(WebhookSink, RetryMatrix) {
  TimePoint now{};
  EXPECT_EQ(classify_http(200, std::nullopt, now).kind, Delivery::delivered);
  EXPECT_EQ(classify_http(204, std::nullopt, now).kind, Delivery::delivered);
  EXPECT_EQ(classify_http(500, std::nullopt, now).kind, Delivery::retry);
  EXPECT_EQ(classify_http(408, std::nullopt, now).kind, Delivery::retry);
  auto r429 = classify_http(429, std::string("30"), now);
  EXPECT_EQ(r429.kind, Delivery::retry);
  ASSERT_TRUE(r429.retry_after);
  EXPECT_EQ(*r429.retry_after, 30s);
  // Retry-After as an HTTP-date (RFC 9110 section 10.2.3), all three forms.
  const TimePoint at = lookout::config::parse_rfc3339("2026-12-04T08:00:00Z").value();
  for (std::string date : {"Fri, 04 Dec 2026 08:01:30 GMT", "Friday, 04-Dec-26 08:01:30 GMT",
                           "Fri Dec  4 08:01:30 2026"}) {
    SCOPED_TRACE(date);
    auto r = classify_http(429, date, at);
    EXPECT_EQ(r.kind, Delivery::retry);
    ASSERT_TRUE(r.retry_after);
    EXPECT_EQ(*r.retry_after, 90s);
    EXPECT_NE(r.reason.find("Retry-After"), std::string::npos) << r.reason;
  }
  auto past = classify_http(503, std::string("Fri, 04 Dec 2026 07:00:00 GMT"), at);
  ASSERT_TRUE(past.retry_after);
  EXPECT_EQ(*past.retry_after, 0s);  // a date already gone: retry at once
  // Not a delay: the normal backoff applies.
  EXPECT_FALSE(classify_http(429, std::string("soon"), at).retry_after);
  EXPECT_FALSE(classify_http(429, std::string("-5"), at).retry_after);
  // Retry-After is only honoured on 429 and 503.
  EXPECT_FALSE(classify_http(500, std::string("30"), at).retry_after);
  auto r302 = classify_http(302, std::nullopt, now);
  EXPECT_EQ(r302.kind, Delivery::retry);
  EXPECT_NE(r302.reason.find("redirects are not followed"), std::string::npos) << r302.reason;
  auto r400 = classify_http(400, std::nullopt, now);
  EXPECT_EQ(r400.kind, Delivery::rejected);
  EXPECT_EQ(r400.reason, "HTTP 400");
  EXPECT_EQ(classify_http(404, std::nullopt, now).kind, Delivery::rejected);
}
