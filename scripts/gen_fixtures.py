#!/usr/bin/env python3
"""Writes the PyTorch reference fixtures that ganc's C tests compare against (tests/fixtures/*.safetensors).

The oracle is Debian's python3-torch (1.13). The test suite itself never needs PyTorch: the fixtures are committed.
Regenerate with:  python3 scripts/gen_fixtures.py [outdir]

safetensors is written with the standard library (the Python package is not in Debian 12).

Layer fixtures (layer_<key>.safetensors), one per case in tests/layer_cases.c, same keys, names and shapes:
  in.x0, in.x1    inputs                     dy            upstream gradient of the output
  param.<name>    full state_dict before     out.y         output
  grad.x0/x1      input gradients            grad.<name>   parameter gradients
  after.<name>    buffers after the forward (BatchNorm running stats, num_batches_tracked)
"""
import json
import os
import struct
import sys

import numpy as np
import torch
import torch.nn as nn
import torch.nn.functional as F

OUT = sys.argv[1] if len(sys.argv) > 1 else os.path.join(os.path.dirname(__file__), "..", "tests", "fixtures")
DT = {np.dtype("float32"): "F32", np.dtype("int64"): "I64", np.dtype("float64"): "F64", np.dtype("uint8"): "U8"}


def save_st(path, tensors, meta=None):
    header, blobs, off = {}, [], 0
    if meta:
        header["__metadata__"] = {k: str(v) for k, v in meta.items()}
    for name, arr in tensors.items():
        if isinstance(arr, torch.Tensor):
            arr = arr.detach().cpu().numpy()
        arr = np.ascontiguousarray(arr)
        b = arr.astype(arr.dtype.newbyteorder("<"), copy=False).tobytes()
        header[name] = {"dtype": DT[arr.dtype], "shape": list(arr.shape), "data_offsets": [off, off + len(b)]}
        blobs.append(b)
        off += len(b)
    h = json.dumps(header, separators=(",", ":")).encode()
    h += b" " * ((8 - len(h) % 8) % 8)
    with open(path, "wb") as f:
        f.write(struct.pack("<Q", len(h)))
        f.write(h)
        for b in blobs:
            f.write(b)


def load_st(path):
    with open(path, "rb") as f:
        data = f.read()
    (n,) = struct.unpack("<Q", data[:8])
    header = json.loads(data[8:8 + n])
    meta = header.pop("__metadata__", {})
    inv = {v: k for k, v in DT.items()}
    out = {}
    for name, t in header.items():
        b, e = t["data_offsets"]
        out[name] = torch.from_numpy(np.frombuffer(data[8 + n + b:8 + n + e], dtype=inv[t["dtype"]]).reshape(t["shape"]).copy())
    return out, meta


# ---------------------------------------------------------------- layer cases (mirror tests/layer_cases.c)
class Graph(nn.Module):
    def __init__(self):
        super().__init__()
        self.c1 = nn.Conv2d(2, 4, 3, 1, 1, bias=False)
        self.bn1 = nn.BatchNorm2d(4)
        self.c2 = nn.Conv2d(7, 4, 3, 1, 1, bias=True)

    def forward(self, x, v):
        h = F.leaky_relu(self.bn1(self.c1(x)), 0.2)
        y = torch.cat([h, v[:, :, None, None].expand(-1, -1, h.shape[2], h.shape[3])], 1)
        z = self.c2(y) + h
        z = F.avg_pool2d(F.pixel_shuffle(z, 2), 2, 2)
        return torch.tanh(z)


class Wrap(nn.Module):
    """Holds named submodules and a forward function."""

    def __init__(self, fn, **mods):
        super().__init__()
        for k, m in mods.items():
            setattr(self, k, m)
        self.fn = fn

    def forward(self, *xs):
        return self.fn(self, *xs)


def matlab_bicubic_matrix(n_in, n_out):
    """the (n_out, n_in) matrix of MATLAB's bicubic resize along one axis (gen_resample_fixtures' reference)"""
    sys.path.insert(0, os.path.dirname(os.path.abspath(__file__)))
    from gen_resample_fixtures import contributions
    wts, ind = contributions(n_in, n_out)
    m = np.zeros((n_out, n_in))
    for o in range(n_out):
        for k in range(wts.shape[1]):
            m[o, int(ind[o, k])] += wts[o, k]
    return torch.tensor(m, dtype=torch.float64)


def bicubic_up(x, f):
    mh = matlab_bicubic_matrix(x.shape[2], x.shape[2] * f).to(x.dtype)
    mw = matlab_bicubic_matrix(x.shape[3], x.shape[3] * f).to(x.dtype)
    return torch.einsum("oh,nchw,pw->ncop", mh, x, mw)


def charcnn_fn(m, x):
    h = F.max_pool1d(F.relu(m.c(x)), 2).transpose(1, 2)
    h, _ = m.rnn(h)
    return m.fc(torch.stack([h[b, :L].mean(0) for b, L in enumerate([5, 2, 1])]))


def lstm_fn(m, x):
    return m.rnn(x)[0]


# key: (batch, train, [input shapes], module, away, integer_input). Modules are built here, so seed first.
torch.manual_seed(0)
CASES = {
    "linear": (3, True, [(7,)], Wrap(lambda m, x: m.l(x), l=nn.Linear(7, 5)), 0, False),
    "linear_seq": (2, True, [(3, 4)], Wrap(lambda m, x: m.l(x), l=nn.Linear(4, 5)), 0, False),
    "conv_a": (2, True, [(3, 7, 9)], Wrap(lambda m, x: m.c(x), c=nn.Conv2d(3, 4, 3, 2, 1, bias=True)), 0, False),
    "conv_b": (1, True, [(2, 5, 5)], Wrap(lambda m, x: m.c(x), c=nn.Conv2d(2, 3, (4, 2), 1, 0, bias=False)), 0, False),
    "conv_c": (3, True, [(3, 9, 7)], Wrap(lambda m, x: m.c(x), c=nn.Conv2d(3, 2, 4, 2, 1, bias=False)), 0, False),
    "conv_1x7": (2, True, [(2, 5, 8)], Wrap(lambda m, x: m.c(x), c=nn.Conv2d(2, 3, (1, 7), 1, (0, 3), bias=False)), 0,
                 False),
    "conv_7x1": (2, True, [(3, 9, 4)], Wrap(lambda m, x: m.c(x), c=nn.Conv2d(3, 2, (7, 1), 2, (3, 0), bias=True)), 0,
                 False),
    "convt_a": (2, True, [(3, 4, 5)], Wrap(lambda m, x: m.t(x), t=nn.ConvTranspose2d(3, 2, 4, 2, 1, 0, bias=True)), 0, False),
    "convt_b": (1, True, [(2, 3, 3)], Wrap(lambda m, x: m.t(x), t=nn.ConvTranspose2d(2, 3, 3, 2, 1, 1, bias=False)), 0, False),
    "convt_c": (3, True, [(5, 1, 1)], Wrap(lambda m, x: m.t(x), t=nn.ConvTranspose2d(5, 3, 4, 1, 0, bias=False)), 0, False),
    "bn2d_train": (3, True, [(3, 3, 5)], Wrap(lambda m, x: m.bn(x), bn=nn.BatchNorm2d(3)), 0, False),
    "bn2d_eval": (2, False, [(3, 3, 5)], Wrap(lambda m, x: m.bn(x), bn=nn.BatchNorm2d(3)), 0, False),
    "bn1d_train": (5, True, [(4,)], Wrap(lambda m, x: m.bn(x), bn=nn.BatchNorm1d(4)), 0, False),
    "bn1d_seq_train": (2, True, [(3, 7)], Wrap(lambda m, x: m.bn(x), bn=nn.BatchNorm1d(3)), 0, False),
    "relu": (2, True, [(2, 3, 3)], Wrap(lambda m, x: F.relu(x)), 0.05, False),
    "lrelu": (2, True, [(2, 3, 3)], Wrap(lambda m, x: F.leaky_relu(x, 0.2)), 0.05, False),
    "prelu1": (2, True, [(3, 2, 3)], Wrap(lambda m, x: m.p(x), p=nn.PReLU(1)), 0.05, False),
    "preluc": (2, True, [(3, 2, 3)], Wrap(lambda m, x: m.p(x), p=nn.PReLU(3)), 0.05, False),
    "tanh": (2, True, [(3, 5)], Wrap(lambda m, x: torch.tanh(x)), 0, False),
    "sigmoid": (2, True, [(9,)], Wrap(lambda m, x: torch.sigmoid(x)), 0, False),
    "dropout": (3, False, [(20,)], Wrap(lambda m, x: m.d(x), d=nn.Dropout(0.3)), 0, False),
    "maxout": (4, True, [(6,)], Wrap(lambda m, x: m.l(x).view(x.shape[0], 4, 3).max(-1)[0], l=nn.Linear(6, 12)), 0, False),
    "reshape": (2, True, [(3, 4, 5)], Wrap(lambda m, x: m.l(x.flatten(1)), l=nn.Linear(60, 3)), 0, False),
    "concat": (2, True, [(2, 3, 3), (3, 3, 3)], Wrap(lambda m, a, b: torch.cat([a, b], 1)), 0, False),
    "concat_bcast": (2, True, [(2, 3, 4), (5,)],
                     Wrap(lambda m, a, b: torch.cat([a, b[:, :, None, None].expand(-1, -1, 3, 4)], 1)), 0, False),
    "concat_vec": (3, True, [(4,), (2,)], Wrap(lambda m, a, b: torch.cat([a, b], 1)), 0, False),
    "add": (2, True, [(2, 3, 3), (2, 3, 3)], Wrap(lambda m, a, b: a + b), 0, False),
    "pshuffle": (2, True, [(8, 3, 2)], Wrap(lambda m, x: F.pixel_shuffle(x, 2)), 0, False),
    "up_near": (2, True, [(2, 3, 5)], Wrap(lambda m, x: F.interpolate(x, scale_factor=2, mode="nearest")), 0, False),
    "up_near3": (2, True, [(2, 3, 5)], Wrap(lambda m, x: F.interpolate(x, scale_factor=3, mode="nearest")), 0, False),
    "up_bic4": (2, True, [(2, 3, 5)], Wrap(lambda m, x: bicubic_up(x, 4)), 0, False),
    "up_bil2": (2, True, [(2, 3, 5)],
                Wrap(lambda m, x: F.interpolate(x, scale_factor=2, mode="bilinear", align_corners=False)), 0, False),
    "up_bil3": (1, True, [(1, 4, 3)],
                Wrap(lambda m, x: F.interpolate(x, scale_factor=3, mode="bilinear", align_corners=False)), 0, False),
    "pool2": (2, True, [(2, 5, 7)], Wrap(lambda m, x: F.avg_pool2d(x, 2, 2)), 0, False),
    "pool3": (1, True, [(2, 5, 4)], Wrap(lambda m, x: F.avg_pool2d(x, 3, 1)), 0, False),
    "pool3p": (2, True, [(2, 5, 4)], Wrap(lambda m, x: F.avg_pool2d(x, 3, 1, 1)), 0, False),
    "pool3px": (2, True, [(2, 6, 7)], Wrap(lambda m, x: F.avg_pool2d(x, 3, 2, 1, count_include_pad=False)), 0, False),
    "maxpool_k3s2": (2, True, [(2, 7, 9)], Wrap(lambda m, x: F.max_pool2d(x, 3, 2, 0)), 0, False),
    "maxpool_k3s2p1": (2, True, [(2, 6, 5)], Wrap(lambda m, x: F.max_pool2d(x, 3, 2, 1)), 0, False),
    "maxpool_k2s2": (1, True, [(3, 4, 6)], Wrap(lambda m, x: F.max_pool2d(x, 2, 2, 0)), 0, False),
    "embed": (3, True, [(5,)], Wrap(lambda m, x: m.emb(x), emb=nn.Embedding(10, 4)), 0, True),
    "lstm": (2, True, [(4, 3)], Wrap(lstm_fn, rnn=nn.LSTM(3, 5, batch_first=True)), 0, False),
    "lstm_t1": (1, True, [(1, 3)], Wrap(lstm_fn, rnn=nn.LSTM(3, 5, batch_first=True)), 0, False),
    "graph": (2, True, [(2, 6, 6), (3,)], Graph(), 0, False),
}
# Cases added later, each from its own generator, so adding one leaves every other fixture's bytes as they were.
LATE_CASES = {
    # more than 4 output channels: the im2col + GEMM path (conv_a..conv_7x1 have <= 4: the direct path)
    "conv_d": (2, True, [(5, 6, 7)], Wrap(lambda m, x: m.c(x), c=nn.Conv2d(5, 6, 3, 1, 1, bias=True)), 0, False),
    # the text encoder's layers: a per-sample transpose and the mean over each sample's valid steps
    "transpose": (2, True, [(3, 5)], Wrap(lambda m, x: x.transpose(1, 2)), 0, False),
    "mean_time": (3, True, [(5, 4)], Wrap(lambda m, x: torch.stack([x[b, :L].mean(0) for b, L in enumerate([5, 2, 1])])),
                  0, False),
    "mean_time_all": (2, True, [(3, 4)], Wrap(lambda m, x: x.mean(1)), 0, False),
    "conv1d": (2, True, [(3, 9)], Wrap(lambda m, x: m.c(x), c=nn.Conv1d(3, 4, 3, 2, 1)), 0, False),
    "charcnn": (3, True, [(3, 10)], Wrap(charcnn_fn, c=nn.Conv1d(3, 4, 3, 1, 1), rnn=nn.LSTM(4, 5, batch_first=True),
                                         fc=nn.Linear(5, 2)), 0.05, False),
}


def layer_fixture(key, spec, gen):
    batch, train, shapes, mod, away, int_input = spec
    with torch.no_grad():
        for name, p in mod.named_parameters():
            p.add_(0.3 * torch.randn(p.shape, generator=gen))
        if key == "bn2d_eval":  # same values as prep_bn_eval in tests/layer_cases.c
            c = torch.arange(3, dtype=torch.float32)
            mod.bn.running_mean.copy_(0.1 * c - 0.2)
            mod.bn.running_var.copy_(0.5 + 0.3 * c)
    mod.train(train)
    state = {k: v.clone() for k, v in mod.state_dict().items()}
    xs = []
    for s in shapes:
        if int_input:
            x = torch.tensor([[float((i * 7 + 3) % 10) for i in range(b * s[0], (b + 1) * s[0])] for b in range(batch)])
            xs.append(x)
        else:
            x = torch.randn((batch,) + s, generator=gen)
            if away:
                x = x + away * torch.sign(x)
            xs.append(x.requires_grad_(True))
    y = mod(*[x.long() if int_input else x for x in xs])
    dy = torch.randn(y.shape, generator=gen)
    y.backward(dy)
    t = {}
    for i, x in enumerate(xs):
        t[f"in.x{i}"] = x.detach()
    t["dy"] = dy
    for k, v in state.items():
        t[f"param.{k}"] = v
    t["out.y"] = y.detach()
    for i, x in enumerate(xs):
        if not int_input:
            t[f"grad.x{i}"] = x.grad
    for name, p in mod.named_parameters():
        t[f"grad.{name}"] = p.grad
    for k, v in mod.state_dict().items():
        if "running" in k or "num_batches" in k:
            t[f"after.{k}"] = v
    save_st(os.path.join(OUT, f"layer_{key}.safetensors"), t, {"torch": torch.__version__, "train": int(train)})


# ---------------------------------------------------------------- optimizers
def optim_fixture(gen):
    """10 parameters (a Linear(5,2) weight), 3 steps with given gradients, for each optimizer setting."""
    p0 = torch.randn(2, 5, generator=gen)
    grads = [torch.randn(2, 5, generator=gen) for _ in range(3)]
    settings = {
        "adam": lambda p: torch.optim.Adam([p], lr=0.01, betas=(0.5, 0.999)),
        "adam_wd": lambda p: torch.optim.Adam([p], lr=0.01, betas=(0.9, 0.99), weight_decay=0.1),
        "adamw": lambda p: torch.optim.AdamW([p], lr=0.01, betas=(0.9, 0.999), weight_decay=0.1),
        "sgd": lambda p: torch.optim.SGD([p], lr=0.1),
        "sgd_mom": lambda p: torch.optim.SGD([p], lr=0.1, momentum=0.9, dampening=0.1, weight_decay=0.01),
        "sgd_nesterov": lambda p: torch.optim.SGD([p], lr=0.1, momentum=0.9, nesterov=True),
    }
    t = {"p0": p0}
    for i, g in enumerate(grads):
        t[f"g{i}"] = g
    for name, mk in settings.items():
        p = p0.clone().requires_grad_(True)
        opt = mk(p)
        for i, g in enumerate(grads):
            p.grad = g.clone()
            opt.step()
            t[f"{name}.step{i}"] = p.detach().clone()
    save_st(os.path.join(OUT, "optim.safetensors"), t, {"torch": torch.__version__})


def image_fixtures():
    """Small PNG/JPEG files in the layouts real image folders hold: palette (with transparency), RGBA, grey+alpha,
    16-bit grey, RGB JPEG, grey JPEG. The expected decoded pixels are stored next to them as .npy-free raw bytes in
    images.safetensors (U8, HWC after ganc's expansion rules)."""
    from PIL import Image
    rgba = np.zeros((5, 7, 4), np.uint8)
    for y in range(5):
        for x in range(7):
            rgba[y, x] = (x * 36, y * 60, (x * y * 13) % 256, 255 if (x + y) % 3 else 64)
    t = {}
    Image.fromarray(rgba, "RGBA").save(os.path.join(OUT, "img_rgba.png"))
    t["img_rgba.png"] = rgba
    pal = Image.fromarray(rgba[:, :, :3], "RGB").quantize(colors=8, dither=Image.Dither.NONE)
    pal.info["transparency"] = 0
    pal.save(os.path.join(OUT, "img_palette.png"), transparency=0)
    t["img_palette.png"] = np.array(Image.open(os.path.join(OUT, "img_palette.png")).convert("RGBA"))
    la = np.stack([rgba[:, :, 0], rgba[:, :, 3]], -1)
    Image.fromarray(la, "LA").save(os.path.join(OUT, "img_grey_alpha.png"))
    t["img_grey_alpha.png"] = np.stack([la[:, :, 0]] * 3 + [la[:, :, 1]], -1)
    g16 = (np.arange(35, dtype=np.uint16).reshape(5, 7) * 1800)
    Image.fromarray(g16.astype(np.int32), "I").convert("I;16").save(os.path.join(OUT, "img_grey16.png"))
    t["img_grey16.png"] = (g16 >> 8).astype(np.uint8)[:, :, None]
    Image.fromarray(rgba[:, :, :3], "RGB").save(os.path.join(OUT, "img_rgb.jpg"), quality=95)
    t["img_rgb.jpg"] = np.array(Image.open(os.path.join(OUT, "img_rgb.jpg")).convert("RGB"))
    Image.fromarray(rgba[:, :, 1], "L").save(os.path.join(OUT, "img_grey.jpg"), quality=95)
    t["img_grey.jpg"] = np.array(Image.open(os.path.join(OUT, "img_grey.jpg")))[:, :, None]
    save_st(os.path.join(OUT, "images.safetensors"), t)


def main():
    os.makedirs(OUT, exist_ok=True)
    image_fixtures()
    torch.manual_seed(0)
    torch.set_num_threads(1)
    gen = torch.Generator().manual_seed(1234)
    for key, spec in CASES.items():
        layer_fixture(key, spec, gen)
    optim_fixture(gen)
    for i, (key, spec) in enumerate(LATE_CASES.items()):
        layer_fixture(key, spec, torch.Generator().manual_seed(5000 + i))
    try:
        import gen_dcgan_fixtures  # noqa: F401  (DCGAN weight/sample fixtures, when present)
        gen_dcgan_fixtures.main(OUT, save_st, load_st)
    except ImportError:
        pass
    import gen_gan_fixtures  # GAN training-loop fixtures (needs `test_gan --write-fixtures` first)
    gen_gan_fixtures.main(OUT)
    print("fixtures written to", os.path.abspath(OUT))


if __name__ == "__main__":
    main()
