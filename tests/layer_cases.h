/* The layer cases shared by the finite-difference test and the PyTorch fixture test. Each builds a small network
   whose parameter names match the PyTorch module that scripts/gen_fixtures.py builds for the same key. */
#ifndef GANC_LAYER_CASES_H
#define GANC_LAYER_CASES_H
#include "ganc.h"
typedef struct {
    const char *key, *what;
    int batch, flags, nin;
    int in_ndim[2], in_shape[2][3];
    int (*build)(ganc_net_t *net, const int *in);
    int grad_inputs;      /* 0: the input is not differentiable (indices) */
    float eps, away;      /* FD step; inputs pushed at least `away` from 0 (kinks) */
    void (*prep)(ganc_net_t *net, const int *in, int batch);
} fd_case_t;
extern const fd_case_t layer_cases[];
extern const int n_layer_cases;
#endif
