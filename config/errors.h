// Config errors: every problem is collected (not just the first) and printed as
// FILE:LINE:COL: key.path: message
#pragma once

#include <set>
#include <string>
#include <vector>

#include <yaml-cpp/yaml.h>

namespace lookout::config {

struct ConfigError {
  std::string file;
  int line = 0;    // 1-based; 0 when unknown
  int column = 0;  // 1-based; 0 when unknown
  std::string path;  // key path, e.g. clients[0].sites[1].checks[0].interval
  std::string message;
  std::string to_string() const;
};

class Errors {
 public:
  explicit Errors(std::string file = "<config>") : file_(std::move(file)) {}
  /// Record a problem at the node's position (node may be null/undefined: position unknown).
  void add(const YAML::Node& node, const std::string& path, const std::string& message);
  void add_at(const YAML::Mark& mark, const std::string& path, const std::string& message);
  bool empty() const { return errors_.empty(); }
  size_t size() const { return errors_.size(); }
  /// Sorted by position (line, column); errors without a position come last. Equal positions
  /// keep the order they were added in.
  const std::vector<ConfigError>& list() const { return errors_; }
  const std::string& file() const { return file_; }
  std::string to_string() const;  // one error per line

 private:
  std::string file_;
  std::vector<ConfigError> errors_;
};

/// For an unknown key: the valid key it is most likely a typo of (a case difference, or an edit
/// distance of at most 2 counting a swap of neighbours as one edit), or "" when none is close.
std::string suggest_key(const std::string& key, const std::set<std::string>& valid);

/// "unknown key" plus " (did you mean 'X'?)" when suggest_key finds one.
std::string unknown_key_message(const std::string& key, const std::set<std::string>& valid);

}  // namespace lookout::config
