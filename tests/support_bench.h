/* Test support for the tests that drive the bench program: group setup,
 * running it, expecting an exit code, reading what it wrote, compiling a
 * plugin.  Failures are cmocka assertions; needs only cmocka, libc,
 * support_process and support_files, so any test binary may link it. */
#ifndef BENCH_TEST_SUPPORT_BENCH_H
#define BENCH_TEST_SUPPORT_BENCH_H

#include <sys/types.h>

#include "support_process.h"

/* 0 when the bench binary under test is executable; otherwise says so on
 * stderr and returns -1, so a group setup can return it as is. */
int test_bench_built(void);

/* Skips the calling test, saying so on stdout, unless the bench binary under
 * test is built. */
void test_need_bench(void);

/* cmocka group setup for tests that need only the built bench binary. */
int test_bench_setup(void **state);

/* cmocka group setup: the built bench binary and test_scratch (support_files.h). */
int test_bench_scratch_setup(void **state);

/* Runs bench with the NULL-terminated arguments (at most 30) in cwd (NULL =
 * current) with extra environment entries (may be NULL); returns
 * test_process_run's status.  The caller frees result with test_process_free. */
int test_bench_run_in(test_process_result *result, const char *cwd, const char *const arguments[],
                      const char *const environment[]);

/* Starts bench with the NULL-terminated arguments (at most 30) in the
 * background with extra environment entries "NAME=VALUE" (may be NULL), stdout
 * discarded and stderr written to err_path; returns its pid for the caller to
 * wait for. */
pid_t test_bench_spawn(const char *const arguments[], const char *const environment[], const char *err_path);

/* Sleeps ms milliseconds (polling loops that wait for a child's progress). */
void test_sleep_ms(long ms);

/* Runs bench with the NULL-terminated arguments and extra environment (may be
 * NULL) and fails the test, showing its output, unless it exits with code, its
 * stdout holds each of out_expected and its stderr each of err_expected
 * (NULL-terminated lists; NULL for none). */
void test_expect_bench(const char *const arguments[], const char *const environment[], int code,
                       const char *const out_expected[], const char *const err_expected[]);

/* Runs bench with the NULL-terminated arguments from the source directory and
 * fails the test unless it exits 2 (a usage error) saying why on stderr. */
void test_expect_usage_error(const char *const arguments[]);

/* Fails the test, showing its stderr, unless the finished process exited with
 * `code`; result stays the caller's to free. */
void test_assert_exit(const test_process_result *result, int code);

/* Fails the test unless the file at path exists and contains needle. */
void test_assert_file_contains(const char *path, const char *needle);

/* Compiles a plugin with cc -shared -fPIC against the source tree's include/,
 * as a user would, plus one -D flag (NULL for none); fails the test on error. */
void test_compile_plugin(const char *source, const char *output, const char *define);

#endif
