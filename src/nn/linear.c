/* Linear (PyTorch layout: w (O,IN)): y = x w^T + b over rows of x (M,IN). */
#include "nn/nn.h"

void linear_forward(const float *x, const float *w, const float *b, float *y, int M, int IN, int O) {
    gemm(0, 1, M, O, IN, 1.0f, x, IN, w, IN, 0.0f, y, O);
    if (b)
        for (int m = 0; m < M; m++)
            for (int o = 0; o < O; o++) y[(size_t)m * O + o] += b[o];
}

void linear_backward(const float *x, const float *w, const float *dy, float *dx, float *dw, float *db, int M, int IN,
                     int O) {
    if (dx) gemm(0, 0, M, IN, O, 1.0f, dy, O, w, IN, 1.0f, dx, IN);  /* dx += dy w */
    if (dw) gemm(1, 0, O, IN, M, 1.0f, dy, O, x, IN, 1.0f, dw, IN);  /* dw += dy^T x */
    if (db)
        for (int o = 0; o < O; o++) {
            double acc = 0.0;
            for (int m = 0; m < M; m++) acc += dy[(size_t)m * O + o];
            db[o] += (float)acc;
        }
}
