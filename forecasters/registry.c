/* One table of built-in forecasters.  Adding a forecaster: define its
 * `const bench_forecaster bench_forecaster_NAME` in its own file, then add one
 * extern line and one row below — nothing else anywhere. */
#include "forecasters/registry.h"

#include <string.h>

extern const bench_forecaster bench_forecaster_naive;
extern const bench_forecaster bench_forecaster_seasonal_naive;
extern const bench_forecaster bench_forecaster_naive2;
extern const bench_forecaster bench_forecaster_mean;
extern const bench_forecaster bench_forecaster_ridge;
extern const bench_forecaster bench_forecaster_gbrt;
extern const bench_forecaster bench_forecaster_gbrt_naive;

static const bench_forecaster *const builtins[] = {
    &bench_forecaster_naive,
    &bench_forecaster_seasonal_naive,
    &bench_forecaster_naive2,
    &bench_forecaster_mean,
    &bench_forecaster_ridge,
    &bench_forecaster_gbrt,
    &bench_forecaster_gbrt_naive,
};

size_t bench_forecaster_builtins(const bench_forecaster *const **list)
{
    *list = builtins;
    return sizeof builtins / sizeof builtins[0];
}

const bench_forecaster *bench_forecaster_find(const char *name)
{
    for (size_t i = 0; i < sizeof builtins / sizeof builtins[0]; i++)
        if (strcmp(builtins[i]->name, name) == 0)
            return builtins[i];
    return NULL;
}

const char *bench_forecaster_names(void)
{
    static char names[1024];
    names[0] = '\0';
    for (size_t i = 0; i < sizeof builtins / sizeof builtins[0]; i++) {
        if (i > 0)
            strncat(names, ", ", sizeof names - strlen(names) - 1);
        strncat(names, builtins[i]->name, sizeof names - strlen(names) - 1);
    }
    return names;
}
