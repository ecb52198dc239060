/* Typed access to resolved forecaster parameters (see include/bench/forecaster.h). */
#include "core/params.h"

#include <errno.h>
#include <math.h>
#include <stdio.h>
#include <stdlib.h>
#include <string.h>
#include <strings.h>

#include "core/suggest.h"

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

/* ---- resolving a config section against a schema -------------------------- */

void bench_owned_params_free(bench_owned_params *params)
{
    for (size_t i = 0; i < params->view.count; i++) {
        free(params->names[i]);
        free(params->values[i]);
    }
    free(params->names);
    free(params->values);
    memset(params, 0, sizeof *params);
}

static int check_value(const bench_param_spec *spec, const char *value, char *problem, size_t size)
{
    char *end;
    switch (spec->type) {
    case BENCH_PARAM_INT: {
        errno = 0;
        long number = strtol(value, &end, 10);
        if (errno || end == value || *end != '\0') {
            snprintf(problem, size, "'%s' is not an integer", value);
            return -1;
        }
        if ((double)number < spec->minimum || (double)number > spec->maximum) {
            snprintf(problem, size, "%ld is outside [%g, %g]", number, spec->minimum, spec->maximum);
            return -1;
        }
        return 0;
    }
    case BENCH_PARAM_REAL: {
        errno = 0;
        double number = strtod(value, &end);
        if (errno || end == value || *end != '\0' || !isfinite(number)) {
            snprintf(problem, size, "'%s' is not a finite number", value);
            return -1;
        }
        if (number < spec->minimum || number > spec->maximum) {
            snprintf(problem, size, "%g is outside [%g, %g]", number, spec->minimum, spec->maximum);
            return -1;
        }
        return 0;
    }
    case BENCH_PARAM_BOOL: {
        static const char *const accepted[] = {"true", "false", "yes", "no", "on", "off", "1", "0"};
        for (size_t i = 0; i < sizeof accepted / sizeof accepted[0]; i++)
            if (strcasecmp(value, accepted[i]) == 0)
                return 0;
        snprintf(problem, size, "'%s' is not true or false", value);
        return -1;
    }
    case BENCH_PARAM_STRING: {
        if (spec->choices == NULL)
            return 0;
        size_t length = strlen(value);
        for (const char *choice = spec->choices; *choice;) {
            size_t choice_length = strcspn(choice, "|");
            if (choice_length == length && strncmp(choice, value, length) == 0)
                return 0;
            choice += choice_length + (choice[choice_length] == '|');
        }
        snprintf(problem, size, "'%s' is not one of %s", value, spec->choices);
        return -1;
    }
    case BENCH_PARAM_INT_LIST: {
        const char *cursor = value;
        if (*cursor == '\0') {
            snprintf(problem, size, "empty list");
            return -1;
        }
        while (*cursor) {
            errno = 0;
            long number = strtol(cursor, &end, 10);
            if (errno || end == cursor) {
                snprintf(problem, size, "'%s' is not a comma list of integers", value);
                return -1;
            }
            if ((double)number < spec->minimum || (double)number > spec->maximum) {
                snprintf(problem, size, "%ld is outside [%g, %g]", number, spec->minimum, spec->maximum);
                return -1;
            }
            while (*end == ' ')
                end++;
            if (*end == ',')
                end++;
            else if (*end != '\0') {
                snprintf(problem, size, "'%s' is not a comma list of integers", value);
                return -1;
            }
            cursor = end;
        }
        return 0;
    }
    }
    snprintf(problem, size, "unknown parameter type");
    return -1;
}

int bench_resolve_params(bench_owned_params *out, const bench_param_spec *spec, size_t spec_count,
                         bench_config_section *section, const char *config_path, const char *owner,
                         bench_error *error)
{
    memset(out, 0, sizeof *out);
    /* Every entry not consumed yet must name a schema parameter. */
    for (size_t e = 0; e < section->entry_count; e++) {
        bench_config_entry *entry = &section->entries[e];
        if (entry->used)
            continue;
        const bench_param_spec *found = NULL;
        for (size_t i = 0; i < spec_count; i++)
            if (strcmp(spec[i].name, entry->key) == 0)
                found = &spec[i];
        if (found == NULL) {
            char names[768] = "", hint[96];
            for (size_t i = 0; i < spec_count; i++)
                snprintf(names + strlen(names), sizeof names - strlen(names), "%s%s", i ? ", " : "", spec[i].name);
            return BENCH_FAIL(error, BENCH_BAD_INPUT, "%s:%zu: unknown parameter '%s' for %s%s; it accepts: %s",
                              config_path, entry->line, entry->key, owner,
                              bench_suggest_phrase(hint, sizeof hint, entry->key, names), spec_count ? names : "(none)");
        }
        char problem[256];
        if (check_value(found, entry->value, problem, sizeof problem) != 0)
            return BENCH_FAIL(error, BENCH_BAD_INPUT, "%s:%zu: %s = %s: %s", config_path, entry->line, entry->key,
                              entry->value, problem);
        entry->used = 1;
    }
    out->names = calloc(spec_count ? spec_count : 1, sizeof *out->names);
    out->values = calloc(spec_count ? spec_count : 1, sizeof *out->values);
    if (out->names == NULL || out->values == NULL)
        return BENCH_FAIL(error, BENCH_NO_MEMORY, "out of memory");
    for (size_t i = 0; i < spec_count; i++) {
        const char *value = spec[i].default_value ? spec[i].default_value : "";
        for (size_t e = 0; e < section->entry_count; e++)
            if (strcmp(section->entries[e].key, spec[i].name) == 0)
                value = section->entries[e].value;
        out->names[i] = strdup(spec[i].name);
        out->values[i] = strdup(value);
        out->view.count = i + 1;
        if (out->names[i] == NULL || out->values[i] == NULL)
            return BENCH_FAIL(error, BENCH_NO_MEMORY, "out of memory");
    }
    out->view.names = (const char *const *)out->names;
    out->view.values = (const char *const *)out->values;
    return BENCH_OK;
}

/* The names of spec, ", "-separated, into out. */
static void spec_names(const bench_param_spec *spec, size_t spec_count, char *out, size_t size)
{
    out[0] = '\0';
    for (size_t i = 0; i < spec_count; i++)
        snprintf(out + strlen(out), size - strlen(out), "%s%s", i ? ", " : "", spec[i].name);
}

int bench_resolve_section(bench_owned_params *out, const bench_param_spec *spec, size_t spec_count,
                          bench_config_section *section, const char *config_path, bench_error *error)
{
    memset(out, 0, sizeof *out);
    for (size_t e = 0; e < section->entry_count; e++) {
        bench_config_entry *entry = &section->entries[e];
        int known = 0;
        for (size_t i = 0; i < spec_count; i++)
            known |= strcmp(spec[i].name, entry->key) == 0;
        if (!known) {
            char names[1024], hint[128];
            spec_names(spec, spec_count, names, sizeof names);
            return BENCH_FAIL(error, BENCH_BAD_INPUT, "%s:%zu: unknown key '%s' in [%s%s%s]%s; known keys: %s",
                              config_path, entry->line, entry->key, section->kind, section->label[0] ? " " : "",
                              section->label, bench_suggest_phrase(hint, sizeof hint, entry->key, names), names);
        }
        entry->used = 0; /* bench_resolve_params checks every entry not used yet */
    }
    char owner[160];
    snprintf(owner, sizeof owner, "[%s]", section->kind);
    int code = bench_resolve_params(out, spec, spec_count, section, config_path, owner, error);
    for (size_t e = 0; e < section->entry_count; e++)
        section->entries[e].used = 1;
    return code;
}

const bench_config_entry *bench_section_entry(const bench_config_section *section, const char *key)
{
    for (size_t e = 0; e < section->entry_count; e++)
        if (strcmp(section->entries[e].key, key) == 0)
            return &section->entries[e];
    return NULL;
}
