/* `bench run CONFIG [--out DIR] [--seeds 1,2,3] [--jobs N] [--threads T] [--quiet]
 *  [--resume] [--predictions] [--shard I/N] [--timeout SECONDS] [--memory-limit MB]
 *  [--allow-modified-data]` */
#include <errno.h>
#include <getopt.h>
#include <stdio.h>
#include <stdlib.h>
#include <string.h>
#include <unistd.h>

#include "core/config.h"
#include "cli/cli.h"
#include "cli/options.h"
#include "bench/harness.h"

static void run_usage(FILE *stream)
{
    fprintf(stream,
            "usage: bench run CONFIG.ini [options]\n"
            "  --out DIR        output directory (default runs/<config name>)\n"
            "  --seeds LIST     comma list of seeds, overriding the config's [run] seeds\n"
            "  --jobs N         cells run at once in worker processes (default 1)\n"
            "  --threads T      threads per cell, overriding the config (default: config, else 1)\n"
            "  --resume         keep cells already finished in DIR\n"
            "  --shard I/N      run only cells whose plan index %% N == I\n"
            "  --predictions    also write DIR/predictions/<cell_id>.csv\n"
            "  --plugin PATH    load a forecaster plugin (.so); repeatable; BENCH_PLUGIN_PATH is scanned too\n"
            "  --timeout SECONDS\n"
            "                   wall-clock limit per cell, overriding [run] timeout; a cell over it is an\n"
            "                   error row \"timeout after N s\" (default: config, else none)\n"
            "  --memory-limit MB\n"
            "                   address-space limit per worker process, overriding [run] memory_limit\n"
            "                   (default: config, else none)\n"
            "  --allow-modified-data\n"
            "                   use a registered dataset whose file differs from its pinned sha256\n"
            "                   (refused otherwise); run.json records it\n"
            "  --quiet          no progress output\n"
            "Outputs: DIR/results.csv (the results contract), timings.csv, run.json, plan.csv.\n");
}

/* Progress on stderr: a bar with an ETA on a terminal, one line per cell with
 * the elapsed time otherwise (a log of `make bench` shows how far it got).  A
 * failed cell's reason shows in one line either way; run.json keeps it whole. */
typedef struct {
    int tty;
    double start;
} run_progress;

static void show_progress(void *context, const bench_plan *plan, const bench_cell *cell, const char *status,
                          const char *message, size_t done, size_t total)
{
    run_progress *progress = context;
    double elapsed = cli_now() - progress->start;
    char reason[200] = "";
    if (message != NULL)
        cli_one_line(reason, sizeof reason, message);
    if (progress->tty) {
        if (cell != NULL && message != NULL) {
            char line[400];
            snprintf(line, sizeof line, "bench: cell %s %s/%s h=%zu seed=%llu: error: %s", cell->id,
                     plan->datasets[cell->dataset].label, plan->models[cell->model].variant, cell->horizon,
                     (unsigned long long)cell->seed, reason);
            fprintf(stderr, "\r%-110s\n", line); /* padded: overwrites the bar */
        }
        double eta = done ? elapsed / (double)done * (double)(total - done) : 0;
        int width = 30, filled = total ? (int)(width * done / total) : width;
        fprintf(stderr, "\r[%.*s%*s] %zu/%zu cells, ETA %02d:%02d  %-40.40s", filled,
                "##############################", width - filled, "", done, total, (int)(eta / 60), (int)eta % 60,
                cell ? plan->models[cell->model].variant : "");
        if (done == total)
            fputc('\n', stderr);
    } else if (cell != NULL) {
        fprintf(stderr, "bench: cell %zu/%zu %s %s/%s h=%zu seed=%llu: %s%s%s [%.1f s]\n", done, total, cell->id,
                plan->datasets[cell->dataset].label, plan->models[cell->model].variant, cell->horizon,
                (unsigned long long)cell->seed, status, message ? ": " : "", reason, elapsed);
    }
}

/* --seeds LIST: each item a non-negative integer, none empty, none twice (a
 * repeated seed plans the same cells twice; an empty list would silently fall
 * back on the config's seeds).  Prints why and returns -1 on bad input. */
static int parse_seeds(const char *text, uint64_t *seeds, size_t *count)
{
    *count = 0;
    const char *problem = NULL;
    char item[32];
    for (const char *cursor = text;; cursor++) {
        size_t length = strcspn(cursor, ",");
        unsigned long long seed = 0;
        char *end = NULL;
        snprintf(item, sizeof item, "%.*s", (int)(length < sizeof item ? length : sizeof item - 1), cursor);
        errno = 0;
        if (length == 0)
            problem = text[0] ? "an empty item" : "an empty list";
        else if (length >= sizeof item || strspn(item, "0123456789") != length ||
                 (seed = strtoull(item, &end, 10), errno != 0))
            problem = "not a non-negative integer";
        else if (*count == BENCH_MAX_SEEDS)
            problem = "too many seeds";
        for (size_t i = 0; problem == NULL && i < *count; i++)
            if (seeds[i] == seed)
                problem = "a seed given twice";
        if (problem != NULL) {
            fprintf(stderr, "bench run: --seeds '%s': %s%s%.*s%s; expected a comma list of at most %d distinct "
                            "non-negative integers\n",
                    text, problem, length ? " ('" : "", (int)length, cursor, length ? "')" : "", BENCH_MAX_SEEDS);
            return -1;
        }
        seeds[(*count)++] = seed;
        cursor += length;
        if (*cursor == '\0')
            return 0;
    }
}

int cli_run(int argc, char **argv)
{
    static const struct option long_options[] = {
        {"out", required_argument, NULL, 'o'},      {"seeds", required_argument, NULL, 's'},
        {"jobs", required_argument, NULL, 'j'},     {"threads", required_argument, NULL, 't'},
        {"quiet", no_argument, NULL, 'q'},          {"resume", no_argument, NULL, 'r'},
        {"predictions", no_argument, NULL, 'p'},    {"shard", required_argument, NULL, 'S'},
        {"plugin", required_argument, NULL, 'P'},  {"help", no_argument, NULL, 'h'},
        {"timeout", required_argument, NULL, 'T'}, {"memory-limit", required_argument, NULL, 'M'},
        {"allow-modified-data", no_argument, NULL, 'A'},
        {NULL, 0, NULL, 0},
    };
    bench_run_options options = {.jobs = 1};
    const char *plugins[64];
    uint64_t seeds[BENCH_MAX_SEEDS];
    char default_out[4096];
    unsigned long long value;
    optind = 1;
    int option;
    /* The new options are long-only: 'T', 'M', 'A' stand for them in the
     * table but are not in the short option string. */
    while ((option = getopt_long(argc, argv, "o:s:j:t:qrpS:P:h", long_options, NULL)) != -1) {
        switch (option) {
        case 'o':
            options.out_dir = optarg;
            break;
        case 's':
            if (parse_seeds(optarg, seeds, &options.seed_count) != 0)
                return 2;
            options.seeds = seeds;
            break;
        case 'T':
            if (bench_parse_timeout(optarg, &options.timeout_seconds) != 0) {
                fprintf(stderr, "bench run: --timeout %s: expected a positive number of seconds (at most %g)\n",
                        optarg, BENCH_MAX_TIMEOUT_SECONDS);
                return 2;
            }
            break;
        case 'M':
            if (bench_parse_memory_limit(optarg, &options.memory_limit_mb) != 0) {
                fprintf(stderr, "bench run: --memory-limit %s: expected a positive whole number of megabytes "
                                "(at most %llu)\n",
                        optarg, (unsigned long long)BENCH_MAX_MEMORY_LIMIT_MB);
                return 2;
            }
            break;
        case 'A':
            options.allow_modified_data = 1;
            break;
        case 'j':
            if (cli_count_option("bench run", "--jobs", optarg, 1, 256, &value) != 0)
                return 2;
            options.jobs = (unsigned)value;
            break;
        case 't':
            if (bench_parse_threads(optarg, &options.threads) != 0)
                return cli_bad_count("bench run", "--threads", optarg, 1, BENCH_MAX_THREADS);
            break;
        case 'q':
            options.quiet = 1;
            break;
        case 'r':
            options.resume = 1;
            break;
        case 'p':
            options.predictions = 1;
            break;
        case 'S': {
            unsigned long long index, count;
            char *slash = strchr(optarg, '/');
            if (slash == NULL) {
                fprintf(stderr, "bench run: --shard %s: expected I/N\n", optarg);
                return 2;
            }
            *slash = '\0';
            if (cli_parse_count(optarg, 0, 100000, &index) || cli_parse_count(slash + 1, 1, 100000, &count) ||
                index >= count) {
                fprintf(stderr, "bench run: --shard: expected I/N with 0 <= I < N\n");
                return 2;
            }
            options.shard_index = (unsigned)index;
            options.shard_count = (unsigned)count;
            break;
        }
        case 'P':
            if (options.plugin_count == sizeof plugins / sizeof plugins[0]) {
                fprintf(stderr, "bench run: at most 64 --plugin options\n");
                return 2;
            }
            plugins[options.plugin_count++] = optarg;
            options.plugins = plugins;
            break;
        case 'h':
            run_usage(stdout);
            return 0;
        default:
            run_usage(stderr);
            return 2;
        }
    }
    if (optind != argc - 1) {
        run_usage(stderr);
        return 2;
    }
    const char *config_path = argv[optind];
    if (options.out_dir == NULL) {
        const char *base = strrchr(config_path, '/');
        base = base ? base + 1 : config_path;
        snprintf(default_out, sizeof default_out, "runs/%.*s", (int)strcspn(base, "."), base);
        options.out_dir = default_out;
    }
    long cores = sysconf(_SC_NPROCESSORS_ONLN);
    if (!options.quiet && options.threads && cores > 0 && (long)(options.jobs * options.threads) > cores)
        fprintf(stderr, "bench run: warning: %u jobs × %u threads exceed the %ld cores\n", options.jobs,
                options.threads, cores);

    run_progress progress = {.tty = isatty(STDERR_FILENO), .start = cli_now()};
    if (!options.quiet) {
        options.progress = show_progress;
        options.progress_context = &progress;
    }
    bench_error error = {0};
    bench_plan *plan = NULL;
    if (bench_plan_build(&plan, config_path, &options, &error) != BENCH_OK)
        return cli_report_error(&error);
    bench_run_summary summary;
    int status = bench_plan_run(plan, &options, &summary, &error);
    bench_plan_free(plan);
    if (status == BENCH_INTERRUPTED) {
        cli_report_error(&error);
        return 128 + (summary.stop_signal ? summary.stop_signal : 2); /* 130 SIGINT, 143 SIGTERM */
    }
    if (status != BENCH_OK)
        return cli_report_error(&error);
    if (!options.quiet && summary.foreign_files > 0)
        fprintf(stderr, "bench run: note: %zu entr%s in %s/cells %s not written by bench; left alone\n",
                summary.foreign_files, summary.foreign_files == 1 ? "y" : "ies", options.out_dir,
                summary.foreign_files == 1 ? "was" : "were");
    if (!options.quiet)
        fprintf(stderr, "bench run: %zu cells run, %zu resumed, %zu failed; %s%s (%.1f s)\n", summary.cells_run,
                summary.cells_skipped, summary.cells_failed, options.out_dir,
                options.shard_count > 1 ? ": shard done, `bench merge` it once every shard finished" : "/results.csv",
                summary.seconds);
    return summary.cells_failed ? 1 : 0;
}
