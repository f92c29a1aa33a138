#!/usr/bin/env bash
# Unpacks Debian's ruby-gemojione (1,794 64x64 emoji PNGs, palette/RGBA, with names and keywords in
# config/index.json) into data/gemojione/ without installing Ruby: apt-get download + dpkg -x. Prints the image
# folder, e.g.:  ganc train dcgan --data "$(scripts/get_emoji.sh)" --size 64 --channels 3
set -euo pipefail
cd "$(dirname "$0")/.."
dest=data/gemojione
png=$dest/usr/share/rubygems-integration/all/gems/gemojione-3.3.0/assets/png
if [ ! -d "$png" ]; then
  mkdir -p "$dest"
  tmp=$(mktemp -d)
  trap 'rm -rf "$tmp"' EXIT
  (cd "$tmp" && apt-get download ruby-gemojione >/dev/null 2>&1) || {
    echo "get_emoji: 'apt-get download ruby-gemojione' failed (run 'apt-get update' as root first?)" >&2; exit 1; }
  dpkg -x "$tmp"/ruby-gemojione_*.deb "$dest"
  png=$(dirname "$(find "$dest" -name 2705.png | head -1)")
fi
echo "$png"
