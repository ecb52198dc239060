/* Data is untrusted input (issue 17, section 4): values whose arithmetic
 * overflows a double, and modified copies of pinned reference datasets, are bad
 * input (exit 2) naming the file and column or the file and both checksums,
 * and leave no results.csv; the override --allow-modified-data is recorded in
 * bench_dataset.modified.  The real files this needs (the Debian-packaged
 * nile.csv in the cache, exchange_rate in BENCH_DATA_PATH) are only read, and
 * copied before anything is changed; when absent those parts skip loudly. */
#include <setjmp.h>
#include <stdarg.h>
#include <stddef.h>
#include <stdint.h>
#include <cmocka.h>
#include <limits.h>
#include <math.h>
#include <stdio.h>
#include <stdlib.h>
#include <string.h>
#include <unistd.h>

#include "bench/scaling.h"
#include "datasets/dataset.h"
#include "support_bench.h"
#include "support_files.h"
#include "support_cmocka.h"

#define NILE_SHA256 "88e97bea7249e5832a85e41aec6ce4b8f7b1b14aae930c8363da7f193286b598"

static char data_env[4200], cache_env[4200];   /* BENCH_DATA_PATH / BENCH_DATA_DIR of the bench runs */

static int setup(void **state)
{
    if (test_bench_scratch_setup(state) != 0)
        return -1;
    char command[9000];
    snprintf(command, sizeof command, "mkdir -p '%s/data' '%s/cache'", test_scratch, test_scratch);
    if (system(command) != 0)
        return -1;
    /* Only the files a test puts in SCRATCH/data are found: no shared data, no
     * user cache. */
    snprintf(data_env, sizeof data_env, "BENCH_DATA_PATH=%s/data", test_scratch);
    snprintf(cache_env, sizeof cache_env, "BENCH_DATA_DIR=%s/cache", test_scratch);
    return 0;
}

static void write_in(const char *name, const char *text)
{
    char path[4400];
    snprintf(path, sizeof path, "%s/%s", test_scratch, name);
    assert_int_equal(test_write_file(path, text), 0);
}

/* `bench run SCRATCH/NAME.ini --out SCRATCH/out-NAME --quiet [extra]` from SCRATCH (test_scratch), with
 * the data environment above. */
static void run_bench(test_process_result *result, const char *name, const char *extra)
{
    char config[4300], out[4300];
    snprintf(config, sizeof config, "%s/%s.ini", test_scratch, name);
    snprintf(out, sizeof out, "%s/out-%s", test_scratch, name);
    const char *argv[] = {test_bench_binary(), "run", config, "--out", out, "--quiet", extra, NULL};
    const char *env[] = {data_env, cache_env, NULL};
    assert_int_equal(test_process_run(result, argv, test_scratch, env), 0);
}

static int has_results(const char *name)
{
    char path[4400];
    snprintf(path, sizeof path, "%s/out-%s/results.csv", test_scratch, name);
    return access(path, F_OK) == 0;
}

/* Refused: exit 2, every expected piece in stderr, no results.csv. */
static void assert_refused(const char *name, const char *const expect[])
{
    test_process_result result;
    run_bench(&result, name, NULL);
    int ok = result.exit_code == 2 && !has_results(name);
    for (size_t i = 0; expect[i] != NULL; i++)
        if (strstr(result.err, expect[i]) == NULL) {
            fprintf(stderr, "%s: stderr lacks \"%s\"\n", name, expect[i]);
            ok = 0;
        }
    if (!ok)
        fprintf(stderr, "%s: exit %d, results.csv %s, stderr: %s", name, result.exit_code,
                has_results(name) ? "written" : "absent", result.err);
    assert_true(ok);
    test_process_free(&result);
}

/* A dated hourly csv "date,a,b" with `rows` rows; column a alternates ±big. */
static char *alternating_csv(size_t rows, const char *big)
{
    size_t size = 64 + rows * 64;
    char *text = malloc(size);
    assert_non_null(text);
    size_t used = (size_t)snprintf(text, size, "date,a,b\n");
    for (size_t r = 0; r < rows; r++)
        used += (size_t)snprintf(text + used, size - used, "2020-01-%02zu %02zu:00:00,%s%s,%zu\n", 1 + r / 24, r % 24,
                                 r % 2 ? "" : "-", big, r);
    return text;
}

/* NAME.csv from alternating_csv(200, big) and NAME.ini running naive on it
 * (the dataset on line 2 of the config). */
static void write_alternating(const char *name, const char *big)
{
    char file[256], text[512];
    char *csv = alternating_csv(200, big);
    snprintf(file, sizeof file, "%s.csv", name);
    write_in(file, csv);
    free(csv);
    snprintf(text, sizeof text,
             "[dataset %s]\npath = %s.csv\nstep_seconds = 3600\nlookback = 24\nhorizons = 12\n[model naive]\n", name,
             name);
    snprintf(file, sizeof file, "%s.ini", name);
    write_in(file, text);
}

/* ±1e200 once gave a z-score scale of inf, all-zero inputs and MSE 0 with status
 * ok: now the reader refuses the value with its file, line and column. */
static void values_whose_square_overflows_are_refused(void **state)
{
    (void)state;
    write_alternating("huge", "1e200");
    const char *expect[] = {"huge.ini:2: dataset huge", "huge.csv:2:2: value '-1e200' in column 'a' is too large",
                            "overflows a double", NULL};
    assert_refused("huge", expect);
}

/* Each value fine, but 200 squared deviations of ±1e153 exceed DBL_MAX: the
 * load names the file and the column. */
static void columns_whose_variance_overflows_are_refused(void **state)
{
    (void)state;
    write_alternating("spread", "1e153");
    const char *expect[] = {"spread.ini:2: dataset spread", "spread.csv: column 'a': its sum of squared deviations "
                                                            "overflows a double",
                            NULL};
    assert_refused("spread", expect);
    /* The same check straight through the loader, naming the column. */
    bench_dataset_info info = {.name = "spread", .format = "csv_dated", .date_column = "date",
                               .timestamp_format = "%Y-%m-%d %H:%M:%S", .step_seconds = 3600};
    char path[4400];
    snprintf(path, sizeof path, "%s/spread.csv", test_scratch);
    bench_dataset *dataset = NULL;
    bench_error error = {0};
    assert_int_equal(bench_dataset_load_path(&dataset, &info, (const char *const[2]){path, NULL}, &error),
                     BENCH_BAD_INPUT);
    assert_null(dataset);
    assert_non_null(strstr(error.message, "column 'a'"));
}

/* The M4 holdout lives in the test file: a huge value there is named by it. */
static void huge_holdout_names_the_test_file(void **state)
{
    (void)state;
    write_in("m4train.csv", "\"V1\",\"V2\",\"V3\",\"V4\",\"V5\",\"V6\",\"V7\"\n\"H1\",1,2,3,4,5,6\n");
    write_in("m4test.csv", "\"V1\",\"V2\",\"V3\"\n\"H1\",7,1e300\n");
    write_in("m4huge.ini", "[dataset m4huge]\npath = m4train.csv\ntest_path = m4test.csv\nformat = m4\n"
                           "step_seconds = 3600\n[model naive]\n");
    const char *expect[] = {"m4test.csv:2:3: value '1e300' in column 'H1' is too large", NULL};
    assert_refused("m4huge", expect);
}

/* The scaler itself no longer turns huge values into zeros: a finite standard
 * deviation when one exists, NaN (never a plausible 0) when none does. */
static void scaler_keeps_huge_values_apart(void **state)
{
    (void)state;
    double values[] = {1e200, -1e200, 1e200, -1e200};
    bench_scaler scaler = bench_scaler_fit_standard(values, 4);
    assert_true(isfinite(scaler.scale));
    assert_float_equal(scaler.scale / 1e200, 1.0, 1e-12);
    double scaled[4];
    bench_scaler_apply(&scaler, scaled, values, 4);
    assert_float_equal(scaled[0], 1.0, 1e-12);
    assert_float_equal(scaled[1], -1.0, 1e-12);
    /* Ordinary data keep the plain two-pass result exactly. */
    double plain[] = {1, 2, 3, 4};
    bench_scaler small = bench_scaler_fit_standard(plain, 4);
    assert_true(small.scale == sqrt(1.25));
    double broken[] = {1, INFINITY, 3};
    assert_true(isnan(bench_scaler_fit_standard(broken, 3).scale));
    /* The largest doubles still get their spread; a sum beyond range does not. */
    double edge[] = {1.5e308, -1.5e308};
    assert_float_equal(bench_scaler_fit_standard(edge, 2).scale / 1.5e308, 1.0, 1e-12);
    double beyond[] = {1.7e308, 1.7e308};
    assert_true(isnan(bench_scaler_fit_standard(beyond, 2).scale));
}

/* nile.csv as the registry names it, with 100 made-up rows: loads as nile but
 * is not the pinned file. */
static void write_fake_nile(void)
{
    char text[4096];
    size_t used = (size_t)snprintf(text, sizeof text, "year,volume\n");
    for (int year = 1871; year <= 1970; year++)
        used += (size_t)snprintf(text + used, sizeof text - used, "%d,%d\n", year, 1000 + (year * 37) % 300);
    write_in("data/nile.csv", text);
}

static void modified_pinned_dataset_is_refused_unless_allowed(void **state)
{
    (void)state;
    write_fake_nile();
    write_in("modified.ini", "[dataset nile]\nlookback = 8\nhorizons = 4\n[model naive]\n");
    char expected_file[4400];
    snprintf(expected_file, sizeof expected_file, "%s/data/nile.csv has sha256 ", test_scratch);
    const char *expect[] = {"modified.ini:1: dataset nile: ", expected_file, "expected " NILE_SHA256,
                            "--allow-modified-data", NULL};
    assert_refused("modified", expect);

    /* With the override it runs, and the dataset says it was modified. */
    test_process_result result;
    run_bench(&result, "modified", "--allow-modified-data");
    test_assert_exit(&result, 0);
    assert_true(has_results("modified"));
    test_process_free(&result);
    /* run.json says which file was used against its pin. */
    char run_json[4400];
    snprintf(run_json, sizeof run_json, "%s/out-modified/run.json", test_scratch);
    test_assert_file_contains(run_json, "\"modified_from_pinned\": true");

    char path[4400], cache[4400];
    snprintf(path, sizeof path, "%s/data", test_scratch);
    snprintf(cache, sizeof cache, "%s/cache", test_scratch);
    char *saved_path = getenv("BENCH_DATA_PATH") ? strdup(getenv("BENCH_DATA_PATH")) : NULL;
    setenv("BENCH_DATA_PATH", path, 1);
    setenv("BENCH_DATA_DIR", cache, 1);
    bench_dataset *dataset = NULL;
    bench_error error = {0};
    assert_int_equal(bench_dataset_load(&dataset, "nile", &error), BENCH_OK);
    assert_int_equal(dataset->modified[0], 1);
    assert_int_equal(dataset->modified[1], 0);
    assert_string_not_equal(dataset->sha256[0], NILE_SHA256);
    bench_dataset_free(dataset);
    /* A file of your own is not checked against any pin, whatever its name. */
    bench_dataset_info own = {.name = "mine", .format = "csv_dated", .date_column = "year",
                              .timestamp_format = "%Y", .frequency = "yearly"};
    snprintf(path, sizeof path, "%s/data/nile.csv", test_scratch);
    assert_int_equal(bench_dataset_load_path(&dataset, &own, (const char *const[2]){path, NULL}, &error), BENCH_OK);
    assert_int_equal(dataset->modified[0], 0);
    bench_dataset_free(dataset);
    if (saved_path != NULL)
        setenv("BENCH_DATA_PATH", saved_path, 1);
    else
        unsetenv("BENCH_DATA_PATH");
    unsetenv("BENCH_DATA_DIR");
    free(saved_path);
}

/* The pinned file itself passes: the real nile.csv from wherever the user's
 * cache or data path holds it, copied (never touched) into test_scratch/data. */
static void pinned_copy_passes(void **state)
{
    (void)state;
    const bench_dataset_info *info = bench_dataset_find("nile");
    char real[PATH_MAX];
    bench_error error = {0};
    if (bench_dataset_locate(info, 0, real, sizeof real, &error) != BENCH_OK) {
        printf("SKIPPED: the pinned nile.csv is not present (make check fetches it): %s\n", error.message);
        skip();
    }
    char hex[65];
    if (bench_sha256_file(real, hex, &error) != BENCH_OK || strcmp(hex, NILE_SHA256) != 0) {
        printf("SKIPPED: %s is not the pinned file\n", real);
        skip();
    }
    char command[3 * PATH_MAX + 4096];
    snprintf(command, sizeof command, "cp '%s' '%s/data/nile.csv' && chmod u+w '%s/data/nile.csv'", real,
             test_scratch, test_scratch);
    assert_int_equal(system(command), 0);
    write_in("pinned.ini", "[dataset nile]\nlookback = 8\nhorizons = 4\n[model naive]\n");
    test_process_result result;
    run_bench(&result, "pinned", NULL);
    test_assert_exit(&result, 0);
    assert_true(has_results("pinned"));
    test_process_free(&result);
}

/* A file `bench data fetch` put in the cache is the pinned one and passes:
 * exchange_rate from a file:// mirror of BENCH_DATA_PATH into an empty cache. */
static void fetched_file_passes(void **state)
{
    (void)state;
    test_need_data("exchange_rate.txt.gz", "fetch + run");
    const char *shared = test_find_data("exchange_rate.txt.gz");
    char mirror_env[4400], fetch_cache_env[4400], empty_path_env[4400];
    snprintf(mirror_env, sizeof mirror_env, "BENCH_DATA_MIRROR=file://%s", shared);
    snprintf(fetch_cache_env, sizeof fetch_cache_env, "BENCH_DATA_DIR=%s/fetched", test_scratch);
    snprintf(empty_path_env, sizeof empty_path_env, "BENCH_DATA_PATH=%s/cache", test_scratch); /* empty */
    const char *env[] = {mirror_env, fetch_cache_env, empty_path_env, NULL};
    const char *fetch[] = {test_bench_binary(), "data", "fetch", "exchange_rate", NULL};
    test_process_result result;
    assert_int_equal(test_process_run(&result, fetch, test_scratch, env), 0);
    test_assert_exit(&result, 0);
    test_process_free(&result);
    char config[4400], out[4400];
    snprintf(config, sizeof config, "%s/fetched.ini", test_scratch);
    snprintf(out, sizeof out, "%s/out-fetched", test_scratch);
    write_in("fetched.ini", "[dataset exchange_rate]\nprotocol = paper\nhorizons = 24\n[model naive]\n");
    const char *plan[] = {test_bench_binary(), "plan", config, "--out", out, NULL};
    assert_int_equal(test_process_run(&result, plan, test_scratch, env), 0);
    test_assert_exit(&result, 0);
    test_process_free(&result);
}

TEST_MAIN("data_trust", setup, test_scratch_teardown,
          cmocka_unit_test(values_whose_square_overflows_are_refused),
          cmocka_unit_test(columns_whose_variance_overflows_are_refused),
          cmocka_unit_test(huge_holdout_names_the_test_file),
          cmocka_unit_test(scaler_keeps_huge_values_apart),
          cmocka_unit_test(modified_pinned_dataset_is_refused_unless_allowed),
          cmocka_unit_test(pinned_copy_passes),
          cmocka_unit_test(fetched_file_passes))
