/* ganc info FILE.safetensors: metadata, then one line per tensor. */
#include <stdio.h>
#include <string.h>
#include "cli.h"

int cmd_info(int argc, char **argv) {
    static const command_t cmd = {"info", "info FILE.safetensors",
                                  "List a safetensors file's metadata and tensors (name, dtype, shape).", NULL};
    char *pos[1];
    int npos;
    int prc = parse_flags(&cmd, NULL, 0, argc, argv, pos, 1, &npos);
    if (prc) return prc == 1 ? 0 : 2;
    if (npos != 1) { fprintf(stderr, "ganc info: need one safetensors file\n"); return 2; }
    if (dry_run()) return 0;
    ganc_st_t *st;
    if (ganc_st_open(&st, pos[0])) { fprintf(stderr, "ganc info: %s\n", ganc_errmsg()); return 1; }
    printf("%s: %d tensors\n", pos[0], ganc_st_count(st));
    for (int i = 0; i < ganc_st_meta_count(st); i++) {
        const char *k, *v;
        ganc_st_meta_at(st, i, &k, &v);
        printf("  meta %s = %s\n", k, v);
    }
    size_t total = 0, bytes = 0;
    for (int i = 0; i < ganc_st_count(st); i++) {
        const ganc_st_tensor_t *t = ganc_st_get(st, i);
        char shp[128];
        int o = snprintf(shp, sizeof shp, "[");
        for (int d = 0; d < t->ndim && o < (int)sizeof shp; d++)
            o += snprintf(shp + o, sizeof shp - o, "%s%lld", d ? ", " : "", (long long)t->shape[d]);
        if (o < (int)sizeof shp) snprintf(shp + o, sizeof shp - o, "]");
        printf("  %-40s %-5s %s\n", t->name, ganc_dtype_name(t->dtype), shp);
        total += t->numel;
        bytes += t->nbytes;
    }
    printf("%zu elements, %zu bytes of data\n", total, bytes);
    const char *kind = ganc_st_meta(st, "kind");
    ganc_lapgan_cfg_t lc;
    if (kind && !strcmp(kind, "lapgan") && !ganc_lapgan_cfg_from_file(st, &lc)) {
        const int L = ganc_lapgan_levels(&lc);
        printf("LAPGAN pyramid, %d levels (level 0 = finest; d = binomial blur + decimate, u = bilinear x2)%s:\n", L,
               lc.n_classes ? ", class-conditional" : "");
        if (lc.coarse.arch == GANC_ARCH_MLP)
            printf("  level %d   8x8: MLP GAN, z %d -> G %d-%d ReLU; D maxout %dx%d\n", L - 1, lc.coarse.nz,
                   lc.coarse.g_hidden, lc.coarse.g_hidden, lc.coarse.d_units, lc.coarse.d_pieces);
        else
            printf("  level %d   8x8: DCGAN, z %d -> G convT 4x4 %d, 4x4/2; D conv 4x4/2 %d, 4x4\n", L - 1,
                   lc.coarse.nz, lc.coarse.ngf, lc.coarse.ndf);
        for (int k = L - 2; k >= 0; k--)
            printf("  level %d %3dx%-3d: G(noise, u(I_%d)) -> h_%d, conv 7x7 %d, 7x7 %d, 5x5 %d; D conv 5x5 %d, 5x5/2 %d\n",
                   k, lc.size >> k, lc.size >> k, k + 1, k, lc.g_width, lc.g_width, lc.nc, lc.d_width, lc.d_width);
    }
    ganc_st_free(st);
    return 0;
}
