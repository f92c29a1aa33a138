/* Layers that move values around: Concat (with vector broadcast), PixelShuffle, Upsample, AvgPool, MaxPool,
   Embedding. */
#include <math.h>
#include <string.h>
#include "nn/nn.h"

// a (N,C1,S) ++ b (N,C2,S) [or b (N,C2) repeated over S] -> y (N,C1+C2,S)
void concat_forward(const float *a, const float *b, float *y, int N, int C1, int C2, int S, int bcast) {
    const int C = C1 + C2;
    for (int n = 0; n < N; n++) {
        float *yn = y + (size_t)n * C * S;
        memcpy(yn, a + (size_t)n * C1 * S, sizeof(float) * C1 * S);
        if (!bcast) {
            memcpy(yn + (size_t)C1 * S, b + (size_t)n * C2 * S, sizeof(float) * C2 * S);
        } else {
            for (int c = 0; c < C2; c++) {
                float v = b[(size_t)n * C2 + c], *d = yn + (size_t)(C1 + c) * S;
                for (int q = 0; q < S; q++) d[q] = v;
            }
        }
    }
}
void concat_backward(const float *dy, float *da, float *db, int N, int C1, int C2, int S, int bcast) {
    const int C = C1 + C2;
    for (int n = 0; n < N; n++) {
        const float *dn = dy + (size_t)n * C * S;
        if (da)
            for (size_t i = 0; i < (size_t)C1 * S; i++) da[(size_t)n * C1 * S + i] += dn[i];
        if (!db) continue;
        for (int c = 0; c < C2; c++) {
            const float *d = dn + (size_t)(C1 + c) * S;
            if (bcast) {
                double acc = 0.0;
                for (int q = 0; q < S; q++) acc += d[q];
                db[(size_t)n * C2 + c] += (float)acc;
            } else {
                float *o = db + ((size_t)n * C2 + c) * S;
                for (int q = 0; q < S; q++) o[q] += d[q];
            }
        }
    }
}

// (N,C*r*r,H,W) -> (N,C,H*r,W*r): y[n,c,h*r+i,w*r+j] = x[n,c*r*r+i*r+j,h,w]. Output rows written in order (each
// from r input rows), channels in parallel.
void pixel_shuffle_forward(const float *x, float *y, int N, int C, int H, int W, int r) {
    const int OW = W * r;
#pragma omp parallel for schedule(static)
    for (int nc = 0; nc < N * C; nc++)
        for (int h = 0; h < H; h++)
            for (int i = 0; i < r; i++) {
                float *yr = y + ((size_t)nc * H * r + (size_t)h * r + i) * OW;
                const float *xs = x + ((size_t)nc * r * r + (size_t)i * r) * H * W + (size_t)h * W;
                for (int j = 0; j < r; j++)
                    for (int w = 0; w < W; w++) yr[w * r + j] = xs[(size_t)j * H * W + w];
            }
}
void pixel_shuffle_backward(const float *dy, float *dx, int N, int C, int H, int W, int r) {
    const int OW = W * r;
#pragma omp parallel for schedule(static)
    for (int nc = 0; nc < N * C; nc++)
        for (int h = 0; h < H; h++)
            for (int i = 0; i < r; i++) {
                const float *yr = dy + ((size_t)nc * H * r + (size_t)h * r + i) * OW;
                float *xs = dx + ((size_t)nc * r * r + (size_t)i * r) * H * W + (size_t)h * W;
                for (int j = 0; j < r; j++)
                    for (int w = 0; w < W; w++) xs[(size_t)j * H * W + w] += yr[w * r + j];
            }
}

/* the window of output (oh,ow) clipped to the image, and the divisor: k*k, or with count_include_pad == 0 the
   number of pixels inside the image */
static inline float pool_window(int oh, int ow, int k, int s, int p, int H, int W, int cip, int *h0, int *h1, int *w0,
                                int *w1) {
    int a = oh * s - p, b = ow * s - p;
    *h0 = a < 0 ? 0 : a; *h1 = a + k > H ? H : a + k;
    *w0 = b < 0 ? 0 : b; *w1 = b + k > W ? W : b + k;
    return cip ? 1.0f / (float)(k * k) : 1.0f / (float)((*h1 - *h0) * (*w1 - *w0));
}

void avgpool_forward(const float *x, float *y, int N, int C, int H, int W, int k, int s, int p, int cip, int OH,
                     int OW) {
#pragma omp parallel for schedule(static)
    for (int nc = 0; nc < N * C; nc++) {
        const float *xc = x + (size_t)nc * H * W;
        for (int oh = 0; oh < OH; oh++)
            for (int ow = 0; ow < OW; ow++) {
                int h0, h1, w0, w1;
                float inv = pool_window(oh, ow, k, s, p, H, W, cip, &h0, &h1, &w0, &w1), acc = 0.0f;
                for (int i = h0; i < h1; i++)
                    for (int j = w0; j < w1; j++) acc += xc[i * W + j];
                y[(size_t)nc * OH * OW + oh * OW + ow] = acc * inv;
            }
    }
}
void avgpool_backward(const float *dy, float *dx, int N, int C, int H, int W, int k, int s, int p, int cip, int OH,
                      int OW) {
#pragma omp parallel for schedule(static)
    for (int nc = 0; nc < N * C; nc++) {
        float *xc = dx + (size_t)nc * H * W;
        for (int oh = 0; oh < OH; oh++)
            for (int ow = 0; ow < OW; ow++) {
                int h0, h1, w0, w1;
                float inv = pool_window(oh, ow, k, s, p, H, W, cip, &h0, &h1, &w0, &w1);
                float g = dy[(size_t)nc * OH * OW + oh * OW + ow] * inv;
                for (int i = h0; i < h1; i++)
                    for (int j = w0; j < w1; j++) xc[i * W + j] += g;
            }
    }
}

void maxpool_forward(const float *x, float *y, int32_t *arg, int N, int C, int H, int W, int k, int s, int p, int OH,
                     int OW) {
#pragma omp parallel for schedule(static)
    for (int nc = 0; nc < N * C; nc++) {
        const float *xc = x + (size_t)nc * H * W;
        for (int oh = 0; oh < OH; oh++)
            for (int ow = 0; ow < OW; ow++) {
                float best = -INFINITY;
                int at = -1;
                for (int i = 0; i < k; i++) {
                    int ih = oh * s - p + i;
                    if (ih < 0 || ih >= H) continue;
                    for (int j = 0; j < k; j++) {
                        int iw = ow * s - p + j;
                        if (iw < 0 || iw >= W) continue;
                        float v = xc[ih * W + iw];
                        if (at < 0 || v > best || isnan(v)) { best = v; at = ih * W + iw; }
                    }
                }
                y[(size_t)nc * OH * OW + oh * OW + ow] = best;
                arg[(size_t)nc * OH * OW + oh * OW + ow] = at;
            }
    }
}
void maxpool_backward(const int32_t *arg, const float *dy, float *dx, int N, int C, int H, int W, int OH, int OW) {
#pragma omp parallel for schedule(static)
    for (int nc = 0; nc < N * C; nc++)
        for (int q = 0; q < OH * OW; q++)
            dx[(size_t)nc * H * W + arg[(size_t)nc * OH * OW + q]] += dy[(size_t)nc * OH * OW + q];
}

int embedding_forward(const float *idx, const float *w, float *y, size_t M, int num, int D, size_t *bad) {
    for (size_t m = 0; m < M; m++) {
        float v = idx[m];
        if (!(v >= 0.0f && v < (float)num) || v != floorf(v)) { *bad = m; return -1; }
        memcpy(y + m * D, w + (size_t)v * D, sizeof(float) * D);
    }
    return 0;
}
void embedding_backward(const float *idx, const float *dy, float *dw, size_t M, int D) {
    for (size_t m = 0; m < M; m++) {
        float *o = dw + (size_t)idx[m] * D;
        for (int d = 0; d < D; d++) o[d] += dy[m * D + d];
    }
}

void transpose_forward(const float *x, float *y, int N, int A, int B) {
    for (int n = 0; n < N; n++) {
        const float *xs = x + (size_t)n * A * B;
        float *ys = y + (size_t)n * A * B;
        for (int a = 0; a < A; a++)
            for (int b = 0; b < B; b++) ys[(size_t)b * A + a] = xs[(size_t)a * B + b];
    }
}
void transpose_backward(const float *dy, float *dx, int N, int A, int B) {
    for (int n = 0; n < N; n++) {
        const float *ds = dy + (size_t)n * A * B;
        float *dxs = dx + (size_t)n * A * B;
        for (int a = 0; a < A; a++)
            for (int b = 0; b < B; b++) dxs[(size_t)a * B + b] += ds[(size_t)b * A + a];
    }
}

int mean_time_forward(const float *x, const float *len, float *y, int N, int T, int H, int *bad) {
    for (int n = 0; n < N; n++) {
        float lf = len ? len[n] : (float)T;
        if (!(lf >= 1.0f && lf <= (float)T) || lf != floorf(lf)) { *bad = n; return -1; }
        int L = (int)lf;
        float *o = y + (size_t)n * H;
        memset(o, 0, sizeof(float) * H);
        for (int t = 0; t < L; t++)
            for (int h = 0; h < H; h++) o[h] += x[((size_t)n * T + t) * H + h];
        for (int h = 0; h < H; h++) o[h] /= (float)L;
    }
    return 0;
}
void mean_time_backward(const float *len, const float *dy, float *dx, int N, int T, int H) {
    for (int n = 0; n < N; n++) {
        int L = len ? (int)len[n] : T;
        for (int t = 0; t < L; t++)
            for (int h = 0; h < H; h++) dx[((size_t)n * T + t) * H + h] += dy[(size_t)n * H + h] / (float)L;
    }
}
