/* bench plot DIR: figures from a run directory through generated gnuplot scripts. */
#include <getopt.h>
#include <unistd.h>
#include <stdio.h>
#include <stdlib.h>
#include <string.h>

#include "cli/cli.h"
#include "cli/options.h"
#include "core/dir_lock.h"
#include "core/suggest.h"
#include "reports/plot.h"

static void plot_usage(FILE *stream)
{
    fprintf(stream,
            "usage: bench plot DIR [--format png|svg|pdf] [--kind K[,K...]]... [--timeout SECONDS]\n"
            "                      [--size screen|single|double] [--log-y auto|on|off]\n"
            "                      [--gnuplot PROGRAM] [--scripts-only]\n"
            "\n"
            "  --size     single: 3.5 in wide (one column of a two-column paper), 8 pt text;\n"
            "             double: 7 in wide (both columns), 9 pt; PNG at 300 dpi for both\n"
            "             (use --format pdf for vector figures); screen (default): each figure's size\n"
            "  --log-y    horizon plots: auto (default) uses a log y axis when one variant's mean is\n"
            "             over 20 times another's, so it does not flatten the rest\n"
            "\n"
            "Writes DIR/figures/NAME.dat + NAME.gp (+ a shared style.gp) per figure and runs gnuplot\n"
            "on each script; edit a script or style.gp and rerun `gnuplot NAME.gp` to restyle.\n"
            "Kinds (default all that the run directory has data for):\n"
            "  horizon    metric vs forecast horizon per variant (results.csv, task forecast)\n"
            "  cd         critical-difference diagram per task and metric (results.csv)\n"
            "  forecast   forecast vs truth with prediction interval (DIR/predictions/*.csv)\n"
            "  curves     training/validation curves incl. kNN accuracy (DIR/curves/*.csv)\n"
            "  embedding  2-D PCA of embeddings coloured by class (DIR/embeddings/*.csv)\n"
            "  ap         per-class AP bars (results.csv metrics ap_<class>, task detect)\n"
            "  examples   detection example images already in DIR/figures/examples/*.png\n"
            "File formats: reports/README.md.  Needs gnuplot (apt-get install gnuplot-nox).\n");
}

/* --size and --log-y: one of three words, *out its index; on another word
 * prints "bench plot: OPTION must be A, B or C, not 'TEXT'" and returns -1. */
static int plot_word_option(const char *option, const char *text, const char *const words[3], int *out)
{
    for (int i = 0; i < 3; i++)
        if (strcmp(text, words[i]) == 0) {
            *out = i;
            return 0;
        }
    fprintf(stderr, "bench plot: %s must be %s, %s or %s, not '%s'\n", option, words[0], words[1], words[2], text);
    return -1;
}

int cli_plot(int argc, char **argv)
{
    static const struct option long_options[] = {
        {"format", required_argument, NULL, 'f'},  {"kind", required_argument, NULL, 'k'},
        {"timeout", required_argument, NULL, 't'}, {"gnuplot", required_argument, NULL, 'g'},
        {"scripts-only", no_argument, NULL, 's'},  {"help", no_argument, NULL, 'h'},
        {"size", required_argument, NULL, 'S'},    {"log-y", required_argument, NULL, 'L'},
        {NULL, 0, NULL, 0},
    };
    bench_plot_options options = {.format = BENCH_PLOT_PNG};
    optind = 1;
    int option, bad = 0;
    while ((option = getopt_long(argc, argv, "f:k:t:g:shS:L:", long_options, NULL)) != -1) {
        switch (option) {
        case 'S':
        case 'L': {
            /* In the order of bench_plot_size and bench_plot_log_y. */
            static const char *const words[2][3] = {{"screen", "single", "double"}, {"auto", "on", "off"}};
            int is_size = option == 'S', word;
            if (plot_word_option(is_size ? "--size" : "--log-y", optarg, words[!is_size], &word) != 0)
                bad = 1;
            else if (is_size)
                options.size = (bench_plot_size)word;
            else
                options.log_y = (bench_plot_log_y)word;
            break;
        }
        case 'f':
            if (bench_plot_format_parse(optarg, &options.format) != 0) {
                fprintf(stderr, "bench plot: --format must be png, svg or pdf, not '%s'\n", optarg);
                bad = 1;
            }
            break;
        case 'k':
            for (char *name = strtok(optarg, ","); name != NULL; name = strtok(NULL, ",")) {
                unsigned kind;
                if (bench_plot_kind_parse(name, &kind) != 0) {
                    static const char kinds[] = "horizon, cd, forecast, curves, embedding, ap, examples, all";
                    char hint[64];
                    fprintf(stderr, "bench plot: unknown kind '%s'%s; kinds are %s\n", name,
                            bench_suggest_phrase(hint, sizeof hint, name, kinds), kinds);
                    bad = 1;
                }
                options.kinds |= kind;
            }
            break;
        case 't':
            if (cli_gnuplot_timeout("bench plot", optarg, &options.timeout_seconds) != 0)
                bad = 1;
            break;
        case 'g': options.gnuplot = optarg; break;
        case 's': options.scripts_only = 1; break;
        case 'h': plot_usage(stdout); return 0;
        default: bad = 1;
        }
    }
    int code = cli_one_run_directory("bench plot", bad, plot_usage, argc);
    if (code != CLI_GO_ON)
        return code;
    const char *dir = argv[optind];
    if (isatty(STDERR_FILENO))
        options.progress = cli_figure_progress;
    bench_error error = {0};
    bench_figure_list figures = {0};
    /* Figures are written into the run directory: one writer at a time. */
    bench_dir_lock lock = {.fd = -1};
    int status = access(dir, F_OK) != 0 ? BENCH_OK /* bench_plot names the missing directory */
                                        : bench_dir_lock_take(&lock, dir, 1, "bench plot", &error);
    if (status == BENCH_OK)
        status = bench_plot(&figures, dir, &options, &error);
    bench_dir_lock_release(&lock);
    size_t rendered = 0;
    for (size_t i = 0; i < figures.count; i++) {
        const bench_figure *figure = &figures.items[i];
        if (figure->output != NULL) {
            printf("%s/figures/%s\n", dir, figure->output);
            rendered++;
        } else if (figure->script != NULL && (options.scripts_only || status != BENCH_OK)) {
            printf("%s/figures/%s (not rendered)\n", dir, figure->script);
        }
    }
    for (size_t i = 0; i < figures.note_count; i++) /* why a figure was not drawn */
        fprintf(stderr, "bench plot: %s\n", figures.notes[i]);
    if (figures.count == 0 && figures.note_count == 0 && status == BENCH_OK)
        fprintf(stderr, "bench plot: %s has no data for the selected kinds\n", dir);
    bench_figure_list_free(&figures);
    return status == BENCH_OK ? 0 : cli_report_error(&error);
}
