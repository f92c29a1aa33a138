/* The model-independent trainer: named networks, each with its optimizer (or frozen), named random streams, the
   step and the data position. A model family registers what it has and writes its own training step (forward,
   losses, backward); the trainer does the rest the same way for every family: the gradient-sync hook, the
   non-finite check and the optimizer step (ganc_trainer_update), and the resumable state (one loop over what was
   registered, with the key names of state.safetensors: "G.<state_dict name>", "optG.m|v|step", "step",
   "data.epoch", "data.pos", "rng.state|has_spare|spare", ...). */
#include <math.h>
#include <stdlib.h>
#include <string.h>
#include "ganc.h"

#define MAX_NETS 16
#define MAX_RNGS 16
#define MAX_BUFS 8

typedef struct {
    char name[32], opt_key[40];
    ganc_net_t *net;
    ganc_optim_t *opt; /* NULL: frozen (never updated, not in the state) */
    int64_t opt_step;  /* the writer keeps pointers until it writes: scalars live here */
} tnet_t;

typedef struct {
    char name[32];
    ganc_rng_t *rng;
    uint64_t s[4];
    int64_t has_spare;
    float spare;
} trng_t;

typedef struct {
    char name[32];
    float *data;
    size_t numel;
    int64_t *count, saved; /* how many entries (of numel/entry elements) are in use */
    size_t entry;
} tbuf_t;

struct ganc_trainer {
    tnet_t nets[MAX_NETS];
    trng_t rngs[MAX_RNGS];
    tbuf_t bufs[MAX_BUFS];
    int nnets, nrngs, nbufs;
    int64_t step, epoch, pos;
    int64_t saved[3]; /* step, epoch, pos as handed to the writer */
    ganc_grad_sync_fn sync;
    void *sync_ctx;
};

ganc_trainer_t *ganc_trainer_new(void) {
    ganc_trainer_t *t = calloc(1, sizeof *t);
    if (!t) ganc_fail(GANC_ENOMEM, "trainer: out of memory");
    return t;
}

void ganc_trainer_free(ganc_trainer_t *t) {
    if (!t) return;
    for (int i = 0; i < t->nnets; i++) {
        ganc_optim_free(t->nets[i].opt);
        ganc_net_free(t->nets[i].net);
    }
    free(t);
}

static int bad_name(const char *name, size_t cap) { return !name || !*name || strlen(name) >= cap; }

int ganc_trainer_add_net(ganc_trainer_t *t, const char *name, ganc_net_t *net, const ganc_optim_cfg_t *opt) {
    if (!net) return ganc_fail(GANC_EINVAL, "trainer: network %s is NULL", name ? name : "?");
    if (t->nnets == MAX_NETS || bad_name(name, sizeof t->nets[0].name)) {
        ganc_net_free(net);
        return ganc_fail(GANC_EINVAL, "trainer: at most %d networks with names of 1..31 characters", MAX_NETS);
    }
    for (int i = 0; i < t->nnets; i++)
        if (!strcmp(t->nets[i].name, name)) {
            ganc_net_free(net);
            return ganc_fail(GANC_EINVAL, "trainer: network name %s used twice", name);
        }
    tnet_t *n = &t->nets[t->nnets];
    memset(n, 0, sizeof *n);
    snprintf(n->name, sizeof n->name, "%s", name);
    snprintf(n->opt_key, sizeof n->opt_key, "opt%s", name);
    n->net = net;
    if (opt && !(n->opt = ganc_optim_new(net, *opt))) {
        ganc_net_free(net);
        return GANC_ENOMEM;
    }
    return t->nnets++;
}

int ganc_trainer_add_rng(ganc_trainer_t *t, const char *name, ganc_rng_t *rng) {
    if (t->nrngs == MAX_RNGS || bad_name(name, sizeof t->rngs[0].name) || !rng)
        return ganc_fail(GANC_EINVAL, "trainer: at most %d random streams with names of 1..31 characters", MAX_RNGS);
    for (int i = 0; i < t->nrngs; i++)
        if (!strcmp(t->rngs[i].name, name)) return ganc_fail(GANC_EINVAL, "trainer: stream name %s used twice", name);
    trng_t *r = &t->rngs[t->nrngs];
    memset(r, 0, sizeof *r);
    snprintf(r->name, sizeof r->name, "%s", name);
    r->rng = rng;
    return t->nrngs++;
}

int ganc_trainer_add_buffer(ganc_trainer_t *t, const char *name, float *data, size_t numel, size_t entry,
                            int64_t *count) {
    if (t->nbufs == MAX_BUFS || bad_name(name, sizeof t->bufs[0].name) || !data || !count || !entry || numel % entry)
        return ganc_fail(GANC_EINVAL, "trainer: at most %d buffers, names of 1..31 characters, whole entries", MAX_BUFS);
    tbuf_t *b = &t->bufs[t->nbufs];
    snprintf(b->name, sizeof b->name, "%s", name);
    b->data = data;
    b->numel = numel;
    b->entry = entry;
    b->count = count;
    return t->nbufs++;
}

void ganc_trainer_set_grad_sync(ganc_trainer_t *t, ganc_grad_sync_fn fn, void *ctx) {
    t->sync = fn;
    t->sync_ctx = ctx;
}

static int all_finite(const float *x, size_t n) {
    float acc = 0.0f; /* x * 0 is 0 for finite x, NaN otherwise */
    for (size_t i = 0; i < n; i++) acc += x[i] * 0.0f;
    return acc == 0.0f;
}

int ganc_trainer_update(ganc_trainer_t *t, int i, float loss) {
    if (i < 0 || i >= t->nnets || !t->nets[i].opt)
        return ganc_fail(GANC_EINVAL, "trainer: network %d does not exist or is frozen", i);
    tnet_t *n = &t->nets[i];
    int rc;
    if (t->sync && (rc = t->sync(t->sync_ctx, ganc_net_param_grads(n->net), ganc_net_nparams(n->net))))
        return rc;
    if (!isfinite(loss) || !ganc_net_grads_finite(n->net))
        return ganc_fail(GANC_ENONFINITE, "step %lld: network %s: non-finite %s (%s loss %g); parameters not updated",
                         (long long)t->step + 1, n->name, isfinite(loss) ? "gradient" : "loss", n->name, loss);
    ganc_optim_step(n->opt);
    if (!ganc_net_params_finite(n->net))
        return ganc_fail(GANC_ENONFINITE, "step %lld: network %s: the optimizer step made parameters non-finite "
                         "(learning rate too large?); reload the last checkpoint", (long long)t->step + 1, n->name);
    return GANC_OK;
}

int ganc_trainer_nnets(const ganc_trainer_t *t) { return t->nnets; }
ganc_net_t *ganc_trainer_net(ganc_trainer_t *t, int i) { return i >= 0 && i < t->nnets ? t->nets[i].net : NULL; }
ganc_optim_t *ganc_trainer_optim(ganc_trainer_t *t, int i) { return i >= 0 && i < t->nnets ? t->nets[i].opt : NULL; }
int ganc_trainer_find(const ganc_trainer_t *t, const char *name) {
    for (int i = 0; i < t->nnets; i++)
        if (!strcmp(t->nets[i].name, name)) return i;
    return -1;
}
int64_t ganc_trainer_step(const ganc_trainer_t *t) { return t->step; }
void ganc_trainer_count_step(ganc_trainer_t *t) { t->step++; }
void ganc_trainer_set_data_pos(ganc_trainer_t *t, int64_t epoch, int64_t pos) { t->epoch = epoch; t->pos = pos; }
void ganc_trainer_data_pos(const ganc_trainer_t *t, int64_t *epoch, int64_t *pos) { *epoch = t->epoch; *pos = t->pos; }
void ganc_trainer_set_lr(ganc_trainer_t *t, float lr) {
    for (int i = 0; i < t->nnets; i++)
        if (t->nets[i].opt) ganc_optim_cfg(t->nets[i].opt)->lr = lr;
}

/* ---- state: the order of keys is that of the files written before the trainer existed */

static int add_key(ganc_stw_t *w, const char *a, const char *b, int dtype, int ndim, const int64_t *shape,
                   const void *data) {
    char key[96];
    snprintf(key, sizeof key, "%s%s", a, b);
    return ganc_stw_add(w, key, dtype, ndim, shape, data);
}

int ganc_trainer_state_add(ganc_trainer_t *t, ganc_stw_t *w) {
    int rc = GANC_OK;
    char prefix[40];
    for (int i = 0; !rc && i < t->nnets; i++) {
        if (!t->nets[i].opt) continue;
        snprintf(prefix, sizeof prefix, "%s.", t->nets[i].name);
        rc = ganc_net_add_to(t->nets[i].net, w, prefix);
    }
    for (int i = 0; !rc && i < t->nnets; i++) {
        tnet_t *n = &t->nets[i];
        if (!n->opt) continue;
        const int64_t np = (int64_t)ganc_net_nparams(n->net);
        rc = add_key(w, n->opt_key, ".m", GANC_F32, 1, &np, ganc_optim_m(n->opt));
        if (!rc && ganc_optim_v(n->opt)) rc = add_key(w, n->opt_key, ".v", GANC_F32, 1, &np, ganc_optim_v(n->opt));
    }
    for (int i = 0; !rc && i < t->nnets; i++) {
        tnet_t *n = &t->nets[i];
        if (!n->opt) continue;
        n->opt_step = *ganc_optim_step_count(n->opt);
        rc = add_key(w, n->opt_key, ".step", GANC_I64, 0, NULL, &n->opt_step);
    }
    t->saved[0] = t->step; t->saved[1] = t->epoch; t->saved[2] = t->pos;
    if (!rc) rc = ganc_stw_add(w, "step", GANC_I64, 0, NULL, &t->saved[0]);
    if (!rc) rc = ganc_stw_add(w, "data.epoch", GANC_I64, 0, NULL, &t->saved[1]);
    if (!rc) rc = ganc_stw_add(w, "data.pos", GANC_I64, 0, NULL, &t->saved[2]);
    for (int i = 0; !rc && i < t->nrngs; i++) {
        trng_t *r = &t->rngs[i];
        memcpy(r->s, r->rng->s, sizeof r->s);
        r->has_spare = r->rng->has_spare;
        r->spare = r->rng->spare;
        rc = add_key(w, r->name, ".state", GANC_U64, 1, (const int64_t[]){4}, r->s);
        if (!rc) rc = add_key(w, r->name, ".has_spare", GANC_I64, 0, NULL, &r->has_spare);
        if (!rc) rc = add_key(w, r->name, ".spare", GANC_F32, 0, NULL, &r->spare);
    }
    for (int i = 0; !rc && i < t->nbufs; i++) {
        tbuf_t *b = &t->bufs[i];
        const int64_t n = (int64_t)b->numel;
        b->saved = *b->count;
        rc = add_key(w, b->name, "", GANC_F32, 1, &n, b->data);
        if (!rc) rc = add_key(w, b->name, ".count", GANC_I64, 0, NULL, &b->saved);
    }
    return rc;
}

static int get(const ganc_st_t *st, const char *a, const char *b, int dtype, size_t numel, void *dst) {
    char name[96];
    snprintf(name, sizeof name, "%s%s", a, b);
    const ganc_st_tensor_t *x = ganc_st_find(st, name);
    if (!x) return ganc_fail(GANC_EMISMATCH, "%s: state tensor %s is missing", ganc_st_path(st), name);
    if (x->dtype != dtype || x->numel != numel)
        return ganc_fail(GANC_EMISMATCH, "%s: state tensor %s is %s with %zu elements, expected %s with %zu",
                         ganc_st_path(st), name, ganc_dtype_name(x->dtype), x->numel, ganc_dtype_name(dtype), numel);
    memcpy(dst, x->data, x->nbytes);
    return GANC_OK;
}

/* What a state file brings in must be sane before training goes on with it: finite weights and buffers,
   non-negative counters, finite Adam moments with v >= 0, a plausible optimizer step, a random generator that is not
   the all-zero state (xoshiro's fixed point), a spare flag of 0 or 1 with a finite value. */
static int validate_net(const tnet_t *n, const ganc_st_t *st) {
    ganc_tensor_info_t ti;
    for (int k = 0; k < ganc_net_ntensors(n->net); k++) {
        ganc_net_tensor(n->net, k, &ti);
        if (ti.kind == GANC_COUNTER ? *ti.counter < 0 : !all_finite(ti.data, ti.numel))
            return ganc_fail(GANC_EFORMAT, "%s: state tensor %s.%s holds %s", ganc_st_path(st), n->name, ti.name,
                             ti.kind == GANC_COUNTER ? "a negative count" : "NaN or infinite values");
    }
    const size_t np = ganc_net_nparams(n->net);
    const float *m = ganc_optim_m(n->opt), *v = ganc_optim_v(n->opt);
    int bad_v = v && !all_finite(v, np);
    for (size_t i = 0; v && !bad_v && i < np; i++) bad_v = v[i] < 0;
    if (!all_finite(m, np) || bad_v)
        return ganc_fail(GANC_EFORMAT, "%s: optimizer state %s.%s holds %s", ganc_st_path(st), n->opt_key,
                         bad_v ? "v" : "m", bad_v ? "negative, NaN or infinite values" : "NaN or infinite values");
    const int64_t step = *ganc_optim_step_count(n->opt);
    if (step < 0 || step > (int64_t)1 << 50)
        return ganc_fail(GANC_EFORMAT, "%s: %s.step = %lld is out of range", ganc_st_path(st), n->opt_key,
                         (long long)step);
    return GANC_OK;
}

static int validate_state(const ganc_trainer_t *t, const ganc_st_t *st) {
    int rc = GANC_OK;
    for (int i = 0; !rc && i < t->nnets; i++)
        if (t->nets[i].opt) rc = validate_net(&t->nets[i], st);
    for (int i = 0; !rc && i < t->nrngs; i++) {
        const trng_t *r = &t->rngs[i];
        if (!(r->s[0] | r->s[1] | r->s[2] | r->s[3]))
            rc = ganc_fail(GANC_EFORMAT, "%s: %s.state is all zero (not a state of the generator)", ganc_st_path(st),
                           r->name);
        else if ((r->has_spare != 0 && r->has_spare != 1) || !isfinite(r->spare))
            rc = ganc_fail(GANC_EFORMAT, "%s: %s.has_spare/spare are not 0/1 and a finite number", ganc_st_path(st),
                           r->name);
    }
    return rc;
}

int ganc_trainer_state_load(ganc_trainer_t *t, const ganc_st_t *st) {
    int rc = GANC_OK;
    char prefix[40];
    int64_t sc[3];
    for (int i = 0; !rc && i < t->nnets; i++) {
        tnet_t *n = &t->nets[i];
        if (!n->opt) continue;
        snprintf(prefix, sizeof prefix, "%s.", n->name);
        const size_t np = ganc_net_nparams(n->net);
        rc = ganc_net_load_from(n->net, st, prefix, 1);
        if (!rc) rc = get(st, n->opt_key, ".m", GANC_F32, np, ganc_optim_m(n->opt));
        if (!rc && ganc_optim_v(n->opt)) rc = get(st, n->opt_key, ".v", GANC_F32, np, ganc_optim_v(n->opt));
        if (!rc) rc = get(st, n->opt_key, ".step", GANC_I64, 1, ganc_optim_step_count(n->opt));
    }
    if (!rc) rc = get(st, "step", "", GANC_I64, 1, &sc[0]);
    if (!rc) rc = get(st, "data.epoch", "", GANC_I64, 1, &sc[1]);
    if (!rc) rc = get(st, "data.pos", "", GANC_I64, 1, &sc[2]);
    for (int i = 0; !rc && i < t->nrngs; i++) {
        trng_t *r = &t->rngs[i];
        rc = get(st, r->name, ".state", GANC_U64, 4, r->s);
        if (!rc) rc = get(st, r->name, ".has_spare", GANC_I64, 1, &r->has_spare);
        if (!rc) rc = get(st, r->name, ".spare", GANC_F32, 1, &r->spare);
    }
    for (int i = 0; !rc && i < t->nbufs; i++) { /* checked before anything is overwritten */
        tbuf_t *b = &t->bufs[i];
        const ganc_st_tensor_t *x = ganc_st_find(st, b->name);
        rc = get(st, b->name, ".count", GANC_I64, 1, &b->saved);
        if (!rc && (!x || x->dtype != GANC_F32 || x->numel != b->numel))
            rc = ganc_fail(GANC_EMISMATCH, "%s: state buffer %s is missing or not %zu floats", ganc_st_path(st),
                           b->name, b->numel);
        if (!rc && (b->saved < 0 || (size_t)b->saved > b->numel / b->entry))
            rc = ganc_fail(GANC_EFORMAT, "%s: %s.count = %lld is out of range 0..%zu", ganc_st_path(st), b->name,
                           (long long)b->saved, b->numel / b->entry);
        int finite = 1; /* the file's bytes need not be aligned for float */
        for (size_t k = 0; !rc && finite && k < b->numel; k++) {
            float v;
            memcpy(&v, (const char *)x->data + 4 * k, 4);
            finite = isfinite(v);
        }
        if (!rc && !finite)
            rc = ganc_fail(GANC_EFORMAT, "%s: state buffer %s holds NaN or infinite values", ganc_st_path(st), b->name);
    }
    if (rc || (rc = validate_state(t, st))) return rc;
    for (int i = 0; i < t->nbufs; i++) {
        tbuf_t *b = &t->bufs[i];
        memcpy(b->data, ganc_st_find(st, b->name)->data, b->numel * sizeof(float));
        *b->count = b->saved;
    }
    if (sc[0] < 0 || sc[1] < 0 || sc[2] < 0 || sc[0] > (int64_t)1 << 50)
        return ganc_fail(GANC_EFORMAT, "%s: step or data position out of range", ganc_st_path(st));
    t->step = sc[0]; t->epoch = sc[1]; t->pos = sc[2];
    for (int i = 0; i < t->nrngs; i++) {
        trng_t *r = &t->rngs[i];
        memcpy(r->rng->s, r->s, sizeof r->s);
        r->rng->has_spare = (int)r->has_spare;
        r->rng->spare = r->spare;
    }
    return GANC_OK;
}
