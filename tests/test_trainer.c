/* The model-independent trainer and network wiring:
   - a toy pipeline built on the trainer in a few dozen lines: G (trained) and a frozen feature network F used as a
     loss on G's output, plus a loss on one of G's intermediate features; its gradients against finite differences;
   - the gradient-sync hook (a counting identity hook: once per trained network per update, on the whole flat
     block, results unchanged), frozen networks (never updated, not in the state), the non-finite guard, and the
     state's key names and round trip;
   - asking for a pooled gradient is an error naming the node. */
#include <math.h>
#include <stdlib.h>
#include <string.h>
#include "testutil.h"

enum { B = 3, NZ = 8 };

typedef struct {
    ganc_trainer_t *tr;
    ganc_net_t *g, *f;
    int ig, if_, z, h, act, out, fin, fout;
    float z_data[B * NZ], tf[B * 5], th[B * 16];
} toy_t;

/* G: z -> linear 16 -> tanh (marked: a loss reads it) -> linear 72 -> (2,6,6) -> conv 3x3 -> tanh.
   F (frozen): (2,6,6) -> conv 3x3 stride 2 (4) -> tanh -> flatten -> linear 5. */
static int toy_build(toy_t *t) {
    t->g = ganc_net_new("G");
    t->z = ganc_net_input(t->g, "z", 1, (int[]){NZ});
    t->h = ganc_net_linear(t->g, "fc1", t->z, 16, 1);
    t->act = ganc_net_tanh(t->g, "act1", t->h);
    int x = ganc_net_linear(t->g, "fc2", t->act, 72, 1);
    x = ganc_net_reshape(t->g, "view", x, 3, (int[]){2, 6, 6});
    x = ganc_net_conv2d(t->g, "conv", x, 2, 3, 3, 1, 1, 1);
    t->out = ganc_net_tanh(t->g, "out", x);
    t->f = ganc_net_new("F");
    t->fin = ganc_net_input(t->f, "x", 3, (int[]){2, 6, 6});
    int y = ganc_net_conv2d(t->f, "c", t->fin, 4, 3, 3, 2, 1, 1);
    y = ganc_net_tanh(t->f, "a", y); /* smooth: finite differences would trip over a ReLU kink */
    y = ganc_net_reshape(t->f, "flat", y, 1, (int[]){4 * 3 * 3});
    t->fout = ganc_net_linear(t->f, "fc", y, 5, 1);
    if (ganc_net_mark_output(t->g, t->act) || ganc_net_build(t->g, B) || ganc_net_build(t->f, B)) return -1;
    ganc_net_init_default(t->g, 1);
    ganc_net_init_default(t->f, 2);
    ganc_optim_cfg_t adam = ganc_adam_cfg(1e-2f, 0.5f, 0.999f);
    t->tr = ganc_trainer_new();
    t->ig = ganc_trainer_add_net(t->tr, "G", t->g, &adam);
    t->if_ = ganc_trainer_add_net(t->tr, "F", t->f, NULL); /* frozen */
    ganc_rng_t r;
    ganc_rng_seed(&r, 9);
    ganc_rng_fill_normal(&r, t->z_data, sizeof t->z_data / sizeof(float), 0, 1);
    ganc_rng_fill_uniform(&r, t->tf, sizeof t->tf / sizeof(float), -1, 1);
    ganc_rng_fill_uniform(&r, t->th, sizeof t->th / sizeof(float), -1, 1);
    return t->ig < 0 || t->if_ < 0 ? -1 : 0;
}

/* L = MSE(F(G(z)), tf) + 0.5 MSE(act1, th); with grads: G's parameter gradients (zeroed first) */
static double toy_loss(toy_t *t, int grads) {
    ganc_net_set_input(t->g, t->z, t->z_data, B);
    ganc_net_forward(t->g, B, GANC_TRAIN);
    ganc_net_feed(t->f, t->fin, t->g, t->out);
    ganc_net_forward(t->f, B, GANC_TRAIN);
    float *gf = grads ? ganc_net_grad(t->f, t->fout) : NULL, gh[B * 16] = {0};
    double L = ganc_mse(ganc_net_data(t->f, t->fout), t->tf, B * 5, gf, 1.0f);
    L += 0.5 * ganc_mse(ganc_net_data(t->g, t->act), t->th, B * 16, grads ? gh : NULL, 0.5f);
    if (grads) {
        ganc_net_zero_grad(t->g);
        ganc_net_backward(t->f, GANC_NO_PARAM_GRADS);
        CHECK_OK(ganc_net_add_grad(t->g, t->out, ganc_net_grad(t->f, t->fin), 1.0f));
        CHECK_OK(ganc_net_add_grad(t->g, t->act, gh, 1.0f));
        ganc_net_backward(t->g, GANC_NO_INPUT_GRADS);
    }
    return L;
}

static void check_toy_gradients(toy_t *t) {
    toy_loss(t, 1);
    float *p = ganc_net_params(t->g), *g = ganc_net_param_grads(t->g);
    const size_t n = ganc_net_nparams(t->g);
    float *an = malloc(sizeof(float) * n);
    memcpy(an, g, sizeof(float) * n);
    int bad = 0, tried = 0;
    for (size_t i = 0; i < n; i += 7, tried++) { /* every 7th parameter of every layer */
        const float keep = p[i], eps = 1e-2f;
        p[i] = keep + eps;
        double lp = toy_loss(t, 0);
        p[i] = keep - eps;
        double lm = toy_loss(t, 0);
        p[i] = keep;
        double fd = (lp - lm) / (2 * eps), err = fabs(fd - an[i]) / fmax(fabs(fd), 1e-3);
        if (err > 3e-2) {
            bad++;
            fprintf(stderr, "  param %zu: analytic %.6g, finite difference %.6g\n", i, an[i], fd);
        }
    }
    CHECK(bad == 0, "toy pipeline: %d of %d G parameter gradients disagree with finite differences", bad, tried);
    printf("toy pipeline (frozen F as a loss on G's output + a loss on G's act1): %d parameter gradients checked "
           "against finite differences, %d off\n", tried, bad);
    free(an);
}

typedef struct { int calls; size_t elems; } counter_t;
static int count_sync(void *ctx, float *grads, size_t n) {
    (void)grads;
    counter_t *c = ctx;
    c->calls++;
    c->elems += n;
    return 0;
}

/* two updates with the counting hook give the same G as without it; F never changes */
static void check_hook_and_frozen(void) {
    toy_t a, b;
    CHECK_OK(toy_build(&a));
    CHECK_OK(toy_build(&b));
    counter_t c = {0};
    ganc_trainer_set_grad_sync(b.tr, count_sync, &c);
    float *f0 = malloc(sizeof(float) * ganc_net_nparams(b.f));
    memcpy(f0, ganc_net_params(b.f), sizeof(float) * ganc_net_nparams(b.f));
    for (int s = 0; s < 2; s++) {
        float la = (float)toy_loss(&a, 1), lb = (float)toy_loss(&b, 1);
        CHECK_OK(ganc_trainer_update(a.tr, a.ig, la));
        CHECK_OK(ganc_trainer_update(b.tr, b.ig, lb));
        ganc_trainer_count_step(a.tr);
        ganc_trainer_count_step(b.tr);
    }
    CHECK(c.calls == 2 && c.elems == 2 * ganc_net_nparams(b.g), "sync hook: %d calls, %zu elements", c.calls, c.elems);
    CHECK(!memcmp(ganc_net_params(a.g), ganc_net_params(b.g), sizeof(float) * ganc_net_nparams(a.g)),
          "an identity sync hook changes nothing");
    CHECK(!memcmp(f0, ganc_net_params(b.f), sizeof(float) * ganc_net_nparams(b.f)), "the frozen F is unchanged");
    CHECK(ganc_trainer_update(b.tr, b.if_, 0.0f) == GANC_EINVAL, "a frozen network cannot be updated");
    CHECK(ganc_trainer_optim(b.tr, b.if_) == NULL && ganc_trainer_find(b.tr, "F") == b.if_, "frozen F registered");
    /* non-finite: refused, parameters untouched, the message names the step and the network */
    memcpy(f0, ganc_net_params(b.g), sizeof(float) * 8);
    CHECK(ganc_trainer_update(b.tr, b.ig, NAN) == GANC_ENONFINITE && strstr(ganc_errmsg(), "step 3: network G"),
          "NaN loss refused: %s", ganc_errmsg());
    CHECK(!memcmp(f0, ganc_net_params(b.g), sizeof(float) * 8), "parameters untouched after a NaN loss");
    free(f0);
    ganc_trainer_free(a.tr);
    ganc_trainer_free(b.tr);
}

/* the state: key names (as state.safetensors has always had them), F absent, and an exact round trip */
static void check_state(void) {
    toy_t a, b;
    CHECK_OK(toy_build(&a));
    CHECK_OK(toy_build(&b));
    ganc_rng_t ra, rb;
    ganc_rng_seed(&ra, 5);
    ganc_rng_normal(&ra); /* a cached spare to carry */
    CHECK_OK(ganc_trainer_add_rng(a.tr, "rng", &ra));
    CHECK_OK(ganc_trainer_add_rng(b.tr, "rng", &rb) >= 0 ? GANC_OK : -1);
    float l = (float)toy_loss(&a, 1);
    CHECK_OK(ganc_trainer_update(a.tr, a.ig, l));
    ganc_trainer_count_step(a.tr);
    ganc_trainer_set_data_pos(a.tr, 2, 17);
    ganc_stw_t *w = ganc_stw_new();
    CHECK_OK(ganc_trainer_state_add(a.tr, w));
    const char *path = "/tmp/ganc_test_trainer_state.safetensors";
    CHECK_OK(ganc_stw_write(w, path));
    ganc_stw_free(w);
    ganc_st_t *st = NULL;
    CHECK_OK(ganc_st_open(&st, path));
    const char *keys[] = {"G.fc1.weight", "G.conv.bias", "optG.m", "optG.v", "optG.step", "step", "data.epoch",
                          "data.pos", "rng.state", "rng.has_spare", "rng.spare"};
    for (size_t i = 0; st && i < sizeof keys / sizeof keys[0]; i++) CHECK(ganc_st_find(st, keys[i]), "state has %s", keys[i]);
    CHECK(st && !ganc_st_find(st, "F.fc.weight") && !ganc_st_find(st, "optF.m"), "a frozen network is not in the state");
    if (st) CHECK_OK(ganc_trainer_state_load(b.tr, st));
    int64_t e, p;
    ganc_trainer_data_pos(b.tr, &e, &p);
    CHECK(ganc_trainer_step(b.tr) == 1 && e == 2 && p == 17, "step and data position restored");
    CHECK(!memcmp(ganc_net_params(a.g), ganc_net_params(b.g), sizeof(float) * ganc_net_nparams(a.g)) &&
              !memcmp(ganc_optim_v(ganc_trainer_optim(a.tr, 0)), ganc_optim_v(ganc_trainer_optim(b.tr, 0)),
                      sizeof(float) * ganc_net_nparams(a.g)) &&
              !memcmp(ra.s, rb.s, sizeof ra.s) && ra.has_spare == rb.has_spare && ra.spare == rb.spare,
          "parameters, moments and the stream restored exactly");
    ganc_st_free(st);
    remove(path);
    ganc_trainer_free(a.tr);
    ganc_trainer_free(b.tr);
}

/* pooled gradients are not handed out; marked nodes keep their own data */
static void check_wiring_errors(void) {
    toy_t t;
    CHECK_OK(toy_build(&t));
    toy_loss(&t, 0);
    const int fc2 = 3;
    CHECK(ganc_net_grad(t.g, fc2) == NULL && strstr(ganc_errmsg(), "G: fc2 (linear)") && strstr(ganc_errmsg(), "mark"),
          "a pooled gradient is an error naming the node: %s", ganc_errmsg());
    CHECK(ganc_net_data(t.g, t.h) != ganc_net_data(t.g, t.act), "a marked node is not computed in place over");
    CHECK(ganc_net_mark_output(t.g, t.act) == GANC_EINVAL, "marking after build is refused");
    CHECK(ganc_net_feed(t.g, t.z, t.f, t.fout) == GANC_EINVAL, "feeding 5 elements into an 8-element input refused");
    ganc_trainer_free(t.tr);
}

/* ganc_net_loss is the loss functions applied to a node: the same value and the same gradient added into the node's
   gradient; a target-less MSE and a pooled node are refused */
static void check_net_loss(void) {
    toy_t t;
    CHECK_OK(toy_build(&t));
    toy_loss(&t, 0);
    const size_t n = B * 5;
    const int kinds[3] = {GANC_LOSS_BCE_LOGITS, GANC_LOSS_MSE, GANC_LOSS_L1};
    for (int k = 0; k < 3; k++) {
        float want_g[B * 5], got_g[B * 5], got, want;
        const float *y = ganc_net_data(t.f, t.fout);
        for (size_t i = 0; i < n; i++) want_g[i] = 0.25f;
        want = k == 0 ? ganc_bce_logits(y, t.tf, 0, n, want_g, 0.5f)
                      : k == 1 ? ganc_mse(y, t.tf, n, want_g, 0.5f) : ganc_l1(y, t.tf, n, want_g, 0.5f);
        float *g = ganc_net_grad(t.f, t.fout);
        for (size_t i = 0; i < n; i++) g[i] = 0.25f;
        CHECK_OK(ganc_net_loss(t.f, t.fout, kinds[k], t.tf, 0, 0.5f, &got));
        memcpy(got_g, ganc_net_grad(t.f, t.fout), sizeof got_g);
        CHECK(got == want && !memcmp(got_g, want_g, sizeof got_g), "ganc_net_loss kind %d: %g vs %g", k, got, want);
    }
    float l;
    CHECK(ganc_net_loss(t.f, t.fout, GANC_LOSS_MSE, NULL, 0, 1, &l) == GANC_EINVAL, "MSE without a target refused");
    CHECK(ganc_net_loss(t.g, 3, GANC_LOSS_L1, t.th, 0, 1, &l) == GANC_EINVAL && strstr(ganc_errmsg(), "mark"),
          "a loss on a pooled node is refused: %s", ganc_errmsg());
    ganc_trainer_free(t.tr);
}

int main(void) {
    toy_t t;
    CHECK_OK(toy_build(&t));
    check_toy_gradients(&t);
    ganc_trainer_free(t.tr);
    check_hook_and_frozen();
    check_state();
    check_wiring_errors();
    check_net_loss();
    return tu_finish("test_trainer");
}
