/* The table of built-in forecasters (and, at run time, loaded plugins). */
#ifndef BENCH_FORECASTER_REGISTRY_H
#define BENCH_FORECASTER_REGISTRY_H

#include <stddef.h>

#include "bench/forecaster.h"

/* Defines `const bench_forecaster bench_forecaster_<symbol>`, the vtable of the
 * built-in named <symbol>, from its description and parameter table (`count`
 * specs); its functions follow as designated initializers.  (Plugins, on the
 * public header alone, write their vtable out.) */
#define BENCH_BUILTIN(symbol, text, param_table, count, ...)                                                      \
    const bench_forecaster bench_forecaster_##symbol = {.abi_version = BENCH_FORECASTER_ABI_VERSION,              \
                                                        .name = #symbol,                                          \
                                                        .description = text,                                      \
                                                        .params = param_table,                                    \
                                                        .param_count = count,                                     \
                                                        __VA_ARGS__}

/* NULL when no forecaster has that name. */
const bench_forecaster *bench_forecaster_find(const char *name);
/* All built-ins, in display order; the array is static. */
size_t bench_forecaster_builtins(const bench_forecaster *const **list);
/* "naive, seasonal_naive, ..." for "unknown model" messages; static buffer. */
const char *bench_forecaster_names(void);

/* Validate a vtable: ABI major version, required slots, name syntax.  `origin`
 * (a plugin path) names the culprit in messages. */
int bench_forecaster_check(const bench_forecaster *forecaster, const char *origin, bench_error *error);
/* Add a plugin's forecaster (checked, no clash with a built-in or another plugin;
 * registering the same vtable twice is a no-op).  The vtable must outlive the
 * registry: plugins are never unloaded. */
int bench_forecaster_register(const bench_forecaster *forecaster, const char *origin, bench_error *error);
size_t bench_forecaster_plugins(const bench_forecaster *const **list);

#endif
