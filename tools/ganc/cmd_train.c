/* ganc train dcgan|gan|cgan: the main job. Trains, logs, draws sample grids, checkpoints atomically, resumes
   exactly. */
#include <errno.h>
#include <math.h>
#include <signal.h>
#include <stdio.h>
#include <stdlib.h>
#include <string.h>
#include <dirent.h>
#include <sys/stat.h>
#include <unistd.h>
#include "cli.h"

static volatile sig_atomic_t g_stop = 0;
static void on_signal(int sig) { g_stop = sig; }

typedef struct {
    const char *model, *data, *out, *resume, *on_nan, *eval_real, *loss;
    int size, channels, nz, ngf, ndf, batch, iters, epochs, threads, log_every, sample_every, ckpt_every, skip_bad;
    int eval_every, eval_n, conditional, classes, d_steps, g_hidden, d_units, d_pieces;
    float lr, beta1, beta2, d_dropout, d_in_dropout;
    uint64_t seed;
    double time_limit;
} train_opts_t;

static int mkdir_p(const char *path) {
    char buf[4096];
    snprintf(buf, sizeof buf, "%s", path);
    for (char *p = buf + 1; *p; p++)
        if (*p == '/') {
            *p = 0;
            if (mkdir(buf, 0777) != 0 && errno != EEXIST) return -1;
            *p = '/';
        }
    return mkdir(buf, 0777) != 0 && errno != EEXIST ? -1 : 0;
}

static const char *path_in(const char *dir, const char *name) {
    static _Thread_local char buf[4][4096];
    static _Thread_local int k = 0;
    k = (k + 1) % 4;
    snprintf(buf[k], sizeof buf[k], "%s/%s", dir, name);
    return buf[k];
}

/* metadata of state.safetensors: everything needed to rebuild the run */
static int save_checkpoint(ganc_gan_trainer_t *t, const train_opts_t *o, const ganc_loader_t *ld) {
    char v[16][64];
    ganc_stw_t *w = ganc_stw_new();
    int rc = ganc_gan_state_add(t, w, ld->epoch, ld->pos);
    const ganc_gan_cfg_t *c = &ganc_gan_cfg(t)->net;
    const char *kv[2 * GANC_GAN_META_MAX];
    int nkv = ganc_gan_meta(c, kv, GANC_GAN_META_MAX);
    for (int i = 0; !rc && i < nkv; i++) rc = ganc_stw_meta(w, kv[2 * i], kv[2 * i + 1]);
    snprintf(v[0], 64, "%d", o->batch);
    snprintf(v[1], 64, "%.9g", o->lr);
    snprintf(v[2], 64, "%.9g", o->beta1);
    snprintf(v[3], 64, "%.9g", o->beta2);
    snprintf(v[4], 64, "%llu", (unsigned long long)o->seed);
    snprintf(v[5], 64, "%d", o->sample_every);
    snprintf(v[6], 64, "%d", o->ckpt_every);
    snprintf(v[7], 64, "%d", o->log_every);
    snprintf(v[8], 64, "%d", o->skip_bad);
    snprintf(v[9], 64, "%d", ganc_get_threads());
    snprintf(v[10], 64, "%d", o->d_steps);
    const char *extra[][2] = {{"model", o->model}, {"loss", o->loss}, {"d_steps", v[10]}, {"data", o->data}, {"batch", v[0]}, {"lr", v[1]}, {"beta1", v[2]}, {"beta2", v[3]},
                              {"seed", v[4]}, {"sample_every", v[5]}, {"ckpt_every", v[6]}, {"log_every", v[7]},
                              {"skip_bad", v[8]}, {"threads", v[9]}};
    for (size_t i = 0; !rc && i < sizeof extra / sizeof extra[0]; i++) rc = ganc_stw_meta(w, extra[i][0], extra[i][1]);
    if (!rc) rc = ganc_stw_write(w, path_in(o->out, "state.safetensors"));
    ganc_stw_free(w);
    /* weights-only files in PyTorch's layout, for load_state_dict */
    const char *gkv[2 * GANC_GAN_META_MAX + 2], *dkv[2 * GANC_GAN_META_MAX + 2];
    nkv = ganc_gan_meta(c, gkv, GANC_GAN_META_MAX);
    memcpy(dkv, gkv, sizeof(char *) * 2 * nkv);
    gkv[2 * nkv] = "net"; gkv[2 * nkv + 1] = "G";
    dkv[2 * nkv] = "net"; dkv[2 * nkv + 1] = "D";
    if (!rc) rc = ganc_net_save(ganc_gan_g(t), path_in(o->out, "G.safetensors"), gkv, nkv + 1);
    if (!rc) rc = ganc_net_save(ganc_gan_d(t), path_in(o->out, "D.safetensors"), dkv, nkv + 1);
    return rc;
}

/* remove PATH.tmp.PID files that a killed run left behind (the real files are intact: writes are rename-atomic) */
static void remove_stale_tmp(const char *dir) {
    DIR *d = opendir(dir);
    if (!d) return;
    struct dirent *e;
    while ((e = readdir(d)))
        if (strstr(e->d_name, ".tmp.")) unlink(path_in(dir, e->d_name));
    closedir(d);
}

/* rewrite log.csv keeping the header and the rows up to `step` (after a resume) */
static int trim_log(const char *path, int64_t step) {
    FILE *f = fopen(path, "r");
    if (!f) return 0;
    size_t cap = 1 << 16, n = 0;
    char *out = malloc(cap), line[1024];
    int first = 1;
    while (out && fgets(line, sizeof line, f)) {
        long long s;
        size_t l = strlen(line);
        if (!first && (l == 0 || line[l - 1] != '\n' || sscanf(line, "%lld,", &s) != 1 || s > step)) continue;
        first = 0;
        if (n + l + 1 > cap) {
            cap = (cap + l) * 2;
            char *q = realloc(out, cap);
            if (!q) break;
            out = q;
        }
        memcpy(out + n, line, l);
        n += l;
    }
    fclose(f);
    int rc = out ? ganc_write_file_atomic(path, out, n) : -1;
    free(out);
    return rc;
}

static int meta_i(const ganc_st_t *st, const char *k, int *v) {
    const char *s = ganc_st_meta(st, k);
    if (s) *v = atoi(s);
    return s != NULL;
}

int cmd_train(int argc, char **argv) {
    static const command_t cmd = {
        "train", "train dcgan|gan|cgan [--data SRC] [--out DIR] [options]  |  ganc train --resume DIR [--iters N]",
        "Train a GAN and write OUT/G.safetensors, OUT/D.safetensors (PyTorch state_dict names),\n"
        "OUT/state.safetensors (exact resume), OUT/log.csv, OUT/samples/step_N.png grids from fixed noise,\n"
        "OUT/samples.png and OUT/loss.svg. Models:\n"
        "  dcgan  DCGAN (Radford et al. 2015), pytorch/examples/dcgan's networks and hyper-parameters;\n"
        "         --conditional feeds the label to G and D (Mirza & Osindero 2014)\n"
        "  gan    the MLP GAN of Goodfellow et al. 2014: ReLU G, maxout+dropout D (--g-hidden, --d-units, ...)\n"
        "  cgan   the same MLP GAN conditioned on the label (one-hot into G and D)\n"
        "Conditional models need labelled data (fashion-mnist, idx:IMAGES,LABELS); their grids have one row per class.\n"
        "SRC: fashion-mnist[:train|:test] (Debian's dataset-fashion-mnist), idx:IMAGES[,LABELS], or a folder\n"
        "of PNG/JPEG images. Ctrl-C saves a checkpoint and stops; --resume continues bit-exactly.", NULL};
    train_opts_t o = {.model = "dcgan", .data = "fashion-mnist", .out = NULL, .loss = "ns", .d_steps = 1,
                      .g_hidden = 1200, .d_units = 240, .d_pieces = 5, .d_dropout = 0.5f, .d_in_dropout = 0.2f, .size = 32, .channels = 0, .nz = 100, .ngf = 64,
                      .ndf = 64, .batch = 64, .iters = 0, .epochs = 0, .threads = 0, .log_every = 25,
                      .sample_every = 250, .ckpt_every = 250, .lr = 2e-4f, .beta1 = 0.5f, .beta2 = 0.999f, .seed = 1,
                      .on_nan = "stop", .eval_real = "fashion-mnist:test", .eval_n = 2000};
    flag_t flags[] = {
        {"data", F_STR, &o.data, "SRC", "training data", 0},
        {"out", F_STR, &o.out, "DIR", "output folder (default runs/dcgan, runs/cdcgan, runs/gan or runs/cgan)", 0},
        {"resume", F_STR, &o.resume, "DIR", "continue the run saved in DIR (its settings are reused)", 0},
        {"iters", F_INT, &o.iters, NULL,
         "stop at this total iteration count (default: 1500 for dcgan, 10000 for gan/cgan, unless --epochs/--time)", 0},
        {"epochs", F_INT, &o.epochs, NULL, "stop after this many passes over the data", 0},
        {"time", F_DURATION, &o.time_limit, "T", "stop cleanly after this long (e.g. 90s, 10m, 2h) and save", 0},
        {"size", F_INT, &o.size, NULL, "image size: 32 (4 blocks) or 64 (5 blocks, pytorch/examples)", 0},
        {"channels", F_INT, &o.channels, NULL, "image channels, 1 or 3 (default: 1 for IDX data, 3 for folders)", 0},
        {"nz", F_INT, &o.nz, NULL, "latent size", 0},
        {"ngf", F_INT, &o.ngf, NULL, "generator width", 0},
        {"ndf", F_INT, &o.ndf, NULL, "discriminator width", 0},
        {"conditional", F_BOOL, &o.conditional, NULL, "dcgan: condition G and D on the label", 0},
        {"loss", F_STR, &o.loss, "L", "G loss: ns (maximise log D(G(z))) or minimax (minimise log(1-D(G(z))))", 0},
        {"d-steps", F_INT, &o.d_steps, "K", "discriminator updates per generator update (the 2014 paper's k)", 0},
        {"g-hidden", F_INT, &o.g_hidden, NULL, "gan/cgan: width of G's two ReLU layers", 0},
        {"d-units", F_INT, &o.d_units, NULL, "gan/cgan: maxout units in each of D's two hidden layers", 0},
        {"d-pieces", F_INT, &o.d_pieces, NULL, "gan/cgan: pieces per maxout unit", 0},
        {"d-dropout", F_FLOAT, &o.d_dropout, NULL, "gan/cgan: dropout after D's hidden layers", 0},
        {"d-in-dropout", F_FLOAT, &o.d_in_dropout, NULL, "gan/cgan: dropout on D's input image", 0},
        {"batch", F_INT, &o.batch, NULL, "batch size", 0},
        {"lr", F_FLOAT, &o.lr, NULL, "Adam learning rate", 0},
        {"beta1", F_FLOAT, &o.beta1, NULL, "Adam beta1", 0},
        {"beta2", F_FLOAT, &o.beta2, NULL, "Adam beta2", 0},
        {"seed", F_U64, &o.seed, NULL, "random seed (weights, noise, data order)", 0},
        {"threads", F_INT, &o.threads, NULL, "threads (default: all cores); results are bit-identical per count", 0},
        {"log-every", F_INT, &o.log_every, NULL, "steps between log.csv rows / log lines", 0},
        {"sample-every", F_INT, &o.sample_every, NULL, "steps between sample grids (0: only at the end)", 0},
        {"ckpt-every", F_INT, &o.ckpt_every, NULL, "steps between checkpoints (0: only at the end)", 0},
        {"skip-bad", F_BOOL, &o.skip_bad, NULL, "skip image files that cannot be decoded (default: stop)", 0},
        {"eval-every", F_INT, &o.eval_every, NULL, "steps between FID evaluations (0: none); into log.csv and loss.svg", 0},
        {"eval-real", F_STR, &o.eval_real, "SRC", "FID reference images (see ganc eval)", 0},
        {"eval-n", F_INT, &o.eval_n, NULL, "images per FID evaluation (real and generated)", 0},
        {"on-nan", F_STR, &o.on_nan, "WHAT", "on a NaN/Inf loss or gradient: stop (keep the last good checkpoint) or "
                                             "restore (reload it, halve the learning rate, go on; at most 8 times)", 0},
    };
    const int nflags = (int)(sizeof flags / sizeof flags[0]);
    char *pos[2];
    int npos;
    int prc = parse_flags(&cmd, flags, nflags, argc, argv, pos, 1, &npos);
    if (prc) return prc == 1 ? 0 : 2;
    if (!o.resume && (npos != 1 || (strcmp(pos[0], "dcgan") && strcmp(pos[0], "gan") && strcmp(pos[0], "cgan")))) {
        fprintf(stderr, "ganc train: expected the model name dcgan, gan or cgan%s%s (see ganc train --help)\n",
                npos ? ", got " : "", npos ? pos[0] : "");
        return 2;
    }
    if (npos == 1) o.model = pos[0];
    ganc_set_threads(o.threads);
    ganc_st_t *state = NULL;
    if (o.resume) {
        static const char *fixed[] = {"data", "size", "channels", "nz", "ngf", "ndf", "batch", "lr", "beta1", "beta2",
                                      "seed", "out", "conditional", "loss", "d-steps", "g-hidden", "d-units",
                                      "d-pieces", "d-dropout", "d-in-dropout"};
        for (size_t i = 0; i < sizeof fixed / sizeof fixed[0]; i++)
            if (flag_seen(flags, nflags, fixed[i])) {
                fprintf(stderr, "ganc train: --%s cannot be changed when resuming (the run's own value is used)\n",
                        fixed[i]);
                return 2;
            }
        o.out = o.resume;
        if (ganc_st_open(&state, path_in(o.out, "state.safetensors"))) {
            fprintf(stderr, "ganc train: cannot resume: %s\n", ganc_errmsg());
            return 1;
        }
        const char *kind = ganc_st_meta(state, "kind"), *data = ganc_st_meta(state, "data");
        const char *model = ganc_st_meta(state, "model"), *loss = ganc_st_meta(state, "loss");
        if (!kind || (strcmp(kind, "dcgan") && strcmp(kind, "gan")) || !data) {
            fprintf(stderr, "ganc train: %s has no GAN run metadata\n", path_in(o.out, "state.safetensors"));
            ganc_st_free(state);
            return 1;
        }
        static char data_buf[4096], model_buf[16], loss_buf[16]; /* the state file is freed before the run ends */
        snprintf(data_buf, sizeof data_buf, "%s", data);
        snprintf(model_buf, sizeof model_buf, "%s", model ? model : kind);
        snprintf(loss_buf, sizeof loss_buf, "%s", loss ? loss : "ns");
        o.data = data_buf;
        o.model = model_buf;
        o.loss = loss_buf;
        meta_i(state, "classes", &o.classes); meta_i(state, "d_steps", &o.d_steps);
        meta_i(state, "g_hidden", &o.g_hidden); meta_i(state, "d_units", &o.d_units);
        meta_i(state, "d_pieces", &o.d_pieces);
        if (ganc_st_meta(state, "d_dropout")) o.d_dropout = strtof(ganc_st_meta(state, "d_dropout"), NULL);
        if (ganc_st_meta(state, "d_in_dropout")) o.d_in_dropout = strtof(ganc_st_meta(state, "d_in_dropout"), NULL);
        o.conditional = o.classes > 0;
        meta_i(state, "size", &o.size); meta_i(state, "nc", &o.channels); meta_i(state, "nz", &o.nz);
        meta_i(state, "ngf", &o.ngf); meta_i(state, "ndf", &o.ndf); meta_i(state, "batch", &o.batch);
        meta_i(state, "skip_bad", &o.skip_bad);
        if (!flag_seen(flags, nflags, "sample-every")) meta_i(state, "sample_every", &o.sample_every);
        if (!flag_seen(flags, nflags, "ckpt-every")) meta_i(state, "ckpt_every", &o.ckpt_every);
        if (!flag_seen(flags, nflags, "log-every")) meta_i(state, "log_every", &o.log_every);
        o.lr = strtof(ganc_st_meta(state, "lr") ? ganc_st_meta(state, "lr") : "2e-4", NULL);
        o.beta1 = strtof(ganc_st_meta(state, "beta1") ? ganc_st_meta(state, "beta1") : "0.5", NULL);
        o.beta2 = strtof(ganc_st_meta(state, "beta2") ? ganc_st_meta(state, "beta2") : "0.999", NULL);
        o.seed = strtoull(ganc_st_meta(state, "seed") ? ganc_st_meta(state, "seed") : "1", NULL, 10);
        const char *th = ganc_st_meta(state, "threads");
        if (th && atoi(th) != ganc_get_threads())
            fprintf(stderr, "note: the run was trained with %s threads, now %d: the result will not be bit-identical "
                            "to an uninterrupted run (pass --threads %s for that)\n", th, ganc_get_threads(), th);
    }
    const int mlp = strcmp(o.model, "dcgan") != 0;
    if (!strcmp(o.model, "cgan")) o.conditional = 1;
    if (!strcmp(o.model, "gan") && o.conditional) {
        fprintf(stderr, "ganc train: the conditional MLP GAN is 'cgan'\n");
        return 2;
    }
    if (!o.out) o.out = !strcmp(o.model, "dcgan") && o.conditional ? "runs/cdcgan" : !strcmp(o.model, "dcgan") ? "runs/dcgan"
                        : !strcmp(o.model, "gan") ? "runs/gan" : "runs/cgan";
    if (strcmp(o.loss, "ns") && strcmp(o.loss, "minimax")) {
        fprintf(stderr, "ganc train: --loss is ns or minimax\n");
        ganc_st_free(state);
        return 2;
    }
    if (o.d_steps < 1 || o.d_steps > 100) {
        fprintf(stderr, "ganc train: --d-steps must be 1..100\n");
        ganc_st_free(state);
        return 2;
    }
    if (o.channels == 0) o.channels = (!strncmp(o.data, "fashion-mnist", 13) || !strncmp(o.data, "idx:", 4)) ? 1 : 3;
    if (o.log_every < 1 || o.sample_every < 0 || o.ckpt_every < 0 || o.iters < 0 || o.epochs < 0) {
        fprintf(stderr, "ganc train: --log-every must be >= 1; --iters/--epochs/--sample-every/--ckpt-every >= 0\n");
        ganc_st_free(state);
        return 2;
    }
    if (!o.iters && !o.epochs && !(o.time_limit > 0)) o.iters = mlp ? 10000 : 1500; /* a few minutes on 2 cores */
    if (strcmp(o.on_nan, "stop") && strcmp(o.on_nan, "restore")) {
        fprintf(stderr, "ganc train: --on-nan is stop or restore\n");
        ganc_st_free(state);
        return 2;
    }
    signal(SIGXFSZ, SIG_IGN); /* a file-size limit must give a write error, not kill the run */

    ganc_gan_train_cfg_t tc = {{o.size, o.nz, o.ngf, o.ndf, o.channels, mlp ? GANC_ARCH_MLP : GANC_ARCH_DCGAN,
                                0, o.g_hidden, o.d_units, o.d_pieces, o.d_dropout, o.d_in_dropout},
                               o.batch, o.lr, o.beta1, o.beta2, o.seed,
                               strcmp(o.loss, "minimax") ? GANC_LOSS_NS : GANC_LOSS_MINIMAX};
    if (o.conditional) tc.net.n_classes = 2; /* checked now; the real count comes from the data */
    if (ganc_gan_check_cfg(&tc.net)) {
        fprintf(stderr, "ganc train: %s\n", ganc_errmsg());
        ganc_st_free(state);
        return 2;
    }
    printf("loading %s at %dx%d, %d channel%s ...\n", o.data, o.size, o.size, o.channels, o.channels > 1 ? "s" : "");
    fflush(stdout);
    ganc_dataset_t ds;
    if (ganc_dataset_load(&ds, o.data, o.size, o.channels, o.skip_bad ? GANC_SKIP_BAD : 0)) {
        fprintf(stderr, "ganc train: %s\n", ganc_errmsg());
        ganc_st_free(state);
        return 1;
    }
    if (ds.skipped) fprintf(stderr, "warning: skipped %d undecodable files\n", ds.skipped);
    if (o.conditional) {
        int maxl = -1;
        for (int i = 0; ds.labels && i < ds.n; i++) maxl = ds.labels[i] > maxl ? ds.labels[i] : maxl;
        if (!ds.labels || maxl < 1 || maxl >= 1000) {
            fprintf(stderr, "ganc train: a conditional model needs labelled data with 2..1000 classes; %s has %s\n",
                    o.data, ds.labels ? "labels out of that range" : "no labels (use fashion-mnist or idx:IMAGES,LABELS)");
            ganc_dataset_free(&ds);
            ganc_st_free(state);
            return 2;
        }
        if (o.classes && o.classes != maxl + 1) {
            fprintf(stderr, "ganc train: the run has %d classes, the data %d\n", o.classes, maxl + 1);
            ganc_dataset_free(&ds);
            ganc_st_free(state);
            return 1;
        }
        tc.net.n_classes = o.classes = maxl + 1;
    }
    ganc_gan_trainer_t *t = ganc_gan_trainer_new(&tc);
    if (!t) {
        fprintf(stderr, "ganc train: %s\n", ganc_errmsg());
        ganc_dataset_free(&ds);
        ganc_st_free(state);
        return 1;
    }
    int64_t epoch = 0, dpos = 0;
    int rc = 0;
    if (state) {
        if (ganc_gan_state_load(t, state, &epoch, &dpos)) {
            fprintf(stderr, "ganc train: cannot resume: %s\n", ganc_errmsg());
            rc = 1;
        }
        ganc_st_free(state);
        state = NULL;
    }
    ganc_loader_t ld = {0};
    if (!rc && ganc_loader_init(&ld, &ds, o.seed, epoch, dpos)) {
        fprintf(stderr, "ganc train: %s\n", ganc_errmsg());
        rc = 1;
    }
    if (!rc && (mkdir_p(o.out) || mkdir_p(path_in(o.out, "samples")))) {
        fprintf(stderr, "ganc train: cannot create %s: %s\n", o.out, strerror(errno));
        rc = 1;
    }
    const int64_t steps_per_epoch = ds.n / o.batch > 0 ? ds.n / o.batch : 1;
    int64_t target = o.iters > 0 ? o.iters : INT64_MAX;
    if (o.epochs > 0 && o.epochs * steps_per_epoch < target) target = o.epochs * steps_per_epoch;
    const int64_t start = ganc_gan_step(t);
    if (!rc && start >= target) {
        printf("%s is already at step %lld (target %lld): nothing to do\n", o.out, (long long)start, (long long)target);
    }
    /* fixed noise for the progress grids, reproducible from the seed. Conditional: one row per class (up to 16
       rows), each column one noise vector shared by the rows */
    const int C = tc.net.n_classes, gcols = C ? 10 : 8, nfix = C ? gcols * (C < 16 ? C : 16) : 64;
    const size_t img = (size_t)o.channels * o.size * o.size;
    float *fixed_z = malloc(sizeof(float) * nfix * o.nz), *gridbuf = malloc(sizeof(float) * nfix * img);
    float *xb = malloc(sizeof(float) * img * o.batch);
    int *fixed_lab = malloc(sizeof(int) * nfix), *lb = malloc(sizeof(int) * o.batch);
    ganc_rng_t frng;
    ganc_rng_seed(&frng, o.seed * 3 + 4);
    if (fixed_z) ganc_rng_fill_normal(&frng, fixed_z, (size_t)(C ? gcols : nfix) * o.nz, 0.0f, 1.0f);
    for (int i = 0; fixed_z && fixed_lab && i < nfix; i++) {
        fixed_lab[i] = C ? i / gcols : 0;
        if (C && i >= gcols) memcpy(fixed_z + (size_t)i * o.nz, fixed_z + (size_t)(i % gcols) * o.nz, sizeof(float) * o.nz);
    }
    if (!fixed_z || !gridbuf || !xb || !fixed_lab || !lb) {
        fprintf(stderr, "ganc train: out of memory\n");
        rc = 1;
    }
    FILE *log = NULL;
    if (!rc) remove_stale_tmp(o.out);
    if (!rc && start == 0 && save_checkpoint(t, &o, &ld)) { /* so there is always a last good checkpoint */
        fprintf(stderr, "ganc train: checkpoint: %s\n", ganc_errmsg());
        rc = 1;
    }
    if (!rc) {
        const char *lp = path_in(o.out, "log.csv");
        if (start > 0) trim_log(lp, start);
        else {
            const char *hdr = "step,epoch,seconds,img_per_s,loss_d,loss_g,d_x,d_g_z1,d_g_z2,fid\n";
            ganc_write_file_atomic(lp, hdr, strlen(hdr));
        }
        log = fopen(lp, "a");
        if (!log) { fprintf(stderr, "ganc train: cannot open %s: %s\n", lp, strerror(errno)); rc = 1; }
    }
    if (!rc && start < target) {
        char until[64];
        if (target == INT64_MAX) snprintf(until, sizeof until, "until the --time limit (%.0f s)", o.time_limit);
        else snprintf(until, sizeof until, "to step %lld", (long long)target);
        printf("training %s%s %dx%dx%d (G %zu, D %zu parameters) on %d images, batch %d, %d threads, %s%s\n",
               o.model, C ? " (conditional)" : "", o.channels, o.size, o.size, ganc_net_nparams(ganc_gan_g(t)),
               ganc_net_nparams(ganc_gan_d(t)), ds.n, o.batch, ganc_get_threads(), start ? "resuming, " : "", until);
        if (start) printf("  from step %lld\n", (long long)start);
        fflush(stdout);
    }
    signal(SIGINT, on_signal);
    signal(SIGTERM, on_signal);
    fid_ref_t *fref = NULL;
    if (!rc && o.eval_every > 0) {
        if (!(fref = fid_ref_new(o.eval_real, o.eval_n))) {
            fprintf(stderr, "ganc train: --eval-every: %s\n", ganc_errmsg());
            rc = 1;
        }
    }
    progress_t pg;
    progress_init(&pg, target == INT64_MAX ? 0 : target);
    ganc_gan_stats_t st = {0};
    double t_start = now_s(), win_t = t_start;
    int64_t win_s = start;
    double rate = 0;
    int stopped_by = 0, restores = 0;
    /* test hook: GANC_FAULT_NAN_AT=N poisons one of D's weights before step N, once per process */
    const char *fault = getenv("GANC_FAULT_NAN_AT");
    int64_t fault_at = fault ? atoll(fault) : -1;
    for (int64_t s = start; !rc && s < target; s++) {
        if (s + 1 == fault_at) { ganc_net_params(ganc_gan_d(t))[0] = NAN; fault_at = -1; }
        int src = 0;
        for (int k = 0; !src && k < o.d_steps; k++) {
            ganc_loader_next(&ld, o.batch, xb, C ? lb : NULL);
            src = ganc_gan_d_step(t, xb, C ? lb : NULL, &st);
        }
        if (!src) src = ganc_gan_g_step(t, &st);
        if (src == GANC_ENONFINITE && !strcmp(o.on_nan, "restore") && restores < 8) {
            char why[512];
            snprintf(why, sizeof why, "%s", ganc_errmsg());
            ganc_st_t *ck = NULL;
            int64_t e2, p2;
            if (ganc_st_open(&ck, path_in(o.out, "state.safetensors")) || ganc_gan_state_load(t, ck, &e2, &p2)) {
                fprintf(stderr, "\nganc train: %s; cannot restore: %s\n", why, ganc_errmsg());
                ganc_st_free(ck);
                rc = 1;
                break;
            }
            ganc_st_free(ck);
            ganc_loader_free(&ld);
            ganc_loader_init(&ld, &ds, o.seed, e2, p2);
            o.lr *= 0.5f;
            ganc_gan_set_lr(t, o.lr);
            restores++;
            s = ganc_gan_step(t) - 1;
            fclose(log); /* drop the log rows after the checkpoint */
            trim_log(path_in(o.out, "log.csv"), s + 1);
            log = fopen(path_in(o.out, "log.csv"), "a");
            if (!log) { rc = 1; break; }
            fprintf(stderr, "\n%s; restored the checkpoint at step %lld, learning rate now %g\n", why,
                    (long long)(s + 1), o.lr);
            continue;
        }
        if (src) {
            fprintf(stderr, "\nganc train: %s; stopped. The last good checkpoint is in %s (resume with --resume %s, "
                            "or use --on-nan restore)\n", ganc_errmsg(), o.out, o.out);
            rc = 1;
            break;
        }
        const int64_t done = s + 1;
        double tn = now_s();
        if (tn - win_t > 1.0 || done == start + 1) {
            rate = (double)(done - win_s) * o.batch / (tn - win_t);
            win_t = tn;
            win_s = done;
        }
        double eta = target == INT64_MAX ? (o.time_limit - (tn - t_start)) : (double)(target - done) * o.batch / rate;
        if (o.time_limit > 0 && o.time_limit - (tn - t_start) < eta) eta = o.time_limit - (tn - t_start);
        double fid = NAN;
        if (fref && (done % o.eval_every == 0 || done == target)) {
            ganc_net_t *g = ganc_gan_g(t);
            fid = fid_ref_model(fref, g, ganc_gan_g_io(t), &tc.net, o.seed * 3 + 5);
        }
        int logrow = done % o.log_every == 0 || done == target || !isnan(fid);
        if (logrow) {
            char fs[32] = "";
            if (!isnan(fid)) snprintf(fs, sizeof fs, "%.4f", fid);
            fprintf(log, "%lld,%lld,%.3f,%.2f,%.6f,%.6f,%.6f,%.6f,%.6f,%s\n", (long long)done, (long long)ld.epoch,
                    tn - t_start, rate, st.loss_d, st.loss_g, st.d_x, st.d_g_z1, st.d_g_z2, fs);
            fflush(log);
            if (!isnan(fid) && !pg.tty) printf("step %lld: FID %.3f (%d samples vs %s)\n", (long long)done, fid, o.eval_n, o.eval_real);
        }
        progress_update(&pg, done, rate, eta, &st, logrow);
        if (o.time_limit > 0 && tn - t_start >= o.time_limit) stopped_by = -1;
        if (g_stop) stopped_by = (int)g_stop;
        int last = done == target || stopped_by;
        /* the checkpoint first: it is what a crash or a full disk must not cost */
        if (!rc && ((o.ckpt_every && done % o.ckpt_every == 0) || last)) {
            if (save_checkpoint(t, &o, &ld)) { fprintf(stderr, "\nganc train: checkpoint: %s\n", ganc_errmsg()); rc = 1; }
        }
        if (!rc && ((o.sample_every && done % o.sample_every == 0) || last)) {
            char name[64];
            snprintf(name, sizeof name, "samples/step_%06lld.png", (long long)done);
            ganc_net_t *g = ganc_gan_g(t);
            if (ganc_gan_sample(g, ganc_gan_g_io(t), &tc.net, nfix, fixed_z, fixed_lab, NULL, nfix <= o.batch, gridbuf) ||
                ganc_grid_png(path_in(o.out, name), gridbuf, nfix, o.channels, o.size, o.size, gcols) ||
                ganc_grid_png(path_in(o.out, "samples.png"), gridbuf, nfix, o.channels, o.size, o.size, gcols)) {
                fprintf(stderr, "\nganc train: %s\n", ganc_errmsg());
                rc = 1;
            }
        }
        if (stopped_by) break;
    }
    progress_end(&pg);
    if (log) fclose(log);
    const int64_t end = ganc_gan_step(t);
    if (!rc && end > start) {
        double el = now_s() - t_start;
        if (write_loss_svg(path_in(o.out, "log.csv"), path_in(o.out, "loss.svg")))
            fprintf(stderr, "warning: loss plot: %s\n", ganc_errmsg());
        printf("%s at step %lld: %lld steps in %.1f s (%.1f img/s). Wrote %s/{G,D,state}.safetensors, samples.png, "
               "log.csv, loss.svg\n",
               stopped_by > 0 ? "interrupted" : stopped_by < 0 ? "time limit reached" : "done", (long long)end,
               (long long)(end - start), el, (double)(end - start) * o.batch / el, o.out);
        if (stopped_by) printf("resume with: ganc train --resume %s --iters N\n", o.out);
    }
    fid_ref_free(fref);
    free(fixed_z); free(gridbuf); free(xb); free(fixed_lab); free(lb);
    ganc_loader_free(&ld);
    ganc_gan_trainer_free(t);
    ganc_dataset_free(&ds);
    if (!rc && stopped_by > 0) return 130;
    return rc;
}
