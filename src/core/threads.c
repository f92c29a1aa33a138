/* Thread count of ganc's OpenMP regions; BLAS calls are partitioned over them (src/nn/gemm.c) and OpenBLAS itself
   runs single-threaded. Fixed count => fixed partition => identical results. */
#include <cblas.h>
#include "ganc.h"
#ifdef _OPENMP
#include <omp.h>
#endif

void openblas_set_num_threads(int);
int openblas_get_num_threads(void);

static int g_threads = 0;

void ganc_set_threads(int n) {
    if (n <= 0) return;
    if (n > GANC_MAX_THREADS) n = GANC_MAX_THREADS; /* an absurd count would make the OpenMP runtime reserve stacks */
    g_threads = n;
#ifdef _OPENMP
    omp_set_num_threads(n);
#endif
    openblas_set_num_threads(1); /* ganc threads BLAS itself (src/nn/gemm.c) */
}

int ganc_get_threads(void) {
    if (g_threads > 0) return g_threads;
#ifdef _OPENMP
    return omp_get_max_threads();
#else
    return 1;
#endif
}
