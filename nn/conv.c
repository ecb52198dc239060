/* Convolutions as im2col + one GEMM per sample (contracts in nn/layers.h).
 * col is (in_channels·kernel_h·kernel_w, out_h·out_w): row r = (ch, ky, kx),
 * column = output position, so out_sample (O, out_hw) = weight (O, CKK) · col. */
#include "nn/layers.h"

#include <string.h>

#include "nn/gemm.h"

static size_t dilation(size_t d)
{
    return d == 0 ? 1 : d;
}

nn_conv2d_dims nn_conv2d_make(size_t batch, size_t in_channels, size_t out_channels, size_t height, size_t width,
                              size_t kernel, size_t stride, size_t padding)
{
    nn_conv2d_dims dims = {
        .batch = batch, .in_channels = in_channels, .out_channels = out_channels,
        .height = height, .width = width, .kernel_h = kernel, .kernel_w = kernel,
        .stride_h = stride, .stride_w = stride, .pad_top = padding, .pad_bottom = padding,
        .pad_left = padding, .pad_right = padding, .dilation_h = 1, .dilation_w = 1,
    };
    return dims;
}

nn_conv2d_dims nn_conv1d_make(size_t batch, size_t in_channels, size_t out_channels, size_t length, size_t kernel,
                              size_t stride, size_t padding, size_t dilation_, int causal)
{
    size_t d = dilation(dilation_);
    nn_conv2d_dims dims = {
        .batch = batch, .in_channels = in_channels, .out_channels = out_channels,
        .height = 1, .width = length, .kernel_h = 1, .kernel_w = kernel,
        .stride_h = 1, .stride_w = stride, .pad_top = 0, .pad_bottom = 0,
        .pad_left = causal ? (kernel - 1) * d : padding, .pad_right = causal ? 0 : padding,
        .dilation_h = 1, .dilation_w = d,
    };
    return dims;
}

size_t nn_conv2d_out_h(const nn_conv2d_dims *dims)
{
    size_t span = dilation(dims->dilation_h) * (dims->kernel_h - 1) + 1;
    size_t padded = dims->height + dims->pad_top + dims->pad_bottom;
    return padded < span ? 0 : (padded - span) / dims->stride_h + 1;
}

size_t nn_conv2d_out_w(const nn_conv2d_dims *dims)
{
    size_t span = dilation(dims->dilation_w) * (dims->kernel_w - 1) + 1;
    size_t padded = dims->width + dims->pad_left + dims->pad_right;
    return padded < span ? 0 : (padded - span) / dims->stride_w + 1;
}

/* A 1×1, stride-1, unpadded convolution needs no im2col: the input plane is the column matrix. */
static int is_pointwise(const nn_conv2d_dims *dims)
{
    return dims->kernel_h == 1 && dims->kernel_w == 1 && dims->stride_h == 1 && dims->stride_w == 1 &&
           dims->pad_top == 0 && dims->pad_bottom == 0 && dims->pad_left == 0 && dims->pad_right == 0;
}

size_t nn_conv2d_workspace(const nn_conv2d_dims *dims)
{
    return dims->in_channels * dims->kernel_h * dims->kernel_w * nn_conv2d_out_h(dims) * nn_conv2d_out_w(dims);
}

static void im2col(float *col, const float *image, const nn_conv2d_dims *dims, size_t out_h, size_t out_w)
{
    size_t dh = dilation(dims->dilation_h), dw = dilation(dims->dilation_w);
    for (size_t ch = 0; ch < dims->in_channels; ch++)
        for (size_t ky = 0; ky < dims->kernel_h; ky++)
            for (size_t kx = 0; kx < dims->kernel_w; kx++) {
                float *row = col + ((ch * dims->kernel_h + ky) * dims->kernel_w + kx) * out_h * out_w;
                for (size_t oy = 0; oy < out_h; oy++) {
                    long y = (long)(oy * dims->stride_h + ky * dh) - (long)dims->pad_top;
                    float *dst = row + oy * out_w;
                    if (y < 0 || y >= (long)dims->height) {
                        memset(dst, 0, out_w * sizeof(float));
                        continue;
                    }
                    const float *src = image + (ch * dims->height + (size_t)y) * dims->width;
                    for (size_t ox = 0; ox < out_w; ox++) {
                        long x = (long)(ox * dims->stride_w + kx * dw) - (long)dims->pad_left;
                        dst[ox] = (x < 0 || x >= (long)dims->width) ? 0.0f : src[x];
                    }
                }
            }
}

static void col2im_add(float *image, const float *col, const nn_conv2d_dims *dims, size_t out_h, size_t out_w)
{
    size_t dh = dilation(dims->dilation_h), dw = dilation(dims->dilation_w);
    for (size_t ch = 0; ch < dims->in_channels; ch++)
        for (size_t ky = 0; ky < dims->kernel_h; ky++)
            for (size_t kx = 0; kx < dims->kernel_w; kx++) {
                const float *row = col + ((ch * dims->kernel_h + ky) * dims->kernel_w + kx) * out_h * out_w;
                for (size_t oy = 0; oy < out_h; oy++) {
                    long y = (long)(oy * dims->stride_h + ky * dh) - (long)dims->pad_top;
                    if (y < 0 || y >= (long)dims->height)
                        continue;
                    float *dst = image + (ch * dims->height + (size_t)y) * dims->width;
                    for (size_t ox = 0; ox < out_w; ox++) {
                        long x = (long)(ox * dims->stride_w + kx * dw) - (long)dims->pad_left;
                        if (x >= 0 && x < (long)dims->width)
                            dst[x] += row[oy * out_w + ox];
                    }
                }
            }
}

void nn_conv2d_forward(float *out, float *workspace, const float *in, const float *weight, const float *bias,
                       const nn_conv2d_dims *dims)
{
    size_t out_h = nn_conv2d_out_h(dims), out_w = nn_conv2d_out_w(dims), out_hw = out_h * out_w;
    size_t ckk = dims->in_channels * dims->kernel_h * dims->kernel_w;
    size_t in_size = dims->in_channels * dims->height * dims->width;
    for (size_t b = 0; b < dims->batch; b++) {
        const float *col = in + b * in_size;
        if (!is_pointwise(dims)) {
            im2col(workspace, in + b * in_size, dims, out_h, out_w);
            col = workspace;
        }
        float *y = out + b * dims->out_channels * out_hw;
        if (bias != NULL)
            for (size_t o = 0; o < dims->out_channels; o++)
                for (size_t p = 0; p < out_hw; p++)
                    y[o * out_hw + p] = bias[o];
        nn_gemm(0, 0, dims->out_channels, out_hw, ckk, 1.0f, weight, ckk, col, out_hw, bias != NULL ? 1.0f : 0.0f,
                y, out_hw);
    }
}

void nn_conv2d_backward(float *din, float *dweight, float *dbias, float *workspace, const float *dout,
                        const float *in, const float *weight, const nn_conv2d_dims *dims)
{
    size_t out_h = nn_conv2d_out_h(dims), out_w = nn_conv2d_out_w(dims), out_hw = out_h * out_w;
    size_t ckk = dims->in_channels * dims->kernel_h * dims->kernel_w;
    size_t in_size = dims->in_channels * dims->height * dims->width;
    int pointwise = is_pointwise(dims);
    for (size_t b = 0; b < dims->batch; b++) {
        const float *dy = dout + b * dims->out_channels * out_hw;
        if (dbias != NULL)
            for (size_t o = 0; o < dims->out_channels; o++) {
                float sum = 0.0f;
                for (size_t p = 0; p < out_hw; p++)
                    sum += dy[o * out_hw + p];
                dbias[o] += sum;
            }
        if (dweight != NULL) {
            const float *col = in + b * in_size;
            if (!pointwise) {
                im2col(workspace, in + b * in_size, dims, out_h, out_w);
                col = workspace;
            }
            nn_gemm(0, 1, dims->out_channels, ckk, out_hw, 1.0f, dy, out_hw, col, out_hw, 1.0f, dweight, ckk);
        }
        if (din != NULL) {
            if (pointwise) {
                nn_gemm(1, 0, ckk, out_hw, dims->out_channels, 1.0f, weight, ckk, dy, out_hw, 1.0f,
                        din + b * in_size, out_hw);
            } else {
                nn_gemm(1, 0, ckk, out_hw, dims->out_channels, 1.0f, weight, ckk, dy, out_hw, 0.0f, workspace,
                        out_hw);
                col2im_add(din + b * in_size, workspace, dims, out_h, out_w);
            }
        }
    }
}
