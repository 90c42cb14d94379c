#!/usr/bin/env bash
# Redis Sentinel failovers under load: a primary is SIGKILLed mid-load and the Sentinel
# promotes its replica, three times without and three times with --redis-wait-replicas 1.
# Prints markdown (acknowledged creates lost, revealed twice, errors during the switch,
# time to follow the new primary); exits non-zero if a secret is revealed twice, a request
# hangs or gets a non-v1 answer, the server never follows, or a secret is lost with the
# replica wait. `--quick`: one failover each.
set -euo pipefail
source "$(dirname "$0")/env.sh"
cd "$OTS_ROOT"
cargo build --release --locked -p ots-server -p ots-bench -q
target="${CARGO_TARGET_DIR:-$OTS_ROOT/target}"
OTS_SERVER_BIN="${OTS_SERVER_BIN:-$target/release/ots-server}" exec "$target/release/ots-bench" failover "$@"
