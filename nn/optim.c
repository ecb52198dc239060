#include "nn/optim.h"

#include <math.h>

nn_optimizer nn_optimizer_sgd(float learning_rate, float momentum, float weight_decay)
{
    nn_optimizer optimizer = {.kind = NN_OPTIM_SGD, .learning_rate = learning_rate, .momentum = momentum,
                              .weight_decay = weight_decay, .beta1 = 0.9f, .beta2 = 0.999f, .eps = 1e-8f};
    return optimizer;
}

nn_optimizer nn_optimizer_adam(float learning_rate, float weight_decay)
{
    nn_optimizer optimizer = {.kind = NN_OPTIM_ADAM, .learning_rate = learning_rate, .weight_decay = weight_decay,
                              .beta1 = 0.9f, .beta2 = 0.999f, .eps = 1e-8f};
    return optimizer;
}

nn_optimizer nn_optimizer_adamw(float learning_rate, float weight_decay)
{
    nn_optimizer optimizer = nn_optimizer_adam(learning_rate, weight_decay);
    optimizer.kind = NN_OPTIM_ADAMW;
    return optimizer;
}

void nn_optimizer_step(nn_optimizer *optimizer, nn_params *params)
{
    optimizer->step++;
    const float lr = optimizer->learning_rate, wd = optimizer->weight_decay;
    const double bias1 = 1.0 - pow(optimizer->beta1, (double)optimizer->step);
    const double bias2 = 1.0 - pow(optimizer->beta2, (double)optimizer->step);
    const float step_size = (float)(lr / bias1);
    const float bias2_sqrt = (float)sqrt(bias2);
    for (size_t t = 0; t < params->tensor_count; t++) {
        const nn_tensor_info *info = &params->tensors[t];
        if (!info->trainable)
            continue;
        float *w = params->values + info->offset, *g = params->grads + info->offset;
        float *m = params->moment1 + info->offset, *v = params->moment2 + info->offset;
        for (size_t i = 0; i < info->count; i++) {
            float grad = g[i];
            switch (optimizer->kind) {
            case NN_OPTIM_SGD:
                grad += wd * w[i];
                if (optimizer->momentum != 0.0f) {
                    /* PyTorch seeds the buffer with the first gradient. */
                    m[i] = optimizer->step == 1 ? grad : optimizer->momentum * m[i] + grad;
                    grad = optimizer->nesterov ? grad + optimizer->momentum * m[i] : m[i];
                }
                w[i] -= lr * grad;
                break;
            case NN_OPTIM_ADAM:
            case NN_OPTIM_ADAMW:
                if (optimizer->kind == NN_OPTIM_ADAMW)
                    w[i] *= 1.0f - lr * wd;
                else
                    grad += wd * w[i];
                m[i] = optimizer->beta1 * m[i] + (1.0f - optimizer->beta1) * grad;
                v[i] = optimizer->beta2 * v[i] + (1.0f - optimizer->beta2) * grad * grad;
                w[i] -= step_size * m[i] / (sqrtf(v[i]) / bias2_sqrt + optimizer->eps);
                break;
            }
        }
    }
}

double nn_grad_norm(const nn_params *params)
{
    double sum = 0.0;
    for (size_t t = 0; t < params->tensor_count; t++) {
        const nn_tensor_info *info = &params->tensors[t];
        if (!info->trainable)
            continue;
        const float *g = params->grads + info->offset;
        for (size_t i = 0; i < info->count; i++)
            sum += (double)g[i] * g[i];
    }
    return sqrt(sum);
}

double nn_clip_grad_norm(nn_params *params, double max_norm)
{
    double norm = nn_grad_norm(params);
    double coefficient = max_norm / (norm + 1e-6);
    if (coefficient < 1.0)
        for (size_t t = 0; t < params->tensor_count; t++) {
            const nn_tensor_info *info = &params->tensors[t];
            if (!info->trainable)
                continue;
            float *g = params->grads + info->offset;
            for (size_t i = 0; i < info->count; i++)
                g[i] *= (float)coefficient;
        }
    return norm;
}

float nn_lr_cosine(float base, float minimum, size_t step, size_t total_steps, size_t warmup_steps)
{
    if (step < warmup_steps)
        return base * (float)(step + 1) / (float)warmup_steps;
    if (total_steps <= warmup_steps || step >= total_steps)
        return minimum;
    double progress = (double)(step - warmup_steps) / (double)(total_steps - warmup_steps);
    return (float)(minimum + 0.5 * (base - minimum) * (1.0 + cos(M_PI * progress)));
}

float nn_lr_step(float base, size_t epoch, size_t step_size, float gamma)
{
    if (step_size == 0)
        return base;
    return base * powf(gamma, (float)(epoch / step_size));
}
