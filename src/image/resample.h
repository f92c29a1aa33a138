/* Internal: separable resampling plans (resample.c), shared by ganc_resize, the pyramids, dataset loading,
   Inception's input and the Upsample layer. A plan maps n_in samples to n_out: out[o] = sum_k w[o][k] in[idx[o][k]]. */
#ifndef GANC_RESAMPLE_H
#define GANC_RESAMPLE_H
#include <stddef.h>
#include <stdint.h>

typedef struct {
    int n_in, n_out, taps;
    int32_t *idx; /* n_out * taps */
    double *w;    /* n_out * taps */
} rs_plan_t;

/* bytes of storage a plan needs (0 when the method/sizes are invalid); `scale` is input samples per output sample
   (0: n_in / n_out) */
size_t rs_plan_bytes(int method, int n_in, int n_out, float scale);
/* fill a plan into mem (rs_plan_bytes of it, 8-byte aligned) */
void rs_plan_fill(rs_plan_t *p, int method, int n_in, int n_out, float scale, void *mem);
/* planes of (h,w) -> (oh,ow) through ph (along h) and pw (along w); tmp: planes*h*ow floats.
   adjoint: dx (planes,h,w) += A^T dy (planes,oh,ow) instead (tmp is overwritten). */
void rs_apply(const rs_plan_t *ph, const rs_plan_t *pw, const float *x, int planes, float *tmp, float *y);
void rs_apply_adjoint(const rs_plan_t *ph, const rs_plan_t *pw, const float *dy, int planes, float *tmp, float *dx);
#endif
