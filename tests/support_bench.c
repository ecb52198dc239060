#include "support_bench.h"

#include <setjmp.h>
#include <stdarg.h>
#include <stddef.h>
#include <stdint.h>
#include <cmocka.h>
#include <errno.h> /* program_invocation_short_name */
#include <stdio.h>
#include <stdlib.h>
#include <string.h>
#include <time.h>
#include <unistd.h>

#include "support_files.h"

int test_bench_built(void)
{
    if (access(test_bench_binary(), X_OK) == 0)
        return 0;
    fprintf(stderr, "%s: %s is not built\n", program_invocation_short_name, test_bench_binary());
    return -1;
}

void test_need_bench(void)
{
    if (access(test_bench_binary(), X_OK) == 0)
        return;
    printf("SKIPPED: %s not built\n", test_bench_binary());
    skip();
}

int test_bench_setup(void **state)
{
    (void)state;
    return test_bench_built();
}

int test_bench_scratch_setup(void **state)
{
    return test_bench_built() == 0 ? test_scratch_setup(state) : -1;
}

int test_bench_run_in(test_process_result *result, const char *cwd, const char *const arguments[],
                      const char *const environment[])
{
    const char *argv[32] = {test_bench_binary()};
    size_t count = 1;
    for (size_t i = 0; arguments[i] != NULL && count < 31; i++)
        argv[count++] = arguments[i];
    argv[count] = NULL;
    return test_process_run(result, argv, cwd, environment);
}

pid_t test_bench_spawn(const char *const arguments[], const char *const environment[], const char *err_path)
{
    pid_t child = fork();
    assert_true(child >= 0);
    if (child == 0) {
        for (size_t i = 0; environment != NULL && environment[i] != NULL; i++)
            putenv((char *)environment[i]);
        if (freopen("/dev/null", "w", stdout) == NULL || freopen(err_path, "w", stderr) == NULL)
            _exit(126);
        const char *argv[32] = {test_bench_binary()};
        size_t count = 1;
        for (size_t i = 0; arguments[i] != NULL && count < 31; i++)
            argv[count++] = arguments[i];
        argv[count] = NULL;
        execv(argv[0], (char *const *)argv);
        _exit(127);
    }
    return child;
}

void test_sleep_ms(long ms)
{
    struct timespec pause = {.tv_sec = ms / 1000, .tv_nsec = (ms % 1000) * 1000000L};
    nanosleep(&pause, NULL);
}

static void expect_all(const char *stream, const char *text, const char *const expected[],
                       const char *const arguments[])
{
    for (size_t i = 0; expected != NULL && expected[i] != NULL; i++)
        if (strstr(text, expected[i]) == NULL)
            fail_msg("bench %s %s: %s lacks \"%s\":\n%s", arguments[0], arguments[1] ? arguments[1] : "", stream,
                     expected[i], text);
}

void test_expect_bench(const char *const arguments[], const char *const environment[], int code,
                       const char *const out_expected[], const char *const err_expected[])
{
    test_process_result result;
    assert_int_equal(test_bench_run_in(&result, NULL, arguments, environment), 0);
    test_assert_exit(&result, code);
    expect_all("stdout", result.out, out_expected, arguments);
    expect_all("stderr", result.err, err_expected, arguments);
    test_process_free(&result);
}

void test_expect_usage_error(const char *const arguments[])
{
    test_process_result result;
    assert_int_equal(test_bench_run_in(&result, test_source_dir(), arguments, NULL), 0);
    if (result.exit_code != 2) {
        fprintf(stderr, "bench");
        for (size_t i = 0; arguments[i] != NULL; i++)
            fprintf(stderr, " %s", arguments[i]);
        fprintf(stderr, ": exit %d: %s", result.exit_code, result.err);
    }
    assert_int_equal(result.exit_code, 2);
    assert_true(strlen(result.err) > 0);
    test_process_free(&result);
}

void test_assert_exit(const test_process_result *result, int code)
{
    if (result->exit_code != code)
        fprintf(stderr, "%s", result->err);
    assert_int_equal(result->exit_code, code);
}

void test_assert_file_contains(const char *path, const char *needle)
{
    char *text = test_read_file(path, NULL);
    if (text == NULL)
        fail_msg("%s is missing", path);
    if (strstr(text, needle) == NULL)
        fail_msg("%s lacks \"%s\"", path, needle);
    free(text);
}

void test_compile_plugin(const char *source, const char *output, const char *define)
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
