/* Every format reader on tiny fixtures (tests/data/datasets) with exact values;
 * the dirty-file policies (DST gap, empty cells) on copies that mimic Debian's
 * files; the registry table's own consistency; the lookup order. */
#include <setjmp.h>
#include <stdarg.h>
#include <stddef.h>
#include <stdint.h>
#include <cmocka.h>
#include <ftw.h>
#include <limits.h>
#include <math.h>
#include <stdio.h>
#include <stdlib.h>
#include <string.h>
#include <zlib.h>

#include "datasets/dataset.h"
#include "datasets/format.h"
#include "support_process.h"
#include "support_files.h"
#include "support_cmocka.h"

/* Loads the files (the second may be NULL) with an ad-hoc registry row; fails
 * the test on error.  The caller frees the dataset. */
static bench_dataset *load_paths(const bench_dataset_info *info, const char *const paths[2])
{
    bench_dataset *dataset = NULL;
    bench_error error = {0};
    int status = bench_dataset_load_path(&dataset, info, paths, &error);
    if (status != BENCH_OK)
        fail_msg("loading %s failed: %s", paths[0], error.message);
    return dataset;
}

/* Load one fixture file (and a second, or NULL) with an ad-hoc registry row;
 * fails the test on error. */
static bench_dataset *load_fixture(const bench_dataset_info *info, const char *first, const char *second)
{
    char paths_buffer[2][PATH_MAX];
    snprintf(paths_buffer[0], PATH_MAX, "%s", test_dataset_fixture(first));
    if (second)
        snprintf(paths_buffer[1], PATH_MAX, "%s", test_dataset_fixture(second));
    return load_paths(info, (const char *const[2]){paths_buffer[0], second ? paths_buffer[1] : NULL});
}

/* Loading the file at path into *out must fail as malformed input with a
 * message containing expect. */
static void refused_path(bench_dataset **out, const bench_dataset_info *info, const char *path, const char *expect)
{
    bench_error error = {0};
    assert_int_equal(bench_dataset_load_path(out, info, (const char *const[2]){path, NULL}, &error), BENCH_BAD_INPUT);
    if (strstr(error.message, expect) == NULL)
        fail_msg("loading %s: message '%s' lacks '%s'", path, error.message, expect);
}

static void csv_dated_exact_values(void **state)
{
    (void)state;
    const bench_dataset_info info = {
        .name = "ett_tiny", .format = "csv_dated", .date_column = "date",
        .timestamp_format = "%Y-%m-%d %H:%M:%S", .step_seconds = 3600, .seasonal_period = 24,
    };
    bench_dataset *d = load_fixture(&info, "ett_tiny.csv", NULL);
    assert_string_equal(d->name, "ett_tiny");
    assert_int_equal(d->series_count, 3);
    assert_true(d->aligned);
    assert_int_equal(d->seasonal_period, 24);
    assert_float_equal(d->step_seconds, 3600, 0);
    assert_string_equal(d->series[0].name, "HUFL");
    assert_string_equal(d->series[2].name, "OT");
    assert_int_equal(d->series[0].length, 3);
    assert_int_equal(d->timestamps[0], 1467331200); /* 2016-07-01 00:00:00 UTC */
    assert_int_equal(d->timestamps[2], 1467331200 + 7200);
    assert_ptr_equal(d->series[1].timestamps, d->timestamps);
    assert_true(d->series[0].values[0] == 5.827);
    assert_true(d->series[1].values[1] == 1.492);
    assert_true(d->series[2].values[1] == 27.787);
    assert_true(d->series[0].values[2] == -0.5);
    assert_true(d->series[1].values[2] == 0.0);
    assert_true(d->series[2].values[2] == 1000.0);
    assert_int_equal(d->missing_filled, 0);
    assert_int_equal(strlen(d->sha256[0]), 64);
    assert_non_null(strstr(d->path[0], "ett_tiny.csv"));
    bench_dataset_free(d);

    /* A column subset, in the order asked for. */
    bench_dataset_info subset = info;
    subset.columns = "OT,HUFL";
    d = load_fixture(&subset, "ett_tiny.csv", NULL);
    assert_int_equal(d->series_count, 2);
    assert_string_equal(d->series[0].name, "OT");
    assert_true(d->series[0].values[0] == 30.531);
    assert_true(d->series[1].values[0] == 5.827);
    bench_dataset_free(d);
}

static void csv_dated_other_delimiter(void **state)
{
    (void)state;
    const bench_dataset_info info = {
        .name = "semicolon", .format = "csv_dated", .date_column = "date", .timestamp_format = "%Y-%m-%d",
        .delimiter = ';', .step_seconds = 86400,
    };
    bench_dataset *d = load_fixture(&info, "semicolon.csv", NULL);
    assert_int_equal(d->series_count, 2);
    assert_int_equal(d->series[0].length, 2);
    assert_true(d->series[0].values[0] == 1.5);
    assert_true(d->series[1].values[1] == 4.0);
    assert_int_equal(d->timestamps[1] - d->timestamps[0], 86400);
    bench_dataset_free(d);
}

static void check_lstnet_tiny(const bench_dataset *d)
{
    assert_int_equal(d->series_count, 3);
    assert_true(d->aligned);
    assert_int_equal(d->series[0].length, 4);
    assert_string_equal(d->series[0].name, "0");
    assert_string_equal(d->series[2].name, "2");
    assert_true(d->series[0].values[0] == 0.7855);
    assert_true(d->series[1].values[2] == 1.629);
    assert_true(d->series[2].values[3] == 0.8616);
    /* Synthetic daily dates from 1990-01-01, as the GBRT scripts attach them. */
    assert_non_null(d->timestamps);
    assert_int_equal(d->timestamps[0], 631152000);
    assert_int_equal(d->timestamps[3], 631152000 + 3 * 86400);
}

static void lstnet_plain_and_gzip(void **state)
{
    (void)state;
    const bench_dataset_info info = {
        .name = "lstnet_tiny", .format = "lstnet", .step_seconds = 86400, .start_date = "1990-01-01",
    };
    bench_dataset *d = load_fixture(&info, "lstnet_tiny.txt", NULL);
    check_lstnet_tiny(d);
    bench_dataset_free(d);

    /* The same bytes gzip-compressed must give the same dataset. */
    const char *dir = test_temp_dir();
    assert_non_null(dir);
    char gz_path[PATH_MAX];
    snprintf(gz_path, sizeof gz_path, "%s/tiny.txt.gz", dir);
    size_t length = 0;
    char *text = test_read_file(test_dataset_fixture("lstnet_tiny.txt"), &length);
    assert_non_null(text);
    gzFile out = gzopen(gz_path, "wb9");
    assert_non_null(out);
    assert_int_equal(gzwrite(out, text, (unsigned)length), (int)length);
    assert_int_equal(gzclose(out), Z_OK);
    free(text);
    const char *paths[2] = {gz_path, NULL};
    bench_error error = {0};
    assert_int_equal(bench_dataset_load_path(&d, &info, paths, &error), BENCH_OK);
    check_lstnet_tiny(d);
    bench_dataset_free(d);

    /* solar_AL-style: the synthetic calendar may step differently from the data. */
    bench_dataset_info hourly_calendar = info;
    hourly_calendar.step_seconds = 600;
    hourly_calendar.synthetic_step_seconds = 3600;
    hourly_calendar.start_date = "2006-01-01";
    assert_int_equal(bench_dataset_load_path(&d, &hourly_calendar, paths, &error), BENCH_OK);
    assert_int_equal(d->timestamps[1] - d->timestamps[0], 3600);
    assert_float_equal(d->step_seconds, 600, 0);
    bench_dataset_free(d);
    test_remove_tree(dir);
}

static void m4_ragged_rows_with_holdouts(void **state)
{
    (void)state;
    const bench_dataset_info info = {
        .name = "m4_tiny", .format = "m4", .step_seconds = 3600, .seasonal_period = 24,
    };
    bench_dataset *d = load_fixture(&info, "m4_train.csv", "m4_test.csv");
    assert_int_equal(d->series_count, 3);
    assert_false(d->aligned);
    assert_null(d->timestamps);
    assert_string_equal(d->series[0].name, "T1");
    assert_int_equal(d->series[0].length, 3);
    assert_int_equal(d->series[1].length, 4);
    assert_int_equal(d->series[2].length, 1);
    assert_true(d->series[0].values[2] == 30.0);
    assert_true(d->series[1].values[3] == 4.5);
    assert_true(d->series[2].values[0] == 7.0);
    for (size_t s = 0; s < 3; s++)
        assert_int_equal(d->series[s].holdout_length, 2);
    assert_true(d->series[0].holdout[0] == 40.0);
    assert_true(d->series[1].holdout[1] == 6.5);
    assert_true(d->series[2].holdout[1] == 9.0);
    assert_int_equal(strlen(d->sha256[1]), 64);
    assert_non_null(strstr(d->path[1], "m4_test.csv"));
    bench_dataset_free(d);
}

static void long_format_groups_interleaved_rows(void **state)
{
    (void)state;
    const bench_dataset_info info = {
        .name = "long_tiny", .format = "long", .step_seconds = 3600,
    };
    bench_dataset *d = load_fixture(&info, "long_tiny.csv", NULL);
    assert_int_equal(d->series_count, 2);
    assert_false(d->aligned); /* b has 3 points, a has 2 */
    assert_string_equal(d->series[0].name, "b");
    assert_string_equal(d->series[1].name, "a");
    assert_int_equal(d->series[0].length, 3);
    assert_int_equal(d->series[1].length, 2);
    assert_true(d->series[0].values[2] == 3.0);
    assert_true(d->series[1].values[1] == 20.0);
    assert_int_equal(d->series[1].timestamps[1], 1609462800); /* 2021-01-01 01:00 */
    bench_dataset_free(d);

    /* Equal axes become one aligned dataset sharing its time axis. */
    char path[PATH_MAX];
    const char *dir = test_temp_file(path, sizeof path, "aligned.csv",
                                     "id,t,v\nx,2021-01-01,1\ny,2021-01-01,5\nx,2021-01-02,2\ny,2021-01-02,6\n");
    bench_dataset_info named = {
        .name = "aligned", .format = "long", .series_column = "id", .date_column = "t", .columns = "v",
        .timestamp_format = "%Y-%m-%d", .step_seconds = 86400,
    };
    const char *paths[2] = {path, NULL};
    bench_error error = {0};
    assert_int_equal(bench_dataset_load_path(&d, &named, paths, &error), BENCH_OK);
    assert_true(d->aligned);
    assert_non_null(d->timestamps);
    assert_ptr_equal(d->series[1].timestamps, d->timestamps);
    assert_true(d->series[1].values[1] == 6.0);
    bench_dataset_free(d);
    test_remove_tree(dir);
}

/* statsmodels co2.csv: YYYYMMDD dates and empty cells, filled linearly in time. */
static void co2_like_empty_cells_interpolated(void **state)
{
    (void)state;
    bench_dataset_info info = {
        .name = "co2_like", .format = "csv_dated", .date_column = "date", .timestamp_format = "%Y%m%d",
        .step_seconds = 7 * 86400, .missing_policy = "interpolate",
    };
    bench_dataset *d = load_fixture(&info, "co2_like.csv", NULL);
    assert_int_equal(d->series_count, 1);
    assert_int_equal(d->series[0].length, 6);
    assert_int_equal(d->missing_filled, 3);
    assert_int_equal(d->missing_timestamps, 0);
    const double *v = d->series[0].values;
    assert_float_equal(v[1], 317.3, 1e-12);
    assert_float_equal(v[2], 317.3 + (315.7 - 317.3) / 3.0, 1e-12);
    assert_float_equal(v[3], 317.3 + 2.0 * (315.7 - 317.3) / 3.0, 1e-12);
    assert_float_equal(v[5], 315.7, 0); /* a trailing gap takes the last value */
    assert_int_equal(d->timestamps[0], -371174400); /* 1958-03-29 */
    bench_dataset_free(d);

    /* Without a declared policy the same file is malformed input. */
    info.missing_policy = NULL;
    refused_path(&d, &info, test_dataset_fixture("co2_like.csv"), "co2_like.csv:4:2: missing value");
    assert_null(d);
}

/* vega seattle-temps.csv: local time, the DST hour 02:00->04:00 skipped. */
static void seattle_like_dst_hour_filled_on_grid(void **state)
{
    (void)state;
    bench_dataset_info info = {
        .name = "seattle_like", .format = "csv_dated", .date_column = "date",
        .timestamp_format = "%Y/%m/%d %H:%M", .step_seconds = 3600, .missing_policy = "interpolate",
    };
    bench_dataset *d = load_fixture(&info, "seattle_like.csv", NULL);
    assert_int_equal(d->series[0].length, 6);
    assert_int_equal(d->missing_timestamps, 1);
    assert_int_equal(d->missing_filled, 1);
    assert_float_equal(d->series[0].values[3], 38.5, 1e-12);
    assert_true(d->series[0].values[4] == 38.0);
    for (size_t t = 1; t < 6; t++)
        assert_int_equal(d->timestamps[t] - d->timestamps[t - 1], 3600);
    bench_dataset_free(d);

    info.missing_policy = NULL;
    refused_path(&d, &info, test_dataset_fixture("seattle_like.csv"), "seattle_like.csv:5: 1 missing timestamp(s)");
}

/* vega sf-temps.csv: the date is the second column and has seconds. */
static void sf_like_date_second_column(void **state)
{
    (void)state;
    const bench_dataset_info info = {
        .name = "sf_like", .format = "csv_dated", .date_column = "date",
        .timestamp_format = "%Y/%m/%d %H:%M:%S", .step_seconds = 3600, .missing_policy = "interpolate",
    };
    bench_dataset *d = load_fixture(&info, "sf_like.csv", NULL);
    assert_int_equal(d->series_count, 1);
    assert_string_equal(d->series[0].name, "temp");
    assert_int_equal(d->series[0].length, 5);
    assert_float_equal(d->series[0].values[2], 46.9, 1e-12);
    assert_int_equal(d->missing_filled, 1);
    bench_dataset_free(d);
}

/* Calendar grids: monthly rows may sit on any day; a missing month is filled
 * on the first row's day of month, a missing year likewise. */
static void calendar_grid_fills_missing_months(void **state)
{
    (void)state;
    char path[PATH_MAX];
    const char *dir = test_temp_file(path, sizeof path, "monthly.csv",
                                     "month,v\n2019-11-01,1\n2019-12-01,2\n2020-03-01,5\n2020-04-01,6\n");
    const bench_dataset_info info = {
        .name = "monthly", .format = "csv_dated", .date_column = "month", .timestamp_format = "%Y-%m-%d",
        .frequency = "monthly", .missing_policy = "interpolate",
    };
    const char *paths[2] = {path, NULL};
    bench_dataset *d = load_paths(&info, paths);
    assert_int_equal(d->series[0].length, 6);
    assert_int_equal(d->missing_timestamps, 2);
    assert_float_equal(d->series[0].values[2], 3.0, 1e-12);
    assert_float_equal(d->series[0].values[3], 4.0, 1e-12);
    assert_int_equal(d->timestamps[2], 1577836800); /* 2020-01-01 */
    assert_int_equal(d->timestamps[3], 1580515200); /* 2020-02-01 */
    bench_dataset_free(d);

    snprintf(path, sizeof path, "%s/yearly.csv", dir);
    assert_int_equal(test_write_file(path, "year,v\n1871,10\n1873,30\n"), 0);
    bench_dataset_info yearly = info;
    yearly.date_column = "year";
    yearly.timestamp_format = "%Y";
    yearly.frequency = "yearly";
    d = load_paths(&yearly, paths);
    assert_int_equal(d->series[0].length, 3);
    assert_float_equal(d->series[0].values[1], 20.0, 1e-12);
    assert_int_equal(d->timestamps[1], -3124137600 + 365 * 86400); /* 1872-01-01 */
    bench_dataset_free(d);
    test_remove_tree(dir);
}

/* A quoted field spanning two lines must not shift later line numbers. */
static void line_numbers_survive_multiline_fields(void **state)
{
    (void)state;
    const bench_dataset_info info = {
        .name = "multiline", .format = "csv_dated", .date_column = "date", .timestamp_format = "%Y-%m-%d",
        .columns = "value",
    };
    bench_dataset *d = NULL;
    refused_path(&d, &info, test_dataset_fixture("multiline.csv"), "multiline.csv:5:2: non-numeric cell 'x'");
}

/* Files saved by spreadsheet tools: a UTF-8 byte-order mark and CRLF line ends. */
static void bom_and_crlf(void **state)
{
    (void)state;
    char path[PATH_MAX];
    const char *dir = test_temp_file(path, sizeof path, "excel.csv",
                                     "\xEF\xBB\xBF" "date,a\r\n2020-01-01,1.5\r\n2020-01-02,2.5\r\n");
    const bench_dataset_info info = {
        .name = "excel", .format = "csv_dated", .date_column = "date", .timestamp_format = "%Y-%m-%d",
        .step_seconds = 86400,
    };
    bench_dataset *d = load_paths(&info, (const char *const[2]){path, NULL});
    assert_int_equal(d->series[0].length, 2);
    assert_true(d->series[0].values[1] == 2.5);
    bench_dataset_free(d);
    assert_int_equal(test_write_file(path, "date,a\r\n2020-01-01,1.5\r\n2020-01-02,2.5\r\n2020-01-03,?\r\n"), 0);
    refused_path(&d, &info, path, "excel.csv:4:2: non-numeric cell '?'");
    test_remove_tree(dir);
}

static void registry_rows_are_consistent(void **state)
{
    (void)state;
    const bench_dataset_info *entries;
    size_t count = bench_dataset_registry(&entries);
    assert_true(count >= 16);
    const char *required[] = {"ETTh1", "ETTh2", "exchange_rate", "national_illness", "m4_hourly", "m4_weekly",
                              "electricity", "traffic", "solar_AL", "seattle_temps", "sf_temps", "co2", "sunspots",
                              "nile"};
    for (size_t r = 0; r < sizeof required / sizeof required[0]; r++)
        assert_non_null(bench_dataset_find(required[r]));
    assert_null(bench_dataset_find("no_such_dataset"));
    for (size_t i = 0; i < count; i++) {
        const bench_dataset_info *info = &entries[i];
        const bench_format *format;
        bench_error error = {0};
        if (bench_format_find(info->format, &format, &error) != BENCH_OK)
            fail_msg("%s: %s", info->name, error.message);
        assert_ptr_equal(bench_dataset_find(info->name), info); /* names unique */
        assert_true(info->seasonal_period >= 1);
        assert_non_null(info->frequency);
        assert_non_null(info->description);
        assert_non_null(info->default_protocol);
        int is_deb = info->source && !strncmp(info->source, "deb:", 4);
        for (int f = 0; f < format->file_count; f++) {
            assert_non_null(info->files[f]);
            assert_null(strchr(info->files[f], '/')); /* local names, never URLs */
            if (!is_deb)
                assert_true(info->urls[f] && !strncmp(info->urls[f], "https://", 8));
            if (info->sha256[f] != NULL) {
                assert_int_equal(strlen(info->sha256[f]), 64);
                assert_int_equal(strspn(info->sha256[f], "0123456789abcdef"), 64);
            }
        }
        if (is_deb) {
            assert_non_null(strchr(info->source + 4, ':'));
            assert_non_null(info->sha256[0]);
        }
        if (info->missing_policy != NULL)
            assert_string_equal(info->missing_policy, "interpolate");
    }
    /* M4 conventions (issue: hourly 24, weekly 1). */
    assert_int_equal(bench_dataset_find("m4_hourly")->seasonal_period, 24);
    assert_int_equal(bench_dataset_find("m4_weekly")->seasonal_period, 1);
    assert_string_equal(bench_dataset_find("exchange_rate")->start_date, "1990-01-01");
    assert_null(bench_dataset_find("electricity")->sha256[0]);

    const bench_format *format;
    bench_error error = {0};
    assert_int_equal(bench_format_find("parquet", &format, &error), BENCH_NOT_FOUND);
    assert_non_null(strstr(error.message, "csv_dated"));
    bench_dataset *d;
    assert_int_equal(bench_dataset_load(&d, "no_such_dataset", &error), BENCH_NOT_FOUND);
    assert_non_null(strstr(error.message, "known: ETTh1"));
}

static void lookup_order_path_then_cache(void **state)
{
    (void)state;
    char saved_path[PATH_MAX] = "", saved_dir[PATH_MAX] = "";
    const char *old = getenv("BENCH_DATA_PATH");
    int had_path = old != NULL;
    if (old)
        snprintf(saved_path, sizeof saved_path, "%s", old);
    old = getenv("BENCH_DATA_DIR");
    int had_dir = old != NULL;
    if (old)
        snprintf(saved_dir, sizeof saved_dir, "%s", old);

    char first[512], second[512], cache[512], list[2048], file[PATH_MAX];
    snprintf(first, sizeof first, "%s", test_temp_dir());
    snprintf(second, sizeof second, "%s", test_temp_dir());
    snprintf(cache, sizeof cache, "%s", test_temp_dir());
    const bench_dataset_info *info = bench_dataset_find("nile");
    snprintf(list, sizeof list, "%s:%s/", first, second);
    setenv("BENCH_DATA_PATH", list, 1);
    setenv("BENCH_DATA_DIR", cache, 1);

    char found[PATH_MAX];
    bench_error error = {0};
    assert_int_equal(bench_dataset_locate(info, 0, found, sizeof found, &error), BENCH_NOT_FOUND);
    assert_non_null(strstr(error.message, "bench data fetch nile"));
    assert_non_null(strstr(error.message, cache));

    snprintf(file, sizeof file, "%s/nile.csv", cache);
    assert_int_equal(test_write_file(file, "year,volume\n1871,1120\n"), 0);
    assert_int_equal(bench_dataset_locate(info, 0, found, sizeof found, &error), BENCH_OK);
    assert_string_equal(found, file);

    snprintf(file, sizeof file, "%s/nile.csv", second);
    assert_int_equal(test_write_file(file, "year,volume\n1871,1120\n"), 0);
    assert_int_equal(bench_dataset_locate(info, 0, found, sizeof found, &error), BENCH_OK);
    assert_string_equal(found, file);

    snprintf(file, sizeof file, "%s/nile.csv", first);
    assert_int_equal(test_write_file(file, "year,volume\n1871,1120\n1872,1160\n"), 0);
    assert_int_equal(bench_dataset_locate(info, 0, found, sizeof found, &error), BENCH_OK);
    assert_string_equal(found, file);

    /* bench_dataset_load goes through the same lookup. */
    bench_dataset *d;
    assert_int_equal(bench_dataset_load(&d, "nile", &error), BENCH_OK);
    assert_int_equal(d->series[0].length, 2);
    assert_string_equal(d->path[0], file);
    bench_dataset_free(d);

    /* Cache default: $XDG_CACHE_HOME/bench, else ~/.cache/bench. */
    unsetenv("BENCH_DATA_DIR");
    setenv("XDG_CACHE_HOME", "/xdg/cache", 1);
    assert_int_equal(bench_dataset_cache_dir(found, sizeof found, &error), BENCH_OK);
    assert_string_equal(found, "/xdg/cache/bench");
    unsetenv("XDG_CACHE_HOME");
    assert_int_equal(bench_dataset_cache_dir(found, sizeof found, &error), BENCH_OK);
    assert_non_null(strstr(found, "/.cache/bench"));

    test_remove_tree(first);
    test_remove_tree(second);
    test_remove_tree(cache);
    if (had_path)
        setenv("BENCH_DATA_PATH", saved_path, 1);
    else
        unsetenv("BENCH_DATA_PATH");
    if (had_dir)
        setenv("BENCH_DATA_DIR", saved_dir, 1);
}

static void sha256_of_known_bytes(void **state)
{
    (void)state;
    char path[PATH_MAX];
    const char *dir = test_temp_file(path, sizeof path, "abc", "abc");
    char hex[65];
    bench_error error = {0};
    assert_int_equal(bench_sha256_file(path, hex, &error), BENCH_OK);
    /* FIPS 180-2 test vector. */
    assert_string_equal(hex, "ba7816bf8f01cfea414140de5dae2223b00361a396177a9cb410ff61f20015ad");
    test_remove_tree(dir);
}

TEST_MAIN("datasets_formats", NULL, NULL,
          cmocka_unit_test(csv_dated_exact_values),
          cmocka_unit_test(csv_dated_other_delimiter),
          cmocka_unit_test(lstnet_plain_and_gzip),
          cmocka_unit_test(m4_ragged_rows_with_holdouts),
          cmocka_unit_test(long_format_groups_interleaved_rows),
          cmocka_unit_test(co2_like_empty_cells_interpolated),
          cmocka_unit_test(seattle_like_dst_hour_filled_on_grid),
          cmocka_unit_test(sf_like_date_second_column),
          cmocka_unit_test(calendar_grid_fills_missing_months),
          cmocka_unit_test(line_numbers_survive_multiline_fields),
          cmocka_unit_test(bom_and_crlf),
          cmocka_unit_test(registry_rows_are_consistent),
          cmocka_unit_test(lookup_order_path_then_cache),
          cmocka_unit_test(sha256_of_known_bytes))
