/* `bench hcsc run CONFIG [--out DIR] [--jobs N] [--resume] [--quiet]`
 * `bench hcsc eval CHECKPOINT [--seed S] [--train-limit N] [--test-limit N] [--data-dir DIR]
 *  [--features backbone|projection] [--kmeans-features backbone|projection] [--kmeans normalised|whitened]`
 * `bench hcsc methods` */
#include <errno.h>
#include <getopt.h>
#include <stdio.h>
#include <stdlib.h>
#include <string.h>

#include "cli/cli.h"
#include "cli/options.h"
#include "core/suggest.h"
#include "bench/run_tasks.h"
#include "hcsc/run.h"

static void hcsc_usage(FILE *stream)
{
    fprintf(stream,
            "usage: bench hcsc run CONFIG.ini [--out DIR] [--jobs N] [--resume] [--quiet]\n"
            "       bench hcsc eval CHECKPOINT [--seed S] [--train-limit N] [--test-limit N] [--data-dir DIR]\n"
            "                       [--features backbone|projection] [--kmeans-features backbone|projection]\n"
            "                       [--kmeans normalised|whitened]\n"
            "       bench hcsc methods\n"
            "run:  trains every [model NAME] of the config for every seed on Fashion-MNIST and writes\n"
            "      DIR/results.csv (task=hcsc; protocols knn200, knn20, linear, kmeans), timings.csv, run.json,\n"
            "      curves/<cell_id>.csv and checkpoints/<variant>-seed<S>.ckpt (default DIR: runs/<config name>).\n"
            "      --resume keeps the cells DIR/cells already holds and runs the rest (failed ones again).\n"
            "      --jobs N runs N cells at once in worker processes (default: [run] jobs, else 1).\n"
            "      --quiet prints no progress (default: one stderr line per phase, epoch and finished cell).\n"
            "eval: evaluates a saved encoder (its CHECKPOINT.json describes it and the run's evaluation\n"
            "      settings, so the run's rows are reproduced); flags override; prints protocol,metric,value.\n"
            "      --features sets what kNN and the linear probe read, --kmeans-features what k-means reads\n"
            "      (without either, what the run read; k-means follows --features unless the run or\n"
            "      --kmeans-features separated them).\n");
}

static int hcsc_run_command(int argc, char **argv)
{
    cli_task_run run;
    int code = cli_parse_task_run(&run, "bench hcsc", "o:j:rqh", 0, hcsc_usage, argc, argv);
    if (code != CLI_GO_ON)
        return code;
    const char *config_path = argv[optind];
    hcsc_plan *plan = malloc(sizeof *plan);
    if (plan == NULL) {
        fprintf(stderr, "bench: error: out of memory\n");
        return 1;
    }
    bench_error error = {0};
    if (hcsc_plan_load(plan, config_path, &error) != BENCH_OK) {
        free(plan);
        return cli_report_error(&error);
    }
    if (run.jobs > 0)
        plan->jobs = run.jobs;
    char default_out[4096];
    if (run.out_dir == NULL) {
        const char *base = strrchr(config_path, '/');
        base = base ? base + 1 : config_path;
        size_t length = strcspn(base, ".");
        snprintf(default_out, sizeof default_out, "runs/%.*s", (int)length, base);
        run.out_dir = default_out;
    }
    run.start = cli_now();
    hcsc_progress progress = {.line = run.quiet ? NULL : cli_task_progress, .context = &run};
    size_t failed = 0;
    int status = bench_hcsc_run(plan, run.out_dir, run.resume, &progress, &failed, &error);
    size_t cells = plan->cell_count;
    free(plan);
    if (status != BENCH_OK)
        return cli_report_error(&error);
    if (!run.quiet)
        fprintf(stderr, "bench hcsc: %zu cells, %zu failed; results in %s/results.csv\n", cells, failed, run.out_dir);
    return failed ? 1 : 0;
}

/* An eval option's whole number in 0..MAXIMUM from optarg: 1 and HAVE set, or
 * 0 after printing "bench hcsc eval: WANTS, got 'TEXT'". */
static int eval_count(unsigned long long *value, int *have, const char *wants, unsigned long long maximum)
{
    if (cli_parse_count(optarg, 0, maximum, value) != 0) {
        fprintf(stderr, "bench hcsc eval: %s, got '%s'\n", wants, optarg);
        return 0;
    }
    *have = 1;
    return 1;
}

static int hcsc_eval_command(int argc, char **argv)
{
    static const struct option options[] = {
        {"seed", required_argument, NULL, 's'},        {"train-limit", required_argument, NULL, 't'},
        {"test-limit", required_argument, NULL, 'T'},  {"data-dir", required_argument, NULL, 'd'},
        {"features", required_argument, NULL, 'f'},    {"kmeans", required_argument, NULL, 'k'},
        {"kmeans-features", required_argument, NULL, 'K'},
        {"help", no_argument, NULL, 'h'},              {NULL, 0, NULL, 0},
    };
    int features = -1, kmeans_features = -1, kmeans = -1; /* the checkpoint's own */
    unsigned long long seed = 0, train_limit = 0, test_limit = 0;
    int have_seed = 0, have_train_limit = 0, have_test_limit = 0;
    const char *data_dir = NULL;
    int option;
    optind = 1;
    while ((option = getopt_long(argc, argv, "s:t:T:d:f:K:k:h", options, NULL)) != -1) {
        switch (option) {
        case 's':
            if (!eval_count(&seed, &have_seed, "--seed wants a non-negative integer", (unsigned long)-1 >> 1))
                return 2;
            break;
        case 't':
            if (!eval_count(&train_limit, &have_train_limit, "--train-limit wants 0..60000", 60000))
                return 2;
            break;
        case 'T':
            if (!eval_count(&test_limit, &have_test_limit, "--test-limit wants 0..10000", 10000))
                return 2;
            break;
        case 'd':
            data_dir = optarg;
            break;
        case 'f':
        case 'K':
        case 'k': {
            const char *first = option == 'k' ? "normalised" : "backbone", *second = option == 'k' ? "whitened" : "projection";
            const char *name = option == 'f' ? "features" : option == 'K' ? "kmeans-features" : "kmeans";
            if (strcmp(optarg, first) != 0 && strcmp(optarg, second) != 0) {
                fprintf(stderr, "bench hcsc eval: --%s wants %s or %s, got '%s'\n", name, first, second, optarg);
                return 2;
            }
            int second_chosen = strcmp(optarg, second) == 0;
            if (option == 'f')
                features = second_chosen;
            else if (option == 'k')
                kmeans = second_chosen;
            else
                kmeans_features = second_chosen ? HCSC_KMEANS_PROJECTION : HCSC_KMEANS_BACKBONE;
            break;
        }
        case 'h':
            hcsc_usage(stdout);
            return 0;
        default:
            hcsc_usage(stderr);
            return 2;
        }
    }
    if (optind + 1 != argc) {
        hcsc_usage(stderr);
        return 2;
    }
    /* Without flags the run's own settings (in CHECKPOINT.json) reproduce its rows. */
    hcsc_result results[HCSC_RESULT_COUNT];
    bench_error error = {0};
    if (hcsc_evaluate_checkpoint_as(results, argv[optind], data_dir,
                                    have_train_limit ? train_limit : HCSC_FROM_CHECKPOINT,
                                    have_test_limit ? test_limit : HCSC_FROM_CHECKPOINT, features, kmeans_features, kmeans,
                                    have_seed ? seed : HCSC_SEED_FROM_CHECKPOINT, &error) != BENCH_OK)
        return cli_report_error(&error);
    printf("protocol,metric,value\n");
    for (size_t r = 0; r < HCSC_RESULT_COUNT; r++)
        printf("%s,%s,%.9g\n", results[r].protocol, results[r].metric, results[r].value);
    return 0;
}

static int hcsc_methods_command(int argc, char **argv)
{
    (void)argc, (void)argv;
    static const char *const names[] = {"raw", "moco", "pcl", "hcsc", "hcsc_no_is", "hcsc_no_ps"};
    for (size_t i = 0; i < sizeof names / sizeof names[0]; i++) {
        const hcsc_method *method = hcsc_method_find(names[i]);
        printf("%-12s %s\n", method->name, method->description);
    }
    return 0;
}

static const bench_command subcommands[] = {
    {"run", hcsc_run_command, "train and evaluate every cell of a configuration (results.csv)"},
    {"eval", hcsc_eval_command, "evaluate a saved checkpoint"},
    {"methods", hcsc_methods_command, "list the methods"},
};

int cli_hcsc(int argc, char **argv)
{
    if (argc < 2 || !strcmp(argv[1], "--help") || !strcmp(argv[1], "-h")) {
        hcsc_usage(argc < 2 ? stderr : stdout);
        return argc < 2 ? 2 : 0;
    }
    return cli_dispatch("bench hcsc", "subcommand", subcommands, sizeof subcommands / sizeof subcommands[0], argc,
                        argv);
}
