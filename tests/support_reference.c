/* Loader of the PyTorch reference vectors (tests/support_reference.h). */
#include "tests/support_reference.h"

#include <setjmp.h>
#include <stdarg.h>
#include <stddef.h>
#include <stdint.h>
#include <cmocka.h>
#include <stdio.h>
#include <stdlib.h>
#include <string.h>

static void reference_path(char *path, size_t size, const char *suite, const char *block)
{
    const char *root = getenv("BENCH_SOURCE_DIR");
    if (root != NULL) {
        snprintf(path, size, "%s/tests/reference/%s/%s.txt", root, suite, block);
        return;
    }
    /* __FILE__ is "tests/support_reference.c" relative to the repository root. */
    const char *file = __FILE__;
    const char *slash = strrchr(file, '/');
    int dir_length = slash != NULL ? (int)(slash - file) : 0;
    snprintf(path, size, "%.*s%sreference/%s/%s.txt", dir_length, file, slash != NULL ? "/" : "", suite, block);
}

void test_reference_load(test_reference *ref, const char *suite, const char *block)
{
    char path[512];
    reference_path(path, sizeof path, suite, block);
    memset(ref, 0, sizeof *ref);
    snprintf(ref->block, sizeof ref->block, "%s/%s", suite, block);
    FILE *f = fopen(path, "r");
    if (f == NULL)
        fail_msg("cannot open %s (set BENCH_SOURCE_DIR to the repository root)", path);
    char line[256];
    if (fgets(line, sizeof line, f) == NULL || line[0] != '#')
        fail_msg("%s: missing header line", path);
    while (ref->count < TEST_REFERENCE_MAX &&
           fscanf(f, "%63s %zu", ref->names[ref->count], &ref->sizes[ref->count]) == 2) {
        size_t n = ref->sizes[ref->count];
        double *values = calloc(n ? n : 1, sizeof *values);
        float *floats = calloc(n ? n : 1, sizeof *floats);
        if (values == NULL || floats == NULL)
            fail_msg("%s: out of memory", path);
        for (size_t i = 0; i < n; i++) {
            if (fscanf(f, "%lf", &values[i]) != 1)
                fail_msg("%s: tensor %s: value %zu unreadable", path, ref->names[ref->count], i);
            floats[i] = (float)values[i];
        }
        ref->values[ref->count] = values;
        ref->floats[ref->count++] = floats;
    }
    if (!feof(f) && ref->count == TEST_REFERENCE_MAX)
        fail_msg("%s: more than %d tensors", path, TEST_REFERENCE_MAX);
    fclose(f);
}

void test_reference_free(test_reference *ref)
{
    for (size_t i = 0; i < ref->count; i++)
        free(ref->values[i]), free(ref->floats[i]);
    ref->count = 0;
}

static size_t tensor_index(const test_reference *ref, const char *name, size_t expected)
{
    for (size_t i = 0; i < ref->count; i++)
        if (strcmp(ref->names[i], name) == 0) {
            if (ref->sizes[i] != expected)
                fail_msg("%s: reference %s has %zu values, expected %zu", ref->block, name, ref->sizes[i], expected);
            return i;
        }
    fail_msg("%s: reference tensor %s missing", ref->block, name);
    return 0;
}

float *test_reference_floats(const test_reference *ref, const char *name, size_t expected)
{
    return ref->floats[tensor_index(ref, name, expected)];
}

const double *test_reference_doubles(const test_reference *ref, const char *name, size_t expected)
{
    return ref->values[tensor_index(ref, name, expected)];
}

double test_reference_scalar(const test_reference *ref, const char *name)
{
    return ref->values[tensor_index(ref, name, 1)][0];
}
