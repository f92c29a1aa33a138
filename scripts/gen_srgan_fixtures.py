"""SRResNet and SRGAN-D fixtures: PyTorch's forward and backward of the networks of src/models/srgan.c at a small
size, for tests/test_srgan.c. The modules here define the parameter names ganc uses (PyTorch state_dict names).
Each file: param.<name> (the state_dict before), in.x, out.y (training-mode forward), dy, grad.x, grad.<name>, and
after.<buffer> (BatchNorm running statistics after the forward).
G: blocks 2, width 8, x4, RGB, input 2x3x7x9 (odd sizes). D: RGB 32x32, width 4, dense 16, batch 3.
srresnet_step.safetensors: two training steps of that G (MSE, Adam 1e-3) on batches of 2 (lr 4x4, hr 16x16):
param.* before, lr, hr, loss (2), after1.* (the state_dict after the first step).
srgan_step.safetensors: two SRGAN steps (ganc_srgan_train_step): G blocks 1 width 8, D width 4 dense 8 on 32x32,
batches of 2, MSE content + 0.1 x adversarial, Adam 1e-3 for both; per step: D on real (1) and G's output (0), then G
through the updated D in training mode with D's running statistics restored after it (ganc leaves them alone there).
g.* / d.* before, lr, hr, losses (2 x [d_loss, content, adv]), g1.* / d1.* after step 1, g2.* / d2.* after step 2.
srgan_vgg22_step.safetensors: the same with SRGAN-VGG22's content loss: MSE of VGG19 features[:9] (the closed-form
weights of gen_vgg_fixtures.py) of G's output and of the HR crop, over 12.75^2.
Usage: python3 scripts/gen_srgan_fixtures.py [DIR]
"""
import os
import sys

import torch
import torch.nn as nn

sys.path.insert(0, os.path.dirname(__file__))
from gen_fixtures import save_st  # noqa: E402
from gen_vgg_fixtures import closed_form_vgg19, normalise  # noqa: E402


class Block(nn.Module):
    def __init__(self, w):
        super().__init__()
        self.conv1, self.bn1, self.act = nn.Conv2d(w, w, 3, 1, 1), nn.BatchNorm2d(w), nn.PReLU()
        self.conv2, self.bn2 = nn.Conv2d(w, w, 3, 1, 1), nn.BatchNorm2d(w)

    def forward(self, x):
        return x + self.bn2(self.conv2(self.act(self.bn1(self.conv1(x)))))


class Up(nn.Module):
    def __init__(self, w):
        super().__init__()
        self.conv, self.shuffle, self.act = nn.Conv2d(w, 4 * w, 3, 1, 1), nn.PixelShuffle(2), nn.PReLU()

    def forward(self, x):
        return self.act(self.shuffle(self.conv(x)))


class SRResNet(nn.Module):
    def __init__(self, blocks=16, w=64, scale=4, nc=3):
        super().__init__()
        self.head = nn.Sequential(nn.Conv2d(nc, w, 9, 1, 4), nn.PReLU())
        self.body = nn.ModuleList([Block(w) for _ in range(blocks)])
        self.tail = nn.Sequential(nn.Conv2d(w, w, 3, 1, 1), nn.BatchNorm2d(w))
        self.up = nn.ModuleList([Up(w) for _ in range({2: 1, 4: 2, 8: 3}[scale])])
        self.out = nn.Conv2d(w, nc, 9, 1, 4)

    def forward(self, x):
        h = self.head(x)
        y = h
        for b in self.body:
            y = b(y)
        y = self.tail(y) + h
        for u in self.up:
            y = u(y)
        return self.out(y)


class SRGAN_D(nn.Module):
    def __init__(self, nc=3, size=96, w=64, dense=1024):
        super().__init__()
        layers, c = [nn.Conv2d(nc, w, 3, 1, 1), nn.LeakyReLU(0.2)], w
        for oc, s in zip((w, 2 * w, 2 * w, 4 * w, 4 * w, 8 * w, 8 * w), (2, 1, 2, 1, 2, 1, 2)):
            layers += [nn.Conv2d(c, oc, 3, s, 1), nn.BatchNorm2d(oc), nn.LeakyReLU(0.2)]
            c = oc
        self.features = nn.Sequential(*layers)
        self.classifier = nn.Sequential(nn.Linear(8 * w * (size // 16) ** 2, dense), nn.LeakyReLU(0.2),
                                        nn.Linear(dense, 1))

    def forward(self, x):
        return self.classifier(self.features(x).flatten(1))


def fixture(path, net, x):
    for m in net.modules():  # BatchNorm with non-trivial parameters and statistics
        if isinstance(m, nn.BatchNorm2d):
            with torch.no_grad():
                m.weight.uniform_(0.5, 1.5)
                m.bias.uniform_(-0.2, 0.2)
                m.running_mean.uniform_(-0.1, 0.1)
                m.running_var.uniform_(0.5, 1.5)
    t = {"param." + k: v.clone() for k, v in net.state_dict().items()}
    x = x.clone().requires_grad_(True)
    net.train()
    y = net(x)
    dy = torch.randn_like(y)
    y.backward(dy)
    t.update({"in.x": x.detach(), "out.y": y.detach(), "dy": dy, "grad.x": x.grad})
    for k, p in net.named_parameters():
        t["grad." + k] = p.grad
    for k, b in net.named_buffers():
        t["after." + k] = b.clone()
    save_st(path, t)


def step_fixture(path):
    """two SRResNet training steps: MSE on (lr, hr) batches in [-1,1], Adam(1e-3, (0.9, 0.999))"""
    g = SRResNet(2, 8, 4, 3)
    t = {"param." + k: v.clone() for k, v in g.state_dict().items()}
    lr = torch.rand(2, 2, 3, 4, 4) * 2 - 1
    hr = torch.rand(2, 2, 3, 16, 16) * 2 - 1
    opt = torch.optim.Adam(g.parameters(), lr=1e-3, betas=(0.9, 0.999))
    losses = []
    g.train()
    for i in range(2):
        opt.zero_grad()
        loss = nn.functional.mse_loss(g(lr[i]), hr[i])
        loss.backward()
        opt.step()
        losses.append(loss.item())
        if i == 0:
            t.update({"after1." + k: v.clone() for k, v in g.state_dict().items()})
    t.update({"lr": lr, "hr": hr, "loss": torch.tensor(losses)})
    save_st(path, t)


def srgan_step_fixture(path, vgg=None):
    g, d = SRResNet(1, 8, 4, 3), SRGAN_D(3, 32, 4, 8)  # 32x32: D's last BatchNorm sees 2x2 x 2 values
    t = {"g." + k: v.clone() for k, v in g.state_dict().items()}
    t.update({"d." + k: v.clone() for k, v in d.state_dict().items()})
    lr = torch.rand(2, 2, 3, 8, 8) * 2 - 1
    hr = torch.rand(2, 2, 3, 32, 32) * 2 - 1
    og = torch.optim.Adam(g.parameters(), lr=1e-3, betas=(0.9, 0.999))
    od = torch.optim.Adam(d.parameters(), lr=1e-3, betas=(0.9, 0.999))
    bce = nn.functional.binary_cross_entropy_with_logits
    g.train()
    d.train()
    losses = []
    for i in range(2):
        sr = g(lr[i])
        od.zero_grad()
        lr_ = bce(d(hr[i]), torch.ones(2, 1))
        lf = bce(d(sr.detach()), torch.zeros(2, 1))
        (lr_ + lf).backward()
        od.step()
        keep = {k: b.clone() for k, b in d.named_buffers()}
        og.zero_grad()
        adv = bce(d(sr), torch.ones(2, 1))
        if vgg is None:
            content = nn.functional.mse_loss(sr, hr[i])
        else:  # SRGAN-VGG22: features' MSE / 12.75^2
            with torch.no_grad():
                fhr = vgg(normalise(hr[i]))
            content = nn.functional.mse_loss(vgg(normalise(sr)), fhr) / 12.75 ** 2
        (content + 0.1 * adv).backward()
        og.step()
        with torch.no_grad():
            for k, b in d.named_buffers():
                b.copy_(keep[k])
        losses += [(lr_ + lf).item(), content.item(), adv.item()]
        t.update({"g%d.%s" % (i + 1, k): v.clone() for k, v in g.state_dict().items()})
        t.update({"d%d.%s" % (i + 1, k): v.clone() for k, v in d.state_dict().items()})
    t.update({"lr": lr, "hr": hr, "losses": torch.tensor(losses)})
    save_st(path, t)


def main():
    out = sys.argv[1] if len(sys.argv) > 1 else os.path.join(os.path.dirname(__file__), "..", "tests", "fixtures")
    torch.manual_seed(15)
    fixture(os.path.join(out, "srresnet_small.safetensors"), SRResNet(2, 8, 4, 3), torch.rand(2, 3, 7, 9))
    fixture(os.path.join(out, "srgan_d_small.safetensors"), SRGAN_D(3, 32, 4, 16), torch.rand(3, 3, 32, 32) * 2 - 1)
    step_fixture(os.path.join(out, "srresnet_step.safetensors"))
    srgan_step_fixture(os.path.join(out, "srgan_step.safetensors"))
    torch.manual_seed(16)
    srgan_step_fixture(os.path.join(out, "srgan_vgg22_step.safetensors"), closed_form_vgg19()[:9])


if __name__ == "__main__":
    main()
