/* Finite-difference checks of every layer's backward (input and parameter gradients), on odd shapes, stride > 1,
   padding and batch 1, plus the losses' gradients, the shape errors that name the layer, and the gradients a backward
   with GANC_NO_INPUT_GRADS skips. */
#include <math.h>
#include <stdlib.h>
#include <string.h>
#include "nn/graph.h"
#include "testutil.h"
#include "layer_cases.h"

static void run_case(const fd_case_t *c) {
    ganc_net_t *net = ganc_net_new("fd");
    int in[2];
    for (int k = 0; k < c->nin; k++) in[k] = ganc_net_input(net, k ? "x1" : "x0", c->in_ndim[k], c->in_shape[k]);
    int out = c->build(net, in);
    CHECK(out >= 0, "%s: build: %s", c->what, ganc_errmsg());
    if (out < 0) { ganc_net_free(net); return; }
    CHECK_OK(ganc_net_build(net, c->batch));
    ganc_net_init_default(net, 11);
    /* perturb every parameter so nothing sits at a special value (BN gamma 1, beta 0, PReLU 0.25) */
    ganc_rng_t r;
    ganc_rng_seed(&r, 5);
    float *p = ganc_net_params(net);
    for (size_t i = 0; i < ganc_net_nparams(net); i++) p[i] += 0.3f * ganc_rng_normal(&r);
    for (int k = 0; k < c->nin; k++) {
        float *x = ganc_net_data(net, in[k]);
        size_t n = ganc_net_numel(net, in[k]) * c->batch;
        for (size_t i = 0; i < n; i++) {
            float v = ganc_rng_normal(&r);
            x[i] = c->away > 0 ? (v >= 0 ? v + c->away : v - c->away) : v;
        }
    }
    if (c->prep) c->prep(net, in, c->batch);
    int bad = tu_fd_check(c->what, net, in, c->grad_inputs ? c->nin : 0, out, c->batch, c->flags, c->eps, 2e-2, 40,
                          99);
    printf("%-66s %s\n", c->what, bad ? "FAIL" : "ok");
    ganc_net_free(net);
}

/* losses: FD on the loss value itself */
static void check_loss(const char *what, float (*f)(const float *, const void *, size_t, float *), const void *tgt,
                       size_t n, int away) {
    ganc_rng_t r;
    ganc_rng_seed(&r, 3);
    float *x = malloc(n * sizeof(float)), *g = calloc(n, sizeof(float)), *dummy = calloc(n, sizeof(float));
    for (size_t i = 0; i < n; i++) {
        float v = 2.0f * ganc_rng_normal(&r);
        x[i] = away ? (v >= 0 ? v + 0.1f : v - 0.1f) : v;
    }
    f(x, tgt, n, g);
    int bad = 0;
    const float eps = 1e-2f;
    for (size_t i = 0; i < n; i++) {
        float keep = x[i];
        x[i] = keep + eps;
        double fp = f(x, tgt, n, NULL);
        x[i] = keep - eps;
        double fm = f(x, tgt, n, NULL);
        x[i] = keep;
        double num = (fp - fm) / (2 * eps);
        if (fabs(num - g[i]) > 2e-3 * fmax(1.0, fabs(num))) bad++;
    }
    CHECK(bad == 0, "%s: %d gradient entries differ from finite differences", what, bad);
    printf("%-66s %s\n", what, bad ? "FAIL" : "ok");
    free(x); free(g); free(dummy);
}
static float l_bce(const float *x, const void *t, size_t n, float *g) { return ganc_bce_logits(x, t, 0, n, g, 1.0f); }
static float l_bce1(const float *x, const void *t, size_t n, float *g) {
    (void)t;
    return ganc_bce_logits(x, NULL, 1.0f, n, g, 1.0f);
}
static float l_mse(const float *x, const void *t, size_t n, float *g) { return ganc_mse(x, t, n, g, 1.0f); }
static float l_l1(const float *x, const void *t, size_t n, float *g) { return ganc_l1(x, t, n, g, 1.0f); }
static float l_xent(const float *x, const void *t, size_t n, float *g) {
    return ganc_softmax_xent(x, t, (int)n / 4, 4, g, 1.0f);
}

static void shape_errors(void) {
    ganc_net_t *net = ganc_net_new("D");
    int x = ganc_net_input(net, "x", 3, (int[]){3, 8, 8});
    int h = ganc_net_conv2d(net, "main.0", x, 4, 3, 3, 1, 1, 0);
    int bad = ganc_net_add(net, "main.1", h, x); /* 4 vs 3 channels */
    CHECK(bad < 0, "add of mismatched shapes must fail");
    CHECK(strstr(ganc_errmsg(), "main.1") && strstr(ganc_errmsg(), "add"), "error names the layer: %s",
          ganc_errmsg());
    CHECK(ganc_net_build(net, 4) != GANC_OK, "a broken network must not build");
    ganc_net_free(net);
    net = ganc_net_new("G");
    x = ganc_net_input(net, "z", 1, (int[]){10});
    CHECK(ganc_net_conv2d(net, "main.0", x, 4, 3, 3, 1, 1, 0) < 0 && strstr(ganc_errmsg(), "main.0"),
          "conv on a vector must fail naming the layer: %s", ganc_errmsg());
    ganc_net_free(net);
    net = ganc_net_new("E");
    x = ganc_net_input(net, "i", 1, (int[]){3});
    int e = ganc_net_embedding(net, "emb", x, 5, 2);
    CHECK_OK(ganc_net_build(net, 1));
    ganc_net_data(net, x)[1] = 7.0f;
    CHECK(ganc_net_forward(net, 1, 0) != GANC_OK && strstr(ganc_errmsg(), "emb"), "embedding index out of range: %s",
          ganc_errmsg());
    (void)e;
    CHECK(ganc_net_forward(net, 2, 0) != GANC_OK, "batch above max_batch must fail");
    ganc_net_free(net);
}

/* GANC_NO_INPUT_GRADS with the first conv fed by a concat of two inputs (LAPGAN's levels): nothing before the conv
   is wanted, so it gets no input gradient to compute, and the parameter gradients are a full backward's, bit for bit */
static void skipped_grads(void) {
    ganc_net_t *net[2];
    int a[2], cat[2], conv[2], out[2];
    float x[2][3 * 36], gy[3 * 36], *pg[2];
    for (int i = 0; i < 3 * 36; i++) {
        x[0][i] = (float)((i * 7) % 11) / 11.0f - 0.5f;
        x[1][i] = (float)((i * 5) % 13) / 13.0f - 0.5f;
        gy[i] = (float)((i * 3) % 7) / 7.0f - 0.5f;
    }
    for (int k = 0; k < 2; k++) {
        net[k] = ganc_net_new("skip");
        a[k] = ganc_net_input(net[k], "l", 3, (int[]){1, 6, 6});
        const int b = ganc_net_input(net[k], "noise", 3, (int[]){1, 6, 6});
        cat[k] = ganc_net_concat(net[k], "cat", a[k], b);
        conv[k] = ganc_net_conv2d(net[k], "main.0", cat[k], 4, 3, 3, 1, 1, 1);
        out[k] = ganc_net_conv2d(net[k], "main.2", ganc_net_relu(net[k], "main.1", conv[k]), 1, 3, 3, 1, 1, 1);
        CHECK_OK(ganc_net_build(net[k], 3));
        ganc_net_init_default(net[k], 11);
        memcpy(ganc_net_data(net[k], a[k]), x[0], sizeof x[0]);
        memcpy(ganc_net_data(net[k], b), x[1], sizeof x[1]);
        CHECK_OK(ganc_net_forward(net[k], 3, GANC_TRAIN));
        memcpy(ganc_net_grad(net[k], out[k]), gy, sizeof gy);
        CHECK_OK(ganc_net_backward(net[k], k ? GANC_NO_INPUT_GRADS : 0));
        pg[k] = ganc_net_param_grads(net[k]);
    }
    double gl = 0.0;
    for (int i = 0; i < 3 * 36; i++) gl += fabs(ganc_net_grad(net[0], a[0])[i]);
    CHECK(gl > 0 && net[0]->wants[cat[0]] && net[0]->wants[a[0]], "a full backward reaches the inputs");
    CHECK(!net[1]->wants[cat[1]] && !net[1]->wants[a[1]] && net[1]->wants[conv[1]],
          "with GANC_NO_INPUT_GRADS nothing before the first conv is wanted");
    CHECK(!memcmp(pg[0], pg[1], sizeof(float) * net[0]->nparam), "parameter gradients differ without input gradients");
    ganc_net_free(net[0]);
    ganc_net_free(net[1]);
}

int main(void) {
    ganc_set_threads(2);
    tu_device_from_env("test_layers_fd");
    for (int i = 0; i < n_layer_cases; i++) run_case(&layer_cases[i]);
    float t[24];
    int labels[6] = {0, 3, 1, 2, 3, 0};
    for (int i = 0; i < 24; i++) t[i] = (float)((i * 5) % 7) / 7.0f;
    check_loss("loss: bce_logits (soft targets)", l_bce, t, 24, 0);
    check_loss("loss: bce_logits (target 1)", l_bce1, NULL, 24, 0);
    check_loss("loss: mse", l_mse, t, 24, 0);
    check_loss("loss: l1", l_l1, t, 24, 1);
    check_loss("loss: softmax cross-entropy", l_xent, labels, 24, 0);
    /* BCE must stay finite for extreme logits */
    float big[2] = {1e4f, -1e4f}, g[2] = {0, 0};
    float l = ganc_bce_logits(big, NULL, 1.0f, 2, g, 1.0f);
    CHECK(isfinite(l) && fabsf(l - 5000.0f) < 1e-2f && fabsf(g[1] + 0.5f) < 1e-6f, "bce on +-1e4: loss %g", l);
    shape_errors();
    skipped_grads();
    return tu_finish("test_layers_fd");
}
