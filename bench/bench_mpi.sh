#!/usr/bin/env bash
# Data-parallel speed on this machine: DCGAN 32 (Fashion-MNIST) and 64 (Fashion-MNIST as 3 channels) training, global
# batch 64, as 1 rank x 1 thread, 2 ranks x 1 thread (mpirun) and 1 rank x 2 threads; img/s over ITERS iterations
# after WARM warm-up ones (from log.csv's seconds column). Needs the MPI build: scripts/setup.sh werror.
#   bench/bench_mpi.sh [ITERS] [WARM]
set -euo pipefail
cd "$(dirname "$0")/.."
iters=${1:-40}
warm=${2:-5}
G=build-werror/ganc
$G --version | grep -q "MPI on" || { echo "bench_mpi: build-werror/ganc lacks MPI (scripts/setup.sh werror)"; exit 1; }
export OMPI_ALLOW_RUN_AS_ROOT=1 OMPI_ALLOW_RUN_AS_ROOT_CONFIRM=1
w=$(mktemp -d)
trap 'rm -rf "$w"' EXIT
# img/s between step WARM and the last step, from log.csv (step,epoch,seconds,...)
rate() { awk -F, -v w="$warm" -v b=64 'NR > 1 && $1 == w {t0 = $3} NR > 1 {s = $1; t = $3} END {printf "%.1f", (s - w) * b / (t - t0)}' "$1/log.csv"; }
printf "| %-10s | %14s | %15s | %14s | %17s |\n" model "1 rank x 1 thr" "2 ranks x 1 thr" "1 rank x 2 thr" "2x1 / 1x1 speed-up"
printf "|%s|%s|%s|%s|%s|\n" ------------ ---------------- ----------------- ---------------- -------------------
for spec in "32 1" "64 3"; do
  set -- $spec
  a=(train dcgan --data fashion-mnist:test --size "$1" --channels "$2" --batch 64 --iters "$iters" --log-every 1
     --sample-every 0 --ckpt-every 0 --seed 1)
  $G "${a[@]}" --threads 1 --out "$w/a$1" >/dev/null
  mpirun --oversubscribe --bind-to none -np 2 $G "${a[@]}" --threads 1 --out "$w/b$1" >/dev/null
  $G "${a[@]}" --threads 2 --out "$w/c$1" >/dev/null
  r1=$(rate "$w/a$1"); r2=$(rate "$w/b$1"); r3=$(rate "$w/c$1")
  printf "| DCGAN %-4s | %14s | %15s | %14s | %17s |\n" "$1" "$r1" "$r2" "$r3" "$(awk -v a="$r2" -v b="$r1" 'BEGIN {printf "%.2fx", a / b}')"
done
