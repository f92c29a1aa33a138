#!/usr/bin/env bash
# PSNR/SSIM of super-resolution on the test set (scripts/get_photos.sh), the papers' protocol: each original is
# cropped to a multiple of the scale, degraded with MATLAB's bicubic, upscaled back, and compared on the Y channel
# with a border of 4 pixels cropped. Also the sharpness: the mean gradient magnitude of the upscaled photo over the
# original's (1 = as sharp; bicubic is well below). Usage: scripts/eval_sr.sh MODEL [OUTDIR]
#   MODEL: a srresnet run folder, its G.safetensors, or bicubic (the baseline). GANC overrides the ganc binary;
#   SR_DEVICE=cuda upscales on the GPU.
set -euo pipefail
cd "$(dirname "$0")/.."
model=${1:?usage: scripts/eval_sr.sh MODEL [OUTDIR]}
out=${2:-$(mktemp -d)}
G=${GANC:-build/ganc}
scripts/get_photos.sh >/dev/null
mkdir -p "$out/ref" "$out/sr"
for f in data/photos/test/*; do
  n=$(basename "${f%.*}")
  "$G" upscale "$f" "$out/sr/$n.png" --model "$model" ${SR_DEVICE:+--device "$SR_DEVICE"} --from-hr --hr-out "$out/ref/$n.png" >/dev/null
done
"$G" eval psnr,ssim,sharp --real "$out/ref" --fake "$out/sr"
echo "(images in $out)"
