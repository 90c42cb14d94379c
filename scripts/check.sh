#!/usr/bin/env bash
# The load test with faults, larger than the one `cargo test` runs: steady create +
# reveal while slow clients, bodies at the limit, 1,000 idle connections and a hanging
# region upstream are injected. Prints markdown; exits non-zero if a secret is lost, an
# error was undeserved, or the server's peak RSS passes 64 MiB. `--quick`: short phases.
set -euo pipefail
source "$(dirname "$0")/env.sh"
cd "$OTS_ROOT"
cargo build --release --locked -p ots-server -p ots-bench -q
target="${CARGO_TARGET_DIR:-$OTS_ROOT/target}"
OTS_SERVER_BIN="$target/release/ots-server" exec "$target/release/ots-bench" check "$@"
