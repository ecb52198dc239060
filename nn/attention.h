/* Multi-head self-attention, as torch.nn.MultiheadAttention (batch_first,
 * no dropout on the weights):
 *   qkv = in · in_weightᵀ + in_bias, split into heads of size d/heads;
 *   probs = softmax(q kᵀ / sqrt(d/heads)) (future positions masked when causal);
 *   context = probs · v, heads concatenated; out = context · out_weightᵀ + out_bias.
 * in, out (n, t, d); in_weight (3d, d), in_bias (3d); out_weight (d, d),
 * out_bias (d); either bias may be NULL.  Caches qkv (n, t, 3d), probs
 * (n, heads, t, t), context (n, t, d) are written by forward and read by
 * backward.  Backward adds into every gradient; workspace: nn_attention_workspace floats. */
#ifndef BENCH_NN_ATTENTION_H
#define BENCH_NN_ATTENTION_H

#include <stddef.h>

typedef struct nn_attention_dims {
    size_t batch, steps, model_dim, heads;
    int causal;
} nn_attention_dims;

void nn_attention_forward(float *out, float *qkv, float *probs, float *context, const float *in,
                          const float *in_weight, const float *in_bias, const float *out_weight,
                          const float *out_bias, const nn_attention_dims *dims);
size_t nn_attention_workspace(const nn_attention_dims *dims);
void nn_attention_backward(float *din, float *din_weight, float *din_bias, float *dout_weight, float *dout_bias,
                           float *workspace, const float *dout, const float *in, const float *in_weight,
                           const float *out_weight, const float *qkv, const float *probs, const float *context,
                           const nn_attention_dims *dims);

#endif
