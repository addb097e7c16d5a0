#!/usr/bin/env bash
# Exposition parsing throughput (issue 4): the streaming parser on a generated 10 MB
# node_exporter-style payload, on one core. Prints one JSON line per figure on stdout:
#   {"benchmark":"exposition_parse","metric":"MB_per_s","value":...}
# Uses $BUILD_DIR (default build/, an optimised build); builds the benchmark if needed.
set -euo pipefail
cd "$(dirname "$0")/../.."
BUILD_DIR=${BUILD_DIR:-build}
if [ ! -f "$BUILD_DIR/build.ninja" ] && [ ! -f "$BUILD_DIR/Makefile" ]; then
  cmake -S . -B "$BUILD_DIR" -G Ninja -DCMAKE_BUILD_TYPE=${BUILD_TYPE:-RelWithDebInfo} >/dev/null
fi
cmake --build "$BUILD_DIR" --target exposition_bench >&2
BIN="$BUILD_DIR/tests/bench/exposition_bench"
OUT=$(mktemp)
trap 'rm -f "$OUT"' EXIT
# One core: the figure is per core, and the other core stays free for the rest of the run.
taskset -c 0 "$BIN" --benchmark_format=json --benchmark_min_time=1 \
  --benchmark_repetitions=${REPETITIONS:-3} --benchmark_report_aggregates_only=true >"$OUT"
python3 - "$OUT" <<'PY'
import json, sys
data = json.load(open(sys.argv[1]))
names = {
    "BM_ExpositionParse/16384_median": "exposition_parse",
    "BM_ExpositionParse/10000000_median": "exposition_parse_one_buffer",
    "BM_NodeFilesystemScrape_median": "exposition_disk_scrape",
}
for b in data["benchmarks"]:
    name = names.get(b["name"])
    if name:
        print(json.dumps({"benchmark": name, "metric": "MB_per_s",
                          "value": round(b["bytes_per_second"] / 1e6, 1)}))
PY
