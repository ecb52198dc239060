/* gbrt: the window-based gradient-boosted regression trees of Elsayed et al.,
 * "Do We Really Need Deep Learning Models for Time Series Forecasting?"
 * (arXiv 2101.02118; reference §1), on the XGBoost 1.7 C API.
 *
 * - Features: window_features.h (w past targets + covariates of the last step).
 * - Direct multi-step strategy: h independent boosters, booster k predicts step
 *   t+1+k, trained one after another on ONE shared DMatrix whose label is swapped
 *   per booster (XGDMatrixSetFloatInfo), as MultiOutputRegressor(XGBRegressor) does.
 * - tree_method=exact (the default tree method of the paper's era for data this
 *   size): the feature matrix is built once into one contiguous float buffer,
 *   handed to XGDMatrixCreateFromMat_omp and freed as soon as XGBoost holds its
 *   copy.  tree_method=hist: XGQuantileDMatrixCreateFromCallback pulls the same
 *   rows in 64k-row chunks built into one reused buffer, so XGBoost keeps only its
 *   quantised index (≈ 1 byte a cell) and bench never holds a full float copy.
 * - After training, each booster is reloaded from its serialised trees, dropping
 *   the training state XGBoost would otherwise keep per booster.
 * - Presets: the official scripts' final hyper-parameters (reference §1.9).  A
 *   preset fills only the parameters left at "auto"; an explicit value always
 *   wins, so `preset = exchange` + `eta = 0.1` trains the exchange setting with
 *   eta 0.1.  Parameters a preset does not cover use XGBoost's defaults.
 * - Validation: bench's schema below names every accepted parameter and its range
 *   (XGBoost 1.7 silently accepts unknown names); create() then runs one boosting
 *   round on a one-row matrix so that a value XGBoost itself rejects fails before
 *   any output exists, with XGBGetLastError()'s text.
 * - Early stopping (early_stopping_rounds > 0): on the view's validation part
 *   [train_length, length), RMSE after each round; each booster keeps its best
 *   round count (XGBoosterSlice).  Off when the protocol provides no validation part.
 *
 * gbrt_naive: the paper's GBRT(Naive) baseline — one booster regressing y_t on the
 * concurrent covariates x_t (no lags), used for every horizon step. */
#include "forecasters/gbrt.h"

#include <math.h>
#include <stdatomic.h>
#include <stdint.h>
#include <stdio.h>
#include <stdlib.h>
#include <string.h>

#include <jansson.h>
#include <xgboost/c_api.h>

#include "forecasters/gbrt_model_io.h"
#include "forecasters/registry.h"
#include "forecasters/window_features.h"
#include "nn/team.h"

/* XGBoost's last error, first line only, in a buffer living to the end of the
 * enclosing block (a compound literal). */
#define XGB_ERROR() bench_xgb_last_error((char[512]){0}, 512)

typedef struct gbrt_preset {
    const char *name;
    double eta;
    long n_estimators, max_depth;
    double subsample, colsample_bytree, min_child_weight, gamma;
} gbrt_preset;

/* "none" holds XGBRegressor's defaults (1.7: 100 rounds, eta 0.3, depth 6). */
static const gbrt_preset presets[] = {
    {"none", 0.3, 100, 6, 1.0, 1.0, 1.0, 0.0},
    {"exchange", 0.07, 80, 3, 0.97, 0.97, 1.0, 0.0},
    {"electricity", 0.2, 150, 8, 0.8, 0.8, 1.0, 0.0},
    {"traffic", 0.2, 800, 8, 0.8, 0.8, 1.0, 0.0},
    {"solar", 0.06, 300, 6, 0.97, 0.97, 1.0, 0.0},
    {"pemsd7", 0.045, 150, 8, 0.8, 0.8, 1.0, 0.0},
};

#define PRESET_CHOICES "none|exchange|electricity|traffic|solar|pemsd7"

/* Shared by both schemas; gbrt adds window and covariates at the end. */
#define GBRT_COMMON_PARAMS                                                                                         \
    {.name = "preset", .type = BENCH_PARAM_STRING, .default_value = "none", .choices = PRESET_CHOICES,             \
     .doc = "official-script hyper-parameters filling every parameter left at auto (explicit values win)"},       \
    {.name = "eta", .type = BENCH_PARAM_STRING, .default_value = "auto", .minimum = 0, .maximum = 1,              \
     .doc = "learning rate in (0, 1]; auto: the preset's, else 0.3"},                                              \
    {.name = "n_estimators", .type = BENCH_PARAM_STRING, .default_value = "auto", .minimum = 1,                   \
     .maximum = 100000, .doc = "boosting rounds per booster; auto: the preset's, else 100"},                      \
    {.name = "max_depth", .type = BENCH_PARAM_STRING, .default_value = "auto", .minimum = 0, .maximum = 64,       \
     .doc = "maximum tree depth in [0, 64] (0: unlimited, hist only); auto: the preset's, else 6"},               \
    {.name = "subsample", .type = BENCH_PARAM_STRING, .default_value = "auto", .minimum = 0, .maximum = 1,        \
     .doc = "row fraction per tree in (0, 1]; auto: the preset's, else 1"},                                        \
    {.name = "colsample_bytree", .type = BENCH_PARAM_STRING, .default_value = "auto", .minimum = 0,               \
     .maximum = 1, .doc = "column fraction per tree in (0, 1]; auto: the preset's, else 1"},                      \
    {.name = "min_child_weight", .type = BENCH_PARAM_STRING, .default_value = "auto", .minimum = 0,               \
     .maximum = 1e9, .doc = "minimum hessian sum in a leaf, >= 0; auto: the preset's, else 1"},                   \
    {.name = "gamma", .type = BENCH_PARAM_STRING, .default_value = "auto", .minimum = 0, .maximum = 1e9,          \
     .doc = "minimum loss reduction to split, >= 0; auto: the preset's, else 0"},                                  \
    {.name = "lambda", .type = BENCH_PARAM_REAL, .default_value = "1", .minimum = 0, .maximum = 1e9,              \
     .doc = "L2 penalty on leaf weights"},                                                                         \
    {.name = "alpha", .type = BENCH_PARAM_REAL, .default_value = "0", .minimum = 0, .maximum = 1e9,               \
     .doc = "L1 penalty on leaf weights"},                                                                         \
    {.name = "tree_method", .type = BENCH_PARAM_STRING, .default_value = "exact", .choices = "exact|hist",       \
     .doc = "exact (the paper's era) or hist (max_bin-bin histograms, far less memory and time)"},                 \
    {.name = "max_bin", .type = BENCH_PARAM_INT, .default_value = "256", .minimum = 2, .maximum = 65536,          \
     .doc = "histogram bins per feature with tree_method = hist (the quantile matrix and the booster alike)"},   \
    {.name = "seed", .type = BENCH_PARAM_INT, .default_value = "-1", .minimum = -1, .maximum = 2147483647,        \
     .doc = "XGBoost's seed (row/column sampling); -1: derived from the cell's seed"},                            \
    {.name = "early_stopping_rounds", .type = BENCH_PARAM_INT, .default_value = "0", .minimum = 0,                \
     .maximum = 100000,                                                                                            \
     .doc = "stop a booster after this many rounds without validation-RMSE gain (0: off; needs a validation part)"}

static const bench_param_spec gbrt_params[] = {
    GBRT_COMMON_PARAMS,
    BENCH_WINDOW_PARAMS("covariates of the last window step (the paper), of all w steps, or none",
                        "each window and its labels relative to the window's last value, mean, or mean and std; "
                        "none: the paper's raw windows; auto: the best of the four on the validation part"),
};

static const bench_param_spec gbrt_naive_params[] = {GBRT_COMMON_PARAMS};

typedef struct gbrt_settings {
    const char *preset;
    double eta, subsample, colsample_bytree, min_child_weight, gamma, lambda, alpha;
    long n_estimators, max_depth, seed, early_stopping_rounds, window, max_bin;
    const char *tree_method;   /* "exact" | "hist" (static) */
    int concurrent_boosters;   /* hist: boosters side by side when threads > 1 */
    bench_window_covariates covariates;
    bench_window_norm window_norm;  /* NONE for gbrt_naive, which has no window */
} gbrt_settings;

struct bench_model {
    int naive;
    gbrt_settings settings;
    bench_window_layout layout;
    unsigned threads;
    size_t booster_count;
    BoosterHandle *boosters; /* (booster_count), NULL before fit()/load() */
    long *rounds;            /* (booster_count) boosting rounds kept per booster */
};

/* ---- parameters ------------------------------------------------------------- */

/* An "auto"-able number: preset_value when the text is "auto", else a finite
 * number in [low, high] (excluding low when low_open); with `integer`, a decimal
 * integer (read as a long; its range message prints it as one). */
static int auto_number(const bench_params *params, const char *name, int integer, double preset_value, double low,
                       int low_open, double high, double *out, bench_error *error)
{
    const char *text;
    int status = bench_params_get_string(params, name, &text, error);
    if (status != BENCH_OK)
        return status;
    if (strcmp(text, "auto") == 0) {
        *out = preset_value;
        return BENCH_OK;
    }
    char *end;
    long whole = integer ? strtol(text, &end, 10) : 0;
    double value = integer ? (double)whole : strtod(text, &end);
    if (end == text || *end != '\0' || !isfinite(value))
        return BENCH_FAIL(error, BENCH_BAD_INPUT, "parameter '%s': '%s' is neither auto nor %s", name, text,
                          integer ? "an integer" : "a number");
    if (value > high || value < low || (low_open && value == low)) {
        if (integer)
            return BENCH_FAIL(error, BENCH_BAD_INPUT, "parameter '%s': %ld is outside [%ld, %ld]", name, whole,
                              (long)low, (long)high);
        return BENCH_FAIL(error, BENCH_BAD_INPUT, "parameter '%s': %s is outside %s%g, %g]", name, text,
                          low_open ? "(" : "[", low, high);
    }
    *out = value;
    return BENCH_OK;
}

static int auto_real(const bench_params *params, const char *name, double preset_value, double low, int low_open,
                     double high, double *out, bench_error *error)
{
    return auto_number(params, name, 0, preset_value, low, low_open, high, out, error);
}

static int auto_int(const bench_params *params, const char *name, long preset_value, long low, long high,
                    long *out, bench_error *error)
{
    double value;
    int status = auto_number(params, name, 1, (double)preset_value, (double)low, 0, (double)high, &value, error);
    if (status == BENCH_OK)
        *out = (long)value;
    return status;
}

static int read_settings(gbrt_settings *settings, const bench_params *params, int naive, const bench_task_info *task,
                         bench_error *error)
{
    memset(settings, 0, sizeof *settings);
    const char *preset_name, *tree_method, *covariates = "last";
    int status = bench_params_get_string(params, "preset", &preset_name, error);
    if (status != BENCH_OK)
        return status;
    const gbrt_preset *preset = NULL;
    for (size_t i = 0; i < sizeof presets / sizeof presets[0]; i++)
        if (strcmp(presets[i].name, preset_name) == 0)
            preset = &presets[i];
    if (preset == NULL)
        return BENCH_FAIL(error, BENCH_BAD_INPUT, "parameter 'preset': unknown preset '%s' (known: %s)", preset_name,
                          "none, exchange, electricity, traffic, solar, pemsd7");
    settings->preset = preset->name;
    long seed;
    if ((status = auto_real(params, "eta", preset->eta, 0, 1, 1, &settings->eta, error)) ||
        (status = auto_int(params, "n_estimators", preset->n_estimators, 1, 100000, &settings->n_estimators,
                           error)) ||
        (status = auto_int(params, "max_depth", preset->max_depth, 0, 64, &settings->max_depth, error)) ||
        (status = auto_real(params, "subsample", preset->subsample, 0, 1, 1, &settings->subsample, error)) ||
        (status = auto_real(params, "colsample_bytree", preset->colsample_bytree, 0, 1, 1,
                            &settings->colsample_bytree, error)) ||
        (status = auto_real(params, "min_child_weight", preset->min_child_weight, 0, 0, 1e9,
                            &settings->min_child_weight, error)) ||
        (status = auto_real(params, "gamma", preset->gamma, 0, 0, 1e9, &settings->gamma, error)) ||
        (status = bench_params_get_real(params, "lambda", &settings->lambda, error)) ||
        (status = bench_params_get_real(params, "alpha", &settings->alpha, error)) ||
        (status = bench_params_get_string(params, "tree_method", &tree_method, error)) ||
        (status = bench_params_get_int(params, "seed", &seed, error)) ||
        (status = bench_params_get_int(params, "early_stopping_rounds", &settings->early_stopping_rounds, error)) ||
        (status = bench_params_get_int(params, "max_bin", &settings->max_bin, error)))
        return status;
    /* hist with more than one thread trains its boosters side by side (see
     * train_boosters_concurrently): 11-18% faster, measured, and the same trees.
     * Not a parameter: it does not change results, and a parameter would enter
     * every gbrt cell's id.  exact keeps one booster at a time: its copies of the
     * matrix are floats, 8 bytes a cell, for 3-15%. */
    settings->concurrent_boosters = strcmp(tree_method, "hist") == 0;
    const char *window_norm = "none";
    if (!naive && ((status = bench_params_get_int(params, "window", &settings->window, error)) ||
                   (status = bench_params_get_string(params, "covariates", &covariates, error)) ||
                   (status = bench_params_get_string(params, "window_norm", &window_norm, error))))
        return status;
    if ((status = bench_window_parse_norm(window_norm, &settings->window_norm, error)) != BENCH_OK)
        return bench_error_prefix(error, "parameter ");
    if (strcmp(tree_method, "exact") == 0)
        settings->tree_method = "exact";
    else if (strcmp(tree_method, "hist") == 0)
        settings->tree_method = "hist";
    else
        return BENCH_FAIL(error, BENCH_BAD_INPUT, "parameter 'tree_method': '%s' is not one of exact, hist",
                          tree_method);
    if (settings->lambda < 0 || settings->alpha < 0)
        return BENCH_FAIL(error, BENCH_BAD_INPUT, "parameters 'lambda' and 'alpha' must be >= 0");
    if (settings->early_stopping_rounds < 0)
        return BENCH_FAIL(error, BENCH_BAD_INPUT, "parameter 'early_stopping_rounds' must be >= 0");
    if (seed < -1 || seed > INT32_MAX)
        return BENCH_FAIL(error, BENCH_BAD_INPUT, "parameter 'seed': %ld is outside [-1, %d]", seed, INT32_MAX);
    settings->seed = seed >= 0 ? seed : (long)(task->seed % 2147483647u);
    status = bench_window_parse_covariates(covariates, &settings->covariates, error);
    if (status != BENCH_OK)
        return bench_error_prefix(error, "parameter ");
    if (!naive && settings->window == 0) {
        if (task->lookback == 0)
            return BENCH_FAIL(error, BENCH_BAD_INPUT,
                              "parameter 'window': the protocol gives no lookback, set window >= 1");
        settings->window = (long)task->lookback;
    }
    if (settings->window < 0)
        return BENCH_FAIL(error, BENCH_BAD_INPUT, "parameter 'window' must be at least 1, got %ld", settings->window);
    return BENCH_OK;
}

/* ---- XGBoost plumbing --------------------------------------------------------- */

static int xgb_failed(bench_error *error, int code, const char *what)
{
    return BENCH_FAIL(error, code, "gbrt: XGBoost %s: %s", what, XGB_ERROR());
}

static int set_booster_params(BoosterHandle booster, const gbrt_settings *settings, unsigned threads,
                              bench_error *error)
{
    char values[11][64];
    const char *names[11] = {"eta", "max_depth", "subsample", "colsample_bytree", "min_child_weight", "gamma",
                             "lambda", "alpha", "seed", "nthread", "verbosity"};
    snprintf(values[0], 64, "%.17g", settings->eta);
    snprintf(values[1], 64, "%ld", settings->max_depth);
    snprintf(values[2], 64, "%.17g", settings->subsample);
    snprintf(values[3], 64, "%.17g", settings->colsample_bytree);
    snprintf(values[4], 64, "%.17g", settings->min_child_weight);
    snprintf(values[5], 64, "%.17g", settings->gamma);
    snprintf(values[6], 64, "%.17g", settings->lambda);
    snprintf(values[7], 64, "%.17g", settings->alpha);
    snprintf(values[8], 64, "%ld", settings->seed);
    snprintf(values[9], 64, "%u", threads > 0 ? threads : 1);
    snprintf(values[10], 64, "0"); /* library code stays silent */
    if (XGBoosterSetParam(booster, "objective", "reg:squarederror") != 0 ||
        XGBoosterSetParam(booster, "tree_method", settings->tree_method) != 0)
        return xgb_failed(error, BENCH_BAD_INPUT, "rejected a parameter");
    /* The booster's max_bin must equal the quantile matrix's, or XGBoost refuses
     * the matrix (hist only: exact has no bins). */
    char max_bin[32];
    snprintf(max_bin, sizeof max_bin, "%ld", settings->max_bin);
    if (strcmp(settings->tree_method, "hist") == 0 && XGBoosterSetParam(booster, "max_bin", max_bin) != 0)
        return xgb_failed(error, BENCH_BAD_INPUT, "rejected max_bin");
    for (size_t i = 0; i < 11; i++)
        if (XGBoosterSetParam(booster, names[i], values[i]) != 0)
            return BENCH_FAIL(error, BENCH_BAD_INPUT, "gbrt: XGBoost rejected %s = %s: %s", names[i], values[i],
                              XGB_ERROR());
    return BENCH_OK;
}

/* tree_method=hist: XGQuantileDMatrixCreateFromCallback pulls the training rows
 * in chunks of QUANTILE_CHUNK_ROWS (twice: once to sketch quantiles, once to
 * build its 1-byte-per-cell index), each built into one reused contiguous buffer,
 * so bench's full float matrix never coexists with XGBoost's copy. */
#define QUANTILE_CHUNK_ROWS 65536

typedef struct chunk_source {
    DMatrixHandle proxy;
    const bench_window_layout *layout;
    const bench_train_view *train;
    const bench_window_plan *plan;
    float *chunk;        /* (QUANTILE_CHUNK_ROWS × feature_count) */
    size_t next_row;
} chunk_source;

static int chunk_source_next(DataIterHandle handle)
{
    chunk_source *source = handle;
    if (source->next_row >= source->plan->count)
        return 0;
    bench_window_plan part = *source->plan;
    part.origins = source->plan->origins + source->next_row;
    part.count = source->plan->count - source->next_row;
    if (part.count > QUANTILE_CHUNK_ROWS)
        part.count = QUANTILE_CHUNK_ROWS;
    bench_window_fill_features(source->chunk, source->layout, source->train, &part);
    source->next_row += part.count;
    char interface[256];
    snprintf(interface, sizeof interface,
             "{\"data\": [%llu, true], \"shape\": [%zu, %zu], \"typestr\": \"<f4\", \"version\": 3}",
             (unsigned long long)(uintptr_t)source->chunk, part.count, source->layout->feature_count);
    return XGProxyDMatrixSetDataDense(source->proxy, interface) == 0 ? 1 : -1;
}

static void chunk_source_reset(DataIterHandle handle)
{
    ((chunk_source *)handle)->next_row = 0;
}

static int quantile_dmatrix(DMatrixHandle *out, const bench_window_layout *layout, const bench_train_view *train,
                            const bench_window_plan *plan, unsigned threads, long max_bin, bench_error *error)
{
    *out = NULL;
    chunk_source source = {.layout = layout, .train = train, .plan = plan};
    source.chunk = malloc(QUANTILE_CHUNK_ROWS * layout->feature_count * sizeof *source.chunk);
    if (source.chunk == NULL)
        return BENCH_FAIL(error, BENCH_NO_MEMORY, "gbrt: no memory for a feature chunk");
    if (XGProxyDMatrixCreate(&source.proxy) != 0) {
        free(source.chunk);
        return xgb_failed(error, BENCH_MODEL, "could not create a proxy matrix");
    }
    char config[128];
    snprintf(config, sizeof config, "{\"missing\": NaN, \"nthread\": %u, \"max_bin\": %ld}", threads, max_bin);
    int failed = XGQuantileDMatrixCreateFromCallback(&source, source.proxy, NULL, chunk_source_reset,
                                                     chunk_source_next, config, out) != 0;
    int status = failed ? xgb_failed(error, BENCH_MODEL, "could not build the quantile matrix") : BENCH_OK;
    XGDMatrixFree(source.proxy);
    free(source.chunk);
    return status;
}

/* create() probe: one boosting round on a one-row matrix, so a value XGBoost
 * rejects (it checks them only at the first update) fails before any output. */
static int trial_update(const gbrt_settings *settings, size_t feature_count, unsigned threads, bench_error *error)
{
    float *row = calloc(feature_count, sizeof *row);
    if (row == NULL)
        return BENCH_FAIL(error, BENCH_NO_MEMORY, "gbrt: no memory");
    float label = 0.0f;
    DMatrixHandle matrix = NULL;
    BoosterHandle booster = NULL;
    int status = BENCH_OK;
    if (XGDMatrixCreateFromMat(row, 1, (bst_ulong)feature_count, NAN, &matrix) != 0 ||
        XGDMatrixSetFloatInfo(matrix, "label", &label, 1) != 0 || XGBoosterCreate(&matrix, 1, &booster) != 0)
        status = xgb_failed(error, BENCH_MODEL, "could not set up the parameter check");
    if (status == BENCH_OK)
        status = set_booster_params(booster, settings, threads, error);
    if (status == BENCH_OK && XGBoosterUpdateOneIter(booster, 0, matrix) != 0)
        status = BENCH_FAIL(error, BENCH_BAD_INPUT, "gbrt: XGBoost rejected the parameters: %s",
                            XGB_ERROR());
    if (booster != NULL)
        XGBoosterFree(booster);
    if (matrix != NULL)
        XGDMatrixFree(matrix);
    free(row);
    return status;
}

/* ---- vtable ------------------------------------------------------------------- */

static void gbrt_destroy(bench_model *model)
{
    if (model == NULL)
        return;
    for (size_t i = 0; model->boosters != NULL && i < model->booster_count; i++)
        if (model->boosters[i] != NULL)
            XGBoosterFree(model->boosters[i]);
    free(model->boosters);
    free(model->rounds);
    free(model);
}

static int make_layout(bench_model *model, const bench_task_info *task, bench_error *error)
{
    if (model->naive)
        return bench_window_layout_pointwise(&model->layout, task->covariate_count, error);
    int status = bench_window_layout_init(&model->layout, model->settings.window, (long)task->horizon,
                                          task->covariate_count, model->settings.covariates, error);
    if (status != BENCH_OK || model->settings.window_norm == BENCH_WINDOW_NORM_AUTO)
        return status; /* auto: each fit sets the layout's normalisation */
    return bench_window_layout_set_norm(&model->layout, model->settings.window_norm, error);
}

static int create_common(bench_model **out, const bench_params *params, const bench_task_info *task, int naive,
                         int probe, bench_error *error)
{
    *out = NULL;
    bench_model *model = calloc(1, sizeof *model);
    if (model == NULL)
        return BENCH_FAIL(error, BENCH_NO_MEMORY, "gbrt: no memory");
    model->naive = naive;
    model->threads = task->threads > 0 ? task->threads : 1;
    int status = read_settings(&model->settings, params, naive, task, error);
    if (status == BENCH_OK)
        status = make_layout(model, task, error);
    if (status == BENCH_OK && probe)
        status = trial_update(&model->settings, model->layout.feature_count, model->threads, error);
    if (status != BENCH_OK) {
        gbrt_destroy(model);
        return bench_error_prefix(error, "%s: ", naive ? "gbrt_naive" : "gbrt");
    }
    *out = model;
    return BENCH_OK;
}

static int gbrt_create(bench_model **out, const bench_params *params, const bench_task_info *task, bench_error *error)
{
    return create_common(out, params, task, 0, 1, error);
}

static int gbrt_naive_create(bench_model **out, const bench_params *params, const bench_task_info *task,
                             bench_error *error)
{
    return create_common(out, params, task, 1, 1, error);
}

/* Validation RMSE from XGBoosterEvalOneIter's "[i]\tval-rmse:0.123". */
static int parse_eval(const char *text, double *rmse)
{
    const char *colon = strrchr(text, ':');
    if (colon == NULL)
        return -1;
    char *end;
    *rmse = strtod(colon + 1, &end);
    return end == colon + 1 ? -1 : 0;
}

/* Replaces a trained booster by a fresh one loaded from its serialised trees.
 * XGBoost keeps per-booster training state alive as long as the booster lives
 * (prediction cache, hist's row partitions and gradients: ~40 bytes a training
 * row for hist, measured with 1.7.4), which for h boosters on Solar-sized data is
 * gigabytes; the reloaded booster holds only the trees.  Predictions are
 * unchanged (the model format stores the trees' floats exactly). */
static int compact_booster(BoosterHandle *booster, unsigned threads, bench_error *error)
{
    bst_ulong length = 0;
    const char *bytes = NULL;
    if (XGBoosterSaveModelToBuffer(*booster, "{\"format\": \"ubj\"}", &length, &bytes) != 0)
        return xgb_failed(error, BENCH_MODEL, "could not serialise a booster");
    BoosterHandle fresh = NULL;
    char thread_text[32];
    snprintf(thread_text, sizeof thread_text, "%u", threads > 0 ? threads : 1);
    if (XGBoosterCreate(NULL, 0, &fresh) != 0 || XGBoosterLoadModelFromBuffer(fresh, bytes, length) != 0 ||
        XGBoosterSetParam(fresh, "nthread", thread_text) != 0) {
        int status = xgb_failed(error, BENCH_MODEL, "could not reload a booster");
        if (fresh != NULL)
            XGBoosterFree(fresh);
        return status;
    }
    XGBoosterFree(*booster);
    *booster = fresh;
    return BENCH_OK;
}

/* Trains booster `step` on dtrain (labels already set) with `threads` XGBoost
 * threads; early stopping on dval when dval is not NULL.  The kept booster
 * predicts with the cell's threads. */
static int train_booster(bench_model *model, size_t step, DMatrixHandle dtrain, DMatrixHandle dval,
                         unsigned threads, bench_error *error)
{
    const gbrt_settings *settings = &model->settings;
    DMatrixHandle cache[2] = {dtrain, dval};
    BoosterHandle booster = NULL;
    if (XGBoosterCreate(cache, dval != NULL ? 2 : 1, &booster) != 0)
        return xgb_failed(error, BENCH_MODEL, "could not create a booster");
    int status = set_booster_params(booster, settings, threads, error);
    double best = INFINITY;
    long best_round = 0, round = 0;
    for (; status == BENCH_OK && round < settings->n_estimators; round++) {
        if (XGBoosterUpdateOneIter(booster, (int)round, dtrain) != 0) {
            status = BENCH_FAIL(error, BENCH_MODEL, "gbrt: XGBoost failed in round %ld of booster %zu: %s", round,
                                step, XGB_ERROR());
            break;
        }
        if (dval == NULL)
            continue;
        const char *names[1] = {"val"};
        const char *report = NULL;
        double rmse;
        if (XGBoosterEvalOneIter(booster, (int)round, &dval, names, 1, &report) != 0 ||
            parse_eval(report, &rmse) != 0) {
            status = xgb_failed(error, BENCH_MODEL, "could not evaluate the validation part");
            break;
        }
        if (rmse < best) {
            best = rmse;
            best_round = round;
        } else if (round - best_round >= settings->early_stopping_rounds) {
            round++;
            break;
        }
    }
    long kept = dval != NULL ? best_round + 1 : round;
    if (status == BENCH_OK && kept < round) {
        BoosterHandle sliced = NULL;
        if (XGBoosterSlice(booster, 0, (int)kept, 1, &sliced) != 0)
            status = xgb_failed(error, BENCH_MODEL, "could not cut the booster at its best round");
        else {
            XGBoosterFree(booster);
            booster = sliced;
        }
    }
    if (status == BENCH_OK)
        status = compact_booster(&booster, model->threads, error);
    if (status != BENCH_OK) {
        XGBoosterFree(booster);
        return status;
    }
    model->boosters[step] = booster;
    model->rounds[step] = kept;
    return BENCH_OK;
}

static void release_boosters(bench_model *model)
{
    for (size_t i = 0; model->boosters != NULL && i < model->booster_count; i++)
        if (model->boosters[i] != NULL)
            XGBoosterFree(model->boosters[i]);
    free(model->boosters);
    free(model->rounds);
    model->boosters = NULL;
    model->rounds = NULL;
    model->booster_count = 0;
}

/* Builds the feature matrix of a plan and hands it to XGBoost with `threads`
 * threads.  exact: one contiguous float matrix, freed as soon as XGBoost holds
 * its copy; hist: streamed in chunks into the quantile matrix. */
static int plan_dmatrix(DMatrixHandle *out, const bench_model *model, const bench_train_view *train,
                        const bench_window_plan *plan, int quantile, unsigned threads, bench_error *error)
{
    if (quantile)
        return quantile_dmatrix(out, &model->layout, train, plan, threads, model->settings.max_bin, error);
    *out = NULL;
    size_t cells = plan->count * model->layout.feature_count;
    if (plan->count != 0 && cells / plan->count != model->layout.feature_count)
        return BENCH_FAIL(error, BENCH_NO_MEMORY, "gbrt: feature matrix size overflows");
    float *features = malloc((cells > 0 ? cells : 1) * sizeof *features);
    if (features == NULL)
        return BENCH_FAIL(error, BENCH_NO_MEMORY, "gbrt: no memory for a %zu x %zu feature matrix", plan->count,
                          model->layout.feature_count);
    bench_window_fill_features(features, &model->layout, train, plan);
    int status = BENCH_OK;
    if (XGDMatrixCreateFromMat_omp(features, (bst_ulong)plan->count, (bst_ulong)model->layout.feature_count, NAN,
                                   out, (int)threads) != 0)
        status = xgb_failed(error, BENCH_MODEL, "could not build the training matrix");
    free(features);
    return status;
}

/* Step `step`'s labels into dtrain and, when not NULL, dval; labels is scratch
 * for the larger of the two plans. */
static int set_step_labels(DMatrixHandle dtrain, DMatrixHandle dval, float *labels, const bench_model *model,
                           const bench_train_view *train, const bench_window_plan *plan,
                           const bench_window_plan *validation, size_t step, bench_error *error)
{
    bench_window_fill_labels(labels, &model->layout, train, plan, step);
    if (XGDMatrixSetFloatInfo(dtrain, "label", labels, (bst_ulong)plan->count) != 0)
        return xgb_failed(error, BENCH_MODEL, "could not set labels");
    if (dval == NULL)
        return BENCH_OK;
    bench_window_fill_labels(labels, &model->layout, train, validation, step);
    if (XGDMatrixSetFloatInfo(dval, "label", labels, (bst_ulong)validation->count) != 0)
        return xgb_failed(error, BENCH_MODEL, "could not set validation labels");
    return BENCH_OK;
}

/* hist with threads > 1: the h boosters are tasks on a team of the cell's threads.
 * Labels are per step, so each worker trains on its own copy of the matrices
 * (XGBoost reads a matrix's labels while it trains); every booster uses one
 * XGBoost thread, so the trees do not depend on which worker grew them. */
typedef struct booster_work {
    bench_model *model;
    const bench_train_view *train;
    const bench_window_plan *plan, *validation;
    DMatrixHandle *dtrain, *dval; /* (workers) */
    float *labels;                /* (workers, label_rows) */
    size_t label_rows;
    atomic_int failed;
    int *status;                  /* (workers): the worker's first failure */
    size_t *failed_step;          /* (workers) */
    bench_error *errors;          /* (workers) */
} booster_work;

static void booster_task(void *context, size_t step, size_t worker)
{
    booster_work *w = context;
    if (atomic_load(&w->failed))
        return;
    bench_model *model = w->model;
    bench_error *error = &w->errors[worker];
    int status = set_step_labels(w->dtrain[worker], w->dval[worker], w->labels + worker * w->label_rows, model,
                                 w->train, w->plan, w->validation, step, error);
    if (status == BENCH_OK)
        status = train_booster(model, step, w->dtrain[worker], w->dval[worker], 1, error);
    if (status != BENCH_OK) {
        w->status[worker] = status;
        w->failed_step[worker] = step;
        atomic_store(&w->failed, 1);
    }
}

static int train_boosters_concurrently(bench_model *model, const bench_train_view *train,
                                       const bench_window_plan *plan, const bench_window_plan *validation,
                                       int quantile, bench_error *error)
{
    nn_team *team = NULL;
    int status = nn_team_create(&team, model->threads, error);
    if (status != BENCH_OK)
        return status;
    size_t workers = nn_team_size(team);
    booster_work w = {.model = model, .train = train, .plan = plan, .validation = validation};
    w.label_rows = plan->count > validation->count ? plan->count : validation->count;
    w.dtrain = calloc(workers, sizeof *w.dtrain);
    w.dval = calloc(workers, sizeof *w.dval);
    w.labels = malloc(workers * (w.label_rows > 0 ? w.label_rows : 1) * sizeof *w.labels);
    w.status = calloc(workers, sizeof *w.status);
    w.failed_step = calloc(workers, sizeof *w.failed_step);
    w.errors = calloc(workers, sizeof *w.errors);
    atomic_init(&w.failed, 0);
    if (!w.dtrain || !w.dval || !w.labels || !w.status || !w.failed_step || !w.errors)
        status = BENCH_FAIL(error, BENCH_NO_MEMORY, "no memory for %zu booster workers", workers);
    /* Each worker's matrices, built with one thread as it trains with one. */
    for (size_t k = 0; status == BENCH_OK && k < workers; k++) {
        status = plan_dmatrix(&w.dtrain[k], model, train, plan, quantile, 1, error);
        if (status == BENCH_OK && validation->count > 0)
            status = plan_dmatrix(&w.dval[k], model, train, validation, 0, 1, error);
    }
    if (status == BENCH_OK) {
        nn_team_run(team, model->booster_count, booster_task, &w);
        /* The failure of the lowest step, as the sequential loop would report. */
        size_t first = 0;
        for (size_t k = 0; k < workers; k++)
            if (w.status[k] != BENCH_OK && (status == BENCH_OK || w.failed_step[k] < first)) {
                status = w.status[k];
                first = w.failed_step[k];
                *error = w.errors[k];
            }
    }
    for (size_t k = 0; w.dtrain != NULL && k < workers; k++) {
        if (w.dtrain[k] != NULL)
            XGDMatrixFree(w.dtrain[k]);
        if (w.dval != NULL && w.dval[k] != NULL)
            XGDMatrixFree(w.dval[k]);
    }
    free(w.dtrain), free(w.dval), free(w.labels), free(w.status), free(w.failed_step), free(w.errors);
    nn_team_free(team);
    return status;
}

/* The h boosters one after another on one pair of matrices, every tree on the
 * cell's threads. */
static int train_boosters_in_turn(bench_model *model, const bench_train_view *train, const bench_window_plan *plan,
                                  const bench_window_plan *validation, int quantile, bench_error *error)
{
    DMatrixHandle dtrain = NULL, dval = NULL;
    int status = plan_dmatrix(&dtrain, model, train, plan, quantile, model->threads, error);
    if (status == BENCH_OK && validation->count > 0)
        status = plan_dmatrix(&dval, model, train, validation, 0, model->threads, error);
    size_t label_rows = plan->count > validation->count ? plan->count : validation->count;
    float *labels = status == BENCH_OK ? malloc((label_rows > 0 ? label_rows : 1) * sizeof *labels) : NULL;
    if (status == BENCH_OK && labels == NULL)
        status = BENCH_FAIL(error, BENCH_NO_MEMORY, "no memory for labels");
    for (size_t step = 0; status == BENCH_OK && step < model->booster_count; step++) {
        status = set_step_labels(dtrain, dval, labels, model, train, plan, validation, step, error);
        if (status == BENCH_OK)
            status = train_booster(model, step, dtrain, dval, model->threads, error);
    }
    free(labels);
    if (dtrain != NULL)
        XGDMatrixFree(dtrain);
    if (dval != NULL)
        XGDMatrixFree(dval);
    return status;
}

/* One fit with the layout's current window normalisation. */
static int fit_layout(bench_model *model, const bench_train_view *train, bench_rng *rng, bench_error *error)
{
    release_boosters(model);
    const char *who = model->naive ? "gbrt_naive" : "gbrt";
    bench_window_plan plan, validation;
    memset(&validation, 0, sizeof validation);
    int status = bench_window_plan_training(&plan, &model->layout, train, rng, error);
    if (status != BENCH_OK)
        return bench_error_prefix(error, "%s: ", who);
    if (model->settings.early_stopping_rounds > 0)
        status = bench_window_plan_validation(&validation, &model->layout, train, error);
    int quantile = strcmp(model->settings.tree_method, "hist") == 0;
    model->booster_count = model->layout.horizon;
    model->boosters = calloc(model->booster_count, sizeof *model->boosters);
    model->rounds = calloc(model->booster_count, sizeof *model->rounds);
    if (status == BENCH_OK && (model->boosters == NULL || model->rounds == NULL))
        status = BENCH_FAIL(error, BENCH_NO_MEMORY, "no memory for %zu boosters", model->booster_count);
    if (status == BENCH_OK && model->settings.concurrent_boosters && model->threads > 1)
        status = train_boosters_concurrently(model, train, &plan, &validation, quantile, error);
    else if (status == BENCH_OK)
        status = train_boosters_in_turn(model, train, &plan, &validation, quantile, error);
    bench_window_plan_free(&plan);
    bench_window_plan_free(&validation);
    if (status != BENCH_OK) {
        release_boosters(model);
        return bench_error_prefix(error, "%s: ", who);
    }
    return BENCH_OK;
}

static int gbrt_predict(bench_model *model, const bench_forecast_request *request, bench_rng *rng, double *out,
                        bench_error *error);

static int fit_with_norm(void *opaque, bench_window_norm norm, const bench_train_view *train, bench_rng *rng,
                         bench_error *error)
{
    bench_model *model = opaque;
    int status = bench_window_layout_set_norm(&model->layout, norm, error);
    return status == BENCH_OK ? fit_layout(model, train, rng, error) : status;
}

static int predict_request(void *opaque, const bench_forecast_request *request, double *out, bench_error *error)
{
    return gbrt_predict(opaque, request, NULL, out, error);
}

/* window_norm = auto: the four normalisations are fitted on the training part and
 * scored on the validation part; the best is refitted from the same rng state,
 * so the result equals an explicit window_norm of that choice. */
static int gbrt_fit(bench_model *model, const bench_train_view *train, bench_rng *rng, bench_error *error)
{
    return bench_window_fit_norm(model, model->settings.window_norm, fit_with_norm, predict_request, &model->layout,
                                 train, rng, "gbrt", error);
}

static int gbrt_predict(bench_model *model, const bench_forecast_request *request, bench_rng *rng, double *out,
                        bench_error *error)
{
    (void)rng;
    const char *who = model->naive ? "gbrt_naive" : "gbrt";
    if (model->booster_count == 0)
        return BENCH_FAIL(error, BENCH_MODEL, "%s: predict() before fit()", who);
    if (request->window_count == 0)
        return BENCH_OK;
    size_t rows = bench_window_request_rows(&model->layout, request);
    float *features = malloc(rows * model->layout.feature_count * sizeof *features);
    if (features == NULL)
        return BENCH_FAIL(error, BENCH_NO_MEMORY, "%s: no memory for %zu prediction rows", who, rows);
    int status = bench_window_fill_request(features, &model->layout, request, error);
    DMatrixHandle matrix = NULL;
    if (status == BENCH_OK && XGDMatrixCreateFromMat_omp(features, (bst_ulong)rows,
                                                         (bst_ulong)model->layout.feature_count, NAN, &matrix,
                                                         (int)model->threads) != 0)
        status = xgb_failed(error, BENCH_MODEL, "could not build the prediction matrix");
    free(features);
    static const char config[] =
        "{\"type\": 0, \"training\": false, \"iteration_begin\": 0, \"iteration_end\": 0, \"strict_shape\": false}";
    for (size_t step = 0; status == BENCH_OK && step < model->booster_count; step++) {
        const bst_ulong *shape = NULL;
        bst_ulong dimension = 0;
        const float *result = NULL;
        if (XGBoosterPredictFromDMatrix(model->boosters[step], matrix, config, &shape, &dimension, &result) != 0) {
            status = xgb_failed(error, BENCH_MODEL, "prediction failed");
            break;
        }
        if (model->naive) /* rows are window-major, step-minor: out's own layout */
            for (size_t r = 0; r < rows; r++)
                out[r] = result[r];
        else
            for (size_t r = 0; r < rows; r++)
                out[r * request->horizon + step] = result[r];
    }
    if (matrix != NULL)
        XGDMatrixFree(matrix);
    if (status == BENCH_OK)
        status = bench_window_restore(out, &model->layout, request, error);
    return status == BENCH_OK ? BENCH_OK : bench_error_prefix(error, "%s: ", who);
}

/* ---- save / load ----------------------------------------------------------------- */

static json_t *describe(const bench_model *model)
{
    const gbrt_settings *s = &model->settings;
    json_t *rounds = json_array();
    for (size_t i = 0; rounds != NULL && i < model->booster_count; i++)
        json_array_append_new(rounds, json_integer(model->rounds[i]));
    return json_pack("{s:s, s:I, s:I, s:I, s:s, s:s, s:I, s:o, s:{s:s, s:f, s:I, s:I, s:f, s:f, s:f, s:f, s:f, s:f, "
                     "s:s, s:I, s:I, s:I}}",
                     "forecaster", model->naive ? "gbrt_naive" : "gbrt", "window", (json_int_t)model->layout.window,
                     "horizon", (json_int_t)model->layout.horizon, "covariate_count",
                     (json_int_t)model->layout.covariate_count, "covariates",
                     bench_window_covariates_name(model->layout.covariates), "window_norm",
                     bench_window_norm_name(model->layout.norm), "feature_count",
                     (json_int_t)model->layout.feature_count, "rounds", rounds, "settings", "preset", s->preset,
                     "eta", s->eta, "n_estimators", (json_int_t)s->n_estimators, "max_depth",
                     (json_int_t)s->max_depth, "subsample", s->subsample, "colsample_bytree", s->colsample_bytree,
                     "min_child_weight", s->min_child_weight, "gamma", s->gamma, "lambda", s->lambda, "alpha",
                     s->alpha, "tree_method", s->tree_method, "seed", (json_int_t)s->seed, "early_stopping_rounds",
                     (json_int_t)s->early_stopping_rounds, "max_bin", (json_int_t)s->max_bin);
}

static int gbrt_save(const bench_model *model, const char *path, bench_error *error)
{
    const char *who = model->naive ? "gbrt_naive" : "gbrt";
    if (model->booster_count == 0)
        return BENCH_FAIL(error, BENCH_MODEL, "%s: save() before fit()", who);
    json_t *description = describe(model);
    if (description == NULL)
        return BENCH_FAIL(error, BENCH_NO_MEMORY, "%s: no memory for the manifest", who);
    int status = bench_gbrt_io_save(path, (BoosterHandle const *)model->boosters, model->booster_count, description,
                                    error);
    json_decref(description);
    return status == BENCH_OK ? BENCH_OK : bench_error_prefix(error, "%s: ", who);
}

/* The saved layout must be the one this task produces, so rows mean the same. */
static int adopt_description(bench_model *model, const json_t *description, const char *path, bench_error *error)
{
    const char *forecaster = NULL, *covariates = NULL;
    json_int_t window = 0, horizon = 0, covariate_count = 0, feature_count = 0;
    json_t *rounds = NULL;
    if (json_unpack((json_t *)description, "{s:s, s:I, s:I, s:I, s:s, s:I, s:o}", "forecaster", &forecaster,
                    "window", &window, "horizon", &horizon, "covariate_count", &covariate_count, "covariates",
                    &covariates, "feature_count", &feature_count, "rounds", &rounds) != 0 ||
        !json_is_array(rounds))
        return BENCH_FAIL(error, BENCH_BAD_INPUT, "%s: the manifest's model description is incomplete", path);
    const char *who = model->naive ? "gbrt_naive" : "gbrt";
    if (strcmp(forecaster, who) != 0)
        return BENCH_FAIL(error, BENCH_BAD_INPUT, "%s holds a %s model, not %s", path, forecaster, who);
    /* Models saved before window_norm existed were trained on raw windows. */
    const json_t *norm_value = json_object_get(description, "window_norm");
    const char *norm = json_is_string(norm_value) ? json_string_value(norm_value) : "none";
    bench_window_norm saved;
    if (bench_window_parse_norm(norm, &saved, error) != BENCH_OK || saved == BENCH_WINDOW_NORM_AUTO)
        return BENCH_FAIL(error, BENCH_BAD_INPUT, "%s: window_norm '%s' is not a fitted normalisation", path, norm);
    /* auto was resolved when the model was fitted: the manifest holds the choice. */
    if (model->settings.window_norm == BENCH_WINDOW_NORM_AUTO &&
        bench_window_layout_set_norm(&model->layout, saved, error) != BENCH_OK)
        return error->code;
    if (strcmp(norm, bench_window_norm_name(model->layout.norm)) != 0)
        return BENCH_FAIL(error, BENCH_BAD_INPUT, "%s: saved with window_norm = %s; this model has window_norm = %s",
                          path, norm, bench_window_norm_name(model->layout.norm));
    size_t expected_boosters = model->naive ? 1 : (size_t)horizon;
    if (model->booster_count != expected_boosters || json_array_size(rounds) != model->booster_count)
        return BENCH_FAIL(error, BENCH_BAD_INPUT, "%s: %zu booster files for a horizon of %lld", path,
                          model->booster_count, (long long)horizon);
    if (model->layout.window != (size_t)window || model->layout.horizon != (size_t)horizon ||
        model->layout.feature_count != (size_t)feature_count ||
        strcmp(bench_window_covariates_name(model->layout.covariates), covariates) != 0)
        return BENCH_FAIL(error, BENCH_BAD_INPUT,
                          "%s: saved for window %lld, horizon %lld, covariates %s (%lld features); this task gives "
                          "window %zu, horizon %zu, covariates %s (%zu features)",
                          path, (long long)window, (long long)horizon, covariates, (long long)feature_count,
                          model->layout.window, model->layout.horizon,
                          bench_window_covariates_name(model->layout.covariates), model->layout.feature_count);
    for (size_t i = 0; i < model->booster_count; i++) {
        bst_ulong features = 0;
        if (XGBoosterGetNumFeature(model->boosters[i], &features) != 0 || (json_int_t)features != feature_count)
            return BENCH_FAIL(error, BENCH_BAD_INPUT, "%s: booster %zu reads %llu features, the manifest says %lld",
                              path, i, (unsigned long long)features, (long long)feature_count);
        model->rounds[i] = (long)json_integer_value(json_array_get(rounds, i));
    }
    return BENCH_OK;
}

static int load_common(bench_model **out, const char *path, const bench_params *params, const bench_task_info *task,
                       int naive, bench_error *error)
{
    /* The load-time parameters give the layout (window, covariates) and threads;
     * the boosters and their training settings come from the saved model. */
    *out = NULL;
    bench_model *model;
    int status = create_common(&model, params, task, naive, 0, error);
    if (status != BENCH_OK)
        return status;
    json_t *description = NULL;
    status = bench_gbrt_io_load(path, &model->boosters, &model->booster_count, &description, error);
    if (status == BENCH_OK) {
        model->rounds = calloc(model->booster_count, sizeof *model->rounds);
        status = model->rounds == NULL ? BENCH_FAIL(error, BENCH_NO_MEMORY, "no memory")
                                       : adopt_description(model, description, path, error);
    }
    json_decref(description);
    for (size_t i = 0; status == BENCH_OK && i < model->booster_count; i++) {
        char threads[32];
        snprintf(threads, sizeof threads, "%u", model->threads);
        if (XGBoosterSetParam(model->boosters[i], "nthread", threads) != 0)
            status = xgb_failed(error, BENCH_MODEL, "could not set nthread");
    }
    if (status != BENCH_OK) {
        gbrt_destroy(model);
        return bench_error_prefix(error, "%s: ", naive ? "gbrt_naive" : "gbrt");
    }
    *out = model;
    return BENCH_OK;
}

static int gbrt_load(bench_model **out, const char *path, const bench_params *params, const bench_task_info *task,
                     bench_error *error)
{
    return load_common(out, path, params, task, 0, error);
}

static int gbrt_naive_load(bench_model **out, const char *path, const bench_params *params,
                           const bench_task_info *task, bench_error *error)
{
    return load_common(out, path, params, task, 1, error);
}

size_t bench_gbrt_booster_count(const bench_model *model)
{
    return model != NULL ? model->booster_count : 0;
}

long bench_gbrt_booster_rounds(const bench_model *model, size_t index)
{
    return model != NULL && index < model->booster_count ? model->rounds[index] : 0;
}

size_t bench_gbrt_feature_count(const bench_model *model)
{
    return model != NULL ? model->layout.feature_count : 0;
}

/* gbrt and gbrt_naive share all but their parameters, create and load. */
#define GBRT_BUILTIN(symbol, text)                                                                                \
    BENCH_BUILTIN(symbol, text, symbol##_params, sizeof symbol##_params / sizeof symbol##_params[0],              \
                  .create = symbol##_create, .fit = gbrt_fit, .predict = gbrt_predict, .destroy = gbrt_destroy,   \
                  .save = gbrt_save, .load = symbol##_load)

GBRT_BUILTIN(gbrt, "window-based gradient-boosted trees, h direct boosters (Elsayed et al. 2021, XGBoost)");
GBRT_BUILTIN(gbrt_naive, "GBRT(Naive): point-wise boosted trees from the concurrent covariates, no lags");
