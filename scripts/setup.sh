#!/usr/bin/env bash
# Installs everything the project needs, from the registries this machine reaches
# (crates.io, npm, Debian). Each step is skipped when the right version is already there,
# so a second run takes seconds. Nothing is ever downloaded from anywhere else.
set -euo pipefail
source "$(dirname "$0")/env.sh"
cd "$OTS_ROOT"

step() { printf '\n== %s\n' "$*"; }
as_root() { if [ "$(id -u)" = 0 ]; then "$@"; else sudo "$@"; fi; }

step "Rust toolchain and the wasm32 target (rust-toolchain.toml)"
rustup show active-toolchain >/dev/null 2>&1 || rustup toolchain install
rustup target list --installed | grep -qx wasm32-unknown-unknown \
  || rustup target add wasm32-unknown-unknown

step "Debian packages: chromium, chromium-driver, redis-server, redis-sentinel, brotli"
missing=()
command -v chromium >/dev/null || missing+=(chromium)
command -v chromedriver >/dev/null || missing+=(chromium-driver)
command -v redis-server >/dev/null || missing+=(redis-server)
command -v redis-sentinel >/dev/null || missing+=(redis-sentinel)
command -v brotli >/dev/null || missing+=(brotli)
if [ ${#missing[@]} -gt 0 ]; then
  as_root apt-get update -qq
  as_root env DEBIAN_FRONTEND=noninteractive apt-get install -y -qq "${missing[@]}"
fi
# Debian starts a system redis on 6379; the tests start their own on free ports.

step "npm tools: wasm-opt from binaryen@132 (never Debian's 108: it builds a blank page), axe-core"
if ! tools/node_modules/.bin/wasm-opt --version 2>/dev/null | grep -q 'version 132' ||
  ! cmp -s <(node -p "require('./tools/package.json').dependencies['axe-core']") \
    <(node -p "require('./tools/node_modules/axe-core/package.json').version" 2>/dev/null); then
  (cd tools && npm ci --no-audit --no-fund)
fi

step "trunk 0.21.14 (0.22 needs a newer rustc)"
if ! trunk --version 2>/dev/null | grep -qx 'trunk 0.21.14'; then
  cargo install trunk --version 0.21.14 --locked --no-default-features --features rustls
fi

step "wasm-bindgen-cli at the version in Cargo.lock"
wb_version=$(grep -A1 '^name = "wasm-bindgen"$' Cargo.lock | sed -n 's/^version = "\(.*\)"/\1/p')
if ! wasm-bindgen --version 2>/dev/null | grep -qx "wasm-bindgen $wb_version"; then
  # Not --locked: the CLI's own lock file pins a webpki-roots the registry no longer has.
  cargo install wasm-bindgen-cli --version "=$wb_version"
fi

step "crates (so that trunk can run offline)"
cargo fetch --locked >/dev/null

printf '\nsetup: ok (trunk %s, %s, wasm-opt %s)\n' \
  "$(trunk --version | cut -d' ' -f2)" "$(wasm-bindgen --version)" \
  "$(wasm-opt --version | cut -d' ' -f3)"
