/* The memory planner: run once by ganc_net_build. Three decisions, all from the op table's flags:
   1. In-place activations (PyTorch's inplace=True, decided here so callers need not): a node whose op allows it
      (can_inplace) overwrites its input's buffer when nothing else reads that input, the input's data is not the
      caller's (OPF_KEEPS_DATA) or needed by its own backward (OPF_BW_READS_OUT), and neither node is marked as an
      output. Its gradient is then computed in place too.
   2. Pooled gradients. Gradient buffers of intermediate nodes share a pool. A node's gradient is live from the
      backward of its last reader (the first one run in reverse, which clears it) to its own backward; we replay the
      backward order once and give each live buffer a free slot (growing a slot when none is big enough). In a chain
      this needs about two slots instead of one buffer per layer. Inputs, nodes nothing reads, and marked outputs keep
      their own buffers: callers write and read them.
   3. Sizes: activations, saved state (aux), and the im2col/tmp scratch with each convolution's batch chunk.
   Before these, on a network that allows it (ganc_net_allow_channels_last) and a backend that has such paths
   (conv_cl): which activations are held channels-last (below). */
#include <stdlib.h>
#include <string.h>
#include "nn/graph.h"

static int mul_ok(size_t a, size_t b, size_t *r) {
    if (a && b > SIZE_MAX / a) return 0;
    *r = a * b;
    return 1;
}

/* Layout: the nodes joined by pointwise layers (an activation and its input, an add and both its operands) form a
   group held in one layout. A group goes channels-last when every node in it came from a conv2d or a pointwise
   layer, every reader is one of those, every conv2d that writes or reads it is faster that way (the backend's
   conv_cl), and none is an input, an output, a marked node or not (C,H,W). */
static int group_of(int *up, int i) {
    while (up[i] != i) i = up[i] = up[up[i]];
    return i;
}
static int plan_layout(ganc_net_t *net, const int *consumers) {
    const layer_ops_t *ops = net->be->ops;
    const int nn = net->nnodes;
    for (int i = 0; i < nn; i++) net->nodes[i].cl = 0;
    if (!net->cl_ok || !net->be->conv_cl) return 0;
    int *up = malloc(sizeof(int) * nn), *bad = calloc((size_t)nn, sizeof(int));
    if (!up || !bad) { free(up); free(bad); return -1; }
    for (int i = 0; i < nn; i++) up[i] = i;
    for (int i = 0; i < nn; i++)
        for (int k = 0; k < net->nodes[i].nin && (ops[net->nodes[i].kind].flags & OPF_POINTWISE); k++)
            up[group_of(up, net->nodes[i].in[k])] = group_of(up, i);
    for (int i = 0; i < nn; i++) {
        const node_t *n = &net->nodes[i];
        const int pointwise = ops[n->kind].flags & OPF_POINTWISE, conv = n->kind == L_CONV;
        if (n->kind == L_INPUT || n->marked || !consumers[i] || n->ndim != 3 || (!pointwise && !conv) ||
            (conv && !net->be->conv_cl(net, n, 1)))
            bad[group_of(up, i)] = 1;
        for (int k = 0; k < n->nin && !pointwise; k++) /* a reader outside the group */
            if (!conv || k || !net->be->conv_cl(net, n, 0)) bad[group_of(up, n->in[k])] = 1;
    }
    for (int i = 0; i < nn; i++) net->nodes[i].cl = !bad[group_of(up, i)];
    free(up);
    free(bad);
    return 0;
}

static void plan_inplace(ganc_net_t *net, const int *consumers) {
    const layer_ops_t *ops = net->be->ops;
    for (int i = 0; i < net->nnodes; i++) {
        node_t *n = &net->nodes[i];
        n->inplace = 0;
        if (!ops[n->kind].can_inplace || !ops[n->kind].can_inplace(n) || n->marked) continue;
        const node_t *a = &net->nodes[n->in[0]];
        int keep = (ops[a->kind].flags & (OPF_BW_READS_OUT | OPF_KEEPS_DATA)) || a->inplace || a->marked;
        n->inplace = consumers[n->in[0]] == 1 && !keep;
    }
}

/* the node whose buffers an in-place node shares */
static int root_of(const ganc_net_t *net, int i) { return net->nodes[i].inplace ? net->nodes[i].in[0] : i; }

static int plan_grads(ganc_net_t *net, int max_batch, size_t *pool_size) {
    const int nn = net->nnodes;
    int *last = malloc(sizeof(int) * nn), *slot_of = malloc(sizeof(int) * nn);
    size_t *cap = malloc(sizeof(size_t) * (nn + 1)), *base = malloc(sizeof(size_t) * (nn + 1));
    int *busy = calloc((size_t)nn + 1, sizeof(int)), nslots = 0;
    if (!last || !slot_of || !cap || !busy || !base) {
        free(last); free(slot_of); free(cap); free(busy); free(base);
        return -1;
    }
    for (int i = 0; i < nn; i++) { last[i] = -1; slot_of[i] = -1; net->nodes[i].pooled = 0; net->nodes[i].nzr = 0; }
    for (int j = 0; j < nn; j++) /* an in-place node's readers count as its root's readers; it shares the buffer */
        for (int k = 0; k < net->nodes[j].nin && !net->nodes[j].inplace; k++) {
            int i = root_of(net, net->nodes[j].in[k]);
            if (j > last[i]) last[i] = j;
        }
    for (int i = 0; i < nn; i++) {
        node_t *n = &net->nodes[i];
        n->pooled = !n->inplace && n->kind != L_INPUT && !n->marked && last[i] >= 0;
    }
    for (int t = nn - 1; t >= 0; t--) {
        node_t *n = &net->nodes[t];
        for (int k = 0; k < n->nin && !n->inplace; k++) { /* gradients that become live at t */
            int i = root_of(net, n->in[k]);
            if (!net->nodes[i].pooled || last[i] != t || slot_of[i] >= 0) continue;
            size_t need = net->nodes[i].numel * (size_t)max_batch;
            int best = -1;
            for (int q = 0; q < nslots; q++) /* smallest free slot that fits, else the largest free one */
                if (!busy[q] && (best < 0 || (cap[q] >= need && (cap[best] < need || cap[q] < cap[best])) ||
                                 (cap[best] < need && cap[q] > cap[best])))
                    best = q;
            if (best < 0) { best = nslots++; cap[best] = 0; }
            if (cap[best] < need) cap[best] = need;
            busy[best] = 1;
            slot_of[i] = best;
            n->zr[n->nzr++] = i;
        }
        if (n->pooled && slot_of[t] >= 0) busy[slot_of[t]] = 0; /* dead after its own backward */
    }
    size_t off = 0;
    for (int q = 0; q < nslots; q++) { base[q] = off; off += cap[q]; }
    for (int i = 0; i < nn; i++)
        if (net->nodes[i].pooled) net->nodes[i].goff = base[slot_of[i]];
    *pool_size = off;
    free(base); free(last); free(slot_of); free(cap); free(busy);
    return 0;
}

static size_t align64(size_t b) { return (b + 63) & ~(size_t)63; }

int ganc_plan_memory(ganc_net_t *net, int max_batch, plan_sizes_t *sz) {
    memset(sz, 0, sizeof *sz);
    int *cons = calloc((size_t)net->nnodes, sizeof(int));
    if (!cons) return ganc_fail(GANC_ENOMEM, "%s: out of memory", net->name);
    for (int i = 0; i < net->nnodes; i++)
        for (int k = 0; k < net->nodes[i].nin; k++) cons[net->nodes[i].in[k]]++;
    const int failed = plan_layout(net, cons);
    plan_inplace(net, cons);
    free(cons);
    if (failed) return ganc_fail(GANC_ENOMEM, "%s: out of memory", net->name);
    if (plan_grads(net, max_batch, &sz->pool)) return ganc_fail(GANC_ENOMEM, "%s: out of memory", net->name);
    size_t v, kept = 0;
    for (int i = 0; i < net->nnodes; i++) {
        node_t *n = &net->nodes[i];
        if (!n->inplace) { /* output, plus the gradient unless pooled */
            if (!mul_ok(n->numel, (size_t)max_batch * (n->pooled ? 1 : 2), &v)) goto toobig;
            sz->acts += v;
        }
        n->chunk = max_batch;
        int own_chunk = 0; /* the backend plans this layer's scratch itself (direct paths: none; the DFT: its own) */
        size_t own = 0;
        const int decided = n->kind == L_CONV && net->be->conv_scratch &&
                            net->be->conv_scratch(net, n, max_batch, &own_chunk, &own);
        n->col_own = decided ? own : 0;
        if (decided) {
            n->chunk = own_chunk;
        } else if (n->col_per) { /* the im2col matrix and the layout scratch both within the limit */
            size_t c = net->be->col_limit / (n->col_per > n->tmp_per ? n->col_per : n->tmp_per);
            n->chunk = c < 1 ? 1 : c > (size_t)max_batch ? max_batch : (int)c;
        }
        if (n->kind == L_CONV && !decided && n->chunk == max_batch &&
            mul_ok(n->col_per * sizeof(float), (size_t)max_batch, &v) && kept + v <= net->be->keep_cols) {
            n->aux_fix = v; /* the forward's im2col matrix, for the weight gradient */
            kept += v;
        }
        if (!mul_ok(align64(n->aux_per), (size_t)max_batch, &v)) goto toobig;
        sz->aux += v + align64(n->aux_fix);
        if (decided) {
            if (own > sz->col) sz->col = own;
            continue;
        }
        if (!mul_ok(n->col_per, (size_t)n->chunk, &v)) goto toobig;
        if (v > sz->col) sz->col = v;
        if (!mul_ok(n->tmp_per, (size_t)n->chunk, &v)) goto toobig;
        if (v > sz->tmp) sz->tmp = v;
    }
    return GANC_OK;
toobig:
    return ganc_fail(GANC_ENOMEM, "%s: activation sizes overflow for batch %d", net->name, max_batch);
}
