/* The GAN training loop against PyTorch (fixtures from scripts/gen_gan_fixtures.py): a few full iterations of
   three configurations from the same initial weights, data, noise and labels, compared parameter by parameter
   (and with every loss) after the last one:
     gan     MLP GAN (Goodfellow et al. 2014), non-saturating G loss, one D step per G step;
     cgan    conditional MLP GAN (Mirza & Osindero 2014), minimax G loss, k = 2 D steps per G step;
     cdcgan  conditional DCGAN 32x32 (BatchNorm in both nets, the label broadcast over D's input), ns loss.
   Dropout is set to 0 so the masks don't have to match PyTorch's generator. Also: one-hot, config checks, the
   architecture read back from metadata, and conditional sampling.
   Usage: test_gan  |  test_gan --write-fixtures DIR (initial weights, data, noise for the script) */
#include <math.h>
#include <stdlib.h>
#include <string.h>
#include "testutil.h"

enum { B = 4, ITERS = 2, SEED = 7 };
#define LR_TOL_FLOOR 0.05 /* in units of a weight: 50 times the learning rate */

typedef struct {
    const char *name;
    ganc_gan_train_cfg_t tc;
    int dsteps;
} gcase_t;

static gcase_t make_case(int i) {
    gcase_t c = {0};
    c.tc.net = ganc_gan_default_mlp_cfg();
    c.tc.batch = B;
    c.tc.lr = 1e-3f; /* larger than usual so two steps move the weights measurably */
    c.tc.beta1 = 0.5f;
    c.tc.beta2 = 0.999f;
    c.tc.seed = SEED;
    c.dsteps = 1;
    ganc_gan_cfg_t *n = &c.tc.net;
    n->size = 8; n->nz = 8; n->g_hidden = 16; n->d_units = 6; n->d_pieces = 3; n->d_dropout = 0; n->d_in_dropout = 0;
    if (i == 0) {
        c.name = "gan";
        c.tc.loss = GANC_LOSS_NS;
    } else if (i == 1) {
        c.name = "cgan";
        n->n_classes = 3;
        c.tc.loss = GANC_LOSS_MINIMAX;
        c.dsteps = 2;
    } else {
        c.name = "cdcgan";
        *n = ganc_gan_default_cfg();
        n->nz = 8; n->ngf = 4; n->ndf = 4; n->n_classes = 3;
        c.tc.loss = GANC_LOSS_NS;
    }
    return c;
}

static size_t img_numel(const ganc_gan_cfg_t *c) { return (size_t)c->nc * c->size * c->size; }

/* the real batches and their labels, from their own generator */
static void make_data(const gcase_t *c, float *real, int *labels) {
    const int nb = ITERS * c->dsteps, C = c->tc.net.n_classes;
    ganc_rng_t r;
    ganc_rng_seed(&r, 99);
    ganc_rng_fill_uniform(&r, real, (size_t)nb * B * img_numel(&c->tc.net), -1.0f, 1.0f);
    for (int i = 0; i < nb * B; i++) labels[i] = C ? (int)ganc_rng_below(&r, (uint32_t)C) : 0;
}

/* what the trainer draws from its noise stream (seed*3+3): per D step, z (B,nz) then the fake labels (B) */
static void replay_noise(const gcase_t *c, float *z, int *fl) {
    const int nb = ITERS * c->dsteps, C = c->tc.net.n_classes, nz = c->tc.net.nz;
    ganc_rng_t r;
    ganc_rng_seed(&r, c->tc.seed * 3 + 3);
    for (int s = 0; s < nb; s++) {
        ganc_rng_fill_normal(&r, z + (size_t)s * B * nz, (size_t)B * nz, 0.0f, 1.0f);
        for (int i = 0; i < B; i++) fl[s * B + i] = C ? (int)ganc_rng_below(&r, (uint32_t)C) : 0;
    }
}

static int write_fixture(const gcase_t *c, const char *dir) {
    ganc_gan_trainer_t *t = ganc_gan_trainer_new(&c->tc);
    if (!t) return -1;
    const int nb = ITERS * c->dsteps, nz = c->tc.net.nz, sz = c->tc.net.size;
    float *real = malloc(sizeof(float) * nb * B * img_numel(&c->tc.net)), *z = malloc(sizeof(float) * nb * B * nz);
    int *rl = malloc(sizeof(int) * nb * B), *fl = malloc(sizeof(int) * nb * B);
    int64_t *rl64 = malloc(sizeof(int64_t) * nb * B), *fl64 = malloc(sizeof(int64_t) * nb * B);
    make_data(c, real, rl);
    replay_noise(c, z, fl);
    for (int i = 0; i < nb * B; i++) { rl64[i] = rl[i]; fl64[i] = fl[i]; }
    ganc_stw_t *w = ganc_stw_new();
    int rc = ganc_net_add_to(ganc_gan_g(t), w, "G.");
    if (!rc) rc = ganc_net_add_to(ganc_gan_d(t), w, "D.");
    int64_t rs[5] = {nb, B, c->tc.net.nc, sz, sz}, zs[3] = {nb, B, nz}, ls[2] = {nb, B};
    if (!rc) rc = ganc_stw_add(w, "real", GANC_F32, 5, rs, real);
    if (!rc) rc = ganc_stw_add(w, "z", GANC_F32, 3, zs, z);
    if (!rc) rc = ganc_stw_add(w, "real_labels", GANC_I64, 2, ls, rl64);
    if (!rc) rc = ganc_stw_add(w, "fake_labels", GANC_I64, 2, ls, fl64);
    char path[1024];
    snprintf(path, sizeof path, "%s/gan_step_%s_in.safetensors", dir, c->name);
    if (!rc) rc = ganc_stw_write(w, path);
    ganc_stw_free(w);
    ganc_gan_trainer_free(t);
    free(real); free(z); free(rl); free(fl); free(rl64); free(fl64);
    return rc;
}

static void compare_net(const char *tag, ganc_net_t *net, const char *prefix, const ganc_st_t *ref) {
    double worst = 0;
    const char *wname = "";
    for (int i = 0; i < ganc_net_ntensors(net); i++) {
        ganc_tensor_info_t ti;
        ganc_net_tensor(net, i, &ti);
        if (ti.kind == GANC_COUNTER) continue;
        char name[256];
        snprintf(name, sizeof name, "%s%s", prefix, ti.name);
        const ganc_st_tensor_t *r = ganc_st_find(ref, name);
        CHECK(r && r->dtype == GANC_F32 && r->numel == ti.numel, "%s: %s missing or of another shape", tag, name);
        if (!r || r->dtype != GANC_F32 || r->numel != ti.numel) continue;
        /* Adam moves every weight by about lr per step whatever its gradient's size, so a weight whose gradient is
           ~0 (Adam's eps) can differ by a fraction of lr from float rounding alone: the error is measured
           against max(|value|, lr) */
        double e = tu_max_rel(ti.data, (const float *)r->data, ti.numel, LR_TOL_FLOOR, NULL);
        if (e > worst) { worst = e; wname = ti.name; }
    }
    CHECK(worst <= 1e-3, "%s: %s after %d iterations: max rel. error %.3g (%s)", tag, prefix, ITERS, worst, wname);
    printf("%-8s %s params+buffers vs PyTorch: max rel. error %.2e (%s)\n", tag, prefix, worst, wname);
}

static void check_case(const gcase_t *c) {
    char path[256];
    snprintf(path, sizeof path, "gan_step_%s_out.safetensors", c->name);
    ganc_st_t *ref = NULL;
    CHECK_OK(ganc_st_open(&ref, tu_fixture(path)));
    if (!ref) return;
    ganc_gan_trainer_t *t = ganc_gan_trainer_new(&c->tc);
    CHECK(t != NULL, "%s: trainer: %s", c->name, ganc_errmsg());
    if (!t) { ganc_st_free(ref); return; }
    const int nb = ITERS * c->dsteps;
    const size_t img = img_numel(&c->tc.net);
    float *real = malloc(sizeof(float) * nb * B * img);
    int *rl = malloc(sizeof(int) * nb * B);
    make_data(c, real, rl);
    const ganc_st_tensor_t *ld = ganc_st_find(ref, "loss_d"), *lg = ganc_st_find(ref, "loss_g");
    CHECK(ld && lg && ld->numel == ITERS && lg->numel == ITERS, "%s: loss tensors", c->name);
    ganc_gan_stats_t st;
    for (int it = 0, s = 0; it < ITERS; it++) {
        for (int k = 0; k < c->dsteps; k++, s++)
            CHECK_OK(ganc_gan_d_step(t, real + (size_t)s * B * img, c->tc.net.n_classes ? rl + s * B : NULL, &st));
        CHECK_OK(ganc_gan_g_step(t, &st));
        if (ld && lg && ld->numel == ITERS && lg->numel == ITERS) {
            float rd = ((const float *)ld->data)[it], rg = ((const float *)lg->data)[it];
            CHECK(fabsf(st.loss_d - rd) <= 1e-4f * (1 + fabsf(rd)) && fabsf(st.loss_g - rg) <= 1e-4f * (1 + fabsf(rg)),
                  "%s iteration %d: losses D %.7g G %.7g, PyTorch %.7g %.7g", c->name, it + 1, st.loss_d, st.loss_g,
                  rd, rg);
        }
    }
    if (c->tc.loss == GANC_LOSS_MINIMAX) CHECK(st.loss_g < 0, "%s: minimax loss_g is log(1-D) < 0: %g", c->name, st.loss_g);
    compare_net(c->name, ganc_gan_g(t), "G.", ref);
    compare_net(c->name, ganc_gan_d(t), "D.", ref);
    CHECK(ganc_gan_step(t) == ITERS, "%s: step count %lld", c->name, (long long)ganc_gan_step(t));
    free(real); free(rl);
    ganc_gan_trainer_free(t);
    ganc_st_free(ref);
}

/* metadata round trip, one-hot, conditional sampling */
static void misc(void) {
    int lab[3] = {2, 0, 1};
    float y[9];
    ganc_one_hot(lab, 3, 3, y);
    const float want[9] = {0, 0, 1, 1, 0, 0, 0, 1, 0};
    CHECK(!memcmp(y, want, sizeof y), "one-hot rows");

    ganc_gan_cfg_t c = ganc_gan_default_mlp_cfg();
    c.n_classes = 1;
    CHECK(ganc_gan_check_cfg(&c) == GANC_EINVAL, "one class is rejected");
    c.n_classes = 10;
    c.d_dropout = 1.0f;
    CHECK(ganc_gan_check_cfg(&c) == GANC_EINVAL, "dropout 1 is rejected");
    c.d_dropout = 0.25f;
    c.g_hidden = 32; c.d_units = 8; c.d_pieces = 2; c.size = 16;
    ganc_gan_io_t io;
    ganc_net_t *g = ganc_gan_generator(&c, 20, &io);
    CHECK(g && io.y >= 0, "conditional MLP G has a label input");
    if (!g) return;
    ganc_net_init_default(g, 5);
    ganc_meta_t m;
    ganc_meta_init(&m);
    CHECK_OK(ganc_gan_meta(&c, &m));
    CHECK_OK(ganc_meta_set(&m, "net", "G"));
    const char *path = "/tmp/ganc_test_gan_meta.safetensors";
    CHECK_OK(ganc_net_save(g, path, m.kv, m.n));
    ganc_st_t *st = NULL;
    CHECK_OK(ganc_st_open(&st, path));
    ganc_gan_cfg_t c2;
    int is_g = 0;
    if (st) {
        CHECK_OK(ganc_gan_cfg_from_file(st, &c2, &is_g));
        CHECK(is_g && c2.arch == GANC_ARCH_MLP && c2.n_classes == 10 && c2.size == 16 && c2.g_hidden == 32 &&
                  c2.d_units == 8 && c2.d_pieces == 2 && c2.d_dropout == 0.25f && c2.d_in_dropout == 0.2f,
              "architecture read back from metadata");
    }
    ganc_st_free(st);
    remove(path);
    /* class-conditional sampling: same noise, different class -> different image; same class -> same image */
    float z[20 * 100], *x = malloc(sizeof(float) * 20 * 256);
    int labels[20];
    ganc_rng_t r;
    ganc_rng_seed(&r, 3);
    ganc_rng_fill_normal(&r, z, 100, 0, 1);
    for (int i = 0; i < 20; i++) { memcpy(z + i * 100, z, sizeof(float) * 100); labels[i] = i % 10; }
    CHECK_OK(ganc_gan_sample(g, &io, &c, 20, z, labels, NULL, 0, x));
    CHECK(memcmp(x, x + 256, sizeof(float) * 256) != 0, "the label changes the sample");
    CHECK(tu_max_abs(x, x + 10 * 256, 256) < 1e-5, "same noise and label, same sample"); /* up to GEMM blocking */
    labels[3] = 10;
    CHECK(ganc_gan_sample(g, &io, &c, 20, z, labels, NULL, 0, x) == GANC_EINVAL, "class out of range is refused");
    free(x);
    ganc_net_free(g);
}

/* interpolation maths: endpoints, lerp midpoint, slerp keeps the norm of equal-norm endpoints and moves at a
   constant angle, falls back to lerp for parallel vectors */
static void interp(void) {
    float a[3] = {1, 0, 0}, b[3] = {0, 2, 0}, o[3];
    ganc_lerp(a, b, 3, 0.5f, o);
    CHECK(o[0] == 0.5f && o[1] == 1.0f && o[2] == 0.0f, "lerp midpoint");
    ganc_slerp(a, b, 3, 0.0f, o);
    CHECK(fabsf(o[0] - 1) < 1e-6f && fabsf(o[1]) < 1e-6f, "slerp t=0 is a");
    ganc_slerp(a, b, 3, 1.0f, o);
    CHECK(fabsf(o[0]) < 1e-6f && fabsf(o[1] - 2) < 1e-6f, "slerp t=1 is b");
    float c[3] = {0, 1, 0};
    ganc_slerp(a, c, 3, 1.0f / 3, o); /* 30 degrees along the quarter circle */
    CHECK(fabsf(o[0] - 0.8660254f) < 1e-6f && fabsf(o[1] - 0.5f) < 1e-6f, "slerp angle: %g %g", o[0], o[1]);
    CHECK(fabsf(o[0] * o[0] + o[1] * o[1] - 1) < 1e-6f, "slerp keeps the norm");
    float d[3] = {2, 0, 0};
    ganc_slerp(a, d, 3, 0.5f, o);
    CHECK(fabsf(o[0] - 1.5f) < 1e-6f, "slerp of parallel vectors is lerp: %g", o[0]);
    /* a 100-d walk between two N(0,1) draws: slerp stays near the sphere the endpoints live on, lerp dips inside */
    float z0[100], z1[100], m[100];
    ganc_rng_t r;
    ganc_rng_seed(&r, 11);
    ganc_rng_fill_normal(&r, z0, 100, 0, 1);
    ganc_rng_fill_normal(&r, z1, 100, 0, 1);
    double n0 = 0, n1 = 0, ns = 0, nl = 0;
    ganc_slerp(z0, z1, 100, 0.5f, m);
    for (int i = 0; i < 100; i++) { n0 += z0[i] * z0[i]; n1 += z1[i] * z1[i]; ns += m[i] * m[i]; }
    ganc_lerp(z0, z1, 100, 0.5f, m);
    for (int i = 0; i < 100; i++) nl += m[i] * m[i];
    double lo = fmin(sqrt(n0), sqrt(n1)), hi = fmax(sqrt(n0), sqrt(n1));
    CHECK(sqrt(ns) >= lo - 1e-3 && sqrt(ns) <= hi + 1e-3 && sqrt(nl) < 0.8 * lo,
          "slerp midpoint norm %.3f within [%.3f, %.3f]; lerp midpoint %.3f", sqrt(ns), lo, hi, sqrt(nl));
}

int main(int argc, char **argv) {
    if (argc == 3 && !strcmp(argv[1], "--write-fixtures")) {
        for (int i = 0; i < 3; i++) {
            gcase_t c = make_case(i);
            if (write_fixture(&c, argv[2])) { fprintf(stderr, "%s\n", ganc_errmsg()); return 1; }
        }
        return 0;
    }
    ganc_set_threads(2);
    tu_device_from_env("test_gan");
    for (int i = 0; i < 3; i++) {
        gcase_t c = make_case(i);
        check_case(&c);
    }
    misc();
    interp();
    return tu_finish("test_gan");
}
