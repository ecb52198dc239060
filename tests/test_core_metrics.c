/* Every metric against values computed by hand on tiny inputs, plus the M4
 * seasonality test and Naive2 on a hand-made seasonal series. */
#include <setjmp.h>
#include <stdarg.h>
#include <stddef.h>
#include <stdint.h>
#include <cmocka.h>
#include <math.h>

#include "bench/error.h"
#include "bench/metrics.h"
#include "bench/rng.h"
#include "bench/scaling.h"
#include "forecasters/baselines.h"
#include "support_cmocka.h"

/* P = (1, 2, 3, 5), Y = (2, 2, 4, 4): errors (−1, 0, −1, 1). */
static const double prediction[] = {1, 2, 3, 5};
static const double truth[] = {2, 2, 4, 4};

static void pointwise_metrics(void **state)
{
    (void)state;
    assert_float_equal(bench_metric_mae(prediction, truth, 4), 3.0 / 4.0, 1e-15);
    assert_float_equal(bench_metric_mse(prediction, truth, 4), 3.0 / 4.0, 1e-15);
    assert_float_equal(bench_metric_rmse(prediction, truth, 4), sqrt(0.75), 1e-15);
    /* Σ|P−Y| = 3, Σ|Y| = 12 */
    assert_float_equal(bench_metric_wape(prediction, truth, 4), 0.25, 1e-15);
    /* RMSE / mean|Y| = sqrt(.75) / 3 */
    assert_float_equal(bench_metric_nrmse(prediction, truth, 4), sqrt(0.75) / 3.0, 1e-15);
    /* (1/2 + 0 + 1/4 + 1/4) / 4 */
    assert_float_equal(bench_metric_mape(prediction, truth, 4), 0.25, 1e-15);
    /* 200 · (1/3 + 0 + 1/7 + 1/9) / 4 */
    assert_float_equal(bench_metric_smape(prediction, truth, 4), 50.0 * (1.0 / 3 + 1.0 / 7 + 1.0 / 9), 1e-12);
    /* mean Y = 3; Σ(Y−P)² = 3, Σ(Y−3)² = 1+1+1+1 = 4 */
    assert_float_equal(bench_metric_rse(prediction, truth, 4), sqrt(3.0 / 4.0), 1e-15);
}

static void masked_and_degenerate_cases(void **state)
{
    (void)state;
    const double zero_truth[] = {0, 2}, some_prediction[] = {1, 3};
    /* The zero is masked: only |3−2|/2 counts. */
    assert_float_equal(bench_metric_mape(some_prediction, zero_truth, 2), 0.5, 1e-15);
    const double zeros[] = {0, 0};
    assert_true(isnan(bench_metric_mape(some_prediction, zeros, 2)));
    assert_true(isnan(bench_metric_wape(some_prediction, zeros, 2)));
    /* sMAPE counts 0/0 as a perfect forecast. */
    assert_float_equal(bench_metric_smape(zeros, zeros, 2), 0.0, 0.0);
    assert_true(isnan(bench_metric_mae(prediction, truth, 0)));
}

static void correlation_by_columns(void **state)
{
    (void)state;
    /* 3 rows × 2 columns: column 0 perfectly correlated, column 1 perfectly anti-correlated. */
    const double p[] = {1, 3, 2, 2, 3, 1};
    const double y[] = {10, 1, 20, 2, 30, 3};
    assert_float_equal(bench_metric_corr_columns(p, y, 3, 2), 0.0, 1e-15);
    const double p_same[] = {1, 1, 2, 2, 3, 3};
    assert_float_equal(bench_metric_corr_columns(p_same, y, 3, 2), 1.0, 1e-15);
    /* A constant column is skipped rather than dividing by zero. */
    const double constant[] = {5, 1, 5, 2, 5, 3};
    assert_float_equal(bench_metric_corr_columns(constant, y, 3, 2), 1.0, 1e-15);
}

static void mase_owa_quantile_crps(void **state)
{
    (void)state;
    /* History 1,3,2,4,3 with period 2: |2−1|+|4−3|+|3−2| = 3 over 3 terms → scale 1. */
    const double history[] = {1, 3, 2, 4, 3};
    const double p[] = {4, 4}, y[] = {5, 3};
    assert_float_equal(bench_metric_mase(p, y, 2, history, 5, 2), 1.0, 1e-15);
    assert_true(isnan(bench_metric_mase(p, y, 2, history, 2, 2)));
    assert_float_equal(bench_metric_owa(10, 2, 20, 4), 0.5, 1e-15);
    /* Pinball at q = 0.9: errors Y−P = (1, −1) → (0.9 + 0.1)/2 */
    assert_float_equal(bench_metric_quantile_loss(p, y, 2, 0.9), 0.5, 1e-15);
    /* CRPS of samples {0, 1} against 0: mean|S−0| = 0.5, ½ mean|S−S'| = ½ · 0.5 → 0.25 */
    const double samples[] = {1, 0};
    assert_float_equal(bench_metric_crps_samples(samples, 2, 0.0), 0.25, 1e-15);
    /* One sample: CRPS = |s − y|. */
    const double one[] = {3};
    assert_float_equal(bench_metric_crps_samples(one, 1, 1.0), 2.0, 1e-15);
}

static void naive2_reseasonalizes_a_seasonal_series(void **state)
{
    (void)state;
    /* Period 4, multiplicative pattern (0.5, 1, 1.5, 1) on a level of 10, 6 cycles. */
    double series[24];
    const double pattern[] = {0.5, 1.0, 1.5, 1.0};
    for (int t = 0; t < 24; t++)
        series[t] = 10.0 * pattern[t % 4];
    assert_true(bench_m4_is_seasonal(series, 24, 4));
    double forecast[6];
    assert_int_equal(bench_naive2_forecast(forecast, series, 24, 4, 6), 0);
    /* The series ends on the 4th position of a cycle; the forecast continues it. */
    for (int k = 0; k < 6; k++)
        assert_float_equal(forecast[k], 10.0 * pattern[(24 + k) % 4], 1e-9);
    /* The same pattern centred on 0 (what a z-scored protocol feeds it): the
     * multiplicative decomposition is refused, not run on a moving average near 0. */
    double centred[24];
    for (int t = 0; t < 24; t++)
        centred[t] = series[t] - 10.0;
    assert_true(bench_m4_is_seasonal(centred, 24, 4));
    assert_int_equal(bench_naive2_forecast(forecast, centred, 24, 4, 6), BENCH_UNSUPPORTED);
    /* Too short for the test (n < 3 m): plain naive. */
    assert_false(bench_m4_is_seasonal(series, 11, 4));
    assert_int_equal(bench_naive2_forecast(forecast, series, 11, 4, 2), 0);
    assert_float_equal(forecast[0], series[10], 0.0);
    assert_float_equal(forecast[1], series[10], 0.0);
    /* White noise is not seasonal at period 4 (its lag-4 autocorrelation is far
     * inside the 90 % limit for this seed). */
    double noise[200];
    bench_rng rng;
    bench_rng_seed(&rng, 3);
    for (int t = 0; t < 200; t++)
        noise[t] = 10.0 + bench_rng_normal(&rng);
    assert_false(bench_m4_is_seasonal(noise, 200, 4));
}

static void standard_and_minmax_scalers(void **state)
{
    (void)state;
    const double values[] = {1, 2, 3, 6};
    /* mean 3, population variance (4 + 1 + 0 + 9) / 4 = 3.5 */
    bench_scaler standard = bench_scaler_fit_standard(values, 4);
    assert_float_equal(standard.shift, 3.0, 1e-15);
    assert_float_equal(standard.scale, sqrt(3.5), 1e-15);
    double scaled[4], restored[4];
    bench_scaler_apply(&standard, scaled, values, 4);
    assert_float_equal(scaled[3], 3.0 / sqrt(3.5), 1e-15);
    bench_scaler_invert(&standard, restored, scaled, 4);
    for (int i = 0; i < 4; i++)
        assert_float_equal(restored[i], values[i], 1e-12);
    /* Min-max onto [-0.5, 0.5], as the GBRT code scales its covariates. */
    bench_scaler minmax = bench_scaler_fit_minmax(values, 4, -0.5, 0.5);
    bench_scaler_apply(&minmax, scaled, values, 4);
    assert_float_equal(scaled[0], -0.5, 1e-15);
    assert_float_equal(scaled[1], -0.3, 1e-15);
    assert_float_equal(scaled[3], 0.5, 1e-15);
    /* Constant input: no division by zero. */
    const double constant[] = {7, 7, 7};
    bench_scaler flat = bench_scaler_fit_standard(constant, 3);
    assert_float_equal(flat.scale, 1.0, 0.0);
    bench_scaler flat_minmax = bench_scaler_fit_minmax(constant, 3, -0.5, 0.5);
    bench_scaler_apply(&flat_minmax, scaled, constant, 3);
    assert_float_equal(scaled[0], 0.0, 1e-15);
}

TEST_MAIN("core_metrics", NULL, NULL,
          cmocka_unit_test(pointwise_metrics),
          cmocka_unit_test(masked_and_degenerate_cases),
          cmocka_unit_test(correlation_by_columns),
          cmocka_unit_test(mase_owa_quantile_crps),
          cmocka_unit_test(naive2_reseasonalizes_a_seasonal_series),
          cmocka_unit_test(standard_and_minmax_scalers))
