/* PNG (libpng) and JPEG (libjpeg) through their error hooks: a corrupt file becomes an error status, never a crash.
   Decoded images are 8-bit HWC with 1 (grey), 3 (RGB) or 4 (RGBA) channels; palette and 16-bit PNGs are expanded. */
#include <stddef.h>
#include <stdio.h>
#include <jpeglib.h>
#include <png.h>
#include <setjmp.h>
#include <stdlib.h>
#include <string.h>
#include "ganc.h"
#include "io/io.h"

#define IMG_MAX_DIM 16384
#define IMG_MAX_FILE ((size_t)256 << 20)

void ganc_image_free(ganc_image_t *img) {
    free(img->px);
    img->px = NULL;
}

/* ---- PNG read from memory */
typedef struct { const unsigned char *p; size_t n, o; } mem_t;
static void png_mem_read(png_structp png, png_bytep out, png_size_t len) {
    mem_t *m = png_get_io_ptr(png);
    if (len > m->n - m->o) png_error(png, "file is truncated");
    memcpy(out, m->p + m->o, len);
    m->o += len;
}
static void png_err(png_structp png, png_const_charp msg) {
    char *buf = png_get_error_ptr(png);
    snprintf(buf, 200, "%s", msg);
    png_longjmp(png, 1);
}
static void png_warn(png_structp png, png_const_charp msg) { (void)png; (void)msg; }

static int load_png(const char *path, const unsigned char *buf, size_t len, ganc_image_t *img) {
    char emsg[200] = "";
    mem_t m = {buf, len, 0};
    png_structp png = png_create_read_struct(PNG_LIBPNG_VER_STRING, emsg, png_err, png_warn);
    if (!png) return ganc_fail(GANC_ENOMEM, "%s: out of memory", path);
    png_infop info = png_create_info_struct(png);
    /* volatile pointers: they change between setjmp and a longjmp from libpng, and are freed after it */
    png_bytep *volatile rows = NULL;
    unsigned char *volatile px = NULL;
    if (!info || setjmp(png_jmpbuf(png))) {
        free(px);
        free(rows);
        png_destroy_read_struct(&png, &info, NULL);
        return ganc_fail(GANC_EFORMAT, "%s: cannot decode PNG: %s", path, emsg[0] ? emsg : "error");
    }
    png_set_user_limits(png, IMG_MAX_DIM, IMG_MAX_DIM);
    png_set_read_fn(png, &m, png_mem_read);
    png_read_info(png, info);
    png_uint_32 w, h;
    int depth, ctype;
    png_get_IHDR(png, info, &w, &h, &depth, &ctype, NULL, NULL, NULL);
    if (ctype == PNG_COLOR_TYPE_PALETTE) png_set_palette_to_rgb(png);
    if (ctype == PNG_COLOR_TYPE_GRAY && depth < 8) png_set_expand_gray_1_2_4_to_8(png);
    if (png_get_valid(png, info, PNG_INFO_tRNS)) png_set_tRNS_to_alpha(png);
    if (depth == 16) png_set_strip_16(png);
    if (ctype == PNG_COLOR_TYPE_GRAY_ALPHA || (ctype == PNG_COLOR_TYPE_GRAY && png_get_valid(png, info, PNG_INFO_tRNS)))
        png_set_gray_to_rgb(png); /* grey+alpha becomes RGBA */
    png_set_interlace_handling(png);
    png_read_update_info(png, info);
    int c = png_get_channels(png, info);
    size_t rb = png_get_rowbytes(png, info);
    if (c < 1 || c > 4 || c == 2 || rb != (size_t)w * c) png_error(png, "unsupported pixel layout");
    px = malloc((size_t)w * h * c);
    rows = malloc(sizeof(png_bytep) * h);
    if (!px || !rows) png_error(png, "out of memory");
    for (png_uint_32 y = 0; y < h; y++) rows[y] = px + (size_t)y * rb;
    png_read_image(png, rows);
    png_read_end(png, NULL);
    free(rows);
    png_destroy_read_struct(&png, &info, NULL);
    img->w = (int)w; img->h = (int)h; img->c = c; img->px = px;
    return GANC_OK;
}

/* ---- JPEG read from memory */
typedef struct { struct jpeg_error_mgr pub; jmp_buf jb; char msg[JMSG_LENGTH_MAX]; } jerr_t;
static void jpg_exit(j_common_ptr ci) {
    jerr_t *e = (jerr_t *)ci->err;
    (*ci->err->format_message)(ci, e->msg);
    longjmp(e->jb, 1);
}
static void jpg_out(j_common_ptr ci) { (void)ci; }

static int load_jpeg(const char *path, const unsigned char *buf, size_t len, ganc_image_t *img) {
    struct jpeg_decompress_struct ci;
    jerr_t je;
    unsigned char *volatile px = NULL;
    ci.err = jpeg_std_error(&je.pub);
    je.pub.error_exit = jpg_exit;
    je.pub.output_message = jpg_out;
    je.msg[0] = 0;
    if (setjmp(je.jb)) {
        jpeg_destroy_decompress(&ci);
        free(px);
        return ganc_fail(GANC_EFORMAT, "%s: cannot decode JPEG: %s", path, je.msg);
    }
    jpeg_create_decompress(&ci);
    jpeg_mem_src(&ci, buf, (unsigned long)len);
    jpeg_read_header(&ci, TRUE);
    if (ci.image_width > IMG_MAX_DIM || ci.image_height > IMG_MAX_DIM) {
        snprintf(je.msg, sizeof je.msg, "%ux%u is over the %d-pixel limit", ci.image_width, ci.image_height,
                 IMG_MAX_DIM);
        longjmp(je.jb, 1);
    }
    ci.out_color_space = ci.num_components == 1 ? JCS_GRAYSCALE : JCS_RGB;
    jpeg_start_decompress(&ci);
    int c = ci.output_components, w = (int)ci.output_width, h = (int)ci.output_height;
    px = malloc((size_t)w * h * c);
    if (!px) { snprintf(je.msg, sizeof je.msg, "out of memory"); longjmp(je.jb, 1); }
    while (ci.output_scanline < ci.output_height) {
        JSAMPROW row = px + (size_t)ci.output_scanline * w * c;
        jpeg_read_scanlines(&ci, &row, 1);
    }
    jpeg_finish_decompress(&ci);
    jpeg_destroy_decompress(&ci);
    img->w = w; img->h = h; img->c = c; img->px = px;
    return GANC_OK;
}

int ganc_image_decode(const char *name, const unsigned char *buf, size_t len, ganc_image_t *img) {
    memset(img, 0, sizeof *img);
    if (len >= 8 && !png_sig_cmp(buf, 0, 8)) return load_png(name, buf, len, img);
    if (len >= 3 && buf[0] == 0xFF && buf[1] == 0xD8 && buf[2] == 0xFF) return load_jpeg(name, buf, len, img);
    return ganc_fail(GANC_EFORMAT, "%s: neither PNG nor JPEG (unrecognised signature)", name);
}

int ganc_image_load(const char *path, ganc_image_t *img) {
    unsigned char *buf;
    size_t len;
    memset(img, 0, sizeof *img);
    int rc = ganc_read_file(path, IMG_MAX_FILE, &buf, &len);
    if (rc) return rc;
    rc = ganc_image_decode(path, buf, len, img);
    free(buf);
    return rc;
}

/* ---- PNG write: encoded in memory, then written atomically (or handed to the caller: HTML pages inline them) */
typedef struct { unsigned char *p; size_t n, cap; int oom; } membuf_t;
static void png_mem_write(png_structp png, png_bytep data, png_size_t n) {
    membuf_t *m = png_get_io_ptr(png);
    if (m->oom) return;
    if (m->n + n > m->cap) {
        size_t nc = (m->cap + n) * 2;
        unsigned char *q = realloc(m->p, nc);
        if (!q) { m->oom = 1; return; }
        m->p = q;
        m->cap = nc;
    }
    memcpy(m->p + m->n, data, n);
    m->n += n;
}
static void png_mem_flush(png_structp png) { (void)png; }

int ganc_png_encode(const unsigned char *hwc, int w, int h, int c, unsigned char **out, size_t *len) {
    *out = NULL;
    *len = 0;
    if (w < 1 || h < 1 || w > GANC_IMG_MAX_SIDE || h > GANC_IMG_MAX_SIDE || (c != 1 && c != 3 && c != 4))
        return ganc_fail(GANC_EINVAL, "image of %dx%dx%d: sides must be 1..%d, channels 1, 3 or 4", w, h, c,
                         GANC_IMG_MAX_SIDE);
    membuf_t m = {0};
    char emsg[200] = "";
    png_structp png = png_create_write_struct(PNG_LIBPNG_VER_STRING, emsg, png_err, png_warn);
    png_infop info = png ? png_create_info_struct(png) : NULL;
    if (!png || !info || setjmp(png_jmpbuf(png))) {
        png_destroy_write_struct(&png, &info);
        free(m.p);
        return ganc_fail(GANC_EIO, "PNG encoding failed: %s", emsg);
    }
    png_set_write_fn(png, &m, png_mem_write, png_mem_flush);
    png_set_IHDR(png, info, (png_uint_32)w, (png_uint_32)h, 8,
                 c == 1 ? PNG_COLOR_TYPE_GRAY : c == 3 ? PNG_COLOR_TYPE_RGB : PNG_COLOR_TYPE_RGBA,
                 PNG_INTERLACE_NONE, PNG_COMPRESSION_TYPE_DEFAULT, PNG_FILTER_TYPE_DEFAULT);
    png_write_info(png, info);
    for (int y = 0; y < h; y++) png_write_row(png, (png_const_bytep)(hwc + (size_t)y * w * c));
    png_write_end(png, NULL);
    png_destroy_write_struct(&png, &info);
    if (m.oom) { free(m.p); return ganc_fail(GANC_ENOMEM, "PNG encoding: out of memory"); }
    *out = m.p;
    *len = m.n;
    return GANC_OK;
}

int ganc_png_write(const char *path, const unsigned char *hwc, int w, int h, int c) {
    unsigned char *buf;
    size_t n;
    int rc = ganc_png_encode(hwc, w, h, c, &buf, &n);
    if (rc) return ganc_fail(rc, "%s: %s", path, ganc_errmsg());
    rc = ganc_write_file_atomic(path, buf, n);
    free(buf);
    return rc;
}

static unsigned char to_u8(float v) {
    float s = (v + 1.0f) * 127.5f + 0.5f;
    return s <= 0.0f ? 0 : s >= 255.0f ? 255 : (unsigned char)s;
}

int ganc_grid_png(const char *path, const float *x, int n, int c, int h, int w, int cols) {
    if (n < 1 || cols < 1 || h < 1 || w < 1 || (c != 1 && c != 3))
        return ganc_fail(GANC_EINVAL, "%s: bad grid request (%d images, %d columns)", path, n, cols);
    if (cols > n) cols = n;
    const int pad = 2, rows = (n + cols - 1) / cols;
    const long long W = (long long)cols * (w + pad) + pad, H = (long long)rows * (h + pad) + pad;
    if (W > GANC_IMG_MAX_SIDE || H > GANC_IMG_MAX_SIDE)
        return ganc_fail(GANC_EINVAL, "%s: a grid of %d images in %d columns would be %lldx%lld pixels, over the "
                         "limit of %d per side (use fewer images or columns, or .npy)", path, n, cols, W, H,
                         GANC_IMG_MAX_SIDE);
    unsigned char *img = malloc((size_t)W * H * c);
    if (!img) return ganc_fail(GANC_ENOMEM, "%s: out of memory", path);
    memset(img, 255, (size_t)W * H * c);
    for (int i = 0; i < n; i++) {
        int r = i / cols, q = i % cols;
        for (int ch = 0; ch < c; ch++)
            for (int y = 0; y < h; y++)
                for (int xx = 0; xx < w; xx++) {
                    float v = x[(((size_t)i * c + ch) * h + y) * w + xx];
                    img[((size_t)(pad + r * (h + pad) + y) * W + pad + q * (w + pad) + xx) * c + ch] = to_u8(v);
                }
    }
    int rc = ganc_png_write(path, img, (int)W, (int)H, c);
    free(img);
    return rc;
}

void ganc_image_planes(const ganc_image_t *im, int nc, float *x) {
    const size_t hw = (size_t)im->w * im->h;
    const int alpha = im->c == 2 || im->c == 4;
    for (size_t i = 0; i < hw; i++) {
        const unsigned char *p = im->px + i * im->c;
        const float a = alpha ? p[im->c - 1] / 255.0f : 1.0f;
        float v[3];
        for (int k = 0; k < 3; k++) v[k] = (im->c >= 3 ? p[k] : p[0]) * a + 255.0f * (1 - a);
        if (nc == 1) x[i] = (0.299f * v[0] + 0.587f * v[1] + 0.114f * v[2]) / 127.5f - 1.0f;
        else
            for (int k = 0; k < 3; k++) x[k * hw + i] = v[k] / 127.5f - 1.0f;
    }
}

int ganc_planes_image(const float *x, int nc, int h, int w, ganc_image_t *img) {
    const size_t hw = (size_t)w * h;
    img->w = w;
    img->h = h;
    img->c = nc;
    if (!(img->px = malloc(hw * nc))) return ganc_fail(GANC_ENOMEM, "out of memory for a %dx%d image", w, h);
    for (size_t i = 0; i < hw; i++)
        for (int k = 0; k < nc; k++) {
            float v = (x[k * hw + i] + 1.0f) * 127.5f + 0.5f;
            img->px[i * nc + k] = v <= 0 ? 0 : v >= 255 ? 255 : (unsigned char)v;
        }
    return GANC_OK;
}

int ganc_image_shrink(const ganc_image_t *in, int k, ganc_image_t *out) {
    const int nc = in->c >= 3 ? 3 : 1, w = in->w / (k > 0 ? k : 1), h = in->h / (k > 0 ? k : 1);
    memset(out, 0, sizeof *out);
    if (k < 1 || k > 64 || w < 1 || h < 1)
        return ganc_fail(GANC_EINVAL, "shrink: a %dx%d image cannot be reduced %d times (1..64)", in->w, in->h, k);
    const size_t cw = (size_t)w * k, ch = (size_t)h * k; /* the top-left part that divides by k */
    float *x = malloc(sizeof(float) * nc * in->w * in->h), *y = malloc(sizeof(float) * nc * w * h);
    int rc = x && y ? GANC_OK : ganc_fail(GANC_ENOMEM, "shrink: out of memory for a %dx%d image", in->w, in->h);
    if (!rc) {
        ganc_image_planes(in, nc, x);
        if (cw != (size_t)in->w || ch != (size_t)in->h) /* compact the planes to (nc, ch, cw) in place */
            for (int c = 0; c < nc; c++)
                for (size_t r = 0; r < ch; r++)
                    memmove(x + (c * ch + r) * cw, x + ((size_t)c * in->h + r) * in->w, sizeof(float) * cw);
        rc = k == 1 ? GANC_OK : ganc_resize(x, nc, (int)ch, (int)cw, h, w, GANC_RESAMPLE_BICUBIC, y);
        if (!rc) rc = ganc_planes_image(k == 1 ? x : y, nc, h, w, out);
    }
    free(x);
    free(y);
    return rc;
}
