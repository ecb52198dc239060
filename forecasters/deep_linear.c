/* dlinear and nlinear (Zeng et al., "Are Transformers Effective for Time Series
 * Forecasting?", AAAI 2023; cure-lab/LTSF-Linear), channel-independent with one
 * set of weights shared across channels (their default, individual = False).
 *
 * dlinear: trend = moving average of the input (kernel 25, stride 1, the ends
 *   padded by repeating the first/last value (k−1)/2 times), seasonal = input −
 *   trend; forecast = Linear_s(seasonal) + Linear_t(trend), each L → H; both
 *   weight matrices start at 1/L (as the authors initialise them), biases at
 *   PyTorch's default U(±1/√L).
 * nlinear: subtract the window's last value, Linear L → H, add it back.
 * Training defaults follow LTSF-Linear's ETTh1 script for the linear models
 * (scripts/EXP-LongForecasting/Linear/etth1.sh: Adam, batch 32, learning rate
 * 0.005; run_longExp.py: 10 epochs, patience 3, lradj type1 = halve each epoch). */
#include <math.h>
#include <stdlib.h>
#include <string.h>

#include "forecasters/deep_train.h"
#include "nn/gemm.h"
#include "nn/layers.h"

typedef struct linear_net {
    int decompose;           /* dlinear = 1, nlinear = 0 */
    size_t kernel;           /* moving-average kernel (dlinear) */
    size_t w_seasonal, b_seasonal, w_trend, b_trend; /* tensor indices (trend unused by nlinear) */
    float *seasonal;         /* (rows, L) seasonal part, or the last-value-removed input */
    float *trend;            /* (rows, L) */
    float *last;             /* (rows) nlinear's subtracted value */
} linear_net;

static int linear_create(linear_net *net, bench_model *model, const bench_params *params, int decompose,
                         bench_error *error)
{
    int status = BENCH_OK;
    net->decompose = decompose;
    net->kernel = decompose ? (size_t)deep_get_int(params, "kernel", &status, error) : 1;
    size_t L = model->config.input_length, H = model->config.horizon;
    if (status == BENCH_OK && decompose && net->kernel % 2 == 0)
        status = BENCH_FAIL(error, BENCH_BAD_INPUT, "kernel must be odd (got %zu)", net->kernel);
    net->w_seasonal = deep_param(model, decompose ? "linear_seasonal.weight" : "linear.weight", H, L, &status, error);
    net->b_seasonal = deep_param(model, decompose ? "linear_seasonal.bias" : "linear.bias", H, 0, &status, error);
    if (decompose) {
        net->w_trend = deep_param(model, "linear_trend.weight", H, L, &status, error);
        net->b_trend = deep_param(model, "linear_trend.bias", H, 0, &status, error);
    }
    return status;
}

static int dlinear_create(void *net, bench_model *model, const bench_params *params, bench_error *error)
{
    return linear_create(net, model, params, 1, error);
}

static int nlinear_create(void *net, bench_model *model, const bench_params *params, bench_error *error)
{
    return linear_create(net, model, params, 0, error);
}

static int linear_reserve(void *net_, bench_model *model, size_t rows, bench_error *error)
{
    linear_net *net = net_;
    size_t L = model->config.input_length;
    float *block = deep_activations(model, 2 * rows * L + rows);
    if (block == NULL)
        return BENCH_FAIL(error, BENCH_NO_MEMORY, "no memory for %zu windows", rows);
    net->seasonal = block;
    net->trend = block + rows * L;
    net->last = net->trend + rows * L;
    return BENCH_OK;
}

static void linear_init(void *net_, bench_model *model, bench_rng *rng)
{
    linear_net *net = net_;
    size_t L = model->config.input_length, H = model->config.horizon;
    float bound = 1.0f / sqrtf((float)L);
    nn_params *p = &model->params;
    if (net->decompose) {
        nn_init_constant(nn_params_value(p, net->w_seasonal), H * L, 1.0f / (float)L);
        nn_init_constant(nn_params_value(p, net->w_trend), H * L, 1.0f / (float)L);
        nn_init_uniform(nn_params_value(p, net->b_seasonal), H, bound, rng);
        nn_init_uniform(nn_params_value(p, net->b_trend), H, bound, rng);
    } else {
        nn_init_uniform(nn_params_value(p, net->w_seasonal), H * L, bound, rng);
        nn_init_uniform(nn_params_value(p, net->b_seasonal), H, bound, rng);
    }
}

/* Moving average with replicated ends: trend[t] = mean of x[t−h .. t+h], h = (k−1)/2,
 * indices clamped to [0, L). */
static void moving_average(float *trend, const float *x, size_t L, size_t kernel)
{
    long half = (long)(kernel - 1) / 2;
    double sum = 0.0;
    for (long j = -half; j <= half; j++)
        sum += x[j < 0 ? 0 : (j >= (long)L ? (long)L - 1 : j)];
    for (long t = 0; t < (long)L; t++) {
        trend[t] = (float)(sum / (double)kernel);
        long leaving = t - half, entering = t + half + 1;
        sum -= x[leaving < 0 ? 0 : (leaving >= (long)L ? (long)L - 1 : leaving)];
        sum += x[entering < 0 ? 0 : (entering >= (long)L ? (long)L - 1 : entering)];
    }
}

static void linear_forward(void *net_, bench_model *model, const float *inputs, size_t rows, int training,
                           bench_rng *rng, float *outputs)
{
    (void)training, (void)rng;
    linear_net *net = net_;
    size_t L = model->config.input_length, H = model->config.horizon;
    nn_params *p = &model->params;
    if (net->decompose) {
        for (size_t r = 0; r < rows; r++) {
            moving_average(net->trend + r * L, inputs + r * L, L, net->kernel);
            for (size_t t = 0; t < L; t++)
                net->seasonal[r * L + t] = inputs[r * L + t] - net->trend[r * L + t];
        }
        nn_linear_forward(outputs, net->seasonal, nn_params_value(p, net->w_seasonal),
                          nn_params_value(p, net->b_seasonal), rows, L, H);
        /* The trend branch adds into the same outputs: its bias, then one GEMM with beta 1. */
        const float *wt = nn_params_value(p, net->w_trend), *bt = nn_params_value(p, net->b_trend);
        for (size_t r = 0; r < rows; r++)
            for (size_t h = 0; h < H; h++)
                outputs[r * H + h] += bt[h];
        nn_gemm(0, 1, rows, H, L, 1.0f, net->trend, L, wt, L, 1.0f, outputs, H);
    } else {
        for (size_t r = 0; r < rows; r++) {
            net->last[r] = inputs[r * L + L - 1];
            for (size_t t = 0; t < L; t++)
                net->seasonal[r * L + t] = inputs[r * L + t] - net->last[r];
        }
        nn_linear_forward(outputs, net->seasonal, nn_params_value(p, net->w_seasonal),
                          nn_params_value(p, net->b_seasonal), rows, L, H);
        for (size_t r = 0; r < rows; r++)
            for (size_t h = 0; h < H; h++)
                outputs[r * H + h] += net->last[r];
    }
}

static void linear_backward(void *net_, bench_model *model, const float *doutputs, size_t rows)
{
    linear_net *net = net_;
    size_t L = model->config.input_length, H = model->config.horizon;
    nn_params *p = &model->params;
    nn_linear_backward(NULL, nn_params_grad(p, net->w_seasonal), nn_params_grad(p, net->b_seasonal), doutputs,
                       net->seasonal, nn_params_value(p, net->w_seasonal), rows, L, H);
    if (net->decompose)
        nn_linear_backward(NULL, nn_params_grad(p, net->w_trend), nn_params_grad(p, net->b_trend), doutputs,
                           net->trend, nn_params_value(p, net->w_trend), rows, L, H);
}

static const bench_param_spec dlinear_params[] = {
    DEEP_TRAIN_PARAMS("10", "32", "0.005", "3", "halve"),
    {.name = "kernel", .type = BENCH_PARAM_INT, .default_value = "25",
     .doc = "moving-average kernel of the trend/seasonal decomposition (odd)", .minimum = 1, .maximum = 10001},
};

static const bench_param_spec nlinear_params[] = {
    DEEP_TRAIN_PARAMS("10", "32", "0.005", "3", "halve"),
};

DEEP_FORECASTER(dlinear, linear_net, dlinear_params, NULL,
                "DLinear: moving-average decomposition + linear layers shared across channels (LTSF-Linear)",
                .create = dlinear_create, .reserve = linear_reserve, .init = linear_init, .forward = linear_forward,
                .backward = linear_backward);

DEEP_FORECASTER(nlinear, linear_net, nlinear_params, NULL,
                "NLinear: last-value normalisation + one linear layer shared across channels (LTSF-Linear)",
                .create = nlinear_create, .reserve = linear_reserve, .init = linear_init, .forward = linear_forward,
                .backward = linear_backward);
