/* "Did you mean ...?" end to end (issue 16): a misspelt command, model, dataset,
 * subcommand and configuration key each exit 2 with the nearest name, and an
 * unknown config key's message lists every key of its section.  Also: a failed
 * cell of `bench run` shows its reason on the progress line. */
#include <setjmp.h>
#include <stdarg.h>
#include <stddef.h>
#include <stdint.h>
#include <cmocka.h>
#include <stdio.h>
#include <stdlib.h>
#include <string.h>
#include <unistd.h>

#include "support_bench.h"
#include "support_files.h"
#include "support_cmocka.h"

/* Runs bench with up to five arguments (NULL-terminated) and expects exit code
 * `code` and each of the NULL-terminated `expected` strings on stderr. */
static void expect_stderr(int code, const char *const arguments[], const char *const expected[])
{
    const char *argv[8] = {test_bench_binary()};
    for (size_t i = 0; arguments[i] != NULL && i < 6; i++)
        argv[i + 1] = arguments[i];
    test_process_result result;
    assert_int_equal(test_process_run(&result, argv, test_source_dir(), NULL), 0);
    for (size_t i = 0; expected[i] != NULL; i++)
        if (strstr(result.err, expected[i]) == NULL)
            fail_msg("bench %s %s: stderr lacks \"%s\":\n%s", arguments[0], arguments[1] ? arguments[1] : "",
                     expected[i], result.err);
    assert_int_equal(result.exit_code, code);
    test_process_free(&result);
}

static void misspelt_command(void **state)
{
    (void)state;
    expect_stderr(2, (const char *[]){"rnu", NULL},
                  (const char *[]){"unknown command 'rnu' (did you mean 'run'?)", NULL});
    expect_stderr(2, (const char *[]){"versoin", NULL}, (const char *[]){"(did you mean 'version'?)", NULL});
    /* Nothing near: the list, no guess. */
    test_process_result result;
    const char *argv[] = {test_bench_binary(), "zzzzzzzz", NULL};
    assert_int_equal(test_process_run(&result, argv, NULL, NULL), 0);
    assert_null(strstr(result.err, "did you mean"));
    assert_non_null(strstr(result.err, "commands are:"));
    test_process_free(&result);
}

static void misspelt_model_dataset_and_subcommands(void **state)
{
    (void)state;
    expect_stderr(2, (const char *[]){"models", "gbtr", NULL},
                  (const char *[]){"unknown model 'gbtr' (did you mean 'gbrt'?)", "models: naive", NULL});
    expect_stderr(2, (const char *[]){"data", "path", "ETTh", NULL},
                  (const char *[]){"unknown dataset 'ETTh' (did you mean 'ETTh1'?)", NULL});
    expect_stderr(2, (const char *[]){"data", "fecth", NULL}, (const char *[]){"(did you mean 'fetch'?)", NULL});
    expect_stderr(2, (const char *[]){"hcsc", "rn", NULL}, (const char *[]){"(did you mean 'run'?)", NULL});
    expect_stderr(2, (const char *[]){"shift", "gpa", NULL}, (const char *[]){"(did you mean 'gap'?)", NULL});
    expect_stderr(2, (const char *[]){"plot", ".", "--kind", "horizn", NULL},
                  (const char *[]){"unknown kind 'horizn' (did you mean 'horizon'?)", NULL});
}

/* Writes text to a fresh WORK/bad.ini and expects `bench COMMAND run bad.ini
 * --out WORK/out` to exit 2 with each of the NULL-terminated expected strings. */
static void expect_config_refused(const char *command, const char *text, const char *const expected[])
{
    const char *work = test_temp_dir();
    char config[4200], out[4200];
    snprintf(config, sizeof config, "%s/bad.ini", work);
    snprintf(out, sizeof out, "%s/out", work);
    assert_int_equal(test_write_file(config, text), 0);
    expect_stderr(2, (const char *[]){command, "run", config, "--out", out, NULL}, expected);
}

static void misspelt_hcsc_config_key(void **state)
{
    (void)state;
    expect_config_refused("hcsc", "[run]\nseeds = 1\n[hcsc]\nepoch = 3\n[model moco]\n",
                          (const char *[]){"bad.ini:4: unknown key 'epoch' in [hcsc] (did you mean 'epochs'?)",
                                           "known keys: epochs, batch, queue,", "eval_kmeans_restarts", NULL});
    /* [model NAME] accepts method and seeds besides the [hcsc] keys, and says so. */
    expect_config_refused("hcsc", "[model moco]\nmethdo = moco\n",
                          (const char *[]){"unknown key 'methdo' in [model moco] (did you mean 'method'?)",
                                           "known keys: method, seeds, epochs,", NULL});
    expect_config_refused("hcsc", "[run]\ntrian_limit = 5\n",
                          (const char *[]){"(did you mean 'train_limit'?)",
                                           "known keys: seeds, jobs, threads, train_limit, test_limit, checkpoints, "
                                           "data_dir, split", NULL});
}

static void misspelt_shift_config_key(void **state)
{
    (void)state;
    expect_config_refused("shift", "[train]\nsteps = 3\nstpes = 3\n",
                          (const char *[]){"bad.ini:3: unknown key 'stpes' in [train] (did you mean 'steps'?)",
                                           "known keys: steps, batch, width, warmup, eval_every, threads, "
                                           "learning_rate, weight_decay, disc_learning_rate, disc_weight_decay, "
                                           "grl_lambda, lr_decay_step, lr_decay_gamma, flip", NULL});
    expect_config_refused("shift", "[benchmark]\nscene = 10\n",
                          (const char *[]){"(did you mean 'scenes'?)",
                                           "known keys: data, generate, seed, scenes, size, devices", NULL});
    expect_config_refused("shift", "[protocl]\n",
                          (const char *[]){"unknown section [protocl] (did you mean 'protocol'?)", NULL});
}

/* A plugin that refuses the dataset labelled "bad" fails its cell: the progress
 * line (stderr is a pipe here, so one line per cell) names the reason and the
 * elapsed time; run.json keeps the message. */
static void failed_cell_shows_its_reason(void **state)
{
    (void)state;
    if (system("command -v cc >/dev/null 2>&1") != 0) {
        fprintf(stderr, "SKIPPED: no C compiler to build the failing plugin\n");
        skip();
    }
    const char *work = test_temp_dir();
    char config[4200], out[4200], plugin[4200], source[4200];
    snprintf(plugin, sizeof plugin, "%s/picky.so", work);
    snprintf(source, sizeof source, "%s/tests/data/plugins/broken.c", test_source_dir());
    test_compile_plugin(source, plugin, "-DNAME=\"picky\"");
    snprintf(config, sizeof config, "%s/bad.ini", work);
    snprintf(out, sizeof out, "%s/out", work);
    test_write_textf(config,
                     "[run]\nseeds = 1\n[dataset bad]\npath = %s/tests/data/harness/hourly.csv\nstep_seconds = 3600\n"
                     "seasonal_period = 24\nprotocol = ltsf\nlookback = 48\nhorizons = 12\n[model naive]\n[model picky]\n",
                     test_source_dir());
    const char *argv[] = {test_bench_binary(), "run", config, "--out", out, "--plugin", plugin, NULL};
    test_process_result result;
    assert_int_equal(test_process_run(&result, argv, NULL, NULL), 0);
    assert_int_equal(result.exit_code, 1);
    const char *line = strstr(result.err, "bad/picky h=12 seed=1: error: picky: refuses dataset bad [");
    if (line == NULL)
        fail_msg("no failed-cell line with its reason:\n%s", result.err);
    assert_non_null(strstr(line, " s]\n"));
    assert_non_null(strstr(result.err, "bad/naive h=12 seed=1: ok ["));
    test_process_free(&result);
    char path[4300];
    snprintf(path, sizeof path, "%s/run.json", out);
    test_assert_file_contains(path, "picky: refuses dataset bad");
}

TEST_MAIN("cli_suggest", test_bench_setup, NULL,
          cmocka_unit_test(misspelt_command),
          cmocka_unit_test(misspelt_model_dataset_and_subcommands),
          cmocka_unit_test(misspelt_hcsc_config_key),
          cmocka_unit_test(misspelt_shift_config_key),
          cmocka_unit_test(failed_cell_shows_its_reason))
