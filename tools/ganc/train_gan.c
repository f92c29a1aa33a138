/* The GAN family's adapter for the training loop: dcgan (optionally --conditional), gan (the 2014 MLP GAN) and cgan
   (its conditional form), all on the library's ganc_gan_trainer. */
#include <stdio.h>
#include <stdlib.h>
#include <string.h>
#include "train.h"

typedef struct {
    ganc_gan_cfg_t net; /* --size ... --d-in-dropout; the architecture metadata (ganc_gan_meta) */
    const char *loss;
    int conditional, d_steps;
} gan_opts_t;

typedef struct {
    ganc_gan_trainer_t *t;
    gan_opts_t fo;
    ganc_gan_cfg_t cfg; /* with the class count */
    int batch, gbatch, shard, sync_bn, nfix, gcols; /* batch: this rank's part of the global batch gbatch */
    float *xb, *fixed_z, *grid;
    int *lb, *fixed_lab;
    char model[16];
} gan_model_t;

static const log_col_t gan_cols[] = {{"loss_d", "loss D", 1}, {"loss_g", "loss G", 1}, {"d_x", "D(x)", 2},
                                     {"d_g_z1", "D(G(z))", 2}, {"d_g_z2", "D(G(z)) after D's step", 0}};

static void gan_defaults(void *p) {
    gan_opts_t *g = p;
    g->net = ganc_gan_default_cfg();
    g->net.nc = 0; /* from the data source unless given */
    g->loss = "ns";
    g->conditional = 0;
    g->d_steps = 1;
}

static int gan_add_flags(void *p, flag_t *f) {
    gan_opts_t *g = p;
    const flag_t fl[] = {
        {"size", F_INT, &g->net.size, NULL, "image size: dcgan 32 (4 blocks) or 64 (5 blocks, pytorch/examples); gan/cgan 4..128; lapgan 16, 32, 64 or 128", 0, NULL, 1, 4, 128},
        {"channels", F_INT, &g->net.nc, NULL, "image channels, 1 or 3 (default: 1 for IDX data, 3 for folders)", 0, NULL, 1, 0, 64},
        {"nz", F_INT, &g->net.nz, NULL, "latent size (lapgan: of its 8x8 level)", 0, NULL, 1, 1, 4096},
        {"ngf", F_INT, &g->net.ngf, NULL, "generator width (lapgan: of its 8x8 DCGAN level)", 0, NULL, 1, 1, 1024},
        {"ndf", F_INT, &g->net.ndf, NULL, "discriminator width (lapgan: of its 8x8 DCGAN level)", 0, NULL, 1, 1, 1024},
        {"conditional", F_BOOL, &g->conditional, NULL, "dcgan: condition G and D on the label; lapgan: CC-LAPGAN", 0, NULL, 1, 0, 0},
        {"loss", F_STR, &g->loss, "L", "G loss: ns (maximise log D(G(z))) or minimax (minimise log(1-D(G(z))))", 0,
         "loss", 1, 0, 0},
        {"d-steps", F_INT, &g->d_steps, "K", "discriminator updates per generator update (the 2014 paper's k)", 0,
         "d_steps", 1, 1, 100},
        {"g-hidden", F_INT, &g->net.g_hidden, NULL, "gan/cgan, lapgan's 8x8 level: width of G's two ReLU layers", 0, NULL, 1, 1, 16384},
        {"d-units", F_INT, &g->net.d_units, NULL, "gan/cgan, lapgan's 8x8 level: maxout units in each of D's two hidden layers", 0, NULL, 1, 1, 16384},
        {"d-pieces", F_INT, &g->net.d_pieces, NULL, "gan/cgan, lapgan's 8x8 level: pieces per maxout unit", 0, NULL, 1, 1, 16},
        {"d-dropout", F_FLOAT, &g->net.d_dropout, NULL, "gan/cgan, lapgan's 8x8 level: dropout after D's hidden layers", 0, NULL, 1, 0, 0.99},
        {"d-in-dropout", F_FLOAT, &g->net.d_in_dropout, NULL, "gan/cgan, lapgan's 8x8 level: dropout on D's input image", 0, NULL, 1, 0, 0.99},
    };
    memcpy(f, fl, sizeof fl);
    return (int)(sizeof fl / sizeof fl[0]);
}

/* model name, architecture (from the state when resuming), defaults and checks */
static int gan_configure(void *p, run_opts_t *o, const ganc_st_t *st) {
    gan_opts_t *g = p;
    if (st) {
        int is_g;
        if (ganc_gan_cfg_from_file(st, &g->net, &is_g)) {
            fprintf(stderr, "ganc train: cannot resume: %s\n", ganc_errmsg());
            return 1;
        }
        g->conditional = g->net.n_classes > 0;
        if (!ganc_st_meta(st, "model")) o->model = g->net.arch == GANC_ARCH_MLP ? (g->conditional ? "cgan" : "gan") : "dcgan";
    }
    const int dcgan = !strcmp(o->model, "dcgan");
    if (!strcmp(o->model, "cgan")) g->conditional = 1;
    if (!strcmp(o->model, "gan") && g->conditional) {
        fprintf(stderr, "ganc train: the conditional MLP GAN is 'cgan'\n");
        return 2;
    }
    g->net.arch = dcgan ? GANC_ARCH_DCGAN : GANC_ARCH_MLP;
    if (!o->out) o->out = dcgan && g->conditional ? "runs/cdcgan" : dcgan ? "runs/dcgan" : !strcmp(o->model, "gan") ? "runs/gan" : "runs/cgan";
    if (strcmp(g->loss, "ns") && strcmp(g->loss, "minimax")) {
        fprintf(stderr, "ganc train: --loss is ns or minimax\n");
        return 2;
    }
    if (g->d_steps < 1 || g->d_steps > 100) {
        fprintf(stderr, "ganc train: --d-steps must be 1..100\n");
        return 2;
    }
    if (g->net.nc == 0) g->net.nc = train_default_channels(o->data);
    if (!o->iters && !o->epochs && !(o->time_limit > 0)) o->iters = dcgan ? 1500 : 10000; /* minutes on 2 cores */
    ganc_gan_cfg_t c = g->net;
    if (g->conditional && !c.n_classes) c.n_classes = 2; /* checked now; the real count comes from the data */
    if (ganc_gan_check_cfg(&c)) {
        fprintf(stderr, "ganc train: %s\n", ganc_errmsg());
        return 2;
    }
    return 0;
}

static int gan_channels(const void *p, const run_opts_t *o) { (void)o; return ((const gan_opts_t *)p)->net.nc; }
static int gan_size(const void *p) { return ((const gan_opts_t *)p)->net.size; }

static void gan_destroy(void *p) {
    gan_model_t *m = p;
    if (!m) return;
    ganc_gan_trainer_free(m->t);
    free(m->xb); free(m->fixed_z); free(m->grid); free(m->lb); free(m->fixed_lab);
    free(m);
}

/* fixed noise for the progress grids, reproducible from the seed. Conditional: one row per class (up to 16 rows),
   each column one noise vector shared by the rows */
static int fixed_noise(gan_model_t *m, uint64_t seed) {
    const ganc_gan_cfg_t *c = &m->cfg;
    const int C = c->n_classes;
    m->gcols = C ? 10 : 8;
    m->nfix = C ? m->gcols * (C < 16 ? C : 16) : 64;
    m->fixed_z = malloc(sizeof(float) * m->nfix * c->nz);
    m->grid = malloc(sizeof(float) * m->nfix * c->nc * c->size * c->size);
    m->fixed_lab = malloc(sizeof(int) * m->nfix);
    if (!m->fixed_z || !m->grid || !m->fixed_lab) return -1;
    ganc_rng_t frng;
    ganc_rng_seed(&frng, seed * 3 + 4);
    ganc_rng_fill_normal(&frng, m->fixed_z, (size_t)(C ? m->gcols : m->nfix) * c->nz, 0.0f, 1.0f);
    for (int i = 0; i < m->nfix; i++) {
        m->fixed_lab[i] = C ? i / m->gcols : 0;
        if (C && i >= m->gcols)
            memcpy(m->fixed_z + (size_t)i * c->nz, m->fixed_z + (size_t)(i % m->gcols) * c->nz, sizeof(float) * c->nz);
    }
    return 0;
}

static void *gan_create(void *p, const run_opts_t *o, const ganc_dataset_t *ds, int *rc) {
    gan_opts_t *g = p;
    gan_model_t *m = calloc(1, sizeof *m);
    *rc = 1;
    if (!m) { fprintf(stderr, "ganc train: out of memory\n"); return NULL; }
    m->fo = *g;
    m->cfg = g->net;
    const int ranks = ganc_dist_size();
    m->gbatch = o->batch;
    m->batch = o->batch / ranks; /* cmd_train checked that the ranks divide the batch */
    m->shard = ganc_dist_rank();
    m->sync_bn = o->sync_bn;
    snprintf(m->model, sizeof m->model, "%s", o->model);
    if (g->conditional && !(m->cfg.n_classes = train_data_classes(o, ds, g->net.n_classes, rc))) {
        gan_destroy(m);
        return NULL;
    }
    ganc_gan_train_cfg_t tc = {m->cfg, m->batch, o->lr, o->beta1, o->beta2, o->seed,
                               strcmp(g->loss, "minimax") ? GANC_LOSS_NS : GANC_LOSS_MINIMAX, m->shard, ranks};
    if (!(m->t = ganc_gan_trainer_new(&tc))) {
        fprintf(stderr, "ganc train: %s\n", ganc_errmsg());
        gan_destroy(m);
        return NULL;
    }
    if (ranks > 1) { /* gradients averaged over the ranks; BatchNorm over the global batch with --sync-bn */
        ganc_trainer_set_grad_sync(ganc_gan_trainer_core(m->t), ganc_dist_grad_mean, NULL);
        if (o->sync_bn) {
            ganc_net_set_bn_reduce(ganc_gan_g(m->t), ganc_dist_sum, NULL);
            ganc_net_set_bn_reduce(ganc_gan_d(m->t), ganc_dist_sum, NULL);
        }
    }
    m->xb = malloc(sizeof(float) * m->cfg.nc * m->cfg.size * m->cfg.size * o->batch);
    m->lb = malloc(sizeof(int) * o->batch);
    if (!m->xb || !m->lb || fixed_noise(m, o->seed)) {
        fprintf(stderr, "ganc train: out of memory\n");
        gan_destroy(m);
        return NULL;
    }
    return m;
}

static ganc_trainer_t *gan_trainer(void *p) { return ganc_gan_trainer_core(((gan_model_t *)p)->t); }

/* k D steps, each on its own real batch, then one G step. Data-parallel: every rank draws the global batch (the
   same order everywhere) and trains on its part. */
static int gan_step(void *p, ganc_loader_t *ld, float *v) {
    gan_model_t *m = p;
    const int C = m->cfg.n_classes;
    const size_t off = (size_t)m->shard * m->batch;
    ganc_gan_stats_t st = {0};
    int rc = 0;
    for (int k = 0; !rc && k < m->fo.d_steps; k++) {
        ganc_loader_next(ld, m->gbatch, m->xb, C ? m->lb : NULL);
        rc = ganc_gan_d_step(m->t, m->xb + off * m->cfg.nc * m->cfg.size * m->cfg.size, C ? m->lb + off : NULL, &st);
    }
    if (!rc) rc = ganc_gan_g_step(m->t, &st);
    v[0] = st.loss_d; v[1] = st.loss_g; v[2] = st.d_x; v[3] = st.d_g_z1; v[4] = st.d_g_z2;
    return rc;
}

static void gan_progress(void *m, const float *v, int tty, char *buf, size_t cap) {
    (void)m;
    if (tty) snprintf(buf, cap, "D %.3f G %.3f | D(x) %.2f D(G(z)) %.2f/%.2f", v[0], v[1], v[2], v[3], v[4]);
    else snprintf(buf, cap, "loss_D %.4f  loss_G %.4f  D(x) %.3f  D(G(z)) %.3f/%.3f", v[0], v[1], v[2], v[3], v[4]);
}

static int gan_meta(void *p, ganc_meta_t *meta) { return ganc_gan_meta(&((gan_model_t *)p)->cfg, meta); }

/* weights-only files in PyTorch's layout, for load_state_dict: the architecture plus net=G|D */
static int gan_write_weights(void *p, const char *dir, const ganc_meta_t *arch) {
    gan_model_t *m = p;
    ganc_meta_t meta = *arch;
    char path[4096];
    int rc = ganc_meta_set(&meta, "net", "G");
    if (!rc) rc = join_path(path, sizeof path, dir, "G.safetensors");
    if (!rc) rc = ganc_net_save(ganc_gan_g(m->t), path, meta.kv, meta.n);
    if (!rc) rc = ganc_meta_set(&meta, "net", "D");
    if (!rc) rc = join_path(path, sizeof path, dir, "D.safetensors");
    if (!rc) rc = ganc_net_save(ganc_gan_d(m->t), path, meta.kv, meta.n);
    return rc;
}

/* rank 0 alone draws the grid: sync BatchNorm is off meanwhile (no other rank joins its sums) */
static int gan_grid(void *p, const float **x, int *n, int *cols, int *c, int *h, int *w) {
    gan_model_t *m = p;
    ganc_net_t *G = ganc_gan_g(m->t);
    const int sync = m->gbatch != m->batch && m->sync_bn;
    if (sync) ganc_net_set_bn_reduce(G, NULL, NULL);
    int rc = ganc_gan_sample(G, ganc_gan_g_io(m->t), &m->cfg, m->nfix, m->fixed_z, m->fixed_lab, NULL,
                             m->nfix <= m->batch, m->grid);
    if (sync) ganc_net_set_bn_reduce(G, ganc_dist_sum, NULL);
    *x = m->grid; *n = m->nfix; *cols = m->gcols; *c = m->cfg.nc; *h = *w = m->cfg.size;
    return rc;
}

static double gan_fid(void *p, fid_ref_t *ref, uint64_t seed) {
    gan_model_t *m = p;
    return fid_ref_model(ref, ganc_gan_g(m->t), ganc_gan_g_io(m->t), &m->cfg, seed);
}

static const char *gan_summary(void *p, char *buf, size_t cap) {
    gan_model_t *m = p;
    snprintf(buf, cap, "%s%s %dx%dx%d (G %zu, D %zu parameters)", m->model, m->cfg.n_classes ? " (conditional)" : "",
             m->cfg.nc, m->cfg.size, m->cfg.size, ganc_net_nparams(ganc_gan_g(m->t)), ganc_net_nparams(ganc_gan_d(m->t)));
    return buf;
}

const train_family_t family_gan = {
    "dcgan gan cgan", gan_cols, (int)(sizeof gan_cols / sizeof gan_cols[0]), sizeof(gan_opts_t), gan_defaults,
    gan_add_flags, gan_configure, gan_channels, gan_size, gan_create, gan_destroy, gan_trainer, gan_step,
    gan_progress, NULL, gan_meta, gan_write_weights, gan_grid, gan_fid, gan_summary,
    NULL, /* ganc_dataset_load */
    NULL, /* FID against --eval-real */
};
