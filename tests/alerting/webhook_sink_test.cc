// Webhook sink pieces: the HMAC signature (RFC 4231 test case 2) and the retry matrix.
#include "alerting/webhook_sink.h"

#include <gtest/gtest.h>

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
  EXPECT_EQ(classify_http(302, std::nullopt, now).kind, Delivery::retry);
  auto r400 = classify_http(400, std::nullopt, now);
  EXPECT_EQ(r400.kind, Delivery::rejected);
  EXPECT_EQ(r400.reason, "HTTP 400");
  EXPECT_EQ(classify_http(404, std::nullopt, now).kind, Delivery::rejected);
}
