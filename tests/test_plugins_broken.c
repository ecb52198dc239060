/* `bench check-plugin` catches broken plugins (tests/data/plugins/broken.c):
 * writes past the output, global state, process-dependent output, reads of a
 * window's future, writes into a view, a crashing destroy(NULL), a training
 * view kept past fit, a save/load that forgets the fit. */
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

#include "support_process.h"

static int setup(void **state)
{
    (void)state;
    if (access(test_bench_binary(), X_OK) != 0) {
        fprintf(stderr, "test_plugins: %s is not built\n", test_bench_binary());
        return -1;
    }
    return 0;
}

static int run_bench_in(test_process_result *result, const char *cwd, const char *const arguments[],
                        const char *const environment[])
{
    const char *argv[32] = {test_bench_binary()};
    size_t count = 1;
    for (size_t i = 0; arguments[i] != NULL && count < 31; i++)
        argv[count++] = arguments[i];
    argv[count] = NULL;
    return test_process_run(result, argv, cwd, environment);
}

/* cc -shared -fPIC against the source tree, exactly as a user would (plus -D flags). */
static void compile_plugin(const char *source, const char *output, const char *define)
{
    char include[4200];
    snprintf(include, sizeof include, "-I%s/include", test_source_dir());
    const char *argv[] = {"cc", "-std=c11", "-shared", "-fPIC", include, define ? define : "-DUNUSED_DEFINE",
                          source, "-o", output, "-lm", NULL};
    test_process_result result;
    assert_int_equal(test_process_run(&result, argv, NULL, NULL), 0);
    if (result.exit_code != 0)
        fprintf(stderr, "compiling %s (%s) failed:\n%s", source, define ? define : "", result.err);
    assert_int_equal(result.exit_code, 0);
    test_process_free(&result);
}

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
        compile_plugin(source, plugin, cases[i].defines);
        const char *arguments[] = {"check-plugin", plugin, NULL};
        test_process_result result;
        assert_int_equal(run_bench_in(&result, NULL, arguments, environment), 0);
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

int main(void)
{
    const struct CMUnitTest tests[] = {
        cmocka_unit_test(contract_catches_broken_plugins),
    };
    return cmocka_run_group_tests_name("plugins_broken", tests, setup, NULL);
}
