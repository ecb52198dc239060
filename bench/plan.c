/* Turning a configuration into a validated plan of cells (see bench/harness.h). */
#include <ctype.h>
#include <errno.h>
#include <math.h>
#include <stdio.h>
#include <stdlib.h>
#include <string.h>
#include <strings.h>
#include <sys/wait.h>
#include <unistd.h>

#include "bench/harness.h"
#include "bench/plugin.h"
#include "forecasters/registry.h"

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
            char names[768] = "";
            for (size_t i = 0; i < spec_count; i++)
                snprintf(names + strlen(names), sizeof names - strlen(names), "%s%s", i ? ", " : "", spec[i].name);
            return BENCH_FAIL(error, BENCH_BAD_INPUT, "%s:%zu: unknown parameter '%s' for %s; it accepts: %s",
                              config_path, entry->line, entry->key, owner, spec_count ? names : "(none)");
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

/* Labels become CSV fields and file names: keep them to a safe alphabet.
 * (Duplicate sections are already refused by the config reader.) */
static int check_label(const bench_plan *plan, const bench_config_section *section, bench_error *error)
{
    const char *label = section->label;
    int valid = label[0] != '\0';
    for (const char *c = label; *c; c++)
        valid &= isalnum((unsigned char)*c) || *c == '_' || *c == '-' || *c == '.';
    if (!valid)
        return BENCH_FAIL(error, BENCH_BAD_INPUT, "%s:%zu: [%s %s]: the label must be letters, digits, '_', '-' or '.'",
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

static int parse_threads(const bench_plan *plan, const bench_config_entry *entry, unsigned *threads,
                         bench_error *error)
{
    uint64_t value;
    size_t count;
    if (parse_number_list(entry->value, &value, 1, &count, 1, 256) != 0)
        return BENCH_FAIL(error, BENCH_BAD_INPUT, "%s:%zu: threads = %s: expected an integer from 1 to 256",
                          plan->config_path, entry->line, entry->value);
    *threads = (unsigned)value;
    return BENCH_OK;
}

static int parse_run_section(bench_plan *plan, bench_config_section *section, unsigned *threads,
                             bench_error *error)
{
    bench_config_entry *entry;
    if ((entry = bench_config_take(section, "seeds")) != NULL &&
        parse_number_list(entry->value, plan->seeds, BENCH_MAX_SEEDS, &plan->seed_count, 0, UINT64_MAX) != 0)
        return BENCH_FAIL(error, BENCH_BAD_INPUT, "%s:%zu: seeds = %s: expected a comma list of at most %d integers",
                          plan->config_path, entry->line, entry->value, BENCH_MAX_SEEDS);
    if ((entry = bench_config_take(section, "threads")) != NULL && parse_threads(plan, entry, threads, error))
        return error->code;
    if ((entry = bench_config_take(section, "predictions")) != NULL) {
        if (!strcasecmp(entry->value, "true") || !strcasecmp(entry->value, "yes") || !strcmp(entry->value, "1"))
            plan->predictions = 1;
        else if (strcasecmp(entry->value, "false") && strcasecmp(entry->value, "no") && strcmp(entry->value, "0"))
            return BENCH_FAIL(error, BENCH_BAD_INPUT, "%s:%zu: predictions = %s: expected true or false",
                              plan->config_path, entry->line, entry->value);
    }
    bench_config_take(section, "name");
    bench_config_take(section, "description");
    for (size_t e = 0; e < section->entry_count; e++)
        if (!section->entries[e].used)
            return BENCH_FAIL(error, BENCH_BAD_INPUT,
                              "%s:%zu: unknown key '%s' in [run]; it accepts: seeds, threads, predictions, name, description",
                              plan->config_path, section->entries[e].line, section->entries[e].key);
    return BENCH_OK;
}

/* A user's own file, described in its [dataset] section: path (and test_path for
 * M4-style holdouts), format, date column and format, value columns, step,
 * seasonal period, missing-value policy.  Strings point into the config, which
 * outlives the load. */
static int describe_custom_dataset(bench_dataset_info *info, const bench_plan *plan, bench_config_section *section,
                                   const bench_config_entry *path, bench_error *error)
{
    memset(info, 0, sizeof *info);
    info->name = section->label;
    info->files[0] = path->value;
    info->format = "csv_dated";
    info->date_column = "date";
    info->timestamp_format = "%Y-%m-%d %H:%M:%S";
    info->seasonal_period = 1;
    info->default_protocol = "ltsf";
    bench_config_entry *entry;
    if ((entry = bench_config_take(section, "test_path")) != NULL)
        info->files[1] = entry->value;
    if ((entry = bench_config_take(section, "format")) != NULL)
        info->format = entry->value;
    if ((entry = bench_config_take(section, "date_column")) != NULL)
        info->date_column = entry->value[0] ? entry->value : NULL;
    if ((entry = bench_config_take(section, "timestamp_format")) != NULL)
        info->timestamp_format = entry->value;
    if ((entry = bench_config_take(section, "columns")) != NULL)
        info->columns = entry->value;
    if ((entry = bench_config_take(section, "missing")) != NULL) {
        if (strcmp(entry->value, "interpolate") && strcmp(entry->value, "error"))
            return BENCH_FAIL(error, BENCH_BAD_INPUT, "%s:%zu: missing = %s: expected interpolate or error",
                              plan->config_path, entry->line, entry->value);
        info->missing_policy = strcmp(entry->value, "interpolate") ? NULL : "interpolate";
    }
    if ((entry = bench_config_take(section, "default_protocol")) != NULL)
        info->default_protocol = entry->value;
    uint64_t number;
    size_t count;
    if ((entry = bench_config_take(section, "step_seconds")) != NULL) {
        if (parse_number_list(entry->value, &number, 1, &count, 1, UINT32_MAX) != 0)
            return BENCH_FAIL(error, BENCH_BAD_INPUT, "%s:%zu: step_seconds = %s: expected a positive integer",
                              plan->config_path, entry->line, entry->value);
        info->step_seconds = (double)number;
    }
    if ((entry = bench_config_take(section, "seasonal_period")) != NULL) {
        if (parse_number_list(entry->value, &number, 1, &count, 1, 1000000) != 0)
            return BENCH_FAIL(error, BENCH_BAD_INPUT, "%s:%zu: seasonal_period = %s: expected a positive integer",
                              plan->config_path, entry->line, entry->value);
        info->seasonal_period = (size_t)number;
    }
    return BENCH_OK;
}

static int add_dataset(bench_plan *plan, bench_config_section *section, bench_error *error)
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
    const bench_dataset_info *info = NULL;
    bench_config_entry *path_entry = bench_config_take(section, "path");
    if (path_entry != NULL) {
        if (entry != NULL)
            return BENCH_FAIL(error, BENCH_BAD_INPUT, "%s:%zu: give either dataset = NAME or path = FILE, not both",
                              plan->config_path, path_entry->line);
        if (describe_custom_dataset(&custom, plan, section, path_entry, error) != BENCH_OK)
            return error->code;
        info = &custom;
    } else
        info = bench_dataset_find(item->source);
    if (info == NULL) {
        const bench_dataset_info *entries;
        size_t count = bench_dataset_registry(&entries);
        char names[1024] = "";
        for (size_t i = 0; i < count; i++)
            snprintf(names + strlen(names), sizeof names - strlen(names), "%s%s", i ? ", " : "", entries[i].name);
        return BENCH_FAIL(error, BENCH_BAD_INPUT, "%s:%zu: unknown dataset '%s'; known datasets: %s",
                          plan->config_path, source_line, item->source, names);
    }
    entry = bench_config_take(section, "protocol");
    const char *protocol_name = entry ? entry->value : info->default_protocol ? info->default_protocol : "paper";
    item->protocol = bench_protocol_find(protocol_name);
    if (item->protocol == NULL)
        return BENCH_FAIL(error, BENCH_BAD_INPUT, "%s:%zu: unknown protocol '%s'; protocols: %s", plan->config_path,
                          entry ? entry->line : section->line, protocol_name, bench_protocol_names());
    bench_config_entry *horizons = bench_config_take(section, "horizons");
    char owner[128];
    snprintf(owner, sizeof owner, "protocol %s", item->protocol->name);
    if (bench_resolve_params(&item->settings, item->protocol->params, item->protocol->param_count, section,
                             plan->config_path, owner, error) != BENCH_OK)
        return error->code;
    int loaded = path_entry != NULL
                     ? bench_dataset_load_path(&item->data, info, (const char *const[2]){custom.files[0], custom.files[1]}, error)
                     : bench_dataset_load(&item->data, item->source, error);
    if (loaded != BENCH_OK)
        return bench_error_prefix(error, "%s:%zu: dataset %s: ", plan->config_path, source_line, item->source);
    if (horizons != NULL) {
        uint64_t values[BENCH_MAX_HORIZONS];
        if (parse_number_list(horizons->value, values, BENCH_MAX_HORIZONS, &item->horizon_count, 1, 1000000) != 0)
            return BENCH_FAIL(error, BENCH_BAD_INPUT, "%s:%zu: horizons = %s: expected a comma list of positive integers",
                              plan->config_path, horizons->line, horizons->value);
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
    if (entry != NULL && bench_plugin_load(entry->value, &from_plugin, error) != BENCH_OK)
        return bench_error_prefix(error, "%s:%zu: ", plan->config_path, entry->line);
    entry = bench_config_take(section, "model");
    const char *name = entry ? entry->value : from_plugin ? from_plugin->name : section->label;
    item->forecaster = bench_forecaster_find(name);
    if (item->forecaster == NULL)
        return BENCH_FAIL(error, BENCH_BAD_INPUT, "%s:%zu: unknown model '%s'; models: %s", plan->config_path,
                          entry ? entry->line : section->line, name, bench_forecaster_names());
    if ((entry = bench_config_take(section, "datasets")) != NULL) {
        item->dataset_filter = strdup(entry->value);
        if (item->dataset_filter == NULL)
            return BENCH_FAIL(error, BENCH_NO_MEMORY, "out of memory");
        const char *cursor = entry->value;
        while (*cursor) {
            size_t length = strcspn(cursor, ",");
            int known = 0;
            for (size_t i = 0; i < plan->dataset_count; i++)
                known |= strlen(plan->datasets[i].label) == length &&
                         !strncmp(plan->datasets[i].label, cursor, length);
            if (!known)
                return BENCH_FAIL(error, BENCH_BAD_INPUT, "%s:%zu: datasets: '%.*s' is not a [dataset] section of this config",
                                  plan->config_path, entry->line, (int)length, cursor);
            cursor += length + (cursor[length] == ',');
        }
    }
    item->threads = default_threads;
    if ((entry = bench_config_take(section, "threads")) != NULL && parse_threads(plan, entry, &item->threads, error))
        return error->code;
    char owner[128];
    snprintf(owner, sizeof owner, "model %s", item->forecaster->name);
    return bench_resolve_params(&item->params, item->forecaster->params, item->forecaster->param_count, section,
                                plan->config_path, owner, error);
}

static int model_applies(const bench_plan_model *model, const char *dataset_label)
{
    if (model->dataset_filter == NULL)
        return 1;
    size_t length = strlen(dataset_label);
    for (const char *cursor = model->dataset_filter; *cursor;) {
        size_t item = strcspn(cursor, ",");
        if (item == length && !strncmp(cursor, dataset_label, length))
            return 1;
        cursor += item + (cursor[item] == ',');
    }
    return 0;
}

/* The cell id hashes everything that defines its result, in a fixed text form. */
static void compute_cell_id(const bench_plan *plan, bench_cell *cell)
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
    if (used < (int)sizeof definition)
        snprintf(definition + used, sizeof definition - used, "seed=%llu;threads=%u",
                 (unsigned long long)cell->seed, cell->threads);
    uint64_t hash = bench_hash64(definition, strlen(definition), 0);
    snprintf(cell->id, sizeof cell->id, "%016llx", (unsigned long long)hash);
}

/* A library may reject a parameter value only when a model is created (XGBoost
 * checks values at its first update): create every variant once per dataset in a
 * scratch process — libraries with thread pools must not start them in the parent
 * that later forks workers — and report the first failure. */
static int trial_create(const bench_plan *plan, bench_error *error)
{
    for (size_t m = 0; m < plan->model_count; m++)
        for (size_t d = 0; d < plan->dataset_count; d++) {
            const bench_plan_model *model = &plan->models[m];
            const bench_plan_dataset *dataset = &plan->datasets[d];
            if (!model_applies(model, dataset->label) || dataset->horizon_count == 0)
                continue;
            int channel[2];
            if (pipe(channel) != 0)
                return BENCH_FAIL(error, BENCH_IO, "pipe: %s", strerror(errno));
            pid_t child = fork();
            if (child < 0) {
                close(channel[0]), close(channel[1]);
                return BENCH_FAIL(error, BENCH_IO, "fork: %s", strerror(errno));
            }
            if (child == 0) {
                close(channel[0]);
                bench_error trial = {0};
                bench_model *instance = NULL;
                bench_task_info info = dataset->tasks[0]->info;
                info.threads = 1;
                int status = model->forecaster->create(&instance, &model->params.view, &info, &trial);
                if (status == BENCH_OK)
                    model->forecaster->destroy(instance);
                else {
                    trial.code = status;
                    ssize_t written = write(channel[1], &trial, sizeof trial);
                    (void)written;
                }
                close(channel[1]);
                _exit(0);
            }
            close(channel[1]);
            bench_error trial = {0};
            ssize_t got = read(channel[0], &trial, sizeof trial);
            close(channel[0]);
            int wait_status = 0;
            waitpid(child, &wait_status, 0);
            if (got == (ssize_t)sizeof trial && trial.code != BENCH_OK) {
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
    for (size_t s = 0; status == BENCH_OK && s < config->section_count; s++)
        if (!strcmp(config->sections[s].kind, "dataset"))
            status = add_dataset(plan, &config->sections[s], error);
    for (size_t s = 0; status == BENCH_OK && s < config->section_count; s++)
        if (!strcmp(config->sections[s].kind, "model"))
            status = add_model(plan, &config->sections[s], threads, error);
    if (status == BENCH_OK && (plan->dataset_count == 0 || plan->model_count == 0))
        status = BENCH_FAIL(error, BENCH_BAD_INPUT, "%s: a configuration needs at least one [dataset] and one [model]",
                            config_path);
    if (status == BENCH_OK && options != NULL && options->seed_count > 0) {
        if (options->seed_count > BENCH_MAX_SEEDS)
            status = BENCH_FAIL(error, BENCH_BAD_INPUT, "at most %d seeds", BENCH_MAX_SEEDS);
        else {
            memcpy(plan->seeds, options->seeds, options->seed_count * sizeof *plan->seeds);
            plan->seed_count = options->seed_count;
        }
    }
    if (status == BENCH_OK && options != NULL && options->predictions)
        plan->predictions = 1;
    /* Plan order: datasets × horizons × models × seeds, as written in the config. */
    size_t total = 0;
    for (size_t d = 0; status == BENCH_OK && d < plan->dataset_count; d++)
        for (size_t m = 0; m < plan->model_count; m++)
            if (model_applies(&plan->models[m], plan->datasets[d].label))
                total += plan->datasets[d].horizon_count * plan->seed_count;
    if (status == BENCH_OK && (plan->cells = calloc(total ? total : 1, sizeof *plan->cells)) == NULL)
        status = BENCH_FAIL(error, BENCH_NO_MEMORY, "out of memory");
    for (size_t d = 0; status == BENCH_OK && d < plan->dataset_count; d++)
        for (size_t h = 0; h < plan->datasets[d].horizon_count; h++)
            for (size_t m = 0; m < plan->model_count; m++) {
                if (!model_applies(&plan->models[m], plan->datasets[d].label))
                    continue;
                for (size_t s = 0; s < plan->seed_count; s++) {
                    bench_cell *cell = &plan->cells[plan->cell_count];
                    cell->index = plan->cell_count++;
                    cell->dataset = d;
                    cell->horizon_index = h;
                    cell->horizon = plan->datasets[d].horizons[h];
                    cell->model = m;
                    cell->seed = plan->seeds[s];
                    cell->threads = options && options->threads ? options->threads : plan->models[m].threads;
                    compute_cell_id(plan, cell);
                }
            }
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
        bench_owned_params_free(&plan->models[m].params);
    }
    free(plan->datasets);
    free(plan->models);
    free(plan->cells);
    free(plan->config_path);
    free(plan);
}
