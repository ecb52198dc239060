/* The run page: DIR/index.html with the run's configuration, versions, failed
 * cells, every comparison table, Diebold-Mariano tests against the best-ranked
 * forecaster when predictions are stored, timings per variant, every figure
 * (SVG inline, example PNGs by relative link) and links to the CSV/JSON files.  One self-contained file:
 * inline CSS, no JavaScript, no network requests, works from file://.
 * Alongside it: DIR/tables.md, DIR/tables.tex, DIR/tables.csv. */
#ifndef BENCH_REPORTS_HTML_H
#define BENCH_REPORTS_HTML_H

#include <stddef.h>

#include "bench/error.h"

typedef struct bench_report_options {
    const char *gnuplot;        /* as bench_plot_options.gnuplot */
    double timeout_seconds;     /* per figure; <= 0: 30 */
    int no_figures;             /* tables and configuration only */
    const char *caption_note;   /* as bench_table_options.note; NULL: none */
    void (*progress)(void *context, size_t done, size_t total); /* as bench_plot_options */
    void *progress_context;
} bench_report_options;

typedef struct bench_report_summary {
    size_t tables;
    size_t figures;             /* figures shown on the page */
    bench_error figure_error;   /* why some or all figures are missing (code BENCH_OK when none) */
} bench_report_summary;

/* Write the page and the table files.  Only a problem with results.csv,
 * run.json or writing is an error; a figure problem (gnuplot missing, a script
 * failing) is reported in the page and in summary->figure_error. */
int bench_report_write(const char *dir, const bench_report_options *options, bench_report_summary *summary,
                       bench_error *error);

#endif
