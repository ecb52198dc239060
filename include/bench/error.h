/* Error reporting shared by bench's library code and by plugins.
 *
 * Library functions never print or exit: they return a bench_status and fill a
 * bench_error with the source location that detected the problem and a message
 * that names the offending input (file, line, value) where there is one.  Only a
 * program's main() turns a bench_error into a message and an exit code. */
#ifndef BENCH_ERROR_H
#define BENCH_ERROR_H

#include <stddef.h>

#ifdef __cplusplus
extern "C" {
#endif

/* One list generates the enum, the names and the exit codes, so they cannot drift.
 * X(NAME, value, exit code, description) */
#define BENCH_STATUS_MAP(X)                                                        \
    X(OK, 0, 0, "ok")                                                              \
    X(BAD_INPUT, 1, 2, "bad input")           /* user data, config or arguments */ \
    X(IO, 2, 1, "i/o error")                                                       \
    X(NO_MEMORY, 3, 1, "out of memory")                                            \
    X(MODEL, 4, 1, "model failure")           /* fit or predict failed */          \
    X(NOT_FOUND, 5, 2, "not found")           /* unknown name, missing file */     \
    X(UNSUPPORTED, 6, 2, "unsupported")                                            \
    X(INTERRUPTED, 7, 1, "interrupted")                                            \
    X(INTERNAL, 8, 1, "internal error")

typedef enum {
#define BENCH_STATUS_ENUM(name, value, exit_code, text) BENCH_##name = value,
    BENCH_STATUS_MAP(BENCH_STATUS_ENUM)
#undef BENCH_STATUS_ENUM
} bench_status;

#define BENCH_ERROR_MESSAGE_SIZE 1024

typedef struct bench_error {
    int code;                 /* a bench_status; BENCH_OK when nothing failed */
    const char *source_file;  /* bench source that detected the error (__FILE__) */
    int source_line;
    char message[BENCH_ERROR_MESSAGE_SIZE]; /* names the input file/line/value */
} bench_error;

/* Fill *error (when not NULL) and return code, so callers write
 * `return BENCH_FAIL(error, BENCH_BAD_INPUT, "%s:%zu: ...", path, line);`. */
int bench_fail(bench_error *error, int code, const char *source_file, int source_line,
               const char *format, ...) __attribute__((format(printf, 5, 6)));

#define BENCH_FAIL(error, code, ...) bench_fail((error), (code), __FILE__, __LINE__, __VA_ARGS__)

/* Prepend context ("while loading ETTh1: ") to an existing message; returns error->code. */
int bench_error_prefix(bench_error *error, const char *format, ...)
    __attribute__((format(printf, 2, 3)));

void bench_error_clear(bench_error *error);
const char *bench_status_name(int code);   /* static string, never NULL */
int bench_status_exit_code(int code);      /* 0 ok, 2 bad usage/input, 1 otherwise */

#ifdef __cplusplus
}
#endif
#endif
