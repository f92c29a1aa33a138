/* Every layer case against PyTorch 1.13 (fixtures from scripts/gen_fixtures.py): forward output, input gradients,
   parameter gradients, and BatchNorm running statistics after the update. Error measure: max |ganc - torch| divided
   by max |torch| over the tensor (infinity-norm relative error); the bound is 1e-4. */
#include <math.h>
#include <stdlib.h>
#include <string.h>
#include "layer_cases.h"
#include "testutil.h"

static double worst = 0.0;
static char worst_what[200];

static void cmp(const char *key, const char *what, const float *got, const ganc_st_tensor_t *ref, size_t n) {
    CHECK(ref != NULL, "%s: fixture lacks %s", key, what);
    if (!ref) return;
    CHECK(ref->dtype == GANC_F32 && ref->numel == n, "%s: %s: fixture has %zu elements, ganc %zu", key, what,
          ref->numel, n);
    if (ref->numel != n) return;
    float *r = malloc(n * sizeof(float));
    memcpy(r, ref->data, n * sizeof(float));
    double mx = 0.0;
    for (size_t i = 0; i < n; i++) mx = fmax(mx, fabs(r[i]));
    double err = tu_max_abs(got, r, n) / fmax(mx, 1e-6);
    if (err > worst) { worst = err; snprintf(worst_what, sizeof worst_what, "%s %s", key, what); }
    CHECK(err <= 1e-4, "%s: %s: relative error %.3g > 1e-4", key, what, err);
    free(r);
}

static void run(const fd_case_t *c) {
    char path[300];
    snprintf(path, sizeof path, "layer_%s.safetensors", c->key);
    ganc_st_t *st;
    int rc = ganc_st_open(&st, tu_fixture(path));
    CHECK(rc == GANC_OK, "%s", ganc_errmsg());
    if (rc) return;
    int train = atoi(ganc_st_meta(st, "train") ? ganc_st_meta(st, "train") : "1");
    ganc_net_t *net = ganc_net_new(c->key);
    int in[2];
    for (int k = 0; k < c->nin; k++) in[k] = ganc_net_input(net, k ? "x1" : "x0", c->in_ndim[k], c->in_shape[k]);
    int out = c->build(net, in);
    CHECK_OK(ganc_net_build(net, c->batch));
    CHECK_OK(ganc_net_load_from(net, st, "param.", 0));
    for (int k = 0; k < c->nin; k++) {
        const ganc_st_tensor_t *x = ganc_st_find(st, k ? "in.x1" : "in.x0");
        CHECK(x && x->numel == ganc_net_numel(net, in[k]) * c->batch, "%s: input %d", c->key, k);
        memcpy(ganc_net_data(net, in[k]), x->data, x->nbytes);
    }
    if (c->prep) c->prep(net, in, c->batch); /* inputs the case builds itself (mean_time's lengths) */
    CHECK_OK(ganc_net_forward(net, c->batch, train ? GANC_TRAIN | GANC_UPDATE_STATS : 0));
    size_t ny = ganc_net_numel(net, out) * c->batch;
    cmp(c->key, "output", ganc_net_data(net, out), ganc_st_find(st, "out.y"), ny);
    const ganc_st_tensor_t *dy = ganc_st_find(st, "dy");
    memcpy(ganc_net_grad(net, out), dy->data, dy->nbytes);
    ganc_net_zero_grad(net);
    CHECK_OK(ganc_net_backward(net, 0));
    if (c->grad_inputs)
        for (int k = 0; k < c->nin; k++)
            cmp(c->key, k ? "grad x1" : "grad x0", ganc_net_grad(net, in[k]), ganc_st_find(st, k ? "grad.x1" : "grad.x0"),
                ganc_net_numel(net, in[k]) * c->batch);
    char name[200];
    for (int t = 0; t < ganc_net_ntensors(net); t++) {
        ganc_tensor_info_t ti;
        ganc_net_tensor(net, t, &ti);
        if (ti.kind == GANC_PARAM) {
            snprintf(name, sizeof name, "grad.%s", ti.name);
            cmp(c->key, name, ti.grad, ganc_st_find(st, name), ti.numel);
        } else if (ti.kind == GANC_BUFFER) {
            snprintf(name, sizeof name, "after.%s", ti.name);
            cmp(c->key, name, ti.data, ganc_st_find(st, name), ti.numel);
        } else {
            snprintf(name, sizeof name, "after.%s", ti.name);
            const ganc_st_tensor_t *r = ganc_st_find(st, name);
            int64_t v = 0;
            if (r) memcpy(&v, r->data, 8);
            CHECK(r && v == *ti.counter, "%s: %s = %lld, torch %lld", c->key, name, (long long)*ti.counter, (long long)v);
        }
    }
    ganc_net_free(net);
    ganc_st_free(st);
}

/* Dropout in training mode cannot match torch's generator; check its defining properties instead. */
static void dropout_train(void) {
    ganc_net_t *net = ganc_net_new("drop");
    int x = ganc_net_input(net, "x", 1, (int[]){1000});
    int y = ganc_net_dropout(net, "d", x, 0.3f);
    CHECK_OK(ganc_net_build(net, 10));
    float *xi = ganc_net_data(net, x);
    for (int i = 0; i < 10000; i++) xi[i] = 1.0f + (float)(i % 7);
    CHECK_OK(ganc_net_forward(net, 10, GANC_TRAIN));
    const float *yo = ganc_net_data(net, y);
    int zeros = 0, scaled = 0;
    for (int i = 0; i < 10000; i++) {
        if (yo[i] == 0.0f) zeros++;
        else if (fabsf(yo[i] - xi[i] / 0.7f) < 1e-5f * yo[i]) scaled++;
    }
    CHECK(zeros + scaled == 10000, "dropout output is either 0 or x/(1-p)");
    CHECK(abs(zeros - 3000) < 200, "dropout dropped %d of 10000 (expected about 3000)", zeros);
    ganc_net_free(net);
}

int main(void) {
    ganc_set_threads(2);
    tu_device_from_env("test_torch_fixtures");
    for (int i = 0; i < n_layer_cases; i++) run(&layer_cases[i]);
    dropout_train();
    printf("largest relative error against PyTorch: %.3g (%s)\n", worst, worst_what);
    return tu_finish("test_torch_fixtures");
}
