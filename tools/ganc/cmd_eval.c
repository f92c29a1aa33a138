/* ganc eval METRIC[,METRIC...] --real SRC --fake SRC: sample-quality metrics with every protocol choice printed
   next to the number. */
#include <math.h>
#include <stdio.h>
#include <stdlib.h>
#include <string.h>
#include <sys/stat.h>
#include <unistd.h>
#include "cli.h"

#ifndef GANC_WEIGHTS_DIR
#define GANC_WEIGHTS_DIR "weights"
#endif

static void model_close(src_model_t *m);
void src_free(src_t *s) {
    free(s->x);
    free(s->labels);
    model_close(s->model);
    memset(s, 0, sizeof *s);
}

/* one (c,h,w) image in [-1,1] -> (1,32,32) by the dataset rules (pad 28x28, else grey + resize + crop) */
static int to_net_input(const float *x, int c, int h, int w, float *out) {
    if (c == 1 && h == 32 && w == 32) { memcpy(out, x, sizeof(float) * 1024); return 0; }
    ganc_image_t img = {w, h, c == 1 ? 1 : 3, malloc((size_t)w * h * (c == 1 ? 1 : 3))};
    if (!img.px) return -1;
    for (int y = 0; y < h; y++)
        for (int xx = 0; xx < w; xx++)
            for (int k = 0; k < img.c; k++) {
                float v = (x[((size_t)k * h + y) * w + xx] + 1.0f) * 127.5f + 0.5f;
                img.px[((size_t)y * w + xx) * img.c + k] = v <= 0 ? 0 : v >= 255 ? 255 : (unsigned char)v;
            }
    int rc = ganc_image_to_tensor(&img, 32, 1, out);
    free(img.px);
    return rc;
}

static int npy_is_u8(const char *path) {
    FILE *f = fopen(path, "rb");
    char h[256] = {0};
    size_t n = f ? fread(h, 1, sizeof h - 1, f) : 0;
    if (f) fclose(f);
    for (size_t i = 0; i + 2 < n; i++)
        if (!memcmp(h + i, "u1'", 3)) return 1;
    return 0;
}

/* a trained model as a source: a conditional model is asked for every class in turn (the labels are kept for class
   accuracy); its images are drawn SRC_CHUNK at a time, which is the samplers' own batch, so that drawing them chunk by
   chunk gives the images of one call for all */
typedef struct { ganc_net_t *g; ganc_gan_io_t io; ganc_gan_cfg_t cfg; } gan_src_t;
struct src_model {
    gan_src_t gan;
    ganc_lapgan_t *lap; /* or NULL: gan */
    int nc, size, raw, next;
    ganc_rng_t rng;
    float *imgs; /* SRC_CHUNK images as the model makes them */
};
static void model_close(src_model_t *m) {
    if (!m) return;
    ganc_net_free(m->gan.g);
    ganc_lapgan_free(m->lap);
    free(m->imgs);
    free(m);
}

/* images i..i+b-1 of the model into out: as it makes them (raw), else the classifier's (1,32,32) */
static int model_chunk(src_t *s, int i, int b, float *out) {
    src_model_t *m = s->model;
    if (i != m->next) return ganc_fail(GANC_EINVAL, "%s: samples are drawn in order", s->desc);
    const size_t per = (size_t)m->nc * m->size * m->size;
    float *dst = m->raw ? out : m->imgs;
    const int *lab = s->labels ? s->labels + i : NULL;
    int rc = m->lap ? ganc_lapgan_sample(m->lap, b, lab, &m->rng, dst, NULL, NULL, NULL)
                    : ganc_gan_sample(m->gan.g, &m->gan.io, &m->gan.cfg, b, NULL, lab, &m->rng, 0, dst);
    for (int k = 0; !m->raw && !rc && k < b; k++) rc = to_net_input(m->imgs + per * k, m->nc, m->size, m->size,
                                                                   out + (size_t)k * 1024);
    if (rc) return ganc_fail(GANC_ENOMEM, "%s: sampling failed", s->desc);
    m->next = i + b;
    return 0;
}

int src_chunk(src_t *s, int i, int b, float *buf, const float **out) {
    if (s->x) {
        *out = s->x + (size_t)s->c * s->h * s->w * i;
        return 0;
    }
    *out = buf;
    return model_chunk(s, i, b, buf);
}

/* the model in spec (its G file at gpath), BatchNorm in eval mode, noise from the seed: nmax samples held in s->x,
   or (lazy) drawn by src_chunk */
static int sample_source(const char *spec, char *gpath, size_t cap, int nmax, uint64_t seed, int raw, int lazy,
                         src_t *s) {
    int is_lap, classes;
    src_model_t *m = calloc(1, sizeof *m);
    if (!m) return ganc_fail(GANC_ENOMEM, "out of memory");
    s->model = m;
    m->lap = open_lapgan(spec, SRC_CHUNK, &is_lap, gpath, cap);
    if (is_lap) {
        if (!m->lap) return -1;
        const ganc_lapgan_cfg_t *c = ganc_lapgan_cfg(m->lap);
        m->nc = c->nc; m->size = c->size; classes = c->n_classes;
        snprintf(s->desc, sizeof s->desc, "%.400s (lapgan, %d samples, seed %llu%s)", gpath, nmax,
                 (unsigned long long)seed, classes ? ", classes 0,1,2,... in turn" : "");
    } else {
        if (!(m->gan.g = open_generator(spec, SRC_CHUNK, &m->gan.cfg, &m->gan.io, gpath, cap))) return -1;
        m->nc = m->gan.cfg.nc; m->size = m->gan.cfg.size; classes = m->gan.cfg.n_classes;
        snprintf(s->desc, sizeof s->desc, "%.400s (%d samples, seed %llu, BatchNorm eval%s)", gpath, nmax,
                 (unsigned long long)seed, classes ? ", classes 0,1,2,... in turn" : "");
    }
    const size_t per = (size_t)m->nc * m->size * m->size, out = raw ? per : 1024;
    m->raw = raw;
    ganc_rng_seed(&m->rng, seed);
    if (raw) { s->c = m->nc; s->h = s->w = m->size; }
    if (classes && !(s->labels = malloc(sizeof(int) * nmax))) return ganc_fail(GANC_ENOMEM, "out of memory");
    for (int i = 0; classes && i < nmax; i++) s->labels[i] = i % classes;
    if (!raw && !(m->imgs = malloc(sizeof(float) * per * SRC_CHUNK))) return ganc_fail(GANC_ENOMEM, "out of memory");
    s->n = nmax;
    if (lazy) return 0;
    if (!(s->x = malloc(sizeof(float) * out * nmax))) return ganc_fail(GANC_ENOMEM, "%s: out of memory", gpath);
    for (int i = 0; i < nmax; i += SRC_CHUNK)
        if (model_chunk(s, i, nmax - i < SRC_CHUNK ? nmax - i : SRC_CHUNK, s->x + out * i)) return -1;
    model_close(s->model);
    s->model = NULL;
    return 0;
}

/* raw = 0: every image made (1,32,32) for ganc's classifier. raw = size > 0: images kept as the source has them
   (a .npy's or a model's own shape; datasets loaded at size x size, 1 channel for fashion-mnist/idx, else 3) for
   Inception, which resizes them itself. */
static int load_any(const char *spec, int nmax, uint64_t seed, int raw, int lazy, src_t *s) {
    memset(s, 0, sizeof *s);
    s->c = 1; s->h = s->w = 32;
    if (ends_with(spec, ".npy")) {
        int nd;
        int64_t sh[8];
        float *a;
        if (ganc_npy_read_f32(spec, &nd, sh, &a)) return -1;
        int u8 = npy_is_u8(spec);
        if (nd == 3) { sh[3] = sh[2]; sh[2] = sh[1]; sh[1] = 1; nd = 4; }
        if (nd != 4 || sh[0] < 1 || sh[1] < 1 || sh[1] > 4 || sh[2] < 4 || sh[3] < 4) {
            free(a);
            return ganc_fail(GANC_EFORMAT, "%s: expected images of shape (N,C,H,W) or (N,H,W)", spec);
        }
        int n = sh[0] < nmax ? (int)sh[0] : nmax, c = (int)sh[1], h = (int)sh[2], w = (int)sh[3];
        size_t per = (size_t)c * h * w;
        for (size_t i = 0; i < per * n; i++)
            if (!isfinite(a[i])) {
                free(a);
                return ganc_fail(GANC_EFORMAT, "%s: image %zu has NaN or infinite pixels", spec, i / per);
            }
        if (raw) { s->c = c; s->h = h; s->w = w; }
        s->x = malloc(sizeof(float) * (size_t)n * (raw ? per : 1024));
        float *tmp = malloc(sizeof(float) * per);
        int rc = s->x && tmp ? 0 : -1;
        for (int i = 0; !rc && i < n; i++) {
            for (size_t k = 0; k < per; k++) tmp[k] = u8 ? a[(size_t)i * per + k] / 127.5f - 1.0f : a[(size_t)i * per + k];
            if (raw) memcpy(s->x + per * i, tmp, sizeof(float) * per);
            else rc = to_net_input(tmp, c, h, w, s->x + (size_t)i * 1024);
        }
        free(a); free(tmp);
        if (rc) { src_free(s); return ganc_fail(GANC_ENOMEM, "%s: out of memory", spec); }
        s->n = n;
        snprintf(s->desc, sizeof s->desc, "%.400s (%d images, %s)", spec, n, u8 ? "uint8" : "float");
        return 0;
    }
    char gpath[4096];
    int model = ends_with(spec, ".safetensors");
    if (!model && is_dir(spec)) {
        struct stat st;
        snprintf(gpath, sizeof gpath, "%s/G.safetensors", spec);
        model = stat(gpath, &st) == 0;
    }
    if (model) {
        const int rc = sample_source(spec, gpath, sizeof gpath, nmax, seed, raw, lazy, s);
        if (rc) src_free(s);
        return rc;
    }
    ganc_dataset_t ds;
    int ch = !raw || !strncmp(spec, "fashion-mnist", 13) || !strncmp(spec, "idx:", 4) ? 1 : 3;
    if (ganc_dataset_load(&ds, spec, raw ? raw : 32, ch, 0)) return -1;
    if (raw) { s->c = ch; s->h = s->w = raw; }
    int n = ds.n < nmax ? ds.n : nmax;
    const size_t per = (size_t)s->c * s->h * s->w;
    s->x = malloc(sizeof(float) * (size_t)n * per);
    if (ds.labels) s->labels = malloc(sizeof(int) * n);
    if (!s->x || (ds.labels && !s->labels)) { ganc_dataset_free(&ds); src_free(s); return ganc_fail(GANC_ENOMEM, "out of memory"); }
    memcpy(s->x, ds.x, sizeof(float) * (size_t)n * per);
    if (ds.labels) memcpy(s->labels, ds.labels, sizeof(int) * n);
    s->n = n;
    snprintf(s->desc, sizeof s->desc, "%.400s (first %d images)", spec, n);
    ganc_dataset_free(&ds);
    return 0;
}

int load_source(const char *spec, int nmax, uint64_t seed, int raw, src_t *s) {
    return load_any(spec, nmax, seed, raw, 0, s);
}
int load_source_lazy(const char *spec, int nmax, uint64_t seed, int raw, src_t *s) {
    return load_any(spec, nmax, seed, raw, 1, s);
}

/* paired 8-bit images for PSNR/SSIM: a folder (sorted names) or a uint8 .npy (N,C,H,W) */
typedef struct { ganc_image_t *im; int n; } pairs_t;
static int load_images(const char *spec, pairs_t *p) {
    memset(p, 0, sizeof *p);
    if (ends_with(spec, ".npy")) {
        int nd;
        int64_t sh[8];
        float *a;
        if (ganc_npy_read_f32(spec, &nd, sh, &a)) return -1;
        if (nd != 4 || !npy_is_u8(spec) || sh[1] < 1 || sh[1] > 4) {
            free(a);
            return ganc_fail(GANC_EFORMAT, "%s: expected uint8 images (N,C,H,W)", spec);
        }
        p->n = (int)sh[0];
        p->im = calloc((size_t)p->n, sizeof(ganc_image_t));
        int c = (int)sh[1], h = (int)sh[2], w = (int)sh[3];
        for (int i = 0; p->im && i < p->n; i++) {
            p->im[i] = (ganc_image_t){w, h, c, malloc((size_t)w * h * c)};
            for (int k = 0; k < c && p->im[i].px; k++)
                for (int q = 0; q < h * w; q++) p->im[i].px[(size_t)q * c + k] = (unsigned char)a[((size_t)i * c + k) * h * w + q];
        }
        free(a);
        return p->im ? 0 : ganc_fail(GANC_ENOMEM, "out of memory");
    }
    char **names;
    if (!is_dir(spec)) return ganc_fail(GANC_EIO, "%s: not a folder of images or a uint8 .npy", spec);
    if (ganc_list_images(spec, &names, &p->n)) return -1;
    p->im = calloc((size_t)p->n, sizeof(ganc_image_t));
    int rc = p->im ? 0 : ganc_fail(GANC_ENOMEM, "out of memory");
    for (int i = 0; !rc && i < p->n; i++)
        if (ganc_image_load(names[i], &p->im[i])) rc = -1;
    ganc_free_list(names, p->n);
    return rc;
}
static void pairs_free(pairs_t *p) {
    for (int i = 0; p->im && i < p->n; i++) ganc_image_free(&p->im[i]);
    free(p->im);
}

enum { M_FID, M_KID, M_PR, M_IS, M_ACC, M_PARZEN, M_PSNR, M_SSIM, M_SHARP, M_COUNT };
static const char *const metric_names[M_COUNT] = {"fid", "kid", "pr", "is", "acc", "parzen", "psnr", "ssim", "sharp"};

typedef struct {
    const char *real, *fake, *clf, *valid, *incp, *device;
    int insize, n, json, kid_subsets, kid_size, splits, k, pr_n, border, rgb, parzen_valid, threads;
    uint64_t seed;
    float sigma;
    int want[M_COUNT];
    char js[8192]; /* --json: the members so far, printed as one object only when every metric succeeded */
    size_t jn;
} eval_opts_t;

/* One metric's result: a line for people, or a member of the JSON object. Every value must be finite: a metric
   that cannot give a number is an error, never "nan" or "inf" (which JSON does not have). */
static int emit(eval_opts_t *o, const char *key, const double *v, int nv, const char *line, const char *json) {
    for (int i = 0; i < nv; i++)
        if (!isfinite(v[i])) {
            fprintf(stderr, "ganc eval: %s: the result is not a finite number (degenerate input: constant or too few "
                            "images, or non-finite pixels)\n", key);
            return 1;
        }
    if (o->json) {
        size_t cap = sizeof o->js - o->jn;
        int w = snprintf(o->js + o->jn, cap, "%s\"%s\": {%s}", o->jn ? ", " : "", key, json);
        if (w < 0 || (size_t)w >= cap) { fprintf(stderr, "ganc eval: JSON output too long\n"); return 1; }
        o->jn += (size_t)w;
    } else {
        printf("%s\n", line);
    }
    return 0;
}

/* a paired metric's mean over the pairs: the printed line, and its JSON member */
static int emit_paired(eval_opts_t *o, const char *name, double value, int pairs, const char *ch, const char *line) {
    char js[512];
    double v[1] = {value};
    snprintf(js, sizeof js, "\"value\": %.6f, \"pairs\": %d, \"channel\": \"%s\", \"border\": %d", value, pairs,
             ch, o->border);
    return emit(o, name, v, 1, line, js);
}

static int paired_metrics(eval_opts_t *o) {
    pairs_t a, b;
    if (load_images(o->real, &a) || load_images(o->fake, &b)) {
        fprintf(stderr, "ganc eval: %s\n", ganc_errmsg());
        return 1;
    }
    int rc = 0;
    if (a.n != b.n || a.n == 0) {
        fprintf(stderr, "ganc eval: %d real vs %d fake images: PSNR/SSIM need pairs\n", a.n, b.n);
        rc = 1;
    }
    double ps = 0, ss = 0, sh = 0;
    for (int i = 0; i < a.n && !rc; i++) {
        const ganc_image_t *x = &a.im[i], *y = &b.im[i];
        const int in = (x->w < x->h ? x->w : x->h) - 2 * o->border; /* what is left after the border crop */
        if (x->w != y->w || x->h != y->h || x->c != y->c) {
            fprintf(stderr, "ganc eval: pair %d differs in size (%dx%dx%d vs %dx%dx%d)\n", i, x->w, x->h, x->c, y->w,
                    y->h, y->c);
            rc = 1;
        } else if (in < 1 || (o->want[M_SSIM] && in < 11)) {
            fprintf(stderr, "ganc eval: pair %d is %dx%d: after cropping --border %d it leaves %d px%s\n", i, x->w,
                    x->h, o->border, in < 0 ? 0 : in, o->want[M_SSIM] ? " (SSIM's 11x11 window needs 11)" : "");
            rc = 1;
        } else {
            ps += ganc_psnr(x->px, y->px, x->w, x->h, x->c, !o->rgb, o->border);
            if (o->want[M_SSIM]) ss += ganc_ssim(x->px, y->px, x->w, x->h, x->c, !o->rgb, o->border);
            if (o->want[M_SHARP]) sh += ganc_sharpness(x->px, y->px, x->w, x->h, x->c, !o->rgb, o->border);
        }
    }
    const char *ch = o->rgb ? "RGB" : "Y (BT.601)";
    char line[512];
    if (!rc && o->want[M_PSNR]) { /* identical pairs: PSNR is infinite, reported as an error by emit */
        snprintf(line, sizeof line, "PSNR %.4f dB  (mean over %d pairs; %s; border %d cropped)", ps / a.n, a.n, ch,
                 o->border);
        rc = emit_paired(o, "psnr", ps / a.n, a.n, ch, line);
    }
    if (!rc && o->want[M_SSIM]) {
        snprintf(line, sizeof line, "SSIM %.6f  (mean over %d pairs; %s; border %d; Gaussian 11x11 sigma 1.5, K1 0.01, "
                 "K2 0.03, L 255)", ss / a.n, a.n, ch, o->border);
        rc = emit_paired(o, "ssim", ss / a.n, a.n, ch, line);
    }
    if (!rc && o->want[M_SHARP]) { /* a flat reference gives nan, an error in emit */
        snprintf(line, sizeof line, "sharpness %.4f  (mean over %d pairs of --fake's mean gradient magnitude over "
                 "--real's; %s; border %d; 1 = as sharp as --real)", sh / a.n, a.n, ch, o->border);
        rc = emit_paired(o, "sharp", sh / a.n, a.n, ch, line);
    }
    pairs_free(&a);
    pairs_free(&b);
    return rc;
}

/* features of both sets (and the fake set's class probabilities) from the classifier or Inception */
typedef struct {
    src_t R, F;
    int D, classes;
    float *fr, *ff, *pf;
    char fdesc[4400];
} feats_t;

static void feats_free(feats_t *f) {
    free(f->fr); free(f->ff); free(f->pf);
    src_free(&f->R);
    src_free(&f->F);
}

static int all_finite(const float *x, size_t n) {
    float acc = 0;
    for (size_t i = 0; i < n; i++) acc += x[i] * 0.0f;
    return acc == 0.0f;
}

/* the feature network: Inception-v3 or ganc's classifier */
typedef struct {
    ganc_inception_t *inc;
    ganc_net_t *net;
    int in, fe, lo;
} featnet_t;

/* features (and class probabilities, or NULL) of a source, SRC_CHUNK images at a time: a model's samples are drawn as
   they are needed, never all held (50,000 of 64x64x3 are 2.4 GB); a progress line on a terminal for Inception (about
   0.1-0.2 s per image on 2 cores) */
static int source_features(const featnet_t *fn, src_t *s, int raw, int D, int classes, float *feat, float *probs) {
    const size_t per = raw ? (size_t)s->c * s->h * s->w : 1024;
    float *buf = s->x ? NULL : malloc(sizeof(float) * per * SRC_CHUNK);
    if (!s->x && !buf) return ganc_fail(GANC_ENOMEM, "out of memory");
    const int tty = fn->inc && isatty(2);
    const double t0 = now_s();
    int rc = 0;
    for (int i = 0; !rc && i < s->n; i += SRC_CHUNK) {
        const int b = s->n - i < SRC_CHUNK ? s->n - i : SRC_CHUNK;
        const float *x;
        if ((rc = src_chunk(s, i, b, buf, &x))) break;
        if (!all_finite(x, per * b)) { rc = ganc_fail(GANC_EFORMAT, "%s: NaN or infinite pixels", s->desc); break; }
        if (!fn->inc) {
            rc = ganc_classifier_run(fn->net, fn->in, fn->fe, fn->lo, x, b, feat + (size_t)D * i,
                                     probs ? probs + (size_t)classes * i : NULL);
            continue;
        }
        for (int k = 0; !rc && k < b; k += 64) {
            const int bk = b - k < 64 ? b - k : 64;
            rc = ganc_inception_run(fn->inc, x + per * k, bk, s->c, s->h, s->w, feat + (size_t)D * (i + k),
                                    probs ? probs + (size_t)classes * (i + k) : NULL);
            if (tty) fprintf(stderr, "\rInception-v3: %d/%d images, %.1f s", i + k + bk, s->n, now_s() - t0);
        }
    }
    if (tty) fprintf(stderr, "\n");
    free(buf);
    return rc;
}

static int compute_features(const eval_opts_t *o, feats_t *f) {
    const int raw = o->incp ? o->insize : 0;
    /* Parzen works on the pixels themselves: only then are a model's samples held */
    int (*load)(const char *, int, uint64_t, int, src_t *) = o->want[M_PARZEN] ? load_source : load_source_lazy;
    featnet_t fn = {0};
    int rc = GANC_OK;
    if (load(o->real, o->n, o->seed, raw, &f->R) || load(o->fake, o->n, o->seed, raw, &f->F)) return -1;
    if (f->R.n < 2 || f->F.n < 2)
        return ganc_fail(GANC_EINVAL, "%s has %d image%s: the metrics need at least 2 per set",
                         f->R.n < 2 ? o->real : o->fake, f->R.n < 2 ? f->R.n : f->F.n,
                         (f->R.n < 2 ? f->R.n : f->F.n) == 1 ? "" : "s");
    char cpath[4096];
    f->D = 128;
    f->classes = 10;
    if (o->incp) {
        if ((rc = ganc_inception_open(&fn.inc, o->incp, 16))) return rc;
        f->D = 2048;
        f->classes = ganc_inception_classes(fn.inc);
        snprintf(f->fdesc, sizeof f->fdesc, "Inception-v3 (%s, %s layout, %d classes), 2048-d pool features, images "
                 "resized bilinearly to 299x299", o->incp, ganc_inception_is_fid_variant(fn.inc) ? "pytorch-fid FID" :
                 "torchvision", f->classes);
    } else {
        snprintf(cpath, sizeof cpath, "%s", o->clf ? o->clf : getenv("GANC_WEIGHTS") ? getenv("GANC_WEIGHTS") :
                 GANC_WEIGHTS_DIR "/fmnist_cnn.safetensors");
        snprintf(f->fdesc, sizeof f->fdesc, "ganc Fashion-MNIST CNN (%s), 128-d penultimate layer", cpath);
        fn.net = ganc_classifier_net(SRC_CHUNK, &fn.in, &fn.fe, &fn.lo);
        if (!fn.net || ganc_net_load(fn.net, cpath)) rc = -1;
    }
    f->fr = malloc(sizeof(float) * (size_t)f->R.n * f->D);
    f->ff = malloc(sizeof(float) * (size_t)f->F.n * f->D);
    f->pf = malloc(sizeof(float) * (size_t)f->F.n * f->classes);
    if (!rc && (!f->fr || !f->ff || !f->pf)) rc = ganc_fail(GANC_ENOMEM, "out of memory for features");
    if (!rc) rc = source_features(&fn, &f->R, raw, f->D, f->classes, f->fr, NULL) ||
                  source_features(&fn, &f->F, raw, f->D, f->classes, f->ff, f->pf);
    if (!rc && (!all_finite(f->fr, (size_t)f->R.n * f->D) || !all_finite(f->ff, (size_t)f->F.n * f->D)))
        rc = ganc_fail(GANC_EFORMAT, "the feature network gives non-finite features (are its weights finite?)");
    ganc_net_free(fn.net);
    ganc_inception_free(fn.inc);
    return rc;
}

static int metric_fid(eval_opts_t *o, feats_t *f) {
    const int D = f->D;
    double *m1 = malloc(sizeof(double) * D), *c1 = malloc(sizeof(double) * D * D);
    double *m2 = malloc(sizeof(double) * D), *c2 = malloc(sizeof(double) * D * D), v[1] = {NAN};
    int rc = m1 && c1 && m2 && c2 ? 0 : ganc_fail(GANC_ENOMEM, "out of memory");
    if (!rc) rc = ganc_feature_stats(f->fr, f->R.n, D, m1, c1);
    if (!rc) rc = ganc_feature_stats(f->ff, f->F.n, D, m2, c2);
    if (!rc) v[0] = ganc_fid(m1, c1, m2, c2, D);
    free(m1); free(c1); free(m2); free(c2);
    if (rc) { fprintf(stderr, "ganc eval: fid: %s\n", ganc_errmsg()); return 1; }
    char line[256], js[256];
    snprintf(line, sizeof line, "FID %.4f  (N real %d, N fake %d)", v[0], f->R.n, f->F.n);
    snprintf(js, sizeof js, "\"value\": %.6f, \"n_real\": %d, \"n_fake\": %d", v[0], f->R.n, f->F.n);
    return emit(o, "fid", v, 1, line, js);
}

static int metric_kid_pr(eval_opts_t *o, feats_t *f, int which) {
    char line[256], js[256];
    double v[2];
    if (which == M_KID) {
        int size = o->kid_size < f->R.n ? o->kid_size : f->R.n;
        if (size > f->F.n) size = f->F.n;
        if (ganc_kid(f->fr, f->R.n, f->ff, f->F.n, f->D, o->kid_subsets, size, o->seed, &v[0], &v[1])) goto fail;
        snprintf(line, sizeof line, "KID %.6f +- %.6f  (%d subsets of %d; cubic polynomial kernel)", v[0], v[1],
                 o->kid_subsets, size);
        snprintf(js, sizeof js, "\"mean\": %.8f, \"std\": %.8f, \"subsets\": %d, \"subset_size\": %d", v[0], v[1],
                 o->kid_subsets, size);
        return emit(o, "kid", v, 2, line, js);
    }
    int nr = f->R.n < o->pr_n ? f->R.n : o->pr_n, nf = f->F.n < o->pr_n ? f->F.n : o->pr_n;
    if (o->k >= nr || o->k >= nf) {
        fprintf(stderr, "ganc eval: pr: --k %d needs more than %d images per set\n", o->k, o->k);
        return 1;
    }
    if (ganc_precision_recall(f->fr, nr, f->ff, nf, f->D, o->k, &v[0], &v[1])) goto fail;
    snprintf(line, sizeof line, "precision %.4f  recall %.4f  (k=%d, N real %d, N fake %d)", v[0], v[1], o->k, nr, nf);
    snprintf(js, sizeof js, "\"precision\": %.6f, \"recall\": %.6f, \"k\": %d, \"n_real\": %d, \"n_fake\": %d", v[0],
             v[1], o->k, nr, nf);
    return emit(o, "pr", v, 2, line, js);
fail:
    fprintf(stderr, "ganc eval: %s: %s\n", metric_names[which], ganc_errmsg());
    return 1;
}

static int metric_is_acc(eval_opts_t *o, feats_t *f, int which) {
    char line[256], js[256];
    double v[2];
    if (which == M_IS) {
        if (o->splits > f->F.n) {
            fprintf(stderr, "ganc eval: is: --splits %d is more than the %d fake images\n", o->splits, f->F.n);
            return 1;
        }
        if (ganc_inception_score(f->pf, f->F.n, f->classes, o->splits, &v[0], &v[1])) {
            fprintf(stderr, "ganc eval: is: %s\n", ganc_errmsg());
            return 1;
        }
        snprintf(line, sizeof line, "IS %.4f +- %.4f  (%d splits of the fake set; feature network softmax, %d classes)",
                 v[0], v[1], o->splits, f->classes);
        snprintf(js, sizeof js, "\"mean\": %.6f, \"std\": %.6f, \"splits\": %d, \"classes\": %d", v[0], v[1], o->splits,
                 f->classes);
        return emit(o, "is", v, 2, line, js);
    }
    if (!f->F.labels) {
        fprintf(stderr, "ganc eval: acc needs a --fake source with labels (classes asked for)\n");
        return 1;
    }
    v[0] = ganc_class_accuracy(f->pf, f->F.n, 10, f->F.labels);
    snprintf(line, sizeof line, "class accuracy %.4f  (N %d; argmax of the classifier against the requested class)",
             v[0], f->F.n);
    snprintf(js, sizeof js, "\"value\": %.6f, \"n\": %d", v[0], f->F.n);
    return emit(o, "acc", v, 1, line, js);
}

/* the 2014 paper's protocol: pixels in [0,1], sigma from numpy.logspace(-1, 0, 10) on --valid (parzen_ll.py) */
static int metric_parzen(eval_opts_t *o, feats_t *f) {
    src_t V = {0};
    const int d = 1024;
    for (size_t i = 0; i < (size_t)f->R.n * d; i++) f->R.x[i] = (f->R.x[i] + 1) * 0.5f;
    for (size_t i = 0; i < (size_t)f->F.n * d; i++) f->F.x[i] = (f->F.x[i] + 1) * 0.5f;
    double best = o->sigma, bl = -INFINITY, v[2];
    int rc = 0;
    if (!(o->sigma > 0)) {
        if ((rc = load_source(o->valid, o->parzen_valid, o->seed, 0, &V))) goto done;
        for (size_t i = 0; i < (size_t)V.n * d; i++) V.x[i] = (V.x[i] + 1) * 0.5f;
        for (int g = 0; g < 10; g++) {
            double s = pow(10.0, -1.0 + g / 9.0);
            if ((rc = ganc_parzen(f->F.x, f->F.n, V.x, V.n, d, s, &v[0], &v[1]))) goto done;
            if (v[0] > bl) { bl = v[0]; best = s; }
        }
    }
    rc = ganc_parzen(f->F.x, f->F.n, f->R.x, f->R.n, d, best, &v[0], &v[1]);
done:
    src_free(&V);
    if (rc) { fprintf(stderr, "ganc eval: parzen: %s\n", ganc_errmsg()); return 1; }
    char line[512], js[512];
    const char *from = o->sigma > 0 ? "given" : "chosen on --valid";
    snprintf(line, sizeof line, "Parzen log-likelihood %.2f +- %.2f (s.e.)  (sigma %.4f %s; 1x32x32 pixels in [0,1]; "
             "N kernels %d, N test %d)", v[0], v[1], best, from, f->F.n, f->R.n);
    snprintf(js, sizeof js, "\"mean\": %.6f, \"se\": %.6f, \"sigma\": %.6f, \"sigma_from\": \"%s\", \"n_kernels\": %d, "
             "\"n_test\": %d", v[0], v[1], best, from, f->F.n, f->R.n);
    return emit(o, "parzen", v, 2, line, js);
}

static int feature_metrics(eval_opts_t *o) {
    feats_t f = {0};
    if (compute_features(o, &f)) {
        fprintf(stderr, "ganc eval: %s\n", ganc_errmsg());
        feats_free(&f);
        return 1;
    }
    if (!o->json) printf("real: %s\nfake: %s\nfeatures: %s\n", f.R.desc, f.F.desc, f.fdesc);
    int rc = 0;
    if (!rc && o->want[M_FID]) rc = metric_fid(o, &f);
    if (!rc && o->want[M_KID]) rc = metric_kid_pr(o, &f, M_KID);
    if (!rc && o->want[M_PR]) rc = metric_kid_pr(o, &f, M_PR);
    if (!rc && o->want[M_IS]) rc = metric_is_acc(o, &f, M_IS);
    if (!rc && o->want[M_ACC]) rc = metric_is_acc(o, &f, M_ACC);
    if (!rc && o->want[M_PARZEN]) rc = metric_parzen(o, &f); /* last: it rescales the pixels */
    feats_free(&f);
    return rc;
}

/* METRIC[,METRIC...] into o->want; 0 or 2 after a message */
static int parse_metrics(const char *arg, eval_opts_t *o) {
    char list[256];
    if (snprintf(list, sizeof list, "%s", arg) >= (int)sizeof list) {
        fprintf(stderr, "ganc eval: the metric list is too long\n");
        return 2;
    }
    for (char *t = strtok(list, ","); t; t = strtok(NULL, ",")) {
        int found = 0;
        for (int i = 0; i < M_COUNT; i++)
            if (!strcmp(t, metric_names[i])) o->want[i] = found = 1;
        if (!found) {
            fprintf(stderr, "ganc eval: unknown metric '%s' (fid, kid, pr, is, acc, parzen, psnr, ssim, sharp)\n", t);
            return 2;
        }
    }
    return 0;
}

static int check_eval_opts(const eval_opts_t *o) {
    const struct { const char *flag; int v, lo, hi; } r[] = {
        {"n", o->n, 2, 1000000}, {"kid-subsets", o->kid_subsets, 1, 10000}, {"kid-size", o->kid_size, 2, 100000},
        {"splits", o->splits, 1, 1000}, {"k", o->k, 1, 100}, {"pr-n", o->pr_n, 2, 50000},
        {"valid-n", o->parzen_valid, 1, 100000}, {"border", o->border, 0, 4096}, {"threads", o->threads, 0, 1024},
        {"size", o->insize, 8, 1024}};
    for (size_t i = 0; i < sizeof r / sizeof r[0]; i++)
        if (r[i].v < r[i].lo || r[i].v > r[i].hi) {
            fprintf(stderr, "ganc eval: --%s must be %d..%d, got %d\n", r[i].flag, r[i].lo, r[i].hi, r[i].v);
            return 2;
        }
    if (!(o->sigma >= 0)) {
        fprintf(stderr, "ganc eval: --sigma must be a finite number >= 0 (0: chosen on --valid)\n");
        return 2;
    }
    if (o->incp && (o->want[M_ACC] || o->want[M_PARZEN])) {
        fprintf(stderr, "ganc eval: acc and parzen use ganc's Fashion-MNIST classifier / pixels: run them without "
                        "--inception\n");
        return 2;
    }
    return 0;
}

int cmd_eval(int argc, char **argv) {
    static const command_t cmd = {
        "eval", "eval METRIC[,METRIC...] --real SRC --fake SRC [options]",
        "Metrics: fid, kid, pr (precision/recall, k-NN), is (Inception Score), acc (class accuracy of --fake against\n"
        "its labels), parzen (Parzen-window log-likelihood of --real under --fake), psnr, ssim, sharp (paired images;\n"
        "sharp: --fake's mean gradient magnitude over --real's, 1 = as sharp, below 1 blurrier).\n"
        "SRC: fashion-mnist:test / :train, idx:FILE[,LABELS], sklearn-digits, emoji[-heldout][:PATH], a labelled-array\n"
        "folder (images.npy + labels.npy), a folder of images, a .npy (uint8 or float32 in [-1,1],\n"
        "(N,C,H,W)), or a trained model (run folder or G.safetensors: sampled with --seed, BatchNorm in eval mode).\n"
        "Features and class probabilities come from ganc's Fashion-MNIST network (--classifier); images are made\n"
        "1x32x32 first (28x28 padded by 2 px, others converted to grey, resized on the short side, centre-cropped).\n"
        "With --inception FILE they come from Inception-v3 (torchvision layout, or pytorch-fid's FID weights):\n"
        "2048-d pool features, softmax of its logits for IS; datasets are loaded at --size (Fashion-MNIST padded\n"
        "28->32, grey; folders RGB), .npy and models as they are; grey is replicated to RGB and every image is\n"
        "resized bilinearly (align_corners=False, as pytorch-fid) to 299x299, values in [-1,1].\n"
        "A metric that cannot give a finite number is an error (exit 1); --json prints one object, only when every\n"
        "metric succeeded, and never carries nan or inf.",
        NULL};
    eval_opts_t o = {.device = "cpu", .real = "fashion-mnist:test", .valid = "fashion-mnist:train", .insize = 32, .n = 10000,
                     .kid_subsets = 100, .kid_size = 1000, .splits = 10, .k = 3, .pr_n = 5000, .border = 4,
                     .parzen_valid = 1000, .seed = 1};
    flag_t flags[] = {
        {"real", F_STR, &o.real, "SRC", "reference images", 0, NULL, 0, 0, 0},
        {"fake", F_STR, &o.fake, "SRC", "images to evaluate", 0, NULL, 0, 0, 0},
        {"n", F_INT, &o.n, NULL, "images taken from each source (samples drawn from a model)", 0, NULL, 0, 2, 1000000},
        {"seed", F_U64, &o.seed, NULL, "noise seed when a source is a model; KID subsets", 0, NULL, 0, 0, 0},
        {"classifier", F_STR, &o.clf, "FILE", "feature network weights (default: weights/fmnist_cnn.safetensors)", 0, NULL, 0, 0, 0},
        {"inception", F_STR, &o.incp, "FILE", "use Inception-v3 weights (safetensors, torchvision names) as the feature "
                                              "network (README: Inception weights)", 0, NULL, 0, 0, 0},
        {"size", F_INT, &o.insize, NULL, "with --inception: size datasets and folders are loaded at", 0, NULL, 0, 8, 1024},
        {"kid-subsets", F_INT, &o.kid_subsets, NULL, "KID: number of subsets", 0, NULL, 0, 1, 10000},
        {"kid-size", F_INT, &o.kid_size, NULL, "KID: subset size (capped by the sample counts)", 0, NULL, 0, 2, 100000},
        {"splits", F_INT, &o.splits, NULL, "Inception Score: splits (at most the fake count)", 0, NULL, 0, 1, 1000},
        {"k", F_INT, &o.k, NULL, "precision/recall: neighbours", 0, NULL, 0, 1, 100},
        {"pr-n", F_INT, &o.pr_n, NULL, "precision/recall: images per set (distance matrices are n^2)", 0, NULL, 0, 2, 50000},
        {"valid", F_STR, &o.valid, "SRC", "Parzen: images on which sigma is chosen", 0, NULL, 0, 0, 0},
        {"valid-n", F_INT, &o.parzen_valid, NULL, "Parzen: validation images", 0, NULL, 0, 1, 100000},
        {"sigma", F_FLOAT, &o.sigma, NULL, "Parzen: fixed kernel width instead of choosing it (pixels in [0,1])", 0, NULL, 0, 0, 1000000.0},
        {"border", F_INT, &o.border, NULL, "PSNR/SSIM: pixels cropped on each side (the SR scale)", 0, NULL, 0, 0, 4096},
        {"rgb", F_BOOL, &o.rgb, NULL, "PSNR/SSIM on RGB channels instead of the Y channel", 0, NULL, 0, 0, 0},
        {"json", F_BOOL, &o.json, NULL, "print one JSON object instead of lines", 0, NULL, 0, 0, 0},
        {"threads", F_INT, &o.threads, NULL, "threads (default: all cores)", 0, NULL, 0, 0, 1024},
        {"device", F_STR, &o.device, "D", DEVICE_HELP, 0, NULL, 0, 0, 0},
    };
    const int nflags = (int)(sizeof flags / sizeof flags[0]);
    char *pos[1];
    int npos, prc = parse_flags(&cmd, flags, nflags, argc, argv, pos, 1, &npos);
    if (prc) return prc == 1 ? 0 : 2;
    if (npos != 1 || !o.fake) {
        fprintf(stderr, "ganc eval: need METRIC[,METRIC...] and --fake (see ganc eval --help)\n");
        return 2;
    }
    if ((prc = parse_metrics(pos[0], &o)) || (prc = check_eval_opts(&o))) return prc;
    if (dry_run()) return 0;
    ganc_set_threads(o.threads);
    if (use_device("eval", o.device)) return 2;
    int rc = 0, feat = 0;
    for (int i = M_FID; i <= M_PARZEN; i++) feat |= o.want[i];
    if (o.want[M_PSNR] || o.want[M_SSIM] || o.want[M_SHARP]) rc = paired_metrics(&o);
    if (!rc && feat) rc = feature_metrics(&o);
    if (o.json && !rc) printf("{%s}\n", o.js);
    return rc;
}

/* ---- FID during training (ganc train --eval-every): real statistics once, then G's samples every K steps */
struct fid_ref {
    ganc_net_t *net;
    int in, fe, lo, n;
    double *mu, *cov, *mu2, *cov2;
    float *x, *feat, *imgs;
};

void fid_ref_free(fid_ref_t *r) {
    if (!r) return;
    ganc_net_free(r->net);
    free(r->mu); free(r->cov); free(r->mu2); free(r->cov2); free(r->x); free(r->feat); free(r->imgs);
    free(r);
}

fid_ref_t *fid_ref_new(const char *real, int n) {
    fid_ref_t *r = calloc(1, sizeof *r);
    src_t R = {0};
    char cpath[4096];
    snprintf(cpath, sizeof cpath, "%s", getenv("GANC_WEIGHTS") ? getenv("GANC_WEIGHTS") : GANC_WEIGHTS_DIR "/fmnist_cnn.safetensors");
    if (!r || load_source(real, n, 1, 0, &R)) { fid_ref_free(r); return NULL; }
    r->n = R.n;
    r->net = ganc_classifier_net(250, &r->in, &r->fe, &r->lo);
    r->mu = malloc(sizeof(double) * 128); r->cov = malloc(sizeof(double) * 128 * 128);
    r->mu2 = malloc(sizeof(double) * 128); r->cov2 = malloc(sizeof(double) * 128 * 128);
    r->x = malloc(sizeof(float) * (size_t)R.n * 1024);
    r->feat = malloc(sizeof(float) * (size_t)R.n * 128);
    if (!r->net || !r->mu || !r->cov || !r->mu2 || !r->cov2 || !r->x || !r->feat || ganc_net_load(r->net, cpath) ||
        ganc_classifier_run(r->net, r->in, r->fe, r->lo, R.x, R.n, r->feat, NULL) ||
        ganc_feature_stats(r->feat, R.n, 128, r->mu, r->cov)) {
        src_free(&R);
        fid_ref_free(r);
        return NULL;
    }
    src_free(&R);
    return r;
}

float *fid_ref_buffer(fid_ref_t *r, int c, int h, int w, int *n) {
    free(r->imgs);
    r->imgs = malloc(sizeof(float) * c * h * w * r->n);
    *n = r->n;
    return r->imgs;
}

double fid_ref_score(fid_ref_t *r, int c, int h, int w) {
    const size_t per = (size_t)c * h * w;
    for (int i = 0; i < r->n; i++)
        if (to_net_input(r->imgs + per * i, c, h, w, r->x + (size_t)i * 1024)) return NAN;
    if (ganc_classifier_run(r->net, r->in, r->fe, r->lo, r->x, r->n, r->feat, NULL) ||
        ganc_feature_stats(r->feat, r->n, 128, r->mu2, r->cov2))
        return NAN;
    return ganc_fid(r->mu, r->cov, r->mu2, r->cov2, 128);
}

double fid_ref_model(fid_ref_t *r, ganc_net_t *g, const ganc_gan_io_t *io, const ganc_gan_cfg_t *c, uint64_t seed) {
    int n;
    float *buf = fid_ref_buffer(r, c->nc, c->size, c->size, &n);
    ganc_rng_t rng;
    ganc_rng_seed(&rng, seed);
    if (!buf || ganc_gan_sample(g, io, c, n, NULL, NULL, &rng, 0, buf)) return NAN;
    return fid_ref_score(r, c->nc, c->size, c->size);
}
