/* Test helpers: a CHECK that counts failures (a test fails through its exit code), FD gradient checks,
   fixture access. */
#ifndef GANC_TESTUTIL_H
#define GANC_TESTUTIL_H
#include <stdio.h>
#include "ganc.h"

extern int tu_checks, tu_fails;
#define CHECK(cond, ...)                                                          \
    do {                                                                          \
        tu_checks++;                                                              \
        if (!(cond)) {                                                            \
            tu_fails++;                                                           \
            fprintf(stderr, "FAIL %s:%d: ", __FILE__, __LINE__);                  \
            fprintf(stderr, __VA_ARGS__);                                         \
            fprintf(stderr, "\n");                                                \
        }                                                                         \
    } while (0)
#define CHECK_OK(expr) do { int rc_ = (expr); CHECK(rc_ == GANC_OK, "%s -> %d: %s", #expr, rc_, ganc_errmsg()); } while (0)
int tu_finish(const char *name); /* prints a summary, returns the exit code */

/* max over i of |a-b| / max(|b|, floor) and the index where it happens */
double tu_max_rel(const float *a, const float *b, size_t n, double floor, size_t *where);
double tu_max_abs(const float *a, const float *b, size_t n);

/* Finite-difference check of every parameter and of the inputs listed in `ins` (n_ins ids) of a built network,
   against the loss L = sum(out * R) with a fixed random R. Up to `samples` elements per tensor. Returns the number
   of mismatches (also counted by CHECK). flags: forward flags. */
int tu_fd_check(const char *what, ganc_net_t *net, const int *ins, int n_ins, int out, int batch, int flags,
                float eps, double tol, int samples, uint64_t seed);

/* CLI tests: a private temporary folder, paths in it, running the ganc binary */
int tu_tmpdir(const char *tag);                 /* creates /tmp/ganc_test_TAG_XXXXXX */
const char *tu_tmp(const char *name);           /* path in it (8 rotating buffers) */
void tu_tmpdir_remove(void);                    /* removed unless a check failed (kept for inspection) */
/* run `ganc ARGS` with stdout/stderr to files in the folder; stderr copied into err; returns the exit status */
int tu_run(const char *ganc, const char *args, char *err, size_t errcap);
/* a text file's first cap-1 bytes into buf, 0-terminated (empty when unreadable); returns the length */
size_t tu_read_text(const char *path, char *buf, size_t cap);
/* run `ganc ARGS` and check its exit code and that stderr holds needle (NULL: any message); one_line: the error is
   exactly one line. Counts failures through CHECK. */
void tu_expect(const char *ganc, const char *what, const char *args, int code, const char *needle, int one_line);
int tu_same_file(const char *a, const char *b);
int tu_same_tensors(const char *a, const char *b); /* same tensors (names, dtypes, bytes); metadata may differ */
int64_t tu_state_step(const char *run_dir);       /* the step in RUN/state.safetensors, -1 when unreadable */
void tu_make_idx(const char *path, int n);         /* n 28x28 images of blobs, IDX layout */
/* small, fast DCGAN training arguments on the idx file given by %s */
#define TU_TRAIN_ARGS "train dcgan --data idx:%s --ngf 8 --ndf 8 --nz 16 --batch 16 --threads 2 --sample-every 0 --log-every 2"

/* GANC_TEST_DEVICE=cuda runs the test's networks on that device; where it does not exist the test exits 77, which
   ctest reports as skipped */
void tu_device_from_env(const char *test);

/* max over a network's parameters (or their gradients) of max |ganc - fixture| / max(|fixture|, 1e-3) against the
   tensors prefix.NAME of the fixture (a missing or mis-sized one fails a CHECK and gives INFINITY) */
double tu_params_vs(ganc_net_t *net, const ganc_st_t *st, const char *prefix, int grads);

/* a ruby-gemojione-like folder at root: config/index.json with n emoji e0..e{n-1} (category i % 8, name "thing i",
   keywords k_i, the category, k_i, k_{i+1}, k_{i+2}, k_{i+3}), plus e1_tone2 and a "modifier" one; 64x64 RGBA PNGs
   in assets/png (the top half transparent) */
void tu_make_gem(const char *root, int n);

/* path to a fixture file: $GANC_FIXTURES/name or fixtures/name */
const char *tu_fixture(const char *name);
#endif
