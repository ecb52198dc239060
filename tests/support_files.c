#include "support_files.h"

#include <setjmp.h>
#include <stdarg.h>
#include <stddef.h>
#include <stdint.h>
#include <cmocka.h>
#include <ftw.h>
#include <limits.h>
#include <stdio.h>
#include <stdlib.h>
#include <string.h>

#include "support_process.h"

char test_scratch[64];

int test_scratch_setup(void **state)
{
    (void)state;
    const char *dir = test_temp_dir();
    if (dir == NULL)
        return -1;
    if ((size_t)snprintf(test_scratch, sizeof test_scratch, "%s", dir) >= sizeof test_scratch) {
        fprintf(stderr, "scratch directory %s: path longer than %zu bytes\n", dir, sizeof test_scratch - 1);
        test_remove_tree(dir);
        return -1;
    }
    return 0;
}

int test_scratch_teardown(void **state)
{
    (void)state;
    return test_remove_tree(test_scratch);
}

static int remove_entry(const char *path, const struct stat *status, int type, struct FTW *walk)
{
    (void)status, (void)type, (void)walk;
    return remove(path);
}

int test_remove_tree(const char *path)
{
    return nftw(path, remove_entry, 8, FTW_DEPTH | FTW_PHYS) == 0 ? 0 : -1;
}

void test_shell(const char *format, ...)
{
    char command[20000];
    va_list list;
    va_start(list, format);
    vsnprintf(command, sizeof command, format, list);
    va_end(list);
    if (system(command) != 0)
        fail_msg("command failed: %s", command);
}

void test_write_textf(const char *path, const char *format, ...)
{
    va_list list;
    va_start(list, format);
    char *text = NULL;
    int length = vasprintf(&text, format, list);
    va_end(list);
    assert_true(length >= 0);
    if (test_write_file(path, text) != 0)
        fail_msg("cannot write %s", path);
    free(text);
}

static void put_in(const char *dir, const char *name, const char *text, int (*put)(const char *, const char *))
{
    char path[8400];
    snprintf(path, sizeof path, "%s/%s", dir, name);
    if (put(path, text) != 0)
        fail_msg("cannot write %s", path);
}

void test_write_in(const char *dir, const char *name, const char *text)
{
    put_in(dir, name, text, test_write_file);
}

void test_append_in(const char *dir, const char *name, const char *text)
{
    put_in(dir, name, text, test_append_file);
}

FILE *test_temp_stream(char *template)
{
    int descriptor = mkstemp(template);
    if (descriptor < 0)
        fail_msg("mkstemp %s failed", template);
    FILE *stream = fdopen(descriptor, "w");
    assert_non_null(stream);
    return stream;
}

void test_expect_text(const char *what, const char *text, const char *const present[], const char *const absent[])
{
    for (size_t i = 0; present != NULL && present[i] != NULL; i++)
        if (strstr(text, present[i]) == NULL)
            fail_msg("%s lacks \"%s\"", what, present[i]);
    for (size_t i = 0; absent != NULL && absent[i] != NULL; i++)
        if (strstr(text, absent[i]) != NULL)
            fail_msg("%s has \"%s\"", what, absent[i]);
}

char *test_slurp(const char *path)
{
    char *text = test_read_file(path, NULL);
    if (text == NULL)
        fail_msg("missing %s", path);
    return text;
}

const char *test_temp_file(char *path, size_t size, const char *name, const char *text)
{
    const char *dir = test_temp_dir();
    assert_non_null(dir);
    snprintf(path, size, "%s/%s", dir, name);
    if (test_write_file(path, text) != 0)
        fail_msg("cannot write %s", path);
    return dir;
}

void test_need_data(const char *file, const char *unchecked)
{
    if (test_find_data(file) != NULL)
        return;
    printf("SKIPPED: %s not in BENCH_DATA_PATH (%s); %s not checked\n", file,
           getenv("BENCH_DATA_PATH") ? getenv("BENCH_DATA_PATH") : "unset", unchecked);
    skip();
}

const char *test_dataset_fixture(const char *name)
{
    static char path[PATH_MAX];
    snprintf(path, sizeof path, "%s/tests/data/datasets/%s", test_source_dir(), name);
    return path;
}

const char *test_copy_report_fixture(const char *name, const char *as)
{
    static char path[sizeof test_scratch + 256];
    snprintf(path, sizeof path, "%s/%s", test_scratch, as);
    test_shell("rm -rf '%s' && cp -r 'tests/data/reports/%s' '%s'", path, name, path);
    return path;
}
