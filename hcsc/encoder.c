#include "hcsc/encoder.h"

#include <math.h>
#include <stdio.h>
#include <stdlib.h>
#include <string.h>

#include "nn/layers.h"

#define BN_EPS 1e-5f
#define BN_MOMENTUM 0.1f

void hcsc_encoder_defaults(hcsc_encoder_config *config)
{
    *config = (hcsc_encoder_config){
        .image_size = 28,
        .channels = {32, 64, 128},
        .head_hidden = 128,
        .projection_dim = 128,
    };
}

size_t hcsc_encoder_feature_dim(const hcsc_encoder *encoder)
{
    return encoder->config.channels[HCSC_BLOCKS - 1];
}

/* Spatial side at the input of block l: S, S/2, S/4. */
static size_t block_side(const hcsc_encoder_config *config, size_t block)
{
    return config->image_size >> block;
}

static size_t block_in_channels(const hcsc_encoder_config *config, size_t block)
{
    return block == 0 ? 1 : config->channels[block - 1];
}

int hcsc_encoder_create(hcsc_encoder *encoder, const hcsc_encoder_config *config, bench_rng *rng,
                        bench_error *error)
{
    memset(encoder, 0, sizeof *encoder);
    if (config->image_size < 4 || config->image_size % 4 != 0)
        return BENCH_FAIL(error, BENCH_BAD_INPUT, "encoder: image size %zu is not a positive multiple of 4",
                          config->image_size);
    for (size_t l = 0; l < HCSC_BLOCKS; l++)
        if (config->channels[l] == 0)
            return BENCH_FAIL(error, BENCH_BAD_INPUT, "encoder: block %zu has no channels", l + 1);
    if (config->head_hidden == 0 || config->projection_dim == 0)
        return BENCH_FAIL(error, BENCH_BAD_INPUT, "encoder: empty projection head");
    encoder->config = *config;
    nn_params_init(&encoder->params);
    nn_params *p = &encoder->params;
    int status = BENCH_OK;
    for (size_t l = 0; l < HCSC_BLOCKS && status == BENCH_OK; l++) {
        char name[NN_PARAMS_NAME_SIZE];
        size_t c = config->channels[l];
        size_t conv_dims[4] = {c, block_in_channels(config, l), 3, 3};
        snprintf(name, sizeof name, "block%zu.conv.weight", l + 1);
        status = nn_params_add(p, name, 4, conv_dims, 1, &encoder->conv_weight[l], error);
        snprintf(name, sizeof name, "block%zu.bn.weight", l + 1);
        if (status == BENCH_OK)
            status = nn_params_add(p, name, 1, &c, 1, &encoder->bn_weight[l], error);
        snprintf(name, sizeof name, "block%zu.bn.bias", l + 1);
        if (status == BENCH_OK)
            status = nn_params_add(p, name, 1, &c, 1, &encoder->bn_bias[l], error);
        snprintf(name, sizeof name, "block%zu.bn.running_mean", l + 1);
        if (status == BENCH_OK)
            status = nn_params_add(p, name, 1, &c, 0, &encoder->bn_running_mean[l], error);
        snprintf(name, sizeof name, "block%zu.bn.running_var", l + 1);
        if (status == BENCH_OK)
            status = nn_params_add(p, name, 1, &c, 0, &encoder->bn_running_var[l], error);
    }
    size_t feature = config->channels[HCSC_BLOCKS - 1];
    size_t head0[2] = {config->head_hidden, feature}, head1[2] = {config->projection_dim, config->head_hidden};
    if (status == BENCH_OK)
        status = nn_params_add(p, "head.0.weight", 2, head0, 1, &encoder->head_weight[0], error);
    if (status == BENCH_OK)
        status = nn_params_add(p, "head.0.bias", 1, &config->head_hidden, 1, &encoder->head_bias[0], error);
    if (status == BENCH_OK)
        status = nn_params_add(p, "head.2.weight", 2, head1, 1, &encoder->head_weight[1], error);
    if (status == BENCH_OK)
        status = nn_params_add(p, "head.2.bias", 1, &config->projection_dim, 1, &encoder->head_bias[1], error);
    if (status == BENCH_OK)
        status = nn_params_allocate(p, error);
    if (status != BENCH_OK) {
        nn_params_free(p);
        return status;
    }
    for (size_t l = 0; l < HCSC_BLOCKS; l++) {
        size_t fan_in = block_in_channels(config, l) * 9;
        nn_init_kaiming_normal(nn_params_value(p, encoder->conv_weight[l]), nn_params_count(p, encoder->conv_weight[l]),
                               fan_in, rng);
        nn_init_constant(nn_params_value(p, encoder->bn_weight[l]), config->channels[l], 1.0f);
        nn_init_constant(nn_params_value(p, encoder->bn_running_var[l]), config->channels[l], 1.0f);
    }
    size_t fan_ins[2] = {feature, config->head_hidden};
    for (size_t h = 0; h < 2; h++) {
        float bound = 1.0f / sqrtf((float)fan_ins[h]);
        nn_init_uniform(nn_params_value(p, encoder->head_weight[h]), nn_params_count(p, encoder->head_weight[h]),
                        bound, rng);
        nn_init_uniform(nn_params_value(p, encoder->head_bias[h]), nn_params_count(p, encoder->head_bias[h]), bound,
                        rng);
    }
    return BENCH_OK;
}

void hcsc_encoder_free(hcsc_encoder *encoder)
{
    if (encoder == NULL)
        return;
    nn_params_free(&encoder->params);
}

static nn_conv2d_dims block_conv(const hcsc_encoder_config *config, size_t block, size_t batch)
{
    size_t side = block_side(config, block);
    return nn_conv2d_make(batch, block_in_channels(config, block), config->channels[block], side, side, 3, 1, 1);
}

int hcsc_activations_create(hcsc_activations *a, const hcsc_encoder_config *config, size_t capacity,
                            size_t max_groups, bench_error *error)
{
    memset(a, 0, sizeof *a);
    a->capacity = capacity;
    a->max_groups = max_groups;
    size_t sizes[64], count = 0, largest = 0, workspace = 0;
    for (size_t l = 0; l < HCSC_BLOCKS; l++) {
        size_t side = block_side(config, l), plane = capacity * config->channels[l] * side * side;
        sizes[count++] = plane; /* conv_out */
        sizes[count++] = plane; /* bn_out */
        largest = plane > largest ? plane : largest;
        nn_conv2d_dims dims = block_conv(config, l, capacity);
        size_t need = nn_conv2d_workspace(&dims);
        workspace = need > workspace ? need : workspace;
    }
    for (size_t l = 0; l < 2; l++) {
        size_t side = block_side(config, l + 1);
        sizes[count++] = capacity * config->channels[l] * side * side; /* pool_out */
        sizes[count++] = capacity * config->channels[l] * side * side; /* pool_argmax (int32 = float size) */
    }
    for (size_t l = 0; l < HCSC_BLOCKS; l++) {
        sizes[count++] = max_groups * config->channels[l];
        sizes[count++] = max_groups * config->channels[l];
    }
    size_t feature = config->channels[HCSC_BLOCKS - 1];
    size_t small = feature;
    small = config->head_hidden > small ? config->head_hidden : small;
    small = config->projection_dim > small ? config->projection_dim : small;
    sizes[count++] = capacity * feature;
    sizes[count++] = capacity * config->head_hidden;
    sizes[count++] = capacity * config->head_hidden;
    sizes[count++] = capacity * config->projection_dim;
    sizes[count++] = capacity * config->projection_dim;
    sizes[count++] = workspace;
    sizes[count++] = largest;
    sizes[count++] = largest;
    sizes[count++] = capacity * small;
    sizes[count++] = capacity * small;
    size_t total = 0;
    for (size_t i = 0; i < count; i++)
        total += sizes[i];
    a->memory = calloc(total, sizeof(float));
    if (a->memory == NULL)
        return BENCH_FAIL(error, BENCH_NO_MEMORY, "encoder: cannot allocate activations for batch %zu", capacity);
    float *cursor = a->memory;
    size_t i = 0;
#define TAKE(pointer) (pointer = (void *)cursor, cursor += sizes[i++])
    for (size_t l = 0; l < HCSC_BLOCKS; l++) {
        TAKE(a->conv_out[l]);
        TAKE(a->bn_out[l]);
    }
    for (size_t l = 0; l < 2; l++) {
        TAKE(a->pool_out[l]);
        TAKE(a->pool_argmax[l]);
    }
    for (size_t l = 0; l < HCSC_BLOCKS; l++) {
        TAKE(a->bn_mean[l]);
        TAKE(a->bn_rstd[l]);
    }
    TAKE(a->feature);
    TAKE(a->hidden);
    TAKE(a->hidden_relu);
    TAKE(a->projection);
    TAKE(a->output);
    TAKE(a->workspace);
    TAKE(a->grad_big[0]);
    TAKE(a->grad_big[1]);
    TAKE(a->grad_small[0]);
    TAKE(a->grad_small[1]);
#undef TAKE
    return BENCH_OK;
}

void hcsc_activations_free(hcsc_activations *activations)
{
    if (activations == NULL)
        return;
    free(activations->memory);
    memset(activations, 0, sizeof *activations);
}

static void l2_normalize(float *out, const float *in, size_t rows, size_t d)
{
    for (size_t i = 0; i < rows; i++) {
        double sum = 0.0;
        for (size_t j = 0; j < d; j++)
            sum += (double)in[i * d + j] * in[i * d + j];
        double norm = sqrt(sum);
        float scale = (float)(1.0 / (norm > 1e-12 ? norm : 1e-12));
        for (size_t j = 0; j < d; j++)
            out[i * d + j] = in[i * d + j] * scale;
    }
}

/* Images processed together through the conv blocks when batch-norm does not
 * dictate the grouping (evaluation mode): small enough that a block's
 * activations stay in cache between conv, BN, ReLU and pooling. */
#define EVAL_CHUNK 32

/* Conv blocks for images [first, first + count) of the batch: every buffer is
 * batch-major, so the group's slice is contiguous.  Pool argmax indices are
 * relative to the slice. */
static void blocks_forward(hcsc_encoder *encoder, hcsc_activations *a, const float *images, size_t first,
                           size_t count, size_t group_index, int training)
{
    const hcsc_encoder_config *config = &encoder->config;
    nn_params *p = &encoder->params;
    const float *input = images + first * config->image_size * config->image_size;
    for (size_t l = 0; l < HCSC_BLOCKS; l++) {
        size_t c = config->channels[l], side = block_side(config, l), spatial = side * side;
        size_t offset = first * c * spatial;
        nn_conv2d_dims dims = block_conv(config, l, count);
        nn_conv2d_forward(a->conv_out[l] + offset, a->workspace, input, nn_params_value(p, encoder->conv_weight[l]),
                          NULL, &dims);
        /* Only the first group updates the running statistics (rank 0's copy). */
        int updates = !training || group_index == 0;
        nn_batchnorm_forward(a->bn_out[l] + offset, a->bn_mean[l] + group_index * c, a->bn_rstd[l] + group_index * c,
                             updates ? nn_params_value(p, encoder->bn_running_mean[l]) : NULL,
                             updates ? nn_params_value(p, encoder->bn_running_var[l]) : NULL, a->conv_out[l] + offset,
                             nn_params_value(p, encoder->bn_weight[l]), nn_params_value(p, encoder->bn_bias[l]), count, c,
                             spatial, BN_EPS, BN_MOMENTUM, training);
        nn_relu_forward(a->bn_out[l] + offset, a->bn_out[l] + offset, count * c * spatial);
        if (l + 1 < HCSC_BLOCKS) {
            size_t pooled = first * c * spatial / 4;
            nn_maxpool2d_forward(a->pool_out[l] + pooled, a->pool_argmax[l] + pooled, a->bn_out[l] + offset, count, c,
                                 side, side, 2, 2, 0);
            input = a->pool_out[l] + pooled;
        } else {
            nn_global_avgpool_forward(a->feature + first * c, a->bn_out[l] + offset, count, c, spatial);
        }
    }
}

void hcsc_encoder_forward(hcsc_encoder *encoder, hcsc_activations *a, const float *images, size_t batch,
                          size_t bn_groups, int training)
{
    const hcsc_encoder_config *config = &encoder->config;
    nn_params *p = &encoder->params;
    if (!training || bn_groups == 0)
        bn_groups = 1;
    if (training) {
        size_t group = batch / bn_groups;
        for (size_t g = 0; g < bn_groups; g++)
            blocks_forward(encoder, a, images, g * group, group, g, 1);
    } else {
        for (size_t first = 0; first < batch; first += EVAL_CHUNK)
            blocks_forward(encoder, a, images, first, batch - first < EVAL_CHUNK ? batch - first : EVAL_CHUNK, 0, 0);
    }
    size_t feature = config->channels[HCSC_BLOCKS - 1];
    nn_linear_forward(a->hidden, a->feature, nn_params_value(p, encoder->head_weight[0]),
                      nn_params_value(p, encoder->head_bias[0]), batch, feature, config->head_hidden);
    nn_relu_forward(a->hidden_relu, a->hidden, batch * config->head_hidden);
    nn_linear_forward(a->projection, a->hidden_relu, nn_params_value(p, encoder->head_weight[1]),
                      nn_params_value(p, encoder->head_bias[1]), batch, config->head_hidden, config->projection_dim);
    l2_normalize(a->output, a->projection, batch, config->projection_dim);
}

/* Backward through the conv blocks of one BN group, from dfeature (count, C3)
 * of that group; gradients accumulate into the parameter grads. */
static void blocks_backward(hcsc_encoder *encoder, hcsc_activations *a, const float *images, const float *dfeature,
                            size_t first, size_t count, size_t group_index)
{
    const hcsc_encoder_config *config = &encoder->config;
    nn_params *p = &encoder->params;
    size_t feature = config->channels[HCSC_BLOCKS - 1];
    /* Ping-pong between the two large scratch buffers (group-sized use). */
    float *dactivation = a->grad_big[0], *other = a->grad_big[1];
    {
        size_t side = block_side(config, HCSC_BLOCKS - 1);
        memset(dactivation, 0, count * feature * side * side * sizeof(float));
        nn_global_avgpool_backward(dactivation, dfeature, count, feature, side * side);
    }
    for (size_t l = HCSC_BLOCKS; l-- > 0;) {
        size_t c = config->channels[l], side = block_side(config, l), spatial = side * side;
        size_t elements = count * c * spatial, offset = first * c * spatial;
        /* ReLU was applied in place on bn_out: output > 0 exactly where input > 0. */
        memset(other, 0, elements * sizeof(float));
        nn_relu_backward(other, dactivation, a->bn_out[l] + offset, elements);
        float *dbn_out = other, *dconv_out = dactivation;
        memset(dconv_out, 0, elements * sizeof(float));
        nn_batchnorm_backward(dconv_out, nn_params_grad(p, encoder->bn_weight[l]), nn_params_grad(p, encoder->bn_bias[l]),
                              dbn_out, a->conv_out[l] + offset, nn_params_value(p, encoder->bn_weight[l]),
                              a->bn_mean[l] + group_index * c, a->bn_rstd[l] + group_index * c, count, c, spatial, 1);
        nn_conv2d_dims dims = block_conv(config, l, count);
        const float *input = l == 0 ? images + first * config->image_size * config->image_size
                                    : a->pool_out[l - 1] + first * config->channels[l - 1] * spatial;
        float *dinput = NULL;
        if (l > 0) {
            dinput = other;
            memset(dinput, 0, count * config->channels[l - 1] * spatial * sizeof(float));
        }
        nn_conv2d_backward(dinput, nn_params_grad(p, encoder->conv_weight[l]), NULL, a->workspace, dconv_out, input,
                           nn_params_value(p, encoder->conv_weight[l]), &dims);
        if (l > 0) {
            /* Max-pool of block l−1 (argmax relative to the group's slice). */
            size_t previous_side = block_side(config, l - 1);
            memset(dactivation, 0, count * config->channels[l - 1] * previous_side * previous_side * sizeof(float));
            nn_maxpool2d_backward(dactivation, dinput,
                                  a->pool_argmax[l - 1] + first * config->channels[l - 1] * spatial, count,
                                  config->channels[l - 1], side, side);
        }
    }
}

void hcsc_encoder_backward(hcsc_encoder *encoder, hcsc_activations *a, const float *images,
                           const float *grad_output, size_t batch, size_t bn_groups)
{
    const hcsc_encoder_config *config = &encoder->config;
    nn_params *p = &encoder->params;
    if (bn_groups == 0)
        bn_groups = 1;
    size_t group = batch / bn_groups, dim = config->projection_dim, hidden = config->head_hidden;
    size_t feature = config->channels[HCSC_BLOCKS - 1];
    /* y = v/|v|: dv = (dy − y (y·dy)) / |v| */
    float *dprojection = a->grad_small[0];
    for (size_t i = 0; i < batch; i++) {
        const float *y = a->output + i * dim, *dy = grad_output + i * dim, *v = a->projection + i * dim;
        double dot = 0.0, norm = 0.0;
        for (size_t j = 0; j < dim; j++) {
            dot += (double)y[j] * dy[j];
            norm += (double)v[j] * v[j];
        }
        norm = sqrt(norm);
        double inverse = 1.0 / (norm > 1e-12 ? norm : 1e-12);
        for (size_t j = 0; j < dim; j++)
            dprojection[i * dim + j] = (float)((dy[j] - y[j] * dot) * inverse);
    }
    float *dhidden_relu = a->grad_small[1];
    memset(dhidden_relu, 0, batch * hidden * sizeof(float));
    nn_linear_backward(dhidden_relu, nn_params_grad(p, encoder->head_weight[1]),
                       nn_params_grad(p, encoder->head_bias[1]), dprojection, a->hidden_relu,
                       nn_params_value(p, encoder->head_weight[1]), batch, hidden, dim);
    float *dhidden = a->grad_small[0];
    memset(dhidden, 0, batch * hidden * sizeof(float));
    nn_relu_backward(dhidden, dhidden_relu, a->hidden, batch * hidden);
    float *dfeature = a->grad_small[1];
    memset(dfeature, 0, batch * feature * sizeof(float));
    nn_linear_backward(dfeature, nn_params_grad(p, encoder->head_weight[0]), nn_params_grad(p, encoder->head_bias[0]),
                       dhidden, a->feature, nn_params_value(p, encoder->head_weight[0]), batch, feature, hidden);
    for (size_t g = 0; g < bn_groups; g++)
        blocks_backward(encoder, a, images, dfeature + g * group * feature, g * group, group, g);
}

void hcsc_encoder_features(hcsc_encoder *encoder, hcsc_activations *a, const float *images, size_t count,
                           float *backbone, float *projection, int normalize)
{
    size_t pixels = encoder->config.image_size * encoder->config.image_size;
    size_t feature = hcsc_encoder_feature_dim(encoder), dim = encoder->config.projection_dim;
    for (size_t start = 0; start < count; start += a->capacity) {
        size_t rows = count - start < a->capacity ? count - start : a->capacity;
        hcsc_encoder_forward(encoder, a, images + start * pixels, rows, 1, 0);
        if (backbone != NULL) {
            if (normalize)
                l2_normalize(backbone + start * feature, a->feature, rows, feature);
            else
                memcpy(backbone + start * feature, a->feature, rows * feature * sizeof(float));
        }
        if (projection != NULL)
            memcpy(projection + start * dim, normalize ? a->output : a->projection, rows * dim * sizeof(float));
    }
}

void hcsc_encoder_momentum_update(hcsc_encoder *key, const hcsc_encoder *query, double momentum)
{
    const nn_params *q = &query->params;
    nn_params *k = &key->params;
    float m = (float)momentum, rest = (float)(1.0 - momentum);
    for (size_t t = 0; t < q->tensor_count; t++) {
        if (!q->tensors[t].trainable)
            continue;
        const float *source = q->values + q->tensors[t].offset;
        float *target = k->values + k->tensors[t].offset;
        for (size_t i = 0; i < q->tensors[t].count; i++)
            target[i] = m * target[i] + rest * source[i];
    }
}
