#!/usr/bin/env python3
"""PyTorch reference for bench/bench.sh: one SimGAN training step as ganc's (`ganc train simgan` defaults: 1x8x8,
refiner of 4 ResNet blocks of width 32, local D of width 32, lambda 5, K_g = K_d = 1, batch 64, Adam(2e-4, (0.5,
0.999)) for both; the modules of scripts/gen_simgan_fixtures.py): one R update (BCE of D(R(x)) against 1 averaged over
the patch map + lambda x mean |R(x) - x|), then one D update on a real batch (1) against refined images (0), half of
them fresh and half from a history of past refined images (half of the fresh ones replace random entries).
Usage: torch_simgan.py SIZE ITERS THREADS   prints: ms_per_iter peak_rss_mb"""
import os
import resource
import sys

import torch
import torch.nn as nn

sys.path.insert(0, os.path.join(os.path.dirname(os.path.abspath(__file__)), "..", "scripts"))
from gen_simgan_fixtures import D, Refiner  # noqa: E402
from torch_dcgan import median_ms  # noqa: E402

size, iters, threads = (int(a) for a in sys.argv[1:4])
torch.set_num_threads(threads)
torch.manual_seed(0)
B, lam, H = 64, 5.0, 1024
r, d = Refiner(1, 4, 32), D(1, size, 32)
opt_r = torch.optim.Adam(r.parameters(), lr=2e-4, betas=(0.5, 0.999))
opt_d = torch.optim.Adam(d.parameters(), lr=2e-4, betas=(0.5, 0.999))
bce = nn.functional.binary_cross_entropy_with_logits
synth = torch.rand(2, B, 1, size, size) * 2 - 1
real = torch.rand(B, 1, size, size) * 2 - 1
history = torch.rand(H, 1, size, size) * 2 - 1


def step():
    opt_r.zero_grad()
    x = synth[0]
    y = r(x)
    out = d(y)
    (bce(out, torch.ones_like(out)) + lam * (y - x).abs().mean()).backward()
    opt_r.step()
    opt_d.zero_grad()
    with torch.no_grad():
        fresh = r(synth[1])
    idx = torch.randint(0, H, (B // 2,))
    fake = torch.cat([fresh[: B // 2], history[idx]])
    history[torch.randint(0, H, (B // 2,))] = fresh[B // 2:]
    o_real, o_fake = d(real), d(fake)
    (bce(o_real, torch.ones_like(o_real)) + bce(o_fake, torch.zeros_like(o_fake))).backward()
    opt_d.step()


print(f"{median_ms(step, 2, iters):.1f} {resource.getrusage(resource.RUSAGE_SELF).ru_maxrss / 1024:.0f}")
