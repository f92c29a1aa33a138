/* 3x3 stride-1 convolution by Winograd's minimal filtering F(2x2, 3x3) (Lavin & Gray 2016): each 2x2 block of
   outputs is A^T [ (G g G^T) .* (B^T d B) ] A for its 4x4 input patch d, so a layer is 16 GEMMs of
   (tiles x C) (C x OC) with 16 multiplies per 4 outputs instead of 36, and its input is read 4 times over instead of
   the 9 of im2col. Used for SRResNet's and SimGAN's 3x3 layers (and VGG's, and LAPGAN's 5x5 stride-2 critics through
   conv_s2d.c): the forward, the input gradient, which is the same convolution of dy with the kernel turned by 180
   degrees and the channels swapped, and the weight gradient (below).

   The transforms run channels-last, VL channels to a vector: the input is first copied, padded, into (N, rows,
   columns, C) and the outputs come back from (N, rows, columns, OC), so every tile's transform is whole-vector
   arithmetic, however narrow the planes (SimGAN's 8x8: 4 tiles to a row). Channel counts are rounded up to VL
   (zeros). Tiles go in blocks of TB; each thread transforms its block's input into V (16, TB, C), multiplies V by
   the transformed weights U (16, C, OC) into M (16, TB, OC) with a single-threaded sgemm per position, and
   transforms M back. Every output is computed the same way whichever thread takes its block: deterministic. */
#include <string.h>
#include "nn/nn.h"
#include "nn/simd.h"
#ifdef _OPENMP
#include <omp.h>
#endif

/* tiles per block: V and M of a 64-channel layer (1 MB) stay within L2. One thread, 10 forward calls: SRResNet's
   body layer (16 images of 24x24, 64 -> 64) spent 26 ms in its sgemms with blocks of 128 tiles, 33 ms with 64 and
   40 ms with 256; SimGAN's (64 of 8x8, 32 -> 32) 3.1 ms with 128 or 256, 4.6 ms with 64 */
enum { TBMAX = 128 };
/* positions xi of V and M are PAD floats further apart than C x TB (OC x TB): 16 streams a multiple of 4 KB apart
   would share their cache sets */
#define PAD 48

/* y (N,OC,OH,OW) from x (N,C,H,W); weight (o,c,i,j) at w[o*so + c*sc + i*si + j*sj] */
typedef struct {
    int N, C, H, W, OC, OH, OW, ph, pw;
    const float *w;
    long so, sc, si, sj;
} wconv_t;


static int cp(int c) { return (c + VL - 1) / VL * VL; } /* channels rounded up to whole vectors */
static int tiles_y(const wconv_t *d) { return (d->OH + 1) / 2; }
static int tiles_x(const wconv_t *d) { return (d->OW + 1) / 2; }

/* a thread's V and M for blocks of tb tiles */
static size_t vm_floats(const wconv_t *d, size_t tb) { return (size_t)16 * ((cp(d->C) + cp(d->OC)) * tb + 2 * PAD); }

/* the tile block (a multiple of 16, at most TBMAX) that fits `floats` of workspace: `shared` floats once, `fixed`
   more per thread, and V and M per tile and thread; fewer threads when their slices would not all fit a block of
   16; 0 when not even one does */
static int block_tiles(const wconv_t *d, size_t shared, size_t fixed, size_t floats, int *nth_out) {
    for (int nth = par_threads(); nth >= 1; nth--) {
        const size_t once = shared + (fixed + vm_floats(d, 0)) * nth;
        if (floats <= once) continue;
        size_t tb = (floats - once) / ((vm_floats(d, 1) - vm_floats(d, 0)) * nth);
        tb = tb > TBMAX ? TBMAX : tb & ~(size_t)15;
        if (tb >= 16) { *nth_out = nth; return (int)tb; }
    }
    return 0;
}
/* the input padded with zeros to whole tiles, channels last: tile (ty, tx) reads rows 2ty..2ty+3 and columns
   2tx..2tx+3 */
static int padded_h(const wconv_t *d) { return 2 * tiles_y(d) + 2; }
static int padded_w(const wconv_t *d) { return 2 * tiles_x(d) + 2; }
static size_t padded_floats(const wconv_t *d) { return (size_t)d->N * padded_h(d) * padded_w(d) * cp(d->C); }
/* the outputs (or dy) channels last, over whole tiles */
static size_t out_floats(const wconv_t *d) { return (size_t)d->N * 4 * tiles_y(d) * tiles_x(d) * cp(d->OC); }
static size_t u_floats(const wconv_t *d) { return (size_t)16 * d->OC * cp(d->C); }

/* the workspace: the padded input, the outputs (or dy), then U (forward) or, per thread, dU (weight gradient) */
static size_t shared_floats(const wconv_t *d, int weight_grad) {
    return padded_floats(d) + out_floats(d) + (weight_grad ? 0 : u_floats(d));
}
static size_t fixed_floats(const wconv_t *d, int weight_grad) { return weight_grad ? u_floats(d) : 0; }
static int plan(const wconv_t *d, int weight_grad, size_t floats, int *nth) {
    return block_tiles(d, shared_floats(d, weight_grad), fixed_floats(d, weight_grad), floats, nth);
}

/* the forward's problem (x -> y) and the input gradient's (dy -> dx, padding 2 - p), weights left unset */
static wconv_t fw_geom(const conv_geom_t *g) {
    return (wconv_t){g->N, g->C, g->H, g->W, g->OC, g->OH, g->OW, g->ph, g->pw, NULL, 0, 0, 0, 0};
}
static wconv_t dx_geom(const conv_geom_t *g) {
    return (wconv_t){g->N, g->OC, g->OH, g->OW, g->C, g->H, g->W, 2 - g->ph, 2 - g->pw, NULL, 0, 0, 0, 0};
}
static int suits(const conv_geom_t *g) {
    if (g->s != 1 || g->KH != 3 || g->KW != 3 || g->C < 8 || g->OC < 8) return 0;
    return g->OH == g->H + 2 * g->ph - 2 && g->OW == g->W + 2 * g->pw - 2 && g->ph <= 2 && g->pw <= 2;
}

/* dst (N, HP, WP, Cp) = src (N, C, H, W) placed at row r0, column c0, zeros around it and in channels C..Cp-1 */
static void to_channels_last(const float *src, int N, int C, int H, int W, int r0, int c0, int HP, int WP, int Cp,
                             float *dst) {
#pragma omp parallel for schedule(static)
    for (int nr = 0; nr < N * HP; nr++) {
        const int n = nr / HP, i = nr % HP - r0;
        float *row = dst + (size_t)nr * WP * Cp;
        memset(row, 0, sizeof(float) * (size_t)WP * Cp);
        if (i < 0 || i >= H) continue;
        for (int c = 0; c < C; c++) { /* the row (WP x Cp floats) stays in L1 while its channels are written */
            const float *s = src + (((size_t)n * C + c) * H + i) * W;
            for (int j = 0; j < W; j++) row[(size_t)(j + c0) * Cp + c] = s[j];
        }
    }
}

/* y (N, OC, OH, OW) =, or +=, the outputs yt (N, 2TY, 2TX, Cp) */
static void from_channels_last(const wconv_t *d, const float *yt, float *y, int accumulate) {
    const int WT = 2 * tiles_x(d), HT = 2 * tiles_y(d), Cp = cp(d->OC);
#pragma omp parallel for schedule(static)
    for (int nr = 0; nr < d->N * d->OH; nr++) {
        const int n = nr / d->OH, i = nr % d->OH;
        const float *row = yt + ((size_t)n * HT + i) * WT * Cp;
        for (int o = 0; o < d->OC; o++) {
            float *t = y + (((size_t)n * d->OC + o) * d->OH + i) * d->OW;
            if (accumulate)
                for (int j = 0; j < d->OW; j++) t[j] += row[(size_t)j * Cp + o];
            else
                for (int j = 0; j < d->OW; j++) t[j] = row[(size_t)j * Cp + o];
        }
    }
}

int conv_winograd_ok(const conv_geom_t *g, size_t ws_floats) {
    if (!suits(g)) return 0;
    const wconv_t fw = fw_geom(g), dx = dx_geom(g);
    int nth;
    return plan(&fw, 0, ws_floats, &nth) && plan(&dx, 0, ws_floats, &nth);
}

/* U[xi][c][o] = (G g G^T)[xi] for the 3x3 kernel g of (o, c); zeros for channels C..Cp-1 */
static void transform_weights(const wconv_t *d, float *U) {
    const int Cp = cp(d->C);
    const size_t OCC = (size_t)d->OC * Cp;
    memset(U, 0, sizeof(float) * u_floats(d));
#pragma omp parallel for schedule(static)
    for (int oc = 0; oc < d->OC * d->C; oc++) {
        const int o = oc / d->C, c = oc % d->C;
        const float *w = d->w + o * d->so + c * d->sc;
        float gg[4][3], u[4][4];
        for (int j = 0; j < 3; j++) {
            const float g0 = w[j * d->sj], g1 = w[d->si + j * d->sj], g2 = w[2 * d->si + j * d->sj];
            gg[0][j] = g0; gg[1][j] = 0.5f * (g0 + g1 + g2); gg[2][j] = 0.5f * (g0 - g1 + g2); gg[3][j] = g2;
        }
        for (int r = 0; r < 4; r++) {
            u[r][0] = gg[r][0]; u[r][1] = 0.5f * (gg[r][0] + gg[r][1] + gg[r][2]);
            u[r][2] = 0.5f * (gg[r][0] - gg[r][1] + gg[r][2]); u[r][3] = gg[r][2];
        }
        for (int xi = 0; xi < 16; xi++) U[xi * OCC + (size_t)c * d->OC + o] = u[xi / 4][xi % 4]; /* (Cp, OC) */
    }
}

/* tile t as (image n, tile row ty, tile column tx) */
static void tile_at(const wconv_t *d, long t, int *n, int *ty, int *tx) {
    *tx = (int)(t % tiles_x(d));
    *ty = (int)(t / tiles_x(d) % tiles_y(d));
    *n = (int)(t / tiles_x(d) / tiles_y(d));
}

/* V[xi][q][c] = (B^T d B)[xi] for the nt tiles from t0, from the padded input; positions vs apart */
static void transform_input(const wconv_t *d, const float *xp, long t0, int nt, float *V, size_t vs) {
    const int WP = padded_w(d), HP = padded_h(d), Cp = cp(d->C);
    for (int q = 0; q < nt; q++) {
        int n, ty, tx;
        tile_at(d, t0 + q, &n, &ty, &tx);
        const float *p = xp + (((size_t)n * HP + 2 * ty) * WP + 2 * tx) * Cp;
        float *v = V + (size_t)q * Cp;
        for (int c = 0; c < Cp; c += VL) {
            vf t[4][4];
            for (int k = 0; k < 4; k++) { /* B^T d, down column k of the patch */
                const float *a = p + (size_t)k * Cp + c;
                const vf d0 = vld(a), d1 = vld(a + (size_t)WP * Cp), d2 = vld(a + (size_t)2 * WP * Cp),
                         d3 = vld(a + (size_t)3 * WP * Cp);
                t[0][k] = d0 - d2; t[1][k] = d1 + d2; t[2][k] = d2 - d1; t[3][k] = d1 - d3;
            }
            for (int r = 0; r < 4; r++) { /* then B, along row r */
                vst(v + (4 * r + 0) * vs + c, t[r][0] - t[r][2]);
                vst(v + (4 * r + 1) * vs + c, t[r][1] + t[r][2]);
                vst(v + (4 * r + 2) * vs + c, t[r][2] - t[r][1]);
                vst(v + (4 * r + 3) * vs + c, t[r][1] - t[r][3]);
            }
        }
    }
}

/* the outputs yt (N, 2TY, 2TX, OCp) of the nt tiles from t0: A^T M A, M[xi][q][o] positions ms apart */
static void transform_output(const wconv_t *d, const float *M, size_t ms, long t0, int nt, float *yt) {
    const int WT = 2 * tiles_x(d), HT = 2 * tiles_y(d), Cp = cp(d->OC);
    for (int q = 0; q < nt; q++) {
        int n, ty, tx;
        tile_at(d, t0 + q, &n, &ty, &tx);
        float *y0 = yt + (((size_t)n * HT + 2 * ty) * WT + 2 * tx) * Cp, *y1 = y0 + (size_t)WT * Cp;
        const float *m = M + (size_t)q * Cp;
        for (int o = 0; o < Cp; o += VL) {
            vf s[4], r[4];
            for (int k = 0; k < 4; k++) { /* A^T M, down the columns */
                const vf m0 = vld(m + k * ms + o), m1 = vld(m + (4 + k) * ms + o), m2 = vld(m + (8 + k) * ms + o),
                         m3 = vld(m + (12 + k) * ms + o);
                s[k] = m0 + m1 + m2; r[k] = m1 - m2 - m3;
            }
            vst(y0 + o, s[0] + s[1] + s[2]); vst(y0 + Cp + o, s[1] - s[2] - s[3]);
            vst(y1 + o, r[0] + r[1] + r[2]); vst(y1 + Cp + o, r[1] - r[2] - r[3]);
        }
    }
}

/* one block of tiles from t0: V, 16 products, outputs */
static void run_block(const wconv_t *d, const float *U, const float *xp, float *yt, long t0, int tb, long T, float *V,
                      float *M) {
    const int Cp = cp(d->C), OCp = cp(d->OC);
    const size_t vs = (size_t)Cp * tb + PAD, ms = (size_t)OCp * tb + PAD;
    const int nt = (int)(T - t0 < tb ? T - t0 : tb);
    transform_input(d, xp, t0, nt, V, vs);
    for (int xi = 0; xi < 16; xi++) /* M[xi] (nt, OC) = V[xi] (nt, C) U[xi] (C, OC) */
        gemm(0, 0, nt, d->OC, Cp, 1.0f, V + xi * vs, Cp, U + (size_t)xi * d->OC * Cp, d->OC, 0.0f, M + xi * ms, OCp);
    transform_output(d, M, ms, t0, nt, yt);
}

static void winograd(const wconv_t *d, const float *x, float *y, int accumulate, float *ws, size_t ws_floats) {
    int nth = 1;
    const int tb = plan(d, 0, ws_floats, &nth);
    const long T = (long)d->N * tiles_y(d) * tiles_x(d), nblk = (T + tb - 1) / tb;
    float *xp = ws, *yt = xp + padded_floats(d), *U = yt + out_floats(d), *per = U + u_floats(d);
    to_channels_last(x, d->N, d->C, d->H, d->W, d->ph, d->pw, padded_h(d), padded_w(d), cp(d->C), xp);
    const size_t per_thread = vm_floats(d, tb);
    transform_weights(d, U);
#pragma omp parallel for schedule(static) num_threads(nth)
    for (long b = 0; b < nblk; b++) {
        int me = 0;
#ifdef _OPENMP
        me = omp_get_thread_num();
#endif
        float *V = per + per_thread * me, *M = V + 16 * ((size_t)cp(d->C) * tb + PAD);
        run_block(d, U, xp, yt, b * tb, tb, T, V, M);
    }
    from_channels_last(d, yt, y, accumulate);
}

void conv_winograd_forward(const conv_geom_t *g, const float *x, const float *w, float *y, float *ws,
                           size_t ws_floats) {
    const wconv_t d = {g->N, g->C, g->H, g->W, g->OC, g->OH, g->OW, g->ph, g->pw, w, g->C * 9L, 9, 3, 1};
    winograd(&d, x, y, 0, ws, ws_floats);
}

/* dx += the convolution of dy (OC channels) with w turned by 180 degrees, into C channels, padding 2 - p */
void conv_winograd_dx(const conv_geom_t *g, const float *w, const float *dy, float *dx, float *ws, size_t ws_floats) {
    const wconv_t d = {g->N, g->OC, g->OH, g->OW, g->C, g->H, g->W, 2 - g->ph, 2 - g->pw, w + 8, 9, g->C * 9L, -3, -1};
    winograd(&d, dy, dx, 1, ws, ws_floats);
}

/* ---- weight gradient: U = G g G^T is linear in g and M = U .* V, so dU[xi] = sum over tiles of dM[xi] V[xi]^T with
   dM = A dY A^T (the adjoint of the output transform), and dg = G^T dU G. Each thread sums its blocks' products into
   its own dU; the threads' sums are added in thread order. */

/* dM[xi][q][o] = (A dY A^T)[xi] for the nt tiles from t0, from dy channels last (zeros beyond it) */
static void transform_dy(const wconv_t *d, const float *dyt, long t0, int nt, float *M, size_t ms) {
    const int WT = 2 * tiles_x(d), HT = 2 * tiles_y(d), Cp = cp(d->OC);
    for (int q = 0; q < nt; q++) {
        int n, ty, tx;
        tile_at(d, t0 + q, &n, &ty, &tx);
        const float *r0 = dyt + (((size_t)n * HT + 2 * ty) * WT + 2 * tx) * Cp, *r1 = r0 + (size_t)WT * Cp;
        float *m = M + (size_t)q * Cp;
        for (int o = 0; o < Cp; o += VL) {
            const vf y00 = vld(r0 + o), y01 = vld(r0 + Cp + o), y10 = vld(r1 + o), y11 = vld(r1 + Cp + o);
            const vf s[4][2] = {{y00, y01}, {y00 + y10, y01 + y11}, {y00 - y10, y01 - y11}, {-y10, -y11}};
            for (int a = 0; a < 4; a++) {
                vst(m + (4 * a + 0) * ms + o, s[a][0]);
                vst(m + (4 * a + 1) * ms + o, s[a][0] + s[a][1]);
                vst(m + (4 * a + 2) * ms + o, s[a][0] - s[a][1]);
                vst(m + (4 * a + 3) * ms + o, -s[a][1]);
            }
        }
    }
}

/* dU (16, OC, C) += the products of one block of tiles */
static void dw_block(const wconv_t *d, const float *xp, const float *dyt, long t0, int tb, long T, float *V, float *M,
                     float *dU) {
    const int Cp = cp(d->C), OCp = cp(d->OC);
    const size_t vs = (size_t)Cp * tb + PAD, ms = (size_t)OCp * tb + PAD;
    const int nt = (int)(T - t0 < tb ? T - t0 : tb);
    transform_input(d, xp, t0, nt, V, vs);
    transform_dy(d, dyt, t0, nt, M, ms);
    for (int xi = 0; xi < 16; xi++) /* dU[xi] (OC, C) += dM[xi]^T (OC, nt) V[xi] (nt, C) */
        gemm(1, 0, d->OC, Cp, nt, 1.0f, M + xi * ms, OCp, V + xi * vs, Cp, 1.0f, dU + (size_t)xi * d->OC * Cp, Cp);
}

int conv_winograd_dw_ok(const conv_geom_t *g, size_t ws_floats) {
    int nth;
    const wconv_t d = fw_geom(g);
    return conv_winograd_ok(g, ws_floats) && plan(&d, 1, ws_floats, &nth);
}

/* the workspace with which all three passes run on every thread with blocks of TBMAX tiles (0: not Winograd) */
size_t conv_winograd_floats(const conv_geom_t *g) {
    if (!suits(g)) return 0;
    const wconv_t fw = fw_geom(g), dx = dx_geom(g);
    const size_t nth = (size_t)par_threads();
    size_t need = 0;
    for (int k = 0; k < 3; k++) { /* forward, input gradient, weight gradient */
        const wconv_t *d = k == 1 ? &dx : &fw;
        const int wg = k == 2;
        const size_t f = shared_floats(d, wg) + nth * (fixed_floats(d, wg) + vm_floats(d, TBMAX));
        if (f > need) need = f;
    }
    return need + 1; /* block_tiles wants more than the fixed part */
}

int conv_winograd_dw(const conv_geom_t *g, const float *x, const float *dy, float *dw, float *ws, size_t ws_floats) {
    int nth = 1;
    const wconv_t d = fw_geom(g);
    const int tb = plan(&d, 1, ws_floats, &nth);
    if (!tb) return -1;
    float *xp = ws, *dyt = xp + padded_floats(&d);
    to_channels_last(x, d.N, d.C, d.H, d.W, d.ph, d.pw, padded_h(&d), padded_w(&d), cp(d.C), xp);
    to_channels_last(dy, d.N, d.OC, d.OH, d.OW, 0, 0, 2 * tiles_y(&d), 2 * tiles_x(&d), cp(d.OC), dyt);
    ws = dyt + out_floats(&d);
    const long T = (long)g->N * tiles_y(&d) * tiles_x(&d), nblk = (T + tb - 1) / tb;
    const int Cp = cp(g->C);
    const size_t U = u_floats(&d), per_thread = U + vm_floats(&d, tb);
#pragma omp parallel num_threads(nth)
    {
        int me = 0, team = 1;
#ifdef _OPENMP
        me = omp_get_thread_num();
        team = omp_get_num_threads();
#endif
        float *dU = ws + per_thread * me, *V = dU + U, *M = V + 16 * ((size_t)Cp * tb + PAD);
        memset(dU, 0, sizeof(float) * U);
        for (long b = (nblk * me) / team; b < (nblk * (me + 1)) / team; b++)
            dw_block(&d, xp, dyt, b * tb, tb, T, V, M, dU);
#pragma omp barrier
#pragma omp for schedule(static)
        for (size_t k = 0; k < U; k++)
            for (int t = 1; t < team; t++) ws[k] += ws[per_thread * t + k];
    }
#pragma omp parallel for schedule(static)
    for (int oc = 0; oc < g->OC * g->C; oc++) { /* dw += G^T dU G */
        float u[4][4], r[3][4];
        const int o = oc / g->C, c = oc % g->C;
        for (int xi = 0; xi < 16; xi++) u[xi / 4][xi % 4] = ws[((size_t)xi * g->OC + o) * Cp + c];
        for (int b = 0; b < 4; b++) {
            r[0][b] = u[0][b] + 0.5f * (u[1][b] + u[2][b]);
            r[1][b] = 0.5f * (u[1][b] - u[2][b]);
            r[2][b] = 0.5f * (u[1][b] + u[2][b]) + u[3][b];
        }
        float *k = dw + (size_t)oc * 9;
        for (int i = 0; i < 3; i++) {
            k[3 * i + 0] += r[i][0] + 0.5f * (r[i][1] + r[i][2]);
            k[3 * i + 1] += 0.5f * (r[i][1] - r[i][2]);
            k[3 * i + 2] += 0.5f * (r[i][1] + r[i][2]) + r[i][3];
        }
    }
    return 0;
}
