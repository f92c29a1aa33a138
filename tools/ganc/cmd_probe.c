/* ganc probe RUN: the DCGAN paper's representation test. D's feature maps (every LeakyReLU output, max-pooled to a
   4x4 grid, concatenated) feed a linear classifier trained on N labelled images per class; its test accuracy is
   compared with the same classifier on raw pixels and on a randomly initialised D of the same architecture. */
#include <math.h>
#include <stdio.h>
#include <stdlib.h>
#include <string.h>
#include "cli.h"

typedef struct {
    int node, c, h, w, k; /* LeakyReLU node, its shape, the max-pool window that makes it 4x4 */
} tap_t;

/* D's taps: the LeakyReLU outputs */
static int find_taps(ganc_net_t *d, tap_t *t, int max) {
    int n = 0;
    for (int i = 0; i < ganc_net_nnodes(d) && n < max; i++) {
        if (strcmp(ganc_net_node_kind(d, i), "leaky_relu") || ganc_net_ndim(d, i) != 3) continue;
        const int *s = ganc_net_shape(d, i);
        if (s[1] < 4 || s[1] % 4 || s[2] != s[1]) continue;
        t[n++] = (tap_t){i, s[0], s[1], s[2], s[1] / 4};
    }
    return n;
}

/* features (n, dim) of images x (n, per) through D in inference mode */
static int d_features(ganc_net_t *d, int din, const tap_t *t, int nt, const float *x, size_t per, int n, float *f,
                      int dim) {
    const int B = ganc_net_max_batch(d);
    for (int i0 = 0; i0 < n; i0 += B) {
        int b = n - i0 < B ? n - i0 : B;
        memcpy(ganc_net_data(d, din), x + per * i0, sizeof(float) * per * b);
        int rc = ganc_net_forward(d, b, 0);
        if (rc) return rc;
        for (int i = 0; i < b; i++) {
            float *o = f + (size_t)(i0 + i) * dim;
            for (int k = 0; k < nt; k++) {
                const float *a = ganc_net_data(d, t[k].node) + (size_t)i * t[k].c * t[k].h * t[k].w;
                for (int c = 0; c < t[k].c; c++)
                    for (int gy = 0; gy < 4; gy++)
                        for (int gx = 0; gx < 4; gx++) {
                            float m = -INFINITY;
                            for (int y = 0; y < t[k].k; y++)
                                for (int xx = 0; xx < t[k].k; xx++) {
                                    float v = a[((size_t)c * t[k].h + gy * t[k].k + y) * t[k].w + gx * t[k].k + xx];
                                    m = v > m ? v : m;
                                }
                            *o++ = m;
                        }
            }
        }
    }
    return 0;
}

/* train on the chosen rows of (ftr, ytr), test on (fte, yte); returns the accuracy or -1 */
static double probe(const float *ftr, const int *ytr, const int *rows, int nrows, const float *fte, const int *yte,
                    int nte, int dim, int classes, double C, int max_iter) {
    float *a = malloc(sizeof(float) * (size_t)nrows * dim), *t = malloc(sizeof(float) * (size_t)nte * dim);
    float *W = malloc(sizeof(float) * (size_t)classes * dim), b[1000];
    int *y = malloc(sizeof(int) * nrows), *pred = malloc(sizeof(int) * nte);
    double acc = -1;
    if (!a || !t || !W || !y || !pred) goto out;
    for (int i = 0; i < nrows; i++) {
        memcpy(a + (size_t)i * dim, ftr + (size_t)rows[i] * dim, sizeof(float) * dim);
        y[i] = ytr[rows[i]];
    }
    memcpy(t, fte, sizeof(float) * (size_t)nte * dim);
    ganc_standardize(t, nte, dim, a, nrows); /* statistics of the labelled training rows only */
    ganc_standardize(a, nrows, dim, a, nrows);
    if (ganc_logreg_fit(a, y, nrows, dim, classes, C, max_iter, 1e-5, W, b, NULL)) goto out;
    ganc_logreg_predict(t, nte, dim, classes, W, b, pred);
    int ok = 0;
    for (int i = 0; i < nte; i++) ok += pred[i] == yte[i];
    acc = (double)ok / nte;
out:
    free(a); free(t); free(W); free(y); free(pred);
    return acc;
}

int cmd_probe(int argc, char **argv) {
    static const command_t cmd = {
        "probe", "probe RUN|D.safetensors [--train SRC] [--test SRC] [--labels-per-class 10,100,all] [options]",
        "The DCGAN paper's representation test. D's feature maps (each LeakyReLU output, max-pooled to 4x4,\n"
        "concatenated; D in inference mode) are the features of an L2-regularised multinomial logistic regression\n"
        "(features standardised on the labelled images) fit on N labelled training images per class (the first N\n"
        "of each class in a seeded shuffle) and scored on the whole test set. The same classifier on raw pixels and\n"
        "on a randomly initialised D of the same architecture (DCGAN init, --seed) gives the baselines.", NULL};
    const char *train = "fashion-mnist:train", *test = "fashion-mnist:test", *ns = "10,100,all";
    int threads = 0, max_iter = 300, test_n = 0;
    uint64_t seed = 1;
    float C = 0.1f;
    flag_t flags[] = {
        {"train", F_STR, &train, "SRC", "labelled training images (the probe's pool)", 0, NULL, 0, 0, 0},
        {"test", F_STR, &test, "SRC", "labelled test images", 0, NULL, 0, 0, 0},
        {"labels-per-class", F_STR, &ns, "LIST", "comma-separated N values; 'all' uses every training image", 0, NULL, 0, 0, 0},
        {"C", F_FLOAT, &C, NULL, "inverse L2 strength (scikit-learn's C: C * sum of losses + |W|^2/2)", 0, NULL, 0, 1e-09, 1000000000.0},
        {"max-iter", F_INT, &max_iter, NULL, "L-BFGS iterations at most", 0, NULL, 0, 1, 100000},
        {"test-n", F_INT, &test_n, NULL, "use only the first N test images (0: all)", 0, NULL, 0, 0, 10000000},
        {"seed", F_U64, &seed, NULL, "labelled-subset shuffle and the random D's weights", 0, NULL, 0, 0, 0},
        {"threads", F_INT, &threads, NULL, "threads (default: all cores)", 0, NULL, 0, 0, 1024},
    };
    const int nflags = (int)(sizeof flags / sizeof flags[0]);
    char *pos[1];
    int npos;
    int prc = parse_flags(&cmd, flags, nflags, argc, argv, pos, 1, &npos);
    if (prc) return prc == 1 ? 0 : 2;
    if (npos != 1) { fprintf(stderr, "ganc probe: need a run folder or D.safetensors (see ganc probe --help)\n"); return 2; }
    if (!(C > 0) || max_iter < 1 || test_n < 0) { fprintf(stderr, "ganc probe: --C > 0, --max-iter >= 1, --test-n >= 0\n"); return 2; }
    int nlist[16], nn = 0;
    char buf[256];
    snprintf(buf, sizeof buf, "%s", ns);
    for (char *t = strtok(buf, ","); t && nn < 16; t = strtok(NULL, ",")) {
        int v = !strcmp(t, "all") ? 0 : atoi(t);
        if (v < 0 || (v == 0 && strcmp(t, "all"))) { fprintf(stderr, "ganc probe: bad --labels-per-class '%s'\n", t); return 2; }
        nlist[nn++] = v;
    }
    if (dry_run()) return 0;
    ganc_set_threads(threads);
    char dpath[4096];
    ganc_gan_cfg_t cfg;
    int rc = 1;
    ganc_net_t *d = NULL, *dr = NULL;
    ganc_gan_io_t io, io2;
    ganc_dataset_t tr = {0}, te = {0};
    float *ftr = NULL, *fte = NULL;
    int *rows = NULL, *perm = NULL, *cnt = NULL;
    d = open_dcgan_discriminator(pos[0], 250, &cfg, &io, dpath, sizeof dpath);
    dr = d ? ganc_gan_discriminator(&cfg, 250, &io2) : NULL;
    if (!d || !dr) { fprintf(stderr, "ganc probe: %s\n", ganc_errmsg()); goto done; }
    ganc_net_init_dcgan(dr, seed * 7 + 1);
    printf("loading %s and %s at %dx%d ...\n", train, test, cfg.size, cfg.size);
    fflush(stdout);
    if (ganc_dataset_load(&tr, train, cfg.size, cfg.nc, 0) || ganc_dataset_load(&te, test, cfg.size, cfg.nc, 0)) {
        fprintf(stderr, "ganc probe: %s\n", ganc_errmsg());
        goto done;
    }
    if (!tr.labels || !te.labels) { fprintf(stderr, "ganc probe: both sources need labels\n"); goto done; }
    const int classes = tr.nclasses > te.nclasses ? tr.nclasses : te.nclasses;
    if (classes < 2 || classes > 1000) { fprintf(stderr, "ganc probe: need 2..1000 classes\n"); goto done; }
    const int nte = test_n && test_n < te.n ? test_n : te.n;
    tap_t taps[16];
    int nt = find_taps(d, taps, 16), fdim = 0;
    for (int k = 0; k < nt; k++) fdim += taps[k].c * 16;
    const size_t per = (size_t)cfg.nc * cfg.size * cfg.size;
    /* the labelled subsets: a seeded shuffle, then the first N of each class */
    perm = malloc(sizeof(int) * tr.n);
    cnt = calloc((size_t)classes, sizeof(int));
    rows = malloc(sizeof(int) * tr.n);
    if (!perm || !cnt || !rows) { fprintf(stderr, "ganc probe: out of memory\n"); goto done; }
    ganc_rng_t r;
    ganc_rng_seed(&r, seed);
    for (int i = 0; i < tr.n; i++) perm[i] = i;
    for (int i = tr.n - 1; i > 0; i--) {
        int j = (int)ganc_rng_below(&r, (uint32_t)(i + 1)), tmp = perm[i];
        perm[i] = perm[j];
        perm[j] = tmp;
    }
    printf("probe: %d test images, %d classes; features: raw pixels %zu-d, D %d-d (", nte, classes, per, fdim);
    for (int k = 0; k < nt; k++) printf("%s%s %dx%dx%d", k ? ", " : "", ganc_net_node_name(d, taps[k].node), taps[k].c, taps[k].h, taps[k].w);
    printf(" -> 4x4 max-pool); logistic regression C=%g, L-BFGS <= %d iterations\n\n", C, max_iter);
    printf("| features | dim |");
    for (int i = 0; i < nn; i++) {
        if (nlist[i]) printf(" N=%d/class |", nlist[i]);
        else printf(" all (%d) |", tr.n);
    }
    printf("\n|---|---|");
    for (int i = 0; i < nn; i++) printf("---|");
    printf("\n");
    fflush(stdout);
    const char *names[3] = {"raw pixels", "random D", "trained D"};
    for (int set = 0; set < 3; set++) {
        const int dim = set == 0 ? (int)per : fdim;
        free(ftr); free(fte);
        ftr = set == 0 ? NULL : malloc(sizeof(float) * (size_t)tr.n * dim);
        fte = set == 0 ? NULL : malloc(sizeof(float) * (size_t)nte * dim);
        const float *xtr = tr.x, *xte = te.x;
        if (set > 0) {
            ganc_net_t *net = set == 1 ? dr : d;
            int din = set == 1 ? io2.in : io.in;
            if (!ftr || !fte || d_features(net, din, taps, nt, tr.x, per, tr.n, ftr, dim) ||
                d_features(net, din, taps, nt, te.x, per, nte, fte, dim)) {
                fprintf(stderr, "ganc probe: %s\n", ftr && fte ? ganc_errmsg() : "out of memory");
                goto done;
            }
            xtr = ftr;
            xte = fte;
        }
        printf("| %s | %d |", names[set], dim);
        fflush(stdout);
        for (int i = 0; i < nn; i++) {
            int nrows = 0;
            memset(cnt, 0, sizeof(int) * classes);
            for (int j = 0; j < tr.n; j++) {
                int l = tr.labels[perm[j]];
                if (!nlist[i] || cnt[l] < nlist[i]) { rows[nrows++] = perm[j]; cnt[l]++; }
            }
            double acc = probe(xtr, tr.labels, rows, nrows, xte, te.labels, nte, dim, classes, C, max_iter);
            if (acc < 0) { fprintf(stderr, "\nganc probe: %s\n", ganc_errmsg()); goto done; }
            printf(" %.2f%% |", 100 * acc);
            fflush(stdout);
        }
        printf("\n");
    }
    rc = 0;
done:
    free(ftr); free(fte); free(rows); free(perm); free(cnt);
    ganc_net_free(d);
    ganc_net_free(dr);
    ganc_dataset_free(&tr);
    ganc_dataset_free(&te);
    return rc;
}
