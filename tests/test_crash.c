/* Crashes, full disks and divergence, through the command-line program:
   - SIGKILL at random moments (30 times, a checkpoint every step so many kills land inside a write), resuming each
     time: every resume succeeds and the final weights equal an uninterrupted run's, bit for bit;
   - a death between the files of the last checkpoint (a test hook, where a kill lands only now and then): the resume
     ends with the uninterrupted run's weights;
   - a file-size limit (ulimit -f) makes the checkpoint write fail with a clear error, the last good one intact;
   - a NaN is caught at the step it appears: stop (naming step and network, last checkpoint kept) or
     --on-nan restore (reload, lower the learning rate, finish).
   Usage: test_crash GANC_BINARY */
#include <math.h>
#include <signal.h>
#include <stdlib.h>
#include <string.h>
#include <dirent.h>
#include <sys/wait.h>
#include <time.h>
#include <unistd.h>
#include "testutil.h"

static const char *ganc;


static int has_tmp_file(const char *dir) {
    DIR *d = opendir(dir);
    int found = 0;
    struct dirent *e;
    while (d && (e = readdir(d)))
        if (strstr(e->d_name, ".tmp.")) found = 1;
    if (d) closedir(d);
    return found;
}

static pid_t spawn(const char *args) {
    char cmd[4096];
    snprintf(cmd, sizeof cmd, "exec %s %s >/dev/null 2>&1", ganc, args);
    pid_t pid = fork();
    if (pid == 0) {
        execl("/bin/sh", "sh", "-c", cmd, (char *)NULL);
        _exit(127);
    }
    return pid;
}

static void kill_and_resume(void) {
    enum { ITERS = 60, KILLS = 30 };
    char args[2048], err[4096];
    snprintf(args, sizeof args, TU_TRAIN_ARGS " --iters %d --ckpt-every 1 --out %s", tu_tmp("img.idx"), ITERS,
             tu_tmp("ref"));
    CHECK(tu_run(ganc, args, err, sizeof err) == 0, "reference run: %s", err);
    ganc_rng_t r;
    ganc_rng_seed(&r, (uint64_t)time(NULL));
    int in_write = 0, resumed = 0, corrupt = 0;
    int64_t last = -1;
    for (int k = 0; k < KILLS; k++) {
        int64_t s = tu_state_step(tu_tmp("victim"));
        if (s >= 0) {
            snprintf(args, sizeof args, "train --resume %s --iters %d", tu_tmp("victim"), ITERS);
            resumed++;
        } else {
            snprintf(args, sizeof args, TU_TRAIN_ARGS " --iters %d --ckpt-every 1 --out %s", tu_tmp("img.idx"),
                     ITERS, tu_tmp("victim"));
        }
        if (s >= 0 && s < last) corrupt++; /* a checkpoint must never go backwards */
        last = s;
        pid_t pid = spawn(args);
        struct timespec ts = {0, (long)(20 + ganc_rng_below(&r, 250)) * 1000000L};
        nanosleep(&ts, NULL);
        kill(pid, SIGKILL);
        int st;
        waitpid(pid, &st, 0);
        in_write += has_tmp_file(tu_tmp("victim"));
        if (access(tu_tmp("victim/state.safetensors"), F_OK) == 0 && tu_state_step(tu_tmp("victim")) < 0) corrupt++;
    }
    CHECK(corrupt == 0, "%d kills left an unreadable or older checkpoint", corrupt);
    int64_t s = tu_state_step(tu_tmp("victim"));
    if (s >= 0) snprintf(args, sizeof args, "train --resume %s --iters %d", tu_tmp("victim"), ITERS);
    else snprintf(args, sizeof args, TU_TRAIN_ARGS " --iters %d --ckpt-every 1 --out %s", tu_tmp("img.idx"), ITERS,
                  tu_tmp("victim"));
    int rc = tu_run(ganc, args, err, sizeof err);
    CHECK(rc == 0, "final resume exited %d: %s", rc, err);
    CHECK(!has_tmp_file(tu_tmp("victim")), "a finished run leaves no temporary files");
    char a[600], b[600];
    for (int i = 0; i < 2; i++) {
        snprintf(a, sizeof a, "%s/%s", tu_tmp("ref"), i ? "D.safetensors" : "G.safetensors");
        snprintf(b, sizeof b, "%s/%s", tu_tmp("victim"), i ? "D.safetensors" : "G.safetensors");
        CHECK(tu_same_file(a, b), "after %d kills: %s differs from the uninterrupted run", KILLS, a);
    }
    printf("SIGKILL x%d: %d resumes, %d kills interrupted a file write, final weights %s\n", KILLS, resumed, in_write,
           tu_fails ? "DIFFER" : "identical");
}

/* a process that dies between the files of its last checkpoint: the weights go before the state, so the resumed run
   redoes that step and ends with the uninterrupted run's weights (with the state first it found the run finished
   and left the weights a step behind) */
static void exit_between_files(void) {
    char args[2048], err[4096], a[600], b[600];
    snprintf(args, sizeof args, TU_TRAIN_ARGS " --iters 6 --ckpt-every 1 --out %s", tu_tmp("img.idx"), tu_tmp("ref6"));
    CHECK(tu_run(ganc, args, err, sizeof err) == 0, "reference run: %s", err);
    snprintf(args, sizeof args, TU_TRAIN_ARGS " --iters 6 --ckpt-every 1 --out %s", tu_tmp("img.idx"), tu_tmp("cut"));
    setenv("GANC_FAULT_EXIT_AT", "6", 1);
    const int rc = tu_run(ganc, args, err, sizeof err);
    unsetenv("GANC_FAULT_EXIT_AT");
    CHECK(rc == 137 && tu_state_step(tu_tmp("cut")) == 5, "died between the files of step 6: exit %d, state at %lld",
          rc, (long long)tu_state_step(tu_tmp("cut")));
    snprintf(args, sizeof args, "train --resume %s --iters 6", tu_tmp("cut"));
    CHECK(tu_run(ganc, args, err, sizeof err) == 0, "resume after dying between the files: %s", err);
    for (int i = 0; i < 2; i++) {
        snprintf(a, sizeof a, "%s/%s", tu_tmp("ref6"), i ? "D.safetensors" : "G.safetensors");
        snprintf(b, sizeof b, "%s/%s", tu_tmp("cut"), i ? "D.safetensors" : "G.safetensors");
        CHECK(tu_same_file(a, b), "dying between the last checkpoint's files: %s differs after the resume", b);
    }
}

static void full_disk(void) {
    char args[2048], err[4096], before[600], after[600];
    snprintf(args, sizeof args, TU_TRAIN_ARGS " --iters 4 --out %s", tu_tmp("img.idx"), tu_tmp("disk"));
    CHECK(tu_run(ganc, args, err, sizeof err) == 0, "run before the disk fills: %s", err);
    snprintf(before, sizeof before, "%s/state.safetensors", tu_tmp("disk"));
    snprintf(after, sizeof after, "%s/keep.safetensors", tu_tmp("disk"));
    unsigned char *p;
    size_t n;
    CHECK_OK(ganc_read_file(before, 1 << 26, &p, &n));
    if (p) { ganc_write_file_atomic(after, p, n); free(p); }
    /* 16 KiB per file: less than a checkpoint */
    snprintf(args, sizeof args, "train --resume %s --iters 8", tu_tmp("disk"));
    char cmd[4096];
    snprintf(cmd, sizeof cmd, "sh -c 'ulimit -f 16; exec %s %s' >%s 2>%s", ganc, args, tu_tmp("o.txt"),
             tu_tmp("e.txt"));
    int st = system(cmd);
    int rc = WIFEXITED(st) ? WEXITSTATUS(st) : 128;
    FILE *f = fopen(tu_tmp("e.txt"), "r");
    size_t m = f ? fread(err, 1, sizeof err - 1, f) : 0;
    err[m] = 0;
    if (f) fclose(f);
    CHECK(rc == 1, "file-size limit: exit %d (expected 1): %s", rc, err);
    /* the weights are written before the state (train_loop.c), so G's file is the first that fails */
    CHECK(strstr(err, "File too large") && strstr(err, "G.safetensors"), "error names the file and cause: %s", err);
    CHECK(tu_same_file(before, after) && tu_state_step(tu_tmp("disk")) == 4, "the last good checkpoint is intact");
    CHECK(!has_tmp_file(tu_tmp("disk")), "no temporary file left after the failed write");
}

static void nan_guard(void) {
    char args[2048], err[4096];
    setenv("GANC_FAULT_NAN_AT", "5", 1);
    snprintf(args, sizeof args, TU_TRAIN_ARGS " --iters 10 --ckpt-every 2 --out %s", tu_tmp("img.idx"), tu_tmp("nan"));
    int rc = tu_run(ganc, args, err, sizeof err);
    CHECK(rc == 1 && strstr(err, "step 5: network D: non-finite") && strstr(err, "last good checkpoint"),
          "NaN stop: rc %d: %s", rc, err);
    CHECK(tu_state_step(tu_tmp("nan")) == 4, "the checkpoint before the NaN (step 4) is kept, found %lld",
          (long long)tu_state_step(tu_tmp("nan")));
    snprintf(args, sizeof args, TU_TRAIN_ARGS " --iters 10 --ckpt-every 2 --on-nan restore --out %s",
             tu_tmp("img.idx"), tu_tmp("nan2"));
    rc = tu_run(ganc, args, err, sizeof err);
    unsetenv("GANC_FAULT_NAN_AT");
    CHECK(rc == 0 && strstr(err, "restored the checkpoint at step 4, learning rate now 0.0001"), "NaN restore: rc %d: %s",
          rc, err);
    CHECK(tu_state_step(tu_tmp("nan2")) == 10, "restored run finished");
    ganc_st_t *st;
    char p[600];
    snprintf(p, sizeof p, "%s/G.safetensors", tu_tmp("nan2"));
    CHECK_OK(ganc_st_open(&st, p));
    if (st) {
        int finite = 1;
        for (int i = 0; i < ganc_st_count(st); i++) {
            const ganc_st_tensor_t *t = ganc_st_get(st, i);
            if (t->dtype != GANC_F32) continue;
            for (size_t k = 0; k < t->numel; k++) {
                float v;
                memcpy(&v, (const char *)t->data + 4 * k, 4);
                finite &= isfinite(v) != 0;
            }
        }
        CHECK(finite, "weights after the restore are finite");
        ganc_st_free(st);
    }
}

int main(int argc, char **argv) {
    if (argc != 2) { fprintf(stderr, "usage: test_crash GANC_BINARY\n"); return 2; }
    ganc = argv[1];
    if (tu_tmpdir("crash")) return 2;
    tu_make_idx(tu_tmp("img.idx"), 96);
    kill_and_resume();
    exit_between_files();
    full_disk();
    nan_guard();
    tu_tmpdir_remove();
    return tu_finish("test_crash");
}
