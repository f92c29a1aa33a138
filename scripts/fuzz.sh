#!/usr/bin/env bash
# Builds the libFuzzer targets (clang, ASan+UBSan) and runs each for SECONDS (default 30) on a copy of its seed
# corpus in fuzz/corpus/. Fails if any target finds a crash, leak, timeout or out-of-memory.
#   scripts/fuzz.sh [SECONDS] [TARGET...]
set -euo pipefail
cd "$(dirname "$0")/.."
secs=${1:-30}
shift || true
targets=("$@")
[ ${#targets[@]} -gt 0 ] || targets=(safetensors npy image idx args json)
need=()
command -v clang >/dev/null || need+=(clang)
dpkg-query -W -f='${Status}' libclang-rt-14-dev 2>/dev/null | grep -q "install ok installed" || need+=(libclang-rt-14-dev)
if [ ${#need[@]} -gt 0 ]; then
  if [ "$(id -u)" -eq 0 ]; then
    apt-get update -q >/dev/null && DEBIAN_FRONTEND=noninteractive apt-get install -y --no-install-recommends "${need[@]}" >/dev/null
  else
    echo "fuzz: run as root: apt-get update && apt-get install -y ${need[*]}"; exit 1
  fi
fi
scripts/setup.sh release >/dev/null   # installs the library's own dependencies
CC=clang cmake -S . -B build-fuzz -DCMAKE_BUILD_TYPE=RelWithDebInfo -DGANC_FUZZ=ON -DGANC_OPENMP=OFF -DGANC_NATIVE=OFF \
  -DGANC_WERROR=ON >/dev/null
cmake --build build-fuzz -j "$(nproc)" --target $(printf "fuzz_%s " "${targets[@]}") >/dev/null
work=$(mktemp -d)
trap 'rm -rf "$work"' EXIT
status=0
for t in "${targets[@]}"; do
  cp -r "fuzz/corpus/$t" "$work/$t"
  log="$work/$t.log"
  if ASAN_OPTIONS=detect_leaks=1 "build-fuzz/fuzz/fuzz_$t" "$work/$t" -max_total_time="$secs" -max_len=65536 \
       -rss_limit_mb=2048 -timeout=10 -print_final_stats=1 -artifact_prefix="$work/crash-$t-" >"$log" 2>&1; then
    execs=$(grep -m1 'stat::number_of_executed_units' "$log" | awk '{print $2}')
    echo "fuzz_$t: ${secs}s, ${execs:-?} executions, no findings"
  else
    echo "fuzz_$t: FOUND A PROBLEM"; grep -E 'ERROR|SUMMARY|Test unit written' "$log" | head -5
    mkdir -p fuzz/findings && cp "$work"/crash-"$t"-* fuzz/findings/ 2>/dev/null || true
    status=1
  fi
done
exit $status
