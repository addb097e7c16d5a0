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
free_port() { python3 -c 'import socket; s=socket.socket(); s.bind(("127.0.0.1",0)); print(s.getsockname()[1])'; }
AP=$(free_port)
cleanup() { kill ${AGENT:-} ${ESTATE:-} 2>/dev/null || true; sleep 0.5; rm -rf "$W"; }
trap cleanup EXIT

"$BUILD_DIR/tests/estate/lookout-estate" --base-port 0 --threads 1 --work-dir "$W/estate" \
  --print-endpoints >"$W/endpoints.json" 2>"$W/estate.log" &
ESTATE=$!
for _ in $(seq 100); do [ -s "$W/endpoints.json" ] && break; sleep 0.1; done
HTTP=$(python3 -c 'import json,sys; print(json.load(open(sys.argv[1]))["http"])' "$W/endpoints.json")

python3 - "$W/scale.yaml" "$CHECKS" "$AP" "$W" "$HTTP" <<'PY'
import sys
path, n, port, work, http = sys.argv[1], int(sys.argv[2]), sys.argv[3], sys.argv[4], sys.argv[5]
out = ["agent:", f"  listen: 127.0.0.1:{port}", f"  state_file: {work}/state.db", "  workers: 2",
       "  max_in_flight: 4000", "  per_host_limit: 4000",
       "defaults:", "  interval: 60s", "  timeout: 10s", "clients:"]
per_client = 100
for c in range((n + per_client - 1) // per_client):
    out += [f"  - id: c{c}", "    sites:"]
    for s in range(min(per_client, n - c * per_client)):
        out += [f"      - id: s{s}", f"        url: {http}/ok?c={c}&s={s}", "        checks: [{type: http}]"]
open(path, "w").write("\n".join(out) + "\n")
PY

"$BUILD_DIR/lookout" run -c "$W/scale.yaml" >"$W/agent.log" 2>&1 &
AGENT=$!
for _ in $(seq 600); do curl -sf "http://127.0.0.1:$AP/healthz" >/dev/null && break; sleep 0.1; done
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
