"""The data-parallel cluster model of the README ("Multiple machines"): per training step each rank allreduces D's and
G's gradient blocks once (ring allreduce: 2(N-1)/N x bytes over the link, 2(N-1) latency terms) while the compute of a
fixed global batch of 64 shrinks as 1/N. Inputs are measured on this machine (bench/bench_mpi.sh, the `ganc train`
summary line for parameter counts, bench_allreduce for the loopback anchor); the link speeds are assumptions.
Usage: python3 bench/cluster_model.py"""

MODELS = {  # name: (G params, D params, img/s of one 2-core node at batch 64)
    "DCGAN 32x32x1": (1066880, 661248, 174.1),
    "DCGAN 64x64x3": (3576704, 2765568, 36.2),
    "MLP GAN (2014)": (2792224, 1519441, 847.8),
}
LINKS = {"10 Gb/s": 10e9 / 8 * 0.9, "100 Gb/s": 100e9 / 8 * 0.9}  # 90% of line rate
LATENCY = 20e-6  # per message hop, TCP


def allreduce_s(nbytes, n, bw):
    return 0.0 if n == 1 else 2 * (n - 1) / n * nbytes / bw + 2 * (n - 1) * LATENCY


def main():
    for name, (g, d, ips) in MODELS.items():
        t1 = 64 / ips
        mb = 4 * (g + d) / 1e6
        print(f"\n{name}: {mb:.1f} MB of gradients allreduced per step (G {4 * g / 1e6:.1f} + D {4 * d / 1e6:.1f}); "
              f"one node: {t1 * 1e3:.0f} ms per step of 64 images")
        print("| nodes | " + " | ".join(f"{l}: step ms (allreduce ms), speed-up" for l in LINKS) + " |")
        print("|---|" + "---|" * len(LINKS))
        for n in (1, 2, 4, 8, 16, 32, 64):
            cells = []
            for bw in LINKS.values():
                ar = allreduce_s(4 * g, n, bw) + allreduce_s(4 * d, n, bw)
                step = t1 / n + ar
                cells.append(f"{step * 1e3:.1f} ({ar * 1e3:.1f}), {t1 / step:.1f}x")
            print(f"| {n} | " + " | ".join(cells) + " |")


if __name__ == "__main__":
    main()
