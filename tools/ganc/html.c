/* What the HTML pages need: escaping (every string from outside, file names and metadata included, goes through
   html_text or js_string), base64 for inlined images, and a small JSON reader for the study answers. */
#include <math.h>
#include <stdlib.h>
#include <string.h>
#include "cli.h"

void html_text(FILE *f, const char *s) {
    for (; s && *s; s++) switch (*s) {
        case '&': fputs("&amp;", f); break;
        case '<': fputs("&lt;", f); break;
        case '>': fputs("&gt;", f); break;
        case '"': fputs("&quot;", f); break;
        case '\'': fputs("&#39;", f); break;
        default: fputc(*s, f);
        }
}

void js_string(FILE *f, const char *s) {
    fputc('"', f);
    for (const unsigned char *p = (const unsigned char *)s; p && *p; p++) {
        if (*p == '"' || *p == '\\') fprintf(f, "\\%c", *p);
        else if (*p < 0x20 || *p == '<' || *p == '>' || *p == '&') fprintf(f, "\\u%04x", *p);
        else if (p[0] == 0xE2 && p[1] == 0x80 && (p[2] == 0xA8 || p[2] == 0xA9)) { fprintf(f, "\\u%04x", 0x2000 + p[2] - 0x80); p += 2; }
        else fputc(*p, f);
    }
    fputc('"', f);
}

void base64_out(FILE *f, const unsigned char *p, size_t n) {
    static const char t[] = "ABCDEFGHIJKLMNOPQRSTUVWXYZabcdefghijklmnopqrstuvwxyz0123456789+/";
    for (size_t i = 0; i < n; i += 3) {
        unsigned v = (unsigned)p[i] << 16 | (i + 1 < n ? (unsigned)p[i + 1] << 8 : 0) | (i + 2 < n ? p[i + 2] : 0);
        fputc(t[v >> 18 & 63], f);
        fputc(t[v >> 12 & 63], f);
        fputc(i + 1 < n ? t[v >> 6 & 63] : '=', f);
        fputc(i + 2 < n ? t[v & 63] : '=', f);
    }
}

int img_data_url(FILE *f, const float *x, int c, int h, int w) {
    unsigned char *hwc = malloc((size_t)h * w * c), *png;
    size_t n;
    if (!hwc) return ganc_fail(GANC_ENOMEM, "out of memory");
    for (int k = 0; k < c; k++)
        for (int i = 0; i < h * w; i++) {
            float v = (x[(size_t)k * h * w + i] + 1.0f) * 127.5f + 0.5f;
            hwc[(size_t)i * c + k] = v <= 0 ? 0 : v >= 255 ? 255 : (unsigned char)v;
        }
    int rc = ganc_png_encode(hwc, w, h, c, &png, &n);
    free(hwc);
    if (rc) return rc;
    fputs("data:image/png;base64,", f);
    base64_out(f, png, n);
    free(png);
    return GANC_OK;
}

