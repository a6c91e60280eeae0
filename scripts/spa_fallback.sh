#!/bin/sh
# Trunk post-build hook: makes deep links work on any static host.
# 404.html (served by GitHub Pages and the like for unknown paths) and
# <slug>/index.html for every chapter registered in src/chapters (so /qkv
# answers 200) are copies of index.html. Slugs are read from each chapter's
# `pub const SLUG`, the value the registry uses.
set -eu
dir="${TRUNK_STAGING_DIR:?run from trunk}"
cp "$dir/index.html" "$dir/404.html"
for f in src/chapters/*/mod.rs; do
  slug=$(sed -n 's/^pub const SLUG: &str = "\([a-z-]*\)";$/\1/p' "$f")
  [ -n "$slug" ] || continue
  mkdir -p "$dir/$slug"
  cp "$dir/index.html" "$dir/$slug/index.html"
done
