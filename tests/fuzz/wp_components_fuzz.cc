// libFuzzer target: WordPress plugin and theme detection (probes::find_components,
// wp_component_of_path) and the plugin/theme directory's info API reply
// (probes::parse_directory_info). The first byte picks what the bytes are: a home page, a
// theme's style.css, a plugin's readme.txt, an asset path, or a directory reply. No crash, no
// exception; every component is bounded and has a plain slug and a parseable version.
#include <cstddef>
#include <cstdint>
#include <cstdlib>
#include <string>

#include "probes/cms_detector.h"
#include "probes/version.h"
#include "probes/wp_directory.h"

using namespace lookout::probes;

namespace {
void check_slug(const std::string& s) {
  if (s.empty() || s.size() > 100 || s.find("..") != std::string::npos ||
      s.find('/') != std::string::npos || s.find('%') != std::string::npos)
    std::abort();
}
}  // namespace

extern "C" int LLVMFuzzerTestOneInput(const uint8_t* data, size_t size) {
  if (size == 0) return 0;
  const std::string body(reinterpret_cast<const char*>(data + 1), size - 1);
  switch (data[0] % 5) {
    case 0:
    case 1:
    case 2: {
      static const char* kPaths[] = {"/", "/wp-content/themes/fuzz/style.css",
                                     "/wp-content/plugins/fuzz/readme.txt"};
      Document d;
      d.path = kPaths[data[0] % 3];
      d.url = "http://fuzz.example" + d.path;
      d.status = 200;
      d.body = body;
      auto cs = find_components(d);
      if (cs.size() > kMaxComponents) std::abort();
      for (const auto& c : cs) {
        check_slug(c.slug);
        if (c.kind != "plugin" && c.kind != "theme") std::abort();
        if (!c.version.empty() && (c.version.size() > 32 || !Version::parse(c.version))) std::abort();
      }
      std::vector<Component> more;
      (void)find_markers(d, &more);
      if (more.size() > kMaxComponents) std::abort();
      break;
    }
    case 3: {
      std::string kind, slug;
      if (wp_component_of_path(body, kind, slug)) check_slug(slug);
      break;
    }
    case 4: {
      auto a = parse_directory_info(body);
      if (a.latest && (a.latest->size() > 32 || !Version::parse(*a.latest))) std::abort();
      if (!a.latest && a.error.empty()) std::abort();
      if (a.error.size() > 200) std::abort();
      break;
    }
  }
  return 0;
}
