/* The run folder: creating it, paths in it, leftovers of killed runs, and log.csv after a resume. */
#include <dirent.h>
#include <fcntl.h>
#include <sys/file.h>
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

/* One process trains in a run folder at a time: an exclusive flock on DIR/.lock, which holds the owner's PID. The
   kernel drops the lock when the process ends, however it ends, so a killed run never leaves the folder locked. */
int rundir_lock(const char *dir) {
    char p[4096], pid[32] = "";
    if (join_path(p, sizeof p, dir, ".lock")) return -1;
    int fd = open(p, O_RDWR | O_CREAT | O_CLOEXEC, 0666);
    if (fd < 0) return ganc_fail(GANC_EIO, "cannot create %s: %s", p, strerror(errno));
    if (flock(fd, LOCK_EX | LOCK_NB) != 0) {
        ssize_t n = read(fd, pid, sizeof pid - 1);
        pid[n > 0 ? n : 0] = 0;
        pid[strcspn(pid, "\n")] = 0;
        close(fd);
        return ganc_fail(GANC_EIO, "%s is in use by another training process (pid %s, holding %s); wait for it to "
                         "finish or stop it", dir, *pid ? pid : "?", p);
    }
    int n = snprintf(pid, sizeof pid, "%ld\n", (long)getpid());
    if (ftruncate(fd, 0) != 0 || pwrite(fd, pid, (size_t)n, 0) != n) { /* only informative: the lock is what counts */ }
    return fd;
}

/* a run folder already holds a run when it has any of the files a run writes */
static const char *const run_files[] = {"state.safetensors", "G.safetensors", "D.safetensors", "log.csv", "loss.svg",
                                        "samples.png", "report.html"};

int rundir_has_run(const char *dir) {
    char p[4096];
    struct stat st;
    for (size_t i = 0; i < sizeof run_files / sizeof run_files[0]; i++)
        if (!join_path(p, sizeof p, dir, run_files[i]) && stat(p, &st) == 0) return 1;
    return 0;
}

/* --force: remove the previous run's files (and its sample grids) so nothing of it is mixed into the new one */
void rundir_clear(const char *dir) {
    char p[4096], s[4096];
    for (size_t i = 0; i < sizeof run_files / sizeof run_files[0]; i++)
        if (!join_path(p, sizeof p, dir, run_files[i])) unlink(p);
    if (join_path(s, sizeof s, dir, "samples")) return;
    DIR *d = opendir(s);
    struct dirent *e;
    while (d && (e = readdir(d)))
        if (!strncmp(e->d_name, "step_", 5) && strstr(e->d_name, ".png") && !join_path(p, sizeof p, s, e->d_name)) unlink(p);
    if (d) closedir(d);
}
