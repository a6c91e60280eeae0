#!/usr/bin/env python3
"""Prints the gzip -9 size of the app bundle in dist/ (wasm + js + css).

Usage: python3 scripts/bundle_size.py [dist]. Reports, never fails: the
budget (250 KB) is tracked in the closing notes, not by a flaky test.
"""
import gzip
import pathlib
import sys

dist = pathlib.Path(sys.argv[1] if len(sys.argv) > 1 else "dist")
total = 0
for f in sorted(dist.iterdir()):
    if f.suffix in {".wasm", ".js", ".css"}:
        raw = f.read_bytes()
        gz = len(gzip.compress(raw, 9))
        total += gz
        print(f"{f.name:50} {len(raw):>9} B raw {gz:>9} B gzip")
print(f"{'total':50} {'':>15} {total:>9} B gzip ({total / 1024:.1f} KiB; budget 250 KB)")
