#include <errno.h>
#include <fcntl.h>
#include <stdlib.h>
#include <string.h>
#include <sys/stat.h>
#include <unistd.h>
#include "ganc.h"
#include "io/io.h"

int afile_open(afile_t *a, const char *path) {
    memset(a, 0, sizeof *a);
    if (strlen(path) >= sizeof a->path) return ganc_fail(GANC_EINVAL, "%.200s...: path too long", path);
    snprintf(a->path, sizeof a->path, "%s", path);
    snprintf(a->tmp, sizeof a->tmp, "%s.tmp.%ld", path, (long)getpid());
    a->f = fopen(a->tmp, "wb");
    if (!a->f) return ganc_fail(GANC_EIO, "%s: cannot create %s: %s", path, a->tmp, strerror(errno));
    return GANC_OK;
}

void afile_write(afile_t *a, const void *p, size_t n) {
    if (a->err || !n) return;
    if (fwrite(p, 1, n, a->f) != n) a->err = errno ? errno : EIO;
}

void afile_abort(afile_t *a) {
    if (a->f) fclose(a->f);
    a->f = NULL;
    unlink(a->tmp);
}

int afile_commit(afile_t *a) {
    if (!a->err && fflush(a->f) != 0) a->err = errno;
    if (!a->err && fsync(fileno(a->f)) != 0) a->err = errno;
    if (fclose(a->f) != 0 && !a->err) a->err = errno;
    a->f = NULL;
    if (!a->err && rename(a->tmp, a->path) != 0) a->err = errno;
    if (a->err) {
        unlink(a->tmp);
        return ganc_fail(GANC_EIO, "%s: write failed: %s (the previous file, if any, is untouched)", a->path,
                         strerror(a->err));
    }
    /* make the rename itself durable */
    char dir[4096];
    snprintf(dir, sizeof dir, "%s", a->path);
    char *slash = strrchr(dir, '/');
    if (slash) *(slash == dir ? slash + 1 : slash) = 0; else snprintf(dir, sizeof dir, ".");
    int fd = open(dir, O_RDONLY | O_DIRECTORY);
    if (fd >= 0) { fsync(fd); close(fd); }
    return GANC_OK;
}

int ganc_write_file_atomic(const char *path, const void *data, size_t len) {
    afile_t a;
    int rc = afile_open(&a, path);
    if (rc) return rc;
    afile_write(&a, data, len);
    return afile_commit(&a);
}

/* Open a file for reading only if it is a regular file: opened non-blocking first, so a FIFO or a device can
   never block us, then checked with fstat. Returns the fd or -1 with the reason. */
int ganc_open_regular(const char *path) {
    int fd = open(path, O_RDONLY | O_NONBLOCK | O_CLOEXEC);
    if (fd < 0) return ganc_fail(GANC_EIO, "%s: cannot open: %s", path, strerror(errno)), -1;
    struct stat st;
    if (fstat(fd, &st) != 0 || !S_ISREG(st.st_mode)) {
        close(fd);
        return ganc_fail(GANC_EIO, "%s: not a regular file", path), -1;
    }
    int fl = fcntl(fd, F_GETFL);
    if (fl != -1) fcntl(fd, F_SETFL, fl & ~O_NONBLOCK);
    return fd;
}

int ganc_read_file(const char *path, size_t limit, unsigned char **data, size_t *len) {
    *data = NULL;
    *len = 0;
    int fd = ganc_open_regular(path);
    if (fd < 0) return GANC_EIO;
    FILE *f = fdopen(fd, "rb");
    if (!f) { close(fd); return ganc_fail(GANC_EIO, "%s: cannot open: %s", path, strerror(errno)); }
    struct stat st;
    if (fstat(fileno(f), &st) != 0) {
        fclose(f);
        return ganc_fail(GANC_EIO, "%s: cannot stat", path);
    }
    if ((unsigned long long)st.st_size > limit) {
        fclose(f);
        return ganc_fail(GANC_ENOMEM, "%s: file is %lld bytes, over the limit of %zu", path, (long long)st.st_size,
                         limit);
    }
    size_t n = (size_t)st.st_size;
    unsigned char *p = malloc(n ? n : 1);
    if (!p) { fclose(f); return ganc_fail(GANC_ENOMEM, "%s: cannot allocate %zu bytes", path, n); }
    size_t got = fread(p, 1, n, f);
    fclose(f);
    if (got != n) { free(p); return ganc_fail(GANC_EIO, "%s: short read (%zu of %zu bytes)", path, got, n); }
    *data = p;
    *len = n;
    return GANC_OK;
}
