#!/bin/sh
# Trunk post-build hook (one script: hooks of one stage run concurrently,
# and the service worker must list the final files).
#
# 0. Code splitting (builds with `--features split`, whose wasm imports the
#    split points' placeholder module): crates/split-wasm cuts the raw cargo
#    wasm into the shell and per-chapter chunks, runs wasm-bindgen and
#    wasm-opt, hashes the chunk names, replaces trunk's JS and wasm and
#    their integrity in index.html, and writes split-manifest.json.
# 1. Deep links on any static host: 404.html (served by GitHub Pages and
#    the like for unknown paths) and <slug>/index.html for every chapter
#    registered in src/chapters and for the lesson page (so /qkv answers
#    200) are copies of index.html. Slugs are read from each chapter's
#    `pub const SLUG`, the value the registry uses.
# 2. Offline: sw.js, the service worker, with the list of every file a
#    visit needs (the shell, wasm, js, css, models, icons, manifest) and a
#    version that is the hash of their contents, so a new deploy makes a
#    new cache and the old one is dropped (scripts/sw.template.js).
set -eu
dir="${TRUNK_STAGING_DIR:?run from trunk}"
root="$(pwd)"
profile="${TRUNK_PROFILE:-release}"
for js in "$dir"/attention-lab-*.js; do
  if grep -q __wasm_split_placeholder__ "$js"; then
    stem=$(basename "$js" .js)
    raw="${CARGO_TARGET_DIR:-$root/target}/wasm32-unknown-unknown/$profile/attention-lab.wasm"
    # SPLIT_WASM_OPT=none keeps the wasm's function names (for profiling:
    # tests/e2e/profile_qkv.mjs); release builds use -Oz.
    opt=${SPLIT_WASM_OPT:--Oz}
    [ "$profile" = release ] || opt=none
    cargo run --quiet -p split-wasm -- "$raw" "$dir" "$stem" --opt "$opt"
  fi
done
cp "$dir/index.html" "$dir/404.html"
slugs="lesson"
for f in src/chapters/*/mod.rs; do
  slug=$(sed -n 's/^pub const SLUG: &str = "\([a-z-]*\)";$/\1/p' "$f")
  [ -n "$slug" ] || continue
  slugs="$slugs $slug"
done
for slug in $slugs; do
  mkdir -p "$dir/$slug"
  cp "$dir/index.html" "$dir/$slug/index.html"
done

cd "$dir"
# Every file but the copies of index.html, the worker itself and the packs
# (a page's modules in one file, fetched only on a visit no worker serves:
# crates/split-wasm/src/pack.rs; the worker caches the modules themselves).
files=$(find . -type f ! -name 404.html ! -name sw.js ! -name 'pack_*' ! -path './*/index.html' | sed 's|^\./||' | LC_ALL=C sort)
version=$(for f in $files; do sha256sum "$f"; done | sha256sum | cut -c1-16)
list=$(for f in $files; do printf '  "/%s",\n' "$f"; done)
{
  printf '// Made by scripts/post_build.sh from scripts/sw.template.js: do not edit.\n'
  printf 'const VERSION = "%s";\n' "$version"
  printf 'const ASSETS = [\n  "/",\n%s\n];\n' "$list"
  cat "$root/scripts/sw.template.js"
} > sw.js
