"""Text-encoder fixtures for tests/test_textenc.c: PyTorch's version of ganc's char-CNN-RNN, image encoder and
symmetric structured joint-embedding hinge (src/models/textenc.c; the modules here define the parameter names).
textenc.safetensors: a small text encoder (conv 8, hidden 6, dim 5) on three captions and a small image encoder
(width 2, 64x64 input) on three images: text.* / image.* parameters, their outputs, upstream gradients dy_*, and the
parameter (and image) gradients; sje.*: the hinge and its gradients for those embeddings.
Usage: python3 scripts/gen_textenc_fixtures.py [DIR]
"""
import os
import sys

import torch
import torch.nn as nn
import torch.nn.functional as F

sys.path.insert(0, os.path.dirname(__file__))
from gen_fixtures import save_st  # noqa: E402

ALPHABET = " abcdefghijklmnopqrstuvwxyz0123456789,.:;'&()#*+-!?/"  # index k+1; 0 pads (as src/data/emoji.c)
T = 64
CAPTIONS = ["red heart", "Smiling face with SUNGLASSES, cool, face", "flag: é  côte d'ivoire!"]


def encode(s):
    """ganc_text_encode: lowercase, others (a UTF-8 character counts once) -> space, collapse, trim, cut at 64"""
    out, space = [], True
    for ch in s:
        if len(out) >= T:
            break
        c = ch.lower() if "A" <= ch <= "Z" else ch
        code = ALPHABET.index(c) + 1 if c in ALPHABET and c != "" else 1
        if code == 1 and space:
            continue
        space = code == 1
        out.append(code)
    while out and out[-1] == 1:
        out.pop()
    return out


class TextEnc(nn.Module):
    def __init__(self, conv, hidden, dim):
        super().__init__()
        a = len(ALPHABET) + 1
        self.conv1, self.conv2 = nn.Conv1d(a, conv, 3, 1, 1), nn.Conv1d(conv, conv, 3, 1, 1)
        self.rnn = nn.LSTM(conv, hidden, batch_first=True)
        self.fc = nn.Linear(hidden, dim)

    def forward(self, onehot, steps):
        h = F.max_pool1d(F.relu(self.conv1(onehot)), 2)
        h = F.max_pool1d(F.relu(self.conv2(h)), 2).transpose(1, 2)
        h, _ = self.rnn(h)
        return self.fc(torch.stack([h[b, :L].mean(0) for b, L in enumerate(steps)]))


class ImgEnc(nn.Module):
    def __init__(self, w, dim, size):
        super().__init__()
        self.k = size // 32
        self.conv1, self.conv2, self.conv3 = nn.Conv2d(3, w, 4, 2, 1), nn.Conv2d(w, 2 * w, 4, 2, 1), nn.Conv2d(2 * w, 4 * w, 4, 2, 1)
        self.fc = nn.Linear(4 * w * 16, dim)

    def forward(self, x):
        h = F.avg_pool2d(x, self.k) if self.k > 1 else x
        for c in (self.conv1, self.conv2, self.conv3):
            h = F.leaky_relu(c(h), 0.2)
        return self.fc(h.flatten(1))


def sje(img, txt):
    s = img @ txt.t()  # S_ij = img_i . txt_j
    d = s.diag()
    n = s.shape[0]
    off = 1 - torch.eye(n)
    a = (F.relu(1 + s - d[:, None]) * off).sum()  # image i, text j
    b = (F.relu(1 + s.t() - d[:, None]) * off).sum()  # text i, image j
    return (a + b) / n


def main():
    out = sys.argv[1] if len(sys.argv) > 1 else os.path.join(os.path.dirname(__file__), "..", "tests", "fixtures")
    torch.manual_seed(7)
    g = torch.Generator().manual_seed(7)
    te, ie = TextEnc(8, 6, 5), ImgEnc(2, 5, 64)
    with torch.no_grad():
        for p in list(te.parameters()) + list(ie.parameters()):
            p.add_(0.2 * torch.randn(p.shape, generator=g))
    t = {}
    for k, v in te.state_dict().items():
        t["text." + k] = v.clone()
    for k, v in ie.state_dict().items():
        t["image." + k] = v.clone()
    codes = [encode(c) for c in CAPTIONS]
    onehot = torch.zeros(len(codes), len(ALPHABET) + 1, T)
    for i, c in enumerate(codes):
        for j, k in enumerate(c):
            onehot[i, k, j] = 1
    steps = [(len(c) + 3) // 4 for c in codes]
    x = torch.randn(3, 3, 64, 64, generator=g).clamp(-1, 1).requires_grad_(True)
    yt, yi = te(onehot, steps), ie(x)
    dyt, dyi = torch.randn(yt.shape, generator=g), torch.randn(yi.shape, generator=g)
    (yt * dyt).sum().backward()
    (yi * dyi).sum().backward()
    t["text.out"], t["text.dy"], t["image.in"], t["image.out"], t["image.dy"] = yt.detach(), dyt, x.detach(), yi.detach(), dyi
    t["image.grad_in"] = x.grad
    t["text.codes"] = torch.tensor([c + [0] * (T - len(c)) for c in codes], dtype=torch.float32)
    for k, p in te.named_parameters():
        t["text.grad." + k] = p.grad
    for k, p in ie.named_parameters():
        t["image.grad." + k] = p.grad
    ei = (yi.detach() * 0.5).requires_grad_(True)
    et = (yt.detach() * 0.5).requires_grad_(True)
    loss = sje(ei, et)
    loss.backward()
    t["sje.img"], t["sje.txt"], t["sje.loss"] = ei.detach(), et.detach(), loss.detach().reshape(1)
    t["sje.grad_img"], t["sje.grad_txt"] = ei.grad, et.grad
    save_st(os.path.join(out, "textenc.safetensors"), t, {"torch": torch.__version__, "captions": "\n".join(CAPTIONS)})
    print("wrote", os.path.join(out, "textenc.safetensors"), "steps", steps, "codes", [len(c) for c in codes])


if __name__ == "__main__":
    main()
