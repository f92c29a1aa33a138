/* Small helpers shared by the subcommands. */
#include <string.h>
#include <sys/stat.h>
#include "cli.h"

int ends_with(const char *s, const char *suf) {
    size_t a = strlen(s), b = strlen(suf);
    return a >= b && !strcmp(s + a - b, suf);
}

int is_dir(const char *p) {
    struct stat st;
    return stat(p, &st) == 0 && S_ISDIR(st.st_mode);
}

ganc_net_t *open_generator(const char *src, int max_batch, ganc_gan_cfg_t *cfg, ganc_gan_io_t *io, char *gpath,
                           size_t gcap) {
    if (is_dir(src)) snprintf(gpath, gcap, "%s/G.safetensors", src);
    else snprintf(gpath, gcap, "%s", src);
    ganc_st_t *st;
    if (ganc_st_open(&st, gpath)) return NULL;
    int is_g = 0;
    ganc_net_t *g = NULL;
    if (ganc_gan_cfg_from_file(st, cfg, &is_g) == GANC_OK) {
        if (!is_g) ganc_fail(GANC_EMISMATCH, "%s holds a discriminator, not a generator", gpath);
        else if ((g = ganc_gan_generator(cfg, max_batch, io)) && ganc_net_load_from(g, st, "", 0)) {
            ganc_net_free(g);
            g = NULL;
        }
    }
    ganc_st_free(st);
    return g;
}
