/* External forecasts lined up with a protocol's windows (bench/external.h). */
#include "bench/external.h"

#include <math.h>
#include <stdint.h>
#include <stdio.h>
#include <stdlib.h>
#include <string.h>
#include <time.h>

#include "reports/csv_file.h"

static int external_create(bench_model **out, const bench_params *params, const bench_task_info *task,
                           bench_error *error)
{
    (void)params, (void)task, (void)error;
    static int placeholder;
    *out = (bench_model *)&placeholder; /* nothing to hold: the forecasts are in the plan */
    return BENCH_OK;
}

static int external_fit(bench_model *model, const bench_train_view *train, bench_rng *rng, bench_error *error)
{
    (void)model, (void)train, (void)rng, (void)error;
    return BENCH_OK;
}

static int external_predict(bench_model *model, const bench_forecast_request *request, bench_rng *rng, double *out,
                            bench_error *error)
{
    (void)model, (void)request, (void)rng, (void)out;
    return BENCH_FAIL(error, BENCH_INTERNAL, "external forecasts come from their file, not from predict()");
}

static void external_destroy(bench_model *model) { (void)model; }

const bench_forecaster bench_external_forecaster = {
    .abi_version = BENCH_FORECASTER_ABI_VERSION,
    .name = "external",
    .description = "forecasts made by another tool, read from `forecasts = PATH` and scored on bench's windows",
    .create = external_create,
    .fit = external_fit,
    .predict = external_predict,
    .destroy = external_destroy,
};

int bench_external_path(char *out, size_t size, const char *pattern, unsigned long long seed, bench_error *error)
{
    size_t used = 0;
    for (const char *p = pattern; *p; p++) {
        int written;
        if (strncmp(p, "{seed}", 6) == 0) {
            written = snprintf(out + used, size - used, "%llu", seed);
            p += 5;
        } else {
            written = snprintf(out + used, size - used, "%c", *p);
        }
        if (written < 0 || (size_t)written >= size - used)
            return BENCH_FAIL(error, BENCH_BAD_INPUT, "forecasts = %s: the path is too long", pattern);
        used += (size_t)written;
    }
    if (used == 0)
        return BENCH_FAIL(error, BENCH_BAD_INPUT, "forecasts: an empty path");
    return BENCH_OK;
}

/* Windows sorted by (series, origin) for lookup. */
typedef struct window_key {
    size_t series, origin, window;
} window_key;

static int compare_keys(const void *a, const void *b)
{
    const window_key *x = a, *y = b;
    if (x->series != y->series)
        return (x->series > y->series) - (x->series < y->series);
    return (x->origin > y->origin) - (x->origin < y->origin);
}

/* ISO 8601 UTC ("2021-01-20T23:00:00Z", also with a space and without Z) to unix seconds. */
static int parse_time(const char *text, int64_t *out)
{
    struct tm parts = {0};
    const char *end = strptime(text, "%Y-%m-%dT%H:%M:%S", &parts);
    if (end == NULL)
        end = strptime(text, "%Y-%m-%d %H:%M:%S", &parts);
    if (end == NULL || (*end != '\0' && strcmp(end, "Z") != 0))
        return -1;
    *out = (int64_t)timegm(&parts);
    return 0;
}

/* The index of series name in task, or -1; rows come grouped by series, so the
 * last match is tried first. */
static long find_series(const bench_task *task, const char *name, long *last)
{
    size_t count = task->train.series_count;
    if (*last >= 0 && strcmp(task->series_views[*last].name, name) == 0)
        return *last;
    for (size_t s = 0; s < count; s++)
        if (strcmp(task->series_views[s].name, name) == 0)
            return *last = (long)s;
    return -1;
}

int bench_external_align(double *out, const bench_task *task, const char *dataset_label, const char *path,
                         bench_error *error)
{
    size_t windows = task->request.window_count, h = task->info.horizon;
    report_csv csv;
    int status = report_csv_read(&csv, path, error);
    if (status != BENCH_OK) {
        report_csv_free(&csv);
        return status == BENCH_NOT_FOUND ? BENCH_BAD_INPUT : status;
    }
    long series_column = report_csv_column(&csv, "series"), step_column = report_csv_column(&csv, "step");
    long origin_column = report_csv_column(&csv, "origin"), time_column = report_csv_column(&csv, "origin_time");
    long original_column = report_csv_column(&csv, "prediction_original");
    long scaled_column = report_csv_column(&csv, "prediction");
    long dataset_column = report_csv_column(&csv, "dataset");
    long value_column = original_column >= 0 ? original_column : scaled_column;
    if (series_column < 0 || step_column < 0 || (origin_column < 0 && time_column < 0) || value_column < 0) {
        report_csv_free(&csv);
        return BENCH_FAIL(error, BENCH_BAD_INPUT,
                          "%s:1: forecasts need the columns series, step, origin or origin_time, and "
                          "prediction_original (the series' units) or prediction (the protocol's scale)",
                          path);
    }
    if (origin_column < 0 && task->timestamps == NULL) {
        report_csv_free(&csv);
        return BENCH_FAIL(error, BENCH_BAD_INPUT,
                          "%s:1: the rows name their origin by origin_time, but dataset %s has no timestamps: "
                          "give the origin column (the window's history length)",
                          path, dataset_label);
    }
    window_key *keys = malloc((windows ? windows : 1) * sizeof *keys);
    unsigned char *filled = calloc(windows * h > 0 ? windows * h : 1, 1);
    if (keys == NULL || filled == NULL) {
        free(keys), free(filled);
        report_csv_free(&csv);
        return BENCH_FAIL(error, BENCH_NO_MEMORY, "aligning %s", path);
    }
    for (size_t w = 0; w < windows; w++)
        keys[w] = (window_key){.series = task->windows[w].series_index,
                               .origin = task->windows[w].history_length, .window = w};
    qsort(keys, windows, sizeof *keys, compare_keys);
    long last_series = -1;
    for (size_t r = 0; r < csv.rows && status == BENCH_OK; r++) {
        size_t line = csv.lines[r];
        const char *series_name = report_csv_cell(&csv, r, (size_t)series_column);
        long step;
        if (report_parse_long(report_csv_cell(&csv, r, (size_t)step_column), &step) != 0) {
            status = BENCH_FAIL(error, BENCH_BAD_INPUT, "%s:%zu: step '%s' is not an integer", path, line,
                                report_csv_cell(&csv, r, (size_t)step_column));
            break;
        }
        if (step <= 0)
            continue; /* look-back rows: history, no forecast */
        if (dataset_column >= 0) {
            const char *dataset = report_csv_cell(&csv, r, (size_t)dataset_column);
            if (dataset[0] != '\0' && strcmp(dataset, dataset_label) != 0) {
                status = BENCH_FAIL(error, BENCH_BAD_INPUT, "%s:%zu: a row of dataset '%s', not '%s'", path, line,
                                    dataset, dataset_label);
                break;
            }
        }
        long series = find_series(task, series_name, &last_series);
        if (series < 0) {
            status = BENCH_FAIL(error, BENCH_BAD_INPUT, "%s:%zu: series '%s' is not a series of dataset %s", path,
                                line, series_name, dataset_label);
            break;
        }
        if ((size_t)step > h) {
            status = BENCH_FAIL(error, BENCH_BAD_INPUT, "%s:%zu: step %ld is beyond the horizon %zu of this cell",
                                path, line, step, h);
            break;
        }
        size_t origin = 0;
        if (origin_column >= 0) {
            long value;
            if (report_parse_long(report_csv_cell(&csv, r, (size_t)origin_column), &value) != 0 || value < 1) {
                status = BENCH_FAIL(error, BENCH_BAD_INPUT, "%s:%zu: origin '%s' is not a positive integer", path,
                                    line, report_csv_cell(&csv, r, (size_t)origin_column));
                break;
            }
            origin = (size_t)value;
        } else {
            const char *text = report_csv_cell(&csv, r, (size_t)time_column);
            int64_t t;
            const int64_t *stamps = task->timestamps + task->series_offset[series];
            size_t length = task->series_full_length[series], low = 0, high = length;
            if (parse_time(text, &t) != 0) {
                status = BENCH_FAIL(error, BENCH_BAD_INPUT,
                                    "%s:%zu: origin_time '%s' is not an ISO 8601 time (2021-01-20T23:00:00Z)", path,
                                    line, text);
                break;
            }
            while (low < high) { /* timestamps ascend */
                size_t middle = low + (high - low) / 2;
                if (stamps[middle] < t)
                    low = middle + 1;
                else
                    high = middle;
            }
            if (low == length || stamps[low] != t) {
                status = BENCH_FAIL(error, BENCH_BAD_INPUT,
                                    "%s:%zu: origin_time %s is not a time of series '%s' (misaligned timestamps?)",
                                    path, line, text, series_name);
                break;
            }
            origin = low + 1; /* the origin follows the last observation */
        }
        window_key probe = {.series = (size_t)series, .origin = origin};
        const window_key *found = bsearch(&probe, keys, windows, sizeof *keys, compare_keys);
        if (found == NULL) {
            status = BENCH_FAIL(error, BENCH_BAD_INPUT,
                                "%s:%zu: series '%s' with origin %zu is not a forecast window of this cell's "
                                "protocol (misaligned origin?)",
                                path, line, series_name, origin);
            break;
        }
        double value;
        if (report_parse_double(report_csv_cell(&csv, r, (size_t)value_column), &value) != 0) {
            status = BENCH_FAIL(error, BENCH_BAD_INPUT, "%s:%zu: the forecast '%s' is not a finite number", path, line,
                                report_csv_cell(&csv, r, (size_t)value_column));
            break;
        }
        size_t slot = found->window * h + (size_t)(step - 1);
        if (filled[slot]) {
            status = BENCH_FAIL(error, BENCH_BAD_INPUT, "%s:%zu: a second forecast for series '%s', origin %zu, step %ld",
                                path, line, series_name, origin, step);
            break;
        }
        filled[slot] = 1;
        /* The protocol's scale, as the metrics see every model's forecasts. */
        if (value_column == original_column && task->scale_std[series] != 0)
            value = (value - task->scale_mean[series]) / task->scale_std[series];
        out[slot] = value;
    }
    for (size_t slot = 0; status == BENCH_OK && slot < windows * h; slot++)
        if (!filled[slot]) {
            size_t missing = 0;
            for (size_t other = slot; other < windows * h; other++)
                missing += !filled[other];
            const bench_forecast_window *window = &task->windows[slot / h];
            status = BENCH_FAIL(error, BENCH_BAD_INPUT,
                                "%s: no forecast for series '%s', origin %zu (window %zu), step %zu; %zu of the %zu "
                                "forecasts this cell scores are missing",
                                path, task->series_views[window->series_index].name, window->history_length,
                                slot / h, slot % h + 1, missing, windows * h);
        }
    free(keys), free(filled);
    report_csv_free(&csv);
    return status;
}
