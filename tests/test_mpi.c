/* Data-parallel training over MPI, through mpirun and the ganc binary (skipped, with the reason, where ganc was built
   without MPI or mpirun is missing):
   - 2 ranks with --sync-bn against 1 rank, the same global batch, 6 steps of DCGAN 32: G and D agree up to the
     summation order (Adam turns the rounding of near-zero gradients into steps of ~lr, so a handful of weights differ
     by up to ~1e-4 of max(|w|, 0.05); without --sync-bn the two differ by ~1e-1);
   - a 1-rank checkpoint resumed on 2 ranks and continued equals the 1-rank run the same way;
   - faults stop the whole job, never hang (each mpirun under `timeout`), and leave the last checkpoint intact: a bad
     data file on one rank, a non-finite loss on one rank, a killed rank.
   Usage: test_mpi GANC_BINARY */
#include <math.h>
#include <signal.h>
#include <stdlib.h>
#include <string.h>
#include <time.h>
#include <unistd.h>
#include "testutil.h"

static const char *ganc;
static char mpirun[1200];

static int have_mpi(void) {
    char cmd[1200];
    snprintf(cmd, sizeof cmd, "%s --version | grep -q 'MPI on'", ganc);
    if (system(cmd) != 0) { printf("test_mpi: skipped: %s was built without MPI (-DGANC_MPI=ON)\n", ganc); return 0; }
    if (system("command -v mpirun >/dev/null") != 0) { printf("test_mpi: skipped: no mpirun (openmpi-bin)\n"); return 0; }
    return 1;
}

/* G and D of two runs: max difference relative to max(|w|, 0.05), and the fraction of elements above 1e-5 */
static void compare(const char *what, const char *a, const char *b, double max_tol, double frac_tol) {
    for (int k = 0; k < 2; k++) {
        char pa[700], pb[700];
        snprintf(pa, sizeof pa, "%s/%s.safetensors", a, k ? "D" : "G");
        snprintf(pb, sizeof pb, "%s/%s.safetensors", b, k ? "D" : "G");
        ganc_st_t *x = NULL, *y = NULL;
        CHECK_OK(ganc_st_open(&x, pa));
        CHECK_OK(ganc_st_open(&y, pb));
        double worst = 0;
        size_t over = 0, n = 0;
        for (int i = 0; x && y && i < ganc_st_count(x); i++) {
            const ganc_st_tensor_t *t = ganc_st_get(x, i), *u = ganc_st_find(y, t->name);
            if (t->dtype != GANC_F32) continue;
            CHECK(u && u->numel == t->numel, "%s: tensor %s in both", what, t->name);
            if (!u || u->numel != t->numel) continue;
            const float *p = t->data, *q = u->data;
            for (size_t j = 0; j < t->numel; j++, n++) {
                double r = fabs((double)p[j] - q[j]) / fmax(fabs(p[j]), 0.05);
                worst = fmax(worst, r);
                over += r > 1e-5;
            }
        }
        CHECK(worst <= max_tol && over <= frac_tol * n, "%s: %s differs by %.3g at most, %zu of %zu elements over 1e-5",
              what, k ? "D" : "G", worst, over, n);
        printf("%s: %s max rel. difference %.2g, %zu of %zu elements over 1e-5\n", what, k ? "D" : "G", worst, over, n);
        ganc_st_free(x);
        ganc_st_free(y);
    }
}

#define ARGS "train dcgan --data idx:%s --ngf 8 --ndf 8 --nz 16 --batch 16 --threads 1 --sample-every 0 --seed 3"

static int mpi(int np, const char *args, char *err, size_t cap) {
    char a[4096];
    snprintf(a, sizeof a, "-np %d %s %s", np, ganc, args);
    return tu_run(mpirun, a, err, cap);
}

static void equivalence(void) {
    char a[2048], err[8192];
    snprintf(a, sizeof a, ARGS " --iters 6 --out %s", tu_tmp("img.idx"), tu_tmp("one"));
    CHECK(tu_run(ganc, a, err, sizeof err) == 0, "1 rank: %s", err);
    snprintf(a, sizeof a, ARGS " --iters 6 --sync-bn --out %s", tu_tmp("img.idx"), tu_tmp("two"));
    CHECK(mpi(2, a, err, sizeof err) == 0, "2 ranks: %s", err);
    compare("2 ranks --sync-bn vs 1 rank, 6 steps", tu_tmp("one"), tu_tmp("two"), 1e-3, 1e-3);
    snprintf(a, sizeof a, ARGS " --iters 3 --out %s", tu_tmp("half"), tu_tmp("half"));
    snprintf(a, sizeof a, ARGS " --iters 3 --out %s", tu_tmp("img.idx"), tu_tmp("half"));
    CHECK(tu_run(ganc, a, err, sizeof err) == 0, "1 rank, 3 steps: %s", err);
    snprintf(a, sizeof a, "train --resume %s --iters 6 --sync-bn", tu_tmp("half"));
    CHECK(mpi(2, a, err, sizeof err) == 0, "resumed on 2 ranks: %s", err);
    compare("1-rank checkpoint resumed on 2 ranks to step 6 vs 1 rank", tu_tmp("one"), tu_tmp("half"), 1e-3, 1e-3);
    snprintf(a, sizeof a, ARGS " --iters 6 --batch 15 --out %s", tu_tmp("img.idx"), tu_tmp("odd"));
    CHECK(mpi(2, a, err, sizeof err) != 0 && strstr(err, "not a multiple of the 2 ranks"), "batch 15 on 2 ranks: %s", err);
}


static void faults(void) {
    char a[4096], err[8192];
    /* a bad data file on rank 1 only (MPMD: each rank its own arguments) */
    snprintf(a, sizeof a, "-np 1 %s " ARGS " --iters 4 --out %s : -np 1 %s " ARGS " --iters 4 --out %s", ganc,
             tu_tmp("img.idx"), tu_tmp("bad"), ganc, tu_tmp("missing.idx"), tu_tmp("bad"));
    int rc = tu_run(mpirun, a, err, sizeof err);
    CHECK(rc != 0 && rc != 124 && strstr(err, "missing.idx"), "a bad file on one rank stops the job: rc %d, %.500s", rc, err);
    /* a non-finite loss on rank 1 only: every rank stops at that step, the step before is the checkpoint */
    setenv("GANC_FAULT_NAN_AT", "3", 1);
    setenv("GANC_FAULT_RANK", "1", 1);
    snprintf(a, sizeof a, "-x GANC_FAULT_NAN_AT -x GANC_FAULT_RANK -np 2 %s " ARGS " --iters 6 --ckpt-every 1 --out %s",
             ganc, tu_tmp("img.idx"), tu_tmp("nan"));
    rc = tu_run(mpirun, a, err, sizeof err);
    unsetenv("GANC_FAULT_NAN_AT");
    unsetenv("GANC_FAULT_RANK");
    CHECK(rc != 0 && rc != 124 && strstr(err, "step 3: network D: non-finite"), "NaN on one rank: rc %d, %.500s", rc, err);
    CHECK(tu_state_step(tu_tmp("nan")) == 2, "the checkpoint before the NaN is kept (step %lld)", (long long)tu_state_step(tu_tmp("nan")));
    /* a killed rank: the job ends (no hang) and the last checkpoint opens */
    snprintf(a, sizeof a, "-np 2 %s " ARGS " --iters 1000000 --ckpt-every 2 --out %s", ganc, tu_tmp("img.idx"),
             tu_tmp("killed"));
    char cmd[8192];
    snprintf(cmd, sizeof cmd, "%s %s >/dev/null 2>&1 & sleep 3; pkill -KILL -f -n 'ganc train dcgan.*%s'; wait", mpirun,
             a, tu_tmp("killed"));
    time_t t0 = time(NULL);
    rc = system(cmd);
    CHECK(time(NULL) - t0 < 60, "a killed rank ends the job (took %lld s)", (long long)(time(NULL) - t0));
    CHECK(tu_state_step(tu_tmp("killed")) >= 0, "the last checkpoint of the killed job is intact");
}

int main(int argc, char **argv) {
    if (argc < 2) return 2;
    ganc = argv[1];
    if (!have_mpi()) return 0;
    setenv("OMPI_ALLOW_RUN_AS_ROOT", "1", 1);
    setenv("OMPI_ALLOW_RUN_AS_ROOT_CONFIRM", "1", 1);
    snprintf(mpirun, sizeof mpirun, "timeout 120 mpirun --oversubscribe");
    if (tu_tmpdir("mpi")) return 1;
    tu_make_idx(tu_tmp("img.idx"), 64);
    equivalence();
    faults();
    int rc = tu_finish("test_mpi");
    tu_tmpdir_remove();
    return rc;
}
