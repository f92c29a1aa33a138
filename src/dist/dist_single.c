/* Data-parallel training without MPI (the default build): one process; every call is the identity. */
#include "ganc.h"

int ganc_dist_init(int *argc, char ***argv) { (void)argc; (void)argv; return GANC_OK; }
void ganc_dist_finalize(void) {}
int ganc_dist_rank(void) { return 0; }
int ganc_dist_size(void) { return 1; }
int ganc_dist_built_with_mpi(void) { return 0; }
void ganc_dist_abort(int code) { (void)code; }
int ganc_dist_grad_mean(void *ctx, float *g, size_t n) { (void)ctx; (void)g; (void)n; return GANC_OK; }
int ganc_dist_sum(void *ctx, double *x, size_t n) { (void)ctx; (void)x; (void)n; return GANC_OK; }
int ganc_dist_max(int v) { return v; }
