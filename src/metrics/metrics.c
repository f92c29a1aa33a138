/* Sample-quality metrics on feature vectors and images. Everything in double, serial or with fixed partitions, so
   values are reproducible. Protocol choices are the ones the reference implementations make (cited per metric). */
#include <math.h>
#include <stdlib.h>
#include <string.h>
#include <cblas.h>
#include "ganc.h"
#include "nn/nn.h"

/* ---- symmetric eigen-decomposition: LAPACK's dsyevd (divide and conquer; in OpenBLAS, which ganc runs
   single-threaded, so results are reproducible). a (n,n) symmetric; on return, with vectors, row k of a (row-major
   view) is the eigenvector of w[k]. Backward stable, so accurate for the rank-deficient covariances FID meets. */
extern void dsyevd_(const char *jobz, const char *uplo, const int *n, double *a, const int *lda, double *w,
                    double *work, const int *lwork, int *iwork, const int *liwork, int *info);

static int sym_eig(double *a, int n, double *w, int vectors) {
    const char jobz = vectors ? 'V' : 'N', uplo = 'L';
    int lwork = -1, liwork = -1, info = 0, iw;
    double wq;
    dsyevd_(&jobz, &uplo, &n, a, &n, w, &wq, &lwork, &iw, &liwork, &info);
    if (info) return ganc_fail(GANC_EINVAL, "eigen-decomposition: workspace query failed (%d)", info);
    lwork = (int)wq;
    liwork = iw;
    double *work = malloc(sizeof(double) * (size_t)lwork);
    int *iwork = malloc(sizeof(int) * (size_t)liwork);
    if (!work || !iwork) { free(work); free(iwork); return ganc_fail(GANC_ENOMEM, "out of memory"); }
    dsyevd_(&jobz, &uplo, &n, a, &n, w, work, &lwork, iwork, &liwork, &info);
    free(work);
    free(iwork);
    return info ? ganc_fail(GANC_EINVAL, "eigen-decomposition did not converge (%d)", info) : GANC_OK;
}

int ganc_feature_stats(const float *f, int n, int d, double *mu, double *cov) {
    if (n < 2 || d < 1) return ganc_fail(GANC_EINVAL, "feature statistics need at least 2 samples");
    for (int j = 0; j < d; j++) mu[j] = 0;
    for (int i = 0; i < n; i++)
        for (int j = 0; j < d; j++) mu[j] += f[(size_t)i * d + j];
    for (int j = 0; j < d; j++) mu[j] /= n;
    /* cov = Xc^T Xc / (n-1) (unbiased, as numpy.cov), accumulated over blocks of centred rows with dsyrk */
    enum { ROWS = 256 };
    double *xc = malloc(sizeof(double) * ROWS * (size_t)d);
    if (!xc) return ganc_fail(GANC_ENOMEM, "out of memory");
    for (int i0 = 0; i0 < n; i0 += ROWS) {
        int r = n - i0 < ROWS ? n - i0 : ROWS;
        for (int i = 0; i < r; i++)
            for (int j = 0; j < d; j++) xc[(size_t)i * d + j] = f[(size_t)(i0 + i) * d + j] - mu[j];
        cblas_dsyrk(CblasRowMajor, CblasUpper, CblasTrans, d, r, 1.0 / (n - 1), xc, d, i0 ? 1.0 : 0.0, cov, d);
    }
    free(xc);
    for (int a = 0; a < d; a++)
        for (int b = 0; b < a; b++) cov[(size_t)a * d + b] = cov[(size_t)b * d + a];
    return GANC_OK;
}

/* FID = |mu1-mu2|^2 + Tr(C1) + Tr(C2) - 2 Tr((C1 C2)^(1/2)), with Tr((C1 C2)^(1/2)) = sum sqrt(eig(S C2 S)),
   S = C1^(1/2) by eigen-decomposition: C1 C2 and S C2 S are similar, and the latter is symmetric PSD, so this
   holds for singular covariances too (where scipy's sqrtm needs pytorch-fid's eps offset). */
double ganc_fid(const double *mu1, const double *c1, const double *mu2, const double *c2, int d) {
    size_t dd = (size_t)d * d;
    double *a = malloc(sizeof(double) * dd), *w = malloc(sizeof(double) * d);
    double *s = malloc(sizeof(double) * dd), *t = malloc(sizeof(double) * dd);
    double r = NAN;
    if (!a || !w || !s || !t) goto out;
    memcpy(a, c1, sizeof(double) * dd);
    if (sym_eig(a, d, w, 1)) goto out;
    for (int k = 0; k < d; k++) { /* row k of a: eigenvector k, scaled by w_k^(1/4), so S = a^T a */
        double q = w[k] > 0 ? sqrt(sqrt(w[k])) : 0.0;
        for (int j = 0; j < d; j++) a[(size_t)k * d + j] *= q;
    }
    cblas_dsyrk(CblasRowMajor, CblasUpper, CblasTrans, d, d, 1.0, a, d, 0.0, s, d);
    for (int i = 0; i < d; i++)
        for (int j = 0; j < i; j++) s[(size_t)i * d + j] = s[(size_t)j * d + i];
    cblas_dgemm(CblasRowMajor, CblasNoTrans, CblasNoTrans, d, d, d, 1.0, s, d, c2, d, 0.0, t, d); /* t = S C2 */
    cblas_dgemm(CblasRowMajor, CblasNoTrans, CblasNoTrans, d, d, d, 1.0, t, d, s, d, 0.0, a, d);  /* a = t S */
    for (int i = 0; i < d; i++) /* symmetric up to rounding: symmetrise */
        for (int j = i + 1; j < d; j++)
            a[(size_t)i * d + j] = a[(size_t)j * d + i] = 0.5 * (a[(size_t)i * d + j] + a[(size_t)j * d + i]);
    if (sym_eig(a, d, w, 0)) goto out;
    double tr_sqrt = 0, tr1 = 0, tr2 = 0, diff = 0;
    for (int i = 0; i < d; i++) {
        tr_sqrt += w[i] > 0 ? sqrt(w[i]) : 0.0;
        tr1 += c1[(size_t)i * d + i];
        tr2 += c2[(size_t)i * d + i];
        diff += (mu1[i] - mu2[i]) * (mu1[i] - mu2[i]);
    }
    r = diff + tr1 + tr2 - 2.0 * tr_sqrt;
out:
    free(a); free(w); free(s); free(t);
    return r;
}

/* KID: unbiased MMD^2 with the cubic polynomial kernel k(x,y) = (x.y/d + 1)^3, averaged over `subsets` random
   subsets of `size` samples from each set (Binkowski et al. 2018; torch-fidelity's defaults are 100 x 1000). */
int ganc_kid(const float *f1, int n1, const float *f2, int n2, int d, int subsets, int size, uint64_t seed,
             double *mean, double *std) {
    if (size < 2 || size > n1 || size > n2 || subsets < 1)
        return ganc_fail(GANC_EINVAL, "KID: subset size %d needs 2..min(%d,%d) samples", size, n1, n2);
    ganc_rng_t r;
    ganc_rng_seed(&r, seed);
    int *i1 = malloc(sizeof(int) * n1), *i2 = malloc(sizeof(int) * n2);
    double *vals = malloc(sizeof(double) * subsets);
    if (!i1 || !i2 || !vals) { free(i1); free(i2); free(vals); return ganc_fail(GANC_ENOMEM, "KID: out of memory"); }
    const double m = size;
    for (int s = 0; s < subsets; s++) {
        for (int i = 0; i < n1; i++) i1[i] = i;
        for (int i = 0; i < n2; i++) i2[i] = i;
        for (int i = 0; i < size; i++) { /* partial Fisher-Yates: a subset without replacement */
            int j = i + (int)ganc_rng_below(&r, (uint32_t)(n1 - i)), t = i1[i];
            i1[i] = i1[j]; i1[j] = t;
            j = i + (int)ganc_rng_below(&r, (uint32_t)(n2 - i)); t = i2[i];
            i2[i] = i2[j]; i2[j] = t;
        }
        double kxx = 0, kyy = 0, kxy = 0;
        for (int a = 0; a < size; a++)
            for (int b = 0; b < size; b++) {
                const float *x = f1 + (size_t)i1[a] * d, *x2 = f1 + (size_t)i1[b] * d;
                const float *y = f2 + (size_t)i2[a] * d, *y2 = f2 + (size_t)i2[b] * d;
                double dxx = 0, dyy = 0, dxy = 0;
                for (int k = 0; k < d; k++) {
                    dxx += (double)x[k] * x2[k];
                    dyy += (double)y[k] * y2[k];
                    dxy += (double)x[k] * y2[k];
                }
                double vxx = dxx / d + 1, vyy = dyy / d + 1, vxy = dxy / d + 1;
                if (a != b) { kxx += vxx * vxx * vxx; kyy += vyy * vyy * vyy; }
                kxy += vxy * vxy * vxy;
            }
        vals[s] = kxx / (m * (m - 1)) + kyy / (m * (m - 1)) - 2 * kxy / (m * m);
    }
    double mu = 0, var = 0;
    for (int s = 0; s < subsets; s++) mu += vals[s];
    mu /= subsets;
    for (int s = 0; s < subsets; s++) var += (vals[s] - mu) * (vals[s] - mu);
    *mean = mu;
    *std = subsets > 1 ? sqrt(var / subsets) : 0.0; /* numpy std (ddof=0), as torch-fidelity */
    free(i1); free(i2); free(vals);
    return GANC_OK;
}

/* squared distances between rows of a (n,d) and b (m,d) into out (n,m), via |a|^2 + |b|^2 - 2 a.b (one sgemm) */
static int sqdist(const float *a, int n, const float *b, int m, int d, float *out) {
    double *na = malloc(sizeof(double) * n), *nb = malloc(sizeof(double) * m);
    if (!na || !nb) { free(na); free(nb); return -1; }
    for (int i = 0; i < n; i++) {
        double s = 0;
        for (int k = 0; k < d; k++) s += (double)a[(size_t)i * d + k] * a[(size_t)i * d + k];
        na[i] = s;
    }
    for (int j = 0; j < m; j++) {
        double s = 0;
        for (int k = 0; k < d; k++) s += (double)b[(size_t)j * d + k] * b[(size_t)j * d + k];
        nb[j] = s;
    }
    gemm(0, 1, n, m, d, -2.0f, a, d, b, d, 0.0f, out, m);
    for (int i = 0; i < n; i++)
        for (int j = 0; j < m; j++) {
            double v = na[i] + nb[j] + out[(size_t)i * m + j];
            out[(size_t)i * m + j] = (float)(v > 0 ? v : 0);
        }
    free(na); free(nb);
    return 0;
}

static int cmp_f(const void *a, const void *b) {
    float x = *(const float *)a, y = *(const float *)b;
    return (x > y) - (x < y);
}

/* distance of each row of a to its k-th nearest other row (self excluded), as prdc's nearest-neighbour radii */
static int knn_radii(const float *a, int n, int d, int k, float *radii) {
    float *dist = malloc(sizeof(float) * (size_t)n * n), *row = malloc(sizeof(float) * n);
    if (!dist || !row || sqdist(a, n, a, n, d, dist)) { free(dist); free(row); return -1; }
    for (int i = 0; i < n; i++) {
        memcpy(row, dist + (size_t)i * n, sizeof(float) * n);
        row[i] = -1.0f; /* self sorts first */
        qsort(row, n, sizeof(float), cmp_f);
        radii[i] = row[k < n ? k : n - 1];
    }
    free(dist); free(row);
    return 0;
}

/* Improved precision and recall (Kynkaanniemi et al. 2019): a sample is inside the other set's manifold when it
   lies within the k-NN radius of one of its points. Squared distances throughout (same ordering). */
int ganc_precision_recall(const float *real, int nr, const float *fake, int nf, int d, int k, double *precision,
                          double *recall) {
    if (k < 1 || nr <= k || nf <= k) return ganc_fail(GANC_EINVAL, "precision/recall: need more than k=%d samples", k);
    float *rr = malloc(sizeof(float) * nr), *rf = malloc(sizeof(float) * nf);
    float *drf = malloc(sizeof(float) * (size_t)nr * nf);
    if (!rr || !rf || !drf || knn_radii(real, nr, d, k, rr) || knn_radii(fake, nf, d, k, rf) ||
        sqdist(real, nr, fake, nf, d, drf)) {
        free(rr); free(rf); free(drf);
        return ganc_fail(GANC_ENOMEM, "precision/recall: out of memory for %d x %d distances", nr, nf);
    }
    int p = 0, r = 0;
    for (int j = 0; j < nf; j++)
        for (int i = 0; i < nr; i++)
            if (drf[(size_t)i * nf + j] <= rr[i]) { p++; break; }
    for (int i = 0; i < nr; i++)
        for (int j = 0; j < nf; j++)
            if (drf[(size_t)i * nf + j] <= rf[j]) { r++; break; }
    *precision = (double)p / nf;
    *recall = (double)r / nr;
    free(rr); free(rf); free(drf);
    return GANC_OK;
}

/* Inception Score from class probabilities (n, C): exp(E_x KL(p(y|x) || p(y))) per split; mean and std over
   splits (Salimans et al. 2016, 10 splits). */
int ganc_inception_score(const float *probs, int n, int classes, int splits, double *mean, double *std) {
    if (splits < 1 || n < splits) return ganc_fail(GANC_EINVAL, "inception score: %d samples for %d splits", n, splits);
    double *py = malloc(sizeof(double) * classes), *sc = malloc(sizeof(double) * splits);
    if (!py || !sc) { free(py); free(sc); return ganc_fail(GANC_ENOMEM, "inception score: out of memory"); }
    for (int s = 0; s < splits; s++) {
        int a = (int)((long long)n * s / splits), b = (int)((long long)n * (s + 1) / splits);
        for (int c = 0; c < classes; c++) py[c] = 0;
        for (int i = a; i < b; i++)
            for (int c = 0; c < classes; c++) py[c] += probs[(size_t)i * classes + c];
        for (int c = 0; c < classes; c++) py[c] /= (b - a);
        double kl = 0;
        for (int i = a; i < b; i++)
            for (int c = 0; c < classes; c++) {
                double p = probs[(size_t)i * classes + c];
                if (p > 0) kl += p * (log(p) - log(py[c]));
            }
        sc[s] = exp(kl / (b - a));
    }
    double mu = 0, var = 0;
    for (int s = 0; s < splits; s++) mu += sc[s];
    mu /= splits;
    for (int s = 0; s < splits; s++) var += (sc[s] - mu) * (sc[s] - mu);
    *mean = mu;
    *std = sqrt(var / splits);
    free(py); free(sc);
    return GANC_OK;
}

double ganc_class_accuracy(const float *probs, int n, int classes, const int *wanted) {
    int ok = 0;
    for (int i = 0; i < n; i++) {
        int best = 0;
        for (int c = 1; c < classes; c++)
            if (probs[(size_t)i * classes + c] > probs[(size_t)i * classes + best]) best = c;
        ok += best == wanted[i];
    }
    return n ? (double)ok / n : 0.0;
}

/* Parzen window (Gaussian kernels of width sigma centred on the generated samples): mean log-likelihood of the
   test rows and its standard error, as in Goodfellow et al. 2014 (after Breuleux et al. 2011):
   log p(x) = logsumexp_i(-|x - g_i|^2 / (2 sigma^2)) - log n - d/2 log(2 pi sigma^2). */
int ganc_parzen(const float *gen, int ng, const float *test, int nt, int d, double sigma, double *mean, double *se) {
    const int chunk = 256;
    float *dist = malloc(sizeof(float) * (size_t)chunk * ng);
    double *ll = malloc(sizeof(double) * nt);
    if (!dist || !ll) { free(dist); free(ll); return ganc_fail(GANC_ENOMEM, "parzen: out of memory"); }
    const double c = -log((double)ng) - 0.5 * d * log(2 * M_PI * sigma * sigma);
    for (int t0 = 0; t0 < nt; t0 += chunk) {
        int m = nt - t0 < chunk ? nt - t0 : chunk;
        if (sqdist(test + (size_t)t0 * d, m, gen, ng, d, dist)) { free(dist); free(ll); return ganc_fail(GANC_ENOMEM, "parzen: out of memory"); }
        for (int i = 0; i < m; i++) {
            const float *row = dist + (size_t)i * ng;
            double mx = -INFINITY;
            for (int j = 0; j < ng; j++) mx = fmax(mx, -row[j] / (2 * sigma * sigma));
            double s = 0;
            for (int j = 0; j < ng; j++) s += exp(-row[j] / (2 * sigma * sigma) - mx);
            ll[t0 + i] = mx + log(s) + c;
        }
    }
    double mu = 0, var = 0;
    for (int i = 0; i < nt; i++) mu += ll[i];
    mu /= nt;
    for (int i = 0; i < nt; i++) var += (ll[i] - mu) * (ll[i] - mu);
    *mean = mu;
    *se = nt > 1 ? sqrt(var / (nt - 1)) / sqrt((double)nt) : 0.0;
    free(dist); free(ll);
    return GANC_OK;
}

/* ---- PSNR / SSIM in the SRGAN protocol: 8-bit RGB (HWC) -> Y of BT.601 YCbCr (16..235, as MATLAB's rgb2ycbcr),
   `border` pixels cropped on every side; SSIM with an 11x11 Gaussian window (sigma 1.5, truncated at 3.5 sigma),
   K1 0.01, K2 0.03, L 255, population covariances, reflect padding, the map's border of 5 dropped: the numbers
   skimage.metrics.structural_similarity(gaussian_weights=True, sigma=1.5, use_sample_covariance=False,
   data_range=255) gives on the same Y planes. */
static double *to_plane(const unsigned char *img, int w, int h, int c, int y_channel, int border, int *ow, int *oh,
                        int ch) {
    *ow = w - 2 * border;
    *oh = h - 2 * border;
    if (*ow < 1 || *oh < 1) return NULL;
    double *p = malloc(sizeof(double) * (size_t)*ow * *oh);
    if (!p) return NULL;
    for (int y = 0; y < *oh; y++)
        for (int x = 0; x < *ow; x++) {
            const unsigned char *px = img + ((size_t)(y + border) * w + x + border) * c;
            double v;
            if (y_channel && c >= 3) v = 16.0 + (65.481 * px[0] + 128.553 * px[1] + 24.966 * px[2]) / 255.0;
            else v = px[c >= 3 ? ch : 0];
            p[(size_t)y * *ow + x] = v;
        }
    return p;
}

double ganc_psnr(const unsigned char *a, const unsigned char *b, int w, int h, int c, int y_channel, int border) {
    int ow, oh, nch = (y_channel || c < 3) ? 1 : 3;
    double se = 0;
    size_t cnt = 0;
    for (int ch = 0; ch < nch; ch++) {
        double *pa = to_plane(a, w, h, c, y_channel, border, &ow, &oh, ch);
        double *pb = to_plane(b, w, h, c, y_channel, border, &ow, &oh, ch);
        if (!pa || !pb) { free(pa); free(pb); return NAN; }
        for (size_t i = 0; i < (size_t)ow * oh; i++) se += (pa[i] - pb[i]) * (pa[i] - pb[i]);
        cnt += (size_t)ow * oh;
        free(pa); free(pb);
    }
    double mse = se / cnt;
    return mse > 0 ? 10.0 * log10(255.0 * 255.0 / mse) : INFINITY;
}

/* mean gradient magnitude of a plane: forward differences, sqrt(dx^2 + dy^2) over the (w-1) x (h-1) pixels that have
   both */
static double grad_mean(const double *p, int w, int h) {
    double s = 0;
    for (int y = 0; y + 1 < h; y++)
        for (int x = 0; x + 1 < w; x++) {
            const double *q = p + (size_t)y * w + x, dx = q[1] - q[0], dy = q[w] - q[0];
            s += sqrt(dx * dx + dy * dy);
        }
    return s / ((double)(w - 1) * (h - 1));
}

double ganc_sharpness(const unsigned char *ref, const unsigned char *img, int w, int h, int c, int y_channel,
                      int border) {
    int ow, oh, nch = (y_channel || c < 3) ? 1 : 3;
    double gr = 0, gi = 0;
    for (int ch = 0; ch < nch; ch++) {
        double *pa = to_plane(ref, w, h, c, y_channel, border, &ow, &oh, ch);
        double *pb = to_plane(img, w, h, c, y_channel, border, &ow, &oh, ch);
        if (!pa || !pb || ow < 2 || oh < 2) { free(pa); free(pb); return NAN; }
        gr += grad_mean(pa, ow, oh);
        gi += grad_mean(pb, ow, oh);
        free(pa); free(pb);
    }
    return gr > 0 ? gi / gr : NAN;
}

/* one pass of a 1-D filter along rows (step 1) or columns (step w), scipy.ndimage 'reflect' boundary
   (d c b a | a b c d | d c b a) */
static void filter_pass(const double *in, double *out, int w, int h, const double *k, int r, int along_y) {
    const int len = along_y ? h : w;
    const size_t step = along_y ? (size_t)w : 1;
    for (int y = 0; y < h; y++)
        for (int x = 0; x < w; x++) {
            const int pos = along_y ? y : x;
            const double *base = in + (size_t)y * w + x - step * pos; /* start of this row or column */
            double s = 0;
            for (int t = -r; t <= r; t++) {
                int q = pos + t;
                while (q < 0 || q >= len) q = q < 0 ? -q - 1 : 2 * len - q - 1;
                s += k[t + r] * base[step * q];
            }
            out[(size_t)y * w + x] = s;
        }
}

/* separable Gaussian: rows, then columns */
static void gauss_filter(const double *in, double *out, double *tmp, int w, int h, const double *k, int r) {
    filter_pass(in, tmp, w, h, k, r, 0);
    filter_pass(tmp, out, w, h, k, r, 1);
}

double ganc_ssim(const unsigned char *a, const unsigned char *b, int w, int h, int c, int y_channel, int border) {
    const double sigma = 1.5, C1 = (0.01 * 255) * (0.01 * 255), C2 = (0.03 * 255) * (0.03 * 255);
    const int r = (int)(3.5 * sigma + 0.5);
    double k[64], ks = 0;
    for (int t = -r; t <= r; t++) ks += k[t + r] = exp(-0.5 * t * t / (sigma * sigma));
    for (int t = 0; t <= 2 * r; t++) k[t] /= ks;
    int nch = (y_channel || c < 3) ? 1 : 3, ow, oh;
    double total = 0;
    for (int ch = 0; ch < nch; ch++) {
        double *pa = to_plane(a, w, h, c, y_channel, border, &ow, &oh, ch);
        double *pb = to_plane(b, w, h, c, y_channel, border, &ow, &oh, ch);
        size_t n = (size_t)ow * oh;
        double *buf = pa && pb ? malloc(sizeof(double) * n * 8) : NULL;
        if (!buf || ow <= 2 * r || oh <= 2 * r) { free(pa); free(pb); free(buf); return NAN; }
        double *ma = buf, *mb = buf + n, *aa = buf + 2 * n, *bb = buf + 3 * n, *ab = buf + 4 * n, *tmp = buf + 5 * n;
        double *prod = buf + 6 * n, *out = buf + 7 * n;
        gauss_filter(pa, ma, tmp, ow, oh, k, r);
        gauss_filter(pb, mb, tmp, ow, oh, k, r);
        for (size_t i = 0; i < n; i++) prod[i] = pa[i] * pa[i];
        gauss_filter(prod, aa, tmp, ow, oh, k, r);
        for (size_t i = 0; i < n; i++) prod[i] = pb[i] * pb[i];
        gauss_filter(prod, bb, tmp, ow, oh, k, r);
        for (size_t i = 0; i < n; i++) prod[i] = pa[i] * pb[i];
        gauss_filter(prod, ab, tmp, ow, oh, k, r);
        double s = 0;
        size_t cnt = 0;
        for (int y = r; y < oh - r; y++)
            for (int x = r; x < ow - r; x++) {
                size_t i = (size_t)y * ow + x;
                double va = aa[i] - ma[i] * ma[i], vb = bb[i] - mb[i] * mb[i], cv = ab[i] - ma[i] * mb[i];
                out[i] = ((2 * ma[i] * mb[i] + C1) * (2 * cv + C2)) /
                         ((ma[i] * ma[i] + mb[i] * mb[i] + C1) * (va + vb + C2));
                s += out[i];
                cnt++;
            }
        total += s / cnt;
        free(pa); free(pb); free(buf);
    }
    return total / nch;
}
