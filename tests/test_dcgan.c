/* DCGAN interoperability with PyTorch (fixtures from scripts/gen_dcgan_fixtures.py), both sizes:
   - torch -> ganc: pytorch/examples G/D saved without metadata; `ganc sample --z` must reproduce G.eval() and
     ganc's D must reproduce D's logits (max abs error <= 1e-4);
   - ganc -> torch: the weights ganc writes must be the exact bytes PyTorch loaded with load_state_dict(strict=True),
     and ganc's output on them must match PyTorch's.
   Usage: test_dcgan GANC_BINARY  |  test_dcgan --write-fixtures DIR */
#include <math.h>
#include <stdlib.h>
#include <string.h>
#include <unistd.h>
#include "testutil.h"

enum { NZ = 32, NGF = 4, NDF = 4, NB = 4 };

static int make_ganc_weights(int size, const char *gpath, const char *dpath) {
    ganc_gan_cfg_t c = ganc_gan_default_cfg();
    c.size = size; c.nz = NZ; c.ngf = NGF; c.ndf = NDF; c.nc = size == 64 ? 3 : 1;
    ganc_gan_io_t gi, di;
    ganc_net_t *g = ganc_gan_generator(&c, 1, &gi), *d = ganc_gan_discriminator(&c, 1, &di);
    if (!g || !d) return -1;
    ganc_net_init_dcgan(g, 100 + size);
    ganc_net_init_dcgan(d, 200 + size);
    ganc_rng_t r;
    ganc_rng_seed(&r, 300 + size);
    ganc_net_t *nets[2] = {g, d};
    for (int k = 0; k < 2; k++) /* non-trivial running statistics so eval mode is tested */
        for (int i = 0; i < ganc_net_ntensors(nets[k]); i++) {
            ganc_tensor_info_t t;
            ganc_net_tensor(nets[k], i, &t);
            if (t.kind == GANC_BUFFER && strstr(t.name, "running_mean")) ganc_rng_fill_normal(&r, t.data, t.numel, 0, 0.1f);
            if (t.kind == GANC_BUFFER && strstr(t.name, "running_var")) ganc_rng_fill_uniform(&r, t.data, t.numel, 0.5f, 1.5f);
            if (t.kind == GANC_COUNTER) *t.counter = 11;
        }
    ganc_meta_t m;
    ganc_meta_init(&m);
    int rc = ganc_gan_meta(&c, &m);
    if (!rc) rc = ganc_meta_set(&m, "net", "G");
    if (!rc) rc = ganc_net_save(g, gpath, m.kv, m.n);
    if (!rc) rc = ganc_meta_set(&m, "net", "D");
    if (!rc) rc = ganc_net_save(d, dpath, m.kv, m.n);
    ganc_net_free(g);
    ganc_net_free(d);
    return rc;
}

static float *load_f32(const ganc_st_t *st, const char *name, size_t n) {
    const ganc_st_tensor_t *t = ganc_st_find(st, name);
    if (!t || t->dtype != GANC_F32 || t->numel != n) return NULL;
    float *p = malloc(t->nbytes);
    memcpy(p, t->data, t->nbytes);
    return p;
}

/* run `ganc sample` on a G file with the fixture noise; compare with x; then D logits on x */
static void check_pair(const char *ganc, const char *tag, int size, const char *gfile, const char *dfile,
                       const char *outfile) {
    const int nc = size == 64 ? 3 : 1;
    const size_t img = (size_t)nc * size * size;
    char zpath[1024], gpath[1024], cmd[4096], npy[256];
    snprintf(zpath, sizeof zpath, "%s", tu_fixture(size == 64 ? "torch_dcgan64_z.npy" : "torch_dcgan32_z.npy"));
    snprintf(gpath, sizeof gpath, "%s", tu_fixture(gfile));
    snprintf(npy, sizeof npy, "/tmp/ganc_test_dcgan_%d_%s.npy", (int)getpid(), gfile);
    snprintf(cmd, sizeof cmd, "%s sample %s --z %s --dtype float32 --bn eval --out %s > /dev/null", ganc, gpath, zpath, npy);
    int rc = system(cmd);
    CHECK(rc == 0, "%s: `%s` exited with %d", tag, cmd, rc);
    int nd;
    int64_t sh[8];
    float *x = NULL;
    CHECK_OK(ganc_npy_read_f32(npy, &nd, sh, &x));
    unlink(npy);
    ganc_st_t *ref;
    CHECK_OK(ganc_st_open(&ref, tu_fixture(outfile)));
    if (!x || !ref) { free(x); ganc_st_free(ref); return; }
    CHECK(nd == 4 && sh[0] == NB && sh[1] == nc && sh[2] == size && sh[3] == size, "%s: sample shape", tag);
    float *rx = load_f32(ref, "x", NB * img), *rl = load_f32(ref, "logits", NB);
    CHECK(rx && rl, "%s: fixture tensors", tag);
    if (rx) {
        double e = tu_max_abs(x, rx, NB * img);
        CHECK(e <= 1e-4, "%s: ganc sample vs PyTorch G.eval(): max abs error %.3g", tag, e);
        printf("%-28s G.eval() max abs error %.2e\n", tag, e);
    }
    /* D: architecture from the file (shapes only for the torch file), eval-mode logits on PyTorch's images */
    ganc_st_t *dst;
    CHECK_OK(ganc_st_open(&dst, tu_fixture(dfile)));
    ganc_gan_cfg_t c;
    int is_g = 1;
    ganc_gan_io_t di;
    if (dst && rx && rl) {
        CHECK_OK(ganc_gan_cfg_from_file(dst, &c, &is_g));
        CHECK(!is_g && c.size == size && c.ndf == NDF && c.nc == nc, "%s: D architecture inferred", tag);
        ganc_net_t *d = ganc_gan_discriminator(&c, NB, &di);
        CHECK_OK(ganc_net_load_from(d, dst, "", 0));
        memcpy(ganc_net_data(d, di.in), rx, sizeof(float) * NB * img);
        CHECK_OK(ganc_net_forward(d, NB, 0));
        double e = tu_max_abs(ganc_net_data(d, di.out), rl, NB);
        CHECK(e <= 1e-4, "%s: D.eval() logits: max abs error %.3g", tag, e);
        printf("%-28s D.eval() max abs error %.2e\n", tag, e);
        ganc_net_free(d);
    }
    ganc_st_free(dst);
    free(rx); free(rl); free(x);
    ganc_st_free(ref);
}

static int same_bytes(const char *a, const char *b) {
    unsigned char *pa, *pb;
    size_t la, lb;
    if (ganc_read_file(a, 1 << 26, &pa, &la) || ganc_read_file(b, 1 << 26, &pb, &lb)) return 0;
    int same = la == lb && !memcmp(pa, pb, la);
    free(pa); free(pb);
    return same;
}

int main(int argc, char **argv) {
    if (argc == 3 && !strcmp(argv[1], "--write-fixtures")) {
        char g[1024], d[1024];
        for (int size = 32; size <= 64; size += 32) {
            snprintf(g, sizeof g, "%s/ganc_dcgan%d_G.safetensors", argv[2], size);
            snprintf(d, sizeof d, "%s/ganc_dcgan%d_D.safetensors", argv[2], size);
            if (make_ganc_weights(size, g, d)) { fprintf(stderr, "%s\n", ganc_errmsg()); return 1; }
        }
        return 0;
    }
    if (argc != 2) { fprintf(stderr, "usage: test_dcgan GANC_BINARY | --write-fixtures DIR\n"); return 2; }
    ganc_set_threads(2);
    /* torch -> ganc, architecture inferred from shapes (no metadata in these files) */
    ganc_st_t *st;
    CHECK_OK(ganc_st_open(&st, tu_fixture("torch_dcgan64_G.safetensors")));
    if (st) {
        ganc_gan_cfg_t c;
        int is_g = 0;
        CHECK_OK(ganc_gan_cfg_from_file(st, &c, &is_g));
        CHECK(is_g && c.size == 64 && c.nz == NZ && c.ngf == NGF && c.nc == 3, "G architecture inferred from shapes");
        ganc_st_free(st);
    }
    check_pair(argv[1], "torch->ganc size 32", 32, "torch_dcgan32_G.safetensors", "torch_dcgan32_D.safetensors",
               "torch_dcgan32_out.safetensors");
    check_pair(argv[1], "torch->ganc size 64", 64, "torch_dcgan64_G.safetensors", "torch_dcgan64_D.safetensors",
               "torch_dcgan64_out.safetensors");
    /* ganc -> torch: what ganc writes now is byte-identical to what PyTorch loaded */
    for (int size = 32; size <= 64; size += 32) {
        char g[256], d[256], fg[64], fd[64];
        snprintf(g, sizeof g, "/tmp/ganc_test_dcgan_%d_G%d.safetensors", (int)getpid(), size);
        snprintf(d, sizeof d, "/tmp/ganc_test_dcgan_%d_D%d.safetensors", (int)getpid(), size);
        snprintf(fg, sizeof fg, "ganc_dcgan%d_G.safetensors", size);
        snprintf(fd, sizeof fd, "ganc_dcgan%d_D.safetensors", size);
        CHECK_OK(make_ganc_weights(size, g, d));
        CHECK(same_bytes(g, tu_fixture(fg)) && same_bytes(d, tu_fixture(fd)),
              "size %d: ganc's weight files differ from the ones PyTorch loaded", size);
        unlink(g);
        unlink(d);
    }
    check_pair(argv[1], "ganc->torch size 32", 32, "ganc_dcgan32_G.safetensors", "ganc_dcgan32_D.safetensors",
               "ganc_dcgan32_out.safetensors");
    check_pair(argv[1], "ganc->torch size 64", 64, "ganc_dcgan64_G.safetensors", "ganc_dcgan64_D.safetensors",
               "ganc_dcgan64_out.safetensors");
    return tu_finish("test_dcgan");
}
