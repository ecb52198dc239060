/* Turning a configuration into a validated plan of cells (see bench/harness.h). */
#include <ctype.h>
#include <errno.h>
#include <limits.h>
#include <math.h>
#include <stdio.h>
#include <stdlib.h>
#include <string.h>
#include <strings.h>
#include <sys/stat.h>
#include <sys/wait.h>
#include <unistd.h>

#include "bench/harness.h"
#include "bench/pool.h"
#include "bench/plugin.h"
#include "core/suggest.h"
#include "datasets/format.h"
#include "bench/external.h"
#include "forecasters/registry.h"

/* Labels become CSV fields and file names: keep them to a safe alphabet.  Two
 * sections of one kind with one label would be two sets of cells with the same
 * ids; the config reader already refuses repeated sections, and this says so
 * again where the plan is built, whatever reader produced the sections. */
static int check_label(const bench_plan *plan, const bench_config_section *section, bench_error *error)
{
    const char *label = section->label;
    int valid = label[0] != '\0';
    for (const char *c = label; *c; c++)
        valid &= isalnum((unsigned char)*c) || *c == '_' || *c == '-' || *c == '.';
    if (!valid)
        return BENCH_FAIL(error, BENCH_BAD_INPUT, "%s:%zu: [%s %s]: the label must be letters, digits, '_', '-' or '.'",
                          plan->config_path, section->line, section->kind, label);
    int is_dataset = !strcmp(section->kind, "dataset");
    size_t count = is_dataset ? plan->dataset_count : plan->model_count;
    for (size_t i = 0; i < count; i++)
        if (!strcmp(is_dataset ? plan->datasets[i].label : plan->models[i].variant, label))
            return BENCH_FAIL(error, BENCH_BAD_INPUT, "%s:%zu: [%s %s]: a second section with this label",
                              plan->config_path, section->line, section->kind, label);
    return BENCH_OK;
}

/* Parse "1, 2,3" into numbers; each must be within [minimum, maximum]. */
static int parse_number_list(const char *text, uint64_t *out, size_t capacity, size_t *count, uint64_t minimum,
                             uint64_t maximum)
{
    size_t used = 0;
    const char *cursor = text;
    while (*cursor) {
        while (*cursor == ' ')
            cursor++;
        char *end;
        errno = 0;
        if (!isdigit((unsigned char)*cursor))
            return -1;
        unsigned long long value = strtoull(cursor, &end, 10);
        if (errno || end == cursor || value < minimum || value > maximum || used == capacity)
            return -1;
        out[used++] = value;
        while (*end == ' ')
            end++;
        if (*end == ',')
            end++;
        else if (*end != '\0')
            return -1;
        cursor = end;
    }
    *count = used;
    return used > 0 ? 0 : -1;
}

/* The index of the first value that repeats an earlier one, or count when all
 * differ.  Lists here are short (at most BENCH_MAX_SEEDS), so pairs are fine. */
static size_t first_repeat(const uint64_t *values, size_t count)
{
    for (size_t i = 1; i < count; i++)
        for (size_t j = 0; j < i; j++)
            if (values[i] == values[j])
                return i;
    return count;
}

/* The keys each section accepts besides a protocol's or a model's parameters.
 * Every "unknown key" message lists all of them, so a user sees every key the
 * section takes in one place, with the nearest one suggested. */
static const char run_keys[] = "seeds, threads, predictions, timeout, memory_limit, name, description";
static const char dataset_keys[] = "dataset, path, protocol, horizons";
/* These describe a file of your own (path = FILE); a registered dataset's
 * registry row already says all of it. */
static const char file_keys[] = "test_path, format, date_column, timestamp_format, columns, series_column, "
                                "delimiter, missing_policy, missing, step_seconds, frequency, seasonal_period, "
                                "start_date";
static const char model_keys[] = "model, plugin, datasets, threads, seeds, forecasts";

static int spec_has(const bench_param_spec *spec, size_t spec_count, const char *name)
{
    for (size_t i = 0; i < spec_count; i++)
        if (strcmp(spec[i].name, name) == 0)
            return 1;
    return 0;
}

/* Whether name is an item of a ", "-separated list. */
static int list_has(const char *list, const char *name)
{
    size_t length = strlen(name);
    for (const char *cursor = list; *cursor;) {
        cursor += strspn(cursor, ", ");
        size_t item = strcspn(cursor, ", ");
        if (item == length && !strncmp(cursor, name, length))
            return 1;
        cursor += item;
    }
    return 0;
}

/* Whether name is an item of a plain "a,b,c" list (no spaces). */
static int list_has_item(const char *list, const char *name)
{
    size_t length = strlen(name);
    for (const char *cursor = list; *cursor;) {
        size_t item = strcspn(cursor, ",");
        if (item == length && !strncmp(cursor, name, length))
            return 1;
        cursor += item + (cursor[item] == ',');
    }
    return 0;
}

/* Refuse the first key of the section that nobody took and that is not a
 * parameter of spec (owner's).  own_keys are the section's other keys. */
static int refuse_unknown_key(const bench_plan *plan, const bench_config_section *section, const char *own_keys,
                              const char *owner, const bench_param_spec *spec, size_t spec_count, bench_error *error)
{
    for (size_t e = 0; e < section->entry_count; e++) {
        const bench_config_entry *entry = &section->entries[e];
        if (entry->used || spec_has(spec, spec_count, entry->key))
            continue;
        char params[1024] = "", all[1400], hint[96], elsewhere[160] = "";
        for (size_t i = 0; i < spec_count; i++)
            snprintf(params + strlen(params), sizeof params - strlen(params), "%s%s", i ? ", " : "", spec[i].name);
        snprintf(all, sizeof all, "%s, %s", own_keys, params);
        bench_suggest_phrase(hint, sizeof hint, entry->key, all);
        /* A setting of another protocol: say so rather than only "unknown". */
        if (!strcmp(section->kind, "dataset")) {
            const bench_protocol *const *protocols;
            size_t count = bench_protocol_list(&protocols);
            for (size_t p = 0; p < count && !elsewhere[0]; p++)
                if (spec_has(protocols[p]->params, protocols[p]->param_count, entry->key))
                    snprintf(elsewhere, sizeof elsewhere, " ('%s' is a setting of protocol %s)", entry->key,
                             protocols[p]->name);
        }
        return BENCH_FAIL(error, BENCH_BAD_INPUT, "%s:%zu: unknown key '%s' in [%s%s%s]%s%s; it accepts: %s%s%s%s%s",
                          plan->config_path, entry->line, entry->key, section->kind, section->label[0] ? " " : "",
                          section->label, hint, elsewhere, own_keys, owner ? "; and the parameters of " : "",
                          owner ? owner : "", owner ? ": " : "", owner ? (spec_count ? params : "(none)") : "");
    }
    return BENCH_OK;
}

static int parse_run_section(bench_plan *plan, bench_config_section *section, unsigned *threads,
                             bench_error *error)
{
    bench_config_entry *entry;
    if ((entry = bench_config_take(section, "seeds")) != NULL) {
        if (parse_number_list(entry->value, plan->seeds, BENCH_MAX_SEEDS, &plan->seed_count, 0, UINT64_MAX) != 0)
            return BENCH_FAIL(error, BENCH_BAD_INPUT,
                              "%s:%zu: seeds = %s: expected a comma list of at most %d integers", plan->config_path,
                              entry->line, entry->value, BENCH_MAX_SEEDS);
        /* A repeated seed is the same cell twice: one id, two rows, and a
         * results.csv that `bench merge` later refuses. */
        size_t repeat = first_repeat(plan->seeds, plan->seed_count);
        if (repeat < plan->seed_count)
            return BENCH_FAIL(error, BENCH_BAD_INPUT, "%s:%zu: seeds = %s: seed %llu is given twice",
                              plan->config_path, entry->line, entry->value, (unsigned long long)plan->seeds[repeat]);
    }
    if ((entry = bench_config_take(section, "threads")) != NULL &&
        bench_config_threads(plan->config_path, entry, threads, error))
        return error->code;
    if ((entry = bench_config_take(section, "predictions")) != NULL) {
        if (!strcasecmp(entry->value, "true") || !strcasecmp(entry->value, "yes") || !strcmp(entry->value, "1"))
            plan->predictions = 1;
        else if (strcasecmp(entry->value, "false") && strcasecmp(entry->value, "no") && strcmp(entry->value, "0"))
            return BENCH_FAIL(error, BENCH_BAD_INPUT, "%s:%zu: predictions = %s: expected true or false",
                              plan->config_path, entry->line, entry->value);
    }
    /* Limits per cell, enforced by the harness (bench/run.c); the command line
     * overrides them (bench_plan_build). */
    if ((entry = bench_config_take(section, "timeout")) != NULL &&
        bench_parse_timeout(entry->value, &plan->timeout_seconds) != 0)
        return BENCH_FAIL(error, BENCH_BAD_INPUT,
                          "%s:%zu: timeout = %s: expected a positive number of seconds (at most %g)",
                          plan->config_path, entry->line, entry->value, BENCH_MAX_TIMEOUT_SECONDS);
    if ((entry = bench_config_take(section, "memory_limit")) != NULL &&
        bench_parse_memory_limit(entry->value, &plan->memory_limit_mb) != 0)
        return BENCH_FAIL(error, BENCH_BAD_INPUT,
                          "%s:%zu: memory_limit = %s: expected a positive whole number of megabytes (at most %llu)",
                          plan->config_path, entry->line, entry->value, (unsigned long long)BENCH_MAX_MEMORY_LIMIT_MB);
    bench_config_take(section, "name");
    bench_config_take(section, "description");
    return refuse_unknown_key(plan, section, run_keys, NULL, NULL, 0, error);
}

/* Paths in a config are relative to the config file's folder (bench_config_path). */
static int config_relative_path(const bench_plan *plan, const bench_config_entry *entry, char *out, size_t size,
                                bench_error *error)
{
    if (entry->value[0] == '\0')
        return BENCH_FAIL(error, BENCH_BAD_INPUT, "%s:%zu: %s is empty; expected a file", plan->config_path,
                          entry->line, entry->key);
    if (bench_config_path(out, size, plan->config_path, entry->value) != 0)
        return BENCH_FAIL(error, BENCH_BAD_INPUT, "%s:%zu: %s = %s: path too long", plan->config_path, entry->line,
                          entry->key, entry->value);
    return BENCH_OK;
}

/* A file the config names must exist and be readable, or the config is bad
 * input naming the line: not an I/O failure halfway through a load. */
static int check_readable(const bench_plan *plan, const bench_config_entry *entry, const char *path,
                          bench_error *error)
{
    struct stat about;
    const char *problem = NULL;
    if (stat(path, &about) != 0 || access(path, R_OK) != 0)
        problem = strerror(errno);
    else if (S_ISDIR(about.st_mode))
        problem = "is a directory";
    if (problem == NULL)
        return BENCH_OK;
    return BENCH_FAIL(error, BENCH_BAD_INPUT, "%s:%zu: %s = %s: cannot read %s: %s%s", plan->config_path, entry->line,
                      entry->key, entry->value, path, problem,
                      entry->value[0] == '/' ? "" : " (paths in a config are relative to the config file's folder)");
}

/* "a,b,a": the first name given twice, or NULL. */
static int first_duplicate(const char *list, const char **name, size_t *length)
{
    for (const char *a = list; *a;) {
        size_t la = strcspn(a, ",");
        for (const char *b = a + la + (a[la] == ','); *b;) {
            size_t lb = strcspn(b, ",");
            if (la == lb && !strncmp(a, b, la)) {
                *name = a;
                *length = la;
                return 1;
            }
            b += lb + (b[lb] == ',');
        }
        a += la + (a[la] == ',');
    }
    return 0;
}

/* A user's own file, described in its [dataset] section (see "Your own data" in
 * README.md and datasets/README.md for every key).  Keys that do not apply to
 * the chosen format are refused rather than ignored: a key the loader would
 * silently skip is a config that does not do what it says.  Strings point into
 * the config, which outlives the load; files[] into the caller's buffers. */
static int describe_custom_dataset(bench_dataset_info *info, const bench_plan *plan, bench_config_section *section,
                                   const bench_protocol *protocol, bench_error *error)
{
    const char *path = plan->config_path;
    info->name = section->label;
    info->format = "csv_dated";
    info->seasonal_period = 1;
    bench_config_entry *entry, *format_entry = bench_config_take(section, "format");
    if (format_entry != NULL) {
        const bench_format *found;
        if (bench_format_find(format_entry->value, &found, NULL) != BENCH_OK) {
            char hint[96];
            return BENCH_FAIL(error, BENCH_BAD_INPUT, "%s:%zu: format = %s: unknown format%s; formats: csv_dated, lstnet, m4, long",
                              path, format_entry->line, format_entry->value,
                              bench_suggest_phrase(hint, sizeof hint, format_entry->value, "csv_dated, lstnet, m4, long"));
        }
        info->format = format_entry->value;
    }
    const char *format = info->format;
    int is_csv = !strcmp(format, "csv_dated"), is_lstnet = !strcmp(format, "lstnet"), is_m4 = !strcmp(format, "m4"),
        is_long = !strcmp(format, "long");
    /* Each format's own defaults: csv_dated has a `date` column, long a
     * `timestamp` column (series_id,timestamp,value), lstnet and m4 no dates. */
    info->date_column = is_csv ? "date" : NULL;
    info->timestamp_format = is_csv || is_long ? "%Y-%m-%d %H:%M:%S" : NULL;
#define NOT_FOR(condition, key_name, why)                                                                          \
    do {                                                                                                           \
        bench_config_entry *refused = bench_config_take(section, key_name);                                       \
        if (refused != NULL && (condition))                                                                        \
            return BENCH_FAIL(error, BENCH_BAD_INPUT, "%s:%zu: %s does not apply to format = %s: %s", path,        \
                              refused->line, key_name, format, why);                                               \
    } while (0)
    NOT_FOR((is_lstnet || is_m4) && refused->value[0], "date_column", "its files have no date column");
    NOT_FOR(is_lstnet || is_m4, "timestamp_format", "its files have no date column");
    NOT_FOR(is_lstnet || is_m4, "columns", "every column of the file is a series; choose series with the protocol's `series`");
    NOT_FOR(!is_long, "series_column", "only format = long has a series id column");
    NOT_FOR(!is_m4, "test_path", "only format = m4 reads a second (test) file");
#undef NOT_FOR
    if ((entry = bench_config_take(section, "date_column")) != NULL)
        info->date_column = entry->value[0] ? entry->value : NULL;
    if ((entry = bench_config_take(section, "timestamp_format")) != NULL)
        info->timestamp_format = entry->value;
    if ((entry = bench_config_take(section, "series_column")) != NULL)
        info->series_column = entry->value;
    if ((entry = bench_config_take(section, "columns")) != NULL) {
        const char *name;
        size_t length;
        if (entry->value[0] == '\0' || strstr(entry->value, ",,") || entry->value[strlen(entry->value) - 1] == ',')
            return BENCH_FAIL(error, BENCH_BAD_INPUT, "%s:%zu: columns = %s: expected a comma list of column names",
                              path, entry->line, entry->value);
        if (first_duplicate(entry->value, &name, &length))
            return BENCH_FAIL(error, BENCH_BAD_INPUT, "%s:%zu: columns = %s: column '%.*s' is named twice", path,
                              entry->line, entry->value, (int)length, name);
        if (is_long && strchr(entry->value, ',') != NULL)
            return BENCH_FAIL(error, BENCH_BAD_INPUT,
                              "%s:%zu: columns = %s: a long-format file has one value column; name one", path,
                              entry->line, entry->value);
        info->columns = entry->value;
    }
    if ((entry = bench_config_take(section, "delimiter")) != NULL) {
        if (!strcmp(entry->value, "tab"))
            info->delimiter = '\t';
        else if (!strcmp(entry->value, "semicolon"))
            info->delimiter = ';';
        else if (strlen(entry->value) == 1 && entry->value[0] != '"' && entry->value[0] != '\n')
            info->delimiter = entry->value[0];
        else
            return BENCH_FAIL(error, BENCH_BAD_INPUT, "%s:%zu: delimiter = %s: expected one character, tab or semicolon",
                              path, entry->line, entry->value);
    }
    bench_config_entry *missing = bench_config_take(section, "missing"), *policy = bench_config_take(section, "missing_policy");
    if (missing != NULL && policy != NULL)
        return BENCH_FAIL(error, BENCH_BAD_INPUT, "%s:%zu: missing and missing_policy are the same key; give one",
                          path, policy->line);
    if ((entry = missing ? missing : policy) != NULL) {
        if (is_m4)
            return BENCH_FAIL(error, BENCH_BAD_INPUT,
                              "%s:%zu: %s does not apply to format = m4: M4 series end with empty padding cells, never "
                              "hold gaps", path, entry->line, entry->key);
        if (strcmp(entry->value, "interpolate") && strcmp(entry->value, "error"))
            return BENCH_FAIL(error, BENCH_BAD_INPUT, "%s:%zu: %s = %s: expected interpolate or error", path,
                              entry->line, entry->key, entry->value);
        info->missing_policy = strcmp(entry->value, "interpolate") ? NULL : "interpolate";
    }
    uint64_t number;
    size_t count;
    bench_config_entry *step = bench_config_take(section, "step_seconds");
    if (step != NULL) {
        if (parse_number_list(step->value, &number, 1, &count, 1, UINT32_MAX) != 0)
            return BENCH_FAIL(error, BENCH_BAD_INPUT, "%s:%zu: step_seconds = %s: expected a positive integer",
                              path, step->line, step->value);
        info->step_seconds = (double)number;
    }
    if ((entry = bench_config_take(section, "frequency")) != NULL) {
        if (is_lstnet || is_m4)
            return BENCH_FAIL(error, BENCH_BAD_INPUT, "%s:%zu: frequency does not apply to format = %s: its files have "
                              "no dates to check (step_seconds sets the step)", path, entry->line, format);
        if (step != NULL)
            return BENCH_FAIL(error, BENCH_BAD_INPUT,
                              "%s:%zu: give step_seconds (a fixed step) or frequency (a calendar step), not both", path,
                              entry->line);
        if (strcmp(entry->value, "monthly") && strcmp(entry->value, "quarterly") && strcmp(entry->value, "yearly"))
            return BENCH_FAIL(error, BENCH_BAD_INPUT,
                              "%s:%zu: frequency = %s: expected monthly, quarterly or yearly (fixed steps are "
                              "step_seconds)", path, entry->line, entry->value);
        info->frequency = entry->value;
    }
    if ((entry = bench_config_take(section, "seasonal_period")) != NULL) {
        if (parse_number_list(entry->value, &number, 1, &count, 1, 1000000) != 0)
            return BENCH_FAIL(error, BENCH_BAD_INPUT, "%s:%zu: seasonal_period = %s: expected a positive integer",
                              path, entry->line, entry->value);
        info->seasonal_period = (size_t)number;
    }
    /* start_date dates a file without dates; the paper protocol also reads it
     * (for its covariates), so it stays visible to the protocol's settings. */
    if ((entry = bench_config_take(section, "start_date")) != NULL) {
        if (is_lstnet) {
            if (step == NULL)
                return BENCH_FAIL(error, BENCH_BAD_INPUT, "%s:%zu: start_date needs step_seconds (the step of the dates)",
                                  path, entry->line);
            info->start_date = entry->value;
        } else if (!spec_has(protocol->params, protocol->param_count, "start_date"))
            return BENCH_FAIL(error, BENCH_BAD_INPUT,
                              "%s:%zu: start_date dates a file without dates (format = lstnet); format %s has its own",
                              path, entry->line, format);
        else
            entry->used = 0;
    }
    if (is_m4 && strcmp(protocol->name, "m4") != 0)
        return BENCH_FAIL(error, BENCH_BAD_INPUT,
                          "%s:%zu: format = m4 holds one predefined holdout per series: it needs protocol = m4 "
                          "(this section uses protocol %s)", path, format_entry->line, protocol->name);
    return BENCH_OK;
}

/* A registered dataset whose file differs from the registry's pinned sha256
 * (a modified copy found in BENCH_DATA_PATH or the cache) would give results
 * that look like the reference benchmark's and are not: refused unless the
 * user says --allow-modified-data, and then bench_dataset.modified records it
 * for run.json. */
static int check_pinned_files(const bench_plan *plan, const bench_plan_dataset *item, size_t line,
                              const bench_run_options *options, bench_error *error)
{
    const bench_dataset_info *info = bench_dataset_find(item->source);
    for (int f = 0; info != NULL && item->data->registered && f < 2; f++) {
        if (!item->data->modified[f] || (options != NULL && options->allow_modified_data))
            continue;
        return BENCH_FAIL(error, BENCH_BAD_INPUT,
                          "%s:%zu: dataset %s: %s has sha256 %s, expected %s (the registry's pinned checksum): "
                          "a modified copy of the reference data; replace it with the pinned file (`bench data "
                          "fetch %s` puts one in the cache; BENCH_DATA_PATH is searched first), or pass "
                          "--allow-modified-data to use it anyway (run.json then records it)",
                          plan->config_path, line, item->source, item->data->path[f], item->data->sha256[f],
                          info->sha256[f] ? info->sha256[f] : "(none)", item->source);
    }
    return BENCH_OK;
}

static int add_dataset(bench_plan *plan, bench_config_section *section, const bench_run_options *options,
                       bench_error *error)
{
    bench_plan_dataset *item = &plan->datasets[plan->dataset_count];
    memset(item, 0, sizeof *item);
    if (check_label(plan, section, error) != BENCH_OK)
        return error->code;
    plan->dataset_count++;
    item->label = strdup(section->label);
    bench_config_entry *entry = bench_config_take(section, "dataset");
    item->source = strdup(entry ? entry->value : section->label);
    if (item->label == NULL || item->source == NULL)
        return BENCH_FAIL(error, BENCH_NO_MEMORY, "out of memory");
    size_t source_line = entry ? entry->line : section->line;
    bench_dataset_info custom;
    memset(&custom, 0, sizeof custom);
    const bench_dataset_info *info = NULL;
    bench_config_entry *path_entry = bench_config_take(section, "path");
    if (path_entry != NULL) {
        if (entry != NULL)
            return BENCH_FAIL(error, BENCH_BAD_INPUT, "%s:%zu: give either dataset = NAME or path = FILE, not both",
                              plan->config_path, path_entry->line);
        info = &custom;
    } else
        info = bench_dataset_find(item->source);
    if (info == NULL) {
        const bench_dataset_info *entries;
        size_t count = bench_dataset_registry(&entries);
        char names[1024] = "", hint[96];
        for (size_t i = 0; i < count; i++)
            snprintf(names + strlen(names), sizeof names - strlen(names), "%s%s", i ? ", " : "", entries[i].name);
        return BENCH_FAIL(error, BENCH_BAD_INPUT,
                          "%s:%zu: unknown dataset '%s'%s; known datasets: %s (or path = FILE for your own data)",
                          plan->config_path, source_line, item->source,
                          bench_suggest_phrase(hint, sizeof hint, item->source, names), names);
    }
    /* Your own M4 files need the m4 protocol, so that is their default. */
    bench_config_entry *format_entry = NULL;
    for (size_t e = 0; path_entry != NULL && e < section->entry_count; e++)
        if (!strcmp(section->entries[e].key, "format"))
            format_entry = &section->entries[e];
    const char *default_protocol = path_entry == NULL ? info->default_protocol
                                   : format_entry != NULL && !strcmp(format_entry->value, "m4") ? "m4"
                                                                                              : "ltsf";
    entry = bench_config_take(section, "protocol");
    const char *protocol_name = entry ? entry->value : default_protocol ? default_protocol : "paper";
    item->protocol = bench_protocol_find(protocol_name);
    if (item->protocol == NULL) {
        char hint[96];
        return BENCH_FAIL(error, BENCH_BAD_INPUT, "%s:%zu: unknown protocol '%s'%s; protocols: %s", plan->config_path,
                          entry ? entry->line : section->line, protocol_name,
                          bench_suggest_phrase(hint, sizeof hint, protocol_name, bench_protocol_names()),
                          bench_protocol_names());
    }
    char data_paths[2][PATH_MAX];
    const bench_config_entry *file_entries[2] = {path_entry, NULL};
    if (path_entry != NULL) {
        if (describe_custom_dataset(&custom, plan, section, item->protocol, error) != BENCH_OK)
            return error->code;
        file_entries[1] = bench_config_take(section, "test_path");
        if (!strcmp(custom.format, "m4") && file_entries[1] == NULL)
            return BENCH_FAIL(error, BENCH_BAD_INPUT,
                              "%s:%zu: format = m4 reads two files: add test_path = the M4 test file (path is the train file)",
                              plan->config_path, path_entry->line);
        for (int f = 0; f < 2; f++) {
            if (file_entries[f] == NULL)
                continue;
            if (config_relative_path(plan, file_entries[f], data_paths[f], sizeof data_paths[f], error) != BENCH_OK ||
                check_readable(plan, file_entries[f], data_paths[f], error) != BENCH_OK)
                return error->code;
            custom.files[f] = data_paths[f];
        }
    } else {
        /* Keys describing a file of your own mean nothing for a registered dataset. */
        for (size_t e = 0; e < section->entry_count; e++) {
            bench_config_entry *own = &section->entries[e];
            if (!own->used && list_has(file_keys, own->key) &&
                !spec_has(item->protocol->params, item->protocol->param_count, own->key))
                return BENCH_FAIL(error, BENCH_BAD_INPUT,
                                  "%s:%zu: %s describes a file of your own (path = FILE); [dataset %s] reads the "
                                  "registered dataset %s, whose format is known",
                                  plan->config_path, own->line, own->key, item->label, item->source);
        }
    }
    bench_config_entry *horizons = bench_config_take(section, "horizons");
    char owner[128], own_keys[512];
    snprintf(owner, sizeof owner, "protocol %s", item->protocol->name);
    snprintf(own_keys, sizeof own_keys, "%s%s%s", dataset_keys, path_entry ? ", " : "", path_entry ? file_keys : "");
    if (refuse_unknown_key(plan, section, own_keys, owner, item->protocol->params, item->protocol->param_count,
                           error) != BENCH_OK)
        return error->code;
    if (bench_resolve_params(&item->settings, item->protocol->params, item->protocol->param_count, section,
                             plan->config_path, owner, error) != BENCH_OK)
        return error->code;
    /* `series` is checked here, where its line is known, not when a task is built. */
    for (size_t e = 0; e < section->entry_count; e++) {
        const bench_config_entry *setting = &section->entries[e];
        char problem[256];
        if (!strcmp(setting->key, "series") && spec_has(item->protocol->params, item->protocol->param_count, "series") &&
            bench_series_selection_check(setting->value, problem, sizeof problem) != 0)
            return BENCH_FAIL(error, BENCH_BAD_INPUT, "%s:%zu: series = %s: %s", plan->config_path, setting->line,
                              setting->value, problem);
    }
    int loaded = path_entry != NULL
                     ? bench_dataset_load_path(&item->data, info, (const char *const[2]){custom.files[0], custom.files[1]}, error)
                     : bench_dataset_load(&item->data, item->source, error);
    if (loaded != BENCH_OK)
        return bench_error_prefix(error, "%s:%zu: dataset %s: ", plan->config_path,
                                  path_entry ? path_entry->line : source_line, item->source);
    if (check_pinned_files(plan, item, source_line, options, error) != BENCH_OK)
        return error->code;
    if (horizons != NULL) {
        uint64_t values[BENCH_MAX_HORIZONS];
        if (parse_number_list(horizons->value, values, BENCH_MAX_HORIZONS, &item->horizon_count, 1, 1000000) != 0)
            return BENCH_FAIL(error, BENCH_BAD_INPUT, "%s:%zu: horizons = %s: expected a comma list of positive integers",
                              plan->config_path, horizons->line, horizons->value);
        /* The same horizon twice is the same cells twice (same ids). */
        size_t repeat = first_repeat(values, item->horizon_count);
        if (repeat < item->horizon_count)
            return BENCH_FAIL(error, BENCH_BAD_INPUT, "%s:%zu: horizons = %s: horizon %llu is given twice",
                              plan->config_path, horizons->line, horizons->value,
                              (unsigned long long)values[repeat]);
        for (size_t i = 0; i < item->horizon_count; i++)
            item->horizons[i] = (size_t)values[i];
    } else {
        item->horizon_count = item->protocol->default_horizons(item->data, item->horizons, BENCH_MAX_HORIZONS);
    }
    for (size_t i = 0; i < item->horizon_count; i++)
        if (item->protocol->prepare(&item->tasks[i], item->data, &item->settings.view, item->horizons[i],
                                    BENCH_STAGE_TEST, error) != BENCH_OK)
            return bench_error_prefix(error, "%s:%zu: [dataset %s] horizon %zu: ", plan->config_path, section->line,
                                      item->label, item->horizons[i]);
    return BENCH_OK;
}

/* `datasets = a, b`: the dataset sections a model runs on, stored as "a,b"
 * (items trimmed) in *out, which the plan frees.  An empty list or item is
 * refused: it would silently drop the model from the plan.  So are unknown and
 * repeated labels. */
static int parse_dataset_filter(const bench_plan *plan, const bench_config_entry *entry, char **out,
                                bench_error *error)
{
    char labels[1024] = "";
    for (size_t i = 0; i < plan->dataset_count; i++)
        snprintf(labels + strlen(labels), sizeof labels - strlen(labels), "%s%s", i ? ", " : "",
                 plan->datasets[i].label);
    if (entry->value[strspn(entry->value, " \t")] == '\0')
        return BENCH_FAIL(error, BENCH_BAD_INPUT,
                          "%s:%zu: datasets is empty: the model would run on no dataset; name dataset sections "
                          "(%s) or remove the key to run on all of them",
                          plan->config_path, entry->line, labels);
    char *filter = malloc(strlen(entry->value) + 1);
    if (filter == NULL)
        return BENCH_FAIL(error, BENCH_NO_MEMORY, "out of memory");
    filter[0] = '\0';
    for (const char *cursor = entry->value;;) {
        size_t length = strcspn(cursor, ",");
        const char *item = cursor;
        size_t item_length = length;
        while (item_length > 0 && (*item == ' ' || *item == '\t'))
            item++, item_length--;
        while (item_length > 0 && (item[item_length - 1] == ' ' || item[item_length - 1] == '\t'))
            item_length--;
        char name[256], hint[96];
        snprintf(name, sizeof name, "%.*s", (int)item_length, item);
        const char *problem = NULL;
        if (item_length == 0)
            problem = "an empty item";
        else {
            int known = 0;
            for (size_t i = 0; i < plan->dataset_count; i++)
                known |= !strcmp(plan->datasets[i].label, name);
            if (!known) {
                free(filter);
                return BENCH_FAIL(error, BENCH_BAD_INPUT,
                                  "%s:%zu: datasets: '%s' is not a [dataset] section of this config%s (sections: %s)",
                                  plan->config_path, entry->line, name,
                                  bench_suggest_phrase(hint, sizeof hint, name, labels), labels);
            }
            if (list_has_item(filter, name))
                problem = "a dataset named twice";
        }
        if (problem != NULL) {
            free(filter);
            return BENCH_FAIL(error, BENCH_BAD_INPUT, "%s:%zu: datasets = %s: %s%s%s%s", plan->config_path,
                              entry->line, entry->value, problem, item_length ? " ('" : "", name,
                              item_length ? "')" : "");
        }
        strcat(filter, filter[0] ? "," : "");
        strcat(filter, name);
        if (cursor[length] == '\0')
            break;
        cursor += length + 1;
    }
    *out = filter;
    return BENCH_OK;
}

static int add_model(bench_plan *plan, bench_config_section *section, unsigned default_threads, bench_error *error)
{
    bench_plan_model *item = &plan->models[plan->model_count];
    memset(item, 0, sizeof *item);
    if (check_label(plan, section, error) != BENCH_OK)
        return error->code;
    plan->model_count++;
    item->variant = strdup(section->label);
    if (item->variant == NULL)
        return BENCH_FAIL(error, BENCH_NO_MEMORY, "out of memory");
    bench_config_entry *entry = bench_config_take(section, "plugin");
    const bench_forecaster *from_plugin = NULL;
    if (entry != NULL) {
        char plugin[PATH_MAX];
        if (config_relative_path(plan, entry, plugin, sizeof plugin, error) != BENCH_OK ||
            check_readable(plan, entry, plugin, error) != BENCH_OK)
            return error->code;
        if (bench_plugin_load(plugin, &from_plugin, error) != BENCH_OK)
            return bench_error_prefix(error, "%s:%zu: ", plan->config_path, entry->line);
    }
    bench_config_entry *forecasts = bench_config_take(section, "forecasts");
    entry = bench_config_take(section, "model");
    const char *name = entry ? entry->value : from_plugin ? from_plugin->name : section->label;
    if (forecasts != NULL) {
        /* Forecasts made elsewhere: no model runs, the file is scored (bench/external.h). */
        if ((entry != NULL && strcmp(entry->value, "external") != 0) || from_plugin != NULL)
            return BENCH_FAIL(error, BENCH_BAD_INPUT,
                              "%s:%zu: forecasts = names a file of forecasts made elsewhere: the section runs no "
                              "model, so it takes no model or plugin key",
                              plan->config_path, forecasts->line);
        char path[PATH_MAX];
        if (config_relative_path(plan, forecasts, path, sizeof path, error) != BENCH_OK)
            return error->code;
        item->forecasts = strdup(path);
        if (item->forecasts == NULL)
            return BENCH_FAIL(error, BENCH_NO_MEMORY, "out of memory");
        item->forecasts_line = forecasts->line;
        name = "external";
    }
    item->forecaster = forecasts != NULL ? &bench_external_forecaster : bench_forecaster_find(name);
    if (item->forecaster == NULL) {
        char hint[96];
        return BENCH_FAIL(error, BENCH_BAD_INPUT, "%s:%zu: unknown model '%s'%s; models: %s", plan->config_path,
                          entry ? entry->line : section->line, name,
                          bench_suggest_phrase(hint, sizeof hint, name, bench_forecaster_names()),
                          bench_forecaster_names());
    }
    if ((entry = bench_config_take(section, "datasets")) != NULL &&
        parse_dataset_filter(plan, entry, &item->dataset_filter, error) != BENCH_OK)
        return error->code;
    item->threads = default_threads;
    if ((entry = bench_config_take(section, "threads")) != NULL &&
        bench_config_threads(plan->config_path, entry, &item->threads, error))
        return error->code;
    if ((entry = bench_config_take(section, "seeds")) != NULL) {
        if (parse_number_list(entry->value, item->seeds, BENCH_MAX_SEEDS, &item->seed_count, 0, UINT64_MAX) != 0)
            return BENCH_FAIL(error, BENCH_BAD_INPUT,
                              "%s:%zu: [model %s] seeds = %s: expected a comma list of at most %d integers",
                              plan->config_path, entry->line, item->variant, entry->value, BENCH_MAX_SEEDS);
        size_t repeat = first_repeat(item->seeds, item->seed_count);
        if (repeat < item->seed_count)
            return BENCH_FAIL(error, BENCH_BAD_INPUT, "%s:%zu: [model %s] seeds = %s: seed %llu is given twice",
                              plan->config_path, entry->line, item->variant, entry->value,
                              (unsigned long long)item->seeds[repeat]);
    }
    char owner[128];
    snprintf(owner, sizeof owner, "model %s", item->forecaster->name);
    if (refuse_unknown_key(plan, section, model_keys, owner, item->forecaster->params, item->forecaster->param_count,
                           error) != BENCH_OK)
        return error->code;
    return bench_resolve_params(&item->params, item->forecaster->params, item->forecaster->param_count, section,
                                plan->config_path, owner, error);
}

static int model_applies(const bench_plan_model *model, const char *dataset_label)
{
    return model->dataset_filter == NULL || list_has_item(model->dataset_filter, dataset_label);
}

/* The cell id hashes everything that defines its result, in a fixed text form
 * (unchanged, so ids stay stable across versions).  A definition too long for
 * the buffer would hash only its beginning, and two cells differing in a later
 * parameter would share an id: refused instead. */
/* An external model's cell: its file for this seed, checksummed and lined up
 * with the cell's windows now, so a file that does not fit is bad input before
 * anything runs. */
static int load_external(bench_plan *plan, const bench_cell *cell, bench_error *error)
{
    const bench_plan_model *model = &plan->models[cell->model];
    const bench_plan_dataset *dataset = &plan->datasets[cell->dataset];
    const bench_task *task = dataset->tasks[cell->horizon_index];
    char path[PATH_MAX];
    if (bench_external_path(path, sizeof path, model->forecasts, (unsigned long long)cell->seed, error) != BENCH_OK)
        return bench_error_prefix(error, "%s:%zu: ", plan->config_path, model->forecasts_line);
    if (access(path, R_OK) != 0)
        return BENCH_FAIL(error, BENCH_BAD_INPUT, "%s:%zu: [model %s] seed %llu: forecasts file %s: %s",
                          plan->config_path, model->forecasts_line, model->variant, (unsigned long long)cell->seed,
                          path, strerror(errno));
    if (bench_sha256_file(path, plan->external_sha256[cell->index], error) != BENCH_OK)
        return error->code;
    if ((plan->external_path[cell->index] = strdup(path)) == NULL)
        return BENCH_FAIL(error, BENCH_NO_MEMORY, "out of memory for %s", path);
    size_t count = task->request.window_count * task->info.horizon;
    double *forecasts = malloc((count ? count : 1) * sizeof *forecasts);
    if (forecasts == NULL)
        return BENCH_FAIL(error, BENCH_NO_MEMORY, "out of memory for %s", path);
    if (bench_external_align(forecasts, task, dataset->label, path, error) != BENCH_OK) {
        free(forecasts);
        return bench_error_prefix(error, "%s:%zu: [model %s] on %s, horizon %zu, seed %llu: ", plan->config_path,
                                  model->forecasts_line, model->variant, dataset->label, cell->horizon,
                                  (unsigned long long)cell->seed);
    }
    plan->external[cell->index] = forecasts;
    return BENCH_OK;
}

static int compute_cell_id(const bench_plan *plan, bench_cell *cell, bench_error *error)
{
    const bench_plan_dataset *dataset = &plan->datasets[cell->dataset];
    const bench_plan_model *model = &plan->models[cell->model];
    char definition[8192];
    int used = snprintf(definition, sizeof definition, "task=forecast;dataset=%s;source=%s;protocol=%s/%d;",
                        dataset->label, dataset->source, dataset->protocol->name, dataset->protocol->version);
    for (size_t i = 0; i < dataset->settings.view.count && used < (int)sizeof definition; i++)
        used += snprintf(definition + used, sizeof definition - used, "%s=%s;", dataset->settings.names[i],
                         dataset->settings.values[i]);
    if (used < (int)sizeof definition)
        used += snprintf(definition + used, sizeof definition - used, "horizon=%zu;model=%s;variant=%s;",
                         cell->horizon, model->forecaster->name, model->variant);
    for (size_t i = 0; i < model->params.view.count && used < (int)sizeof definition; i++)
        used += snprintf(definition + used, sizeof definition - used, "%s=%s;", model->params.names[i],
                         model->params.values[i]);
    /* An external model is its file: the id changes when the forecasts do. */
    if (model->forecasts != NULL && used < (int)sizeof definition)
        used += snprintf(definition + used, sizeof definition - used, "forecasts_sha256=%s;",
                         plan->external_sha256[cell->index]);
    if (used < (int)sizeof definition)
        used += snprintf(definition + used, sizeof definition - used, "seed=%llu;threads=%u",
                         (unsigned long long)cell->seed, cell->threads);
    if (used < 0 || used >= (int)sizeof definition)
        return BENCH_FAIL(error, BENCH_BAD_INPUT,
                          "%s: [model %s] on [dataset %s]: the cell's definition (settings and parameters) is longer "
                          "than %zu characters, so its id could not cover all of it",
                          plan->config_path, model->variant, dataset->label, sizeof definition - 1);
    uint64_t hash = bench_hash64(definition, strlen(definition), 0);
    snprintf(cell->id, sizeof cell->id, "%016llx", (unsigned long long)hash);
    return BENCH_OK;
}

static int compare_cell_ids(const void *a, const void *b)
{
    const bench_cell *const *left = a, *const *right = b;
    int order = strcmp((*left)->id, (*right)->id);
    return order ? order : ((*left)->index > (*right)->index) - ((*left)->index < (*right)->index);
}

/* Every cell id must be unique: results, cell files and `bench merge` are keyed
 * on it.  The config checks above refuse every duplicate they know of; this
 * catches whatever they miss (two definitions hashing alike) before anything
 * runs.  Sorting pointers keeps it O(n log n) for large sweeps. */
static int check_unique_ids(const bench_plan *plan, bench_error *error)
{
    if (plan->cell_count < 2)
        return BENCH_OK;
    const bench_cell **order = malloc(plan->cell_count * sizeof *order);
    if (order == NULL)
        return BENCH_FAIL(error, BENCH_NO_MEMORY, "out of memory for %zu cell ids", plan->cell_count);
    for (size_t i = 0; i < plan->cell_count; i++)
        order[i] = &plan->cells[i];
    qsort(order, plan->cell_count, sizeof *order, compare_cell_ids);
    int status = BENCH_OK;
    for (size_t i = 1; i < plan->cell_count && status == BENCH_OK; i++) {
        const bench_cell *a = order[i - 1], *b = order[i];
        if (strcmp(a->id, b->id) != 0)
            continue;
        status = BENCH_FAIL(error, BENCH_BAD_INPUT,
                            "%s: cells %zu ([dataset %s] [model %s] horizon %zu seed %llu) and %zu ([dataset %s] "
                            "[model %s] horizon %zu seed %llu) have the same id %s; results keyed on it could not be "
                            "told apart",
                            plan->config_path, a->index, plan->datasets[a->dataset].label,
                            plan->models[a->model].variant, a->horizon, (unsigned long long)a->seed, b->index,
                            plan->datasets[b->dataset].label, plan->models[b->model].variant, b->horizon,
                            (unsigned long long)b->seed, a->id);
    }
    free(order);
    return status;
}

/* A library may reject a parameter value only when a model is created (XGBoost
 * checks values at its first update): create every variant once per dataset in a
 * scratch process — libraries with thread pools must not start them in the parent
 * that later forks workers — and report the first failure. */
typedef struct trial_job {
    const bench_plan_model *model;
    const bench_plan_dataset *dataset;
} trial_job;

/* In the child: create the model once; its error, if any, written to fd. */
static int trial_in_child(void *job_, int fd)
{
    const trial_job *job = job_;
    bench_error trial = {0};
    bench_model *instance = NULL;
    bench_task_info info = job->dataset->tasks[0]->info;
    info.threads = 1;
    int status = job->model->forecaster->create(&instance, &job->model->params.view, &info, &trial);
    if (status == BENCH_OK) {
        job->model->forecaster->destroy(instance);
    } else {
        trial.code = status;
        ssize_t written = write(fd, &trial, sizeof trial);
        (void)written;
    }
    return 0;
}

static int trial_create(const bench_plan *plan, bench_error *error)
{
    for (size_t m = 0; m < plan->model_count; m++)
        for (size_t d = 0; d < plan->dataset_count; d++) {
            const bench_plan_model *model = &plan->models[m];
            const bench_plan_dataset *dataset = &plan->datasets[d];
            if (!model_applies(model, dataset->label) || dataset->horizon_count == 0)
                continue;
            trial_job job = {.model = model, .dataset = dataset};
            bench_error trial = {0};
            size_t got = 0;
            int wait_status = 0;
            if (bench_child_answer(trial_in_child, &job, &trial, sizeof trial, &got, &wait_status, error) != BENCH_OK)
                return error->code;
            if (got == sizeof trial && trial.code != BENCH_OK) {
                trial.message[sizeof trial.message - 1] = '\0';
                return BENCH_FAIL(error, trial.code == BENCH_MODEL ? BENCH_BAD_INPUT : trial.code,
                                  "%s: [model %s] on %s: %s", plan->config_path, model->variant, dataset->label,
                                  trial.message);
            }
            if (!WIFEXITED(wait_status) || WEXITSTATUS(wait_status) != 0)
                return BENCH_FAIL(error, BENCH_MODEL, "%s: [model %s] crashed while being created", plan->config_path,
                                  model->variant);
        }
    return BENCH_OK;
}

int bench_plan_build(bench_plan **out, const char *config_path, const bench_run_options *options,
                     bench_error *error)
{
    if (bench_plugin_load_environment(error) != BENCH_OK)
        return error->code;
    for (size_t i = 0; options != NULL && i < options->plugin_count; i++)
        if (bench_plugin_load(options->plugins[i], NULL, error) != BENCH_OK)
            return error->code;
    bench_config *config = NULL;
    if (bench_config_load(&config, config_path, error) != BENCH_OK)
        return error->code;
    bench_plan *plan = calloc(1, sizeof *plan);
    int status = plan ? BENCH_OK : BENCH_FAIL(error, BENCH_NO_MEMORY, "out of memory");
    if (status == BENCH_OK) {
        plan->config_path = strdup(config_path);
        plan->datasets = calloc(config->section_count, sizeof *plan->datasets);
        plan->models = calloc(config->section_count, sizeof *plan->models);
        plan->seeds[0] = 1;
        plan->seed_count = 1;
        if (!plan->config_path || !plan->datasets || !plan->models)
            status = BENCH_FAIL(error, BENCH_NO_MEMORY, "out of memory");
    }
    unsigned threads = 1;
    /* [run] first wherever it stands, then datasets (models may name them). */
    for (size_t s = 0; status == BENCH_OK && s < config->section_count; s++) {
        bench_config_section *section = &config->sections[s];
        if (!strcmp(section->kind, "run")) {
            if (section->label[0] != '\0')
                status = BENCH_FAIL(error, BENCH_BAD_INPUT, "%s:%zu: [run] takes no label", config_path, section->line);
            else
                status = parse_run_section(plan, section, &threads, error);
        } else if (strcmp(section->kind, "dataset") && strcmp(section->kind, "model"))
            status = BENCH_FAIL(error, BENCH_BAD_INPUT,
                                "%s:%zu: unknown section [%s%s%s]; sections are [run], [dataset LABEL], [model VARIANT]",
                                config_path, section->line, section->kind, section->label[0] ? " " : "", section->label);
    }
    /* Options next, before any dataset is loaded, so a bad value fails at once.
     * --seeds given as an empty list would silently fall back on the config's
     * seeds; a repeated seed would plan the same cells twice. */
    if (status == BENCH_OK && options != NULL && options->seeds != NULL) {
        size_t repeat = first_repeat(options->seeds, options->seed_count);
        if (options->seed_count == 0)
            status = BENCH_FAIL(error, BENCH_BAD_INPUT, "--seeds: an empty list; give at least one seed");
        else if (options->seed_count > BENCH_MAX_SEEDS)
            status = BENCH_FAIL(error, BENCH_BAD_INPUT, "--seeds: at most %d seeds", BENCH_MAX_SEEDS);
        else if (repeat < options->seed_count)
            status = BENCH_FAIL(error, BENCH_BAD_INPUT, "--seeds: seed %llu is given twice",
                                (unsigned long long)options->seeds[repeat]);
        else {
            memcpy(plan->seeds, options->seeds, options->seed_count * sizeof *plan->seeds);
            plan->seed_count = options->seed_count;
        }
    }
    if (status == BENCH_OK && options != NULL && options->predictions)
        plan->predictions = 1;
    /* The command line's limits override the config's; the plan holds the
     * effective values, so the harness reads only the plan.  Values out of
     * range here come from a caller that skipped the CLI's checks. */
    if (status == BENCH_OK && options != NULL && options->timeout_seconds != 0) {
        if (!isfinite(options->timeout_seconds) || !(options->timeout_seconds > 0) ||
            options->timeout_seconds > BENCH_MAX_TIMEOUT_SECONDS)
            status = BENCH_FAIL(error, BENCH_BAD_INPUT, "--timeout %g: expected a positive number of seconds",
                                options->timeout_seconds);
        else
            plan->timeout_seconds = options->timeout_seconds;
    }
    if (status == BENCH_OK && options != NULL && options->memory_limit_mb != 0) {
        if (options->memory_limit_mb > BENCH_MAX_MEMORY_LIMIT_MB)
            status = BENCH_FAIL(error, BENCH_BAD_INPUT, "--memory-limit %llu: at most %llu MB",
                                options->memory_limit_mb, (unsigned long long)BENCH_MAX_MEMORY_LIMIT_MB);
        else
            plan->memory_limit_mb = options->memory_limit_mb;
    }
    for (size_t s = 0; status == BENCH_OK && s < config->section_count; s++)
        if (!strcmp(config->sections[s].kind, "dataset"))
            status = add_dataset(plan, &config->sections[s], options, error);
    for (size_t s = 0; status == BENCH_OK && s < config->section_count; s++)
        if (!strcmp(config->sections[s].kind, "model"))
            status = add_model(plan, &config->sections[s], threads, error);
    if (status == BENCH_OK && (plan->dataset_count == 0 || plan->model_count == 0))
        status = BENCH_FAIL(error, BENCH_BAD_INPUT, "%s: a configuration needs at least one [dataset] and one [model]",
                            config_path);
    /* A model's own seeds replace [run]'s, unless --seeds replaced them all. */
    int command_line_seeds = options != NULL && options->seeds != NULL;
    for (size_t m = 0; status == BENCH_OK && m < plan->model_count; m++)
        if (command_line_seeds || plan->models[m].seed_count == 0) {
            memcpy(plan->models[m].seeds, plan->seeds, plan->seed_count * sizeof *plan->seeds);
            plan->models[m].seed_count = plan->seed_count;
        }
    /* Plan order: datasets × horizons × models × seeds, as written in the config. */
    size_t total = 0;
    for (size_t d = 0; status == BENCH_OK && d < plan->dataset_count; d++)
        for (size_t m = 0; m < plan->model_count; m++)
            if (model_applies(&plan->models[m], plan->datasets[d].label))
                total += plan->datasets[d].horizon_count * plan->models[m].seed_count;
    if (status == BENCH_OK && ((plan->cells = calloc(total ? total : 1, sizeof *plan->cells)) == NULL ||
                               (plan->external = calloc(total ? total : 1, sizeof *plan->external)) == NULL ||
                               (plan->external_sha256 = calloc(total ? total : 1, sizeof *plan->external_sha256)) ==
                                   NULL ||
                               (plan->external_path = calloc(total ? total : 1, sizeof *plan->external_path)) == NULL))
        status = BENCH_FAIL(error, BENCH_NO_MEMORY, "out of memory");
    for (size_t d = 0; status == BENCH_OK && d < plan->dataset_count; d++)
        for (size_t h = 0; status == BENCH_OK && h < plan->datasets[d].horizon_count; h++)
            for (size_t m = 0; status == BENCH_OK && m < plan->model_count; m++) {
                if (!model_applies(&plan->models[m], plan->datasets[d].label))
                    continue;
                for (size_t s = 0; status == BENCH_OK && s < plan->models[m].seed_count; s++) {
                    bench_cell *cell = &plan->cells[plan->cell_count];
                    cell->index = plan->cell_count++;
                    cell->dataset = d;
                    cell->horizon_index = h;
                    cell->horizon = plan->datasets[d].horizons[h];
                    cell->model = m;
                    cell->seed = plan->models[m].seeds[s];
                    cell->threads = options && options->threads ? options->threads : plan->models[m].threads;
                    if (plan->models[m].forecasts != NULL)
                        status = load_external(plan, cell, error);
                    if (status == BENCH_OK)
                        status = compute_cell_id(plan, cell, error);
                }
            }
    if (status == BENCH_OK)
        status = check_unique_ids(plan, error);
    if (status == BENCH_OK)
        status = trial_create(plan, error);
    bench_config_free(config);
    if (status != BENCH_OK) {
        bench_plan_free(plan);
        return status;
    }
    *out = plan;
    return BENCH_OK;
}

void bench_plan_free(bench_plan *plan)
{
    if (plan == NULL)
        return;
    for (size_t d = 0; d < plan->dataset_count; d++) {
        bench_plan_dataset *item = &plan->datasets[d];
        free(item->label);
        free(item->source);
        bench_owned_params_free(&item->settings);
        for (size_t h = 0; h < BENCH_MAX_HORIZONS; h++)
            bench_task_free(item->tasks[h]);
        bench_dataset_free(item->data);
    }
    for (size_t m = 0; m < plan->model_count; m++) {
        free(plan->models[m].variant);
        free(plan->models[m].dataset_filter);
        free(plan->models[m].forecasts);
        bench_owned_params_free(&plan->models[m].params);
    }
    for (size_t c = 0; plan->external != NULL && c < plan->cell_count; c++)
        free(plan->external[c]);
    for (size_t c = 0; plan->external_path != NULL && c < plan->cell_count; c++)
        free(plan->external_path[c]);
    free(plan->external);
    free(plan->external_sha256);
    free(plan->external_path);
    free(plan->datasets);
    free(plan->models);
    free(plan->cells);
    free(plan->config_path);
    free(plan);
}
