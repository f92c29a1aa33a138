#!/usr/bin/env bash
# Reed et al. 2016's comparison on the captioned emoji: the text encoder (ganc train textenc), then the four variants
# (plain conditional GAN, GAN-CLS, GAN-INT, GAN-INT-CLS) trained for the same number of steps from the same seed,
# each measured on the held-out emoji (never trained on): --n samples of every held-out emoji's name ->
#   FID against the real training emoji and category accuracy, both in the feature space of a ganc classifier
#   trained on the training emoji's 8 categories (grey 32x32: ganc's feature network; its held-out accuracy is
#   printed), and R-precision with the joint embedding (own name against 99 other held-out names).
# Usage: scripts/eval_text2img.sh [OUT_DIR] [STEPS] [SIZE]   (defaults: runs/eval_text2img 2000 32)
set -euo pipefail
cd "$(dirname "$0")/.."
out=${1:-runs/eval_text2img}
steps=${2:-2000}
size=${3:-32}
G=${GANC:-build/ganc}
[ -x "$G" ] || scripts/setup.sh release
scripts/get_emoji.sh >/dev/null
mkdir -p "$out"
run() { echo "+ $*" >&2; "$@"; }
[ -f "$out/textenc/text.safetensors" ] || run $G train textenc --out "$out/textenc" --force | tail -3
[ -f "$out/emoji_cls.safetensors" ] || run $G train classifier --data emoji --test emoji-heldout --out "$out/emoji_cls.safetensors" | tail -1
declare -A flags=([plain]="--no-cls --no-int" [cls]="--no-int" [int]="--no-cls" [intcls]="")
for v in plain cls int intcls; do
  if [ ! -f "$out/$v/G.safetensors" ]; then
    # shellcheck disable=SC2086
    run $G train text2img --encoder "$out/textenc" ${flags[$v]} --t2i-size "$size" --iters "$steps" --sample-every 500 \
      --log-every 100 --out "$out/$v" --force | tail -2
  fi
  run $G text2img "$out/$v" --emoji-heldout "$out/$v/heldout" --n 4 > "$out/$v/rprecision.txt"
  run $G eval fid,acc --real emoji --fake "$out/$v/heldout" --classifier "$out/emoji_cls.safetensors" --json \
    > "$out/$v/eval.json"
done
echo "variant  FID  category_accuracy  R-precision"
for v in plain cls int intcls; do
  echo "$v $(cat "$out/$v/eval.json") $(cat "$out/$v/rprecision.txt")"
done
