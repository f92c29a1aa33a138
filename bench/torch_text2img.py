#!/usr/bin/env python3
"""PyTorch reference for bench/bench.sh: one GAN-INT-CLS training step as ganc's (`ganc train text2img` at
--t2i-size 32: nz 100, ngf = ndf = 32, a 128-d text embedding projected to 128; the modules of
scripts/gen_text2img_fixtures.py), batch 64, Adam(2e-4, (0.5, 0.999)): the matching-aware D step (real image with
its text -> 1; with a wrong text and G's image -> 0, weighted 1/2), then the G step on G(z, t) and on G(z2, t mixed
half-half with another text), both through D against 1. The text embeddings are inputs (the encoder is frozen).
Usage: torch_text2img.py ITERS THREADS   prints: ms_per_iter peak_rss_mb"""
import os
import resource
import sys

import torch
import torch.nn.functional as F

sys.path.insert(0, os.path.join(os.path.dirname(os.path.abspath(__file__)), "..", "scripts"))
import gen_text2img_fixtures as t2i  # noqa: E402
from torch_dcgan import median_ms  # noqa: E402

iters, threads = (int(a) for a in sys.argv[1:3])
torch.set_num_threads(threads)
torch.manual_seed(0)
B = 64
t2i.NZ, t2i.NGF, t2i.NDF, t2i.EMB, t2i.PROJ = 100, 32, 32, 128, 128
g, d = t2i.G(), t2i.D()
od = torch.optim.Adam(d.parameters(), lr=2e-4, betas=(0.5, 0.999))
og = torch.optim.Adam(g.parameters(), lr=2e-4, betas=(0.5, 0.999))
x = torch.rand(B, 3, 32, 32) * 2 - 1
te, tw, t2 = (torch.randn(B, t2i.EMB) for _ in range(3))
ones, zeros = torch.ones(B), torch.zeros(B)


def step():
    od.zero_grad()
    fake = g(torch.randn(B, t2i.NZ, 1, 1), te).detach()
    (F.binary_cross_entropy_with_logits(d(x, te), ones) +
     0.5 * (F.binary_cross_entropy_with_logits(d(x, tw), zeros) +
            F.binary_cross_entropy_with_logits(d(fake, te), zeros))).backward()
    od.step()
    og.zero_grad()
    mix = 0.5 * te + 0.5 * t2
    (F.binary_cross_entropy_with_logits(d(g(torch.randn(B, t2i.NZ, 1, 1), te), te), ones) +
     F.binary_cross_entropy_with_logits(d(g(torch.randn(B, t2i.NZ, 1, 1), mix), mix), ones)).backward()
    og.step()


print(f"{median_ms(step, 2, iters):.1f} {resource.getrusage(resource.RUSAGE_SELF).ru_maxrss / 1024:.0f}")
