/* BatchNorm1d/2d over x (N,C,S), PyTorch's conventions: normalise by the biased batch variance; running_var is
   updated with the unbiased one; running = (1-momentum) running + momentum batch. Each plane's sums in 16 float
   lanes (vectorised), added into double plane by plane; one channel per thread, so the result does not depend on
   scheduling. */
#include <math.h>
#include "nn/nn.h"

enum { LANES = 16 };

static double lanes_total(const float *l) {
    double s = 0.0;
    for (int k = 0; k < LANES; k++) s += l[k];
    return s;
}
/* sum of p[0..S) (also conv2d's bias gradient) */
double plane_sum(const float *p, size_t S) {
    float l[LANES] = {0};
    size_t q = 0;
    for (; q + LANES <= S; q += LANES)
        for (int k = 0; k < LANES; k++) l[k] += p[q + k];
    for (int k = 0; q < S; q++, k++) l[k] += p[q];
    return lanes_total(l);
}
/* sum of a[q] b[q] over q < S (conv2d's 1x1 weight gradient) */
double plane_dot(const float *a, const float *b, size_t S) {
    float l[LANES] = {0};
    size_t q = 0;
    for (; q + LANES <= S; q += LANES)
        for (int k = 0; k < LANES; k++) l[k] += a[q + k] * b[q + k];
    for (int k = 0; q < S; q++, k++) l[k] += a[q] * b[q];
    return lanes_total(l);
}
/* sum of (p - m)^2 */
static double plane_sq(const float *p, int S, float m) {
    float l[LANES] = {0};
    int q = 0;
    for (; q + LANES <= S; q += LANES)
        for (int k = 0; k < LANES; k++) { const float d = p[q + k] - m; l[k] += d * d; }
    for (int k = 0; q < S; q++, k++) { const float d = p[q] - m; l[k] += d * d; }
    return lanes_total(l);
}
/* sums of dy and of dy * (x - m) * inv */
static void plane_grad(const float *x, const float *dy, int S, float m, float inv, double *sdy, double *sdyx) {
    float a[LANES] = {0}, b[LANES] = {0};
    int q = 0;
    for (; q + LANES <= S; q += LANES)
        for (int k = 0; k < LANES; k++) { a[k] += dy[q + k]; b[k] += dy[q + k] * ((x[q + k] - m) * inv); }
    for (int k = 0; q < S; q++, k++) { a[k] += dy[q]; b[k] += dy[q] * ((x[q] - m) * inv); }
    *sdy += lanes_total(a);
    *sdyx += lanes_total(b);
}

/* channel c from its mean and sum of squared deviations over cnt elements: statistics, output, running stats */
static void bn_normalise(const float *x, const float *gamma, const float *beta, float *y, int N, int C, int S, int c,
                         float eps, float momentum, double mean, double sq, double cnt, float *stats, float *rmean,
                         float *rvar) {
    double var = sq / cnt;
    float inv = (float)(1.0 / sqrt(var + eps)), m = (float)mean;
    stats[c] = m;
    stats[C + c] = inv;
    float ga = gamma ? gamma[c] : 1.0f, be = beta ? beta[c] : 0.0f;
    for (int n = 0; n < N; n++) {
        const float *xc = x + ((size_t)n * C + c) * S;
        float *yc = y + ((size_t)n * C + c) * S;
        for (int q = 0; q < S; q++) yc[q] = (xc[q] - m) * inv * ga + be;
    }
    if (rmean) {
        double unb = cnt > 1 ? sq / (cnt - 1) : var;
        rmean[c] = (1.0f - momentum) * rmean[c] + momentum * (float)mean;
        rvar[c] = (1.0f - momentum) * rvar[c] + momentum * (float)unb;
    }
}

void batchnorm_forward_train(const float *x, const float *gamma, const float *beta, float *y, int N, int C, int S,
                             float eps, float momentum, float *stats, float *rmean, float *rvar) {
    const double cnt = (double)N * S;
#pragma omp parallel for schedule(static)
    for (int c = 0; c < C; c++) {
        double sum = 0.0, sq = 0.0;
        for (int n = 0; n < N; n++) sum += plane_sum(x + ((size_t)n * C + c) * S, S);
        double mean = sum / cnt;
        for (int n = 0; n < N; n++) sq += plane_sq(x + ((size_t)n * C + c) * S, S, (float)mean);
        bn_normalise(x, gamma, beta, y, N, C, S, c, eps, momentum, mean, sq, cnt, stats, rmean, rvar);
    }
}

void batchnorm_forward_eval(const float *x, const float *gamma, const float *beta, float *y, int N, int C, int S,
                            float eps, const float *rmean, const float *rvar) {
#pragma omp parallel for schedule(static)
    for (int c = 0; c < C; c++) {
        float inv = 1.0f / sqrtf(rvar[c] + eps), ga = gamma ? gamma[c] : 1.0f, be = beta ? beta[c] : 0.0f;
        float sc = ga * inv, sh = be - rmean[c] * sc;
        for (int n = 0; n < N; n++) {
            const float *xc = x + ((size_t)n * C + c) * S;
            float *yc = y + ((size_t)n * C + c) * S;
            for (int q = 0; q < S; q++) yc[q] = xc[q] * sc + sh;
        }
    }
}

/* channel c's gradient sums: sum(dy) and sum(dy * x_hat), into the parameter gradients when wanted */
static void bn_grad_sums(const float *x, const float *dy, float *dgamma, float *dbeta, int N, int C, int S, int c,
                         const float *stats, double *sdy_out, double *sdyx_out) {
    float m = stats[c], inv = stats[C + c];
    double sdy = 0.0, sdyx = 0.0;
    for (int n = 0; n < N; n++)
        plane_grad(x + ((size_t)n * C + c) * S, dy + ((size_t)n * C + c) * S, S, m, inv, &sdy, &sdyx);
    if (dgamma) dgamma[c] += (float)sdyx;
    if (dbeta) dbeta[c] += (float)sdy;
    *sdy_out = sdy;
    *sdyx_out = sdyx;
}

/* dx of channel c from the (local or global) means of dy and dy * x_hat */
static void bn_dx(const float *x, const float *gamma, const float *dy, float *dx, int N, int C, int S, int c,
                  const float *stats, double mean_dy, double mean_dyx) {
    float m = stats[c], inv = stats[C + c], ga = gamma ? gamma[c] : 1.0f;
    float k = ga * inv, a = (float)mean_dy, bq = (float)mean_dyx;
    for (int n = 0; n < N; n++) {
        const float *xc = x + ((size_t)n * C + c) * S, *dc = dy + ((size_t)n * C + c) * S;
        float *o = dx + ((size_t)n * C + c) * S;
        for (int q = 0; q < S; q++) o[q] += k * (dc[q] - a - (xc[q] - m) * inv * bq);
    }
}

void batchnorm_backward_train(const float *x, const float *gamma, const float *dy, float *dx, float *dgamma,
                              float *dbeta, int N, int C, int S, const float *stats) {
    const double cnt = (double)N * S;
#pragma omp parallel for schedule(static)
    for (int c = 0; c < C; c++) {
        double sdy, sdyx;
        bn_grad_sums(x, dy, dgamma, dbeta, N, C, S, c, stats, &sdy, &sdyx);
        if (dx) bn_dx(x, gamma, dy, dx, N, C, S, c, stats, sdy / cnt, sdyx / cnt);
    }
}

void batchnorm_backward_eval(const float *x, const float *gamma, const float *dy, float *dx, float *dgamma,
                             float *dbeta, int N, int C, int S, float eps, const float *rmean, const float *rvar) {
#pragma omp parallel for schedule(static)
    for (int c = 0; c < C; c++) {
        float inv = 1.0f / sqrtf(rvar[c] + eps), m = rmean[c], ga = gamma ? gamma[c] : 1.0f;
        double sdy = 0.0, sdyx = 0.0;
        for (int n = 0; n < N; n++) {
            const float *xc = x + ((size_t)n * C + c) * S, *dc = dy + ((size_t)n * C + c) * S;
            float *o = dx ? dx + ((size_t)n * C + c) * S : NULL;
            for (int q = 0; q < S; q++) {
                sdy += dc[q];
                sdyx += (double)dc[q] * ((xc[q] - m) * inv);
                if (o) o[q] += dc[q] * ga * inv;
            }
        }
        if (dgamma) dgamma[c] += (float)sdyx;
        if (dbeta) dbeta[c] += (float)sdy;
    }
}

/* Sync BatchNorm (data-parallel): the same arithmetic as above per channel, but the sums (and the element count)
   are summed over the ranks between the passes, so every rank normalises with the global batch's mean and variance
   (PyTorch's SyncBatchNorm). Parameter gradients stay local (the trainer's gradient sync averages them). */
void batchnorm_forward_train_sync(const float *x, const float *gamma, const float *beta, float *y, int N, int C, int S,
                                  float eps, float momentum, float *stats, float *rmean, float *rvar,
                                  int (*reduce)(void *, double *, size_t), void *ctx, double *work) {
#pragma omp parallel for schedule(static)
    for (int c = 0; c < C; c++) {
        double sum = 0.0;
        for (int n = 0; n < N; n++) sum += plane_sum(x + ((size_t)n * C + c) * S, S);
        work[c] = sum;
    }
    work[C] = (double)N * S;
    reduce(ctx, work, (size_t)C + 1);
    const double cnt = work[C];
#pragma omp parallel for schedule(static)
    for (int c = 0; c < C; c++) {
        double mean = work[c] / cnt, sq = 0.0;
        for (int n = 0; n < N; n++) sq += plane_sq(x + ((size_t)n * C + c) * S, S, (float)mean);
        work[C + 1 + c] = sq;
    }
    reduce(ctx, work + C + 1, (size_t)C);
#pragma omp parallel for schedule(static)
    for (int c = 0; c < C; c++) {
        bn_normalise(x, gamma, beta, y, N, C, S, c, eps, momentum, work[c] / cnt, work[C + 1 + c], cnt, stats, rmean,
                     rvar);
    }
}

void batchnorm_backward_train_sync(const float *x, const float *gamma, const float *dy, float *dx, float *dgamma,
                                   float *dbeta, int N, int C, int S, const float *stats,
                                   int (*reduce)(void *, double *, size_t), void *ctx, double *work) {
#pragma omp parallel for schedule(static)
    for (int c = 0; c < C; c++) bn_grad_sums(x, dy, dgamma, dbeta, N, C, S, c, stats, &work[c], &work[C + c]);
    work[2 * C] = (double)N * S;
    reduce(ctx, work, 2 * (size_t)C + 1);
    if (!dx) return;
    const double cnt = work[2 * C];
#pragma omp parallel for schedule(static)
    for (int c = 0; c < C; c++) bn_dx(x, gamma, dy, dx, N, C, S, c, stats, work[c] / cnt, work[C + c] / cnt);
}
