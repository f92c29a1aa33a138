/* SRResNet and SRGAN's D against PyTorch (fixtures from scripts/gen_srgan_fixtures.py, whose modules define the
   parameter names): the same weights and input, a training-mode forward (output, BatchNorm running statistics) and
   backward (input and parameter gradients). Error: max |ganc - torch| / max |torch| per tensor (for the bias
   gradients of convolutions ahead of BatchNorm, which are 0 up to rounding: over the size of the same layer's weight
   gradient); bound 1e-4. Two MSE/Adam training steps against PyTorch; the training pairs (oriented windows, their
   bicubic downscale, the seed); the configuration checks and the paper configuration's sizes; and (given the ganc
   binary) `ganc train srresnet` on a photo folder: exact resume, the weights file's architecture, its errors.
   Usage: test_srgan [GANC] */
#include <math.h>
#include <stdlib.h>
#include <string.h>
#include <sys/stat.h>
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
            int64_t v = -1;
            if (r && r->dtype == GANC_I64) memcpy(&v, r->data, sizeof v); /* file data need not be aligned */
            CHECK(v == *ti.counter, "%s: %s", tag, name);
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

/* Two training steps against PyTorch: both losses, and every weight and statistic after the first step. (After the
   second, BatchNorm's running means follow the biases of the convolutions ahead of it, which drift apart: their
   gradient is 0 up to rounding, which Adam turns into steps of up to lr either way. In training mode BatchNorm takes
   them out, so the losses still agree.) */
static double vs_fixture(ganc_net_t *net, const ganc_st_t *st, const char *prefix, int steps, char *worst, size_t cap);
static void train_steps(void) {
    ganc_st_t *st = NULL;
    CHECK_OK(ganc_st_open(&st, tu_fixture("srresnet_step.safetensors")));
    if (!st) return;
    ganc_sr_train_cfg_t tc = {{2, 8, 4, 3, GANC_SR_SKIP_NONE}, 2, 16, 1e-3f, 0.9f, 0.999f, 1, GANC_SR_MSE, 0, 0, 0, 0, NULL, 0, 0};
    ganc_sr_trainer_t *t = ganc_sr_trainer_new(&tc);
    CHECK(t != NULL, "sr trainer: %s", ganc_errmsg());
    const ganc_st_tensor_t *lr = ganc_st_find(st, "lr"), *hr = ganc_st_find(st, "hr"), *ls = ganc_st_find(st, "loss");
    if (!t || !lr || !hr || !ls || lr->numel != 2 * 2 * 3 * 16 || hr->numel != 2 * 2 * 3 * 256) {
        CHECK(0, "srresnet_step fixture");
        ganc_sr_trainer_free(t);
        ganc_st_free(st);
        return;
    }
    ganc_net_t *g = ganc_sr_g(t);
    CHECK_OK(ganc_net_load_from(g, st, "param.", 1));
    double w = 0;
    char worst_name[200] = "";
    for (int i = 0; i < 2; i++) {
        float loss, want;
        memcpy(&want, (const char *)ls->data + 4 * i, 4);
        CHECK_OK(ganc_sr_train_step(t, (const float *)lr->data + i * 2 * 3 * 16, (const float *)hr->data + i * 2 * 3 * 256,
                                    &loss));
        CHECK(fabsf(loss - want) <= 1e-5f * (1 + want), "step %d: loss %.7g, PyTorch %.7g", i + 1, loss, want);
        if (i == 0) w = vs_fixture(g, st, "after1.", 1, worst_name, sizeof worst_name);
    }
    CHECK(w <= 1e-4, "weights after a step: max relative error %.3g (%s)", w, worst_name);
    printf("srresnet  MSE/Adam steps vs PyTorch: weights and statistics within %.2e, losses within 1e-5\n", w);
    CHECK(ganc_trainer_step(ganc_sr_trainer_core(t)) == 2, "two steps counted");
    ganc_sr_trainer_free(t);
    ganc_st_free(st);
}

/* training pairs: the crop is one of the 8 orientations of some window; lr is its bicubic downscale; a seed repeats */
static void crops(void) {
    enum { W = 12, H = 10, CR = 4 };
    unsigned char px[W * H * 3];
    for (int i = 0; i < W * H * 3; i++) px[i] = (unsigned char)(i * 37 % 251);
    ganc_image_t img = {W, H, 3, px};
    ganc_rng_t r, r2;
    ganc_rng_seed(&r, 4);
    ganc_rng_seed(&r2, 4);
    float hr[3 * CR * CR], lr[3], hr2[3 * CR * CR], lr2[3], want[3];
    for (int it = 0; it < 20; it++) {
        CHECK_OK(ganc_sr_crop(&img, CR, 4, &r, hr, lr));
        CHECK_OK(ganc_sr_crop(&img, CR, 4, &r2, hr2, lr2));
        CHECK(!memcmp(hr, hr2, sizeof hr) && !memcmp(lr, lr2, sizeof lr), "the same seed gives the same crops");
        int found = 0;
        for (int y0 = 0; y0 + CR <= H && !found; y0++)
            for (int x0 = 0; x0 + CR <= W && !found; x0++)
                for (int t = 0; t < 8 && !found; t++) {
                    int ok = 1;
                    for (int y = 0; y < CR && ok; y++)
                        for (int x = 0; x < CR && ok; x++) {
                            int sx = t & 4 ? y : x, sy = t & 4 ? x : y;
                            if (t & 1) sx = CR - 1 - sx;
                            if (t & 2) sy = CR - 1 - sy;
                            for (int k = 0; k < 3; k++)
                                ok &= hr[(k * CR + y) * CR + x] == px[((y0 + sy) * W + x0 + sx) * 3 + k] / 127.5f - 1.0f;
                        }
                    found = ok;
                }
        CHECK(found, "crop %d is an oriented window of the image", it);
        CHECK_OK(ganc_resize(hr, 3, CR, CR, 1, 1, GANC_RESAMPLE_BICUBIC, want));
        CHECK(!memcmp(lr, want, sizeof lr), "lr is the bicubic downscale of hr");
    }
    CHECK(ganc_sr_crop(&img, 16, 4, &r, hr, lr) == GANC_EINVAL, "a crop larger than the image is refused");
    CHECK(ganc_sr_crop(&img, 6, 4, &r, hr, lr) == GANC_EINVAL, "a crop that is not a multiple of the scale is refused");
}

/* Tiled upscaling equals the untiled network (eval mode, non-trivial BatchNorm statistics), for tiles that do and do
   not divide the image, with and without the bicubic skip; a file of another model is refused. */
static void tiles(int skip) {
    ganc_sr_cfg_t c = {1, 8, 4, 3, skip};
    ganc_sr_io_t io;
    enum { H = 23, W = 31 };
    ganc_net_t *g = ganc_srresnet(&c, H, W, 1, &io);
    CHECK(g != NULL, "srresnet: %s", ganc_errmsg());
    if (!g) return;
    ganc_net_init_default(g, 3);
    ganc_rng_t r;
    ganc_rng_seed(&r, 8);
    for (int t = 0; t < ganc_net_ntensors(g); t++) {
        ganc_tensor_info_t ti;
        ganc_net_tensor(g, t, &ti);
        if (strstr(ti.name, "running_mean")) ganc_rng_fill_uniform(&r, ti.data, ti.numel, -0.1f, 0.1f);
        if (strstr(ti.name, "running_var")) ganc_rng_fill_uniform(&r, ti.data, ti.numel, 0.5f, 1.5f);
    }
    ganc_meta_t meta;
    ganc_meta_init(&meta);
    CHECK_OK(ganc_sr_meta(&c, &meta));
    const char *path = tu_tmp("sr_tiles.safetensors");
    char p[1024];
    snprintf(p, sizeof p, "%s", path);
    CHECK_OK(ganc_net_save(g, p, meta.kv, meta.n));
    static float x[3 * H * W], y0[3 * H * W * 16], y1[3 * H * W * 16];
    ganc_rng_fill_uniform(&r, x, sizeof x / sizeof x[0], -1, 1);
    CHECK_OK(ganc_net_set_input(g, io.in, x, 1)); /* the whole image through one network */
    CHECK_OK(ganc_net_forward(g, 1, 0));
    memcpy(y0, ganc_net_data(g, io.out), sizeof y0);
    ganc_sr_model_t *m = ganc_sr_load(p);
    CHECK(m != NULL, "ganc_sr_load: %s", ganc_errmsg());
    const int tiles_[3] = {4096, 8, 5};
    for (int k = 0; m && k < 3; k++) {
        CHECK_OK(ganc_sr_upscale(m, x, H, W, tiles_[k], y1));
        double mx = 0;
        for (size_t i = 0; i < sizeof y0 / sizeof y0[0]; i++) mx = fmax(mx, fabs(y0[i]));
        double e = tu_max_abs(y1, y0, sizeof y0 / sizeof y0[0]) / mx;
        CHECK(e <= 1e-5, "tiles of %d: %.3g away from the whole image (relative)", tiles_[k], e);
        printf("upscale in tiles of %4d (margin %d, skip %s): %.2e from the untiled network\n", tiles_[k],
               ganc_sr_margin(&c), skip ? "bicubic" : "none", e);
        CHECK(!m || ganc_sr_model_cfg(m)->skip == skip, "the skip comes back from the file's metadata");
    }
    ganc_sr_free(m);
    ganc_net_free(g);
    CHECK(ganc_sr_load(tu_fixture("ganc_dcgan32_G.safetensors")) == NULL && strstr(ganc_errmsg(), "not an srresnet"),
          "a DCGAN file is refused: %s", ganc_errmsg());
}

/* a network's tensors against the fixture's PREFIX.name after `steps` Adam steps of lr 1e-3: the largest relative
   error (floor 0.05) over weights, with the biases feeding a BatchNorm (gradient 0 up to rounding, which Adam turns
   into steps of up to lr in either direction) only required within 2 lr per step, and the running means (which such
   a bias shifts, times the momentum 0.1) within 5e-4 per step; counters exactly */
static double vs_fixture(ganc_net_t *net, const ganc_st_t *st, const char *prefix, int steps, char *worst, size_t cap) {
    double w = 0;
    for (int k = 0; k < ganc_net_ntensors(net); k++) {
        ganc_tensor_info_t ti;
        ganc_net_tensor(net, k, &ti);
        char name[300];
        snprintf(name, sizeof name, "%s%s", prefix, ti.name);
        const ganc_st_tensor_t *r = ganc_st_find(st, name);
        CHECK(r && r->numel == ti.numel, "%s missing", name);
        if (!r || r->numel != ti.numel) continue;
        if (ti.kind == GANC_COUNTER) {
            int64_t v = -1;
            if (r->dtype == GANC_I64) memcpy(&v, r->data, sizeof v);
            CHECK(v == *ti.counter, "%s: %lld, PyTorch %lld", name, (long long)*ti.counter, (long long)v);
            continue;
        }
        float *ref = malloc(ti.numel * sizeof(float));
        memcpy(ref, r->data, ti.numel * sizeof(float));
        const ganc_tensor_info_t *next = NULL;
        ganc_tensor_info_t nt;
        if (k + 2 < ganc_net_ntensors(net) && !ganc_net_tensor(net, k + 1, &nt)) next = &nt;
        const int before_bn = strstr(ti.name, ".bias") && next && strstr(next->name, "weight") &&
                              ganc_net_tensor(net, k + 2, &nt) == GANC_OK && strstr(nt.name, "bias") &&
                              ganc_net_tensor(net, k + 1, &nt) == GANC_OK && nt.numel == ti.numel &&
                              ganc_net_tensor(net, k + 3, &nt) == GANC_OK && strstr(nt.name, "running_mean");
        double e = tu_max_rel(ti.data, ref, ti.numel, 0.05, NULL);
        if (before_bn || strstr(ti.name, "running_mean")) {
            CHECK(tu_max_abs(ti.data, ref, ti.numel) <= (before_bn ? 2e-3 : 5e-4) * steps, "%s moved %.3g from "
                  "PyTorch's", name, tu_max_abs(ti.data, ref, ti.numel));
            e = 0;
        }
        if (e > w) { w = e; snprintf(worst, cap, "%s", name); }
        free(ref);
    }
    return w;
}

/* VGG19's weights by scripts/gen_vgg_fixtures.py's closed form (convolution k in order), and its normalisation;
   returns the number of convolutions */
static int closed_form_vgg(ganc_net_t *n) {
    int k = 0;
    ganc_vgg19_set_norm(n);
    for (int t = 0; t < ganc_net_ntensors(n); t++) {
        ganc_tensor_info_t ti;
        ganc_net_tensor(n, t, &ti);
        if (strncmp(ti.name, "features.", 9)) continue;
        if (strstr(ti.name, ".weight")) {
            const double a = 2 / sqrt((double)(ti.numel / (size_t)ti.shape[0]));
            for (size_t i = 0; i < ti.numel; i++) ti.data[i] = (float)(a * sin(0.37 * (double)i + 0.11 * k));
        } else {
            for (size_t i = 0; i < ti.numel; i++) ti.data[i] = (float)(0.05 * cos(0.13 * (double)i + k));
            k++;
        }
    }
    return k;
}

/* two SRGAN steps against PyTorch (scripts/gen_srgan_fixtures.py: srgan_step, and srgan_vgg22_step with the VGG22
   content loss of a closed-form VGG19): losses, G's and D's weights and D's statistics after each step */
static void srgan_steps(const char *fixture, int vgg_end) {
    ganc_st_t *st = NULL;
    CHECK_OK(ganc_st_open(&st, tu_fixture(fixture)));
    if (!st) return;
    char vgg[1200] = "";
    if (vgg_end) { /* the closed-form VGG as a weights file, as scripts/convert_vgg19.py would write one */
        int in, out;
        ganc_net_t *v = ganc_vgg19(vgg_end, 32, 32, 1, &in, &out);
        snprintf(vgg, sizeof vgg, "%s", tu_tmp("vgg.safetensors"));
        CHECK(v && closed_form_vgg(v) == 4 && ganc_net_save(v, vgg, NULL, 0) == GANC_OK, "vgg file: %s", ganc_errmsg());
        ganc_net_free(v);
    }
    ganc_sr_train_cfg_t tc = {{1, 8, 4, 3, GANC_SR_SKIP_NONE}, 2, 32, 1e-3f, 0.9f, 0.999f, 1, GANC_SR_MSE, 0.1f, 4, 8,
                              vgg_end, vgg_end ? vgg : NULL, 0, 0};
    ganc_sr_trainer_t *t = ganc_sr_trainer_new(&tc);
    CHECK(t != NULL && ganc_sr_d(t) != NULL, "srgan trainer: %s", ganc_errmsg());
    const ganc_st_tensor_t *lr = ganc_st_find(st, "lr"), *hr = ganc_st_find(st, "hr"), *ls = ganc_st_find(st, "losses");
    if (!t || !lr || !hr || !ls || lr->numel != 2 * 2 * 3 * 64 || hr->numel != 2 * 2 * 3 * 1024 || ls->numel != 6) {
        CHECK(0, "srgan_step fixture");
        ganc_sr_trainer_free(t);
        ganc_st_free(st);
        return;
    }
    CHECK_OK(ganc_net_load_from(ganc_sr_g(t), st, "g.", 1));
    CHECK_OK(ganc_net_load_from(ganc_sr_d(t), st, "d.", 1));
    double w = 0;
    char worst[300] = "", where[300];
    for (int i = 0; i < 2; i++) {
        ganc_srgan_stats_t s;
        float want[3];
        memcpy(want, (const char *)ls->data + 12 * i, 12);
        CHECK_OK(ganc_srgan_train_step(t, (const float *)lr->data + i * 2 * 3 * 64,
                                       (const float *)hr->data + i * 2 * 3 * 1024, &s));
        const float got[3] = {s.d_loss, s.content, s.adv};
        for (int k = 0; k < 3; k++)
            CHECK(fabsf(got[k] - want[k]) <= 1e-5f * (1 + want[k]), "step %d: loss %d %.7g, PyTorch %.7g", i + 1, k,
                  got[k], want[k]);
        char pre[8];
        for (int n = 0; n < 2; n++) {
            snprintf(pre, sizeof pre, "%c%d.", n ? 'd' : 'g', i + 1);
            double e = vs_fixture(n ? ganc_sr_d(t) : ganc_sr_g(t), st, pre, i + 1, where, sizeof where);
            if (e > w) { w = e; snprintf(worst, sizeof worst, "%s", where); }
        }
    }
    /* Adam's first steps move a weight by about lr whatever the size of its gradient, so the rounding of tiny
       gradients shows in the weights. Through VGG's 3x3 layers (Winograd in ganc) the worst weight is 7.7e-5
       off with im2col sums, 1.2e-4 with F(2x2,3x3) Winograd and, with F(4x4,3x3), 1.7e-4 (AVX-512 build) and 2.4e-4
       (SSE build: the ASan configuration); the MSE run stays near 3e-5. The losses agree within 1e-5 either way. */
    CHECK(w <= (vgg_end ? 4e-4 : 1e-4), "SRGAN weights after a step: max relative error %.3g (%s)", w, worst);
    printf("srgan     two steps vs PyTorch (D then G, %s + 0.1 adversarial): weights within %.2e, losses 1e-5\n",
           vgg_end ? "VGG22" : "MSE", w);
    ganc_sr_trainer_free(t);
    ganc_st_free(st);
}

/* ganc_image_shrink: sizes (remainders dropped), a flat colour stays flat, the bytes of the planes path, errors */
static void shrink(void) {
    ganc_image_t in = {9, 7, 3, malloc(9 * 7 * 3)}, out = {0};
    for (int i = 0; i < 9 * 7; i++) { in.px[3 * i] = 200; in.px[3 * i + 1] = 30; in.px[3 * i + 2] = 90; }
    CHECK_OK(ganc_image_shrink(&in, 2, &out));
    int flat = out.w == 4 && out.h == 3 && out.c == 3;
    for (int i = 0; flat && i < 12; i++) flat = out.px[3 * i] == 200 && out.px[3 * i + 1] == 30 && out.px[3 * i + 2] == 90;
    CHECK(flat, "a flat 9x7 image shrunk twice is a flat 4x3 one (%dx%dx%d)", out.w, out.h, out.c);
    ganc_image_free(&out);
    for (int i = 0; i < 9 * 7 * 3; i++) in.px[i] = (unsigned char)(i * 37 % 251);
    float x[3 * 8 * 6], y[3 * 4 * 3], all[3 * 9 * 7];
    ganc_image_planes(&in, 3, all);
    for (int k = 0; k < 3; k++)
        for (int r = 0; r < 6; r++) memcpy(x + (k * 6 + r) * 8, all + (k * 7 + r) * 9, sizeof(float) * 8);
    ganc_image_t ref = {0};
    CHECK_OK(ganc_image_shrink(&in, 2, &out));
    CHECK(!ganc_resize(x, 3, 6, 8, 3, 4, GANC_RESAMPLE_BICUBIC, y) && !ganc_planes_image(y, 3, 3, 4, &ref) &&
              out.px && !memcmp(out.px, ref.px, 36), "shrink = the top-left 8x6 resized to 4x3 and rounded");
    ganc_image_free(&out);
    ganc_image_free(&ref);
    CHECK(ganc_image_shrink(&in, 0, &out) == GANC_EINVAL && ganc_image_shrink(&in, 65, &out) == GANC_EINVAL &&
              ganc_image_shrink(&in, 8, &out) == GANC_EINVAL && strstr(ganc_errmsg(), "9x7"),
          "shrink factors outside 1..64 or beyond the image are refused: %s", ganc_errmsg());
    ganc_image_free(&in);
}

/* --d-warmup: the first steps update D alone (G's weights and running statistics untouched, D exactly as a trainer
   without warm-up after its first step); --d-lr: D's own Adam rate (0 = lr; Adam's first step moves each weight by
   about the rate, so doubling it doubles D's first move while G's rate stays) */
static float *snapshot(ganc_net_t *n) {
    float *c = malloc(sizeof(float) * ganc_net_nparams(n));
    if (c) memcpy(c, ganc_net_params(n), sizeof(float) * ganc_net_nparams(n));
    return c;
}
static double max_move(ganc_net_t *n, const float *before) {
    double m = 0;
    const float *p = ganc_net_params(n);
    for (size_t i = 0; i < ganc_net_nparams(n); i++) m = fmax(m, fabs((double)p[i] - before[i]));
    return m;
}
static void srgan_warmup(void) {
    ganc_sr_train_cfg_t tc = {{1, 8, 4, 3, GANC_SR_SKIP_NONE}, 2, 32, 1e-3f, 0.9f, 0.999f, 1, GANC_SR_MSE, 0.1f, 4, 8,
                              0, NULL, 0, 2};
    float lr[3][2 * 3 * 64], hr[3][2 * 3 * 1024];
    ganc_rng_t r;
    ganc_rng_seed(&r, 5);
    ganc_rng_fill_uniform(&r, &lr[0][0], sizeof lr / sizeof(float), -1, 1);
    ganc_rng_fill_uniform(&r, &hr[0][0], sizeof hr / sizeof(float), -1, 1);
    ganc_sr_train_cfg_t plain = tc, fast = tc, same = tc;
    plain.d_warmup = 0;
    fast.d_warmup = 0;
    fast.d_lr = 2e-3f;
    same.d_warmup = 0;
    same.d_lr = 1e-3f;
    ganc_sr_trainer_t *t = ganc_sr_trainer_new(&tc), *p = ganc_sr_trainer_new(&plain), *f = ganc_sr_trainer_new(&fast),
                      *q = ganc_sr_trainer_new(&same);
    CHECK(t && p && f && q, "srgan trainers: %s", ganc_errmsg());
    if (!t || !p || !f || !q) goto out;
    float *g0 = snapshot(ganc_sr_g(t)), *d0 = snapshot(ganc_sr_d(t));
    ganc_tensor_info_t rm;
    CHECK_OK(ganc_net_find(ganc_sr_g(t), "body.0.bn1.running_mean", &rm));
    float *m0 = malloc(sizeof(float) * rm.numel);
    memcpy(m0, rm.data, sizeof(float) * rm.numel);
    ganc_srgan_stats_t s;
    for (int i = 0; i < 2; i++) {
        CHECK_OK(ganc_srgan_train_step(t, lr[i], hr[i], &s));
        CHECK(isfinite(s.adv) && isfinite(s.content) && s.content > 0, "warm-up step %d: adv %g content %g", i + 1,
              s.adv, s.content);
        if (i == 0) { /* D after one step: as without warm-up */
            CHECK_OK(ganc_srgan_train_step(p, lr[0], hr[0], &s));
            CHECK(max_move(ganc_sr_d(p), ganc_net_params(ganc_sr_d(t))) == 0,
                  "D after a warm-up step differs from D after a plain SRGAN step");
        }
    }
    CHECK(max_move(ganc_sr_g(t), g0) == 0 && !memcmp(m0, rm.data, sizeof(float) * rm.numel),
          "G changed during the warm-up (weights moved %g)", max_move(ganc_sr_g(t), g0));
    CHECK(max_move(ganc_sr_d(t), d0) > 0, "D did not move during the warm-up");
    CHECK(ganc_trainer_step(ganc_sr_trainer_core(t)) == 2, "warm-up steps are counted");
    CHECK_OK(ganc_srgan_train_step(t, lr[2], hr[2], &s));
    CHECK(max_move(ganc_sr_g(t), g0) > 0, "G did not move after the warm-up");
    /* D's learning rate */
    CHECK_OK(ganc_srgan_train_step(f, lr[0], hr[0], &s));
    CHECK_OK(ganc_srgan_train_step(q, lr[0], hr[0], &s));
    const double mp = max_move(ganc_sr_d(p), d0), mf = max_move(ganc_sr_d(f), d0);
    CHECK(max_move(ganc_sr_d(q), ganc_net_params(ganc_sr_d(p))) == 0 &&
          max_move(ganc_sr_g(q), ganc_net_params(ganc_sr_g(p))) == 0, "d_lr = lr differs from d_lr = 0");
    CHECK(mf > 1.9 * mp && mf < 2.1 * mp, "doubling D's rate moved D by %g instead of 2 x %g", mf, mp);
    printf("srgan     warm-up: G unchanged, D as a plain step; D's rate: first move %.3g vs %.3g\n", mf, mp);
    free(g0); free(d0); free(m0);
out:
    ganc_sr_trainer_free(t); ganc_sr_trainer_free(p); ganc_sr_trainer_free(f); ganc_sr_trainer_free(q);
}

/* VGG19's features against torchvision's vgg19().features with the closed-form weights of
   scripts/gen_vgg_fixtures.py, at relu2_2 and relu5_4 */
static void vgg_vs_torchvision(void) {
    ganc_st_t *st = NULL;
    CHECK_OK(ganc_st_open(&st, tu_fixture("vgg19_closed_form.safetensors")));
    const ganc_st_tensor_t *x = st ? ganc_st_find(st, "in.x") : NULL;
    if (!x || x->numel != 2 * 3 * 16 * 16) { CHECK(0, "vgg19 fixture"); ganc_st_free(st); return; }
    const int ends[2] = {GANC_VGG22, GANC_VGG54};
    for (int e = 0; e < 2; e++) {
        int in, out;
        ganc_net_t *n = ganc_vgg19(ends[e], 16, 16, 2, &in, &out);
        CHECK(n != NULL, "vgg19: %s", ganc_errmsg());
        if (!n) continue;
        const int k = closed_form_vgg(n);
        CHECK(k == (e ? 16 : 4), "vgg19 to %s: %d convolutions", e ? "relu5_4" : "relu2_2", k);
        CHECK_OK(ganc_net_set_input(n, in, (const float *)x->data, 2));
        CHECK_OK(ganc_net_forward(n, 2, 0));
        const ganc_st_tensor_t *ref = ganc_st_find(st, e ? "out.vgg54" : "out.vgg22");
        const size_t ny = ganc_net_numel(n, out) * 2;
        CHECK(ref && ref->numel == ny, "vgg19 output size %zu", ny);
        if (ref && ref->numel == ny) {
            float *r = malloc(ny * sizeof(float));
            memcpy(r, ref->data, ny * sizeof(float));
            double mx = 0;
            for (size_t i = 0; i < ny; i++) mx = fmax(mx, fabs(r[i]));
            const double err = tu_max_abs(ganc_net_data(n, out), r, ny) / mx;
            CHECK(err < 1e-4, "vgg19 to %s vs torchvision: %.3g", e ? "relu5_4" : "relu2_2", err);
            printf("vgg19 to %s vs torchvision (closed-form weights): %.2e\n", e ? "relu5_4" : "relu2_2", err);
            free(r);
        }
        ganc_net_free(n);
    }
    ganc_st_free(st);
    int in, out;
    CHECK(ganc_vgg19(20, 16, 16, 1, &in, &out) == NULL && strstr(ganc_errmsg(), "relu5_4"), "a VGG cut elsewhere refused");
}

/* With the bicubic skip a new trainer's G is MATLAB's bicubic upscaling (its residual branch starts at zero), in
   training mode too; after steps it no longer is */
static void starts_bicubic(void) {
    ganc_sr_train_cfg_t tc = {{1, 8, 4, 3, GANC_SR_SKIP_BICUBIC}, 2, 16, 1e-3f, 0.9f, 0.999f, 1, GANC_SR_L1, 0, 0, 0, 0, NULL, 0, 0};
    ganc_sr_trainer_t *t = ganc_sr_trainer_new(&tc);
    CHECK(t != NULL, "sr trainer with the bicubic skip: %s", ganc_errmsg());
    if (!t) return;
    enum { N = 2, S = 4 };
    static float lr[N * 3 * S * S], hr[N * 3 * 16 * 16], want[3 * 16 * 16];
    ganc_rng_t r;
    ganc_rng_seed(&r, 12);
    ganc_rng_fill_uniform(&r, lr, sizeof lr / sizeof lr[0], -1, 1);
    ganc_rng_fill_uniform(&r, hr, sizeof hr / sizeof hr[0], -1, 1);
    ganc_net_t *g = ganc_sr_g(t);
    const ganc_sr_io_t *io = ganc_sr_g_io(t);
    CHECK_OK(ganc_net_set_input(g, io->in, lr, N));
    CHECK_OK(ganc_net_forward(g, N, GANC_TRAIN));
    double e = 0;
    for (int i = 0; i < N; i++) {
        CHECK_OK(ganc_resize(lr + (size_t)i * 3 * S * S, 3, S, S, 16, 16, GANC_RESAMPLE_BICUBIC, want));
        e = fmax(e, tu_max_abs(ganc_net_data(g, io->out) + (size_t)i * 3 * 16 * 16, want, 3 * 16 * 16));
    }
    CHECK(e < 1e-6, "a new G with the bicubic skip is %.3g from bicubic upscaling", e);
    float loss;
    for (int k = 0; k < 3; k++) CHECK_OK(ganc_sr_train_step(t, lr, hr, &loss));
    CHECK_OK(ganc_net_set_input(g, io->in, lr, N));
    CHECK_OK(ganc_net_forward(g, N, GANC_TRAIN));
    CHECK(tu_max_abs(ganc_net_data(g, io->out) + 3 * 16 * 16, want, 3 * 16 * 16) > 1e-4, "G learns a residual");
    printf("srresnet with the bicubic skip starts as bicubic (%.2e)\n", e);
    ganc_sr_trainer_free(t);
}

/* the embedding example (examples/upscale.c, built beside ganc) writes the image `ganc upscale` writes */
static void example(const char *ganc, const char *photos) {
    char exe[1200], model[1200], cli_png[1200], ex_png[1200], cmd[5000], args[4000], err[2048];
    snprintf(exe, sizeof exe, "%s", ganc);
    char *slash = strrchr(exe, '/');
    snprintf(slash ? slash + 1 : exe, sizeof exe - (size_t)(slash ? slash + 1 - exe : 0), "example_upscale");
    snprintf(model, sizeof model, "%s/G.safetensors", tu_tmp("straight"));
    snprintf(cli_png, sizeof cli_png, "%s", tu_tmp("cli64.png"));
    snprintf(ex_png, sizeof ex_png, "%s", tu_tmp("example.png"));
    snprintf(args, sizeof args, "upscale %s/p0.png %s --model %s --tile 64", photos, cli_png, model);
    CHECK(tu_run(ganc, args, err, sizeof err) == 0, "%s: %s", args, err);
    snprintf(cmd, sizeof cmd, "'%s' '%s' '%s/p0.png' '%s' >/dev/null", exe, model, photos, ex_png);
    CHECK(system(cmd) == 0, "the embedding example: %s", cmd);
    CHECK(tu_same_file(cli_png, ex_png), "the example's PNG equals ganc upscale's");
    snprintf(cmd, sizeof cmd, "'%s' '%s' '%s/none.png' '%s' 2>/dev/null", exe, model, photos, ex_png);
    CHECK(system(cmd) != 0, "the example fails on a missing input");
}

/* `ganc ARGS --iters k --out PART`, then `ganc train --resume PART --iters n`: PART/FILE equals FULL/FILE (a run of
   n steps already in the test folder), bit for bit */
static void resumed_equals(const char *ganc, const char *args0, int k, int n, const char *full, const char *part,
                           const char *file) {
    char args[4096], err[2048], a[1300], b[1300];
    snprintf(args, sizeof args, "%s --iters %d --out %s", args0, k, tu_tmp(part));
    CHECK(tu_run(ganc, args, err, sizeof err) == 0, "%s: %s", args, err);
    snprintf(args, sizeof args, "train --resume %s --iters %d --threads 2", tu_tmp(part), n);
    CHECK(tu_run(ganc, args, err, sizeof err) == 0, "%s: %s", args, err);
    snprintf(a, sizeof a, "%s/%s", tu_tmp(full), file);
    snprintf(b, sizeof b, "%s/%s", tu_tmp(part), file);
    CHECK(tu_same_tensors(a, b), "%d steps equal %d + %d resumed, bit for bit (%s)", n, k, n - k, file);
}

/* `ganc train srgan --init RUN`: G starts from the SRResNet run, resumes exactly, writes a G that upscales; errors */
static void srgan_cli(const char *ganc, const char *photos) {
    char args[4096], err[2048], a[1300], b[1300], init[1200];
    snprintf(init, sizeof init, "%s", tu_tmp("straight"));
    const char *common = "--crop 32 --batch 2 --threads 2 --sample-every 0 --d-width 4 --d-dense 8 --adv 0.01";
    snprintf(args, sizeof args, "train srgan --data %s --init %s %s --iters 3 --out %s", photos, init, common,
             tu_tmp("gan3"));
    CHECK(tu_run(ganc, args, err, sizeof err) == 0, "%s: %s", args, err);
    snprintf(args, sizeof args, "train srgan --data %s --init %s %s", photos, init, common);
    resumed_equals(ganc, args, 2, 3, "gan3", "gan21", "state.safetensors"); /* G, D, both optimizers */
    ganc_st_t *s0 = NULL, *s1 = NULL;
    snprintf(a, sizeof a, "%s/G.safetensors", init);
    snprintf(b, sizeof b, "%s/G.safetensors", tu_tmp("gan3"));
    CHECK(!ganc_st_open(&s0, a) && !ganc_st_open(&s1, b), "G files open");
    const ganc_st_tensor_t *w0 = s0 ? ganc_st_find(s0, "head.0.weight") : NULL, *w1 = s1 ? ganc_st_find(s1, "head.0.weight") : NULL;
    CHECK(w0 && w1 && w0->numel == w1->numel && memcmp(w0->data, w1->data, w0->nbytes) != 0 &&
              tu_max_abs((const float *)w0->data, (const float *)w1->data, w0->numel) < 0.05,
          "srgan's G starts at the SRResNet's weights and moves from them");
    ganc_st_free(s0);
    ganc_st_free(s1);
    snprintf(args, sizeof args, "upscale %s/p0.png %s --model %s", photos, tu_tmp("gan.png"), tu_tmp("gan3"));
    CHECK(tu_run(ganc, args, err, sizeof err) == 0, "an srgan run upscales: %s", err);
    /* from an SRResNet of another architecture than the flags' defaults (no skip, 2 blocks): resumes */
    snprintf(args, sizeof args, "train srresnet --data %s --blocks 2 --width 4 --skip none --crop 32 --batch 2 --iters 1 "
             "--sample-every 0 --out %s", photos, tu_tmp("noskip"));
    CHECK(tu_run(ganc, args, err, sizeof err) == 0, "%s: %s", args, err);
    snprintf(init, sizeof init, "%s", tu_tmp("noskip"));
    snprintf(args, sizeof args, "train srgan --data %s --init %s %s --iters 2 --out %s", photos, init, common,
             tu_tmp("gan_ns2"));
    CHECK(tu_run(ganc, args, err, sizeof err) == 0, "%s: %s", args, err);
    snprintf(args, sizeof args, "train srgan --data %s --init %s %s", photos, init, common);
    resumed_equals(ganc, args, 1, 2, "gan_ns2", "gan_ns", "state.safetensors");
    /* srresnet --init: fine-tuning starts from the run's weights and architecture (--blocks is the file's) */
    snprintf(args, sizeof args, "train srresnet --data %s --init %s --blocks 3 --crop 32 --batch 2 --threads 2 "
             "--sample-every 0 --lr 1e-12 --iters 1 --out %s", photos, init, tu_tmp("ft1"));
    CHECK(tu_run(ganc, args, err, sizeof err) == 0, "%s: %s", args, err);
    snprintf(a, sizeof a, "%s/G.safetensors", init);
    snprintf(b, sizeof b, "%s/G.safetensors", tu_tmp("ft1"));
    ganc_sr_cfg_t fc = {0};
    CHECK(!ganc_st_open(&s0, a) && !ganc_st_open(&s1, b) && !ganc_sr_cfg_from_file(s1, &fc), "fine-tuned G opens");
    w0 = s0 ? ganc_st_find(s0, "head.0.weight") : NULL;
    w1 = s1 ? ganc_st_find(s1, "head.0.weight") : NULL;
    CHECK(fc.blocks == 2 && w0 && w1 && w0->numel == w1->numel &&
              tu_max_abs((const float *)w0->data, (const float *)w1->data, w0->numel) < 1e-6,
          "srresnet --init keeps the run's architecture (%d blocks) and starts at its weights", fc.blocks);
    ganc_st_free(s0);
    ganc_st_free(s1);
    /* the small-budget settings: photos halved, D's own rate, a warm-up that the resume crosses (all in the state) */
    snprintf(args, sizeof args, "train srgan --data %s --init %s %s --shrink 2 --d-lr 0.002 --d-warmup 2 --iters 3 "
             "--out %s", photos, init, common, tu_tmp("gan_w3"));
    CHECK(tu_run(ganc, args, err, sizeof err) == 0, "%s: %s", args, err);
    tu_read_text(tu_tmp("stdout.txt"), err, sizeof err);
    CHECK(strstr(err, "(reduced --shrink times)") != NULL, "--shrink is announced: %s", err);
    snprintf(args, sizeof args, "train srgan --data %s --init %s %s --shrink 2 --d-lr 0.002 --d-warmup 2", photos,
             init, common);
    resumed_equals(ganc, args, 1, 3, "gan_w3", "gan_w13", "state.safetensors");
    snprintf(args, sizeof args, "train srgan --data %s --init %s %s --shrink 3 --iters 1 --out %s", photos, init,
             common, tu_tmp("gan_x"));
    tu_expect(ganc, "srgan on photos shrunk below the crop", args, 1, "is at least 32x32", 0);
    snprintf(args, sizeof args, "eval sharp --real %s --fake %s", photos, photos);
    CHECK(tu_run(ganc, args, err, sizeof err) == 0, "%s: %s", args, err);
    tu_read_text(tu_tmp("stdout.txt"), err, sizeof err);
    CHECK(!strncmp(err, "sharpness 1.0000 ", 17), "the sharpness of photos against themselves: %s", err);
    snprintf(args, sizeof args, "train srgan --data %s %s --iters 1 --out %s", photos, common, tu_tmp("gan_x"));
    tu_expect(ganc, "srgan without --init", args, 2, "--init RUN", 1);
    snprintf(args, sizeof args, "train srgan --data %s --init %s --content vgg54 --iters 1 --out %s", photos, init,
             tu_tmp("gan_x"));
    tu_expect(ganc, "srgan-vgg54 without VGG weights", args, 2, "--vgg FILE", 1);
    snprintf(args, sizeof args, "train srgan --data %s --init %s --content vgg54 --vgg %s/none.st --crop 32 --iters 1 "
             "--out %s", photos, init, photos, tu_tmp("gan_x"));
    tu_expect(ganc, "srgan-vgg54 with a missing VGG file", args, 1, "none.st", 0); /* (and the tiny photo's warning) */
    snprintf(args, sizeof args, "train srgan --data %s --init %s --crop 40 --iters 1 --out %s", photos, init,
             tu_tmp("gan_x"));
    tu_expect(ganc, "srgan with a crop D cannot take", args, 2, "multiple of 16", 1);
    snprintf(args, sizeof args, "train srgan --data %s --init %s --iters 1 --out %s", photos,
             tu_fixture("ganc_dcgan32_G.safetensors"), tu_tmp("gan_x"));
    tu_expect(ganc, "srgan from a DCGAN file", args, 2, "not an srresnet", 1);
}

/* --eval-every: log.csv's psnr_test column at steps 3 and 6, the last equal to what `ganc upscale --from-hr` gives
   photo by photo (the method of scripts/eval_sr.sh) */
static void eval_psnr(const char *ganc, const char *photos) {
    char path[1200], line[1024], args[4000], err[2048], ref[1200], sr[1200];
    snprintf(path, sizeof path, "%s/log.csv", tu_tmp("straight"));
    FILE *f = fopen(path, "r");
    int rows = 0, evals = 0;
    double last = NAN;
    while (f && fgets(line, sizeof line, f)) {
        line[strcspn(line, "\n")] = 0;
        const char *c = strrchr(line, ',');
        if (!rows++) CHECK(c && !strcmp(c, ",psnr_test"), "log.csv's last column is psnr_test: %s", line);
        else if (c && c[1]) { evals++; last = atof(c + 1); }
    }
    if (f) fclose(f);
    CHECK(evals == 2, "two PSNR evaluations logged (steps 3 and 6), got %d", evals);
    double sum = 0;
    const char *names[4] = {"p0", "p1", "p2", "tiny"};
    for (int i = 0; i < 4; i++) {
        snprintf(ref, sizeof ref, "%s", tu_tmp("ref.png"));
        snprintf(sr, sizeof sr, "%s", tu_tmp("sr.png"));
        snprintf(args, sizeof args, "upscale %s/%s.png %s --model %s --from-hr --hr-out %s", photos, names[i], sr,
                 tu_tmp("straight"), ref);
        CHECK(tu_run(ganc, args, err, sizeof err) == 0, "%s: %s", args, err);
        ganc_image_t a = {0}, b = {0};
        CHECK(!ganc_image_load(ref, &a) && !ganc_image_load(sr, &b), "the upscaled pair loads");
        if (a.px && b.px) sum += ganc_psnr(a.px, b.px, a.w, a.h, 3, 1, 4);
        ganc_image_free(&a);
        ganc_image_free(&b);
    }
    CHECK(fabs(last - sum / 4) < 1e-3, "psnr_test %.4f vs ganc upscale --from-hr + PSNR %.4f", last, sum / 4);
    printf("--eval-every: psnr_test %.4f dB, the CLI's path %.4f dB\n", last, sum / 4);
}

/* `ganc train srresnet`: a photo folder, exact resume, the weights file's architecture, the errors */
static void cli(const char *ganc) {
    char dir[1024], args[4096], err[2048], a[1200];
    snprintf(dir, sizeof dir, "%s", tu_tmp("photos"));
    CHECK(mkdir(dir, 0700) == 0, "mkdir %s", dir);
    unsigned char *px = malloc(80 * 64 * 3);
    for (int k = 0; k < 3; k++) { /* smooth colour fields with an edge */
        for (int y = 0; y < 64; y++)
            for (int x = 0; x < 80; x++)
                for (int c = 0; c < 3; c++)
                    px[(y * 80 + x) * 3 + c] = (unsigned char)((x * (c + 1) + y * (k + 2)) % 200 + (x > 40 + k ? 50 : 0));
        snprintf(a, sizeof a, "%s/p%d.png", dir, k);
        CHECK_OK(ganc_png_write(a, px, 80, 64, 3));
    }
    snprintf(a, sizeof a, "%s/tiny.png", dir); /* smaller than the crop: skipped with a warning */
    CHECK_OK(ganc_png_write(a, px, 16, 16, 3));
    free(px);
    const char *common = "--blocks 1 --width 8 --crop 32 --batch 2 --threads 2 --sample-every 0";
    snprintf(args, sizeof args, "train srresnet --data %s %s --iters 6 --out %s --eval-every 3 --eval-real %s", dir,
             common, tu_tmp("straight"), dir);
    CHECK(tu_run(ganc, args, err, sizeof err) == 0 && strstr(err, "skipped 1 images smaller"), "%s: %s", args, err);
    snprintf(args, sizeof args, "train srresnet --data %s %s", dir, common);
    resumed_equals(ganc, args, 4, 6, "straight", "resumed", "G.safetensors"); /* (the evaluation changes nothing) */
    snprintf(a, sizeof a, "%s/G.safetensors", tu_tmp("straight"));
    eval_psnr(ganc, dir);
    srgan_cli(ganc, dir);
    ganc_st_t *st = NULL;
    ganc_sr_cfg_t c;
    CHECK_OK(ganc_st_open(&st, a));
    if (st) {
        CHECK_OK(ganc_sr_cfg_from_file(st, &c));
        CHECK(c.blocks == 1 && c.width == 8 && c.scale == 4 && c.nc == 3, "G.safetensors' metadata");
        ganc_sr_io_t io;
        ganc_net_t *g = ganc_srresnet(&c, 10, 10, 1, &io);
        CHECK(g && ganc_net_load_from(g, st, "", 0) == GANC_OK, "G.safetensors loads into SRResNet: %s", ganc_errmsg());
        ganc_net_free(g);
    }
    ganc_st_free(st);
    /* ganc upscale with that model, and its errors */
    snprintf(args, sizeof args, "upscale %s/p0.png %s --model %s --tile 16", dir, tu_tmp("up.png"), tu_tmp("straight"));
    CHECK(tu_run(ganc, args, err, sizeof err) == 0, "%s: %s", args, err);
    ganc_image_t up = {0};
    CHECK(ganc_image_load(tu_tmp("up.png"), &up) == GANC_OK && up.w == 320 && up.h == 256 && up.c == 3,
          "upscaled 80x64 to %dx%dx%d", up.w, up.h, up.c);
    ganc_image_free(&up);
    example(ganc, dir);
    /* evaluation inputs: the original cropped to a multiple of 4 (81x66 -> 80x64), degraded, upscaled back */
    snprintf(a, sizeof a, "%s/odd.png", tu_tmp("."));
    unsigned char *odd = malloc(81 * 66 * 3);
    for (int i = 0; i < 81 * 66 * 3; i++) odd[i] = (unsigned char)(i * 7 % 256);
    CHECK_OK(ganc_png_write(a, odd, 81, 66, 3));
    free(odd);
    for (int k = 0; k < 2; k++) {
        snprintf(args, sizeof args, "upscale %s %s --model %s --from-hr --hr-out %s", a, tu_tmp("sr.png"),
                 k ? tu_tmp("straight") : "bicubic", tu_tmp("ref.png"));
        CHECK(tu_run(ganc, args, err, sizeof err) == 0, "%s: %s", args, err);
        ganc_image_t sr = {0}, ref = {0};
        CHECK(!ganc_image_load(tu_tmp("sr.png"), &sr) && !ganc_image_load(tu_tmp("ref.png"), &ref) && sr.w == 80 &&
                  sr.h == 64 && ref.w == 80 && ref.h == 64, "--from-hr: %s output %dx%d, reference %dx%d",
              k ? "SRResNet" : "bicubic", sr.w, sr.h, ref.w, ref.h);
        ganc_image_free(&sr);
        ganc_image_free(&ref);
    }
    snprintf(args, sizeof args, "upscale %s %s --model bicubic --hr-out %s", a, tu_tmp("sr.png"), tu_tmp("ref.png"));
    tu_expect(ganc, "--hr-out without --from-hr", args, 2, "--hr-out needs --from-hr", 1);
    snprintf(args, sizeof args, "upscale %s/p0.png %s", dir, tu_tmp("up.png")); /* the shipped default model */
    CHECK(tu_run(ganc, args, err, sizeof err) == 0, "%s: %s", args, err);
    CHECK(ganc_image_load(tu_tmp("up.png"), &up) == GANC_OK && up.w == 320 && up.h == 256, "the default model: x4");
    ganc_image_free(&up);
    snprintf(args, sizeof args, "upscale %s/p0.png %s --model %s", dir, tu_tmp("up.jpg"), tu_tmp("straight"));
    tu_expect(ganc, "upscale to a non-PNG", args, 2, "must be a .png", 1);
    snprintf(args, sizeof args, "upscale %s/none.png %s --model %s", dir, tu_tmp("up.png"), tu_tmp("straight"));
    tu_expect(ganc, "upscale a missing file", args, 1, "none.png", 1);
    snprintf(args, sizeof args, "upscale %s/p0.png %s --model %s", dir, tu_tmp("up.png"), tu_fixture("ganc_dcgan32_G.safetensors"));
    tu_expect(ganc, "upscale with a DCGAN", args, 1, "not an srresnet model", 1);
    unsigned char *big = calloc((size_t)5200 * 5200, 1);
    snprintf(a, sizeof a, "%s/big.png", tu_tmp("."));
    CHECK(big && ganc_png_write(a, big, 5200, 5200, 1) == GANC_OK, "big png");
    free(big);
    snprintf(args, sizeof args, "upscale %s %s --model %s", a, tu_tmp("up.png"), tu_tmp("straight"));
    tu_expect(ganc, "an output over the size limit", args, 1, "over the limit of 100 Mpixels", 1);
    snprintf(args, sizeof args, "train srresnet --data %s --out %s --pixel-loss huber", dir, tu_tmp("x"));
    tu_expect(ganc, "unknown pixel loss", args, 2, "--pixel-loss is mse or l1", 1);
    snprintf(args, sizeof args, "train srresnet --data %s --out %s --crop 30", dir, tu_tmp("x"));
    tu_expect(ganc, "crop not a multiple of the scale", args, 2, "multiple of --scale", 1);
    snprintf(args, sizeof args, "train srresnet --data %s --out %s --crop 128 --iters 1", dir, tu_tmp("x2"));
    tu_expect(ganc, "every photo smaller than the crop", args, 1, "is at least 128x128", 0);
    snprintf(args, sizeof args, "train srresnet --data %s --out %s --iters 1", a, tu_tmp("x3"));
    tu_expect(ganc, "data that is not a folder", args, 1, "needs a folder of photographs", 1);
}

int main(int argc, char **argv) {
    ganc_set_threads(2);
    tu_device_from_env("test_srgan");
    ganc_sr_cfg_t c = {2, 8, 4, 3, GANC_SR_SKIP_NONE};
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
    train_steps();
    srgan_warmup();
    shrink();
    crops();

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
    tu_tmpdir("srgan");
    tiles(GANC_SR_SKIP_NONE);
    tiles(GANC_SR_SKIP_BICUBIC);
    starts_bicubic();
    srgan_steps("srgan_step.safetensors", 0);
    srgan_steps("srgan_vgg22_step.safetensors", GANC_VGG22);
    vgg_vs_torchvision();
    if (argc > 1) cli(argv[1]);
    tu_tmpdir_remove();
    return tu_finish("test_srgan");
}
