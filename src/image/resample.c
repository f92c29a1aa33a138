/* Resampling: one separable machinery (a 1-D plan of taps and weights per output sample, applied along W then H,
   and its adjoint for the Upsample layer's backward) and the kernels ganc uses:
     NEAREST   PyTorch's nearest: src = floor(dst * scale)
     BILINEAR  PyTorch's bilinear, align_corners=False, no antialiasing: src = (dst + 0.5) * scale - 0.5, clamped
     TRIANGLE  antialiased bilinear (a triangle widened by the downscale factor, PIL's BILINEAR geometry): datasets
     BICUBIC   MATLAB's imresize(..., 'bicubic') with antialiasing: Keys' cubic (a = -0.5), widened by the
               downscale factor, centres u = x/s + 0.5(1 - 1/s) (1-based), symmetric (mirror) edges, weights
               normalised to sum 1: the degradation of the super-resolution papers
     PYRDOWN   the Gaussian pyramid's reduce: binomial [1 3 3 1]/8 over each output's 2x2 footprint and its
               neighbours (taps 2o-1..2o+2, mirrored at the edges), i.e. blur then decimate by 2
   Pyramid steps (LAPGAN): d = PYRDOWN, u = BILINEAR x2; a Laplacian level is h = I - u(d(I)), so u(d(I)) + h
   reconstructs I up to float rounding. */
#include <math.h>
#include <stdlib.h>
#include <string.h>
#include "ganc.h"
#include "image/resample.h"

static double cubic(double x) { /* Keys, a = -0.5, as MATLAB's imresize */
    double a = fabs(x), a2 = a * a, a3 = a2 * a;
    if (a <= 1) return 1.5 * a3 - 2.5 * a2 + 1;
    if (a <= 2) return -0.5 * a3 + 2.5 * a2 - 4 * a + 2;
    return 0;
}

/* half-sample symmetric extension: ... 1 0 | 0 1 ... n-1 | n-1 n-2 ... (MATLAB's 'symmetric') */
static int mirror(long i, int n) {
    long m = ((i % (2L * n)) + 2L * n) % (2L * n);
    return (int)(m < n ? m : 2L * n - 1 - m);
}

static int ntaps(int method, int n_in, int n_out, float scale) {
    double s = scale > 0 ? scale : (double)n_in / n_out;
    switch (method) {
    case GANC_RESAMPLE_NEAREST: return 1;
    case GANC_RESAMPLE_BILINEAR: return 2;
    case GANC_RESAMPLE_TRIANGLE: return (int)ceil(2 * (s > 1 ? s : 1)) + 2;
    case GANC_RESAMPLE_BICUBIC: return (int)ceil(4 * (s > 1 ? s : 1)) + 2;
    case GANC_RESAMPLE_PYRDOWN: return 4;
    default: return 0;
    }
}

size_t rs_plan_bytes(int method, int n_in, int n_out, float scale) {
    if (n_in < 1 || n_out < 1 || n_in > (1 << 24) || n_out > (1 << 24)) return 0;
    if (method == GANC_RESAMPLE_PYRDOWN && n_out != n_in / 2) return 0;
    int t = ntaps(method, n_in, n_out, scale);
    if (t < 1 || t > 4096) return 0;
    return ((size_t)n_out * t * (sizeof(double) + sizeof(int32_t)) + 7) & ~(size_t)7; /* the next plan stays aligned */
}

/* taps of output o: writes up to `cap` (idx, w) pairs, returns how many (weights sum to 1 where normalised) */
static int taps_of(int method, int n_in, int n_out, float scale, int o, int32_t *idx, double *w, int cap) {
    const float sf = scale > 0 ? scale : (float)n_in / (float)n_out;
    const double s = scale > 0 ? scale : (double)n_in / n_out;
    int k = 0;
    double sum = 0;
    if (method == GANC_RESAMPLE_NEAREST) {
        int i = (int)floorf((float)o * sf);
        idx[0] = i < n_in - 1 ? i : n_in - 1;
        w[0] = 1;
        return 1;
    }
    if (method == GANC_RESAMPLE_BILINEAR) { /* float arithmetic, as PyTorch's kernel */
        float src = ((float)o + 0.5f) * sf - 0.5f;
        if (src < 0.0f) src = 0.0f;
        int a = (int)src;
        if (a > n_in - 1) a = n_in - 1;
        float l = src - (float)a;
        idx[0] = a; w[0] = 1.0f - l;
        idx[1] = a + 1 < n_in ? a + 1 : n_in - 1; w[1] = l;
        return 2;
    }
    if (method == GANC_RESAMPLE_PYRDOWN) {
        static const double b[4] = {0.125, 0.375, 0.375, 0.125};
        for (k = 0; k < 4; k++) { idx[k] = mirror(2L * o - 1 + k, n_in); w[k] = b[k]; }
        return 4;
    }
    if (method == GANC_RESAMPLE_TRIANGLE) {
        const double support = s > 1.0 ? s : 1.0, center = (o + 0.5) * s;
        int lo = (int)floor(center - support), hi = (int)ceil(center + support);
        if (lo < 0) lo = 0;
        if (hi > n_in) hi = n_in;
        for (int i = lo; i < hi && k < cap; i++, k++) {
            double d = fabs((i + 0.5 - center) / support);
            idx[k] = i;
            w[k] = d < 1.0 ? 1.0 - d : 0.0;
            sum += w[k];
        }
    } else { /* BICUBIC, MATLAB's contributions(): s_m = n_out / n_in */
        const double sm = 1.0 / s, kw = sm < 1 ? 4.0 / sm : 4.0;
        const double u = (o + 1) / sm + 0.5 * (1 - 1 / sm); /* 1-based */
        const long left = (long)floor(u - kw / 2);
        const int P = (int)ceil(kw) + 2;
        for (int p = 0; p < P && k < cap; p++, k++) {
            const double x = u - (double)(left + p);
            idx[k] = mirror(left + p - 1, n_in);
            w[k] = sm < 1 ? sm * cubic(sm * x) : cubic(x);
            sum += w[k];
        }
    }
    for (int j = 0; j < k; j++) w[j] = sum != 0 ? w[j] / sum : 0;
    return k;
}

void rs_plan_fill(rs_plan_t *p, int method, int n_in, int n_out, float scale, void *mem) {
    const int T = ntaps(method, n_in, n_out, scale);
    p->n_in = n_in;
    p->n_out = n_out;
    p->taps = T;
    p->w = mem;
    p->idx = (int32_t *)(p->w + (size_t)n_out * T);
    for (int o = 0; o < n_out; o++) {
        int32_t *ix = p->idx + (size_t)o * T;
        double *w = p->w + (size_t)o * T;
        int k = taps_of(method, n_in, n_out, scale, o, ix, w, T);
        for (; k < T; k++) { ix[k] = 0; w[k] = 0; } /* unused taps weigh nothing */
    }
}

void rs_apply(const rs_plan_t *ph, const rs_plan_t *pw, const float *x, int planes, float *tmp, float *y) {
    const int h = ph->n_in, w = pw->n_in, oh = ph->n_out, ow = pw->n_out, TW = pw->taps, TH = ph->taps;
#pragma omp parallel for schedule(static)
    for (int pl = 0; pl < planes; pl++) {
        const float *xp = x + (size_t)pl * h * w;
        float *tp = tmp + (size_t)pl * h * ow, *yp = y + (size_t)pl * oh * ow;
        for (int r = 0; r < h; r++) /* along W */
            for (int o = 0; o < ow; o++) {
                double acc = 0;
                for (int k = 0; k < TW; k++) acc += pw->w[o * TW + k] * xp[(size_t)r * w + pw->idx[o * TW + k]];
                tp[(size_t)r * ow + o] = (float)acc;
            }
        for (int o = 0; o < oh; o++) /* along H */
            for (int c = 0; c < ow; c++) {
                double acc = 0;
                for (int k = 0; k < TH; k++) acc += ph->w[o * TH + k] * tp[(size_t)ph->idx[o * TH + k] * ow + c];
                yp[(size_t)o * ow + c] = (float)acc;
            }
    }
}

void rs_apply_adjoint(const rs_plan_t *ph, const rs_plan_t *pw, const float *dy, int planes, float *tmp, float *dx) {
    const int h = ph->n_in, w = pw->n_in, oh = ph->n_out, ow = pw->n_out, TW = pw->taps, TH = ph->taps;
#pragma omp parallel for schedule(static)
    for (int pl = 0; pl < planes; pl++) {
        const float *yp = dy + (size_t)pl * oh * ow;
        float *tp = tmp + (size_t)pl * h * ow, *xp = dx + (size_t)pl * h * w;
        memset(tp, 0, sizeof(float) * (size_t)h * ow);
        for (int o = 0; o < oh; o++)
            for (int k = 0; k < TH; k++) {
                const float wk = (float)ph->w[o * TH + k];
                float *row = tp + (size_t)ph->idx[o * TH + k] * ow;
                for (int c = 0; c < ow; c++) row[c] += wk * yp[(size_t)o * ow + c];
            }
        for (int r = 0; r < h; r++)
            for (int o = 0; o < ow; o++)
                for (int k = 0; k < TW; k++)
                    xp[(size_t)r * w + pw->idx[o * TW + k]] += (float)pw->w[o * TW + k] * tp[(size_t)r * ow + o];
    }
}

/* ---- public calls: plans on the heap */

int ganc_resize(const float *x, int c, int h, int w, int oh, int ow, int method, float *y) {
    const size_t bh = rs_plan_bytes(method, h, oh, 0), bw = rs_plan_bytes(method, w, ow, 0);
    if (c < 1 || !bh || !bw)
        return ganc_fail(GANC_EINVAL, "resize: bad method %d or sizes %dx%dx%d -> %dx%d", method, c, h, w, oh, ow);
    void *mh = malloc(bh), *mw = malloc(bw);
    float *tmp = malloc(sizeof(float) * (size_t)c * h * ow);
    if (!mh || !mw || !tmp) {
        free(mh); free(mw); free(tmp);
        return ganc_fail(GANC_ENOMEM, "resize: out of memory for %dx%dx%d -> %dx%d", c, h, w, oh, ow);
    }
    rs_plan_t ph, pw;
    rs_plan_fill(&ph, method, h, oh, 0, mh);
    rs_plan_fill(&pw, method, w, ow, 0, mw);
    rs_apply(&ph, &pw, x, c, tmp, y);
    free(mh); free(mw); free(tmp);
    return GANC_OK;
}

void ganc_resize_bilinear(const float *x, int c, int h, int w, int oh, int ow, float *y) {
    ganc_resize(x, c, h, w, oh, ow, GANC_RESAMPLE_BILINEAR, y);
}

int ganc_pyr_down(const float *x, int c, int h, int w, float *y) {
    if (h < 2 || w < 2 || h % 2 || w % 2) return ganc_fail(GANC_EINVAL, "pyramid: %dx%d is not an even size", h, w);
    return ganc_resize(x, c, h, w, h / 2, w / 2, GANC_RESAMPLE_PYRDOWN, y);
}

int ganc_pyr_up(const float *x, int c, int h, int w, float *y) {
    return ganc_resize(x, c, h, w, 2 * h, 2 * w, GANC_RESAMPLE_BILINEAR, y);
}

int ganc_laplacian_split(const float *x, int c, int h, int w, float *low, float *high) {
    int rc = ganc_pyr_down(x, c, h, w, low);
    if (!rc) rc = ganc_pyr_up(low, c, h / 2, w / 2, high);
    if (rc) return rc;
    const size_t n = (size_t)c * h * w;
    for (size_t i = 0; i < n; i++) high[i] = x[i] - high[i];
    return GANC_OK;
}
