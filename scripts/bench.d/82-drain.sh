#!/usr/bin/env bash
# Outbox drain (issue 11): $COUNT (default 2,000) `incident.opened` notifications per sink type
# drained by the real outbox and sinks against local receivers (the test suite's PagerDuty,
# Zendesk and Freshdesk receivers, a webhook, a real Prometheus Alertmanager from the Debian
# package and the tests' STARTTLS + AUTH SMTP server (python3-aiosmtpd), both started here on
# 127.0.0.1; e-mail drains $EMAIL_COUNT, default 500): deliveries per second and agent CPU per
# delivery; then a PagerDuty sink at its documented 120 events/min, given 140, to show the limit is honoured
# (the drain takes a sliding minute). One JSON line per figure (tests/bench/drain_load.cc).
set -euo pipefail
cd "$(dirname "$0")/../.."
BUILD_DIR=${BUILD_DIR:-build}
COUNT=${COUNT:-2000}
AM_BIN=${AM_BIN:-/usr/bin/prometheus-alertmanager}
cmake --build "$BUILD_DIR" --target drain_load >&2
W=$(mktemp -d /tmp/lookout-bench-drain-XXXXXX)
AM_PID=""
EXTRA_ARGS=()
SMTP_PID=""
trap '[ -z "$AM_PID" ] || kill "$AM_PID" 2>/dev/null || true; [ -z "$SMTP_PID" ] || kill "$SMTP_PID" 2>/dev/null || true; rm -rf "$W"' EXIT
free_port() { python3 -c 'import socket; s=socket.socket(); s.bind(("127.0.0.1",0)); print(s.getsockname()[1])'; }
if [ -x "$AM_BIN" ]; then
  AMP=$(free_port)
  mkdir -p "$W/am"
  printf 'route: {receiver: none}\nreceivers: [{name: none}]\n' >"$W/am/alertmanager.yml"
  "$AM_BIN" --config.file="$W/am/alertmanager.yml" --storage.path="$W/am/data" \
    --web.listen-address="127.0.0.1:$AMP" --cluster.listen-address= >"$W/am/log" 2>&1 &
  AM_PID=$!
  for _ in $(seq 100); do curl -sf "http://127.0.0.1:$AMP/-/ready" >/dev/null && break; sleep 0.1; done
  EXTRA_ARGS=(--alertmanager "http://127.0.0.1:$AMP")
else
  echo "drain: $AM_BIN not found; Alertmanager left out" >&2
fi
if [ -d /usr/lib/python3/dist-packages/aiosmtpd ]; then
  SMTPP=$(free_port)
  mkdir -p "$W/smtp/mail"
  openssl req -x509 -newkey rsa:2048 -nodes -keyout "$W/smtp/key.pem" -out "$W/smtp/cert.pem" -days 2 \
    -subj /CN=127.0.0.1 -addext subjectAltName=IP:127.0.0.1 2>/dev/null
  /usr/bin/python3 tests/support/smtp_server.py "$SMTPP" "$W/smtp/cert.pem" "$W/smtp/key.pem" "$W/smtp/mail" \
    lookout mail-secret >/dev/null 2>"$W/smtp/log" &
  SMTP_PID=$!
  for _ in $(seq 100); do (exec 3<>"/dev/tcp/127.0.0.1/$SMTPP") 2>/dev/null && break; sleep 0.1; done
  EXTRA_ARGS+=(--smtp "smtp://127.0.0.1:$SMTPP" --smtp-ca "$W/smtp/cert.pem" --smtp-password mail-secret
            --email-count "${EMAIL_COUNT:-500}")
else
  echo "drain: python3-aiosmtpd not installed; e-mail left out" >&2
fi
"$BUILD_DIR/tests/bench/drain_load" --count "$COUNT" "${EXTRA_ARGS[@]}"
echo "{\"benchmark\": \"outbox_drain\", \"metric\": \"loadavg_1_5_15_at_end\", \"value\": \"$(cut -d' ' -f1-3 /proc/loadavg)\"}"
