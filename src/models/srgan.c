/* SRResNet and SRGAN's discriminator (Ledig et al. 2016), as networks of the graph with PyTorch state_dict names
   (the modules of scripts/gen_srgan_fixtures.py):

   G  head.0 conv 9x9 nc->w, head.1 PReLU
      body.{i}: conv1 3x3, bn1, act (PReLU), conv2 3x3, bn2, + the block's input          (i < blocks)
      tail.0 conv 3x3, tail.1 BN, + head's output (the long skip)
      up.{k}: conv 3x3 w->4w, PixelShuffle x2, act (PReLU)                                 (k < log2(scale))
      out conv 9x9 w->nc
   D  features: conv 3x3 nc->w s1, LeakyReLU 0.2, then seven [conv 3x3, BN, LeakyReLU 0.2] with w s2, 2w s1,
      2w s2, 4w s1, 4w s2, 8w s1, 8w s2 (indices 0,1, then 2+3k conv, 3+3k bn, 4+3k act), flatten,
      classifier.0 Linear -> dense, classifier.1 LeakyReLU 0.2, classifier.2 Linear -> 1 (a logit); paper: w 64,
      dense 1024
   Every conv has a bias (PyTorch's default); PReLU has one parameter (nn.PReLU()); BatchNorm eps 1e-5. */
#include <stdio.h>
#include "ganc.h"

ganc_sr_cfg_t ganc_sr_default_cfg(void) {
    ganc_sr_cfg_t c = {16, 64, 4, 3};
    return c;
}

int ganc_sr_check_cfg(const ganc_sr_cfg_t *c) {
    if (c->blocks < 0 || c->blocks > 64 || c->width < 1 || c->width > 1024 || (c->scale != 2 && c->scale != 4 &&
        c->scale != 8) || (c->nc != 1 && c->nc != 3))
        return ganc_fail(GANC_EINVAL, "srresnet: blocks 0..64, width 1..1024, scale 2, 4 or 8, channels 1 or 3");
    return GANC_OK;
}

static int conv(ganc_net_t *n, const char *name, int x, int oc, int k, int s) {
    return ganc_net_conv2d(n, name, x, oc, k, k, s, k / 2, 1);
}

/* a residual block: x + bn2(conv2(prelu(bn1(conv1(x))))) */
static int res_block(ganc_net_t *n, int i, int x, int w) {
    char nm[5][48];
    const char *part[5] = {"conv1", "bn1", "act", "conv2", "bn2"};
    for (int k = 0; k < 5; k++) snprintf(nm[k], sizeof nm[k], "body.%d.%s", i, part[k]);
    int h = conv(n, nm[0], x, w, 3, 1);
    h = ganc_net_batchnorm(n, nm[1], h, 1e-5f, 0.1f);
    h = ganc_net_prelu(n, nm[2], h, 1);
    h = conv(n, nm[3], h, w, 3, 1);
    h = ganc_net_batchnorm(n, nm[4], h, 1e-5f, 0.1f);
    snprintf(nm[0], sizeof nm[0], "body.%d.add", i);
    return ganc_net_add(n, nm[0], h, x);
}

ganc_net_t *ganc_srresnet(const ganc_sr_cfg_t *c, int lr_h, int lr_w, int max_batch, ganc_sr_io_t *io) {
    if (ganc_sr_check_cfg(c)) return NULL;
    if (lr_h < 1 || lr_w < 1 || lr_h > 4096 || lr_w > 4096) {
        ganc_fail(GANC_EINVAL, "srresnet: low-resolution input %dx%d outside 1..4096", lr_w, lr_h);
        return NULL;
    }
    ganc_net_t *n = ganc_net_new("G");
    if (!n) return NULL;
    const int w = c->width;
    io->in = ganc_net_input(n, "lr", 3, (int[]){c->nc, lr_h, lr_w});
    int h = conv(n, "head.0", io->in, w, 9, 1);
    const int head = ganc_net_prelu(n, "head.1", h, 1);
    h = head;
    for (int i = 0; i < c->blocks; i++) h = res_block(n, i, h, w);
    h = conv(n, "tail.0", h, w, 3, 1);
    h = ganc_net_batchnorm(n, "tail.1", h, 1e-5f, 0.1f);
    h = ganc_net_add(n, "tail.skip", h, head);
    char nm[48];
    for (int k = 0, s = c->scale; s > 1; k++, s /= 2) {
        snprintf(nm, sizeof nm, "up.%d.conv", k);
        h = conv(n, nm, h, 4 * w, 3, 1);
        snprintf(nm, sizeof nm, "up.%d.shuffle", k);
        h = ganc_net_pixel_shuffle(n, nm, h, 2);
        snprintf(nm, sizeof nm, "up.%d.act", k);
        h = ganc_net_prelu(n, nm, h, 1);
    }
    io->out = conv(n, "out", h, c->nc, 9, 1);
    if (io->out < 0 || ganc_net_mark_output(n, io->out) || ganc_net_build(n, max_batch)) {
        ganc_net_free(n);
        return NULL;
    }
    return n;
}

ganc_net_t *ganc_srgan_d(int nc, int hr_size, int width, int dense, int max_batch, ganc_sr_io_t *io) {
    if ((nc != 1 && nc != 3) || hr_size < 16 || hr_size > 1024 || hr_size % 16 || width < 1 || width > 256 ||
        dense < 1 || dense > 8192) {
        ganc_fail(GANC_EINVAL, "srgan D: channels 1 or 3, an image side of 16..1024 that is a multiple of 16 (got %d), "
                  "width 1..256, dense 1..8192", hr_size);
        return NULL;
    }
    ganc_net_t *n = ganc_net_new("D");
    if (!n) return NULL;
    static const int mul[7] = {1, 2, 2, 4, 4, 8, 8}, st[7] = {2, 1, 2, 1, 2, 1, 2};
    io->in = ganc_net_input(n, "hr", 3, (int[]){nc, hr_size, hr_size});
    int h = conv(n, "features.0", io->in, width, 3, 1);
    h = ganc_net_leaky_relu(n, "features.1", h, 0.2f);
    char nm[48];
    for (int k = 0; k < 7; k++) {
        snprintf(nm, sizeof nm, "features.%d", 2 + 3 * k);
        h = conv(n, nm, h, width * mul[k], 3, st[k]);
        snprintf(nm, sizeof nm, "features.%d", 3 + 3 * k);
        h = ganc_net_batchnorm(n, nm, h, 1e-5f, 0.1f);
        snprintf(nm, sizeof nm, "features.%d", 4 + 3 * k);
        h = ganc_net_leaky_relu(n, nm, h, 0.2f);
    }
    const int s = hr_size / 16;
    h = ganc_net_reshape(n, "flatten", h, 1, (int[]){8 * width * s * s});
    h = ganc_net_linear(n, "classifier.0", h, dense, 1);
    h = ganc_net_leaky_relu(n, "classifier.1", h, 0.2f);
    io->out = ganc_net_linear(n, "classifier.2", h, 1, 1);
    if (io->out < 0 || ganc_net_mark_output(n, io->out) || ganc_net_build(n, max_batch)) {
        ganc_net_free(n);
        return NULL;
    }
    return n;
}
