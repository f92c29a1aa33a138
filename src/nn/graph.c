/* The network: a list of nodes in topological order (each node may read up to two earlier nodes). Forward runs the
   list in order, backward in reverse, each node through its backend's op table (graph.h, ops_cpu.c). Parameters,
   gradients and buffers live in one block each; the table `ts` maps state_dict names to slices of those blocks, in
   the order layers were added. The builders below check shapes and set each kind's named hyper-parameters; the
   memory planner (planner.c) decides in-place activations and pooled gradients at build time. */
#include <math.h>
#include <stdarg.h>
#include <stdio.h>
#include <stdlib.h>
#include <string.h>
#include <time.h>
#include "nn/graph.h"
#include "image/resample.h"

#define GANC_KIND_NAME(e, n) [L_##e] = #n,
static const char *const kind_names[L_COUNT] = {GANC_LAYER_KINDS(GANC_KIND_NAME)};
#undef GANC_KIND_NAME

ganc_net_t *ganc_net_new(const char *name) {
    ganc_net_t *n = calloc(1, sizeof *n);
    if (!n) return NULL;
    snprintf(n->name, sizeof n->name, "%s", name ? name : "net");
    n->be = ganc_backend_default();
    ganc_rng_seed(&n->rng, 0);
    return n;
}

static void scratch_free(const ganc_backend_t *be, scratch_t *s);

void ganc_net_free(ganc_net_t *net) {
    if (!net) return;
    const ganc_backend_t *be = net->be;
    free(net->nodes); free(net->ts);
    be->release(net->params); be->release(net->grads); be->release(net->bufs); be->release(net->acts);
    free(net->counters); be->release(net->auxmem);
    free(net->prof);
    free(net->wants);
    scratch_free(be, net->scr);
    free(net);
}

/* ---- builder helpers */

static int fail_layer(ganc_net_t *net, const char *lname, int kind, const char *fmt, ...)
    __attribute__((format(printf, 4, 5)));
static int fail_layer(ganc_net_t *net, const char *lname, int kind, const char *fmt, ...) {
    char msg[512];
    va_list ap;
    va_start(ap, fmt);
    vsnprintf(msg, sizeof msg, fmt, ap);
    va_end(ap);
    net->broken = 1;
    ganc_fail(GANC_EINVAL, "%s: %s (%s): %s", net->name, lname ? lname : "?", kind_names[kind], msg);
    return -1;
}

static node_t *node_of(ganc_net_t *net, int id) { return (id >= 0 && id < net->nnodes) ? &net->nodes[id] : NULL; }

/* Start a node; checks that the inputs exist. Returns NULL after recording the error. */
static node_t *add_node(ganc_net_t *net, int kind, const char *name, int a, int b, int nin) {
    if (net->broken) return NULL; /* keep the first error */
    if (net->built) { fail_layer(net, name, kind, "network is already built"); return NULL; }
    if (!name || strlen(name) >= 64) { fail_layer(net, "?", kind, "layer name missing or longer than 63"); return NULL; }
    if ((nin >= 1 && !node_of(net, a)) || (nin >= 2 && !node_of(net, b))) {
        fail_layer(net, name, kind, "input node id out of range");
        return NULL;
    }
    if (net->nnodes == net->cap) {
        int nc = net->cap ? net->cap * 2 : 16;
        node_t *p = realloc(net->nodes, sizeof(node_t) * nc);
        if (!p) { net->broken = 1; ganc_fail(GANC_ENOMEM, "%s: out of memory", net->name); return NULL; }
        net->nodes = p;
        net->cap = nc;
    }
    node_t *n = &net->nodes[net->nnodes];
    memset(n, 0, sizeof *n);
    n->kind = kind;
    snprintf(n->name, sizeof n->name, "%s", name);
    n->in[0] = a; n->in[1] = b; n->nin = nin;
    n->t[0] = n->t[1] = n->t[2] = n->t[3] = -1;
    n->counter = -1;
    return n;
}

static int set_shape(node_t *n, int ndim, const int *s) {
    n->ndim = ndim;
    n->numel = 1;
    for (int i = 0; i < ndim; i++) { n->shape[i] = s[i]; n->numel *= (size_t)s[i]; }
    return 0;
}

static int finish(ganc_net_t *net) { return net->nnodes++; }

static int add_tensor(ganc_net_t *net, node_t *n, int kind, const char *suffix, int ndim, const int64_t *shape) {
    if (net->nts == net->tcap) {
        int nc = net->tcap ? net->tcap * 2 : 32;
        tensor_t *p = realloc(net->ts, sizeof(tensor_t) * nc);
        if (!p) { net->broken = 1; return ganc_fail(GANC_ENOMEM, "%s: out of memory", net->name), -1; }
        net->ts = p;
        net->tcap = nc;
    }
    tensor_t *t = &net->ts[net->nts];
    memset(t, 0, sizeof *t);
    snprintf(t->name, sizeof t->name, "%s.%s", n->name, suffix);
    t->kind = kind;
    t->ndim = ndim;
    t->numel = 1;
    for (int i = 0; i < ndim; i++) { t->shape[i] = shape[i]; t->numel *= (size_t)shape[i]; }
    if (kind == GANC_PARAM) { t->off = net->nparam; net->nparam += t->numel; }
    else if (kind == GANC_BUFFER) { t->off = net->nbuf; net->nbuf += t->numel; }
    else { t->off = (size_t)net->ncounters++; }
    return net->nts++;
}

#define SHAPE(...) ((const int64_t[]){__VA_ARGS__})
#define INODE(id) (&net->nodes[id])

int ganc_net_input(ganc_net_t *net, const char *name, int ndim, const int *shape) {
    node_t *n = add_node(net, L_INPUT, name, -1, -1, 0);
    if (!n) return -1;
    if (ndim < 1 || ndim > 3) return fail_layer(net, name, L_INPUT, "per-sample dims must be 1..3, got %d", ndim);
    for (int i = 0; i < ndim; i++)
        if (shape[i] <= 0 || shape[i] > (1 << 24)) return fail_layer(net, name, L_INPUT, "bad dim %d", shape[i]);
    set_shape(n, ndim, shape);
    return finish(net);
}

int ganc_net_linear(ganc_net_t *net, const char *name, int x, int out, int bias) {
    node_t *n = add_node(net, L_LINEAR, name, x, -1, 1);
    if (!n) return -1;
    node_t *in = INODE(x);
    if (out <= 0) return fail_layer(net, name, L_LINEAR, "out_features must be > 0");
    int s[3];
    memcpy(s, in->shape, sizeof s);
    int IN = s[in->ndim - 1];
    n->hp.linear.in = IN;
    s[in->ndim - 1] = out;
    set_shape(n, in->ndim, s);
    n->t[0] = add_tensor(net, n, GANC_PARAM, "weight", 2, SHAPE(out, IN));
    if (bias) n->t[1] = add_tensor(net, n, GANC_PARAM, "bias", 1, SHAPE(out));
    return finish(net);
}

static int conv_common(ganc_net_t *net, int kind, const char *name, int x, int oc, int kh, int kw, int stride,
                       int ph, int pw, int opad, int bias) {
    node_t *n = add_node(net, kind, name, x, -1, 1);
    if (!n) return -1;
    node_t *in = INODE(x);
    if (in->ndim != 3) return fail_layer(net, name, kind, "input must be (C,H,W), got %d per-sample dims", in->ndim);
    if (oc <= 0 || kh <= 0 || kw <= 0 || stride <= 0 || ph < 0 || pw < 0 || opad < 0)
        return fail_layer(net, name, kind, "bad hyper-parameters");
    int C = in->shape[0], H = in->shape[1], W = in->shape[2], OH, OW;
    if (kind == L_CONV) {
        OH = (H + 2 * ph - kh) / stride + 1;
        OW = (W + 2 * pw - kw) / stride + 1;
        if (H + 2 * ph < kh || W + 2 * pw < kw)
            return fail_layer(net, name, kind, "input %dx%d is smaller than kernel %dx%d", H, W, kh, kw);
    } else {
        if (opad >= stride) return fail_layer(net, name, kind, "output_padding must be smaller than stride");
        OH = (H - 1) * stride - 2 * ph + kh + opad;
        OW = (W - 1) * stride - 2 * pw + kw + opad;
        if (OH <= 0 || OW <= 0) return fail_layer(net, name, kind, "output size would be %dx%d", OH, OW);
    }
    n->hp.conv.kh = kh; n->hp.conv.kw = kw; n->hp.conv.stride = stride; n->hp.conv.ph = ph; n->hp.conv.pw = pw;
    set_shape(n, 3, (int[]){oc, OH, OW});
    if (kind == L_CONV) {
        n->t[0] = add_tensor(net, n, GANC_PARAM, "weight", 4, SHAPE(oc, C, kh, kw));
        n->col_per = (size_t)C * kh * kw * OH * OW;
        n->tmp_per = (size_t)oc * OH * OW;
    } else {
        n->t[0] = add_tensor(net, n, GANC_PARAM, "weight", 4, SHAPE(C, oc, kh, kw));
        n->col_per = (size_t)oc * kh * kw * H * W;
        n->tmp_per = (size_t)C * H * W;
    }
    if (bias) n->t[1] = add_tensor(net, n, GANC_PARAM, "bias", 1, SHAPE(oc));
    return finish(net);
}

int ganc_net_conv2d(ganc_net_t *net, const char *name, int x, int oc, int kh, int kw, int stride, int pad, int bias) {
    return conv_common(net, L_CONV, name, x, oc, kh, kw, stride, pad, pad, 0, bias);
}
int ganc_net_conv2d_hw(ganc_net_t *net, const char *name, int x, int oc, int kh, int kw, int stride, int pad_h,
                       int pad_w, int bias) {
    return conv_common(net, L_CONV, name, x, oc, kh, kw, stride, pad_h, pad_w, 0, bias);
}
int ganc_net_conv1d(ganc_net_t *net, const char *name, int x, int oc, int k, int stride, int pad, int bias) {
    const node_t *in = node_of(net, x);
    if (in && in->ndim != 2) {
        add_node(net, L_CONV, name, x, -1, 1);
        return fail_layer(net, name, L_CONV, "conv1d input must be (C,L)");
    }
    char nm[64];
    snprintf(nm, sizeof nm, "%.50s/in", name ? name : "?");
    int h = in ? ganc_net_reshape(net, nm, x, 3, (int[]){in->shape[0], 1, in->shape[1]}) : x;
    h = conv_common(net, L_CONV, name, h, oc, 1, k, stride, 0, pad, 0, bias);
    if (h < 0) return h;
    tensor_t *w = &net->ts[net->nodes[h].t[0]]; /* PyTorch's Conv1d layout: (out, in, k), the same bytes */
    w->ndim = 3;
    w->shape[2] = k;
    w->shape[3] = 0;
    const node_t *c = &net->nodes[h];
    snprintf(nm, sizeof nm, "%.50s/out", name);
    return ganc_net_reshape(net, nm, h, 2, (int[]){c->shape[0], c->shape[2]});
}
int ganc_net_conv_transpose2d(ganc_net_t *net, const char *name, int x, int oc, int kh, int kw, int stride, int pad,
                              int opad, int bias) {
    return conv_common(net, L_CONVT, name, x, oc, kh, kw, stride, pad, pad, opad, bias);
}

int ganc_net_batchnorm(ganc_net_t *net, const char *name, int x, float eps, float momentum) {
    node_t *n = add_node(net, L_BN, name, x, -1, 1);
    if (!n) return -1;
    node_t *in = INODE(x);
    set_shape(n, in->ndim, in->shape);
    int C = in->shape[0];
    n->hp.bn.eps = eps; n->hp.bn.momentum = momentum;
    n->t[0] = add_tensor(net, n, GANC_PARAM, "weight", 1, SHAPE(C));
    n->t[1] = add_tensor(net, n, GANC_PARAM, "bias", 1, SHAPE(C));
    n->t[2] = add_tensor(net, n, GANC_BUFFER, "running_mean", 1, SHAPE(C));
    n->t[3] = add_tensor(net, n, GANC_BUFFER, "running_var", 1, SHAPE(C));
    n->counter = add_tensor(net, n, GANC_COUNTER, "num_batches_tracked", 0, NULL);
    /* batch mean and 1/std; then sync BN's per-channel sums */
    n->aux_fix = ((sizeof(float) * 2 * (size_t)C + 63) & ~(size_t)63) + sizeof(double) * (2 * (size_t)C + 1);
    return finish(net);
}

static int pointwise(ganc_net_t *net, int kind, const char *name, int x, float param) {
    node_t *n = add_node(net, kind, name, x, -1, 1);
    if (!n) return -1;
    set_shape(n, INODE(x)->ndim, INODE(x)->shape);
    if (kind == L_LRELU) n->hp.lrelu.slope = param;
    if (kind == L_DROPOUT) n->hp.dropout.p = param;
    return finish(net);
}
int ganc_net_relu(ganc_net_t *net, const char *name, int x) { return pointwise(net, L_RELU, name, x, 0); }
int ganc_net_leaky_relu(ganc_net_t *net, const char *name, int x, float a) {
    return pointwise(net, L_LRELU, name, x, a);
}
int ganc_net_tanh(ganc_net_t *net, const char *name, int x) { return pointwise(net, L_TANH, name, x, 0); }
int ganc_net_sigmoid(ganc_net_t *net, const char *name, int x) { return pointwise(net, L_SIGMOID, name, x, 0); }
int ganc_net_dropout(ganc_net_t *net, const char *name, int x, float p) {
    if (!(p >= 0.0f && p < 1.0f)) {
        if (!add_node(net, L_DROPOUT, name, x, -1, 1)) return -1;
        return fail_layer(net, name, L_DROPOUT, "p must be in [0,1), got %g", p);
    }
    int id = pointwise(net, L_DROPOUT, name, x, p);
    if (id >= 0) net->nodes[id].aux_per = sizeof(float) * net->nodes[id].numel;
    return id;
}

int ganc_net_prelu(ganc_net_t *net, const char *name, int x, int np) {
    node_t *n = add_node(net, L_PRELU, name, x, -1, 1);
    if (!n) return -1;
    node_t *in = INODE(x);
    if (np != 1 && np != in->shape[0])
        return fail_layer(net, name, L_PRELU, "num_parameters must be 1 or the channel count %d", in->shape[0]);
    set_shape(n, in->ndim, in->shape);
    n->hp.prelu.np = np;
    n->t[0] = add_tensor(net, n, GANC_PARAM, "weight", 1, SHAPE(np));
    return finish(net);
}

int ganc_net_maxout(ganc_net_t *net, const char *name, int x, int pieces) {
    node_t *n = add_node(net, L_MAXOUT, name, x, -1, 1);
    if (!n) return -1;
    node_t *in = INODE(x);
    int s[3];
    memcpy(s, in->shape, sizeof s);
    int F = s[in->ndim - 1];
    if (pieces < 1 || F % pieces)
        return fail_layer(net, name, L_MAXOUT, "last dim %d is not a multiple of pieces %d", F, pieces);
    s[in->ndim - 1] = F / pieces;
    set_shape(n, in->ndim, s);
    n->hp.maxout.pieces = pieces;
    n->aux_per = sizeof(int32_t) * n->numel;
    return finish(net);
}

int ganc_net_reshape(ganc_net_t *net, const char *name, int x, int ndim, const int *shape) {
    node_t *n = add_node(net, L_RESHAPE, name, x, -1, 1);
    if (!n) return -1;
    if (ndim < 1 || ndim > 3) return fail_layer(net, name, L_RESHAPE, "per-sample dims must be 1..3");
    size_t c = 1;
    for (int i = 0; i < ndim; i++) c *= (size_t)(shape[i] > 0 ? shape[i] : 0);
    if (c != INODE(x)->numel)
        return fail_layer(net, name, L_RESHAPE, "cannot reshape %zu elements into %zu", INODE(x)->numel, c);
    set_shape(n, ndim, shape);
    return finish(net);
}

int ganc_net_concat(ganc_net_t *net, const char *name, int a, int b) {
    node_t *n = add_node(net, L_CONCAT, name, a, b, 2);
    if (!n) return -1;
    node_t *A = INODE(a), *B = INODE(b);
    int s[3];
    memcpy(s, A->shape, sizeof s);
    if (A->ndim == 3 && B->ndim == 1) {
        n->hp.concat.bcast = 1;
    } else if (A->ndim == B->ndim && (A->ndim == 1 || (A->ndim == 3 && A->shape[1] == B->shape[1] &&
                                                          A->shape[2] == B->shape[2]))) {
        n->hp.concat.bcast = 0;
    } else {
        return fail_layer(net, name, L_CONCAT, "cannot concatenate shapes of %d and %d dims (spatial sizes must match)",
                          A->ndim, B->ndim);
    }
    s[0] = A->shape[0] + B->shape[0];
    set_shape(n, A->ndim, s);
    return finish(net);
}

int ganc_net_add(ganc_net_t *net, const char *name, int a, int b) {
    node_t *n = add_node(net, L_ADD, name, a, b, 2);
    if (!n) return -1;
    node_t *A = INODE(a), *B = INODE(b);
    if (A->ndim != B->ndim || memcmp(A->shape, B->shape, sizeof(int) * A->ndim))
        return fail_layer(net, name, L_ADD, "operand shapes differ");
    set_shape(n, A->ndim, A->shape);
    return finish(net);
}

int ganc_net_pixel_shuffle(ganc_net_t *net, const char *name, int x, int r) {
    node_t *n = add_node(net, L_PSHUFFLE, name, x, -1, 1);
    if (!n) return -1;
    node_t *in = INODE(x);
    if (in->ndim != 3 || r < 1 || in->shape[0] % (r * r))
        return fail_layer(net, name, L_PSHUFFLE, "input must be (C*r*r,H,W) with r=%d", r);
    set_shape(n, 3, (int[]){in->shape[0] / (r * r), in->shape[1] * r, in->shape[2] * r});
    n->hp.shuffle.r = r;
    return finish(net);
}

int ganc_net_upsample(ganc_net_t *net, const char *name, int x, int f, int mode) {
    node_t *n = add_node(net, L_UPSAMPLE, name, x, -1, 1);
    if (!n) return -1;
    node_t *in = INODE(x);
    if (in->ndim != 3 || f < 1 || (mode != GANC_RESAMPLE_NEAREST && mode != GANC_RESAMPLE_BILINEAR &&
                                   mode != GANC_RESAMPLE_BICUBIC))
        return fail_layer(net, name, L_UPSAMPLE, "input must be (C,H,W), factor >= 1, mode nearest, bilinear or bicubic");
    set_shape(n, 3, (int[]){in->shape[0], in->shape[1] * f, in->shape[2] * f});
    n->hp.up.factor = f; n->hp.up.mode = mode;
    const float s = 1.0f / (float)f; /* the two resampling plans, and the rows-resampled intermediate */
    n->aux_fix = rs_plan_bytes(mode, in->shape[1], n->shape[1], s) + rs_plan_bytes(mode, in->shape[2], n->shape[2], s);
    n->tmp_per = (size_t)in->shape[0] * in->shape[1] * n->shape[2];
    if (!n->aux_fix) return fail_layer(net, name, L_UPSAMPLE, "sizes too large to resample");
    return finish(net);
}

int ganc_net_avgpool_pad(ganc_net_t *net, const char *name, int x, int k, int s, int pad, int count_include_pad) {
    node_t *n = add_node(net, L_AVGPOOL, name, x, -1, 1);
    if (!n) return -1;
    node_t *in = INODE(x);
    if (in->ndim != 3 || k < 1 || s < 1 || pad < 0 || 2 * pad > k || in->shape[1] + 2 * pad < k ||
        in->shape[2] + 2 * pad < k)
        return fail_layer(net, name, L_AVGPOOL, "input must be (C,H,W) with H,W >= k - 2 pad, pad <= k/2");
    set_shape(n, 3, (int[]){in->shape[0], (in->shape[1] + 2 * pad - k) / s + 1, (in->shape[2] + 2 * pad - k) / s + 1});
    n->hp.pool.k = k; n->hp.pool.stride = s; n->hp.pool.pad = pad; n->hp.pool.cip = count_include_pad != 0;
    return finish(net);
}
int ganc_net_avgpool(ganc_net_t *net, const char *name, int x, int k, int s) {
    return ganc_net_avgpool_pad(net, name, x, k, s, 0, 1);
}

int ganc_net_maxpool(ganc_net_t *net, const char *name, int x, int k, int s, int pad) {
    node_t *n = add_node(net, L_MAXPOOL, name, x, -1, 1);
    if (!n) return -1;
    node_t *in = INODE(x);
    if (in->ndim != 3 || k < 1 || s < 1 || pad < 0 || 2 * pad > k || in->shape[1] + 2 * pad < k ||
        in->shape[2] + 2 * pad < k)
        return fail_layer(net, name, L_MAXPOOL, "input must be (C,H,W) with H,W >= k - 2 pad, pad <= k/2");
    set_shape(n, 3, (int[]){in->shape[0], (in->shape[1] + 2 * pad - k) / s + 1, (in->shape[2] + 2 * pad - k) / s + 1});
    n->hp.pool.k = k; n->hp.pool.stride = s; n->hp.pool.pad = pad;
    n->aux_per = sizeof(int32_t) * n->numel; /* the winning input position of every output */
    return finish(net);
}

int ganc_net_embedding(ganc_net_t *net, const char *name, int x, int num, int dim) {
    node_t *n = add_node(net, L_EMBED, name, x, -1, 1);
    if (!n) return -1;
    node_t *in = INODE(x);
    if (in->ndim != 1 || num < 1 || dim < 1)
        return fail_layer(net, name, L_EMBED, "input must be a vector of indices (T)");
    set_shape(n, 2, (int[]){in->shape[0], dim});
    n->hp.embed.num = num; n->hp.embed.dim = dim;
    n->t[0] = add_tensor(net, n, GANC_PARAM, "weight", 2, SHAPE(num, dim));
    return finish(net);
}

int ganc_net_lstm(ganc_net_t *net, const char *name, int x, int hidden) {
    node_t *n = add_node(net, L_LSTM, name, x, -1, 1);
    if (!n) return -1;
    node_t *in = INODE(x);
    if (in->ndim != 2 || hidden < 1) return fail_layer(net, name, L_LSTM, "input must be (T,I), hidden >= 1");
    int T = in->shape[0], IN = in->shape[1], H = hidden;
    set_shape(n, 2, (int[]){T, H});
    n->hp.lstm.in = IN; n->hp.lstm.hidden = H;
    n->t[0] = add_tensor(net, n, GANC_PARAM, "weight_ih_l0", 2, SHAPE(4 * H, IN));
    n->t[1] = add_tensor(net, n, GANC_PARAM, "weight_hh_l0", 2, SHAPE(4 * H, H));
    n->t[2] = add_tensor(net, n, GANC_PARAM, "bias_ih_l0", 1, SHAPE(4 * H));
    n->t[3] = add_tensor(net, n, GANC_PARAM, "bias_hh_l0", 1, SHAPE(4 * H));
    n->aux_per = sizeof(float) * ((size_t)T * 4 * H + (size_t)T * H); /* gates, cells */
    n->tmp_per = (size_t)T * 4 * H + 2 * (size_t)H;                    /* backward work */
    return finish(net);
}

int ganc_net_transpose(ganc_net_t *net, const char *name, int x) {
    node_t *n = add_node(net, L_TRANSPOSE, name, x, -1, 1);
    if (!n) return -1;
    node_t *in = INODE(x);
    if (in->ndim != 2) return fail_layer(net, name, L_TRANSPOSE, "input must be (A,B)");
    set_shape(n, 2, (int[]){in->shape[1], in->shape[0]});
    return finish(net);
}

int ganc_net_mean_time(ganc_net_t *net, const char *name, int x, int len) {
    node_t *n = add_node(net, L_MEANT, name, x, len, len >= 0 ? 2 : 1);
    if (!n) return -1;
    node_t *in = INODE(x);
    if (in->ndim != 2) return fail_layer(net, name, L_MEANT, "input must be (T,H)");
    if (len >= 0 && (INODE(len)->ndim != 1 || INODE(len)->shape[0] != 1))
        return fail_layer(net, name, L_MEANT, "the lengths must be one number per sample, shape (1)");
    set_shape(n, 1, (int[]){in->shape[1]});
    return finish(net);
}

/* ---- build and init */

static void scratch_free(const ganc_backend_t *be, scratch_t *s) {
    if (s && --s->refs == 0) { be->release(s->col); be->release(s->tmp); be->release(s->pool); free(s); }
}

/* point every node at its slices of the activation, pool and aux blocks */
static void bind_buffers(ganc_net_t *net) {
    size_t ao = 0, xo = 0;
    for (int i = 0; i < net->nnodes; i++) {
        node_t *n = &net->nodes[i];
        if (n->inplace) {
            n->out = net->nodes[n->in[0]].out;
            n->dout = net->nodes[n->in[0]].dout;
        } else {
            n->out = net->acts + ao; ao += n->numel * net->max_batch;
            if (n->pooled) n->dout = net->scr->pool + n->goff;
            else { n->dout = net->acts + ao; ao += n->numel * net->max_batch; }
        }
        n->aux = net->auxmem + xo;
        xo += ((n->aux_per + 63) & ~(size_t)63) * net->max_batch + ((n->aux_fix + 63) & ~(size_t)63);
    }
}

int ganc_net_build(ganc_net_t *net, int max_batch) {
    if (net->broken) return GANC_EINVAL; /* ganc_errmsg() still holds the first error */
    if (net->built) return ganc_fail(GANC_EINVAL, "%s: already built", net->name);
    if (max_batch < 1) return ganc_fail(GANC_EINVAL, "%s: max_batch must be >= 1", net->name);
    if (net->nnodes == 0) return ganc_fail(GANC_EINVAL, "%s: no layers", net->name);
    plan_sizes_t sz;
    int rc = ganc_plan_memory(net, max_batch, &sz);
    if (rc) return rc;
    const ganc_backend_t *be = net->be;
    net->params = be->alloc((net->nparam + 1) * sizeof(float));
    net->grads = be->alloc((net->nparam + 1) * sizeof(float));
    net->bufs = be->alloc((net->nbuf + 1) * sizeof(float));
    net->counters = calloc((size_t)net->ncounters + 1, sizeof(int64_t)); /* host only: counted by the host */
    net->acts = be->alloc(sz.acts * sizeof(float));
    net->auxmem = be->alloc(sz.aux);
    net->wants = calloc((size_t)net->nnodes, 1);
    net->scr = calloc(1, sizeof(scratch_t));
    if (net->scr) {
        *net->scr = (scratch_t){be->alloc(sz.col * sizeof(float)), be->alloc(sz.tmp * sizeof(float)),
                                be->alloc(sz.pool * sizeof(float)), sz.col, sz.tmp, sz.pool, 1};
    }
    if (!net->params || !net->grads || !net->bufs || !net->counters || !net->acts || !net->auxmem || !net->wants ||
        !net->scr ||
        !net->scr->col || !net->scr->tmp || !net->scr->pool)
        return ganc_fail(GANC_ENOMEM, "%s: cannot allocate %zu MB of activations for batch %d", net->name,
                         (sz.acts + sz.col + sz.tmp) * 4 >> 20, max_batch);
    net->max_batch = max_batch;
    bind_buffers(net);
    net->built = 1;
    ganc_net_init_default(net, 0);
    return GANC_OK;
}

/* grow *p (n floats) to at least want floats; the contents are scratch and need not survive */
static int grow(const ganc_backend_t *be, float **p, size_t *n, size_t want) {
    if (want <= *n) return 0;
    float *q = be->alloc(want * sizeof(float));
    if (!q) return ganc_fail(GANC_ENOMEM, "share_scratch: out of memory");
    be->release(*p);
    *p = q;
    *n = want;
    return 0;
}

int ganc_net_share_scratch(ganc_net_t *a, ganc_net_t *b) {
    if (!a->built || !b->built) return ganc_fail(GANC_EINVAL, "share_scratch: build both networks first");
    if (a->be != b->be) return ganc_fail(GANC_EINVAL, "share_scratch: %s and %s are on different backends", a->name, b->name);
    if (a->scr == b->scr) return GANC_OK;
    scratch_t *s = a->scr, *o = b->scr;
    if (grow(a->be, &s->col, &s->ncol, o->ncol) || grow(a->be, &s->tmp, &s->ntmp, o->ntmp) ||
        grow(a->be, &s->pool, &s->npool, o->npool))
        return GANC_ENOMEM;
    scratch_free(b->be, o);
    b->scr = s;
    s->refs++;
    ganc_net_t *nets[2] = {a, b}; /* the pool may have moved: re-point pooled gradients and their in-place aliases */
    for (int k = 0; k < 2; k++)
        for (int i = 0; i < nets[k]->nnodes; i++) {
            node_t *n = &nets[k]->nodes[i];
            if (n->pooled) n->dout = s->pool + n->goff;
            else if (n->inplace) n->dout = nets[k]->nodes[n->in[0]].dout;
        }
    return GANC_OK;
}

static void init_tensors(ganc_net_t *net, uint64_t seed, int dcgan) {
    ganc_rng_t r;
    net->be->sync();
    ganc_rng_seed(&r, seed);
    for (int i = 0; i < net->nnodes; i++) net->be->ops[net->nodes[i].kind].init(net, &net->nodes[i], &r, dcgan);
}
void ganc_net_init_default(ganc_net_t *net, uint64_t seed) { if (net->built) init_tensors(net, seed, 0); }
void ganc_net_init_dcgan(ganc_net_t *net, uint64_t seed) { if (net->built) init_tensors(net, seed, 1); }
void ganc_net_seed(ganc_net_t *net, uint64_t seed) { ganc_rng_seed(&net->rng, seed); }
ganc_rng_t *ganc_net_rng(ganc_net_t *net) { return &net->rng; }

void ganc_net_set_bn_reduce(ganc_net_t *net, int (*reduce)(void *ctx, double *x, size_t n), void *ctx) {
    net->bn_reduce = reduce;
    net->bn_ctx = ctx;
}

int ganc_net_set_shard(ganc_net_t *net, int shard, int shards) {
    if (shards < 1 || shard < 0 || shard >= shards)
        return ganc_fail(GANC_EINVAL, "%s: shard %d of %d", net->name, shard, shards);
    net->shard = shard;
    net->shards = shards;
    return GANC_OK;
}

int ganc_net_mark_output(ganc_net_t *net, int id) {
    if (net->broken) return GANC_EINVAL;
    if (net->built) return ganc_fail(GANC_EINVAL, "%s: mark outputs before ganc_net_build", net->name);
    if (!node_of(net, id)) return ganc_fail(GANC_EINVAL, "%s: node id %d out of range", net->name, id);
    net->nodes[id].marked = 1;
    return GANC_OK;
}

int ganc_net_allow_channels_last(ganc_net_t *net, int on) {
    if (net->broken) return GANC_EINVAL;
    if (net->built) return ganc_fail(GANC_EINVAL, "%s: allow channels-last before ganc_net_build", net->name);
    net->cl_ok = on != 0;
    return GANC_OK;
}

/* ---- forward / backward */

/* profiling: wall-clock seconds, after the device has finished what was queued */
static double prof_now(const ganc_net_t *net) {
    struct timespec ts;
    net->be->sync();
    clock_gettime(CLOCK_MONOTONIC, &ts);
    return ts.tv_sec + 1e-9 * ts.tv_nsec;
}

int ganc_net_set_profile(ganc_net_t *net, int on) {
    free(net->prof);
    net->prof = NULL;
    if (on && !(net->prof = calloc((size_t)2 * (net->nnodes ? net->nnodes : 1), sizeof(double))))
        return ganc_fail(GANC_ENOMEM, "%s: out of memory for the profile", net->name);
    return GANC_OK;
}

int ganc_net_profile(const ganc_net_t *net, int node, const char **kind, double *fw_s, double *bw_s) {
    if (!net->prof || node < 0 || node >= net->nnodes)
        return ganc_fail(GANC_EINVAL, "%s: no profile for node %d (ganc_net_set_profile after the last layer)",
                         net->name, node);
    *kind = kind_names[net->nodes[node].kind];
    *fw_s = net->prof[2 * node];
    *bw_s = net->prof[2 * node + 1];
    return GANC_OK;
}

int ganc_net_forward(ganc_net_t *net, int N, int flags) {
    if (!net->built) return ganc_fail(GANC_EINVAL, "%s: forward before ganc_net_build", net->name);
    if (N < 1 || N > net->max_batch)
        return ganc_fail(GANC_EINVAL, "%s: batch %d outside 1..%d", net->name, N, net->max_batch);
    for (int i = 0; i < net->nnodes; i++) {
        const double t0 = net->prof ? prof_now(net) : 0;
        int rc = net->be->ops[net->nodes[i].kind].forward(net, &net->nodes[i], N, flags);
        if (rc) return rc;
        if (net->prof) net->prof[2 * i] += prof_now(net) - t0;
    }
    net->batch = N;
    net->fw_flags = flags;
    net->grads_clean = 0;
    return GANC_OK;
}

static void zero_act_grads(ganc_net_t *net) { /* pooled buffers are cleared when they become live */
    if (net->grads_clean) return;
    for (int i = 0; i < net->nnodes; i++)
        if (!net->nodes[i].inplace && !net->nodes[i].pooled)
            net->be->zero(net->nodes[i].dout, net->nodes[i].numel * net->batch);
    net->grads_clean = 1;
}

/* the gradient buffer of a node if callers may write/read it: not pooled (an in-place node's is its root's) */
static float *own_grad(ganc_net_t *net, int id) {
    if (!net->built || !node_of(net, id)) {
        ganc_fail(GANC_EINVAL, "%s: node id %d out of range or network not built", net->name, id);
        return NULL;
    }
    const node_t *n = &net->nodes[id], *root = n->inplace ? &net->nodes[n->in[0]] : n;
    if (root->pooled) {
        ganc_fail(GANC_EINVAL, "%s: %s (%s): its gradient lives in the pooled buffer that backward reuses; mark the "
                               "node with ganc_net_mark_output before ganc_net_build to attach a loss to it",
                  net->name, n->name, kind_names[n->kind]);
        return NULL;
    }
    if (net->batch > 0) zero_act_grads(net);
    return n->dout;
}

float *ganc_net_grad(ganc_net_t *net, int id) {
    float *g = own_grad(net, id);
    net->be->sync();
    return g;
}

int ganc_net_add_grad(ganc_net_t *net, int id, const float *g, float scale) {
    if (net->batch < 1) return ganc_fail(GANC_EINVAL, "%s: add_grad before forward", net->name);
    float *d = own_grad(net, id);
    if (!d) return GANC_EINVAL;
    net->be->axpy(d, g, scale, net->nodes[id].numel * (size_t)net->batch);
    return GANC_OK;
}

int ganc_net_loss(ganc_net_t *net, int id, int kind, const float *target, float t, float scale, float *loss) {
    if (net->batch < 1) return ganc_fail(GANC_EINVAL, "%s: loss before forward", net->name);
    if (kind < GANC_LOSS_BCE_LOGITS || kind > GANC_LOSS_L1 || (!target && kind != GANC_LOSS_BCE_LOGITS))
        return ganc_fail(GANC_EINVAL, "%s: loss kind %d needs a target", net->name, kind);
    float *d = own_grad(net, id);
    if (!d) return GANC_EINVAL;
    *loss = net->be->loss(kind, net->nodes[id].out, target, t, net->nodes[id].numel * (size_t)net->batch, d, scale);
    return GANC_OK;
}

int ganc_net_set_input(ganc_net_t *net, int id, const float *x, int n) {
    if (!net->built || !node_of(net, id) || net->nodes[id].kind != L_INPUT)
        return ganc_fail(GANC_EINVAL, "%s: node %d is not an input of a built network", net->name, id);
    if (n < 1 || n > net->max_batch)
        return ganc_fail(GANC_EINVAL, "%s: %d samples for input %s, at most %d", net->name, n, net->nodes[id].name,
                         net->max_batch);
    net->be->copy(net->nodes[id].out, x, net->nodes[id].numel * n);
    return GANC_OK;
}

int ganc_net_feed(ganc_net_t *dst, int dst_input, ganc_net_t *src, int src_node) {
    if (!src->built || !node_of(src, src_node) || src->batch < 1)
        return ganc_fail(GANC_EINVAL, "%s: node %d has no data (run a forward first)", src->name, src_node);
    if (node_of(dst, dst_input) && dst->nodes[dst_input].numel != src->nodes[src_node].numel)
        return ganc_fail(GANC_EINVAL, "%s: input %s has %zu elements per sample, %s: %s gives %zu", dst->name,
                         dst->nodes[dst_input].name, dst->nodes[dst_input].numel, src->name, src->nodes[src_node].name,
                         src->nodes[src_node].numel);
    return ganc_net_set_input(dst, dst_input, src->nodes[src_node].out, src->batch);
}

static int has_params(const ganc_net_t *net, const node_t *n) {
    for (int k = 0; k < 4; k++)
        if (n->t[k] >= 0 && net->ts[n->t[k]].kind == GANC_PARAM) return 1;
    return 0;
}

/* The nodes whose gradient is wanted: an input (unless GANC_NO_INPUT_GRADS), a node with parameters (unless
   GANC_NO_PARAM_GRADS), a marked node, and every node that reads one of these. The others' backward is skipped, and
   an op whose input is not wanted gets dx = NULL where it takes it: as PyTorch's requires_grad, a first layer fed
   by inputs alone (through a concat: LAPGAN's, the conditional GANs') computes no input gradient. */
static void plan_backward(const ganc_net_t *net, int flags, unsigned char *wants) {
    const int want_in = !(flags & GANC_NO_INPUT_GRADS), want_pg = !(flags & GANC_NO_PARAM_GRADS);
    for (int i = 0; i < net->nnodes; i++) {
        const node_t *n = &net->nodes[i];
        int w = n->kind == L_INPUT ? want_in : n->marked || (want_pg && has_params(net, n));
        for (int k = 0; k < n->nin && !w; k++) w = wants[n->in[k]];
        wants[i] = (unsigned char)w;
    }
}

int ganc_net_backward(ganc_net_t *net, int flags) {
    if (!net->built || net->batch < 1) return ganc_fail(GANC_EINVAL, "%s: backward before forward", net->name);
    zero_act_grads(net); /* no-op if the caller already wrote output gradients */
    const int N = net->batch, train = net->fw_flags & GANC_TRAIN, want_pg = !(flags & GANC_NO_PARAM_GRADS);
    const layer_ops_t *ops = net->be->ops;
    plan_backward(net, flags, net->wants);
    for (int i = net->nnodes - 1; i >= 0; i--) {
        node_t *n = &net->nodes[i];
        for (int k = 0; k < n->nzr; k++) {
            const node_t *z = &net->nodes[n->zr[k]];
            net->be->zero(z->dout, z->numel * N);
        }
        if (n->kind == L_INPUT || !net->wants[i]) continue;
        const node_t *a = &net->nodes[n->in[0]];
        float *dx = a->dout;
        /* ops that accept dx == NULL skip the work when the input's gradient is not wanted */
        if (!net->wants[n->in[0]] && n->nin == 1 && (ops[n->kind].flags & OPF_DX_OPTIONAL)) dx = NULL;
        const double t0 = net->prof ? prof_now(net) : 0;
        ops[n->kind].backward(net, n, N, train, want_pg, dx);
        if (net->prof) net->prof[2 * i + 1] += prof_now(net) - t0;
    }
    return GANC_OK;
}

void ganc_net_flops(const ganc_net_t *net, double *fwd, double *bwd_data, double *bwd_data_input, double *bwd_weights) {
    double f = 0, d = 0, di = 0, w = 0;
    unsigned char *wants = calloc((size_t)net->nnodes + 1, 1); /* as a backward with GANC_NO_INPUT_GRADS plans it */
    if (wants) plan_backward(net, GANC_NO_INPUT_GRADS, wants);
    for (int i = 0; i < net->nnodes; i++) {
        const node_t *n = &net->nodes[i];
        double macs = net->be->ops[n->kind].macs(net, n);
        f += 2 * macs;
        const int from_inputs = n->kind != L_INPUT && (wants ? !wants[n->in[0]] : net->nodes[n->in[0]].kind == L_INPUT);
        if (from_inputs) di += 2 * macs;
        else d += 2 * macs;
        w += 2 * macs;
    }
    free(wants);
    *fwd = f; *bwd_data = d; *bwd_data_input = di; *bwd_weights = w;
}

int ganc_net_grads_finite(const ganc_net_t *net) { return net->be->finite(net->grads, net->nparam); }
int ganc_net_params_finite(const ganc_net_t *net) { return net->be->finite(net->params, net->nparam); }

void ganc_net_zero_grad(ganc_net_t *net) {
    if (net->built) net->be->zero(net->grads, net->nparam);
}

/* ---- accessors */

/* Pointers handed to the caller are read or written by the host: device work queued on them finishes first. */
float *ganc_net_data(ganc_net_t *net, int id) {
    if (!node_of(net, id) || !net->built) return NULL;
    net->be->sync();
    return net->nodes[id].out;
}
int ganc_net_ndim(const ganc_net_t *net, int id) { return net->nodes[id].ndim; }
const int *ganc_net_shape(const ganc_net_t *net, int id) { return net->nodes[id].shape; }
size_t ganc_net_numel(const ganc_net_t *net, int id) { return net->nodes[id].numel; }
int ganc_net_batch(const ganc_net_t *net) { return net->batch; }
int ganc_net_nnodes(const ganc_net_t *net) { return net->nnodes; }
const char *ganc_net_node_name(const ganc_net_t *net, int node) {
    return node >= 0 && node < net->nnodes ? net->nodes[node].name : NULL;
}
const char *ganc_net_node_kind(const ganc_net_t *net, int node) {
    return node >= 0 && node < net->nnodes ? kind_names[net->nodes[node].kind] : NULL;
}
int ganc_net_max_batch(const ganc_net_t *net) { return net->max_batch; }
const char *ganc_net_name(const ganc_net_t *net) { return net->name; }
float *ganc_net_params(ganc_net_t *net) { net->be->sync(); return net->params; }
float *ganc_net_param_grads(ganc_net_t *net) { net->be->sync(); return net->grads; }
size_t ganc_net_nparams(const ganc_net_t *net) { return net->nparam; }
int ganc_net_ntensors(const ganc_net_t *net) { return net->nts; }

int ganc_net_tensor(const ganc_net_t *net, int i, ganc_tensor_info_t *o) {
    if (i < 0 || i >= net->nts || !net->built) return GANC_EINVAL;
    net->be->sync();
    const tensor_t *t = &net->ts[i];
    memset(o, 0, sizeof *o);
    o->name = t->name;
    o->kind = t->kind;
    o->ndim = t->ndim;
    memcpy(o->shape, t->shape, sizeof o->shape);
    o->numel = t->numel;
    if (t->kind == GANC_PARAM) { o->data = net->params + t->off; o->grad = net->grads + t->off; }
    else if (t->kind == GANC_BUFFER) o->data = net->bufs + t->off;
    else o->counter = net->counters + t->off;
    return GANC_OK;
}

int ganc_net_find(const ganc_net_t *net, const char *name, ganc_tensor_info_t *o) {
    for (int i = 0; i < net->nts; i++)
        if (!strcmp(net->ts[i].name, name)) return ganc_net_tensor(net, i, o);
    return GANC_EINVAL;
}
