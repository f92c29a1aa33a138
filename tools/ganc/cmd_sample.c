/* ganc sample RUN|G.safetensors: draw images from a trained generator into .npy or a PNG grid. */
#include <math.h>
#include <stdio.h>
#include <stdlib.h>
#include <string.h>
#include "cli.h"

typedef struct {
    const char *out, *zpath, *dtype, *bn, *device;
    int n, batch, cols, threads, cls, by_class, sheet, is_npy, is_png, f32, bn_batch, n_seen, gcols, pyramid;
    uint64_t seed;
} sample_opts_t;

/* the options alone, before any file is opened: 0 or 2 after a message */
static int check_sample_opts(sample_opts_t *o) {
    o->is_npy = ends_with(o->out, ".npy");
    o->is_png = ends_with(o->out, ".png");
    o->f32 = !strcmp(o->dtype, "float32");
    o->bn_batch = !strcmp(o->bn, "batch");
    const char *why = !o->is_npy && !o->is_png ? "--out must end in .npy or .png"
                      : !o->f32 && strcmp(o->dtype, "uint8") ? "--dtype is uint8 or float32"
                      : !o->bn_batch && strcmp(o->bn, "eval") ? "--bn is eval or batch"
                      : o->by_class && (o->cls >= 0 || o->zpath || !o->is_png)
                          ? "--grid-by-class writes a .png and takes neither --class nor --z"
                      : o->sheet && (!o->is_png || o->zpath || o->by_class)
                          ? "--sheet writes a .png and takes neither --z nor --grid-by-class"
                      : o->by_class && o->n_seen && o->n > 1000 ? "--grid-by-class: at most 1000 columns (--n)"
                      : o->pyramid && (!o->is_png || o->by_class || o->sheet || o->zpath)
                          ? "--pyramid writes a .png and takes none of --grid-by-class, --sheet, --z"
                      : o->pyramid && o->n_seen && o->n > 64 ? "--pyramid: at most 64 rows (--n)"
                                                                 : NULL;
    if (why) fprintf(stderr, "ganc sample: %s\n", why);
    return why ? 2 : 0;
}

/* the model's side: conditioning options that fit it; 0 or 2 after a message */
static int check_model_opts(sample_opts_t *o, const ganc_gan_cfg_t *cfg, const char *gpath) {
    if ((o->cls >= 0 || o->by_class) && !cfg->n_classes) {
        fprintf(stderr, "ganc sample: %s is not a conditional model: --class/--grid-by-class do not apply\n", gpath);
        return 2;
    }
    if (o->cls >= cfg->n_classes) {
        fprintf(stderr, "ganc sample: --class must be 0..%d for %s\n", cfg->n_classes - 1, gpath);
        return 2;
    }
    if (o->by_class) {
        o->gcols = o->n_seen ? o->n : 10;
        o->n = o->gcols * cfg->n_classes;
    }
    return 0;
}

/* --z FILE: (N,nz) or (N,nz,1,1) float noise, every value finite */
static float *read_z(sample_opts_t *o, const ganc_gan_cfg_t *cfg) {
    int nd;
    int64_t sh[8];
    float *z;
    if (ganc_npy_read_f32(o->zpath, &nd, sh, &z)) { fprintf(stderr, "ganc sample: %s\n", ganc_errmsg()); return NULL; }
    const char *why = NULL;
    if (!((nd == 2 || (nd == 4 && sh[2] == 1 && sh[3] == 1)) && sh[1] == cfg->nz && sh[0] >= 1 && sh[0] <= 10000000))
        why = "shape";
    for (size_t i = 0; !why && i < (size_t)sh[0] * cfg->nz; i++)
        if (!isfinite(z[i])) why = "values";
    if (why && !strcmp(why, "shape"))
        fprintf(stderr, "ganc sample: %s: noise must have shape (N,%d) or (N,%d,1,1)\n", o->zpath, cfg->nz, cfg->nz);
    else if (why) fprintf(stderr, "ganc sample: %s: the noise has NaN or infinite values\n", o->zpath);
    else if (o->n_seen && o->n != sh[0]) {
        fprintf(stderr, "ganc sample: --n %d disagrees with the %lld noise vectors in %s\n", o->n, (long long)sh[0],
                o->zpath);
        why = "n";
    }
    if (why) { free(z); return NULL; }
    o->n = (int)sh[0];
    return z;
}

/* noise and labels as the options ask: labels (NULL when unconditional), z (NULL: drawn by ganc_gan_sample) */
static int make_inputs(const sample_opts_t *o, const ganc_gan_cfg_t *cfg, ganc_rng_t *rng, float **z, int **labels) {
    const int n = o->n;
    if (cfg->n_classes) {
        if (!(*labels = malloc(sizeof(int) * n))) return -1;
        for (int i = 0; i < n; i++) (*labels)[i] = o->by_class ? i / o->gcols : o->cls >= 0 ? o->cls : i % cfg->n_classes;
    }
    if (o->by_class || o->sheet) {
        if (!(*z = malloc(sizeof(float) * n * cfg->nz))) return -1;
        /* by class: the same noise vector down each column; sheet: image i has the i-th nz-block of one stream */
        ganc_rng_fill_normal(rng, *z, (size_t)(o->by_class ? o->gcols : n) * cfg->nz, 0.0f, 1.0f);
        for (int i = o->by_class ? o->gcols : n; i < n; i++)
            memcpy(*z + (size_t)i * cfg->nz, *z + (size_t)(i % o->gcols) * cfg->nz, sizeof(float) * cfg->nz);
    }
    return 0;
}

/* images i..i+b-1 of the output into x (a model's sampler behind it) */
typedef struct {
    int (*fn)(void *ctx, int i, int b, float *x);
    void *ctx;
} gen_t;

static void to_u8(const float *x, size_t n, unsigned char *u) {
    for (size_t i = 0; i < n; i++) {
        float s = (x[i] + 1.0f) * 127.5f + 0.5f;
        u[i] = s <= 0.0f ? 0 : s >= 255.0f ? 255 : (unsigned char)s;
    }
}

/* .npy: streamed a chunk of --batch images at a time, so memory is one chunk whatever --n (the chunks draw the
   noise a whole-array call would); .png: the grid, generated whole (bounded by the PNG side limit) */
static int write_samples(const sample_opts_t *o, const ganc_gan_cfg_t *cfg, const gen_t *gen) {
    const size_t img = (size_t)cfg->nc * cfg->size * cfg->size;
    const int n = o->n, chunk = o->is_png ? n : o->batch < n ? o->batch : n;
    float *x = malloc(sizeof(float) * img * chunk);
    unsigned char *u = o->is_png || o->f32 ? NULL : malloc(img * chunk);
    if (!x || (!o->is_png && !o->f32 && !u)) { free(x); free(u); return ganc_fail(GANC_ENOMEM, "out of memory for %d images", chunk); }
    int rc = 0;
    if (o->is_png) {
        rc = gen->fn(gen->ctx, 0, n, x);
        int c = o->by_class ? o->gcols : o->cols ? o->cols : (int)ceil(sqrt((double)n));
        for (int i = 0; !rc && o->sheet && i < n; i++) draw_id(x + img * i, cfg->nc, cfg->size, cfg->size, i);
        if (!rc) rc = ganc_grid_png(o->out, x, n, cfg->nc, cfg->size, cfg->size, c);
    } else {
        int64_t shape[4] = {n, cfg->nc, cfg->size, cfg->size};
        ganc_npyw_t *w = ganc_npyw_open(o->out, o->f32 ? GANC_F32 : GANC_U8, 4, shape);
        rc = w ? 0 : GANC_EIO;
        for (int i = 0; !rc && i < n; i += chunk) {
            const int b = n - i < chunk ? n - i : chunk;
            if (!(rc = gen->fn(gen->ctx, i, b, x)) && !o->f32) to_u8(x, img * b, u);
            if (!rc) rc = ganc_npyw_append(w, o->f32 ? (const void *)x : u, img * b);
        }
        if (w) rc = rc ? (ganc_npyw_abort(w), rc) : ganc_npyw_close(w);
    }
    free(x); free(u);
    return rc;
}

typedef struct {
    ganc_net_t *g;
    const ganc_gan_io_t *io;
    const ganc_gan_cfg_t *cfg;
    const float *z;
    const int *labels;
    ganc_rng_t *rng;
    int bn_batch;
} gan_ctx_t;

static int gan_gen(void *p, int i, int b, float *x) {
    gan_ctx_t *c = p;
    return ganc_gan_sample(c->g, c->io, c->cfg, b, c->z ? c->z + (size_t)i * c->cfg->nz : NULL,
                           c->labels ? c->labels + i : NULL, c->rng, c->bn_batch, x);
}

/* ---- LAPGAN: coarse-to-fine sampling */

/* nearest-neighbour upscale of one (c,s,s) image to (c,size,size); scale: multiply and clamp to [-1,1] */
static void put_scaled(const float *x, int c, int s, int size, float gain, float *out) {
    const int f = size / s;
    for (int k = 0; k < c; k++)
        for (int y = 0; y < size; y++)
            for (int xx = 0; xx < size; xx++) {
                float v = gain * x[((size_t)k * s + y / f) * s + xx / f];
                out[((size_t)k * size + y) * size + xx] = v < -1 ? -1 : v > 1 ? 1 : v;
            }
}

/* the paper's coarse-to-fine figure: one row per sample: I_K, then per finer level l_k, h_k (its contrast stretched
   to the row's largest |h_k|), I_k; every image scaled up to the model's size */
static int pyramid_figure(const sample_opts_t *o, ganc_lapgan_t *m, const int *labels, ganc_rng_t *rng) {
    const ganc_lapgan_cfg_t *c = ganc_lapgan_cfg(m);
    const int L = ganc_lapgan_levels(c), n = o->n, cols = 1 + 3 * (L - 1), S = c->size, nc = c->nc;
    const size_t img = (size_t)nc * S * S;
    float *lv[3][GANC_LAPGAN_MAX_LEVELS] = {{0}}, *fig = malloc(sizeof(float) * img * cols * n);
    int rc = fig ? 0 : ganc_fail(GANC_ENOMEM, "out of memory");
    for (int k = 0; !rc && k < L; k++)
        for (int j = 0; !rc && j < 3; j++)
            if (!(lv[j][k] = malloc(sizeof(float) * n * nc * (S >> k) * (S >> k)))) rc = ganc_fail(GANC_ENOMEM, "out of memory");
    if (!rc) rc = ganc_lapgan_sample(m, n, labels, rng, NULL, lv[0], lv[1], lv[2]);
    for (int i = 0; !rc && i < n; i++) {
        float *row = fig + img * cols * i;
        const size_t pk = (size_t)nc * 64; /* the 8x8 level */
        put_scaled(lv[0][L - 1] + pk * i, nc, 8, S, 1.0f, row);
        for (int k = L - 2, col = 1; k >= 0; k--, col += 3) {
            const int s = S >> k;
            const size_t per = (size_t)nc * s * s;
            const float *h = lv[2][k] + per * i;
            float mx = 1e-6f;
            for (size_t j = 0; j < per; j++) mx = fabsf(h[j]) > mx ? fabsf(h[j]) : mx;
            put_scaled(lv[1][k] + per * i, nc, s, S, 1.0f, row + img * col);
            put_scaled(h, nc, s, S, 1.0f / mx, row + img * (col + 1));
            put_scaled(lv[0][k] + per * i, nc, s, S, 1.0f, row + img * (col + 2));
        }
    }
    if (!rc) rc = ganc_grid_png(o->out, fig, n * cols, nc, S, S, cols);
    for (int k = 0; k < L; k++)
        for (int j = 0; j < 3; j++) free(lv[j][k]);
    free(fig);
    return rc;
}

typedef struct {
    ganc_lapgan_t *m;
    int *labels, gcols, by_class;
    uint64_t seed;
    ganc_rng_t rng;
} lap_ctx_t;

/* by class: one row per class, the stream re-seeded for every row (so the same noise down each column) */
static int lap_gen(void *p, int i, int b, float *x) {
    lap_ctx_t *c = p;
    const ganc_lapgan_cfg_t *lc = ganc_lapgan_cfg(c->m);
    const size_t img = (size_t)lc->nc * lc->size * lc->size;
    if (!c->by_class) return ganc_lapgan_sample(c->m, b, c->labels ? c->labels + i : NULL, &c->rng, x, NULL, NULL, NULL);
    int rc = 0;
    for (int r = 0; !rc && r < lc->n_classes; r++) {
        ganc_rng_seed(&c->rng, c->seed);
        for (int j = 0; j < c->gcols; j++) c->labels[j] = r;
        rc = ganc_lapgan_sample(c->m, c->gcols, c->labels, &c->rng, x + img * c->gcols * r, NULL, NULL, NULL);
    }
    return rc;
}

static int sample_lapgan(sample_opts_t *o, ganc_lapgan_t *m, const char *gpath) {
    const ganc_lapgan_cfg_t *lc = ganc_lapgan_cfg(m);
    ganc_gan_cfg_t view = ganc_gan_default_cfg(); /* what the shared option checks and the writer read */
    view.size = lc->size; view.nc = lc->nc; view.n_classes = lc->n_classes; view.nz = lc->coarse.nz;
    if (o->zpath || o->sheet || o->bn_batch) {
        fprintf(stderr, "ganc sample: --z, --sheet and --bn batch apply to dcgan/gan generators; %s is a lapgan "
                        "(no BatchNorm; its noise has one plane per level)\n", gpath);
        return 2;
    }
    int rc = check_model_opts(o, &view, gpath);
    if (rc) return rc;
    if (o->pyramid && !o->n_seen) o->n = 8;
    int *labels = lc->n_classes ? malloc(sizeof(int) * o->n) : NULL;
    if (lc->n_classes && !labels) { fprintf(stderr, "ganc sample: out of memory for %d images\n", o->n); return 1; }
    lap_ctx_t ctx = {m, labels, o->gcols, o->by_class, o->seed, {{0}, 0, 0}};
    ganc_rng_seed(&ctx.rng, o->seed);
    for (int i = 0; labels && i < o->n; i++) labels[i] = o->cls >= 0 ? o->cls : i % lc->n_classes;
    const gen_t gen = {lap_gen, &ctx};
    rc = o->pyramid ? pyramid_figure(o, m, labels, &ctx.rng) : write_samples(o, &view, &gen);
    if (rc) fprintf(stderr, "ganc sample: %s\n", ganc_errmsg());
    else if (o->pyramid) printf("wrote the coarse-to-fine figure of %d samples (%d levels) to %s\n", o->n,
                                ganc_lapgan_levels(lc), o->out);
    else printf("wrote %d images (%dx%dx%d, lapgan) to %s\n", o->n, lc->nc, lc->size, lc->size, o->out);
    free(labels);
    return rc ? 1 : 0;
}

int cmd_sample(int argc, char **argv) {
    static const command_t cmd = {
        "sample", "sample RUN|G.safetensors --out FILE.npy|FILE.png [options]",
        "Generate images with a trained generator (dcgan, gan, cgan, lapgan). RUN is a training folder (its G.safetensors\n"
        "is used) or a G.safetensors file, from ganc or saved from PyTorch (architecture from metadata, else from\n"
        "tensor shapes). .npy output is (N,C,H,W), uint8 by default or the raw float32 output in [-1,1]; .png\n"
        "writes a grid. A conditional model draws class --class K, or, without it, image i is of class i mod classes.",
        NULL};
    sample_opts_t o = {.dtype = "uint8", .bn = "eval", .device = "cpu", .n = 64, .batch = 100, .cls = -1, .seed = 1};
    flag_t flags[] = {
        {"out", F_STR, &o.out, "FILE", "output: .npy array or .png grid", 0, NULL, 0, 0, 0},
        {"n", F_INT, &o.n, NULL, "number of images", 0, NULL, 0, 1, 10000000},
        {"seed", F_U64, &o.seed, NULL, "noise seed", 0, NULL, 0, 0, 0},
        {"z", F_STR, &o.zpath, "FILE", "float32 .npy noise of shape (N,nz) or (N,nz,1,1) instead of drawing it", 0,
         NULL, 0, 0, 0},
        {"dtype", F_STR, &o.dtype, "T", ".npy element type: uint8 (0..255) or float32 (raw, [-1,1])", 0, NULL, 0, 0, 0},
        {"bn", F_STR, &o.bn, "MODE", "BatchNorm: eval (running statistics, like G.eval()) or batch (batch statistics)",
         0, NULL, 0, 0, 0},
        {"batch", F_INT, &o.batch, NULL, "images per forward pass (with --bn batch this is the statistics batch)", 0,
         NULL, 0, 1, 65536},
        {"cols", F_INT, &o.cols, NULL, "grid columns (default: square)", 0, NULL, 0, 0, 4096},
        {"class", F_INT, &o.cls, "K", "conditional model: generate class K only", 0, NULL, 0, 0, 999},
        {"sheet", F_BOOL, &o.sheet, NULL, "a .png grid with each image's ID stamped on it, for ganc arith (same --seed)",
         0, NULL, 0, 0, 0},
        {"grid-by-class", F_BOOL, &o.by_class, NULL, "conditional model: one row per class, one noise vector per column "
                                                     "(--n columns, default 10)", 0, NULL, 0, 0, 0},
        {"pyramid", F_BOOL, &o.pyramid, NULL, "lapgan: a .png of the coarse-to-fine steps of --n samples (default 8): per "
                                               "row the 8x8 image, then l_k, h_k (contrast-stretched), I_k per level", 0, NULL, 0, 0, 0},
        {"threads", F_INT, &o.threads, NULL, "threads (default: all cores)", 0, NULL, 0, 0, 1024},
        {"device", F_STR, &o.device, "D", DEVICE_HELP, 0, NULL, 0, 0, 0},
    };
    const int nflags = (int)(sizeof flags / sizeof flags[0]);
    char *pos[1];
    int npos, prc = parse_flags(&cmd, flags, nflags, argc, argv, pos, 1, &npos);
    if (prc) return prc == 1 ? 0 : 2;
    if (npos != 1 || !o.out) {
        fprintf(stderr, "ganc sample: need a run folder or G.safetensors and --out (see ganc sample --help)\n");
        return 2;
    }
    o.n_seen = flag_seen(flags, nflags, "n");
    if ((prc = check_sample_opts(&o)) || dry_run()) return prc;
    ganc_set_threads(o.threads);
    if (use_device("sample", o.device)) return 2;
    char gpath[4096];
    ganc_gan_cfg_t cfg;
    ganc_gan_io_t io;
    int rc = 1, *labels = NULL;
    float *z = NULL;
    ganc_rng_t rng;
    ganc_rng_seed(&rng, o.seed);
    int is_lap;
    ganc_lapgan_t *lap = open_lapgan(pos[0], o.batch, &is_lap, gpath, sizeof gpath);
    if (is_lap) {
        if (!lap) { fprintf(stderr, "ganc sample: %s\n", ganc_errmsg()); return 1; }
        rc = sample_lapgan(&o, lap, gpath);
        ganc_lapgan_free(lap);
        return rc;
    }
    if (o.pyramid) { fprintf(stderr, "ganc sample: --pyramid applies to lapgan models; %s is not one\n", gpath); return 2; }
    ganc_net_t *g = open_generator(pos[0], o.batch, &cfg, &io, gpath, sizeof gpath);
    if (!g) { fprintf(stderr, "ganc sample: %s\n", ganc_errmsg()); return 1; }
    if ((rc = check_model_opts(&o, &cfg, gpath))) goto done;
    rc = 1;
    if (o.zpath && !(z = read_z(&o, &cfg))) goto done;
    if (make_inputs(&o, &cfg, &rng, &z, &labels)) {
        fprintf(stderr, "ganc sample: out of memory for %d images\n", o.n);
        goto done;
    }
    gan_ctx_t ctx = {g, &io, &cfg, z, labels, &rng, o.bn_batch};
    const gen_t gen = {gan_gen, &ctx};
    if (write_samples(&o, &cfg, &gen)) {
        fprintf(stderr, "ganc sample: %s\n", ganc_errmsg());
        goto done;
    }
    printf("wrote %d images (%dx%dx%d, BatchNorm %s) to %s\n", o.n, cfg.nc, cfg.size, cfg.size, o.bn, o.out);
    rc = 0;
done:
    free(z); free(labels);
    ganc_net_free(g);
    return rc;
}
