/* LAPGAN (src/models/lapgan.c, tools/ganc/train_lapgan.c):
   - the real pyramid reconstructs every level (l_k + h_k = I_k to float rounding; I_{k+1} = d(I_k) exactly);
   - level networks' shapes and parameter layouts;
   - two training iterations of a CC-LAPGAN (an 8x8 MLP level and a 16x16 conv level, class planes) against PyTorch
     (fixtures from scripts/gen_lapgan_fixtures.py: same initial weights, data, noise and labels; losses of every
     level and every parameter compared after the last iteration);
   - exact resume from a state file; sampling determinism, the pyramid outputs, labels refused out of range;
   - metadata round trip and bad files (unknown level, wrong size);
   - the CLI: train, resume, sample (grid, .npy, --pyramid geometry, --grid-by-class), eval, info, errors.
   Usage: test_lapgan GANC  |  test_lapgan --write-fixtures DIR */
#include <math.h>
#include <stdlib.h>
#include <string.h>
#include "testutil.h"

enum { B = 4, ITERS = 2, SEED = 5, NZ = 8, S = 16, C = 3 };

static ganc_lapgan_train_cfg_t fixture_cfg(void) {
    ganc_lapgan_train_cfg_t tc = {ganc_lapgan_default_cfg(), B, 1e-3f, 0.5f, 0.999f, SEED, 1};
    ganc_lapgan_cfg_t *c = &tc.net;
    c->size = S; c->nc = 1; c->n_classes = C; c->g_width = 8; c->d_width = 8; c->d_dropout = 0;
    c->coarse.arch = GANC_ARCH_MLP;
    c->coarse.nz = NZ; c->coarse.g_hidden = 16; c->coarse.d_units = 6; c->coarse.d_pieces = 3;
    c->coarse.d_dropout = 0; c->coarse.d_in_dropout = 0;
    return tc;
}

static void make_data(float *real, int *labels) {
    ganc_rng_t r;
    ganc_rng_seed(&r, 99);
    /* smooth-ish images (a random 4x4 grid upsampled) so every band of the pyramid carries signal */
    float coarse[16];
    for (int i = 0; i < ITERS * B; i++) {
        ganc_rng_fill_uniform(&r, coarse, 16, -1.0f, 1.0f);
        float *x = real + (size_t)i * S * S;
        ganc_resize(coarse, 1, 4, 4, S, S, GANC_RESAMPLE_BILINEAR, x);
        for (int j = 0; j < S * S; j++) x[j] += 0.1f * (ganc_rng_uniform(&r) - 0.5f);
        labels[i] = (int)ganc_rng_below(&r, C);
    }
}

/* the trainer's noise stream (seed*16+15): per step, level 1's z (B,NZ), then level 0's planes (B,1,S,S) */
static void replay_noise(float *z, float *planes) {
    ganc_rng_t r;
    ganc_rng_seed(&r, SEED * 16 + 15);
    for (int s = 0; s < ITERS; s++) {
        ganc_rng_fill_normal(&r, z + (size_t)s * B * NZ, (size_t)B * NZ, 0.0f, 1.0f);
        ganc_rng_fill_normal(&r, planes + (size_t)s * B * S * S, (size_t)B * S * S, 0.0f, 1.0f);
    }
}

static int write_fixture(const char *dir) {
    ganc_lapgan_train_cfg_t tc = fixture_cfg();
    ganc_lapgan_trainer_t *t = ganc_lapgan_trainer_new(&tc);
    if (!t) return -1;
    float real[ITERS * B * S * S], z[ITERS * B * NZ], planes[ITERS * B * S * S];
    int lab[ITERS * B];
    int64_t lab64[ITERS * B];
    make_data(real, lab);
    replay_noise(z, planes);
    for (int i = 0; i < ITERS * B; i++) lab64[i] = lab[i];
    ganc_stw_t *w = ganc_stw_new();
    ganc_trainer_t *tr = ganc_lapgan_trainer_core(t);
    int rc = 0;
    const char *names[4] = {"level1.G", "level1.D", "level0.G", "level0.D"};
    for (int i = 0; !rc && i < 4; i++) { /* the initial weights as level{k}.G./D. */
        char prefix[16];
        snprintf(prefix, sizeof prefix, "%s.", names[i]);
        rc = ganc_net_add_to(ganc_trainer_net(tr, ganc_trainer_find(tr, names[i])), w, prefix);
    }
    int64_t rs[5] = {ITERS, B, 1, S, S}, zs[3] = {ITERS, B, NZ}, ls[2] = {ITERS, B};
    if (!rc) rc = ganc_stw_add(w, "real", GANC_F32, 5, rs, real);
    if (!rc) rc = ganc_stw_add(w, "z", GANC_F32, 3, zs, z);
    if (!rc) rc = ganc_stw_add(w, "planes", GANC_F32, 5, rs, planes);
    if (!rc) rc = ganc_stw_add(w, "labels", GANC_I64, 2, ls, lab64);
    char path[1024];
    snprintf(path, sizeof path, "%s/lapgan_step_in.safetensors", dir);
    if (!rc) rc = ganc_stw_write(w, path);
    ganc_stw_free(w);
    ganc_lapgan_trainer_free(t);
    return rc;
}

/* every parameter of every level against PyTorch's after ITERS iterations */
static void check_torch(void) {
    ganc_st_t *ref = NULL;
    CHECK_OK(ganc_st_open(&ref, tu_fixture("lapgan_step_out.safetensors")));
    if (!ref) return;
    ganc_lapgan_train_cfg_t tc = fixture_cfg();
    ganc_lapgan_trainer_t *t = ganc_lapgan_trainer_new(&tc);
    CHECK(t != NULL, "trainer: %s", ganc_errmsg());
    if (!t) { ganc_st_free(ref); return; }
    float real[ITERS * B * S * S];
    int lab[ITERS * B];
    make_data(real, lab);
    const ganc_st_tensor_t *lt = ganc_st_find(ref, "losses"); /* (ITERS, levels, 2): D, G */
    CHECK(lt && lt->numel == ITERS * 2 * 2, "losses tensor");
    for (int it = 0; it < ITERS; it++) {
        ganc_gan_stats_t st[2];
        CHECK_OK(ganc_lapgan_train_step(t, real + (size_t)it * B * S * S, lab + it * B, st));
        for (int k = 0; lt && lt->numel == ITERS * 4 && k < 2; k++) {
            const float *r = (const float *)lt->data + (it * 2 + k) * 2;
            CHECK(fabsf(st[k].loss_d - r[0]) <= 1e-4f * (1 + fabsf(r[0])) &&
                      fabsf(st[k].loss_g - r[1]) <= 1e-4f * (1 + fabsf(r[1])),
                  "iteration %d level %d: losses D %.7g G %.7g, PyTorch %.7g %.7g", it + 1, k, st[k].loss_d,
                  st[k].loss_g, r[0], r[1]);
        }
    }
    ganc_trainer_t *tr = ganc_lapgan_trainer_core(t);
    double worst = 0;
    char wname[300] = "";
    int compared = 0;
    for (int i = 0; i < ganc_trainer_nnets(tr); i++) {
        ganc_net_t *n = ganc_trainer_net(tr, i);
        for (int j = 0; j < ganc_net_ntensors(n); j++) {
            ganc_tensor_info_t ti;
            ganc_net_tensor(n, j, &ti);
            char name[300];
            snprintf(name, sizeof name, "level%d.%s.%s", i / 2 == 0 ? 1 : 0, i % 2 ? "D" : "G", ti.name);
            const ganc_st_tensor_t *r = ganc_st_find(ref, name);
            CHECK(r && r->numel == ti.numel && r->dtype == GANC_F32, "%s missing from the PyTorch result", name);
            if (!r || r->numel != ti.numel || r->dtype != GANC_F32) continue;
            double e = tu_max_rel(ti.data, (const float *)r->data, ti.numel, 0.05, NULL);
            compared++;
            if (e > worst) { worst = e; snprintf(wname, sizeof wname, "%s", name); }
        }
    }
    CHECK(compared >= 16 && worst <= 1e-3, "after %d iterations: max rel. error %.3g (%s) over %d tensors", ITERS, worst,
          wname, compared);
    printf("lapgan (8x8 MLP + 16x16 conv level, 3 classes) vs PyTorch after %d iterations: %d tensors, max rel. "
           "error %.2e (%s)\n", ITERS, compared, worst, wname);
    ganc_lapgan_trainer_free(t);
    ganc_st_free(ref);
}

static void check_pyramid(void) {
    for (int v = 0; v < 2; v++) {
        ganc_lapgan_cfg_t c = ganc_lapgan_default_cfg();
        c.size = v ? 64 : 32;
        c.nc = v ? 3 : 1;
        const int L = ganc_lapgan_levels(&c), n = 3;
        CHECK(L == (v ? 4 : 3), "levels of size %d: %d", c.size, L);
        float *img[5] = {0}, *lo[5] = {0}, *hi[5] = {0};
        for (int k = 0; k < L; k++) {
            size_t e = (size_t)n * c.nc * (c.size >> k) * (c.size >> k);
            img[k] = malloc(sizeof(float) * e); lo[k] = malloc(sizeof(float) * e); hi[k] = malloc(sizeof(float) * e);
        }
        ganc_rng_t r;
        ganc_rng_seed(&r, 3 + v);
        float *x = malloc(sizeof(float) * n * c.nc * c.size * c.size);
        ganc_rng_fill_uniform(&r, x, (size_t)n * c.nc * c.size * c.size, -1, 1);
        CHECK_OK(ganc_lapgan_pyramid(&c, x, n, img, lo, hi));
        double err = 0;
        int exact = 1;
        for (int k = 0; k + 1 < L; k++) {
            const int s = c.size >> k;
            const size_t per = (size_t)c.nc * s * s;
            float *d = malloc(sizeof(float) * per / 4);
            for (int i = 0; i < n; i++) {
                ganc_pyr_down(img[k] + per * i, c.nc, s, s, d);
                exact &= !memcmp(d, img[k + 1] + per / 4 * i, sizeof(float) * per / 4);
                for (size_t j = 0; j < per; j++)
                    err = fmax(err, fabs((double)lo[k][per * i + j] + hi[k][per * i + j] - img[k][per * i + j]));
            }
            free(d);
        }
        CHECK(exact && !memcmp(img[0], x, sizeof(float) * n * c.nc * c.size * c.size), "I_{k+1} = d(I_k), I_0 = x");
        CHECK(err <= 1e-6, "size %d: l_k + h_k = I_k to %.2g", c.size, err);
        /* the whole image from the coarsest level and the residuals: I_0 = u(...u(I_K) + h_{K-1}...) + h_0 */
        float *acc = malloc(sizeof(float) * c.nc * c.size * c.size), *up = malloc(sizeof(float) * c.nc * c.size * c.size);
        double rec = 0;
        for (int i = 0; i < n; i++) {
            memcpy(acc, img[L - 1] + (size_t)c.nc * 64 * i, sizeof(float) * c.nc * 64);
            for (int k = L - 2; k >= 0; k--) {
                const int s = c.size >> k;
                ganc_pyr_up(acc, c.nc, s / 2, s / 2, up);
                for (int j = 0; j < c.nc * s * s; j++) acc[j] = up[j] + hi[k][(size_t)c.nc * s * s * i + j];
            }
            for (int j = 0; j < c.nc * c.size * c.size; j++)
                rec = fmax(rec, fabs(acc[j] - x[(size_t)c.nc * c.size * c.size * i + j]));
        }
        CHECK(rec <= 1e-5, "size %d: reconstruction from I_K and every h_k: max error %.2g", c.size, rec);
        printf("pyramid %dx%dx%d, %d levels: l+h=I to %.1e, full reconstruction to %.1e\n", c.nc, c.size, c.size, L,
               err, rec);
        free(acc); free(up); free(x);
        for (int k = 0; k < L; k++) { free(img[k]); free(lo[k]); free(hi[k]); }
    }
}

static void expect_shape(ganc_net_t *n, const char *name, int ndim, const int64_t *shape) {
    ganc_tensor_info_t ti;
    int ok = n && ganc_net_find(n, name, &ti) == GANC_OK && ti.ndim == ndim;
    for (int i = 0; ok && i < ndim; i++) ok = ti.shape[i] == shape[i];
    CHECK(ok, "%s %s: shape", n ? ganc_net_name(n) : "?", name);
}

static void check_shapes(void) {
    ganc_lapgan_cfg_t c = ganc_lapgan_default_cfg();
    c.size = 64; c.nc = 3; c.n_classes = 10;
    for (int k = 0; k < 4; k++) {
        ganc_lapgan_io_t gi, di;
        ganc_net_t *g = ganc_lapgan_level_g(&c, k, 2, &gi), *d = ganc_lapgan_level_d(&c, k, 2, &di);
        CHECK(g && d, "level %d nets: %s", k, ganc_errmsg());
        if (!g || !d) { ganc_net_free(g); ganc_net_free(d); continue; }
        const int s = 64 >> k;
        const int *go = ganc_net_shape(g, gi.out);
        CHECK(ganc_net_ndim(g, gi.out) == 3 && go[0] == 3 && go[1] == s && go[2] == s, "level %d G output (3,%d,%d)", k, s, s);
        CHECK(ganc_net_numel(d, di.out) == 1, "level %d D outputs one logit", k);
        CHECK(gi.y >= 0 && di.y >= 0, "level %d: both nets take the label", k);
        if (k < 3) {
            CHECK(gi.l >= 0 && di.l >= 0 && ganc_net_numel(g, gi.in) == (size_t)s * s, "level %d inputs", k);
            expect_shape(g, "main.0.weight", 4, (int64_t[]){64, 3 + 1 + 1, 7, 7});
            expect_shape(g, "main.2.weight", 4, (int64_t[]){64, 64, 7, 7});
            expect_shape(g, "main.4.weight", 4, (int64_t[]){3, 64, 5, 5});
            expect_shape(g, "embed.weight", 2, (int64_t[]){s * s, 10});
            expect_shape(d, "main.0.weight", 4, (int64_t[]){64, 3 + 3 + 1, 5, 5});
            expect_shape(d, "main.2.weight", 4, (int64_t[]){64, 64, 5, 5});
            expect_shape(d, "main.6.weight", 2, (int64_t[]){1, 64 * (s / 2) * (s / 2)});
        } else {
            CHECK(gi.l < 0 && di.l < 0 && ganc_net_numel(g, gi.in) == 100, "the 8x8 level takes z");
            expect_shape(g, "main.0.weight", 4, (int64_t[]){100 + 10, 64, 4, 4}); /* the 2-block DCGAN */
            expect_shape(g, "main.3.weight", 4, (int64_t[]){64, 3, 4, 4});
            expect_shape(d, "main.0.weight", 4, (int64_t[]){64, 3 + 10, 4, 4});
            expect_shape(d, "main.2.weight", 4, (int64_t[]){1, 64, 4, 4});
            ganc_net_free(g);
            c.coarse.arch = GANC_ARCH_MLP; /* the paper's */
            g = ganc_lapgan_level_g(&c, k, 2, &gi);
            expect_shape(g, "model.0.weight", 2, (int64_t[]){1200, 100 + 10});
            expect_shape(g, "model.4.weight", 2, (int64_t[]){3 * 64, 1200});
        }
        ganc_net_free(g);
        ganc_net_free(d);
    }
    ganc_lapgan_io_t io;
    CHECK(ganc_lapgan_level_g(&c, 4, 2, &io) == NULL, "level 4 of a 4-level pyramid is refused");
    c.size = 48;
    CHECK(ganc_lapgan_check_cfg(&c) == GANC_EINVAL && strstr(ganc_errmsg(), "power-of-two"), "size 48: %s",
          ganc_errmsg());
}

/* a state written after one step, loaded into a new trainer: two more steps equal three uninterrupted ones */
static void check_resume(void) {
    ganc_lapgan_train_cfg_t tc = fixture_cfg();
    tc.net.d_dropout = 0.3f;
    tc.net.coarse.d_dropout = 0.5f; /* dropout streams must resume too */
    tc.coarse_steps = 2;            /* each step takes both batches of make_data */
    float real[ITERS * B * S * S];
    int lab[ITERS * B];
    make_data(real, lab);
    ganc_gan_stats_t st[2];
    ganc_lapgan_trainer_t *a = ganc_lapgan_trainer_new(&tc), *b = ganc_lapgan_trainer_new(&tc), *c2 = ganc_lapgan_trainer_new(&tc);
    CHECK(a && b && c2, "trainers");
    if (!a || !b || !c2) return;
    for (int s = 0; s < 3; s++) CHECK_OK(ganc_lapgan_train_step(a, real, lab, st));
    CHECK_OK(ganc_lapgan_train_step(b, real, lab, st));
    const char *path = tu_tmp("lap_state.safetensors");
    ganc_stw_t *w = ganc_stw_new();
    CHECK_OK(ganc_trainer_state_add(ganc_lapgan_trainer_core(b), w));
    CHECK_OK(ganc_stw_write(w, path));
    ganc_stw_free(w);
    ganc_st_t *st_file = NULL;
    CHECK_OK(ganc_st_open(&st_file, path));
    if (st_file) CHECK_OK(ganc_trainer_state_load(ganc_lapgan_trainer_core(c2), st_file));
    ganc_st_free(st_file);
    for (int s = 1; s < 3; s++) CHECK_OK(ganc_lapgan_train_step(c2, real, lab, st));
    ganc_trainer_t *ta = ganc_lapgan_trainer_core(a), *tb = ganc_lapgan_trainer_core(c2);
    int same = ganc_trainer_step(ta) == 3 && ganc_trainer_step(tb) == 3;
    for (int i = 0; same && i < ganc_trainer_nnets(ta); i++)
        same = !memcmp(ganc_net_params(ganc_trainer_net(ta, i)), ganc_net_params(ganc_trainer_net(tb, i)),
                       sizeof(float) * ganc_net_nparams(ganc_trainer_net(ta, i)));
    CHECK(same, "resumed after step 1: bit-identical to an uninterrupted run at step 3");
    ganc_lapgan_trainer_free(a); ganc_lapgan_trainer_free(b); ganc_lapgan_trainer_free(c2);
}

/* sampling: determinism, the pyramid outputs, labels; metadata and file checks */
static void check_sampling_and_files(void) {
    ganc_lapgan_train_cfg_t tc = fixture_cfg();
    ganc_lapgan_trainer_t *t = ganc_lapgan_trainer_new(&tc);
    CHECK(t != NULL, "trainer");
    if (!t) return;
    ganc_lapgan_t *m = ganc_lapgan_trainer_model(t);
    enum { N = 7 }; /* more than the batch: two chunks */
    float x1[N * S * S], x2[N * S * S], i1[N * 64], l0[N * S * S], h0[N * S * S], i0[N * S * S], up[S * S];
    int lab[N];
    for (int i = 0; i < N; i++) lab[i] = i % C;
    ganc_rng_t r;
    ganc_rng_seed(&r, 8);
    CHECK_OK(ganc_lapgan_sample(m, N, lab, &r, x1, NULL, NULL, NULL));
    ganc_rng_seed(&r, 8);
    CHECK_OK(ganc_lapgan_sample(m, N, lab, &r, x2, (float *const[]){i0, i1}, (float *const[]){l0, NULL},
                                (float *const[]){h0, NULL}));
    CHECK(!memcmp(x1, x2, sizeof x1) && !memcmp(x1, i0, sizeof x1), "same seed, same samples; out = I_0");
    double e = 0;
    for (int i = 0; i < N; i++) {
        ganc_pyr_up(i1 + 64 * i, 1, 8, 8, up);
        for (int j = 0; j < S * S; j++) {
            e = fmax(e, fabs(up[j] - l0[S * S * i + j]));
            e = fmax(e, fabs(l0[S * S * i + j] + h0[S * S * i + j] - i0[S * S * i + j]));
        }
    }
    CHECK(e <= 1e-6, "sampled pyramid: l_0 = u(I_1) and I_0 = l_0 + h_0 (%.2g)", e);
    lab[2] = C;
    CHECK(ganc_lapgan_sample(m, N, lab, &r, x1, NULL, NULL, NULL) == GANC_EINVAL, "class out of range refused");
    /* metadata round trip through a G file as the CLI writes it */
    ganc_meta_t meta;
    ganc_meta_init(&meta);
    CHECK_OK(ganc_lapgan_meta(&tc.net, &meta));
    ganc_stw_t *w = ganc_stw_new();
    ganc_trainer_t *tr = ganc_lapgan_trainer_core(t);
    CHECK_OK(ganc_net_add_to(ganc_trainer_net(tr, ganc_trainer_find(tr, "level0.G")), w, "level0.G."));
    CHECK_OK(ganc_net_add_to(ganc_trainer_net(tr, ganc_trainer_find(tr, "level1.G")), w, "level1.G."));
    CHECK_OK(ganc_meta_write(&meta, w));
    const char *path = tu_tmp("lap_G.safetensors");
    CHECK_OK(ganc_stw_write(w, path));
    ganc_stw_free(w);
    ganc_st_t *st = NULL;
    CHECK_OK(ganc_st_open(&st, path));
    ganc_lapgan_cfg_t c2;
    if (st) {
        CHECK_OK(ganc_lapgan_cfg_from_file(st, &c2));
        CHECK(c2.size == S && c2.n_classes == C && c2.g_width == 8 && c2.coarse.nz == NZ && c2.coarse.d_units == 6,
              "architecture read back");
        ganc_lapgan_t *m2 = ganc_lapgan_new(&c2, 3);
        CHECK(m2 && ganc_lapgan_load(m2, st) == GANC_OK, "load: %s", ganc_errmsg());
        ganc_rng_seed(&r, 8);
        lab[2] = 2;
        if (m2) CHECK_OK(ganc_lapgan_sample(m2, N, lab, &r, x2, NULL, NULL, NULL));
        CHECK(tu_max_abs(x1, x2, N * S * S) <= 1e-5, "loaded model samples as the trained one"); /* up to GEMM blocking */
        ganc_lapgan_free(m2);
    }
    ganc_st_free(st);
    /* an unknown level in a file; a size that is not a pyramid */
    float dummy[4] = {0};
    w = ganc_stw_new();
    ganc_stw_add(w, "level7.G.main.0.weight", GANC_F32, 1, (int64_t[]){4}, dummy);
    ganc_meta_write(&meta, w);
    ganc_stw_write(w, tu_tmp("lap_bad.safetensors"));
    ganc_stw_free(w);
    CHECK_OK(ganc_st_open(&st, tu_tmp("lap_bad.safetensors")));
    ganc_lapgan_t *m3 = ganc_lapgan_new(&tc.net, 2);
    if (st && m3) CHECK(ganc_lapgan_load(m3, st) != GANC_OK && strstr(ganc_errmsg(), "level"), "unknown level: %s", ganc_errmsg());
    ganc_lapgan_free(m3);
    ganc_st_free(st);
    ganc_meta_set(&meta, "size", "48");
    w = ganc_stw_new();
    ganc_meta_write(&meta, w);
    ganc_stw_write(w, tu_tmp("lap_bad2.safetensors"));
    ganc_stw_free(w);
    CHECK_OK(ganc_st_open(&st, tu_tmp("lap_bad2.safetensors")));
    if (st) CHECK(ganc_lapgan_cfg_from_file(st, &c2) == GANC_EFORMAT && strstr(ganc_errmsg(), "size"), "size 48 in a file: %s", ganc_errmsg());
    ganc_st_free(st);
    ganc_lapgan_trainer_free(t);
}

/* PNG geometry: width/height of a grid of cols x rows images of s pixels with ganc_grid_png's 2 px padding */
static void check_png(const char *path, int cols, int rows, int s, const char *what) {
    ganc_image_t im = {0};
    int rc = ganc_image_load(path, &im);
    CHECK(rc == GANC_OK && im.w == cols * (s + 2) + 2 && im.h == rows * (s + 2) + 2, "%s: %dx%d, want %dx%d", what,
          im.w, im.h, cols * (s + 2) + 2, rows * (s + 2) + 2);
    ganc_image_free(&im);
}

/* n labels i % 3, IDX layout */
static void make_labels(const char *path, int n) {
    unsigned char h[8] = {0, 0, 8, 1, (unsigned char)(n >> 24), (unsigned char)(n >> 16), (unsigned char)(n >> 8),
                          (unsigned char)n};
    FILE *o = fopen(path, "wb");
    if (!o) return;
    fwrite(h, 1, 8, o);
    for (int i = 0; i < n; i++) fputc(i % 3, o);
    fclose(o);
}

static void check_cli(const char *ganc) {
    char args[8192], err[4096], idx[1024], run[1024], crun[1024], labels[1024];
    snprintf(idx, sizeof idx, "%s", tu_tmp("blobs.idx"));
    snprintf(run, sizeof run, "%s", tu_tmp("run"));
    snprintf(crun, sizeof crun, "%s", tu_tmp("crun"));
    snprintf(labels, sizeof labels, "%s", tu_tmp("blobs.idx.labels"));
    tu_make_idx(idx, 200);
    make_labels(labels, 200);
    snprintf(args, sizeof args, "train lapgan --data idx:%s --size 16 --level-g-width 4 --level-d-width 4 --nz 8 "
                                "--g-hidden 16 --d-units 8 --batch 8 --iters 3 --threads 2 --sample-every 0 --out %s",
             idx, run);
    CHECK(tu_run(ganc, args, err, sizeof err) == 0, "lapgan training: %s", err);
    CHECK(tu_state_step(run) == 3, "state at step 3");
    snprintf(args, sizeof args, "train --resume %s --iters 5 --threads 2", run);
    CHECK(tu_run(ganc, args, err, sizeof err) == 0 && tu_state_step(run) == 5, "resume to step 5: %s", err);
    snprintf(args, sizeof args, "sample %s --n 10 --out %s", run, tu_tmp("s.npy"));
    CHECK(tu_run(ganc, args, err, sizeof err) == 0, "sample .npy: %s", err);
    int nd;
    int64_t sh[8];
    float *a = NULL;
    CHECK(ganc_npy_read_f32(tu_tmp("s.npy"), &nd, sh, &a) == GANC_OK && nd == 4 && sh[0] == 10 && sh[1] == 1 &&
              sh[2] == 16 && sh[3] == 16, "samples (10,1,16,16)");
    free(a);
    snprintf(args, sizeof args, "sample %s --pyramid --n 3 --out %s", run, tu_tmp("p.png"));
    CHECK(tu_run(ganc, args, err, sizeof err) == 0, "sample --pyramid: %s", err);
    check_png(tu_tmp("p.png"), 1 + 3 * 1, 3, 16, "--pyramid figure (8x8, then l, h, I of the 16x16 level)");
    snprintf(args, sizeof args, "info %s/G.safetensors", run);
    CHECK(tu_run(ganc, args, err, sizeof err) == 0, "info");
    snprintf(args, sizeof args, "eval fid --real idx:%s --fake %s --n 100", idx, run);
    CHECK(tu_run(ganc, args, err, sizeof err) == 0, "eval fid of a lapgan run: %s", err);
    /* CC-LAPGAN: a grid with one row per class */
    snprintf(args, sizeof args, "train lapgan --conditional --data idx:%s,%s --size 16 --level-g-width 4 "
                                "--level-d-width 4 --nz 8 --g-hidden 16 --d-units 8 --batch 8 --iters 2 --threads 2 "
                                "--sample-every 0 --out %s", idx, labels, crun);
    int crc = tu_run(ganc, args, err, sizeof err);
    CHECK(crc == 0, "CC-LAPGAN training: %s", err);
    snprintf(args, sizeof args, "sample %s --grid-by-class --n 4 --out %s", crun, tu_tmp("c.png"));
    if (!crc) {
        CHECK(tu_run(ganc, args, err, sizeof err) == 0, "sample --grid-by-class: %s", err);
        check_png(tu_tmp("c.png"), 4, 3, 16, "grid by class (3 classes x 4)");
    }
    /* errors */
    tu_expect(ganc, "lapgan size 48", "train lapgan --size 48 --out /nonexistent/x", 2, "power-of-two", 1);
    tu_expect(ganc, "lapgan size 8", "train lapgan --size 8 --out /nonexistent/x", 2, "power-of-two", 1);
    snprintf(args, sizeof args, "sample %s --pyramid --n 100 --out %s", run, tu_tmp("p2.png"));
    tu_expect(ganc, "--pyramid rows", args, 2, "at most 64", 1);
    snprintf(args, sizeof args, "sample %s --pyramid --out %s", run, tu_tmp("p.npy"));
    tu_expect(ganc, "--pyramid .npy", args, 2, "--pyramid writes a .png", 1);
    snprintf(args, sizeof args, "sample %s --sheet --out %s", run, tu_tmp("sh.png"));
    tu_expect(ganc, "--sheet on lapgan", args, 2, "lapgan", 1);
    snprintf(args, sizeof args, "sample %s --class 1 --out %s", run, tu_tmp("k.png"));
    tu_expect(ganc, "--class on unconditional lapgan", args, 2, "not a conditional model", 1);
    snprintf(args, sizeof args, "sample %s --out %s", tu_tmp("lap_bad.safetensors"), tu_tmp("b.png"));
    tu_expect(ganc, "unknown level in a file", args, 1, "level7", 1);
}

int main(int argc, char **argv) {
    if (argc == 3 && !strcmp(argv[1], "--write-fixtures")) {
        if (write_fixture(argv[2])) { fprintf(stderr, "%s\n", ganc_errmsg()); return 1; }
        return 0;
    }
    if (argc != 2) { fprintf(stderr, "usage: test_lapgan GANC\n"); return 2; }
    ganc_set_threads(2);
    tu_tmpdir("lapgan");
    check_pyramid();
    check_shapes();
    check_torch();
    check_resume();
    check_sampling_and_files();
    check_cli(argv[1]);
    tu_tmpdir_remove();
    return tu_finish("test_lapgan");
}
