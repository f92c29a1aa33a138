/* Single-layer LSTM, batch_first, PyTorch gate order (i,f,g,o):
     a_t = x_t W_ih^T + b_ih + h_{t-1} W_hh^T + b_hh;  i,f,o = sigmoid, g = tanh
     c_t = f c_{t-1} + i g;  h_t = o tanh(c_t);  h_{-1} = c_{-1} = 0.
   The input projection is one sgemm over all N*T rows; the recurrence one sgemm per step with a strided h. */
#include <math.h>
#include <string.h>
#include "nn/nn.h"

static inline float sigm(float v) { return v >= 0.0f ? 1.0f / (1.0f + expf(-v)) : expf(v) / (1.0f + expf(v)); }

void lstm_forward(const float *x, const float *wih, const float *whh, const float *bih, const float *bhh, float *h,
                  float *gates, float *c, int N, int T, int IN, int H) {
    const int G = 4 * H;
    gemm(0, 1, N * T, G, IN, 1.0f, x, IN, wih, IN, 0.0f, gates, G); /* (NT,IN)(IN,4H) */
    for (size_t r = 0; r < (size_t)N * T; r++)
        for (int k = 0; k < G; k++) gates[r * G + k] += bih[k] + bhh[k];
    for (int t = 0; t < T; t++) {
        float *gt = gates + (size_t)t * G; /* row n at gt + n*T*G */
        if (t > 0) gemm(0, 1, N, G, H, 1.0f, h + (size_t)(t - 1) * H, T * H, whh, H, 1.0f, gt, T * G);
        for (int n = 0; n < N; n++) {
            float *a = gt + (size_t)n * T * G;
            const float *cp = t > 0 ? c + ((size_t)n * T + t - 1) * H : NULL;
            float *cc = c + ((size_t)n * T + t) * H, *hh = h + ((size_t)n * T + t) * H;
            for (int k = 0; k < H; k++) {
                float i = sigm(a[k]), f = sigm(a[H + k]), g = tanhf(a[2 * H + k]), o = sigm(a[3 * H + k]);
                a[k] = i; a[H + k] = f; a[2 * H + k] = g; a[3 * H + k] = o;
                cc[k] = (cp ? f * cp[k] : 0.0f) + i * g;
                hh[k] = o * tanhf(cc[k]);
            }
        }
    }
}

void lstm_backward(const float *x, const float *wih, const float *whh, const float *h, const float *gates,
                   const float *c, const float *dh_out, float *dx, float *dwih, float *dwhh, float *dbih, float *dbhh,
                   float *work, int N, int T, int IN, int H) {
    const int G = 4 * H;
    float *dA = work;                            /* (N,T,4H) pre-activation gradients */
    float *dh = dA + (size_t)N * T * G;          /* (N,H) gradient flowing into h_t from step t+1 */
    float *dc = dh + (size_t)N * H;              /* (N,H) */
    memset(dh, 0, sizeof(float) * 2 * (size_t)N * H);
    for (int t = T - 1; t >= 0; t--) {
        for (int n = 0; n < N; n++) {
            const float *a = gates + ((size_t)n * T + t) * G;
            const float *cc = c + ((size_t)n * T + t) * H;
            const float *cp = t > 0 ? c + ((size_t)n * T + t - 1) * H : NULL;
            const float *go = dh_out + ((size_t)n * T + t) * H;
            float *d = dA + ((size_t)n * T + t) * G, *dhn = dh + (size_t)n * H, *dcn = dc + (size_t)n * H;
            for (int k = 0; k < H; k++) {
                float i = a[k], f = a[H + k], g = a[2 * H + k], o = a[3 * H + k];
                float tc = tanhf(cc[k]), dhk = go[k] + dhn[k];
                float dck = dcn[k] + dhk * o * (1.0f - tc * tc);
                d[k] = dck * g * i * (1.0f - i);
                d[H + k] = (cp ? dck * cp[k] : 0.0f) * f * (1.0f - f);
                d[2 * H + k] = dck * i * (1.0f - g * g);
                d[3 * H + k] = dhk * tc * o * (1.0f - o);
                dcn[k] = dck * f;
            }
        }
        /* dh_{t-1} = dA_t W_hh */
        if (t > 0) gemm(0, 0, N, H, G, 1.0f, dA + (size_t)t * G, T * G, whh, H, 0.0f, dh, H);
    }
    if (dwhh)
        for (int t = 1; t < T; t++) /* dW_hh += dA_t^T h_{t-1} */
            gemm(1, 0, G, H, N, 1.0f, dA + (size_t)t * G, T * G, h + (size_t)(t - 1) * H, T * H, 1.0f, dwhh, H);
    if (dwih) gemm(1, 0, G, IN, N * T, 1.0f, dA, G, x, IN, 1.0f, dwih, IN);
    if (dx) gemm(0, 0, N * T, IN, G, 1.0f, dA, G, wih, IN, 1.0f, dx, IN);
    for (int k = 0; k < G; k++) {
        double acc = 0.0;
        for (size_t r = 0; r < (size_t)N * T; r++) acc += dA[r * G + k];
        if (dbih) dbih[k] += (float)acc;
        if (dbhh) dbhh[k] += (float)acc;
    }
}
