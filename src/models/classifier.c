/* The Fashion-MNIST feature network (see ganc.h): a small CNN whose penultimate layer gives the features of the
   FID/KID/precision-recall metrics and whose softmax gives Inception Score and class accuracy. */
#include <math.h>
#include <stdlib.h>
#include <string.h>
#include "ganc.h"

ganc_net_t *ganc_classifier_net(int max_batch, int *in, int *features, int *logits) {
    ganc_net_t *n = ganc_net_new("classifier");
    if (!n) return NULL;
    int h = *in = ganc_net_input(n, "x", 3, (int[]){1, 32, 32});
    const int ch[3] = {32, 64, 128};
    char name[32];
    for (int b = 0; b < 3; b++) {
        snprintf(name, sizeof name, "conv%d", b + 1);
        h = ganc_net_conv2d(n, name, h, ch[b], 3, 3, 1, 1, 0);
        snprintf(name, sizeof name, "bn%d", b + 1);
        h = ganc_net_batchnorm(n, name, h, 1e-5f, 0.1f);
        snprintf(name, sizeof name, "relu%d", b + 1);
        h = ganc_net_relu(n, name, h);
        snprintf(name, sizeof name, "pool%d", b + 1);
        h = ganc_net_avgpool(n, name, h, 2, 2);
    }
    h = ganc_net_reshape(n, "flat", h, 1, (int[]){128 * 4 * 4});
    h = ganc_net_linear(n, "fc1", h, 128, 1);
    h = *features = ganc_net_relu(n, "relu4", h);
    h = ganc_net_dropout(n, "drop", h, 0.3f);
    h = *logits = ganc_net_linear(n, "fc2", h, 10, 1);
    if (h < 0 || ganc_net_build(n, max_batch)) { ganc_net_free(n); return NULL; }
    return n;
}

int ganc_classifier_run(ganc_net_t *net, int in, int features, int logits, const float *x, int n, float *feat,
                        float *probs) {
    const int B = ganc_net_max_batch(net);
    for (int i = 0; i < n; i += B) {
        int b = n - i < B ? n - i : B;
        memcpy(ganc_net_data(net, in), x + (size_t)i * 32 * 32, sizeof(float) * b * 32 * 32);
        int rc = ganc_net_forward(net, b, 0);
        if (rc) return rc;
        if (feat) memcpy(feat + (size_t)i * 128, ganc_net_data(net, features), sizeof(float) * b * 128);
        if (probs) ganc_softmax_rows(ganc_net_data(net, logits), b, 10, probs + (size_t)i * 10);
    }
    return GANC_OK;
}
