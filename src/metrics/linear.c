/* Multinomial logistic regression with an L2 penalty, the linear classifier of representation probes. The
   objective is scikit-learn's LogisticRegression(multi_class="multinomial", penalty="l2", C): 0.5 |W|^2 +
   C sum_i CE(softmax(W x_i + b), y_i), the intercept unpenalised; strictly convex, so any converged solver reaches
   the same optimum. Solved with L-BFGS (memory 10, Armijo backtracking) on the flattened (W, b). Logits and
   gradients go through ganc's partitioned (deterministic) sgemm; sums in double. */
#include <math.h>
#include <stdlib.h>
#include <string.h>
#include "ganc.h"
#include "nn/nn.h"

typedef struct {
    const float *x;
    const int *y;
    int n, d, k;
    double C;
    float *logits, *g, *wf; /* (n,k) logits then dL/dlogits; W as float (k,d) */
} lr_t;

/* f(theta) and its gradient; theta = W (k*d) then b (k) */
static double lr_eval(lr_t *p, const double *th, double *grad) {
    const int n = p->n, d = p->d, k = p->k;
    const size_t kd = (size_t)k * d;
    for (size_t i = 0; i < kd; i++) p->wf[i] = (float)th[i];
    gemm(0, 1, n, k, d, 1.0f, p->x, d, p->wf, d, 0.0f, p->logits, k);
    double loss = 0;
    double *gb = grad + kd;
    for (int c = 0; c < k; c++) gb[c] = 0;
    for (int i = 0; i < n; i++) {
        float *l = p->logits + (size_t)i * k;
        double mx = -INFINITY, s = 0;
        for (int c = 0; c < k; c++) { double v = l[c] + th[kd + c]; mx = v > mx ? v : mx; }
        for (int c = 0; c < k; c++) s += exp(l[c] + th[kd + c] - mx);
        double lse = mx + log(s);
        loss += lse - (l[p->y[i]] + th[kd + p->y[i]]);
        for (int c = 0; c < k; c++) {
            double q = exp(l[c] + th[kd + c] - lse) - (c == p->y[i]);
            l[c] = (float)(p->C * q); /* l now holds dL/dlogit */
            gb[c] += p->C * q;
        }
    }
    /* dW = G^T X, in float, then the penalty */
    gemm(1, 0, k, d, n, 1.0f, p->logits, k, p->x, d, 0.0f, p->wf, d);
    double reg = 0;
    for (size_t i = 0; i < kd; i++) {
        grad[i] = p->wf[i] + th[i];
        reg += th[i] * th[i];
    }
    return 0.5 * reg + p->C * loss;
}

static double dot(const double *a, const double *b, size_t n) {
    double s = 0;
    for (size_t i = 0; i < n; i++) s += a[i] * b[i];
    return s;
}

int ganc_logreg_fit(const float *x, const int *y, int n, int d, int classes, double C, int max_iter, double tol,
                    float *W, float *b, int *iters) {
    if (n < 1 || d < 1 || classes < 2 || !(C > 0) || max_iter < 1)
        return ganc_fail(GANC_EINVAL, "logreg: need n >= 1, d >= 1, classes >= 2, C > 0, max_iter >= 1");
    for (int i = 0; i < n; i++)
        if (y[i] < 0 || y[i] >= classes) return ganc_fail(GANC_EINVAL, "logreg: label %d out of range", y[i]);
    enum { M = 10 };
    const size_t np = (size_t)classes * d + classes;
    lr_t p = {x, y, n, d, classes, C, malloc(sizeof(float) * (size_t)n * classes), NULL,
              malloc(sizeof(float) * (size_t)classes * d)};
    double *th = calloc(np, sizeof(double)), *g = malloc(sizeof(double) * np), *dir = malloc(sizeof(double) * np);
    double *th2 = malloc(sizeof(double) * np), *g2 = malloc(sizeof(double) * np);
    double *S = malloc(sizeof(double) * np * M), *Y = malloc(sizeof(double) * np * M), rho[M], al[M];
    int rc = GANC_OK, it = 0, hist = 0, head = 0;
    if (!p.logits || !p.wf || !th || !g || !dir || !th2 || !g2 || !S || !Y) { rc = ganc_fail(GANC_ENOMEM, "out of memory"); goto out; }
    double f = lr_eval(&p, th, g);
    const double g0 = sqrt(dot(g, g, np));
    for (it = 0; it < max_iter; it++) {
        double gn = sqrt(dot(g, g, np));
        if (gn <= tol * (g0 > 1 ? g0 : 1)) break;
        /* two-loop recursion: dir = -H g */
        for (size_t i = 0; i < np; i++) dir[i] = -g[i];
        for (int j = 0; j < hist; j++) {
            int m = (head - 1 - j + M) % M;
            al[m] = rho[m] * dot(S + np * m, dir, np);
            for (size_t i = 0; i < np; i++) dir[i] -= al[m] * Y[np * m + i];
        }
        if (hist) {
            int m = (head - 1 + M) % M;
            double gam = dot(S + np * m, Y + np * m, np) / dot(Y + np * m, Y + np * m, np);
            for (size_t i = 0; i < np; i++) dir[i] *= gam;
        } else {
            for (size_t i = 0; i < np; i++) dir[i] /= gn; /* first step: unit length */
        }
        for (int j = hist - 1; j >= 0; j--) {
            int m = (head - 1 - j + M) % M;
            double be = rho[m] * dot(Y + np * m, dir, np);
            for (size_t i = 0; i < np; i++) dir[i] += S[np * m + i] * (al[m] - be);
        }
        double slope = dot(g, dir, np);
        if (!(slope < 0)) { /* not a descent direction: restart from steepest descent */
            hist = 0;
            for (size_t i = 0; i < np; i++) dir[i] = -g[i] / gn;
            slope = -gn;
        }
        double step = 1.0, f2 = 0;
        int ok = 0;
        for (int ls = 0; ls < 40; ls++, step *= 0.5) {
            for (size_t i = 0; i < np; i++) th2[i] = th[i] + step * dir[i];
            f2 = lr_eval(&p, th2, g2);
            if (f2 <= f + 1e-4 * step * slope) { ok = 1; break; }
        }
        if (!ok) break; /* no decrease possible at float precision: converged as far as it goes */
        double *sm = S + np * head, *ym = Y + np * head;
        for (size_t i = 0; i < np; i++) { sm[i] = th2[i] - th[i]; ym[i] = g2[i] - g[i]; }
        double sy = dot(sm, ym, np);
        if (sy > 1e-12) {
            rho[head] = 1.0 / sy;
            head = (head + 1) % M;
            if (hist < M) hist++;
        }
        memcpy(th, th2, sizeof(double) * np);
        memcpy(g, g2, sizeof(double) * np);
        f = f2;
    }
    for (size_t i = 0; i < (size_t)classes * d; i++) W[i] = (float)th[i];
    for (int c = 0; c < classes; c++) b[c] = (float)th[(size_t)classes * d + c];
    if (iters) *iters = it;
out:
    free(p.logits); free(p.wf); free(th); free(g); free(dir); free(th2); free(g2); free(S); free(Y);
    return rc;
}

void ganc_logreg_predict(const float *x, int n, int d, int classes, const float *W, const float *b, int *pred) {
    for (int i = 0; i < n; i++) {
        int best = 0;
        double bv = -INFINITY;
        for (int c = 0; c < classes; c++) {
            double v = b[c];
            const float *w = W + (size_t)c * d, *xi = x + (size_t)i * d;
            for (int j = 0; j < d; j++) v += (double)w[j] * xi[j];
            if (v > bv) { bv = v; best = c; }
        }
        pred[i] = best;
    }
}

void ganc_standardize(float *x, int n, int d, const float *ref, int nref) {
    for (int j = 0; j < d; j++) {
        double s = 0, s2 = 0;
        for (int i = 0; i < nref; i++) s += ref[(size_t)i * d + j];
        double mu = s / nref;
        for (int i = 0; i < nref; i++) s2 += (ref[(size_t)i * d + j] - mu) * (ref[(size_t)i * d + j] - mu);
        double sd = sqrt(s2 / nref);
        float inv = sd > 1e-12 ? (float)(1.0 / sd) : 0.0f;
        for (int i = 0; i < n; i++) x[(size_t)i * d + j] = (float)((x[(size_t)i * d + j] - mu) * inv);
    }
}
