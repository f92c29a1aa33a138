#!/usr/bin/env python3
"""PyTorch reference for bench/bench_cuda.sh: pytorch/examples' DCGAN training iteration (torch_dcgan.py's) on the
GPU, for every SIZE:BATCH given, in two modes: "fp32" (TF32 off for cuDNN and matmul: the arithmetic ganc uses by
default) and "default" (PyTorch's defaults: cuDNN may use TF32). cudnn.benchmark on, as pytorch/examples sets it.
Each configuration: 10 warm-up iterations, then the median of ITERS, each ended by torch.cuda.synchronize().
Usage: torch_dcgan_gpu.py ITERS SIZE:BATCH...   prints per line: size batch mode ms_per_iter img_per_s"""
import sys

import torch

from torch_dcgan import make_step, median_ms

iters = int(sys.argv[1])
torch.backends.cudnn.benchmark = True
print(f"# torch {torch.__version__}, cuDNN {torch.backends.cudnn.version()}, {torch.cuda.get_device_name(0)}")
for spec in sys.argv[2:]:
    size, B = (int(v) for v in spec.split(":"))
    for mode in ("fp32", "default"):
        torch.backends.cudnn.allow_tf32 = mode == "default"
        torch.backends.cuda.matmul.allow_tf32 = False  # PyTorch's default for matmul
        _, step = make_step(size, 3, B, "cuda")
        ms = median_ms(step, 10, iters)
        print(f"{size} {B} {mode} {ms:.3f} {B / ms * 1000:.0f}", flush=True)
