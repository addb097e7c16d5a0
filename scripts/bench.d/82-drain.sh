#!/usr/bin/env bash
# Outbox drain (issue 11): $COUNT (default 2,000) `incident.opened` notifications per sink type
# drained by the real outbox and sinks against local receivers (the test suite's PagerDuty,
# Zendesk and Freshdesk receivers, a webhook, and a real Prometheus Alertmanager from the Debian
# package started here on 127.0.0.1): deliveries per second and agent CPU per delivery; then a
# PagerDuty sink at its documented 120 events/min, given 140, to show the limit is honoured
# (the drain takes a sliding minute). One JSON line per figure (tests/bench/drain_load.cc).
set -euo pipefail
cd "$(dirname "$0")/../.."
BUILD_DIR=${BUILD_DIR:-build}
COUNT=${COUNT:-2000}
AM_BIN=${AM_BIN:-/usr/bin/prometheus-alertmanager}
cmake --build "$BUILD_DIR" --target drain_load >&2
W=$(mktemp -d /tmp/lookout-bench-drain-XXXXXX)
AM_PID=""
trap '[ -z "$AM_PID" ] || kill "$AM_PID" 2>/dev/null || true; rm -rf "$W"' EXIT
AM_ARGS=()
if [ -x "$AM_BIN" ]; then
  AMP=$(python3 -c 'import socket; s=socket.socket(); s.bind(("127.0.0.1",0)); print(s.getsockname()[1])')
  mkdir -p "$W/am"
  printf 'route: {receiver: none}\nreceivers: [{name: none}]\n' >"$W/am/alertmanager.yml"
  "$AM_BIN" --config.file="$W/am/alertmanager.yml" --storage.path="$W/am/data" \
    --web.listen-address="127.0.0.1:$AMP" --cluster.listen-address= >"$W/am/log" 2>&1 &
  AM_PID=$!
  for _ in $(seq 100); do curl -sf "http://127.0.0.1:$AMP/-/ready" >/dev/null && break; sleep 0.1; done
  AM_ARGS=(--alertmanager "http://127.0.0.1:$AMP")
else
  echo "drain: $AM_BIN not found; Alertmanager left out" >&2
fi
"$BUILD_DIR/tests/bench/drain_load" --count "$COUNT" "${AM_ARGS[@]}"
echo "{\"benchmark\": \"outbox_drain\", \"metric\": \"loadavg_1_5_15_at_end\", \"value\": \"$(cut -d' ' -f1-3 /proc/loadavg)\"}"
