/* M4 competition files: a train file and a test file, each a header row ("V1",
 * "V2", ...) and then one series per row: its id, then its values, padded with
 * empty cells to the widest row.  Row i of the test file holds the holdout of
 * row i of the train file and must carry the same id. */
#include <stdlib.h>
#include <string.h>

#include "datasets/csv_reader.h"
#include "datasets/format.h"

typedef struct m4_reader {
    const char *path;
    int is_test;
    bench_dataset *out;
    size_t capacity;        /* of out->series while reading the train file */
    size_t test_rows;       /* test rows matched so far */
    size_t header_fields;
    double *scratch;
    size_t scratch_capacity;
} m4_reader;

static int read_m4_row(void *context, const bench_csv_record *record, bench_error *error)
{
    m4_reader *reader = context;
    if (record->index == 0) {
        reader->header_fields = record->field_count;
        return BENCH_OK;
    }
    if (record->field_count > reader->header_fields)
        return BENCH_FAIL(error, BENCH_BAD_INPUT, "%s:%zu: ragged row: %zu fields, the header has %zu", reader->path,
                          record->line, record->field_count, reader->header_fields);
    const char *id = record->fields[0];
    if (id[0] == '\0')
        return BENCH_FAIL(error, BENCH_BAD_INPUT, "%s:%zu:1: empty series id", reader->path, record->line);
    size_t last = record->field_count;
    while (last > 1 && record->field_lengths[last - 1] == 0)
        last--;
    size_t length = last - 1;
    if (length == 0)
        return BENCH_FAIL(error, BENCH_BAD_INPUT, "%s:%zu: series '%.40s' has no values", reader->path, record->line,
                          id);
    if (length > reader->scratch_capacity) {
        double *grown = realloc(reader->scratch, length * sizeof *grown);
        if (grown == NULL)
            return BENCH_FAIL(error, BENCH_NO_MEMORY, "%s:%zu: out of memory", reader->path, record->line);
        reader->scratch = grown;
        reader->scratch_capacity = length;
    }
    for (size_t j = 1; j < last; j++) {
        if (record->field_lengths[j] == 0)
            return BENCH_FAIL(error, BENCH_BAD_INPUT,
                              "%s:%zu:%zu: empty cell inside series '%.40s' (only trailing cells may be empty)",
                              reader->path, record->line, j + 1, id);
        int status = bench_csv_read_cell(reader->path, record->line, j + 1, id, record->fields[j], 0,
                                         &reader->scratch[j - 1], error);
        if (status != BENCH_OK)
            return status;
    }
    double *values = malloc(length * sizeof *values);
    if (values == NULL)
        return BENCH_FAIL(error, BENCH_NO_MEMORY, "%s:%zu: out of memory", reader->path, record->line);
    memcpy(values, reader->scratch, length * sizeof *values);

    bench_dataset *out = reader->out;
    if (reader->is_test) {
        size_t row = reader->test_rows;
        if (row >= out->series_count || strcmp(out->series[row].name, id) != 0) {
            free(values);
            if (row >= out->series_count)
                return BENCH_FAIL(error, BENCH_BAD_INPUT,
                                  "%s:%zu: series '%.40s' has no train row (the train file has %zu series)",
                                  reader->path, record->line, id, out->series_count);
            return BENCH_FAIL(error, BENCH_BAD_INPUT, "%s:%zu: series '%.40s', but train row %zu is '%s'",
                              reader->path, record->line, id, row + 1, out->series[row].name);
        }
        out->series[row].holdout = values;
        out->series[row].holdout_length = length;
        reader->test_rows++;
        return BENCH_OK;
    }
    if (out->series_count == reader->capacity) {
        size_t capacity = reader->capacity ? 2 * reader->capacity : 64;
        bench_series *grown = realloc(out->series, capacity * sizeof *grown);
        if (grown == NULL) {
            free(values);
            return BENCH_FAIL(error, BENCH_NO_MEMORY, "%s:%zu: out of memory", reader->path, record->line);
        }
        memset(grown + reader->capacity, 0, (capacity - reader->capacity) * sizeof *grown);
        out->series = grown;
        reader->capacity = capacity;
    }
    bench_series *series = &out->series[out->series_count];
    series->name = strdup(id);
    series->values = values;
    series->length = length;
    out->series_count++; /* counted now so bench_dataset_free releases it on any later failure */
    if (series->name == NULL)
        return BENCH_FAIL(error, BENCH_NO_MEMORY, "%s:%zu: out of memory", reader->path, record->line);
    return BENCH_OK;
}

static int load_m4(bench_dataset *out, const bench_dataset_info *info, const char *const paths[2],
                   bench_error *error)
{
    m4_reader reader = {.path = paths[0], .out = out};
    int status = bench_csv_read(paths[0], info->delimiter, read_m4_row, &reader, NULL, error);
    if (status == BENCH_OK && out->series_count == 0)
        status = BENCH_FAIL(error, BENCH_BAD_INPUT, "%s:2: header only, no series", paths[0]);
    if (status == BENCH_OK && paths[1] == NULL)
        status = BENCH_FAIL(error, BENCH_BAD_INPUT, "%s: the M4 format needs a test file too", paths[0]);
    if (status == BENCH_OK) {
        reader.path = paths[1];
        reader.is_test = 1;
        status = bench_csv_read(paths[1], info->delimiter, read_m4_row, &reader, NULL, error);
    }
    if (status == BENCH_OK && reader.test_rows != out->series_count)
        status = BENCH_FAIL(error, BENCH_BAD_INPUT, "%s: %zu series, but the train file %s has %zu", paths[1],
                            reader.test_rows, paths[0], out->series_count);
    free(reader.scratch);
    out->aligned = 0;
    return status;
}

BENCH_FORMAT(m4, 2, "M4 wide CSV: train + test file, one series per row (id, values...), ragged lengths",
             load_m4);
