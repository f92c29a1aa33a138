#!/usr/bin/env bash
# SRResNet recipes compared at equal CPU wall time (issue 15): each configuration trains for the iterations that
# fit in BUDGET seconds of 2-core CPU time (its seconds per iteration measured here beforehand and given below),
# then is scored on the test set by scripts/eval_sr.sh (PSNR/SSIM, Y, border 4). Training results do not depend on
# the device beyond rounding, so a GPU runs the search fast: DEVICE=cuda.
# Usage: scripts/sr_recipes.sh [BUILD] [DEVICE] [BUDGET]   (defaults: build cpu 3600)
set -euo pipefail
cd "$(dirname "$0")/.."
B=${1:-build}; DEV=${2:-cpu}; BUDGET=${3:-3600}
out=${OUT:-/tmp}/sr_recipes
mkdir -p "$out"
scripts/get_photos.sh >/dev/null
# name | CPU s/iter (2 cores, measured) | flags
recipes=(
  "paper|3.5|--blocks 16 --width 64 --crop 96 --batch 16 --pixel-loss mse --lr 1e-4 --skip none"
  "b8w32c64-l1-skip|0.5|--blocks 8 --width 32 --crop 64 --batch 16 --pixel-loss l1 --lr 5e-4 --skip bicubic"
  "b4w32c64-l1-skip|0.35|--blocks 4 --width 32 --crop 64 --batch 16 --pixel-loss l1 --lr 5e-4 --skip bicubic"
  "b8w64c96-l1-skip|2.9|--blocks 8 --width 64 --crop 96 --batch 16 --pixel-loss l1 --lr 2e-4 --skip bicubic"
  "b8w32c64-l1-noskip|0.5|--blocks 8 --width 32 --crop 64 --batch 16 --pixel-loss l1 --lr 5e-4 --skip none"
  "b8w32c64-mse-skip|0.5|--blocks 8 --width 32 --crop 64 --batch 16 --pixel-loss mse --lr 5e-4 --skip bicubic"
)
[ -n "${ONLY:-}" ] && recipes=("${recipes[@]:0:$ONLY}")
for r in "${recipes[@]}"; do
  IFS='|' read -r name spi flags <<<"$r"
  iters=$(awk -v b="$BUDGET" -v s="$spi" 'BEGIN { printf "%d", b / s }')
  t0=$(date +%s)
  # shellcheck disable=SC2086
  "$B/ganc" train srresnet --data data/photos/train $flags --iters "$iters" --device "$DEV" --out "$out/$name" \
    --seed 1 >"$out/$name.log" 2>&1 || { echo "$name: training failed"; tail -3 "$out/$name.log"; continue; }
  t1=$(date +%s)
  res=$(GANC="$B/ganc" SR_DEVICE=$([ "$DEV" = cuda ] && echo cuda) scripts/eval_sr.sh "$out/$name" "$out/$name.eval" |
        awk '/^PSNR/ {p=$2} /^SSIM/ {s=$2} END {print p, s}')
  echo "$name | $iters iters ($spi s/iter on 2 CPU cores) | trained in $((t1 - t0)) s on $DEV | PSNR SSIM: $res" |
    tee -a "$out/table.txt"
done
echo "bicubic | PSNR SSIM: $(GANC="$B/ganc" scripts/eval_sr.sh bicubic "$out/bicubic.eval" |
      awk '/^PSNR/ {p=$2} /^SSIM/ {s=$2} END {print p, s}')" | tee -a "$out/table.txt"
