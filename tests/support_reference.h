/* Reference vectors written once by the PyTorch scripts in tests/reference/
 * (gen_nn_reference.py, gen_shift_reference.py): tests/reference/SUITE/BLOCK.txt
 * holds a '#' header line, then tensors as "name count v1 v2 ...".  Loading
 * failures fail the calling cmocka test. */
#ifndef BENCH_TESTS_SUPPORT_REFERENCE_H
#define BENCH_TESTS_SUPPORT_REFERENCE_H

#include <stddef.h>

#define TEST_REFERENCE_MAX 64

typedef struct test_reference {
    char block[64];                       /* "SUITE/BLOCK", for messages */
    size_t count;
    char names[TEST_REFERENCE_MAX][64];
    size_t sizes[TEST_REFERENCE_MAX];
    double *values[TEST_REFERENCE_MAX];   /* as written (%.17g) */
    float *floats[TEST_REFERENCE_MAX];    /* the same, rounded to float */
} test_reference;

/* Reads tests/reference/SUITE/BLOCK.txt (under $BENCH_SOURCE_DIR when set);
 * test_reference_free releases what it allocates. */
void test_reference_load(test_reference *ref, const char *suite, const char *block);
void test_reference_free(test_reference *ref);
/* Tensor NAME as floats, failing the test unless it has `expected` values; the
 * pointer stays owned by ref. */
float *test_reference_floats(const test_reference *ref, const char *name, size_t expected);
/* Tensor NAME as written (double), with the same checks. */
const double *test_reference_doubles(const test_reference *ref, const char *name, size_t expected);
/* Tensor NAME as one double, failing the test unless it is a scalar. */
double test_reference_scalar(const test_reference *ref, const char *name);

#endif
