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

int main(int argc, char **argv) {
    ganc_set_threads(2);
    tu_tmpdir("text2img");
    torch_steps();
    (void)argc; (void)argv;
    tu_tmpdir_remove();
    return tu_finish("test_text2img");
}
