/* A growing time × columns table of doubles with an optional time axis, and the
 * post-processing every dated reader shares: timestamp checks while reading,
 * then the regular grid and the missing-value policy once the file is read.
 * Internal to datasets/. */
#ifndef BENCH_DATASETS_TABLE_H
#define BENCH_DATASETS_TABLE_H

#include <stddef.h>
#include <stdint.h>

#include "datasets/dataset.h"

typedef struct bench_table {
    size_t rows, columns, row_capacity;
    double *values;        /* (rows, columns) row-major; NaN marks a missing cell */
    int64_t *timestamps;   /* (rows) unix seconds, or NULL when undated */
    size_t missing_cells;  /* NaN cells appended (only a declared policy allows them) */
    size_t missing_rows;   /* rows inserted by the grid */
} bench_table;

/* Start an empty table; with_timestamps: also keep a time axis.  0 or -1 (ENOMEM). */
int bench_table_init(bench_table *table, size_t columns, int with_timestamps);
/* Append one row (columns values; NaN = missing).  0 or -1 (ENOMEM). */
int bench_table_append(bench_table *table, const double *row, int64_t timestamp);
/* Free the buffers the table still owns. */
void bench_table_release(bench_table *table);

/* Whether info declares a known policy; BENCH_BAD_INPUT for an unknown one. */
int bench_missing_policy_check(const bench_dataset_info *info, int *interpolate, bench_error *error);

/* Check `current` (read on `line` of `path`) against the previous timestamp of
 * the same series: strictly increasing always; with a fixed step
 * (info->step_seconds > 0) the difference must be a whole number of steps, and
 * a gap of more than one step is allowed only under a missing-value policy
 * (it becomes rows to fill).  Errors are BENCH_BAD_INPUT naming file and line. */
int bench_time_check(const bench_dataset_info *info, const char *path, size_t line, int64_t previous,
                     int64_t current, bench_error *error);

/* After reading: insert NaN rows for the grid's missing timestamps, then fill
 * every NaN by linear interpolation in time (ends: nearest value).  Does nothing
 * unless the policy is "interpolate".  A column with no value at all fails with
 * BENCH_BAD_INPUT naming `path` and `column_name(column)`. */
int bench_table_regularize(bench_table *table, const bench_dataset_info *info, const char *path,
                           const char *const *column_names, bench_error *error);

/* Move the table's columns into dataset series (out->series must hold
 * table->columns zeroed entries); the table keeps nothing.  The time axis goes to
 * out->timestamps (shared by every series), or is synthesised from
 * info->start_date when the file has none. */
int bench_table_to_aligned(bench_table *table, bench_dataset *out, const bench_dataset_info *info,
                           bench_error *error);

/* Unix seconds of info->start_date ("YYYY-MM-DD" or "YYYY-MM-DD HH:MM:SS", UTC). */
int bench_start_date_parse(const char *text, int64_t *seconds);

#endif
