/* Data-parallel training over MPI (built with -DGANC_MPI=ON): the trainer's gradient-sync hook is one allreduce
   of a network's flat gradient block, averaged over the ranks; sync BatchNorm reduces its per-channel sums the same
   way. A program started without mpirun/srun runs as one process and never calls MPI. */
#include <mpi.h>
#include <stdlib.h>
#include "ganc.h"

static int g_on, g_rank, g_size = 1;

/* launched by an MPI launcher? (Open MPI, MPICH/Hydra, Slurm's PMI) */
static int under_launcher(void) {
    return getenv("OMPI_COMM_WORLD_SIZE") || getenv("PMI_SIZE") || getenv("PMIX_RANK") || getenv("SLURM_STEP_ID");
}

int ganc_dist_init(int *argc, char ***argv) {
    if (g_on || !under_launcher()) return GANC_OK;
    if (MPI_Init(argc, argv) != MPI_SUCCESS) return ganc_fail(GANC_EIO, "MPI_Init failed");
    MPI_Comm_rank(MPI_COMM_WORLD, &g_rank);
    MPI_Comm_size(MPI_COMM_WORLD, &g_size);
    g_on = 1;
    return GANC_OK;
}

void ganc_dist_finalize(void) {
    if (g_on) MPI_Finalize();
    g_on = 0;
}

int ganc_dist_rank(void) { return g_rank; }
int ganc_dist_size(void) { return g_size; }
int ganc_dist_built_with_mpi(void) { return 1; }

void ganc_dist_abort(int code) {
    if (g_on && g_size > 1) MPI_Abort(MPI_COMM_WORLD, code ? code : 1);
}

int ganc_dist_grad_mean(void *ctx, float *g, size_t n) {
    (void)ctx;
    if (g_size == 1) return GANC_OK;
    for (size_t o = 0; o < n;) { /* counts are ints: chunks of at most 2^30 */
        int k = n - o > ((size_t)1 << 30) ? 1 << 30 : (int)(n - o);
        if (MPI_Allreduce(MPI_IN_PLACE, g + o, k, MPI_FLOAT, MPI_SUM, MPI_COMM_WORLD) != MPI_SUCCESS)
            return ganc_fail(GANC_EIO, "MPI_Allreduce of %zu gradients failed", n);
        o += (size_t)k;
    }
    const float s = 1.0f / (float)g_size;
    for (size_t i = 0; i < n; i++) g[i] *= s;
    return GANC_OK;
}

int ganc_dist_sum(void *ctx, double *x, size_t n) {
    (void)ctx;
    if (g_size == 1) return GANC_OK;
    if (n > (size_t)1 << 30) return ganc_fail(GANC_EINVAL, "sum over ranks of %zu values", n);
    return MPI_Allreduce(MPI_IN_PLACE, x, (int)n, MPI_DOUBLE, MPI_SUM, MPI_COMM_WORLD) == MPI_SUCCESS
               ? GANC_OK : ganc_fail(GANC_EIO, "MPI_Allreduce failed");
}

int ganc_dist_max(int v) {
    if (g_size == 1) return v;
    int r = v;
    MPI_Allreduce(&v, &r, 1, MPI_INT, MPI_MAX, MPI_COMM_WORLD);
    return r;
}
