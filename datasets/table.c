#include "datasets/table.h"

#include <math.h>
#include <stdlib.h>
#include <string.h>

#include "datasets/csv_reader.h"

/* Interpolating more rows than were read would invent most of a series: a grid
 * that needs that many inserts means the step or the file is wrong. */
#define MAX_GRID_EXPANSION 2

int bench_table_init(bench_table *table, size_t columns, int with_timestamps)
{
    memset(table, 0, sizeof *table);
    table->columns = columns;
    table->row_capacity = 256;
    table->values = malloc(table->row_capacity * (columns ? columns : 1) * sizeof *table->values);
    if (with_timestamps)
        table->timestamps = malloc(table->row_capacity * sizeof *table->timestamps);
    if (table->values == NULL || (with_timestamps && table->timestamps == NULL)) {
        bench_table_release(table);
        return -1;
    }
    return 0;
}

int bench_table_append(bench_table *table, const double *row, int64_t timestamp)
{
    if (table->rows == table->row_capacity) {
        size_t capacity = table->row_capacity * 2;
        double *values = realloc(table->values, capacity * (table->columns ? table->columns : 1) * sizeof *values);
        if (values == NULL)
            return -1;
        table->values = values;
        if (table->timestamps != NULL) {
            int64_t *timestamps = realloc(table->timestamps, capacity * sizeof *timestamps);
            if (timestamps == NULL)
                return -1;
            table->timestamps = timestamps;
        }
        table->row_capacity = capacity;
    }
    memcpy(table->values + table->rows * table->columns, row, table->columns * sizeof *row);
    for (size_t c = 0; c < table->columns; c++)
        table->missing_cells += isnan(row[c]) != 0;
    if (table->timestamps != NULL)
        table->timestamps[table->rows] = timestamp;
    table->rows++;
    return 0;
}

void bench_table_release(bench_table *table)
{
    free(table->values);
    free(table->timestamps);
    table->values = NULL;
    table->timestamps = NULL;
    table->rows = table->row_capacity = 0;
}

int bench_missing_policy_check(const bench_dataset_info *info, int *interpolate, bench_error *error)
{
    *interpolate = 0;
    if (info->missing_policy == NULL || info->missing_policy[0] == '\0')
        return BENCH_OK;
    if (strcmp(info->missing_policy, "interpolate") == 0) {
        *interpolate = 1;
        return BENCH_OK;
    }
    /* No name here: bench_dataset_load_path prefixes the dataset's name. */
    return BENCH_FAIL(error, BENCH_BAD_INPUT, "unknown missing_policy '%s' (known: interpolate, or none)",
                      info->missing_policy);
}

int bench_time_check(const bench_dataset_info *info, const char *path, size_t line, int64_t previous,
                     int64_t current, bench_error *error)
{
    char previous_text[40], current_text[40];
    if (current <= previous) {
        bench_csv_format_time(previous, previous_text, sizeof previous_text);
        bench_csv_format_time(current, current_text, sizeof current_text);
        return BENCH_FAIL(error, BENCH_BAD_INPUT,
                          "%s:%zu: timestamps not increasing: %s does not come after %s (non-monotonic or duplicate)",
                          path, line, current_text, previous_text);
    }
    if (!(info->step_seconds > 0))
        return BENCH_OK;
    int64_t step = (int64_t)llround(info->step_seconds);
    int64_t difference = current - previous;
    if (difference % step != 0) {
        bench_csv_format_time(current, current_text, sizeof current_text);
        return BENCH_FAIL(error, BENCH_BAD_INPUT,
                          "%s:%zu: timestamp %s is %lld s after the previous row, not a multiple of the %lld s step",
                          path, line, current_text, (long long)difference, (long long)step);
    }
    int interpolate = 0;
    if (difference > step && (bench_missing_policy_check(info, &interpolate, NULL) != BENCH_OK || !interpolate)) {
        bench_csv_format_time(previous, previous_text, sizeof previous_text);
        bench_csv_format_time(current, current_text, sizeof current_text);
        return BENCH_FAIL(error, BENCH_BAD_INPUT,
                          "%s:%zu: %lld missing timestamp(s) between %s and %s, and the dataset declares no "
                          "missing-value policy",
                          path, line, (long long)(difference / step - 1), previous_text, current_text);
    }
    return BENCH_OK;
}

/* Fill NaNs of one strided column: linear between the neighbouring values,
 * constant beyond the first/last value.  Returns cells filled, or (size_t)-1
 * when the column has no value at all. */
static size_t interpolate_column(double *values, size_t rows, size_t stride)
{
    size_t filled = 0, previous = rows; /* index of the last value seen; rows = none yet */
    for (size_t t = 0; t < rows; t++) {
        if (isnan(values[t * stride]))
            continue;
        if (previous == rows) {
            for (size_t k = 0; k < t; k++)
                values[k * stride] = values[t * stride];
            filled += t;
        } else if (t > previous + 1) {
            double from = values[previous * stride], to = values[t * stride];
            for (size_t k = previous + 1; k < t; k++)
                values[k * stride] = from + (to - from) * (double)(k - previous) / (double)(t - previous);
            filled += t - previous - 1;
        }
        previous = t;
    }
    if (previous == rows)
        return (size_t)-1;
    for (size_t k = previous + 1; k < rows; k++)
        values[k * stride] = values[previous * stride];
    return filled + (rows - previous - 1);
}

int bench_table_regularize(bench_table *table, const bench_dataset_info *info, const char *path,
                           const char *const *column_names, bench_error *error)
{
    int interpolate = 0;
    int status = bench_missing_policy_check(info, &interpolate, error);
    if (status != BENCH_OK || !interpolate || table->rows == 0)
        return status;
    if (table->timestamps != NULL && info->step_seconds > 0) {
        /* bench_time_check already guaranteed increasing, on-grid timestamps. */
        int64_t step = (int64_t)llround(info->step_seconds);
        size_t grid_rows = (size_t)((table->timestamps[table->rows - 1] - table->timestamps[0]) / step) + 1;
        if (grid_rows > MAX_GRID_EXPANSION * table->rows)
            return BENCH_FAIL(error, BENCH_BAD_INPUT,
                              "%s: %zu rows span %zu steps of %lld s: too many missing timestamps to interpolate",
                              path, table->rows, grid_rows, (long long)step);
        if (grid_rows > table->rows) {
            size_t columns = table->columns;
            double *values = malloc(grid_rows * columns * sizeof *values);
            int64_t *timestamps = malloc(grid_rows * sizeof *timestamps);
            if (values == NULL || timestamps == NULL) {
                free(values);
                free(timestamps);
                return BENCH_FAIL(error, BENCH_NO_MEMORY, "%s: out of memory for the regular grid", path);
            }
            size_t source = 0;
            for (size_t g = 0; g < grid_rows; g++) {
                timestamps[g] = table->timestamps[0] + (int64_t)g * step;
                if (source < table->rows && table->timestamps[source] == timestamps[g]) {
                    memcpy(values + g * columns, table->values + source * columns, columns * sizeof *values);
                    source++;
                } else {
                    for (size_t c = 0; c < columns; c++)
                        values[g * columns + c] = NAN;
                }
            }
            table->missing_rows += grid_rows - table->rows;
            free(table->values);
            free(table->timestamps);
            table->values = values;
            table->timestamps = timestamps;
            table->rows = table->row_capacity = grid_rows;
        }
    }
    size_t filled_total = 0;
    for (size_t c = 0; c < table->columns; c++) {
        size_t filled = interpolate_column(table->values + c, table->rows, table->columns);
        if (filled == (size_t)-1)
            return BENCH_FAIL(error, BENCH_BAD_INPUT, "%s: column '%s' has no values at all", path,
                              column_names && column_names[c] ? column_names[c] : "?");
        filled_total += filled;
    }
    table->missing_cells = filled_total;
    return BENCH_OK;
}

int bench_start_date_parse(const char *text, int64_t *seconds)
{
    if (bench_csv_parse_time(text, "%Y-%m-%d %H:%M:%S", seconds) == 0)
        return 0;
    return bench_csv_parse_time(text, "%Y-%m-%d", seconds);
}

int bench_table_to_aligned(bench_table *table, bench_dataset *out, const bench_dataset_info *info,
                           bench_error *error)
{
    size_t rows = table->rows;
    for (size_t c = 0; c < table->columns; c++) {
        double *values = malloc((rows ? rows : 1) * sizeof *values);
        if (values == NULL)
            return BENCH_FAIL(error, BENCH_NO_MEMORY, "out of memory for %zu x %zu values", rows, table->columns);
        for (size_t t = 0; t < rows; t++)
            values[t] = table->values[t * table->columns + c];
        out->series[c].values = values;
        out->series[c].length = rows;
    }
    free(table->values);
    table->values = NULL;
    out->timestamps = table->timestamps;
    table->timestamps = NULL;
    if (out->timestamps == NULL && info->start_date != NULL) {
        int64_t start;
        if (bench_start_date_parse(info->start_date, &start) != 0)
            return BENCH_FAIL(error, BENCH_BAD_INPUT, "start_date '%s' is not YYYY-MM-DD[ HH:MM:SS]",
                              info->start_date);
        double step = info->synthetic_step_seconds > 0 ? info->synthetic_step_seconds : info->step_seconds;
        if (!(step > 0))
            return BENCH_FAIL(error, BENCH_BAD_INPUT, "start_date '%s' given without a step",
                              info->start_date);
        out->timestamps = malloc((rows ? rows : 1) * sizeof *out->timestamps);
        if (out->timestamps == NULL)
            return BENCH_FAIL(error, BENCH_NO_MEMORY, "out of memory for timestamps");
        for (size_t t = 0; t < rows; t++)
            out->timestamps[t] = start + (int64_t)t * (int64_t)llround(step);
    }
    for (size_t c = 0; c < table->columns; c++)
        out->series[c].timestamps = out->timestamps;
    out->aligned = 1;
    out->missing_filled += table->missing_cells;
    out->missing_timestamps += table->missing_rows;
    table->rows = 0;
    return BENCH_OK;
}
