#!/usr/bin/env bash
# Photographs for super-resolution (ganc train srresnet), from Debian packages, without installing them:
# apt-get download + dpkg -x, then only the photographs are kept (the packages also hold drawings and abstract art).
#   data/photos/train  the 12 nature photographs of mate-backgrounds 1.26 (1280x1024 .. 2560x1920), listed below
#   data/photos/test   the papers'-style test set: skimage's astronaut, chelsea, coffee, rocket, motorcycle_left
#                      (python3-skimage) and scikit-learn's china.jpg, flower.jpg (python3-sklearn); never trained on
# Prints the training folder, e.g.:  ganc train srresnet --data "$(scripts/get_photos.sh)"
set -euo pipefail
cd "$(dirname "$0")/.."
dest=data/photos
train=(Aqua Blinds Dune FreshFlower Garden GreenMeadow LadyBird RainDrops Storm TwoWings Wood YellowFlower)
if [ ! -f "$dest/.complete" ]; then
  mkdir -p "$dest/train" "$dest/test"
  tmp=$(mktemp -d)
  trap 'rm -rf "$tmp"' EXIT
  (cd "$tmp" && apt-get download mate-backgrounds python3-skimage python3-sklearn >/dev/null 2>&1) || {
    echo "get_photos: 'apt-get download mate-backgrounds python3-skimage python3-sklearn' failed (run 'apt-get update' as root first?)" >&2
    exit 1; }
  for f in "$tmp"/*.deb; do dpkg -x "$f" "$tmp/x"; done
  for n in "${train[@]}"; do cp "$tmp/x/usr/share/backgrounds/mate/nature/$n.jpg" "$dest/train/"; done
  sk=$(dirname "$(find "$tmp/x" -path '*skimage/data/astronaut.png' | head -1)")
  for n in astronaut.png chelsea.png coffee.png rocket.jpg motorcycle_left.png; do cp "$sk/$n" "$dest/test/"; done
  sl=$(dirname "$(find "$tmp/x" -path '*sklearn/datasets/images/china.jpg' | head -1)")
  cp "$sl/china.jpg" "$sl/flower.jpg" "$dest/test/"
  touch "$dest/.complete"
fi
echo "$dest/train"
