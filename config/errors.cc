#include "config/errors.h"

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
  errors_.push_back(std::move(e));
}

std::string Errors::to_string() const {
  std::string out;
  for (const auto& e : errors_) out += e.to_string() + "\n";
  return out;
}

}  // namespace lookout::config
