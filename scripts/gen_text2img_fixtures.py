"""Text-to-image GAN fixtures for tests/test_text2img.c: PyTorch's version of ganc's text-conditional G and D
(src/models/text2img.c; the modules here define the parameter names) and of one GAN-CLS D step and one GAN-INT G
step. text2img_step.safetensors: 32x32, nz 3, ngf 4, ndf 4, emb 6, proj 5, batch 4, Adam(2e-4, (0.5, 0.999)).
g.* / d.* before (buffers included); in.x, in.t, in.t_wrong, in.t2, in.z (D step), in.zg, in.z2 (G step);
D step (three D calls in train mode: real/right text -> 1, real/wrong text -> 0 and fake/right text -> 0, the last two
weighted 1/2): grad_d.*, d1.* after it, loss_d; then G step (G(zg, t) and G(z2, (t + t2)/2) through the updated D,
each against 1): grad_g.*, g1.* after, loss_g.
Usage: python3 scripts/gen_text2img_fixtures.py [DIR]
"""
import os
import sys

import torch
import torch.nn as nn
import torch.nn.functional as F

sys.path.insert(0, os.path.dirname(__file__))
from gen_fixtures import save_st  # noqa: E402

NZ, NGF, NDF, EMB, PROJ, B = 3, 4, 4, 6, 5, 4


class G(nn.Module):
    def __init__(self):
        super().__init__()
        self.proj = nn.Sequential(nn.Linear(EMB, PROJ), nn.LeakyReLU(0.2))
        g = NGF
        self.main = nn.Sequential(
            nn.ConvTranspose2d(NZ + PROJ, 4 * g, 4, 1, 0, bias=False), nn.BatchNorm2d(4 * g), nn.ReLU(),
            nn.ConvTranspose2d(4 * g, 2 * g, 4, 2, 1, bias=False), nn.BatchNorm2d(2 * g), nn.ReLU(),
            nn.ConvTranspose2d(2 * g, g, 4, 2, 1, bias=False), nn.BatchNorm2d(g), nn.ReLU(),
            nn.ConvTranspose2d(g, 3, 4, 2, 1, bias=False), nn.Tanh())

    def forward(self, z, t):
        return self.main(torch.cat([z, self.proj(t)[:, :, None, None]], 1))


class D(nn.Module):
    def __init__(self):
        super().__init__()
        d = NDF
        self.main = nn.Sequential(
            nn.Conv2d(3, d, 4, 2, 1, bias=False), nn.LeakyReLU(0.2),
            nn.Conv2d(d, 2 * d, 4, 2, 1, bias=False), nn.BatchNorm2d(2 * d), nn.LeakyReLU(0.2),
            nn.Conv2d(2 * d, 4 * d, 4, 2, 1, bias=False), nn.BatchNorm2d(4 * d), nn.LeakyReLU(0.2))
        self.proj = nn.Sequential(nn.Linear(EMB, PROJ), nn.LeakyReLU(0.2))
        self.joint = nn.Sequential(nn.Conv2d(4 * d + PROJ, 4 * d, 1, 1, 0, bias=False), nn.BatchNorm2d(4 * d),
                                   nn.LeakyReLU(0.2), nn.Conv2d(4 * d, 1, 4, 1, 0, bias=False))

    def forward(self, x, t):
        h = self.main(x)
        p = self.proj(t)[:, :, None, None].expand(-1, -1, h.shape[2], h.shape[3])
        return self.joint(torch.cat([h, p], 1)).view(-1)


def main():
    out = sys.argv[1] if len(sys.argv) > 1 else os.path.join(os.path.dirname(__file__), "..", "tests", "fixtures")
    torch.manual_seed(3)
    gen = torch.Generator().manual_seed(3)
    g, d = G(), D()
    with torch.no_grad():
        for m in (g, d):
            for name, p in m.named_parameters():
                p.copy_(torch.randn(p.shape, generator=gen) * (0.02 if p.dim() > 1 else 0.3) + (1.0 if "main" in name and
                        p.dim() == 1 and name.endswith("weight") else 0.0))
    g.train(); d.train()
    t = {}
    for k, v in g.state_dict().items():
        t["g." + k] = v.clone()
    for k, v in d.state_dict().items():
        t["d." + k] = v.clone()
    x = torch.rand(B, 3, 32, 32, generator=gen) * 2 - 1
    te, tw, t2 = (torch.randn(B, EMB, generator=gen) for _ in range(3))
    z, zg, z2 = (torch.randn(B, NZ, 1, 1, generator=gen) for _ in range(3))
    for k, v in (("x", x), ("t", te), ("t_wrong", tw), ("t2", t2), ("z", z), ("zg", zg), ("z2", z2)):
        t["in." + k] = v
    od = torch.optim.Adam(d.parameters(), lr=2e-4, betas=(0.5, 0.999))
    og = torch.optim.Adam(g.parameters(), lr=2e-4, betas=(0.5, 0.999))
    bce = F.binary_cross_entropy_with_logits
    # D step, GAN-CLS
    od.zero_grad()
    fake = g(z, te).detach()
    lr_ = bce(d(x, te), torch.ones(B))
    lw = bce(d(x, tw), torch.zeros(B))
    lf = bce(d(fake, te), torch.zeros(B))
    loss_d = lr_ + 0.5 * (lw + lf)
    loss_d.backward()
    for k, p in d.named_parameters():
        t["grad_d." + k] = p.grad.clone()
    od.step()
    for k, v in d.state_dict().items():
        t["d1." + k] = v.clone()
    # G step, GAN-INT
    og.zero_grad()
    mix = 0.5 * te + 0.5 * t2
    loss_g = bce(d(g(zg, te), te), torch.ones(B)) + bce(d(g(z2, mix), mix), torch.ones(B))
    loss_g.backward()
    for k, p in g.named_parameters():
        t["grad_g." + k] = p.grad.clone()
    og.step()
    for k, v in g.state_dict().items():
        t["g1." + k] = v.clone()
    t["loss_d"], t["loss_g"] = loss_d.detach().reshape(1), loss_g.detach().reshape(1)
    save_st(os.path.join(out, "text2img_step.safetensors"), t, {"torch": torch.__version__})
    print("wrote", os.path.join(out, "text2img_step.safetensors"), float(loss_d), float(loss_g))


if __name__ == "__main__":
    main()
