/* The real files, when present: reference data through BENCH_DATA_PATH
 * (tests/run.sh points it at ../shared/data) and the Debian-packaged series when
 * they have been fetched into the cache.  Absent files skip loudly. */
#include <setjmp.h>
#include <stdarg.h>
#include <stddef.h>
#include <stdint.h>
#include <cmocka.h>
#include <limits.h>
#include <stdio.h>
#include <string.h>

#include "datasets/dataset.h"
#include "support_cmocka.h"

/* Load a registered dataset, or print why not and skip; fails the test unless
 * it has `series_count` series, the first `first_length` values long. */
static bench_dataset *load_or_skip(const char *name, size_t series_count, size_t first_length)
{
    const bench_dataset_info *info = bench_dataset_find(name);
    assert_non_null(info);
    char path[PATH_MAX];
    bench_error error = {0};
    for (int i = 0; i < bench_dataset_file_count(info); i++)
        if (bench_dataset_locate(info, i, path, sizeof path, &error) != BENCH_OK) {
            printf("SKIPPED: %s\n", error.message);
            skip();
        }
    bench_dataset *dataset = NULL;
    if (bench_dataset_load(&dataset, name, &error) != BENCH_OK)
        fail_msg("%s: %s", name, error.message);
    /* What was read is what the registry pins. */
    for (int i = 0; i < bench_dataset_file_count(info); i++)
        if (info->sha256[i] != NULL)
            assert_string_equal(dataset->sha256[i], info->sha256[i]);
    assert_int_equal(dataset->series_count, series_count);
    assert_int_equal(dataset->series[0].length, first_length);
    return dataset;
}

static void etth1(void **state)
{
    (void)state;
    bench_dataset *d = load_or_skip("ETTh1", 7, 17420);
    assert_true(d->aligned);
    assert_string_equal(d->series[0].name, "HUFL");
    assert_string_equal(d->series[6].name, "OT");
    assert_int_equal(d->timestamps[0], 1467331200);          /* 2016-07-01 00:00 */
    assert_int_equal(d->timestamps[17419], 1530039600);      /* 2018-06-26 19:00 */
    assert_true(d->series[0].values[0] == 5.827000141143799);
    assert_true(d->series[6].values[0] == 30.5310001373291);
    assert_int_equal(d->seasonal_period, 24);
    assert_int_equal(d->missing_filled, 0);
    bench_dataset_free(d);
}

static void exchange_rate(void **state)
{
    (void)state;
    bench_dataset *d = load_or_skip("exchange_rate", 8, 7588);
    assert_true(d->series[0].values[0] == 0.7855);
    assert_true(d->series[7].values[0] == 0.525486);
    assert_true(d->series[0].values[1] == 0.7818);
    /* Synthetic daily calendar from 1990-01-01, as the GBRT code builds it. */
    assert_int_equal(d->timestamps[0], 631152000);
    assert_int_equal(d->timestamps[7587] - d->timestamps[0], (int64_t)7587 * 86400);
    bench_dataset_free(d);
}

static void m4_hourly(void **state)
{
    (void)state;
    bench_dataset *d = load_or_skip("m4_hourly", 414, 700);
    assert_false(d->aligned);
    size_t shortest = (size_t)-1, longest = 0;
    for (size_t s = 0; s < d->series_count; s++) {
        assert_int_equal(d->series[s].holdout_length, 48);
        shortest = d->series[s].length < shortest ? d->series[s].length : shortest;
        longest = d->series[s].length > longest ? d->series[s].length : longest;
    }
    assert_int_equal(shortest, 700);
    assert_int_equal(longest, 960);
    assert_string_equal(d->series[0].name, "H1");
    assert_true(d->series[0].values[0] == 605.0);
    assert_true(d->series[0].values[1] == 586.0);
    assert_true(d->series[0].holdout[0] == 619.0);
    assert_string_equal(d->series[413].name, "H414");
    bench_dataset_free(d);
}

static void national_illness(void **state)
{
    (void)state;
    bench_dataset *d = load_or_skip("national_illness", 7, 966);
    assert_string_equal(d->series[0].name, "% WEIGHTED ILI");
    assert_string_equal(d->series[6].name, "OT");
    assert_true(d->series[0].values[0] == 1.22262);
    assert_true(d->series[6].values[0] == 176569.0);
    assert_int_equal(d->timestamps[0], 1009843200);                 /* 2002-01-01 */
    assert_int_equal(d->timestamps[965] - d->timestamps[0], (int64_t)965 * 7 * 86400);
    bench_dataset_free(d);
}

/* Debian-packaged series (fetched by `bench data fetch --deb`). */
static void debian_series(void **state)
{
    (void)state;
    static const struct {
        const char *name;
        size_t series, length, missing_filled, missing_timestamps;
        double first;
    } expected[] = {
        {"seattle_temps", 1, 8760, 1, 1, 39.4},
        {"sf_temps", 1, 8760, 1, 1, 47.8},
        {"co2", 1, 2284, 59, 0, 316.1},
        {"sunspots", 1, 309, 0, 0, 5.0},
        {"nile", 1, 100, 0, 0, 1120.0},
        {"elec_equip", 1, 257, 0, 0, 66.19},
        {"stocks", 5, 123, 0, 0, 39.81},
    };
    size_t checked = 0;
    for (size_t i = 0; i < sizeof expected / sizeof expected[0]; i++) {
        const bench_dataset_info *info = bench_dataset_find(expected[i].name);
        char path[PATH_MAX];
        bench_error error = {0};
        if (bench_dataset_locate(info, 0, path, sizeof path, &error) != BENCH_OK) {
            printf("SKIPPED: %s\n", error.message);
            continue;
        }
        bench_dataset *d = NULL;
        if (bench_dataset_load(&d, expected[i].name, &error) != BENCH_OK)
            fail_msg("%s", error.message);
        assert_string_equal(d->sha256[0], info->sha256[0]);
        assert_int_equal(d->series_count, expected[i].series);
        assert_int_equal(d->series[0].length, expected[i].length);
        assert_int_equal(d->missing_filled, expected[i].missing_filled);
        assert_int_equal(d->missing_timestamps, expected[i].missing_timestamps);
        assert_true(d->series[0].values[0] == expected[i].first);
        bench_dataset_free(d);
        checked++;
    }
    if (checked == 0) {
        printf("SKIPPED: no Debian-packaged dataset present (run `bench data fetch --deb`)\n");
        skip();
    }
}

TEST_MAIN("datasets_real", NULL, NULL,
          cmocka_unit_test(etth1),
          cmocka_unit_test(exchange_rate),
          cmocka_unit_test(m4_hourly),
          cmocka_unit_test(national_illness),
          cmocka_unit_test(debian_series))
