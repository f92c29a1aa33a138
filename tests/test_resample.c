/* The resampling module against independent references (scripts/gen_resample_fixtures.py): MATLAB's bicubic
   imresize re-implemented in numpy, PIL's BICUBIC (same inside the image, different at the edges) and BILINEAR
   (the antialiased triangle), PyTorch's bilinear/nearest; the pyramid reduce; Laplacian reconstruction over a whole
   pyramid; the adjoint used by the Upsample layer's backward; the Upsample layer against ganc_resize. */
#include <math.h>
#include <stdlib.h>
#include <string.h>
#include "image/resample.h"
#include "testutil.h"

static const float *get(const ganc_st_t *st, const char *name, size_t n) {
    const ganc_st_tensor_t *t = st ? ganc_st_find(st, name) : NULL;
    CHECK(t && t->dtype == GANC_F32 && t->numel == n, "fixture tensor %s (%zu elements)", name, n);
    return t && t->numel == n ? t->data : NULL;
}

/* resize x (c,h,w) with method and compare with ref: max abs error <= tol */
static void check_resize(const char *what, const float *x, int c, int h, int w, int oh, int ow, int method,
                         const float *ref, double tol) {
    if (!x || !ref) return;
    float *y = malloc(sizeof(float) * c * oh * ow);
    CHECK_OK(ganc_resize(x, c, h, w, oh, ow, method, y));
    double e = tu_max_abs(y, ref, (size_t)c * oh * ow);
    CHECK(e <= tol, "%s: max abs error %.3g > %.1g", what, e, tol);
    printf("%-44s max abs error %.2g\n", what, e);
    free(y);
}

/* our bicubic against PIL's: equal where the kernel stays inside the image, different near the edges */
static void check_pil_bicubic(const float *smooth, const float *pil) {
    if (!smooth || !pil) return;
    float y[3 * 12 * 16];
    CHECK_OK(ganc_resize(smooth, 3, 48, 64, 12, 16, GANC_RESAMPLE_BICUBIC, y));
    double inner = 0, border = 0;
    for (int c = 0; c < 3; c++)
        for (int i = 0; i < 12; i++)
            for (int j = 0; j < 16; j++) {
                size_t k = ((size_t)c * 12 + i) * 16 + j;
                double d = fabs(y[k] - pil[k]);
                int in = i >= 2 && i < 10 && j >= 2 && j < 14; /* support 8 input px = 2 output px at x1/4 */
                if (in) inner = fmax(inner, d);
                else border = fmax(border, d);
            }
    CHECK(inner <= 1e-5, "bicubic vs PIL BICUBIC inside the image: %.3g", inner);
    CHECK(border > 1e-3, "bicubic vs PIL BICUBIC at the edges should differ (mirrored vs clipped): %.3g", border);
    printf("bicubic vs PIL BICUBIC x1/4: interior max %.2g, edges max %.3g\n", inner, border);
}

/* a Laplacian pyramid of a 3x64x64 image, 64 -> 32 -> 16 -> 8, rebuilt coarse to fine */
static void check_pyramid(void) {
    const int c = 3, S = 64, L = 3;
    float *x = malloc(sizeof(float) * c * S * S), *hi[3], *lo = NULL, *up = malloc(sizeof(float) * c * S * S);
    ganc_rng_t r;
    ganc_rng_seed(&r, 3);
    ganc_rng_fill_uniform(&r, x, (size_t)c * S * S, -1, 1);
    const float *cur = x;
    for (int k = 0, s = S; k < L; k++, s /= 2) {
        hi[k] = malloc(sizeof(float) * c * s * s);
        float *nl = malloc(sizeof(float) * c * (s / 2) * (s / 2));
        CHECK_OK(ganc_laplacian_split(cur, c, s, s, nl, hi[k]));
        free(lo);
        lo = nl;
        cur = lo;
    }
    float *img = malloc(sizeof(float) * c * S * S);
    memcpy(img, lo, sizeof(float) * c * 8 * 8);
    for (int k = L - 1, s = 16; k >= 0; k--, s *= 2) { /* I_k = u(I_{k+1}) + h_k */
        CHECK_OK(ganc_pyr_up(img, c, s / 2, s / 2, up));
        for (size_t i = 0; i < (size_t)c * s * s; i++) img[i] = up[i] + hi[k][i];
    }
    double e = tu_max_abs(img, x, (size_t)c * S * S);
    CHECK(e <= 1e-5, "Laplacian pyramid 64->8 rebuilt: max abs error %.3g", e);
    printf("Laplacian pyramid (3 levels) reconstruction: max abs error %.2g\n", e);
    CHECK(ganc_pyr_down(x, c, 7, 8, up) == GANC_EINVAL, "odd size refused by the pyramid");
    for (int k = 0; k < L; k++) free(hi[k]);
    free(x); free(lo); free(up); free(img);
}

/* <A x, y> == <x, A^T y> for the bicubic x1/3 plans (what the Upsample layer's backward relies on, for any plan) */
static void check_adjoint(void) {
    const int h = 9, w = 12, oh = 20, ow = 7, planes = 2;
    void *mh = malloc(rs_plan_bytes(GANC_RESAMPLE_BICUBIC, h, oh, 0)), *mw = malloc(rs_plan_bytes(GANC_RESAMPLE_BICUBIC, w, ow, 0));
    rs_plan_t ph, pw;
    rs_plan_fill(&ph, GANC_RESAMPLE_BICUBIC, h, oh, 0, mh);
    rs_plan_fill(&pw, GANC_RESAMPLE_BICUBIC, w, ow, 0, mw);
    float x[2 * 9 * 12], y[2 * 20 * 7], Ax[2 * 20 * 7], Aty[2 * 9 * 12] = {0}, tmp[2 * 9 * 7];
    ganc_rng_t r;
    ganc_rng_seed(&r, 4);
    ganc_rng_fill_uniform(&r, x, sizeof x / sizeof x[0], -1, 1);
    ganc_rng_fill_uniform(&r, y, sizeof y / sizeof y[0], -1, 1);
    rs_apply(&ph, &pw, x, planes, tmp, Ax);
    rs_apply_adjoint(&ph, &pw, y, planes, tmp, Aty);
    double a = 0, b = 0;
    for (size_t i = 0; i < sizeof y / sizeof y[0]; i++) a += (double)Ax[i] * y[i];
    for (size_t i = 0; i < sizeof x / sizeof x[0]; i++) b += (double)x[i] * Aty[i];
    CHECK(fabs(a - b) <= 1e-5 * fmax(1, fabs(a)), "adjoint: <Ax,y> %.9g vs <x,A'y> %.9g", a, b);
    free(mh); free(mw);
}

/* the Upsample layer (bilinear x2) is the module's bilinear resize */
static void check_layer(const float *x) {
    if (!x) return;
    ganc_net_t *n = ganc_net_new("U");
    int in = ganc_net_input(n, "x", 3, (int[]){3, 17, 23}), up = ganc_net_upsample(n, "up", in, 2, 1);
    CHECK_OK(ganc_net_build(n, 1));
    memcpy(ganc_net_data(n, in), x, sizeof(float) * 3 * 17 * 23);
    CHECK_OK(ganc_net_forward(n, 1, 0));
    check_resize("upsample layer == ganc_resize bilinear x2", x, 3, 17, 23, 34, 46, GANC_RESAMPLE_BILINEAR,
                 ganc_net_data(n, up), 1e-6);
    ganc_net_free(n);
}

int main(void) {
    ganc_st_t *st = NULL;
    CHECK_OK(ganc_st_open(&st, tu_fixture("resample.safetensors")));
    const float *x = get(st, "x", 3 * 17 * 23), *sm = get(st, "smooth", 3 * 48 * 64);
    check_resize("bicubic 17x23 -> 5x7 vs MATLAB algorithm", x, 3, 17, 23, 5, 7, GANC_RESAMPLE_BICUBIC,
                 get(st, "bicubic_down", 3 * 5 * 7), 1e-5);
    check_resize("bicubic 17x23 -> 40x50 vs MATLAB algorithm", x, 3, 17, 23, 40, 50, GANC_RESAMPLE_BICUBIC,
                 get(st, "bicubic_up", 3 * 40 * 50), 1e-5);
    check_resize("bicubic 48x64 -> 12x16 vs MATLAB algorithm", sm, 3, 48, 64, 12, 16, GANC_RESAMPLE_BICUBIC,
                 get(st, "bicubic_x4", 3 * 12 * 16), 1e-5);
    check_resize("triangle 17x23 -> 5x7 vs PIL BILINEAR", x, 3, 17, 23, 5, 7, GANC_RESAMPLE_TRIANGLE,
                 get(st, "pil_bilinear_down", 3 * 5 * 7), 1e-5);
    check_resize("bilinear 17x23 -> 40x50 vs F.interpolate", x, 3, 17, 23, 40, 50, GANC_RESAMPLE_BILINEAR,
                 get(st, "torch_bilinear", 3 * 40 * 50), 1e-5);
    check_resize("nearest 17x23 -> 40x50 vs F.interpolate", x, 3, 17, 23, 40, 50, GANC_RESAMPLE_NEAREST,
                 get(st, "torch_nearest", 3 * 40 * 50), 0);
    check_resize("pyramid reduce 48x64 -> 24x32", sm, 3, 48, 64, 24, 32, GANC_RESAMPLE_PYRDOWN,
                 get(st, "pyr_down", 3 * 24 * 32), 1e-6);
    check_pil_bicubic(sm, get(st, "pil_bicubic_x4", 3 * 12 * 16));
    check_pyramid();
    check_adjoint();
    check_layer(x);
    float y[4];
    CHECK(ganc_resize(x, 1, 4, 4, 1, 1, 99, y) == GANC_EINVAL, "unknown method refused");
    CHECK(ganc_resize(x, 1, 4, 4, 3, 3, GANC_RESAMPLE_PYRDOWN, y) == GANC_EINVAL, "pyramid reduce needs h/2");
    ganc_st_free(st);
    return tu_finish("test_resample");
}
