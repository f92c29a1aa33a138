#!/usr/bin/env python3
"""PyTorch reference for bench/bench.sh: pytorch/examples' DCGAN training iteration (D on real and fake, G through D,
two Adam steps), BCE-with-logits (same maths as Sigmoid+BCELoss), timed per iteration after warm-up.
Usage: torch_dcgan.py SIZE CHANNELS ITERS THREADS [sample]   prints: ms_per_iter peak_rss_mb
(make_step and median_ms also serve torch_dcgan_gpu.py)"""
import resource
import sys
import time

import torch
import torch.nn as nn

sys.path.insert(0, __file__.rsplit("/", 2)[0] + "/scripts")
from gen_dcgan_fixtures import make_d, make_g  # noqa: E402

nz = 100


def make_step(size, nc, B, dev="cpu"):
    """G, and one training iteration on a fixed real batch (on a GPU it ends synchronised)"""
    torch.manual_seed(0)
    G, D = make_g(size, nz, 64, nc).to(dev), make_d(size, 64, nc).to(dev)
    D.main = D.main[:-1]  # logits; the loss applies the sigmoid
    bce = nn.BCEWithLogitsLoss()
    oG = torch.optim.Adam(G.parameters(), lr=2e-4, betas=(0.5, 0.999))
    oD = torch.optim.Adam(D.parameters(), lr=2e-4, betas=(0.5, 0.999))
    real = torch.rand(B, nc, size, size, device=dev) * 2 - 1
    ones, zeros = torch.ones(B, device=dev), torch.zeros(B, device=dev)

    def step():
        D.zero_grad()
        e = bce(D(real).view(-1), ones)
        e.backward()
        fake = G(torch.randn(B, nz, 1, 1, device=dev))
        e = bce(D(fake.detach()).view(-1), zeros)
        e.backward()
        oD.step()
        G.zero_grad()
        e = bce(D(fake).view(-1), ones)
        e.backward()
        oG.step()
        if dev != "cpu":
            torch.cuda.synchronize()

    return G, step


def median_ms(step, warm, iters):
    for _ in range(warm):
        step()
    times = []
    for _ in range(iters):
        t = time.perf_counter()
        step()
        times.append(time.perf_counter() - t)
    times.sort()
    return times[len(times) // 2] * 1000


if __name__ == "__main__":
    size, nc, iters, threads = (int(a) for a in sys.argv[1:5])
    mode = sys.argv[5] if len(sys.argv) > 5 else "train"
    torch.set_num_threads(threads)
    G, step = make_step(size, nc, 64)
    if mode == "sample":
        G.eval()
        n = iters
        with torch.no_grad():
            G(torch.randn(500, nz, 1, 1))
            t = time.perf_counter()
            for i in range(0, n, 500):
                G(torch.randn(min(500, n - i), nz, 1, 1))
            dt = time.perf_counter() - t
        print(f"{dt * 1000:.1f} {resource.getrusage(resource.RUSAGE_SELF).ru_maxrss / 1024:.0f}")
    else:
        ms = median_ms(step, 3, iters)
        print(f"{ms:.1f} {resource.getrusage(resource.RUSAGE_SELF).ru_maxrss / 1024:.0f}")
