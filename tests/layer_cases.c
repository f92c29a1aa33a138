#include <string.h>
#include "layer_cases.h"

static int b_linear(ganc_net_t *n, const int *in) { return ganc_net_linear(n, "l", in[0], 5, 1); }
static int b_conv_a(ganc_net_t *n, const int *in) { return ganc_net_conv2d(n, "c", in[0], 4, 3, 3, 2, 1, 1); }
static int b_conv_b(ganc_net_t *n, const int *in) { return ganc_net_conv2d(n, "c", in[0], 3, 4, 2, 1, 0, 0); }
static int b_conv_c(ganc_net_t *n, const int *in) { return ganc_net_conv2d(n, "c", in[0], 2, 4, 4, 2, 1, 0); }
static int b_conv_d(ganc_net_t *n, const int *in) { return ganc_net_conv2d(n, "c", in[0], 6, 3, 3, 1, 1, 1); }
static int b_conv_1x7(ganc_net_t *n, const int *in) { return ganc_net_conv2d_hw(n, "c", in[0], 3, 1, 7, 1, 0, 3, 0); }
static int b_conv_7x1(ganc_net_t *n, const int *in) { return ganc_net_conv2d_hw(n, "c", in[0], 2, 7, 1, 2, 3, 0, 1); }
static int b_convt_a(ganc_net_t *n, const int *in) {
    return ganc_net_conv_transpose2d(n, "t", in[0], 2, 4, 4, 2, 1, 0, 1);
}
static int b_convt_b(ganc_net_t *n, const int *in) {
    return ganc_net_conv_transpose2d(n, "t", in[0], 3, 3, 3, 2, 1, 1, 0);
}
static int b_convt_c(ganc_net_t *n, const int *in) {
    return ganc_net_conv_transpose2d(n, "t", in[0], 3, 4, 4, 1, 0, 0, 0);
}
static int b_bn(ganc_net_t *n, const int *in) { return ganc_net_batchnorm(n, "bn", in[0], 1e-5f, 0.1f); }
static int b_relu(ganc_net_t *n, const int *in) { return ganc_net_relu(n, "r", in[0]); }
static int b_lrelu(ganc_net_t *n, const int *in) { return ganc_net_leaky_relu(n, "r", in[0], 0.2f); }
static int b_prelu1(ganc_net_t *n, const int *in) { return ganc_net_prelu(n, "p", in[0], 1); }
static int b_preluc(ganc_net_t *n, const int *in) { return ganc_net_prelu(n, "p", in[0], 3); }
static int b_tanh(ganc_net_t *n, const int *in) { return ganc_net_tanh(n, "t", in[0]); }
static int b_sigmoid(ganc_net_t *n, const int *in) { return ganc_net_sigmoid(n, "s", in[0]); }
static int b_dropout(ganc_net_t *n, const int *in) { return ganc_net_dropout(n, "d", in[0], 0.3f); }
static int b_maxout(ganc_net_t *n, const int *in) {
    int l = ganc_net_linear(n, "l", in[0], 12, 1);
    return ganc_net_maxout(n, "m", l, 3);
}
static int b_reshape(ganc_net_t *n, const int *in) {
    int r = ganc_net_reshape(n, "flat", in[0], 1, (int[]){60});
    return ganc_net_linear(n, "l", r, 3, 1);
}
static int b_concat(ganc_net_t *n, const int *in) { return ganc_net_concat(n, "cat", in[0], in[1]); }
static int b_add(ganc_net_t *n, const int *in) { return ganc_net_add(n, "add", in[0], in[1]); }
static int b_pshuffle(ganc_net_t *n, const int *in) { return ganc_net_pixel_shuffle(n, "ps", in[0], 2); }
static int b_up_near(ganc_net_t *n, const int *in) { return ganc_net_upsample(n, "up", in[0], 2, 0); }
static int b_up_bil2(ganc_net_t *n, const int *in) { return ganc_net_upsample(n, "up", in[0], 2, 1); }
static int b_up_near3(ganc_net_t *n, const int *in) { return ganc_net_upsample(n, "up", in[0], 3, 0); }
static int b_up_bic4(ganc_net_t *n, const int *in) {
    return ganc_net_upsample(n, "up", in[0], 4, GANC_RESAMPLE_BICUBIC);
}
static int b_up_bil3(ganc_net_t *n, const int *in) { return ganc_net_upsample(n, "up", in[0], 3, 1); }
static int b_pool2(ganc_net_t *n, const int *in) { return ganc_net_avgpool(n, "pool", in[0], 2, 2); }
static int b_pool3(ganc_net_t *n, const int *in) { return ganc_net_avgpool(n, "pool", in[0], 3, 1); }
static int b_pool3p(ganc_net_t *n, const int *in) { return ganc_net_avgpool_pad(n, "pool", in[0], 3, 1, 1, 1); }
static int b_pool3px(ganc_net_t *n, const int *in) { return ganc_net_avgpool_pad(n, "pool", in[0], 3, 2, 1, 0); }
static int b_maxpool_a(ganc_net_t *n, const int *in) { return ganc_net_maxpool(n, "pool", in[0], 3, 2, 0); }
static int b_maxpool_b(ganc_net_t *n, const int *in) { return ganc_net_maxpool(n, "pool", in[0], 3, 2, 1); }
static int b_maxpool_c(ganc_net_t *n, const int *in) { return ganc_net_maxpool(n, "pool", in[0], 2, 2, 0); }
static int b_embed(ganc_net_t *n, const int *in) { return ganc_net_embedding(n, "emb", in[0], 10, 4); }
static int b_lstm(ganc_net_t *n, const int *in) { return ganc_net_lstm(n, "rnn", in[0], 5); }
static int b_transpose(ganc_net_t *n, const int *in) { return ganc_net_transpose(n, "t", in[0]); }
static int b_mean_time(ganc_net_t *n, const int *in) {
    int len = ganc_net_input(n, "len", 1, (int[]){1});
    return ganc_net_mean_time(n, "m", in[0], len);
}
static int b_conv1d(ganc_net_t *n, const int *in) { return ganc_net_conv1d(n, "c", in[0], 4, 3, 2, 1, 1); }
/* the char-CNN-RNN's chain in small: conv1d, ReLU, max-pool over time (maxout), transpose, LSTM, masked mean, linear */
static int b_charcnn(ganc_net_t *n, const int *in) {
    int len = ganc_net_input(n, "len", 1, (int[]){1});
    int h = ganc_net_conv1d(n, "c", in[0], 4, 3, 1, 1, 1);
    h = ganc_net_relu(n, "r", h);
    h = ganc_net_maxout(n, "pool", h, 2);
    h = ganc_net_transpose(n, "t", h);
    h = ganc_net_lstm(n, "rnn", h, 5);
    h = ganc_net_mean_time(n, "m", h, len);
    return ganc_net_linear(n, "fc", h, 2, 1);
}
static int b_mean_time_all(ganc_net_t *n, const int *in) { return ganc_net_mean_time(n, "m", in[0], -1); }
/* a graph, not a chain: two inputs, conv/bn/lrelu, vector broadcast concat, residual add, pixel shuffle */
static int b_graph(ganc_net_t *n, const int *in) {
    int h = ganc_net_conv2d(n, "c1", in[0], 4, 3, 3, 1, 1, 0);
    h = ganc_net_batchnorm(n, "bn1", h, 1e-5f, 0.1f);
    h = ganc_net_leaky_relu(n, "a1", h, 0.2f);
    int y = ganc_net_concat(n, "cat", h, in[1]);                    /* (4+3, 6, 6) */
    int z = ganc_net_conv2d(n, "c2", y, 4, 3, 3, 1, 1, 1);
    z = ganc_net_add(n, "res", z, h);
    z = ganc_net_pixel_shuffle(n, "ps", z, 2);                      /* (1, 12, 12) */
    z = ganc_net_avgpool(n, "pool", z, 2, 2);
    return ganc_net_tanh(n, "out", z);
}

static void prep_embed(ganc_net_t *net, const int *in, int batch) {
    float *x = ganc_net_data(net, in[0]);
    for (int i = 0; i < batch * 5; i++) x[i] = (float)((i * 7 + 3) % 10);
}

/* the valid lengths of mean_time's three samples (scripts/gen_fixtures.py uses the same) */
static void prep_lengths(ganc_net_t *net, const int *in, int batch) {
    (void)in;
    for (int k = 0; k < ganc_net_nnodes(net); k++)
        if (!strcmp(ganc_net_node_name(net, k), "len"))
            for (int b = 0; b < batch; b++) ganc_net_data(net, k)[b] = (float)(b == 0 ? 5 : b == 1 ? 2 : 1);
}

static void prep_bn_eval(ganc_net_t *net, const int *in, int batch) {
    (void)in; (void)batch;
    ganc_tensor_info_t rm, rv;
    ganc_net_find(net, "bn.running_mean", &rm);
    ganc_net_find(net, "bn.running_var", &rv);
    for (size_t i = 0; i < rm.numel; i++) { rm.data[i] = 0.1f * (float)i - 0.2f; rv.data[i] = 0.5f + 0.3f * (float)i; }
}

const fd_case_t layer_cases[] = {
    {"linear", "linear", 3, GANC_TRAIN, 1, {1}, {{7}}, b_linear, 1, 1e-2f, 0, NULL},
    {"linear_seq", "linear over (T,F)", 2, GANC_TRAIN, 1, {2}, {{3, 4}}, b_linear, 1, 1e-2f, 0, NULL},
    {"conv_a", "conv2d k3 s2 p1 bias", 2, GANC_TRAIN, 1, {3}, {{3, 7, 9}}, b_conv_a, 1, 1e-2f, 0, NULL},
    {"conv_b", "conv2d k4x2 s1 p0 batch1", 1, GANC_TRAIN, 1, {3}, {{2, 5, 5}}, b_conv_b, 1, 1e-2f, 0, NULL},
    {"conv_c", "conv2d k4 s2 p1 odd", 3, GANC_TRAIN, 1, {3}, {{3, 9, 7}}, b_conv_c, 1, 1e-2f, 0, NULL},
    {"conv_d", "conv2d k3 s1 p1 bias, 6 outputs (GEMM path)", 2, GANC_TRAIN, 1, {3}, {{5, 6, 7}}, b_conv_d, 1, 1e-2f, 0, NULL},
    {"conv_1x7", "conv2d k1x7 p(0,3)", 2, GANC_TRAIN, 1, {3}, {{2, 5, 8}}, b_conv_1x7, 1, 1e-2f, 0, NULL},
    {"conv_7x1", "conv2d k7x1 s2 p(3,0) bias", 2, GANC_TRAIN, 1, {3}, {{3, 9, 4}}, b_conv_7x1, 1, 1e-2f, 0, NULL},
    {"convt_a", "conv_transpose2d k4 s2 p1 bias", 2, GANC_TRAIN, 1, {3}, {{3, 4, 5}}, b_convt_a, 1, 1e-2f, 0, NULL},
    {"convt_b", "conv_transpose2d k3 s2 p1 op1 batch1", 1, GANC_TRAIN, 1, {3}, {{2, 3, 3}}, b_convt_b, 1, 1e-2f, 0, NULL},
    {"convt_c", "conv_transpose2d k4 s1 p0 from 1x1", 3, GANC_TRAIN, 1, {3}, {{5, 1, 1}}, b_convt_c, 1, 1e-2f, 0, NULL},
    {"bn2d_train", "batchnorm2d train", 3, GANC_TRAIN, 1, {3}, {{3, 3, 5}}, b_bn, 1, 1e-2f, 0, NULL},
    {"bn2d_eval", "batchnorm2d eval", 2, 0, 1, {3}, {{3, 3, 5}}, b_bn, 1, 1e-2f, 0, prep_bn_eval},
    {"bn1d_train", "batchnorm1d (N,C) train", 5, GANC_TRAIN, 1, {1}, {{4}}, b_bn, 1, 1e-2f, 0, NULL},
    {"bn1d_seq_train", "batchnorm1d (N,C,L) train", 2, GANC_TRAIN, 1, {2}, {{3, 7}}, b_bn, 1, 1e-2f, 0, NULL},
    {"relu", "relu", 2, GANC_TRAIN, 1, {3}, {{2, 3, 3}}, b_relu, 1, 1e-2f, 0.05f, NULL},
    {"lrelu", "leaky_relu", 2, GANC_TRAIN, 1, {3}, {{2, 3, 3}}, b_lrelu, 1, 1e-2f, 0.05f, NULL},
    {"prelu1", "prelu shared", 2, GANC_TRAIN, 1, {3}, {{3, 2, 3}}, b_prelu1, 1, 1e-2f, 0.05f, NULL},
    {"preluc", "prelu per-channel", 2, GANC_TRAIN, 1, {3}, {{3, 2, 3}}, b_preluc, 1, 1e-2f, 0.05f, NULL},
    {"tanh", "tanh", 2, GANC_TRAIN, 1, {2}, {{3, 5}}, b_tanh, 1, 1e-2f, 0, NULL},
    {"sigmoid", "sigmoid", 2, GANC_TRAIN, 1, {1}, {{9}}, b_sigmoid, 1, 1e-2f, 0, NULL},
    {"dropout", "dropout p=0.3", 3, GANC_TRAIN, 1, {1}, {{20}}, b_dropout, 1, 1e-2f, 0, NULL},
    {"maxout", "maxout 3 pieces", 4, GANC_TRAIN, 1, {1}, {{6}}, b_maxout, 1, 1e-3f, 0, NULL},
    {"reshape", "reshape/flatten", 2, GANC_TRAIN, 1, {3}, {{3, 4, 5}}, b_reshape, 1, 1e-2f, 0, NULL},
    {"concat", "concat channels", 2, GANC_TRAIN, 2, {3, 3}, {{2, 3, 3}, {3, 3, 3}}, b_concat, 1, 1e-2f, 0, NULL},
    {"concat_bcast", "concat vector broadcast", 2, GANC_TRAIN, 2, {3, 1}, {{2, 3, 4}, {5}}, b_concat, 1, 1e-2f, 0, NULL},
    {"concat_vec", "concat vectors", 3, GANC_TRAIN, 2, {1, 1}, {{4}, {2}}, b_concat, 1, 1e-2f, 0, NULL},
    {"add", "add", 2, GANC_TRAIN, 2, {3, 3}, {{2, 3, 3}, {2, 3, 3}}, b_add, 1, 1e-2f, 0, NULL},
    {"pshuffle", "pixel_shuffle r2", 2, GANC_TRAIN, 1, {3}, {{8, 3, 2}}, b_pshuffle, 1, 1e-2f, 0, NULL},
    {"up_near", "upsample nearest x2", 2, GANC_TRAIN, 1, {3}, {{2, 3, 5}}, b_up_near, 1, 1e-2f, 0, NULL},
    {"up_bil2", "upsample bilinear x2", 2, GANC_TRAIN, 1, {3}, {{2, 3, 5}}, b_up_bil2, 1, 1e-2f, 0, NULL},
    {"up_near3", "upsample nearest x3, odd plan sizes", 2, GANC_TRAIN, 1, {3}, {{2, 3, 5}}, b_up_near3, 1, 1e-2f, 0,
     NULL},
    {"up_bic4", "upsample bicubic x4 (MATLAB's)", 2, GANC_TRAIN, 1, {3}, {{2, 3, 5}}, b_up_bic4, 1, 1e-2f, 0, NULL},
    {"up_bil3", "upsample bilinear x3", 1, GANC_TRAIN, 1, {3}, {{1, 4, 3}}, b_up_bil3, 1, 1e-2f, 0, NULL},
    {"pool2", "avgpool k2 s2 odd", 2, GANC_TRAIN, 1, {3}, {{2, 5, 7}}, b_pool2, 1, 1e-2f, 0, NULL},
    {"pool3", "avgpool k3 s1", 1, GANC_TRAIN, 1, {3}, {{2, 5, 4}}, b_pool3, 1, 1e-2f, 0, NULL},
    {"pool3p", "avgpool k3 s1 p1 count_include_pad", 2, GANC_TRAIN, 1, {3}, {{2, 5, 4}}, b_pool3p, 1, 1e-2f, 0, NULL},
    {"pool3px", "avgpool k3 s2 p1 exclude pad", 2, GANC_TRAIN, 1, {3}, {{2, 6, 7}}, b_pool3px, 1, 1e-2f, 0, NULL},
    {"maxpool_k3s2", "maxpool k3 s2 odd", 2, GANC_TRAIN, 1, {3}, {{2, 7, 9}}, b_maxpool_a, 1, 1e-3f, 0, NULL},
    {"maxpool_k3s2p1", "maxpool k3 s2 p1", 2, GANC_TRAIN, 1, {3}, {{2, 6, 5}}, b_maxpool_b, 1, 1e-3f, 0, NULL},
    {"maxpool_k2s2", "maxpool k2 s2 batch1", 1, GANC_TRAIN, 1, {3}, {{3, 4, 6}}, b_maxpool_c, 1, 1e-3f, 0, NULL},
    {"embed", "embedding", 3, GANC_TRAIN, 1, {1}, {{5}}, b_embed, 0, 1e-2f, 0, prep_embed},
    {"lstm", "lstm T4 I3 H5", 2, GANC_TRAIN, 1, {2}, {{4, 3}}, b_lstm, 1, 1e-2f, 0, NULL},
    {"lstm_t1", "lstm T1 batch1", 1, GANC_TRAIN, 1, {2}, {{1, 3}}, b_lstm, 1, 1e-2f, 0, NULL},
    {"transpose", "transpose (A,B) -> (B,A)", 2, GANC_TRAIN, 1, {2}, {{3, 5}}, b_transpose, 1, 1e-2f, 0, NULL},
    {"mean_time", "mean over time, lengths 5 2 1", 3, GANC_TRAIN, 1, {2}, {{5, 4}}, b_mean_time, 1, 1e-2f, 0,
     prep_lengths},
    {"mean_time_all", "mean over time, all steps", 2, GANC_TRAIN, 1, {2}, {{3, 4}}, b_mean_time_all, 1, 1e-2f, 0,
     NULL},
    {"conv1d", "conv1d k3 s2 p1 bias", 2, GANC_TRAIN, 1, {2}, {{3, 9}}, b_conv1d, 1, 1e-2f, 0, NULL},
    {"charcnn", "conv1d-relu-pool-transpose-lstm-masked mean-linear", 3, GANC_TRAIN, 1, {2}, {{3, 10}}, b_charcnn, 1,
     1e-2f, 0.05f, prep_lengths},
    {"graph", "graph: conv-bn-lrelu, broadcast concat, residual, shuffle, pool", 2, GANC_TRAIN, 2, {3, 1},
     {{2, 6, 6}, {3}}, b_graph, 1, 1e-3f, 0, NULL},
};
const int n_layer_cases = (int)(sizeof layer_cases / sizeof layer_cases[0]);
