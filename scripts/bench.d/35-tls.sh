#!/usr/bin/env bash
# TLS checks per second (issue 3): the TLS probe (full handshake, chain verification against the
# estate CA, hostname check, fact extraction) against the estate's valid TLS endpoint, at a fixed
# concurrency on one worker thread. One JSON line per figure.
set -euo pipefail
cd "$(dirname "$0")/../.."
BUILD_DIR=${BUILD_DIR:-build}
CONC=${CONC:-32}
SECS=${SECS:-10}
cmake --build "$BUILD_DIR" --target probe_load lookout-estate >&2
W=$(mktemp -d /tmp/lookout-bench-tls-XXXXXX)
cleanup() { kill ${ESTATE:-} 2>/dev/null || true; sleep 0.3; rm -rf "$W"; }
trap cleanup EXIT
"$BUILD_DIR/tests/estate/lookout-estate" --base-port 0 --threads 1 --work-dir "$W/estate" \
  --print-endpoints >"$W/endpoints.json" 2>"$W/estate.log" &
ESTATE=$!
for _ in $(seq 100); do [ -s "$W/endpoints.json" ] && break; sleep 0.1; done
read -r TARGET CA < <(python3 -c 'import json,sys; e=json.load(open(sys.argv[1])); print(e["tls_valid"], e["ca_file"])' "$W/endpoints.json")
OUT=$("$BUILD_DIR/tests/bench/probe_load" --type tls --target "$TARGET" --option "ca_file=$CA" \
  --concurrency "$CONC" --threads 1 --seconds "$SECS")
python3 - "$OUT" "$CONC" <<'PY'
import json, sys
r, conc = json.loads(sys.argv[1]), int(sys.argv[2])
for metric in ("probes_per_s", "cpu_us_per_probe", "failures"):
    print(json.dumps({"benchmark": "tls_probe", "metric": metric, "value": r[metric], "concurrency": conc}))
PY
