#!/bin/bash
# Where a GPU DCGAN iteration spends its time: Nsight Compute (ncu) times every kernel of ITERS+3 iterations of
# bench_dcgan; prints the kernels grouped by name (total ms per iteration, launches per iteration) and the wall time
# per iteration without the profiler. Usage: bench/profile_cuda.sh BUILD [SIZE] [BATCH] [ITERS]
set -u
B=$(cd "${1:?usage: bench/profile_cuda.sh BUILD [SIZE] [BATCH] [ITERS]}" && pwd)
S=${2:-64}; N=${3:-64}; I=${4:-1}
O=${OUT:-/tmp}
ncu=$(command -v ncu || ls /opt/nvidia/nsight-compute/*/ncu /usr/local/cuda/bin/ncu 2>/dev/null | head -1)
echo "wall ms per iteration: $("$B/bench_dcgan" "$S" 3 20 4 train "$N" cuda | cut -d' ' -f1)"
"$ncu" --clock-control none --metrics gpu__time_duration.sum --csv "$B/bench_dcgan" "$S" 3 "$I" 4 train "$N" cuda \
    >"$O/ncu_${S}_${N}.csv" 2>"$O/ncu_${S}_${N}.err" || tail -5 "$O/ncu_${S}_${N}.err"
python3 - "$O/ncu_${S}_${N}.csv" $((I + 3)) <<'PY'
import csv, sys, collections
rows = [r for r in csv.reader(open(sys.argv[1])) if len(r) > 10]
h = rows[0]; k, m, v, u = (h.index(c) for c in ("Kernel Name", "Metric Name", "Metric Value", "Metric Unit"))
scale = {"nsecond": 1e-6, "usecond": 1e-3, "msecond": 1.0, "second": 1e3}
tot, cnt = collections.Counter(), collections.Counter()
for r in rows[1:]:
    if r[m] != "gpu__time_duration.sum": continue
    name = r[k].split("(")[0][:60]
    tot[name] += float(r[v].replace(",", "")) * scale[r[u]]; cnt[name] += 1
it = int(sys.argv[2]); unit = 1.0  # ms
print(f"kernel time per iteration: {sum(tot.values()) * unit / it:.3f} ms, {sum(cnt.values()) / it:.0f} launches")
for name, t in tot.most_common(25):
    print(f"{t * unit / it:8.3f} ms {cnt[name] / it:6.1f}x  {name}")
PY
