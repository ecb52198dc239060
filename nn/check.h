/* Numerical checks shared by the nn tests and by HCSC/detector tests that build
 * their own layers: element-wise comparison with |a−b| <= atol + rtol·|b| and
 * central finite differences.  Library code: nothing is printed; a failure is
 * described in `report` (worst element, both values) for the test to print. */
#ifndef BENCH_NN_CHECK_H
#define BENCH_NN_CHECK_H

#include <stddef.h>

/* Number of elements outside tolerance (NaN counts as outside); report receives
 * "N of M outside atol+rtol·|b|; worst [i]: actual A, expected B" (or "ok"). */
size_t nn_check_close(const float *actual, const float *expected, size_t count, double atol, double rtol,
                      char *report, size_t report_size);

/* A scalar function of the model's current values, e.g. Σ r·forward(x) with a
 * fixed random r.  Computed in double from the float forward pass. */
typedef double (*nn_check_loss_fn)(void *context);

/* Compare analytic[i] with (loss(x+h) − loss(x−h)) / 2h, perturbing tensor[i]
 * in place (restored afterwards) for every i < count.  Returns the number of
 * elements outside atol + rtol·|numeric|; report as nn_check_close. */
size_t nn_check_gradient(float *tensor, const float *analytic, size_t count, nn_check_loss_fn loss, void *context,
                         float step, double atol, double rtol, char *report, size_t report_size);

#endif
