// libFuzzer target: the Wordfence Intelligence vulnerability feed parser
// (probes::parse_wordfence_feed) and matching against what it kept. No crash, no exception;
// a result is either a feed or an error; every kept slug is plain and every match bounded.
#include <cstddef>
#include <cstdint>
#include <cstdlib>
#include <string>

#include "probes/version.h"
#include "probes/vuln_feed.h"

using namespace lookout::probes;

extern "C" int LLVMFuzzerTestOneInput(const uint8_t* data, size_t size) {
  const std::string body(reinterpret_cast<const char*>(data), size);
  auto p = parse_wordfence_feed(body, 1 << 20);
  if (!p.feed == p.error.empty()) std::abort();
  if (!p.feed) return 0;
  static const Version kVersions[] = {*Version::parse("1.0"), *Version::parse("5.3.1"),
                                      *Version::parse("6.0-beta1")};
  for (const auto& [key, vs] : p.feed->by_component) {
    auto bar = key.find('|');
    if (bar == std::string::npos) std::abort();
    const std::string kind = key.substr(0, bar), slug = key.substr(bar + 1);
    if ((kind != "plugin" && kind != "theme") || slug.empty() || slug.size() > 100 ||
        slug.find('/') != std::string::npos || slug.find("..") != std::string::npos)
      std::abort();
    for (const auto& v : kVersions) {
      auto ms = match_component(*p.feed, kind, slug, v);
      if (ms.size() > 20) std::abort();
      for (const auto& m : ms)
        if (m.fixed_in && !(*Version::parse(*m.fixed_in) > v)) std::abort();
    }
  }
  return 0;
}
