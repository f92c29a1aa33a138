/* SRResNet and SRGAN's discriminator (Ledig et al. 2016), as networks of the graph with PyTorch state_dict names
   (the modules of scripts/gen_srgan_fixtures.py):

   G  head.0 conv 9x9 nc->w, head.1 PReLU
      body.{i}: conv1 3x3, bn1, act (PReLU), conv2 3x3, bn2, + the block's input          (i < blocks)
      tail.0 conv 3x3, tail.1 BN, + head's output (the long skip)
      up.{k}: conv 3x3 w->4w, PixelShuffle x2, act (PReLU)                                 (k < log2(scale))
      out conv 9x9 w->nc
      (skip bicubic: + MATLAB's bicubic upscale of the input, a parameter-free layer; ganc's default recipe)
   D  features: conv 3x3 nc->w s1, LeakyReLU 0.2, then seven [conv 3x3, BN, LeakyReLU 0.2] with w s2, 2w s1,
      2w s2, 4w s1, 4w s2, 8w s1, 8w s2 (indices 0,1, then 2+3k conv, 3+3k bn, 4+3k act), flatten,
      classifier.0 Linear -> dense, classifier.1 LeakyReLU 0.2, classifier.2 Linear -> 1 (a logit); paper: w 64,
      dense 1024
   Every conv has a bias (PyTorch's default); PReLU has one parameter (nn.PReLU()); BatchNorm eps 1e-5. */
#include <math.h>
#include <stdio.h>
#include <stdlib.h>
#include <string.h>
#include "ganc.h"

ganc_sr_cfg_t ganc_sr_default_cfg(void) {
    ganc_sr_cfg_t c = {16, 64, 4, 3, GANC_SR_SKIP_NONE};
    return c;
}

int ganc_sr_check_cfg(const ganc_sr_cfg_t *c) {
    if (c->blocks < 0 || c->blocks > 64 || c->width < 1 || c->width > 1024 || (c->scale != 2 && c->scale != 4 &&
        c->scale != 8) || (c->nc != 1 && c->nc != 3) || (c->skip != GANC_SR_SKIP_NONE && c->skip != GANC_SR_SKIP_BICUBIC))
        return ganc_fail(GANC_EINVAL, "srresnet: blocks 0..64, width 1..1024, scale 2, 4 or 8, channels 1 or 3, "
                         "skip none or bicubic");
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
    if (c->skip == GANC_SR_SKIP_BICUBIC) {
        const int up = ganc_net_upsample(n, "skip.bicubic", io->in, c->scale, GANC_RESAMPLE_BICUBIC);
        io->out = ganc_net_add(n, "skip.add", io->out, up);
    }
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

/* ---- training pairs: a random crop of a photo (8 orientations), its MATLAB-bicubic downscale */
int ganc_sr_crop(const ganc_image_t *img, int crop, int scale, ganc_rng_t *r, float *hr, float *lr) {
    if (crop < scale || crop % scale || img->w < crop || img->h < crop || (img->c != 1 && img->c != 3))
        return ganc_fail(GANC_EINVAL, "sr crop: a %dx%dx%d image cannot give %dx%d crops at x%d", img->w, img->h,
                         img->c, crop, crop, scale);
    const int x0 = (int)ganc_rng_below(r, (uint32_t)(img->w - crop + 1));
    const int y0 = (int)ganc_rng_below(r, (uint32_t)(img->h - crop + 1));
    const int t = (int)ganc_rng_below(r, 8); /* bit 0: mirror x, bit 1: mirror y, bit 2: transpose */
    const int c = img->c;
    for (int y = 0; y < crop; y++)
        for (int x = 0; x < crop; x++) {
            int sx = t & 4 ? y : x, sy = t & 4 ? x : y;
            if (t & 1) sx = crop - 1 - sx;
            if (t & 2) sy = crop - 1 - sy;
            const unsigned char *p = img->px + ((size_t)(y0 + sy) * img->w + x0 + sx) * c;
            for (int k = 0; k < c; k++) hr[((size_t)k * crop + y) * crop + x] = p[k] / 127.5f - 1.0f;
        }
    return ganc_resize(hr, c, crop, crop, crop / scale, crop / scale, GANC_RESAMPLE_BICUBIC, lr);
}

/* ---- SRResNet training with a pixel loss */
struct ganc_sr_trainer {
    ganc_sr_train_cfg_t cfg;
    ganc_trainer_t *tr;
    ganc_net_t *g, *d, *vgg;
    ganc_sr_io_t io, dio, vio;
    int ig, id;
    float *fhr; /* the VGG features of the HR batch */
};

#define VGG_RESCALE (1.0f / (12.75f * 12.75f))

/* SRGAN-VGG: the frozen VGG19 (the trainer owns it) and the buffer of the HR batch's features */
static int add_vgg(ganc_sr_trainer_t *t, const ganc_sr_train_cfg_t *cfg) {
    ganc_st_t *st = NULL;
    ganc_net_t *v = ganc_vgg19(cfg->vgg_end, cfg->crop, cfg->crop, cfg->batch, &t->vio.in, &t->vio.out);
    if (!v) return GANC_EINVAL;
    int rc = cfg->vgg ? ganc_st_open(&st, cfg->vgg) : ganc_fail(GANC_EINVAL, "srgan: the VGG content loss needs VGG19 "
                                                                "weights (scripts/convert_vgg19.py)");
    if (!rc) rc = ganc_net_load_from(v, st, "", 1);
    ganc_st_free(st);
    if (rc) { ganc_net_free(v); return rc; }
    if (ganc_trainer_add_net(t->tr, "VGG", v, NULL) < 0) return GANC_EINVAL;
    t->vgg = v;
    t->fhr = malloc(sizeof(float) * ganc_net_numel(v, t->vio.out) * cfg->batch);
    return t->fhr ? GANC_OK : ganc_fail(GANC_ENOMEM, "srgan: out of memory");
}

/* the content loss on G's output (its gradient added there): the pixel loss, or VGG features' MSE */
static int content_loss(ganc_sr_trainer_t *t, const float *hr, float *loss) {
    const int B = t->cfg.batch, kind = t->cfg.loss == GANC_SR_L1 ? GANC_LOSS_L1 : GANC_LOSS_MSE;
    if (!t->vgg) return ganc_net_loss(t->g, t->io.out, kind, hr, 0.0f, 1.0f, loss);
    const size_t nf = ganc_net_numel(t->vgg, t->vio.out) * (size_t)B;
    int rc = ganc_net_set_input(t->vgg, t->vio.in, hr, B);
    if (!rc) rc = ganc_net_forward(t->vgg, B, 0);
    if (!rc) memcpy(t->fhr, ganc_net_data(t->vgg, t->vio.out), nf * sizeof(float));
    if (!rc) rc = ganc_net_feed(t->vgg, t->vio.in, t->g, t->io.out);
    if (!rc) rc = ganc_net_forward(t->vgg, B, 0);
    if (!rc) rc = ganc_net_loss(t->vgg, t->vio.out, GANC_LOSS_MSE, t->fhr, 0.0f, VGG_RESCALE, loss);
    if (!rc) rc = ganc_net_backward(t->vgg, GANC_NO_PARAM_GRADS);
    if (!rc) rc = ganc_net_add_grad(t->g, t->io.out, ganc_net_grad(t->vgg, t->vio.in), 1.0f);
    *loss *= VGG_RESCALE;
    return rc;
}

ganc_sr_trainer_t *ganc_sr_trainer_new(const ganc_sr_train_cfg_t *cfg) {
    const ganc_sr_cfg_t *c = &cfg->net;
    if (ganc_sr_check_cfg(c)) return NULL;
    if (cfg->batch < 1 || cfg->batch > 4096 || cfg->crop < c->scale || cfg->crop % c->scale || cfg->crop > 1024 ||
        !(cfg->lr > 0) || (cfg->loss != GANC_SR_MSE && cfg->loss != GANC_SR_L1) || !(cfg->adv >= 0) ||
        (cfg->adv > 0 && cfg->crop % 16) || (cfg->vgg_end && cfg->adv <= 0) || !(cfg->d_lr >= 0) ||
        cfg->d_warmup < 0) {
        ganc_fail(GANC_EINVAL, "srresnet: batch 1..4096, crop a multiple of the scale up to 1024 (SRGAN: of 16), lr > 0, "
                  "loss mse/l1, adv >= 0 (> 0 with a VGG content loss), d_lr >= 0, d_warmup >= 0");
        return NULL;
    }
    ganc_sr_trainer_t *t = calloc(1, sizeof *t);
    if (!t) { ganc_fail(GANC_ENOMEM, "srresnet: out of memory"); return NULL; }
    t->cfg = *cfg;
    const int lr = cfg->crop / c->scale;
    ganc_optim_cfg_t oc = ganc_adam_cfg(cfg->lr, cfg->beta1, cfg->beta2);
    if (!(t->tr = ganc_trainer_new()) || !(t->g = ganc_srresnet(c, lr, lr, cfg->batch, &t->io))) {
        ganc_sr_trainer_free(t);
        return NULL;
    }
    ganc_net_init_default(t->g, cfg->seed);
    ganc_tensor_info_t o;
    if (c->skip == GANC_SR_SKIP_BICUBIC) /* the residual starts at zero: G starts as bicubic upscaling */
        for (int k = 0; k < 2; k++)
            if (!ganc_net_find(t->g, k ? "out.bias" : "out.weight", &o)) memset(o.data, 0, o.numel * sizeof(float));
    ganc_net_t *g = t->g;
    t->g = NULL; /* the trainer owns it from here, also when registering fails */
    if ((t->ig = ganc_trainer_add_net(t->tr, "G", g, &oc)) < 0) {
        ganc_sr_trainer_free(t);
        return NULL;
    }
    t->g = g;
    if (cfg->adv > 0) { /* SRGAN: the paper's D, registered after G */
        ganc_net_t *d = ganc_srgan_d(c->nc, cfg->crop, cfg->d_width, cfg->d_dense, cfg->batch, &t->dio);
        if (d) ganc_net_init_default(d, cfg->seed + 1);
        const ganc_optim_cfg_t od = cfg->d_lr > 0 ? ganc_adam_cfg(cfg->d_lr, cfg->beta1, cfg->beta2) : oc;
        if (!d || (t->id = ganc_trainer_add_net(t->tr, "D", d, &od)) < 0) {
            ganc_sr_trainer_free(t); /* a registered D (and one refused) belongs to the trainer */
            return NULL;
        }
        t->d = d;
    }
    if (cfg->vgg_end && add_vgg(t, cfg)) {
        ganc_sr_trainer_free(t);
        return NULL;
    }
    return t;
}

ganc_net_t *ganc_sr_d(ganc_sr_trainer_t *t) { return t->d; }

/* D on its input batch: forward, BCE against target, backward; *p = mean D(.) */
static int srgan_d_pass(ganc_sr_trainer_t *t, float target, int fw, int bw, float *loss, float *p) {
    const int B = t->cfg.batch;
    int rc = ganc_net_forward(t->d, B, fw);
    if (!rc) rc = ganc_net_loss(t->d, t->dio.out, GANC_LOSS_BCE_LOGITS, NULL, target, 1.0f, loss);
    if (!rc) *p = ganc_mean_sigmoid(ganc_net_data(t->d, t->dio.out), (size_t)B);
    return rc ? rc : ganc_net_backward(t->d, bw);
}

int ganc_srgan_train_step(ganc_sr_trainer_t *t, const float *lr, const float *hr, ganc_srgan_stats_t *st) {
    const int B = t->cfg.batch;
    float l_real, l_fake, p;
    int rc;
    if (!t->d) return ganc_fail(GANC_EINVAL, "srgan: a trainer made without an adversarial weight has no D");
    const int warm = ganc_trainer_step(t->tr) < t->cfg.d_warmup; /* G's running statistics too stay as they are */
    if ((rc = ganc_net_set_input(t->g, t->io.in, lr, B)) ||
        (rc = ganc_net_forward(t->g, B, warm ? GANC_TRAIN : GANC_TRAIN | GANC_UPDATE_STATS)))
        return rc;
    /* D: real HR crops (1) against G's outputs (0) */
    ganc_net_zero_grad(t->d);
    if ((rc = ganc_net_set_input(t->d, t->dio.in, hr, B)) ||
        (rc = srgan_d_pass(t, 1.0f, GANC_TRAIN | GANC_UPDATE_STATS, GANC_NO_INPUT_GRADS, &l_real, &st->d_real)) ||
        (rc = ganc_net_feed(t->d, t->dio.in, t->g, t->io.out)) ||
        (rc = srgan_d_pass(t, 0.0f, GANC_TRAIN | GANC_UPDATE_STATS, GANC_NO_INPUT_GRADS, &l_fake, &st->d_fake)) ||
        (rc = ganc_trainer_update(t->tr, t->id, st->d_loss = l_real + l_fake)))
        return rc;
    if (warm) { /* D alone; D's last logits were G's batch before the update */
        if ((rc = ganc_net_loss(t->d, t->dio.out, GANC_LOSS_BCE_LOGITS, NULL, 1.0f, 1.0f, &st->adv)) ||
            (rc = content_loss(t, hr, &st->content)))
            return rc;
        ganc_trainer_count_step(t->tr);
        return GANC_OK;
    }
    /* G: content + adv x BCE(D(G(lr)), 1) through the updated D */
    ganc_net_zero_grad(t->g);
    if ((rc = srgan_d_pass(t, 1.0f, GANC_TRAIN, GANC_NO_PARAM_GRADS, &st->adv, &p)) ||
        (rc = ganc_net_add_grad(t->g, t->io.out, ganc_net_grad(t->d, t->dio.in), t->cfg.adv)) ||
        (rc = content_loss(t, hr, &st->content)) ||
        (rc = ganc_net_backward(t->g, GANC_NO_INPUT_GRADS)) ||
        (rc = ganc_trainer_update(t->tr, t->ig, st->content + t->cfg.adv * st->adv)))
        return rc;
    ganc_trainer_count_step(t->tr);
    return GANC_OK;
}

void ganc_sr_trainer_free(ganc_sr_trainer_t *t) {
    if (!t) return;
    if (t->tr) ganc_trainer_free(t->tr); /* frees G once registered */
    else ganc_net_free(t->g);
    free(t->fhr);
    free(t);
}

int ganc_sr_train_step(ganc_sr_trainer_t *t, const float *lr, const float *hr, float *loss) {
    const int B = t->cfg.batch;
    int rc;
    ganc_net_zero_grad(t->g);
    if ((rc = ganc_net_set_input(t->g, t->io.in, lr, B)) || (rc = ganc_net_forward(t->g, B, GANC_TRAIN | GANC_UPDATE_STATS)))
        return rc;
    const int kind = t->cfg.loss == GANC_SR_L1 ? GANC_LOSS_L1 : GANC_LOSS_MSE;
    if ((rc = ganc_net_loss(t->g, t->io.out, kind, hr, 0.0f, 1.0f, loss)) || (rc = ganc_net_backward(t->g, GANC_NO_INPUT_GRADS)) || (rc = ganc_trainer_update(t->tr, t->ig, *loss)))
        return rc;
    ganc_trainer_count_step(t->tr);
    return GANC_OK;
}

ganc_trainer_t *ganc_sr_trainer_core(ganc_sr_trainer_t *t) { return t->tr; }
ganc_net_t *ganc_sr_g(ganc_sr_trainer_t *t) { return t->g; }
const ganc_sr_io_t *ganc_sr_g_io(const ganc_sr_trainer_t *t) { return &t->io; }

/* ---- metadata: kind=srresnet, blocks, width, scale, channels */
int ganc_sr_meta(const ganc_sr_cfg_t *c, ganc_meta_t *m) {
    char v[4][16];
    snprintf(v[0], sizeof v[0], "%d", c->blocks);
    snprintf(v[1], sizeof v[1], "%d", c->width);
    snprintf(v[2], sizeof v[2], "%d", c->scale);
    snprintf(v[3], sizeof v[3], "%d", c->nc);
    int rc = ganc_meta_set(m, "kind", "srresnet");
    if (!rc) rc = ganc_meta_set(m, "blocks", v[0]);
    if (!rc) rc = ganc_meta_set(m, "width", v[1]);
    if (!rc) rc = ganc_meta_set(m, "scale", v[2]);
    if (!rc) rc = ganc_meta_set(m, "nc", v[3]);
    if (!rc) rc = ganc_meta_set(m, "skip", c->skip == GANC_SR_SKIP_BICUBIC ? "bicubic" : "none");
    return rc;
}

int ganc_sr_cfg_from_file(const ganc_st_t *st, ganc_sr_cfg_t *c) {
    const char *path = ganc_st_path(st), *kind = ganc_st_meta(st, "kind");
    static const char *const keys[4] = {"blocks", "width", "scale", "nc"};
    int *dst[4] = {&c->blocks, &c->width, &c->scale, &c->nc};
    if (!kind || strcmp(kind, "srresnet"))
        return ganc_fail(GANC_EMISMATCH, "%s: holds %s%s%s, not an srresnet model", path,
                         kind ? "a '" : "no model metadata", kind ? kind : "", kind ? "' model" : "");
    for (int i = 0; i < 4; i++) {
        const char *s = ganc_st_meta(st, keys[i]);
        double v;
        if (!s || ganc_parse_f64(s, 0, 4096, &v) || v != (int)v)
            return ganc_fail(GANC_EFORMAT, "%s: srresnet metadata %s is %s", path, keys[i], s ? "not an integer" : "missing");
        *dst[i] = (int)v;
    }
    const char *skip = ganc_st_meta(st, "skip"); /* absent in files written before the option: none */
    if (skip && strcmp(skip, "none") && strcmp(skip, "bicubic"))
        return ganc_fail(GANC_EFORMAT, "%s: srresnet metadata skip is '%s', not none or bicubic", path, skip);
    c->skip = skip && !strcmp(skip, "bicubic") ? GANC_SR_SKIP_BICUBIC : GANC_SR_SKIP_NONE;
    return ganc_sr_check_cfg(c) ? ganc_fail(GANC_EFORMAT, "%s: %s", path, ganc_errmsg()) : GANC_OK;
}

/* ---- upscaling whole images in tiles */

/* How far (in input pixels) an output pixel's value reaches: half of every convolution's kernel, in the resolution
   it runs at (BatchNorm in eval mode, PReLU, PixelShuffle and the adds are pointwise or exact rearrangements). */
int ganc_sr_margin(const ganc_sr_cfg_t *c) {
    double r = 4 + 2.0 * c->blocks + 1, f = 1; /* head 9x9, the blocks' two 3x3, the tail's 3x3 */
    for (int s = c->scale; s > 1; s /= 2) { r += 1 / f; f *= 2; } /* each upsampling stage's 3x3, before its shuffle */
    r += 4 / f; /* out 9x9 at full resolution */
    return (int)ceil(r);
}

/* Tile networks kept at once. Each holds a whole network's buffers for its tile (about 200 MB for the default model
   at --tile 64), so one is kept: edge tiles rebuild it (measured on a 400x300 input, x4: 4 kept, 871 MB peak RSS). */
#define TILE_NETS 1
struct ganc_sr_model {
    ganc_sr_cfg_t cfg;
    ganc_st_t *st;                /* the weights, loaded into each tile network */
    ganc_net_t *net[TILE_NETS];   /* tile networks by input size (interior, right, bottom, corner tiles) */
    int nh[TILE_NETS], nw[TILE_NETS];
    ganc_sr_io_t io[TILE_NETS];
};

ganc_sr_model_t *ganc_sr_load(const char *path) {
    ganc_sr_model_t *m = calloc(1, sizeof *m);
    if (!m) { ganc_fail(GANC_ENOMEM, "out of memory"); return NULL; }
    if (ganc_st_open(&m->st, path) || ganc_sr_cfg_from_file(m->st, &m->cfg)) { ganc_sr_free(m); return NULL; }
    ganc_sr_io_t io; /* the weights must fit the architecture: checked once on a small network */
    ganc_net_t *probe = ganc_srresnet(&m->cfg, 1, 1, 1, &io);
    int rc = probe ? ganc_net_load_from(probe, m->st, "", 0) : GANC_ENOMEM;
    ganc_net_free(probe);
    if (rc) { ganc_sr_free(m); return NULL; }
    return m;
}

void ganc_sr_free(ganc_sr_model_t *m) {
    if (!m) return;
    for (int i = 0; i < TILE_NETS; i++) ganc_net_free(m->net[i]);
    ganc_st_free(m->st);
    free(m);
}

const ganc_sr_cfg_t *ganc_sr_model_cfg(const ganc_sr_model_t *m) { return &m->cfg; }

/* the tile network for an input of h x w, built (weights loaded) on first use */
static ganc_net_t *tile_net(ganc_sr_model_t *m, int h, int w, ganc_sr_io_t **io) {
    int i = 0;
    while (i < TILE_NETS && m->net[i] && (m->nh[i] != h || m->nw[i] != w)) i++;
    if (i == TILE_NETS) { /* another size: reuse the last slot */
        i = TILE_NETS - 1;
        ganc_net_free(m->net[i]);
        m->net[i] = NULL;
    }
    if (!m->net[i]) {
        if (!(m->net[i] = ganc_srresnet(&m->cfg, h, w, 1, &m->io[i]))) return NULL;
        if (ganc_net_load_from(m->net[i], m->st, "", 0)) { ganc_net_free(m->net[i]); m->net[i] = NULL; return NULL; }
        m->nh[i] = h;
        m->nw[i] = w;
    }
    *io = &m->io[i];
    return m->net[i];
}

int ganc_sr_upscale(ganc_sr_model_t *m, const float *x, int h, int w, int tile, float *y) {
    const int c = m->cfg.nc, s = m->cfg.scale, mg = ganc_sr_margin(&m->cfg);
    if (h < 1 || w < 1 || tile < 1 || (size_t)h * w > ((size_t)1 << 26))
        return ganc_fail(GANC_EINVAL, "upscale: a %dx%d input with tiles of %d (at most 64M input pixels)", w, h, tile);
    const int W = w * s, H = h * s;
    for (int y0 = 0; y0 < h; y0 += tile)
        for (int x0 = 0; x0 < w; x0 += tile) {
            const int th = h - y0 < tile ? h - y0 : tile, tw = w - x0 < tile ? w - x0 : tile;
            const int ya = y0 - mg < 0 ? 0 : y0 - mg, yb = y0 + th + mg > h ? h : y0 + th + mg;
            const int xa = x0 - mg < 0 ? 0 : x0 - mg, xb = x0 + tw + mg > w ? w : x0 + tw + mg;
            ganc_sr_io_t *io;
            ganc_net_t *g = tile_net(m, yb - ya, xb - xa, &io);
            if (!g) return GANC_ENOMEM;
            float *in = ganc_net_data(g, io->in);
            for (int k = 0; k < c; k++)
                for (int r = ya; r < yb; r++)
                    memcpy(in + ((size_t)k * (yb - ya) + r - ya) * (xb - xa), x + ((size_t)k * h + r) * w + xa,
                           sizeof(float) * (xb - xa));
            int rc = ganc_net_forward(g, 1, 0);
            if (rc) return rc;
            const float *out = ganc_net_data(g, io->out);
            const int ow = (xb - xa) * s, oh = (yb - ya) * s; /* the tile's output; its core goes to y */
            for (int k = 0; k < c; k++)
                for (int r = 0; r < th * s; r++)
                    memcpy(y + ((size_t)k * H + y0 * s + r) * W + x0 * s,
                           out + ((size_t)k * oh + (y0 - ya) * s + r) * ow + (x0 - xa) * s, sizeof(float) * tw * s);
        }
    return GANC_OK;
}

int ganc_sr_upscale_image(ganc_sr_model_t *m, const ganc_image_t *in, int tile, ganc_image_t *out) {
    const int nc = m->cfg.nc, s = m->cfg.scale;
    memset(out, 0, sizeof *out);
    if (in->w < 1 || in->h < 1 || (size_t)in->w * in->h * s * s > GANC_SR_MAX_OUT_PIXELS)
        return ganc_fail(GANC_EINVAL, "upscale: %dx%d would become %dx%d, over the limit of %zu Mpixels", in->w, in->h,
                         in->w * s, in->h * s, GANC_SR_MAX_OUT_PIXELS >> 20);
    float *x = malloc(sizeof(float) * nc * in->w * in->h), *y = malloc(sizeof(float) * nc * in->w * in->h * s * s);
    int rc = x && y ? GANC_OK : ganc_fail(GANC_ENOMEM, "upscale: out of memory for a %dx%d image", in->w, in->h);
    if (!rc) {
        ganc_image_planes(in, nc, x);
        rc = ganc_sr_upscale(m, x, in->h, in->w, tile, y);
    }
    if (!rc) rc = ganc_planes_image(y, nc, in->h * s, in->w * s, out);
    free(x);
    free(y);
    return rc;
}
