#!/usr/bin/env bash
# The capacity table of docs/SERVER.md: create + reveal pairs/s on the embedded store and
# for 1, 2 and 3 instances on one Redis, peak RSS per instance, and memory per 1,000 live
# secrets on each store. Prints markdown. `--quick`: fewer pairs.
set -euo pipefail
source "$(dirname "$0")/env.sh"
cd "$OTS_ROOT"
cargo build --release --locked -p ots-server -p ots-bench -q
target="${CARGO_TARGET_DIR:-$OTS_ROOT/target}"
OTS_SERVER_BIN="${OTS_SERVER_BIN:-$target/release/ots-server}" exec "$target/release/ots-bench" capacity "$@"
