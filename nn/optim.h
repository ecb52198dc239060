/* Optimizers over an nn_params block (state lives in its moment arrays),
 * learning-rate schedules and global-norm gradient clipping.  Updates follow
 * PyTorch's torch.optim definitions so hyper-parameters from papers transfer. */
#ifndef BENCH_NN_OPTIM_H
#define BENCH_NN_OPTIM_H

#include <stddef.h>

#include "nn/params.h"

typedef enum { NN_OPTIM_SGD, NN_OPTIM_ADAM, NN_OPTIM_ADAMW } nn_optimizer_kind;

typedef struct nn_optimizer {
    nn_optimizer_kind kind;
    float learning_rate;   /* read at every step: schedules just assign it */
    float momentum;        /* SGD; 0 = plain SGD */
    int nesterov;          /* SGD */
    float weight_decay;    /* SGD/Adam: L2 added to the gradient; AdamW: decoupled */
    float beta1, beta2, eps;
    long step;             /* steps taken (Adam bias correction) */
} nn_optimizer;

nn_optimizer nn_optimizer_sgd(float learning_rate, float momentum, float weight_decay);
/* beta1 0.9, beta2 0.999, eps 1e-8 (PyTorch's defaults). */
nn_optimizer nn_optimizer_adam(float learning_rate, float weight_decay);
nn_optimizer nn_optimizer_adamw(float learning_rate, float weight_decay);

/* One update of every trainable tensor from params->grads. */
void nn_optimizer_step(nn_optimizer *optimizer, nn_params *params);

/* L2 norm of all trainable gradients. */
double nn_grad_norm(const nn_params *params);
/* Scales gradients so their global norm is at most max_norm (coefficient
 * max_norm / (norm + 1e-6), as torch.nn.utils.clip_grad_norm_); returns the norm before clipping. */
double nn_clip_grad_norm(nn_params *params, double max_norm);

/* Cosine annealing from base to minimum over total_steps after a linear warm-up
 * of warmup_steps (0 for none); step counts from 0. */
float nn_lr_cosine(float base, float minimum, size_t step, size_t total_steps, size_t warmup_steps);
/* base · gamma^(floor(epoch / step_size)). */
float nn_lr_step(float base, size_t epoch, size_t step_size, float gamma);

#endif
