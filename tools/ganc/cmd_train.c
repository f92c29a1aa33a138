/* ganc train MODEL: the flags (one table: flag <-> run metadata key <-> setting), resuming, the data, then the
   generic loop (train_loop.c) with the model family's adapter. */
#include <stdio.h>
#include <stdlib.h>
#include <string.h>
#include <errno.h>
#include <unistd.h>
#include "train.h"

static const train_family_t *const families[] = {&family_gan, &family_lapgan, &family_sr, &family_simgan,
                                                     &family_textenc, &family_text2img};
#define NFAM ((int)(sizeof families / sizeof families[0]))
#define MAX_FLAGS 128

static const train_family_t *family_of(const char *model) {
    for (int i = 0; model && *model && i < NFAM; i++) { /* a whole word of the family's space-separated list */
        const char *p = families[i]->models;
        const size_t l = strlen(model);
        while (*p) {
            const size_t w = strcspn(p, " ");
            if (w == l && !strncmp(p, model, l)) return families[i];
            p += w + (p[w] == ' ');
        }
    }
    return NULL;
}

/* the flags every family has; meta: the key that stores it in state.safetensors; fixed: not changeable on resume */
static int run_flags(run_opts_t *o, flag_t *f) {
    const flag_t fl[] = {
        {"data", F_STR, &o->data, "SRC", "training data", 0, "data", 1, 0, 0},
        {"out", F_STR, &o->out, "DIR", "output folder (default runs/MODEL)", 0, NULL, 1, 0, 0},
        {"resume", F_STR, &o->resume, "DIR", "continue the run saved in DIR (its settings are reused)", 0, NULL, 0, 0, 0},
        {"force", F_BOOL, &o->force, NULL, "replace the run already in --out (without it, an existing run is never "
         "overwritten)", 0, NULL, 1, 0, 0},
        {"iters", F_INT, &o->iters, NULL,
         "stop at this total iteration count (default: 1500 for dcgan, 10000 for gan/cgan, unless --epochs/--time)", 0,
         NULL, 0, 0, 2000000000},
        {"epochs", F_INT, &o->epochs, NULL, "stop after this many passes over the data", 0, NULL, 0, 0, 1000000},
        {"time", F_DURATION, &o->time_limit, "T", "stop cleanly after this long (e.g. 90s, 10m, 2h) and save", 0, NULL, 0, 0.001, 1000000000.0},
        {"batch", F_INT, &o->batch, NULL, "batch size", 0, "batch", 1, 1, 65536},
        {"lr", F_FLOAT, &o->lr, NULL, "Adam learning rate", 0, "lr", 1, 1e-12, 10},
        {"beta1", F_FLOAT, &o->beta1, NULL, "Adam beta1", 0, "beta1", 1, 0, 0.9999},
        {"beta2", F_FLOAT, &o->beta2, NULL, "Adam beta2", 0, "beta2", 1, 0, 0.999999},
        {"seed", F_U64, &o->seed, NULL, "random seed (weights, noise, data order)", 0, "seed", 1, 0, 0},
        {"threads", F_INT, &o->threads, NULL, "threads (default: all cores); results are bit-identical per count", 0,
         NULL, 0, 0, 1024},
        {"device", F_STR, &o->device, "D", DEVICE_HELP "; a checkpoint resumes on either", 0, NULL, 0, 0, 0},
        {"sample-every", F_INT, &o->sample_every, NULL, "steps between sample grids (0: only at the end)", 0,
         "sample_every", 0, 0, 2000000000},
        {"ckpt-every", F_INT, &o->ckpt_every, NULL, "steps between checkpoints (0: only at the end)", 0, "ckpt_every", 0, 0, 2000000000},
        {"log-every", F_INT, &o->log_every, NULL, "steps between log.csv rows / log lines", 0, "log_every", 0, 1, 2000000000},
        {"skip-bad", F_BOOL, &o->skip_bad, NULL, "skip image files that cannot be decoded (default: stop)", 0,
         "skip_bad", 1, 0, 0},
        {"sync-bn", F_BOOL, &o->sync_bn, NULL, "with mpirun: BatchNorm statistics of the global batch (summed over the "
         "ranks) instead of each rank's part", 0, "sync_bn", 0, 0, 0},
        {"report-every", F_INT, &o->report_every, NULL, "steps between refreshes of RUN/report.html (ganc report; 0: "
         "none)", 0, "report_every", 0, 0, 2000000000},
        {"eval-every", F_INT, &o->eval_every, NULL, "steps between FID evaluations (0: none); into log.csv and loss.svg",
         0, NULL, 0, 0, 2000000000},
        {"eval-real", F_STR, &o->eval_real, "SRC", "FID reference images (see ganc eval)", 0, NULL, 0, 0, 0},
        {"eval-n", F_INT, &o->eval_n, NULL, "images per FID evaluation (real and generated)", 0, NULL, 0, 2, 100000},
        {"on-nan", F_STR, &o->on_nan, "WHAT",
         "on a NaN/Inf loss or gradient: stop (keep the last good checkpoint) or restore (reload it, halve the learning "
         "rate, go on; at most 8 times)", 0, NULL, 0, 0, 0},
    };
    memcpy(f, fl, sizeof fl);
    return (int)(sizeof fl / sizeof fl[0]);
}

static int check_run_opts(const run_opts_t *o) {
    if (o->batch % ganc_dist_size()) {
        fprintf(stderr, "ganc train: --batch %d is not a multiple of the %d ranks\n", o->batch, ganc_dist_size());
        return 2;
    }
    if (o->log_every < 1 || o->sample_every < 0 || o->ckpt_every < 0 || o->iters < 0 || o->epochs < 0) {
        fprintf(stderr, "ganc train: --log-every must be >= 1; --iters/--epochs/--sample-every/--ckpt-every >= 0\n");
        return 2;
    }
    if (strcmp(o->on_nan, "stop") && strcmp(o->on_nan, "restore")) {
        fprintf(stderr, "ganc train: --on-nan is stop or restore\n");
        return 2;
    }
    return 0;
}

/* --resume DIR: no fixed flag given, then every stored setting from DIR/state.safetensors */
static int open_resume(run_opts_t *o, flag_t *flags, int nflags, ganc_st_t **state) {
    for (int i = 0; i < nflags; i++)
        if (flags[i].fixed && flags[i].seen) {
            fprintf(stderr, "ganc train: --%s cannot be changed when resuming (the run's own value is used)\n",
                    flags[i].name);
            return 2;
        }
    char path[4096];
    if (!*o->resume || join_path(path, sizeof path, o->resume, "state.safetensors")) {
        fprintf(stderr, "ganc train: --resume needs the run folder%s%s\n", *o->resume ? ": " : "",
                *o->resume ? ganc_errmsg() : "");
        return 2;
    }
    o->out = o->resume;
    if (ganc_st_open(state, path)) {
        fprintf(stderr, "ganc train: cannot resume: %s\n", ganc_errmsg());
        return 1;
    }
    const char *kind = ganc_st_meta(*state, "kind"), *model = ganc_st_meta(*state, "model");
    if (!kind || !ganc_st_meta(*state, "data") || !family_of(model ? model : kind)) {
        fprintf(stderr, "ganc train: %s has no training-run metadata ganc knows\n", path);
        return 1;
    }
    o->model = model ? model : kind;
    if (flags_from_meta("train", flags, nflags, *state)) return 1;
    const char *th = ganc_st_meta(*state, "threads");
    if (th && atoi(th) != ganc_get_threads())
        fprintf(stderr, "note: the run was trained with %s threads, now %d: the result will not be bit-identical "
                        "to an uninterrupted run (pass --threads %s for that)\n", th, ganc_get_threads(), th);
    return 0;
}

static int load_data(const train_family_t *fam, const void *fo, const run_opts_t *o, ganc_dataset_t *ds) {
    const int size = fam->size(fo), ch = fam->default_channels(fo, o);
    printf("loading %s at %dx%d, %d channel%s ...\n", o->data, size, size, ch, ch > 1 ? "s" : "");
    fflush(stdout);
    if (ganc_dataset_load(ds, o->data, size, ch, GANC_DS_U8 | (o->skip_bad ? GANC_SKIP_BAD : 0))) {
        fprintf(stderr, "ganc train: %s\n", ganc_errmsg());
        return 1;
    }
    if (ds->skipped) fprintf(stderr, "warning: skipped %d undecodable files\n", ds->skipped);
    return 0;
}

/* everything after the flags are parsed: resume, configure, data, model, loop */
/* the run folder: created, locked for this process, and never an existing run unless resuming or --force */
static int claim_run_folder(const run_opts_t *o, int *lock) {
    if (mkdir_p(o->out)) {
        fprintf(stderr, "ganc train: cannot create %s: %s\n", o->out, strerror(errno));
        return 1;
    }
    if ((*lock = rundir_lock(o->out)) < 0) {
        fprintf(stderr, "ganc train: %s\n", ganc_errmsg());
        return 1;
    }
    if (!o->resume && !o->force && rundir_has_run(o->out)) {
        fprintf(stderr, "ganc train: %s already holds a run: continue it with --resume %s, or pass --force to "
                        "replace it\n", o->out, o->out);
        return 2;
    }
    return 0; /* --force: the old run is removed only once the new one has its data and model */
}

static int train_main(void *const *fos, run_opts_t *o, flag_t *flags, int nflags) {
    ganc_st_t *state = NULL;
    ganc_dataset_t ds = {0};
    void *m = NULL;
    int rc = 0, k = 0, lock = -1;
    if (o->resume && (rc = open_resume(o, flags, nflags, &state))) goto done;
    const train_family_t *fam = family_of(o->model);
    while (families[k] != fam) k++;
    void *fo = fos[k];
    o->flags = flags;
    o->nflags = nflags;
    if ((rc = fam->configure(fo, o, state)) || (rc = check_run_opts(o))) goto done;
    if (dry_run()) goto done;
    if (ganc_dist_rank() == 0) rc = claim_run_folder(o, &lock); /* rank 0 owns the folder */
    if ((rc = ganc_dist_max(rc))) goto done;
    if ((rc = fam->load ? fam->load(fo, o, &ds) : load_data(fam, fo, o, &ds))) goto done;
    if (!(m = fam->create(fo, o, &ds, &rc))) goto done;
    if (state && ganc_trainer_state_load(fam->trainer(m), state)) {
        fprintf(stderr, "ganc train: cannot resume: %s\n", ganc_errmsg());
        rc = 1;
        goto done;
    }
    if (!o->resume && o->force) rundir_clear(o->out);
    rc = train_run(fam, m, o, &ds, flags, nflags);
done:
    if (m) fam->destroy(m);
    ganc_dataset_free(&ds);
    ganc_st_free(state);
    if (lock >= 0) close(lock);
    return rc;
}

int cmd_train(int argc, char **argv) {
    static const command_t cmd = {
        "train", "train dcgan|gan|cgan|lapgan|srresnet|srgan|simgan|textenc|text2img [--data SRC] [--out DIR] [options]  |  ganc train --resume DIR [--iters N]",
        "Train a GAN and write OUT/G.safetensors, OUT/D.safetensors (PyTorch state_dict names),\n"
        "OUT/state.safetensors (exact resume), OUT/log.csv, OUT/samples/step_N.png grids from fixed noise,\n"
        "OUT/samples.png and OUT/loss.svg. Models:\n"
        "  dcgan  DCGAN (Radford et al. 2015), pytorch/examples/dcgan's networks and hyper-parameters;\n"
        "         --conditional feeds the label to G and D (Mirza & Osindero 2014)\n"
        "  gan    the MLP GAN of Goodfellow et al. 2014: ReLU G, maxout+dropout D (--g-hidden, --d-units, ...)\n"
        "  cgan   the same MLP GAN conditioned on the label (one-hot into G and D)\n"
        "  lapgan LAPGAN (Denton et al. 2015): an 8x8 MLP GAN, then one conditional conv GAN per octave that adds\n"
        "         the band-pass detail to the upsampled coarser image (--size 16|32|64|128); --conditional: CC-LAPGAN.\n"
        "         All levels train in each step; files hold level{k}.G.* / level{k}.D.* (level 0 = finest)\n"
        "  srresnet SRResNet (Ledig et al. 2016): x4 super-resolution from a folder of photos (--data DIR): random\n"
        "         --crop crops, MATLAB-bicubic inputs, pixel loss; grids of bicubic / SRResNet / original. Default:\n"
        "         ganc's CPU recipe (8 blocks, width 32, 64x64 crops, L1, lr 5e-4, --skip bicubic, 7200 steps: about\n"
        "         an hour on 2 cores). Paper: --blocks 16 --width 64 --crop 96 --batch 16 --pixel-loss mse --lr 1e-4\n"
        "         --skip none\n"
        "  srgan  SRGAN (Ledig et al. 2016): G starts from a trained SRResNet (--init RUN, its architecture) and adds\n"
        "         --adv x the adversarial loss of the paper's D (--d-width, --d-dense) to the pixel content loss\n"
        "         (SRGAN-MSE; lr 1e-4, 1000 steps unless given) or, with --content vgg22|vgg54 --vgg FILE, VGG19's\n"
        "         features (SRGAN-VGG22/VGG54)\n"
        "  simgan SimGAN (Shrivastava et al. 2016): a refiner makes --synthetic images look like --real ones\n"
        "  textenc the char-CNN-RNN text encoder of Reed et al. 2016 with an image encoder, trained on captioned\n"
        "         emoji (--data emoji[:PATH]) with the symmetric structured joint-embedding hinge; writes\n"
        "         text.safetensors, image.safetensors and held-out retrieval (retrieval.json)\n"
        "  text2img GAN-INT-CLS (Reed et al. 2016): a DCGAN conditioned on a trained text encoder's embedding\n"
        "         (--encoder RUN) of the emoji captions; --no-cls: no matching-aware D, --no-int: no interpolated\n"
        "         captions (both: a plain conditional GAN). Sample with ganc text2img RUN \"caption\"\n"
        "Conditional models need labelled data (fashion-mnist, idx:IMAGES,LABELS); their grids have one row per class.\n"
        "SRC: fashion-mnist[:train|:test] (Debian's dataset-fashion-mnist), idx:IMAGES[,LABELS], sklearn-digits,\n"
        "emoji[:PATH] / emoji-heldout[:PATH] (the captioned emoji's training split / held-out 10%, by category),\n"
        "a folder with images.npy (uint8 N,C,H,W) and labels.npy (int64 N), or a folder of PNG/JPEG images.\n"
        "Ctrl-C saves a checkpoint and stops; --resume continues bit-exactly. An existing run in --out is never overwritten (--resume it, or --force). Built with GANC_MPI, `mpirun -np N ganc train ...`\n"
        "trains data-parallel: --batch is the global batch (a multiple of N), rank 0 writes the files.", NULL};
    run_opts_t o = {.device = "cpu", .model = "dcgan", .data = "fashion-mnist", .batch = 64, .log_every = 25, .sample_every = 250,
                    .ckpt_every = 250, .lr = 2e-4f, .beta1 = 0.5f, .beta2 = 0.999f, .seed = 1, .on_nan = "stop",
                    .eval_real = "fashion-mnist:test", .eval_n = 2000};
    flag_t flags[MAX_FLAGS];
    void *fo[NFAM];
    int nflags = run_flags(&o, flags), rc = 1;
    for (int i = 0; i < NFAM; i++) { /* every family's flags, so --help lists them all */
        if (!(fo[i] = calloc(1, families[i]->opts_size))) {
            while (i-- > 0) free(fo[i]);
            fprintf(stderr, "ganc train: out of memory\n");
            return 1;
        }
        families[i]->defaults(fo[i]);
        if (nflags + FAMILY_MAX_FLAGS > MAX_FLAGS) { /* a programming error: more room is needed */
            fprintf(stderr, "ganc train: internal error: the flag table is full\n");
            while (i >= 0) free(fo[i--]);
            return 1;
        }
        nflags += families[i]->add_flags(fo[i], flags + nflags);
    }
    char *pos[2];
    int npos, prc = parse_flags(&cmd, flags, nflags, argc, argv, pos, 1, &npos);
    const train_family_t *fam = npos == 1 ? family_of(pos[0]) : NULL;
    if (prc) rc = prc == 1 ? 0 : 2;
    else if (!o.resume && !fam) {
        fprintf(stderr, "ganc train: expected the model name dcgan, gan, cgan, lapgan, srresnet, srgan, simgan, textenc or text2img%s%s (see ganc train --help)\n",
                npos ? ", got " : "", npos ? pos[0] : "");
        rc = 2;
    } else {
        if (npos == 1) o.model = pos[0];
        if (ganc_dist_size() > 1) { /* ranks on one machine share its cores; only rank 0 prints */
            const char *local = getenv("OMPI_COMM_WORLD_LOCAL_SIZE");
            long cores = sysconf(_SC_NPROCESSORS_ONLN), per = local ? atoi(local) : 1;
            if (!o.threads) o.threads = per > 0 && cores / per > 1 ? (int)(cores / per) : 1;
            if (ganc_dist_rank() > 0 && !freopen("/dev/null", "w", stdout)) rc = 1;
        }
        ganc_set_threads(o.threads);
        rc = use_device("train", o.device);
        if (!rc) rc = train_main(fo, &o, flags, nflags);
    }
    for (int i = 0; i < NFAM; i++) free(fo[i]);
    return rc;
}
