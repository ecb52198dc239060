/* bench table DIR: comparison tables from DIR/results.csv. */
#include <getopt.h>
#include <stdio.h>
#include <stdlib.h>
#include <string.h>

#include "cli/cli.h"
#include "core/files.h"
#include "reports/dm.h"
#include "reports/results.h"
#include "reports/table.h"

static void table_usage(FILE *stream)
{
    fprintf(stream,
            "usage: bench table DIR [--format md|tex|csv|html] [--metric M[,M...]]... [--models V[,V...]]...\n"
            "                       [--datasets D[,D...]]... [--task forecast|hcsc|detect] [--versus VARIANT]\n"
            "                       [--digits N] [--ci] [--columns variants|datasets] [--rank-rows] [--out FILE]\n"
            "                       [--caption TEXT]\n"
            "       bench table DIR --dm VARIANT [--format ...] [--out FILE]\n"
            "\n"
            "Tables of mean \xC2\xB1 std over seeds from DIR/results.csv: one per task and metric, rows\n"
            "dataset \xC3\x97 horizon (forecast) or dataset \xC3\x97 protocol (hcsc, detect), one column per variant.\n"
            "Best bold, second underlined; an average-rank row with Friedman, Iman-Davenport and\n"
            "Nemenyi statistics over datasets (each the mean over its complete rows; n/a below 3),\n"
            "or over rows with --rank-rows (TSLib's leaderboard; horizons of one series are not\n"
            "independent samples); --versus adds wins/ties/losses against one variant.  Failed cells\n"
            "are marked, not dropped.  --ci shows mean \xC2\xB1 95 %% CI half-width (Student t) instead of std.\n"
            "--columns datasets turns md, tex and html tables around: one row per variant, a column\n"
            "per dataset \xC3\x97 horizon (or protocol) under its dataset, the statistics as the last columns.\n"
            "--caption TEXT follows every table's own caption (md, tex and html; escaped for each).\n"
            "Output goes to stdout, or atomically to --out FILE.\n"
            "--dm VARIANT instead tests every variant against VARIANT with the Diebold-Mariano test\n"
            "(Harvey correction) on the per-window losses in DIR/predictions/.\n");
}

/* Split "a,b" into the growing list (strings point into arg, which argv owns). */
static int append_list(const char ***list, size_t *count, char *arg)
{
    for (char *item = strtok(arg, ","); item != NULL; item = strtok(NULL, ",")) {
        const char **bigger = realloc(*list, (*count + 1) * sizeof *bigger);
        if (bigger == NULL)
            return -1;
        *list = bigger;
        (*list)[(*count)++] = item;
    }
    return 0;
}

int cli_table(int argc, char **argv)
{
    static const struct option long_options[] = {
        {"format", required_argument, NULL, 'f'}, {"metric", required_argument, NULL, 'm'},
        {"models", required_argument, NULL, 'M'}, {"datasets", required_argument, NULL, 'd'},
        {"task", required_argument, NULL, 't'},   {"versus", required_argument, NULL, 'v'},
        {"digits", required_argument, NULL, 'D'}, {"out", required_argument, NULL, 'o'},
        {"dm", required_argument, NULL, 'r'},     {"ci", no_argument, NULL, 'c'},
        {"columns", required_argument, NULL, 'C'}, {"rank-rows", no_argument, NULL, 'R'},
        {"caption", required_argument, NULL, 'n'},
        {"help", no_argument, NULL, 'h'},
        {NULL, 0, NULL, 0},
    };
    bench_table_format format = BENCH_TABLE_MD;
    bench_table_options options = {.digits = -1};
    const char **metrics = NULL, **models = NULL, **datasets = NULL;
    const char *out_path = NULL, *dm_reference = NULL;
    int exit_code = 0;
    optind = 1;
    int option;
    while ((option = getopt_long(argc, argv, "f:m:M:d:t:v:D:o:r:C:n:chR", long_options, NULL)) != -1) {
        switch (option) {
        case 'n':
            options.note = optarg;
            break;
        case 'f':
            if (bench_table_format_parse(optarg, &format) != 0) {
                fprintf(stderr, "bench table: --format must be md, tex, csv or html, not '%s'\n", optarg);
                exit_code = 2;
            }
            break;
        case 'm':
        case 'M':
        case 'd': {
            /* --metric, --models and --datasets each grow their list; out of memory is exit 1. */
            const char ***list = option == 'm' ? &metrics : option == 'M' ? &models : &datasets;
            size_t *count = option == 'm' ? &options.metric_count
                            : option == 'M' ? &options.model_count
                                            : &options.dataset_count;
            if (append_list(list, count, optarg) != 0)
                exit_code = 1;
            break;
        }
        case 't': options.task = optarg; break;
        case 'v': options.versus = optarg; break;
        case 'D': {
            char *end;
            long digits = strtol(optarg, &end, 10);
            if (*end != '\0' || digits < 0 || digits > 12) {
                fprintf(stderr, "bench table: --digits must be an integer 0..12, not '%s'\n", optarg);
                exit_code = 2;
            }
            options.digits = (int)digits;
            break;
        }
        case 'o': out_path = optarg; break;
        case 'r': dm_reference = optarg; break;
        case 'c': options.ci = 1; break;
        case 'R': options.rank_by_row = 1; break;
        case 'C':
            if (bench_table_columns_parse(optarg, &options.columns) != 0) {
                fprintf(stderr, "bench table: --columns must be variants or datasets, not '%s'\n", optarg);
                exit_code = 2;
            }
            break;
        case 'h':
            table_usage(stdout);
            free(metrics), free(models), free(datasets);
            return 0;
        default: exit_code = 2;
        }
    }
    if (exit_code == 0 && optind != argc - 1) {
        fprintf(stderr, "bench table: expected one run directory\n");
        exit_code = 2;
    }
    if (exit_code != 0) {
        if (exit_code == 2)
            table_usage(stderr);
        free(metrics), free(models), free(datasets);
        return exit_code;
    }
    options.metrics = metrics;
    options.models = models;
    options.datasets = datasets;

    bench_error error = {0};
    bench_results results;
    bench_table_set tables = {0};
    char *text = NULL;
    size_t length = 0;
    size_t path_size = strlen(argv[optind]) + 32;
    char *path = malloc(path_size);
    int status = path ? BENCH_OK : BENCH_FAIL(&error, BENCH_NO_MEMORY, "path");
    if (status == BENCH_OK) {
        snprintf(path, path_size, "%s/results.csv", argv[optind]);
        status = bench_results_load(&results, path, &error);
    }
    bench_dm_report dm = {0};
    if (status == BENCH_OK && dm_reference != NULL)
        status = bench_dm_compare(&dm, argv[optind], &results, dm_reference, 1, &error);
    else if (status == BENCH_OK)
        status = bench_tables_build(&tables, &results, &options, &error);
    if (status == BENCH_OK) {
        FILE *memory = open_memstream(&text, &length);
        if (memory == NULL) {
            status = BENCH_FAIL(&error, BENCH_NO_MEMORY, "formatting the tables");
        } else {
            status = dm_reference != NULL ? bench_dm_write(memory, &dm, format, &error)
                                          : bench_tables_write(memory, &tables, format, &error);
            fclose(memory);
        }
    }
    bench_dm_report_free(&dm);
    if (status == BENCH_OK) {
        if (out_path != NULL)
            status = bench_write_file_atomic(out_path, text, length, &error);
        else if (fwrite(text, 1, length, stdout) != length || fflush(stdout) != 0)
            status = BENCH_FAIL(&error, BENCH_IO, "writing to stdout failed");
    }
    bench_tables_free(&tables);
    if (path != NULL)
        bench_results_free(&results);
    free(text);
    free(path);
    free(metrics), free(models), free(datasets);
    return status == BENCH_OK ? 0 : cli_report_error(&error);
}
