#!/usr/bin/env bash
# Sets up, builds the app in release mode and starts ots-server on 127.0.0.1:8080 with the
# embedded store: the app and /api/v1 on one origin. Extra arguments go to ots-server.
set -euo pipefail
source "$(dirname "$0")/env.sh"
cd "$OTS_ROOT"
scripts/setup.sh
scripts/build-app.sh
cargo build --release --locked -p ots-server
exec target/release/ots-server --listen 127.0.0.1:8080 --dist dist --data-dir .data "$@"
