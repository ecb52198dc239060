/* The one matrix-product entry point of bench: every GEMM in nn/, hcsc/ and the
 * detector goes through nn_gemm so thread policy and profiling live in one place. */
#ifndef BENCH_NN_GEMM_H
#define BENCH_NN_GEMM_H

#include <stddef.h>

/* C = alpha * op(A) * op(B) + beta * C, all row-major.
 * op(A) is (m, k): A is (m, k) with leading dimension lda, or (k, m) when transpose_a.
 * op(B) is (k, n): B is (k, n) with leading dimension ldb, or (n, k) when transpose_b.
 * C is (m, n) with leading dimension ldc.  Sizes of 0 are a no-op (beta still
 * applies when k == 0, as BLAS does). */
void nn_gemm(int transpose_a, int transpose_b, size_t m, size_t n, size_t k, float alpha,
             const float *a, size_t lda, const float *b, size_t ldb, float beta, float *c, size_t ldc);

/* The same contract with plain loops in double accumulation; the tests compare
 * nn_gemm against it on odd shapes.  Slow: tests only. */
void nn_gemm_reference(int transpose_a, int transpose_b, size_t m, size_t n, size_t k, float alpha,
                       const float *a, size_t lda, const float *b, size_t ldb, float beta, float *c,
                       size_t ldc);

/* OpenBLAS worker threads for every later nn_gemm in this process: a cell's
 * thread budget (bench_task_info.threads); 0 is treated as 1. */
void nn_set_threads(unsigned threads);
unsigned nn_get_threads(void);

#endif
