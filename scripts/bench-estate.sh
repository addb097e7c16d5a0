# Sourced by scripts/bench.d parts that run the agent on many HTTP checks against the estate.
# Needs BUILD_DIR and W (a work directory). Provides:
#   start_estate                 -> $HTTP (the estate's HTTP base URL), $ESTATE (pid)
#   write_http_config N INTERVAL MAX_IN_FLIGHT  -> $W/scale.yaml, admin port $AP
#   start_agent                  -> $AGENT (pid), waits for /healthz
# and a cleanup trap that stops both (KEEP=1 keeps $W).
free_port() { python3 -c 'import socket; s=socket.socket(); s.bind(("127.0.0.1",0)); print(s.getsockname()[1])'; }
cleanup() { kill ${AGENT:-} ${ESTATE:-} 2>/dev/null || true; sleep 0.5; [ -n "${KEEP:-}" ] || rm -rf "$W"; }
trap cleanup EXIT

start_estate() {
  "$BUILD_DIR/tests/estate/lookout-estate" --base-port 0 --threads 1 --work-dir "$W/estate" \
    --print-endpoints >"$W/endpoints.json" 2>"$W/estate.log" &
  ESTATE=$!
  for _ in $(seq 100); do [ -s "$W/endpoints.json" ] && break; sleep 0.1; done
  HTTP=$(python3 -c 'import json,sys; print(json.load(open(sys.argv[1]))["http"])' "$W/endpoints.json")
}

write_http_config() {
  AP=$(free_port)
  python3 - "$W/scale.yaml" "$1" "$AP" "$W" "$HTTP" "$2" "$3" <<'PY'
import sys
path, n, port, work, http, interval, max_in_flight = sys.argv[1:8]
n = int(n)
out = ["agent:", f"  listen: 127.0.0.1:{port}", f"  state_file: {work}/state.db", "  workers: 2",
       f"  max_in_flight: {max_in_flight}", "  per_host_limit: 4000",
       "catalog: {refresh: off}", "defaults:", f"  interval: {interval}", "  timeout: 10s", "clients:"]
per_client = 100
for c in range((n + per_client - 1) // per_client):
    out += [f"  - id: c{c}", "    sites:"]
    for s in range(min(per_client, n - c * per_client)):
        out += [f"      - id: s{s}", f"        url: {http}/ok?c={c}&s={s}", "        checks: [{type: http}]"]
open(path, "w").write("\n".join(out) + "\n")
PY
}

start_agent() {
  "$BUILD_DIR/lookout" run -c "$W/scale.yaml" >"$W/agent.log" 2>&1 &
  AGENT=$!
  for _ in $(seq 600); do curl -sf "http://127.0.0.1:$AP/healthz" >/dev/null && break; sleep 0.1; done
}
