/* 3x3 stride-1 convolution by Winograd's minimal filtering F(mxm, 3x3) (Lavin & Gray 2016), m = 2 or 4: each m x m
   block of outputs is A^T [ (G g G^T) .* (B^T d B) ] A for its a x a input patch d (a = m + 2), so a layer is a^2
   GEMMs of (tiles x C) (C x OC): F(2x2) takes 16 multiplies per 4 outputs instead of 36, F(4x4) 36 per 16 (4x fewer,
   at a cost in rounding: test_conv's worst error 1.2e-4 against 1.1e-5, relative to 1 + |value|). A layer takes
   F(4x4) when it needs fewer products over its planes (conv_winograd_tile). Used for SRResNet's and SimGAN's 3x3
   layers (and VGG's, and LAPGAN's 5x5 stride-2 critics through conv_s2d.c): the forward, the input gradient, which is
   the same convolution of dy with the kernel turned by 180 degrees and the channels swapped, and the weight gradient
   (below).

   The transforms run channels-last, VL channels to a vector: the input is first copied, padded, into (N, rows,
   columns, C) and the outputs come back from (N, rows, columns, OC), so every tile's transform is whole-vector
   arithmetic, however narrow the planes (SimGAN's 8x8: 4 tiles to a row). A side already held channels-last
   (conv_cl.c) is read or written in place, zeros outside the image, with no copy. Channel counts are rounded up to VL
   (zeros). Tiles go in blocks of TB; each thread transforms its block's input into V (a^2, TB, C), multiplies V by
   the transformed weights U (a^2, C, OC) into M (a^2, TB, OC) with a single-threaded sgemm per position, and
   transforms M back. Every output is computed the same way whichever thread takes its block: deterministic. */
#include <string.h>
#include "nn/nn.h"
#include "nn/simd.h"
#ifdef _OPENMP
#include <omp.h>
#endif

/* tiles per block, at most TBMAX: V and M of a 64-channel layer (1 MB) stay within L2. F(2x2), one thread, 10
   forward calls: SRResNet's body layer (16 images of 24x24, 64 -> 64) spent 26 ms in its sgemms with blocks of 128
   tiles, 33 ms with 64 and 40 ms with 256; SimGAN's (64 of 8x8, 32 -> 32) 3.1 ms with 128 or 256, 4.6 ms with 64.
   F(4x4) has 36 positions to 16, and half the block: all three passes of the same layers, one thread, 7.9-8.3 ms
   (SRResNet) and 1.19-1.21 ms (SimGAN) with 48 or 64 tiles, 8.6-9.4 and 1.28-1.37 ms with 128. */
enum { TBMAX = 128 };
/* positions xi of V and M are PAD floats further apart than C x TB (OC x TB): a^2 streams a multiple of 4 KB apart
   would share their cache sets */
#define PAD 48

/* y (N,OC,OH,OW) from x (N,C,H,W) in m x m tiles; weight (o,c,i,j) at w[o*so + c*sc + i*si + j*sj]; phased: x is
   held as the (N, C/4, 2H, 2W) it is the four phases of (conv_s2d.c); phased_out: y likewise, and added to; src_cl,
   dst_cl: x, y held channels-last, (N,H,W,C), read and written as they are (conv_cl.c; C, OC whole vectors) */
typedef struct {
    int N, C, H, W, OC, OH, OW, ph, pw, m, phased, phased_out;
    const float *w;
    long so, sc, si, sj;
    int src_cl, dst_cl;
} wconv_t;

/* F(4x4, 3x3) where its tiles need fewer products over the plane than F(2x2)'s (odd planes of 5 or 6 do not) */
int conv_winograd_tile(int OH, int OW) {
    return 36L * ((OH + 3) / 4) * ((OW + 3) / 4) < 16L * ((OH + 1) / 2) * ((OW + 1) / 2) ? 4 : 2;
}
static int cp(int c) { return (c + VL - 1) / VL * VL; } /* channels rounded up to whole vectors */
static int tiles_y(const wconv_t *d) { return (d->OH + d->m - 1) / d->m; }
static int tiles_x(const wconv_t *d) { return (d->OW + d->m - 1) / d->m; }
static int npos(const wconv_t *d) { return (d->m + 2) * (d->m + 2); } /* a^2 positions */

static int tb_max(const wconv_t *d) { return d->m == 2 ? TBMAX : TBMAX / 2; }

/* a thread's V and M for blocks of tb tiles */
static size_t vm_floats(const wconv_t *d, size_t tb) {
    return (size_t)npos(d) * ((cp(d->C) + cp(d->OC)) * tb + 2 * PAD);
}

/* the tile block (a multiple of 16, at most tb_max) that fits `floats` of workspace: `shared` floats once, `fixed`
   more per thread, and V and M per tile and thread; fewer threads when their slices would not all fit a block of
   16; 0 when not even one does */
static int block_tiles(const wconv_t *d, size_t shared, size_t fixed, size_t floats, int *nth_out) {
    for (int nth = par_threads(); nth >= 1; nth--) {
        const size_t once = shared + (fixed + vm_floats(d, 0)) * nth;
        if (floats <= once) continue;
        size_t tb = (floats - once) / ((vm_floats(d, 1) - vm_floats(d, 0)) * nth);
        tb = tb > (size_t)tb_max(d) ? (size_t)tb_max(d) : tb & ~(size_t)15;
        if (tb >= 16) { *nth_out = nth; return (int)tb; }
    }
    return 0;
}
/* the input padded with zeros to whole tiles, channels last: tile (ty, tx) reads rows m ty .. m ty + m + 1 and
   the same columns */
static int padded_h(const wconv_t *d) { return d->m * tiles_y(d) + 2; }
static int padded_w(const wconv_t *d) { return d->m * tiles_x(d) + 2; }
static size_t padded_floats(const wconv_t *d) { return (size_t)d->N * padded_h(d) * padded_w(d) * cp(d->C); }
/* the outputs (or dy) channels last, over whole tiles */
static size_t out_floats(const wconv_t *d) {
    return (size_t)d->N * d->m * d->m * tiles_y(d) * tiles_x(d) * cp(d->OC);
}
static size_t u_floats(const wconv_t *d) { return (size_t)npos(d) * d->OC * cp(d->C); }

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
    return (wconv_t){g->N, g->C, g->H, g->W, g->OC, g->OH, g->OW, g->ph, g->pw, conv_winograd_tile(g->OH, g->OW), 0,
                     0, NULL, 0, 0, 0, 0, g->cl_in, g->cl_out};
}
static wconv_t dx_geom(const conv_geom_t *g) {
    return (wconv_t){g->N, g->OC, g->OH, g->OW, g->C, g->H, g->W, 2 - g->ph, 2 - g->pw, conv_winograd_tile(g->H, g->W),
                     0, 0, NULL, 0, 0, 0, 0, g->cl_out, g->cl_in};
}
static int suits(const conv_geom_t *g) {
    if (g->s != 1 || g->KH != 3 || g->KW != 3 || g->C < 8 || g->OC < 8) return 0;
    if ((g->cl_in && g->C % VL) || (g->cl_out && g->OC % VL)) return 0;
    return g->OH == g->H + 2 * g->ph - 2 && g->OW == g->W + 2 * g->pw - 2 && g->ph <= 2 && g->pw <= 2;
}

/* Layout changes, a plane's pixels VL at a time (rows run on into the next: SimGAN's 8x8 planes are 4 vectors)
   against VL channels, transposed in registers. The scalar scatter they replace cost SRResNet's 48x48 64 -> 256
   layer 19% of its time and SimGAN's 8x8 layers 25%. Tasks are (image, block of VL channels). */

/* phased sources: channel c = 4 c0 + 2 u + v, pixel (i, j) of the phase plane (H x W) is src[n][c0][2i + u][2j + v] */
static size_t phase_row(int n, int C, int H, int W, int c, int i) { /* where row i of that phase plane reads */
    return (((size_t)n * (C / 4) + c / 4) * 2 * H + 2 * i + c / 2 % 2) * 2 * W;
}
static float phase_at(const float *src, int n, int C, int H, int W, int c, int p) {
    return src[phase_row(n, C, H, W, c, p / W) + 2 * (p % W) + c % 2];
}
#define EVEN_ODD(d, l) (2 * (l) + (d))
/* VL pixels of one phase row from p (p % W + VL <= W): two vectors of the source row, their even or odd columns */
INLINE vf phase_run(const float *src, int n, int C, int H, int W, int c, int p) {
    const float *row = src + phase_row(n, C, H, W, c, p / W) + 2 * (p % W);
    const vf a = vld(row), b = vld(row + VL);
    if (c % 2) return __builtin_shufflevector(a, b, VT_LANES(EVEN_ODD, 1));
    return __builtin_shufflevector(a, b, VT_LANES(EVEN_ODD, 0));
}

/* dst (N, HP, WP, Cp) = src (N, C, H, W) placed at row r0, column c0, zeros around it and in channels C..Cp-1; phased:
   src read as its phases (one pass instead of splitting the phases into a copy first) */
static void to_channels_last(const float *src, int phased, int N, int C, int H, int W, int r0, int c0, int HP, int WP,
                             int Cp, float *dst) {
    const int nb = Cp / VL, HW = H * W;
#pragma omp parallel for schedule(static)
    for (int t = 0; t < N * nb; t++) {
        const int n = t / nb, cb = t % nb * VL, nch = C - cb < VL ? C - cb : VL;
        float *img = dst + (size_t)n * HP * WP * Cp + cb;
        for (int r = 0; r < HP; r++) { /* the border: whole rows above and below, the columns either side */
            const int inside = r >= r0 && r < r0 + H;
            for (int j = 0; j < (inside ? c0 : WP); j++) vst(img + ((size_t)r * WP + j) * Cp, (vf){0});
            for (int j = c0 + W; inside && j < WP; j++) vst(img + ((size_t)r * WP + j) * Cp, (vf){0});
        }
        const float *s = src + ((size_t)n * C + cb) * HW; /* not phased */
        for (int pb = 0; pb < HW; pb += VL) {
            const int np = HW - pb < VL ? HW - pb : VL;
            vf v[VL];
            if (np == VL && nch == VL && !phased) {
                for (int k = 0; k < VL; k++) v[k] = vld(s + (size_t)k * HW + pb);
            } else if (np == VL && nch == VL && pb % W + VL <= W) {
                for (int k = 0; k < VL; k++) v[k] = phase_run(src, n, C, H, W, cb + k, pb);
            } else { /* a partial block through a buffer, so that v stays in registers */
                float buf[VL][VL] = {{0}};
                for (int k = 0; k < nch; k++)
                    for (int q = 0; q < np; q++)
                        buf[k][q] = phased ? phase_at(src, n, C, H, W, cb + k, pb + q) : s[(size_t)k * HW + pb + q];
                for (int k = 0; k < VL; k++) v[k] = vld(buf[k]);
            }
            vtranspose(v);
            for (int k = 0, i = pb / W, j = pb % W; k < np; k++) {
                vst(img + ((size_t)(r0 + i) * WP + c0 + j) * Cp, v[k]);
                if (++j == W) { j = 0; i++; }
            }
        }
    }
}

#define MERGE(d, l) (((l) & 1 ? VL : 0) + (d) * VL / 2 + (l) / 2)
/* y += the run v (np values of channel c from pixel p) where y is held as the (N, C/4, 2H, 2W) the C channels are the
   phases of; v, w: channels c, c + 1 (c even: the phases 2j and 2j + 1 of one row) */
static void phase_add(float *y, int n, int C, int H, int W, int c, int p, int np, vf v, vf w) {
    float *row = y + phase_row(n, C, H, W, c, p / W) + 2 * (p % W);
    if (np == VL && p % W + VL <= W) {
        vst(row, vld(row) + __builtin_shufflevector(v, w, VT_LANES(MERGE, 0)));
        vst(row + VL, vld(row + VL) + __builtin_shufflevector(v, w, VT_LANES(MERGE, 1)));
        return;
    }
    float a[VL], b[VL];
    vst(a, v);
    vst(b, w);
    for (int k = 0; k < np; k++) {
        const int q = p + k;
        float *r = y + phase_row(n, C, H, W, c, q / W) + 2 * (q % W);
        r[0] += a[k];
        r[1] += b[k];
    }
}

/* y (N, OC, OH, OW) =, or +=, the outputs yt (N, m TY, m TX, Cp), plus the bias b (or NULL); phased (and
   accumulate): y held as the (N, OC/4, 2OH, 2OW) the OC channels are the phases of */
static void from_channels_last(const wconv_t *d, const float *yt, const float *b, float *y, int accumulate) {
    const int WT = d->m * tiles_x(d), HT = d->m * tiles_y(d), Cp = cp(d->OC), nb = Cp / VL, P = d->OH * d->OW;
#pragma omp parallel for schedule(static)
    for (int t = 0; t < d->N * nb; t++) {
        const int n = t / nb, ob = t % nb * VL, no = d->OC - ob < VL ? d->OC - ob : VL;
        const float *img = yt + (size_t)n * HT * WT * Cp + ob;
        float *dst = y + ((size_t)n * d->OC + ob) * P;
        for (int pb = 0; pb < P; pb += VL) {
            const int np = P - pb < VL ? P - pb : VL;
            vf v[VL];
            for (int k = 0, i = pb / d->OW, j = pb % d->OW; k < VL; k++) {
                v[k] = k < np ? vld(img + ((size_t)i * WT + j) * Cp) : (vf){0};
                if (++j == d->OW) { j = 0; i++; }
            }
            vtranspose(v);
            for (int o = 0; o < no && b; o++) v[o] += b[ob + o];
            for (int o = 0; o < no && d->phased_out; o += 2)
                phase_add(y, n, d->OC, d->OH, d->OW, ob + o, pb, np, v[o], v[o + 1]);
            for (int o = 0; o < no && !d->phased_out; o++) {
                float *q = dst + (size_t)o * P + pb;
                if (np == VL) {
                    vst(q, accumulate ? vld(q) + v[o] : v[o]);
                } else {
                    float l[VL];
                    vst(l, v[o]);
                    for (int j = 0; j < np; j++) q[j] = accumulate ? q[j] + l[j] : l[j];
                }
            }
        }
    }
}

int conv_winograd_ok(const conv_geom_t *g, size_t ws_floats) {
    if (!suits(g)) return 0;
    const wconv_t fw = fw_geom(g), dx = dx_geom(g);
    int nth;
    return plan(&fw, 0, ws_floats, &nth) && plan(&dx, 0, ws_floats, &nth);
}

/* The one-dimensional transforms, F(2, 3) and F(4, 3) (the points 0, 1, -1 and 0, 1, -1, 2, -2; Lavin & Gray's
   matrices): t = B^T d (a values), y = A^T s (m of a), t = A y (its adjoint: dy to dM), u = G g (the kernel's 3 to
   a), r = G^T u (back to 3). */
INLINE void bt(const int m, const vf *d, vf *t) {
    if (m == 2) {
        t[0] = d[0] - d[2]; t[1] = d[1] + d[2]; t[2] = d[2] - d[1]; t[3] = d[1] - d[3];
    } else {
        const vf p = d[1] + d[2], q = d[1] - d[2], e = d[4] - d[2], f = d[3] - d[1];
        t[0] = 4.0f * d[0] - 5.0f * d[2] + d[4]; t[1] = d[3] + d[4] - 4.0f * p; t[2] = d[4] - d[3] + 4.0f * q;
        t[3] = e + 2.0f * f; t[4] = e - 2.0f * f; t[5] = 4.0f * d[1] - 5.0f * d[3] + d[5];
    }
}
INLINE void at(const int m, const vf *s, vf *y) {
    if (m == 2) {
        y[0] = s[0] + s[1] + s[2]; y[1] = s[1] - s[2] - s[3];
    } else {
        const vf p = s[1] + s[2], q = s[1] - s[2], e = s[3] + s[4], f = s[3] - s[4];
        y[0] = s[0] + p + e; y[1] = q + 2.0f * f; y[2] = p + 4.0f * e; y[3] = q + 8.0f * f + s[5];
    }
}
INLINE void a_adj(const int m, const vf *y, vf *t) {
    if (m == 2) {
        t[0] = y[0]; t[1] = y[0] + y[1]; t[2] = y[0] - y[1]; t[3] = -y[1];
    } else {
        const vf e = y[0] + y[2], f = y[1] + y[3], g = y[0] + 4.0f * y[2], h = 2.0f * y[1] + 8.0f * y[3];
        t[0] = y[0]; t[1] = e + f; t[2] = e - f; t[3] = g + h; t[4] = g - h; t[5] = y[3];
    }
}
INLINE void g_fw(const int m, const vf *g, vf *u) {
    if (m == 2) {
        u[0] = g[0]; u[1] = 0.5f * (g[0] + g[1] + g[2]); u[2] = 0.5f * (g[0] - g[1] + g[2]); u[3] = g[2];
    } else {
        const vf e = g[0] + g[2];
        u[0] = 0.25f * g[0]; u[1] = -(e + g[1]) / 6.0f; u[2] = -(e - g[1]) / 6.0f;
        u[3] = (g[0] + 2.0f * g[1] + 4.0f * g[2]) / 24.0f; u[4] = (g[0] - 2.0f * g[1] + 4.0f * g[2]) / 24.0f;
        u[5] = g[2];
    }
}
INLINE void g_adj(const int m, const vf *u, vf *r) {
    if (m == 2) {
        r[0] = u[0] + 0.5f * (u[1] + u[2]); r[1] = 0.5f * (u[1] - u[2]); r[2] = 0.5f * (u[1] + u[2]) + u[3];
    } else {
        const vf p = u[1] + u[2], q = u[1] - u[2], e = u[3] + u[4], f = u[3] - u[4];
        r[0] = 0.25f * u[0] - p / 6.0f + e / 24.0f; r[1] = -q / 6.0f + f / 12.0f; r[2] = (e - p) / 6.0f + u[5];
    }
}
enum { AMAX = 6 }; /* the largest patch side */

/* U[xi][c][o] = (G g G^T)[xi] for the 3x3 kernel g of (o, c); zeros for channels C..Cp-1. VL output channels to a
   vector, so U's rows are written whole. */
INLINE void weight_tiles(const wconv_t *d, const int m, float *U) {
    const int Cp = cp(d->C), a = m + 2, nob = (d->OC + VL - 1) / VL;
    const size_t OCC = (size_t)d->OC * Cp;
    for (int xi = 0; xi < a * a && Cp > d->C; xi++) /* the padding channels */
        memset(U + xi * OCC + (size_t)d->C * d->OC, 0, sizeof(float) * (Cp - d->C) * d->OC);
#pragma omp parallel for schedule(static)
    for (int t = 0; t < d->C * nob; t++) {
        const int c = t / nob, o0 = t % nob * VL, no = d->OC - o0 < VL ? d->OC - o0 : VL;
        float k[9][VL] = {{0}};
        for (int o = 0; o < no; o++)
            for (int ij = 0; ij < 9; ij++)
                k[ij][o] = d->w[(o0 + o) * d->so + c * d->sc + ij / 3 * d->si + ij % 3 * d->sj];
        vf gg[AMAX][3], col[3], u[AMAX];
        for (int j = 0; j < 3; j++) { /* G g, down kernel column j */
            for (int i = 0; i < 3; i++) col[i] = vld(k[3 * i + j]);
            g_fw(m, col, u);
            for (int r = 0; r < a; r++) gg[r][j] = u[r];
        }
        for (int r = 0; r < a; r++) { /* then G^T, along row r */
            g_fw(m, gg[r], u);
            for (int x = 0; x < a; x++) {
                float *dst = U + (r * a + x) * OCC + (size_t)c * d->OC + o0; /* (Cp, OC) */
                if (no == VL) vst(dst, u[x]);
                else memcpy(dst, &u[x], sizeof(float) * no);
            }
        }
    }
}
static void transform_weights(const wconv_t *d, float *U) {
    if (d->m == 2) weight_tiles(d, 2, U);
    else weight_tiles(d, 4, U);
}

/* tile t as (image n, tile row ty, tile column tx) */
static void tile_at(const wconv_t *d, long t, int *n, int *ty, int *tx) {
    *tx = (int)(t % tiles_x(d));
    *ty = (int)(t / tiles_x(d) % tiles_y(d));
    *n = (int)(t / tiles_x(d) / tiles_y(d));
}

/* Images channels-last that the transforms read or write: rows x cols pixels of ch floats each; tile (ty, tx)'s patch
   starts at row m ty + r0, column m tx + c0; zeros outside them (read), nothing written there. The padded copy (ch =
   Cp, every patch inside) or the layer's own channels-last input or output (src_cl, dst_cl; ch = C or OC). */
typedef struct {
    const float *in;
    float *out;
    int rows, cols, ch, r0, c0;
    const float *bias; /* added to what is written (or NULL) */
    int acc;           /* written values are added to what is there */
} cl_img_t;
static cl_img_t padded_in(const wconv_t *d, const float *xp) {
    return (cl_img_t){xp, NULL, padded_h(d), padded_w(d), cp(d->C), 0, 0, NULL, 0};
}
static cl_img_t own_in(const wconv_t *d, const float *x) {
    return (cl_img_t){x, NULL, d->H, d->W, d->C, -d->ph, -d->pw, NULL, 0};
}
/* channels ch.. ch + VL of pixel (r0 + i, c0 + k) of s, base the pixel index of (r0, c0) in its image; zeros outside
   the image when `checked` */
INLINE vf cl_at(const int checked, const cl_img_t *s, long base, int r0, int c0, int i, int k, int ch) {
    if (checked && ((unsigned)(r0 + i) >= (unsigned)s->rows || (unsigned)(c0 + k) >= (unsigned)s->cols))
        return (vf){0};
    return vld(s->in + (base + (long)i * s->cols + k) * s->ch + ch);
}

/* V[xi][q][c] = (B^T d B)[xi] for one tile's patch from (r0, c0) of image n; positions vs apart */
INLINE void input_tile(const wconv_t *d, const int m, const int checked, const cl_img_t *s, int n, int r0, int c0,
                       float *v, size_t vs) {
    const int Cp = cp(d->C), a = m + 2;
    const long base = ((long)n * s->rows + r0) * s->cols + c0;
    for (int c = 0; c < Cp; c += VL) {
        vf t[AMAX][AMAX], col[AMAX], u[AMAX];
        for (int k = 0; k < a; k++) { /* B^T d, down column k of the patch */
            for (int i = 0; i < a; i++) col[i] = cl_at(checked, s, base, r0, c0, i, k, c);
            bt(m, col, u);
            for (int r = 0; r < a; r++) t[r][k] = u[r];
        }
        for (int r = 0; r < a; r++) { /* then B, along row r */
            bt(m, t[r], u);
            for (int k = 0; k < a; k++) vst(v + (a * r + k) * vs + c, u[k]);
        }
    }
}
/* V for the nt tiles from t0 */
INLINE void input_tiles(const wconv_t *d, const int m, const cl_img_t *s, long t0, int nt, float *V, size_t vs) {
    for (int q = 0; q < nt; q++) {
        int n, ty, tx;
        tile_at(d, t0 + q, &n, &ty, &tx);
        const int r = m * ty + s->r0, c = m * tx + s->c0;
        float *v = V + (size_t)q * cp(d->C);
        if (r >= 0 && c >= 0 && r + m + 2 <= s->rows && c + m + 2 <= s->cols) input_tile(d, m, 0, s, n, r, c, v, vs);
        else input_tile(d, m, 1, s, n, r, c, v, vs);
    }
}
static void transform_input(const wconv_t *d, const cl_img_t *s, long t0, int nt, float *V, size_t vs) {
    if (d->m == 2) input_tiles(d, 2, s, t0, nt, V, vs);
    else input_tiles(d, 4, s, t0, nt, V, vs);
}

/* the outputs of the nt tiles from t0, A^T M A (M[xi][q][o] positions ms apart), into o: the whole-tile copy yt
   (N, m TY, m TX, OCp) or the layer's own channels-last output */
INLINE void output_tiles(const wconv_t *d, const int m, const float *M, size_t ms, long t0, int nt, const cl_img_t *y) {
    const int Cp = cp(d->OC), a = m + 2;
    for (int q = 0; q < nt; q++) {
        int n, ty, tx;
        tile_at(d, t0 + q, &n, &ty, &tx);
        const int rows = y->rows - m * ty < m ? y->rows - m * ty : m;
        const int cols = y->cols - m * tx < m ? y->cols - m * tx : m;
        float *yq = y->out + (((size_t)n * y->rows + m * ty) * y->cols + m * tx) * y->ch;
        const float *mq = M + (size_t)q * Cp;
        for (int o = 0; o < Cp; o += VL) {
            vf s[AMAX][AMAX], col[AMAX], u[AMAX];
            for (int k = 0; k < a; k++) { /* A^T M, down column k */
                for (int i = 0; i < a; i++) col[i] = vld(mq + (a * i + k) * ms + o);
                at(m, col, u);
                for (int r = 0; r < m; r++) s[r][k] = u[r];
            }
            const vf b = y->bias ? vld(y->bias + o) : (vf){0};
            for (int r = 0; r < rows; r++) { /* then A, along row r */
                at(m, s[r], u);
                for (int j = 0; j < cols; j++) {
                    float *p = yq + ((size_t)r * y->cols + j) * y->ch + o;
                    const vf v = y->bias ? u[j] + b : u[j];
                    vst(p, y->acc ? vld(p) + v : v);
                }
            }
        }
    }
}
static void transform_output(const wconv_t *d, const float *M, size_t ms, long t0, int nt, const cl_img_t *y) {
    if (d->m == 2) output_tiles(d, 2, M, ms, t0, nt, y);
    else output_tiles(d, 4, M, ms, t0, nt, y);
}

/* ---- the products: per position a small GEMM, C (M x N) =, or +=, A B with a(i, k) = A[i sa + k sk] and B (K x N)
   row-major, N whole vectors. A register tile of R rows x NV vectors over all of K, no packing and no call per
   product. Against cblas_sgemm, one thread, all three passes: SRResNet's 48x48 64 -> 256 layer 174-177 -> 150 ms,
   its 24x24 body layer 8.5-8.9 -> 7.8-8.2 ms; SimGAN's products (64 tiles x 32 x 32) about 10% less time. Each sum
   runs over k in order: deterministic. */
INLINE void tile_mm(const int R, const int NV, int K, const float *A, long sa, long sk, const float *B, int ldb,
                    float *C, int ldc, int acc) {
    vf c[24][4];
    for (int r = 0; r < R; r++)
        for (int v = 0; v < NV; v++) c[r][v] = acc ? vld(C + (size_t)r * ldc + v * VL) : (vf){0};
    for (int k = 0; k < K; k++) {
        vf b[4];
        for (int v = 0; v < NV; v++) b[v] = vld(B + (size_t)k * ldb + v * VL);
        for (int r = 0; r < R; r++) {
            const float a = A[r * sa + k * sk];
            for (int v = 0; v < NV; v++) c[r][v] += a * b[v];
        }
    }
    for (int r = 0; r < R; r++)
        for (int v = 0; v < NV; v++) vst(C + (size_t)r * ldc + v * VL, c[r][v]);
}
#define TILE_MM(R, NV) tile_mm(R, NV, K, A + (long)i * sa, sa, sk, B + j, ldb, C + (size_t)i * ldc + j, ldc, acc)
static void small_gemm(int M, int N, int K, const float *A, long sa, long sk, const float *B, int ldb, float *C,
                       int ldc, int acc) {
    for (int j = 0; j < N; j += 4 * VL) {
        const int nv = (N - j) / VL < 4 ? (N - j) / VL : 4, R = 24 / nv; /* 24 accumulators */
        int i = 0;
        for (; i + R <= M; i += R) switch (nv) {
            case 4: TILE_MM(6, 4); break;
            case 3: TILE_MM(8, 3); break;
            case 2: TILE_MM(12, 2); break;
            default: TILE_MM(24, 1); break;
            }
        for (; i + 4 <= M; i += 4) switch (nv) {
            case 4: TILE_MM(4, 4); break;
            case 3: TILE_MM(4, 3); break;
            case 2: TILE_MM(4, 2); break;
            default: TILE_MM(4, 1); break;
            }
        for (; i < M; i++) switch (nv) {
            case 4: TILE_MM(1, 4); break;
            case 3: TILE_MM(1, 3); break;
            case 2: TILE_MM(1, 2); break;
            default: TILE_MM(1, 1); break;
            }
    }
}

/* one block of tiles from t0: V, a^2 products, outputs */
static void run_block(const wconv_t *d, const float *U, const cl_img_t *x, const cl_img_t *y, long t0, int tb, long T,
                      float *V, float *M) {
    const int Cp = cp(d->C), OCp = cp(d->OC);
    const size_t vs = (size_t)Cp * tb + PAD, ms = (size_t)OCp * tb + PAD;
    const int nt = (int)(T - t0 < tb ? T - t0 : tb);
    transform_input(d, x, t0, nt, V, vs);
    for (int xi = 0; xi < npos(d); xi++) /* M[xi] (nt, OC) = V[xi] (nt, C) U[xi] (C, OC) */
        if (d->OC % VL == 0)
            small_gemm(nt, d->OC, Cp, V + xi * vs, Cp, 1, U + (size_t)xi * d->OC * Cp, d->OC, M + xi * ms, OCp, 0);
        else
            gemm(0, 0, nt, d->OC, Cp, 1.0f, V + xi * vs, Cp, U + (size_t)xi * d->OC * Cp, d->OC, 0.0f, M + xi * ms,
                 OCp);
    transform_output(d, M, ms, t0, nt, y);
}
/* the whole-tile copy of the outputs (N, m TY, m TX, OCp) */
static cl_img_t tiles_out(const wconv_t *d, float *yt) {
    return (cl_img_t){NULL, yt, d->m * tiles_y(d), d->m * tiles_x(d), cp(d->OC), 0, 0, NULL, 0};
}

/* Small planes (SimGAN's 8x8, LAPGAN's critic phases): each thread lays out its own images, runs their tiles and
   lays their outputs back, in one parallel region instead of three (each a few tens of microseconds) and with its
   images in its own cache. Every output is computed as in the blocks of the general path: the same values. */
enum { SMALL_PLANE = 256 };
static void by_images(const wconv_t *d, const float *x, const float *b, float *y, int accumulate, float *xp,
                      float *yt, const float *U, float *per, size_t per_thread, int tb, int nth) {
    const long tpi = (long)tiles_y(d) * tiles_x(d);
    const size_t xs = (size_t)d->C * d->H * d->W, ps = (size_t)padded_h(d) * padded_w(d) * cp(d->C),
                 ys = (size_t)d->OC * d->OH * d->OW, os = (size_t)d->m * d->m * tpi * cp(d->OC);
#pragma omp parallel num_threads(nth)
    {
        int me = 0;
#ifdef _OPENMP
        me = omp_get_thread_num();
#endif
        const int n0 = d->N * me / nth, nn = d->N * (me + 1) / nth - n0;
        wconv_t mine = *d;
        mine.N = nn;
        to_channels_last(x + xs * n0, d->phased, nn, d->C, d->H, d->W, d->ph, d->pw, padded_h(d), padded_w(d),
                         cp(d->C), xp + ps * n0);
        float *V = per + per_thread * me, *M = V + npos(d) * ((size_t)cp(d->C) * tb + PAD);
        const cl_img_t src = padded_in(d, xp), dst = tiles_out(d, yt);
        for (long t0 = n0 * tpi; t0 < (n0 + nn) * tpi; t0 += tb) /* tiles index the whole batch's buffers */
            run_block(d, U, &src, &dst, t0, tb, (n0 + nn) * tpi, V, M);
        from_channels_last(&mine, yt + os * n0, b, y + ys * n0, accumulate);
    }
}

static void winograd(const wconv_t *d, const float *x, const float *b, float *y, int accumulate, float *ws,
                     size_t ws_floats) {
    int nth = 1;
    const int tb = plan(d, 0, ws_floats, &nth);
    const long T = (long)d->N * tiles_y(d) * tiles_x(d), nblk = (T + tb - 1) / tb;
    float *xp = ws, *yt = xp + padded_floats(d), *U = yt + out_floats(d), *per = U + u_floats(d);
    const size_t per_thread = vm_floats(d, tb);
    transform_weights(d, U);
    if (nth > 1 && d->N >= 2 * nth && d->OH * d->OW <= SMALL_PLANE && !d->src_cl && !d->dst_cl) {
        by_images(d, x, b, y, accumulate, xp, yt, U, per, per_thread, tb, nth);
        return;
    }
    if (!d->src_cl)
        to_channels_last(x, d->phased, d->N, d->C, d->H, d->W, d->ph, d->pw, padded_h(d), padded_w(d), cp(d->C), xp);
    const cl_img_t src = d->src_cl ? own_in(d, x) : padded_in(d, xp);
    const cl_img_t dst = d->dst_cl ? (cl_img_t){NULL, y, d->OH, d->OW, d->OC, 0, 0, b, accumulate} : tiles_out(d, yt);
#pragma omp parallel for schedule(static) num_threads(nth)
    for (long b = 0; b < nblk; b++) {
        int me = 0;
#ifdef _OPENMP
        me = omp_get_thread_num();
#endif
        float *V = per + per_thread * me, *M = V + npos(d) * ((size_t)cp(d->C) * tb + PAD);
        run_block(d, U, &src, &dst, b * tb, tb, T, V, M);
    }
    if (!d->dst_cl) from_channels_last(d, yt, b, y, accumulate);
}

static void forward(const conv_geom_t *g, const float *x, int phased, const float *w, const float *b, float *y,
                    float *ws, size_t ws_floats) {
    wconv_t d = fw_geom(g);
    d.phased = phased;
    d.w = w; d.so = g->C * 9L; d.sc = 9; d.si = 3; d.sj = 1;
    winograd(&d, x, b, y, 0, ws, ws_floats);
}
void conv_winograd_forward(const conv_geom_t *g, const float *x, const float *w, const float *b, float *y, float *ws,
                           size_t ws_floats) {
    forward(g, x, 0, w, b, y, ws, ws_floats);
}
void conv_winograd_forward_phases(const conv_geom_t *g, const float *x, const float *w, float *y, float *ws,
                                  size_t ws_floats) {
    forward(g, x, 1, w, NULL, y, ws, ws_floats);
}

/* dx += the convolution of dy (OC channels) with w turned by 180 degrees, into C channels, padding 2 - p */
static void input_grad(const conv_geom_t *g, const float *w, const float *dy, float *dx, int phased, float *ws,
                       size_t ws_floats) {
    wconv_t d = dx_geom(g);
    d.phased_out = phased;
    d.w = w + 8; d.so = 9; d.sc = g->C * 9L; d.si = -3; d.sj = -1;
    winograd(&d, dy, NULL, dx, 1, ws, ws_floats);
}
void conv_winograd_dx(const conv_geom_t *g, const float *w, const float *dy, float *dx, float *ws, size_t ws_floats) {
    input_grad(g, w, dy, dx, 0, ws, ws_floats);
}
void conv_winograd_dx_phases(const conv_geom_t *g, const float *w, const float *dy, float *dx, float *ws,
                             size_t ws_floats) {
    input_grad(g, w, dy, dx, 1, ws, ws_floats);
}

/* ---- weight gradient: U = G g G^T is linear in g and M = U .* V, so dU[xi] = sum over tiles of dM[xi] V[xi]^T with
   dM = A dY A^T (the adjoint of the output transform), and dg = G^T dU G. Each thread sums its blocks' products into
   its own dU; the threads' sums are added in thread order. */

/* dM[xi][q][o] = (A dY A^T)[xi] for the nt tiles from t0, from dy channels last (zeros beyond it) */
INLINE void dy_tiles(const wconv_t *d, const int m, const cl_img_t *dy, long t0, int nt, float *M, size_t ms) {
    const int Cp = cp(d->OC), a = m + 2;
    for (int q = 0; q < nt; q++) {
        int n, ty, tx;
        tile_at(d, t0 + q, &n, &ty, &tx);
        const long base = ((long)n * dy->rows + m * ty) * dy->cols + m * tx;
        float *mq = M + (size_t)q * Cp;
        for (int o = 0; o < Cp; o += VL) {
            vf s[AMAX][AMAX], col[AMAX], u[AMAX];
            for (int j = 0; j < m; j++) { /* A dY, down column j */
                for (int i = 0; i < m; i++) col[i] = cl_at(1, dy, base, m * ty, m * tx, i, j, o);
                a_adj(m, col, u);
                for (int r = 0; r < a; r++) s[r][j] = u[r];
            }
            for (int r = 0; r < a; r++) { /* then A^T, along row r */
                a_adj(m, s[r], u);
                for (int k = 0; k < a; k++) vst(mq + (a * r + k) * ms + o, u[k]);
            }
        }
    }
}
static void transform_dy(const wconv_t *d, const cl_img_t *dy, long t0, int nt, float *M, size_t ms) {
    if (d->m == 2) dy_tiles(d, 2, dy, t0, nt, M, ms);
    else dy_tiles(d, 4, dy, t0, nt, M, ms);
}

/* dU (a^2, OC, C) += the products of one block of tiles */
static void dw_block(const wconv_t *d, const cl_img_t *x, const cl_img_t *dy, long t0, int tb, long T, float *V,
                     float *M, float *dU) {
    const int Cp = cp(d->C), OCp = cp(d->OC);
    const size_t vs = (size_t)Cp * tb + PAD, ms = (size_t)OCp * tb + PAD;
    const int nt = (int)(T - t0 < tb ? T - t0 : tb);
    transform_input(d, x, t0, nt, V, vs);
    transform_dy(d, dy, t0, nt, M, ms);
    for (int xi = 0; xi < npos(d); xi++) /* dU[xi] (OC, C) += dM[xi]^T (OC, nt) V[xi] (nt, C) */
        small_gemm(d->OC, Cp, nt, M + xi * ms, 1, OCp, V + xi * vs, Cp, dU + (size_t)xi * d->OC * Cp, Cp, 1);
}

int conv_winograd_dw_ok(const conv_geom_t *g, size_t ws_floats) {
    int nth;
    const wconv_t d = fw_geom(g);
    return conv_winograd_ok(g, ws_floats) && plan(&d, 1, ws_floats, &nth);
}

/* the workspace with which all three passes run on every thread with whole blocks (tb_max; 0: not Winograd) */
size_t conv_winograd_floats(const conv_geom_t *g) {
    if (!suits(g)) return 0;
    const wconv_t fw = fw_geom(g), dx = dx_geom(g);
    const size_t nth = (size_t)par_threads();
    size_t need = 0;
    for (int k = 0; k < 3; k++) { /* forward, input gradient, weight gradient */
        const wconv_t *d = k == 1 ? &dx : &fw;
        const int wg = k == 2;
        const size_t f = shared_floats(d, wg) + nth * (fixed_floats(d, wg) + vm_floats(d, (size_t)tb_max(d)));
        if (f > need) need = f;
    }
    return need + 1; /* block_tiles wants more than the fixed part */
}

/* dw += G^T dU G, dU (a^2, OC, Cp); VL input channels to a vector */
INLINE void dw_from_du(const conv_geom_t *g, const int m, const float *dU, float *dw) {
    const int Cp = cp(g->C), a = m + 2, ncb = Cp / VL;
#pragma omp parallel for schedule(static)
    for (int t = 0; t < g->OC * ncb; t++) {
        const int o = t / ncb, c0 = t % ncb * VL, nc = g->C - c0 < VL ? g->C - c0 : VL;
        vf r[3][AMAX], u[AMAX], k3[3];
        for (int j = 0; j < a; j++) { /* G^T dU, down column j */
            for (int i = 0; i < a; i++) u[i] = vld(dU + ((size_t)(a * i + j) * g->OC + o) * Cp + c0);
            g_adj(m, u, k3);
            for (int i = 0; i < 3; i++) r[i][j] = k3[i];
        }
        float k[9][VL];
        for (int i = 0; i < 3; i++) { /* then G, along row i */
            g_adj(m, r[i], k3);
            for (int j = 0; j < 3; j++) vst(k[3 * i + j], k3[j]);
        }
        for (int c = 0; c < nc; c++)
            for (int ij = 0; ij < 9; ij++) dw[((size_t)o * g->C + c0 + c) * 9 + ij] += k[ij][c];
    }
}

static int weight_grad(const conv_geom_t *g, const float *x, int phased, const float *dy, float *dw, float *ws,
                       size_t ws_floats) {
    int nth = 1;
    wconv_t d = fw_geom(g);
    d.phased = phased;
    const int tb = plan(&d, 1, ws_floats, &nth);
    if (!tb) return -1;
    float *xp = ws, *dyt = xp + padded_floats(&d);
    if (!d.src_cl)
        to_channels_last(x, d.phased, d.N, d.C, d.H, d.W, d.ph, d.pw, padded_h(&d), padded_w(&d), cp(d.C), xp);
    if (!d.dst_cl)
        to_channels_last(dy, 0, d.N, d.OC, d.OH, d.OW, 0, 0, d.m * tiles_y(&d), d.m * tiles_x(&d), cp(d.OC), dyt);
    const cl_img_t xs = d.src_cl ? own_in(&d, x) : padded_in(&d, xp);
    const cl_img_t dys = d.dst_cl ? (cl_img_t){dy, NULL, d.OH, d.OW, d.OC, 0, 0, NULL, 0}
                                  : (cl_img_t){dyt, NULL, d.m * tiles_y(&d), d.m * tiles_x(&d), cp(d.OC), 0, 0,
                                               NULL, 0};
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
        float *dU = ws + per_thread * me, *V = dU + U, *M = V + npos(&d) * ((size_t)Cp * tb + PAD);
        memset(dU, 0, sizeof(float) * U);
        for (long b = (nblk * me) / team; b < (nblk * (me + 1)) / team; b++)
            dw_block(&d, &xs, &dys, b * tb, tb, T, V, M, dU);
#pragma omp barrier
#pragma omp for schedule(static)
        for (size_t k = 0; k < U; k++)
            for (int t = 1; t < team; t++) ws[k] += ws[per_thread * t + k];
    }
    if (d.m == 2) dw_from_du(g, 2, ws, dw);
    else dw_from_du(g, 4, ws, dw);
    return 0;
}
int conv_winograd_dw(const conv_geom_t *g, const float *x, const float *dy, float *dw, float *ws, size_t ws_floats) {
    return weight_grad(g, x, 0, dy, dw, ws, ws_floats);
}
int conv_winograd_dw_phases(const conv_geom_t *g, const float *x, const float *dy, float *dw, float *ws,
                            size_t ws_floats) {
    return weight_grad(g, x, 1, dy, dw, ws, ws_floats);
}
