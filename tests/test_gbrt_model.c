/* gbrt / gbrt_naive through the forecaster vtable on a small synthetic panel:
 * h direct boosters, sane forecasts, determinism, early stopping, save → load
 * giving identical predictions (exact and hist), and every bad input of issue 3:
 * unknown parameter, out-of-range value, a value only XGBoost rejects, w or h <= 0,
 * w + h longer than a series, and a model directory that is missing, altered or
 * truncated. */
#include <setjmp.h>
#include <stdarg.h>
#include <stddef.h>
#include <stdint.h>
#include <cmocka.h>
#include <math.h>
#include <stdio.h>
#include <stdlib.h>
#include <string.h>
#include <sys/stat.h>
#include <unistd.h>

#include "bench/harness.h"
#include "forecasters/gbrt.h"
#include "support_files.h"
#include "support_params.h"
#include "support_cmocka.h"

#define SERIES 3
#define LENGTH 240
#define COVARIATES 2
#define HORIZON 4

static double values[SERIES][LENGTH];
static float covariates[SERIES][LENGTH * COVARIATES];
static bench_series_view views[SERIES];
static bench_train_view train = {.series_count = SERIES, .series = views};
static const char *const covariate_names[COVARIATES] = {"hour", "day"};
static bench_task_info task = {.dataset = "synthetic", .protocol = "paper", .horizon = HORIZON, .lookback = 12,
                               .seasonal_period = 24, .covariate_count = COVARIATES,
                               .covariate_names = covariate_names, .threads = 1, .seed = 5};

static int setup(void **state)
{
    (void)state;
    bench_rng rng;
    bench_rng_seed(&rng, 3);
    for (int s = 0; s < SERIES; s++) {
        for (int t = 0; t < LENGTH; t++) {
            values[s][t] = sin(2 * M_PI * t / 24.0 + s) + 0.1 * s + 0.05 * bench_rng_normal(&rng);
            covariates[s][t * COVARIATES] = (float)((t % 24) / 23.0 - 0.5);
            covariates[s][t * COVARIATES + 1] = (float)((t / 24) / 9.0 - 0.5);
        }
        views[s] = (bench_series_view){.name = s == 0 ? "a" : s == 1 ? "b" : "c", .length = LENGTH,
                                       .train_length = 200, .values = values[s], .covariates = covariates[s]};
    }
    return test_scratch_setup(state);
}

/* Resolves "key=value" overrides against a forecaster's schema the way the
 * harness does (unknown names and malformed values fail there). */
static int resolve(bench_owned_params *out, const bench_forecaster *forecaster, const char *const *settings,
                   size_t count, bench_error *error)
{
    return test_resolve_settings(out, forecaster->params, forecaster->param_count, forecaster->name, settings, count,
                                 error);
}

/* Creates and fits a model; fails the test on any error. */
static bench_model *fitted(const bench_forecaster *forecaster, const char *const *settings, size_t count)
{
    bench_owned_params params;
    bench_error error = {0};
    bench_model *model = NULL;
    if (resolve(&params, forecaster, settings, count, &error) != BENCH_OK ||
        forecaster->create(&model, &params.view, &task, &error) != BENCH_OK)
        fail_msg("create: %s", error.message);
    bench_rng rng;
    bench_rng_seed(&rng, 9);
    if (forecaster->fit(model, &train, &rng, &error) != BENCH_OK)
        fail_msg("fit: %s", error.message);
    bench_owned_params_free(&params);
    return model;
}

/* One forecast origin per series at step 200. */
static void predict_at_200(const bench_forecaster *forecaster, bench_model *model, double *out)
{
    bench_forecast_window windows[SERIES];
    for (size_t s = 0; s < SERIES; s++)
        windows[s] = (bench_forecast_window){.series_index = s, .history_length = 200, .history = values[s],
                                             .covariates = covariates[s]};
    bench_forecast_request request = {.horizon = HORIZON, .window_count = SERIES, .windows = windows};
    bench_error error = {0};
    if (forecaster->predict(model, &request, NULL, out, &error) != BENCH_OK)
        fail_msg("predict: %s", error.message);
}

static double rmse_at_200(const double *prediction)
{
    double sum = 0;
    for (size_t s = 0; s < SERIES; s++)
        for (size_t k = 0; k < HORIZON; k++) {
            double e = prediction[s * HORIZON + k] - values[s][200 + k];
            sum += e * e;
        }
    return sqrt(sum / (SERIES * HORIZON));
}

static const char *const small[] = {"n_estimators=30", "max_depth=3", "eta=0.3"};

static void h_boosters_and_sane_forecasts(void **state)
{
    (void)state;
    bench_model *model = fitted(&bench_forecaster_gbrt, small, 3);
    assert_int_equal(bench_gbrt_booster_count(model), HORIZON);
    assert_int_equal(bench_gbrt_feature_count(model), 12 + COVARIATES);
    for (size_t k = 0; k < HORIZON; k++)
        assert_int_equal(bench_gbrt_booster_rounds(model, k), 30);
    double prediction[SERIES * HORIZON], again[SERIES * HORIZON];
    predict_at_200(&bench_forecaster_gbrt, model, prediction);
    double rmse = rmse_at_200(prediction);
    if (!(rmse < 0.25))
        fail_msg("RMSE %.4f on a clean sinusoid, expected < 0.25", rmse);
    /* Same seed, same model. */
    bench_model *twin = fitted(&bench_forecaster_gbrt, small, 3);
    predict_at_200(&bench_forecaster_gbrt, twin, again);
    assert_memory_equal(prediction, again, sizeof prediction);
    bench_forecaster_gbrt.destroy(model);
    bench_forecaster_gbrt.destroy(twin);
}

static void round_trip(const bench_forecaster *forecaster, const char *const *settings, size_t count,
                       const char *name)
{
    bench_model *model = fitted(forecaster, settings, count);
    double before[SERIES * HORIZON], after[SERIES * HORIZON];
    predict_at_200(forecaster, model, before);
    char path[512];
    snprintf(path, sizeof path, "%s/%s", test_scratch, name);
    bench_error error = {0};
    if (forecaster->save(model, path, &error) != BENCH_OK)
        fail_msg("save: %s", error.message);
    /* Saving again replaces the earlier model. */
    if (forecaster->save(model, path, &error) != BENCH_OK)
        fail_msg("save again: %s", error.message);
    bench_owned_params params;
    assert_int_equal(resolve(&params, forecaster, settings, count, &error), BENCH_OK);
    bench_model *loaded = NULL;
    if (forecaster->load(&loaded, path, &params.view, &task, &error) != BENCH_OK)
        fail_msg("load: %s", error.message);
    assert_int_equal(bench_gbrt_booster_count(loaded), bench_gbrt_booster_count(model));
    predict_at_200(forecaster, loaded, after);
    assert_memory_equal(before, after, sizeof before);
    bench_owned_params_free(&params);
    forecaster->destroy(model);
    forecaster->destroy(loaded);
}

static void saved_and_loaded_predictions_equal_the_original(void **state)
{
    (void)state;
    round_trip(&bench_forecaster_gbrt, small, 3, "exact");
    const char *const hist[] = {"n_estimators=30", "max_depth=3", "tree_method=hist", "subsample=0.8"};
    round_trip(&bench_forecaster_gbrt, hist, 4, "hist");
    round_trip(&bench_forecaster_gbrt_naive, small, 3, "naive");
}

static void gbrt_naive_is_one_pointwise_booster(void **state)
{
    (void)state;
    bench_model *model = fitted(&bench_forecaster_gbrt_naive, small, 3);
    assert_int_equal(bench_gbrt_booster_count(model), 1);
    assert_int_equal(bench_gbrt_feature_count(model), COVARIATES);
    double prediction[SERIES * HORIZON];
    predict_at_200(&bench_forecaster_gbrt_naive, model, prediction);
    for (size_t i = 0; i < SERIES * HORIZON; i++)
        assert_true(isfinite(prediction[i]));
    /* Same covariates (all series share the calendar) → same forecast per series. */
    assert_true(prediction[0] == prediction[HORIZON]);
    bench_forecaster_gbrt_naive.destroy(model);
}

/* With 2 threads, hist trains the h boosters side by side on a team, each with
 * one XGBoost thread and its own matrices; the boosters (rounds kept by early
 * stopping, forecasts) are those trained one after another with 1 thread, and
 * exact, which keeps one booster at a time, agrees across thread counts too. */
static void boosters_side_by_side_equal_boosters_in_turn(void **state)
{
    (void)state;
    const char *methods[] = {"tree_method=hist", "tree_method=exact"};
    for (int m = 0; m < 2; m++) {
        const char *settings[] = {"n_estimators=40", "max_depth=3", "eta=0.3", "early_stopping_rounds=5",
                                  methods[m]};
        task.threads = 1;
        bench_model *one = fitted(&bench_forecaster_gbrt, settings, 5);
        task.threads = 2;
        bench_model *other = fitted(&bench_forecaster_gbrt, settings, 5);
        task.threads = 1;
        double a[SERIES * HORIZON], b[SERIES * HORIZON];
        predict_at_200(&bench_forecaster_gbrt, one, a);
        predict_at_200(&bench_forecaster_gbrt, other, b);
        for (size_t k = 0; k < HORIZON; k++)
            assert_int_equal(bench_gbrt_booster_rounds(one, k), bench_gbrt_booster_rounds(other, k));
        assert_memory_equal(a, b, sizeof a);
        bench_forecaster_gbrt.destroy(one);
        bench_forecaster_gbrt.destroy(other);
    }
}

static void early_stopping_keeps_the_best_round(void **state)
{
    (void)state;
    const char *const settings[] = {"n_estimators=400", "eta=0.8", "max_depth=6", "early_stopping_rounds=3"};
    bench_model *model = fitted(&bench_forecaster_gbrt, settings, 4);
    for (size_t k = 0; k < HORIZON; k++) {
        long rounds = bench_gbrt_booster_rounds(model, k);
        if (rounds < 1 || rounds >= 400)
            fail_msg("booster %zu kept %ld rounds; early stopping should cut well before 400", k, rounds);
    }
    bench_forecaster_gbrt.destroy(model);
}

/* Fails the test unless status is BENCH_BAD_INPUT with a message mentioning needle. */
static void expect_bad_input(int status, const bench_error *error, const char *needle)
{
    if (status != BENCH_BAD_INPUT || strstr(error->message, needle) == NULL)
        fail_msg("expected BAD_INPUT mentioning \"%s\", got %s: %s", needle, bench_status_name(status),
                 error->message);
}

static void expect_create_failure(const char *const *settings, size_t count, const bench_task_info *info,
                                  const char *needle)
{
    bench_owned_params params;
    bench_error error = {0};
    bench_model *model = NULL;
    int status = resolve(&params, &bench_forecaster_gbrt, settings, count, &error);
    if (status == BENCH_OK)
        status = bench_forecaster_gbrt.create(&model, &params.view, info, &error);
    bench_owned_params_free(&params);
    assert_null(model);
    expect_bad_input(status, &error, needle);
}

static void bad_parameters_fail_before_any_output(void **state)
{
    (void)state;
    expect_create_failure((const char *const[]){"learning_rate=0.1"}, 1, &task, "unknown parameter 'learning_rate'");
    expect_create_failure((const char *const[]){"eta=2"}, 1, &task, "'eta': 2 is outside (0, 1]");
    expect_create_failure((const char *const[]){"eta=fast"}, 1, &task, "neither auto nor a number");
    expect_create_failure((const char *const[]){"n_estimators=0"}, 1, &task, "'n_estimators': 0 is outside");
    expect_create_failure((const char *const[]){"tree_method=approx"}, 1, &task, "tree_method");
    expect_create_failure((const char *const[]){"preset=m4"}, 1, &task, "preset");
    /* Accepted by bench's schema, rejected by XGBoost at its first update. */
    expect_create_failure((const char *const[]){"max_depth=0", "tree_method=exact"}, 2, &task,
                          "exact tree method doesn't support unlimited depth");
    bench_task_info no_horizon = task;
    no_horizon.horizon = 0;
    expect_create_failure(NULL, 0, &no_horizon, "horizon must be at least 1");
    bench_task_info no_lookback = task;
    no_lookback.lookback = 0;
    expect_create_failure(NULL, 0, &no_lookback, "no lookback");
}

static void window_longer_than_a_series_fails_in_fit(void **state)
{
    (void)state;
    bench_owned_params params;
    bench_error error = {0};
    bench_model *model = NULL;
    assert_int_equal(resolve(&params, &bench_forecaster_gbrt, (const char *const[]){"window=198"}, 1, &error),
                     BENCH_OK);
    assert_int_equal(bench_forecaster_gbrt.create(&model, &params.view, &task, &error), BENCH_OK);
    assert_int_equal(bench_forecaster_gbrt.fit(model, &train, NULL, &error), BENCH_BAD_INPUT);
    assert_non_null(strstr(error.message, "series 'a'"));
    assert_non_null(strstr(error.message, "shorter than window + horizon = 198 + 4"));
    bench_owned_params_free(&params);
    bench_forecaster_gbrt.destroy(model);
}

static void expect_load_failure(const char *path, const bench_task_info *info, const char *needle)
{
    bench_owned_params params;
    bench_error error = {0};
    bench_model *model = (bench_model *)&error; /* must come back NULL */
    assert_int_equal(resolve(&params, &bench_forecaster_gbrt, small, 3, &error), BENCH_OK);
    int status = bench_forecaster_gbrt.load(&model, path, &params.view, info, &error);
    bench_owned_params_free(&params);
    assert_null(model);
    expect_bad_input(status, &error, needle);
}

static void damaged_model_files_are_refused(void **state)
{
    (void)state;
    bench_model *model = fitted(&bench_forecaster_gbrt, small, 3);
    char path[512], file[576];
    snprintf(path, sizeof path, "%s/damaged", test_scratch);
    bench_error error = {0};
    assert_int_equal(bench_forecaster_gbrt.save(model, path, &error), BENCH_OK);
    bench_forecaster_gbrt.destroy(model);

    bench_task_info other_horizon = task;
    other_horizon.horizon = HORIZON + 1;
    expect_load_failure(path, &other_horizon, "horizon");

    /* Altered: one byte flipped in the middle of booster 2. */
    snprintf(file, sizeof file, "%s/booster-002.ubj", path);
    FILE *stream = fopen(file, "r+b");
    assert_non_null(stream);
    fseek(stream, 0, SEEK_END);
    long size = ftell(stream);
    fseek(stream, size / 2, SEEK_SET);
    int byte = fgetc(stream);
    fseek(stream, size / 2, SEEK_SET);
    fputc(byte ^ 0x5a, stream);
    fclose(stream);
    expect_load_failure(path, &task, "booster-002.ubj: sha256");

    /* Truncated. */
    assert_int_equal(truncate(file, size / 3), 0);
    expect_load_failure(path, &task, "truncated");

    /* Missing booster, then missing manifest. */
    assert_int_equal(unlink(file), 0);
    expect_load_failure(path, &task, "booster-002.ubj: cannot open");
    snprintf(file, sizeof file, "%s/manifest.json", path);
    assert_int_equal(unlink(file), 0);
    expect_load_failure(path, &task, "manifest.json is missing");

    /* A directory that is not a saved model is never replaced. */
    model = fitted(&bench_forecaster_gbrt, small, 3);
    assert_int_equal(bench_forecaster_gbrt.save(model, test_scratch, &error), BENCH_BAD_INPUT);
    assert_non_null(strstr(error.message, "not a saved bench model"));
    bench_forecaster_gbrt.destroy(model);
}

TEST_MAIN("gbrt_model", setup, test_scratch_teardown,
          cmocka_unit_test(h_boosters_and_sane_forecasts),
          cmocka_unit_test(saved_and_loaded_predictions_equal_the_original),
          cmocka_unit_test(gbrt_naive_is_one_pointwise_booster),
          cmocka_unit_test(early_stopping_keeps_the_best_round),
          cmocka_unit_test(boosters_side_by_side_equal_boosters_in_turn),
          cmocka_unit_test(bad_parameters_fail_before_any_output),
          cmocka_unit_test(window_longer_than_a_series_fails_in_fit),
          cmocka_unit_test(damaged_model_files_are_refused))
