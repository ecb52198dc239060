/* Durability details (issue 17, section 5): atomic writes leave only the final
 * file (and sync their directory), checkpoints use a unique temporary instead of
 * a fixed PATH.tmp, and the temporaries an interrupted download left in the
 * cache are removed by the next fetch of the same file — only bench's own,
 * unlocked, stale ones, never a file bench did not create nor one a live fetch
 * is writing. */
#include <setjmp.h>
#include <stdarg.h>
#include <stddef.h>
#include <stdint.h>
#include <cmocka.h>
#include <dirent.h>
#include <fcntl.h>
#include <limits.h>
#include <stdio.h>
#include <stdlib.h>
#include <string.h>
#include <sys/file.h>
#include <sys/stat.h>
#include <time.h>
#include <unistd.h>

#include "core/files.h"
#include "datasets/dataset.h"
#include "nn/params.h"
#include "support_process.h"
#include "support_files.h"
#include "support_cmocka.h"

/* A fresh directory test_scratch/NAME. */
static void make_dir(char *out, size_t size, const char *name)
{
    snprintf(out, size, "%s/%s", test_scratch, name);
    assert_int_equal(mkdir(out, 0755), 0);
}

/* Entries of dir other than . and .., as " a b c " in directory order. */
static size_t list_dir(const char *dir, char *names, size_t size)
{
    DIR *handle = opendir(dir);
    assert_non_null(handle);
    size_t count = 0;
    snprintf(names, size, " ");
    for (struct dirent *entry = readdir(handle); entry != NULL; entry = readdir(handle)) {
        if (!strcmp(entry->d_name, ".") || !strcmp(entry->d_name, ".."))
            continue;
        count++;
        snprintf(names + strlen(names), size - strlen(names), "%s ", entry->d_name);
    }
    closedir(handle);
    return count;
}

static int exists_in(const char *dir, const char *name)
{
    char path[PATH_MAX];
    snprintf(path, sizeof path, "%s/%s", dir, name);
    return access(path, F_OK) == 0;
}

static void write_in(const char *dir, const char *name, const char *text)
{
    char path[PATH_MAX];
    snprintf(path, sizeof path, "%s/%s", dir, name);
    assert_int_equal(test_write_file(path, text), 0);
}

/* Back-date a file so it looks like the leftover of an old fetch. */
static void make_old(const char *dir, const char *name)
{
    char path[PATH_MAX];
    snprintf(path, sizeof path, "%s/%s", dir, name);
    struct timespec times[2] = {{.tv_sec = time(NULL) - 3600}, {.tv_sec = time(NULL) - 3600}};
    assert_int_equal(utimensat(AT_FDCWD, path, times, AT_SYMLINK_NOFOLLOW), 0);
}

static void atomic_writes_leave_only_the_file(void **state)
{
    (void)state;
    char dir[2048], path[PATH_MAX], names[1024];
    make_dir(dir, sizeof dir, "atomic");
    snprintf(path, sizeof path, "%s/results.csv", dir);
    bench_error error = {0};
    assert_int_equal(bench_write_file_atomic(path, "a,b\n1,2\n", 8, &error), BENCH_OK);
    assert_int_equal(bench_write_file_atomic(path, "a,b\n3,4\n", 8, &error), BENCH_OK);
    assert_int_equal(list_dir(dir, names, sizeof names), 1);
    assert_string_equal(names, " results.csv ");
    char *text = test_read_file(path, NULL);
    assert_string_equal(text, "a,b\n3,4\n");
    free(text);
    /* An aborted write leaves nothing, not even its temporary. */
    bench_atomic_file file;
    snprintf(path, sizeof path, "%s/aborted.csv", dir);
    assert_int_equal(bench_atomic_open(&file, path, &error), BENCH_OK);
    fputs("half", file.stream);
    bench_atomic_abort(&file);
    assert_int_equal(list_dir(dir, names, sizeof names), 1);
    /* The directory sync: a bare name is the current directory; a missing
     * directory is an I/O error, not a silent success. */
    assert_int_equal(bench_sync_parent_directory("bare-name", &error), BENCH_OK);
    assert_int_equal(bench_sync_parent_directory("/", &error), BENCH_OK);
    assert_int_equal(bench_sync_parent_directory(path, &error), BENCH_OK);
    snprintf(path, sizeof path, "%s/no-such-dir/file", dir);
    assert_int_equal(bench_sync_parent_directory(path, &error), BENCH_IO);
    assert_non_null(strstr(error.message, "no-such-dir"));
}

static void small_model(nn_params *params, float value)
{
    nn_params_init(params);
    size_t dims[2] = {3, 4}, index;
    bench_error error = {0};
    assert_int_equal(nn_params_add(params, "w", 2, dims, 1, &index, &error), BENCH_OK);
    assert_int_equal(nn_params_allocate(params, &error), BENCH_OK);
    for (size_t i = 0; i < params->total; i++)
        params->values[i] = value + (float)i;
}

/* The old code wrote PATH.tmp: a fixed name two writers shared and that
 * clobbered any file of that name; now the temporary is unique, and nothing
 * but the checkpoint remains. */
static void checkpoints_use_a_unique_temporary(void **state)
{
    (void)state;
    char dir[2048], path[PATH_MAX], names[1024];
    make_dir(dir, sizeof dir, "checkpoints");
    write_in(dir, "model.ckpt.tmp", "not bench's");
    snprintf(path, sizeof path, "%s/model.ckpt", dir);
    nn_params saved, loaded;
    small_model(&saved, 1.0f);
    small_model(&loaded, 0.0f);
    bench_error error = {0};
    assert_int_equal(nn_params_save(&saved, "mlp", path, &error), BENCH_OK);
    saved.values[0] = 42.0f;
    assert_int_equal(nn_params_save(&saved, "mlp", path, &error), BENCH_OK);
    assert_int_equal(list_dir(dir, names, sizeof names), 2);
    assert_non_null(strstr(names, " model.ckpt "));
    char other[PATH_MAX];
    snprintf(other, sizeof other, "%s/model.ckpt.tmp", dir);
    char *foreign = test_read_file(other, NULL);
    assert_string_equal(foreign, "not bench's");
    free(foreign);
    assert_int_equal(nn_params_load(&loaded, "mlp", path, &error), BENCH_OK);
    assert_true(loaded.values[0] == 42.0f);
    assert_true(loaded.values[11] == 12.0f);
    /* mkstemp's 0600 is widened like any other output. */
    struct stat about;
    assert_int_equal(stat(path, &about), 0);
    assert_int_equal(about.st_mode & 0777, 0644);
    /* A directory that does not exist: an I/O error and nothing written. */
    snprintf(path, sizeof path, "%s/missing/model.ckpt", dir);
    assert_int_equal(nn_params_save(&saved, "mlp", path, &error), BENCH_IO);
    assert_int_equal(list_dir(dir, names, sizeof names), 2);
    nn_params_free(&saved);
    nn_params_free(&loaded);
}

/* A fetch of x.csv from a file:// URL into cache, unpinned. */
static int fetch_x(const char *source, const char *cache, bench_error *error)
{
    char url[PATH_MAX + 16];
    snprintf(url, sizeof url, "file://%s", source);
    setenv("BENCH_DATA_DIR", cache, 1);
    char *saved = getenv("BENCH_DATA_PATH") ? strdup(getenv("BENCH_DATA_PATH")) : NULL;
    unsetenv("BENCH_DATA_PATH");
    bench_dataset_info info = {.name = "x", .format = "csv_dated", .files = {"x.csv"}, .urls = {url},
                               .source = "http", .date_column = "date"};
    int status = bench_dataset_fetch_ex(&info, 0, NULL, error);
    if (saved != NULL)
        setenv("BENCH_DATA_PATH", saved, 1);
    free(saved);
    unsetenv("BENCH_DATA_DIR");
    return status;
}

static void next_fetch_removes_only_stale_leftovers(void **state)
{
    (void)state;
    char cache[2048], source[2048], names[2048];
    make_dir(cache, sizeof cache, "cache");
    snprintf(source, sizeof source, "%s/source.csv", test_scratch);
    assert_int_equal(test_write_file(source, "date,v\n2024-01-01 00:00:00,1\n"), 0);

    /* What interrupted fetches of x.csv left: removed. */
    write_in(cache, ".x.csv.part-AbC123", "half a download");
    make_old(cache, ".x.csv.part-AbC123");
    write_in(cache, ".x.csv.part-zz9ZZ9", "another");
    make_old(cache, ".x.csv.part-zz9ZZ9");
    /* A fetch still writing (it holds the lock): kept, however old. */
    write_in(cache, ".x.csv.part-Locked", "in progress");
    make_old(cache, ".x.csv.part-Locked");
    char locked_path[PATH_MAX];
    snprintf(locked_path, sizeof locked_path, "%s/.x.csv.part-Locked", cache);
    int live = open(locked_path, O_RDONLY);
    assert_true(live >= 0);
    assert_int_equal(flock(live, LOCK_EX | LOCK_NB), 0);
    /* Just created (between mkstemp and its lock): kept. */
    write_in(cache, ".x.csv.part-Fresh1", "starting");
    /* Not bench's temporaries of x.csv: kept. */
    static const char *const foreign[] = {".x.csv.backup", ".x.csv.part-toolong1", ".x.csv.part-short", "x.csv.part-AbC123",
                                          ".y.csv.part-AbC123", ".x.csv.XyZ123", ".x.csv.part-AbC12!"};
    for (size_t i = 0; i < sizeof foreign / sizeof foreign[0]; i++) {
        write_in(cache, foreign[i], "mine");
        make_old(cache, foreign[i]);
    }
    char subdirectory[PATH_MAX];
    snprintf(subdirectory, sizeof subdirectory, "%s/.x.csv.part-Dir123", cache);
    assert_int_equal(mkdir(subdirectory, 0755), 0);
    make_old(cache, ".x.csv.part-Dir123");

    bench_error error = {0};
    assert_int_equal(fetch_x(source, cache, &error), BENCH_OK);
    assert_true(exists_in(cache, "x.csv"));
    assert_false(exists_in(cache, ".x.csv.part-AbC123"));
    assert_false(exists_in(cache, ".x.csv.part-zz9ZZ9"));
    assert_true(exists_in(cache, ".x.csv.part-Locked"));
    assert_true(exists_in(cache, ".x.csv.part-Fresh1"));
    for (size_t i = 0; i < sizeof foreign / sizeof foreign[0]; i++)
        if (!exists_in(cache, foreign[i]))
            fail_msg("the fetch deleted %s, which bench did not create", foreign[i]);
    assert_true(exists_in(cache, ".x.csv.part-Dir123"));
    close(live);

    /* Once the live fetch is gone, its old temporary goes on the next fetch,
     * even when x.csv is already present. */
    assert_int_equal(fetch_x(source, cache, &error), BENCH_OK);
    assert_false(exists_in(cache, ".x.csv.part-Locked"));
    list_dir(cache, names, sizeof names);
    assert_null(strstr(names, ".x.csv.part-Locked"));
}

/* A failed download removes its own temporary at once. */
static void failed_fetch_leaves_no_temporary(void **state)
{
    (void)state;
    char cache[2048], source[2048], names[1024];
    make_dir(cache, sizeof cache, "failing-cache");
    snprintf(source, sizeof source, "%s/no-such-source.csv", test_scratch);
    bench_error error = {0};
    assert_int_not_equal(fetch_x(source, cache, &error), BENCH_OK);
    assert_int_equal(list_dir(cache, names, sizeof names), 0);
}

TEST_MAIN("durability", test_scratch_setup, test_scratch_teardown,
          cmocka_unit_test(atomic_writes_leave_only_the_file),
          cmocka_unit_test(checkpoints_use_a_unique_temporary),
          cmocka_unit_test(next_fetch_removes_only_stale_leftovers),
          cmocka_unit_test(failed_fetch_leaves_no_temporary))
