/* The table of built-in forecasters (and, at run time, loaded plugins). */
#ifndef BENCH_FORECASTER_REGISTRY_H
#define BENCH_FORECASTER_REGISTRY_H

#include <stddef.h>

#include "bench/forecaster.h"

/* NULL when no forecaster has that name. */
const bench_forecaster *bench_forecaster_find(const char *name);
/* All built-ins, in display order; the array is static. */
size_t bench_forecaster_builtins(const bench_forecaster *const **list);
/* "naive, seasonal_naive, ..." for "unknown model" messages; static buffer. */
const char *bench_forecaster_names(void);

#endif
