/* The text-to-image family's adapter for the training loop (Reed et al. 2016): a text-conditional DCGAN on the
   captioned emoji (--data emoji[:PATH]), conditioned on the frozen embeddings of a trained text encoder (--encoder
   RUN of `ganc train textenc`, copied into this run as encoder.safetensors, with its image encoder as
   image_encoder.safetensors, so that `ganc text2img` needs nothing else). Default GAN-INT-CLS; --no-cls drops the matching-aware D term, --no-int the interpolation term. Each step:
   a batch of distinct training emoji (the loader's order) with one random caption each; for CLS a random caption of
   another random training emoji of a different category as the mismatched text; for INT a random caption of
   another random training emoji to mix with. The draws come from a stream that is part of the state. The progress
   grid: one row per held-out emoji name (never trained on), the same 8 noise vectors in every row. */
#include <math.h>
#include <stdio.h>
#include <stdlib.h>
#include <string.h>
#include "train.h"

typedef struct {
    ganc_t2i_cfg_t net;
    const char *encoder;
    int no_cls, no_int, cls, interp;
    ganc_emoji_t emoji;
    float *emb; /* every caption's embedding: [emoji][GANC_EMOJI_MAX_CAPTIONS][dim] */
    unsigned char *enc_file, *img_file; /* the encoders' files, copied into the run */
    size_t enc_len, img_len;
} ti_opts_t;

typedef struct {
    ganc_t2i_trainer_t *t;
    ganc_t2i_cfg_t cfg;
    ganc_emoji_t e;
    float *emb, *x, *te, *tw, *t2, *grid, *gz, *gt;
    int *train, *idx, ntrain, batch;
    unsigned char *enc_file, *img_file;
    size_t enc_len, img_len;
    ganc_rng_t rng;
} ti_model_t;

enum { ROWS = 8, COLS = 8 };

static void ti_defaults(void *p) {
    ti_opts_t *g = p;
    g->net = ganc_t2i_default_cfg();
}

static int ti_add_flags(void *p, flag_t *f) {
    ti_opts_t *g = p;
    const flag_t fl[] = {
        {"encoder", F_STR, &g->encoder, "RUN", "text2img: the trained text encoder (ganc train textenc --out RUN)", 0,
         NULL, 0, 0, 0},
        {"no-cls", F_BOOL, &g->no_cls, NULL, "text2img: no matching-aware D (plain conditional or GAN-INT)", 0, "no_cls",
         1, 0, 1},
        {"no-int", F_BOOL, &g->no_int, NULL, "text2img: no interpolated-text G term (plain conditional or GAN-CLS)", 0,
         "no_int", 1, 0, 1},
        {"cls", F_BOOL, &g->cls, NULL, "text2img: the matching-aware D (the default)", 0, NULL, 0, 0, 1},
        {"int", F_BOOL, &g->interp, NULL, "text2img: the interpolation term (the default)", 0, NULL, 0, 0, 1},
        {"t2i-size", F_INT, &g->net.size, NULL, "text2img: image size, 32 or 64", 0, "t2i_size", 1, 32, 64},
        {"t2i-proj", F_INT, &g->net.proj, NULL, "text2img: the compressed text embedding's size", 0, "t2i_proj", 1, 1,
         4096},
    };
    memcpy(f, fl, sizeof fl);
    return (int)(sizeof fl / sizeof fl[0]);
}

static int ti_configure(void *p, run_opts_t *o, const ganc_st_t *st) {
    ti_opts_t *g = p;
    if (!st && !flag_seen(o->flags, o->nflags, "data")) o->data = "emoji";
    if (strncmp(o->data, "emoji", 5) || (o->data[5] && o->data[5] != ':')) {
        fprintf(stderr, "ganc train: text2img trains on captioned emoji: --data emoji[:PATH]\n");
        return 2;
    }
    if ((g->cls && g->no_cls) || (g->interp && g->no_int)) {
        fprintf(stderr, "ganc train: --cls and --no-cls (or --int and --no-int) contradict each other\n");
        return 2;
    }
    if (!st && !g->encoder) {
        fprintf(stderr, "ganc train: text2img needs --encoder RUN (a text encoder: ganc train textenc --out RUN)\n");
        return 2;
    }
    if (o->eval_every > 0) {
        fprintf(stderr, "ganc train: text2img has no --eval-every; scripts/eval_text2img.sh measures FID and text "
                        "consistency\n");
        return 2;
    }
    if (ganc_dist_size() > 1) {
        fprintf(stderr, "ganc train: text2img does not train data-parallel yet\n");
        return 2;
    }
    if (!o->out) o->out = "runs/text2img";
    if (!o->iters && !o->epochs && !(o->time_limit > 0)) o->iters = 1200; /* ~30 minutes at 64x64 on 2 cores */
    return 0;
}

/* the encoder: RUN/text.safetensors of a textenc run, or (resuming) this run's own encoder.safetensors */
static int load_encoder(ti_opts_t *g, const run_opts_t *o, ganc_net_t **net, ganc_textenc_io_t *io, int *dim) {
    char path[4200];
    snprintf(path, sizeof path, g->encoder ? "%s/text.safetensors" : "%s/encoder.safetensors",
             g->encoder ? g->encoder : o->out);
    ganc_st_t *st = NULL;
    ganc_textenc_cfg_t c;
    int size, rc = ganc_read_file(path, (size_t)1 << 30, &g->enc_file, &g->enc_len);
    if (!rc) rc = ganc_st_open(&st, path);
    if (!rc) rc = ganc_textenc_cfg_from_file(st, &c, &size);
    if (!rc && !(*net = ganc_textenc_text_net(&c, 64, io))) rc = GANC_EINVAL;
    if (!rc) rc = ganc_net_load_from(*net, st, "", 0);
    *dim = rc ? 0 : c.dim;
    ganc_st_free(st);
    /* the image encoder too, when there is one (R-precision in ganc text2img --emoji-heldout) */
    snprintf(path, sizeof path, g->encoder ? "%s/image.safetensors" : "%s/image_encoder.safetensors",
             g->encoder ? g->encoder : o->out);
    if (!rc && ganc_read_file(path, (size_t)1 << 30, &g->img_file, &g->img_len)) g->img_file = NULL;
    return rc;
}

static int ti_load(void *p, const run_opts_t *o, ganc_dataset_t *ds) {
    ti_opts_t *g = p;
    ganc_net_t *enc = NULL;
    ganc_textenc_io_t io;
    int dim = 0;
    printf("loading %s at %dx%d and the text encoder ...\n", o->data, g->net.size, g->net.size);
    fflush(stdout);
    int rc = ganc_emoji_load(&g->emoji, o->data[5] == ':' ? o->data + 6 : NULL, g->net.size);
    if (!rc) rc = load_encoder(g, o, &enc, &io, &dim);
    const int n = g->emoji.n;
    const char **caps = rc ? NULL : malloc(sizeof(char *) * n * GANC_EMOJI_MAX_CAPTIONS);
    if (!rc && (!caps || !(g->emb = calloc((size_t)n * GANC_EMOJI_MAX_CAPTIONS * dim, sizeof(float)))))
        rc = ganc_fail(GANC_ENOMEM, "out of memory");
    for (int i = 0; !rc && i < n * GANC_EMOJI_MAX_CAPTIONS; i++) /* empty slots: the emoji's name */
        caps[i] = g->emoji.cap[i] ? g->emoji.cap[i] : g->emoji.cap[i - i % GANC_EMOJI_MAX_CAPTIONS];
    if (!rc) rc = ganc_textenc_embed(enc, &io, caps, n * GANC_EMOJI_MAX_CAPTIONS, g->emb);
    free(caps);
    ganc_net_free(enc);
    g->net.emb = dim;
    int ntrain = 0;
    for (int i = 0; !rc && i < n; i++) ntrain += !g->emoji.held_out[i];
    if (!rc && ntrain < o->batch) rc = ganc_fail(GANC_EINVAL, "%d training emoji for a batch of %d", ntrain, o->batch);
    if (rc) {
        fprintf(stderr, "ganc train: %s\n", ganc_errmsg());
        ganc_emoji_free(&g->emoji);
        free(g->emb); free(g->enc_file); free(g->img_file);
        g->emb = NULL; g->enc_file = g->img_file = NULL;
        return 1;
    }
    ds->n = ntrain;
    ds->c = 3;
    ds->h = ds->w = g->net.size;
    return 0;
}

static int ti_channels(const void *p, const run_opts_t *o) { (void)p; (void)o; return 3; }
static int ti_size(const void *p) { return ((const ti_opts_t *)p)->net.size; }

static void ti_destroy(void *p) {
    ti_model_t *m = p;
    if (!m) return;
    ganc_t2i_trainer_free(m->t);
    ganc_emoji_free(&m->e);
    free(m->emb); free(m->x); free(m->te); free(m->tw); free(m->t2); free(m->grid); free(m->gz); free(m->gt);
    free(m->train); free(m->idx); free(m->enc_file); free(m->img_file);
    free(m);
}

static const float *emb_of(const ti_model_t *m, int e, int k) {
    return m->emb + ((size_t)e * GANC_EMOJI_MAX_CAPTIONS + k) * m->cfg.emb;
}

static void *ti_create(void *p, const run_opts_t *o, const ganc_dataset_t *ds, int *rc) {
    ti_opts_t *g = p;
    ti_model_t *m = calloc(1, sizeof *m);
    *rc = 1;
    (void)ds;
    if (!m) { fprintf(stderr, "ganc train: out of memory\n"); return NULL; }
    m->e = g->emoji; memset(&g->emoji, 0, sizeof g->emoji);
    m->emb = g->emb; g->emb = NULL;
    m->enc_file = g->enc_file; m->enc_len = g->enc_len; g->enc_file = NULL;
    m->img_file = g->img_file; m->img_len = g->img_len; g->img_file = NULL;
    m->cfg = g->net;
    m->batch = o->batch;
    const size_t per = (size_t)3 * m->cfg.size * m->cfg.size, B = (size_t)o->batch, D = (size_t)m->cfg.emb;
    m->x = malloc(sizeof(float) * per * B);
    m->te = malloc(sizeof(float) * D * B);
    m->tw = malloc(sizeof(float) * D * B);
    m->t2 = malloc(sizeof(float) * D * B);
    m->grid = malloc(sizeof(float) * per * ROWS * COLS);
    m->gz = malloc(sizeof(float) * (size_t)m->cfg.nz * ROWS * COLS);
    m->gt = malloc(sizeof(float) * D * ROWS * COLS);
    m->train = malloc(sizeof(int) * m->e.n);
    m->idx = malloc(sizeof(int) * B);
    int held[ROWS], nh = 0, nheld = 0;
    for (int i = 0; m->train && i < m->e.n; i++) nheld += m->e.held_out[i];
    for (int i = 0, h = 0; m->train && i < m->e.n; i++) {
        if (!m->e.held_out[i]) { m->train[m->ntrain++] = i; continue; }
        if (nh < ROWS && h++ == nh * nheld / ROWS) held[nh++] = i; /* every nheld/8-th held-out emoji */
    }
    ganc_rng_seed(&m->rng, o->seed * 13 + 7);
    ganc_t2i_train_cfg_t tc = {m->cfg, o->batch, !g->no_cls, !g->no_int, o->lr, o->beta1, o->beta2, o->seed};
    if (!m->x || !m->te || !m->tw || !m->t2 || !m->grid || !m->gz || !m->gt || !m->train || !m->idx ||
        !(m->t = ganc_t2i_trainer_new(&tc)) ||
        ganc_trainer_add_rng(ganc_t2i_trainer_core(m->t), "caption_rng", &m->rng) < 0) {
        fprintf(stderr, "ganc train: %s\n", ganc_errmsg());
        ti_destroy(m);
        return NULL;
    }
    ganc_rng_t zr; /* the grid's fixed noise: the same 8 vectors in every row */
    ganc_rng_seed(&zr, o->seed * 17 + 1);
    ganc_rng_fill_normal(&zr, m->gz, (size_t)m->cfg.nz * COLS, 0.0f, 1.0f);
    for (int r = 0; r < ROWS; r++)
        for (int c = 0; c < COLS; c++) {
            if (r) memcpy(m->gz + (size_t)m->cfg.nz * (r * COLS + c), m->gz + (size_t)m->cfg.nz * c, sizeof(float) * m->cfg.nz);
            memcpy(m->gt + D * (r * COLS + c), emb_of(m, held[nh ? r % nh : 0], 0), sizeof(float) * D);
        }
    *rc = 0;
    return m;
}

static ganc_trainer_t *ti_trainer(void *p) { return ganc_t2i_trainer_core(((ti_model_t *)p)->t); }

/* a random caption of a random training emoji other than e (of another category when other_class) */
static const float *draw_text(ti_model_t *m, int e, int other_class) {
    int f = e;
    for (int tries = 0; tries < 100 && (f == e || (other_class && m->e.labels[f] == m->e.labels[e])); tries++)
        f = m->train[ganc_rng_below(&m->rng, (uint32_t)m->ntrain)];
    return emb_of(m, f, (int)ganc_rng_below(&m->rng, (uint32_t)m->e.ncap[f]));
}

static int ti_step(void *p, ganc_loader_t *ld, float *v) {
    ti_model_t *m = p;
    const size_t per = (size_t)3 * m->cfg.size * m->cfg.size, D = (size_t)m->cfg.emb;
    ganc_loader_next_idx(ld, m->batch, m->idx);
    for (int b = 0; b < m->batch; b++) {
        const int e = m->train[m->idx[b]];
        memcpy(m->x + per * b, m->e.x + per * e, sizeof(float) * per);
        memcpy(m->te + D * b, emb_of(m, e, (int)ganc_rng_below(&m->rng, (uint32_t)m->e.ncap[e])), sizeof(float) * D);
        memcpy(m->tw + D * b, draw_text(m, e, 1), sizeof(float) * D);
        memcpy(m->t2 + D * b, draw_text(m, e, 0), sizeof(float) * D);
    }
    ganc_t2i_stats_t s;
    int rc = ganc_t2i_train_step(m->t, m->x, m->te, m->tw, m->t2, &s);
    v[0] = s.loss_d; v[1] = s.loss_g; v[2] = s.d_real; v[3] = s.d_wrong; v[4] = s.d_fake; v[5] = s.d_interp;
    return rc;
}

static const log_col_t ti_cols[] = {{"loss_d", "D loss", 1}, {"loss_g", "G loss", 1}, {"d_real", "D(x, t)", 2},
                                    {"d_wrong", "D(x, wrong t)", 2}, {"d_fake", "D(G(z,t), t)", 2},
                                    {"d_interp", "D(G(z,t_mix), t_mix)", 2}};

static void ti_progress(void *p, const float *v, int tty, char *buf, size_t cap) {
    (void)p; (void)tty;
    snprintf(buf, cap, "D %.3f G %.3f D(x,t) %.2f D(x,w) %.2f D(G) %.2f", v[0], v[1], v[2], v[3], v[4]);
}

static int ti_meta(void *p, ganc_meta_t *meta) { return ganc_t2i_meta(&((ti_model_t *)p)->cfg, meta); }

static int ti_write_weights(void *p, const char *dir, const ganc_meta_t *arch) {
    ti_model_t *m = p;
    char path[4096];
    int rc = join_path(path, sizeof path, dir, "encoder.safetensors");
    if (!rc) rc = ganc_write_file_atomic(path, m->enc_file, m->enc_len);
    if (!rc && m->img_file) rc = join_path(path, sizeof path, dir, "image_encoder.safetensors");
    if (!rc && m->img_file) rc = ganc_write_file_atomic(path, m->img_file, m->img_len);
    for (int k = 0; !rc && k < 2; k++) {
        ganc_meta_t meta = *arch;
        ganc_stw_t *w = ganc_stw_new();
        rc = w ? ganc_meta_set(&meta, "net", k ? "D" : "G") : ganc_fail(GANC_ENOMEM, "out of memory");
        if (!rc) rc = ganc_net_add_to(k ? ganc_t2i_d(m->t, NULL) : ganc_t2i_g(m->t, NULL), w, "");
        if (!rc) rc = ganc_meta_write(&meta, w);
        if (!rc) rc = join_path(path, sizeof path, dir, k ? "D.safetensors" : "G.safetensors");
        if (!rc) rc = ganc_stw_write(w, path);
        ganc_stw_free(w);
    }
    return rc;
}

static int ti_grid(void *p, const float **x, int *n, int *cols, int *c, int *h, int *w) {
    ti_model_t *m = p;
    ganc_t2i_io_t io;
    ganc_net_t *g = ganc_t2i_g(m->t, &io);
    *x = m->grid; *n = ROWS * COLS; *cols = COLS; *c = 3; *h = *w = m->cfg.size;
    return ganc_t2i_generate(g, &io, m->gz, m->gt, ROWS * COLS, m->grid);
}

static const char *ti_summary(void *p, char *buf, size_t cap) {
    ti_model_t *m = p;
    snprintf(buf, cap, "text2img %dx%d (G %zu, D %zu parameters), text embedding %d -> %d, %d training emoji",
             m->cfg.size, m->cfg.size, ganc_net_nparams(ganc_t2i_g(m->t, NULL)), ganc_net_nparams(ganc_t2i_d(m->t, NULL)),
             m->cfg.emb, m->cfg.proj, m->ntrain);
    return buf;
}

const train_family_t family_text2img = {
    "text2img", ti_cols, 6, sizeof(ti_opts_t), ti_defaults, ti_add_flags, ti_configure, ti_channels, ti_size,
    ti_create, ti_destroy, ti_trainer, ti_step, ti_progress, NULL, ti_meta, ti_write_weights, ti_grid, NULL,
    ti_summary, ti_load, NULL,
};
