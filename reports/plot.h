/* Figures for papers, drawn by gnuplot from generated scripts.
 *
 * bench_plot writes, into DIR/figures/, one data file (.dat) and one gnuplot
 * script (.gp) per figure plus a shared style.gp (fonts, greyscale-safe line
 * styles), then runs gnuplot on each script (posix_spawn, with a timeout).
 * Users restyle by editing style.gp or a script and rerunning
 *     cd DIR/figures && gnuplot -e 'fmt="pdf"' NAME.gp
 * Input files beyond results.csv are described in reports/README.md. */
#ifndef BENCH_REPORTS_PLOT_H
#define BENCH_REPORTS_PLOT_H

#include <stddef.h>

#include "bench/error.h"

typedef enum bench_plot_format {
    BENCH_PLOT_PNG,
    BENCH_PLOT_SVG,
    BENCH_PLOT_PDF,
} bench_plot_format;

/* Figure kinds, combinable as a bit set. */
enum {
    BENCH_PLOT_HORIZON = 1 << 0,   /* metric vs horizon per variant (forecast results) */
    BENCH_PLOT_CD = 1 << 1,        /* critical-difference diagram per task and metric */
    BENCH_PLOT_FORECAST = 1 << 2,  /* forecast vs truth with interval (DIR/predictions/) */
    BENCH_PLOT_CURVES = 1 << 3,    /* training curves, incl. kNN accuracy (DIR/curves/) */
    BENCH_PLOT_EMBEDDING = 1 << 4, /* 2-D PCA of embeddings by class (DIR/embeddings/) */
    BENCH_PLOT_AP = 1 << 5,        /* per-class AP bars (detect results, metrics ap_<class>) */
    BENCH_PLOT_EXAMPLES = 1 << 6,  /* PNG files in DIR/figures/examples/, listed as they are */
    BENCH_PLOT_ALL = (1 << 7) - 1,
};

/* Figure sizes: for the screen, or to drop into a paper at its final size
 * (fonts at the size of a 10 pt paper's figure text, PNG at 300 dpi). */
typedef enum bench_plot_size {
    BENCH_PLOT_SIZE_SCREEN,    /* each figure's own size, 10 pt text, PNG at 110 px/in */
    BENCH_PLOT_SIZE_SINGLE,    /* 3.5 in wide (one column of a two-column paper), 8 pt, 300 dpi */
    BENCH_PLOT_SIZE_DOUBLE,    /* 7 in wide (both columns), 9 pt, 300 dpi */
} bench_plot_size;

/* Log scale for the y axis of horizon plots. */
typedef enum bench_plot_log_y {
    BENCH_PLOT_LOG_Y_AUTO,     /* when one variant dwarfs the others (max/min of the means > 20) */
    BENCH_PLOT_LOG_Y_ON,
    BENCH_PLOT_LOG_Y_OFF,
} bench_plot_log_y;

typedef struct bench_plot_options {
    bench_plot_format format;
    bench_plot_size size;
    bench_plot_log_y log_y;
    unsigned kinds;            /* 0 means BENCH_PLOT_ALL */
    const char *gnuplot;       /* program; NULL: $BENCH_GNUPLOT, else "gnuplot" on PATH */
    double timeout_seconds;    /* per script; <= 0 means 30 */
    int scripts_only;          /* write data and scripts, do not run gnuplot */
    /* Called after each figure gnuplot renders (NULL: none), e.g. for a
     * progress line on a terminal; the library itself never prints. */
    void (*progress)(void *context, size_t done, size_t total);
    void *progress_context;
} bench_plot_options;

typedef struct bench_figure {
    unsigned kind;
    char *title;               /* one line, plain text */
    char *script;              /* file name in DIR/figures (NULL for examples) */
    char *output;              /* file name relative to DIR/figures; NULL when not rendered */
} bench_figure;

typedef struct bench_figure_list {
    bench_figure *items;
    size_t count;
    /* Figures the data would suggest but that were not drawn, one sentence
     * each with the reason ("cd_forecast_mse: not drawn, 2 complete rows; ..."),
     * for the caller to show: a missing figure is never silent. */
    char **notes;
    size_t note_count;
} bench_figure_list;

/* Make every figure of the selected kinds that DIR's files allow (kinds whose
 * input files are absent are empty; figures skipped for a reason are listed
 * in out->notes).  When gnuplot is missing the data and
 * scripts are still written and the result is BENCH_NOT_FOUND with a message
 * saying how to install it; a script gnuplot rejects or that times out is
 * BENCH_IO after the other figures were made.  *out lists what exists either
 * way; the caller frees it with bench_figure_list_free. */
int bench_plot(bench_figure_list *out, const char *dir, const bench_plot_options *options, bench_error *error);
void bench_figure_list_free(bench_figure_list *list);

int bench_plot_format_parse(const char *name, bench_plot_format *format);
const char *bench_plot_format_extension(bench_plot_format format);

/* Parse one kind name (horizon, cd, forecast, curves, embedding, ap, examples,
 * all) into its bit; 0 on success. */
int bench_plot_kind_parse(const char *name, unsigned *kind);
const char *bench_plot_kind_name(unsigned kind);

/* Find the gnuplot program (see options->gnuplot) into path; BENCH_NOT_FOUND
 * with installation advice when absent. */
int bench_gnuplot_find(char *path, size_t size, const char *requested, bench_error *error);

#endif
