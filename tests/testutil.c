#include <math.h>
#include <stdlib.h>
#include <string.h>
#include <sys/wait.h>
#include <sys/stat.h>
#include "testutil.h"

int tu_checks = 0, tu_fails = 0;

int tu_finish(const char *name) {
    printf("%s: %d checks, %d passed, %d failed\n", name, tu_checks, tu_checks - tu_fails, tu_fails);
    return tu_fails ? 1 : 0;
}

double tu_max_rel(const float *a, const float *b, size_t n, double floor, size_t *where) {
    double m = 0.0;
    size_t w = 0;
    for (size_t i = 0; i < n; i++) {
        double d = fabs((double)a[i] - b[i]) / fmax(fabs((double)b[i]), floor);
        if (!(d <= m)) { m = d; w = i; } /* NaN propagates as a failure */
        if (isnan(d)) { m = INFINITY; w = i; break; }
    }
    if (where) *where = w;
    return m;
}

double tu_max_abs(const float *a, const float *b, size_t n) {
    double m = 0.0;
    for (size_t i = 0; i < n; i++) {
        double d = fabs((double)a[i] - b[i]);
        if (!(d <= m)) m = isnan(d) ? INFINITY : d;
    }
    return m;
}

static double loss_of(ganc_net_t *net, int out, int batch, int flags, const float *R, uint64_t dseed) {
    ganc_net_seed(net, dseed); /* same dropout mask every time */
    int rc = ganc_net_forward(net, batch, flags);
    if (rc) { fprintf(stderr, "forward failed: %s\n", ganc_errmsg()); exit(2); }
    const float *y = ganc_net_data(net, out);
    size_t n = ganc_net_numel(net, out) * batch;
    double s = 0.0;
    for (size_t i = 0; i < n; i++) s += (double)y[i] * R[i];
    return s;
}

static int compare(const char *what, const char *tname, float *x, const float *analytic, size_t n, ganc_net_t *net,
                   int out, int batch, int flags, const float *R, float eps, double tol, int samples, ganc_rng_t *rng) {
    int bad = 0;
    double worst = 0.0;
    for (int s = 0; s < samples && s < (int)n; s++) {
        size_t i = n <= (size_t)samples ? (size_t)s : ganc_rng_below(rng, (uint32_t)n);
        float keep = x[i];
        x[i] = keep + eps;
        double fp = loss_of(net, out, batch, flags, R, 77);
        x[i] = keep - eps;
        double fm = loss_of(net, out, batch, flags, R, 77);
        x[i] = keep;
        double num = (fp - fm) / (2.0 * eps), an = analytic[i];
        double err = fabs(num - an) / fmax(1.0, fmax(fabs(num), fabs(an)));
        if (err > worst) worst = err;
        if (!(err <= tol)) {
            if (bad < 3)
                fprintf(stderr, "  %s: %s[%zu]: analytic %.6g numeric %.6g\n", what, tname, i, an, num);
            bad++;
        }
    }
    CHECK(bad == 0, "%s: gradient of %s differs from finite differences (%d of %d samples, worst %.3g)", what, tname,
          bad, samples, worst);
    return bad;
}

int tu_fd_check(const char *what, ganc_net_t *net, const int *ins, int n_ins, int out, int batch, int flags, float eps,
                double tol, int samples, uint64_t seed) {
    ganc_rng_t rng;
    ganc_rng_seed(&rng, seed);
    size_t n_out = ganc_net_numel(net, out) * batch;
    float *R = malloc(sizeof(float) * n_out);
    ganc_rng_fill_normal(&rng, R, n_out, 0.0f, 1.0f);
    /* analytic */
    ganc_net_zero_grad(net);
    loss_of(net, out, batch, flags, R, 77);
    memcpy(ganc_net_grad(net, out), R, sizeof(float) * n_out);
    ganc_net_backward(net, 0);
    size_t np = ganc_net_nparams(net);
    float *pg = malloc(sizeof(float) * (np + 1));
    memcpy(pg, ganc_net_param_grads(net), sizeof(float) * np);
    float *ig[4] = {0};
    for (int k = 0; k < n_ins; k++) {
        size_t ni = ganc_net_numel(net, ins[k]) * batch;
        ig[k] = malloc(sizeof(float) * ni);
        memcpy(ig[k], ganc_net_grad(net, ins[k]), sizeof(float) * ni);
    }
    int bad = 0;
    for (int t = 0; t < ganc_net_ntensors(net); t++) {
        ganc_tensor_info_t ti;
        ganc_net_tensor(net, t, &ti);
        if (ti.kind != GANC_PARAM) continue;
        bad += compare(what, ti.name, ti.data, pg + (ti.data - ganc_net_params(net)), ti.numel, net, out, batch, flags,
                       R, eps, tol, samples, &rng);
    }
    for (int k = 0; k < n_ins; k++) {
        char nm[32];
        snprintf(nm, sizeof nm, "input%d", k);
        bad += compare(what, nm, ganc_net_data(net, ins[k]), ig[k], ganc_net_numel(net, ins[k]) * batch, net, out,
                       batch, flags, R, eps, tol, samples, &rng);
        free(ig[k]);
    }
    free(pg);
    free(R);
    return bad;
}

const char *tu_fixture(const char *name) {
    static char buf[4096];
    const char *d = getenv("GANC_FIXTURES");
    snprintf(buf, sizeof buf, "%s/%s", d ? d : "fixtures", name);
    return buf;
}

static char tu_dir[256];

int tu_tmpdir(const char *tag) {
    snprintf(tu_dir, sizeof tu_dir, "/tmp/ganc_test_%s_XXXXXX", tag);
    return mkdtemp(tu_dir) ? 0 : -1;
}

const char *tu_tmp(const char *name) {
    static char buf[8][512];
    static int k = 0;
    k = (k + 1) % 8;
    snprintf(buf[k], sizeof buf[k], "%s/%s", tu_dir, name);
    return buf[k];
}

void tu_tmpdir_remove(void) {
    char cmd[300];
    snprintf(cmd, sizeof cmd, "rm -rf %s", tu_dir);
    if (tu_fails) fprintf(stderr, "kept %s for inspection\n", tu_dir);
    else if (system(cmd) != 0) fprintf(stderr, "could not remove %s\n", tu_dir);
}

size_t tu_read_text(const char *path, char *buf, size_t cap) {
    size_t n = 0;
    FILE *f = fopen(path, "r");
    if (f) {
        n = fread(buf, 1, cap - 1, f);
        fclose(f);
    }
    buf[n] = 0;
    return n;
}

int tu_run(const char *ganc, const char *args, char *err, size_t errcap) {
    char cmd[16384];
    snprintf(cmd, sizeof cmd, "%s %s 2>%s/stderr.txt >%s/stdout.txt", ganc, args, tu_dir, tu_dir);
    int st = system(cmd);
    if (err) tu_read_text(tu_tmp("stderr.txt"), err, errcap);
    return WIFEXITED(st) ? WEXITSTATUS(st) : 128;
}

void tu_expect(const char *ganc, const char *what, const char *args, int code, const char *needle, int one_line) {
    char err[8192];
    int rc = tu_run(ganc, args, err, sizeof err), lines = 0;
    for (char *p = err; *p; p++) lines += *p == '\n';
    CHECK(rc == code, "%s: exit code %d, expected %d (stderr: %.600s)", what, rc, code, err);
    CHECK(!one_line || lines == 1, "%s: %d error lines, expected 1: %.600s", what, lines, err);
    CHECK(!needle || strstr(err, needle), "%s: error lacks \"%s\": %.600s", what, needle, err);
}

int tu_same_file(const char *a, const char *b) {
    unsigned char *pa, *pb;
    size_t la, lb;
    if (ganc_read_file(a, 1 << 28, &pa, &la)) return 0;
    if (ganc_read_file(b, 1 << 28, &pb, &lb)) { free(pa); return 0; }
    int same = la == lb && !memcmp(pa, pb, la);
    free(pa); free(pb);
    return same;
}

int tu_same_tensors(const char *a, const char *b) {
    ganc_st_t *x, *y;
    if (ganc_st_open(&x, a)) return 0;
    if (ganc_st_open(&y, b)) { ganc_st_free(x); return 0; }
    int same = ganc_st_count(x) == ganc_st_count(y);
    for (int i = 0; same && i < ganc_st_count(x); i++) {
        const ganc_st_tensor_t *t = ganc_st_get(x, i), *u = ganc_st_find(y, t->name);
        same = u && u->dtype == t->dtype && u->nbytes == t->nbytes && !memcmp(u->data, t->data, t->nbytes);
    }
    ganc_st_free(x);
    ganc_st_free(y);
    return same;
}

void tu_make_idx(const char *path, int n) {
    unsigned char *f = malloc(16 + (size_t)n * 784);
    unsigned char h[16] = {0, 0, 8, 3, (unsigned char)(n >> 24), (unsigned char)(n >> 16), (unsigned char)(n >> 8),
                           (unsigned char)n, 0, 0, 0, 28, 0, 0, 0, 28};
    memcpy(f, h, 16);
    for (int i = 0; i < n; i++) /* blobs of varying position and size */
        for (int y = 0; y < 28; y++)
            for (int x = 0; x < 28; x++) {
                int cx = 8 + i % 12, cy = 8 + (i * 7) % 12, r = 4 + i % 5;
                f[16 + (size_t)i * 784 + y * 28 + x] = (x - cx) * (x - cx) + (y - cy) * (y - cy) < r * r ? 230 : 10;
            }
    FILE *o = fopen(path, "wb");
    fwrite(f, 1, 16 + (size_t)n * 784, o);
    fclose(o);
    free(f);
}

int64_t tu_state_step(const char *dir) {
    char p[4200];
    snprintf(p, sizeof p, "%s/state.safetensors", dir);
    ganc_st_t *st;
    if (ganc_st_open(&st, p)) return -1;
    int64_t s = -1;
    const ganc_st_tensor_t *t = ganc_st_find(st, "step");
    if (t && t->dtype == GANC_I64) memcpy(&s, t->data, 8);
    ganc_st_free(st);
    return s;
}

void tu_device_from_env(const char *test) {
    const char *d = getenv("GANC_TEST_DEVICE");
    if (!d || !*d) return;
    if (ganc_set_device(d)) {
        printf("%s: skipped: %s\n", test, ganc_errmsg());
        exit(77);
    }
    printf("%s: on %s\n", test, ganc_device_describe());
}

double tu_params_vs(ganc_net_t *net, const ganc_st_t *st, const char *prefix, int grads) {
    double worst = 0;
    char name[300];
    for (int i = 0; i < ganc_net_ntensors(net); i++) {
        ganc_tensor_info_t ti;
        ganc_net_tensor(net, i, &ti);
        if (ti.kind != GANC_PARAM) continue;
        snprintf(name, sizeof name, "%s%s", prefix, ti.name);
        const ganc_st_tensor_t *r = ganc_st_find(st, name);
        CHECK(r && r->numel == ti.numel, "fixture tensor %s", name);
        if (!r || r->numel != ti.numel) return INFINITY;
        float *ref = malloc(r->nbytes);
        memcpy(ref, r->data, r->nbytes);
        double mx = 1e-3;
        for (size_t k = 0; k < ti.numel; k++) mx = fmax(mx, fabs(ref[k]));
        worst = fmax(worst, tu_max_abs(grads ? ti.grad : ti.data, ref, ti.numel) / mx);
        free(ref);
    }
    return worst;
}

void tu_make_gem(const char *root, int n) {
    char p[600];
    snprintf(p, sizeof p, "%s/config", root);
    mkdir(root, 0777);
    mkdir(p, 0777);
    snprintf(p, sizeof p, "%s/assets", root);
    mkdir(p, 0777);
    snprintf(p, sizeof p, "%s/assets/png", root);
    mkdir(p, 0777);
    static const char *cats[8] = {"people", "nature", "food", "activity", "travel", "objects", "symbols", "flags"};
    snprintf(p, sizeof p, "%s/config/index.json", root);
    FILE *f = fopen(p, "w");
    fprintf(f, "{\"e1_tone2\": {\"unicode\": \"F1\", \"name\": \"thing 1 tone 2\", \"category\": \"people\", "
               "\"keywords\": [\"people\", \"hand\"]},\n \"mod\": {\"unicode\": \"F2\", \"name\": \"skin\", "
               "\"category\": \"modifier\", \"keywords\": []}");
    for (int i = 0; i < n; i++)
        fprintf(f, ",\n \"e%d\": {\"unicode\": \"E%d\", \"name\": \"thing %d\", \"category\": \"%s\", \"keywords\": "
                   "[\"k%d\", \"%s\", \"k%d\", \"k%d\", \"k%d\", \"k%d\"]}", i, i, i, cats[i % 8], i, cats[i % 8], i,
                i + 1, i + 2, i + 3);
    fprintf(f, "}\n");
    fclose(f);
    unsigned char px[64 * 64 * 4];
    for (int i = -2; i < n; i++) {
        for (int k = 0; k < 64 * 64; k++) {
            px[4 * k] = (unsigned char)(i * 37 + k % 64);
            px[4 * k + 1] = (unsigned char)(i * 91 + k / 64);
            px[4 * k + 2] = (unsigned char)(i * 13);
            px[4 * k + 3] = (unsigned char)(k / 64 < 32 ? 0 : 255); /* the top half transparent */
        }
        snprintf(p, sizeof p, "%s/assets/png/%s.png", root, i == -2 ? "F1" : i == -1 ? "F2" : "");
        if (i >= 0) snprintf(p, sizeof p, "%s/assets/png/E%d.png", root, i);
        CHECK_OK(ganc_png_write(p, px, 64, 64, 4));
    }
}
