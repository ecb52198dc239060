/* Convolutions as im2col + GEMM over chunks of samples (contracts in nn/layers.h).
 * col is (in_channels·kernel_h·kernel_w, count·out_h·out_w): row r = (ch, ky, kx),
 * column = (sample, output position), so product (O, count·out_hw) = weight (O, CKK) · col
 * and is then scattered back to (count, O, out_hw). */
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

/* One GEMM per sample is too narrow on small images (49 columns at 7×7, 196 at
 * 14×14): OpenBLAS spends its time packing and in edge kernels.  Whole samples
 * are therefore gathered side by side until a GEMM has about this many columns. */
#define CONV_COLUMN_BUDGET 4096

static size_t samples_per_chunk(const nn_conv2d_dims *dims, size_t out_hw)
{
    size_t chunk = out_hw == 0 || out_hw >= CONV_COLUMN_BUDGET ? 1 : CONV_COLUMN_BUDGET / out_hw;
    size_t batch = dims->batch == 0 ? 1 : dims->batch;
    return chunk < batch ? chunk : batch;
}

size_t nn_conv2d_workspace(const nn_conv2d_dims *dims)
{
    if (is_pointwise(dims))
        return 0;
    size_t out_hw = nn_conv2d_out_h(dims) * nn_conv2d_out_w(dims);
    size_t ckk = dims->in_channels * dims->kernel_h * dims->kernel_w;
    return samples_per_chunk(dims, out_hw) * out_hw * (ckk + dims->out_channels);
}

/* The output columns [*first, *last) whose input column ox·stride + shift lies
 * inside the image rather than in the zero padding. */
static void valid_columns(size_t *first, size_t *last, long shift, size_t stride, size_t width, size_t out_w)
{
    long s = (long)stride;
    long lo = shift < 0 ? (-shift + s - 1) / s : 0;
    long hi = (long)width - shift <= 0 ? 0 : ((long)width - shift + s - 1) / s;
    hi = hi > (long)out_w ? (long)out_w : hi;
    *first = (size_t)lo;
    *last = hi < lo ? (size_t)lo : (size_t)hi;
}

/* Stride 1 and output as wide as the input ("same" padding, as in the image
 * encoders' 3×3 and the detector's dilated convolutions): each kernel tap's row
 * of col is the image shifted by (ky·dilation − pad_top, kx·dilation − pad_left),
 * so it is one block copy plus zeroed border columns rather than a short copy
 * per image row. */
/* The general (strided, dilated or padded) path of tap (ky, kx): output
 * column ox reads input column ox·step + shift, inside the image for ox in
 * [first, last); output row oy reads tap_row's input row. */
typedef struct tap_columns {
    long shift;
    size_t first, last, step;
} tap_columns;

static tap_columns general_columns(const nn_conv2d_dims *dims, size_t kx, size_t out_w)
{
    tap_columns c = {.shift = (long)(kx * dilation(dims->dilation_w)) - (long)dims->pad_left, .step = dims->stride_w};
    valid_columns(&c.first, &c.last, c.shift, c.step, dims->width, out_w);
    return c;
}

/* The input row output row oy of tap ky reads; outside the image below 0 or at height and above. */
static long tap_row(const nn_conv2d_dims *dims, size_t oy, size_t ky)
{
    return (long)(oy * dims->stride_h + ky * dilation(dims->dilation_h)) - (long)dims->pad_top;
}

static int is_same_unit_stride(const nn_conv2d_dims *dims, size_t out_w)
{
    return dims->stride_h == 1 && dims->stride_w == 1 && out_w == dims->width;
}

/* The part of one tap's row that reads the image: output rows [*first_row,
 * *last_row) and, as a flat range of the plane, [*start, *start + *length),
 * clipped to the plane (what falls outside lies in border columns). */
typedef struct tap_block {
    size_t first_row, last_row, first_column, last_column;
    long source;   /* plane index read by the block's first element */
    size_t skip_front, length;
} tap_block;

static tap_block same_tap(const nn_conv2d_dims *dims, size_t ky, size_t kx, size_t out_h, size_t out_w)
{
    tap_block t = {0};
    long shift_y = (long)(ky * dilation(dims->dilation_h)) - (long)dims->pad_top;
    long shift_x = (long)(kx * dilation(dims->dilation_w)) - (long)dims->pad_left;
    long first = -shift_y, last = (long)dims->height - shift_y;
    first = first < 0 ? 0 : first;
    last = last > (long)out_h ? (long)out_h : last;
    t.first_row = (size_t)first;
    t.last_row = last < first ? (size_t)first : (size_t)last;
    valid_columns(&t.first_column, &t.last_column, shift_x, 1, dims->width, out_w);
    long start = ((long)t.first_row + shift_y) * (long)out_w + shift_x;
    long end = start + (long)((t.last_row - t.first_row) * out_w), plane = (long)(dims->height * dims->width);
    long front = start < 0 ? -start : 0, back = end > plane ? end - plane : 0;
    t.source = start;
    t.skip_front = (size_t)front;
    t.length = end - start > front + back ? (size_t)(end - start - front - back) : 0;
    return t;
}

/* Zeroes the border columns (those reading padding) of rows [first_row,
 * last_row).  Column-wise on purpose: there are one or two per row, and a
 * row-wise loop becomes a memset call per row. */
static void zero_border_columns(float *row, const tap_block *t, size_t out_w)
{
    for (size_t ox = 0; ox < t->first_column; ox++)
        for (size_t oy = t->first_row; oy < t->last_row; oy++)
            row[oy * out_w + ox] = 0.0f;
    for (size_t ox = t->last_column; ox < out_w; ox++)
        for (size_t oy = t->first_row; oy < t->last_row; oy++)
            row[oy * out_w + ox] = 0.0f;
}

/* One sample's columns into col, whose rows r = (ch, ky, kx) are `stride` floats
 * apart (the chunk's width); this sample's out_h·out_w columns start at col.
 * The sample's channel planes are `planes` floats apart (h·w in NCHW, batch·h·w
 * channel-major). */
static void im2col(float *col, size_t stride, const float *image, size_t planes, const nn_conv2d_dims *dims,
                   size_t out_h, size_t out_w)
{
    int same = is_same_unit_stride(dims, out_w);
    for (size_t ch = 0; ch < dims->in_channels; ch++) {
        const float *plane = image + ch * planes;
        for (size_t ky = 0; ky < dims->kernel_h; ky++)
            for (size_t kx = 0; kx < dims->kernel_w; kx++) {
                float *row = col + ((ch * dims->kernel_h + ky) * dims->kernel_w + kx) * stride;
                if (same) {
                    tap_block t = same_tap(dims, ky, kx, out_h, out_w);
                    memset(row, 0, t.first_row * out_w * sizeof(float));
                    memset(row + t.last_row * out_w, 0, (out_h - t.last_row) * out_w * sizeof(float));
                    float *block = row + t.first_row * out_w;
                    memcpy(block + t.skip_front, plane + (t.source + (long)t.skip_front), t.length * sizeof(float));
                    zero_border_columns(row, &t, out_w);
                    continue;
                }
                tap_columns c = general_columns(dims, kx, out_w);
                for (size_t oy = 0; oy < out_h; oy++) {
                    long y = tap_row(dims, oy, ky);
                    float *dst = row + oy * out_w;
                    if (y < 0 || y >= (long)dims->height) {
                        memset(dst, 0, out_w * sizeof(float));
                        continue;
                    }
                    const float *src = plane + (size_t)y * dims->width;
                    for (size_t ox = 0; ox < c.first; ox++)
                        dst[ox] = 0.0f;
                    for (size_t ox = c.first; ox < c.last; ox++)
                        dst[ox] = src[(long)(ox * c.step) + c.shift];
                    for (size_t ox = c.last; ox < out_w; ox++)
                        dst[ox] = 0.0f;
                }
            }
    }
}

/* The adjoint of im2col: adds one sample's column gradients (rows `stride` apart)
 * into its image.  col is scratch: the "same" path zeroes its border columns so
 * each tap adds as one contiguous block. */
static void col2im_add(float *image, float *col, size_t stride, size_t planes, const nn_conv2d_dims *dims,
                       size_t out_h, size_t out_w)
{
    int same = is_same_unit_stride(dims, out_w);
    for (size_t ch = 0; ch < dims->in_channels; ch++) {
        float *plane = image + ch * planes;
        for (size_t ky = 0; ky < dims->kernel_h; ky++)
            for (size_t kx = 0; kx < dims->kernel_w; kx++) {
                float *row = col + ((ch * dims->kernel_h + ky) * dims->kernel_w + kx) * stride;
                if (same) {
                    tap_block t = same_tap(dims, ky, kx, out_h, out_w);
                    zero_border_columns(row, &t, out_w);
                    const float *src = row + t.first_row * out_w + t.skip_front;
                    float *dst = plane + (t.source + (long)t.skip_front);
                    for (size_t i = 0; i < t.length; i++)
                        dst[i] += src[i];
                    continue;
                }
                tap_columns c = general_columns(dims, kx, out_w);
                for (size_t oy = 0; oy < out_h; oy++) {
                    long y = tap_row(dims, oy, ky);
                    if (y < 0 || y >= (long)dims->height)
                        continue;
                    float *dst = plane + (size_t)y * dims->width;
                    const float *src = row + oy * out_w;
                    for (size_t ox = c.first; ox < c.last; ox++)
                        dst[(long)(ox * c.step) + c.shift] += src[ox];
                }
            }
    }
}

/* Packs `count` samples' (channels, plane) blocks side by side into a
 * (channels, count·plane) matrix: sample j at columns [j·plane, (j+1)·plane). */
static void pack_samples(float *matrix, const float *samples, size_t count, size_t channels, size_t plane)
{
    for (size_t j = 0; j < count; j++)
        for (size_t ch = 0; ch < channels; ch++)
            memcpy(matrix + ch * count * plane + j * plane, samples + (j * channels + ch) * plane,
                   plane * sizeof(float));
}

/* The inverse of pack_samples. */
static void unpack_samples(float *samples, const float *matrix, size_t count, size_t channels, size_t plane)
{
    for (size_t j = 0; j < count; j++)
        for (size_t ch = 0; ch < channels; ch++)
            memcpy(samples + (j * channels + ch) * plane, matrix + ch * count * plane + j * plane,
                   plane * sizeof(float));
}

/* The columns of samples [0, count) of `in` into col (ckk, count·out_hw):
 * sample j starts at in + j·sample_stride, its channel planes `planes` apart. */
static void chunk_columns(float *col, const float *in, size_t count, size_t sample_stride, size_t planes,
                          const nn_conv2d_dims *dims, size_t out_h, size_t out_w)
{
    size_t out_hw = out_h * out_w;
    for (size_t j = 0; j < count; j++)
        im2col(col + j * out_hw, count * out_hw, in + j * sample_stride, planes, dims, out_h, out_w);
}

/* dbias[o] += Σ_p dy[o][p] over a (channels, width) gradient block. */
static void add_bias_gradient(float *dbias, const float *dy, size_t channels, size_t width)
{
    for (size_t o = 0; o < channels; o++) {
        float sum = 0.0f;
        for (size_t p = 0; p < width; p++)
            sum += dy[o * width + p];
        dbias[o] += sum;
    }
}

/* A pointwise convolution is one GEMM per sample on the input plane itself: no
 * columns to build, so no workspace. */
static void pointwise_forward(float *out, const float *in, const float *weight, const float *bias,
                              const nn_conv2d_dims *dims, size_t out_hw)
{
    size_t in_size = dims->in_channels * out_hw;
    for (size_t b = 0; b < dims->batch; b++) {
        float *y = out + b * dims->out_channels * out_hw;
        if (bias != NULL)
            for (size_t o = 0; o < dims->out_channels; o++)
                for (size_t p = 0; p < out_hw; p++)
                    y[o * out_hw + p] = bias[o];
        nn_gemm(0, 0, dims->out_channels, out_hw, dims->in_channels, 1.0f, weight, dims->in_channels, in + b * in_size,
                out_hw, bias != NULL ? 1.0f : 0.0f, y, out_hw);
    }
}

static void pointwise_backward(float *din, float *dweight, float *dbias, const float *dout, const float *in,
                               const float *weight, const nn_conv2d_dims *dims, size_t out_hw)
{
    size_t in_size = dims->in_channels * out_hw;
    for (size_t b = 0; b < dims->batch; b++) {
        const float *dy = dout + b * dims->out_channels * out_hw;
        if (dbias != NULL)
            add_bias_gradient(dbias, dy, dims->out_channels, out_hw);
        if (dweight != NULL)
            nn_gemm(0, 1, dims->out_channels, dims->in_channels, out_hw, 1.0f, dy, out_hw, in + b * in_size, out_hw,
                    1.0f, dweight, dims->in_channels);
        if (din != NULL)
            nn_gemm(1, 0, dims->in_channels, out_hw, dims->out_channels, 1.0f, weight, dims->in_channels, dy, out_hw,
                    1.0f, din + b * in_size, out_hw);
    }
}

void nn_conv2d_forward(float *out, float *workspace, const float *in, const float *weight, const float *bias,
                       const nn_conv2d_dims *dims)
{
    size_t out_h = nn_conv2d_out_h(dims), out_w = nn_conv2d_out_w(dims), out_hw = out_h * out_w;
    size_t ckk = dims->in_channels * dims->kernel_h * dims->kernel_w;
    size_t in_size = dims->in_channels * dims->height * dims->width, out_size = dims->out_channels * out_hw;
    if (is_pointwise(dims)) {
        pointwise_forward(out, in, weight, bias, dims, out_hw);
        return;
    }
    size_t chunk = samples_per_chunk(dims, out_hw);
    float *col = workspace, *product = workspace + chunk * out_hw * ckk;
    for (size_t b = 0; b < dims->batch; b += chunk) {
        size_t count = dims->batch - b < chunk ? dims->batch - b : chunk, width = count * out_hw;
        chunk_columns(col, in + b * in_size, count, in_size, dims->height * dims->width, dims, out_h, out_w);
        nn_gemm(0, 0, dims->out_channels, width, ckk, 1.0f, weight, ckk, col, width, 0.0f, product, width);
        if (bias != NULL)
            for (size_t o = 0; o < dims->out_channels; o++)
                for (size_t p = 0; p < width; p++)
                    product[o * width + p] += bias[o];
        unpack_samples(out + b * out_size, product, count, dims->out_channels, out_hw);
    }
}

void nn_conv2d_backward(float *din, float *dweight, float *dbias, float *workspace, const float *dout,
                        const float *in, const float *weight, const nn_conv2d_dims *dims)
{
    size_t out_h = nn_conv2d_out_h(dims), out_w = nn_conv2d_out_w(dims), out_hw = out_h * out_w;
    size_t ckk = dims->in_channels * dims->kernel_h * dims->kernel_w;
    size_t in_size = dims->in_channels * dims->height * dims->width, out_size = dims->out_channels * out_hw;
    if (is_pointwise(dims)) {
        pointwise_backward(din, dweight, dbias, dout, in, weight, dims, out_hw);
        return;
    }
    size_t chunk = samples_per_chunk(dims, out_hw);
    float *col = workspace, *dy = workspace + chunk * out_hw * ckk;
    for (size_t b = 0; b < dims->batch; b += chunk) {
        size_t count = dims->batch - b < chunk ? dims->batch - b : chunk, width = count * out_hw;
        pack_samples(dy, dout + b * out_size, count, dims->out_channels, out_hw);
        if (dbias != NULL)
            add_bias_gradient(dbias, dy, dims->out_channels, width);
        if (dweight != NULL) {
            chunk_columns(col, in + b * in_size, count, in_size, dims->height * dims->width, dims, out_h, out_w);
            nn_gemm(0, 1, dims->out_channels, ckk, width, 1.0f, dy, width, col, width, 1.0f, dweight, ckk);
        }
        if (din != NULL) {
            nn_gemm(1, 0, ckk, width, dims->out_channels, 1.0f, weight, ckk, dy, width, 0.0f, col, width);
            for (size_t j = 0; j < count; j++)
                col2im_add(din + (b + j) * in_size, col + j * out_hw, width, dims->height * dims->width, dims, out_h,
                           out_w);
        }
    }
}

/* ---- channel-major: in (in_channels, batch, h, w), out (out_channels, batch,
 * out_h, out_w).  The GEMM writes a chunk's product (O, count·out_hw) straight
 * into out with leading dimension batch·out_hw, and reads the output gradient
 * the same way, so nothing is scattered or gathered. */

size_t nn_conv2d_cm_workspace(const nn_conv2d_dims *dims)
{
    size_t out_hw = nn_conv2d_out_h(dims) * nn_conv2d_out_w(dims);
    size_t ckk = dims->in_channels * dims->kernel_h * dims->kernel_w;
    return samples_per_chunk(dims, out_hw) * out_hw * ckk;
}

void nn_conv2d_cm_forward(float *out, float *workspace, const float *in, const float *weight,
                          const nn_conv2d_dims *dims)
{
    size_t out_h = nn_conv2d_out_h(dims), out_w = nn_conv2d_out_w(dims), out_hw = out_h * out_w;
    size_t ckk = dims->in_channels * dims->kernel_h * dims->kernel_w, hw = dims->height * dims->width;
    size_t chunk = samples_per_chunk(dims, out_hw);
    for (size_t b = 0; b < dims->batch; b += chunk) {
        size_t count = dims->batch - b < chunk ? dims->batch - b : chunk, width = count * out_hw;
        chunk_columns(workspace, in + b * hw, count, hw, dims->batch * hw, dims, out_h, out_w);
        nn_gemm(0, 0, dims->out_channels, width, ckk, 1.0f, weight, ckk, workspace, width, 0.0f, out + b * out_hw,
                dims->batch * out_hw);
    }
}

void nn_conv2d_cm_backward(float *din, float *dweight, float *workspace, const float *dout, const float *in,
                           const float *weight, const nn_conv2d_dims *dims)
{
    size_t out_h = nn_conv2d_out_h(dims), out_w = nn_conv2d_out_w(dims), out_hw = out_h * out_w;
    size_t ckk = dims->in_channels * dims->kernel_h * dims->kernel_w, hw = dims->height * dims->width;
    size_t chunk = samples_per_chunk(dims, out_hw), ld = dims->batch * out_hw;
    for (size_t b = 0; b < dims->batch; b += chunk) {
        size_t count = dims->batch - b < chunk ? dims->batch - b : chunk, width = count * out_hw;
        const float *dy = dout + b * out_hw;
        if (dweight != NULL) {
            chunk_columns(workspace, in + b * hw, count, hw, dims->batch * hw, dims, out_h, out_w);
            nn_gemm(0, 1, dims->out_channels, ckk, width, 1.0f, dy, ld, workspace, width, 1.0f, dweight, ckk);
        }
        if (din != NULL) {
            nn_gemm(1, 0, ckk, width, dims->out_channels, 1.0f, weight, ckk, dy, ld, 0.0f, workspace, width);
            for (size_t j = 0; j < count; j++)
                col2im_add(din + (b + j) * hw, workspace + j * out_hw, width, dims->batch * hw, dims, out_h, out_w);
        }
    }
}
