#include "nn/check.h"

#include <math.h>
#include <stdio.h>

/* The tally both checks keep: how many elements are out of tolerance and which
 * is furthest out.  Adds one element's EXCESS over its tolerance (NaN counts as
 * infinitely far); 1 when element I is the new worst. */
typedef struct tally {
    size_t bad, worst;
    double worst_excess;
} tally;

static int tally_add(tally *t, size_t i, double excess)
{
    if (isnan(excess))
        excess = INFINITY;
    if (excess > 0)
        t->bad++;
    if (excess <= t->worst_excess)
        return 0;
    t->worst_excess = excess;
    t->worst = i;
    return 1;
}

static size_t compare(const float *actual, const double *expected_double, const float *expected_float,
                      size_t count, double atol, double rtol, char *report, size_t report_size)
{
    tally t = {.worst_excess = -INFINITY};
    for (size_t i = 0; i < count; i++) {
        double b = expected_double != NULL ? expected_double[i] : expected_float[i];
        double a = actual[i];
        tally_add(&t, i, fabs(a - b) - (atol + rtol * fabs(b)));
    }
    size_t bad = t.bad, worst = t.worst;
    if (report != NULL && report_size > 0) {
        double b = count == 0 ? 0.0 : expected_double != NULL ? expected_double[worst] : expected_float[worst];
        snprintf(report, report_size, "%zu of %zu outside %g+%g*|b|; worst [%zu]: actual %.8g, expected %.8g", bad,
                 count, atol, rtol, worst, count == 0 ? 0.0 : (double)actual[worst], b);
    }
    return bad;
}

size_t nn_check_close(const float *actual, const float *expected, size_t count, double atol, double rtol,
                      char *report, size_t report_size)
{
    return compare(actual, NULL, expected, count, atol, rtol, report, report_size);
}

size_t nn_check_gradient(float *tensor, const float *analytic, size_t count, nn_check_loss_fn loss, void *context,
                         float step, double atol, double rtol, char *report, size_t report_size)
{
    tally t = {.worst_excess = -INFINITY};
    double worst_numeric = 0.0;
    for (size_t i = 0; i < count; i++) {
        float saved = tensor[i];
        tensor[i] = saved + step;
        double plus = loss(context);
        tensor[i] = saved - step;
        double minus = loss(context);
        tensor[i] = saved;
        /* Divide by the step actually taken after float rounding. */
        double taken = (double)(saved + step) - (double)(saved - step);
        double numeric = (plus - minus) / taken;
        if (tally_add(&t, i, fabs(analytic[i] - numeric) - (atol + rtol * fabs(numeric))))
            worst_numeric = numeric;
    }
    size_t bad = t.bad, worst = t.worst;
    if (report != NULL && report_size > 0)
        snprintf(report, report_size, "%zu of %zu outside %g+%g*|b|; worst [%zu]: analytic %.8g, numeric %.8g", bad,
                 count, atol, rtol, worst, count == 0 ? 0.0 : (double)analytic[worst], worst_numeric);
    return bad;
}
