#!/usr/bin/env python3
"""PyTorch reference for bench/bench_cuda.sh: pytorch/examples' DCGAN training iteration (as torch_dcgan.py) on the
GPU, for every SIZE:BATCH given, in two modes: "fp32" (TF32 off for cuDNN and matmul: the arithmetic ganc uses by
default) and "default" (PyTorch's defaults: cuDNN may use TF32 tensor cores). cudnn.benchmark on, as pytorch/examples
sets it. Each configuration: 10 warm-up iterations, then the median of ITERS, each ended by torch.cuda.synchronize().
Usage: torch_dcgan_gpu.py ITERS SIZE:BATCH...   prints per line: size batch mode ms_per_iter img_per_s"""
import sys
import time

import torch
import torch.nn as nn

sys.path.insert(0, __file__.rsplit("/", 2)[0] + "/scripts")
from gen_dcgan_fixtures import make_d, make_g  # noqa: E402

iters = int(sys.argv[1])
torch.backends.cudnn.benchmark = True
dev = torch.device("cuda")
print(f"# torch {torch.__version__}, cuDNN {torch.backends.cudnn.version()}, {torch.cuda.get_device_name(0)}")


def run(size, B, mode):
    tf32 = mode == "default"
    torch.backends.cudnn.allow_tf32 = tf32
    torch.backends.cuda.matmul.allow_tf32 = False  # PyTorch's default for matmul
    torch.manual_seed(0)
    nz, nc = 100, 3
    G, D = make_g(size, nz, 64, nc).to(dev), make_d(size, 64, nc).to(dev)
    D.main = D.main[:-1]
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
        torch.cuda.synchronize()

    for _ in range(10):
        step()
    times = []
    for _ in range(iters):
        t = time.perf_counter()
        step()
        times.append(time.perf_counter() - t)
    times.sort()
    ms = times[len(times) // 2] * 1000
    print(f"{size} {B} {mode} {ms:.3f} {B / ms * 1000:.0f}", flush=True)


for spec in sys.argv[2:]:
    s, b = (int(v) for v in spec.split(":"))
    for mode in ("fp32", "default"):
        run(s, b, mode)
