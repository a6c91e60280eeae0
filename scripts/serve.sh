#!/usr/bin/env bash
# Builds Attention Lab and serves it on http://127.0.0.1:8080, installing
# whatever is missing first (wasm32 target, trunk, wasm-bindgen-cli, wasm-opt).
set -euo pipefail
source "$(dirname "$0")/tools.sh"
ensure_rust_tools
ensure_wasm_opt
cd "$ROOT"
log "Serving on http://127.0.0.1:8080 (Ctrl-C to stop)"
exec trunk serve --release --features split "$@"
