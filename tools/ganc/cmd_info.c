/* ganc info FILE.safetensors: metadata, then one line per tensor. */
#include <stdio.h>
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
    ganc_st_free(st);
    return 0;
}
