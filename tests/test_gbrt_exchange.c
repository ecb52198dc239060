/* The paper's headline number: GBRT(W-b) on Exchange-Rate with time covariates
 * (Elsayed et al. Table 3: RMSE 0.016, WAPE 0.013, MAE 0.010; Table 4: RSE 0.037,
 * CORR 0.999) reproduced within 10 % through the `paper` protocol (t' = 6,048,
 * τ = 1,488, w = h = 24, test stride 24, raw scale, covariates month, day,
 * day_of_week, day_of_year, week_of_year of synthetic daily dates from 1990-01-01)
 * and the exchange preset (eta 0.07, 80 rounds, depth 3, subsample and colsample
 * 0.97), exact tree method as in the paper's era.  Also the Table 2 setting
 * (no covariates: 0.017 / 0.013 / 0.010).  Needs exchange_rate.txt.gz on
 * BENCH_DATA_PATH; skips loudly without it. */
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
#include "bench/protocol.h"
#include "datasets/dataset.h"
#include "forecasters/gbrt.h"

static bench_dataset *exchange;

static int setup(void **state)
{
    (void)state;
    bench_error error = {0};
    if (bench_dataset_load(&exchange, "exchange_rate", &error) != BENCH_OK) {
        printf("SKIPPED: exchange_rate not loadable (BENCH_DATA_PATH=%s): %s\n",
               getenv("BENCH_DATA_PATH") ? getenv("BENCH_DATA_PATH") : "(unset)", error.message);
        exchange = NULL;
    }
    return 0;
}

static int teardown(void **state)
{
    (void)state;
    bench_dataset_free(exchange);
    return 0;
}

static int resolve(bench_owned_params *out, const bench_param_spec *spec, size_t spec_count,
                   const char *const *settings, size_t count, bench_error *error)
{
    bench_config_entry entries[16];
    char keys[16][64], texts[16][128];
    for (size_t i = 0; i < count; i++) {
        const char *equals = strchr(settings[i], '=');
        snprintf(keys[i], sizeof keys[i], "%.*s", (int)(equals - settings[i]), settings[i]);
        snprintf(texts[i], sizeof texts[i], "%s", equals + 1);
        entries[i] = (bench_config_entry){.key = keys[i], .value = texts[i], .line = i + 2};
    }
    bench_config_section section = {.kind = "test", .label = "", .line = 1, .entries = entries, .entry_count = count};
    return bench_resolve_params(out, spec, spec_count, &section, "test.ini", "test", error);
}

static double metric(const bench_task *task, const double *values, const char *name)
{
    for (size_t i = 0; i < task->metric_count; i++)
        if (strcmp(task->metric_names[i], name) == 0)
            return values[i];
    fail_msg("the paper protocol reports no %s", name);
    return NAN;
}

static void within(const char *what, double value, double paper)
{
    printf("  %-14s %.5f   paper %.3f   (%+.1f %%)\n", what, value, paper, 100.0 * (value - paper) / paper);
    if (!(fabs(value - paper) <= 0.10 * paper))
        fail_msg("%s = %.5f is not within 10 %% of the paper's %.3f", what, value, paper);
}

static void run_exchange(const char *covariates, const char *tree_method, double rmse, double wape, double mae,
                         int table4)
{
    if (exchange == NULL)
        skip();
    const char *const settings[] = {"window=24", covariates, "start_date=1990-01-01"};
    bench_owned_params protocol_settings, model_params;
    bench_error error = {0};
    bench_task *task = NULL;
    if (resolve(&protocol_settings, bench_protocol_paper.params, bench_protocol_paper.param_count, settings, 3,
                &error) != BENCH_OK ||
        bench_protocol_paper.prepare(&task, exchange, &protocol_settings.view, 24, BENCH_STAGE_TEST, &error) !=
            BENCH_OK)
        fail_msg("paper protocol: %s", error.message);
    assert_int_equal(task->request.window_count, 8 * 62); /* 8 series × 62 windows of 24 */
    assert_int_equal(task->train.series[0].train_length, 6048);
    task->info.threads = 1;
    const char *const model_settings[] = {"preset=exchange", tree_method};
    bench_model *model = NULL;
    if (resolve(&model_params, bench_forecaster_gbrt.params, bench_forecaster_gbrt.param_count, model_settings, 2,
                &error) != BENCH_OK ||
        bench_forecaster_gbrt.create(&model, &model_params.view, &task->info, &error) != BENCH_OK)
        fail_msg("gbrt: %s", error.message);
    bench_rng rng;
    bench_rng_seed(&rng, 42);
    if (bench_forecaster_gbrt.fit(model, &task->train, &rng, &error) != BENCH_OK)
        fail_msg("fit: %s", error.message);
    assert_int_equal(bench_gbrt_booster_count(model), 24);
    double *prediction = malloc(task->request.window_count * 24 * sizeof *prediction);
    double values[BENCH_TASK_MAX_METRICS];
    assert_non_null(prediction);
    if (bench_forecaster_gbrt.predict(model, &task->request, &rng, prediction, &error) != BENCH_OK ||
        bench_protocol_paper.evaluate(task, prediction, values, &error) != BENCH_OK)
        fail_msg("predict/evaluate: %s", error.message);
    printf("Exchange-Rate, gbrt preset=exchange, %s, %s:\n", tree_method, covariates);
    within("RMSE", metric(task, values, "rmse"), rmse);
    within("WAPE", metric(task, values, "wape"), wape);
    within("MAE", metric(task, values, "mae"), mae);
    if (table4) {
        within("RSE", metric(task, values, "rse"), 0.037);
        within("CORR(horizon)", metric(task, values, "corr_horizon"), 0.999);
    }
    free(prediction);
    bench_forecaster_gbrt.destroy(model);
    bench_task_free(task);
    bench_owned_params_free(&protocol_settings);
    bench_owned_params_free(&model_params);
}

static int slow_enabled(const char *what)
{
    if (getenv("BENCH_SLOW") != NULL && strcmp(getenv("BENCH_SLOW"), "1") == 0)
        return 1;
    printf("SKIPPED: %s runs only with BENCH_SLOW=1 (minutes of exact-method boosting)\n", what);
    return 0;
}

#define TIME_COVARIATES "covariates=month,day,day_of_week,day_of_year,week_of_year"

/* Only with BENCH_SLOW=1: the exact tree method boosts 24 × 80 trees over 48,008
 * rows in about 2.5 CPU minutes.  (tree_method=hist with 256 bins is ~8x faster
 * but lands at RMSE 0.0184, +15 %: too coarse for exchange rates.) */
static void table3_with_time_covariates_exact(void **state)
{
    (void)state;
    if (!slow_enabled("Table 3 with the exact tree method"))
        skip();
    run_exchange(TIME_COVARIATES, "tree_method=exact", 0.016, 0.013, 0.010, 1);
}

static void table2_without_covariates(void **state)
{
    (void)state;
    if (!slow_enabled("Table 2 (no covariates, exact)"))
        skip();
    run_exchange("covariates=none", "tree_method=exact", 0.017, 0.013, 0.010, 0);
}

int main(void)
{
    const struct CMUnitTest tests[] = {
        cmocka_unit_test(table3_with_time_covariates_exact),
        cmocka_unit_test(table2_without_covariates),
    };
    return cmocka_run_group_tests(tests, setup, teardown);
}
