#include "reports/csv_file.h"

#include <csv.h>
#include <dirent.h>
#include <errno.h>
#include <math.h>
#include <stdio.h>
#include <stdlib.h>
#include <string.h>

/* Fields go into one growing text buffer (offsets while it can still move,
 * pointers at the end): a million-row file costs its bytes plus one pointer
 * per field, not one allocation per field. */
typedef struct csv_state {
    report_csv *csv;
    size_t text_length, text_capacity;
    size_t *record;          /* offsets of the fields of the record being parsed */
    size_t record_count, record_capacity;
    size_t *offsets;         /* rows × columns field offsets, while text may still move */
    size_t row_capacity;
    size_t record_number;    /* 1-based, counts the header */
    int status;
    bench_error *error;
} csv_state;

static void on_field(void *field, size_t length, void *data)
{
    csv_state *state = data;
    report_csv *csv = state->csv;
    if (state->status != BENCH_OK)
        return;
    if (state->record_count == state->record_capacity) {
        size_t capacity = state->record_capacity ? 2 * state->record_capacity : 16;
        size_t *grown = realloc(state->record, capacity * sizeof *grown);
        if (grown == NULL) {
            state->status = BENCH_FAIL(state->error, BENCH_NO_MEMORY, "%s: reading fields", csv->path);
            return;
        }
        state->record = grown;
        state->record_capacity = capacity;
    }
    if (state->text_length + length + 1 > state->text_capacity) {
        size_t capacity = state->text_capacity ? 2 * state->text_capacity : 65536;
        while (capacity < state->text_length + length + 1)
            capacity *= 2;
        char *grown = realloc(csv->text, capacity);
        if (grown == NULL) {
            state->status = BENCH_FAIL(state->error, BENCH_NO_MEMORY, "%s: %zu bytes of fields", csv->path, capacity);
            return;
        }
        csv->text = grown;
        state->text_capacity = capacity;
    }
    if (length > 0)
        memcpy(csv->text + state->text_length, field, length);
    csv->text[state->text_length + length] = '\0';
    state->record[state->record_count++] = state->text_length;
    state->text_length += length + 1;
}

static void on_record(int terminator, void *data)
{
    (void)terminator;
    csv_state *state = data;
    report_csv *csv = state->csv;
    state->record_number++;
    size_t fields = state->record_count;
    state->record_count = 0;
    if (state->status != BENCH_OK)
        return;
    if (state->record_number == 1) {
        csv->header = calloc(fields ? fields : 1, sizeof *csv->header);
        if (csv->header == NULL) {
            state->status = BENCH_FAIL(state->error, BENCH_NO_MEMORY, "%s: header", csv->path);
            return;
        }
        csv->columns = fields;
        for (size_t i = 0; i < fields; i++)
            if ((csv->header[i] = strdup(csv->text + state->record[i])) == NULL) {
                state->status = BENCH_FAIL(state->error, BENCH_NO_MEMORY, "%s: header", csv->path);
                return;
            }
        state->text_length = 0; /* the header lives in its own strings */
        return;
    }
    if (fields != csv->columns) {
        state->status = BENCH_FAIL(state->error, BENCH_BAD_INPUT, "%s:%zu: %zu fields, the header has %zu",
                                   csv->path, state->record_number, fields, csv->columns);
        return;
    }
    if (csv->rows + 1 > state->row_capacity) {
        size_t rows = state->row_capacity ? 2 * state->row_capacity : 64;
        size_t *offsets = realloc(state->offsets, rows * (csv->columns ? csv->columns : 1) * sizeof *offsets);
        if (offsets != NULL)
            state->offsets = offsets;
        size_t *lines = realloc(csv->lines, rows * sizeof *lines);
        if (lines != NULL)
            csv->lines = lines;
        if (offsets == NULL || lines == NULL) {
            state->status = BENCH_FAIL(state->error, BENCH_NO_MEMORY, "%s: %zu rows", csv->path, rows);
            return;
        }
        state->row_capacity = rows;
    }
    memcpy(state->offsets + csv->rows * csv->columns, state->record, csv->columns * sizeof *state->record);
    csv->lines[csv->rows] = state->record_number;
    csv->rows++;
}

int report_csv_read(report_csv *out, const char *path, bench_error *error)
{
    memset(out, 0, sizeof *out);
    out->path = strdup(path);
    if (out->path == NULL)
        return BENCH_FAIL(error, BENCH_NO_MEMORY, "reading %s", path);
    FILE *file = fopen(path, "rb");
    if (file == NULL)
        return BENCH_FAIL(error, errno == ENOENT ? BENCH_NOT_FOUND : BENCH_IO, "%s: %s", path, strerror(errno));
    struct csv_parser parser;
    if (csv_init(&parser, CSV_STRICT | CSV_STRICT_FINI) != 0) {
        fclose(file);
        return BENCH_FAIL(error, BENCH_NO_MEMORY, "%s: csv_init", path);
    }
    csv_state state = {.csv = out, .status = BENCH_OK, .error = error};
    char buffer[65536];
    size_t got;
    while (state.status == BENCH_OK && (got = fread(buffer, 1, sizeof buffer, file)) > 0) {
        if (csv_parse(&parser, buffer, got, on_field, on_record, &state) != got && state.status == BENCH_OK)
            state.status = BENCH_FAIL(error, BENCH_BAD_INPUT, "%s:%zu: %s", path, state.record_number + 1,
                                      csv_strerror(csv_error(&parser)));
    }
    if (state.status == BENCH_OK && ferror(file))
        state.status = BENCH_FAIL(error, BENCH_IO, "%s: read error", path);
    if (state.status == BENCH_OK && csv_fini(&parser, on_field, on_record, &state) != 0 && state.status == BENCH_OK)
        state.status = BENCH_FAIL(error, BENCH_BAD_INPUT, "%s:%zu: %s", path, state.record_number + 1,
                                  csv_strerror(csv_error(&parser)));
    csv_free(&parser);
    fclose(file);
    free(state.record);
    /* The text no longer moves: offsets become pointers. */
    if (state.status == BENCH_OK && out->rows > 0) {
        size_t fields = out->rows * out->columns;
        out->cells = malloc((fields ? fields : 1) * sizeof *out->cells);
        if (out->cells == NULL)
            state.status = BENCH_FAIL(error, BENCH_NO_MEMORY, "%s: %zu fields", path, fields);
        for (size_t i = 0; out->cells != NULL && i < fields; i++)
            out->cells[i] = out->text + state.offsets[i];
    }
    free(state.offsets);
    if (state.status == BENCH_OK && out->header == NULL)
        state.status = BENCH_FAIL(error, BENCH_BAD_INPUT, "%s:1: empty file, expected a header", path);
    return state.status;
}

void report_csv_free(report_csv *csv)
{
    if (csv == NULL)
        return;
    if (csv->header != NULL)
        for (size_t i = 0; i < csv->columns; i++)
            free(csv->header[i]);
    free(csv->header);
    free(csv->text);
    free(csv->cells);
    free(csv->lines);
    free(csv->path);
    memset(csv, 0, sizeof *csv);
}

long report_csv_column(const report_csv *csv, const char *name)
{
    for (size_t i = 0; i < csv->columns; i++)
        if (strcmp(csv->header[i], name) == 0)
            return (long)i;
    return -1;
}

const char *report_csv_cell(const report_csv *csv, size_t row, size_t column)
{
    return csv->cells[row * csv->columns + column];
}

int report_parse_double(const char *text, double *value)
{
    if (text == NULL || *text == '\0')
        return -1;
    char *end;
    errno = 0;
    double parsed = strtod(text, &end);
    if (*end != '\0' || errno == ERANGE || !isfinite(parsed))
        return -1;
    *value = parsed;
    return 0;
}

int report_parse_long(const char *text, long *value)
{
    if (text == NULL || *text == '\0')
        return -1;
    char *end;
    errno = 0;
    long parsed = strtol(text, &end, 10);
    if (*end != '\0' || errno == ERANGE)
        return -1;
    *value = parsed;
    return 0;
}

static int compare_strings(const void *a, const void *b)
{
    return strcmp(*(char *const *)a, *(char *const *)b);
}

int report_list_files(char ***out, size_t *count, const char *dir, const char *sub, const char *extension,
                      bench_error *error)
{
    *out = NULL;
    *count = 0;
    char path[4096];
    snprintf(path, sizeof path, "%s/%s", dir, sub);
    DIR *directory = opendir(path);
    if (directory == NULL)
        return errno == ENOENT || errno == ENOTDIR ? BENCH_OK : BENCH_FAIL(error, BENCH_IO, "%s: %s", path, strerror(errno));
    struct dirent *entry;
    size_t capacity = 0;
    int status = BENCH_OK;
    size_t extension_length = strlen(extension);
    while ((entry = readdir(directory)) != NULL) {
        size_t length = strlen(entry->d_name);
        if (entry->d_name[0] == '.' || length <= extension_length ||
            strcmp(entry->d_name + length - extension_length, extension) != 0)
            continue;
        if (*count == capacity) {
            capacity = capacity ? 2 * capacity : 16;
            char **bigger = realloc(*out, capacity * sizeof *bigger);
            if (bigger == NULL) {
                status = BENCH_FAIL(error, BENCH_NO_MEMORY, "listing %s", path);
                break;
            }
            *out = bigger;
        }
        size_t size = strlen(path) + length + 2;
        (*out)[*count] = malloc(size);
        if ((*out)[*count] == NULL) {
            status = BENCH_FAIL(error, BENCH_NO_MEMORY, "listing %s", path);
            break;
        }
        snprintf((*out)[*count], size, "%s/%s", path, entry->d_name);
        (*count)++;
    }
    closedir(directory);
    if (*count > 1)
        qsort(*out, *count, sizeof **out, compare_strings);
    return status;
}

void report_free_files(char **files, size_t count)
{
    for (size_t i = 0; i < count; i++)
        free(files[i]);
    free(files);
}

int report_csv_require(const report_csv *csv, const char *const *names, long *indices, size_t count,
                           bench_error *error)
{
    for (size_t i = 0; i < count; i++) {
        indices[i] = report_csv_column(csv, names[i]);
        if (indices[i] < 0)
            return BENCH_FAIL(error, BENCH_BAD_INPUT, "%s:1: no column '%s' (see reports/README.md)", csv->path,
                              names[i]);
    }
    return BENCH_OK;
}

int report_csv_number(const report_csv *csv, size_t row, long column, double *value, int optional,
                      bench_error *error)
{
    const char *text = report_csv_cell(csv, row, (size_t)column);
    if (optional && text[0] == '\0') {
        *value = NAN;
        return BENCH_OK;
    }
    if (report_parse_double(text, value) != 0)
        return BENCH_FAIL(error, BENCH_BAD_INPUT, "%s:%zu: column '%s' value '%s' is not a finite number", csv->path,
                          csv->lines[row], csv->header[column], text);
    return BENCH_OK;
}


static size_t string_hash(const char *text)
{
    size_t hash = 1469598103934665603u; /* FNV-1a */
    for (; *text; text++)
        hash = (hash ^ (unsigned char)*text) * 1099511628211u;
    return hash;
}

const char *report_strings_intern(report_strings *pool, const char *text)
{
    if (2 * (pool->count + 1) > pool->capacity) {
        size_t capacity = pool->capacity ? 2 * pool->capacity : 64;
        char **slots = calloc(capacity, sizeof *slots);
        if (slots == NULL)
            return NULL;
        for (size_t i = 0; i < pool->capacity; i++) {
            if (pool->slots[i] == NULL)
                continue;
            size_t j = string_hash(pool->slots[i]) & (capacity - 1);
            while (slots[j] != NULL)
                j = (j + 1) & (capacity - 1);
            slots[j] = pool->slots[i];
        }
        free(pool->slots);
        pool->slots = slots;
        pool->capacity = capacity;
    }
    size_t j = string_hash(text) & (pool->capacity - 1);
    while (pool->slots[j] != NULL) {
        if (strcmp(pool->slots[j], text) == 0)
            return pool->slots[j];
        j = (j + 1) & (pool->capacity - 1);
    }
    pool->slots[j] = strdup(text);
    if (pool->slots[j] != NULL)
        pool->count++;
    return pool->slots[j];
}

void report_strings_free(report_strings *pool)
{
    for (size_t i = 0; i < pool->capacity; i++)
        free(pool->slots[i]);
    free(pool->slots);
    memset(pool, 0, sizeof *pool);
}

void *report_grow(void *items, size_t count, size_t *capacity, size_t size, size_t first)
{
    if (count < *capacity)
        return items;
    size_t grown = *capacity ? 2 * *capacity : first;
    void *bigger = realloc(items, grown * size);
    if (bigger != NULL)
        *capacity = grown;
    return bigger;
}

long report_find_string(const char *const *names, size_t count, const char *text)
{
    for (size_t i = 0; i < count; i++)
        if (strcmp(names[i], text) == 0)
            return (long)i;
    return -1;
}
