/* A finished cell's files, DIR/cells/<id>.csv (its rows of results.csv) and,
 * for forecast cells, DIR/cells/<id>.json (its record): what a cell must be,
 * and the one validator run, resume and merge use before a cell counts. */
#ifndef BENCH_REPORTS_CELL_FILE_H
#define BENCH_REPORTS_CELL_FILE_H

#include <stdio.h>

#include "bench/error.h"

/* What a cell must be, as plan.csv states it (texts as in the CSV). */
typedef struct bench_cell_expect {
    const char *id, *task, *dataset, *model, *variant, *horizon, *seed;
    const char *protocol;         /* NULL: rows differ in protocol, and metrics names protocol:metric */
    const char *metrics;          /* space-separated: every metric the cell must report, each once */
    int record;                   /* a DIR/cells/<id>.json record is required (forecast cells) */
    int per_metric_status;        /* X-ray cells: a row may be an error where its metric is undefined (the
                                   * AP of a class absent from the test split) while the others are ok;
                                   * the cell failed only when every row is an error */
} bench_cell_expect;

typedef enum bench_cellfile_state {
    BENCH_CELLFILE_MISSING,           /* no record (never run, or cut off before its record was written) */
    BENCH_CELLFILE_INVALID,           /* files present but wrong: --resume reruns it, merge refuses it */
    BENCH_CELLFILE_OK,                /* every metric, finite values, status ok */
    BENCH_CELLFILE_FAILED,            /* a genuine model error (kept by --resume) */
    BENCH_CELLFILE_FAILED_INFRA,      /* ended from outside (SIGKILL/SIGTERM, a time limit): --resume reruns it */
} bench_cellfile_state;

/* The one validator of a cell's files, DIR/cells/<id>.csv and .json: the rows
 * are parsed (libcsv) and must carry the cell's id and plan fields, every
 * expected metric exactly once, finite values when ok, one status, a final
 * newline; the record must name the cell and agree with the rows.  error gets
 * the reason (file:line) for MISSING/INVALID, the recorded model error for
 * FAILED*.  When rows is not NULL and the cell is finished (OK/FAILED*), *rows
 * receives the file's text (the caller frees it). */
bench_cellfile_state bench_cell_file_check(const char *dir, const bench_cell_expect *expect, char **rows,
                                        bench_error *error);

/* The one concatenation of a merge: writes results.csv's header to results,
 * then the rows of cells 0..count-1 in that order, each read and validated
 * by bench_cell_file_check, so the text
 * written is the text checked.  cell(context, i, &dir) says what cell i must be
 * and the directory whose cells/ holds it.  A cell without files goes to
 * missing(context, i, results) when given (it writes the cell's error rows, or
 * fails), else the merge fails; an invalid cell fails it, with the validator's
 * reason.  *failed counts the cells whose rows are errors (missing ones too). */
int bench_cells_append(FILE *results, size_t count, bench_cell_expect (*cell)(void *context, size_t index, const char **dir),
                       int (*missing)(void *context, size_t index, FILE *results, bench_error *error), void *context,
                       size_t *failed, bench_error *error);

#endif
