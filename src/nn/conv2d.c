/* Conv2d (PyTorch layout: w (OC,C,KH,KW)) as im2col + one sgemm over the whole batch. */
#include <string.h>
#include "nn/nn.h"

static void bias_grad(const float *dy, float *db, int N, int C, size_t P) {
#pragma omp parallel for schedule(static)
    for (int c = 0; c < C; c++) {
        double acc = 0.0;
        for (int n = 0; n < N; n++) {
            const float *d = dy + ((size_t)n * C + c) * P;
            for (size_t q = 0; q < P; q++) acc += d[q];
        }
        db[c] += (float)acc;
    }
}

static void add_bias(float *y, const float *b, int N, int C, size_t P) {
#pragma omp parallel for schedule(static)
    for (int c = 0; c < C; c++)
        for (int n = 0; n < N; n++) {
            float *d = y + ((size_t)n * C + c) * P;
            for (size_t q = 0; q < P; q++) d[q] += b[c];
        }
}

// x (N,C,H,W) -> y (N,OC,OH,OW)
void conv2d_forward(const conv_geom_t *g, const float *x, const float *w, const float *b, float *y, float *col,
                    float *tmp) {
    const int CKK = g->C * g->KH * g->KW, P = g->OH * g->OW, NP = g->N * P;
    im2col(x, g->N, g->C, g->H, g->W, g->KH, g->KW, g->s, g->ph, g->pw, g->OH, g->OW, col);
    gemm(0, 0, g->OC, NP, CKK, 1.0f, w, CKK, col, NP, 0.0f, tmp, NP); /* (OC,CKK)(CKK,NP) */
    cnp_to_nchw_add(tmp, g->N, g->OC, P, y, 0);
    if (b) add_bias(y, b, g->N, g->OC, P);
}

void conv2d_backward(const conv_geom_t *g, const float *x, const float *w, const float *dy, float *dx, float *dw,
                     float *db, float *col, float *tmp) {
    const int CKK = g->C * g->KH * g->KW, P = g->OH * g->OW, NP = g->N * P;
    if (db) bias_grad(dy, db, g->N, g->OC, P);
    if (!dw && !dx) return;
    nchw_to_cnp(dy, g->N, g->OC, P, tmp); /* dY' (OC,NP) */
    if (dw) {
        im2col(x, g->N, g->C, g->H, g->W, g->KH, g->KW, g->s, g->ph, g->pw, g->OH, g->OW, col);
        gemm(0, 1, g->OC, CKK, NP, 1.0f, tmp, NP, col, NP, 1.0f, dw, CKK); /* dW += dY' col^T */
    }
    if (dx) {
        gemm(1, 0, CKK, NP, g->OC, 1.0f, w, CKK, tmp, NP, 0.0f, col, NP); /* dcol = W^T dY' */
        col2im(col, g->N, g->C, g->H, g->W, g->KH, g->KW, g->s, g->ph, g->pw, g->OH, g->OW, dx);
    }
}

/* ConvTranspose2d (PyTorch layout: w (C,OC,KH,KW)): the adjoint of a conv from (OC,OH,OW) to (C,H,W). */
void convt2d_forward(const conv_geom_t *g, const float *x, const float *w, const float *b, float *y, float *col,
                     float *tmp) {
    const int OKK = g->OC * g->KH * g->KW, P = g->H * g->W, NP = g->N * P;
    nchw_to_cnp(x, g->N, g->C, P, tmp);                                /* X' (C,NP) */
    gemm(1, 0, OKK, NP, g->C, 1.0f, w, OKK, tmp, NP, 0.0f, col, NP);   /* col = W^T X' */
    memset(y, 0, sizeof(float) * (size_t)g->N * g->OC * g->OH * g->OW);
    col2im(col, g->N, g->OC, g->OH, g->OW, g->KH, g->KW, g->s, g->ph, g->pw, g->H, g->W, y);
    if (b) add_bias(y, b, g->N, g->OC, (size_t)g->OH * g->OW);
}

void convt2d_backward(const conv_geom_t *g, const float *x, const float *w, const float *dy, float *dx, float *dw,
                      float *db, float *col, float *tmp) {
    const int OKK = g->OC * g->KH * g->KW, P = g->H * g->W, NP = g->N * P;
    if (db) bias_grad(dy, db, g->N, g->OC, (size_t)g->OH * g->OW);
    if (!dw && !dx) return;
    im2col(dy, g->N, g->OC, g->OH, g->OW, g->KH, g->KW, g->s, g->ph, g->pw, g->H, g->W, col); /* (OKK,NP) */
    if (dx) {
        gemm(0, 0, g->C, NP, OKK, 1.0f, w, OKK, col, NP, 0.0f, tmp, NP); /* dX' = W col */
        cnp_to_nchw_add(tmp, g->N, g->C, P, dx, 1);
    }
    if (dw) {
        nchw_to_cnp(x, g->N, g->C, P, tmp);
        gemm(0, 1, g->C, OKK, NP, 1.0f, tmp, NP, col, NP, 1.0f, dw, OKK); /* dW += X' col^T */
    }
}
