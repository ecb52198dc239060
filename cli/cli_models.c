/* `bench models [NAME]`: the forecasters with their parameters, defaults and docs. */
#include <stdio.h>
#include <string.h>

#include "cli/cli.h"
#include "bench/plugin.h"
#include "core/suggest.h"
#include "forecasters/registry.h"

static const char *type_name(bench_param_type type)
{
    switch (type) {
    case BENCH_PARAM_INT: return "int";
    case BENCH_PARAM_REAL: return "real";
    case BENCH_PARAM_BOOL: return "bool";
    case BENCH_PARAM_STRING: return "string";
    case BENCH_PARAM_INT_LIST: return "int list";
    }
    return "?";
}

static void describe(const bench_forecaster *forecaster)
{
    printf("%s — %s\n", forecaster->name, forecaster->description);
    for (size_t i = 0; i < forecaster->param_count; i++) {
        const bench_param_spec *spec = &forecaster->params[i];
        printf("    %-22s %-8s default %-10s %s", spec->name, type_name(spec->type),
               spec->default_value && spec->default_value[0] ? spec->default_value : "\"\"", spec->doc);
        if (spec->choices)
            printf(" (%s)", spec->choices);
        else if (spec->type == BENCH_PARAM_INT || spec->type == BENCH_PARAM_REAL || spec->type == BENCH_PARAM_INT_LIST)
            printf(" [%g, %g]", spec->minimum, spec->maximum);
        printf("\n");
    }
}

int cli_models(int argc, char **argv)
{
    /* Plugins are listed too: those on BENCH_PLUGIN_PATH and any --plugin PATH. */
    const char *name = NULL;
    bench_error error = {0};
    if (bench_plugin_load_environment(&error) != BENCH_OK)
        return cli_report_error(&error);
    for (int i = 1; i < argc; i++) {
        if (!strcmp(argv[i], "--help") || !strcmp(argv[i], "-h")) {
            printf("usage: bench models [--plugin PATH]... [NAME]\n");
            return 0;
        } else if (!strcmp(argv[i], "--plugin") && i + 1 < argc) {
            if (bench_plugin_load(argv[++i], NULL, &error) != BENCH_OK)
                return cli_report_error(&error);
        } else if (argv[i][0] != '-' && name == NULL) {
            name = argv[i];
        } else {
            fprintf(stderr, "usage: bench models [--plugin PATH]... [NAME]\n");
            return 2;
        }
    }
    if (name != NULL) {
        const bench_forecaster *forecaster = bench_forecaster_find(name);
        if (forecaster == NULL) {
            char hint[128];
            fprintf(stderr, "bench models: unknown model '%s'%s; models: %s\n", name,
                    bench_suggest_phrase(hint, sizeof hint, name, bench_forecaster_names()), bench_forecaster_names());
            return 2;
        }
        describe(forecaster);
        return 0;
    }
    const bench_forecaster *const *list;
    size_t count = bench_forecaster_builtins(&list);
    for (size_t i = 0; i < count; i++)
        describe(list[i]);
    count = bench_forecaster_plugins(&list);
    for (size_t i = 0; i < count; i++) {
        printf("(plugin) ");
        describe(list[i]);
    }
    return 0;
}
