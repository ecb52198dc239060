/* Gradient-check harness shared by the tests/test_nn_*.c files (static
 * functions only; each test file includes it once).  A case names its output,
 * a forward and a backward closure and the tensors to check; the harness draws
 * a random projection r, takes loss = Σ r·out in double, compares every
 * analytic gradient with central differences and prints the worst element. */
#ifndef BENCH_TEST_NN_HARNESS_H
#define BENCH_TEST_NN_HARNESS_H

#include <setjmp.h>
#include <stdarg.h>
#include <stddef.h>
#include <stdint.h>
#include <cmocka.h>
#include <stdio.h>
#include <stdlib.h>
#include <string.h>

#include "bench/rng.h"
#include "nn/check.h"

#define GRAD_CASE_MAX_TENSORS 10

typedef struct grad_case {
    const char *name;
    float *out;                  /* (out_count), written by forward */
    size_t out_count;
    void (*forward)(void *state);
    void (*backward)(void *state, const float *dout); /* accumulates into the grads below */
    void *state;
    size_t tensor_count;
    const char *names[GRAD_CASE_MAX_TENSORS];
    float *values[GRAD_CASE_MAX_TENSORS];
    float *grads[GRAD_CASE_MAX_TENSORS];
    size_t counts[GRAD_CASE_MAX_TENSORS];
    float step;                  /* 0 → 1e-3 */
    double atol, rtol;           /* 0 → 1e-3, 1e-2 */
    int unit_projection;         /* losses: r = 1 */
    float *projection;           /* filled by the harness */
} grad_case;

static inline void grad_case_add(grad_case *c, const char *name, float *values, float *grads, size_t count)
{
    c->names[c->tensor_count] = name;
    c->values[c->tensor_count] = values;
    c->grads[c->tensor_count] = grads;
    c->counts[c->tensor_count] = count;
    c->tensor_count++;
}

static inline double grad_case_loss(void *context)
{
    grad_case *c = context;
    c->forward(c->state);
    double sum = 0.0;
    for (size_t i = 0; i < c->out_count; i++)
        sum += (double)c->projection[i] * c->out[i];
    return sum;
}

static inline void fill_uniform(float *x, size_t count, float low, float high, bench_rng *rng)
{
    for (size_t i = 0; i < count; i++)
        x[i] = low + (high - low) * bench_rng_uniform_float(rng);
}

/* Values away from 0, so no finite-difference step crosses a ReLU/abs kink. */
static inline void fill_away_from_zero(float *x, size_t count, bench_rng *rng)
{
    for (size_t i = 0; i < count; i++) {
        float v = 0.1f + 0.9f * bench_rng_uniform_float(rng);
        x[i] = bench_rng_uniform(rng) < 0.5 ? -v : v;
    }
}

static inline float *test_alloc(size_t count)
{
    float *x = calloc(count ? count : 1, sizeof(float));
    assert_non_null(x);
    return x;
}

static inline void run_grad_case(grad_case *c, uint64_t seed)
{
    bench_rng rng;
    bench_rng_seed(&rng, seed);
    c->projection = test_alloc(c->out_count);
    for (size_t i = 0; i < c->out_count; i++)
        c->projection[i] = c->unit_projection ? 1.0f : 2.0f * bench_rng_uniform_float(&rng) - 1.0f;
    for (size_t t = 0; t < c->tensor_count; t++)
        memset(c->grads[t], 0, c->counts[t] * sizeof(float));
    c->forward(c->state);
    c->backward(c->state, c->projection);
    float step = c->step > 0 ? c->step : 1e-3f;
    double atol = c->atol > 0 ? c->atol : 1e-3, rtol = c->rtol > 0 ? c->rtol : 1e-2;
    int failed = 0;
    for (size_t t = 0; t < c->tensor_count; t++) {
        char report[256];
        /* The analytic gradient is copied: the loss closure re-runs forward only. */
        float *analytic = test_alloc(c->counts[t]);
        memcpy(analytic, c->grads[t], c->counts[t] * sizeof(float));
        size_t bad = nn_check_gradient(c->values[t], analytic, c->counts[t], grad_case_loss, c, step, atol, rtol,
                                       report, sizeof report);
        free(analytic);
        if (bad != 0) {
            print_error("%s: gradient of %s: %s\n", c->name, c->names[t], report);
            failed = 1;
        }
    }
    free(c->projection);
    c->projection = NULL;
    assert_false(failed);
}

#endif
