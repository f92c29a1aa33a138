/* IDX (the MNIST/Fashion-MNIST container): 0x00 0x00 type ndim, ndim big-endian u32 dims, then the data.
   Read through zlib's gzread, which also passes plain files through unchanged. Only unsigned bytes (0x08). */
#include <stdlib.h>
#include <string.h>
#include <unistd.h>
#include <zlib.h>
#include "ganc.h"

int ganc_idx_read(const char *path, int *ndim, int64_t dims[4], unsigned char **data, size_t max_bytes) {
    *data = NULL;
    int fd = ganc_open_regular(path);
    if (fd < 0) return GANC_EIO;
    gzFile g = gzdopen(fd, "rb");
    if (!g) { close(fd); return ganc_fail(GANC_EIO, "%s: cannot open", path); }
    unsigned char h[4];
    int rc = GANC_EFORMAT;
    if (gzread(g, h, 4) != 4) { ganc_fail(rc, "%s: not an IDX file (shorter than 4 bytes)", path); goto out; }
    if (h[0] || h[1]) { ganc_fail(rc, "%s: not an IDX file (bad magic %02x%02x)", path, h[0], h[1]); goto out; }
    if (h[2] != 0x08) { ganc_fail(rc, "%s: IDX element type 0x%02x is not unsigned byte (0x08)", path, h[2]); goto out; }
    if (h[3] < 1 || h[3] > 4) { ganc_fail(rc, "%s: IDX has %d dimensions (1..4 supported)", path, h[3]); goto out; }
    size_t total = 1;
    for (int d = 0; d < h[3]; d++) {
        unsigned char b[4];
        if (gzread(g, b, 4) != 4) { ganc_fail(rc, "%s: IDX header truncated", path); goto out; }
        uint32_t v = (uint32_t)b[0] << 24 | (uint32_t)b[1] << 16 | (uint32_t)b[2] << 8 | b[3];
        if (v == 0 || (total > max_bytes / v)) {
            ganc_fail(rc, "%s: IDX dimension %d is %u: empty or over the %zu-byte limit", path, d, v, max_bytes);
            goto out;
        }
        dims[d] = v;
        total *= v;
    }
    *ndim = h[3];
    unsigned char *p = malloc(total);
    if (!p) { rc = ganc_fail(GANC_ENOMEM, "%s: cannot allocate %zu bytes", path, total); goto out; }
    size_t got = 0;
    while (got < total) {
        unsigned chunk = total - got > (1u << 30) ? (1u << 30) : (unsigned)(total - got);
        int r = gzread(g, p + got, chunk);
        if (r <= 0) break;
        got += (size_t)r;
    }
    if (got != total) {
        free(p);
        int e;
        const char *zm = gzerror(g, &e);
        ganc_fail(rc, "%s: IDX data truncated: header promises %zu bytes, file has %zu%s%s", path, total, got,
                  e < 0 ? "; " : "", e < 0 ? zm : "");
        goto out;
    }
    unsigned char extra;
    if (gzread(g, &extra, 1) == 1) {
        free(p);
        ganc_fail(rc, "%s: IDX file has bytes beyond the %zu its header describes", path, total);
        goto out;
    }
    *data = p;
    rc = GANC_OK;
out:
    gzclose(g);
    return rc;
}
