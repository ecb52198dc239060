/* `bench tune`: every trial is a tuning.csv row, the refit-and-test cell follows
 * the results contract, run.json names the chosen setting, the same seed gives
 * byte-identical outputs, and bad input (space, model, metric) exits 2 writing
 * nothing.  Runs the bench binary on the small hourly fixture. */
#include <setjmp.h>
#include <stdarg.h>
#include <stddef.h>
#include <stdint.h>
#include <cmocka.h>
#include <stdio.h>
#include <stdlib.h>
#include <string.h>
#include <unistd.h>

#include "tests/support_process.h"
#include "support_cmocka.h"

static char config[4200];

static int setup(void **state)
{
    (void)state;
    const char *dir = test_temp_dir();
    char text[8192];
    snprintf(config, sizeof config, "%s/tune.ini", dir);
    snprintf(text, sizeof text,
             "[run]\nseeds = 1\n\n[dataset tiny]\npath = %s/tests/data/harness/hourly.csv\nstep_seconds = 3600\n"
             "seasonal_period = 24\nprotocol = paper\nwindow = 24\nhorizons = 6\ncolumns = load\n"
             "covariates = hour,day_of_week\n\n[model ridge]\ncovariates = none\n\n"
             "[model gbrt_small]\nmodel = gbrt\nn_estimators = 10\ntree_method = hist\n",
             test_source_dir());
    return test_write_file(config, text);
}

static int count_lines(const char *text)
{
    int lines = 0;
    for (; text != NULL && *text; text++)
        lines += *text == '\n';
    return lines;
}

static test_process_result tune(const char *out, const char *const *extra, size_t extra_count)
{
    const char *argv[24] = {test_bench_binary(), "tune", config, "--out", out, "--quiet"};
    size_t argc = 6;
    for (size_t i = 0; i < extra_count; i++)
        argv[argc++] = extra[i];
    argv[argc] = NULL;
    test_process_result result;
    assert_int_equal(test_process_run(&result, argv, NULL, NULL), 0);
    return result;
}

static char *read_output(const char *dir, const char *name)
{
    char path[4300];
    snprintf(path, sizeof path, "%s/%s", dir, name);
    return test_read_file(path, NULL);
}

static void trials_refit_and_contract(void **state)
{
    (void)state;
    char out[4200], again[4200];
    snprintf(out, sizeof out, "%s/ridge", test_temp_dir());
    snprintf(again, sizeof again, "%s/ridge-again", test_temp_dir());
    const char *const options[] = {"--model", "ridge", "--budget", "5", "--seed", "3"};
    test_process_result result = tune(out, options, 6);
    if (result.exit_code != 0)
        fail_msg("bench tune exited %d: %s", result.exit_code, result.err);
    test_process_free(&result);
    char *tuning = read_output(out, "tuning.csv"), *results = read_output(out, "results.csv");
    char *run = read_output(out, "run.json");
    assert_non_null(tuning);
    assert_non_null(results);
    assert_non_null(run);
    assert_int_equal(count_lines(tuning), 1 + 5);
    assert_true(strncmp(tuning, "dataset,protocol,model,variant,horizon,trial,alpha,metric,value,status\n", 70) == 0);
    assert_true(strncmp(results, "cell_id,task,dataset,protocol,model,variant,horizon,seed,metric,value,status\n",
                        77) == 0);
    assert_non_null(strstr(results, ",forecast,tiny,paper,ridge,ridge,6,3,rmse,"));
    assert_null(strstr(results, ",error"));
    assert_non_null(strstr(run, "\"chosen\""));
    assert_non_null(strstr(run, "\"best_trial\""));
    /* Same seed → the same bytes. */
    result = tune(again, options, 6);
    assert_int_equal(result.exit_code, 0);
    test_process_free(&result);
    char *tuning_again = read_output(again, "tuning.csv"), *results_again = read_output(again, "results.csv");
    assert_string_equal(tuning, tuning_again);
    assert_string_equal(results, results_again);
    free(tuning);
    free(results);
    free(run);
    free(tuning_again);
    free(results_again);
}

static void gbrt_grid_search(void **state)
{
    (void)state;
    char out[4200];
    snprintf(out, sizeof out, "%s/gbrt", test_temp_dir());
    const char *const options[] = {"--model", "gbrt_small", "--budget", "4", "--search", "grid", "--space",
                                   "max_depth=2,3;eta=0.1,0.3"};
    test_process_result result = tune(out, options, 8);
    if (result.exit_code != 0)
        fail_msg("bench tune exited %d: %s", result.exit_code, result.err);
    test_process_free(&result);
    char *tuning = read_output(out, "tuning.csv");
    assert_non_null(tuning);
    /* Grid order: the last axis varies fastest. */
    assert_non_null(strstr(tuning, ",1,2,0.1,rmse,"));
    assert_non_null(strstr(tuning, ",2,2,0.3,rmse,"));
    assert_non_null(strstr(tuning, ",4,3,0.3,rmse,"));
    free(tuning);
}

static void bad_input_writes_nothing(void **state)
{
    (void)state;
    static const struct {
        const char *options[6];
        const char *needle;
    } cases[] = {
        {{"--model", "prophet", "--budget", "2"}, "no model 'prophet'"},
        {{"--model", "ridge", "--budget", "2", "--space", "alpha"}, "not name=v1,v2"},
        {{"--model", "ridge", "--budget", "2", "--space", "alpha=-1"}, "alpha"},
        {{"--model", "ridge", "--budget", "2", "--space", "lr=0.1"}, "unknown parameter 'lr'"},
        {{"--model", "gbrt_small", "--budget", "2", "--space", "eta=2"}, "outside"},
        {{"--model", "ridge", "--budget", "2", "--metric", "smape"}, "metric 'smape'"},
        {{"--model", "ridge", "--budget", "0"}, "--budget"},
    };
    for (size_t i = 0; i < sizeof cases / sizeof cases[0]; i++) {
        char out[4200];
        snprintf(out, sizeof out, "%s/bad%zu", test_temp_dir(), i);
        size_t count = 0;
        while (count < 6 && cases[i].options[count] != NULL)
            count++;
        test_process_result result = tune(out, cases[i].options, count);
        if (result.exit_code != 2 || strstr(result.err, cases[i].needle) == NULL)
            fail_msg("case %zu: exit %d, stderr: %s (expected exit 2 mentioning \"%s\")", i, result.exit_code,
                     result.err, cases[i].needle);
        test_process_free(&result);
        assert_int_equal(access(out, F_OK), -1);
    }
}

TEST_MAIN("gbrt_tune", setup, NULL,
          cmocka_unit_test(trials_refit_and_contract),
          cmocka_unit_test(gbrt_grid_search),
          cmocka_unit_test(bad_input_writes_nothing))
