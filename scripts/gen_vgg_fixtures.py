"""VGG19 fixture (tests/fixtures/vgg19_closed_form.safetensors): torchvision's vgg19().features, its weights set by a
closed form that tests/test_srgan.c computes too (so no 80 MB of weights is committed), on a (2,3,16,16) input in
[-1,1] normalised as ganc's "norm" layer does ((x+1)/2 - ImageNet mean) / std. Saves in.x, out.vgg22 (features[:9],
relu2_2) and out.vgg54 (features[:36], relu5_4).
Closed form, convolution k (0..15) in order, element i of its flattened weight / bias, computed in float64 then
rounded to float32:  weight = 2 / sqrt(fan_in) * sin(0.37 i + 0.11 k),  bias = 0.05 * cos(0.13 i + k).
Usage: /usr/bin/python3 scripts/gen_vgg_fixtures.py [DIR]   (python3-torch, python3-torchvision)
"""
import math
import os
import sys

import numpy as np
import torch
import torchvision

sys.path.insert(0, os.path.dirname(__file__))
from gen_fixtures import save_st  # noqa: E402


def closed_form_vgg19():
    """torchvision's vgg19().features with the closed-form weights above"""
    vgg = torchvision.models.vgg19().features.eval()
    k = 0
    with torch.no_grad():
        for m in vgg:
            if isinstance(m, torch.nn.Conv2d):
                n = m.weight.numel()
                fan_in = m.weight.shape[1] * 9
                i = np.arange(n, dtype=np.float64)
                m.weight.copy_(torch.tensor(2 / math.sqrt(fan_in) * np.sin(0.37 * i + 0.11 * k),
                                            dtype=torch.float32).view_as(m.weight))
                j = np.arange(m.bias.numel(), dtype=np.float64)
                m.bias.copy_(torch.tensor(0.05 * np.cos(0.13 * j + k), dtype=torch.float32))
                k += 1
    return vgg


def normalise(x):
    """ganc's "norm": [-1,1] -> ImageNet-normalised [0,1]"""
    mean = torch.tensor([0.485, 0.456, 0.406]).view(1, 3, 1, 1)
    std = torch.tensor([0.229, 0.224, 0.225]).view(1, 3, 1, 1)
    return ((x + 1) / 2 - mean) / std


def main():
    out = sys.argv[1] if len(sys.argv) > 1 else os.path.join(os.path.dirname(__file__), "..", "tests", "fixtures")
    vgg = closed_form_vgg19()
    g = torch.Generator().manual_seed(3)
    x = torch.rand(2, 3, 16, 16, generator=g) * 2 - 1
    xn = normalise(x)
    with torch.no_grad():
        t = {"in.x": x, "out.vgg22": vgg[:9](xn).clone(), "out.vgg54": vgg[:36](xn).clone()}
    save_st(os.path.join(out, "vgg19_closed_form.safetensors"), t,
            {"torchvision": torchvision.__version__, "torch": torch.__version__})


if __name__ == "__main__":
    main()
