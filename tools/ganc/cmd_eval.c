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

typedef struct {
    float *x;    /* (n,1,32,32) in [-1,1]: the classifier's input; with `raw`, (n,c,h,w) as the source has them */
    int n, c, h, w;
    int *labels; /* or NULL */
    char desc[512];
} src_t;

static void src_free(src_t *s) { free(s->x); free(s->labels); memset(s, 0, sizeof *s); }

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

/* raw = 0: every image made (1,32,32) for ganc's classifier. raw = size > 0: images kept as the source has them
   (a .npy's or a model's own shape; datasets loaded at size x size, 1 channel for fashion-mnist/idx, else 3) for
   Inception, which resizes them itself. */
static int load_source(const char *spec, int nmax, uint64_t seed, int raw, src_t *s) {
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
    if (model) { /* sample a trained generator: BatchNorm in eval mode, noise from the seed */
        ganc_gan_cfg_t cfg;
        ganc_gan_io_t io;
        ganc_net_t *g = open_generator(spec, 250, &cfg, &io, gpath, sizeof gpath);
        if (!g) return -1;
        size_t per = (size_t)cfg.nc * cfg.size * cfg.size;
        float *imgs = malloc(sizeof(float) * per * nmax);
        s->x = raw ? NULL : malloc(sizeof(float) * (size_t)nmax * 1024);
        if (raw) { s->c = cfg.nc; s->h = s->w = cfg.size; }
        /* a conditional model is asked for every class in turn (the labels are kept for class accuracy) */
        if (cfg.n_classes) s->labels = malloc(sizeof(int) * nmax);
        for (int i = 0; s->labels && i < nmax; i++) s->labels[i] = i % cfg.n_classes;
        ganc_rng_t r;
        ganc_rng_seed(&r, seed);
        int rc = imgs && (s->x || raw) && (s->labels || !cfg.n_classes)
                     ? ganc_gan_sample(g, &io, &cfg, nmax, NULL, s->labels, &r, 0, imgs) : -1;
        for (int i = 0; !raw && !rc && i < nmax; i++) rc = to_net_input(imgs + per * i, cfg.nc, cfg.size, cfg.size, s->x + (size_t)i * 1024);
        if (raw) s->x = imgs;
        else free(imgs);
        ganc_net_free(g);
        if (rc) { src_free(s); return ganc_fail(GANC_ENOMEM, "%s: sampling failed", gpath); }
        s->n = nmax;
        snprintf(s->desc, sizeof s->desc, "%.400s (%d samples, seed %llu, BatchNorm eval%s)", gpath, nmax,
                 (unsigned long long)seed, cfg.n_classes ? ", classes 0,1,2,... in turn" : "");
        return 0;
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

/* Inception features in chunks, with a progress line on a terminal (about 0.1-0.2 s per image on 2 cores) */
static int inception_features(ganc_inception_t *m, const src_t *s, float *pool, float *probs) {
    const int chunk = 64, classes = ganc_inception_classes(m), tty = isatty(2);
    const size_t per = (size_t)s->c * s->h * s->w;
    double t0 = now_s();
    for (int i = 0; i < s->n; i += chunk) {
        int b = s->n - i < chunk ? s->n - i : chunk;
        int rc = ganc_inception_run(m, s->x + per * i, b, s->c, s->h, s->w, pool + (size_t)2048 * i,
                                    probs ? probs + (size_t)classes * i : NULL);
        if (rc) return rc;
        if (tty) fprintf(stderr, "\rInception-v3: %d/%d images, %.1f s", i + b, s->n, now_s() - t0);
    }
    if (tty) fprintf(stderr, "\n");
    return 0;
}

int cmd_eval(int argc, char **argv) {
    static const command_t cmd = {
        "eval", "eval METRIC[,METRIC...] --real SRC --fake SRC [options]",
        "Metrics: fid, kid, pr (precision/recall, k-NN), is (Inception Score), acc (class accuracy of --fake against\n"
        "its labels), parzen (Parzen-window log-likelihood of --real under --fake), psnr, ssim (paired images).\n"
        "SRC: fashion-mnist:test / :train, idx:FILE[,LABELS], a folder of images, a .npy (uint8 or float32 in [-1,1],\n"
        "(N,C,H,W)), or a trained model (run folder or G.safetensors: sampled with --seed, BatchNorm in eval mode).\n"
        "Features and class probabilities come from ganc's Fashion-MNIST network (--classifier); images are made\n"
        "1x32x32 first (28x28 padded by 2 px, others converted to grey, resized on the short side, centre-cropped).\n"
        "With --inception FILE they come from Inception-v3 (torchvision layout, or pytorch-fid's FID weights):\n"
        "2048-d pool features, softmax of its logits for IS; datasets are loaded at --size (Fashion-MNIST padded\n"
        "28->32, grey; folders RGB), .npy and models as they are; grey is replicated to RGB and every image is\n"
        "resized bilinearly (align_corners=False, as pytorch-fid) to 299x299, values in [-1,1].",
        NULL};
    const char *real = "fashion-mnist:test", *fake = NULL, *clf = NULL, *valid = "fashion-mnist:train", *incp = NULL;
    int insize = 32;
    int n = 10000, json = 0, kid_subsets = 100, kid_size = 1000, splits = 10, k = 3, pr_n = 5000, border = 4, rgb = 0;
    int parzen_valid = 1000, threads = 0;
    uint64_t seed = 1;
    float sigma = 0;
    flag_t flags[] = {
        {"real", F_STR, &real, "SRC", "reference images", 0, NULL, 0},
        {"fake", F_STR, &fake, "SRC", "images to evaluate", 0, NULL, 0},
        {"n", F_INT, &n, NULL, "images taken from each source (samples drawn from a model)", 0, NULL, 0},
        {"seed", F_U64, &seed, NULL, "noise seed when a source is a model; KID subsets", 0, NULL, 0},
        {"classifier", F_STR, &clf, "FILE", "feature network weights (default: weights/fmnist_cnn.safetensors)", 0, NULL, 0},
        {"inception", F_STR, &incp, "FILE", "use Inception-v3 weights (safetensors, torchvision names) as the feature "
                                            "network (README: Inception weights)", 0, NULL, 0},
        {"size", F_INT, &insize, NULL, "with --inception: size datasets and folders are loaded at", 0, NULL, 0},
        {"kid-subsets", F_INT, &kid_subsets, NULL, "KID: number of subsets", 0, NULL, 0},
        {"kid-size", F_INT, &kid_size, NULL, "KID: subset size (capped by the sample counts)", 0, NULL, 0},
        {"splits", F_INT, &splits, NULL, "Inception Score: splits", 0, NULL, 0},
        {"k", F_INT, &k, NULL, "precision/recall: neighbours", 0, NULL, 0},
        {"pr-n", F_INT, &pr_n, NULL, "precision/recall: images per set (distance matrices are n^2)", 0, NULL, 0},
        {"valid", F_STR, &valid, "SRC", "Parzen: images on which sigma is chosen", 0, NULL, 0},
        {"valid-n", F_INT, &parzen_valid, NULL, "Parzen: validation images", 0, NULL, 0},
        {"sigma", F_FLOAT, &sigma, NULL, "Parzen: fixed kernel width instead of choosing it (pixels in [0,1])", 0, NULL, 0},
        {"border", F_INT, &border, NULL, "PSNR/SSIM: pixels cropped on each side (the SR scale)", 0, NULL, 0},
        {"rgb", F_BOOL, &rgb, NULL, "PSNR/SSIM on RGB channels instead of the Y channel", 0, NULL, 0},
        {"json", F_BOOL, &json, NULL, "print one JSON object instead of lines", 0, NULL, 0},
        {"threads", F_INT, &threads, NULL, "threads (default: all cores)", 0, NULL, 0},
    };
    const int nflags = (int)(sizeof flags / sizeof flags[0]);
    char *pos[1];
    int npos;
    int prc = parse_flags(&cmd, flags, nflags, argc, argv, pos, 1, &npos);
    if (prc) return prc == 1 ? 0 : 2;
    if (npos != 1 || !fake) { fprintf(stderr, "ganc eval: need METRIC[,METRIC...] and --fake (see ganc eval --help)\n"); return 2; }
    if (n < 2 || n > 1000000) { fprintf(stderr, "ganc eval: --n must be 2..1000000\n"); return 2; }
    ganc_set_threads(threads);
    char list[256];
    snprintf(list, sizeof list, "%s", pos[0]);
    int want[8] = {0}; /* fid kid pr is acc parzen psnr ssim */
    static const char *names[8] = {"fid", "kid", "pr", "is", "acc", "parzen", "psnr", "ssim"};
    for (char *t = strtok(list, ","); t; t = strtok(NULL, ",")) {
        int found = 0;
        for (int i = 0; i < 8; i++)
            if (!strcmp(t, names[i])) want[i] = found = 1;
        if (!found) { fprintf(stderr, "ganc eval: unknown metric '%s' (fid, kid, pr, is, acc, parzen, psnr, ssim)\n", t); return 2; }
    }
    int rc = 0, first = 1;
    if (json) printf("{");
#define EMIT(key, line_fmt, json_fmt, ...)                                                     \
    do {                                                                                       \
        if (json) {                                                                            \
            printf("%s\"%s\": {", first ? "" : ", ", key);                                     \
            printf(json_fmt, __VA_ARGS__);                                                     \
            printf("}");                                                                       \
        } else {                                                                               \
            printf(line_fmt "\n", __VA_ARGS__);                                                \
        }                                                                                      \
        first = 0;                                                                             \
    } while (0)
    /* ---- paired image metrics */
    if (want[6] || want[7]) {
        pairs_t a, b;
        if (load_images(real, &a) || load_images(fake, &b)) {
            fprintf(stderr, "ganc eval: %s\n", ganc_errmsg());
            return 1;
        }
        if (a.n != b.n || a.n == 0) { fprintf(stderr, "ganc eval: %d real vs %d fake images: PSNR/SSIM need pairs\n", a.n, b.n); pairs_free(&a); pairs_free(&b); return 1; }
        double ps = 0, ss = 0;
        for (int i = 0; i < a.n && !rc; i++) {
            if (a.im[i].w != b.im[i].w || a.im[i].h != b.im[i].h || a.im[i].c != b.im[i].c) {
                fprintf(stderr, "ganc eval: pair %d differs in size (%dx%dx%d vs %dx%dx%d)\n", i, a.im[i].w, a.im[i].h,
                        a.im[i].c, b.im[i].w, b.im[i].h, b.im[i].c);
                rc = 1;
                break;
            }
            ps += ganc_psnr(a.im[i].px, b.im[i].px, a.im[i].w, a.im[i].h, a.im[i].c, !rgb, border);
            ss += ganc_ssim(a.im[i].px, b.im[i].px, a.im[i].w, a.im[i].h, a.im[i].c, !rgb, border);
        }
        const char *ch = rgb ? "RGB" : "Y (BT.601)";
        if (!rc && want[6]) EMIT("psnr", "PSNR %.4f dB  (mean over %d pairs; %s; border %d cropped)", "\"value\": %.6f, \"pairs\": %d, \"channel\": \"%s\", \"border\": %d", ps / a.n, a.n, ch, border);
        if (!rc && want[7]) EMIT("ssim", "SSIM %.6f  (mean over %d pairs; %s; border %d; Gaussian 11x11 sigma 1.5, K1 0.01, K2 0.03, L 255)", "\"value\": %.6f, \"pairs\": %d, \"channel\": \"%s\", \"border\": %d", ss / a.n, a.n, ch, border);
        pairs_free(&a);
        pairs_free(&b);
        if (rc || !(want[0] || want[1] || want[2] || want[3] || want[4] || want[5])) { if (json) printf("}\n"); return rc; }
    }
    /* ---- feature metrics */
    src_t R = {0}, F = {0};
    ganc_net_t *net = NULL;
    ganc_inception_t *inc = NULL;
    float *fr = NULL, *ff = NULL, *pf = NULL;
    if (incp && (want[4] || want[5])) {
        fprintf(stderr, "ganc eval: acc and parzen use ganc's Fashion-MNIST classifier / pixels: run them without "
                        "--inception\n");
        return 2;
    }
    if (incp && (insize < 8 || insize > 1024)) { fprintf(stderr, "ganc eval: --size must be 8..1024\n"); return 2; }
    const int raw = incp ? insize : 0;
    if (load_source(real, n, seed, raw, &R) || load_source(fake, n, seed, raw, &F)) {
        fprintf(stderr, "ganc eval: %s\n", ganc_errmsg());
        rc = 1;
        goto done;
    }
    char cpath[4096], fdesc[4400];
    int D = 128, classes = 10;
    if (incp) {
        if (ganc_inception_open(&inc, incp, 16)) { fprintf(stderr, "ganc eval: %s\n", ganc_errmsg()); rc = 1; goto done; }
        D = 2048;
        classes = ganc_inception_classes(inc);
        snprintf(fdesc, sizeof fdesc, "Inception-v3 (%s, %s layout, %d classes), 2048-d pool features, images resized "
                 "bilinearly to 299x299", incp, ganc_inception_is_fid_variant(inc) ? "pytorch-fid FID" : "torchvision",
                 classes);
    } else {
        snprintf(cpath, sizeof cpath, "%s", clf ? clf : getenv("GANC_WEIGHTS") ? getenv("GANC_WEIGHTS") : GANC_WEIGHTS_DIR "/fmnist_cnn.safetensors");
        snprintf(fdesc, sizeof fdesc, "ganc Fashion-MNIST CNN (%s), 128-d penultimate layer", cpath);
    }
    int in, fe, lo;
    if (!incp) {
        net = ganc_classifier_net(250, &in, &fe, &lo);
        if (!net || ganc_net_load(net, cpath)) { fprintf(stderr, "ganc eval: feature network: %s\n", ganc_errmsg()); rc = 1; goto done; }
    }
    fr = malloc(sizeof(float) * (size_t)R.n * D);
    ff = malloc(sizeof(float) * (size_t)F.n * D);
    pf = malloc(sizeof(float) * (size_t)F.n * classes);
    if (!fr || !ff || !pf) { fprintf(stderr, "ganc eval: out of memory\n"); rc = 1; goto done; }
    if (incp ? inception_features(inc, &R, fr, NULL) || inception_features(inc, &F, ff, pf)
             : ganc_classifier_run(net, in, fe, lo, R.x, R.n, fr, NULL) || ganc_classifier_run(net, in, fe, lo, F.x, F.n, ff, pf)) {
        fprintf(stderr, "ganc eval: %s\n", ganc_errmsg());
        rc = 1;
        goto done;
    }
    if (!json) printf("real: %s\nfake: %s\nfeatures: %s\n", R.desc, F.desc, fdesc);
    if (want[0]) {
        double *m1 = malloc(sizeof(double) * D), *c1 = malloc(sizeof(double) * D * D);
        double *m2 = malloc(sizeof(double) * D), *c2 = malloc(sizeof(double) * D * D);
        ganc_feature_stats(fr, R.n, D, m1, c1);
        ganc_feature_stats(ff, F.n, D, m2, c2);
        double fid = ganc_fid(m1, c1, m2, c2, D);
        EMIT("fid", "FID %.4f  (N real %d, N fake %d)", "\"value\": %.6f, \"n_real\": %d, \"n_fake\": %d", fid, R.n, F.n);
        free(m1); free(c1); free(m2); free(c2);
    }
    if (want[1]) {
        int size = kid_size;
        if (size > R.n) size = R.n;
        if (size > F.n) size = F.n;
        double m, sd;
        if (ganc_kid(fr, R.n, ff, F.n, D, kid_subsets, size, seed, &m, &sd)) { fprintf(stderr, "ganc eval: %s\n", ganc_errmsg()); rc = 1; goto done; }
        EMIT("kid", "KID %.6f +- %.6f  (%d subsets of %d; cubic polynomial kernel)", "\"mean\": %.8f, \"std\": %.8f, \"subsets\": %d, \"subset_size\": %d", m, sd, kid_subsets, size);
    }
    if (want[2]) {
        int nr = R.n < pr_n ? R.n : pr_n, nf = F.n < pr_n ? F.n : pr_n;
        double p, r;
        if (ganc_precision_recall(fr, nr, ff, nf, D, k, &p, &r)) { fprintf(stderr, "ganc eval: %s\n", ganc_errmsg()); rc = 1; goto done; }
        EMIT("pr", "precision %.4f  recall %.4f  (k=%d, N real %d, N fake %d)", "\"precision\": %.6f, \"recall\": %.6f, \"k\": %d, \"n_real\": %d, \"n_fake\": %d", p, r, k, nr, nf);
    }
    if (want[3]) {
        double m, sd;
        if (ganc_inception_score(pf, F.n, classes, splits, &m, &sd)) { fprintf(stderr, "ganc eval: %s\n", ganc_errmsg()); rc = 1; goto done; }
        EMIT("is", "IS %.4f +- %.4f  (%d splits of the fake set; feature network softmax, %d classes)", "\"mean\": %.6f, \"std\": %.6f, \"splits\": %d, \"classes\": %d", m, sd, splits, classes);
    }
    if (want[4]) {
        if (!F.labels) { fprintf(stderr, "ganc eval: acc needs a --fake source with labels (classes asked for)\n"); rc = 1; goto done; }
        double acc = ganc_class_accuracy(pf, F.n, 10, F.labels);
        EMIT("acc", "class accuracy %.4f  (N %d; argmax of the classifier against the requested class)", "\"value\": %.6f, \"n\": %d", acc, F.n);
    }
    if (want[5]) { /* pixels in [0,1]: the 2014 paper's protocol */
        src_t V = {0};
        const int d = 1024;
        for (size_t i = 0; i < (size_t)R.n * d; i++) R.x[i] = (R.x[i] + 1) * 0.5f;
        for (size_t i = 0; i < (size_t)F.n * d; i++) F.x[i] = (F.x[i] + 1) * 0.5f;
        double best = sigma, bl = -INFINITY, m, se;
        if (!(sigma > 0)) {
            if (load_source(valid, parzen_valid, seed, 0, &V)) { fprintf(stderr, "ganc eval: %s\n", ganc_errmsg()); rc = 1; goto done; }
            for (size_t i = 0; i < (size_t)V.n * d; i++) V.x[i] = (V.x[i] + 1) * 0.5f;
            for (int g = 0; g < 10; g++) { /* numpy.logspace(-1, 0, 10), as the paper's parzen_ll.py */
                double s = pow(10.0, -1.0 + g / 9.0);
                if (ganc_parzen(F.x, F.n, V.x, V.n, d, s, &m, &se)) break;
                if (m > bl) { bl = m; best = s; }
            }
        }
        if (ganc_parzen(F.x, F.n, R.x, R.n, d, best, &m, &se)) { fprintf(stderr, "ganc eval: %s\n", ganc_errmsg()); src_free(&V); rc = 1; goto done; }
        EMIT("parzen", "Parzen log-likelihood %.2f +- %.2f (s.e.)  (sigma %.4f %s; 1x32x32 pixels in [0,1]; N kernels %d, N test %d)",
             "\"mean\": %.6f, \"se\": %.6f, \"sigma\": %.6f, \"sigma_from\": \"%s\", \"n_kernels\": %d, \"n_test\": %d", m, se, best,
             sigma > 0 ? "given" : "chosen on --valid", F.n, R.n);
        src_free(&V);
    }
done:
    if (json && !rc) printf("}\n");
    free(fr); free(ff); free(pf);
    ganc_net_free(net);
    ganc_inception_free(inc);
    src_free(&R);
    src_free(&F);
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

double fid_ref_model(fid_ref_t *r, ganc_net_t *g, const ganc_gan_io_t *io, const ganc_gan_cfg_t *c, uint64_t seed) {
    const size_t per = (size_t)c->nc * c->size * c->size;
    if (!r->imgs) r->imgs = malloc(sizeof(float) * per * r->n);
    if (!r->imgs) return NAN;
    ganc_rng_t rng;
    ganc_rng_seed(&rng, seed);
    if (ganc_gan_sample(g, io, c, r->n, NULL, NULL, &rng, 0, r->imgs)) return NAN;
    for (int i = 0; i < r->n; i++)
        if (to_net_input(r->imgs + per * i, c->nc, c->size, c->size, r->x + (size_t)i * 1024)) return NAN;
    if (ganc_classifier_run(r->net, r->in, r->fe, r->lo, r->x, r->n, r->feat, NULL) ||
        ganc_feature_stats(r->feat, r->n, 128, r->mu2, r->cov2))
        return NAN;
    return ganc_fid(r->mu, r->cov, r->mu2, r->cov2, 128);
}
