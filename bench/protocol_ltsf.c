/* Protocol `ltsf` (version 1): the long-horizon protocol of the Time-Series-Library
 * (thuml/Time-Series-Library, data_provider/data_loader.py) that DLinear, PatchTST
 * and most LTSF tables use.
 *
 * - Borders (`borders`): ett_hourly = 12/4/4 months of 30 days (train [0, 8640),
 *   val [8640, 11520), test [11520, 14400); rows after 14,400 unused), ett_minute
 *   the same × 4, ratio = 70/10/20 (train ⌊0.7 n⌋, test ⌊0.2 n⌋, validation the
 *   rest).  `auto` (the default) is ett_hourly for the registered datasets ETTh1
 *   and ETTh2 (by registry name: `[dataset ETTh1]` or `dataset = ETTh1`), ett_minute
 *   for registered ETTm*, and ratio for everything else — in particular for a file
 *   of your own (path = ...), whatever its label: a copy of ETTh1.csv read through
 *   `path` gets ETT borders only with `borders = ett_hourly`.  The resolved rule
 *   and row ranges are recorded per dataset and horizon in run.json.
 * - Z-score per channel with mean and population std of the training slice,
 *   applied to the whole series; metrics on that normalised scale (optionally
 *   also the original scale: raw_metrics = true adds mse_raw, mae_raw).
 * - Look-back L (96; ILI uses 36); validation and test inputs start L rows before
 *   their part, so only inputs overlap between splits.
 * - Every stride-1 test window (no drop_last): origins from the test start to the
 *   test end − H; ETTh1, L = 96, H = 96 gives 2,785 windows per channel.
 * - All channels forecast (the multivariate "M" setting); channel-independent
 *   models see each channel as a series.  `series` selects channels ("OT" = "S").
 * - MSE and MAE averaged over windows, steps and channels. */
#include <math.h>
#include <stdio.h>
#include <stdlib.h>
#include <string.h>

#include "bench/metrics.h"
#include "bench/protocol.h"

static const bench_param_spec ltsf_params[] = {
    {.name = "lookback", .type = BENCH_PARAM_INT, .default_value = "96",
     .doc = "input length L; validation and test inputs start L rows early", .minimum = 1, .maximum = 1e7},
    {.name = "borders", .type = BENCH_PARAM_STRING, .default_value = "auto",
     .doc = "auto (ett_hourly for the registered ETTh1/ETTh2, else ratio), ett_hourly (12/4/4 months), "
            "ett_minute (the same x4), or ratio (70/10/20)",
     .choices = "auto|ett_hourly|ett_minute|ratio"},
    {.name = "series", .type = BENCH_PARAM_STRING, .default_value = "all",
     .doc = "channels forecast: all, first:N, or a comma list of names (OT = univariate S setting)"},
    {.name = "raw_metrics", .type = BENCH_PARAM_BOOL, .default_value = "false",
     .doc = "also report MSE/MAE on the original scale (mse_raw, mae_raw)"},
    {.name = "covariates", .type = BENCH_PARAM_STRING, .default_value = "none",
     .doc = "calendar covariates (comma list) or none"},
};

static const char *const ltsf_metrics[] = {"mse", "mae", "mse_raw", "mae_raw"};

static size_t ltsf_default_horizons(const bench_dataset *dataset, size_t *horizons, size_t capacity)
{
    static const size_t standard[] = {96, 192, 336, 720}, illness[] = {24, 36, 48, 60};
    const size_t *chosen = strstr(dataset->name, "illness") != NULL ? illness : standard;
    size_t count = capacity < 4 ? capacity : 4;
    memcpy(horizons, chosen, count * sizeof *horizons);
    return count;
}

static int ltsf_prepare(bench_task **out, const bench_dataset *dataset, const bench_params *settings,
                        size_t horizon, bench_stage stage, bench_error *error)
{
    long lookback;
    int raw_metrics;
    const char *borders, *selection, *covariates;
    if (bench_params_get_int(settings, "lookback", &lookback, error) ||
        bench_params_get_string(settings, "borders", &borders, error) ||
        bench_params_get_string(settings, "series", &selection, error) ||
        bench_params_get_bool(settings, "raw_metrics", &raw_metrics, error) ||
        bench_params_get_string(settings, "covariates", &covariates, error))
        return error->code;
    if (!dataset->aligned)
        return BENCH_FAIL(error, BENCH_BAD_INPUT,
                          "%s: the ltsf protocol needs channels on one time axis; this dataset's series differ in "
                          "length%s",
                          dataset->name,
                          dataset->series_count && dataset->series[0].holdout_length
                              ? " (M4-style series with a predefined holdout: use protocol = m4)"
                              : "");
    size_t n = dataset->series_count ? dataset->series[0].length : 0;
    size_t L = (size_t)lookback, h = horizon;
    size_t train_end, val_end, test_end;
    /* auto keys on the registry name only: a user's file labelled ETTh-something
     * is not ETT data just because of its label (see the top of this file). */
    int automatic = !strcmp(borders, "auto") && dataset->registered;
    int ett_hourly = !strcmp(borders, "ett_hourly") || (automatic && !strncmp(dataset->name, "ETTh", 4));
    int ett_minute = !strcmp(borders, "ett_minute") || (automatic && !strncmp(dataset->name, "ETTm", 4));
    if (ett_hourly || ett_minute) {
        size_t scale = ett_minute ? 4 : 1;
        train_end = 12 * 30 * 24 * scale;
        val_end = train_end + 4 * 30 * 24 * scale;
        test_end = val_end + 4 * 30 * 24 * scale;
        if (test_end > n)
            return BENCH_FAIL(error, BENCH_BAD_INPUT, "%s: ETT borders need %zu rows, the data has %zu",
                              dataset->name, test_end, n);
    } else {
        train_end = (size_t)(0.7 * (double)n);
        size_t test_rows = (size_t)(0.2 * (double)n);
        val_end = n - test_rows;
        test_end = n;
    }
    size_t eval_start = stage == BENCH_STAGE_VALIDATION ? train_end : val_end;
    size_t eval_end = stage == BENCH_STAGE_VALIDATION ? val_end : test_end;
    if (eval_end - eval_start < h)
        return BENCH_FAIL(error, BENCH_BAD_INPUT, "%s: horizon %zu is longer than the %zu rows of the %s part",
                          dataset->name, h, eval_end - eval_start,
                          stage == BENCH_STAGE_VALIDATION ? "validation" : "test");
    if (train_end < L + h)
        return BENCH_FAIL(error, BENCH_BAD_INPUT, "%s: look-back %zu + horizon %zu exceed the %zu training rows",
                          dataset->name, L, h, train_end);

    size_t *indices = NULL, count = 0;
    if (bench_select_series(dataset, selection, &indices, &count, error) != BENCH_OK)
        return error->code;
    bench_task *task = bench_task_new(&bench_protocol_ltsf, dataset, h, indices, count);
    free(indices);
    if (task == NULL)
        return BENCH_FAIL(error, BENCH_NO_MEMORY, "%s: out of memory", dataset->name);
    task->info.lookback = L;
    snprintf(task->split_rule, sizeof task->split_rule, "%s", ett_hourly ? "ett_hourly" : ett_minute ? "ett_minute" : "ratio");
    task->train_end = train_end;
    task->validation_end = val_end;
    task->test_end = test_end;
    bench_task_set_metrics(task, ltsf_metrics, raw_metrics ? 4 : 2);
    bench_task_standardize(task, train_end);
    size_t per_series = eval_end - eval_start - h + 1;
    int status = bench_task_add_calendar(task, dataset, covariates, NULL, error);
    if (status == BENCH_OK)
        status = bench_task_alloc_windows(task, per_series * count, error);
    if (status != BENCH_OK) {
        bench_task_free(task);
        return status;
    }
    size_t w = 0;
    for (size_t s = 0; s < count; s++) {
        task->series_views[s].length = val_end;
        task->series_views[s].train_length = train_end;
        for (size_t origin = eval_start; origin + h <= eval_end; origin++)
            bench_task_set_window(task, w++, s, origin);
    }
    *out = task;
    return BENCH_OK;
}

static int ltsf_evaluate(const bench_task *task, const double *prediction, double *values, bench_error *error)
{
    size_t h = task->info.horizon, windows = task->request.window_count, n = windows * h;
    values[0] = bench_metric_mse(prediction, task->truth, n);
    values[1] = bench_metric_mae(prediction, task->truth, n);
    if (task->metric_count > 2) {
        double squared = 0.0, absolute = 0.0;
        for (size_t w = 0; w < windows; w++) {
            double std = task->scale_std[task->windows[w].series_index];
            for (size_t k = 0; k < h; k++) {
                double d = (prediction[w * h + k] - task->truth[w * h + k]) * std;
                squared += d * d;
                absolute += fabs(d);
            }
        }
        values[2] = n ? squared / (double)n : NAN;
        values[3] = n ? absolute / (double)n : NAN;
    }
    (void)error;
    return BENCH_OK;
}

BENCH_PROTOCOL(ltsf, 1,
               "TSLib long-horizon protocol: z-scored channels, ETT 12/4/4-month or 70/10/20 borders, every stride-1 test window");
