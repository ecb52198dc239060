/* The shell shared by bench's deep forecasters (dlinear, nlinear, mlp, patchtst,
 * lstnet, nbeats, deepar): the forecaster vtable functions, the training loop
 * and checkpointing.  An architecture supplies a deep_arch (allocate, init,
 * forward, backward, optional own loss/sampling) and this file does the rest:
 *
 * - Windows: a training window is `input_length` values followed by `horizon`
 *   targets, all inside values[0, train_length) of one series; a validation
 *   window has its targets in [train_length, length) (its inputs may reach back
 *   into the training part).  Stride 1.
 * - When every series has the same length and train_length (channels of one
 *   table, the ltsf protocol), a mini-batch unit is one time origin with all
 *   channels, as LTSF-Linear/PatchTST batch (B × L × C); batch_size counts origins.
 *   Otherwise a unit is one (series, origin) window.
 * - Epochs of shuffled mini-batches (Adam by default), validation loss after
 *   each epoch, early stopping after `patience` epochs without improvement,
 *   the best epoch's weights restored.  Learning-rate schedule "halve" is
 *   LTSF-Linear's type1 (lr·0.5^(epoch−1)); also "constant" and "cosine".
 * - Deterministic for a seed and thread count: shuffling and dropout draw from
 *   streams derived from the fit() rng.
 * - A NaN/inf loss stops fit with BENCH_MODEL naming the epoch and batch; a
 *   batch larger than the training data is BENCH_BAD_INPUT. */
#ifndef BENCH_FORECASTERS_DEEP_TRAIN_H
#define BENCH_FORECASTERS_DEEP_TRAIN_H

#include <stddef.h>

#include "bench/forecaster.h"
#include "forecasters/registry.h"
#include "nn/params.h"

/* Settings every deep forecaster reads (from its params, see DEEP_TRAIN_PARAMS). */
typedef struct deep_train_config {
    size_t input_length;   /* 0 in params = the task's lookback */
    size_t horizon;
    size_t epochs, batch_size, patience;
    double learning_rate, weight_decay, grad_clip;
    const char *schedule;  /* "halve" | "type3" | "constant" | "cosine" (static strings) */
    const char *optimizer; /* "adam" | "adamw" | "sgd" */
    size_t max_windows;    /* training units per epoch, sampled without replacement; 0 = all */
    unsigned threads;
    int verbose;           /* progress on stderr when it is a TTY */
} deep_train_config;

typedef struct deep_arch deep_arch;

/* Architecture state is private to each deep_*.c; the shell only holds it. */
struct bench_model {
    const deep_arch *arch;
    void *net;
    nn_params params;
    deep_train_config config;
    size_t max_batch;            /* rows the activation buffers hold */
    int fitted;
    uint64_t seed;
    /* Scratch owned by the shell for one mini-batch. */
    float *batch_inputs;         /* (max_batch, input_length) */
    float *batch_targets;        /* (max_batch, horizon) */
    float *batch_outputs;        /* (max_batch, horizon) */
    float *batch_doutputs;       /* (max_batch, horizon) */
    float *activations;          /* the architecture's buffers, one block (deep_activations) */
    bench_rng dropout_rng;       /* stream for dropout/sampling during fit */
};

/* A setting the shell reads from the params into the architecture's state
 * before create(): an integer parameter into a size_t, or a real one into a
 * float, at offset bytes into the state. */
typedef struct deep_setting {
    const char *name;
    size_t offset;
    int real;
} deep_setting;
#define DEEP_SIZE_SETTING(net_type, field, param) {param, offsetof(net_type, field), 0}
#define DEEP_REAL_SETTING(net_type, field, param) {param, offsetof(net_type, field), 1}
/* Designated initializers of a deep_arch: its settings table, and the state's
 * size_t fields for input_length and horizon. */
#define DEEP_SETTINGS(table) .settings = table, .setting_count = sizeof table / sizeof table[0]
#define DEEP_LENGTHS(net_type, length_field, horizon_field)                                                       \
    .has_lengths = 1, .input_length_offset = offsetof(net_type, length_field),                                    \
    .horizon_offset = offsetof(net_type, horizon_field)

struct deep_arch {
    const char *name;
    size_t net_size;   /* bytes of the architecture's state; the shell allocates it zeroed */
    /* Optional: settings the shell fills before create(), and where the state
     * keeps input_length and horizon (size_t fields) when has_lengths. */
    const deep_setting *settings;
    size_t setting_count;
    int has_lengths;
    size_t input_length_offset, horizon_offset;
    /* Declare tensors in model->params (allocated by the shell afterwards) and
     * fill net; model->config already holds input_length and horizon.
     * Parameters are the resolved forecaster params. */
    int (*create)(void *net, bench_model *model, const bench_params *params, bench_error *error);
    /* Make the activation buffers hold `rows` windows, in one block from
     * deep_activations (called before the first forward with more rows than
     * model->max_batch; the shell then updates max_batch). */
    int (*reserve)(void *net, bench_model *model, size_t rows, bench_error *error);
    /* Draw initial weights (called at the start of fit). */
    void (*init)(void *net, bench_model *model, bench_rng *rng);
    /* outputs (batch, horizon) from inputs (batch, input_length); training
     * enables dropout/batch statistics (rng for dropout) and keeps caches. */
    void (*forward)(void *net, bench_model *model, const float *inputs, size_t batch, int training, bench_rng *rng,
                    float *outputs);
    /* Adds parameter gradients for d(loss)/d(outputs) of the last training forward. */
    void (*backward)(void *net, bench_model *model, const float *doutputs, size_t batch);
    /* Optional: frees what net owns besides its activations, not net itself,
     * which the shell frees; called after a failed create too, so it must accept
     * a partly filled net. */
    void (*release)(void *net);
    /* Optional: the model's own training loss (e.g. DeepAR's likelihood); when
     * NULL the loss is the MSE of forward() against the targets.  With training,
     * it also adds gradients.  Returns the mean loss. */
    double (*loss)(void *net, bench_model *model, const float *inputs, const float *targets, size_t batch,
                   int training, bench_rng *rng);
    /* Optional: samples (batch, sample_count, horizon). */
    void (*sample)(void *net, bench_model *model, const float *inputs, size_t batch, size_t sample_count,
                   bench_rng *rng, float *samples);
};

/* The spec entries every deep forecaster lists first in its params array, with
 * its own defaults (texts as in a config). */
#define DEEP_TRAIN_PARAMS(epochs, batch, lr, patience, schedule)                                                   \
    {.name = "input_length", .type = BENCH_PARAM_INT, .default_value = "0",                                        \
     .doc = "input window; 0 = the protocol's lookback", .minimum = 0, .maximum = 100000},                         \
    {.name = "epochs", .type = BENCH_PARAM_INT, .default_value = epochs, .doc = "maximum training epochs",          \
     .minimum = 1, .maximum = 100000},                                                                             \
    {.name = "batch_size", .type = BENCH_PARAM_INT, .default_value = batch,                                        \
     .doc = "windows (or time origins with all channels) per mini-batch", .minimum = 1, .maximum = 1000000},       \
    {.name = "learning_rate", .type = BENCH_PARAM_REAL, .default_value = lr, .doc = "initial learning rate",       \
     .minimum = 1e-9, .maximum = 10},                                                                              \
    {.name = "patience", .type = BENCH_PARAM_INT, .default_value = patience,                                       \
     .doc = "epochs without validation improvement before stopping", .minimum = 1, .maximum = 100000},            \
    {.name = "schedule", .type = BENCH_PARAM_STRING, .default_value = schedule,                                    \
     .doc = "learning-rate schedule: halve (LTSF type1, lr*0.5^(epoch-1)), type3 (PatchTST: lr, then *0.9 per "     \
            "epoch from epoch 3), constant or cosine",                                                             \
     .choices = "halve|type3|constant|cosine"},                                                                          \
    {.name = "optimizer", .type = BENCH_PARAM_STRING, .default_value = "adam", .doc = "adam, adamw or sgd",      \
     .choices = "adam|adamw|sgd"},                                                                                 \
    {.name = "weight_decay", .type = BENCH_PARAM_REAL, .default_value = "0",                                       \
     .doc = "L2 (adam, sgd) or decoupled (adamw) weight decay", .minimum = 0, .maximum = 10},                      \
    {.name = "grad_clip", .type = BENCH_PARAM_REAL, .default_value = "0",                                          \
     .doc = "clip gradients to this global norm; 0 = off", .minimum = 0, .maximum = 1e9},                          \
    {.name = "max_windows", .type = BENCH_PARAM_INT, .default_value = "0",                                         \
     .doc = "training windows per epoch, sampled; 0 = all", .minimum = 0, .maximum = 1e12}
#define DEEP_TRAIN_PARAM_COUNT 10

/* Vtable functions shared by every deep forecaster (create/load wrap these with their arch). */
int deep_forecaster_create(bench_model **out, const deep_arch *arch, const bench_params *params,
                           const bench_task_info *task, bench_error *error);
int deep_forecaster_fit(bench_model *model, const bench_train_view *train, bench_rng *rng, bench_error *error);
int deep_forecaster_predict(bench_model *model, const bench_forecast_request *request, bench_rng *rng, double *out,
                            bench_error *error);
int deep_forecaster_predict_samples(bench_model *model, const bench_forecast_request *request, size_t sample_count,
                                    bench_rng *rng, double *out, bench_error *error);
void deep_forecaster_destroy(bench_model *model);
int deep_forecaster_save(const bench_model *model, const char *path, bench_error *error);
int deep_forecaster_load(bench_model **out, const deep_arch *arch, const char *path, const bench_params *params,
                         const bench_task_info *task, bench_error *error);

/* Defines bench_forecaster_<symbol>, the vtable of a deep forecaster, with its
 * deep_arch (named <symbol>, state `net_type`, functions given as the arch's
 * designated initializers after the description) and create/load bound to that
 * arch, so the seven model files keep only their network: the shared functions
 * above do the rest.  `samples` is deep_forecaster_predict_samples for a
 * probabilistic model (its arch has .sample), else NULL. */
#define DEEP_FORECASTER(symbol, net_type, param_table, samples, text, ...)                                        \
    static const deep_arch symbol##_arch = {.name = #symbol, .net_size = sizeof(net_type), __VA_ARGS__};          \
    static int symbol##_new(bench_model **out, const bench_params *params, const bench_task_info *task,           \
                            bench_error *error)                                                                   \
    {                                                                                                             \
        return deep_forecaster_create(out, &symbol##_arch, params, task, error);                                  \
    }                                                                                                             \
    static int symbol##_load(bench_model **out, const char *path, const bench_params *params,                     \
                             const bench_task_info *task, bench_error *error)                                     \
    {                                                                                                             \
        return deep_forecaster_load(out, &symbol##_arch, path, params, task, error);                              \
    }                                                                                                             \
    BENCH_BUILTIN(symbol, text, param_table, sizeof param_table / sizeof param_table[0], .create = symbol##_new,  \
                  .fit = deep_forecaster_fit, .predict = deep_forecaster_predict,                                 \
                  .destroy = deep_forecaster_destroy, .save = deep_forecaster_save, .load = symbol##_load,        \
                  .predict_samples = samples)

/* Helpers for architectures. */
/* A block of `floats` floats for the architecture's buffers, replacing the
 * previous one; the shell owns and frees it.  NULL when out of memory (the
 * previous block is then kept), for the caller's message. */
float *deep_activations(bench_model *model, size_t floats);
/* Declares a tensor; returns its index (errors are programming errors, kept in *status). */
size_t deep_param(bench_model *model, const char *name, size_t d0, size_t d1, int *status, bench_error *error);
/* Declares a non-trainable tensor (running statistics): saved, never optimised. */
size_t deep_buffer(bench_model *model, const char *name, size_t d0, int *status, bench_error *error);
/* Reads an integer/real/bool/string parameter into *out, adding errors to *status. */
long deep_get_int(const bench_params *params, const char *name, int *status, bench_error *error);
double deep_get_real(const bench_params *params, const char *name, int *status, bench_error *error);
/* Copies the last `length` values of history into out as floats, left-padding
 * with the first value when the history is shorter. */
void deep_copy_history(float *out, const double *history, size_t history_length, size_t length);

/* Mean and std = sqrt(biased variance + 1e-5) of x[0, length), in double: the
 * statistics of deep_revin_normalize, kept apart for DeepAR's scaling. */
void deep_row_stats(const float *x, size_t length, double *mean, double *std);
/* Instance normalisation (RevIN without affine weights, as PatchTST's default):
 * each row of x (rows, length) is replaced by (x − mean)/std, std = sqrt(var + 1e-5)
 * (biased variance); mean, std (rows) are kept for deep_revin_restore. */
void deep_revin_normalize(float *x, float *mean, float *std, size_t rows, size_t length);
/* y (rows, horizon) ← y·std + mean; the gradient of the restored output w.r.t. the
 * model's output is dy·std (deep_revin_scale_grad), the statistics being constants. */
void deep_revin_restore(float *y, const float *mean, const float *std, size_t rows, size_t horizon);
void deep_revin_scale_grad(float *dy, const float *dout, const float *std, size_t rows, size_t horizon);

#endif
