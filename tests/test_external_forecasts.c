/* Forecasts made elsewhere, scored like any model (issue 19): a built-in
 * model's exported predictions, read back through `forecasts = PATH`, give the
 * same metrics within 1e-9 (matched by origin index or by origin time, in the
 * series' units or the protocol's scale), and files that do not fit the
 * protocol's windows are bad input: exit 2 with the file, line and problem,
 * and nothing written. */
#include <setjmp.h>
#include <stdarg.h>
#include <stddef.h>
#include <stdint.h>
#include <cmocka.h>
#include <math.h>
#include <stdio.h>
#include <stdlib.h>
#include <string.h>
#include <unistd.h>

#include "support_process.h"
#include "support_sweep.h"
#include "support_files.h"
#include "support_cmocka.h"

static char work[4200], exported[4800], ridge_id[17];

/* tiny.ini beside the data: ridge, and optionally an external section. */
static void write_config(const char *name, int horizon, const char *external_section)
{
    char path[4600];
    snprintf(path, sizeof path, "%s/%s", work, name);
    test_write_textf(path,
                     "[run]\nseeds = 1\n\n[dataset tiny]\npath = %s\nstep_seconds = 3600\nseasonal_period = 24\n"
                     "protocol = ltsf\nlookback = 48\nhorizons = %d\n\n[model ridge]\n%s",
                     sweep_hourly_csv, horizon, external_section ? external_section : "");
}

static int setup(void **state)
{
    if (sweep_setup(state) != 0)
        return -1;
    snprintf(work, sizeof work, "%s", test_temp_dir());
    /* ridge's forecasts, exported by the harness. */
    write_config("export.ini", 12, NULL);
    char config[4600], out[4600];
    snprintf(config, sizeof config, "%s/export.ini", work);
    snprintf(out, sizeof out, "%s/export", work);
    if (sweep_bench(NULL, "run", config, "--out", out, "--quiet", "--predictions", NULL) != 0)
        return -1;
    char *results = sweep_read_in(out, "results.csv", NULL);
    if (results == NULL)
        return -1;
    snprintf(ridge_id, sizeof ridge_id, "%.16s", strchr(results, '\n') + 1);
    free(results);
    snprintf(exported, sizeof exported, "%s/predictions/%s.csv", out, ridge_id);
    return access(exported, R_OK);
}

/* Every metric row of variant `exported` equals ridge's within a relative 1e-9. */
static void assert_same_metrics(const char *dir)
{
    char *results = sweep_read_in(dir, "results.csv", NULL);
    assert_non_null(results);
    size_t compared = 0;
    for (char *line = strtok(results, "\n"); line != NULL; line = strtok(NULL, "\n")) {
        char copy[512];
        snprintf(copy, sizeof copy, "%s", line);
        char *fields[11];
        size_t count = 0;
        for (char *cursor = copy, *field; count < 11 && (field = strsep(&cursor, ",")) != NULL;)
            fields[count++] = field;
        if (count != 11 || strcmp(fields[5], "exported") != 0)
            continue;
        assert_string_equal(fields[4], "external");
        assert_string_equal(fields[10], "ok");
        /* ridge's value for the same metric, from the exporting run. */
        char *reference = sweep_read_in(work, "export/results.csv", NULL);
        assert_non_null(reference);
        char needle[128];
        snprintf(needle, sizeof needle, ",ridge,ridge,12,1,%s,", fields[8]);
        char *at = strstr(reference, needle);
        assert_non_null(at);
        double expected = strtod(at + strlen(needle), NULL), got = strtod(fields[9], NULL);
        if (fabs(got - expected) > 1e-9 * fabs(expected))
            fail_msg("%s: %.17g scored back, %.17g from ridge", fields[8], got, expected);
        free(reference);
        compared++;
    }
    free(results);
    assert_true(compared >= 2); /* mse and mae at least */
}

static void run_external(const char *name, const char *section, int expected_exit, const char *expect, char **err_out)
{
    write_config(name, 12, section);
    char config[4600], out[4600];
    snprintf(config, sizeof config, "%s/%s", work, name);
    snprintf(out, sizeof out, "%s/out-%s", work, name);
    test_shell("rm -rf '%s'", out);
    char *err = NULL;
    int code = sweep_bench(&err, "run", config, "--out", out, "--quiet", NULL);
    if (code != expected_exit || (expect != NULL && strstr(err, expect) == NULL))
        fail_msg("%s: exit %d (expected %d), stderr: %s (expected '%s')", name, code, expected_exit, err,
                 expect ? expect : "");
    if (expected_exit == 2)
        assert_int_not_equal(access(out, F_OK), 0); /* refused before anything is written */
    if (err_out != NULL)
        *err_out = err;
    else
        free(err);
}

static void exported_predictions_score_back_identically(void **state)
{
    (void)state;
    char section[5200];
    snprintf(section, sizeof section, "[model exported]\nforecasts = %s\n", exported);
    run_external("roundtrip.ini", section, 0, NULL, NULL);
    char out[4600];
    snprintf(out, sizeof out, "%s/out-roundtrip.ini", work);
    assert_same_metrics(out);
    /* run.json names the file and its checksum. */
    char *run = sweep_read_in(out, "run.json", NULL);
    assert_non_null(run);
    assert_non_null(strstr(run, "\"forecasts\": {"));
    assert_non_null(strstr(run, "\"sha256\": \""));
    free(run);

    /* Matched by origin time instead of index, and in the protocol's scale. */
    char by_time[4600], scaled[4600];
    snprintf(by_time, sizeof by_time, "%s/by_time.csv", work);
    snprintf(scaled, sizeof scaled, "%s/scaled.csv", work);
    test_shell("cut -d, -f2,4,7,8,11 '%s' > '%s'", exported, by_time); /* series,step,dataset,origin_time,prediction_original */
    test_shell("cut -d, -f2,3,4,6 '%s' > '%s'", exported, scaled);     /* series,origin,step,prediction */
    snprintf(section, sizeof section, "[model exported]\nforecasts = %s\n", by_time);
    run_external("by_time.ini", section, 0, NULL, NULL);
    snprintf(out, sizeof out, "%s/out-by_time.ini", work);
    assert_same_metrics(out);
    snprintf(section, sizeof section, "[model exported]\nforecasts = %s\n", scaled);
    run_external("scaled.ini", section, 0, NULL, NULL);
    snprintf(out, sizeof out, "%s/out-scaled.ini", work);
    assert_same_metrics(out);
}

/* A copy of the exported file changed by an awk program (header kept). */
static const char *variant_file(const char *name, const char *awk_program)
{
    static char path[4600];
    snprintf(path, sizeof path, "%s/%s.csv", work, name);
    test_shell("awk -F, -v OFS=, '%s' '%s' > '%s'", awk_program, exported, path);
    return path;
}

static void files_that_do_not_fit_are_refused(void **state)
{
    (void)state;
    static const struct {
        const char *name, *awk, *expect;
    } cases[] = {
        /* The second forecast row gone: its window lacks a step. */
        {"missing", "NR == 1 || $4 <= 0 || ++n != 2", "no forecast for series 'load', origin 480 (window 0), step 2"},
        {"beyond_horizon", "{ print } NR == 100 && $4 > 0 { $4 = 13; print }", "step 13 is beyond the horizon 12"},
        {"misaligned_time", "NR > 1 && $4 == 1 && ++n == 1 { sub(/:00:00Z/, \":30:00Z\", $8) } { print }",
         "is not a time of series 'load' (misaligned timestamps?)"},
        {"nan", "NR > 1 && $4 == 3 && ++n == 1 { $11 = \"NaN\" } { print }", "the forecast 'NaN' is not a finite number"},
        {"empty_value", "NR > 1 && $4 == 3 && ++n == 1 { $11 = \"\" } { print }", "the forecast '' is not a finite number"},
        {"unknown_series", "NR > 1 && $4 == 1 && ++n == 1 { $2 = \"nosuch\" } { print }",
         "series 'nosuch' is not a series of dataset tiny"},
        {"duplicate", "{ print } NR == 200 && $4 > 0 { print }", "a second forecast for series"},
        {"other_dataset", "NR > 1 && $4 == 1 && ++n == 1 { $7 = \"ETTh1\" } { print }", "a row of dataset 'ETTh1', not 'tiny'"},
        {"misaligned_origin", "NR > 1 && $4 > 0 { $3 = $3 + 1 } { print }", "is not a forecast window of this cell's protocol"},
    };
    for (size_t i = 0; i < sizeof cases / sizeof cases[0]; i++) {
        const char *path = variant_file(cases[i].name, cases[i].awk);
        /* By time for the misaligned-time case (the origin index would match). */
        char target[4700];
        if (strcmp(cases[i].name, "misaligned_time") == 0) {
            snprintf(target, sizeof target, "%s/misaligned_time_by_time.csv", work);
            test_shell("cut -d, -f2,4,7,8,11 '%s' > '%s'", path, target);
            path = target;
        }
        char section[5200], name[128];
        snprintf(section, sizeof section, "[model exported]\nforecasts = %s\n", path);
        snprintf(name, sizeof name, "bad_%s.ini", cases[i].name);
        char *err = NULL;
        run_external(name, section, 2, cases[i].expect, &err);
        /* The message names the config line and the file. */
        assert_non_null(strstr(err, ".ini:14: [model exported]"));
        assert_non_null(strstr(err, path));
        free(err);
    }
    /* A file that is not there, and a section that also names a model. */
    run_external("absent.ini", "[model exported]\nforecasts = nowhere/{seed}.csv\n", 2,
                 "[model exported] seed 1: forecasts file", NULL);
    char section[5200];
    snprintf(section, sizeof section, "[model exported]\nmodel = ridge\nforecasts = %s\n", exported);
    run_external("with_model.ini", section, 2, "the section runs no model", NULL);
}

/* The cell id hashes the file: other forecasts, another id. */
static void the_cell_id_follows_the_file(void **state)
{
    (void)state;
    char section[5200];
    snprintf(section, sizeof section, "[model exported]\nforecasts = %s\n", exported);
    run_external("id_a.ini", section, 0, NULL, NULL);
    const char *changed = variant_file("changed", "NR > 1 && $4 == 1 && ++n == 1 { $11 = $11 + 1 } { print }");
    snprintf(section, sizeof section, "[model exported]\nforecasts = %s\n", changed);
    run_external("id_b.ini", section, 0, NULL, NULL);
    char *a = sweep_read_in(work, "out-id_a.ini/plan.csv", NULL), *b = sweep_read_in(work, "out-id_b.ini/plan.csv", NULL);
    assert_non_null(a);
    assert_non_null(b);
    /* Row 1 (ridge) keeps its id; row 2 (exported) changes. */
    const char *a2 = strchr(strchr(a, '\n') + 1, '\n') + 1, *b2 = strchr(strchr(b, '\n') + 1, '\n') + 1;
    assert_memory_equal(strchr(a, '\n') + 1, strchr(b, '\n') + 1, 20);
    assert_memory_not_equal(a2, b2, 20);
    free(a), free(b);
}

TEST_MAIN("external_forecasts", setup, NULL,
          cmocka_unit_test(exported_predictions_score_back_identically),
          cmocka_unit_test(files_that_do_not_fit_are_refused),
          cmocka_unit_test(the_cell_id_follows_the_file))
