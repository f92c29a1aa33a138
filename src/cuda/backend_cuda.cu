/* The CUDA backend: the op table of graph.h on an NVIDIA GPU.

   Memory: every block of a network (parameters, gradients, buffers, activations, saved state, scratch, the optimizer's
   moments) is CUDA managed memory, so the pointers the library hands out stay valid for the host (the accessors call
   sync() first) and checkpoints are written from the same blocks on both devices. In a training step the host sends
   the data batch, the latent vectors and dropout masks (copied in), and reads back the loss values and the few logits
   behind D's mean output; the rest never leaves the GPU.

   Compute: matrix products through cuBLAS (FP32; GANC_CUDA_TF32=1 lets cuBLAS use TF32 tensor cores), convolutions as
   im2col + one GEMM per batch chunk (the CPU path's layout), own kernels for everything else. Every reduction
   (bias and BatchNorm sums, PReLU weight gradients, broadcast-concat gradients) is a fixed tree in one block, and
   col2im / pooling backward gather instead of scattering with atomics, so a run repeats bit for bit on one GPU.
   Every layer kind has its kernels here; dropout's masks are drawn on the host from the network's generator (the
   CPU's draws, so a checkpoint resumes the same stream on either device) and copied in like a data batch; the losses
   (BCE on logits, MSE, L1) run on the GPU and return one number. */
#include <cublas_v2.h>
#include <cuda_runtime.h>
#include <math.h>
#include <stdio.h>
#include <stdlib.h>
#include <string.h>
extern "C" {
#include "nn/graph.h"
#include "image/resample.h"
#include "nn/nn.h"
}

/* ---- errors: the first CUDA/cuBLAS failure is kept and reported by the next forward */
static int dev_failed;
static char dev_msg[256];
static void ck(cudaError_t e, const char *what) {
    if (e != cudaSuccess && !dev_failed) {
        dev_failed = 1;
        snprintf(dev_msg, sizeof dev_msg, "%s: %s", what, cudaGetErrorString(e));
    }
}
static void ckb(cublasStatus_t s, const char *what) {
    if (s != CUBLAS_STATUS_SUCCESS && !dev_failed) {
        dev_failed = 1;
        snprintf(dev_msg, sizeof dev_msg, "%s: cuBLAS status %d", what, (int)s);
    }
}
static int dev_status(const ganc_net_t *net, const node_t *n) {
    if (!dev_failed) return GANC_OK;
    return ganc_fail(GANC_EIO, "%s: %s: CUDA error: %s", net->name, n->name, dev_msg);
}

static cublasHandle_t blas;
static int *d_flag;      /* finite(): a device flag */
static float *d_stage;   /* axpy(): host operands are staged here */
static size_t n_stage;

#define TPB 256
static unsigned grid_for(size_t n) {
    size_t b = (n + TPB - 1) / TPB;
    return (unsigned)(b < 1 ? 1 : b > 65535 ? 65535 : b);
}
#define LAUNCH(k, n, ...)                                                                                              \
    do {                                                                                                               \
        k<<<grid_for(n), TPB>>>(__VA_ARGS__);                                                                          \
        ck(cudaGetLastError(), #k);                                                                                    \
    } while (0)
#define LAUNCH_BLOCKS(k, blocks, ...) LAUNCH_BT(k, blocks, TPB, __VA_ARGS__)
#define LAUNCH_BT(k, blocks, threads, ...)                                                                             \
    do {                                                                                                               \
        k<<<(unsigned)(blocks), (unsigned)(threads)>>>(__VA_ARGS__);                                                   \
        ck(cudaGetLastError(), #k);                                                                                    \
    } while (0)
/* threads for a one-block-per-channel reduction over cnt elements: more where the channels are few and long */
static int red_threads(size_t cnt) { return cnt >= 16384 ? 1024 : TPB; }
#define LOOP(i, n) for (size_t i = blockIdx.x * (size_t)blockDim.x + threadIdx.x; i < (n); i += (size_t)blockDim.x * gridDim.x)

/* one block's sum, in a fixed order for a fixed block size (a power of 2, at most 1024) */
__device__ double block_sum(double v) {
    __shared__ double sh[1024];
    sh[threadIdx.x] = v;
    __syncthreads();
    for (int s = blockDim.x / 2; s > 0; s >>= 1) {
        if ((int)threadIdx.x < s) sh[threadIdx.x] += sh[threadIdx.x + s];
        __syncthreads();
    }
    double r = sh[0];
    __syncthreads();
    return r;
}

/* ---- whole-block operations */
__global__ void k_axpy(float *y, const float *x, float a, size_t n) { LOOP(i, n) y[i] += a * x[i]; }
__global__ void k_finite(const float *x, size_t n, int *bad) {
    LOOP(i, n) if (!isfinite(x[i])) *bad = 1;
}
__global__ void k_adam(float *p, const float *g, float *m, float *v, size_t n, float b1, float b2, float eps,
                       float step_size, float bc2s, float decay, float l2) {
    LOOP(i, n) {
        float pi = p[i] * decay, gi = g[i] + l2 * pi;
        m[i] = b1 * m[i] + (1.0f - b1) * gi;
        v[i] = b2 * v[i] + (1.0f - b2) * gi * gi;
        p[i] = pi - step_size * m[i] / (sqrtf(v[i]) / bc2s + eps);
    }
}
__global__ void k_sgd(float *p, const float *g, float *buf, size_t n, float lr, float wd, float mom, float damp,
                      int nesterov, int first) {
    LOOP(i, n) {
        float d = g[i] + wd * p[i];
        if (mom != 0.0f) {
            buf[i] = first ? d : mom * buf[i] + (1.0f - damp) * d;
            d = nesterov ? d + mom * buf[i] : buf[i];
        }
        p[i] -= lr * d;
    }
}

static void *cu_alloc(size_t bytes) {
    void *p = NULL;
    if (bytes == 0) bytes = 4;
    if (cudaMallocManaged(&p, bytes, cudaMemAttachGlobal) != cudaSuccess) return NULL;
    ck(cudaMemset(p, 0, bytes), "cudaMemset");
    ck(cudaDeviceSynchronize(), "alloc");
    return p;
}
static void cu_release(void *p) {
    if (p) cudaFree(p);
}
static void cu_sync(void) { ck(cudaDeviceSynchronize(), "cudaDeviceSynchronize"); }
static void cu_zero(float *p, size_t n) {
    if (n) ck(cudaMemsetAsync(p, 0, n * sizeof(float), 0), "cudaMemsetAsync");
}
static void cu_copy(float *dst, const float *src, size_t n) {
    if (n && dst != src) ck(cudaMemcpyAsync(dst, src, n * sizeof(float), cudaMemcpyDefault, 0), "cudaMemcpyAsync");
}
static int host_only(const void *p) {
    cudaPointerAttributes a;
    if (cudaPointerGetAttributes(&a, p) != cudaSuccess) { cudaGetLastError(); return 1; }
    return a.type == cudaMemoryTypeUnregistered || a.type == cudaMemoryTypeHost;
}
/* a caller's plain host array of n floats, copied to a device buffer (reused; valid until the next call) */
static const float *stage(const float *x, size_t n) {
    if (n > n_stage) {
        cudaFree(d_stage);
        d_stage = NULL;
        n_stage = 0;
        ck(cudaMalloc((void **)&d_stage, n * sizeof(float)), "cudaMalloc");
        if (!d_stage) return NULL;
        n_stage = n;
    }
    ck(cudaMemcpy(d_stage, x, n * sizeof(float), cudaMemcpyHostToDevice), "cudaMemcpy");
    return d_stage;
}
static void cu_axpy(float *y, const float *x, float a, size_t n) {
    if (!n) return;
    if (host_only(x) && !(x = stage(x, n))) return;
    LAUNCH(k_axpy, n, y, x, a, n);
}
static int cu_finite(const float *x, size_t n) {
    int bad = 0;
    if (!n) return 1;
    ck(cudaMemsetAsync(d_flag, 0, sizeof(int), 0), "cudaMemsetAsync");
    LAUNCH(k_finite, n, x, n, d_flag);
    ck(cudaMemcpy(&bad, d_flag, sizeof(int), cudaMemcpyDeviceToHost), "cudaMemcpy");
    return !bad && !dev_failed;
}
static void cu_optim(const ganc_optim_cfg_t *cp, int64_t step, float *p, const float *g, float *m, float *v, size_t n) {
    const ganc_optim_cfg_t c = *cp;
    if (c.kind == GANC_SGD) {
        LAUNCH(k_sgd, n, p, g, m, n, c.lr, c.weight_decay, c.momentum, c.dampening, c.nesterov, step == 1);
        return;
    }
    /* the CPU path's scalars, computed the same way */
    const double bc1 = 1.0 - pow((double)c.beta1, (double)step), bc2 = 1.0 - pow((double)c.beta2, (double)step);
    const float step_size = (float)(c.lr / bc1), bc2s = (float)sqrt(bc2);
    const float decay = c.kind == GANC_ADAMW ? 1.0f - c.lr * c.weight_decay : 1.0f;
    const float l2 = c.kind == GANC_ADAM ? c.weight_decay : 0.0f;
    LAUNCH(k_adam, n, p, g, m, v, n, c.beta1, c.beta2, c.eps, step_size, bc2s, decay, l2);
}

/* ---- matrix products: row-major C = alpha op(A) op(B) + beta C, as cuBLAS's column-major C^T = op(B)^T op(A)^T */
static void gemm_d(int ta, int tb, int M, int N, int K, float alpha, const float *A, int lda, const float *B, int ldb,
                   float beta, float *C, int ldc) {
    ckb(cublasSgemm(blas, tb ? CUBLAS_OP_T : CUBLAS_OP_N, ta ? CUBLAS_OP_T : CUBLAS_OP_N, N, M, K, &alpha, B, ldb, A,
                    lda, &beta, C, ldc),
        "cublasSgemm");
}

/* ---- convolution pieces (layouts of im2col.c). Index arithmetic in 32 bits (64-bit division is slow on a GPU;
   the planner keeps every per-call matrix far below 2^31 elements), one grid row (blockIdx.y) per matrix row or
   image plane, so only the column position is divided out per element. */
#define YLOOP(r, rows) for (int r = blockIdx.y; r < (rows); r += gridDim.y)
#define XLOOP(q, n) for (int q = blockIdx.x * blockDim.x + threadIdx.x; q < (n); q += blockDim.x * gridDim.x)
static dim3 grid2(long cols, long rows) {
    long gx = (cols + TPB - 1) / TPB;
    return dim3((unsigned)(gx < 1 ? 1 : gx > 65535 ? 65535 : gx), (unsigned)(rows < 1 ? 1 : rows > 65535 ? 65535 : rows));
}
#define LAUNCH2(k, cols, rows, ...)                                                                                    \
    do {                                                                                                               \
        k<<<grid2(cols, rows), TPB>>>(__VA_ARGS__);                                                                    \
        ck(cudaGetLastError(), #k);                                                                                    \
    } while (0)

__global__ void k_im2col(const float *x, int N, int C, int H, int W, int KH, int KW, int s, int ph, int pw, int OH,
                         int OW, float *col) {
    const int P = OH * OW, NP = N * P;
    YLOOP(r, C * KH * KW) {
        const int c = r / (KH * KW), i = r / KW % KH, j = r % KW;
        float *dst = col + (size_t)r * NP;
        XLOOP(q, NP) {
            const int n = q / P, p = q - n * P, oh = p / OW, ow = p - oh * OW;
            const int ih = oh * s - ph + i, iw = ow * s - pw + j;
            dst[q] = (unsigned)ih < (unsigned)H && (unsigned)iw < (unsigned)W
                         ? x[((size_t)(n * C + c) * H + ih) * W + iw] : 0.0f;
        }
    }
}
/* x (+)= the adjoint of im2col, gathered per pixel of x (no two threads write one element): the kernel rows i that
   reach row ih are those with i = (ih + ph) mod s, stepping by s */
__global__ void k_col2im(const float *col, int N, int C, int H, int W, int KH, int KW, int s, int ph, int pw, int OH,
                         int OW, float *x, int accumulate) {
    const int P = OH * OW, NP = N * P;
    YLOOP(nc, N * C) {
        const int n = nc / C, c = nc - n * C;
        float *xp = x + (size_t)nc * H * W;
        const float *cp = col + (size_t)n * P;
        XLOOP(pix, H * W) {
            const int ih = pix / W, iw = pix - ih * W;
            float acc = 0.0f;
            for (int i = (ih + ph) % s; i < KH; i += s) {
                const int t = ih + ph - i, oh = t / s;
                if (t < 0 || oh >= OH) continue;
                for (int j = (iw + pw) % s; j < KW; j += s) {
                    const int u = iw + pw - j, ow = u / s;
                    if (u < 0 || ow >= OW) continue;
                    acc += cp[(size_t)((c * KH + i) * KW + j) * NP + oh * OW + ow];
                }
            }
            xp[pix] = accumulate ? xp[pix] + acc : acc;
        }
    }
}
/* (N,C,P) <-> (C,N,P), one grid row per (c, n) plane */
__global__ void k_nchw_to_cnp(const float *x, int N, int C, int P, float *y) {
    YLOOP(cn, C * N) {
        const int c = cn / N, n = cn - c * N;
        const float *src = x + ((size_t)n * C + c) * P;
        float *dst = y + (size_t)cn * P;
        XLOOP(q, P) dst[q] = src[q];
    }
}
__global__ void k_cnp_to_nchw(const float *y, int N, int C, int P, float *x, int accumulate) {
    YLOOP(cn, C * N) {
        const int c = cn / N, n = cn - c * N;
        const float *src = y + (size_t)cn * P;
        float *dst = x + ((size_t)n * C + c) * P;
        XLOOP(q, P) dst[q] = accumulate ? dst[q] + src[q] : src[q];
    }
}
__global__ void k_add_bias(float *y, const float *b, int N, int C, int P) {
    YLOOP(nc, N * C) {
        const float v = b[nc % C];
        float *d = y + (size_t)nc * P;
        XLOOP(q, P) d[q] += v;
    }
}
/* db[c] += sum over n, q of dy[(n*C + c)*P + q]; one block per channel */
__global__ void k_bias_grad(const float *dy, float *db, int N, int C, int P) {
    const int c = blockIdx.x;
    double acc = 0.0;
    for (int k = threadIdx.x; k < N * P; k += TPB) {
        const int n = k / P;
        acc += dy[((size_t)n * C + c) * P + (k - n * P)];
    }
    acc = block_sum(acc);
    if (threadIdx.x == 0) db[c] += (float)acc;
}

static void im2col_d(const float *x, int N, int C, int H, int W, int KH, int KW, int s, int ph, int pw, int OH, int OW,
                     float *col) {
    LAUNCH2(k_im2col, (long)N * OH * OW, (long)C * KH * KW, x, N, C, H, W, KH, KW, s, ph, pw, OH, OW, col);
}
static void col2im_d(const float *col, int N, int C, int H, int W, int KH, int KW, int s, int ph, int pw, int OH,
                     int OW, float *x, int accumulate) {
    LAUNCH2(k_col2im, (long)H * W, (long)N * C, col, N, C, H, W, KH, KW, s, ph, pw, OH, OW, x, accumulate);
}
static void to_cnp(const float *x, int N, int C, int P, float *y) { LAUNCH2(k_nchw_to_cnp, P, (long)C * N, x, N, C, P, y); }
static void from_cnp(const float *y, int N, int C, int P, float *x, int acc) {
    LAUNCH2(k_cnp_to_nchw, P, (long)C * N, y, N, C, P, x, acc);
}
static void add_bias_d(float *y, const float *b, int N, int C, int P) { LAUNCH2(k_add_bias, P, (long)N * C, y, b, N, C, P); }
static void bias_grad_d(const float *dy, float *db, int N, int C, int P) { LAUNCH_BLOCKS(k_bias_grad, C, dy, db, N, C, P); }

/* row-major C_b = alpha op(A_b) op(B_b) + beta C_b for b < batch, with element strides sA, sB, sC between them */
static void gemm_batched_d(int ta, int tb, int M, int N, int K, const float *A, int lda, long sA, const float *B, int ldb,
                           long sB, float beta, float *C, int ldc, long sC, int batch) {
    const float one = 1.0f;
    ckb(cublasSgemmStridedBatched(blas, tb ? CUBLAS_OP_T : CUBLAS_OP_N, ta ? CUBLAS_OP_T : CUBLAS_OP_N, N, M, K, &one,
                                  B, ldb, sB, A, lda, sA, &beta, C, ldc, sC, batch),
        "cublasSgemmStridedBatched");
}

/* Convolutions: the im2col matrix (CKK, N*P) as on the CPU. Where a sample's plane is large (P >= BATCHED_MIN_P
   positions) the products run per sample straight into the NCHW tensors (strided batched GEMMs); below that, one
   GEMM over the whole chunk in the (C, N*P) layout and a transpose (per-sample GEMMs of a few columns are slow:
   measured on an H200, DCGAN64 at batch 64 took 9.4 ms per iteration with batched GEMMs everywhere, 8.9 ms with
   none). Weight gradients always use the (C, N*P) layout. `kept`: the forward's im2col matrix saved in the node (aux)
   when the planner gave it room, reused by the weight gradient. */
#define BATCHED_MIN_P 256
static void conv_fw_d(const conv_geom_t *g, const float *x, const float *w, const float *b, float *y, float *col,
                      float *tmp) {
    const int CKK = g->C * g->KH * g->KW, P = g->OH * g->OW, NP = g->N * P;
    im2col_d(x, g->N, g->C, g->H, g->W, g->KH, g->KW, g->s, g->ph, g->pw, g->OH, g->OW, col);
    if (P >= BATCHED_MIN_P) {
        gemm_batched_d(0, 0, g->OC, P, CKK, w, CKK, 0, col, NP, P, 0.0f, y, P, (long)g->OC * P, g->N); /* W col_n */
    } else {
        gemm_d(0, 0, g->OC, NP, CKK, 1.0f, w, CKK, col, NP, 0.0f, tmp, NP);
        from_cnp(tmp, g->N, g->OC, P, y, 0);
    }
    if (b) add_bias_d(y, b, g->N, g->OC, P);
}
static void conv_bw_d(const conv_geom_t *g, const float *x, const float *w, const float *dy, float *dx, float *dw,
                      float *db, float *col, const float *kept, float *tmp) {
    const int CKK = g->C * g->KH * g->KW, P = g->OH * g->OW, NP = g->N * P;
    if (db) bias_grad_d(dy, db, g->N, g->OC, P);
    if (!dw && !dx) return;
    const int cnp = dw || P < BATCHED_MIN_P; /* dY' (OC, NP) in tmp */
    if (cnp) to_cnp(dy, g->N, g->OC, P, tmp);
    if (dw) {
        if (!kept) im2col_d(x, g->N, g->C, g->H, g->W, g->KH, g->KW, g->s, g->ph, g->pw, g->OH, g->OW, col);
        gemm_d(0, 1, g->OC, CKK, NP, 1.0f, tmp, NP, kept ? kept : col, NP, 1.0f, dw, CKK); /* dW += dY' col^T */
    }
    if (!dx) return;
    if (P >= BATCHED_MIN_P) /* dcol_n = W^T dY_n */
        gemm_batched_d(1, 0, CKK, P, g->OC, w, CKK, 0, dy, P, (long)g->OC * P, 0.0f, col, NP, P, g->N);
    else
        gemm_d(1, 0, CKK, NP, g->OC, 1.0f, w, CKK, tmp, NP, 0.0f, col, NP);
    col2im_d(col, g->N, g->C, g->H, g->W, g->KH, g->KW, g->s, g->ph, g->pw, g->OH, g->OW, dx, 1);
}
static void convt_fw_d(const conv_geom_t *g, const float *x, const float *w, const float *b, float *y, float *col,
                       float *tmp) {
    const int OKK = g->OC * g->KH * g->KW, P = g->H * g->W, NP = g->N * P;
    if (P >= BATCHED_MIN_P) {
        gemm_batched_d(1, 0, OKK, P, g->C, w, OKK, 0, x, P, (long)g->C * P, 0.0f, col, NP, P, g->N); /* W^T X_n */
    } else {
        to_cnp(x, g->N, g->C, P, tmp);
        gemm_d(1, 0, OKK, NP, g->C, 1.0f, w, OKK, tmp, NP, 0.0f, col, NP);
    }
    col2im_d(col, g->N, g->OC, g->OH, g->OW, g->KH, g->KW, g->s, g->ph, g->pw, g->H, g->W, y, 0);
    if (b) add_bias_d(y, b, g->N, g->OC, g->OH * g->OW);
}
static void convt_bw_d(const conv_geom_t *g, const float *x, const float *w, const float *dy, float *dx, float *dw,
                       float *db, float *col, float *tmp) {
    const int OKK = g->OC * g->KH * g->KW, P = g->H * g->W, NP = g->N * P;
    if (db) bias_grad_d(dy, db, g->N, g->OC, g->OH * g->OW);
    if (!dw && !dx) return;
    im2col_d(dy, g->N, g->OC, g->OH, g->OW, g->KH, g->KW, g->s, g->ph, g->pw, g->H, g->W, col); /* (OKK, NP) */
    if (dx && P >= BATCHED_MIN_P) { /* dX_n += W col_n */
        gemm_batched_d(0, 0, g->C, P, OKK, w, OKK, 0, col, NP, P, 1.0f, dx, P, (long)g->C * P, g->N);
    } else if (dx) {
        gemm_d(0, 0, g->C, NP, OKK, 1.0f, w, OKK, col, NP, 0.0f, tmp, NP);
        from_cnp(tmp, g->N, g->C, P, dx, 1);
    }
    if (dw) {
        to_cnp(x, g->N, g->C, P, tmp); /* X' (C, NP) */
        gemm_d(0, 1, g->C, OKK, NP, 1.0f, tmp, NP, col, NP, 1.0f, dw, OKK); /* dW += X' col^T */
    }
}

/* ---- op-table glue */
#define IN0(n) op_in(net, n, 0)
#define X0(n) (IN0(n)->out)
static layer_ops_t cuda_ops[L_COUNT];
static size_t tot(const node_t *n, int N) { return n->numel * (size_t)N; }

static int conv_fw(ganc_net_t *net, node_t *n, int N, int transposed) {
    conv_geom_t g;
    const size_t xs = IN0(n)->numel, ys = n->numel;
    float *col = n->aux_fix ? (float *)n->aux : net->scr->col; /* aux_fix: one chunk, its matrix kept */
    for (int b0 = 0; b0 < N; b0 += n->chunk) {
        op_conv_geom(net, n, N - b0 < n->chunk ? N - b0 : n->chunk, &g);
        (transposed ? convt_fw_d : conv_fw_d)(&g, X0(n) + xs * b0, op_param(net, n, 0), op_param(net, n, 1),
                                              n->out + ys * b0, col, net->scr->tmp);
    }
    return dev_status(net, n);
}
static void conv_bw(ganc_net_t *net, node_t *n, int N, int want_pg, float *dx, int transposed) {
    conv_geom_t g;
    const size_t xs = IN0(n)->numel, ys = n->numel;
    for (int b0 = 0; b0 < N; b0 += n->chunk) {
        op_conv_geom(net, n, N - b0 < n->chunk ? N - b0 : n->chunk, &g);
        if (transposed)
            convt_bw_d(&g, X0(n) + xs * b0, op_param(net, n, 0), n->dout + ys * b0, dx ? dx + xs * b0 : NULL,
                       op_grad(net, n, 0, want_pg), op_grad(net, n, 1, want_pg), net->scr->col, net->scr->tmp);
        else
            conv_bw_d(&g, X0(n) + xs * b0, op_param(net, n, 0), n->dout + ys * b0, dx ? dx + xs * b0 : NULL,
                      op_grad(net, n, 0, want_pg), op_grad(net, n, 1, want_pg), net->scr->col,
                      n->aux_fix ? (const float *)n->aux : NULL, net->scr->tmp);
    }
}
static int fw_conv2d(ganc_net_t *net, node_t *n, int N, int flags) { (void)flags; return conv_fw(net, n, N, 0); }
static void bw_conv2d(ganc_net_t *net, node_t *n, int N, int train, int want_pg, float *dx) {
    (void)train;
    conv_bw(net, n, N, want_pg, dx, 0);
}
static int fw_convt(ganc_net_t *net, node_t *n, int N, int flags) { (void)flags; return conv_fw(net, n, N, 1); }
static void bw_convt(ganc_net_t *net, node_t *n, int N, int train, int want_pg, float *dx) {
    (void)train;
    conv_bw(net, n, N, want_pg, dx, 1);
}

/* ---- linear */
__global__ void k_add_row_bias(float *y, const float *b, int O, size_t tot) { LOOP(i, tot) y[i] += b[i % O]; }
__global__ void k_col_sums(const float *dy, float *db, int M, int O) { /* db[o] += sum_m dy[m*O + o] */
    const int o = blockIdx.x;
    double acc = 0.0;
    for (int m = threadIdx.x; m < M; m += TPB) acc += dy[(size_t)m * O + o];
    acc = block_sum(acc);
    if (threadIdx.x == 0) db[o] += (float)acc;
}
static int rows_linear(const ganc_net_t *net, const node_t *n, int N) {
    return (int)(IN0(n)->numel / (size_t)n->hp.linear.in) * N;
}
static int fw_linear(ganc_net_t *net, node_t *n, int N, int flags) {
    (void)flags;
    const int M = rows_linear(net, n, N), IN = n->hp.linear.in, O = n->shape[n->ndim - 1];
    const float *b = op_param(net, n, 1);
    gemm_d(0, 1, M, O, IN, 1.0f, X0(n), IN, op_param(net, n, 0), IN, 0.0f, n->out, O);
    if (b) LAUNCH(k_add_row_bias, (size_t)M * O, n->out, b, O, (size_t)M * O);
    return dev_status(net, n);
}
static void bw_linear(ganc_net_t *net, node_t *n, int N, int train, int want_pg, float *dx) {
    (void)train;
    const int M = rows_linear(net, n, N), IN = n->hp.linear.in, O = n->shape[n->ndim - 1];
    float *dw = op_grad(net, n, 0, want_pg), *db = op_grad(net, n, 1, want_pg);
    if (dx) gemm_d(0, 0, M, IN, O, 1.0f, n->dout, O, op_param(net, n, 0), IN, 1.0f, dx, IN);
    if (dw) gemm_d(1, 0, O, IN, M, 1.0f, n->dout, O, X0(n), IN, 1.0f, dw, IN);
    if (db) LAUNCH_BLOCKS(k_col_sums, O, n->dout, db, M, O);
}

/* ---- batchnorm (batchnorm.c's arithmetic: sums in double per channel) */
/* element k of channel c's N*S (32-bit division; the offset in 64 bits) */
__device__ __forceinline__ size_t bn_at(unsigned k, int S, int C, int c) {
    const unsigned n = k / (unsigned)S;
    return ((size_t)n * C + c) * S + (k - n * (unsigned)S);
}
#define BN_AT(k) bn_at((unsigned)(k), S, C, c)
__global__ void __launch_bounds__(1024) k_bn_train(const float *x, const float *gamma, const float *beta, float *y, int N, int C, int S,
                           float eps, float momentum, float *stats, float *rm, float *rv) {
    const int c = blockIdx.x;
    const size_t cnt = (size_t)N * S;
    double sum = 0.0, sq = 0.0;
    for (size_t k = threadIdx.x; k < cnt; k += blockDim.x) sum += x[BN_AT(k)];
    const double mean = block_sum(sum) / (double)cnt;
    for (size_t k = threadIdx.x; k < cnt; k += blockDim.x) { double d = x[BN_AT(k)] - mean; sq += d * d; }
    sq = block_sum(sq);
    const double var = sq / (double)cnt;
    const float inv = (float)(1.0 / sqrt(var + eps)), m = (float)mean;
    const float ga = gamma ? gamma[c] : 1.0f, be = beta ? beta[c] : 0.0f;
    for (size_t k = threadIdx.x; k < cnt; k += blockDim.x) y[BN_AT(k)] = (x[BN_AT(k)] - m) * inv * ga + be;
    if (threadIdx.x == 0) {
        stats[c] = m;
        stats[C + c] = inv;
        if (rm) {
            double unb = cnt > 1 ? sq / (double)(cnt - 1) : var;
            rm[c] = (1.0f - momentum) * rm[c] + momentum * (float)mean;
            rv[c] = (1.0f - momentum) * rv[c] + momentum * (float)unb;
        }
    }
}
__global__ void k_bn_eval(const float *x, const float *gamma, const float *beta, float *y, int C, int S, float eps,
                          const float *rm, const float *rv, size_t tot) {
    LOOP(i, tot) {
        const int c = (int)(i / S % C);
        float inv = 1.0f / sqrtf(rv[c] + eps), ga = gamma ? gamma[c] : 1.0f, be = beta ? beta[c] : 0.0f;
        float sc = ga * inv, sh = be - rm[c] * sc;
        y[i] = x[i] * sc + sh;
    }
}
/* train: stats = batch mean, 1/std; eval: from the running statistics (m, inv given per channel) */
__global__ void __launch_bounds__(1024) k_bn_back(const float *x, const float *gamma, const float *dy, float *dx, float *dgamma, float *dbeta,
                          int N, int C, int S, const float *stats, float eps, const float *rm, const float *rv) {
    const int c = blockIdx.x;
    const size_t cnt = (size_t)N * S;
    const int train = stats != NULL;
    const float m = train ? stats[c] : rm[c], inv = train ? stats[C + c] : 1.0f / sqrtf(rv[c] + eps);
    const float ga = gamma ? gamma[c] : 1.0f;
    double sdy = 0.0, sdyx = 0.0;
    for (size_t k = threadIdx.x; k < cnt; k += blockDim.x) {
        const size_t at = BN_AT(k);
        sdy += dy[at];
        sdyx += (double)dy[at] * ((x[at] - m) * inv);
    }
    sdy = block_sum(sdy);
    sdyx = block_sum(sdyx);
    if (threadIdx.x == 0) {
        if (dgamma) dgamma[c] += (float)sdyx;
        if (dbeta) dbeta[c] += (float)sdy;
    }
    if (!dx) return;
    const float k = ga * inv, a = train ? (float)(sdy / (double)cnt) : 0.0f, bq = train ? (float)(sdyx / (double)cnt) : 0.0f;
    for (size_t q = threadIdx.x; q < cnt; q += blockDim.x) {
        const size_t at = BN_AT(q);
        dx[at] += train ? k * (dy[at] - a - (x[at] - m) * inv * bq) : dy[at] * ga * inv;
    }
}
static void cs_of(const node_t *n, int *C, int *S) {
    *C = n->shape[0];
    *S = (int)(n->numel / (size_t)n->shape[0]);
}
static int fw_bn(ganc_net_t *net, node_t *n, int N, int flags) {
    int C, S;
    cs_of(n, &C, &S);
    if (net->bn_reduce)
        return ganc_fail(GANC_EINVAL, "%s: %s: synchronised BatchNorm (MPI) is not supported on the cuda device",
                         net->name, n->name);
    if (flags & GANC_TRAIN) {
        const int upd = flags & GANC_UPDATE_STATS;
        LAUNCH_BT(k_bn_train, C, red_threads((size_t)N * S), X0(n), op_param(net, n, 0), op_param(net, n, 1), n->out, N, C, S, n->hp.bn.eps,
                      n->hp.bn.momentum, (float *)n->aux, upd ? op_buf(net, n, 2) : NULL, upd ? op_buf(net, n, 3) : NULL);
        if (upd) net->counters[net->ts[n->counter].off]++;
    } else {
        LAUNCH(k_bn_eval, tot(n, N), X0(n), op_param(net, n, 0), op_param(net, n, 1), n->out, C, S, n->hp.bn.eps,
               op_buf(net, n, 2), op_buf(net, n, 3), tot(n, N));
    }
    return dev_status(net, n);
}
static void bw_bn(ganc_net_t *net, node_t *n, int N, int train, int want_pg, float *dx) {
    int C, S;
    cs_of(n, &C, &S);
    LAUNCH_BT(k_bn_back, C, red_threads((size_t)N * S), X0(n), op_param(net, n, 0), n->dout, dx, op_grad(net, n, 0, want_pg),
                  op_grad(net, n, 1, want_pg), N, C, S, train ? (const float *)n->aux : NULL, n->hp.bn.eps,
                  op_buf(net, n, 2), op_buf(net, n, 3));
}

/* ---- pointwise activations: backward reads y; in place (dx == dy) the gradient is scaled, else added */
__device__ float act_f(int kind, float x, float a) {
    switch (kind) {
    case L_RELU: return x > 0.0f ? x : 0.0f;
    case L_LRELU: return x > 0.0f ? x : a * x;
    case L_TANH: return tanhf(x);
    default: return x >= 0.0f ? 1.0f / (1.0f + expf(-x)) : expf(x) / (1.0f + expf(x));
    }
}
__device__ float act_d(int kind, float y, float g, float a) {
    switch (kind) {
    case L_RELU: return y > 0.0f ? g : 0.0f;
    case L_LRELU: return y > 0.0f ? g : a * g;
    case L_TANH: return g * (1.0f - y * y);
    default: return g * y * (1.0f - y);
    }
}
__global__ void k_act_fw(int kind, const float *x, float *y, size_t n, float a) { LOOP(i, n) y[i] = act_f(kind, x[i], a); }
__global__ void k_act_bw(int kind, const float *y, const float *dy, float *dx, size_t n, float a, int inplace) {
    LOOP(i, n) {
        float g = act_d(kind, y[i], dy[i], a);
        dx[i] = inplace ? g : dx[i] + g;
    }
}
static int fw_act(ganc_net_t *net, node_t *n, int N, int flags) {
    (void)flags;
    LAUNCH(k_act_fw, tot(n, N), n->kind, X0(n), n->out, tot(n, N), n->kind == L_LRELU ? n->hp.lrelu.slope : 0.0f);
    return dev_status(net, n);
}
static void bw_act(ganc_net_t *net, node_t *n, int N, int train, int want_pg, float *dx) {
    (void)net; (void)train; (void)want_pg;
    LAUNCH(k_act_bw, tot(n, N), n->kind, n->out, n->dout, dx, tot(n, N),
           n->kind == L_LRELU ? n->hp.lrelu.slope : 0.0f, dx == n->dout);
}

/* ---- prelu */
__global__ void k_prelu_fw(const float *x, const float *w, float *y, int C, int S, int nw, size_t tot) {
    LOOP(i, tot) {
        const float a = w[nw == 1 ? 0 : (int)(i / S % C)];
        y[i] = x[i] > 0.0f ? x[i] : a * x[i];
    }
}
__global__ void k_prelu_dx(const float *x, const float *w, const float *dy, float *dx, int C, int S, int nw, size_t tot) {
    LOOP(i, tot) {
        const float a = w[nw == 1 ? 0 : (int)(i / S % C)];
        dx[i] += x[i] > 0.0f ? dy[i] : a * dy[i];
    }
}
/* dw[c] (or dw[0] over all channels) += sum of dy * x where x <= 0; one block per weight */
__global__ void k_prelu_dw(const float *x, const float *dy, float *dw, int N, int C, int S, int nw) {
    const int c = blockIdx.x;
    const size_t cnt = nw == 1 ? (size_t)N * C * S : (size_t)N * S;
    double acc = 0.0;
    for (size_t k = threadIdx.x; k < cnt; k += blockDim.x) {
        const size_t at = nw == 1 ? k : BN_AT(k);
        if (!(x[at] > 0.0f)) acc += (double)dy[at] * x[at];
    }
    acc = block_sum(acc);
    if (threadIdx.x == 0) dw[c] += (float)acc;
}
static int fw_prelu(ganc_net_t *net, node_t *n, int N, int flags) {
    (void)flags;
    int C, S;
    cs_of(n, &C, &S);
    LAUNCH(k_prelu_fw, tot(n, N), X0(n), op_param(net, n, 0), n->out, C, S, n->hp.prelu.np, tot(n, N));
    return dev_status(net, n);
}
static void bw_prelu(ganc_net_t *net, node_t *n, int N, int train, int want_pg, float *dx) {
    (void)train;
    int C, S;
    cs_of(n, &C, &S);
    float *dw = op_grad(net, n, 0, want_pg);
    if (dx) LAUNCH(k_prelu_dx, tot(n, N), X0(n), op_param(net, n, 0), n->dout, dx, C, S, n->hp.prelu.np, tot(n, N));
    if (dw) LAUNCH_BLOCKS(k_prelu_dw, n->hp.prelu.np, X0(n), n->dout, dw, N, C, S, n->hp.prelu.np);
}

/* ---- maxout, reshape, add */
__global__ void k_maxout_fw(const float *x, float *y, int *arg, size_t MF, int k) {
    LOOP(i, MF) {
        const float *g = x + i * k;
        int best = 0;
        for (int j = 1; j < k; j++)
            if (g[j] > g[best]) best = j;
        y[i] = g[best];
        arg[i] = best;
    }
}
__global__ void k_maxout_bw(const int *arg, const float *dy, float *dx, size_t MF, int k) {
    LOOP(i, MF) dx[i * k + arg[i]] += dy[i];
}
static int fw_maxout(ganc_net_t *net, node_t *n, int N, int flags) {
    (void)flags;
    LAUNCH(k_maxout_fw, tot(n, N), X0(n), n->out, (int *)n->aux, tot(n, N), n->hp.maxout.pieces);
    return dev_status(net, n);
}
static void bw_maxout(ganc_net_t *net, node_t *n, int N, int train, int want_pg, float *dx) {
    (void)net; (void)train; (void)want_pg;
    LAUNCH(k_maxout_bw, tot(n, N), (const int *)n->aux, n->dout, dx, tot(n, N), n->hp.maxout.pieces);
}
static int fw_reshape(ganc_net_t *net, node_t *n, int N, int flags) { /* in place (the planner's choice): a view */
    (void)flags;
    if (n->out != X0(n)) cu_copy(n->out, X0(n), tot(n, N));
    return dev_status(net, n);
}
static void bw_reshape(ganc_net_t *net, node_t *n, int N, int train, int want_pg, float *dx) {
    (void)net; (void)train; (void)want_pg;
    if (dx != n->dout) LAUNCH(k_axpy, tot(n, N), dx, n->dout, 1.0f, tot(n, N));
}
__global__ void k_add(const float *a, const float *b, float *y, size_t n) { LOOP(i, n) y[i] = a[i] + b[i]; }
static int fw_add(ganc_net_t *net, node_t *n, int N, int flags) {
    (void)flags;
    LAUNCH(k_add, tot(n, N), X0(n), op_in(net, n, 1)->out, n->out, tot(n, N));
    return dev_status(net, n);
}
static void bw_add(ganc_net_t *net, node_t *n, int N, int train, int want_pg, float *dx) {
    (void)train; (void)want_pg;
    LAUNCH(k_axpy, tot(n, N), dx, n->dout, 1.0f, tot(n, N));
    LAUNCH(k_axpy, tot(n, N), op_in(net, n, 1)->dout, n->dout, 1.0f, tot(n, N));
}

/* ---- concat along dim 0 (b optionally a vector broadcast over S) */
__global__ void k_concat_fw(const float *a, const float *b, float *y, int C1, int C2, int S, int bcast, size_t tot) {
    const int C = C1 + C2;
    LOOP(i, tot) {
        const size_t n = i / ((size_t)C * S);
        const int c = (int)(i / S % C), q = (int)(i % S);
        y[i] = c < C1 ? a[(n * C1 + c) * S + q] : bcast ? b[n * C2 + (c - C1)] : b[(n * C2 + (c - C1)) * S + q];
    }
}
__global__ void k_concat_bw_a(const float *dy, float *da, int C1, int C2, int S, size_t tot) { /* tot over a */
    LOOP(i, tot) {
        const size_t n = i / ((size_t)C1 * S), r = i % ((size_t)C1 * S);
        da[i] += dy[n * (size_t)(C1 + C2) * S + r];
    }
}
__global__ void k_concat_bw_b(const float *dy, float *db, int C1, int C2, int S, size_t tot) { /* tot over b */
    LOOP(i, tot) {
        const size_t n = i / ((size_t)C2 * S), r = i % ((size_t)C2 * S);
        db[i] += dy[(n * (C1 + C2) + C1) * (size_t)S + r];
    }
}
__global__ void k_concat_bw_bcast(const float *dy, float *db, int C1, int C2, int S) { /* block per (n, c) of b */
    const size_t n = blockIdx.x / C2;
    const int c = blockIdx.x % C2;
    const float *d = dy + (n * (C1 + C2) + C1 + c) * (size_t)S;
    double acc = 0.0;
    for (int q = threadIdx.x; q < S; q += TPB) acc += d[q];
    acc = block_sum(acc);
    if (threadIdx.x == 0) db[blockIdx.x] += (float)acc;
}
static int concat_S(const ganc_net_t *net, const node_t *n) {
    return n->ndim == 1 ? 1 : IN0(n)->shape[1] * IN0(n)->shape[2];
}
static int fw_concat(ganc_net_t *net, node_t *n, int N, int flags) {
    (void)flags;
    const node_t *a = IN0(n), *b = op_in(net, n, 1);
    LAUNCH(k_concat_fw, tot(n, N), a->out, b->out, n->out, a->shape[0], b->shape[0], concat_S(net, n),
           n->hp.concat.bcast, tot(n, N));
    return dev_status(net, n);
}
static void bw_concat(ganc_net_t *net, node_t *n, int N, int train, int want_pg, float *dx) {
    (void)train; (void)want_pg;
    const node_t *a = IN0(n), *b = op_in(net, n, 1);
    const int C1 = a->shape[0], C2 = b->shape[0], S = concat_S(net, n);
    if (dx) LAUNCH(k_concat_bw_a, tot(a, N), n->dout, dx, C1, C2, S, tot(a, N));
    if (!b->dout) return;
    if (n->hp.concat.bcast) LAUNCH_BLOCKS(k_concat_bw_bcast, (size_t)N * C2, n->dout, b->dout, C1, C2, S);
    else LAUNCH(k_concat_bw_b, tot(b, N), n->dout, b->dout, C1, C2, S, tot(b, N));
}

/* ---- pixel shuffle: y[n,c,h*r+i,w*r+j] = x[n,c*r*r+i*r+j,h,w] */
__device__ size_t shuffle_src(size_t i, int C, int H, int W, int r) {
    const int OW = W * r, OH = H * r;
    const int ow = (int)(i % OW), oh = (int)(i / OW % OH);
    const size_t nc = i / ((size_t)OW * OH);
    return ((nc * r * r + (size_t)(oh % r) * r + ow % r) * H + oh / r) * W + ow / r;
    (void)C;
}
__global__ void k_shuffle_fw(const float *x, float *y, int C, int H, int W, int r, size_t tot) {
    LOOP(i, tot) y[i] = x[shuffle_src(i, C, H, W, r)];
}
__global__ void k_shuffle_bw(const float *dy, float *dx, int C, int H, int W, int r, size_t tot) {
    LOOP(i, tot) dx[shuffle_src(i, C, H, W, r)] += dy[i]; /* a bijection: no two threads share an element */
}
static int fw_shuffle(ganc_net_t *net, node_t *n, int N, int flags) {
    (void)flags;
    LAUNCH(k_shuffle_fw, tot(n, N), X0(n), n->out, n->shape[0], IN0(n)->shape[1], IN0(n)->shape[2], n->hp.shuffle.r,
           tot(n, N));
    return dev_status(net, n);
}
static void bw_shuffle(ganc_net_t *net, node_t *n, int N, int train, int want_pg, float *dx) {
    (void)train; (void)want_pg;
    LAUNCH(k_shuffle_bw, tot(n, N), n->dout, dx, n->shape[0], IN0(n)->shape[1], IN0(n)->shape[2], n->hp.shuffle.r,
           tot(n, N));
}

/* ---- pools (shape_ops.c's windows); backward gathers over the outputs whose window holds the pixel */
__device__ float pool_win(int oh, int ow, int k, int s, int p, int H, int W, int cip, int *h0, int *h1, int *w0, int *w1) {
    int a = oh * s - p, b = ow * s - p;
    *h0 = a < 0 ? 0 : a; *h1 = a + k > H ? H : a + k;
    *w0 = b < 0 ? 0 : b; *w1 = b + k > W ? W : b + k;
    return cip ? 1.0f / (float)(k * k) : 1.0f / (float)((*h1 - *h0) * (*w1 - *w0));
}
struct pool_g { int H, W, OH, OW, k, s, p, cip; };
__global__ void k_avgpool_fw(const float *x, float *y, pool_g g, size_t tot) {
    LOOP(i, tot) {
        const int ow = (int)(i % g.OW), oh = (int)(i / g.OW % g.OH);
        const float *xc = x + i / ((size_t)g.OW * g.OH) * g.H * g.W;
        int h0, h1, w0, w1;
        float inv = pool_win(oh, ow, g.k, g.s, g.p, g.H, g.W, g.cip, &h0, &h1, &w0, &w1), acc = 0.0f;
        for (int a = h0; a < h1; a++)
            for (int b = w0; b < w1; b++) acc += xc[a * g.W + b];
        y[i] = acc * inv;
    }
}
/* the outputs o with o*s - p <= v < o*s - p + k, within 0..n-1 */
__device__ void covering(int v, int s, int p, int k, int n, int *lo, int *hi) {
    int a = v + p - k + 1;
    *lo = a <= 0 ? 0 : (a + s - 1) / s;
    int b = (v + p) / s;
    *hi = b >= n ? n - 1 : b;
}
__global__ void k_avgpool_bw(const float *dy, float *dx, pool_g g, size_t tot) { /* tot over x */
    LOOP(i, tot) {
        const int iw = (int)(i % g.W), ih = (int)(i / g.W % g.H);
        const float *dc = dy + i / ((size_t)g.W * g.H) * g.OH * g.OW;
        int a0, a1, b0, b1, h0, h1, w0, w1;
        covering(ih, g.s, g.p, g.k, g.OH, &a0, &a1);
        covering(iw, g.s, g.p, g.k, g.OW, &b0, &b1);
        float acc = 0.0f;
        for (int oh = a0; oh <= a1; oh++)
            for (int ow = b0; ow <= b1; ow++)
                acc += dc[oh * g.OW + ow] * pool_win(oh, ow, g.k, g.s, g.p, g.H, g.W, g.cip, &h0, &h1, &w0, &w1);
        dx[i] += acc;
    }
}
__global__ void k_maxpool_fw(const float *x, float *y, int *arg, pool_g g, size_t tot) {
    LOOP(i, tot) {
        const int ow = (int)(i % g.OW), oh = (int)(i / g.OW % g.OH);
        const float *xc = x + i / ((size_t)g.OW * g.OH) * g.H * g.W;
        float best = -INFINITY;
        int at = -1;
        for (int a = 0; a < g.k; a++) {
            const int ih = oh * g.s - g.p + a;
            if (ih < 0 || ih >= g.H) continue;
            for (int b = 0; b < g.k; b++) {
                const int iw = ow * g.s - g.p + b;
                if (iw < 0 || iw >= g.W) continue;
                const float v = xc[ih * g.W + iw];
                if (at < 0 || v > best || isnan(v)) { best = v; at = ih * g.W + iw; }
            }
        }
        y[i] = best;
        arg[i] = at;
    }
}
__global__ void k_maxpool_bw(const int *arg, const float *dy, float *dx, pool_g g, size_t tot) { /* tot over x */
    LOOP(i, tot) {
        const int iw = (int)(i % g.W), ih = (int)(i / g.W % g.H), pix = ih * g.W + iw;
        const size_t base = i / ((size_t)g.W * g.H) * g.OH * g.OW;
        int a0, a1, b0, b1;
        covering(ih, g.s, g.p, g.k, g.OH, &a0, &a1);
        covering(iw, g.s, g.p, g.k, g.OW, &b0, &b1);
        float acc = 0.0f;
        for (int oh = a0; oh <= a1; oh++)
            for (int ow = b0; ow <= b1; ow++)
                if (arg[base + oh * g.OW + ow] == pix) acc += dy[base + oh * g.OW + ow];
        dx[i] += acc;
    }
}
static pool_g pool_of(const ganc_net_t *net, const node_t *n) {
    const node_t *a = IN0(n);
    pool_g g = {a->shape[1], a->shape[2], n->shape[1], n->shape[2], n->hp.pool.k, n->hp.pool.stride, n->hp.pool.pad,
                n->hp.pool.cip};
    return g;
}
static int fw_avgpool(ganc_net_t *net, node_t *n, int N, int flags) {
    (void)flags;
    LAUNCH(k_avgpool_fw, tot(n, N), X0(n), n->out, pool_of(net, n), tot(n, N));
    return dev_status(net, n);
}
static void bw_avgpool(ganc_net_t *net, node_t *n, int N, int train, int want_pg, float *dx) {
    (void)train; (void)want_pg;
    LAUNCH(k_avgpool_bw, tot(IN0(n), N), n->dout, dx, pool_of(net, n), tot(IN0(n), N));
}
static int fw_maxpool(ganc_net_t *net, node_t *n, int N, int flags) {
    (void)flags;
    LAUNCH(k_maxpool_fw, tot(n, N), X0(n), n->out, (int *)n->aux, pool_of(net, n), tot(n, N));
    return dev_status(net, n);
}
static void bw_maxpool(ganc_net_t *net, node_t *n, int N, int train, int want_pg, float *dx) {
    (void)train; (void)want_pg;
    LAUNCH(k_maxpool_bw, tot(IN0(n), N), (const int *)n->aux, n->dout, dx, pool_of(net, n), tot(IN0(n), N));
}

/* ---- dropout: the mask is drawn on the host from the network's own generator (the CPU's stream, so both devices
   draw the same masks and a checkpoint resumes on either) and copied in, like a data batch */
static float *h_mask;
static size_t n_hmask;
__global__ void k_mul(const float *x, const float *m, float *y, size_t n) { LOOP(i, n) y[i] = x[i] * m[i]; }
__global__ void k_mul_add(const float *dy, const float *m, float *dx, size_t n) { LOOP(i, n) dx[i] += dy[i] * m[i]; }
static int fw_dropout(ganc_net_t *net, node_t *n, int N, int flags) {
    const size_t k = tot(n, N);
    if (!(flags & GANC_TRAIN) || !(n->hp.dropout.p > 0.0f)) {
        cu_copy(n->out, X0(n), k);
        return dev_status(net, n);
    }
    if (k > n_hmask) {
        float *m = (float *)realloc(h_mask, k * sizeof(float));
        if (!m) return ganc_fail(GANC_ENOMEM, "%s: %s: out of host memory for a dropout mask", net->name, n->name);
        h_mask = m;
        n_hmask = k;
    }
    op_dropout_mask(net, n, N, 1, h_mask);
    ck(cudaMemcpy(n->aux, h_mask, k * sizeof(float), cudaMemcpyHostToDevice), "cudaMemcpy");
    LAUNCH(k_mul, k, X0(n), (const float *)n->aux, n->out, k);
    return dev_status(net, n);
}
static void bw_dropout(ganc_net_t *net, node_t *n, int N, int train, int want_pg, float *dx) {
    (void)net; (void)want_pg;
    const size_t k = tot(n, N);
    if (train && n->hp.dropout.p > 0.0f) LAUNCH(k_mul_add, k, n->dout, (const float *)n->aux, dx, k);
    else LAUNCH(k_axpy, k, dx, n->dout, 1.0f, k);
}

/* ---- embedding: indices stored as floats; the first bad position is reported (a one-integer read back) */
static unsigned long long *d_bad;
__global__ void k_embed_fw(const float *idx, const float *w, float *y, size_t M, int num, int D,
                           unsigned long long *bad) {
    LOOP(i, M * D) {
        const size_t m = i / D;
        const float v = idx[m];
        if (!(v >= 0.0f && v < (float)num) || v != floorf(v)) {
            atomicMin(bad, (unsigned long long)m);
            y[i] = 0.0f;
        } else {
            y[i] = w[(size_t)v * D + (i - m * D)];
        }
    }
}
/* dw[v][d] += the sum of dy[m][d] over positions m holding v, gathered per (v, d) in position order */
__global__ void k_embed_bw(const float *idx, const float *dy, float *dw, size_t M, int num, int D) {
    YLOOP(v, num) {
        XLOOP(d, D) {
            float acc = 0.0f;
            for (size_t m = 0; m < M; m++)
                if (idx[m] == (float)v) acc += dy[m * D + d];
            dw[(size_t)v * D + d] += acc;
        }
    }
}
static int fw_embedding(ganc_net_t *net, node_t *n, int N, int flags) {
    (void)flags;
    const size_t M = IN0(n)->numel * (size_t)N;
    const int D = n->hp.embed.dim;
    unsigned long long bad = ~0ULL;
    if (!d_bad) ck(cudaMalloc((void **)&d_bad, sizeof *d_bad), "cudaMalloc");
    if (!d_bad) return dev_status(net, n);
    ck(cudaMemcpy(d_bad, &bad, sizeof bad, cudaMemcpyHostToDevice), "cudaMemcpy");
    LAUNCH(k_embed_fw, M * D, X0(n), op_param(net, n, 0), n->out, M, n->hp.embed.num, D, d_bad);
    ck(cudaMemcpy(&bad, d_bad, sizeof bad, cudaMemcpyDeviceToHost), "cudaMemcpy");
    if (!dev_failed && bad != ~0ULL)
        return ganc_fail(GANC_EINVAL, "%s: %s (embedding): index %g at position %llu outside 0..%d", net->name, n->name,
                         (double)X0(n)[bad], bad, n->hp.embed.num - 1);
    return dev_status(net, n);
}
static void bw_embedding(ganc_net_t *net, node_t *n, int N, int train, int want_pg, float *dx) {
    (void)train; (void)dx;
    if (!want_pg) return;
    LAUNCH2(k_embed_bw, n->hp.embed.dim, n->hp.embed.num, X0(n), n->dout, op_grad(net, n, 0, 1),
            IN0(n)->numel * (size_t)N, n->hp.embed.num, n->hp.embed.dim);
}

/* ---- upsample: the resampling plans (nearest / bilinear / bicubic taps along H and W) are filled on the host and
   copied into the node's saved state by forward; forward sums the taps of each output, backward gathers for each
   input pixel the outputs that can reach it (the taps of output o of an upsampling by an integer factor f with
   non-zero weight lie within floor(o / f) - 2 .. floor(o / f) + 3, mirrored edges included, so input r is read only
   by outputs f (r - 3) .. f (r + 4)) */
static char *h_plan;
static size_t n_hplan;
typedef struct {
    int n_in, n_out, taps;
    const int32_t *idx;
    const double *w;
} plan_d;
static plan_d plan_on(const rs_plan_t *p, const char *host, char *dev) {
    plan_d d = {p->n_in, p->n_out, p->taps, (const int32_t *)(dev + ((const char *)p->idx - host)),
                (const double *)(dev + ((const char *)p->w - host))};
    return d;
}
static int up_plans_d(ganc_net_t *net, node_t *n, plan_d *ph, plan_d *pw, int upload) {
    const node_t *a = IN0(n);
    const float s = 1.0f / (float)n->hp.up.factor;
    if (n->aux_fix > n_hplan) {
        char *m = (char *)realloc(h_plan, n->aux_fix);
        if (!m) return ganc_fail(GANC_ENOMEM, "%s: %s: out of host memory", net->name, n->name);
        h_plan = m;
        n_hplan = n->aux_fix;
    }
    rs_plan_t h, w;
    rs_plan_fill(&h, n->hp.up.mode, a->shape[1], n->shape[1], s, h_plan);
    rs_plan_fill(&w, n->hp.up.mode, a->shape[2], n->shape[2], s,
                 h_plan + rs_plan_bytes(n->hp.up.mode, a->shape[1], n->shape[1], s));
    if (upload) ck(cudaMemcpy(n->aux, h_plan, n->aux_fix, cudaMemcpyHostToDevice), "cudaMemcpy");
    *ph = plan_on(&h, h_plan, (char *)n->aux);
    *pw = plan_on(&w, h_plan, (char *)n->aux);
    return GANC_OK;
}
__global__ void k_up_fw(const float *x, float *y, plan_d ph, plan_d pw, int planes) {
    const int OW = pw.n_out, P = ph.n_out * OW;
    YLOOP(pl, planes) {
        const float *xp = x + (size_t)pl * ph.n_in * pw.n_in;
        XLOOP(q, P) {
            const int o = q / OW, c = q - o * OW;
            double acc = 0;
            for (int kh = 0; kh < ph.taps; kh++) {
                double row = 0;
                const float *xr = xp + (size_t)ph.idx[o * ph.taps + kh] * pw.n_in;
                for (int kw = 0; kw < pw.taps; kw++) row += pw.w[c * pw.taps + kw] * xr[pw.idx[c * pw.taps + kw]];
                acc += ph.w[o * ph.taps + kh] * row;
            }
            y[(size_t)pl * P + q] = (float)acc;
        }
    }
}
/* the weight with which output o of plan p reads input r */
__device__ double tap_weight(const plan_d &p, int o, int r) {
    double w = 0;
    for (int k = 0; k < p.taps; k++)
        if (p.idx[o * p.taps + k] == r) w += p.w[o * p.taps + k];
    return w;
}
__global__ void k_up_bw(const float *dy, float *dx, plan_d ph, plan_d pw, int f, int planes) {
    const int W = pw.n_in, P = ph.n_in * W, OW = pw.n_out;
    YLOOP(pl, planes) {
        const float *yp = dy + (size_t)pl * ph.n_out * OW;
        XLOOP(q, P) {
            const int r = q / W, c = q - r * W;
            const int o0 = max(0, f * (r - 3)), o1 = min(ph.n_out, f * (r + 4));
            const int c0 = max(0, f * (c - 3)), c1 = min(OW, f * (c + 4));
            double acc = 0;
            for (int o = o0; o < o1; o++) {
                const double wh = tap_weight(ph, o, r);
                if (wh == 0) continue;
                double row = 0;
                for (int oc = c0; oc < c1; oc++) {
                    const double ww = tap_weight(pw, oc, c);
                    if (ww != 0) row += ww * yp[(size_t)o * OW + oc];
                }
                acc += wh * row;
            }
            dx[(size_t)pl * P + q] += (float)acc;
        }
    }
}
static int fw_upsample(ganc_net_t *net, node_t *n, int N, int flags) {
    (void)flags;
    plan_d ph, pw;
    int rc = up_plans_d(net, n, &ph, &pw, 1);
    if (rc) return rc;
    LAUNCH2(k_up_fw, (long)ph.n_out * pw.n_out, (long)N * n->shape[0], X0(n), n->out, ph, pw, N * n->shape[0]);
    return dev_status(net, n);
}
static void bw_upsample(ganc_net_t *net, node_t *n, int N, int train, int want_pg, float *dx) {
    (void)train; (void)want_pg;
    plan_d ph, pw;
    if (up_plans_d(net, n, &ph, &pw, 0)) return;
    LAUNCH2(k_up_bw, (long)ph.n_in * pw.n_in, (long)N * n->shape[0], n->dout, dx, ph, pw, n->hp.up.factor,
            N * n->shape[0]);
}

/* ---- LSTM (lstm.c's equations and layout): cuBLAS for the input projection and each step's recurrence, a kernel
   for each step's gates; backward walks the steps in reverse the same way */
__device__ float sigm_d(float v) { return v >= 0.0f ? 1.0f / (1.0f + expf(-v)) : expf(v) / (1.0f + expf(v)); }
__global__ void k_lstm_bias(float *gates, const float *bih, const float *bhh, size_t rows, int G) {
    LOOP(i, rows * G) {
        const int k = (int)(i % G);
        gates[i] += bih[k] + bhh[k];
    }
}
__global__ void k_lstm_cell(float *gates, float *c, float *h, int N, int T, int H, int t) {
    const int G = 4 * H;
    LOOP(i, (size_t)N * H) {
        const int n = (int)(i / H), k = (int)(i - (size_t)n * H);
        float *a = gates + ((size_t)n * T + t) * G;
        const size_t at = ((size_t)n * T + t) * H;
        float ig = sigm_d(a[k]), fg = sigm_d(a[H + k]), g = tanhf(a[2 * H + k]), o = sigm_d(a[3 * H + k]);
        a[k] = ig; a[H + k] = fg; a[2 * H + k] = g; a[3 * H + k] = o;
        c[at + k] = (t > 0 ? fg * c[at - H + k] : 0.0f) + ig * g;
        h[at + k] = o * tanhf(c[at + k]);
    }
}
__global__ void k_lstm_cell_bw(const float *gates, const float *c, const float *dh_out, float *dA, const float *dh,
                               float *dc, int N, int T, int H, int t) {
    const int G = 4 * H;
    LOOP(i, (size_t)N * H) {
        const int n = (int)(i / H), k = (int)(i - (size_t)n * H);
        const float *a = gates + ((size_t)n * T + t) * G;
        const size_t at = ((size_t)n * T + t) * H;
        float *d = dA + ((size_t)n * T + t) * G;
        const float ig = a[k], fg = a[H + k], g = a[2 * H + k], o = a[3 * H + k];
        const float tc = tanhf(c[at + k]), dhk = dh_out[at + k] + dh[i];
        const float dck = dc[i] + dhk * o * (1.0f - tc * tc);
        d[k] = dck * g * ig * (1.0f - ig);
        d[H + k] = (t > 0 ? dck * c[at - H + k] : 0.0f) * fg * (1.0f - fg);
        d[2 * H + k] = dck * ig * (1.0f - g * g);
        d[3 * H + k] = dhk * tc * o * (1.0f - o);
        dc[i] = dck * fg;
    }
}
/* db[k] += the sum over rows of dA[r][k] (both biases get it); one block per k */
__global__ void k_lstm_bias_grad(const float *dA, float *dbih, float *dbhh, size_t rows, int G) {
    const int k = blockIdx.x;
    double acc = 0.0;
    for (size_t r = threadIdx.x; r < rows; r += blockDim.x) acc += dA[r * G + k];
    acc = block_sum(acc);
    if (threadIdx.x == 0) {
        if (dbih) dbih[k] += (float)acc;
        if (dbhh) dbhh[k] += (float)acc;
    }
}
static int fw_lstm(ganc_net_t *net, node_t *n, int N, int flags) {
    (void)flags;
    const int T = n->shape[0], H = n->hp.lstm.hidden, IN = n->hp.lstm.in, G = 4 * H;
    float *gates = (float *)n->aux, *cells = gates + (size_t)N * T * G, *h = n->out;
    gemm_d(0, 1, N * T, G, IN, 1.0f, X0(n), IN, op_param(net, n, 0), IN, 0.0f, gates, G);
    LAUNCH(k_lstm_bias, (size_t)N * T * G, gates, op_param(net, n, 2), op_param(net, n, 3), (size_t)N * T, G);
    for (int t = 0; t < T; t++) {
        if (t > 0)
            gemm_d(0, 1, N, G, H, 1.0f, h + (size_t)(t - 1) * H, T * H, op_param(net, n, 1), H, 1.0f,
                   gates + (size_t)t * G, T * G);
        LAUNCH(k_lstm_cell, (size_t)N * H, gates, cells, h, N, T, H, t);
    }
    return dev_status(net, n);
}
static void bw_lstm(ganc_net_t *net, node_t *n, int N, int train, int want_pg, float *dx) {
    (void)train;
    const int T = n->shape[0], H = n->hp.lstm.hidden, IN = n->hp.lstm.in, G = 4 * H;
    const float *gates = (const float *)n->aux, *cells = gates + (size_t)N * T * G, *h = n->out;
    const float *wih = op_param(net, n, 0), *whh = op_param(net, n, 1);
    float *dA = net->scr->tmp, *dh = dA + (size_t)N * T * G, *dc = dh + (size_t)N * H;
    float *dwih = op_grad(net, n, 0, want_pg), *dwhh = op_grad(net, n, 1, want_pg);
    cu_zero(dh, 2 * (size_t)N * H);
    for (int t = T - 1; t >= 0; t--) {
        LAUNCH(k_lstm_cell_bw, (size_t)N * H, gates, cells, n->dout, dA, dh, dc, N, T, H, t);
        if (t > 0) gemm_d(0, 0, N, H, G, 1.0f, dA + (size_t)t * G, T * G, whh, H, 0.0f, dh, H);
    }
    if (dwhh)
        for (int t = 1; t < T; t++)
            gemm_d(1, 0, G, H, N, 1.0f, dA + (size_t)t * G, T * G, h + (size_t)(t - 1) * H, T * H, 1.0f, dwhh, H);
    if (dwih) gemm_d(1, 0, G, IN, N * T, 1.0f, dA, G, X0(n), IN, 1.0f, dwih, IN);
    if (dx) gemm_d(0, 0, N * T, IN, G, 1.0f, dA, G, wih, IN, 1.0f, dx, IN);
    float *dbih = op_grad(net, n, 2, want_pg), *dbhh = op_grad(net, n, 3, want_pg);
    if (dbih || dbhh) LAUNCH_BT(k_lstm_bias_grad, G, red_threads((size_t)N * T), dA, dbih, dbhh, (size_t)N * T, G);
}

/* ---- losses (loss.c's formulas): per-block partial sums in double over a fixed grid, then one block adds them in
   a fixed order, so the value repeats bit for bit; the gradient is added in the same pass */
#define LOSS_BLOCKS 128
static double *d_part;
__global__ void k_loss(int kind, const float *x, const float *target, float t0, size_t n, float *grad, float k,
                       double *part) {
    double acc = 0.0;
    for (size_t i = blockIdx.x * (size_t)blockDim.x + threadIdx.x; i < n; i += (size_t)blockDim.x * gridDim.x) {
        const float v = x[i], t = target ? target[i] : t0;
        float g;
        if (kind == GANC_LOSS_BCE_LOGITS) {
            acc += (double)(v > 0.0f ? v : 0.0f) - (double)v * t + log1p(exp(-fabs((double)v)));
            g = k * (sigm_d(v) - t);
        } else if (kind == GANC_LOSS_MSE) {
            const float d = v - t;
            acc += (double)d * d;
            g = 2.0f * k * d;
        } else {
            const float d = v - t;
            acc += fabs((double)d);
            g = d > 0.0f ? k : (d < 0.0f ? -k : 0.0f);
        }
        if (grad) grad[i] += g;
    }
    acc = block_sum(acc);
    if (threadIdx.x == 0) part[blockIdx.x] = acc;
}
__global__ void k_loss_total(double *part, int nb) {
    double v = (int)threadIdx.x < nb ? part[threadIdx.x] : 0.0;
    v = block_sum(v);
    if (threadIdx.x == 0) part[LOSS_BLOCKS] = v;
}
static float cu_loss(int kind, const float *x, const float *target, float t0, size_t n, float *grad, float scale) {
    double total = 0.0;
    if (!n) return 0.0f;
    if (!d_part) ck(cudaMalloc((void **)&d_part, (LOSS_BLOCKS + 1) * sizeof(double)), "cudaMalloc");
    if (target && host_only(target) && !(target = stage(target, n))) return NAN;
    if (!d_part) return NAN;
    const size_t b = (n + TPB - 1) / TPB;
    const int nb = b < LOSS_BLOCKS ? (int)b : LOSS_BLOCKS;
    LAUNCH_BT(k_loss, nb, TPB, kind, x, target, t0, n, grad, scale / (float)n, d_part);
    LAUNCH_BT(k_loss_total, 1, LOSS_BLOCKS, d_part, nb);
    ck(cudaMemcpy(&total, d_part + LOSS_BLOCKS, sizeof total, cudaMemcpyDeviceToHost), "cudaMemcpy");
    return dev_failed ? NAN : (float)(total / (double)n);
}

/* ---- a kind without kernels here would run its CPU kernels on the managed blocks after a sync (none today) */
static int fw_host(ganc_net_t *net, node_t *n, int N, int flags) {
    cu_sync();
    int rc = ganc_backend_cpu.ops[n->kind].forward(net, n, N, flags);
    return rc ? rc : dev_status(net, n);
}
static void bw_host(ganc_net_t *net, node_t *n, int N, int train, int want_pg, float *dx) {
    cu_sync();
    ganc_backend_cpu.ops[n->kind].backward(net, n, N, train, want_pg, dx);
}
static int fw_input(ganc_net_t *net, node_t *n, int N, int flags) { (void)N; (void)flags; return dev_status(net, n); }
static void bw_none(ganc_net_t *net, node_t *n, int N, int train, int want_pg, float *dx) {
    (void)net; (void)n; (void)N; (void)train; (void)want_pg; (void)dx;
}

static void set_ops(int kind, int (*fw)(ganc_net_t *, node_t *, int, int),
                    void (*bw)(ganc_net_t *, node_t *, int, int, int, float *)) {
    cuda_ops[kind].forward = fw;
    cuda_ops[kind].backward = bw;
}
static void fill_table(void) {
    for (int k = 0; k < L_COUNT; k++) { /* names, init, flops, in-place rules and flags are the CPU table's */
        cuda_ops[k] = ganc_backend_cpu.ops[k];
        set_ops(k, fw_host, bw_host);
    }
    set_ops(L_INPUT, fw_input, bw_none);
    set_ops(L_LINEAR, fw_linear, bw_linear);
    set_ops(L_CONV, fw_conv2d, bw_conv2d);
    set_ops(L_CONVT, fw_convt, bw_convt);
    set_ops(L_BN, fw_bn, bw_bn);
    set_ops(L_RELU, fw_act, bw_act);
    set_ops(L_LRELU, fw_act, bw_act);
    set_ops(L_TANH, fw_act, bw_act);
    set_ops(L_SIGMOID, fw_act, bw_act);
    set_ops(L_PRELU, fw_prelu, bw_prelu);
    set_ops(L_MAXOUT, fw_maxout, bw_maxout);
    set_ops(L_RESHAPE, fw_reshape, bw_reshape);
    set_ops(L_CONCAT, fw_concat, bw_concat);
    set_ops(L_ADD, fw_add, bw_add);
    set_ops(L_PSHUFFLE, fw_shuffle, bw_shuffle);
    set_ops(L_AVGPOOL, fw_avgpool, bw_avgpool);
    set_ops(L_MAXPOOL, fw_maxpool, bw_maxpool);
    set_ops(L_DROPOUT, fw_dropout, bw_dropout);
    set_ops(L_EMBED, fw_embedding, bw_embedding);
    set_ops(L_LSTM, fw_lstm, bw_lstm);
    set_ops(L_UPSAMPLE, fw_upsample, bw_upsample);
}

static ganc_backend_t cuda_backend;
static char why_not[300], desc[400];

extern "C" const ganc_backend_t *ganc_backend_cuda(const char **why) {
    static int tried;
    if (!tried) {
        tried = 1;
        int count = 0, managed = 0;
        cudaError_t e = cudaGetDeviceCount(&count);
        if (e != cudaSuccess || count < 1) {
            snprintf(why_not, sizeof why_not, "no CUDA GPU found (%s)",
                     e != cudaSuccess ? cudaGetErrorString(e) : "no device");
        } else if (cudaDeviceGetAttribute(&managed, cudaDevAttrManagedMemory, 0) != cudaSuccess || !managed) {
            snprintf(why_not, sizeof why_not, "GPU 0 does not support CUDA managed memory");
        } else if (cublasCreate(&blas) != CUBLAS_STATUS_SUCCESS) {
            snprintf(why_not, sizeof why_not, "cuBLAS could not be initialised");
        } else if (cudaMalloc((void **)&d_flag, sizeof(int)) != cudaSuccess) {
            snprintf(why_not, sizeof why_not, "cannot allocate GPU memory");
        } else {
            const char *tf32 = getenv("GANC_CUDA_TF32");
            if (tf32 && !strcmp(tf32, "1")) cublasSetMathMode(blas, CUBLAS_TF32_TENSOR_OP_MATH);
            fill_table();
            cudaDeviceProp p;
            cudaGetDeviceProperties(&p, 0);
            snprintf(desc, sizeof desc, "%s (compute %d.%d, %d SMs, %.0f GiB)%s", p.name, p.major, p.minor,
                     p.multiProcessorCount, (double)p.totalGlobalMem / (1 << 30),
                     tf32 && !strcmp(tf32, "1") ? ", TF32 GEMMs" : "");
            cuda_backend.name = "cuda";
            cuda_backend.ops = cuda_ops;
            cuda_backend.alloc = cu_alloc;
            cuda_backend.release = cu_release;
            cuda_backend.sync = cu_sync;
            cuda_backend.zero = cu_zero;
            cuda_backend.copy = cu_copy;
            cuda_backend.axpy = cu_axpy;
            cuda_backend.finite = cu_finite;
            cuda_backend.optim = cu_optim;
            cuda_backend.loss = cu_loss;
            cuda_backend.col_limit = (size_t)1 << 26; /* 256 MB: fewer, larger GEMMs; the GPU has the memory */
            cuda_backend.keep_cols = (size_t)1 << 30; /* up to 1 GB of kept im2col matrices per network */
        }
    }
    if (!cuda_backend.ops) { *why = why_not; return NULL; }
    return &cuda_backend;
}

extern "C" const char *ganc_cuda_describe(void) { return desc; }
