/* The command line as a hostile user drives it: one group of cases per class of defect (memory safety, errors that
   used to give numbers, runs destroyed or mixed, resume gaps, nonsense accepted, unbounded work, messages). Every
   case checks the exit code and the message; none may crash (a signal is exit 128 here) or print nan/inf.
   Run under ASan+UBSan by scripts/test.sh. Usage: test_hostile GANC_BINARY */
#include <math.h>
#include <signal.h>
#include <stdlib.h>
#include <string.h>
#include <sys/stat.h>
#include <sys/wait.h>
#include <time.h>
#include <unistd.h>
#include "testutil.h"

static const char *ganc;
static void nap(long ms) { struct timespec t = {ms / 1000, (ms % 1000) * 1000000L}; nanosleep(&t, NULL); }
static char g_timeout_ganc[1024]; /* "timeout 60 GANC": a case that blocks fails instead of hanging the suite */

static int run(const char *args, char *err, size_t cap) { return tu_run(g_timeout_ganc, args, err, cap); }

static void expect(const char *what, const char *args, int code, const char *needle) {
    tu_expect(g_timeout_ganc, what, args, code, needle, 0);
}

static const char *stdout_text(void) {
    static char out[8192];
    FILE *f = fopen(tu_tmp("stdout.txt"), "r");
    size_t n = f ? fread(out, 1, sizeof out - 1, f) : 0;
    out[n] = 0;
    if (f) fclose(f);
    return out;
}

/* a float32 .npy of n images (1,8,8) with value v (NAN allowed) */
static void write_npy(const char *path, int n, int side, float v) {
    float *x = malloc(sizeof(float) * n * side * side);
    for (int i = 0; i < n * side * side; i++) x[i] = isnan(v) ? (i == 5 ? NAN : 0.1f) : v * (float)((i * 37) % 11) / 11;
    int64_t sh[4] = {n, 1, side, side};
    CHECK_OK(ganc_npy_write(path, GANC_F32, 4, sh, x));
    free(x);
}

/* copy a state file with one metadata value replaced (key may be NULL) and one tensor changed by fn (may be NULL) */
static void tamper(const char *src, const char *dst, const char *key, const char *value, const char *tensor,
                   void (*fn)(void *data, size_t nbytes)) {
    ganc_st_t *st = NULL;
    CHECK_OK(ganc_st_open(&st, src));
    if (!st) return;
    ganc_stw_t *w = ganc_stw_new();
    void **copies = calloc((size_t)ganc_st_count(st), sizeof(void *));
    for (int i = 0; i < ganc_st_count(st); i++) {
        const ganc_st_tensor_t *t = ganc_st_get(st, i);
        copies[i] = malloc(t->nbytes ? t->nbytes : 1);
        memcpy(copies[i], t->data, t->nbytes);
        if (tensor && fn && !strcmp(t->name, tensor)) fn(copies[i], t->nbytes);
        ganc_stw_add(w, t->name, t->dtype, t->ndim, t->shape, copies[i]);
    }
    for (int i = 0; i < ganc_st_meta_count(st); i++) {
        const char *k, *v;
        ganc_st_meta_at(st, i, &k, &v);
        ganc_stw_meta(w, k, key && !strcmp(k, key) ? value : v);
    }
    CHECK_OK(ganc_stw_write(w, dst));
    ganc_stw_free(w);
    for (int i = 0; i < ganc_st_count(st); i++) free(copies[i]);
    free(copies);
    ganc_st_free(st);
}
static void zero_all(void *d, size_t n) { memset(d, 0, n); }
static void first_nan(void *d, size_t n) { if (n >= 4) ((float *)d)[0] = NAN; }
static void first_negative(void *d, size_t n) { if (n >= 4) ((float *)d)[0] = -1.0f; }

/* a fresh copy of the small reference run as folder `name` */
static const char *copy_run(const char *name) {
    char cmd[2048];
    snprintf(cmd, sizeof cmd, "rm -rf %s && cp -r %s %s", tu_tmp(name), tu_tmp("run"), tu_tmp(name));
    CHECK(system(cmd) == 0, "copy the run");
    return tu_tmp(name);
}

static void class1_memory(void) {
    char a[2048];
    snprintf(a, sizeof a, "eval psnr,ssim --real %s --fake %s --border -1", tu_tmp("pa"), tu_tmp("pb"));
    expect("negative --border", a, 2, "--border must be in 0..4096");
    snprintf(a, sizeof a, "eval psnr --real %s --fake %s --border 40", tu_tmp("pa"), tu_tmp("pb"));
    expect("border larger than the image", a, 1, "after cropping --border 40");
    snprintf(a, sizeof a, "eval ssim --real %s --fake %s --border 12", tu_tmp("pa"), tu_tmp("pb"));
    expect("SSIM on what is left under 11 px", a, 1, "11x11 window needs 11");
    /* --on-nan restore on a dataset smaller than one batch: the restore re-reads the data order */
    snprintf(a, sizeof a, TU_TRAIN_ARGS " --iters 4 --ckpt-every 1 --on-nan restore --out %s", tu_tmp("tiny.idx"),
             tu_tmp("tinyrun"));
    setenv("GANC_FAULT_NAN_AT", "3", 1);
    expect("--on-nan restore with fewer images than --batch", a, 0, "restored the checkpoint at step 2");
    unsetenv("GANC_FAULT_NAN_AT");
}

static void class2_numbers(void) {
    char a[2048];
    write_npy(tu_tmp("one.npy"), 1, 8, 1.0f);
    write_npy(tu_tmp("many.npy"), 20, 8, 1.0f);
    write_npy(tu_tmp("nan.npy"), 20, 8, NAN);
    snprintf(a, sizeof a, "eval fid --real %s --fake %s --json", tu_tmp("many.npy"), tu_tmp("one.npy"));
    expect("FID of a 1-image set", a, 1, "at least 2 per set");
    CHECK(!strstr(stdout_text(), "FID") && !strstr(stdout_text(), "{"), "no number printed for a 1-image set");
    snprintf(a, sizeof a, "eval fid,kid --real %s --fake %s", tu_tmp("many.npy"), tu_tmp("nan.npy"));
    expect("NaN pixels", a, 1, "NaN or infinite pixels");
    snprintf(a, sizeof a, "eval parzen --real %s --fake %s --sigma inf", tu_tmp("many.npy"), tu_tmp("many.npy"));
    expect("--sigma inf", a, 2, "bad value 'inf' for --sigma");
    snprintf(a, sizeof a, "eval parzen --real %s --fake %s --valid-n 0", tu_tmp("many.npy"), tu_tmp("many.npy"));
    expect("--valid-n 0", a, 2, "--valid-n must be in 1..100000");
    snprintf(a, sizeof a, "eval psnr --real %s --fake %s --json --border 0", tu_tmp("pa"), tu_tmp("pa"));
    expect("PSNR of identical images (infinite) in JSON", a, 1, "not a finite number");
    const char *o = stdout_text();
    CHECK(!strstr(o, "inf") && !strstr(o, "nan"), "JSON never carries inf/nan: %s", o);
    snprintf(a, sizeof a, "eval fid,is --real %s --fake %s --json --n 20", tu_tmp("many.npy"), tu_tmp("many.npy"));
    expect("JSON of a good run", a, 0, NULL);
    o = stdout_text();
    CHECK(o[0] == '{' && strstr(o, "\"fid\"") && !strstr(o, "nan") && !strstr(o, "inf"), "valid JSON: %s", o);
}

static void class3_runs(void) {
    char a[2048], sp[600];
    snprintf(sp, sizeof sp, "%s/state.safetensors", tu_tmp("run"));
    CHECK(system("true") == 0, "shell");
    char keep[700];
    snprintf(keep, sizeof keep, "cp %s %s", sp, tu_tmp("state.keep"));
    CHECK(system(keep) == 0, "keep the state");
    snprintf(a, sizeof a, TU_TRAIN_ARGS " --iters 2 --out %s", tu_tmp("img.idx"), tu_tmp("run"));
    expect("training into an existing run", a, 2, "already holds a run");
    snprintf(a, sizeof a, TU_TRAIN_ARGS " --iters 2 --out %s --force --loss bogus", tu_tmp("img.idx"), tu_tmp("run"));
    expect("--force with a bad flag", a, 2, "--loss is ns or minimax");
    snprintf(a, sizeof a, TU_TRAIN_ARGS " --iters 2 --out %s --force --data nodata", tu_tmp("img.idx"), tu_tmp("run"));
    expect("--force with bad data", a, 1, "nodata");
    CHECK(tu_same_file(sp, tu_tmp("state.keep")), "the existing run is untouched by runs that failed their checks");
    /* a run folder is locked while a process trains in it */
    const char *busy = copy_run("busy");
    char cmd[2048];
    snprintf(cmd, sizeof cmd, "%s train --resume %s --iters 100000 --time 30s >/dev/null 2>&1 & echo $! > %s", ganc,
             busy, tu_tmp("busy.pid"));
    CHECK(system(cmd) == 0, "start a long run");
    char lockp[700];
    snprintf(lockp, sizeof lockp, "%s/.lock", busy);
    for (int i = 0; i < 200; i++) { /* until it holds the lock (its pid is in the file) */
        struct stat st;
        if (stat(lockp, &st) == 0 && st.st_size > 0) break;
        nap(50);
    }
    nap(300);
    snprintf(a, sizeof a, "train --resume %s --iters 100000", busy);
    expect("a second process on a locked run folder", a, 1, "in use by another training process (pid");
    FILE *f = fopen(tu_tmp("busy.pid"), "r");
    int pid = 0;
    if (f && fscanf(f, "%d", &pid) == 1 && pid > 0) kill(pid, SIGINT);
    if (f) fclose(f);
    for (int i = 0; i < 200 && pid > 0 && kill(pid, 0) == 0; i++) nap(50);
    snprintf(a, sizeof a, "train --resume %s --iters 100000 --time 1", busy);
    expect("the folder is free once the process is gone", a, 0, NULL);
}

static void class4_resume(void) {
    char a[2048], sp[700], dst[700];
    /* fewer images than --batch: the run resumes */
    snprintf(a, sizeof a, TU_TRAIN_ARGS " --iters 2 --out %s", tu_tmp("tiny.idx"), tu_tmp("tiny2"));
    expect("a run with fewer images than --batch", a, 0, NULL);
    snprintf(a, sizeof a, "train --resume %s --iters 3", tu_tmp("tiny2"));
    expect("...resumes", a, 0, NULL);
    const struct { const char *name, *key, *value, *tensor; void (*fn)(void *, size_t); const char *needle; } c[] = {
        {"batch 4294967297", "batch", "4294967297", NULL, NULL, "run metadata batch = '4294967297'"},
        {"batch abc", "batch", "abc", NULL, NULL, "run metadata batch = 'abc'"},
        {"lr nan", "lr", "nan", NULL, NULL, "run metadata lr = 'nan'"},
        {"nz 0", "nz", "0", NULL, NULL, "metadata nz = '0'"},
        {"all-zero generator state", NULL, NULL, "rng.state", zero_all, "rng.state is all zero"},
        {"NaN weight", NULL, NULL, "G.main.0.weight", first_nan, "G.main.0.weight holds NaN"},
        {"negative Adam v", NULL, NULL, "optD.v", first_negative, "optD.v holds negative"},
        {"NaN Adam m", NULL, NULL, "optG.m", first_nan, "optG.m holds NaN"},
        {"NaN running_var", NULL, NULL, "D.main.3.running_var", first_nan, "D.main.3.running_var holds NaN"},
    };
    snprintf(sp, sizeof sp, "%s/state.safetensors", tu_tmp("run"));
    for (size_t i = 0; i < sizeof c / sizeof c[0]; i++) {
        const char *dir = copy_run("tampered");
        snprintf(dst, sizeof dst, "%s/state.safetensors", dir);
        tamper(sp, dst, c[i].key, c[i].value, c[i].tensor, c[i].fn);
        snprintf(a, sizeof a, "train --resume %s --iters 3", dir);
        expect(c[i].name, a, 1, c[i].needle);
    }
}

static void class5_nonsense(void) {
    char a[2048];
    const struct { const char *args, *needle; } c[] = {
        {"train classifier --lr nan --out /tmp/x.safetensors", "bad value 'nan' for --lr"},
        {"train dcgan --time nan", "bad value 'nan' for --time"},
        {"train dcgan --time 0", "--time must be in"},
        {"train dcgan --eval-every -1", "--eval-every must be in 0.."},
        {"train dcgan --beta1 -5", "--beta1 must be in 0..0.9999"},
        {"train dcgan --lr 0", "--lr must be in"},
        {"train gan --d-dropout 1", "--d-dropout must be in 0..0.99"},
        {"sample x --n 0 --out a.png", "--n must be in 1..1e+07"},
        {"interp x --steps 1 --out a.png", "--steps must be in 2..100"},
        {"probe x --C -1", "--C must be in"},
        {"eval fid --fake x --k 0", "--k must be in 1..100"},
    };
    for (size_t i = 0; i < sizeof c / sizeof c[0]; i++) expect(c[i].args, c[i].args, 2, c[i].needle);
    float z[2 * 16] = {0}; /* the reference run's nz */
    z[3] = NAN;
    int64_t sh[2] = {2, 16};
    CHECK_OK(ganc_npy_write(tu_tmp("z.npy"), GANC_F32, 2, sh, z));
    snprintf(a, sizeof a, "sample %s --z %s --out %s", tu_tmp("run"), tu_tmp("z.npy"), tu_tmp("z.png"));
    expect("sample --z with NaN noise", a, 1, "NaN or infinite values");
}

static void class6_unbounded(void) {
    char a[2048];
    expect("--kid-subsets 100000000", "eval kid --fake x --kid-subsets 100000000", 2, "--kid-subsets must be in 1..10000");
    expect("--threads 2147483647", "train dcgan --threads 2147483647", 2, "--threads must be in 0..1024");
    expect("--pr-n huge", "eval pr --fake x --pr-n 10000000", 2, "--pr-n must be in 2..50000");
    CHECK(mkfifo(tu_tmp("fifo"), 0600) == 0, "mkfifo");
    snprintf(a, sizeof a, TU_TRAIN_ARGS " --iters 1 --out %s", tu_tmp("fifo"), tu_tmp("fiforun"));
    expect("a FIFO as the data file", a, 1, "not a regular file");
    snprintf(a, sizeof a, "info %s", tu_tmp("fifo"));
    expect("a FIFO as a safetensors file", a, 1, "not a regular file");
    snprintf(a, sizeof a, "sample %s --z %s --out %s", tu_tmp("run"), tu_tmp("fifo"), tu_tmp("f.png"));
    expect("a FIFO as --z", a, 1, "not a regular file");
}

static void class7_messages(void) {
    char a[8192], longp[6000];
    snprintf(a, sizeof a, "sample %s --cols -1 --out a.png", tu_tmp("run"));
    expect("--cols -1", a, 2, "--cols must be in 0..4096");
    snprintf(a, sizeof a, "sample %s --n 2000 --cols 1000 --out %s", tu_tmp("run"), tu_tmp("wide.png"));
    expect("a grid too wide for PNG", a, 1, "over the limit of 32768 per side");
    memset(longp, 'a', 5000);
    longp[0] = '/';
    memcpy(longp + 1, "tmp/", 4);
    longp[5000] = 0;
    snprintf(a, sizeof a, TU_TRAIN_ARGS " --iters 1 --out %s", tu_tmp("img.idx"), longp);
    expect("a 5,000-character --out", a, 1, NULL);
    expect("--resume \"\"", "train --resume ''", 2, "--resume needs the run folder");
    const char *dir = copy_run("badmeta");
    char sp[700], dst[700];
    snprintf(sp, sizeof sp, "%s/state.safetensors", tu_tmp("run"));
    snprintf(dst, sizeof dst, "%s/state.safetensors", dir);
    tamper(sp, dst, "ckpt_every", "-5", NULL, NULL);
    snprintf(a, sizeof a, "train --resume %s --iters 3", dir);
    expect("bad metadata is reported as metadata, not as a flag", a, 1, "run metadata ckpt_every = '-5'");
}

int main(int argc, char **argv) {
    if (argc < 2) { fprintf(stderr, "usage: test_hostile GANC_BINARY\n"); return 2; }
    ganc = argv[1];
    snprintf(g_timeout_ganc, sizeof g_timeout_ganc, "timeout 120 %s", ganc);
    if (tu_tmpdir("hostile")) return 1;
    char a[2048];
    tu_make_idx(tu_tmp("img.idx"), 64);
    tu_make_idx(tu_tmp("tiny.idx"), 4);
    snprintf(a, sizeof a, TU_TRAIN_ARGS " --iters 2 --out %s", tu_tmp("img.idx"), tu_tmp("run"));
    CHECK(run(a, NULL, 0) == 0, "the reference run");
    snprintf(a, sizeof a, "mkdir -p %s %s", tu_tmp("pa"), tu_tmp("pb"));
    CHECK(system(a) == 0, "image pair folders");
    unsigned char px[2][7 * 5 * 3];
    for (int i = 0; i < 7 * 5 * 3; i++) { px[0][i] = (unsigned char)(i * 7); px[1][i] = (unsigned char)(i * 7 + 13); }
    CHECK_OK(ganc_png_write(tu_tmp("pa/a.png"), px[0], 7, 5, 3));
    CHECK_OK(ganc_png_write(tu_tmp("pb/a.png"), px[1], 7, 5, 3));
    class1_memory();
    class2_numbers();
    class3_runs();
    class4_resume();
    class5_nonsense();
    class6_unbounded();
    class7_messages();
    int rc = tu_finish("test_hostile");
    tu_tmpdir_remove();
    return rc;
}
