#!/usr/bin/env python3
"""Independent reference values for ganc's metrics (tests/fixtures/metrics.safetensors), computed with numpy,
scipy (FID's sqrtm, as pytorch-fid) and scikit-image (PSNR/SSIM). Run with Debian's python3 (python3-scipy,
python3-skimage):  /usr/bin/python3 scripts/gen_metrics_fixtures.py"""
import os
import sys

import numpy as np
from scipy import linalg
from skimage.color import rgb2ycbcr
from skimage.metrics import peak_signal_noise_ratio, structural_similarity

sys.path.insert(0, os.path.dirname(__file__))
from gen_fixtures import OUT, save_st  # noqa: E402

rng = np.random.default_rng(7)


def fid_pytorch_fid(f1, f2):
    """pytorch-fid's calculate_frechet_distance (scipy sqrtm with its eps fallback)."""
    mu1, mu2 = f1.mean(0), f2.mean(0)
    s1, s2 = np.cov(f1, rowvar=False), np.cov(f2, rowvar=False)
    diff = mu1 - mu2
    covmean, _ = linalg.sqrtm(s1.dot(s2), disp=False)
    if not np.isfinite(covmean).all():
        off = np.eye(s1.shape[0]) * 1e-6
        covmean = linalg.sqrtm((s1 + off).dot(s2 + off))
    if np.iscomplexobj(covmean):
        covmean = covmean.real
    return diff.dot(diff) + np.trace(s1) + np.trace(s2) - 2 * np.trace(covmean)


def fid_eig(f1, f2):
    """The same quantity through symmetric eigen-decompositions (exact for singular covariances)."""
    mu1, mu2 = f1.mean(0), f2.mean(0)
    s1, s2 = np.cov(f1, rowvar=False), np.cov(f2, rowvar=False)
    w, v = np.linalg.eigh(s1)
    r = (v * np.sqrt(np.clip(w, 0, None))) @ v.T
    m = r @ s2 @ r
    ev = np.linalg.eigvalsh((m + m.T) / 2)
    return (mu1 - mu2) @ (mu1 - mu2) + np.trace(s1) + np.trace(s2) - 2 * np.sqrt(np.clip(ev, 0, None)).sum()


def mmd_poly(x, y):
    d = x.shape[1]
    k = lambda a, b: (a @ b.T / d + 1) ** 3  # noqa: E731
    m = x.shape[0]
    kxx, kyy, kxy = k(x, x), k(y, y), k(x, y)
    return ((kxx.sum() - np.trace(kxx)) + (kyy.sum() - np.trace(kyy))) / (m * (m - 1)) - 2 * kxy.sum() / (m * m)


def prdc_pr(real, fake, k):
    def d2(a, b):
        return ((a[:, None, :] - b[None, :, :]) ** 2).sum(-1)
    rr = np.sort(d2(real, real), axis=1)[:, k]  # k-th neighbour, self at index 0
    rf = np.sort(d2(fake, fake), axis=1)[:, k]
    drf = d2(real, fake)
    precision = (drf <= rr[:, None]).any(axis=0).mean()
    recall = (drf <= rf[None, :]).any(axis=1).mean()
    return precision, recall


def inception_score(p, splits):
    scores = []
    for part in np.array_split(p, splits):
        py = part.mean(0, keepdims=True)
        scores.append(np.exp((part * (np.log(part) - np.log(py))).sum(1).mean()))
    return np.mean(scores), np.std(scores)


def parzen(gen, test, sigma):
    d = gen.shape[1]
    a = -((test[:, None, :] - gen[None, :, :]) ** 2).sum(-1) / (2 * sigma ** 2)
    mx = a.max(1, keepdims=True)
    ll = mx[:, 0] + np.log(np.exp(a - mx).sum(1)) - np.log(gen.shape[0]) - d / 2 * np.log(2 * np.pi * sigma ** 2)
    return ll.mean(), ll.std(ddof=1) / np.sqrt(len(ll))


def main():
    t = {}
    # features with structure: a few latent factors plus noise
    base = rng.normal(size=(8, 64))
    f1 = (rng.normal(size=(200, 8)) @ base + 0.3 * rng.normal(size=(200, 64))).astype(np.float32)
    f2 = (rng.normal(size=(150, 8)) @ base * 1.2 + 0.5 + 0.4 * rng.normal(size=(150, 64))).astype(np.float32)
    f3 = (rng.normal(size=(40, 64))).astype(np.float32)  # n < d: singular covariance
    f4 = (rng.normal(size=(50, 64)) * 0.8 + 0.2).astype(np.float32)
    t.update(f1=f1, f2=f2, f3=f3, f4=f4)
    f1d, f2d, f3d, f4d = (x.astype(np.float64) for x in (f1, f2, f3, f4))
    t["fid12_scipy"] = np.array([fid_pytorch_fid(f1d, f2d)])
    t["fid34_scipy"] = np.array([fid_pytorch_fid(f3d, f4d)])
    t["fid34_eigh"] = np.array([fid_eig(f3d, f4d)])
    t["kid12_full"] = np.array([mmd_poly(f1d[:150], f2d)])
    p, r = prdc_pr(f1d, f2d, 3)
    t["pr12"] = np.array([p, r])
    probs = rng.dirichlet(np.full(10, 0.3), size=100).astype(np.float32)
    t["probs"] = probs
    t["is_5"] = np.array(inception_score(probs.astype(np.float64), 5))
    gen = rng.uniform(size=(300, 20)).astype(np.float32)
    test = rng.uniform(size=(50, 20)).astype(np.float32)
    t.update(parzen_gen=gen, parzen_test=test)
    t["parzen_0.3"] = np.array(parzen(gen.astype(np.float64), test.astype(np.float64), 0.3))
    # two RGB images: smooth content plus noise
    yy, xx = np.mgrid[0:40, 0:48]
    img = np.stack([128 + 100 * np.sin(xx / 7.0), 128 + 90 * np.cos(yy / 5.0), 64 + 60 * np.sin((xx + yy) / 9.0)], -1)
    a = np.clip(img, 0, 255).astype(np.uint8)
    b = np.clip(img + rng.normal(scale=12, size=img.shape), 0, 255).astype(np.uint8)
    t.update(img_a=a, img_b=b)
    ya, yb = rgb2ycbcr(a)[4:-4, 4:-4, 0], rgb2ycbcr(b)[4:-4, 4:-4, 0]
    t["psnr_y4"] = np.array([peak_signal_noise_ratio(ya, yb, data_range=255)])
    t["ssim_y4"] = np.array([structural_similarity(ya, yb, gaussian_weights=True, sigma=1.5,
                                                   use_sample_covariance=False, data_range=255)])
    ca, cb = a[4:-4, 4:-4].astype(np.float64), b[4:-4, 4:-4].astype(np.float64)
    t["psnr_rgb4"] = np.array([peak_signal_noise_ratio(ca, cb, data_range=255)])
    t["ssim_rgb4"] = np.array([structural_similarity(ca, cb, gaussian_weights=True, sigma=1.5, channel_axis=-1,
                                                     use_sample_covariance=False, data_range=255)])
    save_st(os.path.join(OUT, "metrics.safetensors"), t)
    for k in sorted(t):
        if t[k].size <= 2:
            print(k, t[k])


if __name__ == "__main__":
    main()
