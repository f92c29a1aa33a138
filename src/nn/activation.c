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
    for (int n = 0; n < N; n++)
        for (int c = 0; c < C; c++) {
            float a = w[nw == 1 ? 0 : c];
            const float *xc = x + ((size_t)n * C + c) * S;
            float *yc = y + ((size_t)n * C + c) * S;
            for (int q = 0; q < S; q++) yc[q] = xc[q] > 0.0f ? xc[q] : a * xc[q];
        }
}
void prelu_backward(const float *x, const float *w, const float *dy, float *dx, float *dw, int N, int C, int S,
                    int nw) {
    for (int c = 0; c < C; c++) {
        float a = w[nw == 1 ? 0 : c];
        double acc = 0.0;
        for (int n = 0; n < N; n++) {
            const float *xc = x + ((size_t)n * C + c) * S, *dc = dy + ((size_t)n * C + c) * S;
            float *o = dx ? dx + ((size_t)n * C + c) * S : NULL;
            for (int q = 0; q < S; q++) {
                if (xc[q] > 0.0f) { if (o) o[q] += dc[q]; }
                else { if (o) o[q] += a * dc[q]; acc += (double)dc[q] * xc[q]; }
            }
        }
        if (dw) dw[nw == 1 ? 0 : c] += (float)acc;
    }
}

void dropout_mask(float *mask, size_t n, float p, ganc_rng_t *rng) {
    float keep = 1.0f / (1.0f - p);
    for (size_t i = 0; i < n; i++) mask[i] = ganc_rng_uniform(rng) < p ? 0.0f : keep; /* serial: deterministic */
}
void dropout_apply(const float *x, const float *mask, float *y, size_t n) {
    for (size_t i = 0; i < n; i++) y[i] = x[i] * mask[i];
}
void dropout_backward(const float *mask, const float *dy, float *dx, size_t n) {
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
