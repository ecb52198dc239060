/* The forecaster contract checks (bench/contract.h). */
#include "bench/contract.h"

#include <errno.h>
#include <math.h>
#include <signal.h>
#include <stdarg.h>
#include <stdint.h>
#include <stdio.h>
#include <stdlib.h>
#include <string.h>
#include <sys/mman.h>
#include <sys/wait.h>
#include <unistd.h>

#include "bench/harness.h"
#include "bench/pool.h"
#include "core/files.h"
#include "forecasters/registry.h"
#include "nn/gemm.h"

/* ---- Fixture geometry ---------------------------------------------------------- */

enum {
    SERIES = 2,
    TRAIN_LENGTH = 240,         /* ten days of hourly values */
    VALIDATION = 24,            /* series 1 keeps its last day for validation */
    PERIOD = 24,
    LOOKBACK = 48,
    COVARIATES = 2,
    WINDOWS = 3,
    HORIZON = 24,
    LONG_HORIZON = 96,
    SHORT_LENGTH = 3,
    SAMPLES = 3,
};

static const char *const covariate_names[COVARIATES] = {"hour_sin", "hour_cos"};

/* ---- Guarded memory -----------------------------------------------------------
 * Every block ends exactly at an unmapped (PROT_NONE) page.  Blocks are recorded
 * in a small arena so a fixture frees them at once. */

#define ARENA_BLOCKS 64
typedef struct {
    void *base[ARENA_BLOCKS];
    size_t size[ARENA_BLOCKS];
    size_t count;
} arena;

static size_t page_size(void)
{
    long page = sysconf(_SC_PAGESIZE);
    return page > 0 ? (size_t)page : 4096;
}

/* A block of `bytes` whose end touches a guard page; the slack before it is
 * filled with a canary.  NULL when out of memory or arena slots. */
static unsigned char *guarded_block(arena *memory, size_t bytes)
{
    size_t page = page_size();
    size_t data_pages = (bytes + page - 1) / page;
    size_t total = (data_pages + 1) * page;
    if (memory->count == ARENA_BLOCKS)
        return NULL;
    unsigned char *base = mmap(NULL, total, PROT_READ | PROT_WRITE, MAP_PRIVATE | MAP_ANONYMOUS, -1, 0);
    if (base == MAP_FAILED)
        return NULL;
    if (mprotect(base + data_pages * page, page, PROT_NONE) != 0) {
        munmap(base, total);
        return NULL;
    }
    memory->base[memory->count] = base;
    memory->size[memory->count++] = total;
    unsigned char *block = base + data_pages * page - bytes;
    memset(base, 0xA5, (size_t)(block - base));
    return block;
}

/* Set the protection of the data pages of the block holding `block`. */
static void protect_block(const arena *memory, const void *block, int protection)
{
    for (size_t i = 0; i < memory->count; i++) {
        unsigned char *base = memory->base[i];
        if ((const unsigned char *)block >= base && (const unsigned char *)block < base + memory->size[i]) {
            mprotect(base, memory->size[i] - page_size(), protection);
            return;
        }
    }
}

static void seal_block(arena *memory, const void *block)
{
    protect_block(memory, block, PROT_READ);
}

/* 1 when the canary before `block` is intact. */
static int canary_intact(const arena *memory, const void *block)
{
    for (size_t i = 0; i < memory->count; i++) {
        const unsigned char *base = memory->base[i];
        if ((const unsigned char *)block >= base && (const unsigned char *)block < base + memory->size[i]) {
            for (const unsigned char *byte = base; byte < (const unsigned char *)block; byte++)
                if (*byte != 0xA5)
                    return 0;
            return 1;
        }
    }
    return 1;
}

static void arena_free(arena *memory)
{
    for (size_t i = 0; i < memory->count; i++)
        munmap(memory->base[i], memory->size[i]);
    memory->count = 0;
}

/* ---- Fixture ------------------------------------------------------------------ */

typedef struct {
    arena memory;
    bench_task_info info;
    bench_series_view series[SERIES];
    bench_train_view train;
    bench_forecast_window windows[WINDOWS];
    bench_forecast_request request;
} fixture;

/* The training view is valid only during fit(): between fit and predict its
 * pages are made inaccessible, so a model that kept a pointer into it crashes. */
static void training_access(const fixture *fx, int protection)
{
    for (size_t s = 0; s < SERIES; s++) {
        protect_block(&fx->memory, fx->series[s].values, protection);
        protect_block(&fx->memory, fx->series[s].timestamps, protection);
        protect_block(&fx->memory, fx->series[s].covariates, protection);
    }
}

typedef enum { DATA_SEASONAL, DATA_OTHER, DATA_CONSTANT, DATA_SHORT } data_kind;

static double synthetic_value(data_kind kind, size_t series, size_t t, bench_rng *rng)
{
    if (kind == DATA_CONSTANT)
        return 3.5;
    double phase = kind == DATA_OTHER ? 1.3 : 0.0;
    double level = series == 0 ? 10.0 : 4.0;
    return level + 2.0 * sin(2.0 * M_PI * (double)t / PERIOD + phase) + 0.02 * (double)t +
           0.3 * bench_rng_normal(rng);
}

/* The first `length` values of full, hourly timestamps from start and two
 * daily-cycle covariates for `steps` steps, each in a sealed guarded block, so
 * a model that writes into its input views or reads past them crashes. */
static int guarded_history(fixture *fx, const double *full, size_t length, size_t steps, int64_t start,
                           double **values, int64_t **stamps, float **covariates)
{
    *values = (double *)guarded_block(&fx->memory, length * sizeof **values);
    *stamps = (int64_t *)guarded_block(&fx->memory, steps * sizeof **stamps);
    *covariates = (float *)guarded_block(&fx->memory, steps * COVARIATES * sizeof **covariates);
    if (*values == NULL || *stamps == NULL || *covariates == NULL)
        return -1;
    memcpy(*values, full, length * sizeof **values);
    for (size_t t = 0; t < steps; t++) {
        (*stamps)[t] = start + (int64_t)t * 3600;
        (*covariates)[t * COVARIATES] = (float)sin(2.0 * M_PI * (double)(t % 24) / 24.0);
        (*covariates)[t * COVARIATES + 1] = (float)cos(2.0 * M_PI * (double)(t % 24) / 24.0);
    }
    seal_block(&fx->memory, *values);
    seal_block(&fx->memory, *stamps);
    seal_block(&fx->memory, *covariates);
    return 0;
}

/* Builds the views for `kind` with forecast horizon `horizon` (0 allowed).
 * Windows: the end of each series' training data, and series 0 thirty steps
 * earlier; each window's history is its own guarded copy. */
static int fixture_build(fixture *fx, data_kind kind, size_t horizon)
{
    memset(fx, 0, sizeof *fx);
    size_t length = kind == DATA_SHORT ? SHORT_LENGTH : TRAIN_LENGTH;
    bench_rng rng;
    bench_rng_seed(&rng, kind == DATA_OTHER ? 11 : 7);
    /* Values, timestamps and covariates of each series, long enough for the
     * horizon so windows can carry known-in-advance covariates. */
    double full[SERIES][TRAIN_LENGTH];
    for (size_t s = 0; s < SERIES; s++)
        for (size_t t = 0; t < length; t++)
            full[s][t] = synthetic_value(kind, s, t, &rng);
    const int64_t start = 1609459200; /* 2021-01-01 00:00:00 UTC */
    fx->info = (bench_task_info){
        .dataset = kind == DATA_OTHER ? "contract_other" : "contract",
        .protocol = "contract",
        .horizon = horizon,
        .lookback = LOOKBACK,
        .seasonal_period = PERIOD,
        .step_seconds = 3600,
        .covariate_count = COVARIATES,
        .covariate_names = covariate_names,
        .threads = 1,
        .seed = 1,
    };
    for (size_t s = 0; s < SERIES; s++) {
        double *values;
        int64_t *stamps;
        float *covariates;
        if (guarded_history(fx, full[s], length, length + horizon, start, &values, &stamps, &covariates) != 0)
            return -1;
        fx->series[s] = (bench_series_view){
            .name = s == 0 ? "series_a" : "series_b",
            .length = length,
            .train_length = s == 1 && length > VALIDATION + LOOKBACK ? length - VALIDATION : length,
            .values = values,
            .timestamps = stamps,
            .covariates = covariates,
        };
    }
    fx->train = (bench_train_view){.series_count = SERIES, .series = fx->series};
    size_t origins[WINDOWS][2] = {{0, length}, {1, length}, {0, length > 40 ? length - 30 : length}};
    for (size_t w = 0; w < WINDOWS; w++) {
        size_t s = origins[w][0], origin = origins[w][1];
        double *history;
        int64_t *stamps;
        float *covariates;
        if (guarded_history(fx, full[s], origin, origin + horizon, start, &history, &stamps, &covariates) != 0)
            return -1;
        fx->windows[w] = (bench_forecast_window){
            .series_index = s,
            .history_length = origin,
            .history = history,
            .timestamps = stamps,
            .covariates = covariates,
        };
    }
    fx->request = (bench_forecast_request){.horizon = horizon, .window_count = WINDOWS, .windows = fx->windows};
    return 0;
}

/* ---- Running a model ----------------------------------------------------------- */

typedef struct {
    int status;          /* BENCH_OK or the failing call's status */
    const char *stage;   /* "create", "fit", "predict" when status != OK */
} run_outcome;

/* A guarded output of count doubles, prefilled with NaN so unwritten elements show. */
static double *guarded_output(fixture *fx, size_t count)
{
    double *out = (double *)guarded_block(&fx->memory, count * sizeof *out);
    if (out != NULL)
        for (size_t i = 0; i < count; i++)
            out[i] = NAN;
    return out;
}

/* create → fit → predict into out → destroy, with the cell's rng streams. */
static run_outcome run_once(const bench_forecaster *forecaster, const bench_params *params, const fixture *fx,
                            double *out, bench_error *error)
{
    run_outcome outcome = {BENCH_OK, NULL};
    bench_model *model = NULL;
    bench_rng fit_rng, predict_rng;
    bench_rng_derive(&fit_rng, fx->info.seed, "fit");
    bench_rng_derive(&predict_rng, fx->info.seed, "predict");
    if ((outcome.status = forecaster->create(&model, params, &fx->info, error)) != BENCH_OK)
        outcome.stage = "create";
    else if ((outcome.status = forecaster->fit(model, &fx->train, &fit_rng, error)) != BENCH_OK)
        outcome.stage = "fit";
    else {
        training_access(fx, PROT_NONE);
        if ((outcome.status = forecaster->predict(model, &fx->request, &predict_rng, out, error)) != BENCH_OK)
            outcome.stage = "predict";
        training_access(fx, PROT_READ);
    }
    if (outcome.status == BENCH_OK && model == NULL) {
        outcome.status = BENCH_INTERNAL;
        outcome.stage = "create (returned OK but no model)";
        snprintf(error->message, sizeof error->message, "create returned OK and left *out NULL");
    }
    if (model != NULL)
        forecaster->destroy(model);
    return outcome;
}

/* ---- Child/parent protocol ------------------------------------------------------- */

typedef struct {
    int outcome;               /* bench_contract_outcome */
    uint64_t hash;             /* of the forecasts, for cross-process determinism */
    char detail[768];
} check_message;

typedef struct {
    const bench_forecaster *forecaster;
    const bench_params *params;
    const char *scratch_dir;
} check_context;

static int verdict(check_message *message, int outcome, const char *format, ...)
    __attribute__((format(printf, 3, 4)));
static int verdict(check_message *message, int outcome, const char *format, ...)
{
    va_list arguments;
    va_start(arguments, format);
    vsnprintf(message->detail, sizeof message->detail, format, arguments);
    va_end(arguments);
    message->outcome = outcome;
    return outcome;
}

static int clean_refusal(int status, const bench_error *error)
{
    return status != BENCH_OK && status > 0 && status <= BENCH_INTERNAL && error->message[0] != '\0';
}

/* Checks the forecasts: all written and finite, canary intact. */
static int outputs_valid(check_message *message, const fixture *fx, const double *out, size_t count,
                         const char *what)
{
    if (!canary_intact(&fx->memory, out))
        return verdict(message, BENCH_CONTRACT_FAIL, "%s wrote before the start of the output buffer", what) == 0;
    size_t horizon = fx->request.horizon ? fx->request.horizon : 1;
    for (size_t i = 0; i < count; i++)
        if (!isfinite(out[i]))
            return verdict(message, BENCH_CONTRACT_FAIL,
                           "%s: output %zu (window %zu, step %zu) is %s", what, i, i / horizon, i % horizon + 1,
                           isnan(out[i]) ? "NaN or never written" : "infinite") == 0;
    return 1;
}

static uint64_t hash_doubles(const double *values, size_t count)
{
    return bench_hash64(values, count * sizeof *values, 0);
}

/* A standard fit/predict at `horizon` on `kind` data; refusal allowed or not. */
static int check_run(check_message *message, const check_context *context, data_kind kind, size_t horizon,
                     int refusal_allowed, const char *what)
{
    fixture fx;
    if (fixture_build(&fx, kind, horizon) != 0)
        return verdict(message, BENCH_CONTRACT_FAIL, "checker out of memory");
    size_t count = WINDOWS * horizon;
    double *out = guarded_output(&fx, count);
    bench_error error = {0};
    run_outcome run = run_once(context->forecaster, context->params, &fx, out, &error);
    int outcome;
    if (run.status != BENCH_OK) {
        if (!clean_refusal(run.status, &error))
            outcome = verdict(message, BENCH_CONTRACT_FAIL, "%s failed with status %d and no error message", run.stage,
                              run.status);
        else if (refusal_allowed)
            outcome = verdict(message, BENCH_CONTRACT_PASS, "refused cleanly in %s: %s", run.stage, error.message);
        else
            outcome = verdict(message, BENCH_CONTRACT_FAIL, "%s failed (%s): %s", run.stage,
                              bench_status_name(run.status), error.message);
    } else if (outputs_valid(message, &fx, out, count, what)) {
        message->hash = hash_doubles(out, count);
        outcome = verdict(message, BENCH_CONTRACT_PASS, "%zu windows × %zu steps, all finite", (size_t)WINDOWS,
                          horizon);
    } else
        outcome = message->outcome;
    arena_free(&fx.memory);
    return outcome;
}

static int check_fit_predict(check_message *message, const check_context *context)
{
    return check_run(message, context, DATA_SEASONAL, HORIZON, 0, "predict");
}

static int check_destroy_null(check_message *message, const check_context *context)
{
    context->forecaster->destroy(NULL);
    return verdict(message, BENCH_CONTRACT_PASS, "destroy(NULL) returned");
}

static int check_determinism(check_message *message, const check_context *context)
{
    fixture fx;
    if (fixture_build(&fx, DATA_SEASONAL, HORIZON) != 0)
        return verdict(message, BENCH_CONTRACT_FAIL, "checker out of memory");
    size_t count = WINDOWS * HORIZON;
    double *first = guarded_output(&fx, count), *second = guarded_output(&fx, count);
    bench_error error = {0};
    run_outcome a = run_once(context->forecaster, context->params, &fx, first, &error);
    run_outcome b = a.status == BENCH_OK ? run_once(context->forecaster, context->params, &fx, second, &error) : a;
    int outcome;
    if (a.status != BENCH_OK || b.status != BENCH_OK)
        outcome = verdict(message, BENCH_CONTRACT_FAIL, "%s failed: %s", a.status ? a.stage : b.stage, error.message);
    else if (memcmp(first, second, count * sizeof *first) != 0) {
        size_t i = 0;
        while (i < count && memcmp(&first[i], &second[i], sizeof *first) == 0)
            i++;
        outcome = verdict(message, BENCH_CONTRACT_FAIL,
                          "two runs with the same seed differ at output %zu: %.17g vs %.17g (state kept between "
                          "instances, or randomness not drawn from the bench_rng?)",
                          i, first[i], second[i]);
    } else {
        message->hash = hash_doubles(first, count);
        outcome = verdict(message, BENCH_CONTRACT_PASS, "bit-identical within a process");
    }
    arena_free(&fx.memory);
    return outcome;
}

static int check_horizon_1(check_message *message, const check_context *context)
{
    return check_run(message, context, DATA_SEASONAL, 1, 0, "predict at horizon 1");
}

static int check_horizon_long(check_message *message, const check_context *context)
{
    return check_run(message, context, DATA_SEASONAL, LONG_HORIZON, 0, "predict at horizon 96");
}

static int check_horizon_0(check_message *message, const check_context *context)
{
    fixture fx;
    if (fixture_build(&fx, DATA_SEASONAL, 0) != 0)
        return verdict(message, BENCH_CONTRACT_FAIL, "checker out of memory");
    /* A zero-length output: its first byte is already the guard page. */
    double *out = guarded_output(&fx, 0);
    bench_error error = {0};
    run_outcome run = run_once(context->forecaster, context->params, &fx, out, &error);
    int outcome;
    if (run.status == BENCH_OK)
        outcome = verdict(message, BENCH_CONTRACT_PASS, "predicted nothing, wrote nothing");
    else if (clean_refusal(run.status, &error))
        outcome = verdict(message, BENCH_CONTRACT_PASS, "refused cleanly in %s: %s", run.stage, error.message);
    else
        outcome = verdict(message, BENCH_CONTRACT_FAIL, "%s failed with status %d and no error message", run.stage,
                          run.status);
    if (outcome == BENCH_CONTRACT_PASS && !canary_intact(&fx.memory, out))
        outcome = verdict(message, BENCH_CONTRACT_FAIL, "wrote before the (empty) output buffer");
    arena_free(&fx.memory);
    return outcome;
}

static int check_constant(check_message *message, const check_context *context)
{
    return check_run(message, context, DATA_CONSTANT, HORIZON, 1, "predict on constant series");
}

static int check_short(check_message *message, const check_context *context)
{
    return check_run(message, context, DATA_SHORT, HORIZON, 1, "predict on 3-step series");
}

static int check_two_instances(check_message *message, const check_context *context)
{
    const bench_forecaster *forecaster = context->forecaster;
    fixture fx, other;
    if (fixture_build(&fx, DATA_SEASONAL, HORIZON) != 0 || fixture_build(&other, DATA_OTHER, HORIZON) != 0)
        return verdict(message, BENCH_CONTRACT_FAIL, "checker out of memory");
    size_t count = WINDOWS * HORIZON;
    double *alone = guarded_output(&fx, count), *together = guarded_output(&fx, count);
    double *other_out = guarded_output(&other, count);
    bench_error error = {0};
    run_outcome run = run_once(forecaster, context->params, &fx, alone, &error);
    int outcome = BENCH_CONTRACT_PASS;
    if (run.status != BENCH_OK)
        outcome = verdict(message, BENCH_CONTRACT_FAIL, "%s failed: %s", run.stage, error.message);
    /* Now A and B alive at once, created, fitted and used interleaved. */
    bench_model *a = NULL, *b = NULL;
    bench_rng fit_a, fit_b, predict_a, predict_b;
    bench_rng_derive(&fit_a, fx.info.seed, "fit");
    bench_rng_derive(&predict_a, fx.info.seed, "predict");
    bench_rng_derive(&fit_b, fx.info.seed, "fit");
    bench_rng_derive(&predict_b, fx.info.seed, "predict");
    int status = BENCH_OK;
    if (outcome == BENCH_CONTRACT_PASS) {
        if ((status = forecaster->create(&a, context->params, &fx.info, &error)) == BENCH_OK &&
            (status = forecaster->create(&b, context->params, &other.info, &error)) == BENCH_OK &&
            (status = forecaster->fit(b, &other.train, &fit_b, &error)) == BENCH_OK &&
            (status = forecaster->fit(a, &fx.train, &fit_a, &error)) == BENCH_OK) {
            training_access(&fx, PROT_NONE);
            training_access(&other, PROT_NONE);
            if ((status = forecaster->predict(b, &other.request, &predict_b, other_out, &error)) == BENCH_OK)
                status = forecaster->predict(a, &fx.request, &predict_a, together, &error);
        }
        if (status != BENCH_OK)
            outcome = verdict(message, BENCH_CONTRACT_FAIL, "with two live instances a call failed: %s",
                              error.message);
        else if (memcmp(alone, together, count * sizeof *alone) != 0)
            outcome = verdict(message, BENCH_CONTRACT_FAIL,
                              "forecasts of instance A change when instance B (other data) is alive: global state");
        else
            outcome = verdict(message, BENCH_CONTRACT_PASS, "instances independent");
    }
    forecaster->destroy(a);
    forecaster->destroy(b);
    arena_free(&fx.memory);
    arena_free(&other.memory);
    return outcome;
}

static int check_save_load(check_message *message, const check_context *context)
{
    const bench_forecaster *forecaster = context->forecaster;
    if (forecaster->save == NULL || forecaster->load == NULL)
        return verdict(message, BENCH_CONTRACT_SKIP, "%s not provided",
                       forecaster->save == NULL && forecaster->load == NULL ? "save and load"
                       : forecaster->save == NULL                           ? "save (load is)"
                                                                            : "load (save is)");
    fixture fx;
    if (fixture_build(&fx, DATA_SEASONAL, HORIZON) != 0)
        return verdict(message, BENCH_CONTRACT_FAIL, "checker out of memory");
    size_t count = WINDOWS * HORIZON;
    double *before = guarded_output(&fx, count), *after = guarded_output(&fx, count);
    /* A private directory per check: a model may save a file or a directory
     * (gbrt keeps one booster per horizon step), and a predictable name could
     * meet what an earlier run or another user left there. */
    char directory[4096], path[4200];
    snprintf(directory, sizeof directory, "%s/bench-contract-XXXXXX", context->scratch_dir);
    if (mkdtemp(directory) == NULL) {
        arena_free(&fx.memory);
        return verdict(message, BENCH_CONTRACT_FAIL, "cannot create a scratch directory in %s: %s",
                       context->scratch_dir, strerror(errno));
    }
    snprintf(path, sizeof path, "%s/model", directory);
    bench_error error = {0};
    bench_model *model = NULL, *loaded = NULL;
    bench_rng fit_rng, predict_rng, predict_again;
    bench_rng_derive(&fit_rng, fx.info.seed, "fit");
    bench_rng_derive(&predict_rng, fx.info.seed, "predict");
    bench_rng_derive(&predict_again, fx.info.seed, "predict");
    int status, outcome;
    const char *stage = "create";
    if ((status = forecaster->create(&model, context->params, &fx.info, &error)) == BENCH_OK &&
        (stage = "fit", status = forecaster->fit(model, &fx.train, &fit_rng, &error)) == BENCH_OK &&
        (stage = "predict", training_access(&fx, PROT_NONE),
         status = forecaster->predict(model, &fx.request, &predict_rng, before, &error)) ==
            BENCH_OK &&
        (stage = "save", status = forecaster->save(model, path, &error)) == BENCH_OK &&
        (stage = "load", status = forecaster->load(&loaded, path, context->params, &fx.info, &error)) == BENCH_OK)
        stage = "predict after load",
        status = forecaster->predict(loaded, &fx.request, &predict_again, after, &error);
    if (status != BENCH_OK)
        outcome = verdict(message, BENCH_CONTRACT_FAIL, "%s failed: %s", stage, error.message);
    else if (memcmp(before, after, count * sizeof *before) != 0)
        outcome = verdict(message, BENCH_CONTRACT_FAIL, "forecasts after save → load differ from the original's");
    else
        outcome = verdict(message, BENCH_CONTRACT_PASS, "round trip gives identical forecasts");
    forecaster->destroy(model);
    forecaster->destroy(loaded);
    bench_remove_tree(directory);
    arena_free(&fx.memory);
    return outcome;
}

static int check_predict_samples(check_message *message, const check_context *context)
{
    const bench_forecaster *forecaster = context->forecaster;
    if (forecaster->predict_samples == NULL)
        return verdict(message, BENCH_CONTRACT_SKIP, "predict_samples not provided");
    fixture fx;
    if (fixture_build(&fx, DATA_SEASONAL, HORIZON) != 0)
        return verdict(message, BENCH_CONTRACT_FAIL, "checker out of memory");
    size_t count = WINDOWS * SAMPLES * HORIZON;
    double *out = guarded_output(&fx, count);
    bench_error error = {0};
    bench_model *model = NULL;
    bench_rng fit_rng, predict_rng;
    bench_rng_derive(&fit_rng, fx.info.seed, "fit");
    bench_rng_derive(&predict_rng, fx.info.seed, "predict");
    int status, outcome;
    if ((status = forecaster->create(&model, context->params, &fx.info, &error)) == BENCH_OK &&
        (status = forecaster->fit(model, &fx.train, &fit_rng, &error)) == BENCH_OK)
        status = forecaster->predict_samples(model, &fx.request, SAMPLES, &predict_rng, out, &error);
    if (status != BENCH_OK)
        outcome = verdict(message, BENCH_CONTRACT_FAIL, "failed: %s", error.message);
    else if (outputs_valid(message, &fx, out, count, "predict_samples"))
        outcome = verdict(message, BENCH_CONTRACT_PASS, "%d windows × %d samples × %d steps, all finite", WINDOWS,
                          SAMPLES, HORIZON);
    else
        outcome = message->outcome;
    forecaster->destroy(model);
    arena_free(&fx.memory);
    return outcome;
}

/* ---- Checks that need no child ------------------------------------------------- */

/* A one-section config held in memory, for bench_resolve_params. */
typedef struct {
    bench_config_section section;
    bench_config_entry entries[128];
} memory_section;

static void memory_section_init(memory_section *memory)
{
    memset(memory, 0, sizeof *memory);
    memory->section.kind = "model";
    memory->section.label = "contract";
    memory->section.entries = memory->entries;
}

static int memory_section_add(memory_section *memory, const char *key, const char *value)
{
    if (memory->section.entry_count == sizeof memory->entries / sizeof memory->entries[0])
        return -1;
    bench_config_entry *entry = &memory->entries[memory->section.entry_count++];
    entry->key = (char *)key;
    entry->value = (char *)value;
    entry->line = memory->section.entry_count;
    return 0;
}

static int check_schema(check_message *message, const bench_forecaster *forecaster)
{
    bench_error error = {0};
    if (bench_forecaster_check(forecaster, "forecaster", &error) != BENCH_OK)
        return verdict(message, BENCH_CONTRACT_FAIL, "%s", error.message);
    memory_section section;
    memory_section_init(&section);
    for (size_t i = 0; i < forecaster->param_count; i++) {
        const bench_param_spec *spec = &forecaster->params[i];
        if (spec->default_value == NULL)
            return verdict(message, BENCH_CONTRACT_FAIL, "parameter '%s' has no default value", spec->name);
        for (size_t j = 0; j < i; j++)
            if (strcmp(forecaster->params[j].name, spec->name) == 0)
                return verdict(message, BENCH_CONTRACT_FAIL, "parameter '%s' is declared twice", spec->name);
        if (memory_section_add(&section, spec->name, spec->default_value) != 0)
            return verdict(message, BENCH_CONTRACT_FAIL, "more than 128 parameters");
    }
    bench_owned_params resolved;
    int status = bench_resolve_params(&resolved, forecaster->params, forecaster->param_count, &section.section,
                                      "defaults", forecaster->name, &error);
    bench_owned_params_free(&resolved);
    if (status != BENCH_OK)
        return verdict(message, BENCH_CONTRACT_FAIL, "a default violates its own schema: %s", error.message);
    return verdict(message, BENCH_CONTRACT_PASS, "%zu parameters, every default valid", forecaster->param_count);
}

static int check_unknown_parameter(check_message *message, const bench_forecaster *forecaster)
{
    memory_section section;
    memory_section_init(&section);
    memory_section_add(&section, "no_such_parameter_for_the_contract", "1");
    bench_owned_params resolved;
    bench_error error = {0};
    int status = bench_resolve_params(&resolved, forecaster->params, forecaster->param_count, &section.section,
                                      "config.ini", forecaster->name, &error);
    bench_owned_params_free(&resolved);
    if (status != BENCH_BAD_INPUT || strstr(error.message, "no_such_parameter_for_the_contract") == NULL)
        return verdict(message, BENCH_CONTRACT_FAIL, "an unknown parameter name was not refused by name");
    return verdict(message, BENCH_CONTRACT_PASS, "refused: %s", error.message);
}

/* ---- Driver ------------------------------------------------------------------------ */

typedef int (*child_check)(check_message *message, const check_context *context);

static const struct {
    const char *name;
    child_check run;       /* NULL: schema checks run in the parent */
    int twice;             /* run in two processes and compare hashes */
} checks[] = {
    {"schema", NULL, 0},
    {"unknown_parameter", NULL, 0},
    {"fit_predict", check_fit_predict, 0},
    {"destroy_null", check_destroy_null, 0},
    {"determinism", check_determinism, 1},
    {"horizon_1", check_horizon_1, 0},
    {"horizon_long", check_horizon_long, 0},
    {"horizon_0", check_horizon_0, 0},
    {"constant_series", check_constant, 0},
    {"short_series", check_short, 0},
    {"two_instances", check_two_instances, 0},
    {"save_load", check_save_load, 0},
    {"predict_samples", check_predict_samples, 0},
};

/* In a check's child process only: a SIGSEGV/SIGBUS handler reports the crash
 * through the pipe with a prepared message (formatting is not signal-safe), so
 * the explanation survives sanitizers that would turn the fault into an abort. */
static check_message crash_report[2];
static int crash_channel = -1;
static char crash_stack[65536];

static void on_crash(int signal_number)
{
    const check_message *report = &crash_report[signal_number == SIGBUS];
    ssize_t written = write(crash_channel, report, sizeof *report);
    _exit(written == (ssize_t)sizeof *report ? 4 : 3);
}

static void report_crashes_to(int channel)
{
    static const char explanation[] =
        ": a write past the output buffer or into a read-only input view, a read past a window's history (its "
        "future), a training view used after fit returned, or a bad pointer";
    verdict(&crash_report[0], BENCH_CONTRACT_FAIL, "crashed (%s)%s", strsignal(SIGSEGV), explanation);
    verdict(&crash_report[1], BENCH_CONTRACT_FAIL, "crashed (%s)%s", strsignal(SIGBUS), explanation);
    crash_channel = channel;
    stack_t alternate = {.ss_sp = crash_stack, .ss_size = sizeof crash_stack};
    sigaltstack(&alternate, NULL); /* a stack overflow must still report */
    struct sigaction action = {.sa_handler = on_crash, .sa_flags = SA_ONSTACK};
    sigemptyset(&action.sa_mask);
    sigaction(SIGSEGV, &action, NULL);
    sigaction(SIGBUS, &action, NULL);
}

/* What a check's child needs: the check, its data and its time limit. */
typedef struct child_job {
    child_check run;
    const check_context *context;
    unsigned timeout;
} child_job;

/* In the child: the check under an alarm, a crash handler that reports on fd,
 * and one thread; its verdict written to fd.  Exit 0 when the verdict is
 * written whole. */
static int check_in_child(void *job_, int fd)
{
    const child_job *job = job_;
    signal(SIGALRM, SIG_DFL);
    alarm(job->timeout);
    report_crashes_to(fd);
    nn_set_threads(1); /* as the harness does for a cell with threads = 1 */
    check_message result = {0};
    job->run(&result, job->context);
    ssize_t written = write(fd, &result, sizeof result);
    return written == (ssize_t)sizeof result ? 0 : 3;
}

static int run_in_child(check_message *message, child_check run, const check_context *context, unsigned timeout,
                        bench_error *error)
{
    child_job job = {.run = run, .context = context, .timeout = timeout};
    memset(message, 0, sizeof *message);
    size_t got = 0;
    int wait_status = 0;
    if (bench_child_answer(check_in_child, &job, message, sizeof *message, &got, &wait_status, error) != BENCH_OK)
        return error->code;
    /* Exit 0: the check's verdict; exit 4: the crash handler's report. */
    if (got == sizeof *message && WIFEXITED(wait_status) &&
        (WEXITSTATUS(wait_status) == 0 || WEXITSTATUS(wait_status) == 4)) {
        message->detail[sizeof message->detail - 1] = '\0';
        return BENCH_OK;
    }
    memset(message, 0, sizeof *message);
    if (WIFSIGNALED(wait_status) && WTERMSIG(wait_status) == SIGALRM)
        verdict(message, BENCH_CONTRACT_FAIL, "timed out after %u s", timeout);
    else if (WIFSIGNALED(wait_status) &&
             (WTERMSIG(wait_status) == SIGSEGV || WTERMSIG(wait_status) == SIGBUS))
        verdict(message, BENCH_CONTRACT_FAIL,
                "crashed (%s): a write past the output buffer or into a read-only input view, a read past a "
                "window's history (its future), a training view used after fit returned, or a bad pointer",
                strsignal(WTERMSIG(wait_status)));
    else if (WIFSIGNALED(wait_status))
        verdict(message, BENCH_CONTRACT_FAIL, "crashed (%s)%s", strsignal(WTERMSIG(wait_status)),
                WTERMSIG(wait_status) == SIGABRT ? "; under a sanitizer, its report above names the fault" : "");
    else
        verdict(message, BENCH_CONTRACT_FAIL, "the check's process exited with status %d before reporting",
                WIFEXITED(wait_status) ? WEXITSTATUS(wait_status) : -1);
    return BENCH_OK;
}

int bench_contract_run(const bench_forecaster *forecaster, const bench_contract_options *options,
                       bench_contract_report report, void *context, size_t *failures, bench_error *error)
{
    *failures = 0;
    bench_contract_options defaults = {0};
    if (options == NULL)
        options = &defaults;
    unsigned timeout = options->timeout_seconds ? options->timeout_seconds : 120;
    const char *scratch = options->scratch_dir ? options->scratch_dir : getenv("TMPDIR");
    if (scratch == NULL || scratch[0] == '\0')
        scratch = "/tmp";

    check_message message = {0};
    /* The schema must hold before anything calls into the model. */
    int schema = check_schema(&message, forecaster);
    report(context, "schema", schema, message.detail);
    if (schema == BENCH_CONTRACT_FAIL) {
        *failures = 1;
        return BENCH_OK;
    }
    memory_section section;
    memory_section_init(&section);
    for (size_t i = 0; i < options->param_count; i++)
        if (memory_section_add(&section, options->param_names[i], options->param_values[i]) != 0)
            return BENCH_FAIL(error, BENCH_BAD_INPUT, "more than 128 parameter overrides");
    bench_owned_params params;
    char owner[160];
    snprintf(owner, sizeof owner, "model %s", forecaster->name);
    if (bench_resolve_params(&params, forecaster->params, forecaster->param_count, &section.section, "--param",
                             owner, error) != BENCH_OK) {
        bench_owned_params_free(&params);
        return error->code;
    }
    check_context check = {.forecaster = forecaster, .params = &params.view, .scratch_dir = scratch};
    int status = BENCH_OK;
    for (size_t c = 1; c < sizeof checks / sizeof checks[0] && status == BENCH_OK; c++) {
        memset(&message, 0, sizeof message);
        if (checks[c].run == NULL)
            check_unknown_parameter(&message, forecaster);
        else
            status = run_in_child(&message, checks[c].run, &check, timeout, error);
        if (status == BENCH_OK && checks[c].twice && message.outcome == BENCH_CONTRACT_PASS) {
            check_message again;
            status = run_in_child(&again, checks[c].run, &check, timeout, error);
            if (status == BENCH_OK && again.outcome != BENCH_CONTRACT_PASS)
                message = again;
            else if (status == BENCH_OK && again.hash != message.hash)
                verdict(&message, BENCH_CONTRACT_FAIL,
                        "forecasts differ between two processes with the same seed (clock, address or "
                        "uninitialised memory used as randomness?)");
            else if (status == BENCH_OK)
                verdict(&message, BENCH_CONTRACT_PASS, "bit-identical within a process and across two");
        }
        if (status != BENCH_OK)
            break;
        if (message.outcome == BENCH_CONTRACT_FAIL)
            (*failures)++;
        report(context, checks[c].name, message.outcome, message.detail);
    }
    bench_owned_params_free(&params);
    return status;
}
