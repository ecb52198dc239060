/* `bench check-plugin` catches broken plugins (tests/data/plugins/broken.c):
 * writes past the output, global state, process-dependent output, reads of a
 * window's future, writes into a view, a crashing destroy(NULL), a training
 * view kept past fit, a save/load that forgets the fit.
 * And plugins whose code crashes, exits or hangs while bench loads them
 * (tests/data/plugins/hostile.c) are refused with exit 2 and the reason, by
 * `bench check-plugin`, `bench run --plugin` and BENCH_PLUGIN_PATH (issue 17). */
#include <setjmp.h>
#include <stdarg.h>
#include <stddef.h>
#include <stdint.h>
#include <cmocka.h>
#include <ctype.h>
#include <dirent.h>
#include <libgen.h>
#include <math.h>
#include <stdio.h>
#include <stdlib.h>
#include <string.h>
#include <time.h>
#include <unistd.h>

#include "support_bench.h"
#include "support_files.h"
#include "support_cmocka.h"

/* ---- The contract catches broken plugins --------------------------------------------------- */

static void contract_catches_broken_plugins(void **state)
{
    (void)state;
    static const struct {
        const char *defines, *failing_check, *expect;
    } cases[] = {
        {"-DVARIANT=8", "fit_predict", "crashed"},                   /* writes one past the output */
        {"-DVARIANT=9", "determinism", "differ at output"},          /* global counter */
        {"-DVARIANT=10", "determinism", "between two processes"},    /* process-dependent output */
        {"-DVARIANT=11", "fit_predict", "crashed"},                  /* reads the window's future */
        {"-DVARIANT=12", "fit_predict", "crashed"},                  /* writes into a training view */
        {"-DVARIANT=13", "destroy_null", "crashed"},                 /* destroy(NULL) dereferences */
        {"-DVARIANT=14", "fit_predict", "after fit returned"},       /* keeps the training view */
        {"-DVARIANT=15", "save_load", "differ from the original"},  /* load forgets the fit */
    };
    const char *work = test_temp_dir();
    char source[4300];
    snprintf(source, sizeof source, "%s/tests/data/plugins/broken.c", test_source_dir());
    /* Under a sanitizer each crash is reported; symbolising them all is slow. */
    char asan[1024];
    const char *inherited = getenv("ASAN_OPTIONS");
    snprintf(asan, sizeof asan, "ASAN_OPTIONS=%s%ssymbolize=0", inherited ? inherited : "",
             inherited && inherited[0] ? ":" : "");
    const char *const environment[] = {asan, NULL};
    for (size_t i = 0; i < sizeof cases / sizeof cases[0]; i++) {
        char plugin[4300], line[256];
        snprintf(plugin, sizeof plugin, "%s/broken%zu.so", work, i);
        test_compile_plugin(source, plugin, cases[i].defines);
        const char *arguments[] = {"check-plugin", plugin, NULL};
        test_process_result result;
        assert_int_equal(test_bench_run_in(&result, NULL, arguments, environment), 0);
        snprintf(line, sizeof line, "FAIL  %-18s", cases[i].failing_check);
        const char *found = strstr(result.out, line);
        int ok = result.exit_code == 1 && found != NULL && strstr(found, cases[i].expect) != NULL;
        if (!ok)
            fprintf(stderr, "case %s: exit %d, expected '%s' ... '%s' in:\n%s", cases[i].defines, result.exit_code,
                    line, cases[i].expect, result.out);
        assert_true(ok);
        if (strcmp(cases[i].defines, "-DVARIANT=15") == 0)
            assert_non_null(strstr(result.out, "ok    predict_samples"));
        test_process_free(&result);
    }
}

/* ---- Plugins whose code crashes, exits or hangs while loading ------------------------------ */

/* Seconds since an arbitrary start, for bounding a command's duration. */
static double now_seconds(void)
{
    struct timespec now;
    clock_gettime(CLOCK_MONOTONIC, &now);
    return (double)now.tv_sec + (double)now.tv_nsec * 1e-9;
}

/* Run bench under coreutils' timeout, so that a hang fails the test (exit 124)
 * instead of stalling it; *seconds receives the wall time. */
static void run_bounded(test_process_result *result, const char *const arguments[], const char *const environment[],
                        double *seconds)
{
    const char *argv[32] = {"timeout", "-s", "KILL", "120", test_bench_binary()};
    size_t count = 5;
    for (size_t i = 0; arguments[i] != NULL && count < 31; i++)
        argv[count++] = arguments[i];
    argv[count] = NULL;
    double start = now_seconds();
    assert_int_equal(test_process_run(result, argv, NULL, environment), 0);
    *seconds = now_seconds() - start;
}

/* How many processes have `text` in their command line: a probe child left
 * behind would still carry bench's arguments, the plugin's path among them. */
static size_t processes_mentioning(const char *text)
{
    size_t found = 0;
    DIR *proc = opendir("/proc");
    if (proc == NULL)
        return 0;
    struct dirent *entry;
    while ((entry = readdir(proc)) != NULL) {
        if (!isdigit((unsigned char)entry->d_name[0]))
            continue;
        char path[300], line[8192];
        snprintf(path, sizeof path, "/proc/%s/cmdline", entry->d_name);
        FILE *file = fopen(path, "rb");
        if (file == NULL)
            continue;
        size_t length = fread(line, 1, sizeof line - 1, file);
        fclose(file);
        for (size_t i = 0; i < length; i++)
            if (line[i] == '\0')
                line[i] = ' ';
        line[length] = '\0';
        if (strstr(line, text) != NULL && strstr(line, "timeout") == NULL)
            found++;
    }
    closedir(proc);
    return found;
}

typedef struct {
    const char *label;
    const char *define;        /* -DHOSTILE=n, see tests/data/plugins/hostile.c */
    const char *reason;        /* follows "plugin PATH " in the message */
    const char *where;         /* the loading stage the message names */
} hostile_case;

static const hostile_case hostile_cases[] = {
    {"constructor segfaults", "-DHOSTILE=1", "crashed while loading: signal 11 (Segmentation fault)", "in dlopen"},
    {"entry segfaults", "-DHOSTILE=2", "crashed while loading: signal 11 (Segmentation fault)",
     "in its entry function bench_plugin_forecaster()"},
    {"entry calls exit(3)", "-DHOSTILE=3", "exited with status 3 while loading",
     "in its entry function bench_plugin_forecaster()"},
    {"entry calls exit(0)", "-DHOSTILE=7", "exited with status 0 while loading",
     "in its entry function bench_plugin_forecaster()"},
    {"vtable name is a bad pointer", "-DHOSTILE=5", "crashed while loading: signal 11 (Segmentation fault)",
     "vtable"},
    {"constructor hangs", "-DHOSTILE=4", "did not finish loading within", "in dlopen"},
};

/* exit 2; stderr says "plugin PATH REASON" and names the stage; nothing ran. */
static void expect_load_refused(const test_process_result *result, double seconds, double limit, const char *plugin,
                                const hostile_case *c, const char *command)
{
    char expect[4600];
    snprintf(expect, sizeof expect, "plugin %s %s", plugin, c->reason);
    int ok = result->exit_code == 2 && strstr(result->err, expect) != NULL && strstr(result->err, c->where) != NULL &&
             strstr(result->out, "checks:") == NULL && seconds < limit;
    if (!ok)
        fprintf(stderr, "%s, case '%s': exit %d after %.1f s (limit %.0f s); expected '%s' ... '%s' in stderr:\n%s",
                command, c->label, result->exit_code, seconds, limit, expect, c->where, result->err);
    assert_int_equal(result->exit_code, 2);
    assert_non_null(strstr(result->err, expect));
    assert_non_null(strstr(result->err, c->where));
    assert_null(strstr(result->out, "checks:"));
    assert_true(seconds < limit);
}

/* WORK/tiny.ini: tests/data/harness/hourly.csv with the given [model]
 * sections, and the paths its run writes (WORK/out). */
typedef struct tiny_run {
    char config[4300], out[4300], results[4400];
} tiny_run;

static void tiny_run_write(tiny_run *run, const char *work, const char *models)
{
    snprintf(run->config, sizeof run->config, "%s/tiny.ini", work);
    snprintf(run->out, sizeof run->out, "%s/out", work);
    snprintf(run->results, sizeof run->results, "%s/results.csv", run->out);
    test_write_textf(run->config,
                     "[dataset tiny]\npath = %s/tests/data/harness/hourly.csv\nstep_seconds = 3600\nprotocol = ltsf\n"
                     "lookback = 24\nhorizons = 12\n%s",
                     test_source_dir(), models);
}

static void crashing_exiting_or_hanging_plugins_are_refused_at_load(void **state)
{
    (void)state;
    const char *work = test_temp_dir();
    char source[4300];
    snprintf(source, sizeof source, "%s/tests/data/plugins/hostile.c", test_source_dir());
    tiny_run tiny;
    tiny_run_write(&tiny, work, "[model naive]\n");
    for (size_t i = 0; i < sizeof hostile_cases / sizeof hostile_cases[0]; i++) {
        const hostile_case *c = &hostile_cases[i];
        int hangs = strcmp(c->define, "-DHOSTILE=4") == 0;
        char plugin[4300];
        snprintf(plugin, sizeof plugin, "%s/hostile%zu.so", work, i);
        test_compile_plugin(source, plugin, c->define);

        /* check-plugin: --timeout bounds loading too, so the hang costs 2 s here. */
        const char *check[] = {"check-plugin", plugin, "--timeout", "2", NULL};
        test_process_result result;
        double seconds;
        run_bounded(&result, check, NULL, &seconds);
        expect_load_refused(&result, seconds, hangs ? 30 : 20, plugin, c, "check-plugin");
        if (hangs)
            assert_non_null(strstr(result.err, "within 2 s"));
        test_process_free(&result);

        /* run --plugin: the default limit; the run never starts. */
        const char *run[] = {"run", tiny.config, "--out", tiny.out, "--quiet", "--plugin", plugin, NULL};
        run_bounded(&result, run, NULL, &seconds);
        expect_load_refused(&result, seconds, hangs ? 40 : 20, plugin, c, "run --plugin");
        if (hangs)
            assert_non_null(strstr(result.err, "within 10 s"));
        assert_int_not_equal(access(tiny.results, F_OK), 0);
        test_process_free(&result);
        /* The probe is gone when bench returns: killed when it hung, never left behind. */
        assert_int_equal(processes_mentioning(plugin), 0);
    }

    /* Found by scanning BENCH_PLUGIN_PATH: the same refusal, naming the file in that folder. */
    char scan[4300], copy[4400], environment[4400], command[13000];
    snprintf(scan, sizeof scan, "%s/scan", work);
    snprintf(copy, sizeof copy, "%s/entry_crash.so", scan);
    snprintf(command, sizeof command, "mkdir -p '%s' && cp '%s/hostile1.so' '%s'", scan, work, copy);
    assert_int_equal(system(command), 0);
    snprintf(environment, sizeof environment, "BENCH_PLUGIN_PATH=%s", scan);
    const char *const env[] = {environment, NULL};
    const char *run[] = {"run", tiny.config, "--out", tiny.out, "--quiet", NULL};
    test_process_result result;
    double seconds;
    run_bounded(&result, run, env, &seconds);
    expect_load_refused(&result, seconds, 20, copy, &hostile_cases[1], "run with BENCH_PLUGIN_PATH");
    assert_int_not_equal(access(tiny.results, F_OK), 0);
    test_process_free(&result);
}

/* The control: the same source without a defect loads through the probe, and
 * check-plugin and run succeed. */
static void a_sound_plugin_passes_the_probe(void **state)
{
    (void)state;
    const char *work = test_temp_dir();
    char source[4300], plugin[4300], models[4400];
    snprintf(source, sizeof source, "%s/tests/data/plugins/hostile.c", test_source_dir());
    snprintf(plugin, sizeof plugin, "%s/sound.so", work);
    test_compile_plugin(source, plugin, "-DHOSTILE=0");
    const char *check[] = {"check-plugin", plugin, NULL};
    test_process_result result;
    double seconds;
    run_bounded(&result, check, NULL, &seconds);
    if (result.exit_code != 0)
        fprintf(stderr, "check-plugin of a sound plugin: exit %d\n%s%s", result.exit_code, result.out, result.err);
    assert_int_equal(result.exit_code, 0);
    test_process_free(&result);
    /* Named twice (config and --plugin): loaded once, not refused as a clash. */
    snprintf(models, sizeof models, "[model hostile]\nplugin = %s\n", plugin);
    tiny_run tiny;
    tiny_run_write(&tiny, work, models);
    const char *run[] = {"run", tiny.config, "--out", tiny.out, "--quiet", "--plugin", plugin, NULL};
    run_bounded(&result, run, NULL, &seconds);
    if (result.exit_code != 0)
        fprintf(stderr, "run with a sound plugin: exit %d\n%s", result.exit_code, result.err);
    assert_int_equal(result.exit_code, 0);
    assert_int_equal(access(tiny.results, F_OK), 0);
    test_process_free(&result);
}

/* fit crashing is not a load failure: the plugin loads, and the contract's
 * fit_predict check, run in its own process, reports the crash (exit 1, as
 * for every failed check) instead of bench dying with it. */
static void a_crashing_fit_is_a_failed_check(void **state)
{
    (void)state;
    const char *work = test_temp_dir();
    char source[4300], plugin[4300];
    snprintf(source, sizeof source, "%s/tests/data/plugins/hostile.c", test_source_dir());
    snprintf(plugin, sizeof plugin, "%s/fit_crash.so", work);
    test_compile_plugin(source, plugin, "-DHOSTILE=6");
    char asan[1024];
    const char *inherited = getenv("ASAN_OPTIONS");
    snprintf(asan, sizeof asan, "ASAN_OPTIONS=%s%ssymbolize=0", inherited ? inherited : "",
             inherited && inherited[0] ? ":" : "");
    const char *const environment[] = {asan, NULL};
    const char *check[] = {"check-plugin", plugin, "--timeout", "30", NULL};
    test_process_result result;
    double seconds;
    run_bounded(&result, check, environment, &seconds);
    char header[4400];
    snprintf(header, sizeof header, "check-plugin hostile (%s)", plugin);
    const char *failed = strstr(result.out, "FAIL  fit_predict");
    int ok = result.exit_code == 1 && strstr(result.out, header) != NULL && failed != NULL &&
             strstr(failed, "crashed (Segmentation fault)") != NULL && strstr(result.out, "checks:") != NULL;
    if (!ok)
        fprintf(stderr, "check-plugin, fit crashes: exit %d\n%s%s", result.exit_code, result.out, result.err);
    assert_true(ok);
    test_process_free(&result);
}

TEST_MAIN("plugins_broken", test_bench_setup, NULL,
          cmocka_unit_test(contract_catches_broken_plugins),
          cmocka_unit_test(crashing_exiting_or_hanging_plugins_are_refused_at_load),
          cmocka_unit_test(a_sound_plugin_passes_the_probe),
          cmocka_unit_test(a_crashing_fit_is_a_failed_check))
