// One file per config rule: tests/config/invalid/*.yaml. Each file breaks one rule and lists,
// in `# expect: ` comment lines at its top, every message `lookout validate` must print for it,
// exactly and in order (FILE stands for the file's path).
#include "config/loader.h"
#include "probes/probe_registry.h"

#include <gmock/gmock.h>
#include <gtest/gtest.h>

#include <algorithm>
#include <cctype>
#include <filesystem>
#include <fstream>
#include <string>
#include <vector>

namespace {

namespace fs = std::filesystem;

const fs::path kDir = fs::path(LOOKOUT_SOURCE_DIR) / "tests/config/invalid";

std::vector<fs::path> invalid_files() {
  std::vector<fs::path> out;
  for (const auto& e : fs::directory_iterator(kDir))
    if (e.is_regular_file() && e.path().extension() == ".yaml") out.push_back(e.path());
  std::sort(out.begin(), out.end());
  return out;
}

std::vector<std::string> expected_messages(const fs::path& file) {
  static const std::string kPrefix = "# expect: ";
  std::vector<std::string> out;
  std::ifstream in(file);
  std::string line;
  while (std::getline(in, line)) {
    if (line.rfind(kPrefix, 0) != 0) continue;
    std::string m = line.substr(kPrefix.size());
    if (m.rfind("FILE:", 0) == 0) m = file.string() + m.substr(4);
    out.push_back(m);
  }
  return out;
}

class InvalidConfigTest : public ::testing::TestWithParam<fs::path> {};

TEST_P(InvalidConfigTest, ReportsExactlyTheExpectedMessages) {
  const fs::path& file = GetParam();
  auto expected = expected_messages(file);
  ASSERT_FALSE(expected.empty()) << file << " has no '# expect: ' line";
  auto r = lookout::config::load_config_file(file.string(), lookout::probes::check_types());
  EXPECT_FALSE(r.config.has_value());
  std::vector<std::string> got;
  for (const auto& e : r.errors.list()) got.push_back(e.to_string());
  EXPECT_EQ(got, expected) << "validate output:\n" << r.errors.to_string();
}

INSTANTIATE_TEST_SUITE_P(Rules, InvalidConfigTest, ::testing::ValuesIn(invalid_files()),
                         [](const ::testing::TestParamInfo<fs::path>& info) {
                           std::string name = info.param.stem().string();
                           for (auto& c : name)
                             if (!std::isalnum(static_cast<unsigned char>(c))) c = '_';
                           return name;
                         });

// The rules this suite must cover: a file missing (renamed, deleted) fails here, not silently.
TEST(InvalidConfigFiles, EveryRuleHasItsFile) {
  for (const char* rule :
       {"unknown-key", "unknown-key-suggestion", "bad-duration", "bad-url", "unknown-check-type",
        "unknown-timezone", "bad-hours", "overlapping-hours", "overlapping-hours-overnight",
        "duplicate-key", "duplicate-key-json", "bad-holiday-date", "missing-required-key",
        "state-file-dir-missing", "bad-sla-priority", "type-error-number", "errors-sorted",
        // issue 10, bad input: sinks and routing; dependencies, guard and status updates
        "unknown-sink-id", "sink-credential-unset", "page-to-ticket-only-sink",
        "depends-on-unknown-site", "depends-on-self", "depends-on-cycle", "bad-storm-ratio",
        "canary-without-url", "bad-updates-until"})
    EXPECT_TRUE(fs::exists(kDir / (std::string(rule) + ".yaml"))) << rule;
}

}  // namespace
