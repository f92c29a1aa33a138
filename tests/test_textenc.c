/* The text encoder (Reed et al. 2016's char-CNN-RNN) and its training: the caption encoding rule, the char-CNN-RNN
   and the image encoder forward/backward against PyTorch (scripts/gen_textenc_fixtures.py), the joint-embedding
   hinge against PyTorch and central differences, the emoji source on a small synthetic gem (captions, categories,
   the held-out rule) and on Debian's (the committed held-out list), and `ganc train textenc` (errors, exact
   resume). */
#include <math.h>
#include <stdlib.h>
#include <string.h>
#include <sys/stat.h>
#include "testutil.h"

static void encode(void) {
    float idx[GANC_TEXT_LEN];
    int len;
    CHECK_OK(ganc_text_encode("  Red   HEART ", idx, &len));
    const char *want = "red heart";
    int ok = len == 9;
    for (int i = 0; ok && i < 9; i++) ok = idx[i] == (float)(want[i] == ' ' ? 1 : want[i] - 'a' + 2);
    CHECK(ok && idx[9] == 0.0f, "lowercased, spaces collapsed and trimmed, padded with 0 (len %d)", len);
    CHECK_OK(ganc_text_encode("caf\xc3\xa9 au lait", idx, &len));
    CHECK(len == 11 && idx[3] == 1.0f && idx[4] == 2.0f, "a UTF-8 character becomes one space, merged with the next "
          "(\"caf au lait\", len %d)", len);
    CHECK(ganc_text_encode(" \xc3\xa9 \t ", idx, &len) == GANC_EINVAL && strstr(ganc_errmsg(), "empty caption"),
          "a caption with nothing of the alphabet is an error: %s", ganc_errmsg());
    char longer[200];
    memset(longer, 'a', sizeof longer - 1);
    longer[sizeof longer - 1] = 0;
    CHECK_OK(ganc_text_encode(longer, idx, &len));
    CHECK(len == GANC_TEXT_LEN, "cut at %d characters (%d)", GANC_TEXT_LEN, len);
    CHECK(ganc_text_alphabet() == 53, "52 characters and the pad");
}

static void torch_nets(void) {
    ganc_st_t *st = NULL;
    CHECK_OK(ganc_st_open(&st, tu_fixture("textenc.safetensors")));
    if (!st) return;
    ganc_textenc_cfg_t c = {8, 6, 5, 2};
    ganc_textenc_io_t tio, iio;
    ganc_net_t *tn = ganc_textenc_text_net(&c, 3, &tio), *in = ganc_textenc_image_net(&c, 64, 3, &iio);
    CHECK(tn && in, "build: %s", ganc_errmsg());
    if (!tn || !in) { ganc_st_free(st); return; }
    CHECK_OK(ganc_net_load_from(tn, st, "text.", 1));
    CHECK_OK(ganc_net_load_from(in, st, "image.", 1));
    /* the captions as the fixture encoded them */
    const char *caps[3] = {"red heart", "Smiling face with SUNGLASSES, cool, face", "flag: \xc3\xa9  c\xc3\xb4te d'ivoire!"};
    const ganc_st_tensor_t *codes = ganc_st_find(st, "text.codes");
    for (int i = 0; codes && i < 3; i++) {
        float idx[GANC_TEXT_LEN];
        int len;
        CHECK_OK(ganc_text_encode(caps[i], idx, &len));
        CHECK(!memcmp(idx, (const float *)codes->data + i * GANC_TEXT_LEN, sizeof idx), "caption %d encodes as in Python", i);
    }
    CHECK_OK(ganc_textenc_set_text(tn, &tio, caps, 3));
    CHECK_OK(ganc_net_forward(tn, 3, GANC_TRAIN));
    const ganc_st_tensor_t *y = ganc_st_find(st, "text.out"), *dy = ganc_st_find(st, "text.dy");
    double e = y ? tu_max_abs(ganc_net_data(tn, tio.out), (const float *)y->data, 15) : 1;
    CHECK(e < 1e-5, "char-CNN-RNN output vs PyTorch: %.2e", e);
    ganc_net_zero_grad(tn);
    memcpy(ganc_net_grad(tn, tio.out), dy->data, dy->nbytes);
    CHECK_OK(ganc_net_backward(tn, 0));
    e = tu_params_vs(tn, st, "text.grad.", 1);
    CHECK(e < 1e-4, "char-CNN-RNN parameter gradients vs PyTorch: %.2e", e);
    printf("char-CNN-RNN vs PyTorch: gradients %.2e\n", e);
    /* image encoder */
    const ganc_st_tensor_t *x = ganc_st_find(st, "image.in");
    CHECK_OK(ganc_net_set_input(in, iio.in, (const float *)x->data, 3));
    CHECK_OK(ganc_net_forward(in, 3, GANC_TRAIN));
    y = ganc_st_find(st, "image.out");
    dy = ganc_st_find(st, "image.dy");
    e = tu_max_abs(ganc_net_data(in, iio.out), (const float *)y->data, 15);
    CHECK(e < 1e-5, "image encoder output vs PyTorch: %.2e", e);
    ganc_net_zero_grad(in);
    memcpy(ganc_net_grad(in, iio.out), dy->data, dy->nbytes);
    CHECK_OK(ganc_net_backward(in, 0));
    e = tu_params_vs(in, st, "image.grad.", 1);
    const ganc_st_tensor_t *gx = ganc_st_find(st, "image.grad_in");
    double ex = tu_max_abs(ganc_net_grad(in, iio.in), (const float *)gx->data, gx->numel);
    CHECK(e < 1e-4 && ex < 1e-5, "image encoder gradients vs PyTorch: parameters %.2e, input %.2e", e, ex);
    /* the hinge */
    const ganc_st_tensor_t *a = ganc_st_find(st, "sje.img"), *b = ganc_st_find(st, "sje.txt");
    float di[15], dt[15];
    float l = ganc_sje_loss((const float *)a->data, (const float *)b->data, 3, 5, di, dt);
    const float want = ((const float *)ganc_st_find(st, "sje.loss")->data)[0];
    CHECK(fabsf(l - want) < 1e-5f * fmaxf(1, fabsf(want)), "hinge %.6f vs PyTorch %.6f", l, want);
    CHECK(tu_max_abs(di, (const float *)ganc_st_find(st, "sje.grad_img")->data, 15) < 1e-6 &&
          tu_max_abs(dt, (const float *)ganc_st_find(st, "sje.grad_txt")->data, 15) < 1e-6, "hinge gradients vs PyTorch");
    ganc_net_free(tn);
    ganc_net_free(in);
    ganc_st_free(st);
}

/* central differences of the hinge at random points (kinks avoided: points within 1e-2 of one are redrawn) */
static void hinge_fd(void) {
    enum { N = 5, D = 4 };
    ganc_rng_t r;
    ganc_rng_seed(&r, 3);
    float img[N * D], txt[N * D], di[N * D], dt[N * D];
    int worst_ok = 1;
    for (int trial = 0; trial < 4; trial++) {
        for (int i = 0; i < N * D; i++) { img[i] = ganc_rng_normal(&r) * 0.5f; txt[i] = ganc_rng_normal(&r) * 0.5f; }
        ganc_sje_loss(img, txt, N, D, di, dt);
        for (int k = 0; k < 2 * N * D; k++) {
            float *v = k < N * D ? &img[k] : &txt[k - N * D];
            const float g = k < N * D ? di[k] : dt[k - N * D], h = 1e-3f, v0 = *v;
            *v = v0 + h;
            double lp = ganc_sje_loss(img, txt, N, D, NULL, NULL);
            *v = v0 - h;
            double lm = ganc_sje_loss(img, txt, N, D, NULL, NULL);
            *v = v0;
            double fd = (lp - lm) / (2 * h);
            if (fabs(fd - g) > 2e-2 * fabs(fd) + 2e-3) {
                worst_ok = 0;
                fprintf(stderr, "hinge FD: trial %d element %d: analytic %g, fd %g\n", trial, k, g, fd);
            }
        }
    }
    CHECK(worst_ok, "hinge gradients match central differences");
    /* a perfect embedding: matching scores beat every mismatch by more than the margin */
    for (int i = 0; i < N * D; i++) img[i] = txt[i] = 0;
    for (int i = 0; i < N && i < D; i++) img[i * D + i] = txt[i * D + i] = 2;
    CHECK(ganc_sje_loss(img, txt, D, D, di, dt) == 0.0f, "no loss past the margin");
    int rank[D];
    ganc_textenc_ranks(img, D, txt, D, NULL, D, rank);
    CHECK(rank[0] == 1 && rank[3] == 1, "each caption ranks its own image first");
    for (int i = 0; i < N * D; i++) img[i] = 1;
    ganc_textenc_ranks(img, D, txt, D, NULL, D, rank);
    CHECK(rank[0] == D, "ties count against the caption (a constant image encoder ranks last)");
}

static void emoji(void) {
    const char *root = tu_tmp("gem");
    tu_make_gem(root, 40);
    ganc_emoji_t e;
    CHECK_OK(ganc_emoji_load(&e, root, 32));
    CHECK(e.n == 41 && e.size == 32, "the 40 emoji and the tone variant; the modifier left out (%d)", e.n);
    int found = 0;
    for (int i = 0; i < e.n; i++) {
        if (strcmp(e.keys[i], "e3")) continue;
        found = 1;
        const char *want[5] = {"thing 3", "thing 3, activity", "thing 3, k3, k4", "k3, k4, k5", "activity: k5, k6"};
        int ok = e.ncap[i] == 5 && e.labels[i] == 3;
        for (int k = 0; ok && k < 5; k++) ok = !strcmp(e.cap[i * GANC_EMOJI_MAX_CAPTIONS + k], want[k]);
        CHECK(ok, "the five captions of e3 (the category's own keyword and repeats dropped): \"%s\" ...",
              e.cap[i * GANC_EMOJI_MAX_CAPTIONS + 2]);
    }
    CHECK(found, "e3 loaded");
    CHECK(e.ncap[0] == 2 && !strcmp(e.cap[1], "thing 1 tone 2, people"), "an emoji with one usable keyword: 2 captions");
    CHECK(ganc_emoji_held_out("e1_tone2") == ganc_emoji_held_out("e1") &&
          ganc_emoji_held_out("clap_tone5") == ganc_emoji_held_out("clap"), "every tone on its base emoji's side");
    const float *x = e.x;
    CHECK(x[0] == 1.0f && x[31 * 32] != 1.0f, "transparent pixels composited onto white");
    ganc_emoji_free(&e);
    CHECK(ganc_emoji_load(&e, tu_tmp("nothing"), 32) == GANC_EIO && strstr(ganc_errmsg(), "get_emoji"),
          "a missing gem names the script: %s", ganc_errmsg());
}

/* the real gem (scripts/get_emoji.sh, or Debian's package): the categories, and the held-out list in the repo */
static void debian_emoji(void) {
    ganc_emoji_t e;
    if (ganc_emoji_load(&e, NULL, 32)) { printf("debian emoji: skipped (%s)\n", ganc_errmsg()); return; }
    int held = 0, per[8] = {0};
    for (int i = 0; i < e.n; i++) { held += e.held_out[i]; per[e.labels[i]]++; }
    CHECK(e.n == 1788 && per[0] == 570 && per[7] == 257, "1,788 emoji in 8 categories (%d; people %d)", e.n, per[0]);
    FILE *f = fopen("../docs/emoji_heldout.txt", "r");
    CHECK(f != NULL, "docs/emoji_heldout.txt exists");
    char line[200];
    int listed = 0, agree = 1;
    while (f && fgets(line, sizeof line, f)) {
        line[strcspn(line, "\n")] = 0;
        if (!line[0] || line[0] == '#') continue;
        listed++;
        int hit = 0;
        for (int i = 0; i < e.n && !hit; i++) hit = e.held_out[i] && !strcmp(e.keys[i], line);
        agree &= hit;
    }
    if (f) fclose(f);
    CHECK(agree && listed == held, "the committed list is the rule's held-out set (%d listed, %d held out)", listed, held);
    printf("debian emoji: %d, %d held out\n", e.n, held);
    ganc_emoji_free(&e);
}

static void cli(const char *ganc) {
    char args[2048], err[4096];
    tu_expect(ganc, "textenc on other data", "train textenc --data fashion-mnist --iters 1", 2, "emoji", 1);
    snprintf(args, sizeof args, "train textenc --data emoji:%s --iters 1 --out %s", tu_tmp("nogem"), tu_tmp("r0"));
    tu_expect(ganc, "textenc on a missing gem", args, 1, "nogem", 1);
    const char *fmt = "train textenc --data emoji:%s --out %s --iters %d --batch 8 --te-conv 8 --te-hidden 8 "
                      "--te-dim 8 --te-img-width 4 --threads 2 --sample-every 0 --log-every 1";
    snprintf(args, sizeof args, fmt, tu_tmp("gem"), tu_tmp("full"), 6);
    CHECK(tu_run(ganc, args, err, sizeof err) == 0, "train textenc: %s", err);
    snprintf(args, sizeof args, fmt, tu_tmp("gem"), tu_tmp("half"), 4);
    CHECK(tu_run(ganc, args, err, sizeof err) == 0, "train textenc (4 steps): %s", err);
    snprintf(args, sizeof args, "train --resume %s --iters 6", tu_tmp("half"));
    CHECK(tu_run(ganc, args, err, sizeof err) == 0, "resume textenc: %s", err);
    char a[600], b[600];
    for (int k = 0; k < 2; k++) {
        snprintf(a, sizeof a, "%s/%s.safetensors", tu_tmp("full"), k ? "image" : "text");
        snprintf(b, sizeof b, "%s/%s.safetensors", tu_tmp("half"), k ? "image" : "text");
        CHECK(tu_same_tensors(a, b), "4 steps + resume to 6 = 6 steps (%s encoder)", k ? "image" : "text");
    }
    snprintf(a, sizeof a, "%s/retrieval.json", tu_tmp("full"));
    FILE *f = fopen(a, "r");
    char js[600] = "";
    if (f) { size_t n = fread(js, 1, sizeof js - 1, f); js[n] = 0; fclose(f); }
    CHECK(strstr(js, "\"top5\"") && strstr(js, "\"step\": 6"), "retrieval.json written: %s", js);
    ganc_st_t *st = NULL;
    snprintf(a, sizeof a, "%s/text.safetensors", tu_tmp("full"));
    CHECK_OK(ganc_st_open(&st, a));
    ganc_textenc_cfg_t c;
    int size = 0;
    CHECK(st && ganc_textenc_cfg_from_file(st, &c, &size) == GANC_OK && c.conv == 8 && c.dim == 8 && size == 64,
          "text.safetensors says what it is: %s", ganc_errmsg());
    ganc_st_free(st);
}

int main(int argc, char **argv) {
    ganc_set_threads(2);
    tu_tmpdir("textenc");
    encode();
    torch_nets();
    hinge_fd();
    emoji();
    debian_emoji();
    if (argc > 1) cli(argv[1]);
    tu_tmpdir_remove();
    return tu_finish("test_textenc");
}
