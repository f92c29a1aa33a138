/* The DCGAN paper's latent-space figures: ganc interp (walks between random points) and ganc arith (vector
   arithmetic on the averaged latent vectors of chosen samples). Both regenerate the noise of a numbered sample
   sheet (ganc sample --sheet) from its seed: image i of a sheet has the i-th nz-block of the N(0,1) stream. */
#include <math.h>
#include <stdio.h>
#include <stdlib.h>
#include <string.h>
#include "cli.h"

int cmd_interp(int argc, char **argv) {
    static const command_t cmd = {
        "interp", "interp RUN|G.safetensors --out walk.png [--steps 10] [--rows 8] [--mode slerp|lerp]",
        "Latent walks: each row goes from one random latent point to another in --steps images (both ends\n"
        "included), by spherical (default) or linear interpolation. Smooth rows, with no sudden jumps or copies\n"
        "of training images, are the DCGAN paper's evidence against memorisation. A conditional model keeps one\n"
        "class per row (row r: class r mod classes).", NULL};
    const char *out = NULL, *mode = "slerp";
    int steps = 10, rows = 8, threads = 0;
    uint64_t seed = 1;
    flag_t flags[] = {
        {"out", F_STR, &out, "FILE", "output grid (.png), one walk per row", 0, NULL, 0, 0, 0},
        {"steps", F_INT, &steps, NULL, "images per walk", 0, NULL, 0, 2, 100},
        {"rows", F_INT, &rows, NULL, "walks", 0, NULL, 0, 1, 100},
        {"mode", F_STR, &mode, "M", "slerp or lerp", 0, NULL, 0, 0, 0},
        {"seed", F_U64, &seed, NULL, "seed of the end points", 0, NULL, 0, 0, 0},
        {"threads", F_INT, &threads, NULL, "threads (default: all cores)", 0, NULL, 0, 0, 1024},
    };
    const int nflags = (int)(sizeof flags / sizeof flags[0]);
    char *pos[1];
    int npos;
    int prc = parse_flags(&cmd, flags, nflags, argc, argv, pos, 1, &npos);
    if (prc) return prc == 1 ? 0 : 2;
    if (npos != 1 || !out || !ends_with(out, ".png")) { fprintf(stderr, "ganc interp: need RUN and --out FILE.png\n"); return 2; }
    if (steps < 2 || steps > 100 || rows < 1 || rows > 100) { fprintf(stderr, "ganc interp: --steps 2..100, --rows 1..100\n"); return 2; }
    int slerp = !strcmp(mode, "slerp");
    if (!slerp && strcmp(mode, "lerp")) { fprintf(stderr, "ganc interp: --mode is slerp or lerp\n"); return 2; }
    if (dry_run()) return 0;
    ganc_set_threads(threads);
    char gpath[4096];
    ganc_gan_cfg_t cfg;
    ganc_gan_io_t io;
    ganc_net_t *g = open_generator(pos[0], 100, &cfg, &io, gpath, sizeof gpath);
    if (!g) { fprintf(stderr, "ganc interp: %s\n", ganc_errmsg()); return 1; }
    const int n = rows * steps, nz = cfg.nz;
    const size_t img = (size_t)cfg.nc * cfg.size * cfg.size;
    float *ends = malloc(sizeof(float) * 2 * rows * nz), *z = malloc(sizeof(float) * n * nz);
    float *x = malloc(sizeof(float) * img * n);
    int *lab = malloc(sizeof(int) * n), rc = 1;
    if (!ends || !z || !x || !lab) { fprintf(stderr, "ganc interp: out of memory\n"); goto done; }
    ganc_rng_t r;
    ganc_rng_seed(&r, seed);
    ganc_rng_fill_normal(&r, ends, (size_t)2 * rows * nz, 0.0f, 1.0f);
    for (int i = 0; i < rows; i++)
        for (int s = 0; s < steps; s++) {
            float t = (float)s / (float)(steps - 1);
            (slerp ? ganc_slerp : ganc_lerp)(ends + (size_t)2 * i * nz, ends + (size_t)(2 * i + 1) * nz, nz, t,
                                             z + (size_t)(i * steps + s) * nz);
            lab[i * steps + s] = cfg.n_classes ? i % cfg.n_classes : 0;
        }
    if (ganc_gan_sample(g, &io, &cfg, n, z, cfg.n_classes ? lab : NULL, NULL, 0, x) ||
        ganc_grid_png(out, x, n, cfg.nc, cfg.size, cfg.size, steps)) {
        fprintf(stderr, "ganc interp: %s\n", ganc_errmsg());
        goto done;
    }
    printf("wrote %s: %d walks of %d steps (%s, seed %llu)\n", out, rows, steps, mode, (unsigned long long)seed);
    rc = 0;
done:
    free(ends); free(z); free(x); free(lab);
    ganc_net_free(g);
    return rc;
}

/* "3,17,22" -> ids (at most max) */
static int parse_ids(const char *s, int *ids, int max, int limit) {
    char buf[512];
    snprintf(buf, sizeof buf, "%s", s);
    int n = 0;
    for (char *t = strtok(buf, ","); t; t = strtok(NULL, ",")) {
        char *e;
        long v = strtol(t, &e, 10);
        if (*e || v < 0 || v >= limit || n >= max) return -1;
        ids[n++] = (int)v;
    }
    return n;
}

int cmd_arith(int argc, char **argv) {
    static const command_t cmd = {
        "arith", "arith RUN --a IDS --b IDS --c IDS --out fig.png [--seed S] [--sheet-n N]",
        "Vector arithmetic as in the DCGAN paper: the latent vectors of the samples with the given IDs (from a\n"
        "sheet written by `ganc sample RUN --sheet sheet.png --seed S --n N`) are averaged per concept, and\n"
        "Y = mean(A) - mean(B) + mean(C) is decoded together with 7 neighbours Y + U(-0.25, 0.25) noise.\n"
        "Figure rows: the A samples and G(mean A) (last column), the same for B and C, then G(Y) and its\n"
        "neighbours. The ID lists take 1..7 comma-separated numbers.", NULL};
    const char *out = NULL, *as = NULL, *bs = NULL, *cs = NULL;
    int sheet_n = 64, threads = 0;
    uint64_t seed = 1;
    flag_t flags[] = {
        {"a", F_STR, &as, "IDS", "sample IDs of concept A (e.g. 3,17,22)", 0, NULL, 0, 0, 0},
        {"b", F_STR, &bs, "IDS", "sample IDs of concept B (subtracted)", 0, NULL, 0, 0, 0},
        {"c", F_STR, &cs, "IDS", "sample IDs of concept C (added)", 0, NULL, 0, 0, 0},
        {"out", F_STR, &out, "FILE", "output figure (.png)", 0, NULL, 0, 0, 0},
        {"seed", F_U64, &seed, NULL, "the sheet's seed", 0, NULL, 0, 0, 0},
        {"sheet-n", F_INT, &sheet_n, NULL, "the sheet's image count (IDs are below it)", 0, NULL, 0, 1, 100000},
        {"threads", F_INT, &threads, NULL, "threads (default: all cores)", 0, NULL, 0, 0, 1024},
    };
    const int nflags = (int)(sizeof flags / sizeof flags[0]);
    char *pos[1];
    int npos;
    int prc = parse_flags(&cmd, flags, nflags, argc, argv, pos, 1, &npos);
    if (prc) return prc == 1 ? 0 : 2;
    if (npos != 1 || !out || !as || !bs || !cs || !ends_with(out, ".png")) {
        fprintf(stderr, "ganc arith: need RUN, --a, --b, --c and --out FILE.png (see ganc arith --help)\n");
        return 2;
    }
    if (sheet_n < 1 || sheet_n > 100000) { fprintf(stderr, "ganc arith: --sheet-n must be 1..100000\n"); return 2; }
    int ids[3][7], cnt[3];
    const char *lists[3] = {as, bs, cs};
    for (int k = 0; k < 3; k++)
        if ((cnt[k] = parse_ids(lists[k], ids[k], 7, sheet_n)) < 1) {
            fprintf(stderr, "ganc arith: --%c '%s': 1..7 IDs in 0..%d\n", 'a' + k, lists[k], sheet_n - 1);
            return 2;
        }
    if (dry_run()) return 0;
    ganc_set_threads(threads);
    char gpath[4096];
    ganc_gan_cfg_t cfg;
    ganc_gan_io_t io;
    ganc_net_t *g = open_generator(pos[0], 32, &cfg, &io, gpath, sizeof gpath);
    if (!g) { fprintf(stderr, "ganc arith: %s\n", ganc_errmsg()); return 1; }
    int rc = 1;
    const int nz = cfg.nz, cols = 8, n = 4 * cols;
    const size_t img = (size_t)cfg.nc * cfg.size * cfg.size;
    float *zs = malloc(sizeof(float) * (size_t)sheet_n * nz), *z = calloc((size_t)n * nz, sizeof(float));
    float *x = malloc(sizeof(float) * img * n), *mean = calloc((size_t)3 * nz, sizeof(float));
    int *lab = calloc((size_t)n, sizeof(int));
    if (!zs || !z || !x || !mean || !lab) { fprintf(stderr, "ganc arith: out of memory\n"); goto done; }
    if (cfg.n_classes) { fprintf(stderr, "ganc arith: %s is conditional; arithmetic is on unconditional models\n", gpath); goto done; }
    ganc_rng_t r;
    ganc_rng_seed(&r, seed);
    ganc_rng_fill_normal(&r, zs, (size_t)sheet_n * nz, 0.0f, 1.0f); /* as `ganc sample --sheet` draws it */
    for (int k = 0; k < 3; k++) {
        for (int j = 0; j < cnt[k]; j++) {
            memcpy(z + (size_t)(k * cols + j) * nz, zs + (size_t)ids[k][j] * nz, sizeof(float) * nz);
            for (int q = 0; q < nz; q++) mean[k * nz + q] += zs[(size_t)ids[k][j] * nz + q] / cnt[k];
        }
        memcpy(z + (size_t)(k * cols + cols - 1) * nz, mean + (size_t)k * nz, sizeof(float) * nz);
    }
    float *y = z + (size_t)3 * cols * nz;
    for (int q = 0; q < nz; q++) y[q] = mean[q] - mean[nz + q] + mean[2 * nz + q];
    ganc_rng_t nr;
    ganc_rng_seed(&nr, seed + 1);
    for (int j = 1; j < cols; j++) {
        float *zj = y + (size_t)j * nz;
        ganc_rng_fill_uniform(&nr, zj, nz, -0.25f, 0.25f);
        for (int q = 0; q < nz; q++) zj[q] += y[q];
    }
    if (ganc_gan_sample(g, &io, &cfg, n, z, NULL, NULL, 0, x)) { fprintf(stderr, "ganc arith: %s\n", ganc_errmsg()); goto done; }
    for (int k = 0; k < 3; k++) /* empty cells black */
        for (int j = cnt[k]; j < cols - 1; j++)
            for (size_t q = 0; q < img; q++) x[img * (k * cols + j) + q] = -1.0f;
    if (ganc_grid_png(out, x, n, cfg.nc, cfg.size, cfg.size, cols)) { fprintf(stderr, "ganc arith: %s\n", ganc_errmsg()); goto done; }
    printf("wrote %s: A(%s) - B(%s) + C(%s), sheet seed %llu; rows A, B, C (mean in the last column), then the "
           "result and 7 neighbours\n", out, as, bs, cs, (unsigned long long)seed);
    rc = 0;
done:
    free(zs); free(z); free(x); free(mean); free(lab);
    ganc_net_free(g);
    return rc;
}
