#!/usr/bin/env bash
# Quick start, part 1: set up, then train the default DCGAN on Fashion-MNIST and write samples.
# Extra arguments go to `ganc train dcgan` (e.g. --iters 2000, --time 10m, --out runs/mine).
# Without --out the run goes to runs/dcgan, or runs/dcgan-2, -3, ... when that already holds a run (a run is never
# overwritten unless you pass --force with your own --out).
set -euo pipefail
cd "$(dirname "$0")/.."
scripts/setup.sh release
out=
for ((i = 1; i <= $#; i++)); do [ "${!i}" = "--out" ] && { j=$((i + 1)); out=${!j}; }; done
if [ -z "$out" ]; then
  out=runs/dcgan
  k=2
  while [ -e "$out/state.safetensors" ] || [ -e "$out/G.safetensors" ]; do out=runs/dcgan-$k; k=$((k + 1)); done
  set -- --out "$out" "$@"
fi
build/ganc train dcgan "$@"
build/ganc sample "$out" --n 64 --out "$out/final_samples.png"
echo "samples: $out/samples.png (fixed noise, during training), $out/final_samples.png; loss curves: $out/loss.svg"
