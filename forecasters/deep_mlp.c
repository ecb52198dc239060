/* mlp: window → horizon multilayer perceptron, one network shared by all series.
 * Input (L) → [Linear → ReLU → Dropout] per hidden size → Linear (H).  Each
 * window is first normalised per instance (RevIN without affine weights:
 * subtract its mean, divide by its std; "last" subtracts the last value only)
 * and the forecast mapped back, so one network serves series of any level. */
#include <math.h>
#include <stdio.h>
#include <stdlib.h>
#include <string.h>

#include "forecasters/deep_train.h"
#include "nn/layers.h"

#define MLP_MAX_LAYERS 8

typedef struct mlp_net {
    size_t layer_count;                 /* hidden layers */
    size_t width[MLP_MAX_LAYERS + 2];   /* width[0] = L, width[layer_count+1] = H */
    size_t weight[MLP_MAX_LAYERS + 1], bias[MLP_MAX_LAYERS + 1];
    float dropout;
    int normalization;                  /* 0 none, 1 revin, 2 last */
    /* The buffers below point into the shell's activation block (deep_activations). */
    float *act[MLP_MAX_LAYERS + 2];     /* act[0] normalised input (rows, L); act[i] layer outputs after dropout */
    float *pre[MLP_MAX_LAYERS + 1];     /* pre-activations (rows, width[i]) */
    float *mask[MLP_MAX_LAYERS + 1];    /* dropout masks */
    float *grad_a, *grad_b;             /* (rows, max width) ping-pong gradient buffers */
    float *mean, *std;                  /* (rows) */
} mlp_net;

static int mlp_create(void *net_, bench_model *model, const bench_params *params, bench_error *error)
{
    mlp_net *net = net_;
    long hidden[MLP_MAX_LAYERS];
    size_t count = MLP_MAX_LAYERS;
    int status = bench_params_get_int_list(params, "hidden", hidden, &count, error);
    double dropout = deep_get_real(params, "dropout", &status, error);
    const char *normalization = "revin";
    if (status == BENCH_OK)
        status = bench_params_get_string(params, "normalization", &normalization, error);
    if (status != BENCH_OK)
        return status;
    net->dropout = (float)dropout;
    net->normalization = !strcmp(normalization, "revin") ? 1 : !strcmp(normalization, "last") ? 2 : 0;
    net->layer_count = count;
    net->width[0] = model->config.input_length;
    for (size_t i = 0; i < count; i++) {
        if (hidden[i] < 1)
            return BENCH_FAIL(error, BENCH_BAD_INPUT, "hidden sizes must be positive (got %ld)", hidden[i]);
        net->width[i + 1] = (size_t)hidden[i];
    }
    net->width[count + 1] = model->config.horizon;
    for (size_t i = 0; i <= count; i++) {
        char name[128];
        snprintf(name, sizeof name, "fc%zu.weight", i + 1);
        net->weight[i] = deep_param(model, name, net->width[i + 1], net->width[i], &status, error);
        snprintf(name, sizeof name, "fc%zu.bias", i + 1);
        net->bias[i] = deep_param(model, name, net->width[i + 1], 0, &status, error);
    }
    return status;
}

static int mlp_reserve(void *net_, bench_model *model, size_t rows, bench_error *error)
{
    mlp_net *net = net_;
    size_t n = net->layer_count, floats = 2 * rows, widest = 0;
    for (size_t i = 0; i <= n + 1; i++) {
        floats += rows * net->width[i];                     /* act */
        widest = net->width[i] > widest ? net->width[i] : widest;
        if (i > 0)
            floats += 2 * rows * net->width[i];             /* pre, mask */
    }
    floats += 2 * rows * widest;
    float *p = deep_activations(model, floats);
    if (p == NULL)
        return BENCH_FAIL(error, BENCH_NO_MEMORY, "no memory for %zu windows", rows);
    for (size_t i = 0; i <= n + 1; i++) {
        net->act[i] = p;
        p += rows * net->width[i];
        if (i > 0) {
            net->pre[i - 1] = p;
            p += rows * net->width[i];
            net->mask[i - 1] = p;
            p += rows * net->width[i];
        }
    }
    net->grad_a = p;
    p += rows * widest;
    net->grad_b = p;
    p += rows * widest;
    net->mean = p;
    net->std = p + rows;
    return BENCH_OK;
}

static void mlp_init(void *net_, bench_model *model, bench_rng *rng)
{
    mlp_net *net = net_;
    for (size_t i = 0; i <= net->layer_count; i++) {
        /* PyTorch's Linear default: U(±1/√fan_in) for weights and biases. */
        float bound = 1.0f / sqrtf((float)net->width[i]);
        nn_init_uniform(nn_params_value(&model->params, net->weight[i]), net->width[i + 1] * net->width[i], bound, rng);
        nn_init_uniform(nn_params_value(&model->params, net->bias[i]), net->width[i + 1], bound, rng);
    }
}

static void mlp_forward(void *net_, bench_model *model, const float *inputs, size_t rows, int training,
                        bench_rng *rng, float *outputs)
{
    mlp_net *net = net_;
    size_t L = net->width[0], H = model->config.horizon, n = net->layer_count;
    memcpy(net->act[0], inputs, rows * L * sizeof(float));
    if (net->normalization == 1) {
        deep_revin_normalize(net->act[0], net->mean, net->std, rows, L);
    } else {
        for (size_t r = 0; r < rows; r++) {
            net->mean[r] = net->normalization == 2 ? inputs[r * L + L - 1] : 0.0f;
            net->std[r] = 1.0f;
            for (size_t t = 0; t < L; t++)
                net->act[0][r * L + t] -= net->mean[r];
        }
    }
    for (size_t i = 0; i <= n; i++) {
        size_t in = net->width[i], out = net->width[i + 1];
        nn_linear_forward(net->pre[i], net->act[i], nn_params_value(&model->params, net->weight[i]),
                          nn_params_value(&model->params, net->bias[i]), rows, in, out);
        if (i == n) {
            memcpy(net->act[i + 1], net->pre[i], rows * out * sizeof(float));
        } else {
            nn_relu_forward(net->act[i + 1], net->pre[i], rows * out);
            nn_dropout_forward(net->act[i + 1], net->mask[i], net->act[i + 1], rows * out,
                               training ? net->dropout : 0.0f, rng);
        }
    }
    memcpy(outputs, net->act[n + 1], rows * H * sizeof(float));
    deep_revin_restore(outputs, net->mean, net->std, rows, H);
}

static void mlp_backward(void *net_, bench_model *model, const float *doutputs, size_t rows)
{
    mlp_net *net = net_;
    size_t n = net->layer_count, H = model->config.horizon;
    float *dcur = net->grad_a, *dnext = net->grad_b;
    deep_revin_scale_grad(dcur, doutputs, net->std, rows, H); /* d pre[n] */
    for (size_t i = n + 1; i-- > 0;) {
        size_t in = net->width[i], out = net->width[i + 1];
        /* dcur is d(pre[i]); produce d(act[i]) into dnext (not needed for the input). */
        if (i > 0)
            memset(dnext, 0, rows * in * sizeof(float));
        nn_linear_backward(i > 0 ? dnext : NULL, nn_params_grad(&model->params, net->weight[i]),
                           nn_params_grad(&model->params, net->bias[i]), dcur, net->act[i],
                           nn_params_value(&model->params, net->weight[i]), rows, in, out);
        if (i == 0)
            break;
        /* act[i] = dropout(relu(pre[i-1])): d pre[i-1] = dact · mask · 1[pre > 0]. */
        float *dpre = dcur;
        for (size_t k = 0; k < rows * in; k++)
            dnext[k] *= net->mask[i - 1][k];
        memset(dpre, 0, rows * in * sizeof(float));
        nn_relu_backward(dpre, dnext, net->pre[i - 1], rows * in);
    }
}

static const bench_param_spec mlp_params[] = {
    DEEP_TRAIN_PARAMS("20", "32", "0.001", "3", "constant"),
    {.name = "hidden", .type = BENCH_PARAM_INT_LIST, .default_value = "256,256",
     .doc = "hidden layer widths (1 to 8 layers)", .minimum = 1, .maximum = 65536},
    {.name = "dropout", .type = BENCH_PARAM_REAL, .default_value = "0.1", .doc = "dropout after each hidden layer",
     .minimum = 0, .maximum = 0.95},
    {.name = "normalization", .type = BENCH_PARAM_STRING, .default_value = "revin",
     .doc = "per-window normalisation: revin (mean/std), last (subtract last value) or none",
     .choices = "revin|last|none"},
};

DEEP_FORECASTER(mlp, mlp_net, mlp_params, NULL,
                "MLP: window -> horizon, ReLU hidden layers with dropout, per-window normalisation",
                .create = mlp_create, .reserve = mlp_reserve, .init = mlp_init, .forward = mlp_forward,
                .backward = mlp_backward);
