#!/usr/bin/env bash
# The README's text-to-image figures from a trained run (default: scripts/eval_text2img.sh's GAN-INT-CLS):
#   t2i_heldout.png  8 held-out emoji names (never trained on), 8 samples each (rows)
#   t2i_interp.png   "red apple" -> "green apple" in 8 steps, the same noise along each of 4 rows
#   t2i_style.png    the same noise along each of 4 rows, one caption per column
# Usage: scripts/t2i_figures.sh [RUN] [OUT_DIR]
set -euo pipefail
cd "$(dirname "$0")/.."
run=${1:-runs/eval_text2img/intcls}
out=${2:-docs/img}
G=${GANC:-build/ganc}
$G text2img "$run" --n 8 --seed 1 --out "$out/t2i_heldout.png" "negative squared latin capital letter a" \
  "person doing cartwheel tone 2" "fallen leaf" "poland" "face throwing a kiss" "scorpion" "delivery truck" "elephant"
$G text2img "$run" --interp "red apple" "green apple" --steps 8 --n 4 --seed 2 --out "$out/t2i_interp.png"
$G text2img "$run" --style "red apple" "green apple" "heavy black heart" "blue heart" "face with tears of joy" "poland" \
  "delivery truck" "scorpion" --n 4 --seed 3 --out "$out/t2i_style.png"
