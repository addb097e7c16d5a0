// OptionMap: the per-type options of one check after inheritance
// (agent defaults -> client defaults -> site defaults -> check), read by the probe's parser.
// Every read is typed and validated; errors name the file/line/column of the layer the value
// came from. Keys nobody read are reported as unknown.
#pragma once

#include <chrono>
#include <cstdint>
#include <map>
#include <optional>
#include <set>
#include <string>
#include <vector>

#include <yaml-cpp/yaml.h>

#include "config/errors.h"

namespace lookout::config {

class OptionMap {
 public:
  /// A source layer: a YAML map and the key path it sits at (for messages).
  /// Later layers override earlier ones key by key.
  void add_layer(const YAML::Node& map, const std::string& path);

  bool has(const std::string& key) const;
  /// Raw node (marks it read). Undefined node when absent.
  YAML::Node node(const std::string& key);
  std::string path_of(const std::string& key) const;

  std::optional<std::string> get_string(const std::string& key, Errors& errors);
  std::optional<bool> get_bool(const std::string& key, Errors& errors);
  std::optional<int64_t> get_int(const std::string& key, Errors& errors, int64_t min, int64_t max);
  std::optional<double> get_double(const std::string& key, Errors& errors, double min, double max);
  std::optional<std::chrono::milliseconds> get_duration(const std::string& key, Errors& errors);
  /// A scalar or a sequence of scalars, as strings.
  std::optional<std::vector<std::string>> get_string_list(const std::string& key, Errors& errors);
  /// A map of string to string (e.g. headers).
  std::optional<std::map<std::string, std::string>> get_string_map(const std::string& key,
                                                                   Errors& errors);

  /// Record a problem about `key` at its position.
  void error(const std::string& key, const std::string& message, Errors& errors) const;
  /// Report every key no one read as "unknown key", with a "did you mean" among the keys that
  /// were asked for (read or not), plus `also_valid` for keys of the layer at `also_valid_path`
  /// (the check's own keys, read by the loader itself).
  void report_unknown(Errors& errors, const std::set<std::string>& also_valid = {},
                      const std::string& also_valid_path = "") const;
  /// A hash of the effective options (keys and values after inheritance), so a reload can tell
  /// a check whose options changed from one that did not.
  uint64_t fingerprint() const;

 private:
  struct Entry {
    YAML::Node key_node;
    YAML::Node value;
    std::string path;
  };
  std::map<std::string, Entry> entries_;
  mutable std::set<std::string> read_;
  mutable std::set<std::string> asked_;  // every key asked for, present or not: the valid keys
};

/// Reads `node` as a map, recording an error when it is not one.
bool expect_map(const YAML::Node& node, const std::string& path, Errors& errors);

}  // namespace lookout::config
