#include "nn/attention.h"

#include <math.h>
#include <string.h>

#include "nn/gemm.h"
#include "nn/layers.h"
#include "nn/loss.h"

void nn_attention_forward(float *out, float *qkv, float *probs, float *context, const float *in,
                          const float *in_weight, const float *in_bias, const float *out_weight,
                          const float *out_bias, const nn_attention_dims *dims)
{
    const size_t n = dims->batch, t = dims->steps, d = dims->model_dim, heads = dims->heads, hd = d / heads;
    const float scale = 1.0f / sqrtf((float)hd);
    nn_linear_forward(qkv, in, in_weight, in_bias, n * t, d, 3 * d);
    for (size_t b = 0; b < n; b++)
        for (size_t h = 0; h < heads; h++) {
            const float *q = qkv + b * t * 3 * d + h * hd;
            const float *k = q + d, *v = q + 2 * d;
            float *p = probs + (b * heads + h) * t * t;
            nn_gemm(0, 1, t, t, hd, scale, q, 3 * d, k, 3 * d, 0.0f, p, t);
            for (size_t i = 0; i < t; i++) {
                float *row = p + i * t;
                size_t visible = dims->causal ? i + 1 : t;
                double sum = nn_softmax_exp(row, row, visible);
                for (size_t j = 0; j < visible; j++)
                    row[j] = (float)(row[j] / sum);
                for (size_t j = visible; j < t; j++)
                    row[j] = 0.0f;
            }
            nn_gemm(0, 0, t, hd, t, 1.0f, p, t, v, 3 * d, 0.0f, context + b * t * d + h * hd, d);
        }
    nn_linear_forward(out, context, out_weight, out_bias, n * t, d, d);
}

size_t nn_attention_workspace(const nn_attention_dims *dims)
{
    const size_t n = dims->batch, t = dims->steps, d = dims->model_dim;
    return n * t * d + n * t * 3 * d + t * t;
}

void nn_attention_backward(float *din, float *din_weight, float *din_bias, float *dout_weight, float *dout_bias,
                           float *workspace, const float *dout, const float *in, const float *in_weight,
                           const float *out_weight, const float *qkv, const float *probs, const float *context,
                           const nn_attention_dims *dims)
{
    const size_t n = dims->batch, t = dims->steps, d = dims->model_dim, heads = dims->heads, hd = d / heads;
    const float scale = 1.0f / sqrtf((float)hd);
    float *dcontext = workspace;          /* (n, t, d) */
    float *dqkv = dcontext + n * t * d;   /* (n, t, 3d) */
    float *dprobs = dqkv + n * t * 3 * d; /* (t, t) one head at a time */
    memset(dcontext, 0, (n * t * d + n * t * 3 * d) * sizeof(float));
    nn_linear_backward(dcontext, dout_weight, dout_bias, dout, context, out_weight, n * t, d, d);
    for (size_t b = 0; b < n; b++)
        for (size_t h = 0; h < heads; h++) {
            const float *q = qkv + b * t * 3 * d + h * hd;
            const float *k = q + d, *v = q + 2 * d;
            float *dq = dqkv + b * t * 3 * d + h * hd;
            float *dk = dq + d, *dv = dq + 2 * d;
            const float *p = probs + (b * heads + h) * t * t;
            const float *dctx = dcontext + b * t * d + h * hd;
            nn_gemm(0, 1, t, t, hd, 1.0f, dctx, d, v, 3 * d, 0.0f, dprobs, t);  /* dP = dC · Vᵀ */
            nn_gemm(1, 0, t, hd, t, 1.0f, p, t, dctx, d, 1.0f, dv, 3 * d);      /* dV = Pᵀ · dC */
            for (size_t i = 0; i < t; i++) {
                /* softmax backward: dS = P ⊙ (dP − Σ_j dP·P); masked entries have P = 0. */
                float *row = dprobs + i * t;
                const float *prow = p + i * t;
                double dot = 0.0;
                for (size_t j = 0; j < t; j++)
                    dot += (double)row[j] * prow[j];
                for (size_t j = 0; j < t; j++)
                    row[j] = prow[j] * (row[j] - (float)dot);
            }
            nn_gemm(0, 0, t, hd, t, scale, dprobs, t, k, 3 * d, 1.0f, dq, 3 * d); /* dQ = s·dS·K */
            nn_gemm(1, 0, t, hd, t, scale, dprobs, t, q, 3 * d, 1.0f, dk, 3 * d); /* dK = s·dSᵀ·Q */
        }
    nn_linear_backward(din, din_weight, din_bias, dqkv, in, in_weight, n * t, d, 3 * d);
}
