/* Adam / AdamW / SGD over a network's parameter block: one fused loop, moments in blocks of the same layout.
   Update rules follow torch.optim (1.13, single-tensor "for-loop" implementation). */
#include <math.h>
#include <stdlib.h>
#include "ganc.h"
#include "nn/graph.h"

struct ganc_optim {
    ganc_net_t *net;
    ganc_optim_cfg_t cfg;
    int64_t step;
    float *m, *v;
};

ganc_optim_cfg_t ganc_adam_cfg(float lr, float b1, float b2) {
    ganc_optim_cfg_t c = {0};
    c.kind = GANC_ADAM; c.lr = lr; c.beta1 = b1; c.beta2 = b2; c.eps = 1e-8f;
    return c;
}

ganc_optim_t *ganc_optim_new(ganc_net_t *net, ganc_optim_cfg_t cfg) {
    ganc_optim_t *o = calloc(1, sizeof *o);
    size_t n = ganc_net_nparams(net) + 1;
    if (!o) return NULL;
    o->net = net;
    o->cfg = cfg;
    const ganc_backend_t *be = net->be; /* the moments live beside the parameters */
    o->m = be->alloc(n * sizeof(float));
    o->v = cfg.kind == GANC_SGD ? NULL : be->alloc(n * sizeof(float));
    if (!o->m || (cfg.kind != GANC_SGD && !o->v)) { ganc_optim_free(o); ganc_fail(GANC_ENOMEM, "optimizer: out of memory"); return NULL; }
    return o;
}

void ganc_optim_free(ganc_optim_t *o) {
    if (!o) return;
    o->net->be->release(o->m);
    if (o->v) o->net->be->release(o->v);
    free(o);
}

void ganc_optim_update_cpu(const ganc_optim_cfg_t *cp, int64_t step, float *p, const float *g, float *m, float *v,
                           size_t n) {
    const ganc_optim_cfg_t c = *cp;
    if (c.kind == GANC_SGD) {
        float *buf = m;
        const int first = step == 1;
        for (size_t i = 0; i < n; i++) {
            float d = g[i] + c.weight_decay * p[i];
            if (c.momentum != 0.0f) {
                buf[i] = first ? d : c.momentum * buf[i] + (1.0f - c.dampening) * d;
                d = c.nesterov ? d + c.momentum * buf[i] : buf[i];
            }
            p[i] -= c.lr * d;
        }
        return;
    }
    /* bias corrections in double, as torch computes them in Python floats */
    const double bc1 = 1.0 - pow((double)c.beta1, (double)step), bc2 = 1.0 - pow((double)c.beta2, (double)step);
    const float step_size = (float)(c.lr / bc1), bc2s = (float)sqrt(bc2);
    const float decay = c.kind == GANC_ADAMW ? 1.0f - c.lr * c.weight_decay : 1.0f;
    const float l2 = c.kind == GANC_ADAM ? c.weight_decay : 0.0f;
#pragma omp parallel for schedule(static)
    for (size_t i = 0; i < n; i++) {
        float pi = p[i] * decay, gi = g[i] + l2 * pi;
        m[i] = c.beta1 * m[i] + (1.0f - c.beta1) * gi;
        v[i] = c.beta2 * v[i] + (1.0f - c.beta2) * gi * gi;
        p[i] = pi - step_size * m[i] / (sqrtf(v[i]) / bc2s + c.eps);
    }
}

void ganc_optim_step(ganc_optim_t *o) {
    ganc_net_t *net = o->net;
    o->step++;
    net->be->optim(&o->cfg, o->step, net->params, net->grads, o->m, o->v, net->nparam);
}

ganc_optim_cfg_t *ganc_optim_cfg(ganc_optim_t *o) { return &o->cfg; }
int64_t *ganc_optim_step_count(ganc_optim_t *o) { return &o->step; }
float *ganc_optim_m(ganc_optim_t *o) { o->net->be->sync(); return o->m; }
float *ganc_optim_v(ganc_optim_t *o) { o->net->be->sync(); return o->v; }
