/* The run folder: creating it, paths in it, leftovers of killed runs, and log.csv after a resume. */
#include <dirent.h>
#include <errno.h>
#include <stdio.h>
#include <stdlib.h>
#include <string.h>
#include <sys/stat.h>
#include <unistd.h>
#include "train.h"

int mkdir_p(const char *path) {
    char buf[4096];
    if (snprintf(buf, sizeof buf, "%s", path) >= (int)sizeof buf) { errno = ENAMETOOLONG; return -1; }
    for (char *p = buf + 1; *p; p++)
        if (*p == '/') {
            *p = 0;
            if (mkdir(buf, 0777) != 0 && errno != EEXIST) return -1;
            *p = '/';
        }
    return mkdir(buf, 0777) != 0 && errno != EEXIST ? -1 : 0;
}

int join_path(char *buf, size_t cap, const char *dir, const char *name) {
    if (snprintf(buf, cap, "%s/%s", dir, name) >= (int)cap)
        return ganc_fail(GANC_EINVAL, "path %s/%s is longer than %zu characters", dir, name, cap - 1);
    return GANC_OK;
}

/* remove PATH.tmp.PID files that a killed run left behind (the real files are intact: writes are rename-atomic) */
void remove_stale_tmp(const char *dir) {
    DIR *d = opendir(dir);
    if (!d) return;
    struct dirent *e;
    char p[4096];
    while ((e = readdir(d)))
        if (strstr(e->d_name, ".tmp.") && !join_path(p, sizeof p, dir, e->d_name)) unlink(p);
    closedir(d);
}

/* rewrite log.csv keeping the header and the rows up to `step` (after a resume) */
int trim_log(const char *path, int64_t step) {
    FILE *f = fopen(path, "r");
    if (!f) return 0;
    size_t cap = 1 << 16, n = 0;
    char *out = malloc(cap), line[1024];
    int first = 1;
    while (out && fgets(line, sizeof line, f)) {
        long long s;
        size_t l = strlen(line);
        if (!first && (l == 0 || line[l - 1] != '\n' || sscanf(line, "%lld,", &s) != 1 || s > step)) continue;
        first = 0;
        if (n + l + 1 > cap) {
            cap = (cap + l) * 2;
            char *q = realloc(out, cap);
            if (!q) break;
            out = q;
        }
        memcpy(out + n, line, l);
        n += l;
    }
    fclose(f);
    int rc = out ? ganc_write_file_atomic(path, out, n) : -1;
    free(out);
    return rc;
}
