/* `bench tune` (see bench/tune.h): validation-split search, refit on train +
 * validation, one evaluation on test. */
#include "bench/tune.h"

#include <errno.h>
#include <jansson.h>
#include <math.h>
#include <stdarg.h>
#include <stdio.h>
#include <stdlib.h>
#include <string.h>
#include <time.h>
#include <unistd.h>

#include "core/dir_lock.h"
#include "core/files.h"
#include "bench/results.h"
#include "bench/harness.h"

#define MAX_AXES 16
#define MAX_VALUES 64

/* Built-in spaces: around the official scripts' final values (reference §1.9). */
static const struct {
    const char *forecaster;
    const char *space;
} builtin_spaces[] = {
    {"gbrt", "eta=0.02,0.05,0.07,0.1,0.2,0.3;max_depth=3,4,6,8;n_estimators=50,80,150,300;"
             "subsample=0.8,0.9,0.97,1;colsample_bytree=0.8,0.9,0.97,1;min_child_weight=1,3,5"},
    {"gbrt_naive", "eta=0.02,0.05,0.1,0.2,0.3;max_depth=2,3,4,6,8;n_estimators=50,100,200,400;"
                   "subsample=0.8,0.9,1;colsample_bytree=0.8,1"},
    {"ridge", "alpha=0,0.001,0.01,0.1,1,10,100,1000,10000"},
};

const char *bench_tune_space_text(const char *forecaster)
{
    for (size_t i = 0; i < sizeof builtin_spaces / sizeof builtin_spaces[0]; i++)
        if (strcmp(builtin_spaces[i].forecaster, forecaster) == 0)
            return builtin_spaces[i].space;
    return NULL;
}

typedef struct tune_space {
    char *storage;                        /* the parsed text; names and values point into it */
    size_t axis_count;
    const char *names[MAX_AXES];
    const char *values[MAX_AXES][MAX_VALUES];
    size_t value_count[MAX_AXES];
} tune_space;

static char *trim(char *text)
{
    while (*text == ' ' || *text == '\t')
        text++;
    for (char *end = text + strlen(text); end > text && (end[-1] == ' ' || end[-1] == '\t');)
        *--end = '\0';
    return text;
}

static int parse_space(tune_space *space, const char *text, bench_error *error)
{
    memset(space, 0, sizeof *space);
    space->storage = strdup(text);
    if (space->storage == NULL)
        return BENCH_FAIL(error, BENCH_NO_MEMORY, "out of memory");
    char *axis_save = NULL;
    for (char *axis = strtok_r(space->storage, ";", &axis_save); axis != NULL;
         axis = strtok_r(NULL, ";", &axis_save)) {
        char *equals = strchr(axis, '=');
        if (equals == NULL)
            return BENCH_FAIL(error, BENCH_BAD_INPUT, "search space: '%s' is not name=v1,v2,...", trim(axis));
        *equals = '\0';
        if (space->axis_count == MAX_AXES)
            return BENCH_FAIL(error, BENCH_BAD_INPUT, "search space: more than %d parameters", MAX_AXES);
        size_t a = space->axis_count++;
        space->names[a] = trim(axis);
        for (size_t b = 0; b < a; b++)
            if (strcmp(space->names[b], space->names[a]) == 0)
                return BENCH_FAIL(error, BENCH_BAD_INPUT, "search space: '%s' appears twice", space->names[a]);
        char *value_save = NULL;
        for (char *value = strtok_r(equals + 1, ",", &value_save); value != NULL;
             value = strtok_r(NULL, ",", &value_save)) {
            if (space->value_count[a] == MAX_VALUES)
                return BENCH_FAIL(error, BENCH_BAD_INPUT, "search space: '%s' has more than %d values",
                                  space->names[a], MAX_VALUES);
            value = trim(value);
            if (*value != '\0')
                space->values[a][space->value_count[a]++] = value;
        }
        if (space->names[a][0] == '\0' || space->value_count[a] == 0)
            return BENCH_FAIL(error, BENCH_BAD_INPUT, "search space: parameter '%s' has no values", space->names[a]);
    }
    if (space->axis_count == 0)
        return BENCH_FAIL(error, BENCH_BAD_INPUT, "search space is empty");
    return BENCH_OK;
}

/* Settings to try: choices[t * axis_count + a] indexes space->values[a]. */
static size_t plan_trials(size_t *choices, const tune_space *space, size_t budget, int grid, uint64_t seed)
{
    size_t size = 1;
    for (size_t a = 0; a < space->axis_count; a++)
        size = size > SIZE_MAX / space->value_count[a] ? SIZE_MAX : size * space->value_count[a];
    size_t count = budget < size ? budget : size;
    bench_rng rng;
    bench_rng_derive(&rng, seed, "tune-search");
    for (size_t t = 0; t < count; t++) {
        size_t *trial = choices + t * space->axis_count;
        if (grid) {
            size_t rest = t; /* mixed radix, the last axis fastest */
            for (size_t a = space->axis_count; a-- > 0;) {
                trial[a] = rest % space->value_count[a];
                rest /= space->value_count[a];
            }
            continue;
        }
        for (int attempt = 0; attempt < 10000; attempt++) {
            for (size_t a = 0; a < space->axis_count; a++)
                trial[a] = (size_t)bench_rng_below(&rng, space->value_count[a]);
            int seen = 0;
            for (size_t u = 0; u < t && !seen; u++)
                seen = memcmp(choices + u * space->axis_count, trial, space->axis_count * sizeof *trial) == 0;
            if (!seen)
                break;
        }
    }
    return count;
}

/* The model's config parameters with one trial's values on top, checked by the
 * same resolver `bench run` uses. */
static int resolve_trial(bench_owned_params *out, const bench_plan_model *model, const tune_space *space,
                         const size_t *trial, const char *config_path, bench_error *error)
{
    size_t base = model->params.view.count;
    bench_config_entry entries[base + MAX_AXES];
    for (size_t i = 0; i < base; i++)
        entries[i] = (bench_config_entry){.key = (char *)model->params.view.names[i],
                                          .value = (char *)model->params.view.values[i]};
    for (size_t a = 0; a < space->axis_count; a++)
        entries[base + a] = (bench_config_entry){.key = (char *)space->names[a],
                                                 .value = (char *)space->values[a][trial[a]]};
    bench_config_section section = {.kind = "model", .label = model->variant, .entries = entries,
                                    .entry_count = base + space->axis_count};
    char owner[160];
    snprintf(owner, sizeof owner, "model %s (search space)", model->forecaster->name);
    return bench_resolve_params(out, model->forecaster->params, model->forecaster->param_count, &section,
                                config_path, owner, error);
}

static void setting_text(char *out, size_t size, const tune_space *space, const size_t *trial)
{
    out[0] = '\0';
    for (size_t a = 0; a < space->axis_count; a++)
        snprintf(out + strlen(out), size - strlen(out), "%s%s=%s", a ? ";" : "", space->names[a],
                 space->values[a][trial[a]]);
}

static double now_seconds(void)
{
    struct timespec ts;
    clock_gettime(CLOCK_MONOTONIC, &ts);
    return (double)ts.tv_sec + 1e-9 * (double)ts.tv_nsec;
}

/* create → fit → predict → evaluate on one task; values has metric_count slots. */
static int evaluate_once(const bench_forecaster *forecaster, const bench_params *params, bench_task *task,
                         const bench_protocol *protocol, unsigned threads, uint64_t seed, double *values,
                         bench_error *error)
{
    task->info.threads = threads;
    task->info.seed = seed;
    size_t outputs = task->request.window_count * task->info.horizon;
    double *prediction = calloc(outputs ? outputs : 1, sizeof *prediction);
    if (prediction == NULL)
        return BENCH_FAIL(error, BENCH_NO_MEMORY, "out of memory for predictions");
    bench_rng fit_rng, predict_rng;
    bench_rng_derive(&fit_rng, seed, "fit");
    bench_rng_derive(&predict_rng, seed, "predict");
    bench_model *model = NULL;
    int status = forecaster->create(&model, params, &task->info, error);
    if (status == BENCH_OK)
        status = forecaster->fit(model, &task->train, &fit_rng, error);
    if (status == BENCH_OK)
        status = forecaster->predict(model, &task->request, &predict_rng, prediction, error);
    for (size_t i = 0; status == BENCH_OK && i < outputs; i++)
        if (!isfinite(prediction[i]))
            status = BENCH_FAIL(error, BENCH_MODEL, "prediction %zu is not finite", i);
    if (status == BENCH_OK)
        status = protocol->evaluate(task, prediction, values, error);
    if (model != NULL)
        forecaster->destroy(model);
    free(prediction);
    return status;
}

static int metric_index(const bench_task *task, const char *metric)
{
    for (size_t m = 0; m < task->metric_count; m++)
        if (strcmp(task->metric_names[m], metric) == 0)
            return (int)m;
    return -1;
}

static void format_value(char *out, size_t size, double value)
{
    if (isnan(value))
        snprintf(out, size, "NaN");
    else
        snprintf(out, size, "%.10g", value);
}

static void report(const bench_tune_options *options, const char *format, ...) __attribute__((format(printf, 2, 3)));
static void report(const bench_tune_options *options, const char *format, ...)
{
    if (options->progress == NULL)
        return;
    char line[1024];
    va_list arguments;
    va_start(arguments, format);
    vsnprintf(line, sizeof line, format, arguments);
    va_end(arguments);
    options->progress(options->progress_context, line);
}

static int write_text(const char *dir, const char *name, const char *text, bench_error *error)
{
    char path[4200];
    snprintf(path, sizeof path, "%s/%s", dir, name);
    bench_atomic_file file;
    int status = bench_atomic_open(&file, path, error);
    if (status != BENCH_OK)
        return status;
    fputs(text, file.stream);
    return bench_atomic_commit(&file, error);
}

typedef struct tune_state {
    const bench_tune_options *options;
    const char *config_path;
    bench_plan *plan;
    const bench_plan_model *model;
    tune_space space;
    size_t trial_count;
    size_t *choices;              /* (trial_count × axis_count) */
    bench_owned_params *trials;   /* (trial_count) resolved settings */
    const char *metric;
    unsigned threads;
    char *tuning_text, *results_text;
    size_t tuning_size, results_size;
    FILE *tuning, *results;       /* open_memstream over the texts */
    json_t *selections;
} tune_state;

/* Search, refit and test one (dataset, horizon) cell. */
static int tune_cell(tune_state *state, size_t d, size_t h, bench_error *error)
{
    const bench_plan_dataset *dataset = &state->plan->datasets[d];
    const bench_plan_model *model = state->model;
    const bench_tune_options *options = state->options;
    bench_task *test_task = dataset->tasks[h];
    size_t horizon = dataset->horizons[h];
    bench_task *validation = NULL;
    int status = dataset->protocol->prepare(&validation, dataset->data, &dataset->settings.view, horizon,
                                            BENCH_STAGE_VALIDATION, error);
    if (status != BENCH_OK)
        return bench_error_prefix(error, "dataset %s, horizon %zu, validation split: ", dataset->label, horizon);
    int chosen_metric = metric_index(validation, state->metric);
    int maximise = strncmp(state->metric, "corr", 4) == 0;
    double best_value = NAN, values[BENCH_TASK_MAX_METRICS];
    size_t best = state->trial_count;
    json_t *trial_seconds = json_array(), *trial_errors = json_object();
    for (size_t t = 0; t < state->trial_count; t++) {
        bench_error trial_error = {0};
        double start = now_seconds();
        int trial_status = evaluate_once(model->forecaster, &state->trials[t].view, validation, dataset->protocol,
                                         state->threads, options->seed, values, &trial_error);
        double seconds = now_seconds() - start;
        json_array_append_new(trial_seconds, json_real(seconds));
        char value[64] = "", setting[1024];
        const size_t *trial = state->choices + t * state->space.axis_count;
        setting_text(setting, sizeof setting, &state->space, trial);
        if (trial_status == BENCH_OK) {
            double v = values[chosen_metric];
            format_value(value, sizeof value, v);
            if (isfinite(v) && (best == state->trial_count || (maximise ? v > best_value : v < best_value))) {
                best = t;
                best_value = v;
            }
        } else {
            char key[32];
            snprintf(key, sizeof key, "%zu", t + 1);
            json_object_set_new(trial_errors, key, json_string(trial_error.message));
        }
        fprintf(state->tuning, "%s,%s,%s,%s,%zu,%zu", dataset->label, dataset->protocol->name,
                model->forecaster->name, model->variant, horizon, t + 1);
        for (size_t a = 0; a < state->space.axis_count; a++)
            fprintf(state->tuning, ",%s", state->space.values[a][trial[a]]);
        fprintf(state->tuning, ",%s,%s,%s\n", state->metric, value, trial_status == BENCH_OK ? "ok" : "error");
        report(options, "tune %s h=%zu trial %zu/%zu %s: %s %s (%.1f s)%s%s", dataset->label, horizon, t + 1,
               state->trial_count, setting, state->metric, trial_status == BENCH_OK ? value : "error", seconds,
               trial_status == BENCH_OK ? "" : ": ", trial_status == BENCH_OK ? "" : trial_error.message);
    }
    bench_task_free(validation);

    /* Refit the best setting on the whole training part and test once. */
    char cell_definition[2048], cell_id[17], setting[1024] = "";
    bench_error final_error = {0};
    double refit_start = now_seconds();
    int final_status = best < state->trial_count ? BENCH_OK
                                                 : BENCH_FAIL(&final_error, BENCH_MODEL, "every trial failed");
    if (final_status == BENCH_OK) {
        setting_text(setting, sizeof setting, &state->space, state->choices + best * state->space.axis_count);
        final_status = evaluate_once(model->forecaster, &state->trials[best].view, test_task, dataset->protocol,
                                     state->threads, options->seed, values, &final_error);
    }
    double refit_seconds = now_seconds() - refit_start;
    snprintf(cell_definition, sizeof cell_definition, "tune|%s|%s|%s|%zu|%s|%s|%llu|%s", dataset->label,
             dataset->source, dataset->protocol->name, horizon, model->forecaster->name, model->variant,
             (unsigned long long)options->seed, setting);
    snprintf(cell_id, sizeof cell_id, "%016llx",
             (unsigned long long)bench_hash64(cell_definition, strlen(cell_definition), 0xcbf29ce484222325ULL));
    json_t *test_values = json_object();
    for (size_t m = 0; m < test_task->metric_count; m++) {
        char value[64] = "";
        if (final_status == BENCH_OK) {
            format_value(value, sizeof value, values[m]);
            json_object_set_new(test_values, test_task->metric_names[m], json_real(values[m]));
        }
        char horizon_text[32], seed_text[32];
        snprintf(horizon_text, sizeof horizon_text, "%zu", horizon);
        snprintf(seed_text, sizeof seed_text, "%llu", (unsigned long long)options->seed);
        bench_results_write_row(state->results,
                                &(bench_result_row){.cell_id = cell_id, .task = "forecast", .dataset = dataset->label,
                                                    .protocol = dataset->protocol->name,
                                                    .model = model->forecaster->name, .variant = model->variant,
                                                    .horizon = horizon_text, .seed = seed_text,
                                                    .metric = test_task->metric_names[m], .value = value,
                                                    .ok = final_status == BENCH_OK});
    }
    char test_value[64] = "";
    if (final_status == BENCH_OK)
        format_value(test_value, sizeof test_value, values[metric_index(test_task, state->metric)]);
    report(options, "tune %s h=%zu: best trial %zu (%s), refit on train+validation: test %s %s", dataset->label,
           horizon, best + 1, setting, state->metric, final_status == BENCH_OK ? test_value : final_error.message);
    json_t *chosen = json_object();
    if (best < state->trial_count)
        for (size_t a = 0; a < state->space.axis_count; a++)
            json_object_set_new(chosen, state->space.names[a],
                                json_string(state->space.values[a][state->choices[best * state->space.axis_count + a]]));
    json_t *selection = json_pack("{s:s, s:s, s:I, s:s, s:o, s:o, s:o, s:o, s:f}", "cell_id", cell_id, "dataset",
                                  dataset->label, "horizon", (json_int_t)horizon, "status",
                                  final_status == BENCH_OK ? "ok" : "error", "chosen", chosen, "test", test_values,
                                  "trial_seconds", trial_seconds, "trial_errors", trial_errors, "refit_seconds",
                                  refit_seconds);
    if (best < state->trial_count) {
        json_object_set_new(selection, "best_trial", json_integer((json_int_t)best + 1));
        json_object_set_new(selection, "validation_value", json_real(best_value));
    }
    if (final_status != BENCH_OK)
        json_object_set_new(selection, "error", json_string(final_error.message));
    json_array_append_new(state->selections, selection);
    return BENCH_OK;
}

static const bench_plan_model *find_model(const bench_plan *plan, const char *name)
{
    for (size_t m = 0; m < plan->model_count; m++)
        if (strcmp(plan->models[m].variant, name) == 0)
            return &plan->models[m];
    for (size_t m = 0; m < plan->model_count; m++)
        if (strcmp(plan->models[m].forecaster->name, name) == 0)
            return &plan->models[m];
    return NULL;
}

static int applies(const bench_plan_model *model, const char *label)
{
    if (model->dataset_filter == NULL)
        return 1;
    size_t length = strlen(label);
    for (const char *cursor = model->dataset_filter; *cursor;) {
        size_t item = strcspn(cursor, ",");
        if (item == length && strncmp(cursor, label, length) == 0)
            return 1;
        cursor += item + (cursor[item] == ',');
    }
    return 0;
}

static int prepare_state(tune_state *state, bench_error *error)
{
    const bench_tune_options *options = state->options;
    if (options->out_dir == NULL || options->model == NULL || options->budget == 0)
        return BENCH_FAIL(error, BENCH_BAD_INPUT, "tune needs an output directory, a model and a budget >= 1");
    int status = bench_plan_build(&state->plan, state->config_path, NULL, error);
    if (status != BENCH_OK)
        return status;
    state->model = find_model(state->plan, options->model);
    if (state->model == NULL) {
        char names[1024] = "";
        for (size_t m = 0; m < state->plan->model_count; m++)
            snprintf(names + strlen(names), sizeof names - strlen(names), "%s%s", m ? ", " : "",
                     state->plan->models[m].variant);
        return BENCH_FAIL(error, BENCH_BAD_INPUT, "%s: no model '%s' to tune; its models: %s", state->config_path,
                          options->model, names);
    }
    const char *space_text = options->space ? options->space : bench_tune_space_text(state->model->forecaster->name);
    if (space_text == NULL)
        return BENCH_FAIL(error, BENCH_BAD_INPUT,
                          "no built-in search space for model '%s' (built-in: gbrt, gbrt_naive, ridge); give --space",
                          state->model->forecaster->name);
    if ((status = parse_space(&state->space, space_text, error)) != BENCH_OK)
        return status;
    state->choices = calloc(options->budget * state->space.axis_count, sizeof *state->choices);
    state->trials = calloc(options->budget, sizeof *state->trials);
    if (state->choices == NULL || state->trials == NULL)
        return BENCH_FAIL(error, BENCH_NO_MEMORY, "out of memory for %zu trials", options->budget);
    state->trial_count = plan_trials(state->choices, &state->space, options->budget, options->grid, options->seed);
    for (size_t t = 0; t < state->trial_count; t++)
        if ((status = resolve_trial(&state->trials[t], state->model, &state->space,
                                    state->choices + t * state->space.axis_count, state->config_path, error)))
            return status;
    state->threads = options->threads ? options->threads : state->model->threads;
    size_t cells = 0;
    for (size_t d = 0; d < state->plan->dataset_count; d++) {
        const bench_plan_dataset *dataset = &state->plan->datasets[d];
        if (!applies(state->model, dataset->label))
            continue;
        for (size_t h = 0; h < dataset->horizon_count; h++, cells++) {
            const char *metric = options->metric ? options->metric : dataset->tasks[h]->metric_names[0];
            if (state->metric == NULL)
                state->metric = metric;
            if (metric_index(dataset->tasks[h], state->metric) < 0)
                return BENCH_FAIL(error, BENCH_BAD_INPUT, "metric '%s' is not reported by protocol %s (dataset %s)",
                                  state->metric, dataset->protocol->name, dataset->label);
        }
    }
    if (cells == 0)
        return BENCH_FAIL(error, BENCH_BAD_INPUT, "model '%s' applies to no dataset of %s", options->model,
                          state->config_path);
    /* Create every trial's model once, as `bench run` does for each variant, so a
     * value only the model rejects (a string-typed parameter, an XGBoost check)
     * fails before anything runs or is written. */
    for (size_t d = 0; d < state->plan->dataset_count; d++) {
        const bench_plan_dataset *dataset = &state->plan->datasets[d];
        if (!applies(state->model, dataset->label))
            continue;
        for (size_t t = 0; t < state->trial_count; t++) {
            bench_model *probe = NULL;
            status = state->model->forecaster->create(&probe, &state->trials[t].view, &dataset->tasks[0]->info, error);
            if (probe != NULL)
                state->model->forecaster->destroy(probe);
            if (status != BENCH_OK) {
                char setting[1024];
                setting_text(setting, sizeof setting, &state->space, state->choices + t * state->space.axis_count);
                return bench_error_prefix(error, "search space setting %s: ", setting);
            }
        }
        break;
    }
    return BENCH_OK;
}

int bench_tune(const char *config_path, const bench_tune_options *options, bench_error *error)
{
    tune_state state = {.options = options, .config_path = config_path};
    double start = now_seconds();
    int status = prepare_state(&state, error);
    /* Once the search is valid (bad input writes nothing): one writer per
     * directory (core/dir_lock.h), and no old results.csv that could pass for
     * this search's while it runs. */
    bench_dir_lock lock = {.fd = -1};
    char holder[4200], path[4200];
    snprintf(holder, sizeof holder, "bench tune %s", config_path);
    snprintf(path, sizeof path, "%s/results.csv", options->out_dir);
    if (status == BENCH_OK)
        status = bench_dir_lock_take(&lock, options->out_dir, 1, holder, error);
    if (status == BENCH_OK && unlink(path) != 0 && errno != ENOENT)
        status = BENCH_FAIL(error, BENCH_IO, "%s: cannot remove: %s", path, strerror(errno));
    if (status == BENCH_OK) {
        state.tuning = open_memstream(&state.tuning_text, &state.tuning_size);
        state.results = open_memstream(&state.results_text, &state.results_size);
        state.selections = json_array();
        if (state.tuning == NULL || state.results == NULL || state.selections == NULL)
            status = BENCH_FAIL(error, BENCH_NO_MEMORY, "out of memory");
    }
    if (status == BENCH_OK) {
        fprintf(state.tuning, "dataset,protocol,model,variant,horizon,trial");
        for (size_t a = 0; a < state.space.axis_count; a++)
            fprintf(state.tuning, ",%s", state.space.names[a]);
        fprintf(state.tuning, ",metric,value,status\n");
        fputs(BENCH_RESULTS_HEADER, state.results);
        for (size_t d = 0; status == BENCH_OK && d < state.plan->dataset_count; d++)
            if (applies(state.model, state.plan->datasets[d].label))
                for (size_t h = 0; status == BENCH_OK && h < state.plan->datasets[d].horizon_count; h++)
                    status = tune_cell(&state, d, h, error);
    }
    /* A memory stream reports a failed allocation only at fclose: its text is
     * then incomplete (or NULL) and must not be written. */
    int tuning_failed = state.tuning != NULL && fclose(state.tuning) != 0;
    int results_failed = state.results != NULL && fclose(state.results) != 0;
    if (status == BENCH_OK && (tuning_failed || results_failed || !state.tuning_text || !state.results_text))
        status = BENCH_FAIL(error, BENCH_NO_MEMORY, "out of memory for tuning.csv and results.csv");
    if (status == BENCH_OK) {
        json_t *space = json_object();
        for (size_t a = 0; a < state.space.axis_count; a++) {
            json_t *values = json_array();
            for (size_t v = 0; v < state.space.value_count[a]; v++)
                json_array_append_new(values, json_string(state.space.values[a][v]));
            json_object_set_new(space, state.space.names[a], values);
        }
        json_t *base = json_object();
        for (size_t i = 0; i < state.model->params.view.count; i++)
            json_object_set_new(base, state.model->params.view.names[i],
                                json_string(state.model->params.view.values[i]));
        json_t *run = json_pack("{s:s, s:s, s:s, s:s, s:s, s:I, s:I, s:I, s:s, s:I, s:o, s:o, s:o, s:f}", "command",
                                "tune", "config", config_path, "model", state.model->forecaster->name, "variant",
                                state.model->variant, "search", options->grid ? "grid" : "random", "budget",
                                (json_int_t)options->budget, "trials", (json_int_t)state.trial_count, "seed",
                                (json_int_t)options->seed, "metric", state.metric, "threads",
                                (json_int_t)state.threads, "space", space, "base_params", base, "selections",
                                json_incref(state.selections), "wall_seconds", now_seconds() - start);
        char *json_text = run ? json_dumps(run, JSON_INDENT(2) | JSON_SORT_KEYS | JSON_REAL_PRECISION(10)) : NULL;
        status = json_text == NULL ? BENCH_FAIL(error, BENCH_NO_MEMORY, "out of memory for run.json")
                                   : bench_make_directories(options->out_dir, error);
        if (status == BENCH_OK)
            status = write_text(options->out_dir, "tuning.csv", state.tuning_text, error);
        if (status == BENCH_OK)
            status = write_text(options->out_dir, "results.csv", state.results_text, error);
        if (status == BENCH_OK) {
            /* Grown by one byte for the final newline; on failure the old
             * buffer is still ours to free (and to report, not to write). */
            size_t length = strlen(json_text);
            char *grown = realloc(json_text, length + 2);
            if (grown == NULL)
                status = BENCH_FAIL(error, BENCH_NO_MEMORY, "out of memory for run.json");
            else {
                json_text = grown;
                strcpy(json_text + length, "\n");
                status = write_text(options->out_dir, "run.json", json_text, error);
            }
        }
        free(json_text);
        json_decref(run);
    }
    json_decref(state.selections);
    free(state.tuning_text);
    free(state.results_text);
    for (size_t t = 0; state.trials != NULL && t < state.trial_count; t++)
        bench_owned_params_free(&state.trials[t]);
    free(state.trials);
    free(state.choices);
    free(state.space.storage);
    bench_plan_free(state.plan);
    bench_dir_lock_release(&lock);
    return status;
}
