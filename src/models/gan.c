/* The GAN family's generator/discriminator pairs and their common training loop: DCGAN (Radford et al. 2015) as
   in pytorch/examples/dcgan, the MLP GAN of Goodfellow et al. 2014, and both conditioned on a label (Mirza &
   Osindero 2014). Networks, training step, resumable state, sampling. */
#include <math.h>
#include <stdlib.h>
#include <string.h>
#include "ganc.h"

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
    if (c->arch == GANC_ARCH_DCGAN && c->size != 32 && c->size != 64)
        return ganc_fail(GANC_EINVAL, "dcgan: size must be 32 or 64, got %d", c->size);
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

static int nblocks(const ganc_gan_cfg_t *c) { return c->size == 64 ? 5 : 4; }

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
    const int nb = nblocks(c);
    int mult = 1 << (nb - 2); /* 8 for size 64, 4 for size 32 */
    h = io->in = ganc_net_input(g, "z", 3, (int[]){c->nz, 1, 1});
    if (c->n_classes) h = ganc_net_concat(g, "cond", h, io->y = ganc_net_input(g, "y", 1, (int[]){c->n_classes}));
    for (int b = 0; b < nb; b++) {
        int last = b == nb - 1, och = last ? c->nc : c->ngf * mult;
        h = b == 0 ? ganc_net_conv_transpose2d(g, NAME("main.%d", k++), h, och, 4, 4, 1, 0, 0, 0)
                   : ganc_net_conv_transpose2d(g, NAME("main.%d", k++), h, och, 4, 4, 2, 1, 0, 0);
        if (last) {
            h = ganc_net_tanh(g, NAME("main.%d", k++), h);
            break;
        }
        h = ganc_net_batchnorm(g, NAME("main.%d", k++), h, 1e-5f, 0.1f);
        h = ganc_net_relu(g, NAME("main.%d", k++), h);
        mult /= 2;
    }
    return finish(g, h, max_batch, io);
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
    const int nb = nblocks(c);
    int mult = 1;
    if (c->n_classes) h = ganc_net_concat(d, "cond", h, io->y);
    for (int b = 0; b < nb; b++) {
        if (b == nb - 1) {
            h = ganc_net_conv2d(d, NAME("main.%d", k++), h, 1, 4, 4, 1, 0, 0);
            break;
        }
        h = ganc_net_conv2d(d, NAME("main.%d", k++), h, c->ndf * mult, 4, 4, 2, 1, 0);
        if (b > 0) h = ganc_net_batchnorm(d, NAME("main.%d", k++), h, 1e-5f, 0.1f);
        h = ganc_net_leaky_relu(d, NAME("main.%d", k++), h, 0.2f);
        mult *= 2;
    }
    return finish(d, h, max_batch, io);
}

static int meta_int(const ganc_st_t *st, const char *k, int *v) {
    const char *s = ganc_st_meta(st, k);
    if (!s) return 0;
    char *e;
    long x = strtol(s, &e, 10);
    if (*e || x < 0 || x > 1 << 20) return -1;
    *v = (int)x;
    return 1;
}

int ganc_gan_cfg_from_file(const ganc_st_t *st, ganc_gan_cfg_t *c, int *is_g) {
    const char *path = ganc_st_path(st);
    const char *kind = ganc_st_meta(st, "kind"), *net = ganc_st_meta(st, "net");
    *c = ganc_gan_default_cfg();
    if (kind) {
        if (!strcmp(kind, "gan")) c->arch = GANC_ARCH_MLP;
        else if (strcmp(kind, "dcgan")) return ganc_fail(GANC_EMISMATCH, "%s: holds a '%s' model, not dcgan or gan", path, kind);
        const char *dr = ganc_st_meta(st, "d_dropout"), *dri = ganc_st_meta(st, "d_in_dropout");
        if (meta_int(st, "size", &c->size) < 0 || meta_int(st, "nz", &c->nz) < 0 || meta_int(st, "ngf", &c->ngf) < 0 ||
            meta_int(st, "ndf", &c->ndf) < 0 || meta_int(st, "nc", &c->nc) < 0 ||
            meta_int(st, "classes", &c->n_classes) < 0 || meta_int(st, "g_hidden", &c->g_hidden) < 0 ||
            meta_int(st, "d_units", &c->d_units) < 0 || meta_int(st, "d_pieces", &c->d_pieces) < 0)
            return ganc_fail(GANC_EFORMAT, "%s: malformed architecture metadata", path);
        if (dr) c->d_dropout = strtof(dr, NULL);
        if (dri) c->d_in_dropout = strtof(dri, NULL);
        *is_g = !net || !strcmp(net, "G");
        return ganc_gan_check_cfg(c) ? ganc_fail(GANC_EFORMAT, "%s: %s", path, ganc_errmsg()) : GANC_OK;
    }
    /* no metadata: infer from shapes, as pytorch/examples lays them out */
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

int ganc_gan_meta(const ganc_gan_cfg_t *c, const char *kv[], int max_pairs) {
    static _Thread_local char v[11][24];
    if (max_pairs < 10) return 0;
    const int iv[] = {c->size, c->nz, c->ngf, c->ndf, c->nc, c->n_classes, c->g_hidden, c->d_units, c->d_pieces};
    for (int i = 0; i < 9; i++) snprintf(v[i], sizeof v[i], "%d", iv[i]);
    snprintf(v[9], sizeof v[9], "%.9g", c->d_dropout);
    snprintf(v[10], sizeof v[10], "%.9g", c->d_in_dropout);
    const char *k[] = {"kind", c->arch == GANC_ARCH_MLP ? "gan" : "dcgan", "size", v[0], "nz", v[1], "ngf", v[2],
                       "ndf", v[3], "nc", v[4], "classes", v[5], "g_hidden", v[6], "d_units", v[7], "d_pieces", v[8],
                       "d_dropout", v[9], "d_in_dropout", v[10]};
    /* the MLP sizes only for MLP models, ngf/ndf only for DCGAN */
    int n = 0;
    for (int i = 0; i < (int)(sizeof k / sizeof k[0]) / 2; i++) {
        const char *key = k[2 * i];
        int mlp_only = !strncmp(key, "g_", 2) || !strncmp(key, "d_", 2), conv_only = !strcmp(key, "ngf") || !strcmp(key, "ndf");
        if ((mlp_only && c->arch != GANC_ARCH_MLP) || (conv_only && c->arch == GANC_ARCH_MLP) ||
            (!strcmp(key, "classes") && !c->n_classes))
            continue;
        kv[2 * n] = key;
        kv[2 * n + 1] = k[2 * i + 1];
        n++;
    }
    return n;
}

/* ---- training */

struct ganc_gan_trainer {
    ganc_gan_train_cfg_t cfg;
    ganc_net_t *g, *d;
    ganc_gan_io_t gio, dio;
    ganc_optim_t *og, *od;
    ganc_rng_t rng; /* noise and fake labels */
    int64_t step;
    float *fake, *yfake; /* the last D step's fake batch and its one-hot labels, for the G step */
    int *lab;
    int have_fake;
};

void ganc_gan_trainer_free(ganc_gan_trainer_t *t) {
    if (!t) return;
    ganc_optim_free(t->og); ganc_optim_free(t->od);
    ganc_net_free(t->g); ganc_net_free(t->d);
    free(t->fake); free(t->yfake); free(t->lab); free(t);
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
    const ganc_gan_cfg_t *c = &cfg->net;
    const size_t img = (size_t)c->nc * c->size * c->size, ncls = c->n_classes ? (size_t)c->n_classes : 1;
    t->g = ganc_gan_generator(c, cfg->batch, &t->gio);
    t->d = t->g ? ganc_gan_discriminator(c, cfg->batch, &t->dio) : NULL;
    t->fake = malloc(sizeof(float) * img * cfg->batch);
    t->yfake = malloc(sizeof(float) * ncls * cfg->batch);
    t->lab = malloc(sizeof(int) * cfg->batch);
    if (!t->g || !t->d || !t->fake || !t->yfake || !t->lab || ganc_net_share_scratch(t->g, t->d)) {
        ganc_gan_trainer_free(t);
        return NULL;
    }
    /* separate streams for G, D (weights, then D's dropout masks) and the noise */
    if (c->arch == GANC_ARCH_DCGAN) { /* N(0,0.02) weights, BN gamma N(1,0.02), beta 0 */
        ganc_net_init_dcgan(t->g, cfg->seed * 3 + 1);
        ganc_net_init_dcgan(t->d, cfg->seed * 3 + 2);
    } else {
        ganc_net_init_default(t->g, cfg->seed * 3 + 1);
        ganc_net_init_default(t->d, cfg->seed * 3 + 2);
    }
    ganc_net_seed(t->d, cfg->seed * 3 + 6);
    ganc_rng_seed(&t->rng, cfg->seed * 3 + 3);
    ganc_optim_cfg_t oc = ganc_adam_cfg(cfg->lr, cfg->beta1, cfg->beta2);
    t->og = ganc_optim_new(t->g, oc);
    t->od = ganc_optim_new(t->d, oc);
    if (!t->og || !t->od) { ganc_gan_trainer_free(t); return NULL; }
    return t;
}

static float mean_sigmoid(const float *x, int n) {
    double s = 0;
    for (int i = 0; i < n; i++) s += 1.0 / (1.0 + exp(-(double)x[i]));
    return (float)(s / n);
}

static size_t img_numel(const ganc_gan_cfg_t *c) { return (size_t)c->nc * c->size * c->size; }

/* D's inputs: images (and one-hot labels) */
static void d_inputs(ganc_gan_trainer_t *t, const float *x, const float *y) {
    const int B = t->cfg.batch;
    memcpy(ganc_net_data(t->d, t->dio.in), x, sizeof(float) * img_numel(&t->cfg.net) * B);
    if (t->dio.y >= 0) memcpy(ganc_net_data(t->d, t->dio.y), y, sizeof(float) * (size_t)t->cfg.net.n_classes * B);
}

int ganc_gan_d_step(ganc_gan_trainer_t *t, const float *real, const int *labels, ganc_gan_stats_t *st) {
    const int B = t->cfg.batch, C = t->cfg.net.n_classes;
    const size_t img = img_numel(&t->cfg.net);
    int rc;
    if (C && !labels) return ganc_fail(GANC_EINVAL, "gan: a conditional model needs the real batch's labels");
    for (int i = 0; C && i < B; i++)
        if (labels[i] < 0 || labels[i] >= C)
            return ganc_fail(GANC_EINVAL, "gan: label %d out of range [0,%d)", labels[i], C);
    /* (1) D: maximise log D(x) + log(1 - D(G(z))) */
    ganc_net_zero_grad(t->d);
    if (C) ganc_one_hot(labels, B, C, t->yfake); /* yfake holds the real labels for a moment */
    d_inputs(t, real, t->yfake);
    if ((rc = ganc_net_forward(t->d, B, GANC_TRAIN | GANC_UPDATE_STATS))) return rc;
    float *lo = ganc_net_data(t->d, t->dio.out);
    float l_real = ganc_bce_logits(lo, NULL, 1.0f, B, ganc_net_grad(t->d, t->dio.out), 1.0f);
    st->d_x = mean_sigmoid(lo, B);
    if ((rc = ganc_net_backward(t->d, GANC_NO_INPUT_GRADS))) return rc;

    ganc_rng_fill_normal(&t->rng, ganc_net_data(t->g, t->gio.in), (size_t)B * t->cfg.net.nz, 0.0f, 1.0f);
    if (C) {
        for (int i = 0; i < B; i++) t->lab[i] = (int)ganc_rng_below(&t->rng, (uint32_t)C);
        ganc_one_hot(t->lab, B, C, t->yfake);
        memcpy(ganc_net_data(t->g, t->gio.y), t->yfake, sizeof(float) * (size_t)C * B);
    }
    if ((rc = ganc_net_forward(t->g, B, GANC_TRAIN | GANC_UPDATE_STATS))) return rc;
    memcpy(t->fake, ganc_net_data(t->g, t->gio.out), sizeof(float) * img * B);
    t->have_fake = 1;
    d_inputs(t, t->fake, t->yfake);
    if ((rc = ganc_net_forward(t->d, B, GANC_TRAIN | GANC_UPDATE_STATS))) return rc;
    float l_fake = ganc_bce_logits(lo, NULL, 0.0f, B, ganc_net_grad(t->d, t->dio.out), 1.0f);
    st->d_g_z1 = mean_sigmoid(lo, B);
    if ((rc = ganc_net_backward(t->d, GANC_NO_INPUT_GRADS))) return rc;
    st->loss_d = l_real + l_fake;
    if (!isfinite(st->loss_d) || !ganc_net_grads_finite(t->d))
        return ganc_fail(GANC_ENONFINITE, "step %lld: network D: non-finite %s (D loss %g); parameters not updated",
                         (long long)t->step + 1, isfinite(st->loss_d) ? "gradient" : "loss", st->loss_d);
    ganc_optim_step(t->od);
    return GANC_OK;
}

int ganc_gan_g_step(ganc_gan_trainer_t *t, ganc_gan_stats_t *st) {
    const int B = t->cfg.batch;
    const size_t img = img_numel(&t->cfg.net);
    int rc;
    if (!t->have_fake) return ganc_fail(GANC_EINVAL, "gan: a G step needs a D step before it");
    /* (2) G through the updated D (its running stats are left alone); G's activations are still those of the
       last D step's fake batch */
    ganc_net_zero_grad(t->g);
    d_inputs(t, t->fake, t->yfake);
    if ((rc = ganc_net_forward(t->d, B, GANC_TRAIN))) return rc;
    float *lo = ganc_net_data(t->d, t->dio.out), *gl = ganc_net_grad(t->d, t->dio.out);
    if (t->cfg.loss == GANC_LOSS_MINIMAX) /* minimise log(1 - D) = -BCE(l, 0) */
        st->loss_g = -ganc_bce_logits(lo, NULL, 0.0f, B, gl, -1.0f);
    else /* minimise -log D = BCE(l, 1) */
        st->loss_g = ganc_bce_logits(lo, NULL, 1.0f, B, gl, 1.0f);
    st->d_g_z2 = mean_sigmoid(lo, B);
    if ((rc = ganc_net_backward(t->d, GANC_NO_PARAM_GRADS))) return rc;
    memcpy(ganc_net_grad(t->g, t->gio.out), ganc_net_grad(t->d, t->dio.in), sizeof(float) * img * B);
    if ((rc = ganc_net_backward(t->g, GANC_NO_INPUT_GRADS))) return rc;
    if (!isfinite(st->loss_g) || !ganc_net_grads_finite(t->g))
        return ganc_fail(GANC_ENONFINITE, "step %lld: network G: non-finite %s (G loss %g); G not updated",
                         (long long)t->step + 1, isfinite(st->loss_g) ? "gradient" : "loss", st->loss_g);
    ganc_optim_step(t->og);
    t->step++;
    return GANC_OK;
}

int ganc_gan_train_step(ganc_gan_trainer_t *t, const float *real, const int *labels, ganc_gan_stats_t *st) {
    int rc = ganc_gan_d_step(t, real, labels, st);
    return rc ? rc : ganc_gan_g_step(t, st);
}

int64_t ganc_gan_step(const ganc_gan_trainer_t *t) { return t->step; }
void ganc_gan_set_lr(ganc_gan_trainer_t *t, float lr) {
    t->cfg.lr = lr;
    ganc_optim_cfg(t->og)->lr = lr;
    ganc_optim_cfg(t->od)->lr = lr;
}
ganc_net_t *ganc_gan_g(ganc_gan_trainer_t *t) { return t->g; }
ganc_net_t *ganc_gan_d(ganc_gan_trainer_t *t) { return t->d; }
const ganc_gan_io_t *ganc_gan_g_io(const ganc_gan_trainer_t *t) { return &t->gio; }
const ganc_gan_io_t *ganc_gan_d_io(const ganc_gan_trainer_t *t) { return &t->dio; }
const ganc_gan_train_cfg_t *ganc_gan_cfg(const ganc_gan_trainer_t *t) { return &t->cfg; }

/* ---- resumable state: one safetensors file */

typedef struct {
    int64_t step, epoch, pos, og_step, od_step, rng_spare_has, drng_spare_has;
    uint64_t rng[4], drng[4];
    float rng_spare, drng_spare;
} scalars_t;
static _Thread_local scalars_t g_sc; /* the writer keeps pointers until it writes */

int ganc_gan_state_add(ganc_gan_trainer_t *t, ganc_stw_t *w, int64_t epoch, int64_t pos) {
    scalars_t *s = &g_sc;
    s->step = t->step; s->epoch = epoch; s->pos = pos;
    s->og_step = *ganc_optim_step_count(t->og);
    s->od_step = *ganc_optim_step_count(t->od);
    memcpy(s->rng, t->rng.s, sizeof s->rng);
    s->rng_spare_has = t->rng.has_spare;
    s->rng_spare = t->rng.spare;
    const ganc_rng_t *dr = ganc_net_rng(t->d);
    memcpy(s->drng, dr->s, sizeof s->drng);
    s->drng_spare_has = dr->has_spare;
    s->drng_spare = dr->spare;
    int rc = ganc_net_add_to(t->g, w, "G.");
    if (!rc) rc = ganc_net_add_to(t->d, w, "D.");
    const int64_t ng = (int64_t)ganc_net_nparams(t->g), nd = (int64_t)ganc_net_nparams(t->d);
    if (!rc) rc = ganc_stw_add(w, "optG.m", GANC_F32, 1, &ng, ganc_optim_m(t->og));
    if (!rc) rc = ganc_stw_add(w, "optG.v", GANC_F32, 1, &ng, ganc_optim_v(t->og));
    if (!rc) rc = ganc_stw_add(w, "optD.m", GANC_F32, 1, &nd, ganc_optim_m(t->od));
    if (!rc) rc = ganc_stw_add(w, "optD.v", GANC_F32, 1, &nd, ganc_optim_v(t->od));
    if (!rc) rc = ganc_stw_add(w, "optG.step", GANC_I64, 0, NULL, &s->og_step);
    if (!rc) rc = ganc_stw_add(w, "optD.step", GANC_I64, 0, NULL, &s->od_step);
    if (!rc) rc = ganc_stw_add(w, "step", GANC_I64, 0, NULL, &s->step);
    if (!rc) rc = ganc_stw_add(w, "data.epoch", GANC_I64, 0, NULL, &s->epoch);
    if (!rc) rc = ganc_stw_add(w, "data.pos", GANC_I64, 0, NULL, &s->pos);
    if (!rc) rc = ganc_stw_add(w, "rng.state", GANC_U64, 1, (int64_t[]){4}, s->rng);
    if (!rc) rc = ganc_stw_add(w, "rng.has_spare", GANC_I64, 0, NULL, &s->rng_spare_has);
    if (!rc) rc = ganc_stw_add(w, "rng.spare", GANC_F32, 0, NULL, &s->rng_spare);
    if (!rc) rc = ganc_stw_add(w, "rngD.state", GANC_U64, 1, (int64_t[]){4}, s->drng);
    if (!rc) rc = ganc_stw_add(w, "rngD.has_spare", GANC_I64, 0, NULL, &s->drng_spare_has);
    if (!rc) rc = ganc_stw_add(w, "rngD.spare", GANC_F32, 0, NULL, &s->drng_spare);
    return rc;
}

static int get(const ganc_st_t *st, const char *name, int dtype, size_t numel, void *dst) {
    const ganc_st_tensor_t *t = ganc_st_find(st, name);
    if (!t) return ganc_fail(GANC_EMISMATCH, "%s: state tensor %s is missing", ganc_st_path(st), name);
    if (t->dtype != dtype || t->numel != numel)
        return ganc_fail(GANC_EMISMATCH, "%s: state tensor %s is %s with %zu elements, expected %s with %zu",
                         ganc_st_path(st), name, ganc_dtype_name(t->dtype), t->numel, ganc_dtype_name(dtype), numel);
    memcpy(dst, t->data, t->nbytes);
    return GANC_OK;
}

int ganc_gan_state_load(ganc_gan_trainer_t *t, const ganc_st_t *st, int64_t *epoch, int64_t *pos) {
    scalars_t s;
    const size_t ng = ganc_net_nparams(t->g), nd = ganc_net_nparams(t->d);
    int rc = ganc_net_load_from(t->g, st, "G.", 1);
    if (!rc) rc = ganc_net_load_from(t->d, st, "D.", 1);
    if (!rc) rc = get(st, "optG.m", GANC_F32, ng, ganc_optim_m(t->og));
    if (!rc) rc = get(st, "optG.v", GANC_F32, ng, ganc_optim_v(t->og));
    if (!rc) rc = get(st, "optD.m", GANC_F32, nd, ganc_optim_m(t->od));
    if (!rc) rc = get(st, "optD.v", GANC_F32, nd, ganc_optim_v(t->od));
    if (!rc) rc = get(st, "optG.step", GANC_I64, 1, &s.og_step);
    if (!rc) rc = get(st, "optD.step", GANC_I64, 1, &s.od_step);
    if (!rc) rc = get(st, "step", GANC_I64, 1, &s.step);
    if (!rc) rc = get(st, "data.epoch", GANC_I64, 1, &s.epoch);
    if (!rc) rc = get(st, "data.pos", GANC_I64, 1, &s.pos);
    if (!rc) rc = get(st, "rng.state", GANC_U64, 4, s.rng);
    if (!rc) rc = get(st, "rng.has_spare", GANC_I64, 1, &s.rng_spare_has);
    if (!rc) rc = get(st, "rng.spare", GANC_F32, 1, &s.rng_spare);
    if (!rc) rc = get(st, "rngD.state", GANC_U64, 4, s.drng);
    if (!rc) rc = get(st, "rngD.has_spare", GANC_I64, 1, &s.drng_spare_has);
    if (!rc) rc = get(st, "rngD.spare", GANC_F32, 1, &s.drng_spare);
    if (rc) return rc;
    if (s.step < 0 || s.epoch < 0 || s.pos < 0)
        return ganc_fail(GANC_EFORMAT, "%s: negative step or data position", ganc_st_path(st));
    *ganc_optim_step_count(t->og) = s.og_step;
    *ganc_optim_step_count(t->od) = s.od_step;
    t->step = s.step;
    memcpy(t->rng.s, s.rng, sizeof s.rng);
    t->rng.has_spare = (int)s.rng_spare_has;
    t->rng.spare = s.rng_spare;
    ganc_rng_t *dr = ganc_net_rng(t->d);
    memcpy(dr->s, s.drng, sizeof s.drng);
    dr->has_spare = (int)s.drng_spare_has;
    dr->spare = s.drng_spare;
    t->have_fake = 0;
    *epoch = s.epoch;
    *pos = s.pos;
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
