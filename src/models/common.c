/* Pieces the model files share: integer model metadata (kind=NAME plus key=value pairs: SimGAN, the text encoder,
   text2img) and the chunked eval-mode forward of a built network. */
#include <stdio.h>
#include <string.h>
#include "models/models.h"

int model_meta_ints(ganc_meta_t *m, const char *kind, const char *const *keys, const int *v, int n) {
    int rc = ganc_meta_set(m, "kind", kind);
    for (int i = 0; !rc && i < n; i++) {
        char s[16];
        snprintf(s, sizeof s, "%d", v[i]);
        rc = ganc_meta_set(m, keys[i], s);
    }
    return rc;
}

int model_ints_from_file(const ganc_st_t *st, const char *kind, const char *what, const char *const *keys,
                         int *const *dst, int n) {
    const char *path = ganc_st_path(st), *k = ganc_st_meta(st, "kind");
    if (!k || strcmp(k, kind))
        return ganc_fail(GANC_EMISMATCH, "%s: holds %s%s%s, not %s", path, k ? "a '" : "no model metadata", k ? k : "",
                         k ? "' model" : "", what);
    for (int i = 0; i < n; i++) {
        const char *s = ganc_st_meta(st, keys[i]);
        double v;
        if (!s || ganc_parse_f64(s, 0, 4096, &v) || v != (int)v)
            return ganc_fail(GANC_EFORMAT, "%s: %s metadata %s is %s", path, kind, keys[i], s ? "not an integer in 0..4096" : "missing");
        *dst[i] = (int)v;
    }
    return GANC_OK;
}

int model_run(ganc_net_t *net, int in0, const float *x0, int in1, const float *x1, int out, int n, float *y) {
    const int B = ganc_net_max_batch(net);
    const size_t p0 = ganc_net_numel(net, in0), p1 = in1 >= 0 ? ganc_net_numel(net, in1) : 0;
    const size_t po = ganc_net_numel(net, out);
    for (int i = 0; i < n; i += B) {
        const int b = n - i < B ? n - i : B;
        int rc = ganc_net_set_input(net, in0, x0 + p0 * i, b);
        if (!rc && in1 >= 0) rc = ganc_net_set_input(net, in1, x1 + p1 * i, b);
        if (!rc) rc = ganc_net_forward(net, b, 0);
        if (rc) return rc;
        memcpy(y + po * i, ganc_net_data(net, out), sizeof(float) * po * b);
    }
    return GANC_OK;
}
