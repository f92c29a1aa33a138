/* VGG19's convolutional features (Simonyan & Zisserman 2014) in torchvision's layout (vgg19().features: conv 3x3 +
   ReLU, max-pooling 2x2 between the five stages of 2, 2, 4, 4, 4 convolutions; state_dict names features.{i}.weight
   and .bias), up to relu2_2 (features[:9], SRGAN's VGG22) or relu5_4 (features[:36], VGG54). A BatchNorm named "norm"
   in front, used in evaluation mode only, maps ganc's [-1,1] images to torchvision's input: x in [0,1] normalised by
   ImageNet's mean and std (running_mean = 2 mean - 1, running_var = (2 std)^2 - eps, weight 1, bias 0: the constants
   scripts/convert_vgg19.py writes with the converted weights). */
#include <stdio.h>
#include "ganc.h"

int ganc_vgg19_features(ganc_net_t *n, int x, int end) {
    static const int widths[16] = {64, 64, 128, 128, 256, 256, 256, 256, 512, 512, 512, 512, 512, 512, 512, 512};
    static const int stage_end[5] = {2, 4, 8, 12, 16}; /* convolutions before each pooling */
    if (end != GANC_VGG22 && end != GANC_VGG54) {
        ganc_fail(GANC_EINVAL, "vgg19: features end at relu2_2 (9) or relu5_4 (36), not %d", end);
        return -1;
    }
    int idx = 0, conv = 0;
    char nm[48];
    for (int stage = 0; stage < 5 && idx < end; stage++) {
        for (; conv < stage_end[stage] && idx < end; conv++) {
            snprintf(nm, sizeof nm, "features.%d", idx++);
            x = ganc_net_conv2d(n, nm, x, widths[conv], 3, 3, 1, 1, 1);
            snprintf(nm, sizeof nm, "features.%d.relu", idx++);
            x = ganc_net_relu(n, nm, x);
        }
        if (idx < end) {
            snprintf(nm, sizeof nm, "features.%d.pool", idx++);
            x = ganc_net_maxpool(n, nm, x, 2, 2, 0);
        }
    }
    return x;
}

ganc_net_t *ganc_vgg19(int end, int h, int w, int max_batch, int *in, int *out) {
    if (h < 1 || w < 1 || h > 4096 || w > 4096) {
        ganc_fail(GANC_EINVAL, "vgg19: input %dx%d outside 1..4096", w, h);
        return NULL;
    }
    ganc_net_t *n = ganc_net_new("VGG19");
    if (!n) return NULL;
    *in = ganc_net_input(n, "x", 3, (int[]){3, h, w});
    int x = ganc_net_batchnorm(n, "norm", *in, 1e-5f, 0.1f);
    *out = ganc_vgg19_features(n, x, end);
    if (*out < 0 || ganc_net_mark_output(n, *out) || ganc_net_build(n, max_batch)) {
        ganc_net_free(n);
        return NULL;
    }
    return n;
}

void ganc_vgg19_set_norm(ganc_net_t *n) {
    static const float mean[3] = {0.485f, 0.456f, 0.406f}, std_[3] = {0.229f, 0.224f, 0.225f};
    ganc_tensor_info_t t[4];
    const char *names[4] = {"norm.weight", "norm.bias", "norm.running_mean", "norm.running_var"};
    for (int k = 0; k < 4; k++)
        if (ganc_net_find(n, names[k], &t[k])) return;
    for (int c = 0; c < 3; c++) {
        t[0].data[c] = 1.0f;
        t[1].data[c] = 0.0f;
        t[2].data[c] = 2.0f * mean[c] - 1.0f;
        t[3].data[c] = 4.0f * std_[c] * std_[c] - 1e-5f;
    }
}
