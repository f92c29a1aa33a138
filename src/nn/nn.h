/* Internal: layer kernels. Each layer is a forward/backward pair of plain functions over caller-owned buffers;
   backward ADDS into gradient buffers (dx, dw, db), so a tensor used twice receives two contributions.
   A NULL gradient pointer means "not needed" and skips that work. Shapes are in the comments: (N,C,H,W). */
#ifndef GANC_NN_H
#define GANC_NN_H
#include <stddef.h>
#include <stdint.h>
#include "ganc.h"

/* C = alpha * op(A) op(B) + beta * C, row-major, via CBLAS. */
/* the threads an OpenMP region started here would run on (1 inside one) */
int par_threads(void);
void par_zero(float *p, size_t n);                     /* memset to 0, split among the threads when large */
void par_copy(float *dst, const float *src, size_t n); /* memcpy, likewise */
void gemm(int ta, int tb, int M, int N, int K, float alpha, const float *A, int lda, const float *B, int ldb,
          float beta, float *C, int ldc);

/* ow in [lo,hi) maps to an input column ow*s - p + j inside [0,W) */
static inline void conv_valid_range(int W, int OW, int s, int p, int j, int *lo, int *hi) {
    int a = p - j, b = W + p - j; /* need a <= ow*s < b */
    int l = a <= 0 ? 0 : (a + s - 1) / s, h = b <= 0 ? 0 : (b + s - 1) / s;
    *lo = l;
    *hi = h < OW ? h : OW;
    if (*hi < *lo) *hi = *lo;
}
/* Batched im2col: col[(c*KH+i)*KW+j][n*OH*OW + oh*OW + ow] = x[n][c][oh*s-ph+i][ow*s-pw+j] (0 outside). */
void im2col(const float *x, int N, int C, int H, int W, int KH, int KW, int s, int ph, int pw, int OH, int OW,
            float *col);
/* Adjoint of im2col: x += scatter(col). */
void col2im(const float *col, int N, int C, int H, int W, int KH, int KW, int s, int ph, int pw, int OH, int OW,
            float *x);
/* out (rows, cols) = rows r0.. and columns c0.. of plane (H,W), zero outside it (padding) */
void copy_padded(const float *plane, int H, int W, int r0, int c0, int rows, int cols, float *out);
/* (N,C,P) <-> (C,N*P) */
void nchw_to_cnp(const float *x, int N, int C, int P, float *y);
void cnp_to_nchw_add(const float *y, int N, int C, int P, float *x, int accumulate);

typedef struct {
    int N, C, H, W, OC, KH, KW, s, ph, pw, OH, OW;
    size_t ws; /* floats of the scratch `col` the planner gave this layer itself (conv_dft, Winograd), else 0:
                  C*KH*KW*N*OH*OW */
    int cl_in, cl_out; /* x / y (and dx / dy) held channels-last, (N,H,W,C), not (N,C,H,W): conv_cl.c */
} conv_geom_t;
/* conv2d: x (N,C,H,W), w (OC,C,KH,KW), b (OC) -> y (N,OC,OH,OW). col: C*KH*KW*N*OH*OW, tmp: OC*N*OH*OW floats. */
void conv2d_forward(const conv_geom_t *g, const float *x, const float *w, const float *b, float *y, float *col,
                    float *tmp);
void conv2d_backward(const conv_geom_t *g, const float *x, const float *w, const float *dy, float *dx, float *dw,
                     float *db, float *col, float *tmp);
/* A conv2d with a channels-last side (cl_in or cl_out, more than one channel there; planner.c chooses): Winograd
   reads and writes that layout itself, every other geometry goes through im2row and one sgemm (conv_cl.c).
   conv_cl_suits: whether that is worth it for this layer's input (side 0) or output (side 1); conv_cl_floats: the
   scratch `col` it needs (0: the Winograd workspace, conv_winograd_floats). */
int conv_cl_suits(const conv_geom_t *g, int side);
size_t conv_cl_floats(const conv_geom_t *g);
void conv_cl_forward(const conv_geom_t *g, const float *x, const float *w, const float *b, float *y, float *col);
void conv_cl_backward(const conv_geom_t *g, const float *x, const float *w, const float *dy, float *dx, float *dw,
                      float *col); /* the bias gradient: conv2d_backward */
/* 0 when no pass of this conv2d touches col or tmp (few outputs; a kernel that covers the whole input) */
int conv2d_uses_scratch(const conv_geom_t *g);
/* Stride-1 convolution with OC <= 4 or a kernel of 5x5 or more, direct in register tiles (conv_direct.c): when
   conv_direct_ok, the forward (y =) and the input gradient (dx +=), with ws (or NULL) as room to pad the input whole
   when it is large enough; when conv_direct_dw_ok (OC <= 4), the weight gradient (dw +=). */
int conv_direct_ok(const conv_geom_t *g);
int conv_direct_dw_ok(const conv_geom_t *g);
void conv_direct_forward(const conv_geom_t *g, const float *x, const float *w, float *y, float *ws, size_t ws_floats);
void conv_direct_dx(const conv_geom_t *g, const float *w, const float *dy, float *dx, float *ws, size_t ws_floats);
void conv_direct_dw(const conv_geom_t *g, const float *x, const float *dy, float *dw);
/* the weight gradient of a stride-1 layer of many outputs from up to 4 channels, directly (dw +=): the workspace it
   needs (0: not this path), and the pass */
size_t conv_direct_dw_wide_floats(const conv_geom_t *g);
void conv_direct_dw_wide(const conv_geom_t *g, const float *x, const float *dy, float *dw, float *ws);
/* sum of p[0..S) in 16 float lanes, added into double (batchnorm.c): vectorised, in one fixed order */
double plane_sum(const float *p, size_t S);
double plane_dot(const float *a, const float *b, size_t S); /* sum of a[q] b[q], likewise */
/* 3x3 stride-1 convolution by Winograd F(2x2,3x3) or F(4x4,3x3) (conv_winograd.c) when conv_winograd_ok with
   ws_floats of workspace: the forward (y =), the input gradient (dx +=) and the weight gradient (dw +=).
   conv_winograd_tile: the output tile side m (2 or 4) it takes for OH x OW outputs. */
int conv_winograd_tile(int OH, int OW);
int conv_winograd_ok(const conv_geom_t *g, size_t ws_floats);
void conv_winograd_forward(const conv_geom_t *g, const float *x, const float *w, const float *b, float *y, float *ws,
                           size_t ws_floats); /* b: the bias, or NULL */
void conv_winograd_dx(const conv_geom_t *g, const float *w, const float *dy, float *dx, float *ws, size_t ws_floats);
/* dw += the weight gradient by Winograd; nonzero (nothing done) when ws_floats is too small (conv_winograd_dw_ok) */
int conv_winograd_dw_ok(const conv_geom_t *g, size_t ws_floats);
/* the workspace with which Winograd runs all three passes on every thread (0: not a Winograd layer) */
size_t conv_winograd_floats(const conv_geom_t *g);
int conv_winograd_dw(const conv_geom_t *g, const float *x, const float *dy, float *dw, float *ws, size_t ws_floats);
/* conv_s2d.c's: the forward (no bias) and the weight gradient with x the (N, C/4, 2H, 2W) whose four phases are the
   C channels of g's (H x W) input, read as such */
void conv_winograd_forward_phases(const conv_geom_t *g, const float *x, const float *w, float *y, float *ws,
                                  size_t ws_floats);
int conv_winograd_dw_phases(const conv_geom_t *g, const float *x, const float *dy, float *dw, float *ws,
                            size_t ws_floats);
/* and the input gradient added into dx held as that (N, C/4, 2H, 2W) */
void conv_winograd_dx_phases(const conv_geom_t *g, const float *w, const float *dy, float *dx, float *ws,
                             size_t ws_floats);
/* 5x5 stride-2 padding-2 convolution over even planes as a 3x3 one over the input's four phases, by Winograd
   (conv_s2d.c), when conv_s2d_ok with ws_floats of workspace: the forward (y =) and the gradients (dx +=, dw +=) */
int conv_s2d_ok(const conv_geom_t *g, size_t ws_floats);
size_t conv_s2d_floats(const conv_geom_t *g); /* as conv_winograd_floats */
void conv_s2d_forward(const conv_geom_t *g, const float *x, const float *w, float *y, float *ws, size_t ws_floats);
void conv_s2d_backward(const conv_geom_t *g, const float *x, const float *w, const float *dy, float *dx, float *dw,
                       float *ws, size_t ws_floats);
/* Stride-1 convolution through the DFT for large kernels between 8 or more channels (conv_dft.c):
   conv_dft_floats: the workspace it needs with nth threads (0: not this path); conv_dft_threads: the threads that
   ws_floats lets it use (0: not this path). The forward (y =) and the gradients (dx +=, dw +=; either NULL). */
size_t conv_dft_floats(const conv_geom_t *g, int nth);
int conv_dft_threads(const conv_geom_t *g, size_t ws_floats);
void conv_dft_forward(const conv_geom_t *g, const float *x, const float *w, float *y, float *ws, size_t ws_floats);
void conv_dft_backward(const conv_geom_t *g, const float *x, const float *w, const float *dy, float *dx, float *dw,
                       float *ws, size_t ws_floats);
/* conv_transpose2d: x (N,C,H,W), w (C,OC,KH,KW), b (OC) -> y (N,OC,OH,OW), the adjoint of conv2d from (OC,OH,OW)
   to (C,H,W). col: OC*KH*KW*N*H*W, tmp: C*N*H*W floats. */
void convt2d_forward(const conv_geom_t *g, const float *x, const float *w, const float *b, float *y, float *col,
                     float *tmp);
void convt2d_backward(const conv_geom_t *g, const float *x, const float *w, const float *dy, float *dx, float *dw,
                      float *db, float *col, float *tmp);

/* linear: x (M,IN), w (O,IN), b (O) -> y (M,O) */
void linear_forward(const float *x, const float *w, const float *b, float *y, int M, int IN, int O);
void linear_backward(const float *x, const float *w, const float *dy, float *dx, float *dw, float *db, int M, int IN,
                     int O);

/* batchnorm over x (N,C,S). Training: stats[0..C) = batch mean, stats[C..2C) = 1/sqrt(var+eps); running stats
   updated when rmean != NULL. Inference: normalise with rmean/rvar. */
void batchnorm_forward_train(const float *x, const float *gamma, const float *beta, float *y, int N, int C, int S,
                             float eps, float momentum, float *stats, float *rmean, float *rvar);
/* the same with the statistics of the global batch of a data-parallel step: per-channel sums go through reduce
   (a sum over ranks); work holds 2C+1 doubles */
void batchnorm_forward_train_sync(const float *x, const float *gamma, const float *beta, float *y, int N, int C, int S,
                                  float eps, float momentum, float *stats, float *rmean, float *rvar,
                                  int (*reduce)(void *, double *, size_t), void *ctx, double *work);
void batchnorm_backward_train_sync(const float *x, const float *gamma, const float *dy, float *dx, float *dgamma,
                                   float *dbeta, int N, int C, int S, const float *stats,
                                   int (*reduce)(void *, double *, size_t), void *ctx, double *work);
void batchnorm_forward_eval(const float *x, const float *gamma, const float *beta, float *y, int N, int C, int S,
                            float eps, const float *rmean, const float *rvar);
void batchnorm_backward_train(const float *x, const float *gamma, const float *dy, float *dx, float *dgamma,
                              float *dbeta, int N, int C, int S, const float *stats);
void batchnorm_backward_eval(const float *x, const float *gamma, const float *dy, float *dx, float *dgamma,
                             float *dbeta, int N, int C, int S, float eps, const float *rmean, const float *rvar);

/* pointwise activations over n elements */
void relu_forward(const float *x, float *y, size_t n);
void relu_backward(const float *y, const float *dy, float *dx, size_t n);
void leaky_relu_forward(const float *x, float *y, size_t n, float a);
void leaky_relu_backward(const float *y, const float *dy, float *dx, size_t n, float a);
void tanh_forward(const float *x, float *y, size_t n);
void tanh_backward(const float *y, const float *dy, float *dx, size_t n);
void sigmoid_forward(const float *x, float *y, size_t n);
void sigmoid_backward(const float *y, const float *dy, float *dx, size_t n);
/* prelu over (N,C,S); nw = 1 or C weights */
void prelu_forward(const float *x, const float *w, float *y, int N, int C, int S, int nw);
void prelu_backward(const float *x, const float *w, const float *dy, float *dx, float *dw, int N, int C, int S, int nw);
/* dropout: mask[i] in {0, 1/(1-p)} drawn in forward */
void dropout_mask(float *mask, size_t n, float p, ganc_rng_t *rng);
/* (core/rng.c) x[i] = 2^24 times the next ganc_rng_uniform(r), for i < n */
void rng_fill_u24(ganc_rng_t *r, float *x, size_t n);
void dropout_apply(const float *x, const float *mask, float *y, size_t n); /* y = x * mask */
void dropout_backward(const float *mask, const float *dy, float *dx, size_t n);
/* maxout: x (M, F*k) -> y (M, F), arg stores the winning piece */
void maxout_forward(const float *x, float *y, int32_t *arg, size_t M, int F, int k);
void maxout_backward(const int32_t *arg, const float *dy, float *dx, size_t M, int F, int k);
/* concat: a (N,C1,S), b (N,C2,S) or (N,C2) broadcast over S when bcast -> y (N,C1+C2,S) */
void concat_forward(const float *a, const float *b, float *y, int N, int C1, int C2, int S, int bcast);
void concat_backward(const float *dy, float *da, float *db, int N, int C1, int C2, int S, int bcast);
/* pixel shuffle: (N,C*r*r,H,W) -> (N,C,H*r,W*r) */
void pixel_shuffle_forward(const float *x, float *y, int N, int C, int H, int W, int r);
void pixel_shuffle_backward(const float *dy, float *dx, int N, int C, int H, int W, int r);
/* avgpool k x k, stride s, zero padding p (cip: padding counts in the divisor), floor mode: (N,C,H,W) -> (N,C,OH,OW) */
void avgpool_forward(const float *x, float *y, int N, int C, int H, int W, int k, int s, int p, int cip, int OH,
                     int OW);
void avgpool_backward(const float *dy, float *dx, int N, int C, int H, int W, int k, int s, int p, int cip, int OH,
                      int OW);
/* maxpool k x k, stride s, padding p (implicit -inf), floor mode: (N,C,H,W) -> (N,C,OH,OW); arg holds the
   winning input offset within its (H,W) plane (first maximum in scan order, as PyTorch's CPU kernel) */
void maxpool_forward(const float *x, float *y, int32_t *arg, int N, int C, int H, int W, int k, int s, int p, int OH,
                     int OW);
void maxpool_backward(const int32_t *arg, const float *dy, float *dx, int N, int C, int H, int W, int OH, int OW);
/* embedding: idx (M) -> y (M,D); returns -1 (and the offending position in *bad) for an index out of range */
int embedding_forward(const float *idx, const float *w, float *y, size_t M, int num, int D, size_t *bad);
void embedding_backward(const float *idx, const float *dy, float *dw, size_t M, int D);
/* transpose of each sample's (A,B) matrix: x (N,A,B) -> y (N,B,A); backward adds into dx */
void transpose_forward(const float *x, float *y, int N, int A, int B);
void transpose_backward(const float *dy, float *dx, int N, int A, int B);
/* mean over the first len[n] of T steps: x (N,T,H) -> y (N,H) (len NULL: all T); returns -1 (and the sample in *bad)
   for a length that is not an integer in 1..T */
int mean_time_forward(const float *x, const float *len, float *y, int N, int T, int H, int *bad);
void mean_time_backward(const float *len, const float *dy, float *dx, int N, int T, int H);
/* LSTM, batch_first: x (N,T,IN) -> h (N,T,H). gates (N,T,4H) after activation, c (N,T,H); work: N*T*4H + 2*N*H */
void lstm_forward(const float *x, const float *wih, const float *whh, const float *bih, const float *bhh, float *h,
                  float *gates, float *c, int N, int T, int IN, int H);
void lstm_backward(const float *x, const float *wih, const float *whh, const float *h, const float *gates,
                   const float *c, const float *dh_out, float *dx, float *dwih, float *dwhh, float *dbih, float *dbhh,
                   float *work, int N, int T, int IN, int H);
#endif
