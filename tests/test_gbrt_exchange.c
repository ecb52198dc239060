/* The paper's headline number: GBRT(W-b) on Exchange-Rate with time covariates
 * (Elsayed et al. Table 3: RMSE 0.016, WAPE 0.013, MAE 0.010; Table 4: RSE 0.037,
 * CORR 0.999) reproduced within 10 % through the `paper` protocol (t' = 6,048,
 * τ = 1,488, w = h = 24, test stride 24, raw scale, covariates month, day,
 * day_of_week, day_of_year, week_of_year of synthetic daily dates from 1990-01-01)
 * and the exchange preset (eta 0.07, 80 rounds, depth 3, subsample and colsample
 * 0.97), exact tree method as in the paper's era.  Also the Table 2 setting
 * (no covariates: 0.017 / 0.013 / 0.010), and the acceptance command itself,
 * `bench run configs/paper-exchange.ini`, checked from its results.csv.  All three
 * only with BENCH_SLOW=1 (about 2.8 CPU minutes per exact-method GBRT fit).  Needs
 * exchange_rate.txt.gz on BENCH_DATA_PATH; skips loudly without it. */
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
#include "tests/support_process.h"
#include "bench/protocol.h"
#include "datasets/dataset.h"
#include "forecasters/gbrt.h"
#include "support_params.h"
#include "support_files.h"
#include "support_cmocka.h"

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

/* Fits and scores one GBRT(W-b) setting; found[3] (may be NULL) receives its RMSE, WAPE and MAE. */
static void run_exchange(const char *covariates, const char *tree_method, const char *max_bin, double rmse,
                         double wape, double mae, int table4, double found[3])
{
    if (exchange == NULL)
        skip();
    const char *const settings[] = {"window=24", covariates, "start_date=1990-01-01"};
    bench_owned_params protocol_settings, model_params;
    bench_error error = {0};
    bench_task *task = NULL;
    if (test_resolve_settings(&protocol_settings, bench_protocol_paper.params, bench_protocol_paper.param_count,
                              "paper", settings, 3, &error) != BENCH_OK ||
        bench_protocol_paper.prepare(&task, exchange, &protocol_settings.view, 24, BENCH_STAGE_TEST, &error) !=
            BENCH_OK)
        fail_msg("paper protocol: %s", error.message);
    assert_int_equal(task->request.window_count, 8 * 62); /* 8 series × 62 windows of 24 */
    assert_int_equal(task->train.series[0].train_length, 6048);
    task->info.threads = 1;
    const char *const model_settings[] = {"preset=exchange", tree_method, max_bin};
    bench_model *model = NULL;
    if (test_resolve_settings(&model_params, bench_forecaster_gbrt.params, bench_forecaster_gbrt.param_count, "gbrt",
                              model_settings, max_bin ? 3 : 2, &error) != BENCH_OK ||
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
    printf("Exchange-Rate, gbrt preset=exchange, %s %s, %s:\n", tree_method, max_bin ? max_bin : "", covariates);
    if (found != NULL) {
        found[0] = metric(task, values, "rmse");
        found[1] = metric(task, values, "wape");
        found[2] = metric(task, values, "mae");
    }
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

/* The exact tree method boosts 24 × 80 trees over 48,008 rows in about 2.5 CPU
 * minutes.  (tree_method=hist with 256 bins is ~8x faster but lands at RMSE
 * 0.0184, +15 %: too coarse for exchange rates; 4096 bins are not.) */
static void table3_with_time_covariates_exact(void **state)
{
    (void)state;
    /* The acceptance bound of the paper's headline row runs in every normal
     * `make check` (~3 CPU minutes); the sanitized pass, where it would take
     * several times that, leaves it to the normal one. */
    const char *slow = getenv("BENCH_SLOW");
    if (getenv("BENCH_SANITIZED") != NULL && !(slow != NULL && strcmp(slow, "1") == 0)) {
        printf("SKIPPED: Table 3 runs in the unsanitized pass of make check (or here with BENCH_SLOW=1)\n");
        skip();
    }
    double exact[3], hist[3];
    run_exchange(TIME_COVARIATES, "tree_method=exact", NULL, 0.016, 0.013, 0.010, 1, exact);
    /* The same model on 4096-bin histograms (gbrt_hist of configs/paper-exchange.ini,
     * about a fifth of the time): within 3 % of the exact trees on each metric. */
    run_exchange(TIME_COVARIATES, "tree_method=hist", "max_bin=4096", 0.016, 0.013, 0.010, 0, hist);
    const char *names[3] = {"RMSE", "WAPE", "MAE"};
    for (int i = 0; i < 3; i++) {
        printf("  hist/exact %-5s %+.2f %%\n", names[i], 100.0 * (hist[i] - exact[i]) / exact[i]);
        if (!(fabs(hist[i] - exact[i]) <= 0.03 * exact[i]))
            fail_msg("hist (4096 bins) %s %.5f is not within 3 %% of exact %.5f", names[i], hist[i], exact[i]);
    }
}

static void table2_without_covariates(void **state)
{
    (void)state;
    if (!slow_enabled("Table 2 (no covariates, exact)"))
        skip();
    run_exchange("covariates=none", "tree_method=exact", NULL, 0.017, 0.013, 0.010, 0, NULL);
}

/* One value of results.csv (cell columns cell_id,task,dataset,protocol,model,
 * variant,horizon,seed,metric,value,status); NAN when absent or not ok. */
static double result_value(const char *results, const char *variant, const char *metric)
{
    char needle[160];
    snprintf(needle, sizeof needle, ",%s,24,1,%s,", variant, metric);
    const char *row = strstr(results, needle);
    if (row == NULL)
        return NAN;
    const char *value = row + strlen(needle);
    char *end;
    double parsed = strtod(value, &end);
    return end != value && strncmp(end, ",ok", 3) == 0 ? parsed : NAN;
}

/* The acceptance run itself: `bench run configs/paper-exchange.ini` (both GBRT(W-b)
 * variants, exact trees: ~6 CPU minutes). */
static void check_paper_results(const char *results)
{
    printf("bench run configs/paper-exchange.ini, gbrt_wb (Table 3/4):\n");
    within("RMSE", result_value(results, "gbrt_wb", "rmse"), 0.016);
    within("WAPE", result_value(results, "gbrt_wb", "wape"), 0.013);
    within("MAE", result_value(results, "gbrt_wb", "mae"), 0.010);
    within("RSE", result_value(results, "gbrt_wb", "rse"), 0.037);
    within("CORR(horizon)", result_value(results, "gbrt_wb", "corr_horizon"), 0.999);
    const char *metrics[3] = {"rmse", "wape", "mae"};
    for (int i = 0; i < 3; i++) {
        double exact = result_value(results, "gbrt_wb", metrics[i]), hist = result_value(results, "gbrt_hist", metrics[i]);
        printf("  gbrt_hist %-5s %.5f (%+.2f %% of exact)\n", metrics[i], hist, 100.0 * (hist - exact) / exact);
        if (!(fabs(hist - exact) <= 0.03 * exact))
            fail_msg("gbrt_hist %s %.5f is not within 3 %% of gbrt_wb's %.5f", metrics[i], hist, exact);
    }
    printf("gbrt_wb_nocov (Table 2):\n");
    within("RMSE", result_value(results, "gbrt_wb_nocov", "rmse"), 0.017);
    within("WAPE", result_value(results, "gbrt_wb_nocov", "wape"), 0.013);
    within("MAE", result_value(results, "gbrt_wb_nocov", "mae"), 0.010);
}

static void paper_exchange_config_through_the_binary(void **state)
{
    (void)state;
    if (exchange == NULL || !slow_enabled("bench run configs/paper-exchange.ini"))
        skip();
    char config[4200], out[4200];
    snprintf(config, sizeof config, "%s/configs/paper-exchange.ini", test_source_dir());
    snprintf(out, sizeof out, "%s/paper-exchange", test_temp_dir());
    const char *const argv[] = {test_bench_binary(), "run", config, "--out", out, "--quiet", NULL};
    test_process_result result;
    assert_int_equal(test_process_run(&result, argv, NULL, NULL), 0);
    if (result.exit_code != 0)
        fail_msg("bench run exited %d: %s", result.exit_code, result.err);
    test_process_free(&result);
    char path[4300];
    snprintf(path, sizeof path, "%s/results.csv", out);
    char *results = test_slurp(path);
    check_paper_results(results);
    free(results);
}

TEST_MAIN("gbrt_exchange", setup, teardown,
          cmocka_unit_test(table3_with_time_covariates_exact),
          cmocka_unit_test(table2_without_covariates),
          cmocka_unit_test(paper_exchange_config_through_the_binary))
