/* The SRResNet family's adapter for the training loop (Ledig et al. 2016): 4x super-resolution learnt from a folder
   of photographs. The photos are decoded once as bytes at their own size; each step takes one random crop (8
   orientations) from each of `batch` photos in the loader's seeded order, downscales it with MATLAB's bicubic
   (the papers' degradation) and updates SRResNet on the pixel loss. The crops' random stream is part of the state,
   so a resumed run sees the same crops. */
#include <math.h>
#include <stdio.h>
#include <stdlib.h>
#include <string.h>
#include "train.h"

typedef struct {
    ganc_sr_cfg_t net;
    int crop;
    const char *loss;       /* mse | l1 */
    const char *skip;       /* bicubic | none */
    ganc_image_t *photos;   /* loaded by sr_load, handed to the model */
    int nphotos;
    ganc_image_t *tests;    /* --eval-every: the test photos (also handed over) */
    int ntests;
    int gan;                /* ganc train srgan */
    const char *init;       /* srgan: the SRResNet run (or its G.safetensors) G starts from */
    char init_path[4096];   /* its G.safetensors */
    float adv, d_lr;
    int d_width, d_dense, d_warmup;
    int shrink;             /* the photos reduced this many times before cropping */
    const char *content, *vgg; /* srgan: pixel | vgg22 | vgg54, and the VGG19 weights file */
} sr_opts_t;

typedef struct {
    ganc_sr_trainer_t *t;
    int gan;
    ganc_sr_cfg_t cfg;
    int batch, crop, nphotos, nfix;
    ganc_image_t *photos, *tests;
    int ntests;
    char eval_tmp[4096];    /* --eval-every: G's weights, written here for the tiled upscaler */
    ganc_rng_t rng;         /* the crops */
    float *hr, *lr, *grid, *fix_hr, *fix_lr;
    int *idx;
} sr_model_t;

enum { SR_GRID_ROWS = 4 };

/* ganc's default recipe, chosen at equal 2-core CPU time (scripts/sr_recipes.sh; the README has the table): 8 blocks of
   width 32, 64x64 crops, L1, lr 5e-4, the bicubic skip, 7200 steps (about an hour on 2 cores). The paper's SRResNet:
   --blocks 16 --width 64 --crop 96 --batch 16 --pixel-loss mse --lr 1e-4 --skip none. */
static void sr_defaults(void *p) {
    sr_opts_t *g = p;
    g->net = ganc_sr_default_cfg();
    g->net.blocks = 8;
    g->net.width = 32;
    g->crop = 64;
    g->loss = "l1";
    g->skip = "bicubic";
    g->adv = 1e-3f;
    g->d_width = 64;
    g->d_dense = 1024;
    g->content = "pixel";
    g->shrink = 1;
}

static int sr_add_flags(void *p, flag_t *f) {
    sr_opts_t *g = p;
    const flag_t fl[] = {
        {"blocks", F_INT, &g->net.blocks, NULL, "srresnet: residual blocks (paper: 16)", 0, "blocks", 1, 0, 64},
        {"width", F_INT, &g->net.width, NULL, "srresnet: feature maps (paper: 64)", 0, "width", 1, 1, 1024},
        {"scale", F_INT, &g->net.scale, NULL, "srresnet: upscaling factor, 2, 4 (paper) or 8", 0, "scale", 1, 2, 8},
        {"crop", F_INT, &g->crop, NULL, "srresnet: side of the high-resolution training crops (paper: 96)", 0, "crop",
         1, 2, 1024},
        {"shrink", F_INT, &g->shrink, NULL, "srresnet/srgan: reduce the training photos K times (MATLAB bicubic) "
         "before cropping: a large wallpaper carries little detail per pixel", 0, "shrink", 1, 1, 64},
        {"pixel-loss", F_STR, &g->loss, "L", "srresnet: pixel loss, l1 or mse (paper)", 0, "pixel_loss", 1, 0, 0},
        {"skip", F_STR, &g->skip, "S", "srresnet: bicubic (G learns the residual over the bicubic upscale and "
         "starts as bicubic) or none (paper)", 0, "skip", 1, 0, 0},
        {"init", F_STR, &g->init, "RUN", "srgan (srresnet: optional, to fine-tune): the trained SRResNet run (or its "
         "G.safetensors) G starts from; its architecture is G's", 0, NULL, 0, 0, 0},
        {"adv", F_FLOAT, &g->adv, NULL, "srgan: weight of the adversarial loss (paper: 1e-3)", 0, "adv", 1, 1e-9, 100},
        {"d-width", F_INT, &g->d_width, NULL, "srgan: D's first width (paper: 64)", 0, "d_width", 1, 1, 256},
        {"d-lr", F_FLOAT, &g->d_lr, NULL, "srgan: D's Adam learning rate (0: --lr)", 0, "d_lr", 1, 0, 10},
        {"d-warmup", F_INT, &g->d_warmup, NULL, "srgan: first steps that train D alone against the starting G", 0,
         "d_warmup", 1, 0, 1000000},
        {"d-dense", F_INT, &g->d_dense, NULL, "srgan: D's dense units (paper: 1024)", 0, "d_dense", 1, 1, 8192},
        {"content", F_STR, &g->content, "C", "srgan: content loss, pixel (--pixel-loss; SRGAN-MSE), vgg22 or vgg54 "
         "(VGG19 features over 12.75^2; needs --vgg)", 0, "content", 1, 0, 0},
        {"vgg", F_STR, &g->vgg, "FILE", "srgan: VGG19 weights converted by scripts/convert_vgg19.py from torchvision's",
         0, "vgg", 1, 0, 0},
    };
    memcpy(f, fl, sizeof fl);
    return (int)(sizeof fl / sizeof fl[0]);
}

/* srgan: G's architecture is the --init run's (its G.safetensors' metadata) */
static int init_arch(sr_opts_t *g) {
    char *path = g->init_path;
    if (!g->init) {
        fprintf(stderr, "ganc train: srgan starts from a trained SRResNet: --init RUN (ganc train srresnet)\n");
        return 1;
    }
    snprintf(path, sizeof g->init_path, "%s%s", g->init, is_dir(g->init) ? "/G.safetensors" : "");
    ganc_st_t *st = NULL;
    int rc = ganc_st_open(&st, path) || ganc_sr_cfg_from_file(st, &g->net);
    if (rc) fprintf(stderr, "ganc train: --init: %s\n", ganc_errmsg());
    ganc_st_free(st);
    g->skip = g->net.skip == GANC_SR_SKIP_BICUBIC ? "bicubic" : "none"; /* the flags (metadata) follow the file */
    return rc;
}

static int sr_configure(void *p, run_opts_t *o, const ganc_st_t *st) {
    sr_opts_t *g = p;
    if (st && ganc_sr_cfg_from_file(st, &g->net)) {
        fprintf(stderr, "ganc train: cannot resume: %s\n", ganc_errmsg());
        return 1;
    }
    if (strcmp(g->loss, "mse") && strcmp(g->loss, "l1")) {
        fprintf(stderr, "ganc train: --pixel-loss is mse or l1\n");
        return 2;
    }
    if (strcmp(g->skip, "bicubic") && strcmp(g->skip, "none")) {
        fprintf(stderr, "ganc train: --skip is bicubic or none\n");
        return 2;
    }
    if (!st) g->net.skip = strcmp(g->skip, "bicubic") ? GANC_SR_SKIP_NONE : GANC_SR_SKIP_BICUBIC;
    g->gan = !strcmp(o->model, "srgan");
    if (strcmp(g->content, "pixel") && strcmp(g->content, "vgg22") && strcmp(g->content, "vgg54")) {
        fprintf(stderr, "ganc train: --content is pixel, vgg22 or vgg54\n");
        return 2;
    }
    if (strcmp(g->content, "pixel") && (!g->gan || !g->vgg)) {
        fprintf(stderr, "ganc train: --content %s is srgan's and needs --vgg FILE (VGG19 weights from torchvision's, "
                        "converted by scripts/convert_vgg19.py; ganc downloads none)\n", g->content);
        return 2;
    }
    if ((g->gan || g->init) && !st && init_arch(g)) return 2; /* srresnet --init: fine-tuning a trained one */
    if (ganc_dist_size() > 1) {
        fprintf(stderr, "ganc train: srresnet does not train data-parallel yet\n");
        return 2;
    }
    if (o->eval_every > 0 && !flag_seen(o->flags, o->nflags, "eval-real"))
        o->eval_real = "data/photos/test"; /* scripts/get_photos.sh's test set */
    if (!st) { /* the recipe's Adam settings (the paper's betas and batch; SRGAN: the paper's 1e-4), unless given */
        if (!flag_seen(o->flags, o->nflags, "lr")) o->lr = g->gan ? 1e-4f : 5e-4f;
        if (g->gan && !flag_seen(o->flags, o->nflags, "pixel-loss")) g->loss = "mse"; /* SRGAN-MSE */
        if (!flag_seen(o->flags, o->nflags, "beta1")) o->beta1 = 0.9f;
        if (!flag_seen(o->flags, o->nflags, "batch")) o->batch = 16;
    }
    if (!o->out) o->out = g->gan ? "runs/srgan" : "runs/srresnet";
    if (!o->iters && !o->epochs && !(o->time_limit > 0)) o->iters = g->gan ? 1000 : 7200; /* 7200: about an hour */
    if (ganc_sr_check_cfg(&g->net) || g->crop % g->net.scale || (g->gan && g->crop % 16)) {
        fprintf(stderr, "ganc train: %s\n", g->crop % g->net.scale ? "--crop must be a multiple of --scale"
                                             : g->gan && g->crop % 16 ? "srgan: --crop must be a multiple of 16 (D)"
                                                                      : ganc_errmsg());
        return 2;
    }
    return 0;
}

/* --eval-every: the test photos (PSNR on the Y channel, border 4, of each photo degraded and upscaled back) */
static int load_tests(sr_opts_t *g, const char *dir) {
    char **paths = NULL;
    int n = 0, rc = 0;
    if (ganc_list_images(dir, &paths, &n) || n == 0) {
        fprintf(stderr, "ganc train: --eval-every needs the test photos in --eval-real %s: %s\n", dir,
                n ? ganc_errmsg() : "no images (scripts/get_photos.sh fetches them)");
        ganc_free_list(paths, n);
        return 1;
    }
    if (!(g->tests = calloc((size_t)n, sizeof *g->tests))) rc = 1;
    for (int i = 0; !rc && i < n; i++, g->ntests++)
        if (ganc_image_load(paths[i], &g->tests[i])) { fprintf(stderr, "ganc train: %s\n", ganc_errmsg()); rc = 1; }
    ganc_free_list(paths, n);
    return rc;
}

/* the photos of a folder (sorted by name), as bytes; those smaller than a crop are skipped with a count */
static int sr_load(void *p, const run_opts_t *o, ganc_dataset_t *ds) {
    sr_opts_t *g = p;
    char **paths = NULL;
    int n = 0, small = 0;
    if (ganc_list_images(o->data, &paths, &n)) {
        fprintf(stderr, "ganc train: srresnet needs a folder of photographs: %s\n", ganc_errmsg());
        return 1;
    }
    printf("loading %d photos from %s%s ...\n", n, o->data, g->shrink > 1 ? " (reduced --shrink times)" : "");
    fflush(stdout);
    g->photos = calloc((size_t)n, sizeof *g->photos);
    int rc = g->photos ? 0 : 1;
    for (int i = 0; !rc && i < n; i++) {
        ganc_image_t *im = &g->photos[g->nphotos];
        if (ganc_image_load(paths[i], im)) {
            if (!o->skip_bad) { fprintf(stderr, "ganc train: %s (--skip-bad skips it)\n", ganc_errmsg()); rc = 1; }
            continue;
        }
        ganc_image_t small_im;
        if (g->shrink > 1 && im->w >= g->shrink && im->h >= g->shrink) {
            if (ganc_image_shrink(im, g->shrink, &small_im)) {
                fprintf(stderr, "ganc train: %s: %s\n", paths[i], ganc_errmsg());
                ganc_image_free(im);
                rc = 1;
                continue;
            }
            ganc_image_free(im);
            *im = small_im;
        }
        if (im->w < g->crop || im->h < g->crop || (im->c != 3 && im->c != 1)) {
            ganc_image_free(im);
            small++;
            continue;
        }
        g->nphotos++;
    }
    ganc_free_list(paths, n);
    if (!rc && small) fprintf(stderr, "warning: skipped %d images smaller than the %dx%d crop\n", small, g->crop, g->crop);
    if (!rc && g->nphotos == 0) {
        fprintf(stderr, "ganc train: no photo in %s is at least %dx%d\n", o->data, g->crop, g->crop);
        rc = 1;
    }
    if (!rc && o->eval_every > 0) rc = load_tests(g, o->eval_real);
    ds->n = g->nphotos; /* the loader's order runs over the photos; an epoch takes one crop of each */
    ds->c = g->net.nc;
    ds->h = ds->w = g->crop;
    return rc;
}

static int sr_channels(const void *p, const run_opts_t *o) { (void)o; return ((const sr_opts_t *)p)->net.nc; }
static int sr_size(const void *p) { return ((const sr_opts_t *)p)->crop; }

static void sr_destroy(void *p) {
    sr_model_t *m = p;
    if (!m) return;
    ganc_sr_trainer_free(m->t);
    for (int i = 0; i < m->nphotos; i++) ganc_image_free(&m->photos[i]);
    for (int i = 0; i < m->ntests; i++) ganc_image_free(&m->tests[i]);
    free(m->photos);
    free(m->tests);
    free(m->hr); free(m->lr); free(m->grid); free(m->fix_hr); free(m->fix_lr); free(m->idx);
    free(m);
}

/* a grey photo gives a grey crop repeated over the channels */
static int crop_of(const sr_model_t *m, const ganc_image_t *im, ganc_rng_t *r, float *hr, float *lr) {
    ganc_image_t one = *im;
    if (im->c == m->cfg.nc) return ganc_sr_crop(im, m->crop, m->cfg.scale, r, hr, lr);
    unsigned char *px = malloc((size_t)im->w * im->h * m->cfg.nc);
    if (!px) return ganc_fail(GANC_ENOMEM, "out of memory");
    for (size_t i = 0; i < (size_t)im->w * im->h; i++)
        for (int k = 0; k < m->cfg.nc; k++)
            px[i * m->cfg.nc + k] = im->c == 1 ? im->px[i] : im->px[i * im->c]; /* grey from colour: its red */
    one.px = px;
    one.c = m->cfg.nc;
    int rc = ganc_sr_crop(&one, m->crop, m->cfg.scale, r, hr, lr);
    free(px);
    return rc;
}

static void *sr_create(void *p, const run_opts_t *o, const ganc_dataset_t *ds, int *rc) {
    sr_opts_t *g = p;
    (void)ds;
    sr_model_t *m = calloc(1, sizeof *m);
    *rc = 1;
    if (!m) { fprintf(stderr, "ganc train: out of memory\n"); return NULL; }
    m->photos = g->photos; /* the model owns them from here */
    m->nphotos = g->nphotos;
    g->photos = NULL;
    g->nphotos = 0;
    m->tests = g->tests;
    m->ntests = g->ntests;
    g->tests = NULL;
    g->ntests = 0;
    if (join_path(m->eval_tmp, sizeof m->eval_tmp, o->out, "eval_G.tmp.safetensors")) m->eval_tmp[0] = 0;
    m->cfg = g->net;
    m->batch = o->batch;
    m->crop = g->crop;
    ganc_rng_seed(&m->rng, o->seed * 3 + 6);
    m->gan = g->gan;
    ganc_sr_train_cfg_t tc = {m->cfg, o->batch, g->crop, o->lr, o->beta1, o->beta2, o->seed,
                              strcmp(g->loss, "l1") ? GANC_SR_MSE : GANC_SR_L1, g->gan ? g->adv : 0.0f, g->d_width,
                              g->d_dense, !strcmp(g->content, "vgg22") ? GANC_VGG22
                                          : !strcmp(g->content, "vgg54") ? GANC_VGG54 : 0, g->vgg,
                              g->gan ? g->d_lr : 0.0f, g->gan ? g->d_warmup : 0};
    const size_t hr = (size_t)m->cfg.nc * m->crop * m->crop, lr = hr / ((size_t)m->cfg.scale * m->cfg.scale);
    m->nfix = SR_GRID_ROWS < m->batch ? SR_GRID_ROWS : m->batch;
    m->hr = malloc(sizeof(float) * hr * o->batch);
    m->lr = malloc(sizeof(float) * lr * o->batch);
    m->fix_hr = malloc(sizeof(float) * hr * m->nfix);
    m->fix_lr = malloc(sizeof(float) * lr * m->nfix);
    m->grid = malloc(sizeof(float) * hr * 3 * m->nfix);
    m->idx = malloc(sizeof(int) * o->batch);
    if (!m->hr || !m->lr || !m->fix_hr || !m->fix_lr || !m->grid || !m->idx) {
        fprintf(stderr, "ganc train: out of memory\n");
        sr_destroy(m);
        return NULL;
    }
    ganc_st_t *init = NULL; /* srgan: G from the SRResNet run (resuming: from the state, later) */
    if (!(m->t = ganc_sr_trainer_new(&tc)) || ganc_trainer_add_rng(ganc_sr_trainer_core(m->t), "crops", &m->rng) < 0 ||
        (g->init_path[0] && (ganc_st_open(&init, g->init_path) || ganc_net_load_from(ganc_sr_g(m->t), init, "", 0)))) {
        fprintf(stderr, "ganc train: %s\n", ganc_errmsg());
        ganc_st_free(init);
        sr_destroy(m);
        return NULL;
    }
    ganc_st_free(init);
    ganc_rng_t fr; /* the progress grid's crops: fixed, from the first photos */
    ganc_rng_seed(&fr, o->seed * 3 + 7);
    for (int i = 0; i < m->nfix; i++)
        if (crop_of(m, &m->photos[i % m->nphotos], &fr, m->fix_hr + hr * i, m->fix_lr + lr * i)) {
            fprintf(stderr, "ganc train: %s\n", ganc_errmsg());
            sr_destroy(m);
            return NULL;
        }
    *rc = 0;
    return m;
}

static ganc_trainer_t *sr_trainer(void *p) { return ganc_sr_trainer_core(((sr_model_t *)p)->t); }

static int sr_step(void *p, ganc_loader_t *ld, float *v) {
    sr_model_t *m = p;
    const size_t hr = (size_t)m->cfg.nc * m->crop * m->crop, lr = hr / ((size_t)m->cfg.scale * m->cfg.scale);
    ganc_loader_next_idx(ld, m->batch, m->idx);
    for (int b = 0; b < m->batch; b++) {
        int rc = crop_of(m, &m->photos[m->idx[b]], &m->rng, m->hr + hr * b, m->lr + lr * b);
        if (rc) return rc;
    }
    if (m->gan) {
        ganc_srgan_stats_t s;
        int rc = ganc_srgan_train_step(m->t, m->lr, m->hr, &s);
        v[0] = s.content; v[1] = s.adv; v[2] = s.d_loss; v[3] = s.d_real; v[4] = s.d_fake;
        return rc;
    }
    float loss = NAN;
    int rc = ganc_sr_train_step(m->t, m->lr, m->hr, &loss);
    v[0] = loss;
    v[1] = (float)(10.0 * log10(4.0 / loss)); /* PSNR of the crops in [-1,1] (peak-to-peak 2): MSE loss only */
    return rc;
}

static const log_col_t sr_cols[] = {{"loss", "pixel loss", 1}, {"psnr_train", "training-crop PSNR (mse)", 0}};
static const log_col_t srgan_cols[] = {{"content", "content (pixel) loss", 1}, {"adv", "adversarial -log D(G(x))", 1},
                                       {"loss_d", "D loss", 1}, {"d_x", "D(x)", 2}, {"d_g_x", "D(G(x))", 2}};
static const log_col_t *sr_columns(void *p, int *n) {
    const sr_model_t *m = p;
    *n = m->gan ? 5 : 2;
    return m->gan ? srgan_cols : sr_cols;
}

static void sr_progress(void *p, const float *v, int tty, char *buf, size_t cap) {
    const sr_model_t *m = p;
    if (m->gan) snprintf(buf, cap, "content %.4f adv %.3f D %.3f D(x) %.2f D(G(x)) %.2f", v[0], v[1], v[2], v[3], v[4]);
    else snprintf(buf, cap, tty ? "loss %.4f" : "loss %.5f", v[0]);
}

static int sr_meta(void *p, ganc_meta_t *meta) { return ganc_sr_meta(&((sr_model_t *)p)->cfg, meta); }

static int sr_write_weights(void *p, const char *dir, const ganc_meta_t *arch) {
    sr_model_t *m = p;
    ganc_meta_t meta = *arch;
    char path[4096];
    ganc_stw_t *w = ganc_stw_new();
    int rc = w ? ganc_meta_set(&meta, "net", "G") : ganc_fail(GANC_ENOMEM, "out of memory");
    if (!rc) rc = ganc_net_add_to(ganc_sr_g(m->t), w, "");
    if (!rc) rc = ganc_meta_write(&meta, w);
    if (!rc) rc = join_path(path, sizeof path, dir, "G.safetensors");
    if (!rc) rc = ganc_stw_write(w, path);
    ganc_stw_free(w);
    return rc;
}

/* rows of (bicubic upscale of the input, SRResNet's output, the original) for the fixed crops: the training G in eval
   mode (nfix <= batch; weights, statistics and random streams are left alone) */
static int sr_grid(void *p, const float **x, int *n, int *cols, int *c, int *h, int *w) {
    sr_model_t *m = p;
    const int s = m->crop, l = s / m->cfg.scale, nc = m->cfg.nc;
    const size_t hr = (size_t)nc * s * s, lr = (size_t)nc * l * l;
    ganc_net_t *g = ganc_sr_g(m->t);
    const ganc_sr_io_t *io = ganc_sr_g_io(m->t);
    int rc = ganc_net_set_input(g, io->in, m->fix_lr, m->nfix);
    if (!rc) rc = ganc_net_forward(g, m->nfix, 0);
    const float *sr = rc ? NULL : ganc_net_data(g, io->out);
    for (int i = 0; !rc && i < m->nfix; i++) {
        float *row = m->grid + hr * 3 * i;
        rc = ganc_resize(m->fix_lr + lr * i, nc, l, l, s, s, GANC_RESAMPLE_BICUBIC, row);
        memcpy(row + hr, sr + hr * i, hr * sizeof(float));
        memcpy(row + 2 * hr, m->fix_hr + hr * i, hr * sizeof(float));
        for (size_t k = 0; k < 2 * hr; k++) row[k] = row[k] < -1 ? -1 : row[k] > 1 ? 1 : row[k];
    }
    *x = m->grid; *n = 3 * m->nfix; *cols = 3; *c = nc; *h = *w = s;
    return rc;
}

/* PSNR (Y, border 4) of one test photo as scripts/eval_sr.sh measures it (ganc upscale --from-hr): the photo in RGB
   cropped to a multiple of the scale, MATLAB-bicubic down, upscaled back, both rounded to bytes */
static double photo_psnr(ganc_sr_model_t *sm, const ganc_image_t *im, int s) {
    const int H = im->h - im->h % s, W = im->w - im->w % s;
    const size_t hw = (size_t)W * H;
    float *all = malloc(sizeof(float) * 3 * im->w * im->h), *x = malloc(sizeof(float) * 3 * hw);
    float *lo = malloc(sizeof(float) * 3 * hw / ((size_t)s * s)), *y = malloc(sizeof(float) * 3 * hw);
    ganc_image_t ref = {0}, up = {0};
    double psnr = NAN;
    if (all && x && lo && y && H >= s && W >= s) {
        ganc_image_planes(im, 3, all);
        for (int k = 0; k < 3; k++)
            for (int r = 0; r < H; r++)
                memcpy(x + ((size_t)k * H + r) * W, all + ((size_t)k * im->h + r) * im->w, sizeof(float) * W);
        if (!ganc_resize(x, 3, H, W, H / s, W / s, GANC_RESAMPLE_BICUBIC, lo) &&
            !ganc_sr_upscale(sm, lo, H / s, W / s, 64, y) && !ganc_planes_image(x, 3, H, W, &ref) &&
            !ganc_planes_image(y, 3, H, W, &up))
            psnr = ganc_psnr(ref.px, up.px, W, H, 3, 1, 4);
    }
    ganc_image_free(&ref);
    ganc_image_free(&up);
    free(all); free(x); free(lo); free(y);
    return psnr;
}

/* --eval-every: mean PSNR over the test photos, G as it is now (eval mode, through the tiled upscaler) */
static double sr_fid(void *p, fid_ref_t *ref, uint64_t seed) {
    sr_model_t *m = p;
    (void)ref; (void)seed;
    if (!m->eval_tmp[0] || m->cfg.nc != 3) return NAN;
    ganc_meta_t meta;
    ganc_meta_init(&meta);
    ganc_stw_t *w = ganc_stw_new();
    int rc = w ? ganc_sr_meta(&m->cfg, &meta) : GANC_ENOMEM;
    if (!rc) rc = ganc_net_add_to(ganc_sr_g(m->t), w, "");
    if (!rc) rc = ganc_meta_write(&meta, w);
    if (!rc) rc = ganc_stw_write(w, m->eval_tmp);
    ganc_stw_free(w);
    ganc_sr_model_t *sm = rc ? NULL : ganc_sr_load(m->eval_tmp);
    remove(m->eval_tmp);
    double sum = sm && m->ntests ? 0 : NAN;
    for (int i = 0; sm && i < m->ntests; i++) sum += photo_psnr(sm, &m->tests[i], m->cfg.scale);
    ganc_sr_free(sm);
    return sum / (m->ntests ? m->ntests : 1);
}

static const char *sr_summary(void *p, char *buf, size_t cap) {
    sr_model_t *m = p;
    ganc_net_t *d = ganc_sr_d(m->t);
    snprintf(buf, cap, "%s x%d, %d blocks of width %d, %dx%d crops of %d photos (G %zu, D %zu parameters)",
             m->gan ? "srgan" : "srresnet", m->cfg.scale, m->cfg.blocks, m->cfg.width, m->crop, m->crop, m->nphotos,
             ganc_net_nparams(ganc_sr_g(m->t)), d ? ganc_net_nparams(d) : 0);
    return buf;
}

const train_family_t family_sr = {
    "srresnet srgan", NULL, 0, sizeof(sr_opts_t), sr_defaults, sr_add_flags, sr_configure, sr_channels, sr_size,
    sr_create, sr_destroy, sr_trainer, sr_step, sr_progress, sr_columns, sr_meta, sr_write_weights, sr_grid, sr_fid,
    sr_summary, sr_load, "psnr_test",
};
