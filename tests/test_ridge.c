/* ridge: recovers an exact AR(2) process (a shifted sinusoid obeys
 * y_t = c + 2cos(ω)·y_{t-1} − y_{t-2}) including its multi-step direct
 * coefficients, shrinks with alpha, and rejects bad input. */
#include <setjmp.h>
#include <stdarg.h>
#include <stddef.h>
#include <stdint.h>
#include <cmocka.h>
#include <math.h>
#include <string.h>

#include "bench/harness.h"
#include "support_cmocka.h"

extern const bench_forecaster bench_forecaster_ridge;

#define LENGTH 400
#define HORIZON 3

static double values[2][LENGTH];
static bench_series_view views[2];
static bench_train_view train = {.series_count = 2, .series = views};
static bench_task_info task = {.dataset = "synthetic", .protocol = "paper", .horizon = HORIZON, .lookback = 2,
                               .seasonal_period = 1, .threads = 1, .seed = 1};

static int setup(void **state)
{
    (void)state;
    for (int t = 0; t < LENGTH; t++) {
        values[0][t] = 3.0 + sin(0.3 * t + 0.1);
        values[1][t] = 3.0 + 0.5 * sin(0.3 * t + 2.0); /* same recursion, other amplitude */
    }
    for (int s = 0; s < 2; s++)
        views[s] = (bench_series_view){.name = s ? "b" : "a", .length = LENGTH, .train_length = 300,
                                       .values = values[s]};
    return 0;
}

static bench_model *fit_ridge(const char *alpha, const char *window, bench_error *error, int *status)
{
    bench_config_entry entries[2] = {{.key = "alpha", .value = (char *)alpha, .line = 2},
                                     {.key = "window", .value = (char *)window, .line = 3}};
    bench_config_section section = {.kind = "model", .label = "ridge", .line = 1, .entries = entries,
                                    .entry_count = 2};
    bench_owned_params params;
    bench_model *model = NULL;
    *status = bench_resolve_params(&params, bench_forecaster_ridge.params, bench_forecaster_ridge.param_count,
                                   &section, "test.ini", "ridge", error);
    if (*status == BENCH_OK)
        *status = bench_forecaster_ridge.create(&model, &params.view, &task, error);
    if (*status == BENCH_OK)
        *status = bench_forecaster_ridge.fit(model, &train, NULL, error);
    bench_owned_params_free(&params);
    return model;
}

/* Forecasts from every origin in [300, 397) of both series; worst absolute error. */
static double worst_error(bench_model *model)
{
    enum { ORIGINS = 97 };
    bench_forecast_window windows[2 * ORIGINS];
    for (size_t s = 0; s < 2; s++)
        for (size_t i = 0; i < ORIGINS; i++)
            windows[s * ORIGINS + i] = (bench_forecast_window){.series_index = s, .history_length = 300 + i,
                                                               .history = values[s]};
    bench_forecast_request request = {.horizon = HORIZON, .window_count = 2 * ORIGINS, .windows = windows};
    double out[2 * ORIGINS * HORIZON];
    bench_error error = {0};
    if (bench_forecaster_ridge.predict(model, &request, NULL, out, &error) != BENCH_OK)
        fail_msg("predict: %s", error.message);
    double worst = 0;
    for (size_t w = 0; w < 2 * ORIGINS; w++)
        for (size_t k = 0; k < HORIZON; k++) {
            const bench_forecast_window *window = &windows[w];
            double truth = values[window->series_index][window->history_length + k];
            worst = fmax(worst, fabs(out[w * HORIZON + k] - truth));
        }
    return worst;
}

static void recovers_an_exact_ar2_process(void **state)
{
    (void)state;
    bench_error error = {0};
    int status;
    bench_model *model = fit_ridge("0", "2", &error, &status);
    if (status != BENCH_OK)
        fail_msg("%s", error.message);
    /* Inputs are floats (relative rounding 6e-8 of values near 3): the forecasts
     * of an exact recursion must match to that precision, amplified by h steps. */
    double worst = worst_error(model);
    if (worst > 2e-5)
        fail_msg("alpha = 0, w = 2: worst forecast error %.3g, expected an exact recovery (< 2e-5)", worst);
    bench_forecaster_ridge.destroy(model);

    /* A strong penalty shrinks the lag coefficients toward 0 (forecast → mean). */
    model = fit_ridge("1e6", "2", &error, &status);
    assert_int_equal(status, BENCH_OK);
    assert_true(worst_error(model) > 0.1);
    bench_forecaster_ridge.destroy(model);

    /* w = 4 makes the lags collinear: the singular fallback still forecasts exactly. */
    model = fit_ridge("0", "4", &error, &status);
    if (status != BENCH_OK)
        fail_msg("%s", error.message);
    worst = worst_error(model);
    if (worst > 1e-3)
        fail_msg("alpha = 0, w = 4 (collinear lags): worst forecast error %.3g", worst);
    bench_forecaster_ridge.destroy(model);
}

static void bad_inputs(void **state)
{
    (void)state;
    bench_error error = {0};
    int status;
    bench_model *model = fit_ridge("-1", "2", &error, &status);
    assert_int_equal(status, BENCH_BAD_INPUT);
    assert_null(model);
    model = fit_ridge("0", "299", &error, &status); /* w + h > 300 training steps */
    assert_int_equal(status, BENCH_BAD_INPUT);
    assert_non_null(strstr(error.message, "series 'a'"));
    bench_forecaster_ridge.destroy(model);
}

TEST_MAIN("ridge", setup, NULL,
          cmocka_unit_test(recovers_an_exact_ar2_process),
          cmocka_unit_test(bad_inputs))
