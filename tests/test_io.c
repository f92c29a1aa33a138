/* File formats: safetensors round trip and a corpus of malformed files (each with the error it must produce),
   network save/load checks, .npy round trip and bad headers, IDX (raw and gzip) and its lies, PNG/JPEG decoding of
   palette, RGBA, grey+alpha, 16-bit and JPEG files against PIL, and a grid PNG round trip. */
#include <math.h>
#include <stdlib.h>
#include <string.h>
#include <unistd.h>
#include <sys/stat.h>
#include <zlib.h>
#include "testutil.h"

static char dir[256];
static const char *tmp(const char *name) {
    static char buf[512];
    snprintf(buf, sizeof buf, "%s/%s", dir, name);
    return buf;
}

static void write_bytes(const char *path, const void *p, size_t n) {
    FILE *f = fopen(path, "wb");
    fwrite(p, 1, n, f);
    fclose(f);
}

/* a safetensors file from a header string and n data bytes */
static void st_file(const char *path, const char *json, size_t ndata) {
    size_t hl = strlen(json);
    unsigned char *b = calloc(8 + hl + ndata + 1, 1);
    for (int i = 0; i < 8; i++) b[i] = (unsigned char)((uint64_t)hl >> (8 * i));
    memcpy(b + 8, json, hl);
    write_bytes(path, b, 8 + hl + ndata);
    free(b);
}

static void expect_st_error(const char *what, const char *json, size_t ndata, const char *msg) {
    const char *p = tmp("bad.safetensors");
    st_file(p, json, ndata);
    ganc_st_t *st = NULL;
    int rc = ganc_st_open(&st, p);
    CHECK(rc != GANC_OK && st == NULL, "%s: accepted", what);
    CHECK(strstr(ganc_errmsg(), msg) && strstr(ganc_errmsg(), "bad.safetensors"),
          "%s: error \"%s\" lacks \"%s\" or the file name", what, ganc_errmsg(), msg);
    ganc_st_free(st);
}

static void safetensors_tests(void) {
    /* round trip with metadata, int64 and escapes in names */
    float a[6] = {1, 2, 3, 4, 5, 6};
    int64_t c = 42;
    ganc_stw_t *w = ganc_stw_new();
    CHECK_OK(ganc_stw_add(w, "main.0.weight", GANC_F32, 2, (int64_t[]){2, 3}, a));
    CHECK_OK(ganc_stw_add(w, "we\"ird\\name", GANC_I64, 0, NULL, &c));
    CHECK_OK(ganc_stw_meta(w, "kind", "dcgan"));
    CHECK_OK(ganc_stw_write(w, tmp("ok.safetensors")));
    ganc_stw_free(w);
    ganc_st_t *st;
    CHECK_OK(ganc_st_open(&st, tmp("ok.safetensors")));
    if (st) {
        const ganc_st_tensor_t *t = ganc_st_find(st, "main.0.weight");
        CHECK(t && t->ndim == 2 && t->shape[0] == 2 && t->shape[1] == 3 && !memcmp(t->data, a, sizeof a),
              "round trip of main.0.weight");
        t = ganc_st_find(st, "we\"ird\\name");
        CHECK(t && t->dtype == GANC_I64 && t->ndim == 0 && !memcmp(t->data, &c, 8), "round trip of an escaped name");
        CHECK(ganc_st_meta(st, "kind") && !strcmp(ganc_st_meta(st, "kind"), "dcgan"), "metadata round trip");
        ganc_st_free(st);
    }
    /* the corpus of bad files */
    write_bytes(tmp("bad.safetensors"), "", 0);
    CHECK(ganc_st_open(&st, tmp("bad.safetensors")) && strstr(ganc_errmsg(), "shorter than"), "empty file: %s",
          ganc_errmsg());
    write_bytes(tmp("bad.safetensors"), "\xff\xff\xff\xff\xff\xff\xff\x7f{}", 10);
    CHECK(ganc_st_open(&st, tmp("bad.safetensors")) && strstr(ganc_errmsg(), "header size"), "huge header size: %s",
          ganc_errmsg());
    CHECK(ganc_st_open(&st, tmp("does-not-exist.safetensors")) == GANC_EIO && strstr(ganc_errmsg(), "cannot open"),
          "missing file: %s", ganc_errmsg());
    expect_st_error("not JSON", "hello!!!", 0, "expected '{'");
    expect_st_error("truncated JSON", "{\"a\":{\"dtype\":\"F32\"", 0, "bad safetensors header");
    expect_st_error("unknown dtype", "{\"a\":{\"dtype\":\"F99\",\"shape\":[1],\"data_offsets\":[0,4]}}", 4,
                    "unknown dtype");
    expect_st_error("missing offsets", "{\"a\":{\"dtype\":\"F32\",\"shape\":[1]}}", 4, "lacks dtype");
    expect_st_error("offsets out of range", "{\"a\":{\"dtype\":\"F32\",\"shape\":[1],\"data_offsets\":[0,4]}}", 2,
                    "outside");
    expect_st_error("reversed offsets", "{\"a\":{\"dtype\":\"F32\",\"shape\":[0],\"data_offsets\":[4,0]}}", 4,
                    "outside");
    expect_st_error("shape disagrees with offsets",
                    "{\"a\":{\"dtype\":\"F32\",\"shape\":[2,2],\"data_offsets\":[0,8]}}", 8, "shape needs 16 bytes");
    expect_st_error("shape product overflow",
                    "{\"a\":{\"dtype\":\"F32\",\"shape\":[1099511627776,1099511627776],\"data_offsets\":[0,8]}}", 8,
                    "overflows");
    expect_st_error("dimension above the limit",
                    "{\"a\":{\"dtype\":\"F32\",\"shape\":[99999999999999999],\"data_offsets\":[0,8]}}", 8,
                    "dimension too large");
    expect_st_error("integer beyond 64 bits",
                    "{\"a\":{\"dtype\":\"F32\",\"shape\":[1],\"data_offsets\":[0,99999999999999999999999]}}", 4,
                    "overflows 64 bits");
    expect_st_error("overlapping tensors",
                    "{\"a\":{\"dtype\":\"F32\",\"shape\":[2],\"data_offsets\":[0,8]},"
                    "\"b\":{\"dtype\":\"F32\",\"shape\":[1],\"data_offsets\":[4,8]}}",
                    8, "overlaps");
    expect_st_error("hole between tensors",
                    "{\"a\":{\"dtype\":\"F32\",\"shape\":[1],\"data_offsets\":[0,4]},"
                    "\"b\":{\"dtype\":\"F32\",\"shape\":[1],\"data_offsets\":[8,12]}}",
                    12, "hole");
    expect_st_error("trailing data", "{\"a\":{\"dtype\":\"F32\",\"shape\":[1],\"data_offsets\":[0,4]}}", 12,
                    "not covered");
    expect_st_error("duplicate name",
                    "{\"a\":{\"dtype\":\"F32\",\"shape\":[1],\"data_offsets\":[0,4]},"
                    "\"a\":{\"dtype\":\"F32\",\"shape\":[1],\"data_offsets\":[4,8]}}",
                    8, "appears twice");
    expect_st_error("unknown key", "{\"a\":{\"dtype\":\"F32\",\"shape\":[1],\"data_offsets\":[0,4],\"x\":1}}", 4,
                    "unknown or repeated key");
    expect_st_error("negative dim", "{\"a\":{\"dtype\":\"F32\",\"shape\":[-1],\"data_offsets\":[0,4]}}", 4,
                    "non-negative integer");
    expect_st_error("control char in name", "{\"a\x01\":{\"dtype\":\"F32\",\"shape\":[1],\"data_offsets\":[0,4]}}", 4,
                    "control character");
    expect_st_error("trailing garbage after JSON", "{} x", 0, "trailing bytes");
    expect_st_error("metadata not strings", "{\"__metadata__\":{\"a\":1}}", 0, "expected '\"'");

    /* network load: mismatching shape / dtype / missing / extra names are reported with the file and tensor */
    ganc_net_t *n1 = ganc_net_new("G");
    int x = ganc_net_input(n1, "z", 3, (int[]){4, 1, 1});
    int h = ganc_net_conv_transpose2d(n1, "main.0", x, 3, 4, 4, 1, 0, 0, 0);
    ganc_net_batchnorm(n1, "main.1", h, 1e-5f, 0.1f);
    CHECK_OK(ganc_net_build(n1, 2));
    ganc_net_init_dcgan(n1, 3);
    CHECK_OK(ganc_net_save(n1, tmp("g.safetensors"), (const char *[]){"kind", "test"}, 1));
    ganc_net_t *n2 = ganc_net_new("G");
    x = ganc_net_input(n2, "z", 3, (int[]){4, 1, 1});
    h = ganc_net_conv_transpose2d(n2, "main.0", x, 3, 4, 4, 1, 0, 0, 0);
    ganc_net_batchnorm(n2, "main.1", h, 1e-5f, 0.1f);
    CHECK_OK(ganc_net_build(n2, 2));
    CHECK_OK(ganc_net_load(n2, tmp("g.safetensors")));
    CHECK(!memcmp(ganc_net_params(n1), ganc_net_params(n2), ganc_net_nparams(n1) * sizeof(float)), "load restores");
    ganc_net_t *n3 = ganc_net_new("G");
    x = ganc_net_input(n3, "z", 3, (int[]){5, 1, 1});
    ganc_net_conv_transpose2d(n3, "main.0", x, 3, 4, 4, 1, 0, 0, 0);
    CHECK_OK(ganc_net_build(n3, 2));
    CHECK(ganc_net_load(n3, tmp("g.safetensors")) == GANC_EMISMATCH &&
              strstr(ganc_errmsg(), "g.safetensors: tensor main.0.weight has shape [4,3,4,4], model expects [5,3,4,4]"),
          "shape mismatch message: %s", ganc_errmsg());
    ganc_net_free(n3);
    n3 = ganc_net_new("G");
    x = ganc_net_input(n3, "z", 3, (int[]){4, 1, 1});
    ganc_net_conv_transpose2d(n3, "main.0", x, 3, 4, 4, 1, 0, 0, 0);
    CHECK_OK(ganc_net_build(n3, 2));
    CHECK(ganc_net_load(n3, tmp("g.safetensors")) == GANC_EMISMATCH && strstr(ganc_errmsg(), "unexpected tensor main.1"),
          "extra tensor message: %s", ganc_errmsg());
    ganc_net_free(n3);
    ganc_net_free(n1);
    ganc_net_free(n2);
}

static void npy_tests(void) {
    float a[24];
    for (int i = 0; i < 24; i++) a[i] = (float)i * 0.5f - 3.0f;
    CHECK_OK(ganc_npy_write(tmp("a.npy"), GANC_F32, 4, (int64_t[]){2, 3, 2, 2}, a));
    int nd;
    int64_t sh[8];
    float *b = NULL;
    CHECK_OK(ganc_npy_read_f32(tmp("a.npy"), &nd, sh, &b));
    CHECK(b && nd == 4 && sh[0] == 2 && sh[3] == 2 && !memcmp(a, b, sizeof a), "npy float round trip");
    free(b);
    unsigned char u[6] = {0, 1, 2, 253, 254, 255};
    CHECK_OK(ganc_npy_write(tmp("u.npy"), GANC_U8, 1, (int64_t[]){6}, u));
    b = NULL;
    CHECK_OK(ganc_npy_read_f32(tmp("u.npy"), &nd, sh, &b));
    CHECK(b && nd == 1 && sh[0] == 6 && b[5] == 255.0f, "npy uint8 round trip");
    free(b);
    /* header layout: 64-byte aligned, as numpy requires */
    unsigned char *raw;
    size_t len;
    CHECK_OK(ganc_read_file(tmp("a.npy"), 1 << 20, &raw, &len));
    CHECK((len - 24 * 4) % 64 == 0 && raw[len - 24 * 4 - 1] == '\n', "npy header is padded to 64 bytes");
    /* the streamed writer: the same bytes as the whole-array one; a wrong element count never leaves a file */
    ganc_npyw_t *w = ganc_npyw_open(tmp("s.npy"), GANC_F32, 4, (int64_t[]){2, 3, 2, 2});
    CHECK(w != NULL, "npyw open: %s", ganc_errmsg());
    if (w) {
        CHECK_OK(ganc_npyw_append(w, a, 5));
        CHECK_OK(ganc_npyw_append(w, a + 5, 0));
        CHECK_OK(ganc_npyw_append(w, a + 5, 19));
        CHECK(ganc_npyw_append(w, a, 1) == GANC_EINVAL, "npyw refuses elements past the shape");
        CHECK_OK(ganc_npyw_close(w));
    }
    CHECK(tu_same_file(tmp("a.npy"), tmp("s.npy")), "streamed .npy == whole-array .npy");
    w = ganc_npyw_open(tmp("short.npy"), GANC_U8, 1, (int64_t[]){6});
    if (w) {
        ganc_npyw_append(w, u, 5);
        CHECK(ganc_npyw_close(w) == GANC_EINVAL && strstr(ganc_errmsg(), "5 of 6"), "npyw short: %s", ganc_errmsg());
    }
    CHECK(access(tmp("short.npy"), F_OK) != 0, "a short .npy is not committed");
    char tmpname[600];
    snprintf(tmpname, sizeof tmpname, "%s.tmp.%ld", tmp("short.npy"), (long)getpid());
    CHECK(access(tmpname, F_OK) != 0, "nor is its temp file left");
    /* bad files */
    const struct { const char *what, *bytes; size_t n; const char *msg; } bad[] = {
        {"bad magic", "NUMPY\x01\x00", 6, "bad magic"},
        {"truncated header", "\x93NUMPY\x01\x00\x40\x00{'descr'", 16, "exceeds the file"},
        {"big-endian", "\x93NUMPY\x01\x00\x36\x00{'descr': '>f4', 'fortran_order': False, 'shape': (1,), }\n",
         64, "not supported"},
        {"fortran order", "\x93NUMPY\x01\x00\x35\x00{'descr': '<f4', 'fortran_order': True, 'shape': (1,), }\n",
         63, "Fortran"},
        {"size lie", "\x93NUMPY\x01\x00\x36\x00{'descr': '<f4', 'fortran_order': False, 'shape': (9,), }\nabcd",
         68, "needs 36 data bytes"},
        {"shape overflow",
         "\x93NUMPY\x01\x00\x4a\x00{'descr': '<f4', 'fortran_order': False, 'shape': (99999999999999999999,), }\n",
         84, "too large"},
    };
    for (size_t i = 0; i < sizeof bad / sizeof bad[0]; i++) {
        write_bytes(tmp("bad.npy"), bad[i].bytes, bad[i].n);
        b = NULL;
        int rc = ganc_npy_read_f32(tmp("bad.npy"), &nd, sh, &b);
        CHECK(rc != GANC_OK && b == NULL && strstr(ganc_errmsg(), bad[i].msg) && strstr(ganc_errmsg(), "bad.npy"),
              "npy %s: rc %d, \"%s\"", bad[i].what, rc, ganc_errmsg());
    }
    free(raw);
}

static void idx_tests(void) {
    unsigned char f[16 + 2 * 3 * 2] = {0, 0, 8, 3, 0, 0, 0, 2, 0, 0, 0, 3, 0, 0, 0, 2};
    for (int i = 0; i < 12; i++) f[16 + i] = (unsigned char)(i * 20);
    write_bytes(tmp("a.idx"), f, sizeof f);
    gzFile g = gzopen(tmp("a.idx.gz"), "wb");
    gzwrite(g, f, sizeof f);
    gzclose(g);
    for (int k = 0; k < 2; k++) {
        int nd;
        int64_t d[4];
        unsigned char *p = NULL;
        CHECK_OK(ganc_idx_read(tmp(k ? "a.idx.gz" : "a.idx"), &nd, d, &p, 1 << 20));
        CHECK(p && nd == 3 && d[0] == 2 && d[1] == 3 && d[2] == 2 && p[11] == 220, "idx read (%s)", k ? "gz" : "raw");
        free(p);
    }
    const struct { const char *what; unsigned char b[20]; size_t n; const char *msg; } bad[] = {
        {"empty", {0}, 0, "shorter than 4"},
        {"bad magic", {1, 0, 8, 1, 0, 0, 0, 1, 7}, 9, "bad magic"},
        {"float type", {0, 0, 0x0d, 1, 0, 0, 0, 1, 0, 0, 0, 0}, 12, "not unsigned byte"},
        {"zero dims", {0, 0, 8, 0}, 4, "dimensions"},
        {"truncated data", {0, 0, 8, 1, 0, 0, 0, 9, 1, 2}, 10, "truncated"},
        {"lying huge count", {0, 0, 8, 2, 0xff, 0xff, 0xff, 0xff, 0xff, 0xff, 0xff, 0xff}, 12, "limit"},
        {"trailing bytes", {0, 0, 8, 1, 0, 0, 0, 1, 5, 6}, 10, "beyond"},
    };
    for (size_t i = 0; i < sizeof bad / sizeof bad[0]; i++) {
        write_bytes(tmp("bad.idx"), bad[i].b, bad[i].n);
        int nd;
        int64_t d[4];
        unsigned char *p = NULL;
        int rc = ganc_idx_read(tmp("bad.idx"), &nd, d, &p, 1 << 20);
        CHECK(rc != GANC_OK && !p && strstr(ganc_errmsg(), bad[i].msg) && strstr(ganc_errmsg(), "bad.idx"),
              "idx %s: \"%s\"", bad[i].what, ganc_errmsg());
        free(p);
    }
}

static void image_tests(void) {
    ganc_st_t *st;
    CHECK_OK(ganc_st_open(&st, tu_fixture("images.safetensors")));
    if (!st) return;
    for (int i = 0; i < ganc_st_count(st); i++) {
        const ganc_st_tensor_t *ref = ganc_st_get(st, i);
        ganc_image_t img;
        int rc = ganc_image_load(tu_fixture(ref->name), &img);
        CHECK(rc == GANC_OK, "%s: %s", ref->name, ganc_errmsg());
        if (rc) continue;
        CHECK(img.h == ref->shape[0] && img.w == ref->shape[1] && img.c == ref->shape[2],
              "%s: decoded %dx%dx%d, PIL %lldx%lldx%lld", ref->name, img.h, img.w, img.c, (long long)ref->shape[0],
              (long long)ref->shape[1], (long long)ref->shape[2]);
        if (img.h * img.w * img.c == (int)ref->numel) {
            int worst = 0;
            const unsigned char *r = ref->data;
            for (size_t k = 0; k < ref->numel; k++) {
                int d = abs((int)img.px[k] - (int)r[k]);
                worst = d > worst ? d : worst;
            }
            int tol = strstr(ref->name, ".jpg") ? 2 : 0; /* decoders may round differently */
            CHECK(worst <= tol, "%s: pixels differ from PIL by up to %d", ref->name, worst);
        }
        ganc_image_free(&img);
    }
    ganc_st_free(st);
    /* alpha (RGBA, and palette/grey files expanded to RGBA) is composited onto white before scaling to [-1,1]:
       transparent -> 1, opaque red -> (1,-1,-1), half-transparent black -> ~0 */
    {
        unsigned char px[16] = {0, 0, 0, 0, 255, 0, 0, 255, 0, 0, 0, 128, 10, 20, 30, 255};
        ganc_image_t im = {2, 2, 4, px};
        float t[12], g[4];
        CHECK_OK(ganc_image_to_tensor(&im, 2, 3, t));
        CHECK(t[0] == 1.0f && t[4] == 1.0f && t[8] == 1.0f, "transparent pixel is white: %g %g %g", t[0], t[4], t[8]);
        CHECK(t[1] == 1.0f && t[5] == -1.0f && t[9] == -1.0f, "opaque red: %g %g %g", t[1], t[5], t[9]);
        CHECK(fabsf(t[2] - (2.0f * (127.0f / 255.0f) - 1.0f)) < 1e-5f, "half-transparent black: %g", t[2]);
        CHECK_OK(ganc_image_to_tensor(&im, 2, 1, g));
        CHECK(g[0] == 1.0f && fabsf(g[1] - (2.0f * 0.299f - 1.0f)) < 1e-5f, "grey of composited pixels: %g %g", g[0], g[1]);
    }
    /* bad images */
    write_bytes(tmp("bad.png"), "\x89PNG\r\n\x1a\n\0\0\0\x0dIHDR", 16);
    ganc_image_t img;
    CHECK(ganc_image_load(tmp("bad.png"), &img) == GANC_EFORMAT && strstr(ganc_errmsg(), "bad.png"),
          "truncated PNG: %s", ganc_errmsg());
    write_bytes(tmp("bad.jpg"), "\xff\xd8\xff\xe0\0\x10JFIF", 10);
    CHECK(ganc_image_load(tmp("bad.jpg"), &img) == GANC_EFORMAT && strstr(ganc_errmsg(), "bad.jpg"),
          "truncated JPEG: %s", ganc_errmsg());
    /* found by fuzz_image: a PNG whose image data ends early leaked the row buffers (regression; LSan checks) */
    CHECK(ganc_image_load(tu_fixture("bad/png_truncated_idat_leak.png"), &img) == GANC_EFORMAT &&
              strstr(ganc_errmsg(), "png_truncated_idat_leak.png: cannot decode PNG"),
          "truncated IDAT: %s", ganc_errmsg());
    write_bytes(tmp("bad.gif"), "GIF89a", 6);
    CHECK(ganc_image_load(tmp("bad.gif"), &img) == GANC_EFORMAT && strstr(ganc_errmsg(), "neither PNG nor JPEG"),
          "GIF: %s", ganc_errmsg());
    /* grid round trip: values in [-1,1] map to 0..255 */
    float x[2 * 3 * 4 * 4];
    for (int i = 0; i < 96; i++) x[i] = (float)(i % 11) / 5.0f - 1.0f;
    CHECK_OK(ganc_grid_png(tmp("grid.png"), x, 2, 3, 4, 4, 2));
    CHECK_OK(ganc_image_load(tmp("grid.png"), &img));
    CHECK(img.w == 2 * 6 + 2 && img.h == 8 && img.c == 3, "grid size %dx%d", img.w, img.h);
    CHECK(img.px[(2 * img.w + 2) * 3] == 0, "grid pixel (-1 -> 0): %d", img.px[(2 * img.w + 2) * 3]);
    ganc_image_free(&img);
}

/* GANC_DS_U8: the loader's batches are the float path's, bit for bit, for IDX sources; within half a grey level
   for resized folder images; a quarter of the memory */
static void compact_dataset_tests(void) {
    tu_make_idx(tmp("d.idx"), 50);
    char src[700];
    snprintf(src, sizeof src, "idx:%s", tmp("d.idx"));
    for (int ch = 1; ch <= 3; ch += 2) {
        ganc_dataset_t f, q;
        CHECK_OK(ganc_dataset_load(&f, src, 32, ch, 0));
        CHECK_OK(ganc_dataset_load(&q, src, 32, ch, GANC_DS_U8));
        CHECK(f.x && !f.u8 && q.u8 && !q.x && q.n == 50 && q.pad == 2 && f.pad == 0,
              "storage: float / bytes at the file's 28x28, padded per batch");
        ganc_loader_t lf, lq;
        CHECK_OK(ganc_loader_init(&lf, &f, 3, 0, 0));
        CHECK_OK(ganc_loader_init(&lq, &q, 3, 0, 0));
        float *xf = malloc(sizeof(float) * 20 * ch * 1024), *xq = malloc(sizeof(float) * 20 * ch * 1024);
        int same = 1;
        for (int b = 0; b < 4; b++) {
            ganc_loader_next(&lf, 20, xf, NULL);
            ganc_loader_next(&lq, 20, xq, NULL);
            same &= !memcmp(xf, xq, sizeof(float) * 20 * ch * 1024);
        }
        CHECK(same, "IDX, %d channel(s): byte storage gives the float path's batches bit for bit", ch);
        free(xf); free(xq);
        ganc_loader_free(&lf); ganc_loader_free(&lq);
        ganc_dataset_free(&f); ganc_dataset_free(&q);
    }
    /* a folder: resized (21x17 JPEG to 8x8, RGB) */
    mkdir(tmp("imgs"), 0700);
    char cmd[1200], d[600];
    snprintf(d, sizeof d, "%s", tmp("imgs"));
    int o = snprintf(cmd, sizeof cmd, "cp %s %s/a.jpg && ", tu_fixture("img_rgb.jpg"), d);
    snprintf(cmd + o, sizeof cmd - o, "cp %s %s/b.png", tu_fixture("img_rgba.png"), d);
    CHECK(system(cmd) == 0, "copy fixture images");
    ganc_dataset_t f, q;
    CHECK_OK(ganc_dataset_load(&f, d, 8, 3, 0));
    CHECK_OK(ganc_dataset_load(&q, d, 8, 3, GANC_DS_U8));
    double e = 0;
    for (size_t i = 0; f.x && q.u8 && i < (size_t)f.n * 3 * 64; i++) e = fmax(e, fabs(f.x[i] - q.lut[q.u8[i]]));
    CHECK(f.n == 2 && q.n == 2 && e <= 1.0 / 255 + 1e-6, "folder: bytes within half a grey level (%.5f)", e);
    ganc_dataset_free(&f); ganc_dataset_free(&q);
    /* Fashion-MNIST (half zeros): the zero-run encoded store is about 60% of the raw bytes, the batches bit for bit */
    if (ganc_dataset_load(&f, "fashion-mnist:test", 32, 1, 0)) { printf("no Fashion-MNIST: skipped its check\n"); return; }
    CHECK_OK(ganc_dataset_load(&q, "fashion-mnist:test", 32, 1, GANC_DS_U8));
    CHECK(q.off && q.off[q.n] < (size_t)q.n * 784 * 7 / 10, "Fashion-MNIST test: %zu encoded bytes for %d images",
          q.off ? q.off[q.n] : 0, q.n);
    ganc_loader_t lf, lq;
    CHECK_OK(ganc_loader_init(&lf, &f, 5, 0, 0));
    CHECK_OK(ganc_loader_init(&lq, &q, 5, 0, 0));
    float *xf = malloc(sizeof(float) * 500 * 1024), *xq = malloc(sizeof(float) * 500 * 1024);
    int same = 1;
    for (int b = 0; b < 20; b++) { /* every image */
        ganc_loader_next(&lf, 500, xf, NULL);
        ganc_loader_next(&lq, 500, xq, NULL);
        same &= !memcmp(xf, xq, sizeof(float) * 500 * 1024);
    }
    CHECK(same, "Fashion-MNIST test: the encoded store gives the float path's batches bit for bit");
    free(xf); free(xq);
    ganc_loader_free(&lf); ganc_loader_free(&lq);
    ganc_dataset_free(&f); ganc_dataset_free(&q);
}

int main(void) {
    snprintf(dir, sizeof dir, "/tmp/ganc_test_io_XXXXXX");
    if (!mkdtemp(dir)) return 2;
    safetensors_tests();
    npy_tests();
    idx_tests();
    image_tests();
    compact_dataset_tests();
    char cmd[300];
    snprintf(cmd, sizeof cmd, "rm -rf %s", dir);
    if (system(cmd) != 0) fprintf(stderr, "could not remove %s\n", dir);
    return tu_finish("test_io");
}
