/* The network: a list of nodes in topological order (each node may read up to two earlier nodes). Forward runs the
   list in order, backward in reverse. Parameters, gradients and buffers live in one block each; the table `ts`
   maps state_dict names to slices of those blocks, in the order layers were added. */
#include <math.h>
#include <stdarg.h>
#include <stdio.h>
#include <stdlib.h>
#include <string.h>
#include "nn/nn.h"

enum {
    L_INPUT, L_LINEAR, L_CONV, L_CONVT, L_BN, L_RELU, L_LRELU, L_PRELU, L_TANH, L_SIGMOID, L_DROPOUT, L_MAXOUT,
    L_RESHAPE, L_CONCAT, L_ADD, L_PSHUFFLE, L_UPSAMPLE, L_AVGPOOL, L_EMBED, L_LSTM, L_MAXPOOL
};
static const char *const kind_names[] = {"input", "linear", "conv2d", "conv_transpose2d", "batchnorm", "relu",
                                         "leaky_relu", "prelu", "tanh", "sigmoid", "dropout", "maxout", "reshape",
                                         "concat", "add", "pixel_shuffle", "upsample", "avgpool", "embedding", "lstm",
                                         "maxpool"};

typedef struct {
    char name[96];
    int kind, ndim;
    int64_t shape[4];
    size_t numel, off; /* offset into the param/grad block or the buffer block; counters index `counters` */
} tensor_t;

typedef struct {
    int kind;
    char name[64];
    int in[2], nin;
    int ndim, shape[3];
    size_t numel;        /* per sample */
    int t[4];            /* tensor table indices (weight, bias, running_mean, running_var) or -1 */
    int counter;         /* num_batches_tracked index, -1 if none */
    int i0, i1, i2, i3, i4; /* integer hyper-parameters (kernel, stride, pad, output_pad / pieces / factor ...) */
    float f0, f1;        /* float hyper-parameters (eps, momentum / slope / p) */
    size_t aux_per;      /* bytes of saved state per sample */
    size_t aux_fix;      /* bytes of saved state independent of the batch */
    size_t col_per, tmp_per; /* scratch floats per sample */
    int chunk;               /* samples per im2col/sgemm call (bounds the scratch; conv layers) */
    int inplace;             /* activation computed in its input's buffers (out and dout shared) */
    int pooled;              /* gradient buffer lives in the shared pool (intermediate nodes) */
    size_t goff;             /* its offset in the pool */
    int zr[2], nzr;          /* pooled gradient buffers to clear just before this node's backward */
    float *out, *dout;
    void *aux;
} node_t;

/* Scratch shareable between networks that never run at the same time (G and D): im2col matrices and the pool of
   intermediate gradient buffers (only live during a backward pass). */
typedef struct {
    float *col, *tmp, *pool;
    size_t ncol, ntmp, npool;
    int refs;
} scratch_t;

/* A convolution is computed over chunks of the batch whose im2col matrix has at most this many floats (4 MB):
   sgemms stay large (K = chunk*OH*OW for the weight gradient) while the scratch stops growing with the batch. */
#define COL_LIMIT ((size_t)1 << 22)

struct ganc_net {
    char name[64];
    node_t *nodes;
    int nnodes, cap;
    tensor_t *ts;
    int nts, tcap;
    size_t nparam, nbuf;
    int ncounters;
    float *params, *grads, *bufs, *acts;
    scratch_t *scr;
    int64_t *counters;
    unsigned char *auxmem;
    int max_batch, batch, built, broken, fw_flags, grads_clean;
    ganc_rng_t rng;
};

ganc_net_t *ganc_net_new(const char *name) {
    ganc_net_t *n = calloc(1, sizeof *n);
    if (!n) return NULL;
    snprintf(n->name, sizeof n->name, "%s", name ? name : "net");
    ganc_rng_seed(&n->rng, 0);
    return n;
}

void ganc_net_free(ganc_net_t *net) {
    if (!net) return;
    free(net->nodes); free(net->ts); free(net->params); free(net->grads); free(net->bufs); free(net->acts);
    if (net->scr && --net->scr->refs == 0) { free(net->scr->col); free(net->scr->tmp); free(net->scr->pool); free(net->scr); }
    free(net->counters); free(net->auxmem);
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
    n->i0 = IN;
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
    n->i0 = kh; n->i1 = kw; n->i2 = stride; n->i3 = ph; n->i4 = pw;
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
    n->f0 = eps; n->f1 = momentum;
    n->t[0] = add_tensor(net, n, GANC_PARAM, "weight", 1, SHAPE(C));
    n->t[1] = add_tensor(net, n, GANC_PARAM, "bias", 1, SHAPE(C));
    n->t[2] = add_tensor(net, n, GANC_BUFFER, "running_mean", 1, SHAPE(C));
    n->t[3] = add_tensor(net, n, GANC_BUFFER, "running_var", 1, SHAPE(C));
    n->counter = add_tensor(net, n, GANC_COUNTER, "num_batches_tracked", 0, NULL);
    n->aux_fix = sizeof(float) * 2 * (size_t)C; /* batch mean, 1/std */
    return finish(net);
}

static int pointwise(ganc_net_t *net, int kind, const char *name, int x, float f0) {
    node_t *n = add_node(net, kind, name, x, -1, 1);
    if (!n) return -1;
    set_shape(n, INODE(x)->ndim, INODE(x)->shape);
    n->f0 = f0;
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
    n->i0 = np;
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
    n->i0 = pieces;
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
        n->i0 = 1; /* broadcast */
    } else if (A->ndim == B->ndim && (A->ndim == 1 || (A->ndim == 3 && A->shape[1] == B->shape[1] &&
                                                          A->shape[2] == B->shape[2]))) {
        n->i0 = 0;
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
    n->i0 = r;
    return finish(net);
}

int ganc_net_upsample(ganc_net_t *net, const char *name, int x, int f, int mode) {
    node_t *n = add_node(net, L_UPSAMPLE, name, x, -1, 1);
    if (!n) return -1;
    node_t *in = INODE(x);
    if (in->ndim != 3 || f < 1 || (mode != 0 && mode != 1))
        return fail_layer(net, name, L_UPSAMPLE, "input must be (C,H,W), factor >= 1, mode 0 or 1");
    set_shape(n, 3, (int[]){in->shape[0], in->shape[1] * f, in->shape[2] * f});
    n->i0 = f; n->i1 = mode;
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
    n->i0 = k; n->i1 = s; n->i2 = pad; n->i3 = count_include_pad != 0;
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
    n->i0 = k; n->i1 = s; n->i2 = pad;
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
    n->i0 = num; n->i1 = dim;
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
    n->i0 = IN; n->i1 = H;
    n->t[0] = add_tensor(net, n, GANC_PARAM, "weight_ih_l0", 2, SHAPE(4 * H, IN));
    n->t[1] = add_tensor(net, n, GANC_PARAM, "weight_hh_l0", 2, SHAPE(4 * H, H));
    n->t[2] = add_tensor(net, n, GANC_PARAM, "bias_ih_l0", 1, SHAPE(4 * H));
    n->t[3] = add_tensor(net, n, GANC_PARAM, "bias_hh_l0", 1, SHAPE(4 * H));
    n->aux_per = sizeof(float) * ((size_t)T * 4 * H + (size_t)T * H); /* gates, cells */
    n->tmp_per = (size_t)T * 4 * H + 2 * (size_t)H;                    /* backward work */
    return finish(net);
}

/* ---- build and init */

static int mul_ok(size_t a, size_t b, size_t *r) {
    if (a && b > SIZE_MAX / a) return 0;
    *r = a * b;
    return 1;
}

/* Gradient buffers of intermediate nodes share a pool. A node's gradient is live from the backward of its last
   reader (the first one run in reverse, which clears it) to its own backward; we replay the backward order once
   and give each live buffer a free slot (growing a slot when none is big enough). In a chain this needs about two
   slots instead of one buffer per layer. Inputs and outputs keep their own buffers: callers write and read them. */
static int plan_grads(ganc_net_t *net, int max_batch, size_t *pool_size) {
    const int nn = net->nnodes;
    int *last = malloc(sizeof(int) * nn), *slot_of = malloc(sizeof(int) * nn);
    size_t *cap = malloc(sizeof(size_t) * (nn + 1));
    int *busy = calloc((size_t)nn + 1, sizeof(int)), nslots = 0;
    if (!last || !slot_of || !cap || !busy) { free(last); free(slot_of); free(cap); free(busy); return -1; }
    for (int i = 0; i < nn; i++) { last[i] = -1; slot_of[i] = -1; net->nodes[i].pooled = 0; net->nodes[i].nzr = 0; }
    for (int j = 0; j < nn; j++) /* an in-place node's readers count as its root's readers; it shares the buffer */
        for (int k = 0; k < net->nodes[j].nin && !net->nodes[j].inplace; k++) {
            int i = net->nodes[j].in[k];
            if (net->nodes[i].inplace) i = net->nodes[i].in[0];
            if (j > last[i]) last[i] = j;
        }
    for (int i = 0; i < nn; i++) {
        node_t *n = &net->nodes[i];
        n->pooled = !n->inplace && n->kind != L_INPUT && last[i] >= 0;
    }
    for (int t = nn - 1; t >= 0; t--) {
        node_t *n = &net->nodes[t];
        for (int k = 0; k < n->nin && !n->inplace; k++) { /* gradients that become live at t */
            int i = n->in[k];
            if (net->nodes[i].inplace) i = net->nodes[i].in[0];
            if (!net->nodes[i].pooled || last[i] != t || slot_of[i] >= 0) continue;
            size_t need = net->nodes[i].numel * (size_t)max_batch;
            int best = -1;
            for (int q = 0; q < nslots; q++) /* smallest free slot that fits, else the largest free one */
                if (!busy[q] && (best < 0 || (cap[q] >= need && (cap[best] < need || cap[q] < cap[best])) ||
                                 (cap[best] < need && cap[q] > cap[best])))
                    best = q;
            if (best < 0) { best = nslots++; cap[best] = 0; }
            if (cap[best] < need) cap[best] = need;
            busy[best] = 1;
            slot_of[i] = best;
            n->zr[n->nzr++] = i;
        }
        if (n->pooled && slot_of[t] >= 0) busy[slot_of[t]] = 0; /* dead after its own backward */
    }
    size_t off = 0;
    size_t *base = malloc(sizeof(size_t) * (nslots + 1));
    for (int q = 0; base && q < nslots; q++) { base[q] = off; off += cap[q]; }
    for (int i = 0; base && i < nn; i++)
        if (net->nodes[i].pooled) net->nodes[i].goff = base[slot_of[i]];
    *pool_size = off;
    int rc = base ? 0 : -1;
    free(base); free(last); free(slot_of); free(cap); free(busy);
    return rc;
}

int ganc_net_build(ganc_net_t *net, int max_batch) {
    if (net->broken) return GANC_EINVAL; /* ganc_errmsg() still holds the first error */
    if (net->built) return ganc_fail(GANC_EINVAL, "%s: already built", net->name);
    if (max_batch < 1) return ganc_fail(GANC_EINVAL, "%s: max_batch must be >= 1", net->name);
    if (net->nnodes == 0) return ganc_fail(GANC_EINVAL, "%s: no layers", net->name);
    size_t acts = 0, aux = 0, col = 0, tmp = 0, v;
    /* In-place activations (PyTorch's inplace=True, decided here so callers need not): a ReLU, LeakyReLU
       (slope > 0), Tanh or Sigmoid whose input is read by nothing else, and whose input's own backward does not
       read its output, overwrites that input's buffer, and its gradient is computed in place too. */
    int *cons = calloc((size_t)net->nnodes, sizeof(int));
    if (!cons) return ganc_fail(GANC_ENOMEM, "%s: out of memory", net->name);
    for (int i = 0; i < net->nnodes; i++)
        for (int k = 0; k < net->nodes[i].nin; k++) cons[net->nodes[i].in[k]]++;
    for (int i = 0; i < net->nnodes; i++) {
        node_t *n = &net->nodes[i];
        n->inplace = 0;
        if (!((n->kind == L_RELU || n->kind == L_TANH || n->kind == L_SIGMOID) ||
              (n->kind == L_LRELU && n->f0 > 0.0f)))
            continue;
        const node_t *a = &net->nodes[n->in[0]];
        int reads_own_out = a->kind == L_INPUT || a->kind == L_RELU || a->kind == L_LRELU || a->kind == L_TANH ||
                            a->kind == L_SIGMOID || a->kind == L_LSTM || a->inplace;
        n->inplace = cons[n->in[0]] == 1 && !reads_own_out;
    }
    free(cons);
    size_t pool = 0;
    if (plan_grads(net, max_batch, &pool)) return ganc_fail(GANC_ENOMEM, "%s: out of memory", net->name);
    for (int i = 0; i < net->nnodes; i++) {
        node_t *n = &net->nodes[i];
        if (!n->inplace) { /* output, plus the gradient unless pooled */
            if (!mul_ok(n->numel, (size_t)max_batch * (n->pooled ? 1 : 2), &v)) goto toobig;
            acts += v;
        }
        if (!mul_ok((n->aux_per + 63) & ~(size_t)63, (size_t)max_batch, &v)) goto toobig;
        aux += v + ((n->aux_fix + 63) & ~(size_t)63);
        n->chunk = max_batch;
        if (n->kind == L_CONV || n->kind == L_CONVT) {
            size_t c = n->col_per ? COL_LIMIT / n->col_per : (size_t)max_batch;
            n->chunk = c < 1 ? 1 : c > (size_t)max_batch ? max_batch : (int)c;
        }
        if (!mul_ok(n->col_per, (size_t)n->chunk, &v)) goto toobig;
        if (v > col) col = v;
        if (!mul_ok(n->tmp_per, (size_t)n->chunk, &v)) goto toobig;
        if (v > tmp) tmp = v;
    }
    net->params = calloc(net->nparam + 1, sizeof(float));
    net->grads = calloc(net->nparam + 1, sizeof(float));
    net->bufs = calloc(net->nbuf + 1, sizeof(float));
    net->counters = calloc((size_t)net->ncounters + 1, sizeof(int64_t));
    net->acts = calloc(acts, sizeof(float));
    net->auxmem = aux ? malloc(aux) : NULL;
    net->scr = calloc(1, sizeof(scratch_t));
    if (net->scr) {
        net->scr->refs = 1;
        net->scr->ncol = col;
        net->scr->ntmp = tmp;
        net->scr->npool = pool;
        net->scr->col = col ? malloc(col * sizeof(float)) : NULL;
        net->scr->tmp = tmp ? malloc(tmp * sizeof(float)) : NULL;
        net->scr->pool = pool ? malloc(pool * sizeof(float)) : NULL;
    }
    if (!net->params || !net->grads || !net->bufs || !net->counters || !net->acts || (aux && !net->auxmem) ||
        !net->scr || (col && !net->scr->col) || (tmp && !net->scr->tmp) || (pool && !net->scr->pool))
        return ganc_fail(GANC_ENOMEM, "%s: cannot allocate %zu MB of activations for batch %d", net->name,
                         (acts + col + tmp) * 4 >> 20, max_batch);
    size_t ao = 0, xo = 0;
    for (int i = 0; i < net->nnodes; i++) {
        node_t *n = &net->nodes[i];
        if (n->inplace) {
            n->out = net->nodes[n->in[0]].out;
            n->dout = net->nodes[n->in[0]].dout;
        } else {
            n->out = net->acts + ao; ao += n->numel * max_batch;
            if (n->pooled) n->dout = net->scr->pool + n->goff;
            else { n->dout = net->acts + ao; ao += n->numel * max_batch; }
        }
        n->aux = net->auxmem ? net->auxmem + xo : NULL;
        xo += ((n->aux_per + 63) & ~(size_t)63) * max_batch + ((n->aux_fix + 63) & ~(size_t)63);
    }
    net->max_batch = max_batch;
    net->built = 1;
    ganc_net_init_default(net, 0);
    return GANC_OK;
toobig:
    return ganc_fail(GANC_ENOMEM, "%s: activation sizes overflow for batch %d", net->name, max_batch);
}

int ganc_net_share_scratch(ganc_net_t *a, ganc_net_t *b) {
    if (!a->built || !b->built) return ganc_fail(GANC_EINVAL, "share_scratch: build both networks first");
    if (a->scr == b->scr) return GANC_OK;
    scratch_t *s = a->scr, *o = b->scr;
    if (o->ncol > s->ncol) {
        float *p = realloc(s->col, o->ncol * sizeof(float));
        if (!p) return ganc_fail(GANC_ENOMEM, "share_scratch: out of memory");
        s->col = p;
        s->ncol = o->ncol;
    }
    if (o->ntmp > s->ntmp) {
        float *p = realloc(s->tmp, o->ntmp * sizeof(float));
        if (!p) return ganc_fail(GANC_ENOMEM, "share_scratch: out of memory");
        s->tmp = p;
        s->ntmp = o->ntmp;
    }
    if (o->npool > s->npool) {
        float *p = realloc(s->pool, o->npool * sizeof(float));
        if (!p) return ganc_fail(GANC_ENOMEM, "share_scratch: out of memory");
        s->pool = p;
        s->npool = o->npool;
    }
    if (--o->refs == 0) { free(o->col); free(o->tmp); free(o->pool); free(o); }
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
    ganc_rng_seed(&r, seed);
    for (int i = 0; i < net->nnodes; i++) {
        node_t *n = &net->nodes[i];
        float *w = n->t[0] >= 0 ? net->params + net->ts[n->t[0]].off : NULL;
        float *b = n->t[1] >= 0 ? net->params + net->ts[n->t[1]].off : NULL;
        size_t nw = n->t[0] >= 0 ? net->ts[n->t[0]].numel : 0, nb = n->t[1] >= 0 ? net->ts[n->t[1]].numel : 0;
        const int64_t *ws = n->t[0] >= 0 ? net->ts[n->t[0]].shape : NULL;
        switch (n->kind) {
        case L_LINEAR: case L_CONV: case L_CONVT: {
            /* PyTorch: kaiming_uniform(a=sqrt(5)) = U(-1/sqrt(fan_in), 1/sqrt(fan_in)); fan_in = size(1)*k*k */
            size_t fan_in = (size_t)ws[1] * (n->kind == L_LINEAR ? 1 : (size_t)ws[2] * ws[3]);
            float bound = 1.0f / sqrtf((float)fan_in);
            if (dcgan) ganc_rng_fill_normal(&r, w, nw, 0.0f, 0.02f);
            else ganc_rng_fill_uniform(&r, w, nw, -bound, bound);
            if (b) {
                if (dcgan) memset(b, 0, nb * sizeof(float));
                else ganc_rng_fill_uniform(&r, b, nb, -bound, bound);
            }
            break;
        }
        case L_BN: {
            if (dcgan) ganc_rng_fill_normal(&r, w, nw, 1.0f, 0.02f);
            else for (size_t k = 0; k < nw; k++) w[k] = 1.0f;
            memset(b, 0, nb * sizeof(float));
            float *rm = net->bufs + net->ts[n->t[2]].off, *rv = net->bufs + net->ts[n->t[3]].off;
            for (size_t k = 0; k < nw; k++) { rm[k] = 0.0f; rv[k] = 1.0f; }
            net->counters[net->ts[n->counter].off] = 0;
            break;
        }
        case L_PRELU: for (size_t k = 0; k < nw; k++) w[k] = 0.25f; break;
        case L_EMBED: ganc_rng_fill_normal(&r, w, nw, 0.0f, 1.0f); break;
        case L_LSTM: {
            float bound = 1.0f / sqrtf((float)n->i1);
            for (int k = 0; k < 4; k++)
                ganc_rng_fill_uniform(&r, net->params + net->ts[n->t[k]].off, net->ts[n->t[k]].numel, -bound, bound);
            break;
        }
        default: break;
        }
    }
}
void ganc_net_init_default(ganc_net_t *net, uint64_t seed) { if (net->built) init_tensors(net, seed, 0); }
void ganc_net_init_dcgan(ganc_net_t *net, uint64_t seed) { if (net->built) init_tensors(net, seed, 1); }
void ganc_net_seed(ganc_net_t *net, uint64_t seed) { ganc_rng_seed(&net->rng, seed); }
ganc_rng_t *ganc_net_rng(ganc_net_t *net) { return &net->rng; }

/* ---- forward / backward */

#define P(k) (n->t[k] >= 0 ? net->params + net->ts[n->t[k]].off : NULL)
#define G(k) (n->t[k] >= 0 && want_pg ? net->grads + net->ts[n->t[k]].off : NULL)
#define B(k) (net->bufs + net->ts[n->t[k]].off)

static void geom(const ganc_net_t *net, const node_t *n, int N, conv_geom_t *g) {
    const node_t *in = &net->nodes[n->in[0]];
    g->N = N; g->C = in->shape[0]; g->H = in->shape[1]; g->W = in->shape[2];
    g->OC = n->shape[0]; g->OH = n->shape[1]; g->OW = n->shape[2];
    g->KH = n->i0; g->KW = n->i1; g->s = n->i2; g->ph = n->i3; g->pw = n->i4;
}

/* (N, C, S) view of a node's per-sample shape for channel-wise layers: C = dim 0, S = the rest. */
static void cs_of(const node_t *n, int *C, int *S) {
    *C = n->shape[0];
    *S = (int)(n->numel / (size_t)n->shape[0]);
}

int ganc_net_forward(ganc_net_t *net, int N, int flags) {
    if (!net->built) return ganc_fail(GANC_EINVAL, "%s: forward before ganc_net_build", net->name);
    if (N < 1 || N > net->max_batch)
        return ganc_fail(GANC_EINVAL, "%s: batch %d outside 1..%d", net->name, N, net->max_batch);
    const int train = flags & GANC_TRAIN;
    for (int i = 0; i < net->nnodes; i++) {
        node_t *n = &net->nodes[i];
        const node_t *a = n->nin > 0 ? &net->nodes[n->in[0]] : NULL, *b = n->nin > 1 ? &net->nodes[n->in[1]] : NULL;
        const float *x = a ? a->out : NULL;
        float *y = n->out;
        size_t tot = n->numel * (size_t)N;
        int C, S;
        switch (n->kind) {
        case L_INPUT: break;
        case L_LINEAR: {
            int IN = n->i0, O = n->shape[n->ndim - 1];
            linear_forward(x, P(0), P(1), y, (int)(a->numel / IN) * N, IN, O);
            break;
        }
        case L_CONV: case L_CONVT: {
            conv_geom_t g;
            const size_t xs = a->numel, ys = n->numel;
            for (int b0 = 0; b0 < N; b0 += n->chunk) {
                geom(net, n, N - b0 < n->chunk ? N - b0 : n->chunk, &g);
                (n->kind == L_CONV ? conv2d_forward : convt2d_forward)(&g, x + xs * b0, P(0), P(1), y + ys * b0,
                                                                      net->scr->col, net->scr->tmp);
            }
            break;
        }
        case L_BN:
            cs_of(n, &C, &S);
            if (train) {
                int upd = flags & GANC_UPDATE_STATS;
                batchnorm_forward_train(x, P(0), P(1), y, N, C, S, n->f0, n->f1, (float *)n->aux,
                                        upd ? B(2) : NULL, upd ? B(3) : NULL);
                if (upd) net->counters[net->ts[n->counter].off]++;
            } else {
                batchnorm_forward_eval(x, P(0), P(1), y, N, C, S, n->f0, B(2), B(3));
            }
            break;
        case L_RELU: relu_forward(x, y, tot); break;
        case L_LRELU: leaky_relu_forward(x, y, tot, n->f0); break;
        case L_TANH: tanh_forward(x, y, tot); break;
        case L_SIGMOID: sigmoid_forward(x, y, tot); break;
        case L_PRELU: cs_of(n, &C, &S); prelu_forward(x, P(0), y, N, C, S, n->i0); break;
        case L_DROPOUT:
            if (train && n->f0 > 0.0f) dropout_forward(x, y, (float *)n->aux, tot, n->f0, &net->rng);
            else memcpy(y, x, tot * sizeof(float));
            break;
        case L_MAXOUT: {
            int F = n->shape[n->ndim - 1];
            maxout_forward(x, y, (int32_t *)n->aux, tot / F, F, n->i0);
            break;
        }
        case L_RESHAPE: memcpy(y, x, tot * sizeof(float)); break;
        case L_CONCAT:
            if (n->ndim == 1) concat_forward(x, b->out, y, N, a->shape[0], b->shape[0], 1, 0);
            else concat_forward(x, b->out, y, N, a->shape[0], b->shape[0], a->shape[1] * a->shape[2], n->i0);
            break;
        case L_ADD:
            for (size_t k = 0; k < tot; k++) y[k] = x[k] + b->out[k];
            break;
        case L_PSHUFFLE: pixel_shuffle_forward(x, y, N, n->shape[0], a->shape[1], a->shape[2], n->i0); break;
        case L_UPSAMPLE: upsample_forward(x, y, N, a->shape[0], a->shape[1], a->shape[2], n->i0, n->i1); break;
        case L_AVGPOOL:
            avgpool_forward(x, y, N, a->shape[0], a->shape[1], a->shape[2], n->i0, n->i1, n->i2, n->i3, n->shape[1],
                            n->shape[2]);
            break;
        case L_MAXPOOL:
            maxpool_forward(x, y, (int32_t *)n->aux, N, a->shape[0], a->shape[1], a->shape[2], n->i0, n->i1, n->i2,
                            n->shape[1], n->shape[2]);
            break;
        case L_EMBED: {
            size_t bad;
            if (embedding_forward(x, P(0), y, a->numel * N, n->i0, n->i1, &bad))
                return ganc_fail(GANC_EINVAL, "%s: %s (embedding): index %g at position %zu outside 0..%d",
                                 net->name, n->name, (double)x[bad], bad, n->i0 - 1);
            break;
        }
        case L_LSTM: {
            int T = n->shape[0], H = n->i1;
            float *gates = (float *)n->aux, *cells = gates + (size_t)N * T * 4 * H;
            lstm_forward(x, P(0), P(1), P(2), P(3), y, gates, cells, N, T, n->i0, H);
            break;
        }
        }
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
            memset(net->nodes[i].dout, 0, sizeof(float) * net->nodes[i].numel * net->batch);
    net->grads_clean = 1;
}

float *ganc_net_grad(ganc_net_t *net, int id) {
    if (!net->built || id < 0 || id >= net->nnodes) return NULL;
    if (net->batch > 0) zero_act_grads(net);
    return net->nodes[id].dout;
}

int ganc_net_backward(ganc_net_t *net, int flags) {
    if (!net->built || net->batch < 1) return ganc_fail(GANC_EINVAL, "%s: backward before forward", net->name);
    zero_act_grads(net); /* no-op if the caller already wrote output gradients */
    const int N = net->batch, train = net->fw_flags & GANC_TRAIN, want_pg = !(flags & GANC_NO_PARAM_GRADS);
    for (int i = net->nnodes - 1; i >= 0; i--) {
        node_t *n = &net->nodes[i];
        for (int k = 0; k < n->nzr; k++) {
            const node_t *z = &net->nodes[n->zr[k]];
            memset(z->dout, 0, sizeof(float) * z->numel * N);
        }
        if (n->kind == L_INPUT) continue;
        node_t *a = &net->nodes[n->in[0]], *b = n->nin > 1 ? &net->nodes[n->in[1]] : NULL;
        const float *x = a->out, *y = n->out, *dy = n->dout;
        float *dx = a->dout;
        /* layers whose kernels take dx == NULL skip the work when the input's gradient is not wanted */
        if (a->kind == L_INPUT && (flags & GANC_NO_INPUT_GRADS) && n->nin == 1 &&
            (n->kind == L_CONV || n->kind == L_CONVT || n->kind == L_LINEAR || n->kind == L_BN || n->kind == L_LSTM))
            dx = NULL;
        size_t tot = n->numel * (size_t)N;
        int C, S;
        switch (n->kind) {
        case L_LINEAR: {
            int IN = n->i0, O = n->shape[n->ndim - 1];
            linear_backward(x, P(0), dy, dx, G(0), G(1), (int)(a->numel / IN) * N, IN, O);
            break;
        }
        case L_CONV: case L_CONVT: {
            conv_geom_t g;
            const size_t xs = a->numel, ys = n->numel;
            for (int b0 = 0; b0 < N; b0 += n->chunk) { /* weight gradients accumulate over chunks in order */
                geom(net, n, N - b0 < n->chunk ? N - b0 : n->chunk, &g);
                (n->kind == L_CONV ? conv2d_backward : convt2d_backward)(&g, x + xs * b0, P(0), dy + ys * b0,
                                                                          dx ? dx + xs * b0 : NULL, G(0), G(1),
                                                                          net->scr->col, net->scr->tmp);
            }
            break;
        }
        case L_BN:
            cs_of(n, &C, &S);
            if (train) batchnorm_backward_train(x, P(0), dy, dx, G(0), G(1), N, C, S, (float *)n->aux);
            else batchnorm_backward_eval(x, P(0), dy, dx, G(0), G(1), N, C, S, n->f0, B(2), B(3));
            break;
        /* dx == dy for in-place nodes: the kernels then scale the gradient in place instead of adding */
        case L_RELU: relu_backward(y, dy, dx, tot); break;
        case L_LRELU: leaky_relu_backward(y, dy, dx, tot, n->f0); break;
        case L_TANH: tanh_backward(y, dy, dx, tot); break;
        case L_SIGMOID: sigmoid_backward(y, dy, dx, tot); break;
        case L_PRELU: cs_of(n, &C, &S); prelu_backward(x, P(0), dy, dx, G(0), N, C, S, n->i0); break;
        case L_DROPOUT:
            if (train && n->f0 > 0.0f) dropout_backward((float *)n->aux, dy, dx, tot);
            else for (size_t k = 0; k < tot; k++) dx[k] += dy[k];
            break;
        case L_MAXOUT: {
            int F = n->shape[n->ndim - 1];
            maxout_backward((int32_t *)n->aux, dy, dx, tot / F, F, n->i0);
            break;
        }
        case L_RESHAPE: for (size_t k = 0; k < tot; k++) dx[k] += dy[k]; break;
        case L_CONCAT:
            if (n->ndim == 1) concat_backward(dy, dx, b->dout, N, a->shape[0], b->shape[0], 1, 0);
            else concat_backward(dy, dx, b->dout, N, a->shape[0], b->shape[0], a->shape[1] * a->shape[2], n->i0);
            break;
        case L_ADD:
            for (size_t k = 0; k < tot; k++) { dx[k] += dy[k]; b->dout[k] += dy[k]; }
            break;
        case L_PSHUFFLE: pixel_shuffle_backward(dy, dx, N, n->shape[0], a->shape[1], a->shape[2], n->i0); break;
        case L_UPSAMPLE: upsample_backward(dy, dx, N, a->shape[0], a->shape[1], a->shape[2], n->i0, n->i1); break;
        case L_AVGPOOL:
            avgpool_backward(dy, dx, N, a->shape[0], a->shape[1], a->shape[2], n->i0, n->i1, n->i2, n->i3, n->shape[1],
                             n->shape[2]);
            break;
        case L_MAXPOOL:
            maxpool_backward((const int32_t *)n->aux, dy, dx, N, a->shape[0], a->shape[1], a->shape[2], n->shape[1],
                             n->shape[2]);
            break;
        case L_EMBED:
            if (want_pg) embedding_backward(x, dy, G(0), a->numel * N, n->i1);
            break;
        case L_LSTM: {
            int T = n->shape[0], H = n->i1;
            const float *gates = (const float *)n->aux, *cells = gates + (size_t)N * T * 4 * H;
            lstm_backward(x, P(0), P(1), y, gates, cells, dy, dx, G(0), G(1), G(2), G(3), net->scr->tmp, N, T, n->i0, H);
            break;
        }
        }
    }
    return GANC_OK;
}

void ganc_net_flops(const ganc_net_t *net, double *fwd, double *bwd_data, double *bwd_data_input, double *bwd_weights) {
    double f = 0, d = 0, di = 0, w = 0;
    for (int i = 0; i < net->nnodes; i++) {
        const node_t *n = &net->nodes[i];
        double macs = 0;
        if (n->kind == L_CONV || n->kind == L_CONVT || n->kind == L_LINEAR || n->kind == L_LSTM) {
            for (int k = 0; k < 2; k++)
                if (n->t[k] >= 0 && net->ts[n->t[k]].ndim >= 2) {
                    const tensor_t *t = &net->ts[n->t[k]];
                    size_t positions = n->kind == L_CONV ? (size_t)n->shape[1] * n->shape[2]
                                       : n->kind == L_CONVT ? (size_t)net->nodes[n->in[0]].shape[1] * net->nodes[n->in[0]].shape[2]
                                       : n->kind == L_LSTM ? (size_t)n->shape[0]
                                       : net->nodes[n->in[0]].numel / (size_t)n->i0;
                    macs += (double)t->numel * positions;
                }
        }
        f += 2 * macs;
        if (n->kind != L_INPUT && net->nodes[n->in[0]].kind == L_INPUT) di += 2 * macs;
        else d += 2 * macs;
        w += 2 * macs;
    }
    *fwd = f; *bwd_data = d; *bwd_data_input = di; *bwd_weights = w;
}

int ganc_net_grads_finite(const ganc_net_t *net) {
    /* x * 0 is 0 for finite x and NaN for NaN/Inf, so one sum tells (and cannot overflow) */
    float acc = 0.0f;
    for (size_t i = 0; i < net->nparam; i++) acc += net->grads[i] * 0.0f;
    return acc == 0.0f;
}

void ganc_net_zero_grad(ganc_net_t *net) {
    if (net->built) memset(net->grads, 0, sizeof(float) * net->nparam);
}

/* ---- accessors */

float *ganc_net_data(ganc_net_t *net, int id) { return node_of(net, id) && net->built ? net->nodes[id].out : NULL; }
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
float *ganc_net_params(ganc_net_t *net) { return net->params; }
float *ganc_net_param_grads(ganc_net_t *net) { return net->grads; }
size_t ganc_net_nparams(const ganc_net_t *net) { return net->nparam; }
int ganc_net_ntensors(const ganc_net_t *net) { return net->nts; }

int ganc_net_tensor(const ganc_net_t *net, int i, ganc_tensor_info_t *o) {
    if (i < 0 || i >= net->nts || !net->built) return GANC_EINVAL;
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
