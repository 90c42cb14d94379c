#!/usr/bin/env bash
# Runs every check and test: formatting, clippy for both targets, native unit and
# integration tests (with a real Redis that the tests start), the browser tests
# (wasm-bindgen-test in headless Chromium) and the end-to-end tests (WebDriver, the release
# dist/ against the debug ots-server and ots that this script builds), accessibility and
# layout included.
#
# It guards itself: each step has its own time limit; every test suite must run at least
# the number of tests recorded for it in scripts/test-minimums.txt; and a run must leave
# `git status` as it found it (OTS_SCREENSHOTS=1 rewrites docs/screenshots/ on purpose).
set -euo pipefail
source "$(dirname "$0")/env.sh"
cd "$OTS_ROOT"
scripts/setup.sh

step() { printf '\n== %s\n' "$*"; }
# limit <minutes> <command…>: the command, killed (and the run failed) past its time.
limit() {
  local minutes=$1
  shift
  timeout --kill-after=30 "${minutes}m" "$@" || {
    local code=$?
    [ $code -eq 124 ] && echo "test: timed out after $minutes min: $*" >&2
    return $code
  }
}
# suite <label> <minutes> <command…>: a test command whose suites are counted.
logs=$(mktemp -d)
trap 'rm -rf "$logs"' EXIT
suite() {
  local label=$1 minutes=$2
  shift 2
  limit "$minutes" "$@" 2>&1 | tee "$logs/$label.log"
  scripts/test-count.py "$label" "$logs/$label.log"
}
# End-to-end suites run in a PID namespace of their own when the machine allows it: every
# browser, driver and server they start ends with them, whatever happens.
isolate=()
if unshare --pid --fork --mount-proc true 2>/dev/null; then
  isolate=(unshare --pid --fork --mount-proc)
fi
status_before=$(git status --porcelain 2>/dev/null || true)

step "format"
limit 2 cargo fmt --all --check

step "clippy: the core, the server and the tools natively; the app for wasm32"
limit 20 cargo clippy --locked --workspace --exclude ots-web --all-targets -- -D warnings
limit 10 cargo clippy --locked -p ots-web --target wasm32-unknown-unknown --all-targets -- -D warnings
# The small builds, which link no Leptos (the library without its `app` feature), and the
# parts they load on demand.
limit 5 cargo clippy --locked -p ots-web --target wasm32-unknown-unknown --no-default-features --lib --bin ots-reveal --bin ots-create -- -D warnings
limit 5 cargo clippy --locked -p ots-web --target wasm32-unknown-unknown --no-default-features --features parts --bin ots-parts -- -D warnings
limit 5 cargo clippy --locked -p ots-core --target wasm32-unknown-unknown -- -D warnings
# The app's native side: its unit tests and the end-to-end suites that drive Chromium.
limit 10 cargo clippy --locked -p ots-web --all-targets -- -D warnings

step "build the release app (the end-to-end tests load exactly what users get), the server and the CLI"
limit 20 scripts/build-app.sh
# The tests run the debug server and CLI built here (OTS_SERVER_BIN, OTS_CLI_BIN).
limit 10 cargo build --locked -p ots-server -p ots-cli
export OTS_SERVER_BIN="$OTS_ROOT/target/debug/ots-server" OTS_CLI_BIN="$OTS_ROOT/target/debug/ots"

step "native tests: unit, integration (embedded store and Redis), doc tests"
for crate in ots-core ots-server ots-cli ots-testkit; do
  suite "$crate" 20 cargo test --locked -p "$crate"
done
suite ots-web 5 cargo test --locked -p ots-web --lib
# tests/a11y.rs: axe-core and layout on every screen, keyboard only.
suite ots-web-e2e 20 "${isolate[@]}" cargo test --locked -p ots-web --test e2e
suite ots-web-first-screen 15 "${isolate[@]}" cargo test --locked -p ots-web --test first_screen
suite ots-web-a11y 20 "${isolate[@]}" cargo test --locked -p ots-web --test a11y
# tests/files.rs: files in secrets, app and CLI, with downloads.
suite ots-web-files 10 "${isolate[@]}" cargo test --locked -p ots-web --test files

step "browser tests: wasm-bindgen-test in headless Chromium"
suite ots-web-wasm 15 cargo test --locked -p ots-web --target wasm32-unknown-unknown --test browser

step "the run left the checkout as it found it"
status_after=$(git status --porcelain 2>/dev/null || true)
if [ "$status_before" != "$status_after" ]; then
  printf 'test: the run changed the checkout:\n%s\n' "$(diff <(echo "$status_before") <(echo "$status_after"))" >&2
  exit 1
fi

printf '\ntest: all passed\n'
