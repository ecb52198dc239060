/* Typed access to resolved forecaster parameters (see include/bench/forecaster.h). */
#include "bench/forecaster.h"

#include <errno.h>
#include <math.h>
#include <stdlib.h>
#include <string.h>
#include <strings.h>

static const char *find_value(const bench_params *params, const char *name)
{
    if (params == NULL)
        return NULL;
    for (size_t i = 0; i < params->count; i++)
        if (strcmp(params->names[i], name) == 0)
            return params->values[i];
    return NULL;
}

static int missing(const char *name, bench_error *error)
{
    return BENCH_FAIL(error, BENCH_BAD_INPUT, "parameter '%s' is not defined", name);
}

static int parse_long(const char *text, long *out)
{
    char *end;
    errno = 0;
    long value = strtol(text, &end, 10);
    if (errno != 0 || end == text || *end != '\0')
        return -1;
    *out = value;
    return 0;
}

int bench_params_get_int(const bench_params *params, const char *name, long *out, bench_error *error)
{
    const char *text = find_value(params, name);
    if (text == NULL)
        return missing(name, error);
    if (parse_long(text, out) != 0)
        return BENCH_FAIL(error, BENCH_BAD_INPUT, "parameter '%s': '%s' is not an integer", name, text);
    return BENCH_OK;
}

int bench_params_get_real(const bench_params *params, const char *name, double *out, bench_error *error)
{
    const char *text = find_value(params, name);
    if (text == NULL)
        return missing(name, error);
    char *end;
    errno = 0;
    double value = strtod(text, &end);
    if (errno != 0 || end == text || *end != '\0' || !isfinite(value))
        return BENCH_FAIL(error, BENCH_BAD_INPUT, "parameter '%s': '%s' is not a finite number", name, text);
    *out = value;
    return BENCH_OK;
}

int bench_params_get_bool(const bench_params *params, const char *name, int *out, bench_error *error)
{
    const char *text = find_value(params, name);
    if (text == NULL)
        return missing(name, error);
    if (!strcasecmp(text, "true") || !strcasecmp(text, "yes") || !strcmp(text, "1") || !strcasecmp(text, "on"))
        *out = 1;
    else if (!strcasecmp(text, "false") || !strcasecmp(text, "no") || !strcmp(text, "0") || !strcasecmp(text, "off"))
        *out = 0;
    else
        return BENCH_FAIL(error, BENCH_BAD_INPUT, "parameter '%s': '%s' is not true or false", name, text);
    return BENCH_OK;
}

int bench_params_get_string(const bench_params *params, const char *name, const char **out, bench_error *error)
{
    const char *text = find_value(params, name);
    if (text == NULL)
        return missing(name, error);
    *out = text;
    return BENCH_OK;
}

int bench_params_get_int_list(const bench_params *params, const char *name, long *out, size_t *count,
                              bench_error *error)
{
    const char *text = find_value(params, name);
    if (text == NULL)
        return missing(name, error);
    size_t capacity = *count, used = 0;
    const char *cursor = text;
    while (*cursor != '\0') {
        char item[64];
        size_t length = strcspn(cursor, ",");
        if (length == 0 || length >= sizeof item)
            return BENCH_FAIL(error, BENCH_BAD_INPUT, "parameter '%s': bad list '%s'", name, text);
        memcpy(item, cursor, length);
        item[length] = '\0';
        char *start = item;
        while (*start == ' ')
            start++;
        for (char *tail = start + strlen(start); tail > start && tail[-1] == ' ';)
            *--tail = '\0';
        long value;
        if (parse_long(start, &value) != 0)
            return BENCH_FAIL(error, BENCH_BAD_INPUT, "parameter '%s': '%s' is not an integer", name, start);
        if (used == capacity)
            return BENCH_FAIL(error, BENCH_BAD_INPUT, "parameter '%s': more than %zu values", name, capacity);
        out[used++] = value;
        cursor += length;
        if (*cursor == ',')
            cursor++;
    }
    *count = used;
    return BENCH_OK;
}
