/* The SimGAN family's adapter for the training loop (Shrivastava et al. 2016): a refiner learns to make labelled
   synthetic images (--synthetic DIR, e.g. from `ganc synth digits`) look like unlabelled real ones (--real SRC; their
   labels, if any, are never read). The run's first --pretrain-r steps train R on self-regularisation alone, the
   next --pretrain-d steps D alone, then each step is K_g R updates and K_d D updates. Synthetic batches come in the
   loader's seeded order; real batches are drawn with a stream that is part of the state. */
#include <math.h>
#include <stdio.h>
#include <stdlib.h>
#include <string.h>
#include "train.h"

typedef struct {
    ganc_simgan_cfg_t net;
    const char *synthetic, *real, *d_kind;
    float lambda, d_noise;
    int history, kg, kd, pre_r, pre_d;
    ganc_dataset_t reals; /* loaded by sim_load, handed to the model */
} sim_opts_t;

typedef struct {
    ganc_simgan_trainer_t *t;
    ganc_simgan_cfg_t cfg;
    int batch, kg, kd, pre_r, pre_d;
    ganc_dataset_t real;
    const ganc_dataset_t *synth;
    ganc_rng_t rng;        /* which real images form a batch */
    float *xs, *xr, *grid; /* synthetic batches (kg + kd), real batches (kd), the progress grid */
    int *ridx;
} sim_model_t;

enum { GRID_COLS = 10 };

/* ganc's defaults for 8x8 digits on 2 CPU cores; the paper's refiner: --r-blocks 4 --r-width 64 */
static void sim_defaults(void *p) {
    sim_opts_t *g = p;
    g->net = ganc_simgan_default_cfg();
    g->synthetic = NULL;
    g->real = "sklearn-digits";
    g->d_kind = "local";
    g->lambda = 20.0f; /* the evaluated default (README: SimGAN); 5 changes what many digits show */
    g->history = 1024;
    g->kg = 1;
    g->kd = 1;
    g->pre_r = 200;
    g->pre_d = 100;
    g->d_noise = 0;
}

static int sim_add_flags(void *p, flag_t *f) {
    sim_opts_t *g = p;
    const flag_t fl[] = {
        {"synthetic", F_STR, &g->synthetic, "DIR", "simgan: the labelled synthetic images (images.npy + labels.npy; "
         "ganc synth digits)", 0, "synthetic", 1, 0, 0},
        {"real", F_STR, &g->real, "SRC", "simgan: the unlabelled real images (default sklearn-digits; labels unused)", 0,
         "real", 1, 0, 0},
        {"sim-size", F_INT, &g->net.size, NULL, "simgan: working resolution (even; 8: the real digits' own)", 0, "sim_size", 1, 4, 1024},
        {"r-blocks", F_INT, &g->net.blocks, NULL, "simgan: refiner ResNet blocks (paper: 4)", 0, "r_blocks", 1, 0, 64},
        {"r-width", F_INT, &g->net.width, NULL, "simgan: refiner feature maps (paper: 64)", 0, "r_width", 1, 1, 1024},
        {"sim-d-width", F_INT, &g->net.d_width, NULL, "simgan: D's first width", 0, "sim_d_width", 1, 1, 1024},
        {"d", F_STR, &g->d_kind, "KIND", "simgan: local (a logit per 5x5 patch; the paper's idea) or global (one logit)", 0,
         "d_kind", 1, 0, 0},
        {"lambda", F_FLOAT, &g->lambda, NULL, "simgan: weight of the self-regularisation mean |R(x)-x|", 0, "lambda", 1,
         0, 1e6},
        {"history", F_INT, &g->history, NULL, "simgan: refined images kept for D (0: no history buffer)", 0, "history",
         1, 0, 1 << 20},
        {"kg", F_INT, &g->kg, NULL, "simgan: refiner updates per step (K_g)", 0, "kg", 1, 1, 100},
        {"kd", F_INT, &g->kd, NULL, "simgan: D updates per step (K_d)", 0, "kd", 1, 1, 100},
        {"pretrain-r", F_INT, &g->pre_r, NULL, "simgan: first steps training R on self-regularisation only", 0,
         "pretrain_r", 1, 0, 1000000},
        {"d-noise", F_FLOAT, &g->d_noise, NULL, "simgan: std of Gaussian noise added to every image D sees (0: none)", 0,
         "d_noise", 1, 0, 10},
        {"pretrain-d", F_INT, &g->pre_d, NULL, "simgan: then steps training D alone", 0, "pretrain_d", 1, 0, 1000000},
    };
    memcpy(f, fl, sizeof fl);
    return (int)(sizeof fl / sizeof fl[0]);
}

static int sim_configure(void *p, run_opts_t *o, const ganc_st_t *st) {
    sim_opts_t *g = p;
    (void)st;
    if (!g->synthetic && flag_seen(o->flags, o->nflags, "data")) g->synthetic = o->data;
    if (!g->synthetic) {
        fprintf(stderr, "ganc train: simgan needs --synthetic DIR (labelled synthetic images: ganc synth digits --out "
                        "DIR)\n");
        return 2;
    }
    o->data = g->synthetic;
    if (strcmp(g->d_kind, "local") && strcmp(g->d_kind, "global")) {
        fprintf(stderr, "ganc train: --d is local or global\n");
        return 2;
    }
    g->net.d_global = !strcmp(g->d_kind, "global");
    if (ganc_simgan_check_cfg(&g->net)) {
        fprintf(stderr, "ganc train: %s\n", ganc_errmsg());
        return 2;
    }
    if (o->batch % 2 || (g->history && g->history < o->batch / 2)) {
        fprintf(stderr, "ganc train: simgan needs an even --batch and a --history of 0 or at least batch/2\n");
        return 2;
    }
    if (ganc_dist_size() > 1) {
        fprintf(stderr, "ganc train: simgan does not train data-parallel yet\n");
        return 2;
    }
    if (!flag_seen(o->flags, o->nflags, "eval-real")) o->eval_real = g->real;
    if (!o->out) o->out = "runs/simgan";
    if (!o->iters && !o->epochs && !(o->time_limit > 0)) o->iters = 2000; /* about 3 minutes on 2 cores */
    return 0;
}

static int sim_load(void *p, const run_opts_t *o, ganc_dataset_t *ds) {
    sim_opts_t *g = p;
    const int s = g->net.size, c = g->net.nc;
    printf("loading %s (synthetic) and %s (real) at %dx%d ...\n", g->synthetic, g->real, s, s);
    fflush(stdout);
    if (ganc_dataset_load(ds, g->synthetic, s, c, 0) || ganc_dataset_load(&g->reals, g->real, s, c, 0)) {
        fprintf(stderr, "ganc train: %s\n", ganc_errmsg());
        return 1;
    }
    if (ds->n < o->batch || g->reals.n < 1) {
        fprintf(stderr, "ganc train: %d synthetic images for a batch of %d\n", ds->n, o->batch);
        return 1;
    }
    return 0;
}

static int sim_channels(const void *p, const run_opts_t *o) { (void)o; return ((const sim_opts_t *)p)->net.nc; }
static int sim_size(const void *p) { return ((const sim_opts_t *)p)->net.size; }

static void sim_destroy(void *p) {
    sim_model_t *m = p;
    if (!m) return;
    ganc_simgan_trainer_free(m->t);
    ganc_dataset_free(&m->real);
    free(m->xs); free(m->xr); free(m->grid); free(m->ridx);
    free(m);
}

static void *sim_create(void *p, const run_opts_t *o, const ganc_dataset_t *ds, int *rc) {
    sim_opts_t *g = p;
    sim_model_t *m = calloc(1, sizeof *m);
    *rc = 1;
    if (!m) { fprintf(stderr, "ganc train: out of memory\n"); return NULL; }
    m->real = g->reals; /* the model owns it from here */
    memset(&g->reals, 0, sizeof g->reals);
    m->synth = ds;
    m->cfg = g->net;
    m->batch = o->batch;
    m->kg = g->kg; m->kd = g->kd; m->pre_r = g->pre_r; m->pre_d = g->pre_d;
    const size_t per = (size_t)m->cfg.nc * m->cfg.size * m->cfg.size;
    m->xs = malloc(sizeof(float) * per * o->batch * (g->kg + g->kd));
    m->xr = malloc(sizeof(float) * per * o->batch * g->kd);
    m->grid = malloc(sizeof(float) * per * 3 * GRID_COLS);
    m->ridx = malloc(sizeof(int) * o->batch);
    ganc_rng_seed(&m->rng, o->seed * 7 + 2);
    ganc_simgan_train_cfg_t tc = {m->cfg, o->batch, o->lr, o->beta1, o->beta2, o->seed, g->lambda, g->history,
                                  g->kg, g->kd, g->d_noise};
    if (!m->xs || !m->xr || !m->grid || !m->ridx || !(m->t = ganc_simgan_trainer_new(&tc)) ||
        ganc_trainer_add_rng(ganc_simgan_trainer_core(m->t), "real_rng", &m->rng) < 0) {
        fprintf(stderr, "ganc train: %s\n", ganc_errmsg());
        sim_destroy(m);
        return NULL;
    }
    *rc = 0;
    return m;
}

static ganc_trainer_t *sim_trainer(void *p) { return ganc_simgan_trainer_core(((sim_model_t *)p)->t); }

static void real_batch(sim_model_t *m, float *x) {
    const size_t per = (size_t)m->cfg.nc * m->cfg.size * m->cfg.size;
    for (int b = 0; b < m->batch; b++)
        memcpy(x + per * b, m->real.x + per * ganc_rng_below(&m->rng, (uint32_t)m->real.n), sizeof(float) * per);
}

static int sim_step(void *p, ganc_loader_t *ld, float *v) {
    sim_model_t *m = p;
    const size_t bs = (size_t)m->batch * m->cfg.nc * m->cfg.size * m->cfg.size;
    const int64_t step = ganc_trainer_step(sim_trainer(m));
    ganc_simgan_stats_t s = {NAN, NAN, NAN, NAN, NAN};
    int rc;
    if (step < m->pre_r) { /* R: self-regularisation only */
        ganc_loader_next(ld, m->batch, m->xs, NULL);
        if (!(rc = ganc_simgan_r_step(m->t, m->xs, 0, &s))) ganc_trainer_count_step(sim_trainer(m));
    } else if (step < m->pre_r + m->pre_d) { /* D alone */
        ganc_loader_next(ld, m->batch, m->xs, NULL);
        real_batch(m, m->xr);
        if (!(rc = ganc_simgan_d_step(m->t, m->xs, m->xr, &s))) ganc_trainer_count_step(sim_trainer(m));
    } else {
        for (int k = 0; k < m->kg + m->kd; k++) ganc_loader_next(ld, m->batch, m->xs + bs * k, NULL);
        for (int k = 0; k < m->kd; k++) real_batch(m, m->xr + bs * k);
        rc = ganc_simgan_train_step(m->t, m->xs, m->xr, &s);
    }
    v[0] = s.adv; v[1] = s.reg; v[2] = s.d_loss; v[3] = s.d_real; v[4] = s.d_fake;
    return rc;
}

static const log_col_t sim_cols[] = {{"adv", "R adversarial -log D(R(x))", 1}, {"reg", "mean |R(x) - x|", 1},
                                     {"loss_d", "D loss", 1}, {"d_x", "D(real)", 2}, {"d_r_x", "D(R(x))", 2}};

static void sim_progress(void *p, const float *v, int tty, char *buf, size_t cap) {
    (void)p; (void)tty;
    snprintf(buf, cap, "adv %.3f reg %.4f D %.3f D(y) %.2f D(R(x)) %.2f", v[0], v[1], v[2], v[3], v[4]);
}

static int sim_meta(void *p, ganc_meta_t *meta) { return ganc_simgan_meta(&((sim_model_t *)p)->cfg, meta); }

static int sim_write_weights(void *p, const char *dir, const ganc_meta_t *arch) {
    sim_model_t *m = p;
    char path[4096];
    int rc = GANC_OK;
    for (int k = 0; !rc && k < 2; k++) {
        ganc_meta_t meta = *arch;
        ganc_stw_t *w = ganc_stw_new();
        rc = w ? ganc_meta_set(&meta, "net", k ? "D" : "R") : ganc_fail(GANC_ENOMEM, "out of memory");
        if (!rc && k) rc = ganc_meta_set(&meta, "d", m->cfg.d_global ? "global" : "local");
        if (!rc) rc = ganc_net_add_to(k ? ganc_simgan_trainer_d(m->t) : ganc_simgan_r(m->t), w, "");
        if (!rc) rc = ganc_meta_write(&meta, w);
        if (!rc) rc = join_path(path, sizeof path, dir, k ? "D.safetensors" : "R.safetensors");
        if (!rc) rc = ganc_stw_write(w, path);
        ganc_stw_free(w);
    }
    return rc;
}

/* refine n images of x into y with the training R (no BatchNorm or Dropout: its state is untouched) */
static int refine_now(sim_model_t *m, const float *x, int n, float *y) {
    return ganc_simgan_run(ganc_simgan_r(m->t), ganc_simgan_r_io(m->t), x, n, y);
}

/* rows: the first synthetic image of each digit 0..9 (or the first ten), refined, and ten real images */
static int sim_grid(void *p, const float **x, int *n, int *cols, int *c, int *h, int *w) {
    sim_model_t *m = p;
    const size_t per = (size_t)m->cfg.nc * m->cfg.size * m->cfg.size;
    for (int j = 0; j < GRID_COLS; j++) {
        int i = j % m->synth->n;
        for (int k = 0; m->synth->labels && k < m->synth->n; k++)
            if (m->synth->labels[k] == j) { i = k; break; }
        memcpy(m->grid + per * j, m->synth->x + per * i, sizeof(float) * per);
        memcpy(m->grid + per * (2 * GRID_COLS + j), m->real.x + per * ((size_t)j * 97 % m->real.n), sizeof(float) * per);
    }
    *x = m->grid; *n = 3 * GRID_COLS; *cols = GRID_COLS; *c = m->cfg.nc; *h = *w = m->cfg.size;
    return refine_now(m, m->grid, GRID_COLS, m->grid + per * GRID_COLS);
}

/* --eval-every: FID of the refined first synthetic images against the real reference */
static double sim_fid(void *p, fid_ref_t *ref, uint64_t seed) {
    sim_model_t *m = p;
    (void)seed;
    int n;
    float *buf = fid_ref_buffer(ref, m->cfg.nc, m->cfg.size, m->cfg.size, &n);
    if (!buf || n > m->synth->n || refine_now(m, m->synth->x, n, buf)) return NAN;
    return fid_ref_score(ref, m->cfg.nc, m->cfg.size, m->cfg.size);
}

static const char *sim_summary(void *p, char *buf, size_t cap) {
    sim_model_t *m = p;
    snprintf(buf, cap, "simgan %dx%dx%d, R %d blocks of width %d (%zu parameters), %s D (%zu parameters), %d real "
             "images", m->cfg.nc, m->cfg.size, m->cfg.size, m->cfg.blocks, m->cfg.width,
             ganc_net_nparams(ganc_simgan_r(m->t)), m->cfg.d_global ? "global" : "local",
             ganc_net_nparams(ganc_simgan_trainer_d(m->t)), m->real.n);
    return buf;
}

const train_family_t family_simgan = {
    "simgan", sim_cols, 5, sizeof(sim_opts_t), sim_defaults, sim_add_flags, sim_configure, sim_channels, sim_size,
    sim_create, sim_destroy, sim_trainer, sim_step, sim_progress, NULL, sim_meta, sim_write_weights, sim_grid, sim_fid,
    sim_summary, sim_load, NULL,
};
