#include "datasets/format.h"

#include <stdio.h>
#include <string.h>

/* The one table of formats; a row per reader. */
static const bench_format *const formats[] = {
    &bench_format_csv_dated,
    &bench_format_lstnet,
    &bench_format_m4,
    &bench_format_long,
};

size_t bench_format_registry(const bench_format *const **out)
{
    *out = formats;
    return sizeof formats / sizeof formats[0];
}

int bench_format_find(const char *name, const bench_format **format, bench_error *error)
{
    char known[256] = "";
    size_t used = 0;
    for (size_t i = 0; i < sizeof formats / sizeof formats[0]; i++) {
        if (name != NULL && strcmp(formats[i]->name, name) == 0) {
            if (formats[i]->abi_version != BENCH_FORMAT_ABI_VERSION)
                return BENCH_FAIL(error, BENCH_INTERNAL, "format '%s' was built for reader ABI %d, this is %d", name,
                                  formats[i]->abi_version, BENCH_FORMAT_ABI_VERSION);
            *format = formats[i];
            return BENCH_OK;
        }
        int wrote = snprintf(known + used, sizeof known - used, "%s%s", i ? ", " : "", formats[i]->name);
        if (wrote > 0 && (size_t)wrote < sizeof known - used)
            used += (size_t)wrote;
    }
    return BENCH_FAIL(error, BENCH_NOT_FOUND, "unknown dataset format '%s' (known: %s)", name ? name : "(none)",
                      known);
}
