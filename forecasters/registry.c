/* One table of built-in forecasters.  Adding a forecaster: define its
 * `const bench_forecaster bench_forecaster_NAME` in its own file, then add one
 * extern line and one row below — nothing else anywhere. */
#include "forecasters/registry.h"

#include <stdio.h>
#include <string.h>

extern const bench_forecaster bench_forecaster_naive;
extern const bench_forecaster bench_forecaster_seasonal_naive;
extern const bench_forecaster bench_forecaster_naive2;
extern const bench_forecaster bench_forecaster_mean;
extern const bench_forecaster bench_forecaster_ridge;
extern const bench_forecaster bench_forecaster_gbrt;
extern const bench_forecaster bench_forecaster_gbrt_naive;
extern const bench_forecaster bench_forecaster_dlinear;
extern const bench_forecaster bench_forecaster_nlinear;
extern const bench_forecaster bench_forecaster_mlp;
extern const bench_forecaster bench_forecaster_patchtst;
extern const bench_forecaster bench_forecaster_nbeats;
extern const bench_forecaster bench_forecaster_lstnet;
extern const bench_forecaster bench_forecaster_deepar;

static const bench_forecaster *const builtins[] = {
    &bench_forecaster_naive,
    &bench_forecaster_seasonal_naive,
    &bench_forecaster_naive2,
    &bench_forecaster_mean,
    &bench_forecaster_ridge,
    &bench_forecaster_gbrt,
    &bench_forecaster_gbrt_naive,
    &bench_forecaster_dlinear,
    &bench_forecaster_nlinear,
    &bench_forecaster_mlp,
    &bench_forecaster_patchtst,
    &bench_forecaster_nbeats,
    &bench_forecaster_lstnet,
    &bench_forecaster_deepar,
};

size_t bench_forecaster_builtins(const bench_forecaster *const **list)
{
    *list = builtins;
    return sizeof builtins / sizeof builtins[0];
}

/* Forecasters registered at run time (plugins), after the built-ins. */
#define BENCH_MAX_PLUGINS 64
static const bench_forecaster *plugins[BENCH_MAX_PLUGINS];
static char plugin_origins[BENCH_MAX_PLUGINS][512];
static size_t plugin_count;

const bench_forecaster *bench_forecaster_find(const char *name)
{
    for (size_t i = 0; i < sizeof builtins / sizeof builtins[0]; i++)
        if (strcmp(builtins[i]->name, name) == 0)
            return builtins[i];
    for (size_t i = 0; i < plugin_count; i++)
        if (strcmp(plugins[i]->name, name) == 0)
            return plugins[i];
    return NULL;
}

int bench_forecaster_check(const bench_forecaster *forecaster, const char *origin, bench_error *error)
{
    if (forecaster == NULL)
        return BENCH_FAIL(error, BENCH_BAD_INPUT, "%s: the plugin returned no forecaster (NULL vtable)", origin);
    unsigned major = forecaster->abi_version >> 16, minor = forecaster->abi_version & 0xffffu;
    if (major != BENCH_FORECASTER_ABI_MAJOR)
        return BENCH_FAIL(error, BENCH_BAD_INPUT,
                          "%s: built for forecaster ABI %u.%u, but this bench speaks ABI %d.%d; rebuild the plugin "
                          "against this bench's include/bench/forecaster.h",
                          origin, major, minor, BENCH_FORECASTER_ABI_MAJOR, BENCH_FORECASTER_ABI_MINOR);
    const char *missing = forecaster->name == NULL ? "name"
                          : forecaster->create == NULL ? "create"
                          : forecaster->fit == NULL ? "fit"
                          : forecaster->predict == NULL ? "predict"
                          : forecaster->destroy == NULL ? "destroy"
                          : forecaster->param_count > 0 && forecaster->params == NULL ? "params"
                                                                                      : NULL;
    if (missing != NULL)
        return BENCH_FAIL(error, BENCH_BAD_INPUT, "%s: the forecaster's required slot '%s' is empty", origin, missing);
    if (forecaster->name[0] == '\0' || strspn(forecaster->name, "abcdefghijklmnopqrstuvwxyz0123456789_") !=
                                           strlen(forecaster->name))
        return BENCH_FAIL(error, BENCH_BAD_INPUT, "%s: forecaster name '%s' must be lower-case letters, digits and '_'",
                          origin, forecaster->name);
    for (size_t i = 0; i < forecaster->param_count; i++)
        if (forecaster->params[i].name == NULL || forecaster->params[i].doc == NULL)
            return BENCH_FAIL(error, BENCH_BAD_INPUT, "%s: parameter %zu of '%s' has no name or doc", origin, i,
                              forecaster->name);
    return BENCH_OK;
}

int bench_forecaster_register(const bench_forecaster *forecaster, const char *origin, bench_error *error)
{
    if (bench_forecaster_check(forecaster, origin, error) != BENCH_OK)
        return error->code;
    for (size_t i = 0; i < sizeof builtins / sizeof builtins[0]; i++)
        if (strcmp(builtins[i]->name, forecaster->name) == 0)
            return BENCH_FAIL(error, BENCH_BAD_INPUT, "%s: forecaster '%s' clashes with the built-in of that name",
                              origin, forecaster->name);
    for (size_t i = 0; i < plugin_count; i++) {
        if (plugins[i] == forecaster)
            return BENCH_OK; /* the same plugin named twice (config and --plugin) */
        if (strcmp(plugins[i]->name, forecaster->name) == 0)
            return BENCH_FAIL(error, BENCH_BAD_INPUT, "%s: forecaster '%s' is already provided by %s", origin,
                              forecaster->name, plugin_origins[i]);
    }
    if (plugin_count == BENCH_MAX_PLUGINS)
        return BENCH_FAIL(error, BENCH_BAD_INPUT, "%s: more than %d plugins", origin, BENCH_MAX_PLUGINS);
    snprintf(plugin_origins[plugin_count], sizeof plugin_origins[plugin_count], "%s", origin);
    plugins[plugin_count++] = forecaster;
    return BENCH_OK;
}

size_t bench_forecaster_plugins(const bench_forecaster *const **list)
{
    *list = plugins;
    return plugin_count;
}

const char *bench_forecaster_names(void)
{
    static char names[1024];
    names[0] = '\0';
    for (size_t i = 0; i < sizeof builtins / sizeof builtins[0] + plugin_count; i++) {
        const bench_forecaster *forecaster =
            i < sizeof builtins / sizeof builtins[0] ? builtins[i] : plugins[i - sizeof builtins / sizeof builtins[0]];
        if (i > 0)
            strncat(names, ", ", sizeof names - strlen(names) - 1);
        strncat(names, forecaster->name, sizeof names - strlen(names) - 1);
    }
    return names;
}
