#!/usr/bin/env bash
# Start-up (issue 9): 100,000 HTTP checks with no stored results, on a 10 min interval, so that
# without the warm-up their first runs would be spread over 10 minutes. Measures the time until
# every check has a first result (the lookout_check_status series on /metrics, polled), the p99
# scheduling lag meanwhile, the highest in-flight count seen against max_in_flight (2,000, the
# default), deferred and missed runs. One JSON line per figure.
set -euo pipefail
cd "$(dirname "$0")/../.."
BUILD_DIR=${BUILD_DIR:-build}
CHECKS=${CHECKS:-100000}
LIMIT=${LIMIT:-240}
cmake --build "$BUILD_DIR" --target lookout lookout-estate >&2
W=$(mktemp -d /tmp/lookout-bench-startup-XXXXXX)
source scripts/bench-estate.sh
start_estate
write_http_config "$CHECKS" 10m 2000

start_agent
START=$(date +%s.%N)
echo "startup: $CHECKS checks loaded; polling until every check has a result (limit $LIMIT s)" >&2
MAX_IN_FLIGHT=0
DONE=""
while :; do
  curl -sf "http://127.0.0.1:$AP/metrics" >"$W/metrics.txt" || true
  N=$(grep -c '^lookout_check_status{' "$W/metrics.txt" || true)
  F=$(awk '/^lookout_checks_in_flight / {printf "%d", $2}' "$W/metrics.txt")
  [ "${F:-0}" -gt "$MAX_IN_FLIGHT" ] && MAX_IN_FLIGHT=$F
  NOW=$(date +%s.%N)
  ELAPSED=$(python3 -c "print(round($NOW - $START, 1))")
  echo "  t=${ELAPSED}s checks with a result: $N, in flight: ${F:-0}" >&2
  if [ "$N" -ge "$CHECKS" ]; then DONE=$ELAPSED; break; fi
  python3 -c "import sys; sys.exit(0 if $NOW - $START < $LIMIT else 1)" || break
  sleep 2
done
python3 - "$W/metrics.txt" "$CHECKS" "${DONE:-null}" "$MAX_IN_FLIGHT" <<'PY'
import json, re, sys
text = open(sys.argv[1]).read()
n, done, max_seen = int(sys.argv[2]), sys.argv[3], int(sys.argv[4])
def value(name, labels=""):
    m = re.search(r"^" + re.escape(name) + re.escape(labels) + r" (\S+)$", text, re.M)
    return float(m.group(1)) if m else 0.0
buckets = [(float(le), float(v)) for le, v in re.findall(
    r'^lookout_scheduling_lag_seconds_bucket\{le="([^"]+)"\} (\S+)$', text, re.M)]
total = value("lookout_scheduling_lag_seconds_count")
p99 = None
for le, cum in sorted(buckets):
    if total and cum / total >= 0.99:
        p99 = le
        break
rows = [
  ("checks_configured", value("lookout_checks_configured")),
  ("seconds_until_every_check_has_a_result", None if done == "null" else float(done)),
  ("p99_scheduling_lag_seconds_upper_bound", p99),
  ("max_in_flight_seen", max_seen), ("max_in_flight_limit", 2000),
  ("deferred_runs", value("lookout_check_deferred_runs_total")),
  ("missed_runs", value("lookout_check_missed_runs_total")),
]
for metric, v in rows:
    print(json.dumps({"benchmark": "startup_100k_checks", "metric": metric, "value": v}))
PY
