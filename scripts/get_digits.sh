#!/usr/bin/env bash
# Unpacks scikit-learn's 1,797 real handwritten 8x8 digits (digits.csv.gz of Debian's python3-sklearn) into
# data/sklearn/ without installing scikit-learn: apt-get download + dpkg -x. Nothing to do when python3-sklearn is
# installed (ganc's `sklearn-digits` source then reads Debian's copy). Prints the file's path.
set -euo pipefail
cd "$(dirname "$0")/.."
rel=usr/lib/python3/dist-packages/sklearn/datasets/data/digits.csv.gz
if [ -f "/$rel" ]; then echo "/$rel"; exit 0; fi
dest=data/sklearn
if [ ! -f "$dest/$rel" ]; then
  mkdir -p "$dest"
  tmp=$(mktemp -d)
  trap 'rm -rf "$tmp"' EXIT
  (cd "$tmp" && apt-get download python3-sklearn >/dev/null 2>&1) || {
    echo "get_digits: 'apt-get download python3-sklearn' failed (run 'apt-get update' as root first?)" >&2; exit 1; }
  dpkg -x "$tmp"/python3-sklearn_*.deb "$tmp/x"
  mkdir -p "$dest/$(dirname "$rel")"
  cp "$tmp/x/$rel" "$dest/$rel"
fi
echo "$dest/$rel"
