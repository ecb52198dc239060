#include "datasets/table.h"

#include <math.h>
#include <stdlib.h>
#include <stdio.h>
#include <string.h>
#include <time.h>

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

/* The regular grid an entry declares: a fixed step in seconds (hourly, daily,
 * weekly, 10min), or a calendar step in months (monthly, quarterly, yearly: step
 * seconds 0), whose rows may fall on any day of their month. */
typedef struct time_grid {
    int64_t seconds;  /* > 0: fixed step */
    int64_t months;   /* > 0: calendar step */
} time_grid;

static time_grid grid_of(const bench_dataset_info *info)
{
    time_grid grid = {0, 0};
    if (info->step_seconds > 0)
        grid.seconds = (int64_t)llround(info->step_seconds);
    else if (info->frequency != NULL && !strcmp(info->frequency, "monthly"))
        grid.months = 1;
    else if (info->frequency != NULL && !strcmp(info->frequency, "quarterly"))
        grid.months = 3;
    else if (info->frequency != NULL && !strcmp(info->frequency, "yearly"))
        grid.months = 12;
    return grid;
}

static int64_t month_number(int64_t seconds)
{
    time_t value = (time_t)seconds;
    struct tm broken;
    gmtime_r(&value, &broken);
    return (int64_t)(broken.tm_year + 1900) * 12 + broken.tm_mon;
}

/* Grid steps from `from` to `to` (to > from), or -1 when not a whole number. */
static int64_t grid_steps(time_grid grid, int64_t from, int64_t to)
{
    int64_t difference = grid.seconds > 0 ? to - from : month_number(to) - month_number(from);
    int64_t step = grid.seconds > 0 ? grid.seconds : grid.months;
    return difference % step == 0 ? difference / step : -1;
}

/* The timestamp `steps` grid steps after `origin` (calendar steps keep the
 * origin's time of day and its day of month, clamped to 28). */
static int64_t grid_time(time_grid grid, int64_t origin, int64_t steps)
{
    if (grid.seconds > 0)
        return origin + steps * grid.seconds;
    time_t value = (time_t)origin;
    struct tm broken;
    gmtime_r(&value, &broken);
    broken.tm_mon += (int)(steps * grid.months);
    if (broken.tm_mday > 28)
        broken.tm_mday = 28;
    return (int64_t)timegm(&broken);
}

static void describe_step(time_grid grid, char *buffer, size_t size)
{
    if (grid.seconds > 0)
        snprintf(buffer, size, "%lld s", (long long)grid.seconds);
    else
        snprintf(buffer, size, "%lld-month", (long long)grid.months);
}

int bench_time_check(const bench_dataset_info *info, const char *path, size_t line, int64_t previous,
                     int64_t current, bench_error *error)
{
    char previous_text[40], current_text[40], step_text[32];
    bench_csv_format_time(previous, previous_text, sizeof previous_text);
    bench_csv_format_time(current, current_text, sizeof current_text);
    if (current <= previous)
        return BENCH_FAIL(error, BENCH_BAD_INPUT,
                          "%s:%zu: timestamps not increasing: %s does not come after %s (non-monotonic or duplicate)",
                          path, line, current_text, previous_text);
    time_grid grid = grid_of(info);
    if (grid.seconds == 0 && grid.months == 0)
        return BENCH_OK;
    describe_step(grid, step_text, sizeof step_text);
    int64_t steps = grid_steps(grid, previous, current);
    if (steps <= 0)
        return BENCH_FAIL(error, BENCH_BAD_INPUT,
                          "%s:%zu: timestamp %s after %s is not a multiple of the %s step (off the regular grid)",
                          path, line, current_text, previous_text, step_text);
    int interpolate = 0;
    if (steps > 1 && (bench_missing_policy_check(info, &interpolate, NULL) != BENCH_OK || !interpolate))
        return BENCH_FAIL(error, BENCH_BAD_INPUT,
                          "%s:%zu: %lld missing timestamp(s) between %s and %s, and the dataset declares no "
                          "missing-value policy",
                          path, line, (long long)(steps - 1), previous_text, current_text);
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
    time_grid grid = grid_of(info);
    if (table->timestamps != NULL && (grid.seconds > 0 || grid.months > 0)) {
        /* bench_time_check already guaranteed increasing, on-grid timestamps. */
        int64_t origin = table->timestamps[0];
        size_t grid_rows = (size_t)grid_steps(grid, origin, table->timestamps[table->rows - 1]) + 1;
        char step_text[32];
        describe_step(grid, step_text, sizeof step_text);
        if (grid_rows > MAX_GRID_EXPANSION * table->rows)
            return BENCH_FAIL(error, BENCH_BAD_INPUT,
                              "%s: %zu rows span %zu steps of %s: too many missing timestamps to interpolate",
                              path, table->rows, grid_rows, step_text);
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
                if (source < table->rows && grid_steps(grid, origin, table->timestamps[source]) == (int64_t)g) {
                    timestamps[g] = table->timestamps[source]; /* rows read keep their own time */
                    memcpy(values + g * columns, table->values + source * columns, columns * sizeof *values);
                    source++;
                } else {
                    timestamps[g] = grid_time(grid, origin, (int64_t)g);
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
