/* Comparison tables from results.csv: one table per (task, metric), rows
 * dataset × horizon (forecast) or dataset × protocol (hcsc, detect), one column
 * per variant, cells mean ± std over seeds, best bold and second underlined,
 * an average-rank row with the Friedman / Iman-Davenport / Nemenyi statistics,
 * optional wins/ties/losses against one variant.  Failed cells stay visible as
 * marked holes.  Rendered as Markdown, LaTeX (booktabs + multirow), CSV or HTML. */
#ifndef BENCH_REPORTS_TABLE_H
#define BENCH_REPORTS_TABLE_H

#include <stddef.h>
#include <stdio.h>

#include "bench/error.h"
#include "reports/results.h"
#include "reports/stats.h"

typedef enum bench_table_format {
    BENCH_TABLE_MD,
    BENCH_TABLE_TEX,
    BENCH_TABLE_CSV,
    BENCH_TABLE_HTML,
} bench_table_format;

/* Which way the table runs: one column per variant (rows dataset × horizon or
 * protocol, the default), or one row per variant with a column per dataset ×
 * horizon (tall, for many methods on few datasets; statistics as columns). */
typedef enum bench_table_columns {
    BENCH_TABLE_COLUMNS_VARIANTS,
    BENCH_TABLE_COLUMNS_DATASETS,
} bench_table_columns;

typedef struct bench_table_options {
    const char *task;                  /* NULL: every task in the file */
    const char *const *metrics;        /* NULL/0: every metric, in file order */
    size_t metric_count;
    const char *const *models;         /* variant or model names; NULL/0: all */
    size_t model_count;
    const char *const *datasets;       /* NULL/0: all */
    size_t dataset_count;
    const char *versus;                /* variant for wins/ties/losses; NULL: none */
    int digits;                        /* decimals; < 0 chooses per table */
    int ci;                            /* cells mean ± 95 % CI half-width instead of ± std */
    int rank_by_row;                   /* ranks and Friedman over rows (dataset × horizon, as the
                                        * TSLib leaderboard ranks), instead of the default: over
                                        * datasets, each dataset's complete rows averaged first, the
                                        * CD diagram's unit, since the horizons (or protocols) of one
                                        * dataset are not independent samples */
    bench_table_columns columns;       /* layout of md, tex and html (csv is long format) */
    const char *note;                  /* the caller's words after every caption (what the
                                        * budget is, how the run differs from the full one);
                                        * untrusted text, escaped per format; NULL: none */
} bench_table_options;

typedef struct bench_table_row {
    const char *dataset, *protocol;    /* into the results */
    long horizon;                      /* 0 when none */
} bench_table_row;

typedef struct bench_table_cell {
    size_t n_ok, n_error;
    double mean, sd, ci95;             /* NAN without ok seeds (sd, ci95 also with one) */
    int deterministic;                 /* several seeds, one value: shown without ± */
    int place;                         /* 1 best, 2 second best (only when a worse value
                                        * exists in the row), 0 otherwise */
} bench_table_cell;

typedef struct bench_table {
    const char *task, *metric;         /* into the results */
    int direction;                     /* bench_metric_direction */
    size_t row_count, column_count;
    bench_table_row *rows;
    const char **variants;             /* column names, into the results */
    bench_table_cell *cells;           /* row_count × column_count, row-major */
    int digits;
    int show_ci;                       /* ± is the 95 % CI half-width, not the std */
    int show_protocol, show_horizon;   /* which key columns the table has */
    bench_table_columns columns;       /* from the options */
    char *protocols;                   /* "ltsf" or "ltsf, m4" */
    char *seeds;                       /* "1, 2, 3" */
    char *note;                        /* options' note, copied; NULL: none */
    size_t seed_count;
    /* Ranking over the complete rows (every variant has a value); avg_ranks is
     * NULL when there are fewer than 2 variants, no complete row or no direction. */
    size_t complete_rows;              /* ranking units: datasets, or rows with rank_by_row */
    int ranked_by_row;
    double *avg_ranks;
    size_t *firsts;                    /* per column: rows where it is best (ties count for each); with avg_ranks */
    int has_friedman;                  /* >= BENCH_TABLE_MIN_FRIEDMAN_ROWS complete rows */
    bench_friedman friedman;
    double cd05;                       /* Nemenyi CD at 0.05; NAN without has_friedman or
                                        * beyond BENCH_NEMENYI_MAX_K variants */
    int has_second;                    /* some cell is marked second best */
    long versus_column;                /* -1 without --versus */
    size_t *wins, *ties, *losses;      /* per column, against versus_column */
    double *wilcoxon_p;                /* per column: two-sided Wilcoxon signed-rank p of the
                                        * row means against versus_column; NAN when undefined */
    double *holm_p;                    /* the same p-values Holm-adjusted over the k-1 comparisons */
    size_t error_cells, partial_cells, missing_cells;
    /* Cells with fewer ok seeds than the table and no failures: a smaller design
     * by plan (one-seed ablations); the caption says so and the cell is marked. */
    size_t fewer_seed_cells, fewer_seed_minimum;
    size_t deterministic_cells;   /* cells whose seeds all gave one value: printed without ± */
} bench_table;

/* Friedman, Iman-Davenport and Nemenyi need this many complete rows (datasets). */
enum { BENCH_TABLE_MIN_FRIEDMAN_ROWS = 3 };

typedef struct bench_table_set {
    bench_table *tables;
    size_t count;
} bench_table_set;

/* Build the tables selected by options (NULL: all defaults).  Names in the
 * options that match nothing are BENCH_NOT_FOUND listing what exists.  The set
 * points into results, which must outlive it; free with bench_tables_free. */
int bench_tables_build(bench_table_set *out, const bench_results *results,
                       const bench_table_options *options, bench_error *error);
void bench_tables_free(bench_table_set *set);

/* Write every table of the set to stream in one format (CSV: one header). */
int bench_tables_write(FILE *stream, const bench_table_set *set, bench_table_format format,
                       bench_error *error);

/* "md", "tex", "csv" or "html"; 0 on success. */
int bench_table_format_parse(const char *name, bench_table_format *format);
/* "variants" or "datasets"; 0 on success. */
int bench_table_columns_parse(const char *name, bench_table_columns *columns);
const char *bench_table_format_extension(bench_table_format format);

#endif
