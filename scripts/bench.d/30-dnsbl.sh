#!/usr/bin/env bash
# DNSBL sweep (issue 3): 10,000 IPs x 10 lists = 100,000 queries through the DNSBL probe and the
# c-ares resolver against the estate's DNS server (tests/bench/dnsbl_bench; the server runs in
# the same process on its own thread). Target: < 10 s wall on 2 cores, no query lost (every
# (ip, list) pair ends listed / not_listed / error, and listed/not_listed match the estate data).
# Human lines on stderr, one JSON line per figure on stdout:
#   {"benchmark":"dnsbl_sweep","metric":"wall_seconds","value":...}
set -euo pipefail
cd "$(dirname "$0")/../.."
BUILD_DIR=${BUILD_DIR:-build}
if [ ! -f "$BUILD_DIR/build.ninja" ] && [ ! -f "$BUILD_DIR/Makefile" ]; then
  cmake -S . -B "$BUILD_DIR" -G Ninja -DCMAKE_BUILD_TYPE=${BUILD_TYPE:-RelWithDebInfo} >/dev/null
fi
cmake --build "$BUILD_DIR" --target dnsbl_bench >&2
# Both cores: the client threads and the DNS server share them, as the figure requires.
taskset -c 0,1 "$BUILD_DIR/tests/bench/dnsbl_bench" --ips "${IPS:-10000}" --lists "${LISTS:-10}" \
  --threads "${THREADS:-2}" --concurrency "${CONCURRENCY:-25}" --timeout "${LIST_TIMEOUT:-2s}"
