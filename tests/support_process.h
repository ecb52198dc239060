/* Test support: run the bench binary (or any program) and capture its output. */
#ifndef BENCH_TEST_SUPPORT_PROCESS_H
#define BENCH_TEST_SUPPORT_PROCESS_H

#include <stddef.h>

typedef struct test_process_result {
    int exit_code;        /* exit status, or 128 + signal number */
    char *out;            /* captured stdout, NUL-terminated; freed by test_process_free */
    char *err;            /* captured stderr */
} test_process_result;

/* Run argv (argv[0] looked up in PATH) in directory cwd (NULL = current), with
 * extra environment entries "NAME=VALUE" (NULL-terminated list, may be NULL). */
int test_process_run(test_process_result *result, const char *const argv[], const char *cwd,
                     const char *const extra_env[]);
void test_process_free(test_process_result *result);

/* The bench binary under test: $BENCH_BINARY, else build/bench. */
const char *test_bench_binary(void);
/* The repository root (from __FILE__ of this support file). */
const char *test_source_dir(void);
/* mkdtemp under $TMPDIR; returns a static buffer per call slot (4 slots). */
const char *test_temp_dir(void);
/* Write text to path (whole file); returns 0 on success. */
int test_write_file(const char *path, const char *text);
/* Append text to path (created when missing); returns 0 on success. */
int test_append_file(const char *path, const char *text);
/* Read a whole file (NUL-terminated); NULL when it does not exist.  Caller frees. */
char *test_read_file(const char *path, size_t *length);
/* First directory of BENCH_DATA_PATH containing name, or NULL (static buffer). */
const char *test_find_data(const char *name);

#endif
