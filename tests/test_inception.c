/* Inception-v3 against torchvision's inception_v3 and pytorch-fid's variant (scripts/gen_inception_fixtures.py):
   every tensor is filled with the same closed-form values on both sides (a hash of its name and the element index),
   the weights go through a safetensors file and ganc_inception_open (so the loader and the variant detection are
   tested too), and the 2048-d pool features and the logits of three images (two 28x28 grey, one 40x30 RGB, through
   the fixed grey->RGB + bilinear-299 protocol) must match PyTorch's. Also the bilinear resize on its own, and
   `ganc eval --inception` end to end (FID of a set against itself is 0 with a rank-deficient 2048-d covariance).
   Usage: test_inception GANC_BINARY */
#include <math.h>
#include <stdlib.h>
#include <string.h>
#include <unistd.h>
#include "testutil.h"

static uint32_t fnv1a(const char *s) {
    uint32_t h = 2166136261u;
    for (; *s; s++) h = (h ^ (unsigned char)*s) * 16777619u;
    return h;
}

/* the same values as hash_u() in the script */
static float hash_u(uint32_t h, size_t i) {
    uint32_t x = h ^ (uint32_t)(i * 0x9E3779B1u);
    x ^= x >> 16;
    x *= 0x85EBCA6Bu;
    x ^= x >> 13;
    x *= 0xC2B2AE35u;
    x ^= x >> 16;
    return (float)((double)x / 4294967296.0 - 0.5);
}

static int ends(const char *s, const char *suf) {
    size_t a = strlen(s), b = strlen(suf);
    return a >= b && !strcmp(s + a - b, suf);
}

static void fill(ganc_net_t *net) {
    for (int k = 0; k < ganc_net_ntensors(net); k++) {
        ganc_tensor_info_t t;
        ganc_net_tensor(net, k, &t);
        if (t.kind == GANC_COUNTER) continue;
        uint32_t h = fnv1a(t.name);
        float scale = 0.2f, offset = 0.0f;
        if (ends(t.name, "conv.weight") || !strcmp(t.name, "fc.weight"))
            scale = (float)(2.0 * sqrt(6.0 / (double)(t.numel / (size_t)t.shape[0])));
        else if (ends(t.name, "running_var")) { scale = 0.4f; offset = 1.0f; }
        else if (ends(t.name, "bn.weight")) offset = 1.0f;
        for (size_t i = 0; i < t.numel; i++) {
            float u = hash_u(h, i);
            t.data[i] = offset == 0.0f ? u * scale : offset + scale * u;
        }
    }
}

static const float *ref(const ganc_st_t *st, const char *name, size_t n) {
    const ganc_st_tensor_t *t = ganc_st_find(st, name);
    CHECK(t && t->dtype == GANC_F32 && t->numel == n, "fixture tensor %s", name);
    return t && t->dtype == GANC_F32 && t->numel == n ? (const float *)t->data : NULL;
}

static char g_weights[256]; /* the torchvision-layout file, kept for the CLI check */

static void check_variant(const ganc_st_t *fx, int fid) {
    const char *tag = fid ? "fid" : "tv";
    const int classes = fid ? 1008 : 1000;
    int in, pool, logits;
    ganc_net_t *net = ganc_inception_net(fid, classes, 1, &in, &pool, &logits);
    CHECK(net != NULL, "%s: build: %s", tag, ganc_errmsg());
    if (!net) return;
    CHECK(ganc_net_nparams(net) == (fid ? 23850960u : 23834568u), "%s: %zu parameters", tag, ganc_net_nparams(net));
    fill(net);
    char path[256];
    snprintf(path, sizeof path, "/tmp/ganc_test_inception_%d_%s.safetensors", (int)getpid(), tag);
    CHECK_OK(ganc_net_save(net, path, NULL, 0));
    ganc_net_free(net);
    ganc_inception_t *m = NULL;
    CHECK_OK(ganc_inception_open(&m, path, 2));
    if (fid) unlink(path);
    else snprintf(g_weights, sizeof g_weights, "%s", path);
    if (!m) return;
    CHECK(ganc_inception_classes(m) == classes && ganc_inception_is_fid_variant(m) == fid, "%s: variant from the file",
          tag);
    const float *x = ref(fx, "x", 2 * 28 * 28), *x3 = ref(fx, "x3", 3 * 40 * 30);
    char nm[32];
    snprintf(nm, sizeof nm, "%s_pool", tag);
    const float *rp = ref(fx, nm, 3 * 2048);
    snprintf(nm, sizeof nm, "%s_logits", tag);
    const float *rl = ref(fx, nm, (size_t)3 * classes);
    float *p = malloc(sizeof(float) * 3 * 2048), *pr = malloc(sizeof(float) * 3 * classes);
    if (x && x3 && rp && rl) {
        CHECK_OK(ganc_inception_run(m, x, 2, 1, 28, 28, p, pr));
        CHECK_OK(ganc_inception_run(m, x3, 1, 3, 40, 30, p + 2 * 2048, pr + 2 * classes));
        double ep = tu_max_rel(p, rp, 3 * 2048, 1e-1, NULL);
        CHECK(ep <= 1e-4, "%s: pool features vs PyTorch: max rel. error %.3g", tag, ep);
        /* logits: ganc returns softmax probabilities; compare them with PyTorch's softmax */
        double worst = 0, psum = 0;
        for (int i = 0; i < 3; i++) {
            const float *l = rl + (size_t)i * classes;
            double mx = l[0], s = 0;
            for (int k = 1; k < classes; k++) mx = l[k] > mx ? l[k] : mx;
            for (int k = 0; k < classes; k++) s += exp(l[k] - mx);
            for (int k = 0; k < classes; k++) {
                double q = exp(l[k] - mx) / s, e = fabs(pr[(size_t)i * classes + k] - q) / (q > 1e-4 ? q : 1e-4);
                worst = e > worst ? e : worst;
                psum += pr[(size_t)i * classes + k];
            }
        }
        CHECK(worst <= 1e-3 && fabs(psum - 3) < 1e-3, "%s: class probabilities vs PyTorch: max rel. error %.3g", tag,
              worst);
        printf("%-4s Inception-v3 (%d classes): pool max rel. error %.2e, probabilities %.2e\n", tag, classes, ep, worst);
    }
    free(p); free(pr);
    ganc_inception_free(m);
}

static void cli(const char *ganc) {
    char args[1024], err[4096], out[4096];
    snprintf(args, sizeof args, "eval fid,kid,pr,is --inception %s --real fashion-mnist:test --fake fashion-mnist:test "
             "--n 4 --kid-subsets 2 --kid-size 3 --pr-n 4 --k 2 --splits 2 --threads 2 --json", g_weights);
    int rc = tu_run(ganc, args, err, sizeof err);
    CHECK(rc == 0, "ganc eval --inception: exit %d: %s", rc, err);
    FILE *f = fopen(tu_tmp("stdout.txt"), "r");
    size_t n = f ? fread(out, 1, sizeof out - 1, f) : 0;
    out[n] = 0;
    if (f) fclose(f);
    const char *p = strstr(out, "\"fid\": {\"value\": ");
    double fid = p ? atof(p + strlen("\"fid\": {\"value\": ")) : NAN;
    CHECK(fabs(fid) < 1e-3, "FID of 4 images against themselves (2048-d, rank 3): %g; output %s", fid, out);
    p = strstr(out, "\"classes\": ");
    CHECK(p && atoi(p + strlen("\"classes\": ")) == 1000, "IS over the 1000 classes of the file: %s", out);
    snprintf(args, sizeof args, "eval acc --inception %s --fake fashion-mnist:test", g_weights);
    rc = tu_run(ganc, args, err, sizeof err);
    CHECK(rc == 2 && strstr(err, "without --inception"), "acc with --inception refused: %d %s", rc, err);
    printf("ganc eval --inception: FID(X, X) = %.3g on 4 images\n", fid);
}

int main(int argc, char **argv) {
    if (argc != 2) { fprintf(stderr, "usage: test_inception GANC_BINARY\n"); return 2; }
    if (tu_tmpdir("inception")) return 2;
    ganc_set_threads(2);
    ganc_st_t *fx = NULL;
    CHECK_OK(ganc_st_open(&fx, tu_fixture("inception_fixture.safetensors")));
    if (!fx) return tu_finish("test_inception");
    /* the resize alone: PyTorch's result subsampled every 13th row/column */
    const float *x3 = ref(fx, "x3", 3 * 40 * 30), *rs = ref(fx, "resized", 3 * 23 * 23);
    if (x3 && rs) {
        float *y = malloc(sizeof(float) * 3 * 299 * 299), sub[3 * 23 * 23];
        ganc_resize_bilinear(x3, 3, 40, 30, 299, 299, y);
        for (int k = 0; k < 3; k++)
            for (int i = 0; i < 23; i++)
                for (int j = 0; j < 23; j++) sub[(k * 23 + i) * 23 + j] = y[((size_t)k * 299 + 13 * i) * 299 + 13 * j];
        double e = tu_max_abs(sub, rs, 3 * 23 * 23);
        CHECK(e <= 1e-5, "bilinear resize 40x30 -> 299x299 vs F.interpolate: max abs error %.3g", e);
        free(y);
    }
    check_variant(fx, 0);
    check_variant(fx, 1);
    /* a file that is not Inception weights */
    ganc_inception_t *m = NULL;
    CHECK(ganc_inception_open(&m, tu_fixture("ganc_dcgan32_G.safetensors"), 1) == GANC_EMISMATCH && !m &&
              strstr(ganc_errmsg(), "fc.weight"),
          "non-Inception file refused: %s", ganc_errmsg());
    ganc_st_free(fx);
    if (g_weights[0]) {
        cli(argv[1]);
        unlink(g_weights);
    }
    tu_tmpdir_remove();
    return tu_finish("test_inception");
}
