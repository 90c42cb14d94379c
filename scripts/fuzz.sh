#!/usr/bin/env bash
# Reruns the fuzz properties at a high case count, on release builds: the ots1. envelope
# and link parsers (crates/ots-core/tests/fuzz.rs, corpus in crates/ots-core/fuzz/corpus/)
# and the request parsing of every ots-server route (crates/ots-server/tests/fuzz.rs,
# corpus in crates/ots-server/tests/fuzz-corpus/). PROPTEST_CASES=… overrides the count.
set -euo pipefail
source "$(dirname "$0")/env.sh"
cd "$OTS_ROOT"
export PROPTEST_CASES="${PROPTEST_CASES:-100000}"
echo "fuzzing with PROPTEST_CASES=$PROPTEST_CASES per property"
cargo test --release --locked -p ots-core --test fuzz -- --test-threads 1
cargo test --release --locked -p ots-server --test fuzz -- --test-threads 1
