// config::CheckTypes: what the loader needs to know about check types, as an interface, so
// config/ does not depend on probes/: the probes layer implements it (probes::check_types())
// and callers pass it to the loader.
#pragma once

#include <memory>
#include <string>
#include <string_view>
#include <vector>

#include "config/check_spec.h"
#include "config/errors.h"
#include "config/options.h"

namespace lookout::probes {
class Probe;  // built by the probes layer; config only holds it
}

namespace lookout::config {

class CheckTypes {
 public:
  virtual ~CheckTypes() = default;
  virtual bool has(std::string_view type) const = 0;
  /// Every type name, in registry order ("http", "tls", ...).
  virtual std::vector<std::string> names() const = 0;
  /// Reads spec.type's options from `options` (filling defaults such as the target) and returns
  /// the probe; nullptr after adding errors when they are invalid. Must not report unknown keys.
  virtual std::shared_ptr<probes::Probe> build(CheckSpec& spec, OptionMap& options,
                                               Errors& errors) const = 0;
};

}  // namespace lookout::config
