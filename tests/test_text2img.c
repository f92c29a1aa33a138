/* The text-to-image GAN (Reed et al. 2016): one GAN-CLS D step and one GAN-INT G step against PyTorch
   (scripts/gen_text2img_fixtures.py), the loss terms each option adds, and `ganc train text2img` / `ganc text2img`
   (errors, exact resume, the caption file's row order). */
#include <math.h>
#include <stdlib.h>
#include <string.h>
#include <sys/stat.h>
#include "testutil.h"

static const float *F(const ganc_st_t *st, const char *name) {
    const ganc_st_tensor_t *t = ganc_st_find(st, name);
    CHECK(t != NULL, "fixture tensor %s", name);
    return t ? (const float *)t->data : NULL;
}

static ganc_t2i_train_cfg_t small_cfg(int cls, int interp) {
    ganc_t2i_train_cfg_t c = {{32, 3, 4, 4, 6, 5}, 4, cls, interp, 2e-4f, 0.5f, 0.999f, 1};
    return c;
}

static void torch_steps(void) {
    ganc_st_t *st = NULL;
    CHECK_OK(ganc_st_open(&st, tu_fixture("text2img_step.safetensors")));
    if (!st) return;
    ganc_t2i_train_cfg_t c = small_cfg(1, 1);
    ganc_t2i_trainer_t *t = ganc_t2i_trainer_new(&c);
    CHECK(t != NULL, "trainer: %s", ganc_errmsg());
    if (!t) { ganc_st_free(st); return; }
    ganc_net_t *g = ganc_t2i_g(t, NULL), *d = ganc_t2i_d(t, NULL);
    CHECK_OK(ganc_net_load_from(g, st, "g.", 1));
    CHECK_OK(ganc_net_load_from(d, st, "d.", 1));
    ganc_t2i_stats_t s;
    CHECK_OK(ganc_t2i_d_step(t, F(st, "in.x"), F(st, "in.t"), F(st, "in.t_wrong"), F(st, "in.z"), &s));
    const float ld = F(st, "loss_d")[0], lg = F(st, "loss_g")[0];
    double eg = tu_params_vs(d, st, "grad_d.", 1), ep = tu_params_vs(d, st, "d1.", 0);
    /* weights after Adam's first step, lr g/(|g| + 1e-8): where |g| is ~1e-9 (some of joint.0's) float rounding moves
       that weight by a good part of lr = 2e-4 (7e-5 of the largest weight here), so the bound is 2e-4 */
    CHECK(fabsf(s.loss_d - ld) < 1e-5f && eg < 1e-4 && ep < 2e-4,
          "GAN-CLS D step vs PyTorch: loss %.6f/%.6f, gradients %.2e, weights %.2e", s.loss_d, ld, eg, ep);
    printf("GAN-CLS D step vs PyTorch: loss %.6f/%.6f, gradients %.2e, weights %.2e\n", s.loss_d, ld, eg, ep);
    CHECK_OK(ganc_t2i_g_step(t, F(st, "in.t"), F(st, "in.t2"), F(st, "in.zg"), F(st, "in.z2"), &s));
    eg = tu_params_vs(g, st, "grad_g.", 1);
    ep = tu_params_vs(g, st, "g1.", 0);
    CHECK(fabsf(s.loss_g - lg) < 1e-5f && eg < 1e-4 && ep < 1e-5,
          "GAN-INT G step vs PyTorch: loss %.6f/%.6f, gradients %.2e, weights %.2e", s.loss_g, lg, eg, ep);
    printf("GAN-INT G step vs PyTorch: loss %.6f/%.6f, gradients %.2e, weights %.2e\n", s.loss_g, lg, eg, ep);
    ganc_t2i_trainer_free(t);
    /* without CLS the wrong text is never read (NULL), without INT neither t2 nor z2 is */
    c = small_cfg(0, 0);
    t = ganc_t2i_trainer_new(&c);
    CHECK_OK(ganc_net_load_from(ganc_t2i_g(t, NULL), st, "g.", 1));
    CHECK_OK(ganc_net_load_from(ganc_t2i_d(t, NULL), st, "d.", 1));
    CHECK_OK(ganc_t2i_d_step(t, F(st, "in.x"), F(st, "in.t"), NULL, F(st, "in.z"), &s));
    CHECK(isnan(s.d_wrong) && s.loss_d > 0, "plain conditional D: two terms, no wrong-text pass");
    CHECK_OK(ganc_t2i_g_step(t, F(st, "in.t"), NULL, F(st, "in.zg"), NULL, &s));
    CHECK(isnan(s.d_interp), "plain G: no interpolation term");
    ganc_t2i_trainer_free(t);
    ganc_st_free(st);
}

/* the small gem of tu_make_gem, a tiny text encoder, then text2img: errors, exact resume, the sampling modes */
static void cli(const char *ganc) {
    char args[2048], err[4096], a[600], b[600];
    tu_make_gem(tu_tmp("gem"), 40);
    snprintf(args, sizeof args, "train textenc --data emoji:%s --out %s --iters 2 --batch 8 --te-conv 8 --te-hidden 8 "
             "--te-dim 8 --te-img-width 4 --threads 2 --sample-every 0", tu_tmp("gem"), tu_tmp("enc"));
    CHECK(tu_run(ganc, args, err, sizeof err) == 0, "train textenc: %s", err);
    tu_expect(ganc, "text2img without --encoder", "train text2img --iters 1", 2, "--encoder", 1);
    snprintf(args, sizeof args, "train text2img --encoder %s --cls --no-cls --iters 1", tu_tmp("enc"));
    tu_expect(ganc, "--cls with --no-cls", args, 2, "contradict", 1);
    snprintf(args, sizeof args, "train text2img --data emoji:%s --encoder %s --iters 1 --out %s", tu_tmp("gem"),
             tu_tmp("nothing"), tu_tmp("r0"));
    tu_expect(ganc, "text2img with a missing encoder", args, 1, "nothing", 1);
    const char *fmt = "train text2img --data emoji:%s --encoder %s --out %s --iters %d --batch 4 --t2i-size 32 "
                      "--ngf 4 --ndf 4 --nz 8 --t2i-proj 4 --threads 2 --sample-every 0 --log-every 1";
    snprintf(args, sizeof args, fmt, tu_tmp("gem"), tu_tmp("enc"), tu_tmp("full"), 4);
    CHECK(tu_run(ganc, args, err, sizeof err) == 0, "train text2img: %s", err);
    snprintf(args, sizeof args, fmt, tu_tmp("gem"), tu_tmp("enc"), tu_tmp("half"), 2);
    CHECK(tu_run(ganc, args, err, sizeof err) == 0, "train text2img (2 steps): %s", err);
    snprintf(args, sizeof args, "train --resume %s --iters 4", tu_tmp("half"));
    CHECK(tu_run(ganc, args, err, sizeof err) == 0, "resume text2img: %s", err);
    for (int k = 0; k < 2; k++) {
        snprintf(a, sizeof a, "%s/%s.safetensors", tu_tmp("full"), k ? "D" : "G");
        snprintf(b, sizeof b, "%s/%s.safetensors", tu_tmp("half"), k ? "D" : "G");
        CHECK(tu_same_tensors(a, b), "2 steps + resume to 4 = 4 steps (%s)", k ? "D" : "G");
    }
    /* sampling: rows in caption order; a caption file's line i gives rows i*n..i*n+n-1 */
    char run[600];
    snprintf(run, sizeof run, "%s", tu_tmp("full")); /* tu_tmp's buffers rotate */
    FILE *f = fopen(tu_tmp("caps.txt"), "w");
    fprintf(f, "thing 3\nred heart\r\nthing 7");
    fclose(f);
    snprintf(args, sizeof args, "text2img %s --captions %s --n 2 --out %s", run, tu_tmp("caps.txt"), tu_tmp("a.npy"));
    CHECK(tu_run(ganc, args, err, sizeof err) == 0, "text2img --captions: %s", err);
    snprintf(args, sizeof args, "text2img %s \"red heart\" --n 2 --seed 1 --out %s", run, tu_tmp("b.npy"));
    CHECK(tu_run(ganc, args, err, sizeof err) == 0, "text2img one caption: %s", err);
    int nd;
    int64_t sh[8];
    float *x = NULL;
    CHECK(ganc_npy_read_f32(tu_tmp("a.npy"), &nd, sh, &x) == GANC_OK && nd == 4 && sh[0] == 6 && sh[1] == 3 &&
          sh[2] == 32, "3 captions x 2 samples of 3x32x32");
    free(x);
    snprintf(args, sizeof args, "text2img %s --interp \"thing 1\" \"thing 2\" --n 3 --steps 5 --out %s", run, tu_tmp("i.npy"));
    CHECK(tu_run(ganc, args, err, sizeof err) == 0, "text2img --interp: %s", err);
    x = NULL;
    CHECK(ganc_npy_read_f32(tu_tmp("i.npy"), &nd, sh, &x) == GANC_OK && sh[0] == 15, "--interp: 3 rows of 5 steps");
    free(x);
    snprintf(args, sizeof args, "text2img %s --style a b c --n 2 --out %s", run, tu_tmp("s.png"));
    CHECK(tu_run(ganc, args, err, sizeof err) == 0, "text2img --style: %s", err);
    snprintf(args, sizeof args, "text2img %s --interp a --out %s", run, tu_tmp("x.png"));
    tu_expect(ganc, "--interp with one caption", args, 1, "two captions", 1);
    f = fopen(tu_tmp("bad.txt"), "w");
    fprintf(f, "red heart\n \xc3\xa9 \n");
    fclose(f);
    snprintf(args, sizeof args, "text2img %s --captions %s --out %s", run, tu_tmp("bad.txt"), tu_tmp("x.png"));
    tu_expect(ganc, "an empty caption on line 2", args, 1, "bad.txt:2: empty caption", 1);
    snprintf(args, sizeof args, "text2img %s --out %s", run, tu_tmp("x.png"));
    tu_expect(ganc, "no caption", args, 2, "no caption", 1);
    snprintf(args, sizeof args, "text2img %s --emoji-heldout %s --data emoji:%s --n 2", run, tu_tmp("ho"), tu_tmp("gem"));
    CHECK(tu_run(ganc, args, err, sizeof err) == 0, "text2img --emoji-heldout: %s", err);
    snprintf(a, sizeof a, "%s/labels.npy", tu_tmp("ho"));
    snprintf(b, sizeof b, "%s/rprecision.json", tu_tmp("ho"));
    FILE *g = fopen(b, "r"), *h = fopen(a, "r");
    CHECK(g && h, "--emoji-heldout writes labels.npy and rprecision.json");
    if (g) fclose(g);
    if (h) fclose(h);
}

int main(int argc, char **argv) {
    ganc_set_threads(2);
    tu_tmpdir("text2img");
    torch_steps();
    if (argc > 1) cli(argv[1]);
    tu_tmpdir_remove();
    return tu_finish("test_text2img");
}
