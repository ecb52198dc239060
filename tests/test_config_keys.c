/* Dataset and model keys of a configuration, through the real binary (issue 16):
 * paths relative to the config's folder, every key of a section listed with a
 * "did you mean", the resolved ltsf borders recorded in run.json, and every
 * ambiguous dataset key either working as documented or refused with exit 2
 * naming the config line. */
#include <setjmp.h>
#include <stdarg.h>
#include <stddef.h>
#include <stdint.h>
#include <cmocka.h>
#include <stdio.h>
#include <stdlib.h>
#include <string.h>
#include <unistd.h>

#include "core/config.h"
#include "support_process.h"
#include "support_cmocka.h"

static char work[4096];

static int setup(void **state)
{
    (void)state;
    if (access(test_bench_binary(), X_OK) != 0) {
        fprintf(stderr, "test_config_keys: %s is not built\n", test_bench_binary());
        return -1;
    }
    snprintf(work, sizeof work, "%s", test_temp_dir());
    char command[20000];
    /* The config lives in work/configs, its data next to it: nothing relative to the cwd. */
    snprintf(command, sizeof command,
             "mkdir -p '%s/configs' && cp '%s/tests/data/harness/hourly.csv' '%s/configs/hourly.csv' && "
             "printf '\"V1\",\"V2\",\"V3\"\\n\"W1\",1,2\\n' > '%s/configs/m4like.csv'",
             work, test_source_dir(), work, work);
    return system(command) == 0 ? 0 : -1;
}

/* Write work/configs/NAME.ini and run `bench ARGS...` on it from work (not the
 * config's folder), with the output under work/out-NAME. */
static void run_config(test_process_result *result, const char *command, const char *name, const char *text,
                       const char *const environment[])
{
    char config[4300], out[4300];
    snprintf(config, sizeof config, "%s/configs/%s.ini", work, name);
    snprintf(out, sizeof out, "%s/out-%s", work, name);
    assert_int_equal(test_write_file(config, text), 0);
    char relative[256];
    snprintf(relative, sizeof relative, "configs/%s.ini", name);
    const char *argv[] = {test_bench_binary(), command, relative, "--out", out, "--quiet", NULL};
    if (!strcmp(command, "plan"))
        argv[5] = NULL;
    assert_int_equal(test_process_run(result, argv, work, environment), 0);
}

#define HOURLY "[dataset tiny]\npath = hourly.csv\nstep_seconds = 3600\nprotocol = ltsf\nlookback = 24\nhorizons = 12\n"

static void config_relative_paths(void **state)
{
    (void)state;
    test_process_result result;
    run_config(&result, "run", "relative", HOURLY "[model naive]\n", NULL);
    if (result.exit_code != 0)
        fprintf(stderr, "%s", result.err);
    assert_int_equal(result.exit_code, 0);
    test_process_free(&result);
    /* Missing: bad input naming the line, and where it looked. */
    run_config(&result, "plan", "missing", "[dataset tiny]\nstep_seconds = 3600\npath = nowhere.csv\n[model naive]\n",
               NULL);
    assert_int_equal(result.exit_code, 2);
    assert_non_null(strstr(result.err, "missing.ini:3: path = nowhere.csv: cannot read configs/nowhere.csv"));
    test_process_free(&result);
    /* A directory is not a data file either. */
    run_config(&result, "plan", "directory", "[dataset tiny]\npath = .\n[model naive]\n", NULL);
    assert_int_equal(result.exit_code, 2);
    assert_non_null(strstr(result.err, "directory.ini:2: path = .: cannot read"));
    test_process_free(&result);
    /* So is a plugin path. */
    run_config(&result, "plan", "plugin", HOURLY "[model mine]\nplugin = mine.so\n", NULL);
    assert_int_equal(result.exit_code, 2);
    assert_non_null(strstr(result.err, "plugin.ini:8: plugin = mine.so: cannot read configs/mine.so"));
    test_process_free(&result);
}

/* The HCSC and X-ray configs resolve their data folders the same way. */
static void task_config_paths(void **state)
{
    (void)state;
    char config[4300], out[4300];
    test_process_result result;
    snprintf(config, sizeof config, "%s/configs/hcsc.ini", work);
    assert_int_equal(test_write_file(config, "[run]\nseeds = 1\ndata_dir = fm\n[model raw]\nmethod = raw\n"), 0);
    snprintf(out, sizeof out, "%s/out-hcsc", work);
    const char *hcsc[] = {test_bench_binary(), "hcsc", "run", "configs/hcsc.ini", "--out", out, "--quiet", NULL};
    assert_int_equal(test_process_run(&result, hcsc, work, NULL), 0);
    assert_int_not_equal(result.exit_code, 0);
    assert_non_null(strstr(result.err, "configs/fm/train-images-idx3-ubyte.gz"));
    test_process_free(&result);
    snprintf(config, sizeof config, "%s/configs/shift.ini", work);
    assert_int_equal(test_write_file(config, "[benchmark]\ngenerate = no\ndata = xray\n"), 0);
    snprintf(out, sizeof out, "%s/out-shift", work);
    const char *shift[] = {test_bench_binary(), "shift", "run", "configs/shift.ini", "--out", out, "--quiet", NULL};
    assert_int_equal(test_process_run(&result, shift, work, NULL), 0);
    assert_int_equal(result.exit_code, 2);
    assert_non_null(strstr(result.err, "configs/shift.ini:3: data: configs/xray is not a directory"));
    assert_int_not_equal(access(out, F_OK), 0); /* nothing written */
    test_process_free(&result);
}

typedef struct {
    const char *name;
    const char *text;
    const char *expect[3];   /* substrings of stderr */
} refusal;

static const refusal refusals[] = {
    {"horizon", HOURLY "horizon = 12\n[model naive]\n",
     {"horizon.ini:7: unknown key 'horizon' in [dataset tiny] (did you mean 'horizons'?)", "test_path, format",
      "protocol ltsf: lookback, borders, series"}},
    {"window", HOURLY "window = 12\n[model naive]\n", {"window.ini:7", "'window' is a setting of protocol paper"}},
    {"model_key", HOURLY "[model gbrt]\nmax_dpeth = 3\n",
     {"model_key.ini:8: unknown key 'max_dpeth' in [model gbrt] (did you mean 'max_depth'?)", "model, plugin, datasets, threads"}},
    {"run_key", "[run]\nseed = 1\n" HOURLY "[model naive]\n", {"run_key.ini:2", "did you mean 'seeds'?"}},
    {"model_name", HOURLY "[model naiv]\n", {"model_name.ini:7: unknown model 'naiv' (did you mean 'naive'?)"}},
    {"dataset_name", "[dataset d]\ndataset = ETTh\n[model naive]\n", {"dataset_name.ini:2", "did you mean 'ETTh1'?"}},
    {"protocol_name", "[dataset tiny]\npath = hourly.csv\nprotocol = lstf\n[model naive]\n",
     {"protocol_name.ini:3", "did you mean 'ltsf'?"}},
    {"bare_series", HOURLY "series = 1\n[model naive]\n", {"bare_series.ini:7: series = 1", "first:1", "name:1"}},
    {"series_twice", HOURLY "series = load,load\n[model naive]\n", {"twice", "load"}},
    {"lstnet_columns", "[dataset tiny]\npath = hourly.csv\nformat = lstnet\ncolumns = load\n[model naive]\n",
     {"lstnet_columns.ini:4: columns does not apply to format = lstnet"}},
    {"columns_twice", HOURLY "columns = load,load\n[model naive]\n", {"columns_twice.ini:7: columns = load,load", "twice"}},
    {"m4_without_protocol", "[dataset tiny]\npath = m4like.csv\ntest_path = m4like.csv\nformat = m4\nprotocol = ltsf\n[model naive]\n",
     {"m4_without_protocol.ini:4", "needs protocol = m4"}},
    {"m4_without_test", "[dataset tiny]\npath = m4like.csv\nformat = m4\n[model naive]\n",
     {"m4_without_test.ini:2", "test_path"}},
    {"m4_as_csv", "[dataset tiny]\npath = m4like.csv\n[model naive]\n", {"m4_as_csv.ini:2", "looks like an M4 file", "format = m4"}},
    {"file_key_on_registered", "[dataset ETTh1]\ncolumns = OT\n[model naive]\n",
     {"file_key_on_registered.ini:2: columns describes a file of your own"}},
    {"both_missing_keys", HOURLY "missing = interpolate\nmissing_policy = interpolate\n[model naive]\n",
     {"both_missing_keys.ini:8", "same key"}},
    {"bad_borders", HOURLY "borders = months\n[model naive]\n", {"bad_borders.ini:7", "auto|ett_hourly|ett_minute|ratio"}},
};

static void ambiguous_keys_are_refused_with_the_line(void **state)
{
    (void)state;
    for (size_t i = 0; i < sizeof refusals / sizeof refusals[0]; i++) {
        test_process_result result;
        run_config(&result, "plan", refusals[i].name, refusals[i].text, NULL);
        int ok = result.exit_code == 2;
        for (size_t k = 0; k < 3 && refusals[i].expect[k]; k++)
            ok &= strstr(result.err, refusals[i].expect[k]) != NULL;
        if (!ok)
            fprintf(stderr, "case %s: exit %d, stderr: %s", refusals[i].name, result.exit_code, result.err);
        assert_true(ok);
        test_process_free(&result);
    }
}

/* A cell's thread budget is one bound everywhere: the forecasting, HCSC and
 * X-ray configs and --threads take 1..256 and refuse the rest alike, naming the
 * line. */
static void threads_are_read_one_way(void **state)
{
    (void)state;
    static const struct {
        const char *command, *name, *text, *expect;
    } cases[] = {
        {"plan", "threads-forecast", "[run]\nthreads = 257\n" HOURLY "[model naive]\n",
         "threads-forecast.ini:2: threads = 257: expected an integer from 1 to 256"},
        {"hcsc", "threads-hcsc", "[run]\nthreads = 0\n[hcsc]\n[model moco]\n",
         "threads-hcsc.ini:2: threads = 0: expected an integer from 1 to 256"},
        {"shift", "threads-shift", "[train]\nthreads = 2x\n",
         "threads-shift.ini:2: threads = 2x: expected an integer from 1 to 256"},
    };
    for (size_t i = 0; i < sizeof cases / sizeof cases[0]; i++) {
        char config[4300], out[4300], relative[256];
        snprintf(config, sizeof config, "%s/configs/%s.ini", work, cases[i].name);
        snprintf(out, sizeof out, "%s/out-%s", work, cases[i].name);
        snprintf(relative, sizeof relative, "configs/%s.ini", cases[i].name);
        assert_int_equal(test_write_file(config, cases[i].text), 0);
        const char *plan[] = {test_bench_binary(), "plan", relative, "--out", out, NULL};
        const char *task[] = {test_bench_binary(), cases[i].command, "run", relative, "--out", out, NULL};
        test_process_result result;
        assert_int_equal(test_process_run(&result, !strcmp(cases[i].command, "plan") ? plan : task, work, NULL), 0);
        if (result.exit_code != 2 || strstr(result.err, cases[i].expect) == NULL)
            fail_msg("%s: exit %d, stderr: %s", cases[i].name, result.exit_code, result.err);
        test_process_free(&result);
    }
    static const char *const bad[] = {"0", "257", "", "2x", " 2", "-1", "1000", "+3"};
    unsigned threads = 7;
    for (size_t i = 0; i < sizeof bad / sizeof bad[0]; i++)
        assert_int_equal(bench_parse_threads(bad[i], &threads), -1);
    assert_int_equal(threads, 7);
    assert_int_equal(bench_parse_threads("256", &threads), 0);
    assert_int_equal(threads, 256);
    assert_int_equal(bench_parse_threads("1", &threads), 0);
    assert_int_equal(threads, 1);
}

/* What the docs promise for each dataset key works as written. */
static void documented_keys_work(void **state)
{
    (void)state;
    char path[4400];
    snprintf(path, sizeof path, "%s/configs/long.csv", work);
    assert_int_equal(test_write_file(path, "series_id;timestamp;value\na;2024-01-01;1\nb;2024-01-01;2\n"
                                           "a;2024-01-02;3\nb;2024-01-02;4\na;2024-01-03;5\nb;2024-01-03;6\n"
                                           "a;2024-01-04;7\nb;2024-01-04;8\na;2024-01-05;9\nb;2024-01-05;10\n"),
                     0);
    const char *accepted[][2] = {
        /* long: the documented default columns series_id,timestamp,value; delimiter by name. */
        {"long_defaults", "[dataset l]\npath = long.csv\nformat = long\ndelimiter = semicolon\n"
                          "timestamp_format = %Y-%m-%d\nstep_seconds = 86400\nprotocol = paper\nwindow = 1\n"
                          "horizons = 1\ntrain_rows = 3\ntest_rows = 2\n[model naive]\n"},
        {"first_n", HOURLY "series = first:1\nmissing_policy = interpolate\n[model naive]\n"},
        {"names", HOURLY "series = temp,load\ncolumns = load,temp\n[model naive]\n"},
    };
    for (size_t i = 0; i < sizeof accepted / sizeof accepted[0]; i++) {
        test_process_result result;
        run_config(&result, "plan", accepted[i][0], accepted[i][1], NULL);
        if (result.exit_code != 0)
            fprintf(stderr, "case %s: %s", accepted[i][0], result.err);
        assert_int_equal(result.exit_code, 0);
        test_process_free(&result);
    }
}

/* The registered M4 files are kept under another name than upstream's: say both. */
static void registered_file_not_found_names_upstream(void **state)
{
    (void)state;
    char cache[4300], environment[2][4400];
    snprintf(cache, sizeof cache, "%s/empty-cache", work);
    snprintf(environment[0], sizeof environment[0], "BENCH_DATA_PATH=%s", cache);
    snprintf(environment[1], sizeof environment[1], "BENCH_DATA_DIR=%s", cache);
    const char *const env[] = {environment[0], environment[1], NULL};
    test_process_result result;
    run_config(&result, "plan", "m4_weekly", "[dataset m4_weekly]\n[model naive]\n", env);
    assert_int_equal(result.exit_code, 2);
    assert_non_null(strstr(result.err, "m4_weekly.ini:1"));
    assert_non_null(strstr(result.err, "M4-Weekly-train.csv"));
    assert_non_null(strstr(result.err, "upstream it is called Weekly-train.csv"));
    assert_non_null(strstr(result.err, "bench data fetch m4_weekly"));
    test_process_free(&result);
}

/* run.json without whitespace, so arrays compare as "[0,420]". */
static char *read_compact_json(const char *path)
{
    char *text = test_read_file(path, NULL);
    if (text == NULL)
        return NULL;
    char *to = text;
    for (const char *from = text; *from; from++)
        if (*from != ' ' && *from != '\n')
            *to++ = *from;
    *to = '\0';
    return text;
}

/* borders = auto is recorded as what it resolved to, per horizon. */
static void resolved_borders_in_run_json(void **state)
{
    (void)state;
    test_process_result result;
    /* A file of your own labelled like ETT still gets 70/10/20: auto keys on registry names. */
    run_config(&result, "run", "ETTh1_copy",
               "[dataset ETTh1_copy]\npath = hourly.csv\nstep_seconds = 3600\nlookback = 24\nhorizons = 12\n"
               "[model naive]\n",
               NULL);
    assert_int_equal(result.exit_code, 0);
    test_process_free(&result);
    char path[4400];
    snprintf(path, sizeof path, "%s/out-ETTh1_copy/run.json", work);
    char *json = read_compact_json(path);
    assert_non_null(json);
    if (strstr(json, "\"rule\":\"ratio\"") == NULL || strstr(json, "\"train\":[0,420]") == NULL ||
        strstr(json, "\"test\":[480,600]") == NULL)
        fprintf(stderr, "run.json (compacted): %.2000s\n", json);
    assert_non_null(strstr(json, "\"rule\":\"ratio\""));
    assert_non_null(strstr(json, "\"train\":[0,420]"));
    assert_non_null(strstr(json, "\"validation\":[420,480]"));
    assert_non_null(strstr(json, "\"test\":[480,600]"));
    free(json);
    if (test_find_data("ETTh1.csv") == NULL) {
        fprintf(stderr, "SKIPPED: ETTh1.csv not in BENCH_DATA_PATH; the registered ETT borders are not checked\n");
        return;
    }
    run_config(&result, "run", "ett", "[dataset ETTh1]\nhorizons = 96\nseries = OT\n[model naive]\n", NULL);
    assert_int_equal(result.exit_code, 0);
    test_process_free(&result);
    snprintf(path, sizeof path, "%s/out-ett/run.json", work);
    json = read_compact_json(path);
    assert_non_null(json);
    assert_non_null(strstr(json, "\"rule\":\"ett_hourly\""));
    assert_non_null(strstr(json, "\"train\":[0,8640]"));
    assert_non_null(strstr(json, "\"test\":[11520,14400]"));
    free(json);
}

TEST_MAIN("config_keys", setup, NULL,
        cmocka_unit_test(config_relative_paths),
        cmocka_unit_test(task_config_paths),
        cmocka_unit_test(ambiguous_keys_are_refused_with_the_line),
        cmocka_unit_test(threads_are_read_one_way),
        cmocka_unit_test(documented_keys_work),
        cmocka_unit_test(registered_file_not_found_names_upstream),
        cmocka_unit_test(resolved_borders_in_run_json))
