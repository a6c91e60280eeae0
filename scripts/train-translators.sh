#!/usr/bin/env bash
# Regenerates the translator weights shipped in public/models/ (seeded:
# the same command gives the same files). About 3 minutes per model here.
set -euo pipefail
cd "$(dirname "$0")/.."
cargo build --release -q -p attention-core --bin train-translate
for memory in attention bottleneck:8 bottleneck:32; do
  ./target/release/train-translate --memory "$memory" --steps 3000
done
