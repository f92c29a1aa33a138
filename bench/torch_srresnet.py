#!/usr/bin/env python3
"""PyTorch reference for bench/bench.sh: one SRResNet training iteration at the paper's configuration (16 blocks of
64, x4, the modules of scripts/gen_srgan_fixtures.py), batch 16 of SIZE x SIZE crops, MSE, Adam 1e-4; median after
warm-up. Usage: torch_srresnet.py SIZE ITERS THREADS   prints: ms_per_iter peak_rss_mb"""
import resource
import sys

import torch
import torch.nn as nn

sys.path.insert(0, __file__.rsplit("/", 2)[0] + "/scripts")
from gen_srgan_fixtures import SRResNet  # noqa: E402
from torch_dcgan import median_ms  # noqa: E402

size, iters, threads = (int(a) for a in sys.argv[1:4])
torch.set_num_threads(threads)
torch.manual_seed(0)
g = SRResNet(16, 64, 4, 3)
opt = torch.optim.Adam(g.parameters(), lr=1e-4, betas=(0.9, 0.999))
hr = torch.rand(16, 3, size, size) * 2 - 1
lr = torch.rand(16, 3, size // 4, size // 4) * 2 - 1


def step():
    opt.zero_grad()
    nn.functional.mse_loss(g(lr), hr).backward()
    opt.step()


print(f"{median_ms(step, 2, iters):.1f} {resource.getrusage(resource.RUSAGE_SELF).ru_maxrss / 1024:.0f}")
