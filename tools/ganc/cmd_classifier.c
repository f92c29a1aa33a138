/* ganc train classifier: trains the Fashion-MNIST feature network used by `ganc eval` (weights/fmnist_cnn.safetensors
   is the committed result of `ganc train classifier` with its defaults). */
#include <math.h>
#include <stdio.h>
#include <stdlib.h>
#include <string.h>
#include "cli.h"

static double test_accuracy(ganc_net_t *net, int in, int feat, int logits, const ganc_dataset_t *ds) {
    float *p = malloc(sizeof(float) * (size_t)ds->n * 10);
    if (!p || ganc_classifier_run(net, in, feat, logits, ds->x, ds->n, NULL, p)) { free(p); return -1; }
    double acc = ganc_class_accuracy(p, ds->n, 10, ds->labels);
    free(p);
    return acc;
}

int cmd_train_classifier(int argc, char **argv) {
    static const command_t cmd = {
        "train classifier", "train classifier [--data SRC] [--out FILE] [options]",
        "Train the Fashion-MNIST feature network of `ganc eval` (see include/ganc.h) and report its test accuracy.\n"
        "Adam, softmax cross-entropy, random horizontal flips (unless --no-flip); the learning rate drops 10x for the\n"
        "last 2 epochs. Any labelled sources (labels 0..9) serve: e.g. SimGAN's protocol trains it on synthetic or\n"
        "refined digits (--data DIR) and tests on the real ones (--test sklearn-digits).",
        NULL};
    const char *data = "fashion-mnist:train", *test = "fashion-mnist:test", *out = "weights/fmnist_cnn.safetensors";
    int epochs = 8, batch = 128, threads = 0, no_flip = 0;
    float lr = 1e-3f;
    uint64_t seed = 1;
    flag_t flags[] = {
        {"data", F_STR, &data, "SRC", "labelled training data", 0, NULL, 0, 0, 0},
        {"test", F_STR, &test, "SRC", "labelled test data (accuracy after each epoch)", 0, NULL, 0, 0, 0},
        {"out", F_STR, &out, "FILE", "weights file to write", 0, NULL, 0, 0, 0},
        {"epochs", F_INT, &epochs, NULL, "passes over the training data", 0, NULL, 0, 1, 1000},
        {"batch", F_INT, &batch, NULL, "batch size", 0, NULL, 0, 2, 4096},
        {"lr", F_FLOAT, &lr, NULL, "Adam learning rate", 0, NULL, 0, 1e-09, 10},
        {"seed", F_U64, &seed, NULL, "random seed", 0, NULL, 0, 0, 0},
        {"threads", F_INT, &threads, NULL, "threads (default: all cores)", 0, NULL, 0, 0, 1024},
        {"no-flip", F_BOOL, &no_flip, NULL, "no random horizontal flips (for digits, which flips change)", 0, NULL, 0,
         0, 0},
    };
    const int nflags = (int)(sizeof flags / sizeof flags[0]);
    char *pos[1];
    int npos;
    int prc = parse_flags(&cmd, flags, nflags, argc, argv, pos, 0, &npos);
    if (prc) return prc == 1 ? 0 : 2;
    if (epochs < 1 || batch < 2 || batch > 4096) { fprintf(stderr, "ganc train classifier: bad --epochs/--batch\n"); return 2; }
    if (dry_run()) return 0;
    ganc_set_threads(threads);
    ganc_dataset_t tr, te;
    if (ganc_dataset_load(&tr, data, 32, 1, 0)) { fprintf(stderr, "ganc train classifier: %s\n", ganc_errmsg()); return 1; }
    if (ganc_dataset_load(&te, test, 32, 1, 0)) {
        fprintf(stderr, "ganc train classifier: %s\n", ganc_errmsg());
        ganc_dataset_free(&tr);
        return 1;
    }
    if (!tr.labels || !te.labels || tr.nclasses > 10 || te.nclasses > 10) {
        fprintf(stderr, "ganc train classifier: the data must have labels 0..9\n");
        ganc_dataset_free(&tr);
        ganc_dataset_free(&te);
        return 1;
    }
    int in, feat, logits, rc = 0;
    ganc_net_t *net = ganc_classifier_net(batch, &in, &feat, &logits);
    const ganc_optim_cfg_t adam = ganc_adam_cfg(lr, 0.9f, 0.999f);
    ganc_trainer_t *tr_ = ganc_trainer_new(); /* owns net: its update refuses non-finite losses and weights */
    ganc_optim_t *opt = tr_ && net && ganc_trainer_add_net(tr_, "C", net, &adam) == 0 ? ganc_trainer_optim(tr_, 0) : NULL;
    if (tr_ && !opt) net = NULL; /* freed by the failed registration */
    float *xb = malloc(sizeof(float) * (size_t)batch * 1024);
    int *yb = malloc(sizeof(int) * batch);
    ganc_loader_t ld = {0};
    if (!net || !opt || !xb || !yb || ganc_loader_init(&ld, &tr, seed, 0, 0)) {
        fprintf(stderr, "ganc train classifier: %s\n", ganc_errmsg());
        rc = 1;
        goto done;
    }
    ganc_net_init_default(net, seed);
    ganc_net_seed(net, seed + 1);
    ganc_rng_t flip;
    ganc_rng_seed(&flip, seed + 2);
    const int steps = tr.n / batch;
    double acc = 0, t0 = now_s();
    printf("training the feature network on %d images (%s), %d epochs, batch %d, %d threads\n", tr.n, data, epochs,
           batch, ganc_get_threads());
    for (int e = 0; e < epochs && !rc; e++) {
        ganc_optim_cfg(opt)->lr = e >= epochs - 2 && epochs > 2 ? lr * 0.1f : lr;
        double loss = 0;
        for (int s = 0; s < steps; s++) {
            ganc_loader_next(&ld, batch, xb, yb);
            for (int b = 0; b < batch; b++)
                if (ganc_rng_uniform(&flip) < 0.5f && !no_flip)
                    for (int y = 0; y < 32; y++)
                        for (int x = 0; x < 16; x++) {
                            float *r = xb + (size_t)b * 1024 + y * 32, t = r[x];
                            r[x] = r[31 - x];
                            r[31 - x] = t;
                        }
            memcpy(ganc_net_data(net, in), xb, sizeof(float) * batch * 1024);
            ganc_net_zero_grad(net);
            if (ganc_net_forward(net, batch, GANC_TRAIN | GANC_UPDATE_STATS)) { rc = 1; break; }
            float l = ganc_softmax_xent(ganc_net_data(net, logits), yb, batch, 10, ganc_net_grad(net, logits), 1.0f);
            loss += l;
            if (ganc_net_backward(net, GANC_NO_INPUT_GRADS) || ganc_trainer_update(tr_, 0, l)) { rc = 1; break; }
            ganc_trainer_count_step(tr_);
        }
        acc = test_accuracy(net, in, feat, logits, &te);
        printf("epoch %d/%d  loss %.4f  test accuracy %.2f%%  (%.0f s)\n", e + 1, epochs, loss / steps, 100 * acc,
               now_s() - t0);
        fflush(stdout);
    }
    if (!rc) {
        char accs[32], eps[16];
        snprintf(accs, sizeof accs, "%.4f", acc);
        snprintf(eps, sizeof eps, "%d", epochs);
        const char *kv[] = {"kind", "classifier", "dataset", data, "test_accuracy", accs, "epochs", eps,
                            "input", "(1,32,32) in [-1,1], 28x28 padded by 2"};
        if (ganc_net_save(net, out, kv, 5)) { fprintf(stderr, "ganc train classifier: %s\n", ganc_errmsg()); rc = 1; }
        else printf("wrote %s (test accuracy %.2f%%)\n", out, 100 * acc);
    }
    if (rc == 1 && ganc_errmsg()[0]) fprintf(stderr, "ganc train classifier: %s\n", ganc_errmsg());
done:
    ganc_loader_free(&ld);
    free(xb); free(yb);
    if (tr_) ganc_trainer_free(tr_);
    else ganc_net_free(net);
    ganc_dataset_free(&tr);
    ganc_dataset_free(&te);
    return rc;
}
