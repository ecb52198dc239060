/* Option parsing the commands share: one message per kind of bad value, the
 * option set of the task runners, and run-directory commands' common steps. */
#ifndef BENCH_CLI_OPTIONS_H
#define BENCH_CLI_OPTIONS_H

#include <stdio.h>

/* What the parsers below return when the command should go on (every other
 * value is the exit code to return). */
#define CLI_GO_ON (-1)

/* Prints "PREFIX: OPTION TEXT: expected an integer from MINIMUM to MAXIMUM" to
 * stderr and returns 2, the exit code of bad usage. */
int cli_bad_count(const char *prefix, const char *option, const char *text, unsigned long long minimum,
                  unsigned long long maximum);

/* cli_parse_count, and cli_bad_count's message when TEXT is not in range:
 * 0 on success, 2 otherwise. */
int cli_count_option(const char *prefix, const char *option, const char *text, unsigned long long minimum,
                     unsigned long long maximum, unsigned long long *out);

/* The options of the task runners (`bench hcsc run`, `bench shift run`), and
 * what their progress lines need. */
typedef struct cli_task_run {
    const char *out_dir; /* --out DIR; NULL when not given */
    unsigned jobs;       /* --jobs N in 1..64; 0 when not given (the config's) */
    int resume, quiet;   /* --resume, --quiet */
    const char *program; /* "bench hcsc": the progress lines' prefix */
    double start;        /* cli_now() when the run started, set by the caller */
} cli_task_run;

/* Parses `--out DIR --jobs N --resume --quiet --help` (and SHORT_OPTIONS, getopt's
 * string for their one-letter forms o j r q h) and one operand, argv[optind];
 * "PROGRAM run" starts the messages.  --help prints usage to stdout (returns 0);
 * a bad option, a missing operand or, with OUT_REQUIRED, a missing --out prints
 * it to stderr (returns 2).  Returns CLI_GO_ON otherwise. */
int cli_parse_task_run(cli_task_run *out, const char *program, const char *short_options, int out_required,
                       void (*usage)(FILE *stream), int argc, char **argv);

/* The task runners' progress callback, CONTEXT their cli_task_run: one stderr
 * line per phase, epoch and finished unit with the seconds since start, the
 * same on a terminal and in a log (`make bench`).  A failed unit's message is
 * cut to its first line; the run's files keep it whole. */
void cli_task_progress(void *context, const char *line);

/* --timeout SECONDS of the commands that run gnuplot: in (0, 3600]; on bad
 * input prints "COMMAND: --timeout must be seconds in (0, 3600], not 'TEXT'"
 * and returns -1. */
int cli_gnuplot_timeout(const char *command, const char *text, double *seconds);

/* The one operand of the run-directory commands (plot, report): unless
 * earlier options were BAD, prints "COMMAND: expected one run directory" when
 * argv has not exactly one left; then, when anything was wrong, usage to
 * stderr and returns 2.  Returns CLI_GO_ON otherwise. */
int cli_one_run_directory(const char *command, int bad, void (*usage)(FILE *stream), int argc);

/* "figures 3/40" on a terminal's stderr, overwritten in place: the progress
 * callback of bench_plot and bench_report_write. */
void cli_figure_progress(void *context, size_t done, size_t total);

#endif
