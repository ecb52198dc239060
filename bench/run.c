/* Executing a plan: each cell in a worker of the pool (bench/pool.h, which says
 * why a process per cell), per-cell result files, and the merge into
 * results.csv / timings.csv / run.json / plan.csv (bench/harness.h). */
#include <cblas.h>
#include <errno.h>
#include <dirent.h>
#include <jansson.h>
#include <math.h>
#include <signal.h>
#include <stdio.h>
#include <stdlib.h>
#include <string.h>
#include <sys/stat.h>
#include <sys/utsname.h>
#include <sys/wait.h>
#include <time.h>
#include <unistd.h>

#include "core/dir_lock.h"
#include "bench/escape.h"
#include "core/files.h"
#include "bench/harness.h"
#include "bench/metrics.h"
#include "bench/pool.h"
#include "bench/results.h"
#include "bench/sweep.h"
#include "bench/version.h"

/* The Makefile passes the commit to this file only (bench/version.h). */
#ifndef BENCH_GIT_COMMIT
#define BENCH_GIT_COMMIT "unknown"
#endif

const char *bench_git_commit(void) { return BENCH_GIT_COMMIT; }

static double now_seconds(void)
{
    struct timespec ts;
    clock_gettime(CLOCK_MONOTONIC, &ts);
    return (double)ts.tv_sec + 1e-9 * (double)ts.tv_nsec;
}

static void cell_path(char *out, size_t size, const char *dir, const bench_cell *cell, const char *suffix)
{
    snprintf(out, size, "%s/cells/%s%s", dir, cell->id, suffix);
}

/* Values print with 10 significant digits: enough for every table, and the text
 * is a pure function of the double, so identical runs give identical bytes. */
static void format_value(char *out, size_t size, double value)
{
    if (isnan(value))
        snprintf(out, size, "NaN");
    else if (isinf(value))
        snprintf(out, size, value > 0 ? "Inf" : "-Inf");
    else
        snprintf(out, size, "%.10g", value);
}

/* Probabilistic forecasters (those with predict_samples) are also scored on their
 * sample paths: CRPS and the pinball loss at three quantile levels, on the
 * protocol's scale, averaged over windows and steps. */
#define SAMPLE_PATHS 50
#define SAMPLE_WINDOWS_PER_CHUNK 32
static const char *const sample_metric_names[] = {"crps", "ql_10", "ql_50", "ql_90"};
static const double sample_quantile_levels[] = {0.1, 0.5, 0.9};
#define SAMPLE_METRIC_COUNT (sizeof sample_metric_names / sizeof sample_metric_names[0])

static int is_probabilistic(const bench_forecaster *forecaster)
{
    return BENCH_FORECASTER_HAS_SLOT(forecaster, 0, predict_samples);
}

void bench_cell_metric_list(const bench_plan *plan, const bench_cell *cell, char *out, size_t size)
{
    const bench_task *task = plan->datasets[cell->dataset].tasks[cell->horizon_index];
    int probabilistic = is_probabilistic(plan->models[cell->model].forecaster);
    size_t used = 0;
    out[0] = '\0';
    for (size_t m = 0; m < task->metric_count + (probabilistic ? SAMPLE_METRIC_COUNT : 0); m++) {
        const char *name = m < task->metric_count ? task->metric_names[m] : sample_metric_names[m - task->metric_count];
        int written = snprintf(out + used, size - used, "%s%s", used ? " " : "", name);
        if (written < 0 || (size_t)written >= size - used)
            break;
        used += (size_t)written;
    }
}

static int compare_sample_values(const void *a, const void *b)
{
    double x = *(const double *)a, y = *(const double *)b;
    return (x > y) - (x < y);
}

/* values[0..SAMPLE_METRIC_COUNT) from SAMPLE_PATHS paths per window, drawn a chunk
 * of windows at a time so memory stays small on long test sets.  quantiles, when
 * not NULL, receives the 10/50/90 % quantiles of every window and step
 * (quantiles[(w * h + k) * 3 + q]), the same ones the pinball losses scored. */
static int score_samples(const bench_forecaster *forecaster, bench_model *instance, const bench_task *task,
                         bench_rng *rng, double *values, double *quantiles, bench_error *error)
{
    size_t h = task->info.horizon, windows = task->request.window_count;
    double *paths = malloc(SAMPLE_WINDOWS_PER_CHUNK * SAMPLE_PATHS * (h ? h : 1) * sizeof *paths);
    double column[SAMPLE_PATHS];
    if (paths == NULL)
        return BENCH_FAIL(error, BENCH_NO_MEMORY, "out of memory for sample paths");
    double crps = 0.0, pinball[3] = {0};
    int status = BENCH_OK;
    for (size_t first = 0; first < windows && status == BENCH_OK; first += SAMPLE_WINDOWS_PER_CHUNK) {
        bench_forecast_request chunk = task->request;
        chunk.windows = task->request.windows + first;
        chunk.window_count = windows - first < SAMPLE_WINDOWS_PER_CHUNK ? windows - first : SAMPLE_WINDOWS_PER_CHUNK;
        status = forecaster->predict_samples(instance, &chunk, SAMPLE_PATHS, rng, paths, error);
        for (size_t w = 0; status == BENCH_OK && w < chunk.window_count; w++)
            for (size_t k = 0; k < h; k++) {
                double truth = task->truth[(first + w) * h + k];
                for (size_t j = 0; j < SAMPLE_PATHS; j++)
                    column[j] = paths[(w * SAMPLE_PATHS + j) * h + k];
                crps += bench_metric_crps_samples(column, SAMPLE_PATHS, truth);
                qsort(column, SAMPLE_PATHS, sizeof column[0], compare_sample_values);
                for (size_t q = 0; q < 3; q++) {
                    /* Empirical quantile with linear interpolation (numpy's default). */
                    double position = sample_quantile_levels[q] * (SAMPLE_PATHS - 1);
                    size_t below = (size_t)position;
                    double fraction = position - (double)below;
                    double quantile = below + 1 < SAMPLE_PATHS
                                          ? column[below] + fraction * (column[below + 1] - column[below])
                                          : column[below];
                    pinball[q] += bench_metric_quantile_loss(&quantile, &truth, 1, sample_quantile_levels[q]);
                    if (quantiles != NULL)
                        quantiles[((first + w) * h + k) * 3 + q] = quantile;
                }
            }
    }
    free(paths);
    if (status != BENCH_OK)
        return status;
    double count = (double)(windows * h);
    values[0] = crps / count;
    for (size_t q = 0; q < 3; q++)
        values[1 + q] = pinball[q] / count;
    return BENCH_OK;
}

static int write_rows(const bench_plan *plan, const bench_cell *cell, const char *dir, const double *values,
                      int ok, bench_error *error)
{
    const bench_plan_dataset *dataset = &plan->datasets[cell->dataset];
    const bench_plan_model *model = &plan->models[cell->model];
    const bench_task *task = dataset->tasks[cell->horizon_index];
    size_t metric_count = task->metric_count + (is_probabilistic(model->forecaster) ? SAMPLE_METRIC_COUNT : 0);
    char path[4200];
    cell_path(path, sizeof path, dir, cell, ".csv");
    bench_atomic_file file;
    if (bench_atomic_open(&file, path, error) != BENCH_OK)
        return error->code;
    for (size_t m = 0; m < metric_count; m++) {
        char value[64] = "";
        if (ok)
            format_value(value, sizeof value, values[m]);
        const char *name = m < task->metric_count ? task->metric_names[m]
                                                  : sample_metric_names[m - task->metric_count];
        char horizon[32], seed[32];
        snprintf(horizon, sizeof horizon, "%zu", cell->horizon);
        snprintf(seed, sizeof seed, "%llu", (unsigned long long)cell->seed);
        bench_results_write_row(file.stream, &(bench_result_row){
                                                 .cell_id = cell->id, .task = "forecast", .dataset = dataset->label,
                                                 .protocol = dataset->protocol->name,
                                                 .model = model->forecaster->name, .variant = model->variant,
                                                 .horizon = horizon, .seed = seed, .metric = name, .value = value,
                                                 .ok = ok});
    }
    return bench_atomic_commit(&file, error);
}

/* How a worker ended without a result of its own: how --resume treats the cell. */
typedef struct crash_kind {
    int infrastructure;     /* ended from outside (SIGKILL, SIGTERM): rerun on --resume */
    double timeout_seconds; /* > 0: killed by our per-cell limit of that many seconds */
} crash_kind;

static int write_cell_record(const bench_cell *cell, const char *dir, const bench_error *cell_error,
                             const crash_kind *crash, double fit_seconds, double predict_seconds, double seconds,
                             bench_error *error)
{
    json_t *record = json_pack("{s:s, s:s, s:f, s:f, s:f}", "cell_id", cell->id, "status",
                               cell_error->code == BENCH_OK ? "ok" : "error", "fit_seconds", fit_seconds,
                               "predict_seconds", predict_seconds, "seconds", seconds);
    if (record == NULL)
        return BENCH_FAIL(error, BENCH_NO_MEMORY, "out of memory");
    if (cell_error->code != BENCH_OK)
        json_object_set_new(record, "error", json_string(cell_error->message));
    if (crash != NULL && crash->infrastructure)
        json_object_set_new(record, "infrastructure", json_true());
    if (crash != NULL && crash->timeout_seconds > 0)
        json_object_set_new(record, "timeout_seconds", json_real(crash->timeout_seconds));
    char path[4200];
    cell_path(path, sizeof path, dir, cell, ".json");
    int status = bench_write_json_atomic(path, record, JSON_SORT_KEYS | JSON_REAL_PRECISION(6), error);
    json_decref(record);
    return status;
}

/* Predictions keep every bit (17 significant digits), so that a file scored
 * back as an external model (bench/external.h) gives the same metrics. */
static void format_exact(char *out, size_t size, double value)
{
    if (isfinite(value))
        snprintf(out, size, "%.17g", value);
    else
        format_value(out, size, value);
}

/* ISO 8601 UTC of a unix time, or "" when t is not representable. */
static void format_time(char *out, size_t size, int64_t t)
{
    time_t seconds = (time_t)t;
    struct tm parts;
    if (gmtime_r(&seconds, &parts) == NULL || strftime(out, size, "%Y-%m-%dT%H:%M:%SZ", &parts) == 0)
        out[0] = '\0';
}

/* A value of series s back in the series' own units (the protocol's scaling
 * undone; protocols that do not scale leave scale 0). */
static double original_units(const bench_task *task, size_t s, double value)
{
    return task->scale_std[s] != 0 ? value * task->scale_std[s] + task->scale_mean[s] : value;
}

/* Look-back rows written before the first window of each series (truth only,
 * step <= 0), so a forecast plot shows the context of the forecast: four
 * horizons of it, at least 24 and at most 512 steps. */
#define LOOKBACK_ROWS_MIN 24
#define LOOKBACK_ROWS_MAX 512

/* DIR/predictions/<cell_id>.csv: self-describing rows, one per window and step.
 * truth and prediction are on the protocol's scale (what the metrics scored);
 * truth_original and prediction_original in the series' own units; the times
 * are ISO 8601 UTC when the data has timestamps.  The first window of every
 * series is preceded by its look-back (step <= 0, no prediction).  q10, q50 and
 * q90 (and their _original twins) are the sample quantiles of a probabilistic
 * model, empty for a point forecaster (quantiles NULL). */
static int write_predictions(const bench_cell *cell, const bench_plan_dataset *dataset, const bench_task *task,
                             const double *prediction, const double *quantiles, const char *dir, bench_error *error)
{
    char path[4200];
    snprintf(path, sizeof path, "%s/predictions/%s.csv", dir, cell->id);
    bench_atomic_file file;
    if (bench_atomic_open(&file, path, error) != BENCH_OK)
        return error->code;
    fprintf(file.stream, "window,series,origin,step,truth,prediction,dataset,origin_time,target_time,truth_original,"
                         "prediction_original,q10,q50,q90,q10_original,q50_original,q90_original\n");
    size_t h = task->info.horizon;
    size_t series_count = task->train.series_count;
    unsigned char *seen = calloc(series_count ? series_count : 1, 1);
    if (seen == NULL) {
        bench_atomic_abort(&file);
        return BENCH_FAIL(error, BENCH_NO_MEMORY, "out of memory for predictions");
    }
    for (size_t w = 0; w < task->request.window_count; w++) {
        const bench_forecast_window *window = &task->windows[w];
        size_t s = window->series_index, origin = window->history_length;
        char origin_time[40] = "";
        if (window->timestamps != NULL && origin > 0)
            format_time(origin_time, sizeof origin_time, window->timestamps[origin - 1]);
        size_t lookback = 0;
        if (s < series_count && !seen[s]) {
            seen[s] = 1;
            size_t wanted = 4 * h < LOOKBACK_ROWS_MIN ? LOOKBACK_ROWS_MIN : 4 * h > LOOKBACK_ROWS_MAX ? LOOKBACK_ROWS_MAX : 4 * h;
            lookback = origin < wanted ? origin : wanted;
        }
        for (size_t j = lookback; j > 0; j--) {
            /* step 1 - j: the j-th observation before the origin. */
            char truth[64], original[64], target_time[40] = "";
            double value = window->history[origin - j];
            format_exact(truth, sizeof truth, value);
            format_exact(original, sizeof original, original_units(task, s, value));
            if (window->timestamps != NULL)
                format_time(target_time, sizeof target_time, window->timestamps[origin - j]);
            fprintf(file.stream, "%zu,", w);
            bench_escape_csv(file.stream, task->series_views[s].name);
            fprintf(file.stream, ",%zu,%ld,%s,,", origin, 1 - (long)j, truth);
            bench_escape_csv(file.stream, dataset->label);
            fprintf(file.stream, ",%s,%s,%s,,,,,,,\n", origin_time, target_time, original);
        }
        for (size_t k = 0; k < h; k++) {
            char truth[64], predicted[64], truth_original[64], predicted_original[64], target_time[40] = "";
            format_exact(truth, sizeof truth, task->truth[w * h + k]);
            format_exact(predicted, sizeof predicted, prediction[w * h + k]);
            format_exact(truth_original, sizeof truth_original, original_units(task, s, task->truth[w * h + k]));
            format_exact(predicted_original, sizeof predicted_original, original_units(task, s, prediction[w * h + k]));
            if (window->timestamps != NULL)
                format_time(target_time, sizeof target_time, window->timestamps[origin + k]);
            /* Names come from the user's data: a comma or quote in one must not split the row. */
            fprintf(file.stream, "%zu,", w);
            bench_escape_csv(file.stream, task->series_views[s].name);
            fprintf(file.stream, ",%zu,%zu,%s,%s,", origin, k + 1, truth, predicted);
            bench_escape_csv(file.stream, dataset->label);
            fprintf(file.stream, ",%s,%s,%s,%s", origin_time, target_time, truth_original, predicted_original);
            char quantile_text[6][64] = {"", "", "", "", "", ""};
            for (size_t q = 0; quantiles != NULL && q < 3; q++) {
                double value = quantiles[(w * h + k) * 3 + q];
                format_exact(quantile_text[q], sizeof quantile_text[q], value);
                format_exact(quantile_text[3 + q], sizeof quantile_text[3 + q], original_units(task, s, value));
            }
            for (size_t q = 0; q < 6; q++)
                fprintf(file.stream, ",%s", quantile_text[q]);
            fputc('\n', file.stream);
        }
    }
    free(seen);
    return bench_atomic_commit(&file, error);
}

/* Everything one cell does, in its worker process. */
static int run_cell(const bench_plan *plan, const bench_cell *cell, const char *dir, bench_error *error)
{
    const bench_plan_dataset *dataset = &plan->datasets[cell->dataset];
    const bench_plan_model *model = &plan->models[cell->model];
    bench_task *task = dataset->tasks[cell->horizon_index];
    openblas_set_num_threads((int)cell->threads);
    task->info.threads = cell->threads;
    task->info.seed = cell->seed;

    double start = now_seconds(), fit_seconds = 0, predict_seconds = 0;
    bench_error cell_error = {0};
    bench_model *instance = NULL;
    size_t outputs = task->request.window_count * task->info.horizon;
    double *prediction = calloc(outputs ? outputs : 1, sizeof *prediction);
    double values[BENCH_TASK_MAX_METRICS + SAMPLE_METRIC_COUNT];
    bench_rng fit_rng, predict_rng;
    bench_rng_derive(&fit_rng, cell->seed, "fit");
    bench_rng_derive(&predict_rng, cell->seed, "predict");
    int status = prediction ? BENCH_OK : BENCH_FAIL(&cell_error, BENCH_NO_MEMORY, "out of memory for predictions");
    /* An external model's forecasts were read and lined up when the plan was
     * built (bench/external.h): score them like any model's. */
    const double *external = plan->external != NULL ? plan->external[cell->index] : NULL;
    if (status == BENCH_OK && external != NULL)
        memcpy(prediction, external, outputs * sizeof *prediction);
    else if (status == BENCH_OK)
        status = model->forecaster->create(&instance, &model->params.view, &task->info, &cell_error);
    if (status == BENCH_OK && external == NULL) {
        double fit_start = now_seconds();
        status = model->forecaster->fit(instance, &task->train, &fit_rng, &cell_error);
        fit_seconds = now_seconds() - fit_start;
    }
    if (status == BENCH_OK && external == NULL) {
        double predict_start = now_seconds();
        status = model->forecaster->predict(instance, &task->request, &predict_rng, prediction, &cell_error);
        predict_seconds = now_seconds() - predict_start;
    }
    if (status == BENCH_OK)
        for (size_t i = 0; i < outputs && status == BENCH_OK; i++)
            if (!isfinite(prediction[i]))
                status = BENCH_FAIL(&cell_error, BENCH_MODEL, "prediction %zu (window %zu, step %zu) is not finite", i,
                                    i / task->info.horizon, i % task->info.horizon + 1);
    if (status == BENCH_OK)
        status = dataset->protocol->evaluate(task, prediction, values, &cell_error);
    double *quantiles = NULL;
    if (status == BENCH_OK && is_probabilistic(model->forecaster)) {
        bench_rng sample_rng;
        bench_rng_derive(&sample_rng, cell->seed, "samples");
        if (plan->predictions && (quantiles = malloc((outputs ? outputs : 1) * 3 * sizeof *quantiles)) == NULL)
            status = BENCH_FAIL(&cell_error, BENCH_NO_MEMORY, "out of memory for forecast quantiles");
        if (status == BENCH_OK)
            status = score_samples(model->forecaster, instance, task, &sample_rng, values + task->metric_count,
                                   quantiles, &cell_error);
    }
    /* A metric that is not finite (a forecast of 1e308 squares to Inf) is a
     * failed cell with the reason, never an ok row a table then chokes on. */
    size_t metric_count = task->metric_count + (is_probabilistic(model->forecaster) ? SAMPLE_METRIC_COUNT : 0);
    for (size_t m = 0; status == BENCH_OK && m < metric_count; m++)
        if (!isfinite(values[m]))
            status = BENCH_FAIL(&cell_error, BENCH_MODEL, "metric %s is %s: the forecasts are too large to score",
                                m < task->metric_count ? task->metric_names[m]
                                                       : sample_metric_names[m - task->metric_count],
                                isnan(values[m]) ? "NaN" : "infinite");
    if (instance != NULL)
        model->forecaster->destroy(instance);
    if (status != BENCH_OK && cell_error.code == BENCH_OK)
        cell_error.code = status;
    int result = BENCH_OK;
    if (status == BENCH_OK && plan->predictions)
        result = write_predictions(cell, dataset, task, prediction, quantiles, dir, error);
    free(prediction);
    free(quantiles);
    if (result == BENCH_OK)
        result = write_rows(plan, cell, dir, values, status == BENCH_OK, error);
    if (result == BENCH_OK)
        result = write_cell_record(cell, dir, &cell_error, NULL, fit_seconds, predict_seconds,
                                   now_seconds() - start, error);
    return result;
}

/* A worker that ended without reporting leaves an error cell instead.  The
 * harness reads only what it wrote itself (the worker's report pipe, its own
 * timer): an exit status is something model code can produce, so it is
 * reported, never interpreted. */
static void record_crash(const bench_plan *plan, const bench_cell *cell, const char *dir, int wait_status,
                         double timeout_seconds)
{
    bench_error cell_error = {0}, ignored = {0};
    crash_kind crash = {0};
    if (timeout_seconds > 0) {
        BENCH_FAIL(&cell_error, BENCH_MODEL, "timeout after %g s (the cell's time limit; raise [run] timeout or "
                   "--timeout)", timeout_seconds);
        crash.timeout_seconds = timeout_seconds;
    } else if (WIFSIGNALED(wait_status)) {
        int signal_number = WTERMSIG(wait_status);
        /* SIGKILL and SIGTERM come from outside the model (the OOM killer, a
         * scheduler, an operator): say so, and let --resume run the cell again. */
        crash.infrastructure = signal_number == SIGKILL || signal_number == SIGTERM;
        BENCH_FAIL(&cell_error, BENCH_MODEL, "the cell's worker process died from signal %d (%s)%s", signal_number,
                   strsignal(signal_number),
                   crash.infrastructure ? "; ended from outside the model (OOM killer or scheduler?): --resume "
                                          "runs it again"
                                        : "");
    } else
        BENCH_FAIL(&cell_error, BENCH_MODEL, "the model's code ended the worker process with exit status %d "
                   "before the cell was scored", WEXITSTATUS(wait_status));
    write_rows(plan, cell, dir, NULL, 0, &ignored);
    write_cell_record(cell, dir, &cell_error, &crash, 0, 0, 0, &ignored);
}

/* The cell as plan.csv describes it, for the validator; texts live in buffer. */
typedef struct expect_buffer {
    char horizon[32], seed[32], metrics[1024];
} expect_buffer;

static bench_cell_expect cell_expect(const bench_plan *plan, const bench_cell *cell, expect_buffer *buffer)
{
    const bench_plan_dataset *dataset = &plan->datasets[cell->dataset];
    const bench_plan_model *model = &plan->models[cell->model];
    snprintf(buffer->horizon, sizeof buffer->horizon, "%zu", cell->horizon);
    snprintf(buffer->seed, sizeof buffer->seed, "%llu", (unsigned long long)cell->seed);
    bench_cell_metric_list(plan, cell, buffer->metrics, sizeof buffer->metrics);
    return (bench_cell_expect){.id = cell->id, .task = "forecast", .dataset = dataset->label,
                               .protocol = dataset->protocol->name, .model = model->forecaster->name,
                               .variant = model->variant, .horizon = buffer->horizon, .seed = buffer->seed,
                               .metrics = buffer->metrics, .record = 1};
}

/* --resume keeps a cell only when its files are valid and its outcome is the
 * model's own: a success, or a genuine model error.  Invalid files, cells ended
 * from outside, and timeouts shorter than today's limit run again. */
static int cell_keep(const bench_plan *plan, const char *dir, const bench_cell *cell)
{
    expect_buffer buffer;
    bench_cell_expect expect = cell_expect(plan, cell, &buffer);
    bench_error problem = {0};
    bench_cellfile_state state = bench_cell_file_check(dir, &expect, NULL, &problem);
    if (state == BENCH_CELLFILE_OK)
        return 1;
    if (state != BENCH_CELLFILE_FAILED)
        return 0;
    char path[4200];
    cell_path(path, sizeof path, dir, cell, ".json");
    json_error_t json_error;
    json_t *record = json_load_file(path, 0, &json_error);
    double limit = record ? json_number_value(json_object_get(record, "timeout_seconds")) : 0;
    json_decref(record);
    return !(limit > 0 && (plan->timeout_seconds <= 0 || plan->timeout_seconds > limit));
}

static int cell_done(const char *dir, const bench_cell *cell)
{
    char csv[4200], json[4200];
    cell_path(csv, sizeof csv, dir, cell, ".csv");
    cell_path(json, sizeof json, dir, cell, ".json");
    return access(csv, F_OK) == 0 && access(json, F_OK) == 0;
}

/* Finished-cell counts for the caller's progress display (library code prints nothing). */
typedef struct {
    size_t done, total;
} progress_state;

static void report_progress(const bench_run_options *options, const progress_state *progress, const bench_plan *plan,
                            const bench_cell *cell, const char *status, const char *message)
{
    if (options->progress != NULL)
        options->progress(options->progress_context, plan, cell, status, message, progress->done, progress->total);
}

/* "ok", "error" or "missing" from the cell's record; a failed cell's message
 * (the worker's bench_error text) is copied into message, else message is "". */
static const char *read_cell_status(const char *dir, const bench_cell *cell, char *message, size_t message_size)
{
    char path[4200];
    cell_path(path, sizeof path, dir, cell, ".json");
    json_error_t json_error;
    json_t *record = json_load_file(path, 0, &json_error);
    const char *status = "missing";
    message[0] = '\0';
    if (record != NULL) {
        const char *text = json_string_value(json_object_get(record, "status"));
        const char *reason = json_string_value(json_object_get(record, "error"));
        status = text && !strcmp(text, "ok") ? "ok" : "error";
        if (reason != NULL)
            snprintf(message, message_size, "%s", reason);
        json_decref(record);
    }
    return status;
}

/* The forecasting plan as items of the worker pool (bench/pool.h). */
typedef struct cells_context {
    bench_plan *plan;
    const bench_run_options *options;
    bench_run_summary *summary;
    progress_state progress;
} cells_context;

/* This shard's cells, less those --resume keeps; a cell run again starts from
 * nothing, with no old files to mistake for its own. */
static int cells_want(void *context_, size_t item)
{
    cells_context *context = context_;
    const bench_run_options *options = context->options;
    bench_cell *cell = &context->plan->cells[item];
    const char *dir = options->out_dir;
    if (options->shard_count > 1 && cell->index % options->shard_count != options->shard_index)
        return 0;
    if (options->resume && cell_keep(context->plan, dir, cell)) {
        context->summary->cells_skipped++;
        context->progress.done++;
        return 0;
    }
    char path[4200];
    cell_path(path, sizeof path, dir, cell, ".json");
    unlink(path);
    cell_path(path, sizeof path, dir, cell, ".csv");
    unlink(path);
    return 1;
}

static int cells_work(void *context_, size_t item, bench_error *error)
{
    cells_context *context = context_;
    return run_cell(context->plan, &context->plan->cells[item], context->options->out_dir, error);
}

static int cells_finished(void *context_, size_t item, const bench_pool_outcome *outcome, bench_error *error)
{
    cells_context *context = context_;
    const bench_plan *plan = context->plan;
    const bench_cell *cell = &plan->cells[item];
    const char *dir = context->options->out_dir;
    if (outcome->io_error != NULL)
        return BENCH_FAIL(error, BENCH_IO, "%s: cannot write the results of cell %s: %s", dir, cell->id,
                          outcome->io_error);
    if (outcome->interrupted) {
        /* Interrupted: leave the cell unwritten so --resume reruns it. */
        char path[4200];
        cell_path(path, sizeof path, dir, cell, ".json");
        unlink(path);
        return BENCH_OK;
    }
    if (!outcome->reported_ok || !cell_done(dir, cell))
        record_crash(plan, cell, dir, outcome->wait_status, outcome->timed_out ? plan->timeout_seconds : 0);
    char message[BENCH_ERROR_MESSAGE_SIZE];
    const char *cell_status = read_cell_status(dir, cell, message, sizeof message);
    int ok = strcmp(cell_status, "ok") == 0;
    context->summary->cells_run++;
    if (!ok)
        context->summary->cells_failed++;
    context->progress.done++;
    report_progress(context->options, &context->progress, plan, cell, cell_status,
                    ok ? NULL : message[0] ? message : "no error message recorded");
    return BENCH_OK;
}

static int run_cells(bench_plan *plan, const bench_run_options *options, bench_run_summary *summary,
                     bench_error *error)
{
    cells_context context = {.plan = plan, .options = options, .summary = summary};
    for (size_t c = 0; c < plan->cell_count; c++)
        if (options->shard_count <= 1 || c % options->shard_count == options->shard_index)
            context.progress.total++;
    bench_pool pool = {.count = plan->cell_count, .jobs = options->jobs, .timeout_seconds = plan->timeout_seconds,
                       .memory_limit_mb = plan->memory_limit_mb, .want = cells_want, .work = cells_work,
                       .finished = cells_finished, .context = &context};
    int stop_signal = 0;
    int status = bench_pool_run(&pool, &stop_signal, error);
    summary->stop_signal = stop_signal;
    return status;
}

static json_t *params_object(const bench_owned_params *params)
{
    json_t *object = json_object();
    for (size_t i = 0; i < params->view.count; i++)
        json_object_set_new(object, params->names[i], json_string(params->values[i]));
    return object;
}

static json_t *run_description(const bench_plan *plan, const bench_run_summary *summary, const char *dir)
{
    json_t *root = json_object();
    json_object_set_new(root, "config_path", json_string(plan->config_path));
    json_object_set_new(root, "git_commit", json_string(bench_git_commit()));
    json_t *datasets = json_array();
    for (size_t d = 0; d < plan->dataset_count; d++) {
        const bench_plan_dataset *item = &plan->datasets[d];
        json_t *horizons = json_array(), *files = json_array(), *splits = json_array();
        for (size_t h = 0; h < item->horizon_count; h++) {
            json_array_append_new(horizons, json_integer((json_int_t)item->horizons[h]));
            /* The split each task resolved (a setting like borders = auto says
             * only how it was chosen): rule and [start, end) rows per part. */
            const bench_task *task = item->tasks[h];
            if (task != NULL)
                json_array_append_new(
                    splits, json_pack("{s:I, s:s, s:[I,I], s:[I,I], s:[I,I]}", "horizon", (json_int_t)item->horizons[h],
                                      "rule", task->split_rule, "train", (json_int_t)0, (json_int_t)task->train_end,
                                      "validation", (json_int_t)task->train_end, (json_int_t)task->validation_end,
                                      "test", (json_int_t)task->validation_end, (json_int_t)task->test_end));
        }
        /* A file whose checksum differs from the registry's pin was used only
         * because the user said --allow-modified-data: the record says so. */
        for (int f = 0; f < 2; f++)
            if (item->data->path[f][0])
                json_array_append_new(files, json_pack("{s:s, s:s, s:b}", "path", item->data->path[f], "sha256",
                                                       item->data->sha256[f], "modified_from_pinned",
                                                       item->data->modified[f] != 0));
        json_array_append_new(
            datasets, json_pack("{s:s, s:s, s:s, s:i, s:o, s:o, s:o, s:o, s:I, s:I}", "label", item->label, "source",
                                item->source, "protocol", item->protocol->name, "protocol_version",
                                item->protocol->version, "settings", params_object(&item->settings), "horizons",
                                horizons, "splits", splits, "files", files, "series",
                                (json_int_t)item->data->series_count, "missing_filled",
                                (json_int_t)item->data->missing_filled));
    }
    json_t *models = json_array();
    for (size_t m = 0; m < plan->model_count; m++) {
        const bench_plan_model *item = &plan->models[m];
        json_t *entry = json_pack("{s:s, s:s, s:o, s:i}", "variant", item->variant, "model", item->forecaster->name,
                                  "params", params_object(&item->params), "threads", (int)item->threads);
        if (item->seed_count != plan->seed_count ||
            memcmp(item->seeds, plan->seeds, plan->seed_count * sizeof *plan->seeds) != 0) {
            json_t *own = json_array();
            for (size_t s = 0; s < item->seed_count; s++)
                json_array_append_new(own, json_integer((json_int_t)item->seeds[s]));
            json_object_set_new(entry, "seeds", own);
        }
        if (item->forecasts != NULL) /* each cell's file and sha256 are in its cell record below */
            json_object_set_new(entry, "forecasts", json_string(item->forecasts));
        json_array_append_new(models, entry);
    }
    json_t *seeds = json_array();
    for (size_t s = 0; s < plan->seed_count; s++)
        json_array_append_new(seeds, json_integer((json_int_t)plan->seeds[s]));
    json_object_set_new(root, "config", json_pack("{s:o, s:o, s:o}", "datasets", datasets, "models", models,
                                                  "seeds", seeds));
    json_object_set_new(root, "limits", json_pack("{s:f, s:I}", "timeout_seconds", plan->timeout_seconds,
                                                  "memory_limit_mb", (json_int_t)plan->memory_limit_mb));
    bench_library_version libraries[BENCH_LIBRARY_VERSION_COUNT];
    size_t library_count = bench_library_versions(libraries);
    json_t *versions = json_pack("{s:s}", "bench", BENCH_VERSION);
    for (size_t i = 0; i < library_count; i++)
        json_object_set_new(versions, libraries[i].name, json_string(libraries[i].version));
    json_object_set_new(root, "versions", versions);
    struct utsname host;
    if (uname(&host) == 0)
        json_object_set_new(root, "host", json_pack("{s:s, s:s, s:s, s:i}", "name", host.nodename, "system",
                                                    host.sysname, "machine", host.machine, "cpus",
                                                    (int)sysconf(_SC_NPROCESSORS_ONLN)));
    json_object_set_new(root, "wall_seconds", json_real(summary->seconds));
    json_t *cells = json_array(), *errors = json_object();
    for (size_t c = 0; c < plan->cell_count; c++) {
        const bench_cell *cell = &plan->cells[c];
        char path[4200];
        cell_path(path, sizeof path, dir, cell, ".json");
        json_error_t json_error;
        json_t *record = json_load_file(path, 0, &json_error);
        if (record == NULL)
            continue;
        json_object_set_new(record, "dataset", json_string(plan->datasets[cell->dataset].label));
        json_object_set_new(record, "variant", json_string(plan->models[cell->model].variant));
        json_object_set_new(record, "horizon", json_integer((json_int_t)cell->horizon));
        json_object_set_new(record, "seed", json_integer((json_int_t)cell->seed));
        json_object_set_new(record, "threads", json_integer((json_int_t)cell->threads));
        if (plan->external_path != NULL && plan->external_path[cell->index] != NULL)
            json_object_set_new(record, "forecasts",
                                json_pack("{s:s, s:s}", "path", plan->external_path[cell->index], "sha256",
                                          plan->external_sha256[cell->index]));
        json_t *message = json_object_get(record, "error");
        if (message != NULL)
            json_object_set(errors, cell->id, message);
        json_array_append_new(cells, record);
    }
    json_object_set_new(root, "cells", cells);
    json_object_set_new(root, "errors", errors);
    return root;
}

/* plan.csv and run.json, then (unless this is one shard of several) results.csv
 * and timings.csv through the one cell validator and merge (bench/sweep.h): the
 * file exists only when every planned cell is present and valid. */
static int merge_outputs(const bench_plan *plan, const bench_run_summary *summary, const char *dir, int partial,
                         bench_error *error)
{
    char path[4200];
    if (bench_sweep_write_plan(plan, dir, error) != BENCH_OK)
        return error->code;
    json_t *description = run_description(plan, summary, dir);
    snprintf(path, sizeof path, "%s/run.json", dir);
    int status = bench_write_json_atomic(path, description, JSON_INDENT(2) | JSON_PRESERVE_ORDER, error);
    json_decref(description);
    if (status != BENCH_OK || partial)
        return status;
    bench_merge_summary merged;
    status = bench_sweep_assemble(dir, &merged, error);
    if (status == BENCH_OK && merged.missing > 0)
        status = BENCH_FAIL(error, BENCH_IO,
                            "%zu of %zu cells have no files after the run (removed while it ran?); results.csv not "
                            "written. First: %s; rerun with --resume",
                            merged.missing, merged.cells, merged.missing_cells[0]);
    return status;
}

/* bench's own names in DIR/cells: <16 hex>.csv or .json, and their atomic
 * temporaries (<name>.tmp.<pid>). */
static int is_cell_file(const char *name)
{
    size_t hex = strspn(name, "0123456789abcdef");
    if (hex != 16)
        return 0;
    const char *rest = name + 16;
    if (strncmp(rest, ".csv", 4) != 0 && strncmp(rest, ".json", 5) != 0)
        return 0;
    rest += rest[1] == 'c' ? 4 : 5;
    if (*rest == '\0')
        return 1;
    return strncmp(rest, ".tmp.", 5) == 0 && rest[5] != '\0' && strspn(rest + 5, "0123456789") == strlen(rest + 5);
}

/* Without --resume a run starts clean: stale cell files of an earlier run in the
 * same directory must not leak into this one.  Only files bench names itself
 * are removed; anything else found there is left alone and counted (it is never
 * read: cells are looked up by planned id). */
static int clear_cells(const char *dir, size_t *foreign, bench_error *error)
{
    char path[4200];
    snprintf(path, sizeof path, "%s/cells", dir);
    *foreign = 0;
    DIR *listing = opendir(path);
    if (listing == NULL)
        return BENCH_OK;
    struct dirent *entry;
    int status = BENCH_OK;
    while ((entry = readdir(listing)) != NULL) {
        if (!strcmp(entry->d_name, ".") || !strcmp(entry->d_name, ".."))
            continue;
        char file[4600];
        snprintf(file, sizeof file, "%s/%s", path, entry->d_name);
        struct stat info;
        if (!is_cell_file(entry->d_name) || lstat(file, &info) != 0 || !S_ISREG(info.st_mode)) {
            (*foreign)++;
            continue;
        }
        if (unlink(file) != 0 && errno != ENOENT) {
            status = BENCH_FAIL(error, BENCH_IO, "%s: cannot remove: %s", file, strerror(errno));
            break;
        }
    }
    closedir(listing);
    return status;
}

int bench_plan_run(bench_plan *plan, const bench_run_options *options, bench_run_summary *summary,
                   bench_error *error)
{
    memset(summary, 0, sizeof *summary);
    double start = now_seconds();
    char path[4200];
    /* One writer per directory; shards of one plan share it. */
    char holder[4400];
    int sharded = options->shard_count > 1;
    if (sharded)
        snprintf(holder, sizeof holder, "bench run %s --shard %u/%u", plan->config_path, options->shard_index,
                 options->shard_count);
    else
        snprintf(holder, sizeof holder, "bench run %s%s", plan->config_path, options->resume ? " --resume" : "");
    bench_dir_lock lock;
    if (bench_dir_lock_take(&lock, options->out_dir, !sharded, holder, error) != BENCH_OK)
        return error->code;
    int status = BENCH_OK;
    snprintf(path, sizeof path, "%s/cells", options->out_dir);
    if (bench_make_directories(path, error) != BENCH_OK)
        status = error->code;
    else if (access(options->out_dir, W_OK) != 0)
        status = BENCH_FAIL(error, BENCH_IO, "%s: output directory is not writable: %s", options->out_dir,
                            strerror(errno));
    if (status == BENCH_OK && plan->predictions) {
        snprintf(path, sizeof path, "%s/predictions", options->out_dir);
        if (bench_make_directories(path, error) != BENCH_OK)
            status = error->code;
    }
    /* Shards share DIR/cells: one shard must not delete another's cells. */
    if (status == BENCH_OK && !options->resume && !sharded)
        status = clear_cells(options->out_dir, &summary->foreign_files, error);
    /* A results.csv of an earlier run would claim this one complete if it is cut off. */
    snprintf(path, sizeof path, "%s/results.csv", options->out_dir);
    if (status == BENCH_OK && unlink(path) != 0 && errno != ENOENT)
        status = BENCH_FAIL(error, BENCH_IO, "%s: cannot remove: %s", path, strerror(errno));
    if (status == BENCH_OK)
        status = run_cells(plan, options, summary, error);
    summary->seconds = now_seconds() - start;
    /* An interrupted run writes no results.csv: its absence says the run is
     * incomplete, and --resume finishes it. */
    if (status == BENCH_OK)
        status = merge_outputs(plan, summary, options->out_dir, sharded, error);
    bench_dir_lock_release(&lock);
    return status;
}
