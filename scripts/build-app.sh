#!/usr/bin/env bash
# Builds the release dist/ that users get (and that the end-to-end tests load): the full app
# (Trunk), the small builds beside it (the creator's and the recipient's first screens), the
# boot script that picks one, the embed loader, the page's CSP, and brotli and gzip siblings
# of every file.
set -euo pipefail
source "$(dirname "$0")/env.sh"
cd "$OTS_ROOT"
target="${CARGO_TARGET_DIR:-$OTS_ROOT/target}"

trunk build --release

# The first screens alone (src/bin/ots-create.rs, src/bin/ots-reveal.rs), built like Trunk
# builds the app but without the `app` feature, so they link no Leptos.
cargo build --locked --profile wasm-release --target wasm32-unknown-unknown \
  --no-default-features --bin ots-create --bin ots-reveal
# And what they load on demand (src/parts.rs): Argon2id, the QR code, the Sent history.
cargo build --locked --profile wasm-release --target wasm32-unknown-unknown \
  --no-default-features --features parts --bin ots-parts
pkg="$target/light-pkg"
rm -rf "$pkg"
for build in ots-create ots-reveal ots-parts; do
  wasm-bindgen --target web --no-typescript --out-dir "$pkg" --out-name "$build" \
    "$target/wasm32-unknown-unknown/wasm-release/$build.wasm"
  wasm-opt -Oz "$pkg/${build}_bg.wasm" -o "$pkg/${build}_bg.wasm"
done

# In this order: the embed loader reads Trunk's loader, which the boot script then replaces;
# the CSP is written for the final page; the siblings are made last.
python3 scripts/embed-loader.py dist
python3 scripts/entries.py dist "$pkg"
python3 scripts/csp-meta.py dist
python3 scripts/precompress.py dist
