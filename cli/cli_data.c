/* `bench data list|fetch|verify|path`: the dataset registry from the command line. */
#include <limits.h>
#include <stdio.h>
#include <string.h>
#include <unistd.h>

#include "cli/cli.h"
#include "core/suggest.h"
#include "datasets/dataset.h"
#include "datasets/format.h"

static void usage(FILE *stream)
{
    fprintf(stream,
            "usage: bench data list [--formats]\n"
            "       bench data fetch NAME... | --deb   (--deb: every Debian-packaged dataset)\n"
            "       bench data verify [NAME...]\n"
            "       bench data path NAME\n"
            "\n"
            "Files are looked up in each directory of BENCH_DATA_PATH (colon list), then in the\n"
            "cache BENCH_DATA_DIR (default $XDG_CACHE_HOME/bench or ~/.cache/bench); fetch\n"
            "downloads into the cache and checks the registry's sha256; BENCH_DATA_MIRROR=URL\n"
            "fetches every non-Debian file as URL/LOCAL-NAME instead (checksums still apply).\n");
}

static int is_deb(const bench_dataset_info *info)
{
    return info->source != NULL && strncmp(info->source, "deb:", 4) == 0;
}

/* "deb:python3-vega-datasets" or "http" for the list's source column. */
static void source_label(const bench_dataset_info *info, char *buffer, size_t size)
{
    if (is_deb(info)) {
        const char *package = info->source + 4;
        snprintf(buffer, size, "deb:%.*s", (int)strcspn(package, ":"), package);
    } else {
        /* "github:OWNER/REPO" for raw.githubusercontent.com, else the host. */
        const char *url = info->urls[0] ? info->urls[0] : "";
        const char *host = strstr(url, "://");
        host = host ? host + 3 : url;
        const char *raw = "raw.githubusercontent.com/";
        const char *unpinned = info->sha256[0] == NULL ? " (unpinned)" : "";
        if (strncmp(host, raw, strlen(raw)) == 0) {
            const char *repo = host + strlen(raw);
            const char *slash = strchr(repo, '/');
            size_t length = slash ? (size_t)(slash - repo) + 1 + strcspn(slash + 1, "/") : strlen(repo);
            snprintf(buffer, size, "github:%.*s%s", (int)length, repo, unpinned);
        } else
            snprintf(buffer, size, "%.*s%s", (int)strcspn(host, "/"), host[0] ? host : "none", unpinned);
    }
}

/* 1 when every file is found; where names the first file's location. */
static int present(const bench_dataset_info *info, const char **where)
{
    char path[PATH_MAX], cache[PATH_MAX];
    *where = "-";
    for (int i = 0; i < bench_dataset_file_count(info); i++)
        if (bench_dataset_locate(info, i, path, sizeof path, NULL) != BENCH_OK)
            return 0;
    bench_dataset_locate(info, 0, path, sizeof path, NULL);
    *where = bench_dataset_cache_dir(cache, sizeof cache, NULL) == BENCH_OK && strncmp(path, cache, strlen(cache)) == 0
                 ? "cache"
                 : "path";
    return 1;
}

static int data_list(void)
{
    const bench_dataset_info *entries;
    size_t count = bench_dataset_registry(&entries);
    printf("%-18s %-8s %8s %7s %-8s %s\n", "name", "freq", "length", "series", "present", "source");
    for (size_t i = 0; i < count; i++) {
        const bench_dataset_info *info = &entries[i];
        char length[32], source[128];
        if (info->length > 0)
            snprintf(length, sizeof length, "%zu", info->length);
        else
            snprintf(length, sizeof length, "ragged");
        source_label(info, source, sizeof source);
        const char *where;
        int here = present(info, &where);
        printf("%-18s %-8s %8s %7zu %-8s %s\n", info->name, info->frequency ? info->frequency : "?", length,
               info->series_count, here ? where : "no", source);
    }
    return 0;
}

static int formats_list(void)
{
    const bench_format *const *formats;
    size_t count = bench_format_registry(&formats);
    for (size_t i = 0; i < count; i++)
        printf("%-10s %d file%s  %s\n", formats[i]->name, formats[i]->file_count,
               formats[i]->file_count > 1 ? "s" : " ", formats[i]->description);
    return 0;
}

/* named: fetch treats named and listed datasets alike (each_dataset's callback shape). */
static int fetch_one(const bench_dataset_info *info, int named)
{
    (void)named;
    bench_error error = {0};
    bench_fetch_report report;
    if (bench_dataset_fetch_ex(info, isatty(STDERR_FILENO), &report, &error) != BENCH_OK)
        return cli_report_error(&error);
    for (int i = 0; i < report.file_count; i++) {
        printf("%s: %s %s (sha256 %s)\n", info->name, report.path[i], report.downloaded[i] ? "fetched" : "present",
               report.sha256[i]);
        if (!report.pinned[i])
            fprintf(stderr, "bench: warning: %s: %s has no pinned checksum; obtained sha256 %s (run.json records it)\n",
                    info->name, info->files[i], report.sha256[i]);
    }
    return 0;
}

/* EACH on every dataset argv names (named = 1; an unknown name is reported),
 * or with no names on every registered one that ONLY accepts (NULL: all;
 * named = 0); returns the worst exit code. */
static int each_dataset(int argc, char **argv, int (*only)(const bench_dataset_info *info),
                        int (*each)(const bench_dataset_info *info, int named))
{
    int worst = 0;
    if (argc == 0) {
        const bench_dataset_info *entries;
        size_t count = bench_dataset_registry(&entries);
        for (size_t i = 0; i < count; i++)
            if (only == NULL || only(&entries[i])) {
                int code = each(&entries[i], 0);
                worst = code > worst ? code : worst;
            }
        return worst;
    }
    for (int a = 0; a < argc; a++) {
        const bench_dataset_info *info = bench_dataset_find(argv[a]);
        int code;
        if (info == NULL) {
            bench_error error = {0};
            bench_dataset_fail_unknown(argv[a], &error);
            code = cli_report_error(&error);
        } else
            code = each(info, 1);
        worst = code > worst ? code : worst;
    }
    return worst;
}

static int data_fetch(int argc, char **argv)
{
    if (argc < 1) {
        usage(stderr);
        return 2;
    }
    if (argc == 1 && strcmp(argv[0], "--deb") == 0)
        return each_dataset(0, NULL, is_deb, fetch_one);
    return each_dataset(argc, argv, NULL, fetch_one);
}

/* Checksums, then a full parse; absent datasets are only an error when named. */
static int verify_one(const bench_dataset_info *info, int named)
{
    bench_error error = {0};
    char paths[2][PATH_MAX];
    int file_count = bench_dataset_file_count(info);
    for (int i = 0; i < file_count; i++)
        if (bench_dataset_locate(info, i, paths[i], sizeof paths[i], &error) != BENCH_OK) {
            if (named)
                return cli_report_error(&error);
            printf("%-18s absent\n", info->name);
            return 0;
        }
    int failed = 0;
    for (int i = 0; i < file_count; i++) {
        char sha256[65];
        if (bench_sha256_file(paths[i], sha256, &error) != BENCH_OK)
            return cli_report_error(&error);
        if (info->sha256[i] == NULL)
            printf("%-18s %s: unpinned, sha256 %s\n", info->name, paths[i], sha256);
        else if (strcmp(info->sha256[i], sha256) == 0)
            printf("%-18s %s: sha256 ok\n", info->name, paths[i]);
        else {
            printf("%-18s %s: CHECKSUM MISMATCH: sha256 %s, expected %s\n", info->name, paths[i], sha256,
                   info->sha256[i]);
            failed = 1;
        }
    }
    bench_dataset *dataset;
    const char *path_list[2] = {paths[0], file_count > 1 ? paths[1] : NULL};
    if (bench_dataset_load_path(&dataset, info, path_list, &error) != BENCH_OK) {
        printf("%-18s PARSE ERROR\n", info->name);
        cli_report_error(&error);
        return 2;
    }
    size_t shortest = (size_t)-1, longest = 0;
    for (size_t s = 0; s < dataset->series_count; s++) {
        shortest = dataset->series[s].length < shortest ? dataset->series[s].length : shortest;
        longest = dataset->series[s].length > longest ? dataset->series[s].length : longest;
    }
    printf("%-18s parsed: %zu series, length %zu", info->name, dataset->series_count, shortest);
    if (longest != shortest)
        printf("..%zu", longest);
    if (dataset->missing_filled > 0)
        printf(", %zu missing cells filled (%zu missing timestamps)", dataset->missing_filled,
               dataset->missing_timestamps);
    printf("\n");
    bench_dataset_free(dataset);
    return failed ? 2 : 0;
}

static int data_verify(int argc, char **argv)
{
    return each_dataset(argc, argv, NULL, verify_one);
}

static int data_path(int argc, char **argv)
{
    if (argc != 1) {
        usage(stderr);
        return 2;
    }
    bench_error error = {0};
    const bench_dataset_info *info = bench_dataset_find(argv[0]);
    if (info == NULL) {
        bench_dataset_fail_unknown(argv[0], &error);
        return cli_report_error(&error);
    }
    char paths[2][PATH_MAX];
    int file_count = bench_dataset_file_count(info);
    for (int i = 0; i < file_count; i++)
        if (bench_dataset_locate(info, i, paths[i], sizeof paths[i], &error) != BENCH_OK)
            return cli_report_error(&error);
    for (int i = 0; i < file_count; i++)
        printf("%s\n", paths[i]);
    return 0;
}

int cli_data(int argc, char **argv)
{
    if (argc < 2) {
        usage(stderr);
        return 2;
    }
    const char *action = argv[1];
    if (!strcmp(action, "--help") || !strcmp(action, "-h") || !strcmp(action, "help")) {
        usage(stdout);
        return 0;
    }
    if (!strcmp(action, "list") && argc == 2)
        return data_list();
    if (!strcmp(action, "list") && argc == 3 && !strcmp(argv[2], "--formats"))
        return formats_list();
    if (!strcmp(action, "fetch"))
        return data_fetch(argc - 2, argv + 2);
    if (!strcmp(action, "verify"))
        return data_verify(argc - 2, argv + 2);
    if (!strcmp(action, "path"))
        return data_path(argc - 2, argv + 2);
    char hint[64];
    fprintf(stderr, "bench data: unknown action '%s'%s (list, fetch, verify, path)\n", action,
            bench_suggest_phrase(hint, sizeof hint, action, "list, fetch, verify, path"));
    usage(stderr);
    return 2;
}
