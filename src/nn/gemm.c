/* sgemm through CBLAS with OUR threading: OpenBLAS runs single-threaded and each OpenMP thread computes a fixed block
   of C (columns, or rows when C is tall). One thread pool instead of two spinning against each other on two cores,
   and a partition that depends only on the thread count, so results are reproducible for a fixed count. */
#include <cblas.h>
#include <pthread.h>
#include <string.h>
#include "nn/nn.h"
#ifdef _OPENMP
#include <omp.h>
#endif

void openblas_set_num_threads(int);
static pthread_once_t once = PTHREAD_ONCE_INIT;
static void blas_single(void) { openblas_set_num_threads(1); }

static void sgemm1(int ta, int tb, int M, int N, int K, float alpha, const float *A, int lda, const float *B, int ldb,
                   float beta, float *C, int ldc) {
    cblas_sgemm(CblasRowMajor, ta ? CblasTrans : CblasNoTrans, tb ? CblasTrans : CblasNoTrans, M, N, K, alpha, A,
                lda, B, ldb, beta, C, ldc);
}

/* memset / memcpy of large float blocks split among the threads (a gradient buffer cleared serially left the other
   thread waiting: 1-2% of LAPGAN's step); small ones as they are */
enum { PAR_MIN = 1 << 16 };
void par_zero(float *p, size_t n) {
    if (n < PAR_MIN || par_threads() < 2) { memset(p, 0, n * sizeof(float)); return; }
    const int T = par_threads();
#pragma omp parallel for schedule(static) num_threads(T)
    for (int t = 0; t < T; t++) {
        const size_t a = n * t / T, b = n * (t + 1) / T;
        memset(p + a, 0, (b - a) * sizeof(float));
    }
}
void par_copy(float *dst, const float *src, size_t n) {
    if (n < PAR_MIN || par_threads() < 2) { memcpy(dst, src, n * sizeof(float)); return; }
    const int T = par_threads();
#pragma omp parallel for schedule(static) num_threads(T)
    for (int t = 0; t < T; t++) {
        const size_t a = n * t / T, b = n * (t + 1) / T;
        memcpy(dst + a, src + a, (b - a) * sizeof(float));
    }
}

int par_threads(void) {
#ifdef _OPENMP
    return omp_in_parallel() ? 1 : omp_get_max_threads();
#else
    return 1;
#endif
}

void gemm(int ta, int tb, int M, int N, int K, float alpha, const float *A, int lda, const float *B, int ldb,
          float beta, float *C, int ldc) {
    pthread_once(&once, blas_single);
    int T = 1;
#ifdef _OPENMP
    if (!omp_in_parallel()) T = omp_get_max_threads();
#endif
    if (T <= 1 || (double)M * N * K < 1e6) { sgemm1(ta, tb, M, N, K, alpha, A, lda, B, ldb, beta, C, ldc); return; }
    if (N >= M) { /* column blocks: C[:, n0:n1] = A op(B)[:, n0:n1] */
        int chunk = ((N + T - 1) / T + 15) & ~15;
#pragma omp parallel for schedule(static) num_threads(T)
        for (int t = 0; t < T; t++) {
            int n0 = t * chunk, nn = N - n0 < chunk ? N - n0 : chunk;
            if (nn <= 0) continue;
            const float *Bt = tb ? B + (size_t)n0 * ldb : B + n0;
            sgemm1(ta, tb, M, nn, K, alpha, A, lda, Bt, ldb, beta, C + n0, ldc);
        }
    } else { /* row blocks */
        int chunk = ((M + T - 1) / T + 15) & ~15;
#pragma omp parallel for schedule(static) num_threads(T)
        for (int t = 0; t < T; t++) {
            int m0 = t * chunk, mm = M - m0 < chunk ? M - m0 : chunk;
            if (mm <= 0) continue;
            const float *At = ta ? A + m0 : A + (size_t)m0 * lda;
            sgemm1(ta, tb, mm, N, K, alpha, At, lda, B, ldb, beta, C + (size_t)m0 * ldc, ldc);
        }
    }
}
