/* The convolution paths against a plain sum in double, for the forward, the input gradient (added to what dx holds)
   and the weight gradient (added to what dw holds):
   - direct stride-1 (conv_direct.c: register tiles), on shapes that reach its edges: several column tiles and row
     blocks that do not divide the plane, kernels from 1x1 to 9x9 and non-square, padding from none to more than half
     the kernel, 1 to 4 output channels, and 5x5/7x7 kernels with more outputs than one block (weight gradients by
     GEMM, or from few channels with the input padded once);
   - the plain loops of conv2d.c that narrow planes keep, and the GEMM of a kernel that covers the whole input;
   - im2col + GEMM, strided and narrow (im2col's offset tables) and wide (its row copies); im2col and col2im
     themselves against their definition, with col2im's one-pass rows for 4-wide stride-2 kernels;
   - Winograd F(2x2,3x3) and F(4x4,3x3) (conv_winograd.c, all three): odd and even sizes, padding 0 to 2, tile rows
     longer than a block, blocks that span images, a layer whose forward and input gradient take different tiles;
   - through the DFT (conv_dft.c, all three): odd and even tori, non-square kernels and planes, padding from none to
     more than half the kernel, batches that fill some vector lanes of a group and not others;
   - 5x5 stride 2 over the input's phases (conv_s2d.c, all three): even planes, square and not, from 2 channels up;
   - with x or y channels-last (conv_cl.c, all three): Winograd reading and writing that layout itself, odd planes
     (tiles over the edge) and padding 0 to 2; im2row + GEMM, strided, 1x1 (x is R), one channel in or out, a
     planar side with several channels gathered or laid out; directly from few channels. */
#include <math.h>
#include <stdio.h>
#include <stdlib.h>
#include "nn/nn.h"
#include "testutil.h"

static float *rnd(size_t n, unsigned *s) {
    float *p = malloc(n * sizeof(float));
    if (!p) abort();
    for (size_t i = 0; i < n; i++) {
        *s = *s * 1103515245u + 12345u;
        p[i] = (float)((*s >> 8) & 0xffff) / 32768.0f - 1.0f;
    }
    return p;
}

static double xat(const conv_geom_t *g, const float *x, int n, int c, int ih, int iw) {
    return ih < 0 || ih >= g->H || iw < 0 || iw >= g->W ? 0.0 : x[(((size_t)n * g->C + c) * g->H + ih) * g->W + iw];
}

/* the three passes through conv2d's own choice of path */
static void run_conv2d(const conv_geom_t *g, const float *x, const float *w, const float *dy, float *y, float *dx,
                       float *dw) {
    /* no scratch at all where conv2d_uses_scratch says none is needed (the planner reserves none): a path that
       touched it would crash here */
    const int scratch = conv2d_uses_scratch(g);
    const size_t ncol = (size_t)g->C * g->KH * g->KW * g->N * g->OH * g->OW;
    float *col = scratch ? malloc(sizeof(float) * (g->ws > ncol ? g->ws : ncol)) : NULL;
    float *tmp = scratch ? malloc(sizeof(float) * (size_t)g->N * g->OC * g->OH * g->OW) : NULL;
    if (scratch && (!col || !tmp)) abort();
    conv2d_forward(g, x, w, NULL, y, col, tmp);
    conv2d_backward(g, x, w, dy, dx, dw, NULL, col, tmp);
    free(col); free(tmp);
}

/* the three passes by Winograd with a workspace of g->ws floats (shapes too small for the im2col scratch) */
static void run_winograd(const conv_geom_t *g, const float *x, const float *w, const float *dy, float *y, float *dx,
                         float *dw) {
    float *ws = malloc(sizeof(float) * g->ws);
    if (!ws) abort();
    conv_winograd_forward(g, x, w, NULL, y, ws, g->ws);
    conv_winograd_dx(g, w, dy, dx, ws, g->ws);
    if (conv_winograd_dw(g, x, dy, dw, ws, g->ws)) abort();
    free(ws);
}

/* (N, C, P) <-> (N, P, C) */
static void to_cl(const float *a, float *b, int N, int C, int P, int back) {
    for (int n = 0; n < N; n++)
        for (int c = 0; c < C; c++)
            for (int p = 0; p < P; p++) {
                const size_t pl = ((size_t)n * C + c) * P + p, cl = ((size_t)n * P + p) * C + c;
                if (back) b[pl] = a[cl];
                else b[cl] = a[pl];
            }
}
/* the three passes through conv2d with the sides g->cl_in, g->cl_out channels-last (laid out here, and back) and
   the workspace conv_cl_floats asks for */
static void run_cl(const conv_geom_t *g, const float *x, const float *w, const float *dy, float *y, float *dx,
                   float *dw) {
    const int X = g->N * g->C * g->H * g->W, Y = g->N * g->OC * g->OH * g->OW;
    float *xc = malloc(sizeof(float) * X), *dxc = malloc(sizeof(float) * X), *yc = malloc(sizeof(float) * Y);
    float *dyc = malloc(sizeof(float) * Y), *ws = malloc(sizeof(float) * g->ws);
    if (!xc || !dxc || !yc || !dyc || !ws) abort();
    to_cl(x, xc, g->N, g->C, g->H * g->W, 0);
    to_cl(dx, dxc, g->N, g->C, g->H * g->W, 0);
    to_cl(dy, dyc, g->N, g->OC, g->OH * g->OW, 0);
    conv2d_forward(g, g->cl_in ? xc : x, w, NULL, g->cl_out ? yc : y, ws, NULL);
    conv2d_backward(g, g->cl_in ? xc : x, w, g->cl_out ? dyc : dy, g->cl_in ? dxc : dx, dw, NULL, ws, NULL);
    if (g->cl_out) to_cl(yc, y, g->N, g->OC, g->OH * g->OW, 1);
    if (g->cl_in) to_cl(dxc, dx, g->N, g->C, g->H * g->W, 1);
    free(xc); free(dxc); free(yc); free(dyc); free(ws);
}

typedef void (*run_fn)(const conv_geom_t *, const float *, const float *, const float *, float *, float *, float *);

/* max |got - want| / (1 + |want|) over the three results */
static double check_with(const conv_geom_t *g, unsigned seed, run_fn run) {
    const size_t X = (size_t)g->N * g->C * g->H * g->W, Y = (size_t)g->N * g->OC * g->OH * g->OW;
    const size_t Wn = (size_t)g->OC * g->C * g->KH * g->KW;
    float *x = rnd(X, &seed), *w = rnd(Wn, &seed), *dy = rnd(Y, &seed), *dx = rnd(X, &seed), *dw = rnd(Wn, &seed);
    float *y = rnd(Y, &seed);
    double *rdx = malloc(X * sizeof(double)), *rdw = malloc(Wn * sizeof(double)), err = 0.0;
    if (!rdx || !rdw) abort();
    for (size_t q = 0; q < X; q++) rdx[q] = dx[q];
    for (size_t q = 0; q < Wn; q++) rdw[q] = dw[q];
    run(g, x, w, dy, y, dx, dw);
    for (int n = 0; n < g->N; n++)
        for (int o = 0; o < g->OC; o++)
            for (int oh = 0; oh < g->OH; oh++)
                for (int ow = 0; ow < g->OW; ow++) {
                    double s = 0.0;
                    const double d = dy[(((size_t)n * g->OC + o) * g->OH + oh) * g->OW + ow];
                    for (int c = 0; c < g->C; c++)
                        for (int i = 0; i < g->KH; i++)
                            for (int j = 0; j < g->KW; j++) {
                                const int ih = oh * g->s - g->ph + i, iw = ow * g->s - g->pw + j;
                                const size_t wi = (((size_t)o * g->C + c) * g->KH + i) * g->KW + j;
                                const double xv = xat(g, x, n, c, ih, iw);
                                s += w[wi] * xv;
                                rdw[wi] += d * xv;
                                if (ih >= 0 && ih < g->H && iw >= 0 && iw < g->W)
                                    rdx[(((size_t)n * g->C + c) * g->H + ih) * g->W + iw] += d * w[wi];
                            }
                    const double got = y[(((size_t)n * g->OC + o) * g->OH + oh) * g->OW + ow];
                    err = fmax(err, fabs(got - s) / (1.0 + fabs(s)));
                }
    for (size_t q = 0; q < X; q++) err = fmax(err, fabs(dx[q] - rdx[q]) / (1.0 + fabs(rdx[q])));
    for (size_t q = 0; q < Wn; q++) err = fmax(err, fabs(dw[q] - rdw[q]) / (1.0 + fabs(rdw[q])));
    free(x); free(w); free(dy); free(dx); free(dw); free(y); free(rdx); free(rdw);
    return err;
}

static double check(const conv_geom_t *g, unsigned seed) { return check_with(g, seed, run_conv2d); }

/* im2col and col2im against loops over the definition: C, H, W, KH, KW, s, ph, pw (N 2) */
static double check_cols(const int *c, unsigned seed) {
    const int N = 2, C = c[0], H = c[1], W = c[2], KH = c[3], KW = c[4], st = c[5], ph = c[6], pw = c[7];
    const int OH = (H + 2 * ph - KH) / st + 1, OW = (W + 2 * pw - KW) / st + 1;
    const size_t X = (size_t)N * C * H * W, NP = (size_t)N * OH * OW, R = (size_t)C * KH * KW;
    float *x = rnd(X, &seed), *col = rnd(R * NP, &seed), *got = rnd(R * NP, &seed), *dx = rnd(X, &seed);
    double *want = malloc(sizeof(double) * X), err = 0.0;
    if (!want) abort();
    for (size_t q = 0; q < X; q++) want[q] = dx[q];
    im2col(x, N, C, H, W, KH, KW, st, ph, pw, OH, OW, got);
    col2im(col, N, C, H, W, KH, KW, st, ph, pw, OH, OW, dx);
    for (size_t r = 0; r < R; r++)
        for (int n = 0; n < N; n++)
            for (int oh = 0; oh < OH; oh++)
                for (int ow = 0; ow < OW; ow++) {
                    const int ch = (int)(r / (KH * KW)), i = (int)(r / KW % KH), j = (int)(r % KW);
                    const int ih = oh * st - ph + i, iw = ow * st - pw + j;
                    const size_t k = r * NP + ((size_t)n * OH + oh) * OW + ow;
                    const int in = ih >= 0 && ih < H && iw >= 0 && iw < W;
                    const size_t xi = (((size_t)n * C + ch) * H + (in ? ih : 0)) * W + (in ? iw : 0);
                    err = fmax(err, fabs(got[k] - (in ? x[xi] : 0.0f)));
                    if (in) want[xi] += col[k];
                }
    for (size_t q = 0; q < X; q++) err = fmax(err, fabs(dx[q] - want[q]) / (1.0 + fabs(want[q])));
    free(x); free(col); free(got); free(dx); free(want);
    return err;
}

/* Winograd's error bound: F(4x4,3x3) rounds more than F(2x2,3x3) (its transforms have entries up to 8 and 1/24);
   worst measured over the cases below 1.1e-4 (64 channels) against 1.1e-5 for F(2x2). A transform wrong in one entry
   errs by O(1). */
static double wino_bound(int m) { return m == 4 ? 2e-4 : 3e-5; }
/* the largest tile among the forward (OH x OW outputs) and the input gradient (H x W) */
static int wino_tiles(const conv_geom_t *g) {
    const int a = conv_winograd_tile(g->OH, g->OW), b = conv_winograd_tile(g->H, g->W);
    return a > b ? a : b;
}

static conv_geom_t geom(const int *c) {
    conv_geom_t g = {c[0], c[1], c[2], c[3], c[4], c[5], c[6], 1, c[7], c[8], 0, 0, 0, 0, 0};
    g.OH = g.H + 2 * g.ph - g.KH + 1;
    g.OW = g.W + 2 * g.pw - g.KW + 1;
    return g;
}

/* conv2d with x or y channels-last (conv_cl.c) against the sums in double */
static void channels_last(void) {
    /* N, C, H, W, OC, KH, KW, ph, pw, stride, cl_in, cl_out */
    static const int cl[][12] = {
        {16, 32, 8, 8, 32, 3, 3, 1, 1, 1, 1, 1}, /* SimGAN's refiner: Winograd both sides */
        {3, 16, 7, 9, 16, 3, 3, 1, 1, 1, 1, 1},  /* odd planes: tiles over the edge */
        {2, 16, 10, 6, 32, 3, 3, 0, 2, 1, 1, 1}, /* valid rows, full columns */
        {4, 32, 8, 8, 16, 3, 3, 1, 1, 1, 1, 0},  /* Winograd from channels-last into planes */
        {4, 16, 8, 8, 32, 3, 3, 1, 1, 1, 0, 1},  /* and from planes */
        {5, 8, 8, 8, 16, 3, 3, 1, 1, 2, 1, 1},   /* SimGAN's critic: stride 2, im2row */
        {4, 1, 8, 8, 8, 3, 3, 1, 1, 1, 0, 1},    /* one channel in */
        {4, 1, 8, 8, 32, 3, 3, 1, 1, 1, 0, 1},   /* the refiner's head: directly, over few channels */
        {3, 2, 7, 7, 16, 3, 3, 1, 1, 2, 1, 1},   /* and strided, 2 channels */
        {3, 16, 4, 4, 16, 1, 1, 0, 0, 1, 1, 1},  /* 1x1: R is x */
        {3, 16, 8, 8, 1, 1, 1, 0, 0, 1, 1, 0},   /* one channel out (the refiner's tail) */
        {3, 3, 8, 8, 8, 3, 3, 1, 1, 1, 0, 1},    /* three planes gathered */
        {3, 8, 8, 8, 12, 3, 3, 1, 1, 1, 1, 0},   /* outputs laid out as planes */
        {2, 5, 9, 7, 6, 3, 2, 0, 1, 3, 1, 1},    /* stride 3, odd sizes, non-square kernel */
    };
    for (size_t k = 0; k < sizeof cl / sizeof cl[0]; k++) {
        const int *c = cl[k];
        conv_geom_t g = {c[0], c[1], c[2], c[3], c[4], c[5], c[6], c[9], c[7], c[8], 0, 0, 0, c[10], c[11]};
        g.OH = (g.H + 2 * g.ph - g.KH) / g.s + 1;
        g.OW = (g.W + 2 * g.pw - g.KW) / g.s + 1;
        g.ws = conv_cl_floats(&g);
        const int wino = g.KH == 3 && g.KW == 3 && g.s == 1 && g.ws == conv_winograd_floats(&g);
        /* the first five take Winograd whatever the vector width; the rest not, but for 3x3 layers whose
           channels-last sides happen to be whole vectors at this width (C8 -> 12 with 4-float vectors) */
        const int may = g.KH == 3 && g.KW == 3 && g.s == 1 && g.C >= 8 && g.OC >= 8;
        CHECK(k < 5 ? wino : !wino || may, "channels-last case %zu should %s Winograd", k, k < 5 ? "take" : "not take");
        const double e = check_with(&g, 190u + (unsigned)k, run_cl);
        const int m = wino_tiles(&g);
        printf("channels-last N%d C%d %dx%d -> OC%d k%dx%d s%d (x %s, y %s; %s): max rel err %.2e\n", g.N, g.C, g.H,
               g.W, g.OC, g.KH, g.KW, g.s, g.cl_in ? "NHWC" : "NCHW", g.cl_out ? "NHWC" : "NCHW",
               wino ? "Winograd" : "im2row", e);
        CHECK(e < (wino ? wino_bound(m) : 3e-5), "channels-last case %zu: error %.3e against the sum in double", k, e);
    }
}

int main(void) {
    /* N, C, H, W, OC, KH, KW, ph, pw */
    static const int direct[][9] = {
        {2, 5, 13, 150, 3, 9, 9, 4, 4},  /* SRResNet's last layer in small: two column tiles, ragged row block */
        {3, 4, 11, 37, 1, 5, 5, 2, 2},   /* LAPGAN's */
        {2, 3, 6, 9, 4, 3, 3, 1, 1},
        {1, 2, 7, 20, 2, 1, 1, 0, 0},
        {2, 6, 8, 8, 1, 1, 1, 0, 0},     /* SimGAN's refiner tail: the weight gradient by the 1x1 loops */
        {2, 3, 5, 11, 1, 4, 4, 0, 0},    /* a 4x4 kernel, two output rows */
        {1, 3, 9, 17, 3, 7, 2, 3, 1},    /* non-square kernel */
        {2, 2, 4, 8, 2, 3, 5, 2, 3},     /* padding beyond half the kernel: the output is larger */
        {1, 2, 19, 260, 4, 7, 7, 3, 3},  /* three column tiles, OC 4 with KW 7 */
        {1, 2, 10, 12, 4, 9, 9, 4, 4},   /* OC 4 with KW 9: the weight gradient's general loops */
        {2, 8, 12, 20, 10, 7, 7, 3, 3},  /* LAPGAN's 7x7, 10 outputs: three output-channel blocks, dW by GEMM */
        {3, 9, 9, 11, 6, 5, 5, 2, 2},    /* and 5x5 */
        {1, 2, 70, 300, 2, 3, 3, 1, 1},  /* a plane too large for dW's per-thread copy: input rows copied */
        {2, 3, 12, 32, 32, 5, 5, 2, 2},  /* LAPGAN's first critic layer: dW with the input padded once */
        {3, 2, 9, 20, 10, 7, 7, 3, 3},   /* and its generator's, 10 outputs in blocks of 4, 4, 2; dy rows copied */
    };
    static const int wino[][9] = {
        {4, 8, 8, 8, 8, 3, 3, 1, 1},     /* SimGAN's refiner in small */
        {8, 9, 7, 5, 10, 3, 3, 1, 1},    /* odd sizes: half tiles at the edges */
        {12, 8, 6, 9, 12, 3, 3, 0, 0},   /* valid */
        {3, 10, 5, 6, 8, 3, 3, 2, 2},    /* full */
        {1, 8, 3, 600, 8, 3, 3, 1, 0},   /* a tile row of 299 tiles: longer than a block */
        {24, 8, 3, 3, 9, 3, 3, 1, 1},    /* two tile rows per image: blocks span images */
        {16, 32, 8, 8, 32, 3, 3, 1, 1},  /* SimGAN's refiner */
        {4, 64, 12, 12, 72, 3, 3, 1, 1}, /* SRResNet's body in small; channels not whole vectors */
        {3, 20, 9, 13, 24, 3, 3, 1, 1},
        {4, 8, 6, 6, 8, 3, 3, 1, 1},     /* 6x6: F(2x2) in all three passes */
        {5, 16, 6, 6, 16, 3, 3, 0, 0},   /* forward and weight gradient F(4x4) on 4x4, input gradient F(2x2) */
        {6, 24, 2, 2, 17, 3, 3, 1, 1},   /* 2x2: F(2x2) */
        {3, 16, 10, 10, 48, 3, 3, 1, 1}, /* products in register tiles of 3 vectors (8 rows, and a tail of rows) */
        {2, 24, 9, 9, 64, 3, 3, 1, 1},   /* of 4 vectors (6 rows); the weight gradient's 12 and 4 rows */
    };
    for (size_t k = 0; k < sizeof direct / sizeof direct[0]; k++) {
        conv_geom_t g = geom(direct[k]);
        CHECK(conv_direct_ok(&g), "direct case %zu should take the direct path", k);
        CHECK(conv2d_uses_scratch(&g) == (g.OC > 4), "direct case %zu: scratch only for the GEMM weight gradient", k);
        const double e = check(&g, 7u + (unsigned)k);
        const int wide = conv_direct_dw_wide_floats(&g) > 0;
        CHECK(!wide || conv_direct_dw_wide_floats(&g) <= (size_t)g.C * g.KH * g.KW * g.N * g.OH * g.OW,
              "direct case %zu: the padded input fits the im2col scratch", k);
        printf("direct N%d C%d %dx%d -> OC%d k%dx%d p%d,%d (%s dw): max rel err %.2e\n", g.N, g.C, g.H, g.W, g.OC,
               g.KH, g.KW, g.ph, g.pw, conv_direct_dw_ok(&g) ? "tiled" : g.OC <= 4 ? "general" : wide ? "wide" : "GEMM",
               e);
        CHECK(e < 3e-5, "direct case %zu: error %.3e against the sum in double", k, e);
    }
    static const int loops[][9] = {
        {4, 8, 4, 4, 1, 4, 4, 0, 0},     /* DCGAN's critic head: 4x4 to 1x1 */
        {2, 3, 6, 6, 2, 3, 3, 1, 1},     /* narrow planes */
        {3, 5, 4, 4, 2, 1, 1, 0, 0},     /* 1x1: planes as single runs (SimGAN's critic head) */
    };
    for (size_t k = 0; k < sizeof loops / sizeof loops[0]; k++) {
        conv_geom_t g = geom(loops[k]);
        CHECK(!conv_direct_ok(&g), "loops case %zu should keep the plain loops", k);
        CHECK(!conv2d_uses_scratch(&g), "loops case %zu needs no scratch", k);
        const double e = check(&g, 40u + (unsigned)k);
        printf("loops N%d C%d %dx%d -> OC%d k%dx%d: max rel err %.2e\n", g.N, g.C, g.H, g.W, g.OC, g.KH, g.KW, e);
        CHECK(e < 3e-5, "loops case %zu: error %.3e against the sum in double", k, e);
    }
    /* N, C, H, W, OC, KH, KW, ph, pw, stride: im2col + GEMM, through its tables (up to 128 outputs) and its rows */
    static const int gemm_cases[][10] = {
        {4, 5, 8, 8, 9, 3, 3, 1, 1, 2},    /* SimGAN's critic: 4x4 outputs */
        {3, 4, 16, 16, 6, 4, 4, 1, 1, 2},  /* DCGAN's: 8x8 */
        {2, 3, 32, 32, 5, 5, 5, 2, 2, 2},  /* LAPGAN's: 16x16, rows */
        {2, 3, 9, 7, 6, 3, 3, 0, 1, 3},    /* stride 3, odd sizes */
        {3, 6, 5, 5, 8, 3, 3, 1, 1, 1},    /* stride 1 narrow, 6 channels: tables */
        {7, 6, 10, 10, 12, 3, 3, 1, 1, 2}, /* small planes, 7 images: each thread its own (3 and 4 on 2 threads) */
    };
    for (size_t k = 0; k < sizeof gemm_cases / sizeof gemm_cases[0]; k++) {
        const int *c = gemm_cases[k];
        conv_geom_t g = {c[0], c[1], c[2], c[3], c[4], c[5], c[6], c[9], c[7], c[8], 0, 0, 0, 0, 0};
        g.OH = (g.H + 2 * g.ph - g.KH) / g.s + 1;
        g.OW = (g.W + 2 * g.pw - g.KW) / g.s + 1;
        CHECK(!conv_direct_ok(&g) && !conv_winograd_ok(&g, (size_t)1 << 30), "GEMM case %zu should take im2col", k);
        const double e = check(&g, 90u + (unsigned)k);
        printf("gemm N%d C%d %dx%d -> OC%d k%dx%d s%d: max rel err %.2e\n", g.N, g.C, g.H, g.W, g.OC, g.KH, g.KW,
               g.s, e);
        CHECK(e < 3e-5, "GEMM case %zu: error %.3e against the sum in double", k, e);
    }
    /* C, H, W, KH, KW, stride, ph, pw */
    static const int cols[][8] = {
        {3, 2, 2, 4, 4, 2, 1, 1},    /* DCGAN's transposed convolution from 1x1 (col2im onto 2x2) */
        {2, 10, 10, 4, 4, 2, 1, 1},  /* 4-wide, stride 2, padding 1: one pass per row */
        {2, 40, 40, 4, 4, 2, 1, 1},
        {2, 9, 11, 4, 4, 2, 1, 1},   /* odd: not twice the width, the general rows or tables */
        {2, 8, 8, 3, 3, 2, 1, 1},    /* tables */
        {2, 40, 36, 5, 5, 2, 2, 2},  /* rows, stride 2 */
        {2, 20, 20, 3, 3, 1, 1, 1},  /* rows, stride 1 */
        {2, 7, 9, 2, 3, 3, 0, 1},    /* stride 3 */
    };
    for (size_t k = 0; k < sizeof cols / sizeof cols[0]; k++) {
        const double e = check_cols(cols[k], 120u + (unsigned)k);
        printf("im2col/col2im C%d %dx%d k%dx%d s%d p%d,%d: max err %.2e\n", cols[k][0], cols[k][1], cols[k][2],
               cols[k][3], cols[k][4], cols[k][5], cols[k][6], cols[k][7], e);
        CHECK(e < 1e-6, "im2col/col2im case %zu: error %.3e", k, e);
    }
    /* through conv2d where the im2col scratch (C*9*N*OH*OW) holds Winograd's workspace, else (valid padding, the
       input gradient's planes are larger; 3x3 planes) with Winograd's own */
    for (size_t k = 0; k < sizeof wino / sizeof wino[0]; k++) {
        conv_geom_t g = geom(wino[k]);
        const size_t col = (size_t)g.C * 9 * g.N * g.OH * g.OW;
        const int via = conv_winograd_ok(&g, col) && conv_winograd_dw_ok(&g, col);
        g.ws = (size_t)1 << 22;
        CHECK(via || (conv_winograd_ok(&g, g.ws) && conv_winograd_dw_ok(&g, g.ws)), "Winograd case %zu should fit", k);
        const double e = via ? check(&g, 70u + (unsigned)k) : check_with(&g, 70u + (unsigned)k, run_winograd);
        const int m = wino_tiles(&g);
        printf("winograd N%d C%d %dx%d -> OC%d p%d,%d (%s, F(%dx%d)): max rel err %.2e\n", g.N, g.C, g.H, g.W, g.OC,
               g.ph, g.pw, via ? "conv2d" : "own workspace", m, m, e);
        CHECK(e < wino_bound(m), "Winograd case %zu: error %.3e against the sum in double", k, e);
    }
    static const int dft[][9] = {
        {5, 8, 12, 10, 9, 5, 5, 2, 2},   /* 5 images: one group, 5 lanes used */
        {17, 8, 9, 11, 8, 7, 7, 3, 3},   /* LAPGAN's 7x7 in small, two groups */
        {3, 10, 10, 13, 8, 5, 7, 1, 2},  /* non-square kernel, less padding than half: smaller output */
        {3, 8, 13, 13, 8, 7, 7, 3, 3},   /* an even torus (16 x 16): the unpaired frequency N/2 */
        {4, 8, 8, 8, 12, 5, 5, 4, 4},    /* more padding than half: a larger output */
        {2, 9, 6, 20, 10, 5, 5, 0, 0},   /* valid */
    };
    for (size_t k = 0; k < sizeof dft / sizeof dft[0]; k++) {
        conv_geom_t g = geom(dft[k]);
        const size_t one = conv_dft_floats(&g, 1);
        CHECK(one > 0 && conv_dft_threads(&g, one) == 1 && conv_dft_threads(&g, one - 1) == 0,
              "DFT case %zu: one thread's workspace is exactly what it asks for", k);
        CHECK(!conv_dft_threads(&g, 0), "DFT case %zu: no DFT without its workspace", k);
        g.ws = conv_dft_floats(&g, 0);
        const double e = check(&g, 150u + (unsigned)k);
        printf("dft N%d C%d %dx%d -> OC%d k%dx%d p%d,%d: max rel err %.2e\n", g.N, g.C, g.H, g.W, g.OC, g.KH, g.KW,
               g.ph, g.pw, e);
        CHECK(e < 3e-5, "DFT case %zu: error %.3e against the sum in double", k, e);
    }
    static const int s2d[][5] = { /* N, C, H, W, OC: 5x5, stride 2, padding 2 */
        {3, 2, 20, 24, 8},   /* 2 channels: 8 phases */
        {5, 8, 12, 12, 9},
        {8, 4, 12, 14, 16},
        {16, 32, 16, 16, 32}, /* LAPGAN's critic at 16x16 */
        {2, 3, 6, 36, 8},     /* rows of 18 column pairs: whole vectors of them and a tail */
    };
    for (size_t k = 0; k < sizeof s2d / sizeof s2d[0]; k++) {
        const int *c = s2d[k];
        conv_geom_t g = {c[0], c[1], c[2], c[3], c[4], 5, 5, 2, 2, 2, c[2] / 2, c[3] / 2, 0, 0, 0};
        g.ws = conv_s2d_floats(&g); /* the planner's own workspace for the layer */
        CHECK(g.ws && conv_s2d_ok(&g, g.ws), "phases case %zu should take the phases with the workspace it asks for",
              k);
        const double e = check(&g, 170u + (unsigned)k);
        const int m = conv_winograd_tile(g.OH, g.OW); /* the phases' planes are OH x OW, in and out */
        printf("phases N%d C%d %dx%d -> OC%d k5x5 s2 (F(%dx%d)): max rel err %.2e\n", g.N, g.C, g.H, g.W, g.OC, m,
               m, e);
        CHECK(e < wino_bound(m), "phases case %zu: error %.3e against the sum in double", k, e);
    }
    channels_last();
    return tu_finish("test_conv");
}
