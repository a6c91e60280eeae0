#!/usr/bin/env bash
# Runs every test of Attention Lab, installing whatever is missing first.
# fmt, clippy (native + wasm32), native tests, numpy cross-check, widget tests
# in headless Chromium, release build, bundle size, end-to-end tests.
#
# The release build (trunk, then the split into chunks) runs in the
# background from the start of the native tests, in its own target
# directory (target/release-build: two cargo commands cannot share one): its
# last, longest stage compiles the app as one unit with LTO on one core, and
# the tests keep the other busy meanwhile. Its output is printed when it is
# waited for, before the bundle size.
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
# The app and the engine (split-wasm is a native tool): the same packages,
# hence the same dependency features, in all three, so the dependencies are
# checked once.
cargo clippy -p attention-lab -p attention-core --target wasm32-unknown-unknown -- -D warnings
cargo clippy -p attention-lab --target wasm32-unknown-unknown --features split -- -D warnings
cargo clippy -p attention-lab --target wasm32-unknown-unknown --tests -- -D warnings

ensure_wasm_opt
log "release build with trunk, in the background (split into chunks: crates/split-wasm)"
build_log="$ROOT/target/release-build.log"
mkdir -p "$ROOT/target"
CARGO_TARGET_DIR="$ROOT/target/release-build" trunk build --release --features split > "$build_log" 2>&1 &
build_pid=$!
trap 'kill "$build_pid" 2>/dev/null || true' EXIT

log "native tests"
cargo test --workspace
# The steps below reuse the debug build just made (the engine and nalgebra
# are optimised in it, opt-level 2: Cargo.toml), rather than compiling the
# engine again in release.
log "the lab's induction recipe grows an induction head (about 40 s)"
# (--workspace, as above: with -p the dependencies' features would differ
# and they would be compiled again.)
cargo test --workspace --test induction_recipe -- --ignored
log "independent reference: numpy vs attention-trace"
cargo build --quiet --workspace --bin attention-trace --bin attention-variants
python3 tests/reference/check_trace.py target/debug/attention-trace
log "independent reference: numpy vs attention-variants (dense, linear, tiled, ring)"
python3 tests/reference/check_variants.py target/debug/attention-variants

ensure_browser
ensure_test_deps
log "browser tests: widgets in headless Chromium (wasm-bindgen-test)"
CHROMEDRIVER=/usr/bin/chromedriver cargo test --target wasm32-unknown-unknown -p attention-lab --test browser

log "waiting for the release build"
if wait "$build_pid"; then
  build_ok=1
else
  build_ok=0
fi
trap - EXIT
cat "$build_log"
[ "$build_ok" = 1 ] || { echo "the release build failed" >&2; exit 1; }

log "bundle size (gzip -9: the landing page and every cold deep link; fails past a ceiling)"
python3 scripts/bundle_size.py dist

log "end-to-end: serve dist/ and drive Chromium like a learner"
(cd tests/e2e && npm test)
