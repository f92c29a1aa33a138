/* 3x3 stride-1 convolution by Winograd's minimal filtering F(2x2, 3x3) (Lavin & Gray 2016): each 2x2 block of
   outputs is A^T [ (G g G^T) .* (B^T d B) ] A for its 4x4 input patch d, so a layer is 16 GEMMs of
   (OC x C) (C x tiles) with 16 multiplies per 4 outputs instead of 36, and its input is read 4 times over instead of
   the 9 of im2col. Used for SRResNet's and SimGAN's 3x3 layers (and VGG's): the forward, the input gradient, which
   is the same convolution of dy with the kernel turned by 180 degrees and the channels swapped, and the weight
   gradient (below).

   Tiles go in blocks of TB; each thread transforms its block's input into V (16, C, TB), multiplies V by the
   transformed weights U (16, OC, C) into M (16, OC, TB) with a single-threaded sgemm per position, and transforms M
   back into its outputs. Every output is computed the same way whichever thread takes its block: deterministic. */
#include <string.h>
#include "nn/nn.h"
#ifdef _OPENMP
#include <omp.h>
#endif

/* tiles per block: V and M of a 64-channel layer stay within L2 (the SRResNet bench on 1 thread: 9.2-9.9 s of CPU,
   against 11.5-12.3 s with blocks of 256 tiles) */
enum { TBMAX = 64 };
/* positions xi of V and M are PAD floats further apart than C x TB (OC x TB): 16 streams a multiple of 4 KB apart
   would share their cache sets */
#define PAD 48

/* y (N,OC,OH,OW) from x (N,C,H,W); weight (o,c,i,j) at w[o*so + c*sc + i*si + j*sj] */
typedef struct {
    int N, C, H, W, OC, OH, OW, ph, pw;
    const float *w;
    long so, sc, si, sj;
} wconv_t;

static int threads(void) {
#ifdef _OPENMP
    return omp_in_parallel() ? 1 : omp_get_max_threads();
#else
    return 1;
#endif
}

/* the tile block (a multiple of 16, at most TBMAX) that fits `floats` of workspace: `shared` floats once, `fixed`
   more per thread, and V and M per tile and thread; fewer threads when their slices would not all fit a block of
   16; 0 when not even one does */
/* a thread's V and M for blocks of tb tiles */
static size_t vm_floats(int C, int OC, size_t tb) { return (size_t)16 * ((C + OC) * tb + 2 * PAD); }

static int block_tiles(int C, int OC, size_t shared, size_t fixed, size_t floats, int *nth_out) {
    for (int nth = threads(); nth >= 1; nth--) {
        const size_t once = shared + (fixed + vm_floats(C, OC, 0)) * nth;
        if (floats <= once) continue;
        size_t tb = (floats - once) / ((vm_floats(C, OC, 1) - vm_floats(C, OC, 0)) * nth);
        tb = tb > TBMAX ? TBMAX : tb & ~(size_t)15;
        if (tb >= 16) { *nth_out = nth; return (int)tb; }
    }
    return 0;
}
/* the input padded with zeros to whole tiles: tile (ty, tx) reads rows 2ty..2ty+3 and columns 2tx..2tx+3 */
static int padded_h(const wconv_t *d) { return 2 * ((d->OH + 1) / 2) + 2; }
static int padded_w(const wconv_t *d) { return 2 * ((d->OW + 1) / 2) + 2; }
static size_t padded_floats(const wconv_t *d) { return (size_t)d->N * d->C * padded_h(d) * padded_w(d); }

/* the workspace: the padded input, then U (forward) or, per thread, dU (weight gradient) */
static int plan(const wconv_t *d, int weight_grad, size_t floats, int *nth) {
    const size_t u = (size_t)16 * d->OC * d->C, pad = padded_floats(d);
    return block_tiles(d->C, d->OC, pad + (weight_grad ? 0 : u), weight_grad ? u : 0, floats, nth);
}

static void pad_input(const wconv_t *d, const float *x, float *xp) {
    const int HP = padded_h(d), WP = padded_w(d);
#pragma omp parallel for schedule(static)
    for (int nc = 0; nc < d->N * d->C; nc++)
        copy_padded(x + (size_t)nc * d->H * d->W, d->H, d->W, -d->ph, -d->pw, HP, WP, xp + (size_t)nc * HP * WP);
}

int conv_winograd_ok(const conv_geom_t *g, size_t ws_floats) {
    if (g->s != 1 || g->KH != 3 || g->KW != 3 || g->C < 8 || g->OC < 8) return 0;
    if (g->OH != g->H + 2 * g->ph - 2 || g->OW != g->W + 2 * g->pw - 2 || g->ph > 2 || g->pw > 2) return 0;
    const wconv_t fw = {g->N, g->C, g->H, g->W, g->OC, g->OH, g->OW, g->ph, g->pw, NULL, 0, 0, 0, 0};
    const wconv_t dx = {g->N, g->OC, g->OH, g->OW, g->C, g->H, g->W, 2 - g->ph, 2 - g->pw, NULL, 0, 0, 0, 0};
    int nth;
    return plan(&fw, 0, ws_floats, &nth) && plan(&dx, 0, ws_floats, &nth);
}

/* U[xi][o][c] = (G g G^T)[xi] for the 3x3 kernel g of (o, c) */
static void transform_weights(const wconv_t *d, float *U) {
    const size_t OCC = (size_t)d->OC * d->C;
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
        for (int xi = 0; xi < 16; xi++) U[xi * OCC + (size_t)oc] = u[xi / 4][xi % 4];
    }
}

/* V[xi][c][q0 + q] = (B^T d B)[xi] for tiles tx0..tx0+nt-1 of tile row ty in image n, from the padded input;
   positions vs apart */
static void transform_input(const wconv_t *d, const float *xp, int n, int ty, int tx0, int nt, float *V, int ld,
                            size_t vs, int q0) {
    const int HP = padded_h(d), WP = padded_w(d);
    for (int c = 0; c < d->C; c++) {
        const float *p = xp + (((size_t)n * d->C + c) * HP + 2 * ty) * WP + 2 * tx0;
        float *v = V + (size_t)c * ld + q0;
        for (int q = 0; q < nt; q++) { /* B^T d B of the 4x4 patch at column 2q */
            float t[4][4];
            for (int k = 0; k < 4; k++) {
                const float d0 = p[2 * q + k], d1 = p[WP + 2 * q + k], d2 = p[2 * WP + 2 * q + k],
                            d3 = p[3 * WP + 2 * q + k];
                t[0][k] = d0 - d2; t[1][k] = d1 + d2; t[2][k] = d2 - d1; t[3][k] = d1 - d3;
            }
            for (int r = 0; r < 4; r++) {
                v[(4 * r + 0) * vs + q] = t[r][0] - t[r][2];
                v[(4 * r + 1) * vs + q] = t[r][1] + t[r][2];
                v[(4 * r + 2) * vs + q] = t[r][2] - t[r][1];
                v[(4 * r + 3) * vs + q] = t[r][1] - t[r][3];
            }
        }
    }
}

/* y (=, or +=) A^T M A for tiles tx0..tx0+nt-1 of tile row ty in image n; M[xi][o][q0 + q], positions ms apart */
static void transform_output(const wconv_t *d, const float *M, int ld, size_t ms, int q0, int n, int ty, int tx0,
                             int nt, float *y, int accumulate) {
    const int oh = 2 * ty, two_rows = oh + 1 < d->OH, ow0 = 2 * tx0;
    const int full = d->OW - ow0 >= 2 * nt ? nt : nt - 1; /* tiles with both columns inside */
    for (int o = 0; o < d->OC; o++) {
        const float *m = M + (size_t)o * ld + q0;
        float *y0 = y + (((size_t)n * d->OC + o) * d->OH + oh) * d->OW + ow0, *y1 = y0 + d->OW;
        for (int q = 0; q < nt; q++) {
            float s[4], r[4];
            for (int k = 0; k < 4; k++) { /* A^T M, down the columns */
                const float m0 = m[k * ms + q], m1 = m[(4 + k) * ms + q], m2 = m[(8 + k) * ms + q],
                            m3 = m[(12 + k) * ms + q];
                s[k] = m0 + m1 + m2; r[k] = m1 - m2 - m3;
            }
            const float out[2][2] = {{s[0] + s[1] + s[2], s[1] - s[2] - s[3]},
                                     {r[0] + r[1] + r[2], r[1] - r[2] - r[3]}};
            const int nc = q < full ? 2 : 1;
            for (int a = 0; a < 1 + two_rows; a++) {
                float *yr = (a ? y1 : y0) + 2 * q;
                for (int k = 0; k < nc; k++) yr[k] = accumulate ? yr[k] + out[a][k] : out[a][k];
            }
        }
    }
}

/* tile t as (image n, tile row ty, tile column tx); returns the tiles from it to the end of its tile row, at most
   `left` */
static int tile_run(const wconv_t *d, long t, int left, int *n, int *ty, int *tx) {
    const int TX = (d->OW + 1) / 2, TY = (d->OH + 1) / 2;
    *tx = (int)(t % TX);
    *ty = (int)(t / TX % TY);
    *n = (int)(t / TX / TY);
    return TX - *tx < left ? TX - *tx : left;
}

/* one block of TB tiles starting at tile t0: V, 16 products, outputs */
static void run_block(const wconv_t *d, const float *U, const float *xp, float *y, int accumulate, long t0, int tb,
                      long T, float *V, float *M) {
    const size_t vs = (size_t)d->C * tb + PAD, ms = (size_t)d->OC * tb + PAD;
    const int nt_all = (int)(T - t0 < tb ? T - t0 : tb);
    int n, ty, tx;
    for (int q = 0, nt; q < nt_all; q += nt) {
        nt = tile_run(d, t0 + q, nt_all - q, &n, &ty, &tx);
        transform_input(d, xp, n, ty, tx, nt, V, tb, vs, q);
    }
    for (int xi = 0; xi < 16; xi++) /* M[xi] (OC, nt) = U[xi] (OC, C) V[xi] (C, nt) */
        gemm(0, 0, d->OC, nt_all, d->C, 1.0f, U + (size_t)xi * d->OC * d->C, d->C, V + xi * vs, tb, 0.0f,
             M + xi * ms, tb);
    for (int q = 0, nt; q < nt_all; q += nt) {
        nt = tile_run(d, t0 + q, nt_all - q, &n, &ty, &tx);
        transform_output(d, M, tb, ms, q, n, ty, tx, nt, y, accumulate);
    }
}

static void winograd(const wconv_t *d, const float *x, float *y, int accumulate, float *ws, size_t ws_floats) {
    int nth = 1;
    const int tb = plan(d, 0, ws_floats, &nth);
    const long T = (long)d->N * ((d->OH + 1) / 2) * ((d->OW + 1) / 2), nblk = (T + tb - 1) / tb;
    float *xp = ws, *U = xp + padded_floats(d), *per = U + (size_t)16 * d->OC * d->C;
    pad_input(d, x, xp);
    const size_t per_thread = vm_floats(d->C, d->OC, tb);
    transform_weights(d, U);
#pragma omp parallel for schedule(static) num_threads(nth)
    for (long b = 0; b < nblk; b++) {
        int me = 0;
#ifdef _OPENMP
        me = omp_get_thread_num();
#endif
        float *V = per + per_thread * me, *M = V + 16 * ((size_t)d->C * tb + PAD);
        run_block(d, U, xp, y, accumulate, b * tb, tb, T, V, M);
    }
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

/* dM[xi][o][q0 + q] = (A dY A^T)[xi] for tiles tx0..tx0+nt-1 of tile row ty in image n (dY 0 outside the output) */
static void transform_dy(const wconv_t *d, const float *dy, int n, int ty, int tx0, int nt, float *M, int ld,
                         size_t ms, int q0) {
    float row[2 * 2 * TBMAX]; /* the tiles' two rows of dy, 2nt columns each */
    for (int o = 0; o < d->OC; o++) {
        copy_padded(dy + ((size_t)n * d->OC + o) * d->OH * d->OW, d->OH, d->OW, 2 * ty, 2 * tx0, 2, 2 * nt, row);
        const float *r0 = row, *r1 = row + 2 * nt;
        float *m = M + (size_t)o * ld + q0;
        for (int q = 0; q < nt; q++) {
            const float y00 = r0[2 * q], y01 = r0[2 * q + 1], y10 = r1[2 * q], y11 = r1[2 * q + 1];
            const float s[4][2] = {{y00, y01}, {y00 + y10, y01 + y11}, {y00 - y10, y01 - y11}, {-y10, -y11}};
            for (int a = 0; a < 4; a++) {
                m[(4 * a + 0) * ms + q] = s[a][0];
                m[(4 * a + 1) * ms + q] = s[a][0] + s[a][1];
                m[(4 * a + 2) * ms + q] = s[a][0] - s[a][1];
                m[(4 * a + 3) * ms + q] = -s[a][1];
            }
        }
    }
}

/* dU (16, OC, C) += the products of one block of tiles */
static void dw_block(const wconv_t *d, const float *xp, const float *dy, long t0, int tb, long T, float *V, float *M,
                     float *dU) {
    const size_t vs = (size_t)d->C * tb + PAD, ms = (size_t)d->OC * tb + PAD;
    const int nt_all = (int)(T - t0 < tb ? T - t0 : tb);
    int n, ty, tx;
    for (int q = 0, nt; q < nt_all; q += nt) {
        nt = tile_run(d, t0 + q, nt_all - q, &n, &ty, &tx);
        transform_input(d, xp, n, ty, tx, nt, V, tb, vs, q);
        transform_dy(d, dy, n, ty, tx, nt, M, tb, ms, q);
    }
    for (int xi = 0; xi < 16; xi++) /* dU[xi] (OC, C) += dM[xi] (OC, nt) V[xi]^T (nt, C) */
        gemm(0, 1, d->OC, d->C, nt_all, 1.0f, M + xi * ms, tb, V + xi * vs, tb, 1.0f,
             dU + (size_t)xi * d->OC * d->C, d->C);
}

int conv_winograd_dw_ok(const conv_geom_t *g, size_t ws_floats) {
    int nth;
    const wconv_t d = {g->N, g->C, g->H, g->W, g->OC, g->OH, g->OW, g->ph, g->pw, NULL, 0, 0, 0, 0};
    return conv_winograd_ok(g, ws_floats) && plan(&d, 1, ws_floats, &nth);
}

int conv_winograd_dw(const conv_geom_t *g, const float *x, const float *dy, float *dw, float *ws, size_t ws_floats) {
    int nth = 1;
    const wconv_t d = {g->N, g->C, g->H, g->W, g->OC, g->OH, g->OW, g->ph, g->pw, NULL, 0, 0, 0, 0};
    const int tb = plan(&d, 1, ws_floats, &nth);
    if (!tb) return -1;
    float *xp = ws;
    pad_input(&d, x, xp);
    ws += padded_floats(&d);
    const long T = (long)g->N * ((g->OH + 1) / 2) * ((g->OW + 1) / 2), nblk = (T + tb - 1) / tb;
    const size_t U = (size_t)16 * g->OC * g->C, per_thread = U + vm_floats(g->C, g->OC, tb);
#pragma omp parallel num_threads(nth)
    {
        int me = 0, team = 1;
#ifdef _OPENMP
        me = omp_get_thread_num();
        team = omp_get_num_threads();
#endif
        float *dU = ws + per_thread * me, *V = dU + U, *M = V + 16 * ((size_t)g->C * tb + PAD);
        memset(dU, 0, sizeof(float) * U);
        for (long b = (nblk * me) / team; b < (nblk * (me + 1)) / team; b++)
            dw_block(&d, xp, dy, b * tb, tb, T, V, M, dU);
#pragma omp barrier
#pragma omp for schedule(static)
        for (size_t k = 0; k < U; k++)
            for (int t = 1; t < team; t++) ws[k] += ws[per_thread * t + k];
    }
#pragma omp parallel for schedule(static)
    for (int oc = 0; oc < g->OC * g->C; oc++) { /* dw += G^T dU G */
        float u[4][4], r[3][4];
        for (int xi = 0; xi < 16; xi++) u[xi / 4][xi % 4] = ws[(size_t)xi * g->OC * g->C + oc];
        for (int b = 0; b < 4; b++) {
            r[0][b] = u[0][b] + 0.5f * (u[1][b] + u[2][b]);
            r[1][b] = 0.5f * (u[1][b] - u[2][b]);
            r[2][b] = 0.5f * (u[1][b] + u[2][b]) + u[3][b];
        }
        float *o = dw + (size_t)oc * 9;
        for (int i = 0; i < 3; i++) {
            o[3 * i + 0] += r[i][0] + 0.5f * (r[i][1] + r[i][2]);
            o[3 * i + 1] += 0.5f * (r[i][1] - r[i][2]);
            o[3 * i + 2] += 0.5f * (r[i][1] + r[i][2]) + r[i][3];
        }
    }
    return 0;
}
