#!/usr/bin/env bash
# The LAPGAN evaluation of the README: LAPGAN, CC-LAPGAN, the 2014 MLP GAN and DCGAN on Fashion-MNIST 32x32, each
# trained for the same wall-clock time on this machine, then FID/KID/precision/recall (10,000 samples, ganc's
# features), Parzen and, for the class-conditional model, class accuracy; then LAPGAN and DCGAN on the emoji at
# 64x64 for the same time each, grids side by side. Run it alone on a quiet machine (timed training).
# Usage: scripts/eval_lapgan.sh [OUT=runs/lapgan-eval] [EMOJI_SECONDS=600]
# The default LAPGAN run (500 steps) sets the budget: the MLP GAN and DCGAN get its wall time (--time).
set -euo pipefail
cd "$(dirname "$0")/.."
out=${1:-runs/lapgan-eval}
te=${2:-600}
G=${GANC:-build/ganc}
mkdir -p "$out"
run() { echo "+ $*"; "$@"; }
secs() { tail -1 "$1/log.csv" | cut -d, -f3; } # the last row is the last step
run $G train lapgan --sample-every 100 --out "$out/lapgan" --force
t=$(secs "$out/lapgan" | cut -d. -f1)
run $G train lapgan --conditional --sample-every 100 --out "$out/cclapgan" --force
run $G train gan --time "$t" --sample-every 500 --out "$out/gan" --force
run $G train dcgan --time "$t" --sample-every 250 --out "$out/dcgan" --force
for m in lapgan cclapgan gan dcgan; do
  echo "== $m: $(tail -1 "$out/$m/log.csv" | cut -d, -f1) iterations in $(secs "$out/$m") s"
  run $G eval fid,kid,pr --real fashion-mnist:test --fake "$out/$m" --n 10000
  run $G eval parzen --real fashion-mnist:test --fake "$out/$m"
done
run $G eval acc --real fashion-mnist:test --fake "$out/cclapgan" --n 10000
run $G sample "$out/lapgan" --pyramid --n 8 --out "$out/lapgan_pyramid.png"
run $G sample "$out/cclapgan" --grid-by-class --out "$out/cclapgan_by_class.png"
# emoji, 64x64 colour
emoji=$(scripts/get_emoji.sh)
run $G train lapgan --data "$emoji" --size 64 --channels 3 --time "$te" --sample-every 50 --out "$out/emoji_lapgan" --force
run $G train dcgan --data "$emoji" --size 64 --channels 3 --time "$te" --sample-every 50 --out "$out/emoji_dcgan" --force
for m in emoji_lapgan emoji_dcgan; do
  echo "== $m: $(tail -1 "$out/$m/log.csv" | cut -d, -f1) iterations in $(secs "$out/$m") s"
done
run $G sample "$out/emoji_lapgan" --pyramid --n 6 --out "$out/emoji_lapgan_pyramid.png"
