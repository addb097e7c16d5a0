#!/usr/bin/env bash
# Scale (issue 2): 100,000 configured HTTP checks on a 60 s interval against the local estate
# for $DURATION seconds (default 300): peak RSS, p99 scheduling lag (from the agent's
# lookout_scheduling_lag_seconds histogram), missed and completed runs. One JSON line per figure.
set -euo pipefail
cd "$(dirname "$0")/../.."
BUILD_DIR=${BUILD_DIR:-build}
CHECKS=${CHECKS:-100000}
DURATION=${DURATION:-300}
cmake --build "$BUILD_DIR" --target lookout lookout-estate >&2
W=$(mktemp -d /tmp/lookout-bench-scale-XXXXXX)
source scripts/bench-estate.sh
start_estate
write_http_config "$CHECKS" 60s 4000

start_agent
echo "scale: $CHECKS checks loaded, measuring for $DURATION s" >&2
START=$(date +%s)
sleep "$DURATION"
curl -sf "http://127.0.0.1:$AP/metrics" >"$W/metrics.txt"
HWM=$(awk '/VmHWM/ {print $2}' "/proc/$AGENT/status")
RSS=$(awk '/VmRSS/ {print $2}' "/proc/$AGENT/status")
python3 - "$W/metrics.txt" "$HWM" "$RSS" "$CHECKS" "$DURATION" <<'PY'
import json, re, sys
text = open(sys.argv[1]).read()
hwm_kb, rss_kb, n, dur = int(sys.argv[2]), int(sys.argv[3]), int(sys.argv[4]), int(sys.argv[5])
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
runs = sum(float(v) for v in re.findall(r'^lookout_check_runs_total\{status="[a-z]+"\} (\S+)$', text, re.M))
ok = value("lookout_check_runs_total", '{status="ok"}')
rows = [
  ("checks_configured", value("lookout_checks_configured")),
  ("peak_rss_mb", hwm_kb / 1024), ("rss_mb", rss_kb / 1024),
  ("p99_scheduling_lag_seconds_upper_bound", p99),
  ("runs_started", total), ("runs_completed", runs), ("runs_ok", ok),
  ("runs_expected", n * dur / 60.0),
  ("missed_runs", value("lookout_check_missed_runs_total")),
  ("deferred_runs", value("lookout_check_deferred_runs_total")),
]
for metric, v in rows:
    print(json.dumps({"benchmark": "scale_100k_checks", "metric": metric, "value": v,
                      "duration_s": dur}))
PY
