/* The one validator of a finished cell's files, shared by every task's run,
 * resume and merge (bench/run.c, bench/sweep.c, hcsc/run.c).  It lives on this
 * floor so that the tasks can use it without importing the harness. */
#include "reports/cell_file.h"

#include <jansson.h>
#include <math.h>
#include <stdio.h>
#include <stdlib.h>
#include <string.h>
#include <unistd.h>

#include "bench/results.h"
#include "core/files.h"
#include "datasets/csv_reader.h"

enum { ROW_ID, ROW_TASK, ROW_DATASET, ROW_PROTOCOL, ROW_MODEL, ROW_VARIANT, ROW_HORIZON, ROW_SEED, ROW_METRIC,
       ROW_VALUE, ROW_STATUS, ROW_COLUMNS };

#define CELL_MAX_METRICS 64

typedef struct cell_check {
    const bench_cell_expect *expect;
    const char *path;
    char metrics[CELL_MAX_METRICS][64];
    size_t metric_count;
    size_t ok_rows, error_rows;
} cell_check;

static int check_cell_row(void *context, const bench_csv_record *record, bench_error *error)
{
    cell_check *check = context;
    const bench_cell_expect *expect = check->expect;
    if (record->field_count != ROW_COLUMNS)
        return BENCH_FAIL(error, BENCH_BAD_INPUT, "%s:%zu: %zu fields, expected %d", check->path, record->line,
                          record->field_count, ROW_COLUMNS);
    if (strcmp(record->fields[ROW_ID], expect->id) != 0)
        return BENCH_FAIL(error, BENCH_BAD_INPUT, "%s:%zu: a row of cell %s in the file of cell %s", check->path,
                          record->line, record->fields[ROW_ID], expect->id);
    const struct {
        int field;
        const char *name, *planned;
    } pairs[] = {{ROW_TASK, "task", expect->task},         {ROW_DATASET, "dataset", expect->dataset},
                 {ROW_PROTOCOL, "protocol", expect->protocol}, {ROW_MODEL, "model", expect->model},
                 {ROW_VARIANT, "variant", expect->variant},  {ROW_HORIZON, "horizon", expect->horizon},
                 {ROW_SEED, "seed", expect->seed}};
    for (size_t p = 0; p < sizeof pairs / sizeof pairs[0]; p++)
        if (pairs[p].planned != NULL && strcmp(record->fields[pairs[p].field], pairs[p].planned) != 0)
            return BENCH_FAIL(error, BENCH_BAD_INPUT, "%s:%zu: %s is '%s' but plan.csv says '%s' for cell %s",
                              check->path, record->line, pairs[p].name, record->fields[pairs[p].field],
                              pairs[p].planned, expect->id);
    const char *value = record->fields[ROW_VALUE], *status = record->fields[ROW_STATUS];
    /* Cells whose rows span several protocols (HCSC: knn200, linear, kmeans...)
     * name each expected row protocol:metric. */
    char metric[64];
    if (expect->protocol == NULL)
        snprintf(metric, sizeof metric, "%s:%s", record->fields[ROW_PROTOCOL], record->fields[ROW_METRIC]);
    else
        snprintf(metric, sizeof metric, "%s", record->fields[ROW_METRIC]);
    if (record->fields[ROW_METRIC][0] == '\0' || strlen(record->fields[ROW_METRIC]) + strlen(record->fields[ROW_PROTOCOL]) + 2 > sizeof metric)
        return BENCH_FAIL(error, BENCH_BAD_INPUT, "%s:%zu: bad metric name '%s'", check->path, record->line,
                          record->fields[ROW_METRIC]);
    for (size_t m = 0; m < check->metric_count; m++)
        if (strcmp(check->metrics[m], metric) == 0)
            return BENCH_FAIL(error, BENCH_BAD_INPUT, "%s:%zu: duplicate row: metric %s of cell %s appears twice",
                              check->path, record->line, metric, expect->id);
    if (check->metric_count == CELL_MAX_METRICS)
        return BENCH_FAIL(error, BENCH_BAD_INPUT, "%s:%zu: more than %d metrics in one cell", check->path,
                          record->line, CELL_MAX_METRICS);
    snprintf(check->metrics[check->metric_count++], sizeof check->metrics[0], "%s", metric);
    if (strcmp(status, "ok") == 0) {
        /* An ok row carries a finite number: a NaN or Inf metric is a failed
         * cell (the worker says so), never a result a table averages. */
        double number;
        if (bench_csv_parse_number(value, &number) != BENCH_CELL_NUMBER || !isfinite(number))
            return BENCH_FAIL(error, BENCH_BAD_INPUT, "%s:%zu: value '%s' of metric %s is not a finite number",
                              check->path, record->line, value, metric);
        check->ok_rows++;
    } else if (strcmp(status, "error") == 0) {
        if (value[0] != '\0')
            return BENCH_FAIL(error, BENCH_BAD_INPUT, "%s:%zu: an error row carries the value '%s'", check->path,
                              record->line, value);
        check->error_rows++;
    } else
        return BENCH_FAIL(error, BENCH_BAD_INPUT, "%s:%zu: status '%s' is neither ok nor error", check->path,
                          record->line, status);
    return BENCH_OK;
}

/* Every name of the space-separated expected list appears among the rows. */
static int check_metric_set(const cell_check *check, bench_error *error)
{
    const char *list = check->expect->metrics;
    size_t expected = 0;
    while (*list) {
        size_t length = strcspn(list, " ");
        if (length > 0) {
            expected++;
            size_t m = 0;
            while (m < check->metric_count &&
                   !(strlen(check->metrics[m]) == length && strncmp(check->metrics[m], list, length) == 0))
                m++;
            if (m == check->metric_count)
                return BENCH_FAIL(error, BENCH_BAD_INPUT, "%s: the row of metric %.*s is missing (cell %s must report: %s)",
                                  check->path, (int)length, list, check->expect->id, check->expect->metrics);
        }
        list += length;
        while (*list == ' ')
            list++;
    }
    if (check->metric_count != expected)
        return BENCH_FAIL(error, BENCH_BAD_INPUT, "%s: %zu metric rows where cell %s must report exactly: %s",
                          check->path, check->metric_count, check->expect->id, check->expect->metrics);
    return BENCH_OK;
}

static int file_exists(const char *path) { return access(path, F_OK) == 0; }

bench_cellfile_state bench_cell_file_check(const char *dir, const bench_cell_expect *expect, char **rows,
                                        bench_error *error)
{
    if (rows != NULL)
        *rows = NULL;
    char csv_path[4200], json_path[4200];
    snprintf(csv_path, sizeof csv_path, "%s/cells/%s.csv", dir, expect->id);
    snprintf(json_path, sizeof json_path, "%s/cells/%s.json", dir, expect->id);
    /* The worker writes the record last: rows without a record belong to a
     * cell that was cut off, which is the same as not run. */
    if ((expect->record && !file_exists(json_path)) || !file_exists(csv_path)) {
        BENCH_FAIL(error, BENCH_NOT_FOUND, "%s: not finished", csv_path);
        return BENCH_CELLFILE_MISSING;
    }
    cell_check check = {.expect = expect, .path = csv_path};
    size_t records = 0;
    if (bench_csv_read(csv_path, ',', check_cell_row, &check, &records, error) != BENCH_OK)
        return BENCH_CELLFILE_INVALID;
    if (check_metric_set(&check, error) != BENCH_OK)
        return BENCH_CELLFILE_INVALID;
    if (check.ok_rows && check.error_rows && !expect->per_metric_status) {
        BENCH_FAIL(error, BENCH_BAD_INPUT, "%s: both ok and error rows: a cell either succeeded or failed", csv_path);
        return BENCH_CELLFILE_INVALID;
    }
    char *text = NULL;
    size_t length = 0;
    if (bench_read_file(csv_path, &text, &length, error) != BENCH_OK)
        return BENCH_CELLFILE_INVALID;
    if (length == 0 || text[length - 1] != '\n' || strlen(text) != length) {
        free(text);
        BENCH_FAIL(error, BENCH_BAD_INPUT, "%s: the last row is incomplete (no final newline)", csv_path);
        return BENCH_CELLFILE_INVALID;
    }
    if (!expect->record) {
        bench_cellfile_state state = check.error_rows && !(expect->per_metric_status && check.ok_rows)
                                         ? BENCH_CELLFILE_FAILED
                                         : BENCH_CELLFILE_OK;
        if (state == BENCH_CELLFILE_FAILED)
            BENCH_FAIL(error, BENCH_MODEL, "%s: the cell failed", csv_path);
        if (rows != NULL)
            *rows = text;
        else
            free(text);
        return state;
    }
    /* The record must be this cell's and agree with the rows. */
    json_error_t json_error;
    json_t *record = json_load_file(json_path, 0, &json_error);
    const char *id = record ? json_string_value(json_object_get(record, "cell_id")) : NULL;
    const char *status = record ? json_string_value(json_object_get(record, "status")) : NULL;
    bench_cellfile_state state = BENCH_CELLFILE_INVALID;
    if (record == NULL)
        BENCH_FAIL(error, BENCH_BAD_INPUT, "%s:%d: not a cell record: %s", json_path, json_error.line, json_error.text);
    else if (id == NULL || strcmp(id, expect->id) != 0)
        BENCH_FAIL(error, BENCH_BAD_INPUT, "%s: the record of cell %s in the file of cell %s", json_path,
                   id ? id : "(none)", expect->id);
    else if (status == NULL || (strcmp(status, "ok") && strcmp(status, "error")))
        BENCH_FAIL(error, BENCH_BAD_INPUT, "%s: status is neither ok nor error", json_path);
    else if ((strcmp(status, "ok") == 0) != (check.error_rows == 0))
        BENCH_FAIL(error, BENCH_BAD_INPUT, "%s: the record says %s but %s holds %s rows", json_path, status, csv_path,
                   check.error_rows ? "error" : "ok");
    else if (!json_is_number(json_object_get(record, "seconds")))
        BENCH_FAIL(error, BENCH_BAD_INPUT, "%s: no seconds", json_path);
    else if (strcmp(status, "ok") == 0)
        state = BENCH_CELLFILE_OK;
    else {
        const char *reason = json_string_value(json_object_get(record, "error"));
        BENCH_FAIL(error, BENCH_MODEL, "%s", reason ? reason : "no error message recorded");
        /* Infrastructure failures (a worker killed from outside, a time limit
         * of the scheduler) say nothing about the model: --resume reruns them. */
        state = json_is_true(json_object_get(record, "infrastructure")) ? BENCH_CELLFILE_FAILED_INFRA : BENCH_CELLFILE_FAILED;
    }
    json_decref(record);
    if (rows != NULL && (state == BENCH_CELLFILE_OK || state == BENCH_CELLFILE_FAILED || state == BENCH_CELLFILE_FAILED_INFRA))
        *rows = text;
    else
        free(text);
    return state;
}

int bench_cells_append(FILE *results, size_t count, bench_cell_expect (*cell)(void *context, size_t index, const char **dir),
                       int (*missing)(void *context, size_t index, FILE *results, bench_error *error), void *context,
                       size_t *failed, bench_error *error)
{
    *failed = 0;
    fputs(BENCH_RESULTS_HEADER, results);
    for (size_t i = 0; i < count; i++) {
        const char *dir = NULL;
        bench_cell_expect expect = cell(context, i, &dir);
        char *rows = NULL;
        bench_error problem = {0};
        bench_cellfile_state state = bench_cell_file_check(dir, &expect, &rows, &problem);
        if (state == BENCH_CELLFILE_MISSING && missing != NULL) {
            int status = missing(context, i, results, error);
            if (status != BENCH_OK)
                return status;
            ++*failed;
            continue;
        }
        if (rows == NULL) { /* missing without a fallback, or invalid */
            *error = problem;
            return problem.code != BENCH_OK && problem.code != BENCH_MODEL
                       ? problem.code
                       : BENCH_FAIL(error, BENCH_BAD_INPUT, "%s/cells/%s.csv: not readable as a finished cell", dir,
                                    expect.id);
        }
        fputs(rows, results);
        free(rows);
        *failed += state != BENCH_CELLFILE_OK;
    }
    return ferror(results) ? BENCH_FAIL(error, BENCH_IO, "results.csv: cannot write") : BENCH_OK;
}
