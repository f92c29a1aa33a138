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

/* the scratch: R (unless x), Wr, dWr, then dY or Y as (N*OH*OW, OC) when y is not */
static size_t r_floats(const conv_geom_t *g) { return pointwise(g) ? 0 : npix(g) * kkc(g); }
size_t conv_cl_floats(const conv_geom_t *g) {
    if (wino(g)) return conv_winograd_floats(g);
    return r_floats(g) + 2 * (size_t)g->OC * kkc(g) + (rows_out(g) ? 0 : npix(g) * g->OC);
}

/* Wr[o][(i KW + j) C + c] = w[o][c][i][j], or back: dw[o][c][i][j] += Wr[...] */
static void reorder(const conv_geom_t *g, const float *w, float *wr, float *dw) {
    const int KK = g->KH * g->KW;
#pragma omp parallel for schedule(static)
    for (int o = 0; o < g->OC; o++)
        for (int c = 0; c < g->C; c++)
            for (int ij = 0; ij < KK; ij++) {
                const size_t k = ((size_t)o * g->C + c) * KK + ij, r = (size_t)o * kkc(g) + (size_t)ij * g->C + c;
                if (dw) dw[k] += wr[r];
                else wr[r] = w[k];
            }
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
                            if (!dx) memset(r, 0, sizeof(float) * g->C);
                            continue;
                        }
                        size_t st;
                        const size_t p = pixel(g, n, ih, iw, &st);
                        if (dx)
                            for (int c = 0; c < g->C; c++) dx[p + c * st] += r[c];
                        else if (st == 1)
                            memcpy(r, x + p, sizeof(float) * g->C);
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

/* thread t of T's images: n0 .. n0 + nn - 1 */
static int share(const conv_geom_t *g, int t, int T, int *n0) {
    *n0 = g->N * t / T;
    return g->N * (t + 1) / T - *n0;
}

void conv_cl_forward(const conv_geom_t *g, const float *x, const float *w, const float *b, float *y, float *col) {
    if (wino(g)) { /* the planner gave it Winograd's workspace (conv_cl_floats) */
        conv_winograd_forward(g, x, w, b, y, col, g->ws);
        return;
    }
    const size_t K = kkc(g), P = (size_t)g->OH * g->OW;
    float *R = pointwise(g) ? (float *)x : col, *wr = col + r_floats(g), *Y = rows_out(g) ? y : wr + 2 * g->OC * K;
    reorder(g, w, wr, NULL);
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
    if (dw) {
#pragma omp parallel for schedule(static) num_threads(T)
        for (int t = 0; t < T; t++) {
            int n0;
            const int nn = share(g, t, T, &n0);
            if (!pointwise(g)) patches(g, n0, nn, x, R, NULL);
        }
        gemm(1, 0, g->OC, (int)K, (int)NP, 1.0f, dY, g->OC, R, (int)K, 0.0f, dwr, (int)K); /* dWr = dY^T R */
        reorder(g, NULL, dwr, dw);
    }
    if (!dx) return;
    reorder(g, w, wr, NULL);
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
