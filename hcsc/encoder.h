/* The HCSC encoder for small grey images: three conv blocks with batch-norm
 * (conv3×3 → BN → ReLU → max-pool 2, twice; conv3×3 → BN → ReLU → global
 * average pool) giving the backbone feature, then an MLP projection head
 * (Linear → ReLU → Linear) whose output is L2-normalised, as MoCo v2's `mlp`
 * head.  Parameters live in one nn_params block; batch-norm running statistics
 * are its non-trainable tensors.
 *
 * Batch-norm can be computed per contiguous group of the batch ("ghost" BN):
 * that is how a multi-GPU MoCo run normalises (each GPU sees batch/GPUs images),
 * and with the key branch's input shuffled first it emulates shuffle-BN in one
 * process.  Only the first group updates the running statistics (rank 0's copy
 * is the one a DDP checkpoint keeps). */
#ifndef BENCH_HCSC_ENCODER_H
#define BENCH_HCSC_ENCODER_H

#include <stddef.h>
#include <stdint.h>

#include "bench/error.h"
#include "bench/rng.h"
#include "nn/params.h"
#include "nn/team.h"

#define HCSC_BLOCKS 3

typedef struct hcsc_encoder_config {
    size_t image_size;              /* square input side, 28; must be divisible by 4 */
    size_t channels[HCSC_BLOCKS];   /* 32, 64, 128; the last is the backbone feature size */
    size_t head_hidden;             /* 128 */
    size_t projection_dim;          /* 128 */
} hcsc_encoder_config;

void hcsc_encoder_defaults(hcsc_encoder_config *config);

typedef struct hcsc_encoder {
    hcsc_encoder_config config;
    nn_params params;
    size_t conv_weight[HCSC_BLOCKS];  /* (C_out, C_in, 3, 3), no bias: BN follows */
    size_t bn_weight[HCSC_BLOCKS], bn_bias[HCSC_BLOCKS];            /* (C_out) */
    size_t bn_running_mean[HCSC_BLOCKS], bn_running_var[HCSC_BLOCKS]; /* (C_out), buffers */
    size_t head_weight[2], head_bias[2]; /* (hidden, C3), (hidden); (dim, hidden), (dim) */
} hcsc_encoder;

/* Declares and allocates the parameters; initialises them as PyTorch does
 * (Kaiming-uniform convs, default Linear init, BN weight 1 bias 0, running var 1)
 * drawing from rng.  Freed with hcsc_encoder_free(). */
int hcsc_encoder_create(hcsc_encoder *encoder, const hcsc_encoder_config *config, bench_rng *rng,
                        bench_error *error);
void hcsc_encoder_free(hcsc_encoder *encoder);
size_t hcsc_encoder_feature_dim(const hcsc_encoder *encoder);

/* Forward caches and backward scratch for batches of up to `capacity` images,
 * in one allocation (freed by hcsc_activations_free).  The conv blocks of the
 * BN groups (in evaluation, of chunks of 32 images) run on `team`, borrowed
 * (NULL runs them in order); each worker has its own im2col workspace and each
 * group its own weight gradients, summed in group order, so the results do not
 * depend on the team's size. */
typedef struct hcsc_activations {
    size_t capacity, max_groups;
    nn_team *team;                  /* borrowed */
    size_t workers, workspace_size; /* workspace holds workers × workspace_size floats */
    float *conv_out[HCSC_BLOCKS];   /* BN inputs, per group (C_l, group, S_l, S_l) */
    float *pool_out[2];             /* per group (C_l, group, S_l/2, S_l/2) */
    float *bn_mean[HCSC_BLOCKS], *bn_rstd[HCSC_BLOCKS]; /* (groups, C_l) */
    float *feature;                 /* (B, C3) backbone output */
    float *hidden;                  /* (B, hidden) head pre-activation */
    float *hidden_relu;             /* (B, hidden) */
    float *projection;              /* (B, dim) before normalisation */
    float *output;                  /* (B, dim) L2-normalised */
    float *workspace;               /* conv im2col scratch, one slice per worker */
    float *grad_big[2];             /* backward ping-pong, largest activation size */
    size_t grad_per_image;          /* floats of grad_big per image: the largest block's activations */
    float *grad_small[2];           /* (B, max(C3, hidden, dim)) */
    float *group_grads;             /* (max_groups, conv + BN weight gradients) */
    float *memory;
} hcsc_activations;

int hcsc_activations_create(hcsc_activations *activations, const hcsc_encoder_config *config, size_t capacity,
                            size_t max_groups, nn_team *team, bench_error *error);
void hcsc_activations_free(hcsc_activations *activations);

/* images (batch, 1, S, S) → activations->output (batch, dim) normalised and
 * activations->feature (batch, C3).  training: batch statistics per group of
 * batch/bn_groups images (running statistics updated by group 0); else running
 * statistics.  batch <= capacity, bn_groups <= max_groups and divides batch. */
void hcsc_encoder_forward(hcsc_encoder *encoder, hcsc_activations *activations, const float *images, size_t batch,
                          size_t bn_groups, int training);

/* Adds d(loss)/d(parameters) into encoder->params grads, given grad_output
 * (batch, dim) = d(loss)/d(normalised output), after a training forward of the
 * same images with the same bn_groups. */
void hcsc_encoder_backward(hcsc_encoder *encoder, hcsc_activations *activations, const float *images,
                           const float *grad_output, size_t batch, size_t bn_groups);

/* Evaluation-mode features of many images in chunks of activations->capacity:
 * backbone (count, C3) and/or projection (count, dim), either may be NULL;
 * both L2-normalised when `normalize`. */
void hcsc_encoder_features(hcsc_encoder *encoder, hcsc_activations *activations, const float *images, size_t count,
                           float *backbone, float *projection, int normalize);

/* θ_k ← m θ_k + (1 − m) θ_q over trainable tensors (MoCo's key update;
 * batch-norm buffers keep their own statistics). */
void hcsc_encoder_momentum_update(hcsc_encoder *key, const hcsc_encoder *query, double momentum);

#endif
