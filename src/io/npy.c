/* NumPy .npy: "\x93NUMPY", version (1,0)/(2,0)/(3,0), header length (u16 or u32 LE), a Python dict literal
   {'descr': '<f4', 'fortran_order': False, 'shape': (N, C, H, W), } padded with spaces to a 64-byte boundary. */
#include <ctype.h>
#include <stdlib.h>
#include <string.h>
#include "ganc.h"
#include "io/io.h"

#define NPY_MAX_HEADER (1u << 20)
#define NPY_MAX_FILE ((size_t)16 << 30)

struct ganc_npyw {
    afile_t a;
    size_t numel, done, esize;
};

ganc_npyw_t *ganc_npyw_open(const char *path, int dtype, int ndim, const int64_t *shape) {
    const char *descr = dtype == GANC_U8 ? "|u1" : dtype == GANC_F32 ? "<f4" : dtype == GANC_I64 ? "<i8" : NULL;
    if (!descr) { ganc_fail(GANC_EINVAL, "%s: .npy writer supports uint8, float32 and int64 only", path); return NULL; }
    if (ndim < 1 || ndim > 8) { ganc_fail(GANC_EINVAL, "%s: .npy writer: %d dimensions", path, ndim); return NULL; }
    char h[512];
    int o = snprintf(h, sizeof h, "{'descr': '%s', 'fortran_order': False, 'shape': (", descr);
    size_t numel = 1;
    for (int d = 0; d < ndim; d++) {
        if (shape[d] < 0 || (shape[d] > 0 && numel > SIZE_MAX / 8 / (size_t)shape[d])) {
            ganc_fail(GANC_EINVAL, "%s: .npy writer: bad shape", path);
            return NULL;
        }
        o += snprintf(h + o, sizeof h - o, "%lld,%s", (long long)shape[d], d + 1 < ndim ? " " : "");
        numel *= (size_t)shape[d];
    }
    o += snprintf(h + o, sizeof h - o, "), }");
    int total = 10 + o + 1; /* magic+ver+len, dict, newline */
    int pad = (64 - total % 64) % 64;
    unsigned char pre[10] = {0x93, 'N', 'U', 'M', 'P', 'Y', 1, 0, 0, 0};
    int hl = o + pad + 1;
    pre[8] = (unsigned char)(hl & 255);
    pre[9] = (unsigned char)(hl >> 8);
    ganc_npyw_t *w = calloc(1, sizeof *w);
    if (!w) { ganc_fail(GANC_ENOMEM, "out of memory"); return NULL; }
    if (afile_open(&w->a, path)) { free(w); return NULL; }
    w->numel = numel;
    w->esize = ganc_dtype_size(dtype);
    afile_write(&w->a, pre, 10);
    afile_write(&w->a, h, (size_t)o);
    for (int i = 0; i < pad; i++) afile_write(&w->a, " ", 1);
    afile_write(&w->a, "\n", 1);
    return w;
}

int ganc_npyw_append(ganc_npyw_t *w, const void *data, size_t numel) {
    if (numel > w->numel - w->done)
        return ganc_fail(GANC_EINVAL, "%s: .npy writer: %zu elements past the %zu of the shape", w->a.path,
                         w->done + numel - w->numel, w->numel);
    afile_write(&w->a, data, numel * w->esize);
    w->done += numel;
    return GANC_OK;
}

void ganc_npyw_abort(ganc_npyw_t *w) {
    if (!w) return;
    afile_abort(&w->a);
    free(w);
}

int ganc_npyw_close(ganc_npyw_t *w) {
    if (w->done != w->numel) {
        int rc = ganc_fail(GANC_EINVAL, "%s: .npy writer: %zu of %zu elements written", w->a.path, w->done, w->numel);
        ganc_npyw_abort(w);
        return rc;
    }
    int rc = afile_commit(&w->a);
    free(w);
    return rc;
}

int ganc_npy_write(const char *path, int dtype, int ndim, const int64_t *shape, const void *data) {
    ganc_npyw_t *w = ganc_npyw_open(path, dtype, ndim, shape);
    if (!w) return GANC_EINVAL;
    int rc = ganc_npyw_append(w, data, w->numel);
    return rc ? (ganc_npyw_abort(w), rc) : ganc_npyw_close(w);
}

/* find 'key': in the dict and return a pointer just after the colon and spaces */
static const char *dict_key(const char *h, const char *key) {
    char pat[32];
    snprintf(pat, sizeof pat, "'%s'", key);
    const char *p = strstr(h, pat);
    if (!p) { snprintf(pat, sizeof pat, "\"%s\"", key); p = strstr(h, pat); }
    if (!p) return NULL;
    p += strlen(pat);
    while (*p == ' ') p++;
    if (*p != ':') return NULL;
    p++;
    while (*p == ' ') p++;
    return p;
}

int ganc_npy_read_f32(const char *path, int *ndim, int64_t shape[8], float **out) {
    return ganc_npy_read(path, NULL, ndim, shape, out);
}

int ganc_npy_read(const char *path, int *dtype, int *ndim, int64_t shape[8], float **out) {
    unsigned char *buf;
    size_t len;
    *out = NULL;
    int rc = ganc_read_file(path, NPY_MAX_FILE, &buf, &len);
    if (rc) return rc;
    rc = ganc_npy_parse(path, buf, len, dtype, ndim, shape, out);
    free(buf);
    return rc;
}

int ganc_npy_parse_f32(const char *path, const unsigned char *buf, size_t len, int *ndim, int64_t shape[8],
                       float **out) {
    return ganc_npy_parse(path, buf, len, NULL, ndim, shape, out);
}

int ganc_npy_parse(const char *path, const unsigned char *buf, size_t len, int *dtype, int *ndim, int64_t shape[8],
                   float **out) {
    *out = NULL;
    char *h = NULL;
#define BAD(...) do { ganc_fail(GANC_EFORMAT, __VA_ARGS__); goto fail; } while (0)
    if (len < 10 || memcmp(buf, "\x93NUMPY", 6)) BAD("%s: not a .npy file (bad magic)", path);
    size_t hl, ho;
    if (buf[6] == 1) { hl = buf[8] | (size_t)buf[9] << 8; ho = 10; }
    else if (buf[6] == 2 || buf[6] == 3) {
        if (len < 12) BAD("%s: truncated .npy header", path);
        hl = buf[8] | (size_t)buf[9] << 8 | (size_t)buf[10] << 16 | (size_t)buf[11] << 24;
        ho = 12;
    } else BAD("%s: unsupported .npy version %d.%d", path, buf[6], buf[7]);
    if (hl > NPY_MAX_HEADER || hl > len - ho) BAD("%s: .npy header length %zu exceeds the file", path, hl);
    h = malloc(hl + 1);
    if (!h) BAD("%s: out of memory", path);
    memcpy(h, buf + ho, hl);
    h[hl] = 0;
    if (strlen(h) != hl) BAD("%s: NUL byte in .npy header", path);
    const char *d = dict_key(h, "descr"), *f = dict_key(h, "fortran_order"), *s = dict_key(h, "shape");
    if (!d || !f || !s) BAD("%s: .npy header lacks descr, fortran_order or shape", path);
    int dt;
    size_t es;
    if (!strncmp(d, "'<f4'", 5) || !strncmp(d, "'f4'", 4)) { dt = GANC_F32; es = 4; }
    else if (!strncmp(d, "'<f8'", 5) || !strncmp(d, "'f8'", 4)) { dt = GANC_F64; es = 8; }
    else if (!strncmp(d, "'|u1'", 5) || !strncmp(d, "'u1'", 4)) { dt = GANC_U8; es = 1; }
    else if (!strncmp(d, "'<i8'", 5) || !strncmp(d, "'i8'", 4)) { dt = GANC_I64; es = 8; }
    else BAD("%s: .npy dtype %.12s is not supported (use float32, float64, uint8 or int64, little-endian)", path, d);
    if (strncmp(f, "False", 5)) BAD("%s: Fortran-order .npy arrays are not supported", path);
    if (*s != '(') BAD("%s: bad .npy shape", path);
    s++;
    int nd = 0;
    size_t numel = 1;
    while (1) {
        while (*s == ' ') s++;
        if (*s == ')') break;
        if (!isdigit((unsigned char)*s)) BAD("%s: bad .npy shape", path);
        char *e;
        unsigned long long v = strtoull(s, &e, 10);
        if (nd == 8) BAD("%s: .npy array has more than 8 dimensions", path);
        if (v > ((unsigned long long)1 << 40) || (v && numel > SIZE_MAX / v)) BAD("%s: .npy shape too large", path);
        shape[nd++] = (int64_t)v;
        numel *= (size_t)v;
        s = e;
        while (*s == ' ') s++;
        if (*s == ',') s++;
    }
    if (numel > SIZE_MAX / es || numel * es != len - ho - hl)
        BAD("%s: .npy shape needs %zu data bytes, file has %zu", path, numel * es, len - ho - hl);
    float *o = malloc(sizeof(float) * (numel ? numel : 1));
    if (!o) BAD("%s: out of memory", path);
    const unsigned char *p = buf + ho + hl;
    for (size_t i = 0; i < numel; i++) {
        if (dt == GANC_F32) memcpy(&o[i], p + 4 * i, 4);
        else if (dt == GANC_F64) { double v; memcpy(&v, p + 8 * i, 8); o[i] = (float)v; }
        else if (dt == GANC_I64) { int64_t v; memcpy(&v, p + 8 * i, 8); o[i] = (float)v; }
        else o[i] = (float)p[i];
    }
    if (dtype) *dtype = dt;
    *ndim = nd;
    *out = o;
    free(h);
    return GANC_OK;
fail:
#undef BAD
    free(h);
    return GANC_EFORMAT;
}
