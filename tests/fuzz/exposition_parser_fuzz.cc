// libFuzzer target: the streaming exposition parser and the disk probe's use of it.
// Whatever the bytes: no crash, memory bounded by the limits, and the same samples and errors
// whether the input arrives at once or in chunks (the first byte picks the chunk size), so a
// sample split across chunks can never parse differently.
#include <chrono>
#include <cmath>
#include <cstddef>
#include <cstdint>
#include <cstring>
#include <string>
#include <string_view>
#include <vector>

#include "probes/disk_probe.h"
#include "probes/exposition_parser.h"

using namespace lookout::probes;

namespace {

struct Digest {
  size_t samples = 0, bad = 0, labels = 0, lines = 0;
  double values = 0;  // sum of the bit patterns' low bits, NaN-safe
  bool limit = false;
  std::string first_error;
  bool operator==(const Digest&) const = default;
};

Digest parse(std::string_view input, size_t chunk) {
  Digest d;
  ExpositionParserOptions o;
  o.max_bytes = 1 << 16;
  o.max_line_bytes = 1 << 12;
  o.max_labels = 16;
  ExpositionParser p(
      [&](const ExpositionSample& s) {
        d.labels += s.labels.size();
        uint64_t bits;
        std::memcpy(&bits, &s.value, sizeof bits);
        d.values += static_cast<double>(bits & 0xffff);
        for (const auto& l : s.labels) d.labels += l.name.size() + l.value.size();
        return true;
      },
      o);
  for (size_t at = 0; at < input.size(); at += chunk) p.feed(input.substr(at, chunk));
  p.finish();
  d.samples = p.samples();
  d.bad = p.bad_lines();
  d.lines = p.lines();
  d.limit = p.limit_exceeded();
  d.first_error = p.first_error();
  return d;
}

}  // namespace

extern "C" int LLVMFuzzerTestOneInput(const uint8_t* data, size_t size) {
  if (size == 0) return 0;
  size_t chunk = 1 + data[0] % 64;
  std::string_view input(reinterpret_cast<const char*>(data) + 1, size - 1);

  Digest whole = parse(input, input.size() + 1);
  Digest chunked = parse(input, chunk);
  if (!(whole == chunked)) __builtin_trap();

  // The disk probe's path: collect node_filesystem_* and evaluate whatever numbers came out.
  NodeFilesystemScrape scrape(1 << 16);
  for (size_t at = 0; at < input.size(); at += chunk) scrape.feed(input.substr(at, chunk));
  scrape.finish();
  DiskOptions o;
  o.remote = true;
  MemoryHistory history;
  auto now = std::chrono::system_clock::now();
  history.record("k", "disk_free:/", now - std::chrono::hours(1), 1e9);
  Result r = evaluate_disk(o, scrape.readings(), &history, "k", now);
  (void)r.to_json().dump();
  return 0;
}
