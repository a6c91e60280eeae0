#!/usr/bin/env bash
# Runs every test of Attention Lab, installing whatever is missing first.
# Native: fmt, clippy (native + wasm32), cargo test, numpy cross-check.
set -euo pipefail
source "$(dirname "$0")/tools.sh"
cd "$ROOT"
ensure_rust_tools
if ! python3 -c 'import numpy' 2>/dev/null; then
  python3 -m pip install --quiet -r tests/reference/requirements.txt
fi

log "cargo fmt --check"
cargo fmt --all -- --check
log "clippy (native)"
cargo clippy --workspace --all-targets -- -D warnings
log "clippy (wasm32)"
cargo clippy --workspace --target wasm32-unknown-unknown -- -D warnings
log "native tests"
cargo test --workspace
log "independent reference: numpy vs attention-trace"
cargo build --quiet --release -p attention-core --bin attention-trace
python3 tests/reference/check_trace.py target/release/attention-trace
