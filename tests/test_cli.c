/* The command-line program end to end, on a small synthetic IDX dataset:
   - exact resume: a run of 2N steps and a run of N steps resumed to 2N write bit-identical files;
   - same seed and threads: two runs write identical bytes (determinism);
   - every kind of bad file gets one clear error line naming the file and a non-zero exit code.
   Usage: test_cli GANC_BINARY */
#include <math.h>
#include <stdlib.h>
#include <string.h>
#include <unistd.h>
#include "testutil.h"

static const char *ganc;
#define tmp tu_tmp
static int run(const char *args, char *err, size_t errcap) { return tu_run(ganc, args, err, errcap); }

static void resume_and_determinism(void) {
    char args[2048], err[4096];
    snprintf(args, sizeof args, TU_TRAIN_ARGS " --iters 8 --ckpt-every 0 --out %s", tmp("img.idx"), tmp("full"));
    int rc = run(args, err, sizeof err);
    CHECK(rc == 0, "full run exited %d: %s", rc, err);
    snprintf(args, sizeof args, TU_TRAIN_ARGS " --iters 8 --ckpt-every 0 --out %s", tmp("img.idx"), tmp("again"));
    CHECK(run(args, err, sizeof err) == 0, "second full run: %s", err);
    snprintf(args, sizeof args, TU_TRAIN_ARGS " --iters 3 --out %s", tmp("img.idx"), tmp("half"));
    CHECK(run(args, err, sizeof err) == 0, "half run: %s", err);
    snprintf(args, sizeof args, "train --resume %s --iters 5", tmp("half"));
    CHECK(run(args, err, sizeof err) == 0, "first resume: %s", err);
    snprintf(args, sizeof args, "train --resume %s --iters 8 --threads 2", tmp("half"));
    CHECK(run(args, err, sizeof err) == 0, "second resume: %s", err);
    const char *files[] = {"G.safetensors", "D.safetensors", "state.safetensors"};
    for (int i = 0; i < 3; i++) {
        char a[600], b[600], c[600];
        snprintf(a, sizeof a, "%s/%s", tmp("full"), files[i]);
        snprintf(b, sizeof b, "%s/%s", tmp("half"), files[i]);
        snprintf(c, sizeof c, "%s/%s", tmp("again"), files[i]);
        CHECK(tu_same_file(a, c), "same seed, same threads: %s differs between two runs", files[i]);
        CHECK(i < 2 ? tu_same_file(a, b) : tu_same_tensors(a, b), "8 steps vs 3+2+3 resumed: %s differs", files[i]);
    }
    /* the log has one row per logging step, none duplicated by the resumes */
    FILE *f = fopen(tmp("half/log.csv"), "r");
    int rows = 0;
    char line[512];
    while (f && fgets(line, sizeof line, f)) rows++;
    if (f) fclose(f);
    /* rows at every 2nd step and at the end of each part: 2,3 | 4,5 | 6,8 */
    CHECK(rows == 1 + 6, "log.csv of the resumed run has %d lines, expected header + 6", rows);
    CHECK(access(tmp("half/loss.svg"), R_OK) == 0 && access(tmp("half/samples.png"), R_OK) == 0, "loss plot and grid");
    /* sampling from the run folder: npy uint8 and a grid */
    snprintf(args, sizeof args, "sample %s --n 10 --out %s", tmp("full"), tmp("s.npy"));
    CHECK(run(args, err, sizeof err) == 0, "sample: %s", err);
    int nd;
    int64_t sh[8];
    float *x = NULL;
    CHECK_OK(ganc_npy_read_f32(tmp("s.npy"), &nd, sh, &x));
    CHECK(x && nd == 4 && sh[0] == 10 && sh[1] == 1 && sh[2] == 32 && sh[3] == 32, "sample npy shape");
    free(x);
    /* .npy output is streamed --batch images at a time: any chunking gives the same samples (up to GEMM blocking) */
    snprintf(args, sizeof args, "sample %s --n 250 --batch 7 --dtype float32 --out %s", tmp("full"), tmp("c7.npy"));
    CHECK(run(args, err, sizeof err) == 0, "sample --batch 7: %s", err);
    snprintf(args, sizeof args, "sample %s --n 250 --batch 250 --dtype float32 --out %s", tmp("full"), tmp("c250.npy"));
    CHECK(run(args, err, sizeof err) == 0, "sample --batch 250: %s", err);
    float *y = NULL;
    x = NULL;
    CHECK_OK(ganc_npy_read_f32(tmp("c7.npy"), &nd, sh, &x));
    CHECK_OK(ganc_npy_read_f32(tmp("c250.npy"), &nd, sh, &y));
    CHECK(x && y && sh[0] == 250 && tu_max_abs(x, y, (size_t)250 * 1024) < 1e-5, "streamed chunks of 7 == one chunk");
    free(x); free(y);
    snprintf(args, sizeof args, "sample %s/G.safetensors --n 10 --bn batch --out %s", tmp("full"), tmp("g.png"));
    CHECK(run(args, err, sizeof err) == 0, "sample grid: %s", err);
    snprintf(args, sizeof args, "info %s/G.safetensors", tmp("full"));
    CHECK(run(args, err, sizeof err) == 0, "info: %s", err);
}

static void expect_error(const char *what, const char *args, int code, const char *needle) {
    tu_expect(ganc, what, args, code, needle, 1);
}

static void bad_files(void) {
    char args[2048], src[600];
    snprintf(src, sizeof src, "%s/G.safetensors", tmp("full"));
    unsigned char *buf;
    size_t len;
    CHECK_OK(ganc_read_file(src, 1 << 26, &buf, &len));
    if (!buf) return;
    FILE *f = fopen(tmp("trunc.safetensors"), "wb");
    fwrite(buf, 1, len - 100, f);
    fclose(f);
    f = fopen(tmp("text.safetensors"), "wb");
    fputs("this is not a safetensors file\n", f);
    fclose(f);
    free(buf);
    /* shapes that disagree with the metadata, and a wrong dtype */
    ganc_stw_t *w = ganc_stw_new();
    static float wt[16 * 64 * 16];
    static double wd[16 * 32 * 16];
    ganc_stw_add(w, "main.0.weight", GANC_F32, 4, (int64_t[]){16, 64, 4, 4}, wt);
    const char *meta[][2] = {{"kind", "dcgan"}, {"size", "32"}, {"nz", "16"}, {"ngf", "8"}, {"ndf", "8"}, {"nc", "1"}};
    for (int i = 0; i < 6; i++) ganc_stw_meta(w, meta[i][0], meta[i][1]);
    CHECK_OK(ganc_stw_write(w, tmp("shape.safetensors")));
    ganc_stw_free(w);
    w = ganc_stw_new();
    ganc_stw_add(w, "main.0.weight", GANC_F64, 4, (int64_t[]){16, 32, 4, 4}, wd);
    for (int i = 0; i < 6; i++) ganc_stw_meta(w, meta[i][0], meta[i][1]);
    CHECK_OK(ganc_stw_write(w, tmp("dtype.safetensors")));
    ganc_stw_free(w);
    float z[3 * 7];
    memset(z, 0, sizeof z);
    CHECK_OK(ganc_npy_write(tmp("z.npy"), GANC_F32, 2, (int64_t[]){3, 7}, z));

    snprintf(args, sizeof args, "sample %s --out %s", tmp("trunc.safetensors"), tmp("o.npy"));
    expect_error("truncated weights", args, 1, "trunc.safetensors");
    snprintf(args, sizeof args, "sample %s --out %s", tmp("text.safetensors"), tmp("o.npy"));
    expect_error("not safetensors", args, 1, "text.safetensors: not a safetensors file");
    snprintf(args, sizeof args, "sample %s --out %s", tmp("shape.safetensors"), tmp("o.npy"));
    expect_error("wrong shapes", args, 1, "shape.safetensors: tensor main.0.weight has shape [16,64,4,4], model expects [16,32,4,4]");
    snprintf(args, sizeof args, "sample %s --out %s", tmp("dtype.safetensors"), tmp("o.npy"));
    expect_error("wrong dtype", args, 1, "dtype F64, expected F32");
    snprintf(args, sizeof args, "sample %s/D.safetensors --out %s", tmp("full"), tmp("o.npy"));
    expect_error("a discriminator", args, 1, "holds a discriminator");
    snprintf(args, sizeof args, "sample %s --z %s --out %s", tmp("full"), tmp("z.npy"), tmp("o.npy"));
    expect_error("noise of the wrong size", args, 1, "z.npy: noise must have shape (N,16)");
    snprintf(args, sizeof args, "sample %s --out %s", tmp("missing"), tmp("o.npy"));
    expect_error("missing run", args, 1, "missing: cannot open");
    snprintf(args, sizeof args, "info %s", tmp("trunc.safetensors"));
    expect_error("info on a truncated file", args, 1, "trunc.safetensors");
    expect_error("unknown option", "train dcgan --bogus 1", 2, "unknown option --bogus");
    expect_error("bad value", "train dcgan --iters many", 2, "bad value 'many' for --iters");
    snprintf(args, sizeof args, "train --resume %s", tmp("missing"));
    expect_error("resume from nothing", args, 1, "missing/state.safetensors");
    snprintf(args, sizeof args, "train dcgan --data %s --out %s", tmp("nodata"), tmp("x"));
    expect_error("unknown data", args, 1, "nodata: unknown data source");
    snprintf(args, sizeof args, "train dcgan --data idx:%s --out %s", tmp("text.safetensors"), tmp("x"));
    expect_error("data that is not IDX", args, 1, "text.safetensors: not an IDX file");
}

/* image folders: PNG/JPEG of every layout train; an undecodable file stops the run by name unless --skip-bad */
static void image_folder(void) {
    char args[2048], err[4096], cmd[2048];
    snprintf(cmd, sizeof cmd, "mkdir -p %s && cp %s/img_*.png %s/img_*.jpg %s/", tmp("imgs"), tu_fixture(""),
             tu_fixture(""), tmp("imgs"));
    CHECK(system(cmd) == 0, "copy fixture images");
    snprintf(args, sizeof args,
             "train dcgan --data %s --size 64 --ngf 4 --ndf 4 --nz 8 --batch 4 --iters 2 --threads 2 --out %s",
             tmp("imgs"), tmp("folder_run"));
    int rc = run(args, err, sizeof err);
    CHECK(rc == 0, "training on an image folder: %d %s", rc, err);
    FILE *f = fopen(tmp("imgs/broken.png"), "wb");
    fputs("\x89PNG\r\n\x1a\n broken", f);
    fclose(f);
    strcat(args, " --force");
    expect_error("undecodable image in a folder", args, 1, "broken.png");
    CHECK(access(tmp("folder_run/state.safetensors"), F_OK) == 0 && access(tmp("folder_run/G.safetensors"), F_OK) == 0,
          "a --force run that fails on its data leaves the existing run alone");
    strcat(args, " --skip-bad");
    rc = run(args, err, sizeof err);
    CHECK(rc == 0 && strstr(err, "skipped 1"), "--skip-bad: rc %d, %s", rc, err);
}

/* Ctrl-C saves a checkpoint and exits with 130; --time stops cleanly and saves */
static void interrupt_and_time(void) {
    char args[2048], err[4096], cmd[4096];
    snprintf(args, sizeof args, TU_TRAIN_ARGS " --iters 1000000 --ckpt-every 0 --out %s", tmp("img.idx"), tmp("sigint"));
    snprintf(cmd, sizeof cmd, "%s %s >%s 2>&1 & pid=$!; sleep 2; kill -INT $pid; wait $pid; echo $? > %s", ganc, args,
             tmp("sigint.out"), tmp("sigint.rc"));
    CHECK(system(cmd) == 0, "run the interrupt script");
    FILE *f = fopen(tmp("sigint.rc"), "r");
    int rc = -1;
    if (f) { if (fscanf(f, "%d", &rc) != 1) rc = -1; fclose(f); }
    CHECK(rc == 130, "SIGINT: exit code %d, expected 130", rc);
    ganc_st_t *st = NULL;
    CHECK_OK(ganc_st_open(&st, tmp("sigint/state.safetensors")));
    if (st) {
        const ganc_st_tensor_t *s = ganc_st_find(st, "step");
        int64_t step = 0;
        if (s) memcpy(&step, s->data, 8);
        CHECK(step > 0, "interrupted run saved step %lld", (long long)step);
        ganc_st_free(st);
    }
    snprintf(args, sizeof args, TU_TRAIN_ARGS " --iters 1000000 --time 1s --out %s", tmp("img.idx"), tmp("timed"));
    rc = run(args, err, sizeof err);
    CHECK(rc == 0 && access(tmp("timed/state.safetensors"), R_OK) == 0, "--time 1s: rc %d", rc);
    /* --time without --iters: the progress lines (not a terminal) name the step log.csv has */
    snprintf(args, sizeof args, TU_TRAIN_ARGS " --time 2s --out %s", tmp("img.idx"), tmp("timed2"));
    rc = run(args, err, sizeof err);
    f = fopen(tmp("stdout.txt"), "r");
    char line[512];
    long long first = -1;
    while (f && fgets(line, sizeof line, f))
        if (first < 0 && sscanf(line, "step %lld ", &first) != 1) first = -1;
    if (f) fclose(f);
    /* its last step, where the time ran out, is log.csv's last row (not only a multiple of --log-every) */
    f = fopen(tmp("timed2/log.csv"), "r");
    long long last = -1, v;
    while (f && fgets(line, sizeof line, f))
        if (sscanf(line, "%lld,", &v) == 1) last = v;
    if (f) fclose(f);
    /* the first progress line is step 2 (log every 2), or the last step when a loaded machine did not reach step 2
       in the 2 s */
    CHECK(rc == 0 && first == (last >= 2 ? 2 : last), "--time run: the first progress line is step 2 (log every 2, "
          "last step %lld), got %lld", last, first);
    CHECK(last > 0 && last == tu_state_step(tmp("timed2")), "--time run: last log row %lld, state step %lld", last,
          (long long)tu_state_step(tmp("timed2")));
}

/* ganc eval end to end: every metric runs, --json is one object, bad requests fail with one line */
static void eval_cli(void) {
    char args[2048], err[4096], out[8192];
    snprintf(args, sizeof args, "eval fid,kid,pr,is,acc --real fashion-mnist:test --fake fashion-mnist:train --n 500 "
                                "--kid-subsets 10 --kid-size 200 --json");
    int rc = run(args, err, sizeof err);
    CHECK(rc == 0, "eval on two Fashion-MNIST splits: %d %s", rc, err);
    FILE *f = fopen(tmp("stdout.txt"), "r");
    size_t n = f ? fread(out, 1, sizeof out - 1, f) : 0;
    out[n] = 0;
    if (f) fclose(f);
    double fid = -1, acc = -1;
    const char *p = strstr(out, "\"fid\": {\"value\": ");
    if (p) fid = atof(p + strlen("\"fid\": {\"value\": "));
    p = strstr(out, "\"acc\": {\"value\": ");
    if (p) acc = atof(p + strlen("\"acc\": {\"value\": "));
    CHECK(out[0] == '{' && strstr(out, "\"kid\"") && strstr(out, "\"precision\"") && strstr(out, "\"is\""),
          "json output: %s", out);
    CHECK(fid >= 0 && fid < 20, "FID between two real splits (500 each): %g", fid);
    CHECK(acc > 0.85, "class accuracy of real training images: %g", acc);
    snprintf(args, sizeof args, "eval fid,parzen --fake %s --n 200 --valid-n 100", tmp("full"));
    rc = run(args, err, sizeof err);
    CHECK(rc == 0, "eval of a trained run folder: %d %s", rc, err);
    /* a model's samples are drawn chunk by chunk for the features (250 at a time, not held), and held whole when
       Parzen needs their pixels: the same images, so the same FID to the last digit (600: chunks 250, 250, 100) */
    double fids[2] = {-1, -2};
    for (int k = 0; k < 2; k++) {
        snprintf(args, sizeof args, "eval %s --fake %s --n 600 --valid-n 100 --json", k ? "fid,parzen" : "fid",
                 tmp("full"));
        CHECK(run(args, err, sizeof err) == 0, "eval %d of a run folder: %s", k, err);
        f = fopen(tmp("stdout.txt"), "r");
        n = f ? fread(out, 1, sizeof out - 1, f) : 0;
        out[n] = 0;
        if (f) fclose(f);
        p = strstr(out, "\"fid\": {\"value\": ");
        if (p) fids[k] = atof(p + strlen("\"fid\": {\"value\": "));
    }
    CHECK(fids[0] >= 0 && fids[0] == fids[1], "FID of 600 samples drawn in chunks %.6f, held whole %.6f", fids[0],
          fids[1]);
    expect_error("unknown metric", "eval bogus --fake fashion-mnist:test", 2, "unknown metric 'bogus'");
    snprintf(args, sizeof args, "eval fid --fake %s", tmp("text.safetensors"));
    expect_error("bad fake source", args, 1, "text.safetensors");
}

/* gan, cgan and conditional dcgan through the CLI: exact resume with dropout and k D steps, class sampling */
static void gan_models(void) {
    char args[2048], err[4096];
    FILE *f = fopen(tmp("lab.idx"), "wb"); /* labels 0,1,2,0,... for img.idx */
    unsigned char h[8] = {0, 0, 8, 1, 0, 0, 0, 96};
    fwrite(h, 1, 8, f);
    for (int i = 0; i < 96; i++) fputc(i % 3, f);
    fclose(f);
#define CGAN_ARGS "train cgan --data idx:%s,%s --g-hidden 32 --d-units 8 --d-pieces 2 --nz 8 --batch 16 --threads 2 " \
                  "--sample-every 0 --log-every 2 --d-steps 2 --loss minimax"
    snprintf(args, sizeof args, CGAN_ARGS " --iters 6 --ckpt-every 0 --out %s", tmp("img.idx"), tmp("lab.idx"), tmp("cg_full"));
    int rc = run(args, err, sizeof err);
    CHECK(rc == 0, "cgan run: %d %s", rc, err);
    snprintf(args, sizeof args, CGAN_ARGS " --iters 3 --out %s", tmp("img.idx"), tmp("lab.idx"), tmp("cg_half"));
    CHECK(run(args, err, sizeof err) == 0, "cgan half run: %s", err);
    snprintf(args, sizeof args, "train --resume %s --iters 6", tmp("cg_half"));
    CHECK(run(args, err, sizeof err) == 0, "cgan resume: %s", err);
    CHECK(tu_same_file(tmp("cg_full/G.safetensors"), tmp("cg_half/G.safetensors")) &&
              tu_same_file(tmp("cg_full/D.safetensors"), tmp("cg_half/D.safetensors")),
          "cgan (dropout, k=2, minimax): 6 steps vs 3 + 3 resumed differ");
    /* the grid of a conditional run has one row per class: 10 columns x 3 rows */
    ganc_image_t im = {0};
    CHECK_OK(ganc_image_load(tmp("cg_full/samples.png"), &im));
    CHECK(im.w > 3 * im.h, "cgan grid is 10 wide and 3 high: %dx%d", im.w, im.h);
    ganc_image_free(&im);

    snprintf(args, sizeof args, "train dcgan --conditional --data idx:%s,%s --ngf 4 --ndf 4 --nz 8 --batch 16 "
             "--threads 2 --iters 2 --out %s", tmp("img.idx"), tmp("lab.idx"), tmp("cdc"));
    rc = run(args, err, sizeof err);
    CHECK(rc == 0, "conditional dcgan run: %d %s", rc, err);
    snprintf(args, sizeof args, "sample %s --grid-by-class --n 4 --out %s", tmp("cdc"), tmp("bycls.png"));
    rc = run(args, err, sizeof err);
    CHECK(rc == 0, "sample --grid-by-class: %d %s", rc, err);
    CHECK_OK(ganc_image_load(tmp("bycls.png"), &im));
    CHECK(im.w > im.h && im.w < 2 * im.h, "4 columns x 3 rows: %dx%d", im.w, im.h);
    ganc_image_free(&im);
    snprintf(args, sizeof args, "sample %s --class 2 --n 5 --out %s", tmp("cdc"), tmp("c2.npy"));
    CHECK(run(args, err, sizeof err) == 0, "sample --class 2: %s", err);
    snprintf(args, sizeof args, "sample %s --class 3 --out %s", tmp("cdc"), tmp("c3.npy"));
    expect_error("class out of range", args, 2, "--class must be 0..2");
    snprintf(args, sizeof args, "sample %s --class 1 --out %s", tmp("full"), tmp("c1.npy"));
    expect_error("--class on an unconditional model", args, 2, "not a conditional model");
    snprintf(args, sizeof args, "eval acc --fake %s --n 30", tmp("cdc"));
    rc = run(args, err, sizeof err);
    CHECK(rc == 0, "class accuracy of a conditional model: %d %s", rc, err);
    snprintf(args, sizeof args, "train cgan --data idx:%s --iters 1 --out %s", tmp("img.idx"), tmp("nolab"));
    expect_error("cgan without labels", args, 2, "needs labelled data");
    expect_error("gan --conditional", "train gan --conditional --iters 1", 2, "is 'cgan'");
    snprintf(args, sizeof args, "train gan --data idx:%s --iters 1 --loss hinge --out %s", tmp("img.idx"), tmp("hinge"));
    expect_error("unknown loss", args, 2, "--loss is ns or minimax");
}

/* the DCGAN-paper tools on the small run: probe, show-filters, interp, sample --sheet, arith */
static void paper_tools(void) {
    char args[2048], err[4096];
    snprintf(args, sizeof args, "probe %s --train idx:%s,%s --test idx:%s,%s --labels-per-class 5,all --max-iter 50",
             tmp("full"), tmp("img.idx"), tmp("lab.idx"), tmp("img.idx"), tmp("lab.idx"));
    int rc = run(args, err, sizeof err);
    CHECK(rc == 0, "probe: %d %s", rc, err);
    FILE *f = fopen(tmp("stdout.txt"), "r");
    char out[4096] = {0};
    size_t n = f ? fread(out, 1, sizeof out - 1, f) : 0;
    out[n] = 0;
    if (f) fclose(f);
    CHECK(strstr(out, "| raw pixels | 1024 |") && strstr(out, "| random D |") && strstr(out, "| trained D |"),
          "probe table: %s", out);
    snprintf(args, sizeof args, "show-filters %s --layer 0 --out %s", tmp("full"), tmp("f0.png"));
    CHECK(run(args, err, sizeof err) == 0, "show-filters layer 0: %s", err);
    snprintf(args, sizeof args, "show-filters %s --layer 1 --data idx:%s --n 50 --channels 4 --top 3 --out %s",
             tmp("full"), tmp("img.idx"), tmp("f1.png"));
    CHECK(run(args, err, sizeof err) == 0, "show-filters layer 1: %s", err);
    ganc_image_t im = {0};
    CHECK_OK(ganc_image_load(tmp("f1.png"), &im));
    CHECK(im.w == 3 * 12 + 2 && im.h == 4 * 12 + 2, "3 patches x 4 channels of 10x10 fields: %dx%d", im.w, im.h);
    ganc_image_free(&im);
    snprintf(args, sizeof args, "show-filters %s --layer 3 --out %s", tmp("full"), tmp("f3.png"));
    expect_error("show-filters past the last hidden conv", args, 1, "--layer must be 0..2");
    snprintf(args, sizeof args, "interp %s --steps 5 --rows 2 --mode lerp --out %s", tmp("full"), tmp("walk.png"));
    CHECK(run(args, err, sizeof err) == 0, "interp: %s", err);
    CHECK_OK(ganc_image_load(tmp("walk.png"), &im));
    CHECK(im.w > 2 * im.h, "5 steps x 2 rows: %dx%d", im.w, im.h);
    ganc_image_free(&im);
    snprintf(args, sizeof args, "sample %s --sheet --n 16 --seed 5 --out %s", tmp("full"), tmp("sheet.png"));
    CHECK(run(args, err, sizeof err) == 0, "sample --sheet: %s", err);
    /* the sheet's image 3 and arith's copy of it come from the same noise: arith with A = B = C = {3} decodes
       that vector in the A row, and Y = z3 too */
    snprintf(args, sizeof args, "sample %s --n 16 --seed 5 --dtype float32 --out %s", tmp("full"), tmp("sheet.npy"));
    CHECK(run(args, err, sizeof err) == 0, "sample npy: %s", err);
    snprintf(args, sizeof args, "arith %s --a 3 --b 3 --c 3,7 --seed 5 --sheet-n 16 --out %s", tmp("full"), tmp("arith.png"));
    CHECK(run(args, err, sizeof err) == 0, "arith: %s", err);
    int nd;
    int64_t sh[8];
    float *x = NULL;
    CHECK_OK(ganc_npy_read_f32(tmp("sheet.npy"), &nd, sh, &x));
    CHECK_OK(ganc_image_load(tmp("arith.png"), &im));
    if (x && im.px && im.c == 1 && im.w == 8 * 34 + 2) { /* tiles (row 0, col 0) and (row 0, col 7) hold G(z3) */
        double worst = 0;
        for (int t = 0; t < 2; t++)
            for (int y = 0; y < 32; y++)
                for (int xx = 0; xx < 32; xx++) {
                    double want = (x[3 * 1024 + y * 32 + xx] + 1) * 127.5;
                    double got = im.px[(size_t)(2 + y) * im.w + 2 + t * 7 * 34 + xx];
                    worst = fmax(worst, fabs(got - want));
                }
        CHECK(worst <= 1.0, "arith's sheet image 3 differs from the sheet's by %.1f levels", worst);
    } else {
        CHECK(0, "arith figure / sheet npy unreadable");
    }
    free(x);
    ganc_image_free(&im);
    snprintf(args, sizeof args, "arith %s --a 3 --b 3 --c 16 --sheet-n 16 --out %s", tmp("full"), tmp("arith2.png"));
    expect_error("arith ID out of range", args, 2, "IDs in 0..15");
}

int main(int argc, char **argv) {
    if (argc != 2) { fprintf(stderr, "usage: test_cli GANC_BINARY\n"); return 2; }
    ganc = argv[1];
    if (tu_tmpdir("cli")) return 2;
    tu_make_idx(tmp("img.idx"), 96);
    resume_and_determinism();
    bad_files();
    image_folder();
    interrupt_and_time();
    eval_cli();
    gan_models();
    paper_tools();
    tu_tmpdir_remove();
    return tu_finish("test_cli");
}
