/* Inception-v3 (Szegedy et al. 2016) in the layout of torchvision's `inception_v3` (transform_input=False, no
   auxiliary head), the standard FID feature network, and pytorch-fid's variant of it (the FID weights
   pt_inception-2015-12-05: 1008 classes, average pools that exclude padding, a max pool in the last block).
   Weights are not shipped: the user supplies a safetensors file with torchvision's state_dict names. */
#include <math.h>
#include <stdlib.h>
#include <string.h>
#include "ganc.h"

typedef struct {
    ganc_net_t *net;
    int fid; /* pytorch-fid block variants */
    char pre[64];
} ib_t;

/* BasicConv2d: conv (no bias) + BatchNorm(eps 1e-3) + ReLU, names PREFIX.conv / PREFIX.bn */
static int bconv(ib_t *b, const char *name, int x, int oc, int kh, int kw, int s, int ph, int pw) {
    char n1[96], n2[96], n3[96];
    snprintf(n1, sizeof n1, "%s%s.conv", b->pre, name);
    snprintf(n2, sizeof n2, "%s%s.bn", b->pre, name);
    snprintf(n3, sizeof n3, "%s%s.relu", b->pre, name);
    int h = ganc_net_conv2d_hw(b->net, n1, x, oc, kh, kw, s, ph, pw, 0);
    h = ganc_net_batchnorm(b->net, n2, h, 1e-3f, 0.1f);
    return ganc_net_relu(b->net, n3, h);
}
static int cat(ib_t *b, int a, int c) {
    char n[96];
    snprintf(n, sizeof n, "%scat", b->pre);
    return ganc_net_concat(b->net, n, a, c);
}
/* the 3x3 stride-1 average pool of the A, C and E blocks: PyTorch counts the padding, pytorch-fid does not */
static int avg3(ib_t *b, int x) {
    char n[96];
    snprintf(n, sizeof n, "%savgpool", b->pre);
    return ganc_net_avgpool_pad(b->net, n, x, 3, 1, 1, !b->fid);
}
static int maxp(ib_t *b, int x, int s, int p) {
    char n[96];
    snprintf(n, sizeof n, "%smaxpool", b->pre);
    return ganc_net_maxpool(b->net, n, x, 3, s, p);
}

static int block_a(ib_t *b, int x, int pool_features) {
    int b1 = bconv(b, "branch1x1", x, 64, 1, 1, 1, 0, 0);
    int b5 = bconv(b, "branch5x5_1", x, 48, 1, 1, 1, 0, 0);
    b5 = bconv(b, "branch5x5_2", b5, 64, 5, 5, 1, 2, 2);
    int b3 = bconv(b, "branch3x3dbl_1", x, 64, 1, 1, 1, 0, 0);
    b3 = bconv(b, "branch3x3dbl_2", b3, 96, 3, 3, 1, 1, 1);
    b3 = bconv(b, "branch3x3dbl_3", b3, 96, 3, 3, 1, 1, 1);
    int bp = bconv(b, "branch_pool", avg3(b, x), pool_features, 1, 1, 1, 0, 0);
    return cat(b, cat(b, cat(b, b1, b5), b3), bp);
}

static int block_b(ib_t *b, int x) {
    int b3 = bconv(b, "branch3x3", x, 384, 3, 3, 2, 0, 0);
    int bd = bconv(b, "branch3x3dbl_1", x, 64, 1, 1, 1, 0, 0);
    bd = bconv(b, "branch3x3dbl_2", bd, 96, 3, 3, 1, 1, 1);
    bd = bconv(b, "branch3x3dbl_3", bd, 96, 3, 3, 2, 0, 0);
    return cat(b, cat(b, b3, bd), maxp(b, x, 2, 0));
}

static int block_c(ib_t *b, int x, int c7) {
    int b1 = bconv(b, "branch1x1", x, 192, 1, 1, 1, 0, 0);
    int b7 = bconv(b, "branch7x7_1", x, c7, 1, 1, 1, 0, 0);
    b7 = bconv(b, "branch7x7_2", b7, c7, 1, 7, 1, 0, 3);
    b7 = bconv(b, "branch7x7_3", b7, 192, 7, 1, 1, 3, 0);
    int bd = bconv(b, "branch7x7dbl_1", x, c7, 1, 1, 1, 0, 0);
    bd = bconv(b, "branch7x7dbl_2", bd, c7, 7, 1, 1, 3, 0);
    bd = bconv(b, "branch7x7dbl_3", bd, c7, 1, 7, 1, 0, 3);
    bd = bconv(b, "branch7x7dbl_4", bd, c7, 7, 1, 1, 3, 0);
    bd = bconv(b, "branch7x7dbl_5", bd, 192, 1, 7, 1, 0, 3);
    int bp = bconv(b, "branch_pool", avg3(b, x), 192, 1, 1, 1, 0, 0);
    return cat(b, cat(b, cat(b, b1, b7), bd), bp);
}

static int block_d(ib_t *b, int x) {
    int b3 = bconv(b, "branch3x3_1", x, 192, 1, 1, 1, 0, 0);
    b3 = bconv(b, "branch3x3_2", b3, 320, 3, 3, 2, 0, 0);
    int b7 = bconv(b, "branch7x7x3_1", x, 192, 1, 1, 1, 0, 0);
    b7 = bconv(b, "branch7x7x3_2", b7, 192, 1, 7, 1, 0, 3);
    b7 = bconv(b, "branch7x7x3_3", b7, 192, 7, 1, 1, 3, 0);
    b7 = bconv(b, "branch7x7x3_4", b7, 192, 3, 3, 2, 0, 0);
    return cat(b, cat(b, b3, b7), maxp(b, x, 2, 0));
}

/* last: pytorch-fid's Mixed_7c pools with a 3x3 max pool instead of the average */
static int block_e(ib_t *b, int x, int last) {
    int b1 = bconv(b, "branch1x1", x, 320, 1, 1, 1, 0, 0);
    int b3 = bconv(b, "branch3x3_1", x, 384, 1, 1, 1, 0, 0);
    b3 = cat(b, bconv(b, "branch3x3_2a", b3, 384, 1, 3, 1, 0, 1), bconv(b, "branch3x3_2b", b3, 384, 3, 1, 1, 1, 0));
    int bd = bconv(b, "branch3x3dbl_1", x, 448, 1, 1, 1, 0, 0);
    bd = bconv(b, "branch3x3dbl_2", bd, 384, 3, 3, 1, 1, 1);
    bd = cat(b, bconv(b, "branch3x3dbl_3a", bd, 384, 1, 3, 1, 0, 1), bconv(b, "branch3x3dbl_3b", bd, 384, 3, 1, 1, 1, 0));
    int pooled = b->fid && last ? maxp(b, x, 1, 1) : avg3(b, x);
    int bp = bconv(b, "branch_pool", pooled, 192, 1, 1, 1, 0, 0);
    return cat(b, cat(b, cat(b, b1, b3), bd), bp);
}

ganc_net_t *ganc_inception_net(int fid_variant, int classes, int max_batch, int *in, int *pool, int *logits) {
    if (classes < 1 || classes > 100000) {
        ganc_fail(GANC_EINVAL, "inception: classes must be 1..100000, got %d", classes);
        return NULL;
    }
    ib_t b = {ganc_net_new("inception_v3"), fid_variant != 0, ""};
    if (!b.net) return NULL;
    int h = *in = ganc_net_input(b.net, "x", 3, (int[]){3, 299, 299});
    h = bconv(&b, "Conv2d_1a_3x3", h, 32, 3, 3, 2, 0, 0);  /* 149 */
    h = bconv(&b, "Conv2d_2a_3x3", h, 32, 3, 3, 1, 0, 0);  /* 147 */
    h = bconv(&b, "Conv2d_2b_3x3", h, 64, 3, 3, 1, 1, 1);  /* 147 */
    h = ganc_net_maxpool(b.net, "maxpool1", h, 3, 2, 0); /* 73 */
    h = bconv(&b, "Conv2d_3b_1x1", h, 80, 1, 1, 1, 0, 0);
    h = bconv(&b, "Conv2d_4a_3x3", h, 192, 3, 3, 1, 0, 0); /* 71 */
    h = ganc_net_maxpool(b.net, "maxpool2", h, 3, 2, 0);  /* 35 */
    static const struct { const char *name; char kind; int arg; } blocks[] = {
        {"Mixed_5b", 'A', 32}, {"Mixed_5c", 'A', 64}, {"Mixed_5d", 'A', 64}, {"Mixed_6a", 'B', 0},
        {"Mixed_6b", 'C', 128}, {"Mixed_6c", 'C', 160}, {"Mixed_6d", 'C', 160}, {"Mixed_6e", 'C', 192},
        {"Mixed_7a", 'D', 0}, {"Mixed_7b", 'E', 0}, {"Mixed_7c", 'E', 1}};
    for (size_t i = 0; i < sizeof blocks / sizeof blocks[0]; i++) {
        snprintf(b.pre, sizeof b.pre, "%s.", blocks[i].name);
        switch (blocks[i].kind) {
        case 'A': h = block_a(&b, h, blocks[i].arg); break;
        case 'B': h = block_b(&b, h); break;
        case 'C': h = block_c(&b, h, blocks[i].arg); break;
        case 'D': h = block_d(&b, h); break;
        default: h = block_e(&b, h, blocks[i].arg); break;
        }
    }
    h = ganc_net_avgpool(b.net, "avgpool", h, 8, 8); /* AdaptiveAvgPool2d(1) on the 8x8 map */
    h = *pool = ganc_net_reshape(b.net, "flatten", h, 1, (int[]){2048});
    h = *logits = ganc_net_linear(b.net, "fc", h, classes, 1);
    if (h < 0 || ganc_net_build(b.net, max_batch)) {
        ganc_net_free(b.net);
        return NULL;
    }
    return b.net;
}

struct ganc_inception {
    ganc_net_t *net;
    int in, pool, logits, classes, fid;
};

void ganc_inception_free(ganc_inception_t *m) {
    if (!m) return;
    ganc_net_free(m->net);
    free(m);
}

int ganc_inception_open(ganc_inception_t **out, const char *path, int max_batch) {
    *out = NULL;
    ganc_st_t *st;
    int rc = ganc_st_open(&st, path);
    if (rc) return rc;
    const ganc_st_tensor_t *fc = ganc_st_find(st, "fc.weight");
    if (!fc || fc->ndim != 2 || fc->shape[1] != 2048 || fc->shape[0] < 1 || fc->shape[0] > 100000) {
        ganc_st_free(st);
        return ganc_fail(GANC_EMISMATCH, "%s: not Inception-v3 weights (no fc.weight of shape [classes,2048])", path);
    }
    ganc_inception_t *m = calloc(1, sizeof *m);
    if (!m) { ganc_st_free(st); return ganc_fail(GANC_ENOMEM, "out of memory"); }
    m->classes = (int)fc->shape[0];
    /* pytorch-fid's FID weights have 1008 classes; metadata "variant" = fid|torchvision overrides the guess */
    const char *v = ganc_st_meta(st, "variant");
    m->fid = v ? !strcmp(v, "fid") : m->classes == 1008;
    m->net = ganc_inception_net(m->fid, m->classes, max_batch, &m->in, &m->pool, &m->logits);
    /* extra tensors (AuxLogits.*, a transform_input flag) are allowed; every tensor the model needs must be there */
    rc = m->net ? ganc_net_load_from(m->net, st, "", 1) : -1;
    ganc_st_free(st);
    if (rc) {
        ganc_inception_free(m);
        return rc ? rc : GANC_ENOMEM;
    }
    *out = m;
    return GANC_OK;
}

int ganc_inception_classes(const ganc_inception_t *m) { return m->classes; }
int ganc_inception_is_fid_variant(const ganc_inception_t *m) { return m->fid; }

int ganc_inception_run(ganc_inception_t *m, const float *x, int n, int c, int h, int w, float *pool, float *probs) {
    if ((c != 1 && c != 3) || h < 1 || w < 1 || h > 4096 || w > 4096)
        return ganc_fail(GANC_EINVAL, "inception: images must be (n,1|3,H,W) with H,W in 1..4096, got (%d,%d,%d)", c, h, w);
    const int B = ganc_net_max_batch(m->net);
    const size_t per = (size_t)c * h * w, S = 299 * 299;
    float *tmp = (h != 299 || w != 299) ? malloc(sizeof(float) * 3 * S) : NULL;
    if ((h != 299 || w != 299) && !tmp) return ganc_fail(GANC_ENOMEM, "out of memory");
    for (int i0 = 0; i0 < n; i0 += B) {
        int b = n - i0 < B ? n - i0 : B;
        float *in = ganc_net_data(m->net, m->in);
        for (int i = 0; i < b; i++) {
            const float *xi = x + per * (i0 + i);
            float *dst = in + 3 * S * i;
            if (tmp) {
                ganc_resize_bilinear(xi, c, h, w, 299, 299, tmp);
                xi = tmp;
            }
            for (int k = 0; k < 3; k++) memcpy(dst + S * k, xi + S * (c == 1 ? 0 : k), sizeof(float) * S);
        }
        int rc = ganc_net_forward(m->net, b, 0);
        if (rc) { free(tmp); return rc; }
        if (pool) memcpy(pool + (size_t)2048 * i0, ganc_net_data(m->net, m->pool), sizeof(float) * 2048 * b);
        if (probs) ganc_softmax_rows(ganc_net_data(m->net, m->logits), b, m->classes, probs + (size_t)m->classes * i0);
    }
    free(tmp);
    return GANC_OK;
}

ganc_net_t *ganc_inception_network(ganc_inception_t *m, int *in, int *pool, int *logits) {
    *in = m->in; *pool = m->pool; *logits = m->logits;
    return m->net;
}
