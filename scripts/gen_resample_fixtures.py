"""Resampling fixtures (tests/fixtures/resample.safetensors) for src/image/resample.c, from independent references:

  MATLAB's imresize(..., 'bicubic') (antialiasing on, its default): re-implemented below in numpy from the published
  algorithm of imresize.m (contributions(): Keys' cubic a=-0.5, kernel widened by 1/scale when shrinking, centres
  u = x/scale + 0.5*(1 - 1/scale) on 1-based x, 'symmetric' mirrored indices, rows of weights normalised to 1),
  applied in float64 along H then W. MATLAB itself is not available here; this is a second implementation written
  from the same description, vectorised and in another order, not a port of the C code.
  PIL's BICUBIC on float ('F') images: the same kernel and centres, but edges clipped and renormalised instead of
  mirrored, so it agrees with MATLAB's inside the image and differs near the borders (the C test checks both).
  PIL's BILINEAR on 'F' images: the antialiased triangle (GANC_RESAMPLE_TRIANGLE, what datasets use).
  PyTorch's F.interpolate bilinear (align_corners=False) and nearest: GANC_RESAMPLE_BILINEAR / NEAREST.
  The pyramid reduce: [1 3 3 1]/8 with mirrored edges, in numpy.

Also prints how far PIL's bicubic is from MATLAB's on a photograph (skimage's astronaut, grey, x1/4), for the docs.
Usage: /usr/bin/python3 scripts/gen_resample_fixtures.py [DIR]   (needs python3-torch, python3-pil; python3-skimage
for the printed comparison only)
"""
import math
import os
import sys

import numpy as np
import torch
import torch.nn.functional as F
from PIL import Image

sys.path.insert(0, os.path.dirname(__file__))
from gen_fixtures import save_st  # noqa: E402


def cubic(x):
    a = np.abs(x)
    a2, a3 = a * a, a * a * a
    return (1.5 * a3 - 2.5 * a2 + 1) * (a <= 1) + (-0.5 * a3 + 2.5 * a2 - 4 * a + 2) * ((a > 1) & (a <= 2))


def contributions(in_len, out_len):
    scale = out_len / in_len
    kw = 4.0
    if scale < 1:
        h = lambda x: scale * cubic(scale * x)  # noqa: E731
        kw = kw / scale
    else:
        h = cubic
    x = np.arange(1, out_len + 1, dtype=np.float64)
    u = x / scale + 0.5 * (1 - 1 / scale)
    left = np.floor(u - kw / 2)
    P = int(math.ceil(kw)) + 2
    ind = left[:, None] + np.arange(P)[None, :]
    wts = h(u[:, None] - ind)
    wts = wts / wts.sum(1, keepdims=True)
    aux = np.concatenate([np.arange(1, in_len + 1), np.arange(in_len, 0, -1)])
    ind = aux[np.mod(ind - 1, len(aux)).astype(int)] - 1
    return wts, ind


def imresize_matlab(x, oh, ow):
    """x (c,h,w) float64 -> (c,oh,ow), along H first, then W"""
    wh, ih = contributions(x.shape[1], oh)
    y = np.einsum("ok,cokw->cow", wh, x[:, ih, :])
    ww, iw = contributions(x.shape[2], ow)
    return np.einsum("ok,chok->cho", ww, y[:, :, iw])


def pil(x, oh, ow, flt):
    return np.stack([np.asarray(Image.fromarray(p.astype(np.float32), mode="F").resize((ow, oh), flt)) for p in x])


def pyr_down(x):
    def along(a, axis):
        n = a.shape[axis]
        idx = np.arange(n // 2)[:, None] * 2 + np.arange(-1, 3)[None, :]
        m = np.mod(idx, 2 * n)
        idx = np.where(m < n, m, 2 * n - 1 - m)
        w = np.array([1, 3, 3, 1]) / 8.0
        t = np.take(a, idx, axis=axis)  # (..., n/2, 4, ...)
        return np.tensordot(t, w, axes=([axis + 1], [0])) if axis == 2 else np.moveaxis(
            np.tensordot(np.moveaxis(t, (axis, axis + 1), (-2, -1)), w, axes=([-1], [0])), -1, axis)
    return along(along(x, 2), 1)


def main():
    out = sys.argv[1] if len(sys.argv) > 1 else os.path.join(os.path.dirname(__file__), "..", "tests", "fixtures")
    rng = np.random.default_rng(7)
    x = rng.uniform(-1, 1, (3, 17, 23))
    yy, xx = np.mgrid[0:48, 0:64]
    smooth = np.stack([np.sin(yy / 5.0) * np.cos(xx / 7.0), (yy + xx) / 112.0 - 0.5, np.cos((yy - xx) / 9.0)])
    t = {"x": x.astype(np.float32), "smooth": smooth.astype(np.float32)}
    t["bicubic_down"] = imresize_matlab(x, 5, 7).astype(np.float32)        # shrink ~1/3.3: antialiased
    t["bicubic_up"] = imresize_matlab(x, 40, 50).astype(np.float32)        # enlarge, non-integer
    t["bicubic_x4"] = imresize_matlab(smooth, 12, 16).astype(np.float32)   # the SR degradation, x1/4
    t["pil_bicubic_x4"] = pil(smooth, 12, 16, Image.BICUBIC)
    t["pil_bilinear_down"] = pil(x, 5, 7, Image.BILINEAR)                  # antialiased triangle
    xt = torch.tensor(x[None], dtype=torch.float32)
    t["torch_bilinear"] = F.interpolate(xt, size=(40, 50), mode="bilinear", align_corners=False)[0].numpy()
    t["torch_nearest"] = F.interpolate(xt, size=(40, 50), mode="nearest")[0].numpy()
    t["pyr_down"] = pyr_down(smooth).astype(np.float32)
    save_st(os.path.join(out, "resample.safetensors"), t)
    print("wrote", os.path.join(out, "resample.safetensors"))
    report_pil()


def report_pil():
    try:
        from skimage import data
    except ImportError:
        print("(python3-skimage missing: no PIL-vs-MATLAB report)")
        return
    img = data.astronaut().astype(np.float64) @ np.array([0.299, 0.587, 0.114])  # grey, 0..255
    h, w = img.shape
    m = imresize_matlab(img[None], h // 4, w // 4)[0]
    p = pil(img[None], h // 4, w // 4, Image.BICUBIC)[0]
    d = np.abs(m - p)
    b = 3  # output pixels whose kernel (support 8 input px at x1/4) reaches past the edge
    inner = d[b:-b, b:-b]
    print(f"PIL BICUBIC vs MATLAB bicubic, astronaut grey {h}x{w} -> {h // 4}x{w // 4} (0..255): "
          f"max |diff| {d.max():.4f}, mean {d.mean():.5f}; interior (>= {b} px from the edge) max {inner.max():.2e}; "
          f"border max {d.max():.4f}; PSNR between them {10 * np.log10(255 ** 2 / np.mean(d ** 2)):.1f} dB")


if __name__ == "__main__":
    main()
