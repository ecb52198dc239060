/* Sweeps across processes: `bench plan` writes the plan `bench run` runs, shards
 * merged give the bytes of a plain run (shards in one directory or in several),
 * and `bench merge` refuses duplicates, conflicts and rows that contradict the
 * plan and lists missing cells.  Signals, full disks and `bench slurm` scripts:
 * tests/test_sweep_signals.c; the real cluster: tests/test_sweep_slurm.c. */
#include <setjmp.h>
#include <stdarg.h>
#include <stddef.h>
#include <stdint.h>
#include <cmocka.h>
#include <dirent.h>
#include <jansson.h>
#include <signal.h>
#include <stdio.h>
#include <stdlib.h>
#include <string.h>
#include <sys/resource.h>
#include <sys/stat.h>
#include <sys/wait.h>
#include <time.h>
#include <unistd.h>

#include "support_process.h"
#include "support_sweep.h"
#include "support_bench.h"
#include "support_files.h"
#include "support_cmocka.h"


static void plan_matches_run_and_shards_merge_to_plain_bytes(void **state)
{
    (void)state;
    sweep_dirs s;
    sweep_prepare(&s, "1,2,3");
    char planned[4400];
    snprintf(planned, sizeof planned, "%s/planned", s.work);
    assert_int_equal(sweep_bench(NULL, "plan", s.config, "--out", planned, NULL), 0);
    sweep_assert_same_file(planned, s.plain, "plan.csv");
    assert_false(sweep_exists_in(planned, "results.csv"));

    /* Three shards into one directory; no shard writes a (partial) results.csv. */
    char sharded[4400];
    snprintf(sharded, sizeof sharded, "%s/sharded", s.work);
    const char *shards[] = {"0/3", "1/3", "2/3"};
    for (int i = 0; i < 3; i++) {
        assert_int_equal(sweep_bench(NULL, "run", s.config, "--out", sharded, "--quiet", "--shard", shards[i], NULL), 0);
        assert_false(sweep_exists_in(sharded, "results.csv"));
    }
    char *err = NULL;
    assert_int_equal(sweep_bench(&err, "merge", sharded, NULL), 0);
    assert_non_null(strstr(err, "18 cells"));
    free(err);
    sweep_assert_same_file(sharded, s.plain, "results.csv");
    /* Merging again changes nothing. */
    assert_int_equal(sweep_bench(NULL, "merge", sharded, "--quiet", NULL), 0);
    sweep_assert_same_file(sharded, s.plain, "results.csv");

    /* --jobs 2 and a sharded run with --jobs 2 give the same bytes too. */
    char parallel[4400];
    snprintf(parallel, sizeof parallel, "%s/parallel", s.work);
    assert_int_equal(sweep_bench(NULL, "run", s.config, "--out", parallel, "--quiet", "--jobs", "2", NULL), 0);
    sweep_assert_same_file(parallel, s.plain, "results.csv");
}

static void shards_from_separate_directories_merge(void **state)
{
    (void)state;
    sweep_dirs s;
    sweep_prepare(&s, "1,2");
    char a[4400], b[4400];
    snprintf(a, sizeof a, "%s/shard0", s.work);
    snprintf(b, sizeof b, "%s/shard1", s.work);
    assert_int_equal(sweep_bench(NULL, "run", s.config, "--out", a, "--quiet", "--shard", "0/2", NULL), 0);
    assert_int_equal(sweep_bench(NULL, "run", s.config, "--out", b, "--quiet", "--shard", "1/2", NULL), 0);
    /* final has no plan.csv of its own: it comes from the sources. */
    char final[4400];
    snprintf(final, sizeof final, "%s/final", s.work);
    assert_int_equal(mkdir(final, 0777), 0);
    assert_int_equal(sweep_bench(NULL, "merge", final, "--from", a, "--from", b, "--quiet", NULL), 0);
    sweep_assert_same_file(final, s.plain, "results.csv");
    /* run.json describes the whole sweep: every cell of the plain run, each from
     * the shard that ran it, and both shards. */
    char path[4500];
    json_error_t json_error;
    snprintf(path, sizeof path, "%s/run.json", s.plain);
    json_t *plain = json_load_file(path, 0, &json_error);
    snprintf(path, sizeof path, "%s/run.json", final);
    json_t *merged = json_load_file(path, 0, &json_error);
    assert_non_null(plain);
    assert_non_null(merged);
    json_t *cells = json_object_get(merged, "cells");
    assert_int_equal(json_array_size(cells), json_array_size(json_object_get(plain, "cells")));
    assert_true(json_array_size(cells) > 1);
    assert_int_equal(json_array_size(json_object_get(merged, "merged_from")), 2);
    size_t from_a = 0, from_b = 0;
    for (size_t i = 0; i < json_array_size(cells); i++) {
        const char *shard = json_string_value(json_object_get(json_array_get(cells, i), "shard_directory"));
        assert_non_null(shard);
        from_a += strcmp(shard, a) == 0;
        from_b += strcmp(shard, b) == 0;
        assert_string_equal(json_string_value(json_object_get(json_array_get(cells, i), "variant")),
                            json_string_value(json_object_get(json_array_get(json_object_get(plain, "cells"), i),
                                                              "variant")));
    }
    assert_true(from_a > 0 && from_b > 0 && from_a + from_b == json_array_size(cells));
    assert_null(json_object_get(merged, "wall_seconds"));
    json_decref(plain);
    json_decref(merged);

    /* One shard alone: the other's cells are missing, listed, nothing written. */
    char lonely[4400];
    snprintf(lonely, sizeof lonely, "%s/lonely", s.work);
    assert_int_equal(mkdir(lonely, 0777), 0);
    char *err = NULL;
    assert_int_equal(sweep_bench(&err, "merge", lonely, "--from", a, NULL), 1);
    assert_non_null(strstr(err, "6 of 12 cells are not finished"));
    assert_non_null(strstr(err, "seed=2"));
    assert_false(sweep_exists_in(lonely, "results.csv"));
    free(err);

    /* The same shard twice is a duplicate, refused even though the rows agree. */
    char twice[4400];
    snprintf(twice, sizeof twice, "%s/twice", s.work);
    assert_int_equal(mkdir(twice, 0777), 0);
    assert_int_equal(sweep_bench(&err, "merge", twice, "--from", a, "--from", b, "--from", a, NULL), 2);
    assert_non_null(strstr(err, "identical rows"));
    assert_false(sweep_exists_in(twice, "results.csv"));
    free(err);

    /* A shard directory of another sweep (other seeds) has another plan. */
    char other_config[4400], other[4400];
    snprintf(other_config, sizeof other_config, "%s/other.ini", s.work);
    snprintf(other, sizeof other, "%s/other", s.work);
    sweep_write_config(other_config, "7,8");
    assert_int_equal(sweep_bench(NULL, "run", other_config, "--out", other, "--quiet", "--shard", "1/2", NULL), 0);
    assert_int_equal(sweep_bench(&err, "merge", twice, "--from", a, "--from", other, NULL), 2);
    assert_non_null(strstr(err, "different sweeps"));
    free(err);
}

/* Replace the first occurrence of from by to in dir/cells/<the file of plan row row>. */
static void tamper_cell(const char *dir, size_t row, const char *from, const char *to, char id_out[17])
{
    char *plan = sweep_read_in(dir, "plan.csv", NULL);
    assert_non_null(plan);
    const char *line = plan;
    for (size_t r = 0; r <= row; r++)
        line = strchr(line, '\n') + 1;
    const char *id = strchr(line, ',') + 1;
    snprintf(id_out, 17, "%.16s", id);
    free(plan);
    char name[64];
    snprintf(name, sizeof name, "cells/%s.csv", id_out);
    char *rows = sweep_read_in(dir, name, NULL);
    assert_non_null(rows);
    char *at = strstr(rows, from);
    assert_non_null(at);
    char changed[8192];
    snprintf(changed, sizeof changed, "%.*s%s%s", (int)(at - rows), rows, to, at + strlen(from));
    char path[8800];
    snprintf(path, sizeof path, "%s/%s", dir, name);
    assert_int_equal(test_write_file(path, changed), 0);
    free(rows);
}

static void merge_refuses_conflicts_and_contradictions(void **state)
{
    (void)state;
    sweep_dirs s;
    sweep_prepare(&s, "1");
    char copy[4400], command[14000], id[17];
    snprintf(copy, sizeof copy, "%s/copy", s.work);
    char *err = NULL;

    /* A second copy of a cell with another value: conflicting duplicate. */
    snprintf(command, sizeof command, "cp -r '%s' '%s'", s.plain, copy);
    assert_int_equal(system(command), 0);
    tamper_cell(copy, 0, ",ok", "1,ok", id); /* value 0.12 -> 0.121 */
    assert_int_equal(sweep_bench(&err, "merge", s.plain, "--from", copy, NULL), 2);
    assert_non_null(strstr(err, "conflicting values"));
    assert_non_null(strstr(err, id));
    free(err);
    /* The refused merge removed plain's results.csv (no stale file looks
     * current); merging plain alone makes it again, byte for byte. */
    assert_false(sweep_exists_in(s.plain, "results.csv"));
    char *before = sweep_read_in(copy, "results.csv", NULL);
    assert_int_equal(sweep_bench(NULL, "merge", s.plain, "--quiet", NULL), 0);
    char *after = sweep_read_in(s.plain, "results.csv", NULL);
    assert_non_null(before);
    assert_non_null(after);
    assert_string_equal(before, after);
    free(before), free(after);

    /* Inside one directory: a row contradicting plan.csv, a repeated metric, a
     * row of another cell, a non-number, a bad status, a truncated last row. */
    static const struct {
        const char *from, *to, *expect;
    } cases[] = {
        {",naive,", ",naive2,", "plan.csv says 'naive'"},
        {",12,", ",13,", "plan.csv says '12'"},
        {",mae,", ",mse,", "duplicate row"},
        {",ok\n", ",okay\n", "neither ok nor error"},
        {"ok\n", NULL, "incomplete"}, /* the last row loses its newline */
    };
    for (size_t i = 0; i < sizeof cases / sizeof cases[0]; i++) {
        snprintf(command, sizeof command, "rm -rf '%s' && cp -r '%s' '%s'", copy, s.plain, copy);
        assert_int_equal(system(command), 0);
        if (cases[i].to != NULL)
            tamper_cell(copy, 0, cases[i].from, cases[i].to, id);
        else {
            tamper_cell(copy, 0, "forecast", "forecast", id);
            char path[8800];
            snprintf(path, sizeof path, "%s/cells/%s.csv", copy, id);
            size_t length = 0;
            char *rows = test_read_file(path, &length);
            rows[length - 1] = '\0';
            assert_int_equal(test_write_file(path, rows), 0);
            free(rows);
        }
        int code = sweep_bench(&err, "merge", copy, NULL);
        if (code != 2 || strstr(err, cases[i].expect) == NULL)
            fprintf(stderr, "case %zu (%s): exit %d: %s", i, cases[i].expect, code, err);
        assert_int_equal(code, 2);
        assert_non_null(strstr(err, cases[i].expect));
        assert_non_null(strstr(err, id)); /* the offending file is named */
        free(err);
        /* results.csv of the plain run was copied; a failed merge removes it, so
         * no stale file looks current. */
        assert_false(sweep_exists_in(copy, "results.csv"));
    }

    /* A row of another cell pasted into a cell's file. */
    snprintf(command, sizeof command, "rm -rf '%s' && cp -r '%s' '%s'", copy, s.plain, copy);
    assert_int_equal(system(command), 0);
    tamper_cell(copy, 0, "forecast", "forecast", id);
    /* The last data row of results.csv belongs to the last cell, not to row 0's. */
    char *results = sweep_read_in(s.plain, "results.csv", NULL);
    size_t start = strlen(results) - 1;
    while (start > 0 && results[start - 1] != '\n')
        start--;
    char path[8800];
    snprintf(path, sizeof path, "%s/cells/%s.csv", copy, id);
    char *rows = test_read_file(path, NULL);
    char *other = strdup(results + start);
    test_write_textf(path, "%s%s", rows, other);
    assert_int_equal(sweep_bench(&err, "merge", copy, NULL), 2);
    assert_non_null(strstr(err, "in the file of cell"));
    free(err), free(rows), free(other), free(results);

    /* Two plan rows with one id would share one result file. */
    snprintf(command, sizeof command, "rm -rf '%s' && cp -r '%s' '%s'", copy, s.plain, copy);
    assert_int_equal(system(command), 0);
    char *plan = sweep_read_in(copy, "plan.csv", NULL);
    char *row0 = strchr(plan, '\n') + 1, *row1 = strchr(row0, '\n') + 1;
    memcpy(row1 + 2, row0 + 2, 16); /* "1,<id of row 0>,..." */
    snprintf(path, sizeof path, "%s/plan.csv", copy);
    assert_int_equal(test_write_file(path, plan), 0);
    assert_int_equal(sweep_bench(&err, "merge", copy, NULL), 2);
    assert_non_null(strstr(err, "appears twice"));
    free(err), free(plan);

    /* No plan.csv anywhere. */
    char empty[4400];
    snprintf(empty, sizeof empty, "%s/empty", s.work);
    assert_int_equal(mkdir(empty, 0777), 0);
    assert_int_equal(sweep_bench(&err, "merge", empty, NULL), 2);
    assert_non_null(strstr(err, "plan.csv not found"));
    free(err);
}

static void bad_usage_exits_2(void **state)
{
    (void)state;
    const char *cases[][7] = {
        {"plan", NULL},
        {"plan", "configs/m4-hourly.ini", NULL},
        {"merge", NULL},
        {"slurm", "configs/m4-hourly.ini", NULL},
        {"slurm", "configs/m4-hourly.ini", "--out", "/tmp/x", "--shards", "0"},
        {"plan", "/nonexistent.ini", "--out", "/tmp/nowhere-bench-plan", NULL},
    };
    for (size_t i = 0; i < sizeof cases / sizeof cases[0]; i++)
        test_expect_usage_error(cases[i]);
}

TEST_MAIN("sweep_merge", sweep_setup, NULL,
          cmocka_unit_test(plan_matches_run_and_shards_merge_to_plain_bytes),
          cmocka_unit_test(shards_from_separate_directories_merge),
          cmocka_unit_test(merge_refuses_conflicts_and_contradictions),
          cmocka_unit_test(bad_usage_exits_2))
