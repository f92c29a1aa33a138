/* Stride-1 convolution through the discrete Fourier transform, for large kernels between many channels (LAPGAN's
   7x7 32 -> 32 layers). Each plane is placed on an N1 x N2 torus large enough that the circular correlation equals
   the padded one on every output; a 7x7 layer over 32x32 planes then costs, per pair of channels, 35 x 18 complex
   multiply-adds instead of 49 x 1024 real ones, plus one transform per plane in and out.

   - forward:         Y[o] = sum_c conj(W[o,c]) X[c]    (a correlation), y read at rows i - ph, columns j - pw
   - input gradient:  DX[c] = sum_o W[o,c] DY[o]       with dy placed at rows i - ph, columns j - pw
   - weight gradient: DW[o,c] = sum_b conj(DY[b,o]) X[b,c], read at rows 0..KH-1, columns 0..KW-1
   where X, W, DY are the 2-D DFTs of the planes (real input: columns 0..N2/2 kept). The sums over channels (or over
   the batch) are, frequency by frequency, small real GEMMs over the real and imaginary parts.

   The transforms are DFTs by multiplication with cos/sin tables (35 points are no power of two, and the tables
   skip the zero padding and compute only the outputs wanted); rows and columns are done as two passes, the column
   pass pairing frequencies k and N1 - k, which share their cosines. A thread transforms VL planes at once, one per
   vector lane: VL images of one channel, whose spectra then sit side by side as the GEMMs want them,
   spec[channel][f][re/im][image] (a channel's spectra in one region; for one frequency, a channels x images matrix
   with rows NF*2*images apart).

   Every output is one fixed sum order whatever the thread count: deterministic. */
#include <math.h>
#include <string.h>
#include "nn/nn.h"
#include "nn/simd.h"
#ifdef _OPENMP
#include <omp.h>
#endif

enum { KB = 8, HB = 4, IB = 8, JB = 8 }; /* register blocks: row DFT, column DFT, inverse columns, inverse rows */
/* workspace a layer may use through this path (floats): its batch chunk is planned to fit */
#define DFT_LIMIT ((size_t)1 << 23)

typedef struct {
    int N1, N2;   /* the torus */
    int NH2, NH2p; /* column frequencies 0..N1/2 (computed in pairs with N1 - k); NH2 rounded up to HB */
    int NWh, NWp; /* row frequencies 0..N2/2; NWh rounded up to KB */
    int NF;       /* frequencies kept: N1 x NWh */
    int Rm, Cm;   /* the largest plane, rows rounded up to IB and columns to JB */
} dft_t;

static int up(int v, int m) { return (v + m - 1) / m * m; }
static int imax(int a, int b) { return a > b ? a : b; }

static void sizes(const conv_geom_t *g, dft_t *t) {
    t->N1 = imax(imax(g->H + g->ph, g->OH + g->KH - 1 - g->ph), imax(imax(g->H, g->OH), g->KH));
    t->N2 = imax(imax(g->W + g->pw, g->OW + g->KW - 1 - g->pw), imax(imax(g->W, g->OW), g->KW));
    t->NH2 = t->N1 / 2 + 1;
    t->NH2p = up(t->NH2, HB);
    t->NWh = t->N2 / 2 + 1;
    t->NWp = up(t->NWh, KB);
    t->NF = t->N1 * t->NWh;
    t->Rm = up(imax(imax(g->H, g->OH), g->KH), IB);
    t->Cm = up(imax(imax(g->W, g->OW), g->KW), JB);
}

static size_t table_floats(const dft_t *t) { return (size_t)2 * ((size_t)t->Rm * t->NH2p + (size_t)t->Cm * t->NWp); }
static size_t local_floats(const dft_t *t) {
    const size_t plane = (size_t)t->Rm * t->Cm, T = (size_t)t->Rm * t->NWp * 2, S = (size_t)t->NF * 2,
                 PM = (size_t)t->NH2 * t->NWh * 4;
    return (size_t)VL * (plane + T + S + PM);
}
/* the spectra (weights, and two of inputs/outputs) and the tables, then each thread's buffers */
static size_t shared_floats(const conv_geom_t *g, const dft_t *t) {
    return (size_t)2 * t->NF * ((size_t)g->C * g->OC + (size_t)(g->C + g->OC) * g->N) + table_floats(t);
}

static int geometry_ok(const conv_geom_t *g) {
    if (g->s != 1 || g->KH * g->KW < 25 || g->C < 8 || g->OC < 8) return 0;
    if (g->OH != g->H + 2 * g->ph - g->KH + 1 || g->OW != g->W + 2 * g->pw - g->KW + 1) return 0;
    return g->ph < g->KH && g->pw < g->KW && g->H <= 256 && g->W <= 256;
}

size_t conv_dft_floats(const conv_geom_t *g, int nth) {
    if (!geometry_ok(g)) return 0;
    if (nth <= 0) nth = par_threads();
    dft_t t;
    sizes(g, &t);
    const size_t need = shared_floats(g, &t) + (size_t)nth * local_floats(&t);
    return need <= DFT_LIMIT ? need : 0;
}

int conv_dft_threads(const conv_geom_t *g, size_t ws_floats) {
    if (!geometry_ok(g)) return 0;
    dft_t t;
    sizes(g, &t);
    const size_t shared = shared_floats(g, &t), per = local_floats(&t);
    if (ws_floats < shared + per) return 0;
    const size_t fit = (ws_floats - shared) / per;
    return fit < (size_t)par_threads() ? (int)fit : par_threads();
}

/* c[p*sp + k*sk] = scale(k) cos(2 pi k q / n), s[..] = scale(k) sin(..) for positions p < len (q = (p + off) mod n)
   and frequencies k < nk; zeros for p < lenp, k < nkp outside that. half: scale(k) = (k == 0 or 2k == n ? 1 : 2) / nn
   (the inverse of a real transform from its half spectrum), else 1. */
static void table(int n, int len, int lenp, int off, int nk, int nkp, int sp, int sk, int half, double nn, float *c,
                  float *s) {
    for (int p = 0; p < lenp; p++)
        for (int k = 0; k < nkp; k++) {
            double cv = 0, sv = 0;
            if (p < len && k < nk) {
                const long q = (((long)p + off) % n + n) % n, m = (long)k * q % n;
                const double a = 2.0 * 3.14159265358979323846 * (double)m / n, sc = half ? (k == 0 || 2 * k == n ? 1.0 : 2.0) / nn : 1.0;
                cv = sc * cos(a);
                sv = sc * sin(a);
            }
            c[(size_t)p * sp + (size_t)k * sk] = (float)cv;
            s[(size_t)p * sp + (size_t)k * sk] = (float)sv;
        }
}

/* ---- forward transform of VL planes (one per lane; nl real ones) of R x Cc at rows (r + roff), columns (j + coff):
   S[kh][kw][re, im][lane]. Tables: cw/sw [j][kw] (NWp wide), ch/sh [r][kh] (NH2p wide). */
typedef struct {
    const float *cw, *sw, *ch, *sh;
} ftab_t;

static void row_dft(const dft_t *t, const float *xl, int R, int Cc, const ftab_t *tb, float *T) {
    for (int r = 0; r < R; r++)
        for (int k0 = 0; k0 < t->NWp; k0 += KB) {
            vf re[KB], im[KB];
            for (int k = 0; k < KB; k++) re[k] = im[k] = (vf){0};
            for (int j = 0; j < Cc; j++) {
                const vf x = vld(xl + ((size_t)r * Cc + j) * VL);
                const float *c = tb->cw + (size_t)j * t->NWp + k0, *s = tb->sw + (size_t)j * t->NWp + k0;
                for (int k = 0; k < KB; k++) {
                    re[k] += c[k] * x;
                    im[k] -= s[k] * x;
                }
            }
            for (int k = 0; k < KB; k++) {
                vst(T + (((size_t)r * t->NWp + k0 + k) * 2) * VL, re[k]);
                vst(T + (((size_t)r * t->NWp + k0 + k) * 2 + 1) * VL, im[k]);
            }
        }
}

/* S[kh] = sum_r T[r] e^{-i theta} = A - iB and S[N1 - kh] = A + iB, with A = sum T cos, B = sum T sin; entries
   (kh, kw, re/im) ss floats apart: VL in a staging buffer, or the batch when written in place */
static void col_dft(const dft_t *t, const float *T, int R, const ftab_t *tb, float *S, size_t ss) {
    for (int kw = 0; kw < t->NWh; kw++)
        for (int h0 = 0; h0 < t->NH2; h0 += HB) {
            vf ar[HB], ai[HB], br[HB], bi[HB];
            for (int k = 0; k < HB; k++) ar[k] = ai[k] = br[k] = bi[k] = (vf){0};
            for (int r = 0; r < R; r++) {
                const float *tr = T + (((size_t)r * t->NWp + kw) * 2) * VL;
                const vf xr = vld(tr), xi = vld(tr + VL);
                const float *c = tb->ch + (size_t)r * t->NH2p + h0, *s = tb->sh + (size_t)r * t->NH2p + h0;
                for (int k = 0; k < HB; k++) {
                    ar[k] += c[k] * xr; ai[k] += c[k] * xi;
                    br[k] += s[k] * xr; bi[k] += s[k] * xi;
                }
            }
            for (int k = 0; k < HB && h0 + k < t->NH2; k++) {
                const int kh = h0 + k, kh2 = t->N1 - kh;
                float *o = S + (((size_t)kh * t->NWh + kw) * 2) * ss;
                vst(o, ar[k] + bi[k]);
                vst(o + ss, ai[k] - br[k]);
                if (kh > 0 && kh2 != kh) {
                    o = S + (((size_t)kh2 * t->NWh + kw) * 2) * ss;
                    vst(o, ar[k] - bi[k]);
                    vst(o + ss, ai[k] + br[k]);
                }
            }
        }
}

/* ---- inverse: VL planes of R x Cc at rows (i + roff), columns (j + coff) from S[kh][kw][re, im][lane]. Tables:
   ci/si [i][kh] (NH2 wide, Rm rows), cr/sr [kw][j] (Cm wide, scaled for the half spectrum and 1 / (N1 N2)). */
typedef struct {
    const float *ci, *si, *cr, *sr;
} itab_t;

/* U[i][kw] = sum over kh <= N1/2 of P cos + i M sin, P = S[kh] + S[N1 - kh], M = S[kh] - S[N1 - kh] (unpaired
   kh = 0 and N1/2: P = M = S[kh], whose sines are 0); S's entries ss floats apart, as for col_dft */
static void col_idft(const dft_t *t, const float *S, size_t ss, int R, const itab_t *tb, float *PM, float *U) {
    for (int kh = 0; kh < t->NH2; kh++)
        for (int kw = 0; kw < t->NWh; kw++) {
            const int kh2 = t->N1 - kh, pair = kh > 0 && kh2 != kh;
            const float *a = S + (((size_t)kh * t->NWh + kw) * 2) * ss;
            const vf ar = vld(a), ai = vld(a + ss);
            vf br = {0}, bi = {0};
            if (pair) {
                const float *b = S + (((size_t)kh2 * t->NWh + kw) * 2) * ss;
                br = vld(b);
                bi = vld(b + ss);
            }
            float *o = PM + (((size_t)kh * t->NWh + kw) * 4) * VL;
            vst(o, ar + br); vst(o + VL, ai + bi);
            vst(o + 2 * VL, ar - br); vst(o + 3 * VL, ai - bi);
        }
    const int Rp = up(R, IB);
    for (int kw = 0; kw < t->NWh; kw++)
        for (int i0 = 0; i0 < Rp; i0 += IB) {
            vf ur[IB], ui[IB];
            for (int k = 0; k < IB; k++) ur[k] = ui[k] = (vf){0};
            for (int kh = 0; kh < t->NH2; kh++) {
                const float *p = PM + (((size_t)kh * t->NWh + kw) * 4) * VL;
                const vf pr = vld(p), pi = vld(p + VL), mr = vld(p + 2 * VL), mi = vld(p + 3 * VL);
                for (int k = 0; k < IB; k++) {
                    const float c = tb->ci[(size_t)(i0 + k) * t->NH2 + kh], s = tb->si[(size_t)(i0 + k) * t->NH2 + kh];
                    ur[k] += c * pr - s * mi;
                    ui[k] += c * pi + s * mr;
                }
            }
            for (int k = 0; k < IB; k++) {
                vst(U + (((size_t)(i0 + k) * t->NWh + kw) * 2) * VL, ur[k]);
                vst(U + (((size_t)(i0 + k) * t->NWh + kw) * 2 + 1) * VL, ui[k]);
            }
        }
}

/* yl[i][j][lane] = sum_kw Ure cr - Uim sr */
static void row_idft(const dft_t *t, const float *U, int R, int Cc, const itab_t *tb, float *yl) {
    const int Cp = up(Cc, JB);
    for (int i = 0; i < R; i++)
        for (int j0 = 0; j0 < Cp; j0 += JB) {
            vf acc[JB];
            for (int k = 0; k < JB; k++) acc[k] = (vf){0};
            for (int kw = 0; kw < t->NWh; kw++) {
                const float *u = U + (((size_t)i * t->NWh + kw) * 2) * VL;
                const vf ur = vld(u), ui = vld(u + VL);
                const float *c = tb->cr + (size_t)kw * t->Cm + j0, *s = tb->sr + (size_t)kw * t->Cm + j0;
                for (int k = 0; k < JB; k++) acc[k] += c[k] * ur - s[k] * ui;
            }
            for (int k = 0; k < JB; k++) vst(yl + ((size_t)i * Cp + j0 + k) * VL, acc[k]);
        }
}

/* a set of planes: plane (b, c) of (nb, nch, R, Cc) at p + (b*nch + c)*R*Cc, placed at rows (r + roff) and columns
   (j + coff) of the torus; spec[c][f][re, im][b] holds their spectra (spec_at) */
typedef struct {
    int nb, nch, R, Cc, roff, coff;
} planes_t;

static float *my_locals(float *loc, size_t per) {
    int me = 0;
#ifdef _OPENMP
    me = omp_get_thread_num();
#endif
    return loc + per * (size_t)me;
}

/* spec[ch][f][re, im][b]: a channel's spectra together, so that a group of lanes writes (and reads) one region;
   for a frequency f the real parts are a (channels x nb) matrix with rows NF*2*nb apart, the imaginary parts nb
   further */
static float *spec_at(const dft_t *t, const planes_t *pl, float *spec, int ch, int b0) {
    return spec + (size_t)ch * t->NF * 2 * pl->nb + b0;
}

/* lane groups: VL planes of one channel, consecutive images; group gi is channel c from image b0, nl images */
static int groups(const planes_t *pl) { return pl->nch * ((pl->nb + VL - 1) / VL); }
static int group(const planes_t *pl, int gi, int *c, int *b0) {
    const int nbg = (pl->nb + VL - 1) / VL;
    *c = gi / nbg;
    *b0 = gi % nbg * VL;
    return pl->nb - *b0 < VL ? pl->nb - *b0 : VL;
}

/* spec = the spectra of the planes at x */
static void spectrum(const dft_t *t, const float *x, const planes_t *pl, float *spec,
                     float *tabs, float *loc, int nth) {
    (void)nth; /* no OpenMP: one thread */
    float *cw = tabs, *sw = cw + (size_t)t->Cm * t->NWp, *ch = sw + (size_t)t->Cm * t->NWp,
          *sh = ch + (size_t)t->Rm * t->NH2p;
    table(t->N2, pl->Cc, pl->Cc, pl->coff, t->NWh, t->NWp, t->NWp, 1, 0, 1, cw, sw);
    table(t->N1, pl->R, pl->R, pl->roff, t->NH2, t->NH2p, t->NH2p, 1, 0, 1, ch, sh);
    const ftab_t tb = {cw, sw, ch, sh};
    const size_t per = local_floats(t), plane = (size_t)pl->R * pl->Cc;
#pragma omp parallel for schedule(static) num_threads(nth)
    for (int gi = 0; gi < groups(pl); gi++) {
        int c, b0;
        const int nl = group(pl, gi, &c, &b0);
        float *xl = my_locals(loc, per), *T = xl + (size_t)VL * t->Rm * t->Cm, *S = T + (size_t)VL * t->Rm * t->NWp * 2;
        const float *src[VL];
        for (int l = 0; l < nl; l++) src[l] = x + ((size_t)(b0 + l) * pl->nch + c) * plane;
        for (size_t q = 0; q < plane; q++) {
            int l = 0;
            for (; l < nl; l++) xl[q * VL + l] = src[l][q];
            for (; l < VL; l++) xl[q * VL + l] = 0.0f;
        }
        row_dft(t, xl, pl->R, pl->Cc, &tb, T);
        float *o = spec_at(t, pl, spec, c, b0);
        if (nl == VL) { /* a whole group: straight into the spectra */
            col_dft(t, T, pl->R, &tb, o, (size_t)pl->nb);
        } else {
            col_dft(t, T, pl->R, &tb, S, VL);
            for (size_t fr = 0; fr < (size_t)2 * t->NF; fr++) /* (f, re/im) */
                memcpy(o + fr * pl->nb, S + fr * VL, sizeof(float) * (size_t)nl);
        }
    }
}

/* the planes at y =, or +=, the inverse of spec */
static void inverse(const dft_t *t, float *spec, const planes_t *pl, float *y,
                    int accumulate, float *tabs, float *loc, int nth) {
    (void)nth;
    float *ci = tabs, *si = ci + (size_t)t->Rm * t->NH2p, *cr = si + (size_t)t->Rm * t->NH2p,
          *sr = cr + (size_t)t->Cm * t->NWp;
    const int Rp = up(pl->R, IB), Cp = up(pl->Cc, JB);
    table(t->N1, pl->R, Rp, pl->roff, t->NH2, t->NH2, t->NH2, 1, 0, 1, ci, si);
    table(t->N2, pl->Cc, Cp, pl->coff, t->NWh, t->NWh, 1, t->Cm, 1, (double)t->N1 * t->N2, cr, sr);
    const itab_t tb = {ci, si, cr, sr};
    const size_t per = local_floats(t), plane = (size_t)pl->R * pl->Cc;
#pragma omp parallel for schedule(static) num_threads(nth)
    for (int gi = 0; gi < groups(pl); gi++) {
        int c, b0;
        const int nl = group(pl, gi, &c, &b0);
        float *yl = my_locals(loc, per), *U = yl + (size_t)VL * t->Rm * t->Cm, *S = U + (size_t)VL * t->Rm * t->NWp * 2,
              *PM = S + (size_t)VL * t->NF * 2;
        const float *in = spec_at(t, pl, spec, c, b0);
        if (nl == VL) { /* a whole group: straight from the spectra */
            col_idft(t, in, (size_t)pl->nb, pl->R, &tb, PM, U);
        } else {
            for (size_t fr = 0; fr < (size_t)2 * t->NF; fr++)
                for (int l = 0; l < VL; l++) S[fr * VL + l] = l < nl ? in[fr * pl->nb + l] : 0.0f;
            col_idft(t, S, VL, pl->R, &tb, PM, U);
        }
        row_idft(t, U, pl->R, pl->Cc, &tb, yl);
        float *dst[VL];
        for (int l = 0; l < nl; l++) dst[l] = y + ((size_t)(b0 + l) * pl->nch + c) * plane;
        for (int i = 0; i < pl->R; i++) /* 16 columns at a time: whole cache lines of each plane */
            for (int j0 = 0; j0 < pl->Cc; j0 += 16) {
                const int jn = pl->Cc - j0 < 16 ? pl->Cc - j0 : 16;
                const float *v = yl + ((size_t)i * Cp + j0) * VL;
                for (int l = 0; l < nl; l++) {
                    float *d = dst[l] + (size_t)i * pl->Cc + j0;
                    if (accumulate)
                        for (int j = 0; j < jn; j++) d[j] += v[(size_t)j * VL + l];
                    else
                        for (int j = 0; j < jn; j++) d[j] = v[(size_t)j * VL + l];
                }
            }
    }
}

/* ---- the layer's passes. Workspace: the weight (or weight-gradient) spectrum, the C-channel spectra of the batch
   (x, dx), its OC-channel spectra (y, dy), the tables, then each thread's buffers. */
typedef struct {
    dft_t t;
    float *wspec, *a, *b, *tabs, *loc;
    int nth;
} work_t;

static void carve(const conv_geom_t *g, float *ws, size_t ws_floats, work_t *k) {
    sizes(g, &k->t);
    const size_t NF = (size_t)k->t.NF;
    k->wspec = ws;
    k->a = k->wspec + 2 * NF * g->C * g->OC;
    k->b = k->a + 2 * NF * g->C * g->N;
    k->tabs = k->b + 2 * NF * g->OC * g->N;
    k->loc = k->tabs + table_floats(&k->t);
    k->nth = conv_dft_threads(g, ws_floats);
}

/* planes of x (C channels, from row and column 0), of y or dy (OC channels, at -ph, -pw), of w (OC x C) */
static planes_t x_planes(const conv_geom_t *g) { return (planes_t){g->N, g->C, g->H, g->W, 0, 0}; }
static planes_t y_planes(const conv_geom_t *g) { return (planes_t){g->N, g->OC, g->OH, g->OW, -g->ph, -g->pw}; }
static planes_t w_planes(const conv_geom_t *g) { return (planes_t){g->OC, g->C, g->KH, g->KW, 0, 0}; }

/* for frequency f: the real parts of spec as a (channels x nb) matrix (the imaginary parts: + nb), and its ld */
static float *re_at(float *spec, int nb, int f) { return spec + (size_t)f * 2 * nb; }
static int ld_of(const dft_t *t, int nb) { return t->NF * 2 * nb; }

void conv_dft_forward(const conv_geom_t *g, const float *x, const float *w, float *y, float *ws, size_t ws_floats) {
    work_t k;
    carve(g, ws, ws_floats, &k);
    const planes_t px = x_planes(g), py = y_planes(g), pw = w_planes(g);
    spectrum(&k.t, w, &pw, k.wspec, k.tabs, k.loc, k.nth); /* W^T: (C x OC) per frequency */
    spectrum(&k.t, x, &px, k.a, k.tabs, k.loc, k.nth);
    const int N = g->N, C = g->C, OC = g->OC, lw = ld_of(&k.t, OC), lx = ld_of(&k.t, N);
#pragma omp parallel for schedule(static) num_threads(k.nth)
    for (int f = 0; f < k.t.NF; f++) { /* Yre = Wre Xre + Wim Xim, Yim = Wre Xim - Wim Xre */
        const float *Wr = re_at(k.wspec, OC, f), *Wi = Wr + OC, *Xr = re_at(k.a, N, f), *Xi = Xr + N;
        float *Yr = re_at(k.b, N, f), *Yi = Yr + N;
        gemm(1, 0, OC, N, C, 1.0f, Wr, lw, Xr, lx, 0.0f, Yr, lx);
        gemm(1, 0, OC, N, C, 1.0f, Wi, lw, Xi, lx, 1.0f, Yr, lx);
        gemm(1, 0, OC, N, C, 1.0f, Wr, lw, Xi, lx, 0.0f, Yi, lx);
        gemm(1, 0, OC, N, C, -1.0f, Wi, lw, Xr, lx, 1.0f, Yi, lx);
    }
    inverse(&k.t, k.b, &py, y, 0, k.tabs, k.loc, k.nth);
}

/* wspec = the weight gradient's spectrum DW^T = (sum over the batch of conj(DY) X)^T from a (x) and b (dy):
   DWre^T = Xre DYre^T + Xim DYim^T (one GEMM over [re | im]), DWim^T = Xim DYre^T - Xre DYim^T */
static void dw_products(const conv_geom_t *g, const work_t *k) {
    const int N = g->N, C = g->C, OC = g->OC, lw = ld_of(&k->t, OC), lx = ld_of(&k->t, N);
#pragma omp parallel for schedule(static) num_threads(k->nth)
    for (int f = 0; f < k->t.NF; f++) {
        const float *Xr = re_at(k->a, N, f), *Xi = Xr + N, *Dr = re_at(k->b, N, f), *Di = Dr + N;
        float *Wr = re_at(k->wspec, OC, f), *Wi = Wr + OC;
        gemm(0, 1, C, OC, 2 * N, 1.0f, Xr, lx, Dr, lx, 0.0f, Wr, lw);
        gemm(0, 1, C, OC, N, 1.0f, Xi, lx, Dr, lx, 0.0f, Wi, lw);
        gemm(0, 1, C, OC, N, -1.0f, Xr, lx, Di, lx, 1.0f, Wi, lw);
    }
}

/* a = DX = W DY from wspec (W^T) and b (dy): DXre = Wre^T DYre - Wim^T DYim, DXim = Wim^T DYre + Wre^T DYim */
static void dx_products(const conv_geom_t *g, const work_t *k) {
    const int N = g->N, C = g->C, OC = g->OC, lw = ld_of(&k->t, OC), lx = ld_of(&k->t, N);
#pragma omp parallel for schedule(static) num_threads(k->nth)
    for (int f = 0; f < k->t.NF; f++) {
        const float *Wr = re_at(k->wspec, OC, f), *Wi = Wr + OC, *Dr = re_at(k->b, N, f), *Di = Dr + N;
        float *Xr = re_at(k->a, N, f), *Xi = Xr + N;
        gemm(0, 0, C, N, OC, 1.0f, Wr, lw, Dr, lx, 0.0f, Xr, lx);
        gemm(0, 0, C, N, OC, -1.0f, Wi, lw, Di, lx, 1.0f, Xr, lx);
        gemm(0, 0, C, N, OC, 1.0f, Wi, lw, Dr, lx, 0.0f, Xi, lx);
        gemm(0, 0, C, N, OC, 1.0f, Wr, lw, Di, lx, 1.0f, Xi, lx);
    }
}

/* dw += the weight gradient and dx += the input gradient (either may be NULL); dy's spectrum is shared */
void conv_dft_backward(const conv_geom_t *g, const float *x, const float *w, const float *dy, float *dx, float *dw,
                       float *ws, size_t ws_floats) {
    work_t k;
    carve(g, ws, ws_floats, &k);
    const planes_t px = x_planes(g), py = y_planes(g), pw = w_planes(g);
    spectrum(&k.t, dy, &py, k.b, k.tabs, k.loc, k.nth);
    if (dw) {
        spectrum(&k.t, x, &px, k.a, k.tabs, k.loc, k.nth);
        dw_products(g, &k);
        inverse(&k.t, k.wspec, &pw, dw, 1, k.tabs, k.loc, k.nth);
    }
    if (dx) {
        spectrum(&k.t, w, &pw, k.wspec, k.tabs, k.loc, k.nth);
        dx_products(g, &k);
        inverse(&k.t, k.a, &px, dx, 1, k.tabs, k.loc, k.nth);
    }
}
