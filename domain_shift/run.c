#include "domain_shift/run.h"

#include <errno.h>
#include <inttypes.h>
#include <jansson.h>
#include <math.h>
#include <stdio.h>
#include <stdlib.h>
#include <string.h>
#include <sys/stat.h>

#include "bench/config.h"
#include "bench/rng.h"
#include "domain_shift/atomic_file.h"
#include "domain_shift/benchmark.h"

/* ---- one cell ---------------------------------------------------------------------- */

static int load(const char *dir, const char *device, const char *split, int size, shift_dataset *out,
                bench_error *error)
{
    int code = shift_dataset_load_resized(dir, device, split, size, out, error);
    if (code != BENCH_OK)
        bench_error_prefix(error, "loading %s/%s: ", device, split);
    return code;
}

int shift_run_cell(const char *data_dir, const char *source, const char *target, shift_method method,
                   const char *protocol, const shift_train_config *config, uint64_t seed, shift_ap_mode mode,
                   shift_cell_result *result, bench_error *error)
{
    memset(result, 0, sizeof *result);
    int transductive;
    if (strcmp(protocol, "transfer") == 0)
        transductive = 0;
    else if (strcmp(protocol, "transductive") == 0)
        transductive = 1;
    else
        return BENCH_FAIL(error, BENCH_BAD_INPUT, "unknown protocol '%s'; protocols are transfer, transductive",
                          protocol);
    const char *train_split = transductive ? "all" : "train", *test_split = transductive ? "all" : "test";
    const char *labelled_device = method == SHIFT_METHOD_ORACLE ? target : source;
    int target_bn = method == SHIFT_METHOD_SOURCE_ONLY_TARGET_BN;
    int adaptive = method != SHIFT_METHOD_SOURCE_ONLY && method != SHIFT_METHOD_ORACLE && !target_bn;
    shift_dataset labelled = {0}, validation = {0}, unlabelled = {0}, test = {0};
    shift_detector *detector = NULL;
    int code = load(data_dir, labelled_device, train_split, config->image_size, &labelled, error);
    if (code == BENCH_OK)
        code = load(data_dir, labelled_device, "val", config->image_size, &validation, error);
    if (code == BENCH_OK && (adaptive || target_bn))
        code = load(data_dir, target, train_split, config->image_size, &unlabelled, error);
    if (code == BENCH_OK)
        code = load(data_dir, target, test_split, config->image_size, &test, error);
    if (code == BENCH_OK)
        code = shift_train(&detector, target_bn ? SHIFT_METHOD_SOURCE_ONLY : method, &labelled, &validation,
                           adaptive ? &unlabelled : NULL, config, seed, &result->train, error);
    if (code == BENCH_OK && target_bn)
        code = shift_detector_adapt_batchnorm(detector, &unlabelled, error);
    if (code == BENCH_OK)
        code = shift_detector_evaluate(detector, &test, mode, result->ap, &result->mean_ap,
                                       &result->inference_images_per_second, error);
    shift_detector_free(detector);
    shift_dataset_free(&labelled), shift_dataset_free(&validation), shift_dataset_free(&unlabelled);
    shift_dataset_free(&test);
    return code;
}

/* ---- configuration ------------------------------------------------------------------ */

#define MAX_SEEDS 16
#define MAX_PAIRS 56

typedef struct run_plan {
    char data_dir[4096];
    int generate;
    uint64_t data_seed;
    size_t scenes;
    int size;
    size_t device_count;
    const shift_device *devices[SHIFT_MAX_DEVICES];
    char protocol[32];
    shift_ap_mode mode;
    shift_train_config train;
    int method_enabled[SHIFT_METHOD_COUNT];
    uint64_t seeds[MAX_SEEDS];
    size_t seed_count;
    uint64_t ablation_seeds[MAX_SEEDS];
    size_t ablation_seed_count;
    int pair_source[MAX_PAIRS], pair_target[MAX_PAIRS]; /* indices into devices */
    size_t pair_count;
    uint64_t fingerprint; /* hash of everything that changes results */
} run_plan;

static int entry_error(const bench_config *config, const bench_config_entry *entry, bench_error *error,
                       const char *problem)
{
    return BENCH_FAIL(error, BENCH_BAD_INPUT, "%s:%zu: %s = '%s': %s", config->path, entry->line, entry->key,
                      entry->value, problem);
}

static int parse_unsigned(const bench_config *config, const bench_config_entry *entry, uint64_t minimum,
                          uint64_t maximum, uint64_t *out, bench_error *error)
{
    char *end;
    errno = 0;
    unsigned long long value = strtoull(entry->value, &end, 10);
    if (errno != 0 || end == entry->value || *end != '\0' || entry->value[0] == '-' || value < minimum ||
        value > maximum) {
        char problem[128];
        snprintf(problem, sizeof problem, "expected an integer in %" PRIu64 "..%" PRIu64, minimum, maximum);
        return entry_error(config, entry, error, problem);
    }
    *out = value;
    return BENCH_OK;
}

static int parse_real(const bench_config *config, const bench_config_entry *entry, double minimum, double maximum,
                      double *out, bench_error *error)
{
    char *end;
    errno = 0;
    double value = strtod(entry->value, &end);
    if (errno != 0 || end == entry->value || *end != '\0' || !(value >= minimum && value <= maximum)) {
        char problem[128];
        snprintf(problem, sizeof problem, "expected a number in [%g, %g]", minimum, maximum);
        return entry_error(config, entry, error, problem);
    }
    *out = value;
    return BENCH_OK;
}

static int parse_seed_list(const bench_config *config, const bench_config_entry *entry, uint64_t *seeds,
                           size_t *count, bench_error *error)
{
    char buffer[512];
    snprintf(buffer, sizeof buffer, "%s", entry->value);
    *count = 0;
    for (char *save = NULL, *item = strtok_r(buffer, ", ", &save); item != NULL; item = strtok_r(NULL, ", ", &save)) {
        char *end;
        errno = 0;
        unsigned long long value = strtoull(item, &end, 10);
        if (errno != 0 || *end != '\0' || item[0] == '-' || *count == MAX_SEEDS)
            return entry_error(config, entry, error, "expected up to 16 comma-separated non-negative integers");
        seeds[(*count)++] = value;
    }
    if (*count == 0)
        return entry_error(config, entry, error, "expected at least one seed");
    return BENCH_OK;
}

static int device_index(const run_plan *plan, const char *name)
{
    for (size_t d = 0; d < plan->device_count; d++)
        if (strcmp(plan->devices[d]->name, name) == 0)
            return (int)d;
    return -1;
}

static int read_plan(bench_config *config, const char *out_dir, run_plan *plan, bench_error *error)
{
    memset(plan, 0, sizeof *plan);
    plan->train = shift_train_config_default(1500);
    plan->data_seed = 2022;
    plan->scenes = 3000;
    plan->size = SHIFT_DEFAULT_SIZE;
    plan->generate = 1;
    snprintf(plan->data_dir, sizeof plan->data_dir, "%s/data", out_dir);
    snprintf(plan->protocol, sizeof plan->protocol, "transfer");
    plan->mode = SHIFT_AP_ALL_POINT;
    size_t all_count;
    const shift_device *all = shift_devices(&all_count);
    for (size_t d = 0; d < all_count; d++)
        plan->devices[plan->device_count++] = &all[d];
    for (int m = 0; m < SHIFT_METHOD_COUNT; m++)
        plan->method_enabled[m] = 1;
    plan->seeds[0] = 1, plan->seed_count = 1;
    plan->ablation_seed_count = 0; /* default: same seeds as the main methods */
    int explicit_warmup = 0, explicit_eval = 0;
    const char *pairs_text = "all";
    size_t pairs_line = 0;
    int code = BENCH_OK;
    for (size_t s = 0; s < config->section_count && code == BENCH_OK; s++) {
        bench_config_section *section = &config->sections[s];
        const char *kind = section->kind;
        if (strcmp(kind, "benchmark") && strcmp(kind, "protocol") && strcmp(kind, "train") && strcmp(kind, "run"))
            return BENCH_FAIL(error, BENCH_BAD_INPUT,
                              "%s:%zu: unknown section [%s]; sections are [benchmark], [protocol], [train], [run]",
                              config->path, section->line, kind);
        for (size_t e = 0; e < section->entry_count && code == BENCH_OK; e++) {
            bench_config_entry *entry = &section->entries[e];
            const char *key = entry->key;
            uint64_t u;
            entry->used = 1;
            if (!strcmp(kind, "benchmark") && !strcmp(key, "data")) {
                snprintf(plan->data_dir, sizeof plan->data_dir, "%s", entry->value);
            } else if (!strcmp(kind, "benchmark") && !strcmp(key, "generate")) {
                if (!strcmp(entry->value, "yes") || !strcmp(entry->value, "true"))
                    plan->generate = 1;
                else if (!strcmp(entry->value, "no") || !strcmp(entry->value, "false"))
                    plan->generate = 0;
                else
                    code = entry_error(config, entry, error, "expected yes or no");
            } else if (!strcmp(kind, "benchmark") && !strcmp(key, "seed")) {
                code = parse_unsigned(config, entry, 0, UINT64_MAX, &plan->data_seed, error);
            } else if (!strcmp(kind, "benchmark") && !strcmp(key, "scenes")) {
                code = parse_unsigned(config, entry, 10, 1000000, &u, error);
                plan->scenes = u;
            } else if (!strcmp(kind, "benchmark") && !strcmp(key, "size")) {
                code = parse_unsigned(config, entry, 32, 512, &u, error);
                if (code == BENCH_OK && u % 4 != 0)
                    code = entry_error(config, entry, error, "must be a multiple of 4 (detector stride)");
                plan->size = (int)u;
            } else if (!strcmp(kind, "benchmark") && !strcmp(key, "devices")) {
                char buffer[256];
                snprintf(buffer, sizeof buffer, "%s", entry->value);
                plan->device_count = 0;
                for (char *save = NULL, *name = strtok_r(buffer, ", ", &save); name && code == BENCH_OK;
                     name = strtok_r(NULL, ", ", &save)) {
                    const shift_device *device = shift_device_find(name, NULL);
                    if (device == NULL || plan->device_count == SHIFT_MAX_DEVICES)
                        code = entry_error(config, entry, error, "unknown device or too many; devices are D1, D2, D3");
                    else
                        plan->devices[plan->device_count++] = device;
                }
                if (code == BENCH_OK && plan->device_count < 2)
                    code = entry_error(config, entry, error, "need at least two devices");
            } else if (!strcmp(kind, "protocol") && !strcmp(key, "name")) {
                if (strcmp(entry->value, "transfer") && strcmp(entry->value, "transductive"))
                    code = entry_error(config, entry, error, "protocols are transfer, transductive");
                snprintf(plan->protocol, sizeof plan->protocol, "%s", entry->value);
            } else if (!strcmp(kind, "protocol") && !strcmp(key, "ap")) {
                if (shift_ap_mode_parse(entry->value, &plan->mode, NULL) != BENCH_OK)
                    code = entry_error(config, entry, error, "choose all_point, voc07 or coco101");
            } else if (!strcmp(kind, "train") && !strcmp(key, "steps")) {
                code = parse_unsigned(config, entry, 1, 10000000, &u, error);
                plan->train.steps = u;
            } else if (!strcmp(kind, "train") && !strcmp(key, "batch")) {
                code = parse_unsigned(config, entry, 1, 64, &u, error);
                plan->train.batch = u;
            } else if (!strcmp(kind, "train") && !strcmp(key, "width")) {
                code = parse_unsigned(config, entry, 2, 128, &u, error);
                plan->train.width = u;
            } else if (!strcmp(kind, "train") && !strcmp(key, "warmup")) {
                code = parse_unsigned(config, entry, 0, 10000000, &u, error);
                plan->train.warmup = u;
                explicit_warmup = 1;
            } else if (!strcmp(kind, "train") && !strcmp(key, "eval_every")) {
                code = parse_unsigned(config, entry, 1, 10000000, &u, error);
                plan->train.eval_every = u;
                explicit_eval = 1;
            } else if (!strcmp(kind, "train") && !strcmp(key, "threads")) {
                code = parse_unsigned(config, entry, 1, 64, &u, error);
                plan->train.threads = (unsigned)u;
            } else if (!strcmp(kind, "train") && !strcmp(key, "learning_rate")) {
                code = parse_real(config, entry, 1e-7, 1.0, &plan->train.learning_rate, error);
            } else if (!strcmp(kind, "train") && !strcmp(key, "weight_decay")) {
                code = parse_real(config, entry, 0, 1.0, &plan->train.weight_decay, error);
            } else if (!strcmp(kind, "train") && !strcmp(key, "disc_learning_rate")) {
                code = parse_real(config, entry, 1e-8, 1.0, &plan->train.disc_learning_rate, error);
            } else if (!strcmp(kind, "train") && !strcmp(key, "disc_weight_decay")) {
                code = parse_real(config, entry, 0, 1.0, &plan->train.disc_weight_decay, error);
            } else if (!strcmp(kind, "train") && !strcmp(key, "grl_lambda")) {
                code = parse_real(config, entry, 0, 10.0, &plan->train.grl_lambda, error);
            } else if (!strcmp(kind, "train") && !strcmp(key, "flip")) {
                code = parse_unsigned(config, entry, 0, 1, &u, error);
                plan->train.flip = (int)u;
            } else if (!strcmp(kind, "run") && !strcmp(key, "methods")) {
                char buffer[256];
                snprintf(buffer, sizeof buffer, "%s", entry->value);
                memset(plan->method_enabled, 0, sizeof plan->method_enabled);
                for (char *save = NULL, *name = strtok_r(buffer, ", ", &save); name && code == BENCH_OK;
                     name = strtok_r(NULL, ", ", &save)) {
                    shift_method method;
                    if (shift_method_parse(name, &method, NULL) != BENCH_OK)
                        code = entry_error(config, entry, error,
                                           "methods are source_only, oracle, psn, psn_global_only, psn_local_only, "
                                           "source_only_target_bn");
                    else
                        plan->method_enabled[method] = 1;
                }
            } else if (!strcmp(kind, "run") && !strcmp(key, "seeds")) {
                code = parse_seed_list(config, entry, plan->seeds, &plan->seed_count, error);
            } else if (!strcmp(kind, "run") && !strcmp(key, "ablation_seeds")) {
                code = parse_seed_list(config, entry, plan->ablation_seeds, &plan->ablation_seed_count, error);
            } else if (!strcmp(kind, "run") && !strcmp(key, "pairs")) {
                pairs_text = entry->value;
                pairs_line = entry->line;
            } else {
                code = BENCH_FAIL(error, BENCH_BAD_INPUT, "%s:%zu: unknown key '%s' in [%s]", config->path,
                                  entry->line, key, kind);
            }
        }
    }
    if (code != BENCH_OK)
        return code;
    plan->train.image_size = plan->size;
    if (!explicit_warmup)
        plan->train.warmup = plan->train.steps * 14 / 100;
    if (!explicit_eval)
        plan->train.eval_every = plan->train.steps >= 6 ? plan->train.steps / 6 : 1;
    if (plan->ablation_seed_count == 0) {
        memcpy(plan->ablation_seeds, plan->seeds, sizeof plan->seeds);
        plan->ablation_seed_count = plan->seed_count;
    }
    /* pairs: "all" = every ordered pair in device order (EDS's six tasks for D1..D3) */
    if (strcmp(pairs_text, "all") == 0) {
        for (size_t s = 0; s < plan->device_count; s++)
            for (size_t t = 0; t < plan->device_count; t++)
                if (s != t && plan->pair_count < MAX_PAIRS) {
                    plan->pair_source[plan->pair_count] = (int)s;
                    plan->pair_target[plan->pair_count++] = (int)t;
                }
    } else {
        char buffer[512];
        snprintf(buffer, sizeof buffer, "%s", pairs_text);
        for (char *save = NULL, *item = strtok_r(buffer, ", ", &save); item != NULL;
             item = strtok_r(NULL, ", ", &save)) {
            char *arrow = strchr(item, '>');
            if (arrow == NULL || plan->pair_count == MAX_PAIRS)
                return BENCH_FAIL(error, BENCH_BAD_INPUT, "%s:%zu: pairs: '%s' is not SOURCE>TARGET", config->path,
                                  pairs_line, item);
            *arrow = '\0';
            int s = device_index(plan, item), t = device_index(plan, arrow + 1);
            if (s < 0 || t < 0 || s == t)
                return BENCH_FAIL(error, BENCH_BAD_INPUT,
                                  "%s:%zu: pairs: '%s>%s' needs two different devices listed in [benchmark] devices",
                                  config->path, pairs_line, item, arrow + 1);
            plan->pair_source[plan->pair_count] = s;
            plan->pair_target[plan->pair_count++] = t;
        }
    }
    char text[1024];
    int length = snprintf(text, sizeof text,
                          "data=%s|seed=%" PRIu64 "|scenes=%zu|size=%d|protocol=%s|ap=%s|steps=%zu|batch=%zu|width=%zu|"
                          "warmup=%zu|eval=%zu|lr=%g|wd=%g|dlr=%g|dwd=%g|grl=%g|flip=%d",
                          plan->generate ? "generated" : plan->data_dir, plan->data_seed, plan->scenes, plan->size,
                          plan->protocol, shift_ap_mode_name(plan->mode), plan->train.steps, plan->train.batch,
                          plan->train.width, plan->train.warmup, plan->train.eval_every, plan->train.learning_rate,
                          plan->train.weight_decay, plan->train.disc_learning_rate, plan->train.disc_weight_decay,
                          plan->train.grl_lambda, plan->train.flip);
    plan->fingerprint = bench_hash64(text, (size_t)length, 0);
    return BENCH_OK;
}

/* ---- running ------------------------------------------------------------------------ */

/* Rows of results.csv: the AdaBN baseline next to source_only. */
static const int row_order[SHIFT_METHOD_COUNT] = {
    SHIFT_METHOD_SOURCE_ONLY, SHIFT_METHOD_SOURCE_ONLY_TARGET_BN, SHIFT_METHOD_ORACLE,
    SHIFT_METHOD_PSN,         SHIFT_METHOD_PSN_GLOBAL_ONLY,       SHIFT_METHOD_PSN_LOCAL_ONLY,
};

typedef struct model_result {
    int done, failed;
    char message[256];
    shift_cell_result result;
} model_result;

static void cell_id(char out[17], const run_plan *plan, const char *dataset, const char *method, uint64_t seed)
{
    char text[256];
    int length = snprintf(text, sizeof text, "detect|%s|%s|%s|%" PRIu64, dataset, plan->protocol, method, seed);
    /* FNV-1a barely changes when only the last character does (seed 1, 2, 3):
     * a splitmix64 finaliser spreads the ids apart. */
    uint64_t z = bench_hash64(text, (size_t)length, plan->fingerprint);
    z = (z ^ (z >> 30)) * 0xBF58476D1CE4E5B9ull;
    z = (z ^ (z >> 27)) * 0x94D049BB133111EBull;
    z ^= z >> 31;
    snprintf(out, 17, "%016" PRIx64, z);
}

static int seed_used(const run_plan *plan, shift_method method, uint64_t seed)
{
    int ablation = method == SHIFT_METHOD_PSN_GLOBAL_ONLY || method == SHIFT_METHOD_PSN_LOCAL_ONLY;
    const uint64_t *seeds = ablation ? plan->ablation_seeds : plan->seeds;
    size_t count = ablation ? plan->ablation_seed_count : plan->seed_count;
    for (size_t i = 0; i < count; i++)
        if (seeds[i] == seed)
            return 1;
    return 0;
}

int shift_run_config(const char *config_path, const char *out_dir, void (*progress)(void *data, const char *line),
                     void *progress_data, bench_error *error)
{
    bench_config *config = NULL;
    int code = bench_config_load(&config, config_path, error);
    if (code != BENCH_OK)
        return code;
    run_plan *plan = calloc(1, sizeof *plan);
    if (plan == NULL) {
        bench_config_free(config);
        return BENCH_FAIL(error, BENCH_NO_MEMORY, "plan");
    }
    code = read_plan(config, out_dir, plan, error);
    bench_config_free(config);
    if (code == BENCH_OK)
        code = shift_make_directories(out_dir, error);
    char path[4200];
    if (code == BENCH_OK && plan->generate) {
        snprintf(path, sizeof path, "%s/benchmark.ini", plan->data_dir);
        struct stat info;
        if (stat(path, &info) != 0) { /* generate once; an existing benchmark is reused */
            shift_generate_options o = {.out_dir = plan->data_dir, .seed = plan->data_seed, .scenes = plan->scenes,
                                        .size = plan->size, .device_count = plan->device_count};
            memcpy(o.devices, plan->devices, sizeof o.devices);
            if (progress != NULL)
                progress(progress_data, "generating the benchmark");
            code = shift_generate(&o, error);
        }
    }
    /* Results of trained models, indexed [method][pair][seed]; source_only and
     * oracle come from per-device models [device][seed] evaluated per target. */
    size_t seeds_total = plan->seed_count + plan->ablation_seed_count;
    uint64_t all_seeds[2 * MAX_SEEDS];
    size_t all_seed_count = 0;
    for (size_t i = 0; i < seeds_total; i++) {
        uint64_t seed = i < plan->seed_count ? plan->seeds[i] : plan->ablation_seeds[i - plan->seed_count];
        int seen = 0;
        for (size_t j = 0; j < all_seed_count; j++)
            seen |= all_seeds[j] == seed;
        if (!seen)
            all_seeds[all_seed_count++] = seed;
    }
    model_result *results = calloc((size_t)SHIFT_METHOD_COUNT * MAX_PAIRS * 2 * MAX_SEEDS, sizeof *results);
    json_t *models_json = json_array();
    if (results == NULL || models_json == NULL) {
        free(plan), free(results), json_decref(models_json);
        return BENCH_FAIL(error, BENCH_NO_MEMORY, "result table");
    }
#define RESULT(method, pair, seed_index) results[((size_t)(method) * MAX_PAIRS + (pair)) * 2 * MAX_SEEDS + (seed_index)]
    char line[512];
    for (size_t si = 0; si < all_seed_count && code == BENCH_OK; si++) {
        uint64_t seed = all_seeds[si];
        /* per-device models: source_only for pairs whose source is d, oracle for pairs whose target is d */
        for (size_t d = 0; d < plan->device_count && code == BENCH_OK; d++) {
            int needed = 0;
            for (size_t p = 0; p < plan->pair_count; p++)
                needed |= ((plan->method_enabled[SHIFT_METHOD_SOURCE_ONLY] ||
                            plan->method_enabled[SHIFT_METHOD_SOURCE_ONLY_TARGET_BN]) &&
                           plan->pair_source[p] == (int)d && seed_used(plan, SHIFT_METHOD_SOURCE_ONLY, seed)) ||
                          (plan->method_enabled[SHIFT_METHOD_ORACLE] && plan->pair_target[p] == (int)d &&
                           seed_used(plan, SHIFT_METHOD_ORACLE, seed));
            if (!needed)
                continue;
            const char *device = plan->devices[d]->name;
            const char *train_split = strcmp(plan->protocol, "transductive") ? "train" : "all";
            const char *test_split = strcmp(plan->protocol, "transductive") ? "test" : "all";
            shift_dataset labelled = {0}, validation = {0};
            shift_detector *detector = NULL;
            shift_train_report report;
            code = load(plan->data_dir, device, train_split, plan->size, &labelled, error);
            if (code == BENCH_OK)
                code = load(plan->data_dir, device, "val", plan->size, &validation, error);
            if (code == BENCH_OK)
                code = shift_train(&detector, SHIFT_METHOD_SOURCE_ONLY, &labelled, &validation, NULL, &plan->train,
                                   seed, &report, error);
            shift_dataset_free(&labelled), shift_dataset_free(&validation);
            if (code != BENCH_OK)
                break;
            json_t *model = json_pack("{s:s, s:s, s:I, s:I, s:f, s:f, s:f}", "kind", "supervised", "device", device,
                                      "seed", (json_int_t)seed, "best_step", (json_int_t)report.best_step,
                                      "best_val_map", report.best_val_map, "train_seconds", report.train_seconds,
                                      "train_images_per_second", report.train_images_per_second);
            json_t *evaluations = json_object();
            for (size_t t = 0; t < plan->device_count && code == BENCH_OK; t++) {
                int used = 0;
                for (size_t p = 0; p < plan->pair_count; p++)
                    used |= (plan->pair_source[p] == (int)d && plan->pair_target[p] == (int)t) ||
                            (plan->pair_target[p] == (int)d && t == d);
                if (!used)
                    continue;
                shift_dataset test = {0};
                shift_cell_result evaluation = {.train = report};
                code = load(plan->data_dir, plan->devices[t]->name, test_split, plan->size, &test, error);
                if (code == BENCH_OK)
                    code = shift_detector_evaluate(detector, &test, plan->mode, evaluation.ap, &evaluation.mean_ap,
                                                   &evaluation.inference_images_per_second, error);
                shift_dataset_free(&test);
                if (code != BENCH_OK)
                    break;
                json_object_set_new(evaluations, plan->devices[t]->name, json_real(evaluation.mean_ap));
                shift_cell_result adapted = {.train = report};
                int adapt = 0;
                for (size_t p = 0; p < plan->pair_count; p++)
                    adapt |= plan->pair_source[p] == (int)d && plan->pair_target[p] == (int)t &&
                             plan->method_enabled[SHIFT_METHOD_SOURCE_ONLY_TARGET_BN] &&
                             seed_used(plan, SHIFT_METHOD_SOURCE_ONLY_TARGET_BN, seed);
                if (adapt) {
                    float *state = shift_detector_copy_state(detector);
                    shift_dataset unlabelled = {0}, target_test = {0};
                    if (state == NULL)
                        code = BENCH_FAIL(error, BENCH_NO_MEMORY, "model state");
                    if (code == BENCH_OK)
                        code = load(plan->data_dir, plan->devices[t]->name, train_split, plan->size, &unlabelled,
                                    error);
                    if (code == BENCH_OK)
                        code = shift_detector_adapt_batchnorm(detector, &unlabelled, error);
                    if (code == BENCH_OK)
                        code = load(plan->data_dir, plan->devices[t]->name, test_split, plan->size, &target_test, error);
                    if (code == BENCH_OK)
                        code = shift_detector_evaluate(detector, &target_test, plan->mode, adapted.ap,
                                                       &adapted.mean_ap, &adapted.inference_images_per_second, error);
                    if (state != NULL)
                        shift_detector_set_state(detector, state);
                    free(state);
                    shift_dataset_free(&unlabelled), shift_dataset_free(&target_test);
                    if (code != BENCH_OK)
                        break;
                }
                for (size_t p = 0; p < plan->pair_count; p++) {
                    if (plan->pair_source[p] == (int)d && plan->pair_target[p] == (int)t &&
                        plan->method_enabled[SHIFT_METHOD_SOURCE_ONLY] && seed_used(plan, SHIFT_METHOD_SOURCE_ONLY, seed)) {
                        RESULT(SHIFT_METHOD_SOURCE_ONLY, p, si).done = 1;
                        RESULT(SHIFT_METHOD_SOURCE_ONLY, p, si).result = evaluation;
                    }
                    if (adapt && plan->pair_source[p] == (int)d && plan->pair_target[p] == (int)t) {
                        RESULT(SHIFT_METHOD_SOURCE_ONLY_TARGET_BN, p, si).done = 1;
                        RESULT(SHIFT_METHOD_SOURCE_ONLY_TARGET_BN, p, si).result = adapted;
                    }
                    if (plan->pair_target[p] == (int)d && t == d && seed_used(plan, SHIFT_METHOD_ORACLE, seed)) {
                        RESULT(SHIFT_METHOD_ORACLE, p, si).done = 1;
                        RESULT(SHIFT_METHOD_ORACLE, p, si).result = evaluation;
                    }
                }
            }
            json_object_set_new(model, "test_map", evaluations);
            json_array_append_new(models_json, model);
            shift_detector_free(detector);
            if (progress != NULL && code == BENCH_OK) {
                snprintf(line, sizeof line, "trained on %s seed %" PRIu64 ": val mAP %.3f at step %zu, %.1f img/s",
                         device, seed, report.best_val_map, report.best_step, report.train_images_per_second);
                progress(progress_data, line);
            }
        }
        for (size_t p = 0; p < plan->pair_count && code == BENCH_OK; p++)
            for (int method = SHIFT_METHOD_PSN; method <= SHIFT_METHOD_PSN_LOCAL_ONLY && code == BENCH_OK; method++) {
                if (!plan->method_enabled[method] || !seed_used(plan, (shift_method)method, seed))
                    continue;
                const char *source = plan->devices[plan->pair_source[p]]->name;
                const char *target = plan->devices[plan->pair_target[p]]->name;
                model_result *slot = &RESULT(method, p, si);
                code = shift_run_cell(plan->data_dir, source, target, (shift_method)method, plan->protocol,
                                      &plan->train, seed, plan->mode, &slot->result, error);
                if (code != BENCH_OK)
                    break;
                slot->done = 1;
                char pair_name[32];
                snprintf(pair_name, sizeof pair_name, "%s_to_%s", source, target);
                double accuracy = slot->result.train.final_disc_accuracy;
                json_array_append_new(
                    models_json,
                    json_pack("{s:s, s:s, s:s, s:I, s:I, s:f, s:f, s:f, s:f, s:f}", "kind", "adaptive", "method",
                              shift_method_name((shift_method)method), "pair", pair_name, "seed", (json_int_t)seed,
                              "best_step", (json_int_t)slot->result.train.best_step, "best_val_map",
                              slot->result.train.best_val_map, "disc_accuracy", isnan(accuracy) ? -1.0 : accuracy,
                              "train_seconds", slot->result.train.train_seconds, "train_images_per_second",
                              slot->result.train.train_images_per_second, "test_map", slot->result.mean_ap));
                if (progress != NULL) {
                    snprintf(line, sizeof line, "%s %s seed %" PRIu64 ": target mAP %.3f (val %.3f), %.1f img/s",
                             shift_method_name((shift_method)method), pair_name, seed, slot->result.mean_ap,
                             slot->result.train.best_val_map, slot->result.train.train_images_per_second);
                    progress(progress_data, line);
                }
            }
    }
    /* results.csv in plan order: pair, method, seed, metric */
    if (code == BENCH_OK) {
        shift_atomic_file csv, timings;
        snprintf(path, sizeof path, "%s/results.csv", out_dir);
        code = shift_atomic_open(&csv, path, error);
        if (code == BENCH_OK) {
            snprintf(path, sizeof path, "%s/timings.csv", out_dir);
            code = shift_atomic_open(&timings, path, error);
            if (code != BENCH_OK)
                shift_atomic_abort(&csv);
        }
        if (code == BENCH_OK) {
            fputs("cell_id,task,dataset,protocol,model,variant,horizon,seed,metric,value,status\n", csv.stream);
            fputs("cell_id,train_seconds,train_images_per_second,inference_images_per_second,best_step\n",
                  timings.stream);
            for (size_t p = 0; p < plan->pair_count; p++)
                for (int order = 0; order < SHIFT_METHOD_COUNT; order++)
                    for (size_t si = 0; si < all_seed_count; si++) {
                        int method = row_order[order];
                        uint64_t seed = all_seeds[si];
                        if (!plan->method_enabled[method] || !seed_used(plan, (shift_method)method, seed))
                            continue;
                        const model_result *slot = &RESULT(method, p, si);
                        char dataset[64], id[17];
                        snprintf(dataset, sizeof dataset, "xray_%s_to_%s", plan->devices[plan->pair_source[p]]->name,
                                 plan->devices[plan->pair_target[p]]->name);
                        const char *name = shift_method_name((shift_method)method);
                        cell_id(id, plan, dataset, name, seed);
                        for (int metric = -1; metric < SHIFT_CLASS_COUNT; metric++) {
                            char metric_name[48];
                            double value = metric < 0 ? slot->result.mean_ap : slot->result.ap[metric];
                            if (metric < 0)
                                snprintf(metric_name, sizeof metric_name, "map");
                            else
                                snprintf(metric_name, sizeof metric_name, "ap_%s", shift_classes()[metric].key);
                            fprintf(csv.stream, "%s,detect,%s,%s,%s,%s,,%" PRIu64 ",%s,", id, dataset, plan->protocol,
                                    name, name, seed, metric_name);
                            if (slot->done && !isnan(value))
                                fprintf(csv.stream, "%.6f,ok\n", value);
                            else
                                fprintf(csv.stream, ",error\n");
                        }
                        fprintf(timings.stream, "%s,%.3f,%.2f,%.2f,%zu\n", id, slot->result.train.train_seconds,
                                slot->result.train.train_images_per_second, slot->result.inference_images_per_second,
                                slot->result.train.best_step);
                    }
            code = shift_atomic_commit(&csv, error);
            if (code == BENCH_OK)
                code = shift_atomic_commit(&timings, error);
            else
                shift_atomic_abort(&timings);
        }
    }
    if (code == BENCH_OK) {
        json_t *root = json_pack(
            "{s:s, s:s, s:I, s:I, s:i, s:s, s:s, s:{s:I, s:I, s:I, s:I, s:I, s:f, s:f, s:f, s:f, s:f}, s:o}", "config",
            config_path, "data", plan->data_dir, "data_seed", (json_int_t)plan->data_seed, "scenes",
            (json_int_t)plan->scenes, "size", plan->size, "protocol", plan->protocol, "ap", shift_ap_mode_name(plan->mode),
            "train", "steps", (json_int_t)plan->train.steps, "batch", (json_int_t)plan->train.batch, "width",
            (json_int_t)plan->train.width, "warmup", (json_int_t)plan->train.warmup, "eval_every",
            (json_int_t)plan->train.eval_every, "learning_rate", plan->train.learning_rate, "weight_decay",
            plan->train.weight_decay, "disc_learning_rate", plan->train.disc_learning_rate, "disc_weight_decay",
            plan->train.disc_weight_decay, "grl_lambda", plan->train.grl_lambda, "models", models_json);
        models_json = NULL;
        snprintf(path, sizeof path, "%s/run.json", out_dir);
        char *text = root != NULL ? json_dumps(root, JSON_INDENT(2) | JSON_SORT_KEYS) : NULL;
        shift_atomic_file file;
        if (text == NULL)
            code = BENCH_FAIL(error, BENCH_NO_MEMORY, "run.json");
        else if ((code = shift_atomic_open(&file, path, error)) == BENCH_OK) {
            fputs(text, file.stream);
            fputc('\n', file.stream);
            code = shift_atomic_commit(&file, error);
        }
        free(text);
        json_decref(root);
    }
#undef RESULT
    json_decref(models_json);
    free(results);
    free(plan);
    return code;
}
