#!/usr/bin/env bash
# Runs every check and test: formatting, clippy for both targets, native unit and
# integration tests (with a real Redis that the tests start), the browser tests
# (wasm-bindgen-test in headless Chromium) and the end-to-end tests (WebDriver, the release
# dist/ against the real ots-server), accessibility and layout included.
set -euo pipefail
source "$(dirname "$0")/env.sh"
cd "$OTS_ROOT"
scripts/setup.sh

step() { printf '\n== %s\n' "$*"; }

step "format"
cargo fmt --all --check

step "clippy: the core, the server and the tools natively; the app for wasm32"
cargo clippy --locked --workspace --exclude ots-web --all-targets -- -D warnings
cargo clippy --locked -p ots-web --target wasm32-unknown-unknown --all-targets -- -D warnings
cargo clippy --locked -p ots-core --target wasm32-unknown-unknown -- -D warnings
# The app's native side: its unit tests and the end-to-end suites that drive Chromium.
cargo clippy --locked -p ots-web --all-targets -- -D warnings

step "build the release app (the end-to-end tests load exactly what users get), the server and the CLI"
scripts/build-app.sh
cargo build --locked -p ots-server -p ots-cli
export OTS_SERVER_BIN="$OTS_ROOT/target/debug/ots-server" OTS_CLI_BIN="$OTS_ROOT/target/debug/ots"

step "native tests: unit, integration (embedded store and Redis), doc tests"
cargo test --locked --workspace --exclude ots-web
cargo test --locked -p ots-web --lib
# In a PID namespace of their own when the machine allows it: every browser, driver and
# server the end-to-end tests start ends with them, whatever happens.
# tests/a11y.rs: axe-core and layout on every screen, keyboard only; it rewrites the
# screenshots in docs/screenshots/.
if unshare --pid --fork --mount-proc true 2>/dev/null; then
  unshare --pid --fork --mount-proc cargo test --locked -p ots-web --test e2e
  unshare --pid --fork --mount-proc cargo test --locked -p ots-web --test first_screen
  unshare --pid --fork --mount-proc cargo test --locked -p ots-web --test a11y
else
  cargo test --locked -p ots-web --test e2e
  cargo test --locked -p ots-web --test first_screen
  cargo test --locked -p ots-web --test a11y
fi

step "browser tests: wasm-bindgen-test in headless Chromium"
cargo test --locked -p ots-web --target wasm32-unknown-unknown --tests

printf '\ntest: all passed\n'
