/* The GAN family's generator/discriminator pairs and their common training loop: DCGAN (Radford et al. 2015) as
   in pytorch/examples/dcgan, the MLP GAN of Goodfellow et al. 2014, and both conditioned on a label (Mirza &
   Osindero 2014). Networks, training step, resumable state, sampling. */
#include <math.h>
#include <stddef.h>
#include <stdio.h>
#include <stdlib.h>
#include <string.h>
#include "ganc.h"
#include "models/models.h"

ganc_gan_cfg_t ganc_gan_default_cfg(void) {
    return (ganc_gan_cfg_t){32, 100, 64, 64, 1, GANC_ARCH_DCGAN, 0, 1200, 240, 5, 0.5f, 0.2f};
}
ganc_gan_cfg_t ganc_gan_default_mlp_cfg(void) {
    ganc_gan_cfg_t c = ganc_gan_default_cfg();
    c.arch = GANC_ARCH_MLP;
    return c;
}

int ganc_gan_check_cfg(const ganc_gan_cfg_t *c) {
    if (c->arch != GANC_ARCH_DCGAN && c->arch != GANC_ARCH_MLP)
        return ganc_fail(GANC_EINVAL, "gan: unknown architecture %d", c->arch);
    if (c->arch == GANC_ARCH_DCGAN && c->size != 8 && c->size != 16 && c->size != 32 && c->size != 64)
        return ganc_fail(GANC_EINVAL, "dcgan: size must be 8, 16, 32 or 64, got %d", c->size);
    if (c->arch == GANC_ARCH_MLP && (c->size < 4 || c->size > 128))
        return ganc_fail(GANC_EINVAL, "gan: size must be 4..128, got %d", c->size);
    if (c->nz < 1 || c->nz > 4096) return ganc_fail(GANC_EINVAL, "gan: nz must be 1..4096, got %d", c->nz);
    if (c->ngf < 1 || c->ngf > 1024 || c->ndf < 1 || c->ndf > 1024)
        return ganc_fail(GANC_EINVAL, "gan: ngf/ndf must be 1..1024");
    if (c->nc < 1 || c->nc > 64) return ganc_fail(GANC_EINVAL, "gan: channels must be 1..64, got %d", c->nc);
    if (c->n_classes < 0 || c->n_classes == 1 || c->n_classes > 1000)
        return ganc_fail(GANC_EINVAL, "gan: classes must be 0 (unconditional) or 2..1000, got %d", c->n_classes);
    if (c->arch == GANC_ARCH_MLP &&
        (c->g_hidden < 1 || c->g_hidden > 16384 || c->d_units < 1 || c->d_units > 16384 || c->d_pieces < 1 ||
         c->d_pieces > 16 || !(c->d_dropout >= 0.0f && c->d_dropout < 1.0f) ||
         !(c->d_in_dropout >= 0.0f && c->d_in_dropout < 1.0f)))
        return ganc_fail(GANC_EINVAL, "gan: MLP sizes out of range (hidden 1..16384, units 1..16384, pieces 1..16, "
                                      "dropout in [0,1))");
    return GANC_OK;
}

void ganc_one_hot(const int *labels, int n, int classes, float *y) {
    memset(y, 0, sizeof(float) * (size_t)n * classes);
    for (int i = 0; i < n; i++) y[(size_t)i * classes + labels[i]] = 1.0f;
}

static int nblocks(const ganc_gan_cfg_t *c) { return c->size == 64 ? 5 : c->size == 32 ? 4 : c->size == 16 ? 3 : 2; }

#define NAME(fmt, ...) (snprintf(name, sizeof name, fmt, __VA_ARGS__), name)

static ganc_net_t *finish(ganc_net_t *n, int h, int max_batch, ganc_gan_io_t *io) {
    io->out = h;
    if (h < 0 || ganc_net_build(n, max_batch)) { ganc_net_free(n); return NULL; }
    return n;
}

ganc_net_t *ganc_gan_generator(const ganc_gan_cfg_t *c, int max_batch, ganc_gan_io_t *io) {
    if (ganc_gan_check_cfg(c)) return NULL;
    ganc_net_t *g = ganc_net_new("G");
    if (!g) return NULL;
    char name[32];
    int k = 0, h;
    io->y = -1;
    if (c->arch == GANC_ARCH_MLP) {
        h = io->in = ganc_net_input(g, "z", 1, (int[]){c->nz});
        if (c->n_classes) h = ganc_net_concat(g, "cond", h, io->y = ganc_net_input(g, "y", 1, (int[]){c->n_classes}));
        for (int l = 0; l < 2; l++) {
            h = ganc_net_linear(g, NAME("model.%d", k++), h, c->g_hidden, 1);
            h = ganc_net_relu(g, NAME("model.%d", k++), h);
        }
        h = ganc_net_linear(g, NAME("model.%d", k++), h, c->nc * c->size * c->size, 1);
        h = ganc_net_tanh(g, NAME("model.%d", k++), h);
        h = ganc_net_reshape(g, "view", h, 3, (int[]){c->nc, c->size, c->size});
        return finish(g, h, max_batch, io);
    }
    h = io->in = ganc_net_input(g, "z", 3, (int[]){c->nz, 1, 1});
    if (c->n_classes) h = ganc_net_concat(g, "cond", h, io->y = ganc_net_input(g, "y", 1, (int[]){c->n_classes}));
    return finish(g, ganc_dcgan_g_body(g, h, c), max_batch, io);
}

int ganc_dcgan_g_body(ganc_net_t *g, int h, const ganc_gan_cfg_t *c) {
    const int nb = nblocks(c);
    int mult = 1 << (nb - 2); /* 8 for size 64, 4 for size 32, ..., 1 for size 8 */
    char name[32];
    for (int b = 0, k = 0; b < nb; b++) {
        int last = b == nb - 1, och = last ? c->nc : c->ngf * mult;
        h = b == 0 ? ganc_net_conv_transpose2d(g, NAME("main.%d", k++), h, och, 4, 4, 1, 0, 0, 0)
                   : ganc_net_conv_transpose2d(g, NAME("main.%d", k++), h, och, 4, 4, 2, 1, 0, 0);
        if (last) return ganc_net_tanh(g, NAME("main.%d", k++), h);
        h = ganc_net_batchnorm(g, NAME("main.%d", k++), h, 1e-5f, 0.1f);
        h = ganc_net_relu(g, NAME("main.%d", k++), h);
        mult /= 2;
    }
    return h;
}

ganc_net_t *ganc_gan_discriminator(const ganc_gan_cfg_t *c, int max_batch, ganc_gan_io_t *io) {
    if (ganc_gan_check_cfg(c)) return NULL;
    ganc_net_t *d = ganc_net_new("D");
    if (!d) return NULL;
    char name[32];
    int k = 0, h = io->in = ganc_net_input(d, "x", 3, (int[]){c->nc, c->size, c->size});
    io->y = c->n_classes ? ganc_net_input(d, "y", 1, (int[]){c->n_classes}) : -1;
    if (c->arch == GANC_ARCH_MLP) {
        h = ganc_net_reshape(d, NAME("model.%d", k++), h, 1, (int[]){c->nc * c->size * c->size});
        h = ganc_net_dropout(d, NAME("model.%d", k++), h, c->d_in_dropout);
        if (c->n_classes) h = ganc_net_concat(d, "cond", h, io->y);
        for (int l = 0; l < 2; l++) {
            h = ganc_net_linear(d, NAME("model.%d", k++), h, c->d_units * c->d_pieces, 1);
            h = ganc_net_maxout(d, NAME("model.%d", k++), h, c->d_pieces);
            h = ganc_net_dropout(d, NAME("model.%d", k++), h, c->d_dropout);
        }
        h = ganc_net_linear(d, NAME("model.%d", k++), h, 1, 1);
        return finish(d, h, max_batch, io);
    }
    if (c->n_classes) h = ganc_net_concat(d, "cond", h, io->y);
    return finish(d, ganc_dcgan_d_body(d, h, c, 0), max_batch, io);
}

int ganc_dcgan_d_body(ganc_net_t *d, int h, const ganc_gan_cfg_t *c, int features_only) {
    const int nb = nblocks(c);
    int mult = 1, k = 0;
    char name[32];
    for (int b = 0; b < nb - 1; b++) {
        h = ganc_net_conv2d(d, NAME("main.%d", k++), h, c->ndf * mult, 4, 4, 2, 1, 0);
        if (b > 0) h = ganc_net_batchnorm(d, NAME("main.%d", k++), h, 1e-5f, 0.1f);
        h = ganc_net_leaky_relu(d, NAME("main.%d", k++), h, 0.2f);
        mult *= 2;
    }
    return features_only ? h : ganc_net_conv2d(d, NAME("main.%d", k++), h, 1, 4, 4, 1, 0, 0);
}

/* The architecture <-> file metadata mapping, written once: key, type, field, which models have it. */
enum { F_ALL, F_CONV, F_MLP, F_COND };
static const struct {
    const char *key;
    int is_float, applies;
    size_t off;
    double lo, hi;
} cfg_fields[] = {
    {"size", 0, F_ALL, offsetof(ganc_gan_cfg_t, size), 1, 4096},
    {"nz", 0, F_ALL, offsetof(ganc_gan_cfg_t, nz), 1, 1 << 20},
    {"ngf", 0, F_CONV, offsetof(ganc_gan_cfg_t, ngf), 1, 1 << 20},
    {"ndf", 0, F_CONV, offsetof(ganc_gan_cfg_t, ndf), 1, 1 << 20},
    {"nc", 0, F_ALL, offsetof(ganc_gan_cfg_t, nc), 1, 1 << 20},
    {"classes", 0, F_COND, offsetof(ganc_gan_cfg_t, n_classes), 0, 1 << 20},
    {"g_hidden", 0, F_MLP, offsetof(ganc_gan_cfg_t, g_hidden), 1, 1 << 20},
    {"d_units", 0, F_MLP, offsetof(ganc_gan_cfg_t, d_units), 1, 1 << 20},
    {"d_pieces", 0, F_MLP, offsetof(ganc_gan_cfg_t, d_pieces), 1, 1 << 20},
    {"d_dropout", 1, F_MLP, offsetof(ganc_gan_cfg_t, d_dropout), 0, 1},
    {"d_in_dropout", 1, F_MLP, offsetof(ganc_gan_cfg_t, d_in_dropout), 0, 1},
};
#define NFIELDS ((int)(sizeof cfg_fields / sizeof cfg_fields[0]))

static int field_applies(const ganc_gan_cfg_t *c, int applies) {
    return applies == F_ALL || (applies == F_CONV && c->arch == GANC_ARCH_DCGAN) ||
           (applies == F_MLP && c->arch == GANC_ARCH_MLP) || (applies == F_COND && c->n_classes);
}

static int cfg_from_meta(const ganc_st_t *st, ganc_gan_cfg_t *c) {
    for (int i = 0; i < NFIELDS; i++) {
        const char *s = ganc_st_meta(st, cfg_fields[i].key);
        if (!s) continue;
        void *dst = (char *)c + cfg_fields[i].off;
        double v;
        if (ganc_parse_f64(s, cfg_fields[i].lo, cfg_fields[i].hi, &v) || (!cfg_fields[i].is_float && v != (int)v))
            return ganc_fail(GANC_EFORMAT, "%s: metadata %s = '%s' is not %s in [%g, %g]", ganc_st_path(st),
                             cfg_fields[i].key, s, cfg_fields[i].is_float ? "a number" : "an integer",
                             cfg_fields[i].lo, cfg_fields[i].hi);
        if (cfg_fields[i].is_float) *(float *)dst = (float)v;
        else *(int *)dst = (int)v;
    }
    return GANC_OK;
}

/* no metadata: infer from shapes, as pytorch/examples lays them out */
static int cfg_from_shapes(const ganc_st_t *st, ganc_gan_cfg_t *c, int *is_g) {
    const char *path = ganc_st_path(st);
    const ganc_st_tensor_t *w0 = ganc_st_find(st, "main.0.weight");
    if (!w0 || w0->ndim != 4 || w0->dtype != GANC_F32)
        return ganc_fail(GANC_EMISMATCH, "%s: no architecture metadata and no 4-d F32 main.0.weight to infer it from",
                         path);
    const ganc_st_tensor_t *g64 = ganc_st_find(st, "main.12.weight"), *g32 = ganc_st_find(st, "main.9.weight");
    const ganc_st_tensor_t *d64 = ganc_st_find(st, "main.11.weight"), *d32 = ganc_st_find(st, "main.8.weight");
    if (w0->shape[2] == 4 && w0->shape[3] == 4 && ganc_st_find(st, "main.1.running_mean")) { /* G: BN after conv 0 */
        const ganc_st_tensor_t *last = g64 ? g64 : g32;
        if (!last || last->ndim != 4) return ganc_fail(GANC_EMISMATCH, "%s: cannot infer the DCGAN generator layout", path);
        c->size = g64 ? 64 : 32;
        c->nz = (int)w0->shape[0];
        c->ngf = (int)last->shape[0];
        c->nc = (int)last->shape[1];
        *is_g = 1;
    } else {
        const ganc_st_tensor_t *last = d64 ? d64 : d32;
        if (!last) return ganc_fail(GANC_EMISMATCH, "%s: cannot infer the DCGAN discriminator layout", path);
        c->size = d64 ? 64 : 32;
        c->ndf = (int)w0->shape[0];
        c->nc = (int)w0->shape[1];
        *is_g = 0;
    }
    return ganc_gan_check_cfg(c) ? ganc_fail(GANC_EMISMATCH, "%s: %s", path, ganc_errmsg()) : GANC_OK;
}

int ganc_gan_cfg_from_file(const ganc_st_t *st, ganc_gan_cfg_t *c, int *is_g) {
    const char *path = ganc_st_path(st);
    const char *kind = ganc_st_meta(st, "kind"), *net = ganc_st_meta(st, "net");
    *c = ganc_gan_default_cfg();
    if (!kind) return cfg_from_shapes(st, c, is_g);
    if (!strcmp(kind, "gan")) c->arch = GANC_ARCH_MLP;
    else if (strcmp(kind, "dcgan")) return ganc_fail(GANC_EMISMATCH, "%s: holds a '%s' model, not dcgan or gan", path, kind);
    if (cfg_from_meta(st, c)) return GANC_EFORMAT;
    *is_g = !net || !strcmp(net, "G");
    return ganc_gan_check_cfg(c) ? ganc_fail(GANC_EFORMAT, "%s: %s", path, ganc_errmsg()) : GANC_OK;
}

int ganc_gan_meta(const ganc_gan_cfg_t *c, ganc_meta_t *m) {
    int rc = ganc_meta_set(m, "kind", c->arch == GANC_ARCH_MLP ? "gan" : "dcgan");
    for (int i = 0; !rc && i < NFIELDS; i++) {
        if (!field_applies(c, cfg_fields[i].applies)) continue;
        const void *src = (const char *)c + cfg_fields[i].off;
        char v[32];
        if (cfg_fields[i].is_float) snprintf(v, sizeof v, "%.9g", *(const float *)src);
        else snprintf(v, sizeof v, "%d", *(const int *)src);
        rc = ganc_meta_set(m, cfg_fields[i].key, v);
    }
    return rc;
}

/* ---- training, on the model-independent trainer: networks "G" and "D" (each with Adam), random streams "rng"
   (noise and fake labels) and "rngD" (D's dropout masks) */

struct ganc_gan_trainer {
    ganc_gan_train_cfg_t cfg;
    ganc_trainer_t *tr;
    ganc_net_t *g, *d; /* owned by tr */
    int ig, id;        /* their indices in tr */
    ganc_gan_io_t gio, dio;
    ganc_rng_t rng;
    float *yfake;      /* one-hot labels of the last D step's fake batch (then of its real batch, for a moment) */
    int *lab;          /* the global batch's fake labels */
    float *zg;         /* the global batch's noise (copied into G's input: on a GPU, one copy in) */
    int shards;        /* >= 1 */
    int have_fake;     /* G's activations hold the last D step's fake batch, for the G step */
};

void ganc_gan_trainer_free(ganc_gan_trainer_t *t) {
    if (!t) return;
    ganc_trainer_free(t->tr);
    free(t->yfake); free(t->lab); free(t->zg); free(t);
}

static int register_nets(ganc_gan_trainer_t *t, const ganc_gan_train_cfg_t *cfg) {
    const ganc_gan_cfg_t *c = &cfg->net;
    ganc_net_t *g = ganc_gan_generator(c, cfg->batch, &t->gio);
    ganc_net_t *d = g ? ganc_gan_discriminator(c, cfg->batch, &t->dio) : NULL;
    if (!g || !d || ganc_net_share_scratch(g, d)) {
        ganc_net_free(g); ganc_net_free(d);
        return GANC_EINVAL;
    }
    /* separate streams for G, D (weights, then D's dropout masks) and the noise */
    if (c->arch == GANC_ARCH_DCGAN) { /* N(0,0.02) weights, BN gamma N(1,0.02), beta 0 */
        ganc_net_init_dcgan(g, cfg->seed * 3 + 1);
        ganc_net_init_dcgan(d, cfg->seed * 3 + 2);
    } else {
        ganc_net_init_default(g, cfg->seed * 3 + 1);
        ganc_net_init_default(d, cfg->seed * 3 + 2);
    }
    ganc_net_seed(d, cfg->seed * 3 + 6);
    ganc_rng_seed(&t->rng, cfg->seed * 3 + 3);
    ganc_optim_cfg_t oc = ganc_adam_cfg(cfg->lr, cfg->beta1, cfg->beta2);
    t->ig = ganc_trainer_add_net(t->tr, "G", g, &oc);
    t->id = t->ig < 0 ? (ganc_net_free(d), -1) : ganc_trainer_add_net(t->tr, "D", d, &oc);
    if (t->ig < 0 || t->id < 0) return GANC_EINVAL;
    t->g = g;
    t->d = d;
    if (ganc_trainer_add_rng(t->tr, "rng", &t->rng) < 0 || ganc_trainer_add_rng(t->tr, "rngD", ganc_net_rng(d)) < 0)
        return GANC_EINVAL;
    return GANC_OK;
}

ganc_gan_trainer_t *ganc_gan_trainer_new(const ganc_gan_train_cfg_t *cfg) {
    if (cfg->batch < 1 || cfg->batch > 65536 || !(cfg->lr > 0) ||
        (cfg->loss != GANC_LOSS_NS && cfg->loss != GANC_LOSS_MINIMAX)) {
        ganc_fail(GANC_EINVAL, "gan: batch must be 1..65536, lr > 0, loss NS or MINIMAX");
        return NULL;
    }
    ganc_gan_trainer_t *t = calloc(1, sizeof *t);
    if (!t) return NULL;
    t->cfg = *cfg;
    t->shards = cfg->shards > 1 ? cfg->shards : 1;
    const size_t ncls = cfg->net.n_classes ? (size_t)cfg->net.n_classes : 1, gb = (size_t)cfg->batch * t->shards;
    t->yfake = malloc(sizeof(float) * ncls * cfg->batch);
    t->lab = malloc(sizeof(int) * gb);
    t->zg = malloc(sizeof(float) * gb * cfg->net.nz);
    t->tr = ganc_trainer_new();
    if (cfg->shard < 0 || cfg->shard >= t->shards) {
        ganc_fail(GANC_EINVAL, "gan: shard %d of %d", cfg->shard, t->shards);
        ganc_gan_trainer_free(t);
        return NULL;
    }
    if (!t->yfake || !t->lab || !t->zg || !t->tr || register_nets(t, cfg) ||
        ganc_net_set_shard(t->g, cfg->shard, t->shards) || ganc_net_set_shard(t->d, cfg->shard, t->shards)) {
        ganc_gan_trainer_free(t);
        return NULL;
    }
    return t;
}

static size_t img_numel(const ganc_gan_cfg_t *c) { return (size_t)c->nc * c->size * c->size; }

/* D on a batch: forward, BCE against `target` for every logit, backward; returns the loss, *p = mean D() */
static int d_pass(ganc_gan_trainer_t *t, float target, int fw_flags, int bw_flags, float *loss, float *p) {
    const int B = t->cfg.batch;
    if (t->dio.y >= 0) ganc_net_set_input(t->d, t->dio.y, t->yfake, B);
    int rc = ganc_net_forward(t->d, B, fw_flags);
    if (rc) return rc;
    /* minimax G (target < 0): minimise log(1 - D) = -BCE(l, 0) */
    if ((rc = ganc_net_loss(t->d, t->dio.out, GANC_LOSS_BCE_LOGITS, NULL, target >= 0 ? target : 0.0f,
                            target >= 0 ? 1.0f : -1.0f, loss)))
        return rc;
    if (target < 0) *loss = -*loss;
    *p = ganc_mean_sigmoid(ganc_net_data(t->d, t->dio.out), B);
    return ganc_net_backward(t->d, bw_flags);
}

int ganc_gan_d_step(ganc_gan_trainer_t *t, const float *real, const int *labels, ganc_gan_stats_t *st) {
    const int B = t->cfg.batch, C = t->cfg.net.n_classes;
    float l_real, l_fake;
    int rc;
    if (C && !labels) return ganc_fail(GANC_EINVAL, "gan: a conditional model needs the real batch's labels");
    for (int i = 0; C && i < B; i++)
        if (labels[i] < 0 || labels[i] >= C)
            return ganc_fail(GANC_EINVAL, "gan: label %d out of range [0,%d)", labels[i], C);
    /* (1) D: maximise log D(x) + log(1 - D(G(z))) */
    ganc_net_zero_grad(t->d);
    if (C) ganc_one_hot(labels, B, C, t->yfake); /* yfake holds the real labels for a moment */
    if ((rc = ganc_net_set_input(t->d, t->dio.in, real, B)) ||
        (rc = d_pass(t, 1.0f, GANC_TRAIN | GANC_UPDATE_STATS, GANC_NO_INPUT_GRADS, &l_real, &st->d_x)))
        return rc;
    const size_t nz = (size_t)t->cfg.net.nz, off = (size_t)t->cfg.shard * B; /* this shard's part */
    /* the global batch's noise and labels, then this shard's part */
    ganc_rng_fill_normal(&t->rng, t->zg, (size_t)B * t->shards * nz, 0.0f, 1.0f);
    ganc_net_set_input(t->g, t->gio.in, t->zg + off * nz, B);
    if (C) {
        for (int i = 0; i < B * t->shards; i++) t->lab[i] = (int)ganc_rng_below(&t->rng, (uint32_t)C);
        ganc_one_hot(t->lab + (t->shards > 1 ? off : 0), B, C, t->yfake);
        ganc_net_set_input(t->g, t->gio.y, t->yfake, B);
    }
    if ((rc = ganc_net_forward(t->g, B, GANC_TRAIN | GANC_UPDATE_STATS))) return rc;
    t->have_fake = 1;
    if ((rc = ganc_net_feed(t->d, t->dio.in, t->g, t->gio.out)) ||
        (rc = d_pass(t, 0.0f, GANC_TRAIN | GANC_UPDATE_STATS, GANC_NO_INPUT_GRADS, &l_fake, &st->d_g_z1)))
        return rc;
    st->loss_d = l_real + l_fake;
    return ganc_trainer_update(t->tr, t->id, st->loss_d);
}

int ganc_gan_g_step(ganc_gan_trainer_t *t, ganc_gan_stats_t *st) {
    int rc;
    if (!t->have_fake) return ganc_fail(GANC_EINVAL, "gan: a G step needs a D step before it");
    /* (2) G through the updated D (its running stats are left alone); G's activations are still those of the
       last D step's fake batch */
    ganc_net_zero_grad(t->g);
    float target = t->cfg.loss == GANC_LOSS_MINIMAX ? -1.0f : 1.0f; /* ns: minimise -log D = BCE(l, 1) */
    if ((rc = ganc_net_feed(t->d, t->dio.in, t->g, t->gio.out)) ||
        (rc = d_pass(t, target, GANC_TRAIN, GANC_NO_PARAM_GRADS, &st->loss_g, &st->d_g_z2)) ||
        (rc = ganc_net_add_grad(t->g, t->gio.out, ganc_net_grad(t->d, t->dio.in), 1.0f)) ||
        (rc = ganc_net_backward(t->g, GANC_NO_INPUT_GRADS)) || (rc = ganc_trainer_update(t->tr, t->ig, st->loss_g)))
        return rc;
    ganc_trainer_count_step(t->tr);
    return GANC_OK;
}

int ganc_gan_train_step(ganc_gan_trainer_t *t, const float *real, const int *labels, ganc_gan_stats_t *st) {
    int rc = ganc_gan_d_step(t, real, labels, st);
    return rc ? rc : ganc_gan_g_step(t, st);
}

int64_t ganc_gan_step(const ganc_gan_trainer_t *t) { return ganc_trainer_step(t->tr); }
void ganc_gan_set_lr(ganc_gan_trainer_t *t, float lr) {
    t->cfg.lr = lr;
    ganc_trainer_set_lr(t->tr, lr);
}
ganc_net_t *ganc_gan_g(ganc_gan_trainer_t *t) { return t->g; }
ganc_net_t *ganc_gan_d(ganc_gan_trainer_t *t) { return t->d; }
const ganc_gan_io_t *ganc_gan_g_io(const ganc_gan_trainer_t *t) { return &t->gio; }
const ganc_gan_io_t *ganc_gan_d_io(const ganc_gan_trainer_t *t) { return &t->dio; }
const ganc_gan_train_cfg_t *ganc_gan_cfg(const ganc_gan_trainer_t *t) { return &t->cfg; }
ganc_trainer_t *ganc_gan_trainer_core(ganc_gan_trainer_t *t) { return t->tr; }

/* ---- resumable state: what the trainer registered, in one safetensors file */

int ganc_gan_state_add(ganc_gan_trainer_t *t, ganc_stw_t *w, int64_t epoch, int64_t pos) {
    ganc_trainer_set_data_pos(t->tr, epoch, pos);
    return ganc_trainer_state_add(t->tr, w);
}

int ganc_gan_state_load(ganc_gan_trainer_t *t, const ganc_st_t *st, int64_t *epoch, int64_t *pos) {
    int rc = ganc_trainer_state_load(t->tr, st);
    if (rc) return rc;
    t->have_fake = 0;
    ganc_trainer_data_pos(t->tr, epoch, pos);
    return GANC_OK;
}

/* ---- sampling */

int ganc_gan_sample(ganc_net_t *g, const ganc_gan_io_t *io, const ganc_gan_cfg_t *c, int n, const float *z,
                    const int *labels, ganc_rng_t *rng, int bn_batch, float *out) {
    const int B = ganc_net_max_batch(g), C = c->n_classes;
    const size_t img = img_numel(c);
    if ((!z || (C && !labels)) && !rng) return ganc_fail(GANC_EINVAL, "gan: sampling needs noise and labels or an rng");
    if (C && io->y < 0) return ganc_fail(GANC_EINVAL, "gan: conditional config but the generator has no label input");
    for (int i = 0; i < n; i += B) {
        int b = n - i < B ? n - i : B;
        float *zi = ganc_net_data(g, io->in);
        if (z) memcpy(zi, z + (size_t)i * c->nz, sizeof(float) * b * c->nz);
        else ganc_rng_fill_normal(rng, zi, (size_t)b * c->nz, 0.0f, 1.0f);
        if (C) {
            float *y = ganc_net_data(g, io->y);
            memset(y, 0, sizeof(float) * (size_t)b * C);
            for (int j = 0; j < b; j++) {
                int l = labels ? labels[i + j] : (int)ganc_rng_below(rng, (uint32_t)C);
                if (l < 0 || l >= C) return ganc_fail(GANC_EINVAL, "gan: class %d out of range [0,%d)", l, C);
                y[(size_t)j * C + l] = 1.0f;
            }
        }
        int rc = ganc_net_forward(g, b, bn_batch ? GANC_TRAIN : 0);
        if (rc) return rc;
        memcpy(out + img * i, ganc_net_data(g, io->out), sizeof(float) * img * b);
    }
    return GANC_OK;
}

/* ---- latent space */

void ganc_lerp(const float *a, const float *b, int n, float t, float *out) {
    for (int i = 0; i < n; i++) out[i] = (1.0f - t) * a[i] + t * b[i];
}

void ganc_slerp(const float *a, const float *b, int n, float t, float *out) {
    double na = 0, nb = 0, ab = 0;
    for (int i = 0; i < n; i++) { na += (double)a[i] * a[i]; nb += (double)b[i] * b[i]; ab += (double)a[i] * b[i]; }
    double c = na > 0 && nb > 0 ? ab / sqrt(na * nb) : 1.0;
    c = c > 1 ? 1 : c < -1 ? -1 : c;
    double om = acos(c), so = sin(om);
    if (so < 1e-6) { ganc_lerp(a, b, n, t, out); return; } /* (anti)parallel: no unique great circle */
    double ka = sin((1.0 - t) * om) / so, kb = sin(t * om) / so;
    for (int i = 0; i < n; i++) out[i] = (float)(ka * a[i] + kb * b[i]);
}
