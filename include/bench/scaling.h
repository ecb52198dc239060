/* Scaling helpers shared by the protocols and exported to plugin authors: the
 * z-score of TSLib's StandardScaler and the min-max scaling the GBRT paper's code
 * applies to covariates.  Pure functions on caller-owned arrays. */
#ifndef BENCH_SCALING_H
#define BENCH_SCALING_H

#include <stddef.h>

#ifdef __cplusplus
extern "C" {
#endif

/* value_scaled = (value − shift) / scale */
typedef struct bench_scaler {
    double shift;
    double scale;
} bench_scaler;

/* Mean and population standard deviation (ddof 0, as sklearn's StandardScaler)
 * of values[0, count); a constant or empty input gets scale 1 so that applying it
 * never divides by zero.  Values so large that their squared deviations overflow
 * still get their finite standard deviation; input with an infinite or NaN
 * value, or a mean or deviation beyond double range, gets scale NaN, so scaled
 * values are NaN (visible to metrics) instead of silently 0. */
bench_scaler bench_scaler_fit_standard(const double *values, size_t count);
/* Maps [min, max] of values[0, count) onto [low, high]; a constant input maps to
 * the midpoint (sklearn's minmax_scale maps it to `low`; bench keeps it centred). */
bench_scaler bench_scaler_fit_minmax(const double *values, size_t count, double low, double high);
/* out and in may be the same array. */
void bench_scaler_apply(const bench_scaler *scaler, double *out, const double *in, size_t count);
void bench_scaler_invert(const bench_scaler *scaler, double *out, const double *in, size_t count);

#ifdef __cplusplus
}
#endif
#endif
