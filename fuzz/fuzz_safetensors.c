/* libFuzzer target: safetensors parsing, metadata, DCGAN architecture inference and loading into networks. */
#include <stdint.h>
#include <string.h>
#include "ganc.h"

int LLVMFuzzerTestOneInput(const uint8_t *data, size_t size) {
    ganc_st_t *st;
    if (ganc_st_open_mem(&st, "fuzz.safetensors", data, size) != GANC_OK) return 0;
    size_t sum = 0;
    for (int i = 0; i < ganc_st_count(st); i++) {
        const ganc_st_tensor_t *t = ganc_st_get(st, i);
        const unsigned char *p = t->data;
        if (t->nbytes) sum += p[0] + p[t->nbytes - 1]; /* touch both ends: must be inside the buffer */
        sum += strlen(t->name);
    }
    for (int i = 0; i < ganc_st_meta_count(st); i++) {
        const char *k, *v;
        ganc_st_meta_at(st, i, &k, &v);
        sum += strlen(k) + strlen(v);
    }
    ganc_gan_cfg_t c;
    int is_g;
    if (ganc_gan_cfg_from_file(st, &c, &is_g) == GANC_OK && c.nz <= 128 && c.ngf <= 16 && c.ndf <= 16 && c.nc <= 4 &&
        c.size <= 64 && c.n_classes <= 16 && c.g_hidden <= 64 && c.d_units * c.d_pieces <= 256) {
        ganc_gan_io_t io;
        ganc_net_t *n = is_g ? ganc_gan_generator(&c, 1, &io) : ganc_gan_discriminator(&c, 1, &io);
        if (n && ganc_net_load_from(n, st, "", 0) == GANC_OK) ganc_net_forward(n, 1, 0);
        ganc_net_free(n);
    }
    ganc_st_free(st);
    return (int)(sum & 0);
}
