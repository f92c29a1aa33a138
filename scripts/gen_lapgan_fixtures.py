"""LAPGAN training fixtures: PyTorch runs the iterations of tests/test_lapgan.c and saves the result.

Input (written by `test_lapgan --write-fixtures tests/fixtures`, run that first): lapgan_step_in.safetensors with
ganc's trainer state at step 0 (level{k}.G./level{k}.D. initial weights), the real batches (ITERS,B,1,16,16), their
labels, and the noise ganc's trainer draws (the 8x8 level's z, the 16x16 level's noise planes).
The model: a CC-LAPGAN of two levels with 3 classes. Level 1 (8x8) is the conditional MLP GAN of
gen_gan_fixtures.py; level 0 (16x16) is the paper's conditional conv GAN on the low-pass image l_0 = u(d(I)):
G(cat(l, noise, class plane)) -> h, D(cat(l, h, class plane)) -> logit, the class plane = Linear(one-hot) viewed
as (1,16,16). d = [1 3 3 1]/8 separable with the edge pixel repeated (the symmetric mirror of one pixel), stride 2;
u = F.interpolate(scale 2, bilinear, align_corners=False). Each iteration trains level 1 then level 0, each with
D on real (BCE 1) and on G(...).detach() (BCE 0), Adam; then G through the updated D (BCE 1), Adam.
Output lapgan_step_out.safetensors: every parameter after the last iteration and losses (ITERS, 2 levels, D/G).
Usage: python3 scripts/gen_lapgan_fixtures.py [DIR]
"""
import os
import sys

import torch
import torch.nn as nn
import torch.nn.functional as F

sys.path.insert(0, os.path.dirname(__file__))
from gen_fixtures import load_st, save_st  # noqa: E402
from gen_gan_fixtures import MLPD, MLPG  # noqa: E402

ITERS, LR, C, S, W = 2, 1e-3, 3, 16, 8


class LevelG(nn.Module):
    def __init__(self):
        super().__init__()
        self.embed = nn.Linear(C, S * S)
        self.main = nn.Sequential(nn.Conv2d(1 + 1 + 1, W, 7, 1, 3), nn.ReLU(), nn.Conv2d(W, W, 7, 1, 3), nn.ReLU(),
                                  nn.Conv2d(W, 1, 5, 1, 2))

    def forward(self, noise, low, y):
        return self.main(torch.cat([low, noise, self.embed(y).view(-1, 1, S, S)], 1))


class LevelD(nn.Module):
    def __init__(self):
        super().__init__()
        self.embed = nn.Linear(C, S * S)
        self.main = nn.Sequential(nn.Conv2d(1 + 1 + 1, W, 5, 1, 2), nn.ReLU(), nn.Conv2d(W, W, 5, 2, 2), nn.ReLU(),
                                  nn.Dropout(0.0), nn.Flatten(), nn.Linear(W * (S // 2) ** 2, 1))

    def forward(self, low, high, y):
        return self.main(torch.cat([low, high, self.embed(y).view(-1, 1, S, S)], 1)).view(-1)


def pyr_down(x):
    k = torch.tensor([1.0, 3.0, 3.0, 1.0], dtype=torch.float64) / 8
    k2 = (k[:, None] * k[None, :]).to(x.dtype)[None, None].repeat(x.shape[1], 1, 1, 1)
    return F.conv2d(F.pad(x, (1, 1, 1, 1), mode="replicate"), k2, stride=2, groups=x.shape[1])


def step(g, d, og, od, d_real_args, g_args, d_fake_args):
    """one D update (real, then fake detached) and one G update; returns (loss_d, loss_g)"""
    od.zero_grad()
    lr_ = F.binary_cross_entropy_with_logits(d(*d_real_args), torch.ones(d_real_args[0].shape[0]))
    lr_.backward()
    fake = g(*g_args)
    lf = F.binary_cross_entropy_with_logits(d(*d_fake_args(fake.detach())), torch.zeros(fake.shape[0]))
    lf.backward()
    od.step()
    og.zero_grad()
    lo = d(*d_fake_args(fake))
    lg = F.binary_cross_entropy_with_logits(lo, torch.ones_like(lo))
    lg.backward()
    og.step()
    return (lr_ + lf).item(), lg.item()


def main():
    out = sys.argv[1] if len(sys.argv) > 1 else os.path.join(os.path.dirname(__file__), "..", "tests", "fixtures")
    t, _ = load_st(os.path.join(out, "lapgan_step_in.safetensors"))
    nets = {"level1.G": MLPG(C), "level1.D": MLPD(C), "level0.G": LevelG(), "level0.D": LevelD()}
    for name, n in nets.items():
        n.load_state_dict({k[len(name) + 1:]: v for k, v in t.items() if k.startswith(name + ".")}, strict=True)
        n.train()
    opt = {name: torch.optim.Adam(n.parameters(), lr=LR, betas=(0.5, 0.999)) for name, n in nets.items()}
    losses = []
    for it in range(ITERS):
        real, y = t["real"][it], F.one_hot(t["labels"][it], C).float()
        coarse = pyr_down(real)
        low = F.interpolate(coarse, scale_factor=2, mode="bilinear", align_corners=False)
        high = real - low
        l1 = step(nets["level1.G"], nets["level1.D"], opt["level1.G"], opt["level1.D"], (coarse, y), (t["z"][it], y),
                  lambda f: (f, y))
        l0 = step(nets["level0.G"], nets["level0.D"], opt["level0.G"], opt["level0.D"], (low, high, y),
                  (t["planes"][it], low, y), lambda f: (low, f, y))
        losses.append([list(l0), list(l1)])
    res = {"losses": torch.tensor(losses, dtype=torch.float32)}
    for name, n in nets.items():
        for k, v in n.state_dict().items():
            res[f"{name}.{k}"] = v.detach().float().contiguous()
    save_st(os.path.join(out, "lapgan_step_out.safetensors"), res)
    print("wrote lapgan_step_out.safetensors:", ", ".join(f"{a:.4f}/{b:.4f}" for it in losses for a, b in it))


if __name__ == "__main__":
    main()
