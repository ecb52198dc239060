#include "domain_shift/run.h"

#include <errno.h>
#include <inttypes.h>
#include <jansson.h>
#include <math.h>
#include <stdio.h>
#include <stdlib.h>
#include <string.h>
#include <sys/stat.h>
#include <unistd.h>

#include "core/config.h"
#include "core/params.h"
#include "bench/rng.h"
#include "core/files.h"
#include "bench/escape.h"
#include "bench/results.h"
#include "core/suggest.h"
#include "domain_shift/benchmark.h"
#include "domain_shift/examples.h"
#include "reports/cell_file.h"

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
                   const char *examples_path, shift_cell_result *result, bench_error *error)
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
    /* The two AdaBN methods train as their base method, then re-estimate the
     * batch-norm statistics on the target's unlabelled images. */
    int target_bn = method == SHIFT_METHOD_SOURCE_ONLY_TARGET_BN || method == SHIFT_METHOD_PSN_TARGET_BN;
    shift_method trained = method == SHIFT_METHOD_SOURCE_ONLY_TARGET_BN ? SHIFT_METHOD_SOURCE_ONLY
                           : method == SHIFT_METHOD_PSN_TARGET_BN      ? SHIFT_METHOD_PSN
                                                                       : method;
    int adaptive = trained != SHIFT_METHOD_SOURCE_ONLY && trained != SHIFT_METHOD_ORACLE;
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
        code = shift_train(&detector, trained, &labelled, &validation,
                           adaptive ? &unlabelled : NULL, config, seed, &result->train, error);
    if (code == BENCH_OK && target_bn)
        code = shift_detector_adapt_batchnorm(detector, &unlabelled, error);
    if (code == BENCH_OK && method == SHIFT_METHOD_PSN_DOMAIN_BN)
        code = shift_detector_use_target_statistics(detector, error);
    if (code == BENCH_OK)
        code = shift_detector_evaluate(detector, &test, mode, result->ap, &result->mean_ap,
                                       &result->inference_images_per_second, error);
    if (code == BENCH_OK && examples_path != NULL)
        code = shift_examples_write(examples_path, detector, &test, SHIFT_EXAMPLE_IMAGES, SHIFT_EXAMPLE_ZOOM,
                                    SHIFT_EXAMPLE_MIN_SCORE, error);
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
    const shift_device *devices[SHIFT_MAX_DEVICES]; /* into device_storage once read_plan is done */
    shift_knob_group knobs;                          /* [benchmark] knobs */
    shift_device device_storage[SHIFT_MAX_DEVICES];  /* the devices, restricted to knobs' group */
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
    uint64_t fingerprint; /* hash of everything that changes results (cell ids) */
    unsigned jobs;        /* [run] jobs: worker processes (changes no number) */
} run_plan;

static int entry_error(const bench_config *config, const bench_config_entry *entry, bench_error *error,
                       const char *problem)
{
    return BENCH_FAIL(error, BENCH_BAD_INPUT, "%s:%zu: %s = '%s': %s", config->path, entry->line, entry->key,
                      entry->value, problem);
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

/* The four sections of an X-ray config, in the one schema every config uses
 * (core/params.h): unknown keys, ranges and suggestions behave as they do for a
 * forecaster's parameters.  Defaults are those of configs/shift-xray.ini's
 * comments; lists and paths are checked by read_plan, which the schema cannot. */
static const bench_param_spec benchmark_spec[] = {
    {"data", BENCH_PARAM_STRING, "", "an existing benchmark directory (relative to the config); default OUT/data", 0,
     0, NULL},
    {"generate", BENCH_PARAM_BOOL, "yes", "generate the benchmark into OUT/data (or data) when it is not there", 0, 0,
     NULL},
    {"seed", BENCH_PARAM_INT, "2022", "seed of the generated scenes and device noise", 0, 9.2e18, NULL},
    {"scenes", BENCH_PARAM_INT, "3000", "scenes per device", 10, 1000000, NULL},
    {"size", BENCH_PARAM_INT, "96", "image side in pixels, a multiple of 4", 32, 512, NULL},
    {"devices", BENCH_PARAM_STRING, "D1,D2,D3", "comma list of built-in devices", 0, 0, NULL},
    {"knobs", BENCH_PARAM_STRING, "all",
     "the devices differ in every knob, or only in one group (the rest from the first device)", 0, 0,
     "all|colour|noise|artefacts"},
};
static const bench_param_spec protocol_spec[] = {
    {"name", BENCH_PARAM_STRING, "transfer", "transfer (splits per device) or transductive (EDS's own mode)", 0, 0,
     "transfer|transductive"},
    {"ap", BENCH_PARAM_STRING, "all_point", "AP interpolation", 0, 0, "all_point|voc07|coco101"},
};
static const bench_param_spec train_spec[] = {
    {"steps", BENCH_PARAM_INT, "1500", "training steps", 1, 10000000, NULL},
    {"batch", BENCH_PARAM_INT, "8", "labelled images per step (adaptive methods add as many target images)", 1, 64,
     NULL},
    {"width", BENCH_PARAM_INT, "16", "channels of the first convolution", 2, 128, NULL},
    {"warmup", BENCH_PARAM_INT, "0", "steps before PSN's prototype terms; default 14% of steps", 0, 10000000, NULL},
    {"eval_every", BENCH_PARAM_INT, "1", "steps between validations; default steps/6", 1, 10000000, NULL},
    {"threads", BENCH_PARAM_STRING, "1", "threads of a unit (1..256)", 0, 0, NULL},
    {"learning_rate", BENCH_PARAM_REAL, "1e-3", "Adam learning rate of the detector", 1e-7, 1.0, NULL},
    {"weight_decay", BENCH_PARAM_REAL, "1e-4", "detector weight decay", 0, 1.0, NULL},
    {"disc_learning_rate", BENCH_PARAM_REAL, "5e-5", "Adam learning rate of the discriminators", 1e-8, 1.0, NULL},
    {"disc_weight_decay", BENCH_PARAM_REAL, "5e-4", "discriminator weight decay", 0, 1.0, NULL},
    {"grl_lambda", BENCH_PARAM_REAL, "1", "gradient-reversal coefficient", 0, 10.0, NULL},
    {"lr_decay_step", BENCH_PARAM_INT, "0",
     "steps after which the detector's rate is multiplied by lr_decay_gamma (a PyTorch MultiStepLR milestone; the paper: 50000 of 70000); 0 = never", 0,
     10000000, NULL},
    {"lr_decay_gamma", BENCH_PARAM_REAL, "0.1", "factor of the detector's rate after lr_decay_step steps", 1e-6, 1.0,
     NULL},
    {"flip", BENCH_PARAM_INT, "1", "random horizontal flips of training images", 0, 1, NULL},
};
static const bench_param_spec run_spec[] = {
    {"methods", BENCH_PARAM_STRING, "", "comma list of methods; default all", 0, 0, NULL},
    {"seeds", BENCH_PARAM_STRING, "1", "comma list of seeds", 0, 0, NULL},
    {"ablation_seeds", BENCH_PARAM_STRING, "", "seeds of psn_global_only and psn_local_only; default seeds", 0, 0,
     NULL},
    {"jobs", BENCH_PARAM_INT, "1", "training units at once", 1, 64, NULL},
    {"pairs", BENCH_PARAM_STRING, "all", "all, or a comma list of SOURCE>TARGET", 0, 0, NULL},
};

static const struct {
    const char *kind;
    const bench_param_spec *spec;
    size_t count;
} plan_sections[] = {
    {"benchmark", benchmark_spec, sizeof benchmark_spec / sizeof benchmark_spec[0]},
    {"protocol", protocol_spec, sizeof protocol_spec / sizeof protocol_spec[0]},
    {"train", train_spec, sizeof train_spec / sizeof train_spec[0]},
    {"run", run_spec, sizeof run_spec / sizeof run_spec[0]},
};

/* One value of a resolved section; the schema has already checked its type
 * and range, so a getter cannot fail on a name of the table above. */
static long int_value(const bench_owned_params *p, const char *name)
{
    long value = 0;
    bench_params_get_int(&p->view, name, &value, NULL);
    return value;
}

static double real_value(const bench_owned_params *p, const char *name)
{
    double value = 0;
    bench_params_get_real(&p->view, name, &value, NULL);
    return value;
}

static const char *text_value(const bench_owned_params *p, const char *name)
{
    const char *value = "";
    bench_params_get_string(&p->view, name, &value, NULL);
    return value;
}

/* Reads one section, resolved against its table, into the plan; what the
 * schema cannot check (device and method lists, the size's multiple of 4, the
 * data path) is checked here with the entry's line.  pairs are parsed once
 * every device is known. */
static int read_section(const bench_config *config, const bench_config_section *section,
                        const bench_owned_params *p, run_plan *plan, const char **pairs_text, size_t *pairs_line,
                        size_t *data_line, bench_error *error)
{
    const bench_config_entry *entry;
    const char *kind = section->kind;
    int code = BENCH_OK;
    if (!strcmp(kind, "benchmark")) {
        if ((entry = bench_section_entry(section, "data")) != NULL) {
            if (bench_config_path(plan->data_dir, sizeof plan->data_dir, config->path, entry->value) != 0)
                return BENCH_FAIL(error, BENCH_BAD_INPUT, "%s:%zu: data = %s: path too long", config->path,
                                  entry->line, entry->value);
            *data_line = entry->line;
        }
        int generate = 1;
        bench_params_get_bool(&p->view, "generate", &generate, NULL);
        plan->generate = generate;
        plan->data_seed = (uint64_t)int_value(p, "seed");
        plan->scenes = (size_t)int_value(p, "scenes");
        plan->size = (int)int_value(p, "size");
        if (plan->size % 4 != 0)
            return entry_error(config, bench_section_entry(section, "size"), error,
                               "must be a multiple of 4 (detector stride)");
        shift_knob_group_parse(text_value(p, "knobs"), &plan->knobs);
        if ((entry = bench_section_entry(section, "devices")) != NULL) {
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
        }
    } else if (!strcmp(kind, "protocol")) {
        snprintf(plan->protocol, sizeof plan->protocol, "%s", text_value(p, "name"));
        shift_ap_mode_parse(text_value(p, "ap"), &plan->mode, NULL);
    } else if (!strcmp(kind, "train")) {
        plan->train.steps = (size_t)int_value(p, "steps");
        plan->train.batch = (size_t)int_value(p, "batch");
        plan->train.width = (size_t)int_value(p, "width");
        plan->train.warmup = (size_t)int_value(p, "warmup");
        plan->train.eval_every = (size_t)int_value(p, "eval_every");
        plan->train.learning_rate = real_value(p, "learning_rate");
        plan->train.weight_decay = real_value(p, "weight_decay");
        plan->train.disc_learning_rate = real_value(p, "disc_learning_rate");
        plan->train.disc_weight_decay = real_value(p, "disc_weight_decay");
        plan->train.grl_lambda = real_value(p, "grl_lambda");
        plan->train.flip = (int)int_value(p, "flip");
        plan->train.lr_decay_step = (size_t)int_value(p, "lr_decay_step");
        plan->train.lr_decay_gamma = real_value(p, "lr_decay_gamma");
        if ((entry = bench_section_entry(section, "threads")) != NULL)
            code = bench_config_threads(config->path, entry, &plan->train.threads, error);
    } else {
        plan->jobs = (unsigned)int_value(p, "jobs");
        if ((entry = bench_section_entry(section, "methods")) != NULL) {
            char buffer[256];
            snprintf(buffer, sizeof buffer, "%s", entry->value);
            memset(plan->method_enabled, 0, sizeof plan->method_enabled);
            for (char *save = NULL, *name = strtok_r(buffer, ", ", &save); name && code == BENCH_OK;
                 name = strtok_r(NULL, ", ", &save)) {
                shift_method method;
                if (shift_method_parse(name, &method, NULL) != BENCH_OK)
                    code = entry_error(config, entry, error,
                                       "methods are source_only, oracle, psn, psn_global_only, psn_local_only, "
                                       "psn_grl_schedule, psn_domain_bn, psn_target_bn, source_only_target_bn");
                else
                    plan->method_enabled[method] = 1;
            }
        }
        if (code == BENCH_OK && (entry = bench_section_entry(section, "seeds")) != NULL)
            code = parse_seed_list(config, entry, plan->seeds, &plan->seed_count, error);
        if (code == BENCH_OK && (entry = bench_section_entry(section, "ablation_seeds")) != NULL)
            code = parse_seed_list(config, entry, plan->ablation_seeds, &plan->ablation_seed_count, error);
        if ((entry = bench_section_entry(section, "pairs")) != NULL)
            *pairs_text = entry->value, *pairs_line = entry->line;
    }
    return code;
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
    plan->jobs = 1;
    plan->ablation_seed_count = 0; /* default: same seeds as the main methods */
    int explicit_warmup = 0, explicit_eval = 0;
    const char *pairs_text = "all";
    size_t pairs_line = 0, data_line = 0;
    int code = BENCH_OK;
    for (size_t s = 0; s < config->section_count && code == BENCH_OK; s++) {
        bench_config_section *section = &config->sections[s];
        size_t k = 0;
        while (k < sizeof plan_sections / sizeof plan_sections[0] && strcmp(plan_sections[k].kind, section->kind))
            k++;
        if (k == sizeof plan_sections / sizeof plan_sections[0]) {
            char hint[128];
            return BENCH_FAIL(error, BENCH_BAD_INPUT,
                              "%s:%zu: unknown section [%s]%s; sections are [benchmark], [protocol], [train], [run]",
                              config->path, section->line, section->kind,
                              bench_suggest_phrase(hint, sizeof hint, section->kind, "benchmark, protocol, train, run"));
        }
        bench_owned_params resolved;
        code = bench_resolve_section(&resolved, plan_sections[k].spec, plan_sections[k].count, section, config->path,
                                     error);
        if (code == BENCH_OK)
            code = read_section(config, section, &resolved, plan, &pairs_text, &pairs_line, &data_line, error);
        bench_owned_params_free(&resolved);
        if (!strcmp(section->kind, "train")) {
            explicit_warmup = bench_section_entry(section, "warmup") != NULL;
            explicit_eval = bench_section_entry(section, "eval_every") != NULL;
        }
    }
    if (code != BENCH_OK)
        return code;
    /* An existing benchmark named in the config must be there before any unit
     * runs: bad input naming the line, not one failed unit per device. */
    struct stat about;
    if (!plan->generate && data_line > 0 && (stat(plan->data_dir, &about) != 0 || !S_ISDIR(about.st_mode)))
        return BENCH_FAIL(error, BENCH_BAD_INPUT,
                          "%s:%zu: data: %s is not a directory (paths in a config are relative to the config "
                          "file's folder; generate = yes makes one)",
                          config->path, data_line, plan->data_dir);
    plan->train.image_size = plan->size;
    /* knobs = GROUP: every device takes the first device's value of each knob
     * outside the group, so the devices differ in that group alone. */
    const shift_device *reference = plan->devices[0];
    for (size_t d = 0; d < plan->device_count; d++) {
        shift_device_only_group(&plan->device_storage[d], plan->devices[d], reference, plan->knobs);
        plan->devices[d] = &plan->device_storage[d];
    }
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
    if (plan->knobs != SHIFT_KNOBS_ALL) { /* so that the whole benchmark's cell ids stay as they were */
        length = snprintf(text, sizeof text, "|knobs=%s", shift_knob_group_name(plan->knobs));
        plan->fingerprint = bench_hash64(text, (size_t)length, plan->fingerprint);
    }
    if (plan->train.lr_decay_step > 0) { /* likewise: a constant rate keeps its ids */
        length = snprintf(text, sizeof text, "|lr_decay=%zu,%g", plan->train.lr_decay_step, plan->train.lr_decay_gamma);
        plan->fingerprint = bench_hash64(text, (size_t)length, plan->fingerprint);
    }
    return BENCH_OK;
}

/* The results' dataset name of pair p: xray_D1_to_D2, or xray_colour_D1_to_D2
 * on a benchmark whose devices differ in one group of knobs. */
static void pair_dataset(const run_plan *plan, size_t p, char *out, size_t size)
{
    snprintf(out, size, "xray_%s%s%s_to_%s", plan->knobs == SHIFT_KNOBS_ALL ? "" : shift_knob_group_name(plan->knobs),
             plan->knobs == SHIFT_KNOBS_ALL ? "" : "_", plan->devices[plan->pair_source[p]]->name,
             plan->devices[plan->pair_target[p]]->name);
}

/* ---- running ------------------------------------------------------------------------ */

/* Rows of results.csv: the AdaBN baseline next to source_only. */
static const int row_order[SHIFT_METHOD_COUNT] = {
    SHIFT_METHOD_SOURCE_ONLY,      SHIFT_METHOD_SOURCE_ONLY_TARGET_BN, SHIFT_METHOD_ORACLE,
    SHIFT_METHOD_PSN,              SHIFT_METHOD_PSN_TARGET_BN,         SHIFT_METHOD_PSN_GRL_SCHEDULE,
    SHIFT_METHOD_PSN_DOMAIN_BN,    SHIFT_METHOD_PSN_GLOBAL_ONLY,       SHIFT_METHOD_PSN_LOCAL_ONLY,
};

typedef struct model_result {
    int done;
    shift_cell_result result;
    double target_val_map; /* PSN variants: for the rule that chooses between them */
} model_result;

/* Where (method, pair, seed index) sits in the merge's table of results, laid out once. */
static size_t result_index(int method, size_t pair, size_t seed_index)
{
    return ((size_t)method * MAX_PAIRS + pair) * 2 * MAX_SEEDS + seed_index;
}

/* target_val_map: NaN for the supervised methods, which the variant rule never reads. */
static void set_result(model_result *results, int method, size_t pair, size_t seed_index,
                       const shift_cell_result *result, double target_val_map)
{
    model_result *slot = &results[result_index(method, pair, seed_index)];
    slot->done = 1;
    slot->result = *result;
    slot->target_val_map = target_val_map;
}

/* FNV-1a barely changes when only the last character does (seed 1, 2, 3): a
 * splitmix64 finaliser spreads the ids apart. */
static uint64_t spread(uint64_t z)
{
    z = (z ^ (z >> 30)) * 0xBF58476D1CE4E5B9ull;
    z = (z ^ (z >> 27)) * 0x94D049BB133111EBull;
    return z ^ (z >> 31);
}

static void cell_id(char out[17], const run_plan *plan, const char *dataset, const char *method, uint64_t seed)
{
    char text[256];
    int length = snprintf(text, sizeof text, "detect|%s|%s|%s|%" PRIu64, dataset, plan->protocol, method, seed);
    snprintf(out, 17, "%016" PRIx64, spread(bench_hash64(text, (size_t)length, plan->fingerprint)));
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

/* ---- training units -------------------------------------------------------------------
 * The table splits into units, one trained model each: a supervised model per
 * (device, seed), which gives the source_only, source_only_target_bn and oracle
 * rows, and a model per (PSN variant, pair, seed).  A unit writes its numbers to
 * OUT/units/<id>.json (temp file + rename), so units can run in forked workers
 * and a later session can resume; the merge reads them back in plan order. */

typedef struct run_unit {
    int supervised;      /* 1: per-device model; 0: a PSN variant on one pair */
    size_t device;       /* supervised: index into plan->devices */
    size_t pair;         /* adaptive: index into plan->pair_source/target */
    shift_method method; /* adaptive */
    uint64_t seed;
    char id[17];
} run_unit;

typedef enum { UNIT_MISSING, UNIT_OK, UNIT_FAILED } unit_state;

typedef struct unit_evaluation {
    int present;
    shift_cell_result result; /* ap, mean_ap, inference speed; train comes from the unit */
    double target_val_map;    /* adaptive: mAP on the target's validation split, for the variant rule */
} unit_evaluation;

typedef struct unit_outcome {
    unit_state state;
    char message[1024];                         /* why it failed */
    shift_train_report train;
    unit_evaluation plain[SHIFT_MAX_DEVICES];   /* supervised: tested on device t */
    unit_evaluation adapted[SHIFT_MAX_DEVICES]; /* supervised: BN statistics of t's training images, tested on t */
    unit_evaluation cell;                       /* adaptive: tested on the pair's target */
    unit_evaluation cell_adapted;               /* psn: the same model with the target's BN statistics */
} unit_outcome;

/* Today's rule for training a per-device model: some pair has d as source
 * (source_only or its AdaBN variant) or as target (oracle) for this seed. */
static int supervised_needed(const run_plan *plan, size_t d, uint64_t seed)
{
    int needed = 0;
    for (size_t p = 0; p < plan->pair_count; p++)
        needed |= ((plan->method_enabled[SHIFT_METHOD_SOURCE_ONLY] ||
                    plan->method_enabled[SHIFT_METHOD_SOURCE_ONLY_TARGET_BN]) &&
                   plan->pair_source[p] == (int)d && seed_used(plan, SHIFT_METHOD_SOURCE_ONLY, seed)) ||
                  (plan->method_enabled[SHIFT_METHOD_ORACLE] && plan->pair_target[p] == (int)d &&
                   seed_used(plan, SHIFT_METHOD_ORACLE, seed));
    return needed;
}

/* An adaptive unit per PSN variant; psn_target_bn has none of its own: the psn
 * unit re-estimates its model's batch-norm statistics on the target as well. */
static int adaptive_needed(const run_plan *plan, shift_method method, uint64_t seed)
{
    int needed = plan->method_enabled[method] && seed_used(plan, method, seed);
    if (method == SHIFT_METHOD_PSN)
        needed |= plan->method_enabled[SHIFT_METHOD_PSN_TARGET_BN] &&
                  seed_used(plan, SHIFT_METHOD_PSN_TARGET_BN, seed);
    return needed;
}

/* Everything that changes a unit's numbers apart from what the unit is: the data
 * (generated: seed, scenes, size, devices and every knob of theirs; else the
 * directory), protocol, AP mode, the training recipe and the BLAS threads. */
static uint64_t recipe_hash(const run_plan *plan)
{
    char text[8192];
    int length = snprintf(
        text, sizeof text,
        "shift-unit/2|data=%s|seed=%" PRIu64 "|scenes=%zu|size=%d|protocol=%s|ap=%s|steps=%zu|batch=%zu|width=%zu|"
        "warmup=%zu|eval=%zu|lr=%.17g|wd=%.17g|dlr=%.17g|dwd=%.17g|grl=%.17g|margin=%.17g|top_k=%zu|flip=%d|"
        "threads=%u|image=%d",
        plan->generate ? "generated" : plan->data_dir, plan->data_seed, plan->scenes, plan->size, plan->protocol,
        shift_ap_mode_name(plan->mode), plan->train.steps, plan->train.batch, plan->train.width, plan->train.warmup,
        plan->train.eval_every, plan->train.learning_rate, plan->train.weight_decay, plan->train.disc_learning_rate,
        plan->train.disc_weight_decay, plan->train.grl_lambda, plan->train.prototype_margin, plan->train.top_k,
        plan->train.flip, plan->train.threads, plan->train.image_size);
    uint64_t hash = bench_hash64(text, length < (int)sizeof text ? (size_t)length : sizeof text - 1, 0);
    size_t knob_count;
    const shift_knob_range *knobs = shift_knob_ranges(&knob_count);
    for (size_t d = 0; d < plan->device_count; d++) {
        length = snprintf(text, sizeof text, "|device=%s", plan->devices[d]->name);
        hash = bench_hash64(text, (size_t)length, hash);
        for (size_t k = 0; k < knob_count; k++) {
            double value;
            memcpy(&value, (const char *)plan->devices[d] + knobs[k].offset, sizeof value);
            length = snprintf(text, sizeof text, "|%s=%.17g", knobs[k].name, value);
            hash = bench_hash64(text, (size_t)length, hash);
        }
    }
    if (plan->train.lr_decay_step > 0) {
        length = snprintf(text, sizeof text, "|lr_decay=%zu,%.17g", plan->train.lr_decay_step,
                          plan->train.lr_decay_gamma);
        hash = bench_hash64(text, (size_t)length, hash);
    }
    return hash;
}

static void unit_name(const run_plan *plan, const run_unit *unit, char *out, size_t size)
{
    if (unit->supervised)
        snprintf(out, size, "%s seed %" PRIu64, plan->devices[unit->device]->name, unit->seed);
    else
        snprintf(out, size, "%s %s_to_%s seed %" PRIu64, shift_method_name(unit->method),
                 plan->devices[plan->pair_source[unit->pair]]->name, plan->devices[plan->pair_target[unit->pair]]->name,
                 unit->seed);
}

/* The plan's units in the order they run and merge: per seed, the per-device
 * models, then every pair's PSN variants.  *units is malloc'ed; the caller frees. */
static int plan_units(const run_plan *plan, const uint64_t *all_seeds, size_t all_seed_count, run_unit **units,
                      size_t *count, bench_error *error)
{
    /* a supervised unit per device, an adaptive one per pair and PSN variant */
    size_t variants = SHIFT_METHOD_PSN_TARGET_BN - SHIFT_METHOD_PSN + 1;
    size_t capacity = all_seed_count * (plan->device_count + plan->pair_count * variants) + 1;
    run_unit *list = calloc(capacity, sizeof *list);
    if (list == NULL)
        return BENCH_FAIL(error, BENCH_NO_MEMORY, "%zu training units", capacity);
    uint64_t recipe = recipe_hash(plan);
    size_t n = 0;
    for (size_t si = 0; si < all_seed_count; si++) {
        uint64_t seed = all_seeds[si];
        for (size_t d = 0; d < plan->device_count; d++)
            if (supervised_needed(plan, d, seed))
                list[n++] = (run_unit){.supervised = 1, .device = d, .seed = seed};
        for (size_t p = 0; p < plan->pair_count; p++)
            for (int method = SHIFT_METHOD_PSN; method < SHIFT_METHOD_PSN_TARGET_BN; method++)
                if (adaptive_needed(plan, (shift_method)method, seed))
                    list[n++] = (run_unit){.pair = p, .method = (shift_method)method, .seed = seed};
    }
    for (size_t u = 0; u < n; u++) {
        char text[128];
        int length;
        if (list[u].supervised)
            length = snprintf(text, sizeof text, "supervised|%s|%" PRIu64, plan->devices[list[u].device]->name,
                              list[u].seed);
        else
            length = snprintf(text, sizeof text, "%s|%s>%s|%" PRIu64, shift_method_name(list[u].method),
                              plan->devices[plan->pair_source[list[u].pair]]->name,
                              plan->devices[plan->pair_target[list[u].pair]]->name, list[u].seed);
        snprintf(list[u].id, sizeof list[u].id, "%016" PRIx64, spread(bench_hash64(text, (size_t)length, recipe)));
    }
    *units = list;
    *count = n;
    return BENCH_OK;
}

static void unit_path(char *out, size_t size, const char *out_dir, const run_unit *unit)
{
    snprintf(out, size, "%s/units/%s.json", out_dir, unit->id);
}

/* NaN (an AP of a class absent from the test set) and infinities become null. */
static json_t *number_or_null(double value)
{
    return isfinite(value) ? json_real(value) : json_null();
}

static double number_or_nan(const json_t *object, const char *key)
{
    const json_t *value = json_object_get(object, key);
    return json_is_number(value) ? json_number_value(value) : NAN;
}

static json_t *evaluation_json(const char *device, int adapted, const unit_evaluation *evaluation)
{
    const shift_cell_result *result = &evaluation->result;
    json_t *ap = json_array();
    for (int c = 0; c < SHIFT_CLASS_COUNT && ap != NULL; c++)
        json_array_append_new(ap, number_or_null(result->ap[c]));
    return json_pack("{s:s, s:b, s:o, s:o*, s:o, s:o}", "device", device, "adapted", adapted, "map",
                     number_or_null(result->mean_ap), "ap", ap, "inference_images_per_second",
                     number_or_null(result->inference_images_per_second), "target_val_map",
                     number_or_null(evaluation->target_val_map));
}

/* Writes OUT/units/<id>.json: the unit's evaluations and model diagnostics, or
 * its failure (failure != NULL).  Reals with 17 digits read back bit for bit. */
static int write_unit_file(const run_plan *plan, const run_unit *unit, const unit_outcome *outcome,
                           const char *failure, const char *out_dir, bench_error *error)
{
    json_t *root = json_pack("{s:s, s:s, s:s, s:I, s:s}", "format", "bench-shift-unit/1", "unit", unit->id, "kind",
                             unit->supervised ? "supervised" : "adaptive", "seed", (json_int_t)unit->seed, "status",
                             failure != NULL ? "error" : "ok");
    if (root == NULL)
        return BENCH_FAIL(error, BENCH_NO_MEMORY, "unit %s", unit->id);
    if (unit->supervised) {
        json_object_set_new(root, "device", json_string(plan->devices[unit->device]->name));
    } else {
        json_object_set_new(root, "method", json_string(shift_method_name(unit->method)));
        json_object_set_new(root, "source", json_string(plan->devices[plan->pair_source[unit->pair]]->name));
        json_object_set_new(root, "target", json_string(plan->devices[plan->pair_target[unit->pair]]->name));
    }
    if (failure != NULL) {
        json_object_set_new(root, "error", json_string(failure));
    } else {
        const shift_train_report *train = &outcome->train;
        json_object_set_new(root, "best_step", json_integer((json_int_t)train->best_step));
        json_object_set_new(root, "best_val_map", number_or_null(train->best_val_map));
        json_object_set_new(root, "final_det_loss", number_or_null(train->final_det_loss));
        json_object_set_new(root, "disc_accuracy", number_or_null(train->final_disc_accuracy));
        json_object_set_new(root, "train_seconds", number_or_null(train->train_seconds));
        json_object_set_new(root, "train_images_per_second", number_or_null(train->train_images_per_second));
        json_t *evaluations = json_array();
        if (unit->supervised) {
            for (size_t t = 0; t < plan->device_count; t++) {
                if (outcome->plain[t].present)
                    json_array_append_new(evaluations, evaluation_json(plan->devices[t]->name, 0, &outcome->plain[t]));
                if (outcome->adapted[t].present)
                    json_array_append_new(evaluations, evaluation_json(plan->devices[t]->name, 1, &outcome->adapted[t]));
            }
        } else {
            const char *target = plan->devices[plan->pair_target[unit->pair]]->name;
            json_array_append_new(evaluations, evaluation_json(target, 0, &outcome->cell));
            if (outcome->cell_adapted.present)
                json_array_append_new(evaluations, evaluation_json(target, 1, &outcome->cell_adapted));
        }
        json_object_set_new(root, "evaluations", evaluations);
    }
    char path[4200];
    unit_path(path, sizeof path, out_dir, unit);
    int code = bench_write_json_atomic(path, root, JSON_INDENT(2) | JSON_REAL_PRECISION(17), error);
    json_decref(root);
    return code;
}

static void unit_failed(unit_outcome *outcome, const run_unit *unit, const char *problem)
{
    outcome->state = UNIT_FAILED;
    snprintf(outcome->message, sizeof outcome->message, "units/%s.json: %s", unit->id, problem);
}

/* Reads OUT/units/<id>.json into *outcome: UNIT_MISSING when there is none (its
 * worker died or it never ran), UNIT_FAILED with the unit's own error or what is
 * wrong with the file, else UNIT_OK. */
static void read_unit_file(const run_plan *plan, const run_unit *unit, const char *out_dir, unit_outcome *outcome)
{
    memset(outcome, 0, sizeof *outcome);
    char path[4200];
    unit_path(path, sizeof path, out_dir, unit);
    if (access(path, F_OK) != 0) {
        outcome->state = UNIT_MISSING;
        snprintf(outcome->message, sizeof outcome->message,
                 "no results: the unit's worker ended without writing units/%s.json", unit->id);
        return;
    }
    json_error_t json_error;
    json_t *root = json_load_file(path, 0, &json_error);
    if (root == NULL) {
        unit_failed(outcome, unit, json_error.text);
        return;
    }
    const json_t *id = json_object_get(root, "unit"), *status = json_object_get(root, "status");
    const json_t *evaluations = json_object_get(root, "evaluations");
    if (!json_is_string(id) || strcmp(json_string_value(id), unit->id) != 0) {
        unit_failed(outcome, unit, "belongs to another unit");
    } else if (!json_is_string(status) || strcmp(json_string_value(status), "ok") != 0) {
        const json_t *message = json_object_get(root, "error");
        outcome->state = UNIT_FAILED;
        snprintf(outcome->message, sizeof outcome->message, "%s",
                 json_is_string(message) ? json_string_value(message) : "failed");
    } else if (!json_is_array(evaluations)) {
        unit_failed(outcome, unit, "no evaluations");
    } else {
        outcome->state = UNIT_OK;
        const json_t *best_step = json_object_get(root, "best_step");
        outcome->train.best_step = json_is_integer(best_step) ? (size_t)json_integer_value(best_step) : 0;
        outcome->train.best_val_map = number_or_nan(root, "best_val_map");
        outcome->train.final_det_loss = number_or_nan(root, "final_det_loss");
        outcome->train.final_disc_accuracy = number_or_nan(root, "disc_accuracy");
        outcome->train.train_seconds = number_or_nan(root, "train_seconds");
        outcome->train.train_images_per_second = number_or_nan(root, "train_images_per_second");
        size_t e;
        const json_t *evaluation;
        json_array_foreach(evaluations, e, evaluation) {
            const json_t *device = json_object_get(evaluation, "device"), *ap = json_object_get(evaluation, "ap");
            int t = json_is_string(device) ? device_index(plan, json_string_value(device)) : -1;
            if (t < 0 || !json_is_array(ap) || json_array_size(ap) != SHIFT_CLASS_COUNT) {
                unit_failed(outcome, unit, "malformed evaluation");
                break;
            }
            int adapted = json_is_true(json_object_get(evaluation, "adapted"));
            unit_evaluation *slot = !unit->supervised ? (adapted ? &outcome->cell_adapted : &outcome->cell)
                                    : adapted         ? &outcome->adapted[t]
                                                      : &outcome->plain[t];
            slot->present = 1;
            slot->target_val_map = number_or_nan(evaluation, "target_val_map");
            slot->result.train = outcome->train;
            slot->result.mean_ap = number_or_nan(evaluation, "map");
            slot->result.inference_images_per_second = number_or_nan(evaluation, "inference_images_per_second");
            for (int c = 0; c < SHIFT_CLASS_COUNT; c++) {
                const json_t *value = json_array_get(ap, (size_t)c);
                slot->result.ap[c] = json_is_number(value) ? json_number_value(value) : NAN;
            }
        }
    }
    json_decref(root);
}

/* Detection examples: the first images of the target's test set drawn with
 * their boxes and a method's detections, for the first main seed only, as
 * DIR/figures/examples/xray_<source>_to_<target>_<method>.png (an oracle has
 * no source: xray_<target>_oracle.png).  0 when this unit draws none. */
static int examples_path(char *out, size_t size, const run_plan *plan, const run_unit *unit, const char *out_dir,
                         const char *source, const char *target, shift_method method)
{
    if (plan->seed_count == 0 || unit->seed != plan->seeds[0])
        return 0;
    if (method == SHIFT_METHOD_ORACLE)
        snprintf(out, size, "%s/figures/examples/xray_%s_oracle.png", out_dir, target);
    else
        snprintf(out, size, "%s/figures/examples/xray_%s_to_%s_%s.png", out_dir, source, target,
                 shift_method_name(method));
    return 1;
}

static int write_examples(const run_plan *plan, const run_unit *unit, const char *out_dir, const char *source,
                          const char *target, shift_method method, shift_detector *detector,
                          const shift_dataset *test, bench_error *error)
{
    char path[4200];
    if (!examples_path(path, sizeof path, plan, unit, out_dir, source, target, method))
        return BENCH_OK;
    return shift_examples_write(path, detector, test, SHIFT_EXAMPLE_IMAGES, SHIFT_EXAMPLE_ZOOM,
                                SHIFT_EXAMPLE_MIN_SCORE, error);
}

/* The per-device model of a supervised unit, tested on every device's test split,
 * and on every other device again after re-estimating its batch-norm statistics
 * on that device's unlabelled training images (AdaBN), so the unit does not
 * depend on which pairs a configuration lists. */
static int run_supervised_unit(const run_plan *plan, const shift_train_config *train, const run_unit *unit,
                               const char *out_dir, unit_outcome *outcome, bench_error *error)
{
    const char *device = plan->devices[unit->device]->name;
    const char *train_split = strcmp(plan->protocol, "transductive") ? "train" : "all";
    const char *test_split = strcmp(plan->protocol, "transductive") ? "test" : "all";
    shift_dataset labelled = {0}, validation = {0};
    shift_detector *detector = NULL;
    int code = load(plan->data_dir, device, train_split, plan->size, &labelled, error);
    if (code == BENCH_OK)
        code = load(plan->data_dir, device, "val", plan->size, &validation, error);
    if (code == BENCH_OK)
        code = shift_train(&detector, SHIFT_METHOD_SOURCE_ONLY, &labelled, &validation, NULL, train, unit->seed,
                           &outcome->train, error);
    shift_dataset_free(&labelled), shift_dataset_free(&validation);
    for (size_t t = 0; t < plan->device_count && code == BENCH_OK; t++) {
        const char *target = plan->devices[t]->name;
        shift_dataset test = {0}, unlabelled = {0};
        unit_evaluation *plain = &outcome->plain[t], *adapted = &outcome->adapted[t];
        code = load(plan->data_dir, target, test_split, plan->size, &test, error);
        if (code == BENCH_OK)
            code = shift_detector_evaluate(detector, &test, plan->mode, plain->result.ap, &plain->result.mean_ap,
                                           &plain->result.inference_images_per_second, error);
        if (code == BENCH_OK)
            code = write_examples(plan, unit, out_dir, device, target,
                                  t == unit->device ? SHIFT_METHOD_ORACLE : SHIFT_METHOD_SOURCE_ONLY, detector,
                                  &test, error);
        plain->present = code == BENCH_OK;
        if (code == BENCH_OK && t != unit->device) {
            float *state = shift_detector_copy_state(detector);
            if (state == NULL)
                code = BENCH_FAIL(error, BENCH_NO_MEMORY, "model state");
            if (code == BENCH_OK)
                code = load(plan->data_dir, target, train_split, plan->size, &unlabelled, error);
            if (code == BENCH_OK)
                code = shift_detector_adapt_batchnorm(detector, &unlabelled, error);
            if (code == BENCH_OK)
                code = shift_detector_evaluate(detector, &test, plan->mode, adapted->result.ap,
                                               &adapted->result.mean_ap, &adapted->result.inference_images_per_second,
                                               error);
            if (code == BENCH_OK)
                code = write_examples(plan, unit, out_dir, device, target, SHIFT_METHOD_SOURCE_ONLY_TARGET_BN,
                                      detector, &test, error);
            adapted->present = code == BENCH_OK;
            if (state != NULL)
                shift_detector_set_state(detector, state); /* the next target sees the trained model again */
            free(state);
        }
        shift_dataset_free(&test), shift_dataset_free(&unlabelled);
    }
    shift_detector_free(detector);
    return code;
}

/* Tests a trained adaptive model on the target's test split, and on its
 * validation split for the rule that chooses between PSN variants. */
static int evaluate_on_target(const run_plan *plan, shift_detector *detector, const shift_dataset *test,
                              const shift_dataset *validation, unit_evaluation *out, bench_error *error)
{
    double val_ap[SHIFT_CLASS_COUNT], val_speed;
    int code = shift_detector_evaluate(detector, test, plan->mode, out->result.ap, &out->result.mean_ap,
                                       &out->result.inference_images_per_second, error);
    if (code == BENCH_OK)
        code = shift_detector_evaluate(detector, validation, plan->mode, val_ap, &out->target_val_map, &val_speed,
                                       error);
    out->present = code == BENCH_OK;
    return code;
}

/* A PSN variant trained on one pair and tested on its target.  The psn unit
 * also tests its model after re-estimating the batch-norm statistics on the
 * target's unlabelled training images: that is psn_target_bn, which therefore
 * costs no training of its own. */
static int run_adaptive_unit(const run_plan *plan, const shift_train_config *train, const run_unit *unit,
                             const char *out_dir, unit_outcome *outcome, bench_error *error)
{
    const char *source = plan->devices[plan->pair_source[unit->pair]]->name;
    const char *target = plan->devices[plan->pair_target[unit->pair]]->name;
    int transductive = strcmp(plan->protocol, "transductive") == 0;
    const char *train_split = transductive ? "all" : "train", *test_split = transductive ? "all" : "test";
    shift_dataset labelled = {0}, validation = {0}, unlabelled = {0}, test = {0}, target_validation = {0};
    shift_detector *detector = NULL;
    int code = load(plan->data_dir, source, train_split, plan->size, &labelled, error);
    if (code == BENCH_OK)
        code = load(plan->data_dir, source, "val", plan->size, &validation, error);
    if (code == BENCH_OK)
        code = load(plan->data_dir, target, train_split, plan->size, &unlabelled, error);
    if (code == BENCH_OK) /* before training, so that a missing split fails at once */
        code = load(plan->data_dir, target, "val", plan->size, &target_validation, error);
    if (code == BENCH_OK)
        code = load(plan->data_dir, target, test_split, plan->size, &test, error);
    if (code == BENCH_OK)
        code = shift_train(&detector, unit->method, &labelled, &validation, &unlabelled, train, unit->seed,
                           &outcome->train, error);
    shift_dataset_free(&labelled), shift_dataset_free(&validation);
    if (code == BENCH_OK && unit->method == SHIFT_METHOD_PSN_DOMAIN_BN) /* selected on the source's statistics */
        code = shift_detector_use_target_statistics(detector, error);
    if (code == BENCH_OK)
        code = evaluate_on_target(plan, detector, &test, &target_validation, &outcome->cell, error);
    if (code == BENCH_OK)
        code = write_examples(plan, unit, out_dir, source, target, unit->method, detector, &test, error);
    if (code == BENCH_OK && unit->method == SHIFT_METHOD_PSN) {
        code = shift_detector_adapt_batchnorm(detector, &unlabelled, error);
        if (code == BENCH_OK)
            code = evaluate_on_target(plan, detector, &test, &target_validation, &outcome->cell_adapted, error);
        if (code == BENCH_OK)
            code = write_examples(plan, unit, out_dir, source, target, SHIFT_METHOD_PSN_TARGET_BN, detector, &test,
                                  error);
    }
    outcome->cell.result.train = outcome->cell_adapted.result.train = outcome->train;
    shift_detector_free(detector);
    shift_dataset_free(&unlabelled), shift_dataset_free(&test), shift_dataset_free(&target_validation);
    return code;
}

/* Training curves (issue 23): OUT/curves/<unit id>.csv in the layout `bench
 * plot` draws (model,variant,seed,step,split,metric,value), a row per step
 * and metric. */
typedef struct curve_writer {
    FILE *stream;
    const char *model;
    char variant[96];
    uint64_t seed;
} curve_writer;

static void write_curve_row(void *data, size_t step, const char *split, const char *metric, double value)
{
    const curve_writer *w = data;
    bench_escape_csv(w->stream, w->model);
    fputc(',', w->stream);
    bench_escape_csv(w->stream, w->variant);
    fprintf(w->stream, ",%" PRIu64 ",%zu,%s,%s,%.9g\n", w->seed, step, split, metric, value);
}

/* Trains and evaluates one unit, then records it (or its failure) in its file;
 * returns a failure only when that file cannot be written. */
static int execute_unit(const run_plan *plan, const run_unit *unit, size_t index, size_t total, const char *out_dir,
                        const shift_run_options *options, bench_error *error)
{
    unit_outcome *outcome = calloc(1, sizeof *outcome);
    if (outcome == NULL)
        return BENCH_FAIL(error, BENCH_NO_MEMORY, "unit %s", unit->id);
    char curve_path[4200];
    snprintf(curve_path, sizeof curve_path, "%s/curves/%s.csv", out_dir, unit->id);
    bench_atomic_file curve;
    if (bench_atomic_open(&curve, curve_path, error) != BENCH_OK) {
        free(outcome);
        return error->code;
    }
    fputs("model,variant,seed,step,split,metric,value\n", curve.stream);
    curve_writer writer = {.stream = curve.stream, .seed = unit->seed};
    shift_train_config train = plan->train; /* the plan's recipe with this unit's curve writer */
    train.record = write_curve_row;
    train.record_data = &writer;
    bench_error unit_error = {0};
    int unit_code;
    if (unit->supervised) {
        writer.model = "supervised";
        snprintf(writer.variant, sizeof writer.variant, "supervised %s", plan->devices[unit->device]->name);
        unit_code = run_supervised_unit(plan, &train, unit, out_dir, outcome, &unit_error);
    } else {
        writer.model = shift_method_name(unit->method);
        snprintf(writer.variant, sizeof writer.variant, "%s %s>%s", shift_method_name(unit->method),
                 plan->devices[plan->pair_source[unit->pair]]->name, plan->devices[plan->pair_target[unit->pair]]->name);
        unit_code = run_adaptive_unit(plan, &train, unit, out_dir, outcome, &unit_error);
    }
    if (unit_code != BENCH_OK && unit_error.message[0] == '\0')
        snprintf(unit_error.message, sizeof unit_error.message, "failed with status %d", unit_code);
    /* The curves before the unit file, so a unit that counts as done has them. */
    int code = bench_atomic_commit(&curve, error);
    if (code == BENCH_OK)
        code = write_unit_file(plan, unit, outcome, unit_code == BENCH_OK ? NULL : unit_error.message, out_dir, error);
    if (code == BENCH_OK && options->progress != NULL) {
        char name[128], line[1400];
        unit_name(plan, unit, name, sizeof name);
        if (unit_code != BENCH_OK)
            snprintf(line, sizeof line, "[%zu/%zu] %s failed: %s", index + 1, total, name, unit_error.message);
        else if (unit->supervised)
            snprintf(line, sizeof line, "[%zu/%zu] trained on %s: val mAP %.3f at step %zu, %.1f img/s", index + 1,
                     total, name, outcome->train.best_val_map, outcome->train.best_step,
                     outcome->train.train_images_per_second);
        else
            snprintf(line, sizeof line, "[%zu/%zu] %s: target mAP %.3f (val %.3f), %.1f img/s", index + 1, total, name,
                     outcome->cell.result.mean_ap, outcome->train.best_val_map, outcome->train.train_images_per_second);
        options->progress(options->progress_data, line);
    }
    free(outcome);
    return code;
}

/* An existing generated benchmark is reused only when it is the one the plan
 * asks for: same seed, scenes and size, and every device of the plan. */
static int check_generated(const run_plan *plan, const char *path, bench_error *error)
{
    bench_config *ini = NULL;
    int code = bench_config_load(&ini, path, error);
    if (code != BENCH_OK)
        return code;
    const char *seed = NULL, *scenes = NULL, *size = NULL, *devices = NULL;
    const char *knobs[SHIFT_MAX_DEVICES] = {NULL}; /* knobs_<device> of each plan device */
    for (size_t s = 0; s < ini->section_count; s++) {
        if (strcmp(ini->sections[s].kind, "benchmark") != 0)
            continue;
        bench_config_entry *entry;
        if ((entry = bench_config_take(&ini->sections[s], "seed")) != NULL)
            seed = entry->value;
        if ((entry = bench_config_take(&ini->sections[s], "scenes")) != NULL)
            scenes = entry->value;
        if ((entry = bench_config_take(&ini->sections[s], "size")) != NULL)
            size = entry->value;
        if ((entry = bench_config_take(&ini->sections[s], "devices")) != NULL)
            devices = entry->value;
        for (size_t d = 0; d < plan->device_count; d++) {
            char key[64];
            snprintf(key, sizeof key, "knobs_%s", plan->devices[d]->name);
            if ((entry = bench_config_take(&ini->sections[s], key)) != NULL)
                knobs[d] = entry->value;
        }
    }
    char wanted_seed[32], wanted_scenes[32], wanted_size[32];
    snprintf(wanted_seed, sizeof wanted_seed, "%" PRIu64, plan->data_seed);
    snprintf(wanted_scenes, sizeof wanted_scenes, "%zu", plan->scenes);
    snprintf(wanted_size, sizeof wanted_size, "%d", plan->size);
    /* Every plan device's knobs as the benchmark on disk rendered them (knobs = GROUP changes them). */
    const char *other_knobs = NULL;
    for (size_t d = 0; d < plan->device_count; d++) {
        char wanted[32];
        snprintf(wanted, sizeof wanted, "%016llx", (unsigned long long)shift_devices_hash(&plan->devices[d], 1));
        if (knobs[d] == NULL || strcmp(knobs[d], wanted) != 0)
            other_knobs = plan->devices[d]->name;
    }
    int same = seed && scenes && size && devices && !strcmp(seed, wanted_seed) && !strcmp(scenes, wanted_scenes) &&
               !strcmp(size, wanted_size) && other_knobs == NULL;
    for (size_t d = 0; d < plan->device_count && same; d++) {
        char list[256];
        snprintf(list, sizeof list, "%s", devices);
        int found = 0;
        for (char *save = NULL, *name = strtok_r(list, ", ", &save); name; name = strtok_r(NULL, ", ", &save))
            found |= strcmp(name, plan->devices[d]->name) == 0;
        same = found;
    }
    if (!same)
        code = BENCH_FAIL(error, BENCH_BAD_INPUT,
                          "%s: this benchmark (seed %s, scenes %s, size %s, devices %s) is not the one the "
                          "configuration asks for (seed %s, scenes %s, size %s%s%s, knobs = %s); use another "
                          "--out or remove %s",
                          path, seed ? seed : "?", scenes ? scenes : "?", size ? size : "?", devices ? devices : "?",
                          wanted_seed, wanted_scenes, wanted_size, other_knobs ? ", other knob values of " : "",
                          other_knobs ? other_knobs : "", shift_knob_group_name(plan->knobs), plan->data_dir);
    bench_config_free(ini);
    return code;
}

/* The rule that chooses between the PSN variants (issue 23), fixed before any
 * target test number was seen: for the pairs into device T, the variant with
 * the highest mean target-validation mAP over the pairs into the other devices
 * (every main seed; ties go to the first of psn, psn_grl_schedule,
 * psn_target_bn, psn_domain_bn).  T's own labels are never used, and no test
 * split is: the choice for a new device rests on evidence from the others, as
 * a user's would.  (psn_domain_bn joined the candidates after a one-pair,
 * one-seed diagnostic; the rule itself did not change.)
 * NULL when fewer than two variants ran; the caller owns the result. */
static json_t *psn_variant_choice(const run_plan *plan, const model_result *results, const uint64_t *all_seeds,
                                  size_t all_seed_count)
{
    static const shift_method variants[] = {SHIFT_METHOD_PSN, SHIFT_METHOD_PSN_GRL_SCHEDULE,
                                            SHIFT_METHOD_PSN_TARGET_BN, SHIFT_METHOD_PSN_DOMAIN_BN};
    enum { VARIANTS = sizeof variants / sizeof variants[0] };
    size_t enabled = 0;
    for (size_t v = 0; v < VARIANTS; v++)
        enabled += plan->method_enabled[variants[v]];
    if (enabled < 2)
        return NULL;
    json_t *list = json_array();
    for (size_t t = 0; t < plan->device_count && list != NULL; t++) {
        int is_target = 0;
        for (size_t p = 0; p < plan->pair_count; p++)
            is_target |= plan->pair_target[p] == (int)t;
        if (!is_target)
            continue;
        json_t *scores = json_object();
        int best = -1;
        double best_score = -INFINITY;
        for (size_t v = 0; v < VARIANTS; v++) {
            double sum = 0;
            size_t n = 0;
            for (size_t p = 0; p < plan->pair_count; p++)
                for (size_t si = 0; si < all_seed_count; si++) {
                    const model_result *slot = &results[result_index(variants[v], p, si)];
                    if (plan->pair_target[p] != (int)t && plan->method_enabled[variants[v]] &&
                        seed_used(plan, variants[v], all_seeds[si]) && slot->done &&
                        isfinite(slot->target_val_map))
                        sum += slot->target_val_map, n++;
                }
            if (n == 0)
                continue;
            json_object_set_new(scores, shift_method_name(variants[v]), json_real(sum / (double)n));
            if (sum / (double)n > best_score)
                best_score = sum / (double)n, best = (int)v;
        }
        if (best >= 0)
            json_array_append_new(list, json_pack("{s:s, s:s, s:o}", "target", plan->devices[t]->name, "chosen",
                                                  shift_method_name(variants[best]), "other_targets_val_map", scores));
        else
            json_decref(scores);
    }
    return list;
}

/* The merge's cells, in plan order: what each must be (reports/cell_file.h). */
#define MAX_CELLS (MAX_PAIRS * SHIFT_METHOD_COUNT * 2 * MAX_SEEDS)
typedef struct plan_cell {
    char id[17], dataset[64], seed[32];
    const char *name;
} plan_cell;
typedef struct plan_cells {
    const char *out_dir, *protocol;
    size_t count;
    plan_cell cells[MAX_CELLS];
    char metrics[SHIFT_CLASS_COUNT * 40 + 8]; /* "map ap_<class> ..." */
} plan_cells;

static bench_cell_expect planned_cell(void *context, size_t index, const char **dir)
{
    plan_cells *planned = context;
    if (planned->metrics[0] == '\0') {
        size_t used = (size_t)snprintf(planned->metrics, sizeof planned->metrics, "map");
        for (int c = 0; c < SHIFT_CLASS_COUNT; c++)
            used += (size_t)snprintf(planned->metrics + used, sizeof planned->metrics - used, " ap_%s",
                                     shift_classes()[c].key);
    }
    const plan_cell *cell = &planned->cells[index];
    *dir = planned->out_dir;
    return (bench_cell_expect){.id = cell->id, .task = "detect", .dataset = cell->dataset,
                               .protocol = planned->protocol, .model = cell->name, .variant = cell->name,
                               .horizon = "", .seed = cell->seed, .metrics = planned->metrics, .record = 0,
                               .per_metric_status = 1};
}

/* results.csv (plan order: pair, method, seed, metric), timings.csv and run.json
 * from the unit files; results.csv last, so its presence means a complete merge. */
static int merge_units(const run_plan *plan, const char *config_path, const char *out_dir, const run_unit *units,
                       const unit_outcome *outcomes, size_t unit_count, const uint64_t *all_seeds,
                       size_t all_seed_count, bench_error *error)
{
    model_result *results = calloc((size_t)SHIFT_METHOD_COUNT * MAX_PAIRS * 2 * MAX_SEEDS, sizeof *results);
    json_t *models_json = json_array();
    if (results == NULL || models_json == NULL) {
        free(results), json_decref(models_json);
        return BENCH_FAIL(error, BENCH_NO_MEMORY, "result table");
    }
    for (size_t u = 0; u < unit_count; u++) {
        const run_unit *unit = &units[u];
        const unit_outcome *outcome = &outcomes[u];
        size_t si = 0;
        while (all_seeds[si] != unit->seed)
            si++;
        char pair_name[32];
        if (!unit->supervised)
            snprintf(pair_name, sizeof pair_name, "%s_to_%s", plan->devices[plan->pair_source[unit->pair]]->name,
                     plan->devices[plan->pair_target[unit->pair]]->name);
        if (outcome->state != UNIT_OK) {
            json_t *model = unit->supervised
                                ? json_pack("{s:s, s:s, s:s, s:I}", "kind", "supervised", "device",
                                            plan->devices[unit->device]->name, "unit", unit->id, "seed",
                                            (json_int_t)unit->seed)
                                : json_pack("{s:s, s:s, s:s, s:s, s:I}", "kind", "adaptive", "method",
                                            shift_method_name(unit->method), "pair", pair_name, "unit", unit->id,
                                            "seed", (json_int_t)unit->seed);
            json_object_set_new(model, "error", json_string(outcome->message));
            json_array_append_new(models_json, model);
            continue;
        }
        const shift_train_report *report = &outcome->train;
        if (!unit->supervised) {
            /* the psn unit gives psn_target_bn's rows too (run_adaptive_unit) */
            for (int adapted = 0; adapted < 2; adapted++) {
                const unit_evaluation *evaluation = adapted ? &outcome->cell_adapted : &outcome->cell;
                shift_method method = adapted ? SHIFT_METHOD_PSN_TARGET_BN : unit->method;
                if (!evaluation->present || !plan->method_enabled[method] || !seed_used(plan, method, unit->seed))
                    continue;
                set_result(results, method, unit->pair, si, &evaluation->result, evaluation->target_val_map);
                double accuracy = report->final_disc_accuracy;
                json_array_append_new(
                    models_json,
                    json_pack("{s:s, s:s, s:s, s:s, s:I, s:I, s:f, s:f, s:f, s:f, s:f, s:f}", "kind", "adaptive",
                              "method", shift_method_name(method), "pair", pair_name, "unit", unit->id, "seed",
                              (json_int_t)unit->seed, "best_step", (json_int_t)report->best_step, "best_val_map",
                              report->best_val_map, "disc_accuracy", isnan(accuracy) ? -1.0 : accuracy,
                              "train_seconds", report->train_seconds, "train_images_per_second",
                              report->train_images_per_second, "test_map", evaluation->result.mean_ap, "target_val_map",
                              isfinite(evaluation->target_val_map) ? evaluation->target_val_map : -1.0));
            }
            continue;
        }
        size_t d = unit->device;
        json_t *model = json_pack("{s:s, s:s, s:s, s:I, s:I, s:f, s:f, s:f}", "kind", "supervised", "device",
                                  plan->devices[d]->name, "unit", unit->id, "seed", (json_int_t)unit->seed, "best_step",
                                  (json_int_t)report->best_step, "best_val_map", report->best_val_map, "train_seconds",
                                  report->train_seconds, "train_images_per_second", report->train_images_per_second);
        json_t *evaluations = json_object();
        for (size_t t = 0; t < plan->device_count; t++) {
            int used = 0;
            for (size_t p = 0; p < plan->pair_count; p++)
                used |= (plan->pair_source[p] == (int)d && plan->pair_target[p] == (int)t) ||
                        (plan->pair_target[p] == (int)d && t == d);
            if (!used || !outcome->plain[t].present)
                continue;
            json_object_set_new(evaluations, plan->devices[t]->name, json_real(outcome->plain[t].result.mean_ap));
            for (size_t p = 0; p < plan->pair_count; p++) {
                if (plan->pair_source[p] == (int)d && plan->pair_target[p] == (int)t &&
                    plan->method_enabled[SHIFT_METHOD_SOURCE_ONLY] &&
                    seed_used(plan, SHIFT_METHOD_SOURCE_ONLY, unit->seed))
                    set_result(results, SHIFT_METHOD_SOURCE_ONLY, p, si, &outcome->plain[t].result, NAN);
                if (plan->pair_source[p] == (int)d && plan->pair_target[p] == (int)t &&
                    plan->method_enabled[SHIFT_METHOD_SOURCE_ONLY_TARGET_BN] &&
                    seed_used(plan, SHIFT_METHOD_SOURCE_ONLY_TARGET_BN, unit->seed) && outcome->adapted[t].present)
                    set_result(results, SHIFT_METHOD_SOURCE_ONLY_TARGET_BN, p, si, &outcome->adapted[t].result,
                               NAN);
                if (plan->pair_target[p] == (int)d && t == d && seed_used(plan, SHIFT_METHOD_ORACLE, unit->seed))
                    set_result(results, SHIFT_METHOD_ORACLE, p, si, &outcome->plain[t].result, NAN);
            }
        }
        json_object_set_new(model, "test_map", evaluations);
        json_array_append_new(models_json, model);
    }
    char path[4200];
    bench_atomic_file csv, timings;
    snprintf(path, sizeof path, "%s/results.csv", out_dir);
    int code = bench_atomic_open(&csv, path, error);
    if (code == BENCH_OK) {
        snprintf(path, sizeof path, "%s/timings.csv", out_dir);
        code = bench_atomic_open(&timings, path, error);
        if (code != BENCH_OK)
            bench_atomic_abort(&csv);
    }
    if (code == BENCH_OK) {
        fputs("cell_id,train_seconds,train_images_per_second,inference_images_per_second,best_step\n", timings.stream);
        plan_cells *planned = calloc(1, sizeof *planned); /* about 2 MB: not on the stack */
        if (planned == NULL)
            code = BENCH_FAIL(error, BENCH_NO_MEMORY, "the merge's cells");
        else
            planned->out_dir = out_dir, planned->protocol = plan->protocol;
        for (size_t p = 0; p < plan->pair_count; p++)
            for (int order = 0; order < SHIFT_METHOD_COUNT; order++)
                for (size_t si = 0; si < all_seed_count; si++) {
                    int method = row_order[order];
                    uint64_t seed = all_seeds[si];
                    if (!plan->method_enabled[method] || !seed_used(plan, (shift_method)method, seed))
                        continue;
                    const model_result *slot = &results[result_index(method, p, si)];
                    if (code != BENCH_OK || planned->count == MAX_CELLS) {
                        code = code != BENCH_OK ? code : BENCH_FAIL(error, BENCH_INTERNAL, "more than %d cells", MAX_CELLS);
                        break;
                    }
                    plan_cell *cell = &planned->cells[planned->count++];
                    pair_dataset(plan, p, cell->dataset, sizeof cell->dataset);
                    const char *name = shift_method_name((shift_method)method), *dataset = cell->dataset;
                    char *id = cell->id;
                    cell->name = name;
                    cell_id(id, plan, dataset, name, seed);
                    snprintf(cell->seed, sizeof cell->seed, "%" PRIu64, seed);
                    /* The cell's rows go to DIR/cells/<id>.csv; the one merge appends them. */
                    bench_atomic_file rows;
                    snprintf(path, sizeof path, "%s/cells/%s.csv", out_dir, id);
                    if ((code = bench_atomic_open(&rows, path, error)) != BENCH_OK)
                        break;
                    for (int metric = -1; metric < SHIFT_CLASS_COUNT; metric++) {
                        char metric_name[48];
                        double value = metric < 0 ? slot->result.mean_ap : slot->result.ap[metric];
                        if (metric < 0)
                            snprintf(metric_name, sizeof metric_name, "map");
                        else
                            snprintf(metric_name, sizeof metric_name, "ap_%s", shift_classes()[metric].key);
                        char seed_text[32], value_text[64] = "";
                        snprintf(seed_text, sizeof seed_text, "%" PRIu64, seed);
                        int ok = slot->done && isfinite(value);
                        if (ok)
                            snprintf(value_text, sizeof value_text, "%.6f", value);
                        bench_results_write_row(rows.stream, &(bench_result_row){
                                                                .cell_id = id, .task = "detect", .dataset = dataset,
                                                                .protocol = plan->protocol, .model = name,
                                                                .variant = name, .horizon = "", .seed = seed_text,
                                                                .metric = metric_name, .value = value_text, .ok = ok});
                    }
                    if ((code = bench_atomic_commit(&rows, error)) != BENCH_OK)
                        break;
                    if (slot->done)
                        fprintf(timings.stream, "%s,%.3f,%.2f,%.2f,%zu\n", id, slot->result.train.train_seconds,
                                slot->result.train.train_images_per_second, slot->result.inference_images_per_second,
                                slot->result.train.best_step);
                    else
                        fprintf(timings.stream, "%s,,,,\n", id);
                }
        size_t failed_cells = 0;
        if (code == BENCH_OK)
            code = bench_cells_append(csv.stream, planned->count, planned_cell, NULL, planned, &failed_cells, error);
        free(planned);
        if (code == BENCH_OK)
            code = bench_atomic_commit(&timings, error);
        else
            bench_atomic_abort(&timings);
        if (code != BENCH_OK)
            bench_atomic_abort(&csv);
    }
    json_t *choice = code == BENCH_OK ? psn_variant_choice(plan, results, all_seeds, all_seed_count) : NULL;
    free(results);
    if (code == BENCH_OK) {
        json_t *root = json_pack(
            "{s:s, s:s, s:I, s:I, s:i, s:s, s:s, s:{s:I, s:I, s:I, s:I, s:I, s:f, s:f, s:f, s:f, s:f, s:I, s:f}, s:o}",
            "config", config_path, "data", plan->data_dir, "data_seed", (json_int_t)plan->data_seed, "scenes",
            (json_int_t)plan->scenes, "size", plan->size, "protocol", plan->protocol, "ap", shift_ap_mode_name(plan->mode),
            "train", "steps", (json_int_t)plan->train.steps, "batch", (json_int_t)plan->train.batch, "width",
            (json_int_t)plan->train.width, "warmup", (json_int_t)plan->train.warmup, "eval_every",
            (json_int_t)plan->train.eval_every, "learning_rate", plan->train.learning_rate, "weight_decay",
            plan->train.weight_decay, "disc_learning_rate", plan->train.disc_learning_rate, "disc_weight_decay",
            plan->train.disc_weight_decay, "grl_lambda", plan->train.grl_lambda, "lr_decay_step",
            (json_int_t)plan->train.lr_decay_step, "lr_decay_gamma", plan->train.lr_decay_gamma, "models", models_json);
        models_json = NULL;
        if (root != NULL && choice != NULL)
            json_object_set(root, "psn_variant_choice", choice);
        snprintf(path, sizeof path, "%s/run.json", out_dir);
        code = bench_write_json_atomic(path, root, JSON_INDENT(2) | JSON_SORT_KEYS, error);
        json_decref(root);
        if (code == BENCH_OK)
            code = bench_atomic_commit(&csv, error);
        else
            bench_atomic_abort(&csv);
    }
    json_decref(models_json);
    json_decref(choice);
    return code;
}

/* A run in progress: the plan, its units, which of them to run, and where. */
struct shift_run {
    run_plan plan;
    char config_path[4096];
    char out_dir[4096];
    shift_run_options options;
    uint64_t all_seeds[2 * MAX_SEEDS];
    size_t all_seed_count;
    run_unit *units;
    size_t unit_count;
    unsigned char *pending;
    unit_outcome *outcomes;
    size_t to_run;
};

int shift_run_check(const char *config_path, const char *out_dir, bench_error *error)
{
    bench_config *config = NULL;
    int checked = bench_config_load(&config, config_path, error);
    run_plan *plan = checked == BENCH_OK ? calloc(1, sizeof *plan) : NULL;
    if (checked == BENCH_OK && plan == NULL)
        checked = BENCH_FAIL(error, BENCH_NO_MEMORY, "plan");
    if (checked == BENCH_OK)
        checked = read_plan(config, out_dir, plan, error);
    free(plan);
    bench_config_free(config);
    return checked;
}

void shift_run_free(shift_run *run)
{
    if (run == NULL)
        return;
    free(run->outcomes);
    free(run->pending);
    free(run->units);
    free(run);
}

int shift_run_prepare(shift_run **out, const char *config_path, const char *out_dir,
                      const shift_run_options *options, bench_error *error)
{
    *out = NULL;
    shift_run *run = calloc(1, sizeof *run);
    if (run == NULL)
        return BENCH_FAIL(error, BENCH_NO_MEMORY, "plan");
    if (options != NULL)
        run->options = *options;
    snprintf(run->config_path, sizeof run->config_path, "%s", config_path);
    snprintf(run->out_dir, sizeof run->out_dir, "%s", out_dir);
    run_plan *plan = &run->plan;
    bench_config *config = NULL;
    int code = bench_config_load(&config, config_path, error);
    if (code == BENCH_OK)
        code = read_plan(config, out_dir, plan, error);
    bench_config_free(config);
    char path[4200];
    snprintf(path, sizeof path, "%s/units", out_dir);
    if (code == BENCH_OK)
        code = bench_make_directories(path, error);
    snprintf(path, sizeof path, "%s/curves", out_dir);
    if (code == BENCH_OK)
        code = bench_make_directories(path, error);
    snprintf(path, sizeof path, "%s/cells", out_dir);
    if (code == BENCH_OK)
        code = bench_make_directories(path, error);
    /* Generated once, before any worker starts; an existing benchmark is reused. */
    if (code == BENCH_OK && plan->generate) {
        snprintf(path, sizeof path, "%s/benchmark.ini", plan->data_dir);
        struct stat info;
        if (stat(path, &info) == 0) {
            code = check_generated(plan, path, error);
        } else {
            shift_generate_options o = {.out_dir = plan->data_dir, .seed = plan->data_seed, .scenes = plan->scenes,
                                        .size = plan->size, .device_count = plan->device_count};
            memcpy(o.devices, plan->devices, sizeof o.devices);
            if (run->options.progress != NULL)
                run->options.progress(run->options.progress_data, "generating the benchmark");
            code = shift_generate(&o, error);
        }
    }
    /* Every seed once, main seeds first: the order units run and rows merge. */
    size_t seeds_total = plan->seed_count + plan->ablation_seed_count;
    for (size_t i = 0; i < seeds_total; i++) {
        uint64_t seed = i < plan->seed_count ? plan->seeds[i] : plan->ablation_seeds[i - plan->seed_count];
        int seen = 0;
        for (size_t j = 0; j < run->all_seed_count; j++)
            seen |= run->all_seeds[j] == seed;
        if (!seen)
            run->all_seeds[run->all_seed_count++] = seed;
    }
    if (code == BENCH_OK)
        code = plan_units(plan, run->all_seeds, run->all_seed_count, &run->units, &run->unit_count, error);
    if (code == BENCH_OK) {
        run->pending = calloc(run->unit_count + 1, 1);
        run->outcomes = calloc(run->unit_count + 1, sizeof *run->outcomes);
        if (run->pending == NULL || run->outcomes == NULL)
            code = BENCH_FAIL(error, BENCH_NO_MEMORY, "%zu units", run->unit_count);
    }
    /* Resuming keeps the units that finished; failed and missing ones run again.
     * Otherwise every unit is recomputed, and its old file goes first so that a
     * worker that dies cannot leave a stale result to merge. */
    for (size_t u = 0; u < run->unit_count && code == BENCH_OK; u++) {
        if (run->options.resume) {
            read_unit_file(plan, &run->units[u], out_dir, &run->outcomes[u]);
            run->pending[u] = run->outcomes[u].state != UNIT_OK;
        } else {
            unit_path(path, sizeof path, out_dir, &run->units[u]);
            if (unlink(path) != 0 && errno != ENOENT)
                code = BENCH_FAIL(error, BENCH_IO, "%s: cannot remove: %s", path, strerror(errno));
            run->pending[u] = 1;
        }
        run->to_run += run->pending[u];
    }
    if (code == BENCH_OK && run->options.progress != NULL) {
        unsigned jobs = shift_run_jobs(run);
        char line[256];
        snprintf(line, sizeof line, "%zu training units, %zu done before, %zu to run with %u job%s", run->unit_count,
                 run->unit_count - run->to_run, run->to_run, jobs, jobs == 1 ? "" : "s");
        run->options.progress(run->options.progress_data, line);
    }
    if (code != BENCH_OK) {
        shift_run_free(run);
        return code;
    }
    *out = run;
    return BENCH_OK;
}

size_t shift_run_unit_count(const shift_run *run) { return run->unit_count; }

int shift_run_unit_pending(const shift_run *run, size_t unit) { return unit < run->unit_count && run->pending[unit]; }

unsigned shift_run_jobs(const shift_run *run) { return run->options.jobs > 0 ? run->options.jobs : run->plan.jobs; }

int shift_run_unit(const shift_run *run, size_t unit, bench_error *error)
{
    return execute_unit(&run->plan, &run->units[unit], unit, run->unit_count, run->out_dir, &run->options, error);
}

int shift_run_finish(shift_run *run, shift_run_summary *summary, bench_error *error)
{
    size_t failed = 0;
    for (size_t u = 0; u < run->unit_count; u++) {
        read_unit_file(&run->plan, &run->units[u], run->out_dir, &run->outcomes[u]);
        failed += run->outcomes[u].state != UNIT_OK;
    }
    int code = merge_units(&run->plan, run->config_path, run->out_dir, run->units, run->outcomes, run->unit_count,
                           run->all_seeds, run->all_seed_count, error);
    if (code == BENCH_OK && summary != NULL)
        *summary = (shift_run_summary){.units = run->unit_count, .reused = run->unit_count - run->to_run,
                                       .failed = failed};
    return code;
}
