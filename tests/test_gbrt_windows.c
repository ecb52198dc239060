/* Window features on a tiny hand-made pair of series: exact feature rows and
 * labels for covariates = last | all | none, the point-wise layout, validation
 * windows, prediction rows, the shuffle (a seeded permutation of the same rows),
 * and the bad inputs (w or h <= 0, w + h longer than a series, no covariates). */
#include <setjmp.h>
#include <stdarg.h>
#include <stddef.h>
#include <stdint.h>
#include <cmocka.h>
#include <stdlib.h>
#include <string.h>

#include "forecasters/window_features.h"
#include "support_cmocka.h"

/* Series A: 10..16 (7 steps), covariates (100 + t, 200 + t); series B: 20..25
 * (6 steps), covariates (300 + t, 400 + t). */
static double values_a[7] = {10, 11, 12, 13, 14, 15, 16};
static double values_b[6] = {20, 21, 22, 23, 24, 25};
static float covariates_a[7 * 2], covariates_b[6 * 2];
static bench_series_view views[2];
static bench_train_view train = {.series_count = 2, .series = views};

static int setup(void **state)
{
    (void)state;
    for (int t = 0; t < 7; t++) {
        covariates_a[2 * t] = 100.0f + t;
        covariates_a[2 * t + 1] = 200.0f + t;
    }
    for (int t = 0; t < 6; t++) {
        covariates_b[2 * t] = 300.0f + t;
        covariates_b[2 * t + 1] = 400.0f + t;
    }
    views[0] = (bench_series_view){.name = "A", .length = 7, .train_length = 7, .values = values_a,
                                   .covariates = covariates_a};
    views[1] = (bench_series_view){.name = "B", .length = 6, .train_length = 6, .values = values_b,
                                   .covariates = covariates_b};
    return 0;
}

/* Builds the training set in time order (rng NULL) and compares with expected rows. */
static void check_training(bench_window_covariates mode, size_t feature_count, const float *expected_features,
                           const float *expected_labels /* (rows × h) */, size_t rows)
{
    bench_window_layout layout;
    bench_error error = {0};
    assert_int_equal(bench_window_layout_init(&layout, 3, 2, 2, mode, &error), BENCH_OK);
    assert_int_equal(layout.feature_count, feature_count);
    bench_window_plan plan;
    assert_int_equal(bench_window_plan_training(&plan, &layout, &train, NULL, &error), BENCH_OK);
    assert_int_equal(plan.count, rows);
    float features[5 * 9], labels[5];
    bench_window_fill_features(features, &layout, &train, &plan);
    for (size_t i = 0; i < rows * feature_count; i++)
        if (features[i] != expected_features[i])
            fail_msg("mode %s: feature row %zu column %zu is %g, expected %g", bench_window_covariates_name(mode),
                     i / feature_count, i % feature_count, features[i], expected_features[i]);
    for (size_t step = 0; step < 2; step++) {
        bench_window_fill_labels(labels, &layout, &train, &plan, step);
        for (size_t r = 0; r < rows; r++)
            if (labels[r] != expected_labels[r * 2 + step])
                fail_msg("label row %zu step %zu is %g, expected %g", r, step, labels[r],
                         expected_labels[r * 2 + step]);
    }
    bench_window_plan_free(&plan);
}

/* Windows (w = 3, h = 2): A at origins t = 2, 3, 4; B at t = 2, 3. */
static const float labels_expected[5 * 2] = {13, 14, 14, 15, 15, 16, 23, 24, 24, 25};

static void covariates_last_is_the_papers_layout(void **state)
{
    (void)state;
    const float rows[5 * 5] = {
        10, 11, 12, 102, 202, /* y[t-2..t], x[t] */
        11, 12, 13, 103, 203, /**/
        12, 13, 14, 104, 204, /**/
        20, 21, 22, 302, 402, /**/
        21, 22, 23, 303, 403,
    };
    check_training(BENCH_WINDOW_COVARIATES_LAST, 5, rows, labels_expected, 5);
}

static void covariates_all_appends_every_step_oldest_first(void **state)
{
    (void)state;
    const float rows[5 * 9] = {
        10, 11, 12, 100, 200, 101, 201, 102, 202, /**/
        11, 12, 13, 101, 201, 102, 202, 103, 203, /**/
        12, 13, 14, 102, 202, 103, 203, 104, 204, /**/
        20, 21, 22, 300, 400, 301, 401, 302, 402, /**/
        21, 22, 23, 301, 401, 302, 402, 303, 403,
    };
    check_training(BENCH_WINDOW_COVARIATES_ALL, 9, rows, labels_expected, 5);
}

static void covariates_none_keeps_only_targets(void **state)
{
    (void)state;
    const float rows[5 * 3] = {10, 11, 12, 11, 12, 13, 12, 13, 14, 20, 21, 22, 21, 22, 23};
    check_training(BENCH_WINDOW_COVARIATES_NONE, 3, rows, labels_expected, 5);
}

static void shuffle_is_a_seeded_permutation(void **state)
{
    (void)state;
    bench_window_layout layout;
    bench_window_plan ordered, shuffled, again;
    bench_rng rng;
    assert_int_equal(bench_window_layout_init(&layout, 3, 2, 2, BENCH_WINDOW_COVARIATES_LAST, NULL), BENCH_OK);
    assert_int_equal(bench_window_plan_training(&ordered, &layout, &train, NULL, NULL), BENCH_OK);
    bench_rng_seed(&rng, 11);
    assert_int_equal(bench_window_plan_training(&shuffled, &layout, &train, &rng, NULL), BENCH_OK);
    bench_rng_seed(&rng, 11);
    assert_int_equal(bench_window_plan_training(&again, &layout, &train, &rng, NULL), BENCH_OK);
    assert_memory_equal(shuffled.origins, again.origins, shuffled.count * sizeof *shuffled.origins);
    int moved = 0;
    for (size_t i = 0; i < ordered.count; i++) {
        int found = 0;
        for (size_t j = 0; j < shuffled.count; j++)
            found += shuffled.origins[j] == ordered.origins[i];
        assert_int_equal(found, 1);
        moved |= shuffled.origins[i] != ordered.origins[i];
    }
    assert_true(moved);
    /* A shuffled row still carries its own labels. */
    float features[5 * 5], labels[5];
    bench_window_fill_features(features, &layout, &train, &shuffled);
    bench_window_fill_labels(labels, &layout, &train, &shuffled, 1);
    for (size_t r = 0; r < 5; r++)
        assert_true(labels[r] == features[r * 5 + 2] + 2.0f); /* series are +1 per step */
    bench_window_plan_free(&ordered);
    bench_window_plan_free(&shuffled);
    bench_window_plan_free(&again);
}

static void validation_windows_have_labels_past_the_training_part(void **state)
{
    (void)state;
    views[0].train_length = 5; /* A: labels at steps 5, 6 are validation */
    bench_window_layout layout;
    bench_window_plan training, validation;
    assert_int_equal(bench_window_layout_init(&layout, 3, 2, 2, BENCH_WINDOW_COVARIATES_NONE, NULL), BENCH_OK);
    assert_int_equal(bench_window_plan_training(&training, &layout, &train, NULL, NULL), BENCH_OK);
    assert_int_equal(training.count, 1 + 2); /* A: t = 2 only; B: t = 2, 3 */
    assert_int_equal(bench_window_plan_validation(&validation, &layout, &train, NULL), BENCH_OK);
    assert_int_equal(validation.count, 1); /* A: t = 4 (inputs 12 13 14, labels 15 16) */
    float features[3], labels[1];
    bench_window_fill_features(features, &layout, &train, &validation);
    bench_window_fill_labels(labels, &layout, &train, &validation, 1);
    assert_true(features[0] == 12 && features[2] == 14 && labels[0] == 16);
    bench_window_plan_free(&training);
    bench_window_plan_free(&validation);
    views[0].train_length = 7;
}

static void pointwise_rows_are_concurrent_covariates(void **state)
{
    (void)state;
    bench_window_layout layout;
    bench_window_plan plan;
    bench_error error = {0};
    assert_int_equal(bench_window_layout_pointwise(&layout, 0, &error), BENCH_BAD_INPUT);
    assert_int_equal(bench_window_layout_pointwise(&layout, 2, &error), BENCH_OK);
    assert_int_equal(bench_window_plan_training(&plan, &layout, &train, NULL, &error), BENCH_OK);
    assert_int_equal(plan.count, 13);
    float features[13 * 2], labels[13];
    bench_window_fill_features(features, &layout, &train, &plan);
    bench_window_fill_labels(labels, &layout, &train, &plan, 0);
    assert_true(features[0] == 100 && features[1] == 200 && labels[0] == 10);
    assert_true(features[2 * 8] == 301 && features[2 * 8 + 1] == 401 && labels[8] == 21);
    bench_window_plan_free(&plan);
    /* Prediction: one row per forecast step, covariates of that step. */
    bench_forecast_window window = {.history_length = 4, .history = values_a, .covariates = covariates_a};
    bench_forecast_request request = {.horizon = 3, .window_count = 1, .windows = &window};
    assert_int_equal(bench_window_request_rows(&layout, &request), 3);
    float rows[3 * 2];
    assert_int_equal(bench_window_fill_request(rows, &layout, &request, &error), BENCH_OK);
    assert_true(rows[0] == 104 && rows[1] == 204 && rows[4] == 106 && rows[5] == 206);
}

static void prediction_rows_end_at_the_last_history_step(void **state)
{
    (void)state;
    bench_window_layout layout;
    bench_error error = {0};
    assert_int_equal(bench_window_layout_init(&layout, 3, 2, 2, BENCH_WINDOW_COVARIATES_LAST, &error), BENCH_OK);
    bench_forecast_window windows[2] = {
        {.series_index = 0, .history_length = 5, .history = values_a, .covariates = covariates_a},
        {.series_index = 1, .history_length = 3, .history = values_b, .covariates = covariates_b},
    };
    bench_forecast_request request = {.horizon = 2, .window_count = 2, .windows = windows};
    float rows[2 * 5];
    assert_int_equal(bench_window_fill_request(rows, &layout, &request, &error), BENCH_OK);
    const float expected[2 * 5] = {12, 13, 14, 104, 204, 20, 21, 22, 302, 402};
    assert_memory_equal(rows, expected, sizeof expected);
    windows[1].history_length = 2;
    assert_int_equal(bench_window_fill_request(rows, &layout, &request, &error), BENCH_BAD_INPUT);
    assert_non_null(strstr(error.message, "2 history steps"));
    request.horizon = 3;
    assert_int_equal(bench_window_fill_request(rows, &layout, &request, &error), BENCH_BAD_INPUT);
    assert_non_null(strstr(error.message, "horizon"));
}

static void bad_inputs_are_named(void **state)
{
    (void)state;
    bench_window_layout layout;
    bench_window_plan plan;
    bench_error error = {0};
    assert_int_equal(bench_window_layout_init(&layout, 0, 2, 0, BENCH_WINDOW_COVARIATES_LAST, &error),
                     BENCH_BAD_INPUT);
    assert_non_null(strstr(error.message, "window must be at least 1"));
    assert_int_equal(bench_window_layout_init(&layout, 3, -1, 0, BENCH_WINDOW_COVARIATES_LAST, &error),
                     BENCH_BAD_INPUT);
    assert_non_null(strstr(error.message, "horizon must be at least 1, got -1"));
    bench_window_covariates mode;
    assert_int_equal(bench_window_parse_covariates("first", &mode, &error), BENCH_BAD_INPUT);
    /* w + h = 5 + 2 > 6 steps of series B. */
    assert_int_equal(bench_window_layout_init(&layout, 5, 2, 2, BENCH_WINDOW_COVARIATES_LAST, &error), BENCH_OK);
    assert_int_equal(bench_window_plan_training(&plan, &layout, &train, NULL, &error), BENCH_BAD_INPUT);
    assert_non_null(strstr(error.message, "series 'B'"));
    assert_non_null(strstr(error.message, "shorter than window + horizon"));
    /* Covariates required but absent. */
    views[1].covariates = NULL;
    assert_int_equal(bench_window_layout_init(&layout, 3, 2, 2, BENCH_WINDOW_COVARIATES_LAST, &error), BENCH_OK);
    assert_int_equal(bench_window_plan_training(&plan, &layout, &train, NULL, &error), BENCH_BAD_INPUT);
    assert_non_null(strstr(error.message, "no covariates"));
    views[1].covariates = covariates_b;
    bench_train_view empty = {0};
    assert_int_equal(bench_window_plan_training(&plan, &layout, &empty, NULL, &error), BENCH_BAD_INPUT);
}

TEST_MAIN("gbrt_windows", setup, NULL,
          cmocka_unit_test(covariates_last_is_the_papers_layout),
          cmocka_unit_test(covariates_all_appends_every_step_oldest_first),
          cmocka_unit_test(covariates_none_keeps_only_targets),
          cmocka_unit_test(shuffle_is_a_seeded_permutation),
          cmocka_unit_test(validation_windows_have_labels_past_the_training_part),
          cmocka_unit_test(pointwise_rows_are_concurrent_covariates),
          cmocka_unit_test(prediction_rows_end_at_the_last_history_step),
          cmocka_unit_test(bad_inputs_are_named))
