// probes::Version: a CMS release version as the products actually write them
// ("6.1.9", "6.7" (== 6.7.0), "10.2.0-rc1", "6.8-beta2", "2.4.7-p3", "7.x-dev", "2.11.0a1",
// "6.8-alpha-59438-src") with a total order: pre-releases sort before their release, a -pN
// patch suffix after it. Nonsense ("latest", "", "999999999999.1", 40 components) is rejected,
// never guessed at. Pure value type, no allocation beyond the original text.
#pragma once

#include <cstdint>
#include <optional>
#include <string>
#include <string_view>
#include <vector>

namespace lookout::probes {

class Version {
 public:
  /// Release stages in their sort order. `patch` is a post-release (Magento "-p3").
  enum class Stage : uint8_t { dev, alpha, beta, rc, release, patch };

  static constexpr size_t kMaxComponents = 5;
  static constexpr uint64_t kMaxComponent = 99'999'999;  // 8 digits: dates fit, nonsense doesn't
  static constexpr size_t kMaxLength = 64;

  /// Parses `text`; nullopt (and a reason in `error`) when it is not a version.
  static std::optional<Version> parse(std::string_view text, std::string* error = nullptr);

  /// Numeric components as written ("6.7" has two). Never empty.
  const std::vector<uint32_t>& components() const { return components_; }
  Stage stage() const { return stage_; }
  uint32_t stage_number() const { return stage_number_; }
  /// A branch snapshot such as "7.x-dev" or "10.3.x-dev": only the components before ".x" count.
  bool is_branch_snapshot() const { return wildcard_; }
  bool is_prerelease() const { return stage_ < Stage::release || wildcard_; }
  /// The text as given (trimmed, without a leading "v").
  const std::string& text() const { return text_; }
  /// Canonical form: "10.2.0-rc1", "2.4.7-p3", "7.x-dev".
  std::string to_string() const;
  /// The first `n` components joined by dots ("10.2" for n = 2); fewer when the version has fewer.
  std::string prefix(size_t n) const;
  /// True when the first components equal `branch`'s components ("10.2.3" is in "10.2" and "10").
  bool in_branch(const Version& branch) const;

  /// <0, 0, >0. Missing components count as 0 ("6.7" == "6.7.0"); then stage, stage number,
  /// build number.
  friend int compare(const Version& a, const Version& b);
  friend bool operator==(const Version& a, const Version& b) { return compare(a, b) == 0; }
  friend bool operator<(const Version& a, const Version& b) { return compare(a, b) < 0; }
  friend bool operator<=(const Version& a, const Version& b) { return compare(a, b) <= 0; }
  friend bool operator>(const Version& a, const Version& b) { return compare(a, b) > 0; }
  friend bool operator>=(const Version& a, const Version& b) { return compare(a, b) >= 0; }

 private:
  std::vector<uint32_t> components_;
  Stage stage_ = Stage::release;
  uint32_t stage_number_ = 0;
  uint32_t build_ = 0;  // WordPress nightlies: "6.8-alpha-59438"
  bool wildcard_ = false;
  std::string text_;
};

std::string_view to_string(Version::Stage s);

}  // namespace lookout::probes
