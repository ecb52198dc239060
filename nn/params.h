/* One allocation per model for parameters, gradients and optimizer state, in the
 * manner of llm.c's size table: a model first declares its named tensors, then
 * nn_params_allocate makes one block laid out as
 *
 *     values[total] | grads[total] | moment1[total] | moment2[total]
 *
 * and every tensor is a view (offset) into each of the four arrays.  Zeroing,
 * clipping, optimizer steps, checkpoints and gradient checks are flat loops.
 * Buffers (batchnorm running statistics, normalisation constants) are tensors
 * marked non-trainable: saved in checkpoints, skipped by optimizers. */
#ifndef BENCH_NN_PARAMS_H
#define BENCH_NN_PARAMS_H

#include <stddef.h>

#include "bench/error.h"
#include "bench/rng.h"

#define NN_PARAMS_MAX_TENSORS 1024 /* N-BEATS-G: 30 blocks of ~12 tensors */
#define NN_PARAMS_NAME_SIZE 48
#define NN_PARAMS_MAX_DIMS 4

typedef struct nn_tensor_info {
    char name[NN_PARAMS_NAME_SIZE];
    size_t ndim;
    size_t shape[NN_PARAMS_MAX_DIMS];
    size_t count;      /* product of shape */
    size_t offset;     /* into each of values/grads/moment1/moment2 */
    int trainable;     /* 0 for buffers */
} nn_tensor_info;

typedef struct nn_params {
    size_t tensor_count;
    nn_tensor_info tensors[NN_PARAMS_MAX_TENSORS];
    size_t total;      /* floats per array */
    float *memory;     /* the one allocation (4 × total floats); NULL before allocate */
    float *values;     /* (total) */
    float *grads;      /* (total) */
    float *moment1;    /* (total) SGD momentum buffer / Adam first moment */
    float *moment2;    /* (total) Adam second moment */
} nn_params;

/* Starts an empty table (no allocation). */
void nn_params_init(nn_params *params);

/* Declare a tensor of shape (dims[0], ..., dims[ndim-1]) before nn_params_allocate;
 * *index receives its handle.  Fails with BENCH_INTERNAL on a full table, a
 * duplicate name or a call after allocation. */
int nn_params_add(nn_params *params, const char *name, size_t ndim, const size_t *dims, int trainable,
                  size_t *index, bench_error *error);

/* One zeroed allocation for all declared tensors; freed by nn_params_free. */
int nn_params_allocate(nn_params *params, bench_error *error);
void nn_params_free(nn_params *params);

float *nn_params_value(const nn_params *params, size_t index);  /* (count) view of values */
float *nn_params_grad(const nn_params *params, size_t index);   /* (count) view of grads */
size_t nn_params_count(const nn_params *params, size_t index);
/* SIZE_MAX when no tensor has that name. */
size_t nn_params_find(const nn_params *params, const char *name);
/* Trainable floats only (what `bench models` reports as the parameter count). */
size_t nn_params_trainable_count(const nn_params *params);

void nn_params_zero_grad(nn_params *params);
/* Zeroes moments (a fresh optimizer). */
void nn_params_zero_state(nn_params *params);

/* Initialisers drawing from rng in element order, so a seed fixes every weight.
 * kaiming_uniform: U(-b, b), b = gain * sqrt(3 / fan_in) with gain sqrt(2) (ReLU).
 * xavier_uniform:  U(-b, b), b = sqrt(6 / (fan_in + fan_out)).
 * uniform:         U(-bound, bound); PyTorch's default for Linear/Conv weights
 *                  and biases is bound = 1/sqrt(fan_in). */
void nn_init_kaiming_uniform(float *weights, size_t count, size_t fan_in, bench_rng *rng);
void nn_init_kaiming_normal(float *weights, size_t count, size_t fan_in, bench_rng *rng);
void nn_init_xavier_uniform(float *weights, size_t count, size_t fan_in, size_t fan_out, bench_rng *rng);
void nn_init_uniform(float *weights, size_t count, float bound, bench_rng *rng);
void nn_init_constant(float *weights, size_t count, float value);

/* Checkpoints: one binary file "BENCHNN\0", format version, a model tag (e.g.
 * "dlinear"), the tensor table (name, shape) and the values, followed by a
 * checksum.  Written to a unique PATH.tmp.XXXXXX, fsynced, renamed onto PATH,
 * and the directory fsynced; a failure removes the temporary.  Loading checks,
 * before reading any value, that the tag and the table equal the model's own
 * and that the file size is exactly what the table implies; any mismatch,
 * truncation or corrupted checksum is BENCH_BAD_INPUT naming the file and the
 * first difference. */
int nn_params_save(const nn_params *params, const char *model_tag, const char *path, bench_error *error);
int nn_params_load(nn_params *params, const char *model_tag, const char *path, bench_error *error);

#endif
