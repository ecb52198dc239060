/* Long ("tidy") format: a header and one observation per row,
 * `series_id,timestamp,value` (column names configurable through the registry
 * row: series_column, date_column, columns).  Rows of one series may be
 * interleaved with others; within a series timestamps must increase.  Series
 * keep the order of their first appearance. */
#include <search.h>
#include <stdlib.h>
#include <string.h>

#include "datasets/csv_reader.h"
#include "datasets/format.h"
#include "datasets/table.h"

#define DEFAULT_SERIES_COLUMN "series_id"
#define DEFAULT_TIME_COLUMN "timestamp"
#define DEFAULT_VALUE_COLUMN "value"
#define DEFAULT_TIMESTAMP_FORMAT "%Y-%m-%d %H:%M:%S"

typedef struct long_series {
    char *id;
    bench_table table;  /* one column, dated */
} long_series;

typedef struct long_reader {
    const bench_dataset_info *info;
    const char *path;
    int interpolate;
    size_t field_count;
    size_t id_index, time_index, value_index;
    char *value_name;
    void *tree;                 /* tsearch(3) index by id */
    long_series **series;       /* (count) in order of first appearance */
    size_t count, capacity;
    long_series *last;          /* rows usually come grouped: skip the lookup */
} long_reader;

static int compare_ids(const void *a, const void *b)
{
    return strcmp(((const long_series *)a)->id, ((const long_series *)b)->id);
}

static int header_index(const long_reader *reader, const bench_csv_record *record, const char *name, size_t *index,
                        bench_error *error)
{
    for (size_t i = 0; i < record->field_count; i++)
        if (strcmp(record->fields[i], name) == 0) {
            *index = i;
            return BENCH_OK;
        }
    return BENCH_FAIL(error, BENCH_BAD_INPUT, "%s:%zu: missing column '%s' in the header of a long-format file",
                      reader->path, record->line, name);
}

static int read_long_header(long_reader *reader, const bench_csv_record *record, bench_error *error)
{
    const bench_dataset_info *info = reader->info;
    const char *value_column = info->columns ? info->columns : DEFAULT_VALUE_COLUMN;
    reader->field_count = record->field_count;
    int status = header_index(reader, record, info->series_column ? info->series_column : DEFAULT_SERIES_COLUMN,
                              &reader->id_index, error);
    if (status == BENCH_OK)
        status = header_index(reader, record, info->date_column ? info->date_column : DEFAULT_TIME_COLUMN,
                              &reader->time_index, error);
    if (status == BENCH_OK)
        status = header_index(reader, record, value_column, &reader->value_index, error);
    if (status == BENCH_OK && (reader->value_name = strdup(value_column)) == NULL)
        status = BENCH_FAIL(error, BENCH_NO_MEMORY, "%s: out of memory", reader->path);
    return status;
}

static int lookup_series(long_reader *reader, const char *id, size_t line, long_series **found, bench_error *error)
{
    if (reader->last != NULL && strcmp(reader->last->id, id) == 0) {
        *found = reader->last;
        return BENCH_OK;
    }
    long_series key = {.id = (char *)id};
    long_series **hit = tfind(&key, &reader->tree, compare_ids);
    if (hit != NULL) {
        *found = reader->last = *hit;
        return BENCH_OK;
    }
    if (reader->count == reader->capacity) {
        size_t capacity = reader->capacity ? 2 * reader->capacity : 16;
        long_series **grown = realloc(reader->series, capacity * sizeof *grown);
        if (grown == NULL)
            return BENCH_FAIL(error, BENCH_NO_MEMORY, "%s:%zu: out of memory", reader->path, line);
        reader->series = grown;
        reader->capacity = capacity;
    }
    long_series *series = calloc(1, sizeof *series);
    if (series == NULL || (series->id = strdup(id)) == NULL || bench_table_init(&series->table, 1, 1) != 0) {
        if (series != NULL)
            free(series->id);
        free(series);
        return BENCH_FAIL(error, BENCH_NO_MEMORY, "%s:%zu: out of memory", reader->path, line);
    }
    reader->series[reader->count++] = series;
    if (tsearch(series, &reader->tree, compare_ids) == NULL)
        return BENCH_FAIL(error, BENCH_NO_MEMORY, "%s:%zu: out of memory", reader->path, line);
    *found = reader->last = series;
    return BENCH_OK;
}

static int read_long_row(void *context, const bench_csv_record *record, bench_error *error)
{
    long_reader *reader = context;
    if (record->index == 0)
        return read_long_header(reader, record, error);
    if (record->field_count != reader->field_count)
        return BENCH_FAIL(error, BENCH_BAD_INPUT, "%s:%zu: ragged row: %zu fields, the header has %zu", reader->path,
                          record->line, record->field_count, reader->field_count);
    const char *id = record->fields[reader->id_index];
    if (id[0] == '\0')
        return BENCH_FAIL(error, BENCH_BAD_INPUT, "%s:%zu:%zu: empty series id", reader->path, record->line,
                          reader->id_index + 1);
    const char *format = reader->info->timestamp_format ? reader->info->timestamp_format : DEFAULT_TIMESTAMP_FORMAT;
    int64_t timestamp;
    if (bench_csv_parse_time(record->fields[reader->time_index], format, &timestamp) != 0)
        return BENCH_FAIL(error, BENCH_BAD_INPUT, "%s:%zu:%zu: unparsable date '%.40s' (expected format '%s')",
                          reader->path, record->line, reader->time_index + 1, record->fields[reader->time_index],
                          format);
    double value;
    int status = bench_csv_read_cell(reader->path, record->line, reader->value_index + 1, reader->value_name,
                                     record->fields[reader->value_index], reader->interpolate, &value, error);
    long_series *series = NULL;
    if (status == BENCH_OK)
        status = lookup_series(reader, id, record->line, &series, error);
    if (status == BENCH_OK && series->table.rows > 0)
        status = bench_time_check(reader->info, reader->path, record->line,
                                  series->table.timestamps[series->table.rows - 1], timestamp, error);
    if (status == BENCH_OK && bench_table_append(&series->table, &value, timestamp) != 0)
        status = BENCH_FAIL(error, BENCH_NO_MEMORY, "%s:%zu: out of memory", reader->path, record->line);
    return status;
}

/* Series with identical time axes form an aligned dataset sharing one axis. */
static void align_if_possible(bench_dataset *out)
{
    if (out->series_count == 0)
        return;
    const bench_series *first = &out->series[0];
    for (size_t s = 1; s < out->series_count; s++)
        if (out->series[s].length != first->length ||
            memcmp(out->series[s].timestamps, first->timestamps, first->length * sizeof *first->timestamps) != 0)
            return;
    out->aligned = 1;
    out->timestamps = first->timestamps;
    for (size_t s = 1; s < out->series_count; s++) {
        free(out->series[s].timestamps);
        out->series[s].timestamps = out->timestamps;
    }
}

static void no_free(void *node)
{
    (void)node;
}

static int load_long(bench_dataset *out, const bench_dataset_info *info, const char *const paths[2],
                     bench_error *error)
{
    long_reader reader = {.info = info, .path = paths[0]};
    int status = bench_missing_policy_check(info, &reader.interpolate, error);
    if (status == BENCH_OK)
        status = bench_csv_read(paths[0], info->delimiter, read_long_row, &reader, NULL, error);
    if (status == BENCH_OK && reader.count == 0)
        status = BENCH_FAIL(error, BENCH_BAD_INPUT, "%s:2: header only, no data rows", paths[0]);
    if (status == BENCH_OK) {
        out->series = calloc(reader.count, sizeof *out->series);
        if (out->series == NULL)
            status = BENCH_FAIL(error, BENCH_NO_MEMORY, "%s: out of memory", paths[0]);
    }
    for (size_t s = 0; status == BENCH_OK && s < reader.count; s++) {
        long_series *series = reader.series[s];
        const char *names[1] = {series->id};
        status = bench_table_regularize(&series->table, info, paths[0], names, error);
        if (status != BENCH_OK)
            break;
        bench_series *target = &out->series[s];
        target->name = series->id;
        series->id = NULL;
        target->length = series->table.rows;
        target->values = series->table.values;
        target->timestamps = series->table.timestamps;
        out->missing_filled += series->table.missing_cells;
        out->missing_timestamps += series->table.missing_rows;
        series->table.values = NULL;
        series->table.timestamps = NULL;
        out->series_count = s + 1;
    }
    if (status == BENCH_OK)
        align_if_possible(out);
    tdestroy(reader.tree, no_free);
    for (size_t s = 0; s < reader.count; s++) {
        bench_table_release(&reader.series[s]->table);
        free(reader.series[s]->id);
        free(reader.series[s]);
    }
    free(reader.series);
    free(reader.value_name);
    return status;
}

BENCH_FORMAT(long, 1, "long format: header, one observation per row (series_id,timestamp,value)",
             load_long);
