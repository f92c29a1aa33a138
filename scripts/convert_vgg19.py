"""Convert torchvision's VGG19 weights (a state_dict saved by torch.save, e.g. vgg19-dcbb9e9d.pth from torchvision's
model zoo, which you fetch yourself: ganc downloads nothing) into ganc's VGG19 file for SRGAN's content loss:
features.{i}.weight/.bias of the 16 convolutions (names unchanged, the classifier dropped), plus the constants of
ganc's input normalisation (norm.*: [-1,1] -> ImageNet-normalised [0,1]) and metadata kind=vgg19.
Usage: /usr/bin/python3 scripts/convert_vgg19.py VGG19.pth OUT.safetensors   (needs python3-torch)
"""
import os
import sys

import torch

sys.path.insert(0, os.path.dirname(__file__))
from gen_fixtures import save_st  # noqa: E402

CONVS = [0, 2, 5, 7, 10, 12, 14, 16, 19, 21, 23, 25, 28, 30, 32, 34]  # vgg19().features indices


def main():
    if len(sys.argv) != 3:
        sys.exit(__doc__)
    sd = torch.load(sys.argv[1], map_location="cpu")
    if isinstance(sd, torch.nn.Module):
        sd = sd.state_dict()
    t = {}
    for i in CONVS:
        for p in ("weight", "bias"):
            k = "features.%d.%s" % (i, p)
            if k not in sd:
                sys.exit("%s: no %s: not torchvision's vgg19 state_dict (vgg19_bn has other indices)" % (sys.argv[1], k))
            t[k] = sd[k].float().contiguous()
    if t["features.0.weight"].shape != (64, 3, 3, 3) or t["features.34.weight"].shape != (512, 512, 3, 3):
        sys.exit("%s: unexpected shapes: not vgg19" % sys.argv[1])
    mean = torch.tensor([0.485, 0.456, 0.406])
    std = torch.tensor([0.229, 0.224, 0.225])
    t.update({"norm.weight": torch.ones(3), "norm.bias": torch.zeros(3), "norm.running_mean": 2 * mean - 1,
              "norm.running_var": 4 * std * std - 1e-5, "norm.num_batches_tracked": torch.tensor(0)})
    save_st(sys.argv[2], t, {"kind": "vgg19", "source": os.path.basename(sys.argv[1])})
    print("wrote", sys.argv[2], "(%d tensors)" % len(t))


if __name__ == "__main__":
    main()
