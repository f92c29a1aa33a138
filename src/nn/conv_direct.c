/* Stride-1 convolution computed directly in register tiles, for few output channels or large kernels: an image
   generator's last layer (SRResNet's 9x9 64 -> 3, LAPGAN's 5x5 32 -> 1), LAPGAN's 7x7 and 5x5 layers, and the input
   gradient of such a layer, which is a stride-1 convolution of dy with the flipped kernel. Through im2col the
   few-output layers are GEMMs with 4 or fewer rows over a matrix of C*KH*KW rows built for them (a pass of memory
   per multiply-add); the loops in conv2d.c that they replace ran at about 5 GFLOP/s on SRResNet's last layer.

   A tile is RB output rows (more for one or two output channels, so that there are as many accumulators in flight)
   x up to TW output columns x up to OB output channels. For each input channel the rows and
   columns the tile reads are copied, with the padding as zeros, into a small patch; the tile's accumulators are then
   RB x OB vectors of VL floats held in registers across all KH x KW taps. The weight gradient keeps OB x KW vectors
   (one input channel and kernel row per task) over every output row of the batch.

   Every output and every weight is one fixed sum order whatever the thread count: deterministic. Vectors of VL floats
   (simd.h). */
#include <string.h>
#include "nn/nn.h"
#include "nn/simd.h"
#ifdef _OPENMP
#include <omp.h>
#endif

enum { RB = 4, OB = 4, TW = 128, KMAX = 16, DW_REGS = 28, DW_MAXW = 1024 };

/* one stride-1 convolution: x (N,C,H,W) -> y (N,OC,OH,OW); weight (o,c,i,j) at w[o*so + c*sc + i*si + j*sj] */
typedef struct {
    int N, C, H, W, OC, OH, OW, KH, KW, ph, pw;
    const float *w;
    long so, sc, si, sj;
} dconv_t;

/* stride 1, and few output channels or a kernel of 5x5 or more over 2 or more channels (LAPGAN's 7x7 and 5x5
   32 -> 32: 1.6-2.5x the im2col GEMM's speed measured at batch 64, forward and input gradient; its 2 -> 32 first
   layers: forward 1.4-1.6x, one thread; SRResNet's 9x9 head from 3 channels about even; at 3x3 the GEMM is faster).
   Conv2d sends the large-kernel layers between 8 or more channels to the DFT (conv_dft.c) when it can. */
int conv_direct_ok(const conv_geom_t *g) {
    /* planes narrower than 8 stay with the plain loops of conv2d.c */
    return g->s == 1 && (g->OC <= OB || (g->KH * g->KW >= 25 && g->C >= 2)) && g->KH <= KMAX && g->KW <= KMAX &&
           g->OW >= 8 && g->W >= 8 &&
           g->OH == g->H + 2 * g->ph - g->KH + 1 && g->OW == g->W + 2 * g->pw - g->KW + 1;
}

/* rows per tile: RB, or RB_MAX / OC for 1 or 2 output channels (LAPGAN's 64 -> 1 last layer and the input
   gradient of its 2 -> 64 first ones, whose 4 or 8 accumulators waited on each other's multiply-adds) */
enum { RB_MAX = 16 };
static int tile_rows(const dconv_t *d) { return d->OC < 3 ? RB_MAX / d->OC : RB; }
/* acc (rb,OB,TW) += the taps of one input channel c over nv vectors of columns, for ob output channels from o0 */
INLINE void tile_channel(const dconv_t *d, const float *patch, int pcols, int c, int o0, int nv, float *acc,
                         const int rb, const int ob) {
    const float *wc = d->w + o0 * d->so + c * d->sc;
    for (int v = 0; v < nv; v++) {
        vf a[RB_MAX][OB];
        for (int r = 0; r < rb; r++)
            for (int o = 0; o < ob; o++) a[r][o] = vld(acc + (size_t)(r * OB + o) * TW + v * VL);
        for (int i = 0; i < d->KH; i++)
            for (int j = 0; j < d->KW; j++) {
                float wv[OB];
                for (int o = 0; o < ob; o++) wv[o] = wc[o * d->so + i * d->si + j * d->sj];
                const float *p = patch + (size_t)i * pcols + v * VL + j;
                for (int r = 0; r < rb; r++) {
                    const vf xv = vld(p + (size_t)r * pcols);
                    for (int o = 0; o < ob; o++) a[r][o] += wv[o] * xv;
                }
            }
        for (int r = 0; r < rb; r++)
            for (int o = 0; o < ob; o++) vst(acc + (size_t)(r * OB + o) * TW + v * VL, a[r][o]);
    }
}

/* n floats, whole vectors by vector moves (a memcpy call per 32-float row was 1.4% of LAPGAN's step) */
INLINE void copy_row(float *dst, const float *src, int n) {
    int k = 0;
    for (; k + VL <= n; k += VL) vst(dst + k, vld(src + k));
    for (; k < n; k++) dst[k] = src[k];
}

/* Inputs padded whole, for direct_tiles and the weight gradient: planes of `rows` x cols_for(OW, KW), row r and
   column q holding input row r - ph and column q - pw (zeros outside), so that whole vectors of outputs read their
   patches in place */
static int cols_for(int OW, int KW) { return (OW + VL - 1) / VL * VL + KW - 1; }
static void pad_whole(const float *x, int NC, int H, int W, int ph, int pw, int rows, int cols, float *out) {
    const size_t HW = (size_t)H * W, plane = (size_t)rows * cols;
#pragma omp parallel for schedule(static)
    for (int nc = 0; nc < NC; nc++) copy_padded(x + nc * HW, H, W, -ph, -pw, rows, cols, out + nc * plane);
}

/* direct_tiles' padding: rows to whole row blocks */
static int pad_rows(const dconv_t *d) { return (d->OH + tile_rows(d) - 1) / tile_rows(d) * tile_rows(d) + d->KH - 1; }
static int pad_cols(const dconv_t *d) { return cols_for(d->OW, d->KW); }
static size_t pad_floats(const dconv_t *d) { return (size_t)d->N * d->C * pad_rows(d) * pad_cols(d); }

/* y (=, or += when accumulate) the convolution; tasks are (image, output-channel block, row block, column tile).
   xpad: NULL (each task copies its patches), or the input padded whole (pad_rows x pad_cols planes): LAPGAN's
   3 -> 32 layers spent a fifth of their time in the patch copies. */
static void direct_tiles(const dconv_t *d, const float *x, float *y, int accumulate, float *xpad) {
    const int rbk = tile_rows(d), nrb = (d->OH + rbk - 1) / rbk, nct = (d->OW + TW - 1) / TW;
    const int nob = (d->OC + OB - 1) / OB;
    const long tasks = (long)d->N * nob * nrb * nct;
    const size_t HW = (size_t)d->H * d->W, P = (size_t)d->OH * d->OW, XP = (size_t)pad_rows(d) * pad_cols(d);
    if (xpad) pad_whole(x, d->N * d->C, d->H, d->W, d->ph, d->pw, pad_rows(d), pad_cols(d), xpad);
#pragma omp parallel for schedule(static)
    for (long t = 0; t < tasks; t++) {
        float patch[(RB_MAX + KMAX - 1) * (TW + KMAX - 1)], acc[RB_MAX * OB * TW];
        const int ct = (int)(t % nct), rb = (int)(t / nct % nrb), obk = (int)(t / nct / nrb % nob);
        const int n = (int)(t / nct / nrb / nob), oh0 = rb * rbk, ow0 = ct * TW, o0 = obk * OB;
        const int ncols = d->OW - ow0 < TW ? d->OW - ow0 : TW, nv = (ncols + VL - 1) / VL;
        const int nr = d->OH - oh0 < rbk ? d->OH - oh0 : rbk, ob = d->OC - o0 < OB ? d->OC - o0 : OB;
        const int prows = rbk + d->KH - 1, pcols = xpad ? pad_cols(d) : nv * VL + d->KW - 1;
        for (int r = 0; r < rbk; r++) /* the part of the tile in use */
            for (int o = 0; o < ob; o++)
                for (int v = 0; v < nv; v++) vst(acc + (size_t)(r * OB + o) * TW + v * VL, (vf){0});
        if (accumulate)
            for (int r = 0; r < nr; r++)
                for (int o = 0; o < ob; o++)
                    copy_row(acc + (size_t)(r * OB + o) * TW, y + ((size_t)n * d->OC + o0 + o) * P +
                             (size_t)(oh0 + r) * d->OW + ow0, ncols);
        for (int c = 0; c < d->C; c++) {
            const float *pp = patch;
            if (xpad) pp = xpad + ((size_t)n * d->C + c) * XP + (size_t)oh0 * pcols + ow0;
            else
                copy_padded(x + ((size_t)n * d->C + c) * HW, d->H, d->W, oh0 - d->ph, ow0 - d->pw, prows, pcols,
                            patch);
            switch (rbk * 8 + ob) {
            case RB_MAX * 8 + 1: tile_channel(d, pp, pcols, c, o0, nv, acc, RB_MAX, 1); break;
            case RB_MAX / 2 * 8 + 1: tile_channel(d, pp, pcols, c, o0, nv, acc, RB_MAX / 2, 1); break;
            case RB_MAX / 2 * 8 + 2: tile_channel(d, pp, pcols, c, o0, nv, acc, RB_MAX / 2, 2); break;
            case RB * 8 + 1: tile_channel(d, pp, pcols, c, o0, nv, acc, RB, 1); break;
            case RB * 8 + 2: tile_channel(d, pp, pcols, c, o0, nv, acc, RB, 2); break;
            case RB * 8 + 3: tile_channel(d, pp, pcols, c, o0, nv, acc, RB, 3); break;
            default: tile_channel(d, pp, pcols, c, o0, nv, acc, RB, 4); break;
            }
        }
        for (int r = 0; r < nr; r++)
            for (int o = 0; o < ob; o++)
                copy_row(y + ((size_t)n * d->OC + o0 + o) * P + (size_t)(oh0 + r) * d->OW + ow0,
                         acc + (size_t)(r * OB + o) * TW, ncols);
    }
}

void conv_direct_forward(const conv_geom_t *g, const float *x, const float *w, float *y, float *ws, size_t ws_floats) {
    const long KK = (long)g->KH * g->KW;
    const dconv_t d = {g->N, g->C, g->H, g->W, g->OC, g->OH, g->OW, g->KH, g->KW, g->ph, g->pw,
                       w, g->C * KK, KK, g->KW, 1};
    direct_tiles(&d, x, y, 0, ws && pad_floats(&d) <= ws_floats ? ws : NULL);
}

/* dx += the full correlation of dy with the kernel turned by 180 degrees: a stride-1 convolution OC -> C */
void conv_direct_dx(const conv_geom_t *g, const float *w, const float *dy, float *dx, float *ws, size_t ws_floats) {
    const long KK = (long)g->KH * g->KW;
    const dconv_t d = {g->N, g->OC, g->OH, g->OW, g->C, g->H, g->W, g->KH, g->KW, g->KH - 1 - g->ph,
                       g->KW - 1 - g->pw, w + KK - 1, KK, g->C * KK, -g->KW, -1};
    direct_tiles(&d, dy, dx, 1, ws && pad_floats(&d) <= ws_floats ? ws : NULL);
}

/* ---- weight gradient: a unit is (block of dw_blk output channels from o0, input channel c). Each thread takes a
   contiguous range of units, UC at a time, and goes through the images outermost, so that one image's dy rows and
   input plane stay in cache while all its units' kernel rows use them (with the images innermost every unit read
   all of dy from memory again: SRResNet's 64 -> 3 9x9 layer 576 times). For each image, unit and kernel row i the
   oc x KW vector accumulators run over the output rows, then their lanes go into double: every weight's sum has one
   fixed order whatever the thread count. The input's plane for (image, channel) is read padded: from one padded
   copy of the whole input made for all the units (xpad), else from a copy made by the thread for its unit when the
   plane fits PLANE_MAX floats (LAPGAN's 32 -> 1 layer: a row copy per output row and kernel row cost more than the
   row's multiply-adds), else row by row. */
enum { UC = 4, PLANE_MAX = 16384 };
typedef struct {
    const conv_geom_t *g;
    const float *x, *dy;
    float *dw;
    const float *xpad; /* NULL, or the input padded: (N, C, plane_rows, plane_cols) */
} dwjob_t;

static int plane_rows(const conv_geom_t *g) { return g->OH + g->KH - 1; }
static int plane_cols(const conv_geom_t *g) { return cols_for(g->OW, g->KW); }

/* a[o][j] += dy rows dr[o] times the input row xr shifted by j, over nv vectors */
INLINE void dw_row(vf a[OB][KMAX], const float *const *dr, const float *xr, int nv, const int oc, const int kw) {
    for (int v = 0; v < nv; v++) {
        vf dv[OB];
        for (int o = 0; o < oc; o++) dv[o] = vld(dr[o] + v * VL);
        for (int j = 0; j < kw; j++) {
            const vf xv = vld(xr + v * VL + j);
            for (int o = 0; o < oc; o++) a[o][j] += dv[o] * xv;
        }
    }
}

/* sum[o][j] (KMAX apart) += image n's products for unit (o0, c) and kernel row i; xp: the padded plane of (n, c)
   (plane_rows x plane_cols; row r holds input row r - ph), or NULL */
INLINE void dw_image(const dwjob_t *jb, int n, int c, int i, int o0, const float *xp, float *xrow, float *dyrows,
                     double *sum, const int oc, const int kw) {
    const conv_geom_t *g = jb->g;
    const int nv = (g->OW + VL - 1) / VL, rowlen = nv * VL, xlen = rowlen + kw - 1;
    const size_t HW = (size_t)g->H * g->W, P = (size_t)g->OH * g->OW;
    const int lo = g->ph - i > 0 ? g->ph - i : 0, hi = g->H + g->ph - i < g->OH ? g->H + g->ph - i : g->OH;
    const float *dy = jb->dy + ((size_t)n * g->OC + o0) * P, *dr[OB];
    vf a[OB][KMAX];
    for (int o = 0; o < oc; o++)
        for (int j = 0; j < kw; j++) a[o][j] = (vf){0};
    if (xp && rowlen == g->OW) { /* nothing to copy: no calls in the loop, so the accumulators stay in registers */
        for (int oh = lo; oh < hi; oh++) {
            for (int o = 0; o < oc; o++) dr[o] = dy + o * P + (size_t)oh * g->OW;
            dw_row(a, dr, xp + (size_t)(oh + i) * plane_cols(g), nv, oc, kw);
        }
    } else {
        for (int oh = lo; oh < hi; oh++) {
            const float *xr = xrow;
            if (xp) xr = xp + (size_t)(oh + i) * plane_cols(g);
            else copy_padded(jb->x + ((size_t)n * g->C + c) * HW, g->H, g->W, oh - g->ph + i, -g->pw, 1, xlen, xrow);
            for (int o = 0; o < oc; o++) { /* dy's rows as they are when whole vectors, else copied with zeros */
                if (rowlen == g->OW) {
                    dr[o] = dy + o * P + (size_t)oh * g->OW;
                } else {
                    copy_padded(dy + o * P, g->OH, g->OW, oh, 0, 1, rowlen, dyrows + (size_t)o * rowlen);
                    dr[o] = dyrows + (size_t)o * rowlen;
                }
            }
            dw_row(a, dr, xr, nv, oc, kw);
        }
    }
    /* lanes into double, image by image: VL accumulators at a time transposed, so that one vector sum gives each
       its lane total (272 scalar operations per 16 accumulators were a quarter of LAPGAN's 3 -> 32 layers) */
    vf t[VL];
    int k = 0, at[VL];
    for (int o = 0; o < oc; o++)
        for (int j = 0; j < kw; j++) {
            at[k] = o * KMAX + j;
            t[k++] = a[o][j];
            if (k < VL && !(o == oc - 1 && j == kw - 1)) continue;
            for (int q = k; q < VL; q++) t[q] = (vf){0};
            vtranspose(t);
            vf tot = t[0];
            for (int r = 1; r < VL; r++) tot += t[r];
            float l[VL];
            vst(l, tot);
            for (int q = 0; q < k; q++) sum[at[q]] += l[q];
            k = 0;
        }
}

/* the (outputs, KW) pairs with a tuned body (dw_blk keeps them within the registers) */
#define DW_CASE(O, K) case O * 32 + K: dw_image(jb, n, c, i, o0, xp, xrow, dyrows, s, O, K); break;
#define DW_CASES9(O) DW_CASE(O, 1) DW_CASE(O, 2) DW_CASE(O, 3) DW_CASE(O, 4) DW_CASE(O, 5) DW_CASE(O, 6) \
    DW_CASE(O, 7) DW_CASE(O, 8) DW_CASE(O, 9)

/* output channels per unit: its blk x KW accumulators, blk dy vectors and an input vector within the 32 registers (4
   at 7 wide spilled: LAPGAN's 3 -> 32 7x7 layer ran at 54 GFLOP/s on one thread) */
static int dw_blk(const conv_geom_t *g) {
    const int b = 31 / (g->KW + 1);
    return b < OB ? b : OB;
}

/* rows of a vector or more: on narrower planes (SimGAN's 8x8) the row copies cost more than the plain loops of
   conv2d.c (SimGAN's 1x1 32 -> 1 tail: 1.0 -> 0.5 ms per step on one thread) */
int conv_direct_dw_ok(const conv_geom_t *g) {
    return conv_direct_ok(g) && g->OC <= OB && g->KW <= 9 && g->OC * g->KW <= DW_REGS && g->OW <= DW_MAXW &&
           g->OW >= VL;
}

/* dw += the sums of units u0..u1-1 (u = block * C + c), images outermost */
static void dw_units(const dwjob_t *jb, int u0, int u1, float *xrow, float *dyrows, float *plane, double *sum) {
    const conv_geom_t *g = jb->g;
    const size_t per_unit = (size_t)g->KH * OB * KMAX, PP = (size_t)plane_rows(g) * plane_cols(g);
    const int blk = dw_blk(g);
    memset(sum, 0, sizeof(double) * per_unit * (u1 - u0));
    for (int n = 0; n < g->N; n++)
        for (int u = u0; u < u1; u++) {
            const int c = u % g->C, o0 = u / g->C * blk, ob = g->OC - o0 < blk ? g->OC - o0 : blk;
            const float *xp = jb->xpad ? jb->xpad + ((size_t)n * g->C + c) * PP : NULL;
            if (!xp && PP <= PLANE_MAX) { /* this unit's plane, once for all its kernel rows */
                copy_padded(jb->x + ((size_t)n * g->C + c) * g->H * g->W, g->H, g->W, -g->ph, -g->pw, plane_rows(g),
                            plane_cols(g), plane);
                xp = plane;
            }
            for (int i = 0; i < g->KH; i++) {
                double *s = sum + per_unit * (u - u0) + (size_t)i * OB * KMAX;
                switch (ob * 32 + g->KW) {
                    DW_CASES9(1) DW_CASES9(2) DW_CASES9(3)
                    DW_CASE(4, 1) DW_CASE(4, 2) DW_CASE(4, 3) DW_CASE(4, 4) DW_CASE(4, 5) DW_CASE(4, 6)
                default: break; /* excluded by conv_direct_dw_ok, conv_direct_dw_wide_floats, dw_blk */
                }
            }
        }
    for (int u = u0; u < u1; u++) {
        const int c = u % g->C, o0 = u / g->C * blk, ob = g->OC - o0 < blk ? g->OC - o0 : blk;
        for (int i = 0; i < g->KH; i++)
            for (int o = 0; o < ob; o++)
                for (int j = 0; j < g->KW; j++)
                    jb->dw[(((size_t)(o0 + o) * g->C + c) * g->KH + i) * g->KW + j] +=
                        (float)sum[per_unit * (u - u0) + ((size_t)i * OB + o) * KMAX + j];
    }
}

static void dw_run(const dwjob_t *jb) {
    const int units = (jb->g->OC + dw_blk(jb->g) - 1) / dw_blk(jb->g) * jb->g->C;
#pragma omp parallel
    {
        int me = 0, team = 1;
#ifdef _OPENMP
        me = omp_get_thread_num();
        team = omp_get_num_threads();
#endif
        float xrow[DW_MAXW + VL + KMAX], dyrows[OB * (DW_MAXW + VL)], plane[PLANE_MAX];
        double sum[UC * KMAX * OB * KMAX];
        const int u1 = (int)((long)units * (me + 1) / team);
        for (int u = (int)((long)units * me / team); u < u1; u += UC)
            dw_units(jb, u, u + UC < u1 ? u + UC : u1, xrow, dyrows, plane, sum);
    }
}

void conv_direct_dw(const conv_geom_t *g, const float *x, const float *dy, float *dw) {
    const dwjob_t jb = {g, x, dy, dw, NULL};
    dw_run(&jb);
}

/* Many output channels from few input channels (LAPGAN's first layers, 2 or 3 -> 32 at 5x5 and 7x7): through im2col
   the weight gradient is a GEMM of 32 rows over C*KH*KW x N*OH*OW columns built for it, a pass of memory per 32
   multiply-adds. Here the input is padded once and every block of output channels reads its rows in place. */
size_t conv_direct_dw_wide_floats(const conv_geom_t *g) {
    if (!conv_direct_ok(g) || g->OC <= OB || g->C > 4 || g->KW > 7 || g->OW > DW_MAXW || g->OW < VL) return 0;
    return (size_t)g->N * g->C * plane_rows(g) * plane_cols(g);
}
void conv_direct_dw_wide(const conv_geom_t *g, const float *x, const float *dy, float *dw, float *ws) {
    const dwjob_t jb = {g, x, dy, dw, ws};
    pad_whole(x, g->N * g->C, g->H, g->W, g->ph, g->pw, plane_rows(g), plane_cols(g), ws);
    dw_run(&jb);
}
