#!/usr/bin/env bash
# HTTP(S) probe throughput (issue 2): the agent's HTTP probe (tests/bench/probe_load: the same
# probe + run_check + Beast client, a fresh connection per probe) against a local nginx, next to
# wrk with Connection: close (the practical ceiling) and prometheus-blackbox-exporter driven
# through /probe at the same concurrency. CPU per probe comes from getrusage (agent) and
# /proc/PID/stat (blackbox_exporter). Prints one JSON line per figure on stdout.
set -euo pipefail
cd "$(dirname "$0")/../.."
BUILD_DIR=${BUILD_DIR:-build}
CONC=${CONC:-32}
SECS=${SECS:-10}
cmake --build "$BUILD_DIR" --target probe_load >&2
LOAD="$BUILD_DIR/tests/bench/probe_load"
W=$(mktemp -d /tmp/lookout-bench-http-XXXXXX)
free_port() { python3 -c 'import socket; s=socket.socket(); s.bind(("127.0.0.1",0)); print(s.getsockname()[1])'; }
HP=$(free_port); SP=$(free_port); BP=$(free_port)
cleanup() {
  [ -f "$W/nginx.pid" ] && kill "$(cat "$W/nginx.pid")" 2>/dev/null || true
  [ -n "${BB:-}" ] && kill "$BB" 2>/dev/null || true
  sleep 0.3; rm -rf "$W"
}
trap cleanup EXIT

openssl req -x509 -newkey rsa:2048 -nodes -keyout "$W/key.pem" -out "$W/cert.pem" -days 2 \
  -subj /CN=localhost -addext "subjectAltName=DNS:localhost,IP:127.0.0.1" 2>/dev/null
cat > "$W/nginx.conf" <<CONF
worker_processes 1;
error_log $W/error.log;
pid $W/nginx.pid;
events { worker_connections 4096; }
http {
  access_log off;
  client_body_temp_path $W/tmp; proxy_temp_path $W/tmp; fastcgi_temp_path $W/tmp;
  uwsgi_temp_path $W/tmp; scgi_temp_path $W/tmp;
  server {
    listen 127.0.0.1:$HP;
    listen 127.0.0.1:$SP ssl;
    ssl_certificate $W/cert.pem;
    ssl_certificate_key $W/key.pem;
    ssl_session_cache off;
    ssl_session_tickets off;
    location / { return 200 "Welcome to the benchmark\n"; }
  }
}
CONF
mkdir -p "$W/tmp"
nginx -c "$W/nginx.conf" -p "$W" -g "user root;" 2>/dev/null || nginx -c "$W/nginx.conf" -p "$W"
cat > "$W/bb.yml" <<CONF
modules:
  http_2xx:
    prober: http
    timeout: 5s
    http:
      tls_config:
        ca_file: $W/cert.pem
CONF
prometheus-blackbox-exporter --config.file="$W/bb.yml" --web.listen-address="127.0.0.1:$BP" \
  >"$W/bb.log" 2>&1 &
BB=$!
for _ in $(seq 50); do curl -sf "http://127.0.0.1:$BP/-/healthy" >/dev/null && break; sleep 0.1; done

ticks() { awk '{print $14+$15}' "/proc/$1/stat"; }
CLK=$(getconf CLK_TCK)

run_case() {  # scheme url
  local scheme=$1 url=$2
  # ceiling: wrk, one thread, new connection per request
  local wrk_out rps
  wrk_out=$(wrk -t1 -c"$CONC" -d"${SECS}s" -H "Connection: close" "$url")
  rps=$(echo "$wrk_out" | awk '/Requests\/sec/ {print $2}')
  # the agent's probe, one worker thread like wrk
  local agent
  agent=$("$LOAD" --type http --target "$url" --option "ca_file=$W/cert.pem" --concurrency "$CONC" --threads 1 --seconds "$SECS")
  # blackbox_exporter through /probe at the same concurrency
  local t0 t1 bb_out bb_rps bb_n
  t0=$(ticks "$BB")
  bb_out=$(wrk -t1 -c"$CONC" -d"${SECS}s" "http://127.0.0.1:$BP/probe?module=http_2xx&target=$url")
  t1=$(ticks "$BB")
  bb_rps=$(echo "$bb_out" | awk '/Requests\/sec/ {print $2}')
  bb_n=$(echo "$bb_out" | awk '/requests in/ {print $1}')
  python3 - "$scheme" "$rps" "$agent" "$bb_rps" "$bb_n" "$t0" "$t1" "$CLK" "$CONC" <<'PY'
import json, sys
scheme, wrk_rps, agent, bb_rps, bb_n, t0, t1, clk, conc = sys.argv[1:]
agent = json.loads(agent)
wrk_rps, bb_rps, bb_n = float(wrk_rps), float(bb_rps), int(bb_n)
bb_cpu_us = (int(t1) - int(t0)) / int(clk) * 1e6 / max(bb_n, 1)
rows = [
  ("wrk_connection_close", "requests_per_s", wrk_rps),
  ("lookout_http_probe", "probes_per_s", agent["probes_per_s"]),
  ("lookout_http_probe", "failures", agent["failures"]),
  ("lookout_http_probe", "ratio_to_wrk", agent["probes_per_s"] / wrk_rps),
  ("lookout_http_probe", "cpu_us_per_probe", agent["cpu_us_per_probe"]),
  ("blackbox_exporter", "probes_per_s", bb_rps),
  ("blackbox_exporter", "cpu_us_per_probe", bb_cpu_us),
  ("lookout_http_probe", "cpu_ratio_to_blackbox", agent["cpu_us_per_probe"] / bb_cpu_us if bb_cpu_us else None),
]
for bench, metric, value in rows:
    print(json.dumps({"benchmark": bench, "scheme": scheme, "metric": metric, "value": value,
                      "concurrency": int(conc)}))
PY
}

echo "HTTP probe throughput: concurrency $CONC, $SECS s per run, nginx 1 worker on 127.0.0.1" >&2
run_case http "http://127.0.0.1:$HP/"
run_case https "https://127.0.0.1:$SP/"
