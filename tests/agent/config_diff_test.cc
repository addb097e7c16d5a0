#include "agent/config_diff.h"

#include <gtest/gtest.h>

#include "config/loader.h"
#include "probes/probe_registry.h"

namespace lookout::agent {
namespace {

config::Config load(const std::string& sites) {
  auto r = config::load_config_text("clients:\n  - id: acme\n    sites:\n" + sites, "t.yaml",
                                    probes::check_types());
  EXPECT_TRUE(r.config) << r.errors.to_string();
  return r.config ? std::move(*r.config) : config::Config{};
}

TEST(ConfigDiffTest, NamesAddedRemovedAndChangedChecks) {
  auto before = load(
      "      - id: www\n        url: https://www.example.com/\n"
      "        checks: [{type: http}, {type: tls}]\n"
      "      - id: old\n        url: https://old.example.com/\n        checks: [{type: http}]\n");
  auto after = load(
      "      - id: www\n        url: https://www.example.com/\n"
      "        checks: [{type: http, keyword: Welcome}, {type: tls}]\n"
      "      - id: new\n        url: https://new.example.com/\n        checks: [{type: http}]\n");
  auto d = diff_checks(before, after);
  EXPECT_EQ(d.added, std::vector<std::string>{"acme/new/http"});
  EXPECT_EQ(d.removed, std::vector<std::string>{"acme/old/http"});
  EXPECT_EQ(d.changed, std::vector<std::string>{"acme/www/http"});  // an option changed
  EXPECT_EQ(d.to_string(),
            "1 added (acme/new/http), 1 removed (acme/old/http), 1 changed (acme/www/http)");
}

TEST(ConfigDiffTest, TheSameConfigChangesNothingAndAnIntervalChangeIsAChange) {
  std::string sites = "      - id: www\n        url: https://www.example.com/\n"
                      "        checks: [{type: http, interval: 30s}]\n";
  EXPECT_TRUE(diff_checks(load(sites), load(sites)).empty());
  std::string slower = "      - id: www\n        url: https://www.example.com/\n"
                       "        checks: [{type: http, interval: 60s}]\n";
  EXPECT_EQ(diff_checks(load(sites), load(slower)).changed,
            std::vector<std::string>{"acme/www/http"});
}

}  // namespace
}  // namespace lookout::agent
