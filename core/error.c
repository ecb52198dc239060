#include "bench/error.h"

#include <stdarg.h>
#include <stdio.h>
#include <string.h>

int bench_fail(bench_error *error, int code, const char *source_file, int source_line,
               const char *format, ...)
{
    if (error == NULL)
        return code;
    error->code = code;
    error->source_file = source_file;
    error->source_line = source_line;
    va_list args;
    va_start(args, format);
    vsnprintf(error->message, sizeof error->message, format, args);
    va_end(args);
    return code;
}

int bench_error_prefix(bench_error *error, const char *format, ...)
{
    if (error == NULL)
        return BENCH_INTERNAL;
    char prefix[BENCH_ERROR_MESSAGE_SIZE];
    va_list args;
    va_start(args, format);
    vsnprintf(prefix, sizeof prefix, format, args);
    va_end(args);
    /* Truncation of an over-long message is acceptable; silence the warning by
     * copying in two steps with explicit bounds. */
    char joined[BENCH_ERROR_MESSAGE_SIZE];
    size_t prefix_length = strnlen(prefix, sizeof joined - 1);
    memcpy(joined, prefix, prefix_length);
    size_t rest = sizeof joined - 1 - prefix_length;
    size_t message_length = strnlen(error->message, rest);
    memcpy(joined + prefix_length, error->message, message_length);
    joined[prefix_length + message_length] = '\0';
    memcpy(error->message, joined, sizeof joined);
    return error->code;
}

void bench_error_clear(bench_error *error)
{
    if (error == NULL)
        return;
    error->code = BENCH_OK;
    error->source_file = NULL;
    error->source_line = 0;
    error->message[0] = '\0';
}

const char *bench_status_name(int code)
{
    switch (code) {
#define BENCH_STATUS_CASE(name, value, exit_code, text) \
    case value:                                          \
        return text;
        BENCH_STATUS_MAP(BENCH_STATUS_CASE)
#undef BENCH_STATUS_CASE
    }
    return "unknown status";
}

int bench_status_exit_code(int code)
{
    switch (code) {
#define BENCH_STATUS_EXIT(name, value, exit_code, text) \
    case value:                                          \
        return exit_code;
        BENCH_STATUS_MAP(BENCH_STATUS_EXIT)
#undef BENCH_STATUS_EXIT
    }
    return 1;
}
