/* Helpers shared by the sweep tests (tests/support_sweep.h). */
#include <setjmp.h>
#include <stdarg.h>
#include <stddef.h>
#include <stdint.h>
#include <cmocka.h>
#include <dirent.h>
#include <stdio.h>
#include <stdlib.h>
#include <string.h>
#include <unistd.h>

#include "support_process.h"
#include "support_sweep.h"

char sweep_hourly_csv[4096];

int sweep_setup(void **state)
{
    (void)state;
    snprintf(sweep_hourly_csv, sizeof sweep_hourly_csv, "%s/tests/data/harness/hourly.csv", test_source_dir());
    return access(test_bench_binary(), X_OK) == 0 ? 0 : -1;
}

/* Run bench with arguments (NULL-terminated); returns the exit code, stderr in *err (caller frees) when wanted. */
int sweep_bench(char **err, const char *first, ...)
{
    const char *argv[40] = {test_bench_binary(), first};
    size_t count = 2;
    va_list list;
    va_start(list, first);
    const char *argument;
    while ((argument = va_arg(list, const char *)) != NULL && count < 39)
        argv[count++] = argument;
    va_end(list);
    argv[count] = NULL;
    test_process_result result;
    assert_int_equal(test_process_run(&result, argv, test_source_dir(), NULL), 0);
    if (err != NULL)
        *err = strdup(result.err);
    else if (result.exit_code != 0 && result.exit_code != 1)
        fprintf(stderr, "bench %s: exit %d: %s", first, result.exit_code, result.err);
    int code = result.exit_code;
    test_process_free(&result);
    return code;
}

void sweep_write_config(const char *path, const char *seeds)
{
    char text[8192];
    snprintf(text, sizeof text,
             "[run]\nseeds = %s\n\n[dataset tiny]\npath = %s/tests/data/harness/hourly.csv\nstep_seconds = 3600\n"
             "seasonal_period = 24\nprotocol = ltsf\nlookback = 48\nhorizons = 12,24\n\n[model naive]\n"
             "[model seasonal_naive]\n[model mean]\nwindow = 24\n",
             seeds, test_source_dir());
    assert_int_equal(test_write_file(path, text), 0);
}

char *sweep_read_in(const char *dir, const char *name, size_t *length)
{
    char path[8800];
    snprintf(path, sizeof path, "%s/%s", dir, name);
    return test_read_file(path, length);
}

int sweep_exists_in(const char *dir, const char *name)
{
    char path[8800];
    snprintf(path, sizeof path, "%s/%s", dir, name);
    return access(path, F_OK) == 0;
}

void sweep_assert_same_file(const char *dir_a, const char *dir_b, const char *name)
{
    size_t length_a = 0, length_b = 0;
    char *a = sweep_read_in(dir_a, name, &length_a), *b = sweep_read_in(dir_b, name, &length_b);
    if (a == NULL || b == NULL || length_a != length_b || memcmp(a, b, length_a) != 0)
        fprintf(stderr, "%s/%s and %s/%s differ (%zu vs %zu bytes)\n", dir_a, name, dir_b, name, length_a, length_b);
    assert_non_null(a);
    assert_non_null(b);
    assert_int_equal(length_a, length_b);
    assert_memory_equal(a, b, length_a);
    free(a), free(b);
}

/* Files whose name has ".tmp." anywhere under dir (a half-written leftover). */
size_t sweep_temp_files(const char *dir)
{
    char command[4400];
    snprintf(command, sizeof command, "find '%s' -name '*.tmp.*' | wc -l", dir);
    FILE *pipe = popen(command, "r");
    size_t count = 0;
    if (pipe == NULL || fscanf(pipe, "%zu", &count) != 1)
        count = 999;
    if (pipe)
        pclose(pipe);
    return count;
}

/* A work directory with a config and its plain (unsharded) run. */
void sweep_prepare(sweep_dirs *s, const char *seeds)
{
    snprintf(s->work, sizeof s->work, "%s", test_temp_dir());
    snprintf(s->config, sizeof s->config, "%s/tiny.ini", s->work);
    snprintf(s->plain, sizeof s->plain, "%s/plain", s->work);
    sweep_write_config(s->config, seeds);
    assert_int_equal(sweep_bench(NULL, "run", s->config, "--out", s->plain, "--quiet", NULL), 0);
}

size_t sweep_finished_cells(const char *dir)
{
    char path[8800];
    snprintf(path, sizeof path, "%s/cells", dir);
    DIR *listing = opendir(path);
    size_t count = 0;
    struct dirent *entry;
    while (listing != NULL && (entry = readdir(listing)) != NULL)
        count += strstr(entry->d_name, ".json") != NULL && strstr(entry->d_name, ".tmp.") == NULL;
    if (listing)
        closedir(listing);
    return count;
}
