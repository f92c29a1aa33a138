/* DCGAN (Radford et al. 2015) as in pytorch/examples/dcgan: networks, training step, resumable state, sampling. */
#include <math.h>
#include <stdlib.h>
#include <string.h>
#include "ganc.h"

ganc_dcgan_cfg_t ganc_dcgan_default_cfg(void) { return (ganc_dcgan_cfg_t){32, 100, 64, 64, 1}; }

int ganc_dcgan_check_cfg(const ganc_dcgan_cfg_t *c) {
    if (c->size != 32 && c->size != 64) return ganc_fail(GANC_EINVAL, "dcgan: size must be 32 or 64, got %d", c->size);
    if (c->nz < 1 || c->nz > 4096) return ganc_fail(GANC_EINVAL, "dcgan: nz must be 1..4096, got %d", c->nz);
    if (c->ngf < 1 || c->ngf > 1024 || c->ndf < 1 || c->ndf > 1024)
        return ganc_fail(GANC_EINVAL, "dcgan: ngf/ndf must be 1..1024");
    if (c->nc < 1 || c->nc > 64) return ganc_fail(GANC_EINVAL, "dcgan: channels must be 1..64, got %d", c->nc);
    return GANC_OK;
}

static int nblocks(const ganc_dcgan_cfg_t *c) { return c->size == 64 ? 5 : 4; }

ganc_net_t *ganc_dcgan_generator(const ganc_dcgan_cfg_t *c, int max_batch, int *in, int *out) {
    if (ganc_dcgan_check_cfg(c)) return NULL;
    ganc_net_t *g = ganc_net_new("G");
    if (!g) return NULL;
    const int nb = nblocks(c);
    char name[32];
    int k = 0, mult = 1 << (nb - 2); /* 8 for size 64, 4 for size 32 */
    int h = *in = ganc_net_input(g, "z", 3, (int[]){c->nz, 1, 1});
    for (int b = 0; b < nb; b++) {
        int last = b == nb - 1, och = last ? c->nc : c->ngf * mult;
        snprintf(name, sizeof name, "main.%d", k++);
        h = b == 0 ? ganc_net_conv_transpose2d(g, name, h, och, 4, 4, 1, 0, 0, 0)
                   : ganc_net_conv_transpose2d(g, name, h, och, 4, 4, 2, 1, 0, 0);
        if (last) {
            snprintf(name, sizeof name, "main.%d", k++);
            h = ganc_net_tanh(g, name, h);
            break;
        }
        snprintf(name, sizeof name, "main.%d", k++);
        h = ganc_net_batchnorm(g, name, h, 1e-5f, 0.1f);
        snprintf(name, sizeof name, "main.%d", k++);
        h = ganc_net_relu(g, name, h);
        mult /= 2;
    }
    *out = h;
    if (h < 0 || ganc_net_build(g, max_batch)) { ganc_net_free(g); return NULL; }
    return g;
}

ganc_net_t *ganc_dcgan_discriminator(const ganc_dcgan_cfg_t *c, int max_batch, int *in, int *out) {
    if (ganc_dcgan_check_cfg(c)) return NULL;
    ganc_net_t *d = ganc_net_new("D");
    if (!d) return NULL;
    const int nb = nblocks(c);
    char name[32];
    int k = 0, mult = 1;
    int h = *in = ganc_net_input(d, "x", 3, (int[]){c->nc, c->size, c->size});
    for (int b = 0; b < nb; b++) {
        snprintf(name, sizeof name, "main.%d", k++);
        if (b == nb - 1) {
            h = ganc_net_conv2d(d, name, h, 1, 4, 4, 1, 0, 0);
            break;
        }
        h = ganc_net_conv2d(d, name, h, c->ndf * mult, 4, 4, 2, 1, 0);
        if (b > 0) {
            snprintf(name, sizeof name, "main.%d", k++);
            h = ganc_net_batchnorm(d, name, h, 1e-5f, 0.1f);
        }
        snprintf(name, sizeof name, "main.%d", k++);
        h = ganc_net_leaky_relu(d, name, h, 0.2f);
        mult *= 2;
    }
    *out = h;
    if (h < 0 || ganc_net_build(d, max_batch)) { ganc_net_free(d); return NULL; }
    return d;
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

int ganc_dcgan_cfg_from_file(const ganc_st_t *st, ganc_dcgan_cfg_t *c, int *is_g) {
    const char *path = ganc_st_path(st);
    const char *kind = ganc_st_meta(st, "kind"), *net = ganc_st_meta(st, "net");
    *c = ganc_dcgan_default_cfg();
    if (kind) {
        if (strcmp(kind, "dcgan")) return ganc_fail(GANC_EMISMATCH, "%s: holds a '%s' model, not dcgan", path, kind);
        if (meta_int(st, "size", &c->size) < 0 || meta_int(st, "nz", &c->nz) < 0 || meta_int(st, "ngf", &c->ngf) < 0 ||
            meta_int(st, "ndf", &c->ndf) < 0 || meta_int(st, "nc", &c->nc) < 0)
            return ganc_fail(GANC_EFORMAT, "%s: malformed architecture metadata", path);
        *is_g = !net || !strcmp(net, "G");
        return ganc_dcgan_check_cfg(c) ? ganc_fail(GANC_EFORMAT, "%s: %s", path, ganc_errmsg()) : GANC_OK;
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
    return ganc_dcgan_check_cfg(c) ? ganc_fail(GANC_EMISMATCH, "%s: %s", path, ganc_errmsg()) : GANC_OK;
}

int ganc_dcgan_meta(const ganc_dcgan_cfg_t *c, const char *kv[], int max_pairs) {
    static _Thread_local char v[5][16];
    if (max_pairs < 6) return 0;
    snprintf(v[0], 16, "%d", c->size);
    snprintf(v[1], 16, "%d", c->nz);
    snprintf(v[2], 16, "%d", c->ngf);
    snprintf(v[3], 16, "%d", c->ndf);
    snprintf(v[4], 16, "%d", c->nc);
    const char *k[] = {"kind", "dcgan", "size", v[0], "nz", v[1], "ngf", v[2], "ndf", v[3], "nc", v[4]};
    memcpy(kv, k, sizeof k);
    return 6;
}

/* ---- training */

struct ganc_dcgan_trainer {
    ganc_dcgan_train_cfg_t cfg;
    ganc_net_t *g, *d;
    int gin, gout, din, dout;
    ganc_optim_t *og, *od;
    ganc_rng_t rng; /* noise */
    int64_t step;
    float *z;
};

void ganc_dcgan_trainer_free(ganc_dcgan_trainer_t *t) {
    if (!t) return;
    ganc_optim_free(t->og); ganc_optim_free(t->od);
    ganc_net_free(t->g); ganc_net_free(t->d);
    free(t->z); free(t);
}

ganc_dcgan_trainer_t *ganc_dcgan_trainer_new(const ganc_dcgan_train_cfg_t *cfg) {
    if (cfg->batch < 1 || cfg->batch > 65536 || !(cfg->lr > 0)) {
        ganc_fail(GANC_EINVAL, "dcgan: batch must be 1..65536 and lr > 0");
        return NULL;
    }
    ganc_dcgan_trainer_t *t = calloc(1, sizeof *t);
    if (!t) return NULL;
    t->cfg = *cfg;
    t->g = ganc_dcgan_generator(&cfg->net, cfg->batch, &t->gin, &t->gout);
    t->d = t->g ? ganc_dcgan_discriminator(&cfg->net, cfg->batch, &t->din, &t->dout) : NULL;
    t->z = malloc(sizeof(float) * (size_t)cfg->batch * cfg->net.nz);
    if (!t->g || !t->d || !t->z || ganc_net_share_scratch(t->g, t->d)) { ganc_dcgan_trainer_free(t); return NULL; }
    /* DCGAN init: conv weights N(0,0.02), BN gamma N(1,0.02), beta 0; separate streams for G, D and noise */
    ganc_net_init_dcgan(t->g, cfg->seed * 3 + 1);
    ganc_net_init_dcgan(t->d, cfg->seed * 3 + 2);
    ganc_rng_seed(&t->rng, cfg->seed * 3 + 3);
    ganc_optim_cfg_t oc = ganc_adam_cfg(cfg->lr, cfg->beta1, cfg->beta2);
    t->og = ganc_optim_new(t->g, oc);
    t->od = ganc_optim_new(t->d, oc);
    if (!t->og || !t->od) { ganc_dcgan_trainer_free(t); return NULL; }
    return t;
}

static float mean_sigmoid(const float *x, int n) {
    double s = 0;
    for (int i = 0; i < n; i++) s += 1.0 / (1.0 + exp(-(double)x[i]));
    return (float)(s / n);
}

int ganc_dcgan_train_step(ganc_dcgan_trainer_t *t, const float *real, ganc_gan_stats_t *st) {
    const int B = t->cfg.batch;
    const size_t img = (size_t)t->cfg.net.nc * t->cfg.net.size * t->cfg.net.size;
    int rc;
    /* (1) D: maximise log D(x) + log(1 - D(G(z))) */
    ganc_net_zero_grad(t->d);
    memcpy(ganc_net_data(t->d, t->din), real, sizeof(float) * img * B);
    if ((rc = ganc_net_forward(t->d, B, GANC_TRAIN | GANC_UPDATE_STATS))) return rc;
    float *lo = ganc_net_data(t->d, t->dout);
    float l_real = ganc_bce_logits(lo, NULL, 1.0f, B, ganc_net_grad(t->d, t->dout), 1.0f);
    st->d_x = mean_sigmoid(lo, B);
    if ((rc = ganc_net_backward(t->d, GANC_NO_INPUT_GRADS))) return rc;

    ganc_rng_fill_normal(&t->rng, ganc_net_data(t->g, t->gin), (size_t)B * t->cfg.net.nz, 0.0f, 1.0f);
    if ((rc = ganc_net_forward(t->g, B, GANC_TRAIN | GANC_UPDATE_STATS))) return rc;
    const float *fake = ganc_net_data(t->g, t->gout);
    memcpy(ganc_net_data(t->d, t->din), fake, sizeof(float) * img * B);
    if ((rc = ganc_net_forward(t->d, B, GANC_TRAIN | GANC_UPDATE_STATS))) return rc;
    float l_fake = ganc_bce_logits(lo, NULL, 0.0f, B, ganc_net_grad(t->d, t->dout), 1.0f);
    st->d_g_z1 = mean_sigmoid(lo, B);
    if ((rc = ganc_net_backward(t->d, GANC_NO_INPUT_GRADS))) return rc;
    st->loss_d = l_real + l_fake;
    if (!isfinite(st->loss_d) || !ganc_net_grads_finite(t->d))
        return ganc_fail(GANC_ENONFINITE, "step %lld: network D: non-finite %s (D loss %g); parameters not updated",
                         (long long)t->step + 1, isfinite(st->loss_d) ? "gradient" : "loss", st->loss_d);
    ganc_optim_step(t->od);

    /* (2) G: maximise log D(G(z)) through the updated D (its running stats are left alone) */
    ganc_net_zero_grad(t->g);
    memcpy(ganc_net_data(t->d, t->din), fake, sizeof(float) * img * B);
    if ((rc = ganc_net_forward(t->d, B, GANC_TRAIN))) return rc;
    st->loss_g = ganc_bce_logits(lo, NULL, 1.0f, B, ganc_net_grad(t->d, t->dout), 1.0f);
    st->d_g_z2 = mean_sigmoid(lo, B);
    if ((rc = ganc_net_backward(t->d, GANC_NO_PARAM_GRADS))) return rc;
    memcpy(ganc_net_grad(t->g, t->gout), ganc_net_grad(t->d, t->din), sizeof(float) * img * B);
    if ((rc = ganc_net_backward(t->g, GANC_NO_INPUT_GRADS))) return rc;
    if (!isfinite(st->loss_g) || !ganc_net_grads_finite(t->g))
        return ganc_fail(GANC_ENONFINITE, "step %lld: network G: non-finite %s (G loss %g); G not updated",
                         (long long)t->step + 1, isfinite(st->loss_g) ? "gradient" : "loss", st->loss_g);
    ganc_optim_step(t->og);
    t->step++;
    return GANC_OK;
}

int64_t ganc_dcgan_step(const ganc_dcgan_trainer_t *t) { return t->step; }
void ganc_dcgan_set_lr(ganc_dcgan_trainer_t *t, float lr) {
    t->cfg.lr = lr;
    ganc_optim_cfg(t->og)->lr = lr;
    ganc_optim_cfg(t->od)->lr = lr;
}
ganc_net_t *ganc_dcgan_g(ganc_dcgan_trainer_t *t) { return t->g; }
ganc_net_t *ganc_dcgan_d(ganc_dcgan_trainer_t *t) { return t->d; }
const ganc_dcgan_train_cfg_t *ganc_dcgan_cfg(const ganc_dcgan_trainer_t *t) { return &t->cfg; }

/* ---- resumable state: one safetensors file */

typedef struct { int64_t step, epoch, pos, og_step, od_step, rng_spare_has; uint64_t rng[4]; float rng_spare; } scalars_t;
static _Thread_local scalars_t g_sc; /* the writer keeps pointers until it writes */

int ganc_dcgan_state_add(ganc_dcgan_trainer_t *t, ganc_stw_t *w, int64_t epoch, int64_t pos) {
    scalars_t *s = &g_sc;
    s->step = t->step; s->epoch = epoch; s->pos = pos;
    s->og_step = *ganc_optim_step_count(t->og);
    s->od_step = *ganc_optim_step_count(t->od);
    memcpy(s->rng, t->rng.s, sizeof s->rng);
    s->rng_spare_has = t->rng.has_spare;
    s->rng_spare = t->rng.spare;
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

int ganc_dcgan_state_load(ganc_dcgan_trainer_t *t, const ganc_st_t *st, int64_t *epoch, int64_t *pos) {
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
    if (rc) return rc;
    if (s.step < 0 || s.epoch < 0 || s.pos < 0)
        return ganc_fail(GANC_EFORMAT, "%s: negative step or data position", ganc_st_path(st));
    *ganc_optim_step_count(t->og) = s.og_step;
    *ganc_optim_step_count(t->od) = s.od_step;
    t->step = s.step;
    memcpy(t->rng.s, s.rng, sizeof s.rng);
    t->rng.has_spare = (int)s.rng_spare_has;
    t->rng.spare = s.rng_spare;
    *epoch = s.epoch;
    *pos = s.pos;
    return GANC_OK;
}

/* ---- sampling */

int ganc_dcgan_sample(ganc_net_t *g, int zin, int gout, const ganc_dcgan_cfg_t *c, int n, const float *z,
                      ganc_rng_t *rng, int bn_batch, float *out) {
    const int B = ganc_net_max_batch(g);
    const size_t img = (size_t)c->nc * c->size * c->size;
    for (int i = 0; i < n; i += B) {
        int b = n - i < B ? n - i : B;
        float *zi = ganc_net_data(g, zin);
        if (z) memcpy(zi, z + (size_t)i * c->nz, sizeof(float) * b * c->nz);
        else ganc_rng_fill_normal(rng, zi, (size_t)b * c->nz, 0.0f, 1.0f);
        int rc = ganc_net_forward(g, b, bn_batch ? GANC_TRAIN : 0);
        if (rc) return rc;
        memcpy(out + img * i, ganc_net_data(g, gout), sizeof(float) * img * b);
    }
    return GANC_OK;
}
