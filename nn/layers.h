/* Pure layer kernels.  Argument order follows llm.c: outputs first, then caches,
 * inputs, weights, shapes; backward mirrors it with gradients first.  Every
 * backward ADDS into its gradient outputs (input gradient included), so the
 * caller zeroes once (nn_params_zero_grad / memset) and residual branches simply
 * sum.  Any gradient pointer may be NULL when that gradient is not wanted (e.g.
 * the input of the first layer).  All tensors are row-major float arrays. */
#ifndef BENCH_NN_LAYERS_H
#define BENCH_NN_LAYERS_H

#include <stddef.h>
#include <stdint.h>

#include "bench/rng.h"

/* ---- linear --------------------------------------------------------------
 * out (n, out_features) = in (n, in_features) · weightᵀ + bias
 * weight (out_features, in_features) — PyTorch's layout; bias (out_features) or NULL. */
void nn_linear_forward(float *out, const float *in, const float *weight, const float *bias, size_t n,
                       size_t in_features, size_t out_features);
void nn_linear_backward(float *din, float *dweight, float *dbias, const float *dout, const float *in,
                        const float *weight, size_t n, size_t in_features, size_t out_features);

/* ---- element-wise activations (count elements; out may equal in) ----------
 * Backward of relu uses the forward input; gelu uses the input (exact erf form,
 * PyTorch's default); tanh, sigmoid use the forward OUTPUT; softplus the input. */
void nn_relu_forward(float *out, const float *in, size_t count);
void nn_relu_backward(float *din, const float *dout, const float *in, size_t count);
void nn_gelu_forward(float *out, const float *in, size_t count);
void nn_gelu_backward(float *din, const float *dout, const float *in, size_t count);
void nn_tanh_forward(float *out, const float *in, size_t count);
void nn_tanh_backward(float *din, const float *dout, const float *out, size_t count);
void nn_sigmoid_forward(float *out, const float *in, size_t count);
void nn_sigmoid_backward(float *din, const float *dout, const float *out, size_t count);
void nn_softplus_forward(float *out, const float *in, size_t count);
void nn_softplus_backward(float *din, const float *dout, const float *in, size_t count);

/* ---- dropout (inverted): mask (count) receives 0 or 1/(1-p) drawn from rng.
 * With p == 0 (or at evaluation) it is a copy and the mask is all ones. */
void nn_dropout_forward(float *out, float *mask, const float *in, size_t count, float p, bench_rng *rng);
void nn_dropout_backward(float *din, const float *dout, const float *mask, size_t count);

/* ---- layernorm over the last dimension ------------------------------------
 * in, out (n, c); weight, bias (c); caches mean, rstd (n). */
void nn_layernorm_forward(float *out, float *mean, float *rstd, const float *in, const float *weight,
                          const float *bias, size_t n, size_t c, float eps);
void nn_layernorm_backward(float *din, float *dweight, float *dbias, const float *dout, const float *in,
                           const float *weight, const float *mean, const float *rstd, size_t n, size_t c);

/* ---- batchnorm over (n, c, spatial): NCHW with spatial = H·W, or (n, c) with
 * spatial = 1.  Statistics per channel over n·spatial values.
 * training: normalise with the batch mean and biased variance, and update
 *   running_mean/var ← (1-momentum)·running + momentum·batch (unbiased variance),
 *   as PyTorch does (momentum 0.1).
 * evaluation: normalise with the running statistics (not updated).
 * Caches mean, rstd (c) hold what was used; backward reads training to know
 * whether the statistics depended on the batch. */
void nn_batchnorm_forward(float *out, float *mean, float *rstd, float *running_mean, float *running_var,
                          const float *in, const float *weight, const float *bias, size_t n, size_t c,
                          size_t spatial, float eps, float momentum, int training);
void nn_batchnorm_backward(float *din, float *dweight, float *dbias, const float *dout, const float *in,
                           const float *weight, const float *mean, const float *rstd, size_t n, size_t c,
                           size_t spatial, int training);
/* The same for channels [first, first + count) of c only (every array keeps its
 * full shape): channels are independent, so a team can split them and get the
 * bits of the whole call. */
void nn_batchnorm_forward_channels(float *out, float *mean, float *rstd, float *running_mean, float *running_var,
                                   const float *in, const float *weight, const float *bias, size_t n, size_t c,
                                   size_t spatial, float eps, float momentum, int training, size_t first,
                                   size_t count);
void nn_batchnorm_backward_channels(float *din, float *dweight, float *dbias, const float *dout, const float *in,
                                    const float *weight, const float *mean, const float *rstd, size_t n, size_t c,
                                    size_t spatial, int training, size_t first, size_t count);

/* ---- 2-D convolution by im2col + GEMM ---------------------------------------
 * in (batch, in_channels, height, width); weight (out_channels, in_channels,
 * kernel_h, kernel_w); bias (out_channels) or NULL; out (batch, out_channels,
 * out_h, out_w) with out_h = (height + pad_top + pad_bottom - dilation_h·(kernel_h-1) - 1)
 * / stride_h + 1 (likewise out_w).  workspace: nn_conv2d_workspace(dims) floats, owned
 * by the caller (reused between calls; contents are scratch); it grows with dims->batch
 * up to a cap, so size it with the largest batch the buffer will serve. */
typedef struct nn_conv2d_dims {
    size_t batch, in_channels, out_channels, height, width;
    size_t kernel_h, kernel_w, stride_h, stride_w;
    size_t pad_top, pad_bottom, pad_left, pad_right;
    size_t dilation_h, dilation_w; /* 0 is read as 1 */
} nn_conv2d_dims;

/* Symmetric padding, unit dilation: the common case. */
nn_conv2d_dims nn_conv2d_make(size_t batch, size_t in_channels, size_t out_channels, size_t height, size_t width,
                              size_t kernel, size_t stride, size_t padding);
size_t nn_conv2d_out_h(const nn_conv2d_dims *dims);
size_t nn_conv2d_out_w(const nn_conv2d_dims *dims);
size_t nn_conv2d_workspace(const nn_conv2d_dims *dims);
void nn_conv2d_forward(float *out, float *workspace, const float *in, const float *weight, const float *bias,
                       const nn_conv2d_dims *dims);
void nn_conv2d_backward(float *din, float *dweight, float *dbias, float *workspace, const float *dout,
                        const float *in, const float *weight, const nn_conv2d_dims *dims);

/* Channel-major 2-D convolution without bias: in (in_channels, batch, h, w),
 * out (out_channels, batch, out_h, out_w), weight as above.  The layout of a
 * conv → batch-norm block: batch-norm reduces each channel over one contiguous
 * run, and the GEMMs read and write it in place.  workspace:
 * nn_conv2d_cm_workspace(dims) floats (scratch, owned by the caller).  Backward
 * ADDS into din and dweight (either may be NULL).  nn_conv2d_forward/backward on
 * NCHW are the reference the tests compare with. */
size_t nn_conv2d_cm_workspace(const nn_conv2d_dims *dims);
void nn_conv2d_cm_forward(float *out, float *workspace, const float *in, const float *weight,
                          const nn_conv2d_dims *dims);
void nn_conv2d_cm_backward(float *din, float *dweight, float *workspace, const float *dout, const float *in,
                           const float *weight, const nn_conv2d_dims *dims);

/* ---- batch-norm → ReLU → pooling, fused, on channel-major activations: in
 * (c, n, h, w) is the BN input (a channel-major convolution's output); weight,
 * bias, mean, rstd, running_* (c) as nn_batchnorm_* (running_* may be NULL in
 * training; mean/rstd are written in training and taken from running_* otherwise).
 * The pool after the ReLU:
 *   NN_POOL_NONE        out (c, n, h, w)
 *   NN_POOL_MAX2        2×2 stride 2, h and w even: out (c, n, h/2, w/2)
 *   NN_POOL_GLOBAL_AVG  out (n, c), the mean over h·w
 * Backward takes dout shaped like out and WRITES din (c, n, h, w), ADDING to
 * dweight and dbias; it recomputes the BN output from `in` rather than reading a
 * cache.  The composition nn_batchnorm → nn_relu → nn_maxpool2d /
 * nn_global_avgpool on NCHW is the reference the tests compare with. */
typedef enum nn_pool { NN_POOL_NONE, NN_POOL_MAX2, NN_POOL_GLOBAL_AVG } nn_pool;
void nn_bn_relu_pool_forward(float *out, float *mean, float *rstd, float *running_mean, float *running_var,
                             const float *in, const float *weight, const float *bias, size_t c, size_t n, size_t h,
                             size_t w, nn_pool pool, float eps, float momentum, int training);
void nn_bn_relu_pool_backward(float *din, float *dweight, float *dbias, const float *dout, const float *in,
                              const float *weight, const float *bias, const float *mean, const float *rstd, size_t c,
                              size_t n, size_t h, size_t w, nn_pool pool, int training);

/* ---- 1-D convolution: in (batch, in_channels, length); weight (out_channels,
 * in_channels, kernel); dilation; causal pads (kernel-1)·dilation on the left
 * only so output t sees inputs <= t and out length == length; otherwise
 * `padding` on both sides.  Implemented as a height-1 nn_conv2d. */
nn_conv2d_dims nn_conv1d_make(size_t batch, size_t in_channels, size_t out_channels, size_t length, size_t kernel,
                              size_t stride, size_t padding, size_t dilation, int causal);

/* ---- pooling -----------------------------------------------------------------
 * max-pool 2d: in (n, c, h, w) → out (n, c, out_h, out_w), out_h = (h + 2·pad - kernel)/stride + 1;
 * argmax (n·c·out_h·out_w) caches the flat input index of each maximum (padding never wins). */
void nn_maxpool2d_forward(float *out, int32_t *argmax, const float *in, size_t n, size_t c, size_t h, size_t w,
                          size_t kernel, size_t stride, size_t padding);
void nn_maxpool2d_backward(float *din, const float *dout, const int32_t *argmax, size_t n, size_t c,
                           size_t out_h, size_t out_w);
/* global average pool: in (n, c, spatial) → out (n, c). */
void nn_global_avgpool_forward(float *out, const float *in, size_t n, size_t c, size_t spatial);
void nn_global_avgpool_backward(float *din, const float *dout, size_t n, size_t c, size_t spatial);

/* ---- embedding: table (vocabulary, dim); indices (n) in [0, vocabulary); out (n, dim). */
void nn_embedding_forward(float *out, const int32_t *indices, const float *table, size_t n, size_t dim);
void nn_embedding_backward(float *dtable, const float *dout, const int32_t *indices, size_t n, size_t dim);

/* ---- patching (PatchTST): in (n, length) → out (n, patch_count, patch_len),
 * patch p covering in[p·stride, p·stride + patch_len); with pad_end the series is
 * first extended by `stride` copies of its last value (PatchTST's
 * ReplicationPad1d((0, stride))).  patch_count from nn_patch_count. */
size_t nn_patch_count(size_t length, size_t patch_len, size_t stride, int pad_end);
void nn_patch_forward(float *out, const float *in, size_t n, size_t length, size_t patch_len, size_t stride,
                      int pad_end);
void nn_patch_backward(float *din, const float *dout, size_t n, size_t length, size_t patch_len, size_t stride,
                       int pad_end);

#endif
