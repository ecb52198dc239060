/* bench report DIR: the run page DIR/index.html plus tables.{md,tex,csv}. */
#include <getopt.h>
#include <unistd.h>
#include <stdio.h>
#include <stdlib.h>

#include "cli/cli.h"
#include "cli/options.h"
#include "core/dir_lock.h"
#include "reports/html.h"

static void report_usage(FILE *stream)
{
    fprintf(stream,
            "usage: bench report DIR [--no-figures] [--timeout SECONDS] [--gnuplot PROGRAM] [--caption TEXT]\n"
            "\n"
            "Writes DIR/index.html (configuration, versions, failed cells, all tables, Diebold-Mariano\n"
            "tests when predictions are stored, timings, all figures as\n"
            "inline SVG, links to the CSV and JSON files; no JavaScript, no network, opens from file://)\n"
            "and DIR/tables.md, DIR/tables.tex, DIR/tables.csv.  Figures come from `bench plot DIR\n"
            "--format svg`; without gnuplot the page is still written, with a note.  --caption TEXT\n"
            "follows every table's caption, as in bench table.\n");
}

int cli_report(int argc, char **argv)
{
    static const struct option long_options[] = {
        {"no-figures", no_argument, NULL, 'n'}, {"timeout", required_argument, NULL, 't'},
        {"gnuplot", required_argument, NULL, 'g'}, {"help", no_argument, NULL, 'h'},
        {"caption", required_argument, NULL, 'c'},
        {NULL, 0, NULL, 0},
    };
    bench_report_options options = {0};
    optind = 1;
    int option, bad = 0;
    while ((option = getopt_long(argc, argv, "nt:g:c:h", long_options, NULL)) != -1) {
        switch (option) {
        case 'n': options.no_figures = 1; break;
        case 't':
            if (cli_gnuplot_timeout("bench report", optarg, &options.timeout_seconds) != 0)
                bad = 1;
            break;
        case 'g': options.gnuplot = optarg; break;
        case 'c': options.caption_note = optarg; break;
        case 'h': report_usage(stdout); return 0;
        default: bad = 1;
        }
    }
    int code = cli_one_run_directory("bench report", bad, report_usage, argc);
    if (code != CLI_GO_ON)
        return code;
    if (isatty(STDERR_FILENO))
        options.progress = cli_figure_progress;
    bench_error error = {0};
    bench_report_summary summary;
    /* The page is written into the run directory: one writer at a time. */
    bench_dir_lock lock = {.fd = -1};
    int status = access(argv[optind], F_OK) != 0 ? BENCH_OK /* the writer names the missing directory */
                                                 : bench_dir_lock_take(&lock, argv[optind], 1, "bench report", &error);
    if (status == BENCH_OK)
        status = bench_report_write(argv[optind], &options, &summary, &error);
    bench_dir_lock_release(&lock);
    if (status != BENCH_OK)
        return cli_report_error(&error);
    if (summary.figure_error.code != BENCH_OK)
        fprintf(stderr, "bench report: warning: %s\n", summary.figure_error.message);
    printf("%s/index.html (%zu tables, %zu figures)\n", argv[optind], summary.tables, summary.figures);
    return 0;
}
