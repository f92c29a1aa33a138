#!/usr/bin/env bash
# SimGAN's protocol on digits (README: SimGAN): render labelled synthetic digits, train refiners (ganc's default,
# lambda 20; a weaker self-regularisation, lambda 5; and the paper's three ablations of the default: no history
# buffer, a global D, lambda = 0), refine the synthetic set with each, then
# train ganc's classifier (same architecture, epochs and batch every time) on raw and on each refined set and test it
# on all 1,797 real digits, with 3 seeds each; and FID/KID of every set against the real digits.
#   scripts/simgan_eval.sh [OUT] [-- extra flags for every ganc train simgan]
# Env: GANC (default build/ganc), N (synthetic images, 10000), EPOCHS (classifier epochs, 8), SEEDS ("1 2 3"),
#      VARIANTS (default "default lambda5 nohist global lambda0"), CLS_THREADS (classifier threads, 1: the same
#      numbers on any machine). Writes OUT/table.md (default runs/simgan_eval).
set -euo pipefail
cd "$(dirname "$0")/.."
out=${1:-runs/simgan_eval}; shift || true
[ "${1:-}" = "--" ] && shift
ganc=${GANC:-build/ganc}
n=${N:-10000}; epochs=${EPOCHS:-8}; seeds=${SEEDS:-1 2 3}; cls_threads=${CLS_THREADS:-1}
variants=${VARIANTS:-default lambda5 nohist global lambda0}
scripts/get_digits.sh >/dev/null
mkdir -p "$out"
[ -f "$out/synth/images.npy" ] || "$ganc" synth digits --n "$n" --seed 1 --out "$out/synth"
declare -A extra=([default]="" [nohist]="--history 0" [global]="--d global" [lambda0]="--lambda 0" [lambda5]="--lambda 5")
sets=(synth)
for v in $variants; do
  run=$out/run_$v
  if [ ! -f "$run/R.safetensors" ]; then
    # shellcheck disable=SC2086
    "$ganc" train simgan --synthetic "$out/synth" --out "$run" --force --log-every 250 ${extra[$v]} "$@" | tail -n 2
  fi
  [ -f "$out/refined_$v/images.npy" ] || "$ganc" refine "$run" --in "$out/synth" --out "$out/refined_$v" >/dev/null
  sets+=("refined_$v")
done
table=$out/table.md
{
  echo "| training set | accuracy on the 1,797 real digits (seeds: $seeds) | mean | spread (max-min) | FID | KID |"
  echo "|---|---|---|---|---|---|"
} > "$table"
for s in "${sets[@]}"; do
  accs=()
  for seed in $seeds; do
    a=$("$ganc" train classifier --data "$out/$s" --test sklearn-digits --no-flip --epochs "$epochs" --seed "$seed" --threads "$cls_threads" \
          --out "$out/cls_${s}_$seed.safetensors" | sed -n 's/^wrote .*(test accuracy \([0-9.]*\)%)$/\1/p')
    accs+=("$a")
  done
  ev=$("$ganc" eval fid,kid --real sklearn-digits --fake "$out/$s" --n 1797 --json)
  fid=$(echo "$ev" | sed -n 's/.*"fid": *{"value": *\([-0-9.e+]*\).*/\1/p')
  kid=$(echo "$ev" | sed -n 's/.*"kid": *{"mean": *\([-0-9.e+]*\).*/\1/p')
  printf '%s\n' "${accs[@]}" | awk -v s="$s" -v fid="$fid" -v kid="$kid" '
    { a[NR] = $1; sum += $1; if (NR == 1 || $1 < lo) lo = $1; if (NR == 1 || $1 > hi) hi = $1 }
    END { list = a[1]; for (i = 2; i <= NR; i++) list = list " / " a[i]
          printf "| %s | %s | %.2f%% | %.2f | %.2f | %.3f |\n", s, list, sum / NR, hi - lo, fid, kid }' >> "$table"
done
cat "$table"
