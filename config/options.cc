#include "config/options.h"

#include <cmath>

#include "config/duration.h"

namespace lookout::config {

bool expect_map(const YAML::Node& node, const std::string& path, Errors& errors) {
  if (!node.IsDefined() || node.IsNull()) return false;
  if (!node.IsMap()) {
    errors.add(node, path, "expected a map");
    return false;
  }
  return true;
}

void OptionMap::add_layer(const YAML::Node& map, const std::string& path) {
  if (!map.IsDefined() || !map.IsMap()) return;
  for (const auto& kv : map) {
    std::string key = kv.first.Scalar();
    entries_[key] = Entry{kv.first, kv.second, path.empty() ? key : path + "." + key};
  }
}

bool OptionMap::has(const std::string& key) const {
  asked_.insert(key);
  return entries_.count(key) != 0;
}

YAML::Node OptionMap::node(const std::string& key) {
  asked_.insert(key);
  auto it = entries_.find(key);
  if (it == entries_.end()) return YAML::Node(YAML::NodeType::Undefined);
  read_.insert(key);
  return it->second.value;
}

std::string OptionMap::path_of(const std::string& key) const {
  auto it = entries_.find(key);
  return it == entries_.end() ? key : it->second.path;
}

void OptionMap::error(const std::string& key, const std::string& message, Errors& errors) const {
  auto it = entries_.find(key);
  if (it == entries_.end()) {
    errors.add(YAML::Node(YAML::NodeType::Undefined), key, message);
    return;
  }
  errors.add(it->second.value, it->second.path, message);
}

std::optional<std::string> OptionMap::get_string(const std::string& key, Errors& errors) {
  YAML::Node n = node(key);
  if (!n.IsDefined()) return std::nullopt;
  if (!n.IsScalar()) {
    error(key, "expected a string", errors);
    return std::nullopt;
  }
  return n.Scalar();
}

std::optional<bool> OptionMap::get_bool(const std::string& key, Errors& errors) {
  YAML::Node n = node(key);
  if (!n.IsDefined()) return std::nullopt;
  bool value = false;
  if (!n.IsScalar() || !YAML::convert<bool>::decode(n, value)) {
    error(key, "expected true or false", errors);
    return std::nullopt;
  }
  return value;
}

std::optional<int64_t> OptionMap::get_int(const std::string& key, Errors& errors, int64_t min,
                                          int64_t max) {
  YAML::Node n = node(key);
  if (!n.IsDefined()) return std::nullopt;
  int64_t value = 0;
  if (!n.IsScalar() || !YAML::convert<int64_t>::decode(n, value)) {
    error(key, "expected a whole number", errors);
    return std::nullopt;
  }
  if (value < min || value > max) {
    error(key, "must be between " + std::to_string(min) + " and " + std::to_string(max), errors);
    return std::nullopt;
  }
  return value;
}

std::optional<double> OptionMap::get_double(const std::string& key, Errors& errors, double min,
                                            double max) {
  YAML::Node n = node(key);
  if (!n.IsDefined()) return std::nullopt;
  double value = 0;
  if (!n.IsScalar() || !YAML::convert<double>::decode(n, value) || std::isnan(value)) {
    error(key, "expected a number", errors);
    return std::nullopt;
  }
  if (value < min || value > max) {
    error(key, "must be between " + std::to_string(min) + " and " + std::to_string(max), errors);
    return std::nullopt;
  }
  return value;
}

std::optional<std::chrono::milliseconds> OptionMap::get_duration(const std::string& key,
                                                                 Errors& errors) {
  YAML::Node n = node(key);
  if (!n.IsDefined()) return std::nullopt;
  std::optional<std::chrono::milliseconds> d;
  if (n.IsScalar()) d = parse_duration(n.Scalar());
  if (!d) {
    error(key, "bad duration '" + (n.IsScalar() ? n.Scalar() : std::string("<non-scalar>")) +
                   "' (use e.g. 500ms, 10s, 5m, 1h)",
          errors);
    return std::nullopt;
  }
  return d;
}

std::optional<std::vector<std::string>> OptionMap::get_string_list(const std::string& key,
                                                                   Errors& errors) {
  YAML::Node n = node(key);
  if (!n.IsDefined()) return std::nullopt;
  std::vector<std::string> out;
  if (n.IsScalar()) {
    out.push_back(n.Scalar());
    return out;
  }
  if (!n.IsSequence()) {
    error(key, "expected a list", errors);
    return std::nullopt;
  }
  for (const auto& item : n) {
    if (!item.IsScalar()) {
      error(key, "expected a list of strings", errors);
      return std::nullopt;
    }
    out.push_back(item.Scalar());
  }
  return out;
}

std::optional<std::map<std::string, std::string>> OptionMap::get_string_map(
    const std::string& key, Errors& errors) {
  YAML::Node n = node(key);
  if (!n.IsDefined()) return std::nullopt;
  if (!n.IsMap()) {
    error(key, "expected a map", errors);
    return std::nullopt;
  }
  std::map<std::string, std::string> out;
  for (const auto& kv : n) {
    if (!kv.second.IsScalar()) {
      error(key, "value of '" + kv.first.Scalar() + "' must be a string", errors);
      continue;
    }
    out[kv.first.Scalar()] = kv.second.Scalar();
  }
  return out;
}

void OptionMap::report_unknown(Errors& errors, const std::set<std::string>& also_valid,
                               const std::string& also_valid_path) const {
  for (const auto& [key, entry] : entries_) {
    if (read_.count(key)) continue;
    std::set<std::string> valid = asked_;
    if (!also_valid.empty() &&
        entry.path == (also_valid_path.empty() ? key : also_valid_path + "." + key))
      valid.insert(also_valid.begin(), also_valid.end());
    errors.add(entry.key_node, entry.path, unknown_key_message(key, valid));
  }
}

uint64_t OptionMap::fingerprint() const {
  uint64_t h = 1469598103934665603ULL;  // FNV-1a over "key=value\n" in key order
  auto mix = [&h](const std::string& text) {
    for (unsigned char c : text) {
      h ^= c;
      h *= 1099511628211ULL;
    }
  };
  for (const auto& [key, entry] : entries_) {
    YAML::Emitter out;
    out << YAML::Flow << entry.value;
    mix(key + "=" + (out.good() ? std::string(out.c_str()) : std::string()) + "\n");
  }
  return h;
}

}  // namespace lookout::config
