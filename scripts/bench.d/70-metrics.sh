#!/usr/bin/env bash
# /metrics at scale (issue 12): the agent on $SITES sites x $PER_SITE HTTP checks (default
# 10,000 x 5) against the local estate. Figures, one JSON line each:
#   - time to serialise one scrape (GET /metrics over loopback, median of 5) and its size;
#   - a real Prometheus scraping it (scrape_timeout 10 s, the default): scrape_duration_seconds,
#     samples per scrape, up;
#   - evaluation time Prometheus reports for dashboards/prometheus/ rule groups at that size.
set -euo pipefail
cd "$(dirname "$0")/../.."
ROOT=$PWD
BUILD_DIR=${BUILD_DIR:-build}
SITES=${SITES:-10000}
PER_SITE=${PER_SITE:-5}
cmake --build "$BUILD_DIR" --target lookout lookout-estate >&2
W=$(mktemp -d /tmp/lookout-bench-metrics-XXXXXX)
source scripts/bench-estate.sh
trap 'kill ${PROM:-} 2>/dev/null || true; cleanup' EXIT
start_estate
AP=$(free_port)
python3 - "$W/scale.yaml" "$SITES" "$PER_SITE" "$AP" "$W" "$HTTP" <<'PY'
import sys
path, sites, per_site, port, work, http = sys.argv[1:7]
sites, per_site = int(sites), int(per_site)
# Five kinds of HTTP check per site: healthy, keyword, redirect, failing (503), slow-ish path.
kinds = ["{type: http, id: c0}", "{type: http, id: c1, keyword: Welcome}",
         "{type: http, id: c2, target: %s/redirect/1}", "{type: http, id: c3, target: %s/status/503}",
         "{type: http, id: c4, target: %s/echo}"]
out = ["agent:", f"  listen: 127.0.0.1:{port}", f"  state_file: {work}/state.db", "  workers: 2",
       "  max_in_flight: 4000", "  per_host_limit: 4000",
       "catalog: {refresh: off}", "defaults:", "  interval: 60s", "  timeout: 10s", "  retry_interval: 60s", "clients:"]
per_client = 100
for c in range((sites + per_client - 1) // per_client):
    out += [f"  - id: c{c}", "    sites:"]
    for s in range(min(per_client, sites - c * per_client)):
        out += [f"      - id: s{s}", f"        url: {http}/ok?c={c}&s={s}", "        checks:"]
        for k in kinds[:per_site]:
            out.append("          - " + (k % http if "%s" in k else k))
open(path, "w").write("\n".join(out) + "\n")
PY
CHECKS=$((SITES * PER_SITE))
start_agent
kill -0 "$AGENT" 2>/dev/null || { echo "metrics: the agent did not start:" >&2; head "$W/agent.log" >&2; exit 1; }
echo "metrics: $CHECKS checks loaded; waiting for every check to run once" >&2
for _ in $(seq 240); do
  n=$(curl -sf "http://127.0.0.1:$AP/metrics" | grep -c '^probe_success{' || true)
  [ "$n" -ge "$CHECKS" ] && break
  sleep 1
done
echo "metrics: $n of $CHECKS checks have results" >&2

# Serialisation: 5 scrapes, median wall time and size.
for i in 1 2 3 4 5; do
  curl -sf -o "$W/metrics.txt" -w '%{time_total} %{size_download}\n' "http://127.0.0.1:$AP/metrics"
done >"$W/serialise.txt"

# A real Prometheus with the default 10 s scrape timeout and the Lookout rules.
PP=$(free_port)
cat >"$W/prometheus.yml" <<YML
global:
  scrape_interval: 15s
  scrape_timeout: 10s
  evaluation_interval: 15s
rule_files:
  - $ROOT/dashboards/prometheus/lookout-recording.rules.yml
  - $ROOT/dashboards/prometheus/lookout-alerts.rules.yml
scrape_configs:
  - job_name: lookout
    static_configs:
      - targets: ["127.0.0.1:$AP"]
YML
prometheus --config.file="$W/prometheus.yml" --storage.tsdb.path="$W/tsdb" \
  --web.listen-address="127.0.0.1:$PP" --log.level=warn >"$W/prometheus.log" 2>&1 &
PROM=$!
PROM_WAIT=${PROM_WAIT:-75}
echo "metrics: Prometheus scraping every 15 s for $PROM_WAIT s" >&2
sleep "$PROM_WAIT"
q() { curl -sf "http://127.0.0.1:$PP/api/v1/query" --data-urlencode "query=$1"; }
q 'max_over_time(scrape_duration_seconds{job="lookout"}[10m])' >"$W/q_dur_max.json"
q 'scrape_duration_seconds{job="lookout"}' >"$W/q_dur.json"
q 'scrape_duration_seconds{job="lookout"}[10m]' >"$W/q_dur_all.json"
q 'count_over_time(up{job="lookout"}[10m])' >"$W/q_scrapes.json"
q 'min_over_time(up{job="lookout"}[10m])' >"$W/q_up.json"
q 'scrape_samples_scraped{job="lookout"}' >"$W/q_samples.json"
curl -sf "http://127.0.0.1:$PP/api/v1/rules" >"$W/rules.json"
HWM=$(awk '/VmHWM/ {print $2}' "/proc/$PROM/status")

python3 - "$W" "$SITES" "$PER_SITE" "$HWM" <<'PY'
import json, statistics, sys
w, sites, per_site, prom_hwm_kb = sys.argv[1], int(sys.argv[2]), int(sys.argv[3]), int(sys.argv[4])
runs = [tuple(map(float, l.split())) for l in open(f"{w}/serialise.txt") if l.strip()]
def one(name):
    r = json.load(open(f"{w}/{name}.json"))["data"]["result"]
    return float(r[0]["value"][1]) if r else None
ctx = {"sites": sites, "checks": sites * per_site}
def out(bench, metric, value, **extra):
    print(json.dumps({"benchmark": bench, "metric": metric, "value": value, **ctx, **extra}))
out("metrics_exposition", "serialise_seconds_median", round(statistics.median(t for t, _ in runs), 4))
out("metrics_exposition", "serialise_seconds_max", round(max(t for t, _ in runs), 4))
out("metrics_exposition", "size_bytes", int(runs[-1][1]))
series = sum(1 for l in open(f"{w}/metrics.txt") if l and not l.startswith("#"))
out("metrics_exposition", "samples", series)
out("metrics_prometheus_scrape", "scrape_duration_seconds_last", one("q_dur"))
out("metrics_prometheus_scrape", "scrape_duration_seconds_max", one("q_dur_max"), timeout_s=10)
# The first scrape also creates every series in the TSDB (scrape_duration_seconds includes the
# append), so it is reported apart from the steady state.
all_durations = [round(float(v), 2) for _, v in json.load(open(f"{w}/q_dur_all.json"))["data"]["result"][0]["values"]]
out("metrics_prometheus_scrape", "scrape_duration_seconds_each", all_durations, timeout_s=10)
out("metrics_prometheus_scrape", "scrapes", one("q_scrapes"))
out("metrics_prometheus_scrape", "all_scrapes_up", one("q_up"))
out("metrics_prometheus_scrape", "samples_scraped", one("q_samples"))
out("metrics_prometheus_scrape", "prometheus_peak_rss_mb", round(prom_hwm_kb / 1024, 1))
for g in json.load(open(f"{w}/rules.json"))["data"]["groups"]:
    out("metrics_rule_evaluation", "group_evaluation_seconds", round(g["evaluationTime"], 4),
        group=g["name"], rules=len(g["rules"]),
        slowest_rule=max(g["rules"], key=lambda r: r["evaluationTime"])["name"],
        health=sorted({r["health"] for r in g["rules"]}))
PY
