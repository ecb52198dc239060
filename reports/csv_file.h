/* A whole small CSV file in memory (results.csv, curves, predictions,
 * embeddings), parsed with libcsv.  The first record is the header; every
 * other record must have as many fields as the header. */
#ifndef BENCH_REPORTS_CSV_FILE_H
#define BENCH_REPORTS_CSV_FILE_H

#include <stddef.h>

#include "bench/error.h"

typedef struct report_csv {
    char *path;
    size_t columns;
    size_t rows;       /* records after the header */
    char **header;     /* columns names */
    char **cells;      /* rows × columns, row-major, NUL-terminated, pointing into text */
    char *text;        /* every field, NUL-terminated, one after the other */
    size_t *lines;     /* record number of each row in the file (the header is 1) */
} report_csv;

/* Read path into *out (zeroed first).  A missing file is BENCH_NOT_FOUND, a
 * ragged or malformed record BENCH_BAD_INPUT naming path:record.  The caller
 * frees *out with report_csv_free, also after a failure. */
int report_csv_read(report_csv *out, const char *path, bench_error *error);
void report_csv_free(report_csv *csv);

/* Index of the column called name, or -1. */
long report_csv_column(const report_csv *csv, const char *name);

/* The cell at row, column (never NULL; "" for an empty field). */
const char *report_csv_cell(const report_csv *csv, size_t row, size_t column);

/* Parse a finite double / a long integer from a whole cell; 0 on success. */
int report_parse_double(const char *text, double *value);
int report_parse_long(const char *text, long *value);

/* Column indices of the required names into indices[0..count); BENCH_BAD_INPUT
 * naming the file and the first missing column. */
int report_csv_require(const report_csv *csv, const char *const *names, long *indices, size_t count,
                       bench_error *error);

/* The number in a cell; an empty cell is NAN when optional, else (like any
 * non-finite or non-numeric text) BENCH_BAD_INPUT naming file, record and column. */
int report_csv_number(const report_csv *csv, size_t row, long column, double *value, int optional,
                      bench_error *error);

/* Sorted paths of the files in dir/sub whose names end in extension (hidden
 * files skipped); none when dir/sub does not exist.  The caller frees them
 * with report_free_files. */
int report_list_files(char ***out, size_t *count, const char *dir, const char *sub, const char *extension,
                      bench_error *error);
void report_free_files(char **files, size_t count);

/* A set of interned string copies: equal texts share one copy, which lives
 * until report_strings_free.  Zero-initialise before use. */
typedef struct report_strings {
    char **slots;
    size_t capacity, count;
} report_strings;

/* The pool's copy of text, or NULL when out of memory. */
const char *report_strings_intern(report_strings *pool, const char *text);
void report_strings_free(report_strings *pool);

/* The index of TEXT among NAMES[0..count), or -1 when it is not there. */
long report_find_string(const char *const *names, size_t count, const char *text);

/* Room for one more item in a growing array of COUNT items of SIZE bytes with
 * room for *capacity: returns ITEMS as it is when there is room, else
 * reallocated to twice *capacity (FIRST items when empty) and *capacity
 * updated; NULL when out of memory, ITEMS then unchanged.  The caller owns and
 * frees the array either way. */
void *report_grow(void *items, size_t count, size_t *capacity, size_t size, size_t first);

#endif
