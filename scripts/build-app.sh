#!/usr/bin/env bash
# Builds the release dist/ that users get (and that the end-to-end tests load).
set -euo pipefail
source "$(dirname "$0")/env.sh"
cd "$OTS_ROOT"
trunk build --release
# Brotli and gzip siblings of every file, which ots-server sends to browsers that accept them.
scripts/precompress.py dist
