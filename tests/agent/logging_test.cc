#include "agent/logging.h"

#include <gtest/gtest.h>
#include <nlohmann/json.hpp>

namespace lookout::agent {
namespace {

TEST(LoggingTest, JsonLinesAreOneObjectWithTheMessageEscaped) {
  std::string line = format_json_log_line("2026-12-04T05:40:46.123Z", "warning",
                                          "acme/www/http: ok -> critical: \"503\"\nsecond line");
  ASSERT_EQ(line.back(), '\n');
  EXPECT_EQ(line.find('\n'), line.size() - 1);  // one line, whatever the message holds
  auto j = nlohmann::json::parse(line);
  EXPECT_EQ(j["time"], "2026-12-04T05:40:46.123Z");
  EXPECT_EQ(j["level"], "warning");
  EXPECT_EQ(j["msg"], "acme/www/http: ok -> critical: \"503\"\nsecond line");
}

TEST(LoggingTest, BadLevelOrFormatIsRefusedWithTheChoices) {
  auto e = setup_logging("verbose", "text");
  ASSERT_TRUE(e);
  EXPECT_NE(e->find("trace, debug, info"), std::string::npos) << *e;
  e = setup_logging("info", "xml");
  ASSERT_TRUE(e);
  EXPECT_NE(e->find("text or json"), std::string::npos) << *e;
  EXPECT_FALSE(setup_logging("debug", "json"));
  EXPECT_FALSE(setup_logging("off", "text"));
  EXPECT_FALSE(setup_logging("info", "text"));
}

}  // namespace
}  // namespace lookout::agent
