/* Datasets decoded once into memory at the model's resolution, and the seeded batch order. */
#include <dirent.h>
#include <math.h>
#include <stdlib.h>
#include <string.h>
#include <strings.h>
#include <sys/stat.h>
#include <zlib.h>
#include "ganc.h"

#define FMNIST_DIR "/usr/share/datasets/fashion-mnist"
#define MAX_SAMPLES (1 << 24)
#ifndef GANC_DATA_DIR
#define GANC_DATA_DIR "data"
#endif

void ganc_dataset_free(ganc_dataset_t *ds) {
    free(ds->x);
    free(ds->u8);
    free(ds->off);
    free(ds->labels);
    memset(ds, 0, sizeof *ds);
}

int ganc_image_to_tensor(const ganc_image_t *img, int size, int channels, float *out) {
    const int w = img->w, h = img->h, c = img->c;
    const size_t plane = (size_t)w * h;
    float *rgb = malloc(sizeof(float) * plane * 3);
    if (!rgb) return ganc_fail(GANC_ENOMEM, "out of memory converting an image");
    for (size_t i = 0; i < plane; i++) {
        const unsigned char *p = img->px + i * c;
        float a = (c == 4) ? p[3] / 255.0f : 1.0f;
        for (int k = 0; k < 3; k++) {
            float v = (c >= 3 ? p[k] : p[0]) / 255.0f;
            rgb[k * plane + i] = v * a + (1.0f - a); /* composite onto white */
        }
    }
    const int out_c = channels;
    float *src = malloc(sizeof(float) * plane * out_c);
    if (!src) { free(rgb); return ganc_fail(GANC_ENOMEM, "out of memory converting an image"); }
    for (size_t i = 0; i < plane; i++) {
        if (out_c == 1) src[i] = 0.299f * rgb[i] + 0.587f * rgb[plane + i] + 0.114f * rgb[2 * plane + i];
        else for (int k = 0; k < 3; k++) src[k * plane + i] = rgb[k * plane + i];
    }
    free(rgb);
    if (w == 28 && h == 28 && size == 32) { /* MNIST-style: pad 2 px of background (0 before scaling) */
        for (int k = 0; k < out_c; k++)
            for (int y = 0; y < 32; y++)
                for (int x = 0; x < 32; x++) {
                    int sy = y - 2, sx = x - 2;
                    float v = (sy >= 0 && sy < 28 && sx >= 0 && sx < 28) ? src[k * plane + sy * 28 + sx] : 0.0f;
                    out[((size_t)k * 32 + y) * 32 + x] = v * 2.0f - 1.0f;
                }
        free(src);
        return GANC_OK;
    }
    /* resize the shorter side to `size`, then crop the centre */
    int rw, rh;
    if (w <= h) { rw = size; rh = (int)((double)h * size / w + 0.5); }
    else { rh = size; rw = (int)((double)w * size / h + 0.5); }
    if (rw < size) rw = size;
    if (rh < size) rh = size;
    float *res = malloc(sizeof(float) * (size_t)rw * rh * out_c);
    int rc = res ? ganc_resize(src, out_c, h, w, rh, rw, GANC_RESAMPLE_TRIANGLE, res) : GANC_ENOMEM;
    if (rc) { free(src); free(res); return rc == GANC_ENOMEM ? ganc_fail(rc, "out of memory resizing") : rc; }
    int ox = (rw - size) / 2, oy = (rh - size) / 2;
    for (int k = 0; k < out_c; k++)
        for (int y = 0; y < size; y++)
            for (int x = 0; x < size; x++)
                out[((size_t)k * size + y) * size + x] = res[((size_t)k * rh + y + oy) * rw + x + ox] * 2.0f - 1.0f;
    free(src); free(res);
    return GANC_OK;
}

/* ---- storage: float, or bytes through a table (GANC_DS_U8) */

/* the table: the value the conversion gives a constant 28x28 grey image of level q (at size 32, the IDX path) */
static int make_lut(ganc_dataset_t *ds, int channels) {
    unsigned char px[28 * 28];
    float out[3 * 32 * 32];
    for (int q = 0; q < 256; q++) {
        memset(px, q, sizeof px);
        ganc_image_t img = {28, 28, 1, px};
        int rc = ganc_image_to_tensor(&img, 32, channels, out);
        if (rc) return rc;
        ds->lut[q] = out[16 * 32 + 16];
    }
    return GANC_OK;
}

static int alloc_store(ganc_dataset_t *ds, size_t numel, int flags, int channels) {
    if (!(flags & GANC_DS_U8)) return (ds->x = malloc(sizeof(float) * numel)) ? GANC_OK : GANC_ENOMEM;
    int rc = make_lut(ds, channels);
    if (rc) return rc;
    return (ds->u8 = malloc(numel)) ? GANC_OK : GANC_ENOMEM;
}

/* image i of the dataset from a decoded image */
static int store_image(ganc_dataset_t *ds, const ganc_image_t *img, int size, int channels, size_t i) {
    const size_t per = (size_t)channels * size * size;
    if (ds->x) return ganc_image_to_tensor(img, size, channels, ds->x + per * i);
    float *t = malloc(sizeof(float) * per);
    int rc = t ? ganc_image_to_tensor(img, size, channels, t) : ganc_fail(GANC_ENOMEM, "out of memory converting an image");
    for (size_t j = 0; !rc && j < per; j++) {
        float q = (t[j] + 1.0f) * 127.5f + 0.5f;
        ds->u8[per * i + j] = q <= 0.0f ? 0 : q >= 255.0f ? 255 : (unsigned char)q;
    }
    free(t);
    return rc;
}

/* Zero-run encoding of 28x28 grey planes (Fashion-MNIST's are half zeros: 479 bytes an image instead of 784):
   pairs of (zeros to emit 0..255, literal bytes that follow 0..255), then the literals, until 784 pixels. */
enum { PLANE = 784 };
static size_t rle_plane(const unsigned char *p, unsigned char *out) {
    size_t n = 0;
    for (int i = 0; i < PLANE;) {
        int z = 0, l = 0;
        while (i + z < PLANE && p[i + z] == 0 && z < 255) z++;
        while (i + z + l < PLANE && p[i + z + l] != 0 && l < 255) l++;
        if (out) { out[n] = (unsigned char)z; out[n + 1] = (unsigned char)l; memcpy(out + n + 2, p + i + z, (size_t)l); }
        n += 2 + (size_t)l;
        i += z + l;
    }
    return n;
}
static void unrle_plane(const unsigned char *in, unsigned char *p) {
    for (int i = 0; i < PLANE; in += 2 + in[1]) {
        memset(p + i, 0, in[0]);
        memcpy(p + i + in[0], in + 2, in[1]);
        i += in[0] + in[1];
    }
}
static int encode_planes(ganc_dataset_t *ds, const unsigned char *px, int n) {
    if (!(ds->off = malloc(sizeof(size_t) * ((size_t)n + 1)))) return GANC_ENOMEM;
    ds->off[0] = 0;
    for (int i = 0; i < n; i++) ds->off[i + 1] = ds->off[i] + rle_plane(px + (size_t)i * PLANE, NULL);
    if (!(ds->u8 = malloc(ds->off[n] ? ds->off[n] : 1))) return GANC_ENOMEM;
#pragma omp parallel for schedule(static)
    for (int i = 0; i < n; i++) rle_plane(px + (size_t)i * PLANE, ds->u8 + ds->off[i]);
    return GANC_OK;
}

static int load_idx_pair(ganc_dataset_t *ds, const char *images, const char *labels, int size, int channels,
                         int flags) {
    int nd;
    int64_t d[4];
    unsigned char *px = NULL, *lb = NULL;
    int rc = ganc_idx_read(images, &nd, d, &px, (size_t)1 << 32);
    if (rc) return rc;
    if (nd != 3 || d[0] > MAX_SAMPLES || d[1] > 4096 || d[2] > 4096) {
        free(px);
        return ganc_fail(GANC_EFORMAT, "%s: expected an IDX image file (count, rows, cols)", images);
    }
    if (labels) {
        int nl;
        int64_t dl[4];
        rc = ganc_idx_read(labels, &nl, dl, &lb, (size_t)1 << 28);
        if (rc) { free(px); return rc; }
        if (nl != 1 || dl[0] != d[0]) {
            free(px); free(lb);
            return ganc_fail(GANC_EFORMAT, "%s: %lld labels for %lld images in %s", labels,
                             (long long)(nl == 1 ? dl[0] : -1), (long long)d[0], images);
        }
    }
    const int n = (int)d[0], rows = (int)d[1], cols = (int)d[2];
    ds->n = n; ds->c = channels; ds->h = ds->w = size;
    /* bytes at 28x28 padded to 32 per batch: the file's bytes, zero-run encoded; the border is background */
    ds->pad = (flags & GANC_DS_U8) && rows == 28 && cols == 28 && size == 32 ? 2 : 0;
    int arc = ds->pad ? make_lut(ds, channels) : alloc_store(ds, (size_t)n * channels * size * size, flags, channels);
    if (!arc && ds->pad) arc = encode_planes(ds, px, n);
    ds->labels = lb ? malloc(sizeof(int) * n) : NULL;
    if (arc || (lb && !ds->labels)) {
        free(px); free(lb); ganc_dataset_free(ds);
        return ganc_fail(GANC_ENOMEM, "%s: out of memory for %d images", images, n);
    }
    int bad = 0;
#pragma omp parallel for schedule(static) reduction(+ : bad)
    for (int i = 0; i < n; i++) {
        ganc_image_t img = {cols, rows, 1, px + (size_t)i * rows * cols};
        if (!ds->pad && store_image(ds, &img, size, channels, (size_t)i)) bad++;
    }
    if (lb) {
        int mx = 0;
        for (int i = 0; i < n; i++) { ds->labels[i] = lb[i]; mx = lb[i] > mx ? lb[i] : mx; }
        ds->nclasses = mx + 1;
    }
    free(px);
    free(lb);
    if (bad) { ganc_dataset_free(ds); return ganc_fail(GANC_ENOMEM, "%s: out of memory converting images", images); }
    return GANC_OK;
}

static int cmp_str(const void *a, const void *b) { return strcmp(*(char *const *)a, *(char *const *)b); }

static int has_ext(const char *name) {
    const char *e = strrchr(name, '.');
    return e && (!strcasecmp(e, ".png") || !strcasecmp(e, ".jpg") || !strcasecmp(e, ".jpeg"));
}

void ganc_free_list(char **paths, int n) {
    for (int i = 0; paths && i < n; i++) free(paths[i]);
    free(paths);
}

int ganc_list_images(const char *dir, char ***paths, int *count) {
    *paths = NULL;
    *count = 0;
    DIR *d = opendir(dir);
    if (!d) return ganc_fail(GANC_EIO, "%s: cannot open folder", dir);
    char **names = NULL;
    int n = 0, cap = 0;
    struct dirent *e;
    while ((e = readdir(d))) {
        if (e->d_name[0] == '.' || !has_ext(e->d_name)) continue;
        if (n == MAX_SAMPLES) break;
        if (n == cap) {
            cap = cap ? cap * 2 : 256;
            char **q = realloc(names, sizeof(char *) * cap);
            if (!q) { closedir(d); ganc_free_list(names, n); return ganc_fail(GANC_ENOMEM, "%s: out of memory", dir); }
            names = q;
        }
        size_t l = strlen(dir) + strlen(e->d_name) + 2;
        if (!(names[n] = malloc(l))) { closedir(d); ganc_free_list(names, n); return ganc_fail(GANC_ENOMEM, "%s: out of memory", dir); }
        snprintf(names[n++], l, "%s/%s", dir, e->d_name);
    }
    closedir(d);
    if (n == 0) { free(names); return ganc_fail(GANC_EINVAL, "%s: no .png/.jpg/.jpeg files", dir); }
    qsort(names, n, sizeof *names, cmp_str);
    *paths = names;
    *count = n;
    return GANC_OK;
}

static int load_folder(ganc_dataset_t *ds, const char *dir, int size, int channels, int flags) {
    char **names;
    int n;
    int lrc = ganc_list_images(dir, &names, &n);
    if (lrc) return lrc;
    const size_t per = (size_t)channels * size * size;
    int arc = alloc_store(ds, per * n, flags, channels);
    char (*errs)[300] = calloc((size_t)n, 300);
    int *ok = calloc((size_t)n, sizeof(int));
    int rc = GANC_OK;
    if (arc || !errs || !ok) { rc = ganc_fail(GANC_ENOMEM, "%s: out of memory for %d images", dir, n); goto out; }
#pragma omp parallel for schedule(dynamic, 4)
    for (int i = 0; i < n; i++) {
        ganc_image_t img;
        if (ganc_image_load(names[i], &img) == GANC_OK) {
            ok[i] = store_image(ds, &img, size, channels, (size_t)i) == GANC_OK;
            ganc_image_free(&img);
        }
        if (!ok[i]) snprintf(errs[i], 300, "%s", ganc_errmsg()); /* thread-local message */
    }
    int m = 0;
    for (int i = 0; i < n; i++) {
        if (!ok[i]) {
            if (!(flags & GANC_SKIP_BAD)) {
                rc = ganc_fail(GANC_EFORMAT, "%s (use --skip-bad to skip undecodable files)", errs[i]);
                goto out;
            }
            ds->skipped++;
            continue;
        }
        if (m != i && ds->x) memmove(ds->x + per * m, ds->x + per * i, per * sizeof(float));
        if (m != i && ds->u8) memmove(ds->u8 + per * m, ds->u8 + per * i, per);
        m++;
    }
    if (m == 0) { rc = ganc_fail(GANC_EFORMAT, "%s: none of the %d images could be decoded", dir, n); goto out; }
    ds->n = m; ds->c = channels; ds->h = ds->w = size;
out:
    ganc_free_list(names, n);
    free(errs); free(ok);
    if (rc) ganc_dataset_free(ds);
    return rc;
}


/* ---- labelled arrays (DIR/images.npy uint8 (N,C,H,W) or (N,H,W), DIR/labels.npy int64 (N,)) and scikit-learn's
   digits (digits.csv.gz: 1,797 rows of 64 pixels 0..16 and the label) */

#define MAX_CLASSES 1000

/* n images of (c,h,w) bytes in planes -> the dataset at size/channels; labels (may be NULL) copied */
static int store_planes(ganc_dataset_t *ds, const char *what, const unsigned char *px, int n, int c, int h, int w,
                        const int *labels, int size, int channels, int flags) {
    const size_t per = (size_t)channels * size * size, plane = (size_t)h * w;
    if (alloc_store(ds, per * n, flags, channels) || (labels && !(ds->labels = malloc(sizeof(int) * n)))) {
        ganc_dataset_free(ds);
        return ganc_fail(GANC_ENOMEM, "%s: out of memory for %d images", what, n);
    }
    ds->n = n; ds->c = channels; ds->h = ds->w = size;
    int bad = 0;
#pragma omp parallel for schedule(static) reduction(+ : bad)
    for (int i = 0; i < n; i++) {
        unsigned char *hwc = malloc(plane * c);
        if (!hwc) { bad++; continue; }
        for (size_t p = 0; p < plane; p++)
            for (int k = 0; k < c; k++) hwc[p * c + k] = px[((size_t)i * c + k) * plane + p];
        ganc_image_t img = {w, h, c, hwc};
        if (store_image(ds, &img, size, channels, (size_t)i)) bad++;
        free(hwc);
    }
    if (bad) { ganc_dataset_free(ds); return ganc_fail(GANC_ENOMEM, "%s: out of memory converting images", what); }
    for (int i = 0; labels && i < n; i++) {
        ds->labels[i] = labels[i];
        if (labels[i] + 1 > ds->nclasses) ds->nclasses = labels[i] + 1;
    }
    return GANC_OK;
}

static int load_arrays(ganc_dataset_t *ds, const char *dir, int size, int channels, int flags) {
    char ip[4096], lp[4096];
    snprintf(ip, sizeof ip, "%s/images.npy", dir);
    snprintf(lp, sizeof lp, "%s/labels.npy", dir);
    int dt, nd, ldt, lnd;
    int64_t sh[8], lsh[8];
    float *x = NULL, *y = NULL;
    unsigned char *px = NULL;
    int *lab = NULL, rc = ganc_npy_read(ip, &dt, &nd, sh, &x);
    if (rc) return rc;
    if (dt != GANC_U8 || (nd != 3 && nd != 4))
        { rc = ganc_fail(GANC_EFORMAT, "%s: expected uint8 images (N,C,H,W) or (N,H,W)", ip); goto out; }
    const int64_t n = sh[0], c = nd == 4 ? sh[1] : 1, h = sh[nd - 2], w = sh[nd - 1];
    if (n < 1 || n > MAX_SAMPLES || (c != 1 && c != 3) || h < 1 || w < 1 || h > 4096 || w > 4096)
        { rc = ganc_fail(GANC_EFORMAT, "%s: %lld images of %lldx%lldx%lld (1..2^24 images of 1 or 3 channels, sides "
                         "1..4096)", ip, (long long)n, (long long)c, (long long)h, (long long)w); goto out; }
    struct stat st;
    if (stat(lp, &st) == 0) {
        if ((rc = ganc_npy_read(lp, &ldt, &lnd, lsh, &y))) goto out;
        if (ldt != GANC_I64 || lnd != 1 || lsh[0] != n)
            { rc = ganc_fail(GANC_EFORMAT, "%s: expected %lld int64 labels (one per image of %s), found %s%lld %s",
                             lp, (long long)n, ip, lnd == 1 ? "" : "a shape of ", (long long)lsh[0],
                             ldt == GANC_I64 ? "int64" : "of another dtype"); goto out; }
        if (!(lab = malloc(sizeof(int) * n))) { rc = ganc_fail(GANC_ENOMEM, "%s: out of memory", lp); goto out; }
        for (int64_t i = 0; i < n; i++) {
            if (!(y[i] >= 0 && y[i] < MAX_CLASSES))
                { rc = ganc_fail(GANC_EFORMAT, "%s: label %lld is %g (labels are 0..%d)", lp, (long long)i, y[i],
                                 MAX_CLASSES - 1); goto out; }
            lab[i] = (int)y[i];
        }
    }
    const size_t numel = (size_t)n * c * h * w;
    if (!(px = malloc(numel))) { rc = ganc_fail(GANC_ENOMEM, "%s: out of memory", ip); goto out; }
    for (size_t i = 0; i < numel; i++) px[i] = (unsigned char)x[i];
    rc = store_planes(ds, ip, px, (int)n, (int)c, (int)h, (int)w, lab, size, channels, flags);
out:
    free(x); free(y); free(px); free(lab);
    return rc;
}

/* Debian's python3-sklearn (or scripts/get_digits.sh's unpacked copy under data/) */
#define DIGITS_REL "usr/lib/python3/dist-packages/sklearn/datasets/data/digits.csv.gz"
enum { DIGITS_N = 1797 };

int ganc_digits_path(char *buf, size_t cap) {
    const char *dirs[] = {"/", GANC_DATA_DIR "/sklearn/"};
    struct stat st;
    for (int i = 0; i < 2; i++) {
        snprintf(buf, cap, "%s%s", dirs[i], DIGITS_REL);
        if (stat(buf, &st) == 0) return GANC_OK;
    }
    return ganc_fail(GANC_EIO, "scikit-learn's digits.csv.gz not found in /%s or %s/sklearn/: run scripts/get_digits.sh "
                               "(apt-get download python3-sklearn + dpkg -x; no install needed)", DIGITS_REL, GANC_DATA_DIR);
}

static int load_digits(ganc_dataset_t *ds, const char *path, int size, int channels, int flags) {
    gzFile g = gzopen(path, "rb");
    if (!g) return ganc_fail(GANC_EIO, "%s: cannot open", path);
    unsigned char *px = malloc((size_t)DIGITS_N * 64);
    int *lab = malloc(sizeof(int) * DIGITS_N), n = 0, rc = GANC_OK;
    char line[1024];
    if (!px || !lab) rc = ganc_fail(GANC_ENOMEM, "%s: out of memory", path);
    while (!rc && gzgets(g, line, sizeof line)) {
        if (n == DIGITS_N) { rc = ganc_fail(GANC_EFORMAT, "%s: more than %d rows", path, DIGITS_N); break; }
        char *p = line, *e;
        for (int k = 0; k < 65 && !rc; k++) {
            double v = strtod(p, &e);
            if (e == p || v != (int)v || v < 0 || v > (k < 64 ? 16 : 9) || (*e != ',' && k < 64))
                rc = ganc_fail(GANC_EFORMAT, "%s: row %d, value %d is not a %s", path, n + 1, k + 1,
                               k < 64 ? "pixel 0..16" : "label 0..9");
            else if (k < 64) px[(size_t)n * 64 + k] = (unsigned char)((int)v * 255 / 16);
            else lab[n] = (int)v;
            p = e + 1;
        }
        n++;
    }
    gzclose(g);
    if (!rc && n != DIGITS_N) rc = ganc_fail(GANC_EFORMAT, "%s: %d rows, expected %d", path, n, DIGITS_N);
    if (!rc) rc = store_planes(ds, path, px, n, 1, 8, 8, lab, size, channels, flags);
    free(px); free(lab);
    return rc;
}

/* emoji[:PATH] (the training split) or emoji-heldout[:PATH], labelled by category */
static int load_emoji(ganc_dataset_t *ds, const char *src, int size, int channels) {
    const int held = !strncmp(src, "emoji-heldout", 13);
    const char *colon = strchr(src, ':');
    if (held && src[13] && src[13] != ':') return ganc_fail(GANC_EINVAL, "%s: unknown data source", src);
    ganc_emoji_t e;
    int rc = ganc_emoji_load(&e, colon ? colon + 1 : NULL, size);
    if (rc) return rc;
    int n = 0;
    for (int i = 0; i < e.n; i++) n += e.held_out[i] == held;
    const size_t per = (size_t)size * size;
    ds->x = malloc(sizeof(float) * per * channels * (n ? n : 1));
    ds->labels = malloc(sizeof(int) * (n ? n : 1));
    if (!ds->x || !ds->labels) { ganc_emoji_free(&e); ganc_dataset_free(ds); return ganc_fail(GANC_ENOMEM, "out of memory"); }
    for (int i = 0, k = 0; i < e.n; i++) {
        if (e.held_out[i] != held) continue;
        const float *x = e.x + per * 3 * i;
        float *y = ds->x + per * channels * k;
        if (channels == 3) memcpy(y, x, sizeof(float) * per * 3);
        else /* BT.601 grey, as the folder loader converts RGB */
            for (size_t q = 0; q < per; q++) y[q] = 0.299f * x[q] + 0.587f * x[per + q] + 0.114f * x[2 * per + q];
        ds->labels[k++] = e.labels[i];
    }
    ganc_emoji_free(&e);
    ds->n = n; ds->c = channels; ds->h = ds->w = size; ds->nclasses = GANC_EMOJI_CLASSES;
    return GANC_OK;
}

int ganc_dataset_load(ganc_dataset_t *ds, const char *src, int size, int channels, int flags) {
    memset(ds, 0, sizeof *ds);
    if (size < 4 || size > 4096 || (channels != 1 && channels != 3))
        return ganc_fail(GANC_EINVAL, "dataset: size must be 4..4096 and channels 1 or 3");
    if (!strcmp(src, "fashion-mnist") || !strcmp(src, "fashion-mnist:train") || !strcmp(src, "fashion-mnist:test")) {
        const char *split = strstr(src, ":test") ? "t10k" : "train";
        char im[512], lb[512];
        snprintf(im, sizeof im, "%s/%s-images-idx3-ubyte.gz", FMNIST_DIR, split);
        snprintf(lb, sizeof lb, "%s/%s-labels-idx1-ubyte.gz", FMNIST_DIR, split);
        struct stat st;
        if (stat(im, &st) != 0)
            return ganc_fail(GANC_EIO, "%s not found: install Debian's dataset-fashion-mnist "
                                       "(scripts/setup.sh does, or: apt-get install dataset-fashion-mnist)", im);
        return load_idx_pair(ds, im, lb, size, channels, flags);
    }
    if (!strncmp(src, "idx:", 4)) {
        char buf[1024];
        snprintf(buf, sizeof buf, "%s", src + 4);
        char *comma = strchr(buf, ',');
        if (comma) *comma = 0;
        return load_idx_pair(ds, buf, comma ? comma + 1 : NULL, size, channels, flags);
    }
    if (!strcmp(src, "sklearn-digits") || !strncmp(src, "sklearn-digits:", 15)) {
        char path[4096];
        if (src[14] == ':') snprintf(path, sizeof path, "%s", src + 15);
        else if (ganc_digits_path(path, sizeof path)) return GANC_EIO;
        return load_digits(ds, path, size, channels, flags);
    }
    if (!strncmp(src, "emoji", 5) && (!src[5] || src[5] == ':' || !strncmp(src + 5, "-heldout", 8)))
        return load_emoji(ds, src, size, channels);
    struct stat st;
    char arr[4096];
    snprintf(arr, sizeof arr, "%s/images.npy", src);
    if (stat(src, &st) == 0 && S_ISDIR(st.st_mode))
        return stat(arr, &st) == 0 ? load_arrays(ds, src, size, channels, flags) : load_folder(ds, src, size, channels, flags);
    return ganc_fail(GANC_EINVAL, "%s: unknown data source (expected fashion-mnist[:train|:test], idx:FILE[,LABELS], "
                                  "sklearn-digits[:FILE], emoji[-heldout][:PATH], a folder with images.npy [+ labels.npy] or a "
                                  "folder of PNG/JPEG images)", src);
}

/* ---- loader */

static void make_perm(ganc_loader_t *l) {
    ganc_rng_t r;
    ganc_rng_seed(&r, l->seed ^ (0x9E3779B97F4A7C15ull * (uint64_t)(l->epoch + 1)));
    for (int i = 0; i < l->ds->n; i++) l->perm[i] = i;
    for (int i = l->ds->n - 1; i > 0; i--) { /* Fisher-Yates */
        int j = (int)ganc_rng_below(&r, (uint32_t)i + 1), t = l->perm[i];
        l->perm[i] = l->perm[j];
        l->perm[j] = t;
    }
}

int ganc_loader_init(ganc_loader_t *l, const ganc_dataset_t *ds, uint64_t seed, int64_t epoch, int64_t pos) {
    memset(l, 0, sizeof *l);
    if (ds->n < 1) return ganc_fail(GANC_EINVAL, "loader: empty dataset");
    if (pos < 0 || pos > ds->n || epoch < 0) return ganc_fail(GANC_EINVAL, "loader: position out of range");
    l->ds = ds; l->seed = seed; l->epoch = epoch; l->pos = pos;
    l->perm = malloc(sizeof(int) * ds->n);
    if (!l->perm) return ganc_fail(GANC_ENOMEM, "loader: out of memory");
    make_perm(l);
    return GANC_OK;
}

/* image i of a padded byte store at full size: background border, the decoded plane inside, every channel */
static void unpad(const ganc_dataset_t *ds, int i, float *x) {
    const int p = ds->pad, sh = ds->h - 2 * p, sw = ds->w - 2 * p;
    unsigned char src[PLANE];
    unrle_plane(ds->u8 + ds->off[i], src);
    for (int k = 0; k < ds->c; k++) {
        float *dst = x + (size_t)k * ds->h * ds->w;
        for (int y = 0; y < ds->h; y++)
            for (int xx = 0; xx < ds->w; xx++) {
                const int in = y >= p && y < p + sh && xx >= p && xx < p + sw;
                dst[y * ds->w + xx] = ds->lut[in ? src[(y - p) * sw + xx - p] : 0];
            }
    }
}

/* Takes a batch from the order and returns where it starts in l->perm: a new epoch starts when fewer than batch
   remain (the partial batch is dropped); batch > n wraps within the epoch (index (start + b) % n), and any position
   past n - batch then means "new epoch next". */
static int64_t take_batch(ganc_loader_t *l, int batch) {
    const int n = l->ds->n;
    if (l->pos + batch > n) { l->epoch++; l->pos = 0; make_perm(l); }
    const int64_t start = l->pos;
    l->pos += batch;
    if (l->pos > n) l->pos = n;
    return start;
}

void ganc_loader_next_idx(ganc_loader_t *l, int batch, int *idx) {
    const int64_t start = take_batch(l, batch);
    for (int b = 0; b < batch; b++) idx[b] = l->perm[(start + b) % l->ds->n];
}

void ganc_loader_next(ganc_loader_t *l, int batch, float *x, int *labels) {
    const ganc_dataset_t *ds = l->ds;
    const size_t per = (size_t)ds->c * ds->h * ds->w;
    const int64_t start = take_batch(l, batch);
    for (int b = 0; b < batch; b++) {
        const int i = l->perm[(start + b) % ds->n];
        if (ds->x) memcpy(x + per * b, ds->x + per * i, per * sizeof(float));
        else if (ds->pad) unpad(ds, i, x + per * b);
        else
            for (size_t j = 0; j < per; j++) x[per * b + j] = ds->lut[ds->u8[per * i + j]];
        if (labels) labels[b] = ds->labels ? ds->labels[i] : 0;
    }
}

void ganc_loader_free(ganc_loader_t *l) {
    free(l->perm);
    l->perm = NULL;
}
