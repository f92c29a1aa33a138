#!/usr/bin/env python3
"""PyTorch reference for bench/bench.sh: one LAPGAN training step as ganc's (`ganc train lapgan` defaults, one update
of every level, coarsest first): the real pyramid (binomial [1 3 3 1]/8 down, bilinear up), then per level D on
real and on G(...).detach(), Adam; G through D, Adam. Level K (8x8): the 2-block DCGAN (nz 100, 64 wide); finer
levels: G conv 7x7 32, 7x7 32, 5x5 -> h; D conv 5x5 32, 5x5/2 32, dropout 0.5, linear. Batch 64, timed per step.
Usage: torch_lapgan.py SIZE CHANNELS ITERS THREADS   prints: ms_per_iter peak_rss_mb"""
import resource
import sys

import torch
import torch.nn as nn
import torch.nn.functional as F

from torch_dcgan import median_ms  # the script's folder is on sys.path

size, nc, iters, threads = (int(a) for a in sys.argv[1:5])
torch.set_num_threads(threads)
torch.manual_seed(0)
B, nz, W = 64, 100, 32


class LevelG(nn.Module):
    def __init__(self):
        super().__init__()
        self.main = nn.Sequential(nn.Conv2d(nc + 1, W, 7, 1, 3), nn.ReLU(), nn.Conv2d(W, W, 7, 1, 3), nn.ReLU(),
                                  nn.Conv2d(W, nc, 5, 1, 2))

    def forward(self, noise, low):
        return self.main(torch.cat([low, noise], 1))


class LevelD(nn.Module):
    def __init__(self, s):
        super().__init__()
        self.main = nn.Sequential(nn.Conv2d(2 * nc, W, 5, 1, 2), nn.ReLU(), nn.Conv2d(W, W, 5, 2, 2), nn.ReLU(),
                                  nn.Dropout(0.5), nn.Flatten(), nn.Linear(W * (s // 2) ** 2, 1))

    def forward(self, low, high):
        return self.main(torch.cat([low, high], 1)).view(-1)


def pyr_down(x):
    k = torch.tensor([1.0, 3.0, 3.0, 1.0]) / 8
    k2 = (k[:, None] * k[None, :])[None, None].repeat(x.shape[1], 1, 1, 1)
    return F.conv2d(F.pad(x, (1, 1, 1, 1), mode="replicate"), k2, stride=2, groups=x.shape[1])


g8 = nn.Sequential(nn.ConvTranspose2d(nz, 64, 4, 1, 0, bias=False), nn.BatchNorm2d(64), nn.ReLU(True),
                   nn.ConvTranspose2d(64, nc, 4, 2, 1, bias=False), nn.Tanh())
d8 = nn.Sequential(nn.Conv2d(nc, 64, 4, 2, 1, bias=False), nn.LeakyReLU(0.2, True), nn.Conv2d(64, 1, 4, 1, 0, bias=False))
sizes = []
s = size
while s > 8:
    sizes.append(s)
    s //= 2
levels = [(LevelG(), LevelD(s)) for s in sizes]  # finest first
opts = [(torch.optim.Adam(g.parameters(), 2e-4, betas=(0.5, 0.999)), torch.optim.Adam(d.parameters(), 2e-4, betas=(0.5, 0.999)))
        for g, d in [(g8, d8)] + levels]
real = torch.rand(B, nc, size, size) * 2 - 1
ones, zeros = torch.ones(B), torch.zeros(B)
bce = nn.BCEWithLogitsLoss()


def level_step(g, d, og, od, dreal, gin, dfake):
    od.zero_grad()
    bce(d(*dreal).view(-1), ones).backward()
    fake = g(*gin)
    bce(d(*dfake(fake.detach())).view(-1), zeros).backward()
    od.step()
    og.zero_grad()
    bce(d(*dfake(fake)).view(-1), ones).backward()
    og.step()


def step():
    imgs = [real]
    for _ in sizes:
        imgs.append(pyr_down(imgs[-1]))
    level_step(g8, d8, *opts[0], (imgs[-1],), (torch.randn(B, nz, 1, 1),), lambda f: (f,))
    for k in reversed(range(len(sizes))):  # coarse to fine
        low = F.interpolate(imgs[k + 1], scale_factor=2, mode="bilinear", align_corners=False)
        high = imgs[k] - low
        g, d = levels[k]
        noise = torch.randn(B, 1, sizes[k], sizes[k])
        level_step(g, d, *opts[k + 1], (low, high), (noise, low), lambda f, low=low: (low, f))


print(f"{median_ms(step, 2, iters):.1f} {resource.getrusage(resource.RUSAGE_SELF).ru_maxrss / 1024:.0f}")
