#!/usr/bin/env bash
# Runs the CLI under valgrind --leak-check=full: a short training run, a resume, a sample run and each error path.
# Fails if valgrind reports a definite/indirect leak or a memory error. (Built without -march=native: valgrind does
# not decode AVX-512.)
set -euo pipefail
cd "$(dirname "$0")/.."
if ! command -v valgrind >/dev/null; then
  if [ "$(id -u)" -eq 0 ]; then
    apt-get update -q >/dev/null && DEBIAN_FRONTEND=noninteractive apt-get install -y --no-install-recommends valgrind >/dev/null
  else
    echo "valgrind: run as root: apt-get install -y valgrind"; exit 1
  fi
fi
scripts/setup.sh release >/dev/null
cmake -S . -B build-valgrind -DCMAKE_BUILD_TYPE=RelWithDebInfo -DGANC_NATIVE=OFF >/dev/null
cmake --build build-valgrind -j "$(nproc)" --target ganc_cli >/dev/null
G=build-valgrind/ganc
w=$(mktemp -d)
trap 'rm -rf "$w"' EXIT
python_free_idx() { # 32 images 28x28, IDX layout, written with printf/head only
  { printf '\x00\x00\x08\x03\x00\x00\x00\x20\x00\x00\x00\x1c\x00\x00\x00\x1c'; head -c $((32 * 784)) /dev/urandom; } > "$1"
}
python_free_idx "$w/d.idx"
printf 'not safetensors' > "$w/bad.safetensors"
fail=0
check() { # expected-exit-code args...
  local want=$1; shift
  local rc=0
  valgrind -q --leak-check=full --errors-for-leak-kinds=definite,indirect --error-exitcode=99 \
    --log-file="$w/vg.log" "$G" "$@" >/dev/null 2>"$w/err.txt" || rc=$?
  if [ "$rc" = 99 ] || [ "$rc" != "$want" ]; then
    echo "valgrind: ganc $* -> exit $rc (expected $want)"; cat "$w/vg.log" | head -30; fail=1
  else
    echo "valgrind: ganc $1 ${2:-} ... exit $rc, no leaks or errors"
  fi
}
T=(train dcgan --data "idx:$w/d.idx" --ngf 4 --ndf 4 --nz 8 --batch 8 --threads 2 --sample-every 0)
check 0 "${T[@]}" --iters 2 --out "$w/run"
check 0 train --resume "$w/run" --iters 3
check 0 sample "$w/run" --n 8 --out "$w/s.npy"
check 0 sample "$w/run" --n 8 --out "$w/s.png" --bn batch
check 0 info "$w/run/G.safetensors"
check 1 sample "$w/bad.safetensors" --out "$w/x.npy"
check 1 sample "$w/run/D.safetensors" --out "$w/x.npy"
check 1 info "$w/bad.safetensors"
check 1 train --resume "$w/missing"
check 1 "${T[@]}" --data "idx:$w/bad.safetensors" --out "$w/x"
check 2 train dcgan --bogus
check 2 sample "$w/run" --out "$w/x.txt"
exit $fail
