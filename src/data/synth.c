/* Synthetic labelled digits rendered through FreeType (SimGAN's "synthetic" domain). Each sample is drawn from its
   own stream (seed, index), so the set is the same for a seed whatever the thread count, and sample i does not
   depend on n. A glyph is rendered at 4x the working size with a random font, height (85-100% of the image, as
   the real digits are normalised to fill theirs), aspect, rotation, shear and stroke weight (FreeType's outline
   emboldening, thinner or bolder), placed with a random offset of up to half a pixel, and box-averaged down to size
   x size: bright ink on black, like ganc's view of the real digits. Built without FreeType,
   ganc_synth_digits says so. */
#include <math.h>
#include <stdlib.h>
#include <string.h>
#include "ganc.h"

#ifdef GANC_HAVE_FREETYPE
#include <ft2build.h>
#include FT_FREETYPE_H
#include FT_OUTLINE_H

enum { SS = 4 }; /* supersampling factor */

/* render digit '0'+d with the outline transform m (16.16) at pixel size ppem, emboldened by bold (26.6);
   the bitmap stays in face->glyph */
static int render(FT_Face face, int d, FT_Matrix *m, int ppem, FT_Pos bold) {
    FT_Set_Transform(face, m, NULL);
    if (FT_Set_Pixel_Sizes(face, 0, (FT_UInt)ppem) ||
        FT_Load_Char(face, (FT_ULong)('0' + d), FT_LOAD_NO_BITMAP | FT_LOAD_NO_HINTING) ||
        face->glyph->format != FT_GLYPH_FORMAT_OUTLINE)
        return -1;
    if (bold && FT_Outline_Embolden(&face->glyph->outline, bold)) return -1;
    return FT_Render_Glyph(face->glyph, FT_RENDER_MODE_NORMAL) ? -1 : 0;
}

/* one sample into out (size*size bytes): 0 or -1 when the font cannot render it */
static int draw(FT_Face face, int d, ganc_rng_t *r, int size, int mono, unsigned char *canvas, unsigned char *out) {
    const int S = size * SS;
    const double height = S * (0.85 + 0.15 * ganc_rng_uniform(r)), aspect = 0.8 + 0.4 * ganc_rng_uniform(r);
    const double rot = (ganc_rng_uniform(r) * 2 - 1) * 15 * M_PI / 180, shear = (ganc_rng_uniform(r) * 2 - 1) * 0.3;
    const double weight = ganc_rng_uniform(r) * 2 - 0.5; /* -0.5 thinnest .. 1.5 boldest */
    const double dx = ganc_rng_uniform(r) - 0.5, dy = ganc_rng_uniform(r) - 0.5;
    /* m = rotation x shear x aspect */
    const double c = cos(rot), s = sin(rot);
    const double a = aspect, b = shear;
    FT_Matrix m = {(FT_Fixed)lround(65536 * c * a), (FT_Fixed)lround(65536 * (c * b - s)),
                   (FT_Fixed)lround(65536 * s * a), (FT_Fixed)lround(65536 * (s * b + c))};
    /* first at ppem S to measure, then at the size that gives the drawn height */
    if (render(face, d, &m, S, 0) || face->glyph->bitmap.rows == 0) return -1;
    int ppem = (int)lround(S * height / face->glyph->bitmap.rows);
    ppem = ppem < 4 ? 4 : ppem > 4 * S ? 4 * S : ppem;
    const FT_Pos bold = (FT_Pos)lround(weight * 0.045 * ppem * 64);
    if (render(face, d, &m, ppem, bold)) return -1;
    const FT_Bitmap *bm = &face->glyph->bitmap;
    memset(canvas, 0, (size_t)S * S);
    const int bw = (int)bm->width, bh = (int)bm->rows;
    const int x0 = (S - bw) / 2 + (int)lround(dx * SS), y0 = (S - bh) / 2 + (int)lround(dy * SS);
    for (int y = 0; y < bh; y++)
        for (int x = 0; x < bw; x++) {
            const int cx = x0 + x, cy = y0 + y;
            if (cx < 0 || cy < 0 || cx >= S || cy >= S) continue;
            canvas[(size_t)cy * S + cx] = bm->buffer[(size_t)y * bm->pitch + x];
        }
    if (mono) { /* no anti-aliasing: the coverage at each pixel's centre, thresholded */
        for (int y = 0; y < size; y++)
            for (int x = 0; x < size; x++)
                out[y * size + x] = canvas[(size_t)(y * SS + SS / 2) * S + x * SS + SS / 2] >= 128 ? 255 : 0;
        return 0;
    }
    for (int y = 0; y < size; y++)
        for (int x = 0; x < size; x++) {
            int sum = 0;
            for (int v = 0; v < SS; v++)
                for (int u = 0; u < SS; u++) sum += canvas[(size_t)(y * SS + v) * S + x * SS + u];
            out[y * size + x] = (unsigned char)((sum + SS * SS / 2) / (SS * SS));
        }
    return 0;
}

int ganc_synth_digits(int n, uint64_t seed, int size, const char *const *fonts, int nfonts, int flags,
                      unsigned char *px, int *labels) {
    if (n < 1 || n > (1 << 24) || size < 4 || size > 256 || nfonts < 1 || nfonts > 256)
        return ganc_fail(GANC_EINVAL, "synth: n 1..2^24, size 4..256 and 1..256 fonts (got %d, %d, %d)", n, size,
                         nfonts);
    FT_Library lib;
    if (FT_Init_FreeType(&lib)) return ganc_fail(GANC_EIO, "synth: FreeType failed to start");
    FT_Face *face = calloc((size_t)nfonts, sizeof *face);
    unsigned char *canvas = malloc((size_t)size * SS * size * SS);
    int rc = face && canvas ? GANC_OK : ganc_fail(GANC_ENOMEM, "synth: out of memory");
    for (int f = 0; !rc && f < nfonts; f++) { /* every font must open and draw all ten digits */
        if (FT_New_Face(lib, fonts[f], 0, &face[f])) {
            face[f] = NULL;
            rc = ganc_fail(GANC_EIO, "%s: not a font FreeType can open", fonts[f]);
            break;
        }
        for (int d = 0; d < 10 && !rc; d++)
            if (!FT_Get_Char_Index(face[f], (FT_ULong)('0' + d)))
                rc = ganc_fail(GANC_EFORMAT, "%s: the font has no glyph for '%d'", fonts[f], d);
    }
    /* FreeType faces are not shared between threads: one pass, each sample from its own stream */
    for (int i = 0; !rc && i < n; i++) {
        ganc_rng_t r;
        ganc_rng_seed(&r, seed * 0x9E3779B97F4A7C15ull + (uint64_t)i);
        const int d = i % 10, f = (int)ganc_rng_below(&r, (uint32_t)nfonts);
        if (draw(face[f], d, &r, size, flags & GANC_SYNTH_MONO, canvas, px + (size_t)i * size * size))
            rc = ganc_fail(GANC_EFORMAT, "%s: FreeType could not render '%d'", fonts[f], d);
        labels[i] = d;
    }
    for (int f = 0; face && f < nfonts; f++)
        if (face[f]) FT_Done_Face(face[f]);
    FT_Done_FreeType(lib);
    free(face);
    free(canvas);
    return rc;
}
#else
int ganc_synth_digits(int n, uint64_t seed, int size, const char *const *fonts, int nfonts, int flags,
                      unsigned char *px, int *labels) {
    (void)n; (void)seed; (void)size; (void)fonts; (void)nfonts; (void)flags; (void)px; (void)labels;
    return ganc_fail(GANC_EINVAL, "synth: this ganc was built without FreeType (Debian: apt-get install "
                                  "libfreetype-dev, then rebuild; scripts/setup.sh does both)");
}
#endif

int ganc_have_freetype(void) {
#ifdef GANC_HAVE_FREETYPE
    return 1;
#else
    return 0;
#endif
}
