/* `ganc train`: one generic training loop (train_loop.c) for every model family, and a small adapter per family
   (train_gan.c: dcgan, gan, cgan; train_lapgan.c: lapgan). The loop owns what every family needs alike: the run folder, stop rules
   (--iters/--epochs/--time, Ctrl-C), the progress line, log.csv and loss.svg, checkpoints and exact resume,
   --on-nan restore, sample grids and --eval-every. A family builds its networks on the library's trainer, runs one
   iteration, declares its log columns, draws its progress grid and writes its weight files. */
#ifndef GANC_TRAIN_H
#define GANC_TRAIN_H
#include "cli.h"

/* the settings every family has (flags in cmd_train.c's table) */
typedef struct {
    const char *model, *data, *out, *resume, *on_nan, *eval_real;
    const char *device;
    int batch, iters, epochs, threads, log_every, sample_every, ckpt_every, skip_bad, eval_every, eval_n, force;
    int sync_bn;      /* data-parallel: BatchNorm statistics over the global batch */
    int report_every; /* steps between RUN/report.html refreshes (0: none) */
    float lr, beta1, beta2;
    uint64_t seed;
    double time_limit;
    const flag_t *flags; /* the command line's flags (flag_seen: what was given) */
    int nflags;
} run_opts_t;

/* a log.csv column a family declares: plotted in loss.svg's panel 1 (losses), 2 (probabilities) or not (0) */
typedef struct log_col_s log_col_t;
#define MAX_LOG_COLS 16

#define FAMILY_MAX_FLAGS 24
typedef struct train_family {
    const char *models;         /* the model names it trains, space-separated ("dcgan gan cgan") */
    const log_col_t *cols;      /* its log columns, or NULL: ask the model (columns) */
    int ncols;
    size_t opts_size;           /* its own settings (flags from add_flags) */
    void (*defaults)(void *fo);
    /* append its flags (pointing into fo) to f, at most FAMILY_MAX_FLAGS; returns how many */
    int (*add_flags)(void *fo, flag_t *f);
    /* settle the model name, defaults and checks (resuming: st is the state file, its settings already applied);
       returns 0 or an exit code, having printed why */
    int (*configure)(void *fo, run_opts_t *o, const ganc_st_t *st);
    int (*default_channels)(const void *fo, const run_opts_t *o); /* for loading the data */
    int (*size)(const void *fo);
    /* build the model for this data (conditioning from its labels); NULL with a printed message and *rc set to the
       exit code */
    void *(*create)(void *fo, const run_opts_t *o, const ganc_dataset_t *ds, int *rc);
    void (*destroy)(void *m);
    ganc_trainer_t *(*trainer)(void *m);
    /* one iteration: draw its batches from ld, update, fill vals (ncols) */
    int (*step)(void *m, ganc_loader_t *ld, float *vals);
    void (*progress_text)(void *m, const float *vals, int tty, char *buf, size_t cap);
    const log_col_t *(*columns)(void *m, int *n); /* when cols is NULL: the model's columns (at most MAX_LOG_COLS) */
    /* architecture metadata (for the state and the weight files) and the weight files themselves */
    int (*meta)(void *m, ganc_meta_t *meta);
    int (*write_weights)(void *m, const char *dir, const ganc_meta_t *meta);
    /* the fixed-noise progress grid: n images (c,h,w) into *x (owned by the model), cols columns */
    int (*grid)(void *m, const float **x, int *n, int *cols, int *c, int *h, int *w);
    double (*fid)(void *m, fid_ref_t *ref, uint64_t seed); /* NAN when it fails */
    const char *(*summary)(void *m, char *buf, size_t cap); /* "dcgan 1x32x32 (G 1234, D 5678 parameters)" */
    /* optional: load the data itself (into fo, for create) instead of ganc_dataset_load; ds->n sets the loader's
       order (an epoch); returns 0 or an exit code, having printed why */
    int (*load)(void *fo, const run_opts_t *o, ganc_dataset_t *ds);
    /* optional: the family evaluates itself every --eval-every steps (fid() with a NULL reference) into this log.csv
       column, instead of FID against --eval-real */
    const char *eval_col;
} train_family_t;

extern const train_family_t family_gan, family_lapgan, family_sr, family_simgan, family_textenc,
    family_text2img;

/* runs the loop; returns the exit code */
int train_run(const train_family_t *fam, void *model, run_opts_t *o, const ganc_dataset_t *ds,
              const flag_t *flags, int nflags);

/* the class count of a conditional run from the data's labels (have: the run's own count when resuming, else 0):
   0 with a printed message when unusable (*rc = 2 for data without usable labels) */
int train_data_classes(const run_opts_t *o, const ganc_dataset_t *ds, int have, int *rc);
/* 1 for IDX sources (Fashion-MNIST), 3 otherwise */
int train_default_channels(const char *data);

/* a labelled-array folder: DIR/images.npy (uint8 n,c,s,s), DIR/labels.npy (int64, when labels) and preview.png (the
   first 100), each written atomically (cmd_synth.c) */
int write_labelled(const char *dir, const unsigned char *px, const int *labels, int n, int c, int s);
/* run-folder helpers (rundir.c) */
int mkdir_p(const char *path);
/* dir/name into buf; an error when it does not fit */
int join_path(char *buf, size_t cap, const char *dir, const char *name);
void remove_stale_tmp(const char *dir);
/* lock the run folder for this process (an fd to keep open), or -1 with the reason (naming the other process) */
int rundir_lock(const char *dir);
int rundir_has_run(const char *dir);
void rundir_clear(const char *dir);
int trim_log(const char *path, int64_t step);

/* flags <-> metadata (args.c): write every flag that has a metadata key; read them back when resuming (fixed flags
   always, the others unless given on the command line). Returns 0 or prints the problem and returns 1. */
int flags_to_meta(const flag_t *flags, int nflags, ganc_meta_t *m);
int flags_from_meta(const char *cmd, flag_t *flags, int nflags, const ganc_st_t *st);
#endif
