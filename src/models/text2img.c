/* Text-to-image GAN (Reed et al. 2016): GAN-CLS (the matching-aware discriminator) and GAN-INT (G also trained on
   mixes of two captions' embeddings) on pytorch/examples' DCGAN networks. Shapes, names and losses in ganc.h. */
#include <math.h>
#include <stdio.h>
#include <stdlib.h>
#include <string.h>
#include "ganc.h"
#include "models/models.h"

struct ganc_t2i_trainer {
    ganc_t2i_train_cfg_t cfg;
    ganc_trainer_t *tr;
    ganc_net_t *g, *d;
    ganc_t2i_io_t gio, dio;
    int ig, id;
    ganc_rng_t rng;
    float *z, *z2, *mix;
};

ganc_t2i_cfg_t ganc_t2i_default_cfg(void) { return (ganc_t2i_cfg_t){64, 100, 32, 32, 128, 128}; }

int ganc_t2i_check_cfg(const ganc_t2i_cfg_t *c) {
    if ((c->size != 32 && c->size != 64) || c->nz < 1 || c->nz > 4096 || c->ngf < 1 || c->ngf > 1024 || c->ndf < 1 ||
        c->ndf > 1024 || c->emb < 1 || c->emb > 4096 || c->proj < 1 || c->proj > 4096)
        return ganc_fail(GANC_EINVAL, "text2img: size 32 or 64; nz, emb, proj 1..4096; ngf, ndf 1..1024");
    return GANC_OK;
}

static ganc_gan_cfg_t dcgan_of(const ganc_t2i_cfg_t *c) {
    ganc_gan_cfg_t g = ganc_gan_default_cfg();
    g.size = c->size; g.nz = c->nz + c->proj; g.ngf = c->ngf; g.ndf = c->ndf; g.nc = 3;
    return g;
}

static ganc_net_t *built(ganc_net_t *n, int out, int max_batch, ganc_t2i_io_t *io) {
    io->out = out;
    if (out < 0 || ganc_net_build(n, max_batch)) { ganc_net_free(n); return NULL; }
    return n;
}

ganc_net_t *ganc_t2i_generator(const ganc_t2i_cfg_t *c, int max_batch, ganc_t2i_io_t *io) {
    if (ganc_t2i_check_cfg(c)) return NULL;
    ganc_net_t *g = ganc_net_new("G");
    if (!g) return NULL;
    const ganc_gan_cfg_t dc = dcgan_of(c);
    io->in = ganc_net_input(g, "z", 3, (int[]){c->nz, 1, 1});
    io->t = ganc_net_input(g, "t", 1, (int[]){c->emb});
    int p = ganc_net_leaky_relu(g, "proj.1", ganc_net_linear(g, "proj.0", io->t, c->proj, 1), 0.2f);
    int h = ganc_net_concat(g, "cond", io->in, p); /* (nz + proj, 1, 1) */
    return built(g, ganc_dcgan_g_body(g, h, &dc), max_batch, io);
}

ganc_net_t *ganc_t2i_discriminator(const ganc_t2i_cfg_t *c, int max_batch, ganc_t2i_io_t *io) {
    if (ganc_t2i_check_cfg(c)) return NULL;
    ganc_net_t *d = ganc_net_new("D");
    if (!d) return NULL;
    const ganc_gan_cfg_t dc = dcgan_of(c);
    const int ch = c->ndf * (c->size / 8);
    io->in = ganc_net_input(d, "x", 3, (int[]){3, c->size, c->size});
    io->t = ganc_net_input(d, "t", 1, (int[]){c->emb});
    int h = ganc_dcgan_d_body(d, io->in, &dc, 1); /* (ch, 4, 4) */
    int p = ganc_net_leaky_relu(d, "proj.1", ganc_net_linear(d, "proj.0", io->t, c->proj, 1), 0.2f);
    h = ganc_net_concat(d, "cond", h, p); /* the text replicated over the 4x4 map */
    h = ganc_net_conv2d(d, "joint.0", h, ch, 1, 1, 1, 0, 0);
    h = ganc_net_batchnorm(d, "joint.1", h, 1e-5f, 0.1f);
    h = ganc_net_leaky_relu(d, "joint.2", h, 0.2f);
    return built(d, ganc_net_conv2d(d, "joint.3", h, 1, 4, 4, 1, 0, 0), max_batch, io);
}

void ganc_t2i_trainer_free(ganc_t2i_trainer_t *t) {
    if (!t) return;
    ganc_trainer_free(t->tr);
    free(t->z); free(t->z2); free(t->mix);
    free(t);
}

ganc_t2i_trainer_t *ganc_t2i_trainer_new(const ganc_t2i_train_cfg_t *cfg) {
    if (ganc_t2i_check_cfg(&cfg->net)) return NULL;
    if (cfg->batch < 2 || cfg->batch > 4096) { ganc_fail(GANC_EINVAL, "text2img: batch must be 2..4096"); return NULL; }
    ganc_t2i_trainer_t *t = calloc(1, sizeof *t);
    if (!t) { ganc_fail(GANC_ENOMEM, "text2img: out of memory"); return NULL; }
    t->cfg = *cfg;
    const size_t B = (size_t)cfg->batch;
    t->z = malloc(sizeof(float) * B * cfg->net.nz);
    t->z2 = malloc(sizeof(float) * B * cfg->net.nz);
    t->mix = malloc(sizeof(float) * B * cfg->net.emb);
    ganc_optim_cfg_t oc = ganc_adam_cfg(cfg->lr, cfg->beta1, cfg->beta2);
    ganc_net_t *g = NULL, *d = NULL;
    if (!t->z || !t->z2 || !t->mix || !(t->tr = ganc_trainer_new()) ||
        !(g = ganc_t2i_generator(&cfg->net, cfg->batch, &t->gio)) ||
        !(d = ganc_t2i_discriminator(&cfg->net, cfg->batch, &t->dio))) {
        ganc_net_free(g);
        ganc_net_free(d);
        ganc_t2i_trainer_free(t);
        return NULL;
    }
    ganc_net_init_dcgan(g, cfg->seed);
    ganc_net_init_dcgan(d, cfg->seed + 1);
    ganc_rng_seed(&t->rng, cfg->seed * 11 + 5);
    t->ig = ganc_trainer_add_net(t->tr, "G", g, &oc);
    t->id = t->ig < 0 ? (ganc_net_free(d), -1) : ganc_trainer_add_net(t->tr, "D", d, &oc);
    if (t->id < 0 || ganc_trainer_add_rng(t->tr, "noise_rng", &t->rng) < 0) { ganc_t2i_trainer_free(t); return NULL; }
    t->g = g;
    t->d = d;
    return t;
}

/* D on (image already in D's input, text te): BCE against target, gradient scaled by w, backward */
static int d_pass(ganc_t2i_trainer_t *t, const float *te, float target, float w, int fw, int bw, float *loss, float *p) {
    const int B = t->cfg.batch;
    int rc = ganc_net_set_input(t->d, t->dio.t, te, B);
    if (!rc) rc = ganc_net_forward(t->d, B, fw);
    if (!rc) rc = ganc_net_loss(t->d, t->dio.out, GANC_LOSS_BCE_LOGITS, NULL, target, w, loss);
    if (rc) return rc;
    *p = ganc_mean_sigmoid(ganc_net_data(t->d, t->dio.out), B);
    return ganc_net_backward(t->d, bw);
}

static int g_forward(ganc_t2i_trainer_t *t, const float *z, const float *te) {
    const int B = t->cfg.batch;
    int rc = ganc_net_set_input(t->g, t->gio.in, z, B);
    if (!rc) rc = ganc_net_set_input(t->g, t->gio.t, te, B);
    return rc ? rc : ganc_net_forward(t->g, B, GANC_TRAIN | GANC_UPDATE_STATS);
}

int ganc_t2i_d_step(ganc_t2i_trainer_t *t, const float *x, const float *te, const float *t_wrong, const float *z,
                    ganc_t2i_stats_t *st) {
    const int B = t->cfg.batch, cls = t->cfg.cls;
    const int fw = GANC_TRAIN | GANC_UPDATE_STATS, bw = GANC_NO_INPUT_GRADS;
    const float wf = cls ? 0.5f : 1.0f; /* GAN-CLS halves the two "fake" terms */
    float lr, lw = 0, lf;
    st->d_wrong = NAN;
    ganc_net_zero_grad(t->d);
    int rc = ganc_net_set_input(t->d, t->dio.in, x, B);
    if (!rc) rc = d_pass(t, te, 1.0f, 1.0f, fw, bw, &lr, &st->d_real);
    if (!rc && cls) {
        rc = ganc_net_set_input(t->d, t->dio.in, x, B);
        if (!rc) rc = d_pass(t, t_wrong, 0.0f, wf, fw, bw, &lw, &st->d_wrong);
    }
    if (!rc) rc = g_forward(t, z, te);
    if (!rc) rc = ganc_net_feed(t->d, t->dio.in, t->g, t->gio.out);
    if (!rc) rc = d_pass(t, te, 0.0f, wf, fw, bw, &lf, &st->d_fake);
    if (rc) return rc;
    st->loss_d = lr + wf * (lw + lf);
    return ganc_trainer_update(t->tr, t->id, st->loss_d);
}

/* one G term: G(z, te) through D (no parameter gradients for D), BCE against 1, gradients into G */
static int g_term(ganc_t2i_trainer_t *t, const float *z, const float *te, float *loss, float *p) {
    int rc = g_forward(t, z, te);
    if (!rc) rc = ganc_net_feed(t->d, t->dio.in, t->g, t->gio.out);
    if (!rc) rc = d_pass(t, te, 1.0f, 1.0f, GANC_TRAIN, GANC_NO_PARAM_GRADS, loss, p);
    if (!rc) rc = ganc_net_add_grad(t->g, t->gio.out, ganc_net_grad(t->d, t->dio.in), 1.0f);
    return rc ? rc : ganc_net_backward(t->g, GANC_NO_INPUT_GRADS);
}

int ganc_t2i_g_step(ganc_t2i_trainer_t *t, const float *te, const float *t2, const float *z, const float *z2,
                    ganc_t2i_stats_t *st) {
    const size_t n = (size_t)t->cfg.batch * t->cfg.net.emb;
    float l1, l2 = 0;
    st->d_interp = NAN;
    ganc_net_zero_grad(t->g);
    int rc = g_term(t, z, te, &l1, &st->d_fake);
    if (!rc && t->cfg.interp) {
        for (size_t i = 0; i < n; i++) t->mix[i] = 0.5f * te[i] + 0.5f * t2[i];
        rc = g_term(t, z2, t->mix, &l2, &st->d_interp);
    }
    if (rc) return rc;
    st->loss_g = l1 + l2;
    if ((rc = ganc_trainer_update(t->tr, t->ig, st->loss_g))) return rc;
    ganc_trainer_count_step(t->tr);
    return GANC_OK;
}

int ganc_t2i_train_step(ganc_t2i_trainer_t *t, const float *x, const float *te, const float *t_wrong,
                        const float *t2, ganc_t2i_stats_t *st) {
    const size_t nz = (size_t)t->cfg.batch * t->cfg.net.nz;
    ganc_rng_fill_normal(&t->rng, t->z, nz, 0.0f, 1.0f);
    int rc = ganc_t2i_d_step(t, x, te, t_wrong, t->z, st);
    if (rc) return rc;
    ganc_rng_fill_normal(&t->rng, t->z, nz, 0.0f, 1.0f);
    if (t->cfg.interp) ganc_rng_fill_normal(&t->rng, t->z2, nz, 0.0f, 1.0f);
    return ganc_t2i_g_step(t, te, t2, t->z, t->z2, st);
}

ganc_trainer_t *ganc_t2i_trainer_core(ganc_t2i_trainer_t *t) { return t->tr; }
ganc_net_t *ganc_t2i_g(ganc_t2i_trainer_t *t, ganc_t2i_io_t *io) {
    if (io) *io = t->gio;
    return t->g;
}
ganc_net_t *ganc_t2i_d(ganc_t2i_trainer_t *t, ganc_t2i_io_t *io) {
    if (io) *io = t->dio;
    return t->d;
}

int ganc_t2i_generate(ganc_net_t *g, const ganc_t2i_io_t *io, const float *z, const float *emb, int n, float *y) {
    return model_run(g, io->in, z, io->t, emb, io->out, n, y);
}

static const char *const meta_keys[6] = {"size", "nz", "ngf", "ndf", "emb", "proj"};

int ganc_t2i_meta(const ganc_t2i_cfg_t *c, ganc_meta_t *m) {
    return model_meta_ints(m, "text2img", meta_keys, (const int[]){c->size, c->nz, c->ngf, c->ndf, c->emb, c->proj}, 6);
}

int ganc_t2i_cfg_from_file(const ganc_st_t *st, ganc_t2i_cfg_t *c) {
    int rc = model_ints_from_file(st, "text2img", "a text-to-image GAN (ganc train text2img)", meta_keys,
                                  (int *const[]){&c->size, &c->nz, &c->ngf, &c->ndf, &c->emb, &c->proj}, 6);
    return rc ? rc : ganc_t2i_check_cfg(c) ? ganc_fail(GANC_EFORMAT, "%s: %s", ganc_st_path(st), ganc_errmsg()) : GANC_OK;
}
