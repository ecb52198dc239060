/* Calendar covariates: raw feature values on hand-checked dates (ISO week edge
 * cases included), sklearn's min-max scaling to [-0.5, 0.5], ISO weeks against
 * glibc's strftime %V over a century, and name validation. */
#include <setjmp.h>
#include <stdarg.h>
#include <stddef.h>
#include <stdint.h>
#include <cmocka.h>
#include <math.h>
#include <stdlib.h>
#include <string.h>
#include <time.h>

#include "forecasters/calendar.h"
#include "support_cmocka.h"

static const char *const all_names[] = {"month", "day", "hour", "minute", "day_of_week", "day_of_year",
                                        "week_of_year"};

/* Expected raw values (checked with Python's datetime: month, day, hour, minute,
 * weekday(), tm_yday, isocalendar()[1]). */
static const int64_t dates[] = {631152000, 1104451200, 1609459200, 1230508800, 1339763640};
static const double raw[5][7] = {
    {1, 1, 0, 0, 0, 1, 1},        /* 1990-01-01 Monday */
    {12, 31, 0, 0, 4, 366, 53},   /* 2004-12-31 Friday, leap year, ISO week 53 */
    {1, 1, 0, 0, 4, 1, 53},       /* 2021-01-01 Friday, still ISO week 53 of 2020 */
    {12, 29, 0, 0, 0, 364, 1},    /* 2008-12-29 Monday, already ISO week 1 of 2009 */
    {6, 15, 12, 34, 4, 167, 24},  /* 2012-06-15 12:34 Friday */
};

static void features_are_pandas_values_min_max_scaled(void **state)
{
    (void)state;
    float out[5 * 7];
    bench_error error = {0};
    assert_int_equal(bench_calendar_covariates(out, dates, 5, all_names, 7, &error), BENCH_OK);
    for (size_t j = 0; j < 7; j++) {
        double low = INFINITY, high = -INFINITY;
        for (size_t t = 0; t < 5; t++) {
            low = fmin(low, raw[t][j]);
            high = fmax(high, raw[t][j]);
        }
        for (size_t t = 0; t < 5; t++) {
            double expected = (raw[t][j] - low) / (high - low) - 0.5;
            if (fabs(out[t * 7 + j] - expected) > 1e-6)
                fail_msg("%s at date %zu: got %.7f, expected %.7f", all_names[j], t, out[t * 7 + j], expected);
        }
    }
}

static void constant_feature_becomes_minus_half_and_order_follows_names(void **state)
{
    (void)state;
    /* Two hours of one day: month constant (sklearn: zero range → divide by 1). */
    const int64_t times[] = {631152000, 631152000 + 3600, 631152000 + 7200};
    const char *const names[] = {"hour", "month"};
    float out[6];
    assert_int_equal(bench_calendar_covariates(out, times, 3, names, 2, NULL), BENCH_OK);
    assert_float_equal(out[0], -0.5, 1e-7);
    assert_float_equal(out[2], 0.0, 1e-7);
    assert_float_equal(out[4], 0.5, 1e-7);
    assert_float_equal(out[1], -0.5, 1e-7);
    assert_float_equal(out[3], -0.5, 1e-7);
    assert_float_equal(out[5], -0.5, 1e-7);
}

static void iso_week_matches_strftime_over_a_century(void **state)
{
    (void)state;
    const size_t days = 365 * 100 + 25;
    int64_t *times = malloc(days * sizeof *times);
    float *out = malloc(days * sizeof *out);
    assert_non_null(times);
    assert_non_null(out);
    for (size_t i = 0; i < days; i++)
        times[i] = -631152000LL + (int64_t)i * 86400; /* from 1950-01-01 */
    const char *const names[] = {"week_of_year"};
    assert_int_equal(bench_calendar_covariates(out, times, days, names, 1, NULL), BENCH_OK);
    for (size_t i = 0; i < days; i++) {
        time_t seconds = (time_t)times[i];
        struct tm when;
        gmtime_r(&seconds, &when);
        char text[8];
        strftime(text, sizeof text, "%V", &when);
        int week = (int)lround((out[i] + 0.5) * 52.0 + 1.0); /* range 1..53 over a century */
        if (week != atoi(text))
            fail_msg("day %zu: ISO week %d, strftime says %s", i, week, text);
    }
    free(times);
    free(out);
}

static void names_are_validated(void **state)
{
    (void)state;
    bench_error error = {0};
    const char *const unknown[] = {"month", "weekday"};
    float out[2];
    assert_int_equal(bench_calendar_covariates(out, dates, 1, unknown, 2, &error), BENCH_BAD_INPUT);
    assert_non_null(strstr(error.message, "'weekday'"));
    assert_non_null(strstr(error.message, "day_of_week"));
    const char *const twice[] = {"day", "day"};
    assert_int_equal(bench_calendar_validate(twice, 2, &error), BENCH_BAD_INPUT);
    assert_non_null(strstr(error.message, "twice"));
    assert_int_equal(bench_calendar_covariates(out, NULL, 1, all_names, 1, &error), BENCH_BAD_INPUT);
    assert_non_null(strstr(error.message, "timestamps"));
}

static void dataset_subsets_follow_the_official_scripts(void **state)
{
    (void)state;
    const char *const *names;
    size_t count;
    bench_error error = {0};
    assert_int_equal(bench_calendar_dataset_subset("exchange_rate", &names, &count, &error), BENCH_OK);
    assert_int_equal(count, 5);
    assert_string_equal(names[0], "month");
    assert_string_equal(names[4], "week_of_year");
    assert_int_equal(bench_calendar_validate(names, count, &error), BENCH_OK);
    assert_int_equal(bench_calendar_dataset_subset("solar_AL", &names, &count, &error), BENCH_OK);
    assert_int_equal(count, 6);
    assert_int_equal(bench_calendar_dataset_subset("pemsd7", &names, &count, &error), BENCH_OK);
    assert_int_equal(count, 7);
    assert_int_equal(bench_calendar_dataset_subset("ETTh1", &names, &count, &error), BENCH_NOT_FOUND);
}

TEST_MAIN("calendar", NULL, NULL,
          cmocka_unit_test(features_are_pandas_values_min_max_scaled),
          cmocka_unit_test(constant_feature_becomes_minus_half_and_order_follows_names),
          cmocka_unit_test(iso_week_matches_strftime_over_a_century),
          cmocka_unit_test(names_are_validated),
          cmocka_unit_test(dataset_subsets_follow_the_official_scripts))
