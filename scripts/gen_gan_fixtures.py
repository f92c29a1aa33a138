"""GAN training-loop fixtures: PyTorch runs the same iterations as tests/test_gan.c and saves the result.

Input (written by `test_gan --write-fixtures tests/fixtures`, run that first): gan_step_{gan,cgan,cdcgan}_in
.safetensors with ganc's initial G./D. weights, the real batches and labels, and the noise and fake labels that
ganc's trainer draws. This script rebuilds the three networks in PyTorch with the same state_dict names, runs
pytorch/examples' loop (D on real then on G(z).detach(), Adam step; G through the updated D, Adam step; the D
forward of the G step does not touch D's BatchNorm running statistics, as in ganc) with the non-saturating or the
minimax G loss and k D steps per G step, and writes gan_step_*_out.safetensors: G./D. after the last iteration
and loss_d/loss_g per iteration. Usage: python3 scripts/gen_gan_fixtures.py [DIR]
"""
import os
import sys

import torch
import torch.nn as nn
import torch.nn.functional as F

sys.path.insert(0, os.path.dirname(__file__))
from gen_fixtures import load_st, save_st  # noqa: E402

ITERS, LR = 2, 1e-3
# name: (kind, classes, loss, k)
CASES = {"gan": ("mlp", 0, "ns", 1), "cgan": ("mlp", 3, "minimax", 2), "cdcgan": ("dcgan", 3, "ns", 1)}


class Maxout(nn.Module):
    def __init__(self, k):
        super().__init__()
        self.k = k

    def forward(self, x):
        return x.view(x.shape[0], -1, self.k).max(-1)[0]


class MLPG(nn.Module):  # size 8, nz 8, hidden 16
    def __init__(self, classes):
        super().__init__()
        self.model = nn.Sequential(nn.Linear(8 + classes, 16), nn.ReLU(), nn.Linear(16, 16), nn.ReLU(),
                                   nn.Linear(16, 64), nn.Tanh())

    def forward(self, z, y):
        h = torch.cat([z, y], 1) if y is not None else z
        return self.model(h).view(-1, 1, 8, 8)


class MLPD(nn.Module):  # 6 units x 3 pieces, dropout 0
    def __init__(self, classes):
        super().__init__()
        self.model = nn.Sequential(nn.Flatten(), nn.Dropout(0.0), nn.Linear(64 + classes, 18), Maxout(3),
                                   nn.Dropout(0.0), nn.Linear(6, 18), Maxout(3), nn.Dropout(0.0), nn.Linear(6, 1))

    def forward(self, x, y):
        h = self.model[1](self.model[0](x))
        if y is not None:
            h = torch.cat([h, y], 1)
        for m in self.model[2:]:
            h = m(h)
        return h.view(-1)


class CondG(nn.Module):  # DCGAN 32x32, nz 8, ngf 4
    def __init__(self, classes):
        super().__init__()
        g = 4
        self.main = nn.Sequential(
            nn.ConvTranspose2d(8 + classes, g * 4, 4, 1, 0, bias=False), nn.BatchNorm2d(g * 4), nn.ReLU(True),
            nn.ConvTranspose2d(g * 4, g * 2, 4, 2, 1, bias=False), nn.BatchNorm2d(g * 2), nn.ReLU(True),
            nn.ConvTranspose2d(g * 2, g, 4, 2, 1, bias=False), nn.BatchNorm2d(g), nn.ReLU(True),
            nn.ConvTranspose2d(g, 1, 4, 2, 1, bias=False), nn.Tanh())

    def forward(self, z, y):
        return self.main(torch.cat([z, y], 1)[:, :, None, None])


class CondD(nn.Module):
    def __init__(self, classes):
        super().__init__()
        d = 4
        self.main = nn.Sequential(
            nn.Conv2d(1 + classes, d, 4, 2, 1, bias=False), nn.LeakyReLU(0.2, inplace=True),
            nn.Conv2d(d, d * 2, 4, 2, 1, bias=False), nn.BatchNorm2d(d * 2), nn.LeakyReLU(0.2, inplace=True),
            nn.Conv2d(d * 2, d * 4, 4, 2, 1, bias=False), nn.BatchNorm2d(d * 4), nn.LeakyReLU(0.2, inplace=True),
            nn.Conv2d(d * 4, 1, 4, 1, 0, bias=False))

    def forward(self, x, y):
        yb = y[:, :, None, None].expand(-1, -1, x.shape[2], x.shape[3])
        return self.main(torch.cat([x, yb], 1)).view(-1)


def run(out, name):
    kind, classes, loss, k = CASES[name]
    t, _ = load_st(os.path.join(out, f"gan_step_{name}_in.safetensors"))
    g, d = (MLPG(classes), MLPD(classes)) if kind == "mlp" else (CondG(classes), CondD(classes))
    g.load_state_dict({n[2:]: v for n, v in t.items() if n.startswith("G.")}, strict=True)
    d.load_state_dict({n[2:]: v for n, v in t.items() if n.startswith("D.")}, strict=True)
    g.train()
    d.train()
    og = torch.optim.Adam(g.parameters(), lr=LR, betas=(0.5, 0.999))
    od = torch.optim.Adam(d.parameters(), lr=LR, betas=(0.5, 0.999))
    onehot = (lambda l: F.one_hot(l, classes).float()) if classes else (lambda l: None)
    losses_d, losses_g, s = [], [], 0
    for _ in range(ITERS):
        for _ in range(k):
            real, yr = t["real"][s], onehot(t["real_labels"][s])
            z, yf = t["z"][s], onehot(t["fake_labels"][s])
            s += 1
            od.zero_grad()
            lr_ = F.binary_cross_entropy_with_logits(d(real, yr), torch.ones(real.shape[0]))
            lr_.backward()
            fake = g(z, yf)
            lf = F.binary_cross_entropy_with_logits(d(fake.detach(), yf), torch.zeros(real.shape[0]))
            lf.backward()
            od.step()
        losses_d.append((lr_ + lf).item())
        og.zero_grad()
        saved = {n: b.clone() for n, b in d.named_buffers()}
        lo = d(fake, yf)
        if loss == "ns":
            lg = F.binary_cross_entropy_with_logits(lo, torch.ones_like(lo))
        else:
            lg = torch.log1p(-torch.sigmoid(lo)).mean()
        lg.backward()
        with torch.no_grad():  # ganc's G step leaves D's running statistics alone
            for n, b in d.named_buffers():
                b.copy_(saved[n])
        og.step()
        losses_g.append(lg.item())
    res = {"G." + n: v for n, v in g.state_dict().items()}
    res.update({"D." + n: v for n, v in d.state_dict().items()})
    res["loss_d"] = torch.tensor(losses_d, dtype=torch.float32)
    res["loss_g"] = torch.tensor(losses_g, dtype=torch.float32)
    save_st(os.path.join(out, f"gan_step_{name}_out.safetensors"), res)


def main(out):
    for name in CASES:
        if not os.path.exists(os.path.join(out, f"gan_step_{name}_in.safetensors")):
            print(f"note: gan_step_{name}_in.safetensors missing in {out}; run `test_gan --write-fixtures {out}` first")
            continue
        run(out, name)


if __name__ == "__main__":
    main(sys.argv[1] if len(sys.argv) > 1 else os.path.join(os.path.dirname(__file__), "..", "tests", "fixtures"))
