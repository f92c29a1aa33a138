"""Inception-v3 architecture fixture: torchvision's inception_v3 and pytorch-fid's variant against ganc.

The real weights (100 MB) are not available here and need not be: both sides fill every tensor with the same
closed-form pseudo-random values (a hash of the tensor's name and the element index, mirrored in
tests/test_inception.c), so only the inputs and PyTorch's outputs are committed (~50 KB):
  inception_fixture.safetensors: x (2,1,28,28) and x3 (1,3,40,30) in [-1,1]; for each variant V in {tv, fid}:
  V_pool (3,2048) average-pool features and V_logits (3,classes), after ganc's protocol (grey -> RGB, bilinear
  resize to 299x299 with align_corners=False, eval mode); resized (1,3,299,299) of x3 for the resize check.
pytorch-fid's blocks (FIDInceptionA/C/E_1/E_2) are rewritten here from their published definition: 3x3 average
pools with count_include_pad=False, and a 3x3 max pool in Mixed_7c; its weights have 1008 classes.
Usage: /usr/bin/python3 scripts/gen_inception_fixtures.py [DIR]   (needs python3-torchvision)
"""
import math
import os
import sys

import numpy as np
import torch
import torch.nn.functional as F
import torchvision
from torchvision.models import inception as tvi

sys.path.insert(0, os.path.dirname(__file__))
from gen_fixtures import save_st  # noqa: E402

M32 = 0xFFFFFFFF


def fnv1a(s):
    h = 2166136261
    for c in s.encode():
        h = ((h ^ c) * 16777619) & M32
    return h


def hash_u(name, n):
    """n values in [-0.5, 0.5): murmur3's finaliser of (fnv1a(name) ^ i * 0x9E3779B1); same in test_inception.c"""
    i = np.arange(n, dtype=np.uint64)
    x = (np.uint64(fnv1a(name)) ^ ((i * np.uint64(0x9E3779B1)) & np.uint64(M32))) & np.uint64(M32)
    x ^= x >> np.uint64(16)
    x = (x * np.uint64(0x85EBCA6B)) & np.uint64(M32)
    x ^= x >> np.uint64(13)
    x = (x * np.uint64(0xC2B2AE35)) & np.uint64(M32)
    x ^= x >> np.uint64(16)
    return (x.astype(np.float64) / 4294967296.0 - 0.5).astype(np.float32)


def fill(model):
    with torch.no_grad():
        for name, t in model.state_dict().items():
            if name.endswith("num_batches_tracked"):
                continue
            u = torch.from_numpy(hash_u(name, t.numel())).view(t.shape)
            if name.endswith("conv.weight") or name == "fc.weight":
                fan_in = t[0].numel()
                t.copy_(u * np.float32(2.0 * math.sqrt(6.0 / fan_in)))  # He-uniform: activations stay O(1)
            elif name.endswith("running_var"):
                t.copy_(1.0 + 0.4 * u)
            elif name.endswith("bn.weight"):
                t.copy_(1.0 + 0.2 * u)
            else:  # bn.bias, running_mean, fc.bias
                t.copy_(0.2 * u)


class FIDInceptionA(tvi.InceptionA):
    def forward(self, x):
        b1 = self.branch1x1(x)
        b5 = self.branch5x5_2(self.branch5x5_1(x))
        bd = self.branch3x3dbl_3(self.branch3x3dbl_2(self.branch3x3dbl_1(x)))
        bp = self.branch_pool(F.avg_pool2d(x, kernel_size=3, stride=1, padding=1, count_include_pad=False))
        return torch.cat([b1, b5, bd, bp], 1)


class FIDInceptionC(tvi.InceptionC):
    def forward(self, x):
        b1 = self.branch1x1(x)
        b7 = self.branch7x7_3(self.branch7x7_2(self.branch7x7_1(x)))
        bd = self.branch7x7dbl_1(x)
        for m in (self.branch7x7dbl_2, self.branch7x7dbl_3, self.branch7x7dbl_4, self.branch7x7dbl_5):
            bd = m(bd)
        bp = self.branch_pool(F.avg_pool2d(x, kernel_size=3, stride=1, padding=1, count_include_pad=False))
        return torch.cat([b1, b7, bd, bp], 1)


class FIDInceptionE(tvi.InceptionE):
    def __init__(self, cin, maxpool):
        super().__init__(cin)
        self.maxpool = maxpool

    def forward(self, x):
        b1 = self.branch1x1(x)
        b3 = self.branch3x3_1(x)
        b3 = torch.cat([self.branch3x3_2a(b3), self.branch3x3_2b(b3)], 1)
        bd = self.branch3x3dbl_2(self.branch3x3dbl_1(x))
        bd = torch.cat([self.branch3x3dbl_3a(bd), self.branch3x3dbl_3b(bd)], 1)
        if self.maxpool:
            p = F.max_pool2d(x, kernel_size=3, stride=1, padding=1)
        else:
            p = F.avg_pool2d(x, kernel_size=3, stride=1, padding=1, count_include_pad=False)
        return torch.cat([b1, b3, bd, self.branch_pool(p)], 1)


def make(variant):
    classes = 1008 if variant == "fid" else 1000
    m = torchvision.models.inception_v3(weights=None, aux_logits=False, transform_input=False, init_weights=False,
                                        num_classes=classes)
    if variant == "fid":
        m.Mixed_5b, m.Mixed_5c, m.Mixed_5d = FIDInceptionA(192, 32), FIDInceptionA(256, 64), FIDInceptionA(288, 64)
        m.Mixed_6b, m.Mixed_6c = FIDInceptionC(768, 128), FIDInceptionC(768, 160)
        m.Mixed_6d, m.Mixed_6e = FIDInceptionC(768, 160), FIDInceptionC(768, 192)
        m.Mixed_7b, m.Mixed_7c = FIDInceptionE(1280, False), FIDInceptionE(2048, True)
    fill(m)
    return m.eval()


def features(m, x):
    """ganc's protocol: grey -> RGB, bilinear resize to 299, then pool features and logits"""
    if x.shape[1] == 1:
        x = x.repeat(1, 3, 1, 1)
    x = F.interpolate(x, size=(299, 299), mode="bilinear", align_corners=False)
    feats = {}
    h = m.avgpool.register_forward_hook(lambda mod, i, o: feats.setdefault("pool", o.flatten(1)))
    with torch.no_grad():
        logits = m(x)
    h.remove()
    return feats["pool"], logits


def main(out):
    torch.set_num_threads(2)
    g = torch.Generator().manual_seed(2048)
    x = torch.rand(2, 1, 28, 28, generator=g) * 2 - 1
    x3 = torch.rand(1, 3, 40, 30, generator=g) * 2 - 1
    res = {"x": x, "x3": x3,
           "resized": F.interpolate(x3, size=(299, 299), mode="bilinear", align_corners=False)}
    for variant in ("tv", "fid"):
        m = make(variant)
        p1, l1 = features(m, x)
        p2, l2 = features(m, x3)
        res[f"{variant}_pool"] = torch.cat([p1, p2])
        res[f"{variant}_logits"] = torch.cat([l1, l2])
        print(variant, "pool std %.3f, logits std %.3f" % (res[f"{variant}_pool"].std(), res[f"{variant}_logits"].std()))
    res = {k: v.to(torch.float32) for k, v in res.items()}
    res["resized"] = res["resized"][:, :, ::13, ::13].contiguous()  # a 23x23 subsample keeps the file small
    save_st(os.path.join(out, "inception_fixture.safetensors"), res)


if __name__ == "__main__":
    main(sys.argv[1] if len(sys.argv) > 1 else os.path.join(os.path.dirname(__file__), "..", "tests", "fixtures"))
