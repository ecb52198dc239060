#include "domain_shift/detector.h"

#include <math.h>
#include <stdio.h>
#include <stdlib.h>
#include <string.h>
#include <time.h>

#include "bench/rng.h"
#include "domain_shift/centernet.h"
#include "nn/check.h"
#include "nn/gemm.h"
#include "nn/layers.h"
#include "nn/loss.h"
#include "nn/optim.h"
#include "nn/params.h"
#include "nn/team.h"

static const char *const method_names[SHIFT_METHOD_COUNT] = {
    "source_only",      "oracle",        "psn",  "psn_global_only", "psn_local_only",
    "psn_grl_schedule", "psn_domain_bn", "psn_target_bn", "source_only_target_bn"};

int shift_method_parse(const char *text, shift_method *out, bench_error *error)
{
    for (int i = 0; i < SHIFT_METHOD_COUNT; i++)
        if (strcmp(text, method_names[i]) == 0) {
            *out = (shift_method)i;
            return BENCH_OK;
        }
    return BENCH_FAIL(error, BENCH_BAD_INPUT,
                      "unknown method '%s'; methods are source_only, oracle, psn, psn_global_only, psn_local_only, "
                      "psn_grl_schedule, psn_domain_bn, psn_target_bn, source_only_target_bn",
                      text);
}

const char *shift_method_name(shift_method method)
{
    return method >= 0 && method < SHIFT_METHOD_COUNT ? method_names[method] : "unknown";
}

shift_train_config shift_train_config_default(size_t steps)
{
    shift_train_config c = {
        .steps = steps,
        .batch = 8,
        .warmup = steps * 14 / 100,
        .eval_every = steps >= 6 ? steps / 6 : 1,
        .width = 16,
        .learning_rate = 1e-3,
        .weight_decay = 1e-4,
        .disc_learning_rate = 5e-5,
        .disc_weight_decay = 5e-4,
        .lr_decay_gamma = 0.1,
        .grl_lambda = 1.0,
        .prototype_margin = 1.0,
        .top_k = 100,
        .flip = 1,
        .threads = 1,
    };
    return c;
}

/* ---- Network description ---------------------------------------------------- */

/* Parts a batch is cut into for the team (see layer_pass). */
#define DETECTOR_PARTS 4

enum { LAYER_COUNT = 7, STAGE_COUNT = 3, DISC_HIDDEN1 = 64, DISC_HIDDEN2 = 32, PROTO_HIDDEN1 = 64,
       PROTO_HIDDEN2 = 32 };
static const int stage_layer[STAGE_COUNT] = {1, 3, 4}; /* outputs feeding the pixel discriminators */
#define NECK_LAYER 4
#define OUTPUT_LAYER 6

typedef struct layer_spec {
    size_t in_c, out_c, kernel, stride, pad, dilation, in_size, conv_size, out_size;
    int batchnorm, relu, pool, bias;
} layer_spec;

typedef struct layer {
    size_t in_c, out_c, kernel, stride, pad, dilation;
    size_t in_size, conv_size, out_size; /* spatial side: input, after conv, after pool */
    int batchnorm, relu, pool, bias;
    size_t weight, bias_index, gamma, beta, running_mean, running_var; /* nn_params handles */
    size_t running_mean_target, running_var_target; /* domain-specific BN: the target's statistics */
    /* activations for max_n images */
    float *conv_out;  /* (n, out_c, conv, conv) before batch-norm (NULL without BN: act is used) */
    float *act;       /* (n, out_c, conv, conv) after BN/ReLU */
    float *pooled;    /* (n, out_c, out, out) when pool */
    int32_t *argmax;
    float *mean, *rstd; /* (2, out_c): the batch's, or with split BN the source half's then the target half's */
    float *d_out;     /* gradient of the layer output (pooled or act) */
    float *d_work;    /* (n, out_c, conv, conv) scratch gradient */
    float *d_work2;
} layer;

typedef struct pixel_discriminator {
    size_t w1, b1, w2, b2, w3, b3; /* handles in the discriminator params */
    float *h1, *h2, *logits;       /* (n, 64, cells), (n, 32, cells), (n, 1, cells) */
    float *d_h1, *d_h2, *d_logits, *d_in;
} pixel_discriminator;

struct shift_detector {
    size_t image_size, cells, out_side, max_n, width;
    layer layers[LAYER_COUNT];
    nn_params params;        /* detector */
    nn_params disc_params;   /* discriminators (allocated for PSN variants) */
    pixel_discriminator pixel[STAGE_COUNT];
    size_t proto_l1_w, proto_l1_b, proto_l2_w, proto_l2_b, proto_l3_w, proto_l3_b;
    float *input;            /* (max_n, 3, S, S) */
    nn_team *team;           /* the cell's threads: batch parts run on it (nn/team.h) */
    size_t workspace_size;   /* floats of im2col scratch per worker */
    float *workspace;        /* im2col, largest layer, one part of the batch; one per worker */
    size_t part_grad_size;   /* floats of one part's weight + bias gradient, largest layer */
    float *part_grads;       /* (DETECTOR_PARTS, part_grad_size) */
    double *image_sums;      /* (2, max_n): per-image loss sums, added in image order */
    float *decode_scratch;
    int32_t *decode_argmax;
    /* PSN prototype state */
    float *running_source, *running_target; /* (classes, dim) */
    int has_discriminators;
    /* Domain-specific batch-norm (psn_domain_bn): the target's running
     * statistics exist, and split_bn (set for a training step only) normalises
     * the first half of the batch (source) and the second (target) apart. */
    int domain_bn, split_bn;
};

static float *alloc_floats(size_t count)
{
    return calloc(count ? count : 1, sizeof(float));
}

static nn_conv2d_dims layer_dims(const layer *l, size_t n)
{
    nn_conv2d_dims d = nn_conv2d_make(n, l->in_c, l->out_c, l->in_size, l->in_size, l->kernel, l->stride, l->pad);
    d.dilation_h = d.dilation_w = l->dilation;
    return d;
}

void shift_detector_free(shift_detector *m)
{
    if (m == NULL)
        return;
    for (int i = 0; i < LAYER_COUNT; i++) {
        layer *l = &m->layers[i];
        free(l->conv_out), free(l->act), free(l->pooled), free(l->argmax), free(l->mean), free(l->rstd);
        free(l->d_out), free(l->d_work), free(l->d_work2);
    }
    for (int s = 0; s < STAGE_COUNT; s++) {
        pixel_discriminator *p = &m->pixel[s];
        free(p->h1), free(p->h2), free(p->logits), free(p->d_h1), free(p->d_h2), free(p->d_logits), free(p->d_in);
    }
    nn_params_free(&m->params);
    nn_params_free(&m->disc_params);
    free(m->input), free(m->workspace), free(m->decode_scratch), free(m->decode_argmax), free(m->part_grads);
    free(m->image_sums);
    nn_team_free(m->team);
    free(m->running_source), free(m->running_target);
    free(m);
}

static int add_tensor(nn_params *params, const char *name, size_t ndim, size_t d0, size_t d1, size_t d2, size_t d3,
                      int trainable, size_t *index, bench_error *error)
{
    size_t dims[4] = {d0, d1, d2, d3};
    return nn_params_add(params, name, ndim, dims, trainable, index, error);
}

static int create_model(shift_detector **out, size_t image_size, size_t width, size_t max_n, int discriminators,
                        int domain_bn, bench_rng *rng, bench_error *error)
{
    *out = NULL;
    if (image_size < 32 || image_size % 4 != 0)
        return BENCH_FAIL(error, BENCH_UNSUPPORTED, "image size %zu: the detector needs a multiple of 4, >= 32",
                          image_size);
    shift_detector *m = calloc(1, sizeof *m);
    if (m == NULL)
        return BENCH_FAIL(error, BENCH_NO_MEMORY, "detector");
    m->image_size = image_size;
    m->out_side = image_size / 4;
    m->cells = m->out_side * m->out_side;
    m->max_n = max_n;
    m->width = width;
    m->domain_bn = domain_bn;
    size_t c1 = width, c2 = 2 * width, c3 = 3 * width, c4 = 4 * width, q = image_size / 4;
    /* in_c, out_c, kernel, stride, pad, dilation, in_size, conv_size, out_size, bn, relu, pool, bias */
    const layer_spec specs[LAYER_COUNT] = {
        {3, c1, 3, 1, 1, 1, image_size, image_size, image_size / 2, 1, 1, 1, 0},
        {c1, c2, 3, 2, 1, 1, image_size / 2, q, q, 1, 1, 0, 0},
        {c2, c3, 3, 1, 1, 1, q, q, q, 1, 1, 0, 0},
        {c3, c3, 3, 1, 2, 2, q, q, q, 1, 1, 0, 0},
        {c3, c4, 3, 1, 4, 4, q, q, q, 1, 1, 0, 0},
        {c4, c4, 3, 1, 1, 1, q, q, q, 0, 1, 0, 1},
        {c4, SHIFT_HEAD_CHANNELS, 1, 1, 0, 1, q, q, q, 0, 0, 0, 1},
    };
    nn_params_init(&m->params);
    int code = BENCH_OK;
    size_t workspace = 0;
    for (int i = 0; i < LAYER_COUNT && code == BENCH_OK; i++) {
        layer *l = &m->layers[i];
        const layer_spec *spec = &specs[i];
        l->in_c = spec->in_c, l->out_c = spec->out_c, l->kernel = spec->kernel, l->stride = spec->stride;
        l->pad = spec->pad, l->dilation = spec->dilation, l->in_size = spec->in_size;
        l->conv_size = spec->conv_size, l->out_size = spec->out_size;
        l->batchnorm = spec->batchnorm, l->relu = spec->relu, l->pool = spec->pool, l->bias = spec->bias;
        char name[48];
        snprintf(name, sizeof name, "layer%d.weight", i);
        code = add_tensor(&m->params, name, 4, l->out_c, l->in_c, l->kernel, l->kernel, 1, &l->weight, error);
        if (code == BENCH_OK && l->bias) {
            snprintf(name, sizeof name, "layer%d.bias", i);
            code = add_tensor(&m->params, name, 1, l->out_c, 0, 0, 0, 1, &l->bias_index, error);
        }
        if (code == BENCH_OK && l->batchnorm) {
            const char *suffix[4] = {"bn.weight", "bn.bias", "bn.running_mean", "bn.running_var"};
            size_t *handle[4] = {&l->gamma, &l->beta, &l->running_mean, &l->running_var};
            for (int k = 0; k < 4 && code == BENCH_OK; k++) {
                snprintf(name, sizeof name, "layer%d.%s", i, suffix[k]);
                code = add_tensor(&m->params, name, 1, l->out_c, 0, 0, 0, k < 2, handle[k], error);
            }
            for (int k = 0; k < 2 && domain_bn && code == BENCH_OK; k++) {
                snprintf(name, sizeof name, "layer%d.%s_target", i, suffix[2 + k]);
                code = add_tensor(&m->params, name, 1, l->out_c, 0, 0, 0, 0,
                                  k == 0 ? &l->running_mean_target : &l->running_var_target, error);
            }
        }
        nn_conv2d_dims d = layer_dims(l, (max_n + DETECTOR_PARTS - 1) / DETECTOR_PARTS);
        size_t need = nn_conv2d_workspace(&d);
        if (need > workspace)
            workspace = need;
        size_t grads = l->out_c * l->in_c * l->kernel * l->kernel + l->out_c;
        if (grads > m->part_grad_size)
            m->part_grad_size = grads;
        size_t act = max_n * l->out_c * l->conv_size * l->conv_size;
        size_t outn = max_n * l->out_c * l->out_size * l->out_size;
        l->act = alloc_floats(act);
        l->conv_out = l->batchnorm ? alloc_floats(act) : NULL;
        l->pooled = l->pool ? alloc_floats(outn) : NULL;
        l->argmax = l->pool ? calloc(outn, sizeof(int32_t)) : NULL;
        l->mean = alloc_floats(2 * l->out_c);
        l->rstd = alloc_floats(2 * l->out_c);
        l->d_out = alloc_floats(outn);
        l->d_work = alloc_floats(act);
        l->d_work2 = alloc_floats(act);
        if (l->act == NULL || (l->batchnorm && l->conv_out == NULL) || (l->pool && (!l->pooled || !l->argmax)) ||
            !l->mean || !l->rstd || !l->d_out || !l->d_work || !l->d_work2)
            code = BENCH_FAIL(error, BENCH_NO_MEMORY, "detector activations");
    }
    if (code == BENCH_OK)
        code = nn_params_allocate(&m->params, error);
    size_t classes_cells = SHIFT_CLASS_COUNT * m->cells;
    if (code == BENCH_OK) {
        m->input = alloc_floats(max_n * 3 * image_size * image_size);
        /* The cell's thread budget, as the harness set it for OpenBLAS. */
        code = nn_team_create(&m->team, nn_get_threads(), error);
        m->workspace_size = workspace < 1024 ? 1024 : workspace;
        m->workspace = alloc_floats(nn_team_size(m->team) * m->workspace_size);
        m->decode_scratch = alloc_floats(4 * classes_cells);
        m->decode_argmax = calloc(classes_cells, sizeof(int32_t));
        m->running_source = alloc_floats(SHIFT_CLASS_COUNT * c4);
        m->running_target = alloc_floats(SHIFT_CLASS_COUNT * c4);
        if (code == BENCH_OK && (!m->input || !m->workspace || !m->decode_scratch ||
                                 !m->decode_argmax || !m->running_source || !m->running_target))
            code = BENCH_FAIL(error, BENCH_NO_MEMORY, "detector buffers");
    }
    if (code == BENCH_OK) {
        for (int i = 0; i < LAYER_COUNT; i++) {
            layer *l = &m->layers[i];
            size_t fan_in = l->in_c * l->kernel * l->kernel;
            nn_init_kaiming_uniform(nn_params_value(&m->params, l->weight), nn_params_count(&m->params, l->weight),
                                    fan_in, rng);
            if (l->batchnorm) {
                nn_init_constant(nn_params_value(&m->params, l->gamma), l->out_c, 1.0f);
                nn_init_constant(nn_params_value(&m->params, l->running_var), l->out_c, 1.0f);
                if (domain_bn)
                    nn_init_constant(nn_params_value(&m->params, l->running_var_target), l->out_c, 1.0f);
            }
        }
        /* The output layer starts small, with heatmap bias -2.19 (p = 0.1) as CenterNet. */
        layer *o = &m->layers[OUTPUT_LAYER];
        nn_init_uniform(nn_params_value(&m->params, o->weight), nn_params_count(&m->params, o->weight),
                        1.0f / sqrtf((float)o->in_c), rng);
        nn_init_constant(nn_params_value(&m->params, o->bias_index), SHIFT_CLASS_COUNT, -2.19f);
        nn_init_constant(nn_params_value(&m->params, o->bias_index) + SHIFT_CLASS_COUNT, 4, 0.0f);
    }
    if (code == BENCH_OK && discriminators) {
        m->has_discriminators = 1;
        nn_params_init(&m->disc_params);
        for (int s = 0; s < STAGE_COUNT && code == BENCH_OK; s++) {
            pixel_discriminator *p = &m->pixel[s];
            size_t dim = m->layers[stage_layer[s]].out_c;
            char name[48];
            snprintf(name, sizeof name, "pixel%d.w1", s);
            code = add_tensor(&m->disc_params, name, 4, DISC_HIDDEN1, dim, 1, 1, 1, &p->w1, error);
            snprintf(name, sizeof name, "pixel%d.b1", s);
            if (code == BENCH_OK) code = add_tensor(&m->disc_params, name, 1, DISC_HIDDEN1, 0, 0, 0, 1, &p->b1, error);
            snprintf(name, sizeof name, "pixel%d.w2", s);
            if (code == BENCH_OK)
                code = add_tensor(&m->disc_params, name, 4, DISC_HIDDEN2, DISC_HIDDEN1, 1, 1, 1, &p->w2, error);
            snprintf(name, sizeof name, "pixel%d.b2", s);
            if (code == BENCH_OK) code = add_tensor(&m->disc_params, name, 1, DISC_HIDDEN2, 0, 0, 0, 1, &p->b2, error);
            snprintf(name, sizeof name, "pixel%d.w3", s);
            if (code == BENCH_OK) code = add_tensor(&m->disc_params, name, 4, 1, DISC_HIDDEN2, 1, 1, 1, &p->w3, error);
            snprintf(name, sizeof name, "pixel%d.b3", s);
            if (code == BENCH_OK) code = add_tensor(&m->disc_params, name, 1, 1, 0, 0, 0, 1, &p->b3, error);
            size_t cells = m->cells;
            p->h1 = alloc_floats(max_n * DISC_HIDDEN1 * cells);
            p->h2 = alloc_floats(max_n * DISC_HIDDEN2 * cells);
            p->logits = alloc_floats(max_n * cells);
            p->d_h1 = alloc_floats(max_n * DISC_HIDDEN1 * cells);
            p->d_h2 = alloc_floats(max_n * DISC_HIDDEN2 * cells);
            p->d_logits = alloc_floats(max_n * cells);
            p->d_in = alloc_floats(max_n * dim * cells);
            if (!p->h1 || !p->h2 || !p->logits || !p->d_h1 || !p->d_h2 || !p->d_logits || !p->d_in)
                code = BENCH_FAIL(error, BENCH_NO_MEMORY, "discriminator buffers");
        }
        size_t proto_in = SHIFT_CLASS_COUNT * c4;
        if (code == BENCH_OK) code = add_tensor(&m->disc_params, "proto.l1.w", 2, PROTO_HIDDEN1, proto_in, 0, 0, 1, &m->proto_l1_w, error);
        if (code == BENCH_OK) code = add_tensor(&m->disc_params, "proto.l1.b", 1, PROTO_HIDDEN1, 0, 0, 0, 1, &m->proto_l1_b, error);
        if (code == BENCH_OK) code = add_tensor(&m->disc_params, "proto.l2.w", 2, PROTO_HIDDEN2, PROTO_HIDDEN1, 0, 0, 1, &m->proto_l2_w, error);
        if (code == BENCH_OK) code = add_tensor(&m->disc_params, "proto.l2.b", 1, PROTO_HIDDEN2, 0, 0, 0, 1, &m->proto_l2_b, error);
        if (code == BENCH_OK) code = add_tensor(&m->disc_params, "proto.l3.w", 2, SHIFT_CLASS_COUNT, PROTO_HIDDEN2, 0, 0, 1, &m->proto_l3_w, error);
        if (code == BENCH_OK) code = add_tensor(&m->disc_params, "proto.l3.b", 1, SHIFT_CLASS_COUNT, 0, 0, 0, 1, &m->proto_l3_b, error);
        if (code == BENCH_OK)
            code = nn_params_allocate(&m->disc_params, error);
        if (code == BENCH_OK) {
            /* PyTorch's default bound 1/sqrt(fan_in) for every discriminator weight and bias. */
            for (size_t t = 0; t < m->disc_params.tensor_count; t++) {
                const nn_tensor_info *info = &m->disc_params.tensors[t];
                size_t fan_in = info->ndim >= 2 ? info->shape[1] * (info->ndim == 4 ? info->shape[2] * info->shape[3] : 1)
                                                : (t > 0 ? m->disc_params.tensors[t - 1].shape[1] : 1);
                nn_init_uniform(m->disc_params.values + info->offset, info->count, 1.0f / sqrtf((float)fan_in), rng);
            }
        }
    }
    if (code == BENCH_OK) {
        /* A part's gradients: the largest layer's, or every discriminator tensor. */
        if (m->has_discriminators && m->disc_params.total > m->part_grad_size)
            m->part_grad_size = m->disc_params.total;
        m->part_grads = alloc_floats(DETECTOR_PARTS * m->part_grad_size);
        m->image_sums = calloc(2 * max_n, sizeof *m->image_sums);
        if (m->part_grads == NULL || m->image_sums == NULL)
            code = BENCH_FAIL(error, BENCH_NO_MEMORY, "detector gradient parts");
    }
    if (code != BENCH_OK) {
        shift_detector_free(m);
        return code;
    }
    *out = m;
    return BENCH_OK;
}

double shift_detector_forward_macs(const shift_detector *m)
{
    double macs = 0;
    for (int i = 0; i < LAYER_COUNT; i++) {
        const layer *l = &m->layers[i];
        macs += (double)l->out_c * l->conv_size * l->conv_size * l->in_c * l->kernel * l->kernel;
    }
    return macs;
}

/* ---- Forward / backward --------------------------------------------------------- */

static const float *layer_output(const layer *l)
{
    return l->pool ? l->pooled : l->act;
}

static void forward_with_momentum(shift_detector *m, size_t n, int training, float momentum);

static void forward(shift_detector *m, size_t n, int training)
{
    forward_with_momentum(m, n, training, 0.1f);
}

/* A step's batch is cut into DETECTOR_PARTS contiguous parts that run on the
 * team: convolutions, ReLU and pooling per part, batch-norm over the whole batch
 * between them (its statistics need every image).  The cut depends on n only,
 * and each part's weight gradients are summed in part order, so the results do
 * not depend on the team's size. */
typedef struct layer_pass {
    shift_detector *m;
    layer *l;
    size_t n;
    const float *in;
    int training;
    float momentum;
} layer_pass;

static size_t part_count(size_t n)
{
    return n < DETECTOR_PARTS ? n : DETECTOR_PARTS;
}

static void part_range(size_t n, size_t part, size_t *first, size_t *count)
{
    size_t parts = part_count(n);
    *first = part * n / parts;
    *count = (part + 1) * n / parts - *first;
}

static float *worker_workspace(const shift_detector *m, size_t worker)
{
    return m->workspace + worker * m->workspace_size;
}

/* ReLU and pooling of images [first, first + count) of a layer's activations. */
static void activate_part(layer *l, size_t first, size_t count)
{
    size_t spatial = l->conv_size * l->conv_size, plane = l->out_c * spatial;
    float *act = l->act + first * plane;
    if (l->relu)
        nn_relu_forward(act, act, count * plane);
    if (l->pool) {
        size_t pooled = l->out_c * l->out_size * l->out_size;
        nn_maxpool2d_forward(l->pooled + first * pooled, l->argmax + first * pooled, act, count, l->out_c,
                             l->conv_size, l->conv_size, 2, 2, 0);
    }
}

static void conv_forward_part(void *context, size_t part, size_t worker)
{
    const layer_pass *pass = context;
    const shift_detector *m = pass->m;
    layer *l = pass->l;
    size_t first, count;
    part_range(pass->n, part, &first, &count);
    nn_conv2d_dims d = layer_dims(l, count);
    size_t plane = l->out_c * l->conv_size * l->conv_size, in_plane = l->in_c * l->in_size * l->in_size;
    const float *b = l->bias ? nn_params_value(&m->params, l->bias_index) : NULL;
    nn_conv2d_forward((l->batchnorm ? l->conv_out : l->act) + first * plane, worker_workspace(m, worker),
                      pass->in + first * in_plane, nn_params_value(&m->params, l->weight), b, &d);
    if (!l->batchnorm)
        activate_part(l, first, count);
}

static void activate_task(void *context, size_t part, size_t worker)
{
    (void)worker;
    const layer_pass *pass = context;
    size_t first, count;
    part_range(pass->n, part, &first, &count);
    activate_part(pass->l, first, count);
}

/* Batch-norm splits by channel instead (channels are independent, so any split
 * gives the bits of one call): blocks of BN_CHANNELS. */
#define BN_CHANNELS 4

static size_t channel_blocks(const layer *l)
{
    return (l->out_c + BN_CHANNELS - 1) / BN_CHANNELS;
}

static void batchnorm_forward_task(void *context, size_t block, size_t worker)
{
    (void)worker;
    const layer_pass *pass = context;
    shift_detector *m = pass->m;
    layer *l = pass->l;
    size_t first = block * BN_CHANNELS, count = l->out_c - first < BN_CHANNELS ? l->out_c - first : BN_CHANNELS;
    size_t spatial = l->conv_size * l->conv_size;
    /* With split BN the halves are two batches of their own: contiguous images,
     * their own batch statistics and their own running statistics. */
    int halves = m->split_bn ? 2 : 1;
    size_t n = pass->n / (size_t)halves;
    for (int h = 0; h < halves; h++) {
        size_t offset = (size_t)h * n * l->out_c * spatial;
        size_t mean = h ? l->running_mean_target : l->running_mean, var = h ? l->running_var_target : l->running_var;
        nn_batchnorm_forward_channels(l->act + offset, l->mean + h * l->out_c, l->rstd + h * l->out_c,
                                      nn_params_value(&m->params, mean), nn_params_value(&m->params, var),
                                      l->conv_out + offset, nn_params_value(&m->params, l->gamma),
                                      nn_params_value(&m->params, l->beta), n, l->out_c, spatial, 1e-5f,
                                      pass->momentum, pass->training, first, count);
    }
}

static void forward_with_momentum(shift_detector *m, size_t n, int training, float momentum)
{
    const float *in = m->input;
    for (int i = 0; i < LAYER_COUNT; i++) {
        layer *l = &m->layers[i];
        layer_pass pass = {.m = m, .l = l, .n = n, .in = in, .training = training, .momentum = momentum};
        nn_team_run(m->team, part_count(n), conv_forward_part, &pass);
        if (l->batchnorm) {
            nn_team_run(m->team, channel_blocks(l), batchnorm_forward_task, &pass);
            nn_team_run(m->team, part_count(n), activate_task, &pass);
        }
        in = layer_output(l);
    }
}

static void zero_output_gradients(shift_detector *m, size_t n)
{
    for (int i = 0; i < LAYER_COUNT; i++) {
        layer *l = &m->layers[i];
        memset(l->d_out, 0, n * l->out_c * l->out_size * l->out_size * sizeof(float));
    }
}

/* d(layer output) → d(pre-activation) of images [first, first + count): through
 * the pool and the ReLU; returns where it is (d_out itself without either). */
static float *deactivate_part(layer *l, size_t first, size_t count)
{
    size_t spatial = l->conv_size * l->conv_size, plane = l->out_c * spatial;
    float *d_act = l->d_out;
    if (l->pool) {
        size_t pooled = l->out_c * l->out_size * l->out_size;
        memset(l->d_work2 + first * plane, 0, count * plane * sizeof(float));
        /* argmax indices are relative to the part, as activate_part pooled it */
        nn_maxpool2d_backward(l->d_work2 + first * plane, l->d_out + first * pooled, l->argmax + first * pooled, count,
                              l->out_c, l->out_size, l->out_size);
        d_act = l->d_work2;
    }
    if (l->relu) {
        memset(l->d_work + first * plane, 0, count * plane * sizeof(float));
        nn_relu_backward(l->d_work + first * plane, d_act + first * plane, l->act + first * plane, count * plane);
        return l->d_work;
    }
    return d_act;
}

typedef struct backward_pass {
    shift_detector *m;
    layer *l;
    size_t n;
    int index;
    const float *d_conv; /* d(conv output), whole batch; NULL until the layer's deactivation ran */
    float *d_pre;        /* where deactivate_part put d(pre-activation) */
    float *d_bn;         /* d(BN input): batch-norm's backward writes it */
    int training;
} backward_pass;

static void batchnorm_backward_task(void *context, size_t block, size_t worker)
{
    (void)worker;
    const backward_pass *pass = context;
    shift_detector *m = pass->m;
    const layer *l = pass->l;
    size_t first = block * BN_CHANNELS, count = l->out_c - first < BN_CHANNELS ? l->out_c - first : BN_CHANNELS;
    size_t spatial = l->conv_size * l->conv_size;
    /* zero this block's channels of d(BN input): the kernel adds */
    for (size_t s = 0; s < pass->n; s++)
        memset(pass->d_bn + (s * l->out_c + first) * spatial, 0, count * spatial * sizeof(float));
    int halves = m->split_bn ? 2 : 1;
    size_t n = pass->n / (size_t)halves;
    for (int h = 0; h < halves; h++) {
        size_t offset = (size_t)h * n * l->out_c * spatial;
        nn_batchnorm_backward_channels(pass->d_bn + offset, nn_params_grad(&m->params, l->gamma),
                                       nn_params_grad(&m->params, l->beta), pass->d_pre + offset,
                                       l->conv_out + offset, nn_params_value(&m->params, l->gamma),
                                       l->mean + h * l->out_c, l->rstd + h * l->out_c, n, l->out_c, spatial,
                                       pass->training, first, count);
    }
}

static void deactivate_task(void *context, size_t part, size_t worker)
{
    (void)worker;
    backward_pass *pass = context;
    size_t first, count;
    part_range(pass->n, part, &first, &count);
    float *d_pre = deactivate_part(pass->l, first, count);
    if (part == 0)
        pass->d_pre = d_pre; /* the same buffer for every part */
}

static void conv_backward_part(void *context, size_t part, size_t worker)
{
    const backward_pass *pass = context;
    shift_detector *m = pass->m;
    const layer *l = pass->l;
    size_t first, count;
    part_range(pass->n, part, &first, &count);
    nn_conv2d_dims d = layer_dims(l, count);
    size_t plane = l->out_c * l->conv_size * l->conv_size, in_plane = l->in_c * l->in_size * l->in_size;
    size_t weights = l->out_c * l->in_c * l->kernel * l->kernel;
    float *grads = m->part_grads + part * m->part_grad_size;
    memset(grads, 0, (weights + l->out_c) * sizeof(float));
    const float *in = pass->index == 0 ? m->input : layer_output(&m->layers[pass->index - 1]);
    float *d_in = pass->index == 0 ? NULL : m->layers[pass->index - 1].d_out + first * in_plane;
    nn_conv2d_backward(d_in, grads, l->bias ? grads + weights : NULL, worker_workspace(m, worker),
                       pass->d_conv + first * plane, in + first * in_plane, nn_params_value(&m->params, l->weight),
                       &d);
}

/* Backpropagates the gradients accumulated in every layer's d_out (the head's
 * and any injected at discriminator stages) down to the first layer. */
static void backward(shift_detector *m, size_t n, int training)
{
    for (int i = LAYER_COUNT - 1; i >= 0; i--) {
        layer *l = &m->layers[i];
        backward_pass pass = {.m = m, .l = l, .n = n, .index = i};
        nn_team_run(m->team, part_count(n), deactivate_task, &pass);
        float *d_conv = pass.d_pre;
        if (l->batchnorm) {
            pass.d_bn = pass.d_pre == l->d_work ? l->d_work2 : l->d_work;
            pass.training = training;
            nn_team_run(m->team, channel_blocks(l), batchnorm_backward_task, &pass);
            d_conv = pass.d_bn;
        }
        pass.d_conv = d_conv;
        nn_team_run(m->team, part_count(n), conv_backward_part, &pass);
        size_t weights = l->out_c * l->in_c * l->kernel * l->kernel;
        float *dw = nn_params_grad(&m->params, l->weight);
        float *db = l->bias ? nn_params_grad(&m->params, l->bias_index) : NULL;
        for (size_t part = 0; part < part_count(n); part++) {
            const float *grads = m->part_grads + part * m->part_grad_size;
            for (size_t k = 0; k < weights; k++)
                dw[k] += grads[k];
            if (db != NULL)
                for (size_t o = 0; o < l->out_c; o++)
                    db[o] += grads[weights + o];
        }
    }
}

/* ---- Data ------------------------------------------------------------------------- */

/* Image `index` of dataset into input slot `slot`, normalised to about
 * zero mean, unit spread, mirrored when flip. */
static void load_image(shift_detector *m, size_t slot, const shift_dataset *data, size_t index, int flip)
{
    size_t s = m->image_size, plane = s * s;
    const uint8_t *rgb = data->pixels + index * plane * 3;
    float *x = m->input + slot * 3 * plane;
    for (size_t y = 0; y < s; y++)
        for (size_t col = 0; col < s; col++) {
            size_t source = flip ? s - 1 - col : col;
            for (size_t c = 0; c < 3; c++)
                x[c * plane + y * s + col] = ((float)rgb[(y * s + source) * 3 + c] / 255.0f - 0.5f) * 4.0f;
        }
}

/* ---- Losses ----------------------------------------------------------------------- */

typedef struct batch_targets {
    float *heatmap;      /* (batch, classes, cells) */
    float *logits;       /* (batch, classes, cells) gathered from the head */
    float *d_logits;
    int32_t index[64 * SHIFT_MAX_OBJECTS];
    float size[64 * SHIFT_MAX_OBJECTS * 2], offset[64 * SHIFT_MAX_OBJECTS * 2];
    size_t objects[64];
} batch_targets;

/* The heatmap focal loss of one labelled image (its exp/pow/log per cell are
 * most of the loss's time): its gradient into d_head, its two sums kept for
 * detection_loss to add in image order. */
typedef struct focal_pass {
    shift_detector *m;
    batch_targets *t;
    double scale;
    double *positive, *negative; /* (labelled) each: m->image_sums */
} focal_pass;

static void focal_task(void *context, size_t i, size_t worker)
{
    (void)worker;
    focal_pass *pass = context;
    batch_targets *t = pass->t;
    size_t cells = pass->m->cells, hc = SHIFT_HEAD_CHANNELS, k = SHIFT_CLASS_COUNT;
    const float *head = pass->m->layers[OUTPUT_LAYER].act + i * hc * cells;
    float *d_head = pass->m->layers[OUTPUT_LAYER].d_out + i * hc * cells;
    float *logits = t->logits + i * k * cells, *d_logits = t->d_logits + i * k * cells;
    memcpy(logits, head, k * cells * sizeof(float));
    memset(d_logits, 0, k * cells * sizeof(float));
    shift_focal_loss_range(d_logits, logits, t->heatmap + i * k * cells, k * cells, 2.0, 4.0, pass->scale,
                           &pass->positive[i], &pass->negative[i]);
    for (size_t j = 0; j < k * cells; j++)
        d_head[j] += d_logits[j];
}

/* L_det on the first `labelled` images of the batch; adds gradients into the
 * output layer's d_out. */
static double detection_loss(shift_detector *m, batch_targets *t, size_t labelled)
{
    size_t cells = m->cells, hc = SHIFT_HEAD_CHANNELS, k = SHIFT_CLASS_COUNT;
    const float *head = m->layers[OUTPUT_LAYER].act;
    float *d_head = m->layers[OUTPUT_LAYER].d_out;
    size_t positives = shift_focal_positives(t->heatmap, labelled * k * cells);
    focal_pass focal = {.m = m, .t = t, .scale = positives > 0 ? 1.0 / (double)positives : 1.0,
                        .positive = m->image_sums, .negative = m->image_sums + m->max_n};
    nn_team_run(m->team, labelled, focal_task, &focal);
    double positive_loss = 0.0, negative_loss = 0.0;
    for (size_t i = 0; i < labelled; i++) {
        positive_loss += focal.positive[i];
        negative_loss += focal.negative[i];
    }
    double loss = -(positive_loss + negative_loss) * focal.scale;
    size_t total = 0;
    for (size_t i = 0; i < labelled; i++)
        total += t->objects[i];
    for (size_t i = 0; i < labelled; i++) {
        if (t->objects[i] == 0)
            continue;
        /* rescale the per-image normaliser to the batch's, as RegL1Loss over the batch */
        double rescale = (2.0 * t->objects[i] + 1e-4) / (2.0 * total + 1e-4);
        const float *image_head = head + i * hc * cells;
        float *image_d = d_head + i * hc * cells;
        loss += shift_reg_l1_loss(image_d + k * cells, image_head + k * cells, cells,
                                  t->index + i * SHIFT_MAX_OBJECTS, t->size + i * SHIFT_MAX_OBJECTS * 2,
                                  t->objects[i], 0.1 * rescale);
        loss += shift_reg_l1_loss(image_d + (k + 2) * cells, image_head + (k + 2) * cells, cells,
                                  t->index + i * SHIFT_MAX_OBJECTS, t->offset + i * SHIFT_MAX_OBJECTS * 2,
                                  t->objects[i], 1.0 * rescale);
    }
    return loss;
}

/* ReLU backward in place: the gradient survives where the output was positive. */
static void mask_relu_gradient(float *gradient, const float *output, size_t count)
{
    for (size_t i = 0; i < count; i++)
        if (!(output[i] > 0))
            gradient[i] = 0;
}

/* Pixel discriminators on the stages of n images, the first n_source from the
 * source domain (label 1), the rest target (label 0).  Adds discriminator
 * gradients to disc grads and reversed gradients into the backbone stages.
 * Returns the mean BCE; *accuracy the pixel accuracy. */
typedef struct pixel_pass {
    shift_detector *m;
    size_t n, n_source;
    double lambda;
    float *targets;                   /* (n, cells) */
    double loss[DETECTOR_PARTS], correct[DETECTOR_PARTS][STAGE_COUNT];
} pixel_pass;

/* The three pixel discriminators on images [first, first + count): forward,
 * BCE against the domain label, backward into the part's own slice of
 * part_grads (discriminator tensors at their nn_params offsets) and, through the
 * GRL, into the stage layers' d_out. */
static void pixel_part(void *context, size_t part, size_t worker)
{
    (void)worker;
    pixel_pass *pass = context;
    shift_detector *m = pass->m;
    size_t first, n;
    part_range(pass->n, part, &first, &n);
    size_t cells = m->cells;
    nn_params *dp = &m->disc_params;
    float *grads = m->part_grads + part * m->part_grad_size;
    memset(grads, 0, dp->total * sizeof(float));
    float *targets = pass->targets + first * cells;
    for (size_t i = 0; i < n * cells; i++)
        targets[i] = first * cells + i < pass->n_source * cells ? 1.0f : 0.0f;
    double loss = 0.0;
    for (int s = 0; s < STAGE_COUNT; s++) {
        pixel_discriminator *p = &m->pixel[s];
        double correct = 0.0;
        layer *l = &m->layers[stage_layer[s]];
        size_t dim = l->out_c;
        const float *features = layer_output(l) + first * dim * cells; /* GRL forward: identity */
        float *h1 = p->h1 + first * DISC_HIDDEN1 * cells, *h2 = p->h2 + first * DISC_HIDDEN2 * cells;
        float *logits = p->logits + first * cells, *d_logits = p->d_logits + first * cells;
        float *d_h1 = p->d_h1 + first * DISC_HIDDEN1 * cells, *d_h2 = p->d_h2 + first * DISC_HIDDEN2 * cells;
        float *d_in = p->d_in + first * dim * cells;
        nn_conv2d_dims d1 = nn_conv2d_make(n, dim, DISC_HIDDEN1, m->out_side, m->out_side, 1, 1, 0);
        nn_conv2d_dims d2 = nn_conv2d_make(n, DISC_HIDDEN1, DISC_HIDDEN2, m->out_side, m->out_side, 1, 1, 0);
        nn_conv2d_dims d3 = nn_conv2d_make(n, DISC_HIDDEN2, 1, m->out_side, m->out_side, 1, 1, 0);
        /* 1×1 convolutions: no im2col, so no workspace */
        nn_conv2d_forward(h1, NULL, features, nn_params_value(dp, p->w1), nn_params_value(dp, p->b1), &d1);
        nn_relu_forward(h1, h1, n * DISC_HIDDEN1 * cells);
        nn_conv2d_forward(h2, NULL, h1, nn_params_value(dp, p->w2), nn_params_value(dp, p->b2), &d2);
        nn_relu_forward(h2, h2, n * DISC_HIDDEN2 * cells);
        nn_conv2d_forward(logits, NULL, h2, nn_params_value(dp, p->w3), nn_params_value(dp, p->b3), &d3);
        memset(d_logits, 0, n * cells * sizeof(float));
        loss += nn_bce_with_logits_loss(d_logits, logits, targets, NULL, n * cells,
                                        (double)(pass->n * cells) * STAGE_COUNT);
        for (size_t i = 0; i < n * cells; i++)
            correct += (logits[i] > 0) == (targets[i] > 0.5f);
        pass->correct[part][s] = correct;
        memset(d_h2, 0, n * DISC_HIDDEN2 * cells * sizeof(float));
        memset(d_h1, 0, n * DISC_HIDDEN1 * cells * sizeof(float));
        memset(d_in, 0, n * dim * cells * sizeof(float));
#define PART_GRAD(handle) (grads + dp->tensors[handle].offset)
        nn_conv2d_backward(d_h2, PART_GRAD(p->w3), PART_GRAD(p->b3), NULL, d_logits, h2, nn_params_value(dp, p->w3),
                           &d3);
        mask_relu_gradient(d_h2, h2, n * DISC_HIDDEN2 * cells);
        nn_conv2d_backward(d_h1, PART_GRAD(p->w2), PART_GRAD(p->b2), NULL, d_h2, h1, nn_params_value(dp, p->w2), &d2);
        mask_relu_gradient(d_h1, h1, n * DISC_HIDDEN1 * cells);
        nn_conv2d_backward(d_in, PART_GRAD(p->w1), PART_GRAD(p->b1), NULL, d_h1, features, nn_params_value(dp, p->w1),
                           &d1);
#undef PART_GRAD
        shift_grl_backward(l->d_out + first * dim * cells, d_in, pass->lambda, n * dim * cells);
    }
    pass->loss[part] = loss;
}

/* accuracy: all stages together; stage_accuracy (STAGE_COUNT): each stage's. */
static double pixel_adversarial(shift_detector *m, size_t n, size_t n_source, double lambda, float *targets,
                                double *accuracy, double *stage_accuracy)
{
    pixel_pass pass = {.m = m, .n = n, .n_source = n_source, .lambda = lambda, .targets = targets};
    nn_team_run(m->team, part_count(n), pixel_part, &pass);
    /* Parts in order: the same sums whatever ran them. */
    double loss = 0.0, correct = 0.0, stage_correct[STAGE_COUNT] = {0};
    nn_params *dp = &m->disc_params;
    for (size_t part = 0; part < part_count(n); part++) {
        loss += pass.loss[part];
        for (int s = 0; s < STAGE_COUNT; s++) {
            correct += pass.correct[part][s];
            stage_correct[s] += pass.correct[part][s];
        }
        const float *grads = m->part_grads + part * m->part_grad_size;
        for (int s = 0; s < STAGE_COUNT; s++) {
            const pixel_discriminator *p = &m->pixel[s];
            size_t handles[6] = {p->w1, p->b1, p->w2, p->b2, p->w3, p->b3};
            for (int h = 0; h < 6; h++) {
                float *target = nn_params_grad(dp, handles[h]);
                const float *source = grads + dp->tensors[handles[h]].offset;
                for (size_t i = 0; i < nn_params_count(dp, handles[h]); i++)
                    target[i] += source[i];
            }
        }
    }
    *accuracy = correct / (double)(STAGE_COUNT * n * m->cells);
    for (int s = 0; s < STAGE_COUNT; s++)
        stage_accuracy[s] = stage_correct[s] / (double)(n * m->cells);
    return loss;
}

/* Linear prototype discriminator on one domain's batch prototypes z (1, C·dim)
 * behind a GRL: adds discriminator grads, and reversed gradient into dz.  The
 * loss is scaled by `weight` (0.5 · 0.1 in PSN's total). */
static double prototype_adversarial(shift_detector *m, const float *z, float *dz, float label, double weight,
                                    double lambda)
{
    nn_params *dp = &m->disc_params;
    size_t in = SHIFT_CLASS_COUNT * (size_t)m->layers[NECK_LAYER].out_c;
    float h1[PROTO_HIDDEN1], h2[PROTO_HIDDEN2], logits[SHIFT_CLASS_COUNT], targets[SHIFT_CLASS_COUNT];
    float d_h1[PROTO_HIDDEN1] = {0}, d_h2[PROTO_HIDDEN2] = {0}, d_logits[SHIFT_CLASS_COUNT] = {0};
    nn_linear_forward(h1, z, nn_params_value(dp, m->proto_l1_w), nn_params_value(dp, m->proto_l1_b), 1, in,
                      PROTO_HIDDEN1);
    nn_linear_forward(h2, h1, nn_params_value(dp, m->proto_l2_w), nn_params_value(dp, m->proto_l2_b), 1,
                      PROTO_HIDDEN1, PROTO_HIDDEN2);
    nn_linear_forward(logits, h2, nn_params_value(dp, m->proto_l3_w), nn_params_value(dp, m->proto_l3_b), 1,
                      PROTO_HIDDEN2, SHIFT_CLASS_COUNT);
    for (int c = 0; c < SHIFT_CLASS_COUNT; c++)
        targets[c] = label;
    double loss = nn_bce_with_logits_loss(d_logits, logits, targets, NULL, SHIFT_CLASS_COUNT,
                                          SHIFT_CLASS_COUNT / weight);
    nn_linear_backward(d_h2, nn_params_grad(dp, m->proto_l3_w), nn_params_grad(dp, m->proto_l3_b), d_logits, h2,
                       nn_params_value(dp, m->proto_l3_w), 1, PROTO_HIDDEN2, SHIFT_CLASS_COUNT);
    nn_linear_backward(d_h1, nn_params_grad(dp, m->proto_l2_w), nn_params_grad(dp, m->proto_l2_b), d_h2, h1,
                       nn_params_value(dp, m->proto_l2_w), 1, PROTO_HIDDEN1, PROTO_HIDDEN2);
    float *d_in = calloc(in, sizeof *d_in);
    if (d_in == NULL)
        return loss; /* out of memory here only skips this term's gradient */
    nn_linear_backward(d_in, nn_params_grad(dp, m->proto_l1_w), nn_params_grad(dp, m->proto_l1_b), d_h1, z,
                       nn_params_value(dp, m->proto_l1_w), 1, in, PROTO_HIDDEN1);
    shift_grl_backward(dz, d_in, lambda, in);
    free(d_in);
    return loss;
}

/* Buffers of PSN's category-dependent terms for a batch of 2b images. */
typedef struct prototype_work {
    float *probabilities;        /* (2b, classes, cells) class probabilities, detached */
    float *z, *dz;               /* (2, classes, dim) batch prototypes, source then target */
    float *sums;                 /* (2, classes) probability mass per class */
    float *blended, *d_blended;  /* (2, classes, dim) blended running prototypes */
    float *alpha;                /* (2, classes) blend weights, detached */
} prototype_work;

/* PSN's category-dependent terms on a batch of 2b images, source first: batch
 * prototypes of the neck weighted by the detached class probabilities,
 * L_p of the blended running prototypes (local) and the prototype
 * discriminator behind the GRL (global2).  Adds dL/dneck into the neck's
 * d_out and the discriminator's gradients; *l_p = L_p, *l_g2 = 0.1 L_g2.
 * frozen reuses the probabilities and blend weights already in work: both
 * are detached, so a finite-difference check must hold them fixed.  The
 * caller copies work->blended into the running prototypes after a step. */
static void prototype_terms(shift_detector *m, size_t b, prototype_work *w, int local, int global2, double margin,
                            double lambda, int frozen, double *l_p, double *l_g2)
{
    size_t k = SHIFT_CLASS_COUNT, cells = m->cells, dim = m->layers[NECK_LAYER].out_c, n = 2 * b;
    if (!frozen) {
        const float *head = m->layers[OUTPUT_LAYER].act;
        for (size_t i = 0; i < n; i++)
            for (size_t j = 0; j < k * cells; j++)
                w->probabilities[i * k * cells + j] = 1.0f / (1.0f + expf(-head[i * SHIFT_HEAD_CHANNELS * cells + j]));
    }
    const float *neck = layer_output(&m->layers[NECK_LAYER]);
    float *d_neck = m->layers[NECK_LAYER].d_out;
    shift_prototypes_batch(w->z, w->sums, neck, w->probabilities, b, dim, k, cells);
    shift_prototypes_batch(w->z + k * dim, w->sums + k, neck + b * dim * cells, w->probabilities + b * k * cells, b,
                           dim, k, cells);
    memset(w->dz, 0, 2 * k * dim * sizeof(float));
    *l_p = 0, *l_g2 = 0;
    if (local) {
        if (frozen) {
            const float *running[2] = {m->running_source, m->running_target};
            for (size_t c = 0; c < 2 * k; c++)
                for (size_t j = 0; j < dim; j++)
                    w->blended[c * dim + j] = (float)((1.0 - w->alpha[c]) * running[c / k][(c % k) * dim + j] +
                                                      (double)w->alpha[c] * w->z[c * dim + j]);
        } else {
            shift_prototypes_blend(w->blended, w->alpha, m->running_source, w->z, k, dim);
            shift_prototypes_blend(w->blended + k * dim, w->alpha + k, m->running_target, w->z + k * dim, k, dim);
        }
        memset(w->d_blended, 0, 2 * k * dim * sizeof(float));
        *l_p = shift_prototype_loss(w->d_blended, w->d_blended + k * dim, w->blended, w->blended + k * dim, k, dim,
                                    margin);
        for (size_t c = 0; c < 2 * k; c++)
            for (size_t j = 0; j < dim; j++)
                w->dz[c * dim + j] += w->alpha[c] * w->d_blended[c * dim + j];
    }
    if (global2) /* 0.1 L_g2 = 0.05 BCE(source, 1) + 0.05 BCE(target, 0) */
        *l_g2 = prototype_adversarial(m, w->z, w->dz, 1.0f, 0.05, lambda) +
                prototype_adversarial(m, w->z + k * dim, w->dz + k * dim, 0.0f, 0.05, lambda);
    shift_prototypes_batch_backward(d_neck, w->dz, w->sums, w->probabilities, b, dim, k, cells);
    shift_prototypes_batch_backward(d_neck + b * dim * cells, w->dz + k * dim, w->sums + k,
                                    w->probabilities + b * k * cells, b, dim, k, cells);
}

/* ---- Evaluation ------------------------------------------------------------------- */

int shift_detector_adapt_batchnorm(shift_detector *m, const shift_dataset *images, bench_error *error)
{
    if ((size_t)images->size != m->image_size)
        return BENCH_FAIL(error, BENCH_BAD_INPUT, "images are %dx%d but the detector was built for %zu", images->size,
                          images->size, m->image_size);
    size_t batch_index = 0;
    for (size_t first = 0; first < images->count; first += m->max_n, batch_index++) {
        size_t n = images->count - first < m->max_n ? images->count - first : m->max_n;
        for (size_t j = 0; j < n; j++)
            load_image(m, j, images, first + j, 0);
        forward_with_momentum(m, n, 1, 1.0f / (float)(batch_index + 1));
    }
    return BENCH_OK;
}

int shift_detector_use_target_statistics(shift_detector *m, bench_error *error)
{
    if (!m->domain_bn)
        return BENCH_FAIL(error, BENCH_BAD_INPUT, "the detector has no target batch-norm statistics (psn_domain_bn has)");
    for (int i = 0; i < LAYER_COUNT; i++) {
        layer *l = &m->layers[i];
        if (!l->batchnorm)
            continue;
        memcpy(nn_params_value(&m->params, l->running_mean), nn_params_value(&m->params, l->running_mean_target),
               l->out_c * sizeof(float));
        memcpy(nn_params_value(&m->params, l->running_var), nn_params_value(&m->params, l->running_var_target),
               l->out_c * sizeof(float));
    }
    return BENCH_OK;
}

float *shift_detector_copy_state(const shift_detector *m)
{
    float *state = malloc(m->params.total * sizeof *state);
    if (state != NULL)
        memcpy(state, m->params.values, m->params.total * sizeof *state);
    return state;
}

size_t shift_detector_state_size(const shift_detector *m)
{
    return m->params.total;
}

void shift_detector_set_state(shift_detector *m, const float *state)
{
    memcpy(m->params.values, state, m->params.total * sizeof *state);
}

/* Detections (at most top_k per image, image = its index in data) of images
 * [first, first + count) into out; returns how many. */
static size_t detect_range(shift_detector *m, const shift_dataset *data, size_t first_image, size_t count,
                           size_t top_k, shift_detection *out)
{
    size_t detection_count = 0, hc = SHIFT_HEAD_CHANNELS, cells = m->cells, end = first_image + count;
    for (size_t first = first_image; first < end; first += m->max_n) {
        size_t n = end - first < m->max_n ? end - first : m->max_n;
        for (size_t j = 0; j < n; j++)
            load_image(m, j, data, first + j, 0);
        forward(m, n, 0);
        const float *head = m->layers[OUTPUT_LAYER].act;
        for (size_t j = 0; j < n; j++) {
            const float *h = head + j * hc * cells;
            detection_count += shift_decode(out + detection_count, top_k, h, h + SHIFT_CLASS_COUNT * cells,
                                            h + (SHIFT_CLASS_COUNT + 2) * cells, (int)m->out_side, first + j,
                                            m->decode_scratch, m->decode_argmax);
        }
    }
    return detection_count;
}

int shift_detector_detect(shift_detector *m, const shift_dataset *data, size_t first, size_t count, size_t top_k,
                          shift_detection **out, size_t *found, bench_error *error)
{
    *out = NULL;
    *found = 0;
    if ((size_t)data->size != m->image_size)
        return BENCH_FAIL(error, BENCH_BAD_INPUT, "images are %dx%d but the detector was built for %zu", data->size,
                          data->size, m->image_size);
    if (first > data->count || count > data->count - first)
        return BENCH_FAIL(error, BENCH_BAD_INPUT, "images %zu..%zu of a set of %zu", first, first + count,
                          data->count);
    shift_detection *detections = malloc((count * top_k + 1) * sizeof *detections);
    if (detections == NULL)
        return BENCH_FAIL(error, BENCH_NO_MEMORY, "detections of %zu images", count);
    *found = detect_range(m, data, first, count, top_k, detections);
    *out = detections;
    return BENCH_OK;
}

int shift_detector_evaluate(shift_detector *m, const shift_dataset *data, shift_ap_mode mode, double *ap_per_class,
                            double *mean_ap, double *images_per_second, bench_error *error)
{
    if ((size_t)data->size != m->image_size)
        return BENCH_FAIL(error, BENCH_BAD_INPUT, "images are %dx%d but the detector was built for %zu", data->size,
                          data->size, m->image_size);
    size_t top_k = 100;
    shift_detection *detections = malloc(data->count * top_k * sizeof *detections);
    size_t truth_count = 0;
    for (size_t i = 0; i < data->count; i++)
        truth_count += data->labels[i].object_count;
    shift_ground_truth *truths = malloc((truth_count + 1) * sizeof *truths);
    if (detections == NULL || truths == NULL) {
        free(detections), free(truths);
        return BENCH_FAIL(error, BENCH_NO_MEMORY, "evaluation of %zu images", data->count);
    }
    size_t t = 0;
    for (size_t i = 0; i < data->count; i++)
        for (size_t k = 0; k < data->labels[i].object_count; k++)
            truths[t++] = (shift_ground_truth){.image = i,
                                               .class_index = data->labels[i].objects[k].class_index,
                                               .difficult = data->labels[i].objects[k].difficult,
                                               .box = data->labels[i].objects[k].box};
    struct timespec start, stop;
    clock_gettime(CLOCK_MONOTONIC, &start);
    size_t detection_count = detect_range(m, data, 0, data->count, top_k, detections);
    clock_gettime(CLOCK_MONOTONIC, &stop);
    double seconds = (double)(stop.tv_sec - start.tv_sec) + 1e-9 * (double)(stop.tv_nsec - start.tv_nsec);
    if (images_per_second != NULL)
        *images_per_second = seconds > 0 ? (double)data->count / seconds : 0;
    int code = shift_evaluate(detections, detection_count, truths, truth_count, data->count, 0.5, mode,
                              ap_per_class, mean_ap, error);
    free(detections), free(truths);
    return code;
}

/* ---- Training ----------------------------------------------------------------------- */

static int full_psn(shift_method method)
{
    return method == SHIFT_METHOD_PSN || method == SHIFT_METHOD_PSN_GRL_SCHEDULE ||
           method == SHIFT_METHOD_PSN_DOMAIN_BN;
}
static int uses_pixel(shift_method method)
{
    return full_psn(method) || method == SHIFT_METHOD_PSN_GLOBAL_ONLY;
}
static int uses_prototypes(shift_method method)
{
    return full_psn(method) || method == SHIFT_METHOD_PSN_LOCAL_ONLY;
}
static int uses_prototype_discriminator(shift_method method)
{
    return full_psn(method) || method == SHIFT_METHOD_PSN_GLOBAL_ONLY;
}

static void record(const shift_train_config *config, size_t step, const char *split, const char *metric,
                   double value)
{
    if (config->record != NULL)
        config->record(config->record_data, step, split, metric, value);
}

/* The GRL coefficient at a step: grl_lambda throughout, or on the
 * domain-adversarial schedule 2/(1 + exp(-10 p)) - 1 of training progress p,
 * which is exactly 0 at the first step. */
static double grl_coefficient(shift_method method, const shift_train_config *config, size_t step)
{
    if (method != SHIFT_METHOD_PSN_GRL_SCHEDULE)
        return config->grl_lambda;
    double progress = (double)step / (double)config->steps;
    return config->grl_lambda * (2.0 / (1.0 + exp(-10.0 * progress)) - 1.0);
}
static int is_adaptive(shift_method method)
{
    return uses_pixel(method) || uses_prototypes(method);
}

int shift_train(shift_detector **out, shift_method method, const shift_dataset *labelled,
                const shift_dataset *validation, const shift_dataset *unlabelled, const shift_train_config *config,
                uint64_t seed, shift_train_report *report, bench_error *error)
{
    *out = NULL;
    memset(report, 0, sizeof *report);
    report->final_disc_accuracy = NAN;
    if (config->batch == 0 || config->batch > 64 || config->steps == 0)
        return BENCH_FAIL(error, BENCH_BAD_INPUT, "batch must be 1..64 and steps >= 1");
    if (method == SHIFT_METHOD_SOURCE_ONLY_TARGET_BN || method == SHIFT_METHOD_PSN_TARGET_BN)
        return BENCH_FAIL(error, BENCH_BAD_INPUT,
                          "%s is not trained as such: train %s, then shift_detector_adapt_batchnorm on the target",
                          shift_method_name(method), method == SHIFT_METHOD_PSN_TARGET_BN ? "psn" : "source_only");
    if (is_adaptive(method) && unlabelled == NULL)
        return BENCH_FAIL(error, BENCH_BAD_INPUT, "method %s needs unlabelled target images", shift_method_name(method));
    if (is_adaptive(method) && unlabelled->size != labelled->size)
        return BENCH_FAIL(error, BENCH_BAD_INPUT, "source images are %d px but target images %d px", labelled->size,
                          unlabelled->size);
    nn_set_threads(config->threads);
    bench_rng init_rng, data_rng;
    bench_rng_derive(&init_rng, seed, "shift/detector/init");
    bench_rng_derive(&data_rng, seed, "shift/detector/batches");
    size_t b = config->batch, n_max = is_adaptive(method) ? 2 * b : b;
    shift_detector *m;
    int domain_bn = method == SHIFT_METHOD_PSN_DOMAIN_BN;
    int code = create_model(&m, (size_t)labelled->size, config->width, n_max < 16 ? 16 : n_max,
                            is_adaptive(method), domain_bn, &init_rng, error);
    if (code != BENCH_OK)
        return code;
    /* The model's team holds the thread budget now; every GEMM of training runs
     * on one OpenBLAS thread, whose own workers would spin on the team's cores. */
    nn_set_threads(1);
    size_t cells = m->cells, k = SHIFT_CLASS_COUNT, dim = m->layers[NECK_LAYER].out_c;
    batch_targets *t = calloc(1, sizeof *t);
    float *best = malloc(m->params.total * sizeof(float));
    float *pixel_targets = alloc_floats(n_max * cells);
    float *probabilities = alloc_floats(n_max * k * cells);
    float *z = alloc_floats(2 * k * dim), *dz = alloc_floats(2 * k * dim), *sums = alloc_floats(2 * k);
    float *blended = alloc_floats(2 * k * dim), *d_blended = alloc_floats(2 * k * dim), *alpha = alloc_floats(2 * k);
    if (t != NULL) {
        t->heatmap = alloc_floats(b * k * cells);
        t->logits = alloc_floats(b * k * cells);
        t->d_logits = alloc_floats(b * k * cells);
    }
    if (!t || !t->heatmap || !t->logits || !t->d_logits || !best || !pixel_targets || !probabilities || !z || !dz ||
        !sums || !blended || !d_blended || !alpha) {
        code = BENCH_FAIL(error, BENCH_NO_MEMORY, "training buffers");
        goto done;
    }
    prototype_work work = {probabilities, z, dz, sums, blended, d_blended, alpha};
    nn_optimizer optimizer = nn_optimizer_adam((float)config->learning_rate, (float)config->weight_decay);
    nn_optimizer disc_optimizer = nn_optimizer_adam((float)config->disc_learning_rate, (float)config->disc_weight_decay);
    report->best_val_map = -1;
    memcpy(best, m->params.values, m->params.total * sizeof(float));
    struct timespec start, stop;
    clock_gettime(CLOCK_MONOTONIC, &start);
    size_t images_seen = 0;
    double val_map = NAN;
    for (size_t step = 0; step < config->steps; step++) {
        int warm = step >= config->warmup;
        size_t n = is_adaptive(method) ? 2 * b : b;
        for (size_t i = 0; i < b; i++) {
            size_t index = (size_t)bench_rng_below(&data_rng, labelled->count);
            int flip = config->flip && bench_rng_below(&data_rng, 2);
            load_image(m, i, labelled, index, flip);
            shift_targets one = {.heatmap = t->heatmap + i * k * cells,
                                 .index = t->index + i * SHIFT_MAX_OBJECTS,
                                 .size = t->size + i * SHIFT_MAX_OBJECTS * 2,
                                 .offset = t->offset + i * SHIFT_MAX_OBJECTS * 2};
            shift_build_targets(&one, labelled->labels[index].objects, labelled->labels[index].object_count,
                                SHIFT_MAX_OBJECTS, labelled->size, flip);
            t->objects[i] = one.object_count;
        }
        if (is_adaptive(method))
            for (size_t i = 0; i < b; i++) {
                size_t index = (size_t)bench_rng_below(&data_rng, unlabelled->count);
                int flip = config->flip && bench_rng_below(&data_rng, 2);
                load_image(m, b + i, unlabelled, index, flip);
            }
        images_seen += n;
        if (config->lr_decay_step > 0) {
            int decayed = step >= config->lr_decay_step;
            optimizer.learning_rate = (float)(config->learning_rate * (decayed ? config->lr_decay_gamma : 1.0));
            record(config, step + 1, "train", "learning_rate", optimizer.learning_rate);
        }
        m->split_bn = domain_bn; /* this step's batch is b source images, then b target images */
        forward(m, n, 1);
        nn_params_zero_grad(&m->params);
        if (m->has_discriminators)
            nn_params_zero_grad(&m->disc_params);
        zero_output_gradients(m, n);
        double det_loss = detection_loss(m, t, b), lambda = grl_coefficient(method, config, step);
        record(config, step + 1, "train", "loss_detection", det_loss);
        if (uses_pixel(method)) {
            double accuracy, stage_accuracy[STAGE_COUNT];
            pixel_adversarial(m, n, b, lambda, pixel_targets, &accuracy, stage_accuracy);
            report->final_disc_accuracy = accuracy;
            for (int s = 0; s < STAGE_COUNT; s++) {
                char metric[32];
                snprintf(metric, sizeof metric, "disc_accuracy_stage%d", s + 1);
                record(config, step + 1, "train", metric, stage_accuracy[s]);
            }
        }
        if (is_adaptive(method))
            record(config, step + 1, "train", "grl_lambda", lambda);
        int local = uses_prototypes(method) && warm, global2 = uses_prototype_discriminator(method) && warm;
        if (local || global2) {
            double l_p, l_g2;
            prototype_terms(m, b, &work, local, global2, config->prototype_margin, lambda, 0, &l_p, &l_g2);
            if (local)
                record(config, step + 1, "train", "loss_prototype", l_p);
            if (global2)
                record(config, step + 1, "train", "loss_prototype_disc", l_g2);
            if (local) { /* running prototypes carry no gradient into the next step */
                memcpy(m->running_source, work.blended, k * dim * sizeof(float));
                memcpy(m->running_target, work.blended + k * dim, k * dim * sizeof(float));
            }
        }
        backward(m, n, 1);
        m->split_bn = 0; /* validation and inference normalise one domain at a time */
        nn_clip_grad_norm(&m->params, 10.0);
        nn_optimizer_step(&optimizer, &m->params);
        if (m->has_discriminators)
            nn_optimizer_step(&disc_optimizer, &m->disc_params);
        report->final_det_loss = det_loss;
        if ((step + 1) % config->eval_every == 0 || step + 1 == config->steps) {
            double ap[SHIFT_CLASS_COUNT];
            if ((code = shift_detector_evaluate(m, validation, SHIFT_AP_ALL_POINT, ap, &val_map, NULL, error)) !=
                BENCH_OK)
                goto done;
            record(config, step + 1, "val", "map", val_map);
            if (!isnan(val_map) && val_map > report->best_val_map) {
                report->best_val_map = val_map;
                report->best_step = step + 1;
                memcpy(best, m->params.values, m->params.total * sizeof(float));
            }
        }
        if (config->progress != NULL)
            config->progress(config->progress_data, step + 1, config->steps, det_loss, report->final_disc_accuracy,
                             val_map);
    }
    clock_gettime(CLOCK_MONOTONIC, &stop);
    report->train_seconds = (double)(stop.tv_sec - start.tv_sec) + 1e-9 * (double)(stop.tv_nsec - start.tv_nsec);
    report->train_images_per_second = report->train_seconds > 0 ? images_seen / report->train_seconds : 0;
    memcpy(m->params.values, best, m->params.total * sizeof(float));
done:
    nn_set_threads(config->threads);
    if (t != NULL)
        free(t->heatmap), free(t->logits), free(t->d_logits);
    free(t), free(best), free(pixel_targets), free(probabilities), free(z), free(dz), free(sums), free(blended);
    free(d_blended), free(alpha);
    if (code != BENCH_OK) {
        shift_detector_free(m);
        return code;
    }
    *out = m;
    return BENCH_OK;
}

/* ---- Gradient check (test support) -------------------------------------------------- */

typedef struct check_context {
    shift_detector *m;
    batch_targets *t;
    size_t n, b;
    unsigned terms;              /* SHIFT_CHECK_* */
    float *pixel_targets;
    prototype_work *work;        /* probabilities and blend weights frozen at the checked point */
    double lambda;
} check_context;

/* The loss terms at the model's current values (evaluation-mode BN); the
 * gradients they add are discarded by the callers except in the analytic pass. */
static void check_losses(check_context *c, int frozen, double *det, double *g1, double *l_p, double *g2)
{
    forward(c->m, c->n, 0);
    zero_output_gradients(c->m, c->n);
    *det = c->terms & SHIFT_CHECK_DETECTION ? detection_loss(c->m, c->t, c->b) : 0;
    *g1 = *l_p = *g2 = 0;
    if (c->terms & SHIFT_CHECK_PIXEL) {
        double accuracy;
        double stage_accuracy[STAGE_COUNT];
        *g1 = pixel_adversarial(c->m, c->n, c->b, c->lambda, c->pixel_targets, &accuracy, stage_accuracy);
    }
    if (c->terms & SHIFT_CHECK_PROTOTYPES)
        prototype_terms(c->m, c->b, c->work, 1, 1, 1.0, c->lambda, frozen, l_p, g2);
}

/* What the backbone and heads minimise: the GRL reverses the discriminator terms. */
static double check_detector_loss(void *context)
{
    check_context *c = context;
    double det, g1, l_p, g2;
    check_losses(c, 1, &det, &g1, &l_p, &g2);
    return det - c->lambda * g1 + l_p - c->lambda * g2;
}

/* What the discriminators minimise: L_g1 + 0.1 L_g2. */
static double check_discriminator_loss(void *context)
{
    check_context *c = context;
    double det, g1, l_p, g2;
    check_losses(c, 1, &det, &g1, &l_p, &g2);
    return g1 + g2;
}

size_t shift_detector_check_gradients(const shift_dataset *data, unsigned terms, uint64_t seed, double atol,
                                      double rtol, char *report, size_t report_size)
{
    bench_rng rng;
    bench_rng_derive(&rng, seed, "shift/detector/check");
    int adversarial = (terms & (SHIFT_CHECK_PIXEL | SHIFT_CHECK_PROTOTYPES)) != 0;
    size_t b = data->count < 2 ? data->count : 2, n = adversarial ? 2 * b : b;
    if (terms == 0 || b == 0 || (adversarial && data->count < 2 * b)) {
        if (terms == 0)
            snprintf(report, report_size, "no loss terms selected");
        else
            snprintf(report, report_size, "need at least %zu images", 2 * b);
        return (size_t)-1;
    }
    shift_detector *m;
    if (create_model(&m, (size_t)data->size, 2, n, adversarial, 0, &rng, NULL) != BENCH_OK) {
        snprintf(report, report_size, "cannot create the model");
        return (size_t)-1;
    }
    /* Non-trivial batch-norm statistics so evaluation-mode BN is not the identity. */
    for (int i = 0; i < LAYER_COUNT; i++)
        if (m->layers[i].batchnorm) {
            nn_init_uniform(nn_params_value(&m->params, m->layers[i].running_mean), m->layers[i].out_c, 0.2f, &rng);
            /* gamma away from 0 and a random beta: a channel squeezed near 0 would sit
             * on its ReLU kink everywhere and no finite difference could check it */
            nn_init_uniform(nn_params_value(&m->params, m->layers[i].beta), m->layers[i].out_c, 0.5f, &rng);
            float *gamma = nn_params_value(&m->params, m->layers[i].gamma);
            float *var = nn_params_value(&m->params, m->layers[i].running_var);
            for (size_t k = 0; k < m->layers[i].out_c; k++) {
                gamma[k] = 0.5f + bench_rng_uniform_float(&rng);
                var[k] = 0.5f + bench_rng_uniform_float(&rng);
            }
        }
    size_t k = SHIFT_CLASS_COUNT, cells = m->cells, dim = m->layers[NECK_LAYER].out_c;
    /* Running prototypes as after some steps (not zero), so the blend weights
     * (cos + 1)/2 differ per class and the blend's scaling is exercised. */
    for (size_t i = 0; i < k * dim; i++) {
        m->running_source[i] = 1.5f * bench_rng_uniform_float(&rng);
        m->running_target[i] = 1.5f * bench_rng_uniform_float(&rng);
    }
    batch_targets *t = calloc(1, sizeof *t);
    float *pixel_targets = alloc_floats(n * cells);
    float *analytic = NULL;
    prototype_work work = {alloc_floats(n * k * cells), alloc_floats(2 * k * dim), alloc_floats(2 * k * dim),
                           alloc_floats(2 * k),         alloc_floats(2 * k * dim), alloc_floats(2 * k * dim),
                           alloc_floats(2 * k)};
    size_t failures = 0;
    if (t == NULL || pixel_targets == NULL || !work.probabilities || !work.z || !work.dz || !work.sums ||
        !work.blended || !work.d_blended || !work.alpha) {
        failures = (size_t)-1;
        goto done;
    }
    t->heatmap = alloc_floats(b * k * cells);
    t->logits = alloc_floats(b * k * cells);
    t->d_logits = alloc_floats(b * k * cells);
    analytic = malloc((m->params.total + (adversarial ? m->disc_params.total : 0)) * sizeof(float));
    if (!t->heatmap || !t->logits || !t->d_logits || !analytic) {
        failures = (size_t)-1;
        goto done;
    }
    for (size_t i = 0; i < n; i++)
        load_image(m, i, data, i, 0);
    for (size_t i = 0; i < b; i++) {
        shift_targets one = {.heatmap = t->heatmap + i * k * cells,
                             .index = t->index + i * SHIFT_MAX_OBJECTS,
                             .size = t->size + i * SHIFT_MAX_OBJECTS * 2,
                             .offset = t->offset + i * SHIFT_MAX_OBJECTS * 2};
        shift_build_targets(&one, data->labels[i].objects, data->labels[i].object_count, SHIFT_MAX_OBJECTS,
                            data->size, 0);
        t->objects[i] = one.object_count;
    }
    check_context c = {.m = m, .t = t, .n = n, .b = b, .terms = terms, .pixel_targets = pixel_targets,
                       .work = &work, .lambda = 1.0};
    /* Move size/offset targets away from the L1 kink at the current prediction,
     * so that a finite-difference step never crosses it. */
    forward(m, n, 0);
    for (size_t i = 0; i < b; i++) {
        const float *head = m->layers[OUTPUT_LAYER].act + i * SHIFT_HEAD_CHANNELS * cells;
        for (size_t o = 0; o < t->objects[i]; o++)
            for (size_t ch = 0; ch < 2; ch++) {
                float *targets[2] = {&t->size[(i * SHIFT_MAX_OBJECTS + o) * 2 + ch],
                                     &t->offset[(i * SHIFT_MAX_OBJECTS + o) * 2 + ch]};
                const float predicted[2] = {head[(k + ch) * cells + (size_t)t->index[i * SHIFT_MAX_OBJECTS + o]],
                                            head[(k + 2 + ch) * cells + (size_t)t->index[i * SHIFT_MAX_OBJECTS + o]]};
                for (int head_kind = 0; head_kind < 2; head_kind++)
                    if (fabsf(*targets[head_kind] - predicted[head_kind]) < 0.2f)
                        *targets[head_kind] = predicted[head_kind] + 0.3f;
            }
    }
    /* Analytic gradients: one forward, the loss terms as training computes them
     * (probabilities and blend weights from this point), one backward. */
    nn_params_zero_grad(&m->params);
    if (adversarial)
        nn_params_zero_grad(&m->disc_params);
    double det, g1, l_p, g2;
    check_losses(&c, 0, &det, &g1, &l_p, &g2);
    backward(m, n, 0);
    memcpy(analytic, m->params.grads, m->params.total * sizeof(float));
    if (adversarial)
        memcpy(analytic + m->params.total, m->disc_params.grads, m->disc_params.total * sizeof(float));
    report[0] = '\0';
    /* Central differences at steps h and h/2: where they disagree a ReLU or
     * max-pool kink lies within h of the point and the element is skipped as
     * unverifiable (counted; too many skips is itself a failure). */
    size_t checked = 0, skipped = 0;
    double largest = 0;
    const float h = 3e-4f;
    /* scaled with atol: a check of small gradients must also see small kinks */
    const double kink_tolerance = fmin(5e-4, 0.5 * atol);
    for (int pass = 0; pass < (adversarial ? 2 : 1); pass++) {
        nn_params *params = pass == 0 ? &m->params : &m->disc_params;
        const float *grads = analytic + (pass == 0 ? 0 : m->params.total);
        nn_check_loss_fn loss = pass == 0 ? check_detector_loss : check_discriminator_loss;
        const double base = loss(&c);
        for (size_t tensor = 0; tensor < params->tensor_count; tensor++) {
            const nn_tensor_info *info = &params->tensors[tensor];
            if (!info->trainable)
                continue;
            /* A discriminator outside the selected terms has no loss to check. */
            if (pass == 1 && ((!(terms & SHIFT_CHECK_PIXEL) && strncmp(info->name, "pixel", 5) == 0) ||
                              (!(terms & SHIFT_CHECK_PROTOTYPES) && strncmp(info->name, "proto", 5) == 0)))
                continue;
            for (int sample = 0; sample < 6; sample++) {
                size_t element = (size_t)bench_rng_below(&rng, info->count);
                float *x = params->values + info->offset + element, saved = *x;
                double numeric[2], one_sided_gap = 0;
                for (int s = 0; s < 2; s++) {
                    float step = s == 0 ? h : h / 2;
                    *x = saved + step;
                    double plus = loss(&c);
                    *x = saved - step;
                    double minus = loss(&c);
                    *x = saved;
                    numeric[s] = (plus - minus) / (2.0 * step);
                    if (s == 1) /* forward minus backward difference: about |g1 - g2| at a kink */
                        one_sided_gap = fabs(plus - 2.0 * base + minus) / step;
                }
                checked++;
                /* A kink much closer than h shifts both central differences alike
                 * towards the mean of the two slopes; the one-sided differences
                 * still disagree by the jump. */
                if (fabs(numeric[0] - numeric[1]) > kink_tolerance + 2e-2 * fabs(numeric[1]) ||
                    one_sided_gap > 4 * kink_tolerance + 0.1 * fabs(numeric[1])) {
                    skipped++;
                    continue;
                }
                double a = grads[info->offset + element];
                if (fabs(a) > largest)
                    largest = fabs(a);
                if (fabs(a - numeric[1]) > atol + rtol * fabs(numeric[1])) {
                    failures++;
                    size_t used = strlen(report);
                    if (used + 1 < report_size)
                        snprintf(report + used, report_size - used, "%s%s[%zu]: analytic %.6g, numeric %.6g",
                                 used ? "; " : "", info->name, element, a, numeric[1]);
                }
            }
        }
    }
    if (skipped * 10 > checked * 3) {
        failures++;
        size_t used = strlen(report);
        snprintf(report + used, report_size - used, "%s%zu of %zu elements sat on kinks", used ? "; " : "", skipped,
                 checked);
    }
    if (failures == 0)
        snprintf(report, report_size,
                 "ok: %zu elements, %zu skipped on kinks, largest |gradient| %.3g (L_det %.4f, L_g1 %.4f, L_p %.4g, "
                 "0.1 L_g2 %.4g)",
                 checked, skipped, largest, det, g1, l_p, g2);
done:
    if (t != NULL)
        free(t->heatmap), free(t->logits), free(t->d_logits);
    free(t), free(pixel_targets), free(analytic);
    free(work.probabilities), free(work.z), free(work.dz), free(work.sums), free(work.blended), free(work.d_blended);
    free(work.alpha);
    shift_detector_free(m);
    return failures;
}

/* ---- Domain-specific batch-norm check (test support) ------------------------------ */

/* L = ½ Σ head² over n images: d(head) = head, into the output layer's d_out. */
static void squared_head_backward(shift_detector *m, size_t n)
{
    layer *o = &m->layers[OUTPUT_LAYER];
    zero_output_gradients(m, n);
    memcpy(o->d_out, o->act, n * o->out_c * o->out_size * o->out_size * sizeof(float));
    backward(m, n, 1);
}

/* Counts the elements of a and b that differ, keeping the largest difference. */
static size_t count_differences(const float *a, const float *b, size_t count, double *largest)
{
    size_t differ = 0;
    for (size_t i = 0; i < count; i++)
        if (a[i] != b[i]) {
            differ++;
            double d = fabs((double)a[i] - (double)b[i]);
            *largest = d > *largest ? d : *largest;
        }
    return differ;
}

size_t shift_detector_check_domain_bn(const shift_dataset *data, uint64_t seed, char *report, size_t report_size)
{
    if (data->count < 4) {
        snprintf(report, report_size, "need at least 4 images");
        return (size_t)-1;
    }
    shift_detector *split = NULL, *apart = NULL;
    bench_rng rng;
    bench_rng_derive(&rng, seed, "shift/detector/domain-bn");
    bench_rng copy = rng;
    if (create_model(&split, (size_t)data->size, 2, 4, 1, 1, &rng, NULL) != BENCH_OK ||
        create_model(&apart, (size_t)data->size, 2, 4, 1, 1, &copy, NULL) != BENCH_OK) {
        shift_detector_free(split), shift_detector_free(apart);
        snprintf(report, report_size, "cannot create the models");
        return (size_t)-1;
    }
    size_t differ = 0;
    double largest = 0;
    const layer *o = &split->layers[OUTPUT_LAYER];
    size_t head = 2 * o->out_c * o->out_size * o->out_size;
    /* One training step of the split model on 2 source + 2 target images. */
    for (size_t i = 0; i < 4; i++)
        load_image(split, i, data, i, 0);
    nn_params_zero_grad(&split->params);
    split->split_bn = 1;
    forward(split, 4, 1);
    squared_head_backward(split, 4);
    /* The same images as two batches of their own: the source pair with the
     * source statistics, then the target pair with the target statistics
     * swapped into place; gradients add up across the two. */
    nn_params_zero_grad(&apart->params);
    for (int h = 0; h < 2; h++) {
        for (size_t i = 0; i < 2; i++)
            load_image(apart, i, data, 2 * (size_t)h + i, 0);
        forward(apart, 2, 1);
        squared_head_backward(apart, 2);
        differ += count_differences(o->act + (size_t)h * head, apart->layers[OUTPUT_LAYER].act, head, &largest);
        for (int i = 0; i < LAYER_COUNT; i++) {
            const layer *l = &split->layers[i];
            if (!l->batchnorm)
                continue;
            for (int k = 0; k < 2; k++) {
                size_t mine = h ? (k ? l->running_var_target : l->running_mean_target)
                                : (k ? l->running_var : l->running_mean);
                size_t theirs = k ? apart->layers[i].running_var : apart->layers[i].running_mean;
                differ += count_differences(nn_params_value(&split->params, mine),
                                            nn_params_value(&apart->params, theirs), l->out_c, &largest);
                /* the target pair starts from fresh statistics, as the split model's target ones did */
                nn_init_constant(nn_params_value(&apart->params, theirs), l->out_c, k ? 1.0f : 0.0f);
            }
        }
    }
    differ += count_differences(split->params.grads, apart->params.grads, split->params.total, &largest);
    snprintf(report, report_size, "%zu of the outputs, running statistics and gradients differ (largest %.3g)",
             differ, largest);
    shift_detector_free(split), shift_detector_free(apart);
    return differ;
}
