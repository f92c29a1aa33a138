#!/bin/sh
# DCGAN training on the GPU: ganc's CUDA backend against PyTorch on the same GPU (issue 18), pytorch/examples'
# networks at 32x32 and 64x64 RGB, batch 64 and 256. ganc runs FP32 GEMMs by default and with GANC_CUDA_TF32=1
# TF32 tensor cores; PyTorch runs "fp32" (TF32 off) and "default" (its defaults: cuDNN may use TF32).
# Usage: bench/bench_cuda.sh BUILD_DIR [ITERS]   (BUILD_DIR: a -DGANC_CUDA=ON build; python3 with CUDA PyTorch)
set -e
B=${1:?usage: bench/bench_cuda.sh BUILD_DIR [ITERS]}
N=${2:-50}
here=$(cd "$(dirname "$0")" && pwd)
tmp=$(mktemp -d)
trap 'rm -rf "$tmp"' EXIT
nvidia-smi --query-gpu=name,driver_version,memory.total --format=csv,noheader || true
for cfg in 32:64 32:256 64:64 64:256; do
    s=${cfg%:*}; b=${cfg#*:}
    for mode in fp32 tf32; do
        if [ $mode = tf32 ]; then export GANC_CUDA_TF32=1; else unset GANC_CUDA_TF32; fi
        ms=$("$B/bench_dcgan" "$s" 3 "$N" 4 train "$b" cuda | cut -d' ' -f1)
        echo "$s $b $mode $ms" >>"$tmp/ganc"
    done
done
unset GANC_CUDA_TF32
python3 "$here/torch_dcgan_gpu.py" "$N" 32:64 32:256 64:64 64:256 | tee "$tmp/torch"
echo
echo "DCGAN training iteration on the GPU (median of $N; img/s = batch / time)"
printf '%-5s %-5s | %-22s | %-22s | %-22s | %-22s | %s\n' size batch "ganc fp32 ms (img/s)" "ganc tf32 ms (img/s)" \
    "torch fp32 ms (img/s)" "torch default ms (img/s)" "ratio fp32 / default"
for cfg in 32:64 32:256 64:64 64:256; do
    s=${cfg%:*}; b=${cfg#*:}
    gf=$(awk -v s=$s -v b=$b '$1==s && $2==b && $3=="fp32" {print $4}' "$tmp/ganc")
    gt=$(awk -v s=$s -v b=$b '$1==s && $2==b && $3=="tf32" {print $4}' "$tmp/ganc")
    tf=$(awk -v s=$s -v b=$b '$1==s && $2==b && $3=="fp32" {print $4}' "$tmp/torch")
    td=$(awk -v s=$s -v b=$b '$1==s && $2==b && $3=="default" {print $4}' "$tmp/torch")
    awk -v s=$s -v b=$b -v gf=$gf -v gt=$gt -v tf=$tf -v td=$td 'BEGIN {
        printf "%-5s %-5s | %8.2f (%7.0f)     | %8.2f (%7.0f)     | %8.2f (%7.0f)     | %8.2f (%7.0f)     | %.2fx / %.2fx\n",
            s, b, gf, b * 1000 / gf, gt, b * 1000 / gt, tf, b * 1000 / tf, td, b * 1000 / td, tf / gf, td / gt }'
done
echo "ratio: PyTorch time / ganc time (above 1: ganc faster); fp32: both TF32 off; default: ganc TF32 vs PyTorch default"
