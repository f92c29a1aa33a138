/* im2col / col2im over a whole batch, so each convolution is ONE large sgemm per pass (K = N*OH*OW for the weight
   gradient). Rows are independent in im2col; col2im is split by channel, so threads never write the same x. */
#include <string.h>
#include "nn/nn.h"

void im2col(const float *x, int N, int C, int H, int W, int KH, int KW, int s, int ph, int pw, int OH, int OW,
            float *col) {
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

void col2im(const float *col, int N, int C, int H, int W, int KH, int KW, int s, int ph, int pw, int OH, int OW,
            float *x) {
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

void nchw_to_cnp(const float *x, int N, int C, int P, float *y) {
#pragma omp parallel for schedule(static)
    for (int c = 0; c < C; c++)
        for (int n = 0; n < N; n++)
            memcpy(y + ((size_t)c * N + n) * P, x + ((size_t)n * C + c) * P, sizeof(float) * P);
}

void cnp_to_nchw_add(const float *y, int N, int C, int P, float *x, int accumulate) {
#pragma omp parallel for schedule(static)
    for (int c = 0; c < C; c++)
        for (int n = 0; n < N; n++) {
            const float *src = y + ((size_t)c * N + n) * P;
            float *dst = x + ((size_t)n * C + c) * P;
            if (accumulate)
                for (int q = 0; q < P; q++) dst[q] += src[q];
            else
                memcpy(dst, src, sizeof(float) * P);
        }
}
