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
{ printf '\x00\x00\x08\x01\x00\x00\x00\x20'; for i in $(seq 0 31); do printf "\\x0$((i % 3))"; done; } > "$w/l.idx"
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
C=(train cgan --data "idx:$w/d.idx,$w/l.idx" --g-hidden 16 --d-units 8 --d-pieces 2 --nz 8 --batch 8 --threads 2 --sample-every 0)
check 0 "${C[@]}" --iters 2 --d-steps 2 --loss minimax --out "$w/cgan"
check 0 train --resume "$w/cgan" --iters 3
check 0 sample "$w/cgan" --grid-by-class --n 3 --out "$w/c.png"
check 0 train dcgan --conditional --data "idx:$w/d.idx,$w/l.idx" --ngf 4 --ndf 4 --nz 8 --batch 8 --threads 2 --iters 1 --out "$w/cdc"
check 0 interp "$w/run" --steps 3 --rows 2 --out "$w/walk.png"
check 0 sample "$w/run" --sheet --n 8 --out "$w/sheet.png"
check 0 arith "$w/run" --a 1,2 --b 3 --c 4 --sheet-n 8 --out "$w/arith.png"
check 0 show-filters "$w/run" --layer 0 --out "$w/f0.png"
check 0 show-filters "$w/run" --layer 1 --data "idx:$w/d.idx" --n 8 --out "$w/f1.png"
check 0 probe "$w/run" --train "idx:$w/d.idx,$w/l.idx" --test "idx:$w/d.idx,$w/l.idx" --labels-per-class 2 --max-iter 5
L=(train lapgan --data "idx:$w/d.idx,$w/l.idx" --size 16 --level-g-width 4 --level-d-width 4 --nz 8 --ngf 4 --ndf 4 --batch 8 --threads 2 --sample-every 0)
check 0 "${L[@]}" --iters 2 --conditional --out "$w/lap"
check 0 train --resume "$w/lap" --iters 3
check 0 sample "$w/lap" --pyramid --n 3 --out "$w/pyr.png"
check 0 sample "$w/lap" --grid-by-class --n 2 --out "$w/lapc.png"
check 0 info "$w/lap/G.safetensors"
check 2 "${L[@]}" --size 24 --out "$w/lap2"
check 2 sample "$w/run" --class 1 --out "$w/x.npy"
check 2 train dcgan --bogus
check 2 sample "$w/run" --out "$w/x.txt"
# hostile inputs, one or more per class of issue 20 (memory, numbers, runs, resume, nonsense, unbounded, messages)
mkdir -p "$w/pa" "$w/pb" && cp tests/fixtures/img_rgb.jpg "$w/pa/a.jpg" && cp tests/fixtures/img_rgb.jpg "$w/pb/a.jpg"
check 2 eval psnr,ssim --real "$w/pa" --fake "$w/pb" --border -1
check 1 eval ssim --real "$w/pa" --fake "$w/pb" --border 1
check 1 eval psnr --real "$w/pa" --fake "$w/pb" --border 0 --json
check 2 "${T[@]}" --iters 2 --out "$w/run"
check 1 "${T[@]}" --iters 2 --out "$w/run" --force --data nodata
mkfifo "$w/fifo"
check 1 info "$w/fifo"
check 2 train dcgan --time nan
check 2 eval kid --fake "$w/run" --kid-subsets 100000000
check 2 sample "$w/run" --cols -1 --out "$w/x.png"
check 1 sample "$w/run" --n 1000 --cols 1000 --out "$w/wide.png"
check 2 train --resume ''
{ printf '\x00\x00\x08\x03\x00\x00\x00\x04\x00\x00\x00\x1c\x00\x00\x00\x1c'; head -c $((4 * 784)) /dev/urandom; } > "$w/tiny.idx"
check 0 train dcgan --data "idx:$w/tiny.idx" --ngf 4 --ndf 4 --nz 8 --batch 8 --threads 2 --sample-every 0 --iters 2 --out "$w/tiny"
check 0 train --resume "$w/tiny" --iters 3
# reports and studies (HTML pages, the answers' JSON reader)
check 0 report "$w/run" --out "$w/r.html"
check 0 study realfake --real "idx:$w/d.idx" --fake "$w/run" --n 6 --ms 50,100 --out "$w/s.html"
check 2 study realfake --real x --fake y --n 6 --ms 0 --out "$w/s.html"
printf '{"study":"x","type":"realfake","answers":[{"id":"g0","truth":"fake","source":"m","answer":"real","ms":50},{"id":"r0","truth":"real","source":"d","answer":"fake","ms":50}]}' > "$w/a.json"
check 0 study score "$w/a.json" --json
printf '{"type":"realfake","answers":[{"id":' > "$w/broken.json"
check 1 study score "$w/broken.json"
GANC_FAULT_NAN_AT=2 check 0 "${T[@]}" --iters 3 --ckpt-every 1 --on-nan restore --out "$w/nan"
exit $fail
