/* The one input layer every text format reader uses: bytes come from zlib
 * (gzread reads plain files transparently and inflates .gz streams), records come
 * from libcsv, and this layer adds what neither gives: the line on which each
 * record starts, so every error can name file and line.
 *
 * Also the cell converters the readers share, so "what counts as a number, a
 * missing cell or a date" is decided in one place. */
#ifndef BENCH_DATASETS_CSV_READER_H
#define BENCH_DATASETS_CSV_READER_H

#include <stddef.h>
#include <stdint.h>

#include "bench/error.h"

/* One parsed record; the strings are NUL-terminated and owned by the reader,
 * valid only during the callback that receives them. */
typedef struct bench_csv_record {
    size_t field_count;
    char **fields;          /* (field_count) */
    size_t *field_lengths;  /* (field_count) */
    size_t line;            /* 1-based line on which the record starts */
    size_t index;           /* 0-based record number (header included) */
} bench_csv_record;

/* Called once per record in file order; a non-OK return stops reading and is
 * returned by bench_csv_read with *error as the callback filled it. */
typedef int (*bench_csv_record_fn)(void *context, const bench_csv_record *record, bench_error *error);

/* Stream `path` (plain text or gzip) through libcsv with `delimiter` (0 means ',').
 * Fails with BENCH_IO when the file cannot be opened, BENCH_BAD_INPUT when it is
 * empty, truncated/corrupt gzip, or has malformed quoting; *records_out (may be
 * NULL) receives the number of records delivered.  Blank lines are skipped. */
int bench_csv_read(const char *path, char delimiter, bench_csv_record_fn on_record, void *context,
                   size_t *records_out, bench_error *error);

/* Cell classification shared by all readers. */
typedef enum {
    BENCH_CELL_NUMBER,   /* a finite number */
    BENCH_CELL_MISSING,  /* empty, "NA", "NaN", "nan", "null" (any case) */
    BENCH_CELL_INFINITE, /* "inf", "-Infinity", overflow to ±inf */
    BENCH_CELL_INVALID   /* anything else */
} bench_cell_kind;

/* Classify `text` and, for BENCH_CELL_NUMBER, store it in *value. */
bench_cell_kind bench_csv_parse_number(const char *text, double *value);

/* Convert one value cell, failing with BENCH_BAD_INPUT worded the same for every
 * reader ("PATH:LINE:COLUMN: non-numeric cell 'x' in column 'OT'").  A missing
 * cell becomes NaN when allow_missing, else it is an error; so is a value whose
 * square overflows a double (|v| > 1.3e154).  label names the
 * column; NULL means "the 0-based column index" (headerless files). */
int bench_csv_read_cell(const char *path, size_t line, size_t column, const char *label, const char *text,
                        int allow_missing, double *value, bench_error *error);

/* Parse a date/time cell with strptime(3) `format`, taken as UTC, into unix
 * seconds.  The whole cell must be consumed.  Returns 0 on success, -1 otherwise. */
int bench_csv_parse_time(const char *text, const char *format, int64_t *seconds);

/* Format unix seconds as "YYYY-MM-DD HH:MM:SS" (UTC) into buffer (>= 32 bytes). */
void bench_csv_format_time(int64_t seconds, char *buffer, size_t size);

#endif
