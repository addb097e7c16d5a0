#!/usr/bin/env bash
# Catalogue refresh of all products (issue 14): `lookout catalog update --mirror-url` (the code
# the agent's periodic refresh runs: agent/catalog_update.cc, every feed fetched over HTTP,
# parsed, merged, written atomically and loaded back) against feeds served on 127.0.0.1 by a
# local HTTP server, into a copy of the bundled catalogue. Two feed sets:
#   saved: the saved copies the tests use (tests/testdata/catalog: WordPress version-check and
#          stable-check, Drupal release history, endoflife.date Drupal; config/catalog/rdap/dns.json
#          as IANA's bootstrap), a few KB each;
#   full:  the same formats at about the size of the live feeds (a stable-check listing every
#          x.y.z from 3.7 to 6.9.1, about 800 versions; a Drupal release history with every
#          8.x-11.x release number, about 600 releases, ~500 KB), generated here.
# Each run is a whole process: wall time around it, peak RSS (max resident set) from /usr/bin/time,
# median of $CATALOG_BENCH_RUNS (default 15) runs. Prints one JSON line per figure:
#   {"benchmark":"catalog_refresh_saved","metric":"wall_ms","value":...}
set -euo pipefail
cd "$(dirname "$0")/../.."
BUILD_DIR=${BUILD_DIR:-build}
if [ ! -f "$BUILD_DIR/build.ninja" ] && [ ! -f "$BUILD_DIR/Makefile" ]; then
  cmake -S . -B "$BUILD_DIR" -G Ninja -DCMAKE_BUILD_TYPE=${BUILD_TYPE:-RelWithDebInfo} >/dev/null
fi
cmake --build "$BUILD_DIR" --target lookout >&2
RUNS=${CATALOG_BENCH_RUNS:-15}
PORT=${CATALOG_BENCH_PORT:-27790}
WORK=$(mktemp -d)
trap 'kill ${SERVER:-} 2>/dev/null || true; wait ${SERVER:-} 2>/dev/null || true; rm -rf "$WORK"' EXIT
mkdir -p "$WORK/saved" "$WORK/full"
for f in wordpress-version-check.json wordpress-stable-check.json drupal-release-history.xml \
         endoflife-drupal.json; do
  cp "tests/testdata/catalog/$f" "$WORK/saved/$f"
  cp "tests/testdata/catalog/$f" "$WORK/full/$f"
done
cp config/catalog/rdap/dns.json "$WORK/saved/rdap-dns.json"
cp config/catalog/rdap/dns.json "$WORK/full/rdap-dns.json"
python3 - "$WORK/full" <<'PY'
import json, sys
out = sys.argv[1]
# stable-check 1.0: {"version": "insecure|outdated|latest"}, every x.y and x.y.z up to 6.9.1.
stable = {}
for major, minors in ((3, range(7, 10)), (4, range(0, 10)), (5, range(0, 10)), (6, range(0, 10))):
    for minor in minors:
        if (major, minor) < (3, 7) or (major, minor) > (6, 9):
            continue
        stable[f"{major}.{minor}"] = "insecure"
        for patch in range(1, 2 if (major, minor) == (6, 9) else 45 if major < 5 else 12):
            stable[f"{major}.{minor}.{patch}"] = "insecure"
stable["6.9"] = "outdated"
stable["6.9.1"] = "latest"
json.dump(stable, open(f"{out}/wordpress-stable-check.json", "w"))
# Drupal release history: the saved copy's head, then one <release> per 8.x-11.x number.
head = open(f"{out}/drupal-release-history.xml").read()
start = head.index("<releases>") + len("<releases>")
releases = []
for major, minors, patches in ((8, 10, 20), (9, 6, 20), (10, 6, 20), (11, 3, 9)):
    for minor in range(minors):
        for patch in range(patches):
            v = f"{major}.{minor}.{patch}"
            kind = "Security update" if patch % 4 == 1 else "Bug fixes"
            releases.append(
                f"<release><name>drupal {v}</name><version>{v}</version><status>published</status>"
                f"<release_link>https://www.drupal.org/project/drupal/releases/{v}</release_link>"
                f"<download_link>https://ftp.drupal.org/files/projects/drupal-{v}.tar.gz</download_link>"
                f"<date>{1500000000 + len(releases) * 86400}</date><mdhash>0123456789abcdef0123456789abcdef</mdhash>"
                f"<filesize>{18000000 + len(releases)}</filesize><files><file><url>https://ftp.drupal.org/files/projects/drupal-{v}.tar.gz</url>"
                f"<archive_type>tar.gz</archive_type><md5>0123456789abcdef0123456789abcdef</md5><size>18000000</size>"
                f"<filedate>{1500000000 + len(releases) * 86400}</filedate></file></files>"
                f"<terms><term><name>Release type</name><value>{kind}</value></term></terms></release>\n")
open(f"{out}/drupal-release-history.xml", "w").write(head[:start] + "\n" + "".join(releases) + head[start:])
PY
python3 -m http.server "$PORT" --bind 127.0.0.1 --directory "$WORK" >"$WORK/server.log" 2>&1 &
SERVER=$!
for _ in $(seq 50); do
  (exec 3<>/dev/tcp/127.0.0.1/$PORT) 2>/dev/null && break
  sleep 0.1
done
echo "feeds: saved $(du -sk "$WORK/saved" | cut -f1) KB, full $(du -sk "$WORK/full" | cut -f1) KB" >&2
for set in saved full; do
  : >"$WORK/$set.times"
  for _ in $(seq "$RUNS"); do
    rm -rf "$WORK/out"
    cp -r config/catalog "$WORK/out"  # the bundled catalogue, as the agent starts from it
    t0=$(date +%s%N)
    /usr/bin/time -f '%M' -o "$WORK/time" "$BUILD_DIR/lookout" catalog update \
      --mirror-url "http://127.0.0.1:$PORT/$set/" --output "$WORK/out" \
      >"$WORK/update.log" 2>&1 || { cat "$WORK/update.log" >&2; exit 1; }
    t1=$(date +%s%N)
    grep -q "wordpress" "$WORK/update.log" || { cat "$WORK/update.log" >&2; exit 1; }
    echo "$(( (t1 - t0) / 1000 )) $(tail -1 "$WORK/time")" >>"$WORK/$set.times"
  done
  tail -3 "$WORK/update.log" >&2
done
echo "load average: $(cut -d' ' -f1-3 /proc/loadavg)" >&2
python3 - "$WORK/saved.times" "$WORK/full.times" <<'PY'
import json, statistics, sys
for name, path in (("catalog_refresh_saved", sys.argv[1]), ("catalog_refresh_full", sys.argv[2])):
    rows = [tuple(float(x) for x in line.split()) for line in open(path) if line.strip()]
    wall = statistics.median(r[0] for r in rows) / 1000  # µs -> ms
    rss = max(r[1] for r in rows) / 1024
    print(json.dumps({"benchmark": name, "metric": "wall_ms", "value": round(wall, 1)}))
    print(json.dumps({"benchmark": name, "metric": "peak_rss_MB", "value": round(rss, 1)}))
PY
