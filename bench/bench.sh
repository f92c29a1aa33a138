#!/usr/bin/env bash
# Side-by-side speed of ganc and PyTorch on the same machine, same threads, same architecture, batch 64.
#   bench/bench.sh [ROUNDS] [THREADS]      (defaults: 3 rounds, all cores)
#   BENCH_SPECS="8 1 20 simgan,32 3 5 text2img" bench/bench.sh   only these rows (SIZE CHANNELS ITERS MODE, comma-separated)
# Builds ganc in release mode, then alternates ganc and PyTorch runs (each run: warm-up, then the median of several
# iterations); reports the median over rounds. PyTorch columns are left empty when python3-torch is not installed.
# FLOPs are ganc's count of the work it does (bench/bench_dcgan.c); PyTorch does at least that much.
set -euo pipefail
cd "$(dirname "$0")/.."
rounds=${1:-3}
threads=${2:-$(nproc)}
scripts/setup.sh release >/dev/null
B=build/bench_dcgan
PY=/usr/bin/python3
have_torch=0
$PY -c "import torch" 2>/dev/null && have_torch=1

median() { sort -g | awk '{a[NR]=$1} END {print (NR % 2) ? a[(NR+1)/2] : (a[NR/2] + a[NR/2+1]) / 2}'; }

peak=$($B 0 0 5 "$threads" sgemm | awk '{printf "%.1f", $3 / ($1 / 1000)}')
echo "machine: $(grep -m1 'model name' /proc/cpuinfo | cut -d: -f2 | xargs), $(nproc) cores, $threads threads;" \
     "OPENBLAS_CORETYPE=${OPENBLAS_CORETYPE:-unset}; sgemm 2048^3 (ganc's partitioned call): $peak GFLOP/s"
printf "| %-16s | %10s | %13s | %6s | %12s | %10s | %12s | %15s |\n" model "ganc img/s" "PyTorch img/s" ratio \
       "ganc GFLOP/s" "% of sgemm" "ganc RSS MB" "PyTorch RSS MB"
printf "|%s|%s|%s|%s|%s|%s|%s|%s|\n" ------------------ ------------ --------------- -------- -------------- \
       ------------ -------------- -----------------
IFS=, read -ra specs <<< "${BENCH_SPECS:-32 1 10 train,64 3 5 train,64 3 10000 sample,32 1 5 lapgan,96 3 3 srresnet,8 1 20 simgan,32 3 5 text2img}"
for spec in "${specs[@]}"; do
  set -- $spec
  size=$1 nc=$2 n=$3 mode=$4
  g_ms=() t_ms=() g_rss=0 t_rss=0 gflop=0
  for ((r = 0; r < rounds; r++)); do
    read -r ms rss gf < <($B "$size" "$nc" "$n" "$threads" "$mode")
    tpy=bench/torch_dcgan.py; [ "$mode" = lapgan ] && tpy=bench/torch_lapgan.py
    g_ms+=("$ms"); gflop=$gf; ((rss > g_rss)) && g_rss=$rss
    if ((have_torch)); then
      case $mode in
        srresnet) read -r ms rss < <($PY bench/torch_srresnet.py "$size" "$n" "$threads") ;;
        simgan) read -r ms rss < <($PY bench/torch_simgan.py "$size" "$n" "$threads") ;;
        text2img) read -r ms rss < <($PY bench/torch_text2img.py "$n" "$threads") ;;
        *) read -r ms rss < <($PY $tpy "$size" "$nc" "$n" "$threads" "$mode") ;;
      esac
      t_ms+=("$ms"); rss=${rss%.*}; ((rss > t_rss)) && t_rss=$rss
    fi
  done
  gm=$(printf "%s\n" "${g_ms[@]}" | median)
  if [ "$mode" = sample ]; then imgs=$n; label="G sample ${size}x${size}x$nc"; else imgs=64; label="DCGAN ${size}x${size}x$nc"; fi
  [ "$mode" = lapgan ] && label="LAPGAN ${size}x${size}x$nc"
  [ "$mode" = srresnet ] && { imgs=16; label="SRResNet x4 $size"; }
  [ "$mode" = simgan ] && label="SimGAN ${size}x${size}x$nc"
  [ "$mode" = text2img ] && label="GAN-INT-CLS 32x32"
  g_ips=$(awk -v m="$gm" -v i="$imgs" 'BEGIN {printf "%.1f", i / (m / 1000)}')
  g_gfs=$(awk -v m="$gm" -v f="$gflop" 'BEGIN {printf "%.1f", f / (m / 1000)}')
  pct=$(awk -v g="$g_gfs" -v p="$peak" 'BEGIN {printf "%.0f%%", 100 * g / p}')
  if ((have_torch)); then
    tm=$(printf "%s\n" "${t_ms[@]}" | median)
    t_ips=$(awk -v m="$tm" -v i="$imgs" 'BEGIN {printf "%.1f", i / (m / 1000)}')
    ratio=$(awk -v a="$g_ips" -v b="$t_ips" 'BEGIN {printf "%.2fx", a / b}')
  else
    t_ips=- ratio=- t_rss=-
  fi
  printf "| %-16s | %10s | %13s | %6s | %12s | %10s | %12s | %15s |\n" "$label" "$g_ips" "$t_ips" "$ratio" "$g_gfs" \
         "$pct" "$g_rss" "$t_rss"
done
