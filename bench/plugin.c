#include "bench/plugin.h"

#include <dirent.h>
#include <dlfcn.h>
#include <stdio.h>
#include <stdlib.h>
#include <string.h>

#include "forecasters/registry.h"

typedef const bench_forecaster *(*plugin_entry)(void);

int bench_plugin_load(const char *path, const bench_forecaster **out, bench_error *error)
{
    /* dlopen searches the library path for a bare name; a plugin is a file. */
    char resolved[4096];
    if (strchr(path, '/') == NULL)
        snprintf(resolved, sizeof resolved, "./%s", path);
    else
        snprintf(resolved, sizeof resolved, "%s", path);
    void *handle = dlopen(resolved, RTLD_NOW | RTLD_LOCAL);
    if (handle == NULL)
        return BENCH_FAIL(error, BENCH_BAD_INPUT, "plugin %s: %s", path, dlerror());
    dlerror();
    void *symbol = dlsym(handle, BENCH_PLUGIN_ENTRY_SYMBOL);
    const char *problem = dlerror();
    if (symbol == NULL || problem != NULL) {
        BENCH_FAIL(error, BENCH_BAD_INPUT, "plugin %s: no entry symbol %s: %s", path, BENCH_PLUGIN_ENTRY_SYMBOL,
                   problem ? problem : "it is NULL");
        dlclose(handle);
        return error->code;
    }
    plugin_entry entry;
    memcpy(&entry, &symbol, sizeof entry); /* object → function pointer without a cast warning */
    const bench_forecaster *forecaster = entry();
    char origin[4200];
    snprintf(origin, sizeof origin, "plugin %s", path);
    if (bench_forecaster_register(forecaster, origin, error) != BENCH_OK) {
        dlclose(handle);
        return error->code;
    }
    if (out != NULL)
        *out = forecaster;
    return BENCH_OK;
}

static int compare_names(const void *a, const void *b)
{
    return strcmp(*(char *const *)a, *(char *const *)b);
}

int bench_plugin_load_environment(bench_error *error)
{
    const char *list = getenv("BENCH_PLUGIN_PATH");
    if (list == NULL || list[0] == '\0')
        return BENCH_OK;
    const char *cursor = list;
    while (*cursor) {
        size_t length = strcspn(cursor, ":");
        char directory[4096];
        snprintf(directory, sizeof directory, "%.*s", (int)length, cursor);
        cursor += length + (cursor[length] == ':');
        if (directory[0] == '\0')
            continue;
        DIR *listing = opendir(directory);
        if (listing == NULL)
            return BENCH_FAIL(error, BENCH_BAD_INPUT, "BENCH_PLUGIN_PATH: cannot open directory %s", directory);
        char **names = NULL;
        size_t count = 0;
        struct dirent *entry;
        while ((entry = readdir(listing)) != NULL) {
            size_t name_length = strlen(entry->d_name);
            if (name_length < 4 || strcmp(entry->d_name + name_length - 3, ".so") != 0)
                continue;
            char **grown = realloc(names, (count + 1) * sizeof *names);
            if (grown == NULL || (grown[count] = strdup(entry->d_name)) == NULL) {
                free(grown ? grown : names);
                closedir(listing);
                return BENCH_FAIL(error, BENCH_NO_MEMORY, "out of memory");
            }
            names = grown;
            count++;
        }
        closedir(listing);
        qsort(names, count, sizeof *names, compare_names);
        int status = BENCH_OK;
        for (size_t i = 0; i < count; i++) {
            char path[8200];
            snprintf(path, sizeof path, "%s/%s", directory, names[i]);
            if (status == BENCH_OK)
                status = bench_plugin_load(path, NULL, error);
            free(names[i]);
        }
        free(names);
        if (status != BENCH_OK)
            return status;
    }
    return BENCH_OK;
}
