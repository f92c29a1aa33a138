/* ganc report RUN: one self-contained HTML page for a run (no network access: images and plots inlined, no script):
   the run's settings, the loss and probability curves (and FID when logged), the sample grids saved during
   training, and any `ganc eval --json` results kept in the run folder (RUN/eval*.json). Written atomically. */
#include <dirent.h>
#include <stdlib.h>
#include <string.h>
#include "train.h"

static const char *css =
    "body{font-family:sans-serif;max-width:1000px;margin:2em auto;color:#222}table{border-collapse:collapse}"
    "td,th{border:1px solid #ccc;padding:2px 8px;text-align:left}figure{display:inline-block;margin:6px}"
    "figcaption{font-size:small;color:#555}img{image-rendering:pixelated;max-width:100%}pre{background:#f6f6f6;"
    "padding:8px;overflow:auto}";

static int cmp_name(const void *a, const void *b) { return strcmp(*(char *const *)a, *(char *const *)b); }

/* files of dir whose names start with prefix and end with suffix, sorted */
static int list_files(const char *dir, const char *prefix, const char *suffix, char ***out) {
    DIR *d = opendir(dir);
    int n = 0, cap = 0;
    char **v = NULL;
    struct dirent *e;
    while (d && (e = readdir(d))) {
        if (strncmp(e->d_name, prefix, strlen(prefix)) || !ends_with(e->d_name, suffix)) continue;
        if (n == cap) {
            char **q = realloc(v, sizeof(char *) * (size_t)(cap = cap ? cap * 2 : 16));
            if (!q) break;
            v = q;
        }
        if (!(v[n] = strdup(e->d_name))) break;
        n++;
    }
    if (d) closedir(d);
    if (n) qsort(v, (size_t)n, sizeof *v, cmp_name);
    *out = v;
    return n;
}

static void free_list(char **v, int n) {
    for (int i = 0; i < n; i++) free(v[i]);
    free(v);
}

/* an image file of the run, inlined */
static void inline_file(FILE *f, const char *path, const char *mime, const char *alt) {
    unsigned char *b;
    size_t n;
    if (ganc_read_file(path, (size_t)64 << 20, &b, &n)) return;
    fprintf(f, "<img alt=\"");
    html_text(f, alt);
    fprintf(f, "\" src=\"data:%s;base64,", mime);
    base64_out(f, b, n);
    fputs("\">\n", f);
    free(b);
}

static void settings(FILE *f, const char *run) {
    char p[4200];
    ganc_st_t *st = NULL;
    if (join_path(p, sizeof p, run, "state.safetensors") || ganc_st_open(&st, p)) {
        fputs("<p>No readable state.safetensors: ", f);
        html_text(f, ganc_errmsg());
        fputs("</p>\n", f);
        return;
    }
    fputs("<h2>Settings</h2>\n<table><tr><th>key</th><th>value</th></tr>\n", f);
    for (int i = 0; i < ganc_st_meta_count(st); i++) {
        const char *k, *v;
        ganc_st_meta_at(st, i, &k, &v);
        fputs("<tr><td>", f);
        html_text(f, k);
        fputs("</td><td>", f);
        html_text(f, v);
        fputs("</td></tr>\n", f);
    }
    const ganc_st_tensor_t *t = ganc_st_find(st, "step");
    int64_t step = -1;
    if (t && t->dtype == GANC_I64) memcpy(&step, t->data, 8);
    fprintf(f, "<tr><td>step (checkpoint)</td><td>%lld</td></tr>\n</table>\n", (long long)step);
    ganc_st_free(st);
}

/* the last row of log.csv and the FID column */
static void log_summary(FILE *f, const char *run) {
    char p[4200], line[1024], hdr[1024] = "", last[1024] = "";
    if (join_path(p, sizeof p, run, "log.csv")) return;
    FILE *l = fopen(p, "r");
    if (!l) return;
    int rows = 0, nfid = 0;
    fputs("<h2>FID during training</h2>\n<table><tr><th>step</th><th>FID</th></tr>\n", f);
    while (fgets(line, sizeof line, l)) {
        line[strcspn(line, "\n")] = 0;
        if (!rows++) { snprintf(hdr, sizeof hdr, "%s", line); continue; }
        snprintf(last, sizeof last, "%s", line);
        const char *c = strrchr(line, ',');
        if (c && c[1] && strstr(hdr, ",fid")) {
            fprintf(f, "<tr><td>%lld</td><td>", atoll(line));
            html_text(f, c + 1);
            fputs("</td></tr>\n", f);
            nfid++;
        }
    }
    fclose(l);
    if (!nfid) fputs("<tr><td colspan=2>none logged (train with --eval-every K)</td></tr>\n", f);
    fputs("</table>\n<h2>Last log row</h2>\n<pre>", f);
    html_text(f, hdr);
    fputc('\n', f);
    html_text(f, last);
    fputs("</pre>\n", f);
}

static void grids(FILE *f, const char *run, int max_grids) {
    char sdir[4200], p[4400];
    char **v;
    if (join_path(sdir, sizeof sdir, run, "samples")) return;
    int n = list_files(sdir, "step_", ".png", &v);
    fprintf(f, "<h2>Samples during training</h2>\n<p>%d grids saved (fixed noise); ", n);
    int shown = n < max_grids ? n : max_grids;
    fprintf(f, "%d shown, evenly spaced, the last included.</p>\n", shown);
    for (int k = 0; k < shown; k++) {
        int i = shown == 1 ? n - 1 : (int)((long long)k * (n - 1) / (shown - 1));
        if (join_path(p, sizeof p, sdir, v[i])) continue;
        fputs("<figure>", f);
        inline_file(f, p, "image/png", v[i]);
        fprintf(f, "<figcaption>step %d</figcaption></figure>\n", atoi(v[i] + 5));
    }
    free_list(v, n);
}

static void evals(FILE *f, const char *run) {
    char **v, p[4400];
    int n = list_files(run, "eval", ".json", &v);
    fputs("<h2>Evaluations</h2>\n", f);
    if (!n) fputs("<p>None kept in the run folder (<code>ganc eval ... --json &gt; RUN/eval.json</code>).</p>\n", f);
    for (int i = 0; i < n; i++) {
        unsigned char *b;
        size_t len;
        if (join_path(p, sizeof p, run, v[i]) || ganc_read_file(p, 1 << 20, &b, &len)) continue;
        fputs("<h3>", f);
        html_text(f, v[i]);
        fputs("</h3>\n<pre>", f);
        char *s = malloc(len + 1);
        if (s) { memcpy(s, b, len); s[len] = 0; html_text(f, s); free(s); }
        fputs("</pre>\n", f);
        free(b);
    }
    free_list(v, n);
}

int write_report(const char *run, const char *out, int max_grids) {
    char def[4200], p[4400];
    if (!out) {
        if (join_path(def, sizeof def, run, "report.html")) return GANC_EINVAL;
        out = def;
    }
    char *buf = NULL;
    size_t len = 0;
    FILE *f = open_memstream(&buf, &len);
    if (!f) return ganc_fail(GANC_ENOMEM, "out of memory for the report");
    fprintf(f, "<!doctype html>\n<html lang=\"en\"><head><meta charset=\"utf-8\"><title>ganc run ");
    html_text(f, run);
    fprintf(f, "</title><style>%s</style></head><body>\n<h1>ganc run <code>", css);
    html_text(f, run);
    fputs("</code></h1>\n", f);
    settings(f, run);
    fputs("<h2>Losses, D(x) and D(G(z)), FID</h2>\n", f);
    if (!join_path(p, sizeof p, run, "loss.svg")) inline_file(f, p, "image/svg+xml", "loss curves");
    log_summary(f, run);
    grids(f, run, max_grids);
    evals(f, run);
    fputs("</body></html>\n", f);
    fclose(f);
    int rc = buf ? ganc_write_file_atomic(out, buf, len) : ganc_fail(GANC_ENOMEM, "out of memory");
    free(buf);
    return rc;
}

int cmd_report(int argc, char **argv) {
    static const command_t cmd = {
        "report", "report RUN [--out FILE.html]",
        "One self-contained HTML page for a training run (any model family): its settings, loss curves, D(x)/D(G(z)),\n"
        "FID over time when logged, the sample grids saved during training and the ganc eval --json results kept in\n"
        "the run folder (RUN/eval*.json). No network access, no script. Default output RUN/report.html.", NULL};
    const char *out = NULL;
    int max_grids = 12;
    flag_t flags[] = {
        {"out", F_STR, &out, "FILE", "output file (default RUN/report.html)", 0, NULL, 0, 0, 0},
        {"max-grids", F_INT, &max_grids, NULL, "sample grids shown at most", 0, NULL, 0, 1, 1000},
    };
    char *pos[1];
    int npos, prc = parse_flags(&cmd, flags, 2, argc, argv, pos, 1, &npos);
    if (prc) return prc == 1 ? 0 : 2;
    if (npos != 1) { fprintf(stderr, "ganc report: need a run folder\n"); return 2; }
    if (dry_run()) return 0;
    if (!is_dir(pos[0])) { fprintf(stderr, "ganc report: %s is not a folder\n", pos[0]); return 1; }
    if (write_report(pos[0], out, max_grids)) { fprintf(stderr, "ganc report: %s\n", ganc_errmsg()); return 1; }
    printf("wrote %s\n", out ? out : "report.html in the run folder");
    return 0;
}
