#!/usr/bin/env bash
# The super-resolution figure of the README: for each test photo named, a crop of bicubic / each MODEL / the
# original side by side (x4 from the photo's MATLAB-bicubic downscale, as scripts/eval_sr.sh measures).
# Usage: scripts/sr_figure.sh OUT.png "LABEL=MODEL" ...   (MODEL: a run folder or G.safetensors; needs python3-pil)
# Env: PHOTOS (default: chelsea astronaut), CROP "x y size" per photo in the HR image (default: centre 128).
set -euo pipefail
cd "$(dirname "$0")/.."
out=${1:?usage: scripts/sr_figure.sh OUT.png LABEL=MODEL ...}; shift
G=${GANC:-build/ganc}
tmp=$(mktemp -d)
trap 'rm -rf "$tmp"' EXIT
scripts/get_photos.sh >/dev/null
cols=("bicubic=bicubic" "$@")
rows=()
for p in ${PHOTOS:-chelsea astronaut}; do
  f=$(ls data/photos/test/"$p".* | head -1)
  for c in "${cols[@]}"; do
    "$G" upscale "$f" "$tmp/$p.${c%%=*}.png" --model "${c#*=}" --from-hr --hr-out "$tmp/$p.original.png" >/dev/null
  done
  rows+=("$p")
done
labels=("${cols[@]%%=*}" original)
/usr/bin/python3 - "$tmp" "$out" "${rows[*]}" "${labels[*]}" <<'PY'
import sys
from PIL import Image, ImageDraw
tmp, out, rows, labels = sys.argv[1], sys.argv[2], sys.argv[3].split(), sys.argv[4].split()
S, pad, top = 160, 4, 18
fig = Image.new("RGB", (len(labels) * (S + pad) + pad, len(rows) * (S + pad) + pad + top), "white")
d = ImageDraw.Draw(fig)
for j, lab in enumerate(labels):
    d.text((pad + j * (S + pad) + 4, 3), lab, fill="black")
for i, r in enumerate(rows):
    ref = Image.open("%s/%s.original.png" % (tmp, r))
    x, y = ref.width // 2 - S // 2, ref.height // 2 - S // 2
    for j, lab in enumerate(labels):
        im = Image.open("%s/%s.%s.png" % (tmp, r, lab)).crop((x, y, x + S, y + S))
        fig.paste(im, (pad + j * (S + pad), top + pad + i * (S + pad)))
fig.save(out)
print("wrote", out)
PY
