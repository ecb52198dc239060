/* Diebold-Mariano from stored predictions: per-window losses read from the
 * harness's predictions/<cell_id>.csv, lags from the origin stride, checked
 * against numpy/scipy values written by tests/data/reports/make_fixtures.py. */
#include <setjmp.h>
#include <stdarg.h>
#include <stddef.h>
#include <stdint.h>
#include <cmocka.h>
#include <jansson.h>
#include <math.h>
#include <stdio.h>
#include <stdlib.h>
#include <string.h>

#include "reports/dm.h"
#include "support_cmocka.h"

static void close_to(double actual, double expected, double rtol, const char *what)
{
    if (!(fabs(actual - expected) <= 1e-12 + rtol * fabs(expected)))
        fail_msg("%s: got %.12g, expected %.12g", what, actual, expected);
}

static void matches_numpy_reference(void **state)
{
    (void)state;
    json_error_t json_error;
    json_t *expected = json_load_file("tests/reference/reports/dm_predictions_expected.json", 0, &json_error);
    assert_non_null(expected);
    bench_error error = {0};
    bench_results results;
    assert_int_equal(bench_results_load(&results, "tests/data/reports/forecast/results.csv", &error), BENCH_OK);
    bench_dm_report report;
    assert_int_equal(bench_dm_compare(&report, "tests/data/reports/forecast", &results, "ridge", 1, &error), BENCH_OK);
    json_t *comparisons = json_object_get(expected, "comparisons");
    size_t found = 0;
    for (size_t i = 0; i < report.count; i++) {
        const bench_dm_comparison *c = &report.items[i];
        if (strcmp(c->dataset, "national_illness") != 0)
            continue;
        for (size_t j = 0; j < json_array_size(comparisons); j++) {
            json_t *e = json_array_get(comparisons, j);
            if (strcmp(json_string_value(json_object_get(e, "variant")), c->variant) != 0)
                continue;
            found++;
            assert_true(c->ok);
            assert_string_equal(c->horizon, "24");
            assert_int_equal(c->windows, (size_t)json_integer_value(json_object_get(e, "windows")));
            assert_int_equal(c->unmatched, 0);
            assert_int_equal(c->dm.h, (size_t)json_integer_value(json_object_get(e, "h")));
            close_to(c->dm.mean_difference, json_real_value(json_object_get(e, "mean_difference")), 1e-9, "mean");
            close_to(c->dm.statistic, json_real_value(json_object_get(e, "dm")), 1e-8, "DM");
            close_to(c->dm.p, json_real_value(json_object_get(e, "p")), 1e-6, "p");
        }
    }
    assert_int_equal(found, 2);
    /* ETTh1 has one window per variant: reported, not tested. */
    for (size_t i = 0; i < report.count; i++)
        if (strcmp(report.items[i].dataset, "ETTh1") == 0) {
            assert_false(report.items[i].ok);
            assert_non_null(strstr(report.items[i].note, "need at least 3"));
        }
    char *text = NULL;
    size_t length = 0;
    FILE *memory = open_memstream(&text, &length);
    for (int format = BENCH_TABLE_MD; format <= BENCH_TABLE_HTML; format++)
        assert_int_equal(bench_dm_write(memory, &report, (bench_table_format)format, &error), BENCH_OK);
    fclose(memory);
    assert_non_null(strstr(text, "| national\\_illness | 24 | 1 | naive | 40 | 17.799 |"));
    assert_non_null(strstr(text, "\\begin{tabular}{lrrlrrr}"));
    assert_non_null(strstr(text, "<table class=\"results dm\">"));
    free(text);
    bench_dm_report_free(&report);
    assert_int_equal(bench_dm_compare(&report, "tests/data/reports/forecast", &results, "prophet", 1, &error),
                     BENCH_NOT_FOUND);
    assert_non_null(strstr(error.message, "gbrt_cov, naive, ridge"));
    bench_dm_report_free(&report);
    assert_int_equal(bench_dm_compare(&report, "tests/data/reports/hcsc", NULL, "hcsc", 1, &error), BENCH_NOT_FOUND);
    bench_dm_report_free(&report);
    bench_results_free(&results);
    json_decref(expected);
}

TEST_MAIN("reports_dm", NULL, NULL,
          cmocka_unit_test(matches_numpy_reference))
