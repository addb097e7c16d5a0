// Config loading: YAML (JSON accepted) -> Config, collecting every error with file:line:col.
#pragma once

#include <optional>
#include <string>

#include "config/check_types.h"
#include "config/config.h"
#include "config/errors.h"

namespace lookout::config {

struct LoadResult {
  std::optional<Config> config;  // set only when there were no errors
  Errors errors;
};

/// Loads and validates a config file. `types` knows the check types and their options
/// (probes::check_types() in the agent).
LoadResult load_config_file(const std::string& path, const CheckTypes& types);
/// Same from text; `file` is used in messages. Never throws (bad input is an error entry).
LoadResult load_config_text(const std::string& text, const std::string& file,
                            const CheckTypes& types);
/// The same without streaming: the whole parse tree at once. load_config_text falls back to it
/// for documents it cannot stream; exposed so tests can compare both paths on the same text.
LoadResult load_config_text_whole(const std::string& text, const std::string& file,
                                  const CheckTypes& types);

}  // namespace lookout::config
