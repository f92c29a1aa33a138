/* Pointwise activations. ReLU/Tanh/Sigmoid/LeakyReLU backward read the output y (for LeakyReLU with slope > 0,
   y > 0 exactly when x > 0), PReLU the input x. Backward adds into dx, except when dx == dy (an in-place node,
   whose input has no other consumer): then the gradient is scaled in place. */
#include <math.h>
#include "nn/nn.h"

void relu_forward(const float *x, float *y, size_t n) {
#pragma omp parallel for schedule(static)
    for (size_t i = 0; i < n; i++) y[i] = x[i] > 0.0f ? x[i] : 0.0f;
}
void relu_backward(const float *y, const float *dy, float *dx, size_t n) {
    if (dx == dy) {
#pragma omp parallel for schedule(static)
        for (size_t i = 0; i < n; i++) dx[i] = y[i] > 0.0f ? dx[i] : 0.0f;
        return;
    }
#pragma omp parallel for schedule(static)
    for (size_t i = 0; i < n; i++) dx[i] += y[i] > 0.0f ? dy[i] : 0.0f;
}

void leaky_relu_forward(const float *x, float *y, size_t n, float a) {
#pragma omp parallel for schedule(static)
    for (size_t i = 0; i < n; i++) y[i] = x[i] > 0.0f ? x[i] : a * x[i];
}
void leaky_relu_backward(const float *y, const float *dy, float *dx, size_t n, float a) {
    if (dx == dy) {
#pragma omp parallel for schedule(static)
        for (size_t i = 0; i < n; i++) dx[i] = y[i] > 0.0f ? dx[i] : a * dx[i];
        return;
    }
#pragma omp parallel for schedule(static)
    for (size_t i = 0; i < n; i++) dx[i] += y[i] > 0.0f ? dy[i] : a * dy[i];
}

void tanh_forward(const float *x, float *y, size_t n) {
#pragma omp parallel for schedule(static)
    for (size_t i = 0; i < n; i++) y[i] = tanhf(x[i]);
}
void tanh_backward(const float *y, const float *dy, float *dx, size_t n) {
    if (dx == dy) {
#pragma omp parallel for schedule(static)
        for (size_t i = 0; i < n; i++) dx[i] = dx[i] * (1.0f - y[i] * y[i]);
        return;
    }
#pragma omp parallel for schedule(static)
    for (size_t i = 0; i < n; i++) dx[i] += dy[i] * (1.0f - y[i] * y[i]);
}

void sigmoid_forward(const float *x, float *y, size_t n) {
#pragma omp parallel for schedule(static)
    for (size_t i = 0; i < n; i++) {
        float v = x[i];
        y[i] = v >= 0.0f ? 1.0f / (1.0f + expf(-v)) : expf(v) / (1.0f + expf(v));
    }
}
void sigmoid_backward(const float *y, const float *dy, float *dx, size_t n) {
    if (dx == dy) {
#pragma omp parallel for schedule(static)
        for (size_t i = 0; i < n; i++) dx[i] = dx[i] * y[i] * (1.0f - y[i]);
        return;
    }
#pragma omp parallel for schedule(static)
    for (size_t i = 0; i < n; i++) dx[i] += dy[i] * y[i] * (1.0f - y[i]);
}

void prelu_forward(const float *x, const float *w, float *y, int N, int C, int S, int nw) {
#pragma omp parallel for schedule(static)
    for (int nc = 0; nc < N * C; nc++) {
        const float a = w[nw == 1 ? 0 : nc % C];
        const float *xc = x + (size_t)nc * S;
        float *yc = y + (size_t)nc * S;
        for (int q = 0; q < S; q++) yc[q] = xc[q] > 0.0f ? xc[q] : a * xc[q];
    }
}

/* dx += dy where x > 0, a dy elsewhere; the slope's gradient sums dy x where x <= 0 over 16 float lanes per plane,
   then in double, channel by channel and plane by plane: one order for any thread count. */
static double prelu_channel(const float *x, const float *dy, float *dx, int N, int C, int S, int c, float a) {
    double acc = 0.0;
    for (int n = 0; n < N; n++) {
        const float *xc = x + ((size_t)n * C + c) * S, *dc = dy + ((size_t)n * C + c) * S;
        float *o = dx ? dx + ((size_t)n * C + c) * S : NULL;
        float lane[16] = {0};
        int q = 0;
        for (; q + 16 <= S; q += 16)
            for (int t = 0; t < 16; t++) {
                const float xv = xc[q + t], d = dc[q + t];
                lane[t] += xv > 0.0f ? 0.0f : d * xv;
                if (o) o[q + t] += xv > 0.0f ? d : a * d;
            }
        for (; q < S; q++) {
            const float xv = xc[q], d = dc[q];
            lane[0] += xv > 0.0f ? 0.0f : d * xv;
            if (o) o[q] += xv > 0.0f ? d : a * d;
        }
        for (int t = 0; t < 16; t++) acc += lane[t];
    }
    return acc;
}

void prelu_backward(const float *x, const float *w, const float *dy, float *dx, float *dw, int N, int C, int S,
                    int nw) {
    enum { BLK = 256 };
    double part[BLK], total = 0.0;
    for (int c0 = 0; c0 < C; c0 += BLK) {
        const int nb = C - c0 < BLK ? C - c0 : BLK;
#pragma omp parallel for schedule(static)
        for (int k = 0; k < nb; k++)
            part[k] = prelu_channel(x, dy, dx, N, C, S, c0 + k, w[nw == 1 ? 0 : c0 + k]);
        if (!dw) continue;
        for (int k = 0; k < nb; k++) {
            if (nw == 1) total += part[k];
            else dw[c0 + k] += (float)part[k];
        }
    }
    if (dw && nw == 1) dw[0] += (float)total;
}

void dropout_mask(float *mask, size_t n, float p, ganc_rng_t *rng) {
    /* u < p with u = k 2^-24 is k < p 2^24, both sides exact: the mask of one ganc_rng_uniform per element */
    const float keep = 1.0f / (1.0f - p), thr = p * 16777216.0f;
    rng_fill_u24(rng, mask, n); /* serial: one stream, whatever the thread count */
#pragma omp parallel for schedule(static)
    for (size_t i = 0; i < n; i++) mask[i] = mask[i] < thr ? 0.0f : keep;
}
void dropout_apply(const float *x, const float *mask, float *y, size_t n) {
#pragma omp parallel for schedule(static)
    for (size_t i = 0; i < n; i++) y[i] = x[i] * mask[i];
}
void dropout_backward(const float *mask, const float *dy, float *dx, size_t n) {
#pragma omp parallel for schedule(static)
    for (size_t i = 0; i < n; i++) dx[i] += dy[i] * mask[i];
}

void maxout_forward(const float *x, float *y, int32_t *arg, size_t M, int F, int k) {
    for (size_t m = 0; m < M; m++)
        for (int f = 0; f < F; f++) {
            const float *g = x + (m * F + f) * k;
            int best = 0;
            for (int j = 1; j < k; j++)
                if (g[j] > g[best]) best = j;
            y[m * F + f] = g[best];
            arg[m * F + f] = best;
        }
}
void maxout_backward(const int32_t *arg, const float *dy, float *dx, size_t M, int F, int k) {
    for (size_t i = 0; i < M * F; i++) dx[i * k + arg[i]] += dy[i];
}
