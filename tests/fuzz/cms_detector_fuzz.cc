// libFuzzer target: the CMS detector (probes::find_markers + combine_markers) on arbitrary
// documents. The first byte picks the path the bytes were fetched from (home page, feed,
// readme, changelog, manifest, Magento and CKAN endpoints), so every parser (gumbo HTML,
// pugixml XML, JSON, plain text) sees the input. No crash, no exception, sane output.
#include <cstddef>
#include <cstdint>
#include <cstdlib>
#include <string>

#include "probes/cms_detector.h"
#include "probes/version.h"

using namespace lookout::probes;

extern "C" int LLVMFuzzerTestOneInput(const uint8_t* data, size_t size) {
  static const char* kPaths[] = {"/", "/feed/", "/readme.html", "/CHANGELOG.txt",
                                 "/core/CHANGELOG.txt", "/administrator/manifests/files/joomla.xml",
                                 "/magento_version", "/api/3/action/status_show"};
  if (size == 0) return 0;
  Document d;
  d.path = kPaths[data[0] % (sizeof kPaths / sizeof kPaths[0])];
  d.url = "http://fuzz.example" + d.path;
  d.status = 200;
  d.body.assign(reinterpret_cast<const char*>(data + 1), size - 1);
  // Headers come from the body's first line, so header parsing is fuzzed too.
  size_t nl = d.body.find('\n');
  std::string line = d.body.substr(0, nl == std::string::npos ? 0 : nl);
  if (size_t colon = line.find(':'); colon != std::string::npos)
    d.headers.emplace_back(line.substr(0, colon), line.substr(colon + 1));
  auto markers = find_markers(d);
  for (const auto& m : markers) {
    if (m.weight < 0 || m.weight > 100) std::abort();
    if (!m.version.empty() && !Version::parse(m.version)) std::abort();
  }
  Detection det = combine_markers(markers);
  if (det.confidence < 0 || det.confidence > 100) std::abort();
  if (!det.version.empty() && det.product.empty()) std::abort();
  std::vector<std::string> fetched{d.path};
  (void)next_path(markers, fetched);
  return 0;
}
