/* The CUDA backend against the CPU. Everywhere: --device cuda / ganc_set_device("cuda") without a GPU or without a
   CUDA build is refused with a message (exit 2 from the CLI); then, where there is no GPU, the test is skipped
   (exit 77). On a GPU:
     1. every layer case of layer_cases.c, the same network and weights on both devices: the output and the BatchNorm
        running statistics after a training forward, the input and parameter gradients after backward. Error: max
        |gpu - cpu| / max |cpu| per tensor (infinity-norm relative); bound 1e-4 (FP32 on both, other summation
        orders; GANC_CUDA_TF32 is switched off here); then the losses of ganc_net_loss on both devices;
     2. one DCGAN 64x64 RGB training iteration at batch 64 (pytorch/examples' networks) at learning rate ~0: identical
        initial weights, then the losses (1e-5) and every parameter gradient of D's and G's steps (||gpu - cpu|| /
        ||cpu||, 2-norm, 1e-2). The bound is loose for a reason measured on an H200: D's last layers agree to 1e-6,
        but a LeakyReLU whose input lies within rounding of 0 takes the other slope on the other device, and each such
        flip moves the gradients below it by a finite amount (BatchNorm's beta gradient, a sum of dy, by 8e-4; gamma's,
        a sum of dy * x_hat where x_hat ~ 0 at a flip, by 7e-7); G's gradients come through all of D's (2e-3 to 3e-3).
        A wrong index or a missing term moves them by O(1);
     3. run to run: two GPU trainers from one seed give bit-identical weights and statistics after three iterations;
     4. the CLI: a run trained on the GPU resumes on the CPU and the reverse, ending where an all-GPU run ends, and
        `ganc sample --device cuda` draws the images the CPU draws (uint8, at most 1 level apart); the MLP GAN and
        LAPGAN train three iterations on each device to G weights within 1e-4 (relative 2-norm).
   Usage: test_cuda GANC */
#include <math.h>
#include <stdlib.h>
#include <string.h>
#include "layer_cases.h"
#include "testutil.h"

static double rel_inf(const float *a, const float *b, size_t n) {
    double num = 0, den = 0;
    for (size_t i = 0; i < n; i++) {
        double d = fabs((double)a[i] - b[i]);
        num = d > num || isnan(d) ? d : num;
        den = fmax(den, fabs((double)b[i]));
    }
    return num / fmax(den, 1e-6);
}

/* ||a - b|| / ||b|| (2-norm) */
static double rel_l2(const float *a, const float *b, size_t n) {
    double num = 0, den = 0;
    for (size_t i = 0; i < n; i++) {
        double d = (double)a[i] - b[i];
        num += d * d;
        den += (double)b[i] * b[i];
    }
    return sqrt(num / fmax(den, 1e-30));
}

static double worst_layer;
static void cmp(const char *key, const char *what, const float *gpu, const float *cpu, size_t n, double tol) {
    double e = rel_inf(gpu, cpu, n);
    if (e > worst_layer) worst_layer = e;
    CHECK(e <= tol, "%s: %s: GPU vs CPU relative error %.3g > %.0e", key, what, e, tol);
}

static ganc_net_t *build_case(const fd_case_t *c, const char *dev, int *in, int *out) {
    CHECK_OK(ganc_set_device(dev));
    ganc_net_t *net = ganc_net_new(c->key);
    for (int k = 0; k < c->nin; k++) in[k] = ganc_net_input(net, k ? "x1" : "x0", c->in_ndim[k], c->in_shape[k]);
    *out = c->build(net, in);
    ganc_net_mark_output(net, *out);
    if (*out < 0 || ganc_net_build(net, c->batch)) {
        CHECK(0, "%s on %s: %s", c->key, dev, ganc_errmsg());
        ganc_net_free(net);
        return NULL;
    }
    ganc_net_init_default(net, 11);
    ganc_net_seed(net, 5);
    return net;
}

/* fill both networks' inputs (and the case's own preparation) and the output gradient from one generator */
static void layer_case(const fd_case_t *c) {
    int in[2], out, in2[2], out2;
    ganc_net_t *cpu = build_case(c, "cpu", in, &out), *gpu = build_case(c, "cuda", in2, &out2);
    if (!cpu || !gpu) { ganc_net_free(cpu); ganc_net_free(gpu); return; }
    ganc_rng_t r;
    ganc_rng_seed(&r, 3);
    for (int k = 0; k < c->nin; k++) {
        size_t n = ganc_net_numel(cpu, in[k]) * c->batch;
        float *x = malloc(n * sizeof(float));
        ganc_rng_fill_uniform(&r, x, n, -1, 1);
        CHECK_OK(ganc_net_set_input(cpu, in[k], x, c->batch));
        CHECK_OK(ganc_net_set_input(gpu, in2[k], x, c->batch));
        free(x);
    }
    if (c->prep) { c->prep(cpu, in, c->batch); c->prep(gpu, in2, c->batch); }
    const int flags = c->flags | (c->flags & GANC_TRAIN ? GANC_UPDATE_STATS : 0);
    CHECK_OK(ganc_net_forward(cpu, c->batch, flags));
    CHECK_OK(ganc_net_forward(gpu, c->batch, flags));
    const size_t ny = ganc_net_numel(cpu, out) * c->batch;
    cmp(c->key, "output", ganc_net_data(gpu, out2), ganc_net_data(cpu, out), ny, 1e-4);
    float *dy = malloc(ny * sizeof(float));
    ganc_rng_fill_uniform(&r, dy, ny, -1, 1);
    memcpy(ganc_net_grad(cpu, out), dy, ny * sizeof(float));
    memcpy(ganc_net_grad(gpu, out2), dy, ny * sizeof(float));
    free(dy);
    ganc_net_zero_grad(cpu);
    ganc_net_zero_grad(gpu);
    CHECK_OK(ganc_net_backward(cpu, 0));
    CHECK_OK(ganc_net_backward(gpu, 0));
    for (int k = 0; c->grad_inputs && k < c->nin; k++)
        cmp(c->key, k ? "grad x1" : "grad x0", ganc_net_grad(gpu, in2[k]), ganc_net_grad(cpu, in[k]),
            ganc_net_numel(cpu, in[k]) * c->batch, 1e-4);
    for (int t = 0; t < ganc_net_ntensors(cpu); t++) {
        ganc_tensor_info_t a, b;
        ganc_net_tensor(cpu, t, &a);
        ganc_net_tensor(gpu, t, &b);
        char what[200];
        if (a.kind == GANC_COUNTER) {
            CHECK(*a.counter == *b.counter, "%s: %s: count %lld vs %lld", c->key, a.name, (long long)*b.counter,
                  (long long)*a.counter);
            continue;
        }
        snprintf(what, sizeof what, "%s %s", a.kind == GANC_PARAM ? "grad" : "buffer", a.name);
        cmp(c->key, what, a.kind == GANC_PARAM ? b.grad : b.data, a.kind == GANC_PARAM ? a.grad : a.data, a.numel,
            1e-4);
    }
    ganc_net_free(cpu);
    ganc_net_free(gpu);
}

/* sizes the layer cases do not reach: BatchNorm over long channels (the GPU's 1024-thread reduction), convolutions
   whose planes are large enough for per-sample GEMMs, with biases */
static int b_big_bn(ganc_net_t *n, const int *in) { return ganc_net_batchnorm(n, "bn", in[0], 1e-5f, 0.1f); }
static int b_big_conv(ganc_net_t *n, const int *in) { /* (no BatchNorm after a bias: its gradient would be 0) */
    int h = ganc_net_conv2d(n, "c", in[0], 8, 3, 3, 1, 1, 1);
    h = ganc_net_leaky_relu(n, "a", h, 0.2f);
    return ganc_net_conv_transpose2d(n, "t", h, 3, 4, 4, 2, 1, 0, 1);
}
static int b_big_lstm(ganc_net_t *n, const int *in) { return ganc_net_lstm(n, "rnn", in[0], 48); }
static int b_big_up(ganc_net_t *n, const int *in) {
    int h = ganc_net_upsample(n, "near", in[0], 3, 0); /* 15 -> 45 rows: an odd-sized plan before the next */
    h = ganc_net_conv2d(n, "c", h, 4, 3, 3, 1, 1, 0); /* mixes neighbours, so each upsample's gradient differs */
    h = ganc_net_upsample(n, "bil", h, 2, 1);
    return ganc_net_upsample(n, "bic", h, 4, GANC_RESAMPLE_BICUBIC);
}
static int b_big_drop(ganc_net_t *n, const int *in) { return ganc_net_dropout(n, "drop", in[0], 0.5f); }
static const fd_case_t big_cases[] = {
    {"big_lstm", "lstm T 24, in 20, hidden 48", 6, GANC_TRAIN, 1, {2}, {{24, 20}}, b_big_lstm, 1, 0, 0, NULL},
    {"big_up", "upsample nearest x3, conv, bilinear x2, bicubic x4 from 15x16", 4, GANC_TRAIN, 1, {3}, {{3, 15, 16}}, b_big_up, 1,
     0, 0, NULL},
    {"big_drop", "dropout 0.5 over 3 x 40 x 40", 8, GANC_TRAIN, 1, {3}, {{3, 40, 40}}, b_big_drop, 1, 0, 0, NULL},
    {"big_bn", "batchnorm2d over 8 x 64 x 64", 8, GANC_TRAIN, 1, {3}, {{3, 64, 64}}, b_big_bn, 1, 0, 0, NULL},
    {"big_conv", "conv 3x3 + leaky_relu + conv_transpose 4x4/2 at 24x24, biases", 4, GANC_TRAIN, 1, {3}, {{5, 24, 24}},
     b_big_conv, 1, 0, 0, NULL},
};

/* ganc_net_loss on both devices: each kind against a target in host memory and one in the network's own memory (its
   input block), loss values within 1e-6 and the added gradients within 1e-5 */
static void losses(void) {
    const int B = 4, kinds[3] = {GANC_LOSS_BCE_LOGITS, GANC_LOSS_MSE, GANC_LOSS_L1};
    ganc_net_t *net[2];
    int in = -1, out = -1;
    size_t n = 0;
    float *x = NULL, *tg = NULL;
    for (int d = 0; d < 2; d++) {
        CHECK_OK(ganc_set_device(d ? "cuda" : "cpu"));
        net[d] = ganc_net_new("loss");
        in = ganc_net_input(net[d], "x", 3, (int[]){3, 10, 10});
        out = ganc_net_conv2d(net[d], "c", in, 3, 3, 3, 1, 1, 1);
        CHECK_OK(ganc_net_build(net[d], B));
        ganc_net_init_default(net[d], 2);
        if (!x) {
            n = ganc_net_numel(net[d], in) * B;
            x = malloc(n * sizeof(float));
            tg = malloc(n * sizeof(float));
            ganc_rng_t r;
            ganc_rng_seed(&r, 8);
            ganc_rng_fill_normal(&r, x, n, 0, 2);
            ganc_rng_fill_uniform(&r, tg, n, 0, 1);
        }
        CHECK_OK(ganc_net_set_input(net[d], in, x, B));
        CHECK_OK(ganc_net_forward(net[d], B, GANC_TRAIN));
    }
    for (int k = 0; k < 3; k++)
        for (int own = 0; own < 2; own++) {
            float l[2];
            for (int d = 0; d < 2; d++) {
                memset(ganc_net_grad(net[d], out), 0, n * sizeof(float));
                const float *target = own ? ganc_net_data(net[d], in) : tg;
                CHECK_OK(ganc_net_loss(net[d], out, kinds[k], target, 0.0f, 0.7f, &l[d]));
            }
            CHECK(fabs(l[1] - l[0]) <= 1e-6 * fabs(l[0]), "loss kind %d (target in %s): GPU %.9g vs CPU %.9g", k,
                  own ? "the network" : "host memory", l[1], l[0]);
            const double e = rel_inf(ganc_net_grad(net[1], out), ganc_net_grad(net[0], out), n);
            CHECK(e <= 1e-5, "loss kind %d: gradient GPU vs CPU %.3g", k, e);
        }
    float l;
    CHECK(ganc_net_loss(net[1], out, GANC_LOSS_BCE_LOGITS, NULL, 1.0f, 1.0f, &l) == GANC_OK && l > 0,
          "BCE against a constant target on the GPU");
    printf("losses (BCE, MSE, L1), GPU vs CPU: checked\n");
    ganc_net_free(net[0]);
    ganc_net_free(net[1]);
    free(x);
    free(tg);
}

/* ---- DCGAN training iterations */
static ganc_gan_trainer_t *dcgan(const char *dev, float lr) {
    CHECK_OK(ganc_set_device(dev));
    ganc_gan_train_cfg_t tc = {ganc_gan_default_cfg(), 64, lr, 0.5f, 0.999f, 1, GANC_LOSS_NS, 0, 1};
    tc.net.size = 64;
    tc.net.nc = 3;
    ganc_gan_trainer_t *t = ganc_gan_trainer_new(&tc);
    CHECK(t != NULL, "DCGAN trainer on %s: %s", dev, ganc_errmsg());
    return t;
}

/* worst relative 2-norm error of a network's parameter gradients (printed per tensor) */
static double grad_err(ganc_net_t *gpu, ganc_net_t *cpu, char *where, size_t cap) {
    double worst = 0;
    for (int i = 0; i < ganc_net_ntensors(cpu); i++) {
        ganc_tensor_info_t a, b;
        ganc_net_tensor(cpu, i, &a);
        ganc_net_tensor(gpu, i, &b);
        if (a.kind != GANC_PARAM) continue;
        double e = rel_l2(b.grad, a.grad, a.numel);
        printf("  %s.%s gradient: relative error %.2e (2-norm), %.2e (largest element)\n", ganc_net_name(cpu), a.name,
               e, rel_inf(b.grad, a.grad, a.numel));
        if (e > worst || isnan(e)) { worst = e; snprintf(where, cap, "%s", a.name); }
    }
    return worst;
}

static int same_net(ganc_net_t *a, ganc_net_t *b) {
    for (int i = 0; i < ganc_net_ntensors(a); i++) {
        ganc_tensor_info_t x, y;
        ganc_net_tensor(a, i, &x);
        ganc_net_tensor(b, i, &y);
        if (x.kind == GANC_COUNTER ? *x.counter != *y.counter : memcmp(x.data, y.data, x.numel * sizeof(float)))
            return 0;
    }
    return 1;
}

/* One iteration with learning rate 1e-20 (updates far below the weights' rounding), so G's step runs through the same D on both devices: the losses and every
   gradient of D's and G's steps. (Adam's update on the GPU is checked against PyTorch by test_gan_cuda.) Then run to
   run: two GPU trainers at lr 2e-4 from one seed, three iterations each. */
static void dcgan_step(void) {
    ganc_gan_trainer_t *cpu = dcgan("cpu", 1e-20f), *gpu = dcgan("cuda", 1e-20f);
    if (!cpu || !gpu) { ganc_gan_trainer_free(cpu); ganc_gan_trainer_free(gpu); return; }
    CHECK(same_net(ganc_gan_g(cpu), ganc_gan_g(gpu)) && same_net(ganc_gan_d(cpu), ganc_gan_d(gpu)),
          "the initial weights are the same on both devices");
    const size_t n = (size_t)64 * 3 * 64 * 64;
    float *real = malloc(n * sizeof(float));
    ganc_rng_t r;
    ganc_rng_seed(&r, 9);
    ganc_rng_fill_uniform(&r, real, n, -1, 1);
    ganc_gan_stats_t sc, sg;
    CHECK_OK(ganc_gan_train_step(cpu, real, NULL, &sc));
    CHECK_OK(ganc_gan_train_step(gpu, real, NULL, &sg));
    CHECK(fabsf(sg.loss_d - sc.loss_d) <= 1e-5f * (1 + fabsf(sc.loss_d)) &&
              fabsf(sg.loss_g - sc.loss_g) <= 1e-5f * (1 + fabsf(sc.loss_g)),
          "DCGAN64 losses: GPU D %.7g G %.7g, CPU %.7g %.7g", sg.loss_d, sg.loss_g, sc.loss_d, sc.loss_g);
    char wd[100] = "", wg[100] = "";
    double ed = grad_err(ganc_gan_d(gpu), ganc_gan_d(cpu), wd, sizeof wd);
    double eg = grad_err(ganc_gan_g(gpu), ganc_gan_g(cpu), wg, sizeof wg);
    CHECK(ed <= 1e-2 && eg <= 1e-2, "DCGAN64 gradients: D %.3g (%s), G %.3g (%s)", ed, wd, eg, wg);
    printf("DCGAN64 batch 64, GPU vs CPU: losses D %.7g/%.7g G %.7g/%.7g; gradients (relative 2-norm) D %.2e G %.2e\n",
           sg.loss_d, sc.loss_d, sg.loss_g, sc.loss_g, ed, eg);
    ganc_gan_trainer_free(cpu);
    ganc_gan_trainer_free(gpu);
    ganc_gan_trainer_t *a = dcgan("cuda", 2e-4f), *b = dcgan("cuda", 2e-4f);
    for (int i = 0; a && b && i < 3; i++) {
        CHECK_OK(ganc_gan_train_step(a, real, NULL, &sg));
        CHECK_OK(ganc_gan_train_step(b, real, NULL, &sc));
    }
    CHECK(a && b && same_net(ganc_gan_g(a), ganc_gan_g(b)) && same_net(ganc_gan_d(a), ganc_gan_d(b)),
          "two GPU runs from one seed are bit-identical after 3 iterations");
    ganc_gan_trainer_free(a);
    ganc_gan_trainer_free(b);
    free(real);
}

/* ---- CLI: resume across devices, sampling */
/* Two weight files, tensor by tensor: the largest error relative to max(|w|, 50 lr) (*maxrel) and ||a - b|| / ||b||
   over every float (*rel2); 1e9 for both when they cannot be read or differ in names, sizes or types. */
static void file_errs(const char *a, const char *b, double *maxrel, double *rel2) {
    ganc_st_t *x = NULL, *y = NULL;
    double worst = 0, num = 0, den = 0;
    int ok = !ganc_st_open(&x, a) && !ganc_st_open(&y, b);
    for (int i = 0; ok && i < ganc_st_count(x); i++) {
        const ganc_st_tensor_t *t = ganc_st_get(x, i), *u = ganc_st_find(y, t->name);
        ok = u && u->numel == t->numel && u->dtype == t->dtype;
        if (!ok || t->dtype != GANC_F32) continue;
        float *p = malloc(t->nbytes), *q = malloc(t->nbytes); /* file data need not be aligned */
        memcpy(p, t->data, t->nbytes);
        memcpy(q, u->data, t->nbytes);
        worst = fmax(worst, tu_max_rel(p, q, t->numel, 50 * 2e-4, NULL));
        for (size_t k = 0; k < t->numel; k++) {
            num += ((double)p[k] - q[k]) * ((double)p[k] - q[k]);
            den += (double)q[k] * q[k];
        }
        free(p);
        free(q);
    }
    ganc_st_free(x);
    ganc_st_free(y);
    *maxrel = ok ? worst : 1e9;
    *rel2 = ok ? sqrt(num / fmax(den, 1e-30)) : 1e9;
}

/* the other families through the CLI, a few iterations on each device from one seed: the MLP GAN (maxout, dropout),
   LAPGAN (concat, biases, dropout) */
static void families(const char *ganc, const char *data) {
    const char *fam[2] = {"gan --g-hidden 64 --d-units 32 --size 16", "lapgan --size 16 --level-g-width 8 --level-d-width 8"};
    const char *tag[2] = {"gan", "lapgan"};
    char args[2048], err[2048], a[1024], b[1024];
    for (int f = 0; f < 2; f++) {
        for (int d = 0; d < 2; d++) {
            snprintf(args, sizeof args, "train %s --data idx:%s --batch 16 --iters 3 --threads 2 --sample-every 0 "
                     "--out %s_%d --device %s", fam[f], data, tu_tmp(tag[f]), d, d ? "cuda" : "cpu");
            CHECK(tu_run(ganc, args, err, sizeof err) == 0, "%s: %s", args, err);
        }
        snprintf(a, sizeof a, "%s_1/G.safetensors", tu_tmp(tag[f]));
        snprintf(b, sizeof b, "%s_0/G.safetensors", tu_tmp(tag[f]));
        double e, e_max;
        file_errs(a, b, &e_max, &e);
        CHECK(e <= 1e-4, "%s: G after 3 iterations on the GPU is %.3g (relative 2-norm) from the CPU's", tag[f], e);
        printf("%s: G after 3 iterations, GPU vs CPU: relative 2-norm difference %.2e\n", tag[f], e);
    }
}

static int bytes_close(const char *a, const char *b) {
    FILE *f = fopen(a, "rb"), *g = fopen(b, "rb");
    int ok = f && g, ca = 0, cb = 0;
    long n = 0;
    while (ok && (ca = fgetc(f)) != EOF && (cb = fgetc(g)) != EOF) {
        ok = n < 128 ? ca == cb : abs(ca - cb) <= 1; /* the .npy header, then uint8 pixels */
        n++;
    }
    if (ok) ok = ca == EOF && fgetc(g) == EOF;
    if (f) fclose(f);
    if (g) fclose(g);
    return ok;
}

static void cli(const char *ganc) {
    char args[2048], err[2048];
    char data[1024];
    snprintf(data, sizeof data, "%s", tu_tmp("data.idx")); /* tu_tmp's buffers rotate */
    tu_make_idx(data, 96);
    const char *runs[3] = {"all_gpu", "gpu_cpu", "cpu_gpu"};
    const char *first[3] = {"cuda", "cuda", "cpu"}, *second[3] = {"cuda", "cpu", "cuda"};
    for (int i = 0; i < 3; i++) {
        int n = snprintf(args, sizeof args, TU_TRAIN_ARGS, data);
        snprintf(args + n, sizeof args - n, " --iters 3 --out %s --device %s", tu_tmp(runs[i]), first[i]);
        CHECK(tu_run(ganc, args, err, sizeof err) == 0, "%s: %s", args, err);
        snprintf(args, sizeof args, "train --resume %s --iters 6 --threads 2 --device %s", tu_tmp(runs[i]), second[i]);
        CHECK(tu_run(ganc, args, err, sizeof err) == 0, "%s: %s", args, err);
        CHECK(tu_state_step(tu_tmp(runs[i])) == 6, "%s: step %lld", runs[i], (long long)tu_state_step(tu_tmp(runs[i])));
    }
    char a[1024], b[1024];
    for (int i = 1; i < 3; i++) {
        snprintf(a, sizeof a, "%s/G.safetensors", tu_tmp(runs[0]));
        snprintf(b, sizeof b, "%s/G.safetensors", tu_tmp(runs[i]));
        double e, e2;
        file_errs(a, b, &e, &e2);
        CHECK(e <= 1e-3, "%s ends %.3g away from %s (G weights)", runs[i], e, runs[0]);
        printf("6 iterations, 3 on %s then 3 on %s: G within %.2e of the all-GPU run\n", first[i], second[i], e);
    }
    snprintf(args, sizeof args, "sample %s --n 32 --seed 4 --out %s --device cuda", tu_tmp(runs[0]), tu_tmp("g.npy"));
    CHECK(tu_run(ganc, args, err, sizeof err) == 0, "%s: %s", args, err);
    snprintf(args, sizeof args, "sample %s --n 32 --seed 4 --out %s", tu_tmp(runs[0]), tu_tmp("c.npy"));
    CHECK(tu_run(ganc, args, err, sizeof err) == 0, "%s: %s", args, err);
    CHECK(bytes_close(tu_tmp("g.npy"), tu_tmp("c.npy")), "samples drawn on the GPU and the CPU differ");
    families(ganc, data);
}

int main(int argc, char **argv) {
    if (argc < 2) { fprintf(stderr, "usage: test_cuda GANC\n"); return 2; }
    const char *ganc = argv[1];
    ganc_set_threads(2);
    tu_tmpdir("cuda");
    CHECK(ganc_set_device("tpu") == GANC_EINVAL && strstr(ganc_errmsg(), "cpu or cuda"), "unknown device refused");
    CHECK(!strcmp(ganc_device(), "cpu"), "the device stays cpu after a refusal");
    unsetenv("GANC_CUDA_TF32");
    const int have = ganc_set_device("cuda") == GANC_OK;
    if (!have) {
        char msg[512];
        snprintf(msg, sizeof msg, "%s", ganc_errmsg());
        CHECK(strstr(msg, "cuda") != NULL, "the refusal names the device: %s", msg);
        tu_expect(ganc, "--device cuda without a GPU or a CUDA build", "train dcgan --device cuda --iters 1", 2,
                  "--device", 1);
        tu_expect(ganc, "--device with an unknown name", "train dcgan --device tpu --iters 1", 2, "cpu or cuda", 1);
        if (tu_fails) return tu_finish("test_cuda");
        tu_tmpdir_remove();
        printf("test_cuda: skipped: %s (%d checks of the refusal passed)\n", msg, tu_checks);
        return 77;
    }
    printf("test_cuda: on %s\n", ganc_device_describe());
    for (int i = 0; i < n_layer_cases; i++) layer_case(&layer_cases[i]);
    for (size_t i = 0; i < sizeof big_cases / sizeof big_cases[0]; i++) layer_case(&big_cases[i]);
    printf("%d layer cases, GPU vs CPU: worst relative error %.2e\n",
           n_layer_cases + (int)(sizeof big_cases / sizeof big_cases[0]), worst_layer);
    losses();
    dcgan_step();
    ganc_set_device("cpu");
    cli(ganc);
    tu_tmpdir_remove();
    return tu_finish("test_cuda");
}
