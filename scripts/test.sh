#!/usr/bin/env bash
# Runs every test of Attention Lab, installing whatever is missing first.
# fmt, clippy (native + wasm32), native tests, numpy cross-check, widget tests
# in headless Chromium, release build, bundle size, end-to-end tests.
set -euo pipefail
source "$(dirname "$0")/tools.sh"
cd "$ROOT"
ensure_rust_tools
ensure_python_deps

log "cargo fmt --check"
cargo fmt --all -- --check
log "clippy (native)"
cargo clippy --workspace --all-targets -- -D warnings
log "clippy (wasm32)"
cargo clippy --workspace --target wasm32-unknown-unknown -- -D warnings
cargo clippy -p attention-lab --target wasm32-unknown-unknown --tests -- -D warnings
cargo clippy -p attention-lab --target wasm32-unknown-unknown --features split -- -D warnings
log "native tests"
cargo test --workspace
# The steps below reuse the debug build just made (the engine and nalgebra
# are optimised in it, opt-level 2: Cargo.toml), rather than compiling the
# engine again in release.
log "the lab's induction recipe grows an induction head (about 40 s)"
cargo test -p attention-core --test induction_recipe -- --ignored
log "independent reference: numpy vs attention-trace"
cargo build --quiet -p attention-core --bin attention-trace --bin attention-variants
python3 tests/reference/check_trace.py target/debug/attention-trace
log "independent reference: numpy vs attention-variants (dense, linear, tiled, ring)"
python3 tests/reference/check_variants.py target/debug/attention-variants

ensure_browser
ensure_wasm_opt
ensure_test_deps
log "browser tests: widgets in headless Chromium (wasm-bindgen-test)"
CHROMEDRIVER=/usr/bin/chromedriver cargo test --target wasm32-unknown-unknown -p attention-lab --test browser

log "release build with trunk (split into chunks: crates/split-wasm)"
trunk build --release --features split

log "bundle size (gzip -9: the landing page and every cold deep link; fails past a ceiling)"
python3 scripts/bundle_size.py dist

log "end-to-end: serve dist/ and drive Chromium like a learner"
(cd tests/e2e && npm test)
