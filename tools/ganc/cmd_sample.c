/* ganc sample RUN|G.safetensors: draw images from a trained generator into .npy or a PNG grid. */
#include <math.h>
#include <stdio.h>
#include <stdlib.h>
#include <string.h>
#include "cli.h"

int cmd_sample(int argc, char **argv) {
    static const command_t cmd = {
        "sample", "sample RUN|G.safetensors --out FILE.npy|FILE.png [options]",
        "Generate images with a trained generator (dcgan, gan, cgan). RUN is a training folder (its G.safetensors\n"
        "is used) or a G.safetensors file, from ganc or saved from PyTorch (architecture from metadata, else from\n"
        "tensor shapes). .npy output is (N,C,H,W), uint8 by default or the raw float32 output in [-1,1]; .png\n"
        "writes a grid. A conditional model draws class --class K, or, without it, image i is of class i mod classes.",
        NULL};
    const char *out = NULL, *zpath = NULL, *dtype = "uint8", *bn = "eval";
    int n = 64, batch = 100, cols = 0, threads = 0, cls = -1, by_class = 0, sheet = 0;
    uint64_t seed = 1;
    flag_t flags[] = {
        {"out", F_STR, &out, "FILE", "output: .npy array or .png grid", 0, NULL, 0, 0, 0},
        {"n", F_INT, &n, NULL, "number of images", 0, NULL, 0, 1, 10000000},
        {"seed", F_U64, &seed, NULL, "noise seed", 0, NULL, 0, 0, 0},
        {"z", F_STR, &zpath, "FILE", "float32 .npy noise of shape (N,nz) or (N,nz,1,1) instead of drawing it", 0, NULL, 0, 0, 0},
        {"dtype", F_STR, &dtype, "T", ".npy element type: uint8 (0..255) or float32 (raw, [-1,1])", 0, NULL, 0, 0, 0},
        {"bn", F_STR, &bn, "MODE", "BatchNorm: eval (running statistics, like G.eval()) or batch (batch statistics)", 0, NULL, 0, 0, 0},
        {"batch", F_INT, &batch, NULL, "images per forward pass (with --bn batch this is the statistics batch)", 0, NULL, 0, 1, 65536},
        {"cols", F_INT, &cols, NULL, "grid columns (default: square)", 0, NULL, 0, 0, 4096},
        {"class", F_INT, &cls, "K", "conditional model: generate class K only", 0, NULL, 0, 0, 999},
        {"sheet", F_BOOL, &sheet, NULL, "a .png grid with each image's ID stamped on it, for ganc arith (same --seed)", 0, NULL, 0, 0, 0},
        {"grid-by-class", F_BOOL, &by_class, NULL, "conditional model: one row per class, one noise vector per column "
                                                   "(--n columns, default 10)", 0, NULL, 0, 0, 0},
        {"threads", F_INT, &threads, NULL, "threads (default: all cores)", 0, NULL, 0, 0, 1024},
    };
    const int nflags = (int)(sizeof flags / sizeof flags[0]);
    char *pos[1];
    int npos;
    int prc = parse_flags(&cmd, flags, nflags, argc, argv, pos, 1, &npos);
    if (prc) return prc == 1 ? 0 : 2;
    if (npos != 1 || !out) {
        fprintf(stderr, "ganc sample: need a run folder or G.safetensors and --out (see ganc sample --help)\n");
        return 2;
    }
    int is_npy = ends_with(out, ".npy"), is_png = ends_with(out, ".png");
    int f32 = !strcmp(dtype, "float32"), bn_batch = !strcmp(bn, "batch");
    if (!is_npy && !is_png) { fprintf(stderr, "ganc sample: --out must end in .npy or .png\n"); return 2; }
    if (!f32 && strcmp(dtype, "uint8")) { fprintf(stderr, "ganc sample: --dtype is uint8 or float32\n"); return 2; }
    if (!bn_batch && strcmp(bn, "eval")) { fprintf(stderr, "ganc sample: --bn is eval or batch\n"); return 2; }
    if (n < 1 || n > 10000000 || batch < 1 || batch > 65536 || cols < 0) {
        fprintf(stderr, "ganc sample: --n must be 1..10000000, --batch 1..65536\n");
        return 2;
    }
    ganc_set_threads(threads);
    char gpath[4096];
    ganc_gan_cfg_t cfg;
    int rc = 1, *labels = NULL;
    ganc_gan_io_t io;
    float *z = NULL, *x = NULL;
    ganc_net_t *g = open_generator(pos[0], batch, &cfg, &io, gpath, sizeof gpath);
    if (!g) { fprintf(stderr, "ganc sample: %s\n", ganc_errmsg()); return 1; }
    if ((cls >= 0 || by_class) && !cfg.n_classes) {
        fprintf(stderr, "ganc sample: %s is not a conditional model: --class/--grid-by-class do not apply\n", gpath);
        rc = 2;
        goto done;
    }
    if (cls >= cfg.n_classes || (flag_seen(flags, nflags, "class") && cls < 0)) {
        fprintf(stderr, "ganc sample: --class must be 0..%d for %s\n", cfg.n_classes - 1, gpath);
        rc = 2;
        goto done;
    }
    if (by_class && (cls >= 0 || zpath || !is_png)) {
        fprintf(stderr, "ganc sample: --grid-by-class writes a .png and takes neither --class nor --z\n");
        rc = 2;
        goto done;
    }
    if (sheet && (!is_png || zpath || by_class)) {
        fprintf(stderr, "ganc sample: --sheet writes a .png and takes neither --z nor --grid-by-class\n");
        rc = 2;
        goto done;
    }
    int gcols = 0;
    if (by_class) {
        gcols = flag_seen(flags, nflags, "n") ? n : 10;
        if (gcols > 1000) { fprintf(stderr, "ganc sample: at most 1000 columns\n"); rc = 2; goto done; }
        n = gcols * cfg.n_classes;
    }
    if (zpath) {
        int nd;
        int64_t sh[8];
        if (ganc_npy_read_f32(zpath, &nd, sh, &z)) { fprintf(stderr, "ganc sample: %s\n", ganc_errmsg()); goto done; }
        int okshape = (nd == 2 || (nd == 4 && sh[2] == 1 && sh[3] == 1)) && sh[1] == cfg.nz && sh[0] >= 1 &&
                      sh[0] <= 10000000;
        if (!okshape) {
            fprintf(stderr, "ganc sample: %s: noise must have shape (N,%d) or (N,%d,1,1)\n", zpath, cfg.nz, cfg.nz);
            goto done;
        }
        if (flag_seen(flags, nflags, "n") && n != sh[0]) {
            fprintf(stderr, "ganc sample: --n %d disagrees with the %lld noise vectors in %s\n", n, (long long)sh[0], zpath);
            goto done;
        }
        n = (int)sh[0];
    }
    const size_t img = (size_t)cfg.nc * cfg.size * cfg.size;
    x = malloc(sizeof(float) * img * n);
    if (!x) { fprintf(stderr, "ganc sample: out of memory for %d images\n", n); goto done; }
    ganc_rng_t rng;
    ganc_rng_seed(&rng, seed);
    if (cfg.n_classes) {
        labels = malloc(sizeof(int) * n);
        if (!labels) { fprintf(stderr, "ganc sample: out of memory\n"); goto done; }
        for (int i = 0; i < n; i++) labels[i] = by_class ? i / gcols : cls >= 0 ? cls : i % cfg.n_classes;
    }
    if (by_class) { /* the same noise vector down each column */
        z = malloc(sizeof(float) * n * cfg.nz);
        if (!z) { fprintf(stderr, "ganc sample: out of memory\n"); goto done; }
        ganc_rng_fill_normal(&rng, z, (size_t)gcols * cfg.nz, 0.0f, 1.0f);
        for (int i = gcols; i < n; i++) memcpy(z + (size_t)i * cfg.nz, z + (size_t)(i % gcols) * cfg.nz, sizeof(float) * cfg.nz);
    }
    if (sheet) { /* all the noise first, in one stream: image i has the i-th nz-block (ganc arith relies on it) */
        z = malloc(sizeof(float) * n * cfg.nz);
        if (!z) { fprintf(stderr, "ganc sample: out of memory\n"); goto done; }
        ganc_rng_fill_normal(&rng, z, (size_t)n * cfg.nz, 0.0f, 1.0f);
    }
    if (ganc_gan_sample(g, &io, &cfg, n, z, labels, &rng, bn_batch, x)) {
        fprintf(stderr, "ganc sample: %s\n", ganc_errmsg());
        goto done;
    }
    int wrc;
    if (is_png) {
        int c = by_class ? gcols : cols ? cols : (int)ceil(sqrt((double)n));
        for (int i = 0; sheet && i < n; i++) draw_id(x + img * i, cfg.nc, cfg.size, cfg.size, i);
        wrc = ganc_grid_png(out, x, n, cfg.nc, cfg.size, cfg.size, c);
    } else {
        int64_t shape[4] = {n, cfg.nc, cfg.size, cfg.size};
        if (f32) wrc = ganc_npy_write(out, GANC_F32, 4, shape, x);
        else {
            unsigned char *u = malloc(img * n);
            if (!u) { fprintf(stderr, "ganc sample: out of memory\n"); goto done; }
            for (size_t i = 0; i < img * n; i++) {
                float s = (x[i] + 1.0f) * 127.5f + 0.5f;
                u[i] = s <= 0.0f ? 0 : s >= 255.0f ? 255 : (unsigned char)s;
            }
            wrc = ganc_npy_write(out, GANC_U8, 4, shape, u);
            free(u);
        }
    }
    if (wrc) { fprintf(stderr, "ganc sample: %s\n", ganc_errmsg()); goto done; }
    printf("wrote %d images (%dx%dx%d, BatchNorm %s) to %s\n", n, cfg.nc, cfg.size, cfg.size, bn, out);
    rc = 0;
done:
    free(z); free(x); free(labels);
    ganc_net_free(g);
    return rc;
}
