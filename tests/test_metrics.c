/* Metrics against independent computations (numpy, scipy's sqrtm as pytorch-fid, scikit-image; fixtures from
   scripts/gen_metrics_fixtures.py) to 1e-3 relative, and sanity properties on Fashion-MNIST with the committed
   feature network: FID(test, train subset) near zero and far below FID(test, noise); FID grows with blur;
   precision/recall of real vs real near 1; a class-collapsed set has high precision and low recall. */
#include <math.h>
#include <stdlib.h>
#include <string.h>
#include <sys/stat.h>
#include "testutil.h"

static const float *F(const ganc_st_t *st, const char *name, int *rows, int *cols) {
    const ganc_st_tensor_t *t = ganc_st_find(st, name);
    if (!t) return NULL;
    if (rows) *rows = (int)t->shape[0];
    if (cols) *cols = t->ndim > 1 ? (int)t->shape[1] : 1;
    return t->data;
}
static double D(const ganc_st_t *st, const char *name, int i) {
    const ganc_st_tensor_t *t = ganc_st_find(st, name);
    double v = NAN;
    if (t && t->dtype == GANC_F64 && (size_t)i < t->numel) memcpy(&v, (const char *)t->data + 8 * i, 8);
    return v;
}
static float *copy_f(const float *p, size_t n) {
    float *q = malloc(n * sizeof(float));
    memcpy(q, p, n * sizeof(float));
    return q;
}
static void close_to(const char *what, double got, double want, double rel) {
    double err = fabs(got - want) / fmax(fabs(want), 1e-12);
    CHECK(err <= rel, "%s: ganc %.10g, reference %.10g (relative error %.3g)", what, got, want, err);
    printf("%-34s ganc %-16.10g reference %-16.10g rel.err %.2e\n", what, got, want, err);
}

static double fid_of(const float *a, int na, const float *b, int nb, int d) {
    double *m1 = malloc(sizeof(double) * d), *c1 = malloc(sizeof(double) * d * d);
    double *m2 = malloc(sizeof(double) * d), *c2 = malloc(sizeof(double) * d * d);
    ganc_feature_stats(a, na, d, m1, c1);
    ganc_feature_stats(b, nb, d, m2, c2);
    double f = ganc_fid(m1, c1, m2, c2, d);
    free(m1); free(c1); free(m2); free(c2);
    return f;
}

static void against_references(void) {
    ganc_st_t *st;
    CHECK_OK(ganc_st_open(&st, tu_fixture("metrics.safetensors")));
    if (!st) return;
    int n1 = 200, n2 = 150, n3 = 40, n4 = 50, d = 64; /* the fixture's shapes (checked below) */
    int r1 = 0, r2 = 0, r3 = 0, r4 = 0, c1 = 0;
    const float *p1 = F(st, "f1", &r1, &c1), *p2 = F(st, "f2", &r2, NULL), *p3 = F(st, "f3", &r3, NULL),
                *p4 = F(st, "f4", &r4, NULL);
    CHECK(p1 && p2 && p3 && p4 && r1 == n1 && r2 == n2 && r3 == n3 && r4 == n4 && c1 == d, "fixture shapes");
    if (!(p1 && p2 && p3 && p4)) { ganc_st_free(st); return; }
    float *f1 = copy_f(p1, (size_t)n1 * d), *f2 = copy_f(p2, (size_t)n2 * d), *f3 = copy_f(p3, (size_t)n3 * d),
          *f4 = copy_f(p4, (size_t)n4 * d);
    close_to("FID (full rank) vs scipy sqrtm", fid_of(f1, n1, f2, n2, d), D(st, "fid12_scipy", 0), 1e-3);
    close_to("FID (n < d, singular) vs scipy", fid_of(f3, n3, f4, n4, d), D(st, "fid34_scipy", 0), 1e-3);
    close_to("FID (n < d, singular) vs eigh", fid_of(f3, n3, f4, n4, d), D(st, "fid34_eigh", 0), 1e-6);
    double m, s;
    CHECK_OK(ganc_kid(f1, 150, f2, 150, d, 1, 150, 1, &m, &s));
    close_to("KID (one subset = all) vs numpy", m, D(st, "kid12_full", 0), 1e-3);
    double p, r;
    CHECK_OK(ganc_precision_recall(f1, n1, f2, n2, d, 3, &p, &r));
    close_to("precision (k=3) vs prdc", p, D(st, "pr12", 0), 1e-3);
    close_to("recall (k=3) vs prdc", r, D(st, "pr12", 1), 1e-3);
    int np_;
    float *probs = copy_f(F(st, "probs", &np_, NULL), (size_t)100 * 10);
    CHECK_OK(ganc_inception_score(probs, 100, 10, 5, &m, &s));
    close_to("Inception Score mean (5 splits)", m, D(st, "is_5", 0), 1e-3);
    close_to("Inception Score std", s, D(st, "is_5", 1), 1e-3);
    float *g = copy_f(F(st, "parzen_gen", NULL, NULL), 300 * 20), *t = copy_f(F(st, "parzen_test", NULL, NULL), 50 * 20);
    CHECK_OK(ganc_parzen(g, 300, t, 50, 20, 0.3, &m, &s));
    close_to("Parzen log-likelihood", m, D(st, "parzen_0.3", 0), 1e-3);
    close_to("Parzen standard error", s, D(st, "parzen_0.3", 1), 1e-3);
    const unsigned char *a = ganc_st_find(st, "img_a")->data, *b = ganc_st_find(st, "img_b")->data;
    close_to("PSNR Y, border 4 vs skimage", ganc_psnr(a, b, 48, 40, 3, 1, 4), D(st, "psnr_y4", 0), 1e-3);
    close_to("SSIM Y, border 4 vs skimage", ganc_ssim(a, b, 48, 40, 3, 1, 4), D(st, "ssim_y4", 0), 1e-3);
    close_to("PSNR RGB, border 4 vs skimage", ganc_psnr(a, b, 48, 40, 3, 0, 4), D(st, "psnr_rgb4", 0), 1e-3);
    close_to("SSIM RGB, border 4 vs skimage", ganc_ssim(a, b, 48, 40, 3, 0, 4), D(st, "ssim_rgb4", 0), 1e-3);
    free(f1); free(f2); free(f3); free(f4); free(probs); free(g); free(t);
    ganc_st_free(st);
}

/* sharpness (mean gradient magnitude over the reference's): exact on hand-made planes */
static void sharpness(void) {
    enum { W = 12, H = 10 };
    unsigned char a[W * H], b[W * H], c[W * H * 3], flat[W * H];
    for (int y = 0; y < H; y++)
        for (int x = 0; x < W; x++) {
            a[y * W + x] = (unsigned char)(100 + 8 * x);  /* a ramp: every gradient is 8 */
            b[y * W + x] = (unsigned char)(100 + 4 * x);  /* half as steep */
            flat[y * W + x] = 77;
            for (int k = 0; k < 3; k++) c[(y * W + x) * 3 + k] = (unsigned char)((x + y) % 2 ? 200 : 40);
        }
    close_to("sharpness of an image against itself", ganc_sharpness(a, a, W, H, 1, 0, 2), 1.0, 1e-12);
    close_to("sharpness of a ramp half as steep", ganc_sharpness(a, b, W, H, 1, 0, 2), 0.5, 1e-12);
    close_to("sharpness of the steeper ramp", ganc_sharpness(b, a, W, H, 1, 0, 0), 2.0, 1e-12);
    /* a checkerboard's Y gradient: |dx| = |dy| = 160 x 219/255 (BT.601 luma of a grey step), magnitude sqrt 2 of it */
    unsigned char ay[W * H * 3];
    for (int i = 0; i < W * H; i++) for (int k = 0; k < 3; k++) ay[i * 3 + k] = a[i];
    close_to("sharpness of a checkerboard over a ramp (Y)", ganc_sharpness(ay, c, W, H, 3, 1, 1),
             sqrt(2.0) * 160 / 8, 1e-9);
    CHECK(isnan(ganc_sharpness(flat, a, W, H, 1, 0, 0)), "a flat reference gives nan");
    CHECK(isnan(ganc_sharpness(a, a, W, H, 1, 0, 5)), "a border leaving under 2x2 gives nan");
}

/* 3x3 box blur of (n,1,32,32) images, replicate border */
static void blur(float *x, int n) {
    float tmp[1024];
    for (int i = 0; i < n; i++) {
        float *im = x + (size_t)i * 1024;
        for (int y = 0; y < 32; y++)
            for (int xx = 0; xx < 32; xx++) {
                float s = 0;
                for (int dy = -1; dy <= 1; dy++)
                    for (int dx = -1; dx <= 1; dx++) {
                        int yy = y + dy < 0 ? 0 : y + dy > 31 ? 31 : y + dy, xq = xx + dx < 0 ? 0 : xx + dx > 31 ? 31 : xx + dx;
                        s += im[yy * 32 + xq];
                    }
                tmp[y * 32 + xx] = s / 9;
            }
        memcpy(im, tmp, sizeof tmp);
    }
}

static void sanity(void) {
    struct stat sb;
    if (stat("/usr/share/datasets/fashion-mnist/t10k-images-idx3-ubyte.gz", &sb) != 0) {
        CHECK(0, "dataset-fashion-mnist is not installed (scripts/setup.sh installs it)");
        return;
    }
    ganc_dataset_t te, tr;
    CHECK_OK(ganc_dataset_load(&te, "fashion-mnist:test", 32, 1, 0));
    CHECK_OK(ganc_dataset_load(&tr, "fashion-mnist:train", 32, 1, 0));
    int in, fe, lo;
    ganc_net_t *net = ganc_classifier_net(250, &in, &fe, &lo);
    char path[4096];
    snprintf(path, sizeof path, "%s/../../weights/fmnist_cnn.safetensors", tu_fixture(""));
    CHECK_OK(ganc_net_load(net, path));
    const int N = 2000;
    float *x = malloc(sizeof(float) * N * 1024), *fa = malloc(sizeof(float) * N * 128), *fb = malloc(sizeof(float) * N * 128);
    float *pa = malloc(sizeof(float) * te.n * 10);
    /* the classifier's own test accuracy, as stated in the README */
    CHECK_OK(ganc_classifier_run(net, in, fe, lo, te.x, te.n, NULL, pa));
    double acc = ganc_class_accuracy(pa, te.n, 10, te.labels);
    CHECK(acc >= 0.90, "feature network test accuracy %.4f", acc);
    printf("feature network test accuracy %.2f%%\n", 100 * acc);
    CHECK_OK(ganc_classifier_run(net, in, fe, lo, te.x, N, fa, NULL));
    CHECK_OK(ganc_classifier_run(net, in, fe, lo, tr.x, N, fb, NULL));
    double fid_train = fid_of(fa, N, fb, N, 128);
    ganc_rng_t r;
    ganc_rng_seed(&r, 5);
    for (int i = 0; i < N * 1024; i++) x[i] = 2 * ganc_rng_uniform(&r) - 1;
    CHECK_OK(ganc_classifier_run(net, in, fe, lo, x, N, fb, NULL));
    double fid_noise = fid_of(fa, N, fb, N, 128);
    printf("FID test vs train subset %.3f, test vs uniform noise %.3f\n", fid_train, fid_noise);
    CHECK(fid_train < 0.02 * fid_noise, "FID(test, train) %.3f is not far below FID(test, noise) %.3f", fid_train, fid_noise);
    /* blur: FID must grow with each pass */
    memcpy(x, tr.x, sizeof(float) * N * 1024);
    double prev = fid_train;
    for (int k = 1; k <= 4; k++) {
        blur(x, N);
        CHECK_OK(ganc_classifier_run(net, in, fe, lo, x, N, fb, NULL));
        double f = fid_of(fa, N, fb, N, 128);
        printf("FID test vs train blurred %dx: %.3f\n", k, f);
        CHECK(f > prev, "FID did not grow with blur (%d passes: %.3f after %.3f)", k, f, prev);
        prev = f;
    }
    /* precision/recall: real vs real, and a single-class set */
    CHECK_OK(ganc_classifier_run(net, in, fe, lo, tr.x + (size_t)N * 1024, N, fb, NULL));
    double p, rc;
    CHECK_OK(ganc_precision_recall(fa, N, fb, N, 128, 3, &p, &rc));
    printf("precision/recall test vs train: %.3f %.3f\n", p, rc);
    CHECK(p > 0.85 && rc > 0.85, "real vs real precision %.3f recall %.3f", p, rc);
    int m = 0;
    for (int i = 0; i < tr.n && m < N; i++)
        if (tr.labels[i] == 7) memcpy(x + (size_t)m++ * 1024, tr.x + (size_t)i * 1024, sizeof(float) * 1024);
    CHECK_OK(ganc_classifier_run(net, in, fe, lo, x, m, fb, NULL));
    CHECK_OK(ganc_precision_recall(fa, N, fb, m, 128, 3, &p, &rc));
    printf("precision/recall test vs only sneakers: %.3f %.3f\n", p, rc);
    CHECK(p > 0.8 && rc < 0.3, "class-collapsed set: precision %.3f recall %.3f", p, rc);
    free(x); free(fa); free(fb); free(pa);
    ganc_net_free(net);
    ganc_dataset_free(&te);
    ganc_dataset_free(&tr);
}

/* the probe's linear classifier against scikit-learn's LogisticRegression (scripts/gen_probe_fixtures.py) */
static void logreg(void) {
    ganc_st_t *st = NULL;
    CHECK_OK(ganc_st_open(&st, tu_fixture("logreg_fixture.safetensors")));
    if (!st) return;
    const ganc_st_tensor_t *x = ganc_st_find(st, "x"), *y = ganc_st_find(st, "y");
    CHECK(x && y && x->ndim == 2 && y->numel == (size_t)x->shape[0], "logreg fixture tensors");
    if (!x || !y) { ganc_st_free(st); return; }
    const int n = (int)x->shape[0], d = (int)x->shape[1], k = 3;
    int *lab = malloc(sizeof(int) * n), *pred = malloc(sizeof(int) * n);
    for (int i = 0; i < n; i++) lab[i] = (int)((const int64_t *)y->data)[i];
    const char *tags[2] = {"c05", "c001"};
    const double Cs[2] = {0.5, 0.01};
    for (int t = 0; t < 2; t++) {
        float W[3 * 16], b[3];
        int iters = 0;
        CHECK_OK(ganc_logreg_fit((const float *)x->data, lab, n, d, k, Cs[t], 1000, 1e-7, W, b, &iters));
        char nm[32];
        snprintf(nm, sizeof nm, "%s_coef", tags[t]);
        const ganc_st_tensor_t *rw = ganc_st_find(st, nm);
        snprintf(nm, sizeof nm, "%s_intercept", tags[t]);
        const ganc_st_tensor_t *rb = ganc_st_find(st, nm);
        if (!rw || !rb || rw->numel != (size_t)k * d) { CHECK(0, "logreg fixture %s", tags[t]); continue; }
        const float *wr = (const float *)rw->data, *br = (const float *)rb->data;
        double mw = 0, ew = 0, eb = 0, mb = 0, cb = 0, cr = 0;
        for (int i = 0; i < k * d; i++) { mw = fmax(mw, fabs(wr[i])); ew = fmax(ew, fabs(W[i] - wr[i])); }
        for (int c = 0; c < k; c++) { cb += b[c] / k; cr += br[c] / k; }
        for (int c = 0; c < k; c++) { mb = fmax(mb, fabs(br[c] - cr)); eb = fmax(eb, fabs((b[c] - cb) - (br[c] - cr))); }
        CHECK(ew <= 1e-3 * mw && eb <= 1e-3 * fmax(mb, 1e-2), "logreg C=%g vs scikit-learn: coef error %.3g of %.3g, "
              "intercept error %.3g (%d iterations)", Cs[t], ew, mw, eb, iters);
        printf("logreg C=%-5g vs scikit-learn: max coef error %.2e (max |coef| %.3f), intercept %.2e, %d L-BFGS iterations\n",
               Cs[t], ew, mw, eb, iters);
        ganc_logreg_predict((const float *)x->data, n, d, k, W, b, pred);
        int ok = 0;
        for (int i = 0; i < n; i++) ok += pred[i] == lab[i];
        snprintf(nm, sizeof nm, "%s_acc", tags[t]);
        const ganc_st_tensor_t *ra = ganc_st_find(st, nm);
        CHECK(ra && fabs((double)ok / n - ((const float *)ra->data)[0]) < 1e-6, "logreg training accuracy %d/%d", ok, n);
    }
    int bad[2] = {0, 3};
    float W[2], b[3];
    CHECK(ganc_logreg_fit((const float *)x->data, bad, 2, 1, 3, 1.0, 10, 1e-6, W, b, NULL) == GANC_EINVAL,
          "label out of range refused");
    /* standardisation */
    float z[6] = {1, 10, 2, 10, 3, 10};
    ganc_standardize(z, 3, 2, z, 3);
    CHECK(fabsf(z[0] + 1.2247449f) < 1e-5f && fabsf(z[2]) < 1e-6f && z[1] == 0.0f, "standardise: %g %g %g", z[0], z[2], z[1]);
    free(lab); free(pred);
    ganc_st_free(st);
}

int main(void) {
    ganc_set_threads(2);
    logreg();
    against_references();
    sanity();
    sharpness();
    return tu_finish("test_metrics");
}
