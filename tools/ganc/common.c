/* Small helpers shared by the subcommands. */
#include <string.h>
#include <sys/stat.h>
#include "cli.h"

int use_device(const char *cmd, const char *device) {
    if (ganc_set_device(device)) {
        fprintf(stderr, "ganc %s: --device: %s\n", cmd, ganc_errmsg());
        return 2;
    }
    return 0;
}

int ends_with(const char *s, const char *suf) {
    size_t a = strlen(s), b = strlen(suf);
    return a >= b && !strcmp(s + a - b, suf);
}

int is_dir(const char *p) {
    struct stat st;
    return stat(p, &st) == 0 && S_ISDIR(st.st_mode);
}

/* G or D of a run folder (RUN/G.safetensors, RUN/D.safetensors) or a file, built from its metadata and loaded.
   dcgan_only: D must be an unconditional DCGAN's (what probe and show-filters read). */
static ganc_net_t *open_net(const char *src, int want_g, int dcgan_only, int max_batch, ganc_gan_cfg_t *cfg,
                            ganc_gan_io_t *io, char *path, size_t cap) {
    if (is_dir(src)) snprintf(path, cap, "%s/%s.safetensors", src, want_g ? "G" : "D");
    else snprintf(path, cap, "%s", src);
    ganc_st_t *st;
    if (ganc_st_open(&st, path)) return NULL;
    int is_g = 0;
    ganc_net_t *n = NULL;
    if (ganc_gan_cfg_from_file(st, cfg, &is_g) == GANC_OK) {
        if (want_g && !is_g) ganc_fail(GANC_EMISMATCH, "%s holds a discriminator, not a generator", path);
        else if (!want_g && (is_g || (dcgan_only && (cfg->arch != GANC_ARCH_DCGAN || cfg->n_classes))))
            ganc_fail(GANC_EMISMATCH, "%s: needs an unconditional DCGAN discriminator", path);
        else if ((n = want_g ? ganc_gan_generator(cfg, max_batch, io) : ganc_gan_discriminator(cfg, max_batch, io)) &&
                 ganc_net_load_from(n, st, "", 0)) {
            ganc_net_free(n);
            n = NULL;
        }
    }
    ganc_st_free(st);
    return n;
}

ganc_net_t *open_generator(const char *src, int max_batch, ganc_gan_cfg_t *cfg, ganc_gan_io_t *io, char *gpath,
                           size_t gcap) {
    return open_net(src, 1, 0, max_batch, cfg, io, gpath, gcap);
}

ganc_lapgan_t *open_lapgan(const char *src, int max_batch, int *is_lap, char *gpath, size_t gcap) {
    if (is_dir(src)) snprintf(gpath, gcap, "%s/G.safetensors", src);
    else snprintf(gpath, gcap, "%s", src);
    ganc_st_t *st;
    *is_lap = 0;
    if (ganc_st_open(&st, gpath)) return NULL;
    const char *kind = ganc_st_meta(st, "kind"), *net = ganc_st_meta(st, "net");
    ganc_lapgan_cfg_t cfg;
    ganc_lapgan_t *m = NULL;
    if ((*is_lap = kind && !strcmp(kind, "lapgan"))) {
        if (net && strcmp(net, "G")) ganc_fail(GANC_EMISMATCH, "%s holds a discriminator, not a generator", gpath);
        else if (!ganc_lapgan_cfg_from_file(st, &cfg) && (m = ganc_lapgan_new(&cfg, max_batch)) &&
                 ganc_lapgan_load(m, st)) {
            ganc_lapgan_free(m);
            m = NULL;
        }
    }
    ganc_st_free(st);
    return m;
}

/* 3x5 digits, rows top to bottom, 3 bits each (MSB = left) */
static const unsigned char font[10][5] = {{7, 5, 5, 5, 7}, {2, 6, 2, 2, 7}, {7, 1, 7, 4, 7}, {7, 1, 7, 1, 7},
                                          {5, 5, 7, 1, 1}, {7, 4, 7, 1, 7}, {7, 4, 7, 5, 7}, {7, 1, 1, 1, 1},
                                          {7, 5, 7, 5, 7}, {7, 5, 7, 1, 7}};

void draw_id(float *x, int c, int h, int w, int id) {
    char s[16];
    int n = snprintf(s, sizeof s, "%d", id);
    const int bw = 4 * n + 1, bh = 7;
    for (int k = 0; k < c; k++)
        for (int y = 0; y < bh && y < h; y++)
            for (int xx = 0; xx < bw && xx < w; xx++) {
                int on = 0, d = (xx - 1) / 4, col = (xx - 1) % 4;
                if (y >= 1 && y <= 5 && xx >= 1 && d < n && col < 3) on = (font[s[d] - '0'][y - 1] >> (2 - col)) & 1;
                x[((size_t)k * h + y) * w + xx] = on ? 1.0f : -1.0f;
            }
}

ganc_net_t *open_dcgan_discriminator(const char *src, int max_batch, ganc_gan_cfg_t *cfg, ganc_gan_io_t *io,
                                     char *dpath, size_t cap) {
    return open_net(src, 0, 1, max_batch, cfg, io, dpath, cap);
}
