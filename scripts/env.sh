# Sourced by the project's scripts: puts the project's own tools first on PATH.
# npm's wasm-opt (binaryen 132) must win over any Debian wasm-opt (108 builds a blank page).
OTS_ROOT="$(cd "$(dirname "${BASH_SOURCE[0]}")/.." && pwd)"
export OTS_ROOT
export PATH="$OTS_ROOT/tools/node_modules/.bin:${CARGO_INSTALL_ROOT:-${CARGO_HOME:-$HOME/.cargo}}/bin:${CARGO_HOME:-$HOME/.cargo}/bin:$PATH"
export CARGO_TERM_COLOR="${CARGO_TERM_COLOR:-never}"
