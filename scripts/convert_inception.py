"""Convert Inception-v3 weights from PyTorch's .pth to the safetensors file `ganc eval --inception` reads.

  /usr/bin/python3 scripts/convert_inception.py IN.pth OUT.safetensors [--variant fid|torchvision]

IN is either
  - pytorch-fid's FID weights, pt_inception-2015-12-05-6726825d.pth (the network of the TF FID code; 1008 classes;
    ganc picks its FIDInception blocks), or
  - torchvision's ImageNet weights, inception_v3_google-0cc3c7bd.pth (1000 classes).
Download them where you have internet; ganc never downloads anything. The file holds a state_dict (or a module);
AuxLogits.* are dropped, names and layouts are kept, the variant goes into the metadata (guessed from the class
count unless --variant is given). Both networks then take images in [-1,1] at 299x299, which is what ganc feeds
them (torchvision's transform_input=True maps ImageNet-normalised input to exactly that range).
Needs python3-torch (and numpy); not needed by ganc itself.
"""
import argparse
import os
import sys

import torch

sys.path.insert(0, os.path.dirname(__file__))
from gen_fixtures import save_st  # noqa: E402  (stdlib + numpy safetensors writer)


def main():
    ap = argparse.ArgumentParser(description=__doc__.splitlines()[0])
    ap.add_argument("src")
    ap.add_argument("dst")
    ap.add_argument("--variant", choices=["fid", "torchvision"])
    a = ap.parse_args()
    sd = torch.load(a.src, map_location="cpu")
    if hasattr(sd, "state_dict"):
        sd = sd.state_dict()
    sd = {k[len("module."):] if k.startswith("module.") else k: v for k, v in sd.items()}
    sd = {k: v.float() if v.is_floating_point() else v.long() for k, v in sd.items() if not k.startswith("AuxLogits.")}
    if "fc.weight" not in sd or sd["fc.weight"].shape[1] != 2048:
        sys.exit(f"{a.src}: no fc.weight of shape [classes, 2048]: not Inception-v3 weights")
    variant = a.variant or ("fid" if sd["fc.weight"].shape[0] == 1008 else "torchvision")
    save_st(a.dst, {k: v.contiguous() for k, v in sd.items()}, {"variant": variant, "source": os.path.basename(a.src)})
    print(f"wrote {a.dst}: {len(sd)} tensors, {sd['fc.weight'].shape[0]} classes, variant {variant}")


if __name__ == "__main__":
    main()
