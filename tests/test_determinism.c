/* Same seed + same thread count => bit-identical parameters after training steps that exercise every source of
   nondeterminism we have: OpenMP loops, BLAS, BatchNorm reductions, Dropout masks, Adam. A different seed must
   give different bytes (so the comparison can fail). */
#include <stdlib.h>
#include <string.h>
#include "nn/nn.h"
#include "testutil.h"

static float *train(uint64_t seed, size_t *n) {
    ganc_net_t *net = ganc_net_new("det");
    int x = ganc_net_input(net, "x", 3, (int[]){3, 16, 16});
    int h = ganc_net_conv2d(net, "c1", x, 16, 4, 4, 2, 1, 0);
    h = ganc_net_batchnorm(net, "bn1", h, 1e-5f, 0.1f);
    h = ganc_net_leaky_relu(net, "a1", h, 0.2f);
    h = ganc_net_conv_transpose2d(net, "t1", h, 8, 4, 4, 2, 1, 0, 1);
    h = ganc_net_conv2d(net, "c2", h, 8, 3, 3, 2, 1, 1);
    h = ganc_net_reshape(net, "flat", h, 1, (int[]){8 * 8 * 8});
    h = ganc_net_dropout(net, "drop", h, 0.5f);
    h = ganc_net_linear(net, "fc", h, 1, 1);
    CHECK_OK(ganc_net_build(net, 32));
    ganc_net_init_default(net, seed);
    ganc_net_seed(net, seed);
    ganc_optim_t *opt = ganc_optim_new(net, ganc_adam_cfg(1e-3f, 0.5f, 0.999f));
    ganc_rng_t r;
    ganc_rng_seed(&r, seed + 1);
    for (int step = 0; step < 5; step++) {
        ganc_rng_fill_normal(&r, ganc_net_data(net, x), 32 * 3 * 16 * 16, 0, 1);
        ganc_net_zero_grad(net);
        CHECK_OK(ganc_net_forward(net, 32, GANC_TRAIN | GANC_UPDATE_STATS));
        ganc_bce_logits(ganc_net_data(net, h), NULL, 1.0f, 32, ganc_net_grad(net, h), 1.0f);
        CHECK_OK(ganc_net_backward(net, 0));
        ganc_optim_step(opt);
    }
    *n = ganc_net_nparams(net);
    float *p = malloc(sizeof(float) * *n);
    memcpy(p, ganc_net_params(net), sizeof(float) * *n);
    ganc_optim_free(opt);
    ganc_net_free(net);
    return p;
}

/* a dropout mask is one ganc_rng_uniform per element (drawn in bulk by rng_fill_u24), and the generator goes on
   from where the mask left it */
static void dropout_stream(void) {
    enum { N = 1000 };
    static float mask[N];
    ganc_rng_t a, b;
    ganc_rng_seed(&a, 42);
    ganc_rng_seed(&b, 42);
    dropout_mask(mask, N, 0.3f, &a);
    int same = 1, dropped = 0;
    for (int i = 0; i < N; i++) {
        const float want = ganc_rng_uniform(&b) < 0.3f ? 0.0f : 1.0f / 0.7f;
        same &= mask[i] == want;
        dropped += mask[i] == 0.0f;
    }
    CHECK(same, "the dropout mask is not the stream of ganc_rng_uniform");
    CHECK(dropped > 250 && dropped < 350, "dropout 0.3 dropped %d of %d", dropped, N);
    CHECK(ganc_rng_u64(&a) == ganc_rng_u64(&b), "the generator does not go on where the mask left it");
}

int main(void) {
    dropout_stream();
    for (int threads = 1; threads <= 2; threads++) {
        ganc_set_threads(threads);
        size_t n1, n2, n3;
        float *a = train(7, &n1), *b = train(7, &n2), *c = train(8, &n3);
        CHECK(n1 == n2 && !memcmp(a, b, n1 * sizeof(float)), "%d threads: same seed gave different parameters", threads);
        CHECK(memcmp(a, c, n1 * sizeof(float)) != 0, "%d threads: different seeds gave identical parameters", threads);
        free(a); free(b); free(c);
    }
    return tu_finish("test_determinism");
}
