/* ganc synth digits: labelled synthetic digits rendered through FreeType (ganc_synth_digits), written as a
   labelled-array folder (images.npy uint8 (N,1,S,S), labels.npy int64 (N,)) and a preview grid.
   ganc refine RUN --in DIR --out DIR2: a trained SimGAN refiner applied to such a folder; same order, same labels. */
#include <stdio.h>
#include <stdlib.h>
#include <string.h>
#include <sys/stat.h>
#include "cli.h"
#include "train.h"

/* fonts Debian ships (fonts-dejavu-core, fonts-liberation2; scripts/setup.sh installs them): those present */
static const char *const default_fonts[] = {
    "/usr/share/fonts/truetype/dejavu/DejaVuSans.ttf",           "/usr/share/fonts/truetype/dejavu/DejaVuSans-Bold.ttf",
    "/usr/share/fonts/truetype/dejavu/DejaVuSansMono.ttf",       "/usr/share/fonts/truetype/dejavu/DejaVuSerif.ttf",
    "/usr/share/fonts/truetype/dejavu/DejaVuSerif-Bold.ttf",     "/usr/share/fonts/truetype/liberation2/LiberationSans-Regular.ttf",
    "/usr/share/fonts/truetype/liberation2/LiberationSerif-Regular.ttf",
    "/usr/share/fonts/truetype/liberation2/LiberationMono-Regular.ttf",
    "/usr/share/fonts/truetype/liberation2/LiberationSans-Bold.ttf",
};
#define NDEFAULT ((int)(sizeof default_fonts / sizeof default_fonts[0]))
#define MAX_FONTS 64

int write_labelled(const char *dir, const unsigned char *px, const int *labels, int n, int c, int s) {
    char path[4096];
    int64_t *lab = malloc(sizeof(int64_t) * n);
    float *pre = malloc(sizeof(float) * (size_t)(n < 100 ? n : 100) * c * s * s);
    int rc = !lab || !pre ? ganc_fail(GANC_ENOMEM, "out of memory")
             : mkdir_p(dir) ? ganc_fail(GANC_EIO, "%s: cannot create the folder", dir) : GANC_OK;
    for (int i = 0; i < n && lab && labels; i++) lab[i] = labels[i];
    if (!rc) rc = join_path(path, sizeof path, dir, "images.npy");
    if (!rc) rc = ganc_npy_write(path, GANC_U8, 4, (const int64_t[]){n, c, s, s}, px);
    if (!rc) rc = join_path(path, sizeof path, dir, "labels.npy");
    if (!rc && labels) rc = ganc_npy_write(path, GANC_I64, 1, (const int64_t[]){n}, lab);
    const int np = n < 100 ? n : 100;
    for (size_t i = 0; !rc && i < (size_t)np * c * s * s; i++) pre[i] = px[i] / 127.5f - 1.0f;
    if (!rc) rc = join_path(path, sizeof path, dir, "preview.png");
    if (!rc) rc = ganc_grid_png(path, pre, np, c, s, s, 10);
    free(lab);
    free(pre);
    return rc;
}

int cmd_synth(int argc, char **argv) {
    static const command_t cmd = {
        "synth", "synth digits --out DIR [--n N] [--seed S] [--size S] [--mono] [--fonts FILE[,FILE...]]",
        "Render N labelled synthetic digits through FreeType (SimGAN's synthetic domain): digit i % 10 in a random\n"
        "font of the list, height 85-100% of the image, aspect 0.8-1.2, rotation +-15 degrees, shear +-0.3, stroke\n"
        "thinner or bolder, offset +-0.5 pixel; drawn at 4x and box-averaged; bright ink on black. The same seed gives\n"
        "the same bytes (--mono: no anti-aliasing, black or white pixels). DIR gets images.npy (uint8 N,1,S,S), labels.npy (int64 N) and preview.png (the first 100):\n"
        "a labelled-array folder every --data flag reads. Default fonts: Debian's DejaVu and Liberation (those\n"
        "installed; scripts/setup.sh installs fonts-dejavu-core and fonts-liberation2).", NULL};
    const char *out = NULL, *fonts = NULL;
    int n = 10000, size = 8, threads = 0, mono = 0;
    uint64_t seed = 1;
    flag_t flags[] = {
        {"out", F_STR, &out, "DIR", "folder to write", 0, NULL, 0, 0, 0},
        {"n", F_INT, &n, NULL, "images", 0, NULL, 0, 1, 1 << 24},
        {"seed", F_U64, &seed, NULL, "random seed", 0, NULL, 0, 0, 0},
        {"size", F_INT, &size, NULL, "side in pixels (8: scikit-learn's digits)", 0, NULL, 0, 4, 256},
        {"fonts", F_STR, &fonts, "FILES", "comma-separated TrueType/OpenType files (each with the ten digits)", 0, NULL,
         0, 0, 0},
        {"mono", F_BOOL, &mono, NULL, "no anti-aliasing: each pixel black or white (its centre's coverage)", 0, NULL,
         0, 0, 0},
        {"threads", F_INT, &threads, NULL, "unused (rendering is one thread); accepted for symmetry", 0, NULL, 0, 0, 1024},
    };
    char *pos[1];
    int npos, prc = parse_flags(&cmd, flags, (int)(sizeof flags / sizeof flags[0]), argc, argv, pos, 1, &npos);
    if (prc) return prc == 1 ? 0 : 2;
    if (npos != 1 || strcmp(pos[0], "digits")) {
        fprintf(stderr, "ganc synth: the one kind is `digits` (ganc synth digits --out DIR)\n");
        return 2;
    }
    if (!out || !*out) { fprintf(stderr, "ganc synth: --out DIR is required\n"); return 2; }
    const char *list[MAX_FONTS];
    char *copy = fonts ? strdup(fonts) : NULL;
    int nf = 0;
    struct stat st;
    if (fonts) {
        for (char *tok = strtok(copy, ","); tok && nf < MAX_FONTS; tok = strtok(NULL, ","))
            if (*tok) list[nf++] = tok;
        for (int i = 0; i < nf; i++)
            if (stat(list[i], &st) != 0) {
                fprintf(stderr, "ganc synth: font %s not found\n", list[i]);
                free(copy);
                return 2;
            }
    } else
        for (int i = 0; i < NDEFAULT; i++)
            if (stat(default_fonts[i], &st) == 0) list[nf++] = default_fonts[i];
    if (nf == 0) {
        fprintf(stderr, "ganc synth: no fonts%s (Debian: apt-get install fonts-dejavu-core fonts-liberation2, or "
                        "--fonts FILE,...)\n", fonts ? " in --fonts" : " found");
        free(copy);
        return 2;
    }
    if (!ganc_have_freetype()) {
        fprintf(stderr, "ganc synth: %s\n", (ganc_synth_digits(0, 0, 0, NULL, 0, 0, NULL, NULL), ganc_errmsg()));
        free(copy);
        return 1;
    }
    if (dry_run()) { free(copy); return 0; }
    unsigned char *px = malloc((size_t)n * size * size);
    int *labels = malloc(sizeof(int) * n), rc = 1;
    double t0 = now_s();
    if (!px || !labels) fprintf(stderr, "ganc synth: out of memory for %d images\n", n);
    else if (ganc_synth_digits(n, seed, size, list, nf, mono ? GANC_SYNTH_MONO : 0, px, labels) || write_labelled(out, px, labels, n, 1, size))
        fprintf(stderr, "ganc synth: %s\n", ganc_errmsg());
    else {
        printf("wrote %d synthetic digits (%dx%d, %d fonts, seed %llu) to %s/images.npy, labels.npy, preview.png in "
               "%.1f s\n", n, size, size, nf, (unsigned long long)seed, out, now_s() - t0);
        rc = 0;
    }
    free(px);
    free(labels);
    free(copy);
    return rc;
}

/* --figure: rows of synthetic, refined and real images, one column per class (the first image of each class in
   each set; real labels are used only to pick what to show), each pixel drawn as zoom x zoom */
enum { FIG_COLS = 10 };
static int write_figure(const char *path, const ganc_dataset_t *syn, const float *ref, const char *real_src, int zoom) {
    const int s = syn->h, c = syn->c, z = s * zoom;
    const size_t per = (size_t)c * s * s, zper = (size_t)c * z * z;
    ganc_dataset_t real;
    if (ganc_dataset_load(&real, real_src, s, c, 0)) return GANC_EINVAL;
    float *g = calloc(3 * FIG_COLS * zper, sizeof(float));
    int rc = g ? GANC_OK : ganc_fail(GANC_ENOMEM, "out of memory");
    for (int j = 0; !rc && j < FIG_COLS; j++) {
        int is = j % syn->n, ir = j % real.n;
        for (int k = syn->n - 1; syn->labels && k >= 0; k--) if (syn->labels[k] == j) is = k;
        for (int k = real.n - 1; real.labels && k >= 0; k--) if (real.labels[k] == j) ir = k;
        const float *src[3] = {syn->x + per * is, ref + per * is, real.x + per * ir};
        for (int row = 0; row < 3; row++)
            for (int k = 0; k < c; k++)
                for (int y = 0; y < z; y++)
                    for (int x = 0; x < z; x++)
                        g[zper * (row * FIG_COLS + j) + ((size_t)k * z + y) * z + x] =
                            src[row][((size_t)k * s + y / zoom) * s + x / zoom];
    }
    if (!rc) rc = ganc_grid_png(path, g, 3 * FIG_COLS, c, z, z, FIG_COLS);
    free(g);
    ganc_dataset_free(&real);
    return rc;
}

int cmd_refine(int argc, char **argv) {
    static const command_t cmd = {
        "refine", "refine RUN|R.safetensors --in DIR --out DIR2",
        "Refine labelled synthetic images with a trained SimGAN refiner (ganc train simgan): DIR2 gets images.npy with\n"
        "R(x) for every image of DIR (at the refiner's size and channels, as bytes), in the same order, and DIR's\n"
        "labels unchanged in labels.npy (none when DIR has none), plus preview.png. DIR: any --data source (a\n"
        "labelled-array folder, a PNG folder). --figure FILE: a PNG of synthetic / refined / real rows, one column\n"
        "per class 0-9 (--real SRC, default sklearn-digits; its labels only pick the column).", NULL};
    const char *in = NULL, *out = NULL, *figure = NULL, *real = "sklearn-digits";
    int threads = 0, zoom = 8;
    flag_t flags[] = {
        {"in", F_STR, &in, "DIR", "the synthetic images", 0, NULL, 0, 0, 0},
        {"out", F_STR, &out, "DIR2", "folder to write", 0, NULL, 0, 0, 0},
        {"figure", F_STR, &figure, "FILE", "also write synthetic / refined / real rows to this PNG", 0, NULL, 0, 0, 0},
        {"real", F_STR, &real, "SRC", "the real images of --figure", 0, NULL, 0, 0, 0},
        {"zoom", F_INT, &zoom, NULL, "--figure: pixels per image pixel", 0, NULL, 0, 1, 64},
        {"threads", F_INT, &threads, NULL, "threads (default: all cores)", 0, NULL, 0, 0, 1024},
    };
    char *pos[1];
    int npos, prc = parse_flags(&cmd, flags, (int)(sizeof flags / sizeof flags[0]), argc, argv, pos, 1, &npos);
    if (prc) return prc == 1 ? 0 : 2;
    if (npos != 1 || !in || !out) {
        fprintf(stderr, "ganc refine: expected RUN (or R.safetensors), --in DIR and --out DIR2\n");
        return 2;
    }
    if (dry_run()) return 0;
    ganc_set_threads(threads);
    char path[4096];
    snprintf(path, sizeof path, "%s%s", pos[0], is_dir(pos[0]) ? "/R.safetensors" : "");
    ganc_st_t *st = NULL;
    ganc_simgan_cfg_t c = ganc_simgan_default_cfg();
    ganc_dataset_t ds = {0};
    float *y = NULL;
    unsigned char *px = NULL;
    int rc = 1;
    size_t per = 0;
    if (ganc_st_open(&st, path) || ganc_simgan_cfg_from_file(st, &c) || ganc_dataset_load(&ds, in, c.size, c.nc, 0)) {
        fprintf(stderr, "ganc refine: %s\n", ganc_errmsg());
        goto done;
    }
    per = (size_t)c.nc * c.size * c.size;
    y = malloc(sizeof(float) * per * ds.n);
    px = malloc(per * ds.n);
    if (!y || !px) { fprintf(stderr, "ganc refine: out of memory\n"); goto done; }
    if (ganc_simgan_refine(st, ds.x, ds.n, y)) { fprintf(stderr, "ganc refine: %s\n", ganc_errmsg()); goto done; }
    for (size_t i = 0; i < per * ds.n; i++) {
        const float q = (y[i] + 1.0f) * 127.5f + 0.5f;
        px[i] = q <= 0.0f ? 0 : q >= 255.0f ? 255 : (unsigned char)q;
    }
    if (write_labelled(out, px, ds.labels, ds.n, c.nc, c.size)) {
        fprintf(stderr, "ganc refine: %s\n", ganc_errmsg());
    } else {
        printf("refined %d images of %s with %s into %s%s\n", ds.n, in, path, out,
               ds.labels ? " (labels kept)" : " (the input has no labels: no labels.npy)");
        rc = 0;
        if (figure && write_figure(figure, &ds, y, real, zoom)) {
            fprintf(stderr, "ganc refine: --figure: %s\n", ganc_errmsg());
            rc = 1;
        } else if (figure)
            printf("wrote %s (rows: synthetic, refined, real)\n", figure);
    }
done:
    free(y);
    free(px);
    ganc_dataset_free(&ds);
    ganc_st_free(st);
    return rc;
}
