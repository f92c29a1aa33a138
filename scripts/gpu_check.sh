#!/bin/bash
# On a machine with an NVIDIA GPU (issue 18): the CUDA tests and the GPU benchmark, from a -DGANC_CUDA=ON build.
# The build may come from another machine: BUILD/lib (if present) holds the CPU libraries it links (OpenBLAS, libpng,
# libjpeg, libgomp); CUDA's libraries come from the GPU machine's toolkit. Logs go to $OUT (else /tmp).
# Usage: scripts/gpu_check.sh [BUILD] [BENCH_ITERS]   (BENCH_ITERS 0: the tests only)
set -u
B=$(cd "${1:-build-cuda}" && pwd)
N=${2:-50}
O=${OUT:-/tmp}
cd "$(dirname "$0")/.."
cuda_libs=$(dirname "$(find /usr/local /opt /usr/lib -name 'libcublas.so.13' 2>/dev/null | head -1)" 2>/dev/null)
export LD_LIBRARY_PATH=$B/lib:${cuda_libs:-/usr/local/cuda/lib64}:${LD_LIBRARY_PATH:-}
export GANC_FIXTURES=$PWD/tests/fixtures OMP_NUM_THREADS=4
nvidia-smi --query-gpu=name,driver_version,memory.total,clocks.sm,clocks.max.sm --format=csv
ldd "$B/ganc" | grep -E "not found|cublas|cudart"
status=0
t0=$(date +%s)
(cd tests && timeout 300 "$B/tests/test_cuda" "$B/ganc") >"$O/test_cuda.log" 2>&1; rc=$?
tail -n 25 "$O/test_cuda.log"; echo "test_cuda: exit $rc ($(( $(date +%s) - t0 )) s)"; [ $rc = 0 ] || status=1
for t in test_torch_fixtures test_layers_fd test_gan test_srgan; do
    t0=$(date +%s)
    (cd tests && GANC_TEST_DEVICE=cuda timeout 120 "$B/tests/$t" "$B/ganc") >"$O/$t.log" 2>&1; rc=$?
    tail -n 4 "$O/$t.log"; echo "$t on cuda: exit $rc ($(( $(date +%s) - t0 )) s)"; [ $rc = 0 ] || status=1
done
[ "$N" = 0 ] && exit $status # BENCH_ITERS 0: tests only
t0=$(date +%s)
timeout 300 bench/bench_cuda.sh "$B" "$N" 2>&1 | tee "$O/bench_cuda.log"
echo "bench: $(( $(date +%s) - t0 )) s"
exit $status
