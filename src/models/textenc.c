/* The text encoder of Reed et al. 2016 (char-CNN-RNN) and its training: the deep symmetric structured joint
   embedding with a small image encoder. Shapes and names are in ganc.h. */
#include <math.h>
#include <stdio.h>
#include <stdlib.h>
#include <string.h>
#include "ganc.h"
#include "models/models.h"

struct ganc_textenc_trainer {
    ganc_textenc_train_cfg_t cfg;
    ganc_trainer_t *tr;
    ganc_net_t *txt, *img;
    ganc_textenc_io_t tio, iio;
    int it, ii;
    float *dimg, *dtxt;
};

ganc_textenc_cfg_t ganc_textenc_default_cfg(void) { return (ganc_textenc_cfg_t){128, 256, 128, 32}; }

int ganc_textenc_check_cfg(const ganc_textenc_cfg_t *c) {
    if (c->conv < 1 || c->conv > 4096 || c->hidden < 1 || c->hidden > 4096 || c->dim < 1 || c->dim > 4096 ||
        c->img_width < 1 || c->img_width > 1024)
        return ganc_fail(GANC_EINVAL, "textenc: conv, hidden and dim must be 1..4096, the image width 1..1024");
    return GANC_OK;
}

ganc_net_t *ganc_textenc_text_net(const ganc_textenc_cfg_t *c, int max_batch, ganc_textenc_io_t *io) {
    if (ganc_textenc_check_cfg(c)) return NULL;
    ganc_net_t *n = ganc_net_new("textenc");
    if (!n) return NULL;
    const int A = ganc_text_alphabet();
    io->in = ganc_net_input(n, "text", 2, (int[]){A, GANC_TEXT_LEN});
    io->len = ganc_net_input(n, "steps", 1, (int[]){1});
    int h = ganc_net_conv1d(n, "conv1", io->in, c->conv, 3, 1, 1, 1);
    h = ganc_net_relu(n, "relu1", h);
    h = ganc_net_maxout(n, "pool1", h, 2);
    h = ganc_net_conv1d(n, "conv2", h, c->conv, 3, 1, 1, 1);
    h = ganc_net_relu(n, "relu2", h);
    h = ganc_net_maxout(n, "pool2", h, 2);
    h = ganc_net_transpose(n, "seq", h);
    h = ganc_net_lstm(n, "rnn", h, c->hidden);
    h = ganc_net_mean_time(n, "mean", h, io->len);
    io->out = ganc_net_linear(n, "fc", h, c->dim, 1);
    if (io->out < 0 || ganc_net_build(n, max_batch)) { ganc_net_free(n); return NULL; }
    return n;
}

ganc_net_t *ganc_textenc_image_net(const ganc_textenc_cfg_t *c, int size, int max_batch, ganc_textenc_io_t *io) {
    if (ganc_textenc_check_cfg(c)) return NULL;
    if (size < 32 || size % 32) { ganc_fail(GANC_EINVAL, "textenc: the image size must be a multiple of 32"); return NULL; }
    ganc_net_t *n = ganc_net_new("imgenc");
    if (!n) return NULL;
    const int w = c->img_width;
    io->len = -1;
    io->in = ganc_net_input(n, "image", 3, (int[]){3, size, size});
    int h = size > 32 ? ganc_net_avgpool(n, "down", io->in, size / 32, size / 32) : io->in;
    h = ganc_net_leaky_relu(n, "act1", ganc_net_conv2d(n, "conv1", h, w, 4, 4, 2, 1, 1), 0.2f);
    h = ganc_net_leaky_relu(n, "act2", ganc_net_conv2d(n, "conv2", h, 2 * w, 4, 4, 2, 1, 1), 0.2f);
    h = ganc_net_leaky_relu(n, "act3", ganc_net_conv2d(n, "conv3", h, 4 * w, 4, 4, 2, 1, 1), 0.2f);
    h = ganc_net_reshape(n, "flat", h, 1, (int[]){4 * w * 16});
    io->out = ganc_net_linear(n, "fc", h, c->dim, 1);
    if (io->out < 0 || ganc_net_build(n, max_batch)) { ganc_net_free(n); return NULL; }
    return n;
}

int ganc_textenc_set_text(ganc_net_t *net, const ganc_textenc_io_t *io, const char *const *captions, int n) {
    const int A = ganc_text_alphabet(), T = GANC_TEXT_LEN;
    if (n < 1 || n > ganc_net_max_batch(net)) return ganc_fail(GANC_EINVAL, "textenc: %d captions for a batch of %d",
                                                              n, ganc_net_max_batch(net));
    float *x = ganc_net_data(net, io->in), *len = ganc_net_data(net, io->len), idx[GANC_TEXT_LEN];
    memset(x, 0, sizeof(float) * (size_t)A * T * n);
    for (int i = 0; i < n; i++) {
        int l, rc = ganc_text_encode(captions[i], idx, &l);
        if (rc) return rc;
        for (int t = 0; t < l; t++) x[(size_t)i * A * T + (size_t)idx[t] * T + t] = 1.0f; /* (A, T) one-hot */
        len[i] = (float)((l + 3) / 4); /* steps after two poolings by 2 that hold a character */
    }
    return GANC_OK;
}

int ganc_textenc_embed(ganc_net_t *net, const ganc_textenc_io_t *io, const char *const *captions, int n, float *emb) {
    const int B = ganc_net_max_batch(net);
    const size_t D = ganc_net_numel(net, io->out);
    for (int i = 0; i < n; i += B) {
        const int b = n - i < B ? n - i : B;
        int rc = ganc_textenc_set_text(net, io, captions + i, b);
        if (!rc) rc = ganc_net_forward(net, b, 0);
        if (rc) return rc;
        memcpy(emb + D * i, ganc_net_data(net, io->out), sizeof(float) * D * b);
    }
    return GANC_OK;
}

int ganc_textenc_embed_images(ganc_net_t *net, const ganc_textenc_io_t *io, const float *x, int n, float *emb) {
    return model_run(net, io->in, x, -1, NULL, io->out, n, emb);
}

static double dot(const float *a, const float *b, int d) {
    double s = 0;
    for (int k = 0; k < d; k++) s += (double)a[k] * b[k];
    return s;
}

float ganc_sje_loss(const float *img, const float *txt, int n, int dim, float *dimg, float *dtxt) {
    if (dimg) memset(dimg, 0, sizeof(float) * (size_t)n * dim);
    if (dtxt) memset(dtxt, 0, sizeof(float) * (size_t)n * dim);
    double loss = 0;
    const float inv = 1.0f / (float)n;
    for (int i = 0; i < n; i++) {
        const double sii = dot(img + (size_t)i * dim, txt + (size_t)i * dim, dim);
        for (int j = 0; j < n; j++) {
            if (j == i) continue;
            /* image i with text j, and text i with image j: each against the matching score S_ii */
            const double a = 1 + dot(img + (size_t)i * dim, txt + (size_t)j * dim, dim) - sii;
            const double b = 1 + dot(img + (size_t)j * dim, txt + (size_t)i * dim, dim) - sii;
            const float *ii = img + (size_t)i * dim, *ti = txt + (size_t)i * dim;
            const float *ij = img + (size_t)j * dim, *tj = txt + (size_t)j * dim;
            if (a > 0) {
                loss += a;
                for (int k = 0; dimg && k < dim; k++) dimg[(size_t)i * dim + k] += inv * (tj[k] - ti[k]);
                for (int k = 0; dtxt && k < dim; k++) {
                    dtxt[(size_t)j * dim + k] += inv * ii[k];
                    dtxt[(size_t)i * dim + k] -= inv * ii[k];
                }
            }
            if (b > 0) {
                loss += b;
                for (int k = 0; dimg && k < dim; k++) {
                    dimg[(size_t)j * dim + k] += inv * ti[k];
                    dimg[(size_t)i * dim + k] -= inv * ti[k];
                }
                for (int k = 0; dtxt && k < dim; k++) dtxt[(size_t)i * dim + k] += inv * (ij[k] - ii[k]);
            }
        }
    }
    return (float)(loss / n);
}

int ganc_textenc_ranks(const float *img, int nimg, const float *txt, int ntxt, const int *owner, int dim, int *rank) {
    for (int j = 0; j < ntxt; j++) {
        const int o = owner ? owner[j] : j;
        if (o < 0 || o >= nimg) return ganc_fail(GANC_EINVAL, "textenc: caption %d's image %d outside 0..%d", j, o, nimg - 1);
        const double own = dot(img + (size_t)o * dim, txt + (size_t)j * dim, dim);
        int r = 1;
        for (int i = 0; i < nimg; i++) /* ties count against the caption: no credit for a constant encoder */
            if (i != o && dot(img + (size_t)i * dim, txt + (size_t)j * dim, dim) >= own) r++;
        rank[j] = r;
    }
    return GANC_OK;
}

void ganc_textenc_trainer_free(ganc_textenc_trainer_t *t) {
    if (!t) return;
    ganc_trainer_free(t->tr);
    free(t->dimg); free(t->dtxt);
    free(t);
}

ganc_textenc_trainer_t *ganc_textenc_trainer_new(const ganc_textenc_train_cfg_t *cfg) {
    if (ganc_textenc_check_cfg(&cfg->net)) return NULL;
    if (cfg->batch < 2 || cfg->batch > 4096) { ganc_fail(GANC_EINVAL, "textenc: batch must be 2..4096"); return NULL; }
    ganc_textenc_trainer_t *t = calloc(1, sizeof *t);
    if (!t) { ganc_fail(GANC_ENOMEM, "textenc: out of memory"); return NULL; }
    t->cfg = *cfg;
    const size_t nd = (size_t)cfg->batch * cfg->net.dim;
    t->dimg = malloc(sizeof(float) * nd);
    t->dtxt = malloc(sizeof(float) * nd);
    ganc_optim_cfg_t oc = ganc_adam_cfg(cfg->lr, cfg->beta1, cfg->beta2);
    ganc_net_t *a = NULL, *b = NULL;
    if (!t->dimg || !t->dtxt || !(t->tr = ganc_trainer_new()) ||
        !(a = ganc_textenc_text_net(&cfg->net, cfg->batch, &t->tio)) ||
        !(b = ganc_textenc_image_net(&cfg->net, cfg->size, cfg->batch, &t->iio))) {
        if (!ganc_errmsg()[0]) ganc_fail(GANC_ENOMEM, "textenc: out of memory");
        ganc_net_free(a);
        ganc_net_free(b);
        ganc_textenc_trainer_free(t);
        return NULL;
    }
    ganc_net_init_default(a, cfg->seed);
    ganc_net_init_default(b, cfg->seed + 1);
    t->it = ganc_trainer_add_net(t->tr, "text", a, &oc);
    t->ii = t->it < 0 ? (ganc_net_free(b), -1) : ganc_trainer_add_net(t->tr, "image", b, &oc);
    if (t->ii < 0) { ganc_textenc_trainer_free(t); return NULL; }
    t->txt = a;
    t->img = b;
    return t;
}

int ganc_textenc_step(ganc_textenc_trainer_t *t, const float *images, const char *const *captions, float *loss) {
    const int B = t->cfg.batch;
    int rc = ganc_textenc_set_text(t->txt, &t->tio, captions, B);
    if (!rc) rc = ganc_net_set_input(t->img, t->iio.in, images, B);
    if (!rc) rc = ganc_net_forward(t->txt, B, GANC_TRAIN);
    if (!rc) rc = ganc_net_forward(t->img, B, GANC_TRAIN);
    if (rc) return rc;
    float l = ganc_sje_loss(ganc_net_data(t->img, t->iio.out), ganc_net_data(t->txt, t->tio.out), B, t->cfg.net.dim,
                            t->dimg, t->dtxt);
    if (loss) *loss = l;
    ganc_net_zero_grad(t->txt);
    ganc_net_zero_grad(t->img);
    memcpy(ganc_net_grad(t->txt, t->tio.out), t->dtxt, sizeof(float) * B * t->cfg.net.dim);
    memcpy(ganc_net_grad(t->img, t->iio.out), t->dimg, sizeof(float) * B * t->cfg.net.dim);
    if (!rc) rc = ganc_net_backward(t->txt, GANC_NO_INPUT_GRADS);
    if (!rc) rc = ganc_net_backward(t->img, GANC_NO_INPUT_GRADS);
    if (!rc) rc = ganc_trainer_update(t->tr, t->it, l);
    if (!rc) rc = ganc_trainer_update(t->tr, t->ii, l);
    if (!rc) ganc_trainer_count_step(t->tr);
    return rc;
}

ganc_trainer_t *ganc_textenc_trainer_core(ganc_textenc_trainer_t *t) { return t->tr; }
ganc_net_t *ganc_textenc_text(ganc_textenc_trainer_t *t, ganc_textenc_io_t *io) {
    if (io) *io = t->tio;
    return t->txt;
}
ganc_net_t *ganc_textenc_image(ganc_textenc_trainer_t *t, ganc_textenc_io_t *io) {
    if (io) *io = t->iio;
    return t->img;
}

static const char *const meta_keys[5] = {"conv", "hidden", "dim", "img_width", "size"};

int ganc_textenc_meta(const ganc_textenc_cfg_t *c, int size, ganc_meta_t *m) {
    return model_meta_ints(m, "textenc", meta_keys, (const int[]){c->conv, c->hidden, c->dim, c->img_width, size}, 5);
}

int ganc_textenc_cfg_from_file(const ganc_st_t *st, ganc_textenc_cfg_t *c, int *size) {
    int rc = model_ints_from_file(st, "textenc", "a text encoder (ganc train textenc)", meta_keys,
                                  (int *const[]){&c->conv, &c->hidden, &c->dim, &c->img_width, size}, 5);
    return rc ? rc : ganc_textenc_check_cfg(c) ? ganc_fail(GANC_EFORMAT, "%s: %s", ganc_st_path(st), ganc_errmsg())
                                               : GANC_OK;
}
