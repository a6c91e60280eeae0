# shellcheck shell=bash
# Installs what the build and the tests need, only when missing.
# Sourced by scripts/serve.sh and scripts/test.sh. Safe to run repeatedly.
set -euo pipefail

ROOT="$(cd "$(dirname "${BASH_SOURCE[0]}")/.." && pwd)"
TRUNK_VERSION="0.21.14"
BINARYEN_VERSION="132"
export PATH="$HOME/.cargo/bin:$ROOT/.tools/node_modules/.bin:$PATH"

# Each step is printed with the seconds since the script started, so a slow
# run shows which step grew.
log() { printf '\n==> [%ss] %s\n' "$SECONDS" "$*"; }

# The wasm-bindgen version the app is pinned to (from Cargo.lock).
wasm_bindgen_version() {
  awk '/^name = "wasm-bindgen"$/ { getline; gsub(/version = |"/, ""); print; exit }' "$ROOT/Cargo.lock"
}

ensure_rust_tools() {
  command -v cargo >/dev/null || { echo "cargo not found: install rustup first (https://rustup.rs)"; exit 1; }
  if ! rustup target list --installed | grep -qx wasm32-unknown-unknown; then
    log "Adding the wasm32-unknown-unknown target"
    rustup target add wasm32-unknown-unknown
  fi
  rustup component list --installed 2>/dev/null | grep -q '^rustfmt' || rustup component add rustfmt
  rustup component list --installed 2>/dev/null | grep -q '^clippy' || rustup component add clippy
  if ! trunk --version 2>/dev/null | grep -q "$TRUNK_VERSION"; then
    log "Installing trunk $TRUNK_VERSION (takes about 13 minutes, once)"
    cargo install --locked trunk --version "$TRUNK_VERSION"
  fi
  local wb
  wb="$(wasm_bindgen_version)"
  if ! wasm-bindgen --version 2>/dev/null | grep -q "$wb"; then
    log "Installing wasm-bindgen-cli $wb (must equal the crate version in Cargo.lock)"
    cargo install wasm-bindgen-cli --version "$wb"
  fi
}

ensure_wasm_opt() {
  if ! "$ROOT/.tools/node_modules/.bin/wasm-opt" --version 2>/dev/null | grep -q "version $BINARYEN_VERSION"; then
    command -v npm >/dev/null || { log "Installing Node.js and npm"; apt_install nodejs npm; }
    log "Installing wasm-opt (npm binaryen@$BINARYEN_VERSION) into .tools/"
    npm install --prefix "$ROOT/.tools" --no-save --no-audit --no-fund "binaryen@$BINARYEN_VERSION"
  fi
}

APT_UPDATED=0
apt_install() {
  local sudo=""
  [ "$(id -u)" -eq 0 ] || sudo="sudo"
  if [ "$APT_UPDATED" -eq 0 ]; then
    $sudo apt-get update -qq
    APT_UPDATED=1
  fi
  DEBIAN_FRONTEND=noninteractive $sudo apt-get install -y -qq "$@"
}

ensure_browser() {
  if [ ! -x /usr/bin/chromium ] || [ ! -x /usr/bin/chromedriver ]; then
    log "Installing Chromium and chromedriver (Debian packages)"
    apt_install chromium chromium-driver
  fi
}

ensure_python_deps() {
  if ! python3 -c 'import numpy' 2>/dev/null; then
    log "Installing numpy for the independent reference check"
    python3 -m pip install --quiet -r "$ROOT/tests/reference/requirements.txt" \
      || python3 -m pip install --quiet --break-system-packages -r "$ROOT/tests/reference/requirements.txt"
  fi
}

ensure_test_deps() {
  command -v node >/dev/null || { log "Installing Node.js"; apt_install nodejs npm; }
  if [ ! -d "$ROOT/tests/e2e/node_modules/playwright-core" ]; then
    log "Installing the end-to-end test driver (playwright-core, uses Debian's Chromium)"
    (cd "$ROOT/tests/e2e" && npm ci --no-audit --no-fund)
  fi
}
