#!/usr/bin/env bash
# Prints the project's figures as markdown tables: first-load sizes, browser timings,
# server throughput. `--quick` runs fewer rounds.
set -euo pipefail
source "$(dirname "$0")/env.sh"
cd "$OTS_ROOT"
scripts/setup.sh >/dev/null
scripts/build-app.sh >/dev/null 2>&1
cargo build --release --locked -p ots-server -p ots-cli -p ots-bench -q
exec target/release/ots-bench "$@"
