/* SRResNet and SRGAN's D against PyTorch (fixtures from scripts/gen_srgan_fixtures.py, whose modules define the
   parameter names): the same weights and input, a training-mode forward (output, BatchNorm running statistics) and
   backward (input and parameter gradients). Error: max |ganc - torch| / max |torch| per tensor (for the bias
   gradients of convolutions ahead of BatchNorm, which are 0 up to rounding: over the size of the same layer's weight
   gradient); bound 1e-4. Also the
   configuration checks and the architecture's sizes at the paper's configuration. */
#include <math.h>
#include <stdlib.h>
#include <string.h>
#include "testutil.h"

static double worst;

static double max_abs(const ganc_st_tensor_t *t) {
    double mx = 0;
    for (size_t i = 0; t && i < t->numel; i++) {
        float v;
        memcpy(&v, (const char *)t->data + 4 * i, 4);
        mx = fmax(mx, fabs(v));
    }
    return mx;
}

/* floor: the error is relative to max(max |torch|, floor) (see the bias gradients below) */
static void cmp(const char *tag, const char *what, const float *got, const ganc_st_tensor_t *ref, size_t n,
                double floor) {
    CHECK(ref && ref->dtype == GANC_F32 && ref->numel == n, "%s: %s missing or of another size", tag, what);
    if (!ref || ref->dtype != GANC_F32 || ref->numel != n) return;
    float *r = malloc(n * sizeof(float));
    memcpy(r, ref->data, n * sizeof(float));
    double mx = fmax(max_abs(ref), floor);
    double e = tu_max_abs(got, r, n) / fmax(mx, 1e-6);
    worst = fmax(worst, e);
    CHECK(e <= 1e-4, "%s: %s: relative error %.3g > 1e-4", tag, what, e);
    free(r);
}

static void against_torch(const char *tag, ganc_net_t *net, const ganc_sr_io_t *io, int batch, const char *file) {
    ganc_st_t *st = NULL;
    CHECK_OK(ganc_st_open(&st, tu_fixture(file)));
    if (!st || !net) { ganc_st_free(st); return; }
    CHECK_OK(ganc_net_load_from(net, st, "param.", 0));
    const ganc_st_tensor_t *x = ganc_st_find(st, "in.x"), *dy = ganc_st_find(st, "dy");
    const size_t nx = ganc_net_numel(net, io->in) * batch, ny = ganc_net_numel(net, io->out) * batch;
    CHECK(x && x->numel == nx && dy && dy->numel == ny, "%s: fixture input/dy sizes", tag);
    if (!x || x->numel != nx || !dy || dy->numel != ny) { ganc_st_free(st); return; }
    CHECK_OK(ganc_net_set_input(net, io->in, (const float *)x->data, batch));
    CHECK_OK(ganc_net_forward(net, batch, GANC_TRAIN | GANC_UPDATE_STATS));
    cmp(tag, "output", ganc_net_data(net, io->out), ganc_st_find(st, "out.y"), ny, 0);
    memcpy(ganc_net_grad(net, io->out), dy->data, dy->nbytes);
    ganc_net_zero_grad(net);
    CHECK_OK(ganc_net_backward(net, 0));
    cmp(tag, "grad x", ganc_net_grad(net, io->in), ganc_st_find(st, "grad.x"), nx, 0);
    char name[300];
    int nparam = 0;
    for (int t = 0; t < ganc_net_ntensors(net); t++) {
        ganc_tensor_info_t ti;
        ganc_net_tensor(net, t, &ti);
        if (ti.kind == GANC_COUNTER) {
            snprintf(name, sizeof name, "after.%s", ti.name);
            const ganc_st_tensor_t *r = ganc_st_find(st, name);
            CHECK(r && r->dtype == GANC_I64 && *(const int64_t *)r->data == *ti.counter, "%s: %s", tag, name);
            continue;
        }
        snprintf(name, sizeof name, "%s.%s", ti.kind == GANC_PARAM ? "grad" : "after", ti.name);
        /* A convolution's bias ahead of training-mode BatchNorm has a gradient of exactly 0 (the batch mean takes
           it out): both sides hold rounding noise, so a bias gradient is measured against its weight gradient's
           size. */
        double floor = 0;
        const size_t len = strlen(name);
        if (ti.kind == GANC_PARAM && len > 5 && !strcmp(name + len - 5, ".bias")) {
            char wn[300];
            snprintf(wn, sizeof wn, "%.*sweight", (int)(len - 4), name);
            floor = max_abs(ganc_st_find(st, wn));
        }
        cmp(tag, name, ti.kind == GANC_PARAM ? ti.grad : ti.data, ganc_st_find(st, name), ti.numel, floor);
        nparam += ti.kind == GANC_PARAM;
    }
    printf("%-9s %d parameter tensors, output, gradients and statistics vs PyTorch\n", tag, nparam);
    ganc_st_free(st);
}

int main(void) {
    ganc_set_threads(2);
    tu_device_from_env("test_srgan");
    ganc_sr_cfg_t c = {2, 8, 4, 3};
    ganc_sr_io_t gio, dio;
    ganc_net_t *g = ganc_srresnet(&c, 7, 9, 2, &gio);
    CHECK(g != NULL, "srresnet: %s", ganc_errmsg());
    if (g) {
        const int *s = ganc_net_shape(g, gio.out);
        CHECK(s[0] == 3 && s[1] == 28 && s[2] == 36, "x4 output of 7x9 is 28x36 (got %dx%d)", s[2], s[1]);
    }
    against_torch("srresnet", g, &gio, 2, "srresnet_small.safetensors");
    ganc_net_t *d = ganc_srgan_d(3, 32, 4, 16, 3, &dio);
    CHECK(d != NULL, "srgan D: %s", ganc_errmsg());
    against_torch("srgan D", d, &dio, 3, "srgan_d_small.safetensors");
    ganc_net_free(g);
    ganc_net_free(d);
    printf("largest relative error against PyTorch: %.2e\n", worst);

    /* the paper's configuration: 16 blocks of width 64, x4; D of width 64 with a 1024-unit dense layer at 96x96 */
    c = ganc_sr_default_cfg();
    CHECK(c.blocks == 16 && c.width == 64 && c.scale == 4 && c.nc == 3, "the default is the paper's configuration");
    g = ganc_srresnet(&c, 24, 24, 1, &gio);
    d = ganc_srgan_d(3, 96, 64, 1024, 1, &dio);
    CHECK(g && d, "paper-size networks: %s", ganc_errmsg());
    if (g && d) {
        /* SRResNet: 1.55M parameters (head 15.6k, 16 blocks of 74k, tail 37k, up 2x148k, out 15.6k); D: 23.6M */
        printf("paper configuration: SRResNet %zu parameters, D %zu\n", ganc_net_nparams(g), ganc_net_nparams(d));
        CHECK(ganc_net_nparams(g) > 1500000 && ganc_net_nparams(g) < 1600000, "SRResNet parameters %zu",
              ganc_net_nparams(g));
        CHECK(ganc_net_shape(g, gio.out)[1] == 96, "x4 of 24 is 96");
    }
    ganc_net_free(g);
    ganc_net_free(d);
    ganc_sr_cfg_t bad = c;
    bad.scale = 3;
    CHECK(ganc_srresnet(&bad, 8, 8, 1, &gio) == NULL && strstr(ganc_errmsg(), "scale"), "scale 3 refused");
    bad = c;
    bad.blocks = 65;
    CHECK(ganc_srresnet(&bad, 8, 8, 1, &gio) == NULL, "65 blocks refused");
    CHECK(ganc_srgan_d(3, 40, 64, 1024, 1, &dio) == NULL && strstr(ganc_errmsg(), "multiple of 16"),
          "D input not a multiple of 16 refused");
    return tu_finish("test_srgan");
}
