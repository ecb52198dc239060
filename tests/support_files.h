/* Test support for files and directories: the group's scratch directory,
 * removing a tree, fixture paths and copies, shell commands that must succeed.
 * Failures are cmocka assertions; needs only cmocka, libc and support_process,
 * so any test binary may link it. */
#ifndef BENCH_TEST_SUPPORT_FILES_H
#define BENCH_TEST_SUPPORT_FILES_H

#include <stddef.h>
#include <stdio.h>

/* The group's scratch directory: made under $TMPDIR by test_scratch_setup,
 * removed with everything in it by test_scratch_teardown.  Short, so tests
 * may build paths in it with small buffers. */
extern char test_scratch[64];

/* cmocka group setup and teardown for test_scratch. */
int test_scratch_setup(void **state);
int test_scratch_teardown(void **state);

/* Removes path and everything below it (no links followed); 0 on success. */
int test_remove_tree(const char *path);

/* Runs a printf-formatted command with sh and fails the test, naming the
 * command, unless it exits 0. */
void test_shell(const char *format, ...) __attribute__((format(printf, 1, 2)));

/* Writes printf-formatted text to path (the whole file), failing the test
 * when it cannot. */
void test_write_textf(const char *path, const char *format, ...) __attribute__((format(printf, 2, 3)));

/* Writes text to DIR/NAME (the whole file), or appends it with test_append_in;
 * either fails the test when it cannot. */
void test_write_in(const char *dir, const char *name, const char *text);
void test_append_in(const char *dir, const char *name, const char *text);

/* Creates a file from the mkstemp template (its XXXXXX replaced in place)
 * and opens it for writing; fails the test when it cannot.  The caller closes
 * the stream and removes the file. */
FILE *test_temp_stream(char *template);

/* Fails the test unless text holds each of the NULL-terminated present
 * strings and none of the absent ones (NULL for none); what names the text in
 * the message. */
void test_expect_text(const char *what, const char *text, const char *const present[], const char *const absent[]);

/* The whole file at path, NUL-terminated; fails the test when it is missing.
 * The caller frees it. */
char *test_slurp(const char *path);

/* Makes a fresh directory under $TMPDIR holding NAME with text; leaves the
 * file's path in path and returns the directory (a test_temp_dir slot).
 * Fails the test when it cannot. */
const char *test_temp_file(char *path, size_t size, const char *name, const char *text);

/* Skips the calling test, saying so on stdout, unless a directory of
 * BENCH_DATA_PATH holds `file`; `unchecked` names what then goes unchecked. */
void test_need_data(const char *file, const char *unchecked);

/* SOURCE_DIR/tests/data/datasets/NAME, in a static buffer the next call overwrites. */
const char *test_dataset_fixture(const char *name);

/* A fresh copy of the fixture run directory tests/data/reports/NAME (relative
 * to the current directory) at test_scratch/AS; returns its path, in a static
 * buffer the next call overwrites. */
const char *test_copy_report_fixture(const char *name, const char *as);

#endif
