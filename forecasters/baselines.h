/* Statistical baselines shared by the forecasters and by the m4 protocol,
 * which needs Naive2's forecasts to compute OWA. */
#ifndef BENCH_FORECASTERS_BASELINES_H
#define BENCH_FORECASTERS_BASELINES_H

#include <stddef.h>

/* M4's seasonality test: autocorrelation at lag `period` beyond the 90 % limit
 * 1.645·sqrt((1 + 2 Σ_{k<period} acf_k²) / n); false when n < 3·period or period < 2. */
int bench_m4_is_seasonal(const double *history, size_t length, size_t period);

/* M4 Naive2 ("Naive 2"): when seasonal, classical multiplicative decomposition
 * (centred 2×period moving average, seasonal indices averaged per cycle position
 * counted from the series start and normalised to mean 1); the last
 * seasonally adjusted value is repeated and reseasonalised.  Writes out[0..horizon);
 * returns BENCH_OK, BENCH_NO_MEMORY, or BENCH_UNSUPPORTED when the series is
 * seasonal and has a value <= 0: a multiplicative decomposition divides by its
 * moving average, which on centred data (a z-scored protocol) crosses 0 and
 * gives forecasts in the hundreds of standard deviations. */
int bench_naive2_forecast(double *out, const double *history, size_t length, size_t period, size_t horizon);

#endif
