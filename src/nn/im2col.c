/* im2col / col2im over a whole batch, so each convolution is ONE large sgemm per pass (K = N*OH*OW for the weight
   gradient). Rows are independent in im2col; col2im is split by channel, so threads never write the same x. */
#include <string.h>
#include "nn/nn.h"
#ifdef __AVX512F__
#include <immintrin.h>
#endif

void copy_padded(const float *plane, int H, int W, int r0, int c0, int rows, int cols, float *out) {
    const int lo = c0 < 0 ? -c0 : 0, hi = W - c0 < cols ? W - c0 : cols; /* q in [lo,hi) reads column c0+q */
    for (int r = 0; r < rows; r++) {
        float *d = out + (size_t)r * cols;
        const int ih = r0 + r;
        if (ih < 0 || ih >= H || hi <= lo) { memset(d, 0, sizeof(float) * cols); continue; }
        for (int q = 0; q < lo; q++) d[q] = 0.0f;
        memcpy(d + lo, plane + (size_t)ih * W + c0 + lo, sizeof(float) * (hi - lo));
        for (int q = hi; q < cols; q++) d[q] = 0.0f;
    }
}

/* Strided or narrow planes: rows of a few elements, each copied by its own loop, cost more than the GEMM they feed
   (SimGAN's critic: im2col of a 3x3 stride-2 layer 0.98 ms against its GEMM's 0.55). Instead, for planes of up to
   128 outputs, one table per kernel tap holds the input offset each output position reads (-1 in the padding), and
   a plane is one loop over it (that layer: 0.58 ms; col2im 0.76 -> 0.58 ms; at 16x16 outputs it is slower). */
enum { TAB_MAX = 16384 };
static int taps(int H, int W, int KH, int KW, int s, int ph, int pw, int OH, int OW, int *tab) {
    const int P = OH * OW;
    if ((s == 1 && OW >= 16) || P > 128 || (size_t)KH * KW * P > TAB_MAX) return 0; /* at 16x16 the rows win */
    for (int i = 0; i < KH; i++)
        for (int j = 0; j < KW; j++)
            for (int oh = 0; oh < OH; oh++)
                for (int ow = 0; ow < OW; ow++) {
                    const int ih = oh * s - ph + i, iw = ow * s - pw + j;
                    tab[(i * KW + j) * P + oh * OW + ow] = ih >= 0 && ih < H && iw >= 0 && iw < W ? ih * W + iw : -1;
                }
    return 1;
}

static void im2col_tab(const float *x, int N, int C, int HW, int KK, int P, const int *tab, float *col) {
    const size_t NP = (size_t)N * P;
#pragma omp parallel for schedule(static)
    for (int r = 0; r < C * KK; r++) {
        const int *t = tab + (size_t)(r % KK) * P;
        for (int n = 0; n < N; n++) {
            const float *xc = x + ((size_t)n * C + r / KK) * HW;
            float *d = col + (size_t)r * NP + (size_t)n * P;
            int p = 0;
#ifdef __AVX512F__
            /* 16 at a time by a masked gather: SimGAN's critic layer, forward 0.61 -> 0.49 ms on one thread */
            for (; p + 16 <= P; p += 16) {
                const __m512i idx = _mm512_loadu_si512(t + p);
                const __mmask16 in = _mm512_cmpge_epi32_mask(idx, _mm512_setzero_si512());
                _mm512_storeu_ps(d + p, _mm512_mask_i32gather_ps(_mm512_setzero_ps(), in, idx, xc, 4));
            }
#endif
            for (; p < P; p++) d[p] = t[p] >= 0 ? xc[t[p]] : 0.0f;
        }
    }
}

static void col2im_tab(const float *col, int N, int C, int HW, int KK, int P, const int *tab, float *x) {
    const size_t NP = (size_t)N * P;
#pragma omp parallel for schedule(static)
    for (int c = 0; c < C; c++)
        for (int k = 0; k < KK; k++) {
            const int *t = tab + (size_t)k * P;
            for (int n = 0; n < N; n++) {
                const float *src = col + ((size_t)c * KK + k) * NP + (size_t)n * P;
                float *xc = x + ((size_t)n * C + c) * HW;
                for (int p = 0; p < P; p++)
                    if (t[p] >= 0) xc[t[p]] += src[p];
            }
        }
}

void im2col(const float *x, int N, int C, int H, int W, int KH, int KW, int s, int ph, int pw, int OH, int OW,
            float *col) {
    if (KH == 1 && KW == 1 && s == 1 && ph == 0 && pw == 0) { /* a 1x1 kernel: the planes, batch within channel */
        nchw_to_cnp(x, N, C, H * W, col);
        return;
    }
    int tab[TAB_MAX];
    if (taps(H, W, KH, KW, s, ph, pw, OH, OW, tab)) {
        im2col_tab(x, N, C, H * W, KH * KW, OH * OW, tab, col);
        return;
    }
    const int rows = C * KH * KW;
    const size_t P = (size_t)OH * OW, NP = (size_t)N * P;
#pragma omp parallel for schedule(static)
    for (int r = 0; r < rows; r++) {
        int c = r / (KH * KW), i = (r / KW) % KH, j = r % KW, lo, hi;
        conv_valid_range(W, OW, s, pw, j, &lo, &hi);
        float *dst = col + (size_t)r * NP;
        for (int n = 0; n < N; n++) {
            const float *xc = x + ((size_t)n * C + c) * H * W;
            for (int oh = 0; oh < OH; oh++) {
                int ih = oh * s - ph + i;
                float *d = dst + (size_t)n * P + (size_t)oh * OW;
                if (ih < 0 || ih >= H) { memset(d, 0, sizeof(float) * OW); continue; }
                const float *xr = xc + (size_t)ih * W;
                const int off = j - pw; /* output column ow reads input column ow*s + off */
                for (int ow = 0; ow < lo; ow++) d[ow] = 0.0f;
                if (s == 1) memcpy(d + lo, xr + lo + off, sizeof(float) * (hi - lo));
                else if (s == 2) for (int ow = lo; ow < hi; ow++) d[ow] = xr[2 * ow + off];
                else for (int ow = lo; ow < hi; ow++) d[ow] = xr[ow * s + off];
                for (int ow = hi; ow < OW; ow++) d[ow] = 0.0f;
            }
        }
    }
}

/* 4-wide kernels, stride 2, padding 1, onto twice the width (DCGAN's transposed convolutions, and the input
   gradient of its critic): the four taps of a kernel row land on x[2m] from taps 1 and 3 and on x[2m+1] from taps
   2 and 0, so a row of x is one pass over the four rows of col instead of four strided passes */
static void col2im_k4s2(const float *col, int N, int C, int H, int W, int KH, int ph, int OH, int OW, float *x) {
    const size_t P = (size_t)OH * OW, NP = (size_t)N * P;
#pragma omp parallel for schedule(static)
    for (int c = 0; c < C; c++)
        for (int i = 0; i < KH; i++) {
            const float *src = col + (size_t)(c * KH + i) * 4 * NP;
            for (int n = 0; n < N; n++) {
                float *xc = x + ((size_t)n * C + c) * H * W;
                for (int oh = 0; oh < OH; oh++) {
                    const int ih = oh * 2 - ph + i;
                    if (ih < 0 || ih >= H) continue;
                    const float *s0 = src + (size_t)n * P + (size_t)oh * OW, *s1 = s0 + NP, *s2 = s1 + NP,
                                *s3 = s2 + NP;
                    float *xr = xc + (size_t)ih * W;
                    xr[0] += s1[0];
                    for (int m = 1; m < OW; m++) xr[2 * m] += s1[m] + s3[m - 1];
                    for (int m = 0; m < OW - 1; m++) xr[2 * m + 1] += s2[m] + s0[m + 1];
                    xr[W - 1] += s2[OW - 1];
                }
            }
        }
}

void col2im(const float *col, int N, int C, int H, int W, int KH, int KW, int s, int ph, int pw, int OH, int OW,
            float *x) {
    if (KW == 4 && s == 2 && pw == 1 && W == 2 * OW) {
        col2im_k4s2(col, N, C, H, W, KH, ph, OH, OW, x);
        return;
    }
    int tab[TAB_MAX];
    if (taps(H, W, KH, KW, s, ph, pw, OH, OW, tab)) {
        col2im_tab(col, N, C, H * W, KH * KW, OH * OW, tab, x);
        return;
    }
    const size_t P = (size_t)OH * OW, NP = (size_t)N * P;
#pragma omp parallel for schedule(static)
    for (int c = 0; c < C; c++) {
        for (int i = 0; i < KH; i++)
            for (int j = 0; j < KW; j++) {
                int lo, hi;
                conv_valid_range(W, OW, s, pw, j, &lo, &hi);
                const float *src = col + ((size_t)(c * KH + i) * KW + j) * NP;
                for (int n = 0; n < N; n++) {
                    float *xc = x + ((size_t)n * C + c) * H * W;
                    for (int oh = 0; oh < OH; oh++) {
                        int ih = oh * s - ph + i;
                        if (ih < 0 || ih >= H) continue;
                        const float *sr = src + (size_t)n * P + (size_t)oh * OW;
                        float *xr = xc + (size_t)ih * W;
                        const int off = j - pw;
                        if (s == 1) for (int ow = lo; ow < hi; ow++) xr[ow + off] += sr[ow];
                        else if (s == 2) for (int ow = lo; ow < hi; ow++) xr[2 * ow + off] += sr[ow];
                        else for (int ow = lo; ow < hi; ow++) xr[ow * s + off] += sr[ow];
                    }
                }
            }
    }
}

/* planes of fewer than SMALL_P floats are copied by loops the compiler vectorises: a call to memcpy per plane cost
   SimGAN's 4x4 1x1 layers a fifth of their time */
enum { SMALL_P = 64 };
void nchw_to_cnp(const float *x, int N, int C, int P, float *y) {
#pragma omp parallel for schedule(static)
    for (int c = 0; c < C; c++)
        for (int n = 0; n < N; n++) {
            float *dst = y + ((size_t)c * N + n) * P;
            const float *src = x + ((size_t)n * C + c) * P;
            if (P < SMALL_P)
                for (int q = 0; q < P; q++) dst[q] = src[q];
            else
                memcpy(dst, src, sizeof(float) * P);
        }
}

void cnp_to_nchw_add(const float *y, int N, int C, int P, float *x, int accumulate) {
#pragma omp parallel for schedule(static)
    for (int c = 0; c < C; c++)
        for (int n = 0; n < N; n++) {
            const float *src = y + ((size_t)c * N + n) * P;
            float *dst = x + ((size_t)n * C + c) * P;
            if (accumulate)
                for (int q = 0; q < P; q++) dst[q] += src[q];
            else if (P < SMALL_P)
                for (int q = 0; q < P; q++) dst[q] = src[q];
            else
                memcpy(dst, src, sizeof(float) * P);
        }
}
