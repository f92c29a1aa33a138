/* The training loop every model family shares: run folder, checkpoints (state first: it is what a crash or a full
   disk must not cost), exact resume, stop rules and signals, progress line, log.csv and loss.svg, --on-nan restore,
   progress grids and --eval-every. The family does one iteration (train.h).
   Data-parallel (mpirun): every rank runs this loop in lockstep; rank 0 alone writes files and prints, and every
   decision that could differ between ranks (an error, a stop) is agreed on (ganc_dist_max) before it is acted on. */
#include <errno.h>
#include <math.h>
#include <signal.h>
#include <stdio.h>
#include <stdlib.h>
#include <string.h>
#include <unistd.h>
#include "train.h"

static volatile sig_atomic_t g_stop = 0;
static void on_signal(int sig) { g_stop = sig; }

typedef struct {
    const train_family_t *fam;
    void *m;
    run_opts_t *o;
    const ganc_dataset_t *ds;
    const flag_t *flags;
    int nflags;
    ganc_trainer_t *tr;
    const log_col_t *cols; /* the family's or the model's log columns */
    int ncols;
    ganc_loader_t ld;
    char state_path[4096], log_path[4096];
    FILE *log;
    int64_t start, target;
    int restores, stopped_by;
    fid_ref_t *fref;
    float vals[MAX_LOG_COLS];
    double t_start, win_t, rate;
    int64_t win_s;
    int rank0; /* this process writes and prints */
} loop_t;

/* the family's weight files, then state.safetensors (the trainer's state; metadata: the architecture, the model,
   every run flag, the threads). The state goes last: it is what --resume starts from, so a kill between the files
   leaves weights newer than the state, which the resumed run writes again, the same. (State first, a kill after it
   left the weights one step behind a finished run; test_crash caught it once in session 13.) */
static int save_checkpoint(loop_t *L) {
    ganc_meta_t arch, run;
    ganc_meta_init(&arch);
    ganc_meta_init(&run);
    char th[16];
    snprintf(th, sizeof th, "%d", ganc_get_threads());
    int rc = L->fam->meta(L->m, &arch);
    if (!rc) rc = ganc_meta_set(&run, "model", L->o->model);
    if (!rc) rc = flags_to_meta(L->flags, L->nflags, &run);
    if (!rc) rc = ganc_meta_set(&run, "threads", th);
    ganc_stw_t *w = rc ? NULL : ganc_stw_new();
    if (!rc && !w) rc = ganc_fail(GANC_ENOMEM, "out of memory");
    ganc_trainer_set_data_pos(L->tr, L->ld.epoch, L->ld.pos);
    if (!rc) rc = L->fam->write_weights(L->m, L->o->out, &arch);
    /* test hook: GANC_FAULT_EXIT_AT=N ends the process, as a kill would, between the files of step N's checkpoint */
    const char *cut = getenv("GANC_FAULT_EXIT_AT");
    if (!rc && cut && atoll(cut) == ganc_trainer_step(L->tr)) _exit(137);
    if (!rc) rc = ganc_trainer_state_add(L->tr, w);
    if (!rc) rc = ganc_meta_write(&arch, w);
    if (!rc) rc = ganc_meta_write(&run, w);
    if (!rc) rc = ganc_stw_write(w, L->state_path);
    ganc_stw_free(w);
    return rc;
}

static int open_log(loop_t *L) {
    if (L->start > 0) trim_log(L->log_path, L->start);
    else {
        char hdr[1024] = "step,epoch,seconds,img_per_s";
        size_t o = strlen(hdr);
        for (int k = 0; k < L->ncols; k++) o += (size_t)snprintf(hdr + o, sizeof hdr - o, ",%s", L->cols[k].name);
        snprintf(hdr + o, sizeof hdr - o, ",%s\n", L->fam->eval_col ? L->fam->eval_col : "fid");
        if (ganc_write_file_atomic(L->log_path, hdr, strlen(hdr))) return -1;
    }
    L->log = fopen(L->log_path, "a");
    if (!L->log) return ganc_fail(GANC_EIO, "cannot open %s: %s", L->log_path, strerror(errno));
    return 0;
}

/* --on-nan restore: reload the last checkpoint, halve the learning rate, drop the log rows after it */
static int restore_checkpoint(loop_t *L, int64_t *s) {
    char why[512];
    snprintf(why, sizeof why, "%s", ganc_errmsg());
    ganc_st_t *ck = NULL;
    int64_t e, p;
    if (ganc_st_open(&ck, L->state_path) || ganc_trainer_state_load(L->tr, ck)) {
        fprintf(stderr, "\nganc train: %s; cannot restore: %s\n", why, ganc_errmsg());
        ganc_st_free(ck);
        return 1;
    }
    ganc_st_free(ck);
    ganc_trainer_data_pos(L->tr, &e, &p);
    ganc_loader_free(&L->ld);
    if (ganc_loader_init(&L->ld, L->ds, L->o->seed, e, p)) {
        fprintf(stderr, "\nganc train: %s; cannot restore the data order: %s\n", why, ganc_errmsg());
        return 1;
    }
    L->o->lr *= 0.5f;
    ganc_trainer_set_lr(L->tr, L->o->lr);
    L->restores++;
    *s = ganc_trainer_step(L->tr) - 1;
    if (!L->rank0) return 0;
    fclose(L->log);
    L->log = NULL;
    trim_log(L->log_path, *s + 1);
    if (!(L->log = fopen(L->log_path, "a"))) {
        fprintf(stderr, "\nganc train: cannot reopen %s: %s\n", L->log_path, strerror(errno));
        return 1;
    }
    fprintf(stderr, "\n%s; restored the checkpoint at step %lld, learning rate now %g\n", why, (long long)(*s + 1),
            L->o->lr);
    return 0;
}

static int write_grid(loop_t *L, int64_t done) {
    const float *x;
    int n, cols, c, h, w;
    char name[64], p1[4096], p2[4096];
    snprintf(name, sizeof name, "samples/step_%06lld.png", (long long)done);
    if (L->fam->grid(L->m, &x, &n, &cols, &c, &h, &w) || join_path(p1, sizeof p1, L->o->out, name) ||
        join_path(p2, sizeof p2, L->o->out, "samples.png") || ganc_grid_png(p1, x, n, c, h, w, cols) ||
        ganc_grid_png(p2, x, n, c, h, w, cols)) {
        fprintf(stderr, "\nganc train: %s\n", ganc_errmsg());
        return 1;
    }
    return 0;
}

/* timing, FID, the log row and the progress line after step `done` */
static void report_step(loop_t *L, progress_t *pg, int64_t done) {
    const run_opts_t *o = L->o;
    double tn = now_s();
    if (tn - L->win_t > 1.0 || done == L->start + 1) {
        L->rate = (double)(done - L->win_s) * o->batch / (tn - L->win_t);
        L->win_t = tn;
        L->win_s = done;
    }
    double left = o->time_limit - (tn - L->t_start);
    double eta = L->target == INT64_MAX ? left : (double)(L->target - done) * o->batch / L->rate;
    if (o->time_limit > 0 && left < eta) eta = left;
    if (o->time_limit > 0 && tn - L->t_start >= o->time_limit) L->stopped_by = -1;
    if (g_stop) L->stopped_by = (int)g_stop;
    double fid = NAN;
    if ((L->fref || (L->fam->eval_col && o->eval_every > 0)) && (done % o->eval_every == 0 || done == L->target))
        fid = L->fam->fid(L->m, L->fref, o->seed * 3 + 5);
    /* the last step of a run that stops (target, --time, a signal) always has its row */
    int logrow = done % o->log_every == 0 || done == L->target || !isnan(fid) || L->stopped_by;
    if (!L->rank0) return;
    if (logrow) {
        fprintf(L->log, "%lld,%lld,%.3f,%.2f", (long long)done, (long long)L->ld.epoch, tn - L->t_start, L->rate);
        for (int k = 0; k < L->ncols; k++) fprintf(L->log, ",%.6f", L->vals[k]);
        if (!isnan(fid)) fprintf(L->log, ",%.4f\n", fid);
        else fprintf(L->log, ",\n");
        fflush(L->log);
        if (!isnan(fid) && !pg->tty && L->fam->eval_col)
            printf("step %lld: %s %.3f (%s)\n", (long long)done, L->fam->eval_col, fid, o->eval_real);
        else if (!isnan(fid) && !pg->tty)
            printf("step %lld: FID %.3f (%d samples vs %s)\n", (long long)done, fid, o->eval_n, o->eval_real);
    }
    char stats[256];
    L->fam->progress_text(L->m, L->vals, pg->tty, stats, sizeof stats);
    progress_update(pg, done, L->rate, eta, stats, logrow);
}

/* every rank acts on the same decision: the worst error, and a stop that any rank saw (rank 0's clock decides) */
static int agree(int rc) { return ganc_dist_size() > 1 ? ganc_dist_max(rc) : rc; }

static int run_steps(loop_t *L) {
    const run_opts_t *o = L->o;
    progress_t pg;
    progress_init(&pg, L->target == INT64_MAX ? 0 : L->target);
    L->t_start = L->win_t = now_s();
    L->win_s = L->start;
    /* test hook: GANC_FAULT_NAN_AT=N poisons a weight of the last registered network before step N, once (only on
       rank GANC_FAULT_RANK when that is set) */
    const char *fault = getenv("GANC_FAULT_NAN_AT"), *frank = getenv("GANC_FAULT_RANK");
    if (frank && atoi(frank) != ganc_dist_rank()) fault = NULL;
    int64_t fault_at = fault ? atoll(fault) : -1;
    int rc = 0;
    for (int64_t s = L->start; !rc && s < L->target; s++) {
        if (s + 1 == fault_at) {
            ganc_net_params(ganc_trainer_net(L->tr, ganc_trainer_nnets(L->tr) - 1))[0] = NAN;
            fault_at = -1;
        }
        int src = L->fam->step(L->m, &L->ld, L->vals);
        if (ganc_dist_size() > 1 && agree(src != 0)) { /* an error on one rank is an error on all */
            if (!src) src = ganc_fail(GANC_ENONFINITE, "step %lld: another rank failed", (long long)s + 1);
            src = -agree(-src); /* the smallest code: GANC_ENONFINITE (-6) wins, as every rank's non-finite check */
        }
        if (src == GANC_ENONFINITE && !strcmp(o->on_nan, "restore") && L->restores < 8) {
            rc = restore_checkpoint(L, &s);
            continue;
        }
        if (src) {
            fprintf(stderr, "\nganc train: %s; stopped. The last good checkpoint is in %s (resume with --resume %s, "
                            "or use --on-nan restore)\n", ganc_errmsg(), o->out, o->out);
            rc = 1;
            break;
        }
        const int64_t done = s + 1;
        report_step(L, &pg, done);
        if (ganc_dist_size() > 1) L->stopped_by = agree(L->stopped_by == -1 ? 1000 : L->stopped_by);
        if (L->stopped_by == 1000) L->stopped_by = -1;
        int last = done == L->target || L->stopped_by;
        if (L->rank0 && ((o->ckpt_every && done % o->ckpt_every == 0) || last)) {
            if (save_checkpoint(L)) { fprintf(stderr, "\nganc train: checkpoint: %s\n", ganc_errmsg()); rc = 1; }
        }
        if (L->rank0 && !rc && ((o->sample_every && done % o->sample_every == 0) || last)) rc = write_grid(L, done);
        if (L->rank0 && !rc && o->report_every && (done % o->report_every == 0 || last) &&
            write_report(o->out, NULL, 12))
            fprintf(stderr, "\nwarning: report: %s\n", ganc_errmsg()); /* a page, not worth stopping the run */
        rc = agree(rc);
        if (L->stopped_by) break;
    }
    progress_end(&pg);
    return rc;
}

/* before the first step: folders, the step-0 checkpoint, the log, the FID reference, the start line */
static int prepare(loop_t *L) {
    run_opts_t *o = L->o;
    char samples[4096], summary[256];
    if (join_path(L->state_path, sizeof L->state_path, o->out, "state.safetensors") ||
        join_path(L->log_path, sizeof L->log_path, o->out, "log.csv") ||
        join_path(samples, sizeof samples, o->out, "samples")) {
        fprintf(stderr, "ganc train: --out: %s\n", ganc_errmsg());
        return 1;
    }
    if (!L->rank0) return 0; /* the folder, checkpoints, the log and messages are rank 0's */
    if (mkdir_p(o->out) || mkdir_p(samples)) {
        fprintf(stderr, "ganc train: cannot create %s: %s\n", o->out, strerror(errno));
        return 1;
    }
    remove_stale_tmp(o->out);
    if (L->start == 0 && save_checkpoint(L)) { /* so there is always a last good checkpoint */
        fprintf(stderr, "ganc train: checkpoint: %s\n", ganc_errmsg());
        return 1;
    }
    if (open_log(L)) { fprintf(stderr, "ganc train: %s\n", ganc_errmsg()); return 1; }
    if (o->eval_every > 0 && !L->fam->eval_col && !(L->fref = fid_ref_new(o->eval_real, o->eval_n))) {
        fprintf(stderr, "ganc train: --eval-every: %s\n", ganc_errmsg());
        return 1;
    }
    if (L->start >= L->target) {
        printf("%s is already at step %lld (target %lld): nothing to do\n", o->out, (long long)L->start,
               (long long)L->target);
        return 0;
    }
    char until[64];
    if (L->target == INT64_MAX) snprintf(until, sizeof until, "until the --time limit (%.0f s)", o->time_limit);
    else snprintf(until, sizeof until, "to step %lld", (long long)L->target);
    char ranks[48] = "";
    if (ganc_dist_size() > 1)
        snprintf(ranks, sizeof ranks, " x %d ranks (%d each)", ganc_dist_size(), o->batch / ganc_dist_size());
    printf("training %s on %d images, batch %d%s, %d threads, %s%s\n", L->fam->summary(L->m, summary, sizeof summary),
           L->ds->n, o->batch, ranks, ganc_get_threads(), L->start ? "resuming, " : "", until);
    if (L->start) printf("  from step %lld\n", (long long)L->start);
    fflush(stdout);
    return 0;
}

static void finish(loop_t *L) {
    const int64_t end = ganc_trainer_step(L->tr);
    if (end <= L->start || !L->rank0) return;
    char svg[4096];
    double el = now_s() - L->t_start;
    if (join_path(svg, sizeof svg, L->o->out, "loss.svg") ||
        write_loss_svg(L->log_path, svg, L->cols, L->ncols, L->fam->eval_col ? L->fam->eval_col : "fid"))
        fprintf(stderr, "warning: loss plot: %s\n", ganc_errmsg());
    char path[4200], nets[64] = "";
    static const char *const files[] = {"G", "R", "D", "text", "image"}; /* generators, SimGAN's R, D, textenc */
    for (int k = 0; k < 5; k++) { /* the weight files the family wrote */
        snprintf(path, sizeof path, "%s/%s.safetensors", L->o->out, files[k]);
        if (!access(path, F_OK)) snprintf(nets + strlen(nets), sizeof nets - strlen(nets), "%s,", files[k]);
    }
    printf("%s at step %lld: %lld steps in %.1f s (%.1f img/s). Wrote %s/{%sstate}.safetensors, samples.png, "
           "log.csv, loss.svg\n",
           L->stopped_by > 0 ? "interrupted" : L->stopped_by < 0 ? "time limit reached" : "done", (long long)end,
           (long long)(end - L->start), el, (double)(end - L->start) * L->o->batch / el, L->o->out, nets);
    if (L->stopped_by) printf("resume with: ganc train --resume %s --iters N\n", L->o->out);
}

int train_data_classes(const run_opts_t *o, const ganc_dataset_t *ds, int have, int *rc) {
    int maxl = -1;
    for (int i = 0; ds->labels && i < ds->n; i++) maxl = ds->labels[i] > maxl ? ds->labels[i] : maxl;
    if (!ds->labels || maxl < 1 || maxl >= 1000) {
        fprintf(stderr, "ganc train: a conditional model needs labelled data with 2..1000 classes; %s has %s\n",
                o->data, ds->labels ? "labels out of that range" : "no labels (use fashion-mnist or idx:IMAGES,LABELS)");
        *rc = 2;
        return 0;
    }
    if (have && have != maxl + 1) {
        fprintf(stderr, "ganc train: the run has %d classes, the data %d\n", have, maxl + 1);
        return 0;
    }
    return maxl + 1;
}

int train_default_channels(const char *data) {
    return !strncmp(data, "fashion-mnist", 13) || !strncmp(data, "idx:", 4) ? 1 : 3;
}

int train_run(const train_family_t *fam, void *model, run_opts_t *o, const ganc_dataset_t *ds, const flag_t *flags,
              int nflags) {
    loop_t L = {.fam = fam, .m = model, .o = o, .ds = ds, .flags = flags, .nflags = nflags, .tr = fam->trainer(model),
                .rank0 = ganc_dist_rank() == 0};
    L.cols = fam->cols ? fam->cols : fam->columns(model, &L.ncols);
    if (fam->cols) L.ncols = fam->ncols;
    int64_t epoch, pos;
    ganc_trainer_data_pos(L.tr, &epoch, &pos);
    if (ganc_loader_init(&L.ld, ds, o->seed, epoch, pos)) {
        fprintf(stderr, "ganc train: %s\n", ganc_errmsg());
        return 1;
    }
    const int64_t steps_per_epoch = ds->n / o->batch > 0 ? ds->n / o->batch : 1;
    L.start = ganc_trainer_step(L.tr);
    L.target = o->iters > 0 ? o->iters : INT64_MAX;
    if (o->epochs > 0 && o->epochs * steps_per_epoch < L.target) L.target = o->epochs * steps_per_epoch;
    signal(SIGXFSZ, SIG_IGN); /* a file-size limit must give a write error, not kill the run */
    int rc = agree(prepare(&L));
    signal(SIGINT, on_signal);
    signal(SIGTERM, on_signal);
    if (!rc && L.start < L.target) rc = run_steps(&L);
    if (L.log) fclose(L.log);
    if (!rc) finish(&L);
    fid_ref_free(L.fref);
    ganc_loader_free(&L.ld);
    if (!rc && L.stopped_by > 0) return 130;
    return rc;
}
