#include "nn/check.h"

#include <math.h>
#include <stdio.h>

static size_t compare(const float *actual, const double *expected_double, const float *expected_float,
                      size_t count, double atol, double rtol, char *report, size_t report_size)
{
    size_t bad = 0, worst = 0;
    double worst_excess = -INFINITY;
    for (size_t i = 0; i < count; i++) {
        double b = expected_double != NULL ? expected_double[i] : expected_float[i];
        double a = actual[i];
        double excess = fabs(a - b) - (atol + rtol * fabs(b));
        if (isnan(excess))
            excess = INFINITY;
        if (excess > 0)
            bad++;
        if (excess > worst_excess) {
            worst_excess = excess;
            worst = i;
        }
    }
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
    size_t bad = 0, worst = 0;
    double worst_excess = -INFINITY, worst_numeric = 0.0;
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
        double excess = fabs(analytic[i] - numeric) - (atol + rtol * fabs(numeric));
        if (isnan(excess))
            excess = INFINITY;
        if (excess > 0)
            bad++;
        if (excess > worst_excess) {
            worst_excess = excess;
            worst = i;
            worst_numeric = numeric;
        }
    }
    if (report != NULL && report_size > 0)
        snprintf(report, report_size, "%zu of %zu outside %g+%g*|b|; worst [%zu]: analytic %.8g, numeric %.8g", bad,
                 count, atol, rtol, worst, count == 0 ? 0.0 : (double)analytic[worst], worst_numeric);
    return bad;
}
