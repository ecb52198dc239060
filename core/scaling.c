#include "bench/scaling.h"

#include <math.h>

bench_scaler bench_scaler_fit_standard(const double *values, size_t count)
{
    bench_scaler scaler = {.shift = 0.0, .scale = 1.0};
    if (count == 0)
        return scaler;
    double mean = 0.0, spread = 0.0;
    for (size_t i = 0; i < count; i++)
        mean += values[i];
    mean /= (double)count;
    for (size_t i = 0; i < count; i++)
        spread += (values[i] - mean) * (values[i] - mean);
    double std = sqrt(spread / (double)count);
    /* Squared deviations overflow for values beyond ~1e154 (±1e200 gave an inf
     * scale, z-scores of 0 and MSE 0 with status ok).  Only then is the spread
     * recomputed relative to the largest deviation, so ordinary data keep
     * bit-identical scalers. */
    if (isfinite(mean) && !isfinite(std)) {
        double largest = 0.0;
        for (size_t i = 0; i < count; i++)
            largest = fmax(largest, fabs(values[i] - mean));
        if (isfinite(largest) && largest > 0.0) {
            double relative = 0.0;
            for (size_t i = 0; i < count; i++) {
                double d = (values[i] - mean) / largest;
                relative += d * d;
            }
            std = largest * sqrt(relative / (double)count);
        }
    }
    scaler.shift = mean;
    /* What still is not finite (infinite or NaN input, a range beyond double)
     * gets a NaN scale: every scaled value is then NaN, which a metric reports,
     * rather than a plausible 0. */
    if (!isfinite(mean) || !isfinite(std))
        scaler.scale = NAN;
    else
        scaler.scale = std > 0.0 ? std : 1.0;
    return scaler;
}

bench_scaler bench_scaler_fit_minmax(const double *values, size_t count, double low, double high)
{
    bench_scaler scaler = {.shift = 0.0, .scale = 1.0};
    if (count == 0)
        return scaler;
    double minimum = values[0], maximum = values[0];
    for (size_t i = 1; i < count; i++) {
        minimum = values[i] < minimum ? values[i] : minimum;
        maximum = values[i] > maximum ? values[i] : maximum;
    }
    if (!(maximum > minimum)) {
        /* (v − shift) / 1 = (low + high) / 2 for the constant v. */
        scaler.shift = minimum - 0.5 * (low + high);
        return scaler;
    }
    /* (v − shift) / scale maps minimum → low and maximum → high. */
    scaler.scale = (maximum - minimum) / (high - low);
    scaler.shift = minimum - low * scaler.scale;
    return scaler;
}

void bench_scaler_apply(const bench_scaler *scaler, double *out, const double *in, size_t count)
{
    for (size_t i = 0; i < count; i++)
        out[i] = (in[i] - scaler->shift) / scaler->scale;
}

void bench_scaler_invert(const bench_scaler *scaler, double *out, const double *in, size_t count)
{
    for (size_t i = 0; i < count; i++)
        out[i] = in[i] * scaler->scale + scaler->shift;
}
