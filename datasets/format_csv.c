/* Two row-oriented text formats that produce one aligned time × columns table:
 *
 *   csv_dated  a header row, one date column (ETT / TSLib: `date,...,OT`; vega's
 *              `temp,date`; statsmodels' `date,co2`), numeric value columns;
 *   lstnet     no header, only numbers, time × series (LSTNet's .txt/.txt.gz).
 *
 * Both check every row as it arrives, so errors name the line and column. */
#include <math.h>
#include <stdio.h>
#include <stdlib.h>
#include <string.h>

#include "datasets/csv_reader.h"
#include "datasets/format.h"
#include "datasets/table.h"

#define NO_COLUMN ((size_t)-1)
#define DEFAULT_TIMESTAMP_FORMAT "%Y-%m-%d %H:%M:%S"

typedef struct table_reader {
    const bench_dataset_info *info;
    const char *path;
    int has_header;
    int interpolate;
    size_t field_count;      /* fields every row must have */
    char **header;           /* (field_count) names, or NULL without header */
    size_t date_index;       /* NO_COLUMN when the rows carry no date */
    size_t *value_index;     /* (value_count) field index of each kept column */
    size_t value_count;
    double *row;             /* (value_count) scratch */
    int table_ready;
    bench_table table;
    int64_t previous_time;
} table_reader;

static int allocate_layout(table_reader *reader, bench_error *error)
{
    reader->row = malloc((reader->value_count ? reader->value_count : 1) * sizeof *reader->row);
    if (reader->row == NULL ||
        bench_table_init(&reader->table, reader->value_count, reader->date_index != NO_COLUMN) != 0)
        return BENCH_FAIL(error, BENCH_NO_MEMORY, "%s: out of memory", reader->path);
    reader->table_ready = 1;
    return BENCH_OK;
}

/* Join the header names for a message ("date, HUFL, OT"). */
static void list_header(const table_reader *reader, char *buffer, size_t size)
{
    buffer[0] = '\0';
    size_t used = 0;
    for (size_t i = 0; i < reader->field_count && used + 1 < size; i++) {
        int wrote = snprintf(buffer + used, size - used, "%s%s", i ? ", " : "", reader->header[i]);
        if (wrote < 0)
            break;
        used += (size_t)wrote;
    }
}

static size_t find_column(const table_reader *reader, const char *name, size_t length)
{
    for (size_t i = 0; i < reader->field_count; i++)
        if (strlen(reader->header[i]) == length && strncmp(reader->header[i], name, length) == 0)
            return i;
    return NO_COLUMN;
}

static int read_header(table_reader *reader, const bench_csv_record *record, bench_error *error)
{
    const bench_dataset_info *info = reader->info;
    reader->field_count = record->field_count;
    reader->header = calloc(record->field_count, sizeof *reader->header);
    reader->value_index = malloc(record->field_count * sizeof *reader->value_index);
    if (reader->header == NULL || reader->value_index == NULL)
        return BENCH_FAIL(error, BENCH_NO_MEMORY, "%s: out of memory", reader->path);
    for (size_t i = 0; i < record->field_count; i++)
        if ((reader->header[i] = strdup(record->fields[i])) == NULL)
            return BENCH_FAIL(error, BENCH_NO_MEMORY, "%s: out of memory", reader->path);

    char names[512];
    reader->date_index = NO_COLUMN;
    if (info->date_column != NULL) {
        reader->date_index = find_column(reader, info->date_column, strlen(info->date_column));
        if (reader->date_index == NO_COLUMN) {
            list_header(reader, names, sizeof names);
            /* M4's files start "V1,V2,...": say what they are rather than only what is missing. */
            int m4_like = record->field_count > 1 && !strcmp(reader->header[0], "V1") && !strcmp(reader->header[1], "V2");
            return BENCH_FAIL(error, BENCH_BAD_INPUT, "%s:%zu: missing date column '%s' in the header (columns: %s)%s",
                              reader->path, record->line, info->date_column, names,
                              m4_like ? "; this looks like an M4 file: use format = m4 with test_path = its test file "
                                        "and protocol = m4"
                                      : "");
        }
    }
    if (info->columns != NULL) {
        for (const char *cursor = info->columns; *cursor;) {
            size_t length = strcspn(cursor, ",");
            size_t found = find_column(reader, cursor, length);
            if (found == NO_COLUMN) {
                list_header(reader, names, sizeof names);
                return BENCH_FAIL(error, BENCH_BAD_INPUT, "%s:%zu: missing column '%.*s' in the header (columns: %s)",
                                  reader->path, record->line, (int)length, cursor, names);
            }
            /* A column kept twice would be two identical series, silently. */
            for (size_t v = 0; v < reader->value_count; v++)
                if (reader->value_index[v] == found)
                    return BENCH_FAIL(error, BENCH_BAD_INPUT, "%s: columns = %s names '%.*s' twice", reader->path,
                                      info->columns, (int)length, cursor);
            if (found == reader->date_index)
                return BENCH_FAIL(error, BENCH_BAD_INPUT, "%s: columns = %s includes the date column '%s'",
                                  reader->path, info->columns, info->date_column);
            reader->value_index[reader->value_count++] = found;
            cursor += length + (cursor[length] == ',');
        }
    } else {
        for (size_t i = 0; i < record->field_count; i++)
            if (i != reader->date_index)
                reader->value_index[reader->value_count++] = i;
    }
    if (reader->value_count == 0)
        return BENCH_FAIL(error, BENCH_BAD_INPUT, "%s:%zu: the header has no value column besides the date",
                          reader->path, record->line);
    return allocate_layout(reader, error);
}

static int read_row(void *context, const bench_csv_record *record, bench_error *error)
{
    table_reader *reader = context;
    if (record->index == 0) {
        if (reader->has_header)
            return read_header(reader, record, error);
        /* LSTNet: the first row fixes the width; every field is a series. */
        reader->field_count = record->field_count;
        reader->value_count = record->field_count;
        reader->value_index = malloc(record->field_count * sizeof *reader->value_index);
        if (reader->value_index == NULL)
            return BENCH_FAIL(error, BENCH_NO_MEMORY, "%s: out of memory", reader->path);
        for (size_t i = 0; i < record->field_count; i++)
            reader->value_index[i] = i;
        int status = allocate_layout(reader, error);
        if (status != BENCH_OK)
            return status;
    }
    if (record->field_count != reader->field_count)
        return BENCH_FAIL(error, BENCH_BAD_INPUT, "%s:%zu: ragged row: %zu fields, the %s has %zu", reader->path,
                          record->line, record->field_count, reader->has_header ? "header" : "first row",
                          reader->field_count);
    int64_t timestamp = 0;
    if (reader->date_index != NO_COLUMN) {
        const char *format = reader->info->timestamp_format ? reader->info->timestamp_format : DEFAULT_TIMESTAMP_FORMAT;
        const char *text = record->fields[reader->date_index];
        if (bench_csv_parse_time(text, format, &timestamp) != 0)
            return BENCH_FAIL(error, BENCH_BAD_INPUT, "%s:%zu:%zu: unparsable date '%.40s' (expected format '%s')",
                              reader->path, record->line, reader->date_index + 1, text, format);
        if (reader->table.rows > 0) {
            int status = bench_time_check(reader->info, reader->path, record->line, reader->previous_time, timestamp,
                                          error);
            if (status != BENCH_OK)
                return status;
        }
        reader->previous_time = timestamp;
    }
    for (size_t v = 0; v < reader->value_count; v++) {
        size_t field = reader->value_index[v];
        int status = bench_csv_read_cell(reader->path, record->line, field + 1,
                                         reader->header ? reader->header[field] : NULL, record->fields[field],
                                         reader->interpolate, &reader->row[v], error);
        if (status != BENCH_OK)
            return status;
    }
    if (bench_table_append(&reader->table, reader->row, timestamp) != 0)
        return BENCH_FAIL(error, BENCH_NO_MEMORY, "%s:%zu: out of memory", reader->path, record->line);
    return BENCH_OK;
}

static int load_table(bench_dataset *out, const bench_dataset_info *info, const char *path, int has_header,
                      bench_error *error)
{
    table_reader reader = {.info = info, .path = path, .has_header = has_header, .date_index = NO_COLUMN};
    int status = bench_missing_policy_check(info, &reader.interpolate, error);
    if (status == BENCH_OK)
        status = bench_csv_read(path, info->delimiter, read_row, &reader, NULL, error);
    if (status == BENCH_OK && reader.table.rows == 0)
        status = BENCH_FAIL(error, BENCH_BAD_INPUT, "%s:2: header only, no data rows", path);
    /* Series names first (the dataset owns them), so later messages can use them. */
    const char **names = NULL;
    if (status == BENCH_OK) {
        out->series = calloc(reader.value_count, sizeof *out->series);
        names = calloc(reader.value_count, sizeof *names);
        if (out->series == NULL || names == NULL)
            status = BENCH_FAIL(error, BENCH_NO_MEMORY, "%s: out of memory", path);
        else
            out->series_count = reader.value_count;
    }
    for (size_t v = 0; status == BENCH_OK && v < reader.value_count; v++) {
        char index_name[24];
        snprintf(index_name, sizeof index_name, "%zu", v); /* headerless: 0, 1, ... like pandas */
        out->series[v].name = strdup(has_header ? reader.header[reader.value_index[v]] : index_name);
        if (out->series[v].name == NULL)
            status = BENCH_FAIL(error, BENCH_NO_MEMORY, "%s: out of memory", path);
        names[v] = out->series[v].name;
    }
    if (status == BENCH_OK)
        status = bench_table_regularize(&reader.table, info, path, names, error);
    if (status == BENCH_OK)
        status = bench_table_to_aligned(&reader.table, out, info, error);
    free(names);
    if (reader.table_ready)
        bench_table_release(&reader.table);
    if (reader.header != NULL)
        for (size_t i = 0; i < reader.field_count; i++)
            free(reader.header[i]);
    free(reader.header);
    free(reader.value_index);
    free(reader.row);
    return status;
}

static int load_csv_dated(bench_dataset *out, const bench_dataset_info *info, const char *const paths[2],
                          bench_error *error)
{
    return load_table(out, info, paths[0], 1, error);
}

static int load_lstnet(bench_dataset *out, const bench_dataset_info *info, const char *const paths[2],
                       bench_error *error)
{
    /* No header, so no names to pick columns by: refuse rather than ignore. */
    if (info->columns != NULL)
        return BENCH_FAIL(error, BENCH_BAD_INPUT, "%s: columns = %s cannot apply to the lstnet format (no header: "
                          "every column is a series, named 0, 1, ...)", paths[0], info->columns);
    return load_table(out, info, paths[0], 0, error);
}

BENCH_FORMAT(csv_dated, 1, "header CSV with one date column and numeric value columns (ETT/TSLib `date,...,OT`)",
             load_csv_dated);

BENCH_FORMAT(lstnet, 1, "LSTNet matrix: numbers only, no header, time x series, plain or .gz",
             load_lstnet);
