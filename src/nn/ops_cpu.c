/* The CPU op table: for every layer kind, the glue between a graph node and its kernels (nn.h): forward, backward,
   initialisation, matrix work, and whether it may run in place. Entries are generated from GANC_LAYER_KINDS, so a
   kind without fw_<name>, bw_<name>, init_<name>, macs_<name> and inplace_<name>/flags_<name> does not compile. */
#include <math.h>
#include <stdlib.h>
#include <string.h>
#include "nn/graph.h"
#include "nn/nn.h"
#include "image/resample.h"

#define IN0(n) op_in(net, n, 0)
#define X0(n) (IN0(n)->out)

/* ---- shared pieces */

static int no_forward(ganc_net_t *net, node_t *n, int N, int flags) { (void)net; (void)n; (void)N; (void)flags; return 0; }
static void no_backward(ganc_net_t *net, node_t *n, int N, int train, int want_pg, float *dx) {
    (void)net; (void)n; (void)N; (void)train; (void)want_pg; (void)dx;
}
static void no_init(ganc_net_t *net, node_t *n, ganc_rng_t *r, int dcgan) { (void)net; (void)n; (void)r; (void)dcgan; }
static double no_macs(const ganc_net_t *net, const node_t *n) { (void)net; (void)n; return 0; }
static int always(const node_t *n) { (void)n; return 1; }
static size_t tot(const node_t *n, int N) { return n->numel * (size_t)N; }
/* (N, C, S) view of a node's per-sample shape for channel-wise layers: C = dim 0, S = the rest. */
static void cs_of(const node_t *n, int *C, int *S) {
    *C = n->shape[0];
    *S = (int)(n->numel / (size_t)n->shape[0]);
}
static void add_into(const float *dy, float *dx, size_t k) {
#pragma omp parallel for schedule(static)
    for (size_t i = 0; i < k; i++) dx[i] += dy[i];
}
/* matrix work of a weight tensor applied at `positions` places per sample */
static double weight_macs(const ganc_net_t *net, const node_t *n, size_t positions) {
    double m = 0;
    for (int k = 0; k < 2; k++)
        if (n->t[k] >= 0 && net->ts[n->t[k]].ndim >= 2) m += (double)net->ts[n->t[k]].numel * positions;
    return m;
}
/* PyTorch's default for Linear/Conv: kaiming_uniform(a=sqrt(5)) = U(-1/sqrt(fan_in), 1/sqrt(fan_in)) for weight and
   bias, fan_in = size(1) * receptive field; DCGAN: weight N(0,0.02), bias 0. */
static void init_fan_in(ganc_net_t *net, node_t *n, ganc_rng_t *r, int dcgan) {
    float *w = op_param(net, n, 0), *b = op_param(net, n, 1);
    const int64_t *ws = net->ts[n->t[0]].shape;
    size_t fan_in = (size_t)ws[1]; /* times the receptive field: (k) of Conv1d, (kh,kw) of Conv2d */
    for (int d = 2; d < net->ts[n->t[0]].ndim; d++) fan_in *= (size_t)ws[d];
    float bound = 1.0f / sqrtf((float)fan_in);
    if (dcgan) ganc_rng_fill_normal(r, w, op_numel(net, n, 0), 0.0f, 0.02f);
    else ganc_rng_fill_uniform(r, w, op_numel(net, n, 0), -bound, bound);
    if (b) {
        if (dcgan) memset(b, 0, op_numel(net, n, 1) * sizeof(float));
        else ganc_rng_fill_uniform(r, b, op_numel(net, n, 1), -bound, bound);
    }
}

/* ---- input */
#define flags_input OPF_KEEPS_DATA
#define fw_input no_forward
#define bw_input no_backward
#define init_input no_init
#define macs_input no_macs
#define inplace_input NULL

/* ---- linear: leading per-sample dims act as batch */
static int rows_linear(const ganc_net_t *net, const node_t *n, int N) {
    return (int)(IN0(n)->numel / (size_t)n->hp.linear.in) * N;
}
static int fw_linear(ganc_net_t *net, node_t *n, int N, int flags) {
    (void)flags;
    linear_forward(X0(n), op_param(net, n, 0), op_param(net, n, 1), n->out, rows_linear(net, n, N), n->hp.linear.in,
                   n->shape[n->ndim - 1]);
    return 0;
}
static void bw_linear(ganc_net_t *net, node_t *n, int N, int train, int want_pg, float *dx) {
    (void)train;
    linear_backward(X0(n), op_param(net, n, 0), n->dout, dx, op_grad(net, n, 0, want_pg), op_grad(net, n, 1, want_pg),
                    rows_linear(net, n, N), n->hp.linear.in, n->shape[n->ndim - 1]);
}
static double macs_linear(const ganc_net_t *net, const node_t *n) {
    return weight_macs(net, n, IN0(n)->numel / (size_t)n->hp.linear.in);
}
#define init_linear init_fan_in
#define inplace_linear NULL
#define flags_linear OPF_DX_OPTIONAL

/* ---- conv2d / conv_transpose2d, over batch chunks that bound the im2col scratch */
void op_conv_geom(const ganc_net_t *net, const node_t *n, int N, conv_geom_t *g) {
    const node_t *in = IN0(n);
    g->N = N; g->C = in->shape[0]; g->H = in->shape[1]; g->W = in->shape[2];
    g->OC = n->shape[0]; g->OH = n->shape[1]; g->OW = n->shape[2];
    g->KH = n->hp.conv.kh; g->KW = n->hp.conv.kw; g->s = n->hp.conv.stride; g->ph = n->hp.conv.ph; g->pw = n->hp.conv.pw;
    g->ws = n->col_own;
    g->cl_in = in->cl && g->C > 1; /* one channel: the same memory either way */
    g->cl_out = n->cl && g->OC > 1;
}
static int conv_fw(ganc_net_t *net, node_t *n, int N, int transposed) {
    conv_geom_t g;
    const size_t xs = IN0(n)->numel, ys = n->numel;
    for (int b0 = 0; b0 < N; b0 += n->chunk) {
        op_conv_geom(net, n, N - b0 < n->chunk ? N - b0 : n->chunk, &g);
        (transposed ? convt2d_forward : conv2d_forward)(&g, X0(n) + xs * b0, op_param(net, n, 0), op_param(net, n, 1),
                                                         n->out + ys * b0, net->scr->col, net->scr->tmp);
    }
    return 0;
}
static void conv_bw(ganc_net_t *net, node_t *n, int N, int want_pg, float *dx, int transposed) {
    conv_geom_t g;
    const size_t xs = IN0(n)->numel, ys = n->numel;
    for (int b0 = 0; b0 < N; b0 += n->chunk) { /* weight gradients accumulate over chunks in order */
        op_conv_geom(net, n, N - b0 < n->chunk ? N - b0 : n->chunk, &g);
        (transposed ? convt2d_backward : conv2d_backward)(&g, X0(n) + xs * b0, op_param(net, n, 0), n->dout + ys * b0,
                                                           dx ? dx + xs * b0 : NULL, op_grad(net, n, 0, want_pg),
                                                           op_grad(net, n, 1, want_pg), net->scr->col, net->scr->tmp);
    }
}
static int fw_conv2d(ganc_net_t *net, node_t *n, int N, int flags) { (void)flags; return conv_fw(net, n, N, 0); }
static void bw_conv2d(ganc_net_t *net, node_t *n, int N, int train, int want_pg, float *dx) {
    (void)train;
    conv_bw(net, n, N, want_pg, dx, 0);
}
static double macs_conv2d(const ganc_net_t *net, const node_t *n) {
    return weight_macs(net, n, (size_t)n->shape[1] * n->shape[2]);
}
static int fw_conv_transpose2d(ganc_net_t *net, node_t *n, int N, int flags) { (void)flags; return conv_fw(net, n, N, 1); }
static void bw_conv_transpose2d(ganc_net_t *net, node_t *n, int N, int train, int want_pg, float *dx) {
    (void)train;
    conv_bw(net, n, N, want_pg, dx, 1);
}
static double macs_conv_transpose2d(const ganc_net_t *net, const node_t *n) {
    return weight_macs(net, n, (size_t)IN0(n)->shape[1] * IN0(n)->shape[2]);
}
#define init_conv2d init_fan_in
#define init_conv_transpose2d init_fan_in
#define inplace_conv2d NULL
#define inplace_conv_transpose2d NULL
#define flags_conv2d OPF_DX_OPTIONAL
#define flags_conv_transpose2d OPF_DX_OPTIONAL

/* ---- batchnorm: aux holds the batch mean and 1/std of the last training forward, then (sync BN) 2C+1 doubles */
static double *bn_work(node_t *n, int C) {
    return (double *)((char *)n->aux + (((sizeof(float) * 2 * (size_t)C) + 63) & ~(size_t)63));
}
static int fw_batchnorm(ganc_net_t *net, node_t *n, int N, int flags) {
    int C, S;
    cs_of(n, &C, &S);
    if (flags & GANC_TRAIN) {
        int upd = flags & GANC_UPDATE_STATS;
        float *rm = upd ? op_buf(net, n, 2) : NULL, *rv = upd ? op_buf(net, n, 3) : NULL;
        if (net->bn_reduce) /* sync BN: work space after the 2C floats of statistics */
            batchnorm_forward_train_sync(X0(n), op_param(net, n, 0), op_param(net, n, 1), n->out, N, C, S,
                                         n->hp.bn.eps, n->hp.bn.momentum, (float *)n->aux, rm, rv, net->bn_reduce,
                                         net->bn_ctx, bn_work(n, C));
        else
            batchnorm_forward_train(X0(n), op_param(net, n, 0), op_param(net, n, 1), n->out, N, C, S, n->hp.bn.eps,
                                    n->hp.bn.momentum, (float *)n->aux, rm, rv);
        if (upd) net->counters[net->ts[n->counter].off]++;
    } else {
        batchnorm_forward_eval(X0(n), op_param(net, n, 0), op_param(net, n, 1), n->out, N, C, S, n->hp.bn.eps,
                               op_buf(net, n, 2), op_buf(net, n, 3));
    }
    return 0;
}
static void bw_batchnorm(ganc_net_t *net, node_t *n, int N, int train, int want_pg, float *dx) {
    int C, S;
    cs_of(n, &C, &S);
    float *dg = op_grad(net, n, 0, want_pg), *db = op_grad(net, n, 1, want_pg);
    if (train && net->bn_reduce)
        batchnorm_backward_train_sync(X0(n), op_param(net, n, 0), n->dout, dx, dg, db, N, C, S, (float *)n->aux,
                                      net->bn_reduce, net->bn_ctx, bn_work(n, C));
    else if (train) batchnorm_backward_train(X0(n), op_param(net, n, 0), n->dout, dx, dg, db, N, C, S, (float *)n->aux);
    else batchnorm_backward_eval(X0(n), op_param(net, n, 0), n->dout, dx, dg, db, N, C, S, n->hp.bn.eps,
                                 op_buf(net, n, 2), op_buf(net, n, 3));
}
static void init_batchnorm(ganc_net_t *net, node_t *n, ganc_rng_t *r, int dcgan) {
    float *w = op_param(net, n, 0), *b = op_param(net, n, 1), *rm = op_buf(net, n, 2), *rv = op_buf(net, n, 3);
    const size_t C = op_numel(net, n, 0);
    if (dcgan) ganc_rng_fill_normal(r, w, C, 1.0f, 0.02f);
    else for (size_t k = 0; k < C; k++) w[k] = 1.0f;
    memset(b, 0, C * sizeof(float));
    for (size_t k = 0; k < C; k++) { rm[k] = 0.0f; rv[k] = 1.0f; }
    net->counters[net->ts[n->counter].off] = 0;
}
#define macs_batchnorm no_macs
#define inplace_batchnorm NULL
#define flags_batchnorm OPF_DX_OPTIONAL

/* ---- pointwise activations; in place, dx == dy and the kernels scale the gradient instead of adding */
#define POINTWISE(nm, fwcall, bwcall)                                                                            \
    static int fw_##nm(ganc_net_t *net, node_t *n, int N, int flags) {                                                 \
        (void)flags;                                                                                                   \
        fwcall;                                                                                                        \
        return 0;                                                                                                      \
    }                                                                                                                  \
    static void bw_##nm(ganc_net_t *net, node_t *n, int N, int train, int want_pg, float *dx) {                       \
        (void)net; (void)train; (void)want_pg;                                                                         \
        bwcall;                                                                                                        \
    }
static int lrelu_inplace(const node_t *n) { return n->hp.lrelu.slope > 0.0f; } /* the sign of y must tell x's */
POINTWISE(relu, relu_forward(X0(n), n->out, tot(n, N)), relu_backward(n->out, n->dout, dx, tot(n, N)))
POINTWISE(leaky_relu, leaky_relu_forward(X0(n), n->out, tot(n, N), n->hp.lrelu.slope),
          leaky_relu_backward(n->out, n->dout, dx, tot(n, N), n->hp.lrelu.slope))
POINTWISE(tanh, tanh_forward(X0(n), n->out, tot(n, N)), tanh_backward(n->out, n->dout, dx, tot(n, N)))
POINTWISE(sigmoid, sigmoid_forward(X0(n), n->out, tot(n, N)), sigmoid_backward(n->out, n->dout, dx, tot(n, N)))
#define inplace_relu always
#define inplace_leaky_relu lrelu_inplace
#define inplace_tanh always
#define inplace_sigmoid always
#define flags_relu (OPF_BW_READS_OUT | OPF_POINTWISE)
#define flags_leaky_relu (OPF_BW_READS_OUT | OPF_POINTWISE)
#define flags_tanh (OPF_BW_READS_OUT | OPF_POINTWISE)
#define flags_sigmoid (OPF_BW_READS_OUT | OPF_POINTWISE)
#define init_relu no_init
#define init_leaky_relu no_init
#define init_tanh no_init
#define init_sigmoid no_init
#define macs_relu no_macs
#define macs_leaky_relu no_macs
#define macs_tanh no_macs
#define macs_sigmoid no_macs

/* ---- prelu */
static int fw_prelu(ganc_net_t *net, node_t *n, int N, int flags) {
    (void)flags;
    int C, S;
    cs_of(n, &C, &S);
    prelu_forward(X0(n), op_param(net, n, 0), n->out, N, C, S, n->hp.prelu.np);
    return 0;
}
static void bw_prelu(ganc_net_t *net, node_t *n, int N, int train, int want_pg, float *dx) {
    (void)train;
    int C, S;
    cs_of(n, &C, &S);
    prelu_backward(X0(n), op_param(net, n, 0), n->dout, dx, op_grad(net, n, 0, want_pg), N, C, S, n->hp.prelu.np);
}
static void init_prelu(ganc_net_t *net, node_t *n, ganc_rng_t *r, int dcgan) {
    (void)r; (void)dcgan;
    float *w = op_param(net, n, 0);
    for (size_t k = 0; k < op_numel(net, n, 0); k++) w[k] = 0.25f;
}
#define macs_prelu no_macs
#define inplace_prelu NULL
#define flags_prelu 0

/* ---- dropout: the mask (aux) is drawn from the network's own generator */
static int active_dropout(const node_t *n, int train) { return train && n->hp.dropout.p > 0.0f; }
/* data-parallel: the masks of a global batch come from one stream; this shard skips the other shards' draws */
static void skip_draws(ganc_rng_t *r, size_t k) {
    for (size_t i = 0; i < k; i++) ganc_rng_uniform(r);
}
int op_dropout_mask(ganc_net_t *net, const node_t *n, int N, int train, float *mask) {
    if (!active_dropout(n, train)) return 0;
    const int shards = net->shards > 1 ? net->shards : 1;
    skip_draws(&net->rng, tot(n, N) * (size_t)net->shard);
    dropout_mask(mask, tot(n, N), n->hp.dropout.p, &net->rng);
    skip_draws(&net->rng, tot(n, N) * (size_t)(shards - 1 - net->shard));
    return 1;
}
static int fw_dropout(ganc_net_t *net, node_t *n, int N, int flags) {
    if (op_dropout_mask(net, n, N, flags & GANC_TRAIN, (float *)n->aux)) {
        dropout_apply(X0(n), (const float *)n->aux, n->out, tot(n, N));
    } else {
        par_copy(n->out, X0(n), tot(n, N));
    }
    return 0;
}
static void bw_dropout(ganc_net_t *net, node_t *n, int N, int train, int want_pg, float *dx) {
    (void)net; (void)want_pg;
    if (active_dropout(n, train)) dropout_backward((float *)n->aux, n->dout, dx, tot(n, N));
    else add_into(n->dout, dx, tot(n, N));
}
#define init_dropout no_init
#define macs_dropout no_macs
#define inplace_dropout NULL
#define flags_dropout 0

/* ---- maxout over the last dim */
static int fw_maxout(ganc_net_t *net, node_t *n, int N, int flags) {
    (void)flags;
    int F = n->shape[n->ndim - 1];
    maxout_forward(X0(n), n->out, (int32_t *)n->aux, tot(n, N) / F, F, n->hp.maxout.pieces);
    return 0;
}
static void bw_maxout(ganc_net_t *net, node_t *n, int N, int train, int want_pg, float *dx) {
    (void)net; (void)train; (void)want_pg;
    int F = n->shape[n->ndim - 1];
    maxout_backward((int32_t *)n->aux, n->dout, dx, tot(n, N) / F, F, n->hp.maxout.pieces);
}
#define init_maxout no_init
#define macs_maxout no_macs
#define inplace_maxout NULL
#define flags_maxout 0

/* ---- reshape (a copy: the graph gives every non-in-place node its own buffer) */
/* in place (the planner's choice) it is only a new view of its input's buffer: nothing to copy either way */
static int fw_reshape(ganc_net_t *net, node_t *n, int N, int flags) {
    (void)flags;
    if (n->out != X0(n)) par_copy(n->out, X0(n), tot(n, N));
    return 0;
}
static void bw_reshape(ganc_net_t *net, node_t *n, int N, int train, int want_pg, float *dx) {
    (void)net; (void)train; (void)want_pg;
    if (dx != n->dout) add_into(n->dout, dx, tot(n, N));
}
#define init_reshape no_init
#define macs_reshape no_macs
#define inplace_reshape always
#define flags_reshape 0

/* ---- concat along dim 0 (b optionally a vector broadcast over H x W) */
static int concat_S(const ganc_net_t *net, const node_t *n) {
    return n->ndim == 1 ? 1 : IN0(n)->shape[1] * IN0(n)->shape[2];
}
static int fw_concat(ganc_net_t *net, node_t *n, int N, int flags) {
    (void)flags;
    const node_t *a = IN0(n), *b = op_in(net, n, 1);
    concat_forward(a->out, b->out, n->out, N, a->shape[0], b->shape[0], concat_S(net, n), n->hp.concat.bcast);
    return 0;
}
static void bw_concat(ganc_net_t *net, node_t *n, int N, int train, int want_pg, float *dx) {
    (void)train; (void)want_pg;
    const node_t *a = IN0(n), *b = op_in(net, n, 1);
    concat_backward(n->dout, dx, b->dout, N, a->shape[0], b->shape[0], concat_S(net, n), n->hp.concat.bcast);
}
#define init_concat no_init
#define macs_concat no_macs
#define inplace_concat NULL
#define flags_concat 0

/* ---- add */
static int fw_add(ganc_net_t *net, node_t *n, int N, int flags) {
    (void)flags;
    const float *a = X0(n), *b = op_in(net, n, 1)->out;
    float *y = n->out;
    const size_t T = tot(n, N);
#pragma omp parallel for schedule(static)
    for (size_t k = 0; k < T; k++) y[k] = a[k] + b[k];
    return 0;
}
static void bw_add(ganc_net_t *net, node_t *n, int N, int train, int want_pg, float *dx) {
    (void)train; (void)want_pg;
    float *db = op_in(net, n, 1)->dout;
    const float *dy = n->dout;
    const size_t T = tot(n, N);
#pragma omp parallel for schedule(static)
    for (size_t k = 0; k < T; k++) { dx[k] += dy[k]; db[k] += dy[k]; }
}
#define init_add no_init
#define macs_add no_macs
#define inplace_add NULL
#define flags_add OPF_POINTWISE

/* ---- pixel shuffle */
static int fw_pixel_shuffle(ganc_net_t *net, node_t *n, int N, int flags) {
    (void)flags;
    pixel_shuffle_forward(X0(n), n->out, N, n->shape[0], IN0(n)->shape[1], IN0(n)->shape[2], n->hp.shuffle.r);
    return 0;
}
static void bw_pixel_shuffle(ganc_net_t *net, node_t *n, int N, int train, int want_pg, float *dx) {
    (void)train; (void)want_pg;
    pixel_shuffle_backward(n->dout, dx, N, n->shape[0], IN0(n)->shape[1], IN0(n)->shape[2], n->hp.shuffle.r);
}
#define init_pixel_shuffle no_init
#define macs_pixel_shuffle no_macs
#define inplace_pixel_shuffle NULL
#define flags_pixel_shuffle 0

/* ---- upsample: the resampling module's nearest / bilinear plans (filled into aux each forward), and their
   adjoint for backward; tmp holds the rows-resampled intermediate */
static void up_plans(const ganc_net_t *net, node_t *n, rs_plan_t *ph, rs_plan_t *pw) {
    const node_t *a = IN0(n);
    const float s = 1.0f / (float)n->hp.up.factor;
    rs_plan_fill(ph, n->hp.up.mode, a->shape[1], n->shape[1], s, n->aux);
    rs_plan_fill(pw, n->hp.up.mode, a->shape[2], n->shape[2], s,
                 (char *)n->aux + rs_plan_bytes(n->hp.up.mode, a->shape[1], n->shape[1], s));
}
static int fw_upsample(ganc_net_t *net, node_t *n, int N, int flags) {
    (void)flags;
    rs_plan_t ph, pw;
    up_plans(net, n, &ph, &pw);
    rs_apply(&ph, &pw, X0(n), N * n->shape[0], net->scr->tmp, n->out);
    return 0;
}
static void bw_upsample(ganc_net_t *net, node_t *n, int N, int train, int want_pg, float *dx) {
    (void)train; (void)want_pg;
    rs_plan_t ph, pw;
    up_plans(net, n, &ph, &pw);
    rs_apply_adjoint(&ph, &pw, n->dout, N * n->shape[0], net->scr->tmp, dx);
}
#define init_upsample no_init
#define macs_upsample no_macs
#define inplace_upsample NULL
#define flags_upsample 0

/* ---- pools */
static int fw_avgpool(ganc_net_t *net, node_t *n, int N, int flags) {
    (void)flags;
    const node_t *a = IN0(n);
    avgpool_forward(a->out, n->out, N, a->shape[0], a->shape[1], a->shape[2], n->hp.pool.k, n->hp.pool.stride,
                    n->hp.pool.pad, n->hp.pool.cip, n->shape[1], n->shape[2]);
    return 0;
}
static void bw_avgpool(ganc_net_t *net, node_t *n, int N, int train, int want_pg, float *dx) {
    (void)train; (void)want_pg;
    const node_t *a = IN0(n);
    avgpool_backward(n->dout, dx, N, a->shape[0], a->shape[1], a->shape[2], n->hp.pool.k, n->hp.pool.stride,
                     n->hp.pool.pad, n->hp.pool.cip, n->shape[1], n->shape[2]);
}
static int fw_maxpool(ganc_net_t *net, node_t *n, int N, int flags) {
    (void)flags;
    const node_t *a = IN0(n);
    maxpool_forward(a->out, n->out, (int32_t *)n->aux, N, a->shape[0], a->shape[1], a->shape[2], n->hp.pool.k,
                    n->hp.pool.stride, n->hp.pool.pad, n->shape[1], n->shape[2]);
    return 0;
}
static void bw_maxpool(ganc_net_t *net, node_t *n, int N, int train, int want_pg, float *dx) {
    (void)train; (void)want_pg;
    const node_t *a = IN0(n);
    maxpool_backward((const int32_t *)n->aux, n->dout, dx, N, a->shape[0], a->shape[1], a->shape[2], n->shape[1],
                     n->shape[2]);
}
#define init_avgpool no_init
#define init_maxpool no_init
#define macs_avgpool no_macs
#define macs_maxpool no_macs
#define inplace_avgpool NULL
#define inplace_maxpool NULL
#define flags_avgpool 0
#define flags_maxpool 0

/* ---- embedding: indices stored as floats */
static int fw_embedding(ganc_net_t *net, node_t *n, int N, int flags) {
    (void)flags;
    size_t bad;
    const float *x = X0(n);
    if (embedding_forward(x, op_param(net, n, 0), n->out, IN0(n)->numel * N, n->hp.embed.num, n->hp.embed.dim, &bad))
        return ganc_fail(GANC_EINVAL, "%s: %s (embedding): index %g at position %zu outside 0..%d", net->name, n->name,
                         (double)x[bad], bad, n->hp.embed.num - 1);
    return 0;
}
static void bw_embedding(ganc_net_t *net, node_t *n, int N, int train, int want_pg, float *dx) {
    (void)train; (void)dx;
    if (want_pg) embedding_backward(X0(n), n->dout, op_grad(net, n, 0, 1), IN0(n)->numel * N, n->hp.embed.dim);
}
static void init_embedding(ganc_net_t *net, node_t *n, ganc_rng_t *r, int dcgan) {
    (void)dcgan;
    ganc_rng_fill_normal(r, op_param(net, n, 0), op_numel(net, n, 0), 0.0f, 1.0f);
}
#define macs_embedding no_macs
#define inplace_embedding NULL
#define flags_embedding 0

/* ---- LSTM: aux holds the gates and cells of the last forward; backward reads h (its output) */
static int fw_lstm(ganc_net_t *net, node_t *n, int N, int flags) {
    (void)flags;
    int T = n->shape[0], H = n->hp.lstm.hidden;
    float *gates = (float *)n->aux, *cells = gates + (size_t)N * T * 4 * H;
    lstm_forward(X0(n), op_param(net, n, 0), op_param(net, n, 1), op_param(net, n, 2), op_param(net, n, 3), n->out,
                 gates, cells, N, T, n->hp.lstm.in, H);
    return 0;
}
static void bw_lstm(ganc_net_t *net, node_t *n, int N, int train, int want_pg, float *dx) {
    (void)train;
    int T = n->shape[0], H = n->hp.lstm.hidden;
    const float *gates = (const float *)n->aux, *cells = gates + (size_t)N * T * 4 * H;
    lstm_backward(X0(n), op_param(net, n, 0), op_param(net, n, 1), n->out, gates, cells, n->dout, dx,
                  op_grad(net, n, 0, want_pg), op_grad(net, n, 1, want_pg), op_grad(net, n, 2, want_pg),
                  op_grad(net, n, 3, want_pg), net->scr->tmp, N, T, n->hp.lstm.in, H);
}
static void init_lstm(ganc_net_t *net, node_t *n, ganc_rng_t *r, int dcgan) {
    (void)dcgan;
    float bound = 1.0f / sqrtf((float)n->hp.lstm.hidden);
    for (int k = 0; k < 4; k++) ganc_rng_fill_uniform(r, op_param(net, n, k), op_numel(net, n, k), -bound, bound);
}
static double macs_lstm(const ganc_net_t *net, const node_t *n) { return weight_macs(net, n, (size_t)n->shape[0]); }
#define inplace_lstm NULL
#define flags_lstm OPF_BW_READS_OUT | OPF_DX_OPTIONAL

/* ---- transpose of a per-sample matrix */
static int fw_transpose(ganc_net_t *net, node_t *n, int N, int flags) {
    (void)flags;
    transpose_forward(X0(n), n->out, N, IN0(n)->shape[0], IN0(n)->shape[1]);
    return 0;
}
static void bw_transpose(ganc_net_t *net, node_t *n, int N, int train, int want_pg, float *dx) {
    (void)train; (void)want_pg;
    transpose_backward(n->dout, dx, N, IN0(n)->shape[0], IN0(n)->shape[1]);
}
#define init_transpose no_init
#define macs_transpose no_macs
#define inplace_transpose NULL
#define flags_transpose 0

/* ---- mean over time, optionally over each sample's first len steps (input 1; no gradient flows into it) */
static const float *meant_len(ganc_net_t *net, const node_t *n) { return n->nin > 1 ? op_in(net, n, 1)->out : NULL; }
static int fw_mean_time(ganc_net_t *net, node_t *n, int N, int flags) {
    (void)flags;
    int bad, T = IN0(n)->shape[0];
    const float *len = meant_len(net, n);
    if (mean_time_forward(X0(n), len, n->out, N, T, n->shape[0], &bad))
        return ganc_fail(GANC_EINVAL, "%s: %s (mean_time): length %g of sample %d is not an integer in 1..%d",
                         net->name, n->name, (double)len[bad], bad, T);
    return 0;
}
static void bw_mean_time(ganc_net_t *net, node_t *n, int N, int train, int want_pg, float *dx) {
    (void)train; (void)want_pg;
    mean_time_backward(meant_len(net, n), n->dout, dx, N, IN0(n)->shape[0], n->shape[0]);
}
#define init_mean_time no_init
#define macs_mean_time no_macs
#define inplace_mean_time NULL
#define flags_mean_time 0

/* ---- the table */
static const layer_ops_t cpu_ops[] = {
#define GANC_OP_ENTRY(e, nm) [L_##e] = {#nm, fw_##nm, bw_##nm, init_##nm, macs_##nm, inplace_##nm, flags_##nm},
    GANC_LAYER_KINDS(GANC_OP_ENTRY)
#undef GANC_OP_ENTRY
};
_Static_assert(sizeof cpu_ops / sizeof cpu_ops[0] == L_COUNT, "the CPU op table must cover every layer kind");

static void *cpu_alloc(size_t bytes) { return calloc(1, bytes ? bytes : 1); }
/* the conv2d layers that take the direct paths or one GEMM (conv2d_uses_scratch) need no im2col scratch; those the
   DFT, Winograd or the phases + Winograd suit get that path's workspace for the largest batch chunk within
   OWN_LIMIT (none of these: the im2col rule) */
#define OWN_LIMIT ((size_t)1 << 23)
static size_t own_floats(const conv_geom_t *g) {
    size_t f = conv_dft_floats(g, 0);
    if (!f) f = conv_winograd_floats(g);
    if (!f) f = conv_s2d_floats(g);
    return f <= OWN_LIMIT ? f : 0;
}
static int cpu_conv_scratch(const ganc_net_t *net, const node_t *n, int max_batch, int *chunk, size_t *floats) {
    conv_geom_t g;
    op_conv_geom(net, n, 1, &g);
    *chunk = max_batch;
    *floats = 0;
    const int cl = g.cl_in || g.cl_out; /* always fits one image: cpu_conv_cl */
    if (!conv2d_uses_scratch(&g) && !cl) return 1;
    for (int b = max_batch; b >= 1; b--) {
        g.N = b;
        const size_t f = cl ? conv_cl_floats(&g) : own_floats(&g);
        if ((*floats = f <= OWN_LIMIT ? f : 0)) {
            *chunk = b;
            return 1;
        }
    }
    return 0;
}
/* a side of conv2d node n channels-last: when conv_cl_suits and one image's scratch in any layout is within
   OWN_LIMIT (so that cpu_conv_scratch plans it) */
static int cpu_conv_cl(const ganc_net_t *net, const node_t *n, int side) {
    conv_geom_t g;
    op_conv_geom(net, n, 1, &g);
    if (!conv_cl_suits(&g, side)) return 0;
    for (int f = 0; f < 4; f++) {
        g.cl_in = f & 1 && g.C > 1;
        g.cl_out = f >> 1 && g.OC > 1;
        if (conv_cl_floats(&g) > OWN_LIMIT) return 0;
    }
    return 1;
}
static void cpu_sync(void) {}
static void cpu_zero(float *p, size_t n) { par_zero(p, n); }
static void cpu_copy(float *dst, const float *src, size_t n) { par_copy(dst, src, n); }
static void cpu_axpy(float *y, const float *x, float a, size_t n) {
    for (size_t i = 0; i < n; i++) y[i] += a * x[i];
}
static int cpu_finite(const float *x, size_t n) {
    float acc = 0.0f; /* x * 0 is 0 for finite x and NaN for NaN/Inf, so one sum tells (and cannot overflow) */
    for (size_t i = 0; i < n; i++) acc += x[i] * 0.0f;
    return acc == 0.0f;
}
static float cpu_loss(int kind, const float *x, const float *target, float t, size_t n, float *grad, float scale) {
    if (kind == GANC_LOSS_BCE_LOGITS) return ganc_bce_logits(x, target, t, n, grad, scale);
    return kind == GANC_LOSS_MSE ? ganc_mse(x, target, n, grad, scale) : ganc_l1(x, target, n, grad, scale);
}
const ganc_backend_t ganc_backend_cpu = {"cpu",      cpu_ops,    cpu_alloc,  free,
                                         cpu_sync,   cpu_zero,   cpu_copy,   cpu_axpy,
                                         cpu_finite, ganc_optim_update_cpu, cpu_loss, COL_LIMIT,
                                         0,          cpu_conv_scratch, cpu_conv_cl};

/* ---- device selection */
static const ganc_backend_t *current = &ganc_backend_cpu;
const ganc_backend_t *ganc_backend_default(void) { return current; }
const char *ganc_device(void) { return current->name; }
const char *ganc_device_describe(void) { return current == &ganc_backend_cpu ? "cpu" : ganc_cuda_describe(); }
int ganc_set_device(const char *name) {
    if (name && !strcmp(name, "cpu")) { current = &ganc_backend_cpu; return GANC_OK; }
    if (!name || strcmp(name, "cuda"))
        return ganc_fail(GANC_EINVAL, "device '%s': expected cpu or cuda", name ? name : "(null)");
    const char *why = NULL;
    const ganc_backend_t *be = ganc_backend_cuda(&why);
    if (!be) return ganc_fail(GANC_EINVAL, "device cuda: %s", why);
    current = be;
    return GANC_OK;
}
