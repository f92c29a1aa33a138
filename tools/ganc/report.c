/* Progress bar (a redrawn line on a terminal, plain log lines otherwise) and the loss plot (SVG, no dependency). */
#include <math.h>
#include <stdio.h>
#include <stdlib.h>
#include <string.h>
#include <time.h>
#include <unistd.h>
#include "cli.h"

double now_s(void) {
    struct timespec ts;
    clock_gettime(CLOCK_MONOTONIC, &ts);
    return (double)ts.tv_sec + ts.tv_nsec * 1e-9;
}

void progress_init(progress_t *p, int64_t total) {
    p->tty = isatty(STDOUT_FILENO);
    p->t0 = now_s();
    p->last_draw = 0;
    p->total = total;
}

static void hms(double s, char *buf, size_t n) {
    if (!(s >= 0) || s > 360000) { snprintf(buf, n, "--:--"); return; }
    int t = (int)(s + 0.5);
    if (t >= 3600) snprintf(buf, n, "%d:%02d:%02d", t / 3600, t / 60 % 60, t % 60);
    else snprintf(buf, n, "%d:%02d", t / 60, t % 60);
}

void progress_update(progress_t *p, int64_t step, double img_s, double eta_s, const char *stats, int force) {
    double t = now_s();
    char eta[32], el[32];
    hms(eta_s, eta, sizeof eta);
    hms(t - p->t0, el, sizeof el);
    if (p->tty) {
        if (!force && t - p->last_draw < 0.1) return;
        p->last_draw = t;
        char bar[32] = "";
        if (p->total > 0) {
            int w = 20, fill = (int)((double)step / p->total * w);
            for (int i = 0; i < w; i++) bar[i] = i < fill ? '#' : '.';
            bar[w] = 0;
            printf("\r\033[K%lld/%lld [%s] %3.0f%% ", (long long)step, (long long)p->total, bar,
                   100.0 * step / p->total);
        } else {
            printf("\r\033[Kstep %lld ", (long long)step);
        }
        printf("%.0f img/s %s<%s | %s", img_s, el, eta, stats);
        fflush(stdout);
    } else if (force) {
        char tot[32] = ""; /* "/N", or nothing when the run has no step target (--time) */
        if (p->total > 0) snprintf(tot, sizeof tot, "/%lld", (long long)p->total);
        printf("step %lld%s  %.0f img/s  elapsed %s  eta %s  %s\n", (long long)step, tot, img_s, el, eta, stats);
        fflush(stdout);
    }
}

void progress_end(progress_t *p) {
    if (p->tty) printf("\n");
    fflush(stdout);
}

/* ---- loss plot: two panels (the model's losses; its probabilities), and a third for FID when log.csv has any */
#define MAXC 24
int write_loss_svg(const char *csv_path, const char *svg_path, const struct log_col_s *lc, int nlc, const char *eval) {
    const int nv = 4 + nlc + 1, fc = nv - 1; /* step,epoch,seconds,img_per_s, model columns, fid */
    if (nlc < 1 || nv > MAXC) return ganc_fail(GANC_EINVAL, "loss plot: 1..%d model columns", MAXC - 5);
    FILE *f = fopen(csv_path, "r");
    if (!f) return ganc_fail(GANC_EIO, "%s: cannot open", csv_path);
    int cap = 1024, n = 0;
    double (*r)[MAXC] = malloc(sizeof(*r) * cap);
    char line[1024];
    if (!r) { fclose(f); return ganc_fail(GANC_ENOMEM, "out of memory"); }
    if (!fgets(line, sizeof line, f)) { fclose(f); free(r); return ganc_fail(GANC_EFORMAT, "%s: empty", csv_path); }
    int nfid = 0;
    while (fgets(line, sizeof line, f)) {
        double v[MAXC];
        int got = 0;
        char *p = line, *e;
        while (got < nv) { /* comma-separated numbers; an empty fid field ends the row */
            v[got] = strtod(p, &e);
            if (e == p) break;
            got++;
            if (*e != ',') break;
            p = e + 1;
        }
        if (got < fc) continue;
        if (got < nv) v[fc] = NAN;
        else nfid++;
        if (n == cap) {
            cap *= 2;
            double (*q)[MAXC] = realloc(r, sizeof(*r) * cap);
            if (!q) break;
            r = q;
        }
        memcpy(r[n++], v, sizeof v);
    }
    fclose(f);
    const int W = 900, H = nfid ? 840 : 560, L = 60, R = 20, PH = 220, T1 = 30, T2 = 310, T3 = 590;
    char *svg = malloc(1 << 20 | (size_t)n * 200);
    if (!svg) { free(r); return ganc_fail(GANC_ENOMEM, "out of memory"); }
    size_t o = 0, cap_b = (1 << 20) | (size_t)n * 200;
#define OUT(...) o += (size_t)snprintf(svg + o, o < cap_b ? cap_b - o : 0, __VA_ARGS__)
    OUT("<svg xmlns='http://www.w3.org/2000/svg' width='%d' height='%d' font-family='sans-serif' font-size='12'>\n", W, H);
    OUT("<rect width='100%%' height='100%%' fill='white'/>\n");
    double x0 = n ? r[0][0] : 0, x1 = n ? r[n - 1][0] : 1, lmax = 0.1;
    if (x1 <= x0) x1 = x0 + 1;
    for (int i = 0; i < n; i++)
        for (int k = 0; k < nlc; k++)
            if (lc[k].panel == 1) lmax = fmax(lmax, r[i][4 + k]);
    lmax = fmin(lmax, 20.0);
    const char *colors[6] = {"#1f77b4", "#d62728", "#2ca02c", "#ff7f0e", "#8c564b", "#e377c2"};
    for (int panel = 0; panel < 2; panel++) {
        int top = panel ? T2 : T1;
        double ymax = panel ? 1.0 : lmax;
        OUT("<rect x='%d' y='%d' width='%d' height='%d' fill='none' stroke='#888'/>\n", L, top, W - L - R, PH);
        for (int k = 0; k <= 4; k++) {
            double yv = ymax * k / 4;
            int y = top + PH - (int)(PH * k / 4);
            OUT("<line x1='%d' x2='%d' y1='%d' y2='%d' stroke='#eee'/><text x='%d' y='%d' text-anchor='end'>%.2f</text>\n",
                L, W - R, y, y, L - 5, y + 4, yv);
        }
        OUT("<text x='%d' y='%d'>step %.0f</text><text x='%d' y='%d' text-anchor='end'>step %.0f</text>\n", L,
            top + PH + 15, x0, W - R, top + PH + 15, x1);
        for (int k = 0, s = 0; k < nlc; k++) {
            if (lc[k].panel != panel + 1) continue;
            const int c = 4 + k;
            const char *color = colors[(panel * 2 + s) % 6];
            OUT("<polyline fill='none' stroke='%s' stroke-width='1.5' points='", color);
            for (int i = 0; i < n; i++) {
                double xv = L + (W - L - R) * (r[i][0] - x0) / (x1 - x0);
                double yv = top + PH - PH * fmin(fmax(r[i][c], 0.0), ymax) / ymax;
                OUT("%.1f,%.1f ", xv, yv);
            }
            OUT("'/>\n<text x='%d' y='%d' fill='%s'>%s</text>\n", L + 10 + s * 90, top - 8, color, lc[k].label);
            s++;
        }
    }
    if (nfid) { /* the evaluation's panel (FID, PSNR), from 0 or, when that would flatten it, from near its minimum */
        double fmax_ = -INFINITY, fmin_ = INFINITY;
        for (int i = 0; i < n; i++)
            if (!isnan(r[i][fc])) { fmax_ = fmax(fmax_, r[i][fc]); fmin_ = fmin(fmin_, r[i][fc]); }
        double f0 = fmin_ > 0.5 * fmax_ ? fmin_ - 0.1 * (fmax_ - fmin_) - 0.5 : 0.0;
        if (fmax_ <= f0) fmax_ = f0 + 1;
        OUT("<rect x='%d' y='%d' width='%d' height='%d' fill='none' stroke='#888'/>\n", L, T3, W - L - R, PH);
        for (int k = 0; k <= 4; k++) {
            int y = T3 + PH - (int)(PH * k / 4);
            OUT("<line x1='%d' x2='%d' y1='%d' y2='%d' stroke='#eee'/><text x='%d' y='%d' text-anchor='end'>%.1f</text>\n",
                L, W - R, y, y, L - 5, y + 4, f0 + (fmax_ - f0) * k / 4);
        }
        OUT("<polyline fill='none' stroke='#9467bd' stroke-width='1.5' points='");
        for (int i = 0; i < n; i++)
            if (!isnan(r[i][fc]))
                OUT("%.1f,%.1f ", L + (W - L - R) * (r[i][0] - x0) / (x1 - x0),
                    T3 + PH - PH * (r[i][fc] - f0) / (fmax_ - f0));
        OUT("'/>\n<text x='%d' y='%d' fill='#9467bd'>%s (log.csv column %s)</text>\n", L + 10, T3 - 8,
            strcmp(eval, "fid") ? eval : "FID", eval);
    }
    OUT("</svg>\n");
#undef OUT
    int rc = ganc_write_file_atomic(svg_path, svg, o < cap_b ? o : cap_b);
    free(svg);
    free(r);
    return rc;
}
