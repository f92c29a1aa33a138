"""SimGAN fixtures for tests/test_simgan.c: PyTorch's version of ganc's refiner R and discriminator D
(src/models/simgan.c; the modules here define the parameter names) and of two training steps.
simgan_step.safetensors: R (1 channel, 8x8, 1 block of width 4), local D (width 3: a 4x4 map of logits), batch 4,
lambda 0.7, no history, K_g = K_d = 1, Adam(1e-3, (0.5, 0.999)) for both. Each step: one R update on synth[2i]
(BCE of D(R(x)) against 1 averaged over the map + 0.7 x mean |R(x) - x|; D's parameters untouched), then one D
update on real[i] (1) against R(synth[2i+1]) (0). r.* / d.* before; grad_r.* and grad_d.* (step 1's gradients);
r1.* / d1.* after step 1, r2.* / d2.* after step 2; losses (2 x [adv, reg, d_loss]).
simgan_global.safetensors: the global D (one logit from a linear layer) on 2 images: param.*, in.x, out.y, dy,
grad.x, grad.* (forward and backward).
Usage: python3 scripts/gen_simgan_fixtures.py [DIR]
"""
import os
import sys

import torch
import torch.nn as nn

sys.path.insert(0, os.path.dirname(__file__))
from gen_fixtures import save_st  # noqa: E402


class Block(nn.Module):
    def __init__(self, w):
        super().__init__()
        self.conv1, self.conv2 = nn.Conv2d(w, w, 3, 1, 1), nn.Conv2d(w, w, 3, 1, 1)

    def forward(self, x):
        return torch.relu(x + self.conv2(torch.relu(self.conv1(x))))


class Refiner(nn.Module):
    def __init__(self, nc=1, blocks=4, w=64):
        super().__init__()
        self.head = nn.Sequential(nn.Conv2d(nc, w, 3, 1, 1), nn.ReLU())
        self.blocks = nn.ModuleList([Block(w) for _ in range(blocks)])
        self.tail = nn.Conv2d(w, nc, 1, 1, 0)

    def forward(self, x):
        h = self.head(x)
        for b in self.blocks:
            h = b(h)
        return torch.tanh(self.tail(h))


class D(nn.Module):
    def __init__(self, nc=1, size=16, w=32, global_=False):
        super().__init__()
        layers = [nn.Conv2d(nc, w, 3, 1, 1), nn.LeakyReLU(0.2), nn.Conv2d(w, 2 * w, 3, 2, 1), nn.LeakyReLU(0.2),
                  nn.Conv2d(2 * w, 2 * w, 1, 1, 0), nn.LeakyReLU(0.2)]
        if not global_:
            layers.append(nn.Conv2d(2 * w, 1, 1, 1, 0))
        self.main = nn.Sequential(*layers)
        self.fc = nn.Linear(2 * w * (size // 2) ** 2, 1) if global_ else None

    def forward(self, x):
        h = self.main(x)
        return self.fc(h.flatten(1)) if self.fc is not None else h


def step_fixture(path):
    r, d = Refiner(1, 1, 4), D(1, 8, 3)
    t = {"r." + k: v.clone() for k, v in r.state_dict().items()}
    t.update({"d." + k: v.clone() for k, v in d.state_dict().items()})
    synth = torch.rand(4, 4, 1, 8, 8) * 2 - 1
    real = torch.rand(2, 4, 1, 8, 8) * 2 - 1
    lam = 0.7
    opt_r = torch.optim.Adam(r.parameters(), lr=1e-3, betas=(0.5, 0.999))
    opt_d = torch.optim.Adam(d.parameters(), lr=1e-3, betas=(0.5, 0.999))
    bce = nn.functional.binary_cross_entropy_with_logits
    losses = []
    for i in range(2):
        x = synth[2 * i]
        opt_r.zero_grad()
        y = r(x)
        out = d(y)
        adv = bce(out, torch.ones_like(out))
        reg = (y - x).abs().mean()
        (adv + lam * reg).backward()
        opt_d.zero_grad()  # D's gradients from R's loss are not D's update
        if i == 0:
            t.update({"grad_r." + k: p.grad.clone() for k, p in r.named_parameters()})
        opt_r.step()
        opt_d.zero_grad()
        with torch.no_grad():
            fake = r(synth[2 * i + 1])
        o_real, o_fake = d(real[i]), d(fake)
        dl = bce(o_real, torch.ones_like(o_real)) + bce(o_fake, torch.zeros_like(o_fake))
        dl.backward()
        if i == 0:
            t.update({"grad_d." + k: p.grad.clone() for k, p in d.named_parameters()})
        opt_d.step()
        losses.append([adv.item(), reg.item(), dl.item()])
        t.update({"r%d." % (i + 1) + k: v.clone() for k, v in r.state_dict().items()})
        t.update({"d%d." % (i + 1) + k: v.clone() for k, v in d.state_dict().items()})
    t.update({"synth": synth, "real": real, "losses": torch.tensor(losses)})
    save_st(path, t)


def global_fixture(path):
    d = D(1, 8, 3, True)
    t = {"param." + k: v.clone() for k, v in d.state_dict().items()}
    x = (torch.rand(2, 1, 8, 8) * 2 - 1).requires_grad_(True)
    y = d(x)
    dy = torch.randn_like(y)
    y.backward(dy)
    t.update({"in.x": x.detach(), "out.y": y.detach(), "dy": dy, "grad.x": x.grad})
    t.update({"grad." + k: p.grad for k, p in d.named_parameters()})
    save_st(path, t)


if __name__ == "__main__":
    out = sys.argv[1] if len(sys.argv) > 1 else os.path.join(os.path.dirname(__file__), "..", "tests", "fixtures")
    torch.manual_seed(16)
    step_fixture(os.path.join(out, "simgan_step.safetensors"))
    global_fixture(os.path.join(out, "simgan_global.safetensors"))
