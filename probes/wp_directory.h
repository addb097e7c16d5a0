// The WordPress.org plugin and theme directory's info API (plugins/info/1.2,
// themes/info/1.2): the latest version of a plugin or theme by slug. The reply's field set is
// undocumented and drifts, so it is read defensively: an object with a string `version`, or an
// `error` (unknown or closed slug). Answers are cached per process (shared by every patch
// check), for a day, and dropped when the catalogue is refreshed. Pure parsing is separate from
// the cache so it can be fuzzed.
#pragma once

#include <chrono>
#include <optional>
#include <string>
#include <string_view>

namespace lookout::probes {

struct DirectoryAnswer {
  std::optional<std::string> latest;  // the directory's current version
  std::string error;                  // why not: "not in the WordPress.org directory (...)"
};

/// Reads an info API reply. Bounded: a reply over 2 MiB or of the wrong shape is an error.
DirectoryAnswer parse_directory_info(std::string_view json);

/// `<api>/plugins/info/1.2/?action=plugin_information&request[slug]=<slug>&request[fields]...`
/// (brackets percent-encoded), or the themes equivalent. `kind` is "plugin" or "theme".
std::string directory_info_url(std::string_view api_base, std::string_view kind,
                               std::string_view slug);

/// Process-wide cache of answers, keyed by api base, kind and slug.
class DirectoryCache {
 public:
  static DirectoryCache& instance();
  std::optional<DirectoryAnswer> get(const std::string& key,
                                     std::chrono::steady_clock::time_point now);
  void put(const std::string& key, DirectoryAnswer answer,
           std::chrono::steady_clock::time_point now);
  void clear();
  static constexpr size_t kMaxEntries = 20'000;
  static constexpr std::chrono::hours kTtl{24};
};

}  // namespace lookout::probes
