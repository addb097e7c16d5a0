#!/usr/bin/env bash
# Patch-version probe throughput (issue 4): the real patch probe (polite multi-GET plan,
# detection, catalogue verdict) against the estate's CMS fixture sites, served by a separate
# lookout-estate process on 127.0.0.1, one agent worker thread, fresh connections; then the
# detector alone on the sites' home pages. Issue 14: the same with the WordPress plugin and
# theme pass (`components: true`) beside the plain figure, on the everyday mix and on the four
# WordPress sites alone, runs interleaved (off, on, off, on) so machine load hits both alike.
# Prints one JSON line per figure on stdout:
#   {"benchmark":"patch_probe","metric":"probes_per_s","value":...}
#   patch_probe / patch_probe_wordpress: the pass off (the plain figure);
#   patch_probe_plugins / patch_probe_wordpress_plugins: the pass on, plus cpu_ratio (on/off).
# Uses $BUILD_DIR (default build/, an optimised build); builds what it needs.
set -euo pipefail
cd "$(dirname "$0")/../.."
BUILD_DIR=${BUILD_DIR:-build}
if [ ! -f "$BUILD_DIR/build.ninja" ] && [ ! -f "$BUILD_DIR/Makefile" ]; then
  cmake -S . -B "$BUILD_DIR" -G Ninja -DCMAKE_BUILD_TYPE=${BUILD_TYPE:-RelWithDebInfo} >/dev/null
fi
cmake --build "$BUILD_DIR" --target patch_load lookout-estate >&2
BASE=${PATCH_BENCH_BASE_PORT:-27400}
SECONDS_RUN=${PATCH_BENCH_SECONDS:-10}
CONCURRENCY=${PATCH_BENCH_CONCURRENCY:-16}
WORK=$(mktemp -d)
"$BUILD_DIR/tests/estate/lookout-estate" --base-port "$BASE" --work-dir "$WORK" >"$WORK/estate.log" 2>&1 &
ESTATE=$!
# `|| true`: under set -e a failing command in the trap (wait on a killed child: 143) would end
# it before the clean-up and make the part's exit status 143.
trap 'kill $ESTATE 2>/dev/null || true; wait $ESTATE 2>/dev/null || true; rm -rf "$WORK"' EXIT
for _ in $(seq 50); do
  (exec 3<>/dev/tcp/127.0.0.1/$((BASE + 80))) 2>/dev/null && break
  sleep 0.1
done
# The WordPress.org plugins/themes info API, served locally (the bench stays offline): the
# directory path answers the same reply for any slug (the query string is ignored), and the
# probe caches each answer for a day, so it is asked once per slug.
mkdir -p "$WORK/api/plugins/info/1.2" "$WORK/api/themes/info/1.2"
echo '{"name":"Contact Form 7","slug":"contact-form-7","version":"6.0.6"}' >"$WORK/api/plugins/info/1.2/index.html"
echo '{"name":"Twenty Twenty-Five","slug":"twentytwentyfive","version":"1.3"}' >"$WORK/api/themes/info/1.2/index.html"
API_PORT=$((BASE + 300))
python3 -m http.server "$API_PORT" --bind 127.0.0.1 --directory "$WORK/api" >"$WORK/api.log" 2>&1 &
API=$!
trap 'kill $ESTATE $API 2>/dev/null || true; wait $ESTATE $API 2>/dev/null || true; rm -rf "$WORK"' EXIT
for _ in $(seq 50); do
  (exec 3<>/dev/tcp/127.0.0.1/$API_PORT) 2>/dev/null && break
  sleep 0.1
done
# The everyday mix: WordPress current/outdated/insecure/hidden, Drupal 7 and 10, Joomla,
# Magento, CKAN, ExpressionEngine and a plain site (offsets 80-90 in cms_sites.cc); the four
# WordPress sites are offsets 80-83.
MIX=()
for off in $(seq 80 90); do MIX+=(--site "http://127.0.0.1:$((BASE + off))/"); done
WP=()
for off in $(seq 80 83); do WP+=(--site "http://127.0.0.1:$((BASE + off))/"); done
# The agent side on one core, the estate on the other.
load() {  # components, detect seconds, sites...
  local components=$1 detect=$2
  shift 2
  taskset -c 0 "$BUILD_DIR/tests/bench/patch_load" "$@" \
    --seconds "$SECONDS_RUN" --concurrency "$CONCURRENCY" --detect-seconds "$detect" \
    --directory-api "http://127.0.0.1:$API_PORT" --components "$components"
}
MIX_OFF=$(load false 3 "${MIX[@]}")
MIX_ON=$(load true 0.2 "${MIX[@]}")
WP_OFF=$(load false 0.2 "${WP[@]}")
WP_ON=$(load true 0.2 "${WP[@]}")
printf 'mix off %s\nmix on  %s\nwp off  %s\nwp on   %s\nload average: %s\n' \
  "$MIX_OFF" "$MIX_ON" "$WP_OFF" "$WP_ON" "$(cut -d' ' -f1-3 /proc/loadavg)" >&2
python3 - "$MIX_OFF" "$MIX_ON" "$WP_OFF" "$WP_ON" <<'PY'
import json, sys
mix_off, mix_on, wp_off, wp_on = (json.loads(a) for a in sys.argv[1:5])
def out(bench, metric, value):
    print(json.dumps({"benchmark": bench, "metric": metric, "value": round(value, 2 if metric == "cpu_ratio" else 1)}))
for bench, r in (("patch_probe", mix_off), ("patch_probe_plugins", mix_on),
                 ("patch_probe_wordpress", wp_off), ("patch_probe_wordpress_plugins", wp_on)):
    out(bench, "probes_per_s", r["probes_per_s"])
    out(bench, "requests_per_s", r["requests_per_s"])
    out(bench, "cpu_us_per_probe", r["cpu_us_per_probe"])
    out(bench, "failures", r["failures"])
out("patch_probe_plugins", "cpu_ratio", mix_on["cpu_us_per_probe"] / mix_off["cpu_us_per_probe"])
out("patch_probe_wordpress_plugins", "cpu_ratio", wp_on["cpu_us_per_probe"] / wp_off["cpu_us_per_probe"])
out("patch_detect", "documents_per_s", mix_off["detect_docs_per_s"])
out("patch_detect", "MB_per_s", mix_off["detect_MB_per_s"])
PY
