/* Time of one gradient allreduce (ganc_dist_grad_mean: MPI_Allreduce of n floats + the 1/ranks scale), the median of
   REPS after 3 warm-ups. Run under mpirun; built with -DGANC_MPI=ON.   bench_allreduce N_FLOATS [REPS] */
#include <mpi.h>
#include <stdio.h>
#include <stdlib.h>
#include "ganc.h"

static int cmp(const void *a, const void *b) { double x = *(const double *)a, y = *(const double *)b; return (x > y) - (x < y); }

int main(int argc, char **argv) {
    if (argc < 2 || ganc_dist_init(&argc, &argv)) return 2;
    size_t n = (size_t)atoll(argv[1]);
    int reps = argc > 2 ? atoi(argv[2]) : 20;
    float *g = calloc(n, sizeof(float));
    double *t = malloc(sizeof(double) * reps);
    if (!g || !t || reps < 1) return 1;
    for (int r = -3; r < reps; r++) {
        MPI_Barrier(MPI_COMM_WORLD);
        double t0 = MPI_Wtime();
        ganc_dist_grad_mean(NULL, g, n);
        if (r >= 0) t[r] = MPI_Wtime() - t0;
    }
    qsort(t, (size_t)reps, sizeof(double), cmp);
    if (ganc_dist_rank() == 0)
        printf("%zu floats (%.2f MB) over %d ranks: %.3f ms median, %.2f GB/s algorithm bandwidth\n", n, n * 4e-6,
               ganc_dist_size(), t[reps / 2] * 1e3, n * 4e-9 / t[reps / 2]);
    free(g); free(t);
    ganc_dist_finalize();
    return 0;
}
