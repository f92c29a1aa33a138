/* SimGAN: the refiner and D against PyTorch (two training steps, gradients, the global D), the local adversarial +
   self-regularisation gradients and D's against finite differences, the history buffer (sizes, replacement,
   determinism, resume), the digit renderer's determinism, the labelled-array and sklearn-digits sources, and the
   CLI (ganc synth, ganc train simgan, ganc refine) with its errors; the refiner's and D's activations channels-last
   against the same networks held planar. */
#include <math.h>
#include <stdlib.h>
#include <string.h>
#include <sys/stat.h>
#include <zlib.h>
#include "nn/graph.h"
#include "testutil.h"

static ganc_simgan_train_cfg_t small_cfg(int history, int global) {
    ganc_simgan_train_cfg_t tc = {{1, 8, 1, 4, 3, global}, 4, 1e-3f, 0.5f, 0.999f, 1, 0.7f, history, 1, 1, 0.0f};
    return tc;
}

static void torch_steps(void) {
    ganc_st_t *st = NULL;
    CHECK_OK(ganc_st_open(&st, tu_fixture("simgan_step.safetensors")));
    const ganc_simgan_train_cfg_t tc = small_cfg(0, 0);
    ganc_simgan_trainer_t *t = st ? ganc_simgan_trainer_new(&tc) : NULL;
    const ganc_st_tensor_t *sy = st ? ganc_st_find(st, "synth") : NULL, *re = st ? ganc_st_find(st, "real") : NULL;
    const ganc_st_tensor_t *ls = st ? ganc_st_find(st, "losses") : NULL;
    const size_t B = 4 * 64;
    if (!t || !sy || !re || !ls || sy->numel != 4 * B || re->numel != 2 * B || ls->numel != 6) {
        CHECK(0, "simgan_step fixture / trainer: %s", ganc_errmsg());
        ganc_simgan_trainer_free(t);
        ganc_st_free(st);
        return;
    }
    float *synth = malloc(sy->nbytes), *real = malloc(re->nbytes), loss[6];
    memcpy(synth, sy->data, sy->nbytes);
    memcpy(real, re->data, re->nbytes);
    memcpy(loss, ls->data, sizeof loss);
    ganc_net_t *r = ganc_simgan_r(t), *d = ganc_simgan_trainer_d(t);
    CHECK_OK(ganc_net_load_from(r, st, "r.", 1));
    CHECK_OK(ganc_net_load_from(d, st, "d.", 1));
    ganc_simgan_stats_t s1, s2;
    CHECK_OK(ganc_simgan_r_step(t, synth, 1, &s1));
    CHECK_OK(ganc_simgan_d_step(t, synth + B, real, &s1));
    ganc_trainer_count_step(ganc_simgan_trainer_core(t));
    const double gr = tu_params_vs(r, st, "grad_r.", 1), gd = tu_params_vs(d, st, "grad_d.", 1);
    const double p1 = fmax(tu_params_vs(r, st, "r1.", 0), tu_params_vs(d, st, "d1.", 0));
    CHECK_OK(ganc_simgan_train_step(t, synth + 2 * B, real + B, &s2));
    const double p2 = fmax(tu_params_vs(r, st, "r2.", 0), tu_params_vs(d, st, "d2.", 0));
    CHECK(gr <= 1e-4 && gd <= 1e-4, "step 1 gradients vs PyTorch: R %.3g, D %.3g", gr, gd);
    CHECK(p1 <= 1e-4 && p2 <= 1e-4, "weights after steps 1, 2 vs PyTorch: %.3g, %.3g", p1, p2);
    const float got[6] = {s1.adv, s1.reg, s1.d_loss, s2.adv, s2.reg, s2.d_loss};
    for (int k = 0; k < 6; k++)
        CHECK(fabsf(got[k] - loss[k]) <= 1e-5f * (1 + fabsf(loss[k])), "loss %d: %.7g, PyTorch %.7g", k, got[k], loss[k]);
    printf("two SimGAN steps vs PyTorch: gradients R %.2e D %.2e, weights %.2e / %.2e, losses within 1e-5\n", gr, gd,
           p1, p2);
    free(synth);
    free(real);
    ganc_simgan_trainer_free(t);
    ganc_st_free(st);

    /* the global D: forward and backward */
    CHECK_OK(ganc_st_open(&st, tu_fixture("simgan_global.safetensors")));
    ganc_simgan_cfg_t c = small_cfg(0, 1).net;
    ganc_simgan_io_t io;
    d = st ? ganc_simgan_d(&c, 2, &io) : NULL;
    const ganc_st_tensor_t *x = st ? ganc_st_find(st, "in.x") : NULL, *dy = st ? ganc_st_find(st, "dy") : NULL;
    const ganc_st_tensor_t *y = st ? ganc_st_find(st, "out.y") : NULL;
    if (d && x && dy && y && x->numel == 128 && dy->numel == 2 && ganc_net_numel(d, io.out) == 1) {
        CHECK_OK(ganc_net_load_from(d, st, "param.", 0));
        CHECK_OK(ganc_net_set_input(d, io.in, (const float *)x->data, 2));
        CHECK_OK(ganc_net_forward(d, 2, GANC_TRAIN));
        float yy[2];
        memcpy(yy, y->data, 8);
        const float *o = ganc_net_data(d, io.out);
        CHECK(fabsf(o[0] - yy[0]) < 1e-5f && fabsf(o[1] - yy[1]) < 1e-5f, "global D logits %g %g vs %g %g", o[0], o[1],
              yy[0], yy[1]);
        memcpy(ganc_net_grad(d, io.out), dy->data, 8);
        ganc_net_zero_grad(d);
        CHECK_OK(ganc_net_backward(d, 0));
        const double e = tu_params_vs(d, st, "grad.", 1);
        CHECK(e <= 1e-4, "global D gradients vs PyTorch: %.3g", e);
    } else
        CHECK(0, "simgan_global fixture / global D: %s", ganc_errmsg());
    ganc_net_free(d);
    ganc_st_free(st);
}

/* R's loss (adversarial averaged over D's map + lambda mean |R(x)-x|) or D's (real 1, R(x) 0), in double */
static double loss_of(ganc_simgan_trainer_t *t, const float *x, const float *real, int of_d, float lambda) {
    ganc_net_t *r = ganc_simgan_r(t), *d = ganc_simgan_trainer_d(t);
    const ganc_simgan_io_t *io = ganc_simgan_r_io(t);
    const int B = 4;
    const size_t nx = (size_t)B * 64;
    ganc_net_set_input(r, io->in, x, B);
    ganc_net_forward(r, B, GANC_TRAIN);
    const float *rx = ganc_net_data(r, io->out);
    int din = 0, dout = ganc_net_nnodes(d) - 1;
    const size_t nm = (size_t)B * ganc_net_numel(d, dout);
    ganc_net_set_input(d, din, rx, B);
    ganc_net_forward(d, B, GANC_TRAIN);
    double l = ganc_bce_logits(ganc_net_data(d, dout), NULL, of_d ? 0.0f : 1.0f, nm, NULL, 0);
    if (!of_d) return l + lambda * ganc_l1(rx, x, nx, NULL, 0);
    ganc_net_set_input(d, din, real, B);
    ganc_net_forward(d, B, GANC_TRAIN);
    return l + ganc_bce_logits(ganc_net_data(d, dout), NULL, 1.0f, nm, NULL, 0);
}

/* gradients of one R update and one D update against central differences of loss_of, 24 parameters each */
static void finite_differences(void) {
    ganc_simgan_train_cfg_t tc = small_cfg(0, 0);
    ganc_simgan_trainer_t *t = ganc_simgan_trainer_new(&tc);
    if (!t) { CHECK(0, "trainer: %s", ganc_errmsg()); return; }
    float x[256], real[256];
    ganc_rng_t g;
    ganc_rng_seed(&g, 9);
    ganc_rng_fill_uniform(&g, x, 256, -1, 1);
    ganc_rng_fill_uniform(&g, real, 256, -1, 1);
    int bad = 0;
    double worst = 0;
    for (int of_d = 0; of_d < 2; of_d++) {
        ganc_net_t *net = of_d ? ganc_simgan_trainer_d(t) : ganc_simgan_r(t);
        const size_t np = ganc_net_nparams(net);
        float *p = ganc_net_params(net), *keep = malloc(np * sizeof(float)), *grad = malloc(np * sizeof(float));
        memcpy(keep, p, np * sizeof(float));
        ganc_simgan_stats_t s;
        CHECK_OK(of_d ? ganc_simgan_d_step(t, x, real, &s) : ganc_simgan_r_step(t, x, 1, &s));
        memcpy(grad, ganc_net_param_grads(net), np * sizeof(float));
        memcpy(p, keep, np * sizeof(float)); /* undo the update */
        const double l0 = loss_of(t, x, real, of_d, tc.lambda), want = of_d ? s.d_loss : s.adv + tc.lambda * s.reg;
        CHECK(fabs(l0 - want) < 1e-5 * (1 + fabs(want)), "%s loss %.7g, recomputed %.7g", of_d ? "D" : "R", want, l0);
        for (int k = 0; k < 24; k++) {
            const size_t i = ganc_rng_below(&g, (uint32_t)np);
            const float eps = 2e-3f, v = p[i];
            p[i] = v + eps;
            const double lp = loss_of(t, x, real, of_d, tc.lambda);
            p[i] = v - eps;
            const double lm = loss_of(t, x, real, of_d, tc.lambda);
            p[i] = v;
            /* float losses: an absolute floor for their rounding over 2 eps (about 1e-7 x 1.4 / 4e-3) */
            const double fd = (lp - lm) / (2 * eps), e = fabs(fd - grad[i]) / (fabs(fd) + 2e-3);
            worst = fmax(worst, e);
            if (e > 2e-2) {
                bad++;
                fprintf(stderr, "%s param %zu: analytic %.6g, finite difference %.6g\n", of_d ? "D" : "R", i, grad[i], fd);
            }
        }
        free(keep);
        free(grad);
    }
    CHECK(bad == 0, "%d of 48 gradients differ from finite differences by more than 2%% (of |fd| + 2e-3)", bad);
    printf("local adversarial + self-regularisation (R) and D gradients vs finite differences: worst %.2e\n", worst);
    ganc_simgan_trainer_free(t);
}

static int same_entry(const float *a, const float *b) { return !memcmp(a, b, 64 * sizeof(float)); }

/* history of 6 images, batch 4: 2 entries per D step, appended until full, then over random entries */
static void history(void) {
    ganc_simgan_train_cfg_t tc = small_cfg(6, 0);
    ganc_simgan_trainer_t *a = ganc_simgan_trainer_new(&tc), *b = ganc_simgan_trainer_new(&tc);
    if (!a || !b) { CHECK(0, "trainers: %s", ganc_errmsg()); ganc_simgan_trainer_free(a); ganc_simgan_trainer_free(b); return; }
    tc.history = 1;
    CHECK(ganc_simgan_trainer_new(&tc) == NULL, "a history smaller than batch/2 is refused");
    float x[8][256], real[256], prev[6 * 64];
    ganc_rng_t g;
    ganc_rng_seed(&g, 4);
    ganc_rng_fill_uniform(&g, &x[0][0], 8 * 256, -1, 1);
    ganc_rng_fill_uniform(&g, real, 256, -1, 1);
    ganc_simgan_stats_t s;
    const int64_t want[5] = {2, 4, 6, 6, 6};
    for (int k = 0; k < 5; k++) {
        memcpy(prev, ganc_simgan_history(a), sizeof prev);
        CHECK_OK(ganc_simgan_d_step(a, x[k], real, &s));
        CHECK(ganc_simgan_history_count(a) == want[k], "after D step %d: %lld images in the history, expected %lld",
              k + 1, (long long)ganc_simgan_history_count(a), (long long)want[k]);
        const float *h = ganc_simgan_history(a);
        const float *rx = ganc_net_data(ganc_simgan_r(a), ganc_simgan_r_io(a)->out);
        const float *fake = ganc_net_data(ganc_simgan_trainer_d(a), 0); /* D's last batch: the fake one */
        int changed = 0, from_new = 0;
        for (int e = 0; e < 6; e++) {
            changed += !same_entry(h + 64 * e, prev + 64 * e);
            from_new += same_entry(h + 64 * e, rx) || same_entry(h + 64 * e, rx + 64);
        }
        CHECK(k < 3 ? same_entry(h + 64 * 2 * k, rx) && same_entry(h + 64 * (2 * k + 1), rx + 64)
                    : changed >= 1 && changed <= 2 && from_new >= 1,
              "D step %d: %s", k + 1, k < 3 ? "the first two refined images are appended" : "at most 2 entries replaced");
        CHECK(same_entry(fake, rx) && same_entry(fake + 64, rx + 64), "the fake batch starts with refined images");
        int hist_half = 1; /* from step 2 on, the second half of the fake batch comes from the history before it */
        for (int i = 2; k > 0 && i < 4; i++) {
            int found = 0;
            for (int e = 0; e < want[k - 1]; e++) found |= same_entry(fake + 64 * i, prev + 64 * e);
            hist_half &= found;
        }
        CHECK(hist_half, "D step %d: the fake batch's second half comes from the history", k + 1);
    }
    /* determinism and resume: b runs 2 steps, its state goes through a file into c; then b, c and a fresh d */
    for (int k = 0; k < 2; k++) CHECK_OK(ganc_simgan_d_step(b, x[k], real, &s));
    ganc_stw_t *w = ganc_stw_new();
    CHECK_OK(ganc_trainer_state_add(ganc_simgan_trainer_core(b), w));
    CHECK_OK(ganc_stw_write(w, tu_tmp("state.safetensors")));
    ganc_stw_free(w);
    tc.history = 6;
    ganc_simgan_trainer_t *c = ganc_simgan_trainer_new(&tc);
    ganc_st_t *st = NULL;
    CHECK_OK(ganc_st_open(&st, tu_tmp("state.safetensors")));
    CHECK(c && st && ganc_trainer_state_load(ganc_simgan_trainer_core(c), st) == GANC_OK, "resume: %s", ganc_errmsg());
    ganc_st_free(st);
    for (int k = 2; c && k < 5; k++) {
        CHECK_OK(ganc_simgan_d_step(b, x[k], real, &s));
        CHECK_OK(ganc_simgan_d_step(c, x[k], real, &s));
    }
    CHECK(!memcmp(ganc_simgan_history(a), ganc_simgan_history(b), sizeof prev) &&
          !memcmp(ganc_net_params(ganc_simgan_trainer_d(a)), ganc_net_params(ganc_simgan_trainer_d(b)),
                  ganc_net_nparams(ganc_simgan_trainer_d(a)) * sizeof(float)),
          "the same seed gives the same history and D");
    CHECK(c && !memcmp(ganc_simgan_history(b), ganc_simgan_history(c), sizeof prev) &&
          ganc_simgan_history_count(c) == 6 &&
          !memcmp(ganc_net_params(ganc_simgan_trainer_d(b)), ganc_net_params(ganc_simgan_trainer_d(c)),
                  ganc_net_nparams(ganc_simgan_trainer_d(b)) * sizeof(float)),
          "a resumed trainer has the history, count and D of an uninterrupted one");
    ganc_simgan_trainer_free(a);
    ganc_simgan_trainer_free(b);
    ganc_simgan_trainer_free(c);
}

static const char *first_font(void) {
    static const char *const f[] = {"/usr/share/fonts/truetype/dejavu/DejaVuSans.ttf",
                                    "/usr/share/fonts/truetype/liberation2/LiberationSans-Regular.ttf"};
    struct stat st;
    for (int i = 0; i < 2; i++)
        if (stat(f[i], &st) == 0) return f[i];
    return NULL;
}

static void renderer(void) {
    const char *font = first_font();
    if (!ganc_have_freetype() || !font) {
        printf("renderer: skipped (%s)\n", font ? "built without FreeType" : "no DejaVu or Liberation font");
        return;
    }
    unsigned char a[30 * 256], b[30 * 256], c[10 * 256];
    int la[30], lb[30], lc[10];
    const char *fonts[1] = {font};
    CHECK_OK(ganc_synth_digits(30, 5, 16, fonts, 1, 0, a, la));
    CHECK_OK(ganc_synth_digits(30, 5, 16, fonts, 1, 0, b, lb));
    CHECK_OK(ganc_synth_digits(10, 5, 16, fonts, 1, 0, c, lc));
    CHECK(!memcmp(a, b, sizeof a) && !memcmp(la, lb, sizeof la), "the same seed renders the same digits");
    CHECK(!memcmp(a, c, sizeof c), "sample i does not depend on n");
    CHECK_OK(ganc_synth_digits(30, 6, 16, fonts, 1, 0, b, lb));
    CHECK(memcmp(a, b, sizeof a) != 0, "another seed renders other digits");
    long ink = 0;
    int labels_ok = 1;
    for (int i = 0; i < 30; i++) {
        labels_ok &= la[i] == i % 10;
        long s = 0;
        for (int k = 0; k < 256; k++) s += a[i * 256 + k];
        CHECK(s > 256 * 10 && s < 256 * 160, "digit %d has ink (mean %ld) on black", i, s / 256);
        ink += s;
    }
    CHECK(labels_ok, "labels are i %% 10");
    CHECK_OK(ganc_synth_digits(30, 5, 16, fonts, 1, GANC_SYNTH_MONO, b, lb));
    int binary = 1;
    for (int k = 0; k < 30 * 256; k++) binary &= b[k] == 0 || b[k] == 255;
    CHECK(binary && memcmp(a, b, sizeof a), "--mono: black and white pixels only");
    const char *none[1] = {"/nonexistent.ttf"};
    CHECK(ganc_synth_digits(3, 1, 16, none, 1, 0, a, la) != GANC_OK && strstr(ganc_errmsg(), "/nonexistent.ttf"),
          "a missing font is an error naming it: %s", ganc_errmsg());
}

static void sources(void) {
    /* a labelled-array folder: 3 grey 4x4 images */
    unsigned char px[3 * 16];
    int64_t lab[3] = {2, 0, 7};
    for (int i = 0; i < 48; i++) px[i] = (unsigned char)(i * 5);
    mkdir(tu_tmp("arr"), 0777);
    CHECK_OK(ganc_npy_write(tu_tmp("arr/images.npy"), GANC_U8, 4, (const int64_t[]){3, 1, 4, 4}, px));
    CHECK_OK(ganc_npy_write(tu_tmp("arr/labels.npy"), GANC_I64, 1, (const int64_t[]){3}, lab));
    ganc_dataset_t ds;
    CHECK_OK(ganc_dataset_load(&ds, tu_tmp("arr"), 4, 1, 0));
    CHECK(ds.n == 3 && ds.labels && ds.labels[0] == 2 && ds.labels[2] == 7 && ds.nclasses == 8,
          "labelled arrays: n %d, labels", ds.n);
    CHECK(ds.x && fabsf(ds.x[17] - (17 * 5 / 127.5f - 1)) < 1e-5f, "pixel 17 of the arrays: %g", ds.x ? ds.x[17] : 0);
    ganc_dataset_free(&ds);
    CHECK_OK(ganc_npy_write(tu_tmp("arr/labels.npy"), GANC_I64, 1, (const int64_t[]){2}, lab));
    CHECK(ganc_dataset_load(&ds, tu_tmp("arr"), 4, 1, 0) == GANC_EFORMAT && strstr(ganc_errmsg(), "labels.npy"),
          "2 labels for 3 images is an error naming labels.npy: %s", ganc_errmsg());
    const float f[16] = {0};
    CHECK_OK(ganc_npy_write(tu_tmp("arr/images.npy"), GANC_F32, 3, (const int64_t[]){1, 4, 4}, f));
    CHECK(ganc_dataset_load(&ds, tu_tmp("arr"), 4, 1, 0) == GANC_EFORMAT && strstr(ganc_errmsg(), "uint8"),
          "float images are refused: %s", ganc_errmsg());
    /* scikit-learn's digits layout: 1797 rows of 64 pixels 0..16 and a label */
    gzFile g = gzopen(tu_tmp("digits.csv.gz"), "wb");
    for (int i = 0; g && i < 1797; i++) {
        for (int k = 0; k < 64; k++) gzprintf(g, "%d,", (i + k) % 17);
        gzprintf(g, "%d\n", i % 10);
    }
    if (g) gzclose(g);
    char src[512];
    snprintf(src, sizeof src, "sklearn-digits:%s", tu_tmp("digits.csv.gz"));
    CHECK_OK(ganc_dataset_load(&ds, src, 8, 1, 0));
    CHECK(ds.n == 1797 && ds.labels && ds.labels[13] == 3 && ds.nclasses == 10, "digits: n %d", ds.n);
    /* row 0, pixel 16 = 16 -> 255 -> 1; pixel 0 = 0 -> -1 */
    CHECK(ds.x && ds.x[0] == -1.0f && ds.x[16] == 1.0f, "digit pixels: %g %g", ds.x ? ds.x[0] : 0, ds.x ? ds.x[16] : 0);
    ganc_dataset_free(&ds);
    g = gzopen(tu_tmp("digits.csv.gz"), "wb");
    if (g) { gzprintf(g, "1,2,3\n"); gzclose(g); }
    CHECK(ganc_dataset_load(&ds, src, 8, 1, 0) == GANC_EFORMAT && strstr(ganc_errmsg(), "row 1"),
          "a short row is an error naming it: %s", ganc_errmsg());
}

static void cli(const char *ganc) {
    char args[2048], err[4096];
    const char *font = first_font();
    tu_expect(ganc, "synth without --out", "synth digits --n 10", 2, "--out", 1);
    snprintf(args, sizeof args, "synth digits --n 10 --fonts /no/such.ttf --out %s", tu_tmp("x"));
    tu_expect(ganc, "synth with a missing font", args, 2, "/no/such.ttf", 1);
    snprintf(args, sizeof args, "train simgan --synthetic %s --iters 2 --out %s", tu_tmp("empty"), tu_tmp("r0"));
    mkdir(tu_tmp("empty"), 0777);
    tu_expect(ganc, "train simgan on an empty folder", args, 1, "empty", 1);
    if (!ganc_have_freetype() || !font) { printf("cli: synth/train/refine skipped (no FreeType or font)\n"); return; }
    snprintf(args, sizeof args, "synth digits --n 40 --seed 3 --fonts %s --out %s", font, tu_tmp("syn"));
    CHECK(tu_run(ganc, args, err, sizeof err) == 0, "ganc synth: %s", err);
    /* train: the synthetic folder is also the "real" one here (labels unused); 6 steps = 2 + 1 pretraining */
    const char *common = "--real %s --iters %d --batch 8 --history 8 --pretrain-r 2 --pretrain-d 1 --r-blocks 1 "
                         "--r-width 4 --sim-d-width 4 --threads 2 --sample-every 0 --log-every 1";
    char fmt[1024];
    snprintf(fmt, sizeof fmt, "train simgan --synthetic %%s --out %%s %s", common);
    snprintf(args, sizeof args, fmt, tu_tmp("syn"), tu_tmp("full"), tu_tmp("syn"), 6);
    CHECK(tu_run(ganc, args, err, sizeof err) == 0, "train simgan: %s", err);
    snprintf(args, sizeof args, fmt, tu_tmp("syn"), tu_tmp("half"), tu_tmp("syn"), 4);
    CHECK(tu_run(ganc, args, err, sizeof err) == 0, "train simgan (4 steps): %s", err);
    snprintf(args, sizeof args, "train --resume %s --iters 6", tu_tmp("half"));
    CHECK(tu_run(ganc, args, err, sizeof err) == 0, "resume simgan: %s", err);
    char a[600], b[600];
    snprintf(a, sizeof a, "%s/R.safetensors", tu_tmp("full"));
    snprintf(b, sizeof b, "%s/R.safetensors", tu_tmp("half"));
    CHECK(tu_same_tensors(a, b), "4 steps + resume to 6 gives the refiner of 6 uninterrupted steps");
    snprintf(args, sizeof args, "refine %s --in %s --out %s", tu_tmp("full"), tu_tmp("syn"), tu_tmp("ref"));
    CHECK(tu_run(ganc, args, err, sizeof err) == 0, "refine: %s", err);
    snprintf(a, sizeof a, "%s/labels.npy", tu_tmp("syn"));
    snprintf(b, sizeof b, "%s/labels.npy", tu_tmp("ref"));
    CHECK(tu_same_file(a, b), "refine keeps the labels (same labels.npy)");
    snprintf(b, sizeof b, "%s/images.npy", tu_tmp("ref"));
    int nd;
    int64_t sh[8];
    float *y = NULL;
    CHECK(ganc_npy_read_f32(b, &nd, sh, &y) == GANC_OK && nd == 4 && sh[0] == 40 && sh[1] == 1 && sh[2] == 8,
          "refined images: 40 of 1x8x8 (the default working size)");
    free(y);
    snprintf(args, sizeof args, "refine %s --in %s --out %s", tu_tmp("nothing"), tu_tmp("syn"), tu_tmp("ref2"));
    tu_expect(ganc, "refine with a missing run", args, 1, "nothing", 1);
    /* mismatched lengths */
    const int64_t two[2] = {1, 2};
    CHECK_OK(ganc_npy_write(a, GANC_I64, 1, (const int64_t[]){2}, two));
    snprintf(args, sizeof args, fmt, tu_tmp("syn"), tu_tmp("bad"), tu_tmp("syn"), 2);
    tu_expect(ganc, "train simgan with 2 labels for 40 images", args, 1, "labels.npy", 1);
}

/* R (width 32, two blocks) feeding D at 8x8, as the builders make them, with channels-last allowed or not */
static ganc_net_t *r_then_d(int allow, int *in, int *out) {
    ganc_net_t *n = ganc_net_new("RD");
    if (!n) return NULL;
    ganc_net_allow_channels_last(n, allow);
    int h = *in = ganc_net_input(n, "x", 3, (int[]){1, 8, 8});
    h = ganc_net_relu(n, "head.1", ganc_net_conv2d(n, "head.0", h, 32, 3, 3, 1, 1, 1));
    for (int i = 0; i < 2; i++) {
        int r = ganc_net_relu(n, "relu", ganc_net_conv2d(n, "conv1", h, 32, 3, 3, 1, 1, 1));
        r = ganc_net_conv2d(n, "conv2", r, 32, 3, 3, 1, 1, 1);
        h = ganc_net_relu(n, "relu", ganc_net_add(n, "add", r, h));
    }
    h = ganc_net_tanh(n, "tanh", ganc_net_conv2d(n, "tail", h, 1, 1, 1, 1, 0, 1));
    h = ganc_net_leaky_relu(n, "main.1", ganc_net_conv2d(n, "main.0", h, 32, 3, 3, 1, 1, 1), 0.2f);
    h = ganc_net_leaky_relu(n, "main.3", ganc_net_conv2d(n, "main.2", h, 64, 3, 3, 2, 1, 1), 0.2f);
    h = ganc_net_leaky_relu(n, "main.5", ganc_net_conv2d(n, "main.4", h, 64, 1, 1, 1, 0, 1), 0.2f);
    h = *out = ganc_net_conv2d(n, "main.6", h, 1, 1, 1, 1, 0, 1);
    if (h < 0 || ganc_net_build(n, 6)) { ganc_net_free(n); return NULL; }
    return n;
}

static double max_rel(const float *a, const float *b, size_t n) {
    double e = 0.0, m = 0.0;
    for (size_t i = 0; i < n; i++) {
        e = fmax(e, fabs((double)a[i] - b[i]));
        m = fmax(m, fabs((double)b[i]));
    }
    return e / (m > 0 ? m : 1.0);
}

static void layouts(void) {
    int in[2], out[2];
    ganc_net_t *net[2] = {r_then_d(1, &in[0], &out[0]), r_then_d(0, &in[1], &out[1])};
    if (!net[0] || !net[1]) {
        CHECK(0, "channels-last nets: %s", ganc_errmsg());
        ganc_net_free(net[0]); ganc_net_free(net[1]);
        return;
    }
    int held = 0, planar = 1;
    for (int i = 0; i < ganc_net_nnodes(net[0]); i++) {
        const int want = !strcmp(ganc_net_node_kind(net[0], i), "conv2d") && ganc_net_shape(net[0], i)[0] > 1;
        held += net[0]->nodes[i].cl && want;
        planar &= !net[1]->nodes[i].cl && (want || !net[0]->nodes[i].cl || net[0]->nodes[net[0]->nodes[i].in[0]].cl);
    }
    CHECK(held == 8, "every conv2d output of more than one channel channels-last: %d of 8", held);
    CHECK(planar, "nothing channels-last unless allowed, and pointwise nodes only with their input");
    ganc_rng_t rng;
    ganc_rng_seed(&rng, 5);
    const size_t X = 6 * 64, Y = 6 * 16;
    float *x = malloc(sizeof(float) * X), *gy = malloc(sizeof(float) * Y);
    ganc_rng_fill_normal(&rng, x, X, 0.0f, 1.0f);
    ganc_rng_fill_normal(&rng, gy, Y, 0.0f, 1.0f);
    for (int k = 0; k < 2; k++) {
        ganc_net_init_default(net[k], 3);
        memcpy(ganc_net_data(net[k], in[k]), x, sizeof(float) * X);
        CHECK_OK(ganc_net_forward(net[k], 6, GANC_TRAIN));
        memcpy(ganc_net_grad(net[k], out[k]), gy, sizeof(float) * Y);
        CHECK_OK(ganc_net_backward(net[k], 0));
    }
    const double ey = max_rel(ganc_net_data(net[0], out[0]), ganc_net_data(net[1], out[1]), Y);
    const double ex = max_rel(ganc_net_grad(net[0], in[0]), ganc_net_grad(net[1], in[1]), X);
    double ew = 0.0;
    for (int i = 0; i < ganc_net_ntensors(net[0]); i++) {
        ganc_tensor_info_t a, b;
        if (ganc_net_tensor(net[0], i, &a) || ganc_net_tensor(net[1], i, &b) || !a.grad) continue;
        ew = fmax(ew, max_rel(a.grad, b.grad, a.numel));
    }
    printf("R then D channels-last against planar: output %.2e, input gradient %.2e, weight gradients %.2e\n", ey,
           ex, ew);
    CHECK(ey < 1e-5 && ex < 1e-5 && ew < 1e-5, "channels-last R then D: %.2e %.2e %.2e", ey, ex, ew);
    free(x);
    free(gy);
    ganc_net_free(net[0]);
    ganc_net_free(net[1]);
}

int main(int argc, char **argv) {
    ganc_set_threads(2);
    tu_tmpdir("simgan");
    torch_steps();
    finite_differences();
    history();
    renderer();
    sources();
    layouts();
    if (argc > 1) cli(argv[1]);
    tu_tmpdir_remove();
    return tu_finish("test_simgan");
}
