/* Forecaster plugins end to end (issue 5): the example plugins (Theta
 * reproduces M4's published Hourly benchmark), the README's commands verbatim
 * (scaffold → build → run → table), load errors that must stop a run before it
 * starts (exit 2), a plugin failing in fit on one dataset (status=error rows,
 * the sweep goes on).  The contract itself: tests/test_plugins_contract.c. */
#include <setjmp.h>
#include <stdarg.h>
#include <stddef.h>
#include <stdint.h>
#include <cmocka.h>
#include <libgen.h>
#include <math.h>
#include <stdio.h>
#include <stdlib.h>
#include <string.h>
#include <unistd.h>

#include "support_bench.h"
#include "support_files.h"
#include "support_cmocka.h"

static char tiny_csv[4096];

static int setup(void **state)
{
    (void)state;
    snprintf(tiny_csv, sizeof tiny_csv, "%s/tests/data/harness/hourly.csv", test_source_dir());
    return test_bench_built();
}

/* Value of (dataset, variant, metric) in a results.csv text, and its status. */
static double result_value(const char *results, const char *dataset, const char *variant, const char *metric,
                           char *status, size_t status_size)
{
    for (const char *line = results; line && *line; line = strchr(line, '\n') ? strchr(line, '\n') + 1 : NULL) {
        char row[1024];
        snprintf(row, sizeof row, "%.*s", (int)strcspn(line, "\n"), line);
        char *fields[11] = {0};
        size_t count = 0;
        for (char *cursor = row; count < 11; count++) {
            fields[count] = cursor;
            char *comma = strchr(cursor, ',');
            if (comma == NULL) {
                count++;
                break;
            }
            *comma = '\0';
            cursor = comma + 1;
        }
        if (count == 11 && !strcmp(fields[2], dataset) && !strcmp(fields[5], variant) && !strcmp(fields[8], metric)) {
            if (status != NULL)
                snprintf(status, status_size, "%s", fields[10]);
            return fields[9][0] ? strtod(fields[9], NULL) : NAN;
        }
    }
    if (status != NULL)
        snprintf(status, status_size, "absent");
    return NAN;
}

/* ---- The example plugins --------------------------------------------------------------- */

static const char *examples_dir(void)
{
    static char directory[4200];
    if (directory[0] == '\0') {
        snprintf(directory, sizeof directory, "%s", test_temp_dir());
        const char *names[] = {"theta", "knn_analogue"};
        for (size_t i = 0; i < 2; i++) {
            char source[4300], output[4300];
            snprintf(source, sizeof source, "%s/examples/plugins/%s.c", test_source_dir(), names[i]);
            snprintf(output, sizeof output, "%s/%s.so", directory, names[i]);
            test_compile_plugin(source, output, "-O2");
        }
    }
    return directory;
}

static void examples_pass_check_plugin(void **state)
{
    (void)state;
    /* Ours (built just now) and, when present, `make examples`' (with this
     * build's sanitizer flags) beside the binary. */
    char built[4200];
    snprintf(built, sizeof built, "%s", test_bench_binary());
    snprintf(strrchr(built, '/'), sizeof built - (size_t)(strrchr(built, '/') - built), "/examples");
    const char *directories[] = {examples_dir(), built};
    const char *names[] = {"theta", "knn_analogue"};
    for (size_t i = 0; i < 4; i++) {
        char path[8600];
        snprintf(path, sizeof path, "%s/%s.so", directories[i / 2], names[i % 2]);
        if (i >= 2 && access(path, R_OK) != 0) {
            fprintf(stderr, "note: %s not built (make examples); checked the test's own build only\n", path);
            continue;
        }
        const char *arguments[] = {"check-plugin", path, NULL};
        test_process_result result;
        assert_int_equal(test_bench_run_in(&result, NULL, arguments, NULL), 0);
        if (result.exit_code != 0)
            fprintf(stderr, "%s%s", result.out, result.err);
        assert_int_equal(result.exit_code, 0);
        assert_non_null(strstr(result.out, ", 0 failed"));
        test_process_free(&result);
    }
}

static void theta_reproduces_m4_hourly(void **state)
{
    (void)state;
    test_need_data("M4-Hourly-train.csv", "Theta's published values");
    const char *work = test_temp_dir();
    char config[4200], out[4200], path[4300];
    snprintf(config, sizeof config, "%s/m4.ini", work);
    snprintf(out, sizeof out, "%s/run", work);
    test_write_textf(config,
                     "[dataset m4_hourly]\nprotocol = m4\n[model theta]\nplugin = %s/theta.so\n"
                     "[model knn_analogue]\nplugin = %s/knn_analogue.so\n",
                     examples_dir(), examples_dir());
    const char *arguments[] = {"run", config, "--out", out, "--quiet", NULL};
    test_process_result result;
    assert_int_equal(test_bench_run_in(&result, NULL, arguments, NULL), 0);
    test_assert_exit(&result, 0);
    test_process_free(&result);
    snprintf(path, sizeof path, "%s/results.csv", out);
    char *results = test_slurp(path);
    /* M4 competition, Hourly, benchmark "Theta" (published to 3 decimals). */
    assert_float_equal(result_value(results, "m4_hourly", "theta", "smape", NULL, 0), 18.138, 0.0005);
    assert_float_equal(result_value(results, "m4_hourly", "theta", "mase", NULL, 0), 2.455, 0.0005);
    assert_float_equal(result_value(results, "m4_hourly", "theta", "owa", NULL, 0), 1.006, 0.0005);
    /* kNN analogues: our own measurement (no published value), kept from drifting. */
    assert_float_equal(result_value(results, "m4_hourly", "knn_analogue", "owa", NULL, 0), 0.5462, 0.0005);
    free(results);
}

/* ---- The README's commands, verbatim --------------------------------------------------- */

static void readme_commands_scaffold_build_run_table(void **state)
{
    (void)state;
    char readme_path[4200];
    snprintf(readme_path, sizeof readme_path, "%s/README.md", test_source_dir());
    char *readme = test_slurp(readme_path);
    const char *begin = strstr(readme, "<!-- readme-commands: begin -->");
    assert_non_null(begin);
    begin = strstr(begin, "```sh\n");
    assert_non_null(begin);
    begin += strlen("```sh\n");
    const char *end = strstr(begin, "```");
    assert_non_null(end);
    char script[8192];
    /* `set -e`: every command must succeed; bench comes first on the PATH. */
    char bench_dir[4200];
    snprintf(bench_dir, sizeof bench_dir, "%s", test_bench_binary());
    const char *bench_path = dirname(bench_dir);
    snprintf(script, sizeof script, "set -e\nPATH=%s:$PATH\n%.*s", bench_path, (int)(end - begin), begin);
    free(readme);
    const char *work = test_temp_dir();
    const char *argv[] = {"sh", "-c", script, NULL};
    test_process_result result;
    assert_int_equal(test_process_run(&result, argv, work, NULL), 0);
    if (result.exit_code != 0)
        fprintf(stderr, "README commands failed (exit %d):\n%s\n--- stdout\n%s--- stderr\n%s", result.exit_code,
                script, result.out, result.err);
    assert_int_equal(result.exit_code, 0);
    /* check-plugin passed, and the table has the new model as a column. */
    assert_non_null(strstr(result.out, "13 checks: 11 passed, 0 failed, 2 skipped"));
    assert_non_null(strstr(result.out, "| seasonal\\_naive | my\\_model |"));
    char path[4400];
    snprintf(path, sizeof path, "%s/runs/try/results.csv", work);
    char *results = test_slurp(path);
    char status[16];
    double mse = result_value(results, "synthetic", "my_model", "mse", status, sizeof status);
    assert_string_equal(status, "ok");
    assert_true(isfinite(mse) && mse > 0.0);
    free(results);
    test_process_free(&result);

    /* The scaffold's own README block works too, run inside the scaffold. */
    char scaffold[4200];
    snprintf(scaffold, sizeof scaffold, "%s/my_model", work);
    snprintf(path, sizeof path, "%s/README.md", scaffold);
    readme = test_slurp(path);
    begin = strstr(readme, "```sh\n");
    assert_non_null(begin);
    begin += strlen("```sh\n");
    end = strstr(begin, "```");
    assert_non_null(end);
    snprintf(script, sizeof script, "set -e\nPATH=%s:$PATH\nmake clean >/dev/null\n%.*s", bench_path,
             (int)(end - begin), begin);
    free(readme);
    assert_int_equal(test_process_run(&result, argv, scaffold, NULL), 0);
    if (result.exit_code != 0)
        fprintf(stderr, "scaffold README commands failed (exit %d):\n%s\n--- stderr\n%s", result.exit_code, script,
                result.err);
    assert_int_equal(result.exit_code, 0);
    assert_non_null(strstr(result.out, "| seasonal\\_naive | my\\_model |"));
    test_process_free(&result);
}

static void new_forecaster_refuses_bad_input(void **state)
{
    (void)state;
    const char *work = test_temp_dir();
    const char *bad_names[] = {"MyModel", "1model", "my-model", "naive", ""};
    for (size_t i = 0; i < sizeof bad_names / sizeof bad_names[0]; i++) {
        const char *arguments[] = {"new-forecaster", bad_names[i], NULL};
        test_process_result result;
        assert_int_equal(test_bench_run_in(&result, work, arguments, NULL), 0);
        if (result.exit_code != 2)
            fprintf(stderr, "name '%s': exit %d\n", bad_names[i], result.exit_code);
        assert_int_equal(result.exit_code, 2);
        assert_true(strlen(result.err) > 0);
        test_process_free(&result);
    }
    /* Existing files are never overwritten. */
    const char *arguments[] = {"new-forecaster", "mine", "here", NULL};
    test_process_result result;
    assert_int_equal(test_bench_run_in(&result, work, arguments, NULL), 0);
    assert_int_equal(result.exit_code, 0);
    test_process_free(&result);
    char path[4300];
    snprintf(path, sizeof path, "%s/here/mine.c", work);
    assert_int_equal(test_write_file(path, "/* my edits */\n"), 0);
    assert_int_equal(test_bench_run_in(&result, work, arguments, NULL), 0);
    assert_int_equal(result.exit_code, 2);
    assert_non_null(strstr(result.err, "exists"));
    test_process_free(&result);
    char *kept = test_read_file(path, NULL);
    assert_string_equal(kept, "/* my edits */\n");
    free(kept);
}

/* The scaffold names no folder of the machine that wrote it: copied elsewhere
 * (the original deleted), it builds with the bench on the PATH and its try.ini
 * runs from another directory, its paths being relative to try.ini. */
static void scaffold_builds_and_runs_after_a_move(void **state)
{
    (void)state;
    const char *work = test_temp_dir();
    char script[16384], bench_dir[4200];
    snprintf(bench_dir, sizeof bench_dir, "%s", test_bench_binary());
    const char *bench_path = dirname(bench_dir);
    snprintf(script, sizeof script,
             "set -e\nPATH=%s:$PATH\n"
             "mkdir -p first second/nested\n"
             "(cd first && bench new-forecaster moved_model >/dev/null)\n"
             "if grep -n \"$PWD\" first/moved_model/Makefile first/moved_model/try.ini; then\n"
             "    echo 'the scaffold names the folder it was written in' >&2; exit 1\n"
             "fi\n"
             "cp -r first/moved_model second/nested/plugin\n"
             "rm -rf first\n"
             "make -C second/nested/plugin >/dev/null\n"
             "cd second\n"
             "bench run nested/plugin/try.ini --out ../runs/moved --quiet\n",
             bench_path);
    const char *argv[] = {"sh", "-c", script, NULL};
    test_process_result result;
    assert_int_equal(test_process_run(&result, argv, work, NULL), 0);
    if (result.exit_code != 0)
        fprintf(stderr, "moved scaffold failed (exit %d):\n%s\n--- stdout\n%s--- stderr\n%s", result.exit_code, script,
                result.out, result.err);
    assert_int_equal(result.exit_code, 0);
    test_process_free(&result);
    char path[4400];
    snprintf(path, sizeof path, "%s/runs/moved/results.csv", work);
    char *results = test_slurp(path);
    char status[16];
    assert_true(isfinite(result_value(results, "synthetic", "moved_model", "mse", status, sizeof status)));
    assert_string_equal(status, "ok");
    free(results);
}

/* ---- Load errors: exit 2, the run does not start ----------------------------------------- */

typedef struct {
    const char *label;
    const char *defines;     /* compiler flags selecting the variant */
    const char *expect;      /* substring of stderr */
} load_case;

static const load_case load_cases[] = {
    {"newer ABI major", "-DVARIANT=1", "built for forecaster ABI 2.3, but this bench speaks ABI 1.0"},
    {"older ABI major", "-DVARIANT=2", "built for forecaster ABI 0.0"},
    {"NULL vtable", "-DVARIANT=3", "NULL vtable"},
    {"missing entry symbol", "-DVARIANT=4", "no entry symbol bench_plugin_forecaster"},
    {"empty required slot", "-DVARIANT=5", "required slot 'predict' is empty"},
    {"undefined symbol (dlopen error verbatim)", "-DVARIANT=6", "undefined symbol: no_such_function_in_bench"},
    {"name of a built-in", "-DNAME=\"naive\"", "clashes with the built-in"},
    {"bad name", "-DNAME=\"Bad-Name\"", "must be lower-case letters"},
};

/* One source, many broken plugins: -DVARIANT=n picks what is wrong. */
static void broken_source(char *path, size_t size)
{
    snprintf(path, size, "%s/tests/data/plugins/broken.c", test_source_dir());
}

/* The run refused: exit 2, the message, and no output directory at all. */
static void expect_refused(const char *const arguments[], const char *const environment[], const char *out,
                           const char *expect, const char *label)
{
    test_process_result result;
    assert_int_equal(test_bench_run_in(&result, NULL, arguments, environment), 0);
    int ok = result.exit_code == 2 && strstr(result.err, expect) != NULL && access(out, F_OK) != 0;
    if (!ok)
        fprintf(stderr, "case '%s': exit %d, output dir %s, stderr: %s", label, result.exit_code,
                access(out, F_OK) == 0 ? "exists" : "absent", result.err);
    assert_true(ok);
    test_process_free(&result);
}

static void load_errors_exit_2_before_the_run(void **state)
{
    (void)state;
    const char *work = test_temp_dir();
    char source[4300], config[4300], out[4300], text[20000];
    broken_source(source, sizeof source);
    snprintf(config, sizeof config, "%s/run.ini", work);
    snprintf(out, sizeof out, "%s/out", work);
    test_write_textf(config,
                     "[dataset tiny]\npath = %s\nstep_seconds = 3600\nprotocol = ltsf\nlookback = 24\nhorizons = 12\n"
                     "[model naive]\n",
                     tiny_csv);
    for (size_t i = 0; i < sizeof load_cases / sizeof load_cases[0]; i++) {
        char plugin[4300];
        snprintf(plugin, sizeof plugin, "%s/case%zu.so", work, i);
        test_compile_plugin(source, plugin, load_cases[i].defines);
        const char *arguments[] = {"run", config, "--out", out, "--quiet", "--plugin", plugin, NULL};
        expect_refused(arguments, NULL, out, load_cases[i].expect, load_cases[i].label);
        const char *check[] = {"check-plugin", plugin, NULL};
        test_process_result result;
        assert_int_equal(test_bench_run_in(&result, NULL, check, NULL), 0);
        if (result.exit_code != 2)
            fprintf(stderr, "check-plugin, case '%s': exit %d: %s", load_cases[i].label, result.exit_code, result.err);
        assert_int_equal(result.exit_code, 2);
        test_process_free(&result);
    }
    /* Not a shared object at all: dlopen's own words. */
    char fake[4300];
    snprintf(fake, sizeof fake, "%s/fake.so", work);
    assert_int_equal(test_write_file(fake, "not an ELF file\n"), 0);
    const char *fake_run[] = {"run", config, "--out", out, "--quiet", "--plugin", fake, NULL};
    expect_refused(fake_run, NULL, out, "fake.so", "not a shared object");

    /* The same errors through `plugin =` in a [model] section and BENCH_PLUGIN_PATH. */
    char abi[4300], in_config[4300];
    snprintf(abi, sizeof abi, "%s/case0.so", work);
    snprintf(in_config, sizeof in_config, "%s/plugin_key.ini", work);
    test_write_textf(in_config,
                     "[dataset tiny]\npath = %s\nstep_seconds = 3600\nprotocol = ltsf\nlookback = 24\nhorizons = 12\n"
                     "[model broken]\nplugin = %s\n",
                     tiny_csv, abi);
    const char *by_key[] = {"run", in_config, "--out", out, "--quiet", NULL};
    expect_refused(by_key, NULL, out, "plugin_key.ini:8", "plugin = in a [model] section");
    char plugin_dir[4300], environment[4400];
    snprintf(plugin_dir, sizeof plugin_dir, "%s/scan", work);
    char copy[4400];
    snprintf(copy, sizeof copy, "%s/broken.so", plugin_dir);
    snprintf(text, sizeof text, "mkdir -p '%s' && cp '%s' '%s'", plugin_dir, abi, copy);
    assert_int_equal(system(text), 0);
    snprintf(environment, sizeof environment, "BENCH_PLUGIN_PATH=%s", plugin_dir);
    const char *by_path[] = {"run", config, "--out", out, "--quiet", NULL};
    const char *const env[] = {environment, NULL};
    expect_refused(by_path, env, out, "broken.so", "BENCH_PLUGIN_PATH");

    /* Two plugins with one name. */
    char twin_a[4300], twin_b[4300];
    snprintf(twin_a, sizeof twin_a, "%s/twin_a.so", work);
    snprintf(twin_b, sizeof twin_b, "%s/twin_b.so", work);
    test_compile_plugin(source, twin_a, "-DNAME=\"twin\"");
    test_compile_plugin(source, twin_b, "-DNAME=\"twin\"");
    const char *twins[] = {"run", config, "--out", out, "--quiet", "--plugin", twin_a, "--plugin", twin_b, NULL};
    expect_refused(twins, NULL, out, "already provided by plugin", "duplicate plugin name");
}

/* ---- A plugin failing in fit on one dataset ------------------------------------------------ */

static void fit_failure_gives_error_rows_and_the_sweep_continues(void **state)
{
    (void)state;
    const char *work = test_temp_dir();
    char source[4300], plugin[4300], config[4300], out[4300], path[4400];
    broken_source(source, sizeof source);
    snprintf(plugin, sizeof plugin, "%s/picky.so", work);
    test_compile_plugin(source, plugin, "-DNAME=\"picky\"");
    snprintf(config, sizeof config, "%s/run.ini", work);
    snprintf(out, sizeof out, "%s/out", work);
    test_write_textf(config,
                     "[dataset good]\npath = %s\nstep_seconds = 3600\nprotocol = ltsf\nlookback = 24\nhorizons = 12\n"
                     "[dataset bad]\npath = %s\nstep_seconds = 3600\nprotocol = ltsf\nlookback = 24\nhorizons = 12\n"
                     "[model picky]\nplugin = %s\n[model naive]\n",
                     tiny_csv, tiny_csv, plugin);
    const char *arguments[] = {"run", config, "--out", out, "--quiet", NULL};
    test_process_result result;
    assert_int_equal(test_bench_run_in(&result, NULL, arguments, NULL), 0);
    assert_int_equal(result.exit_code, 1);
    test_process_free(&result);
    snprintf(path, sizeof path, "%s/results.csv", out);
    char *results = test_slurp(path);
    char status[16];
    assert_true(isnan(result_value(results, "bad", "picky", "mse", status, sizeof status)));
    assert_string_equal(status, "error");
    assert_true(isfinite(result_value(results, "good", "picky", "mse", status, sizeof status)));
    assert_string_equal(status, "ok");
    assert_true(isfinite(result_value(results, "bad", "naive", "mse", status, sizeof status)));
    assert_string_equal(status, "ok");
    free(results);
    snprintf(path, sizeof path, "%s/run.json", out);
    test_assert_file_contains(path, "picky: refuses dataset bad");
}

TEST_MAIN("plugins", setup, NULL,
          cmocka_unit_test(examples_pass_check_plugin),
          cmocka_unit_test(theta_reproduces_m4_hourly),
          cmocka_unit_test(readme_commands_scaffold_build_run_table),
          cmocka_unit_test(new_forecaster_refuses_bad_input),
          cmocka_unit_test(scaffold_builds_and_runs_after_a_move),
          cmocka_unit_test(load_errors_exit_2_before_the_run),
          cmocka_unit_test(fit_failure_gives_error_rows_and_the_sweep_continues))
