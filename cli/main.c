/* The bench program: a table of subcommands; each handler owns its own options. */
#include <errno.h>
#include <stdio.h>
#include <stdlib.h>
#include <string.h>
#include <time.h>

#include "cli/cli.h"
#include "bench/forecaster.h"
#include "core/suggest.h"
#include "bench/version.h"

static int cli_version(int argc, char **argv);

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
    {"version", cli_version, "print bench's version, git commit and the versions of its libraries"},
};
#define COMMAND_COUNT (sizeof commands / sizeof commands[0])

static void usage(FILE *stream)
{
    fprintf(stream, "usage: bench COMMAND [ARGS...]\n\ncommands:\n");
    for (size_t i = 0; i < COMMAND_COUNT; i++)
        fprintf(stream, "  %-16s %s\n", commands[i].name, commands[i].summary);
    fprintf(stream, "\n`bench COMMAND --help` describes each command; `man bench` describes them all.\n");
}

/* `bench version` and `bench --version`: what a bug report should quote. */
static int cli_version(int argc, char **argv)
{
    if (argc > 1 && (!strcmp(argv[1], "--help") || !strcmp(argv[1], "-h"))) {
        printf("usage: bench version   (also bench --version)\n"
               "prints bench's version, the git commit it was built from, the forecaster plugin ABI\n"
               "and the versions of the libraries it runs on (the same list run.json records).\n");
        return 0;
    }
    if (argc > 1) {
        fprintf(stderr, "usage: bench version\n");
        return 2;
    }
    printf("bench %s (git %s)\n", BENCH_VERSION, bench_git_commit());
    printf("forecaster plugin ABI %d.%d\n", BENCH_FORECASTER_ABI_MAJOR, BENCH_FORECASTER_ABI_MINOR);
    bench_library_version libraries[BENCH_LIBRARY_VERSION_COUNT];
    size_t count = bench_library_versions(libraries);
    for (size_t i = 0; i < count; i++)
        printf("%-9s %s\n", libraries[i].name, libraries[i].version);
    return 0;
}

const char *cli_one_line(char *out, size_t size, const char *text)
{
    size_t length = strcspn(text, "\r\n");
    if (length < size) {
        snprintf(out, size, "%.*s", (int)length, text);
    } else if (size > 4) {
        snprintf(out, size, "%.*s...", (int)(size - 4), text);
    } else if (size > 0) {
        out[0] = '\0';
    }
    return out;
}

double cli_now(void)
{
    struct timespec now;
    clock_gettime(CLOCK_MONOTONIC, &now);
    return (double)now.tv_sec + 1e-9 * (double)now.tv_nsec;
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
    if (!strcmp(argv[1], "--version"))
        return cli_version(1, argv + 1);
    return cli_dispatch("bench", "command", commands, COMMAND_COUNT, argc, argv);
}

int cli_dispatch(const char *program, const char *what, const bench_command *commands, size_t count, int argc,
                 char **argv)
{
    const char *names[64] = {0};
    size_t named = count < 64 ? count : 64;
    for (size_t i = 0; i < count; i++)
        if (strcmp(argv[1], commands[i].name) == 0)
            return commands[i].handler(argc - 1, argv + 1);
    for (size_t i = 0; i < named; i++)
        names[i] = commands[i].name;
    const char *nearest = bench_suggest(argv[1], names, named);
    fprintf(stderr, "%s: unknown %s '%s'", program, what, argv[1]);
    if (nearest != NULL)
        fprintf(stderr, " (did you mean '%s'?)", nearest);
    fprintf(stderr, "; %ss are:", what);
    for (size_t i = 0; i < count; i++)
        fprintf(stderr, " %s", commands[i].name);
    fprintf(stderr, "\n");
    return 2;
}
