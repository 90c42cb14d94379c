#!/usr/bin/env bash
# Mutation testing with cargo-mutants (crates.io): changes the code one small way at a time
# and reports each change ("mutant") that no test notices. Slow (about an hour on two busy
# cores), so not part of scripts/test.sh. docs/TESTING.md keeps the table and explains each
# mutant left alive.
#
# Without arguments it runs three sets:
#   core    ots-core's envelope, link, limits, keys and form;
#   claim   the server's claim, burn, preview and auth code and the lockout's store side,
#           against its unit, API and storage suites (Redis included: needs redis-server);
#   units   the records, at-rest crypto, passphrase hashing and the in-memory lockout,
#           which their unit tests cover.
# `scripts/mutants.sh claim` runs one set; other arguments go to cargo-mutants as they are
# (e.g. `scripts/mutants.sh --file crates/ots-core/src/link.rs`).
# Results: mutants.out/ (core), mutants-server/claim/ and mutants-server/units/, each with
# mutants.out/caught.txt, missed.txt and unviable.txt.
set -euo pipefail
source "$(dirname "$0")/env.sh"
cd "$OTS_ROOT"
if ! cargo mutants --version 2>/dev/null | grep -q '^cargo-mutants 27\.'; then
  cargo install cargo-mutants --version '^27' --locked
fi

S=crates/ots-server/src
# The claim and auth code, by function (the rest of these files is storage plumbing).
CLAIM_RE='(auth\.rs|store/mod\.rs:.*(view_state|mark|Outcome::state|State::as_str)\b'
CLAIM_RE+='|keyguard\.rs:.*KeyGuard|Store>::(claim|claim_preview|locked|passphrase_failed|bind_master_key)\b'
CLAIM_RE+='|RedisStore::(hit_args|secret_key|receipt_key)\b|receipt_from_hash'
CLAIM_RE+='|api\.rs:.*(secret_reveal|passphrase_proven|receipt_burn|receipt_show)\b)'
UNITS_RE='(crypto\.rs|store/mod\.rs:.*SecretRecord|ratelimit\.rs:.*Lockout)'
# A store method returns a boxed future: replacing its body with `BoxFut::new(..)` and the
# like never compiles, so those mutants are left out rather than built to fail.
NO_BOXFUT='with BoxFut::'

core() {
  cargo mutants -p ots-core --timeout 300 \
    --file crates/ots-core/src/envelope.rs --file crates/ots-core/src/link.rs \
    --file crates/ots-core/src/limits.rs --file crates/ots-core/src/keys.rs \
    --file crates/ots-core/src/form.rs
}

# Only the suites named are built for each mutant (-C goes to the build and the test
# commands): building all of the server's test targets takes minutes per mutant.
claim() {
  mkdir -p mutants-server/"${FUNCNAME[0]}"
  cargo mutants -p ots-server -o mutants-server/claim --timeout 300 \
    --file $S/auth.rs --file $S/api.rs --file $S/store/mod.rs --file $S/store/redis.rs \
    --file $S/store/embedded/mod.rs --file $S/store/keyguard.rs \
    --re "$CLAIM_RE" --exclude-re "$NO_BOXFUT" \
    -C --lib -C --test -C api -C --test -C storage -C --test -C instances \
    -- -- --skip sigterm --skip sigkill --skip health_and_readiness --skip metrics_count \
    --skip per_ip_limits --skip instances_on_one --skip the_embedded_store_keeps
  # (instances: only the replica test, which sees the claim's log line; the rest are slow.)
}

units() {
  mkdir -p mutants-server/"${FUNCNAME[0]}"
  cargo mutants -p ots-server -o mutants-server/units --timeout 300 \
    --file $S/crypto.rs --file $S/store/mod.rs --file $S/ratelimit.rs \
    --re "$UNITS_RE" -C --lib
}

case "${1:-all}" in
  all) core; claim; units ;;
  core | claim | units) "$1" ;;
  *) exec cargo mutants "$@" ;;
esac
