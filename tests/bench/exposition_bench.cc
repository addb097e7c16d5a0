// Exposition parsing throughput on a generated 10 MB node_exporter-style payload (issue target:
// >= 100 MB/s on one core). Run by scripts/bench.d/40-exposition.sh.
#include <benchmark/benchmark.h>

#include <string>
#include <string_view>

#include "probes/disk_probe.h"
#include "probes/exposition_parser.h"
#include "tests/estate/node_exporter.h"

namespace {

using lookout::probes::ExpositionParser;
using lookout::probes::ExpositionSample;

const std::string& payload() {
  static const std::string p = lookout::estate::node_exporter_payload(10'000'000);
  return p;
}

/// The parser alone, fed in chunks the size the HTTP client hands over (16 KiB) or at once.
void BM_ExpositionParse(benchmark::State& state) {
  const std::string& text = payload();
  const size_t chunk = static_cast<size_t>(state.range(0));
  size_t samples = 0;
  for (auto _ : state) {
    double sum = 0;
    ExpositionParser parser(
        [&](const ExpositionSample& s) {
          sum += s.value;
          return true;
        },
        {.max_bytes = 64u << 20});
    for (size_t at = 0; at < text.size(); at += chunk)
      parser.feed(std::string_view(text).substr(at, chunk));
    if (!parser.finish()) state.SkipWithError(parser.first_error().c_str());
    samples = parser.samples();
    benchmark::DoNotOptimize(sum);
  }
  state.SetBytesProcessed(static_cast<int64_t>(state.iterations() * text.size()));
  state.counters["samples"] = static_cast<double>(samples);
  state.counters["payload_MB"] = static_cast<double>(text.size()) / 1e6;
}
BENCHMARK(BM_ExpositionParse)->Arg(16 << 10)->Arg(10'000'000)->Unit(benchmark::kMillisecond);

/// What the disk probe does with a scrape: parse and collect node_filesystem_* per mount.
void BM_NodeFilesystemScrape(benchmark::State& state) {
  const std::string& text = payload();
  for (auto _ : state) {
    lookout::probes::NodeFilesystemScrape scrape(64u << 20);
    for (size_t at = 0; at < text.size(); at += 16 << 10)
      scrape.feed(std::string_view(text).substr(at, 16 << 10));
    if (!scrape.finish()) state.SkipWithError(scrape.parser().first_error().c_str());
    benchmark::DoNotOptimize(scrape.readings().size());
  }
  state.SetBytesProcessed(static_cast<int64_t>(state.iterations() * text.size()));
}
BENCHMARK(BM_NodeFilesystemScrape)->Unit(benchmark::kMillisecond);

}  // namespace

BENCHMARK_MAIN();
