#!/usr/bin/env bash
# Quick start, part 1: set up, then train the default DCGAN on Fashion-MNIST and write samples.
# Extra arguments go to `ganc train dcgan` (e.g. --iters 2000, --time 10m, --out runs/mine).
set -euo pipefail
cd "$(dirname "$0")/.."
scripts/setup.sh release
out=runs/dcgan
for ((i = 1; i <= $#; i++)); do [ "${!i}" = "--out" ] && { j=$((i + 1)); out=${!j}; }; done
build/ganc train dcgan --out "$out" "$@"
build/ganc sample "$out" --n 64 --out "$out/final_samples.png"
echo "samples: $out/samples.png (fixed noise, during training), $out/final_samples.png; loss curves: $out/loss.svg"
