/* Diebold-Mariano tests between forecasters from their stored predictions.
 *
 * Each window's loss is the squared error averaged over its forecast steps
 * (rows of DIR/predictions/ with both truth and pred).  For every (dataset,
 * horizon, seed) that the reference variant predicted, each other variant is
 * compared on the windows both predicted, ordered by series then window
 * number, with bench_stats_diebold_mariano.  Its h is ceil(H / stride), where
 * stride is the distance between consecutive forecast origins of a series:
 * losses of windows that share target steps are correlated (H lags for
 * stride-1 windows, none beyond lag 0 for non-overlapping ones); capped at T − 1. */
#ifndef BENCH_REPORTS_DM_H
#define BENCH_REPORTS_DM_H

#include <stddef.h>
#include <stdio.h>

#include "bench/error.h"
#include "reports/csv_file.h"
#include "reports/predictions.h"
#include "reports/results.h"
#include "reports/stats.h"
#include "reports/table.h"

typedef struct bench_dm_comparison {
    const char *dataset, *horizon, *seed, *variant; /* into the report's strings */
    size_t windows;          /* windows both forecasters predicted */
    size_t unmatched;        /* windows only one of them predicted */
    int ok;                  /* dm is valid */
    bench_diebold_mariano dm;
    char note[160];          /* why not ok */
} bench_dm_comparison;

typedef struct bench_dm_report {
    const char *reference;
    int harvey;
    bench_dm_comparison *items;
    size_t count;
    report_strings strings;  /* owns the names the items point to */
} bench_dm_report;

/* Compare every variant with reference.  BENCH_NOT_FOUND when DIR has no
 * predictions or none of the reference (listing the variants that have some).
 * The caller frees *out with bench_dm_report_free, also after a failure. */
int bench_dm_compare(bench_dm_report *out, const char *dir, const bench_results *results, const char *reference,
                     int harvey, bench_error *error);
void bench_dm_report_free(bench_dm_report *report);

/* Render as Markdown, LaTeX, CSV or HTML. */
int bench_dm_write(FILE *stream, const bench_dm_report *report, bench_table_format format, bench_error *error);

#endif
