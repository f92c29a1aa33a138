/* ganc.h - generative adversarial networks in C.

   ganc is a small C11 library (plus the `ganc` command-line tool) that trains, evaluates and runs GANs on the CPU.
   This header is the whole public API; it is the manual, read it top to bottom.

   CONVENTIONS
   - Tensors are float32, row-major, NCHW. A network's activations have a batch dimension N plus a per-sample shape of
     one to three dims: (C,H,W) for images, (F) for vectors, (T,F) for sequences.
   - Every call that can fail returns an int status: GANC_OK (0) or a negative GANC_E* code. The reason, naming the
     file/layer/tensor and what was expected and found, is in ganc_errmsg() (thread-local, valid until the next
     failing call on the same thread). The library never prints and never exits.
   - Memory: the caller owns what it allocates; objects made by ganc_*_new/open are released by the matching _free.
     A network keeps its parameters, their gradients and its BatchNorm buffers each in ONE contiguous block, in the
     order the layers were added; optimizers keep their moments in blocks of the same layout. Activation buffers are
     allocated once by ganc_net_build() for the largest batch; forward/backward never allocate.
   - Parameter names and layouts are PyTorch's state_dict ones: Conv2d weight [out,in,kh,kw], ConvTranspose2d weight
     [in,out,kh,kw], Linear weight [out,in], BatchNorm weight/bias/running_mean/running_var/num_batches_tracked,
     LSTM weight_ih_l0 [4H,I] / weight_hh_l0 [4H,H] / bias_ih_l0 / bias_hh_l0 (gate order i,f,g,o).
   - Determinism: same seed, same thread count, same build => bit-identical results. No reduction depends on thread
     scheduling.

   BUILDING A NETWORK (example, compiled by tests/test_header_example.c)

       ganc_net_t *net = ganc_net_new("D");
       int shp[3] = {1, 32, 32};
       int x = ganc_net_input(net, "x", 3, shp);
       int h = ganc_net_conv2d(net, "main.0", x, 64, 4, 4, 2, 1, 0);     // -> (64,16,16), no bias
       h = ganc_net_leaky_relu(net, "main.1", h, 0.2f);
       h = ganc_net_conv2d(net, "main.2", h, 1, 16, 16, 1, 0, 0);        // -> (1,1,1)
       if (h < 0 || ganc_net_build(net, 64) != GANC_OK) { fprintf(stderr, "%s\n", ganc_errmsg()); return 1; }
       ganc_net_init_dcgan(net, 1234);                 // N(0,0.02) weights, BN gamma N(1,0.02)
       memcpy(ganc_net_data(net, x), images, 64*1*32*32*sizeof(float));
       ganc_net_forward(net, 64, GANC_TRAIN | GANC_UPDATE_STATS);
       float *logits = ganc_net_data(net, h);
       float loss = ganc_bce_logits(logits, NULL, 1.0f, 64, ganc_net_grad(net, h), 1.0f);
       ganc_net_backward(net, 0);                      // accumulates into ganc_net_param_grads(net)
       ganc_net_free(net);

   Builder calls return a node id (>= 0) or -1 with the reason in ganc_errmsg(); a failed builder call leaves the
   network unusable for building further (every later call returns -1 and ganc_net_build fails with the first error).
   Shapes are checked when a layer is added, so a mismatch names the network and the layer: "D: main.5 (add):
   operand shapes differ". Loading weights checks them against the file: "G.safetensors: tensor main.0.weight has
   shape [100,256,4,4], model expects [100,512,4,4]".
*/
#ifndef GANC_H
#define GANC_H

#include <stddef.h>
#include <stdint.h>
#include <stdio.h>

#ifdef __cplusplus
extern "C" {
#endif

/* ---------------------------------------------------------------- status, threads, random numbers */

enum {
    GANC_OK = 0,
    GANC_EINVAL = -1,   /* bad argument or shape */
    GANC_ENOMEM = -2,   /* allocation failed or a size is over a limit */
    GANC_EIO = -3,      /* read/write/open failed */
    GANC_EFORMAT = -4,  /* malformed file */
    GANC_EMISMATCH = -5, /* file is well-formed but does not fit (names, shapes, dtypes) */
    GANC_ENONFINITE = -6 /* training produced NaN or Inf (the parameters were not updated with it) */
};

const char *ganc_errmsg(void);
/* Record a failure (printf-style) and return `code`; used by the library, usable by embedders. */
int ganc_fail(int code, const char *fmt, ...)
#if defined(__GNUC__)
    __attribute__((format(printf, 2, 3)))
#endif
    ;

/* Thread count for OpenMP regions and BLAS. n <= 0 leaves the default; n is capped at GANC_MAX_THREADS. Results are
   bit-identical for a fixed n. */
#define GANC_MAX_THREADS 1024
void ganc_set_threads(int n);
int ganc_get_threads(void);

/* xoshiro256** generator. Normal draws use Box-Muller on pairs (cached second value is part of the state). */
typedef struct { uint64_t s[4]; int has_spare; float spare; } ganc_rng_t;
void ganc_rng_seed(ganc_rng_t *r, uint64_t seed);
uint64_t ganc_rng_u64(ganc_rng_t *r);
float ganc_rng_uniform(ganc_rng_t *r);            /* [0,1) with 24 random bits */
float ganc_rng_normal(ganc_rng_t *r);             /* N(0,1) */
void ganc_rng_fill_normal(ganc_rng_t *r, float *x, size_t n, float mean, float std);
void ganc_rng_fill_uniform(ganc_rng_t *r, float *x, size_t n, float lo, float hi);
uint32_t ganc_rng_below(ganc_rng_t *r, uint32_t n); /* uniform in [0,n), unbiased */

/* ---------------------------------------------------------------- networks */

typedef struct ganc_net ganc_net_t;

/* forward flags */
enum {
    GANC_TRAIN = 1,        /* training mode: BatchNorm uses batch statistics, Dropout drops */
    GANC_UPDATE_STATS = 2, /* with GANC_TRAIN: update BatchNorm running mean/var and num_batches_tracked */
};
/* backward flags */
enum {
    GANC_NO_PARAM_GRADS = 1, /* only propagate to the inputs (e.g. D while training G) */
    GANC_NO_INPUT_GRADS = 2, /* gradients w.r.t. input nodes, and w.r.t. nodes made from inputs alone by layers
                                without parameters (a concat of inputs), may be skipped (left unspecified) */
};

/* DEVICES. "cpu" (the default) or "cuda": a build configured with -DGANC_CUDA=ON on a machine with an NVIDIA GPU.
   Networks created after the call live on that device (their optimizers and scratch too); everything else, the
   files included, is the same on both. On "cuda" every pointer the library hands out (ganc_net_data, _grad, _params,
   ganc_net_tensor) stays valid for the host: the accessors wait for the GPU first. Returns GANC_OK, or GANC_EINVAL
   with the reason (an unknown name, a build without CUDA, no GPU) and the device unchanged. Not thread-safe. */
int ganc_set_device(const char *name);
const char *ganc_device(void); /* "cpu" or "cuda" */
const char *ganc_device_describe(void); /* "cpu", or the GPU: name, compute capability, SMs, memory */
ganc_net_t *ganc_net_new(const char *name);
void ganc_net_free(ganc_net_t *net);

/* Layers. `name` is the state_dict prefix of the layer's parameters ("main.0"); `x`,`a`,`b` are node ids. */
int ganc_net_input(ganc_net_t *net, const char *name, int ndim, const int *shape);
/* y = x W^T + b over the last dim; leading per-sample dims act as batch (so it also applies per time step). */
int ganc_net_linear(ganc_net_t *net, const char *name, int x, int out_features, int bias);
int ganc_net_conv2d(ganc_net_t *net, const char *name, int x, int out_ch, int kh, int kw, int stride, int pad,
                    int bias);
/* Conv2d with separate padding for height and width (Inception's 1x7 / 7x1 convolutions: padding (0,3) / (3,0)). */
int ganc_net_conv2d_hw(ganc_net_t *net, const char *name, int x, int out_ch, int kh, int kw, int stride, int pad_h,
                       int pad_w, int bias);
/* Conv1d over (C,L) -> (out_ch, L'): a conv2d over (C,1,L) whose weight has PyTorch's Conv1d shape (out, C, k);
   returns the node of the (out_ch, L') result. Max-pooling over time with window = stride = k is ganc_net_maxout
   (its groups are k consecutive steps of the last dim). */
int ganc_net_conv1d(ganc_net_t *net, const char *name, int x, int out_ch, int k, int stride, int pad, int bias);
int ganc_net_conv_transpose2d(ganc_net_t *net, const char *name, int x, int out_ch, int kh, int kw, int stride,
                              int pad, int output_pad, int bias);
/* BatchNorm over dim 1 of (N,C), (N,C,L) or (N,C,H,W). PyTorch conventions: normalisation by the biased batch
   variance, running_var updated with the unbiased one, running = (1-momentum)*running + momentum*batch. */
int ganc_net_batchnorm(ganc_net_t *net, const char *name, int x, float eps, float momentum);
int ganc_net_relu(ganc_net_t *net, const char *name, int x);
int ganc_net_leaky_relu(ganc_net_t *net, const char *name, int x, float slope);
int ganc_net_prelu(ganc_net_t *net, const char *name, int x, int num_parameters); /* 1 or C, init 0.25 */
int ganc_net_tanh(ganc_net_t *net, const char *name, int x);
int ganc_net_sigmoid(ganc_net_t *net, const char *name, int x);
int ganc_net_dropout(ganc_net_t *net, const char *name, int x, float p);
/* Maxout over groups of `pieces` consecutive features of the last dim: (..., F) -> (..., F/pieces). */
int ganc_net_maxout(ganc_net_t *net, const char *name, int x, int pieces);
/* Reshape to a per-sample shape with the same element count (Flatten is ndim=1, shape={numel}). */
int ganc_net_reshape(ganc_net_t *net, const char *name, int x, int ndim, const int *shape);
/* Channel concat. a is (C1,H,W); b is (C2,H,W) or a vector (C2) broadcast over H x W. Vectors (F1)+(F2) too. */
int ganc_net_concat(ganc_net_t *net, const char *name, int a, int b);
int ganc_net_add(ganc_net_t *net, const char *name, int a, int b);
int ganc_net_pixel_shuffle(ganc_net_t *net, const char *name, int x, int r);
/* Upsample by an integer factor; mode GANC_RESAMPLE_NEAREST (0) or _BILINEAR (1): as PyTorch (align_corners=False);
   GANC_RESAMPLE_BICUBIC (3): MATLAB's imresize bicubic (Keys a = -0.5, mirrored edges), the counterpart of the
   super-resolution papers' degradation (PyTorch's bicubic differs: a = -0.75, clamped edges). */
int ganc_net_upsample(ganc_net_t *net, const char *name, int x, int factor, int mode);
int ganc_net_avgpool(ganc_net_t *net, const char *name, int x, int k, int stride);
/* AvgPool2d(k, stride, padding, count_include_pad) as PyTorch (floor mode): with count_include_pad = 0 the divisor
   is the number of pixels of the window inside the image. */
int ganc_net_avgpool_pad(ganc_net_t *net, const char *name, int x, int k, int stride, int pad, int count_include_pad);
/* MaxPool2d(k, stride, padding) as PyTorch (padding counts as -inf, floor mode, ties to the first maximum). */
int ganc_net_maxpool(ganc_net_t *net, const char *name, int x, int k, int stride, int pad);
/* Embedding: x holds indices stored as floats (exact below 2^24), shape (T) -> (T,dim); index out of range is an
   error reported by ganc_net_forward. */
int ganc_net_embedding(ganc_net_t *net, const char *name, int x, int num, int dim);
/* Single-layer unidirectional LSTM, batch_first: (T,I) -> (T,H), zero initial state, full backprop through time. */
int ganc_net_lstm(ganc_net_t *net, const char *name, int x, int hidden);
/* Transpose of each sample's matrix: (A,B) -> (B,A) (channels-first convolution output -> a sequence for the LSTM). */
int ganc_net_transpose(ganc_net_t *net, const char *name, int x);
/* Mean over time: (T,H) -> (H). With len >= 0 (a node of shape (1) per sample, usually an input holding each
   sample's valid length, an integer in 1..T) only the first len steps count: the masked mean of padded sequences.
   No gradient flows into len. len = -1: the mean over all T steps. */
int ganc_net_mean_time(ganc_net_t *net, const char *name, int x, int len);

/* Allocate parameters, gradients, buffers and activations for batches up to max_batch; init PyTorch-default. */
int ganc_net_build(ganc_net_t *net, int max_batch);
/* Let b use a's scratch (im2col matrices and the pool of intermediate gradients, grown to fit both) instead of its
   own: saves memory when two networks never run at the same time, like G and D in one training loop (a forward
   or backward of one must not be interleaved with a backward of the other). Both must be built. */
int ganc_net_share_scratch(ganc_net_t *a, ganc_net_t *b);
/* Initialise: PyTorch's defaults per layer / DCGAN's N(0,0.02) conv+linear weights, zero bias, BN gamma N(1,0.02). */
void ganc_net_init_default(ganc_net_t *net, uint64_t seed);
void ganc_net_init_dcgan(ganc_net_t *net, uint64_t seed);
/* Seed of the network's own generator (Dropout masks). */
void ganc_net_seed(ganc_net_t *net, uint64_t seed);
ganc_rng_t *ganc_net_rng(ganc_net_t *net);

/* Run the graph. Inputs must be filled through ganc_net_data(input node). Returns GANC_OK or an error. */
int ganc_net_forward(ganc_net_t *net, int batch, int flags);
/* Backward in reverse order from the gradients written into ganc_net_grad(out) since the last forward. Parameter
   gradients accumulate (+=) until ganc_net_zero_grad; gradients w.r.t. input nodes are left in ganc_net_grad(in). */
int ganc_net_backward(ganc_net_t *net, int flags);
void ganc_net_zero_grad(ganc_net_t *net);
/* 1 when every parameter gradient is finite. */
int ganc_net_grads_finite(const ganc_net_t *net);
int ganc_net_params_finite(const ganc_net_t *net); /* 1 when no parameter is NaN or Inf */
/* Floating-point operations per sample (2 per multiply-add, matrix layers only: Linear, Conv2d, ConvTranspose2d,
   LSTM; pointwise work is not counted): forward; backward w.r.t. activations, split into layers reading an input
   node, or a node made from inputs alone without parameters (skipped with GANC_NO_INPUT_GRADS), and the rest;
   backward w.r.t. weights. */
void ganc_net_flops(const ganc_net_t *net, double *fwd, double *bwd_data, double *bwd_data_input, double *bwd_weights);

/* Activation buffer (max_batch * per-sample). A ReLU/LeakyReLU/Tanh/Sigmoid that is the only reader of its input
   runs in place (as PyTorch's inplace=True): the input node's buffer then holds the activated values. */
float *ganc_net_data(ganc_net_t *net, int node);
/* Gradient buffer of a node's output. The first call after a forward zeroes the gradients of the network's inputs
   and outputs (nodes nothing reads, and nodes marked with ganc_net_mark_output), where callers write and read
   gradients. Other intermediate nodes' gradient buffers are pooled and reused during backward: asking for one
   returns NULL with the reason in ganc_errmsg() (mark the node instead). */
float *ganc_net_grad(ganc_net_t *net, int node);

/* WIRING NETWORKS TOGETHER (perceptual losses, feature matching, G feeding D, a frozen feature network)
   Mark, before ganc_net_build, every intermediate node a loss will read or write: it then keeps its own data
   buffer (no later activation runs in place over it) and its own gradient buffer, which backward adds into.
   After a forward, ganc_net_add_grad adds scale * g (batch x per-sample elements) into a node's gradient, so
   several losses on several nodes sum. ganc_net_set_input copies n samples into an input node; ganc_net_feed
   copies the last forward's batch of src_node (any node of another network) into an input of dst. The usual
   chain for a loss L(F(G(z))) with a frozen F: forward G; feed F's input from G's output; forward F; write the
   loss gradient at F's output; backward F with GANC_NO_PARAM_GRADS; ganc_net_add_grad(G, out, grad of F's
   input, 1); backward G. */
int ganc_net_mark_output(ganc_net_t *net, int node);
/* Before ganc_net_build: let the backend hold activations that only convolutions and pointwise layers (activations,
   add) read and write channels-last, (N,H,W,C), where its convolutions run faster that way (on the CPU: Winograd's
   3x3 layers and convolutions over small planes, e.g. SimGAN's). Inputs, outputs and marked nodes stay (N,C,H,W);
   ganc_net_data and ganc_net_grad of another intermediate node may then return that layout. Off by default. */
int ganc_net_allow_channels_last(ganc_net_t *net, int on);
/* Data-parallel training. Sync BatchNorm: training-mode BatchNorm sums its per-channel statistics through reduce
   (e.g. ganc_dist_sum) so every rank normalises with the global batch's; NULL turns it off. Shard: the network sees
   shard `shard` of `shards` equal parts of every global batch; Dropout then draws the masks of the whole global
   batch from its stream and uses its part (so N ranks x B/N draw what 1 rank x B draws). */
void ganc_net_set_bn_reduce(ganc_net_t *net, int (*reduce)(void *ctx, double *x, size_t n), void *ctx);
int ganc_net_set_shard(ganc_net_t *net, int shard, int shards);
int ganc_net_add_grad(ganc_net_t *net, int node, const float *g, float scale);
int ganc_net_set_input(ganc_net_t *net, int input_node, const float *x, int n);
int ganc_net_feed(ganc_net_t *dst, int dst_input, ganc_net_t *src, int src_node);
int ganc_net_ndim(const ganc_net_t *net, int node);        /* per-sample dims */
const int *ganc_net_shape(const ganc_net_t *net, int node); /* per-sample shape */
size_t ganc_net_numel(const ganc_net_t *net, int node);    /* per-sample element count */
int ganc_net_batch(const ganc_net_t *net);                 /* batch of the last forward */
int ganc_net_nnodes(const ganc_net_t *net);                /* node ids are 0..nnodes-1, in order */
const char *ganc_net_node_name(const ganc_net_t *net, int node); /* the layer name given when it was added */
/* Profiling (bench/, tuning): once on (after the last layer is added), every forward and backward adds the wall time
   of each node's op into that node's totals, waiting for the device after each op; ganc_net_profile reads them
   (seconds) with the op's kind ("conv2d", "batchnorm", ...). Turning it on again resets the totals; off frees them. */
int ganc_net_set_profile(ganc_net_t *net, int on);
int ganc_net_profile(const ganc_net_t *net, int node, const char **kind, double *fw_s, double *bw_s);
const char *ganc_net_node_kind(const ganc_net_t *net, int node); /* "conv2d", "leaky_relu", "batchnorm", ... */
int ganc_net_max_batch(const ganc_net_t *net);
const char *ganc_net_name(const ganc_net_t *net);

/* Parameter table. Kind: 0 = trainable parameter (in the param/grad blocks), 1 = float buffer (running stats),
   2 = int64 counter (num_batches_tracked). */
enum { GANC_PARAM = 0, GANC_BUFFER = 1, GANC_COUNTER = 2 };
typedef struct {
    const char *name; /* full state_dict name */
    int kind, ndim;
    int64_t shape[4];
    size_t numel;
    float *data;      /* GANC_PARAM, GANC_BUFFER */
    float *grad;      /* GANC_PARAM */
    int64_t *counter; /* GANC_COUNTER */
} ganc_tensor_info_t;
int ganc_net_ntensors(const ganc_net_t *net);
int ganc_net_tensor(const ganc_net_t *net, int i, ganc_tensor_info_t *out);
int ganc_net_find(const ganc_net_t *net, const char *name, ganc_tensor_info_t *out); /* GANC_OK or GANC_EINVAL */
float *ganc_net_params(ganc_net_t *net);      /* the parameter block */
float *ganc_net_param_grads(ganc_net_t *net); /* the gradient block, same layout */
size_t ganc_net_nparams(const ganc_net_t *net);

/* ---------------------------------------------------------------- losses (mean over n elements)
   Each returns the loss and, when grad != NULL, ADDS scale * dloss/dx to grad. */

/* Binary cross-entropy on logits, numerically stable for any logit. target == NULL means every target = t. */
float ganc_bce_logits(const float *logits, const float *target, float t, size_t n, float *grad, float scale);
float ganc_mse(const float *x, const float *target, size_t n, float *grad, float scale);
/* the mean of sigmoid(logits): a discriminator's mean D(.) over a batch, summed in double */
float ganc_mean_sigmoid(const float *logits, size_t n);
float ganc_l1(const float *x, const float *target, size_t n, float *grad, float scale);
/* The same losses on a node of a network, computed where the network lives (on a GPU the data stays there): the
   loss of the last forward's batch (batch x per-sample elements of node) against target (as many elements, in plain
   host memory or a block of this network; NULL for BCE with every target = t) goes to *loss, and scale * its gradient
   is ADDED into the node's gradient (as ganc_net_add_grad; the node must be an output or marked). */
enum { GANC_LOSS_BCE_LOGITS, GANC_LOSS_MSE, GANC_LOSS_L1 };
int ganc_net_loss(ganc_net_t *net, int node, int kind, const float *target, float t, float scale, float *loss);
/* Softmax cross-entropy of logits (n, classes) against integer labels, mean over n. */
float ganc_softmax_xent(const float *logits, const int *labels, int n, int classes, float *grad, float scale);
/* Row-wise softmax of logits (n, classes) into probs (n, classes), max-subtracted, sums in double. */
void ganc_softmax_rows(const float *logits, int n, int classes, float *probs);

/* ---------------------------------------------------------------- optimizers
   One optimizer per network; its moments are blocks of the parameter block's layout. */

typedef struct ganc_optim ganc_optim_t;
typedef struct {
    int kind;           /* GANC_ADAM, GANC_ADAMW, GANC_SGD */
    float lr, beta1, beta2, eps, weight_decay;
    float momentum, dampening; /* SGD */
    int nesterov;              /* SGD */
} ganc_optim_cfg_t;
enum { GANC_ADAM = 0, GANC_ADAMW = 1, GANC_SGD = 2 };
ganc_optim_cfg_t ganc_adam_cfg(float lr, float beta1, float beta2); /* eps 1e-8, no weight decay */
ganc_optim_t *ganc_optim_new(ganc_net_t *net, ganc_optim_cfg_t cfg);
void ganc_optim_free(ganc_optim_t *opt);
/* One step over all GANC_PARAM tensors, PyTorch's update rules (Adam with bias correction, L2 weight decay for Adam,
   decoupled for AdamW; SGD with momentum/dampening/nesterov). */
void ganc_optim_step(ganc_optim_t *opt);
ganc_optim_cfg_t *ganc_optim_cfg(ganc_optim_t *opt);
int64_t *ganc_optim_step_count(ganc_optim_t *opt);
float *ganc_optim_m(ganc_optim_t *opt); /* Adam first moment / SGD momentum buffer */
float *ganc_optim_v(ganc_optim_t *opt); /* Adam second moment (NULL for SGD) */

/* ---------------------------------------------------------------- safetensors
   Reader: validates the whole header before anything is trusted (header size limit 100 MB, offsets in range,
   non-overlapping, covering the data exactly, shape products matching byte lengths, overflow-checked). */

enum { GANC_F32, GANC_F64, GANC_F16, GANC_BF16, GANC_I64, GANC_I32, GANC_I16, GANC_I8, GANC_U8, GANC_BOOL,
       GANC_U16, GANC_U32, GANC_U64, GANC_NDTYPES };
const char *ganc_dtype_name(int dtype);
size_t ganc_dtype_size(int dtype);

typedef struct ganc_st ganc_st_t;
typedef struct {
    const char *name;
    int dtype, ndim;
    int64_t shape[8];
    size_t numel, nbytes;
    const void *data; /* little-endian bytes inside the file image */
} ganc_st_tensor_t;

int ganc_st_open(ganc_st_t **out, const char *path);
/* The same from bytes in memory (copied; `name` labels messages), e.g. weights compiled into a program. */
int ganc_st_open_mem(ganc_st_t **out, const char *name, const void *data, size_t len);
void ganc_st_free(ganc_st_t *st);
int ganc_st_count(const ganc_st_t *st);
const ganc_st_tensor_t *ganc_st_get(const ganc_st_t *st, int i);
const ganc_st_tensor_t *ganc_st_find(const ganc_st_t *st, const char *name);
const char *ganc_st_meta(const ganc_st_t *st, const char *key); /* __metadata__ value or NULL */
int ganc_st_meta_count(const ganc_st_t *st);
void ganc_st_meta_at(const ganc_st_t *st, int i, const char **key, const char **value);
const char *ganc_st_path(const ganc_st_t *st);

/* Writer: collect tensors (pointers must stay valid until ganc_stw_write), then write atomically. */
typedef struct ganc_stw ganc_stw_t;
ganc_stw_t *ganc_stw_new(void);
void ganc_stw_free(ganc_stw_t *w);
int ganc_stw_add(ganc_stw_t *w, const char *name, int dtype, int ndim, const int64_t *shape, const void *data);
int ganc_stw_meta(ganc_stw_t *w, const char *key, const char *value);
int ganc_stw_write(ganc_stw_t *w, const char *path); /* temp file + fsync + rename */

/* Network <-> safetensors, by state_dict name. `prefix` ("" or e.g. "G.") is prepended to every name. Loading
   checks every name, dtype and shape and names the file and tensor on a mismatch; tensors in the file that the
   network lacks are an error too unless allow_extra. */
int ganc_net_save(ganc_net_t *net, const char *path, const char *const *meta_kv, int nmeta);
int ganc_net_add_to(ganc_net_t *net, ganc_stw_t *w, const char *prefix);
int ganc_net_load_from(ganc_net_t *net, const ganc_st_t *st, const char *prefix, int allow_extra);
int ganc_net_load(ganc_net_t *net, const char *path);

/* ---------------------------------------------------------------- metadata and numbers
   Key/value metadata collected for a file, in insertion order (setting a key again replaces its value); the
   strings are copied into the struct, so it needs no freeing. */
#define GANC_META_MAX 96
typedef struct {
    int n;
    size_t used;
    const char *kv[2 * GANC_META_MAX]; /* key, value, key, value, ... (what ganc_net_save takes) */
    char pool[16384];
} ganc_meta_t;
void ganc_meta_init(ganc_meta_t *m);
int ganc_meta_set(ganc_meta_t *m, const char *key, const char *value);
const char *ganc_meta_get(const ganc_meta_t *m, const char *key);
int ganc_meta_write(const ganc_meta_t *m, ganc_stw_t *w);
/* Validated numbers (flags and file metadata): the whole string, in [lo, hi], finite; GANC_OK or GANC_EINVAL. */
int ganc_parse_i64(const char *s, long long lo, long long hi, long long *out);
int ganc_parse_u64(const char *s, unsigned long long *out);
int ganc_parse_f64(const char *s, double lo, double hi, double *out);

/* ---------------------------------------------------------------- files */

/* Write `len` bytes to path atomically: path.tmp.PID, fsync, rename, fsync of the folder. */
int ganc_write_file_atomic(const char *path, const void *data, size_t len);
/* Open path for reading if it is a regular file (never blocking on a FIFO or device): an fd, or -1 with the
   reason in ganc_errmsg(). */
int ganc_open_regular(const char *path);
/* Read a whole file (limit bytes at most; regular files only). */
int ganc_read_file(const char *path, size_t limit, unsigned char **data, size_t *len);

/* NumPy .npy v1/v2/v3. Write uint8, float32 or int64 C-order arrays; read float32/float64/uint8/int64 (converted to
   float: int64 exactly within +-2^24; ganc_npy_read also says which dtype the file held). */
int ganc_npy_write(const char *path, int dtype, int ndim, const int64_t *shape, const void *data);
/* The same, streamed: the header for the whole shape, then the elements appended in C order, a chunk at a time
   (memory stays that of a chunk); close commits (temp file, fsync, rename) only when exactly every element was
   appended, abort removes the temp file. open returns NULL with the reason in ganc_errmsg(). */
typedef struct ganc_npyw ganc_npyw_t;
ganc_npyw_t *ganc_npyw_open(const char *path, int dtype, int ndim, const int64_t *shape);
int ganc_npyw_append(ganc_npyw_t *w, const void *data, size_t numel);
int ganc_npyw_close(ganc_npyw_t *w);
void ganc_npyw_abort(ganc_npyw_t *w);
int ganc_npy_read_f32(const char *path, int *ndim, int64_t shape[8], float **data);
int ganc_npy_read(const char *path, int *dtype, int *ndim, int64_t shape[8], float **data);
int ganc_npy_parse_f32(const char *name, const unsigned char *buf, size_t len, int *ndim, int64_t shape[8],
                       float **data);
int ganc_npy_parse(const char *name, const unsigned char *buf, size_t len, int *dtype, int *ndim, int64_t shape[8],
                   float **data);

/* IDX (MNIST layout), raw or gzip. Images: (n, rows, cols) uint8; labels: (n) uint8. Caller frees. */
int ganc_idx_read(const char *path, int *ndim, int64_t dims[4], unsigned char **data, size_t max_bytes);

/* Images. Decoded images are 8-bit, channels 1 (grey), 3 (RGB) or 4 (RGBA), HWC order. */
typedef struct { int w, h, c; unsigned char *px; } ganc_image_t;
int ganc_image_load(const char *path, ganc_image_t *img); /* PNG or JPEG by content; size limit 16384x16384 */
int ganc_image_decode(const char *name, const unsigned char *buf, size_t len, ganc_image_t *img);
int ganc_png_write(const char *path, const unsigned char *hwc, int w, int h, int c);
/* The same PNG in memory (*out malloc'd, caller frees). */
int ganc_png_encode(const unsigned char *hwc, int w, int h, int c, unsigned char **out, size_t *len);
void ganc_image_free(ganc_image_t *img);
/* bytes (h,w,c) -> floats (nc,h,w) in [-1,1] (nc 1 or 3): alpha composited onto white, grey repeated over RGB, RGB
   to grey as BT.601 luma */
void ganc_image_planes(const ganc_image_t *img, int nc, float *x);
/* floats (nc,h,w) in [-1,1] -> a new 8-bit image (rounded, clamped); free with ganc_image_free */
int ganc_planes_image(const float *x, int nc, int h, int w, ganc_image_t *img);
/* img reduced k times (1..64) with MATLAB's antialiased bicubic into a new image *out ((w/k) x (h/k), 3 channels for
   colour, 1 for grey; the right and bottom remainders of w and h modulo k are dropped); free with ganc_image_free */
int ganc_image_shrink(const ganc_image_t *img, int k, ganc_image_t *out);
/* Tile n images of (c,h,w) floats in [-1,1] into a grid PNG with `cols` columns (at most n) and 2 px padding; a grid
   or image wider or taller than GANC_IMG_MAX_SIDE is refused with its size in the message. */
#define GANC_IMG_MAX_SIDE 32768
int ganc_grid_png(const char *path, const float *x, int n, int c, int h, int w, int cols);

/* ---------------------------------------------------------------- datasets
   A dataset is decoded once into memory as float32 NCHW in [-1,1] (or as bytes: GANC_DS_U8) at the model's
   resolution (and labels when the source has them). Sources:
     "fashion-mnist" / "fashion-mnist:train" / "fashion-mnist:test"  Debian's dataset-fashion-mnist IDX files
     "idx:IMAGES[,LABELS]"                                           any MNIST-layout IDX pair, raw or .gz
     "sklearn-digits[:FILE]"   scikit-learn's 1,797 real handwritten 8x8 digits (16 grey levels, labels 0..9):
                               digits.csv.gz of Debian's python3-sklearn, or of its copy unpacked under data/sklearn
                               by scripts/get_digits.sh (ganc_digits_path says where it was found); ink is bright
     "emoji[:PATH]" / "emoji-heldout[:PATH]"  the captioned emoji's training split / held-out 10% (ganc_emoji_load),
                               labelled by category (0..7)
     a folder with images.npy  labelled arrays: images.npy uint8 (N,C,H,W) or (N,H,W), C 1 or 3, and (optional)
                               labels.npy int64 (N,) with labels 0..999 (what `ganc synth` and `ganc refine` write)
     a folder                                                         every .png/.jpg/.jpeg in it (sorted by name)
   Geometry: 28x28 sources at size 32 are padded with 2 pixels of background (-1) on each side; otherwise the shorter
   side is resized to `size` (antialiased triangle filter) and the centre is cropped. Colour: channels=1 converts
   RGB to grey with BT.601 weights, channels=3 repeats grey; alpha is composited onto a white background. */
typedef struct {
    int n, c, h, w;
    float *x;       /* n*c*h*w, or NULL when held compactly (GANC_DS_U8) */
    unsigned char *u8; /* GANC_DS_U8: n*c*(h-2pad)*(w-2pad) bytes, pixel value lut[byte] */
    int pad;        /* GANC_DS_U8: border of background (lut[0]) added around each stored image per batch: 28x28 IDX
                       images at size 32 are stored as the file's 28x28 bytes (2; else 0), one grey plane per image
                       (repeated per channel), zero-run encoded: image i is u8[off[i] .. off[i+1]) */
    size_t *off;
    float lut[256];
    int *labels;    /* n, or NULL */
    int nclasses;   /* 0 when unlabelled */
    int skipped;    /* undecodable files skipped (folder sources) */
} ganc_dataset_t;
/* GANC_SKIP_BAD: folder sources skip files that cannot be decoded (else the first one is an error).
   GANC_DS_U8: hold the images as bytes (a quarter of the memory; what the training loader reads, converting a batch
   at a time): byte q = round((x+1)*127.5), value lut[q] = what the conversion gives a constant image of grey level
   q. For IDX sources (Fashion-MNIST) the bytes are the file's and the values identical to the float path; resized
   sources lose at most half a grey level (1/255). */
enum { GANC_SKIP_BAD = 1, GANC_DS_U8 = 2 };
int ganc_dataset_load(ganc_dataset_t *ds, const char *source, int size, int channels, int flags);
int ganc_digits_path(char *buf, size_t cap);
/* Synthetic labelled digits (SimGAN's synthetic domain, src/data/synth.c): n grey images of size x size bytes (ink
   bright on black) into px, labels[i] = i % 10, rendered through FreeType from the given font files (TrueType/
   OpenType: each must have the ten digits) with a random font, height (85-100%), aspect, rotation (+-15 degrees),
   shear (+-0.3), stroke weight and offset drawn from the stream (seed, i): the same seed gives the same bytes. Needs a
   build with FreeType (ganc_have_freetype; otherwise GANC_EINVAL saying how to get it). Drawn at 4x and box-averaged
   (anti-aliased grey edges), or with GANC_SYNTH_MONO point-sampled and thresholded: pure black and white, as a
   renderer without anti-aliasing draws. */
enum { GANC_SYNTH_MONO = 1 };
int ganc_synth_digits(int n, uint64_t seed, int size, const char *const *fonts, int nfonts, int flags,
                      unsigned char *px, int *labels);
int ganc_have_freetype(void);
void ganc_dataset_free(ganc_dataset_t *ds);
/* The .png/.jpg/.jpeg files of a folder (hidden files skipped), as "dir/name" paths sorted by name: the order a
   folder dataset uses. Free with ganc_free_list. An empty folder is an error. */
int ganc_list_images(const char *dir, char ***paths, int *n);
void ganc_free_list(char **paths, int n);
/* Resize+crop one decoded image to (channels,size,size) floats in [-1,1] by the rules above. */
int ganc_image_to_tensor(const ganc_image_t *img, int size, int channels, float *out);

/* Seeded shuffled minibatches: epoch e uses the permutation drawn from (seed, e), so (epoch, pos) is the whole
   state of the order, and a resumed run sees exactly the batches an uninterrupted one would. */
typedef struct {
    const ganc_dataset_t *ds;
    uint64_t seed;
    int64_t epoch, pos;
    int *perm;
} ganc_loader_t;
int ganc_loader_init(ganc_loader_t *l, const ganc_dataset_t *ds, uint64_t seed, int64_t epoch, int64_t pos);
/* Copy the next `batch` samples (and labels if labels != NULL); a new epoch starts when fewer than batch remain. */
void ganc_loader_next(ganc_loader_t *l, int batch, float *x, int *labels);
/* The same order as indices only (for sources the caller holds itself, e.g. photos to crop): idx[batch]. */
void ganc_loader_next_idx(ganc_loader_t *l, int batch, int *idx);
void ganc_loader_free(ganc_loader_t *l);

/* ---------------------------------------------------------------- the trainer (src/train)
   What every model family trains with. A family builds its networks and registers them, each with an optimizer
   (trained) or NULL (frozen: a feature network used by a loss; never updated, not saved in the state), registers
   its random streams, and writes its step: forwards, losses, backwards, then ganc_trainer_update for each trained
   network, which runs the gradient-sync hook (data-parallel training plugs an allreduce in here; identity when
   unset), refuses a non-finite loss or gradient (GANC_ENONFINITE naming the step and the network, parameters left
   as they were), and steps the optimizer. The state (ganc_trainer_state_add/load) holds every trained network
   under "NAME.", its optimizer as "optNAME.m|v|step", "step", "data.epoch", "data.pos", and every stream as
   "NAME.state|has_spare|spare". The trainer owns the networks it is given (also when registering fails). */
typedef struct ganc_trainer ganc_trainer_t;
/* called once per trained network per update, on its flat gradient block; a non-zero return stops the update */
typedef int (*ganc_grad_sync_fn)(void *ctx, float *grads, size_t n);
ganc_trainer_t *ganc_trainer_new(void);
void ganc_trainer_free(ganc_trainer_t *t);
/* returns the network's index (>= 0) or a negative status */
int ganc_trainer_add_net(ganc_trainer_t *t, const char *name, ganc_net_t *net, const ganc_optim_cfg_t *opt);
int ganc_trainer_add_rng(ganc_trainer_t *t, const char *name, ganc_rng_t *rng); /* rng stays the caller's */
/* A float array that is part of the training state (SimGAN's history of refined images): numel floats in entries of
   `entry` elements, *count of them in use; saved as "NAME" and "NAME.count", loaded back (count checked against the
   capacity, values finite). data and count stay the caller's. */
int ganc_trainer_add_buffer(ganc_trainer_t *t, const char *name, float *data, size_t numel, size_t entry,
                            int64_t *count);
void ganc_trainer_set_grad_sync(ganc_trainer_t *t, ganc_grad_sync_fn fn, void *ctx);
/* sync hook -> finite check (loss and gradients) -> optimizer step, for trained network i */
int ganc_trainer_update(ganc_trainer_t *t, int i, float loss);
int ganc_trainer_nnets(const ganc_trainer_t *t);
ganc_net_t *ganc_trainer_net(ganc_trainer_t *t, int i);
ganc_optim_t *ganc_trainer_optim(ganc_trainer_t *t, int i); /* NULL when frozen */
int ganc_trainer_find(const ganc_trainer_t *t, const char *name); /* index or -1 */
int64_t ganc_trainer_step(const ganc_trainer_t *t);
void ganc_trainer_count_step(ganc_trainer_t *t);
void ganc_trainer_set_data_pos(ganc_trainer_t *t, int64_t epoch, int64_t pos);
void ganc_trainer_data_pos(const ganc_trainer_t *t, int64_t *epoch, int64_t *pos);
void ganc_trainer_set_lr(ganc_trainer_t *t, float lr); /* every optimizer */
int ganc_trainer_state_add(ganc_trainer_t *t, ganc_stw_t *w);
int ganc_trainer_state_load(ganc_trainer_t *t, const ganc_st_t *st);

/* ---------------------------------------------------------------- data-parallel training (src/dist)
   Built with -DGANC_MPI=ON and started by mpirun/srun, ganc runs one process per rank; otherwise (or started
   directly) it is one process and these calls are the identity. The usual wiring: ganc_trainer_set_grad_sync(t,
   ganc_dist_grad_mean, NULL) averages every trained network's gradients over the ranks (one allreduce per network
   per step); ganc_net_set_bn_reduce(net, ganc_dist_sum, NULL) makes BatchNorm use the statistics of the global batch
   (sync BN). */
int ganc_dist_init(int *argc, char ***argv);
void ganc_dist_finalize(void);
int ganc_dist_rank(void);
int ganc_dist_size(void);
int ganc_dist_built_with_mpi(void);
void ganc_dist_abort(int code); /* stop every rank (a failure on one must never hang the others) */
/* the gradient-sync hook: g (n) <- mean over ranks */
int ganc_dist_grad_mean(void *ctx, float *g, size_t n);
/* x (n) <- sum over ranks */
int ganc_dist_sum(void *ctx, double *x, size_t n);
int ganc_dist_max(int v); /* max over ranks: every rank agrees on a flag */

/* ---------------------------------------------------------------- GAN models (src/models/gan.c)
   One generator/discriminator pair per configuration, trained by one loop:

   GANC_ARCH_DCGAN (Radford et al. 2015): the networks of pytorch/examples/dcgan, with the same state_dict names
   (a Sequential called `main`):
   size 64: G = ConvT(nz,8g,4,1,0) BN ReLU, ConvT(8g,4g,4,2,1) BN ReLU, ConvT(4g,2g) BN ReLU, ConvT(2g,g) BN ReLU,
            ConvT(g,nc,4,2,1) Tanh;  D = Conv(nc,d,4,2,1) LReLU(0.2), Conv(d,2d) BN LReLU, Conv(2d,4d) BN LReLU,
            Conv(4d,8d) BN LReLU, Conv(8d,1,4,1,0)  [the final Sigmoid is folded into the loss]
   size 32: one block fewer on each side (G starts at 4g, D ends at 4d); 16 and 8 (LAPGAN's coarsest level) one and
   two fewer again (size 8: G = ConvT(nz,g,4,1,0) BN ReLU, ConvT(g,nc,4,2,1) Tanh; D = Conv(nc,d,4,2,1) LReLU,
   Conv(d,1,4,1,0)). No biases, BN eps 1e-5 momentum 0.1.
   Initialisation N(0,0.02) (BN gamma N(1,0.02)).

   GANC_ARCH_MLP (Goodfellow et al. 2014, the MNIST networks of the paper's code): a Sequential called `model`:
   G = Linear(nz,h) ReLU, Linear(h,h) ReLU, Linear(h,nc*size*size) Tanh  (h = g_hidden, default 1200);
   D = Flatten, Dropout(q), Linear(in,u*k) Maxout(k), Dropout(p), Linear(u,u*k) Maxout(k), Dropout(p), Linear(u,1)
   (u = d_units 240, k = d_pieces 5, p = d_dropout 0.5, q = d_in_dropout 0.2). PyTorch's default initialisation. Images stay in [-1,1]
   (tanh output, where the paper's code used a sigmoid on [0,1]).

   Conditioning (Mirza & Osindero 2014), n_classes > 0: a one-hot label vector y is a second input of both nets.
   MLP: concatenated with z at G's input and with the flattened image at D's input (after its input Dropout, which
   applies to the image only). DCGAN: concatenated with z as (nz+classes,1,1) channels, and broadcast over H x W as `classes`
   extra channels of D's input image. So the first layer of each net has n_classes more input features/channels;
   every other name and shape is that of the unconditional model. */
enum { GANC_ARCH_DCGAN = 0, GANC_ARCH_MLP = 1 };
typedef struct {
    int size, nz, ngf, ndf, nc; /* image size (8/16/32/64 for DCGAN, 4..128 for MLP), latent size, widths, channels */
    int arch;                   /* GANC_ARCH_DCGAN or GANC_ARCH_MLP */
    int n_classes;              /* 0: unconditional; 2..1000: conditional on a one-hot label */
    int g_hidden, d_units, d_pieces; /* MLP only */
    float d_dropout, d_in_dropout;   /* MLP only */
} ganc_gan_cfg_t;
ganc_gan_cfg_t ganc_gan_default_cfg(void); /* DCGAN size 32, nz 100, ngf 64, ndf 64, nc 1, unconditional */
ganc_gan_cfg_t ganc_gan_default_mlp_cfg(void); /* MLP size 32, nz 100, h 1200, 240 units x 5 pieces, dropout .5 */
int ganc_gan_check_cfg(const ganc_gan_cfg_t *cfg);
/* The input/output node ids of one network: z and y (G) or x and y (D); y is -1 when unconditional. */
typedef struct { int in, y, out; } ganc_gan_io_t;
/* Build G (z input (nz,1,1) for DCGAN, (nz) for MLP; output (nc,size,size) in [-1,1]) or D (output: one logit). */
ganc_net_t *ganc_gan_generator(const ganc_gan_cfg_t *cfg, int max_batch, ganc_gan_io_t *io);
ganc_net_t *ganc_gan_discriminator(const ganc_gan_cfg_t *cfg, int max_batch, ganc_gan_io_t *io);
/* Write the one-hot rows of n labels into y (n, classes); labels must be in [0, classes). */
void ganc_one_hot(const int *labels, int n, int classes, float *y);
/* Architecture from a weights file: from its metadata (kind=dcgan|gan, size, nz, ngf, ndf, nc, classes, and the
   MLP sizes) or, when it has none, from the tensor shapes (an unconditional DCGAN G or D as pytorch/examples saves
   them). *is_g tells which network the file holds. */
int ganc_gan_cfg_from_file(const ganc_st_t *st, ganc_gan_cfg_t *cfg, int *is_g);

typedef struct {
    float loss_d, loss_g, d_x, d_g_z1, d_g_z2; /* D(x) and D(G(z)) are mean probabilities */
} ganc_gan_stats_t;

/* G's objective. NS (non-saturating, the paper's practical choice and pytorch/examples'): minimise -log D(G(z)).
   MINIMAX (the paper's game): minimise log(1 - D(G(z))); loss_g then reports that (negative) value. */
enum { GANC_LOSS_NS = 0, GANC_LOSS_MINIMAX = 1 };
typedef struct ganc_gan_trainer ganc_gan_trainer_t;
typedef struct {
    ganc_gan_cfg_t net;
    int batch;
    float lr, beta1, beta2;
    uint64_t seed;
    int loss; /* GANC_LOSS_NS or GANC_LOSS_MINIMAX */
    /* data-parallel: this trainer is shard `shard` of `shards` (0 or 1: not sharded); `batch` is its own part of
       the global batch batch*shards. Noise and fake labels are drawn for the whole global batch from the shared
       stream and each shard takes its part, so N shards of B/N draw exactly what one trainer of B draws. */
    int shard, shards;
} ganc_gan_train_cfg_t;
ganc_gan_trainer_t *ganc_gan_trainer_new(const ganc_gan_train_cfg_t *cfg);
void ganc_gan_trainer_free(ganc_gan_trainer_t *t);
/* One D update on a batch of real images (batch,nc,size,size) in [-1,1] (with their labels when conditional,
   else NULL): BCE on the real batch and on a fresh G(z) batch (separate BatchNorm batches; fake labels are drawn
   uniformly). The fake batch is kept for the next G update. Call it k times per G update for the paper's k. */
int ganc_gan_d_step(ganc_gan_trainer_t *t, const float *real, const int *labels, ganc_gan_stats_t *st);
/* One G update through the current D on the fake batch of the last D step (pytorch/examples' loop). Counts a step. */
int ganc_gan_g_step(ganc_gan_trainer_t *t, ganc_gan_stats_t *st);
/* ganc_gan_d_step then ganc_gan_g_step: one iteration of pytorch/examples' loop.
   A NaN/Inf loss or gradient is caught before the optimizer step that would spread it: the call returns
   GANC_ENONFINITE naming the step and the network, and that network's parameters are left as they were. */
int ganc_gan_train_step(ganc_gan_trainer_t *t, const float *real, const int *labels, ganc_gan_stats_t *st);
int64_t ganc_gan_step(const ganc_gan_trainer_t *t);
void ganc_gan_set_lr(ganc_gan_trainer_t *t, float lr); /* both optimizers */
ganc_net_t *ganc_gan_g(ganc_gan_trainer_t *t);
ganc_net_t *ganc_gan_d(ganc_gan_trainer_t *t);
const ganc_gan_io_t *ganc_gan_g_io(const ganc_gan_trainer_t *t);
const ganc_gan_io_t *ganc_gan_d_io(const ganc_gan_trainer_t *t);
const ganc_gan_train_cfg_t *ganc_gan_cfg(const ganc_gan_trainer_t *t);
/* Everything needed to resume bit-exactly (both networks, Adam moments and steps, the noise generator, D's dropout
   generator, the step, the data order position) into/out of one safetensors writer/file. */
int ganc_gan_state_add(ganc_gan_trainer_t *t, ganc_stw_t *w, int64_t epoch, int64_t pos);
int ganc_gan_state_load(ganc_gan_trainer_t *t, const ganc_st_t *st, int64_t *epoch, int64_t *pos);
/* The architecture as metadata key/value pairs (kind, size, nz, ...; for G.safetensors/D.safetensors and the
   state), appended to m. ganc_gan_cfg_from_file reads the same keys. */
int ganc_gan_meta(const ganc_gan_cfg_t *cfg, ganc_meta_t *m);
/* The model-independent trainer underneath (its networks "G" and "D", streams "rng" and "rngD"). */
ganc_trainer_t *ganc_gan_trainer_core(ganc_gan_trainer_t *t);
/* Generate n images (batch at a time) into out (n,nc,size,size); z (n,nz) or NULL to draw N(0,1) from rng;
   labels (n) for a conditional G, or NULL to draw them uniformly from rng (ignored when unconditional).
   bn_batch: use batch statistics (like G.train() without updating) instead of running statistics. */
int ganc_gan_sample(ganc_net_t *g, const ganc_gan_io_t *io, const ganc_gan_cfg_t *cfg, int n, const float *z,
                    const int *labels, ganc_rng_t *rng, int bn_batch, float *out);

/* ---------------------------------------------------------------- LAPGAN (src/models/lapgan.c)
   Denton et al. 2015: a Laplacian pyramid of GANs. With the paper's numbering, level 0 is the finest (size) and level
   K = levels-1 the coarsest (8x8); I_{k+1} = d(I_k) and l_k = u(I_{k+1}) with d = ganc_pyr_down (binomial
   [1 3 3 1]/8, mirrored edges, decimate by 2) and u = ganc_pyr_up (bilinear x2, PyTorch's align_corners=False), and
   the band-pass residual h_k = I_k - l_k.
   Level K: a GAN of gan.c at 8x8, cfg.coarse.arch: GANC_ARCH_DCGAN (default: the two-block DCGAN of size 8, nz,
   ngf, ndf) or GANC_ARCH_MLP (the paper's choice: the 2014 MLP GAN, nz, g_hidden, d_units, d_pieces, dropouts),
   its networks named as that model's.
   Level k < K, s = size >> k: a conditional GAN on l_k (the paper's networks; convolutions with bias, padding that
   keeps the size, a Sequential called `main`):
     G: cat(l_k, noise plane (1,s,s)) [, class plane] -> Conv(.,gw,7) ReLU, Conv(gw,gw,7) ReLU, Conv(gw,nc,5) -> h_k
     D: cat(l_k, h_k) [, class plane] -> Conv(.,dw,5) ReLU, Conv(dw,dw,5,stride 2) ReLU, Dropout(p), Flatten,
        Linear(dw*(s/2)^2, 1) -> logit
   CC-LAPGAN (n_classes > 0): the one-hot label y -> Linear(classes, s*s) `embed` -> one (1,s,s) plane appended at
   every finer level's G and D input; at level K the one-hot is concatenated with z and the image (the cgan form).
   Files: tensors "level{k}.G.<name>" (generators) and "level{k}.D.<name>"; metadata kind=lapgan and the fields of
   ganc_lapgan_meta. */
#define GANC_LAPGAN_MAX_LEVELS 5
typedef struct {
    int size, nc, n_classes; /* size: 16, 32, 64 or 128 (a power-of-two multiple of 8) */
    int g_width, d_width;    /* finer levels' widths (paper: 64) */
    float d_dropout;         /* finer levels' D dropout */
    ganc_gan_cfg_t coarse;   /* the 8x8 GAN: arch (DCGAN or MLP) and its sizes (size, nc, n_classes come from above) */
} ganc_lapgan_cfg_t;
ganc_lapgan_cfg_t ganc_lapgan_default_cfg(void); /* size 32, nc 1, widths 64, dropout 0.5, coarse DCGAN nz 100, 64 */
int ganc_lapgan_check_cfg(const ganc_lapgan_cfg_t *c);
int ganc_lapgan_levels(const ganc_lapgan_cfg_t *c); /* K+1: 3 for size 32, 4 for 64 */
/* A level's networks. io: in = noise (G; the z vector at level K, the noise plane above) or h (D; the 8x8 image at
   level K), l = the low-pass input (-1 at level K), y = the one-hot label (-1 when unconditional), out. */
typedef struct { int in, l, y, out; } ganc_lapgan_io_t;
ganc_net_t *ganc_lapgan_level_g(const ganc_lapgan_cfg_t *c, int k, int max_batch, ganc_lapgan_io_t *io);
ganc_net_t *ganc_lapgan_level_d(const ganc_lapgan_cfg_t *c, int k, int max_batch, ganc_lapgan_io_t *io);
/* The real pyramid of n images x (n,nc,size,size): img[k] (n,nc,s_k,s_k) for every level (img[0] = x copied),
   lo[k] = u(img[k+1]) and hi[k] = img[k] - lo[k] for k < K (lo/hi may be NULL). */
int ganc_lapgan_pyramid(const ganc_lapgan_cfg_t *c, const float *x, int n, float *const *img, float *const *lo,
                        float *const *hi);
int ganc_lapgan_meta(const ganc_lapgan_cfg_t *c, ganc_meta_t *m);
int ganc_lapgan_cfg_from_file(const ganc_st_t *st, ganc_lapgan_cfg_t *c); /* from kind=lapgan metadata */
/* The generators, for sampling. */
typedef struct ganc_lapgan ganc_lapgan_t;
ganc_lapgan_t *ganc_lapgan_new(const ganc_lapgan_cfg_t *c, int max_batch);
void ganc_lapgan_free(ganc_lapgan_t *m);
int ganc_lapgan_load(ganc_lapgan_t *m, const ganc_st_t *st); /* every "level{k}.G." tensor; others are an error */
const ganc_lapgan_cfg_t *ganc_lapgan_cfg(const ganc_lapgan_t *m);
/* n samples coarse to fine into out (n,nc,size,size): I_K = G_K(z, y), then I_k = l_k + G_k(noise, l_k, y) with
   l_k = u(I_{k+1}). labels (n) for CC-LAPGAN or NULL to draw them uniformly; from rng, per sample: its label (when
   drawn), z, then each finer level's noise plane, coarse to fine (so the batch size does not change the result).
   img/lo/hi, when not NULL, receive every level's I_k, l_k and h_k as in ganc_lapgan_pyramid (the coarse-to-fine
   figure). Outputs are not clamped. */
int ganc_lapgan_sample(ganc_lapgan_t *m, int n, const int *labels, ganc_rng_t *rng, float *out, float *const *img,
                       float *const *lo, float *const *hi);
/* Training: every level is its own GAN trained on the real pyramids (level K on I_K, level k on (l_k, h_k)); one
   step updates every level once, coarse to fine, on the same real batch (D then G, non-saturating loss; the fake
   batch of a level uses the real batch's l_k and labels). Networks "level{k}.G"/"level{k}.D" (Adam each), streams
   "rng" (noise) and "level{k}.rngD" (D's dropout). coarse_steps > 1: the cheap 8x8 level gets that many updates per
   step, each on its own real batch (the step's first batch is the one every level shares). */
typedef struct {
    ganc_lapgan_cfg_t net;
    int batch;
    float lr, beta1, beta2;
    uint64_t seed;
    int coarse_steps; /* 0 or 1: one update of every level per step */
} ganc_lapgan_train_cfg_t;
typedef struct ganc_lapgan_trainer ganc_lapgan_trainer_t;
ganc_lapgan_trainer_t *ganc_lapgan_trainer_new(const ganc_lapgan_train_cfg_t *cfg);
void ganc_lapgan_trainer_free(ganc_lapgan_trainer_t *t);
/* real: coarse_steps batches (batch x coarse_steps images, and as many labels when class-conditional); st: one entry
   per level (index k); counts one step */
int ganc_lapgan_train_step(ganc_lapgan_trainer_t *t, const float *real, const int *labels, ganc_gan_stats_t *st);
ganc_trainer_t *ganc_lapgan_trainer_core(ganc_lapgan_trainer_t *t);
ganc_lapgan_t *ganc_lapgan_trainer_model(ganc_lapgan_trainer_t *t); /* its generators (owned by the trainer) */
ganc_net_t *ganc_lapgan_trainer_d(ganc_lapgan_trainer_t *t, int k);

/* Latent walks: linear and spherical interpolation (slerp, as in White 2016 / dcgan.torch) between a and b (n),
   t in [0,1]; slerp falls back to lerp for (anti)parallel vectors. */
void ganc_lerp(const float *a, const float *b, int n, float t, float *out);
void ganc_slerp(const float *a, const float *b, int n, float t, float *out);

/* ---------------------------------------------------------------- SRResNet / SRGAN (src/models/srgan.c)
   Ledig et al. 2016. SRResNet: conv 9x9 + PReLU, `blocks` residual blocks [conv 3x3, BN, PReLU, conv 3x3, BN, +],
   conv 3x3 + BN + the long skip, log2(scale) x [conv 3x3 w -> 4w, PixelShuffle x2, PReLU], conv 9x9 -> nc; the
   paper's D (eight 3x3 convs 64..512, strides 1,2,1,2,..., BN after the first, LeakyReLU 0.2, dense 1024, dense 1).
   Parameter names are PyTorch state_dict names (scripts/gen_srgan_fixtures.py holds the modules). Built so far:
   the networks, training pairs and SRResNet's pixel-loss training step; not yet: the adversarial/VGG losses, the
   CLI and upscaling (issue 15). */
typedef struct {
    int blocks, width, scale, nc; /* paper: 16, 64, 4, 3 */
    int skip; /* GANC_SR_SKIP_BICUBIC: G's output is added to the bicubic upscale of its input (it learns the residual;
                 its last conv starts at zero, so training starts from bicubic); paper: GANC_SR_SKIP_NONE */
} ganc_sr_cfg_t;
enum { GANC_SR_SKIP_NONE = 0, GANC_SR_SKIP_BICUBIC = 1 };
typedef struct { int in, out; } ganc_sr_io_t;
ganc_sr_cfg_t ganc_sr_default_cfg(void);
int ganc_sr_check_cfg(const ganc_sr_cfg_t *c);
/* G for low-resolution inputs of lr_h x lr_w (the output is scale times larger); D for square hr_size images
   (a multiple of 16). Built for max_batch; NULL with ganc_errmsg() on a bad configuration. */
ganc_net_t *ganc_srresnet(const ganc_sr_cfg_t *c, int lr_h, int lr_w, int max_batch, ganc_sr_io_t *io);
ganc_net_t *ganc_srgan_d(int nc, int hr_size, int width, int dense, int max_batch, ganc_sr_io_t *io); /* 64, 1024 */
/* A training pair from a photo: a random crop x 8 orientations (mirror x, mirror y, transpose; drawn from r), hr
   (c,crop,crop) in [-1,1], and lr (c,crop/scale,crop/scale): MATLAB's antialiased bicubic downscale of hr (the
   papers' degradation). */
int ganc_sr_crop(const ganc_image_t *img, int crop, int scale, ganc_rng_t *r, float *hr, float *lr);
/* SRResNet training with a pixel loss (the SRResNet of the paper: MSE; L1 as an option), Adam; G named "G" on the
   common trainer (state, resume). */
enum { GANC_SR_MSE = 0, GANC_SR_L1 = 1 };
typedef struct {
    ganc_sr_cfg_t net;
    int batch, crop; /* paper: 16, 96 */
    float lr, beta1, beta2;
    uint64_t seed;
    int loss;
    /* SRGAN when adv > 0 (paper 1e-3): G's loss = pixel loss (the paper's SRGAN-MSE content) + adv x the
       non-saturating adversarial loss -log D(G(x)); D (ganc_srgan_d with d_width, d_dense; paper 64, 1024; crop a
       multiple of 16) is trained on BCE, real HR crops against G's outputs, with the same Adam settings */
    float adv;
    int d_width, d_dense;
    /* SRGAN's VGG content loss instead of the pixel loss: vgg_end GANC_VGG22 or GANC_VGG54 (0: pixel loss) with the
       converted weights in vgg (scripts/convert_vgg19.py): MSE between VGG19 features of G's output and of the HR
       crop, rescaled by 1/12.75^2 (the paper's factor 1/12.75 on the features) */
    int vgg_end;
    const char *vgg;
    /* SRGAN on a small budget: D's own Adam learning rate (0: lr), and a warm-up of d_warmup steps (counted by the
       trainer, so a resumed run continues it) that update D alone against the starting G, G left unchanged */
    float d_lr;
    int d_warmup;
} ganc_sr_train_cfg_t;
typedef struct ganc_sr_trainer ganc_sr_trainer_t;
ganc_sr_trainer_t *ganc_sr_trainer_new(const ganc_sr_train_cfg_t *cfg);
void ganc_sr_trainer_free(ganc_sr_trainer_t *t);
/* one update on lr (batch,nc,crop/scale,crop/scale) and hr (batch,nc,crop,crop), both in [-1,1] */
int ganc_sr_train_step(ganc_sr_trainer_t *t, const float *lr, const float *hr, float *loss);
/* SRGAN (adv > 0): one D update (real hr vs G(lr)), then one G update through the updated D (D's running statistics
   are left alone in G's pass); D(.) are mean sigmoid outputs. During the warm-up only D is updated (adv is then
   -log D(G(x)) before D's update, content G's loss as it stands). */
typedef struct { float content, adv, d_loss, d_real, d_fake; } ganc_srgan_stats_t;
int ganc_srgan_train_step(ganc_sr_trainer_t *t, const float *lr, const float *hr, ganc_srgan_stats_t *st);
ganc_net_t *ganc_sr_d(ganc_sr_trainer_t *t); /* NULL for SRResNet training */
/* Upscaling any image with a trained SRResNet (G.safetensors with srresnet metadata): in tiles of tile x tile input
   pixels, each computed with a margin of ganc_sr_margin input pixels around it (how far an output pixel's value
   reaches), so memory stays bounded by the tile and the result equals the untiled network's up to float rounding.
   x (nc,h,w) in [-1,1] -> y (nc,h*scale,w*scale), unclamped. At most 64M input pixels. */
typedef struct ganc_sr_model ganc_sr_model_t;
ganc_sr_model_t *ganc_sr_load(const char *path);
void ganc_sr_free(ganc_sr_model_t *m);
const ganc_sr_cfg_t *ganc_sr_model_cfg(const ganc_sr_model_t *m);
int ganc_sr_margin(const ganc_sr_cfg_t *c);
int ganc_sr_upscale(ganc_sr_model_t *m, const float *x, int h, int w, int tile, float *y);
/* The same on an 8-bit image (any of ganc_image_load's; the model's channels), into a new image *out (free with
   ganc_image_free); an output over GANC_SR_MAX_OUT_PIXELS is refused. The whole of an embedding program:
     ganc_sr_model_t *m = ganc_sr_load("weights/srresnet_x4.safetensors");
     ganc_image_t in, out;
     if (!m || ganc_image_load("photo.jpg", &in) || ganc_sr_upscale_image(m, &in, 64, &out) ||
         ganc_png_write("photo_x4.png", out.px, out.w, out.h, out.c)) fprintf(stderr, "%s\n", ganc_errmsg());
   (examples/upscale.c, built and run by the tests) */
#define GANC_SR_MAX_OUT_PIXELS ((size_t)100 << 20) /* 100 Mpixels: 1.2 GB of floats in RGB */
int ganc_sr_upscale_image(ganc_sr_model_t *m, const ganc_image_t *in, int tile, ganc_image_t *out);
/* architecture metadata (kind=srresnet, blocks, width, scale, nc) and back */
int ganc_sr_meta(const ganc_sr_cfg_t *c, ganc_meta_t *m);
int ganc_sr_cfg_from_file(const ganc_st_t *st, ganc_sr_cfg_t *c);
ganc_trainer_t *ganc_sr_trainer_core(ganc_sr_trainer_t *t);
ganc_net_t *ganc_sr_g(ganc_sr_trainer_t *t);
const ganc_sr_io_t *ganc_sr_g_io(const ganc_sr_trainer_t *t);

/* VGG19's features in torchvision's layout (vgg19().features[:end]; names features.{i}.weight/.bias) behind a fixed
   input normalisation "norm" (a BatchNorm used in evaluation mode: ganc's [-1,1] images -> ImageNet-normalised
   [0,1]), for SRGAN's content loss: end GANC_VGG22 (relu2_2) or GANC_VGG54 (relu5_4). Weights come from the user:
   scripts/convert_vgg19.py turns torchvision's vgg19 state_dict into such a file (ganc downloads nothing).
   ganc_vgg19_set_norm writes the normalisation's constants (the converter stores them too). */
enum { GANC_VGG22 = 9, GANC_VGG54 = 36 };
ganc_net_t *ganc_vgg19(int end, int h, int w, int max_batch, int *in, int *out);
int ganc_vgg19_features(ganc_net_t *net, int x, int end); /* the layers after node x; the last node or -1 */
void ganc_vgg19_set_norm(ganc_net_t *net);

/* ---------------------------------------------------------------- SimGAN (src/models/simgan.c)
   Shrivastava et al. 2016: a refiner R (head conv 3x3 + ReLU, `blocks` ResNet blocks [conv 3x3, ReLU, conv 3x3,
   + input, ReLU], tail conv 1x1, tanh; size-preserving) makes synthetic images look real; D (conv 3x3 w, conv 3x3
   stride 2 2w, conv 1x1 2w, LeakyReLU 0.2 after each) ends in a map of per-patch logits (conv 1x1: one logit per
   5x5 patch, size/2 x size/2 of them; or, d_global, one logit from a linear layer over everything), its
   BCE averaged over the map. R's loss: the adversarial -log D(R(x)) (averaged over the map) + lambda x mean |R(x)-x|
   (self-regularisation). D sees real images (1) and refined ones (0): with a history of `history` images, half of
   its fake batch comes from the history (once it holds batch/2), and batch/2 of the refined images enter it each D
   step (appended until full, then over random entries). State_dict names: scripts/gen_simgan_fixtures.py. */
typedef struct {
    int nc, size;      /* images: channels (1 or 3), side (even) */
    int blocks, width; /* R: ResNet blocks and feature maps (paper: 4, 64) */
    int d_width;       /* D's first width */
    int d_global;      /* 1: one logit per image instead of the local map (the paper's ablation) */
} ganc_simgan_cfg_t;
typedef struct { int in, out; } ganc_simgan_io_t;
ganc_simgan_cfg_t ganc_simgan_default_cfg(void); /* 1x8x8, 4 blocks of 32, D width 32, local */
int ganc_simgan_check_cfg(const ganc_simgan_cfg_t *c);
ganc_net_t *ganc_simgan_refiner(const ganc_simgan_cfg_t *c, int max_batch, ganc_simgan_io_t *io);
ganc_net_t *ganc_simgan_d(const ganc_simgan_cfg_t *c, int max_batch, ganc_simgan_io_t *io);
typedef struct {
    ganc_simgan_cfg_t net;
    int batch;              /* even */
    float lr, beta1, beta2; /* Adam, both networks */
    uint64_t seed;
    float lambda;           /* self-regularisation weight */
    int history;            /* images in the history buffer; 0: none (the paper's ablation) */
    int kg, kd;             /* R and D updates per step */
    float d_noise;          /* std of Gaussian noise added to every image D sees, real and refined (0: none, the
                               paper) */
} ganc_simgan_train_cfg_t;
typedef struct { float adv, reg, d_loss, d_real, d_fake; } ganc_simgan_stats_t;
typedef struct ganc_simgan_trainer ganc_simgan_trainer_t;
/* R registered as "R", D as "D", the history's stream as "history_rng" and the history as "history" */
ganc_simgan_trainer_t *ganc_simgan_trainer_new(const ganc_simgan_train_cfg_t *cfg);
void ganc_simgan_trainer_free(ganc_simgan_trainer_t *t);
/* One R update on a batch of synthetic images: adversarial (through D, its parameters untouched) + self-regularisation
   when `adversarial`, else self-regularisation only (R's pre-training); st->adv and st->reg (the mean |R(x)-x|). */
int ganc_simgan_r_step(ganc_simgan_trainer_t *t, const float *synth, int adversarial, ganc_simgan_stats_t *st);
/* One D update: real batch (1) against refined synthetic ones (0, with the history); st->d_loss, d_real, d_fake. */
int ganc_simgan_d_step(ganc_simgan_trainer_t *t, const float *synth, const float *real, ganc_simgan_stats_t *st);
/* The paper's step: K_g R updates, then K_d D updates, then the step count. synth holds (kg + kd) batches (R's
   first), real kd batches. */
int ganc_simgan_train_step(ganc_simgan_trainer_t *t, const float *synth, const float *real, ganc_simgan_stats_t *st);
ganc_trainer_t *ganc_simgan_trainer_core(ganc_simgan_trainer_t *t);
ganc_net_t *ganc_simgan_r(ganc_simgan_trainer_t *t);
ganc_net_t *ganc_simgan_trainer_d(ganc_simgan_trainer_t *t);
const ganc_simgan_io_t *ganc_simgan_r_io(const ganc_simgan_trainer_t *t);
int64_t ganc_simgan_history_count(const ganc_simgan_trainer_t *t);
const float *ganc_simgan_history(const ganc_simgan_trainer_t *t);
/* R.safetensors metadata (kind=simgan_refiner, nc, size, blocks, width) and back */
int ganc_simgan_meta(const ganc_simgan_cfg_t *c, ganc_meta_t *m);
int ganc_simgan_cfg_from_file(const ganc_st_t *st, ganc_simgan_cfg_t *c);
/* Refine n images (nc,size,size) in [-1,1] with the refiner in st (its metadata says nc and size) into y. */
int ganc_simgan_refine(const ganc_st_t *st, const float *x, int n, float *y);
/* The same with a built refiner (e.g. the one training): eval-mode forwards in chunks of its max batch. */
int ganc_simgan_run(ganc_net_t *r, const ganc_simgan_io_t *io, const float *x, int n, float *y);

/* ---------------------------------------------------------------- metrics (src/metrics)
   Feature-space metrics take row-major (n, d) float features; image metrics take 8-bit HWC images. */

/* mean (d) and unbiased covariance (d,d) of n feature rows */
int ganc_feature_stats(const float *f, int n, int d, double *mu, double *cov);
/* Frechet distance between two Gaussians (FID when the features are a feature network's) */
double ganc_fid(const double *mu1, const double *cov1, const double *mu2, const double *cov2, int d);
/* KID: unbiased MMD^2, cubic polynomial kernel, mean/std over `subsets` subsets of `size` rows */
int ganc_kid(const float *f1, int n1, const float *f2, int n2, int d, int subsets, int size, uint64_t seed,
             double *mean, double *std);
/* improved precision/recall with k-NN manifolds (k = 3 in the paper) */
int ganc_precision_recall(const float *real, int nr, const float *fake, int nf, int d, int k, double *precision,
                          double *recall);
/* Inception Score from class probabilities (n, classes) over `splits` splits */
int ganc_inception_score(const float *probs, int n, int classes, int splits, double *mean, double *std);
/* fraction of rows whose most probable class is wanted[i] */
double ganc_class_accuracy(const float *probs, int n, int classes, const int *wanted);
/* Parzen-window mean log-likelihood of test rows under Gaussian kernels (width sigma) on generated rows, and its
   standard error */
int ganc_parzen(const float *gen, int ng, const float *test, int nt, int d, double sigma, double *mean, double *se);
/* PSNR (dB) and SSIM of two 8-bit images (h,w,c); y_channel: on BT.601 Y (c >= 3), else per channel; `border`
   pixels cropped on each side (the SR scale factor in the SRGAN protocol). */
double ganc_psnr(const unsigned char *a, const unsigned char *b, int w, int h, int c, int y_channel, int border);
double ganc_ssim(const unsigned char *a, const unsigned char *b, int w, int h, int c, int y_channel, int border);
/* sharpness of img relative to ref (same layout and cropping as ganc_psnr): the ratio of their mean gradient magnitudes
   (forward differences). 1: as much edge and texture contrast as the reference; below 1 blurrier (bicubic upscaling),
   above 1 more than the reference has (noise, ringing). NAN for a flat reference or a crop under 2x2. */
double ganc_sharpness(const unsigned char *ref, const unsigned char *img, int w, int h, int c, int y_channel,
                      int border);

/* Multinomial logistic regression, L2 penalty: minimises 0.5 |W|^2 + C sum_i CE(softmax(W x_i + b), y_i) (the
   objective of scikit-learn's LogisticRegression(multi_class="multinomial", C=C); the intercept is not penalised)
   by L-BFGS until |grad| <= tol * max(1, |grad at 0|) or max_iter. x (n,d), y (n) in [0,classes); W (classes,d),
   b (classes); *iters (may be NULL) gets the iterations used. */
int ganc_logreg_fit(const float *x, const int *y, int n, int d, int classes, double C, int max_iter, double tol,
                    float *W, float *b, int *iters);
void ganc_logreg_predict(const float *x, int n, int d, int classes, const float *W, const float *b, int *pred);
/* Standardise each column of x (n,d) with the mean and std of ref (nref,d); x may be ref itself (do the other sets
   first, then ref). Constant columns become 0. */
void ganc_standardize(float *x, int n, int d, const float *ref, int nref);

/* ---------------------------------------------------------------- the Fashion-MNIST feature network
   A small CNN trained by ganc (`ganc train classifier`), whose weights are committed (weights/fmnist_cnn.safetensors):
   input (1,32,32) in [-1,1] (28x28 images padded by 2 px of background, as the dataset loader does);
   conv3x3(32)-BN-ReLU-avgpool2, conv3x3(64)-BN-ReLU-avgpool2, conv3x3(128)-BN-ReLU-avgpool2, flatten,
   fc(128)-ReLU [the 128-d features for FID/KID/precision-recall], dropout 0.3, fc(10) [logits]. */
ganc_net_t *ganc_classifier_net(int max_batch, int *in, int *features, int *logits);
/* Run the network in inference mode over n images (n,1,32,32); write features (n,128) and/or softmax
   probabilities (n,10) (either may be NULL). */
int ganc_classifier_run(ganc_net_t *net, int in, int features, int logits, const float *x, int n, float *feat,
                        float *probs);

/* ---------------------------------------------------------------- Inception-v3, the standard FID network
   torchvision's `inception_v3` (transform_input=False; the auxiliary head is not built and AuxLogits.* tensors in a
   file are ignored) with its state_dict names, BasicConv2d = conv (no bias) + BatchNorm(eps 1e-3) + ReLU; or, with
   fid_variant, pytorch-fid's FIDInception blocks (3x3 average pools that exclude padding, a 3x3 max pool in
   Mixed_7c; 1008 classes in the FID weights). Input (3,299,299) in [-1,1]; outputs: the 2048-d average pool
   ("pool3" features for FID/KID/precision-recall) and the fc logits. */
ganc_net_t *ganc_inception_net(int fid_variant, int classes, int max_batch, int *in, int *pool, int *logits);
typedef struct ganc_inception ganc_inception_t;
/* Load weights from a safetensors file (see README "Inception weights" for converting torchvision's or
   pytorch-fid's .pth). The variant is fid when fc.weight has 1008 rows, unless metadata "variant" says
   fid|torchvision. */
int ganc_inception_open(ganc_inception_t **m, const char *path, int max_batch);
void ganc_inception_free(ganc_inception_t *m);
int ganc_inception_classes(const ganc_inception_t *m);
int ganc_inception_is_fid_variant(const ganc_inception_t *m);
ganc_net_t *ganc_inception_network(ganc_inception_t *m, int *in, int *pool, int *logits);
/* The fixed protocol: images (n,c,h,w) in [-1,1], c = 1 (replicated to RGB) or 3, resized to 299x299 with
   ganc_resize_bilinear (as pytorch-fid's F.interpolate), run in eval mode; pool (n,2048) and/or softmax probs
   (n,classes) may be NULL. */
int ganc_inception_run(ganc_inception_t *m, const float *x, int n, int c, int h, int w, float *pool, float *probs);
/* ---------------------------------------------------------------- text to image (Reed et al. 2016)
   Captioned emoji (src/data/emoji.c): Debian's ruby-gemojione, PATH = the unpacked gem (the folder holding
   config/index.json and assets/png; or that png folder itself, as scripts/get_emoji.sh prints it). Every emoji of
   the 8 categories below (1,788 of 1,794: "modifier" and "extras" are left out) with its image composited onto
   white, resized to size x size, its category as the label, and 2 to 5 captions built from index.json:
     0  NAME                                   "smiling face with sunglasses"
     1  NAME, CATEGORY                         "smiling face with sunglasses, people"
     2  NAME, K1, K2          (2+ keywords)    "smiling face with sunglasses, cool, face"
     3  K1, K2, K3            (3+ keywords)    "cool, face, smiling"
     4  CATEGORY: K3, K4      (4+ keywords)    "people: smiling, sunglasses"
   where K1.. are the emoji's keywords in file order without repeats and without the category's own name.
   Held out (never trained on): the emoji whose key, less a skin-tone suffix _tone1.._tone5 (so every tone of an
   emoji is on the same side), has an FNV-1a 32-bit hash divisible by 10: ganc_emoji_held_out; the list is in
   docs/emoji_heldout.txt. */
#define GANC_EMOJI_CLASSES 8 /* people nature food activity travel objects symbols flags: labels 0..7 */
#define GANC_EMOJI_MAX_CAPTIONS 5
typedef struct {
    int n, size;
    float *x;                /* n*3*size*size in [-1,1] */
    int *labels;             /* category 0..7 */
    char **keys;             /* index.json's key, e.g. "sunglasses" */
    int *ncap;               /* captions of emoji i: cap[i*GANC_EMOJI_MAX_CAPTIONS + k], k < ncap[i] */
    char **cap;
    unsigned char *held_out; /* 1: held out */
} ganc_emoji_t;
/* path NULL or "": the copy scripts/get_emoji.sh unpacks under data/, else Debian's installed ruby-gemojione */
int ganc_emoji_load(ganc_emoji_t *e, const char *path, int size);
void ganc_emoji_free(ganc_emoji_t *e);
int ganc_emoji_held_out(const char *key);
const char *ganc_emoji_category(int k); /* "people" .. "flags", NULL outside 0..7 */

/* Text: captions of up to GANC_TEXT_LEN characters as indices into ganc's alphabet: 0 pads, 1 is the space, then
   a-z 0-9 and , . : ; ' & ( ) # * + - ! ? /. Letters are lowercased; every other character (a UTF-8 sequence
   counts as one) becomes a space; runs of spaces collapse and leading/trailing ones are dropped; characters past
   GANC_TEXT_LEN are cut. A caption with nothing left is an error (GANC_EINVAL). idx: GANC_TEXT_LEN floats. */
#define GANC_TEXT_LEN 64
int ganc_text_alphabet(void); /* index count, the pad included */
int ganc_text_encode(const char *s, float *idx, int *len);

/* The char-CNN-RNN text encoder (src/models/textenc.c), PyTorch names: one-hot characters (alphabet, 64) ->
   conv1 Conv1d(alphabet, conv, 3, padding 1) ReLU MaxPool1d(2) -> conv2 Conv1d(conv, conv, 3, padding 1) ReLU
   MaxPool1d(2) -> (16 steps, conv) -> rnn LSTM(conv, hidden) -> the mean of its outputs over the caption's
   ceil(len/4) steps -> fc Linear(hidden, dim): the embedding phi(t). Its partner in the deep symmetric structured
   joint embedding, the image encoder: (3,size,size) -> AvgPool to 32x32 -> conv1..3 Conv2d(4, stride 2, padding 1)
   with widths w, 2w, 4w, each LeakyReLU(0.2) -> fc Linear(4w*16, dim). */
typedef struct { int conv, hidden, dim, img_width; } ganc_textenc_cfg_t;
typedef struct { int in, len, out; } ganc_textenc_io_t; /* len: the lengths input (text), -1 (image) */
ganc_textenc_cfg_t ganc_textenc_default_cfg(void);    /* conv 128, hidden 256, dim 128, image width 32 */
int ganc_textenc_check_cfg(const ganc_textenc_cfg_t *c);
ganc_net_t *ganc_textenc_text_net(const ganc_textenc_cfg_t *c, int max_batch, ganc_textenc_io_t *io);
ganc_net_t *ganc_textenc_image_net(const ganc_textenc_cfg_t *c, int size, int max_batch, ganc_textenc_io_t *io);
/* write n captions into the text net's inputs (one-hot rows and step counts); an empty caption is an error */
int ganc_textenc_set_text(ganc_net_t *net, const ganc_textenc_io_t *io, const char *const *captions, int n);
/* embeddings (n, dim) of n captions, in chunks of the net's max batch */
int ganc_textenc_embed(ganc_net_t *net, const ganc_textenc_io_t *io, const char *const *captions, int n, float *emb);
int ganc_textenc_embed_images(ganc_net_t *net, const ganc_textenc_io_t *io, const float *x, int n, float *emb);
/* The symmetric structured hinge of a batch of n matching (image i, text i) pairs, scores S_ij = img_i . txt_j:
   L = (1/n) sum_i sum_{j != i} [max(0, 1 + S_ij - S_ii) + max(0, 1 + S_ji - S_ii)]
   (every mismatched text of an image, and every mismatched image of a text). Gradients into dimg, dtxt (n, dim),
   overwritten; either may be NULL. */
float ganc_sje_loss(const float *img, const float *txt, int n, int dim, float *dimg, float *dtxt);
/* Text -> image retrieval: for each of ntxt captions, the rank of its own image (owner[j], or j when owner is NULL)
   among the nimg images (1 = best; ties count against the caption). */
int ganc_textenc_ranks(const float *img_emb, int nimg, const float *txt_emb, int ntxt, const int *owner, int dim,
                       int *rank);

typedef struct {
    ganc_textenc_cfg_t net;
    int size, batch;
    float lr, beta1, beta2;
    uint64_t seed;
} ganc_textenc_train_cfg_t;
typedef struct ganc_textenc_trainer ganc_textenc_trainer_t;
ganc_textenc_trainer_t *ganc_textenc_trainer_new(const ganc_textenc_train_cfg_t *cfg);
void ganc_textenc_trainer_free(ganc_textenc_trainer_t *t);
/* one Adam step of both encoders on a batch of matching (image, caption) pairs (distinct emoji) */
int ganc_textenc_step(ganc_textenc_trainer_t *t, const float *images, const char *const *captions, float *loss);
ganc_trainer_t *ganc_textenc_trainer_core(ganc_textenc_trainer_t *t);
ganc_net_t *ganc_textenc_text(ganc_textenc_trainer_t *t, ganc_textenc_io_t *io);
ganc_net_t *ganc_textenc_image(ganc_textenc_trainer_t *t, ganc_textenc_io_t *io);
/* metadata kind=textenc, conv, hidden, dim, img_width, size; and back */
int ganc_textenc_meta(const ganc_textenc_cfg_t *c, int size, ganc_meta_t *m);
int ganc_textenc_cfg_from_file(const ganc_st_t *st, ganc_textenc_cfg_t *c, int *size);

/* Text-conditional GAN (src/models/text2img.c), Reed et al. 2016's networks on pytorch/examples' DCGAN:
   G: proj = Linear(emb, proj) LeakyReLU(0.2) on the text embedding phi(t); [z, proj] as (nz+proj,1,1) -> the DCGAN
      generator (main.*; its first ConvT has nz+proj inputs) -> (3,size,size) tanh.
   D: the DCGAN discriminator's convolutions down to 4x4 (main.*, ndf*size/8 channels); proj = Linear(emb, proj)
      LeakyReLU(0.2) replicated over the 4x4 map and concatenated -> joint.0 Conv2d(1x1) joint.1 BatchNorm
      joint.2 LeakyReLU(0.2) joint.3 Conv2d(4x4) -> one logit.
   Training (one step = one D update, then one G update; Adam for both):
     D: BCE(D(x, t), 1) + BCE(D(G(z, t), t), 0); with cls (GAN-CLS, the matching-aware D) also real images with a
        mismatched text t_w as fake: BCE(D(x,t),1) + (BCE(D(x,t_w),0) + BCE(D(G(z,t),t),0)) / 2.
     G: BCE(D(G(z, t), t), 1); with interp (GAN-INT) plus BCE(D(G(z', t_b), t_b), 1) on the mixes
        t_b = 0.5 t + 0.5 t2 of two captions' embeddings (t2: another emoji's caption). */
typedef struct { int size, nz, ngf, ndf, emb, proj; } ganc_t2i_cfg_t;
typedef struct { int in, t, out; } ganc_t2i_io_t; /* in: z (nz,1,1) for G, the image for D; t: the embedding */
ganc_t2i_cfg_t ganc_t2i_default_cfg(void); /* 64x64, nz 100, ngf 32, ndf 32, emb 128, proj 128 */
int ganc_t2i_check_cfg(const ganc_t2i_cfg_t *c);
ganc_net_t *ganc_t2i_generator(const ganc_t2i_cfg_t *c, int max_batch, ganc_t2i_io_t *io);
ganc_net_t *ganc_t2i_discriminator(const ganc_t2i_cfg_t *c, int max_batch, ganc_t2i_io_t *io);
typedef struct {
    ganc_t2i_cfg_t net;
    int batch, cls, interp;
    float lr, beta1, beta2;
    uint64_t seed;
} ganc_t2i_train_cfg_t;
typedef struct { float loss_d, loss_g, d_real, d_wrong, d_fake, d_interp; } ganc_t2i_stats_t; /* mean D() */
typedef struct ganc_t2i_trainer ganc_t2i_trainer_t;
ganc_t2i_trainer_t *ganc_t2i_trainer_new(const ganc_t2i_train_cfg_t *cfg);
void ganc_t2i_trainer_free(ganc_t2i_trainer_t *t);
/* x: batch real images; t, t_wrong, t2: batch embeddings each (t_wrong unused without cls, t2 without interp);
   z, z2: batch*nz noise (the steps below draw them from the trainer's stream) */
int ganc_t2i_d_step(ganc_t2i_trainer_t *t, const float *x, const float *te, const float *t_wrong, const float *z,
                    ganc_t2i_stats_t *st);
int ganc_t2i_g_step(ganc_t2i_trainer_t *t, const float *te, const float *t2, const float *z, const float *z2,
                    ganc_t2i_stats_t *st);
int ganc_t2i_train_step(ganc_t2i_trainer_t *t, const float *x, const float *te, const float *t_wrong,
                        const float *t2, ganc_t2i_stats_t *st);
ganc_trainer_t *ganc_t2i_trainer_core(ganc_t2i_trainer_t *t);
ganc_net_t *ganc_t2i_g(ganc_t2i_trainer_t *t, ganc_t2i_io_t *io);
ganc_net_t *ganc_t2i_d(ganc_t2i_trainer_t *t, ganc_t2i_io_t *io);
/* n images (3,size,size) from noise z (n, nz) and embeddings (n, emb), G in eval mode, in chunks of its batch */
int ganc_t2i_generate(ganc_net_t *g, const ganc_t2i_io_t *io, const float *z, const float *emb, int n, float *y);
int ganc_t2i_meta(const ganc_t2i_cfg_t *c, ganc_meta_t *m); /* kind=text2img, size nz ngf ndf emb proj */
int ganc_t2i_cfg_from_file(const ganc_st_t *st, ganc_t2i_cfg_t *c);

/* ---------------------------------------------------------------- resampling (src/image/resample.c)
   One separable machinery for every resize in ganc (datasets, Inception's input, the Upsample layer, pyramids):
     GANC_RESAMPLE_NEAREST   PyTorch's nearest: src = floor(dst * in/out)
     GANC_RESAMPLE_BILINEAR  PyTorch's interpolate(mode="bilinear", align_corners=False, antialias=False)
     GANC_RESAMPLE_TRIANGLE  antialiased bilinear (triangle kernel widened by the downscale factor; PIL's geometry):
                             what datasets use
     GANC_RESAMPLE_BICUBIC   MATLAB's imresize(x, [oh ow], 'bicubic') with its default antialiasing: Keys' cubic
                             (a = -0.5) widened by the downscale factor, mirrored edges (the SR papers' degradation);
                             float in, float out (no rounding to 8 bits)
     GANC_RESAMPLE_PYRDOWN   the pyramid's reduce (oh = h/2, ow = w/2): binomial [1 3 3 1]/8, mirrored edges
   Images are (c,h,w) floats; rows are resampled first, then columns, accumulating in double. */
enum { GANC_RESAMPLE_NEAREST = 0, GANC_RESAMPLE_BILINEAR = 1, GANC_RESAMPLE_TRIANGLE = 2, GANC_RESAMPLE_BICUBIC = 3,
       GANC_RESAMPLE_PYRDOWN = 4 };
int ganc_resize(const float *x, int c, int h, int w, int oh, int ow, int method, float *y);
/* ganc_resize(..., GANC_RESAMPLE_BILINEAR), as pytorch-fid's F.interpolate to 299x299 */
void ganc_resize_bilinear(const float *x, int c, int h, int w, int oh, int ow, float *y);
/* Pyramid steps (LAPGAN, Denton et al. 2015): d(x) (c,h/2,w/2) = PYRDOWN; u(x) (c,2h,2w) = BILINEAR x2; a Laplacian
   level splits x into low = d(x) and high = x - u(low) (so u(low) + high = x up to float rounding). */
int ganc_pyr_down(const float *x, int c, int h, int w, float *y);
int ganc_pyr_up(const float *x, int c, int h, int w, float *y);
int ganc_laplacian_split(const float *x, int c, int h, int w, float *low, float *high);

#ifdef __cplusplus
}
#endif
#endif
