#!/usr/bin/env bash
# Monthly reports (issue 13): a store with last month's hourly runs of 200 sites (one client)
# and of 50 clients x 20 sites; report generation time for the 200-site client in process
# (JSON and HTML, best of 3) and through `lookout report` (target < 2 s each), and
# `lookout report --all` for the 50 clients. One JSON line per figure.
set -euo pipefail
cd "$(dirname "$0")/../.."
BUILD_DIR=${BUILD_DIR:-build}
DIR=${REPORT_BENCH_DIR:-/tmp/lookout-report-bench}
cmake --build "$BUILD_DIR" --target report_load lookout >&2
"$BUILD_DIR/tests/bench/report_load" --dir "$DIR" --sites "${SITES:-200}" --clients "${CLIENTS:-50}" \
  --sites-per-client "${SITES_PER_CLIENT:-20}" | tee "$DIR.lines"
month=$(sed -n 's/.*"report_config","month":"\([0-9-]*\)".*/\1/p' "$DIR.lines")
rm -f "$DIR.lines"
elapsed() { python3 -c "import sys; print(f'{float(sys.argv[2]) - float(sys.argv[1]):.3f}')" "$1" "$2"; }
for format in json html; do
  t0=$(date +%s.%N)
  "$BUILD_DIR/lookout" report -c "$DIR/one.yaml" --client big --month "$month" --format "$format" \
    -o "$DIR/big.$format" 2>/dev/null
  t1=$(date +%s.%N)
  echo "{\"benchmark\":\"lookout_report_cli\",\"format\":\"$format\",\"metric\":\"seconds\",\"value\":$(elapsed "$t0" "$t1"),\"sites\":${SITES:-200}}"
done
t0=$(date +%s.%N)
"$BUILD_DIR/lookout" report -c "$DIR/all.yaml" --all --month "$month" --format html --out-dir "$DIR/all" \
  2>"$DIR/all.log"
t1=$(date +%s.%N)
echo "{\"benchmark\":\"lookout_report_all\",\"format\":\"html\",\"metric\":\"seconds\",\"value\":$(elapsed "$t0" "$t1"),\"clients\":${CLIENTS:-50},\"sites_per_client\":${SITES_PER_CLIENT:-20}}"
tail -1 "$DIR/all.log" >&2
