/* Optimizer steps against torch.optim on fixtures: Adam (bias correction, L2 weight decay), AdamW (decoupled),
   SGD (plain, momentum + dampening + weight decay, Nesterov). */
#include <math.h>
#include <string.h>
#include "testutil.h"

static void run(const ganc_st_t *st, const char *name, ganc_optim_cfg_t cfg) {
    ganc_net_t *net = ganc_net_new("p");
    int x = ganc_net_input(net, "x", 1, (int[]){5});
    ganc_net_linear(net, "l", x, 2, 0);
    CHECK_OK(ganc_net_build(net, 1));
    memcpy(ganc_net_params(net), ganc_st_find(st, "p0")->data, 10 * sizeof(float));
    ganc_optim_t *o = ganc_optim_new(net, cfg);
    for (int s = 0; s < 3; s++) {
        char k[64];
        snprintf(k, sizeof k, "g%d", s);
        memcpy(ganc_net_param_grads(net), ganc_st_find(st, k)->data, 10 * sizeof(float));
        ganc_optim_step(o);
        snprintf(k, sizeof k, "%s.step%d", name, s);
        float ref[10];
        memcpy(ref, ganc_st_find(st, k)->data, sizeof ref);
        double mx = 0;
        for (int i = 0; i < 10; i++) mx = fmax(mx, fabs(ref[i]));
        double err = tu_max_abs(ganc_net_params(net), ref, 10) / mx;
        CHECK(err <= 1e-6, "%s step %d: relative error %.3g", name, s, err);
    }
    printf("%-14s ok\n", name);
    ganc_optim_free(o);
    ganc_net_free(net);
}

int main(void) {
    ganc_st_t *st;
    CHECK_OK(ganc_st_open(&st, tu_fixture("optim.safetensors")));
    if (!st) return tu_finish("test_optim");
    ganc_optim_cfg_t c = ganc_adam_cfg(0.01f, 0.5f, 0.999f);
    run(st, "adam", c);
    c = ganc_adam_cfg(0.01f, 0.9f, 0.99f);
    c.weight_decay = 0.1f;
    run(st, "adam_wd", c);
    c = ganc_adam_cfg(0.01f, 0.9f, 0.999f);
    c.kind = GANC_ADAMW;
    c.weight_decay = 0.1f;
    run(st, "adamw", c);
    ganc_optim_cfg_t s = {0};
    s.kind = GANC_SGD;
    s.lr = 0.1f;
    run(st, "sgd", s);
    s.momentum = 0.9f; s.dampening = 0.1f; s.weight_decay = 0.01f;
    run(st, "sgd_mom", s);
    s.dampening = 0; s.weight_decay = 0; s.nesterov = 1;
    run(st, "sgd_nesterov", s);
    ganc_st_free(st);
    return tu_finish("test_optim");
}
