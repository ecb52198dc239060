/* Malformed inputs, table-driven: each must fail with BENCH_BAD_INPUT, leave no
 * dataset behind, and say where (file:line[:column]) and what is wrong. */
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
#include <sys/stat.h>
#include <unistd.h>
#include <zlib.h>

#include "bench/rng.h"
#include "datasets/dataset.h"
#include "support_bench.h"
#include "support_files.h"
#include "support_cmocka.h"

enum { PLAIN, GZ_TRUNCATED, GZ_CORRUPT };

typedef struct malformed_case {
    const char *label;
    const char *format;            /* csv_dated unless set */
    const char *file, *content;
    int special;                   /* PLAIN, or how to damage a gzip of content */
    const char *test_file, *test_content; /* M4's second file */
    const char *date_column;       /* csv_dated: "date" unless set */
    const char *timestamp_format;
    double step_seconds;           /* 3600 unless set; -1 means none */
    const char *missing_policy;
    const char *columns;
    const char *start_date;
    const char *frequency;         /* with step_seconds -1: a calendar grid */
    const char *where;             /* expected "file:line[:column]" */
    const char *problem;           /* expected wording */
} malformed_case;

#define T0 "2020-01-01 00:00:00"
#define T1 "2020-01-01 01:00:00"
#define T2 "2020-01-01 02:00:00"

static const malformed_case cases[] = {
    {.label = "ragged row", .file = "ragged.csv", .content = "date,a,b\n" T0 ",1,2\n" T1 ",1\n",
     .where = "ragged.csv:3:", .problem = "ragged row: 2 fields, the header has 3"},
    {.label = "non-numeric cell", .file = "nonnum.csv", .content = "date,a\n" T0 ",abc\n",
     .where = "nonnum.csv:2:2:", .problem = "non-numeric cell 'abc' in column 'a'"},
    {.label = "NaN without policy", .file = "nan.csv", .content = "date,a\n" T0 ",1\n" T1 ",NaN\n",
     .where = "nan.csv:3:2:", .problem = "missing value ('NaN')"},
    {.label = "empty cell without policy", .file = "hole.csv", .content = "date,a,b\n" T0 ",,2\n",
     .where = "hole.csv:2:2:", .problem = "declares no missing-value policy"},
    {.label = "infinity", .file = "inf.csv", .content = "date,a\n" T0 ",-inf\n",
     .where = "inf.csv:2:2:", .problem = "infinite value '-inf'"},
    {.label = "overflow to infinity", .file = "overflow.csv", .content = "date,a\n" T0 ",1e999\n",
     .where = "overflow.csv:2:2:", .problem = "infinite value '1e999'"},
    {.label = "empty file", .file = "empty.csv", .content = "",
     .where = "empty.csv:1:", .problem = "file is empty"},
    {.label = "blank lines only", .file = "blank.csv", .content = "\n  \n\n",
     .where = "blank.csv:1:", .problem = "file is empty"},
    {.label = "header only", .file = "header.csv", .content = "date,a,b\n",
     .where = "header.csv:2:", .problem = "header only, no data rows"},
    {.label = "missing date column", .file = "nodate.csv", .content = "time,a\n" T0 ",1\n",
     .where = "nodate.csv:1:", .problem = "missing date column 'date' in the header (columns: time, a)"},
    {.label = "unparsable date", .file = "baddate.csv", .content = "date,a\n2020-13-45 00:00:00,1\n",
     .where = "baddate.csv:2:1:", .problem = "unparsable date '2020-13-45 00:00:00'"},
    {.label = "impossible calendar date", .file = "feb30.csv", .content = "date,a\n2021-02-30 00:00:00,1\n",
     .where = "feb30.csv:2:1:", .problem = "unparsable date"},
    {.label = "non-monotonic timestamps", .file = "backwards.csv", .content = "date,a\n" T1 ",1\n" T0 ",2\n",
     .where = "backwards.csv:3:", .problem = "timestamps not increasing"},
    {.label = "duplicate timestamp", .file = "duplicate.csv", .content = "date,a\n" T0 ",1\n" T0 ",2\n",
     .where = "duplicate.csv:3:", .problem = "non-monotonic or duplicate"},
    {.label = "gap without policy", .file = "gap.csv", .content = "date,a\n" T0 ",1\n" T2 ",2\n",
     .where = "gap.csv:3:", .problem = "1 missing timestamp(s)"},
    {.label = "off the regular grid", .file = "offgrid.csv", .content = "date,a\n" T0 ",1\n2020-01-01 00:30:00,2\n",
     .where = "offgrid.csv:3:", .problem = "not a multiple of the 3600 s step"},
    {.label = "monthly gap without policy", .file = "monthgap.csv",
     .content = "date,a\n2020-01-01,1\n2020-02-01,2\n2020-05-01,3\n", .timestamp_format = "%Y-%m-%d",
     .step_seconds = -1, .frequency = "monthly", .where = "monthgap.csv:4:", .problem = "2 missing timestamp(s)"},
    {.label = "two rows in one month", .file = "samemonth.csv",
     .content = "date,a\n2020-01-01,1\n2020-01-15,2\n", .timestamp_format = "%Y-%m-%d",
     .step_seconds = -1, .frequency = "monthly", .where = "samemonth.csv:3:", .problem = "off the regular grid"},
    {.label = "quarter off the grid", .file = "quarter.csv",
     .content = "date,a\n2020-01-01,1\n2020-03-01,2\n", .timestamp_format = "%Y-%m-%d",
     .step_seconds = -1, .frequency = "quarterly", .where = "quarter.csv:3:", .problem = "3-month step"},
    {.label = "malformed quoting", .file = "quotes.csv", .content = "date,a\n" T0 ",\"1\"2\n",
     .where = "quotes.csv:2:", .problem = "malformed CSV"},
    {.label = "unterminated quote at end of file", .file = "openquote.csv", .content = "date,a\n" T0 ",\"12\n",
     .where = "openquote.csv:2:", .problem = "malformed CSV"},
    {.label = "column that does not exist", .file = "nocol.csv", .content = "date,a\n" T0 ",1\n", .columns = "a,zz",
     .where = "nocol.csv:1:", .problem = "missing column 'zz'"},
    {.label = "policy but no value at all", .file = "allempty.csv", .content = "date,a,b\n" T0 ",1,\n" T1 ",2,\n",
     .missing_policy = "interpolate", .where = "allempty.csv:", .problem = "column 'b' has no values at all"},
    {.label = "unknown missing policy", .file = "policy.csv", .content = "date,a\n" T0 ",1\n", .missing_policy = "ffill",
     .where = "malformed: unknown", .problem = "unknown missing_policy 'ffill'"},
    {.label = "bad synthetic start date", .format = "lstnet", .file = "start.txt", .content = "1,2\n",
     .start_date = "01/01/1990", .where = "malformed: start_date", .problem = "is not YYYY-MM-DD"},
    {.label = "truncated gzip", .format = "lstnet", .file = "truncated.txt.gz", .special = GZ_TRUNCATED,
     .where = "truncated.txt.gz:", .problem = "truncated gzip"},
    {.label = "corrupt gzip", .format = "lstnet", .file = "corrupt.txt.gz", .special = GZ_CORRUPT,
     .where = "corrupt.txt.gz:", .problem = "gzip"},
    {.label = "LSTNet ragged row", .format = "lstnet", .file = "lstragged.txt", .content = "1,2,3\n4,5,6\n7,8\n",
     .where = "lstragged.txt:3:", .problem = "ragged row: 2 fields, the first row has 3"},
    {.label = "LSTNet non-numeric", .format = "lstnet", .file = "lstword.txt", .content = "1,2\n3,x\n",
     .where = "lstword.txt:2:2:", .problem = "non-numeric cell 'x'"},
    {.label = "LSTNet empty cell", .format = "lstnet", .file = "lsthole.txt", .content = "1,2\n,4\n",
     .where = "lsthole.txt:2:1:", .problem = "missing value"},
    {.label = "M4 hole inside a series", .format = "m4", .file = "m4hole.csv",
     .content = "\"V1\",\"V2\",\"V3\",\"V4\"\n\"H1\",\"1\",\"\",\"3\"\n",
     .test_file = "m4hole-test.csv", .test_content = "\"V1\",\"V2\"\n\"H1\",\"4\"\n",
     .where = "m4hole.csv:2:3:", .problem = "empty cell inside series 'H1'"},
    {.label = "M4 test rows out of order", .format = "m4", .file = "m4order.csv",
     .content = "\"V1\",\"V2\"\n\"H1\",\"1\"\n\"H2\",\"2\"\n",
     .test_file = "m4order-test.csv", .test_content = "\"V1\",\"V2\"\n\"H2\",\"4\"\n\"H1\",\"3\"\n",
     .where = "m4order-test.csv:2:", .problem = "series 'H2', but train row 1 is 'H1'"},
    {.label = "M4 test file short", .format = "m4", .file = "m4short.csv",
     .content = "\"V1\",\"V2\"\n\"H1\",\"1\"\n\"H2\",\"2\"\n",
     .test_file = "m4short-test.csv", .test_content = "\"V1\",\"V2\"\n\"H1\",\"3\"\n",
     .where = "m4short-test.csv:", .problem = "1 series, but the train file"},
    {.label = "M4 series without values", .format = "m4", .file = "m4none.csv",
     .content = "\"V1\",\"V2\",\"V3\"\n\"H1\",\"\",\"\"\n",
     .test_file = "m4none-test.csv", .test_content = "\"V1\",\"V2\"\n\"H1\",\"3\"\n",
     .where = "m4none.csv:2:", .problem = "series 'H1' has no values"},
    {.label = "long format going back in time", .format = "long", .file = "longback.csv",
     .content = "series_id,timestamp,value\na," T0 ",1\nb," T0 ",1\na," T1 ",2\na," T0 ",3\n",
     .where = "longback.csv:5:", .problem = "timestamps not increasing"},
    {.label = "long format missing value column", .format = "long", .file = "longcol.csv",
     .content = "series_id,timestamp,y\na," T0 ",1\n",
     .where = "longcol.csv:1:", .problem = "missing column 'value'"},
    {.label = "long format empty id", .format = "long", .file = "longid.csv",
     .content = "series_id,timestamp,value\n," T0 ",1\n",
     .where = "longid.csv:2:1:", .problem = "empty series id"},
};

/* A gzip of a few thousand LSTNet rows, then damaged as the case asks. */
static void write_damaged_gzip(const char *path, int special)
{
    gzFile out = gzopen(path, "wb6");
    assert_non_null(out);
    for (int i = 0; i < 3000; i++)
        gzprintf(out, "%d.%03d,%d.5,%d\n", i, (i * 37) % 1000, i * 7, i % 13);
    assert_int_equal(gzclose(out), Z_OK);
    struct stat info;
    assert_int_equal(stat(path, &info), 0);
    assert_true(info.st_size > 200);
    if (special == GZ_TRUNCATED) {
        assert_int_equal(truncate(path, info.st_size / 2), 0);
        return;
    }
    FILE *file = fopen(path, "r+b");
    assert_non_null(file);
    fseek(file, info.st_size / 2, SEEK_SET);
    for (int i = 0; i < 16; i++)
        fputc(0xA5 ^ i, file);
    fclose(file);
}

static void every_malformed_input_is_named(void **state)
{
    (void)state;
    size_t count = sizeof cases / sizeof cases[0];
    assert_true(count >= 15);
    const char *dir = test_temp_dir();
    assert_non_null(dir);
    int failures = 0;
    for (size_t i = 0; i < count; i++) {
        const malformed_case *c = &cases[i];
        char path[PATH_MAX], test_path[PATH_MAX];
        snprintf(path, sizeof path, "%s/%s", dir, c->file);
        if (c->special != PLAIN)
            write_damaged_gzip(path, c->special);
        else
            assert_int_equal(test_write_file(path, c->content), 0);
        if (c->test_file) {
            snprintf(test_path, sizeof test_path, "%s/%s", dir, c->test_file);
            assert_int_equal(test_write_file(test_path, c->test_content), 0);
        }
        const char *format = c->format ? c->format : "csv_dated";
        bench_dataset_info info = {
            .name = "malformed",
            .format = format,
            .date_column = !strcmp(format, "csv_dated") ? (c->date_column ? c->date_column : "date") : NULL,
            .timestamp_format = c->timestamp_format,
            .step_seconds = c->step_seconds < 0 ? 0 : c->step_seconds > 0 ? c->step_seconds : 3600,
            .missing_policy = c->missing_policy,
            .columns = c->columns,
            .start_date = c->start_date,
            .frequency = c->frequency,
        };
        const char *paths[2] = {path, c->test_file ? test_path : NULL};
        bench_dataset *dataset = (bench_dataset *)&info; /* must come back NULL */
        bench_error error = {0};
        int status = bench_dataset_load_path(&dataset, &info, paths, &error);
        int ok = status == BENCH_BAD_INPUT && dataset == NULL && strstr(error.message, c->where) != NULL &&
                 strstr(error.message, c->problem) != NULL;
        printf("%-4s %-36s -> %s\n", ok ? "ok" : "FAIL", c->label, error.message);
        if (!ok) {
            failures++;
            printf("     expected status %d, got %d; wanted '%s' and '%s'\n", BENCH_BAD_INPUT, status, c->where,
                   c->problem);
            if (status == BENCH_OK)
                bench_dataset_free(dataset);
        }
    }
    test_remove_tree(dir);
    assert_int_equal(failures, 0);
}

/* Random byte edits of every fixture (seeded, so reproducible): a reader may
 * accept or reject the result, but only with OK or BAD_INPUT, never a crash,
 * and what it accepts is sane.  Worth most under ASan/UBSan. */
static void mutated_fixtures_fail_cleanly(void **state)
{
    (void)state;
    static const struct {
        const char *file, *second;
        bench_dataset_info info;
    } subjects[] = {
        {"ett_tiny.csv", NULL, {.name = "m", .format = "csv_dated", .date_column = "date", .step_seconds = 3600}},
        {"co2_like.csv", NULL,
         {.name = "m", .format = "csv_dated", .date_column = "date", .timestamp_format = "%Y%m%d",
          .step_seconds = 604800, .missing_policy = "interpolate"}},
        {"lstnet_tiny.txt", NULL, {.name = "m", .format = "lstnet", .step_seconds = 86400, .start_date = "1990-01-01"}},
        {"m4_train.csv", "m4_test.csv", {.name = "m", .format = "m4"}},
        {"long_tiny.csv", NULL, {.name = "m", .format = "long", .step_seconds = 3600, .missing_policy = "interpolate"}},
    };
    const char *symbols = ",;\"\n\r \t0123456789.-eE:/naNiIfF";
    char dir[512];
    snprintf(dir, sizeof dir, "%s", test_temp_dir());
    bench_rng rng;
    bench_rng_seed(&rng, 20240601);
    size_t accepted = 0, rejected = 0;
    for (size_t k = 0; k < sizeof subjects / sizeof subjects[0]; k++) {
        char source[PATH_MAX], second[PATH_MAX], path[PATH_MAX];
        snprintf(source, sizeof source, "%s/tests/data/datasets/%s", test_source_dir(), subjects[k].file);
        if (subjects[k].second)
            snprintf(second, sizeof second, "%s/tests/data/datasets/%s", test_source_dir(), subjects[k].second);
        size_t length;
        char *original = test_read_file(source, &length);
        assert_non_null(original);
        char *text = malloc(length + 8);
        assert_non_null(text);
        snprintf(path, sizeof path, "%s/mutant", dir);
        for (int round = 0; round < 150; round++) {
            memcpy(text, original, length + 1);
            size_t edits = 1 + bench_rng_below(&rng, 3);
            size_t current = length;
            for (size_t e = 0; e < edits && current > 0; e++) {
                size_t at = bench_rng_below(&rng, current);
                switch (bench_rng_below(&rng, 3)) {
                case 0: /* replace */
                    text[at] = symbols[bench_rng_below(&rng, strlen(symbols))];
                    break;
                case 1: /* delete */
                    memmove(text + at, text + at + 1, current - at);
                    current--;
                    break;
                default: /* cut the file short */
                    text[at] = '\0';
                    current = at;
                    break;
                }
            }
            text[current] = '\0';
            assert_int_equal(test_write_file(path, text), 0);
            const char *paths[2] = {path, subjects[k].second ? second : NULL};
            bench_dataset *d = NULL;
            bench_error error = {0};
            int status = bench_dataset_load_path(&d, &subjects[k].info, paths, &error);
            if (status != BENCH_OK && status != BENCH_BAD_INPUT)
                fail_msg("%s round %d: status %d: %s", subjects[k].file, round, status, error.message);
            if (status == BENCH_BAD_INPUT) {
                assert_null(d);
                assert_true(strstr(error.message, "mutant") != NULL || strstr(error.message, "m4_test") != NULL);
                rejected++;
                continue;
            }
            accepted++;
            assert_true(d->series_count > 0);
            for (size_t s = 0; s < d->series_count; s++) {
                assert_true(d->series[s].length > 0);
                for (size_t t = 0; t < d->series[s].length; t++)
                    assert_true(isfinite(d->series[s].values[t]));
            }
            bench_dataset_free(d);
        }
        free(text);
        free(original);
    }
    printf("mutants: %zu accepted, %zu rejected with a message naming the file\n", accepted, rejected);
    assert_true(rejected > 0);
    test_remove_tree(dir);
}

/* The CLI turns a malformed registered file into exit 2 with the message. */
static void verify_command_reports_bad_file(void **state)
{
    (void)state;
    test_need_bench();
    const char *binary = test_bench_binary();
    char dir[512], path[PATH_MAX], env_path[600], env_dir[600];
    snprintf(dir, sizeof dir, "%s", test_temp_dir());
    snprintf(path, sizeof path, "%s/nile.csv", dir);
    assert_int_equal(test_write_file(path, "year,volume\n1871,1120\n1872,oops\n"), 0);
    snprintf(env_path, sizeof env_path, "BENCH_DATA_PATH=%s", dir);
    snprintf(env_dir, sizeof env_dir, "BENCH_DATA_DIR=%s/cache", dir);
    const char *env[] = {env_path, env_dir, NULL};
    const char *argv[] = {binary, "data", "verify", "nile", NULL};
    test_process_result result;
    assert_int_equal(test_process_run(&result, argv, NULL, env), 0);
    assert_int_equal(result.exit_code, 2);
    assert_non_null(strstr(result.out, "CHECKSUM MISMATCH"));
    assert_non_null(strstr(result.err, "nile.csv:3:2: non-numeric cell 'oops'"));
    test_process_free(&result);

    /* list shows the file found through BENCH_DATA_PATH as present. */
    const char *list_argv[] = {binary, "data", "list", NULL};
    assert_int_equal(test_process_run(&result, list_argv, NULL, env), 0);
    assert_int_equal(result.exit_code, 0);
    assert_non_null(strstr(result.out, "name "));
    assert_non_null(strstr(result.out, "present"));
    const char *nile_row = strstr(result.out, "\nnile ");
    assert_non_null(nile_row);
    assert_non_null(strstr(nile_row, "path     deb:python3-statsmodels"));
    assert_non_null(strstr(result.out, "\nm4_hourly "));
    test_process_free(&result);

    const char *bad_action_argv[] = {binary, "data", "frobnicate", NULL};
    assert_int_equal(test_process_run(&result, bad_action_argv, NULL, env), 0);
    assert_int_equal(result.exit_code, 2);
    assert_non_null(strstr(result.err, "unknown action 'frobnicate'"));
    test_process_free(&result);

    const char *path_argv[] = {binary, "data", "path", "ETTh2", NULL};
    assert_int_equal(test_process_run(&result, path_argv, NULL, env), 0);
    assert_int_equal(result.exit_code, 2);
    assert_non_null(strstr(result.err, "bench data fetch ETTh2"));
    test_process_free(&result);

    const char *unknown_argv[] = {binary, "data", "fetch", "no_such_data", NULL};
    assert_int_equal(test_process_run(&result, unknown_argv, NULL, env), 0);
    assert_int_equal(result.exit_code, 2);
    assert_non_null(strstr(result.err, "unknown dataset 'no_such_data'"));
    test_process_free(&result);
    test_remove_tree(dir);
}

TEST_MAIN("datasets_malformed", NULL, NULL,
          cmocka_unit_test(every_malformed_input_is_named),
          cmocka_unit_test(mutated_fixtures_fail_cleanly),
          cmocka_unit_test(verify_command_reports_bad_file))
