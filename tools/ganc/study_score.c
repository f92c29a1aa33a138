/* ganc study score FILE.json...: the answers exported by study pages, combined over participants' files.
   realfake: per model (the --fake source) and presentation time, fooled_rate = generated images answered "real" /
   generated images shown, and per presentation time the accuracy on real images; 95% Wilson intervals.
   mos: per method (folder) the mean opinion score with a 95% normal interval (1.96 sd / sqrt(n)); references are
   left out. */
#include <math.h>
#include <stdlib.h>
#include <string.h>
#include "cli.h"

#define MAXG 256

typedef struct {
    char source[256];
    int ms, n, k;          /* proportions: k of n */
    double sum, sum2;      /* mos: ratings */
} group_t;

typedef struct {
    group_t fooled[MAXG], real[MAXG], mos[MAXG];
    int nf, nr, nm;
    char type[16];
} tally_t;

static group_t *group(group_t *g, int *n, const char *source, int ms) {
    for (int i = 0; i < *n; i++)
        if (g[i].ms == ms && !strcmp(g[i].source, source)) return &g[i];
    if (*n == MAXG) return NULL;
    group_t *x = &g[(*n)++];
    memset(x, 0, sizeof *x);
    snprintf(x->source, sizeof x->source, "%s", source);
    x->ms = ms;
    return x;
}

static void wilson(int k, int n, double *lo, double *hi) {
    const double z = 1.96, p = n ? (double)k / n : 0, d = 1 + z * z / n, c = p + z * z / (2.0 * n);
    const double h = z * sqrt(p * (1 - p) / n + z * z / (4.0 * n * n));
    *lo = n ? (c - h) / d : 0;
    *hi = n ? (c + h) / d : 1;
}

/* one answers file into the tally; 0 or 1 after a message */
static int tally_file(const char *path, tally_t *t) {
    unsigned char *b;
    size_t len;
    char err[128];
    if (ganc_read_file(path, (size_t)64 << 20, &b, &len)) { fprintf(stderr, "ganc study score: %s\n", ganc_errmsg()); return 1; }
    json_t *j = json_parse((const char *)b, len, err, sizeof err);
    free(b);
    const char *type = j ? json_str(json_get(j, "type")) : NULL;
    const json_t *ans = j ? json_get(j, "answers") : NULL;
    int rc = 0;
    if (!j || !type || (strcmp(type, "realfake") && strcmp(type, "mos")) || !ans) {
        fprintf(stderr, "ganc study score: %s: not a ganc study answers file (%s)\n", path, j ? "no type/answers" : err);
        rc = 1;
    } else if (t->type[0] && strcmp(t->type, type)) {
        fprintf(stderr, "ganc study score: %s is a %s study, the others %s\n", path, type, t->type);
        rc = 1;
    }
    if (!rc) snprintf(t->type, sizeof t->type, "%s", type);
    for (int i = 0; !rc && i < json_len(ans); i++) {
        const json_t *a = json_at(ans, i);
        const char *truth = json_str(json_get(a, "truth")), *src = json_str(json_get(a, "source"));
        const char *answer = json_str(json_get(a, "answer"));
        double ms = 0;
        if (!truth || !src || !answer || json_num(json_get(a, "ms"), &ms) || ms < 0 || ms > 60000) {
            fprintf(stderr, "ganc study score: %s: answer %d lacks truth/source/answer/ms\n", path, i);
            rc = 1;
            break;
        }
        group_t *g = NULL;
        if (!strcmp(truth, "fake")) g = group(t->fooled, &t->nf, src, (int)ms);
        else if (!strcmp(truth, "real")) g = group(t->real, &t->nr, "", (int)ms);
        else if (!strcmp(truth, "rating")) g = group(t->mos, &t->nm, src, 0);
        else continue; /* mos references */
        if (!g) { fprintf(stderr, "ganc study score: more than %d groups\n", MAXG); rc = 1; break; }
        g->n++;
        if (!strcmp(truth, "rating")) {
            double r = atof(answer);
            g->sum += r;
            g->sum2 += r * r;
        } else {
            g->k += !strcmp(answer, "real");
        }
    }
    json_free(j);
    return rc;
}

static void print_groups(const tally_t *t, int json) {
    double lo, hi;
    if (!strcmp(t->type, "mos")) {
        if (json) printf("{\"mos\": [");
        for (int i = 0; i < t->nm; i++) {
            const group_t *g = &t->mos[i];
            double m = g->sum / g->n, var = g->n > 1 ? (g->sum2 - g->n * m * m) / (g->n - 1) : 0;
            double h = g->n > 1 ? 1.96 * sqrt(var > 0 ? var : 0) / sqrt(g->n) : 0;
            if (json) {
                printf("%s{\"method\": ", i ? ", " : "");
                js_string(stdout, g->source);
                printf(", \"n\": %d, \"mos\": %.4f, \"ci95\": [%.4f, %.4f]}", g->n, m, m - h, m + h);
            } else {
                printf("MOS %.3f [%.3f, %.3f]  (n %d)  %s\n", m, m - h, m + h, g->n, g->source);
            }
        }
        if (json) printf("]}\n");
        return;
    }
    if (json) printf("{\"fooled\": [");
    for (int i = 0; i < t->nf; i++) {
        const group_t *g = &t->fooled[i];
        wilson(g->k, g->n, &lo, &hi);
        if (json) {
            printf("%s{\"model\": ", i ? ", " : "");
            js_string(stdout, g->source);
            printf(", \"ms\": %d, \"n\": %d, \"fooled\": %d, \"fooled_rate\": %.4f, \"ci95\": [%.4f, %.4f]}", g->ms, g->n,
                   g->k, (double)g->k / g->n, lo, hi);
        } else {
            printf("fooled_rate %.3f [%.3f, %.3f]  (%d of %d generated taken for real; %d ms)  %s\n",
                   (double)g->k / g->n, lo, hi, g->k, g->n, g->ms, g->source);
        }
    }
    if (json) printf("], \"real\": [");
    for (int i = 0; i < t->nr; i++) {
        const group_t *g = &t->real[i];
        wilson(g->k, g->n, &lo, &hi);
        if (json) printf("%s{\"ms\": %d, \"n\": %d, \"accuracy\": %.4f, \"ci95\": [%.4f, %.4f]}", i ? ", " : "", g->ms,
                         g->n, (double)g->k / g->n, lo, hi);
        else printf("real accuracy %.3f [%.3f, %.3f]  (%d of %d real taken for real; %d ms)\n", (double)g->k / g->n,
                    lo, hi, g->k, g->n, g->ms);
    }
    if (json) printf("]}\n");
}

static int cmp_group(const void *a, const void *b) {
    const group_t *x = a, *y = b;
    int c = strcmp(x->source, y->source);
    return c ? c : (x->ms > y->ms) - (x->ms < y->ms);
}

int study_score(int argc, char **argv) {
    static const command_t cmd = {
        "study score", "study score FILE.json [FILE.json...] [--json]",
        "Scores of the answers exported by ganc study pages (several participants' files combine): for a realfake\n"
        "study, per model and presentation time the fraction of generated images taken for real (fooled_rate) and\n"
        "the accuracy on real images, with 95% Wilson intervals; for a mos study, the mean opinion score per method\n"
        "with a 95% interval.", NULL};
    int json = 0;
    flag_t flags[] = {{"json", F_BOOL, &json, NULL, "one JSON object", 0, NULL, 0, 0, 0}};
    char *pos[256];
    int npos, prc = parse_flags(&cmd, flags, 1, argc, argv, pos, 256, &npos);
    if (prc) return prc == 1 ? 0 : 2;
    if (!npos) { fprintf(stderr, "ganc study score: need answers files\n"); return 2; }
    if (dry_run()) return 0;
    tally_t *t = calloc(1, sizeof *t);
    if (!t) return 1;
    int rc = 0;
    for (int i = 0; i < npos && !rc; i++) rc = tally_file(pos[i], t);
    if (!rc && t->nf + t->nr + t->nm == 0) { fprintf(stderr, "ganc study score: no answers in the files\n"); rc = 1; }
    if (!rc) {
        qsort(t->fooled, (size_t)t->nf, sizeof(group_t), cmp_group);
        qsort(t->real, (size_t)t->nr, sizeof(group_t), cmp_group);
        qsort(t->mos, (size_t)t->nm, sizeof(group_t), cmp_group);
        print_groups(t, json);
    }
    free(t);
    return rc;
}
