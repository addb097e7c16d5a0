#include "config/errors.h"

#include <algorithm>
#include <cctype>
#include <limits>

namespace lookout::config {

std::string ConfigError::to_string() const {
  std::string s;
  s.reserve(file.size() + path.size() + message.size() + 32);
  s.append(file);
  if (line > 0) {
    s.append(":").append(std::to_string(line));
    s.append(":").append(std::to_string(column));
  }
  s.append(": ");
  if (!path.empty()) s.append(path).append(": ");
  s.append(message);
  return s;
}

void Errors::add(const YAML::Node& node, const std::string& path, const std::string& message) {
  YAML::Mark mark = YAML::Mark::null_mark();
  if (node.IsDefined()) mark = node.Mark();
  add_at(mark, path, message);
}

void Errors::add_at(const YAML::Mark& mark, const std::string& path, const std::string& message) {
  ConfigError e{file_, mark.is_null() ? 0 : mark.line + 1, mark.is_null() ? 0 : mark.column + 1,
                path, message};
  // The same defaults block is read once per check that inherits it: report it once.
  for (const auto& existing : errors_)
    if (existing.line == e.line && existing.column == e.column && existing.path == e.path &&
        existing.message == e.message)
      return;
  // Sorted by position: after every error at or before this one (line 0 = no position: last).
  auto key = [](const ConfigError& x) {
    return std::pair(x.line > 0 ? x.line : std::numeric_limits<int>::max(), x.line > 0 ? x.column : 0);
  };
  auto at = std::upper_bound(errors_.begin(), errors_.end(), e,
                             [&](const ConfigError& a, const ConfigError& b) { return key(a) < key(b); });
  errors_.insert(at, std::move(e));
}

std::string Errors::to_string() const {
  std::string out;
  for (const auto& e : errors_) out += e.to_string() + "\n";
  return out;
}

namespace {

std::string lower(std::string s) {
  for (auto& c : s) c = static_cast<char>(std::tolower(static_cast<unsigned char>(c)));
  return s;
}

// Optimal string alignment distance (Levenshtein plus swaps of neighbours).
size_t edit_distance(const std::string& a, const std::string& b) {
  std::vector<std::vector<size_t>> d(a.size() + 1, std::vector<size_t>(b.size() + 1));
  for (size_t i = 0; i <= a.size(); ++i) d[i][0] = i;
  for (size_t j = 0; j <= b.size(); ++j) d[0][j] = j;
  for (size_t i = 1; i <= a.size(); ++i)
    for (size_t j = 1; j <= b.size(); ++j) {
      size_t cost = a[i - 1] == b[j - 1] ? 0 : 1;
      d[i][j] = std::min({d[i - 1][j] + 1, d[i][j - 1] + 1, d[i - 1][j - 1] + cost});
      if (i > 1 && j > 1 && a[i - 1] == b[j - 2] && a[i - 2] == b[j - 1])
        d[i][j] = std::min(d[i][j], d[i - 2][j - 2] + 1);
    }
  return d[a.size()][b.size()];
}

}  // namespace

std::string suggest_key(const std::string& key, const std::set<std::string>& valid) {
  if (key.empty() || key.size() > 64) return "";
  const std::string lkey = lower(key);
  for (const auto& v : valid)
    if (lower(v) == lkey) return v;
  std::string best;
  size_t best_distance = 3;
  for (const auto& v : valid) {
    size_t d = edit_distance(lkey, lower(v));
    // A short key two edits away from another short key is no near miss ("ab" vs "id").
    if (d < best_distance && d < key.size() && d < v.size()) {
      best = v;
      best_distance = d;
    }
  }
  return best;
}

std::string unknown_key_message(const std::string& key, const std::set<std::string>& valid) {
  std::string near = suggest_key(key, valid);
  return near.empty() ? "unknown key" : "unknown key (did you mean '" + near + "'?)";
}

}  // namespace lookout::config
