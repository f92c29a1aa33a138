/* safetensors: 8-byte little-endian header length N, N bytes of JSON, then the raw data.
   JSON: {"name": {"dtype": "F32", "shape": [..], "data_offsets": [begin, end]}, ..., "__metadata__": {"k": "v"}}
   Offsets are relative to the data section. Everything is validated before use: the reader rejects duplicate names,
   unknown dtypes, shapes whose byte size overflows or disagrees with the offsets, offsets out of range, overlapping
   tensors and holes (the tensors must tile the data section exactly, as the format requires). */
#include <stdlib.h>
#include <string.h>
#include "ganc.h"
#include "io/io.h"

#define ST_MAX_HEADER (100u << 20)
#define ST_MAX_FILE ((size_t)64 << 30)
#define ST_MAX_TENSORS 1000000
#define ST_MAX_NAME 1024

static const char *const dt_names[GANC_NDTYPES] = {"F32", "F64", "F16", "BF16", "I64", "I32", "I16",
                                                   "I8",  "U8",  "BOOL", "U16", "U32", "U64"};
static const size_t dt_sizes[GANC_NDTYPES] = {4, 8, 2, 2, 8, 4, 2, 1, 1, 1, 2, 4, 8};
const char *ganc_dtype_name(int d) { return d >= 0 && d < GANC_NDTYPES ? dt_names[d] : "?"; }
size_t ganc_dtype_size(int d) { return d >= 0 && d < GANC_NDTYPES ? dt_sizes[d] : 0; }

struct ganc_st {
    char *path;
    unsigned char *file;
    size_t flen;
    ganc_st_tensor_t *t;
    int n, cap;
    char **mk, **mv;
    int nm, mcap;
    char *strings; /* all names, keys and values, owned */
};

/* ---- a strict parser for exactly the JSON safetensors uses */
typedef struct {
    const char *p, *end, *path;
    int err;
} js_t;

static int js_fail(js_t *j, const char *what) {
    if (!j->err) ganc_fail(GANC_EFORMAT, "%s: bad safetensors header: %s", j->path, what);
    j->err = 1;
    return -1;
}
static void ws(js_t *j) {
    while (j->p < j->end && (*j->p == ' ' || *j->p == '\t' || *j->p == '\n' || *j->p == '\r')) j->p++;
}
static int expect(js_t *j, char c) {
    ws(j);
    if (j->p >= j->end || *j->p != c) {
        char m[64];
        snprintf(m, sizeof m, "expected '%c' at byte %ld", c, (long)(j->p - (j->end - (j->end - j->p))));
        return js_fail(j, m);
    }
    j->p++;
    return 0;
}
static int peek(js_t *j, char c) {
    ws(j);
    return j->p < j->end && *j->p == c;
}

/* Parse a JSON string into a malloc'ed UTF-8 buffer (max len). */
static char *js_string(js_t *j, size_t max) {
    if (expect(j, '"')) return NULL;
    size_t cap = 32, n = 0;
    char *s = malloc(cap);
    if (!s) { js_fail(j, "out of memory"); return NULL; }
    while (1) {
        if (j->p >= j->end) { free(s); js_fail(j, "unterminated string"); return NULL; }
        unsigned char c = (unsigned char)*j->p++;
        if (c == '"') break;
        if (c < 0x20) { free(s); js_fail(j, "control character in string"); return NULL; }
        unsigned cp = c;
        int raw = 1;
        if (c == '\\') {
            if (j->p >= j->end) { free(s); js_fail(j, "unterminated escape"); return NULL; }
            char e = *j->p++;
            raw = 0;
            switch (e) {
            case '"': cp = '"'; break;
            case '\\': cp = '\\'; break;
            case '/': cp = '/'; break;
            case 'b': cp = '\b'; break;
            case 'f': cp = '\f'; break;
            case 'n': cp = '\n'; break;
            case 'r': cp = '\r'; break;
            case 't': cp = '\t'; break;
            case 'u': {
                if (j->end - j->p < 4) { free(s); js_fail(j, "short \\u escape"); return NULL; }
                cp = 0;
                for (int k = 0; k < 4; k++) {
                    char h = *j->p++;
                    cp <<= 4;
                    if (h >= '0' && h <= '9') cp |= (unsigned)(h - '0');
                    else if (h >= 'a' && h <= 'f') cp |= (unsigned)(h - 'a' + 10);
                    else if (h >= 'A' && h <= 'F') cp |= (unsigned)(h - 'A' + 10);
                    else { free(s); js_fail(j, "bad \\u escape"); return NULL; }
                }
                if (cp == 0 || (cp >= 0xD800 && cp <= 0xDFFF)) { free(s); js_fail(j, "unsupported \\u escape"); return NULL; }
                break;
            }
            default: free(s); js_fail(j, "bad escape"); return NULL;
            }
        }
        char buf[4];
        int len = 0;
        if (raw || cp < 0x80) buf[len++] = (char)cp;
        else if (cp < 0x800) { buf[len++] = (char)(0xC0 | (cp >> 6)); buf[len++] = (char)(0x80 | (cp & 63)); }
        else {
            buf[len++] = (char)(0xE0 | (cp >> 12));
            buf[len++] = (char)(0x80 | ((cp >> 6) & 63));
            buf[len++] = (char)(0x80 | (cp & 63));
        }
        if (n + len + 1 > max) { free(s); js_fail(j, "string too long"); return NULL; }
        if (n + len + 1 > cap) {
            cap = cap * 2 + len;
            char *q = realloc(s, cap);
            if (!q) { free(s); js_fail(j, "out of memory"); return NULL; }
            s = q;
        }
        memcpy(s + n, buf, len);
        n += len;
    }
    s[n] = 0;
    return s;
}

static int js_uint(js_t *j, uint64_t *v) {
    ws(j);
    if (j->p >= j->end || *j->p < '0' || *j->p > '9') return js_fail(j, "expected a non-negative integer");
    if (*j->p == '0' && j->end - j->p > 1 && j->p[1] >= '0' && j->p[1] <= '9') return js_fail(j, "leading zero");
    uint64_t x = 0;
    while (j->p < j->end && *j->p >= '0' && *j->p <= '9') {
        unsigned d = (unsigned)(*j->p++ - '0');
        if (x > (UINT64_MAX - d) / 10) return js_fail(j, "integer overflows 64 bits");
        x = x * 10 + d;
    }
    *v = x;
    return 0;
}

static void st_clear(ganc_st_t *st) {
    for (int i = 0; i < st->n; i++) free((char *)st->t[i].name);
    for (int i = 0; i < st->nm; i++) { free(st->mk[i]); free(st->mv[i]); }
}

void ganc_st_free(ganc_st_t *st) {
    if (!st) return;
    st_clear(st);
    free(st->t); free(st->mk); free(st->mv); free(st->file); free(st->path); free(st);
}

typedef struct { uint64_t b, e; int i; } span_t;
static int cmp_span(const void *a, const void *b) {
    const span_t *x = a, *y = b;
    return x->b < y->b ? -1 : x->b > y->b ? 1 : (x->e < y->e ? -1 : x->e > y->e);
}

static int cmp_name(const void *a, const void *b) {
    return strcmp(*(const char *const *)a, *(const char *const *)b);
}

static int parse_meta(js_t *j, ganc_st_t *st) {
    if (st->nm) return js_fail(j, "__metadata__ given twice");
    if (expect(j, '{')) return -1;
    if (peek(j, '}')) { j->p++; return 0; }
    do {
        char *k = js_string(j, ST_MAX_NAME);
        if (!k) return -1;
        if (expect(j, ':')) { free(k); return -1; }
        char *v = js_string(j, 1 << 20);
        if (!v) { free(k); return -1; }
        if (st->nm == st->mcap) {
            int nc = st->mcap ? st->mcap * 2 : 8;
            char **a = realloc(st->mk, sizeof(char *) * nc), **b;
            if (a) st->mk = a;
            b = a ? realloc(st->mv, sizeof(char *) * nc) : NULL;
            if (!a || !b) { free(k); free(v); return js_fail(j, "out of memory"); }
            st->mv = b;
            st->mcap = nc;
        }
        st->mk[st->nm] = k;
        st->mv[st->nm++] = v;
        if (st->nm > 10000) return js_fail(j, "too many metadata entries");
        ws(j);
    } while (j->p < j->end && *j->p == ',' && ++j->p);
    return expect(j, '}');
}

static int parse_tensor(js_t *j, ganc_st_tensor_t *t, uint64_t off[2]) {
    int have_dt = 0, have_sh = 0, have_off = 0;
    if (expect(j, '{')) return -1;
    do {
        char *k = js_string(j, 64);
        if (!k) return -1;
        if (expect(j, ':')) { free(k); return -1; }
        if (!strcmp(k, "dtype") && !have_dt) {
            char *v = js_string(j, 16);
            if (!v) { free(k); return -1; }
            t->dtype = -1;
            for (int d = 0; d < GANC_NDTYPES; d++)
                if (!strcmp(v, dt_names[d])) t->dtype = d;
            free(v);
            if (t->dtype < 0) { free(k); return js_fail(j, "unknown dtype"); }
            have_dt = 1;
        } else if (!strcmp(k, "shape") && !have_sh) {
            if (expect(j, '[')) { free(k); return -1; }
            t->ndim = 0;
            if (!peek(j, ']')) {
                do {
                    uint64_t v;
                    if (js_uint(j, &v)) { free(k); return -1; }
                    if (t->ndim == 8) { free(k); return js_fail(j, "more than 8 dimensions"); }
                    if (v > ((uint64_t)1 << 40)) { free(k); return js_fail(j, "dimension too large"); }
                    t->shape[t->ndim++] = (int64_t)v;
                    ws(j);
                } while (j->p < j->end && *j->p == ',' && ++j->p);
            }
            if (expect(j, ']')) { free(k); return -1; }
            have_sh = 1;
        } else if (!strcmp(k, "data_offsets") && !have_off) {
            if (expect(j, '[') || js_uint(j, &off[0]) || expect(j, ',') || js_uint(j, &off[1]) || expect(j, ']')) {
                free(k);
                return -1;
            }
            have_off = 1;
        } else {
            free(k);
            return js_fail(j, "unknown or repeated key in a tensor entry");
        }
        free(k);
        ws(j);
    } while (j->p < j->end && *j->p == ',' && ++j->p);
    if (expect(j, '}')) return -1;
    if (!have_dt || !have_sh || !have_off) return js_fail(j, "tensor entry lacks dtype, shape or data_offsets");
    return 0;
}

/* Parse a file image; takes ownership of `file` (malloc'ed). `path` names it in messages. */
static int st_parse(ganc_st_t **out, const char *path, unsigned char *file, size_t flen) {
    *out = NULL;
    ganc_st_t *st = calloc(1, sizeof *st);
    if (!st) { free(file); return ganc_fail(GANC_ENOMEM, "%s: out of memory", path); }
    st->path = strdup(path);
    st->file = file;
    st->flen = flen;
    if (!st->path) { ganc_st_free(st); return ganc_fail(GANC_ENOMEM, "%s: out of memory", path); }
    if (st->flen < 8) {
        ganc_fail(GANC_EFORMAT, "%s: not a safetensors file (%zu bytes, shorter than the 8-byte header size)", path,
                  st->flen);
        ganc_st_free(st);
        return GANC_EFORMAT;
    }
    uint64_t hlen = 0;
    for (int i = 7; i >= 0; i--) hlen = (hlen << 8) | st->file[i];
    if (hlen > ST_MAX_HEADER || hlen > st->flen - 8 || hlen < 2) {
        ganc_fail(GANC_EFORMAT, "%s: not a safetensors file (header size %llu, file size %zu)", path,
                  (unsigned long long)hlen, st->flen);
        ganc_st_free(st);
        return GANC_EFORMAT;
    }
    const size_t dlen = st->flen - 8 - (size_t)hlen;
    const unsigned char *data = st->file + 8 + hlen;
    js_t j = {(const char *)st->file + 8, (const char *)st->file + 8 + hlen, path, 0};
    span_t *spans = NULL;
    if (expect(&j, '{')) goto bad;
    if (!peek(&j, '}')) {
        do {
            char *name = js_string(&j, ST_MAX_NAME);
            if (!name) goto bad;
            if (expect(&j, ':')) { free(name); goto bad; }
            if (!strcmp(name, "__metadata__")) {
                free(name);
                if (parse_meta(&j, st)) goto bad;
            } else {
                if (st->n == st->cap) {
                    int nc = st->cap ? st->cap * 2 : 16;
                    if (nc > ST_MAX_TENSORS) { free(name); js_fail(&j, "too many tensors"); goto bad; }
                    ganc_st_tensor_t *q = realloc(st->t, sizeof *q * nc);
                    span_t *sp = realloc(spans, sizeof *sp * nc);
                    if (q) st->t = q;
                    if (sp) spans = sp;
                    if (!q || !sp) { free(name); js_fail(&j, "out of memory"); goto bad; }
                    st->cap = nc;
                }
                ganc_st_tensor_t *t = &st->t[st->n];
                memset(t, 0, sizeof *t);
                t->name = name;
                st->n++;
                uint64_t off[2];
                if (parse_tensor(&j, t, off)) goto bad;
                /* sizes: overflow-checked product, then compare with the offsets */
                uint64_t numel = 1;
                for (int d = 0; d < t->ndim; d++) {
                    uint64_t s = (uint64_t)t->shape[d];
                    if (s && numel > UINT64_MAX / s) { js_fail(&j, "shape product overflows"); goto bad; }
                    numel *= s;
                }
                uint64_t es = dt_sizes[t->dtype];
                if (numel > UINT64_MAX / es) { js_fail(&j, "tensor byte size overflows"); goto bad; }
                if (off[0] > off[1] || off[1] > dlen) {
                    ganc_fail(GANC_EFORMAT, "%s: tensor %s: data_offsets [%llu,%llu] outside the %zu-byte data section",
                              path, name, (unsigned long long)off[0], (unsigned long long)off[1], dlen);
                    j.err = 1;
                    goto bad;
                }
                if (off[1] - off[0] != numel * es) {
                    ganc_fail(GANC_EFORMAT, "%s: tensor %s: shape needs %llu bytes but data_offsets cover %llu", path,
                              name, (unsigned long long)(numel * es), (unsigned long long)(off[1] - off[0]));
                    j.err = 1;
                    goto bad;
                }
                t->numel = (size_t)numel;
                t->nbytes = (size_t)(numel * es);
                t->data = data + off[0];
                spans[st->n - 1] = (span_t){off[0], off[1], st->n - 1};
            }
            ws(&j);
        } while (j.p < j.end && *j.p == ',' && ++j.p);
    }
    if (expect(&j, '}')) goto bad;
    ws(&j);
    if (j.p != j.end) { js_fail(&j, "trailing bytes after the JSON object"); goto bad; }
    /* tensors must tile the data section: sorted spans contiguous from 0 to dlen, no duplicate names */
    if (st->n) qsort(spans, st->n, sizeof *spans, cmp_span);
    uint64_t pos = 0;
    for (int i = 0; i < st->n; i++) {
        if (spans[i].b != pos) {
            ganc_fail(GANC_EFORMAT, "%s: tensor %s: data at byte %llu %s previous tensor ends at %llu", path,
                      st->t[spans[i].i].name, (unsigned long long)spans[i].b, spans[i].b < pos ? "overlaps; the" : "leaves a hole; the",
                      (unsigned long long)pos);
            j.err = 1;
            goto bad;
        }
        pos = spans[i].e;
    }
    if (pos != dlen) {
        ganc_fail(GANC_EFORMAT, "%s: %llu bytes of data are not covered by any tensor (file truncated or padded?)",
                  path, (unsigned long long)(dlen - pos));
        j.err = 1;
        goto bad;
    }
    if (st->n > 1) { /* duplicate names: sort pointers to the names, compare neighbours */
        const char **names = malloc(sizeof(char *) * st->n);
        if (!names) { js_fail(&j, "out of memory"); goto bad; }
        for (int i = 0; i < st->n; i++) names[i] = st->t[i].name;
        qsort(names, st->n, sizeof *names, cmp_name);
        for (int i = 1; i < st->n; i++)
            if (!strcmp(names[i - 1], names[i])) {
                ganc_fail(GANC_EFORMAT, "%s: tensor %s appears twice", path, names[i]);
                free(names);
                j.err = 1;
                goto bad;
            }
        free(names);
    }
    free(spans);
    *out = st;
    return GANC_OK;
bad:
    free(spans);
    ganc_st_free(st);
    return GANC_EFORMAT;
}

int ganc_st_open(ganc_st_t **out, const char *path) {
    unsigned char *file;
    size_t len;
    *out = NULL;
    int rc = ganc_read_file(path, ST_MAX_FILE, &file, &len);
    return rc ? rc : st_parse(out, path, file, len);
}

int ganc_st_open_mem(ganc_st_t **out, const char *name, const void *data, size_t len) {
    *out = NULL;
    unsigned char *copy = malloc(len ? len : 1);
    if (!copy) return ganc_fail(GANC_ENOMEM, "%s: out of memory", name);
    if (len) memcpy(copy, data, len);
    return st_parse(out, name, copy, len);
}

int ganc_st_count(const ganc_st_t *st) { return st->n; }
const ganc_st_tensor_t *ganc_st_get(const ganc_st_t *st, int i) { return i >= 0 && i < st->n ? &st->t[i] : NULL; }
const ganc_st_tensor_t *ganc_st_find(const ganc_st_t *st, const char *name) {
    for (int i = 0; i < st->n; i++)
        if (!strcmp(st->t[i].name, name)) return &st->t[i];
    return NULL;
}
const char *ganc_st_meta(const ganc_st_t *st, const char *key) {
    for (int i = 0; i < st->nm; i++)
        if (!strcmp(st->mk[i], key)) return st->mv[i];
    return NULL;
}
int ganc_st_meta_count(const ganc_st_t *st) { return st->nm; }
void ganc_st_meta_at(const ganc_st_t *st, int i, const char **k, const char **v) {
    *k = st->mk[i];
    *v = st->mv[i];
}
const char *ganc_st_path(const ganc_st_t *st) { return st->path; }

/* ---- writer */
typedef struct { char *name; int dtype, ndim; int64_t shape[8]; size_t nbytes; const void *data; } wt_t;
struct ganc_stw {
    wt_t *t;
    int n, cap;
    char **mk, **mv;
    int nm, mcap;
};

ganc_stw_t *ganc_stw_new(void) { return calloc(1, sizeof(ganc_stw_t)); }
void ganc_stw_free(ganc_stw_t *w) {
    if (!w) return;
    for (int i = 0; i < w->n; i++) free(w->t[i].name);
    for (int i = 0; i < w->nm; i++) { free(w->mk[i]); free(w->mv[i]); }
    free(w->t); free(w->mk); free(w->mv); free(w);
}

int ganc_stw_add(ganc_stw_t *w, const char *name, int dtype, int ndim, const int64_t *shape, const void *data) {
    if (dtype < 0 || dtype >= GANC_NDTYPES || ndim < 0 || ndim > 8)
        return ganc_fail(GANC_EINVAL, "safetensors writer: %s: bad dtype or ndim", name);
    if (w->n == w->cap) {
        int nc = w->cap ? w->cap * 2 : 32;
        wt_t *q = realloc(w->t, sizeof *q * nc);
        if (!q) return ganc_fail(GANC_ENOMEM, "safetensors writer: out of memory");
        w->t = q;
        w->cap = nc;
    }
    wt_t *t = &w->t[w->n];
    t->name = strdup(name);
    if (!t->name) return ganc_fail(GANC_ENOMEM, "safetensors writer: out of memory");
    t->dtype = dtype;
    t->ndim = ndim;
    size_t numel = 1;
    for (int i = 0; i < ndim; i++) { t->shape[i] = shape[i]; numel *= (size_t)shape[i]; }
    t->nbytes = numel * dt_sizes[dtype];
    t->data = data;
    w->n++;
    return GANC_OK;
}

int ganc_stw_meta(ganc_stw_t *w, const char *key, const char *value) {
    if (w->nm == w->mcap) {
        int nc = w->mcap ? w->mcap * 2 : 8;
        char **a = realloc(w->mk, sizeof(char *) * nc);
        if (!a) return ganc_fail(GANC_ENOMEM, "safetensors writer: out of memory");
        w->mk = a;
        char **b = realloc(w->mv, sizeof(char *) * nc);
        if (!b) return ganc_fail(GANC_ENOMEM, "safetensors writer: out of memory");
        w->mv = b;
        w->mcap = nc;
    }
    w->mk[w->nm] = strdup(key);
    w->mv[w->nm] = strdup(value);
    w->nm++;
    return GANC_OK;
}

typedef struct { char *s; size_t n, cap; int oom; } sbuf_t;
static void sb_put(sbuf_t *b, const char *s, size_t n) {
    if (b->oom) return;
    if (b->n + n + 1 > b->cap) {
        size_t nc = (b->cap + n + 1) * 2;
        char *q = realloc(b->s, nc);
        if (!q) { b->oom = 1; return; }
        b->s = q;
        b->cap = nc;
    }
    memcpy(b->s + b->n, s, n);
    b->n += n;
    b->s[b->n] = 0;
}
static void sb_str(sbuf_t *b, const char *s) { sb_put(b, s, strlen(s)); }
static void sb_json(sbuf_t *b, const char *s) {
    sb_put(b, "\"", 1);
    for (; *s; s++) {
        unsigned char c = (unsigned char)*s;
        char esc[8];
        if (c == '"' || c == '\\') { esc[0] = '\\'; esc[1] = (char)c; sb_put(b, esc, 2); }
        else if (c < 0x20) { snprintf(esc, sizeof esc, "\\u%04x", c); sb_put(b, esc, 6); }
        else sb_put(b, (const char *)&c, 1);
    }
    sb_put(b, "\"", 1);
}

int ganc_stw_write(ganc_stw_t *w, const char *path) {
    sbuf_t h = {0};
    char num[64];
    sb_str(&h, "{");
    if (w->nm) {
        sb_str(&h, "\"__metadata__\":{");
        for (int i = 0; i < w->nm; i++) {
            if (i) sb_str(&h, ",");
            sb_json(&h, w->mk[i]);
            sb_str(&h, ":");
            sb_json(&h, w->mv[i]);
        }
        sb_str(&h, "}");
    }
    size_t off = 0;
    for (int i = 0; i < w->n; i++) {
        const wt_t *t = &w->t[i];
        if (i || w->nm) sb_str(&h, ",");
        sb_json(&h, t->name);
        sb_str(&h, ":{\"dtype\":\"");
        sb_str(&h, dt_names[t->dtype]);
        sb_str(&h, "\",\"shape\":[");
        for (int d = 0; d < t->ndim; d++) {
            snprintf(num, sizeof num, "%s%lld", d ? "," : "", (long long)t->shape[d]);
            sb_str(&h, num);
        }
        snprintf(num, sizeof num, "],\"data_offsets\":[%zu,%zu]}", off, off + t->nbytes);
        sb_str(&h, num);
        off += t->nbytes;
    }
    sb_str(&h, "}");
    while (!h.oom && h.n % 8) sb_str(&h, " "); /* pad so the data section is 8-byte aligned */
    if (h.oom) { free(h.s); return ganc_fail(GANC_ENOMEM, "%s: out of memory for the header", path); }
    unsigned char len8[8];
    for (int i = 0; i < 8; i++) len8[i] = (unsigned char)((uint64_t)h.n >> (8 * i));
    afile_t a;
    int rc = afile_open(&a, path);
    if (rc) { free(h.s); return rc; }
    afile_write(&a, len8, 8);
    afile_write(&a, h.s, h.n);
    for (int i = 0; i < w->n; i++) afile_write(&a, w->t[i].data, w->t[i].nbytes);
    free(h.s);
    return afile_commit(&a);
}

/* ---- networks */

int ganc_net_add_to(ganc_net_t *net, ganc_stw_t *w, const char *prefix) {
    char name[256];
    for (int i = 0; i < ganc_net_ntensors(net); i++) {
        ganc_tensor_info_t ti;
        ganc_net_tensor(net, i, &ti);
        snprintf(name, sizeof name, "%s%s", prefix, ti.name);
        int rc = ti.kind == GANC_COUNTER ? ganc_stw_add(w, name, GANC_I64, 0, NULL, ti.counter)
                                         : ganc_stw_add(w, name, GANC_F32, ti.ndim, ti.shape, ti.data);
        if (rc) return rc;
    }
    return GANC_OK;
}

int ganc_net_save(ganc_net_t *net, const char *path, const char *const *kv, int nmeta) {
    ganc_stw_t *w = ganc_stw_new();
    if (!w) return ganc_fail(GANC_ENOMEM, "%s: out of memory", path);
    int rc = ganc_net_add_to(net, w, "");
    for (int i = 0; !rc && i < nmeta; i++) rc = ganc_stw_meta(w, kv[2 * i], kv[2 * i + 1]);
    if (!rc) rc = ganc_stw_write(w, path);
    ganc_stw_free(w);
    return rc;
}

static void shape_str(char *buf, size_t cap, int ndim, const int64_t *s) {
    size_t o = (size_t)snprintf(buf, cap, "[");
    for (int d = 0; d < ndim && o < cap; d++) o += (size_t)snprintf(buf + o, cap - o, "%s%lld", d ? "," : "", (long long)s[d]);
    if (o < cap) snprintf(buf + o, cap - o, "]");
}

int ganc_net_load_from(ganc_net_t *net, const ganc_st_t *st, const char *prefix, int allow_extra) {
    char name[256], a[96], b[96];
    const size_t plen = strlen(prefix);
    /* pass 0 checks every tensor, pass 1 copies: a failed load leaves the network untouched */
    for (int pass = 0; pass < 2; pass++) {
        for (int i = 0; i < ganc_net_ntensors(net); i++) {
            ganc_tensor_info_t ti;
            ganc_net_tensor(net, i, &ti);
            snprintf(name, sizeof name, "%s%s", prefix, ti.name);
            const ganc_st_tensor_t *t = ganc_st_find(st, name);
            if (!t)
                return ganc_fail(GANC_EMISMATCH, "%s: tensor %s is missing (network %s)", st->path, name,
                                 ganc_net_name(net));
            if (ti.kind == GANC_COUNTER) {
                if (t->dtype != GANC_I64 || t->numel != 1)
                    return ganc_fail(GANC_EMISMATCH, "%s: tensor %s must be one I64, found %s with %zu elements",
                                     st->path, name, dt_names[t->dtype], t->numel);
                if (pass) memcpy(ti.counter, t->data, 8);
                continue;
            }
            if (t->dtype != GANC_F32)
                return ganc_fail(GANC_EMISMATCH, "%s: tensor %s has dtype %s, expected F32", st->path, name,
                                 dt_names[t->dtype]);
            int same = t->ndim == ti.ndim;
            for (int d = 0; same && d < ti.ndim; d++) same = t->shape[d] == ti.shape[d];
            if (!same) {
                shape_str(a, sizeof a, t->ndim, t->shape);
                shape_str(b, sizeof b, ti.ndim, ti.shape);
                return ganc_fail(GANC_EMISMATCH, "%s: tensor %s has shape %s, model expects %s", st->path, name, a, b);
            }
            if (pass) memcpy(ti.data, t->data, t->nbytes);
        }
        if (pass == 0 && !allow_extra) /* tensors in the file under `prefix` that the network lacks */
            for (int i = 0; i < st->n; i++) {
                ganc_tensor_info_t ti;
                if (!strncmp(st->t[i].name, prefix, plen) && ganc_net_find(net, st->t[i].name + plen, &ti) != GANC_OK)
                    return ganc_fail(GANC_EMISMATCH, "%s: unexpected tensor %s (not in network %s)", st->path,
                                     st->t[i].name, ganc_net_name(net));
            }
    }
    return GANC_OK;
}

int ganc_net_load(ganc_net_t *net, const char *path) {
    ganc_st_t *st;
    int rc = ganc_st_open(&st, path);
    if (rc) return rc;
    rc = ganc_net_load_from(net, st, "", 0);
    ganc_st_free(st);
    return rc;
}
