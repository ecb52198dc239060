#include "hcsc/run.h"

#include <errno.h>
#include <jansson.h>
#include <math.h>
#include <stdarg.h>
#include <stdlib.h>
#include <string.h>
#include <sys/stat.h>
#include <sys/wait.h>
#include <time.h>
#include <unistd.h>

#include "core/config.h"
#include "core/params.h"
#include "core/files.h"
#include "bench/escape.h"
#include "bench/results.h"
#include "core/suggest.h"
#include "nn/gemm.h"
#include "reports/cell_file.h"

#define CHECKPOINT_TAG "hcsc_encoder"
static const char curves_header[] = "model,variant,seed,epoch,split,metric,value\n";

/* ---- configuration ------------------------------------------------------- */

static int parse_size(const char *path, const bench_config_entry *entry, size_t minimum, size_t maximum, size_t *out,
                      bench_error *error)
{
    char *end;
    errno = 0;
    unsigned long long value = strtoull(entry->value, &end, 10);
    if (errno || end == entry->value || *end != '\0' || entry->value[0] == '-' || value < minimum || value > maximum)
        return BENCH_FAIL(error, BENCH_BAD_INPUT, "%s:%zu: %s = '%s' is not an integer in [%zu, %zu]", path,
                          entry->line, entry->key, entry->value, minimum, maximum);
    *out = (size_t)value;
    return BENCH_OK;
}

/* Comma-separated integers; *count holds the capacity on entry. */
static int parse_size_list(const char *path, const bench_config_entry *entry, size_t minimum, size_t maximum,
                           size_t *out, size_t *count, bench_error *error)
{
    size_t capacity = *count, used = 0;
    const char *cursor = entry->value;
    while (*cursor != '\0') {
        char *end;
        errno = 0;
        unsigned long long value = strtoull(cursor, &end, 10);
        if (errno || end == cursor || cursor[0] == '-' || value < minimum || value > maximum || used == capacity ||
            (*end != ',' && *end != '\0'))
            return BENCH_FAIL(error, BENCH_BAD_INPUT,
                              "%s:%zu: %s = '%s' must be up to %zu comma-separated integers in [%zu, %zu]", path,
                              entry->line, entry->key, entry->value, capacity, minimum, maximum);
        out[used++] = (size_t)value;
        cursor = *end == ',' ? end + 1 : end;
    }
    if (used == 0)
        return BENCH_FAIL(error, BENCH_BAD_INPUT, "%s:%zu: %s is empty", path, entry->line, entry->key);
    *count = used;
    return BENCH_OK;
}

static int parse_bool(const char *path, const bench_config_entry *entry, int *out, bench_error *error)
{
    const char *v = entry->value;
    if (!strcmp(v, "true") || !strcmp(v, "yes") || !strcmp(v, "1"))
        *out = 1;
    else if (!strcmp(v, "false") || !strcmp(v, "no") || !strcmp(v, "0"))
        *out = 0;
    else
        return BENCH_FAIL(error, BENCH_BAD_INPUT, "%s:%zu: %s = '%s' is not true/false", path, entry->line,
                          entry->key, v);
    return BENCH_OK;
}

/* Every key of [hcsc] (and of [model NAME]) in the one schema every config uses
 * (core/params.h), with where it lands in the recipe: core/params checks names,
 * types, ranges and choices with the same messages as everywhere in bench, and
 * read_recipe_key then stores a value already known to be good. */
typedef struct recipe_key {
    bench_param_spec spec;
    size_t offset;        /* into hcsc_recipe */
    size_t list_capacity; /* BENCH_PARAM_INT_LIST */
} recipe_key;

#define PLAN_FIELD(field) offsetof(hcsc_recipe, field)
#define SIZE_KEY(name, low, high, field) {{name, BENCH_PARAM_INT, NULL, NULL, low, high, NULL}, PLAN_FIELD(field), 0}
#define REAL_KEY(name, low, high, field) {{name, BENCH_PARAM_REAL, NULL, NULL, low, high, NULL}, PLAN_FIELD(field), 0}
#define LIST_KEY(name, low, high, field, capacity) \
    {{name, BENCH_PARAM_INT_LIST, NULL, NULL, low, high, NULL}, PLAN_FIELD(field), capacity}
static const recipe_key recipe_keys[] = {
    SIZE_KEY("epochs", 1, 10000, train.epochs),
    SIZE_KEY("batch", 2, 65536, train.batch),
    SIZE_KEY("queue", 2, 1 << 20, train.queue_size),
    SIZE_KEY("warmup_epochs", 0, 10000, train.warmup_epochs),
    SIZE_KEY("bn_group_size", 1, 65536, train.bn_group_size),
    REAL_KEY("learning_rate", 1e-8, 100, train.learning_rate),
    REAL_KEY("lr_final", 0, 100, train.lr_final),
    REAL_KEY("momentum", 0, 0.9999, train.sgd_momentum),
    REAL_KEY("weight_decay", 0, 1, train.weight_decay),
    REAL_KEY("key_momentum", 0, 1, train.key_momentum),
    REAL_KEY("temperature", 1e-4, 100, train.temperature),
    LIST_KEY("clusters", 2, 1 << 20, train.cluster_counts, HCSC_MAX_LEVELS),
    SIZE_KEY("kmeans_iterations", 1, 10000, train.kmeans_iterations),
    SIZE_KEY("kmeans_restarts", 1, 1000, train.kmeans_restarts),
    {{"selection_mode", BENCH_PARAM_STRING, NULL, NULL, 0, 0, "zero|remove"}, PLAN_FIELD(train.selection_mode), 0},
    LIST_KEY("channels", 1, 4096, train.encoder.channels, HCSC_BLOCKS),
    SIZE_KEY("head_hidden", 1, 65536, train.encoder.head_hidden),
    SIZE_KEY("projection_dim", 2, 65536, train.encoder.projection_dim),
    REAL_KEY("crop_scale_min", 0.01, 1, train.augment.crop_scale_min),
    REAL_KEY("flip_probability", 0, 1, train.augment.flip_probability),
    REAL_KEY("jitter_probability", 0, 1, train.augment.jitter_probability),
    REAL_KEY("brightness", 0, 1, train.augment.brightness),
    REAL_KEY("contrast", 0, 1, train.augment.contrast),
    REAL_KEY("noise_std", 0, 1, train.augment.noise_std),
    REAL_KEY("translate", 0, 0.5, train.augment.translate),
    REAL_KEY("blur_probability", 0, 1, train.augment.blur_probability),
    REAL_KEY("blur_sigma_max", 0.1, 10, train.augment.blur_sigma_max),
    REAL_KEY("erase_probability", 0, 1, train.augment.erase_probability),
    REAL_KEY("erase_scale_max", 0.02, 1, train.augment.erase_scale_max),
    SIZE_KEY("monitor_every", 0, 10000, train.monitor_every),
    SIZE_KEY("linear_epochs", 1, 10000, eval.linear_epochs),
    SIZE_KEY("linear_holdout", 1, 1000000, eval.linear_holdout),
    REAL_KEY("linear_learning_rate", 1e-8, 100, eval.linear_learning_rate),
    SIZE_KEY("eval_kmeans_restarts", 1, 1000, eval.kmeans_restarts),
    {{"eval_features", BENCH_PARAM_STRING, NULL, NULL, 0, 0, "backbone|projection"},
     PLAN_FIELD(eval.projection_features), 0},
    {{"eval_kmeans", BENCH_PARAM_STRING, NULL, NULL, 0, 0, "normalised|whitened"}, PLAN_FIELD(eval.whitened_kmeans), 0},
    {{"eval_kmeans_features", BENCH_PARAM_STRING, NULL, NULL, 0, 0, "same|backbone|projection"},
     PLAN_FIELD(eval.kmeans_features), 0},
};
#define RECIPE_KEYS (sizeof recipe_keys / sizeof recipe_keys[0])

static const bench_param_spec run_spec[] = {
    {"seeds", BENCH_PARAM_INT_LIST, "1,2,3", "seeds of every model", 0, 4.6e18, NULL},
    {"jobs", BENCH_PARAM_INT, "1", "cells at once", 1, 64, NULL},
    {"threads", BENCH_PARAM_STRING, "1", "threads of a cell (1..256)", 0, 0, NULL},
    {"train_limit", BENCH_PARAM_INT, "0", "first N training images (0: all)", 0, 60000, NULL},
    {"test_limit", BENCH_PARAM_INT, "0", "first N test images (0: all)", 0, 10000, NULL},
    {"checkpoints", BENCH_PARAM_BOOL, "true", "keep each trained encoder", 0, 0, NULL},
    {"data_dir", BENCH_PARAM_STRING, "", "Fashion-MNIST folder; default Debian's dataset-fashion-mnist", 0, 0, NULL},
    {"split", BENCH_PARAM_STRING, "test", "evaluate on the test split or a held-out validation split", 0, 0,
     "test|validation"},
};

/* The schema of a section: [model NAME] takes method and seeds before the
 * recipe's keys, [hcsc] the recipe's keys alone.  Checks every entry of it. */
static int check_section(const char *path, bench_config_section *section, int model, bench_error *error)
{
    bench_param_spec spec[RECIPE_KEYS + 2];
    size_t count = 0;
    if (model) {
        spec[count++] = (bench_param_spec){"method", BENCH_PARAM_STRING, NULL, "the method; default the name", 0, 0,
                                           NULL};
        spec[count++] = run_spec[0];
    }
    for (size_t k = 0; k < RECIPE_KEYS; k++)
        spec[count++] = recipe_keys[k].spec;
    bench_owned_params resolved;
    int status = bench_resolve_section(&resolved, spec, count, section, path, error);
    bench_owned_params_free(&resolved);
    return status;
}

/* Position of value in "a|b|c" (the schema has checked that it is there). */
static int choice_index(const char *choices, const char *value)
{
    size_t length = strlen(value);
    for (int index = 0;; index++) {
        const char *end = strchr(choices, '|');
        size_t n = end != NULL ? (size_t)(end - choices) : strlen(choices);
        if (n == length && strncmp(choices, value, n) == 0)
            return index;
        if (end == NULL)
            return 0;
        choices = end + 1;
    }
}

/* Stores a value the schema has checked; lists are checked once more for
 * their capacity, which the schema does not know. */
static int read_recipe_key(hcsc_recipe *recipe, const char *path, const recipe_key *key,
                           const bench_config_entry *entry, bench_error *error)
{
    char *field = (char *)recipe + key->offset;
    switch (key->spec.type) {
    case BENCH_PARAM_INT:
        *(size_t *)field = (size_t)strtoull(entry->value, NULL, 10);
        return BENCH_OK;
    case BENCH_PARAM_REAL:
        *(double *)field = strtod(entry->value, NULL);
        return BENCH_OK;
    case BENCH_PARAM_INT_LIST: {
        size_t count = key->list_capacity;
        size_t values[HCSC_MAX_LEVELS];
        int status = parse_size_list(path, entry, (size_t)key->spec.minimum, (size_t)key->spec.maximum, values,
                                     &count, error);
        if (status != BENCH_OK)
            return status;
        if (key->offset == PLAN_FIELD(train.encoder.channels) && count != HCSC_BLOCKS)
            return BENCH_FAIL(error, BENCH_BAD_INPUT, "%s:%zu: channels needs exactly %d values", path, entry->line,
                              HCSC_BLOCKS);
        memcpy(field, values, count * sizeof(size_t));
        if (key->offset == PLAN_FIELD(train.cluster_counts))
            recipe->train.level_count = count;
        return BENCH_OK;
    }
    case BENCH_PARAM_STRING: /* one of its choices, stored as its position in the list
                              * (the int fields' values are listed in that order) */
        if (key->offset == PLAN_FIELD(train.selection_mode))
            recipe->train.selection_mode =
                strcmp(entry->value, "zero") == 0 ? HCSC_SELECTION_ZERO : HCSC_SELECTION_REMOVE;
        else
            *(int *)field = choice_index(key->spec.choices, entry->value);
        return BENCH_OK;
    case BENCH_PARAM_BOOL:
        break;
    }
    return BENCH_INTERNAL;
}

static const recipe_key *find_recipe_key(const char *name)
{
    for (size_t k = 0; k < RECIPE_KEYS; k++)
        if (!strcmp(recipe_keys[k].spec.name, name))
            return &recipe_keys[k];
    return NULL;
}

/* A canonical text of everything that changes a cell's numbers, hashed into its id. */
static void recipe_text(const hcsc_plan *plan, const hcsc_recipe *recipe, char *out, size_t size)
{
    const hcsc_train_config *t = &recipe->train;
    const hcsc_eval_config *v = &recipe->eval;
    size_t used = (size_t)snprintf(
        out, size,
        "e%zu b%zu q%zu w%zu g%zu lr%.9g lf%.9g m%.9g wd%.9g km%.9g t%.9g ki%zu kr%zu sm%d c%zu,%zu,%zu h%zu d%zu "
        "cs%.9g fp%.9g jp%.9g br%.9g co%.9g ns%.9g me%zu le%zu lh%zu llr%.9g ekr%zu tl%zu te%zu v%d L",
        t->epochs, t->batch, t->queue_size, t->warmup_epochs, t->bn_group_size, t->learning_rate, t->lr_final,
        t->sgd_momentum, t->weight_decay, t->key_momentum, t->temperature, t->kmeans_iterations, t->kmeans_restarts,
        (int)t->selection_mode, t->encoder.channels[0], t->encoder.channels[1], t->encoder.channels[2],
        t->encoder.head_hidden, t->encoder.projection_dim, t->augment.crop_scale_min, t->augment.flip_probability,
        t->augment.jitter_probability, t->augment.brightness, t->augment.contrast, t->augment.noise_std,
        t->monitor_every, v->linear_epochs, v->linear_holdout, v->linear_learning_rate, v->kmeans_restarts,
        plan->train_limit, plan->test_limit, plan->validation);
    for (size_t l = 0; l < t->level_count && used < size; l++)
        used += (size_t)snprintf(out + used, size - used, "%s%zu", l ? "," : "", t->cluster_counts[l]);
    /* Issue 22's augmentations, only when one is on: recipes without them keep their ids. */
    const hcsc_augment_config *a = &t->augment;
    if ((a->translate > 0 || a->blur_probability > 0 || a->erase_probability > 0) && used < size)
        used += (size_t)snprintf(out + used, size - used, " tr%.9g bp%.9g bs%.9g ep%.9g es%.9g", a->translate,
                                 a->blur_probability, a->blur_sigma_max, a->erase_probability, a->erase_scale_max);
    if ((v->projection_features || v->whitened_kmeans) && used < size)
        used += (size_t)snprintf(out + used, size - used, " ef%d ek%d", v->projection_features, v->whitened_kmeans);
    /* Hashed as what k-means reads, so "same" and the explicit name of the
     * same features are one cell; recipes that never set it keep their ids. */
    if (hcsc_eval_kmeans_projection(v) != v->projection_features && used < size)
        snprintf(out + used, size - used, " kf%d", hcsc_eval_kmeans_projection(v));
}

int hcsc_eval_kmeans_projection(const hcsc_eval_config *config)
{
    return config->kmeans_features == HCSC_KMEANS_SAME ? config->projection_features != 0
                                                        : config->kmeans_features == HCSC_KMEANS_PROJECTION;
}

int hcsc_plan_load(hcsc_plan *plan, const char *path, bench_error *error)
{
    memset(plan, 0, sizeof *plan);
    snprintf(plan->config_path, sizeof plan->config_path, "%s", path);
    hcsc_train_defaults(&plan->train);
    plan->eval = (hcsc_eval_config){.linear_epochs = 100, .linear_holdout = 10000, .linear_learning_rate = 0.1,
                                    .kmeans_restarts = 10};
    plan->jobs = 1;
    plan->threads = 1;
    plan->checkpoints = 1;
    bench_config *config = NULL;
    int status = bench_config_load(&config, path, error);
    if (status != BENCH_OK)
        return status;
    size_t seeds[HCSC_MAX_SEEDS] = {1, 2, 3}, seed_count = 3;
    /* [run] and [hcsc] first, so models see the final seeds. */
    for (size_t s = 0; s < config->section_count && status == BENCH_OK; s++) {
        bench_config_section *section = &config->sections[s];
        if (!strcmp(section->kind, "run")) {
            bench_owned_params resolved;
            status = bench_resolve_section(&resolved, run_spec, sizeof run_spec / sizeof run_spec[0], section, path,
                                           error);
            bench_owned_params_free(&resolved);
            for (size_t e = 0; e < section->entry_count && status == BENCH_OK; e++) {
                bench_config_entry *entry = &section->entries[e];
                size_t value;
                entry->used = 1;
                if (!strcmp(entry->key, "seeds")) {
                    seed_count = HCSC_MAX_SEEDS;
                    status = parse_size_list(path, entry, 0, (size_t)1 << 62, seeds, &seed_count, error);
                } else if (!strcmp(entry->key, "jobs")) {
                    status = parse_size(path, entry, 1, 64, &value, error);
                    plan->jobs = (unsigned)value;
                } else if (!strcmp(entry->key, "threads")) {
                    status = bench_config_threads(path, entry, &plan->threads, error);
                } else if (!strcmp(entry->key, "train_limit")) {
                    status = parse_size(path, entry, 0, 60000, &plan->train_limit, error);
                } else if (!strcmp(entry->key, "test_limit")) {
                    status = parse_size(path, entry, 0, 10000, &plan->test_limit, error);
                } else if (!strcmp(entry->key, "checkpoints")) {
                    status = parse_bool(path, entry, &plan->checkpoints, error);
                } else if (!strcmp(entry->key, "data_dir")) {
                    /* Empty keeps the default (Debian's dataset-fashion-mnist); a path is
                     * relative to the config's folder, like every path in a config. */
                    if (entry->value[0] != '\0' &&
                        bench_config_path(plan->data_dir, sizeof plan->data_dir, path, entry->value) != 0)
                        status = BENCH_FAIL(error, BENCH_BAD_INPUT, "%s:%zu: data_dir = %s: path too long", path,
                                            entry->line, entry->value);
                } else { /* split: test or validation, checked by the schema */
                    plan->validation = !strcmp(entry->value, "validation");
                }
            }
        } else if (!strcmp(section->kind, "hcsc")) {
            status = check_section(path, section, 0, error);
            for (size_t e = 0; e < section->entry_count && status == BENCH_OK; e++) {
                hcsc_recipe recipe = {.train = plan->train, .eval = plan->eval};
                status = read_recipe_key(&recipe, path, find_recipe_key(section->entries[e].key),
                                         &section->entries[e], error);
                plan->train = recipe.train;
                plan->eval = recipe.eval;
            }
        } else if (strcmp(section->kind, "model") != 0) {
            status = BENCH_FAIL(error, BENCH_BAD_INPUT, "%s:%zu: unknown section [%s] (sections: run, hcsc, model NAME)",
                                path, section->line, section->kind);
        }
    }
    for (size_t s = 0; s < config->section_count && status == BENCH_OK; s++) {
        bench_config_section *section = &config->sections[s];
        if (strcmp(section->kind, "model") != 0)
            continue;
        if (section->label[0] == '\0' || strlen(section->label) >= sizeof plan->cells[0].variant) {
            status = BENCH_FAIL(error, BENCH_BAD_INPUT, "%s:%zu: [model NAME] needs a name of 1..63 characters", path,
                                section->line);
            break;
        }
        const char *method_name = section->label;
        size_t model_seeds[HCSC_MAX_SEEDS], model_seed_count = seed_count;
        memcpy(model_seeds, seeds, sizeof seeds);
        hcsc_recipe model_recipe = {.train = plan->train, .eval = plan->eval};
        status = check_section(path, section, 1, error);
        for (size_t e = 0; e < section->entry_count && status == BENCH_OK; e++) {
            bench_config_entry *entry = &section->entries[e];
            if (!strcmp(entry->key, "method"))
                method_name = entry->value;
            else if (!strcmp(entry->key, "seeds")) {
                model_seed_count = HCSC_MAX_SEEDS;
                status = parse_size_list(path, entry, 0, (size_t)1 << 62, model_seeds, &model_seed_count, error);
            } else
                status = read_recipe_key(&model_recipe, path, find_recipe_key(entry->key), entry, error);
        }
        char recipe[2048];
        recipe_text(plan, &model_recipe, recipe, sizeof recipe);
        if (status != BENCH_OK)
            break;
        const hcsc_method *method = hcsc_method_find(method_name);
        if (method == NULL) {
            char list[256];
            hcsc_method_list(list, sizeof list);
            status = BENCH_FAIL(error, BENCH_BAD_INPUT, "%s:%zu: unknown method '%s' (methods: %s)", path, section->line,
                                method_name, list);
            break;
        }
        for (size_t i = 0; i < model_seed_count; i++) {
            if (plan->cell_count == HCSC_MAX_CELLS) {
                status = BENCH_FAIL(error, BENCH_BAD_INPUT, "%s: more than %d cells", path, HCSC_MAX_CELLS);
                break;
            }
            hcsc_cell *cell = &plan->cells[plan->cell_count++];
            snprintf(cell->variant, sizeof cell->variant, "%s", section->label);
            cell->method = method;
            cell->seed = model_seeds[i];
            cell->recipe = model_recipe;
            /* raw's numbers depend only on the data and the evaluation recipe. */
            char raw_recipe[256];
            snprintf(raw_recipe, sizeof raw_recipe, "raw le%zu lh%zu llr%.9g ekr%zu tl%zu te%zu v%d",
                     model_recipe.eval.linear_epochs, model_recipe.eval.linear_holdout,
                     model_recipe.eval.linear_learning_rate, model_recipe.eval.kmeans_restarts, plan->train_limit,
                     plan->test_limit, plan->validation);
            char definition[2300];
            int length = snprintf(definition, sizeof definition, "hcsc|fashion_mnist|%s|%s|%llu|%s", cell->variant,
                                  method->name, (unsigned long long)cell->seed, method->trains ? recipe : raw_recipe);
            snprintf(cell->id, sizeof cell->id, "%016llx",
                     (unsigned long long)bench_hash64(definition, (size_t)length, 0));
        }
    }
    if (status == BENCH_OK && plan->cell_count == 0)
        status = BENCH_FAIL(error, BENCH_BAD_INPUT, "%s: no [model NAME] sections: nothing to run", path);
    /* The trainer's own checks, before anything runs. */
    size_t train_count = plan->train_limit ? plan->train_limit : (plan->validation ? 50000 : 60000);
    for (size_t c = 0; c < plan->cell_count && status == BENCH_OK; c++) {
        const hcsc_recipe *r = &plan->cells[c].recipe;
        if (r->eval.linear_holdout >= train_count)
            status = BENCH_FAIL(error, BENCH_BAD_INPUT, "%s: linear_holdout %zu leaves no training rows of %zu", path,
                                r->eval.linear_holdout, train_count);
        if (status != BENCH_OK || !plan->cells[c].method->trains)
            continue;
        const hcsc_train_config *t = &r->train;
        if (t->queue_size % t->batch != 0 || t->batch % t->bn_group_size != 0 || train_count < t->batch)
            status = BENCH_FAIL(error, BENCH_BAD_INPUT,
                                "%s: [model %s] queue (%zu) must be a multiple of batch (%zu), batch of bn_group_size "
                                "(%zu), and the training images (%zu) at least one batch",
                                path, plan->cells[c].variant, t->queue_size, t->batch, t->bn_group_size, train_count);
        size_t previous = train_count;
        for (size_t l = 0; l < t->level_count && status == BENCH_OK; l++) {
            if (t->cluster_counts[l] > previous)
                status = BENCH_FAIL(error, BENCH_BAD_INPUT, "%s: [model %s] clusters must shrink level by level", path,
                                    plan->cells[c].variant);
            previous = t->cluster_counts[l];
        }
    }
    bench_config_free(config);
    return status;
}

/* ---- data and evaluation -------------------------------------------------- */

static void truncate_set(bench_image_set *set, size_t limit)
{
    if (limit > 0 && limit < set->count)
        set->count = limit; /* the arrays keep their size; only the first `limit` are used */
}

int hcsc_load_data(bench_image_set *train, bench_image_set *test, const char *data_dir, size_t train_limit,
                   size_t test_limit, int validation, bench_error *error)
{
    int status = fashion_mnist(train, data_dir && data_dir[0] ? data_dir : NULL, "train", error);
    if (status != BENCH_OK)
        return status;
    if (validation) {
        /* The last 10000 training images stand in for the test set. */
        size_t held = 10000, pixels = train->height * train->width;
        *test = (bench_image_set){.count = held, .height = train->height, .width = train->width,
                                  .class_count = train->class_count};
        test->images = malloc(held * pixels * sizeof *test->images);
        test->labels = malloc(held);
        if (test->images == NULL || test->labels == NULL) {
            bench_image_set_free(train);
            bench_image_set_free(test);
            return BENCH_FAIL(error, BENCH_NO_MEMORY, "hcsc: cannot allocate the validation split");
        }
        train->count -= held;
        memcpy(test->images, train->images + train->count * pixels, held * pixels * sizeof *test->images);
        memcpy(test->labels, train->labels + train->count, held);
        truncate_set(train, train_limit);
        truncate_set(test, test_limit);
        return BENCH_OK;
    }
    status = fashion_mnist(test, data_dir && data_dir[0] ? data_dir : NULL, "test", error);
    if (status != BENCH_OK) {
        bench_image_set_free(train);
        return status;
    }
    truncate_set(train, train_limit);
    truncate_set(test, test_limit);
    return BENCH_OK;
}

int hcsc_evaluate_features(hcsc_result *results, const float *train, const uint8_t *train_labels, size_t train_count,
                           const float *test, const uint8_t *test_labels, size_t test_count, size_t d,
                           const float *kmeans_train, const float *kmeans_test, size_t kmeans_d,
                           const hcsc_eval_config *config, uint64_t seed, bench_error *error)
{
    static const char *const protocols[HCSC_RESULT_COUNT] = {"knn200", "knn20", "linear", "kmeans",
                                                             "kmeans", "kmeans", "kmeans"};
    static const char *const metrics[HCSC_RESULT_COUNT] = {"accuracy", "accuracy", "accuracy", "nmi",
                                                           "ami",      "ari",      "accuracy"};
    for (size_t r = 0; r < HCSC_RESULT_COUNT; r++)
        results[r] = (hcsc_result){.protocol = protocols[r], .metric = metrics[r], .value = NAN};
    size_t k200 = train_count < 200 ? train_count : 200, k20 = train_count < 20 ? train_count : 20;
    int status = hcsc_knn_classify(&results[0].value, NULL, train, train_labels, train_count, test, test_labels,
                                   test_count, d, 10, k200, 0.1, error);
    if (status == BENCH_OK)
        status = hcsc_knn_classify(&results[1].value, NULL, train, train_labels, train_count, test, test_labels,
                                   test_count, d, 10, k20, 0.07, error);
    if (status != BENCH_OK)
        return status;
    hcsc_linear_probe_config probe;
    hcsc_linear_probe_defaults(&probe);
    probe.epochs = config->linear_epochs;
    probe.holdout = config->linear_holdout < train_count ? config->linear_holdout : train_count / 6;
    probe.learning_rate = config->linear_learning_rate;
    bench_rng rng;
    bench_rng_derive(&rng, seed, "hcsc-linear-probe");
    status = hcsc_linear_probe(&results[2].value, NULL, train, train_labels, train_count, test, test_labels, test_count,
                               d, 10, &probe, &rng, error);
    if (status != BENCH_OK)
        return status;
    hcsc_cluster_scores scores;
    bench_rng_derive(&rng, seed, "hcsc-eval-kmeans");
    if (kmeans_train == NULL || kmeans_test == NULL) {
        kmeans_train = train;
        kmeans_test = test;
        kmeans_d = d;
    }
    float *whitened = config->whitened_kmeans ? malloc(test_count * kmeans_d * sizeof *whitened) : NULL;
    if (config->whitened_kmeans && whitened == NULL)
        return BENCH_FAIL(error, BENCH_NO_MEMORY, "hcsc: whitened features of %zu images", test_count);
    if (whitened != NULL)
        status = hcsc_pca_whiten(whitened, kmeans_train, train_count, kmeans_test, test_count, kmeans_d, 1, error);
    if (status == BENCH_OK)
        status = hcsc_kmeans_scores(&scores, whitened != NULL ? whitened : kmeans_test, test_labels, test_count,
                                    kmeans_d, 10, config->kmeans_restarts, &rng, error);
    free(whitened);
    if (status != BENCH_OK)
        return status;
    results[3].value = scores.nmi;
    results[4].value = scores.ami;
    results[5].value = scores.ari;
    results[6].value = scores.accuracy;
    return BENCH_OK;
}

static size_t eval_dim(const hcsc_encoder *encoder, int projection)
{
    return projection ? encoder->config.projection_dim : hcsc_encoder_feature_dim(encoder);
}

/* The set's normalised features in one pass: the backbone's into *backbone
 * and the projection output into *projection, each only when its pointer is
 * not NULL; the caller frees both (NULL left in both on failure). */
static int encode_set(hcsc_encoder *encoder, const bench_image_set *set, size_t chunk, float **backbone,
                      float **projection, bench_error *error)
{
    float *b = backbone ? malloc(set->count * eval_dim(encoder, 0) * sizeof *b) : NULL;
    float *p = projection ? malloc(set->count * eval_dim(encoder, 1) * sizeof *p) : NULL;
    hcsc_activations activations;
    nn_team *team = NULL;
    if ((backbone && b == NULL) || (projection && p == NULL) ||
        nn_team_create(&team, nn_get_threads(), error) != BENCH_OK ||
        hcsc_activations_create(&activations, &encoder->config, chunk, 1, team, error) != BENCH_OK) {
        free(b);
        free(p);
        nn_team_free(team);
        return BENCH_FAIL(error, BENCH_NO_MEMORY, "hcsc: cannot allocate features of %zu images", set->count);
    }
    hcsc_encoder_features(encoder, &activations, set->images, set->count, b, p, 1);
    hcsc_activations_free(&activations);
    nn_team_free(team);
    if (backbone)
        *backbone = b;
    if (projection)
        *projection = p;
    return BENCH_OK;
}

/* The features kNN/probe read and, when k-means reads the other ones, those
 * (NULL otherwise), for the train and test sets of one evaluation.  The caller
 * frees all four (NULLs on failure). */
typedef struct eval_features {
    float *train, *test, *kmeans_train, *kmeans_test;
    size_t d, kmeans_d;
} eval_features;

static void eval_features_free(eval_features *features)
{
    free(features->train);
    free(features->test);
    free(features->kmeans_train);
    free(features->kmeans_test);
}

static int encode_for_eval(eval_features *out, hcsc_encoder *encoder, const bench_image_set *train,
                           const bench_image_set *test, size_t chunk, const hcsc_eval_config *config,
                           bench_error *error)
{
    memset(out, 0, sizeof *out);
    int projection = config->projection_features != 0, kmeans_projection = hcsc_eval_kmeans_projection(config);
    int split = projection != kmeans_projection;
    out->d = eval_dim(encoder, projection);
    out->kmeans_d = split ? eval_dim(encoder, kmeans_projection) : out->d;
    const bench_image_set *sets[2] = {train, test};
    float **main_out[2] = {&out->train, &out->test}, **kmeans_out[2] = {&out->kmeans_train, &out->kmeans_test};
    int status = BENCH_OK;
    for (size_t s = 0; s < 2 && status == BENCH_OK; s++) {
        float **backbone = projection ? (split ? kmeans_out[s] : NULL) : main_out[s];
        float **projected = projection ? main_out[s] : (split ? kmeans_out[s] : NULL);
        status = encode_set(encoder, sets[s], chunk, backbone, projected, error);
    }
    if (status != BENCH_OK) {
        eval_features_free(out);
        memset(out, 0, sizeof *out);
    }
    return status;
}

static float *normalized_pixels(const bench_image_set *set, bench_error *error)
{
    size_t pixels = set->height * set->width;
    float *copy = malloc(set->count * pixels * sizeof *copy);
    if (copy == NULL) {
        BENCH_FAIL(error, BENCH_NO_MEMORY, "hcsc: cannot copy %zu images", set->count);
        return NULL;
    }
    memcpy(copy, set->images, set->count * pixels * sizeof *copy);
    hcsc_l2_normalize_rows(copy, set->count, pixels);
    return copy;
}

/* ---- checkpoints ------------------------------------------------------------ */

static int save_checkpoint(const hcsc_encoder *encoder, const hcsc_plan *plan, const hcsc_cell *cell,
                           const char *path, bench_error *error)
{
    int status = nn_params_save(&encoder->params, CHECKPOINT_TAG, path, error);
    if (status != BENCH_OK)
        return status;
    const hcsc_encoder_config *c = &encoder->config;
    const hcsc_eval_config *e = &cell->recipe.eval;
    json_t *root = json_pack("{s:s, s:I, s:[I,I,I], s:I, s:I, s:s, s:s, s:I, s:{s:I, s:I, s:f, s:I, s:I, s:I, s:s}}",
                             "format", "bench-hcsc-encoder/1", "image_size", (json_int_t)c->image_size, "channels",
                             (json_int_t)c->channels[0], (json_int_t)c->channels[1], (json_int_t)c->channels[2],
                             "head_hidden", (json_int_t)c->head_hidden, "projection_dim", (json_int_t)c->projection_dim,
                             "method", cell->method->name, "variant", cell->variant, "seed", (json_int_t)cell->seed,
                             "evaluation", "linear_epochs", (json_int_t)e->linear_epochs, "linear_holdout",
                             (json_int_t)e->linear_holdout, "linear_learning_rate", e->linear_learning_rate,
                             "kmeans_restarts", (json_int_t)e->kmeans_restarts, "train_limit",
                             (json_int_t)plan->train_limit, "test_limit", (json_int_t)plan->test_limit, "split",
                             plan->validation ? "validation" : "test");
    json_t *evaluation = root != NULL ? json_object_get(root, "evaluation") : NULL;
    if (evaluation != NULL) {
        json_object_set_new(evaluation, "features", json_string(e->projection_features ? "projection" : "backbone"));
        json_object_set_new(evaluation, "kmeans", json_string(e->whitened_kmeans ? "whitened" : "normalised"));
        /* Only when k-means reads other features than kNN: otherwise it
         * follows --features, as it did before the two were separable. */
        if (hcsc_eval_kmeans_projection(e) != (e->projection_features != 0))
            json_object_set_new(evaluation, "kmeans_features",
                                json_string(hcsc_eval_kmeans_projection(e) ? "projection" : "backbone"));
    }
    char sidecar[4200];
    snprintf(sidecar, sizeof sidecar, "%s.json", path);
    status = bench_write_json_atomic(sidecar, root, JSON_INDENT(2), error);
    json_decref(root);
    return status;
}

static int json_size(json_t *root, const char *key, size_t *out, const char *path, bench_error *error)
{
    json_t *value = json_object_get(root, key);
    if (!json_is_integer(value) || json_integer_value(value) <= 0)
        return BENCH_FAIL(error, BENCH_BAD_INPUT, "%s: '%s' must be a positive integer", path, key);
    *out = (size_t)json_integer_value(value);
    return BENCH_OK;
}

static int evaluate_checkpoint(hcsc_result *results, const char *checkpoint_path, const char *data_dir,
                               size_t train_limit, size_t test_limit, const hcsc_eval_config *config,
                               int projection_features, int kmeans_features, int whitened_kmeans, uint64_t seed,
                               bench_error *error)
{
    char sidecar[4200];
    snprintf(sidecar, sizeof sidecar, "%s.json", checkpoint_path);
    if (access(checkpoint_path, R_OK) != 0)
        return BENCH_FAIL(error, BENCH_NOT_FOUND, "%s: no such checkpoint (%s)", checkpoint_path, strerror(errno));
    if (access(sidecar, R_OK) != 0)
        return BENCH_FAIL(error, BENCH_NOT_FOUND, "%s: the checkpoint's description %s is missing", checkpoint_path,
                          sidecar);
    json_error_t json_error;
    json_t *root = json_load_file(sidecar, 0, &json_error);
    if (root == NULL)
        return BENCH_FAIL(error, BENCH_BAD_INPUT, "%s:%d: %s", sidecar, json_error.line, json_error.text);
    hcsc_encoder_config encoder_config;
    hcsc_encoder_defaults(&encoder_config);
    json_t *format = json_object_get(root, "format"), *channels = json_object_get(root, "channels");
    int status = BENCH_OK;
    if (!json_is_string(format) || strcmp(json_string_value(format), "bench-hcsc-encoder/1") != 0)
        status = BENCH_FAIL(error, BENCH_BAD_INPUT, "%s: not a bench HCSC encoder description (format)", sidecar);
    if (status == BENCH_OK)
        status = json_size(root, "image_size", &encoder_config.image_size, sidecar, error);
    if (status == BENCH_OK)
        status = json_size(root, "head_hidden", &encoder_config.head_hidden, sidecar, error);
    if (status == BENCH_OK)
        status = json_size(root, "projection_dim", &encoder_config.projection_dim, sidecar, error);
    if (status == BENCH_OK && (!json_is_array(channels) || json_array_size(channels) != HCSC_BLOCKS))
        status = BENCH_FAIL(error, BENCH_BAD_INPUT, "%s: 'channels' must list %d integers", sidecar, HCSC_BLOCKS);
    for (size_t l = 0; l < HCSC_BLOCKS && status == BENCH_OK; l++) {
        json_t *value = json_array_get(channels, l);
        if (!json_is_integer(value) || json_integer_value(value) <= 0)
            status = BENCH_FAIL(error, BENCH_BAD_INPUT, "%s: channels[%zu] is not a positive integer", sidecar, l);
        else
            encoder_config.channels[l] = (size_t)json_integer_value(value);
    }
    /* The run's evaluation settings, unless the caller overrides them. */
    hcsc_eval_config settings = {.linear_epochs = 100, .linear_holdout = 10000, .linear_learning_rate = 0.1,
                                 .kmeans_restarts = 10};
    size_t run_train_limit = 0, run_test_limit = 0;
    int validation = 0;
    json_t *evaluation = json_object_get(root, "evaluation"), *value;
    if (json_is_object(evaluation)) {
        if (json_is_integer(value = json_object_get(evaluation, "linear_epochs")) && json_integer_value(value) > 0)
            settings.linear_epochs = (size_t)json_integer_value(value);
        if (json_is_integer(value = json_object_get(evaluation, "linear_holdout")) && json_integer_value(value) > 0)
            settings.linear_holdout = (size_t)json_integer_value(value);
        if (json_is_number(value = json_object_get(evaluation, "linear_learning_rate")) && json_number_value(value) > 0)
            settings.linear_learning_rate = json_number_value(value);
        if (json_is_integer(value = json_object_get(evaluation, "kmeans_restarts")) && json_integer_value(value) > 0)
            settings.kmeans_restarts = (size_t)json_integer_value(value);
        if (json_is_integer(value = json_object_get(evaluation, "train_limit")) && json_integer_value(value) >= 0)
            run_train_limit = (size_t)json_integer_value(value);
        if (json_is_integer(value = json_object_get(evaluation, "test_limit")) && json_integer_value(value) >= 0)
            run_test_limit = (size_t)json_integer_value(value);
        validation = json_is_string(value = json_object_get(evaluation, "split")) &&
                     strcmp(json_string_value(value), "validation") == 0;
        settings.projection_features = json_is_string(value = json_object_get(evaluation, "features")) &&
                                       strcmp(json_string_value(value), "projection") == 0;
        settings.whitened_kmeans = json_is_string(value = json_object_get(evaluation, "kmeans")) &&
                                   strcmp(json_string_value(value), "whitened") == 0;
        /* Sidecars written before issue 22's split have no kmeans_features: same. */
        if (json_is_string(value = json_object_get(evaluation, "kmeans_features")))
            settings.kmeans_features = strcmp(json_string_value(value), "projection") == 0 ? HCSC_KMEANS_PROJECTION
                                                                                            : HCSC_KMEANS_BACKBONE;
    }
    if (projection_features >= 0)
        settings.projection_features = projection_features;
    if (kmeans_features >= 0)
        settings.kmeans_features = kmeans_features;
    if (whitened_kmeans >= 0)
        settings.whitened_kmeans = whitened_kmeans;
    if (seed == HCSC_SEED_FROM_CHECKPOINT)
        seed = json_is_integer(value = json_object_get(root, "seed")) ? (uint64_t)json_integer_value(value) : 1;
    json_decref(root);
    if (status != BENCH_OK)
        return status;
    if (config == NULL)
        config = &settings;
    if (train_limit == HCSC_FROM_CHECKPOINT)
        train_limit = run_train_limit;
    if (test_limit == HCSC_FROM_CHECKPOINT)
        test_limit = run_test_limit;
    hcsc_encoder encoder;
    bench_rng rng;
    bench_rng_seed(&rng, 0);
    status = hcsc_encoder_create(&encoder, &encoder_config, &rng, error);
    if (status != BENCH_OK)
        return status;
    status = nn_params_load(&encoder.params, CHECKPOINT_TAG, checkpoint_path, error);
    bench_image_set train = {0}, test = {0};
    if (status == BENCH_OK)
        status = hcsc_load_data(&train, &test, data_dir, train_limit, test_limit, validation, error);
    if (status == BENCH_OK && (train.height != encoder_config.image_size || train.width != encoder_config.image_size))
        status = BENCH_FAIL(error, BENCH_BAD_INPUT, "%s: encoder for %zu-pixel images, data are %zu×%zu",
                            checkpoint_path, encoder_config.image_size, train.height, train.width);
    eval_features features = {0};
    if (status == BENCH_OK)
        status = encode_for_eval(&features, &encoder, &train, &test, 256, config, error);
    if (status == BENCH_OK)
        status = hcsc_evaluate_features(results, features.train, train.labels, train.count, features.test,
                                        test.labels, test.count, features.d, features.kmeans_train,
                                        features.kmeans_test, features.kmeans_d, config, seed, error);
    eval_features_free(&features);
    bench_image_set_free(&train);
    bench_image_set_free(&test);
    hcsc_encoder_free(&encoder);
    return status;
}

int hcsc_evaluate_checkpoint(hcsc_result *results, const char *checkpoint_path, const char *data_dir,
                             size_t train_limit, size_t test_limit, const hcsc_eval_config *config, uint64_t seed,
                             bench_error *error)
{
    return evaluate_checkpoint(results, checkpoint_path, data_dir, train_limit, test_limit, config, -1, -1, -1, seed,
                               error);
}

int hcsc_evaluate_checkpoint_as(hcsc_result *results, const char *checkpoint_path, const char *data_dir,
                                size_t train_limit, size_t test_limit, int projection_features, int kmeans_features,
                                int whitened_kmeans, uint64_t seed, bench_error *error)
{
    return evaluate_checkpoint(results, checkpoint_path, data_dir, train_limit, test_limit, NULL, projection_features,
                               kmeans_features, whitened_kmeans, seed, error);
}

/* ---- cells ------------------------------------------------------------------ */

typedef struct curve_context {
    FILE *curve;
    const hcsc_cell *cell;
    const hcsc_plan *plan;
    const hcsc_progress *progress;
} curve_context;

static void write_curve_row(FILE *stream, const hcsc_cell *cell, size_t epoch, const char *split, const char *metric,
                            double value)
{
    fprintf(stream, "%s,%s,%llu,%zu,%s,%s,%.9g\n", cell->method->name, cell->variant, (unsigned long long)cell->seed,
            epoch, split, metric, value);
}

static void on_epoch(const hcsc_epoch_report *report, void *opaque)
{
    curve_context *c = opaque;
    write_curve_row(c->curve, c->cell, report->epoch, "train", "loss", report->mean_loss);
    write_curve_row(c->curve, c->cell, report->epoch, "train", "loss_instance", report->mean_instance);
    /* The prototype loss exists only for methods with prototypes, after the
     * warm-up: a 0 elsewhere would draw as a flat line of a loss that is not there. */
    if (c->cell->method->prototypes && report->epoch > c->cell->recipe.train.warmup_epochs)
        write_curve_row(c->curve, c->cell, report->epoch, "train", "loss_prototype", report->mean_prototype);
    /* The schedule, so that a bend in a curve can be read against it. */
    write_curve_row(c->curve, c->cell, report->epoch, "train", "learning_rate", report->learning_rate);
    if (!isnan(report->knn_accuracy))
        write_curve_row(c->curve, c->cell, report->epoch, "test", "knn200_accuracy", report->knn_accuracy);
    if (!isnan(report->nmi)) {
        write_curve_row(c->curve, c->cell, report->epoch, "test", "kmeans_nmi", report->nmi);
        write_curve_row(c->curve, c->cell, report->epoch, "test", "kmeans_accuracy", report->cluster_accuracy);
    }
    if (c->progress != NULL && c->progress->line != NULL) {
        char line[512];
        int used = snprintf(line, sizeof line, "%s seed %llu epoch %zu/%zu loss %.4f (ins %.4f proto %.4f)",
                            c->cell->variant, (unsigned long long)c->cell->seed, report->epoch,
                            c->cell->recipe.train.epochs, report->mean_loss, report->mean_instance,
                            report->mean_prototype);
        if (!isnan(report->knn_accuracy) && used > 0 && (size_t)used < sizeof line)
            used += snprintf(line + used, sizeof line - (size_t)used, " kNN %.4f", report->knn_accuracy);
        if (!isnan(report->nmi) && used > 0 && (size_t)used < sizeof line)
            used += snprintf(line + used, sizeof line - (size_t)used, " NMI %.3f", report->nmi);
        if (used > 0 && (size_t)used < sizeof line)
            snprintf(line + used, sizeof line - (size_t)used, " %.0f s (clustering %.0f s)", report->seconds,
                     report->cluster_seconds);
        c->progress->line(c->progress->context, line);
    }
}

void hcsc_progress_say(const hcsc_progress *progress, const char *format, ...)
{
    if (progress == NULL || progress->line == NULL)
        return;
    char line[BENCH_ERROR_MESSAGE_SIZE + 256];
    va_list arguments;
    va_start(arguments, format);
    vsnprintf(line, sizeof line, format, arguments);
    va_end(arguments);
    progress->line(progress->context, line);
}

static double seconds_now(void)
{
    struct timespec now;
    clock_gettime(CLOCK_MONOTONIC, &now);
    return (double)now.tv_sec + 1e-9 * (double)now.tv_nsec;
}

/* The rows every cell writes, as protocol:metric (write_rows' order). */
#define HCSC_CELL_METRICS \
    "knn200:accuracy knn20:accuracy linear:accuracy kmeans:nmi kmeans:ami kmeans:ari kmeans:accuracy"

static void write_rows(FILE *stream, const hcsc_cell *cell, const hcsc_result *results, int ok)
{
    static const char *const protocols[HCSC_RESULT_COUNT] = {"knn200", "knn20", "linear", "kmeans",
                                                             "kmeans", "kmeans", "kmeans"};
    static const char *const metrics[HCSC_RESULT_COUNT] = {"accuracy", "accuracy", "accuracy", "nmi",
                                                           "ami",      "ari",      "accuracy"};
    char seed[32];
    snprintf(seed, sizeof seed, "%llu", (unsigned long long)cell->seed);
    for (size_t r = 0; r < HCSC_RESULT_COUNT; r++) {
        char value[64] = "";
        int row_ok = ok && results != NULL && isfinite(results[r].value);
        if (row_ok)
            snprintf(value, sizeof value, "%.9g", results[r].value);
        bench_results_write_row(stream, &(bench_result_row){.cell_id = cell->id, .task = "hcsc",
                                                            .dataset = "fashion_mnist", .protocol = protocols[r],
                                                            .model = cell->method->name, .variant = cell->variant,
                                                            .horizon = "", .seed = seed, .metric = metrics[r],
                                                            .value = value, .ok = row_ok});
    }
}

/* Fashion-MNIST's classes (Xiao et al. 2017), for the embedding figure's legend. */
static const char *const fashion_mnist_classes[10] = {"T-shirt/top", "Trouser", "Pullover", "Dress", "Coat",
                                                      "Sandal",      "Shirt",   "Sneaker",  "Bag",   "Ankle boot"};

/* The first test points' features, for `bench plot`'s embedding figure (a 2-D
 * PCA coloured by class, reports/README.md): DIR/embeddings/<id>.csv. */
#define HCSC_EMBEDDING_POINTS 1000
static int write_embeddings(const hcsc_cell *cell, const float *features, const uint8_t *labels, size_t count,
                            size_t d, const char *out_dir, bench_error *error)
{
    char path[4096];
    snprintf(path, sizeof path, "%s/embeddings", out_dir);
    int status = bench_make_directories(path, error);
    if (status != BENCH_OK)
        return status;
    snprintf(path, sizeof path, "%s/embeddings/%s.csv", out_dir, cell->id);
    bench_atomic_file file;
    status = bench_atomic_open(&file, path, error);
    if (status != BENCH_OK)
        return status;
    fputs("dataset,variant,seed,label", file.stream);
    for (size_t j = 0; j < d; j++)
        fprintf(file.stream, ",f%zu", j);
    fputc('\n', file.stream);
    size_t points = count < HCSC_EMBEDDING_POINTS ? count : HCSC_EMBEDDING_POINTS;
    for (size_t i = 0; i < points; i++) {
        fprintf(file.stream, "fashion_mnist,");
        bench_escape_csv(file.stream, cell->variant);
        fprintf(file.stream, ",%llu,", (unsigned long long)cell->seed);
        bench_escape_csv(file.stream, labels[i] < 10 ? fashion_mnist_classes[labels[i]] : "?");
        for (size_t j = 0; j < d; j++)
            fprintf(file.stream, ",%.6g", features[i * d + j]);
        fputc('\n', file.stream);
    }
    return bench_atomic_commit(&file, error);
}

static int cell_body(const hcsc_plan *plan, const hcsc_cell *cell, const bench_image_set *train,
                     const bench_image_set *test, const char *out_dir, FILE *curve, const hcsc_progress *progress,
                     hcsc_result *results, bench_error *error)
{
    eval_features features = {0};
    int status = BENCH_OK;
    if (!cell->method->trains) {
        features.d = train->height * train->width;
        features.train = normalized_pixels(train, error);
        features.test = features.train ? normalized_pixels(test, error) : NULL;
        if (features.test == NULL)
            status = error->code;
    } else {
        hcsc_trainer trainer;
        /* The monitor clusters as the final evaluation does (the same
         * features, the same restarts), so the curve's last NMI and the
         * results row differ only by k-means' seeds. */
        hcsc_train_config train_config = cell->recipe.train;
        train_config.monitor_kmeans_restarts = cell->recipe.eval.kmeans_restarts;
        train_config.monitor_kmeans_projection = hcsc_eval_kmeans_projection(&cell->recipe.eval);
        status = hcsc_trainer_create(&trainer, &train_config, cell->method, train->count, cell->seed, error);
        if (status != BENCH_OK)
            return status;
        curve_context context = {.curve = curve, .cell = cell, .plan = plan, .progress = progress};
        status = hcsc_train(&trainer, train->images, train->labels, train->count, test->images, test->labels,
                            test->count, on_epoch, &context, error);
        if (status == BENCH_OK && plan->checkpoints) {
            char path[4096];
            snprintf(path, sizeof path, "%s/checkpoints/%s-seed%llu.ckpt", out_dir, cell->variant,
                     (unsigned long long)cell->seed);
            status = save_checkpoint(&trainer.query, plan, cell, path, error);
        }
        if (status == BENCH_OK)
            status = encode_for_eval(&features, &trainer.query, train, test, cell->recipe.train.batch,
                                     &cell->recipe.eval, error);
        hcsc_trainer_free(&trainer);
    }
    if (status == BENCH_OK)
        status = hcsc_evaluate_features(results, features.train, train->labels, train->count, features.test,
                                        test->labels, test->count, features.d, features.kmeans_train,
                                        features.kmeans_test, features.kmeans_d, &cell->recipe.eval, cell->seed,
                                        error);
    if (status == BENCH_OK)
        status = write_embeddings(cell, features.test, test->labels, test->count, features.d, out_dir, error);
    eval_features_free(&features);
    return status;
}

int hcsc_run_cell(const hcsc_plan *plan, size_t cell_index, const bench_image_set *train,
                  const bench_image_set *test, const char *out_dir, const hcsc_progress *progress,
                  bench_error *error)
{
    const hcsc_cell *cell = &plan->cells[cell_index];
    char path[4096];
    snprintf(path, sizeof path, "%s/curves/%s.csv", out_dir, cell->id);
    bench_atomic_file curve;
    int status = bench_atomic_open(&curve, path, error);
    if (status != BENCH_OK)
        return status;
    fputs(curves_header, curve.stream);
    double start = seconds_now();
    hcsc_result results[HCSC_RESULT_COUNT];
    bench_error cell_error = {0};
    int cell_status = cell_body(plan, cell, train, test, out_dir, curve.stream, progress, results, &cell_error);
    double seconds = seconds_now() - start;
    status = bench_atomic_commit(&curve, error);
    if (status != BENCH_OK)
        return status;
    snprintf(path, sizeof path, "%s/cells/%s.csv", out_dir, cell->id);
    bench_atomic_file rows;
    status = bench_atomic_open(&rows, path, error);
    if (status != BENCH_OK)
        return status;
    write_rows(rows.stream, cell, results, cell_status == BENCH_OK);
    status = bench_atomic_commit(&rows, error);
    if (status != BENCH_OK)
        return status;
    /* Timing and the failure reason, apart from the results (machine-dependent). */
    snprintf(path, sizeof path, "%s/cells/%s.info", out_dir, cell->id);
    char info[sizeof cell_error.message + 64];
    int length = snprintf(info, sizeof info, "%.3f\n%s\n", seconds, cell_status == BENCH_OK ? "" : cell_error.message);
    status = bench_write_file_atomic(path, info, length < (int)sizeof info ? (size_t)length : sizeof info - 1, error);
    if (status == BENCH_OK && cell_status != BENCH_OK)
        hcsc_progress_say(progress, "[%zu/%zu] %s seed %llu (cell %s): error: %s", cell_index + 1, plan->cell_count,
                     cell->variant, (unsigned long long)cell->seed, cell->id, cell_error.message);
    else if (status == BENCH_OK)
        hcsc_progress_say(progress, "[%zu/%zu] %s seed %llu (cell %s): ok, knn200 %.4f, linear %.4f, kmeans nmi %.4f in %.1f s",
                     cell_index + 1, plan->cell_count, cell->variant, (unsigned long long)cell->seed, cell->id,
                     results[0].value, results[2].value, results[3].value, seconds);
    return status;
}

/* ---- the whole plan ------------------------------------------------------------ */

/* What a cell's rows must be (reports/cell_file.h); texts live in buffer. */
typedef struct expect_buffer {
    char seed[32];
} expect_buffer;

static bench_cell_expect cell_expect(const hcsc_cell *cell, expect_buffer *buffer)
{
    snprintf(buffer->seed, sizeof buffer->seed, "%llu", (unsigned long long)cell->seed);
    return (bench_cell_expect){.id = cell->id, .task = "hcsc", .dataset = "fashion_mnist", .protocol = NULL,
                               .model = cell->method->name, .variant = cell->variant, .horizon = "",
                               .seed = buffer->seed, .metrics = HCSC_CELL_METRICS, .record = 0};
}

/* The merge's view of the plan (bench_cells_append): cell i and where its files are. */
typedef struct merge_context {
    const hcsc_plan *plan;
    const char *out_dir;
    expect_buffer buffer; /* the texts of the cell last asked for */
} merge_context;

static bench_cell_expect merged_cell(void *context, size_t index, const char **dir)
{
    merge_context *merging = context;
    *dir = merging->out_dir;
    return cell_expect(&merging->plan->cells[index], &merging->buffer);
}

/* The worker died without rows: the cell is an error, said in timings.csv. */
static int missing_cell(void *context, size_t index, FILE *results, bench_error *error)
{
    (void)error;
    const merge_context *merging = context;
    write_rows(results, &merging->plan->cells[index], NULL, 0);
    return BENCH_OK;
}

int hcsc_merge(const hcsc_plan *plan, const char *out_dir, size_t *failed, bench_error *error)
{
    char path[4096];
    bench_atomic_file results, timings;
    snprintf(path, sizeof path, "%s/timings.csv", out_dir);
    int status = bench_atomic_open(&timings, path, error);
    if (status != BENCH_OK)
        return status;
    snprintf(path, sizeof path, "%s/results.csv", out_dir);
    status = bench_atomic_open(&results, path, error);
    if (status != BENCH_OK) {
        bench_atomic_abort(&timings);
        return status;
    }
    fputs("cell_id,model,variant,seed,seconds,error\n", timings.stream);
    merge_context merging = {.plan = plan, .out_dir = out_dir};
    status = bench_cells_append(results.stream, plan->cell_count, merged_cell, missing_cell, &merging, failed, error);
    if (status != BENCH_OK) {
        /* Damaged rows never reach results.csv; the run fails naming them. */
        bench_atomic_abort(&results);
        bench_atomic_abort(&timings);
        return bench_error_prefix(error, "hcsc: a cell is invalid, rerun with --resume: ");
    }
    for (size_t c = 0; c < plan->cell_count; c++) {
        const hcsc_cell *cell = &plan->cells[c];
        snprintf(path, sizeof path, "%s/cells/%s.info", out_dir, cell->id);
        double seconds = NAN;
        char reason[1024] = "";
        FILE *info = fopen(path, "rb");
        if (info != NULL) {
            if (fscanf(info, "%lf", &seconds) != 1)
                seconds = NAN;
            if (fgetc(info) == '\n' && fgets(reason, sizeof reason, info) != NULL)
                reason[strcspn(reason, "\n")] = '\0';
            fclose(info);
        } else {
            snprintf(path, sizeof path, "%s/cells/%s.csv", out_dir, cell->id);
            if (access(path, F_OK) != 0)
                snprintf(reason, sizeof reason, "the cell's worker ended without writing results");
        }
        for (char *p = reason; *p; p++)
            if (*p == ',' || *p == '"')
                *p = ';'; /* keep the CSV one field */
        fprintf(timings.stream, "%s,%s,%s,%llu,%.3f,%s\n", cell->id, cell->method->name, cell->variant,
                (unsigned long long)cell->seed, seconds, reason);
    }
    status = bench_atomic_commit(&timings, error);
    if (status != BENCH_OK) {
        bench_atomic_abort(&results);
        return status;
    }
    snprintf(path, sizeof path, "%s/run.json", out_dir);
    {
        json_t *cells = json_array();
        for (size_t c = 0; c < plan->cell_count; c++) {
            char recipe[2048];
            recipe_text(plan, &plan->cells[c].recipe, recipe, sizeof recipe);
            json_array_append_new(cells, json_pack("{s:s, s:s, s:s, s:I, s:s}", "cell_id", plan->cells[c].id, "method",
                                                   plan->cells[c].method->name, "variant", plan->cells[c].variant,
                                                   "seed", (json_int_t)plan->cells[c].seed, "recipe", recipe));
        }
        json_t *root = json_pack("{s:s, s:s, s:s, s:I, s:I, s:I, s:I, s:o}", "task", "hcsc", "config",
                                 plan->config_path, "split", plan->validation ? "validation" : "test", "train_limit",
                                 (json_int_t)plan->train_limit,
                                 "test_limit", (json_int_t)plan->test_limit, "jobs", (json_int_t)plan->jobs, "threads",
                                 (json_int_t)plan->threads, "cells", cells);
        status = bench_write_json_atomic(path, root, JSON_INDENT(2), error);
        json_decref(root);
    }
    if (status != BENCH_OK) {
        bench_atomic_abort(&results);
        return status;
    }
    /* results.csv last: its presence means the run's outputs are complete. */
    return bench_atomic_commit(&results, error);
}

/* A cell is done when its rows are valid and none is an error row: --resume
 * reruns failed and damaged cells (as `bench shift run --resume` does), since
 * a failure caused by the machine (memory, a killed worker) usually does not
 * repeat. */
int hcsc_cell_done(const hcsc_cell *cell, const char *out_dir)
{
    expect_buffer buffer;
    bench_cell_expect expect = cell_expect(cell, &buffer);
    bench_error ignored = {0};
    return bench_cell_file_check(out_dir, &expect, NULL, &ignored) == BENCH_CELLFILE_OK;
}

