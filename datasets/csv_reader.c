#include "datasets/csv_reader.h"

#include <csv.h>
#include <errno.h>
#include <float.h>
#include <math.h>
#include <stdio.h>
#include <stdlib.h>
#include <string.h>
#include <strings.h>
#include <time.h>
#include <zlib.h>

/* zlib's gzread keeps an input buffer of GZ_BUFFER bytes and an output buffer twice that; at 32 KiB both
 * stay under glibc's (and ASan's) 128 KiB threshold for a fresh mmap, so opening a file does not map and
 * fault in new pages each time (with a 64 KiB buffer that was half of the csv fuzzers' time per input). */
enum { READ_CHUNK = 1 << 16, GZ_BUFFER = 1 << 15 };

typedef struct reader_state {
    const char *path;
    bench_csv_record_fn on_record;
    void *context;
    bench_error *error;
    int status;              /* first failure; later callbacks are ignored */

    size_t line;             /* line currently being fed to libcsv (1-based) */
    size_t record_line;      /* line on which the record in progress started */
    int in_record;           /* a record continues past the end of the fed segment */
    size_t records_ended;    /* records completed so far */

    /* Fields of the record in progress, packed into one arena so a record costs
     * no allocation once the buffers have grown to the widest row. */
    char *arena;
    size_t arena_used, arena_capacity;
    size_t *offsets, *lengths;
    char **pointers;
    size_t field_count, field_capacity;
} reader_state;

/* Grow the arena to hold `bytes`; 0 or -1. */
static int reserve_arena(reader_state *state, size_t bytes)
{
    if (bytes <= state->arena_capacity)
        return 0;
    size_t capacity = state->arena_capacity ? state->arena_capacity : 4096;
    while (capacity < bytes)
        capacity *= 2;
    char *arena = realloc(state->arena, capacity);
    if (arena == NULL)
        return -1;
    state->arena = arena;
    state->arena_capacity = capacity;
    return 0;
}

/* Grow the per-field arrays to hold `count` fields; 0 or -1. */
static int reserve_fields(reader_state *state, size_t count)
{
    if (count <= state->field_capacity)
        return 0;
    size_t capacity = state->field_capacity ? 2 * state->field_capacity : 64;
    size_t *offsets = realloc(state->offsets, capacity * sizeof *offsets);
    if (offsets == NULL)
        return -1;
    state->offsets = offsets;
    size_t *lengths = realloc(state->lengths, capacity * sizeof *lengths);
    if (lengths == NULL)
        return -1;
    state->lengths = lengths;
    char **pointers = realloc(state->pointers, capacity * sizeof *pointers);
    if (pointers == NULL)
        return -1;
    state->pointers = pointers;
    state->field_capacity = capacity;
    return 0;
}

static void on_field(void *field, size_t length, void *data)
{
    reader_state *state = data;
    if (state->status != BENCH_OK)
        return;
    if (reserve_arena(state, state->arena_used + length + 1) != 0 ||
        reserve_fields(state, state->field_count + 1) != 0) {
        state->status = BENCH_FAIL(state->error, BENCH_NO_MEMORY, "%s:%zu: out of memory reading a record",
                                   state->path, state->record_line);
        return;
    }
    if (length > 0)
        memcpy(state->arena + state->arena_used, field, length);
    state->arena[state->arena_used + length] = '\0';
    state->offsets[state->field_count] = state->arena_used;
    state->lengths[state->field_count] = length;
    state->field_count++;
    state->arena_used += length + 1;
}

static void on_record_end(int terminator, void *data)
{
    (void)terminator;
    reader_state *state = data;
    state->in_record = 0;
    if (state->status != BENCH_OK || state->field_count == 0)
        return;
    /* The arena may have moved while the record grew: point into it only now. */
    for (size_t i = 0; i < state->field_count; i++)
        state->pointers[i] = state->arena + state->offsets[i];
    bench_csv_record record = {
        .field_count = state->field_count,
        .fields = state->pointers,
        .field_lengths = state->lengths,
        .line = state->record_line,
        .index = state->records_ended,
    };
    state->records_ended++;
    state->status = state->on_record(state->context, &record, state->error);
    state->field_count = 0;
    state->arena_used = 0;
}

static int has_content(const char *segment, size_t length)
{
    for (size_t i = 0; i < length; i++)
        if (segment[i] != ' ' && segment[i] != '\t' && segment[i] != '\r' && segment[i] != '\n')
            return 1;
    return 0;
}

/* Feed one line (or the unterminated tail of a chunk) to libcsv.  Lines are fed
 * one at a time only to know which line a record starts on; libcsv keeps its own
 * state across calls, so quoted newlines still work. */
static int feed(struct csv_parser *parser, reader_state *state, const char *segment, size_t length)
{
    if (!state->in_record)
        state->record_line = state->line;
    size_t before = state->records_ended;
    int fed_terminator = 0;
    if (length > 0 && segment[length - 1] == '\n')
        fed_terminator = 1;
    if (csv_parse(parser, segment, length, on_field, on_record_end, state) != length) {
        if (state->status == BENCH_OK)
            state->status = BENCH_FAIL(state->error, BENCH_BAD_INPUT, "%s:%zu: malformed CSV (%s)", state->path,
                                       state->line, csv_strerror(csv_error(parser)));
        return state->status;
    }
    if (state->status != BENCH_OK)
        return state->status;
    if (state->records_ended == before && has_content(segment, length))
        state->in_record = 1;
    if (fed_terminator)
        state->line++;
    return BENCH_OK;
}

int bench_csv_read(const char *path, char delimiter, bench_csv_record_fn on_record, void *context,
                   size_t *records_out, bench_error *error)
{
    if (records_out)
        *records_out = 0;
    gzFile file = gzopen(path, "rb");
    if (file == NULL)
        return BENCH_FAIL(error, BENCH_IO, "%s: cannot open: %s", path, strerror(errno ? errno : ENOENT));
    gzbuffer(file, GZ_BUFFER);

    struct csv_parser parser;
    if (csv_init(&parser, CSV_STRICT | CSV_STRICT_FINI | CSV_APPEND_NULL) != 0) {
        gzclose_r(file);
        return BENCH_FAIL(error, BENCH_NO_MEMORY, "%s: cannot initialise libcsv", path);
    }
    csv_set_delim(&parser, (unsigned char)(delimiter ? delimiter : ','));

    reader_state state = {
        .path = path, .on_record = on_record, .context = context, .error = error,
        .status = BENCH_OK, .line = 1, .record_line = 1,
    };
    char *chunk = malloc(READ_CHUNK);
    size_t total_bytes = 0;
    if (chunk == NULL)
        state.status = BENCH_FAIL(error, BENCH_NO_MEMORY, "%s: out of memory", path);
    while (state.status == BENCH_OK) {
        int got = gzread(file, chunk, READ_CHUNK);
        if (got < 0) {
            int zerr = 0;
            const char *message = gzerror(file, &zerr);
            if (zerr == Z_ERRNO)
                state.status = BENCH_FAIL(error, BENCH_IO, "%s: read error: %s", path, strerror(errno));
            else
                state.status = BENCH_FAIL(error, BENCH_BAD_INPUT, "%s:%zu: corrupt or truncated gzip data (zlib: %s)",
                                          path, state.line, message);
            break;
        }
        if (got == 0) {
            /* zlib reports a stream cut short only through gzerror at EOF. */
            int zerr = 0;
            const char *message = gzerror(file, &zerr);
            if (zerr != Z_OK)
                state.status = BENCH_FAIL(error, BENCH_BAD_INPUT,
                                          "%s:%zu: truncated gzip file (zlib: %s)", path, state.line, message);
            break;
        }
        const char *cursor = chunk, *end = chunk + got;
        /* A UTF-8 byte-order mark would otherwise become part of the first header name. */
        if (total_bytes == 0 && got >= 3 && memcmp(chunk, "\xEF\xBB\xBF", 3) == 0)
            cursor += 3;
        total_bytes += (size_t)got;
        while (cursor < end && state.status == BENCH_OK) {
            const char *newline = memchr(cursor, '\n', (size_t)(end - cursor));
            size_t length = newline ? (size_t)(newline - cursor) + 1 : (size_t)(end - cursor);
            feed(&parser, &state, cursor, length);
            cursor += length;
        }
    }
    if (state.status == BENCH_OK) {
        if (csv_fini(&parser, on_field, on_record_end, &state) != 0 && state.status == BENCH_OK)
            state.status = BENCH_FAIL(error, BENCH_BAD_INPUT, "%s:%zu: malformed CSV at end of file (%s)", path,
                                      state.record_line, csv_strerror(csv_error(&parser)));
    }
    if (state.status == BENCH_OK && state.records_ended == 0)
        state.status = BENCH_FAIL(error, BENCH_BAD_INPUT, "%s:1: file is empty (%zu bytes, no records)", path,
                                  total_bytes);
    csv_free(&parser);
    int close_status = gzclose_r(file);
    if (state.status == BENCH_OK && close_status != Z_OK)
        state.status = BENCH_FAIL(error, BENCH_BAD_INPUT, "%s: corrupt gzip file (zlib close status %d)", path,
                                  close_status);
    free(chunk);
    free(state.arena);
    free(state.offsets);
    free(state.lengths);
    free(state.pointers);
    if (records_out)
        *records_out = state.records_ended;
    return state.status;
}

bench_cell_kind bench_csv_parse_number(const char *text, double *value)
{
    while (*text == ' ' || *text == '\t')
        text++;
    if (*text == '\0')
        return BENCH_CELL_MISSING;
    char *end = NULL;
    double parsed = strtod(text, &end); /* also reads "nan", "inf", "infinity" */
    if (end == text)
        return !strcasecmp(text, "na") || !strcasecmp(text, "null") || !strcasecmp(text, "n/a")
                   ? BENCH_CELL_MISSING
                   : BENCH_CELL_INVALID;
    while (*end == ' ' || *end == '\t' || *end == '\r')
        end++;
    if (*end != '\0')
        return BENCH_CELL_INVALID;
    if (isnan(parsed))
        return BENCH_CELL_MISSING;
    if (isinf(parsed))
        return BENCH_CELL_INFINITE;
    *value = parsed;
    return BENCH_CELL_NUMBER;
}

int bench_csv_parse_time(const char *text, const char *format, int64_t *seconds)
{
    struct tm parsed;
    memset(&parsed, 0, sizeof parsed);
    parsed.tm_mday = 1; /* "%Y" or "%Y-%m" alone mean the first day, not day 0 */
    const char *rest = strptime(text, format, &parsed);
    if (rest == NULL)
        return -1;
    while (*rest == ' ' || *rest == '\t' || *rest == '\r')
        rest++;
    if (*rest != '\0')
        return -1;
    struct tm normalized = parsed;
    time_t value = timegm(&normalized);
    /* strptime accepts 2021-02-30; timegm would quietly roll it to March. */
    if (normalized.tm_year != parsed.tm_year || normalized.tm_mon != parsed.tm_mon ||
        normalized.tm_mday != parsed.tm_mday || normalized.tm_hour != parsed.tm_hour ||
        normalized.tm_min != parsed.tm_min || normalized.tm_sec != parsed.tm_sec)
        return -1;
    *seconds = (int64_t)value;
    return 0;
}

void bench_csv_format_time(int64_t seconds, char *buffer, size_t size)
{
    time_t value = (time_t)seconds;
    struct tm broken;
    if (gmtime_r(&value, &broken) == NULL || strftime(buffer, size, "%Y-%m-%d %H:%M:%S", &broken) == 0)
        snprintf(buffer, size, "@%lld", (long long)seconds);
}

int bench_csv_read_cell(const char *path, size_t line, size_t column, const char *label, const char *text,
                        int allow_missing, double *value, bench_error *error)
{
    /* Headerless files name columns by 0-based index, like their series; the
     * label is only formatted on failure since this runs once per cell. */
    bench_cell_kind kind = bench_csv_parse_number(text, value);
    /* A value whose square overflows (|v| > 1.3e154) would make the z-score's
     * variance and squared-error metrics inf or 0 without any error, so it is
     * refused here, where its line is known. */
    if (kind == BENCH_CELL_NUMBER && fabs(*value) <= sqrt(DBL_MAX))
        return BENCH_OK;
    char index_label[24];
    if (label == NULL) {
        snprintf(index_label, sizeof index_label, "%zu", column - 1);
        label = index_label;
    }
    switch (kind) {
    case BENCH_CELL_NUMBER:
        return BENCH_FAIL(error, BENCH_BAD_INPUT,
                          "%s:%zu:%zu: value '%.40s' in column '%s' is too large: its square overflows a double "
                          "(the limit is %.2g in magnitude); rescale the column",
                          path, line, column, text, label, sqrt(DBL_MAX));
    case BENCH_CELL_MISSING:
        if (allow_missing) {
            *value = NAN;
            return BENCH_OK;
        }
        return BENCH_FAIL(error, BENCH_BAD_INPUT,
                          "%s:%zu:%zu: missing value ('%.40s') in column '%s', and the dataset declares no "
                          "missing-value policy",
                          path, line, column, text, label);
    case BENCH_CELL_INFINITE:
        return BENCH_FAIL(error, BENCH_BAD_INPUT, "%s:%zu:%zu: infinite value '%.40s' in column '%s'", path, line,
                          column, text, label);
    case BENCH_CELL_INVALID:
    default:
        return BENCH_FAIL(error, BENCH_BAD_INPUT, "%s:%zu:%zu: non-numeric cell '%.40s' in column '%s'", path, line,
                          column, text, label);
    }
}

