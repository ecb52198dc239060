/* Protocol `paper` (version 1): Elsayed et al., "Do We Really Need Deep Learning
 * Models for Time Series Forecasting?" (arXiv 2101.02118 v2) and its official scripts.
 *
 * - Split on the time axis: the first t' = train_rows values of each series train,
 *   the next τ = test_rows test.  Defaults follow the official Exchange/Solar cut:
 *   t' = ⌊0.8 n⌋ and τ = ⌊0.2 n⌋, each rounded down to a multiple of 2h
 *   (Exchange-Rate, n = 7,588, h = 24: t' = 6,048, τ = 1,488; the paper's T = 7,536).
 * - Training windows: every stride-1 window inside [0, t') of every series, pooled
 *   (the model builds them from the training view).
 * - Test windows: non-overlapping (stride h unless test_stride says otherwise),
 *   origins t', t' + h, …, while the target fits in [t', t' + τ); the first window's
 *   input starts w rows before the cut.  The model sees all history before an origin
 *   and uses its own window w (the `window` setting is the task's look-back).
 * - Targets stay on the raw scale; optional calendar covariates of each step are
 *   min-max scaled to [−0.5, 0.5] over the whole series, as the official code does.
 * - Metrics pooled over all test windows and series: RMSE, WAPE, MAE, MAPE, RSE,
 *   CORR per horizon column (the GBRT code's CORR) and per series (LSTNet's).
 * - Validation stage (tuning only): the last val_fraction of [0, t') is held out with
 *   the same window scheme; final models refit on all of [0, t').
 * - `series = first:N` keeps the first N series (the paper's 70 Electricity / 90
 *   Traffic). */
#include <math.h>
#include <stdio.h>
#include <stdlib.h>
#include <string.h>

#include "bench/metrics.h"
#include "bench/protocol.h"

static const bench_param_spec paper_params[] = {
    {.name = "window", .type = BENCH_PARAM_INT, .default_value = "24",
     .doc = "input window w (the task's look-back); test inputs start w rows before the cut",
     .minimum = 1, .maximum = 1e7},
    {.name = "train_rows", .type = BENCH_PARAM_INT, .default_value = "0",
     .doc = "t', rows used for training; 0 = floor(0.8 n) rounded down to a multiple of 2h",
     .minimum = 0, .maximum = 1e9},
    {.name = "test_rows", .type = BENCH_PARAM_INT, .default_value = "0",
     .doc = "tau, rows tested after t'; 0 = floor(0.2 n) rounded down to a multiple of 2h",
     .minimum = 0, .maximum = 1e9},
    {.name = "test_stride", .type = BENCH_PARAM_INT, .default_value = "0",
     .doc = "distance between test origins; 0 = the horizon (non-overlapping, as the paper)",
     .minimum = 0, .maximum = 1e7},
    {.name = "covariates", .type = BENCH_PARAM_STRING, .default_value = "none",
     .doc = "calendar covariates, comma list of month,day,hour,minute,day_of_week,day_of_year,week_of_year; or none"},
    {.name = "start_date", .type = BENCH_PARAM_STRING, .default_value = "",
     .doc = "synthetic first timestamp for data without dates (the official code uses 1990-01-01 for Exchange)"},
    {.name = "series", .type = BENCH_PARAM_STRING, .default_value = "all",
     .doc = "all, first:N (the first N series), or a comma list of series names"},
    {.name = "val_fraction", .type = BENCH_PARAM_REAL, .default_value = "0.2",
     .doc = "share of the training rows held out in the validation (tuning) stage",
     .minimum = 0.01, .maximum = 0.9},
};

static const char *const paper_metrics[] = {"rmse", "wape", "mae", "mape", "rse", "corr_horizon", "corr_series"};

static size_t paper_default_horizons(const bench_dataset *dataset, size_t *horizons, size_t capacity)
{
    (void)dataset;
    if (capacity < 1)
        return 0;
    horizons[0] = 24;
    return 1;
}

static int paper_prepare(bench_task **out, const bench_dataset *dataset, const bench_params *settings,
                         size_t horizon, bench_stage stage, bench_error *error)
{
    long window, train_rows, test_rows, stride;
    double val_fraction;
    const char *covariates, *start_date, *selection;
    if (bench_params_get_int(settings, "window", &window, error) || bench_params_get_int(settings, "train_rows", &train_rows, error) ||
        bench_params_get_int(settings, "test_rows", &test_rows, error) || bench_params_get_int(settings, "test_stride", &stride, error) ||
        bench_params_get_string(settings, "covariates", &covariates, error) ||
        bench_params_get_string(settings, "start_date", &start_date, error) ||
        bench_params_get_string(settings, "series", &selection, error) ||
        bench_params_get_real(settings, "val_fraction", &val_fraction, error))
        return error->code;
    size_t w = (size_t)window, h = horizon, step = stride > 0 ? (size_t)stride : h;

    size_t *indices = NULL, count = 0;
    if (bench_select_series(dataset, selection, &indices, &count, error) != BENCH_OK)
        return error->code;
    bench_task *task = bench_task_new(&bench_protocol_paper, dataset, h, indices, count);
    free(indices);
    if (task == NULL)
        return BENCH_FAIL(error, BENCH_NO_MEMORY, "%s: out of memory", dataset->name);
    task->info.lookback = w;
    bench_task_set_metrics(task, paper_metrics, sizeof paper_metrics / sizeof paper_metrics[0]);

    /* Per-series split, then count the windows before allocating them. */
    size_t *fit_end = calloc(count ? count : 1, sizeof *fit_end);
    size_t *eval_end = calloc(count ? count : 1, sizeof *eval_end);
    if (fit_end == NULL || eval_end == NULL) {
        free(fit_end), free(eval_end), bench_task_free(task);
        return BENCH_FAIL(error, BENCH_NO_MEMORY, "out of memory");
    }
    size_t window_count = 0;
    int status = BENCH_OK;
    for (size_t s = 0; s < count && status == BENCH_OK; s++) {
        size_t n = task->series_full_length[s];
        size_t t_train = train_rows > 0 ? (size_t)train_rows : (size_t)(0.8 * (double)n) / (2 * h) * (2 * h);
        size_t t_test = test_rows > 0 ? (size_t)test_rows
                        : train_rows > 0 ? n - (t_train < n ? t_train : n)
                                         : (size_t)(0.2 * (double)n) / (2 * h) * (2 * h);
        if (t_train + t_test > n)
            status = BENCH_FAIL(error, BENCH_BAD_INPUT,
                                "%s: series '%s' has %zu values, fewer than train_rows %zu + test_rows %zu",
                                dataset->name, task->series_views[s].name, n, t_train, t_test);
        else if (t_test < h)
            status = BENCH_FAIL(error, BENCH_BAD_INPUT,
                                "%s: horizon %zu is longer than the %zu test rows of series '%s'",
                                dataset->name, h, t_test, task->series_views[s].name);
        else if (t_train < w + h)
            status = BENCH_FAIL(error, BENCH_BAD_INPUT,
                                "%s: window %zu + horizon %zu is longer than the %zu training rows of series '%s'",
                                dataset->name, w, h, t_train, task->series_views[s].name);
        if (status != BENCH_OK)
            break;
        if (stage == BENCH_STAGE_VALIDATION) {
            size_t held = (size_t)(val_fraction * (double)t_train);
            fit_end[s] = t_train - held;
            eval_end[s] = t_train;
            if (held < h || fit_end[s] < w + h)
                status = BENCH_FAIL(error, BENCH_BAD_INPUT,
                                    "%s: the validation part (%zu rows) cannot hold one window of %zu + %zu",
                                    dataset->name, held, w, h);
        } else {
            fit_end[s] = t_train;
            eval_end[s] = t_train + t_test;
        }
        for (size_t origin = fit_end[s]; origin + h <= eval_end[s]; origin += step)
            window_count++;
    }
    if (status == BENCH_OK)
        status = bench_task_add_calendar(task, dataset, covariates, start_date[0] ? start_date : NULL, error);
    if (status == BENCH_OK)
        status = bench_task_alloc_windows(task, window_count, error);
    if (status != BENCH_OK) {
        free(fit_end), free(eval_end), bench_task_free(task);
        return status;
    }
    /* Series of one table share the split; a ragged set records its first series'. */
    snprintf(task->split_rule, sizeof task->split_rule, "%s",
             train_rows > 0 || test_rows > 0 ? "train_rows/test_rows" : "80/20, multiples of 2h");
    if (count > 0) {
        task->train_end = fit_end[0];
        task->validation_end = stage == BENCH_STAGE_VALIDATION ? eval_end[0] : fit_end[0];
        task->test_end = eval_end[0];
    }
    size_t w_index = 0;
    for (size_t s = 0; s < count; s++) {
        task->series_views[s].length = task->series_views[s].train_length = fit_end[s];
        for (size_t origin = fit_end[s]; origin + h <= eval_end[s]; origin += step)
            bench_task_set_window(task, w_index++, s, origin);
    }
    free(fit_end), free(eval_end);
    *out = task;
    return BENCH_OK;
}

/* Pool the windows of each series in time order to correlate per series (LSTNet's CORR). */
static double corr_series(const bench_task *task, const double *prediction)
{
    size_t h = task->info.horizon, windows = task->request.window_count;
    double total = 0.0;
    size_t used = 0;
    for (size_t s = 0; s < task->train.series_count; s++) {
        double sum_p = 0, sum_y = 0, n = 0;
        for (size_t w = 0; w < windows; w++)
            if (task->windows[w].series_index == s)
                for (size_t k = 0; k < h; k++)
                    sum_p += prediction[w * h + k], sum_y += task->truth[w * h + k], n++;
        if (n < 2)
            continue;
        double mp = sum_p / n, my = sum_y / n, cov = 0, vp = 0, vy = 0;
        for (size_t w = 0; w < windows; w++)
            if (task->windows[w].series_index == s)
                for (size_t k = 0; k < h; k++) {
                    double dp = prediction[w * h + k] - mp, dy = task->truth[w * h + k] - my;
                    cov += dp * dy, vp += dp * dp, vy += dy * dy;
                }
        if (vp > 0 && vy > 0) {
            total += cov / sqrt(vp * vy);
            used++;
        }
    }
    return used ? total / (double)used : NAN;
}

static int paper_evaluate(const bench_task *task, const double *prediction, double *values, bench_error *error)
{
    (void)error;
    size_t n = task->request.window_count * task->info.horizon;
    values[0] = bench_metric_rmse(prediction, task->truth, n);
    values[1] = bench_metric_wape(prediction, task->truth, n);
    values[2] = bench_metric_mae(prediction, task->truth, n);
    values[3] = bench_metric_mape(prediction, task->truth, n);
    values[4] = bench_metric_rse(prediction, task->truth, n);
    values[5] = bench_metric_corr_columns(prediction, task->truth, task->request.window_count, task->info.horizon);
    values[6] = corr_series(task, prediction);
    return BENCH_OK;
}

BENCH_PROTOCOL(paper, 1,
               "Elsayed et al. GBRT protocol: raw scale, stride-1 training windows, non-overlapping test windows");
