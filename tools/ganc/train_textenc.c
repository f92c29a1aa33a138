/* The text encoder's adapter for the training loop (Reed et al. 2016): the char-CNN-RNN and a small image encoder
   trained together on the captioned emoji (--data emoji[:PATH]) with the symmetric structured joint-embedding
   hinge. Each step takes a batch of distinct training emoji (the loader's seeded order) and one of each emoji's
   captions (drawn with a stream that is part of the state). The held-out emoji are never trained on: --eval-every
   and every checkpoint measure text -> image retrieval on them (RUN/retrieval.json), and the progress grid shows,
   for held-out captions, the true image and the five images the caption ranks first. */
#include <math.h>
#include <stdio.h>
#include <stdlib.h>
#include <string.h>
#include "train.h"

typedef struct {
    ganc_textenc_cfg_t net;
    int size;
    ganc_emoji_t emoji; /* loaded by te_load, handed to the model */
} te_opts_t;

typedef struct {
    ganc_textenc_trainer_t *t;
    ganc_textenc_cfg_t cfg;
    int size, batch, ntrain, nheld;
    ganc_emoji_t e;
    int *train, *held, *idx;  /* emoji indices */
    const char **caps;        /* a batch of captions; then the held-out ones */
    float *x, *grid, *ie, *te;
    ganc_rng_t rng;
    double top1, top5, top1_all, top5_all; /* held-out retrieval: the names (caption 0); every caption */
} te_model_t;

enum { GRID_ROWS = 8, GRID_COLS = 6 };

static void te_defaults(void *p) {
    te_opts_t *g = p;
    g->net = ganc_textenc_default_cfg();
    g->size = 64;
}

static int te_add_flags(void *p, flag_t *f) {
    te_opts_t *g = p;
    const flag_t fl[] = {
        {"te-conv", F_INT, &g->net.conv, NULL, "textenc: char-CNN channels", 0, "te_conv", 1, 1, 4096},
        {"te-hidden", F_INT, &g->net.hidden, NULL, "textenc: LSTM hidden size", 0, "te_hidden", 1, 1, 4096},
        {"te-dim", F_INT, &g->net.dim, NULL, "textenc: embedding size", 0, "te_dim", 1, 1, 4096},
        {"te-img-width", F_INT, &g->net.img_width, NULL, "textenc: the image encoder's first width", 0, "te_img_width",
         1, 1, 1024},
    };
    memcpy(f, fl, sizeof fl);
    return (int)(sizeof fl / sizeof fl[0]);
}

static int te_configure(void *p, run_opts_t *o, const ganc_st_t *st) {
    (void)p;
    if (!st && !flag_seen(o->flags, o->nflags, "data")) o->data = "emoji"; /* resuming: the run's own --data */
    if (strncmp(o->data, "emoji", 5) || (o->data[5] && o->data[5] != ':')) {
        fprintf(stderr, "ganc train: textenc trains on captioned emoji: --data emoji[:PATH] (PATH: the unpacked "
                        "ruby-gemojione gem; scripts/get_emoji.sh)\n");
        return 2;
    }
    if (ganc_dist_size() > 1) {
        fprintf(stderr, "ganc train: textenc does not train data-parallel yet\n");
        return 2;
    }
    if (!o->out) o->out = "runs/textenc";
    o->eval_real = "held-out emoji: text -> image top-1";
    if (!st && !flag_seen(o->flags, o->nflags, "lr")) o->lr = 1e-3f;
    if (!st && !flag_seen(o->flags, o->nflags, "beta1")) o->beta1 = 0.9f;
    if (!o->iters && !o->epochs && !(o->time_limit > 0)) o->iters = 1500;
    return 0;
}

static int te_load(void *p, const run_opts_t *o, ganc_dataset_t *ds) {
    te_opts_t *g = p;
    printf("loading %s at %dx%d ...\n", o->data, g->size, g->size);
    fflush(stdout);
    if (ganc_emoji_load(&g->emoji, o->data[5] == ':' ? o->data + 6 : NULL, g->size)) {
        fprintf(stderr, "ganc train: %s\n", ganc_errmsg());
        return 1;
    }
    int ntrain = 0;
    for (int i = 0; i < g->emoji.n; i++) ntrain += !g->emoji.held_out[i];
    if (ntrain < o->batch) {
        fprintf(stderr, "ganc train: %d training emoji for a batch of %d\n", ntrain, o->batch);
        ganc_emoji_free(&g->emoji);
        return 1;
    }
    ds->n = ntrain; /* the loader's order runs over the training emoji; the model holds the images */
    ds->c = 3;
    ds->h = ds->w = g->size;
    return 0;
}

static int te_channels(const void *p, const run_opts_t *o) { (void)p; (void)o; return 3; }
static int te_size(const void *p) { return ((const te_opts_t *)p)->size; }

static void te_destroy(void *p) {
    te_model_t *m = p;
    if (!m) return;
    ganc_textenc_trainer_free(m->t);
    ganc_emoji_free(&m->e);
    free(m->train); free(m->held); free(m->idx); free(m->caps); free(m->x); free(m->grid); free(m->ie); free(m->te);
    free(m);
}

static void *te_create(void *p, const run_opts_t *o, const ganc_dataset_t *ds, int *rc) {
    te_opts_t *g = p;
    te_model_t *m = calloc(1, sizeof *m);
    *rc = 1;
    if (!m) { fprintf(stderr, "ganc train: out of memory\n"); return NULL; }
    m->e = g->emoji;
    memset(&g->emoji, 0, sizeof g->emoji);
    m->cfg = g->net;
    m->size = g->size;
    m->batch = o->batch;
    const int n = m->e.n, ncap = n * GANC_EMOJI_MAX_CAPTIONS;
    const size_t per = (size_t)3 * m->size * m->size;
    m->train = malloc(sizeof(int) * n);
    m->held = malloc(sizeof(int) * n);
    m->idx = malloc(sizeof(int) * o->batch);
    m->caps = malloc(sizeof(char *) * (ncap > o->batch ? ncap : o->batch));
    m->x = malloc(sizeof(float) * per * (n > o->batch ? n : o->batch));
    m->grid = malloc(sizeof(float) * per * GRID_ROWS * GRID_COLS);
    m->ie = malloc(sizeof(float) * (size_t)n * m->cfg.dim);
    m->te = malloc(sizeof(float) * (size_t)ncap * m->cfg.dim);
    for (int i = 0; m->train && m->held && i < n; i++) {
        if (m->e.held_out[i]) m->held[m->nheld++] = i;
        else m->train[m->ntrain++] = i;
    }
    (void)ds;
    ganc_rng_seed(&m->rng, o->seed * 7 + 3);
    ganc_textenc_train_cfg_t tc = {m->cfg, m->size, o->batch, o->lr, o->beta1, o->beta2, o->seed};
    if (!m->train || !m->held || !m->idx || !m->caps || !m->x || !m->grid || !m->ie || !m->te ||
        !(m->t = ganc_textenc_trainer_new(&tc)) ||
        ganc_trainer_add_rng(ganc_textenc_trainer_core(m->t), "caption_rng", &m->rng) < 0) {
        fprintf(stderr, "ganc train: %s\n", ganc_errmsg());
        te_destroy(m);
        return NULL;
    }
    m->top1 = m->top5 = NAN;
    *rc = 0;
    return m;
}

static ganc_trainer_t *te_trainer(void *p) { return ganc_textenc_trainer_core(((te_model_t *)p)->t); }

static int te_step(void *p, ganc_loader_t *ld, float *v) {
    te_model_t *m = p;
    const size_t per = (size_t)3 * m->size * m->size;
    ganc_loader_next_idx(ld, m->batch, m->idx);
    for (int b = 0; b < m->batch; b++) {
        const int e = m->train[m->idx[b]];
        memcpy(m->x + per * b, m->e.x + per * e, sizeof(float) * per);
        m->caps[b] = m->e.cap[(size_t)e * GANC_EMOJI_MAX_CAPTIONS + ganc_rng_below(&m->rng, (uint32_t)m->e.ncap[e])];
    }
    return ganc_textenc_step(m->t, m->x, m->caps, &v[0]);
}

/* held-out retrieval: every held-out image against (a) each emoji's name, (b) all its captions, ranked among the
   held-out images; fills m->ie (images) and m->te (names first, nheld of them) */
static int retrieval(te_model_t *m) {
    ganc_textenc_io_t tio, iio;
    ganc_net_t *tn = ganc_textenc_text(m->t, &tio), *in = ganc_textenc_image(m->t, &iio);
    const size_t per = (size_t)3 * m->size * m->size, D = (size_t)m->cfg.dim;
    const int H = m->nheld;
    for (int i = 0; i < H; i++) memcpy(m->x + per * i, m->e.x + per * m->held[i], sizeof(float) * per);
    int rc = ganc_textenc_embed_images(in, &iio, m->x, H, m->ie);
    int nc = 0, *owner = malloc(sizeof(int) * H * GANC_EMOJI_MAX_CAPTIONS);
    int *rank = malloc(sizeof(int) * H * GANC_EMOJI_MAX_CAPTIONS);
    if (!owner || !rank) rc = ganc_fail(GANC_ENOMEM, "out of memory");
    for (int k = 0; !rc && k < GANC_EMOJI_MAX_CAPTIONS; k++) /* captions grouped by index: names first */
        for (int i = 0; i < H; i++)
            if (k < m->e.ncap[m->held[i]]) { owner[nc] = i; m->caps[nc++] = m->e.cap[(size_t)m->held[i] * GANC_EMOJI_MAX_CAPTIONS + k]; }
    if (!rc) rc = ganc_textenc_embed(tn, &tio, m->caps, nc, m->te);
    if (!rc) rc = ganc_textenc_ranks(m->ie, H, m->te, nc, owner, (int)D, rank);
    long h1 = 0, h5 = 0, a1 = 0, a5 = 0;
    for (int c = 0; !rc && c < nc; c++) {
        a1 += rank[c] == 1; a5 += rank[c] <= 5;
        if (c < H) { h1 += rank[c] == 1; h5 += rank[c] <= 5; }
    }
    if (!rc) {
        m->top1 = (double)h1 / H; m->top5 = (double)h5 / H;
        m->top1_all = (double)a1 / nc; m->top5_all = (double)a5 / nc;
    }
    free(owner); free(rank);
    return rc;
}

static double te_eval(void *p, fid_ref_t *ref, uint64_t seed) {
    (void)ref; (void)seed;
    te_model_t *m = p;
    return retrieval(m) ? NAN : m->top1;
}

static const log_col_t te_cols[] = {{"loss", "joint-embedding hinge", 1}};

static void te_progress(void *p, const float *v, int tty, char *buf, size_t cap) {
    (void)p; (void)tty;
    snprintf(buf, cap, "hinge %.4f", v[0]);
}

static int te_meta(void *p, ganc_meta_t *meta) {
    te_model_t *m = p;
    return ganc_textenc_meta(&m->cfg, m->size, meta);
}

static int te_write_weights(void *p, const char *dir, const ganc_meta_t *arch) {
    te_model_t *m = p;
    char path[4096], js[600];
    int rc = GANC_OK;
    for (int k = 0; !rc && k < 2; k++) {
        ganc_meta_t meta = *arch;
        ganc_stw_t *w = ganc_stw_new();
        rc = w ? ganc_meta_set(&meta, "net", k ? "image" : "text") : ganc_fail(GANC_ENOMEM, "out of memory");
        if (!rc) rc = ganc_net_add_to(k ? ganc_textenc_image(m->t, NULL) : ganc_textenc_text(m->t, NULL), w, "");
        if (!rc) rc = ganc_meta_write(&meta, w);
        if (!rc) rc = join_path(path, sizeof path, dir, k ? "image.safetensors" : "text.safetensors");
        if (!rc) rc = ganc_stw_write(w, path);
        ganc_stw_free(w);
    }
    if (!rc) rc = retrieval(m);
    int n = snprintf(js, sizeof js, "{\"step\": %lld, \"held_out_emoji\": %d, \"names\": {\"top1\": %.4f, \"top5\": "
                     "%.4f}, \"all_captions\": {\"top1\": %.4f, \"top5\": %.4f}}\n",
                     (long long)ganc_trainer_step(te_trainer(m)), m->nheld, m->top1, m->top5, m->top1_all, m->top5_all);
    if (!rc) rc = join_path(path, sizeof path, dir, "retrieval.json");
    if (!rc) rc = ganc_write_file_atomic(path, js, (size_t)n);
    if (!rc) printf("held-out retrieval (%d emoji, text -> image): names top-1 %.3f top-5 %.3f; all captions top-1 "
                    "%.3f top-5 %.3f\n", m->nheld, m->top1, m->top5, m->top1_all, m->top5_all);
    return rc;
}

/* rows: held-out emoji (every nheld/8-th); columns: the true image, then the five the name ranks first */
static int te_grid(void *p, const float **x, int *n, int *cols, int *c, int *h, int *w) {
    te_model_t *m = p;
    const size_t per = (size_t)3 * m->size * m->size, D = (size_t)m->cfg.dim;
    int rc = retrieval(m);
    for (int r = 0; !rc && r < GRID_ROWS; r++) {
        const int j = (int)((long)r * m->nheld / GRID_ROWS);
        float *row = m->grid + per * GRID_COLS * r;
        memcpy(row, m->e.x + per * m->held[j], sizeof(float) * per);
        double best[GRID_COLS - 1];
        int at[GRID_COLS - 1];
        for (int k = 0; k < GRID_COLS - 1; k++) { best[k] = -INFINITY; at[k] = 0; }
        for (int i = 0; i < m->nheld; i++) {
            double s = 0;
            for (size_t k = 0; k < D; k++) s += (double)m->ie[D * i + k] * m->te[D * j + k];
            for (int k = 0; k < GRID_COLS - 1; k++)
                if (s > best[k]) {
                    for (int q = GRID_COLS - 2; q > k; q--) { best[q] = best[q - 1]; at[q] = at[q - 1]; }
                    best[k] = s; at[k] = i;
                    break;
                }
        }
        for (int k = 0; k < GRID_COLS - 1; k++) memcpy(row + per * (k + 1), m->e.x + per * m->held[at[k]], sizeof(float) * per);
    }
    *x = m->grid; *n = GRID_ROWS * GRID_COLS; *cols = GRID_COLS; *c = 3; *h = *w = m->size;
    return rc;
}

static const char *te_summary(void *p, char *buf, size_t cap) {
    te_model_t *m = p;
    snprintf(buf, cap, "textenc char-CNN-RNN (%zu parameters) + image encoder (%zu parameters), %d training / %d "
             "held-out emoji", ganc_net_nparams(ganc_textenc_text(m->t, NULL)),
             ganc_net_nparams(ganc_textenc_image(m->t, NULL)), m->ntrain, m->nheld);
    return buf;
}

const train_family_t family_textenc = {
    "textenc", te_cols, 1, sizeof(te_opts_t), te_defaults, te_add_flags, te_configure, te_channels, te_size,
    te_create, te_destroy, te_trainer, te_step, te_progress, NULL, te_meta, te_write_weights, te_grid, te_eval,
    te_summary, te_load, "heldout_top1",
};
