/* Results you can trust (issue 17): a table of bad inputs and faults, each run
 * through the real bench binary and checked for its exit code, its message and
 * what it leaves on disk (above all: no results.csv unless it is complete and
 * right), plus the two faults that need timing: a worker killed from outside
 * and resumed, and two runs racing for one directory.
 *
 * Every case starts from a fresh directory {out}; some start from a copy of a
 * complete plain run ({plain}) and damage one cell first. */
#include <setjmp.h>
#include <stdarg.h>
#include <stddef.h>
#include <stdint.h>
#include <cmocka.h>
#include <fcntl.h>
#include <signal.h>
#include <stdio.h>
#include <stdlib.h>
#include <string.h>
#include <sys/file.h>
#include <sys/stat.h>
#include <sys/wait.h>
#include <time.h>
#include <unistd.h>

#include "support_process.h"
#include "support_sweep.h"
#include "support_files.h"
#include "support_bench.h"
#include "support_cmocka.h"

#if defined(__SANITIZE_ADDRESS__)
#define UNDER_ASAN 1
#elif defined(__has_feature)
#if __has_feature(address_sanitizer)
#define UNDER_ASAN 1
#endif
#endif
#ifndef UNDER_ASAN
#define UNDER_ASAN 0
#endif

#define FAULTS 7

/* The test's work directory (apart from env: snprintf from one field of env
 * into another is an aliasing warning at -O1). */
static char work_dir[4200];

static struct {
    char config[4400];          /* tiny.ini: naive, seasonal_naive, mean; horizons 12, 24; seed 1 */
    char faulty_config[4400];   /* naive + the faulty plugin's model; horizon 12; seed 1 */
    char plain[4400];           /* a complete run of config */
    char faulty_plain[4400];    /* a complete run of faulty_config with FAULT=0 */
    char plugin[FAULTS][4400];  /* faulty.so built with -DFAULT=n */
    char hostile_config[4400];  /* series whose names are hostile in every output language */
    char marker[4400];          /* created only if a name were ever run as a shell command */
    char case_config[4400];     /* the case's own configuration (trust_case.config) */
    char out[4400];             /* the case's directory */
    int lock_fd;                /* a lock the test holds on {out}, or -1 */
} env = {.lock_fd = -1};

static void compile_plugin(int fault)
{
    char include[4200], define[32], source[4200];
    snprintf(include, sizeof include, "-I%s/include", test_source_dir());
    snprintf(define, sizeof define, "-DFAULT=%d", fault);
    snprintf(source, sizeof source, "%s/tests/data/plugins/faulty.c", test_source_dir());
    snprintf(env.plugin[fault], sizeof env.plugin[fault], "%s/faulty%d.so", work_dir, fault);
    const char *argv[] = {"cc", "-std=c11", "-shared", "-fPIC", include, define, source, "-o", env.plugin[fault], NULL};
    test_process_result result;
    assert_int_equal(test_process_run(&result, argv, NULL, NULL), 0);
    if (result.exit_code != 0)
        fprintf(stderr, "compiling %s failed:\n%s", source, result.err);
    assert_int_equal(result.exit_code, 0);
    test_process_free(&result);
}

static int group_setup(void **state)
{
    if (sweep_setup(state) != 0)
        return -1;
    snprintf(work_dir, sizeof work_dir, "%s", test_temp_dir());
    snprintf(env.config, sizeof env.config, "%s/tiny.ini", work_dir);
    snprintf(env.faulty_config, sizeof env.faulty_config, "%s/faulty.ini", work_dir);
    snprintf(env.plain, sizeof env.plain, "%s/plain", work_dir);
    snprintf(env.faulty_plain, sizeof env.faulty_plain, "%s/faulty_plain", work_dir);
    sweep_write_config(env.config, "1");
    char text[8192];
    snprintf(text, sizeof text,
             "[run]\nseeds = 1\n\n[dataset tiny]\npath = %s\nstep_seconds = 3600\nseasonal_period = 24\n"
             "protocol = ltsf\nlookback = 48\nhorizons = 12\n\n[model naive]\n[model faulty]\n",
             sweep_hourly_csv);
    if (test_write_file(env.faulty_config, text) != 0)
        return -1;
    for (int f = 0; f < FAULTS; f++)
        compile_plugin(f);
    if (sweep_bench(NULL, "run", env.config, "--out", env.plain, "--quiet", NULL) != 0 ||
        sweep_bench(NULL, "run", env.faulty_config, "--out", env.faulty_plain, "--quiet", "--plugin", env.plugin[0],
                    NULL) != 0)
        return -1;
    return 0;
}

/* ---- preparations ----------------------------------------------------------- */

static char *first_cell_id(const char *dir)
{
    static char id[17];
    char *plan = sweep_read_in(dir, "plan.csv", NULL);
    assert_non_null(plan);
    const char *row = strchr(plan, '\n') + 1;
    snprintf(id, sizeof id, "%.16s", strchr(row, ',') + 1);
    free(plan);
    return id;
}

static void copy_plain(void) { test_shell("rm -rf '%s' && cp -r '%s' '%s'", env.out, env.plain, env.out); }

static void write_cell(const char *suffix, const char *text)
{
    char path[8800];
    snprintf(path, sizeof path, "%s/cells/%s%s", env.out, first_cell_id(env.out), suffix);
    assert_int_equal(test_write_file(path, text), 0);
}

/* Replace the first occurrence of from by to in the first cell's file. */
static void edit_cell(const char *suffix, const char *from, const char *to)
{
    char name[64];
    snprintf(name, sizeof name, "cells/%s%s", first_cell_id(env.out), suffix);
    char *text = sweep_read_in(env.out, name, NULL);
    assert_non_null(text);
    char *at = strstr(text, from);
    assert_non_null(at);
    char changed[16384];
    snprintf(changed, sizeof changed, "%.*s%s%s", (int)(at - text), text, to, at + strlen(from));
    write_cell(suffix, changed);
    free(text);
}

/* Drop the row of one metric from the first cell. */
static void drop_metric_row(const char *metric)
{
    char name[64];
    snprintf(name, sizeof name, "cells/%s.csv", first_cell_id(env.out));
    char *text = sweep_read_in(env.out, name, NULL);
    assert_non_null(text);
    char needle[64], kept[16384] = "";
    snprintf(needle, sizeof needle, ",%s,", metric);
    for (char *line = strtok(text, "\n"); line != NULL; line = strtok(NULL, "\n"))
        if (strstr(line, needle) == NULL)
            snprintf(kept + strlen(kept), sizeof kept - strlen(kept), "%s\n", line);
    write_cell(".csv", kept);
    free(text);
}

static void hold_lock(int exclusive)
{
    test_shell("mkdir -p '%s'", env.out);
    char path[8800];
    snprintf(path, sizeof path, "%s/.bench.lock", env.out);
    env.lock_fd = open(path, O_RDWR | O_CREAT | O_CLOEXEC, 0644);
    assert_true(env.lock_fd >= 0);
    assert_int_equal(flock(env.lock_fd, exclusive ? LOCK_EX : LOCK_SH), 0);
    const char *line = "pid 424242 (bench run elsewhere.ini, exclusive lock)\n";
    assert_int_equal(pwrite(env.lock_fd, line, strlen(line), 0), (ssize_t)strlen(line));
}

/* A data file whose series names hold commas, quotes, backquotes, $( ),
 * markup and TeX: every writer must carry them as text.  (Section labels of a
 * configuration are refused unless they are letters, digits, _ - and ., so
 * variant and dataset names cannot be hostile.) */
static void prep_hostile_names(void)
{
    snprintf(env.marker, sizeof env.marker, "%s/pwned", work_dir);
    unlink(env.marker);
    char data[4600];
    snprintf(data, sizeof data, "%s/hostile.csv", work_dir);
    size_t length = 0;
    char *hourly = test_read_file(sweep_hourly_csv, &length);
    assert_non_null(hourly);
    size_t size = length + 2 * sizeof env.marker + 256;
    char *whole = malloc(size);
    assert_non_null(whole);
    snprintf(whole, size,
             "date,\"lo,ad \"\"q\"\" `touch %s` $(touch %s)\",\"<script>x</script> \\input{/etc/passwd} | %% & _ ^\"\n%s",
             env.marker, env.marker, strchr(hourly, '\n') + 1);
    free(hourly);
    assert_int_equal(test_write_file(data, whole), 0);
    free(whole);
    snprintf(env.hostile_config, sizeof env.hostile_config, "%s/hostile.ini", work_dir);
    test_write_textf(env.hostile_config,
                     "[run]\nseeds = 1\npredictions = true\n\n[dataset tiny]\npath = %s\nstep_seconds = 3600\n"
                     "seasonal_period = 24\nprotocol = ltsf\nlookback = 48\nhorizons = 12\n\n[model naive]\n"
                     "[model mean]\nwindow = 24\n",
                     data);
}

static void prep_none(void) {}
static void prep_lock_exclusive(void) { hold_lock(1); }
static void prep_lock_shared(void) { hold_lock(0); }
static void prep_copy_locked(void) { copy_plain(), hold_lock(1); }
static void prep_empty_cell(void) { copy_plain(), write_cell(".csv", ""); }
static void prep_garbage_cell(void) { copy_plain(), write_cell(".csv", "\x01\x02 not, a \"cell\nat all"); }
static void prep_garbage_record(void) { copy_plain(), write_cell(".json", "{\"cell_id\": "); }
static void prep_other_record(void) { copy_plain(), edit_cell(".json", "\"cell_id\": \"", "\"cell_id\": \"f"); }
static void prep_missing_metric(void) { copy_plain(), drop_metric_row("mae"); }
static void prep_nan_value(void) { copy_plain(), edit_cell(".csv", ",mae,", ",mae,NaN,ok\nx"); }
/* The first row becomes an error row (empty value), the others stay ok. */
static void prep_mixed_status(void)
{
    copy_plain();
    char name[64];
    snprintf(name, sizeof name, "cells/%s.csv", first_cell_id(env.out));
    char *text = sweep_read_in(env.out, name, NULL);
    char *end = strchr(text, '\n');
    char *value = end - 1;
    int commas = 0;
    while (value > text && commas < 2)
        commas += *--value == ',';
    char changed[16384];
    snprintf(changed, sizeof changed, "%.*s,,error%s", (int)(value - text), text, end);
    write_cell(".csv", changed);
    free(text);
}
static void prep_record_disagrees(void) { copy_plain(), edit_cell(".json", "\"status\": \"ok\"", "\"status\": \"error\""); }
static void prep_truncated_row(void)
{
    copy_plain();
    char name[64];
    snprintf(name, sizeof name, "cells/%s.csv", first_cell_id(env.out));
    size_t length = 0;
    char *text = sweep_read_in(env.out, name, &length);
    text[length - 1] = '\0';
    write_cell(".csv", text);
    free(text);
}
static void prep_missing_cell(void)
{
    copy_plain();
    test_shell("rm '%s/cells/%s.json'", env.out, first_cell_id(env.out));
}
static void prep_foreign_files(void)
{
    test_shell("mkdir -p '%s/cells/keep.d' && echo mine > '%s/cells/notes.txt' && "
               "echo 0 > '%s/cells/0123456789abcdef.txt'",
               env.out, env.out, env.out);
}

/* ---- checks after a case ------------------------------------------------------ */

static void check_none(void) {}
static void check_same_as_plain(void) { sweep_assert_same_file(env.out, env.plain, "results.csv"); }
static void check_foreign_kept(void)
{
    check_same_as_plain();
    assert_true(sweep_exists_in(env.out, "cells/notes.txt"));
    assert_true(sweep_exists_in(env.out, "cells/0123456789abcdef.txt"));
    assert_true(sweep_exists_in(env.out, "cells/keep.d"));
}
/* Plots, tables and the report of the hostile run work, and nothing ran. */
static void check_hostile_outputs(void)
{
    static const char *const commands[][6] = {
        {"plot", "{out}", "--format", "svg", NULL},
        {"table", "{out}", "--format", "tex", NULL},
        {"table", "{out}", "--format", "md", NULL},
        {"table", "{out}", "--format", "html", NULL},
        {"report", "{out}", NULL},
    };
    for (size_t c = 0; c < sizeof commands / sizeof commands[0]; c++) {
        const char *argv[8] = {test_bench_binary()};
        size_t count = 1;
        for (size_t i = 0; commands[c][i] != NULL; i++)
            argv[count++] = strcmp(commands[c][i], "{out}") ? commands[c][i] : env.out;
        argv[count] = NULL;
        test_process_result result;
        assert_int_equal(test_process_run(&result, argv, test_source_dir(), NULL), 0);
        if (result.exit_code != 0)
            fprintf(stderr, "bench %s on the hostile run: exit %d: %s\n", commands[c][0], result.exit_code, result.err);
        assert_int_equal(result.exit_code, 0);
        assert_null(strstr(result.out, "<script>"));
        test_process_free(&result);
    }
    assert_int_not_equal(access(env.marker, F_OK), 0);
    char *page = sweep_read_in(env.out, "index.html", NULL);
    assert_non_null(page);
    assert_null(strstr(page, "<script>"));
    assert_null(strstr(page, "<b>x</b>"));
    free(page);
}

/* The faulty model's rows are error rows with an empty value; naive's are ok. */
static void check_faulty_rows_error(void)
{
    char *results = sweep_read_in(env.out, "results.csv", NULL);
    assert_non_null(results);
    assert_non_null(strstr(results, ",faulty,faulty,12,1,mse,,error\n"));
    assert_null(strstr(results, ",naive,naive,12,1,mse,,error\n"));
    char *run = sweep_read_in(env.out, "run.json", NULL);
    assert_non_null(strstr(run, "\"errors\""));
    free(results), free(run);
}

/* ---- the table ---------------------------------------------------------------- */

/* hourly.csv with one value of 1e200, whose square overflows a double. */
static const char *huge_data(void)
{
    static char path[4600];
    snprintf(path, sizeof path, "%s/huge.csv", work_dir);
    size_t length = 0;
    char *text = test_read_file(sweep_hourly_csv, &length);
    assert_non_null(text);
    char *line = text;
    for (int i = 0; i < 6; i++)
        line = strchr(line, '\n') + 1;
    char *comma = strchr(line, ','), *next = strchr(comma + 1, ',');
    size_t size = length + 64;
    char *changed = malloc(size);
    assert_non_null(changed);
    snprintf(changed, size, "%.*s1e200%s", (int)(comma + 1 - text), text, next);
    assert_int_equal(test_write_file(path, changed), 0);
    free(changed), free(text);
    return path;
}

#define TINY_DATASET                                                                                   \
    "[dataset tiny]\npath = %s\nstep_seconds = 3600\nseasonal_period = 24\nprotocol = ltsf\nlookback = 48\n"

typedef struct trust_case {
    const char *name;
    void (*prepare)(void);
    const char *argv[14];      /* after "bench"; {config} {faulty} {out} {plugin1}... are replaced */
    const char *env;           /* one NAME=VALUE for bench, or NULL */
    int exit_code;
    const char *expect[2];     /* substrings of stderr */
    int results;               /* 1: results.csv exists afterwards, 0: it does not, -1: either */
    void (*check)(void);
    int skip_under_asan;
    const char *config;        /* when set: written to {case} with %s = the data file */
    const char *(*config_data)(void); /* that data file, when not the hourly one */
} trust_case;

static const trust_case cases[] = {
    /* §1 one writer per directory */
    {"run while another command holds the directory", prep_lock_exclusive, {"run", "{config}", "--out", "{out}"},
     NULL, 2, {"is in use by pid 424242", "bench run elsewhere.ini"}, 0, check_none, 0, NULL, NULL},
    {"shard while an unsharded run holds it", prep_lock_exclusive,
     {"run", "{config}", "--out", "{out}", "--shard", "0/2"}, NULL, 2, {"is in use by", NULL}, 0, check_none, 0, NULL, NULL},
    {"unsharded run while a shard holds it", prep_lock_shared, {"run", "{config}", "--out", "{out}"}, NULL, 2,
     {"is in use by", NULL}, 0, check_none, 0, NULL, NULL},
    {"shard beside another shard of the plan", prep_lock_shared,
     {"run", "{config}", "--out", "{out}", "--shard", "1/2", "--quiet"}, NULL, 0, {NULL, NULL}, 0, check_none, 0, NULL, NULL},
    {"resume while the directory is held", prep_copy_locked, {"run", "{config}", "--out", "{out}", "--resume"}, NULL,
     2, {"is in use by", NULL}, 1, check_same_as_plain, 0, NULL, NULL},
    {"plan while the directory is held", prep_lock_exclusive, {"plan", "{config}", "--out", "{out}"}, NULL, 2,
     {"is in use by", NULL}, 0, check_none, 0, NULL, NULL},
    {"merge while the directory is held", prep_copy_locked, {"merge", "{out}"}, NULL, 2, {"is in use by", NULL}, 1,
     check_same_as_plain, 0, NULL, NULL},
    {"tune while the directory is held", prep_lock_exclusive,
     {"tune", "{config}", "--model", "mean", "--budget", "1", "--space", "window=12,24", "--out", "{out}"}, NULL, 2, {"is in use by", NULL}, 0,
     check_none, 0, NULL, NULL},
    {"report while the directory is held", prep_copy_locked, {"report", "{out}", "--no-figures"}, NULL, 2,
     {"is in use by", NULL}, 1, check_same_as_plain, 0, NULL, NULL},
    {"plot while the directory is held", prep_copy_locked, {"plot", "{out}"}, NULL, 2, {"is in use by", NULL}, 1,
     check_same_as_plain, 0, NULL, NULL},
    /* §1 --resume re-runs invalid cells instead of copying or dropping them */
    {"resume over an empty cell file", prep_empty_cell, {"run", "{config}", "--out", "{out}", "--resume", "--quiet"},
     NULL, 0, {NULL, NULL}, 1, check_same_as_plain, 0, NULL, NULL},
    {"resume over a garbage cell file", prep_garbage_cell, {"run", "{config}", "--out", "{out}", "--resume", "--quiet"},
     NULL, 0, {NULL, NULL}, 1, check_same_as_plain, 0, NULL, NULL},
    {"resume over a garbage cell record", prep_garbage_record,
     {"run", "{config}", "--out", "{out}", "--resume", "--quiet"}, NULL, 0, {NULL, NULL}, 1, check_same_as_plain, 0, NULL, NULL},
    {"resume over another cell's record", prep_other_record,
     {"run", "{config}", "--out", "{out}", "--resume", "--quiet"}, NULL, 0, {NULL, NULL}, 1, check_same_as_plain, 0, NULL, NULL},
    {"resume over a cell missing a metric row", prep_missing_metric,
     {"run", "{config}", "--out", "{out}", "--resume", "--quiet"}, NULL, 0, {NULL, NULL}, 1, check_same_as_plain, 0, NULL, NULL},
    {"resume over a truncated last row", prep_truncated_row,
     {"run", "{config}", "--out", "{out}", "--resume", "--quiet"}, NULL, 0, {NULL, NULL}, 1, check_same_as_plain, 0, NULL, NULL},
    /* §1 merge validates every cell; a failed merge leaves no stale results.csv */
    {"merge of a cell missing one metric row", prep_missing_metric, {"merge", "{out}"}, NULL, 2,
     {"the row of metric mae is missing", "results.csv removed"}, 0, check_none, 0, NULL, NULL},
    {"merge of a NaN value in an ok row", prep_nan_value, {"merge", "{out}"}, NULL, 2,
     {"not a finite number", NULL}, 0, check_none, 0, NULL, NULL},
    {"merge of a cell with ok and error rows", prep_mixed_status, {"merge", "{out}"}, NULL, 2,
     {"both ok and error rows", NULL}, 0, check_none, 0, NULL, NULL},
    {"merge of a record naming another cell", prep_other_record, {"merge", "{out}"}, NULL, 2,
     {"the record of cell f", NULL}, 0, check_none, 0, NULL, NULL},
    {"merge of a record that contradicts its rows", prep_record_disagrees, {"merge", "{out}"}, NULL, 2,
     {"the record says error", NULL}, 0, check_none, 0, NULL, NULL},
    {"merge of an empty cell file", prep_empty_cell, {"merge", "{out}"}, NULL, 2, {"file is empty", NULL}, 0, check_none,
     0, NULL, NULL},
    {"merge of a garbage cell file", prep_garbage_cell, {"merge", "{out}"}, NULL, 2, {"invalid", NULL}, 0, check_none,
     0, NULL, NULL},
    {"merge of a truncated last row", prep_truncated_row, {"merge", "{out}"}, NULL, 2, {"incomplete", NULL}, 0,
     check_none, 0, NULL, NULL},
    {"merge with a cell not finished (stale results.csv present)", prep_missing_cell, {"merge", "{out}"}, NULL, 1,
     {"not finished", NULL}, 0, check_none, 0, NULL, NULL},
    /* §1 files bench did not write are never deleted */
    {"fresh run beside foreign files and a subdirectory in cells/", prep_foreign_files,
     {"run", "{config}", "--out", "{out}"}, NULL, 0, {"3 entries in", "not written by bench; left alone"}, 1,
     check_foreign_kept, 0, NULL, NULL},
    /* §2 the plan has no duplicate cells; §4 data that overflows is refused */
    {"seeds = 1,1", prep_none, {"run", "{case}", "--out", "{out}"}, NULL, 2, {".ini:2: seeds = 1,1", "twice"}, 0,
     check_none, 0, "[run]\nseeds = 1,1\n\n" TINY_DATASET "horizons = 12\n\n[model naive]\n", NULL},
    {"horizons = 12,12", prep_none, {"run", "{case}", "--out", "{out}"}, NULL, 2, {".ini:10: horizons", "twice"}, 0,
     check_none, 0, "[run]\nseeds = 1\n\n" TINY_DATASET "horizons = 12,12\n\n[model naive]\n", NULL},
    {"[model  naive] after [model naive]", prep_none, {"run", "{case}", "--out", "{out}"}, NULL, 2,
     {".ini:13: section [model naive] appears twice", NULL}, 0, check_none, 0,
     "[run]\nseeds = 1\n\n" TINY_DATASET "horizons = 12\n\n[model naive]\n[model  naive]\n", NULL},
    {"datasets = (empty)", prep_none, {"run", "{case}", "--out", "{out}"}, NULL, 2, {".ini:13: datasets is empty", NULL},
     0, check_none, 0, "[run]\nseeds = 1\n\n" TINY_DATASET "horizons = 12\n\n[model naive]\ndatasets =\n", NULL},
    {"--seeds ''", prep_none, {"run", "{config}", "--out", "{out}", "--seeds", ""}, NULL, 2, {"an empty list", NULL}, 0,
     check_none, 0, NULL, NULL},
    {"--seeds 1,1", prep_none, {"run", "{config}", "--out", "{out}", "--seeds", "1,1"}, NULL, 2, {"--seeds", NULL}, 0,
     check_none, 0, NULL, NULL},
    {"a value of 1e200", prep_none, {"run", "{case}", "--out", "{out}"}, NULL, 2,
     {"huge.csv:7:2: value '1e200' in column 'load' is too large", NULL}, 0, check_none, 0,
     "[run]\nseeds = 1\n\n" TINY_DATASET "horizons = 12\n\n[model naive]\n", huge_data},
    {"--timeout 0", prep_none, {"run", "{config}", "--out", "{out}", "--timeout", "0"}, NULL, 2, {"--timeout", NULL}, 0,
     check_none, 0, NULL, NULL},
    {"[run] memory_limit = lots", prep_none, {"run", "{case}", "--out", "{out}"}, NULL, 2, {".ini:3: memory_limit", NULL},
     0, check_none, 0,
     "[run]\nseeds = 1\nmemory_limit = lots\n\n" TINY_DATASET "horizons = 12\n\n[model naive]\n", NULL},
    /* §4 names from data and configuration are text in every output language */
    {"series with hostile names, predictions on", prep_hostile_names,
     {"run", "{hostile}", "--out", "{out}", "--quiet"}, NULL, 0, {NULL, NULL}, 1, check_hostile_outputs, 0, NULL, NULL},
    /* §3 model code cannot speak for the harness; hangs and overflows become error rows */
    {"a model's fit calls exit(3)", prep_none, {"run", "{faulty}", "--out", "{out}", "--plugin", "{plugin1}"}, NULL, 1,
     {"exit status 3", NULL}, 1, check_faulty_rows_error, 0, NULL, NULL},
    {"a model's fit calls exit(0)", prep_none, {"run", "{faulty}", "--out", "{out}", "--plugin", "{plugin6}"}, NULL, 1,
     {"exit status 0", NULL}, 1, check_faulty_rows_error, 0, NULL, NULL},
    {"a hanging predict meets --timeout", prep_none,
     {"run", "{faulty}", "--out", "{out}", "--plugin", "{plugin2}", "--timeout", "2"}, NULL, 1,
     {"timeout after 2 s", NULL}, 1, check_faulty_rows_error, 0, NULL, NULL},
    {"forecasts of 1e308 (metrics overflow)", prep_none, {"run", "{faulty}", "--out", "{out}", "--plugin", "{plugin3}"},
     NULL, 1, {"metric mse is infinite", NULL}, 1, check_faulty_rows_error, 0, NULL, NULL},
    {"a model over --memory-limit", prep_none,
     {"run", "{faulty}", "--out", "{out}", "--plugin", "{plugin5}", "--memory-limit", "512"}, NULL, 1,
     {"faulty: out of memory", NULL}, 1, check_faulty_rows_error, 1, NULL, NULL},
};

static const char *substitute(const char *argument)
{
    static char buffer[8][4400];
    static size_t next = 0;
    if (!strcmp(argument, "{config}"))
        return env.config;
    if (!strcmp(argument, "{faulty}"))
        return env.faulty_config;
    if (!strcmp(argument, "{hostile}"))
        return env.hostile_config;
    if (!strcmp(argument, "{case}"))
        return env.case_config;
    if (!strcmp(argument, "{out}"))
        return env.out;
    if (!strncmp(argument, "{plugin", 7)) {
        int fault = argument[7] - '0';
        assert_true(fault >= 0 && fault < FAULTS);
        return env.plugin[fault];
    }
    char *out = buffer[next++ % 8];
    snprintf(out, sizeof buffer[0], "%s", argument);
    return out;
}

static void run_case(const trust_case *c, size_t index)
{
    snprintf(env.out, sizeof env.out, "%s/case%zu", work_dir, index);
    test_shell("rm -rf '%s'", env.out);
    c->prepare();
    if (c->config != NULL) {
        snprintf(env.case_config, sizeof env.case_config, "%s/case%zu.ini", work_dir, index);
        test_write_textf(env.case_config, c->config, c->config_data ? c->config_data() : sweep_hourly_csv);
    }
    const char *argv[20] = {test_bench_binary()};
    size_t count = 1;
    for (size_t i = 0; c->argv[i] != NULL; i++)
        argv[count++] = substitute(c->argv[i]);
    argv[count] = NULL;
    const char *extra[] = {c->env, NULL};
    test_process_result result;
    assert_int_equal(test_process_run(&result, argv, test_source_dir(), c->env ? extra : NULL), 0);
    int ok = result.exit_code == c->exit_code;
    for (size_t e = 0; e < 2; e++)
        if (c->expect[e] != NULL && strstr(result.err, c->expect[e]) == NULL)
            ok = 0;
    int has_results = sweep_exists_in(env.out, "results.csv");
    if (c->results >= 0 && has_results != c->results)
        ok = 0;
    if (!ok)
        fprintf(stderr, "case %zu (%s): exit %d (expected %d), results.csv %s, stderr:\n%s\n", index, c->name,
                result.exit_code, c->exit_code, has_results ? "present" : "absent", result.err);
    assert_true(ok);
    /* Nothing half-written is left behind (and a refused input leaves no directory at all). */
    if (access(env.out, F_OK) == 0)
        assert_int_equal(sweep_temp_files(env.out), 0);
    test_process_free(&result);
    if (env.lock_fd >= 0)
        close(env.lock_fd);
    env.lock_fd = -1;
    c->check();
}

static void table_of_bad_inputs_and_faults(void **state)
{
    (void)state;
    size_t count = sizeof cases / sizeof cases[0];
    for (size_t i = 0; i < count; i++) {
        if (cases[i].skip_under_asan && UNDER_ASAN) {
            fprintf(stderr, "case %zu (%s): SKIPPED under AddressSanitizer (it reserves the address space a limit "
                            "counts)\n", i, cases[i].name);
            continue;
        }
        run_case(&cases[i], i);
    }
}

/* ---- faults that need timing ------------------------------------------------------ */

static int wait_exit(pid_t child)
{
    int status = 0;
    assert_int_equal(waitpid(child, &status, 0), child);
    return WIFEXITED(status) ? WEXITSTATUS(status) : 128 + WTERMSIG(status);
}

static long child_of(pid_t parent)
{
    char path[128];
    snprintf(path, sizeof path, "/proc/%d/task/%d/children", (int)parent, (int)parent);
    char *children = test_read_file(path, NULL);
    long pid = children ? strtol(children, NULL, 10) : 0;
    free(children);
    return pid;
}

/* The pid of bench's worker on the slow (faulty) cell: naive's cell finishes
 * first, then the same worker must stay for a while (waiting up to 20 s). */
static pid_t worker_of(pid_t bench)
{
    for (int tries = 0; tries < 100; tries++) {
        long pid = sweep_finished_cells(env.out) >= 1 ? child_of(bench) : 0;
        test_sleep_ms(200);
        if (pid > 0 && child_of(bench) == pid)
            return (pid_t)pid;
    }
    fail_msg("no worker of bench pid %d appeared", (int)bench);
    return -1;
}

static void worker_killed_from_outside_then_resume(void **state)
{
    (void)state;
    snprintf(env.out, sizeof env.out, "%s/killed", work_dir);
    char err_path[4600];
    snprintf(err_path, sizeof err_path, "%s/killed.err", work_dir);
    const char *arguments[] = {"run", env.faulty_config, "--out", env.out, "--plugin", env.plugin[4], NULL};
    pid_t bench = test_bench_spawn(arguments, (const char *[]){"FAULTY_SLEEP=60", NULL}, err_path);
    pid_t worker = worker_of(bench);
    /* Only the worker, as the OOM killer does: the sweep itself goes on. */
    assert_int_equal(kill(worker, SIGKILL), 0);
    assert_int_equal(wait_exit(bench), 1);
    char *err = test_read_file(err_path, NULL);
    assert_non_null(strstr(err, "signal 9"));
    free(err);
    /* A complete results.csv with the cell as an error, marked as ended from outside. */
    char *results = sweep_read_in(env.out, "results.csv", NULL);
    assert_non_null(results);
    assert_non_null(strstr(results, ",faulty,faulty,12,1,mse,,error\n"));
    free(results);
    char *run = sweep_read_in(env.out, "run.json", NULL);
    assert_non_null(strstr(run, "\"infrastructure\": true"));
    free(run);
    /* --resume runs that cell again (not the finished one) and ends identical to an undisturbed run. */
    char *resume_err = NULL;
    assert_int_equal(sweep_bench(&resume_err, "run", env.faulty_config, "--out", env.out, "--plugin", env.plugin[4],
                                 "--resume", NULL),
                     0);
    assert_non_null(strstr(resume_err, "1 cells run, 1 resumed"));
    free(resume_err);
    sweep_assert_same_file(env.out, env.faulty_plain, "results.csv");
}

static void two_runs_into_one_directory(void **state)
{
    (void)state;
    snprintf(env.out, sizeof env.out, "%s/race", work_dir);
    char err_first[4600], err_second[4600];
    snprintf(err_first, sizeof err_first, "%s/race1.err", work_dir);
    snprintf(err_second, sizeof err_second, "%s/race2.err", work_dir);
    const char *arguments[] = {"run", env.faulty_config, "--out", env.out, "--plugin", env.plugin[4], NULL};
    pid_t first = test_bench_spawn(arguments, (const char *[]){"FAULTY_SLEEP=3", NULL}, err_first);
    (void)worker_of(first); /* the first run is inside its cells */
    pid_t second = test_bench_spawn(arguments, NULL, err_second);
    assert_int_equal(wait_exit(second), 2);
    char *err = test_read_file(err_second, NULL);
    char holder[64];
    snprintf(holder, sizeof holder, "in use by pid %d", (int)first);
    if (strstr(err, holder) == NULL)
        fprintf(stderr, "second run said: %s\n", err);
    assert_non_null(strstr(err, holder));
    free(err);
    assert_int_equal(wait_exit(first), 0);
    /* The first run's results are whole: every planned cell, identical to an undisturbed run. */
    sweep_assert_same_file(env.out, env.faulty_plain, "results.csv");
}

TEST_MAIN("results_trust", group_setup, NULL,
          cmocka_unit_test(table_of_bad_inputs_and_faults),
          cmocka_unit_test(worker_killed_from_outside_then_resume),
          cmocka_unit_test(two_runs_into_one_directory))
