#include "probes/version.h"

#include <algorithm>
#include <array>
#include <cctype>

namespace lookout::probes {
namespace {

bool is_digit(char c) { return c >= '0' && c <= '9'; }
bool is_alpha(char c) { return (c >= 'a' && c <= 'z') || (c >= 'A' && c <= 'Z'); }

std::string lower(std::string_view s) {
  std::string out(s);
  for (auto& c : out) c = static_cast<char>(std::tolower(static_cast<unsigned char>(c)));
  return out;
}

// Reads a run of digits at `pos` into `value`; false when absent or out of range.
bool read_number(std::string_view s, size_t& pos, uint32_t& value, std::string* error) {
  size_t start = pos;
  uint64_t v = 0;
  while (pos < s.size() && is_digit(s[pos])) {
    if (pos - start >= 8) {
      if (error) *error = "number too large";
      return false;
    }
    v = v * 10 + static_cast<uint64_t>(s[pos] - '0');
    ++pos;
  }
  if (pos == start) {
    if (error) *error = "expected a number";
    return false;
  }
  if (v > Version::kMaxComponent) {
    if (error) *error = "number too large";
    return false;
  }
  value = static_cast<uint32_t>(v);
  return true;
}

std::optional<Version::Stage> stage_from_word(std::string_view word) {
  std::string w = lower(word);
  if (w == "dev" || w == "snapshot") return Version::Stage::dev;
  if (w == "alpha" || w == "a") return Version::Stage::alpha;
  if (w == "beta" || w == "b") return Version::Stage::beta;
  if (w == "rc" || w == "c" || w == "pre") return Version::Stage::rc;
  if (w == "p" || w == "pl" || w == "patch" || w == "post") return Version::Stage::patch;
  return std::nullopt;
}

bool fail(std::string* error, std::string why) {
  if (error) *error = std::move(why);
  return false;
}

}  // namespace

std::string_view to_string(Version::Stage s) {
  static constexpr std::array<std::string_view, 6> kNames{"dev", "alpha", "beta",
                                                          "rc",  "",      "p"};
  return kNames[static_cast<size_t>(s)];
}

std::optional<Version> Version::parse(std::string_view text, std::string* error) {
  while (!text.empty() && std::isspace(static_cast<unsigned char>(text.front())))
    text.remove_prefix(1);
  while (!text.empty() && std::isspace(static_cast<unsigned char>(text.back())))
    text.remove_suffix(1);
  if (text.size() >= 2 && (text[0] == 'v' || text[0] == 'V') && is_digit(text[1]))
    text.remove_prefix(1);
  if (text.empty()) {
    fail(error, "empty version");
    return std::nullopt;
  }
  if (text.size() > kMaxLength) {
    fail(error, "version longer than " + std::to_string(kMaxLength) + " characters");
    return std::nullopt;
  }
  if (!is_digit(text[0])) {
    fail(error, "version must start with a digit");
    return std::nullopt;
  }

  Version v;
  v.text_ = std::string(text);
  size_t pos = 0;
  // Components: N(.N)* with an optional ".x" wildcard ending the list.
  for (;;) {
    uint32_t n = 0;
    if (!read_number(text, pos, n, error)) return std::nullopt;
    if (v.components_.size() == kMaxComponents) {
      fail(error, "more than " + std::to_string(kMaxComponents) + " components");
      return std::nullopt;
    }
    v.components_.push_back(n);
    if (pos < text.size() && text[pos] == '.' && pos + 1 < text.size()) {
      char next = text[pos + 1];
      if (is_digit(next)) {
        ++pos;
        continue;
      }
      if ((next == 'x' || next == 'X') &&
          (pos + 2 == text.size() || !is_alpha(text[pos + 2]))) {
        v.wildcard_ = true;
        pos += 2;
      }
    }
    break;
  }

  // Suffix: [sep] word [number] [-build] [-src]
  if (pos < text.size()) {
    if (text[pos] == '-' || text[pos] == '.' || text[pos] == '_' || text[pos] == '~' ||
        text[pos] == '+')
      ++pos;
    size_t wstart = pos;
    while (pos < text.size() && is_alpha(text[pos])) ++pos;
    auto stage = stage_from_word(text.substr(wstart, pos - wstart));
    if (!stage) {
      fail(error, "unrecognised suffix \"" + std::string(text.substr(wstart)) + "\"");
      return std::nullopt;
    }
    v.stage_ = *stage;
    if (pos < text.size() && text[pos] == '.' && pos + 1 < text.size() && is_digit(text[pos + 1]))
      ++pos;
    if (pos < text.size() && is_digit(text[pos]) &&
        !read_number(text, pos, v.stage_number_, error))
      return std::nullopt;
    if (pos + 1 < text.size() && text[pos] == '-' && is_digit(text[pos + 1])) {
      ++pos;
      if (!read_number(text, pos, v.build_, error)) return std::nullopt;
    }
    if (text.substr(pos) == "-src") pos = text.size();
    if (pos != text.size()) {
      fail(error, "unexpected \"" + std::string(text.substr(pos)) + "\" after the version");
      return std::nullopt;
    }
  }
  if (v.wildcard_ && ((v.stage_ != Stage::release && v.stage_ != Stage::dev) ||
                      v.stage_number_ != 0 || v.build_ != 0)) {
    fail(error, "a .x branch can only be a dev snapshot");
    return std::nullopt;
  }
  if (v.wildcard_) v.stage_ = Stage::dev;
  return v;
}

std::string Version::prefix(size_t n) const {
  std::string out;
  for (size_t i = 0; i < std::min(n, components_.size()); ++i) {
    if (i) out += '.';
    out += std::to_string(components_[i]);
  }
  return out;
}

std::string Version::to_string() const {
  std::string out = prefix(components_.size());
  if (wildcard_) return out + ".x-dev";
  if (stage_ == Stage::release) return out;
  out += '-';
  out += lookout::probes::to_string(stage_);
  if (stage_number_ || stage_ == Stage::patch) out += std::to_string(stage_number_);
  if (build_) out += "-" + std::to_string(build_);
  return out;
}

bool Version::in_branch(const Version& branch) const {
  const auto& b = branch.components_;
  if (b.size() > components_.size()) return false;
  return std::equal(b.begin(), b.end(), components_.begin());
}

int compare(const Version& a, const Version& b) {
  size_t n = std::max(a.components_.size(), b.components_.size());
  for (size_t i = 0; i < n; ++i) {
    uint32_t x = i < a.components_.size() ? a.components_[i] : 0;
    uint32_t y = i < b.components_.size() ? b.components_[i] : 0;
    if (x != y) return x < y ? -1 : 1;
  }
  if (a.stage_ != b.stage_) return a.stage_ < b.stage_ ? -1 : 1;
  if (a.stage_number_ != b.stage_number_) return a.stage_number_ < b.stage_number_ ? -1 : 1;
  if (a.build_ != b.build_) return a.build_ < b.build_ ? -1 : 1;
  return 0;
}

}  // namespace lookout::probes
