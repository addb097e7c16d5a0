#!/usr/bin/env bash
# Durable commits of the state store (issue 8): latency p50/p99 and commits per second with
# 1, 8 and 64 concurrent committers (group commit shares one WAL sync), on this disk.
set -euo pipefail
cd "$(dirname "$0")/../.."
BUILD_DIR=${BUILD_DIR:-build}
cmake --build "$BUILD_DIR" --target store_load >&2
"$BUILD_DIR/tests/bench/store_load" --seconds "${SECONDS_PER_RUN:-5}" --dir "${STORE_DIR:-/tmp}"
