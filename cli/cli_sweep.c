/* `bench plan`, `bench merge` and `bench slurm`: sweeps split over processes,
 * machines or a Slurm cluster (bench/sweep.h). */
#include <errno.h>
#include <getopt.h>
#include <limits.h>
#include <stdio.h>
#include <stdlib.h>
#include <string.h>
#include <unistd.h>

#include "cli/cli.h"
#include "cli/options.h"
#include "core/config.h"
#include "core/dir_lock.h"
#include "core/files.h"
#include "bench/harness.h"
#include "bench/sweep.h"

/* Options that change the plan (and so the cell ids): plan and slurm accept the
 * ones `bench run` does, and slurm passes them on to every shard. */
typedef struct plan_arguments {
    bench_run_options options;
    uint64_t seeds[BENCH_MAX_SEEDS];
    const char *plugins[64];
    const char *passed[2 * 66];   /* the same options as `bench run` arguments */
    size_t passed_count;
} plan_arguments;

enum { OPTION_BAD = -2, OPTION_TIMEOUT = 1000, OPTION_MEMORY_LIMIT, OPTION_ALLOW_MODIFIED_DATA };

/* Records OPTION (and VALUE, unless NULL) among the arguments slurm passes on. */
static void pass(plan_arguments *arguments, const char *option, const char *value)
{
    arguments->passed[arguments->passed_count++] = option;
    if (value != NULL)
        arguments->passed[arguments->passed_count++] = value;
}

/* Handle one plan-shaping option; 1 when handled, 0 when not one, -1 on bad input. */
static int plan_option(plan_arguments *arguments, const char *command, int option, char *value)
{
    bench_run_options *options = &arguments->options;
    switch (option) {
    case 's': {
        options->seed_count = 0;
        char *copy = strdup(value), *save = NULL;
        if (copy == NULL)
            return -1;
        for (char *item = strtok_r(copy, ",", &save); item; item = strtok_r(NULL, ",", &save)) {
            char *end;
            errno = 0;
            unsigned long long seed = strtoull(item, &end, 10);
            if (errno || end == item || *end || item[0] == '-' || options->seed_count == BENCH_MAX_SEEDS) {
                fprintf(stderr, "bench %s: --seeds %s: expected a comma list of at most %d non-negative integers\n",
                        command, value, BENCH_MAX_SEEDS);
                free(copy);
                return -1;
            }
            arguments->seeds[options->seed_count++] = seed;
        }
        free(copy);
        options->seeds = arguments->seeds;
        pass(arguments, "--seeds", value);
        return 1;
    }
    case 'P':
        if (options->plugin_count == sizeof arguments->plugins / sizeof arguments->plugins[0]) {
            fprintf(stderr, "bench %s: at most 64 --plugin options\n", command);
            return -1;
        }
        arguments->plugins[options->plugin_count++] = value;
        options->plugins = arguments->plugins;
        pass(arguments, "--plugin", value);
        return 1;
    case OPTION_ALLOW_MODIFIED_DATA:
        options->allow_modified_data = 1;
        pass(arguments, "--allow-modified-data", NULL);
        return 1;
    }
    /* The options with a checked value: which, what it expects, whether it is one. */
    const char *name, *expected;
    char threads[64];
    int bad;
    switch (option) {
    case 't':
        name = "--threads";
        snprintf(threads, sizeof threads, "an integer from 1 to %d", BENCH_MAX_THREADS);
        expected = threads;
        bad = bench_parse_threads(value, &options->threads) != 0;
        break;
    case OPTION_TIMEOUT:
        name = "--timeout";
        expected = "seconds, a positive number";
        bad = bench_parse_timeout(value, &options->timeout_seconds) != 0;
        break;
    case OPTION_MEMORY_LIMIT:
        name = "--memory-limit";
        expected = "megabytes, a positive integer";
        bad = bench_parse_memory_limit(value, &options->memory_limit_mb) != 0;
        break;
    default:
        return 0;
    }
    if (bad) {
        fprintf(stderr, "bench %s: %s %s: expected %s\n", command, name, value, expected);
        return -1;
    }
    pass(arguments, name, value);
    return 1;
}

/* getopt_long for plan and slurm: takes the plan-shaping options itself and
 * returns the next other one, -1 at the end, or OPTION_BAD after bad input
 * (said on stderr). */
static int next_option(plan_arguments *arguments, const char *command, const char *short_options,
                       const struct option *long_options, int argc, char **argv)
{
    int option;
    while ((option = getopt_long(argc, argv, short_options, long_options, NULL)) != -1) {
        int handled = plan_option(arguments, command, option, optarg);
        if (handled < 0)
            return OPTION_BAD;
        if (!handled)
            return option;
    }
    return -1;
}

/* After next_option's loop of plan or slurm: 2 after bad input; 2 with usage
 * on stderr unless there is one operand (the config) and an --out; else CLI_GO_ON. */
static int operands_checked(int option, const char *out, void (*usage)(FILE *stream), int argc)
{
    if (option == OPTION_BAD)
        return 2;
    if (optind != argc - 1 || out == NULL) {
        usage(stderr);
        return 2;
    }
    return CLI_GO_ON;
}

/* The long options plan and slurm share with `bench run`. */
#define PLAN_LONG_OPTIONS                                                                                   \
    {"seeds", required_argument, NULL, 's'}, {"threads", required_argument, NULL, 't'},                     \
        {"plugin", required_argument, NULL, 'P'}, {"timeout", required_argument, NULL, OPTION_TIMEOUT},     \
        {"memory-limit", required_argument, NULL, OPTION_MEMORY_LIMIT},                                     \
        {"allow-modified-data", no_argument, NULL, OPTION_ALLOW_MODIFIED_DATA}

static void plan_usage(FILE *stream)
{
    fprintf(stream, "usage: bench plan CONFIG.ini --out DIR [--seeds LIST] [--threads T] [--plugin PATH]\n"
                    "                  [--timeout SECONDS] [--memory-limit MB] [--allow-modified-data]\n"
                    "Validates the configuration (loading its datasets) and writes DIR/plan.csv: one row per\n"
                    "cell in plan order with its stable id, the same file `bench run` writes.  Nothing runs.\n");
}

int cli_plan(int argc, char **argv)
{
    static const struct option long_options[] = {
        {"out", required_argument, NULL, 'o'}, PLAN_LONG_OPTIONS, {"help", no_argument, NULL, 'h'},
        {NULL, 0, NULL, 0},
    };
    plan_arguments arguments = {.options = {.jobs = 1}};
    const char *out = NULL;
    int option;
    optind = 1;
    while ((option = next_option(&arguments, "plan", "o:s:t:P:h", long_options, argc, argv)) >= 0) {
        if (option == 'o')
            out = optarg;
        else if (option == 'h') {
            plan_usage(stdout);
            return 0;
        } else {
            plan_usage(stderr);
            return 2;
        }
    }
    int code = operands_checked(option, out, plan_usage, argc);
    if (code != CLI_GO_ON)
        return code;
    bench_error error = {0};
    bench_plan *plan = NULL;
    if (bench_plan_build(&plan, argv[optind], &arguments.options, &error) != BENCH_OK)
        return cli_report_error(&error);
    char holder[4200];
    snprintf(holder, sizeof holder, "bench plan %s", argv[optind]);
    bench_dir_lock lock;
    int status = bench_dir_lock_take(&lock, out, 1, holder, &error);
    if (status == BENCH_OK)
        status = bench_sweep_write_plan(plan, out, &error);
    bench_dir_lock_release(&lock);
    size_t cells = plan->cell_count;
    bench_plan_free(plan);
    if (status != BENCH_OK)
        return cli_report_error(&error);
    fprintf(stderr, "bench plan: %zu cells; %s/plan.csv\n", cells, out);
    return 0;
}

static void merge_usage(FILE *stream)
{
    fprintf(stream,
            "usage: bench merge DIR [--from SHARD_DIR]...\n"
            "Combines the finished cells of DIR/cells (and of each SHARD_DIR/cells, for shards that ran\n"
            "elsewhere) into DIR/results.csv and DIR/timings.csv in the order of plan.csv.  A cell found\n"
            "twice or rows that contradict the plan are refused (exit 2); missing cells are listed and\n"
            "nothing is written (exit 1).\n");
}

int cli_merge(int argc, char **argv)
{
    static const struct option long_options[] = {
        {"from", required_argument, NULL, 'f'}, {"quiet", no_argument, NULL, 'q'},
        {"help", no_argument, NULL, 'h'},       {NULL, 0, NULL, 0},
    };
    const char *sources[256];
    size_t source_count = 0;
    int quiet = 0;
    optind = 1;
    int option;
    while ((option = getopt_long(argc, argv, "f:qh", long_options, NULL)) != -1) {
        if (option == 'f') {
            if (source_count == sizeof sources / sizeof sources[0]) {
                fprintf(stderr, "bench merge: at most 256 --from directories\n");
                return 2;
            }
            sources[source_count++] = optarg;
        } else if (option == 'q')
            quiet = 1;
        else if (option == 'h') {
            merge_usage(stdout);
            return 0;
        } else {
            merge_usage(stderr);
            return 2;
        }
    }
    if (optind != argc - 1) {
        merge_usage(stderr);
        return 2;
    }
    const char *dir = argv[optind];
    bench_error error = {0};
    bench_merge_summary summary;
    int status = bench_sweep_merge(dir, sources, source_count, &summary, &error);
    size_t listed = summary.missing + summary.invalid;
    if (status != BENCH_OK && summary.invalid > 0) {
        cli_report_error(&error);
        fprintf(stderr, "bench merge: invalid or missing cells (results.csv removed):\n");
    } else if (status != BENCH_OK)
        return cli_report_error(&error);
    else if (summary.missing > 0)
        fprintf(stderr, "bench merge: %zu of %zu cells are not finished; results.csv not written. Missing:\n",
                summary.missing, summary.cells);
    if (listed > 0) {
        for (size_t i = 0; i < listed && i < BENCH_MERGE_MISSING_LISTED; i++)
            fprintf(stderr, "  %s\n", summary.missing_cells[i]);
        if (listed > BENCH_MERGE_MISSING_LISTED)
            fprintf(stderr, "  ... and %zu more\n", listed - BENCH_MERGE_MISSING_LISTED);
    }
    if (status != BENCH_OK)
        return 2;
    if (summary.missing > 0) {
        fprintf(stderr, "Finish them with `bench run CONFIG --out %s --resume` (add --shard I/N to rerun one shard),\n"
                        "then merge again.\n", dir);
        return 1;
    }
    if (!quiet)
        fprintf(stderr, "bench merge: %zu cells (%zu failed); %s/results.csv\n", summary.merged, summary.failed, dir);
    return 0;
}

static void slurm_usage(FILE *stream)
{
    fprintf(stream,
            "usage: bench slurm CONFIG.ini --out DIR [options]\n"
            "Writes DIR/plan.csv and two sbatch scripts in DIR/slurm/: a job array with one task per\n"
            "shard (bench run --shard I/N --resume) and a merge job that runs after every shard ended.\n"
            "  --shards N        array tasks (default: one per cell, at most 16)\n"
            "  --cpus C          cpus per array task (default: the largest cell thread count); the task\n"
            "                    runs C / that count cells at once, so thread budgets add up to C\n"
            "  --partition P     sbatch --partition (default: the cluster's default)\n"
            "  --time T          sbatch --time per array task, e.g. 2:00:00\n"
            "  --mem M           sbatch --mem per array task, e.g. 4G\n"
            "  --seeds LIST, --threads T, --plugin PATH, --timeout SECONDS, --memory-limit MB,\n"
            "  --allow-modified-data   as for bench run (passed to every shard)\n"
            "  --submit          submit both jobs with sbatch (the merge depends on the array)\n"
            "DIR must be on a file system every node sees.\n");
}

/* An absolute path for what the jobs will run with, whatever their directory. */
static int absolute_path(const char *path, char *out, const char *what)
{
    if (realpath(path, out) == NULL) {
        fprintf(stderr, "bench slurm: error: %s %s: %s\n", what, path, strerror(errno));
        return -1;
    }
    return 0;
}

int cli_slurm(int argc, char **argv)
{
    static const struct option long_options[] = {
        {"out", required_argument, NULL, 'o'},       PLAN_LONG_OPTIONS,
        {"partition", required_argument, NULL, 'p'}, {"time", required_argument, NULL, 'T'},
        {"cpus", required_argument, NULL, 'c'},      {"mem", required_argument, NULL, 'm'},
        {"shards", required_argument, NULL, 'n'},    {"submit", no_argument, NULL, 'S'},
        {"help", no_argument, NULL, 'h'},            {NULL, 0, NULL, 0},
    };
    plan_arguments arguments = {.options = {.jobs = 1}};
    bench_slurm_options slurm = {0};
    const char *out = NULL;
    int submit = 0;
    unsigned long long number;
    int option;
    optind = 1;
    while ((option = next_option(&arguments, "slurm", "o:s:t:P:p:T:c:m:n:Sh", long_options, argc, argv)) >= 0) {
        switch (option) {
        case 'o':
            out = optarg;
            break;
        case 'p':
            slurm.partition = optarg;
            break;
        case 'T':
            slurm.time_limit = optarg;
            break;
        case 'm':
            slurm.memory = optarg;
            break;
        case 'c':
            if (cli_count_option("bench slurm", "--cpus", optarg, 1, 4096, &number) != 0)
                return 2;
            slurm.cpus = (unsigned)number;
            break;
        case 'n':
            if (cli_count_option("bench slurm", "--shards", optarg, 1, 100000, &number) != 0)
                return 2;
            slurm.shards = (unsigned)number;
            break;
        case 'S':
            submit = 1;
            break;
        case 'h':
            slurm_usage(stdout);
            return 0;
        default:
            slurm_usage(stderr);
            return 2;
        }
    }
    int code = operands_checked(option, out, slurm_usage, argc);
    if (code != CLI_GO_ON)
        return code;
    static char binary[PATH_MAX], config[PATH_MAX], directory[PATH_MAX];
    bench_error error = {0};
    if (bench_make_directories(out, &error) != BENCH_OK)
        return cli_report_error(&error);
    if (absolute_path("/proc/self/exe", binary, "the bench program") || absolute_path(argv[optind], config, "config") ||
        absolute_path(out, directory, "--out"))
        return 2;
    slurm.bench_binary = binary;
    slurm.config_path = config;
    slurm.out_dir = directory;
    slurm.run_arguments = arguments.passed;
    slurm.run_argument_count = arguments.passed_count;

    bench_plan *plan = NULL;
    if (bench_plan_build(&plan, config, &arguments.options, &error) != BENCH_OK)
        return cli_report_error(&error);
    bench_slurm_layout layout;
    char holder[PATH_MAX + 32];
    snprintf(holder, sizeof holder, "bench slurm %s", config);
    bench_dir_lock lock;
    int status = bench_dir_lock_take(&lock, directory, 1, holder, &error);
    if (status == BENCH_OK)
        status = bench_sweep_write_slurm(plan, &slurm, &layout, &error);
    bench_dir_lock_release(&lock);
    size_t cells = plan->cell_count;
    bench_plan_free(plan);
    if (status != BENCH_OK)
        return cli_report_error(&error);
    fprintf(stderr,
            "bench slurm: %zu cells in %u array tasks of %u cpus (%u cells at once, %u thread(s) each)\n"
            "  %s\n  %s\n",
            cells, layout.shards, layout.cpus_per_task, layout.jobs_per_task, layout.cell_threads,
            layout.array_script, layout.merge_script);
    if (!submit) {
        fprintf(stderr, "Submit with: job=$(sbatch --parsable %s) && sbatch --dependency=afterany:$job %s\n",
                layout.array_script, layout.merge_script);
        return 0;
    }
    char array_job[32], merge_job[32];
    if (bench_sweep_submit_slurm(&layout, array_job, merge_job, &error) != BENCH_OK)
        return cli_report_error(&error);
    /* The job ids on stdout, for scripts: "ARRAY MERGE". */
    printf("%s %s\n", array_job, merge_job);
    fprintf(stderr, "bench slurm: submitted array job %s and merge job %s; results in %s/results.csv\n", array_job,
            merge_job, directory);
    return 0;
}
