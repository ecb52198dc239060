/* The bench program: a table of subcommands; each handler owns its own options. */
#include <errno.h>
#include <stdio.h>
#include <stdlib.h>
#include <string.h>

#include "bench/cli.h"

/* One row per subcommand: adding a command is a declaration in cli.h and a row here. */
static const bench_command commands[] = {
    {"run", cli_run, "run a benchmark configuration and write results.csv"},
    {"models", cli_models, "list forecasters with their parameters"},
    {"table", cli_table, "comparison tables (md, tex, csv, html) with ranks and significance tests"},
    {"plot", cli_plot, "figures via generated gnuplot scripts (horizon, CD diagram, forecasts, curves, ...)"},
    {"report", cli_report, "write DIR/index.html: configuration, tables, inline SVG figures, links"},
    {"data", cli_data, "datasets: list, fetch (with sha256 check), verify, path"},
    {"new-forecaster", cli_new_forecaster, "write a working forecaster plugin to start from"},
    {"check-plugin", cli_check_plugin, "run the forecaster contract checks on a plugin .so or a built-in"},
    {"shift", cli_shift, "X-ray cross-device detection benchmark: generate, show, devices"},
    {"plan", cli_plan, "write DIR/plan.csv: the cells of a configuration with their stable ids"},
    {"merge", cli_merge, "merge finished cells (shards) into results.csv, refusing duplicates, listing missing cells"},
    {"slurm", cli_slurm, "write (and --submit) a Slurm job array running the shards plus a merge job"},
    {"hcsc", cli_hcsc, "HCSC self-supervised benchmark on Fashion-MNIST: run CONFIG, eval CHECKPOINT, methods"},
    {"tune", cli_tune, "hyper-parameter search on the validation split, refit, one test evaluation"},
};

static void usage(FILE *stream)
{
    fprintf(stream, "usage: bench COMMAND [ARGS...]\n\ncommands:\n");
    for (size_t i = 0; i < sizeof commands / sizeof commands[0]; i++)
        fprintf(stream, "  %-16s %s\n", commands[i].name, commands[i].summary);
    fprintf(stream, "\n`bench COMMAND --help` describes each command.\n");
}

int cli_parse_count(const char *text, unsigned long long minimum, unsigned long long maximum,
                    unsigned long long *out)
{
    char *end;
    errno = 0;
    unsigned long long value = strtoull(text, &end, 10);
    if (errno || end == text || *end != '\0' || text[0] == '-' || value < minimum || value > maximum)
        return -1;
    *out = value;
    return 0;
}

int cli_report_error(const bench_error *error)
{
    fprintf(stderr, "bench: error: %s\n", error->message[0] ? error->message : bench_status_name(error->code));
    if (getenv("BENCH_DEBUG") != NULL && error->source_file != NULL)
        fprintf(stderr, "bench: (detected at %s:%d)\n", error->source_file, error->source_line);
    return bench_status_exit_code(error->code);
}

int main(int argc, char **argv)
{
    if (argc < 2) {
        usage(stderr);
        return 2;
    }
    if (!strcmp(argv[1], "--help") || !strcmp(argv[1], "-h") || !strcmp(argv[1], "help")) {
        usage(stdout);
        return 0;
    }
    for (size_t i = 0; i < sizeof commands / sizeof commands[0]; i++)
        if (strcmp(argv[1], commands[i].name) == 0)
            return commands[i].handler(argc - 1, argv + 1);
    fprintf(stderr, "bench: unknown command '%s'; commands are:", argv[1]);
    for (size_t i = 0; i < sizeof commands / sizeof commands[0]; i++)
        fprintf(stderr, " %s", commands[i].name);
    fprintf(stderr, "\n");
    return 2;
}
