#include "hcsc/encoder.h"

#include <math.h>
#include <stdio.h>
#include <stdlib.h>
#include <string.h>

#include "nn/gemm.h"
#include "nn/layers.h"
#include "nn/team.h"

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

/* Images processed together through the conv blocks when batch-norm does not
 * dictate the grouping (evaluation mode): small enough that a block's
 * activations stay in cache between conv, BN, ReLU and pooling, and the unit of
 * work the team shares out. */
#define EVAL_CHUNK 32

/* Floats of one BN group's weight gradients: every conv weight, BN weight and
 * BN bias, in block order. */
static size_t group_gradient_size(const hcsc_encoder_config *config)
{
    size_t size = 0;
    for (size_t l = 0; l < HCSC_BLOCKS; l++)
        size += config->channels[l] * block_in_channels(config, l) * 9 + 2 * config->channels[l];
    return size;
}

int hcsc_activations_create(hcsc_activations *a, const hcsc_encoder_config *config, size_t capacity,
                            size_t max_groups, nn_team *team, bench_error *error)
{
    memset(a, 0, sizeof *a);
    a->capacity = capacity;
    /* Evaluation mode writes one set of statistics per chunk. */
    size_t chunks = (capacity + EVAL_CHUNK - 1) / EVAL_CHUNK;
    a->max_groups = max_groups;
    a->team = team;
    a->workers = nn_team_size(team);
    size_t statistics = max_groups > chunks ? max_groups : chunks;
    size_t sizes[64], count = 0, largest = 0, workspace = 0;
    for (size_t l = 0; l < HCSC_BLOCKS; l++) {
        size_t side = block_side(config, l), plane = capacity * config->channels[l] * side * side;
        sizes[count++] = plane; /* conv_out */
        largest = plane > largest ? plane : largest;
        size_t image = config->channels[l] * side * side;
        a->grad_per_image = image > a->grad_per_image ? image : a->grad_per_image;
        /* A worker's convolutions see at most one group or one chunk at a time. */
        nn_conv2d_dims dims = block_conv(config, l, capacity);
        size_t need = nn_conv2d_cm_workspace(&dims);
        workspace = need > workspace ? need : workspace;
    }
    for (size_t l = 0; l < 2; l++) {
        size_t side = block_side(config, l + 1);
        sizes[count++] = capacity * config->channels[l] * side * side; /* pool_out */
    }
    for (size_t l = 0; l < HCSC_BLOCKS; l++) {
        sizes[count++] = statistics * config->channels[l];
        sizes[count++] = statistics * config->channels[l];
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
    a->workspace_size = workspace;
    sizes[count++] = a->workers * workspace;
    sizes[count++] = largest;
    sizes[count++] = largest;
    sizes[count++] = capacity * small;
    sizes[count++] = capacity * small;
    sizes[count++] = max_groups * group_gradient_size(config);
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
    }
    for (size_t l = 0; l < 2; l++)
        TAKE(a->pool_out[l]);
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
    TAKE(a->group_grads);
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

/* Conv blocks for images [first, first + count) of the batch.  Each group's
 * slice of conv_out and pool_out is channel-major (C, count, S, S), which the
 * convolution's GEMM writes directly and batch-norm reduces in contiguous runs;
 * BN, ReLU and the pool are one fused pass (nn_bn_relu_pool_forward).  `slot`
 * indexes the batch-norm statistics (the BN group in training, the chunk in
 * evaluation); `workspace` is the calling worker's. */
static void blocks_forward(hcsc_encoder *encoder, hcsc_activations *a, float *workspace, const float *images,
                           size_t first, size_t count, size_t slot, int training)
{
    const hcsc_encoder_config *config = &encoder->config;
    nn_params *p = &encoder->params;
    const float *input = images + first * config->image_size * config->image_size;
    for (size_t l = 0; l < HCSC_BLOCKS; l++) {
        size_t c = config->channels[l], side = block_side(config, l), spatial = side * side;
        float *conv_out = a->conv_out[l] + first * c * spatial;
        nn_conv2d_dims dims = block_conv(config, l, count);
        nn_conv2d_cm_forward(conv_out, workspace, input, nn_params_value(p, encoder->conv_weight[l]), &dims);
        /* Only the first group updates the running statistics (rank 0's copy). */
        int running = !training || slot == 0;
        int pooled = l + 1 < HCSC_BLOCKS;
        float *out = pooled ? a->pool_out[l] + first * c * spatial / 4 : a->feature + first * c;
        nn_bn_relu_pool_forward(out, a->bn_mean[l] + slot * c, a->bn_rstd[l] + slot * c,
                                running ? nn_params_value(p, encoder->bn_running_mean[l]) : NULL,
                                running ? nn_params_value(p, encoder->bn_running_var[l]) : NULL, conv_out,
                                nn_params_value(p, encoder->bn_weight[l]), nn_params_value(p, encoder->bn_bias[l]), c,
                                count, side, side, pooled ? NN_POOL_MAX2 : NN_POOL_GLOBAL_AVG, BN_EPS, BN_MOMENTUM,
                                training);
        input = out;
    }
}

/* One pass of the conv blocks shared out over the team: `group` images per
 * task (a BN group in training, an evaluation chunk otherwise). */
typedef struct blocks_pass {
    hcsc_encoder *encoder;
    hcsc_activations *a;
    const float *images;
    const float *dfeature; /* backward only: (batch, C3) */
    size_t batch, group;
    int training;
} blocks_pass;

static void forward_task(void *context, size_t index, size_t worker)
{
    const blocks_pass *pass = context;
    size_t first = index * pass->group;
    size_t count = pass->batch - first < pass->group ? pass->batch - first : pass->group;
    blocks_forward(pass->encoder, pass->a, pass->a->workspace + worker * pass->a->workspace_size, pass->images, first,
                   count, index, pass->training);
}

void hcsc_encoder_forward(hcsc_encoder *encoder, hcsc_activations *a, const float *images, size_t batch,
                          size_t bn_groups, int training)
{
    const hcsc_encoder_config *config = &encoder->config;
    nn_params *p = &encoder->params;
    if (!training || bn_groups == 0)
        bn_groups = 1;
    blocks_pass pass = {.encoder = encoder, .a = a, .images = images, .batch = batch,
                        .group = training ? batch / bn_groups : EVAL_CHUNK, .training = training};
    nn_team_run(a->team, (batch + pass.group - 1) / pass.group, forward_task, &pass);
    size_t feature = config->channels[HCSC_BLOCKS - 1];
    nn_linear_forward(a->hidden, a->feature, nn_params_value(p, encoder->head_weight[0]),
                      nn_params_value(p, encoder->head_bias[0]), batch, feature, config->head_hidden);
    nn_relu_forward(a->hidden_relu, a->hidden, batch * config->head_hidden);
    nn_linear_forward(a->projection, a->hidden_relu, nn_params_value(p, encoder->head_weight[1]),
                      nn_params_value(p, encoder->head_bias[1]), batch, config->head_hidden, config->projection_dim);
    l2_normalize(a->output, a->projection, batch, config->projection_dim);
}

/* Backward through the conv blocks of BN group `group_index` (images [first,
 * first + count)), from dfeature (count, C3) of that group.  The weight
 * gradients go to the group's own slice of a->group_grads (zeroed here), so
 * groups can run on any worker; hcsc_encoder_backward sums the slices. */
static void blocks_backward(hcsc_encoder *encoder, hcsc_activations *a, float *workspace, const float *images,
                            const float *dfeature, size_t first, size_t count, size_t group_index)
{
    const hcsc_encoder_config *config = &encoder->config;
    nn_params *p = &encoder->params;
    float *grads = a->group_grads + group_index * group_gradient_size(config);
    memset(grads, 0, group_gradient_size(config) * sizeof(float));
    float *conv_grad[HCSC_BLOCKS], *bn_weight_grad[HCSC_BLOCKS], *bn_bias_grad[HCSC_BLOCKS];
    for (size_t l = 0; l < HCSC_BLOCKS; l++) {
        conv_grad[l] = grads, grads += config->channels[l] * block_in_channels(config, l) * 9;
        bn_weight_grad[l] = grads, grads += config->channels[l];
        bn_bias_grad[l] = grads, grads += config->channels[l];
    }
    /* The group's slices of the two scratch buffers: d(BN input) of block l, and
     * d(pooled output) of block l − 1, which the convolution's backward fills. */
    float *dconv_out = a->grad_big[0] + first * a->grad_per_image;
    float *dpooled = a->grad_big[1] + first * a->grad_per_image;
    const float *dout = dfeature;
    for (size_t l = HCSC_BLOCKS; l-- > 0;) {
        size_t c = config->channels[l], side = block_side(config, l), spatial = side * side;
        const float *conv_out = a->conv_out[l] + first * c * spatial;
        nn_bn_relu_pool_backward(dconv_out, bn_weight_grad[l], bn_bias_grad[l], dout, conv_out,
                                 nn_params_value(p, encoder->bn_weight[l]), nn_params_value(p, encoder->bn_bias[l]),
                                 a->bn_mean[l] + group_index * c, a->bn_rstd[l] + group_index * c, c, count, side,
                                 side, l + 1 < HCSC_BLOCKS ? NN_POOL_MAX2 : NN_POOL_GLOBAL_AVG, 1);
        nn_conv2d_dims dims = block_conv(config, l, count);
        const float *input = l == 0 ? images + first * config->image_size * config->image_size
                                    : a->pool_out[l - 1] + first * config->channels[l - 1] * spatial;
        float *dinput = NULL;
        if (l > 0) {
            dinput = dpooled;
            memset(dinput, 0, count * config->channels[l - 1] * spatial * sizeof(float));
        }
        nn_conv2d_cm_backward(dinput, conv_grad[l], workspace, dconv_out, input,
                              nn_params_value(p, encoder->conv_weight[l]), &dims);
        dout = dpooled;
    }
}

static void backward_task(void *context, size_t index, size_t worker)
{
    const blocks_pass *pass = context;
    size_t feature = pass->encoder->config.channels[HCSC_BLOCKS - 1];
    blocks_backward(pass->encoder, pass->a, pass->a->workspace + worker * pass->a->workspace_size, pass->images,
                    pass->dfeature + index * pass->group * feature, index * pass->group, pass->group, index);
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
    blocks_pass pass = {.encoder = encoder, .a = a, .images = images, .dfeature = dfeature, .batch = batch,
                        .group = group, .training = 1};
    nn_team_run(a->team, bn_groups, backward_task, &pass);
    /* The groups' gradients, summed in group order whatever ran them. */
    size_t size = group_gradient_size(config);
    for (size_t g = 0; g < bn_groups; g++) {
        const float *grads = a->group_grads + g * size;
        for (size_t l = 0; l < HCSC_BLOCKS; l++) {
            size_t tensors[3] = {encoder->conv_weight[l], encoder->bn_weight[l], encoder->bn_bias[l]};
            for (size_t t = 0; t < 3; t++) {
                float *target = nn_params_grad(p, tensors[t]);
                size_t count = nn_params_count(p, tensors[t]);
                for (size_t i = 0; i < count; i++)
                    target[i] += grads[i];
                grads += count;
            }
        }
    }
}

void hcsc_encoder_features(hcsc_encoder *encoder, hcsc_activations *a, const float *images, size_t count,
                           float *backbone, float *projection, int normalize)
{
    size_t pixels = encoder->config.image_size * encoder->config.image_size;
    size_t feature = hcsc_encoder_feature_dim(encoder), dim = encoder->config.projection_dim;
    /* One OpenBLAS thread throughout, the head's GEMMs too: its workers would
     * otherwise spin on the cores the team uses for the next chunk. */
    unsigned blas_threads = nn_get_threads();
    nn_set_threads(1);
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
    }    nn_set_threads(blas_threads);
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
