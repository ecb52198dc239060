/* lstnet (Lai et al., "Modeling Long- and Short-Term Temporal Patterns with
 * Deep Neural Networks", SIGIR 2018), the LSTNet-Skip variant, applied per
 * channel (channel-independent, like the other deep models here):
 *   conv1d (kernel `kernel`, `hid_cnn` filters, no padding) → ReLU → dropout
 *   → GRU (hid_rnn) over the T conv steps, last state → dropout
 *   → skip-GRU (hid_skip) over the last ⌊T/skip⌋·skip steps taken every `skip`
 *     steps, one sequence per phase, last states concatenated → dropout
 *   → Linear(hid_rnn + skip·hid_skip → H) + highway: Linear(last `highway`
 *     inputs → H) (the paper's autoregressive component, here multi-output).
 * Windows are normalised per instance (RevIN-style) instead of the paper's
 * per-series max scaling.  Defaults follow the paper's set-up (50 filters of
 * width 6, 50 GRU units, 5 skip units, skip 24, highway 24, dropout 0.2, Adam
 * 1e-3, batch 128) with fewer epochs; the paper also clips gradients at norm
 * 10 (grad_clip = 10), off by default like every deep model here. */
#include <math.h>
#include <stdio.h>
#include <stdlib.h>
#include <string.h>

#include "forecasters/deep_train.h"
#include "nn/layers.h"
#include "nn/rnn.h"

typedef struct lstnet_net {
    size_t L, H, K, C, hid_r, hid_s, skip, highway, T, periods;
    float dropout;
    size_t conv_w, conv_b, gru_wih, gru_whh, gru_bih, gru_bhh;
    size_t skip_wih, skip_whh, skip_bih, skip_bhh, out_w, out_b, hw_w, hw_b;
    nn_conv2d_dims conv;
    nn_rnn_dims gru, skip_gru;
    size_t concat;
    float *norm, *mean, *std;
    float *conv_ws, *conv_pre, *conv_act, *conv_mask;  /* (R, C, T) */
    float *gru_in, *gru_out, *gru_gates, *gru_hn, *gru_ws;
    float *skip_in, *skip_out, *skip_gates, *skip_hn, *skip_ws;
    float *cat, *cat_drop, *cat_mask;                  /* (R, concat) */
    float *hw_out;                                     /* (R, H) */
    float *dy, *dcat, *dgru_out, *dgru_in, *dskip_out, *dskip_in, *dconv; /* backward scratch */
} lstnet_net;

static const deep_setting lstnet_settings[] = {
    DEEP_SIZE_SETTING(lstnet_net, K, "kernel"),      DEEP_SIZE_SETTING(lstnet_net, C, "hid_cnn"),
    DEEP_SIZE_SETTING(lstnet_net, hid_r, "hid_rnn"), DEEP_SIZE_SETTING(lstnet_net, hid_s, "hid_skip"),
    DEEP_SIZE_SETTING(lstnet_net, skip, "skip"),     DEEP_SIZE_SETTING(lstnet_net, highway, "highway"),
    DEEP_REAL_SETTING(lstnet_net, dropout, "dropout"),
};

static int lstnet_create(void *net_, bench_model *model, const bench_params *params, bench_error *error)
{
    (void)params;
    lstnet_net *net = net_; /* L, H and the settings above are filled by the shell */
    int status = BENCH_OK;
    if (net->K > net->L)
        return BENCH_FAIL(error, BENCH_BAD_INPUT, "kernel %zu is longer than input_length %zu", net->K, net->L);
    net->T = net->L - net->K + 1;
    net->periods = net->skip > 0 ? net->T / net->skip : 0;
    if (net->periods == 0 || net->hid_s == 0)
        net->skip = 0; /* too short a window for the skip component */
    if (net->highway > net->L)
        net->highway = net->L;
    net->concat = net->hid_r + net->skip * net->hid_s;
    size_t C = net->C, R = net->hid_r, S = net->hid_s;
    net->conv_w = deep_param(model, "conv.weight", C, net->K, &status, error);
    net->conv_b = deep_param(model, "conv.bias", C, 0, &status, error);
    net->gru_wih = deep_param(model, "gru.weight_ih", 3 * R, C, &status, error);
    net->gru_whh = deep_param(model, "gru.weight_hh", 3 * R, R, &status, error);
    net->gru_bih = deep_param(model, "gru.bias_ih", 3 * R, 0, &status, error);
    net->gru_bhh = deep_param(model, "gru.bias_hh", 3 * R, 0, &status, error);
    if (net->skip > 0) {
        net->skip_wih = deep_param(model, "skip_gru.weight_ih", 3 * S, C, &status, error);
        net->skip_whh = deep_param(model, "skip_gru.weight_hh", 3 * S, S, &status, error);
        net->skip_bih = deep_param(model, "skip_gru.bias_ih", 3 * S, 0, &status, error);
        net->skip_bhh = deep_param(model, "skip_gru.bias_hh", 3 * S, 0, &status, error);
    }
    net->out_w = deep_param(model, "linear.weight", net->H, net->concat, &status, error);
    net->out_b = deep_param(model, "linear.bias", net->H, 0, &status, error);
    if (net->highway > 0) {
        net->hw_w = deep_param(model, "highway.weight", net->H, net->highway, &status, error);
        net->hw_b = deep_param(model, "highway.bias", net->H, 0, &status, error);
    }
    return status;
}

static int lstnet_reserve(void *net_, bench_model *model, size_t rows, bench_error *error)
{
    lstnet_net *net = net_;
    size_t C = net->C, T = net->T, R = net->hid_r, S = net->hid_s, H = net->H, L = net->L;
    net->conv = nn_conv1d_make(rows, 1, C, L, net->K, 1, 0, 1, 0);
    net->gru = (nn_rnn_dims){.batch = rows, .steps = T, .input_size = C, .hidden = R};
    size_t skip_rows = rows * net->skip, pt = net->periods;
    net->skip_gru = (nn_rnn_dims){.batch = skip_rows, .steps = pt, .input_size = C, .hidden = S};
    size_t rct = rows * C * T;
    size_t floats = rows * L + 2 * rows + nn_conv2d_workspace(&net->conv) + 3 * rct + rct +
                    rows * T * (R + 3 * R + R) + nn_gru_workspace(&net->gru) +
                    (net->skip ? skip_rows * pt * (C + S + 3 * S + S) + nn_gru_workspace(&net->skip_gru) : 0) +
                    3 * rows * net->concat + rows * H + rows * H + rows * net->concat + rows * T * R + rct +
                    (net->skip ? skip_rows * pt * (S + C) : 0) + rct;
    float *p = deep_activations(model, floats);
    if (p == NULL)
        return BENCH_FAIL(error, BENCH_NO_MEMORY, "no memory for %zu windows", rows);
#define TAKE(ptr, count) (ptr) = p, p += (count)
    TAKE(net->norm, rows * L);
    TAKE(net->mean, rows);
    TAKE(net->std, rows);
    TAKE(net->conv_ws, nn_conv2d_workspace(&net->conv));
    TAKE(net->conv_pre, rct);
    TAKE(net->conv_act, rct);
    TAKE(net->conv_mask, rct);
    TAKE(net->gru_in, rct);
    TAKE(net->gru_out, rows * T * R);
    TAKE(net->gru_gates, rows * T * 3 * R);
    TAKE(net->gru_hn, rows * T * R);
    TAKE(net->gru_ws, nn_gru_workspace(&net->gru));
    if (net->skip) {
        TAKE(net->skip_in, skip_rows * pt * C);
        TAKE(net->skip_out, skip_rows * pt * S);
        TAKE(net->skip_gates, skip_rows * pt * 3 * S);
        TAKE(net->skip_hn, skip_rows * pt * S);
        TAKE(net->skip_ws, nn_gru_workspace(&net->skip_gru));
        TAKE(net->dskip_out, skip_rows * pt * S);
        TAKE(net->dskip_in, skip_rows * pt * C);
    }
    TAKE(net->cat, rows * net->concat);
    TAKE(net->cat_drop, rows * net->concat);
    TAKE(net->cat_mask, rows * net->concat);
    TAKE(net->hw_out, rows * H);
    TAKE(net->dy, rows * H);
    TAKE(net->dcat, rows * net->concat);
    TAKE(net->dgru_out, rows * T * R);
    TAKE(net->dgru_in, rct);
    TAKE(net->dconv, rct);
#undef TAKE
    return BENCH_OK;
}

static void lstnet_init(void *net_, bench_model *model, bench_rng *rng)
{
    lstnet_net *net = net_;
    nn_params *p = &model->params;
#define UNIFORM(index, count, fan_in) nn_init_uniform(nn_params_value(p, index), count, 1.0f / sqrtf((float)(fan_in)), rng)
    UNIFORM(net->conv_w, net->C * net->K, net->K);
    UNIFORM(net->conv_b, net->C, net->K);
    /* PyTorch's GRU: every weight and bias U(±1/√hidden). */
    UNIFORM(net->gru_wih, 3 * net->hid_r * net->C, net->hid_r);
    UNIFORM(net->gru_whh, 3 * net->hid_r * net->hid_r, net->hid_r);
    UNIFORM(net->gru_bih, 3 * net->hid_r, net->hid_r);
    UNIFORM(net->gru_bhh, 3 * net->hid_r, net->hid_r);
    if (net->skip) {
        UNIFORM(net->skip_wih, 3 * net->hid_s * net->C, net->hid_s);
        UNIFORM(net->skip_whh, 3 * net->hid_s * net->hid_s, net->hid_s);
        UNIFORM(net->skip_bih, 3 * net->hid_s, net->hid_s);
        UNIFORM(net->skip_bhh, 3 * net->hid_s, net->hid_s);
    }
    UNIFORM(net->out_w, net->H * net->concat, net->concat);
    UNIFORM(net->out_b, net->H, net->concat);
    if (net->highway) {
        UNIFORM(net->hw_w, net->H * net->highway, net->highway);
        UNIFORM(net->hw_b, net->H, net->highway);
    }
#undef UNIFORM
}

#define V(index) nn_params_value(&model->params, (index))
#define G(index) nn_params_grad(&model->params, (index))

/* Skip sequence (row r, phase j) step i reads conv step T − pt·skip + i·skip + j. */
static size_t skip_step(const lstnet_net *net, size_t phase, size_t i)
{
    return net->T - net->periods * net->skip + i * net->skip + phase;
}

static void lstnet_forward(void *net_, bench_model *model, const float *inputs, size_t rows, int training,
                           bench_rng *rng, float *outputs)
{
    lstnet_net *net = net_;
    size_t L = net->L, H = net->H, C = net->C, T = net->T, R = net->hid_r, S = net->hid_s, pt = net->periods;
    float p_drop = training ? net->dropout : 0.0f;
    /* Shapes of this call (at most the reserved rows); backward reuses them. */
    net->conv.batch = rows;
    net->gru.batch = rows;
    net->skip_gru.batch = rows * net->skip;
    memcpy(net->norm, inputs, rows * L * sizeof(float));
    deep_revin_normalize(net->norm, net->mean, net->std, rows, L);
    nn_conv2d_forward(net->conv_pre, net->conv_ws, net->norm, V(net->conv_w), V(net->conv_b), &net->conv);
    nn_relu_forward(net->conv_act, net->conv_pre, rows * C * T);
    nn_dropout_forward(net->conv_act, net->conv_mask, net->conv_act, rows * C * T, p_drop, rng);
    /* (R, C, T) → (R, T, C) for the batch-first GRU. */
    for (size_t r = 0; r < rows; r++)
        for (size_t c = 0; c < C; c++)
            for (size_t t = 0; t < T; t++)
                net->gru_in[(r * T + t) * C + c] = net->conv_act[(r * C + c) * T + t];
    nn_gru_forward(net->gru_out, net->gru_gates, net->gru_hn, net->gru_ws, net->gru_in, NULL, V(net->gru_wih),
                   V(net->gru_whh), V(net->gru_bih), V(net->gru_bhh), &net->gru);
    for (size_t r = 0; r < rows; r++)
        memcpy(net->cat + r * net->concat, net->gru_out + (r * T + T - 1) * R, R * sizeof(float));
    if (net->skip) {
        for (size_t r = 0; r < rows; r++)
            for (size_t j = 0; j < net->skip; j++)
                for (size_t i = 0; i < pt; i++)
                    memcpy(net->skip_in + ((r * net->skip + j) * pt + i) * C,
                           net->gru_in + (r * T + skip_step(net, j, i)) * C, C * sizeof(float));
        nn_gru_forward(net->skip_out, net->skip_gates, net->skip_hn, net->skip_ws, net->skip_in, NULL,
                       V(net->skip_wih), V(net->skip_whh), V(net->skip_bih), V(net->skip_bhh), &net->skip_gru);
        for (size_t r = 0; r < rows; r++)
            for (size_t j = 0; j < net->skip; j++)
                memcpy(net->cat + r * net->concat + R + j * S,
                       net->skip_out + ((r * net->skip + j) * pt + pt - 1) * S, S * sizeof(float));
    }
    nn_dropout_forward(net->cat_drop, net->cat_mask, net->cat, rows * net->concat, p_drop, rng);
    nn_linear_forward(outputs, net->cat_drop, V(net->out_w), V(net->out_b), rows, net->concat, H);
    if (net->highway) {
        /* The highway reads the last `highway` normalised inputs of each row (stride L). */
        for (size_t r = 0; r < rows; r++)
            nn_linear_forward(net->hw_out + r * H, net->norm + r * L + L - net->highway, V(net->hw_w), V(net->hw_b),
                              1, net->highway, H);
        for (size_t i = 0; i < rows * H; i++)
            outputs[i] += net->hw_out[i];
    }
    deep_revin_restore(outputs, net->mean, net->std, rows, H);
}

static void lstnet_backward(void *net_, bench_model *model, const float *doutputs, size_t rows)
{
    lstnet_net *net = net_;
    size_t L = net->L, H = net->H, C = net->C, T = net->T, R = net->hid_r, S = net->hid_s, pt = net->periods;
    deep_revin_scale_grad(net->dy, doutputs, net->std, rows, H);
    if (net->highway)
        for (size_t r = 0; r < rows; r++)
            nn_linear_backward(NULL, G(net->hw_w), G(net->hw_b), net->dy + r * H, net->norm + r * L + L - net->highway,
                               V(net->hw_w), 1, net->highway, H);
    memset(net->dcat, 0, rows * net->concat * sizeof(float));
    nn_linear_backward(net->dcat, G(net->out_w), G(net->out_b), net->dy, net->cat_drop, V(net->out_w), rows,
                       net->concat, H);
    for (size_t i = 0; i < rows * net->concat; i++)
        net->dcat[i] *= net->cat_mask[i];
    /* The GRU's loss reaches it only through its last state. */
    memset(net->dgru_out, 0, rows * T * R * sizeof(float));
    for (size_t r = 0; r < rows; r++)
        memcpy(net->dgru_out + (r * T + T - 1) * R, net->dcat + r * net->concat, R * sizeof(float));
    memset(net->dgru_in, 0, rows * T * C * sizeof(float));
    nn_gru_backward(net->dgru_in, G(net->gru_wih), G(net->gru_whh), G(net->gru_bih), G(net->gru_bhh), NULL,
                    net->gru_ws, net->dgru_out, net->gru_in, NULL, V(net->gru_wih), V(net->gru_whh), net->gru_out,
                    net->gru_gates, net->gru_hn, &net->gru);
    if (net->skip) {
        size_t skip_rows = rows * net->skip;
        memset(net->dskip_out, 0, skip_rows * pt * S * sizeof(float));
        for (size_t r = 0; r < rows; r++)
            for (size_t j = 0; j < net->skip; j++)
                memcpy(net->dskip_out + ((r * net->skip + j) * pt + pt - 1) * S, net->dcat + r * net->concat + R + j * S,
                       S * sizeof(float));
        memset(net->dskip_in, 0, skip_rows * pt * C * sizeof(float));
        nn_gru_backward(net->dskip_in, G(net->skip_wih), G(net->skip_whh), G(net->skip_bih), G(net->skip_bhh), NULL,
                        net->skip_ws, net->dskip_out, net->skip_in, NULL, V(net->skip_wih), V(net->skip_whh),
                        net->skip_out, net->skip_gates, net->skip_hn, &net->skip_gru);
        for (size_t r = 0; r < rows; r++)
            for (size_t j = 0; j < net->skip; j++)
                for (size_t i = 0; i < pt; i++) {
                    float *dst = net->dgru_in + (r * T + skip_step(net, j, i)) * C;
                    const float *src = net->dskip_in + ((r * net->skip + j) * pt + i) * C;
                    for (size_t c = 0; c < C; c++)
                        dst[c] += src[c];
                }
    }
    /* (R, T, C) → (R, C, T), through dropout and ReLU, into the conv weights. */
    for (size_t r = 0; r < rows; r++)
        for (size_t c = 0; c < C; c++)
            for (size_t t = 0; t < T; t++) {
                size_t at = (r * C + c) * T + t;
                net->dconv[at] =
                    net->dgru_in[(r * T + t) * C + c] * net->conv_mask[at] * (float)(net->conv_pre[at] > 0.0f);
            }
    nn_conv2d_backward(NULL, G(net->conv_w), G(net->conv_b), net->conv_ws, net->dconv, net->norm, V(net->conv_w),
                       &net->conv);
}

static const bench_param_spec lstnet_params[] = {
    DEEP_TRAIN_PARAMS("20", "128", "0.001", "3", "constant"),
    {.name = "kernel", .type = BENCH_PARAM_INT, .default_value = "6", .doc = "convolution width (time steps)",
     .minimum = 1, .maximum = 1000},
    {.name = "hid_cnn", .type = BENCH_PARAM_INT, .default_value = "50", .doc = "convolution filters", .minimum = 1,
     .maximum = 4096},
    {.name = "hid_rnn", .type = BENCH_PARAM_INT, .default_value = "50", .doc = "GRU units", .minimum = 1,
     .maximum = 4096},
    {.name = "hid_skip", .type = BENCH_PARAM_INT, .default_value = "5", .doc = "skip-GRU units (0 = no skip part)",
     .minimum = 0, .maximum = 4096},
    {.name = "skip", .type = BENCH_PARAM_INT, .default_value = "24", .doc = "skip period in steps (0 = none)",
     .minimum = 0, .maximum = 100000},
    {.name = "highway", .type = BENCH_PARAM_INT, .default_value = "24",
     .doc = "inputs of the autoregressive highway (0 = none)", .minimum = 0, .maximum = 100000},
    {.name = "dropout", .type = BENCH_PARAM_REAL, .default_value = "0.2", .doc = "dropout after conv and GRUs",
     .minimum = 0, .maximum = 0.95},
};

DEEP_FORECASTER(lstnet, lstnet_net, lstnet_params, NULL,
                "LSTNet-Skip: conv + GRU + skip-GRU + autoregressive highway, per channel",
                DEEP_SETTINGS(lstnet_settings), DEEP_LENGTHS(lstnet_net, L, H), .create = lstnet_create,
                .reserve = lstnet_reserve, .init = lstnet_init, .forward = lstnet_forward, .backward = lstnet_backward);
