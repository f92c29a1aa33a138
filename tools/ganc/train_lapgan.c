/* The LAPGAN family's adapter for the training loop (Denton et al. 2015; CC-LAPGAN with --conditional), on the
   library's ganc_lapgan_trainer: every level trained once per step on the real pyramids of the same batch. */
#include <math.h>
#include <stdio.h>
#include <stdlib.h>
#include <string.h>
#include "train.h"

typedef struct {
    ganc_lapgan_cfg_t net;
    int conditional, coarse_steps;
    const char *coarse; /* dcgan | mlp */
} lap_opts_t;

typedef struct {
    ganc_lapgan_trainer_t *t;
    ganc_lapgan_cfg_t cfg; /* with the class count */
    int batch, levels, nfix, gcols, ncols, coarse_steps;
    float *xb, *grid;
    int *lb, *fixed_lab;
    uint64_t seed;
    log_col_t cols[MAX_LOG_COLS];
    char names[MAX_LOG_COLS][2][24];
} lap_model_t;

static void lap_defaults(void *p) {
    lap_opts_t *g = p;
    g->net = ganc_lapgan_default_cfg();
    g->net.nc = 0; /* from the data source unless given */
    g->conditional = 0;
    g->coarse = "dcgan";
    g->coarse_steps = 4;
    g->net.g_width = g->net.d_width = 32; /* the paper's 64 is 3x slower here: --level-g-width 64 --level-d-width 64 */
}

/* the flags it shares with the GAN family (size, channels, conditional, the MLP's) take the same value in both */
static int lap_add_flags(void *p, flag_t *f) {
    lap_opts_t *g = p;
    ganc_gan_cfg_t *m = &g->net.coarse;
    const flag_t fl[] = {
        {"size", F_INT, &g->net.size, NULL, "", 0, NULL, 1, 4, 128},
        {"channels", F_INT, &g->net.nc, NULL, "", 0, NULL, 1, 0, 64},
        {"conditional", F_BOOL, &g->conditional, NULL, "", 0, NULL, 1, 0, 0},
        {"nz", F_INT, &m->nz, NULL, "", 0, NULL, 1, 1, 4096},
        {"ngf", F_INT, &m->ngf, NULL, "", 0, NULL, 1, 1, 1024},
        {"ndf", F_INT, &m->ndf, NULL, "", 0, NULL, 1, 1, 1024},
        {"coarse", F_STR, &g->coarse, "ARCH", "lapgan: the 8x8 level, dcgan (2-block DCGAN: --nz --ngf --ndf) or mlp (the "
                                              "paper's MLP GAN: --g-hidden --d-units ...)", 0, NULL, 1, 0, 0},
        {"g-hidden", F_INT, &m->g_hidden, NULL, "", 0, NULL, 1, 1, 16384},
        {"d-units", F_INT, &m->d_units, NULL, "", 0, NULL, 1, 1, 16384},
        {"d-pieces", F_INT, &m->d_pieces, NULL, "", 0, NULL, 1, 1, 16},
        {"d-dropout", F_FLOAT, &m->d_dropout, NULL, "", 0, NULL, 1, 0, 0.99},
        {"d-in-dropout", F_FLOAT, &m->d_in_dropout, NULL, "", 0, NULL, 1, 0, 0.99},
        {"coarse-steps", F_INT, &g->coarse_steps, "K", "lapgan: updates of the cheap 8x8 level per step, each on its "
                                                       "own real batch", 0, "coarse_steps", 0, 1, 64},
        {"level-g-width", F_INT, &g->net.g_width, NULL, "lapgan: feature maps of the finer levels' G (paper: 64)", 0,
         NULL, 1, 1, 1024},
        {"level-d-width", F_INT, &g->net.d_width, NULL, "lapgan: feature maps of the finer levels' D (paper: 64)", 0,
         NULL, 1, 1, 1024},
        {"level-dropout", F_FLOAT, &g->net.d_dropout, NULL, "lapgan: dropout before the finer levels' D output", 0,
         NULL, 1, 0, 0.99},
    };
    memcpy(f, fl, sizeof fl);
    return (int)(sizeof fl / sizeof fl[0]);
}

static int lap_configure(void *p, run_opts_t *o, const ganc_st_t *st) {
    lap_opts_t *g = p;
    if (st) {
        if (ganc_lapgan_cfg_from_file(st, &g->net)) {
            fprintf(stderr, "ganc train: cannot resume: %s\n", ganc_errmsg());
            return 1;
        }
        g->conditional = g->net.n_classes > 0;
        g->coarse = g->net.coarse.arch == GANC_ARCH_MLP ? "mlp" : "dcgan";
    }
    if (strcmp(g->coarse, "dcgan") && strcmp(g->coarse, "mlp")) {
        fprintf(stderr, "ganc train: --coarse is dcgan or mlp\n");
        return 2;
    }
    g->net.coarse.arch = strcmp(g->coarse, "mlp") ? GANC_ARCH_DCGAN : GANC_ARCH_MLP;
    if (ganc_dist_size() > 1) {
        fprintf(stderr, "ganc train: lapgan does not train data-parallel yet (run it without mpirun)\n");
        return 2;
    }
    if (!o->out) o->out = g->conditional ? "runs/cclapgan" : "runs/lapgan";
    if (g->net.nc == 0) g->net.nc = train_default_channels(o->data);
    if (!o->iters && !o->epochs && !(o->time_limit > 0)) o->iters = 500; /* ~9 minutes on 2 cores at size 32 */
    ganc_lapgan_cfg_t c = g->net;
    if (g->conditional && !c.n_classes) c.n_classes = 2; /* checked now; the real count comes from the data */
    if (ganc_lapgan_check_cfg(&c)) {
        fprintf(stderr, "ganc train: %s\n", ganc_errmsg());
        return 2;
    }
    return 0;
}

static int lap_channels(const void *p, const run_opts_t *o) { (void)o; return ((const lap_opts_t *)p)->net.nc; }
static int lap_size(const void *p) { return ((const lap_opts_t *)p)->net.size; }

static void lap_destroy(void *p) {
    lap_model_t *m = p;
    if (!m) return;
    ganc_lapgan_trainer_free(m->t);
    free(m->xb); free(m->grid); free(m->lb); free(m->fixed_lab);
    free(m);
}

/* log columns: each level's D and G losses (coarsest first), then the finest level's D(x) and D(G(z)) */
static void make_columns(lap_model_t *m) {
    int n = 0;
    for (int k = m->levels - 1; k >= 0; k--) {
        const int s = m->cfg.size >> k;
        snprintf(m->names[n][0], sizeof m->names[n][0], "loss_d%d", k);
        snprintf(m->names[n][1], sizeof m->names[n][1], "D %dx%d", s, s);
        m->cols[n] = (log_col_t){m->names[n][0], m->names[n][1], 1};
        n++;
        snprintf(m->names[n][0], sizeof m->names[n][0], "loss_g%d", k);
        snprintf(m->names[n][1], sizeof m->names[n][1], "G %dx%d", s, s);
        m->cols[n] = (log_col_t){m->names[n][0], m->names[n][1], 1};
        n++;
    }
    m->cols[n++] = (log_col_t){"d_x0", "D(x), finest", 2};
    m->cols[n++] = (log_col_t){"d_g_z0", "D(G(z)), finest", 2};
    m->ncols = n;
}

static void *lap_create(void *p, const run_opts_t *o, const ganc_dataset_t *ds, int *rc) {
    lap_opts_t *g = p;
    lap_model_t *m = calloc(1, sizeof *m);
    *rc = 1;
    if (!m) { fprintf(stderr, "ganc train: out of memory\n"); return NULL; }
    m->cfg = g->net;
    m->batch = o->batch;
    m->seed = o->seed;
    m->coarse_steps = g->coarse_steps;
    if (g->conditional && !(m->cfg.n_classes = train_data_classes(o, ds, g->net.n_classes, rc))) {
        lap_destroy(m);
        return NULL;
    }
    m->levels = ganc_lapgan_levels(&m->cfg);
    make_columns(m);
    ganc_lapgan_train_cfg_t tc = {m->cfg, o->batch, o->lr, o->beta1, o->beta2, o->seed, g->coarse_steps};
    if (!(m->t = ganc_lapgan_trainer_new(&tc))) {
        fprintf(stderr, "ganc train: %s\n", ganc_errmsg());
        lap_destroy(m);
        return NULL;
    }
    const int C = m->cfg.n_classes;
    m->gcols = C ? 10 : 8;
    m->nfix = C ? m->gcols * (C < 16 ? C : 16) : 64;
    const size_t img = (size_t)m->cfg.nc * m->cfg.size * m->cfg.size;
    m->xb = malloc(sizeof(float) * img * o->batch * m->coarse_steps);
    m->lb = malloc(sizeof(int) * o->batch * m->coarse_steps);
    m->grid = malloc(sizeof(float) * img * m->nfix);
    m->fixed_lab = malloc(sizeof(int) * m->nfix);
    if (!m->xb || !m->lb || !m->grid || !m->fixed_lab) {
        fprintf(stderr, "ganc train: out of memory\n");
        lap_destroy(m);
        return NULL;
    }
    for (int i = 0; i < m->nfix; i++) m->fixed_lab[i] = C ? i / m->gcols : 0;
    return m;
}

static ganc_trainer_t *lap_trainer(void *p) { return ganc_lapgan_trainer_core(((lap_model_t *)p)->t); }

static const log_col_t *lap_columns(void *p, int *n) {
    lap_model_t *m = p;
    *n = m->ncols;
    return m->cols;
}

static int lap_step(void *p, ganc_loader_t *ld, float *v) {
    lap_model_t *m = p;
    ganc_gan_stats_t st[GANC_LAPGAN_MAX_LEVELS] = {{0}};
    const int C = m->cfg.n_classes;
    ganc_loader_next(ld, m->batch * m->coarse_steps, m->xb, C ? m->lb : NULL);
    int rc = ganc_lapgan_train_step(m->t, m->xb, C ? m->lb : NULL, st), n = 0;
    for (int k = m->levels - 1; k >= 0; k--) {
        v[n++] = st[k].loss_d;
        v[n++] = st[k].loss_g;
    }
    v[n++] = st[0].d_x;
    v[n++] = st[0].d_g_z1;
    return rc;
}

static void lap_progress(void *p, const float *v, int tty, char *buf, size_t cap) {
    lap_model_t *m = p;
    size_t o = 0;
    for (int i = 0; i < m->levels && o < cap; i++) {
        const int s = m->cfg.size >> (m->levels - 1 - i);
        if (tty) o += (size_t)snprintf(buf + o, cap - o, "%s%d: D %.2f G %.2f", i ? " | " : "", s, v[2 * i], v[2 * i + 1]);
        else o += (size_t)snprintf(buf + o, cap - o, "%s%dx%d: loss_D %.4f loss_G %.4f", i ? "  " : "", s, s, v[2 * i],
                                   v[2 * i + 1]);
    }
    (void)o;
}

static int lap_meta(void *p, ganc_meta_t *meta) { return ganc_lapgan_meta(&((lap_model_t *)p)->cfg, meta); }

/* G.safetensors: every level's generator as level{k}.G.*; D.safetensors: the discriminators as level{k}.D.* */
static int lap_write_weights(void *p, const char *dir, const ganc_meta_t *arch) {
    lap_model_t *m = p;
    ganc_trainer_t *tr = ganc_lapgan_trainer_core(m->t);
    int rc = 0;
    for (int which = 0; !rc && which < 2; which++) {
        ganc_meta_t meta = *arch;
        char path[4096], name[32];
        ganc_stw_t *w = ganc_stw_new();
        rc = w ? ganc_meta_set(&meta, "net", which ? "D" : "G") : ganc_fail(GANC_ENOMEM, "out of memory");
        for (int k = 0; !rc && k < m->levels; k++) {
            snprintf(name, sizeof name, "level%d.%s", k, which ? "D" : "G");
            ganc_net_t *n = ganc_trainer_net(tr, ganc_trainer_find(tr, name));
            strcat(name, ".");
            rc = ganc_net_add_to(n, w, name);
        }
        if (!rc) rc = ganc_meta_write(&meta, w);
        if (!rc) rc = join_path(path, sizeof path, dir, which ? "D.safetensors" : "G.safetensors");
        if (!rc) rc = ganc_stw_write(w, path);
        ganc_stw_free(w);
    }
    return rc;
}

/* the same noise every time: the sampler's stream re-seeded from the run's seed */
static int lap_grid(void *p, const float **x, int *n, int *cols, int *c, int *h, int *w) {
    lap_model_t *m = p;
    ganc_rng_t r;
    ganc_rng_seed(&r, m->seed * 3 + 4);
    int rc = ganc_lapgan_sample(ganc_lapgan_trainer_model(m->t), m->nfix, m->cfg.n_classes ? m->fixed_lab : NULL, &r,
                                m->grid, NULL, NULL, NULL);
    *x = m->grid; *n = m->nfix; *cols = m->gcols; *c = m->cfg.nc; *h = *w = m->cfg.size;
    return rc;
}

static double lap_fid(void *p, fid_ref_t *ref, uint64_t seed) {
    lap_model_t *m = p;
    const int c = m->cfg.nc, s = m->cfg.size;
    int n;
    float *buf = fid_ref_buffer(ref, c, s, s, &n);
    ganc_rng_t r;
    ganc_rng_seed(&r, seed);
    if (!buf || ganc_lapgan_sample(ganc_lapgan_trainer_model(m->t), n, NULL, &r, buf, NULL, NULL, NULL)) return NAN;
    return fid_ref_score(ref, c, s, s);
}

static const char *lap_summary(void *p, char *buf, size_t cap) {
    lap_model_t *m = p;
    ganc_trainer_t *tr = ganc_lapgan_trainer_core(m->t);
    size_t np = 0;
    for (int i = 0; i < ganc_trainer_nnets(tr); i++) np += ganc_net_nparams(ganc_trainer_net(tr, i));
    snprintf(buf, cap, "lapgan%s %dx%dx%d, %d levels 8..%d (%zu parameters)", m->cfg.n_classes ? " (CC-LAPGAN)" : "",
             m->cfg.nc, m->cfg.size, m->cfg.size, m->levels, m->cfg.size, np);
    return buf;
}

const train_family_t family_lapgan = {
    "lapgan", NULL, 0, sizeof(lap_opts_t), lap_defaults, lap_add_flags, lap_configure, lap_channels, lap_size,
    lap_create, lap_destroy, lap_trainer, lap_step, lap_progress, lap_columns, lap_meta, lap_write_weights, lap_grid,
    lap_fid, lap_summary,
    NULL, /* ganc_dataset_load */
    NULL, /* FID against --eval-real */
};
