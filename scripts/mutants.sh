#!/usr/bin/env bash
# Mutation testing with cargo-mutants (crates.io): changes the code one small way at a time
# and reports each change ("mutant") that no test notices. Slow, so not part of
# scripts/test.sh. Without arguments it covers ots-core's envelope, link, limits, keys and
# form, and the server's claim, burn, auth and passphrase paths; arguments go to
# cargo-mutants (e.g. `scripts/mutants.sh --file crates/ots-core/src/link.rs`).
# Results: mutants.out/ (caught.txt, missed.txt, unviable.txt); docs/TESTING.md keeps the
# table.
set -euo pipefail
source "$(dirname "$0")/env.sh"
cd "$OTS_ROOT"
if ! cargo mutants --version 2>/dev/null | grep -q '^cargo-mutants 27\.'; then
  cargo install cargo-mutants --version '^27' --locked
fi
if [ $# -gt 0 ]; then
  exec cargo mutants "$@"
fi
cargo mutants -p ots-core \
  --file crates/ots-core/src/envelope.rs --file crates/ots-core/src/link.rs \
  --file crates/ots-core/src/limits.rs --file crates/ots-core/src/keys.rs \
  --file crates/ots-core/src/form.rs
# The server's claim, burn, auth and passphrase paths (needs redis-server: scripts/setup.sh).
cargo mutants -p ots-server -o mutants-server \
  --file crates/ots-server/src/auth.rs --file crates/ots-server/src/store/mod.rs \
  --file crates/ots-server/src/store/redis.rs --file crates/ots-server/src/crypto.rs
