// libFuzzer target: probes::Version::parse and compare on arbitrary text. Whatever the bytes: no
// crash; a parsed version round-trips through to_string(), compares equal to itself, and orders
// consistently against a fixed set of real versions.
#include <cstddef>
#include <cstdint>
#include <cstdlib>
#include <string>

#include "probes/version.h"

using lookout::probes::Version;

extern "C" int LLVMFuzzerTestOneInput(const uint8_t* data, size_t size) {
  std::string text(reinterpret_cast<const char*>(data), size);
  std::string error;
  auto v = Version::parse(text, &error);
  if (!v) {
    if (error.empty()) std::abort();
    return 0;
  }
  if (v->components().empty() || v->components().size() > Version::kMaxComponents) std::abort();
  auto again = Version::parse(v->to_string());
  if (!again || compare(*again, *v) != 0) std::abort();
  if (compare(*v, *v) != 0) std::abort();
  for (const char* s : {"6.1.9", "10.2.0-rc1", "2.4.7-p3", "7.x-dev", "4.9", "6.7"}) {
    auto w = Version::parse(s);
    if (compare(*v, *w) != -compare(*w, *v)) std::abort();
  }
  return 0;
}
