/* LAPGAN (Denton et al. 2015): a Laplacian pyramid of GANs, coarse to fine. Level networks, the real pyramid,
   coarse-to-fine sampling, and training every level on the library's trainer. Level 0 is the finest (the paper's
   numbering); level K = levels-1 is the 8x8 MLP GAN of gan.c. */
#include <math.h>
#include <stddef.h>
#include <stdio.h>
#include <stdlib.h>
#include <string.h>
#include "ganc.h"

ganc_lapgan_cfg_t ganc_lapgan_default_cfg(void) {
    ganc_lapgan_cfg_t c = {32, 1, 0, 64, 64, 0.5f, ganc_gan_default_cfg()}; /* coarse: DCGAN, nz 100, 64 wide */
    return c;
}

int ganc_lapgan_levels(const ganc_lapgan_cfg_t *c) {
    int L = 1;
    for (int s = c->size; s > 8; s /= 2) L++;
    return L;
}

/* the coarsest level's GAN configuration */
static ganc_gan_cfg_t coarse_cfg(const ganc_lapgan_cfg_t *c) {
    ganc_gan_cfg_t g = c->coarse;
    g.size = 8;
    g.nc = c->nc;
    g.n_classes = c->n_classes;
    return g;
}

int ganc_lapgan_check_cfg(const ganc_lapgan_cfg_t *c) {
    if (c->size != 16 && c->size != 32 && c->size != 64 && c->size != 128)
        return ganc_fail(GANC_EINVAL, "lapgan: size must be a power-of-two multiple of 8 from 16 to 128, got %d",
                         c->size);
    if (c->nc < 1 || c->nc > 4) return ganc_fail(GANC_EINVAL, "lapgan: channels must be 1..4, got %d", c->nc);
    if (c->g_width < 1 || c->g_width > 1024 || c->d_width < 1 || c->d_width > 1024)
        return ganc_fail(GANC_EINVAL, "lapgan: level widths must be 1..1024 (got G %d, D %d)", c->g_width, c->d_width);
    if (!(c->d_dropout >= 0.0f && c->d_dropout < 1.0f))
        return ganc_fail(GANC_EINVAL, "lapgan: D dropout must be in [0,1)");
    ganc_gan_cfg_t g = coarse_cfg(c);
    if (ganc_gan_check_cfg(&g)) return ganc_fail(GANC_EINVAL, "lapgan: coarsest level: %s", ganc_errmsg());
    return GANC_OK;
}

static int level_size(const ganc_lapgan_cfg_t *c, int k) { return c->size >> k; }

/* CC-LAPGAN's class plane: one-hot -> linear -> (1,s,s) */
static int class_plane(ganc_net_t *n, int y, int s) {
    int h = ganc_net_linear(n, "embed", y, s * s, 1);
    return ganc_net_reshape(n, "embed_view", h, 3, (int[]){1, s, s});
}

static ganc_net_t *built(ganc_net_t *n, int out, int max_batch, ganc_lapgan_io_t *io) {
    io->out = out;
    if (out < 0 || ganc_net_build(n, max_batch)) { ganc_net_free(n); return NULL; }
    return n;
}

/* level K: gan.c's networks, their io mapped */
static ganc_net_t *coarse_net(const ganc_lapgan_cfg_t *c, int is_g, int max_batch, ganc_lapgan_io_t *io) {
    ganc_gan_cfg_t g = coarse_cfg(c);
    ganc_gan_io_t gio;
    ganc_net_t *n = is_g ? ganc_gan_generator(&g, max_batch, &gio) : ganc_gan_discriminator(&g, max_batch, &gio);
    *io = (ganc_lapgan_io_t){gio.in, -1, gio.y, gio.out};
    return n;
}

static int bad_level(const ganc_lapgan_cfg_t *c, int k) {
    if (ganc_lapgan_check_cfg(c)) return 1;
    if (k < 0 || k >= ganc_lapgan_levels(c))
        return ganc_fail(GANC_EINVAL, "lapgan: level %d out of range [0,%d)", k, ganc_lapgan_levels(c));
    return 0;
}

ganc_net_t *ganc_lapgan_level_g(const ganc_lapgan_cfg_t *c, int k, int max_batch, ganc_lapgan_io_t *io) {
    if (bad_level(c, k)) return NULL;
    if (k == ganc_lapgan_levels(c) - 1) return coarse_net(c, 1, max_batch, io);
    const int s = level_size(c, k);
    ganc_net_t *n = ganc_net_new("G");
    if (!n) return NULL;
    io->l = ganc_net_input(n, "l", 3, (int[]){c->nc, s, s});
    io->in = ganc_net_input(n, "noise", 3, (int[]){1, s, s});
    int h = ganc_net_concat(n, "cat", io->l, io->in);
    io->y = -1;
    if (c->n_classes) {
        io->y = ganc_net_input(n, "y", 1, (int[]){c->n_classes});
        h = ganc_net_concat(n, "cat_y", h, class_plane(n, io->y, s));
    }
    h = ganc_net_conv2d(n, "main.0", h, c->g_width, 7, 7, 1, 3, 1);
    h = ganc_net_relu(n, "main.1", h);
    h = ganc_net_conv2d(n, "main.2", h, c->g_width, 7, 7, 1, 3, 1);
    h = ganc_net_relu(n, "main.3", h);
    h = ganc_net_conv2d(n, "main.4", h, c->nc, 5, 5, 1, 2, 1);
    return built(n, h, max_batch, io);
}

ganc_net_t *ganc_lapgan_level_d(const ganc_lapgan_cfg_t *c, int k, int max_batch, ganc_lapgan_io_t *io) {
    if (bad_level(c, k)) return NULL;
    if (k == ganc_lapgan_levels(c) - 1) return coarse_net(c, 0, max_batch, io);
    const int s = level_size(c, k);
    ganc_net_t *n = ganc_net_new("D");
    if (!n) return NULL;
    io->l = ganc_net_input(n, "l", 3, (int[]){c->nc, s, s});
    io->in = ganc_net_input(n, "h", 3, (int[]){c->nc, s, s});
    int h = ganc_net_concat(n, "cat", io->l, io->in);
    io->y = -1;
    if (c->n_classes) {
        io->y = ganc_net_input(n, "y", 1, (int[]){c->n_classes});
        h = ganc_net_concat(n, "cat_y", h, class_plane(n, io->y, s));
    }
    h = ganc_net_conv2d(n, "main.0", h, c->d_width, 5, 5, 1, 2, 1);
    h = ganc_net_relu(n, "main.1", h);
    h = ganc_net_conv2d(n, "main.2", h, c->d_width, 5, 5, 2, 2, 1);
    h = ganc_net_relu(n, "main.3", h);
    h = ganc_net_dropout(n, "main.4", h, c->d_dropout);
    h = ganc_net_reshape(n, "main.5", h, 1, (int[]){c->d_width * (s / 2) * (s / 2)});
    h = ganc_net_linear(n, "main.6", h, 1, 1);
    return built(n, h, max_batch, io);
}

int ganc_lapgan_pyramid(const ganc_lapgan_cfg_t *c, const float *x, int n, float *const *img, float *const *lo,
                        float *const *hi) {
    if (ganc_lapgan_check_cfg(c)) return GANC_EINVAL;
    const int L = ganc_lapgan_levels(c), nc = c->nc;
    memcpy(img[0], x, sizeof(float) * n * nc * c->size * c->size);
    for (int k = 0; k + 1 < L; k++) {
        const int s = level_size(c, k);
        const size_t big = (size_t)nc * s * s, small = big / 4;
        for (int i = 0; i < n; i++) {
            int rc = ganc_pyr_down(img[k] + big * i, nc, s, s, img[k + 1] + small * i);
            if (!rc && lo) rc = ganc_pyr_up(img[k + 1] + small * i, nc, s / 2, s / 2, lo[k] + big * i);
            if (rc) return rc;
            for (size_t j = 0; lo && hi && j < big; j++) hi[k][big * i + j] = img[k][big * i + j] - lo[k][big * i + j];
        }
    }
    return GANC_OK;
}

/* ---- metadata: the architecture as key/value pairs */

static const struct {
    const char *key;
    int is_float;
    size_t off;
    double lo, hi;
} lap_fields[] = {
    {"size", 0, offsetof(ganc_lapgan_cfg_t, size), 16, 128},
    {"nc", 0, offsetof(ganc_lapgan_cfg_t, nc), 1, 4},
    {"classes", 0, offsetof(ganc_lapgan_cfg_t, n_classes), 0, 1000},
    {"level_g_width", 0, offsetof(ganc_lapgan_cfg_t, g_width), 1, 1024},
    {"level_d_width", 0, offsetof(ganc_lapgan_cfg_t, d_width), 1, 1024},
    {"level_d_dropout", 1, offsetof(ganc_lapgan_cfg_t, d_dropout), 0, 1},
    {"coarse_arch", 0, offsetof(ganc_lapgan_cfg_t, coarse.arch), 0, 1},
    {"nz", 0, offsetof(ganc_lapgan_cfg_t, coarse.nz), 1, 4096},
    {"ngf", 0, offsetof(ganc_lapgan_cfg_t, coarse.ngf), 1, 1024},
    {"ndf", 0, offsetof(ganc_lapgan_cfg_t, coarse.ndf), 1, 1024},
    {"g_hidden", 0, offsetof(ganc_lapgan_cfg_t, coarse.g_hidden), 1, 16384},
    {"d_units", 0, offsetof(ganc_lapgan_cfg_t, coarse.d_units), 1, 16384},
    {"d_pieces", 0, offsetof(ganc_lapgan_cfg_t, coarse.d_pieces), 1, 16},
    {"d_dropout", 1, offsetof(ganc_lapgan_cfg_t, coarse.d_dropout), 0, 1},
    {"d_in_dropout", 1, offsetof(ganc_lapgan_cfg_t, coarse.d_in_dropout), 0, 1},
};
#define NLAP ((int)(sizeof lap_fields / sizeof lap_fields[0]))

int ganc_lapgan_meta(const ganc_lapgan_cfg_t *c, ganc_meta_t *m) {
    int rc = ganc_meta_set(m, "kind", "lapgan");
    char v[32];
    snprintf(v, sizeof v, "%d", ganc_lapgan_levels(c));
    if (!rc) rc = ganc_meta_set(m, "levels", v);
    for (int i = 0; !rc && i < NLAP; i++) {
        const void *src = (const char *)c + lap_fields[i].off;
        if (lap_fields[i].is_float) snprintf(v, sizeof v, "%.9g", *(const float *)src);
        else snprintf(v, sizeof v, "%d", *(const int *)src);
        rc = ganc_meta_set(m, lap_fields[i].key, v);
    }
    return rc;
}

int ganc_lapgan_cfg_from_file(const ganc_st_t *st, ganc_lapgan_cfg_t *c) {
    const char *path = ganc_st_path(st), *kind = ganc_st_meta(st, "kind");
    *c = ganc_lapgan_default_cfg();
    if (!kind || strcmp(kind, "lapgan"))
        return ganc_fail(GANC_EMISMATCH, "%s: holds %s%s%s, not a lapgan model", path, kind ? "a '" : "no model metadata",
                         kind ? kind : "", kind ? "' model" : "");
    for (int i = 0; i < NLAP; i++) {
        const char *s = ganc_st_meta(st, lap_fields[i].key);
        if (!s) return ganc_fail(GANC_EFORMAT, "%s: lapgan metadata lacks %s", path, lap_fields[i].key);
        double v;
        if (ganc_parse_f64(s, lap_fields[i].lo, lap_fields[i].hi, &v) || (!lap_fields[i].is_float && v != (int)v))
            return ganc_fail(GANC_EFORMAT, "%s: metadata %s = '%s' is not %s in [%g, %g]", path, lap_fields[i].key, s,
                             lap_fields[i].is_float ? "a number" : "an integer", lap_fields[i].lo, lap_fields[i].hi);
        void *dst = (char *)c + lap_fields[i].off;
        if (lap_fields[i].is_float) *(float *)dst = (float)v;
        else *(int *)dst = (int)v;
    }
    const char *lv = ganc_st_meta(st, "levels");
    if (ganc_lapgan_check_cfg(c)) return ganc_fail(GANC_EFORMAT, "%s: %s", path, ganc_errmsg());
    if (lv && atoi(lv) != ganc_lapgan_levels(c))
        return ganc_fail(GANC_EFORMAT, "%s: metadata levels = %s, but size %d has %d levels", path, lv, c->size,
                         ganc_lapgan_levels(c));
    return GANC_OK;
}

/* ---- the generators and coarse-to-fine sampling */

struct ganc_lapgan {
    ganc_lapgan_cfg_t cfg;
    int levels, max_batch, owns;
    ganc_net_t *g[GANC_LAPGAN_MAX_LEVELS];
    ganc_lapgan_io_t io[GANC_LAPGAN_MAX_LEVELS];
    float *img[GANC_LAPGAN_MAX_LEVELS]; /* one batch of I_k per level */
    float *yb;                          /* one batch of one-hot labels */
};

void ganc_lapgan_free(ganc_lapgan_t *m) {
    if (!m) return;
    for (int k = 0; k < GANC_LAPGAN_MAX_LEVELS; k++) {
        if (m->owns) ganc_net_free(m->g[k]);
        free(m->img[k]);
    }
    free(m->yb);
    free(m);
}

/* the sampler's buffers (the networks are added by the caller) */
static ganc_lapgan_t *lapgan_alloc(const ganc_lapgan_cfg_t *c, int max_batch, int owns) {
    if (ganc_lapgan_check_cfg(c)) return NULL;
    if (max_batch < 1 || max_batch > 65536) {
        ganc_fail(GANC_EINVAL, "lapgan: batch must be 1..65536, got %d", max_batch);
        return NULL;
    }
    ganc_lapgan_t *m = calloc(1, sizeof *m);
    if (!m) { ganc_fail(GANC_ENOMEM, "lapgan: out of memory"); return NULL; }
    m->cfg = *c;
    m->levels = ganc_lapgan_levels(c);
    m->max_batch = max_batch;
    m->owns = owns;
    int ok = !c->n_classes || (m->yb = malloc(sizeof(float) * max_batch * c->n_classes));
    for (int k = 0; ok && k < m->levels; k++) {
        const int s = level_size(c, k);
        ok = (m->img[k] = malloc(sizeof(float) * max_batch * c->nc * s * s)) != NULL;
    }
    if (!ok) {
        ganc_lapgan_free(m);
        ganc_fail(GANC_ENOMEM, "lapgan: out of memory");
        return NULL;
    }
    return m;
}

ganc_lapgan_t *ganc_lapgan_new(const ganc_lapgan_cfg_t *c, int max_batch) {
    ganc_lapgan_t *m = lapgan_alloc(c, max_batch, 1);
    for (int k = 0; m && k < m->levels; k++) {
        if (!(m->g[k] = ganc_lapgan_level_g(c, k, max_batch, &m->io[k]))) {
            ganc_lapgan_free(m);
            return NULL;
        }
    }
    return m;
}

int ganc_lapgan_load(ganc_lapgan_t *m, const ganc_st_t *st) {
    for (int i = 0; i < ganc_st_count(st); i++) { /* every tensor belongs to one of the levels' generators */
        const char *n = ganc_st_get(st, i)->name;
        int k = -1, len = 0;
        if (sscanf(n, "level%d.G.%n", &k, &len) < 1 || len == 0 || k < 0 || k >= m->levels)
            return ganc_fail(GANC_EMISMATCH, "%s: tensor %s is not a generator tensor of a %d-level lapgan (level0.G. "
                                             "to level%d.G.)", ganc_st_path(st), n, m->levels, m->levels - 1);
    }
    for (int k = 0; k < m->levels; k++) {
        char prefix[24];
        snprintf(prefix, sizeof prefix, "level%d.G.", k);
        int rc = ganc_net_load_from(m->g[k], st, prefix, 1); /* checks every tensor the level needs */
        if (rc) return rc;
    }
    return GANC_OK;
}

const ganc_lapgan_cfg_t *ganc_lapgan_cfg(const ganc_lapgan_t *m) { return &m->cfg; }

/* one batch of b samples, coarse to fine; I_k of the batch in m->img[k] */
static int sample_batch(ganc_lapgan_t *m, int b, const int *labels, ganc_rng_t *rng) {
    const ganc_lapgan_cfg_t *c = &m->cfg;
    const int K = m->levels - 1, C = c->n_classes;
    if (C) memset(m->yb, 0, sizeof(float) * b * C);
    for (int j = 0; j < b; j++) { /* per sample: its label, z, then each finer level's plane: any batch size draws
                                     the same */
        if (C) {
            int l = labels ? labels[j] : (int)ganc_rng_below(rng, (uint32_t)C);
            if (l < 0 || l >= C) return ganc_fail(GANC_EINVAL, "lapgan: class %d out of range [0,%d)", l, C);
            m->yb[(size_t)j * C + l] = 1.0f;
        }
        for (int k = K; k >= 0; k--) {
            const size_t e = k == K ? (size_t)c->coarse.nz : (size_t)level_size(c, k) * level_size(c, k);
            ganc_rng_fill_normal(rng, ganc_net_data(m->g[k], m->io[k].in) + e * j, e, 0.0f, 1.0f);
        }
    }
    for (int k = K; k >= 0; k--) {
        ganc_net_t *g = m->g[k];
        const ganc_lapgan_io_t *io = &m->io[k];
        const int s = level_size(c, k);
        const size_t per = (size_t)c->nc * s * s;
        if (k < K) {
            float *l = ganc_net_data(g, io->l);
            for (int j = 0; j < b; j++) {
                int rc = ganc_pyr_up(m->img[k + 1] + per / 4 * j, c->nc, s / 2, s / 2, l + per * j);
                if (rc) return rc;
            }
        }
        if (C) ganc_net_set_input(g, io->y, m->yb, b);
        int rc = ganc_net_forward(g, b, 0);
        if (rc) return rc;
        const float *h = ganc_net_data(g, io->out);
        if (k == K) memcpy(m->img[k], h, sizeof(float) * per * b);
        else {
            const float *l = ganc_net_data(g, io->l);
            for (size_t j = 0; j < per * b; j++) m->img[k][j] = l[j] + h[j];
        }
    }
    return GANC_OK;
}

int ganc_lapgan_sample(ganc_lapgan_t *m, int n, const int *labels, ganc_rng_t *rng, float *out, float *const *img,
                       float *const *lo, float *const *hi) {
    const ganc_lapgan_cfg_t *c = &m->cfg;
    if (!rng) return ganc_fail(GANC_EINVAL, "lapgan: sampling needs a random stream");
    for (int i = 0; i < n; i += m->max_batch) {
        const int b = n - i < m->max_batch ? n - i : m->max_batch;
        int rc = sample_batch(m, b, labels ? labels + i : NULL, rng);
        if (rc) return rc;
        for (int k = 0; k < m->levels; k++) {
            const int s = level_size(c, k);
            const size_t per = (size_t)c->nc * s * s, bytes = sizeof(float) * per * b;
            if (k == 0 && out) memcpy(out + per * i, m->img[0], bytes);
            if (img && img[k]) memcpy(img[k] + per * i, m->img[k], bytes);
            if (k == m->levels - 1) continue;
            const float *l = ganc_net_data(m->g[k], m->io[k].l), *h = ganc_net_data(m->g[k], m->io[k].out);
            if (lo && lo[k]) memcpy(lo[k] + per * i, l, bytes);
            if (hi && hi[k]) memcpy(hi[k] + per * i, h, bytes);
        }
    }
    return GANC_OK;
}

/* ---- training */

struct ganc_lapgan_trainer {
    ganc_lapgan_train_cfg_t cfg;
    ganc_trainer_t *tr;
    ganc_lapgan_t *model; /* the generators (owned by tr) and a sampler */
    int levels;
    ganc_net_t *d[GANC_LAPGAN_MAX_LEVELS];
    ganc_lapgan_io_t dio[GANC_LAPGAN_MAX_LEVELS];
    int ig[GANC_LAPGAN_MAX_LEVELS], id[GANC_LAPGAN_MAX_LEVELS];
    float *img[GANC_LAPGAN_MAX_LEVELS], *lo[GANC_LAPGAN_MAX_LEVELS], *hi[GANC_LAPGAN_MAX_LEVELS], *yb;
    ganc_rng_t rng;
};

void ganc_lapgan_trainer_free(ganc_lapgan_trainer_t *t) {
    if (!t) return;
    ganc_trainer_free(t->tr);
    ganc_lapgan_free(t->model);
    for (int k = 0; k < GANC_LAPGAN_MAX_LEVELS; k++) { free(t->img[k]); free(t->lo[k]); free(t->hi[k]); }
    free(t->yb);
    free(t);
}

/* build, initialise and register level k's G and D */
static int add_level(ganc_lapgan_trainer_t *t, int k) {
    const ganc_lapgan_train_cfg_t *cfg = &t->cfg;
    const uint64_t base = cfg->seed * 16 + 2 * (uint64_t)k;
    ganc_net_t *g = ganc_lapgan_level_g(&cfg->net, k, cfg->batch, &t->model->io[k]);
    ganc_net_t *d = g ? ganc_lapgan_level_d(&cfg->net, k, cfg->batch, &t->dio[k]) : NULL;
    if (!g || !d || ganc_net_share_scratch(g, d)) { ganc_net_free(g); ganc_net_free(d); return GANC_EINVAL; }
    if (k == t->levels - 1 && cfg->net.coarse.arch == GANC_ARCH_DCGAN) { /* DCGAN's N(0,0.02) */
        ganc_net_init_dcgan(g, base + 1);
        ganc_net_init_dcgan(d, base + 2);
    } else {
        ganc_net_init_default(g, base + 1);
        ganc_net_init_default(d, base + 2);
    }
    ganc_net_seed(d, cfg->seed * 16 + 12 + (uint64_t)k);
    ganc_optim_cfg_t oc = ganc_adam_cfg(cfg->lr, cfg->beta1, cfg->beta2);
    char name[32];
    snprintf(name, sizeof name, "level%d.G", k);
    t->ig[k] = ganc_trainer_add_net(t->tr, name, g, &oc);
    snprintf(name, sizeof name, "level%d.D", k);
    t->id[k] = t->ig[k] < 0 ? (ganc_net_free(d), -1) : ganc_trainer_add_net(t->tr, name, d, &oc);
    if (t->ig[k] < 0 || t->id[k] < 0) return GANC_EINVAL;
    t->model->g[k] = g;
    t->d[k] = d;
    snprintf(name, sizeof name, "level%d.rngD", k);
    return ganc_trainer_add_rng(t->tr, name, ganc_net_rng(d)) < 0 ? GANC_EINVAL : GANC_OK;
}

ganc_lapgan_trainer_t *ganc_lapgan_trainer_new(const ganc_lapgan_train_cfg_t *cfg) {
    if (cfg->batch < 1 || cfg->batch > 65536 || !(cfg->lr > 0) || cfg->coarse_steps < 0 || cfg->coarse_steps > 64) {
        ganc_fail(GANC_EINVAL, "lapgan: batch must be 1..65536, lr > 0, coarse steps 0..64");
        return NULL;
    }
    ganc_lapgan_trainer_t *t = calloc(1, sizeof *t);
    if (!t) return NULL;
    t->cfg = *cfg;
    const ganc_lapgan_cfg_t *c = &cfg->net;
    int ok = (t->tr = ganc_trainer_new()) && (t->model = lapgan_alloc(c, cfg->batch, 0));
    t->levels = ok ? t->model->levels : 0;
    for (int k = 0; ok && k < t->levels; k++) {
        const size_t per = (size_t)cfg->batch * c->nc * level_size(c, k) * level_size(c, k);
        ok = (t->img[k] = malloc(sizeof(float) * per)) &&
             (k + 1 == t->levels || ((t->lo[k] = malloc(sizeof(float) * per)) && (t->hi[k] = malloc(sizeof(float) * per))));
    }
    if (ok && c->n_classes) ok = (t->yb = malloc(sizeof(float) * cfg->batch * c->n_classes)) != NULL;
    if (!ok) ganc_fail(GANC_ENOMEM, "lapgan: out of memory");
    for (int k = t->levels - 1; ok && k >= 0; k--) ok = add_level(t, k) == GANC_OK;
    ganc_rng_seed(&t->rng, cfg->seed * 16 + 15);
    if (ok) ok = ganc_trainer_add_rng(t->tr, "rng", &t->rng) >= 0;
    if (!ok) { ganc_lapgan_trainer_free(t); return NULL; }
    return t;
}

/* D of level k on the batch in its inputs: forward, BCE against target for every logit, backward */
static int d_pass(ganc_lapgan_trainer_t *t, int k, float target, int fw, int bw, float *loss, float *p) {
    const int B = t->cfg.batch;
    ganc_net_t *d = t->d[k];
    int rc = ganc_net_forward(d, B, fw);
    if (rc) return rc;
    if ((rc = ganc_net_loss(d, t->dio[k].out, GANC_LOSS_BCE_LOGITS, NULL, target, 1.0f, loss))) return rc;
    *p = ganc_mean_sigmoid(ganc_net_data(d, t->dio[k].out), B);
    return ganc_net_backward(d, bw);
}

/* one D update and one G update of level k on the real pyramid in t->img/lo/hi */
static int level_step(ganc_lapgan_trainer_t *t, int k, ganc_gan_stats_t *st) {
    const int B = t->cfg.batch, K = t->levels - 1, s = level_size(&t->cfg.net, k);
    ganc_net_t *g = t->model->g[k], *d = t->d[k];
    const ganc_lapgan_io_t *gio = &t->model->io[k], *dio = &t->dio[k];
    float l_real, l_fake;
    int rc;
    /* D: real (l_k, h_k) -> 1, (l_k, G(noise, l_k)) -> 0 */
    ganc_net_zero_grad(d);
    if (t->yb) ganc_net_set_input(d, dio->y, t->yb, B);
    if (k < K) ganc_net_set_input(d, dio->l, t->lo[k], B);
    if ((rc = ganc_net_set_input(d, dio->in, k < K ? t->hi[k] : t->img[k], B)) ||
        (rc = d_pass(t, k, 1.0f, GANC_TRAIN | GANC_UPDATE_STATS, GANC_NO_INPUT_GRADS, &l_real, &st->d_x)))
        return rc;
    if (k == K) ganc_rng_fill_normal(&t->rng, ganc_net_data(g, gio->in), (size_t)B * t->cfg.net.coarse.nz, 0.0f, 1.0f);
    else {
        ganc_net_set_input(g, gio->l, t->lo[k], B);
        ganc_rng_fill_normal(&t->rng, ganc_net_data(g, gio->in), (size_t)B * s * s, 0.0f, 1.0f);
    }
    if (t->yb) ganc_net_set_input(g, gio->y, t->yb, B);
    if ((rc = ganc_net_forward(g, B, GANC_TRAIN | GANC_UPDATE_STATS)) || (rc = ganc_net_feed(d, dio->in, g, gio->out)) ||
        (rc = d_pass(t, k, 0.0f, GANC_TRAIN | GANC_UPDATE_STATS, GANC_NO_INPUT_GRADS, &l_fake, &st->d_g_z1)))
        return rc;
    st->loss_d = l_real + l_fake;
    if ((rc = ganc_trainer_update(t->tr, t->id[k], st->loss_d))) return rc;
    /* G: non-saturating, through the updated D on the same fake batch */
    ganc_net_zero_grad(g);
    if ((rc = ganc_net_feed(d, dio->in, g, gio->out)) ||
        (rc = d_pass(t, k, 1.0f, GANC_TRAIN, GANC_NO_PARAM_GRADS, &st->loss_g, &st->d_g_z2)) ||
        (rc = ganc_net_add_grad(g, gio->out, ganc_net_grad(d, dio->in), 1.0f)) ||
        (rc = ganc_net_backward(g, GANC_NO_INPUT_GRADS)))
        return rc;
    return ganc_trainer_update(t->tr, t->ig[k], st->loss_g);
}

int ganc_lapgan_train_step(ganc_lapgan_trainer_t *t, const float *real, const int *labels, ganc_gan_stats_t *st) {
    const ganc_lapgan_cfg_t *c = &t->cfg.net;
    const int B = t->cfg.batch, C = c->n_classes, K = t->levels - 1;
    const int cs = t->cfg.coarse_steps > 1 ? t->cfg.coarse_steps : 1;
    const size_t img = (size_t)c->nc * c->size * c->size;
    if (C && !labels) return ganc_fail(GANC_EINVAL, "lapgan: a class-conditional model needs the batch's labels");
    for (int i = 0; C && i < B * cs; i++)
        if (labels[i] < 0 || labels[i] >= C)
            return ganc_fail(GANC_EINVAL, "lapgan: label %d out of range [0,%d)", labels[i], C);
    int rc = 0;
    for (int j = cs - 1; !rc && j >= 0; j--) { /* the extra coarse updates first, then every level on batch 0 */
        if (C) ganc_one_hot(labels + j * B, B, C, t->yb);
        rc = ganc_lapgan_pyramid(c, real + img * B * j, B, t->img, j ? NULL : t->lo, j ? NULL : t->hi);
        for (int k = K; !rc && k >= (j ? K : 0); k--) rc = level_step(t, k, &st[k]);
    }
    if (!rc) ganc_trainer_count_step(t->tr);
    return rc;
}

ganc_trainer_t *ganc_lapgan_trainer_core(ganc_lapgan_trainer_t *t) { return t->tr; }
ganc_lapgan_t *ganc_lapgan_trainer_model(ganc_lapgan_trainer_t *t) { return t->model; }
ganc_net_t *ganc_lapgan_trainer_d(ganc_lapgan_trainer_t *t, int k) {
    return k >= 0 && k < t->levels ? t->d[k] : NULL;
}
