#!/usr/bin/env bash
# Incident storm (issue 10): $STORM sites (default 10,000) of the local estate go down together
# (`POST /switch?down=storm-*`) while $OTHERS other checks (default 2,000) stay up. Figures:
#  - detection: switch -> first and last incident confirmed (the incidents' `opened` times);
#  - commit: last confirmation -> every incident and its notification durably committed (read
#    from the state store itself: the notification counter is written in the same transaction
#    as the incident, its ticket and its outbox row);
#  - delivery: last confirmation -> a local webhook receiver has every `incident.opened`;
#  - p99 scheduling lag of all checks during the storm (the agent's histogram, difference of two
#    scrapes; the storm checks are in it too), RSS per open incident (RSS growth / incidents).
# Side by side, Prometheus Alertmanager (Debian package, version printed) on 127.0.0.1 with
# `group_by: ['...']`, `group_wait: 0s` and a webhook to the same kind of receiver is given the
# same number of alerts through POST /api/v2/alerts; time from the first POST until its
# receiver has them all; and the ratio. One JSON line per figure.
set -euo pipefail
cd "$(dirname "$0")/../.."
BUILD_DIR=${BUILD_DIR:-build}
STORM=${STORM:-10000}
OTHERS=${OTHERS:-2000}
# Check schedules are spread over the interval, so the confirmations of a storm are spread over
# it too: a short interval makes the storm a burst of about STORM/INTERVAL confirmations a second.
# retry_interval = interval by default: failing checks would otherwise run more often (the
# scheduler re-runs them at retry_interval while they fail), and the figures would mix that extra
# probing with what the incident pipeline itself costs. RETRY=2s gives the realistic mix.
INTERVAL=${INTERVAL:-10s}
RETRY=${RETRY:-10s}
TIMEOUT=${TIMEOUT:-5s}
# Concurrent deliveries to the local webhook (the sink's `max_in_flight`; default 4 in config).
SINK_IN_FLIGHT=${SINK_IN_FLIGHT:-16}
AM_BIN=${AM_BIN:-/usr/bin/prometheus-alertmanager}
cmake --build "$BUILD_DIR" --target lookout lookout-estate >&2
W=$(mktemp -d /tmp/lookout-bench-storm-XXXXXX)
source scripts/bench-estate.sh
AM_PID=""
RECV_PID=""
trap 'kill ${AGENT:-} ${ESTATE:-} ${AM_PID:-} ${RECV_PID:-} 2>/dev/null || true; sleep 0.5; [ -n "${KEEP:-}" ] || rm -rf "$W"' EXIT

# --- a webhook receiver (asyncio, keep-alive aware) counting distinct firing alerts per path ---
cat >"$W/receiver.py" <<'PY'
import asyncio, json, sys, time
port_file = sys.argv[1]
seen = {"/lookout": {}, "/am": {}}
requests = {"/lookout": 0, "/am": 0}
bad = {"/lookout": 0, "/am": 0}

def record(path, body):
    now = time.time()
    try:
        doc = json.loads(body)
    except ValueError:
        bad[path] += 1
        return
    ids = []
    if path == "/lookout":
        if doc.get("event") == "incident.opened" and doc.get("audience") == "tickets":
            ids.append(doc["incident"]["id"])
    else:  # Alertmanager webhook: {"alerts": [{"status": "firing", "labels": {...}}, ...]}
        for a in doc.get("alerts", []):
            if a.get("status") == "firing":
                ids.append(a["labels"].get("site", ""))
    for i in ids:
        seen[path].setdefault(i, now)

async def handle(reader, writer):
    try:
        while True:
            head = await reader.readuntil(b"\r\n\r\n")
            lines = head.decode("latin-1").split("\r\n")
            method, target, _ = lines[0].split(" ", 2)
            length, close = 0, False
            for l in lines[1:]:
                k, _, v = l.partition(":")
                k = k.strip().lower()
                if k == "content-length": length = int(v.strip())
                if k == "connection" and v.strip().lower() == "close": close = True
            body = await reader.readexactly(length) if length else b""
            path = target.split("?")[0]
            if method == "GET" and path == "/stats":
                out = {}
                for p, s in seen.items():
                    ts = sorted(s.values())
                    out[p] = {"count": len(ts), "first": ts[0] if ts else None,
                              "last": ts[-1] if ts else None, "requests": requests[p], "bad": bad[p]}
                payload = json.dumps(out).encode()
            elif method == "POST" and path in seen:
                requests[path] += 1
                record(path, body)
                payload = b"ok"
            else:
                payload = b"no"
            writer.write(b"HTTP/1.1 200 OK\r\nContent-Type: text/plain\r\nContent-Length: %d\r\n%s\r\n"
                         % (len(payload), b"Connection: close\r\n" if close else b"") + payload)
            await writer.drain()
            if close:
                break
    except (asyncio.IncompleteReadError, ConnectionError, ValueError):
        pass
    finally:
        writer.close()

async def main():
    server = await asyncio.start_server(handle, "127.0.0.1", 0, backlog=4096)
    open(port_file, "w").write(str(server.sockets[0].getsockname()[1]))
    async with server:
        await server.serve_forever()

asyncio.run(main())
PY
python3 "$W/receiver.py" "$W/receiver.port" 2>"$W/receiver.log" &
RECV_PID=$!
for _ in $(seq 50); do [ -s "$W/receiver.port" ] && break; sleep 0.1; done
RP=$(cat "$W/receiver.port")

start_estate
ESTATE_PORT=${HTTP##*:}

# --- Lookout: STORM switchable sites + OTHERS healthy ones, confirmed on the 2nd failure ---
AP=$(free_port)
python3 - "$W/scale.yaml" "$AP" "$W" "$HTTP" "$STORM" "$OTHERS" "$RP" "$INTERVAL" "$RETRY" "$TIMEOUT" "$SINK_IN_FLIGHT" <<'PY'
import sys
path, port, work, http, storm, others, rp, interval, retry, timeout, in_flight = sys.argv[1:12]
storm, others = int(storm), int(others)
out = ["agent:", f"  listen: 127.0.0.1:{port}", f"  state_file: {work}/state.db", "  workers: 2",
       "  max_in_flight: 4000", "  per_host_limit: 4000",
       "catalog: {refresh: off}", "defaults:", f"  interval: {interval}", f"  retry_interval: {retry}", f"  timeout: {timeout}",
       "  failure_threshold: 2", "  success_threshold: 2",
       "alerting:", "  storm_ratio: 1", "  sinks:",
       f"    - {{id: hook, type: webhook, url: 'http://127.0.0.1:{rp}/lookout', timeout: 10s, max_in_flight: {in_flight}}}",
       "  defaults:", "    tickets: [builtin, hook]", "clients:"]
def client(name, prefix, n, path):
    per = 100
    for c in range((n + per - 1) // per):
        out.extend([f"  - id: {name}{c}", "    sites:"])
        for s in range(min(per, n - c * per)):
            out.extend([f"      - id: s{s}", f"        url: {http}{path}{prefix}{c}-{s}",
                        "        checks: [{type: http}]"])
client("storm", "storm-", storm, "/switch/")
client("other", "other-", others, "/switch/")
open(path, "w").write("\n".join(out) + "\n")
PY
start_agent
if ! kill -0 "$AGENT" 2>/dev/null || ! curl -sf "http://127.0.0.1:$AP/healthz" >/dev/null; then
  echo "storm: the agent did not start:" >&2
  tail -5 "$W/agent.log" >&2
  exit 1
fi
echo "storm: $STORM storm + $OTHERS other checks loaded; waiting for two full rounds" >&2
runs() { curl -sf "http://127.0.0.1:$AP/metrics" | awk '/^lookout_check_runs_total\{/ {s += $2} END {print s + 0}'; }
for _ in $(seq 600); do [ "$(runs)" -ge $(( 2 * (STORM + OTHERS) )) ] && break; sleep 0.5; done
cpu_ticks() { awk '{print $14 + $15}' "/proc/$AGENT/stat"; }
CPU_T0=$(cpu_ticks); T0=$(python3 -c 'import time; print(time.time())')
sleep 10  # a quiet baseline: the agent's CPU per second before the storm
curl -sf "http://127.0.0.1:$AP/metrics" >"$W/metrics-before.txt"
RSS_BEFORE=$(awk '/VmRSS/ {print $2}' "/proc/$AGENT/status")
CPU_T1=$(cpu_ticks)

T_SWITCH=$(python3 -c 'import time; print(time.time())')
curl -sf -X POST "http://127.0.0.1:$ESTATE_PORT/switch?down=storm-*" >/dev/null
# Poll the state store (read-only; WAL readers see committed transactions) and the receiver.
python3 - "$W/state.db" "$RP" "$STORM" "$W/poll.json" <<'PY'
import json, sqlite3, sys, time, urllib.request
db, rp, storm, out = sys.argv[1], sys.argv[2], int(sys.argv[3]), sys.argv[4]
con = sqlite3.connect(f"file:{db}?mode=ro", uri=True, timeout=5)
def counter():
    row = con.execute("SELECT value FROM kv WHERE scope='counter' AND key='notification'").fetchone()
    return int(row[0]) if row else 0
base = counter()
committed_at = None
deadline = time.time() + 240
while time.time() < deadline:
    n = counter() - base
    if committed_at is None and n >= storm:
        committed_at = time.time()
    stats = json.load(urllib.request.urlopen(f"http://127.0.0.1:{rp}/stats", timeout=5))["/lookout"]
    if committed_at and stats["count"] >= storm:
        break
    time.sleep(0.05)
json.dump({"committed_at": committed_at, "committed": counter() - base, "receiver": stats}, open(out, "w"))
PY
curl -sf "http://127.0.0.1:$AP/metrics" >"$W/metrics-after.txt"
RSS_AFTER=$(awk '/VmRSS/ {print $2}' "/proc/$AGENT/status")
CPU_T2=$(cpu_ticks); T2=$(python3 -c 'import time; print(time.time())')
curl -sf "http://127.0.0.1:$AP/api/v1/incidents?state=open" >"$W/open.json"
kill "$AGENT" 2>/dev/null || true
wait "$AGENT" 2>/dev/null || true
AGENT=""

# --- Alertmanager: the same number of alerts through its API ---
AM_VERSION=$("$AM_BIN" --version 2>&1 | head -1)
AMP=$(free_port)
mkdir -p "$W/am"
cat >"$W/am/alertmanager.yml" <<EOF
route:
  receiver: hook
  group_by: ['...']
  group_wait: 0s
  group_interval: 5m
  repeat_interval: 4h
receivers:
  - name: hook
    webhook_configs:
      - url: http://127.0.0.1:$RP/am
        send_resolved: false
EOF
"$AM_BIN" --config.file="$W/am/alertmanager.yml" --storage.path="$W/am/data" \
  --web.listen-address="127.0.0.1:$AMP" --cluster.listen-address= >"$W/am/log" 2>&1 &
AM_PID=$!
for _ in $(seq 100); do curl -sf "http://127.0.0.1:$AMP/-/ready" >/dev/null && break; sleep 0.1; done
python3 - "$AMP" "$RP" "$STORM" "$W/am.json" <<'PY'
import datetime, json, sys, time, urllib.request
amp, rp, storm, out = sys.argv[1], sys.argv[2], int(sys.argv[3]), sys.argv[4]
now = datetime.datetime.now(datetime.timezone.utc).isoformat()
alerts = [{"labels": {"alertname": "SiteDown", "client": f"storm{i // 100}", "site": f"s{i % 100}-{i}",
                      "severity": "critical"},
           "annotations": {"summary": "HTTP 503 from 127.0.0.1"}, "startsAt": now}
          for i in range(storm)]
t0 = time.time()
for k in range(0, storm, 500):
    req = urllib.request.Request(f"http://127.0.0.1:{amp}/api/v2/alerts",
                                 data=json.dumps(alerts[k:k + 500]).encode(),
                                 headers={"Content-Type": "application/json"}, method="POST")
    urllib.request.urlopen(req, timeout=30).read()
posted = time.time()
deadline = time.time() + 240
while time.time() < deadline:
    stats = json.load(urllib.request.urlopen(f"http://127.0.0.1:{rp}/stats", timeout=5))["/am"]
    if stats["count"] >= storm:
        break
    time.sleep(0.05)
json.dump({"t0": t0, "posted": posted, "receiver": stats}, open(out, "w"))
PY

python3 - "$W" "$STORM" "$T_SWITCH" "$RSS_BEFORE" "$RSS_AFTER" "$AM_VERSION" "$T0" "$T2" "$CPU_T0" "$CPU_T1" "$CPU_T2" "$(getconf CLK_TCK)" "$(cut -d' ' -f1-3 /proc/loadavg)" <<'PY'
import datetime, json, re, sys
w, storm, t_switch, rss0, rss1, am_version = sys.argv[1], int(sys.argv[2]), float(sys.argv[3]), int(sys.argv[4]), int(sys.argv[5]), sys.argv[6]
t0, t2 = float(sys.argv[7]), float(sys.argv[8])
c0, c1, c2, hz = int(sys.argv[9]), int(sys.argv[10]), int(sys.argv[11]), int(sys.argv[12])
loadavg = sys.argv[13]
base_rate = (c1 - c0) / hz / max(1e-9, t_switch - t0)  # CPU s per s before the storm
storm_cpu = (c2 - c1) / hz
extra_cpu = storm_cpu - base_rate * (t2 - t_switch)
poll = json.load(open(f"{w}/poll.json"))
am = json.load(open(f"{w}/am.json"))
incidents = json.load(open(f"{w}/open.json"))
def ts(s):
    return datetime.datetime.fromisoformat(s.replace("Z", "+00:00")).timestamp()
opened = sorted(ts(i["opened"]) for i in incidents if i["client"].startswith("storm"))
def buckets(path):
    text = open(path).read()
    return {float(le): float(v) for le, v in re.findall(
        r'^lookout_scheduling_lag_seconds_bucket\{le="([^"]+)"\} (\S+)$', text, re.M)}
b0, b1 = buckets(f"{w}/metrics-before.txt"), buckets(f"{w}/metrics-after.txt")
def p99_of(cum):
    cum = sorted(cum.items())
    total = cum[-1][1] if cum else 0
    return next((le for le, c in cum if total and c / total >= 0.99), None), total
p99_before, _ = p99_of(b0)  # from the start to the switch: the machine's own baseline
p99, total = p99_of({le: b1[le] - b0.get(le, 0) for le in b1})
early = sum(1 for t in opened if t < t_switch)  # storm checks that failed before the switch
last = opened[-1] if opened else None
rec = poll["receiver"]
lk_deliver = rec["last"] - last if last and rec["last"] else None
am_deliver = am["receiver"]["last"] - am["t0"] if am["receiver"]["last"] else None
rows = [
    ("incidents_open", len(opened)),
    ("detect_first_s", opened[0] - t_switch if opened else None),
    ("detect_last_s", last - t_switch if last else None),
    ("commit_after_last_confirmation_s", poll["committed_at"] - last if poll["committed_at"] and last else None),
    ("notifications_committed", poll["committed"]),
    ("lookout_webhook_all_opened_after_last_confirmation_s", lk_deliver),
    ("lookout_webhook_all_opened_after_switch_s", rec["last"] - t_switch if rec["last"] else None),
    ("lookout_webhook_opened_received", rec["count"]),  # all clients: an overloaded "other" check may fail too
    ("lookout_webhook_requests", rec["requests"]),
    ("incidents_opened_before_switch", early),
    ("p99_scheduling_lag_seconds_upper_bound", p99),
    ("p99_scheduling_lag_before_storm_seconds_upper_bound", p99_before),
    ("lag_observations", total),
    ("agent_cpu_per_s_before_storm", base_rate),
    ("agent_cpu_s_storm_window", storm_cpu),
    ("agent_extra_cpu_ms_per_incident", 1000 * extra_cpu / max(1, len(opened))),
    ("loadavg_1_5_15_at_end", loadavg),
    ("rss_before_mb", rss0 / 1024), ("rss_after_mb", rss1 / 1024),
    ("rss_per_open_incident_kb", (rss1 - rss0) / max(1, len(opened))),
    ("alertmanager_version", am_version),
    ("alertmanager_post_s", am["posted"] - am["t0"]),
    ("alertmanager_webhook_all_after_first_post_s", am_deliver),
    ("alertmanager_webhook_all_after_last_post_s", am["receiver"]["last"] - am["posted"] if am["receiver"]["last"] else None),
    ("alertmanager_webhook_alerts_received", am["receiver"]["count"]),
    ("alertmanager_webhook_requests", am["receiver"]["requests"]),
    ("ratio_alertmanager_over_lookout_delivery", am_deliver / lk_deliver if am_deliver and lk_deliver else None),
]
for metric, v in rows:
    print(json.dumps({"benchmark": f"storm_{storm}", "metric": metric, "value": v}))
PY
