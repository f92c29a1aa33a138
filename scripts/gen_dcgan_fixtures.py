"""DCGAN interoperability fixtures (called by gen_fixtures.py, or run alone: python3 scripts/gen_dcgan_fixtures.py).

torch -> ganc: pytorch/examples' Generator/Discriminator (size 64, and the 4-block size-32 variant) with random
  weights and random BatchNorm running statistics, saved like `safetensors.torch.save_file(G.state_dict())` (no
  metadata), plus a noise batch and PyTorch's G.eval() output and D.eval() logits on it:
    torch_dcgan{32,64}_{G,D}.safetensors, torch_dcgan{32,64}_z.npy, torch_dcgan{32,64}_out.safetensors
ganc -> torch: the weights ganc writes (tests/fixtures/ganc_dcgan{32,64}_{G,D}.safetensors, made by
  `test_dcgan --write-fixtures DIR`) loaded with load_state_dict(strict=True), and PyTorch's outputs on the same
  noise: ganc_dcgan{32,64}_out.safetensors. If those files are missing this part is skipped with a note.
"""
import os
import sys

import numpy as np
import torch
import torch.nn as nn

NZ, NGF, NDF, NB = 32, 4, 4, 4


def make_g(size, nz, ngf, nc):
    m = 8 if size == 64 else 4
    layers = [nn.ConvTranspose2d(nz, ngf * m, 4, 1, 0, bias=False), nn.BatchNorm2d(ngf * m), nn.ReLU(True)]
    while m > 1:
        layers += [nn.ConvTranspose2d(ngf * m, ngf * m // 2, 4, 2, 1, bias=False), nn.BatchNorm2d(ngf * m // 2),
                   nn.ReLU(True)]
        m //= 2
    layers += [nn.ConvTranspose2d(ngf, nc, 4, 2, 1, bias=False), nn.Tanh()]
    g = nn.Module()
    g.main = nn.Sequential(*layers)
    g.forward = lambda x: g.main(x)
    return g


def make_d(size, ndf, nc):
    top = 8 if size == 64 else 4
    layers = [nn.Conv2d(nc, ndf, 4, 2, 1, bias=False), nn.LeakyReLU(0.2, inplace=True)]
    m = 1
    while m < top:
        layers += [nn.Conv2d(ndf * m, ndf * m * 2, 4, 2, 1, bias=False), nn.BatchNorm2d(ndf * m * 2),
                   nn.LeakyReLU(0.2, inplace=True)]
        m *= 2
    layers += [nn.Conv2d(ndf * top, 1, 4, 1, 0, bias=False), nn.Sigmoid()]
    d = nn.Module()
    d.main = nn.Sequential(*layers)
    d.forward = lambda x: d.main(x)
    return d


def logits(d, x):
    return d.main[:-1](x).reshape(-1)


def save_npy(path, arr):
    np.save(path, np.ascontiguousarray(arr, dtype=np.float32))


def main(out, save_st, load_st):
    gen = torch.Generator().manual_seed(4321)
    for size, nc in ((32, 1), (64, 3)):
        g, d = make_g(size, NZ, NGF, nc), make_d(size, NDF, nc)
        with torch.no_grad():
            for net in (g, d):
                for name, p in net.named_parameters():
                    p.copy_(torch.randn(p.shape, generator=gen) * (0.02 if "weight" in name and p.dim() == 4 else 0.1)
                            + (1.0 if p.dim() == 1 and "weight" in name else 0.0))
                for name, b in net.named_buffers():
                    if "running_mean" in name:
                        b.copy_(0.1 * torch.randn(b.shape, generator=gen))
                    elif "running_var" in name:
                        b.copy_(0.5 + torch.rand(b.shape, generator=gen))
                    elif "num_batches" in name:
                        b.fill_(7)
        g.eval()
        d.eval()
        z = torch.randn(NB, NZ, 1, 1, generator=gen)
        with torch.no_grad():
            x = g(z)
            lg = logits(d, x)
        tag = f"torch_dcgan{size}"
        save_st(os.path.join(out, f"{tag}_G.safetensors"), g.state_dict())
        save_st(os.path.join(out, f"{tag}_D.safetensors"), d.state_dict())
        save_npy(os.path.join(out, f"{tag}_z.npy"), z.numpy())
        save_st(os.path.join(out, f"{tag}_out.safetensors"), {"x": x, "logits": lg})

        # ganc -> torch
        tag = f"ganc_dcgan{size}"
        gp, dp = os.path.join(out, f"{tag}_G.safetensors"), os.path.join(out, f"{tag}_D.safetensors")
        if not (os.path.exists(gp) and os.path.exists(dp)):
            print(f"note: {gp} missing; run `test_dcgan --write-fixtures {out}` first, then this script again")
            continue
        g2, d2 = make_g(size, NZ, NGF, nc), make_d(size, NDF, nc)
        sg, meta = load_st(gp)
        sd, _ = load_st(dp)
        assert meta.get("kind") == "dcgan" and int(meta["size"]) == size, meta
        g2.load_state_dict(sg, strict=True)
        d2.load_state_dict(sd, strict=True)
        g2.eval()
        d2.eval()
        with torch.no_grad():
            x2 = g2(z)
            lg2 = logits(d2, x2)
        save_st(os.path.join(out, f"{tag}_out.safetensors"), {"x": x2, "logits": lg2})


if __name__ == "__main__":
    sys.path.insert(0, os.path.dirname(__file__))
    import gen_fixtures

    main(gen_fixtures.OUT if len(sys.argv) < 2 else sys.argv[1], gen_fixtures.save_st, gen_fixtures.load_st)
