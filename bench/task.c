/* Building blocks shared by the protocols: copying the selected series into a
 * task, windows, standardisation, calendar covariates, and freeing. */
#include <errno.h>
#include <math.h>
#include <stdio.h>
#include <stdlib.h>
#include <string.h>
#include <time.h>

#include "bench/protocol.h"
#include "bench/scaling.h"
#include "forecasters/calendar.h"

bench_task *bench_task_new(const bench_protocol *protocol, const bench_dataset *dataset, size_t horizon,
                           const size_t *series_indices, size_t series_count)
{
    bench_task *task = calloc(1, sizeof *task);
    if (task == NULL)
        return NULL;
    task->protocol = protocol;
    size_t total = 0;
    int dated = 1;
    for (size_t i = 0; i < series_count; i++) {
        const bench_series *series = &dataset->series[series_indices[i]];
        total += series->length;
        dated &= series->timestamps != NULL;
    }
    task->series_views = calloc(series_count, sizeof *task->series_views);
    task->series_offset = calloc(series_count, sizeof *task->series_offset);
    task->series_full_length = calloc(series_count, sizeof *task->series_full_length);
    task->values = malloc((total ? total : 1) * sizeof *task->values);
    task->scale_mean = calloc(series_count, sizeof *task->scale_mean);
    task->scale_std = malloc(series_count * sizeof *task->scale_std);
    if (dated)
        task->timestamps = malloc((total ? total : 1) * sizeof *task->timestamps);
    if (!task->series_views || !task->series_offset || !task->series_full_length || !task->values ||
        !task->scale_mean || !task->scale_std || (dated && !task->timestamps)) {
        bench_task_free(task);
        return NULL;
    }
    size_t offset = 0;
    for (size_t i = 0; i < series_count; i++) {
        const bench_series *series = &dataset->series[series_indices[i]];
        memcpy(task->values + offset, series->values, series->length * sizeof *task->values);
        if (dated)
            memcpy(task->timestamps + offset, series->timestamps, series->length * sizeof *task->timestamps);
        task->series_offset[i] = offset;
        task->series_full_length[i] = series->length;
        task->scale_std[i] = 1.0;
        bench_series_view *view = &task->series_views[i];
        view->name = series->name;
        view->length = view->train_length = series->length;
        view->values = task->values + offset;
        view->timestamps = dated ? task->timestamps + offset : NULL;
        offset += series->length;
    }
    task->train.series_count = series_count;
    task->train.series = task->series_views;
    task->info.dataset = dataset->name;
    task->info.protocol = protocol->name;
    task->info.horizon = horizon;
    task->info.seasonal_period = dataset->seasonal_period > 0 ? dataset->seasonal_period : 1;
    task->info.step_seconds = dataset->step_seconds;
    task->info.threads = 1;
    task->request.horizon = horizon;
    return task;
}

int bench_task_alloc_windows(bench_task *task, size_t window_count, bench_error *error)
{
    size_t horizon = task->info.horizon;
    task->windows = calloc(window_count ? window_count : 1, sizeof *task->windows);
    task->truth = malloc((window_count * horizon > 0 ? window_count * horizon : 1) * sizeof *task->truth);
    if (task->windows == NULL || task->truth == NULL)
        return BENCH_FAIL(error, BENCH_NO_MEMORY, "%s: out of memory for %zu windows of %zu steps",
                          task->info.dataset, window_count, horizon);
    task->request.windows = task->windows;
    task->request.window_count = window_count;
    return BENCH_OK;
}

void bench_task_set_window(bench_task *task, size_t w, size_t series, size_t origin)
{
    const bench_series_view *view = &task->series_views[series];
    size_t covariate_count = task->info.covariate_count;
    bench_forecast_window *window = &task->windows[w];
    window->series_index = series;
    window->history_length = origin;
    window->history = task->values + task->series_offset[series];
    window->timestamps = view->timestamps;
    window->covariates = task->covariates ? task->covariates + task->series_offset[series] * covariate_count
                                          : NULL;
    memcpy(task->truth + w * task->info.horizon, window->history + origin,
           task->info.horizon * sizeof *task->truth);
}

/* "first:N", or -1 when selection is not of that form; *count gets N. */
static int parse_first(const char *selection, long *count)
{
    if (strncmp(selection, "first:", 6) != 0)
        return -1;
    char *end;
    errno = 0;
    *count = strtol(selection + 6, &end, 10);
    return errno || end == selection + 6 || *end != '\0' ? -2 : 0;
}

/* A bare integer once meant "the first N series" while "7," meant the series
 * named 7; one spelling per meaning now: first:N, or names. */
int bench_series_selection_check(const char *selection, char *problem, size_t size)
{
    long first;
    int form = parse_first(selection, &first);
    if (form == -2 || (form == 0 && first <= 0)) {
        snprintf(problem, size, "expected first:N with N a positive integer");
        return -1;
    }
    if (form == 0 || selection[0] == '\0' || strcmp(selection, "all") == 0)
        return 0;
    size_t length = strlen(selection);
    size_t item = strcspn(selection, ",");
    if (selection[0] == ',' || selection[length - 1] == ',' || strstr(selection, ",,") != NULL) {
        snprintf(problem, size, "expected all, first:N, or a comma list of series names (no empty names)");
        return -1;
    }
    if (item == length && strspn(selection, "0123456789") == length) {
        snprintf(problem, size,
                 "a bare number is ambiguous: write first:%s for the first %s series, or name:%s for the series "
                 "named %s",
                 selection, selection, selection, selection);
        return -1;
    }
    return 0;
}

int bench_select_series(const bench_dataset *dataset, const char *selection, size_t **indices, size_t *count,
                        bench_error *error)
{
    char problem[256];
    if (bench_series_selection_check(selection, problem, sizeof problem) != 0)
        return BENCH_FAIL(error, BENCH_BAD_INPUT, "%s: series = %s: %s", dataset->name, selection, problem);
    size_t *chosen = malloc((dataset->series_count ? dataset->series_count : 1) * sizeof *chosen);
    if (chosen == NULL)
        return BENCH_FAIL(error, BENCH_NO_MEMORY, "out of memory");
    size_t used = 0;
    long first;
    if (selection[0] == '\0' || strcmp(selection, "all") == 0) {
        for (size_t i = 0; i < dataset->series_count; i++)
            chosen[used++] = i;
    } else if (parse_first(selection, &first) == 0) {
        if ((size_t)first > dataset->series_count) {
            free(chosen);
            return BENCH_FAIL(error, BENCH_BAD_INPUT, "%s: series = %s, but the dataset has %zu series",
                              dataset->name, selection, dataset->series_count);
        }
        for (size_t i = 0; i < (size_t)first; i++)
            chosen[used++] = i;
    } else {
        const char *cursor = selection;
        while (*cursor != '\0') {
            size_t length = strcspn(cursor, ",");
            const char *name = cursor;
            if (length > 5 && !strncmp(name, "name:", 5))
                name += 5, length -= 5; /* name:7 is the series named 7 */
            size_t found = dataset->series_count;
            for (size_t i = 0; i < dataset->series_count; i++)
                if (strlen(dataset->series[i].name) == length && !strncmp(dataset->series[i].name, name, length))
                    found = i;
            int repeated = 0;
            for (size_t i = 0; i < used && found < dataset->series_count; i++)
                repeated |= chosen[i] == found;
            if (found == dataset->series_count || repeated) {
                free(chosen);
                return BENCH_FAIL(error, BENCH_BAD_INPUT, "%s: %s series named '%.*s' (series = %s)", dataset->name,
                                  repeated ? "twice the" : "no", (int)length, name, selection);
            }
            chosen[used++] = found;
            cursor += (size_t)(name - cursor) + length;
            if (*cursor == ',')
                cursor++;
        }
    }
    *indices = chosen;
    *count = used;
    return BENCH_OK;
}

void bench_task_standardize(bench_task *task, size_t fit_length)
{
    for (size_t s = 0; s < task->train.series_count; s++) {
        double *values = task->values + task->series_offset[s];
        size_t n = fit_length < task->series_full_length[s] ? fit_length : task->series_full_length[s];
        bench_scaler scaler = bench_scaler_fit_standard(values, n);
        bench_scaler_apply(&scaler, values, values, task->series_full_length[s]);
        task->scale_mean[s] = scaler.shift;
        task->scale_std[s] = scaler.scale;
    }
}

int bench_task_set_metrics(bench_task *task, const char *const *names, size_t count)
{
    if (count > BENCH_TASK_MAX_METRICS)
        return BENCH_INTERNAL;
    for (size_t i = 0; i < count; i++)
        task->metric_names[i] = names[i];
    task->metric_count = count;
    return BENCH_OK;
}

/* Parse "YYYY-MM-DD" or "YYYY-MM-DD HH:MM:SS" as UTC. */
static int parse_start_date(const char *text, int64_t *out)
{
    struct tm fields = {0};
    const char *end = strptime(text, "%Y-%m-%d %H:%M:%S", &fields);
    if (end == NULL || *end != '\0') {
        memset(&fields, 0, sizeof fields);
        end = strptime(text, "%Y-%m-%d", &fields);
        if (end == NULL || *end != '\0')
            return -1;
    }
    *out = (int64_t)timegm(&fields);
    return 0;
}

int bench_task_add_calendar(bench_task *task, const bench_dataset *dataset, const char *names,
                            const char *start_date, bench_error *error)
{
    if (names == NULL || names[0] == '\0' || strcmp(names, "none") == 0)
        return BENCH_OK;
    /* Split the comma list into owned names. */
    size_t count = 1;
    for (const char *c = names; *c; c++)
        count += *c == ',';
    task->covariate_names = calloc(count, sizeof *task->covariate_names);
    if (task->covariate_names == NULL)
        return BENCH_FAIL(error, BENCH_NO_MEMORY, "out of memory");
    const char *cursor = names;
    for (size_t i = 0; i < count; i++) {
        size_t length = strcspn(cursor, ",");
        while (length > 0 && *cursor == ' ')
            cursor++, length--;
        task->covariate_names[i] = strndup(cursor, length);
        if (task->covariate_names[i] == NULL)
            return BENCH_FAIL(error, BENCH_NO_MEMORY, "out of memory");
        for (size_t k = strlen(task->covariate_names[i]); k > 0 && task->covariate_names[i][k - 1] == ' '; k--)
            task->covariate_names[i][k - 1] = '\0';
        cursor += strcspn(cursor, ",");
        if (*cursor == ',')
            cursor++;
    }
    task->info.covariate_count = count;
    task->info.covariate_names = (const char *const *)task->covariate_names;

    size_t total = 0;
    for (size_t s = 0; s < task->train.series_count; s++)
        total += task->series_full_length[s];
    task->covariates = malloc((total * count > 0 ? total * count : 1) * sizeof *task->covariates);
    if (task->covariates == NULL)
        return BENCH_FAIL(error, BENCH_NO_MEMORY, "out of memory for covariates");

    int64_t start = 0;
    int synthetic = task->timestamps == NULL;
    if (synthetic) {
        if (start_date == NULL || parse_start_date(start_date, &start) != 0 || !(dataset->step_seconds > 0))
            return BENCH_FAIL(error, BENCH_BAD_INPUT,
                              "%s: covariates = %s need timestamps, but the data has none and no start_date "
                              "with a known step is set",
                              dataset->name, names);
    }
    for (size_t s = 0; s < task->train.series_count; s++) {
        size_t length = task->series_full_length[s];
        const int64_t *stamps = synthetic ? NULL : task->timestamps + task->series_offset[s];
        int64_t *generated = NULL;
        if (synthetic) {
            generated = malloc((length ? length : 1) * sizeof *generated);
            if (generated == NULL)
                return BENCH_FAIL(error, BENCH_NO_MEMORY, "out of memory");
            for (size_t t = 0; t < length; t++)
                generated[t] = start + (int64_t)t * (int64_t)dataset->step_seconds;
            stamps = generated;
        }
        int status = bench_calendar_covariates(task->covariates + task->series_offset[s] * count, stamps, length,
                                               (const char *const *)task->covariate_names, count, error);
        free(generated);
        if (status != BENCH_OK)
            return bench_error_prefix(error, "%s: ", dataset->name);
        task->series_views[s].covariates = task->covariates + task->series_offset[s] * count;
    }
    return BENCH_OK;
}

void bench_task_free(bench_task *task)
{
    if (task == NULL)
        return;
    if (task->free_protocol_state != NULL)
        task->free_protocol_state(task->protocol_state);
    if (task->covariate_names != NULL)
        for (size_t i = 0; i < task->info.covariate_count; i++)
            free(task->covariate_names[i]);
    free(task->covariate_names);
    free(task->series_views);
    free(task->series_offset);
    free(task->series_full_length);
    free(task->values);
    free(task->timestamps);
    free(task->covariates);
    free(task->scale_mean);
    free(task->scale_std);
    free(task->windows);
    free(task->truth);
    free(task);
}
