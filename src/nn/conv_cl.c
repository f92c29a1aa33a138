/* Convolutions with a channels-last side: x or y (and dx or dy) held (N,H,W,C), as the planner chose for activations
   that only convolutions and pointwise layers touch (planner.c; SimGAN's refiner and critic). Between such layers
   no pass lays its planes out again: Winograd's 3x3 layers read and write that layout themselves (conv_winograd.c),
   and every other layer goes through im2row. Row (n, oh, ow) of R holds the patch of that output as (kh, kw, c), runs
   of C floats from a channels-last input, so Y (N*OH*OW, OC) = R Wr^T, with Wr (OC, KH*KW*C) the weights in that
   order, is the channels-last output itself; back, dWr = dY^T R and dR = dY Wr, whose rows are added back into the
   patches. A 1x1 stride-1 layer's R is its input. A side that is (N,C,H,W) with more than one channel is gathered or
   laid out on the way. Each thread owns whole images (forward, input gradient); the weight gradient is one sgemm
   over the batch: deterministic. */
#include <string.h>
#include "nn/nn.h"
#include "nn/simd.h"

/* output planes up to this many pixels take im2row channels-last: SimGAN's 8x8 and 4x4 critic layers */
enum { SMALL_OUT = 64 };

static size_t kkc(const conv_geom_t *g) { return (size_t)g->KH * g->KW * g->C; }
static size_t npix(const conv_geom_t *g) { return (size_t)g->N * g->OH * g->OW; }
static int wino(const conv_geom_t *g) { return conv_winograd_floats(g) != 0; }
static int rows_in(const conv_geom_t *g) { return g->cl_in || g->C == 1; }   /* x is (N*H*W, C) */
static int rows_out(const conv_geom_t *g) { return g->cl_out || g->OC == 1; } /* y is (N*OH*OW, OC) */
/* R is x itself */
static int pointwise(const conv_geom_t *g) {
    return g->KH == 1 && g->KW == 1 && g->s == 1 && g->ph == 0 && g->pw == 0 && rows_in(g);
}

int conv_cl_suits(const conv_geom_t *g, int side) {
    if ((side ? g->OC : g->C) == 1) return 1; /* the same memory either way */
    conv_geom_t t = *g;
    t.cl_in = side == 0;
    t.cl_out = side == 1;
    return wino(&t) || g->OH * g->OW <= SMALL_OUT;
}

/* Wr[o][(i KW + j) C + c] = w[o][c][i][j] (R's column order), or Wt, its transpose (rows of OC: the few-channel
   kernels), or back: dw[o][c][i][j] += Wr or Wt's entry */
static void reorder(const conv_geom_t *g, int transposed, const float *w, float *wr, float *dw) {
    const int KK = g->KH * g->KW;
    const size_t K = kkc(g);
#pragma omp parallel for schedule(static)
    for (int o = 0; o < g->OC; o++)
        for (int c = 0; c < g->C; c++)
            for (int ij = 0; ij < KK; ij++) {
                const size_t k = ((size_t)o * g->C + c) * KK + ij, col = (size_t)ij * g->C + c;
                const size_t r = transposed ? col * g->OC + o : (size_t)o * K + col;
                if (dw) dw[k] += wr[r];
                else wr[r] = w[k];
            }
}
/* thread t of T's images: n0 .. n0 + nn - 1 */
static int share(const conv_geom_t *g, int t, int T, int *n0) {
    *n0 = g->N * t / T;
    return g->N * (t + 1) / T - *n0;
}

/* ---- few input channels into many channels-last (SimGAN's first layers, 1 -> 32): directly, each output pixel's
   OC values in up to FEW_NV vectors over the KH*KW*C taps, rather than an sgemm of depth 9 (forward 162 -> 71 us,
   one thread, 64 images of 8x8; weight gradient 195 -> 85). Weights as Wt (KH*KW*C, OC), rows in R's order. */
enum { FEW_C = 4, FEW_NV = 4 };
static int few(const conv_geom_t *g) {
    return rows_in(g) && g->C <= FEW_C && g->cl_out && g->OC % VL == 0 && g->OC <= FEW_NV * VL;
}

INLINE void few_fw_nv(const int nv, const conv_geom_t *g, const float *x, const float *wt, const float *b, float *y,
                      int n0, int nn) {
    const int H = g->H, W = g->W, C = g->C, OC = g->OC, KH = g->KH, KW = g->KW, s = g->s, ph = g->ph, pw = g->pw;
    vf bias[FEW_NV];
    for (int v = 0; v < nv; v++) bias[v] = b ? vld(b + v * VL) : (vf){0};
    for (int n = n0; n < n0 + nn; n++)
        for (int oh = 0; oh < g->OH; oh++)
            for (int ow = 0; ow < g->OW; ow++) {
                vf acc[FEW_NV];
                for (int v = 0; v < nv; v++) acc[v] = bias[v];
                for (int i = 0; i < KH; i++) {
                    const int ih = oh * s - ph + i;
                    if (ih < 0 || ih >= H) continue;
                    const float *xr = x + ((size_t)n * H + ih) * W * C;
                    for (int j = 0; j < KW; j++) {
                        const int iw = ow * s - pw + j;
                        if (iw < 0 || iw >= W) continue;
                        const float *xp = xr + (size_t)iw * C, *wk = wt + (size_t)(i * KW + j) * C * OC;
                        for (int c = 0; c < C; c++)
                            for (int v = 0; v < nv; v++) acc[v] += xp[c] * vld(wk + c * OC + v * VL);
                    }
                }
                float *yp = y + (((size_t)n * g->OH + oh) * g->OW + ow) * OC;
                for (int v = 0; v < nv; v++) vst(yp + v * VL, acc[v]);
            }
}
static void few_forward(const conv_geom_t *g, const float *x, const float *w, const float *b, float *y, float *wt) {
    reorder(g, 1, w, wt, NULL);
    const int T = par_threads();
#pragma omp parallel for schedule(static) num_threads(T)
    for (int t = 0; t < T; t++) {
        int n0;
        const int nn = share(g, t, T, &n0);
        switch (g->OC / VL) {
        case 1: few_fw_nv(1, g, x, wt, b, y, n0, nn); break;
        case 2: few_fw_nv(2, g, x, wt, b, y, n0, nn); break;
        case 3: few_fw_nv(3, g, x, wt, b, y, n0, nn); break;
        default: few_fw_nv(4, g, x, wt, b, y, n0, nn); break;
        }
    }
}

/* dWt[k] = sum over the batch, in order, of x at tap k times dY: one task per tap, whichever thread runs it */
INLINE void few_dw_nv(const int nv, const conv_geom_t *g, const float *x, const float *dy, int k, float *dwt) {
    const int ij = k / g->C, c = k % g->C, i = ij / g->KW, j = ij % g->KW;
    int lo, hi;
    conv_valid_range(g->W, g->OW, g->s, g->pw, j, &lo, &hi);
    vf acc[FEW_NV] = {0};
    for (int n = 0; n < g->N; n++)
        for (int oh = 0; oh < g->OH; oh++) {
            const int ih = oh * g->s - g->ph + i;
            if (ih < 0 || ih >= g->H) continue;
            const float *xr = x + ((size_t)n * g->H + ih) * g->W * g->C + c;
            const float *dr = dy + ((size_t)n * g->OH + oh) * g->OW * g->OC;
            for (int ow = lo; ow < hi; ow++) {
                const float xv = xr[(size_t)(ow * g->s - g->pw + j) * g->C];
                for (int v = 0; v < nv; v++) acc[v] += xv * vld(dr + (size_t)ow * g->OC + v * VL);
            }
        }
    for (int v = 0; v < nv; v++) vst(dwt + (size_t)k * g->OC + v * VL, acc[v]);
}
static void few_dw(const conv_geom_t *g, const float *x, const float *dy, float *dw, float *dwt) {
    const int K = (int)kkc(g);
#pragma omp parallel for schedule(static)
    for (int k = 0; k < K; k++) switch (g->OC / VL) {
        case 1: few_dw_nv(1, g, x, dy, k, dwt); break;
        case 2: few_dw_nv(2, g, x, dy, k, dwt); break;
        case 3: few_dw_nv(3, g, x, dy, k, dwt); break;
        default: few_dw_nv(4, g, x, dy, k, dwt); break;
        }
    reorder(g, 1, NULL, dwt, dw);
}

/* the scratch: R (unless x), Wr, dWr, then dY or Y as (N*OH*OW, OC) when y is not */
static size_t r_floats(const conv_geom_t *g) { return pointwise(g) ? 0 : npix(g) * kkc(g); }
size_t conv_cl_floats(const conv_geom_t *g) {
    if (wino(g)) return conv_winograd_floats(g);
    return r_floats(g) + 2 * (size_t)g->OC * kkc(g) + (rows_out(g) ? 0 : npix(g) * g->OC);
}

/* the C values at (n, ih, iw) of x and how far apart they are */
static size_t pixel(const conv_geom_t *g, int n, int ih, int iw, size_t *step) {
    *step = rows_in(g) ? 1 : (size_t)g->H * g->W;
    return rows_in(g) ? (((size_t)n * g->H + ih) * g->W + iw) * g->C : ((size_t)n * g->C * g->H + ih) * g->W + iw;
}

/* R's rows of images n0 .. n0 + nn - 1 (R indexed over the whole batch), or back: x += those rows' patches */
static void patches(const conv_geom_t *g, int n0, int nn, const float *x, float *R, float *dx) {
    const size_t K = kkc(g);
    for (int n = n0; n < n0 + nn; n++)
        for (int oh = 0; oh < g->OH; oh++)
            for (int ow = 0; ow < g->OW; ow++) {
                float *r = R + (((size_t)n * g->OH + oh) * g->OW + ow) * K;
                for (int i = 0; i < g->KH; i++)
                    for (int j = 0; j < g->KW; j++, r += g->C) {
                        const int ih = oh * g->s - g->ph + i, iw = ow * g->s - g->pw + j;
                        const int in = ih >= 0 && ih < g->H && iw >= 0 && iw < g->W;
                        if (!in) {
                            for (int c = 0; c < g->C && !dx; c++) r[c] = 0.0f;
                            continue;
                        }
                        size_t st;
                        const size_t p = pixel(g, n, ih, iw, &st);
                        if (dx && st == 1)
                            for (int c = 0; c < g->C; c++) dx[p + c] += r[c];
                        else if (dx)
                            for (int c = 0; c < g->C; c++) dx[p + c * st] += r[c];
                        else if (st == 1)
                            for (int c = 0; c < g->C; c++) r[c] = x[p + c];
                        else
                            for (int c = 0; c < g->C; c++) r[c] = x[p + c * st];
                    }
            }
}

/* (N*P, OC) rows <-> (N, OC, P) planes of images n0.. n0 + nn - 1; to_planes: planes =, else rows = */
static void relayout(const conv_geom_t *g, int n0, int nn, float *rows, float *planes, int to_planes) {
    const size_t P = (size_t)g->OH * g->OW;
    for (int n = n0; n < n0 + nn; n++)
        for (int o = 0; o < g->OC; o++)
            for (size_t p = 0; p < P; p++) {
                float *a = rows + ((size_t)n * P + p) * g->OC + o, *b = planes + ((size_t)n * g->OC + o) * P + p;
                if (to_planes) *b = *a;
                else *a = *b;
            }
}

void conv_cl_forward(const conv_geom_t *g, const float *x, const float *w, const float *b, float *y, float *col) {
    if (wino(g)) { /* the planner gave it Winograd's workspace (conv_cl_floats) */
        conv_winograd_forward(g, x, w, b, y, col, g->ws);
        return;
    }
    const size_t K = kkc(g), P = (size_t)g->OH * g->OW;
    float *R = pointwise(g) ? (float *)x : col, *wr = col + r_floats(g), *Y = rows_out(g) ? y : wr + 2 * g->OC * K;
    if (few(g)) {
        few_forward(g, x, w, b, y, wr);
        return;
    }
    reorder(g, 0, w, wr, NULL);
    const int T = par_threads();
#pragma omp parallel for schedule(static) num_threads(T)
    for (int t = 0; t < T; t++) {
        int n0;
        const int nn = share(g, t, T, &n0);
        if (!nn) continue;
        if (!pointwise(g)) patches(g, n0, nn, x, R, NULL);
        float *yr = Y + (size_t)n0 * P * g->OC;
        gemm(0, 1, nn * (int)P, g->OC, (int)K, 1.0f, R + (size_t)n0 * P * K, (int)K, wr, (int)K, 0.0f, yr, g->OC);
        for (size_t r = 0; b && r < nn * P; r++)
            for (int o = 0; o < g->OC; o++) yr[r * g->OC + o] += b[o];
        if (!rows_out(g)) relayout(g, n0, nn, Y, y, 1);
    }
}

void conv_cl_backward(const conv_geom_t *g, const float *x, const float *w, const float *dy, float *dx, float *dw,
                      float *col) {
    if (wino(g)) {
        if (dw) conv_winograd_dw(g, x, dy, dw, col, g->ws);
        if (dx) conv_winograd_dx(g, w, dy, dx, col, g->ws);
        return;
    }
    const size_t K = kkc(g), P = (size_t)g->OH * g->OW, NP = npix(g);
    float *R = pointwise(g) ? (float *)x : col, *wr = col + r_floats(g), *dwr = wr + g->OC * K, *dY = (float *)dy;
    const int T = par_threads();
    if (!rows_out(g)) { /* dY as rows */
        dY = dwr + g->OC * K;
#pragma omp parallel for schedule(static) num_threads(T)
        for (int t = 0; t < T; t++) {
            int n0;
            const int nn = share(g, t, T, &n0);
            relayout(g, n0, nn, dY, (float *)dy, 0);
        }
    }
    if (dw && few(g)) {
        few_dw(g, x, dY, dw, dwr);
    } else if (dw) {
#pragma omp parallel for schedule(static) num_threads(T)
        for (int t = 0; t < T; t++) {
            int n0;
            const int nn = share(g, t, T, &n0);
            if (!pointwise(g)) patches(g, n0, nn, x, R, NULL);
        }
        gemm(1, 0, g->OC, (int)K, (int)NP, 1.0f, dY, g->OC, R, (int)K, 0.0f, dwr, (int)K); /* dWr = dY^T R */
        reorder(g, 0, NULL, dwr, dw);
    }
    if (!dx) return;
    reorder(g, 0, w, wr, NULL);
    const int direct = pointwise(g); /* dx (rows) is dR */
#pragma omp parallel for schedule(static) num_threads(T)
    for (int t = 0; t < T; t++) {
        int n0;
        const int nn = share(g, t, T, &n0);
        if (!nn) continue;
        float *dr = (direct ? dx : R) + (size_t)n0 * P * K;
        gemm(0, 0, nn * (int)P, (int)K, g->OC, 1.0f, dY + (size_t)n0 * P * g->OC, g->OC, wr, (int)K,
             direct ? 1.0f : 0.0f, dr, (int)K); /* dR = dY Wr */
        if (!direct) patches(g, n0, nn, NULL, R, dx);
    }
}
