/* Conv2d (PyTorch layout: w (OC,C,KH,KW)) as im2col + one sgemm over the whole batch (on small planes, each thread
   its own images: fw_images, dx_images); 3x3 stride-1 layers by
   Winograd (conv_winograd.c: forward, input and weight gradients); directly for few output channels or large
   kernels (conv_direct.c), or through the DFT for large kernels between many channels when the planner gave the
   layer the workspace (conv_dft.c). The scratch `col` holds C*KH*KW*N*OH*OW floats (or g->ws), which is also the
   Winograd workspace. */
#include <string.h>
#include "nn/nn.h"
#include "nn/simd.h"

static void bias_grad(const float *dy, float *db, int N, int C, size_t P) {
#pragma omp parallel for schedule(static)
    for (int c = 0; c < C; c++) {
        double acc = 0.0;
        for (int n = 0; n < N; n++) acc += plane_sum(dy + ((size_t)n * C + c) * P, P);
        db[c] += (float)acc;
    }
}

/* the same over dY channels-last, (N*P, C): per channel, each image's sum in float, then in double; VL channels to
   a vector */
static void bias_grad_rows(const float *dy, float *db, int N, int C, size_t P) {
    const int nb = (C + VL - 1) / VL;
#pragma omp parallel for schedule(static)
    for (int b = 0; b < nb; b++) {
        const int c0 = b * VL, nc = C - c0 < VL ? C - c0 : VL;
        double acc[VL] = {0};
        for (int n = 0; n < N; n++) {
            float s[VL] = {0};
            for (size_t p = 0; p < P; p++) {
                const float *r = dy + ((size_t)n * P + p) * C + c0;
                if (nc == VL) vst(s, vld(s) + vld(r));
                else for (int l = 0; l < nc; l++) s[l] += r[l];
            }
            for (int l = 0; l < nc; l++) acc[l] += s[l];
        }
        for (int l = 0; l < nc; l++) db[c0 + l] += (float)acc[l];
    }
}

static void add_bias(float *y, const float *b, int N, int C, size_t P) {
#pragma omp parallel for schedule(static)
    for (int c = 0; c < C; c++)
        for (int n = 0; n < N; n++) {
            float *d = y + ((size_t)n * C + c) * P;
            for (size_t q = 0; q < P; q++) d[q] += b[c];
        }
}

/* ---- few output channels (an image generator's last layer): a direct convolution. Stride 1 goes to the register
   tiles of conv_direct.c; these loops are the rest (strided, kernels over 16, planes under 8 wide, and weight
   gradients whose OC x KW accumulators would not fit the registers). Through im2col it is a GEMM of
   OC <= 4 rows over a C*KH*KW x N*OH*OW matrix built for it: a pass of memory per multiply-add (2.7 GFLOP/s
   measured for LAPGAN's 32 -> 1 5x5 layer). Each thread owns whole output (forward, dW) or input (dx) planes, and
   every sum runs in one fixed order: deterministic for any thread count. */
#define DIRECT_MAX_OC 4

/* a 1x1 kernel, stride 1, no padding: every plane is one run of OH*OW values (SimGAN's 1x1 -> 1 layers on 8x8 and
   4x4 planes went row by row, 8 or 4 values at a time) */
static int pointwise(const conv_geom_t *g) {
    return g->KH == 1 && g->KW == 1 && g->s == 1 && g->ph == 0 && g->pw == 0;
}
/* few outputs of a 1x1 kernel: the loops below, which run over whole planes, rather than conv_direct.c's register
   tiles (SimGAN's 8x8 32 -> 1 tail: forward 0.15 -> 0.03 ms per step) */
static int few_pointwise(const conv_geom_t *g) { return pointwise(g) && g->OC <= DIRECT_MAX_OC; }

static void direct_fw(const conv_geom_t *g, const float *x, const float *w, float *y) {
    const size_t HW = (size_t)g->H * g->W, P = (size_t)g->OH * g->OW;
#pragma omp parallel for schedule(static)
    for (int no = 0; no < g->N * g->OC; no++) {
        const int n = no / g->OC, o = no % g->OC;
        float *yo = y + (size_t)no * P;
        memset(yo, 0, sizeof(float) * P);
        for (int c = 0; c < g->C && pointwise(g); c++) {
            const float wv = w[(size_t)o * g->C + c], *xc = x + ((size_t)n * g->C + c) * HW;
            for (size_t q = 0; q < P; q++) yo[q] += wv * xc[q];
        }
        for (int c = 0; c < g->C && !pointwise(g); c++)
            for (int i = 0; i < g->KH; i++)
                for (int j = 0; j < g->KW; j++) {
                    const float wv = w[(((size_t)o * g->C + c) * g->KH + i) * g->KW + j];
                    const float *xc = x + ((size_t)n * g->C + c) * HW;
                    const int off = j - g->pw;
                    int lo, hi;
                    conv_valid_range(g->W, g->OW, g->s, g->pw, j, &lo, &hi);
                    for (int oh = 0; oh < g->OH; oh++) {
                        const int ih = oh * g->s - g->ph + i;
                        if (ih < 0 || ih >= g->H) continue;
                        const float *xr = xc + (size_t)ih * g->W;
                        float *yr = yo + (size_t)oh * g->OW;
                        for (int ow = lo; ow < hi; ow++) yr[ow] += wv * xr[ow * g->s + off];
                    }
                }
    }
}

/* dx += the adjoint; dw += sum over the batch (row sums in float lanes, then in double) */
static void direct_bw(const conv_geom_t *g, const float *x, const float *w, const float *dy, float *dx, float *dw) {
    const size_t HW = (size_t)g->H * g->W, P = (size_t)g->OH * g->OW;
    const int KK = g->KH * g->KW;
    if (dx) {
#pragma omp parallel for schedule(static)
        for (int nc = 0; nc < g->N * g->C; nc++) {
            const int n = nc / g->C, c = nc % g->C;
            float *dxc = dx + (size_t)nc * HW;
            for (int o = 0; o < g->OC && pointwise(g); o++) {
                const float wv = w[(size_t)o * g->C + c], *dyo = dy + ((size_t)n * g->OC + o) * P;
                for (size_t q = 0; q < P; q++) dxc[q] += wv * dyo[q];
            }
            for (int o = 0; o < g->OC && !pointwise(g); o++)
                for (int i = 0; i < g->KH; i++)
                    for (int j = 0; j < g->KW; j++) {
                        const float wv = w[((size_t)o * g->C + c) * KK + i * g->KW + j];
                        const float *dyo = dy + ((size_t)n * g->OC + o) * P;
                        const int off = j - g->pw;
                        int lo, hi;
                        conv_valid_range(g->W, g->OW, g->s, g->pw, j, &lo, &hi);
                        for (int oh = 0; oh < g->OH; oh++) {
                            const int ih = oh * g->s - g->ph + i;
                            if (ih < 0 || ih >= g->H) continue;
                            float *dxr = dxc + (size_t)ih * g->W;
                            const float *dyr = dyo + (size_t)oh * g->OW;
                            for (int ow = lo; ow < hi; ow++) dxr[ow * g->s + off] += wv * dyr[ow];
                        }
                    }
        }
    }
    if (!dw) return;
#pragma omp parallel for schedule(static)
    for (int r = 0; r < g->OC * g->C * KK; r++) {
        const int o = r / (g->C * KK), c = r / KK % g->C, i = r % KK / g->KW, j = r % g->KW, off = j - g->pw;
        int lo, hi;
        conv_valid_range(g->W, g->OW, g->s, g->pw, j, &lo, &hi);
        double acc = 0.0;
        for (int n = 0; n < g->N && pointwise(g); n++)
            acc += plane_dot(x + ((size_t)n * g->C + c) * HW, dy + ((size_t)n * g->OC + o) * P, P);
        for (int n = 0; n < g->N && !pointwise(g); n++) {
            const float *xc = x + ((size_t)n * g->C + c) * HW, *dyo = dy + ((size_t)n * g->OC + o) * P;
            float lane[64] = {0}; /* partial sums of this image by column within blocks of 64 (vectorisable) */
            for (int oh = 0; oh < g->OH; oh++) {
                const int ih = oh * g->s - g->ph + i;
                if (ih < 0 || ih >= g->H) continue;
                const float *xr = xc + (size_t)ih * g->W, *dyr = dyo + (size_t)oh * g->OW;
                for (int b0 = lo; b0 < hi; b0 += 64) {
                    const int m = hi - b0 < 64 ? hi - b0 : 64;
                    if (g->s == 1)
                        for (int t = 0; t < m; t++) lane[t] += dyr[b0 + t] * xr[b0 + t + off];
                    else
                        for (int t = 0; t < m; t++) lane[t] += dyr[b0 + t] * xr[(b0 + t) * g->s + off];
                }
            }
            for (int l = 0; l < 64; l++) acc += lane[l];
        }
        dw[r] += (float)acc;
    }
}

/* the floats of the scratch `col`: the layer's own planned workspace, else its im2col matrix */
static size_t col_floats(const conv_geom_t *g) {
    return g->ws ? g->ws : (size_t)g->C * g->KH * g->KW * g->N * g->OH * g->OW;
}

/* a kernel that covers the whole unpadded input (a critic's 4x4 -> 1x1 head) is a linear layer over C*KH*KW */
static int full_plane(const conv_geom_t *g) {
    return g->OH == 1 && g->OW == 1 && g->ph == 0 && g->pw == 0 && g->KH == g->H && g->KW == g->W;
}

/* whether any pass of this conv2d uses the col/tmp scratch (not: few outputs, or a kernel over the whole input) */
int conv2d_uses_scratch(const conv_geom_t *g) { return !(g->OC <= DIRECT_MAX_OC || full_plane(g)); }

/* Small planes (up to SMALL_P outputs: SimGAN's critic) through im2col: each thread its own images, im2col, sgemm
   and copy back in one parallel region, not three, each a few tens of microseconds long (the critic's layers ran
   1.2-1.5x faster on 2 threads than on 1). The sgemm per column does not depend on how the columns are split. */
enum { SMALL_P = 256 };
static int by_images(const conv_geom_t *g) { return g->OH * g->OW <= SMALL_P && g->N >= 2 * par_threads(); }

static void fw_images(const conv_geom_t *g, const float *x, const float *w, float *y, float *col, float *tmp) {
    const int CKK = g->C * g->KH * g->KW, P = g->OH * g->OW, T = par_threads();
#pragma omp parallel for schedule(static) num_threads(T)
    for (int t = 0; t < T; t++) {
        const int n0 = g->N * t / T, nn = g->N * (t + 1) / T - n0;
        float *c = col + (size_t)CKK * P * n0, *m = tmp + (size_t)g->OC * P * n0;
        im2col(x + (size_t)n0 * g->C * g->H * g->W, nn, g->C, g->H, g->W, g->KH, g->KW, g->s, g->ph, g->pw, g->OH,
               g->OW, c);
        gemm(0, 0, g->OC, nn * P, CKK, 1.0f, w, CKK, c, nn * P, 0.0f, m, nn * P);
        cnp_to_nchw_add(m, nn, g->OC, P, y + (size_t)n0 * g->OC * P, 0);
    }
}

/* dx += W^T dY' back through col2im, each thread its own images; dY' (OC, N*P) whole */
static void dx_images(const conv_geom_t *g, const float *w, const float *dyc, float *dx, float *col) {
    const int CKK = g->C * g->KH * g->KW, P = g->OH * g->OW, T = par_threads();
#pragma omp parallel for schedule(static) num_threads(T)
    for (int t = 0; t < T; t++) {
        const int n0 = g->N * t / T, nn = g->N * (t + 1) / T - n0;
        float *c = col + (size_t)CKK * P * n0;
        gemm(1, 0, CKK, nn * P, g->OC, 1.0f, w, CKK, dyc + (size_t)n0 * P, g->N * P, 0.0f, c, nn * P);
        col2im(c, nn, g->C, g->H, g->W, g->KH, g->KW, g->s, g->ph, g->pw, g->OH, g->OW,
               dx + (size_t)n0 * g->C * g->H * g->W);
    }
}

// x (N,C,H,W) -> y (N,OC,OH,OW)
void conv2d_forward(const conv_geom_t *g, const float *x, const float *w, const float *b, float *y, float *col,
                    float *tmp) {
    const int CKK = g->C * g->KH * g->KW, P = g->OH * g->OW, NP = g->N * P;
    const size_t ws = col_floats(g);
    if (g->cl_in || g->cl_out) {
        conv_cl_forward(g, x, w, b, y, col);
        return; /* with the bias */
    } else if (full_plane(g)) {
        gemm(0, 1, g->N, g->OC, CKK, 1.0f, x, CKK, w, CKK, 0.0f, y, g->OC); /* (N,CKK)(CKK,OC) */
    } else if (conv_dft_threads(g, g->ws)) {
        conv_dft_forward(g, x, w, y, col, g->ws);
    } else if (conv_direct_ok(g) && !few_pointwise(g)) {
        conv_direct_forward(g, x, w, y, conv2d_uses_scratch(g) ? col : NULL, ws);
    } else if (g->OC <= DIRECT_MAX_OC) {
        direct_fw(g, x, w, y);
    } else if (conv_winograd_ok(g, ws)) {
        conv_winograd_forward(g, x, w, b, y, col, ws);
        return; /* with the bias */
    } else if (conv_s2d_ok(g, ws)) {
        conv_s2d_forward(g, x, w, y, col, ws);
    } else if (by_images(g)) {
        fw_images(g, x, w, y, col, tmp);
    } else {
        im2col(x, g->N, g->C, g->H, g->W, g->KH, g->KW, g->s, g->ph, g->pw, g->OH, g->OW, col);
        gemm(0, 0, g->OC, NP, CKK, 1.0f, w, CKK, col, NP, 0.0f, tmp, NP); /* (OC,CKK)(CKK,NP) */
        cnp_to_nchw_add(tmp, g->N, g->OC, P, y, 0);
    }
    if (b) add_bias(y, b, g->N, g->OC, P);
}

void conv2d_backward(const conv_geom_t *g, const float *x, const float *w, const float *dy, float *dx, float *dw,
                     float *db, float *col, float *tmp) {
    const int CKK = g->C * g->KH * g->KW, P = g->OH * g->OW, NP = g->N * P;
    if (db) (g->cl_out ? bias_grad_rows : bias_grad)(dy, db, g->N, g->OC, P);
    if (!dw && !dx) return;
    if (g->cl_in || g->cl_out) {
        conv_cl_backward(g, x, w, dy, dx, dw, col);
        return;
    }
    if (full_plane(g)) {
        if (dw) gemm(1, 0, g->OC, CKK, g->N, 1.0f, dy, g->OC, x, CKK, 1.0f, dw, CKK); /* dW += dY^T X */
        if (dx) gemm(0, 0, g->N, CKK, g->OC, 1.0f, dy, g->OC, w, CKK, 1.0f, dx, CKK);  /* dX += dY W */
        return;
    }
    if (g->OC <= DIRECT_MAX_OC) {
        const int fast_dx = dx && conv_direct_ok(g) && !few_pointwise(g), fast_dw = dw && conv_direct_dw_ok(g);
        if (fast_dx) conv_direct_dx(g, w, dy, dx, NULL, 0);
        if (fast_dw) conv_direct_dw(g, x, dy, dw);
        direct_bw(g, x, w, dy, fast_dx ? NULL : dx, fast_dw ? NULL : dw);
        return;
    }
    const size_t ws = col_floats(g);
    if (conv_dft_threads(g, g->ws)) {
        conv_dft_backward(g, x, w, dy, dx, dw, col, g->ws);
        return;
    }
    if (conv_s2d_ok(g, ws)) {
        conv_s2d_backward(g, x, w, dy, dx, dw, col, ws);
        return;
    }
    const int wino = conv_winograd_ok(g, ws), direct = !wino && conv_direct_ok(g);
    if (dw && wino && !conv_winograd_dw(g, x, dy, dw, col, ws)) dw = NULL; /* done */
    const size_t wide = dw && direct ? conv_direct_dw_wide_floats(g) : 0;
    if (wide && wide <= ws) {
        conv_direct_dw_wide(g, x, dy, dw, col);
        dw = NULL;
    }
    if (dw || !(wino || direct)) nchw_to_cnp(dy, g->N, g->OC, P, tmp); /* dY' (OC,NP) */
    if (dw) {
        im2col(x, g->N, g->C, g->H, g->W, g->KH, g->KW, g->s, g->ph, g->pw, g->OH, g->OW, col);
        gemm(0, 1, g->OC, CKK, NP, 1.0f, tmp, NP, col, NP, 1.0f, dw, CKK); /* dW += dY' col^T */
    }
    if (dx && wino) {
        conv_winograd_dx(g, w, dy, dx, col, ws); /* col is free again after dW */
    } else if (dx && direct) {
        conv_direct_dx(g, w, dy, dx, col, ws); /* col is free again after dW */
    } else if (dx && by_images(g)) {
        dx_images(g, w, tmp, dx, col);
    } else if (dx) {
        gemm(1, 0, CKK, NP, g->OC, 1.0f, w, CKK, tmp, NP, 0.0f, col, NP); /* dcol = W^T dY' */
        col2im(col, g->N, g->C, g->H, g->W, g->KH, g->KW, g->s, g->ph, g->pw, g->OH, g->OW, dx);
    }
}

/* ConvTranspose2d (PyTorch layout: w (C,OC,KH,KW)): the adjoint of a conv from (OC,OH,OW) to (C,H,W). */
void convt2d_forward(const conv_geom_t *g, const float *x, const float *w, const float *b, float *y, float *col,
                     float *tmp) {
    const int OKK = g->OC * g->KH * g->KW, P = g->H * g->W, NP = g->N * P;
    nchw_to_cnp(x, g->N, g->C, P, tmp);                                /* X' (C,NP) */
    gemm(1, 0, OKK, NP, g->C, 1.0f, w, OKK, tmp, NP, 0.0f, col, NP);   /* col = W^T X' */
    memset(y, 0, sizeof(float) * (size_t)g->N * g->OC * g->OH * g->OW);
    col2im(col, g->N, g->OC, g->OH, g->OW, g->KH, g->KW, g->s, g->ph, g->pw, g->H, g->W, y);
    if (b) add_bias(y, b, g->N, g->OC, (size_t)g->OH * g->OW);
}

void convt2d_backward(const conv_geom_t *g, const float *x, const float *w, const float *dy, float *dx, float *dw,
                      float *db, float *col, float *tmp) {
    const int OKK = g->OC * g->KH * g->KW, P = g->H * g->W, NP = g->N * P;
    if (db) bias_grad(dy, db, g->N, g->OC, (size_t)g->OH * g->OW);
    if (!dw && !dx) return;
    im2col(dy, g->N, g->OC, g->OH, g->OW, g->KH, g->KW, g->s, g->ph, g->pw, g->H, g->W, col); /* (OKK,NP) */
    if (dx) {
        gemm(0, 0, g->C, NP, OKK, 1.0f, w, OKK, col, NP, 0.0f, tmp, NP); /* dX' = W col */
        cnp_to_nchw_add(tmp, g->N, g->C, P, dx, 1);
    }
    if (dw) {
        nchw_to_cnp(x, g->N, g->C, P, tmp);
        gemm(0, 1, g->C, OKK, NP, 1.0f, tmp, NP, col, NP, 1.0f, dw, OKK); /* dW += X' col^T */
    }
}
