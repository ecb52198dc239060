/* patchtst (Nie et al., "A Time Series is Worth 64 Words", ICLR 2023;
 * yuqinie98/PatchTST, supervised model), channel-independent:
 *   RevIN (mean/std per window, no affine: their default revin=1, affine=0)
 *   → patches of patch_len with stride, the end padded by repeating the last
 *     value `stride` times (padding_patch = "end")
 *   → Linear(patch_len → d_model) + learnable positional embedding U(±0.02), dropout
 *   → e_layers post-norm encoder layers: x = BN(x + dropout(MHA(x)));
 *     x = BN(x + dropout(Linear(GELU(Linear(x)))) with dropout inside the
 *     feed-forward; BatchNorm over d_model as in PatchTST (norm = "BatchNorm")
 *   → flatten (patches × d_model) → Linear → horizon (head_dropout 0) → RevIN⁻¹.
 * Deviation: plain attention scores; PatchTST's "residual attention" (adding
 * the previous layer's pre-softmax scores) is not implemented.
 * The architecture defaults are the authors' ETTh1 script (scripts/PatchTST/
 * etth1.sh): 3 layers, 4 heads, d_model 16, d_ff 128, dropout 0.3, patch 16 /
 * stride 8, batch 128, lradj type3.  Their schedule (learning rate 1e-4, 100
 * epochs, patience 100, look-back 336) takes hours on two cores, so the
 * defaults train 10 epochs at 1e-3 with patience 3: ETTh1, L = 96, H = 96
 * gives MSE 0.378 / MAE 0.396 (published for L = 96: 0.414 / 0.419).  Set
 * learning_rate = 0.0001, epochs = 100, patience = 100 for the authors' run. */
#include <math.h>
#include <stdio.h>
#include <stdlib.h>
#include <string.h>

#include "forecasters/deep_train.h"
#include "nn/attention.h"
#include "nn/layers.h"

#define PATCHTST_MAX_LAYERS 8

typedef struct encoder_layer {
    size_t in_w, in_b, out_w, out_b, ff1_w, ff1_b, ff2_w, ff2_b;     /* tensor indices */
    size_t bn1_w, bn1_b, bn1_mean, bn1_var, bn2_w, bn2_b, bn2_mean, bn2_var;
    /* Caches for the rows of the last forward (T = rows·patches tokens). */
    float *x;        /* (T, D) layer input */
    float *qkv;      /* (T, 3D) */
    float *probs;    /* (rows, heads, P, P) */
    float *context;  /* (T, D) */
    float *att;      /* (T, D) attention output before dropout */
    float *mask_att; /* (T, D) */
    float *s1;       /* (T, D) x + dropout(att) */
    float *bn1_m, *bn1_r; /* (D) */
    float *n1;       /* (T, D) BN(s1) */
    float *f1;       /* (T, F) */
    float *g1;       /* (T, F) GELU(f1) after dropout */
    float *mask_ff;  /* (T, F) */
    float *f2;       /* (T, D) */
    float *mask_f2;  /* (T, D) */
    float *s2;       /* (T, D) n1 + dropout(f2) */
    float *bn2_m, *bn2_r; /* (D) */
} encoder_layer;

typedef struct patchtst_net {
    size_t L, H, patch_len, stride, patches, D, heads, F, layers;
    float dropout;
    size_t emb_w, emb_b, pos, head_w, head_b;
    encoder_layer layer[PATCHTST_MAX_LAYERS];
    int training;
    float *norm;      /* (rows, L) */
    float *mean, *std;/* (rows) */
    float *patch;     /* (rows, P, patch_len) */
    float *emb;       /* (T, D) before dropout */
    float *mask_emb;  /* (T, D) */
    float *out;       /* (T, D) encoder output */
    float *head;      /* (rows, H) */
    float *dx, *dy, *dz, *dbig, *dbig2, *attention_ws; /* backward scratch */
} patchtst_net;

static const deep_setting patchtst_settings[] = {
    DEEP_SIZE_SETTING(patchtst_net, patch_len, "patch_len"), DEEP_SIZE_SETTING(patchtst_net, stride, "stride"),
    DEEP_SIZE_SETTING(patchtst_net, D, "d_model"),           DEEP_SIZE_SETTING(patchtst_net, heads, "n_heads"),
    DEEP_SIZE_SETTING(patchtst_net, F, "d_ff"),              DEEP_SIZE_SETTING(patchtst_net, layers, "e_layers"),
    DEEP_REAL_SETTING(patchtst_net, dropout, "dropout"),
};

static int patchtst_create(void *net_, bench_model *model, const bench_params *params, bench_error *error)
{
    (void)params;
    patchtst_net *net = net_; /* L, H and the settings above are filled by the shell */
    int status = BENCH_OK;
    if (net->D % net->heads != 0)
        return BENCH_FAIL(error, BENCH_BAD_INPUT, "d_model %zu is not a multiple of n_heads %zu", net->D, net->heads);
    if (net->layers > PATCHTST_MAX_LAYERS)
        return BENCH_FAIL(error, BENCH_BAD_INPUT, "e_layers %zu exceeds %d", net->layers, PATCHTST_MAX_LAYERS);
    net->patches = nn_patch_count(net->L, net->patch_len, net->stride, 1);
    if (net->patches == 0)
        return BENCH_FAIL(error, BENCH_BAD_INPUT, "input_length %zu is shorter than patch_len %zu", net->L,
                          net->patch_len);
    size_t D = net->D, F = net->F;
    net->emb_w = deep_param(model, "embed.weight", D, net->patch_len, &status, error);
    net->emb_b = deep_param(model, "embed.bias", D, 0, &status, error);
    net->pos = deep_param(model, "position", net->patches, D, &status, error);
    for (size_t l = 0; l < net->layers; l++) {
        encoder_layer *e = &net->layer[l];
        char name[128];
#define LAYER_PARAM(field, suffix, d0, d1)                                                                            \
    snprintf(name, sizeof name, "layer%zu." suffix, l);                                                             \
    e->field = deep_param(model, name, d0, d1, &status, error)
#define LAYER_BUFFER(field, suffix, d0)                                                                               \
    snprintf(name, sizeof name, "layer%zu." suffix, l);                                                             \
    e->field = deep_buffer(model, name, d0, &status, error)
        LAYER_PARAM(in_w, "attn.in_proj_weight", 3 * D, D);
        LAYER_PARAM(in_b, "attn.in_proj_bias", 3 * D, 0);
        LAYER_PARAM(out_w, "attn.out_proj.weight", D, D);
        LAYER_PARAM(out_b, "attn.out_proj.bias", D, 0);
        LAYER_PARAM(ff1_w, "ff1.weight", F, D);
        LAYER_PARAM(ff1_b, "ff1.bias", F, 0);
        LAYER_PARAM(ff2_w, "ff2.weight", D, F);
        LAYER_PARAM(ff2_b, "ff2.bias", D, 0);
        LAYER_PARAM(bn1_w, "norm_attn.weight", D, 0);
        LAYER_PARAM(bn1_b, "norm_attn.bias", D, 0);
        LAYER_BUFFER(bn1_mean, "norm_attn.running_mean", D);
        LAYER_BUFFER(bn1_var, "norm_attn.running_var", D);
        LAYER_PARAM(bn2_w, "norm_ffn.weight", D, 0);
        LAYER_PARAM(bn2_b, "norm_ffn.bias", D, 0);
        LAYER_BUFFER(bn2_mean, "norm_ffn.running_mean", D);
        LAYER_BUFFER(bn2_var, "norm_ffn.running_var", D);
#undef LAYER_PARAM
#undef LAYER_BUFFER
    }
    net->head_w = deep_param(model, "head.weight", net->H, net->patches * D, &status, error);
    net->head_b = deep_param(model, "head.bias", net->H, 0, &status, error);
    return status;
}

static int patchtst_reserve(void *net_, bench_model *model, size_t rows, bench_error *error)
{
    patchtst_net *net = net_;
    size_t P = net->patches, D = net->D, F = net->F, T = rows * P;
    nn_attention_dims ad = {.batch = rows, .steps = P, .model_dim = D, .heads = net->heads};
    size_t per_layer = T * D * 10 + T * 3 * D + rows * net->heads * P * P + 3 * T * F + 4 * D;
    size_t floats = rows * net->L + 2 * rows + T * net->patch_len + 3 * T * D + rows * net->H +
                    net->layers * per_layer + 3 * T * D + 2 * T * F + nn_attention_workspace(&ad) +
                    rows * P * D;
    float *p = deep_activations(model, floats);
    if (p == NULL)
        return BENCH_FAIL(error, BENCH_NO_MEMORY, "no memory for %zu windows", rows);
#define TAKE(ptr, count) (ptr) = p, p += (count)
    TAKE(net->norm, rows * net->L);
    TAKE(net->mean, rows);
    TAKE(net->std, rows);
    TAKE(net->patch, T * net->patch_len);
    TAKE(net->emb, T * D);
    TAKE(net->mask_emb, T * D);
    TAKE(net->out, T * D);
    TAKE(net->head, rows * net->H);
    for (size_t l = 0; l < net->layers; l++) {
        encoder_layer *e = &net->layer[l];
        TAKE(e->x, T * D);
        TAKE(e->qkv, T * 3 * D);
        TAKE(e->probs, rows * net->heads * P * P);
        TAKE(e->context, T * D);
        TAKE(e->att, T * D);
        TAKE(e->mask_att, T * D);
        TAKE(e->s1, T * D);
        TAKE(e->n1, T * D);
        TAKE(e->f1, T * F);
        TAKE(e->g1, T * F);
        TAKE(e->mask_ff, T * F);
        TAKE(e->f2, T * D);
        TAKE(e->mask_f2, T * D);
        TAKE(e->s2, T * D);
        TAKE(e->bn1_m, D);
        TAKE(e->bn1_r, D);
        TAKE(e->bn2_m, D);
        TAKE(e->bn2_r, D);
    }
    TAKE(net->dx, T * D);
    TAKE(net->dy, T * D);
    TAKE(net->dz, T * D + rows * P * D);
    TAKE(net->dbig, T * F);
    TAKE(net->dbig2, T * F);
    TAKE(net->attention_ws, nn_attention_workspace(&ad));
#undef TAKE
    return BENCH_OK;
}

static void patchtst_init(void *net_, bench_model *model, bench_rng *rng)
{
    patchtst_net *net = net_;
    nn_params *p = &model->params;
    size_t D = net->D, F = net->F;
#define LINEAR_INIT(w, b, out, in)                                                                                    \
    nn_init_uniform(nn_params_value(p, w), (out) * (in), 1.0f / sqrtf((float)(in)), rng);                           \
    nn_init_uniform(nn_params_value(p, b), (out), 1.0f / sqrtf((float)(in)), rng)
    LINEAR_INIT(net->emb_w, net->emb_b, D, net->patch_len);
    nn_init_uniform(nn_params_value(p, net->pos), net->patches * D, 0.02f, rng);
    for (size_t l = 0; l < net->layers; l++) {
        encoder_layer *e = &net->layer[l];
        LINEAR_INIT(e->in_w, e->in_b, 3 * D, D);
        LINEAR_INIT(e->out_w, e->out_b, D, D);
        LINEAR_INIT(e->ff1_w, e->ff1_b, F, D);
        LINEAR_INIT(e->ff2_w, e->ff2_b, D, F);
        nn_init_constant(nn_params_value(p, e->bn1_w), D, 1.0f);
        nn_init_constant(nn_params_value(p, e->bn1_b), D, 0.0f);
        nn_init_constant(nn_params_value(p, e->bn1_mean), D, 0.0f);
        nn_init_constant(nn_params_value(p, e->bn1_var), D, 1.0f);
        nn_init_constant(nn_params_value(p, e->bn2_w), D, 1.0f);
        nn_init_constant(nn_params_value(p, e->bn2_b), D, 0.0f);
        nn_init_constant(nn_params_value(p, e->bn2_mean), D, 0.0f);
        nn_init_constant(nn_params_value(p, e->bn2_var), D, 1.0f);
    }
    LINEAR_INIT(net->head_w, net->head_b, net->H, net->patches * D);
#undef LINEAR_INIT
}

#define V(index) nn_params_value(&model->params, (index))
#define G(index) nn_params_grad(&model->params, (index))

static void patchtst_forward(void *net_, bench_model *model, const float *inputs, size_t rows, int training,
                             bench_rng *rng, float *outputs)
{
    patchtst_net *net = net_;
    size_t P = net->patches, D = net->D, F = net->F, T = rows * P;
    float p_drop = training ? net->dropout : 0.0f;
    net->training = training;
    memcpy(net->norm, inputs, rows * net->L * sizeof(float));
    deep_revin_normalize(net->norm, net->mean, net->std, rows, net->L);
    nn_patch_forward(net->patch, net->norm, rows, net->L, net->patch_len, net->stride, 1);
    nn_linear_forward(net->emb, net->patch, V(net->emb_w), V(net->emb_b), T, net->patch_len, D);
    const float *pos = V(net->pos);
    for (size_t t = 0; t < T; t++)
        for (size_t j = 0; j < D; j++)
            net->emb[t * D + j] += pos[(t % P) * D + j];
    float *x = net->layers > 0 ? net->layer[0].x : net->out;
    nn_dropout_forward(x, net->mask_emb, net->emb, T * D, p_drop, rng);
    nn_attention_dims ad = {.batch = rows, .steps = P, .model_dim = D, .heads = net->heads};
    for (size_t l = 0; l < net->layers; l++) {
        encoder_layer *e = &net->layer[l];
        float *next = l + 1 < net->layers ? net->layer[l + 1].x : net->out;
        nn_attention_forward(e->att, e->qkv, e->probs, e->context, e->x, V(e->in_w), V(e->in_b), V(e->out_w),
                             V(e->out_b), &ad);
        nn_dropout_forward(e->s1, e->mask_att, e->att, T * D, p_drop, rng);
        for (size_t i = 0; i < T * D; i++)
            e->s1[i] += e->x[i];
        nn_batchnorm_forward(e->n1, e->bn1_m, e->bn1_r, V(e->bn1_mean), V(e->bn1_var), e->s1, V(e->bn1_w),
                             V(e->bn1_b), T, D, 1, 1e-5f, 0.1f, training);
        nn_linear_forward(e->f1, e->n1, V(e->ff1_w), V(e->ff1_b), T, D, F);
        nn_gelu_forward(e->g1, e->f1, T * F);
        nn_dropout_forward(e->g1, e->mask_ff, e->g1, T * F, p_drop, rng);
        nn_linear_forward(e->f2, e->g1, V(e->ff2_w), V(e->ff2_b), T, F, D);
        nn_dropout_forward(e->s2, e->mask_f2, e->f2, T * D, p_drop, rng);
        for (size_t i = 0; i < T * D; i++)
            e->s2[i] += e->n1[i];
        nn_batchnorm_forward(next, e->bn2_m, e->bn2_r, V(e->bn2_mean), V(e->bn2_var), e->s2, V(e->bn2_w),
                             V(e->bn2_b), T, D, 1, 1e-5f, 0.1f, training);
    }
    /* Flatten each row's (P, D) tokens: out rows are already contiguous per window. */
    nn_linear_forward(outputs, net->out, V(net->head_w), V(net->head_b), rows, P * D, net->H);
    deep_revin_restore(outputs, net->mean, net->std, rows, net->H);
}

static void patchtst_backward(void *net_, bench_model *model, const float *doutputs, size_t rows)
{
    patchtst_net *net = net_;
    size_t P = net->patches, D = net->D, F = net->F, T = rows * P;
    int training = net->training;
    float *dhead = net->dz + T * D; /* (rows, H) ≤ rows·P·D floats */
    deep_revin_scale_grad(dhead, doutputs, net->std, rows, net->H);
    float *dcur = net->dx; /* gradient w.r.t. the current layer output (T, D) */
    memset(dcur, 0, T * D * sizeof(float));
    nn_linear_backward(dcur, G(net->head_w), G(net->head_b), dhead, net->out, V(net->head_w), rows, P * D, net->H);
    nn_attention_dims ad = {.batch = rows, .steps = P, .model_dim = D, .heads = net->heads};
    for (size_t l = net->layers; l-- > 0;) {
        encoder_layer *e = &net->layer[l];
        float *ds2 = net->dy, *dn1 = net->dz, *dx_in = dcur;
        /* out = BN2(s2) */
        memset(ds2, 0, T * D * sizeof(float));
        nn_batchnorm_backward(ds2, G(e->bn2_w), G(e->bn2_b), dcur, e->s2, V(e->bn2_w), e->bn2_m, e->bn2_r, T, D, 1,
                              training);
        /* s2 = n1 + dropout(f2): dn1 gets ds2 directly, the FFN branch the rest. */
        memcpy(dn1, ds2, T * D * sizeof(float));
        float *df2 = ds2; /* reuse: d f2 = ds2 · mask */
        for (size_t i = 0; i < T * D; i++)
            df2[i] = ds2[i] * e->mask_f2[i];
        float *dg1 = net->dbig, *df1 = net->dbig2;
        memset(dg1, 0, T * F * sizeof(float));
        nn_linear_backward(dg1, G(e->ff2_w), G(e->ff2_b), df2, e->g1, V(e->ff2_w), T, F, D);
        memset(df1, 0, T * F * sizeof(float));
        for (size_t i = 0; i < T * F; i++)
            dg1[i] *= e->mask_ff[i];
        nn_gelu_backward(df1, dg1, e->f1, T * F);
        nn_linear_backward(dn1, G(e->ff1_w), G(e->ff1_b), df1, e->n1, V(e->ff1_w), T, D, F);
        /* n1 = BN1(s1) */
        float *ds1 = net->dy;
        memset(ds1, 0, T * D * sizeof(float));
        nn_batchnorm_backward(ds1, G(e->bn1_w), G(e->bn1_b), dn1, e->s1, V(e->bn1_w), e->bn1_m, e->bn1_r, T, D, 1,
                              training);
        /* s1 = x + dropout(att): dx = ds1 + attention backward of ds1·mask. */
        memcpy(dx_in, ds1, T * D * sizeof(float));
        float *datt = net->dz;
        for (size_t i = 0; i < T * D; i++)
            datt[i] = ds1[i] * e->mask_att[i];
        nn_attention_backward(dx_in, G(e->in_w), G(e->in_b), G(e->out_w), G(e->out_b), net->attention_ws, datt,
                              e->x, V(e->in_w), V(e->out_w), e->qkv, e->probs, e->context, &ad);
        dcur = dx_in;
    }
    /* x0 = dropout(emb + pos); emb = patches · Wᵀ + b. */
    float *demb = net->dy;
    for (size_t i = 0; i < T * D; i++)
        demb[i] = dcur[i] * net->mask_emb[i];
    float *dpos = G(net->pos);
    for (size_t t = 0; t < T; t++)
        for (size_t j = 0; j < D; j++)
            dpos[(t % P) * D + j] += demb[t * D + j];
    nn_linear_backward(NULL, G(net->emb_w), G(net->emb_b), demb, net->patch, V(net->emb_w), T, net->patch_len, D);
}

static const bench_param_spec patchtst_params[] = {
    DEEP_TRAIN_PARAMS("10", "128", "0.001", "3", "type3"),
    {.name = "patch_len", .type = BENCH_PARAM_INT, .default_value = "16", .doc = "values per patch", .minimum = 1,
     .maximum = 10000},
    {.name = "stride", .type = BENCH_PARAM_INT, .default_value = "8", .doc = "step between patches", .minimum = 1,
     .maximum = 10000},
    {.name = "d_model", .type = BENCH_PARAM_INT, .default_value = "16", .doc = "token width", .minimum = 1,
     .maximum = 4096},
    {.name = "n_heads", .type = BENCH_PARAM_INT, .default_value = "4", .doc = "attention heads (divide d_model)",
     .minimum = 1, .maximum = 256},
    {.name = "d_ff", .type = BENCH_PARAM_INT, .default_value = "128", .doc = "feed-forward width", .minimum = 1,
     .maximum = 65536},
    {.name = "e_layers", .type = BENCH_PARAM_INT, .default_value = "3", .doc = "encoder layers", .minimum = 0,
     .maximum = PATCHTST_MAX_LAYERS},
    {.name = "dropout", .type = BENCH_PARAM_REAL, .default_value = "0.3",
     .doc = "dropout on embeddings, attention output and feed-forward", .minimum = 0, .maximum = 0.95},
};

DEEP_FORECASTER(patchtst, patchtst_net, patchtst_params, NULL,
                "PatchTST: RevIN, patching, transformer encoder with BatchNorm, channel independence",
                DEEP_SETTINGS(patchtst_settings), DEEP_LENGTHS(patchtst_net, L, H), .create = patchtst_create,
                .reserve = patchtst_reserve, .init = patchtst_init, .forward = patchtst_forward,
                .backward = patchtst_backward);
