/* Internal: the network graph's data structures and the op table that executes it.

   A layer kind is declared once, in GANC_LAYER_KINDS below. The op table of a backend (ops_cpu.c for the CPU) has
   one entry per kind: forward, backward, init, flops and flags. Adding a layer kind:
     1. its kernels (forward + backward side by side) in a file of src/nn, declared in nn.h;
     2. a line in GANC_LAYER_KINDS (enum name, printed name);
     3. its op-table entry in ops_cpu.c (a missing entry is a compile error: the table is generated from the list);
     4. a builder (ganc_net_<kind>) in graph.c that checks shapes, sets the named hyper-parameters and declares the
        parameter tensors.
   Nothing else (in-place rules, gradient planning, flops, the executor) names a kind. */
#ifndef GANC_GRAPH_H
#define GANC_GRAPH_H
#include <stddef.h>
#include <stdint.h>
#include "ganc.h"
#include "nn/nn.h"

#define GANC_LAYER_KINDS(X)                                                                                            \
    X(INPUT, input) X(LINEAR, linear) X(CONV, conv2d) X(CONVT, conv_transpose2d) X(BN, batchnorm) X(RELU, relu)         \
    X(LRELU, leaky_relu) X(PRELU, prelu) X(TANH, tanh) X(SIGMOID, sigmoid) X(DROPOUT, dropout) X(MAXOUT, maxout)        \
    X(RESHAPE, reshape) X(CONCAT, concat) X(ADD, add) X(PSHUFFLE, pixel_shuffle) X(UPSAMPLE, upsample)                 \
    X(AVGPOOL, avgpool) X(EMBED, embedding) X(LSTM, lstm) X(MAXPOOL, maxpool)        \
    X(TRANSPOSE, transpose) X(MEANT, mean_time)

#define GANC_KIND_ENUM(e, n) L_##e,
enum { GANC_LAYER_KINDS(GANC_KIND_ENUM) L_COUNT };
#undef GANC_KIND_ENUM

/* Named hyper-parameters, one struct per kind (the union member is the kind's name). */
typedef union {
    struct { int in; } linear;                              /* in_features */
    struct { int kh, kw, stride, ph, pw; } conv;            /* conv2d and conv_transpose2d */
    struct { float eps, momentum; } bn;
    struct { float slope; } lrelu;
    struct { float p; } dropout;
    struct { int pieces; } maxout;
    struct { int np; } prelu;                               /* 1 or C weights */
    struct { int bcast; } concat;                           /* b is a vector broadcast over H x W */
    struct { int r; } shuffle;
    struct { int factor, mode; } up;                        /* mode 0 nearest, 1 bilinear */
    struct { int k, stride, pad, cip; } pool;               /* cip: count_include_pad (avgpool) */
    struct { int num, dim; } embed;
    struct { int in, hidden; } lstm;
} hparams_t;

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
    size_t numel;            /* per sample */
    int t[4];                /* tensor table indices (weight, bias, running_mean, running_var) or -1 */
    int counter;             /* num_batches_tracked index, -1 if none */
    hparams_t hp;
    size_t aux_per;          /* bytes of saved state per sample */
    size_t aux_fix;          /* bytes of saved state independent of the batch */
    size_t col_per, tmp_per; /* scratch floats per sample */
    size_t col_own;          /* floats of `col` the backend planned for this conv itself (0: the im2col rule) */
    int chunk;               /* samples per im2col/sgemm call (bounds the scratch; conv layers) */
    int marked;              /* an output of the network: keeps its own data and gradient buffers */
    int cl;                  /* data and gradient held channels-last, (N,H,W,C) (planner.c; CPU, when allowed) */
    int inplace;             /* activation computed in its input's buffers (out and dout shared) */
    int pooled;              /* gradient buffer lives in the shared pool (intermediate nodes) */
    size_t goff;             /* its offset in the pool */
    int zr[2], nzr;          /* pooled gradient buffers to clear just before this node's backward */
    float *out, *dout;
    void *aux;
} node_t;

/* Op-table flags */
enum {
    OPF_BW_READS_OUT = 1,   /* backward reads the node's own output: nothing may overwrite it in place */
    OPF_DX_OPTIONAL = 2,    /* backward accepts dx == NULL (input gradient not wanted) and then skips that work */
    OPF_KEEPS_DATA = 4,     /* the node's data belongs to the caller (inputs): never overwritten in place */
    OPF_POINTWISE = 8,      /* element k of the output (and its gradient) from element k of each input alone: works
                               in any layout */
};

typedef struct ganc_net ganc_net_t;
typedef struct {
    const char *name;
    /* y = f(x) for a batch of N; returns GANC_OK or an error (e.g. an embedding index out of range) */
    int (*forward)(ganc_net_t *net, node_t *n, int N, int flags);
    /* add the input gradients (into dx = input 0's gradient, or NULL when not wanted and OPF_DX_OPTIONAL; input 1's
       gradient is read from the node) and, when want_pg, the parameter gradients */
    void (*backward)(ganc_net_t *net, node_t *n, int N, int train, int want_pg, float *dx);
    /* initialise the node's parameters and buffers from r (dcgan: N(0,0.02) weights, BN gamma N(1,0.02)) */
    void (*init)(ganc_net_t *net, node_t *n, ganc_rng_t *r, int dcgan);
    /* multiply-adds per sample of the matrix work (0 for pointwise layers) */
    double (*macs)(const ganc_net_t *net, const node_t *n);
    /* NULL: never in place; else whether this node may run in its input's buffers */
    int (*can_inplace)(const node_t *n);
    int flags;
} layer_ops_t;

/* A backend: its op table, how it allocates the blocks a network owns, and the few whole-block operations that the
   executor, the optimizer and the trainer run between layers. The CPU one is the default; the CUDA one (a build with
   -DGANC_CUDA=ON) keeps every block in memory that the GPU and the host both address (CUDA managed memory) and runs
   the ops and these operations on the GPU, so a host pointer to a block stays valid: host code must call sync() before
   it reads or writes one (the public accessors do). Chosen per network when it is created (ganc_set_device). */
typedef struct {
    const char *name;
    const layer_ops_t *ops; /* L_COUNT entries */
    void *(*alloc)(size_t bytes); /* zeroed */
    void (*release)(void *p);
    void (*sync)(void);                                         /* wait until queued device work is done */
    void (*zero)(float *p, size_t n);                           /* p[0..n) = 0 */
    void (*copy)(float *dst, const float *src, size_t n);       /* src: this backend's memory or plain host memory */
    void (*axpy)(float *y, const float *x, float a, size_t n);  /* y += a x; x as for copy */
    int (*finite)(const float *x, size_t n);                    /* 1 when no NaN or Inf */
    void (*optim)(const ganc_optim_cfg_t *c, int64_t step, float *p, const float *g, float *m, float *v, size_t n);
    /* a GANC_LOSS_* mean over n elements, its gradient times scale added into grad; target as x for copy */
    float (*loss)(int kind, const float *x, const float *target, float t, size_t n, float *grad, float scale);
    size_t col_limit; /* floats of an im2col matrix per convolution call (COL_LIMIT on the CPU) */
    size_t keep_cols; /* bytes per network: a conv2d done in one call may keep its forward im2col matrix in its
                         saved state (aux) for the weight gradient, within this budget (0: never) */
    /* 1 when this backend plans conv2d node n's scratch itself: the batch chunk per call and the floats of `col` it
       needs (0: none, for the direct paths); 0 for the im2col rule above (NULL: always that rule) */
    int (*conv_scratch)(const ganc_net_t *net, const node_t *n, int max_batch, int *chunk, size_t *floats);
    /* whether conv2d node n would run faster with its input (side 0) or its output (side 1) channels-last; NULL:
       this backend holds everything (N,C,H,W) */
    int (*conv_cl)(const ganc_net_t *net, const node_t *n, int side);
} ganc_backend_t;
extern const ganc_backend_t ganc_backend_cpu;
/* the backend that networks created now get (ganc_set_device) */
const ganc_backend_t *ganc_backend_default(void);
/* The CUDA backend, or NULL with the reason in *why when this build or this machine has none (backend_cuda.cu). */
const ganc_backend_t *ganc_backend_cuda(const char **why);
const char *ganc_cuda_describe(void); /* the GPU's name and size, once the backend exists */
/* the CPU Adam/AdamW/SGD update (optim.c), the CPU backend's optim entry */
void ganc_optim_update_cpu(const ganc_optim_cfg_t *c, int64_t step, float *p, const float *g, float *m, float *v,
                           size_t n);

/* Scratch shareable between networks that never run at the same time (G and D): im2col matrices and the pool of
   intermediate gradient buffers (only live during a backward pass). */
typedef struct {
    float *col, *tmp, *pool;
    size_t ncol, ntmp, npool;
    int refs;
} scratch_t;

/* A convolution is computed over chunks of the batch whose im2col matrix (and layout scratch) has at most this many
   floats (8 MB): sgemms stay large (K = chunk*OH*OW for the weight gradient) while the scratch stops growing with the
   batch. */
#define COL_LIMIT ((size_t)1 << 21)

struct ganc_net {
    char name[64];
    const ganc_backend_t *be;
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
    int cl_ok; /* ganc_net_allow_channels_last */
    ganc_rng_t rng;
    int (*bn_reduce)(void *ctx, double *x, size_t n); /* sync BatchNorm: sums over the data-parallel ranks */
    void *bn_ctx;
    int shard, shards; /* data-parallel: this network sees shard `shard` of `shards` of every global batch */
    double *prof;      /* ganc_net_set_profile: per node, forward and backward seconds (2 per node) */
    unsigned char *wants; /* ganc_net_backward: per node, whether a gradient anyone wants lies at or before it */
};

/* Tensor accessors for op implementations: parameter k of node n, its gradient (NULL unless want), buffer k. */
static inline float *op_param(ganc_net_t *net, const node_t *n, int k) {
    return n->t[k] >= 0 ? net->params + net->ts[n->t[k]].off : NULL;
}
static inline float *op_grad(ganc_net_t *net, const node_t *n, int k, int want) {
    return n->t[k] >= 0 && want ? net->grads + net->ts[n->t[k]].off : NULL;
}
static inline float *op_buf(ganc_net_t *net, const node_t *n, int k) { return net->bufs + net->ts[n->t[k]].off; }
static inline size_t op_numel(const ganc_net_t *net, const node_t *n, int k) {
    return n->t[k] >= 0 ? net->ts[n->t[k]].numel : 0;
}
static inline const node_t *op_in(const ganc_net_t *net, const node_t *n, int k) { return &net->nodes[n->in[k]]; }
/* the geometry of a conv2d / conv_transpose2d node for a batch (chunk) of N (ops_cpu.c; every backend's) */
void op_conv_geom(const ganc_net_t *net, const node_t *n, int N, conv_geom_t *g);

/* dropout: when active (train and p > 0), draws the mask of a batch (chunk) of N from the network's generator (a
   data-parallel shard skips the other shards' draws) and returns 1; else 0 (ops_cpu.c; every backend's) */
int op_dropout_mask(ganc_net_t *net, const node_t *n, int N, int train, float *mask);

/* The memory planner (planner.c): decides which activations run in place, which gradient buffers are pooled and
   where, and the scratch sizes; returns GANC_OK or an error (sizes overflow / out of memory). */
typedef struct {
    size_t acts, aux, col, tmp, pool; /* floats (aux: bytes) */
} plan_sizes_t;
int ganc_plan_memory(ganc_net_t *net, int max_batch, plan_sizes_t *sz);
#endif
