/* SimGAN (Shrivastava et al. 2016): a refiner R that makes synthetic images look real while keeping what they
   show, trained against a discriminator D that scores local patches (a map of logits), with a self-regularisation
   term lambda * |R(x) - x|_1 and a history of past refined images in D's batches. Parameter names are those of
   the PyTorch modules in scripts/gen_simgan_fixtures.py. */
#include <stdlib.h>
#include <string.h>
#include "ganc.h"
#include "models/models.h"

ganc_simgan_cfg_t ganc_simgan_default_cfg(void) {
    return (ganc_simgan_cfg_t){.nc = 1, .size = 8, .blocks = 4, .width = 32, .d_width = 32, .d_global = 0};
}

int ganc_simgan_check_cfg(const ganc_simgan_cfg_t *c) {
    if ((c->nc != 1 && c->nc != 3) || c->size < 4 || c->size > 1024 || c->size % 2 || c->blocks < 0 ||
        c->blocks > 64 || c->width < 1 || c->width > 1024 || c->d_width < 1 || c->d_width > 1024)
        return ganc_fail(GANC_EINVAL, "simgan: channels 1 or 3, an even size 4..1024, 0..64 blocks, "
                                      "widths 1..1024 (got %d, %d, %d, %d, %d)", c->nc, c->size, c->blocks, c->width,
                         c->d_width);
    return GANC_OK;
}

/* R: head (conv 3x3, ReLU), blocks.i [conv1 3x3, ReLU, conv2 3x3, + input, ReLU], tail (conv 1x1), tanh */
ganc_net_t *ganc_simgan_refiner(const ganc_simgan_cfg_t *c, int max_batch, ganc_simgan_io_t *io) {
    if (ganc_simgan_check_cfg(c)) return NULL;
    ganc_net_t *n = ganc_net_new("R");
    if (!n) return NULL;
    ganc_net_allow_channels_last(n, 1); /* the blocks' activations: no layout copies around each 3x3 layer */
    char a[48], b[48];
    int h = io->in = ganc_net_input(n, "x", 3, (int[]){c->nc, c->size, c->size});
    h = ganc_net_relu(n, "head.1", ganc_net_conv2d(n, "head.0", h, c->width, 3, 3, 1, 1, 1));
    for (int i = 0; i < c->blocks; i++) {
        snprintf(a, sizeof a, "blocks.%d.conv1", i);
        snprintf(b, sizeof b, "blocks.%d.conv2", i);
        int r = ganc_net_relu(n, "relu", ganc_net_conv2d(n, a, h, c->width, 3, 3, 1, 1, 1));
        r = ganc_net_conv2d(n, b, r, c->width, 3, 3, 1, 1, 1);
        h = ganc_net_relu(n, "relu", ganc_net_add(n, "add", r, h));
    }
    h = io->out = ganc_net_tanh(n, "tanh", ganc_net_conv2d(n, "tail", h, c->nc, 1, 1, 1, 0, 1));
    if (h < 0 || ganc_net_build(n, max_batch)) { ganc_net_free(n); return NULL; }
    return n;
}

/* D: main.0 conv 3x3 (w), main.2 conv 3x3 stride 2 (2w), main.4 conv 1x1 (2w), LeakyReLU(0.2) after each; local:
   main.6 conv 1x1 -> (1, size/2, size/2) logits, one per 5x5 patch; global: fc over the flattened features -> one
   logit */
ganc_net_t *ganc_simgan_d(const ganc_simgan_cfg_t *c, int max_batch, ganc_simgan_io_t *io) {
    if (ganc_simgan_check_cfg(c)) return NULL;
    ganc_net_t *n = ganc_net_new("D");
    if (!n) return NULL;
    ganc_net_allow_channels_last(n, 1);
    const int w = c->d_width, q = c->size / 2;
    int h = io->in = ganc_net_input(n, "x", 3, (int[]){c->nc, c->size, c->size});
    h = ganc_net_leaky_relu(n, "main.1", ganc_net_conv2d(n, "main.0", h, w, 3, 3, 1, 1, 1), 0.2f);
    h = ganc_net_leaky_relu(n, "main.3", ganc_net_conv2d(n, "main.2", h, 2 * w, 3, 3, 2, 1, 1), 0.2f);
    h = ganc_net_leaky_relu(n, "main.5", ganc_net_conv2d(n, "main.4", h, 2 * w, 1, 1, 1, 0, 1), 0.2f);
    if (c->d_global) h = ganc_net_linear(n, "fc", ganc_net_reshape(n, "flat", h, 1, (int[]){2 * w * q * q}), 1, 1);
    else h = ganc_net_conv2d(n, "main.6", h, 1, 1, 1, 1, 0, 1);
    io->out = h;
    if (h < 0 || ganc_net_build(n, max_batch)) { ganc_net_free(n); return NULL; }
    return n;
}

struct ganc_simgan_trainer {
    ganc_simgan_train_cfg_t cfg;
    ganc_trainer_t *tr;
    ganc_net_t *r, *d;
    int ir, id;
    ganc_simgan_io_t rio, dio;
    float *hist;      /* history: cfg.history images */
    int64_t nhist;    /* how many are filled */
    ganc_rng_t hrng;  /* which entries D draws and which are replaced */
    float *fake;      /* D's fake batch */
    float *noisy;     /* a batch with D's input noise added */
    ganc_rng_t nrng;  /* that noise */
};

ganc_simgan_trainer_t *ganc_simgan_trainer_new(const ganc_simgan_train_cfg_t *cfg) {
    const ganc_simgan_cfg_t *c = &cfg->net;
    if (ganc_simgan_check_cfg(c)) return NULL;
    if (cfg->batch < 2 || cfg->batch > 4096 || cfg->batch % 2 || cfg->history < 0 || cfg->history > (1 << 20) ||
        (cfg->history && cfg->history < cfg->batch / 2) || cfg->kg < 1 || cfg->kd < 1 || cfg->kg > 100 ||
        cfg->kd > 100 || !(cfg->lambda >= 0)) {
        ganc_fail(GANC_EINVAL, "simgan: an even batch 2..4096, a history of 0 or batch/2..2^20 images, K_g and K_d "
                               "1..100, lambda >= 0, D's input noise 0..10");
        return NULL;
    }
    ganc_simgan_trainer_t *t = calloc(1, sizeof *t);
    if (!t) { ganc_fail(GANC_ENOMEM, "simgan: out of memory"); return NULL; }
    t->cfg = *cfg;
    const size_t per = (size_t)c->nc * c->size * c->size;
    t->fake = malloc(sizeof(float) * per * cfg->batch);
    t->noisy = malloc(sizeof(float) * per * cfg->batch);
    t->hist = cfg->history ? calloc((size_t)cfg->history * per, sizeof(float)) : NULL;
    ganc_optim_cfg_t oc = ganc_adam_cfg(cfg->lr, cfg->beta1, cfg->beta2);
    ganc_net_t *r = NULL, *d = NULL;
    int ok = t->fake && t->noisy && (!cfg->history || t->hist) && (t->tr = ganc_trainer_new()) &&
             (r = ganc_simgan_refiner(c, cfg->batch, &t->rio)) && (d = ganc_simgan_d(c, cfg->batch, &t->dio));
    if (!ok) {
        if (!t->tr || !r || !d) ganc_fail(GANC_ENOMEM, "simgan: out of memory");
        ganc_net_free(r);
        ganc_net_free(d);
        ganc_simgan_trainer_free(t);
        return NULL;
    }
    ganc_net_init_default(r, cfg->seed);
    ganc_net_init_default(d, cfg->seed + 1);
    ganc_rng_seed(&t->hrng, cfg->seed * 5 + 3);
    ganc_rng_seed(&t->nrng, cfg->seed * 5 + 4);
    t->ir = ganc_trainer_add_net(t->tr, "R", r, &oc); /* the trainer owns both from here */
    t->id = t->ir < 0 ? (ganc_net_free(d), -1) : ganc_trainer_add_net(t->tr, "D", d, &oc);
    if (t->id < 0 || ganc_trainer_add_rng(t->tr, "history_rng", &t->hrng) < 0 ||
        ganc_trainer_add_rng(t->tr, "noise_rng", &t->nrng) < 0 ||
        (cfg->history && ganc_trainer_add_buffer(t->tr, "history", t->hist, (size_t)cfg->history * per, per,
                                                 &t->nhist) < 0)) {
        ganc_simgan_trainer_free(t);
        return NULL;
    }
    t->r = r;
    t->d = d;
    return t;
}

void ganc_simgan_trainer_free(ganc_simgan_trainer_t *t) {
    if (!t) return;
    ganc_trainer_free(t->tr);
    free(t->hist);
    free(t->fake);
    free(t->noisy);
    free(t);
}

ganc_trainer_t *ganc_simgan_trainer_core(ganc_simgan_trainer_t *t) { return t->tr; }
ganc_net_t *ganc_simgan_r(ganc_simgan_trainer_t *t) { return t->r; }
ganc_net_t *ganc_simgan_trainer_d(ganc_simgan_trainer_t *t) { return t->d; }
const ganc_simgan_io_t *ganc_simgan_r_io(const ganc_simgan_trainer_t *t) { return &t->rio; }
int64_t ganc_simgan_history_count(const ganc_simgan_trainer_t *t) { return t->nhist; }
const float *ganc_simgan_history(const ganc_simgan_trainer_t *t) { return t->hist; }

/* R on a batch of synthetic images (training mode: R has no BatchNorm or Dropout, so it is also R's output) */
static int refine_batch(ganc_simgan_trainer_t *t, const float *synth) {
    const int B = t->cfg.batch;
    int rc = ganc_net_set_input(t->r, t->rio.in, synth, B);
    return rc ? rc : ganc_net_forward(t->r, B, GANC_TRAIN);
}

/* D's loss on its input batch against target t (mean BCE over the map), backward; *p = mean D(.) */
static int d_pass(ganc_simgan_trainer_t *t, float target, int bw, float *loss, float *p) {
    const int B = t->cfg.batch;
    int rc = ganc_net_forward(t->d, B, GANC_TRAIN);
    if (!rc) rc = ganc_net_loss(t->d, t->dio.out, GANC_LOSS_BCE_LOGITS, NULL, target, 1.0f, loss);
    if (!rc) *p = ganc_mean_sigmoid(ganc_net_data(t->d, t->dio.out), (size_t)B * ganc_net_numel(t->d, t->dio.out));
    return rc ? rc : ganc_net_backward(t->d, bw);
}

/* the fake half of D's batch: the refined batch, or (history on and at least batch/2 images in it) its first half
   and batch/2 images drawn from the history; then batch/2 of the refined images enter the history (appended while
   it fills, else over random entries) */
static void fake_batch(ganc_simgan_trainer_t *t) {
    const int B = t->cfg.batch, H = t->cfg.history;
    const size_t per = ganc_net_numel(t->r, t->rio.out);
    const float *ref = ganc_net_data(t->r, t->rio.out);
    memcpy(t->fake, ref, sizeof(float) * per * B);
    if (!H) return;
    if (t->nhist >= B / 2)
        for (int i = B / 2; i < B; i++)
            memcpy(t->fake + per * i, t->hist + per * ganc_rng_below(&t->hrng, (uint32_t)t->nhist), sizeof(float) * per);
    for (int i = 0; i < B / 2; i++) {
        const size_t slot = t->nhist < H ? (size_t)t->nhist++ : ganc_rng_below(&t->hrng, (uint32_t)H);
        memcpy(t->hist + per * slot, ref + per * i, sizeof(float) * per);
    }
}

/* D's input: x, or x + N(0, d_noise^2) per element (instance noise; 0: x as it is) */
static int d_input(ganc_simgan_trainer_t *t, const float *x) {
    const int B = t->cfg.batch;
    if (!(t->cfg.d_noise > 0)) return ganc_net_set_input(t->d, t->dio.in, x, B);
    const size_t n = (size_t)B * ganc_net_numel(t->d, t->dio.in);
    for (size_t i = 0; i < n; i++) t->noisy[i] = x[i] + t->cfg.d_noise * ganc_rng_normal(&t->nrng);
    return ganc_net_set_input(t->d, t->dio.in, t->noisy, B);
}

int ganc_simgan_d_step(ganc_simgan_trainer_t *t, const float *synth, const float *real, ganc_simgan_stats_t *st) {
    float lr_, lf;
    int rc = refine_batch(t, synth);
    if (rc) return rc;
    fake_batch(t);
    ganc_net_zero_grad(t->d);
    if ((rc = d_input(t, real)) || (rc = d_pass(t, 1.0f, GANC_NO_INPUT_GRADS, &lr_, &st->d_real)) ||
        (rc = d_input(t, t->fake)) ||
        (rc = d_pass(t, 0.0f, GANC_NO_INPUT_GRADS, &lf, &st->d_fake)))
        return rc;
    st->d_loss = lr_ + lf;
    return ganc_trainer_update(t->tr, t->id, st->d_loss);
}

int ganc_simgan_r_step(ganc_simgan_trainer_t *t, const float *synth, int adversarial, ganc_simgan_stats_t *st) {
    float p;
    int rc = refine_batch(t, synth);
    if (rc) return rc;
    ganc_net_zero_grad(t->r);
    st->adv = 0;
    if (adversarial && ((rc = t->cfg.d_noise > 0 ? d_input(t, ganc_net_data(t->r, t->rio.out))
                                                  : ganc_net_feed(t->d, t->dio.in, t->r, t->rio.out)) ||
                        (rc = d_pass(t, 1.0f, GANC_NO_PARAM_GRADS, &st->adv, &p)) ||
                        (rc = ganc_net_add_grad(t->r, t->rio.out, ganc_net_grad(t->d, t->dio.in), 1.0f))))
        return rc;
    if ((rc = ganc_net_loss(t->r, t->rio.out, GANC_LOSS_L1, synth, 0.0f, t->cfg.lambda, &st->reg)) ||
        (rc = ganc_net_backward(t->r, GANC_NO_INPUT_GRADS)))
        return rc;
    return ganc_trainer_update(t->tr, t->ir, st->adv + t->cfg.lambda * st->reg);
}

int ganc_simgan_train_step(ganc_simgan_trainer_t *t, const float *synth, const float *real, ganc_simgan_stats_t *st) {
    const size_t batch = (size_t)t->cfg.batch * ganc_net_numel(t->r, t->rio.in);
    int rc = GANC_OK;
    for (int k = 0; !rc && k < t->cfg.kg; k++) rc = ganc_simgan_r_step(t, synth + batch * k, 1, st);
    for (int k = 0; !rc && k < t->cfg.kd; k++)
        rc = ganc_simgan_d_step(t, synth + batch * (t->cfg.kg + k), real + batch * k, st);
    if (!rc) ganc_trainer_count_step(t->tr);
    return rc;
}

/* ---- metadata: kind=simgan_refiner, nc, size, blocks, width */
static const char *const sim_keys[4] = {"nc", "size", "blocks", "width"};
int ganc_simgan_meta(const ganc_simgan_cfg_t *c, ganc_meta_t *m) {
    return model_meta_ints(m, "simgan_refiner", sim_keys, (const int[]){c->nc, c->size, c->blocks, c->width}, 4);
}

int ganc_simgan_cfg_from_file(const ganc_st_t *st, ganc_simgan_cfg_t *c) {
    int rc = model_ints_from_file(st, "simgan_refiner", "a SimGAN refiner", sim_keys,
                                  (int *const[]){&c->nc, &c->size, &c->blocks, &c->width}, 4);
    return rc ? rc : ganc_simgan_check_cfg(c) ? ganc_fail(GANC_EFORMAT, "%s: %s", ganc_st_path(st), ganc_errmsg()) : GANC_OK;
}

int ganc_simgan_run(ganc_net_t *r, const ganc_simgan_io_t *io, const float *x, int n, float *y) {
    return model_run(r, io->in, x, -1, NULL, io->out, n, y);
}

int ganc_simgan_refine(const ganc_st_t *st, const float *x, int n, float *y) {
    ganc_simgan_cfg_t c = ganc_simgan_default_cfg();
    int rc = ganc_simgan_cfg_from_file(st, &c);
    ganc_simgan_io_t io;
    ganc_net_t *r = rc ? NULL : ganc_simgan_refiner(&c, 256, &io);
    if (!rc && !r) rc = GANC_ENOMEM;
    if (!rc) rc = ganc_net_load_from(r, st, "", 0);
    if (!rc) rc = ganc_simgan_run(r, &io, x, n, y);
    ganc_net_free(r);
    return rc;
}
