/* Window normalisation (window_features.h, `window_norm` of gbrt and ridge):
 * hand-checked frames for last / mean / standard, the inverse on random windows,
 * flat windows, refusals, `auto` choosing on the validation part and equal to the
 * explicit choice, and the reason it exists: a trending series whose test period
 * lies above every training target is forecast by gbrt about as well as naive
 * with window_norm = last, and far worse without. */
#include <setjmp.h>
#include <stdarg.h>
#include <stddef.h>
#include <stdint.h>
#include <cmocka.h>
#include <math.h>
#include <stdio.h>
#include <stdlib.h>
#include <string.h>

#include "bench/harness.h"
#include "bench/rng.h"
#include "forecasters/registry.h"
#include "forecasters/window_features.h"
#include "support_params.h"
#include "support_cmocka.h"

static double series_a[7] = {10, 11, 12, 13, 14, 15, 16};

/* Windows of w inputs and 2 outputs (no covariates) under norm, and the
 * training rows of train; fails the test on any error. */
static void plan_training(bench_window_plan *plan, bench_window_layout *layout, bench_train_view *train, size_t w,
                          bench_window_norm norm)
{
    bench_error error = {0};
    assert_int_equal(bench_window_layout_init(layout, w, 2, 0, BENCH_WINDOW_COVARIATES_NONE, &error), BENCH_OK);
    assert_int_equal(bench_window_layout_set_norm(layout, norm, &error), BENCH_OK);
    assert_int_equal(bench_window_plan_training(plan, layout, train, NULL, &error), BENCH_OK);
}

/* Training rows (w = 3, h = 2, no covariates) of series A in time order under norm. */
static void frame_of(bench_window_norm norm, float *features /* (3 × 3) */, float *labels /* (2 × 3) */)
{
    bench_series_view view = {.name = "A", .length = 7, .train_length = 7, .values = series_a};
    bench_train_view train = {.series_count = 1, .series = &view};
    bench_window_layout layout;
    bench_window_plan plan;
    plan_training(&plan, &layout, &train, 3, norm);
    assert_int_equal(plan.count, 3);
    bench_window_fill_features(features, &layout, &train, &plan);
    for (size_t k = 0; k < 2; k++)
        bench_window_fill_labels(labels + 3 * k, &layout, &train, &plan, k);
    bench_window_plan_free(&plan);
}

static void frames_by_hand(void **state)
{
    (void)state;
    float f[9], l[6];
    frame_of(BENCH_WINDOW_NORM_NONE, f, l);
    assert_true(f[0] == 10 && f[2] == 12 && l[0] == 13 && l[3] == 14); /* the paper's raw rows */
    frame_of(BENCH_WINDOW_NORM_LAST, f, l);
    /* origin t = 2: window 10 11 12, c = 12: -2 -1 0; labels 13 14 → 1 2 */
    assert_true(f[0] == -2 && f[1] == -1 && f[2] == 0 && l[0] == 1 && l[3] == 2);
    frame_of(BENCH_WINDOW_NORM_MEAN, f, l);
    assert_true(f[0] == -1 && f[1] == 0 && f[2] == 1 && l[0] == 2 && l[3] == 3);
    frame_of(BENCH_WINDOW_NORM_STANDARD, f, l);
    double sd = sqrt(2.0 / 3.0);
    assert_float_equal(f[0], -1 / sd, 1e-6);
    assert_float_equal(f[2], 1 / sd, 1e-6);
    assert_float_equal(l[0], 2 / sd, 1e-6);
    assert_float_equal(l[3], 3 / sd, 1e-6);
}

/* The test's own centre and scale, written from the header's definition. */
static void reference_stats(bench_window_norm norm, const double *past, size_t w, double *c, double *s)
{
    double mean = 0, squares = 0;
    for (size_t i = 0; i < w; i++)
        mean += past[i] / (double)w;
    for (size_t i = 0; i < w; i++)
        squares += (past[i] - mean) * (past[i] - mean);
    double sd = sqrt(squares / (double)w);
    *c = norm == BENCH_WINDOW_NORM_NONE ? 0 : norm == BENCH_WINDOW_NORM_LAST ? past[w - 1] : mean;
    *s = norm == BENCH_WINDOW_NORM_STANDARD && sd > 1e-8 * fmax(1.0, fabs(mean)) ? sd : 1.0;
}

/* Random windows of a series far from 0: the request's features are the
 * reference frame, and restore() is its exact inverse (to double rounding). */
static void inverse_on_random_windows(void **state)
{
    (void)state;
    bench_rng rng;
    bench_rng_seed(&rng, 17);
    enum { LENGTH = 400, WINDOWS = 50 };
    double values[LENGTH];
    for (size_t t = 0; t < LENGTH; t++)
        values[t] = 1000.0 + 3.0 * (double)t + 25.0 * bench_rng_normal(&rng);
    for (int norm = BENCH_WINDOW_NORM_NONE; norm <= BENCH_WINDOW_NORM_STANDARD; norm++)
        for (int trial = 0; trial < 5; trial++) {
            size_t w = 1 + (size_t)bench_rng_below(&rng, 40), h = 1 + (size_t)bench_rng_below(&rng, 30);
            bench_window_layout layout;
            bench_error error = {0};
            assert_int_equal(bench_window_layout_init(&layout, (long)w, (long)h, 0, BENCH_WINDOW_COVARIATES_NONE,
                                                      &error), BENCH_OK);
            assert_int_equal(bench_window_layout_set_norm(&layout, (bench_window_norm)norm, &error), BENCH_OK);
            bench_forecast_window windows[WINDOWS];
            double truth[WINDOWS * 30], frame[WINDOWS * 30];
            float features[WINDOWS * 40];
            for (size_t i = 0; i < WINDOWS; i++) {
                size_t history = w + (size_t)bench_rng_below(&rng, LENGTH - w - h);
                windows[i] = (bench_forecast_window){.history_length = history, .history = values};
                double c, s;
                reference_stats((bench_window_norm)norm, values + history - w, w, &c, &s);
                for (size_t k = 0; k < h; k++) {
                    truth[i * h + k] = values[history + k];
                    frame[i * h + k] = (values[history + k] - c) / s;
                }
            }
            bench_forecast_request request = {.horizon = h, .window_count = WINDOWS, .windows = windows};
            assert_int_equal(bench_window_fill_request(features, &layout, &request, &error), BENCH_OK);
            for (size_t i = 0; i < WINDOWS; i++) {
                double c, s;
                reference_stats((bench_window_norm)norm, values + windows[i].history_length - w, w, &c, &s);
                for (size_t j = 0; j < w; j++)
                    assert_true(features[i * w + j] ==
                                (float)((values[windows[i].history_length - w + j] - c) / s));
            }
            assert_int_equal(bench_window_restore(frame, &layout, &request, &error), BENCH_OK);
            for (size_t i = 0; i < WINDOWS * h; i++)
                if (fabs(frame[i] - truth[i]) > 1e-12 * fabs(truth[i]))
                    fail_msg("%s w=%zu h=%zu: restored %.17g, truth %.17g", bench_window_norm_name(norm), w, h,
                             frame[i], truth[i]);
        }
}

static void flat_windows_and_refusals(void **state)
{
    (void)state;
    double flat[6] = {5, 5, 5, 5, 5, 9};
    bench_series_view view = {.name = "flat", .length = 6, .train_length = 6, .values = flat};
    bench_train_view train = {.series_count = 1, .series = &view};
    bench_window_layout layout;
    bench_window_plan plan;
    plan_training(&plan, &layout, &train, 4, BENCH_WINDOW_NORM_STANDARD);
    float features[4], label;
    bench_window_fill_features(features, &layout, &train, &plan);
    bench_window_fill_labels(&label, &layout, &train, &plan, 1);
    assert_true(features[0] == 0 && features[3] == 0 && label == 4); /* centred only: s = 1 */
    bench_window_plan_free(&plan);
    double forecast[2] = {1, 2};
    bench_error error = {0};
    bench_forecast_window short_window = {.history_length = 3, .history = flat};
    bench_forecast_request request = {.horizon = 2, .window_count = 1, .windows = &short_window};
    assert_int_equal(bench_window_restore(forecast, &layout, &request, &error), BENCH_BAD_INPUT);
    assert_true(forecast[0] == 1 && forecast[1] == 2);

    bench_window_norm norm;
    assert_int_equal(bench_window_parse_norm("revin", &norm, &error), BENCH_BAD_INPUT);
    assert_non_null(strstr(error.message, "none, last, mean, standard, auto"));
    assert_int_equal(bench_window_parse_norm("auto", &norm, &error), BENCH_OK);
    assert_int_equal(bench_window_layout_set_norm(&layout, norm, &error), BENCH_INTERNAL);
    assert_int_equal(bench_window_layout_pointwise(&layout, 2, &error), BENCH_OK);
    assert_int_equal(bench_window_layout_set_norm(&layout, BENCH_WINDOW_NORM_LAST, &error), BENCH_BAD_INPUT);
    assert_int_equal(bench_window_layout_set_norm(&layout, BENCH_WINDOW_NORM_NONE, &error), BENCH_OK);
}

/* ---- models ------------------------------------------------------------------ */

enum { LENGTH = 600, TRAIN = 420, VALIDATION_END = 480, W = 24, H = 6 };
static double trend[LENGTH];

/* A rising line with a daily wave and noise: the test period lies above every
 * training target, the case trees cannot extrapolate on raw windows. */
static void make_trend(void)
{
    bench_rng rng;
    bench_rng_seed(&rng, 3);
    for (size_t t = 0; t < LENGTH; t++)
        trend[t] = 0.01 * (double)t + 0.3 * sin(2 * M_PI * (double)t / 24.0) + 0.05 * bench_rng_normal(&rng);
}

static bench_model *fit_model(const char *name, const char *const *settings, size_t count, size_t train_length,
                              size_t length)
{
    const bench_forecaster *forecaster = bench_forecaster_find(name);
    assert_non_null(forecaster);
    bench_owned_params params;
    bench_error error = {0};
    bench_task_info task = {.dataset = "trend", .protocol = "ltsf", .horizon = H, .lookback = W,
                            .seasonal_period = 24, .threads = 1, .seed = 1};
    bench_model *model = NULL;
    if (test_resolve_settings(&params, forecaster->params, forecaster->param_count, name, settings, count, &error) !=
            BENCH_OK ||
        forecaster->create(&model, &params.view, &task, &error) != BENCH_OK)
        fail_msg("%s create: %s", name, error.message);
    bench_owned_params_free(&params);
    bench_series_view view = {.name = "trend", .length = length, .train_length = train_length, .values = trend};
    bench_train_view train = {.series_count = 1, .series = &view};
    bench_rng rng;
    bench_rng_seed(&rng, 11);
    if (forecaster->fit(model, &train, &rng, &error) != BENCH_OK)
        fail_msg("%s fit: %s", name, error.message);
    return model;
}

/* MSE of a model's forecasts from every origin of the test part [VALIDATION_END, LENGTH). */
static double test_mse(const char *name, bench_model *model, double *forecasts)
{
    enum { WINDOWS = LENGTH - VALIDATION_END - H + 1 };
    bench_forecast_window windows[WINDOWS];
    for (size_t i = 0; i < WINDOWS; i++)
        windows[i] = (bench_forecast_window){.history_length = VALIDATION_END + i, .history = trend};
    bench_forecast_request request = {.horizon = H, .window_count = WINDOWS, .windows = windows};
    bench_error error = {0};
    double local[WINDOWS * H], *out = forecasts ? forecasts : local;
    if (bench_forecaster_find(name)->predict(model, &request, NULL, out, &error) != BENCH_OK)
        fail_msg("%s predict: %s", name, error.message);
    double sum = 0;
    for (size_t i = 0; i < WINDOWS; i++)
        for (size_t k = 0; k < H; k++) {
            double truth = trend[VALIDATION_END + i + k];
            sum += (out[i * H + k] - truth) * (out[i * H + k] - truth);
        }
    return sum / (WINDOWS * H);
}

static double naive_mse(void)
{
    double sum = 0;
    size_t n = 0;
    for (size_t origin = VALIDATION_END; origin + H <= LENGTH; origin++)
        for (size_t k = 0; k < H; k++, n++)
            sum += (trend[origin - 1] - trend[origin + k]) * (trend[origin - 1] - trend[origin + k]);
    return sum / (double)n;
}

static void gbrt_follows_a_trend_out_of_range(void **state)
{
    (void)state;
    make_trend();
    const char *base[] = {"n_estimators=60", "max_depth=4", "eta=0.1", "tree_method=hist", "window_norm=none"};
    const char *last[] = {"n_estimators=60", "max_depth=4", "eta=0.1", "tree_method=hist", "window_norm=last"};
    bench_model *raw = fit_model("gbrt", base, 5, TRAIN, TRAIN);
    bench_model *relative = fit_model("gbrt", last, 5, TRAIN, TRAIN);
    double naive = naive_mse(), raw_mse = test_mse("gbrt", raw, NULL), last_mse = test_mse("gbrt", relative, NULL);
    printf("trend out of the training range: naive MSE %.4f, gbrt raw %.4f, gbrt window_norm=last %.4f\n", naive,
           raw_mse, last_mse);
    assert_true(last_mse <= 1.10 * naive); /* the bar: within 10 % of naive (or better) */
    assert_true(raw_mse > 3.0 * naive);    /* and the failure it removes is real */
    bench_forecaster_find("gbrt")->destroy(raw);
    bench_forecaster_find("gbrt")->destroy(relative);
}

/* auto scores the four on the validation part and refits the best from the same
 * rng state: its forecasts equal those of the explicit choice, bit for bit. */
static void auto_equals_the_explicit_choice(void **state)
{
    (void)state;
    make_trend();
    const char *models[] = {"ridge", "gbrt"};
    for (size_t m = 0; m < 2; m++) {
        const char *chosen_setting = NULL;
        double best = INFINITY, forecasts_auto[(LENGTH - VALIDATION_END - H + 1) * H];
        const char *settings[4][2] = {{"window_norm=none"}, {"window_norm=last"}, {"window_norm=mean"},
                                      {"window_norm=standard"}};
        /* The choice auto must make: the lowest validation MSE, computed here with
         * validation-only models (fit on [0, TRAIN), scored on [TRAIN, VALIDATION_END)). */
        for (size_t n = 0; n < 4; n++) {
            bench_model *model = fit_model(models[m], settings[n], 1, TRAIN, VALIDATION_END);
            enum { WINDOWS = VALIDATION_END - (TRAIN - 1) - H };
            bench_forecast_window windows[WINDOWS];
            for (size_t i = 0; i < WINDOWS; i++)
                windows[i] = (bench_forecast_window){.history_length = TRAIN + i, .history = trend};
            bench_forecast_request request = {.horizon = H, .window_count = WINDOWS, .windows = windows};
            double out[WINDOWS * H], sum = 0;
            bench_error error = {0};
            assert_int_equal(bench_forecaster_find(models[m])->predict(model, &request, NULL, out, &error), BENCH_OK);
            for (size_t i = 0; i < WINDOWS; i++)
                for (size_t k = 0; k < H; k++)
                    sum += (out[i * H + k] - trend[TRAIN + i + k]) * (out[i * H + k] - trend[TRAIN + i + k]);
            if (sum / (WINDOWS * H) < best) {
                best = sum / (WINDOWS * H);
                chosen_setting = settings[n][0];
            }
            bench_forecaster_find(models[m])->destroy(model);
        }
        const char *auto_setting[] = {"window_norm=auto"};
        bench_model *automatic = fit_model(models[m], auto_setting, 1, TRAIN, VALIDATION_END);
        bench_model *explicit = fit_model(models[m], &chosen_setting, 1, TRAIN, VALIDATION_END);
        double forecasts_explicit[sizeof forecasts_auto / sizeof forecasts_auto[0]];
        test_mse(models[m], automatic, forecasts_auto);
        test_mse(models[m], explicit, forecasts_explicit);
        printf("%s: auto chose %s\n", models[m], chosen_setting);
        assert_memory_equal(forecasts_auto, forecasts_explicit, sizeof forecasts_auto);
        bench_forecaster_find(models[m])->destroy(automatic);
        bench_forecaster_find(models[m])->destroy(explicit);
    }
    /* No validation part (train_length == length): auto cannot choose, and says so. */
    const bench_forecaster *ridge = bench_forecaster_find("ridge");
    bench_config_entry entry = {.key = "window_norm", .value = "auto", .line = 2};
    bench_config_section section = {.kind = "model", .label = "t", .line = 1, .entries = &entry, .entry_count = 1};
    bench_owned_params params;
    bench_error error = {0};
    bench_task_info task = {.horizon = H, .lookback = W, .threads = 1};
    bench_model *model = NULL;
    assert_int_equal(bench_resolve_params(&params, ridge->params, ridge->param_count, &section, "t.ini", "ridge",
                                          &error), BENCH_OK);
    assert_int_equal(ridge->create(&model, &params.view, &task, &error), BENCH_OK);
    bench_series_view view = {.name = "trend", .length = TRAIN, .train_length = TRAIN, .values = trend};
    bench_train_view train = {.series_count = 1, .series = &view};
    bench_rng rng;
    bench_rng_seed(&rng, 1);
    assert_int_equal(ridge->fit(model, &train, &rng, &error), BENCH_BAD_INPUT);
    assert_non_null(strstr(error.message, "validation"));
    ridge->destroy(model);
    bench_owned_params_free(&params);
}

TEST_MAIN("window_norm", NULL, NULL,
          cmocka_unit_test(frames_by_hand),
          cmocka_unit_test(inverse_on_random_windows),
          cmocka_unit_test(flat_windows_and_refusals),
          cmocka_unit_test(gbrt_follows_a_trend_out_of_range),
          cmocka_unit_test(auto_equals_the_explicit_choice))
