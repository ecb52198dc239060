#include "nn/gemm.h"

#include <cblas.h>

void nn_gemm(int transpose_a, int transpose_b, size_t m, size_t n, size_t k, float alpha,
             const float *a, size_t lda, const float *b, size_t ldb, float beta, float *c, size_t ldc)
{
    if (m == 0 || n == 0)
        return;
    if (k == 0) {
        /* BLAS would only scale C; do it here so no implementation quirk on
         * zero-sized inner dimensions matters. */
        for (size_t i = 0; i < m; i++)
            for (size_t j = 0; j < n; j++)
                c[i * ldc + j] = beta == 0.0f ? 0.0f : beta * c[i * ldc + j];
        return;
    }
    cblas_sgemm(CblasRowMajor, transpose_a ? CblasTrans : CblasNoTrans, transpose_b ? CblasTrans : CblasNoTrans,
                (blasint)m, (blasint)n, (blasint)k, alpha, a, (blasint)lda, b, (blasint)ldb, beta, c,
                (blasint)ldc);
}

void nn_gemm_reference(int transpose_a, int transpose_b, size_t m, size_t n, size_t k, float alpha,
                       const float *a, size_t lda, const float *b, size_t ldb, float beta, float *c,
                       size_t ldc)
{
    for (size_t i = 0; i < m; i++)
        for (size_t j = 0; j < n; j++) {
            double sum = 0.0;
            for (size_t p = 0; p < k; p++) {
                double av = transpose_a ? a[p * lda + i] : a[i * lda + p];
                double bv = transpose_b ? b[j * ldb + p] : b[p * ldb + j];
                sum += av * bv;
            }
            double old = beta == 0.0f ? 0.0 : (double)beta * c[i * ldc + j];
            c[i * ldc + j] = (float)(alpha * sum + old);
        }
}

void nn_set_threads(unsigned threads)
{
    openblas_set_num_threads(threads == 0 ? 1 : (int)threads);
}

unsigned nn_get_threads(void)
{
    int threads = openblas_get_num_threads();
    return threads < 1 ? 1u : (unsigned)threads;
}
