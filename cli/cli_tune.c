/* `bench tune CONFIG --model VARIANT --budget N [--out DIR] [--seed S]
 *  [--search random|grid] [--metric NAME] [--space "name=v1,v2;..."] [--threads T]
 *  [--quiet]` — see bench/tune.h. */
#include <getopt.h>
#include <stdint.h>
#include <stdio.h>
#include <stdlib.h>
#include <string.h>

#include "core/config.h"
#include "cli/cli.h"
#include "cli/options.h"
#include "bench/tune.h"

static void tune_usage(FILE *stream)
{
    fprintf(stream,
            "usage: bench tune CONFIG.ini --model VARIANT --budget N [options]\n"
            "  Search hyper-parameters on each dataset's validation split (the protocol's\n"
            "  training part minus its last val_fraction), refit the best setting on the\n"
            "  whole training part, evaluate once on test (Elsayed et al., Sec. 5).\n"
            "  --model NAME     a [model VARIANT] of the config (or a forecaster name)\n"
            "  --budget N       trials per dataset x horizon\n"
            "  --out DIR        output directory (default runs/tune-<model>)\n"
            "  --search KIND    random (default: distinct seeded draws) or grid (declared order)\n"
            "  --space TEXT     \"name=v1,v2;name=...\" (default: the model's built-in space)\n"
            "  --metric NAME    validation metric (default: the protocol's first; corr_* maximised)\n"
            "  --seed S         seed of the search, fits and predictions (default 1)\n"
            "  --threads T      threads per fit (default: the config's)\n"
            "  --quiet          no progress lines\n"
            "Outputs: DIR/tuning.csv (every trial), DIR/results.csv (the test cell, results\n"
            "contract), DIR/run.json (space, chosen setting, timings).\n"
            "Built-in spaces:\n  gbrt: %s\n  gbrt_naive: %s\n  ridge: %s\n",
            bench_tune_space_text("gbrt"), bench_tune_space_text("gbrt_naive"), bench_tune_space_text("ridge"));
}

static void print_progress(void *context, const char *line)
{
    (void)context;
    fprintf(stderr, "bench: %s\n", line);
}

int cli_tune(int argc, char **argv)
{
    static const struct option long_options[] = {
        {"model", required_argument, NULL, 'm'},  {"budget", required_argument, NULL, 'b'},
        {"out", required_argument, NULL, 'o'},    {"search", required_argument, NULL, 's'},
        {"space", required_argument, NULL, 'S'},  {"metric", required_argument, NULL, 'M'},
        {"seed", required_argument, NULL, 'r'},   {"threads", required_argument, NULL, 't'},
        {"quiet", no_argument, NULL, 'q'},        {"help", no_argument, NULL, 'h'},
        {NULL, 0, NULL, 0},
    };
    bench_tune_options options = {.seed = 1, .progress = print_progress};
    unsigned long long number;
    char default_out[256];
    optind = 1;
    int option;
    while ((option = getopt_long(argc, argv, "", long_options, NULL)) != -1) {
        switch (option) {
        case 'm': options.model = optarg; break;
        case 'o': options.out_dir = optarg; break;
        case 'S': options.space = optarg; break;
        case 'M': options.metric = optarg; break;
        case 'q': options.progress = NULL; break;
        case 'h': tune_usage(stdout); return 0;
        case 'b':
            if (cli_count_option("bench: error", "--budget", optarg, 1, 1000000, &number) != 0)
                return 2;
            options.budget = (size_t)number;
            break;
        case 's':
            if (strcmp(optarg, "random") != 0 && strcmp(optarg, "grid") != 0) {
                fprintf(stderr, "bench: error: --search %s: expected random or grid\n", optarg);
                return 2;
            }
            options.grid = strcmp(optarg, "grid") == 0;
            break;
        case 'r':
            if (cli_parse_count(optarg, 0, UINT64_MAX, &number) != 0) {
                fprintf(stderr, "bench: error: --seed %s: expected a non-negative integer\n", optarg);
                return 2;
            }
            options.seed = number;
            break;
        case 't':
            if (bench_parse_threads(optarg, &options.threads) != 0)
                return cli_bad_count("bench: error", "--threads", optarg, 1, BENCH_MAX_THREADS);
            break;
        default: tune_usage(stderr); return 2;
        }
    }
    if (optind + 1 != argc || options.model == NULL || options.budget == 0) {
        tune_usage(stderr);
        return 2;
    }
    if (options.out_dir == NULL) {
        snprintf(default_out, sizeof default_out, "runs/tune-%s", options.model);
        options.out_dir = default_out;
    }
    bench_error error = {0};
    if (bench_tune(argv[optind], &options, &error) != BENCH_OK)
        return cli_report_error(&error);
    if (options.progress != NULL)
        fprintf(stderr, "bench: wrote %s/tuning.csv, results.csv, run.json\n", options.out_dir);
    return 0;
}
