/* The deep-forecaster shell: vtable functions, training loop, checkpoints
 * (contract in forecasters/deep_train.h). */
#include "forecasters/deep_train.h"

#include <math.h>
#include <stdio.h>
#include <stdlib.h>
#include <string.h>
#include <unistd.h>

#include "nn/gemm.h"
#include "nn/loss.h"
#include "nn/optim.h"

/* ---- parameter helpers ----------------------------------------------------------- */

long deep_get_int(const bench_params *params, const char *name, int *status, bench_error *error)
{
    long value = 0;
    if (*status == BENCH_OK)
        *status = bench_params_get_int(params, name, &value, error);
    return value;
}

double deep_get_real(const bench_params *params, const char *name, int *status, bench_error *error)
{
    double value = 0.0;
    if (*status == BENCH_OK)
        *status = bench_params_get_real(params, name, &value, error);
    return value;
}

size_t deep_param(bench_model *model, const char *name, size_t d0, size_t d1, int *status, bench_error *error)
{
    size_t index = 0;
    size_t dims[2] = {d0, d1};
    if (*status == BENCH_OK)
        *status = nn_params_add(&model->params, name, d1 > 0 ? 2 : 1, dims, 1, &index, error);
    return index;
}

float *deep_activations(bench_model *model, size_t floats)
{
    float *block = malloc(floats * sizeof(float));
    if (block == NULL)
        return NULL;
    free(model->activations);
    model->activations = block;
    return block;
}

size_t deep_buffer(bench_model *model, const char *name, size_t d0, int *status, bench_error *error)
{
    size_t index = 0;
    if (*status == BENCH_OK)
        *status = nn_params_add(&model->params, name, 1, &d0, 0, &index, error);
    return index;
}

void deep_copy_history(float *out, const double *history, size_t history_length, size_t length)
{
    if (history_length >= length) {
        for (size_t i = 0; i < length; i++)
            out[i] = (float)history[history_length - length + i];
        return;
    }
    size_t pad = length - history_length;
    for (size_t i = 0; i < pad; i++)
        out[i] = (float)history[0];
    for (size_t i = 0; i < history_length; i++)
        out[pad + i] = (float)history[i];
}

void deep_row_stats(const float *x, size_t length, double *mean, double *std)
{
    double sum = 0.0, squares = 0.0;
    for (size_t t = 0; t < length; t++)
        sum += x[t];
    double m = sum / (double)length;
    for (size_t t = 0; t < length; t++)
        squares += (x[t] - m) * (x[t] - m);
    *mean = m;
    *std = sqrt(squares / (double)length + 1e-5);
}

void deep_revin_normalize(float *x, float *mean, float *std, size_t rows, size_t length)
{
    for (size_t r = 0; r < rows; r++) {
        float *row = x + r * length;
        double m, s;
        deep_row_stats(row, length, &m, &s);
        mean[r] = (float)m;
        std[r] = (float)s;
        for (size_t t = 0; t < length; t++)
            row[t] = (float)((row[t] - m) / s);
    }
}

void deep_revin_restore(float *y, const float *mean, const float *std, size_t rows, size_t horizon)
{
    for (size_t r = 0; r < rows; r++)
        for (size_t h = 0; h < horizon; h++)
            y[r * horizon + h] = y[r * horizon + h] * std[r] + mean[r];
}

void deep_revin_scale_grad(float *dy, const float *dout, const float *std, size_t rows, size_t horizon)
{
    for (size_t r = 0; r < rows; r++)
        for (size_t h = 0; h < horizon; h++)
            dy[r * horizon + h] = dout[r * horizon + h] * std[r];
}

/* Static copies so config strings outlive the params they came from. */
static const char *canonical(const char *text, const char *const *choices, size_t count)
{
    for (size_t i = 0; i < count; i++)
        if (strcmp(text, choices[i]) == 0)
            return choices[i];
    return choices[0];
}

static int read_config(deep_train_config *config, const bench_params *params, const bench_task_info *task,
                       bench_error *error)
{
    static const char *const schedules[] = {"halve", "type3", "constant", "cosine"};
    static const char *const optimizers[] = {"adam", "adamw", "sgd"};
    int status = BENCH_OK;
    long input_length = deep_get_int(params, "input_length", &status, error);
    config->epochs = (size_t)deep_get_int(params, "epochs", &status, error);
    config->batch_size = (size_t)deep_get_int(params, "batch_size", &status, error);
    config->patience = (size_t)deep_get_int(params, "patience", &status, error);
    config->learning_rate = deep_get_real(params, "learning_rate", &status, error);
    config->weight_decay = deep_get_real(params, "weight_decay", &status, error);
    config->grad_clip = deep_get_real(params, "grad_clip", &status, error);
    config->max_windows = (size_t)deep_get_int(params, "max_windows", &status, error);
    const char *schedule = "halve", *optimizer = "adam";
    if (status == BENCH_OK)
        status = bench_params_get_string(params, "schedule", &schedule, error);
    if (status == BENCH_OK)
        status = bench_params_get_string(params, "optimizer", &optimizer, error);
    if (status != BENCH_OK)
        return status;
    config->schedule = canonical(schedule, schedules, 4);
    config->optimizer = canonical(optimizer, optimizers, 3);
    config->input_length = input_length > 0 ? (size_t)input_length : task->lookback;
    config->horizon = task->horizon;
    config->threads = task->threads == 0 ? 1 : task->threads;
    config->verbose = isatty(STDERR_FILENO);
    if (config->input_length == 0)
        return BENCH_FAIL(error, BENCH_BAD_INPUT,
                          "input_length is 0 and the protocol gives no lookback: set input_length for this model");
    if (config->horizon == 0)
        return BENCH_FAIL(error, BENCH_BAD_INPUT, "horizon is 0");
    return BENCH_OK;
}

/* ---- model lifetime ---------------------------------------------------------------- */

static int reserve_rows(bench_model *model, size_t rows, bench_error *error)
{
    if (rows <= model->max_batch && model->batch_inputs != NULL)
        return BENCH_OK;
    size_t L = model->config.input_length, H = model->config.horizon;
    float *block = malloc(rows * (L + 3 * H) * sizeof(float));
    if (block == NULL)
        return BENCH_FAIL(error, BENCH_NO_MEMORY, "%s: no memory for %zu windows", model->arch->name, rows);
    int status = model->arch->reserve(model->net, model, rows, error);
    if (status != BENCH_OK) {
        free(block);
        return status;
    }
    free(model->batch_inputs);
    model->batch_inputs = block;
    model->batch_targets = block + rows * L;
    model->batch_outputs = model->batch_targets + rows * H;
    model->batch_doutputs = model->batch_outputs + rows * H;
    model->max_batch = rows;
    return BENCH_OK;
}

/* The arch's declared settings and lengths into its zeroed state, before
 * create() (so each model file lists them instead of reading them one by one). */
static int fill_settings(const deep_arch *arch, bench_model *model, const bench_params *params, bench_error *error)
{
    char *net = model->net;
    if (arch->has_lengths) {
        memcpy(net + arch->input_length_offset, &model->config.input_length, sizeof(size_t));
        memcpy(net + arch->horizon_offset, &model->config.horizon, sizeof(size_t));
    }
    int status = BENCH_OK;
    for (size_t i = 0; i < arch->setting_count; i++) {
        const deep_setting *setting = &arch->settings[i];
        if (setting->real) {
            float value = (float)deep_get_real(params, setting->name, &status, error);
            memcpy(net + setting->offset, &value, sizeof value);
        } else {
            size_t value = (size_t)deep_get_int(params, setting->name, &status, error);
            memcpy(net + setting->offset, &value, sizeof value);
        }
    }
    return status;
}

int deep_forecaster_create(bench_model **out, const deep_arch *arch, const bench_params *params,
                           const bench_task_info *task, bench_error *error)
{
    bench_model *model = calloc(1, sizeof *model);
    if (model == NULL)
        return BENCH_FAIL(error, BENCH_NO_MEMORY, "%s: out of memory", arch->name);
    model->arch = arch;
    model->seed = task->seed;
    nn_params_init(&model->params);
    int status = read_config(&model->config, params, task, error);
    if (status == BENCH_OK && (model->net = calloc(1, arch->net_size)) == NULL)
        status = BENCH_FAIL(error, BENCH_NO_MEMORY, "out of memory");
    if (status == BENCH_OK)
        status = fill_settings(arch, model, params, error);
    if (status == BENCH_OK)
        status = arch->create(model->net, model, params, error);
    if (status == BENCH_OK)
        status = nn_params_allocate(&model->params, error);
    if (status != BENCH_OK) {
        bench_error_prefix(error, "%s: ", arch->name);
        deep_forecaster_destroy(model);
        return status;
    }
    *out = model;
    return BENCH_OK;
}

void deep_forecaster_destroy(bench_model *model)
{
    if (model == NULL)
        return;
    if (model->net != NULL && model->arch->release != NULL)
        model->arch->release(model->net);
    free(model->net);
    nn_params_free(&model->params);
    free(model->batch_inputs);
    free(model->activations);
    free(model);
}

/* ---- windows ----------------------------------------------------------------------- */

/* A training or validation unit: one origin (index of the first target) in one
 * series, or — when the series are aligned — one origin across all series. */
typedef struct window_plan {
    int aligned;
    size_t rows_per_unit;
    size_t unit_count;
    size_t *series_of;   /* (unit_count) when not aligned */
    size_t *origin_of;   /* (unit_count) */
} window_plan;

static void plan_free(window_plan *plan)
{
    free(plan->series_of);
    free(plan->origin_of);
    memset(plan, 0, sizeof *plan);
}

static int series_aligned(const bench_train_view *train)
{
    for (size_t s = 1; s < train->series_count; s++)
        if (train->series[s].length != train->series[0].length ||
            train->series[s].train_length != train->series[0].train_length)
            return 0;
    return train->series_count > 1;
}

/* Origins o with o − L ≥ 0 and targets [o, o+H) inside [first_target, end). */
static size_t origin_range(size_t L, size_t H, size_t first_target, size_t end, size_t *begin)
{
    size_t lo = first_target > L ? first_target : L;
    *begin = lo;
    return end >= lo + H ? end - lo - H + 1 : 0;
}

static int plan_windows(window_plan *plan, const bench_train_view *train, size_t L, size_t H, int validation,
                        bench_error *error)
{
    memset(plan, 0, sizeof *plan);
    plan->aligned = series_aligned(train);
    size_t series_used = plan->aligned ? 1 : train->series_count;
    size_t total = 0;
    for (size_t s = 0; s < series_used; s++) {
        const bench_series_view *v = &train->series[s];
        size_t begin;
        total += validation ? origin_range(L, H, v->train_length, v->length, &begin)
                            : origin_range(L, H, 0, v->train_length, &begin);
    }
    plan->rows_per_unit = plan->aligned ? train->series_count : 1;
    plan->unit_count = total;
    if (total == 0)
        return BENCH_OK;
    plan->series_of = malloc(total * sizeof(size_t));
    plan->origin_of = malloc(total * sizeof(size_t));
    if (plan->series_of == NULL || plan->origin_of == NULL) {
        plan_free(plan);
        return BENCH_FAIL(error, BENCH_NO_MEMORY, "no memory for %zu windows", total);
    }
    size_t u = 0;
    for (size_t s = 0; s < series_used; s++) {
        const bench_series_view *v = &train->series[s];
        size_t begin;
        size_t count = validation ? origin_range(L, H, v->train_length, v->length, &begin)
                                  : origin_range(L, H, 0, v->train_length, &begin);
        for (size_t i = 0; i < count; i++, u++) {
            plan->series_of[u] = s;
            plan->origin_of[u] = begin + i;
        }
    }
    return BENCH_OK;
}

/* Copy the units' inputs and targets into the model's batch buffers; returns rows. */
static size_t fill_batch(bench_model *model, const bench_train_view *train, const window_plan *plan,
                         const size_t *units, size_t unit_count)
{
    size_t L = model->config.input_length, H = model->config.horizon, row = 0;
    for (size_t i = 0; i < unit_count; i++) {
        size_t u = units[i];
        size_t first = plan->aligned ? 0 : plan->series_of[u];
        size_t last = plan->aligned ? train->series_count : first + 1;
        for (size_t s = first; s < last; s++, row++) {
            const double *v = train->series[s].values + plan->origin_of[u] - L;
            for (size_t t = 0; t < L; t++)
                model->batch_inputs[row * L + t] = (float)v[t];
            for (size_t t = 0; t < H; t++)
                model->batch_targets[row * H + t] = (float)v[L + t];
        }
    }
    return row;
}

/* Mean loss of `rows` filled rows; with training, gradients are added. */
static double batch_loss(bench_model *model, size_t rows, int training, bench_rng *rng)
{
    size_t H = model->config.horizon;
    if (model->arch->loss != NULL)
        return model->arch->loss(model->net, model, model->batch_inputs, model->batch_targets, rows, training, rng);
    model->arch->forward(model->net, model, model->batch_inputs, rows, training, rng, model->batch_outputs);
    if (!training)
        return nn_mse_loss(NULL, model->batch_outputs, model->batch_targets, NULL, rows * H);
    memset(model->batch_doutputs, 0, rows * H * sizeof(float));
    double loss = nn_mse_loss(model->batch_doutputs, model->batch_outputs, model->batch_targets, NULL, rows * H);
    model->arch->backward(model->net, model, model->batch_doutputs, rows);
    return loss;
}

static double validation_loss(bench_model *model, const bench_train_view *train, const window_plan *plan,
                              size_t units_per_batch, size_t *scratch, bench_rng *rng)
{
    double sum = 0.0;
    size_t rows_total = 0;
    for (size_t start = 0; start < plan->unit_count; start += units_per_batch) {
        size_t count = plan->unit_count - start < units_per_batch ? plan->unit_count - start : units_per_batch;
        for (size_t i = 0; i < count; i++)
            scratch[i] = start + i;
        size_t rows = fill_batch(model, train, plan, scratch, count);
        sum += batch_loss(model, rows, 0, rng) * (double)rows;
        rows_total += rows;
    }
    return rows_total ? sum / (double)rows_total : 0.0;
}

static nn_optimizer make_optimizer(const deep_train_config *config)
{
    if (strcmp(config->optimizer, "sgd") == 0)
        return nn_optimizer_sgd((float)config->learning_rate, 0.9f, (float)config->weight_decay);
    if (strcmp(config->optimizer, "adamw") == 0)
        return nn_optimizer_adamw((float)config->learning_rate, (float)config->weight_decay);
    return nn_optimizer_adam((float)config->learning_rate, (float)config->weight_decay);
}

static float epoch_learning_rate(const deep_train_config *config, size_t epoch)
{
    if (strcmp(config->schedule, "halve") == 0)
        return (float)(config->learning_rate * pow(0.5, (double)epoch));
    if (strcmp(config->schedule, "type3") == 0)
        return (float)(epoch < 2 ? config->learning_rate : config->learning_rate * pow(0.9, (double)(epoch - 2)));
    if (strcmp(config->schedule, "cosine") == 0)
        return nn_lr_cosine((float)config->learning_rate, 0.0f, epoch, config->epochs, 0);
    return (float)config->learning_rate;
}

int deep_forecaster_fit(bench_model *model, const bench_train_view *train, bench_rng *rng, bench_error *error)
{
    const deep_train_config *config = &model->config;
    const char *name = model->arch->name;
    size_t L = config->input_length, H = config->horizon;
    nn_set_threads(config->threads);
    if (train->series_count == 0)
        return BENCH_FAIL(error, BENCH_BAD_INPUT, "%s: no training series", name);
    window_plan train_plan, val_plan;
    int status = plan_windows(&train_plan, train, L, H, 0, error);
    if (status != BENCH_OK)
        return status;
    if (train_plan.unit_count == 0) {
        size_t longest = 0;
        for (size_t s = 0; s < train->series_count; s++)
            longest = train->series[s].train_length > longest ? train->series[s].train_length : longest;
        plan_free(&train_plan);
        return BENCH_FAIL(error, BENCH_BAD_INPUT,
                          "%s: no training window: input_length %zu + horizon %zu = %zu values needed, the longest "
                          "training part has %zu",
                          name, L, H, L + H, longest);
    }
    size_t units = train_plan.unit_count;
    if (config->max_windows > 0 && config->max_windows < units)
        units = config->max_windows;
    if (config->batch_size > units) {
        plan_free(&train_plan);
        return BENCH_FAIL(error, BENCH_BAD_INPUT, "%s: batch_size %zu is larger than the %zu training %s", name,
                          config->batch_size, units, train_plan.aligned ? "time origins" : "windows");
    }
    status = plan_windows(&val_plan, train, L, H, 1, error);
    if (status != BENCH_OK) {
        plan_free(&train_plan);
        return status;
    }
    size_t rows_per_batch = config->batch_size * train_plan.rows_per_unit;
    size_t *order = malloc(train_plan.unit_count * sizeof(size_t));
    size_t *scratch = malloc(config->batch_size * sizeof(size_t));
    float *best = malloc(model->params.total * sizeof(float));
    status = reserve_rows(model, rows_per_batch, error);
    if (status == BENCH_OK && (order == NULL || scratch == NULL || best == NULL))
        status = BENCH_FAIL(error, BENCH_NO_MEMORY, "%s: out of memory", name);
    if (status != BENCH_OK)
        goto done;

    bench_rng init_rng, shuffle_rng;
    uint64_t base = bench_rng_next(rng);
    bench_rng_derive(&init_rng, base, "init");
    bench_rng_derive(&shuffle_rng, base, "shuffle");
    bench_rng_derive(&model->dropout_rng, base, "dropout");
    nn_params_zero_state(&model->params);
    model->arch->init(model->net, model, &init_rng);
    nn_optimizer optimizer = make_optimizer(config);
    for (size_t u = 0; u < train_plan.unit_count; u++)
        order[u] = u;

    double best_loss = INFINITY;
    size_t stale = 0;
    memcpy(best, model->params.values, model->params.total * sizeof(float));
    for (size_t epoch = 0; epoch < config->epochs; epoch++) {
        optimizer.learning_rate = epoch_learning_rate(config, epoch);
        bench_rng_shuffle_size(&shuffle_rng, order, train_plan.unit_count);
        double epoch_sum = 0.0;
        size_t batches = 0;
        for (size_t start = 0; start < units; start += config->batch_size, batches++) {
            size_t count = units - start < config->batch_size ? units - start : config->batch_size;
            size_t rows = fill_batch(model, train, &train_plan, order + start, count);
            nn_params_zero_grad(&model->params);
            double loss = batch_loss(model, rows, 1, &model->dropout_rng);
            if (!isfinite(loss)) {
                status = BENCH_FAIL(error, BENCH_MODEL,
                                    "%s: training loss is %s at epoch %zu, batch %zu (learning rate %g): stopped",
                                    name, isnan(loss) ? "NaN" : "infinite", epoch + 1, batches + 1,
                                    (double)optimizer.learning_rate);
                goto done;
            }
            if (config->grad_clip > 0)
                nn_clip_grad_norm(&model->params, config->grad_clip);
            nn_optimizer_step(&optimizer, &model->params);
            epoch_sum += loss;
        }
        double val = val_plan.unit_count > 0
                         ? validation_loss(model, train, &val_plan, config->batch_size, scratch, &model->dropout_rng)
                         : epoch_sum / (double)batches;
        if (!isfinite(val)) {
            status = BENCH_FAIL(error, BENCH_MODEL, "%s: validation loss is not finite after epoch %zu: stopped",
                                name, epoch + 1);
            goto done;
        }
        if (config->verbose)
            fprintf(stderr, "\r%s: epoch %zu/%zu train %.5f validation %.5f   ", name, epoch + 1, config->epochs,
                    epoch_sum / (double)batches, val);
        if (val < best_loss) {
            best_loss = val;
            stale = 0;
            memcpy(best, model->params.values, model->params.total * sizeof(float));
        } else if (++stale >= config->patience) {
            break;
        }
    }
    if (config->verbose)
        fputc('\n', stderr);
    memcpy(model->params.values, best, model->params.total * sizeof(float));
    model->fitted = 1;
done:
    free(order);
    free(scratch);
    free(best);
    plan_free(&train_plan);
    plan_free(&val_plan);
    return status;
}

/* ---- prediction -------------------------------------------------------------------- */

/* Forecasts are computed in chunks of this many windows whatever the training
 * batch was: BLAS results can differ in the last bit with the row count, so a
 * fixed chunk keeps fit+predict and load+predict bit-identical. */
#define PREDICT_CHUNK 256

static int prepare_predict(bench_model *model, const bench_forecast_request *request, bench_error *error)
{
    if (!model->fitted)
        return BENCH_FAIL(error, BENCH_MODEL, "%s: predict called before fit or load", model->arch->name);
    if (request->horizon != model->config.horizon)
        return BENCH_FAIL(error, BENCH_BAD_INPUT, "%s: trained for horizon %zu, asked for %zu", model->arch->name,
                          model->config.horizon, request->horizon);
    for (size_t w = 0; w < request->window_count; w++)
        if (request->windows[w].history_length == 0)
            return BENCH_FAIL(error, BENCH_BAD_INPUT, "%s: window %zu has no history", model->arch->name, w);
    nn_set_threads(model->config.threads);
    return reserve_rows(model, PREDICT_CHUNK, error);
}

int deep_forecaster_predict(bench_model *model, const bench_forecast_request *request, bench_rng *rng, double *out,
                            bench_error *error)
{
    int status = prepare_predict(model, request, error);
    if (status != BENCH_OK)
        return status;
    size_t L = model->config.input_length, H = model->config.horizon;
    for (size_t start = 0; start < request->window_count; start += PREDICT_CHUNK) {
        size_t rows = request->window_count - start;
        rows = rows < PREDICT_CHUNK ? rows : PREDICT_CHUNK;
        for (size_t r = 0; r < rows; r++) {
            const bench_forecast_window *window = &request->windows[start + r];
            deep_copy_history(model->batch_inputs + r * L, window->history, window->history_length, L);
        }
        model->arch->forward(model->net, model, model->batch_inputs, rows, 0, rng, model->batch_outputs);
        for (size_t i = 0; i < rows * H; i++) {
            if (!isfinite(model->batch_outputs[i]))
                return BENCH_FAIL(error, BENCH_MODEL, "%s: non-finite forecast for window %zu", model->arch->name,
                                  start + i / H);
            out[start * H + i] = model->batch_outputs[i];
        }
    }
    return BENCH_OK;
}

int deep_forecaster_predict_samples(bench_model *model, const bench_forecast_request *request, size_t sample_count,
                                    bench_rng *rng, double *out, bench_error *error)
{
    if (model->arch->sample == NULL)
        return BENCH_FAIL(error, BENCH_UNSUPPORTED, "%s: no probabilistic forecasts", model->arch->name);
    int status = prepare_predict(model, request, error);
    if (status != BENCH_OK)
        return status;
    size_t L = model->config.input_length, H = model->config.horizon;
    float *samples = malloc(sample_count * H * sizeof(float));
    if (samples == NULL)
        return BENCH_FAIL(error, BENCH_NO_MEMORY, "%s: no memory for %zu samples", model->arch->name, sample_count);
    for (size_t w = 0; w < request->window_count; w++) {
        const bench_forecast_window *window = &request->windows[w];
        deep_copy_history(model->batch_inputs, window->history, window->history_length, L);
        model->arch->sample(model->net, model, model->batch_inputs, 1, sample_count, rng, samples);
        for (size_t i = 0; i < sample_count * H; i++)
            out[w * sample_count * H + i] = samples[i];
    }
    free(samples);
    return BENCH_OK;
}

/* ---- checkpoints -------------------------------------------------------------------- */

int deep_forecaster_save(const bench_model *model, const char *path, bench_error *error)
{
    if (!model->fitted)
        return BENCH_FAIL(error, BENCH_MODEL, "%s: nothing to save before fit", model->arch->name);
    return nn_params_save(&model->params, model->arch->name, path, error);
}

int deep_forecaster_load(bench_model **out, const deep_arch *arch, const char *path, const bench_params *params,
                         const bench_task_info *task, bench_error *error)
{
    bench_model *model;
    int status = deep_forecaster_create(&model, arch, params, task, error);
    if (status != BENCH_OK)
        return status;
    status = nn_params_load(&model->params, arch->name, path, error);
    if (status != BENCH_OK) {
        deep_forecaster_destroy(model);
        return status;
    }
    model->fitted = 1;
    *out = model;
    return BENCH_OK;
}
