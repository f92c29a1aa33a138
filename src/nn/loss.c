/* Losses, mean over their elements. Each returns the loss and ADDS scale * dloss/dx into grad (if not NULL).
   Accumulation in double and serial, so the value does not depend on threads. */
#include <math.h>
#include "ganc.h"

/* BCE on logits: l = max(x,0) - x t + log(1 + exp(-|x|)), stable for any x (PyTorch's formulation). */
float ganc_bce_logits(const float *x, const float *target, float t0, size_t n, float *grad, float scale) {
    double acc = 0.0;
    const float k = scale / (float)n;
    for (size_t i = 0; i < n; i++) {
        float v = x[i], t = target ? target[i] : t0;
        acc += (double)(v > 0.0f ? v : 0.0f) - (double)v * t + log1p(exp(-fabs((double)v)));
        if (grad) {
            float s = v >= 0.0f ? 1.0f / (1.0f + expf(-v)) : expf(v) / (1.0f + expf(v));
            grad[i] += k * (s - t);
        }
    }
    return (float)(acc / (double)n);
}

float ganc_mean_sigmoid(const float *logits, size_t n) {
    double s = 0;
    for (size_t i = 0; i < n; i++) s += 1.0 / (1.0 + exp(-(double)logits[i]));
    return (float)(s / (double)n);
}

float ganc_mse(const float *x, const float *target, size_t n, float *grad, float scale) {
    double acc = 0.0;
    const float k = 2.0f * scale / (float)n;
    for (size_t i = 0; i < n; i++) {
        float d = x[i] - target[i];
        acc += (double)d * d;
        if (grad) grad[i] += k * d;
    }
    return (float)(acc / (double)n);
}

float ganc_l1(const float *x, const float *target, size_t n, float *grad, float scale) {
    double acc = 0.0;
    const float k = scale / (float)n;
    for (size_t i = 0; i < n; i++) {
        float d = x[i] - target[i];
        acc += fabs((double)d);
        if (grad) grad[i] += d > 0.0f ? k : (d < 0.0f ? -k : 0.0f); /* sign(0) = 0, as PyTorch */
    }
    return (float)(acc / (double)n);
}

float ganc_softmax_xent(const float *logits, const int *labels, int n, int classes, float *grad, float scale) {
    double acc = 0.0;
    const float k = scale / (float)n;
    for (int i = 0; i < n; i++) {
        const float *z = logits + (size_t)i * classes;
        float mx = z[0];
        for (int c = 1; c < classes; c++) mx = z[c] > mx ? z[c] : mx;
        double se = 0.0;
        for (int c = 0; c < classes; c++) se += exp((double)z[c] - mx);
        double lse = mx + log(se);
        acc += lse - z[labels[i]];
        if (grad)
            for (int c = 0; c < classes; c++)
                grad[(size_t)i * classes + c] += k * ((float)exp((double)z[c] - lse) - (c == labels[i] ? 1.0f : 0.0f));
    }
    return (float)(acc / (double)n);
}

void ganc_softmax_rows(const float *logits, int n, int classes, float *probs) {
    for (int r = 0; r < n; r++) {
        const float *z = logits + (size_t)r * classes;
        float *p = probs + (size_t)r * classes, mx = z[0];
        for (int c = 1; c < classes; c++) mx = z[c] > mx ? z[c] : mx;
        double s = 0;
        for (int c = 0; c < classes; c++) s += exp((double)z[c] - mx);
        for (int c = 0; c < classes; c++) p[c] = (float)(exp((double)z[c] - mx) / s);
    }
}
