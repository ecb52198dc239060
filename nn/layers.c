/* Dense, element-wise, normalisation, pooling, embedding and patching kernels
 * (convolutions are in conv.c).  Contracts are in nn/layers.h. */
#include "nn/layers.h"

#include <math.h>
#include <string.h>

#include "nn/gemm.h"
/* Four-lane vectors for the loops the compiler leaves scalar at -O2. */
#include "nn/vec4.h"

/* ---- linear ------------------------------------------------------------------ */

void nn_linear_forward(float *out, const float *in, const float *weight, const float *bias, size_t n,
                       size_t in_features, size_t out_features)
{
    if (bias != NULL) {
        for (size_t i = 0; i < n; i++)
            memcpy(out + i * out_features, bias, out_features * sizeof(float));
    }
    nn_gemm(0, 1, n, out_features, in_features, 1.0f, in, in_features, weight, in_features,
            bias != NULL ? 1.0f : 0.0f, out, out_features);
}

void nn_linear_backward(float *din, float *dweight, float *dbias, const float *dout, const float *in,
                        const float *weight, size_t n, size_t in_features, size_t out_features)
{
    if (din != NULL)
        nn_gemm(0, 0, n, in_features, out_features, 1.0f, dout, out_features, weight, in_features, 1.0f, din,
                in_features);
    if (dweight != NULL)
        nn_gemm(1, 0, out_features, in_features, n, 1.0f, dout, out_features, in, in_features, 1.0f, dweight,
                in_features);
    if (dbias != NULL)
        for (size_t i = 0; i < n; i++) {
            /* Four columns at a time: the compiler cannot rule out dbias aliasing dout. */
            const float *row = dout + i * out_features;
            size_t o = 0;
            for (; o + 4 <= out_features; o += 4) {
                v4sf acc, add;
                memcpy(&acc, dbias + o, sizeof acc);
                memcpy(&add, row + o, sizeof add);
                acc += add;
                memcpy(dbias + o, &acc, sizeof acc);
            }
            for (; o < out_features; o++)
                dbias[o] += row[o];
        }
}

/* ---- activations ----------------------------------------------------------- */

/* ReLU four lanes at a time with a comparison mask (GCC/Clang vector
 * extensions): activations are positive about half the time, so a branch
 * mispredicts constantly, and at -O2 the compiler turns even a multiply by the
 * comparison back into a branch (12% of an MLP epoch).  NaN maps to 0. */

void nn_relu_forward(float *out, const float *in, size_t count)
{
    size_t i = 0;
    for (; i + 4 <= count; i += 4) {
        v4sf x;
        memcpy(&x, in + i, sizeof x);
        v4si positive = x > (v4sf){0.0f, 0.0f, 0.0f, 0.0f};
        x = (v4sf)((v4si)x & positive);
        memcpy(out + i, &x, sizeof x);
    }
    for (; i < count; i++)
        out[i] = in[i] > 0.0f ? in[i] : 0.0f;
}

void nn_relu_backward(float *din, const float *dout, const float *in, size_t count)
{
    size_t i = 0;
    for (; i + 4 <= count; i += 4) {
        v4sf x, g, d;
        memcpy(&x, in + i, sizeof x);
        memcpy(&g, dout + i, sizeof g);
        memcpy(&d, din + i, sizeof d);
        v4si positive = x > (v4sf){0.0f, 0.0f, 0.0f, 0.0f};
        d += (v4sf)((v4si)g & positive);
        memcpy(din + i, &d, sizeof d);
    }
    for (; i < count; i++)
        if (in[i] > 0.0f)
            din[i] += dout[i];
}

/* erf by Abramowitz & Stegun 7.1.26 (|error| <= 1.5e-7, float's own rounding):
 * branch-free apart from the sign, so the GELU loops vectorise; glibc's erff
 * was a third of PatchTST's run time. */
static inline float erf_fast(float x)
{
    float a = fabsf(x);
    float t = 1.0f / (1.0f + 0.3275911f * a);
    float poly = t * (0.254829592f + t * (-0.284496736f + t * (1.421413741f + t * (-1.453152027f + t * 1.061405429f))));
    float y = 1.0f - poly * expf(-a * a);
    return copysignf(y, x);
}

void nn_gelu_forward(float *out, const float *in, size_t count)
{
    for (size_t i = 0; i < count; i++)
        out[i] = 0.5f * in[i] * (1.0f + erf_fast(in[i] * (float)M_SQRT1_2));
}

void nn_gelu_backward(float *din, const float *dout, const float *in, size_t count)
{
    const float inv_sqrt_2pi = 0.3989422804014327f;
    for (size_t i = 0; i < count; i++) {
        float x = in[i];
        float cdf = 0.5f * (1.0f + erf_fast(x * (float)M_SQRT1_2));
        float pdf = inv_sqrt_2pi * expf(-0.5f * x * x);
        din[i] += dout[i] * (cdf + x * pdf);
    }
}

void nn_tanh_forward(float *out, const float *in, size_t count)
{
    for (size_t i = 0; i < count; i++)
        out[i] = tanhf(in[i]);
}

void nn_tanh_backward(float *din, const float *dout, const float *out, size_t count)
{
    for (size_t i = 0; i < count; i++)
        din[i] += dout[i] * (1.0f - out[i] * out[i]);
}

static float sigmoid(float x)
{
    /* Two branches keep expf from overflowing for large |x|. */
    if (x >= 0.0f)
        return 1.0f / (1.0f + expf(-x));
    float e = expf(x);
    return e / (1.0f + e);
}

void nn_sigmoid_forward(float *out, const float *in, size_t count)
{
    for (size_t i = 0; i < count; i++)
        out[i] = sigmoid(in[i]);
}

void nn_sigmoid_backward(float *din, const float *dout, const float *out, size_t count)
{
    for (size_t i = 0; i < count; i++)
        din[i] += dout[i] * out[i] * (1.0f - out[i]);
}

void nn_softplus_forward(float *out, const float *in, size_t count)
{
    /* PyTorch's threshold: linear above 20, where log1p(exp(x)) == x in float. */
    for (size_t i = 0; i < count; i++)
        out[i] = in[i] > 20.0f ? in[i] : log1pf(expf(in[i]));
}

void nn_softplus_backward(float *din, const float *dout, const float *in, size_t count)
{
    for (size_t i = 0; i < count; i++)
        din[i] += dout[i] * (in[i] > 20.0f ? 1.0f : sigmoid(in[i]));
}

/* ---- dropout ---------------------------------------------------------------- */

void nn_dropout_forward(float *out, float *mask, const float *in, size_t count, float p, bench_rng *rng)
{
    if (p <= 0.0f) {
        for (size_t i = 0; i < count; i++) {
            mask[i] = 1.0f;
            out[i] = in[i];
        }
        return;
    }
    float scale = p < 1.0f ? 1.0f / (1.0f - p) : 0.0f;
    /* Two 24-bit uniforms from each 64-bit draw, compared as integers against
     * p·2^24: the per-element generator call was a tenth of an MLP epoch. */
    uint64_t threshold = (uint64_t)((double)p * 16777216.0);
    uint64_t bits = 0;
    for (size_t i = 0; i < count; i++) {
        if (i % 2 == 0)
            bits = bench_rng_next(rng);
        uint64_t u = i % 2 == 0 ? bits >> 40 : (bits >> 16) & 0xFFFFFFu;
        mask[i] = u < threshold ? 0.0f : scale;
        out[i] = in[i] * mask[i];
    }
}

void nn_dropout_backward(float *din, const float *dout, const float *mask, size_t count)
{
    for (size_t i = 0; i < count; i++)
        din[i] += dout[i] * mask[i];
}

/* ---- layernorm ------------------------------------------------------------- */

void nn_layernorm_forward(float *out, float *mean, float *rstd, const float *in, const float *weight,
                          const float *bias, size_t n, size_t c, float eps)
{
    for (size_t i = 0; i < n; i++) {
        const float *x = in + i * c;
        double sum = 0.0;
        for (size_t j = 0; j < c; j++)
            sum += x[j];
        double m = sum / (double)c;
        double var = 0.0;
        for (size_t j = 0; j < c; j++)
            var += (x[j] - m) * (x[j] - m);
        var /= (double)c;
        float s = (float)(1.0 / sqrt(var + eps));
        float *y = out + i * c;
        for (size_t j = 0; j < c; j++) {
            float norm = (x[j] - (float)m) * s;
            y[j] = weight != NULL ? norm * weight[j] + bias[j] : norm;
        }
        mean[i] = (float)m;
        rstd[i] = s;
    }
}

void nn_layernorm_backward(float *din, float *dweight, float *dbias, const float *dout, const float *in,
                           const float *weight, const float *mean, const float *rstd, size_t n, size_t c)
{
    for (size_t i = 0; i < n; i++) {
        const float *x = in + i * c;
        const float *dy = dout + i * c;
        double dnorm_mean = 0.0, dnorm_norm_mean = 0.0;
        for (size_t j = 0; j < c; j++) {
            float norm = (x[j] - mean[i]) * rstd[i];
            float dnorm = weight != NULL ? weight[j] * dy[j] : dy[j];
            dnorm_mean += dnorm;
            dnorm_norm_mean += dnorm * norm;
        }
        dnorm_mean /= (double)c;
        dnorm_norm_mean /= (double)c;
        for (size_t j = 0; j < c; j++) {
            float norm = (x[j] - mean[i]) * rstd[i];
            float dnorm = weight != NULL ? weight[j] * dy[j] : dy[j];
            if (dbias != NULL)
                dbias[j] += dy[j];
            if (dweight != NULL)
                dweight[j] += norm * dy[j];
            if (din != NULL)
                din[i * c + j] += (float)((dnorm - dnorm_mean - norm * dnorm_norm_mean) * rstd[i]);
        }
    }
}

/* ---- batchnorm --------------------------------------------------------------
 * Each (sample, channel) plane is contiguous, so sums run per plane in eight
 * independent float lanes (the compiler vectorises them, and there is no serial
 * dependency chain) and the planes are added in double: this was a double
 * accumulation element by element, 18% of an HCSC training step. */

enum { BN_LANES = 8 };

/* Σ x and Σ (x − centre)² over one plane. */
static void plane_moments(double *sum, double *squares, const float *x, size_t count, float centre)
{
    float lane_sum[BN_LANES] = {0}, lane_squares[BN_LANES] = {0};
    size_t s = 0;
    for (; s + BN_LANES <= count; s += BN_LANES)
        for (size_t k = 0; k < BN_LANES; k++) {
            float d = x[s + k] - centre;
            lane_sum[k] += x[s + k];
            lane_squares[k] += d * d;
        }
    double total = 0.0, total_squares = 0.0;
    for (; s < count; s++) {
        double d = (double)x[s] - centre;
        total += x[s];
        total_squares += d * d;
    }
    for (size_t k = 0; k < BN_LANES; k++)
        total += lane_sum[k], total_squares += lane_squares[k];
    *sum += total;
    *squares += total_squares;
}

/* Σ dy and Σ dy·(x − centre) over one plane. */
static void plane_gradient_sums(double *sum_dy, double *sum_dy_centred, const float *dy, const float *x,
                                size_t count, float centre)
{
    float lane_dy[BN_LANES] = {0}, lane_dy_centred[BN_LANES] = {0};
    size_t s = 0;
    for (; s + BN_LANES <= count; s += BN_LANES)
        for (size_t k = 0; k < BN_LANES; k++) {
            lane_dy[k] += dy[s + k];
            lane_dy_centred[k] += dy[s + k] * (x[s + k] - centre);
        }
    double total = 0.0, total_centred = 0.0;
    for (; s < count; s++) {
        total += dy[s];
        total_centred += (double)dy[s] * ((double)x[s] - centre);
    }
    for (size_t k = 0; k < BN_LANES; k++)
        total += lane_dy[k], total_centred += lane_dy_centred[k];
    *sum_dy += total;
    *sum_dy_centred += total_centred;
}

void nn_batchnorm_forward(float *out, float *mean, float *rstd, float *running_mean, float *running_var,
                          const float *in, const float *weight, const float *bias, size_t n, size_t c,
                          size_t spatial, float eps, float momentum, int training)
{
    nn_batchnorm_forward_channels(out, mean, rstd, running_mean, running_var, in, weight, bias, n, c, spatial, eps,
                                  momentum, training, 0, c);
}

void nn_batchnorm_forward_channels(float *out, float *mean, float *rstd, float *running_mean, float *running_var,
                                   const float *in, const float *weight, const float *bias, size_t n, size_t c,
                                   size_t spatial, float eps, float momentum, int training, size_t first,
                                   size_t count)
{
    size_t m = n * spatial;
    for (size_t ch = first; ch < first + count; ch++) {
        if (training) {
            /* Two passes (mean, then squares about it): one-pass Σx² cancels badly
             * when |mean| ≫ std. */
            double sum = 0.0, unused = 0.0;
            for (size_t i = 0; i < n; i++)
                plane_moments(&sum, &unused, in + (i * c + ch) * spatial, spatial, 0.0f);
            float mu = (float)(sum / (double)m);
            double centred_sum = 0.0, squares = 0.0;
            for (size_t i = 0; i < n; i++)
                plane_moments(&centred_sum, &squares, in + (i * c + ch) * spatial, spatial, mu);
            /* Σ(x − mu)² about the rounded mean, corrected to the exact mean. */
            double residual = centred_sum - (double)mu * (double)m;
            double var = squares - residual * residual / (double)m;
            var = var < 0.0 ? 0.0 : var;
            double biased = var / (double)m;
            double unbiased = m > 1 ? var / (double)(m - 1) : biased;
            mean[ch] = (float)(sum / (double)m);
            rstd[ch] = (float)(1.0 / sqrt(biased + eps));
            if (running_mean != NULL) {
                running_mean[ch] = (1.0f - momentum) * running_mean[ch] + momentum * mean[ch];
                running_var[ch] = (1.0f - momentum) * running_var[ch] + momentum * (float)unbiased;
            }
        } else {
            mean[ch] = running_mean[ch];
            rstd[ch] = 1.0f / sqrtf(running_var[ch] + eps);
        }
        float g = weight != NULL ? weight[ch] : 1.0f;
        float b = bias != NULL ? bias[ch] : 0.0f;
        float scale = rstd[ch] * g, shift = b - mean[ch] * scale;
        for (size_t i = 0; i < n; i++) {
            const float *x = in + (i * c + ch) * spatial;
            float *y = out + (i * c + ch) * spatial;
            for (size_t s = 0; s < spatial; s++)
                y[s] = x[s] * scale + shift;
        }
    }
}

void nn_batchnorm_backward(float *din, float *dweight, float *dbias, const float *dout, const float *in,
                           const float *weight, const float *mean, const float *rstd, size_t n, size_t c,
                           size_t spatial, int training)
{
    nn_batchnorm_backward_channels(din, dweight, dbias, dout, in, weight, mean, rstd, n, c, spatial, training, 0, c);
}

void nn_batchnorm_backward_channels(float *din, float *dweight, float *dbias, const float *dout, const float *in,
                                    const float *weight, const float *mean, const float *rstd, size_t n, size_t c,
                                    size_t spatial, int training, size_t first, size_t count)
{
    size_t m = n * spatial;
    for (size_t ch = first; ch < first + count; ch++) {
        double sum_dy = 0.0, sum_dy_centred = 0.0;
        for (size_t i = 0; i < n; i++)
            plane_gradient_sums(&sum_dy, &sum_dy_centred, dout + (i * c + ch) * spatial, in + (i * c + ch) * spatial,
                                spatial, mean[ch]);
        double sum_dy_xhat = sum_dy_centred * rstd[ch];
        if (dbias != NULL)
            dbias[ch] += (float)sum_dy;
        if (dweight != NULL)
            dweight[ch] += (float)sum_dy_xhat;
        if (din == NULL)
            continue;
        float g = weight != NULL ? weight[ch] : 1.0f;
        float scale = g * rstd[ch];
        /* din = scale·(dy − Σdy/m − x̂·Σdy·x̂/m) = scale·dy + slope·x + offset. */
        float slope = training ? (float)(-(double)scale * rstd[ch] * sum_dy_xhat / (double)m) : 0.0f;
        float offset = training ? (float)(-(double)scale * sum_dy / (double)m) - slope * mean[ch] : 0.0f;
        for (size_t i = 0; i < n; i++) {
            const float *dy = dout + (i * c + ch) * spatial, *x = in + (i * c + ch) * spatial;
            float *dx = din + (i * c + ch) * spatial;
            for (size_t s = 0; s < spatial; s++)
                dx[s] += scale * dy[s] + slope * x[s] + offset;
        }
    }
}

/* ---- pooling ------------------------------------------------------------------- */

/* Where `take` is set, the candidate replaces the best value and its index. */
static inline void take_where(v4sf *best, v4si *best_at, v4sf candidate, v4si candidate_at, v4si take)
{
    *best = (v4sf)(((v4si)candidate & take) | ((v4si)*best & ~take));
    *best_at = (candidate_at & take) | (*best_at & ~take);
}

/* The common 2×2, stride-2, unpadded window, four outputs at a time with
 * comparison masks: which tap wins is data-dependent, so branches mispredict
 * about half the time (12% of an HCSC step).  Same rules as the general loop:
 * taps in row-major order, ">" keeps the first maximum, NaN propagates. */
static void maxpool_2x2(float *out, int32_t *argmax, const float *in, size_t planes, size_t h, size_t w)
{
    size_t out_h = h / 2, out_w = w / 2;
    for (size_t plane = 0; plane < planes; plane++)
        for (size_t oy = 0; oy < out_h; oy++) {
            const float *top = in + plane * h * w + 2 * oy * w, *bottom = top + w;
            int32_t top_at = (int32_t)(plane * h * w + 2 * oy * w), bottom_at = top_at + (int32_t)w;
            float *o = out + (plane * out_h + oy) * out_w;
            int32_t *o_at = argmax + (plane * out_h + oy) * out_w;
            size_t ox = 0;
            for (; ox + 4 <= out_w; ox += 4) {
                v4sf t0, t1, b0, b1;
                memcpy(&t0, top + 2 * ox, sizeof t0), memcpy(&t1, top + 2 * ox + 4, sizeof t1);
                memcpy(&b0, bottom + 2 * ox, sizeof b0), memcpy(&b1, bottom + 2 * ox + 4, sizeof b1);
                v4sf top_left = __builtin_shufflevector(t0, t1, 0, 2, 4, 6);
                v4sf top_right = __builtin_shufflevector(t0, t1, 1, 3, 5, 7);
                v4sf bottom_left = __builtin_shufflevector(b0, b1, 0, 2, 4, 6);
                v4sf bottom_right = __builtin_shufflevector(b0, b1, 1, 3, 5, 7);
                v4si column = (v4si){0, 2, 4, 6} + (int32_t)(2 * ox);
                v4sf best = top_left;
                v4si best_at = column + top_at;
                take_where(&best, &best_at, top_right, column + (top_at + 1),
                           (top_right > best) | (top_right != top_right));
                take_where(&best, &best_at, bottom_left, column + bottom_at,
                           (bottom_left > best) | (bottom_left != bottom_left));
                take_where(&best, &best_at, bottom_right, column + (bottom_at + 1),
                           (bottom_right > best) | (bottom_right != bottom_right));
                memcpy(o + ox, &best, sizeof best);
                memcpy(o_at + ox, &best_at, sizeof best_at);
            }
            for (; ox < out_w; ox++) {
                size_t left = 2 * ox;
                float best = top[left];
                int32_t best_at = top_at + (int32_t)left;
                const float taps[3] = {top[left + 1], bottom[left], bottom[left + 1]};
                const int32_t taps_at[3] = {top_at + (int32_t)left + 1, bottom_at + (int32_t)left,
                                            bottom_at + (int32_t)left + 1};
                for (int t = 0; t < 3; t++)
                    if (taps[t] > best || isnan(taps[t]))
                        best = taps[t], best_at = taps_at[t];
                o[ox] = best;
                o_at[ox] = best_at;
            }
        }
}

void nn_maxpool2d_forward(float *out, int32_t *argmax, const float *in, size_t n, size_t c, size_t h, size_t w,
                          size_t kernel, size_t stride, size_t padding)
{
    if (kernel == 2 && stride == 2 && padding == 0) {
        maxpool_2x2(out, argmax, in, n * c, h, w);
        return;
    }
    size_t out_h = (h + 2 * padding - kernel) / stride + 1;
    size_t out_w = (w + 2 * padding - kernel) / stride + 1;
    for (size_t plane = 0; plane < n * c; plane++) {
        const float *x = in + plane * h * w;
        for (size_t oy = 0; oy < out_h; oy++)
            for (size_t ox = 0; ox < out_w; ox++) {
                float best = -INFINITY;
                int32_t best_at = -1;
                for (size_t ky = 0; ky < kernel; ky++) {
                    long y = (long)(oy * stride + ky) - (long)padding;
                    if (y < 0 || y >= (long)h)
                        continue;
                    for (size_t kx = 0; kx < kernel; kx++) {
                        long xx = (long)(ox * stride + kx) - (long)padding;
                        if (xx < 0 || xx >= (long)w)
                            continue;
                        float v = x[y * (long)w + xx];
                        /* ">" keeps the first maximum, as PyTorch does; NaN propagates. */
                        if (best_at < 0 || v > best || isnan(v)) {
                            best = v;
                            best_at = (int32_t)(plane * h * w + (size_t)y * w + (size_t)xx);
                        }
                    }
                }
                size_t o = (plane * out_h + oy) * out_w + ox;
                out[o] = best;
                argmax[o] = best_at;
            }
    }
}

void nn_maxpool2d_backward(float *din, const float *dout, const int32_t *argmax, size_t n, size_t c,
                           size_t out_h, size_t out_w)
{
    size_t count = n * c * out_h * out_w;
    for (size_t o = 0; o < count; o++)
        if (argmax[o] >= 0)
            din[argmax[o]] += dout[o];
}

void nn_global_avgpool_forward(float *out, const float *in, size_t n, size_t c, size_t spatial)
{
    for (size_t plane = 0; plane < n * c; plane++) {
        double sum = 0.0;
        for (size_t s = 0; s < spatial; s++)
            sum += in[plane * spatial + s];
        out[plane] = (float)(sum / (double)spatial);
    }
}

void nn_global_avgpool_backward(float *din, const float *dout, size_t n, size_t c, size_t spatial)
{
    for (size_t plane = 0; plane < n * c; plane++) {
        float g = dout[plane] / (float)spatial;
        for (size_t s = 0; s < spatial; s++)
            din[plane * spatial + s] += g;
    }
}

/* ---- embedding and patching -------------------------------------------------- */

void nn_embedding_forward(float *out, const int32_t *indices, const float *table, size_t n, size_t dim)
{
    for (size_t i = 0; i < n; i++)
        memcpy(out + i * dim, table + (size_t)indices[i] * dim, dim * sizeof(float));
}

void nn_embedding_backward(float *dtable, const float *dout, const int32_t *indices, size_t n, size_t dim)
{
    for (size_t i = 0; i < n; i++)
        for (size_t j = 0; j < dim; j++)
            dtable[(size_t)indices[i] * dim + j] += dout[i * dim + j];
}

size_t nn_patch_count(size_t length, size_t patch_len, size_t stride, int pad_end)
{
    size_t padded = length + (pad_end ? stride : 0);
    if (padded < patch_len || stride == 0)
        return 0;
    return (padded - patch_len) / stride + 1;
}

/* Patch p of sample i holds positions p·stride.. of its series; positions past
 * the end repeat the last value (pad_end).  Forward copies series values into
 * patches; BACKWARD adds patch gradients back onto the positions they came from. */
static void patch_walk(float *out, const float *in, size_t n, size_t length, size_t patch_len, size_t stride,
                       int pad_end, int backward)
{
    size_t patches = nn_patch_count(length, patch_len, stride, pad_end);
    for (size_t i = 0; i < n; i++)
        for (size_t p = 0; p < patches; p++)
            for (size_t j = 0; j < patch_len; j++) {
                size_t t = p * stride + j;
                size_t patch = (i * patches + p) * patch_len + j, series = i * length + (t < length ? t : length - 1);
                if (backward)
                    out[series] += in[patch];
                else
                    out[patch] = in[series];
            }
}

void nn_patch_forward(float *out, const float *in, size_t n, size_t length, size_t patch_len, size_t stride,
                      int pad_end)
{
    patch_walk(out, in, n, length, patch_len, stride, pad_end, 0);
}

void nn_patch_backward(float *din, const float *dout, size_t n, size_t length, size_t patch_len, size_t stride,
                       int pad_end)
{
    patch_walk(din, dout, n, length, patch_len, stride, pad_end, 1);
}
